/* mmapseq.c: mmapc.mmap as a sequence, a mapping and a buffer: m[i], m[a:b:c], their
 * assignment, len(m), iteration, `in`, and the buffer protocol (memoryview, bytes(m), re).
 *
 * As in CPython 3.11 the type has both sequence and mapping slots: subscripts and their
 * assignment go through the mapping slots (ints and slices), while iteration and `in` go
 * through the sequence item slot, which yields length-1 bytes. There is no sq_contains and
 * no tp_iter, so `in` compares every byte as Python does.
 *
 * Buffer exports. Each export takes one mmapc_acquire pin and the matching release drops
 * it, so while a memoryview (or anything else holding the buffer) is alive libmmapc itself
 * refuses close and resize with -EBUSY; the binding also counts exports so that close and
 * resize raise Python's BufferError before asking. An export keeps a reference to the
 * object, so the map cannot be freed under it.
 *
 * Slices. PySlice_Unpack yields Python's raw bounds, which libmmapc's slice calls resolve the
 * same way PySlice_AdjustIndices does, except that INT64_MIN means "omitted" there
 * (MMAPC_OMIT). PySlice_Unpack gives INT64_MIN only for a bound below -2**63, or an omitted
 * stop with a negative step; both mean what -INT64_MAX means, which is passed instead.
 *
 * Not here: the methods (mmapobject.c).
 */
#include "mmapc_py.h"

#include <errno.h>

#define SELF ((MmapObject *)op)

static Py_ssize_t mmap_length(PyObject *op)
{
	if (!mmapc_check_valid(SELF))
		return -1;
	return (Py_ssize_t)mmapc_len(SELF->map);
}

/* The sequence item: what iteration and `in` use. The index is already made non-negative
 * by the caller when it could be; one still negative is out of range. */
static PyObject *mmap_item(PyObject *op, Py_ssize_t i)
{
	if (!mmapc_check_valid(SELF))
		return NULL;
	if (i < 0 || i >= (Py_ssize_t)mmapc_len(SELF->map)) {
		PyErr_SetString(PyExc_IndexError, "mmap index out of range");
		return NULL;
	}
	int r = mmapc_getitem(SELF->map, i);
	if (r < 0)
		return mmapc_raise_map_error(r, NULL);
	char c = (char)r;
	return PyBytes_FromStringAndSize(&c, 1);
}

/* The sequence item assignment (PySequence_SetItem), with CPython's own rules: a length-1
 * bytes value, and the index checked before writability. */
static int mmap_ass_item(PyObject *op, Py_ssize_t i, PyObject *v)
{
	if (!mmapc_check_valid(SELF))
		return -1;
	if (i < 0 || i >= (Py_ssize_t)mmapc_len(SELF->map)) {
		PyErr_SetString(PyExc_IndexError, "mmap index out of range");
		return -1;
	}
	if (!v) {
		PyErr_SetString(PyExc_TypeError, "mmap object doesn't support item deletion");
		return -1;
	}
	if (!(PyBytes_Check(v) && PyBytes_Size(v) == 1)) {
		PyErr_SetString(PyExc_IndexError, "mmap assignment must be length-1 bytes()");
		return -1;
	}
	int r = mmapc_setitem(SELF->map, i, (unsigned char)PyBytes_AS_STRING(v)[0]);
	if (r < 0) {
		mmapc_raise_map_error(r, NULL);
		return -1;
	}
	return 0;
}

/* The length, for use after Python code has run (an __index__ may have closed the map):
 * -1 with the closed ValueError set if it has. */
static Py_ssize_t live_len(MmapObject *self)
{
	int64_t len = mmapc_len(self->map);

	if (len < 0) {
		mmapc_raise_map_error((int)len, NULL);
		return -1;
	}
	return (Py_ssize_t)len;
}

static int64_t bound(Py_ssize_t v)
{
	return v == PY_SSIZE_T_MIN ? -PY_SSIZE_T_MAX : v;
}

static PyObject *subscript_slice(MmapObject *self, PyObject *item)
{
	Py_ssize_t start, stop, step;

	if (PySlice_Unpack(item, &start, &stop, &step) < 0)
		return NULL;
	Py_ssize_t a = start, b = stop, len = live_len(self);
	if (len < 0)
		return NULL;
	Py_ssize_t slicelen = PySlice_AdjustIndices(len, &a, &b, step);
	if (slicelen <= 0)
		return PyBytes_FromStringAndSize("", 0);
	PyObject *result = PyBytes_FromStringAndSize(NULL, slicelen);
	if (!result)
		return NULL;
	int64_t r = mmapc_getslice(self->map, bound(start), bound(stop), step,
	                           PyBytes_AS_STRING(result), (size_t)slicelen);
	if (r < 0) {
		Py_DECREF(result);
		return mmapc_raise_map_error((int)r, "slice step cannot be zero");
	}
	if (r != slicelen) { /* the map changed size under us: cannot happen with the GIL */
		Py_DECREF(result);
		return mmapc_raise_closed();
	}
	return result;
}

static PyObject *mmap_subscript(PyObject *op, PyObject *item)
{
	if (!mmapc_check_valid(SELF))
		return NULL;
	if (PyIndex_Check(item)) {
		Py_ssize_t i = PyNumber_AsSsize_t(item, PyExc_IndexError);
		if (i == -1 && PyErr_Occurred())
			return NULL;
		int r = mmapc_getitem(SELF->map, i);
		if (r < 0)
			return mmapc_raise_map_error(r, NULL);
		return PyLong_FromLong(r);
	}
	if (PySlice_Check(item))
		return subscript_slice(SELF, item);
	PyErr_SetString(PyExc_TypeError, "mmap indices must be integers");
	return NULL;
}

/* m[i] = value: the index is checked before the value, deletion and the value's type. */
static int ass_index(MmapObject *self, PyObject *item, PyObject *value)
{
	Py_ssize_t i = PyNumber_AsSsize_t(item, PyExc_IndexError);
	if (i == -1 && PyErr_Occurred())
		return -1;
	Py_ssize_t len = live_len(self);
	if (len < 0)
		return -1;
	if (i < 0)
		i += len;
	if (i < 0 || i >= len) {
		PyErr_SetString(PyExc_IndexError, "mmap index out of range");
		return -1;
	}
	if (!value) {
		PyErr_SetString(PyExc_TypeError, "mmap doesn't support item deletion");
		return -1;
	}
	if (!PyIndex_Check(value)) {
		PyErr_SetString(PyExc_TypeError, "mmap item value must be an int");
		return -1;
	}
	Py_ssize_t v = PyNumber_AsSsize_t(value, PyExc_TypeError);
	if (v == -1 && PyErr_Occurred())
		return -1;
	if (v < 0 || v > 255) {
		PyErr_SetString(PyExc_ValueError, "mmap item value must be in range(0, 256)");
		return -1;
	}
	int r = mmapc_setitem(self->map, i, (int)v);
	if (r < 0) {
		mmapc_raise_map_error(r, NULL);
		return -1;
	}
	return 0;
}

static int ass_slice(MmapObject *self, PyObject *item, PyObject *value)
{
	Py_ssize_t start, stop, step;
	Py_buffer vbuf;

	if (PySlice_Unpack(item, &start, &stop, &step) < 0)
		return -1;
	Py_ssize_t a = start, b = stop, len = live_len(self);
	if (len < 0)
		return -1;
	Py_ssize_t slicelen = PySlice_AdjustIndices(len, &a, &b, step);
	if (!value) {
		PyErr_SetString(PyExc_TypeError, "mmap object doesn't support slice deletion");
		return -1;
	}
	if (PyObject_GetBuffer(value, &vbuf, PyBUF_SIMPLE) < 0)
		return -1;
	if (vbuf.len != slicelen) {
		PyErr_SetString(PyExc_IndexError, "mmap slice assignment is wrong size");
		PyBuffer_Release(&vbuf);
		return -1;
	}
	int r = 0;
	if (slicelen > 0)
		r = mmapc_setslice(self->map, bound(start), bound(stop), step, vbuf.buf,
		                   (size_t)vbuf.len);
	PyBuffer_Release(&vbuf);
	if (r < 0) {
		mmapc_raise_map_error(r, "slice step cannot be zero");
		return -1;
	}
	return 0;
}

/* Writability comes first, before the index is even parsed (CPython's order). */
static int mmap_ass_subscript(PyObject *op, PyObject *item, PyObject *value)
{
	if (!mmapc_check_valid(SELF))
		return -1;
	if (mmapc_access(SELF->map) == MMAPC_ACCESS_READ) {
		PyErr_SetString(PyExc_TypeError, mmapc_readonly_msg);
		return -1;
	}
	if (PyIndex_Check(item))
		return ass_index(SELF, item, value);
	if (PySlice_Check(item))
		return ass_slice(SELF, item, value);
	PyErr_SetString(PyExc_TypeError, "mmap indices must be integer");
	return -1;
}

/* ---- the buffer protocol ------------------------------------------------------------------ */

static int mmap_getbuffer(PyObject *op, Py_buffer *view, int flags)
{
	void *data;
	size_t len;

	if (!mmapc_check_valid(SELF))
		return -1;
	int r = mmapc_acquire(SELF->map, &data, &len);
	if (r < 0) {
		mmapc_raise_os_error(r);
		return -1;
	}
	int readonly = mmapc_access(SELF->map) == MMAPC_ACCESS_READ;
	if (PyBuffer_FillInfo(view, op, data, (Py_ssize_t)len, readonly, flags) < 0) {
		mmapc_release(SELF->map);
		return -1;
	}
	SELF->exports++;
	return 0;
}

static void mmap_releasebuffer(PyObject *op, Py_buffer *Py_UNUSED(view))
{
	SELF->exports--;
	mmapc_release(SELF->map);
}

PySequenceMethods mmapc_as_sequence = {
        .sq_length = mmap_length,
        .sq_item = mmap_item,
        .sq_ass_item = mmap_ass_item,
};

PyMappingMethods mmapc_as_mapping = {
        .mp_length = mmap_length,
        .mp_subscript = mmap_subscript,
        .mp_ass_subscript = mmap_ass_subscript,
};

PyBufferProcs mmapc_as_buffer = {
        .bf_getbuffer = mmap_getbuffer,
        .bf_releasebuffer = mmap_releasebuffer,
};
