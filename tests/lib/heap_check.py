"""In-gdb checks of py-gc, py-census, py-referrers, py-path and py-leaks
against tests/fixtures/heap_fixture.py's record of itself.  Prints
"CHECK ok|FAIL NAME[: detail]" lines and "CHECK-END", like pyxray_check.py.

Tolerances, where the fixture itself allocates between recording and
stopping: the length and count of generation 0 (GEN0_SLACK), and the total
number of objects (TOTAL_SLACK).  Everything else is exact.
"""
import json
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line, gdb_json  # noqa: E402

GEN0_SLACK = 60
TOTAL_SLACK = 120


def _emit(ok, name, detail=""):
    gdb.write(check_line(ok, name, detail) + "\n")


def _pyxray(cmd):
    return gdb_json(gdb.execute(cmd, to_string=True))


def _load(path):
    with open(path) as fp:
        return json.load(fp)


def _count(path):
    with open(path + ".count") as fp:
        return [int(x) for x in fp.read().split()]


def _run(label, fn, *args):
    try:
        fn(label, *args)
    except gdb.error as e:
        _emit(False, "%s: %s" % (label, fn.__name__), str(e))
    gdb.write("CHECK-END\n")


def check_gc(record_path, label):
    _run(label, _check_gc, _load(record_path), _count(record_path))


def _check_gc(label, rec, count):
    d = _pyxray("py-gc --json")
    _emit(d["enabled"] == rec["gc_enabled"], "%s: gc enabled" % label,
          "pyxray %s, gc.isenabled() %s" % (d["enabled"], rec["gc_enabled"]))
    _emit(not d["collecting"], "%s: not collecting" % label)
    gens = d["generations"]
    _emit([g["threshold"] for g in gens] == rec["threshold"], "%s: thresholds" % label,
          "pyxray %s, gc.get_threshold() %s" % ([g["threshold"] for g in gens], rec["threshold"]))
    stats = [{"collections": g["collections"], "collected": g["collected"],
              "uncollectable": g["uncollectable"]} for g in gens]
    want = [{k: s[k] for k in ("collections", "collected", "uncollectable")} for s in rec["stats"]]
    _emit(stats == want, "%s: gc.get_stats()" % label, "pyxray %s, process %s" % (stats, want))
    objs = [g["objects"] for g in gens]
    want = rec["generation_objects"]
    ok = objs[1:] == want[1:] and abs(objs[0] - want[0]) <= GEN0_SLACK
    _emit(ok, "%s: objects per generation" % label, "pyxray %s, gc.get_objects() %s" % (objs, want))
    counts = [g["count"] for g in gens]
    ok = counts[1:] == count[1:] and abs(counts[0] - count[0]) <= GEN0_SLACK
    _emit(ok, "%s: gc.get_count()" % label, "pyxray %s, process %s" % (counts, count))


def check_census(record_path, label):
    _run(label, _check_census, _load(record_path))


def _check_census(label, rec):
    d = _pyxray("py-census --json --top 0")
    by_type = {t["type"]: t for t in d["types"]}
    for cls, n in sorted(rec["class_counts"].items()):
        got = by_type.get("__main__." + cls, {}).get("count", 0)
        _emit(got == n, "%s: census count of %s" % (label, cls),
              "pyxray %d, gc.get_objects() %d" % (got, n))
    _emit(abs(d["total_objects"] - rec["total_objects"]) <= TOTAL_SLACK,
          "%s: census total" % label,
          "pyxray %d, len(gc.get_objects()) %d" % (d["total_objects"], rec["total_objects"]))
    leaf = by_type.get("__main__.Leaf")
    if leaf:
        one = _pyxray("py-object --json %s" % rec["leaf0"])["size"]
        _emit(leaf["bytes"] == one * leaf["count"], "%s: census bytes of Leaf" % label,
              "%d bytes for %d objects of %d" % (leaf["bytes"], leaf["count"], one))
    only = _pyxray("py-census --json --type Leaf")
    _emit([t["type"] for t in only["types"]] == ["__main__.Leaf"], "%s: census --type" % label,
          "got %s" % [t["type"] for t in only["types"]])
    g2 = _pyxray("py-census --json --gen 2 --top 0")
    g2leaf = {t["type"]: t["count"] for t in g2["types"]}.get("__main__.Leaf", 0)
    _emit(g2leaf == rec["class_counts"]["Leaf"], "%s: census --gen 2" % label,
          "%d Leaf in generation 2" % g2leaf)


def check_referrers(record_path, label):
    _run(label, _check_referrers, _load(record_path))


def _check_referrers(label, rec):
    d = _pyxray("py-referrers --json %s" % rec["target"])
    objs = {(r["address"], r["type"]) for r in d["referrers"] if r["holder"] == "object"}
    want = {(r["address"], r["type"]) for r in rec["target_referrers"]}
    _emit(objs == want, "%s: referrers are gc.get_referrers()" % label,
          "pyxray has %s more, misses %s" % (sorted(objs - want), sorted(want - objs)))
    edges = [r["edge"] for r in d["referrers"]]
    for e in ("list[0]", "list[1]", "dict['target']", "dict['TARGET']", "tuple[1]",
              "set item", "cell", ".x"):
        _emit(e in edges, "%s: referrer edge %s" % (label, e), "edges: %s" % edges)
    owner_attr = any(r["edge"] == ".target" and r["address"] == rec["owner"]
                     for r in d["referrers"]) or any(
        r["edge"] == "dict['target']" and r["address"] != rec["registry"]
        for r in d["referrers"])
    _emit(owner_attr, "%s: instance attribute referrer" % label, "edges: %s" % edges)
    holder = [r for r in d["referrers"] if r["address"] == rec["holder"]]
    _emit(len(holder) == 2, "%s: a list holding it twice is listed twice" % label,
          "%d entries" % len(holder))
    # 3.11+: running frames are not objects; pyxray lists them besides.
    if tuple(map(int, rec["version"].split(".")[:2])) >= (3, 11):
        frames = [r for r in d["referrers"] if r["holder"] == "frame"]
        _emit(any(r["edge"] == "local 'held' in holding_worker()" for r in frames),
              "%s: a running frame's local" % label, "frames: %s" % frames)


def check_path(record_path, label):
    _run(label, _check_path, _load(record_path))


def _check_path(label, rec):
    d = _pyxray("py-path --json %s" % rec["target"])
    _emit(d["found"] and d["root"] == "sys.modules", "%s: path from sys.modules" % label,
          "got %s" % d.get("root"))
    if d["found"]:
        path = d["path"]
        _emit(path[0]["edge"] is None and path[1]["edge"] == "dict['__main__']",
              "%s: path goes through sys.modules['__main__']" % label,
              "path %s" % [h["edge"] for h in path])
        _emit(path[-1]["address"] == rec["target"], "%s: path ends at the target" % label)
        _emit(len(path) == 4, "%s: path is the shortest" % label,
              "%d hops: %s" % (len(path), [h["edge"] for h in path]))
    o = _pyxray("py-path --json %s" % rec["orphan"])
    _emit(not o["found"], "%s: no path to an unreachable cycle" % label,
          "found %s" % o.get("root"))


def check_refcheck(record_path, label):
    _run(label, _check_refcheck, _load(record_path))


def _check_refcheck(label, rec):
    d = _pyxray("py-leaks refcheck --json --top 5")
    top = {o["address"]: o for o in d["objects"]}
    if rec.get("ext_dir") and not rec["have_ext"]:
        _emit(False, "%s: the fixture imports the example extensions" % label,
              "from %s" % rec["ext_dir"])
    if rec["have_ext"]:
        t = top.get(rec["token"])
        _emit(t is not None and t["excess"] == 500,
              "%s: refcheck ranks the leaky extension's object in its top 5" % label,
              "top 5: %s" % [(o["type"], o["excess"]) for o in d["objects"]])
        full = _pyxray("py-leaks refcheck --json --top 100000")
        flagged = [o for o in full["objects"] if o["address"] == rec["clean_token"]]
        _emit(not flagged, "%s: refcheck does not flag the clean twin's object" % label,
              "flagged: %s" % flagged)
        tok = _pyxray("py-object --json %s" % rec["token"])
        _emit(tok["refcount"] == rec["token_refcount"], "%s: leaked refcount" % label,
              "pyxray %d, sys.getrefcount %d" % (tok["refcount"], rec["token_refcount"]))
    _emit(len(d["blind_spots"]) >= 3, "%s: refcheck names its blind spots" % label)


def check_diff(snapshot, record2_path, label):
    _run(label, _check_diff, snapshot, _load(record2_path))


def _check_diff(label, snapshot, rec2):
    d = _pyxray("py-leaks diff --json %s" % snapshot)
    by_type = {t["type"]: t for t in d["types"]}
    leaf = by_type.get("__main__.Leaf")
    _emit(leaf is not None and leaf["count_growth"] == 1000, "%s: diff: Leaf grew by 1000" % label,
          "types: %s" % [(t["type"], t["count_growth"]) for t in d["types"]][:6])
    pair = by_type.get("__main__.Pair")
    _emit(pair is not None and pair["count_growth"] == 200, "%s: diff: Pair grew by 200" % label)
    if leaf:
        new = set(rec2["new_leaves"])
        samples = leaf["new_samples"]
        _emit(samples and all(s in new for s in samples),
              "%s: diff samples are objects made after the snapshot" % label,
              "samples %s" % samples)
    _emit("__main__.Target" not in by_type, "%s: diff leaves out what did not grow" % label)
