"""Python code that calls a C extension, to step from one into the other.

    gdb -ex 'source gdb/pyxray-gdb.py' -ex 'py-break summarize' -ex run \\
        --args python3 examples/crasher/step_into.py EXTENSION_DIR
    (gdb) advance checksum     # run on into the C function summarize() calls
    (gdb) next                 # step through it as C
    (gdb) bt                   # C frames, and "[Python] summarize" in the eval loop
    (gdb) py-stack             # summarize() is where Python is

With --forever it calls summarize() every 50 ms until killed, to attach
to with gdb -p PID.
"""
import os
import sys
import time

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
import _pyxray_crasher  # noqa: E402


def summarize(batch):
    total = _pyxray_crasher.checksum(batch)  # <step-into>
    return total


def main():
    results = [summarize([1, 2, 3, n]) for n in range(3)]
    print("checksums", results)


def forever():
    """--forever: a service to attach to (gdb -p PID)."""
    print("pid", os.getpid(), flush=True)
    n = 0
    while True:
        summarize([n, n + 1])
        n += 1
        time.sleep(0.05)


if __name__ == "__main__":
    if "--forever" in sys.argv:
        forever()
    else:
        main()
