"""py-referrers and py-path: who holds an object, and how it is reached."""
import json

import gdb

from . import session
from .command import PyxrayCommand, UsageError, parse_options
from .object import address_of


def holder_text(r):
    if r["holder"] == "frame":
        return "frame of thread %d" % r["tid"]
    return "%s at %s" % (r["type"], r["address"])


class PyReferrers(PyxrayCommand):
    """List every object that refers to an object, with the reference.

Usage: py-referrers EXPR [--json]

EXPR yields the object's address, as for py-object.  Each referrer comes
with its edge: list[3], tuple[0], dict['key'] (the key's repr), dict key,
.attr (an instance attribute or __slots__ member), local 'x' in func() for
a running frame, cell, closure, __mro__, __class__ ..., or +0x18 when a
conservative scan of an object of unknown layout found the pointer.

The first query indexes every gc-tracked object (and every running frame);
later queries reuse the index until the process runs again.  Referrers are
the objects gc.get_referrers() would return, plus running frames (3.11+),
which the gc does not see."""

    def __init__(self):
        super().__init__("py-referrers")

    def run(self, arg, from_tty):
        opts, expr = parse_options(arg, flags=("json",), positional="rest")
        if not expr:
            raise UsageError("which object? give an address or expression")
        address = address_of(expr)
        prog = session.program()
        d = prog.referrers(address)
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
            return
        refs = d["referrers"]
        if not refs:
            gdb.write("nothing pyxray can see refers to %s (references from C code, "
                      "the C stack and untracked objects are not visible)\n" % d["target"])
            return
        gdb.write("%d reference%s to %s:\n" % (len(refs), "" if len(refs) == 1 else "s",
                                               d["target"]))
        width = max(len(holder_text(r)) for r in refs)
        for r in refs:
            gdb.write("  %-*s  %s\n" % (width, holder_text(r), r["edge"]))


def format_path(d):
    if not d["found"]:
        return ("no path from a root to %s within %d references (%s); %s\n"
                % (d["target"], d["max_depth"], d["target_repr"],
                   "the search stopped there with referrers left: try a larger --max-depth"
                   if d.get("truncated") else "it may be held only by C code, the C stack, "
                   "or a cycle the gc has not collected yet"))
    out = ["%s" % d["root"]]
    for hop in d["path"]:
        what = "%s at %s" % (hop["type"], hop["address"])
        rep = hop.get("repr")
        edge = hop["edge"] or ""
        line = "  %-24s -> %s" % (edge, what) if edge else "  %s" % what
        if rep and not rep.startswith("<"):
            if len(rep) > 60:
                rep = rep[:57] + "..."
            line += "  " + rep
        out.append(line)
    return "\n".join(out) + "\n"


class PyPath(PyxrayCommand):
    """Show the shortest chain of references from a root to an object.

Usage: py-path EXPR [--max-depth N] [--json]
       py-path EXPR --dot FILE [--depth N] [--nodes N]

Roots are what keeps objects alive from outside the heap: sys.modules
(so a module's globals), sys and builtins, the dicts of built-in types, and
the locals of running frames (used only when nothing else leads to the
object).  The answer is one hop per line, each with the reference that
leads to the next object: the chain to follow to find out why an object
is still alive.

  --max-depth N   give up after N references (default 30)
  --dot FILE      write a Graphviz picture of the references into the
                  object, in the manner of objgraph.show_backrefs, to FILE
                  (render it with `dot -Tpng FILE -o backrefs.png`): the
                  chain above (yellow, its root green), then the nearest
                  referrers breadth first
  --depth N       with --dot: how many references back (default 4)
  --nodes N       with --dot: at most N referrers drawn (default 60)
  --json          JSON instead (shape in docs/py-path.md)"""

    def __init__(self):
        super().__init__("py-path")

    def run(self, arg, from_tty):
        opts, expr = parse_options(arg, flags=("json",), valued=("max-depth", "depth", "nodes"),
                                   strings=("dot",), positional="rest")
        if not expr:
            raise UsageError("which object? give an address or expression")
        address = address_of(expr)
        prog = session.program()
        if opts.get("dot"):
            prog.path_dot(address, opts["dot"], depth=opts.get("depth", 0),
                          max_nodes=opts.get("nodes", 0))
            gdb.write("wrote %s (render: dot -Tpng %s -o backrefs.png)\n"
                      % (opts["dot"], opts["dot"]))
            return
        d = prog.path(address, max_depth=opts.get("max-depth", 0))
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
        else:
            gdb.write(format_path(d))
