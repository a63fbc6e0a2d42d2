"""py-break: stop when Python code enters a function or reaches a line,
at no cost until it does.

How it works (docs/py-break.md says more):

* Watching the code.  The eval loop reads a code object's instructions
  as it runs them: the first one a function runs (RESUME, from 3.11; its
  first instruction before) is read when, and only when, the function
  starts, and the first instruction of a line when the line is reached.
  pyxray finds the code objects a breakpoint names (from the functions,
  generators and running frames of the process, and the code objects
  among their constants: the functions a module or class will define)
  and puts a hardware access watchpoint on those two bytes.  The process
  runs at full speed; the CPU traps only when that code runs, and pyxray
  checks that the thread's innermost frame does run it.
* Code that does not exist yet.  A function of a module not imported yet
  has no code object: a breakpoint on PyEval_EvalCode, which every
  module's body (and exec() and eval()) goes through, looks among the
  constants of the code about to run and watches what it finds.  That is
  one short stop per module imported, not per call.
* Lines.  Up to 3.10 the eval loop writes the frame's f_lasti before
  reading an instruction, so the trap tells the line; from 3.11 it writes
  the frame's instruction pointer after, so a one-shot watchpoint on it
  stops the program as the line starts.
* When the watchpoints do not fit.  x86-64 has four debug registers
  (pyxray leaves the ones the user's watchpoints take, and one for lines
  and stepping).  A breakpoint whose code objects need more falls back to
  the old way, said when it happens: gdb breakpoints where every Python
  function starts (the RESUME handlers of the eval loop from 3.11, the
  eval function up to 3.10), where pyxray reads which code starts; every
  Python call in the process then costs a short stop.

The breakpoints and watchpoints are gdb's own (internal ones, not in
`info breakpoints`).  py-next, py-step and py-finish (stepping.py) use
the same pieces.
"""
import linecache
import os

import gdb

from pyxray import options
from pyxray.errors import Error as PyxrayError
from pyxray.errors import UsageError

from . import session
from .command import PyxrayCommand, complete, split

# x86-64 and aarch64 cores have four hardware watchpoint registers.
DEBUG_REGISTERS = 4
# One is kept free for line follow-ups and stepping.
RESERVED_REGISTERS = 1
# The System V ABI's argument registers, per architecture.
ARG_REGISTERS = {"i386:x86-64": ("rdi", "rsi", "rdx"),
                 "aarch64": ("x0", "x1", "x2")}

AFTER_STOP = ("python __import__(\"pyxray_gdb.breaks\").breaks.after_stop()\n"
              "if $_pyxray_resume\n  continue\nend")

_breakpoints = []     # PyBreakpoint, in number order
_next_number = [1]
_entries = []         # EntryBreakpoint: the fallback, shared by every py-break
_entry_kind = [None]  # "resume" / "eval-function"
_frame_argument = [None]
_eval_code = []       # EvalCodeHook (0 or 1)
_watches = []         # LineWatch (line follow-ups)
_pending = []         # what the last stop asks the stop commands to do
_errors = set()
_said = set()


def _resume_var(on):
    gdb.set_convenience_variable("_pyxray_resume", 1 if on else 0)


def _say_error_once(e):
    """Report a problem met while the program runs, a few times at most:
    it would otherwise repeat at every Python call."""
    text = str(e)
    if text in _errors or len(_errors) > 3:
        return
    _errors.add(text)
    more = " (further py-break errors are not shown)" if len(_errors) > 3 else ""
    gdb.write("pyxray: py-break: %s%s\n" % (text, more), gdb.STDERR)


def _say_once(text):
    if text not in _said:
        _said.add(text)
        gdb.write("pyxray: %s\n" % text, gdb.STDERR)


# ---- debug registers --------------------------------------------------------------

_HW_TYPES = tuple(t for t in (getattr(gdb, n, None) for n in (
    "BP_HARDWARE_WATCHPOINT", "BP_READ_WATCHPOINT", "BP_ACCESS_WATCHPOINT",
    "BP_HARDWARE_BREAKPOINT")) if t is not None)

# Every hardware watchpoint pyxray holds (code watches, line follow-ups,
# stepping), whatever module made it.
_hardware = []


def registers_in_use():
    """Debug registers the user's own watchpoints and hardware
    breakpoints take, and pyxray's."""
    user = 0
    for b in gdb.breakpoints() or ():
        # gdb lists internal breakpoints too (negative numbers): pyxray's
        # own are counted below.
        if b.is_valid() and b.number > 0 and b.enabled and b.type in _HW_TYPES:
            user += 1
    return user + len([w for w in _hardware if w.is_valid()])


def free_registers():
    return DEBUG_REGISTERS - registers_in_use()


def hardware_watch(cls, *args, **kwargs):
    """Make a watchpoint of class cls, or None when gdb cannot."""
    try:
        w = cls(*args, **kwargs)
    except (gdb.error, RuntimeError) as e:
        _say_error_once(e)
        return None
    if w.type == gdb.BP_WATCHPOINT:
        # A software watchpoint: gdb would single-step the whole program.
        w.delete()
        _say_error_once(PyxrayError("gdb cannot use hardware watchpoints here (set "
                                    "can-use-hw-watchpoints 1)"))
        return None
    _hardware.append(w)
    return w


def drop_watch(w):
    if w in _hardware:
        _hardware.remove(w)
    if w.is_valid():
        w.delete()


# ---- breakpoints --------------------------------------------------------------------

class PyBreakpoint:
    """One py-break: a function name, or a file and a line."""

    def __init__(self, spec):
        self.number = None    # given when it is added
        self.spec = spec
        self.hits = 0
        self.enabled = True
        self.decisions = {}   # code identity -> does it match (fallback mode)
        self.function = None
        self.file = None
        self.line = None
        self.watches = {}     # code identity -> [CodeWatch]
        self.fallback = False  # every Python call is checked
        head, sep, tail = spec.rpartition(":")
        if sep and tail.isdigit():
            self.file, self.line = head, int(tail)
            if not self.file or self.line <= 0:
                raise UsageError("'%s' is not FILE:LINE" % spec)
        else:
            self.function = spec

    @property
    def kind(self):
        return "line" if self.line else "function"

    def describe(self):
        if self.line:
            return "line %s:%d" % (self.file, self.line)
        return "function %s" % self.function

    def how(self):
        """How it is armed, for py-break's list."""
        if self.fallback:
            return "checks every Python call"
        n = len(self.watches)
        if n:
            return "watching %d code object%s" % (n, "" if n == 1 else "s")
        return "waiting for its code to be loaded"

    def code_filter(self):
        """What pyx_code_find_json filters by."""
        if self.line:
            return dict(file=self.file, line=self.line)
        return dict(name=self.function.rsplit(".", 1)[-1])

    def accepts(self, c):
        """Is this code object (a code_find entry) one this breakpoint names?"""
        if self.line:
            return file_matches(c["file"], self.file) and bool(c["line_addresses"])
        f = self.function
        return c["function"] == f or c["function"].endswith("." + f) or \
            c["function"].rsplit(".", 1)[-1] == f

    def matches(self, prog, info):
        """Fallback mode: does the code object the frame runs belong to
        this breakpoint?"""
        # Code objects die and others take their address (imports make
        # and drop many): remember decisions by what identifies one.
        key = (info.code, info.code_name, info.code_file, info.first_line)
        if key in self.decisions:
            return self.decisions[key]
        try:
            c = prog.code(info.code)
        except PyxrayError:
            return False
        if self.line:
            ok = file_matches(c["file"], self.file) and self.line in c["lines"]
        else:
            f = self.function
            ok = (c["function"] == f or c["name"] == f
                  or c["function"].endswith("." + f))
        if len(self.decisions) > 100000:
            self.decisions.clear()
        self.decisions[key] = ok
        return ok


def file_matches(path, wanted):
    """FILE as the user typed it: a path ending (app.py, pkg/app.py) or a
    whole path; co_filename may itself be relative to where Python ran."""
    if not path:
        return False
    if wanted.startswith("./"):
        wanted = wanted[2:]
    if os.path.isabs(wanted):
        if os.path.isabs(path):
            return os.path.normpath(path) == os.path.normpath(wanted)
        return wanted.endswith("/" + os.path.normpath(path))
    return path == wanted or path.endswith("/" + wanted)


def code_identity(c):
    return (int(c["code"], 16), c["name_object"], c["file_object"], c["first_line"])


_armed_program = [None]


def _fresh_program():
    """The program, with its memory cache dropped: between two hits the
    process ran without gdb reporting a stop (no event marks it).  The
    one the breakpoints were armed for, without asking gdb again which
    target it is (the breakpoints go when the process does)."""
    prog = _armed_program[0]
    if prog is None or not prog.is_open():
        prog = session.program()
        _armed_program[0] = prog
    prog.flush()
    return prog


def _thread_tid():
    t = gdb.selected_thread()
    return (t.ptid[1] or t.ptid[0]) if t else 0


def argument_register(n):
    arch = gdb.selected_frame().architecture().name()
    regs = ARG_REGISTERS.get(arch)
    if not regs:
        raise PyxrayError("py-break reads function arguments from the argument registers, "
                          "known for x86-64 and aarch64, not %s" % arch)
    return int(gdb.selected_frame().read_register(regs[n])) & 0xFFFFFFFFFFFFFFFF


# ---- watching code objects --------------------------------------------------------

class CodeWatch(gdb.Breakpoint):
    """A hardware access watchpoint on the instruction a code object
    starts with (kind "entry") or a line starts with (kind "line")."""

    def __init__(self, bp, c, address, kind):
        super().__init__("*(unsigned short *) 0x%x" % address, gdb.BP_WATCHPOINT,
                         gdb.WP_ACCESS, internal=True)
        self.silent = True
        self.commands = AFTER_STOP
        self.owner = bp
        self.code = int(c["code"], 16)
        self.identity = code_identity(c)
        self.address = address
        self.watch_kind = kind

    def stop(self):
        try:
            return self._check()
        except Exception as e:  # never stop the program for pyxray's sake
            _say_error_once(e)
            return False

    def _check(self):
        bp = self.owner
        if not bp.enabled:
            return False
        prog = _fresh_program()
        tid = _thread_tid()
        try:
            info = prog.thread_frame(tid)
        except PyxrayError:
            info = None
        if (info is None or info.code != self.code) and prog.python_version >= (3, 11):
            # The call may not have made its frame the thread's current
            # one yet: look at the frame on top of the thread's stack.
            try:
                info = prog.pushed_frame(tid, self.code)
            except PyxrayError:
                pass
        if info is None or info.code != self.code:
            # Something else read these bytes (the specializer, dis, a
            # code object's copy), or the code object is gone and its
            # memory serves another: then stop watching it.
            if not self._alive(prog):
                _pending[:] = [("unwatch", self)]
                return True
            return False
        if _following(info):
            return False    # the eval loop reading the same instruction again
        if self.watch_kind == "entry":
            if not _entering(prog, info):
                return False
            # Stop once the frame is past its first instruction (its
            # RESUME from 3.11): in its body, and past the eval loop's
            # reads of that instruction.
            _pending[:] = [("watch", bp, info, tid, None)]
            return True
        # A line: up to 3.10 f_lasti says it already; from 3.11 the frame
        # writes its instruction pointer once the instruction starts.
        if info.started and info.line == bp.line:
            _pending[:] = [("report", [bp], tid, bp.line)]
        else:
            _pending[:] = [("follow", bp, info, tid, bp.line)]
        return True

    def _alive(self, prog):
        try:
            c = prog.code(self.code)
        except PyxrayError:
            return False
        return c["first_line"] == self.identity[3]


def _entering(prog, info):
    """Is the frame starting its code now, not reading its first
    instruction again?  From 3.11 the first instruction is a RESUME: 3.11
    and 3.12 have not started it yet (prev_instr is before it), 3.13 and
    later point at it until they are past it.  Up to 3.10 f_lasti is -1
    or 0 (the eval loop sets it before or after reading, depending on the
    version and path), and the first instruction can also be a loop's: a
    frame that has bound a local of its own is past its start."""
    v = prog.python_version
    if v >= (3, 13):
        return info.instr <= info.resume
    if v >= (3, 11):
        return info.instr < info.resume
    if not info.started:
        return True     # read before f_lasti is set (3.10, the eval breaker's peek)
    if info.instr != 0:
        return False
    try:
        doc = prog.frame(info.frame, depth=1, items=1, string=1)
    except PyxrayError:
        return True
    return not any(l.get("kind") in ("local", "cell") for l in doc["locals"])


def _following(info):
    """Is a line watch already waiting for this frame to move on?"""
    return any(w.is_valid() and w.frame == info.frame and w.code == info.code
               for w in _watches)


class EvalCodeHook(gdb.Breakpoint):
    """PyEval_EvalCode: a module's body (or exec(), eval()) is about to
    run; its code's constants hold the code of what it defines."""

    def __init__(self, address):
        super().__init__("*0x%x" % address, gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.commands = AFTER_STOP

    def stop(self):
        try:
            return self._check()
        except Exception as e:
            _say_error_once(e)
            return False

    def _check(self):
        wanted = [b for b in _breakpoints if b.enabled and not b.fallback]
        if not wanted:
            return False
        prog = _fresh_program()
        root = argument_register(0)
        found = []
        for b in wanted:
            try:
                codes = prog.code_find(root=root, **b.code_filter())
            except PyxrayError:
                continue
            new = [c for c in codes if b.accepts(c) and code_identity(c) not in b.watches]
            if new:
                found.append((b, new))
        if not found:
            return False
        _pending[:] = [("arm", found)]
        return True


def _watch_codes(bp, codes):
    """Watch the code objects codes (code_find entries) for bp, or turn bp
    to the fallback when the debug registers do not suffice."""
    for c in codes:
        key = code_identity(c)
        if key in bp.watches:
            continue
        if bp.line:
            addresses = [int(a, 16) for a in c["line_addresses"]]
            kind = "line"
        else:
            addresses = [int(c["entry"], 16)]
            kind = "entry"
        if free_registers() - RESERVED_REGISTERS < len(addresses):
            _to_fallback(bp, "%s: more code objects than free debug registers (%d of %d "
                         "are in use)" % (bp.describe(), registers_in_use(),
                                          DEBUG_REGISTERS))
            return
        made = []
        for a in addresses:
            w = hardware_watch(CodeWatch, bp, c, a, kind)
            if w is None:
                for m in made:
                    drop_watch(m)
                _to_fallback(bp, "%s: gdb could not set a hardware watchpoint" % bp.describe())
                return
            made.append(w)
        bp.watches[key] = made


def _unwatch(bp):
    for ws in bp.watches.values():
        for w in ws:
            drop_watch(w)
    bp.watches.clear()


def _to_fallback(bp, why):
    _unwatch(bp)
    bp.fallback = True
    _say_once("py-break %d: %s; it now checks every Python call (the program runs "
              "slower until it is deleted or disabled)" % (bp.number or 0, why))
    _arm_entries(_armed_program[0] or session.program())


def _arm_code(prog, bp):
    """Watch what bp names among the code objects the process has now."""
    if bp.fallback or not bp.enabled:
        return
    try:
        codes = prog.code_find(**bp.code_filter())
    except PyxrayError:
        return  # not started yet: the EvalCode hook finds them
    _watch_codes(bp, [c for c in codes if bp.accepts(c)])


# ---- the fallback: every Python call --------------------------------------------------

class EntryBreakpoint(gdb.Breakpoint):
    """Where the eval loop starts (or resumes) a Python function."""

    def __init__(self, address):
        super().__init__("*0x%x" % address, gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.commands = AFTER_STOP

    def stop(self):
        try:
            return _on_entry()
        except Exception as e:  # never stop the program for pyxray's sake
            _say_error_once(e)
            return False


def _on_entry():
    active = [b for b in _breakpoints if b.enabled and b.fallback]
    if not active:
        return False
    prog = _fresh_program()
    tid = _thread_tid()
    if _entry_kind[0] == "eval-function":
        info = prog.frame_info(argument_register(_frame_argument[0]))
    else:
        info = prog.thread_frame(tid)
    hits = [b for b in active if b.matches(prog, info)]
    if _entry_kind[0] == "resume" and _following(info):
        hits = []
    if _entry_kind[0] == "resume" and not _entering(prog, info):
        # A generator resuming, not a function starting.
        hits = [b for b in hits if b.kind == "line"]
    if not hits:
        return False
    _pending.clear()
    report = []
    for b in hits:
        if b.kind == "function" or _entry_kind[0] == "eval-function":
            # Stop at the first instruction of the body (up to 3.10 the
            # frame is not even linked to its thread at the eval loop's
            # entry), or at the line: watch the frame.
            _pending.append(("watch", b, info, tid, b.line))
        elif b.line == info.line and not info.started:
            report.append(b)  # the def line: stop as the function starts
        else:
            _pending.append(("watch", b, info, tid, b.line))
    if report:
        _pending.append(("report", report, tid, None))
    return True


class LineWatch(gdb.Breakpoint):
    """A watchpoint on one frame's instruction pointer: until the frame
    reaches a line (target), starts (target None), or, once, at its next
    instruction (once: a line whose first instruction was just read)."""

    def __init__(self, bp, info, tid, line, once=False):
        expr = "*(%s *) 0x%x" % ("long" if info.instr_size == 8 else "int",
                                 info.instr_address)
        super().__init__(expr, gdb.BP_WATCHPOINT, gdb.WP_WRITE, internal=True)
        self.silent = True
        self.commands = AFTER_STOP
        self.owner = bp
        self.frame = info.frame
        self.code = info.code
        self.tid = tid
        self.target = line     # None: stop when the frame starts
        self.once = once
        self.last = info.line if info.started else None

    def stop(self):
        try:
            return self._check()
        except Exception as e:
            _say_error_once(e)
            return False

    def _check(self):
        prog = _fresh_program()
        try:
            info = prog.frame_info(self.frame)
            stale = info.code != self.code or _thread_tid() != self.tid
        except PyxrayError:
            stale = True
        if stale:
            # The frame is gone and something else wrote there: drop the
            # watchpoint (which a stop method may not do itself).
            _pending.clear()
            _pending.append(("unwatch", self))
            return True
        if not self.owner.enabled:
            return False
        if self.once:
            _pending.clear()
            _pending.append(("unwatch", self))
            _pending.append(("report", [self.owner], self.tid, self.target))
            return True
        if self.target is None:
            # Past its first instruction: from 3.11 its RESUME, up to 3.10
            # offset 0 (f_lasti 0).
            if not info.started or (info.resume == 0 and info.instr == 0):
                return False
            _pending.clear()
            _pending.append(("unwatch", self))
            _pending.append(("report", [self.owner], self.tid, None))
            return True
        last, self.last = self.last, info.line
        if info.line != self.target or last == self.target:
            return False
        _pending.clear()
        _pending.append(("report", [self.owner], self.tid, None))
        return True


_OWN = (EntryBreakpoint, LineWatch, CodeWatch, EvalCodeHook)
_foreign_stop = [False]


def on_stop(event):
    """Remember whether something besides pyxray (a user's breakpoint at
    the same place) stopped the program: then it must stay stopped."""
    bps = getattr(event, "breakpoints", None) or ()
    _foreign_stop[0] = any(not isinstance(b, _OWN) for b in bps)


def after_stop():
    """Run by the internal breakpoints' commands after a stop: do what the
    stop method decided, and say whether to continue."""
    resume = not _foreign_stop[0]
    actions, _pending[:] = list(_pending), []
    for act in actions:
        try:
            if act[0] == "watch":
                _, bp, info, tid, line = act
                _add_line_watch(bp, info, tid, line)
            elif act[0] == "follow":
                _, bp, info, tid, line = act
                _add_line_watch(bp, info, tid, line, once=True)
            elif act[0] == "unwatch":
                w = act[1]
                if isinstance(w, CodeWatch):
                    _forget_code_watch(w)
                else:
                    _delete_line_watch(w)
            elif act[0] == "arm":
                for bp, codes in act[1]:
                    _watch_codes(bp, codes)
            elif act[0] == "report":
                _, bps, tid, line = act
                for b in bps:
                    b.hits += 1
                _report(bps, tid, line)
                resume = False
        except Exception as e:
            _say_error_once(e)
    _resume_var(resume)


def _forget_code_watch(w):
    bp = w.owner
    for key, ws in list(bp.watches.items()):
        if w in ws:
            for x in ws:
                drop_watch(x)
            del bp.watches[key]
    drop_watch(w)
    # The code may live again elsewhere (a module reloaded).
    try:
        _arm_code(_fresh_program(), bp)
    except PyxrayError:
        pass


def _add_line_watch(bp, info, tid, line, once=False):
    for w in _watches:
        if w.is_valid() and w.frame == info.frame and w.owner is bp:
            w.code, w.tid, w.target, w.once = info.code, tid, line, once
            w.last = info.line if info.started else None
            return
    while _watches and free_registers() < 1:
        _delete_line_watch(_watches[0])
    if free_registers() < 1:
        _say_error_once(PyxrayError("no debug register is free to stop at line %s of %s: "
                                    "delete a watchpoint" % (line, bp.describe())))
        return
    w = hardware_watch(LineWatch, bp, info, tid, line, once)
    if w is not None:
        _watches.append(w)


def _delete_line_watch(w):
    if w in _watches:
        _watches.remove(w)
    drop_watch(w)


def _report(bps, tid, line=None):
    prog = session.program()
    data = prog.stack(thread=tid)
    frames = data["threads"][0]["frames"] if data["threads"] else []
    if not frames:
        gdb.write("Python breakpoint %s (no Python frame?)\n"
                  % ", ".join(str(b.number) for b in bps))
        return
    f = frames[-1]
    line = line or f["line"]
    args = ""
    if any(b.kind == "function" for b in bps):
        try:
            doc = prog.frame(f["address"], depth=2, items=8, string=80)
            args = " (%s)" % ", ".join("%s=%s" % (l["name"], l["repr"]) for l in doc["locals"]
                                       if l.get("kind") == "argument")
        except PyxrayError:
            args = " (...)"
    gdb.write("\nPython breakpoint %s, %s%s at %s:%s\n"
              % (", ".join(str(b.number) for b in bps), f["function"], args,
                 f["file"], line))
    text = linecache.getline(f["file"], line) if line > 0 else ""
    if text:
        gdb.write("%d\t%s" % (line, text if text.endswith("\n") else text + "\n"))


def is_own_stop(event):
    """Did one of py-break's internal breakpoints cause this stop?"""
    bps = getattr(event, "breakpoints", None) or ()
    return any(isinstance(b, _OWN) for b in bps)


# ---- arming --------------------------------------------------------------------------

def _entry_points(prog):
    ep = prog.entry_points()
    _entry_kind[0] = ep["kind"]
    _frame_argument[0] = ep["frame_argument"]
    return ep


def _arm_entries(prog):
    """The fallback's breakpoints, while a breakpoint needs them."""
    if _entries or not any(b.enabled and b.fallback for b in _breakpoints):
        return
    ep = _entry_points(prog)
    for a in ep["addresses"]:
        _entries.append(EntryBreakpoint(int(a, 16)))


def _disarm_entries():
    for e in _entries:
        if e.is_valid():
            e.delete()
    _entries.clear()


def _arm(prog):
    """Arm every enabled breakpoint: the EvalCode hook, the watches, and
    the fallback where needed."""
    _armed_program[0] = prog
    if not any(b.enabled for b in _breakpoints):
        _disarm()
        return
    ep = _entry_points(prog)
    if not _eval_code and ep.get("eval_code"):
        _eval_code.append(EvalCodeHook(int(ep["eval_code"], 16)))
    for b in _breakpoints:
        if b.enabled and not b.fallback and not b.watches:
            if not ep.get("eval_code") and not _code_exists(prog, b):
                _to_fallback(b, "this interpreter has no PyEval_EvalCode to see modules load")
                continue
            _arm_code(prog, b)
        elif not b.enabled:
            _unwatch(b)
    if any(b.enabled and b.fallback for b in _breakpoints):
        _arm_entries(prog)
    else:
        _disarm_entries()


def _code_exists(prog, bp):
    try:
        return any(bp.accepts(c) for c in prog.code_find(**bp.code_filter()))
    except PyxrayError:
        return False


def _disarm():
    _armed_program[0] = None
    _disarm_entries()
    for h in _eval_code:
        if h.is_valid():
            h.delete()
    _eval_code.clear()
    for b in _breakpoints:
        _unwatch(b)
    for w in list(_watches):
        _delete_line_watch(w)


def on_exit(event):
    if _entries or _watches or _eval_code or any(b.watches for b in _breakpoints):
        _disarm()
        for b in _breakpoints:
            b.fallback = False
        if _breakpoints:
            gdb.write("pyxray: Python breakpoints are pending until the program "
                      "runs again\n")


def on_new_objfile(event):
    """Arm pending Python breakpoints once the interpreter is loaded in a
    running process (`py-break` before `run`, or a restart)."""
    if not _breakpoints or _eval_code or _entries or not gdb.selected_inferior().pid:
        return
    if session.is_core():
        return
    try:
        _arm(session.program())
    except PyxrayError as e:
        # Missing symbols will not come with the next library: say so.
        # Anything else (the interpreter not loaded or relocated yet):
        # try again at the next objfile.
        if e.code == "no-debug-info":
            _say_error_once(e)
    except Exception:
        pass


def format_list():
    if not _breakpoints:
        return "No Python breakpoints.\n"
    out = ["Num  Enb  Hits  What"]
    live = bool(gdb.selected_inferior().pid) and not session.is_core()
    for b in _breakpoints:
        how = " [%s]" % b.how() if live and b.enabled else ""
        out.append("%-4d %-4s %-5d %s%s" % (b.number, "y" if b.enabled else "n", b.hits,
                                            b.describe(), how))
    return "\n".join(out) + "\n"


class PyBreak(PyxrayCommand):
    """`pyxray break`, also known as py-break (the shared table's "break")."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.display_name = cmd.gdb_name
        self.__doc__ = options.gdb_doc(cmd)
        super().__init__("pyxray " + cmd.name, gdb.COMMAND_BREAKPOINTS)

    def complete(self, text, word):
        return complete(self.cmd, text, word)

    def run(self, arg, from_tty):
        argv = split(arg)
        if len([w for w in argv if not w.startswith("-")]) > 1 and \
                not any(w.startswith("--") for w in argv):
            raise UsageError("one FUNCTION or FILE:LINE at a time")
        args = options.parse_gdb(self.cmd, argv)
        if args.delete is not None:
            return self.delete(args.delete)
        for key, on in (("disable", False), ("enable", True)):
            if getattr(args, key) is not None:
                bp = self.find(getattr(args, key))
                bp.enabled = on
                if not on:
                    _unwatch(bp)
                    bp.fallback = False
                if gdb.selected_inferior().pid and not session.is_core():
                    _arm(session.program())
                return
        rest = args.location
        if not rest:
            gdb.write(format_list())
            return
        if session.is_core():
            raise PyxrayError("a core file does not run: py-break needs a live process")
        bp = PyBreakpoint(rest)
        pending = ""
        bp.number = _next_number[0]
        _next_number[0] += 1
        _breakpoints.append(bp)
        if gdb.selected_inferior().pid:
            try:
                _arm(session.program())
            except BaseException:
                _breakpoints.remove(bp)
                raise
        else:
            pending = " (pending: armed when the program runs)"
        gdb.write("Python breakpoint %d: %s%s\n" % (bp.number, bp.describe(), pending))

    def find(self, number):
        for b in _breakpoints:
            if b.number == number:
                return b
        raise UsageError("no Python breakpoint %d" % number)

    def delete(self, n):
        """Delete breakpoint n (all of them for 0)."""
        gone = [self.find(n)] if n else list(_breakpoints)
        for b in gone:
            _breakpoints.remove(b)
            _unwatch(b)
            for w in [w for w in _watches if w.owner is b]:
                _delete_line_watch(w)
        if not _breakpoints:
            _disarm()
        elif not any(b.enabled and b.fallback for b in _breakpoints):
            _disarm_entries()
