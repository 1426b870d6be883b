/* mmapobject.c: the mmapc.mmap type: its methods, attributes, repr and lifetime.
 *
 * Every method follows CPython 3.11's Modules/mmapmodule.c on Linux: the same argument
 * formats (so the same TypeErrors and OverflowErrors), the same order of checks (closed, then
 * arguments, then writability, then ranges, then the system call) and the same messages.
 * Where libmmapc's errno alone cannot tell which Python exception is meant (its -EINVAL is
 * both Python's own range ValueError and a system call's EINVAL in flush, madvise and
 * resize), this file makes Python's check itself before the call, with the length,
 * position and access libmmapc reports, and every errno that is left is an OSError. Where the
 * errno is unambiguous (write, write_byte, read_byte, seek, move) libmmapc's own check
 * decides, which also covers a map closed or resized between the check and the access.
 *
 * Not here: the constructor (mmapnew.c); item and slice access, iteration and the buffer
 * protocol (mmapseq.c); the module and the errno table (mmapcmodule.c). Deliberate
 * differences from Python's mmap are libmmapc's (mmapc.h) and listed in python/README.md;
 * this file adds none of its own.
 */
#include "mmapc_py.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int mmapc_check_valid(MmapObject *self)
{
	if (!self->map || mmapc_closed(self->map)) {
		mmapc_raise_closed();
		return 0;
	}
	return 1;
}

#define SELF ((MmapObject *)op)
#define CHECK_VALID() \
	do { \
		if (!mmapc_check_valid(SELF)) \
			return NULL; \
	} while (0)

static void mmap_dealloc(PyObject *op)
{
	if (SELF->weakreflist)
		PyObject_ClearWeakRefs(op);
	/* No export can be alive: each holds a reference to the object. */
	mmapc_free(SELF->map);
	SELF->map = NULL;
	Py_CLEAR(SELF->tagname);
	Py_TYPE(op)->tp_free(op);
}

/* ---- close and the context manager ------------------------------------------------------- */

static PyObject *raise_exported(void)
{
	PyErr_SetString(PyExc_BufferError, "cannot close exported pointers exist");
	return NULL;
}

static PyObject *mmap_close_method(PyObject *op, PyObject *Py_UNUSED(ignored))
{
	if (SELF->exports > 0)
		return raise_exported();
	if (SELF->map && mmapc_close(SELF->map) == -EBUSY)
		return raise_exported();
	Py_RETURN_NONE;
}

static PyObject *mmap_enter_method(PyObject *op, PyObject *Py_UNUSED(ignored))
{
	CHECK_VALID();
	return Py_NewRef(op);
}

static PyObject *mmap_exit_method(PyObject *op, PyObject *Py_UNUSED(args))
{
	return mmap_close_method(op, NULL);
}

/* ---- reading ------------------------------------------------------------------------------- */

static PyObject *mmap_read_byte_method(PyObject *op, PyObject *Py_UNUSED(ignored))
{
	CHECK_VALID();
	int r = mmapc_read_byte(SELF->map);
	if (r < 0)
		return mmapc_raise_map_error(r, "read byte out of range");
	return PyLong_FromLong(r);
}

/* Copies n bytes the map handed out at p into a new bytes object; if that fails, moves the
 * position back, since Python advances it only after the copy is made. */
static PyObject *bytes_from_view(MmapObject *self, const void *p, int64_t n)
{
	if (n < 0)
		return mmapc_raise_os_error((int)n);
	PyObject *result = PyBytes_FromStringAndSize(p, (Py_ssize_t)n);
	if (!result)
		mmapc_seek(self->map, -n, SEEK_CUR);
	return result;
}

static PyObject *mmap_readline_method(PyObject *op, PyObject *Py_UNUSED(ignored))
{
	const void *p = NULL;

	CHECK_VALID();
	int64_t n = mmapc_readline_view(SELF->map, &p);
	return bytes_from_view(SELF, p, n);
}

/* CPython's _Py_convert_optional_to_ssize_t: an integer, or None for "all". */
static int convert_optional_ssize_t(PyObject *obj, void *result)
{
	Py_ssize_t limit;

	if (obj == Py_None)
		return 1;
	if (!PyIndex_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "argument should be integer or None, not '%.200s'",
		             Py_TYPE(obj)->tp_name);
		return 0;
	}
	limit = PyNumber_AsSsize_t(obj, PyExc_OverflowError);
	if (limit == -1 && PyErr_Occurred())
		return 0;
	*(Py_ssize_t *)result = limit;
	return 1;
}

static PyObject *mmap_read_method(PyObject *op, PyObject *args)
{
	Py_ssize_t num_bytes = PY_SSIZE_T_MAX;
	const void *p = NULL;

	CHECK_VALID();
	if (!PyArg_ParseTuple(args, "|O&:read", convert_optional_ssize_t, &num_bytes))
		return NULL;
	int64_t n = mmapc_read_view(SELF->map, num_bytes < 0 ? -1 : (int64_t)num_bytes, &p);
	return bytes_from_view(SELF, p, n);
}

/* Python 3.11 finds an empty needle at the clamped start (find) or end (rfind) even when
 * end < start, where libmmapc (and Python 3.12 on) says "not found". */
static PyObject *empty_find(MmapObject *self, Py_ssize_t at)
{
	int64_t len = mmapc_len(self->map);

	if (len < 0)
		return mmapc_raise_os_error((int)len);
	if (at < 0) {
		at += (Py_ssize_t)len;
		if (at < 0)
			at = 0;
	} else if (at > len) {
		at = (Py_ssize_t)len;
	}
	return PyLong_FromSsize_t(at);
}

/* find and rfind: the default start is the position and the default end the length, both
 * taken before the arguments are parsed, as Python does. */
static PyObject *gfind(MmapObject *self, PyObject *args, int reverse)
{
	Py_buffer view;

	if (!mmapc_check_valid(self))
		return NULL;
	Py_ssize_t start = (Py_ssize_t)mmapc_tell(self->map);
	Py_ssize_t end = (Py_ssize_t)mmapc_len(self->map);
	if (!PyArg_ParseTuple(args, reverse ? "y*|nn:rfind" : "y*|nn:find", &view, &start, &end))
		return NULL;
	if (view.len == 0) {
		PyBuffer_Release(&view);
		return empty_find(self, reverse ? end : start);
	}
	/* INT64_MIN is libmmapc's "omitted"; as a bound it clamps as -INT64_MAX does. */
	if (start == PY_SSIZE_T_MIN)
		start = -PY_SSIZE_T_MAX;
	if (end == PY_SSIZE_T_MIN)
		end = -PY_SSIZE_T_MAX;
	int64_t r = reverse ? mmapc_rfind(self->map, view.buf, (size_t)view.len, start, end)
	                    : mmapc_find(self->map, view.buf, (size_t)view.len, start, end);
	PyBuffer_Release(&view);
	if (r == -ENOENT)
		return PyLong_FromLong(-1);
	if (r < 0)
		return mmapc_raise_os_error((int)r);
	return PyLong_FromLongLong(r);
}

static PyObject *mmap_find_method(PyObject *op, PyObject *args)
{
	return gfind(SELF, args, 0);
}

static PyObject *mmap_rfind_method(PyObject *op, PyObject *args)
{
	return gfind(SELF, args, 1);
}

/* ---- writing ------------------------------------------------------------------------------- */

static PyObject *mmap_write_method(PyObject *op, PyObject *args)
{
	Py_buffer data;

	CHECK_VALID();
	if (!PyArg_ParseTuple(args, "y*:write", &data))
		return NULL;
	int64_t r = mmapc_write(SELF->map, data.buf, (size_t)data.len);
	PyBuffer_Release(&data);
	if (r < 0)
		return mmapc_raise_map_error((int)r, "data out of range");
	return PyLong_FromLongLong(r);
}

static PyObject *mmap_write_byte_method(PyObject *op, PyObject *args)
{
	unsigned char value;

	CHECK_VALID();
	if (!PyArg_ParseTuple(args, "b:write_byte", &value))
		return NULL;
	int r = mmapc_write_byte(SELF->map, value);
	if (r < 0)
		return mmapc_raise_map_error(r, "write byte out of range");
	Py_RETURN_NONE;
}

static PyObject *mmap_move_method(PyObject *op, PyObject *args)
{
	Py_ssize_t dest, src, cnt;

	CHECK_VALID();
	if (!PyArg_ParseTuple(args, "nnn:move", &dest, &src, &cnt))
		return NULL;
	int r = mmapc_move(SELF->map, dest, src, cnt);
	if (r < 0)
		return mmapc_raise_map_error(r, "source, destination, or count out of range");
	Py_RETURN_NONE;
}

/* ---- position ------------------------------------------------------------------------------ */

static PyObject *mmap_tell_method(PyObject *op, PyObject *Py_UNUSED(ignored))
{
	CHECK_VALID();
	int64_t r = mmapc_tell(SELF->map);
	if (r < 0)
		return mmapc_raise_os_error((int)r);
	return PyLong_FromLongLong(r);
}

/* Python 3.11's seek returns None (3.13's returns the new position). */
static PyObject *mmap_seek_method(PyObject *op, PyObject *args)
{
	Py_ssize_t dist;
	int how = 0;

	CHECK_VALID();
	if (!PyArg_ParseTuple(args, "n|i:seek", &dist, &how))
		return NULL;
	if (how != SEEK_SET && how != SEEK_CUR && how != SEEK_END) {
		PyErr_SetString(PyExc_ValueError, "unknown seek type");
		return NULL;
	}
	int64_t r = mmapc_seek(SELF->map, dist, how);
	if (r < 0)
		return mmapc_raise_map_error((int)r, "seek out of range");
	Py_RETURN_NONE;
}

/* ---- the whole map -------------------------------------------------------------------------- */

static PyObject *mmap_size_method(PyObject *op, PyObject *Py_UNUSED(ignored))
{
	CHECK_VALID();
	int64_t r = mmapc_size(SELF->map);
	if (r < 0) {
		/* A map without a descriptor (trackfd=False) has no size: Python's OSError. */
		errno = (int)-r;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	return PyLong_FromLongLong(r);
}

static PyObject *mmap_resize_method(PyObject *op, PyObject *args)
{
	Py_ssize_t new_size;

	CHECK_VALID();
	if (!PyArg_ParseTuple(args, "n:resize", &new_size))
		return NULL;
	if (!mmapc_check_valid(SELF)) /* closed by the argument's __index__ */
		return NULL;
	if (SELF->exports > 0) {
		PyErr_SetString(PyExc_BufferError,
		                "mmap can't resize with extant buffers exported.");
		return NULL;
	}
	if (!SELF->trackfd) {
		PyErr_SetString(PyExc_ValueError, "mmap can't resize with trackfd=False.");
		return NULL;
	}
	int access = mmapc_access(SELF->map);
	if (access != MMAPC_ACCESS_WRITE && access != MMAPC_ACCESS_DEFAULT) {
		PyErr_SetString(PyExc_TypeError,
		                "mmap can't resize a readonly or copy-on-write memory map.");
		return NULL;
	}
	if (new_size < 0 || PY_SSIZE_T_MAX - new_size < mmapc_offset(SELF->map)) {
		PyErr_SetString(PyExc_ValueError, "new size out of range");
		return NULL;
	}
	/* Python's resize(0) fails in mremap (EINVAL) after truncating the file; libmmapc
	 * refuses it with the same errno before changing anything. Every errno here is a
	 * system call's or the daemon's (EBUSY: another holder of a tag that would shrink). */
	int r = mmapc_resize(SELF->map, new_size);
	if (r < 0)
		return mmapc_raise_os_error(r);
	Py_RETURN_NONE;
}

static PyObject *mmap_flush_method(PyObject *op, PyObject *args)
{
	Py_ssize_t offset = 0, size;
	int r;

	CHECK_VALID();
	size = (Py_ssize_t)mmapc_len(SELF->map);
	Py_ssize_t len = size;
	if (!PyArg_ParseTuple(args, "|nn:flush", &offset, &size))
		return NULL;
	if (size < 0 || offset < 0 || len - offset < size) {
		PyErr_SetString(PyExc_ValueError, "flush values out of range");
		return NULL;
	}
	PyThreadState *ts = PyEval_SaveThread();
	r = mmapc_flush(SELF->map, offset, size);
	PyEval_RestoreThread(ts);
	if (r < 0)
		return mmapc_raise_os_error(r);
	Py_RETURN_NONE;
}

static PyObject *mmap_madvise_method(PyObject *op, PyObject *args)
{
	int option;
	Py_ssize_t start = 0, length;

	CHECK_VALID();
	length = (Py_ssize_t)mmapc_len(SELF->map);
	Py_ssize_t len = length;
	if (!PyArg_ParseTuple(args, "i|nn:madvise", &option, &start, &length))
		return NULL;
	if (start < 0 || start >= len) {
		PyErr_SetString(PyExc_ValueError, "madvise start out of bounds");
		return NULL;
	}
	if (length < 0) {
		PyErr_SetString(PyExc_ValueError, "madvise length invalid");
		return NULL;
	}
	if (PY_SSIZE_T_MAX - start < length) {
		PyErr_SetString(PyExc_OverflowError, "madvise length too large");
		return NULL;
	}
	int r = mmapc_madvise(SELF->map, option, start, length);
	if (r < 0)
		return mmapc_raise_os_error(r);
	Py_RETURN_NONE;
}

/* ---- attributes and repr ------------------------------------------------------------------ */

static PyObject *mmap_closed_get(PyObject *op, void *Py_UNUSED(closure))
{
	return PyBool_FromLong(!SELF->map || mmapc_closed(SELF->map));
}

static PyObject *mmap_tagname_get(PyObject *op, void *Py_UNUSED(closure))
{
	return Py_NewRef(SELF->tagname ? SELF->tagname : Py_None);
}

static PyObject *mmap_created_get(PyObject *op, void *Py_UNUSED(closure))
{
	return PyBool_FromLong(SELF->map && mmapc_created(SELF->map));
}

static const char *const access_names[] = {"ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE",
                                           "ACCESS_COPY"};

/* Python 3.11's repr, with the type's own name (so mmapc.mmap, or a subclass's), and for a
 * tagged map the tagname after the offset. */
static PyObject *mmap_repr(PyObject *op)
{
	const char *name = Py_TYPE(op)->tp_name;

	if (!SELF->map || mmapc_closed(SELF->map))
		return PyUnicode_FromFormat("<%s closed=True>", name);
	int access = mmapc_access(SELF->map);
	PyObject *s = PyUnicode_FromFormat(
	        "<%s closed=False, access=%s, length=%lld, pos=%lld, offset=%lld", name,
	        access >= 0 && access <= 3 ? access_names[access] : "?",
	        (long long)mmapc_len(SELF->map), (long long)mmapc_tell(SELF->map),
	        (long long)mmapc_offset(SELF->map));
	if (s && SELF->tagname)
		PyUnicode_AppendAndDel(&s, PyUnicode_FromFormat(", tagname=%R", SELF->tagname));
	if (s)
		PyUnicode_AppendAndDel(&s, PyUnicode_FromString(">"));
	return s;
}

static PyMethodDef mmap_methods[] = {
        {"close", mmap_close_method, METH_NOARGS, NULL},
        {"find", mmap_find_method, METH_VARARGS, NULL},
        {"rfind", mmap_rfind_method, METH_VARARGS, NULL},
        {"flush", mmap_flush_method, METH_VARARGS, NULL},
        {"madvise", mmap_madvise_method, METH_VARARGS, NULL},
        {"move", mmap_move_method, METH_VARARGS, NULL},
        {"read", mmap_read_method, METH_VARARGS, NULL},
        {"read_byte", mmap_read_byte_method, METH_NOARGS, NULL},
        {"readline", mmap_readline_method, METH_NOARGS, NULL},
        {"resize", mmap_resize_method, METH_VARARGS, NULL},
        {"seek", mmap_seek_method, METH_VARARGS, NULL},
        {"size", mmap_size_method, METH_NOARGS, NULL},
        {"tell", mmap_tell_method, METH_NOARGS, NULL},
        {"write", mmap_write_method, METH_VARARGS, NULL},
        {"write_byte", mmap_write_byte_method, METH_VARARGS, NULL},
        {"__enter__", mmap_enter_method, METH_NOARGS, NULL},
        {"__exit__", mmap_exit_method, METH_VARARGS, NULL},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef mmap_getset[] = {
        {"closed", mmap_closed_get, NULL, NULL, NULL},
        {"tagname", mmap_tagname_get, NULL, "the map's tagname, or None for a local map", NULL},
        {"created", mmap_created_get, NULL,
         "True if opening this map created its tag (False for a local map)", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(mmap_doc, "mmap(fileno, length, flags=MAP_SHARED, prot=PROT_READ|PROT_WRITE,\n"
                       "     access=ACCESS_DEFAULT, offset=0, *, tagname=None, trackfd=True)\n\n"
                       "Maps length bytes from the file specified by the file descriptor fileno,\n"
                       "and returns a mmap object, as Python's mmap.mmap does on Linux. fileno -1\n"
                       "maps anonymous memory; with a tagname it is the named map of that name in\n"
                       "mmapd (created by the first opener, shared by every later one).");

PyTypeObject mmapc_MmapType = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mmapc.mmap",
        .tp_basicsize = sizeof(MmapObject),
        .tp_dealloc = mmap_dealloc,
        .tp_repr = mmap_repr,
        .tp_as_sequence = &mmapc_as_sequence,
        .tp_as_mapping = &mmapc_as_mapping,
        .tp_as_buffer = &mmapc_as_buffer,
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .tp_doc = mmap_doc,
        .tp_weaklistoffset = offsetof(MmapObject, weakreflist),
        .tp_methods = mmap_methods,
        .tp_getset = mmap_getset,
        .tp_new = mmapc_mmap_new,
};
