"""`set pyxray ...` / `show pyxray ...`: pyxray's settings."""
import gdb


class SetPyxray(gdb.Command):
    """Set pyxray's options.

Usage: set pyxray OPTION on|off   (the options are listed below)"""

    def __init__(self):
        super().__init__("set pyxray", gdb.COMMAND_DATA, prefix=True)


class ShowPyxray(gdb.Command):
    """Show pyxray's options.

Usage: show pyxray [OPTION]   (all of them without OPTION)"""

    def __init__(self):
        super().__init__("show pyxray", gdb.COMMAND_DATA, prefix=True)

    def invoke(self, arg, from_tty):
        # `show pyxray` alone shows every option.
        for name in sorted(_params):
            gdb.execute("show pyxray " + name)


_params = {}


class BoolParameter(gdb.Parameter):
    """A boolean `set pyxray NAME on|off`; subclasses set the docs."""

    def __init__(self, name, default, on_change=None):
        self.name = name
        self._on_change = on_change
        super().__init__("pyxray " + name, gdb.COMMAND_DATA, gdb.PARAM_BOOLEAN)
        self.value = default
        _params[name] = self

    def get_set_string(self):
        if self._on_change:
            self._on_change(self.value)
        return ""

    def get_show_string(self, svalue):
        return "%s is %s." % (self.show_doc.rstrip("."), svalue)


class BtPython(BoolParameter):
    """When on, `bt` lists the Python frames each eval-loop frame runs."""
    set_doc = "Set whether bt shows the Python frames inside the eval loop."
    show_doc = "Whether bt shows the Python frames inside the eval loop"

    def __init__(self, on_change):
        super().__init__("bt-python", True, on_change)


class ShowLocation(BoolParameter):
    """When on, every stop also prints the current Python location of the
stopped thread (function, file and line, and the source line), after
gdb's own frame line."""
    set_doc = "Set whether every stop prints the current Python location."
    show_doc = "Whether every stop prints the current Python location"

    def __init__(self):
        super().__init__("show-location", False)


def value(name):
    p = _params.get(name)
    return p.value if p is not None else None


class PrettyPrint(BoolParameter):
    """When on, gdb prints PyObject * values (and the other pointers to
CPython object structs: PyDictObject *, PyCodeObject * ...) as pyxray's
safe repr of the object, in print, bt, bt full, info locals and frame.
Off, gdb prints them as pointers (or Debian's libpython printers do, when
they are loaded)."""
    set_doc = "Set whether gdb prints PyObject pointers as Python values."
    show_doc = "Whether gdb prints PyObject pointers as Python values"

    def __init__(self):
        super().__init__("pretty-print", True)
