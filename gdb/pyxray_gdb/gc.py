"""py-gc and py-census: the garbage collector's state and its objects."""
import json

import gdb

from . import session
from .command import PyxrayCommand, UsageError, parse_options


def format_gc(d):
    out = ["gc %s, %s" % ("enabled" if d["enabled"] else "disabled",
                          "collecting now" if d["collecting"] else "not collecting"),
           "generation   objects     count  threshold  collections   collected  uncollectable"]
    for g in d["generations"]:
        out.append("%-10d %9d %9d %10d %12d %11d %14d" % (
            g["index"], g["objects"], g["count"], g["threshold"], g["collections"],
            g["collected"], g["uncollectable"]))
    out.append("permanent  %9d   (gc.freeze())" % d["permanent"]["objects"])
    out += ["warning: %s" % w for w in d.get("warnings", [])]
    return "\n".join(out) + "\n"


class PyGc(PyxrayCommand):
    """Show the garbage collector's state, as gc.get_count(), gc.get_threshold()
and gc.get_stats() would in the process.

Usage: py-gc [--json]

For each generation: the objects on its list (counted by walking it), the
count field, the threshold, and the collections, collected and
uncollectable counters of gc.get_stats(); whether the gc is enabled and
whether a collection is running (then the lists are in flux)."""

    def __init__(self):
        super().__init__("py-gc")

    def run(self, arg, from_tty):
        opts, _ = parse_options(arg, flags=("json",))
        d = session.program().gc()
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
        else:
            gdb.write(format_gc(d))


def format_census(d, generation):
    if d.get("all_heap"):
        generation = "all-heap"
    out = ["%9s %14s  %-40s %s" % ("count", "bytes", "type", "sample")]
    for t in d["types"]:
        out.append("%9d %14s  %-40s %s" % (t["count"], "{:,}".format(t["bytes"]), t["type"],
                                          ", ".join(t["sample"])))
    which = {None: "generations 0-2", 3: "the permanent generation",
             "all-heap": "the whole heap, tracked or not"}.get(generation,
                                                              "generation %s" % generation)
    out.append("%d objects, %s bytes in %d types (%s)" % (
        d["total_objects"], "{:,}".format(d["total_bytes"]), d["types_total"], which))
    if d.get("all_heap"):
        pm = d["pymalloc"]
        out.append("objects account for %s of the %s bytes in pymalloc blocks (%.1f%%); "
                   "%d objects found outside pymalloc" % (
                       "{:,}".format(pm["attributed_bytes"]), "{:,}".format(pm["allocated_bytes"]),
                       100.0 * pm["attributed_fraction"], d["outside_pymalloc_objects"]))
    if d.get("unreadable_objects"):
        out.append("%d objects on the lists were unreadable (corrupted heap?)"
                   % d["unreadable_objects"])
    return "\n".join(out) + "\n"


class PyCensus(PyxrayCommand):
    """Count the objects the garbage collector tracks, by type.

Usage: py-census [--gen N] [--top K] [--sort count|size] [--type NAME] [--json]
       py-census --all-heap [--top K] [--sort count|size] [--type NAME] [--json]

Walks the gc generation lists once and, per type, counts the objects and
their bytes (what sys.getsizeof() says: the object, its variable part, and
the buffers lists, dicts and sets own), with a few sample addresses to feed
py-object, py-referrers or py-path.

  --gen N       only generation N (0, 1, 2, or 3 for the permanent one);
                default: 0-2, the objects gc.get_objects() returns
  --top K       the K largest types (default 30; 0 for all)
  --sort size   order by bytes instead of count
  --type NAME   only types named NAME ("dict", "app.models.User", or the
                last part "User")
  --all-heap    every object, tracked by the gc or not: the gc lists, then
                every pymalloc block holding an object (str, int, float,
                bytes, untracked tuples ...), then objects outside pymalloc
                found through references; says how much of pymalloc's
                memory the objects account for (needs pymalloc's state:
                on Debian's python3.11, python3.11-dbg)
  --json        JSON (shape in docs/py-census.md)

Without --all-heap only objects the gc tracks are counted: str, int,
float and most tuples of them are not."""

    def __init__(self):
        super().__init__("py-census")

    def run(self, arg, from_tty):
        opts, _ = parse_options(arg, flags=("json", "all-heap"), valued=("gen", "top"),
                                strings=("sort", "type"))
        if opts.get("all-heap") and "gen" in opts:
            raise UsageError("--all-heap counts every object: it takes no --gen")
        sort = opts.get("sort", "count")
        if sort not in ("count", "size"):
            raise UsageError("--sort takes count or size, not '%s'" % sort)
        gen = opts.get("gen", -1)
        if gen not in (-1, 0, 1, 2, 3):
            raise UsageError("--gen takes 0, 1, 2 or 3 (the permanent generation)")
        top = opts.get("top", 30 if not opts.get("json") else 0)
        d = session.program().census(generation=gen, top=top, sort_by_size=sort == "size",
                                     type_name=opts.get("type"),
                                     all_heap=opts.get("all-heap", False))
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
        else:
            gdb.write(format_census(d, None if gen < 0 else gen))
