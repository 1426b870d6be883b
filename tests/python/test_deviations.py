"""test_deviations.py: the places where mmapc.mmap deliberately differs from Python's mmap
(python/README.md lists them, mmapc.h gives the reasons), each pinned down so that a change
is a decision and not an accident; and where the standard library would crash the process,
a check in a child that it does.

Not here: anything that should match the standard library (test_compare.py).
"""
import errno
import faulthandler
import mmap
import os
import signal

import pytest

import mmapc

PAGE = mmapc.PAGESIZE


def test_deviation_size_of_an_anonymous_map_is_its_memory():
    m = mmapc.mmap(-1, 100)
    assert m.size() == 100  # Python: OSError(EBADF)
    m.resize(50)
    assert m.size() == 100  # the memory object is never shrunk under other holders
    m.close()
    std = mmap.mmap(-1, 100)
    with pytest.raises(OSError) as info:
        std.size()
    assert info.value.errno == errno.EBADF
    std.close()


def test_deviation_resize_zero_changes_nothing(datafile):
    fd = datafile(b"x" * 100)
    m = mmapc.mmap(fd, 0)
    with pytest.raises(OSError) as info:
        m.resize(0)
    assert info.value.errno == errno.EINVAL  # the exception Python raises too
    assert os.fstat(fd).st_size == 100  # but Python has truncated the file to 0 by then
    assert len(m) == 100 and m[:3] == b"xxx"
    m.close()


def test_deviation_growing_a_shared_anonymous_map_is_safe():
    """Grown shared anonymous memory is usable by this process and by a forked child, which
    adopts the growth with its own resize; Python's map takes SIGBUS there."""
    m = mmapc.mmap(-1, 10)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            while m.size() < 3 * PAGE:
                pass
            m.resize(m.size())
            code = 0 if m[-4:] == b"grew" else 2
            m[0:5] = b"child"
        finally:
            os._exit(code)
    m.resize(3 * PAGE)
    m[-4:] = b"grew"
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert m[0:5] == b"child"
    m.close()


def test_deviation_stdlib_shared_anonymous_growth_does_crash():
    """The hazard the previous test is about, shown in a child process."""
    pid = os.fork()
    if pid == 0:
        try:
            faulthandler.disable()  # pytest's handler would print the crash as a failure
            signal.signal(signal.SIGBUS, signal.SIG_DFL)  # and ASan's would turn it into an abort
            std = mmap.mmap(-1, 10)
            std.resize(3 * PAGE)
            std[-1] = 1  # SIGBUS
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGBUS


def test_deviation_prot_none_is_refused():
    with pytest.raises(OSError) as info:
        mmapc.mmap(-1, 10, prot=0)
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:  # Python would dup the descriptor first
        mmapc.mmap(12345, 10, prot=0)
    assert info.value.errno == errno.EBADF


def test_deviation_flags_the_kernel_would_take_are_refused():
    """libmmapc takes MAP_SHARED, MAP_PRIVATE, MAP_POPULATE, MAP_NORESERVE and MAP_LOCKED;
    the binding also drops what Linux ignores (MAP_DENYWRITE, MAP_EXECUTABLE, MAP_STACK) and
    MAP_ANONYMOUS with fileno -1, as Python adds it anyway."""
    for flags in (mmapc.MAP_SHARED | 0x03, mmapc.MAP_PRIVATE | 0x10):  # SHARED_VALIDATE, FIXED
        with pytest.raises(OSError) as info:
            mmapc.mmap(-1, 10, flags=flags)
        assert info.value.errno == errno.EINVAL
    for flags in (mmapc.MAP_SHARED | mmapc.MAP_ANONYMOUS, mmapc.MAP_SHARED | mmapc.MAP_STACK,
                  mmapc.MAP_PRIVATE | mmapc.MAP_DENYWRITE | mmapc.MAP_EXECUTABLE):
        mmapc.mmap(-1, 10, flags=flags).close()


def test_deviation_extra_keywords_and_attributes():
    m = mmapc.mmap(-1, 10, trackfd=False, tagname=None)
    assert m.tagname is None and m.created is False
    with pytest.raises(TypeError):
        mmap.mmap(-1, 10, trackfd=False)  # 3.13's keyword, which 3.11 does not have
    m.close()


def test_deviation_repr_names_the_type():
    m = mmapc.mmap(-1, 10)
    assert repr(m).startswith("<mmapc.mmap closed=False")
    m.close()
    assert repr(m) == "<mmapc.mmap closed=True>"
