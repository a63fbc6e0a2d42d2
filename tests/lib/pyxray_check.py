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
