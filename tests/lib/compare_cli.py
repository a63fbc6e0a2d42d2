#!/usr/bin/env python3
"""compare_cli.py CLI RECORD LABEL MODE [CLI-OPTION...]: check the pyxray
CLI (possibly an ASan build) against a fixture's record; prints CHECK lines
like pyxray_check.py.  MODE is "pid" (the record's process, stopped) or the
path of a core file; options after it go to every CLI command (--sysroot
DIR, --lib-path DIRS, --exe FILE).  PYXRAY_CLAIMED_VERSION, when
set, is the version pyxray must report instead of the recorded one (an
interpreter whose version words were edited)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import truth  # noqa: E402
from checks import check_line, run_cli  # noqa: E402


def main():
    cli, record, label, mode = sys.argv[1:5]
    extra = sys.argv[5:]
    with open(record) as fp:
        rec = json.load(fp)
    if os.environ.get("PYXRAY_CLAIMED_VERSION"):
        rec["version"] = os.environ["PYXRAY_CLAIMED_VERSION"]
    target = ["--pid", str(rec["pid"])] if mode == "pid" else ["--core", mode]
    target += extra
    results = []
    try:
        data = run_cli(cli, ["stack", "--locals"] + target)
        results += truth.compare_stack(data, rec, label, crashed=rec["mode"] == "crash")
    except Exception as e:
        results.append((False, "%s: stack" % label, str(e)))
    for name, want in sorted(rec["objects"].items()):
        try:
            got = run_cli(cli, ["object", want["address"], "--depth", "10", "--items", "100",
                            "--string", "1000"] + target)
            results += truth.compare_object(got, want, label, name)
        except Exception as e:
            results.append((False, "%s: object %s" % (label, name), str(e)))
    for ok, name, detail in results:
        print(check_line(ok, name, detail))
    print("CHECK-END")


if __name__ == "__main__":
    main()
