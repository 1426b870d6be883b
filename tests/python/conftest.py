"""conftest.py: fixtures for the mmapc binding's tests: a private mmapd, descriptor-leak
checks, and pairs of maps (the standard library's and mmapc's) over identical data.

The tests import the module built in the tree: `make check-python` puts $(B)/python on
PYTHONPATH and names the daemon in MMAPD_BIN. Run by hand:

    PYTHONPATH=build/python MMAPD_BIN=build/mmapd /usr/bin/python3 -m pytest tests/python

Not here: the tests themselves (test_*.py), or any test of libmmapc's C API (tests/*.c).
"""
import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

import mmapc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def open_fds(include_sockets=True):
    """The descriptors open in this process, as {fd: target}."""
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + name)
        except FileNotFoundError:  # the directory's own descriptor, gone already
            continue
        if include_sockets or not target.startswith("socket:"):
            fds[int(name)] = target
    return fds


@pytest.fixture(autouse=True)
def no_fd_leak():
    """Every test must leave the process's descriptors as it found them. Sockets are left out:
    libmmapc keeps one connection to each mmapd it talked to for the life of the process
    (test_tagname checks those in subprocesses)."""
    gc.collect()
    before = open_fds(include_sockets=False)
    yield
    gc.collect()
    after = open_fds(include_sockets=False)
    leaked = {fd: t for fd, t in after.items() if before.get(fd) != t}
    assert not leaked, "descriptors leaked: %r" % leaked


def wait_listening(path, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mmapd exited at start with status %r" % proc.returncode)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(path)
            return
        except OSError:
            time.sleep(0.01)
        finally:
            s.close()
    raise RuntimeError("mmapd did not listen on %s" % path)


class Daemon:
    """mmapd on a socket in a fresh temporary directory, as tests/helpers.c starts it."""

    def __init__(self):
        self.bin = os.environ.get("MMAPD_BIN") or os.path.join(REPO, "build", "mmapd")
        self.dir = tempfile.mkdtemp(prefix="mmapd-pytest-")
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "mmapd.sock")
        log = os.environ.get("MMAPD_TEST_LOG", "error")
        self.proc = subprocess.Popen([self.bin, "--socket", self.socket, "--log-level", log],
                                     stdin=subprocess.DEVNULL)
        wait_listening(self.socket, self.proc)

    def env(self):
        env = dict(os.environ)
        env["MMAPD_SOCKET"] = self.socket
        return env

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)
        return status


@pytest.fixture(scope="session")
def daemon():
    """One mmapd for the session. MMAPD_SOCKET is set for this process (libmmapc reads it
    when it first connects) and for every subprocess a test starts."""
    if not os.access(os.environ.get("MMAPD_BIN") or os.path.join(REPO, "build", "mmapd"),
                     os.X_OK):
        pytest.fail("no mmapd to test against: set MMAPD_BIN (make check-python does)")
    d = Daemon()
    old = os.environ.get("MMAPD_SOCKET")
    os.environ["MMAPD_SOCKET"] = d.socket
    yield d
    status = d.stop()
    if old is None:
        del os.environ["MMAPD_SOCKET"]
    else:
        os.environ["MMAPD_SOCKET"] = old
    assert status == 0, "mmapd did not exit cleanly: %r" % status


_tag_counter = [0]


@pytest.fixture
def tagname(daemon):
    """A tag name no other test uses."""
    _tag_counter[0] += 1
    return "pytest-%d-%d" % (os.getpid(), _tag_counter[0])


def run_python(code, env=None, timeout=60):
    """Runs code in a fresh /usr/bin/python3 (this interpreter) with the same module path,
    returns its stdout; fails the test with its stderr if it fails."""
    proc = subprocess.run([sys.executable, "-c", code], env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, "subprocess failed (%d):\n%s" % (proc.returncode, proc.stderr)
    return proc.stdout


@pytest.fixture
def datafile(tmp_path):
    """A function that makes a file of the given bytes and returns an O_RDWR descriptor
    closed at the end of the test."""
    fds = []

    def make(data, name="data.bin", flags=os.O_RDWR):
        path = tmp_path / name
        path.write_bytes(data)
        fd = os.open(path, flags)
        fds.append(fd)
        return fd

    yield make
    for fd in fds:
        os.close(fd)
