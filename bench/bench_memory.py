#!/usr/bin/env python3
"""make bench, part 4: py-memory, the malloc walk, diff --by-site, and the
memory pyxray takes per object.

  1. malloc: a target holding 1 GiB in 10M malloc chunks
     (bench/malloc_target.py).  Times `pyxray memory --no-objects` (the
     malloc walk, the mappings and pagemap) and `pyxray memory`, against
     glibc's own accounting in the process: mallinfo2() (counters, no walk)
     and malloc_info() (walks the bins).  Checks that pyxray's bytes in use
     agree with mallinfo2's.  Goal: at most 1 s.
  2. by site: a target running tracemalloc with 2 x N traced objects at 32
     sites (bench/sites_target.py).  Times `pyxray leaks diff --by-site`
     against what the program does for the same answer:
     tracemalloc.take_snapshot() and Snapshot.compare_to(old,
     'traceback'); and pyxray's snapshot, which records every object and
     the memory too.  Goal: faster than the process.
  3. per object: the CLI's peak RSS in `memory` and `leaks snapshot` on a
     heap of 1M objects (bench/heap_target.py), per object.

Prints the times and the ratios of the same run; never judges them.
Exit status 1 when a measurement failed or the walk disagreed with glibc.

Environment: PYXRAY_BENCH_PYTHON (default /usr/bin/python3.11).
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLI = os.path.join(ROOT, "build", "pyxray")


def log(msg=""):
    print(msg, flush=True)


def wait_stopped(pid, seconds=600):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as fp:
            if fp.read().split(") ")[1][0] == "T":
                return
        time.sleep(0.02)
    raise RuntimeError("process %d did not stop" % pid)


def start(args, ready):
    p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, start_new_session=True)
    line = p.stdout.readline()
    if not line.startswith(ready):
        p.kill()
        raise RuntimeError("%s did not start: %r" % (os.path.basename(args[1]), line))
    fields = line.split()
    wait_stopped(int(fields[1]))
    return p, fields


def timed(args, runs=3):
    """Best wall time of runs, the last JSON answer, and the CLI's peak RSS."""
    best = None
    out = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        p = subprocess.run([CLI] + args + ["--json"], capture_output=True, text=True,
                           timeout=900)
        t = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError("pyxray %s: %s" % (" ".join(args), p.stderr.strip()[-300:]))
        best = t if best is None else min(best, t)
        out = json.loads(p.stdout)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return best, out, rss, before


def bench_malloc(python, chunks):
    p, f = start([python, os.path.join(HERE, "malloc_target.py"), str(chunks)], "READY")
    pid, t_info, t_xml, in_use = int(f[1]), float(f[2]), float(f[3]), int(f[4])
    try:
        walk, doc, _, _ = timed(["memory", "--no-objects", "--pid", str(pid)])
        full, _, _, _ = timed(["memory", "--pid", str(pid)])
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    m = doc["malloc"]
    mine = m["in_use_bytes"] + m["cached_bytes"] + m["mmapped_bytes"]
    log("malloc: %s chunks, %.2f GiB in use (mallinfo2)" % (
        "{:,}".format(m["in_use_chunks"] + m["cached_chunks"] + m["mmapped_chunks"]),
        in_use / 2 ** 30))
    log("  pyxray memory --no-objects (the malloc walk)  %8.3f s  (goal: at most 1 s)" % walk)
    log("  pyxray memory (and every object)             %8.3f s" % full)
    log("  peer: mallinfo2() in the process             %8.6f s  (counters: no walk)" % t_info)
    log("  peer: malloc_info() in the process           %8.6f s  (walks the bins)"
        "  -> pyxray %.1fx the time" % (t_xml, walk / t_xml if t_xml else 0))
    # mallinfo2 counts chunk sizes minus their headers' overhead differently
    # for mmapped chunks; the in-use bytes of the heaps must agree closely.
    agree = abs(mine - in_use) <= 0.01 * in_use
    log("  bytes in use: pyxray %s, mallinfo2 %s (%s)" % (
        "{:,}".format(mine), "{:,}".format(in_use), "agree" if agree else "DISAGREE"))
    return agree


def bench_sites(python, n):
    p = subprocess.Popen([python, os.path.join(HERE, "sites_target.py"), str(n)],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = p.stdout.readline().split()
        pid = int(line[1])
        wait_stopped(pid)
        snap_file = "/tmp/pyxray-bench-%d.snap" % os.getpid()
        snap, doc, _, _ = timed(["leaks", "snapshot", snap_file, "--pid", str(pid)], runs=1)
        os.kill(pid, signal.SIGCONT)
        line = p.stdout.readline().split()
        wait_stopped(pid)
        peer_snaps, peer_compare, nstats = float(line[2]), float(line[3]), int(line[4])
        diff, ddoc, _, _ = timed(["leaks", "diff", snap_file, "--by-site", "--top", "0",
                                  "--pid", str(pid)])
        os.unlink(snap_file)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    peer = peer_snaps / 2 + peer_compare
    log("by site: %s traced objects at %d sites (the process's compare_to: %d entries)" % (
        "{:,}".format(2 * n), ddoc["sites_total"], nstats))
    log("  pyxray leaks diff --by-site                  %8.3f s" % diff)
    log("  peer: take_snapshot() + compare_to()         %8.3f s  (in the process)"
        "  -> pyxray %.1fx faster" % (peer, peer / diff if diff else 0))
    log("  pyxray leaks snapshot (every object, the memory, the sites) %8.3f s" % snap)
    return True


def bench_per_object(python, n):
    p, f = start([python, os.path.join(HERE, "heap_target.py"), str(n)], "READY")
    pid, objects = int(f[1]), int(f[2])
    try:
        results = []
        for args in (["memory"], ["leaks", "snapshot", "/dev/null"]):
            # A fresh child each time: ru_maxrss of children is the largest
            # so far, so each command runs in its own measuring process.
            code = ("import resource, subprocess, sys; "
                    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
                    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            out = subprocess.run([sys.executable, "-c", code, CLI] + args +
                                 ["--pid", str(pid)], capture_output=True, text=True,
                                 timeout=900)
            if out.returncode != 0:
                raise RuntimeError("pyxray %s: %s" % (" ".join(args), out.stderr[-300:]))
            results.append((" ".join(args[:2]), int(out.stdout) * 1024))
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    log("memory pyxray takes: %s objects in the target" % "{:,}".format(objects))
    for name, rss in results:
        log("  pyxray %-16s peak RSS %6.0f MB  (%.0f bytes per object)" % (
            name, rss / 2 ** 20, rss / objects))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=10_000_000)
    ap.add_argument("--traced", type=int, default=500_000)
    ap.add_argument("--objects", type=int, default=1_000_000)
    args = ap.parse_args()
    python = os.environ.get("PYXRAY_BENCH_PYTHON", "/usr/bin/python3.11")
    ok = True
    for fn, n in ((bench_malloc, args.chunks), (bench_sites, args.traced),
                  (bench_per_object, args.objects)):
        try:
            ok = fn(python, n) and ok
        except Exception as e:
            log("%s: FAILED: %s" % (fn.__name__, e))
            ok = False
        log()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
