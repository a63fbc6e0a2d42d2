"""pyxray's gdb front door: py-* commands on libpyxray.

Loaded by gdb/pyxray.py (`source gdb/pyxray.py`).
"""
from . import session
from .arenas import PyArenas
from .gc import PyCensus, PyGc
from .info import PyInfo
from .leaks import PyLeaks
from .malloc import PyMalloc
from .object import PyObject
from .pools import PyPools
from .refs import PyPath, PyReferrers
from .stack import PyStack

_registered = False


def register():
    global _registered
    if _registered:
        return
    PyStack()
    PyObject()
    PyInfo()
    PyGc()
    PyCensus()
    PyReferrers()
    PyPath()
    PyLeaks()
    PyPools()
    PyArenas()
    PyMalloc()
    session.install_hooks()
    _registered = True
