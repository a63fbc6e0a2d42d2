"""The target of bench/bench_pools.py: a process with at least MIB MiB
in pymalloc blocks.

    python big_heap.py OUT.json [MIB]

Builds (i, str(i)) pairs - a 2-tuple, an int and a short str, about 160
bytes of pymalloc blocks per pair - until MIB MiB (default 1100), then
times sys._debugmallocstats() inside itself (stderr to /dev/null, the
median of 3 calls), writes OUT.json {pid, version, stats_seconds, stats},
and as its very last act prints the statistics once more to OUT.stats
(nothing allocates after that) and stops itself with SIGSTOP.
"""
import gc
import json
import os
import signal
import statistics
import sys
import time

OUT = sys.argv[1]
MIB = int(sys.argv[2]) if len(sys.argv) > 2 else 1100
STATS = os.path.splitext(OUT)[0] + ".stats"


def build(mib):
    n = mib * 1024 * 1024 // 160
    return [(i, str(i)) for i in range(n)]


def time_stats():
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    times = []
    try:
        os.dup2(devnull, 2)
        for _ in range(3):
            t0 = time.perf_counter()
            sys._debugmallocstats()
            times.append(time.perf_counter() - t0)
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)
    return statistics.median(times)


def main():
    gc.disable()
    t0 = time.perf_counter()
    heap = build(MIB)
    built = time.perf_counter() - t0
    seconds = time_stats()
    tmp = OUT + ".tmp"
    with open(tmp, "w") as fp:
        json.dump({"pid": os.getpid(), "version": sys.version.split()[0],
                   "pairs": len(heap), "build_seconds": built,
                   "stats_seconds": seconds, "stats": STATS}, fp)
    os.rename(tmp, OUT)
    fd = os.open(STATS, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    saved = os.dup(2)
    pid, sig = os.getpid(), signal.SIGSTOP
    dup2, kill, stats = os.dup2, os.kill, sys._debugmallocstats
    dup2(fd, 2)
    stats()
    dup2(saved, 2)
    kill(pid, sig)
    return heap


if __name__ == "__main__":
    main()
