#!/usr/bin/env python3
"""make bench: what a py-break costs the running program.

One small program (bench/calls_target.py) calls a Python function N times
and reports its own calls per second.  It runs

  * without a debugger, and under gdb without breakpoints;
  * under gdb with a plain gdb breakpoint, `break *ADDR if 0`, on each of
    the places py-break uses (the RESUME handlers from 3.11, the eval
    loop's entry before): the cheapest breakpoint gdb has there, the peer;
  * under gdb with `py-break never_called`: pyxray's breakpoints, which at
    every Python call read the thread's frame and decide it is not the one.

It prints calls per second and the ratios: py-break against the plain
breakpoint (pyxray's own share) and against no debugger (what the user
feels).  It never judges the numbers.

Environment: PYXRAY_BENCH_PYTHON (default /usr/bin/python3.11, which needs
python3.11-dbg for py-break), GDB (default gdb).
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.path.join(HERE, "calls_target.py")
FREE_CALLS = 2000000
TRAPPED_CALLS = 20000


def calls_per_second(out):
    m = re.search(r"calls/s ([0-9.]+)", out)
    if not m:
        raise RuntimeError("no calls/s in the output:\n" + out[-2000:])
    return float(m.group(1))


def gdb_run(python, n, setup):
    gdb = os.environ.get("GDB", "gdb")
    cmd = [gdb, "-nx", "-q", "-batch", "-iex", "set auto-load python-scripts off",
           "-iex", "set breakpoint pending on",
           "-ex", "source %s" % os.path.join(ROOT, "gdb", "pyxray-gdb.py")]
    for s in setup:
        cmd += ["-ex", s]
    cmd += ["-ex", "run", "--args", python, TARGET, str(n)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    return calls_per_second(p.stdout + p.stderr), p.stdout + p.stderr


def entry_addresses(python):
    """The addresses py-break uses, as pyxray finds them (at main)."""
    gdb = os.environ.get("GDB", "gdb")
    script = ("python import pyxray_gdb.session as s; "
              "print('ENTRY', ' '.join(s.program().entry_points()['addresses']))")
    cmd = [gdb, "-nx", "-q", "-batch", "-iex", "set auto-load python-scripts off",
           "-ex", "source %s" % os.path.join(ROOT, "gdb", "pyxray-gdb.py"),
           "-ex", "start", "-ex", script, "--args", python, TARGET, "1"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    m = re.search(r"^ENTRY (.*)$", p.stdout, re.M)
    if not m:
        raise RuntimeError("could not find the entry points:\n" + (p.stdout + p.stderr)[-2000:])
    return m.group(1).split()


def main():
    python = os.environ.get("PYXRAY_BENCH_PYTHON", "/usr/bin/python3.11")
    if not os.path.exists(python):
        print("bench_break: %s not found (set PYXRAY_BENCH_PYTHON)" % python)
        return 0
    print("== py-break: calls per second of %s bench/calls_target.py" % python, flush=True)
    free = calls_per_second(subprocess.run([python, TARGET, str(FREE_CALLS)],
                                           capture_output=True, text=True).stdout)
    under_gdb, _ = gdb_run(python, FREE_CALLS, [])
    try:
        addrs = entry_addresses(python)
    except RuntimeError as e:
        print("bench_break: py-break is not available here: %s" % str(e).splitlines()[-1])
        return 0
    # Set at main (the addresses are those of this run: no ASLR under gdb).
    plain, _ = gdb_run(python, TRAPPED_CALLS,
                       ["break main", "run"] + ["break *%s if 0" % a for a in addrs] +
                       ["delete 1", "continue"])
    pyx, out = gdb_run(python, TRAPPED_CALLS, ["py-break never_called"])
    if "Python breakpoint" in out.split("calls/s")[0].split("py-break never_called")[-1] \
            and "Python breakpoint 1," in out:
        print("bench_break: py-break stopped where it should not have")
        return 1
    rows = [("no debugger", free), ("under gdb, no breakpoints", under_gdb),
            ("gdb: break *RESUME if 0 (peer)", plain), ("py-break never_called", pyx)]
    for name, v in rows:
        print("  %-34s %12.0f calls/s" % (name, v))
    print("  py-break costs %.2fx the plain gdb breakpoint per call "
          "(%.0f us against %.0f us per call)"
          % ((1 / pyx) / (1 / plain), 1e6 / pyx, 1e6 / plain))
    print("  with py-break set the program runs %.0fx slower than without a debugger"
          % (free / pyx))
    return 0


if __name__ == "__main__":
    sys.exit(main())
