"""Native frames, as gdb unwinds them, matched with Python frames.

gdb knows the C stack; libpyxray knows the Python one.  They meet at the
eval loop: each native _PyEval_EvalFrameDefault frame runs some Python
frames.  Up to 3.10 it runs exactly one.  From 3.11 a Python-to-Python
call stays in the same C call, so one native frame runs a run of Python
frames: the one C entered it with (marked "entered_from_c") and the ones
called from there.  The k-th eval frame from the top of the C stack runs
the k-th such group from the top of the Python stack.
"""
import bisect
import collections
import os

import gdb


MAX_NATIVE_FRAMES = 4096

NativeFrame = collections.namedtuple(
    "NativeFrame", "level function pc module file line is_eval frame")


def is_eval_name(name):
    return bool(name) and (name == "_PyEval_EvalFrameDefault"
                           or name.startswith("_PyEval_EvalFrameDefault."))


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


class ModuleMap:
    """Which ELF module an address is in, from libpyxray's module list."""

    def __init__(self, prog):
        mods = []
        for m in prog.modules():
            mods.append((int(m["start"], 16), int(m["end"], 16), m["name"]))
        mods.sort()
        self.starts = [m[0] for m in mods]
        self.mods = mods

    def name(self, pc):
        # gdb follows dlopen (extension modules come and go); libpyxray's
        # list, made when pyxray first looked, also knows the executable.
        try:
            so = gdb.solib_name(pc)
        except gdb.error:
            so = None
        if so:
            return os.path.basename(so)
        i = bisect.bisect_right(self.starts, pc) - 1
        if i >= 0 and self.mods[i][0] <= pc < self.mods[i][1]:
            return os.path.basename(self.mods[i][2]) or None
        return None


_module_maps = {}


def module_map(prog):
    m = _module_maps.get(id(prog))
    if m is None or m[0] is not prog:
        m = (prog, ModuleMap(prog))
        _module_maps.clear()
        _module_maps[id(prog)] = m
    return m[1]


def describe(frame, level, modules):
    try:
        name = frame.name()
    except gdb.error:
        name = None
    pc = frame.pc()
    sal = frame.find_sal()
    fname = sal.symtab.filename if sal and sal.symtab else None
    line = sal.line if sal and sal.symtab and sal.line else None
    return NativeFrame(level, name, pc, modules.name(pc) if modules else None,
                       fname, line, is_eval_name(name), frame)


def unwind(modules=None, limit=MAX_NATIVE_FRAMES):
    """The selected thread's native frames, innermost first."""
    out = []
    try:
        frame = gdb.newest_frame()
    except gdb.error:
        return out
    while frame is not None and len(out) < limit:
        out.append(describe(frame, len(out), modules))
        try:
            frame = frame.older()
        except gdb.error:
            break
    return out


def python_groups(frames_outermost_first, minor):
    """Split a thread's Python frames (outermost first, as py-stack gives
    them) into the runs each eval-loop C call executes; returns the groups
    innermost first, each innermost frame first."""
    groups = []
    for f in frames_outermost_first:
        if not groups or minor < 11 or f.get("entered_from_c"):
            groups.append([])
        groups[-1].append(f)
    groups.reverse()
    for g in groups:
        g.reverse()
    return groups


def match(native, groups):
    """Map native eval frames to Python groups: {native level: group}.

    Counted from the top of both stacks.  When the C stack has more eval
    frames than there are groups, the innermost ones have not linked
    their Python frame yet (a stop right at the eval loop's entry), so
    the count starts from the bottom instead."""
    evals = [f.level for f in native if f.is_eval]
    if len(evals) > len(groups):
        evals = evals[len(evals) - len(groups):]
    return dict(zip(evals, groups))


def python_version_minor(data):
    try:
        return int(data["python_version"].split(".")[1])
    except (KeyError, IndexError, ValueError):
        return 11


def gdb_thread_for(tid):
    inf = gdb.selected_inferior()
    for t in inf.threads():
        if t.ptid[1] == tid or (t.ptid[1] == 0 and t.ptid[0] == tid):
            return t
    return None


def merged_stack(prog, minor, python_frames, thread, native=None):
    """One thread's native frames with its Python frames (py-stack's
    frames, outermost first) placed inside the eval frames that run them.

    Returns a list, innermost first, of ("native", NativeFrame) and
    ("python", frame dict).  Python frames that no unwound eval frame
    accounts for (gdb could not unwind that far) come last."""
    if native is None:
        with selected_thread(thread):
            native = unwind(module_map(prog))
    groups = python_groups(python_frames, minor)
    matched = match(native, groups)
    out = []
    for nf in native:
        for pf in matched.get(nf.level, ()):
            out.append(("python", pf))
        out.append(("native", nf))
    placed = {id(g) for g in matched.values()}
    for g in groups:
        if id(g) not in placed:
            out.extend(("python", pf) for pf in g)
    return out
