"""A Python-aware `bt`: under each native frame of the eval loop, the
Python frames it is running.

    #4  0x... in _PyEval_EvalFrameDefault (...) at ../Python/ceval.c:4772
        [Python] validate () at app.py:23
        [Python] parse () at app.py:19

A gdb frame filter, so it works for `bt`, `thread apply all bt`, MI and
DAP front ends alike; `set pyxray bt-python off` (or `bt -no-filters`)
turns it off.  It never makes `bt` fail: when pyxray cannot read the
Python side, frames come out as gdb would print them.
"""
import gdb
from gdb.FrameDecorator import FrameDecorator

from . import native, session


class PythonFrame:
    """One Python frame, shown as an elided frame of an eval-loop frame."""

    def __init__(self, parent, pyframe):
        self._parent = parent
        self._f = pyframe

    def function(self):
        return "[Python] " + self._f["function"]

    def address(self):
        return None

    def filename(self):
        return self._f["file"]

    def line(self):
        return self._f["line"] if self._f["line"] > 0 else None

    def frame_args(self):
        return None

    def frame_locals(self):
        return None

    def elided(self):
        return None

    def inferior_frame(self):
        return self._parent.inferior_frame()


class EvalFrame(FrameDecorator):
    """An eval-loop frame that lists the Python frames it runs."""

    def __init__(self, base, pyframes):
        super().__init__(base)
        self._pyframes = pyframes

    def elided(self):
        inner = super().elided()
        out = [PythonFrame(self, f) for f in self._pyframes]
        return out + list(inner) if inner else out


def python_frames_by_level():
    """{native frame level: Python frames it runs, innermost first} for
    the selected thread, from libpyxray's merge of the two stacks."""
    thread = gdb.selected_thread()
    if thread is None:
        return {}
    prog = session.program()
    # The levels are gdb's: the native frames must be gdb's own.
    with native.gdb_frames():
        data = prog.stack(thread=native.thread_tid(thread), native=True)
    if not data["threads"]:
        return {}
    by_level = {}
    level = None
    # Outermost first: each Python frame follows the eval frame running it.
    for f in data["threads"][0]["frames"]:
        if f["kind"] == "native":
            level = f["index"]
        elif level is not None:
            by_level.setdefault(level, []).append(f)
    for frames in by_level.values():
        frames.reverse()
    return by_level


class PythonFrameFilter:
    def __init__(self):
        self.name = "pyxray"
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frame_iter):
        try:
            by_level = python_frames_by_level()
        except Exception:  # pyxray errors or bugs alike: never break bt
            return frame_iter
        if not by_level:
            return frame_iter
        return (EvalFrame(d, by_level[lvl]) if lvl in by_level else d
                for d, lvl in ((d, _level(d)) for d in frame_iter))


def _level(decorator):
    try:
        return decorator.inferior_frame().level()
    except (gdb.error, RuntimeError):
        return -1


_filter = None


def install():
    global _filter
    if _filter is None:
        _filter = PythonFrameFilter()
    return _filter


def set_enabled(on):
    if _filter is not None:
        _filter.enabled = bool(on)
