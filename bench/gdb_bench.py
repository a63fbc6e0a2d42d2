"""Runs inside gdb (sourced by bench/run_bench.py after gdb/pyxray-gdb.py).

Times py-stack and CPython's own `thread apply all py-bt` in this one gdb
session, on the process gdb is attached to.  Output is captured with
gdb.execute(..., to_string=True), so nothing is printed; the captured text
and the timings go to the directory named by $PYXRAY_BENCH_OUT:

    results.json    timings, errors, whether py-bt was available
    py-stack.txt    the first py-stack output
    py-bt.txt       the first `thread apply all py-bt` output

Settings (environment): PYXRAY_BENCH_STACK_RUNS (py-stack runs, the first
one cold), PYXRAY_BENCH_PYBT_RUNS (most py-bt runs), PYXRAY_BENCH_PYBT_BUDGET
(seconds: no further py-bt run once this much has been spent on it).
"""
import json
import os
import re
import time

import gdb


def _main():
    out = os.environ["PYXRAY_BENCH_OUT"]
    stack_runs = max(1, int(os.environ.get("PYXRAY_BENCH_STACK_RUNS", "6")))
    pybt_runs = max(0, int(os.environ.get("PYXRAY_BENCH_PYBT_RUNS", "2")))
    pybt_budget = float(os.environ.get("PYXRAY_BENCH_PYBT_BUDGET", "25"))
    res = {"py_stack": [], "py_bt": [], "errors": [], "py_bt_available": None,
           "auto_load": None, "gdb_threads": None}

    def save():
        tmp = os.path.join(out, "results.json.tmp")
        with open(tmp, "w") as f:
            json.dump(res, f, indent=1)
        os.replace(tmp, os.path.join(out, "results.json"))

    def capture(name, text):
        with open(os.path.join(out, name), "w") as f:
            f.write(text)

    inf = gdb.selected_inferior()
    res["gdb_threads"] = len(inf.threads())
    try:
        res["auto_load"] = gdb.execute("info auto-load python-scripts", to_string=True)
    except gdb.error as e:
        res["auto_load"] = "error: %s" % e
    save()

    # py-stack: the first run is cold (libpyxray opens the target and reads
    # its symbols and debug info); later runs reuse that, as they would in
    # a real session, but re-read the process memory each time.
    for i in range(stack_runs):
        t0 = time.perf_counter()
        try:
            text = gdb.execute("py-stack", to_string=True)
        except gdb.error as e:
            res["errors"].append("py-stack: %s" % e)
            break
        res["py_stack"].append(time.perf_counter() - t0)
        if i == 0:
            capture("py-stack.txt", text)
        save()

    # The peer: CPython's libpython.py, auto-loaded by gdb with the
    # interpreter (Debian: python3.11-dbg), or named by run_bench.py.
    # pyxray, loaded after it, took the names py-bt ... for its own
    # commands: load libpython again, so that py-bt is libpython's.
    scripts = re.findall(r"^Yes\s+(\S+-gdb\.py)\s*$", res["auto_load"] or "", re.M)
    scripts += [p for p in os.environ.get("PYXRAY_BENCH_PEER_SCRIPT", "").split(":") if p]
    for path in scripts:
        try:
            gdb.execute("source " + path, to_string=True)
        except gdb.error as e:
            res["errors"].append("source %s: %s" % (path, e))
    try:
        doc = gdb.execute("help py-bt", to_string=True)
        res["py_bt_available"] = "Print the Python stack of the selected thread" not in doc
    except gdb.error:
        res["py_bt_available"] = False
    save()
    if res["py_bt_available"]:
        spent = 0.0
        for i in range(pybt_runs):
            if i > 0 and spent >= pybt_budget:
                break
            t0 = time.perf_counter()
            try:
                text = gdb.execute("thread apply all py-bt", to_string=True)
            except gdb.error as e:
                res["errors"].append("thread apply all py-bt: %s" % e)
                break
            took = time.perf_counter() - t0
            spent += took
            res["py_bt"].append(took)
            if i == 0:
                capture("py-bt.txt", text)
            save()
    res["done"] = True
    save()


try:
    _main()
except Exception as e:  # the driver reports what results.json lacks
    gdb.write("gdb_bench.py: %s: %s\n" % (type(e).__name__, e), gdb.STDERR)
    raise
