"""The target for bench/bench_memory.py's --by-site diff: a process that
runs tracemalloc, allocates N objects at a few dozen sites, stops (the
benchmark takes its pyxray snapshot), allocates N more, and stops again
(the benchmark diffs by site).  As the peer, it times what a program does
to get the same answer itself: tracemalloc.take_snapshot() at both stops
and Snapshot.compare_to(first, 'traceback').

    python sites_target.py N

Prints "STOP1 pid" and stops; continued, prints "STOP2 pid snap_seconds
compare_seconds" and stops again; it exits when killed.
"""
import os
import signal
import sys
import time
import tracemalloc

N = int(sys.argv[1])
tracemalloc.start(10)
KEEP = []


def make(kind, i):
    if kind == 0:
        return [i]
    if kind == 1:
        return {"i": i}
    if kind == 2:
        return "s%d" % i
    return (i, str(i))


def level(depth, kind, n):
    if depth:
        return level(depth - 1, kind, n)
    return [make(kind, i) for i in range(n)]


def grow(n):
    for site in range(32):
        KEEP.append(level(site % 5, site % 4, n // 32))


grow(N)
t0 = time.perf_counter()
first = tracemalloc.take_snapshot()
snap1 = time.perf_counter() - t0
print("STOP1 %d" % os.getpid(), flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
grow(N)
t0 = time.perf_counter()
second = tracemalloc.take_snapshot()
snap2 = time.perf_counter() - t0
t0 = time.perf_counter()
stats = second.compare_to(first, "traceback")
compare = time.perf_counter() - t0
print("STOP2 %d %.6f %.6f %d" % (os.getpid(), snap1 + snap2, compare, len(stats)), flush=True)
del stats, second
os.kill(os.getpid(), signal.SIGSTOP)
signal.pause()
