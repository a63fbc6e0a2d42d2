#!/usr/bin/env python3
"""eight_leaks_check.py CLI RECORD1 RECORD2 SNAPSHOT LABEL: the CLI on
examples/leaks/eight_leaks.py stopped after its second round, against
what it recorded after each round: `leaks diff` against the snapshot
taken after the first names every leak's type with the exact growth;
`path` finds a chain from a root to each leak's newest object wherever
gc.get_referrers() chains reach the module's globals; `referrers` names
the holders pyxray once could not see (the lru_cache wrapper, the
Event's deque of waiters, the threading.local's storage).  With numpy:
the diff counts the arrays' data (bytes grown within 5% of their
sys.getsizeof), `census --all-heap` too, and `memory` attributes the data
to numpy.ndarray.  `memory` adds up to the RSS and VSZ /proc says.  When
the example ran tracemalloc: `object` names each sample's allocating
traceback as tracemalloc.get_object_traceback() did, and `leaks diff
--by-site` gives each site in serve() the growth Snapshot.compare_to()
gave in the process.  Prints CHECK lines."""
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

    if rec2["have_numpy"]:
        check_numpy(cli, where, rec1, rec2, diff, check)
    check_memory(cli, where, rec2["pid"], check)
    if rec2.get("tracemalloc"):
        check_tracemalloc(cli, where, snapshot, rec2, check)

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


def within(got, want, share=0.05):
    return want and abs(got - want) <= share * want


def check_numpy(cli, where, rec1, rec2, diff, check):
    n1, n2 = rec1["leaks"]["numpy"], rec2["leaks"]["numpy"]
    grown = {t["type"]: t for t in diff["types"]} if diff else {}
    t = grown.get("numpy.ndarray")
    want = n2["getsizeof"] - n1["getsizeof"]
    check(t and t["count_growth"] == n2["count"] - n1["count"],
          "numpy: leaks diff says numpy.ndarray grew by %d" % (n2["count"] - n1["count"]),
          json.dumps(t)[:300])
    check(t and within(t["bytes_growth"], want),
          "numpy: the arrays' bytes grew by their sys.getsizeof (%d), within 5%%" % want,
          "pyxray says %s" % (t and t["bytes_growth"]))
    census = run_cli(cli, ["census", "--all-heap", "--sort", "size", "--type",
                           "numpy.ndarray"] + where, timeout=300)
    got = census["types"][0]["bytes"] if census["types"] else 0
    check(within(got, n2["getsizeof"]),
          "numpy: census --all-heap counts the arrays' data: %d bytes, sys.getsizeof says "
          "%d, within 5%%" % (got, n2["getsizeof"]))
    mem = run_cli(cli, ["memory", "--top", "0"] + where, timeout=300)
    owner = {o["type"]: o for o in mem["top_owners"]}.get("numpy.ndarray")
    check(owner and owner["malloc_bytes"] >= n2["nbytes"],
          "numpy: memory attributes the %d bytes of array data to numpy.ndarray" % n2["nbytes"],
          json.dumps(owner))


def smaps_totals(pid):
    rss = size = 0
    with open("/proc/%d/smaps" % pid) as fp:
        for line in fp:
            if line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("Size:"):
                size += int(line.split()[1]) * 1024
    return rss, size


def check_memory(cli, where, pid, check):
    rss, vsz = smaps_totals(pid)
    mem = run_cli(cli, ["memory"] + where, timeout=300)
    kinds = mem["kinds"]
    check(sum(k["bytes"] for k in kinds) == mem["vsz_bytes"] == vsz,
          "memory: the kinds add up to VSZ (%d, as smaps says)" % vsz,
          "kinds %d, vsz_bytes %d" % (sum(k["bytes"] for k in kinds), mem["vsz_bytes"]))
    total = sum(k["rss_bytes"] for k in kinds)
    check(within(total, rss) and within(mem["rss_bytes"], rss),
          "memory: the kinds add up to RSS (%d, as smaps says), within 5%%" % rss,
          "kinds %d, rss_bytes %d" % (total, mem["rss_bytes"]))
    check(not mem["notes"], "memory: nothing left uncounted", json.dumps(mem["notes"]))


def check_tracemalloc(cli, where, snapshot, rec2, check):
    here = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                                        "leaks", "eight_leaks.py"))
    for name, leak in sorted(rec2["leaks"].items()):
        want = leak.get("allocated_at")
        if not leak["newest"]:
            continue
        got = run_cli(cli, ["object", leak["newest"]] + where)
        frames = [{"file": f["file"], "line": f["line"]} for f in got["allocated_at"] or []]
        if want is None:
            # tracemalloc.get_object_traceback() misses instances with a
            # managed __dict__ on 3.11; pyxray finds them.
            check(any(f["file"] == here for f in frames),
                  "%s: object's allocated_at goes through eight_leaks.py (the process's "
                  "get_object_traceback() has none)" % name, json.dumps(got)[:300])
            continue
        check(frames == want, "%s: object's allocated_at is tracemalloc's traceback" % name,
              "pyxray %s, tracemalloc %s" % (frames, want))
    sites = run_cli(cli, ["leaks", "diff", snapshot, "--by-site", "--top", "0"] + where,
                    timeout=300)
    by_tb = {tuple((f["file"], f["line"]) for f in st["traceback"]): st
             for st in sites["sites"]}
    matched = 0
    for d in rec2["compare_traceback"]:
        st = by_tb.get(tuple(tuple(f) for f in d["traceback"]))
        ok = st and st["count_diff"] == d["count_diff"] and st["size_diff"] == d["size_diff"]
        matched += bool(ok)
        if not ok:
            check(False, "diff --by-site: the site %s:%d grew as compare_to says" % (
                d["traceback"][-1][0], d["traceback"][-1][1]),
                "tracemalloc %+d objects %+d bytes, pyxray %s" % (
                    d["count_diff"], d["size_diff"], json.dumps(st)[:200]))
    check(matched and matched == len(rec2["compare_traceback"]),
          "diff --by-site: all %d sites in serve() grew as tracemalloc's compare_to says"
          % len(rec2["compare_traceback"]))


if __name__ == "__main__":
    main()
