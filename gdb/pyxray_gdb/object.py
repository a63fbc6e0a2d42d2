"""py-object: decode one PyObject."""
import json

import gdb

from . import session
from .command import PyxrayCommand, UsageError, parse_options
from .lib import PyxrayError


def address_of(expr):
    """The address an expression names: a pointer's value, an integer, or
    the address of an object (`*op`)."""
    try:
        value = gdb.parse_and_eval(expr)
    except gdb.error as e:
        try:
            return int(expr, 0)
        except ValueError:
            raise PyxrayError("cannot evaluate '%s': %s" % (expr, e), "bad-expression")
    t = value.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        return int(value.cast(gdb.lookup_type("unsigned long")))
    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_ENUM):
        return int(value) & 0xFFFFFFFFFFFFFFFF
    if t.code == gdb.TYPE_CODE_STRUCT and value.address is not None:
        return int(value.address.cast(gdb.lookup_type("unsigned long")))
    raise PyxrayError("'%s' is a %s, not a pointer or an address" % (expr, value.type),
                      "bad-expression")


def format_object(d):
    lines = ["object    %s" % d["address"],
             "type      %s" % d["type"],
             "refcount  %d%s" % (d["refcount"], " (immortal)" if d.get("immortal") else ""),
             "size      %s" % ("%d bytes" % d["size"] if d["size"] is not None else "?")]
    if d["gc_tracked"]:
        gen = d["generation"]
        where = ("permanent generation" if gen == 3 else "generation %d" % gen) \
            if gen is not None else "generation not found"
        lines.append("gc        tracked, %s" % where)
    else:
        lines.append("gc        not tracked")
    lines.append("repr      %s" % d["repr"])
    for e in d.get("errors", []) + d.get("notes", []):
        lines.append("note      %s" % e)
    return "\n".join(lines) + "\n"


class PyObject(PyxrayCommand):
    """Decode a Python object: type, refcount, size, gc state and a safe repr.

Usage: py-object EXPR [--depth N] [--items N] [--string N] [--json]

EXPR is any gdb expression that yields a PyObject* (or an address, or a
PyObject lvalue): `py-object 0x7f12a4b0c0`, `py-object $rdi`,
`py-object frame->f_locals`.  pyxray checks that the address really holds
an object before decoding it, and prints "<invalid object at 0x...>" for
anything inside that is not one.

The repr is what repr() would print for None, bool, int, float, str,
bytes, tuple, list, dict, set, frozenset, functions, code objects, modules,
types and exceptions; other instances show their type, address and
attribute names.  It is bounded and safe on cycles:

  --depth N    nesting of containers shown (default 3)
  --items N    items shown per container (default 10)
  --string N   characters shown of a str or bytes (default 200)
  --json       print JSON instead (shape in docs/py-object.md)

size is what sys.getsizeof() would say; generation is the gc list that
holds the object (3 is the permanent generation of gc.freeze())."""

    def __init__(self):
        super().__init__("py-object")

    def run(self, arg, from_tty):
        opts, expr = parse_options(arg, flags=("json",),
                                   valued=("depth", "items", "string"),
                                   positional="rest")
        if not expr:
            raise UsageError("which object? give an address or expression")
        address = address_of(expr)
        prog = session.program()
        d = prog.object(address, depth=opts.get("depth", 0), items=opts.get("items", 0),
                        string=opts.get("string", 0))
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
        else:
            gdb.write(format_object(d))
