"""maptwins.py: the same map made twice, once by the standard library's mmap and once by
mmapc, over identical data, so that a test can apply one operation to both and compare what
happened: the result, or the exception's type, errno and message; then the state (closed,
contents, position, length, and the file underneath).

What it is not: a list of expectations. The standard library (Debian's Python 3.11) is the
expectation; the few places where mmapc deliberately differs (mmapc.h, python/README.md) are
named in KNOWN_DIFFERENCES and kept out of the comparisons by the callers.
"""
import mmap
import os

import mmapc

PAGESIZE = mmap.PAGESIZE

# Operations whose outcome differs on purpose (see python/README.md); callers avoid them.
KNOWN_DIFFERENCES = {
    "size() of an anonymous map": "the memory object's size, not OSError(EBADF)",
    "resize(0)": "OSError(EINVAL) without truncating the file first",
    "growing a shared anonymous map": "works in every holder instead of SIGBUS",
    "prot=0": "OSError(EINVAL) instead of a PROT_NONE map that crashes on access",
    "repr": "names the type mmapc.mmap",
}


def normalize(value, m):
    """Makes a result comparable across the two modules."""
    if isinstance(value, (mmap.mmap, mmapc.mmap)):
        return "<the map itself>" if value is m else "<another map>"
    if isinstance(value, str):
        return value.replace("mmapc.mmap", "mmap.mmap")
    return value


def exception_outcome(e):
    return ("raise", type(e).__name__, getattr(e, "errno", None),
            str(e).replace("mmapc.mmap", "mmap.mmap"))


def outcome(fn, m=None):
    """What calling fn() did: ("ok", result) or ("raise", type name, errno, message)."""
    try:
        value = fn()
    except (OSError, ValueError, TypeError, IndexError, OverflowError, BufferError,
            AttributeError) as e:
        return exception_outcome(e)
    return ("ok", normalize(value, m))


def map_state(m):
    if m.closed:
        return ("closed", repr(m).replace("mmapc.mmap", "mmap.mmap"))
    return ("open", m[:], m.tell(), len(m), repr(m).replace("mmapc.mmap", "mmap.mmap"))


class Twin:
    """A stdlib map (std) and an mmapc map (new) made with the same arguments.

    data None: anonymous maps (fileno -1). Otherwise each module gets its own file holding
    data, opened with open_flags. After construction, errors holds each constructor's
    exception outcome (None for success), and a map whose constructor raised is None."""

    def __init__(self, tmp_path, data=None, length=None, open_flags=os.O_RDWR, **kwargs):
        self.fds, self.paths = [], []
        self.anonymous = data is None
        self.kwargs = kwargs
        fds = [-1, -1]
        if not self.anonymous:
            for i in range(2):
                path = tmp_path / ("twin-%d-%d.bin" % (id(self), i))
                path.write_bytes(data)
                self.paths.append(path)
                self.fds.append(os.open(path, open_flags))
            fds = self.fds
        if length is None:
            length = 4096 if self.anonymous else 0
        self.length = length
        made = []
        for module, fd in ((mmap, fds[0]), (mmapc, fds[1])):
            try:
                made.append((module.mmap(fd, length, **kwargs), None))
            except (OSError, ValueError, TypeError, OverflowError) as e:
                made.append((None, exception_outcome(e)))
        (self.std, e1), (self.new, e2) = made
        self.errors = (e1, e2)

    def apply(self, op):
        """Applies op(map) to both maps; returns (stdlib outcome, mmapc outcome)."""
        return (outcome(lambda: op(self.std), self.std),
                outcome(lambda: op(self.new), self.new))

    def states(self):
        return map_state(self.std), map_state(self.new)

    def files(self):
        """The two files' bytes now (None, None for anonymous maps)."""
        if self.anonymous:
            return None, None
        return tuple(p.read_bytes() for p in self.paths)

    def close(self):
        for m in (self.std, self.new):
            if m is not None:
                try:
                    m.close()
                except BufferError:
                    pass
        for fd in self.fds:
            os.close(fd)
        self.fds = []
