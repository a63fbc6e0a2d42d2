"""Die of a segfault inside a C extension, three Python calls deep.

    python3 crash_demo.py EXTENSION_DIR

(the directory where examples/crasher/build-ext put _pyxray_crasher).
"""
import sys

sys.path.insert(0, sys.argv[1])
import _pyxray_crasher  # noqa: E402


def handle(request):
    return parse(request["payload"])


def parse(payload):
    checksum = sum(payload)
    return validate(payload, checksum)


def validate(payload, checksum):
    _pyxray_crasher.crash_on_null()


if __name__ == "__main__":
    handle({"payload": [1, 2, 3], "client": "demo"})
