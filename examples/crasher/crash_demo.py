"""Die of a segfault inside a C extension, three Python calls deep.

    python3 crash_demo.py EXTENSION_DIR

(the directory where examples/build-ext put _pyxray_crasher).  Then, on
the core file: gdb python3 core -ex 'source gdb/pyxray-gdb.py' -ex py-triage
"""
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
import _pyxray_crasher  # noqa: E402
from expect import expect  # noqa: E402


def handle(request):
    return parse(request["payload"])


def parse(payload):
    checksum = sum(payload)
    return validate(payload, checksum)


def validate(payload, checksum):
    expect("crash_on_null", _pyxray_crasher)
    _pyxray_crasher.crash_on_null()


if __name__ == "__main__":
    handle({"payload": [1, 2, 3], "client": "demo"})
