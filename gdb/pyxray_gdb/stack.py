"""py-stack: every thread's Python stack."""
import json
import linecache

import gdb

from . import native, session
from .command import PyxrayCommand, parse_options


def source_line(path, line):
    if not path or line is None or line <= 0:
        return None
    text = linecache.getline(path, line)
    return text.strip() or None


def thread_header(t, crash):
    name = " (%s)" % t["name"] if t.get("name") else ""
    parts = []
    if t.get("is_crashed") and crash:
        where = " at %s" % crash["address"] if crash.get("address") else ""
        parts.append("crashed here: %s%s" % (crash["signal"], where))
    if t.get("holds_gil"):
        parts.append("holds the GIL")
    interp = " [interpreter %d]" % t["interpreter"] if t.get("interpreter") else ""
    head = "Thread %d%s%s" % (t["tid"], name, interp)
    return head + (" " + ", ".join(parts) if parts else "") + ":"


def format_frame(f):
    """The lines of one Python frame, as a traceback prints them."""
    line = f["line"] if f["line"] >= 0 else "?"
    out = ['  File "%s", line %s, in %s' % (f["file"], line, f["function"])]
    src = source_line(f["file"], f["line"])
    if src:
        out.append("    " + src)
    return out


def format_stack(data, with_locals=False):
    out = []
    crash = data.get("crash")
    for t in data["threads"]:
        out.append(thread_header(t, crash))
        if t.get("error"):
            out.append("  error: %s" % t["error"])
        frames = t["frames"]
        if not frames and not t.get("error"):
            out.append("  (no Python frames)")
        elif frames:
            out.append("Traceback (most recent call last):")
        for i, f in enumerate(frames):
            if f.get("kind") == "native":
                out.append(format_native_frame(f))
                continue
            if f.get("entered_from_c") and i > 0 and frames[i - 1].get("kind") != "native":
                out.append("  (called from C)")
            out.extend(format_frame(f))
            if with_locals:
                for name, value in f.get("locals", {}).items():
                    out.append("      %s = %s" % (name, value))
        out.append("")
    return "\n".join(out)


def format_native_frame(f):
    where = ""
    if f.get("file"):
        where = " at %s:%s" % (f["file"], f["line"] if f.get("line") else "?")
    module = " [%s]" % f["module"] if f.get("module") else ""
    return "  (C) %s%s%s" % (f.get("function") or "?? (%s)" % f["address"], where, module)


class PyStack(PyxrayCommand):
    """Print the Python stack of every thread.

Usage: py-stack [--thread TID] [--locals] [--native] [--json]

Reads the CPython interpreter state of the process or core file gdb has
loaded, without running code in it, and prints each thread's Python stack
like a traceback, outermost call first: which thread holds the GIL, which
one took a fatal signal, and the source line of each frame when the file
is readable.  Frames that C code called into are marked "(called from C)".

  --thread TID   only this thread (its OS thread id, as in `info threads`,
                 or its threading.get_ident() value)
  --locals       show each frame's arguments and locals as safe reprs
  --native       merge in the native (C) frames, as gdb unwinds them: the
                 Python frames appear inside the eval-loop frames that run
                 them, and the C functions they call come after them
  --json         print JSON instead (shape in docs/py-stack.md)

Works on CPython 3.8 to 3.15, release and debug builds."""

    def __init__(self):
        super().__init__("py-stack")

    def run(self, arg, from_tty):
        opts, _ = parse_options(arg, flags=("locals", "json", "native"), valued=("thread",))
        prog = session.program()
        if opts.get("native"):
            one = native.gdb_thread_for(opts["thread"]) if opts.get("thread") else None
            data = prog.stack_native(native.stacks([one] if one else None),
                                     thread=opts.get("thread", 0),
                                     locals=opts.get("locals", False))
        else:
            data = prog.stack(thread=opts.get("thread", 0), locals=opts.get("locals", False))
        if opts.get("json"):
            gdb.write(json.dumps(data, indent=2) + "\n")
        else:
            gdb.write(format_stack(data, opts.get("locals", False)))
