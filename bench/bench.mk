# make bench: py-stack against CPython's own `thread apply all py-bt`, in
# one run, printed as ratios (bench/run_bench.py says more).  Included by
# the top Makefile.  PYXRAY_BENCH_PYTHON picks the target's interpreter
# (default /usr/bin/python3.11; the peer needs its python3.X-dbg package);
# BENCH_ARGS passes options, e.g. BENCH_ARGS='--keep bench-out'.
# bench/bench_pools.py then times py-pools and the pymalloc block walk on a
# heap of 1.1 GiB, beside sys._debugmallocstats() in the same target.
# bench/bench_heap.py times py-census and py-referrers on 1M and 10M
# gc-tracked objects against a gdb.Value walk of the same lists and
# against the process counting gc.get_objects() itself.
# bench/bench_break.py measures what a py-break costs a running program,
# against a plain gdb breakpoint on the same spot.
# bench/bench_memory.py times py-memory's malloc walk on 1 GiB in 10M
# chunks (against glibc's own mallinfo2/malloc_info in the target),
# diff --by-site against the process's tracemalloc snapshots and
# compare_to, and the memory the CLI takes per object.
# bench/bench_rss.py prints the time and maximum RSS of every command on
# a heap of 10M gc-tracked objects, each in its own process.

.PHONY: bench

bench: all $(BUILD)/pyx-drive
	$(PYTHON) bench/run_bench.py $(BENCH_ARGS)
	$(PYTHON) bench/bench_pools.py
	$(PYTHON) bench/bench_heap.py
	$(PYTHON) bench/bench_break.py
	$(PYTHON) bench/bench_memory.py
	$(PYTHON) bench/bench_rss.py
