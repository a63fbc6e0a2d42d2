"""Comparisons of pyxray's answers with a fixture's record of itself.

Shared by the gdb checks (pyxray_check.py) and the CLI checks
(compare_cli.py).  Each function returns a list of (ok, name, detail).
The record is what the process said about itself just before it stopped
(tests/fixtures/stack_fixture.py).
"""
import re

# Objects whose refcount changes as the fixture writes its record (shared
# singletons and cached small ints): only compared when immortal.
VOLATILE_REFCOUNT = {"none", "true", "false", "zero"}

_INSTANCE = re.compile(r" object at 0x[0-9a-f]+; ")
_OPEN = {"<": ">", "(": ")", "[": "]", "{": "}"}


def strip_attr_values(text):
    """pyxray's repr with the attribute values it adds after Python's
    default repr of an instance ("<m.T object at 0x..; a=1, b=[2]>") taken
    out: what Python's repr() prints."""
    out = []
    i = 0
    while True:
        m = _INSTANCE.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:m.end() - 2])
        # Skip to the '>' that closes this repr (nested brackets, quotes).
        j, depth, quote = m.end(), 0, None
        while j < len(text):
            c = text[j]
            if quote:
                if c == "\\":
                    j += 1
                elif c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c in _OPEN:
                depth += 1
            elif c in ">)]}":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        i = j


def comparable_repr(python_repr):
    """Reprs pyxray must reproduce exactly: no custom __repr__ output
    (which pyxray cannot run) and short enough for the default limits."""
    return python_repr is not None and "<" not in python_repr and len(python_repr) <= 70


def _frames_key(frames):
    return [(f["function"], f["file"], f["line"]) for f in frames]


def _diff_frames(a, b):
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x != y:
            return "frame %d: pyxray %s, process %s (pyxray has %d frames, process %d)" % (
                i, x, y, len(a), len(b))
    return ""


def compare_stack(data, rec, label, crashed=False, with_locals=True):
    """data: py-stack --json [--locals] output; rec: the fixture record."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), name, detail))

    report(data["python_version"] == rec["version"], "%s: python version" % label,
           "pyxray says %s, the process %s" % (data["python_version"], rec["version"]))
    ours = {t["tid"]: t for t in data["threads"]}
    want = {t["native_id"]: t for t in rec["threads"]}
    report(sorted(ours) == sorted(want), "%s: thread ids" % label,
           "pyxray %s, process %s" % (sorted(ours), sorted(want)))
    holders = [t["tid"] for t in data["threads"] if t["holds_gil"]]
    report(holders == [rec["gil_holder"]], "%s: GIL holder" % label,
           "pyxray says %s, the process %s" % (holders, rec["gil_holder"]))
    flagged = [t["tid"] for t in data["threads"] if t["is_crashed"]]
    if crashed:
        crash = data.get("crash") or {}
        report(crash.get("signal") == "SIGSEGV", "%s: crash signal" % label,
               "got %r" % crash)
        report(flagged == [rec["main_native_id"]], "%s: crashed thread" % label,
               "pyxray flags %s, the crash was in %s" % (flagged, rec["main_native_id"]))
    else:
        report(not flagged and not data.get("crash"), "%s: no crash" % label,
               "pyxray reports a crash: %r" % data.get("crash"))
    for tid, wt in sorted(want.items(), key=lambda kv: str(kv[0])):
        name = "%s: thread %s" % (label, wt["name"])
        ot = ours.get(tid)
        if ot is None:
            report(False, name + " frames", "missing from py-stack")
            continue
        report(ot["name"] == wt["name"], name + " name",
               "pyxray %r, process %r" % (ot["name"], wt["name"]))
        a, b = _frames_key(ot["frames"]), _frames_key(wt["frames"])
        want_frames = wt["frames"]
        if a != b and ot.get("error") and "frame chain breaks" in ot["error"] \
                and 0 < len(a) < len(b) and b[-len(a):] == a:
            # The memory of the outer frames is not there (gdb's gcore
            # cannot copy thread stacks whose guard pages sit inside the
            # mapping, as glibc 2.42+ makes them): pyxray must say so and
            # show the inner frames it could read, all of them right.
            want_frames = want_frames[-len(a):]
            report(True, name + " frames (inner %d of %d; pyxray says the chain "
                   "breaks)" % (len(a), len(b)))
        else:
            report(a == b, name + " frames", _diff_frames(a, b))
        if with_locals:
            bad, compared = _compare_locals(ot["frames"], want_frames)
            report(not bad and compared > 0, name + " locals",
                   "; ".join(bad[:4]) or "nothing compared")
    return out


def _compare_locals(ours, want):
    bad = []
    compared = 0
    for of, wf in zip(ours, want):
        if wf["locals"] is None:
            continue
        ol = of.get("locals", {})
        for k, v in wf["locals"].items():
            if k not in ol:
                bad.append("%s: %s missing" % (wf["function"], k))
            elif comparable_repr(v):
                compared += 1
                if ol[k] != v:
                    bad.append("%s: %s = %s, process says %s" % (wf["function"], k, ol[k], v))
        extra = set(ol) - set(wf["locals"])
        if extra:
            bad.append("%s: extra locals %s" % (wf["function"], sorted(extra)))
    return bad, compared


def compare_object(got, want, label, name):
    """got: py-object --json output (with generous limits); want: the
    record's entry for the same object."""
    problems = []
    if got["type"] != want["type"]:
        problems.append("type %s, process %s" % (got["type"], want["type"]))
    if name not in VOLATILE_REFCOUNT or got.get("immortal"):
        if got["refcount"] != want["refcount"]:
            problems.append("refcount %d, process %d" % (got["refcount"], want["refcount"]))
    if got["size"] != want["size"]:
        problems.append("size %s, process %s" % (got["size"], want["size"]))
    if got["gc_tracked"] != want["gc_tracked"]:
        problems.append("gc_tracked %s, process %s" % (got["gc_tracked"], want["gc_tracked"]))
    # A CPython newer than every layout table: the generation cannot be
    # known, and pyxray must say so rather than guess.
    unknown = got["generation"] is None and any(
        "needs pyxray's layout table" in e for e in got.get("errors", []))
    if got["generation"] != want["generation"] and not unknown:
        problems.append("generation %s, process %s" % (got["generation"], want["generation"]))
    ours = strip_attr_values(got["repr"])
    if ours != want["repr"]:
        problems.append("repr %r, process %r" % (got["repr"][:120], want["repr"][:120]))
    return [(not problems, "%s: object %s" % (label, name), "; ".join(problems))]
