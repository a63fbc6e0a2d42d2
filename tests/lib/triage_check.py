"""In-gdb checks of py-triage, the Python-aware bt and py-stack --native
against the account a crash example wrote just before its fatal call
(examples/crasher/expect.py).

Loaded into the gdb under test; each check prints "CHECK ok NAME" or
"CHECK FAIL NAME: detail", and "CHECK-END" at the end.
"""
import json
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line, gdb_json  # noqa: E402


class Checks:
    def __init__(self, label):
        self.label = label

    def check(self, ok, name, detail=""):
        gdb.write(check_line(ok, "%s: %s" % (self.label, name), detail) + "\n")
        return ok

    def equal(self, got, want, name):
        return self.check(got == want, name, "got %r, want %r" % (got, want))


def _load(path):
    with open(path) as fp:
        return json.load(fp)


def _chain(frames):
    return [(f["function"], f["file"], f["line"]) for f in frames]


def _end():
    gdb.write("CHECK-END\n")


def check_triage(record_path, label, gil_elsewhere=False):
    """py-triage --json against the record."""
    c = Checks(label)
    try:
        rec = _load(record_path)
        report = gdb_json(gdb.execute("py-triage --json", to_string=True))
    except (gdb.error, OSError, ValueError) as e:
        c.check(False, "py-triage --json", str(e))
        return _end()
    c.equal(report["signal"], "SIGSEGV", "signal")
    c.equal(report["fault_address"], "0x0", "fault address")
    c.equal(report["crashed_tid"], rec["tid"], "faulting thread")
    c.equal(report["gc_collecting"], False, "gc not collecting")
    threads = report["threads"]
    crashed = threads[0] if threads else {}
    c.check(crashed.get("is_crashed") and crashed.get("tid") == rec["tid"],
            "the faulting thread comes first")
    c.equal(sum(1 for t in threads if t["is_crashed"]), 1, "one faulting thread")
    c.equal(_chain(crashed.get("frames", [])), _chain(rec["frames"]),
            "the faulting thread's Python call chain")
    native = crashed.get("native_frames", [])
    c.check(bool(native), "native frames after the last Python frame")
    if native:
        c.equal(native[-1]["function"], rec["c_function"], "the faulting C function")
        c.equal(native[-1]["module"], os.path.basename(rec["module"]),
                "the faulting module")
        c.check(not any((f["function"] or "").startswith("_PyEval_EvalFrameDefault")
                        for f in native),
                "no eval-loop frame between the last Python frame and the fault")
    c.equal(crashed.get("exception"), _exception(rec), "the exception being handled")
    if gil_elsewhere:
        want = rec["gil_holder"]
        c.equal(report["gil_holder"], want, "the GIL holder is the other thread")
        c.check(not crashed.get("holds_gil"), "the faulting thread does not hold the GIL")
        holder = [t for t in threads if t["tid"] == want]
        c.check(bool(holder) and bool(holder[0]["frames"]),
                "the GIL holder's Python stack is shown")
    else:
        c.equal(report["gil_holder"], rec["tid"], "the faulting thread holds the GIL")
    py = rec["frames"][-1]
    where = "%s:%d in %s()" % (os.path.basename(py["file"]), py["line"], py["function"])
    verdict = report["verdict"]
    c.check(verdict.startswith("SIGSEGV in module %s, function %s(), called from %s"
                               % (os.path.basename(rec["module"]), rec["c_function"],
                                  where)),
            "verdict", verdict)
    if rec["exception"]:
        c.check("handling %s: %s" % (rec["exception"]["type"], rec["exception"]["message"])
                in verdict, "the verdict names the exception", verdict)
    _end()


def _exception(rec):
    e = rec["exception"]
    return None if e is None else {"type": e["type"], "message": e["message"],
                                   "raised": False}


BT_PYTHON = re.compile(r"^    \[Python\] (\S+) \(.*\) at (.*):(\d+)$")


def check_bt(record_path, label):
    """bt of the faulting thread shows its Python frames, innermost first,
    under the eval frames; `set pyxray bt-python off` hides them."""
    c = Checks(label)
    rec = _load(record_path)
    try:
        for t in gdb.selected_inferior().threads():
            if t.ptid[1] == rec["tid"]:
                t.switch()
        text = gdb.execute("bt", to_string=True)
        gdb.execute("set pyxray bt-python off")
        plain = gdb.execute("bt", to_string=True)
        gdb.execute("set pyxray bt-python on")
    except gdb.error as e:
        c.check(False, "bt", str(e))
        return _end()
    got = []
    parent = None      # the numbered frame line above the first Python frame
    last_numbered = ""
    for line in text.splitlines():
        m = BT_PYTHON.match(line)
        if m:
            got.append((m.group(1), m.group(2), int(m.group(3))))
            if parent is None:
                parent = last_numbered
        elif line.startswith("#"):
            last_numbered = line
    want = list(reversed(_chain(rec["frames"])))
    c.equal(got, want, "bt lists the Python frames, innermost first")
    c.check(parent is not None and "_PyEval_EvalFrameDefault" in parent,
            "the innermost Python frame is under an eval-loop frame", repr(parent))
    c.check("#0 " in text and rec["c_function"] in text.splitlines()[0],
            "bt still starts at the faulting C function", text.splitlines()[0] if text else "")
    c.check("[Python]" not in plain and "#0 " in plain,
            "set pyxray bt-python off: a plain bt")
    _end()


def check_native(record_path, label):
    """py-stack --native --json: one list per thread, native and Python."""
    c = Checks(label)
    rec = _load(record_path)
    try:
        data = gdb_json(gdb.execute("py-stack --native --json --thread %d" % rec["tid"],
                                      to_string=True))
    except (gdb.error, ValueError) as e:
        c.check(False, "py-stack --native --json", str(e))
        return _end()
    frames = data["threads"][0]["frames"] if data["threads"] else []
    py = [f for f in frames if f.get("kind") == "python"]
    c.equal(_chain(py), _chain(rec["frames"]), "the Python frames, in order")
    c.check(bool(frames) and frames[-1].get("kind") == "native"
            and frames[-1].get("function") == rec["c_function"],
            "the innermost frame is the faulting C function",
            repr(frames[-1]) if frames else "no frames")
    first_py = next((i for i, f in enumerate(frames) if f.get("kind") == "python"), None)
    c.check(first_py is not None and first_py > 0
            and (frames[first_py - 1].get("function") or "").startswith("_PyEval_EvalFrameDefault"),
            "the first Python frame comes right after an eval-loop frame")
    c.check(bool(frames) and frames[0].get("kind") == "native",
            "the outermost frame is native (the process's start)")
    _end()
