"""py-next, py-step and py-finish: stepping by Python lines.

They use py-break's pieces.  A hardware watchpoint on the selected
Python frame's instruction pointer (which the eval loop writes at each of
the frame's instructions, and only then) says when it reaches another
line; one on its caller's says when it has returned.  Calls the frame
makes run at full speed: their frames are elsewhere.  py-step also stops
where any Python function starts in the thread (py-break's fallback
breakpoints, for the step only).  py-finish reads the return value where
the eval loop leaves it for the caller (3.11+, a Python caller), or
finishes the eval loop's C frame with gdb's finish (a frame C called, and
up to 3.10 every frame: each runs in a C frame of its own).

The program stops in the interpreter's C code, where gdb's step, next,
advance and finish go on in C.
"""
import gdb

from pyxray import render
from pyxray.errors import Error

from . import breaks, native, pyframes, session
from .command import PyxrayCommand, complete, split, width
from pyxray import options


class _Stepper:
    """What the current py-next/py-step/py-finish waits for."""

    def __init__(self, kind, thread, tid, info):
        self.kind = kind            # "next", "step", "finish"
        self.thread = thread
        self.tid = tid
        self.frame = info.frame
        self.code = info.code
        self.line = info.line
        self.result = None          # ("line" | "return" | "call", FrameInfo)
        self.watches = []
        self.entries = []
        self.entered = False        # py-step went into a call


_current = [None]


class StepWatch(gdb.Breakpoint):
    """A write watchpoint on a frame's instruction pointer: the stepped
    frame's ("self") or its caller's ("caller")."""

    def __init__(self, stepper, info, role):
        expr = "*(%s *) 0x%x" % ("long" if info.instr_size == 8 else "int",
                                 info.instr_address)
        super().__init__(expr, gdb.BP_WATCHPOINT, gdb.WP_WRITE, internal=True)
        self.silent = True
        self.stepper = stepper
        self.frame = info.frame
        self.code = info.code
        self.role = role

    def stop(self):
        try:
            return self._check()
        except Exception as e:  # never stop the program for pyxray's sake
            breaks._say_error_once(e)
            return False

    def _check(self):
        s = self.stepper
        if s is not _current[0] or s.result is not None:
            return False
        prog = breaks._fresh_program()
        try:
            info = prog.frame_info(self.frame)
        except Error:
            return False
        if info.code != self.code:
            return False    # the frame is gone; its memory serves another
        if self.role == "caller":
            s.result = ("return", info)
            return True
        if s.kind == "finish":
            return False
        if info.started and info.line > 0 and info.line != s.line:
            s.result = ("line", info)
            return True
        return False


class StepEntry(gdb.Breakpoint):
    """py-step: where a Python function starts, in the stepped thread."""

    def __init__(self, stepper, address):
        super().__init__("*0x%x" % address, gdb.BP_BREAKPOINT, internal=True)
        self.silent = True
        self.stepper = stepper

    def stop(self):
        try:
            return self._check()
        except Exception as e:
            breaks._say_error_once(e)
            return False

    def _check(self):
        s = self.stepper
        if s is not _current[0] or s.result is not None or breaks._thread_tid() != s.tid:
            return False
        prog = breaks._fresh_program()
        if breaks._entry_kind[0] == "eval-function":
            info = prog.frame_info(breaks.argument_register(breaks._frame_argument[0]))
        else:
            info = prog.thread_frame(s.tid)
        if info.frame == s.frame:
            return False    # the stepped frame itself (a generator resuming)
        s.result = ("call", info)
        return True


def _caller_info(prog, info):
    """The frame info of the Python frame info returns to, or None."""
    if not info.previous:
        return None
    try:
        return prog.frame_info(info.previous)
    except Error:
        return None


def _print_stop(prog, info, first_line_only=False, same_frame=False):
    """Where the stepped thread stopped, as gdb's step says it."""
    doc = prog.stack(thread=breaks._thread_tid())
    frames = doc["threads"][0]["frames"] if doc["threads"] else []
    f = frames[-1] if frames else None
    if f is None:
        return
    if same_frame:
        text = render._raw_source_line(f["file"], f["line"])
        gdb.write("%s\t%s\n" % (f["line"], text if text is not None else ""))
        return
    f = dict(f, level=None)
    gdb.write(render.render_frame(f, args=pyframes.frame_args(f), width=width()))


class _StepCommand(PyxrayCommand):
    kind = None

    def __init__(self, cmd):
        self.cmd = cmd
        self.display_name = cmd.gdb_name
        self.__doc__ = options.gdb_doc(cmd)
        super().__init__("pyxray " + cmd.name, gdb.COMMAND_RUNNING)

    def complete(self, text, word):
        return complete(self.cmd, text, word)

    def run(self, arg, from_tty):
        options.parse_gdb(self.cmd, split(arg))
        if session.is_core():
            raise Error("a core file does not run: %s needs a live process"
                        % self.display_name, "unsupported-target")
        if not gdb.selected_inferior().pid:
            raise Error("the program is not running", "no-target")
        f = pyframes.selected_frame()
        prog = session.program()
        info = prog.frame_info(f["address"])
        thread = gdb.selected_thread()
        s = _Stepper(self.kind, thread, native.thread_tid(thread), info)
        _current[0] = s
        try:
            self.go(prog, s, info, f)
        finally:
            _current[0] = None
            for w in s.watches:
                breaks.drop_watch(w)
            for e in s.entries:
                if e.is_valid():
                    e.delete()

    def watch(self, s, info, role):
        if breaks.free_registers() < 1:
            raise Error("%s needs a free debug register for each frame it watches; %d of "
                        "%d are in use (delete a watchpoint)"
                        % (self.display_name, breaks.registers_in_use(),
                           breaks.DEBUG_REGISTERS), "limit")
        w = breaks.hardware_watch(StepWatch, s, info, role)
        if w is None:
            raise Error("gdb could not set a hardware watchpoint", "limit")
        s.watches.append(w)

    def resume(self):
        """Let the program run until something stops it."""
        gdb.execute("continue", to_string=False)

    def go(self, prog, s, info, f):
        self.watch(s, info, "self")
        caller = _caller_info(prog, info)
        if caller is not None:
            self.watch(s, caller, "caller")
        if self.kind == "step":
            ep = breaks._entry_points(prog)
            for a in ep["addresses"]:
                e = StepEntry(s, int(a, 16))
                e.thread = s.thread.num
                s.entries.append(e)
        while True:
            self.resume()
            if s.result is None or not gdb.selected_inferior().pid:
                return  # something else stopped the program (or it ended)
            what, where = s.result
            prog = session.program()
            if what == "call":
                # Entering a function: stop at its first line.
                for e in s.entries:
                    e.delete()
                s.entries = []
                for w in s.watches:
                    breaks.drop_watch(w)
                s.watches = []
                s.result = None
                s.kind = "next"
                s.entered = True
                s.frame, s.code, s.line = where.frame, where.code, -1
                try:
                    self.watch(s, where, "self")
                except Error:
                    _print_stop(prog, where)
                    return
                continue
            _print_stop(prog, where, same_frame=(what == "line" and not s.entered))
            return


class PyNext(_StepCommand):
    kind = "next"


class PyStep(_StepCommand):
    kind = "step"


class PyFinish(_StepCommand):
    kind = "finish"

    def go(self, prog, s, info, f):
        caller = _caller_info(prog, info)
        python_return = (prog.python_version >= (3, 11) and caller is not None
                         and not info.entered_from_c and info.return_slot)
        if not python_return:
            return self.finish_in_c(f)
        gdb.write("Run till exit from ")
        gdb.write(render.render_frame(dict(f), level=f["level"],
                                      args=pyframes.frame_args(f), source=False,
                                      width=width()))
        slot = info.return_slot
        self.watch(s, caller, "caller")
        self.resume()
        if s.result is None or not gdb.selected_inferior().pid:
            return
        prog = session.program()
        _print_stop(prog, s.result[1])
        gdb.write("Value returned: %s\n" % self.returned(prog, slot))

    def returned(self, prog, slot):
        bits = int.from_bytes(prog.read(slot, 8), "little")
        if prog.python_version >= (3, 14):
            if bits & 3 == 3:
                return str(bits >> 2)   # an int kept in the reference itself
            bits &= ~3
        try:
            return prog.repr(bits, depth=3, items=10, string=200)
        except Error:
            return "(none: the frame raised an exception)"

    def finish_in_c(self, f):
        """Finish the eval loop's C frame that runs the frame."""
        if f.get("native_level") is None:
            raise Error("cannot find the eval loop's C frame that runs %s" % f["function"],
                        "not-found")
        pyframes._select_gdb_level(f["native_level"])
        gdb.execute("finish")


CLASSES = {"next": PyNext, "step": PyStep, "finish": PyFinish}
