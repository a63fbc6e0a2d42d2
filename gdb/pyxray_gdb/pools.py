"""py-pools: pymalloc's size classes, as sys._debugmallocstats() prints them."""
import json

import gdb

from . import lib_obmalloc, session
from .command import PyxrayCommand, parse_options


def printone(label, value):
    """A summary line as CPython's printone() writes it: the label padded
    to 35 columns, '=', the value with thousands separators right-aligned
    in 21 columns."""
    return "%-35s=%21s" % (label, "{:,}".format(value))


def format_pools(d):
    out = ["Small block threshold = %d, in %d size classes (%s)."
           % (d["small_request_threshold"], d["size_classes"], d["allocator"]),
           "",
           "class   size   num pools   blocks in use  avail blocks",
           "-----   ----   ---------   -------------  ------------"]
    for c in d["classes"]:
        out.append("%5u %6u %11u %15u %13u" % (c["class"], c["size"], c["pools"],
                                               c["blocks_in_use"], c["blocks_avail"]))
    a, b = d["arenas"], d["bytes"]
    out += ["",
            printone("# arenas allocated total", a["allocated_total"]),
            printone("# arenas reclaimed", a["reclaimed"]),
            printone("# arenas highwater mark", a["highwater"]),
            printone("# arenas allocated current", a["current"]),
            printone("%d arenas * %d bytes/arena" % (a["current"], d["arena_size"]),
                     a["current"] * d["arena_size"]),
            "",
            printone("# bytes in allocated blocks", b["allocated_blocks"]),
            printone("# bytes in available blocks", b["available_blocks"]),
            printone("%d unused pools * %d bytes" % (b["unused_pools"] // d["pool_size"],
                                                     d["pool_size"]), b["unused_pools"]),
            printone("# bytes lost to pool headers", b["pool_headers"]),
            printone("# bytes lost to quantization", b["quantization"]),
            printone("# bytes lost to arena alignment", b["arena_alignment"]),
            printone("Total", b["allocated_blocks"] + b["available_blocks"]
                     + b["unused_pools"] + b["pool_headers"] + b["quantization"]
                     + b["arena_alignment"])]
    out += ["warning: %s" % w for w in d.get("warnings", [])]
    return "\n".join(out) + "\n"


class PyPools(PyxrayCommand):
    """Show pymalloc's size classes and totals, as sys._debugmallocstats() would.

Usage: py-pools [--json]

Reads CPython's small-object allocator (pymalloc) from the outside and
prints the table sys._debugmallocstats() prints inside the process: for
each size class with pools, its block size, how many pools serve it, and
how many blocks are in use and available; then the arenas allocated in
total, reclaimed, at the highwater mark and now; and where the arenas'
bytes go: allocated blocks, available blocks, unused pools, pool headers,
quantization (the tail of each pool no block fits in) and arena alignment.
Every number is the one CPython would print at this moment.

  --json   print JSON instead (shape in docs/py-pools.md)

Up to CPython 3.11 pymalloc's state is in static variables that only the
full symbol table names: Debian's python3.X needs python3.X-dbg."""

    def __init__(self):
        super().__init__("py-pools")

    def run(self, arg, from_tty):
        opts, _ = parse_options(arg, flags=("json",))
        d = lib_obmalloc.pools(session.program())
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
        else:
            gdb.write(format_pools(d))
