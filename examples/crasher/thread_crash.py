"""One thread dies in a C extension while another holds the GIL.

    python3 thread_crash.py EXTENSION_DIR

The main thread spins in pure Python.  A worker calls
_pyxray_crasher.crash_without_gil(), which releases the GIL, waits long
enough for the main thread to take it, and dereferences NULL.  py-triage
names the worker as the faulting thread and the main thread as the GIL
holder.
"""
import os
import sys
import threading

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
import _pyxray_crasher  # noqa: E402
from expect import expect  # noqa: E402


def spin(stop):
    n = 0
    while not stop.is_set():
        n += 1
    return n


def flush_batch(main_tid):
    expect("crash_without_gil", _pyxray_crasher, gil_holder=main_tid)
    _pyxray_crasher.crash_without_gil()


def worker(main_tid):
    flush_batch(main_tid)


if __name__ == "__main__":
    stop = threading.Event()
    t = threading.Thread(target=worker, args=(threading.get_native_id(),),
                         name="flusher")
    t.start()
    spin(stop)
