#!/usr/bin/env python3
"""make bench: what a py-break costs the running program.

One small program (bench/calls_target.py) calls a Python function N times
and reports its own calls per second.  It runs

  * without a debugger, and under gdb without breakpoints (the peer);
  * under gdb with `py-break never_called`: pyxray watches the code of a
    function that is never called with a hardware watchpoint, so the
    program should run as fast as under gdb without breakpoints;
  * under gdb with a plain gdb breakpoint, `break *ADDR if 0`, on each of
    the places where every Python function starts (the RESUME handlers
    from 3.11, the eval loop's entry before): what a breakpoint that
    stops at every call costs (py-break's fallback when the debug
    registers do not suffice).

Then the time to reach a breakpoint behind `import numpy` (a script that
imports numpy and then calls a Python function and os.getpid()): with
`py-break target` against a plain `break os_getpid` in the same run.

It prints the rates, the times and the ratios issue 14 names; it never
judges them.

Environment: PYXRAY_BENCH_PYTHON (default /usr/bin/python3.11, which needs
python3.11-dbg for the RESUME breakpoints), GDB (default gdb).
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.path.join(HERE, "calls_target.py")
FREE_CALLS = 2000000
TRAPPED_CALLS = 20000
REPEATS = 3

NUMPY_TARGET = """\
import os
import numpy


def target():
    return numpy.__version__


target()
os.getpid()
"""


def calls_per_second(out):
    m = re.search(r"calls/s ([0-9.]+)", out)
    if not m:
        raise RuntimeError("no calls/s in the output:\n" + out[-2000:])
    return float(m.group(1))


def gdb_cmd(setup, args):
    gdb = os.environ.get("GDB", "gdb")
    cmd = [gdb, "-nx", "-q", "-batch", "-iex", "set auto-load python-scripts off",
           "-iex", "set breakpoint pending on",
           "-ex", "source %s" % os.path.join(ROOT, "gdb", "pyxray-gdb.py")]
    for s in setup:
        cmd += ["-ex", s]
    return cmd + ["--args"] + args


def gdb_run(python, n, setup):
    p = subprocess.run(gdb_cmd(setup + ["run"], [python, TARGET, str(n)]),
                       capture_output=True, text=True, timeout=1800)
    return calls_per_second(p.stdout + p.stderr), p.stdout + p.stderr


def best(f):
    """The best of REPEATS runs (the machine is shared)."""
    return max(f() for _ in range(REPEATS))


def entry_addresses(python):
    """The addresses py-break's fallback uses, as pyxray finds them."""
    script = ("python import pyxray_gdb.session as s; "
              "print('ENTRY', ' '.join(s.program().entry_points()['addresses']))")
    p = subprocess.run(gdb_cmd(["start", script], [python, TARGET, "1"]),
                       capture_output=True, text=True, timeout=300)
    m = re.search(r"^ENTRY (.*)$", p.stdout, re.M)
    if not m:
        raise RuntimeError("could not find the entry points:\n" + (p.stdout + p.stderr)[-2000:])
    return m.group(1).split()


def time_to_stop(python, script, setup, stopped):
    """Seconds from gdb's start to the stop (gdb and the program start,
    numpy is imported, the breakpoint hits); None if it did not stop."""
    t = time.monotonic()
    p = subprocess.run(gdb_cmd(setup + ["run", "kill"], [python, script]),
                       capture_output=True, text=True, timeout=1800)
    dt = time.monotonic() - t
    return dt if stopped in p.stdout else None


def numpy_ratio(python):
    if subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode:
        print("  (numpy is not installed for %s: no time to reach a breakpoint behind "
              "import numpy)" % python)
        return
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "numpy_target.py")
        with open(script, "w") as fp:
            fp.write(NUMPY_TARGET)
        plain, pyx = [], []
        for _ in range(REPEATS):
            plain.append(time_to_stop(python, script, ["break os_getpid"], "Breakpoint 1, "))
            pyx.append(time_to_stop(python, script, ["py-break target"],
                                    "Python breakpoint 1, target"))
    if None in plain or None in pyx:
        print("  behind import numpy: a breakpoint did not stop (plain %s, py-break %s)"
              % (plain, pyx))
        return
    p, q = min(plain), min(pyx)
    print("  %-44s %8.2f s" % ("behind import numpy: break os_getpid (peer)", p))
    print("  %-44s %8.2f s" % ("behind import numpy: py-break target", q))
    print("  reaching a py-break behind import numpy takes %.2fx the plain break "
          "(goal: within 2x)" % (q / p))


def main():
    python = os.environ.get("PYXRAY_BENCH_PYTHON", "/usr/bin/python3.11")
    if not os.path.exists(python):
        print("bench_break: %s not found (set PYXRAY_BENCH_PYTHON)" % python)
        return 0
    print("== py-break: calls per second of %s bench/calls_target.py" % python, flush=True)
    free = best(lambda: calls_per_second(subprocess.run(
        [python, TARGET, str(FREE_CALLS)], capture_output=True, text=True).stdout))
    under_gdb = best(lambda: gdb_run(python, FREE_CALLS, [])[0])
    outs = []

    def with_break():
        rate, out = gdb_run(python, FREE_CALLS, ["py-break never_called"])
        outs.append(out)
        return rate
    pyx = best(with_break)
    if any("Python breakpoint 1," in out for out in outs):
        print("bench_break: py-break stopped where it should not have")
        return 1
    try:
        addrs = entry_addresses(python)
    except RuntimeError as e:
        addrs = None
        print("  (no fallback figure: %s)" % str(e).splitlines()[-1])
    rows = [("no debugger", free), ("under gdb, no breakpoints (peer)", under_gdb),
            ("py-break never_called", pyx)]
    if addrs:
        # Set at main (the addresses are those of this run: no ASLR under gdb).
        every, _ = gdb_run(python, TRAPPED_CALLS,
                           ["break main", "run"] + ["break *%s if 0" % a for a in addrs] +
                           ["delete 1", "continue"])
        rows.append(("break *RESUME if 0 (a stop per call)", every))
    for name, v in rows:
        print("  %-44s %12.0f calls/s" % (name, v))
    print("  with py-break set the program runs at %.0f%% of its speed under gdb without "
          "breakpoints (goal: >= 50%%)" % (100.0 * pyx / under_gdb))
    if addrs:
        print("  a breakpoint at every Python call would run it at %.3f%%"
              % (100.0 * rows[-1][1] / under_gdb))
    numpy_ratio(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
