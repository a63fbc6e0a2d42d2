# tests/tests.mk - `make check`: C unit tests (normally and under
# ASan/UBSan), then the DejaGnu suites driving a real gdb against real
# CPython processes and core files.  The last line printed is
# "N passed, N failed"; the exit status is non-zero on any failure.

RUNTEST ?= runtest
TESTS_WORK := $(CURDIR)/tests/work

-include tests/unit/unit.mk
-include tests/tools/tools.mk

.PHONY: check check-gdb check-deps

check: all check-deps
	@tests/run-checks

check-deps:
	@tools/require-test-deps

# One suite: make check-gdb RUNTESTFLAGS="live.exp"
check-gdb: all check-deps test-tools
	@mkdir -p $(TESTS_WORK)
	cd $(TESTS_WORK) && $(RUNTEST) --tool pyxray --srcdir $(CURDIR)/tests \
		--outdir $(TESTS_WORK) $(RUNTESTFLAGS)
-include tests/fuzz/fuzz.mk
