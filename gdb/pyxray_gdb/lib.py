"""ctypes binding of libpyxray (include/pyxray.h).

Only this module knows the C signatures.  Everything returns Python data
or raises PyxrayError carrying the engine's one-line message.
"""
import ctypes
import json
import os

_HERE = os.path.dirname(os.path.abspath(__file__))


class PyxrayError(Exception):
    """An error from libpyxray: .code is the short code name."""

    def __init__(self, message, code="error"):
        super().__init__(message)
        self.code = code


class PyxRepr(ctypes.Structure):
    _fields_ = [("max_depth", ctypes.c_int),
                ("max_items", ctypes.c_int),
                ("max_string", ctypes.c_int)]


class PyxProgramOptions(ctypes.Structure):
    _fields_ = [("executable", ctypes.c_char_p),
                ("debuginfo_path", ctypes.c_char_p)]


class PyxCoreOptions(ctypes.Structure):
    _fields_ = [("executable", ctypes.c_char_p),
                ("sysroot", ctypes.c_char_p),
                ("lib_search_path", ctypes.c_char_p)]


class PyxCensusOptions(ctypes.Structure):
    _fields_ = [("generation", ctypes.c_int),
                ("top", ctypes.c_int),
                ("sort_by_size", ctypes.c_int),
                ("type", ctypes.c_char_p)]


class PyxCrashInfo(ctypes.Structure):
    _fields_ = [("signo", ctypes.c_int),
                ("tid", ctypes.c_int),
                ("has_address", ctypes.c_bool),
                ("address", ctypes.c_uint64)]


class PyxFrameInfo(ctypes.Structure):
    _fields_ = [("frame", ctypes.c_uint64),
                ("code", ctypes.c_uint64),
                ("instr_address", ctypes.c_uint64),
                ("instr_size", ctypes.c_int),
                ("line", ctypes.c_int),
                ("first_line", ctypes.c_int),
                ("started", ctypes.c_bool),
                ("code_name", ctypes.c_uint64),
                ("code_file", ctypes.c_uint64)]


class PyxNativeFrame(ctypes.Structure):
    _fields_ = [("pc", ctypes.c_uint64),
                ("function", ctypes.c_char_p),
                ("module", ctypes.c_char_p),
                ("file", ctypes.c_char_p),
                ("line", ctypes.c_int)]


class PyxNativeThread(ctypes.Structure):
    _fields_ = [("tid", ctypes.c_int),
                ("name", ctypes.c_char_p),
                ("frames", ctypes.POINTER(PyxNativeFrame)),
                ("nframes", ctypes.c_size_t)]


class PyxNativeStacks(ctypes.Structure):
    _fields_ = [("threads", ctypes.POINTER(PyxNativeThread)),
                ("nthreads", ctypes.c_size_t)]


def _enc(s):
    return s.encode("utf-8", "surrogateescape") if s is not None else None


def native_stacks(threads):
    """C stacks for libpyxray from [(tid, name, [frame, ...])], each frame
    with .pc, .function, .module, .file, .line (innermost first).  The
    returned object keeps every buffer alive while it is."""
    arrays = []
    cthreads = (PyxNativeThread * max(len(threads), 1))()
    for i, (tid, name, frames) in enumerate(threads):
        arr = (PyxNativeFrame * max(len(frames), 1))()
        for k, f in enumerate(frames):
            arr[k] = PyxNativeFrame(f.pc, _enc(f.function), _enc(f.module),
                                    _enc(f.file), f.line or 0)
        arrays.append(arr)
        cthreads[i] = PyxNativeThread(tid, _enc(name), arr, len(frames))
    stacks = PyxNativeStacks(cthreads, len(threads))
    stacks._keep = (arrays, cthreads)
    return stacks


def library_candidates():
    env = os.environ.get("PYXRAY_LIBRARY")
    if env:
        yield env
    top = os.path.dirname(_HERE)
    # In a checkout: gdb/pyxray_gdb -> build/libpyxray.so
    yield os.path.join(os.path.dirname(top), "build", "libpyxray.so")
    # Installed: PREFIX/share/pyxray/pyxray_gdb -> PREFIX/lib/pyxray
    yield os.path.join(os.path.dirname(os.path.dirname(top)), "lib", "pyxray",
                       "libpyxray.so")


def _load():
    tried = []
    for path in library_candidates():
        if os.path.exists(path):
            return ctypes.CDLL(path), path
        tried.append(path)
    raise PyxrayError("libpyxray.so not found (looked in %s): run `make` in the "
                      "pyxray checkout, or set PYXRAY_LIBRARY" % ", ".join(tried),
                      "no-library")


_lib = None
_lib_path = None
_P = ctypes.c_void_p


def lib():
    global _lib, _lib_path
    if _lib is None:
        l, _lib_path = _load()
        l.pyx_error_message.restype = ctypes.c_char_p
        l.pyx_error_message.argtypes = [_P]
        l.pyx_error_code.restype = ctypes.c_int
        l.pyx_error_code.argtypes = [_P]
        l.pyx_error_code_name.restype = ctypes.c_char_p
        l.pyx_error_code_name.argtypes = [ctypes.c_int]
        l.pyx_error_destroy.argtypes = [_P]
        l.pyx_free.argtypes = [_P]
        l.pyx_target_create_pid.restype = _P
        l.pyx_target_create_pid.argtypes = [ctypes.c_int, ctypes.POINTER(_P)]
        l.pyx_target_create_core.restype = _P
        l.pyx_target_create_core.argtypes = [ctypes.c_char_p, ctypes.POINTER(PyxCoreOptions),
                                             ctypes.POINTER(_P)]
        l.pyx_target_set_crash_info.argtypes = [_P, ctypes.POINTER(PyxCrashInfo)]
        l.pyx_program_create.restype = _P
        l.pyx_program_create.argtypes = [_P, ctypes.POINTER(PyxProgramOptions),
                                         ctypes.POINTER(_P)]
        l.pyx_program_destroy.argtypes = [_P]
        l.pyx_program_target.restype = _P
        l.pyx_program_target.argtypes = [_P]
        l.pyx_program_flush.argtypes = [_P]
        l.pyx_program_num_warnings.restype = ctypes.c_size_t
        l.pyx_program_num_warnings.argtypes = [_P]
        l.pyx_program_warning.restype = ctypes.c_char_p
        l.pyx_program_warning.argtypes = [_P, ctypes.c_size_t]
        l.pyx_stack_json.restype = _P
        l.pyx_stack_json.argtypes = [_P, ctypes.c_uint64, ctypes.c_uint,
                                     ctypes.POINTER(_P)]
        l.pyx_object_json.restype = _P
        l.pyx_object_json.argtypes = [_P, ctypes.c_uint64, ctypes.POINTER(PyxRepr),
                                      ctypes.POINTER(_P)]
        l.pyx_info_json.restype = _P
        l.pyx_info_json.argtypes = [_P, ctypes.POINTER(_P)]
        l.pyx_gc_json.restype = _P
        l.pyx_gc_json.argtypes = [_P, ctypes.POINTER(_P)]
        l.pyx_census_json.restype = _P
        l.pyx_census_json.argtypes = [_P, ctypes.POINTER(PyxCensusOptions), ctypes.POINTER(_P)]
        l.pyx_census_all_heap_json.restype = _P
        l.pyx_census_all_heap_json.argtypes = [_P, ctypes.POINTER(PyxCensusOptions),
                                               ctypes.POINTER(_P)]
        l.pyx_referrers_json.restype = _P
        l.pyx_referrers_json.argtypes = [_P, ctypes.c_uint64, ctypes.POINTER(_P)]
        l.pyx_path_json.restype = _P
        l.pyx_path_json.argtypes = [_P, ctypes.c_uint64, ctypes.c_int, ctypes.POINTER(_P)]
        l.pyx_path_dot.restype = _P
        l.pyx_path_dot.argtypes = [_P, ctypes.c_uint64, ctypes.c_int, ctypes.c_int,
                                   ctypes.c_char_p]
        l.pyx_index_json.restype = _P
        l.pyx_index_json.argtypes = [_P, ctypes.POINTER(_P)]
        l.pyx_leaks_snapshot.restype = _P
        l.pyx_leaks_snapshot.argtypes = [_P, ctypes.c_char_p, ctypes.POINTER(_P)]
        l.pyx_leaks_diff_json.restype = _P
        l.pyx_leaks_diff_json.argtypes = [_P, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_P)]
        l.pyx_leaks_refcheck_json.restype = _P
        l.pyx_leaks_refcheck_json.argtypes = [_P, ctypes.c_int, ctypes.POINTER(_P)]
        l.pyx_thread_frame.restype = _P
        l.pyx_thread_frame.argtypes = [_P, ctypes.c_int, ctypes.POINTER(PyxFrameInfo)]
        l.pyx_frame_info_at.restype = _P
        l.pyx_frame_info_at.argtypes = [_P, ctypes.c_uint64, ctypes.POINTER(PyxFrameInfo)]
        l.pyx_code_json.restype = _P
        l.pyx_code_json.argtypes = [_P, ctypes.c_uint64, ctypes.POINTER(_P)]
        l.pyx_stack_native_json.restype = _P
        l.pyx_stack_native_json.argtypes = [_P, ctypes.c_uint64, ctypes.c_uint,
                                            ctypes.POINTER(PyxNativeStacks),
                                            ctypes.POINTER(_P)]
        l.pyx_triage_json.restype = _P
        l.pyx_triage_json.argtypes = [_P, ctypes.POINTER(PyxNativeStacks), ctypes.POINTER(_P)]
        l.pyx_modules_json.restype = _P
        l.pyx_modules_json.argtypes = [_P, ctypes.POINTER(_P)]
        l.pyx_entry_points_json.restype = _P
        l.pyx_entry_points_json.argtypes = [_P, ctypes.POINTER(_P)]
        _lib = l
    return _lib


def library_path():
    lib()
    return _lib_path


def _check(err):
    if err:
        l = lib()
        msg = l.pyx_error_message(err).decode("utf-8", "replace")
        code = l.pyx_error_code_name(l.pyx_error_code(err)).decode()
        l.pyx_error_destroy(err)
        raise PyxrayError(msg, code)


def _take_string(ptr):
    l = lib()
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        l.pyx_free(ptr)


STACK_LOCALS = 1
STACK_EXCEPTIONS = 2


class Program:
    """A libpyxray program: a target plus its CPython runtime."""

    def __init__(self, pid=None, core=None, executable=None, debuginfo_path=None,
                 sysroot=None, lib_search_path=None):
        l = lib()
        target = _P()
        if core:
            copts = PyxCoreOptions(_enc(executable), _enc(sysroot), _enc(lib_search_path))
            _check(l.pyx_target_create_core(core.encode(), ctypes.byref(copts),
                                            ctypes.byref(target)))
        else:
            _check(l.pyx_target_create_pid(int(pid), ctypes.byref(target)))
        opts = PyxProgramOptions(executable.encode() if executable else None,
                                 debuginfo_path.encode() if debuginfo_path else None)
        prog = _P()
        _check(l.pyx_program_create(target, ctypes.byref(opts), ctypes.byref(prog)))
        self._prog = prog

    def is_open(self):
        return bool(self._prog)

    def _handle(self):
        if not self._prog:
            raise PyxrayError("pyxray's view of this target was closed (the process "
                              "exited or gdb moved to another target): run the "
                              "command again", "closed")
        return self._prog

    def close(self):
        if self._prog:
            lib().pyx_program_destroy(self._prog)
            self._prog = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def warnings(self):
        l = lib()
        n = l.pyx_program_num_warnings(self._handle())
        return [l.pyx_program_warning(self._handle(), i).decode("utf-8", "replace")
                for i in range(n)]

    def flush(self):
        lib().pyx_program_flush(self._handle())

    def set_crash(self, signo, tid, address=None):
        info = PyxCrashInfo(signo, tid, address is not None, address or 0)
        lib().pyx_target_set_crash_info(lib().pyx_program_target(self._handle()),
                                        ctypes.byref(info))

    def _json(self, fn, *args):
        out = _P()
        _check(fn(self._handle(), *args, ctypes.byref(out)))
        return json.loads(_take_string(out))

    @staticmethod
    def _stack_flags(locals, exceptions):
        return (STACK_LOCALS if locals else 0) | (STACK_EXCEPTIONS if exceptions else 0)

    def stack(self, thread=0, locals=False, exceptions=False):
        return self._json(lib().pyx_stack_json, thread,
                          self._stack_flags(locals, exceptions))

    def stack_native(self, stacks, thread=0, locals=False, exceptions=False):
        """py-stack --native: stacks from native_stacks()."""
        return self._json(lib().pyx_stack_native_json, thread,
                          self._stack_flags(locals, exceptions), ctypes.byref(stacks))

    def triage(self, stacks):
        return self._json(lib().pyx_triage_json, ctypes.byref(stacks))

    def thread_frame(self, tid):
        """The innermost Python frame of OS thread tid (a PyxFrameInfo)."""
        info = PyxFrameInfo()
        _check(lib().pyx_thread_frame(self._handle(), tid, ctypes.byref(info)))
        return info

    def frame_info(self, address):
        info = PyxFrameInfo()
        _check(lib().pyx_frame_info_at(self._handle(), address, ctypes.byref(info)))
        return info

    def code(self, address):
        return self._json(lib().pyx_code_json, address)

    def modules(self):
        return self._json(lib().pyx_modules_json)["modules"]

    def entry_points(self):
        return self._json(lib().pyx_entry_points_json)

    def object(self, address, depth=0, items=0, string=0):
        limits = PyxRepr(depth, items, string)
        return self._json(lib().pyx_object_json, address, ctypes.byref(limits))

    def info(self):
        return self._json(lib().pyx_info_json)

    def gc(self):
        return self._json(lib().pyx_gc_json)

    def census(self, generation=-1, top=0, sort_by_size=False, type_name=None,
               all_heap=False):
        opts = PyxCensusOptions(generation, top, 1 if sort_by_size else 0,
                                type_name.encode() if type_name else None)
        fn = lib().pyx_census_all_heap_json if all_heap else lib().pyx_census_json
        return self._json(fn, ctypes.byref(opts))

    def referrers(self, address):
        return self._json(lib().pyx_referrers_json, address)

    def path(self, address, max_depth=0):
        return self._json(lib().pyx_path_json, address, max_depth)

    def path_dot(self, address, filename, depth=0, max_nodes=0):
        _check(lib().pyx_path_dot(self._handle(), address, depth, max_nodes,
                                  filename.encode()))

    def index(self):
        return self._json(lib().pyx_index_json)

    def leaks_snapshot(self, filename):
        return self._json(lib().pyx_leaks_snapshot, filename.encode())

    def leaks_diff(self, filename, top=0):
        return self._json(lib().pyx_leaks_diff_json, filename.encode(), top)

    def leaks_refcheck(self, top=0):
        return self._json(lib().pyx_leaks_refcheck_json, top)
