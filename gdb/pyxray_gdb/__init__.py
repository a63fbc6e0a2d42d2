"""pyxray's gdb front door: py-* commands on libpyxray.

Loaded by gdb/pyxray.py (`source gdb/pyxray.py`).
"""
import gdb

from . import breaks, framefilter, location, params, session
from .arenas import PyArenas
from .gc import PyCensus, PyGc
from .info import PyInfo
from .leaks import PyLeaks
from .malloc import PyMalloc
from .object import PyObject
from .pools import PyPools
from .refs import PyPath, PyReferrers
from .stack import PyStack
from .triage import PyTriage

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
    PyTriage()
    breaks.PyBreak()
    params.SetPyxray()
    params.ShowPyxray()
    params.BtPython(framefilter.set_enabled)
    params.ShowLocation()
    framefilter.install()
    location.install()
    gdb.events.exited.connect(breaks.on_exit)
    gdb.events.stop.connect(breaks.on_stop)
    gdb.events.new_objfile.connect(breaks.on_new_objfile)
    session.install_hooks()
    _registered = True
