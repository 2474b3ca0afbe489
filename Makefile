# skillsmith — one Makefile for the engine, the dashboard, the simulator,
# the tests and the benchmarks.  `make V=1` shows the commands.

PREFIX   ?= /usr/local
CC       ?= cc
CFLAGS   ?= -O2 -g
PKG_CONFIG ?= pkg-config

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wno-unused-parameter -Wno-format-nonliteral
ifdef WERROR
WARN += -Werror
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CORE_PKGS = libcurl libcjson sqlite3 libgit2 yaml-0.1 libcrypto
UI_PKGS   = ncursesw
SIM_PKGS  = libmicrohttpd libcjson
TEST_PKGS = cmocka libmicrohttpd

BUILD ?= build
ifdef SANITIZE
BUILD := build-san
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

# libFuzzer targets: `make fuzz` builds them with clang and runs each for
# FUZZ_SECONDS on its seed corpus.
ifdef FUZZ
BUILD := build-fuzz
CC := clang
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
endif

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Iinclude -I. -I$(BUILD)/gen $(WARN) $(CFLAGS) $(SANFLAGS) \
             -DSKILLSMITH_VERSION='"$(VERSION)"' -MMD -MP
CORE_CFLAGS = $(ALL_CFLAGS) $(call pc_cflags,$(CORE_PKGS))
UI_CFLAGS   = $(ALL_CFLAGS) $(call pc_cflags,$(CORE_PKGS) $(UI_PKGS)) -DNCURSES_WIDECHAR=1
SIM_CFLAGS  = $(ALL_CFLAGS) $(call pc_cflags,$(SIM_PKGS))
TEST_CFLAGS = $(UI_CFLAGS) $(call pc_cflags,$(TEST_PKGS))

CORE_LIBS = $(call pc_libs,$(CORE_PKGS)) -lm -lpthread
UI_LIBS   = $(call pc_libs,$(UI_PKGS))
SIM_LIBS  = $(call pc_libs,$(SIM_PKGS)) -lm -lpthread
TEST_LIBS = $(call pc_libs,$(TEST_PKGS))
LDFLAGS  ?=
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

ifeq ($(V),1)
Q =
q = @true
else
Q = @
q = @printf '  %-6s %s\n'
endif

CORE_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
UI_SRC   = $(wildcard ui/*.c)
SIM_SRC  = $(wildcard sim/*.c)
TEST_SRC = $(wildcard tests/test_*.c)
BENCH_SRC = $(wildcard bench/bench_*.c)
FUZZ_SRC  = $(wildcard fuzz/fuzz_*.c)
EXAMPLE_SRC = $(wildcard examples/env/*.c)

CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
UI_OBJ   = $(UI_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ  = $(SIM_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ = $(BUILD)/src/main.o
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_BIN  = $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
EXAMPLE_BIN = $(EXAMPLE_SRC:examples/env/%.c=$(BUILD)/examples/%)

CORE_LIB = $(BUILD)/libskillsmith.a
UI_LIB   = $(BUILD)/libskillsmith-ui.a

BIN = $(BUILD)/skillsmith $(BUILD)/skillsmith-sim

.PHONY: all deps test test-unit demo bench install clean fuzz fuzz-build
all: $(BIN) $(EXAMPLE_BIN) bin-links

# Top-level links so `./skillsmith` works from the checkout.
bin-links: $(BIN)
	@ln -sf $(BUILD)/skillsmith skillsmith
	@ln -sf $(BUILD)/skillsmith-sim skillsmith-sim

$(BUILD)/gen/schema.inc: src/schema.sql
	@mkdir -p $(dir $@)
	$(q) GEN $@
	$(Q)sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@

$(BUILD)/src/store.o: $(BUILD)/gen/schema.inc

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(q) CC $<
	$(Q)$(CC) $(CORE_CFLAGS) -c -o $@ $<

$(BUILD)/ui/%.o: ui/%.c
	@mkdir -p $(dir $@)
	$(q) CC $<
	$(Q)$(CC) $(UI_CFLAGS) -c -o $@ $<

$(BUILD)/sim/%.o: sim/%.c
	@mkdir -p $(dir $@)
	$(q) CC $<
	$(Q)$(CC) $(SIM_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(q) CC $<
	$(Q)$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(q) CC $<
	$(Q)$(CC) $(UI_CFLAGS) -c -o $@ $<

# Example environments of the tools harness: standalone programs (cJSON only).
$(BUILD)/examples/%: examples/env/%.c
	@mkdir -p $(dir $@)
	$(q) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(call pc_cflags,libcjson) $(ALL_LDFLAGS) -o $@ $< $(call pc_libs,libcjson)

$(BUILD)/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(q) CC $<
	$(Q)$(CC) $(CORE_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/%: $(BUILD)/fuzz/%.o $(CORE_LIB)
	$(q) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(CORE_LIBS)

$(CORE_LIB): $(CORE_OBJ)
	$(q) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(UI_LIB): $(UI_OBJ)
	$(q) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/skillsmith: $(MAIN_OBJ) $(UI_LIB) $(CORE_LIB)
	$(q) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UI_LIBS) $(CORE_LIBS)

$(BUILD)/skillsmith-sim: $(SIM_OBJ) $(CORE_LIB)
	$(q) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SIM_LIBS) $(CORE_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(UI_LIB) $(CORE_LIB)
	$(q) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(UI_LIBS) $(CORE_LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(UI_LIB) $(CORE_LIB)
	$(q) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UI_LIBS) $(CORE_LIBS)

deps:
	@sh scripts/deps.sh

# Unit tests (cmocka, one binary per module) and command-line tests (shell),
# closing with one line "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory all tests-build
	@BUILD=$(BUILD) sh tests/run.sh

tests-build: $(TEST_BIN)

demo: deps
	@$(MAKE) --no-print-directory all
	@./$(BUILD)/skillsmith demo

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BUILD=$(BUILD) sh bench/run.sh

FUZZ_SECONDS ?= 10
fuzz: deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
	@sh fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

fuzz-build: $(FUZZ_BIN)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/skillsmith/themes
	install -m 755 $(BUILD)/skillsmith $(BUILD)/skillsmith-sim $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/skillsmith.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 themes/*.theme $(DESTDIR)$(PREFIX)/share/skillsmith/themes/

clean:
	rm -rf build build-san build-fuzz skillsmith skillsmith-sim

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
