"""py-arenas: every pymalloc arena, and the ones a few live blocks keep."""
import json

import gdb

from . import lib_obmalloc, session
from .command import PyxrayCommand, UsageError, parse_options


def take_map_option(arg):
    """Remove "--map FILE" (or --map=FILE) from arg: (rest, FILE or None)."""
    words = arg.split()
    rest, path = [], None
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--map":
            if i + 1 >= len(words):
                raise UsageError("--map needs a file name")
            path = words[i + 1]
            i += 2
            continue
        if w.startswith("--map="):
            path = w[len("--map="):]
            if not path:
                raise UsageError("--map needs a file name")
        else:
            rest.append(w)
        i += 1
    return " ".join(rest), path


def class_ranges(classes):
    """[0, 1, 2, 5, 7, 8] -> "0-2,5,7-8"."""
    out = []
    for c in classes:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return ",".join("%d" % a if a == b else "%d-%d" % (a, b) for a, b in out) or "-"


def size_text(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return "%d %s" % (n // scale, unit)
    return "{:,} bytes".format(n)


def format_arenas(d):
    t = d["totals"]
    out = ["%d arenas of %s (%s): %d of %d pools used, %s of %s in use (%.1f%%)"
           % (t["arenas"], size_text(d["arena_size"]), d["allocator"], t["pools_used"],
              t["pools_total"], "{:,}".format(t["bytes_in_use"]),
              "{:,}".format(t["arena_bytes"]), 100 * t["utilization"]),
           "",
           "arena  address             pools used/free/total  blocks in use  bytes in use   use%  size classes"]
    for a in d["arenas"]:
        out.append("%5d  %-18s  %10d/%d/%d  %13d  %12d  %5.1f  %s"
                   % (a["index"], a["address"], a["pools_used"], a["pools_free"],
                      a["pools_total"], a["blocks_in_use"], a["bytes_in_use"],
                      100 * a["utilization"], class_ranges(a["size_classes"])))
    frag = d["fragmentation"]
    if frag:
        out += ["",
                "Fragmentation: the arenas holding the most memory for the least use.",
                "An arena goes back to the OS only when its last block is freed:"]
        for f in frag:
            out.append("  %2d. arena %d at %s: %d live block%s (%s bytes) in %d pool%s "
                       "keep %s (%.2f%% used)"
                       % (f["rank"], f["index"], f["address"], f["blocks_in_use"],
                          "" if f["blocks_in_use"] == 1 else "s",
                          "{:,}".format(f["bytes_in_use"]), f["pools_used"],
                          "" if f["pools_used"] == 1 else "s",
                          size_text(d["arena_size"]), 100 * f["utilization"]))
    out += ["warning: %s" % w for w in d.get("warnings", [])]
    return "\n".join(out) + "\n"


class PyArenas(PyxrayCommand):
    """List pymalloc's arenas and rank the ones a few live blocks keep alive.

Usage: py-arenas [--json] [--top N] [--map FILE]

One line per arena pymalloc has allocated: its slot in the arena table,
its address, its pools used, free and in all, the blocks and bytes in
use, how full it is, and the size classes its pools serve.  Then the
fragmentation ranking: the arenas with the fewest live bytes first.  An
arena is returned to the OS only when every one of its blocks is free, so
an arena near the top holds a whole arena (1 MiB from CPython 3.10,
256 KiB before) for a handful of objects - the reason a Python process
often does not give memory back after freeing most of what it built.

  --top N      rank N arenas (default 10)
  --map FILE   also write FILE, an SVG picture of every arena: one cell
               per pool, darker the more of its blocks are in use, white
               for free pools, grey for pools never used
  --json       print JSON instead (shape in docs/py-arenas.md)"""

    def __init__(self):
        super().__init__("py-arenas")

    def run(self, arg, from_tty):
        arg, path = take_map_option(arg)
        opts, _ = parse_options(arg, flags=("json",), valued=("top",))
        if opts.get("top", 0) < 0:
            raise UsageError("--top takes a positive number")
        if path and not path.lower().endswith(".svg"):
            raise UsageError("--map writes SVG: name the file FILE.svg")
        prog = session.program()
        d = lib_obmalloc.arenas(prog, opts.get("top", 0))
        if path:
            svg = lib_obmalloc.arenas_map_svg(prog)
            try:
                with open(path, "w") as fp:
                    fp.write(svg)
            except OSError as e:
                raise gdb.GdbError("py-arenas: cannot write %s: %s" % (path, e.strerror))
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
        else:
            gdb.write(format_arenas(d))
        if path and not opts.get("json"):
            gdb.write("wrote %s: %d arenas, %d pools\n"
                      % (path, d["totals"]["arenas"], d["totals"]["pools_total"]))
