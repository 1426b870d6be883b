# fuzz/fuzz.mk: the libFuzzer harnesses (fuzz/*.c), included by the top-level Makefile.
#
#   make fuzz-build   build $(B)/fuzz/fuzz_request, fuzz_reply and fuzz_map with clang
#   make fuzz-smoke   each harness for FUZZ_SMOKE_SECONDS (20) from a copy of its committed
#                     corpus (the committed files are never touched); fails on any finding
#   make fuzz         each harness for FUZZ_SECONDS (600), new inputs merged into the
#                     committed corpus (fuzz/corpus/<name>/), findings in $(B)/fuzz/findings/
#
# The harnesses need clang's libFuzzer (clang 14: -fsanitize=fuzzer), so everything they link
# is compiled here again with $(FUZZ_CC) and the fuzzer's instrumentation, into
# $(B)/fuzz/obj; nothing is shared with the gcc objects of the rest of the build. The
# generated protobuf-c code comes from the main Makefile's rules ($(PROTO_GEN) and
# $(B)/gen/state.pb-c.c). libprotobuf-c, libuv and libsystemd are the system's, not
# instrumented: coverage stops at their boundary.
#
# One fuzzer process at a time (-jobs and -workers are left at 1): the machines this runs on
# are small and shared. FUZZ_ARGS is passed to every run (say FUZZ_ARGS=-runs=10000000).
#
# Not here: the harnesses themselves (fuzz/*.c) and what they cover (fuzz/README-section.md).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_ARGS ?=
FUZZ_NAMES = request reply map

FUZZ_DIR = $(B)/fuzz
FUZZ_OBJ = $(FUZZ_DIR)/obj
FUZZ_SANITIZE = address,undefined
FUZZ_CFLAGS = -std=gnu11 -pthread -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,$(FUZZ_SANITIZE) -fno-sanitize-recover=all \
	-Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wimplicit-fallthrough \
	-Iinclude -Iproto -Idaemon -I$(B)/gen -MMD -MP
FUZZ_LDFLAGS = -pthread -fsanitize=fuzzer,$(FUZZ_SANITIZE)

FUZZ_WIRE_SRCS = proto/wire.c $(B)/gen/mmapd.pb-c.c
FUZZ_STATE_SRCS = proto/state.c $(B)/gen/state.pb-c.c
FUZZ_DAEMON_SRCS = $(filter-out daemon/main.c,$(wildcard daemon/*.c))
FUZZ_LIB_SRCS = $(LIB_SRCS)

# Every source lands in obj/<its path>.o; the generated ones in obj/$(B)/gen/.
fuzz_obj = $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(1))

FUZZ_REQUEST_OBJS = $(call fuzz_obj,fuzz/fuzz_request.c fuzz/request_seeds.c $(FUZZ_DAEMON_SRCS) $(FUZZ_WIRE_SRCS) \
	$(FUZZ_STATE_SRCS))
FUZZ_REPLY_OBJS = $(call fuzz_obj,fuzz/fuzz_reply.c $(FUZZ_WIRE_SRCS) $(FUZZ_STATE_SRCS))
FUZZ_MAP_OBJS = $(call fuzz_obj,fuzz/fuzz_map.c fuzz/map_model.c fuzz/map_seeds.c $(FUZZ_LIB_SRCS) $(FUZZ_WIRE_SRCS))

FUZZ_BINS = $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-smoke

fuzz-build: $(FUZZ_BINS)

$(FUZZ_OBJ)/%.o: %.c $(PROTO_GEN) $(B)/gen/state.pb-c.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_request: $(FUZZ_REQUEST_OBJS)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(UV_LIBS) $(SYSTEMD_LIBS) $(PROTOBUF_LIBS)

$(FUZZ_DIR)/fuzz_reply: $(FUZZ_REPLY_OBJS)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(PROTOBUF_LIBS)

$(FUZZ_DIR)/fuzz_map: $(FUZZ_MAP_OBJS)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(PROTOBUF_LIBS)

# The smoke run works on a copy of the corpus, so that CI never changes the tree; a finding
# leaves its input in $(FUZZ_DIR)/findings and fails the target. Printed per harness: the
# last status line (executions, coverage, features, corpus) and the final statistics.
fuzz-smoke: $(FUZZ_BINS)
	$(Q)set -e; for n in $(FUZZ_NAMES); do \
		rm -rf $(FUZZ_DIR)/smoke/$$n; mkdir -p $(FUZZ_DIR)/smoke/$$n $(FUZZ_DIR)/findings; \
		cp fuzz/corpus/$$n/* $(FUZZ_DIR)/smoke/$$n/ 2>/dev/null || true; \
		echo "== fuzz_$$n: $(FUZZ_SMOKE_SECONDS) s"; \
		if ! $(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SMOKE_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/findings/$$n- $(FUZZ_ARGS) \
			$(FUZZ_DIR)/smoke/$$n > $(FUZZ_DIR)/smoke/$$n.log 2>&1; then \
			tail -n 60 $(FUZZ_DIR)/smoke/$$n.log; \
			echo "fuzz_$$n: FAILED (input in $(FUZZ_DIR)/findings/)"; exit 1; \
		fi; \
		grep -E '^#[0-9]+[[:space:]].*cov: ' $(FUZZ_DIR)/smoke/$$n.log | tail -n 1; \
		grep -E '^stat::' $(FUZZ_DIR)/smoke/$$n.log | tr -s ' \n' ' '; echo; \
	done

# The long run grows a scratch corpus from the committed one, then merges what is new back
# into fuzz/corpus/<name>/ (-merge=1 adds only inputs that add coverage).
fuzz: $(FUZZ_BINS)
	$(Q)set -e; for n in $(FUZZ_NAMES); do \
		rm -rf $(FUZZ_DIR)/long/$$n; mkdir -p $(FUZZ_DIR)/long/$$n $(FUZZ_DIR)/findings \
			fuzz/corpus/$$n; \
		echo "== fuzz_$$n: $(FUZZ_SECONDS) s"; \
		if ! $(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/findings/$$n- $(FUZZ_ARGS) \
			$(FUZZ_DIR)/long/$$n fuzz/corpus/$$n > $(FUZZ_DIR)/long/$$n.log 2>&1; then \
			tail -n 60 $(FUZZ_DIR)/long/$$n.log; \
			echo "fuzz_$$n: FAILED (input in $(FUZZ_DIR)/findings/)"; exit 1; \
		fi; \
		grep -E '^#[0-9]+[[:space:]].*cov: ' $(FUZZ_DIR)/long/$$n.log | tail -n 1; \
		grep -E '^stat::' $(FUZZ_DIR)/long/$$n.log | tr -s ' \n' ' '; echo; \
		$(FUZZ_DIR)/fuzz_$$n -merge=1 fuzz/corpus/$$n $(FUZZ_DIR)/long/$$n \
			> $(FUZZ_DIR)/long/$$n.merge.log 2>&1; \
		grep -E 'MERGE-OUTER: [0-9]+ new files' $(FUZZ_DIR)/long/$$n.merge.log || true; \
	done

# Dependency files: the main Makefile includes every .d under $(B), these among them.
