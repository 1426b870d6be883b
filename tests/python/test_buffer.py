"""test_buffer.py: the buffer protocol of mmapc.mmap: memoryview, bytes(m), re over the map,
ctypes, writes through a view, read-only views, and export counting, so that close and resize
raise BufferError while any export is alive, and work again once all are released.

Not here: the methods themselves (test_methods.py).
"""
import ctypes
import mmap
import re

import pytest

import mmapc


@pytest.fixture
def m():
    mm = mmapc.mmap(-1, 64)
    mm.write(b"alpha beta\ngamma 12345\n")
    mm.seek(0)
    yield mm
    mm.close()


def test_buffer_memoryview_reads_and_writes(m):
    v = memoryview(m)
    try:
        assert v.nbytes == 64 and v.format == "B" and v.ndim == 1 and not v.readonly
        assert v[:5].tobytes() == b"alpha"
        v[0] = ord("A")
        v[6:10] = b"BETA"
        assert m[:10] == b"Alpha BETA"
        m[1] = ord("L")
        assert v[1] == ord("L")
    finally:
        v.release()


def test_buffer_bytes_bytearray_and_re(m):
    assert bytes(m)[:5] == b"alpha"
    assert bytearray(m)[:5] == bytearray(b"alpha")
    assert re.search(rb"\d+", m).group() == b"12345"
    assert [x.group() for x in re.finditer(rb"[a-z]+", m)] == [b"alpha", b"beta", b"gamma"]
    # re releases the buffer when the search is done (the match keeps only the object)
    match = re.search(rb"gamma", m)
    assert match.string is m
    assert m.tell() == 0


def test_buffer_exports_block_close_and_resize(m):
    a = memoryview(m)
    b = memoryview(m)[2:4]
    for _ in range(2):
        with pytest.raises(BufferError) as info:
            m.close()
        assert str(info.value) == "cannot close exported pointers exist"
        with pytest.raises(BufferError) as info:
            m.resize(10)
        assert str(info.value) == "mmap can't resize with extant buffers exported."
        assert not m.closed
    a.release()
    with pytest.raises(BufferError):
        m.close()  # b still holds it
    b.release()
    m.resize(10)
    assert len(m) == 10
    m.close()
    assert m.closed


def test_buffer_resize_checks_come_in_pythons_order(m):
    v = memoryview(m)
    with pytest.raises(TypeError):  # the argument is parsed before the exports are looked at
        m.resize("x")
    with pytest.raises(BufferError):  # exports before the size
        m.resize(-1)
    v.release()
    with pytest.raises(ValueError, match="new size out of range"):
        m.resize(-1)


def test_buffer_ctypes_from_buffer(m):
    arr = (ctypes.c_char * 5).from_buffer(m)
    arr[0] = b"Z"
    assert m[0] == ord("Z")
    with pytest.raises(BufferError):
        m.close()
    del arr
    m.close()


def test_buffer_readonly_map_gives_readonly_views():
    m = mmapc.mmap(-1, 8, prot=mmapc.PROT_READ)
    v = memoryview(m)
    assert v.readonly
    with pytest.raises(TypeError):
        v[0] = 1
    v.release()
    with pytest.raises(TypeError, match="underlying buffer is not writable"):
        (ctypes.c_char * 8).from_buffer(m)
    m.close()  # the failed writable request left no export behind


def test_buffer_of_a_closed_map(m):
    m.close()
    with pytest.raises(ValueError, match="mmap closed or invalid"):
        memoryview(m)
    with pytest.raises(ValueError, match="mmap closed or invalid"):
        bytes(m)


def test_buffer_the_map_as_an_argument_to_itself(m):
    """find and write take any buffer, the map itself included."""
    assert m.find(m) == 0
    m.seek(1)
    assert m.find(memoryview(m)[:5]) == -1
    m.seek(0)
    with pytest.raises(ValueError, match="data out of range"):
        m.write(m[:1] + bytes(64))
    assert m.write(memoryview(m)[:5]) == 5


def test_buffer_exports_match_the_stdlib():
    """The same sequence of exports, closes and resizes on both modules."""
    results = []
    for module in (mmap, mmapc):
        out = []
        mm = module.mmap(-1, 16)
        views = [memoryview(mm) for _ in range(3)]
        for v in views:
            for call in (mm.close, lambda: mm.resize(8)):
                try:
                    call()
                    out.append("ok")
                except BufferError as e:
                    out.append(str(e))
            v.release()
        mm.resize(8)
        out.append(len(mm))
        mm.close()
        results.append(out)
    assert results[0] == results[1]
    assert results[0][-1] == 8
