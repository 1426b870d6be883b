"""test_fds.py: no descriptor leaks in local maps: opening and closing many maps of every kind,
failed constructions, maps dropped without close, trackfd=False, and forked children.

Every test in the suite is also checked by conftest's no_fd_leak fixture; these ones make
the many repetitions that turn a one-descriptor leak into a visible one, and count every
descriptor, sockets included.

Not here: tagged maps' descriptors (test_tagname.py, in subprocesses).
"""
import gc
import os

import pytest

import mmapc
from conftest import open_fds


def churn(fd, ro_fd):
    maps = [
        mmapc.mmap(-1, 100),
        mmapc.mmap(-1, 100, flags=mmapc.MAP_PRIVATE),
        mmapc.mmap(-1, 100, trackfd=False),
        mmapc.mmap(fd, 0),
        mmapc.mmap(fd, 0, trackfd=False),
        mmapc.mmap(fd, 0, access=mmapc.ACCESS_COPY),
        mmapc.mmap(ro_fd, 0, access=mmapc.ACCESS_READ),
    ]
    maps[0].resize(200)
    maps[3].resize(300)
    v = memoryview(maps[1])
    v.release()
    for bad in (lambda: mmapc.mmap(-1, 0), lambda: mmapc.mmap(-2, 10),
                lambda: mmapc.mmap(ro_fd, 0), lambda: mmapc.mmap(fd, 10 ** 6),
                lambda: mmapc.mmap(-1, 10, offset=3), lambda: mmapc.mmap(-1, 10, prot=0),
                lambda: mmapc.mmap(-1, 2 ** 62)):
        with pytest.raises((OSError, ValueError)):
            bad()
    for m in maps[:4]:
        m.close()
    del maps  # the rest without close


def test_fds_many_maps_leave_no_descriptor(datafile):
    fd = datafile(b"z" * 5000)
    ro_fd = datafile(b"r" * 100, "ro.bin", flags=os.O_RDONLY)
    churn(fd, ro_fd)
    gc.collect()
    before = open_fds()
    for _ in range(200):
        churn(fd, ro_fd)
    gc.collect()
    assert open_fds() == before


def test_fds_an_open_map_holds_exactly_one(datafile):
    fd = datafile(b"z" * 100)
    before = len(open_fds())
    m = mmapc.mmap(fd, 0)
    a = mmapc.mmap(-1, 10)
    assert len(open_fds()) == before + 2  # a dup of fd, and a's memfd
    n = mmapc.mmap(-1, 10, trackfd=False)
    assert len(open_fds()) == before + 2  # trackfd=False keeps none
    for x in (m, a, n):
        x.close()
    assert len(open_fds()) == before


def test_fds_descriptors_are_close_on_exec(datafile):
    import fcntl
    fd = datafile(b"z" * 100)
    before = set(open_fds())
    m = mmapc.mmap(fd, 0)
    a = mmapc.mmap(-1, 10)
    new = set(open_fds()) - before
    assert len(new) == 2
    for d in new:
        assert fcntl.fcntl(d, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    m.close()
    a.close()


def test_fds_forked_child_shares_and_closes(datafile):
    m = mmapc.mmap(-1, 100)
    before = open_fds()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            m[:5] = b"child"
            m.close()
            code = 0 if len(open_fds()) == len(before) - 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert m[:5] == b"child"
    m.close()
