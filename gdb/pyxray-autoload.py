# pyxray's loader for gdb's system gdbinit directory (/etc/gdb/gdbinit.d on
# Debian): gdb runs it at start, and it loads pyxray (the pyxray-gdb.py
# beside the pyxray_gdb package in @PYXRAY_GDB_DIR@) the first time gdb
# loads a CPython executable or libpython -- a process attached with -p,
# a core's executable, a program started under gdb, or one that loads
# libpython later -- so that nothing is needed in ~/.gdbinit.  In any other
# session it only watches the names of the files gdb loads.
#
# make writes this file from gdb/pyxray-autoload.py with the directory
# filled in; make install and the Debian package install it.  pyxray-gdb(7)
# says more, and what happens beside CPython's own libpython script.


def _pyxray_autoload():
    import os
    import re

    import gdb

    script = os.path.join("@PYXRAY_GDB_DIR@", "pyxray-gdb.py")
    # python3.11, python3.11d, python3.13t, a build tree's ./python;
    # libpython3.11.so.1.0, libpython3.12d.so.
    names = re.compile(r"^(python(\d+(\.\d+)?[a-z]*)?|libpython\d+\.\d+[a-z]*\.so(\.[0-9.]+)?)$")

    def on_new_objfile(event):
        objfile = event.new_objfile
        if getattr(objfile, "owner", None) is not None:
            return  # separate debug info: its owner is looked at
        if not names.match(os.path.basename(objfile.filename or "")):
            return
        gdb.events.new_objfile.disconnect(on_new_objfile)
        try:
            with open(script) as f:
                code = compile(f.read(), script, "exec")
            exec(code, {"__name__": "__pyxray_gdb__", "__file__": script})
        except Exception as e:  # never stop gdb: say it, in one line
            gdb.write("pyxray: not loaded (%s: %s); gdb works without it\n"
                      % (type(e).__name__, e), gdb.STDERR)

    gdb.events.new_objfile.connect(on_new_objfile)


_pyxray_autoload()
del _pyxray_autoload
