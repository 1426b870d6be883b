"""test_tagname.py: named maps (tagname=...) through a private mmapd: creating and attaching,
sharing between processes (unrelated ones and forked ones), a tag's lifetime, views at an
offset, growth seen by other holders, read-only and copy-on-write holders, unlink, file-backed
tags, the daemon's refusals as OSErrors, and descriptors (ours and the daemon's) not leaking.

The daemon is conftest's session mmapd; every test uses tag names no other test uses.

Not here: local maps (test_methods.py, test_compare.py).
"""
import errno
import os
import time

import pytest

import mmapc
from conftest import open_fds, run_python

PAGE = mmapc.PAGESIZE


def test_tag_first_open_creates_later_ones_attach(tagname):
    a = mmapc.mmap(-1, 2 * PAGE, tagname=tagname)
    b = mmapc.mmap(-1, 0, tagname=tagname)
    try:
        assert a.created is True and b.created is False
        assert a.tagname == b.tagname == tagname
        assert len(a) == len(b) == 2 * PAGE
        assert a.size() == 2 * PAGE
        a[:5] = b"hello"
        assert b[:5] == b"hello"
        b.seek(PAGE)
        b.write(b"world")
        assert a.find(b"world") == PAGE
        assert repr(a) == ("<mmapc.mmap closed=False, access=ACCESS_DEFAULT, length=%d, pos=0, "
                           "offset=0, tagname=%r>" % (2 * PAGE, tagname))
    finally:
        a.close()
        b.close()


def test_tag_smaller_view_and_larger_refused(tagname):
    a = mmapc.mmap(-1, 1000, tagname=tagname)
    try:
        small = mmapc.mmap(-1, 10, tagname=tagname)
        assert len(small) == 10
        small.close()
        with pytest.raises(OSError) as info:
            mmapc.mmap(-1, 5000, tagname=tagname)
        assert info.value.errno == errno.EFBIG
    finally:
        a.close()


def test_tag_view_at_an_offset(tagname):
    a = mmapc.mmap(-1, 100, tagname=tagname, offset=PAGE)
    try:
        assert a.size() == PAGE + 100  # the tag is created at offset + length
        whole = mmapc.mmap(-1, 0, tagname=tagname)
        a[:3] = b"off"
        assert whole[PAGE:PAGE + 3] == b"off" and len(whole) == PAGE + 100
        whole.close()
        with pytest.raises(OSError) as info:
            mmapc.mmap(-1, 10, tagname=tagname, offset=1)
        assert info.value.errno == errno.EINVAL
    finally:
        a.close()


def test_tag_shared_with_an_unrelated_process(tagname, daemon):
    m = mmapc.mmap(-1, PAGE, tagname=tagname)
    try:
        m.write(b"from parent\n")
        out = run_python(
            "import mmapc\n"
            "m = mmapc.mmap(-1, 0, tagname=%r)\n"
            "print(m.created, len(m), m.readline())\n"
            "m[100:110] = b'from child'\n"
            "m.close()\n" % tagname, env=daemon.env())
        assert out.split() == ["False", str(PAGE), "b'from", "parent\\n'"]
        assert m[100:110] == b"from child"
    finally:
        m.close()


def test_tag_shared_with_a_forked_child(tagname):
    m = mmapc.mmap(-1, PAGE, tagname=tagname)
    try:
        pid = os.fork()
        if pid == 0:  # the child: the inherited map and a new open of the name
            status = 1
            try:
                m[0:5] = b"child"
                again = mmapc.mmap(-1, 0, tagname=tagname)
                again[10:15] = b"again"
                status = 0 if again.created is False else 2
                again.close()
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert m[0:5] == b"child" and m[10:15] == b"again"
    finally:
        m.close()


def test_tag_lives_while_held_and_dies_with_its_last_holder(tagname, daemon):
    make = ("import mmapc, sys\n"
            "m = mmapc.mmap(-1, 64, tagname=%r)\n"
            "print(m.created, m[:4])\n"
            "m[:4] = b'data'\n" % tagname)
    # Held by nobody once the process that made it is gone: the next open creates it anew.
    assert run_python(make, env=daemon.env()).split() == ["True", "b'\\x00\\x00\\x00\\x00'"]
    assert run_python(make, env=daemon.env()).split() == ["True", "b'\\x00\\x00\\x00\\x00'"]
    # Held here, so a process that comes and goes finds it and its bytes.
    m = mmapc.mmap(-1, 64, tagname=tagname)
    try:
        assert run_python(make, env=daemon.env()).split() == ["False", "b'\\x00\\x00\\x00\\x00'"]
        assert m[:4] == b"data"
        assert run_python(make, env=daemon.env()).split() == ["False", "b'data'"]
    finally:
        m.close()
    again = mmapc.mmap(-1, 64, tagname=tagname)
    assert again.created and again[:4] == bytes(4)
    again.close()


def test_tag_growth_is_seen_and_adopted_by_other_holders(tagname):
    a = mmapc.mmap(-1, PAGE, tagname=tagname)
    b = mmapc.mmap(-1, 0, tagname=tagname)
    try:
        a.resize(3 * PAGE)
        a[-3:] = b"end"
        assert len(b) == PAGE and b.size() == 3 * PAGE
        b.resize(b.size())
        assert b[-3:] == b"end"
        with pytest.raises(OSError) as info:  # a shrink while another holder exists
            a.resize(PAGE)
        assert info.value.errno == errno.EBUSY
        assert len(a) == 3 * PAGE
    finally:
        b.close()
    a.resize(PAGE)  # the only holder may shrink
    assert len(a) == PAGE and a.size() == PAGE
    a.close()


def test_tag_read_only_holder(tagname):
    w = mmapc.mmap(-1, 100, tagname=tagname)
    r = mmapc.mmap(-1, 0, tagname=tagname, access=mmapc.ACCESS_READ)
    try:
        w[:2] = b"hi"
        assert r[:2] == b"hi"
        msg = "mmap can't modify a readonly memory map."
        for call in (lambda: r.write(b"x"), lambda: r.write_byte(1),
                     lambda: r.__setitem__(0, 1), lambda: r.move(0, 1, 1)):
            with pytest.raises(TypeError, match=msg):
                call()
        with pytest.raises(TypeError, match="can't resize a readonly"):
            r.resize(10)
        v = memoryview(r)
        assert v.readonly
        with pytest.raises(TypeError):
            v[0] = 1
        v.release()
    finally:
        r.close()
        w.close()


def test_tag_copy_on_write_holder_keeps_its_writes(tagname):
    w = mmapc.mmap(-1, 100, tagname=tagname)
    c = mmapc.mmap(-1, 0, tagname=tagname, access=mmapc.ACCESS_COPY)
    try:
        c[:4] = b"mine"
        assert w[:4] == bytes(4) and c[:4] == b"mine"
    finally:
        c.close()
        w.close()


def test_tag_unlink(tagname):
    a = mmapc.mmap(-1, 10, tagname=tagname)
    try:
        a[:3] = b"old"
        assert mmapc.unlink(tagname) is None
        b = mmapc.mmap(-1, 10, tagname=tagname)
        assert b.created and b[:3] == bytes(3) and a[:3] == b"old"
        b.close()
        with pytest.raises(FileNotFoundError):
            mmapc.unlink(tagname)
    finally:
        a.close()


def test_tag_backed_by_a_file(tagname, datafile, tmp_path):
    fd = datafile(b"filedata" * 100)
    f = mmapc.mmap(fd, 0, tagname=tagname)
    try:
        assert f.created and len(f) == 800 and f[:8] == b"filedata"
        other = mmapc.mmap(-1, 0, tagname=tagname)
        other[:4] = b"FILE"
        other.close()
        f.flush()
        assert (tmp_path / "data.bin").read_bytes()[:8] == b"FILEdata"
        fd2 = datafile(b"another", "other.bin")
        with pytest.raises(FileExistsError):
            mmapc.mmap(fd2, 0, tagname=tagname)
    finally:
        f.close()


def test_tag_refusals_are_oserrors(tagname):
    for bad in ("", "a/b", "x" * 256, "Global\\", "a\\b", "tab\there"):
        with pytest.raises(OSError) as info:
            mmapc.mmap(-1, 10, tagname=bad)
        assert info.value.errno == errno.EINVAL, bad
    with pytest.raises(OSError) as info:
        mmapc.mmap(-1, 0, tagname=tagname)  # a new anonymous tag needs a length
    assert info.value.errno == errno.EINVAL
    with pytest.raises(TypeError, match="expected str or None for 'tagname', not int"):
        mmapc.mmap(-1, 10, tagname=5)
    with pytest.raises(TypeError, match="expected str or None for 'tagname', not bytes"):
        mmapc.mmap(-1, 10, tagname=b"x")
    with pytest.raises(ValueError, match="embedded null character"):
        mmapc.mmap(-1, 10, tagname="a\0b")
    # Python's own checks still come first.
    with pytest.raises(OverflowError, match="memory mapped length must be positive"):
        mmapc.mmap(-1, -1, tagname=tagname)
    with pytest.raises(ValueError, match="mmap invalid access parameter."):
        mmapc.mmap(-1, 10, tagname=tagname, access=7)


def test_tag_global_name(tagname):
    g = mmapc.mmap(-1, 10, tagname="Global\\" + tagname)
    local = mmapc.mmap(-1, 10, tagname="Local\\" + tagname)
    try:
        assert g.created and local.created
        g[0] = 1
        assert local[0] == 0  # a different tag from the per-user one
        bare = mmapc.mmap(-1, 0, tagname=tagname)
        assert not bare.created  # "Local\\name" and "name" are the same tag
        bare.close()
    finally:
        g.close()
        local.close()


def test_tag_without_trackfd(tagname):
    m = mmapc.mmap(-1, 10, tagname=tagname, trackfd=False)
    try:
        m[:2] = b"ok"
        with pytest.raises(OSError) as info:
            m.size()
        assert info.value.errno == errno.EBADF
        with pytest.raises(ValueError, match="trackfd=False"):
            m.resize(5)
    finally:
        m.close()


def test_tag_exports_block_close_and_resize(tagname):
    m = mmapc.mmap(-1, 10, tagname=tagname)
    v = memoryview(m)
    with pytest.raises(BufferError, match="cannot close exported pointers exist"):
        m.close()
    with pytest.raises(BufferError, match="mmap can't resize with extant buffers exported."):
        m.resize(20)
    v.release()
    m.close()


def test_tag_without_a_daemon(tmp_path):
    env = dict(os.environ)
    env["MMAPD_SOCKET"] = str(tmp_path / "nobody-listens.sock")
    out = run_python("import mmapc\n"
                     "try:\n"
                     "    mmapc.mmap(-1, 10, tagname='t')\n"
                     "except OSError as e:\n"
                     "    print(type(e).__name__, e.errno)\n"
                     "m = mmapc.mmap(-1, 10)\n"  # local maps need no daemon
                     "m.close()\n", env=env)
    assert out.split() == ["FileNotFoundError", str(errno.ENOENT)]


def daemon_fd_count(daemon):
    """The daemon's descriptors, once two readings 20 ms apart agree (it reaps a closed
    connection when its loop next runs)."""
    def count():
        return len(os.listdir("/proc/%d/fd" % daemon.proc.pid))
    last = count()
    for _ in range(100):
        time.sleep(0.02)
        now = count()
        if now == last:
            return now
        last = now
    return last


def test_tag_no_descriptor_leaks_in_client_or_daemon(daemon, tagname):
    before = daemon_fd_count(daemon)
    out = run_python(
        "import errno, os, mmapc\n"
        "def fds():\n"
        "    return len(os.listdir('/proc/self/fd'))\n"
        "m = mmapc.mmap(-1, 10, tagname=%(t)r)\n"  # the connection opens lazily
        "m.close()\n"
        "base = fds()\n"
        "for i in range(50):\n"
        "    a = mmapc.mmap(-1, 4096, tagname=%(t)r)\n"
        "    b = mmapc.mmap(-1, 0, tagname=%(t)r)\n"
        "    r = mmapc.mmap(-1, 0, tagname=%(t)r, access=mmapc.ACCESS_READ)\n"
        "    v = memoryview(a); v.release()\n"
        "    a.resize(8192); b.resize(b.size()); r.close()\n"
        "    for bad in (dict(length=10**6), dict(tagname='a/b'), dict(offset=1)):\n"
        "        kw = dict(length=4096, tagname=%(t)r); kw.update(bad)\n"
        "        try:\n"
        "            mmapc.mmap(-1, **kw)\n"
        "        except OSError:\n"
        "            pass\n"
        "    b.close()\n"
        "    del a\n"  # dealloc without close
        "print(fds() - base)\n" % dict(t=tagname), env=daemon.env())
    assert out.strip() == "0"
    assert daemon_fd_count(daemon) == before


def test_tag_connection_is_one_descriptor(daemon, tagname):
    """In this process, every tagged map talks to the daemon through one connection: five
    tags open at once add at most one socket (none if an earlier test opened it)."""
    socket_fds = {fd for fd, t in open_fds().items() if t.startswith("socket:")}
    maps = [mmapc.mmap(-1, 64, tagname="%s-%d" % (tagname, i)) for i in range(5)]
    grown = {fd for fd, t in open_fds().items() if t.startswith("socket:")} - socket_fds
    assert len(grown) <= 1
    for m in maps:
        m.close()
