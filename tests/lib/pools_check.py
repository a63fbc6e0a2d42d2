#!/usr/bin/env python3
"""Comparisons of py-pools, py-arenas and py-malloc with what the fixture
(tests/fixtures/malloc_fixture.py) said about itself: the text of
sys._debugmallocstats() printed as its very last act, and its record of
named objects.

Shared by the gdb checks (pyxray_check.py) and the CLI checks; each
function returns a list of (ok, name, detail).  Runs under any Python 3
(gdb's, or the one running the tests).
"""
import re

_CLASS_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")
_SUMMARY = {
    "# arenas allocated total": ("arenas", "allocated_total"),
    "# arenas reclaimed": ("arenas", "reclaimed"),
    "# arenas highwater mark": ("arenas", "highwater"),
    "# arenas allocated current": ("arenas", "current"),
    "# bytes in allocated blocks": ("bytes", "allocated_blocks"),
    "# bytes in available blocks": ("bytes", "available_blocks"),
    "# bytes lost to pool headers": ("bytes", "pool_headers"),
    "# bytes lost to quantization": ("bytes", "quantization"),
    "# bytes lost to arena alignment": ("bytes", "arena_alignment"),
}
_UNUSED = re.compile(r"^(\d+) unused pools \* (\d+) bytes\s*=\s*([\d,]+)$")
_ARENAS = re.compile(r"^(\d+) arenas \* (\d+) bytes/arena\s*=\s*([\d,]+)$")


def _number(text):
    return int(text.replace(",", "").strip())


def parse_debugmallocstats(text):
    """The pymalloc part of sys._debugmallocstats() output, in py-pools
    --json's shape.  Raises ValueError if it is not there."""
    out = {"classes": [], "arenas": {}, "bytes": {}}
    in_table = False
    for line in text.splitlines():
        if line.startswith("class   size   num pools"):
            in_table = True
            continue
        if in_table:
            if line.startswith("-----"):
                continue
            m = _CLASS_ROW.match(line)
            if m:
                c, size, pools, used, avail = (int(x) for x in m.groups())
                out["classes"].append({"class": c, "size": size, "pools": pools,
                                       "blocks_in_use": used, "blocks_avail": avail})
                continue
            in_table = False
        m = _UNUSED.match(line.strip())
        if m:
            out["pool_size"] = int(m.group(2))
            out["bytes"]["unused_pools"] = _number(m.group(3))
            continue
        m = _ARENAS.match(line.strip())
        if m:
            out["arena_size"] = int(m.group(2))
            continue
        if "=" in line:
            label, _, value = line.partition("=")
            key = _SUMMARY.get(label.strip())
            if key:
                out[key[0]].setdefault(key[1], _number(value))
    if not out["classes"] or "arena_size" not in out:
        raise ValueError("no pymalloc statistics in the text")
    return out


def compare_pools(data, stats_text, label):
    """data: py-pools --json; stats_text: what sys._debugmallocstats()
    printed in the same process at the same moment."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), name, detail))

    try:
        want = parse_debugmallocstats(stats_text)
    except ValueError as e:
        report(False, "%s: parse sys._debugmallocstats()" % label, str(e))
        return out
    report(data["arena_size"] == want["arena_size"], "%s: arena size" % label,
           "pyxray %s, CPython %s" % (data["arena_size"], want["arena_size"]))
    report(data["pool_size"] == want["pool_size"], "%s: pool size" % label,
           "pyxray %s, CPython %s" % (data["pool_size"], want["pool_size"]))
    ours = {c["class"]: c for c in data["classes"]}
    theirs = {c["class"]: c for c in want["classes"]}
    report(sorted(ours) == sorted(theirs), "%s: size classes with pools" % label,
           "pyxray %s, CPython %s" % (sorted(ours), sorted(theirs)))
    bad = []
    for c in sorted(theirs):
        o = ours.get(c)
        if o is None:
            continue
        for k in ("size", "pools", "blocks_in_use", "blocks_avail"):
            if o[k] != theirs[c][k]:
                bad.append("class %d %s: pyxray %d, CPython %d" % (c, k, o[k], theirs[c][k]))
    report(not bad, "%s: every class row (%d classes)" % (label, len(theirs)),
           "; ".join(bad[:6]))
    for section in ("arenas", "bytes"):
        for k in sorted(want[section]):
            got = data[section].get(k)
            report(got == want[section][k], "%s: %s.%s" % (label, section, k),
                   "pyxray %s, CPython %s" % (got, want[section][k]))
    return out


def compare_arenas(arenas, pools, label):
    """py-arenas --json against py-pools --json of the same moment."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), name, detail))

    a = arenas["arenas"]
    report(len(a) == pools["arenas"]["current"], "%s: py-arenas lists every arena" % label,
           "%d arenas listed, py-pools says %d" % (len(a), pools["arenas"]["current"]))
    used = sum(x["pools_used"] for x in a)
    want_used = sum(c["pools"] for c in pools["classes"])
    report(used == want_used, "%s: pools used over arenas = py-pools' pools" % label,
           "%d against %d" % (used, want_used))
    free = sum(x["pools_free"] for x in a) * arenas["pool_size"]
    report(free == pools["bytes"]["unused_pools"],
           "%s: free pools over arenas = py-pools' unused pools" % label,
           "%d bytes against %d" % (free, pools["bytes"]["unused_pools"]))
    blocks = sum(x["blocks_in_use"] for x in a)
    want_blocks = sum(c["blocks_in_use"] for c in pools["classes"])
    report(blocks == want_blocks, "%s: blocks in use over arenas" % label,
           "%d against %d" % (blocks, want_blocks))
    nbytes = sum(x["bytes_in_use"] for x in a)
    report(nbytes == pools["bytes"]["allocated_blocks"],
           "%s: bytes in use over arenas = bytes in allocated blocks" % label,
           "%d against %d" % (nbytes, pools["bytes"]["allocated_blocks"]))
    classes = set()
    for x in a:
        classes.update(x["size_classes"])
    report(classes == set(c["class"] for c in pools["classes"]),
           "%s: size classes held by arenas" % label,
           "%s against %s" % (sorted(classes), sorted(c["class"] for c in pools["classes"])))
    sane = all(x["pools_used"] + x["pools_free"] == x["pools_total"] for x in a)
    report(sane, "%s: used + free = total pools in every arena" % label)
    frag = arenas["fragmentation"]
    live = sorted(x["bytes_in_use"] for x in a if x["blocks_in_use"])
    report([f["bytes_in_use"] for f in frag] == live[:len(frag)] and len(frag) == min(10, len(live)),
           "%s: the fragmentation ranking starts at the emptiest arenas" % label,
           "ranking %s, arenas %s" % ([f["bytes_in_use"] for f in frag], live[:10]))
    report(frag and frag[0]["utilization"] < 0.05,
           "%s: the fixture's survivors keep an arena alive for a few blocks" % label,
           "emptiest arena: %s" % (frag[0] if frag else None))
    return out


def count_svg_pools(path):
    """(number of pool cells, total of pools, error) of a --map SVG."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        return None, str(e)
    ns = "{http://www.w3.org/2000/svg}"
    if root.tag != ns + "svg":
        return None, "the root element is %s, not svg" % root.tag
    cells = [r for r in root.iter(ns + "rect") if "p" in (r.get("class") or "").split()]
    return len(cells), ""


def compare_malloc(answers, rec, label):
    """answers: {name: py-malloc --json of the name's address} for the
    record's objects, plus "freed", "outside" and "interior" (the str's
    address + 8)."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), name, detail))

    for name, want in sorted(rec["objects"].items()):
        d = answers.get(name)
        if d is None:
            continue
        addr = int(want["address"], 16)
        obj = d.get("object") or {}
        big = want["size"] > 512
        if big:
            report(not d["in_pymalloc"], "%s: py-malloc %s (%d bytes) is outside pymalloc"
                   % (label, name, want["size"]), repr(d))
            continue
        report(d["in_pymalloc"] and d.get("block", {}).get("state") == "allocated",
               "%s: py-malloc %s: an allocated block" % (label, name), repr(d)[:300])
        block = int(d["block"]["address"], 16) if d.get("block") else 0
        report(block <= addr < block + d.get("block", {}).get("size", 0),
               "%s: py-malloc %s: the block holds the object" % (label, name),
               "block %s, object 0x%x" % (d.get("block"), addr))
        report(obj.get("address") == want["address"] and obj.get("type") == want["type"],
               "%s: py-malloc %s: the object and its type" % (label, name),
               "pyxray %s %s, process %s %s" % (obj.get("address"), obj.get("type"),
                                                  want["address"], want["type"]))
        if "<" not in want["repr"] and len(want["repr"]) <= 70:
            report(obj.get("repr") == want["repr"], "%s: py-malloc %s: repr" % (label, name),
                   "pyxray %r, process %r" % (obj.get("repr"), want["repr"]))
        size = d["pool"].get("block_size", 0)
        if want["type"] in ("list", "dict"):
            continue  # sys.getsizeof counts their separate item storage
        report(size >= want["size"], "%s: py-malloc %s: size class fits sys.getsizeof" % (label, name),
               "block %d bytes, object %d" % (size, want["size"]))
        if rec.get("debug_build"):
            dbg = d.get("debug") or {}
            report(dbg.get("api") == "o" and dbg.get("tail_intact"),
                   "%s: py-malloc %s: the debug hooks' header and padding" % (label, name),
                   repr(dbg))
    d = answers.get("freed")
    if d is not None:
        report(d["in_pymalloc"] and d.get("block", {}).get("state") == "free"
               and d.get("object") is None,
               "%s: py-malloc of a freed object: a free block" % label, repr(d)[:300])
    d = answers.get("outside")
    if d is not None:
        report(not d["in_pymalloc"] and d["region"] == "outside",
               "%s: py-malloc of a malloc'ed object: outside pymalloc" % label, repr(d)[:300])
    d = answers.get("interior")
    if d is not None:
        want = rec["objects"]["str"]
        obj = d.get("object") or {}
        report(obj.get("address") == want["address"] and obj.get("offset") == 8,
               "%s: py-malloc inside an object names the object and the offset" % label,
               repr(d)[:300])
    return out


def _cli_main(argv):
    """pools_check.py CLI RECORD LABEL pid|CORE: the pyxray CLI's pools,
    arenas and malloc against the record; prints CHECK lines."""
    import json
    import os
    import tempfile

    from checks import check_line, run_cli
    cli, record, label, mode = argv[:4]
    with open(record) as fp:
        rec = json.load(fp)
    target = ["--pid", str(rec["pid"])] if mode == "pid" else ["--core", mode]

    def run(args):
        return run_cli(cli, args + target)

    results = []
    try:
        with open(rec["stats"]) as fp:
            stats = fp.read()
        pools = run(["pools"])
        results += compare_pools(pools, stats, label)
        with tempfile.TemporaryDirectory() as tmp:
            svg = os.path.join(tmp, "map.svg")
            arenas = run(["arenas", "--map", svg])
            results += compare_arenas(arenas, pools, label)
            cells, err = count_svg_pools(svg)
            results.append((cells == arenas["totals"]["pools_total"],
                            "%s: arenas --map draws one cell per pool" % label,
                            err or "%s cells" % cells))
        answers = {name: run(["malloc", want["address"]])
                   for name, want in rec["objects"].items()}
        answers["freed"] = run(["malloc", rec["freed"]])
        answers["outside"] = run(["malloc", rec["outside"]])
        answers["interior"] = run(["malloc", hex(int(rec["objects"]["str"]["address"], 16) + 8)])
        results += compare_malloc(answers, rec, label)
    except Exception as e:
        results.append((False, "%s: pyxray CLI" % label, str(e)))
    for ok, name, detail in results:
        print(check_line(ok, name, detail))
    print("CHECK-END")


if __name__ == "__main__":
    import sys
    _cli_main(sys.argv[1:])
