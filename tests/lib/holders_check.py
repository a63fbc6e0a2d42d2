#!/usr/bin/env python3
"""holders_check.py CLI RECORD LABEL TARGET: for every kind of holder
tests/fixtures/holders_fixture.py made, the CLI's `referrers` of the token
against gc.get_referrers() at the same pause, and its `path` from a root
when the process found a chain of referrers to its globals.  The
fixture does not run tracemalloc: `object` says so and how to turn it
on, and `leaks diff --by-site` refuses with the same advice.  TARGET is
"pid" or a core file.  Prints CHECK lines."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line, run_cli  # noqa: E402


def main():
    cli, record, label, target = sys.argv[1:5]
    with open(record) as fp:
        rec = json.load(fp)
    where = ["--pid", str(rec["pid"])] if target == "pid" else ["--core", target]
    out = []
    for kind, want in sorted(rec["kinds"].items()):
        name = "%s: %s" % (label, kind)
        if "error" in want:
            out.append(check_line(False, name + " (fixture)", want["error"]))
            continue
        try:
            got = run_cli(cli, ["referrers", want["token"]] + where, timeout=300)
        except Exception as e:
            out.append(check_line(False, name + ": referrers", str(e)))
            continue
        mine = {(r["address"], r["type"]) for r in got["referrers"] if r["holder"] == "object"}
        truth = {(r["address"], r["type"]) for r in want["referrers"]}
        edges = ["%s %s" % (r["type"], r["edge"]) for r in got["referrers"]]
        out.append(check_line(mine == truth, name + ": referrers are gc.get_referrers()",
                              "pyxray %s (%s), process %s" % (sorted(mine), edges, sorted(truth))))
        if want["reachable"]:
            try:
                path = run_cli(cli, ["path", want["token"]] + where, timeout=300)
                ok = bool(path.get("path"))
                detail = json.dumps(path)[:300]
            except Exception as e:
                ok, detail = False, str(e)
            out.append(check_line(ok, name + ": a path from a root, as objgraph finds one", detail))
    out += parallel_index(cli, rec, where, label)
    out += tracemalloc_off(cli, rec, where, label)
    print("\n".join(out))
    print("CHECK-END")


def parallel_index(cli, rec, where, label):
    """The referrer index built by four threads (PYXRAY_THREADS; big heaps
    get two by default) gives the same referrers, in the same order, as
    the one built by one thread."""
    tokens = [w["token"] for w in rec["kinds"].values() if "token" in w][:6]
    answers = {}
    for threads in ("1", "4"):
        env = dict(os.environ, PYXRAY_THREADS=threads)
        got = []
        for t in tokens:
            p = subprocess.run([cli, "referrers", t, "--json"] + where, capture_output=True,
                               text=True, timeout=300, env=env)
            got.append(p.stdout if p.returncode == 0 else "exit %d: %s" % (p.returncode,
                                                                         p.stderr[-200:]))
        answers[threads] = got
    out = [check_line(answers["1"] == answers["4"] and all(a.startswith("{") for a in
                                                          answers["1"]),
                      "%s: the referrer index built by 4 threads equals the serial one" % label,
                      "" if answers["1"] == answers["4"] else
                      "serial %s, parallel %s" % (answers["1"][0][:200], answers["4"][0][:200]))]
    # census --all-heap's block walk on 4 threads: the same counts and bytes
    # (samples may differ: each thread keeps the first it meets).
    heaps = {}
    for threads in ("1", "4"):
        env = dict(os.environ, PYXRAY_THREADS=threads)
        p = subprocess.run([cli, "census", "--all-heap", "--top", "0", "--json"] + where,
                           capture_output=True, text=True, timeout=300, env=env)
        if p.returncode != 0:
            heaps[threads] = "exit %d: %s" % (p.returncode, p.stderr[-200:])
            continue
        d = json.loads(p.stdout)
        heaps[threads] = (d["total_objects"], d["total_bytes"], d["outside_pymalloc_objects"],
                          sorted((t["type"], t["count"], t["bytes"]) for t in d["types"]))
    out.append(check_line(heaps["1"] == heaps["4"] and isinstance(heaps["1"], tuple),
                          "%s: census --all-heap walked by 4 threads counts as the serial walk"
                          % label, "" if heaps["1"] == heaps["4"] else
                          "serial %s, parallel %s" % (str(heaps["1"])[:200], str(heaps["4"])[:200])))
    return out


def tracemalloc_off(cli, rec, where, label):
    out = []
    token = next(w["token"] for w in rec["kinds"].values() if "token" in w)
    try:
        got = run_cli(cli, ["object", token] + where)
        note = got.get("allocated_at_note") or ""
        out.append(check_line(got["allocated_at"] is None and "tracemalloc is off" in note
                              and "PYTHONTRACEMALLOC" in note,
                              "%s: object says tracemalloc is off and how to turn it on" % label,
                              note))
    except Exception as e:
        out.append(check_line(False, "%s: object without tracemalloc" % label, str(e)))
    with tempfile.TemporaryDirectory() as d:
        snap = os.path.join(d, "snap")
        try:
            run_cli(cli, ["leaks", "snapshot", snap] + where, timeout=300)
            p = subprocess.run([cli, "leaks", "diff", snap, "--by-site"] + where,
                               capture_output=True, text=True, timeout=300)
            err = p.stderr.strip()
            out.append(check_line(p.returncode == 1 and len(err.splitlines()) == 1 and
                                  "tracemalloc" in err and "PYTHONTRACEMALLOC" in err,
                                  "%s: diff --by-site without tracemalloc: one line saying "
                                  "how to turn it on" % label, err))
        except Exception as e:
            out.append(check_line(False, "%s: diff --by-site without tracemalloc" % label,
                                  str(e)))
    return out


if __name__ == "__main__":
    main()
