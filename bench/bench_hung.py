#!/usr/bin/env python3
"""make bench: hung services and native stacks, each against a peer
measured in the same run, printed as ratios (never judged).

  native stacks   bench/deep_threads.py (100 threads x 50 Python frames):
                  gdb's own `thread apply all bt` against py-stack --native
                  in the same gdb session (cold and warm), and against
                  `pyxray stack --native` (whole CLI process, median), live
                  and on a core gdb writes of the same process (the CLI
                  against a whole gdb -batch bt; in gdb, py-stack --native
                  against bt in one session)
  py-triage       the CLI on 1,000 threads (the goal: at most 1 s)
  py-tasks        100,000 asyncio tasks (tests/fixtures/tasks_fixture.py):
                  the CLI against the process's own walk of them
                  (asyncio.all_tasks(), each chain through cr_await, each
                  task's get_stack()), which the fixture times
  py-locks        1,000 threads blocked on locks (tests/fixtures/
                  locks_fixture.py): the CLI against the process's own walk
                  of sys._current_frames() and every frame's locals

Exit status: 0 when the measurements were made and pyxray's answers were
right (every thread, every task); 1 otherwise.
Environment: PYXRAY_BENCH_PYTHON (default /usr/bin/python3.11), GDB.
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
CLI = os.path.join(ROOT, "build", "pyxray")
GDB = os.environ.get("GDB", "gdb")
PYTHON = os.environ.get("PYXRAY_BENCH_PYTHON", "/usr/bin/python3.11")
RUNS = 5
problems = []


def log(msg=""):
    print(msg, flush=True)


def secs(t):
    return "%.3f s" % t


def ratio(peer, t, what="faster"):
    if t <= 0 or peer is None:
        return "(no peer)"
    r = peer / t
    if r >= 1:
        return "%.1fx %s than the peer" % (r, what)
    return "%.1fx slower than the peer" % (1 / r)


def timed(cmd, timeout=300, env=None):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    took = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]), p.returncode,
                                                 p.stderr.strip()[-400:]))
    return took, p.stdout


def stopped(pid):
    os.kill(pid, signal.SIGSTOP)
    for _ in range(500):
        states = []
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except OSError:
                pass
        if states and all(s in "tT" for s in states):
            return
        time.sleep(0.01)


def deep_threads(threads, frames):
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "deep_threads.py"), "--threads",
                             str(threads), "--frames", str(frames)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    if not line.startswith("READY"):
        raise RuntimeError("deep_threads.py did not start: %r" % line)
    return proc, int(line.split()[1])


def fixture(script, tmp, *extra):
    record = os.path.join(tmp, os.path.basename(script) + ".json")
    proc = subprocess.Popen([PYTHON, os.path.join(ROOT, "tests", "fixtures", script), record,
                             "stop"] + [str(e) for e in extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(6000):
        if os.path.exists(record):
            break
        if proc.poll() is not None:
            raise RuntimeError("%s exited" % script)
        time.sleep(0.05)
    with open(record) as f:
        rec = json.load(f)
    for _ in range(200):
        with open("/proc/%d/stat" % rec["pid"]) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                break
        time.sleep(0.05)
    return proc, rec


GDB_SCRIPT = r'''
import json, os, statistics, time
import gdb
out = {}
gdb.execute("source %(root)s/gdb/pyxray-gdb.py")
t0 = time.perf_counter(); text = gdb.execute("py-stack --native", to_string=True)
out["py_stack_cold"] = time.perf_counter() - t0
warm = []
for i in range(5):
    t0 = time.perf_counter(); text = gdb.execute("py-stack --native", to_string=True)
    warm.append(time.perf_counter() - t0)
out["py_stack_warm"] = statistics.median(warm)
out["py_stack_frames"] = text.count("  (C) ")
t0 = time.perf_counter(); bt = gdb.execute("thread apply all bt", to_string=True)
out["bt"] = time.perf_counter() - t0
out["bt_frames"] = sum(1 for l in bt.splitlines() if l.startswith("#"))
gdb.execute("gcore %(core)s", to_string=True)
with open("%(out)s", "w") as f:
    json.dump(out, f)
'''


GDB_CORE_SCRIPT = r'''
import json, statistics, time
import gdb
out = {}
gdb.execute("source %(root)s/gdb/pyxray-gdb.py")
t0 = time.perf_counter(); text = gdb.execute("py-stack --native", to_string=True)
out["py_stack_cold"] = time.perf_counter() - t0
warm = []
for i in range(5):
    t0 = time.perf_counter(); text = gdb.execute("py-stack --native", to_string=True)
    warm.append(time.perf_counter() - t0)
out["py_stack_warm"] = statistics.median(warm)
t0 = time.perf_counter(); bt = gdb.execute("thread apply all bt", to_string=True)
out["bt"] = time.perf_counter() - t0
with open("%(out)s", "w") as f:
    json.dump(out, f)
'''


def bench_native(tmp):
    log("native stacks: %s, 100 threads x 50 Python frames" % PYTHON)
    proc, pid = deep_threads(100, 50)
    core = os.path.join(tmp, "deep.core")
    try:
        res = os.path.join(tmp, "gdb.json")
        script = os.path.join(tmp, "bench_gdb.py")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT % {"root": ROOT, "core": core, "out": res})
        timed([GDB, "-nx", "-q", "-batch", "-iex", "set pagination off", "-p", str(pid),
               "-ex", "source " + script], timeout=600)
        with open(res) as f:
            g = json.load(f)
        stopped(pid)
        # The CLI's first run without the symbol cache the gdb session filled.
        shutil.rmtree(os.environ["PYXRAY_SYMBOL_CACHE"], ignore_errors=True)
        cli = []
        for i in range(RUNS):
            t, out = timed([CLI, "stack", "--native", "--pid", str(pid)])
            cli.append(t)
        t, out = timed([CLI, "stack", "--native", "--json", "--pid", str(pid)])
        doc = json.loads(out)
        deep = [t for t in doc["threads"] if (t.get("name") or "").startswith("deep-")]
        if len(deep) != 100 or any(sum(1 for f in t["frames"] if f["kind"] == "python") != 50
                                   for t in deep):
            problems.append("stack --native: not every deep thread has its 50 Python frames")
        os.kill(pid, signal.SIGCONT)
    finally:
        proc.kill()
        proc.wait()
    bt = g["bt"]
    log("  %-58s %9s   %s" % ("gdb: thread apply all bt (%d frames)" % g["bt_frames"], secs(bt),
                              "the peer"))
    log("  %-58s %9s   %s" % ("gdb: py-stack --native, first run", secs(g["py_stack_cold"]),
                              ratio(bt, g["py_stack_cold"])))
    log("  %-58s %9s   %s" % ("gdb: py-stack --native, median of 5 warm runs",
                              secs(g["py_stack_warm"]), ratio(bt, g["py_stack_warm"])))
    med = statistics.median(cli)
    log("  %-58s %9s   %s" % ("pyxray stack --native --pid (CLI, median of %d)" % RUNS,
                              secs(med), ratio(bt, med)))
    log("  %-58s %9s   %s" % ("  its first run (no symbol cache yet)", secs(cli[0]),
                              ratio(bt, cli[0])))
    # The same process as a core file.
    if os.path.exists(core):
        t_bt, _ = timed([GDB, "-nx", "-q", "-batch", PYTHON, core, "-ex",
                         "thread apply all bt"], timeout=600)
        cc = [timed([CLI, "stack", "--native", "--core", core])[0] for i in range(RUNS)]
        log("  %-58s %9s   %s" % ("core: gdb -batch PYTHON CORE -ex 'thread apply all bt'",
                                  secs(t_bt), "the peer (whole gdb process)"))
        log("  %-58s %9s   %s" % ("core: pyxray stack --native --core (median of %d)" % RUNS,
                                  secs(statistics.median(cc)),
                                  ratio(t_bt, statistics.median(cc))))
        # gdb on the core: its bt against py-stack --native in one session.
        res = os.path.join(tmp, "gdb-core.json")
        script = os.path.join(tmp, "bench_gdb_core.py")
        with open(script, "w") as f:
            f.write(GDB_CORE_SCRIPT % {"root": ROOT, "out": res})
        timed([GDB, "-nx", "-q", "-batch", "-iex", "set pagination off", PYTHON, core,
               "-ex", "source " + script], timeout=600)
        with open(res) as f:
            gc_ = json.load(f)
        log("  %-58s %9s   %s" % ("core, in gdb: thread apply all bt", secs(gc_["bt"]),
                                  "the peer"))
        log("  %-58s %9s   %s" % ("core, in gdb: py-stack --native, first run",
                                  secs(gc_["py_stack_cold"]),
                                  ratio(gc_["bt"], gc_["py_stack_cold"])))
        log("  %-58s %9s   %s" % ("core, in gdb: py-stack --native, median of 5 warm runs",
                                  secs(gc_["py_stack_warm"]),
                                  ratio(gc_["bt"], gc_["py_stack_warm"])))
        os.unlink(core)


def bench_triage():
    log("py-triage on 1,000 threads (goal: at most 1 s)")
    proc, pid = deep_threads(1000, 10)
    try:
        stopped(pid)
        runs = []
        for i in range(3):
            t, out = timed([CLI, "triage", "--json", "--pid", str(pid)])
            runs.append(t)
        doc = json.loads(out)
        if len(doc["threads"]) < 1001:
            problems.append("triage shows %d threads of 1,001" % len(doc["threads"]))
        os.kill(pid, signal.SIGCONT)
    finally:
        proc.kill()
        proc.wait()
    med = statistics.median(runs)
    log("  %-58s %9s   %s" % ("pyxray triage --pid (CLI, median of 3)", secs(med),
                              "within the goal" if med <= 1.0 else "over the 1 s goal"))
    log("  %-58s %9s" % ("  its first run", secs(runs[0])))


def bench_tasks(tmp):
    log("py-tasks on 100,000 asyncio tasks")
    proc, rec = fixture("tasks_fixture.py", tmp, 100000)
    try:
        runs = []
        for i in range(3):
            t, out = timed([CLI, "tasks", "--json", "--pid", str(rec["pid"])])
            runs.append(t)
        doc = json.loads(out)
        if len(doc["tasks"]) != len(rec["tasks"]):
            problems.append("py-tasks found %d tasks of %d" % (len(doc["tasks"]),
                                                             len(rec["tasks"])))
    finally:
        proc.kill()
        proc.wait()
    peer = rec["walk_seconds"]
    log("  %-58s %9s   %s" % ("the process's own walk (all_tasks, cr_await, get_stack)",
                              secs(peer), "the peer"))
    med = statistics.median(runs)
    log("  %-58s %9s   %s" % ("pyxray tasks --json --pid (CLI, median of 3)", secs(med),
                              ratio(peer, med)))


def bench_locks(tmp):
    log("py-locks on 1,000 threads blocked on locks")
    proc, rec = fixture("locks_fixture.py", tmp, 1000)
    try:
        runs = []
        for i in range(3):
            t, out = timed([CLI, "locks", "--json", "--pid", str(rec["pid"])])
            runs.append(t)
        doc = json.loads(out)
        if len(doc["waits"]) != len(rec["plans"]):
            problems.append("py-locks found %d waiting threads of %d" % (len(doc["waits"]),
                                                                      len(rec["plans"])))
    finally:
        proc.kill()
        proc.wait()
    peer = rec["walk_seconds"]
    log("  %-58s %9s   %s" % ("the process's own walk (_current_frames, f_locals)",
                              secs(peer), "the peer"))
    med = statistics.median(runs)
    log("  %-58s %9s   %s" % ("pyxray locks --json --pid (CLI, median of 3)", secs(med),
                              ratio(peer, med)))


def main():
    for f in (CLI,):
        if not os.path.exists(f):
            sys.exit("bench: %s is missing: run make first" % f)
    if not shutil.which(GDB):
        sys.exit("bench: gdb not found")
    tmp = tempfile.mkdtemp(prefix="pyxray-bench-hung-")
    # A symbol cache of this run's own: first runs are cold.
    os.environ["PYXRAY_SYMBOL_CACHE"] = os.path.join(tmp, "symbols")
    try:
        bench_native(tmp)
        bench_triage()
        bench_tasks(tmp)
        bench_locks(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log("sanity:")
    for p in problems:
        log("  FAIL %s" % p)
    if not problems:
        log("  ok   every thread, frame count, task and waiting thread was found")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
