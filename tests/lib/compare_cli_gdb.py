#!/usr/bin/env python3
"""compare_cli_gdb.py CLI TOP RECORD LABEL KIND: the same commands through
both front doors on the same stopped process - `pyxray CMD --pid PID`
and gdb's `py-CMD` - print the same text, and with --json the same
document.  KIND is "stack" (tests/fixtures/stack_fixture.py's record) or
"heap" (heap_fixture.py's).  Prints CHECK lines like pyxray_check.py.

The CLI runs first (it pauses the process and lets it go back to its
SIGSTOP), then one gdb attaches and runs every command.  What only gdb
prints - what each thread's C frames say in py-stack (its "in_c": the
built-in called, waiting for the GIL ...; a frame's "called_through"),
read from the C frames' variables - is taken out of gdb's answers first."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line  # noqa: E402

GDB = os.environ.get("PYXRAY_GDB", "gdb")

IN_GDB = r'''
import json
import gdb
out = {}
for cmd in json.load(open(%(commands)r)):
    try:
        out[cmd] = gdb.execute("py-" + cmd, to_string=True)
    except gdb.error as e:
        out[cmd] = "ERROR " + str(e)
with open(%(answers)r, "w") as fp:
    json.dump(out, fp)
'''


def commands_for(kind, rec):
    if kind == "stack":
        objs = rec["objects"]
        some = [objs[n]["address"] for n in ("dict", "list", "ascii") if n in objs]
        cmds = ["stack", "stack --locals", "stack --thread %d" % rec["pid"], "gc"]
        cmds += ["object %s" % a for a in some]
        cmds += ["object %s --depth 1 --items 2 --string 5" % a for a in some[:2]]
    else:
        cmds = ["census", "census --top 3 --sort size", "census --type Leaf",
                "referrers %s" % rec["target"], "path %s" % rec["target"],
                "path %s" % rec["orphan"], "gc"]
    return cmds + ["%s --json" % c for c in cmds]


_IN_C_LINE = re.compile(r"^  \(in C: .*\)\n", re.M)
_THROUGH = re.compile(r"\(called from C, through .*\)$", re.M)
_IN_C_STATE = re.compile(r"(,? )(waiting for the GIL|dropping the GIL|garbage-collecting)(?=[:,])")


def without_gdb_notes(cmd, text):
    """gdb's answer without what only gdb can see."""
    if not cmd.startswith("stack") or text.startswith("ERROR"):
        return text
    if cmd.endswith("--json"):
        try:
            doc = json.loads(text)
        except ValueError:
            return text
        for t in doc.get("threads", []):
            t.pop("in_c", None)
            for f in t.get("frames", []):
                f.pop("called_through", None)
        return json.dumps(doc)
    text = _IN_C_LINE.sub("", text)
    text = _THROUGH.sub("(called from C)", text)
    return "\n".join(_IN_C_STATE.sub("", l) if l.startswith(("Thread ", "threads "))
                     or re.match(r"^\d+ threads", l) else l for l in text.split("\n"))


def main():
    cli, top, record, label, kind = sys.argv[1:6]
    with open(record) as fp:
        rec = json.load(fp)
    pid = rec["pid"]
    cmds = commands_for(kind, rec)
    results = []

    def check(ok, name, detail=""):
        results.append((bool(ok), "%s: %s" % (label, name), detail))

    cli_out = {}
    for cmd in cmds:
        p = subprocess.run([cli] + cmd.split() + ["--pid", str(pid)], capture_output=True,
                           text=True, timeout=300)
        cli_out[cmd] = p.stdout if p.returncode == 0 else "ERROR %s" % p.stderr.strip()
    with tempfile.TemporaryDirectory() as tmp:
        cfile, afile, script = (os.path.join(tmp, n) for n in ("c.json", "a.json", "s.py"))
        with open(cfile, "w") as fp:
            json.dump(cmds, fp)
        with open(script, "w") as fp:
            fp.write(IN_GDB % {"commands": cfile, "answers": afile})
        p = subprocess.run([GDB, "-nx", "-q", "-batch", "-iex", "set width 0",
                            "-iex", "set auto-load python-scripts off", "-p", str(pid),
                            "-ex", "source %s/gdb/pyxray-gdb.py" % top, "-x", script],
                           capture_output=True, text=True, timeout=600)
        try:
            with open(afile) as fp:
                gdb_out = json.load(fp)
        except (OSError, ValueError):
            check(False, "gdb ran the commands", p.stdout[-500:] + p.stderr[-500:])
            gdb_out = {}
    for cmd in cmds:
        got, want = cli_out.get(cmd), gdb_out.get(cmd)
        if want is None:
            continue
        want = without_gdb_notes(cmd, want)
        if cmd.endswith("--json"):
            try:
                same = json.loads(got) == json.loads(want)
            except ValueError:
                same = False
            check(same and not got.startswith("ERROR"),
                  "pyxray %s is gdb's py-%s document" % (cmd, cmd),
                  "cli %r, gdb %r" % (got[:300], want[:300]))
        else:
            check(got == want and not got.startswith("ERROR"),
                  "pyxray %s prints gdb's py-%s text" % (cmd, cmd),
                  "cli %r, gdb %r" % (got[:400], want[:400]))
    for ok, name, detail in results:
        print(check_line(ok, name, detail))
    print("CHECK-END")


if __name__ == "__main__":
    main()
