"""Benchmark target: many threads, each parked with a deep Python stack.

    python3.11 bench/deep_threads.py [--threads N] [--frames M]

Starts N threads (default 100).  Each one recurses until its Python stack
is exactly M frames deep (default 50), counting the threading bootstrap
frames below it and the two threading frames Event.wait() adds above it,
then blocks in Event.wait().  When every thread is parked the main thread
prints "READY <pid> <threads> <frames> <python version>" on stdout and
waits for its stdin to close (or for a 10 minute safety limit), so the
target goes away when the benchmark driver does.
"""
import argparse
import os
import platform
import select
import sys
import threading
import time

# Event.wait() -> Condition.wait() -> (C) lock.acquire(): two Python frames.
WAIT_FRAMES = 2
SAFETY_LIMIT = 600.0

release = threading.Event()
ready_lock = threading.Lock()
ready_count = 0
all_ready = threading.Event()
depth_errors = []


def stack_depth():
    """Python frames of the calling thread, the caller's frame included."""
    f = sys._getframe(1)
    n = 0
    while f is not None:
        n += 1
        f = f.f_back
    return n


def descend(total, threads):
    here = stack_depth()
    if here + WAIT_FRAMES < total:
        return descend(total, threads)
    if here + WAIT_FRAMES != total:
        depth_errors.append(here + WAIT_FRAMES)
    global ready_count
    with ready_lock:
        ready_count += 1
        if ready_count == threads:
            all_ready.set()
    release.wait()
    return here


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=100)
    ap.add_argument("--frames", type=int, default=50)
    args = ap.parse_args()
    sys.setrecursionlimit(max(1000, args.frames * 4))
    threading.stack_size(1 << 20)
    for i in range(args.threads):
        threading.Thread(target=descend, args=(args.frames, args.threads),
                         name="deep-%03d" % i, daemon=True).start()
    if not all_ready.wait(60):
        print("ERROR only %d of %d threads got ready" % (ready_count, args.threads),
              flush=True)
        return 1
    if depth_errors:
        print("ERROR could not make a stack of exactly %d frames (got %d)"
              % (args.frames, depth_errors[0]), flush=True)
        return 1
    # The last thread counted itself just before entering Event.wait(); give
    # it a moment to get there and block.
    time.sleep(0.3)
    print("READY %d %d %d %s" % (os.getpid(), args.threads, args.frames,
                                 platform.python_version()), flush=True)
    deadline = time.monotonic() + SAFETY_LIMIT
    while time.monotonic() < deadline:
        r, _, _ = select.select([sys.stdin], [], [], 5.0)
        if r and not os.read(sys.stdin.fileno(), 4096):
            break  # stdin closed: the driver is gone or done
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
