"""py-triage: what killed the process, in one screen."""
import json

import gdb

from . import native, session
from .command import PyxrayCommand, parse_options
from .stack import format_frame, format_native_frame, thread_header


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
            out.extend(format_frame(f))
        if t.get("native_frames_truncated"):
            out.append("  ... (more native frames; the innermost %d follow)" % t["native_frames_limit"])
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
        # The selected thread first: without a fatal signal, the verdict
        # is about it.
        report = prog.triage(native.stacks())
        if opts.get("json"):
            gdb.write(json.dumps(report, indent=2) + "\n")
        else:
            gdb.write(format_report(report))
