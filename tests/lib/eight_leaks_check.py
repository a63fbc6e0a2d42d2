#!/usr/bin/env python3
"""eight_leaks_check.py CLI RECORD1 RECORD2 SNAPSHOT LABEL: the CLI on
examples/leaks/eight_leaks.py stopped after its second round, against
what it recorded after each round: `leaks diff` against the snapshot
taken after the first names every leak's type with the exact growth;
`path` finds a chain from a root to each leak's newest object wherever
gc.get_referrers() chains reach the module's globals; `referrers` names
the holders pyxray once could not see (the lru_cache wrapper, the
Event's deque of waiters, the threading.local's storage).  Prints CHECK
lines."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line, run_cli  # noqa: E402


def main():
    cli, rec1_path, rec2_path, snapshot, label = sys.argv[1:6]
    with open(rec1_path) as fp:
        rec1 = json.load(fp)
    with open(rec2_path) as fp:
        rec2 = json.load(fp)
    where = ["--pid", str(rec2["pid"])]
    out = []

    def check(ok, name, detail=""):
        out.append(check_line(ok, "%s: %s" % (label, name), detail))

    try:
        diff = run_cli(cli, ["leaks", "diff", snapshot, "--top", "0"] + where, timeout=300)
        grew = {t["type"]: t["count_after"] - t["count_before"] for t in diff["types"]}
    except Exception as e:
        check(False, "leaks diff", str(e))
        grew = None
    # Growth of a type: the sum over the leaks of that type.
    want = {}
    for name, leak in rec2["leaks"].items():
        if leak["type"] and name in rec1["leaks"]:
            want.setdefault(leak["type"], 0)
            want[leak["type"]] += leak["count"] - rec1["leaks"][name]["count"]
    gc_leaks = {n: l for n, l in rec2["leaks"].items() if n != "numpy"}
    for name, leak in sorted(gc_leaks.items()):
        t = leak["type"]
        if grew is not None:
            check(grew.get(t) == want[t], "%s: leaks diff says %s grew by %d" % (name, t, want[t]),
                  "pyxray says %s" % grew.get(t))
        if leak["reachable"]:
            try:
                path = run_cli(cli, ["path", leak["newest"]] + where, timeout=300)
                check(path.get("found"), "%s: a path from a root to the newest %s" % (name, t),
                      json.dumps(path)[:400])
            except Exception as e:
                check(False, "%s: path" % name, str(e))

    def holders(addr):
        got = run_cli(cli, ["referrers", addr] + where, timeout=300)
        return {r["type"] for r in got["referrers"]}, got

    try:
        types, got = holders(rec2["leaks"]["lru_method"]["newest"])
        check("functools._lru_cache_wrapper" in types,
              "lru_method: the lru_cache wrapper holds the result", json.dumps(got)[:300])
        types, got = holders(rec2["leaks"]["event_waiters"]["waiter"])
        check("collections.deque" in types,
              "event_waiters: the Event's deque holds the waiter", json.dumps(got)[:300])
        path = run_cli(cli, ["path", rec2["leaks"]["local"]["list"]] + where, timeout=300)
        check(any(s["type"] == "_thread._local" for s in path.get("path", [])),
              "local: the path to the list goes through the threading.local",
              json.dumps(path)[:400])
    except Exception as e:
        check(False, "holders", str(e))
    print("\n".join(out))
    print("CHECK-END")


if __name__ == "__main__":
    main()
