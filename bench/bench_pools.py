#!/usr/bin/env python3
"""make bench (part 2): py-pools on a heap of at least 1 GiB, beside the
time sys._debugmallocstats() takes inside the target, in one run.

One target (bench/big_heap.py: about 1.1 GiB in pymalloc blocks, which
times sys._debugmallocstats() inside itself and then stops with SIGSTOP)
and one gdb session attached to it that times

  * py-pools --json (the first run, after py-info has opened the program,
    and the median of the warm runs; each run re-reads the process)
  * py-arenas --json (median)

then the pyxray CLI (`build/pyxray pools --pid PID`, whole process wall
time), and obmalloc_foreach_block() - the walk over every allocated block
that py-census --all-heap builds on - through build/bench-blocks.  It
checks that py-pools says exactly what sys._debugmallocstats() printed and
that the walk visits every block in use.

Goals (issue 4): py-pools at most 0.5 s; the block walk at most 2 s.  It
prints the times and the goals, and never judges them.  Exit status: 0
when the measurements were made and the answers were right, 1 otherwise.

Environment: PYXRAY_BENCH_PYTHON (default /usr/bin/python3.11), GDB
(default gdb), PYXRAY_BENCH_MIB (default 1100).
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import pools_check  # noqa: E402

RUNS = 5

GDB_SCRIPT = r"""
import json, os, statistics, time
import gdb
out = os.environ["PYXRAY_BENCH_OUT"]
res = {"pools": [], "arenas": [], "errors": []}
try:
    gdb.execute("py-info", to_string=True)
    for i in range(%(runs)d):
        t0 = time.perf_counter()
        text = gdb.execute("py-pools --json", to_string=True)
        res["pools"].append(time.perf_counter() - t0)
        if i == 0:
            res["pools_json"] = json.loads(text)
    for i in range(3):
        t0 = time.perf_counter()
        gdb.execute("py-arenas --json", to_string=True)
        res["arenas"].append(time.perf_counter() - t0)
    res["all_heap"] = []
    for i in range(2):
        t0 = time.perf_counter()
        text = gdb.execute("py-census --all-heap --json --top 5", to_string=True)
        res["all_heap"].append(time.perf_counter() - t0)
    res["all_heap_json"] = json.loads(text)
except gdb.error as e:
    res["errors"].append(str(e))
with open(os.path.join(out, "gdb.json"), "w") as f:
    json.dump(res, f)
"""


class BenchError(Exception):
    pass


def log(msg=""):
    print(msg, flush=True)


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def start_target(python, mib, outdir):
    out = os.path.join(outdir, "target.json")
    log_path = os.path.join(outdir, "target.log")
    with open(log_path, "w") as lf:
        proc = subprocess.Popen([python, os.path.join(HERE, "big_heap.py"), out, str(mib)],
                                stdout=lf, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not os.path.exists(out):
        if proc.poll() is not None:
            with open(log_path) as f:
                raise BenchError("the target exited (%d): %s" % (proc.returncode, f.read()[-500:]))
        if time.monotonic() > deadline:
            proc.kill()
            raise BenchError("the target did not build its heap in 300 s")
        time.sleep(0.2)
    with open(out) as f:
        info = json.load(f)
    while state(info["pid"]) != "T":
        if proc.poll() is not None or time.monotonic() > deadline:
            raise BenchError("the target did not stop itself")
        time.sleep(0.05)
    return proc, info


def build_blocks_tool():
    exe = os.path.join(ROOT, "build", "bench-blocks")
    src = os.path.join(HERE, "bench_blocks.c")
    lib = os.path.join(ROOT, "build", "libpyxray.a")
    if not os.path.exists(exe) or os.path.getmtime(exe) < max(os.path.getmtime(src),
                                                              os.path.getmtime(lib)):
        cc = os.environ.get("CC", "cc")
        cmd = [cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-I", os.path.join(ROOT, "include"),
               "-I", os.path.join(ROOT, "src"), src, lib, "-ldw", "-lelf", "-lz", "-lzstd", "-lstdc++", "-o", exe]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode:
            raise BenchError("building bench-blocks failed: %s" % p.stderr[-500:])
    return exe


def secs(t):
    return "%.3f s" % t


def main():
    python = os.environ.get("PYXRAY_BENCH_PYTHON", "/usr/bin/python3.11")
    gdb = os.environ.get("GDB", "gdb")
    mib = int(os.environ.get("PYXRAY_BENCH_MIB", "1100"))
    cli = os.path.join(ROOT, "build", "pyxray")
    for tool in (python, gdb):
        if not shutil.which(tool):
            raise BenchError("%s not found" % tool)
    blocks_tool = build_blocks_tool()
    outdir = tempfile.mkdtemp(prefix="pyxray-bench-pools-")
    log("pyxray bench: py-pools on a heap of %d MiB in pymalloc blocks (%s)" % (mib, python))
    log("  building the target's heap ...")
    proc, info = start_target(python, mib, outdir)
    ok = True
    try:
        pid = info["pid"]
        env = dict(os.environ, PYXRAY_BENCH_OUT=outdir)
        script = os.path.join(outdir, "bench.py")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT % {"runs": RUNS})
        cmd = [gdb, "-nx", "-q", "-batch", "-iex", "set auto-load python-scripts off",
               "-p", str(pid), "-ex", "source " + os.path.join(ROOT, "gdb", "pyxray-gdb.py"),
               "-ex", "source " + script]
        subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        with open(os.path.join(outdir, "gdb.json")) as f:
            g = json.load(f)
        if g["errors"]:
            raise BenchError("in gdb: %s" % "; ".join(g["errors"]))
        # The CLI, whole process (it opens the program itself).
        cli_times = []
        for _ in range(3):
            t0 = time.perf_counter()
            p = subprocess.run([cli, "pools", "--pid", str(pid)], capture_output=True,
                               text=True, timeout=120)
            cli_times.append(time.perf_counter() - t0)
            if p.returncode:
                raise BenchError("pyxray pools: %s" % p.stderr.strip())
        p = subprocess.run([blocks_tool, str(pid), "3"], capture_output=True, text=True,
                           timeout=600)
        if p.returncode:
            raise BenchError("bench-blocks: %s" % p.stderr.strip())
        walk = json.loads(p.stdout)

        pools = g["pools_json"]
        with open(info["stats"]) as f:
            results = pools_check.compare_pools(pools, f.read(), "py-pools")
        in_use = sum(c["blocks_in_use"] for c in pools["classes"])
        results.append((walk["blocks"] == in_use and
                        walk["bytes"] == pools["bytes"]["allocated_blocks"],
                        "obmalloc_foreach_block visits every block in use",
                        "%d blocks, %d bytes; py-pools %d, %d"
                        % (walk["blocks"], walk["bytes"], in_use,
                           pools["bytes"]["allocated_blocks"])))
        bad = [r for r in results if not r[0]]
        ok = not bad

        log("  target   CPython %s, pid %d: %s bytes in %s blocks, %d arenas of %d KiB"
            % (info["version"], pid, "{:,}".format(pools["bytes"]["allocated_blocks"]),
               "{:,}".format(in_use), pools["arenas"]["current"], pools["arena_size"] // 1024))
        log("")
        log("  %-50s %s" % ("sys._debugmallocstats() inside the target", secs(info["stats_seconds"])))
        log("  %-50s %s first, %s median of %d   (goal <= 0.5 s)"
            % ("py-pools --json in gdb", secs(g["pools"][0]),
               secs(statistics.median(g["pools"][1:] or g["pools"])), len(g["pools"]) - 1 or 1))
        log("  %-50s %s median" % ("py-arenas --json in gdb", secs(statistics.median(g["arenas"]))))
        log("  %-50s %s median (whole process, symbols included)"
            % ("pyxray pools --pid (CLI)", secs(statistics.median(cli_times))))
        log("  %-50s %s first, %s median   (goal <= 2 s for py-census --all-heap)"
            % ("obmalloc_foreach_block over %s blocks" % "{:,}".format(walk["blocks"]),
               secs(walk["first_seconds"]), secs(walk["median_seconds"])))
        if g.get("all_heap"):
            ah = g["all_heap_json"]
            log("  %-50s %s first, %s second   (goal <= 2 s)"
                % ("py-census --all-heap in gdb", secs(g["all_heap"][0]), secs(g["all_heap"][1])))
            log("  %-50s %s objects, %.1f%% of pymalloc's bytes attributed"
                % ("  it counted", "{:,}".format(ah["total_objects"]),
                   100 * ah["pymalloc"]["attributed_fraction"]))
        log("  %-50s %.0fx" % ("py-pools / sys._debugmallocstats()",
                               statistics.median(g["pools"][1:] or g["pools"])
                               / max(info["stats_seconds"], 1e-9)))
        log("")
        log("  answers: %d of %d checks agree with sys._debugmallocstats() and py-pools"
            % (len(results) - len(bad), len(results)))
        for _, name, detail in bad:
            log("    WRONG %s: %s" % (name, detail))
    finally:
        try:
            os.kill(info["pid"], signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
        shutil.rmtree(outdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        log("bench_pools: %s" % e)
        sys.exit(1)
