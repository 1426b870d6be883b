# tests/stress/stress.mk: the stress harness and the TSan program, included by the top-level
# Makefile (include tests/stress/stress.mk). It uses the top level's B, CC, flags, LIB_A,
# LIB_SRCS and MMAPD, and adds no source to its wildcards (tests/stress/ is not tests/*.c).
#
#   make stress          chaos, load and exhaustion at the issue's sizes (a few minutes)
#   make stress-quick    the same at CI sizes (under a minute)
#   make tsan-check      a multi-threaded client under ThreadSanitizer, against a plain mmapd
#
# STRESS_ARGS adds options (--seed N, --clients N, a scenario name: chaos, load, exhaust).
# Not here: the Check suites (tests/*.c), the benchmarks.

STRESS_SRCS = tests/stress/stress.c tests/stress/common.c tests/stress/chaos.c \
	tests/stress/load.c tests/stress/exhaust.c \
	tests/stress/exhaust_limits.c tests/stress/exhaust_clients.c
STRESS_OBJS = $(STRESS_SRCS:%.c=$(B)/%.o)
STRESS_BIN = $(B)/mmapd-stress
STRESS_ARGS ?=

$(STRESS_BIN): $(STRESS_OBJS) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(STRESS_OBJS) $(LIB_A) $(LIB_LIBS)

.PHONY: stress stress-quick tsan-check

stress: $(STRESS_BIN) $(MMAPD)
	$(Q)MMAPD_BIN=$(abspath $(MMAPD)) $(STRESS_BIN) $(STRESS_ARGS)

stress-quick: $(STRESS_BIN) $(MMAPD)
	$(Q)MMAPD_BIN=$(abspath $(MMAPD)) $(STRESS_BIN) --quick $(STRESS_ARGS)

# ---- ThreadSanitizer: the library compiled from its sources with clang, into $(B)/tsan/
# (never gcc's objects: every access must be instrumented), and the daemon left plain.
TSAN_CC ?= clang
TSAN_CFLAGS = -std=gnu11 -pthread -fsanitize=thread -fno-omit-frame-pointer -g -O1 -MMD -MP \
	$(WARNINGS) -Iinclude -Iproto -I$(B)/gen
TSAN_LIB_OBJS = $(LIB_SRCS:%.c=$(B)/tsan/%.o) $(B)/tsan/proto/wire.o $(B)/tsan/gen/mmapd.pb-c.o
TSAN_OBJS = $(B)/tsan/tests/stress/tsan.o $(B)/tsan/tests/stress/common.o $(TSAN_LIB_OBJS)
TSAN_BIN = $(B)/tsan/mmapc-tsan
TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1
TSAN_ARGS ?=

$(B)/tsan/%.o: %.c $(B)/gen/mmapd.pb-c.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TSAN-CC $<")
	$(Q)$(TSAN_CC) $(TSAN_CFLAGS) -c $< -o $@

# Generated code is not held to the project's warnings.
$(B)/tsan/gen/mmapd.pb-c.o: $(B)/gen/mmapd.pb-c.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TSAN-CC $<")
	$(Q)$(TSAN_CC) -std=gnu11 -fsanitize=thread -g -O1 -I$(B)/gen -c $< -o $@

$(TSAN_BIN): $(TSAN_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(TSAN_CC) -fsanitize=thread -pthread -o $@ $(TSAN_OBJS) $(LIB_LIBS)

tsan-check: $(TSAN_BIN) $(MMAPD)
	$(Q)MMAPD_BIN=$(abspath $(MMAPD)) TSAN_OPTIONS="$(TSAN_OPTIONS)" $(TSAN_BIN) $(TSAN_ARGS)
