"""py-triage: what killed the process, in one screen."""
import json
import os

import gdb

from . import native, session
from .command import PyxrayCommand, parse_options
from .stack import format_native_frame, native_frame_json, source_line, thread_header

# Frames in these modules are where a signal surfaces (abort(), raise()),
# rarely where the bug is: the verdict names the first frame outside them.
SYSTEM_MODULES = ("libc.so", "libc-", "libpthread", "ld-linux", "ld64.so", "libgcc_s")
MAX_SHOWN_NATIVE = 64


def is_system(module):
    return bool(module) and module.startswith(SYSTEM_MODULES)


def native_between(merged):
    """The native frames inner to the innermost Python frame (all of them
    when the thread runs no Python), outermost first."""
    out = []
    for kind, f in merged:
        if kind == "python":
            break
        out.append(f)
    out = out[:MAX_SHOWN_NATIVE]
    out.reverse()
    return out


def culprit(native_frames):
    """The innermost native frame outside the C library, and the innermost
    one (in the C library) when they differ."""
    if not native_frames:
        return None, None
    inner = native_frames[-1]
    for f in reversed(native_frames):
        if not is_system(f["module"]):
            return f, (inner if f is not inner else None)
    return inner, None


def describe_python(frame):
    return "%s:%s in %s()" % (os.path.basename(frame["file"]), frame["line"],
                              frame["function"])


def verdict(report):
    crashed = next((t for t in report["threads"] if t["is_crashed"]), None)
    if report["signal"] == "none":
        sel = gdb.selected_thread()
        t = next((t for t in report["threads"] if sel and t["tid"] == sel.ptid[1]),
                 report["threads"][0] if report["threads"] else None)
        head = "no fatal signal: the process is stopped"
        crashed = t
    else:
        head = report["signal"]
    if crashed is None:
        return head + (" (the thread that took it is not known)"
                       if report["signal"] != "none" else "")
    f, via = culprit(crashed["native_frames"])
    parts = [head]
    if f is not None:
        parts.append(" in module %s, function %s()" % (f["module"] or "??",
                                                        f["function"] or "??"))
        if via is not None:
            parts.append(" (in %s() of %s)" % (via["function"] or "??", via["module"] or "??"))
    py = crashed["frames"][-1] if crashed["frames"] else None
    if py is not None:
        parts.append(", called from %s" % describe_python(py))
    else:
        parts.append(", in thread %d, which runs no Python code" % crashed["tid"])
    exc = crashed.get("exception")
    if exc:
        parts.append(", while %s %s: %s" % ("raising" if exc.get("raised") else "handling",
                                          exc["type"], exc["message"]))
    return "".join(parts)


def build_report(prog):
    data = prog.stack(exceptions=True)
    crash = data.get("crash")
    minor = native.python_version_minor(data)
    modules = native.module_map(prog)
    try:
        collecting = prog.gc()["collecting"]
    except Exception:  # the gc state is a bonus; a broken heap must not stop triage
        collecting = None
    threads = []
    seen = set()
    for t in data["threads"]:
        seen.add(t["tid"])
        thread = native.gdb_thread_for(t["tid"])
        nat = []
        if thread is not None:
            with native.selected_thread(thread):
                nat = native.unwind(modules)
        merged = native.merged_stack(prog, minor, t["frames"], thread, nat)
        t = dict(t)
        t["native_frames"] = [native_frame_json(f) for f in native_between(merged)]
        threads.append(t)
    # A crash in a thread that never ran Python (a C library's own thread).
    if crash and crash.get("tid") and crash["tid"] not in seen:
        thread = native.gdb_thread_for(crash["tid"])
        nat = []
        if thread is not None:
            with native.selected_thread(thread):
                nat = native.unwind(modules)
        threads.append({"tid": crash["tid"], "thread_id": None, "interpreter": None,
                        "name": thread.name if thread is not None else None,
                        "holds_gil": False, "is_crashed": True, "frames": [],
                        "native_frames": [native_frame_json(f) for f in
                                          reversed(nat[:MAX_SHOWN_NATIVE])],
                        "exception": None})
    threads.sort(key=lambda t: not t["is_crashed"])
    report = {
        "signal": crash["signal"] if crash else "none",
        "fault_address": crash.get("address") if crash else None,
        "crashed_tid": crash.get("tid") or None if crash else None,
        "python_version": data.get("python_version"),
        "gil_holder": next((t["tid"] for t in threads if t.get("holds_gil")), None),
        "gc_collecting": collecting,
        "verdict": "",
        "threads": threads,
    }
    report["verdict"] = verdict(report)
    return report


def format_report(report):
    out = [report["verdict"], ""]
    sig = report["signal"]
    if sig != "none":
        where = " at %s" % report["fault_address"] if report["fault_address"] else ""
        out.append("Signal:      %s%s in thread %s" % (sig, where, report["crashed_tid"] or "?"))
    holder = report["gil_holder"]
    out.append("GIL holder:  %s" % ("thread %d" % holder if holder else "none"))
    gc_state = {True: "collecting", False: "not collecting", None: "unknown"}
    out.append("GC:          %s" % gc_state[report["gc_collecting"]])
    out.append("")
    crash = {"signal": sig, "address": report["fault_address"]} if sig != "none" else None
    for t in report["threads"]:
        out.append(thread_header(t, crash))
        if t.get("error"):
            out.append("  error: %s" % t["error"])
        if t["frames"]:
            out.append("Traceback (most recent call last):")
        for f in t["frames"]:
            line = f["line"] if f["line"] >= 0 else "?"
            out.append('  File "%s", line %s, in %s' % (f["file"], line, f["function"]))
            src = source_line(f["file"], f["line"])
            if src:
                out.append("    " + src)
        for f in t["native_frames"]:
            out.append(format_native_frame(f))
        if not t["frames"] and not t["native_frames"]:
            out.append("  (no frames)")
        exc = t.get("exception")
        if exc:
            out.append("%s %s: %s" % ("Raising" if exc.get("raised") else "Handling",
                                      exc["type"], exc["message"]))
        out.append("")
    return "\n".join(out)


class PyTriage(PyxrayCommand):
    """Explain a crash: signal, faulting thread, Python and C frames.

Usage: py-triage [--json]

On a core file, or a live process stopped by a fatal signal, prints a
one-line verdict such as

  SIGSEGV in module _ext.so, function parse_item(), called from app.py:42
  in handle()

then the signal and fault address, which thread holds the GIL, whether
the garbage collector was running, and every thread's Python stack (the
faulting thread first) followed by the native frames between its last
Python frame and where it stopped, and the exception it was raising or
handling, if any.  On a live process that took no signal it describes
where each thread is.

  --json   print JSON instead (shape in docs/py-triage.md)"""

    def __init__(self):
        super().__init__("py-triage")

    def run(self, arg, from_tty):
        opts, _ = parse_options(arg, flags=("json",))
        prog = session.program()
        report = build_report(prog)
        if opts.get("json"):
            gdb.write(json.dumps(report, indent=2) + "\n")
        else:
            gdb.write(format_report(report))
