"""test_compare.py: mmapc.mmap against the standard library's mmap.mmap on identical data.

Every operation is applied to a stdlib map and to an mmapc map made the same way, and the
two outcomes must be equal: the same result, or the same exception type, errno and message;
after it, the same state (closed, contents, position, length, repr) and the same file
underneath. First a fixed list of operations covering every method and its edge cases, on
several kinds of map; then the constructor's argument checks; then random sequences.

Not here: what the stdlib cannot be compared with (tags, the deliberate differences), which
test_tagname.py and test_deviations.py check against stated expectations.
"""
import errno
import mmap
import operator
import os
import random
import re

import pytest

import mmapc
from maptwins import PAGESIZE, Twin, outcome

TEXT = b"abc\ndef\n\nxyz" + bytes(range(256)) + b"tail abc abc\n"

# Kinds of map: (id, Twin keyword arguments, whether it is anonymous).
CONFIGS = [
    ("anon-shared", dict(length=len(TEXT)), True),
    ("anon-private", dict(length=PAGESIZE, flags=mmap.MAP_PRIVATE), True),
    ("anon-read", dict(length=300, prot=mmap.PROT_READ), True),
    ("file-default", dict(data=TEXT), False),
    ("file-window", dict(data=TEXT * 40, length=50), False),
    ("file-offset", dict(data=TEXT * 40, offset=PAGESIZE), False),
    ("file-read", dict(data=TEXT, access=mmap.ACCESS_READ, open_flags=os.O_RDONLY), False),
    ("file-write", dict(data=TEXT, access=mmap.ACCESS_WRITE), False),
    ("file-copy", dict(data=TEXT, access=mmap.ACCESS_COPY), False),
    ("file-private", dict(data=TEXT, flags=mmap.MAP_PRIVATE), False),
    ("file-protread", dict(data=TEXT, prot=mmap.PROT_READ), False),
]


def setitem(k, v):
    return lambda m: operator.setitem(m, k, v)


def delitem(k):
    return lambda m: operator.delitem(m, k)


class Index:
    """An object with __index__, to check that indices are taken as Python takes them."""

    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


def seek_then(pos, op):
    def run(m):
        m.seek(pos)
        return op(m)
    return run


def at_end(op):
    return lambda m: (m.seek(0, 2), op(m))[1]


def past_end(op):
    """The position past the end, as after a shrinking resize (where resize is allowed)."""
    def run(m):
        m.seek(0, 2)
        m.resize(max(1, len(m) // 2))
        return op(m)
    return run


def with_export(op):
    def run(m):
        view = memoryview(m)
        try:
            return op(m)
        finally:
            view.release()
    return run


# The fixed list: every method with ordinary, edge and wrong arguments.
OPS = [
    ("len", len),
    ("closed", lambda m: m.closed),
    ("repr", repr),
    ("bytes", bytes),
    ("tell", lambda m: m.tell()),
    ("read()", lambda m: m.read()),
    ("read(None)", lambda m: m.read(None)),
    ("read(0)", lambda m: m.read(0)),
    ("read(5)", lambda m: (m.read(5), m.tell())),
    ("read(-1)", lambda m: m.read(-1)),
    ("read(huge)", lambda m: m.read(2 ** 62)),
    ("read(2**64)", lambda m: m.read(2 ** 64)),
    ("read(str)", lambda m: m.read("1")),
    ("read(float)", lambda m: m.read(1.5)),
    ("read(Index)", lambda m: m.read(Index(3))),
    ("read(kw)", lambda m: m.read(n=1)),
    ("read(1,2)", lambda m: m.read(1, 2)),
    ("read at end", at_end(lambda m: m.read())),
    ("read_byte", lambda m: [m.read_byte() for _ in range(3)]),
    ("read_byte at end", at_end(lambda m: m.read_byte())),
    ("read_byte(1)", lambda m: m.read_byte(1)),
    ("readline", lambda m: [m.readline() for _ in range(5)]),
    ("readline at end", at_end(lambda m: m.readline())),
    ("readline(1)", lambda m: m.readline(1)),
    ("readline mid", seek_then(2, lambda m: m.readline())),
    ("find", lambda m: m.find(b"abc")),
    ("find start", lambda m: m.find(b"abc", 1)),
    ("find start end", lambda m: m.find(b"abc", 1, -3)),
    ("find neg", lambda m: m.find(b"abc", -20, -1)),
    ("find empty", lambda m: m.find(b"")),
    ("find empty past", lambda m: m.find(b"", 10 ** 6)),
    ("find empty end<start", lambda m: m.find(b"", 5, 2)),
    ("find missing", lambda m: m.find(b"no such bytes")),
    ("find from pos", seek_then(5, lambda m: m.find(b"abc"))),
    ("find bytearray", lambda m: m.find(bytearray(b"\n"))),
    ("find memoryview", lambda m: m.find(memoryview(b"xyz"))),
    ("find str", lambda m: m.find("abc")),
    ("find int", lambda m: m.find(97)),
    ("find None start", lambda m: m.find(b"a", None)),
    ("find huge start", lambda m: m.find(b"a", 2 ** 63)),
    ("find float end", lambda m: m.find(b"a", 0, 1.0)),
    ("find no args", lambda m: m.find()),
    ("find 4 args", lambda m: m.find(b"a", 0, 1, 2)),
    ("rfind", lambda m: m.rfind(b"abc")),
    ("rfind start end", lambda m: m.rfind(b"abc", 0, 15)),
    ("rfind empty", lambda m: m.rfind(b"")),
    ("rfind empty range", lambda m: m.rfind(b"", 3, 7)),
    ("rfind neg", lambda m: m.rfind(b"\n", -30)),
    ("rfind missing", lambda m: m.rfind(b"zzzzzz")),
    ("rfind str", lambda m: m.rfind("a")),
    ("write", lambda m: (m.write(b"HELLO"), m.tell())),
    ("write empty", lambda m: m.write(b"")),
    ("write bytearray", lambda m: m.write(bytearray(b"12"))),
    ("write memoryview", lambda m: m.write(memoryview(b"345"))),
    ("write all", lambda m: m.write(b"Z" * len(m))),
    ("write too much", lambda m: m.write(b"Z" * (len(m) + 1))),
    ("write at end", at_end(lambda m: m.write(b"x"))),
    ("write empty at end", at_end(lambda m: m.write(b""))),
    ("write str", lambda m: m.write("abc")),
    ("write int", lambda m: m.write(3)),
    ("write none", lambda m: m.write()),
    ("write_byte", lambda m: (m.write_byte(65), m.tell())),
    ("write_byte 0", lambda m: m.write_byte(0)),
    ("write_byte 255", lambda m: m.write_byte(255)),
    ("write_byte 256", lambda m: m.write_byte(256)),
    ("write_byte -1", lambda m: m.write_byte(-1)),
    ("write_byte bytes", lambda m: m.write_byte(b"a")),
    ("write_byte str", lambda m: m.write_byte("a")),
    ("write_byte at end", at_end(lambda m: m.write_byte(1))),
    ("write_byte 256 at end", at_end(lambda m: m.write_byte(256))),
    ("seek", lambda m: (m.seek(3), m.tell())),
    ("seek end", lambda m: (m.seek(0, 2), m.tell())),
    ("seek cur", lambda m: (m.seek(2), m.seek(3, 1), m.tell())),
    ("seek cur back", lambda m: (m.seek(5), m.seek(-2, os.SEEK_CUR), m.tell())),
    ("seek neg", lambda m: m.seek(-1)),
    ("seek past end", lambda m: m.seek(len(m) + 1)),
    ("seek to end", lambda m: m.seek(len(m))),
    ("seek end neg", lambda m: (m.seek(-3, 2), m.tell())),
    ("seek end pos", lambda m: m.seek(1, 2)),
    ("seek whence 3", lambda m: m.seek(0, 3)),
    ("seek whence -1", lambda m: m.seek(0, -1)),
    ("seek whence huge", lambda m: m.seek(0, 2 ** 40)),
    ("seek bad whence and range", lambda m: m.seek(-5, 7)),
    ("seek overflow cur", lambda m: (m.seek(1), m.seek(2 ** 63 - 1, 1))),
    ("seek overflow end", lambda m: m.seek(2 ** 63 - 1, 2)),
    ("seek huge", lambda m: m.seek(2 ** 63)),
    ("seek str", lambda m: m.seek("1")),
    ("seek no args", lambda m: m.seek()),
    ("getitem 0", lambda m: m[0]),
    ("getitem -1", lambda m: m[-1]),
    ("getitem len", lambda m: m[len(m)]),
    ("getitem -len-1", lambda m: m[-len(m) - 1]),
    ("getitem huge", lambda m: m[2 ** 64]),
    ("getitem Index", lambda m: m[Index(2)]),
    ("getitem bool", lambda m: m[True]),
    ("getitem str", lambda m: m["a"]),
    ("getitem float", lambda m: m[1.0]),
    ("getitem None", lambda m: m[None]),
    ("slice", lambda m: m[2:7]),
    ("slice all", lambda m: m[:]),
    ("slice step", lambda m: m[1:30:3]),
    ("slice neg step", lambda m: m[::-1]),
    ("slice neg step bounds", lambda m: m[20:2:-4]),
    ("slice neg", lambda m: m[-5:-1]),
    ("slice out", lambda m: m[1000:2000]),
    ("slice empty", lambda m: m[5:2]),
    ("slice step 0", lambda m: m[::0]),
    ("slice huge", lambda m: m[-2 ** 70: 2 ** 70]),
    ("slice huge neg start neg step", lambda m: m[-2 ** 70::-1]),
    ("slice huge neg stop neg step", lambda m: m[:-2 ** 70:-1]),
    ("slice huge neg stop", lambda m: m[:-2 ** 70]),
    ("slice huge step", lambda m: m[::2 ** 70]),
    ("slice huge neg step", lambda m: m[::-2 ** 70]),
    ("slice Index", lambda m: m[Index(1):Index(4)]),
    ("slice str", lambda m: m["a":]),
    ("setitem", setitem(0, 65)),
    ("setitem -1", setitem(-1, 66)),
    ("setitem len", setitem(10 ** 6, 1)),
    ("setitem len bytes", lambda m: operator.setitem(m, len(m), b"\0")),
    ("setitem 256", setitem(0, 256)),
    ("setitem -1 value", setitem(0, -1)),
    ("setitem bytes", setitem(0, b"a")),
    ("setitem huge value", setitem(0, 2 ** 70)),
    ("setitem Index value", setitem(0, Index(7))),
    ("setitem str index", setitem("a", 1)),
    ("setitem float index", setitem(1.5, 1)),
    ("setitem huge index", setitem(2 ** 70, 1)),
    ("setitem str index bad value", setitem("a", "b")),
    ("setslice", setitem(slice(1, 4), b"XYZ")),
    ("setslice step", setitem(slice(0, 9, 3), b"123")),
    ("setslice neg step", setitem(slice(None, None, -1), b"q" * 0)),
    ("setslice neg step all", lambda m: operator.setitem(m, slice(None, None, -1), bytes(range(len(m) % 256)) * 0 + b"r" * len(m))),
    ("setslice wrong size", setitem(slice(1, 4), b"XY")),
    ("setslice empty out of range", setitem(slice(10 ** 6, 10 ** 6 + 5), b"")),
    ("setslice str", setitem(slice(0, 2), "ab")),
    ("setslice int", setitem(slice(0, 2), 5)),
    ("setslice step 0", setitem(slice(0, 2, 0), b"ab")),
    ("setslice bytearray", setitem(slice(0, 2), bytearray(b"!!"))),
    ("setslice memoryview", setitem(slice(0, 2), memoryview(b"??"))),
    ("setslice huge", setitem(slice(-2 ** 70, 2), b"..")),
    ("delitem", delitem(0)),
    ("delitem out of range", delitem(10 ** 6)),
    ("delslice", delitem(slice(0, 1))),
    ("delitem str", delitem("x")),
    ("move", lambda m: m.move(0, 3, 4)),
    ("move overlap", lambda m: m.move(1, 0, 10)),
    ("move zero at end", lambda m: m.move(len(m), len(m), 0)),
    ("move too far", lambda m: m.move(1, 0, len(m))),
    ("move neg", lambda m: m.move(-1, 0, 1)),
    ("move neg count", lambda m: m.move(0, 0, -1)),
    ("move two args", lambda m: m.move(1, 2)),
    ("move str", lambda m: m.move("1", 2, 3)),
    ("flush", lambda m: m.flush()),
    ("flush 0 len", lambda m: m.flush(0, len(m))),
    ("flush 0 0", lambda m: m.flush(0, 0)),
    ("flush off", lambda m: m.flush(1)),
    ("flush unaligned", lambda m: m.flush(1, 0)),
    ("flush neg", lambda m: m.flush(-1, 1)),
    ("flush neg size", lambda m: m.flush(0, -1)),
    ("flush too big", lambda m: m.flush(0, len(m) + 1)),
    ("flush str", lambda m: m.flush("0")),
    ("madvise", lambda m: m.madvise(mmap.MADV_NORMAL)),
    ("madvise range", lambda m: m.madvise(mmap.MADV_WILLNEED, 0, 1)),
    ("madvise unaligned", lambda m: m.madvise(mmap.MADV_NORMAL, 1)),
    ("madvise start len", lambda m: m.madvise(mmap.MADV_NORMAL, len(m))),
    ("madvise start neg", lambda m: m.madvise(mmap.MADV_NORMAL, -1)),
    ("madvise length neg", lambda m: m.madvise(mmap.MADV_NORMAL, 0, -1)),
    ("madvise overflow", lambda m: m.madvise(mmap.MADV_NORMAL, 1, 2 ** 63 - 1)),
    ("madvise clipped", lambda m: m.madvise(mmap.MADV_RANDOM, 0, 10 ** 9)),
    ("madvise bad option", lambda m: m.madvise(12345)),
    ("madvise no args", lambda m: m.madvise()),
    ("madvise huge option", lambda m: m.madvise(2 ** 40)),
    ("resize shrink", lambda m: (m.resize(3), len(m), m.tell())),
    ("resize neg", lambda m: m.resize(-1)),
    ("resize huge", lambda m: m.resize(2 ** 63 - 1)),
    ("resize str", lambda m: m.resize("1")),
    ("resize exported", with_export(lambda m: m.resize(5))),
    ("resize exported neg", with_export(lambda m: m.resize(-1))),
    ("past end read", past_end(lambda m: (m.read(), m.tell()))),
    ("past end readline", past_end(lambda m: m.readline())),
    ("past end read_byte", past_end(lambda m: m.read_byte())),
    ("past end write", past_end(lambda m: m.write(b""))),
    ("past end write_byte", past_end(lambda m: m.write_byte(1))),
    ("past end seek cur", past_end(lambda m: m.seek(0, 1))),
    ("past end find", past_end(lambda m: (m.find(b""), m.rfind(b"")))),
    ("past end repr", past_end(repr)),
    ("close", lambda m: m.close()),
    ("close twice", lambda m: (m.close(), m.close(), m.closed)),
    ("close exported", with_export(lambda m: m.close())),
    ("enter", lambda m: m.__enter__()),
    ("enter args", lambda m: m.__enter__(1)),
    ("exit", lambda m: m.__exit__(None, None, None)),
    ("exit no args", lambda m: m.__exit__()),
    ("with", lambda m: [m.closed for _ in [m.__enter__()]] + [m.__exit__(), m.closed]),
    ("iter", lambda m: list(m)),
    ("contains", lambda m: (b"a" in m, b"\xff" in m, b"Q" in m, 97 in m)),
    ("contains multi", lambda m: b"ab" in m),
    ("memoryview", lambda m: memoryview(m).tobytes()),
    ("memoryview write", lambda m: operator.setitem(memoryview(m), 0, 7)),
    ("memoryview readonly", lambda m: memoryview(m).readonly),
    ("memoryview format", lambda m: (memoryview(m).format, memoryview(m).nbytes)),
    ("re", lambda m: re.findall(rb"[a-z]+", m)),
    ("bytearray", lambda m: bytearray(m)),
    ("concat", lambda m: m + m),
    ("repeat", lambda m: m * 2),
    ("eq", lambda m: (m == m, m == bytes(m), m != m)),
    ("lt", lambda m: m < m),
    ("size", lambda m: m.size()),
    ("size args", lambda m: m.size(1)),
    ("close args", lambda m: m.close(1)),
    ("tell args", lambda m: m.tell(1)),
    ("resize no args", lambda m: m.resize()),
    ("seekable", lambda m: m.seekable()),
    ("attribute", lambda m: m.no_such_attribute),
]

# Methods that raise "closed" on a closed map, whatever their arguments.
CLOSED_OPS = [
    ("len", len), ("read", lambda m: m.read("bad")), ("read_byte", lambda m: m.read_byte()),
    ("readline", lambda m: m.readline()), ("find", lambda m: m.find("bad", "bad")),
    ("rfind", lambda m: m.rfind(b"a")), ("write", lambda m: m.write("bad")),
    ("write_byte", lambda m: m.write_byte(1000)), ("seek", lambda m: m.seek("x", "y")),
    ("tell", lambda m: m.tell()), ("size", lambda m: m.size()),
    ("resize", lambda m: m.resize("bad")), ("flush", lambda m: m.flush(-1)),
    ("madvise", lambda m: m.madvise("x")), ("move", lambda m: m.move(1)),
    ("getitem", lambda m: m[0]), ("getitem bad", lambda m: m["x"]),
    ("getslice", lambda m: m[::0]), ("setitem", setitem(0, 1)),
    ("setitem bad", setitem("x", "y")), ("setslice", setitem(slice(0, 1), b"a")),
    ("delitem", delitem(0)), ("memoryview", memoryview), ("bytes", bytes),
    ("iter", list), ("contains", lambda m: b"a" in m), ("enter", lambda m: m.__enter__()),
    ("close", lambda m: m.close()), ("exit", lambda m: m.__exit__(1, 2, 3)),
    ("closed", lambda m: m.closed), ("repr", repr), ("iter obj", lambda m: type(iter(m)).__name__),
]

def deliberate(anonymous, name, config_id):
    """Outcomes that differ on purpose (python/README.md): size() of an anonymous map is its
    memory object's size instead of OSError(EBADF)."""
    return name == "size" and anonymous


def same_but_errno(name, a, b):
    """A resize the system cannot make is an OSError in both, but libmmapc moves the mapping
    before it changes the file, so the errno is mremap's ENOMEM where Python's ftruncate (or
    mremap) said EFBIG (EINVAL)."""
    return (name == "resize huge" and a[:2] == ("raise", "OSError") and
            b[:3] == ("raise", "OSError", errno.ENOMEM))


def fill(twin, config_id):
    """Anonymous maps start zeroed; give them the same text as the file maps."""
    if twin.anonymous and twin.std is not None and "read" not in config_id:
        for m in (twin.std, twin.new):
            n = min(len(m), len(TEXT))
            m[:n] = TEXT[:n]


def compare_one(tmp_path, config_id, kwargs, anonymous, name, op):
    twin = Twin(tmp_path, **kwargs)
    try:
        assert twin.errors == (None, None), twin.errors
        fill(twin, config_id)
        a, b = twin.apply(op)
        problems = []
        if a != b and not same_but_errno(name, a, b):
            problems.append("%s/%s: stdlib %s, mmapc %s" % (config_id, name, short(a), short(b)))
        sa, sb = twin.states()
        if sa != sb:
            problems.append("%s/%s: state after: stdlib %s, mmapc %s" % (config_id, name,
                                                                        short(sa), short(sb)))
        fa, fb = twin.files()
        if fa != fb:
            problems.append("%s/%s: files differ after it" % (config_id, name))
        return problems
    finally:
        twin.close()


@pytest.mark.parametrize("config_id,kwargs,anonymous", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_compare_every_operation(tmp_path, config_id, kwargs, anonymous):
    problems = []
    compared = 0
    for name, op in OPS:
        if deliberate(anonymous, name, config_id):
            continue
        problems += compare_one(tmp_path, config_id, kwargs, anonymous, name, op)
        compared += 1
    assert compared > 150
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("config_id,kwargs,anonymous", CONFIGS[:4] + CONFIGS[6:7],
                         ids=[c[0] for c in CONFIGS[:4] + CONFIGS[6:7]])
def test_compare_closed_map(tmp_path, config_id, kwargs, anonymous):
    problems = []
    for name, op in CLOSED_OPS:
        twin = Twin(tmp_path, **kwargs)
        try:
            twin.apply(lambda m: m.close())
            a, b = twin.apply(op)
            if a != b:
                problems.append("%s: stdlib %r, mmapc %r" % (name, a, b))
            elif name not in ("close", "exit", "closed", "repr", "iter obj"):
                assert a[:2] == ("raise", "ValueError"), (name, a)
                assert a[3] == "mmap closed or invalid"
        finally:
            twin.close()
    assert not problems, "\n".join(problems)


# ---- the constructor ---------------------------------------------------------------------

ANON_ARGS = [
    ((-1, 10), {}),
    ((-1, 0), {}),
    ((-1, -1), {}),
    ((-1, 2 ** 63), {}),
    ((-1, 2 ** 62), {}),
    ((-1, 10), dict(offset=-1)),
    ((-1, 10), dict(offset=1)),
    ((-1, 10), dict(offset=PAGESIZE)),
    ((-1, 10), dict(offset=2 ** 64)),
    ((-1, 10), dict(access=mmap.ACCESS_READ)),
    ((-1, 10), dict(access=mmap.ACCESS_WRITE)),
    ((-1, 10), dict(access=mmap.ACCESS_COPY)),
    ((-1, 10), dict(access=4)),
    ((-1, 10), dict(access=-1)),
    ((-1, 10), dict(access=mmap.ACCESS_READ, prot=mmap.PROT_READ)),
    ((-1, 10), dict(access=mmap.ACCESS_READ, flags=mmap.MAP_PRIVATE)),
    ((-1, 10), dict(access=mmap.ACCESS_READ, flags=mmap.MAP_SHARED,
                    prot=mmap.PROT_READ | mmap.PROT_WRITE)),
    ((-1, 10), dict(access=9, flags=mmap.MAP_PRIVATE)),
    ((-1, 10), dict(flags=mmap.MAP_PRIVATE)),
    ((-1, 10), dict(flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)),
    ((-1, 10), dict(flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)),
    ((-1, 10), dict(flags=mmap.MAP_PRIVATE | mmap.MAP_DENYWRITE | mmap.MAP_EXECUTABLE)),
    ((-1, 10), dict(flags=mmap.MAP_SHARED | mmap.MAP_STACK)),
    ((-1, 10), dict(flags=0)),
    ((-1, 10), dict(flags=2 ** 40)),
    ((-1, 10), dict(prot=mmap.PROT_READ)),
    ((-1, 10), dict(prot=mmap.PROT_WRITE)),
    ((-1, 10), dict(prot=mmap.PROT_READ | mmap.PROT_EXEC)),
    ((-1, 10, mmap.MAP_SHARED, mmap.PROT_READ, 0, 0), {}),
    ((-1, 10, 1, 3, 0, 0, 5), {}),
    ((-1,), {}),
    ((), {}),
    ((), dict(fileno=-1, length=10)),
    ((-1, 10), dict(length=10)),
    ((-1, 10), dict(bogus=1)),
    (("-1", 10), {}),
    ((-1.0, 10), {}),
    ((-1, 10.0), {}),
    ((-1, "10"), {}),
    ((-1, 10), dict(flags="x")),
    ((-2, 10), {}),
    ((999, 10), {}),
    ((2 ** 31, 10), {}),
    ((999, 10), dict(flags=0)),
    ((-1, 10), dict(tagname=None)),
    ((-1, 10), dict(trackfd=True)),
]


def construction(module, args, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if module is mmapc or k not in ("tagname", "trackfd")}
    m = None
    try:
        m = module.mmap(*args, **kwargs)
        return ("ok", repr(m).replace("mmapc.mmap", "mmap.mmap"), m[:], m.tell())
    except (OSError, ValueError, TypeError, OverflowError) as e:
        return ("raise", type(e).__name__, getattr(e, "errno", None), str(e))
    finally:
        if m is not None:
            m.close()


@pytest.mark.parametrize("args,kwargs", ANON_ARGS, ids=[repr(a) + repr(k) for a, k in ANON_ARGS])
def test_compare_constructor_anonymous(args, kwargs):
    assert construction(mmap, args, kwargs) == construction(mmapc, args, kwargs)


def file_cases(tmp_path):
    """(description, function from module to outcome) for file-backed constructions."""
    big = (TEXT * 40)[:3 * PAGESIZE + 100]
    cases = []

    def case(name, data, length, open_flags=os.O_RDWR, **kwargs):
        def run(module):
            path = tmp_path / ("ctor-%s-%s.bin" % (module.__name__, name))
            path.write_bytes(data)
            fd = os.open(path, open_flags)
            try:
                return construction(module, (fd, length), kwargs)
            finally:
                os.close(fd)
        cases.append((name, run))

    case("all", big, 0)
    case("prefix", big, 100)
    case("exact", big, len(big))
    case("too long", big, len(big) + 1)
    case("empty file", b"", 0)
    case("empty file length", b"", 10)
    case("offset", big, 0, offset=PAGESIZE)
    case("offset length", big, 10, offset=PAGESIZE)
    case("offset at end", big, 0, offset=len(big))
    case("offset past end", big, 0, offset=4 * PAGESIZE)
    case("offset past end length", big, 1, offset=4 * PAGESIZE)
    case("offset unaligned", big, 10, offset=100)
    case("offset window too long", big, len(big) - PAGESIZE + 1, offset=PAGESIZE)
    case("rdonly default", big, 0, open_flags=os.O_RDONLY)
    case("rdonly write", big, 0, open_flags=os.O_RDONLY, access=mmap.ACCESS_WRITE)
    case("rdonly read", big, 0, open_flags=os.O_RDONLY, access=mmap.ACCESS_READ)
    case("rdonly copy", big, 0, open_flags=os.O_RDONLY, access=mmap.ACCESS_COPY)
    case("rdonly private", big, 0, open_flags=os.O_RDONLY, flags=mmap.MAP_PRIVATE)
    case("rdonly protread", big, 0, open_flags=os.O_RDONLY, prot=mmap.PROT_READ)
    case("wronly", big, 0, open_flags=os.O_WRONLY)
    case("wronly read", big, 0, open_flags=os.O_WRONLY, access=mmap.ACCESS_READ)
    case("protexec", big, 0, prot=mmap.PROT_READ | mmap.PROT_EXEC)
    case("negative length", big, -5)
    case("negative offset", big, 5, offset=-4096)
    case("access conflict", big, 0, access=mmap.ACCESS_COPY, flags=mmap.MAP_PRIVATE)
    case("bad access", big, 0, access=5)
    return cases


def test_compare_constructor_files(tmp_path):
    problems = []
    cases = file_cases(tmp_path)
    for name, run in cases:
        a, b = run(mmap), run(mmapc)
        if a != b:
            problems.append("%s: stdlib %r, mmapc %r" % (name, a, b))
    assert len(cases) > 20
    assert not problems, "\n".join(problems)


def test_compare_constructor_special_files():
    """Non-regular files skip the size rules: /dev/zero maps, a pipe is refused."""
    for path, length in (("/dev/zero", 0), ("/dev/zero", 100)):
        fd = os.open(path, os.O_RDWR)
        try:
            assert construction(mmap, (fd, length), {}) == construction(mmapc, (fd, length), {})
        finally:
            os.close(fd)
    r, w = os.pipe()
    try:
        a, b = construction(mmap, (r, 10), {}), construction(mmapc, (r, 10), {})
        assert a == b
        assert a[:3] == ("raise", "PermissionError", 13)
    finally:
        os.close(r)
        os.close(w)


# ---- PySequence_GetItem / PySequence_SetItem (the sequence slots) -----------------------------

def test_compare_sequence_slots(tmp_path):
    import ctypes
    api = ctypes.pythonapi
    api.PySequence_SetItem.argtypes = (ctypes.py_object, ctypes.c_ssize_t, ctypes.py_object)
    api.PySequence_GetItem.argtypes = (ctypes.py_object, ctypes.c_ssize_t)
    api.PySequence_GetItem.restype = ctypes.py_object
    api.PySequence_DelItem.argtypes = (ctypes.py_object, ctypes.c_ssize_t)
    ops = [
        ("get", lambda m: api.PySequence_GetItem(m, 1)),
        ("get -1", lambda m: api.PySequence_GetItem(m, -1)),
        ("get len", lambda m: api.PySequence_GetItem(m, len(m))),
        ("get -big", lambda m: api.PySequence_GetItem(m, -10 ** 6)),
        ("set", lambda m: (api.PySequence_SetItem(m, 1, b"Q"), m[:3])),
        ("set -1", lambda m: api.PySequence_SetItem(m, -1, b"Q")),
        ("set int", lambda m: api.PySequence_SetItem(m, 1, 5)),
        ("set long", lambda m: api.PySequence_SetItem(m, 1, b"QQ")),
        ("set out", lambda m: api.PySequence_SetItem(m, 10 ** 6, 5)),
        ("del", lambda m: api.PySequence_DelItem(m, 1)),
    ]
    for kwargs in (dict(length=20), dict(length=20, prot=mmap.PROT_READ)):
        for name, op in ops:
            twin = Twin(tmp_path, **kwargs)
            try:
                a, b = twin.apply(op)
                assert a == b, (kwargs, name)
                assert twin.states()[0] == twin.states()[1]
            finally:
                twin.close()


# ---- random sequences -------------------------------------------------------------------

MADVICE = [mmap.MADV_NORMAL, mmap.MADV_RANDOM, mmap.MADV_SEQUENTIAL, mmap.MADV_WILLNEED, 999]


def random_config(rng, tmp_path):
    """A random kind of map: (Twin kwargs, anonymous, the largest size a resize may ask)."""
    kind = rng.choice(["anon", "anon-private", "anon-read", "file", "file-offset", "file-ro",
                       "file-copy", "file-private", "file-write", "file-window"])
    if kind.startswith("anon"):
        length = rng.choice([1, 2, 7, 100, PAGESIZE - 1, PAGESIZE, PAGESIZE + 1])
        kw = dict(length=length)
        if kind == "anon-private":
            kw["flags"] = mmap.MAP_PRIVATE
        if kind == "anon-read":
            kw["access"] = mmap.ACCESS_READ
        # A stdlib shared anonymous map takes SIGBUS past its first size, page-rounded.
        limit = -(-length // PAGESIZE) * PAGESIZE if kind == "anon" else 3 * PAGESIZE
        return kw, True, limit
    size = rng.choice([1, 13, 300, PAGESIZE, PAGESIZE + 300, 3 * PAGESIZE])
    data = bytes(rng.choice(b"ab\ncd\0\xff") for _ in range(size))
    kw = dict(data=data)
    if kind == "file-offset" and size > PAGESIZE:
        kw["offset"] = PAGESIZE
    elif kind == "file-ro":
        kw.update(access=mmap.ACCESS_READ, open_flags=os.O_RDONLY)
    elif kind == "file-copy":
        kw["access"] = mmap.ACCESS_COPY
    elif kind == "file-private":
        kw["flags"] = mmap.MAP_PRIVATE
    elif kind == "file-write":
        kw["access"] = mmap.ACCESS_WRITE
    elif kind == "file-window":
        kw["length"] = max(1, size // 2)
    return kw, False, 3 * PAGESIZE


def short(value):
    """A repr of an outcome or state short enough for an assertion message."""
    if isinstance(value, tuple):
        return "(" + ", ".join(short(v) for v in value) + ")"
    if isinstance(value, (bytes, bytearray)) and len(value) > 40:
        return "<%d bytes %r...>" % (len(value), bytes(value[:40]))
    return repr(value)


def random_int(rng, n):
    return rng.choice([0, 1, 2, 3, -1, -2, n - 1, n, n + 1, -n, -n - 1, n // 2, PAGESIZE,
                       2 ** 63 - 1, -2 ** 63, 2 ** 64, rng.randrange(-n - 2, n + 3)])


def random_op(rng, n, anonymous, limit, state):
    """One random operation: (description, function of the map)."""
    i = lambda: random_int(rng, n)  # noqa: E731
    small = lambda: rng.randrange(0, max(1, n) + 2)  # noqa: E731
    data = lambda: bytes(rng.choice(b"abc\n\0") for _ in range(small()))  # noqa: E731
    needle = lambda: rng.choice([b"", b"a", b"ab", b"\n", b"c\n", b"\0\0", b"zz", "a", 1])  # noqa: E731
    choices = [
        ("read", lambda: (lambda a: lambda m: m.read(*a))(
            rng.choice([(), (None,), (i(),), ("x",)]))),
        ("read_byte", lambda: (lambda m: m.read_byte())),
        ("readline", lambda: (lambda m: m.readline())),
        ("write", lambda: (lambda d: lambda m: m.write(d))(rng.choice([data(), data(), "s"]))),
        ("write_byte", lambda: (lambda v: lambda m: m.write_byte(v))(
            rng.choice([0, 97, 255, 256, -1, b"a"]))),
        ("seek", lambda: (lambda a: lambda m: m.seek(*a))(
            rng.choice([(i(),), (i(), rng.choice([0, 1, 2, 3, -1]))]))),
        ("tell", lambda: (lambda m: m.tell())),
        ("find", lambda: (lambda a: lambda m: m.find(*a))(
            (needle(),) + tuple(i() for _ in range(rng.randrange(3))))),
        ("rfind", lambda: (lambda a: lambda m: m.rfind(*a))(
            (needle(),) + tuple(i() for _ in range(rng.randrange(3))))),
        ("getitem", lambda: (lambda k: lambda m: m[k])(i())),
        ("getslice", lambda: (lambda s: lambda m: m[s])(
            slice(rng.choice([None, i()]), rng.choice([None, i()]),
                  rng.choice([None, 1, 2, -1, -3, 0, n + 1])))),
        ("setitem", lambda: (lambda k, v: setitem(k, v))(i(), rng.choice([0, 65, 255, 256, -1, b"a"]))),
        ("setslice", lambda: (lambda s, d: setitem(s, d))(
            slice(rng.choice([None, i()]), rng.choice([None, i()]), rng.choice([None, 1, 2, -1, 0])),
            data())),
        ("move", lambda: (lambda a: lambda m: m.move(*a))((small(), small(), small()))),
        ("flush", lambda: (lambda a: lambda m: m.flush(*a))(
            rng.choice([(), (0,), (0, small()), (i(), i()), (PAGESIZE, 0)]))),
        ("madvise", lambda: (lambda a: lambda m: m.madvise(*a))(
            (rng.choice(MADVICE),) + rng.choice([(), (0,), (i(),), (0, i()), (i(), i())]))),
        ("resize", lambda: (lambda k: lambda m: m.resize(k))(
            rng.choice([rng.randrange(1, limit + 1), 1, n, max(1, n // 2), -1]))),
        ("len", lambda: len),
        ("contains", lambda: (lambda x: lambda m: x in m)(rng.choice([b"a", b"\n", b"Q", 97]))),
        ("export", None),
        ("release", None),
        ("close", lambda: (lambda m: m.close())),
        ("enter", lambda: (lambda m: m.__enter__())),
    ]
    if not anonymous:
        choices.append(("size", lambda: (lambda m: m.size())))
    weights = [3 if name in ("read", "write", "seek", "setslice", "find") else 1
               for name, _ in choices]
    weights[[c[0] for c in choices].index("close")] = 0.2
    name, make = rng.choices(choices, weights)[0]
    return name, make


@pytest.mark.parametrize("seed", range(150))
def test_compare_random_sequences(tmp_path, seed):
    rng = random.Random(seed)
    kwargs, anonymous, limit = random_config(rng, tmp_path)
    twin = Twin(tmp_path, **kwargs)
    views = []
    log = []
    try:
        assert twin.errors[0] == twin.errors[1]
        if twin.std is None:
            return
        for step in range(60):
            n = len(twin.std) if not twin.std.closed else 10
            name, make = random_op(rng, n, anonymous, limit, None)
            if name == "export":
                a = outcome(lambda: memoryview(twin.std))
                b = outcome(lambda: memoryview(twin.new))
                if a[0] == "ok":
                    views.append((a[1], b[1]))
                    a = b = ("ok", "view")
                log.append("export")
            elif name == "release":
                if views:
                    for v in views.pop():
                        v.release()
                log.append("release")
                continue
            else:
                op = make()
                a, b = twin.apply(op)
                log.append(name)
            assert a == b, "seed %d, after %r: stdlib %s, mmapc %s" % (seed, log, short(a),
                                                                         short(b))
            sa, sb = twin.states()
            assert sa == sb, "seed %d, after %r: state %s vs %s" % (seed, log, short(sa),
                                                                   short(sb))
            fa, fb = twin.files()
            assert fa == fb, "seed %d, after %r: the files differ" % (seed, log)
            if not twin.std.closed and not anonymous:
                assert twin.std.size() == twin.new.size()
    finally:
        for pair in views:
            for v in pair:
                v.release()
        twin.close()
