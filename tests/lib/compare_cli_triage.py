#!/usr/bin/env python3
"""compare_cli_triage.py: the CLI's triage and stack --native, with
elfutils' unwinder instead of gdb's, against the processes' own records.
Prints CHECK lines like pyxray_check.py.

    compare_cli_triage.py CLI core RECORD CORE LABEL   a crash example's kernel core
                                                       (RECORD from examples/crasher/expect.py)
    compare_cli_triage.py CLI live RECORD LABEL        a stopped stack_fixture.py
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import truth  # noqa: E402
from checks import check_line, run_cli  # noqa: E402

results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))


def run(cli, args):
    # Native frames are what is tested: their absence is a failure.
    return run_cli(cli, args, refuse="warning: no native frames")


def chain(frames):
    return [(f["function"], f["file"], f["line"]) for f in frames]


def is_eval(f):
    return (f.get("function") or "").startswith("_PyEval_EvalFrameDefault")


def core_checks(cli, record, core, label):
    with open(record) as fp:
        rec = json.load(fp)
    target = ["--core", core]
    r = run(cli, ["triage"] + target)
    check(r["signal"] == "SIGSEGV", label + ": signal", r["signal"])
    check(r["crashed_tid"] == rec["tid"], label + ": faulting thread",
          "%r, want %r" % (r["crashed_tid"], rec["tid"]))
    t = r["threads"][0] if r["threads"] else {}
    check(t.get("is_crashed"), label + ": the faulting thread comes first")
    check(chain(t.get("frames", [])) == chain(rec["frames"]), label + ": Python call chain",
          "%r, want %r" % (chain(t.get("frames", [])), chain(rec["frames"])))
    native = t.get("native_frames", [])
    check(native and native[-1]["function"] == rec["c_function"],
          label + ": the faulting C function", repr(native[-1:]))
    check(native and native[-1]["module"] == os.path.basename(rec["module"]),
          label + ": the faulting module", repr(native[-1:]))
    check(not any(is_eval(f) for f in native),
          label + ": no eval frame after the last Python frame")
    want_exc = rec["exception"]
    got_exc = t.get("exception")
    check((got_exc is None) == (want_exc is None) and
          (want_exc is None or (got_exc["type"], got_exc["message"]) ==
           (want_exc["type"], want_exc["message"])),
          label + ": the exception being handled", "%r, want %r" % (got_exc, want_exc))
    py = rec["frames"][-1]
    prefix = "SIGSEGV in module %s, function %s(), called from %s:%d in %s()" % (
        os.path.basename(rec["module"]), rec["c_function"], os.path.basename(py["file"]),
        py["line"], py["function"])
    check(r["verdict"].startswith(prefix), label + ": verdict", r["verdict"])
    s = run(cli, ["stack", "--native", "--thread", str(rec["tid"])] + target)
    frames = s["threads"][0]["frames"] if s["threads"] else []
    pyf = [f for f in frames if f["kind"] == "python"]
    check(chain(pyf) == chain(rec["frames"]), label + ": stack --native Python frames")
    check(frames and frames[-1]["kind"] == "native" and
          frames[-1]["function"] == rec["c_function"],
          label + ": stack --native ends at the faulting C function", repr(frames[-1:]))
    first = next((i for i, f in enumerate(frames) if f["kind"] == "python"), None)
    check(first and is_eval(frames[first - 1]),
          label + ": stack --native puts Python frames after an eval frame")


def live_checks(cli, record, label):
    with open(record) as fp:
        rec = json.load(fp)
    data = run(cli, ["stack", "--native", "--pid", str(rec["pid"])])
    evals_ok = True
    for t in data["threads"]:
        frames = t["frames"]
        for i, f in enumerate(frames):
            if f["kind"] == "python" and i and frames[i - 1]["kind"] == "native":
                evals_ok = evals_ok and is_eval(frames[i - 1])
        t["frames"] = [f for f in frames if f["kind"] == "python"]
        check(frames and frames[0]["kind"] == "native",
              "%s: thread %s starts with native frames" % (label, t["name"]))
    check(evals_ok, label + ": a native frame before a Python one is an eval frame")
    results.extend(truth.compare_stack(data, rec, label + " --native", with_locals=False))
    r = run(cli, ["triage", "--pid", str(rec["pid"])])
    check(r["signal"] == "none", label + ": triage of a stopped process: no signal")
    check(r["verdict"].startswith("no fatal signal: the process is stopped"),
          label + ": triage verdict", r["verdict"])


def main():
    cli, mode = sys.argv[1:3]
    try:
        if mode == "core":
            core_checks(cli, *sys.argv[3:6])
        else:
            live_checks(cli, *sys.argv[3:5])
    except Exception as e:
        check(False, sys.argv[-1] + ": " + mode, "%s: %s" % (type(e).__name__, e))
    for ok, name, detail in results:
        print(check_line(ok, name, detail))


if __name__ == "__main__":
    main()
