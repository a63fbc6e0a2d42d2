#!/usr/bin/env python3
"""churn_check.py CLI PYTHON SCRATCH LABEL RUNS: the CLI on a process whose
heap changes all the time (tests/fixtures/churn_fixture.py, four threads
building and dropping dicts and lists).

* RUNS runs each of `pyxray census` and `pyxray referrers` all succeed,
  with the totals of the fixture's fixed part that a paused read gives;
* a reader killed with SIGKILL in the middle of a read, or stopped by
  Ctrl-C (SIGINT) or SIGTERM, leaves the process running, untraced;
* with a debugger attached (gdb), the CLI says so in one line and reads;
* --no-block reads it running, and fails only saying that it ran;
* afterwards the process still runs and computed every round right.

Prints CHECK lines like pyxray_check.py."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GDB = os.environ.get("PYXRAY_GDB", "gdb")
results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))


def status(pid, field):
    """A field of /proc/PID/status, or None once the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as fp:
            for line in fp:
                if line.startswith(field + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def thread_states(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as fp:
                out.append(fp.read().rsplit(")", 1)[1].split()[0])
    except OSError:
        pass
    return out


def cli(args, **kw):
    return subprocess.run([CLI] + args, capture_output=True, text=True, timeout=300, **kw)


def census_count(p, type_name):
    doc = json.loads(p.stdout)
    return sum(t["count"] for t in doc["types"] if t["type"] == type_name)


def referrer_set(p):
    doc = json.loads(p.stdout)
    return sorted(r["address"] for r in doc["referrers"] if r["holder"] == "object")


def released(pid, seconds=2.0):
    """The process is untraced and no thread is in a tracing stop."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if status(pid, "TracerPid") == "0" and "t" not in thread_states(pid):
            return True
        time.sleep(0.01)
    return False


def interrupt_mid_read(pid, target, label, signo):
    """Start a read, signal the reader once it has paused the process."""
    for attempt in range(40):
        p = subprocess.Popen([CLI, "referrers", target, "--pid", str(pid)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        caught = False
        while p.poll() is None:
            if status(pid, "TracerPid") == str(p.pid):
                p.send_signal(signo)
                caught = True
                break
        err = p.communicate()[1]
        if caught:
            return p.returncode, err
    return None, "the reader never caught the process paused"


def main():
    global CLI
    CLI, python, scratch, label, runs = sys.argv[1:6]
    runs = int(runs)
    record = os.path.join(scratch, "churn.json")
    for f in (record, record + ".done", record + ".gdb-done"):
        if os.path.exists(f):
            os.unlink(f)
    log = open(os.path.join(scratch, "churn.log"), "w")
    fixture = subprocess.Popen([python, os.path.join(TOP, "tests/fixtures/churn_fixture.py"),
                                record], stdout=log, stderr=log)
    try:
        run_checks(fixture, record, label, runs)
    except Exception as e:
        check(False, "%s churn: checks" % label, "%s: %s" % (type(e).__name__, e))
    finally:
        if fixture.poll() is None:
            fixture.kill()
        fixture.wait()
    for ok, name, detail in results:
        print(check_line(ok, name, detail))
    print("CHECK-END")


def run_checks(fixture, record, label, runs):
    for _ in range(600):
        if os.path.exists(record) or fixture.poll() is not None:
            break
        time.sleep(0.1)
    with open(record) as fp:
        rec = json.load(fp)
    pid = rec["pid"]
    stable, target = rec["stable_type"], rec["target"]
    where = ["--pid", str(pid)]

    # The paused read that the others must agree with.
    base = cli(["census", "--type", "Stable", "--json"] + where)
    check(base.returncode == 0 and census_count(base, stable) == rec["stable_count"],
          "%s churn: a paused census counts the fixed objects" % label,
          base.stderr.strip() or base.stdout[:300])
    refs = cli(["referrers", target, "--json"] + where)
    want_refs = referrer_set(refs) if refs.returncode == 0 else None
    check(want_refs == rec["target_referrers"],
          "%s churn: a paused referrers is gc.get_referrers()" % label,
          "%s, want %s %s" % (want_refs, rec["target_referrers"], refs.stderr.strip()))

    bad = []
    for i in range(runs):
        p = cli(["census", "--json"] + where)
        if p.returncode != 0 or census_count(p, stable) != rec["stable_count"]:
            bad.append("run %d: exit %d %s" % (i, p.returncode, p.stderr.strip()[:200]))
    check(not bad, "%s churn: %d census runs succeed with the paused totals" % (label, runs),
          "; ".join(bad[:3]))
    bad = []
    for i in range(runs):
        p = cli(["referrers", target, "--json"] + where)
        if p.returncode != 0 or referrer_set(p) != want_refs:
            bad.append("run %d: exit %d %s" % (i, p.returncode, p.stderr.strip()[:200]))
    check(not bad, "%s churn: %d referrers runs succeed with the paused answer" % (label, runs),
          "; ".join(bad[:3]))
    check(released(pid), "%s churn: the process runs, untraced, after the reads" % label,
          "TracerPid %s, states %s" % (status(pid, "TracerPid"), thread_states(pid)))

    # A reader that dies or is stopped in the middle of a read.
    for signo, want in ((signal.SIGKILL, -9), (signal.SIGINT, 130), (signal.SIGTERM, 143)):
        name = signal.Signals(signo).name
        code, err = interrupt_mid_read(pid, target, label, signo)
        check(code == want, "%s churn: a reader sent %s mid-read exits %d" % (label, name, want),
              "exit %s: %s" % (code, err.strip()))
        if signo == signal.SIGINT:
            check(err.strip() == "pyxray: interrupted",
                  "%s churn: Ctrl-C says interrupted, once" % label, repr(err))
        check(released(pid), "%s churn: after %s mid-read the process runs on, untraced"
              % (label, name),
              "TracerPid %s, states %s" % (status(pid, "TracerPid"), thread_states(pid)))

    # Running reads: an answer, or the one line that says why not.
    p = cli(["census", "--no-block", "--json"] + where)
    check(p.returncode == 0 or (p.returncode == 1 and "was running while pyxray read it: "
                                "drop --no-block" in p.stderr),
          "%s churn: --no-block answers or says the process was running" % label,
          p.stderr.strip())

    # Another debugger: the CLI says so and reads without pausing.  gdb
    # stays attached until the flag file appears, then detaches (killing
    # it would leave the process in the group stop its attach began).
    flag = record + ".gdb-done"
    g = subprocess.Popen([GDB, "-nx", "-q", "-batch", "-p", str(pid), "-ex",
                          "shell while [ ! -e '%s' ]; do sleep 0.05; done" % flag],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if status(pid, "TracerPid") not in (None, "0"):
                break
            time.sleep(0.05)
        p = cli(["census", "--type", "Stable", "--json"] + where)
        lines = [l for l in p.stderr.splitlines() if l]
        check(p.returncode == 0 and census_count(p, stable) == rec["stable_count"] and
              len(lines) == 1 and "is traced by process %d (gdb): reading it without "
              "pausing it" % g.pid in lines[0],
              "%s churn: with gdb attached the CLI says so in one line and reads" % label,
              "exit %d: %r" % (p.returncode, p.stderr))
    finally:
        open(flag, "w").close()
        try:
            g.wait(timeout=120)
        except subprocess.TimeoutExpired:
            g.kill()
            g.wait()
    check(released(pid, 10) and "T" not in thread_states(pid),
          "%s churn: gdb detached, the process runs untraced" % label,
          "TracerPid %s, states %s" % (status(pid, "TracerPid"), thread_states(pid)))

    # The process still runs, and ran right.
    os.kill(pid, signal.SIGUSR1)
    for _ in range(300):
        if os.path.exists(record + ".done"):
            break
        time.sleep(0.05)
    try:
        with open(record + ".done") as fp:
            done = json.load(fp)
    except OSError:
        done = None
    check(done is not None and all(r > 0 for r in done["rounds"]) and
          not any(done["wrong"]) and done["stable_ok"],
          "%s churn: the process kept running and computed every round right" % label,
          repr(done))


if __name__ == "__main__":
    main()
