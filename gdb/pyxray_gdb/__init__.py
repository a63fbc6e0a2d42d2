"""pyxray's gdb front door: thin commands on the pyxray package.

Loaded by gdb/pyxray-gdb.py (`source gdb/pyxray-gdb.py`).  Each command
of the shared table (pyxray.options.COMMANDS) becomes `pyxray NAME`, with
the alias py-NAME; what only gdb can do lives here: the selected Python
frame (py-bt, py-frame, py-up, py-down, py-list, py-locals, py-print),
the `bt` frame filter, the pretty-printer and convenience functions,
py-break and Python stepping (py-next, py-step, py-finish), the Python
location at each stop, `set/show pyxray`.
"""
import gdb

from pyxray import options

from . import breaks, framefilter, location, params, printers, pyframes, session, stack, stepping
from .command import PrefixCommand, TableCommand

_registered = False


def _command_class(name):
    if name == "break":
        return breaks.PyBreak
    if name == "stack":
        return stack.StackCommand
    return pyframes.CLASSES.get(name) or stepping.CLASSES.get(name) or TableCommand


class _PyName(gdb.Command):
    """py-NAME where an alias cannot be made: another extension (CPython's
    own libpython: py-bt, py-list, py-up, py-down, py-print, py-locals)
    took the name first.  pyxray's command replaces it."""

    def __init__(self, name, command):
        self.__doc__ = command.__doc__
        self._command = command
        super().__init__(name, gdb.COMMAND_NONE)

    def invoke(self, arg, from_tty):
        self._command.invoke(arg, from_tty)

    def complete(self, text, word):
        return self._command.complete(text, word)


def register():
    global _registered
    if _registered:
        return
    PrefixCommand()
    for cmd in options.COMMANDS:
        command = _command_class(cmd.name)(cmd)
        try:
            gdb.execute("alias %s = pyxray %s" % (cmd.gdb_name, cmd.name), to_string=True)
        except gdb.error as e:
            if "existing command" not in str(e):
                raise
            _PyName(cmd.gdb_name, command)
    params.SetPyxray()
    params.ShowPyxray()
    params.BtPython(framefilter.set_enabled)
    params.ShowLocation()
    params.PrettyPrint()
    framefilter.install()
    printers.install()
    location.install()
    pyframes.install()
    stack.install()
    gdb.events.exited.connect(breaks.on_exit)
    gdb.events.stop.connect(breaks.on_stop)
    gdb.events.new_objfile.connect(breaks.on_new_objfile)
    session.install_hooks()
    _registered = True
