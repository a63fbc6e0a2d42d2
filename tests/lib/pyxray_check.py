"""In-gdb checks of pyxray's answers against a fixture's own record.

Loaded into the gdb under test (`source tests/lib/pyxray_check.py`); the
.exp files call check_stack()/check_objects() and turn each printed line
into a DejaGnu result:

    CHECK ok NAME
    CHECK FAIL NAME: what differed
    CHECK-END
"""
import json
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import truth  # noqa: E402
from checks import check_line, gdb_json  # noqa: E402

OBJECT_LIMITS = "--string 1000 --items 100 --depth 10"


def _emit(results):
    for ok, name, detail in results:
        gdb.write(check_line(ok, name, detail) + "\n")


def _load(path):
    with open(path) as fp:
        return json.load(fp)


def _pyxray(cmd):
    return gdb_json(gdb.execute(cmd, to_string=True))


def check_stack(record_path, label, crashed=False):
    try:
        data = _pyxray("py-stack --json --locals")
        _emit(truth.compare_stack(data, _load(record_path), label, crashed))
    except gdb.error as e:
        _emit([(False, "%s: py-stack --json" % label, str(e))])
    gdb.write("CHECK-END\n")


def check_objects(record_path, label):
    rec = _load(record_path)
    for name, want in sorted(rec["objects"].items()):
        try:
            got = _pyxray("py-object --json %s %s" % (OBJECT_LIMITS, want["address"]))
            _emit(truth.compare_object(got, want, label, name))
        except gdb.error as e:
            _emit([(False, "%s: object %s" % (label, name), str(e))])
    gdb.write("CHECK-END\n")


# ---- the gdb session (session.exp) ---------------------------------------------

def check_session_reprs(record_path, label):
    """Each object of the session fixture: pyxray's repr against what
    Python's own repr() says (with the attribute values pyxray adds, made
    from Python's reprs of them)."""
    rec = _load(record_path)
    for name, want in sorted(rec["objects"].items()):
        try:
            got = _pyxray("py-object --json %s %s" % (OBJECT_LIMITS, want["address"]))
        except gdb.error as e:
            _emit([(False, "%s: repr of %s" % (label, name), str(e))])
            continue
        _emit([(got["repr"] == want["pyxray_repr"], "%s: repr of %s" % (label, name),
                "pyxray %r, Python %r" % (got["repr"], want["pyxray_repr"]))])
    gdb.write("CHECK-END\n")


def check_fields(record_path, label):
    """py-object --fields of the fixture's instance: each attribute with
    the address, type and repr the process gives its value."""
    rec = _load(record_path)
    job = rec["objects"]["job"]
    got = _pyxray("py-object --json --fields %s" % job["address"])
    fields = {f["name"]: f for f in got.get("fields", [])}
    for attr, want in sorted(job["attrs"].items()):
        f = fields.get("." + attr)
        if f is None:
            _emit([(False, "%s: field .%s" % (label, attr), "not among %s" % sorted(fields))])
            continue
        problems = []
        if f["address"] != want["address"]:
            problems.append("address %s, process %s" % (f["address"], want["address"]))
        if f["type"] != want["type"]:
            problems.append("type %s, process %s" % (f["type"], want["type"]))
        if f["repr"] != want["repr"]:
            problems.append("repr %r, process %r" % (f["repr"], want["repr"]))
        _emit([(not problems, "%s: field .%s" % (label, attr), "; ".join(problems))])
    gdb.write("CHECK-END\n")


def check_frames(record_path, label):
    """py-bt's frames and py-locals of each against the main thread's
    own record of its frames."""
    rec = _load(record_path)
    from pyxray_gdb import pyframes, session
    frames = pyframes.thread_frames()
    want = rec["frames"]
    _emit([([f["function"] for f in frames][:len(want)] == [f["function"] for f in want],
            "%s: py-bt's functions, innermost first" % label,
            "pyxray %s, process %s" % ([f["function"] for f in frames],
                                       [f["function"] for f in want]))])
    prog = session.program()
    for f, w in zip(frames, want):
        if not w["locals"]:
            continue
        doc = prog.frame(f["address"], depth=10, items=100, string=1000)
        got = {l["name"]: l["repr"] for l in doc["locals"]}
        bad = ["%s: %r, process %r" % (k, got.get(k), v) for k, v in w["locals"].items()
               if truth.comparable_repr(v) and got.get(k) != v]
        _emit([(not bad, "%s: locals of %s" % (label, w["function"]), "; ".join(bad))])
    gdb.write("CHECK-END\n")
