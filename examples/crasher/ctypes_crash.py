"""Crash in C code that ctypes calls through libffi.

    python3 ctypes_crash.py EXTENSION_DIR memmove|abort|fatal

memmove: ctypes.memmove() to address 0 (SIGSEGV in the C library's
memmove, called by libffi); abort: the C library's abort() called through
ctypes (SIGABRT); fatal: CPython's Py_FatalError() called through
ctypes.pythonapi (it prints its message and aborts).  py-triage names the
C function ctypes called, not libffi's trampoline.
"""
import ctypes
import os
import sys

sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
from expect import expect  # noqa: E402

MODE = sys.argv[2] if len(sys.argv) > 2 else "memmove"


class _Libc:
    __file__ = "libc.so.6"


def copy_record(buf):
    expect("memmove", _Libc)
    ctypes.memmove(0, buf, len(buf))


def give_up():
    expect("abort", _Libc)
    ctypes.CDLL(None).abort()


class _Python:
    __file__ = "libpython"


def corrupt_cache():
    expect("Py_FatalError", _Python, message="the cache index is corrupt")
    ctypes.pythonapi.Py_FatalError(b"the cache index is corrupt")


if __name__ == "__main__":
    if MODE == "abort":
        give_up()
    elif MODE == "fatal":
        corrupt_cache()
    else:
        copy_record(b"payload")
