/* mmapnew.c: the constructor of mmapc.mmap: Python 3.11's argument parsing and checks, in
 * Python's order and with Python's messages, then mmapc_open.
 *
 * CPython's order is: parse (fileno, length, flags, prot, access, offset), then length < 0
 * and offset < 0 (OverflowError), access against flags and prot, the access value, the audit
 * event, the regular-file size rules (ValueError), dup (EBADF) and mmap (OSError). libmmapc
 * makes the same checks, but its -EINVAL stands both for Python's ValueErrors and for
 * mmap(2)'s EINVAL, so this file makes Python's checks itself first, and every errno
 * mmapc_open returns after them is an OSError, the daemon's refusals for tagged maps included.
 *
 * The keyword-only tagname and trackfd are taken out of the keywords before the rest is
 * parsed, so that the positional arguments give exactly Python's messages.
 *
 * Not here: the object's methods (mmapobject.c, mmapseq.c).
 */
#include "mmapc_py.h" /* Python.h first: it defines _GNU_SOURCE */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PROT (PROT_READ | PROT_WRITE)

/* Flags the Linux kernel ignores for mmap (MAP_DENYWRITE, MAP_EXECUTABLE) or that are only a
 * hint (MAP_STACK): CPython passes them to mmap(2), libmmapc refuses them, so the binding
 * drops them to map what Python would. */
#define IGNORED_FLAGS (MAP_DENYWRITE | MAP_EXECUTABLE | MAP_STACK)

/* Python's regular-file rules, with Python's messages; anything but a regular file (or a
 * descriptor fstat refuses, which dup will report) skips them. Returns 0 or -1 with the
 * exception set. */
static int check_file_size(int fileno, Py_ssize_t length, long offset)
{
	struct stat st;
	int r;

	PyThreadState *ts = PyEval_SaveThread();
	r = fstat(fileno, &st);
	PyEval_RestoreThread(ts);
	if (r < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (length == 0) {
		if (st.st_size == 0) {
			PyErr_SetString(PyExc_ValueError, "cannot mmap an empty file");
			return -1;
		}
		if (offset >= st.st_size) {
			PyErr_SetString(PyExc_ValueError, "mmap offset is greater than file size");
			return -1;
		}
	} else if (offset > st.st_size || st.st_size - offset < length) {
		PyErr_SetString(PyExc_ValueError, "mmap length is greater than file size");
		return -1;
	}
	return 0;
}

/* Python's access rules: raises and returns -1 where Python raises, else 0 with *ret_prot the
 * prot the map will have. */
static int check_access(int access, int flags, int prot, int *ret_prot)
{
	if (access != MMAPC_ACCESS_DEFAULT && (flags != MAP_SHARED || prot != DEFAULT_PROT)) {
		PyErr_SetString(PyExc_ValueError,
		                "mmap can't specify both access and flags, prot.");
		return -1;
	}
	switch (access) {
	case MMAPC_ACCESS_READ:
		*ret_prot = PROT_READ;
		return 0;
	case MMAPC_ACCESS_WRITE:
	case MMAPC_ACCESS_COPY:
		*ret_prot = DEFAULT_PROT;
		return 0;
	case MMAPC_ACCESS_DEFAULT:
		*ret_prot = prot;
		return 0;
	default:
		PyErr_SetString(PyExc_ValueError, "mmap invalid access parameter.");
		return -1;
	}
}

/* What Python's mmap(2) would refuse but libmmapc would read as "the default": flags without
 * MAP_SHARED or MAP_PRIVATE, and prot 0 (PROT_NONE, which libmmapc cannot map). Python
 * dup()s the descriptor first, so a bad one is EBADF even then. */
static int refuse_unmappable(int fileno, int flags, int prot)
{
	int type = flags & MAP_TYPE;

	if ((type == MAP_SHARED || type == MAP_PRIVATE) && prot != 0)
		return 0;
	errno = fileno != -1 && fcntl(fileno, F_GETFD) < 0 ? EBADF : EINVAL;
	PyErr_SetFromErrno(PyExc_OSError);
	return -1;
}

/* Returns the UTF-8 name (borrowed from tagobj) in *ret, NULL for None; -1 with an exception
 * for anything else. */
static int tagname_arg(PyObject *tagobj, const char **ret)
{
	Py_ssize_t n;

	*ret = NULL;
	if (tagobj == Py_None)
		return 0;
	if (!PyUnicode_Check(tagobj)) {
		PyErr_Format(PyExc_TypeError, "expected str or None for 'tagname', not %.200s",
		             Py_TYPE(tagobj)->tp_name);
		return -1;
	}
	*ret = PyUnicode_AsUTF8AndSize(tagobj, &n);
	if (!*ret)
		return -1;
	if ((size_t)n != strlen(*ret)) {
		PyErr_SetString(PyExc_ValueError, "embedded null character");
		return -1;
	}
	return 0;
}

/* Takes the keyword-only arguments CPython 3.11 does not have (tagname, trackfd) out of
 * kwargs, so that the rest is parsed with Python's own format and gives Python's messages.
 * Returns a new reference to what is left (or NULL for nothing), or -1 with an exception. */
static int split_kwargs(PyObject *kwargs, PyObject **ret_rest, PyObject **ret_tagname,
                        int *ret_trackfd)
{
	PyObject *v;

	*ret_rest = NULL;
	if (!kwargs)
		return 0;
	PyObject *rest = PyDict_Copy(kwargs);
	if (!rest)
		return -1;
	if ((v = PyDict_GetItemString(rest, "tagname"))) {
		*ret_tagname = v; /* kept alive by kwargs */
		if (PyDict_DelItemString(rest, "tagname") < 0)
			goto fail;
	}
	if ((v = PyDict_GetItemString(rest, "trackfd"))) {
		int t = PyObject_IsTrue(v);
		if (t < 0 || PyDict_DelItemString(rest, "trackfd") < 0)
			goto fail;
		*ret_trackfd = t;
	}
	*ret_rest = rest;
	return 0;
fail:
	Py_DECREF(rest);
	return -1;
}

PyObject *mmapc_mmap_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
	static char *keywords[] = {"fileno", "length", "flags", "prot", "access", "offset", NULL};
	int fileno, flags = MAP_SHARED, prot = DEFAULT_PROT, access = MMAPC_ACCESS_DEFAULT;
	int trackfd = 1, map_prot, r;
	Py_ssize_t length;
	long offset = 0; /* off_t, parsed as CPython does on 64-bit Linux */
	PyObject *tagobj = Py_None, *rest;
	const char *tagname;

	if (split_kwargs(kwargs, &rest, &tagobj, &trackfd) < 0)
		return NULL;
	r = PyArg_ParseTupleAndKeywords(args, rest, "in|iiil", keywords, &fileno, &length, &flags,
	                                &prot, &access, &offset);
	Py_XDECREF(rest);
	if (!r)
		return NULL;
	if (tagname_arg(tagobj, &tagname) < 0)
		return NULL;
	if (length < 0) {
		PyErr_SetString(PyExc_OverflowError, "memory mapped length must be positive");
		return NULL;
	}
	if (offset < 0) {
		PyErr_SetString(PyExc_OverflowError, "memory mapped offset must be positive");
		return NULL;
	}
	if (check_access(access, flags, prot, &map_prot) < 0)
		return NULL;
	if (PySys_Audit("mmap.__new__", "inil", fileno, length, access, offset) < 0)
		return NULL;
	if (fileno != -1 && check_file_size(fileno, length, offset) < 0)
		return NULL;
	if (access == MMAPC_ACCESS_DEFAULT) {
		flags &= ~IGNORED_FLAGS;
		if (fileno == -1)
			flags &= ~MAP_ANONYMOUS; /* Python adds it for fileno -1 anyway */
		if (refuse_unmappable(fileno, flags, map_prot) < 0)
			return NULL;
	}

	MmapObject *self = (MmapObject *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	self->trackfd = trackfd;
	if (tagname)
		self->tagname = Py_NewRef(tagobj);

	struct mmapc_options opts = {
	        .flags = flags,
	        .prot = prot,
	        .options = trackfd ? 0 : MMAPC_NOTRACKFD,
	        .tagname = tagname,
	};
	mmapc_map *map = NULL;
	PyThreadState *ts = PyEval_SaveThread(); /* the daemon may take its time */
	r = mmapc_open(&map, fileno, length, access, offset, &opts);
	PyEval_RestoreThread(ts);
	if (r < 0) {
		Py_DECREF(self);
		errno = -r;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	self->map = map;
	return (PyObject *)self;
}
