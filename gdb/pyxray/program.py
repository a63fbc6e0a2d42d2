"""Program: one CPython process or core file, as pyxray reads it.

Every command is a method returning the document the command prints with
--json, parsed (dicts and lists).  docs/python-api.md is the guide; each
method names the page that documents its document.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import time

from . import _lib
from .errors import Error, SystemCallError

__all__ = ["Program", "attach", "open_core"]

# Codes of errors that a read of a running process can meet because
# something changed under it: such a read is tried again.
_RUNNING_RETRY_CODES = frozenset({"fault", "invalid-object", "limit", "not-initialized",
                                  "bad-object", "error"})
RUNNING_RETRIES = 3
RUNNING_NOTE = ("process %d was running while pyxray read it: drop --no-block "
                "(block=True in the API) for a consistent answer")

# How often the thread waiting for a long query looks at Ctrl-C and
# progress (seconds).
_POLL = 0.05


def _address(a: int | str) -> int:
    """An address given as int or as text ("0x7f..", "140...")."""
    if isinstance(a, str):
        try:
            a = int(a, 0)
        except ValueError:
            raise Error("'%s' is not an address" % a, "invalid-argument")
    if a is None or a < 0 or a > 0xFFFFFFFFFFFFFFFF:
        raise Error("%r is not an address" % (a,), "invalid-argument")
    return int(a)


def _own_thread(tid):
    """Is tid one of this process's threads (gdb tracing its inferior)?"""
    return tid == os.getpid() or os.path.exists("/proc/self/task/%d" % tid)


def attach(pid: int, *, block: bool = True, debuginfo_path: str | None = None,
           executable: str | None = None) -> Program:
    """Open a live process: a Program (docs/python-api.md).

    block=True (the default) pauses every thread with ptrace while the
    Program is open, so that every answer is one moment of the process;
    closing the Program (or leaving its `with` block) lets it run again.
    The process is never left stopped: if this process dies, the kernel
    lets the target go.  block=False reads it running; a read that meets
    a list changing under it is tried again, then fails saying so.  A
    process that another debugger traces cannot be paused: the Program
    then reads it running and says so in .warnings.  (Inside gdb, whose
    inferior gdb itself has stopped, nothing needs pausing.)

    debuginfo_path: where to look for separate debug info, in libdwfl's
    syntax (":.debug:/usr/lib/debug").  executable: the executable, when
    /proc/PID/exe is not the right file."""
    l = _lib.lib()
    target = ctypes.c_void_p()
    _lib.check(l.pyx_target_create_pid(int(pid), ctypes.byref(target)))
    warnings = []
    running = not block
    try:
        tracer = l.pyx_target_tracer(target)
        if block and tracer == 0:
            _lib.check(l.pyx_target_pause(target))
        elif block and not _own_thread(tracer):
            # The other debugger's message, as a warning: read running.
            warnings.append(_traced_warning(pid, tracer))
            running = True
    except BaseException:
        l.pyx_target_destroy(target)
        raise
    return Program._create(target, executable=executable, debuginfo_path=debuginfo_path,
                           running=running, warnings=warnings)


def _traced_warning(pid, tracer):
    try:
        with open("/proc/%d/comm" % tracer) as fp:
            name = " (%s)" % fp.read().strip()
    except OSError:
        name = ""
    return ("process %d is traced by process %d%s: reading it without pausing it, "
            "without its native frames (only that debugger can read them)"
            % (pid, tracer, name))


def open_core(path: str | os.PathLike, *, exe: str | None = None,
              debuginfo_path: str | None = None, sysroot: str | None = None,
              lib_path: str | None = None) -> Program:
    """Open a core file: a Program (docs/python-api.md).

    exe: the executable, when the path the core names is missing or wrong
    on this machine (the build-id is checked).  debuginfo_path: where to
    look for separate debug info (libdwfl's syntax).  sysroot: the root
    of the machine (or container) the core comes from, where the files
    it names are looked for, as gdb's `set sysroot`; lib_path: more
    directories (colon-separated) where they are looked for by name, as
    gdb's solib-search-path.  A core gzip'ed or zstd-compressed is read
    as it is."""
    l = _lib.lib()
    target = ctypes.c_void_p()
    copts = _lib.CoreOptions(_lib.encode(exe), _lib.encode(sysroot), _lib.encode(lib_path))
    _lib.check(l.pyx_target_create_core(_lib.encode(os.fspath(path)), ctypes.byref(copts),
                                        ctypes.byref(target)))
    return Program._create(target, executable=exe, debuginfo_path=debuginfo_path)


def _program_options(**values):
    """The engine's options struct; an option whose field this libpyxray
    lacks is an error rather than silently ignored."""
    opts = _lib.ProgramOptions()
    fields = {f[0] for f in _lib.ProgramOptions._fields_}
    for name, value in values.items():
        if value is None:
            continue
        if name not in fields:
            raise Error("this libpyxray does not take %s yet" % name, "invalid-argument")
        setattr(opts, name, _lib.encode(os.fspath(value)))
    return opts


class Program:
    """A CPython process or core file, as pyxray reads it.

    Made by pyxray.attach() and pyxray.open_core().  A context manager:
    leaving the `with` block closes it, which lets a paused process run.
    Every command of the gdb front door (py-stack ...) and of the CLI
    (pyxray stack ...) is a method returning the same document as the
    command's --json, parsed.  Not for use by several threads at once;
    pause(), resume() and native frames of a paused process need the
    thread that attached."""

    def __init__(self):
        raise TypeError("use pyxray.attach(pid) or pyxray.open_core(path)")

    @classmethod
    def _create(cls, target, *, running=False, warnings=(), **options):
        self = object.__new__(cls)
        self._prog = None
        self._target = target
        l = _lib.lib()
        try:
            opts = _program_options(**options)
            prog = ctypes.c_void_p()
            # pyx_program_create takes the target, also on failure.
            self._target = None
            _lib.check(l.pyx_program_create(target, ctypes.byref(opts), ctypes.byref(prog)))
        except BaseException:
            if self._target:
                l.pyx_target_destroy(self._target)
            raise
        self._prog = prog
        self._target = ctypes.c_void_p(l.pyx_program_target(prog))
        self._running = running
        self._extra_warnings = list(warnings)
        self._progress_state = None
        self._progress_cb = _lib.PROGRESS_FN(self._on_engine_progress)
        l.pyx_target_set_progress(self._target, self._progress_cb, None)
        #: fn(what, done, total, seconds) shown while a long query runs,
        #: and fn(None, 0, 0, seconds) when it ends; None shows nothing.
        self.on_progress = None
        #: A front door that unwinds native stacks itself (gdb) sets this:
        #: fn(tid or None) -> NativeStacks (see _lib.native_stacks).
        self.native_source = None
        #: A front door that has the threads' registers (gdb) sets this:
        #: fn(tid or None) -> [(tid, name, [17 registers])] or None; the
        #: engine then unwinds from them (faster than native_source),
        #: native_source serving when that fails.
        self.native_registers = None
        #: With native_source set, a core is still unwound by the engine
        #: first (from the core's own notes), native_source serving when
        #: that fails; a bool, or a function returning one.
        self.native_engine_first = False
        #: A front door that sees more of each thread's C frames than the
        #: engine (gdb, with their variables) sets this: fn(doc) adds to
        #: stack() documents what it sees ("in_c", docs/py-stack.md).
        self.stack_notes = None
        return self

    # ---- lifetime --------------------------------------------------------

    def __enter__(self) -> Program:
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def close(self) -> None:
        """Let a paused process run, and free everything.  Idempotent."""
        if getattr(self, "_prog", None):
            _lib.lib().pyx_program_destroy(self._prog)
            self._prog = None

    def is_open(self) -> bool:
        return bool(self._prog)

    def _handle(self):
        if not self._prog:
            raise Error("this Program was closed (the process exited, or gdb moved "
                        "to another target): open it again", "closed")
        return self._prog

    # ---- what it is ------------------------------------------------------

    @property
    def is_live(self) -> bool:
        """A process (True) or a core file (False)."""
        return bool(_lib.lib().pyx_target_is_live(self._tgt()))

    @property
    def pid(self) -> int:
        """The process id (for a core, the one it had)."""
        return _lib.lib().pyx_target_pid(self._tgt())

    @property
    def python_version(self) -> tuple[int, int, int]:
        """The target's CPython version as a tuple: (3, 11, 7)."""
        v = _lib.lib().pyx_program_python_version(self._handle())
        return (v >> 24 & 0xFF, v >> 16 & 0xFF, v >> 8 & 0xFF)

    @property
    def debug_build(self) -> bool:
        return bool(_lib.lib().pyx_program_is_debug_build(self._handle()))

    @property
    def warnings(self) -> list[str]:
        """What pyxray noticed while opening (missing debug info, a
        truncated core, a process it could not pause ...)."""
        l = _lib.lib()
        h = self._handle()
        engine = [_lib._text(l.pyx_program_warning(h, i))
                  for i in range(l.pyx_program_num_warnings(h))]
        return self._extra_warnings + [w for w in engine if w not in self._extra_warnings]

    @property
    def paused(self) -> bool:
        """Is the process paused by this Program?"""
        return bool(_lib.lib().pyx_target_is_paused(self._tgt()))

    @property
    def running(self) -> bool:
        """Is the process read while it runs (block=False, or traced by
        another debugger)?"""
        return self._running and self.is_live and not self.paused

    def _tgt(self):
        self._handle()
        return self._target

    # ---- pausing ---------------------------------------------------------

    def pause(self) -> None:
        """Stop every thread (again) for consistent reads; see attach()."""
        _lib.check(_lib.lib().pyx_target_pause(self._tgt()))
        self._running = False
        self.flush()

    def resume(self) -> None:
        """Let a paused process run; later reads see it running."""
        l = _lib.lib()
        if l.pyx_target_is_paused(self._tgt()):
            l.pyx_target_resume(self._target)
            self._running = True
            self.flush()

    def _repause(self):
        """Let the paused process run for a moment, then pause it again."""
        l = _lib.lib()
        l.pyx_target_resume(self._target)
        time.sleep(0.001)
        _lib.check(l.pyx_target_pause(self._target))
        self.flush()

    def flush(self) -> None:
        """Forget what was read: the process may have run since."""
        _lib.lib().pyx_program_flush(self._handle())

    def set_crash(self, signo: int, tid: int, address: int | None = None, *,
                  code: int = 1, sender: tuple[int, int] | None = None) -> None:
        """For a front door that knows the signal a live process stopped
        with (gdb): shown as "crashed here" by stack() and triage().
        code: its si_code (> 0: a fault the kernel found; <= 0: sent by
        kill(), tgkill(), raise() ...); sender: (pid, uid) of whoever sent
        it."""
        info = _lib.CrashInfo(signo, tid, address is not None, address or 0, code,
                              sender is not None, *(sender or (0, 0)))
        _lib.lib().pyx_target_set_crash_info(self._tgt(), ctypes.byref(info))

    def interrupt(self) -> None:
        """Stop the query running in another thread (it raises Error with
        code "interrupted").  Queries started from the thread that has
        the Program stop on Ctrl-C by themselves."""
        _lib.lib().pyx_target_interrupt(self._tgt(), True)

    # ---- running the engine ----------------------------------------------

    def _on_engine_progress(self, arg, what, done, total):
        self._progress_state = (_lib._text(what), done, total)

    def _in_worker(self, fn):
        """Run fn() (an engine call) in a thread while this one watches for
        Ctrl-C (or a signal handler's exception) and shows progress; on
        one, the engine is told to stop, its partial state is dropped and
        the exception goes on."""
        import threading  # only long queries need it: the CLI starts faster
        box = {}
        go = threading.Event()
        done = threading.Event()
        cancelled = []

        def work():
            try:
                go.wait()
                if not cancelled:
                    box["result"] = fn()
            except BaseException as e:  # handed to the waiting thread
                box["exc"] = e
            finally:
                done.set()

        def wait_done():
            # Not Thread.join(): in Python 3.11 a join that a Ctrl-C
            # interrupts can mark a running thread as finished (bpo-45274's
            # fix), and the engine's state would then be freed under it.
            # A second Ctrl-C (or SIGTERM) meanwhile waits too: the engine
            # stops within milliseconds, and must have before anything of
            # its state is dropped.
            while True:
                try:
                    done.wait()
                    return
                except BaseException:
                    continue

        l = _lib.lib()
        self._progress_state = None
        start = time.monotonic()
        worker = threading.Thread(target=work, name="pyxray-query", daemon=True)
        shown = False
        try:
            # The worker starts with these signals blocked, so that they
            # go to this thread, the one that acts on them.
            mask = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
            try:
                old = signal.pthread_sigmask(signal.SIG_BLOCK, mask)
            except (AttributeError, ValueError, OSError):
                old = None
            try:
                worker.start()
            finally:
                if old is not None:
                    signal.pthread_sigmask(signal.SIG_SETMASK, old)
            go.set()
            while not done.wait(_POLL):
                if self.on_progress and self._progress_state:
                    self.on_progress(*self._progress_state, time.monotonic() - start)
                    shown = True
        except BaseException:
            if not go.is_set():
                # Interrupted before the engine was called: it never is.
                cancelled.append(True)
                go.set()
                raise
            l.pyx_target_interrupt(self._target, True)
            wait_done()
            l.pyx_target_interrupt(self._target, False)
            err = box.get("result")
            if err:
                l.pyx_error_destroy(err)
            # No half-built index or cache stays behind.
            l.pyx_program_flush(self._prog)
            raise
        finally:
            if shown:
                self.on_progress(None, 0, 0, time.monotonic() - start)
        if "exc" in box:
            raise box["exc"]
        if l.pyx_target_interrupted(self._target):
            # interrupt() from another thread: nothing partial survives.
            l.pyx_target_interrupt(self._target, False)
            l.pyx_program_flush(self._prog)
            if box["result"]:
                raise _lib.error_from(box["result"])
            raise Error("interrupted", "interrupted")
        return box["result"]

    def _query(self, name, *args, long=False, text=False):
        """Call the engine's name(prog, *args, &out); the parsed document
        (or text).  long: run it so that Ctrl-C stops it."""
        l = _lib.lib()
        fn = getattr(l, name)
        # A running process can change under a read; a paused one can have
        # been stopped halfway through linking an object into a list.
        # Either way, try again: after a flush, or after letting the
        # process run for a moment and pausing it again.
        attempts = RUNNING_RETRIES if (self.running or self.paused) else 1
        for attempt in range(attempts):
            out = ctypes.c_void_p()

            def call():
                return fn(self._handle(), *args, ctypes.byref(out))
            err = self._in_worker(call) if long else call()
            if not err:
                if not out:
                    return None
                s = _lib.take_string(out)
                return s if text else _parse(s)
            exc = _lib.error_from(err)
            if (attempt + 1 < attempts and exc.code in _RUNNING_RETRY_CODES):
                if self.paused:
                    self._repause()
                else:
                    self.flush()
                continue
            if self.running and exc.code in _RUNNING_RETRY_CODES:
                raise _with_note(exc, RUNNING_NOTE % self.pid)
            raise exc

    def _run_void(self, name, *args, long=False):
        fn = getattr(_lib.lib(), name)
        err = self._in_worker(lambda: fn(self._handle(), *args)) if long \
            else fn(self._handle(), *args)
        _lib.check(err)

    # ---- native stacks ---------------------------------------------------

    def _native_stacks(self, thread=None):
        """(NativeStacks pointer or None, destroy or None, warning or None)."""
        l = _lib.lib()
        regs = self.native_registers(thread) if self.native_registers is not None else None
        if regs:
            arr = (_lib.ThreadRegisters * len(regs))()
            for i, (tid, name, values) in enumerate(regs):
                arr[i].tid = tid
                arr[i].name = _lib.encode(name)
                for k, v in enumerate(values):
                    arr[i].regs[k] = v
            ret = ctypes.POINTER(_lib.NativeStacks)()
            err = l.pyx_native_unwind_registers(self._handle(), arr, len(regs),
                                                ctypes.byref(ret))
            if not err:
                return ret, l.pyx_native_stacks_destroy, None
            l.pyx_error_destroy(err)
        engine_first = self.native_engine_first() if callable(self.native_engine_first) \
            else self.native_engine_first
        if self.native_source is not None and not (engine_first and not self.is_live):
            return ctypes.pointer(self.native_source(thread)), None, None
        ret = ctypes.POINTER(_lib.NativeStacks)()
        err = l.pyx_native_unwind(self._handle(), ctypes.byref(ret))
        if err:
            if self.native_source is not None:
                l.pyx_error_destroy(err)
                return ctypes.pointer(self.native_source(thread)), None, None
            # Without C frames the answer is still worth having.
            return None, None, "no native frames: %s" % _lib.error_from(err)
        return ret, l.pyx_native_stacks_destroy, None

    # ---- the commands ----------------------------------------------------

    def stack(self, *, thread: int | str | None = None, locals: bool = False,
              native: bool = False, exceptions: bool = False,
              native_all: bool = False) -> dict:
        """Every thread's Python stack, frames outermost first (as
        traceback.extract_stack() lists them): docs/py-stack.md.

        thread: one thread, by OS thread id or threading.get_ident() (a
        number, or its digits), or by its Python name.  locals: each
        frame's locals as safe reprs.  native: the C frames too, merged
        with the Python ones ("kind": "native"/"python").  exceptions:
        each thread's exception being handled.  native_all: native, and
        also the threads that never ran Python."""
        flags = ((_lib.STACK_LOCALS if locals else 0) |
                 (_lib.STACK_EXCEPTIONS if exceptions else 0) |
                 (_lib.STACK_NATIVE_ALL if native_all else 0))
        native = native or native_all
        name = None
        if isinstance(thread, str):
            if thread.strip().isdigit():
                thread = int(thread)
            else:
                name, thread = thread, None
        if name is not None:
            # Names live in the threads' records: find its id first.
            ids = [t["tid"] or t["thread_id"] for t in self._query("pyx_stack_json", 0, 0)
                   ["threads"] if t.get("name") == name]
            if not ids:
                raise Error("no Python thread named '%s' (py-stack lists the threads "
                            "with their names)" % name, "not-found")
            if len(ids) > 1:
                raise Error("%d threads are named '%s': give the thread's id instead"
                            % (len(ids), name), "invalid-argument")
            thread = ids[0]
        tid = int(thread or 0)
        if not native:
            doc = self._query("pyx_stack_json", tid, flags)
        else:
            stacks, destroy, warning = self._native_stacks(tid or None)
            try:
                doc = self._query("pyx_stack_native_json", tid, flags, stacks)
            finally:
                if destroy:
                    destroy(stacks)
            if warning:
                self._note(warning)
        if self.stack_notes is not None:
            self.stack_notes(doc)
        return doc

    def triage(self) -> dict:
        """What killed the process: signal, fault address and thread, a
        one-line verdict, the GIL holder, gc state, and every thread's
        Python and C frames (the faulting one first): docs/py-triage.md."""
        stacks, destroy, warning = self._native_stacks(None)
        try:
            doc = self._query("pyx_triage_json", stacks)
        finally:
            if destroy:
                destroy(stacks)
        if warning:
            self._note(warning)
        return doc

    def tasks(self) -> dict:
        """Every asyncio task of every event loop: name, state, the chain
        of coroutines it is suspended in (outermost first), what it awaits
        and which tasks await it, and deadlocks (tasks awaiting each other
        in a cycle): docs/py-tasks.md."""
        return self._query("pyx_tasks_json", long=True)

    def locks(self) -> dict:
        """Every thread blocked on a lock (or in a Condition, Event,
        Semaphore, Barrier, Queue or join()): the object, who holds it,
        and deadlocks (threads waiting for each other in a cycle):
        docs/py-locks.md."""
        return self._query("pyx_locks_json", long=True)

    def object(self, address: int | str, *, depth: int | None = None,
               items: int | None = None, string: int | None = None,
               fields: bool = False) -> dict:
        """One object: type, refcount, size (as sys.getsizeof), gc state
        and a safe repr bounded by depth, items and string:
        docs/py-object.md.  fields: also "fields", each reference it holds
        (attribute, item, dict value, C field) with the address, type and
        a short repr of the object it points to."""
        limits = _lib.ReprLimits(depth or 0, items or 0, string or 0)
        doc = self._query("pyx_object_json", _address(address), ctypes.byref(limits))
        if fields:
            more = self._query("pyx_object_fields_json", _address(address),
                               ctypes.byref(_lib.ReprLimits(0, 0, 0)))
            doc["fields"] = more["fields"]
            doc["more_fields"] = more["more_fields"]
            if more.get("fields_error"):
                doc["fields_error"] = more["fields_error"]
        return doc

    def repr(self, address: int | str, *, depth: int | None = None,
             items: int | None = None, string: int | None = None) -> str:
        """The safe repr of an object, as text (docs/py-object.md)."""
        limits = _lib.ReprLimits(depth or 0, items or 0, string or 0)
        return self._query("pyx_object_repr", _address(address), ctypes.byref(limits),
                           text=True)

    def type_name(self, address: int | str) -> str:
        """The qualified name of an object's type (cheap: no repr, no gc
        walk; what $pyx_type() in a breakpoint condition calls)."""
        return self._query("pyx_object_type_name", _address(address), text=True)

    def info(self) -> dict:
        """CPython version and build, where _PyRuntime is, the layout
        table, debug symbols, warnings, and the library answering:
        docs/py-info.md."""
        d = self._query("pyx_info_json")
        d["library"] = _lib.library_path()
        return d

    def modules(self) -> list[dict]:
        """The ELF modules mapped in the target: name, start, end,
        build_id."""
        return self._query("pyx_modules_json")["modules"]

    def gc(self) -> dict:
        """The garbage collector per generation: objects walked, count,
        threshold, gc.get_stats(): docs/py-gc.md."""
        return self._query("pyx_gc_json", long=True)

    def census(self, *, generation: int | None = None, top: int = 0, sort: str = "count",
               type: str | None = None, all_heap: bool = False) -> dict:
        """Objects by type: count, bytes, samples: docs/py-census.md.

        generation: 0, 1, 2, 3 (the permanent one); None: 0-2, what
        gc.get_objects() returns.  top: the largest types (0: all).
        sort: "count" or "size".  type: only types with this name
        (qualified, or its last part).  all_heap: every object, tracked
        by the gc or not."""
        if sort not in ("count", "size"):
            raise Error("sort takes 'count' or 'size', not %r" % (sort,), "invalid-argument")
        if all_heap and generation is not None:
            raise Error("all_heap counts every object: it takes no generation",
                        "invalid-argument")
        opts = _lib.CensusOptions(-1 if generation is None else generation, top or 0,
                                  1 if sort == "size" else 0, _lib.encode(type))
        name = "pyx_census_all_heap_json" if all_heap else "pyx_census_json"
        return self._query(name, ctypes.byref(opts), long=True)

    def memory(self, *, top: int = 10, objects: bool = True) -> dict:
        """The process's memory by kind, adding up to RSS and VSZ, and the
        types owning the most: docs/py-memory.md.  top: types listed (0:
        all).  objects: walk every object to attribute malloc chunks to
        their owners (False: faster, no owners)."""
        if top is None or top < 0:
            raise Error("top takes a number >= 0", "invalid-argument")
        opts = _lib.MemoryOptions(top if top else -1, 0 if objects else 1)
        return self._query("pyx_memory_json", ctypes.byref(opts), long=True)

    def referrers(self, address: int | str) -> dict:
        """Every object (and running frame) referring to an object, with
        the edge (list[3], dict['key'], .attr ...): docs/py-referrers.md.
        The first call indexes the heap; later ones reuse the index until
        flush()."""
        return self._query("pyx_referrers_json", _address(address), long=True)

    def path(self, address: int | str, *, max_depth: int | None = None) -> dict:
        """The shortest chain of references from a root (sys.modules ...)
        to an object: docs/py-path.md."""
        return self._query("pyx_path_json", _address(address), max_depth or 0, long=True)

    def path_dot(self, address: int | str, file: str | os.PathLike, *,
                 depth: int | None = None, nodes: int | None = None) -> None:
        """Write a Graphviz picture of the references into an object to
        file: docs/py-path.md."""
        self._run_void("pyx_path_dot", _address(address), depth or 0, nodes or 0,
                       _lib.encode(os.fspath(file)), long=True)

    def index(self) -> dict:
        """The referrer index's size and build time."""
        return self._query("pyx_index_json", long=True)

    def leaks_snapshot(self, file: str | os.PathLike) -> dict:
        """Save every object by type with its address, the memory by kind
        and tracemalloc's allocation sites to file (atomically):
        docs/py-leaks.md."""
        return self._query("pyx_leaks_snapshot", _lib.encode(os.fspath(file)), long=True)

    def leaks_diff(self, file: str | os.PathLike, *, top: int = 20, sort: str = "count",
                   by_site: bool = False) -> dict:
        """The types that grew since the snapshot in file, with samples of
        new objects, and the memory kinds' growth; by_site: the growth of
        each allocation site tracemalloc recorded, as
        Snapshot.compare_to(old, 'traceback'): docs/py-leaks.md.  sort:
        "count" or "size" (types by bytes grown)."""
        if sort not in ("count", "size"):
            raise Error("sort takes 'count' or 'size', not %r" % (sort,), "invalid-argument")
        opts = _lib.LeaksDiffOptions(top or 0, 1 if sort == "size" else 0, 1 if by_site else 0)
        return self._query("pyx_leaks_diff_json", _lib.encode(os.fspath(file)),
                           ctypes.byref(opts), long=True)

    def refcheck(self, *, top: int = 20) -> dict:
        """Objects with more references than pyxray can find (a missing
        Py_DECREF), the largest excess first: docs/py-leaks.md."""
        return self._query("pyx_leaks_refcheck_json", top or 0, long=True)

    def pools(self) -> dict:
        """pymalloc's size classes and totals, the numbers
        sys._debugmallocstats() prints: docs/py-pools.md."""
        return self._query("pyx_pools_json", long=True)

    def arenas(self, *, top: int = 0) -> dict:
        """Every pymalloc arena, and the top ones a few live blocks keep
        alive: docs/py-arenas.md."""
        if top is not None and top < 0:
            raise Error("top takes a number >= 0", "invalid-argument")
        return self._query("pyx_arenas_json", top or 0, long=True)

    def arenas_map(self) -> str:
        """An SVG picture of every arena, one cell per pool (text):
        docs/py-arenas.md."""
        return self._query("pyx_arenas_map_svg", long=True, text=True)

    def malloc(self, address: int | str) -> dict:
        """The arena, pool, size class and block of an address, and the
        object in it: docs/py-malloc.md."""
        return self._query("pyx_malloc_json", _address(address) & 0xFFFFFFFFFFFFFFFF)

    # ---- what py-break and the frame filter use --------------------------

    def thread_frame(self, tid: int) -> _lib.FrameInfo:
        """The innermost Python frame of OS thread tid (a FrameInfo)."""
        info = _lib.FrameInfo()
        _lib.check(_lib.lib().pyx_thread_frame(self._handle(), tid, ctypes.byref(info)))
        return info

    def pushed_frame(self, tid: int, code: int) -> _lib.FrameInfo:
        """The frame a call is pushing on thread tid's stack to run code
        (3.11+; a FrameInfo), before the thread's current frame is it."""
        info = _lib.FrameInfo()
        _lib.check(_lib.lib().pyx_thread_pushed_frame(self._handle(), tid, code,
                                                        ctypes.byref(info)))
        return info

    def frame_info(self, address: int | str) -> _lib.FrameInfo:
        """The Python frame at address (a FrameInfo)."""
        info = _lib.FrameInfo()
        _lib.check(_lib.lib().pyx_frame_info_at(self._handle(), _address(address),
                                                  ctypes.byref(info)))
        return info

    def frame(self, address: int | str, *, name: str | None = None,
              depth: int | None = None, items: int | None = None,
              string: int | None = None) -> dict:
        """One Python frame (its address is a stack frame's "address"):
        function, file, line, kind, and its locals with their addresses,
        types and reprs; or, with name, that name looked up as Python
        would (locals, globals, builtins): docs/py-locals.md,
        docs/py-print.md."""
        limits = _lib.ReprLimits(depth or 0, items or 0, string or 0)
        return self._query("pyx_frame_json", _address(address), _lib.encode(name),
                           ctypes.byref(limits))

    def code_find(self, *, root: int | str | None = None, name: str | None = None,
                  file: str | None = None, line: int = 0) -> list[dict]:
        """Code objects a Python breakpoint can watch (co_name name, file
        name ending like file's last component, with instructions on
        line): those the process has (root None), or root's and those
        among its constants.  Each with "entry" and "line_addresses", the
        instructions the eval loop reads when the code starts or the line
        is reached."""
        return self._query("pyx_code_find_json", _address(root) if root else 0,
                           _lib.encode(name), _lib.encode(file), int(line or 0))["codes"]

    def code(self, address: int | str) -> dict:
        """A code object: function, name, file, first_line, lines."""
        return self._query("pyx_code_json", _address(address))

    def entry_points(self) -> dict:
        """Where the eval loop starts running a Python function."""
        return self._query("pyx_entry_points_json")

    def read(self, address: int | str, size: int) -> bytes:
        """size bytes of target memory at address (bytes)."""
        buf = ctypes.create_string_buffer(size)
        _lib.check(_lib.lib().pyx_target_read(self._tgt(), _address(address), buf, size))
        return buf.raw

    def _note(self, warning):
        if warning in self._extra_warnings:
            return
        if warning.startswith("no native frames: ") and "traces it" in warning and \
                any(" is traced by process " in w for w in self._extra_warnings):
            # Another debugger holds the process, as a warning said when
            # it was opened: that one line is the reason.
            return
        self._extra_warnings.append(warning)


def _parse(text):
    """A document from the engine.  A big one (100,000 tasks) is millions
    of small objects that cannot form cycles: the cyclic gc would walk
    them again and again while they are made."""
    import gc
    if len(text) < (1 << 20) or not gc.isenabled():
        return json.loads(text)
    gc.disable()
    try:
        return json.loads(text)
    finally:
        gc.enable()


def _with_note(exc, note):
    """The same exception, its message followed by note."""
    msg = "%s; %s" % (exc, note)
    if isinstance(exc, SystemCallError):
        new = type(exc)(exc.errno, msg, exc.code)
    elif hasattr(exc, "address"):
        new = type(exc)(msg, exc.code, address=exc.address)
    else:
        new = type(exc)(msg, exc.code)
    return new
