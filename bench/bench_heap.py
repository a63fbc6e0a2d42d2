#!/usr/bin/env python3
"""make bench, part 2: py-census and py-referrers on big heaps.

For each size (1M and 10M gc-tracked objects by default) one target
(bench/heap_target.py, Debian's python3.11 or $PYXRAY_BENCH_PYTHON) and
one gdb attached to it, which times (bench/gdb_heap.py):

  * py-census (three runs: the first reads the heap cold);
  * peer (a): the same gc lists walked through gdb.Value, the way
    libpython.py reads memory - time-boxed (PYXRAY_BENCH_PEER_BUDGET
    seconds, default 60) and, when cut short, extrapolated from its rate;
  * peer (b): collections.Counter(type(o).__name__ for o in
    gc.get_objects()), timed inside the target just before it stopped;
  * py-referrers: the first query (which builds the referrer index) and a
    later one, and gdb's peak memory per object indexed;
  * the CLI's referrers on the same heap, and how long after a Ctrl-C
    halfway through it the CLI is gone.

Prints ratios against the peers of the same run; never judges the times.
Exit status 1 if a measurement failed or py-census missed objects.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import copy_limit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def log(msg=""):
    print(msg, flush=True)


def start(python, n):
    p = subprocess.Popen([python, os.path.join(HERE, "heap_target.py"), str(n)],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 600
    line = p.stdout.readline()
    if not line.startswith("READY"):
        p.kill()
        raise RuntimeError("the target did not start: %r" % line)
    _, pid, objects, counter, ntypes = line.split()
    pid = int(pid)
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as fp:
            if fp.read().split(") ")[1][0] == "T":
                break
        time.sleep(0.05)
    return p, pid, int(objects), float(counter)


CLI = os.path.join(ROOT, "build", "pyxray")


def cli_times(pid):
    """The CLI on the same stopped heap: referrers of an object (pausing,
    indexing, letting go), and how soon a Ctrl-C in the middle of the
    index ends it (the engine checks for it at every read)."""
    out = {}
    p = subprocess.run([CLI, "census", "--top", "1", "--json", "--pid", str(pid)],
                       capture_output=True, text=True, timeout=900)
    addr = json.loads(p.stdout)["types"][0]["sample"][0]
    t0 = time.perf_counter()
    p = subprocess.run([CLI, "referrers", addr, "--json", "--pid", str(pid)],
                       capture_output=True, text=True, timeout=900)
    out["cli_referrers"] = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("pyxray referrers failed: %s" % p.stderr.strip())
    # Ctrl-C halfway through the same query.
    r = subprocess.Popen([CLI, "referrers", addr, "--pid", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(out["cli_referrers"] / 2)
    t0 = time.perf_counter()
    r.send_signal(signal.SIGINT)
    r.wait()
    out["ctrl_c_seconds"] = time.perf_counter() - t0
    out["ctrl_c_status"] = r.returncode
    with open("/proc/%d/status" % pid) as fp:
        out["traced_after"] = [l.split()[1] for l in fp if l.startswith("TracerPid:")][0]
    # The referrer index built by one thread, then by as many as there are
    # cores (the default on big heaps), through the API.
    code = ("import sys; sys.path.insert(0, %r); import pyxray; "
            "p = pyxray.attach(%d); p.referrers(%r); i = p.index(); "
            "print(i['build_seconds'], i['bytes'])" % (os.path.join(ROOT, "build", "python"),
                                                      pid, addr))
    for name, threads in (("index_serial", "1"), ("index_parallel", "")):
        env = dict(os.environ)
        env.pop("PYXRAY_THREADS", None)
        if threads:
            env["PYXRAY_THREADS"] = threads
        best = None
        for _ in range(2):
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=900, env=env)
            if p.returncode != 0:
                raise RuntimeError("index through the API: %s" % p.stderr[-300:])
            secs, size = p.stdout.split()
            best = float(secs) if best is None else min(best, float(secs))
        out[name] = best
        out["index_bytes"] = int(size)
    # census --all-heap: the block walk on one thread, then on all cores.
    for name, threads in (("allheap_serial", "1"), ("allheap_parallel", "")):
        env = dict(os.environ)
        env.pop("PYXRAY_THREADS", None)
        if threads:
            env["PYXRAY_THREADS"] = threads
        best = None
        for _ in range(2):
            t0 = time.perf_counter()
            p = subprocess.run([CLI, "census", "--all-heap", "--top", "1", "--json", "--pid",
                                str(pid)], capture_output=True, text=True, timeout=900, env=env)
            t = time.perf_counter() - t0
            if p.returncode != 0:
                raise RuntimeError("census --all-heap: %s" % p.stderr[-300:])
            best = t if best is None else min(best, t)
        out[name] = best
    return out


def run(python, n, budget):
    p, pid, objects, counter = start(python, n)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "res.json")
            env = dict(os.environ, PYXRAY_BENCH_OUT=out, PYXRAY_BENCH_PEER_BUDGET=str(budget),
                       TERM="dumb")
            cmd = [os.environ.get("GDB", "gdb"), "-nx", "-q", "-batch",
                   "-iex", "set auto-load python-scripts off", "-p", str(pid),
                   "-ex", "source %s" % os.path.join(ROOT, "gdb", "pyxray-gdb.py"),
                   "-ex", "source %s" % os.path.join(HERE, "gdb_heap.py")]
            g = subprocess.run(cmd, env=env, capture_output=True, text=True,
                               timeout=budget + 900)
            if not os.path.exists(out):
                raise RuntimeError("gdb failed:\n" + g.stdout[-2000:] + g.stderr[-2000:])
            with open(out) as fp:
                res = json.load(fp)
        res.update(cli_times(pid))
        ranges = copy_limit.arena_ranges(CLI, pid)
        res["heap_bytes"] = sum(n for _, n in ranges)
        res["copy_seconds"] = copy_limit.copy_seconds(pid, ranges)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    res["objects"] = objects
    res["counter"] = counter
    return res


def report(n, r):
    warm = min(r["census_runs"][1:])
    cold = r["census_runs"][0]
    peer_rate = r["peer_walked"] / r["peer_seconds"] if r["peer_seconds"] else 0
    peer_full = r["census_objects"] / peer_rate if peer_rate else float("inf")
    how = "" if r["peer_complete"] else " (extrapolated from %d objects in %.0f s)" % (
        r["peer_walked"], r["peer_seconds"])
    idx = r["index"]
    rss_delta = max(r["rss_after_index_mb"] - r["rss_before_index_mb"], 0) * 1024 * 1024
    log("%s gc-tracked objects (python3.11, %d types)" % ("{:,}".format(r["objects"]),
                                                          len(r["census_top"])))
    log("  physical limit: copying the %.0f MB of pymalloc arenas with process_vm_readv "
        "%8.3f s" % (r["heap_bytes"] / 1e6, r["copy_seconds"]))
    log("  py-census, warm (best of 2)             %8.3f s  (%.1fx the copy)"
        % (warm, warm / r["copy_seconds"] if r["copy_seconds"] else 0))
    log("  py-census, cold (first read of the heap) %8.3f s" % cold)
    log("  peer (a) gdb.Value walk, libpython-style %8.1f s%s  -> py-census %.0fx faster"
        % (peer_full, how, peer_full / warm))
    log("  peer (b) Counter over gc.get_objects()   %8.3f s  (in the target)  -> py-census %.2fx %s"
        % (r["counter"], r["counter"] / warm if warm else 0,
           "faster" if warm < r["counter"] else "slower"))
    log("  py-referrers, first query (index build)  %8.3f s  (%s objects, %s references, "
        "%.1f s in the index build)" % (r["referrers_first"], "{:,}".format(idx["objects"]),
                                        "{:,}".format(idx["edges"]), idx["build_seconds"]))
    log("  py-referrers, later query                %8.3f s" % r["referrers_later"])
    log("  index: %.1f bytes per object kept; gdb peak RSS grew %.0f MB while indexing "
        "(%.1f bytes per object)" % (idx["bytes_per_object"], rss_delta / 2 ** 20,
                                     rss_delta / max(idx["objects"], 1)))
    log("  pyxray referrers (the CLI: pause, index, let go) %8.3f s" % r["cli_referrers"])
    log("  index build, one thread %8.3f s; %d threads %8.3f s  -> %.2fx the one-thread time "
        "(goal: at most 0.5x); %.1f bytes per object" % (
            r["index_serial"], os.cpu_count() or 1, r["index_parallel"],
            r["index_parallel"] / r["index_serial"] if r["index_serial"] else 0,
            r["index_bytes"] / max(r["objects"], 1)))
    log("  pyxray census --all-heap (the CLI), one thread %8.3f s; %d threads %8.3f s  -> "
        "%.2fx" % (r["allheap_serial"], os.cpu_count() or 1, r["allheap_parallel"],
                   r["allheap_parallel"] / r["allheap_serial"] if r["allheap_serial"] else 0))
    log("  Ctrl-C halfway through it: the CLI exited %.3f s later (status %d; the target's "
        "TracerPid after: %s)" % (r["ctrl_c_seconds"], r["ctrl_c_status"], r["traced_after"]))
    ok = abs(r["census_objects"] - r["objects"]) <= 100
    log("  sanity: py-census counted %s objects, gc.get_objects() %s: %s" % (
        "{:,}".format(r["census_objects"]), "{:,}".format(r["objects"]), "ok" if ok else "MISMATCH"))
    return ok


def main():
    ap = argparse.ArgumentParser(description="py-census and py-referrers on big heaps")
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--peer-budget", type=float,
                    default=float(os.environ.get("PYXRAY_BENCH_PEER_BUDGET", "60")))
    args = ap.parse_args()
    python = os.environ.get("PYXRAY_BENCH_PYTHON", "/usr/bin/python3.11")
    ok = True
    log("pyxray bench: py-census and py-referrers against their peers, one run")
    for n in (int(x) for x in args.sizes.split(",")):
        try:
            ok = report(n, run(python, n, args.peer_budget)) and ok
        except Exception as e:  # report and go on
            log("%d objects: FAILED: %s" % (n, e))
            ok = False
        log()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
