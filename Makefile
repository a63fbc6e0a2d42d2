# pyxray - interpreter-aware debugging of CPython processes and cores in gdb.
#
#   make            build libpyxray (build/libpyxray.so), stage the Python package
#                   (build/python/pyxray) and write the pyxray CLI (build/pyxray)
#   make check      unit tests (also under ASan/UBSan) and the gdb test suites
#   make demo       start an example program, attach gdb, show py-stack/py-object
#   make bench      py-stack against libpython's py-bt, as ratios
#   make fuzz       libFuzzer targets over cores and decoders (FUZZ_SECONDS=60 each)
#   make install    PREFIX=/usr/local (DESTDIR honoured; PYTHON picks the python3)
#   make layouts    regenerate src/runtime/layouts/ from the CPython headers found here

CC ?= cc
PYTHON ?= python3
PREFIX ?= /usr/local
BUILD ?= build

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -Iinclude -Isrc
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(BASE_CFLAGS) $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
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

all: lib cli

lib: $(BUILD)/libpyxray.so $(BUILD)/libpyxray.a
cli: $(BUILD)/pyxray $(BUILD)/python/.compiled


$(BUILD)/obj/%.o: src/%.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libpyxray.so: $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libpyxray.so -o $@ $^ $(LIBS) $(LDFLAGS)

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

# Fail early, with the package names, when the build needs are missing.
deps:
	@tools/deps build

include tests/tests.mk
include examples/examples.mk
include bench/bench.mk

layouts:
	$(PYTHON) tools/layouts/generate.py --ids src/runtime/layout_ids.h
	tools/layouts/generate-all

# Installed: PREFIX/share/pyxray holds what gdb/ holds in a checkout (the
# gdb script, pyxray_gdb and the pyxray package); pyxray.pth in the
# directory this python3 searches under PREFIX (PYTHONDIR) makes
# `import pyxray` work there, and PREFIX/bin/pyxray runs the CLI.
PYTHONDIR ?= $(shell $(PYTHON) tools/python-site-dir $(PREFIX))
SHAREDIR = $(PREFIX)/share/pyxray

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pyxray $(DESTDIR)$(SHAREDIR)/pyxray_gdb \
		$(DESTDIR)$(SHAREDIR)/pyxray $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PYTHONDIR)
	install -m 755 $(BUILD)/libpyxray.so $(DESTDIR)$(PREFIX)/lib/pyxray/libpyxray.so
	install -m 644 $(BUILD)/libpyxray.a $(DESTDIR)$(PREFIX)/lib/pyxray/libpyxray.a
	install -m 644 include/pyxray.h $(DESTDIR)$(PREFIX)/include/pyxray.h
	install -m 644 gdb/pyxray-gdb.py $(DESTDIR)$(SHAREDIR)/pyxray-gdb.py
	install -m 644 gdb/pyxray_gdb/*.py $(DESTDIR)$(SHAREDIR)/pyxray_gdb/
	install -m 644 gdb/pyxray/*.py $(DESTDIR)$(SHAREDIR)/pyxray/
	"$(PYTHON_EXE)" -m compileall -q -d $(SHAREDIR)/pyxray $(DESTDIR)$(SHAREDIR)/pyxray
	echo "$(SHAREDIR)" > $(DESTDIR)$(PYTHONDIR)/pyxray.pth
	tools/write-launcher $(DESTDIR)$(PREFIX)/bin/pyxray "$(PYTHON_EXE)" "$(SHAREDIR)"
	@echo "Add to ~/.gdbinit:  source $(SHAREDIR)/pyxray-gdb.py"

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/lib/pyxray $(DESTDIR)$(SHAREDIR) \
		$(DESTDIR)$(PREFIX)/bin/pyxray $(DESTDIR)$(PREFIX)/include/pyxray.h \
		$(DESTDIR)$(PYTHONDIR)/pyxray.pth

clean:
	rm -rf build build-asan build-fuzz tests/work
