"""In-gdb checks of py-census --all-heap against
tests/fixtures/allheap_fixture.py's record (CHECK lines, like
pyxray_check.py)."""
import json
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line, gdb_json  # noqa: E402


def _emit(ok, name, detail=""):
    gdb.write(check_line(ok, name, detail) + "\n")


def check(record_path, label):
    try:
        with open(record_path) as fp:
            rec = json.load(fp)
        d = gdb_json(gdb.execute("py-census --all-heap --json --top 0", to_string=True))
        by = {t["type"]: t for t in d["types"]}
        untracked = [n for n, w in rec["types"].items() if not w["tracked"]]
        _emit(len(untracked) >= 3, "%s: most populations are of untracked types" % label,
              "untracked: %s" % untracked)
        for name, want in sorted(rec["types"].items()):
            got = by.get(name, {"count": 0, "bytes": 0})
            _emit(got["count"] == want["count"], "%s: --all-heap count of %s" % (label, name),
                  "pyxray %d, the process made %d" % (got["count"], want["count"]))
            _emit(got["bytes"] == want["bytes"], "%s: --all-heap bytes of %s" % (label, name),
                  "pyxray %d, sys.getsizeof() sums to %d" % (got["bytes"], want["bytes"]))
        for t, n in (("str", rec["strs"]), ("float", rec["floats"]), ("bytes", rec["bytes"])):
            got = by.get(t, {"count": 0})["count"]
            _emit(got >= n, "%s: --all-heap finds the %d %s objects" % (label, n, t),
                  "only %d" % got)
        got = by.get("bytes", {"bytes": 0})["bytes"]
        _emit(got >= rec["bytes_bytes"], "%s: --all-heap counts the large bytes too" % label,
              "%d bytes of bytes, the fixture's alone are %d" % (got, rec["bytes_bytes"]))
        pm = d["pymalloc"]
        _emit(pm["attributed_fraction"] > 0.9,
              "%s: objects account for most of pymalloc's memory" % label,
              "%.3f of %d bytes" % (pm["attributed_fraction"], pm["allocated_bytes"]))
        _emit(d["outside_pymalloc_objects"] >= rec["big_bytes"],
              "%s: large objects outside pymalloc are found" % label,
              "%d" % d["outside_pymalloc_objects"])
        plain = gdb_json(gdb.execute("py-census --json --top 0", to_string=True))
        _emit(not any(t["type"] == "complex" for t in plain["types"]),
              "%s: without --all-heap, untracked objects are not counted" % label)
    except gdb.error as e:
        _emit(False, "%s: py-census --all-heap" % label, str(e))
    gdb.write("CHECK-END\n")
