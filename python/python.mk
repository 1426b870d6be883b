# python/python.mk: the Python binding (module mmapc), included by the top-level Makefile.
#
#   make python            build $(B)/python/mmapc$(EXT_SUFFIX) for Debian's /usr/bin/python3
#   make check-python      run tests/python with python3-pytest against the build tree
#   make install-python    copy the module to $(DESTDIR)$(PYTHONDIR) (see below)
#   make uninstall-python  remove it
#
# The module links libmmapc statically ($(LIB_A), whose objects are -fPIC), so it is one
# self-contained file: no rpath, no LD_LIBRARY_PATH, and nothing but libprotobuf-c to find at
# run time. Like every extension Debian ships, it is not linked against libpython: the
# interpreter that imports it provides those symbols. It is built against /usr/bin/python3
# and its python3-config explicitly, never whatever python3 comes first in PATH. Needs the
# Debian packages python3-dev (headers) and, for check-python, python3-pytest.
#
# Not here: anything of the C build (the main Makefile owns LIB_A, MMAPD, CFLAGS, ...).

PYTHON ?= /usr/bin/python3
PYTHON_CONFIG ?= $(PYTHON)-config
# Where Debian's python3 looks: /usr/lib/python3/dist-packages for the system's own packages
# (PREFIX=/usr), /usr/local/lib/python3.X/dist-packages for local installs (the default
# PREFIX). Only install-python and uninstall-python ask python for its version.
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell \
	$(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages)

# -isystem, so that Python's own headers are not held to our warnings.
PY_INCLUDES := $(patsubst -I%,-isystem %,$(shell $(PYTHON_CONFIG) --includes 2>/dev/null))
PY_EXT_SUFFIX := $(shell $(PYTHON_CONFIG) --extension-suffix 2>/dev/null)
PY_MODULE = $(B)/python/mmapc$(PY_EXT_SUFFIX)
PY_SRCS = $(wildcard python/*.c)
PY_OBJS = $(PY_SRCS:python/%.c=$(B)/python/obj/%.o)

# Under ASan the runtime must be loaded before Python's own libraries, and Python itself
# "leaks" by LeakSanitizer's standards, so the tests run with the runtime preloaded and leak
# detection off.
comma := ,
PY_TEST_ENV = PYTHONPATH=$(abspath $(B)/python) MMAPD_BIN=$(abspath $(MMAPD)) \
	PYTHONDONTWRITEBYTECODE=1
ifneq ($(filter address,$(subst $(comma), ,$(SANITIZE))),)
PY_TEST_ENV += LD_PRELOAD=$(shell $(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0
endif
.PHONY: python check-python install-python uninstall-python python-deps-check

python: $(PY_MODULE)

python-deps-check:
	@test -n "$(PY_EXT_SUFFIX)" || { echo "python: $(PYTHON_CONFIG) not found;" \
		"install Debian's python3-dev (apt-get install python3-dev)" >&2; exit 1; }

$(B)/python/obj/%.o: python/%.c | python-deps-check
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(PY_INCLUDES) -fPIC $(CFLAGS) -c $< -o $@

$(PY_MODULE): $(PY_OBJS) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,--exclude-libs,ALL $(BASE_LDFLAGS) $(LDFLAGS) \
		-o $@ $(PY_OBJS) $(LIB_A) $(LIB_LIBS)

check-python: $(PY_MODULE) $(MMAPD)
	@$(PYTHON) -c 'import pytest' 2>/dev/null || { echo "check-python: pytest missing for" \
		"$(PYTHON); install Debian's python3-pytest" >&2; exit 1; }
	$(Q)$(PY_TEST_ENV) $(PYTHON) -m pytest -q -p no:cacheprovider tests/python $(PYTEST_ARGS)

install-python: $(PY_MODULE)
	install -d $(DESTDIR)$(PYTHONDIR)
	install -m 0644 $(PY_MODULE) $(DESTDIR)$(PYTHONDIR)/

uninstall-python:
	rm -f $(DESTDIR)$(PYTHONDIR)/mmapc$(PY_EXT_SUFFIX)
