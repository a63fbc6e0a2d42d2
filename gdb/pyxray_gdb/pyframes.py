"""The selected Python frame: py-bt, py-frame, py-up, py-down, py-list,
py-locals and py-print.

Each thread has a selected Python frame, as gdb has a selected C frame,
and the two agree: selecting a Python frame selects the C frame of the
eval loop that runs it (so `info locals`, `finish` and gdb's `up` go on
from there), and when the user moves gdb's frame (frame, up, down), the
selected Python frame becomes the innermost one run by the C frame
selected or an older one.  After the program stops again, it is the
innermost Python frame.
"""
import os
import re

import gdb

from pyxray import options, render
from pyxray.errors import Error, UsageError

from . import native, session, stack
from .command import PyxrayCommand, address_of, complete, split, width

# Arguments in frame lines (py-bt, py-frame): short.
ARG_LIMITS = dict(depth=1, items=4, string=40)

# thread global number -> {"address": frame, "gdb_level": C frame level}
_selection = {}


def _thread():
    thread = gdb.selected_thread()
    if thread is None:
        raise Error("no thread selected (is the program running, or a core loaded?)",
                    "no-target")
    return thread


def thread_frames(thread=None):
    """The Python frames of a thread (default: the selected one),
    innermost first: {"level", "address", "function", "file", "line",
    "entered_from_c", "native_level"}; native_level is the gdb level of
    the eval-loop C frame that runs it (None when gdb's frames could not
    be matched)."""
    thread = thread or _thread()
    prog = session.program()
    tid = native.thread_tid(thread)
    try:
        doc = prog.stack(thread=tid, native=True)
        merged = True
    except Error:
        doc = prog.stack(thread=tid)
        merged = False
    if not doc["threads"]:
        return []
    out = []
    level = None
    for f in doc["threads"][0]["frames"]:
        if f.get("kind") == "native":
            level = f["index"]
            continue
        g = dict(f)
        g["native_level"] = level if merged else None
        out.append(g)
    out.reverse()
    for i, f in enumerate(out):
        f["level"] = i
    return out


def _gdb_level():
    try:
        return gdb.selected_frame().level()
    except gdb.error:
        return 0


def selected_index(frames, thread=None):
    """Which of frames (innermost first) is the selected Python frame."""
    if not frames:
        raise Error("the selected thread runs no Python code (no Python frames)", "not-found")
    thread = thread or _thread()
    cur = _gdb_level()
    sel = _selection.get(thread.global_num)
    if sel and sel["gdb_level"] == cur:
        for i, f in enumerate(frames):
            if f["address"] == sel["address"]:
                return i
    for i, f in enumerate(frames):
        if f["native_level"] is None or f["native_level"] >= cur:
            return i
    raise Error("the selected C frame (#%d) is older than every Python frame of this "
                "thread: py-frame 0 selects the innermost one" % cur, "not-found")


def selected_frame():
    """The selected Python frame of the selected thread (a frame dict)."""
    frames = thread_frames()
    return frames[selected_index(frames)]


def _select_gdb_level(level):
    frame = gdb.newest_frame()
    for _ in range(level):
        older = frame.older()
        if older is None:
            break
        frame = older
    frame.select()


def select(frames, index):
    """Make frames[index] the selected Python frame, and its eval-loop C
    frame gdb's selected frame."""
    f = frames[index]
    thread = _thread()
    if f["native_level"] is not None:
        _select_gdb_level(f["native_level"])
    _selection[thread.global_num] = {"address": f["address"], "gdb_level": _gdb_level()}
    return f


def frame_args(f):
    """The arguments of a Python frame, as {"name", "repr"}."""
    try:
        doc = session.program().frame(f["address"], **ARG_LIMITS)
    except Error:
        return []
    return [l for l in doc["locals"] if l.get("kind") == "argument"]


def print_frame(f):
    gdb.write(render.render_frame(f, level=f["level"], args=frame_args(f), width=width()))


def forget(event=None):
    """The program ran (or stopped again): the innermost frames count."""
    _selection.clear()


class _FrameCommand(PyxrayCommand):
    """A gdb-only command of the shared table."""

    command_class = gdb.COMMAND_STACK

    def __init__(self, cmd):
        self.cmd = cmd
        self.display_name = cmd.gdb_name
        self.__doc__ = options.gdb_doc(cmd)
        super().__init__("pyxray " + cmd.name, self.command_class)

    def parse(self, arg):
        return options.parse_gdb(self.cmd, split(arg))

    def complete(self, text, word):
        return complete(self.cmd, text, word)


def _add_called_through(frames):
    """What each frame entered from C was called through (py-stack's
    "called_through"), from gdb's C frames; nothing when they do not say."""
    if not any(f.get("entered_from_c") for f in frames[:-1]):
        return
    thread = _thread()
    prog = session.program()
    try:
        merged = prog.stack(thread=native.thread_tid(thread), native=True)["threads"][0]["frames"]
        through = stack.called_through(thread, prog, merged)
    except Exception:  # a bonus, never an error
        return
    for f in frames:
        if f["address"] in through:
            f["called_through"] = through[f["address"]]


class PyBt(_FrameCommand):
    def run(self, arg, from_tty):
        args = self.parse(arg)
        frames = thread_frames()
        for f in frames:
            try:
                doc = session.program().frame(f["address"], **ARG_LIMITS)
                f["args"] = [l for l in doc["locals"] if l.get("kind") == "argument"]
                f["locals"] = doc["locals"]
            except Error as e:
                f["args"], f["locals"] = [], [{"name": "<error>", "repr": str(e)}]
        _add_called_through(frames)
        gdb.write(render.render_bt(frames, full=args.full, width=width()))


class PyFrame(_FrameCommand):
    def run(self, arg, from_tty):
        args = self.parse(arg)
        frames = thread_frames()
        if args.level is None:
            print_frame(frames[selected_index(frames)])
            return
        if args.level >= len(frames):
            raise Error("no Python frame #%d: this thread has %d (#0 to #%d)"
                        % (args.level, len(frames), len(frames) - 1), "not-found")
        print_frame(select(frames, args.level))


class PyUp(_FrameCommand):
    direction = 1

    def run(self, arg, from_tty):
        args = self.parse(arg)
        frames = thread_frames()
        i = selected_index(frames)
        j = i + self.direction * (args.count if args.count is not None else 1)
        if self.direction > 0 and i == len(frames) - 1:
            raise Error("no older Python frame: #%d %s is the outermost"
                        % (i, frames[i]["function"]), "not-found")
        if self.direction < 0 and i == 0:
            raise Error("no newer Python frame: #0 %s is the innermost"
                        % frames[0]["function"], "not-found")
        j = max(0, min(j, len(frames) - 1))
        print_frame(select(frames, j))


class PyDown(PyUp):
    direction = -1


class PyList(_FrameCommand):
    command_class = gdb.COMMAND_FILES

    def run(self, arg, from_tty):
        args = self.parse(arg)
        f = selected_frame()
        path, cur = f["file"], f["line"]
        if args.lines:
            start, end = args.lines
            if end is None:
                end = start + 9
        else:
            if cur is None or cur <= 0:
                raise Error("the selected frame (%s) has no line number" % f["function"],
                            "not-found")
            start, end = max(1, cur - 5), cur + 5
        try:
            with open(path, encoding="utf-8", errors="replace") as fp:
                text = fp.read().splitlines()
        except OSError as e:
            raise Error("cannot read %s: %s (the source is not where the program loaded it "
                        "from)" % (path, e.strerror), "os")
        warning = _changed(f, text)
        if warning:
            gdb.write("py-list: warning: %s\n" % warning, gdb.STDERR)
        if start > len(text):
            raise Error("%s has %d lines; line %d is past its end" % (path, len(text), start),
                        "not-found")
        lines = [(n, text[n - 1]) for n in range(start, min(end, len(text)) + 1)]
        gdb.write(render.render_source(path, lines, cur))


def _changed(f, text):
    """Why the file on disk is not the one the frame's code came from,
    or None: its line must be in the file, and a function's first line
    (or the decorators before it) must define it."""
    if f.get("line", 0) > len(text):
        return "%s has %d lines but the program runs line %d: it has changed since " \
               "the program loaded it" % (f["file"], len(text), f["line"])
    try:
        doc = session.program().frame(f["address"], depth=1, items=1, string=10)
    except Error:
        return None
    if doc["kind"] != "function":
        return None
    name = f["function"].rsplit(".", 1)[-1]
    if name.startswith("<"):
        return None  # lambdas, comprehensions
    first = doc["first_line"]
    window = "\n".join(text[max(first - 1, 0):first + 30])
    if re.search(r"\bdef\s+%s\b" % re.escape(name), window) is None:
        return "%s has changed since the program loaded it (line %d does not define %s): " \
               "the lines below may not be the ones that run" % (f["file"], first, name)
    return None


class PyLocals(_FrameCommand):
    command_class = gdb.COMMAND_DATA

    def run(self, arg, from_tty):
        args = self.parse(arg)
        f = selected_frame()
        doc = session.program().frame(f["address"], depth=args.depth, items=args.items,
                                      string=args.string)
        if args.json:
            from pyxray.commands import to_json
            gdb.write(to_json(doc))
            return
        gdb.write(render.render_locals(doc, width=width()))


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class PyPrint(_FrameCommand):
    command_class = gdb.COMMAND_DATA

    def run(self, arg, from_tty):
        args = self.parse(arg)
        text = " ".join(args.name)
        limits = dict(depth=args.depth, items=args.items, string=args.string)
        prog = session.program()
        doc = None
        if _NAME.match(text):
            doc = self.lookup(prog, text, limits)
        if doc is None:
            try:
                addr = address_of(text)
            except Error as e:
                if not self.not_python:
                    raise
                # Neither: say both, the Python lookup first.
                raise Error("%s; as a gdb expression, %s" % (self.not_python, e), "not-found")
            obj = prog.object(addr, **limits)
            doc = {"name": text, "scope": None, "address": obj["address"],
                   "type": obj["type"], "repr": obj["repr"]}
        if args.json:
            from pyxray.commands import to_json
            gdb.write(to_json(doc))
            return
        gdb.write(render.render_print(doc, width=width()))

    def lookup(self, prog, text, limits):
        """A Python name of the selected frame (and its attributes), or
        None when the first name is not one (then it is gdb's)."""
        parts = text.split(".")
        self.not_python = None
        try:
            f = selected_frame()
        except Error:
            return None
        try:
            found = prog.frame(f["address"], name=parts[0], **limits)
        except Error as e:
            if e.code != "not-found":
                raise
            try:
                gdb.parse_and_eval(text)
            except gdb.error:
                raise Error(str(e), "not-found")
            self.not_python = str(e)
            return None
        addr = found["address"]
        for attr in parts[1:]:
            fields = prog.object(addr, depth=1, items=1, string=1, fields=True)["fields"]
            hit = [x for x in fields if x["name"] == "." + attr]
            if not hit:
                raise Error("%s has no attribute '%s' (py-object %s --fields lists what it "
                            "has)" % (".".join(parts[:parts.index(attr)]), attr, addr),
                            "not-found")
            addr = hit[0]["address"]
        if len(parts) > 1:
            obj = prog.object(addr, **limits)
            found = dict(found, address=obj["address"], type=obj["type"], repr=obj["repr"])
        found["name"] = text
        return found


CLASSES = {"bt": PyBt, "frame": PyFrame, "up": PyUp, "down": PyDown, "list": PyList,
           "locals": PyLocals, "print": PyPrint}


def install():
    gdb.events.stop.connect(forget)
    gdb.events.cont.connect(forget)
