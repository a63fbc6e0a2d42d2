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
    """Run the CLI; its JSON answer (None for no output), or RuntimeError
    with the exit status and the end of stderr.  refuse: a text whose
    appearance on stderr is a failure too (a warning the check is about)."""
    p = subprocess.run([cli] + list(args), capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0 or (refuse and refuse in p.stderr):
        raise RuntimeError("%s %s: exit %d: %s" % (os.path.basename(cli), " ".join(args),
                                                    p.returncode, p.stderr.strip()[-500:]))
    return json.loads(p.stdout) if p.stdout.strip() else None
