"""py-stack in gdb: threads as gdb knows them, and what their C frames
show.

* `--thread` takes gdb's thread number (or `$_thread`, any expression
  starting with $), an OS thread id, a threading.get_ident() value or a
  Python thread name.
* Run through `thread apply` (`thread apply 2 py-stack`, `thread apply
  all py-stack`), it prints the thread gdb selected for it.
* Each thread's innermost C frames, as gdb unwinds them with their
  variables, say what it is doing outside Python, as libpython's py-bt
  does: waiting for the GIL, dropping it, collecting garbage, and which
  built-in function or method its innermost Python frame called
  ("in_c" in the document).
"""
import re

import gdb

from pyxray import commands, options
from pyxray.errors import Error, UsageError

from . import native, session
from .command import TableCommand, progress_writer, split, width

# Where each thread is, as far as the C frames say.
GIL_WAIT = ("take_gil",)
GIL_DROP = ("drop_gil",)
GC = ("collect", "gc_collect_main", "gc_collect_region", "gc_collect_full",
      "gc_collect_young", "gc_collect_increment", "collect_with_callback",
      "collect_generations", "_PyGC_Collect", "gc_collect_impl", "_PyGC_CollectNoFail",
      "PyGC_Collect", "gc_collect_generations")
EVAL = ("_PyEval_EvalFrameDefault", "PyEval_EvalFrameEx", "_PyEval_EvalFrame")
# C functions through which the eval loop calls a built-in, and the
# variable that holds the callable there.
CALLERS = re.compile(r"^(cfunction_vectorcall|cfunction_call|method_vectorcall|wrapper_call|"
                     r"_PyObject_MakeTpCall|_PyObject_VectorcallTstate|PyObject_Vectorcall|"
                     r"_PyObject_Call|PyObject_Call|_PyCFunction|vectorcall_method)")
CALLABLE_VARS = ("func", "callable", "wp", "self")
MAX_C_FRAMES = 48

# ---- threads ---------------------------------------------------------------------

# What was selected when gdb last showed its prompt: a thread switched
# behind the user's back is `thread apply` at work.  A second run before
# the prompt is not (a script, or gdb -batch -ex py-stack -ex 'py-stack
# --json', runs it twice, and each run prints every thread).
_prompt = {"thread": None}


def _before_prompt():
    t = gdb.selected_thread()
    _prompt["thread"] = t.global_num if t is not None else None


_THREAD_APPLY = re.compile(r"^\s*(t|th|thr|thre|threa|thread)\s+(a|ap|app|appl|apply)\b|"
                           r"^\s*t?faas\b|^\s*taas\b")


def _last_command():
    """The command line gdb is running, when it came from the terminal
    (gdb adds it to its history before running it)."""
    try:
        text = gdb.execute("show commands", to_string=True)
    except gdb.error:
        return ""
    lines = [l for l in text.splitlines() if l.strip()]
    return re.sub(r"^\s*\d+\s+", "", lines[-1]) if lines else ""


def in_thread_apply():
    """Is py-stack running once per thread, for `thread apply`?"""
    t = gdb.selected_thread()
    if t is None:
        return False
    if _prompt["thread"] is not None and t.global_num != _prompt["thread"]:
        return True
    return bool(_THREAD_APPLY.match(_last_command()))


def _gdb_threads():
    try:
        return list(gdb.selected_inferior().threads())
    except gdb.error:
        return []


def resolve_thread(text):
    """--thread's value as the engine takes it: an OS thread id (int) or
    a Python thread name (str)."""
    threads = _gdb_threads()
    value = text.strip()
    if value.startswith("$"):
        try:
            value = str(int(gdb.parse_and_eval(value)))
        except (gdb.error, ValueError) as e:
            raise UsageError("--thread %s: %s" % (text, e))
        by_num = {t.num: t for t in threads}
        if int(value) not in by_num:
            raise UsageError("--thread %s is %s: gdb has no thread %s (info threads lists "
                             "them)" % (text, value, value))
        return native.thread_tid(by_num[int(value)])
    if value.isdigit():
        n = int(value)
        by_num = {t.num: t for t in threads}
        tids = {native.thread_tid(t) for t in threads}
        # gdb's numbers are small; a thread id is taken as one.
        if n in by_num and n not in tids:
            return native.thread_tid(by_num[n])
        return n
    named = [t for t in threads if t.name == value]
    if len(named) == 1:
        # Python's name for it may differ from the kernel's (comm).
        return _python_or_gdb_name(value, named[0])
    return value


def _python_or_gdb_name(name, thread):
    try:
        session.program().stack(thread=name)
        return name
    except Error:
        return native.thread_tid(thread)


# ---- what the C frames say ---------------------------------------------------------

def _callable_repr(frame, prog, builtins_only=True):
    for var in CALLABLE_VARS:
        try:
            v = frame.read_var(var)
        except (ValueError, gdb.error, RuntimeError):
            continue
        try:
            if v.is_optimized_out or v.type.strip_typedefs().code != gdb.TYPE_CODE_PTR:
                continue
            addr = int(v.cast(gdb.lookup_type("unsigned long")))
        except (gdb.error, RuntimeError):
            continue
        try:
            text = prog.repr(addr, depth=1, items=3, string=60)
        except Error:
            continue
        if not builtins_only or text.startswith(("<built-in", "<method", "<slot wrapper",
                                                 "<method-wrapper")):
            return text
    return None


def _gdb_frame_for(nf, frames):
    """gdb's frame for one of the engine's native frames: the same
    function at (or one byte from) the same pc; the engine's unwinder and
    gdb's may count a frame differently, so its index alone is a guess."""
    name = nf.get("function")
    try:
        addr = int(nf.get("address") or "0", 16)
    except ValueError:
        addr = 0
    best = None
    for level, frame in enumerate(frames):
        try:
            if name and frame.name() != name:
                continue
            distance = abs(frame.pc() - addr)
        except gdb.error:
            continue
        if distance <= 1 and (best is None or abs(level - (nf.get("index") or 0)) <
                              abs(best[0] - (nf.get("index") or 0))):
            best = (level, frame)
    if best is not None:
        return best[1]
    return None


def _gdb_frames():
    out = []
    try:
        frame = gdb.newest_frame()
    except gdb.error:
        return out
    while frame is not None and len(out) < 4096:
        out.append(frame)
        try:
            frame = frame.older()
        except gdb.error:
            break
    return out


def called_through(thread, prog, merged):
    """{address of a Python frame entered from C: the repr of what its
    Python caller called} (`<class 'list'>` for list(map(f, xs)) calling
    f), for one gdb thread; merged: the thread's Python and native frames,
    outermost first, native ones with their gdb level ("index").  What the
    caller called is the callable of the outermost call frame (CALLERS)
    among the C frames between the two; a Python function called through
    the C API (f(*args)) is the frame itself, and not repeated."""
    out = {}
    between = None  # the native frames since the last Python frame
    with native.selected_thread(thread):
        gdb_frames = _gdb_frames()
        for f in merged:
            if f.get("kind") == "native":
                if between is not None:
                    between.append(f)
                continue
            if f.get("entered_from_c") and between:
                for nf in between:
                    name = nf.get("function") or ""
                    if name in EVAL:
                        break
                    if not CALLERS.match(name) or nf.get("index") is None:
                        continue
                    frame = _gdb_frame_for(nf, gdb_frames)
                    text = frame is not None and _callable_repr(frame, prog, builtins_only=False)
                    if text:
                        # A Python function called through the C API
                        # (f(*args)) is the frame itself: nothing to add.
                        if not text.startswith(("<function ", "<bound method ")):
                            out[f["address"]] = text
                        break
            between = []
    return out


def thread_in_c(thread, prog):
    """{"state": ..., "calling": ...} for one gdb thread, or None.  The
    built-in called is named from the C frames inside the innermost
    eval-loop frame; the state from those and the ones just below it (a
    finalizer or weakref callback runs Python code from inside a garbage
    collection)."""
    state = calling = None
    evals = 0
    with native.selected_thread(thread):
        try:
            frame = gdb.newest_frame()
        except gdb.error:
            return None
        for _ in range(MAX_C_FRAMES):
            if frame is None:
                break
            try:
                name = frame.name() or ""
            except gdb.error:
                name = ""
            if name in EVAL:
                evals += 1
                if evals > 2 or state is not None:
                    break
            elif state is None:
                if name in GIL_WAIT:
                    state = "waiting for the GIL"
                elif name in GIL_DROP:
                    state = "dropping the GIL"
                elif name in GC:
                    state = "garbage-collecting"
            if evals == 0 and CALLERS.match(name):
                # The outermost one (nearest the eval loop) names the
                # built-in the Python code called.
                calling = _callable_repr(frame, prog) or calling
            try:
                frame = frame.older()
            except gdb.error:
                break
    if state is None and calling is None:
        return None
    return {"state": state, "calling": calling}


def add_in_c(doc):
    """Program.stack_notes: each thread's "in_c", from gdb's C frames."""
    prog = session.program()
    by_tid = {native.thread_tid(t): t for t in _gdb_threads()}
    for t in doc.get("threads", []):
        thread = by_tid.get(t.get("tid"))
        if thread is None or not t.get("frames"):
            continue
        try:
            note = thread_in_c(thread, prog)
        except Exception:  # what C frames say is a bonus, never an error
            note = None
        if note:
            t["in_c"] = note
        frames = t["frames"]
        if not any(f.get("entered_from_c") for f in frames[1:] if f.get("kind") != "native"):
            continue
        try:
            merged = frames
            if not any(f.get("kind") == "native" for f in frames):
                saved, prog.stack_notes = prog.stack_notes, None
                try:
                    merged = prog.stack(thread=t["tid"], native=True)["threads"][0]["frames"]
                finally:
                    prog.stack_notes = saved
            through = called_through(thread, prog, merged)
        except Exception:  # a bonus, never an error
            through = {}
        for f in frames:
            if f.get("address") in through:
                f["called_through"] = through[f["address"]]


class StackCommand(TableCommand):
    """`pyxray stack`, also known as py-stack."""

    def run(self, arg, from_tty):
        args = options.parse_gdb(self.cmd, split(arg))
        if args.thread is not None:
            args.thread = resolve_thread(args.thread)
        elif in_thread_apply():
            args.thread = native.thread_tid(gdb.selected_thread())
        prog = session.program()
        prog.on_progress = progress_writer() if from_tty else None
        prog.stack_notes = add_in_c
        try:
            text = commands.run(prog, self.cmd.name, args, width=width())
        finally:
            prog.on_progress = None
            prog.stack_notes = None
        gdb.write(text)


def install():
    gdb.events.before_prompt.connect(_before_prompt)
    _before_prompt()
