"""In-gdb checks of py-pools, py-arenas and py-malloc against the malloc
fixture's own record (tests/fixtures/malloc_fixture.py).

Sourced into the gdb under test by tests/pyxray.base/pools.exp; each check
prints CHECK lines as pyxray_check.py does:

    CHECK ok NAME
    CHECK FAIL NAME: what differed
    CHECK-END
"""
import json
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pools_check  # noqa: E402
from checks import check_line, gdb_json  # noqa: E402


def _emit(results):
    for ok, name, detail in results:
        gdb.write(check_line(ok, name, detail) + "\n")


def _load(path):
    with open(path) as fp:
        return json.load(fp)


def _pyxray(cmd):
    return gdb_json(gdb.execute(cmd, to_string=True))


def _guard(label, what, fn):
    try:
        _emit(fn())
    except gdb.error as e:
        _emit([(False, "%s: %s" % (label, what), str(e))])
    gdb.write("CHECK-END\n")


def check_pools(record_path, label):
    """py-pools --json number for number against sys._debugmallocstats()."""
    def run():
        rec = _load(record_path)
        with open(rec["stats"]) as fp:
            stats = fp.read()
        return pools_check.compare_pools(_pyxray("py-pools --json"), stats, label)
    _guard(label, "py-pools --json", run)


def check_arenas(record_path, label, svg_path):
    """py-arenas --json against py-pools, and --map's picture."""
    def run():
        pools = _pyxray("py-pools --json")
        if os.path.exists(svg_path):
            os.unlink(svg_path)
        arenas = _pyxray("py-arenas --json --map %s" % svg_path)
        out = pools_check.compare_arenas(arenas, pools, label)
        cells, err = pools_check.count_svg_pools(svg_path)
        total = arenas["totals"]["pools_total"]
        out.append((cells == total, "%s: py-arenas --map draws one cell per pool" % label,
                    err or "%s cells, %d pools" % (cells, total)))
        return out
    _guard(label, "py-arenas --json", run)


def check_malloc(record_path, label):
    """py-malloc --json on the record's objects, a freed block, a block
    outside pymalloc and an address inside an object."""
    def run():
        rec = _load(record_path)
        answers = {}
        for name, want in rec["objects"].items():
            answers[name] = _pyxray("py-malloc --json %s" % want["address"])
        answers["freed"] = _pyxray("py-malloc --json %s" % rec["freed"])
        answers["outside"] = _pyxray("py-malloc --json %s" % rec["outside"])
        answers["interior"] = _pyxray("py-malloc --json %s+8" % rec["objects"]["str"]["address"])
        return pools_check.compare_malloc(answers, rec, label)
    _guard(label, "py-malloc --json", run)


def _expect_error(cmd, pattern, name):
    import re
    try:
        out = gdb.execute(cmd, to_string=True)
        return (False, name, "no error; printed %r" % out[:200])
    except gdb.error as e:
        msg = str(e)
        ok = re.search(pattern, msg) is not None and "internal error" not in msg \
            and "Traceback" not in msg
        return (ok, name, "got %r" % msg)


def check_corruption(record_path, label):
    """Corrupt the (live, stopped) fixture's allocator from gdb - the test
    writes, pyxray only reads - and check that each command says what is
    broken, naming the address, and that gdb survives."""
    rec = _load(record_path)
    out = []
    try:
        where = _pyxray("py-malloc --json %s" % rec["objects"]["str"]["address"])
        pool = int(where["pool"]["address"], 16)
        block = int(where["block"]["address"], 16)
        # A size class that does not exist.
        szidx = int(gdb.parse_and_eval("*(unsigned int *)%d" % (pool + 36)))
        gdb.execute("set var *(unsigned int *)%d = 77" % (pool + 36))
        out.append(_expect_error("py-pools", r"pool at 0x%x has a corrupt header: size class 77"
                                 % pool, "%s: a corrupt pool header: py-pools names the pool" % label))
        out.append(_expect_error("py-arenas", r"pool at 0x%x" % pool,
                                 "%s: a corrupt pool header: py-arenas names the pool" % label))
        gdb.execute("set var *(unsigned int *)%d = %d" % (pool + 36, szidx))
        # A free list that loops: the block points at itself, and the
        # pool's head points at it.
        head = int(gdb.parse_and_eval("*(unsigned long *)%d" % (pool + 8)))
        word = int(gdb.parse_and_eval("*(unsigned long *)%d" % block))
        gdb.execute("set var *(unsigned long *)%d = %d" % (pool + 8, block))
        gdb.execute("set var *(unsigned long *)%d = %d" % (block, block))
        out.append(_expect_error("py-malloc %s" % rec["objects"]["str"]["address"],
                                 r"pool at 0x%x is corrupt: its free list loops" % pool,
                                 "%s: a looping free list: py-malloc says so" % label))
        gdb.execute("set var *(unsigned long *)%d = %d" % (pool + 8, head))
        gdb.execute("set var *(unsigned long *)%d = %d" % (block, word))
        pools = _pyxray("py-pools --json")
        out.append((pools["arenas"]["current"] > 0,
                    "%s: repaired, py-pools answers again" % label, ""))
    except gdb.error as e:
        out.append((False, "%s: corruption checks" % label, str(e)))
    _emit(out)
    gdb.write("CHECK-END\n")
