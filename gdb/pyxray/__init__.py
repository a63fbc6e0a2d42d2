"""pyxray: interpreter-aware debugging of CPython processes and core files.

    import pyxray
    with pyxray.attach(pid) as prog:          # paused while open
        for t in prog.stack()["threads"]:
            print(t["name"], t["frames"][-1]["function"])
    prog = pyxray.open_core("core.1234", exe="/usr/bin/python3.11")
    prog.census(top=10)

Every command of the gdb front door (py-stack ...) and of the CLI
(pyxray stack ...) is a Program method returning the command's --json
document, parsed; pyxray.render turns a document into the commands' text.
It reads the target from the outside, never writes to it and never runs
code in it.  The guide is docs/python-api.md.
"""
from .errors import Error, FaultError, SystemCallError, UsageError
from .program import Program, attach, open_core

__version__ = "0.1.0"

__all__ = ["attach", "open_core", "Program", "Error", "FaultError", "SystemCallError",
           "UsageError", "__version__"]
