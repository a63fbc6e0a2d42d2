"""py-info: what pyxray found in the target."""
import json

import gdb

from . import lib, session
from .command import PyxrayCommand, parse_options


class PyInfo(PyxrayCommand):
    """Show what pyxray found: CPython version and build, where _PyRuntime
is, which layout table it uses, whether debug symbols were found, and any
warnings (a missing file behind a core, missing debug info ...).

Usage: py-info [--json]"""

    def __init__(self):
        super().__init__("py-info")

    def run(self, arg, from_tty):
        opts, _ = parse_options(arg, flags=("json",))
        d = session.program().info()
        d["library"] = lib.library_path()
        if opts.get("json"):
            gdb.write(json.dumps(d, indent=2) + "\n")
            return
        rows = [
            ("target", "%s %d%s" % (d["target"], d["pid"],
                                    " (%s)" % d["core_file"] if d.get("core_file") else "")),
            ("executable", d.get("executable") or "?"),
            ("python", "%s%s" % (d["python_version"],
                                 " (debug build)" if d["debug_build"] else "")),
            ("runtime", "_PyRuntime at %s in %s" % (d["runtime_address"], d["python_module"])),
            ("symbols", "full (.symtab)" if d["debug_symbols"] else "exported only (.dynsym)"),
            ("dwarf", "yes" if d["dwarf"] else "no"),
            ("layout", "%s, from %s%s" % (d["layout"], d["layout_source"],
                                          "; _Py_DebugOffsets from the target"
                                          if d["debug_offsets"] else "")),
            ("library", d["library"]),
        ]
        for name, value in rows:
            gdb.write("%-11s %s\n" % (name, value))
        for w in d["warnings"]:
            gdb.write("warning     %s\n" % w)
