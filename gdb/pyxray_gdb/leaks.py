"""py-leaks: find what grows, and references nobody can account for."""
import json

import gdb

from . import session
from .command import PyxrayCommand, UsageError, parse_options


def format_diff(d):
    out = ["since snapshot %s (Python %s): %d -> %d objects" % (
        d["snapshot"], d["snapshot_python_version"], d["total_objects_before"],
        d["total_objects_after"])]
    if not d["types"]:
        out.append("no type grew")
        return "\n".join(out) + "\n"
    out.append("%10s %12s %14s  %-36s %s" % ("count", "grew by", "bytes grew by", "type",
                                             "new objects"))
    for t in d["types"]:
        out.append("%10d %+12d %+14d  %-36s %s" % (
            t["count_after"], t["count_growth"], t["bytes_growth"], t["type"],
            ", ".join(t["new_samples"])))
    return "\n".join(out) + "\n"


def format_refcheck(d):
    out = []
    if not d["objects"]:
        out.append("every reference to the %d objects checked is accounted for" % d["checked"])
    else:
        out.append("%d of %d objects have more references than pyxray can find; "
                   "the largest excess first:" % (d["with_excess"], d["checked"]))
        out.append("%8s %9s %7s  %-30s %-16s %s" % ("excess", "refcount", "found", "type",
                                                   "address", "repr"))
        for o in d["objects"]:
            rep = o["repr"] if len(o["repr"]) <= 50 else o["repr"][:47] + "..."
            out.append("%8d %9d %7d  %-30s %-16s %s" % (o["excess"], o["refcount"], o["found"],
                                                      o["type"], o["address"], rep))
    out.append("pyxray cannot see:")
    for b in d["blind_spots"]:
        out.append("  - " + b)
    out.append("A large excess on one object, growing over time, is the signature of a "
               "missing Py_DECREF; small ones usually come from the above.")
    return "\n".join(out) + "\n"


class PyLeaks(PyxrayCommand):
    """Find memory leaks: growth between snapshots, and refcount anomalies.

Usage: py-leaks snapshot FILE
       py-leaks diff FILE [--top K] [--json]
       py-leaks refcheck [--top K] [--json]

snapshot  saves the census of every gc-tracked object with its address to
          FILE (written atomically; the file has a format version).
diff      compares now with the snapshot in FILE - a later stop of the same
          process, another attach, or a later core of it - and lists the
          types whose count or bytes grew, with samples of objects that did
          not exist at the snapshot (feed them to py-path to see who holds
          them).  Addresses are compared, so an object freed and another
          allocated at the same address counts as old.
refcheck  for each gc-tracked object, compares ob_refcnt with the references
          pyxray finds from every gc-tracked container, every running frame
          and the interpreter's own tables, and ranks the unexplained
          excess: the signature of a C extension that forgets a Py_DECREF,
          which no in-process tool can see.  The output says what pyxray
          cannot see, so you know how far to trust it."""

    def __init__(self):
        super().__init__("py-leaks")

    def run(self, arg, from_tty):
        words = arg.split()
        if not words or words[0] not in ("snapshot", "diff", "refcheck"):
            raise UsageError("py-leaks takes snapshot FILE, diff FILE or refcheck")
        sub = words[0]
        opts, rest = parse_options(" ".join(words[1:]), flags=("json",), valued=("top",),
                                   positional="rest")
        prog = session.program()
        if sub == "refcheck":
            if rest:
                raise UsageError("refcheck takes no file")
            d = prog.leaks_refcheck(top=opts.get("top", 20))
            gdb.write(json.dumps(d, indent=2) + "\n" if opts.get("json") else format_refcheck(d))
            return
        if not rest:
            raise UsageError("py-leaks %s needs a FILE" % sub)
        if sub == "snapshot":
            d = prog.leaks_snapshot(rest)
            if opts.get("json"):
                gdb.write(json.dumps(d, indent=2) + "\n")
            else:
                gdb.write("saved %d objects (%s bytes) of %d types to %s\n" % (
                    d["total_objects"], "{:,}".format(d["total_bytes"]), d["types"], rest))
            return
        d = prog.leaks_diff(rest, top=opts.get("top", 20))
        gdb.write(json.dumps(d, indent=2) + "\n" if opts.get("json") else format_diff(d))
