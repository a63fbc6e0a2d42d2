"""Abort on a failed assertion in a C extension.

    python3 assert_fail.py EXTENSION_DIR

pick_primary() hands an empty list of replicas to
_pyxray_crasher.checked_first(), whose assert() fails: glibc prints the
assertion and calls abort(), and the process dies of SIGABRT.  py-triage
names the assertion glibc recorded, not only the signal.
"""
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
import _pyxray_crasher  # noqa: E402
from expect import expect  # noqa: E402

ASSERTION = "Assertion `PyList_GET_SIZE(seq) > 0' failed."


def pick_primary(replicas):
    expect("checked_first", _pyxray_crasher, assertion=ASSERTION)
    return _pyxray_crasher.checked_first(replicas)


if __name__ == "__main__":
    pick_primary([])
