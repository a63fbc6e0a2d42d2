"""Native frames as gdb unwinds them, handed to libpyxray.

gdb knows the C stack (with inlined functions, solibs loaded since, and
the user's debug info); libpyxray knows the Python one and places each
Python frame inside the eval-loop frame that runs it.  This module
collects gdb's side.
"""
import collections
import contextlib
import os

import gdb

from pyxray import _lib

MAX_NATIVE_FRAMES = 32768

NativeFrame = collections.namedtuple(
    "NativeFrame", "pc function module file line sp inlined signal_frame activation")


class selected_thread:
    """Select a thread for the duration of a with block, then restore the
    thread and frame the user had selected."""

    def __init__(self, thread):
        self.thread = thread

    def __enter__(self):
        self.saved = gdb.selected_thread()
        try:
            self.saved_frame = gdb.selected_frame() if self.saved else None
        except gdb.error:
            self.saved_frame = None
        if self.thread is not None and self.thread != self.saved:
            self.thread.switch()
        return self.thread

    def __exit__(self, *exc):
        if self.saved is not None and self.saved.is_valid():
            if self.saved != gdb.selected_thread():
                self.saved.switch()
            if self.saved_frame is not None and self.saved_frame.is_valid():
                try:
                    self.saved_frame.select()
                except gdb.error:
                    pass
        return False


def _module(pc):
    try:
        so = gdb.solib_name(pc)
    except gdb.error:
        so = None
    # None: the executable, or nothing mapped; libpyxray tells which.
    return os.path.basename(so) if so else None


def describe(frame, level=0):
    try:
        name = frame.name()
    except gdb.error:
        name = None
    pc = frame.pc()
    sal = frame.find_sal()
    fname = sal.symtab.filename if sal and sal.symtab else None
    line = sal.line if sal and sal.symtab and sal.line else 0
    kind = frame.type()
    try:
        sp = int(frame.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF
    except (gdb.error, ValueError):
        sp = 0
    try:
        older = frame.newer()
        activation = older is None or older.type() == gdb.SIGTRAMP_FRAME
    except gdb.error:
        activation = level == 0
    return NativeFrame(pc, name, _module(pc), fname, line, sp,
                       kind == gdb.INLINE_FRAME, kind == gdb.SIGTRAMP_FRAME, activation)


def unwind(limit=MAX_NATIVE_FRAMES):
    """The selected thread's native frames, innermost first (one per gdb
    frame, so inlined functions count, and frame i is gdb's level i)."""
    out = []
    try:
        frame = gdb.newest_frame()
    except gdb.error:
        return out
    while frame is not None and len(out) < limit:
        out.append(describe(frame, len(out)))
        try:
            frame = frame.older()
        except gdb.error:
            break
    return out


def thread_tid(thread):
    return thread.ptid[1] or thread.ptid[0]


def stacks(threads=None):
    """libpyxray's native stacks for the given gdb threads (default: all of
    them, the selected one first)."""
    if threads is None:
        sel = gdb.selected_thread()
        threads = sorted(gdb.selected_inferior().threads(),
                         key=lambda t: (t != sel, t.num))
    out = []
    for t in threads:
        with selected_thread(t):
            frames = unwind()
            out.append((thread_tid(t), t.name, frames, len(frames) >= MAX_NATIVE_FRAMES))
    return _lib.native_stacks(out)


def source(tid):
    """Program.native_source: the stacks of thread tid (OS thread id), or
    of every thread (the selected one first) for None."""
    if tid:
        thread = gdb_thread_for(tid)
        return stacks([thread] if thread else [])
    return stacks()


def gdb_thread_for(tid):
    for t in gdb.selected_inferior().threads():
        if thread_tid(t) == tid:
            return t
    return None


_gdb_frames_only = []


@contextlib.contextmanager
def gdb_frames():
    """Within it, native frames come from gdb's own unwinding (the frame
    filter maps them to gdb's levels), not from libpyxray's."""
    _gdb_frames_only.append(True)
    try:
        yield
    finally:
        _gdb_frames_only.pop()


def engine_first():
    """Program.native_engine_first for a core: false within gdb_frames()."""
    return not _gdb_frames_only


REGISTER_NAMES = ("rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
                  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip")


def registers(tid=None):
    """Program.native_registers: [(tid, name, [17 registers in DWARF
    order])] of thread tid (OS thread id), or of every thread (the
    selected one first), as gdb has them: libpyxray unwinds from them
    through its own memory reader, without gdb walking every frame.  None
    within gdb_frames(), or when gdb has loaded code since the Program was
    made (libpyxray would not know it): gdb's own frames serve then."""
    from . import session  # session imports this module
    if _gdb_frames_only or session.objfiles_changed():
        return None
    if tid:
        thread = gdb_thread_for(tid)
        threads = [thread] if thread else []
    else:
        sel = gdb.selected_thread()
        threads = sorted(gdb.selected_inferior().threads(),
                         key=lambda t: (t != sel, t.num))
    out = []
    for t in threads:
        with selected_thread(t):
            try:
                frame = gdb.newest_frame()
                regs = [int(frame.read_register(r)) & 0xFFFFFFFFFFFFFFFF
                        for r in REGISTER_NAMES]
            except (gdb.error, ValueError):
                return None  # not this architecture, or no registers: gdb's frames
            out.append((thread_tid(t), t.name, regs))
    return out
