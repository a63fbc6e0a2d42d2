#!/usr/bin/env python3
"""compare_cli_heap.py CLI RECORD LABEL TARGET: the CLI's gc, census,
referrers, path, leaks (snapshot, diff, refcheck) on
tests/fixtures/heap_fixture.py's process or core, against its record.
TARGET is "pid" or a core file.  Prints CHECK lines like pyxray_check.py.
`make check` runs it with the ASan/UBSan build too."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line, run_cli  # noqa: E402


def main():
    cli, record, label, target = sys.argv[1:5]
    with open(record) as fp:
        rec = json.load(fp)
    where = ["--pid", str(rec["pid"])] if target == "pid" else ["--core", target]
    results = []

    def check(ok, name, detail=""):
        results.append((bool(ok), "%s: %s" % (label, name), detail))

    def run(*args):
        return run_cli(cli, list(args) + where, timeout=300)

    try:
        gc = run("gc")
        check([g["threshold"] for g in gc["generations"]] == rec["threshold"], "gc thresholds")
        census = run("census")
        got = {t["type"]: t["count"] for t in census["types"]}
        bad = {c: (got.get("__main__." + c, 0), n) for c, n in rec["class_counts"].items()
               if got.get("__main__." + c, 0) != n}
        check(not bad, "census counts of the fixture's classes", "pyxray, process: %s" % bad)
        refs = run("referrers", rec["target"])
        objs = {(r["address"], r["type"]) for r in refs["referrers"] if r["holder"] == "object"}
        want = {(r["address"], r["type"]) for r in rec["target_referrers"]}
        check(objs == want, "referrers are gc.get_referrers()",
              "more %s, missing %s" % (sorted(objs - want), sorted(want - objs)))
        path = run("path", rec["target"])
        check(path["found"] and path["root"] == "sys.modules" and
              path["path"][-1]["address"] == rec["target"], "path from sys.modules")
        check(not run("path", rec["orphan"])["found"], "no path to an unreachable cycle")
        with tempfile.TemporaryDirectory() as tmp:
            snap = os.path.join(tmp, "snap")
            s = run("leaks", "snapshot", snap)
            check(s["total_objects"] > 0 and os.path.exists(snap), "leaks snapshot")
            d = run("leaks", "diff", snap)
            check(d["types"] == [], "leaks diff of the same moment is empty", str(d["types"])[:200])
        if rec["have_ext"]:
            rc = run("leaks", "refcheck", "--top", "5")
            top = {o["address"]: o["excess"] for o in rc["objects"]}
            check(top.get(rec["token"]) == 500, "refcheck ranks the leaked object",
                  str(rc["objects"])[:300])
            full = run("leaks", "refcheck", "--top", "1000000")
            check(all(o["address"] != rec["clean_token"] for o in full["objects"]),
                  "refcheck leaves the clean twin alone")
    except Exception as e:
        results.append((False, "%s: heap commands" % label, str(e)))
    for ok, name, detail in results:
        print(check_line(ok, name, detail))
    print("CHECK-END")


if __name__ == "__main__":
    main()
