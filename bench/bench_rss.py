#!/usr/bin/env python3
"""make bench, part 5: the memory every command takes on a big heap.

One target (bench/heap_target.py: 10M gc-tracked objects by default;
Debian's python3.11 or $PYXRAY_BENCH_PYTHON), stopped; then every answer,
each in a fresh process of build/pyx-drive (tests/tools/pyx_drive.c, the
public API as a front door uses it), and for each its time and its maximum
resident memory (ru_maxrss), and that per object of the heap.  Reading is
meant to cost memory in proportion to what is shown, plus a bounded cache
of target pages (128 MiB) and, for the referrer answers, the index (about
13 bytes per object and 4 per reference).

Prints a table; never judges the figures.  Exit status 1 if a command
failed.
"""
import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DRIVE = os.path.join(ROOT, "build", "pyx-drive")

# (label, queries): queries that need an address take the census sample.
COMMANDS = [
    ("info", ["info"]),
    ("stack", ["stack"]),
    ("stack --locals", ["locals"]),
    ("triage", ["triage"]),
    ("gc", ["gc"]),
    ("census", ["census"]),
    ("census --all-heap", ["allheap"]),
    ("object (a census sample)", ["census", "object"]),
    ("referrers (index build + query)", ["census", "referrers"]),
    ("path", ["census", "path"]),
    ("index", ["index"]),
    ("leaks snapshot", ["snapshot={snap}"]),
    ("leaks diff", ["diff={snap}"]),
    ("leaks refcheck", ["refcheck"]),
    ("pools", ["pools"]),
    ("arenas", ["arenas"]),
    ("arenas --map", ["map"]),
    ("malloc (a census sample)", ["census", "malloc"]),
]


def log(msg=""):
    print(msg, flush=True)


def start(python, n):
    p = subprocess.Popen([python, os.path.join(HERE, "heap_target.py"), str(n)],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    line = p.stdout.readline()
    if not line.startswith("READY"):
        p.kill()
        raise RuntimeError("the target did not start: %r" % line)
    pid = int(line.split()[1])
    objects = int(line.split()[2])
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as fp:
            if fp.read().split(") ")[1][0] == "T":
                break
        time.sleep(0.05)
    return p, pid, objects


def maxrss_of(pid, queries):
    """Run one command in a child that reports its own child's ru_maxrss."""
    code = ("import resource, subprocess, sys, time\n"
            "t0 = time.perf_counter()\n"
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "t = time.perf_counter() - t0\n"
            "print('%d %.3f %d' % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
            " t, r.returncode))\n"
            "sys.stdout.write(r.stdout)\n")
    r = subprocess.run([sys.executable, "-c", code, DRIVE, "--pid", str(pid)] + queries,
                       capture_output=True, text=True, timeout=3600)
    head, _, rest = r.stdout.partition("\n")
    kb, seconds, rc = head.split()
    lines = [l for l in rest.splitlines() if l and not l.startswith("rounds ")]
    return int(kb), float(seconds), int(rc), lines


def main():
    ap = argparse.ArgumentParser(description="maximum RSS of every command on a big heap")
    ap.add_argument("--objects", type=int, default=10000000)
    args = ap.parse_args()
    if not os.access(DRIVE, os.X_OK):
        log("bench_rss: %s is not built (make test-tools)" % DRIVE)
        return 1
    python = os.environ.get("PYXRAY_BENCH_PYTHON", "/usr/bin/python3.11")
    log("pyxray bench: maximum RSS of every command, one run")
    p, pid, objects = start(python, args.objects)
    ok = True
    try:
        with tempfile.TemporaryDirectory() as tmp:
            snap = os.path.join(tmp, "snapshot")
            log("%s gc-tracked objects (%s); each command in a fresh process"
                % ("{:,}".format(objects), os.path.basename(python)))
            log("  %-34s %9s %12s %14s" % ("command", "seconds", "max RSS MB", "bytes/object"))
            for label, queries in COMMANDS:
                queries = [q.format(snap=snap) for q in queries]
                kb, seconds, rc, lines = maxrss_of(pid, queries)
                last = lines[-1] if lines else ""
                failed = rc != 0 or ": error " in last or ": skipped" in last
                ok = ok and not failed
                log("  %-34s %9.2f %12.1f %14.1f%s" % (
                    label, seconds, kb / 1024.0, kb * 1024.0 / max(objects, 1),
                    "  FAILED: " + last[:100] if failed else ""))
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
