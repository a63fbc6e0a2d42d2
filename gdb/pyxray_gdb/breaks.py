"""py-break: stop when Python code enters a function or reaches a line.

How it works (docs/py-break.md says more):

* Function entry.  From 3.11 every Python function starts with the RESUME
  instruction, which the eval loop dispatches through its opcode_targets
  table; pyxray puts gdb breakpoints on the RESUME handlers and, at each
  hit, reads which code object the stopped thread's innermost frame runs.
  Up to 3.10 every Python call is a C call of _PyEval_EvalFrameDefault,
  whose argument is the frame: the breakpoint goes there.
* Lines.  At the entry of a function that has the line, a hardware
  watchpoint goes on the frame's instruction pointer (which the eval loop
  stores at every bytecode instruction); each write tells the current
  line, and the stop comes when the line is reached.  When the frame
  returns the watchpoint goes away.

The breakpoints are gdb's own (internal ones, not in `info breakpoints`):
the process runs at full speed between hits, but every Python call made
anywhere in the process stops it for a moment while pyxray looks.
"""
import linecache
import os

import gdb

from pyxray import options
from pyxray.errors import Error as PyxrayError
from pyxray.errors import UsageError

from . import session
from .command import PyxrayCommand, complete, split

# x86-64 has four debug registers; leave one for the user.
MAX_WATCHES = 3
# The System V ABI's argument registers, per architecture.
ARG_REGISTERS = {"i386:x86-64": ("rdi", "rsi", "rdx"),
                 "aarch64": ("x0", "x1", "x2")}

_breakpoints = []     # PyBreakpoint, in number order
_next_number = [1]
_entries = []         # EntryBreakpoint, shared by every py-break
_entry_kind = [None]  # "resume" / "eval-function"
_frame_argument = [None]
_watches = []         # LineWatch
_pending = []         # what the last stop asks the stop commands to do
_errors = set()


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


class PyBreakpoint:
    """One py-break: a function name, or a file and a line."""

    def __init__(self, spec):
        self.number = None    # given when it is added
        self.spec = spec
        self.hits = 0
        self.enabled = True
        self.decisions = {}   # code identity -> does it match
        self.function = None
        self.file = None
        self.line = None
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

    def matches(self, prog, info):
        """Does the code object the frame runs belong to this breakpoint?"""
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


def _frame_register(n):
    arch = gdb.selected_frame().architecture().name()
    regs = ARG_REGISTERS.get(arch)
    if not regs:
        raise PyxrayError("py-break on CPython 3.8 - 3.10 reads the frame from the "
                          "argument registers, known for x86-64 and aarch64, not %s" % arch)
    return int(gdb.selected_frame().read_register(regs[n])) & 0xFFFFFFFFFFFFFFFF


class EntryBreakpoint(gdb.Breakpoint):
    """Where the eval loop starts (or resumes) a Python function."""

    def __init__(self, address):
        super().__init__("*0x%x" % address, gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.commands = ("python __import__(\"pyxray_gdb.breaks\").breaks.after_stop()\n"
                         "if $_pyxray_resume\n  continue\nend")

    def stop(self):
        try:
            return _on_entry()
        except Exception as e:  # never stop the program for pyxray's sake
            _say_error_once(e)
            return False


def _on_entry():
    active = [b for b in _breakpoints if b.enabled]
    if not active:
        return False
    prog = _fresh_program()
    tid = _thread_tid()
    if _entry_kind[0] == "eval-function":
        info = prog.frame_info(_frame_register(_frame_argument[0]))
    else:
        info = prog.thread_frame(tid)
    hits = [b for b in active if b.matches(prog, info)]
    if not hits:
        return False
    _pending.clear()
    report = []
    for b in hits:
        if _entry_kind[0] == "eval-function":
            # Up to 3.10 the frame is not linked to its thread yet at the
            # eval loop's entry: watch it, and stop at its first
            # instruction (or at the line).
            _pending.append(("watch", b, info, tid, b.line))
        elif b.kind == "function":
            report.append(b)
        elif b.line == info.line and not info.started:
            report.append(b)  # the def line: stop as the function starts
        else:
            _pending.append(("watch", b, info, tid, b.line))
    if report:
        _pending.append(("report", report, tid))
    return True


class LineWatch(gdb.Breakpoint):
    """A watchpoint on one frame's instruction pointer."""

    def __init__(self, bp, info, tid, line):
        expr = "*(%s *) 0x%x" % ("long" if info.instr_size == 8 else "int",
                                 info.instr_address)
        super().__init__(expr, gdb.BP_WATCHPOINT, gdb.WP_WRITE, internal=True)
        self.silent = True
        self.commands = ("python __import__(\"pyxray_gdb.breaks\").breaks.after_stop()\n"
                         "if $_pyxray_resume\n  continue\nend")
        self.owner = bp
        self.frame = info.frame
        self.code = info.code
        self.tid = tid
        self.target = line     # None: stop when the frame starts
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
        if self.target is None:
            if not info.started:
                return False
            _pending.clear()
            _pending.append(("unwatch", self))
            _pending.append(("report", [self.owner], self.tid))
            return True
        last, self.last = self.last, info.line
        if info.line != self.target or last == self.target:
            return False
        _pending.clear()
        _pending.append(("report", [self.owner], self.tid))
        return True


_foreign_stop = [False]


def on_stop(event):
    """Remember whether something besides pyxray (a user's breakpoint at
    the same place) stopped the program: then it must stay stopped."""
    bps = getattr(event, "breakpoints", None) or ()
    _foreign_stop[0] = any(not isinstance(b, (EntryBreakpoint, LineWatch)) for b in bps)


def after_stop():
    """Run by the internal breakpoints' commands after a stop: do what the
    stop method decided, and say whether to continue."""
    resume = not _foreign_stop[0]
    actions, _pending[:] = list(_pending), []
    for act in actions:
        try:
            if act[0] == "watch":
                _, bp, info, tid, line = act
                _add_watch(bp, info, tid, line)
            elif act[0] == "unwatch":
                _delete_watch(act[1])
            elif act[0] == "report":
                _, bps, tid = act
                for b in bps:
                    b.hits += 1
                _report(bps, tid)
                resume = False
        except Exception as e:
            _say_error_once(e)
    _resume_var(resume)


def _add_watch(bp, info, tid, line):
    for w in _watches:
        if w.is_valid() and w.frame == info.frame and w.owner is bp:
            w.code, w.tid, w.target = info.code, tid, line
            w.last = info.line if info.started else None
            return
    while len(_watches) >= MAX_WATCHES:
        _delete_watch(_watches[0])
    _watches.append(LineWatch(bp, info, tid, line))


def _delete_watch(w):
    if w in _watches:
        _watches.remove(w)
    if w.is_valid():
        w.delete()


def _report(bps, tid):
    prog = session.program()
    data = prog.stack(thread=tid, locals=True)
    frames = data["threads"][0]["frames"] if data["threads"] else []
    if not frames:
        gdb.write("Python breakpoint %s (no Python frame?)\n"
                  % ", ".join(str(b.number) for b in bps))
        return
    f = frames[-1]
    args = ""
    if any(b.kind == "function" for b in bps):
        args = " (%s)" % ", ".join("%s=%s" % kv for kv in f.get("locals", {}).items())
    gdb.write("\nPython breakpoint %s, %s%s at %s:%s\n"
              % (", ".join(str(b.number) for b in bps), f["function"], args,
                 f["file"], f["line"]))
    text = linecache.getline(f["file"], f["line"]) if f["line"] > 0 else ""
    if text:
        gdb.write("%d\t%s" % (f["line"], text if text.endswith("\n") else text + "\n"))


def is_own_stop(event):
    """Did one of py-break's internal breakpoints cause this stop?"""
    bps = getattr(event, "breakpoints", None) or ()
    return any(isinstance(b, (EntryBreakpoint, LineWatch)) for b in bps)


def _arm(prog):
    """Create the shared entry breakpoints, once."""
    if _entries:
        return
    ep = prog.entry_points()
    _armed_program[0] = prog
    _entry_kind[0] = ep["kind"]
    _frame_argument[0] = ep["frame_argument"]
    for a in ep["addresses"]:
        _entries.append(EntryBreakpoint(int(a, 16)))


def _disarm():
    _armed_program[0] = None
    for e in _entries:
        if e.is_valid():
            e.delete()
    _entries.clear()
    for w in list(_watches):
        _delete_watch(w)


def on_exit(event):
    if _entries or _watches:
        _disarm()
        if _breakpoints:
            gdb.write("pyxray: Python breakpoints are pending until the program "
                      "runs again\n")


def on_new_objfile(event):
    """Arm pending Python breakpoints once the interpreter is loaded in a
    running process (`py-break` before `run`, or a restart)."""
    if not _breakpoints or _entries or not gdb.selected_inferior().pid:
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
    for b in _breakpoints:
        out.append("%-4d %-4s %-5d %s" % (b.number, "y" if b.enabled else "n", b.hits,
                                          b.describe()))
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
                self.find(getattr(args, key)).enabled = on
                # Nothing enabled: take the breakpoints out of the
                # eval loop, so the program runs at full speed.
                if not any(b.enabled for b in _breakpoints):
                    _disarm()
                elif gdb.selected_inferior().pid and not session.is_core():
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
        if gdb.selected_inferior().pid:
            _arm(session.program())
        else:
            pending = " (pending: armed when the program runs)"
        bp.number = _next_number[0]
        _next_number[0] += 1
        _breakpoints.append(bp)
        gdb.write("Python breakpoint %d: %s%s\n" % (bp.number, bp.describe(), pending))

    def find(self, number):
        for b in _breakpoints:
            if b.number == number:
                return b
        raise UsageError("no Python breakpoint %d" % number)

    def delete(self, n):
        """Delete breakpoint n (all of them for 0)."""
        if n:
            _breakpoints.remove(self.find(n))
            for w in [w for w in _watches if w.owner.number == n]:
                _delete_watch(w)
        else:
            _breakpoints.clear()
        if not _breakpoints:
            _disarm()
