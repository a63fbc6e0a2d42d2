"""Sourced inside gdb by bench/bench_heap.py: times py-census, the
libpython-style gdb.Value walk of the same gc lists, and py-referrers
(index build, then a later query), and gdb's memory.  Writes JSON to the
file named by $PYXRAY_BENCH_OUT."""
import collections
import json
import os
import resource
import time

import gdb

out = os.environ["PYXRAY_BENCH_OUT"]
budget = float(os.environ.get("PYXRAY_BENCH_PEER_BUDGET", "60"))
res = {}


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(cmd):
    t0 = time.perf_counter()
    text = gdb.execute(cmd, to_string=True)
    return time.perf_counter() - t0, text


# py-census, cold (first read of the heap) and warm
res["census_runs"] = []
for i in range(3):
    t, text = timed("py-census --json --top 5")
    res["census_runs"].append(t)
census = json.loads(text)
res["census_objects"] = census["total_objects"]
res["census_top"] = [(t["type"], t["count"]) for t in census["types"]]
res["rss_before_index_mb"] = rss_mb()

# py-referrers: the first query builds the index
sample = census["types"][0]["sample"][0]
t, text = timed("py-referrers --json " + sample)
res["referrers_first"] = t
t, text = timed("py-referrers --json " + sample)
res["referrers_later"] = t
res["rss_after_index_mb"] = rss_mb()
from pyxray_gdb import session  # noqa: E402
res["index"] = session.program().index()

# The peer: the gc lists walked through gdb.Value, field by field, the way
# CPython's libpython.py reads memory.  Time-boxed; the rate is measured.
PyObjectPtr = gdb.lookup_type("PyObject").pointer()
gcstate = gdb.parse_and_eval("_PyRuntime.interpreters.main.gc")
gc_head_size = gdb.lookup_type("PyGC_Head").sizeof
counts = collections.Counter()
walked = 0
t0 = time.perf_counter()
done = True
for g in range(3):
    head = gcstate["generations"][g]["head"]
    head_addr = int(head.address)
    node = head["_gc_next"]
    while int(node) & ~3 != head_addr:
        p = gdb.Value(int(node) & ~3)
        obj = (p + gc_head_size).cast(PyObjectPtr)
        counts[obj["ob_type"]["tp_name"].string()] += 1
        walked += 1
        node = p.cast(gdb.lookup_type("PyGC_Head").pointer())["_gc_next"]
        if walked % 1000 == 0 and time.perf_counter() - t0 > budget:
            done = False
            break
    if not done:
        break
res["peer_walked"] = walked
res["peer_seconds"] = time.perf_counter() - t0
res["peer_complete"] = done
with open(out, "w") as fp:
    json.dump(res, fp)
