#!/usr/bin/env python3
"""hung_check.py: the pyxray CLI on hung and crashed services, against
what the programs recorded about themselves.  Prints CHECK lines.

    hung_check.py CLI tasks RECORD LABEL pid|CORE     py-tasks (tasks_fixture.py)
    hung_check.py CLI locks RECORD LABEL pid|CORE     py-locks (locks_fixture.py)
    hung_check.py CLI status RECORD LABEL pid|CORE    each thread's status in stack
                                                      --native and triage (status_fixture.py)
    hung_check.py CLI verdict RECORD SCENARIO LABEL CORE
                                                      py-triage on a crash example's core
    hung_check.py CLI traced PID LABEL                stack --native of a process another
                                                      debugger traces
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hung_truth  # noqa: E402
from checks import check_line, run_cli  # noqa: E402

results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))


def text(cli, args):
    p = subprocess.run([cli] + args, capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.strip()[-300:]))
    return p.stdout, p.stderr


def target(rec, where):
    return ["--pid", str(rec["pid"])] if where == "pid" else ["--core", where]


def main():
    cli, mode = sys.argv[1:3]
    args = sys.argv[3:]
    try:
        if mode == "traced":
            pid, label = args
            out, err = text(cli, ["stack", "--native", "--pid", pid])
            lines = [l for l in err.splitlines() if "warning:" in l]
            check(len(lines) == 1 and "traced by process" in lines[0] and
                  "native frames" in lines[0],
                  label + ": one warning line says another debugger holds the process and "
                  "native frames are missing", err.strip())
            check("File \"" in out, label + ": the Python frames still come", out[:300])
        else:
            with open(args[0]) as fp:
                rec = json.load(fp)
            if mode == "tasks":
                _, label, where = args
                doc = run_cli(cli, ["tasks"] + target(rec, where))
                results.extend(hung_truth.compare_tasks(doc, rec, label))
                out, _ = text(cli, ["tasks"] + target(rec, where))
                check("(T) deadlock-a [" in out and "Deadlock: deadlock-" in out and
                      "└──  forgotten " in out, label + ": the text draws the tree",
                      out[:500])
                if where == "pid":
                    # A hung service: triage's verdict names the tasks.
                    v = run_cli(cli, ["triage"] + target(rec, where))["verdict"]
                    check("; asyncio tasks deadlocked: deadlock-" in v and
                          "deadlock-a awaits deadlock-b, which awaits deadlock-a" in v or
                          "deadlock-b awaits deadlock-a, which awaits deadlock-b" in v,
                          label + ": triage's verdict names the tasks awaiting each other", v)
            elif mode == "locks":
                _, label, where = args
                doc = run_cli(cli, ["locks"] + target(rec, where))
                results.extend(hung_truth.compare_locks(doc, rec, label))
                out, _ = text(cli, ["locks"] + target(rec, where))
                check("holds lock_a and waits for lock_b" in out or
                      "holds lock_b and waits for lock_a" in out,
                      label + ": the text names the deadlock", out[-500:])
                if where == "pid":
                    # A hung process: triage's verdict names the deadlock.
                    v = run_cli(cli, ["triage"] + target(rec, where))["verdict"]
                    a, b = rec["deadlock"]
                    check("; deadlock: thread " in v and ("thread %d" % a) in v and
                          ("thread %d" % b) in v and "waits for lock_" in v,
                          label + ": triage's verdict names the deadlock", v)
            elif mode == "status":
                _, label, where = args
                doc = run_cli(cli, ["stack", "--native"] + target(rec, where))
                results.extend(hung_truth.compare_status(doc, rec, label + " stack --native"))
                doc = run_cli(cli, ["triage"] + target(rec, where))
                results.extend(hung_truth.compare_status(doc, rec, label + " triage"))
                out, _ = text(cli, ["triage"] + target(rec, where))
                check("  status: waiting for the GIL" in out,
                      label + ": triage's text gives each thread's status line", out[:500])
            elif mode == "verdict":
                _, scenario, label, core = args
                doc = run_cli(cli, ["triage", "--core", core])
                results.extend(hung_truth.compare_verdict(doc, rec, scenario, label))
                if scenario == "kill" and rec.get("peer_tid"):
                    s = run_cli(cli, ["stack", "--native-all", "--core", core])
                    peer = [t for t in s["threads"] if t["tid"] == rec["peer_tid"]]
                    check(len(peer) == 1 and peer[0]["thread_id"] is None and
                          any(f.get("function") == "peer::registered_thread"
                              for f in peer[0]["frames"]),
                          label + ": stack --native-all adds the thread that never ran Python",
                          repr([t["tid"] for t in s["threads"]]))
                    s = run_cli(cli, ["stack", "--native", "--core", core])
                    check(not any(t["tid"] == rec["peer_tid"] for t in s["threads"]),
                          label + ": stack --native shows Python threads only")
    except Exception as e:
        check(False, "%s: %s" % (sys.argv[-2] if mode != "traced" else args[-1], mode),
              "%s: %s" % (type(e).__name__, e))
    for ok, name, detail in results:
        print(check_line(ok, name, detail))


if __name__ == "__main__":
    main()
