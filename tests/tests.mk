# tests/tests.mk - `make check`: C unit tests (normally and under
# ASan/UBSan), the Python package's tests, then the DejaGnu suites driving
# a real gdb and the CLI against real CPython processes and core files.  The last line printed is
# "N passed, N failed"; the exit status is non-zero on any failure.

RUNTEST ?= runtest
TESTS_WORK := $(CURDIR)/tests/work

-include tests/unit/unit.mk
-include tests/tools/tools.mk

.PHONY: check check-gdb check-deps check-python test-pythons

check: all check-deps
	@tests/run-checks

check-deps:
	@tools/require-test-deps

# The Python package's own tests (no gdb, no target process).
check-python: all
	@$(PYTHON) tests/python/run.py

# One suite: make check-gdb RUNTESTFLAGS="live.exp"
check-gdb: all check-deps test-tools
	@mkdir -p $(TESTS_WORK)
	cd $(TESTS_WORK) && $(RUNTEST) --tool pyxray --srcdir $(CURDIR)/tests \
		--outdir $(TESTS_WORK) $(RUNTESTFLAGS)

# CPython 3.14 and 3.15 from Debian's archive, unpacked beside the system
# (tests/lib/fetch-pythons says where and how).
test-pythons:
	@tools/deps fetch
	@tests/lib/fetch-pythons
-include tests/fuzz/fuzz.mk
