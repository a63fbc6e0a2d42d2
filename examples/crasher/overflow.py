"""Overflow the C stack, by recursion in Python or in C.

    python3 overflow.py EXTENSION_DIR python|c

python: walk() recurses through map() with the recursion limit lifted,
in a thread with a small stack, until the C stack runs out (SIGSEGV).
CPython 3.14 and later measure the stack they have left and raise
RecursionError instead: then this prints "guarded" and exits 3.
c: the extension's recurse_deeply() recurses in C until SIGSEGV.
py-triage says "stack overflow" and names the function that recursed.
"""
import os
import sys
import threading

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
import _pyxray_crasher  # noqa: E402
from expect import expect  # noqa: E402

MODE = sys.argv[2] if len(sys.argv) > 2 else "python"


def walk(n):
    return sum(map(walk, (n + 1,)))


def descend_in_c():
    expect("descend", _pyxray_crasher, recursion="descend")
    _pyxray_crasher.recurse_deeply()


def recurse_in_python():
    sys.setrecursionlimit(10 ** 8)
    expect("walk", _pyxray_crasher, recursion="walk")
    try:
        walk(0)
    except RecursionError:
        print("guarded: this CPython raises RecursionError before the C stack runs out",
              flush=True)
        os._exit(3)


if __name__ == "__main__":
    target = descend_in_c if MODE == "c" else recurse_in_python
    # Small enough that 3.12's limit of C recursion (1500 levels) is past its end.
    threading.stack_size(256 << 10)
    t = threading.Thread(target=target, name="recursor")
    t.start()
    t.join()
