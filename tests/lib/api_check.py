#!/usr/bin/env python3
"""api_check.py CLI TOP HEAP_RECORD CHURN_PYTHON SCRATCH LABEL: the Python
API (pyxray.attach, Program) on real processes.

* On the stopped heap fixture: each method returns the document the CLI
  prints with --json; errors are the documented classes.
* On a process churning in four threads: attach() pauses every thread
  (this process is their tracer) until the Program is closed, resume()
  and pause() do what they say, block=False reads it running, and the
  process runs on, untraced, afterwards.

Prints CHECK lines like pyxray_check.py."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line  # noqa: E402

results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))


def status(pid, field):
    try:
        with open("/proc/%d/status" % pid) as fp:
            for line in fp:
                if line.startswith(field + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None


def states(pid):
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as fp:
            out.append(fp.read().rsplit(")", 1)[1].split()[0])
    return out


def cli_json(cli, args):
    p = subprocess.run([cli] + args + ["--json"], capture_output=True, text=True, timeout=300)
    if p.returncode:
        raise RuntimeError(p.stderr.strip())
    return json.loads(p.stdout)


def same_as_cli(pyxray, cli, rec, label):
    pid = rec["pid"]
    where = ["--pid", str(pid)]
    with pyxray.attach(pid) as prog:
        for name, call, args in (
                ("gc", lambda: prog.gc(), ["gc"]),
                ("census", lambda: prog.census(top=0), ["census"]),
                ("census sorted", lambda: prog.census(top=5, sort="size"),
                 ["census", "--top", "5", "--sort", "size"]),
                ("referrers", lambda: prog.referrers(rec["target"]), ["referrers", rec["target"]]),
                ("path", lambda: prog.path(int(rec["target"], 16)), ["path", rec["target"]]),
                ("stack", lambda: prog.stack(locals=True), ["stack", "--locals"]),
                ("info", lambda: prog.info(), ["info"])):
            try:
                got, want = call(), cli_json(cli, args + where)
                check(got == want, "%s api: Program.%s is `pyxray %s --json`"
                      % (label, name.split()[0], " ".join(args)))
            except Exception as e:
                check(False, "%s api: Program.%s" % (label, name), "%s: %s" % (type(e).__name__, e))
        try:
            prog.object(0xdead0000)
            check(False, "%s api: a bad address raises FaultError" % label)
        except pyxray.FaultError as e:
            check(e.address == 0xdead0000 and e.code in ("fault", "invalid-object"),
                  "%s api: a bad address raises FaultError with its address" % label,
                  "%r %r" % (e.code, e.address))
    try:
        pyxray.attach(999999999)
        check(False, "%s api: attach to no process raises Error" % label)
    except pyxray.Error as e:
        check(e.code == "not-found" and str(e) == "no process with id 999999999",
              "%s api: attach to no process raises Error" % label, "%r %s" % (e.code, e))
    try:
        pyxray.open_core("/nonexistent/core")
    except OSError as e:
        check(isinstance(e, pyxray.SystemCallError) and e.errno == 2,
              "%s api: a missing core raises SystemCallError, an OSError" % label, repr(e))


def pausing(pyxray, python, top, scratch, label):
    record = os.path.join(scratch, "churn.json")
    log = open(os.path.join(scratch, "churn.log"), "w")
    fixture = subprocess.Popen([python, os.path.join(top, "tests/fixtures/churn_fixture.py"),
                                record], stdout=log, stderr=log)
    try:
        for _ in range(600):
            if os.path.exists(record):
                break
            time.sleep(0.1)
        with open(record) as fp:
            rec = json.load(fp)
        pid = rec["pid"]
        me = str(os.getpid())
        with pyxray.attach(pid) as prog:
            check(prog.paused and status(pid, "TracerPid") == me and
                  all(s == "t" for s in states(pid)),
                  "%s api: inside `with attach(pid)` every thread is stopped, by this process"
                  % label, "%s %s" % (status(pid, "TracerPid"), states(pid)))
            n = [t["count"] for t in prog.census(type="Stable")["types"]]
            check(n == [rec["stable_count"]], "%s api: a paused census" % label, repr(n))
            prog.resume()
            check(not prog.paused and status(pid, "TracerPid") == "0",
                  "%s api: resume() lets it run, untraced" % label)
            prog.pause()
            check(prog.paused and status(pid, "TracerPid") == me,
                  "%s api: pause() stops it again" % label)
        check(status(pid, "TracerPid") == "0" and "t" not in states(pid),
              "%s api: leaving the with block lets it run" % label, repr(states(pid)))
        prog = pyxray.attach(pid, block=False)
        try:
            check(not prog.paused and status(pid, "TracerPid") == "0",
                  "%s api: block=False does not pause" % label)
            try:
                prog.gc()
                check(True, "%s api: block=False reads it running" % label)
            except pyxray.Error as e:
                check("was running while pyxray read it" in str(e),
                      "%s api: block=False reads it running, or says it ran" % label, str(e))
        finally:
            prog.close()
    finally:
        fixture.kill()
        fixture.wait()


def main():
    cli, top, heap_record, churn_python, scratch, label = sys.argv[1:7]
    sys.path.insert(0, os.path.join(top, "build", "python"))
    import pyxray
    with open(heap_record) as fp:
        rec = json.load(fp)
    try:
        same_as_cli(pyxray, cli, rec, label)
        pausing(pyxray, churn_python, top, scratch, label)
    except Exception as e:
        check(False, "%s api" % label, "%s: %s" % (type(e).__name__, e))
    for ok, name, detail in results:
        print(check_line(ok, name, detail))
    print("CHECK-END")


if __name__ == "__main__":
    main()
