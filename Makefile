# pyxray - interpreter-aware debugging of CPython processes and cores in gdb.
#
#   make            build libpyxray (build/libpyxray.so) and the pyxray CLI
#   make check      unit tests (also under ASan/UBSan) and the gdb test suites
#   make demo       start an example program, attach gdb, show py-stack/py-object
#   make bench      py-stack against libpython's py-bt, as ratios
#   make fuzz       libFuzzer targets over cores and decoders (FUZZ_SECONDS=60 each)
#   make install    PREFIX=/usr/local (DESTDIR honoured)
#   make layouts    regenerate src/runtime/layouts/ from the CPython headers found here

CC ?= cc
PYTHON ?= python3
PREFIX ?= /usr/local
BUILD ?= build

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -Iinclude -Isrc
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(BASE_CFLAGS) $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
LIBS := -ldw -lelf

LIB_SRCS := $(filter-out src/cli/%,$(wildcard src/*/*.c)) $(wildcard src/runtime/layouts/*.c)
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
HEADERS := $(wildcard include/*.h src/*/*.h)

.PHONY: all lib cli check check-unit check-gdb asan demo bench install uninstall \
	layouts clean deps

all: lib cli

lib: $(BUILD)/libpyxray.so $(BUILD)/libpyxray.a
cli: $(BUILD)/pyxray

$(BUILD)/obj/%.o: src/%.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libpyxray.so: $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libpyxray.so -o $@ $^ $(LIBS) $(LDFLAGS)

$(BUILD)/libpyxray.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/pyxray: src/cli/pyxray.c $(BUILD)/libpyxray.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libpyxray.a $(LIBS) $(LDFLAGS)

# Fail early, with the package names, when the build needs are missing.
deps:
	@tools/require-build-deps

include tests/tests.mk
include examples/examples.mk
include bench/bench.mk

layouts:
	$(PYTHON) tools/layouts/generate.py --ids src/runtime/layout_ids.h
	tools/layouts/generate-all

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pyxray $(DESTDIR)$(PREFIX)/share/pyxray/pyxray_gdb \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/libpyxray.so $(DESTDIR)$(PREFIX)/lib/pyxray/libpyxray.so
	install -m 644 $(BUILD)/libpyxray.a $(DESTDIR)$(PREFIX)/lib/pyxray/libpyxray.a
	install -m 644 include/pyxray.h $(DESTDIR)$(PREFIX)/include/pyxray.h
	install -m 755 $(BUILD)/pyxray $(DESTDIR)$(PREFIX)/bin/pyxray
	install -m 644 gdb/pyxray.py $(DESTDIR)$(PREFIX)/share/pyxray/pyxray.py
	install -m 644 gdb/pyxray_gdb/*.py $(DESTDIR)$(PREFIX)/share/pyxray/pyxray_gdb/
	@echo "Add to ~/.gdbinit:  source $(PREFIX)/share/pyxray/pyxray.py"

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/lib/pyxray $(DESTDIR)$(PREFIX)/share/pyxray \
		$(DESTDIR)$(PREFIX)/bin/pyxray $(DESTDIR)$(PREFIX)/include/pyxray.h

clean:
	rm -rf build build-asan build-fuzz tests/work
