"""What gdb is looking at, and the libpyxray program that reads it.

One Program is kept per inferior and recreated when the inferior changes
(another process attached, another core loaded).  For live processes the
memory cache is dropped before every command, since the process may have
run in between.
"""
import re

import gdb

import pyxray
from pyxray.errors import Error

from . import native

_sessions = {}
_warned = set()
# Inferiors that may have changed since pyxray last read them (they ran,
# or gdb wrote their memory): their caches and indexes are dropped.
_dirty = set()
# The last signal each live inferior stopped with: (signo, lwp), for
# "crashed here" in live processes.
_stop_signals = {}

CRASH_SIGNALS = {"SIGSEGV": 11, "SIGBUS": 7, "SIGILL": 4, "SIGFPE": 8,
                 "SIGABRT": 6, "SIGQUIT": 3, "SIGSYS": 31}


def _core_file():
    """The core file gdb has loaded, or None."""
    inf = gdb.selected_inferior()
    conn = getattr(inf, "connection", None)
    if conn is None or getattr(conn, "type", None) != "core":
        return None
    text = gdb.execute("info target", to_string=True)
    m = re.search(r"core dump file:\s*`(.*?)', file type", text)
    return m.group(1) if m else None


def _debuginfo_path():
    dirs = gdb.parameter("debug-file-directory") or ""
    # libdwfl's syntax: ":.debug:DIR" looks beside the file, in .debug/
    # and in DIR (including DIR/.build-id).
    return ":.debug:" + dirs if dirs else None


def _file_roots():
    """gdb's sysroot and solib-search-path, for the files a core names
    ("target:", gdb's default, means the files are where they say)."""
    root = gdb.parameter("sysroot") or ""
    if root.startswith("target:"):
        root = root[len("target:"):]
    search = gdb.parameter("solib-search-path") or ""
    return (root or None, search or None)


def _key():
    inf = gdb.selected_inferior()
    core = _core_file()
    exe = gdb.current_progspace().filename
    return (inf.num, inf.pid, core, exe, _debuginfo_path()) + _file_roots()


def _requested_pid():
    """The process gdb was started to attach to (gdb -p PID), or None."""
    try:
        with open("/proc/self/cmdline", "rb") as f:
            args = f.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return None
    for i, a in enumerate(args):
        if a in ("-p", "-pid", "--pid") and i + 1 < len(args) and args[i + 1].isdigit():
            return int(args[i + 1])
        if a.startswith(("-p=", "-pid=", "--pid=")) and a.partition("=")[2].isdigit():
            return int(a.partition("=")[2])
    return None


def _not_attached(pid):
    """gdb -p PID did not attach: the engine says why (permissions)."""
    try:
        pyxray.attach(pid, block=False).close()
    except Error as e:
        if e.code in ("permission", "not-found"):
            return Error("gdb is not attached to process %d: %s" % (pid, e), e.code)
    return Error("gdb is not attached to process %d (its attach failed, or it "
                 "was detached): see gdb's message above, or `attach %d`" % (pid, pid),
                 "no-target")


def program():
    """The pyxray.Program for the selected inferior; raises pyxray.Error."""
    inf = gdb.selected_inferior()
    if not inf.pid and _requested_pid():
        raise _not_attached(_requested_pid())
    if not inf.pid:
        raise Error("no process or core file: attach with "
                    "`gdb -p PID` or load a core with `gdb PYTHON CORE`",
                    "no-target")
    key = _key()
    prog = _sessions.get(key)
    if prog is None:
        for k in [k for k in _sessions if k[0] == key[0]]:
            _sessions.pop(k).close()
        _, pid, core, exe, debuginfo, sysroot, search = key
        conn = getattr(inf, "connection", None)
        if core is None and conn is not None and conn.type not in ("native",):
            raise Error("pyxray reads live processes on this machine and core files; "
                        "the '%s' target is not supported" % conn.type,
                        "unsupported-target")
        if core:
            prog = pyxray.open_core(core, exe=exe, debuginfo_path=debuginfo,
                                     sysroot=sysroot, lib_path=search)
        else:
            # gdb has the process stopped: attach() sees gdb as its tracer
            # and leaves the pausing to it.
            prog = pyxray.attach(pid, debuginfo_path=debuginfo)
        # The C frames as gdb unwinds them (inlined functions, the user's
        # debug info), not elfutils'.
        prog.native_source = native.source
        _sessions[key] = prog
        for w in prog.warnings:
            if (key, w) not in _warned:
                _warned.add((key, w))
                gdb.write("pyxray: warning: %s\n" % w, gdb.STDERR)
    elif is_live(key) and inf.num in _dirty:
        prog.flush()
    _dirty.discard(inf.num)
    if is_live(key):
        sig = _stop_signals.get(inf.num)
        if sig:
            prog.set_crash(sig[0], sig[1], sig[2])
        else:
            prog.set_crash(0, 0)
    return prog


def is_core():
    """Is gdb looking at a core file?"""
    return _core_file() is not None


def is_live(key):
    return key[2] is None


def _on_change(event):
    inf = getattr(event, "inferior_thread", None)
    inf = inf.inferior if inf is not None else gdb.selected_inferior()
    _dirty.add(inf.num)


def _on_stop(event):
    inf = gdb.selected_inferior()
    sig = getattr(event, "stop_signal", None)
    if sig in CRASH_SIGNALS:
        thread = gdb.selected_thread()
        lwp = thread.ptid[1] if thread else 0
        address = None
        if sig in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE"):
            try:
                address = int(gdb.parse_and_eval("$_siginfo._sifields._sigfault.si_addr")) \
                    & 0xFFFFFFFFFFFFFFFF
            except gdb.error:
                address = None
        _stop_signals[inf.num] = (CRASH_SIGNALS[sig], lwp, address)
    else:
        _stop_signals.pop(inf.num, None)


def _on_exit(event):
    inf = getattr(event, "inferior", None) or gdb.selected_inferior()
    for k in [k for k in _sessions if k[0] == inf.num]:
        _sessions.pop(k).close()
    _stop_signals.pop(inf.num, None)


def install_hooks():
    gdb.events.stop.connect(_on_stop)
    gdb.events.exited.connect(_on_exit)
    gdb.events.cont.connect(_on_change)
    gdb.events.memory_changed.connect(lambda e: _dirty.add(gdb.selected_inferior().num))
    gdb.events.register_changed.connect(lambda e: _dirty.add(gdb.selected_inferior().num))
