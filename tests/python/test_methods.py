"""test_methods.py: every method of mmapc.mmap and every exception it documents, against
stated expectations (the values Python 3.11 gives, written out), on anonymous and file maps.

test_compare.py checks the same ground by running the standard library side by side; this
file says what the answers are, so that a change in both would still be caught.

Not here: tags (test_tagname.py), buffers (test_buffer.py), deliberate differences
(test_deviations.py).
"""
import errno
import os

import pytest

import mmapc

PAGE = mmapc.PAGESIZE
TEXT = b"line one\nline two\n\nlast"


@pytest.fixture(params=["anonymous", "file"])
def m(request, datafile):
    """A map holding TEXT, anonymous or of a file."""
    if request.param == "anonymous":
        mm = mmapc.mmap(-1, len(TEXT))
        mm.write(TEXT)
        mm.seek(0)
    else:
        mm = mmapc.mmap(datafile(TEXT), 0)
    yield mm
    mm.close()


def raises(exc, msg, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc
    assert str(info.value) == msg
    return info.value


def test_constructor_anonymous():
    m = mmapc.mmap(-1, 10)
    assert len(m) == 10 and m.tell() == 0 and m[:] == bytes(10) and not m.closed
    assert repr(m) == "<mmapc.mmap closed=False, access=ACCESS_DEFAULT, length=10, pos=0, offset=0>"
    m.close()
    assert repr(m) == "<mmapc.mmap closed=True>"


def test_constructor_checks_and_messages(datafile):
    raises(OverflowError, "memory mapped length must be positive", mmapc.mmap, -1, -1)
    raises(OverflowError, "memory mapped offset must be positive", mmapc.mmap, -1, 1, offset=-1)
    raises(ValueError, "mmap can't specify both access and flags, prot.", mmapc.mmap, -1, 1,
           prot=mmapc.PROT_READ, access=mmapc.ACCESS_READ)
    raises(ValueError, "mmap invalid access parameter.", mmapc.mmap, -1, 1, access=4)
    fd = datafile(b"")
    raises(ValueError, "cannot mmap an empty file", mmapc.mmap, fd, 0)
    fd = datafile(b"x" * 100, "b.bin")
    raises(ValueError, "mmap length is greater than file size", mmapc.mmap, fd, 101)
    raises(ValueError, "mmap offset is greater than file size", mmapc.mmap, fd, 0, offset=PAGE)
    e = raises(OSError, "[Errno 22] Invalid argument", mmapc.mmap, -1, 0)
    assert e.errno == errno.EINVAL
    assert mmapc.mmap(-1, 1, offset=PAGE).__repr__().endswith("offset=%d>" % PAGE)
    with pytest.raises(OSError) as info:
        mmapc.mmap(-1, 1, offset=1)
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:
        mmapc.mmap(-2, 1)
    assert info.value.errno == errno.EBADF
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        mmapc.mmap("x", 1)
    with pytest.raises(OverflowError):
        mmapc.mmap(-1, 2 ** 64)
    with pytest.raises(TypeError, match="required argument 'length'"):
        mmapc.mmap(-1)


def test_constructor_access_modes(datafile):
    fd = datafile(TEXT)
    for access, name in ((mmapc.ACCESS_READ, "ACCESS_READ"), (mmapc.ACCESS_WRITE, "ACCESS_WRITE"),
                         (mmapc.ACCESS_COPY, "ACCESS_COPY"), (mmapc.ACCESS_DEFAULT, "ACCESS_DEFAULT")):
        m = mmapc.mmap(fd, 0, access=access)
        assert "access=%s," % name in repr(m)
        m.close()
    m = mmapc.mmap(fd, 0, prot=mmapc.PROT_READ)
    assert "access=ACCESS_READ" in repr(m)
    m.close()
    m = mmapc.mmap(fd, 0, prot=mmapc.PROT_WRITE)
    assert "access=ACCESS_WRITE" in repr(m)
    m.close()


def test_constructor_readonly_descriptor(datafile):
    fd = datafile(TEXT, flags=os.O_RDONLY)
    with pytest.raises(PermissionError):
        mmapc.mmap(fd, 0)
    m = mmapc.mmap(fd, 0, access=mmapc.ACCESS_READ)
    assert m[:] == TEXT
    m.close()
    m = mmapc.mmap(fd, 0, access=mmapc.ACCESS_COPY)
    m[0] = ord("L")
    assert m[:4] == b"Line"
    m.close()
    assert os.pread(fd, 4, 0) == b"line"


def test_constructor_keeps_a_dup_of_the_descriptor(datafile):
    fd = datafile(TEXT)
    m = mmapc.mmap(fd, 0)
    os.close(fd)
    try:
        assert m.size() == len(TEXT)
        m.resize(5)
        assert m[:] == TEXT[:5]
    finally:
        m.close()
    os.open(os.devnull, os.O_RDONLY)  # give the fixture a descriptor to close at that number


def test_read(m):
    assert m.read(4) == b"line" and m.tell() == 4
    assert m.read(None) == TEXT[4:] and m.tell() == len(TEXT)
    assert m.read() == b"" and m.read(5) == b""
    m.seek(0)
    assert m.read(-1) == TEXT
    m.seek(0)
    assert m.read(0) == b"" and m.tell() == 0
    raises(TypeError, "argument should be integer or None, not 'str'", m.read, "1")
    raises(TypeError, "mmap.read() takes no keyword arguments", lambda: m.read(n=1))


def test_read_byte(m):
    assert [m.read_byte() for _ in range(4)] == list(b"line")
    m.seek(0, 2)
    raises(ValueError, "read byte out of range", m.read_byte)
    raises(TypeError, "mmap.read_byte() takes no arguments (1 given)", m.read_byte, 1)


def test_readline(m):
    assert m.readline() == b"line one\n"
    assert m.readline() == b"line two\n"
    assert m.readline() == b"\n"
    assert m.readline() == b"last"
    assert m.readline() == b""
    assert m.tell() == len(TEXT)


def test_find_and_rfind(m):
    assert m.find(b"line") == 0
    assert m.find(b"line", 1) == 9
    assert m.find(b"line", 1, 12) == -1
    assert m.rfind(b"line") == 9
    assert m.rfind(b"line", 0, 12) == 0
    assert m.find(b"nope") == -1 and m.rfind(b"nope") == -1
    assert m.find(b"\n", -5) == len(TEXT) - 5
    m.seek(10)
    assert m.find(b"line") == -1  # the default start is the position
    assert m.rfind(b"line") == -1
    assert m.tell() == 10
    assert m.find(b"") == 10 and m.rfind(b"") == len(TEXT)
    assert m.find(b"", 100) == len(TEXT)  # not -1, unlike bytes.find
    assert m.find(b"", 8, 3) == 8 and m.rfind(b"", 8, 3) == 3  # Python 3.11's answer
    assert m.find(bytearray(b"two")) == 14
    raises(TypeError, "a bytes-like object is required, not 'str'", m.find, "line")
    raises(TypeError, "'NoneType' object cannot be interpreted as an integer", m.find, b"l", None)


def test_write(m):
    assert m.write(b"LINE") == 4 and m.tell() == 4
    assert m[:8] == b"LINE one"
    assert m.write(b"") == 0
    raises(ValueError, "data out of range", m.write, b"x" * len(TEXT))
    assert m.tell() == 4 and m[:8] == b"LINE one"  # nothing written
    m.seek(0, 2)
    assert m.write(b"") == 0
    raises(ValueError, "data out of range", m.write, b"x")
    raises(TypeError, "a bytes-like object is required, not 'str'", m.write, "x")


def test_write_byte(m):
    assert m.write_byte(ord("L")) is None and m.tell() == 1 and m[0] == ord("L")
    raises(OverflowError, "unsigned byte integer is greater than maximum", m.write_byte, 256)
    raises(OverflowError, "unsigned byte integer is less than minimum", m.write_byte, -1)
    raises(TypeError, "'bytes' object cannot be interpreted as an integer", m.write_byte, b"a")
    m.seek(0, 2)
    raises(ValueError, "write byte out of range", m.write_byte, 1)


def test_seek_and_tell(m):
    assert m.seek(3) is None and m.tell() == 3  # None in Python 3.11
    m.seek(2, os.SEEK_CUR)
    assert m.tell() == 5
    m.seek(-1, os.SEEK_END)
    assert m.tell() == len(TEXT) - 1
    m.seek(len(TEXT))
    raises(ValueError, "seek out of range", m.seek, len(TEXT) + 1)
    raises(ValueError, "seek out of range", m.seek, -1)
    raises(ValueError, "seek out of range", m.seek, 2 ** 63 - 1, 1)
    raises(ValueError, "unknown seek type", m.seek, 0, 3)
    assert m.tell() == len(TEXT)


def test_len_and_size(m, request):
    assert len(m) == len(TEXT)
    assert m.size() == len(TEXT)


def test_size_is_the_whole_file(datafile):
    fd = datafile(b"x" * (2 * PAGE))
    m = mmapc.mmap(fd, 10, offset=PAGE)
    assert len(m) == 10 and m.size() == 2 * PAGE
    os.ftruncate(fd, 3 * PAGE)
    assert m.size() == 3 * PAGE
    m.close()


def test_getitem_and_slices(m):
    assert m[0] == ord("l") and m[-1] == ord("t")
    assert m[0:4] == b"line" and m[::-1] == TEXT[::-1] and m[1:20:3] == TEXT[1:20:3]
    assert m[100:200] == b"" and m[-2 ** 70:2 ** 70] == TEXT
    raises(IndexError, "mmap index out of range", lambda: m[len(TEXT)])
    raises(IndexError, "mmap index out of range", lambda: m[-len(TEXT) - 1])
    raises(IndexError, "cannot fit 'int' into an index-sized integer", lambda: m[2 ** 64])
    raises(TypeError, "mmap indices must be integers", lambda: m["a"])
    raises(ValueError, "slice step cannot be zero", lambda: m[::0])


def test_setitem_and_slices(m):
    m[0] = ord("L")
    m[-1] = ord("T")
    m[1:4] = b"INE"
    m[5::100] = b"O"
    assert m[:8] == b"LINE One" and m[-1] == ord("T")
    m[::-1] = m[:]
    assert m[:] == (b"LINE One" + TEXT[8:-1] + b"T")[::-1]
    raises(IndexError, "mmap index out of range", m.__setitem__, len(TEXT), b"\0")
    raises(TypeError, "mmap item value must be an int", m.__setitem__, 0, b"a")
    raises(ValueError, "mmap item value must be in range(0, 256)", m.__setitem__, 0, 256)
    raises(IndexError, "mmap slice assignment is wrong size", m.__setitem__, slice(0, 2), b"a")
    raises(TypeError, "mmap indices must be integer", m.__setitem__, "a", 1)
    raises(TypeError, "mmap doesn't support item deletion", m.__delitem__, 0)
    raises(TypeError, "mmap object doesn't support slice deletion", m.__delitem__, slice(0, 1))
    m[50:60] = b""  # an empty slice out of range is a no-op
    assert m.tell() == 0


def test_iteration_and_contains(m):
    assert list(m) == [bytes([c]) for c in TEXT]
    assert b"l" in m and b"Q" not in m
    assert ord("l") not in m  # items are length-1 bytes, as in Python


def test_move(m):
    m.move(0, 5, 3)
    assert m[:8] == b"onee one"
    m.move(1, 0, len(TEXT) - 1)
    m.move(len(TEXT), len(TEXT), 0)
    raises(ValueError, "source, destination, or count out of range", m.move, 1, 0, len(TEXT))
    raises(ValueError, "source, destination, or count out of range", m.move, -1, 0, 1)
    raises(TypeError, "move() takes exactly 3 arguments (2 given)", m.move, 1, 2)
    assert m.tell() == 0


def test_flush(m):
    assert m.flush() is None
    assert m.flush(0, len(m)) is None
    raises(ValueError, "flush values out of range", m.flush, 1)  # size defaults to len
    raises(ValueError, "flush values out of range", m.flush, -1, 1)
    with pytest.raises(OSError) as info:
        m.flush(1, 0)
    assert info.value.errno == errno.EINVAL


def test_flush_writes_the_file(datafile, tmp_path):
    fd = datafile(TEXT)
    m = mmapc.mmap(fd, 0)
    m[:4] = b"LINE"
    m.flush()
    assert (tmp_path / "data.bin").read_bytes()[:4] == b"LINE"
    m.close()


def test_madvise(m):
    assert m.madvise(mmapc.MADV_NORMAL) is None
    assert m.madvise(mmapc.MADV_WILLNEED, 0, 10 ** 9) is None  # clipped
    raises(ValueError, "madvise start out of bounds", m.madvise, mmapc.MADV_NORMAL, len(m))
    raises(ValueError, "madvise start out of bounds", m.madvise, mmapc.MADV_NORMAL, -1)
    raises(ValueError, "madvise length invalid", m.madvise, mmapc.MADV_NORMAL, 0, -1)
    raises(OverflowError, "madvise length too large", m.madvise, mmapc.MADV_NORMAL, 1,
           2 ** 63 - 1)
    with pytest.raises(OSError) as info:
        m.madvise(mmapc.MADV_NORMAL, 1)
    assert info.value.errno == errno.EINVAL


def test_resize_file(datafile, tmp_path):
    fd = datafile(TEXT)
    m = mmapc.mmap(fd, 0)
    m.seek(len(TEXT))
    m.resize(4)
    assert len(m) == 4 and m[:] == b"line" and m.tell() == len(TEXT)
    assert os.fstat(fd).st_size == 4
    assert m.read() == b"" and m.readline() == b""
    raises(ValueError, "seek out of range", m.seek, 0, 1)
    m.resize(10)
    assert m[:] == b"line" + bytes(6) and os.fstat(fd).st_size == 10
    raises(ValueError, "new size out of range", m.resize, -1)
    m.close()


def test_resize_window_sets_the_file_to_offset_plus_size(datafile):
    fd = datafile(b"y" * (2 * PAGE))
    m = mmapc.mmap(fd, 50, offset=PAGE)
    m.resize(60)
    assert os.fstat(fd).st_size == PAGE + 60
    m.close()


def test_resize_refusals(datafile):
    fd = datafile(TEXT)
    for access in (mmapc.ACCESS_READ, mmapc.ACCESS_COPY):
        m = mmapc.mmap(fd, 0, access=access)
        raises(TypeError, "mmap can't resize a readonly or copy-on-write memory map.",
               m.resize, 5)
        m.close()
    m = mmapc.mmap(fd, 0, trackfd=False)
    raises(ValueError, "mmap can't resize with trackfd=False.", m.resize, 5)
    with pytest.raises(OSError) as info:
        m.size()
    assert info.value.errno == errno.EBADF
    m.close()


def test_readonly_map_refuses_every_write(datafile):
    m = mmapc.mmap(datafile(TEXT), 0, access=mmapc.ACCESS_READ)
    msg = "mmap can't modify a readonly memory map."
    raises(TypeError, msg, m.write, b"x")
    raises(TypeError, msg, m.write_byte, 1)
    raises(TypeError, msg, m.move, 0, 1, 1)
    raises(TypeError, msg, m.move, -1, -1, -1)  # before the range check
    raises(TypeError, msg, m.__setitem__, 0, 1)
    raises(TypeError, msg, m.__setitem__, 10 ** 6, b"bad")  # before the index and value
    raises(TypeError, msg, m.__setitem__, slice(0, 1), b"x")
    raises(OverflowError, "unsigned byte integer is greater than maximum", m.write_byte, 300)
    assert m.flush() is None
    assert m[:] == TEXT
    m.close()


def test_copy_map_never_changes_the_file(datafile, tmp_path):
    fd = datafile(TEXT)
    m = mmapc.mmap(fd, 0, access=mmapc.ACCESS_COPY)
    m[:4] = b"LINE"
    m.flush()
    assert m[:4] == b"LINE" and os.pread(fd, 4, 0) == b"line"
    m.close()


def test_close_and_closed_map(m):
    m.close()
    assert m.closed is True
    assert m.close() is None  # idempotent
    msg = "mmap closed or invalid"
    for call in (lambda: m.read(), m.read_byte, m.readline, lambda: m.find(b"a"),
                 lambda: m.rfind(b"a"), lambda: m.write(b"a"), lambda: m.write_byte(1),
                 lambda: m.seek(0), m.tell, m.size, lambda: m.resize(1), m.flush,
                 lambda: m.madvise(mmapc.MADV_NORMAL), lambda: m.move(0, 0, 0),
                 lambda: len(m), lambda: m[0], lambda: m[0:1], lambda: m.__setitem__(0, 1),
                 lambda: m.__setitem__(slice(0, 1), b"a"), lambda: memoryview(m),
                 lambda: list(m), lambda: b"a" in m, m.__enter__, lambda: m.read("bad"),
                 lambda: m.write_byte(1000)):
        raises(ValueError, msg, call)
    assert m.__exit__(None, None, None) is None


def test_context_manager(datafile):
    with mmapc.mmap(-1, 3) as m:
        m.write(b"abc")
        assert not m.closed
    assert m.closed
    with pytest.raises(ZeroDivisionError):
        with mmapc.mmap(-1, 3) as m2:
            1 / 0
    assert m2.closed


def test_dealloc_without_close_frees_everything(datafile):
    fd = datafile(TEXT)
    for _ in range(50):
        m = mmapc.mmap(fd, 0)
        m[0] = ord("L")
        del m
    assert os.pread(fd, 1, 0) == b"L"


def test_threads_closing_under_readers_fail_cleanly():
    """A map closed by one thread while others use it raises the closed ValueError in them,
    never crashes."""
    import threading
    m = mmapc.mmap(-1, 1 << 20)
    errors = []
    start = threading.Barrier(5)

    def reader():
        start.wait()
        try:
            for _ in range(20000):
                m.find(b"x")
                m[:16]
                m.seek(0)
                m.read(64)
        except ValueError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    m.close()
    for t in threads:
        t.join()
    assert set(errors) <= {"mmap closed or invalid"}


class Closing:
    """An index that closes the map while the arguments are being converted (gh-103987)."""

    def __init__(self, m, v=1):
        self.m, self.v = m, v

    def __index__(self):
        self.m.close()
        return self.v


@pytest.mark.parametrize("name", ["read", "find", "rfind", "seek", "resize", "flush", "madvise",
                                  "move", "getitem", "getslice", "emptyslice", "setitem",
                                  "setslice", "setitem value", "write_byte"])
def test_map_closed_while_arguments_are_converted(name):
    m = mmapc.mmap(-1, 100)
    c = Closing(m)
    calls = {
        "read": lambda: m.read(c),
        "find": lambda: m.find(b"x", c),
        "rfind": lambda: m.rfind(b"", 0, c),
        "seek": lambda: m.seek(c),
        "resize": lambda: m.resize(c),
        "flush": lambda: m.flush(0, c),
        "madvise": lambda: m.madvise(mmapc.MADV_NORMAL, 0, c),
        "move": lambda: m.move(0, 1, c),
        "getitem": lambda: m[c],
        "getslice": lambda: m[c:50],
        "emptyslice": lambda: m[c:0],
        "setitem": lambda: m.__setitem__(c, 1),
        "setslice": lambda: m.__setitem__(slice(c, 3), b"ab"),
        "setitem value": lambda: m.__setitem__(0, c),
        "write_byte": lambda: m.write_byte(c),
    }
    raises(ValueError, "mmap closed or invalid", calls[name])
    assert m.closed
