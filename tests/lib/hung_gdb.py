"""In-gdb checks of py-tasks, py-locks and py-triage against what the
programs recorded about themselves, and of the CLI's native frames
against gdb's own bt.  Loaded into the gdb under test; each check prints
"CHECK ok NAME" or "CHECK FAIL NAME: detail", then "CHECK-END".
"""
import json
import os
import subprocess
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hung_truth  # noqa: E402
from checks import check_line, gdb_json  # noqa: E402


def _emit(results):
    for ok, name, detail in results:
        gdb.write(check_line(ok, name, detail) + "\n")
    gdb.write("CHECK-END\n")


def _load(path):
    with open(path) as fp:
        return json.load(fp)


def _run(cmd):
    return gdb_json(gdb.execute(cmd, to_string=True))


def check_tasks(record, label):
    try:
        results = hung_truth.compare_tasks(_run("py-tasks --json"), _load(record), label)
        text = gdb.execute("py-tasks", to_string=True)
        results.append(("(T) deadlock-a [" in text and "Deadlock: " in text,
                        label + ": py-tasks draws the tree", text[:300]))
    except (gdb.error, ValueError, OSError) as e:
        results = [(False, label + ": py-tasks", str(e))]
    _emit(results)


def check_status(record, label):
    try:
        results = hung_truth.compare_status(_run("py-stack --native --json"), _load(record),
                                            label)
    except (gdb.error, ValueError, OSError) as e:
        results = [(False, label + ": py-stack --native", str(e))]
    _emit(results)


def check_locks(record, label):
    try:
        results = hung_truth.compare_locks(_run("py-locks --json"), _load(record), label)
    except (gdb.error, ValueError, OSError) as e:
        results = [(False, label + ": py-locks", str(e))]
    _emit(results)


def check_verdict(record, scenario, label):
    try:
        results = hung_truth.compare_verdict(_run("py-triage --json"), _load(record),
                                             scenario, label)
    except (gdb.error, ValueError, OSError) as e:
        results = [(False, label + ": py-triage", str(e))]
    _emit(results)


def _same_name(a, b):
    """Equal, or one the other's alias with leading underscores (gdb and
    the ELF symbol table may pick different names of one address, as
    clone3 and __clone3)."""
    return a == b or (a and b and a.lstrip("_") == b.lstrip("_"))


def check_native_equal(cli, core, tid, label):
    """The CLI's native frames of thread tid on core equal gdb's bt of it:
    the same functions in the same order, the inlined ones too, with the
    same file and line.  gdb's tail-call frames (which gdb reconstructs
    from DWARF call-site information, with no frame on the stack) are left
    out of the comparison, and said so."""
    results = []
    try:
        for t in gdb.selected_inferior().threads():
            if t.ptid[1] == tid:
                t.switch()
        # gdb stops its bt at main() by default; the CLI shows every frame.
        gdb.execute("set backtrace past-main on")
        ours = []
        tail = 0
        frame = gdb.newest_frame()
        while frame is not None:
            if frame.type() == gdb.TAILCALL_FRAME:
                tail += 1
            else:
                sal = frame.find_sal()
                ours.append((frame.name(), frame.type() == gdb.INLINE_FRAME,
                             os.path.basename(sal.symtab.filename) if sal.symtab else None,
                             sal.line if sal.symtab else None))
            frame = frame.older()
        p = subprocess.run([cli, "stack", "--native", "--json", "--thread", str(tid),
                            "--core", core], capture_output=True, text=True, timeout=120)
        doc = json.loads(p.stdout)
        frames = [f for f in doc["threads"][0]["frames"] if f["kind"] == "native"]
        theirs = [(f["function"], f["inlined"], os.path.basename(f["file"]) if f["file"]
                   else None, f["line"]) for f in reversed(frames)]
        n = min(len(ours), len(theirs))
        names_ok = len(ours) == len(theirs) and all(
            _same_name(a[0], b[0]) for a, b in zip(ours, theirs))
        results.append((names_ok, "%s: the CLI's native frames are gdb's bt, in order%s" % (
            label, " (gdb's %d tail-call frames aside)" % tail if tail else ""),
            "gdb %s\ncli %s" % ([o[0] for o in ours], [t[0] for t in theirs])))
        results.append(([o[1] for o in ours[:n]] == [t[1] for t in theirs[:n]],
                        "%s: the same frames are inlined" % label,
                        "gdb %s, cli %s" % ([o[1] for o in ours], [t[1] for t in theirs])))
        lines_ok = all(a[2:] == b[2:] for a, b in zip(ours, theirs) if a[2] and b[2])
        results.append((lines_ok, "%s: the same files and lines" % label,
                        repr([(a[2:], b[2:]) for a, b in zip(ours, theirs) if a[2:] != b[2:]])))
    except (gdb.error, ValueError, OSError, IndexError, KeyError) as e:
        results.append((False, label + ": native frames against gdb's bt",
                        "%s: %s" % (type(e).__name__, e)))
    _emit(results)
