"""Python values where gdb prints C ones: a pretty-printer for PyObject *
and every other pointer to a CPython object struct, and convenience
functions for breakpoint conditions and scripts.

    (gdb) print op
    $1 = <__main__.Job object at 0x7f2a9e1d2b90; n=3, data=[0, 1, 2]>
    (gdb) break PyObject_GetAttr if $_streq($pyx_type(v), "Job")

The printer uses the engine's bounded, safe repr: it never runs code in
the process and never follows a pointer it has not checked, so it is
safe on corrupted heaps.  It prints for `print`, `bt` arguments,
`bt full`, `info locals`, `info args` and `frame`; `set pyxray
pretty-print off` (or `disable pretty-printer global pyxray`) turns it
off.  When Debian's libpython printers (python3.X-dbg's auto-loaded
python3.X-gdb.py) are loaded too, pyxray's print while pretty-print is
on: it puts itself ahead of them; off, theirs print.
"""
import os
import re

import gdb

from pyxray.errors import Error

from . import native, params, session

# The repr's bounds in gdb's one-line value displays.
LIMITS = dict(depth=2, items=6, string=80)

# struct name -> is it a CPython object struct (PyObject_HEAD first)?
_is_object_struct = {}


def _object_struct(t):
    """Does struct type t start with a PyObject header (its own ob_base,
    recursively), or is it PyObject itself?"""
    name = t.tag or t.name or ""
    hit = _is_object_struct.get(name)
    if hit is not None and name:
        return hit
    ok = False
    seen = 0
    cur = t
    while cur is not None and seen < 4:
        seen += 1
        tag = cur.tag or cur.name or ""
        if tag == "_object":
            ok = True
            break
        try:
            fields = cur.fields()
        except TypeError:
            break
        if not fields or fields[0].name != "ob_base":
            break
        cur = fields[0].type.strip_typedefs()
        if cur.code != gdb.TYPE_CODE_STRUCT:
            break
    if name:
        _is_object_struct[name] = ok
    return ok


def pointer_address(value):
    """The address a gdb.Value holds (a pointer or an integer)."""
    t = value.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        return int(value.cast(gdb.lookup_type("unsigned long"))) & 0xFFFFFFFFFFFFFFFF
    return int(value) & 0xFFFFFFFFFFFFFFFF


class ObjectPointerPrinter:
    """A PyObject * (or PyDictObject *, PyCodeObject * ...) as its repr."""

    def __init__(self, value):
        self.value = value

    def to_string(self):
        try:
            addr = pointer_address(self.value)
        except gdb.error:
            return None
        if addr == 0:
            return "0x0"
        try:
            return session.program().repr(addr, **LIMITS)
        except Error as e:
            if e.code in ("invalid-object", "fault"):
                return "0x%x (not a Python object)" % addr
            return "0x%x (pyxray: %s)" % (addr, e)
        except Exception as e:  # never break gdb's printing
            return "0x%x (pyxray internal error: %s)" % (addr, e)


def lookup(value):
    """gdb's pretty-printer lookup: pointers to object structs."""
    if not _printer.enabled or not params.value("pretty-print"):
        return None
    try:
        t = value.type.strip_typedefs()
        if t.code != gdb.TYPE_CODE_PTR:
            return None
        target = t.target().strip_typedefs()
        if target.code != gdb.TYPE_CODE_STRUCT or not _object_struct(target):
            return None
    except (gdb.error, RuntimeError):
        return None
    return ObjectPointerPrinter(value)


class _Printer:
    """What `info pretty-printer` lists and `disable pretty-printer`
    turns off: one printer named pyxray."""

    def __init__(self):
        self.name = "pyxray"
        self.enabled = True
        self.subprinters = None

    def __call__(self, value):
        return lookup(value)


_printer = _Printer()


def _is_libpython_lookup(p):
    code = getattr(p, "__code__", None)
    return (getattr(p, "__name__", "") == "pretty_printer_lookup" and code is not None
            and code.co_filename.endswith("-gdb.py"))


def _get_ahead_of_libpython(objfile):
    """Debian's libpython registers its lookup in the objfile's list,
    which gdb consults before the global one: put pyxray's first there."""
    try:
        pps = objfile.pretty_printers
    except RuntimeError:
        return
    for i, p in enumerate(pps):
        if p is _printer:
            return
        if _is_libpython_lookup(p):
            pps.insert(i, _printer)
            return


# The files CPython's libpython script is auto-loaded for (python3.11,
# python3.12d, libpython3.11.so.1.0 ...), as pyxray's gdb loader names them.
_CPYTHON_FILE = re.compile(r"^(python(\d+(\.\d+)?[a-z]*)?|libpython\d+\.\d+[a-z]*\.so(\.[0-9.]+)?)$")


def _claim(objfile):
    """Be first in a CPython objfile's list before libpython appends its
    lookup there: gdb loads an objfile's auto-load scripts after its
    new_objfile event, or (gdb -p, gdb PROGRAM CORE) after every file of
    the session, when no event follows."""
    try:
        name = os.path.basename(objfile.filename or "")
        if getattr(objfile, "owner", None) is None and _CPYTHON_FILE.match(name):
            pps = objfile.pretty_printers
            if _printer not in pps:
                pps.insert(0, _printer)
    except RuntimeError:
        pass


def _on_new_objfile(event):
    if event is not None:
        _claim(event.new_objfile)
    # libpython loaded before pyxray: look at every objfile (there are few).
    for objfile in gdb.objfiles():
        _get_ahead_of_libpython(objfile)


# ---- convenience functions ----------------------------------------------------

class PyxType(gdb.Function):
    """$pyx_type(PTR): the type name of the Python object PTR points to
("int", "app.Job"), or "" when it is not an object.  For conditions:
    break PyObject_GetAttr if $_streq($pyx_type(v), "Job")"""

    def __init__(self):
        super().__init__("pyx_type")

    def invoke(self, ptr):
        try:
            return session.program().type_name(pointer_address(ptr))
        except Error:
            return ""


class PyxRepr(gdb.Function):
    """$pyx_repr(PTR): the safe repr of the Python object PTR points to."""

    def __init__(self):
        super().__init__("pyx_repr")

    def invoke(self, ptr):
        addr = pointer_address(ptr)
        try:
            return session.program().repr(addr, **LIMITS)
        except Error as e:
            return "0x%x (not a Python object: %s)" % (addr, e)


class PyxFunc(gdb.Function):
    """$pyx_func(): the qualified name of the Python function the selected
thread runs (its innermost Python frame), or "" when it runs none.
    break write if $_streq($pyx_func(), "Logger.flush")"""

    def __init__(self):
        super().__init__("pyx_func")

    def invoke(self):
        thread = gdb.selected_thread()
        if thread is None:
            return ""
        try:
            prog = session.program()
            info = prog.thread_frame(native.thread_tid(thread))
            return prog.code(info.code)["function"]
        except Error:
            return ""


def install():
    gdb.pretty_printers.insert(0, _printer)
    gdb.events.new_objfile.connect(_on_new_objfile)
    for objfile in gdb.objfiles():
        _claim(objfile)
    _on_new_objfile(None)
    PyxType()
    PyxRepr()
    PyxFunc()
