"""py-malloc: where an address falls in pymalloc, and what its block holds."""
import json

import gdb

from . import lib_obmalloc, session
from .command import PyxrayCommand, UsageError, parse_options
from .object import address_of

REGIONS = {
    "arena-alignment": "in the arena's alignment padding, before its first pool",
    "arena-unused": "in the arena's pools that were never used",
    "pool-unused": "in a pool with no blocks in use (free, waiting for reuse)",
    "pool-header": "in the pool's header (struct pool_header)",
    "pool-tail": "in the tail of the pool that no whole block fits in",
}

APIS = {"o": "the object API (PyObject_Malloc)", "m": "the mem API (PyMem_Malloc)",
        "r": "the raw API (PyMem_RawMalloc)"}


def block_state(b):
    if b["state"] == "allocated":
        return "allocated"
    if b["state"] == "free":
        pos = b.get("free_list_position", 0)
        return "free (%s on the pool's free list)" % (
            "first" if pos == 1 else "#%d" % pos)
    return "free, never handed out (past the pool's nextoffset)"


def describe_offset(d):
    """How the object sits in its block, in words."""
    obj, block = d["object"], d["block"]
    start = int(obj["address"], 16) - int(block["address"], 16)
    if start == 0:
        return None
    parts = []
    pre = start
    if d.get("debug"):
        parts.append("16 bytes of debug-hook header")
        pre -= 16
    if pre == 16:
        parts.append("its 16-byte PyGC_Head")
    elif pre == 32:
        parts.append("its PyGC_Head and the two pre-header words of a managed dict")
    elif pre:
        parts.append("%d bytes" % pre)
    return "the object starts %d bytes into the block, after %s" % (start, " and ".join(parts))


def format_malloc(d):
    addr = d["address"]
    if not d["in_pymalloc"]:
        return ("%s is not in pymalloc: none of its %d arenas holds it (memory from "
                "malloc: objects over 512 bytes, buffers of C extensions, or not heap "
                "memory at all)\n" % (addr, d.get("arenas", 0)))
    a = d["arena"]
    out = ["%s is in pymalloc (%s)" % (addr, d["allocator"]),
           "arena     %d at %s (%d KiB)" % (a["index"], a["address"], a["size"] // 1024)]
    p = d.get("pool")
    if p:
        if p["blocks_in_use"]:
            out.append("pool      %s: size class %d (%d-byte blocks), %d of %d blocks in use"
                       % (p["address"], p["size_class"], p["block_size"],
                          p["blocks_in_use"], p["blocks_total"]))
        else:
            out.append("pool      %s: no blocks in use" % p["address"])
    if d["region"] != "block":
        out.append("where     %s" % REGIONS.get(d["region"], d["region"]))
        return "\n".join(out) + "\n"
    b = d["block"]
    off = "; the address is %d bytes into it" % b["offset"] if b["offset"] else ""
    out.append("block     %s (#%d in the pool), %s%s"
               % (b["address"], b["index"], block_state(b), off))
    dbg = d.get("debug")
    if dbg:
        out.append("debug     %d bytes requested through %s; data at %s; padding %s"
                   % (dbg["requested_size"], APIS.get(dbg["api"], dbg["api"]), dbg["data"],
                      "intact" if dbg["tail_intact"] else "OVERWRITTEN (a buffer overrun?)"))
    obj = d.get("object")
    if obj:
        where = describe_offset(d)
        rel = "" if obj["offset"] == 0 else " (the address is %d bytes %s it)" % (
            abs(obj["offset"]), "into" if obj["offset"] > 0 else "before")
        out.append("object    %s%s" % (obj["address"], rel))
        if where:
            out.append("          %s" % where)
        out.append("type      %s" % obj["type"])
        out.append("refcount  %d" % obj["refcount"])
        if obj.get("size") is not None:
            out.append("size      %d bytes" % obj["size"])
        out.append("repr      %s" % obj["repr"])
    elif b["state"] == "allocated":
        out.append("object    none: the block does not start with an object header (memory "
                   "from PyMem_Malloc/PyObject_Malloc: a list's items, a dict's keys ...)")
    return "\n".join(out) + "\n"


class PyMalloc(PyxrayCommand):
    """Show where an address falls in pymalloc and what its block holds.

Usage: py-malloc ADDRESS [--json]

ADDRESS is any gdb expression that yields an address or a pointer.  Says
which arena, pool, size class and block hold it, whether the block is
allocated, free (on its pool's free list) or never handed out, and when an
allocated block holds a Python object, the object's type, refcount, size
and a safe repr, and where in the block it starts: gc objects begin after
their PyGC_Head (and from CPython 3.11 managed-dict objects after two
pre-header words), and under the debug allocator hooks (debug builds,
PYTHONMALLOC=debug) every block starts with a 16-byte header recording the
requested size, followed by the data and 8 guard bytes.  An address
outside pymalloc's arenas says so.

  --json   print JSON instead (shape in docs/py-malloc.md)"""

    def __init__(self):
        super().__init__("py-malloc")

    def run(self, arg, from_tty):
        opts, expr = parse_options(arg, flags=("json",), positional="rest")
        if not expr:
            raise UsageError("which address? give an address or expression")
        address = address_of(expr)
        d = lib_obmalloc.malloc(session.program(), address)
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
        else:
            gdb.write(format_malloc(d))
