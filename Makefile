# Makefile: builds libmmapc, mmapd, mmapctl, the tests and the benchmarks into build/.
#
#   make                 the libraries, the daemon and the tools
#   make check           everything CI runs: make test, then the suites under ASan+UBSan and
#                        valgrind, TSan, the stress harness (quick) and the fuzzers (smoke)
#   make test            the quick loop: the Check suites, the Python tests, the install
#                        test and (as root) the systemd container test
#   make run             build and start mmapd in the foreground on the default socket
#   make demo            the demonstrations (a parent and child sharing an anonymous map)
#   make bench           the benchmarks
#   make valgrind        the suites under valgrind memcheck
#   make check-asan      the suites under ASan and UBSan (in $(B)-asan)
#   make tsan-check / stress / stress-quick   tests/stress/stress.mk
#   make fuzz / fuzz-smoke / fuzz-build       fuzz/fuzz.mk
#   make install / uninstall    honour PREFIX, DESTDIR, LIBDIR, SYSTEMDUNITDIR, PYTHONDIR
#   make python / check-python  the Python module mmapc and its tests (python/python.mk)
#   make systemd-check   mmapd under a real systemd in a container (part of check as root)
#   make format / format-check  clang-format over the tree
#   make deps            install the Debian packages the build needs (as root)
#   V=1 shows the commands; WERROR=0 lets warnings pass.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=

B ?= build
CC ?= cc
CFLAGS ?= -O2 -g
WERROR ?= 1
SANITIZE ?=

SONAME_MAJOR = 0
VERSION = 0.1.0

WARNINGS = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wimplicit-fallthrough -Wshadow -Wpointer-arith -Wformat=2
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

BASE_CFLAGS = -std=gnu11 -pthread -fvisibility=hidden -MMD -MP $(WARNINGS) -Iinclude -Iproto
BASE_LDFLAGS = -pthread
ifneq ($(SANITIZE),)
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BASE_LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifeq ($(V),1)
Q =
else
Q = @
endif

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
PROTOBUF_LIBS := $(shell pkg-config --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c)
UV_LIBS := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
SYSTEMD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)

# ---- the wire: generated protobuf-c code lives in build/ and only proto/wire.c includes it
PROTO_GEN = $(B)/gen/mmapd.pb-c.c $(B)/gen/mmapd.pb-c.h
WIRE_OBJS = $(B)/pic/proto/wire.o $(B)/pic/gen/mmapd.pb-c.o

$(B)/gen/mmapd.pb-c.c $(B)/gen/mmapd.pb-c.h &: proto/mmapd.proto
	@mkdir -p $(B)/gen
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --proto_path=proto --c_out=$(B)/gen $<

$(B)/pic/gen/mmapd.pb-c.o: $(B)/gen/mmapd.pb-c.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -fPIC -fvisibility=hidden $(CFLAGS) $(if $(SANITIZE),-fsanitize=$(SANITIZE)) \
		-I$(B)/gen -c $< -o $@

$(B)/pic/proto/wire.o: BASE_CFLAGS += -I$(B)/gen
$(B)/pic/proto/wire.o: $(B)/gen/mmapd.pb-c.h

# The daemon's own state record (proto/state.proto), kept in systemd's fd store; only
# proto/state.c includes its generated code.
STATE_OBJS = $(B)/proto/state.o $(B)/gen/state.pb-c.o

$(B)/gen/state.pb-c.c $(B)/gen/state.pb-c.h &: proto/state.proto
	@mkdir -p $(B)/gen
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --proto_path=proto --c_out=$(B)/gen $<

$(B)/gen/state.pb-c.o: $(B)/gen/state.pb-c.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -fvisibility=hidden $(CFLAGS) $(if $(SANITIZE),-fsanitize=$(SANITIZE)) \
		-I$(B)/gen -c $< -o $@

$(B)/proto/state.o: BASE_CFLAGS += -I$(B)/gen
$(B)/proto/state.o: $(B)/gen/state.pb-c.h

# ---- libmmapc ----------------------------------------------------------------------------
LIB_SRCS = client/map.c client/map_io.c client/find.c client/conn.c client/tag.c client/admin.c
LIB_OBJS = $(LIB_SRCS:%.c=$(B)/pic/%.o) $(WIRE_OBJS)
LIB_LIBS = $(PROTOBUF_LIBS)
LIB_SO = $(B)/libmmapc.so.$(VERSION)
LIB_A = $(B)/libmmapc.a

# ---- mmapd --------------------------------------------------------------------------------
# Everything but main.c is the daemon's core, which the unit tests link directly.
DAEMON_CORE_SRCS = $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_CORE_OBJS = $(DAEMON_CORE_SRCS:%.c=$(B)/%.o) $(STATE_OBJS)
DAEMON_LIBS = $(UV_LIBS) $(SYSTEMD_LIBS) $(PROTOBUF_LIBS)
MMAPD = $(B)/mmapd

$(MMAPD): $(B)/daemon/main.o $(DAEMON_CORE_OBJS) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS)

# ---- mmapctl ------------------------------------------------------------------------------
MMAPCTL = $(B)/mmapctl

MMAPCTL_OBJS = $(patsubst %.c,$(B)/%.o,$(wildcard tools/mmapctl*.c))

$(MMAPCTL): $(MMAPCTL_OBJS) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# ---- tests -------------------------------------------------------------------------------
TEST_SRCS = $(wildcard tests/*.c)
TEST_OBJS = $(TEST_SRCS:%.c=$(B)/%.o)
TEST_BIN = $(B)/tests/run-tests

DEMO_BINS = $(B)/examples/fork-demo $(B)/examples/tag-demo

# ---- benchmarks ----------------------------------------------------------------------------
BENCH_SRCS = $(wildcard bench/*.c)
BENCH_OBJS = $(BENCH_SRCS:%.c=$(B)/%.o)
BENCH_BIN = $(B)/mmapd-bench

$(BENCH_BIN): $(BENCH_OBJS) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS) -lm

# ---- the Python binding (module mmapc): python/python.mk ---------------------------------
include python/python.mk
include tests/stress/stress.mk
include fuzz/fuzz.mk

ALL_TARGETS = $(LIB_SO) $(B)/libmmapc.so.$(SONAME_MAJOR) $(B)/libmmapc.so $(LIB_A) $(MMAPD) \
	$(MMAPCTL) $(DEMO_BINS) $(PY_MODULE)

.PHONY: all check test run demo bench valgrind install uninstall clean format format-check \
	deps systemd-check check-asan \
	build-check build-test build-demo build-run build-bench
.DEFAULT_GOAL := all
.SECONDARY:

all: $(ALL_TARGETS)

# The entry points a person runs on a fresh machine install the Debian packages first
# (tools/install-deps), then build in a second make, whose pkg-config calls see them.
check test demo run bench:
	$(Q)tools/install-deps
	$(Q)$(MAKE) --no-print-directory build-$@

deps:
	$(Q)tools/install-deps

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -fPIC $(CFLAGS) -c $< -o $@

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -c $< -o $@

$(LIB_SO): $(LIB_OBJS) client/libmmapc.sym
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libmmapc.so.$(SONAME_MAJOR) \
		-Wl,--version-script=client/libmmapc.sym -Wl,--no-undefined \
		$(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJS) $(LIB_LIBS)

$(B)/libmmapc.so.$(SONAME_MAJOR): $(LIB_SO)
	$(Q)ln -sf $(notdir $<) $@

$(B)/libmmapc.so: $(B)/libmmapc.so.$(SONAME_MAJOR)
	$(Q)ln -sf $(notdir $<) $@

$(LIB_A): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# Tests and demos link the static library, so they run from the tree without LD_LIBRARY_PATH
# and see the same code the shared library is built from.
$(TEST_BIN): $(TEST_OBJS) $(DAEMON_CORE_OBJS) $(LIB_A)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(DAEMON_LIBS)

$(B)/examples/%: $(B)/examples/%.o $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LIB_LIBS)

# The integration suites start $(MMAPD) from the build tree; MMAPD_BIN tells them where.
# Then the Python binding's tests, the install test, and mmapd under a real systemd in a
# container (tests/systemd/run: root only; about 75 s the first time, which builds the
# container's root, 25 s after; SYSTEMD_CHECK=0 skips it).
SYSTEMD_CHECK ?= 1
build-test: $(TEST_BIN) $(ALL_TARGETS)
	$(Q)MMAPD_BIN=$(abspath $(MMAPD)) MMAPCTL_BIN=$(abspath $(MMAPCTL)) $(TEST_BIN)
	$(Q)$(MAKE) --no-print-directory check-python
	$(Q)if [ -z "$(SANITIZE)" ]; then tests/install-test $(B); \
	else echo "install: skipped under SANITIZE (a sanitized library needs its runtime first)"; fi
	$(Q)if [ -n "$(SANITIZE)" ] || [ "$(SYSTEMD_CHECK)" = 0 ]; then \
		echo "systemd: skipped (SANITIZE or SYSTEMD_CHECK=0)"; \
	elif [ "$$(id -u)" != 0 ]; then echo "systemd: skipped (needs root)"; \
	else tests/systemd/run $(B); fi

# make check, what CI runs: make test, then every suite again under ASan and UBSan (in
# $(B)-asan), the suites and every daemon under valgrind, the threaded client under TSan,
# the stress harness at CI sizes and each fuzzer for a short fixed time. About 6 minutes
# here (plus a minute the first time, for the container's root); make test alone is the
# quick loop.
build-check: build-test
	$(Q)$(MAKE) --no-print-directory check-asan
	$(Q)$(MAKE) --no-print-directory valgrind
	$(Q)$(MAKE) --no-print-directory tsan-check
	$(Q)$(MAKE) --no-print-directory stress-quick
	$(Q)$(MAKE) --no-print-directory fuzz-smoke

check-asan:
	$(Q)$(MAKE) --no-print-directory B=$(B)-asan SANITIZE=address,undefined build-test

# The suites in one process under memcheck, for memory errors, and every mmapd they start
# under memcheck with leak checking (its exit status, which the tests assert, carries the
# verdict). The test binary's own leaks are LeakSanitizer's (SANITIZE=address): its forked
# children _exit holding objects their parent still owns, which memcheck would call lost.
VALGRIND = valgrind -q --child-silent-after-fork=yes
valgrind: $(TEST_BIN) $(MMAPD)
	$(Q)CK_FORK=no MMAPC_TEST_VALGRIND=1 MMAPD_BIN=$(abspath $(MMAPD)) \
		MMAPD_TEST_WRAPPER="$(VALGRIND) --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --error-exitcode=99" \
		$(VALGRIND) --leak-check=no --error-exitcode=1 $(TEST_BIN)

build-demo: $(DEMO_BINS) $(MMAPD)
	@echo "== a parent and a child sharing an anonymous map (no daemon)"
	$(Q)$(B)/examples/fork-demo
	@echo "== two unrelated processes sharing a tag through mmapd"
	$(Q)examples/run-tag-demo $(B)

# Benchmarks run optimised whatever CFLAGS say; BENCH_ARGS=--json for machine-readable output.
build-bench: $(BENCH_BIN) $(MMAPD)
	$(Q)MMAPD_BIN=$(abspath $(MMAPD)) $(BENCH_BIN) $(BENCH_ARGS)

# mmapd under a real systemd, booted in a container (tests/systemd/run): socket activation,
# READY, STATUS, the watchdog, restarts. Not part of check yet: it needs debootstrap's
# download of a Debian root (about a minute, cached in $(B)/systemd-root.tar).
systemd-check: all
	$(Q)tests/systemd/run $(B)

# The main job: mmapd in the foreground on the default socket (MMAPD_SOCKET overrides it).
build-run: $(MMAPD)
	exec $(MMAPD) $(MMAPD_ARGS)

MAN_PAGES = $(wildcard man/*.[1-8])

# The .pc file and the service unit name install paths, so they are made by install itself,
# with the PREFIX, LIBDIR and SBINDIR of this install, never from a stale earlier build.
install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libmmapc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmmapc.so.$(SONAME_MAJOR)
	ln -sf libmmapc.so.$(SONAME_MAJOR) $(DESTDIR)$(LIBDIR)/libmmapc.so
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 include/mmapc.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' client/libmmapc.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libmmapc.pc
	install -m 0755 $(MMAPD) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(MMAPCTL) $(DESTDIR)$(BINDIR)/
	install -m 0644 systemd/mmapd.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	sed -e 's|@SBINDIR@|$(SBINDIR)|' systemd/mmapd.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/mmapd.service
	for page in $(MAN_PAGES); do \
		section=$${page##*.}; \
		install -d $(DESTDIR)$(MANDIR)/man$$section; \
		install -m 0644 $$page $(DESTDIR)$(MANDIR)/man$$section/; \
	done
	$(Q)$(MAKE) --no-print-directory install-python

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libmmapc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmmapc.so.$(SONAME_MAJOR) \
		$(DESTDIR)$(LIBDIR)/libmmapc.so $(DESTDIR)$(LIBDIR)/libmmapc.a \
		$(DESTDIR)$(INCLUDEDIR)/mmapc.h $(DESTDIR)$(PKGCONFIGDIR)/libmmapc.pc \
		$(DESTDIR)$(SBINDIR)/mmapd $(DESTDIR)$(BINDIR)/mmapctl \
		$(DESTDIR)$(SYSTEMDUNITDIR)/mmapd.socket $(DESTDIR)$(SYSTEMDUNITDIR)/mmapd.service
	for page in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${page##*.}/$${page##*/}; \
	done
	$(Q)$(MAKE) --no-print-directory uninstall-python

FORMAT_FILES = $(wildcard include/*.h client/*.c client/*.h daemon/*.c daemon/*.h proto/*.c \
	proto/*.h tools/*.c tests/*.c tests/*.h tests/systemd/*.c bench/*.c bench/*.h examples/*.c \
	python/*.c python/*.h fuzz/*.c fuzz/*.h)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
