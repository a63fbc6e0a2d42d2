"""pyxray's gdb front door: py-* commands on libpyxray.

Loaded by gdb/pyxray.py (`source gdb/pyxray.py`).
"""
from . import session
from .info import PyInfo
from .object import PyObject
from .stack import PyStack

_registered = False


def register():
    global _registered
    if _registered:
        return
    PyStack()
    PyObject()
    PyInfo()
    session.install_hooks()
    _registered = True
