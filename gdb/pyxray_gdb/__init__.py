"""pyxray's gdb front door: thin commands on the pyxray package.

Loaded by gdb/pyxray-gdb.py (`source gdb/pyxray-gdb.py`).  Each command
of the shared table (pyxray.options.COMMANDS) becomes `pyxray NAME`, with
the alias py-NAME; what only gdb can do lives here: the `bt` frame filter,
py-break, the Python location at each stop, `set/show pyxray`.
"""
import gdb

from pyxray import options

from . import breaks, framefilter, location, params, session
from .command import PrefixCommand, TableCommand

_registered = False


def _alias(name, command):
    """py-NAME for `pyxray NAME`, unless another script has the name
    (CPython's libpython, loaded before pyxray): its command keeps it, as
    it does when it loads after pyxray (pyxray-gdb(7) says so)."""
    try:
        gdb.execute("alias %s = %s" % (name, command), to_string=True)
    except gdb.error as e:
        if "existing command" not in str(e):
            raise


def register():
    global _registered
    if _registered:
        return
    PrefixCommand()
    for cmd in options.COMMANDS:
        if cmd.name == "break":
            breaks.PyBreak(cmd)
        else:
            TableCommand(cmd)
        _alias(cmd.gdb_name, "pyxray " + cmd.name)
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
