"""What every check script shares: the CHECK lines the .exp files turn
into DejaGnu results, and running the pyxray CLI.

    CHECK ok NAME
    CHECK FAIL NAME: what differed
    CHECK-END
"""
import json
import os
import subprocess


def check_line(ok, name, detail=""):
    """One result line; the detail is shown for failures only."""
    return "CHECK %s %s%s" % ("ok" if ok else "FAIL", name,
                              (": " + detail) if (detail and not ok) else "")


def run_cli(cli, args, timeout=120, refuse=None):
    """Run the CLI with --json; its JSON answer (None for no output), or
    RuntimeError with the exit status and the end of stderr.  refuse: a
    text whose appearance on stderr is a failure too (a warning the check
    is about)."""
    p = subprocess.run([cli] + list(args) + ["--json"], capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0 or (refuse and refuse in p.stderr):
        raise RuntimeError("%s %s: exit %d: %s" % (os.path.basename(cli), " ".join(args),
                                                    p.returncode, p.stderr.strip()[-500:]))
    return json.loads(p.stdout) if p.stdout.strip() else None


def gdb_json(text):
    """The JSON document in a command's captured output.  gdb writes its
    own warnings into the same capture (a core's register notes of a size
    it does not expect: "warning: Unexpected size of section
    `.reg-xstate/...'"); they come before the document and are skipped."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(("{", "[")):
            return json.loads("".join(lines[i:]))
    return json.loads(text)
