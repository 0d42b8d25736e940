# pgpmg — one GNU make for everything: all, check, run, deps, fuzz, bench,
# tls-check.
#
# Objects go to build/ (production flags), build-asan/ (unit tests under
# ASan+UBSan), build-fuzz/ (libFuzzer targets) and, with SANDBOX_DEBUG=1,
# build-sbdebug/ so that a trapping debug build never mixes with the real one.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

CC	?= cc
CLANG	?= clang
PKG	?= pkg-config

ifeq ($(SANDBOX_DEBUG),1)
B	:= build-sbdebug
DEBUG_CPPFLAGS := -DSANDBOX_DEBUG=1
else
B	:= build
DEBUG_CPPFLAGS :=
endif
BA	:= build-asan
BF	:= build-fuzz

WARN	:= -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wmissing-prototypes -Wstrict-prototypes -Wvla
HARDEN	:= -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	   -fstack-clash-protection -fcf-protection
CPPFLAGS := -I. -D_GNU_SOURCE $(DEBUG_CPPFLAGS)
CFLAGS	:= -std=gnu11 -g $(WARN) $(HARDEN)
LDFLAGS	:= -pie -Wl,-z,relro,-z,now -Wl,--as-needed
ASAN_CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer $(WARN) \
	   -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_LDFLAGS := -fsanitize=address,undefined

# Libraries are looked up lazily (=, not :=) so that `make deps` can run on a
# machine where pkg-config does not know them yet.
pc_cflags = $(if $(strip $(1)),$(shell $(PKG) --cflags $(1)))
pc_libs	  = $(if $(strip $(1)),$(shell $(PKG) --libs $(1)))

# ---------------------------------------------------------------- sources
IMSG_SRC   := imsg/imsg.c imsg/imsg_reader.c imsg/imsg_event.c
COMMON_SRC := $(filter-out common/sandbox%.c,$(wildcard common/*.c))
SANDBOX_SRC := $(wildcard common/sandbox*.c)

# Each program and the pkg-config modules it links.  The children link the
# sandbox library; nothing else links more than it needs: smtpd links
# neither gpgme nor libpq, webd never links gpgme.
PROGS	:= pgpmgd pgpmgctl smtpd cryptod keyd policyd webd
CHILDREN := smtpd cryptod keyd policyd webd
SANDBOX_PC := libseccomp libcap-ng
pgpmgd_PC   := libevent
pgpmgctl_PC := libpq libcrypto
smtpd_PC    := libevent libevent_openssl openssl $(SANDBOX_PC)
cryptod_PC  := libevent gpgme $(SANDBOX_PC)
keyd_PC     := libevent gpgme libcrypto $(SANDBOX_PC)
policyd_PC  := libevent libpq libcrypto $(SANDBOX_PC)
webd_PC     := libevent libevent_openssl openssl $(SANDBOX_PC)

ALL_PC	:= libevent libevent_openssl openssl gpgme libpq libcrypto $(SANDBOX_PC)

prog_src = $(wildcard $(1)/*.c)
obj	= $(patsubst %.c,$(2)/obj/%.o,$(1))

LIB	:= $(B)/libpgpmg.a
SBLIB	:= $(B)/libpgpmg_sandbox.a

# ---------------------------------------------------------------- build
all: $(addprefix $(B)/,$(PROGS))

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,$(ALL_PC)) -MMD -MP -c $< -o $@

$(LIB): $(call obj,$(IMSG_SRC) $(COMMON_SRC),$(B))
	@rm -f $@
	ar rcs $@ $^

$(SBLIB): $(call obj,$(SANDBOX_SRC),$(B))
	@rm -f $@
	ar rcs $@ $^

define prog_rule
$(B)/$(1): $(call obj,$(call prog_src,$(1)),$(B)) $(if $(filter $(1),$(CHILDREN)),$(SBLIB)) $(LIB)
	$$(CC) $(LDFLAGS) -o $$@ $$^ $$(call pc_libs,$($(1)_PC))
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# ---------------------------------------------------------------- tests
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
SANDBOX_TEST_SRC := $(wildcard tests/sandbox/*.c)
TEST_PC     := criterion libevent libevent_openssl openssl gpgme libpq libcrypto $(SANDBOX_PC)

INTEG_SRC   := $(wildcard tests/integration/test_*.c)
INTEG_BINS  := $(patsubst %.c,$(B)/%,$(INTEG_SRC))
UNIT_BINS   := $(patsubst %.c,$(B)/%,$(UNIT_SRC))
UNIT_ASAN   := $(patsubst %.c,$(BA)/%,$(UNIT_SRC))
SANDBOX_BIN := $(B)/tests/sandbox/test_sandbox

# Tests may #include the sources they test (smtpd/ is not in the
# library); -MMD records that so an edit there rebuilds them.
$(B)/tests/unit/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,$(TEST_PC)) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(call pc_libs,$(TEST_PC))

$(B)/tests/integration/%: tests/integration/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,$(TEST_PC)) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(call pc_libs,criterion libevent libpq)

# Stand-in children for the integration tests (never installed): a
# protocol offender, a cryptod that splits every job into groups, the
# real cryptod built with PGPMG_TEST_POISON, which dies on a marked
# message, a cryptod that plays plan scripts to policyd, a webd that
# plays console scripts, and a policyd that answers webd's console from
# a script.
TEST_CHILDREN := $(B)/tests/integration/evil_child \
	$(B)/tests/integration/split_cryptod \
	$(B)/tests/integration/poison_cryptod \
	$(B)/tests/integration/plan_cryptod \
	$(B)/tests/integration/dbstatus \
	$(B)/tests/integration/ctladmin \
	$(B)/tests/integration/sealopen \
	$(B)/tests/integration/auth_webd \
	$(B)/tests/integration/ops_policyd
$(B)/tests/integration/evil_child: tests/integration/evil_child.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^
$(B)/tests/integration/split_cryptod: tests/integration/split_cryptod.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,libevent)
# A cryptod that plays plan scripts to policyd (test_policy_plan.sh).
$(B)/tests/integration/plan_cryptod: tests/integration/plan_cryptod.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,libevent)
# A webd that plays console scripts to policyd (test_console_auth.sh).
$(B)/tests/integration/auth_webd: tests/integration/auth_webd.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,libevent)
# A policyd that answers webd's console from a script (test_webd_ops.sh).
$(B)/tests/integration/ops_policyd: tests/integration/ops_policyd.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,libevent)
# A control-socket client for policyd's database status (test_policyd_db.sh).
$(B)/tests/integration/dbstatus: tests/integration/dbstatus.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^
# A control-socket client that sends policy and user commands unchecked
# (test_policy_admin.sh, test_users.sh).
$(B)/tests/integration/ctladmin: tests/integration/ctladmin.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^

# Opens a sealed value of pgpmg.secrets as policyd does and prints its
# SHA-256 (test_secrets.sh).
$(B)/tests/integration/sealopen: tests/integration/sealopen.c policyd/seal.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,libcrypto)

$(B)/tests/integration/poison_cryptod: $(call prog_src,cryptod) $(SBLIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DPGPMG_TEST_POISON $(CFLAGS) $(call pc_cflags,$(cryptod_PC)) $(LDFLAGS) -o $@ $(call prog_src,cryptod) $(SBLIB) $(LIB) $(call pc_libs,$(cryptod_PC))

$(BA)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ASAN_CFLAGS) $(call pc_cflags,$(ALL_PC)) -MMD -MP -c $< -o $@

$(BA)/libpgpmg.a: $(call obj,$(IMSG_SRC) $(COMMON_SRC),$(BA))
	@rm -f $@
	ar rcs $@ $^

$(BA)/tests/unit/%: tests/unit/%.c $(BA)/libpgpmg.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ASAN_CFLAGS) $(call pc_cflags,$(TEST_PC)) -MMD -MP $(ASAN_LDFLAGS) -o $@ $< $(BA)/libpgpmg.a $(call pc_libs,$(TEST_PC))

# The suite runs policyd's password thread (policyd/verifier.c) inside
# policyd's sandbox.
$(SANDBOX_BIN): $(SANDBOX_TEST_SRC) policyd/verifier.c $(SBLIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,$(TEST_PC)) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(TEST_PC))

# ---------------------------------------------------------------- fuzz
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BF)/%,$(FUZZ_SRC))
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS)

fuzz: $(FUZZ_BINS)

# The targets are linked with all of common/, whose password hashing
# (common/passhash.c) needs libcrypto and TLS context (common/tlsserver.c)
# libssl even where nothing calls them.
$(BF)/%: tests/fuzz/%.c $(IMSG_SRC) $(COMMON_SRC)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(call pc_cflags,libevent openssl) -MMD -MP -o $@ $< $(IMSG_SRC) $(COMMON_SRC) $(call pc_libs,libevent openssl)

# ---------------------------------------------------------------- targets
# `make check` and `make run` first make sure the Debian packages are there
# (quietly, and only when something is missing), then do their work in a
# sub-make so that pkg-config sees the freshly installed libraries.
deps:
	@scripts/deps.sh

check:
	@scripts/deps.sh --ensure
	@$(MAKE) --no-print-directory -j$$(nproc) check-build
	@scripts/check.sh

check-build: all $(UNIT_BINS) $(UNIT_ASAN) $(SANDBOX_BIN) $(INTEG_BINS) $(TEST_CHILDREN) fuzz

# The test programs of build/, made but not run (without this, `make
# tests` would name the directory and do nothing).
tests: $(UNIT_BINS) $(SANDBOX_BIN) $(INTEG_BINS) $(TEST_CHILDREN)

# testssl.sh against webd and smtpd's STARTTLS on a private appliance
# (scripts/tls-check.sh); `make check` runs it too.
tls-check:
	@scripts/deps.sh --ensure
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@scripts/tls-check.sh

run:
	@scripts/deps.sh --ensure
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@scripts/run.sh

# The benchmarks' helper programs (bench/*.c): the bare gpgme loop that
# is the crypto pipeline's ceiling, and two samplers of /proc (the RSS of
# a process tree; the system calls processes block in).
BENCH_BINS := $(B)/bench/gpgme_loop $(B)/bench/rss_peak \
	$(B)/bench/syscall_sample
$(B)/bench/gpgme_loop: bench/gpgme_loop.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc_cflags,gpgme) $(LDFLAGS) -o $@ $< $(call pc_libs,gpgme)
$(B)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench-build: all $(BENCH_BINS)

bench: bench-build
	@BENCH_BIN=$(CURDIR)/$(B)/bench PGPMG_BIN=$${PGPMG_BIN:-$(CURDIR)/$(B)} scripts/bench.sh

clean:
	rm -rf build build-asan build-fuzz build-sbdebug

.PHONY: all deps check check-build tests tls-check run bench bench-build fuzz clean

-include $(shell find $(sort build $(B)) build-asan build-fuzz build-sbdebug -name '*.d' 2>/dev/null)
