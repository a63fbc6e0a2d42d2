# pyxray - interpreter-aware debugging of CPython processes and cores in gdb.
#
#   make            build libpyxray (build/libpyxray.so), stage the Python package
#                   (build/python/pyxray) and write the pyxray CLI (build/pyxray)
#   make check      unit tests (also under ASan/UBSan) and the gdb test suites
#   make demo       start an example program, attach gdb, show py-stack/py-object
#   make bench      py-stack against libpython's py-bt, as ratios
#   make fuzz       libFuzzer targets over cores and decoders (FUZZ_SECONDS=60 each)
#   make install    PREFIX=/usr/local (DESTDIR honoured; PYTHON picks the python3);
#                   make uninstall; make deb (Debian packages): tools/install.mk
#   make layouts    regenerate src/runtime/layouts/ from the CPython headers found here

CC ?= cc
PYTHON ?= python3
PREFIX ?= /usr/local
BUILD ?= build
# One version: the header's (pyxray.__version__ and debian/changelog are
# checked against it by the tests).
VERSION := $(shell sed -n 's/^\#define PYX_VERSION_STRING "\(.*\)"/\1/p' include/pyxray.h)
SOVERSION := 0

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -Iinclude -Isrc
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(BASE_CFLAGS) $(WARN) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LIBS := -ldw -lelf -lz -lzstd -lpthread

LIB_SRCS := $(wildcard src/*/*.c) $(wildcard src/runtime/layouts/*.c)
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
HEADERS := $(wildcard include/*.h src/*/*.h)

# The Python package (the API, the renderers, the CLI), staged beside the
# library so that PYTHONPATH=build/python python3 -c 'import pyxray' works.
PY_SRCS := $(wildcard gdb/pyxray/*.py)
PY_STAGED := $(patsubst gdb/pyxray/%,$(BUILD)/python/pyxray/%,$(PY_SRCS))
# The interpreter itself, not a wrapper such as pyenv's shim (slow to start).
PYTHON_EXE = $(shell $(PYTHON) -c 'import sys; print(sys.executable)')

.PHONY: all lib cli check check-unit check-gdb asan demo bench install uninstall \
	layouts clean deps

all: lib cli generated

lib: $(BUILD)/libpyxray.so $(BUILD)/libpyxray.so.$(SOVERSION) $(BUILD)/libpyxray.a
cli: $(BUILD)/pyxray $(BUILD)/python/.compiled


$(BUILD)/obj/%.o: src/%.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The SONAME is libpyxray.so.0 (what programs linked against it record);
# build/libpyxray.so.0 is there for them to run from the build tree.
# (Relinked when the Makefile changes: the SONAME and libraries are here.)
$(BUILD)/libpyxray.so: $(LIB_OBJS) Makefile
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libpyxray.so.$(SOVERSION) -o $@ $(LIB_OBJS) $(LIBS) $(LDFLAGS)

$(BUILD)/libpyxray.so.$(SOVERSION): | $(BUILD)/libpyxray.so
	ln -sf libpyxray.so $@

$(BUILD)/libpyxray.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/python/pyxray/%.py: gdb/pyxray/%.py
	@mkdir -p $(dir $@)
	cp $< $@

# Byte-compiled once here, so that every run of the CLI does not compile
# the package again (PYTHONDONTWRITEBYTECODE or not).
$(BUILD)/python/.compiled: $(PY_STAGED)
	"$(PYTHON_EXE)" -m compileall -q $(BUILD)/python/pyxray
	@touch $@

$(BUILD)/pyxray: tools/write-launcher | deps
	tools/write-launcher $@ "$(PYTHON_EXE)" "$(abspath $(BUILD)/python)"

# Fail early, with the package names, when the build needs are missing;
# for make check or make demo, what they need too, so that a fresh machine
# gets one apt-get line (tools/deps).
deps:
	@tools/deps build $(sort $(filter check demo,$(MAKECMDGOALS:check-gdb=check)))

include tests/tests.mk
include examples/examples.mk
include bench/bench.mk

layouts:
	$(PYTHON) tools/layouts/generate.py --ids src/runtime/layout_ids.h
	tools/layouts/generate-all

include tools/install.mk

clean:
	rm -rf build build-asan build-fuzz tests/work
