"""The target for bench/bench_heap.py: N gc-tracked objects, a realistic
mix (instances with __slots__, instances with a dict, lists, dicts),
then the in-process peer - collections.Counter over gc.get_objects(), the
census a program can take of itself - timed just before it stops.

    python heap_target.py N

Prints "READY pid objects counter_seconds types" and stops itself with
SIGSTOP; it exits when killed.
"""
import collections
import gc
import os
import signal
import sys
import time

N = int(sys.argv[1])


class Item:
    __slots__ = ("key", "value")

    def __init__(self, i):
        self.key = i
        self.value = None


class Record:
    def __init__(self, i):
        self.i = i
        self.tags = None


gc.disable()
SHARED = []  # dicts refer to it, so the gc tracks them (atomic-only dicts it does not)
items = [Item(i) for i in range(N * 4 // 10)]
records = [Record(i) for i in range(N * 3 // 10)]
lists = [[i] for i in range(N * 2 // 10)]
dicts = [{"i": i, "shared": SHARED} for i in range(N // 10)]
t0 = time.perf_counter()
counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
seconds = time.perf_counter() - t0
print("READY %d %d %.6f %d" % (os.getpid(), sum(counts.values()), seconds, len(counts)),
      flush=True)
del counts
os.kill(os.getpid(), signal.SIGSTOP)
signal.pause()
