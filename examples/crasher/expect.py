"""The crash examples write down what is about to happen to them.

When the environment variable PYXRAY_EXPECT names a file, expect() writes
there, as JSON, the account a test can hold py-triage to:

  - the Python call chain of the fatal call on the line after expect()
    (function qualname, file, line; outermost first, as
    traceback.extract_stack() orders them);
  - the C function that call reaches, and the module it lives in;
  - the exception this thread is handling, if any (type and str());
  - this process and thread (OS thread ids), and anything else the
    example passes (which thread should hold the GIL ...).

Without PYXRAY_EXPECT it does nothing.
"""
import json
import os
import sys
import threading


def _frames(frame):
    out = []
    while frame is not None:
        code = frame.f_code
        out.append({"function": getattr(code, "co_qualname", code.co_name),
                    "file": code.co_filename, "line": frame.f_lineno})
        frame = frame.f_back
    out.reverse()
    return out


def expect(c_function, module, **extra):
    path = os.environ.get("PYXRAY_EXPECT")
    if not path:
        return
    caller = sys._getframe(1)
    frames = _frames(caller)
    frames[-1]["line"] = caller.f_lineno + 1  # the fatal call comes next
    exc = sys.exc_info()[1]
    record = {
        "pid": os.getpid(),
        "tid": threading.get_native_id(),
        "thread_name": threading.current_thread().name,
        "python_version": "%d.%d.%d" % sys.version_info[:3],
        "frames": frames,
        "c_function": c_function,
        "module": module.__file__,
        "exception": ({"type": type(exc).__name__, "message": str(exc)}
                      if exc is not None else None),
    }
    record.update(extra)
    tmp = path + ".tmp"
    with open(tmp, "w") as fp:
        json.dump(record, fp, indent=1)
    os.replace(tmp, path)
