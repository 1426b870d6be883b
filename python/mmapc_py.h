/* mmapc_py.h: what the files of the Python binding (module mmapc) share.
 *
 * The binding is four files: mmapcmodule.c (the module, its constants, errno to exception
 * mapping, unlink), mmapnew.c (the constructor), mmapobject.c (the mmap type's methods,
 * attributes and repr) and mmapseq.c (indexing, slicing, iteration and the buffer protocol). This header holds the
 * object's layout and the helpers they call across files; nothing in it is part of libmmapc.
 *
 * The object. An mmapc.mmap wraps one mmapc_map, which keeps the data, the length and the
 * position; the binding keeps only what libmmapc cannot tell it: the count of live buffer
 * exports (each one holds one mmapc_acquire pin, so the library itself refuses close and
 * resize while any is alive), whether the descriptor is tracked, and the tagname object for
 * repr and the attribute. map is NULL only for an object whose construction failed.
 *
 * Threads. Every call is made with the GIL held except those that may wait (mmapc_open, which
 * may talk to mmapd, and flush's msync); borrowed pointers from libmmapc (the _view calls)
 * are therefore only used while the GIL is held and no Python code runs, so no other
 * thread's close or resize can invalidate them.
 */
#ifndef MMAPC_PY_H
#define MMAPC_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "mmapc.h"

typedef struct {
	PyObject_HEAD mmapc_map *map;
	Py_ssize_t exports; /* live buffer exports, each holding one pin */
	int trackfd;
	PyObject *tagname; /* str, or NULL for a local map */
	PyObject *weakreflist;
} MmapObject;

extern PyTypeObject mmapc_MmapType;

/* mmapseq.c: the slots of the type that make it a sequence, a mapping and a buffer. */
extern PySequenceMethods mmapc_as_sequence;
extern PyMappingMethods mmapc_as_mapping;
extern PyBufferProcs mmapc_as_buffer;

/* mmapcmodule.c: raise the exception for a negative errno r from libmmapc and return NULL.
 * -EBADF is the closed map's ValueError everywhere; for the rest raise_map_error follows the
 * header's table for calls whose checks libmmapc makes in Python's order: -EACCES is the
 * read-only TypeError, -ERANGE the index IndexError, -EINVAL a ValueError with einval_msg
 * (when not NULL), anything else an OSError. raise_os_error is for calls whose other errnos
 * all come from system calls or the daemon. */
PyObject *mmapc_raise_map_error(int r, const char *einval_msg);
PyObject *mmapc_raise_os_error(int r);

/* mmapcmodule.c: ValueError("mmap closed or invalid"), returning NULL. */
PyObject *mmapc_raise_closed(void);

/* mmapnew.c: the type's tp_new, Python's mmap(fileno, length, ...) plus tagname and trackfd. */
PyObject *mmapc_mmap_new(PyTypeObject *type, PyObject *args, PyObject *kwargs);

/* mmapobject.c: 1 if the object is open; else 0 with the closed ValueError set. This is
 * Python's CHECK_VALID, which every method makes before it looks at its arguments. */
int mmapc_check_valid(MmapObject *self);

/* mmapcmodule.c: the readonly TypeError every writing call raises on an ACCESS_READ map. */
extern const char mmapc_readonly_msg[];

#endif
