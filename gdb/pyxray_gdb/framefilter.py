"""A Python-aware `bt`: under each native frame of the eval loop, the
Python frames it is running, with their arguments (and, in `bt full`,
their locals) as Python values.

    #4  0x... in _PyEval_EvalFrameDefault (...) at ../Python/ceval.c:4772
        [Python] validate (payload={'id': 3}) at app.py:23
        [Python] parse (raw=b'...') at app.py:19

A gdb frame filter, so it works for `bt`, `thread apply all bt`, MI and
DAP front ends alike; `set pyxray bt-python off` (or `bt -no-filters`)
turns it off.  It never makes `bt` fail: when pyxray cannot read the
Python side, frames come out as gdb would print them.

The filter takes part only in the backtraces of threads that run Python
code: in any other thread (and in programs that are not Python) gdb
prints its own backtrace, untouched.  In a Python thread gdb prints every
frame through its Python frame printer, which differs from its own in
one respect: a frame without debug info names its library as "at LIB"
where gdb's own printer says "from LIB".
"""
import gdb
from gdb.FrameDecorator import FrameDecorator

from pyxray.errors import Error

from . import native, session

# The repr's bounds for arguments and locals in bt's lines.
LIMITS = dict(depth=2, items=6, string=60)


class _Arg:
    """What gdb's frame printer takes for an argument or a local: a
    symbol (a name) and a value."""

    def __init__(self, name, value):
        self._name = name
        self._value = value

    def symbol(self):
        return self._name

    def value(self):
        return self._value


_pyobject_ptr = [None, False]


def _object_value(address, text):
    """A PyObject * gdb.Value (printed as a Python value by pyxray's
    printer) when the debug info knows PyObject, else the repr as text."""
    if not _pyobject_ptr[1]:
        _pyobject_ptr[1] = True
        try:
            _pyobject_ptr[0] = gdb.lookup_type("PyObject").pointer()
        except gdb.error:
            _pyobject_ptr[0] = None
    t = _pyobject_ptr[0]
    from . import params
    if t is not None and params.value("pretty-print"):
        return gdb.Value(int(address, 16)).cast(t)
    return text


class PythonFrame:
    """One Python frame, shown as an elided frame of an eval-loop frame."""

    def __init__(self, parent, pyframe):
        self._parent = parent
        self._f = pyframe
        self._doc = None

    def _locals(self):
        if self._doc is None:
            self._doc = []
            if self._f.get("address"):
                try:
                    self._doc = session.program().frame(self._f["address"],
                                                        **LIMITS)["locals"]
                except Error:
                    self._doc = []
        return self._doc

    def function(self):
        return "[Python] " + self._f["function"]

    def address(self):
        return None

    def filename(self):
        return self._f["file"]

    def line(self):
        return self._f["line"] if self._f["line"] > 0 else None

    def frame_args(self):
        return [_Arg(l["name"], _object_value(l["address"], l["repr"]))
                for l in self._locals() if l.get("kind") == "argument"]

    def frame_locals(self):
        return [_Arg(l["name"], _object_value(l["address"], l["repr"]))
                for l in self._locals() if l.get("kind") != "argument"]

    def elided(self):
        return None

    def inferior_frame(self):
        return self._parent.inferior_frame()


class NativeFrame(FrameDecorator):
    """A C frame in a Python thread, as gdb names it: "??" when it has no
    symbol (gdb's Python frame printer would print nothing)."""

    def function(self):
        name = super().function()
        if isinstance(name, int):
            # No full symbol: gdb would look for a minimal one by pc, and
            # print nothing when there is none.
            try:
                name = self.inferior_frame().name()
            except gdb.error:
                name = None
        return name if name else "??"


class EvalFrame(NativeFrame):
    """An eval-loop frame that lists the Python frames it runs."""

    def __init__(self, base, pyframes):
        super().__init__(base)
        self._pyframes = pyframes

    def elided(self):
        inner = super().elided()
        out = [PythonFrame(self, f) for f in self._pyframes]
        return out + list(inner) if inner else out


def python_frames_by_level(thread=None):
    """{native frame level: Python frames it runs, innermost first} for
    a thread (default: the selected one), from libpyxray's merge of the
    two stacks."""
    thread = thread or gdb.selected_thread()
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


def _runs_python():
    """Does the selected thread run Python code (cheap: one frame read)?"""
    thread = gdb.selected_thread()
    if thread is None:
        return False
    try:
        session.program().thread_frame(native.thread_tid(thread))
        return True
    except Exception:  # not Python, no such thread state, anything
        return False


class PythonFrameFilter:
    def __init__(self):
        self.name = "pyxray"
        self.priority = 100
        self._enabled = True
        gdb.frame_filters[self.name] = self

    # gdb asks before each backtrace: a thread that runs no Python gets
    # gdb's own printing.
    @property
    def enabled(self):
        return self._enabled and _runs_python()

    @enabled.setter
    def enabled(self, on):
        self._enabled = bool(on)

    def filter(self, frame_iter):
        try:
            by_level = python_frames_by_level()
        except Exception:  # pyxray errors or bugs alike: never break bt
            by_level = {}
        return (EvalFrame(d, by_level[lvl]) if lvl in by_level else NativeFrame(d)
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
