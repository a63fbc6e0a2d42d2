"""Python code that calls a C extension, to step from one into the other.

    gdb -ex 'source gdb/pyxray.py' -ex 'py-break summarize' -ex run \\
        --args python3 examples/crasher/step_into.py EXTENSION_DIR
    (gdb) advance checksum     # run on into the C function summarize() calls
    (gdb) next                 # step through it as C
    (gdb) bt                   # C frames, and "[Python] summarize" in the eval loop
    (gdb) py-stack             # summarize() is where Python is
"""
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
import _pyxray_crasher  # noqa: E402


def summarize(batch):
    total = _pyxray_crasher.checksum(batch)  # <step-into>
    return total


def main():
    results = [summarize([1, 2, 3, n]) for n in range(3)]
    print("checksums", results)


if __name__ == "__main__":
    main()
