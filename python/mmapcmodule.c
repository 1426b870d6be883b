/* mmapcmodule.c: the Python module mmapc: its constants, mmapc.error, unlink, and the mapping
 * of libmmapc's negative errnos to Python's exceptions.
 *
 * mmapc is Python's mmap module over libmmapc: `mmapc.mmap` takes the arguments of
 * `mmap.mmap` on Linux, behaves as CPython 3.11's does (Debian 12's /usr/bin/python3), and
 * adds the keyword-only `tagname` (a named map brokered by mmapd) and `trackfd` (Python
 * 3.13's). The module exports the same constants as CPython 3.11's mmap on Linux, no more and
 * no fewer, so that `mmapc` can stand in for `mmap`.
 *
 * Linking. The extension links libmmapc statically, from build/libmmapc.a, whose objects are
 * built with -fPIC for the shared library anyway: the module is one self-contained file that
 * needs no rpath and no LD_LIBRARY_PATH in the tree, installs by being copied, and cannot
 * pick up a different installed libmmapc.so by accident. The library's symbols are hidden
 * in it (--exclude-libs), so a program that also loads libmmapc.so sees no clash. It needs
 * libprotobuf-c at run time, as libmmapc.so does.
 *
 * Not here: the mmap type and its methods (mmapobject.c), indexing and the buffer protocol
 * (mmapseq.c). Nothing here changes libmmapc's behaviour; deliberate differences from
 * Python's mmap are libmmapc's (documented in mmapc.h) and are listed in python/README.md.
 */
#include "mmapc_py.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

const char mmapc_readonly_msg[] = "mmap can't modify a readonly memory map.";

PyObject *mmapc_raise_closed(void)
{
	PyErr_SetString(PyExc_ValueError, "mmap closed or invalid");
	return NULL;
}

PyObject *mmapc_raise_os_error(int r)
{
	if (r == -EBADF)
		return mmapc_raise_closed();
	errno = -r;
	return PyErr_SetFromErrno(PyExc_OSError);
}

PyObject *mmapc_raise_map_error(int r, const char *einval_msg)
{
	switch (-r) {
	case EACCES:
		PyErr_SetString(PyExc_TypeError, mmapc_readonly_msg);
		return NULL;
	case ERANGE:
		PyErr_SetString(PyExc_IndexError, "mmap index out of range");
		return NULL;
	case EINVAL:
		if (!einval_msg)
			break;
		PyErr_SetString(PyExc_ValueError, einval_msg);
		return NULL;
	default:
		break;
	}
	return mmapc_raise_os_error(r);
}

PyDoc_STRVAR(unlink_doc, "unlink(tagname)\n\n"
                         "Remove a tag's name from mmapd at once, as shm_unlink does: maps of it\n"
                         "keep their memory, and the name is free for a new tag. Raises OSError\n"
                         "(FileNotFoundError if there is no such tag).");

static PyObject *mmapc_unlink_func(PyObject *module, PyObject *args)
{
	const char *tagname;
	Py_ssize_t n;
	int r;

	(void)module;
	if (!PyArg_ParseTuple(args, "s#:unlink", &tagname, &n))
		return NULL;
	if ((size_t)n != strlen(tagname)) {
		PyErr_SetString(PyExc_ValueError, "embedded null character");
		return NULL;
	}
	PyThreadState *ts = PyEval_SaveThread();
	r = mmapc_unlink(tagname, NULL);
	PyEval_RestoreThread(ts);
	if (r < 0) {
		errno = -r;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
        {"unlink", mmapc_unlink_func, METH_VARARGS, unlink_doc},
        {NULL, NULL, 0, NULL},
};

/* The constants of CPython 3.11's mmap module, under the same conditions. */
static int add_constants(PyObject *m)
{
#define ADD(name) \
	do { \
		if (PyModule_AddIntConstant(m, #name, name) < 0) \
			return -1; \
	} while (0)
	ADD(PROT_EXEC);
	ADD(PROT_READ);
	ADD(PROT_WRITE);
	ADD(MAP_SHARED);
	ADD(MAP_PRIVATE);
#ifdef MAP_DENYWRITE
	ADD(MAP_DENYWRITE);
#endif
#ifdef MAP_EXECUTABLE
	ADD(MAP_EXECUTABLE);
#endif
#ifdef MAP_ANONYMOUS
	ADD(MAP_ANONYMOUS);
	if (PyModule_AddIntConstant(m, "MAP_ANON", MAP_ANONYMOUS) < 0)
		return -1;
#endif
#ifdef MAP_POPULATE
	ADD(MAP_POPULATE);
#endif
#ifdef MAP_STACK
	ADD(MAP_STACK);
#endif
	if (PyModule_AddIntConstant(m, "PAGESIZE", sysconf(_SC_PAGESIZE)) < 0 ||
	    PyModule_AddIntConstant(m, "ALLOCATIONGRANULARITY", sysconf(_SC_PAGESIZE)) < 0 ||
	    PyModule_AddIntConstant(m, "ACCESS_DEFAULT", MMAPC_ACCESS_DEFAULT) < 0 ||
	    PyModule_AddIntConstant(m, "ACCESS_READ", MMAPC_ACCESS_READ) < 0 ||
	    PyModule_AddIntConstant(m, "ACCESS_WRITE", MMAPC_ACCESS_WRITE) < 0 ||
	    PyModule_AddIntConstant(m, "ACCESS_COPY", MMAPC_ACCESS_COPY) < 0)
		return -1;
	ADD(MADV_NORMAL);
	ADD(MADV_RANDOM);
	ADD(MADV_SEQUENTIAL);
	ADD(MADV_WILLNEED);
	ADD(MADV_DONTNEED);
#ifdef MADV_REMOVE
	ADD(MADV_REMOVE);
#endif
#ifdef MADV_DONTFORK
	ADD(MADV_DONTFORK);
#endif
#ifdef MADV_DOFORK
	ADD(MADV_DOFORK);
#endif
#ifdef MADV_HWPOISON
	ADD(MADV_HWPOISON);
#endif
#ifdef MADV_MERGEABLE
	ADD(MADV_MERGEABLE);
#endif
#ifdef MADV_UNMERGEABLE
	ADD(MADV_UNMERGEABLE);
#endif
#ifdef MADV_HUGEPAGE
	ADD(MADV_HUGEPAGE);
#endif
#ifdef MADV_NOHUGEPAGE
	ADD(MADV_NOHUGEPAGE);
#endif
#ifdef MADV_DONTDUMP
	ADD(MADV_DONTDUMP);
#endif
#ifdef MADV_DODUMP
	ADD(MADV_DODUMP);
#endif
#ifdef MADV_FREE
	ADD(MADV_FREE);
#endif
#undef ADD
	return 0;
}

PyDoc_STRVAR(module_doc,
             "Python's mmap module over libmmapc, with named maps brokered by mmapd.\n\n"
             "mmapc.mmap(fileno, length, flags=MAP_SHARED, prot=PROT_READ|PROT_WRITE,\n"
             "           access=ACCESS_DEFAULT, offset=0, *, tagname=None,\n"
             "           trackfd=True)\n\n"
             "behaves as mmap.mmap on Linux. With a tagname, the map is a view of the\n"
             "named tag in mmapd: the first opener creates it, later ones share it.");

static struct PyModuleDef mmapc_module = {
        PyModuleDef_HEAD_INIT, .m_name = "mmapc",           .m_doc = module_doc,
        .m_size = -1,          .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit_mmapc(void);

PyMODINIT_FUNC PyInit_mmapc(void)
{
	if (PyType_Ready(&mmapc_MmapType) < 0)
		return NULL;
	PyObject *m = PyModule_Create(&mmapc_module);
	if (!m)
		return NULL;
	if (PyModule_AddObjectRef(m, "error", PyExc_OSError) < 0 ||
	    PyModule_AddObjectRef(m, "mmap", (PyObject *)&mmapc_MmapType) < 0 ||
	    add_constants(m) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
