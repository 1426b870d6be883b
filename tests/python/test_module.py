"""test_module.py: the module mmapc as a stand-in for mmap: its constants, its error, the type's
identity (name, subclassing, weak references, pickling, hashing), and import-level facts.

Not here: the behaviour of maps (test_methods.py, test_compare.py).
"""
import mmap
import pickle
import weakref

import pytest

import mmapc


def constant_names(module):
    return {name for name in dir(module) if name.isupper()}


def test_module_exports_the_constants_of_python_311():
    assert constant_names(mmapc) == constant_names(mmap)
    for name in constant_names(mmap):
        assert getattr(mmapc, name) == getattr(mmap, name), name


def test_module_constants_have_linux_values():
    assert mmapc.MAP_SHARED == 1 and mmapc.MAP_PRIVATE == 2
    assert mmapc.PROT_READ == 1 and mmapc.PROT_WRITE == 2 and mmapc.PROT_EXEC == 4
    assert (mmapc.ACCESS_DEFAULT, mmapc.ACCESS_READ, mmapc.ACCESS_WRITE,
            mmapc.ACCESS_COPY) == (0, 1, 2, 3)
    assert mmapc.PAGESIZE == mmapc.ALLOCATIONGRANULARITY == mmap.PAGESIZE
    assert mmapc.MAP_ANON == mmapc.MAP_ANONYMOUS


def test_module_error_is_oserror():
    assert mmapc.error is OSError


def test_module_type_names():
    assert mmapc.mmap.__name__ == "mmap"
    assert mmapc.mmap.__module__ == "mmapc"
    assert mmapc.mmap.__qualname__ == "mmap"
    assert "tagname" in mmapc.mmap.__doc__


def test_module_has_the_methods_of_python_311():
    ours = {n for n in dir(mmapc.mmap) if not n.startswith("__")}
    theirs = {n for n in dir(mmap.mmap) if not n.startswith("__")}
    assert ours - theirs == {"tagname", "created"}
    assert theirs <= ours


def test_module_unlink_is_a_function():
    assert callable(mmapc.unlink)
    with pytest.raises(TypeError):
        mmapc.unlink(5)
    with pytest.raises(ValueError, match="embedded null character"):
        mmapc.unlink("a\0b")


def test_mmap_subclass_keeps_its_own_name_in_repr():
    class Sub(mmapc.mmap):
        pass

    m = Sub(-1, 3)
    try:
        assert isinstance(m, mmapc.mmap)
        # As in Python, the repr names the object's own type.
        assert repr(m) == "<Sub closed=False, access=ACCESS_DEFAULT, length=3, pos=0, offset=0>"
        m.attr = 1  # a subclass has a __dict__
        assert m.attr == 1
        m.write(b"ab")
        assert m[:] == b"ab\0"
    finally:
        m.close()


def test_mmap_has_no_dict_and_supports_weakrefs():
    m = mmapc.mmap(-1, 1)
    with pytest.raises(AttributeError):
        m.attr = 1
    r = weakref.ref(m)
    assert r() is m
    del m
    assert r() is None


def test_mmap_cannot_be_pickled():
    m = mmapc.mmap(-1, 1)
    try:
        with pytest.raises(TypeError, match="cannot pickle 'mmapc.mmap' object"):
            pickle.dumps(m)
    finally:
        m.close()


def test_mmap_equality_and_hash_are_identity():
    a, b = mmapc.mmap(-1, 4), mmapc.mmap(-1, 4)
    try:
        assert a == a and a != b and a[:] == b[:]
        assert hash(a) == hash(a) and hash(a) != hash(b)
        with pytest.raises(TypeError):
            a < b
    finally:
        a.close()
        b.close()


def test_mmap_audit_hook_sees_construction():
    """The constructor raises the same audit event as Python's (mmap.__new__)."""
    import subprocess
    import sys
    code = ("import sys, mmapc\n"
            "seen = []\n"
            "sys.addaudithook(lambda e, a: e == 'mmap.__new__' and seen.append(a))\n"
            "mmapc.mmap(-1, 7, access=mmapc.ACCESS_WRITE).close()\n"
            "print(seen)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[(-1, 7, 2, 0)]"
