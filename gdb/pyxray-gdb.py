# pyxray: interpreter-aware debugging of CPython processes and core files.
#
# Load it into gdb with
#     source /path/to/pyxray/gdb/pyxray-gdb.py
# (or, after `make install`, `source PREFIX/share/pyxray/pyxray-gdb.py` in
# ~/.gdbinit).  It adds the pyxray commands (`help pyxray` lists them:
# py-stack, py-object, py-triage, py-break ...), the Python frames in `bt`
# and `set pyxray ...`; docs/ has a page per command.  (The file's name has
# a dash so that it is never imported in place of the pyxray package beside
# it.)
import os
import sys

import gdb

# The file being executed (not __file__, which a script that sources this
# one leaves pointing at itself).
_here = os.path.dirname(os.path.abspath(os.path.realpath(sys._getframe().f_code.co_filename)))
if _here not in sys.path:
    sys.path.insert(0, _here)

import pyxray_gdb  # noqa: E402

pyxray_gdb.register()
