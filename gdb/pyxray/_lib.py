"""The ctypes binding of libpyxray: the one table of include/pyxray.h.

Only this module knows the C signatures and structs
(tests/python/test_lib.py fails when a function or a struct field of the
header has no entry here).  Errors come back as exceptions through one
table, from the engine's code to a class: Error (.code), FaultError
(.address), SystemCallError (an OSError, .errno).
"""
import ctypes
import errno as _errno
import os

from . import errors

_HERE = os.path.dirname(os.path.abspath(__file__))
_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_U64 = ctypes.c_uint64
_INT = ctypes.c_int
_STR = ctypes.c_char_p


# ---- structs, field for field as in include/pyxray.h ------------------------

class ProgramOptions(ctypes.Structure):
    _fields_ = [("executable", _STR),
                ("debuginfo_path", _STR)]


class CoreOptions(ctypes.Structure):
    _fields_ = [("executable", _STR),
                ("sysroot", _STR),
                ("lib_search_path", _STR)]


class CrashInfo(ctypes.Structure):
    _fields_ = [("signo", _INT),
                ("tid", _INT),
                ("has_address", ctypes.c_bool),
                ("address", _U64),
                ("code", _INT),
                ("has_sender", ctypes.c_bool),
                ("sender_pid", _INT),
                ("sender_uid", _INT)]


class ReprLimits(ctypes.Structure):
    _fields_ = [("max_depth", _INT),
                ("max_items", _INT),
                ("max_string", _INT)]


class CensusOptions(ctypes.Structure):
    _fields_ = [("generation", _INT),
                ("top", _INT),
                ("sort_by_size", _INT),
                ("type", _STR)]


class MemoryOptions(ctypes.Structure):
    _fields_ = [("top", _INT),
                ("no_objects", _INT)]


class LeaksDiffOptions(ctypes.Structure):
    _fields_ = [("top", _INT),
                ("sort_by_size", _INT),
                ("by_site", _INT)]


class NativeFrame(ctypes.Structure):
    _fields_ = [("pc", _U64),
                ("function", _STR),
                ("module", _STR),
                ("file", _STR),
                ("line", _INT),
                ("sp", _U64),
                ("inlined", ctypes.c_bool),
                ("signal_frame", ctypes.c_bool),
                ("activation", ctypes.c_bool)]


class NativeThread(ctypes.Structure):
    _fields_ = [("tid", _INT),
                ("name", _STR),
                ("frames", ctypes.POINTER(NativeFrame)),
                ("nframes", ctypes.c_size_t),
                ("truncated", ctypes.c_bool),
                ("error", _STR)]


class NativeStacks(ctypes.Structure):
    _fields_ = [("threads", ctypes.POINTER(NativeThread)),
                ("nthreads", ctypes.c_size_t)]


class ThreadRegisters(ctypes.Structure):
    _fields_ = [("tid", _INT),
                ("name", _STR),
                ("regs", _U64 * 17)]


class FrameInfo(ctypes.Structure):
    _fields_ = [("frame", _U64),
                ("code", _U64),
                ("instr_address", _U64),
                ("instr_size", _INT),
                ("line", _INT),
                ("first_line", _INT),
                ("started", ctypes.c_bool),
                ("code_name", _U64),
                ("code_file", _U64),
                ("previous", _U64),
                ("entered_from_c", ctypes.c_bool),
                ("return_slot", _U64),
                ("instr", _U64),
                ("resume", _U64)]


# The C names of the structs, for the test that compares them with the header.
STRUCTS = {
    "pyx_program_options": ProgramOptions,
    "pyx_core_options": CoreOptions,
    "pyx_crash_info": CrashInfo,
    "pyx_repr_limits": ReprLimits,
    "pyx_census_options": CensusOptions,
    "pyx_memory_options": MemoryOptions,
    "pyx_leaks_diff_options": LeaksDiffOptions,
    "pyx_native_frame": NativeFrame,
    "pyx_native_thread": NativeThread,
    "pyx_native_stacks": NativeStacks,
    "pyx_thread_registers": ThreadRegisters,
    "pyx_frame_info": FrameInfo,
}

PROGRESS_FN = ctypes.CFUNCTYPE(None, _P, _STR, _U64, _U64)

STACK_LOCALS = 1 << 0
STACK_EXCEPTIONS = 1 << 1
STACK_NATIVE_ALL = 1 << 2

# ---- functions: name -> (restype, argtypes) ----------------------------------

ERR = _P  # struct pyx_error *: NULL on success

FUNCTIONS = {
    # errors
    "pyx_error_code": (_INT, [_P]),
    "pyx_error_message": (_STR, [_P]),
    "pyx_error_address": (_U64, [_P]),
    "pyx_error_errno": (_INT, [_P]),
    "pyx_error_code_name": (_STR, [_INT]),
    "pyx_error_destroy": (None, [_P]),
    "pyx_free": (None, [_P]),
    # targets
    "pyx_target_create_pid": (ERR, [_INT, _PP]),
    "pyx_target_create_core": (ERR, [_STR, ctypes.POINTER(CoreOptions), _PP]),
    "pyx_target_destroy": (None, [_P]),
    "pyx_target_read": (ERR, [_P, _U64, _P, ctypes.c_size_t]),
    "pyx_target_flush": (None, [_P]),
    "pyx_target_is_live": (ctypes.c_bool, [_P]),
    "pyx_target_pid": (_INT, [_P]),
    "pyx_target_pause": (ERR, [_P]),
    "pyx_target_resume": (None, [_P]),
    "pyx_target_is_paused": (ctypes.c_bool, [_P]),
    "pyx_target_tracer": (_INT, [_P]),
    "pyx_target_interrupt": (None, [_P, ctypes.c_bool]),
    "pyx_target_interrupted": (ctypes.c_bool, [_P]),
    "pyx_target_set_progress": (None, [_P, PROGRESS_FN, _P]),
    "pyx_target_num_warnings": (ctypes.c_size_t, [_P]),
    "pyx_target_warning": (_STR, [_P, ctypes.c_size_t]),
    "pyx_target_crash_info": (None, [_P, ctypes.POINTER(CrashInfo)]),
    "pyx_target_set_crash_info": (None, [_P, ctypes.POINTER(CrashInfo)]),
    # programs
    "pyx_program_create": (ERR, [_P, ctypes.POINTER(ProgramOptions), _PP]),
    "pyx_program_destroy": (None, [_P]),
    "pyx_program_target": (_P, [_P]),
    "pyx_program_python_version": (ctypes.c_uint32, [_P]),
    "pyx_program_is_debug_build": (ctypes.c_bool, [_P]),
    "pyx_program_num_warnings": (ctypes.c_size_t, [_P]),
    "pyx_program_warning": (_STR, [_P, ctypes.c_size_t]),
    "pyx_program_flush": (None, [_P]),
    # JSON queries
    "pyx_stack_json": (ERR, [_P, _U64, ctypes.c_uint, _PP]),
    "pyx_object_json": (ERR, [_P, _U64, ctypes.POINTER(ReprLimits), _PP]),
    "pyx_object_repr": (ERR, [_P, _U64, ctypes.POINTER(ReprLimits), _PP]),
    "pyx_object_fields_json": (ERR, [_P, _U64, ctypes.POINTER(ReprLimits), _PP]),
    "pyx_object_type_name": (ERR, [_P, _U64, _PP]),
    "pyx_info_json": (ERR, [_P, _PP]),
    "pyx_modules_json": (ERR, [_P, _PP]),
    "pyx_gc_json": (ERR, [_P, _PP]),
    "pyx_census_json": (ERR, [_P, ctypes.POINTER(CensusOptions), _PP]),
    "pyx_census_all_heap_json": (ERR, [_P, ctypes.POINTER(CensusOptions), _PP]),
    "pyx_memory_json": (ERR, [_P, ctypes.POINTER(MemoryOptions), _PP]),
    "pyx_referrers_json": (ERR, [_P, _U64, _PP]),
    "pyx_path_json": (ERR, [_P, _U64, _INT, _PP]),
    "pyx_path_dot": (ERR, [_P, _U64, _INT, _INT, _STR]),
    "pyx_index_json": (ERR, [_P, _PP]),
    "pyx_leaks_snapshot": (ERR, [_P, _STR, _PP]),
    "pyx_leaks_diff_json": (ERR, [_P, _STR, ctypes.POINTER(LeaksDiffOptions), _PP]),
    "pyx_leaks_refcheck_json": (ERR, [_P, _INT, _PP]),
    "pyx_pools_json": (ERR, [_P, _PP]),
    "pyx_arenas_json": (ERR, [_P, ctypes.c_uint, _PP]),
    "pyx_arenas_map_svg": (ERR, [_P, _PP]),
    "pyx_malloc_json": (ERR, [_P, _U64, _PP]),
    # hung services
    "pyx_tasks_json": (ERR, [_P, _PP]),
    "pyx_locks_json": (ERR, [_P, _PP]),
    # native frames
    "pyx_native_unwind": (ERR, [_P, ctypes.POINTER(ctypes.POINTER(NativeStacks))]),
    "pyx_native_stacks_destroy": (None, [ctypes.POINTER(NativeStacks)]),
    "pyx_native_unwind_registers": (ERR, [_P, ctypes.POINTER(ThreadRegisters), ctypes.c_size_t,
                                          ctypes.POINTER(ctypes.POINTER(NativeStacks))]),
    "pyx_stack_native_json": (ERR, [_P, _U64, ctypes.c_uint,
                                    ctypes.POINTER(NativeStacks), _PP]),
    "pyx_triage_json": (ERR, [_P, ctypes.POINTER(NativeStacks), _PP]),
    # running frames
    "pyx_thread_frame": (ERR, [_P, _INT, ctypes.POINTER(FrameInfo)]),
    "pyx_frame_info_at": (ERR, [_P, _U64, ctypes.POINTER(FrameInfo)]),
    "pyx_thread_pushed_frame": (ERR, [_P, _INT, _U64, ctypes.POINTER(FrameInfo)]),
    "pyx_code_json": (ERR, [_P, _U64, _PP]),
    "pyx_frame_json": (ERR, [_P, _U64, _STR, ctypes.POINTER(ReprLimits), _PP]),
    "pyx_code_find_json": (ERR, [_P, _U64, _STR, _STR, _INT, _PP]),
    "pyx_entry_points_json": (ERR, [_P, _PP]),
}


# ---- loading -----------------------------------------------------------------

# The library's SONAME: what the dynamic loader finds (the Debian package's
# multiarch directory, LD_LIBRARY_PATH, ldconfig's cache).
SONAME = "libpyxray.so.0"


def library_candidates():
    """Where libpyxray is looked for, in order: $PYXRAY_LIBRARY, then
    beside the package as make stages it (build/python/pyxray ->
    build/), as it sits in a checkout (gdb/pyxray -> build/), as make
    install puts it (PREFIX/share/pyxray/pyxray -> PREFIX/lib), and last
    by its SONAME through the dynamic loader (as the Debian package
    installs it)."""
    env = os.environ.get("PYXRAY_LIBRARY")
    if env:
        yield env
    up2 = os.path.dirname(os.path.dirname(_HERE))
    yield os.path.join(up2, "libpyxray.so")
    yield os.path.join(up2, "build", "libpyxray.so")
    yield os.path.join(os.path.dirname(up2), "lib", SONAME)
    yield SONAME


def _loaded_path(name):
    """The file the dynamic loader opened for a library loaded by name."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip()
                if os.path.basename(path).startswith(name):
                    return path
    except OSError:
        pass
    return name


_lib = None
_lib_path = None


def lib():
    """The loaded library, every prototype set."""
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    tried = []
    for path in library_candidates():
        by_name = "/" not in path
        if not by_name and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            l = ctypes.CDLL(path)
        except OSError as e:
            if by_name:  # not installed: say where else was looked
                tried.append("%s (the loader's path)" % path)
                continue
            raise errors.Error("cannot load %s: %s" % (path, e), "no-library")
        if by_name:
            path = _loaded_path(path)
        for name, (restype, argtypes) in FUNCTIONS.items():
            try:
                fn = getattr(l, name)
            except AttributeError:
                raise errors.Error("%s is older than this pyxray package (it has no "
                                   "%s): rebuild it with make" % (path, name),
                                   "no-library")
            fn.restype = restype
            fn.argtypes = argtypes
        _lib, _lib_path = l, path
        return l
    raise errors.Error("libpyxray not found (looked in %s): run `make` in the pyxray "
                       "checkout, or set PYXRAY_LIBRARY" % ", ".join(tried), "no-library")


def library_path():
    lib()
    return _lib_path


# ---- errors ------------------------------------------------------------------

def _text(b):
    return b.decode("utf-8", "replace") if b is not None else None


def error_from(err):
    """The exception for a struct pyx_error * (which is destroyed)."""
    l = lib()
    try:
        code = l.pyx_error_code(err)
        name = _text(l.pyx_error_code_name(code))
        message = _text(l.pyx_error_message(err))
        cls = errors.CLASSES.get(name, errors.Error)
        if cls is errors.FaultError:
            return cls(message, name, address=l.pyx_error_address(err))
        if cls is errors.SystemCallError:
            num = l.pyx_error_errno(err) or (_errno.EPERM if name == "permission" else 0)
            return cls(num, message, name)
        return cls(message, name)
    finally:
        l.pyx_error_destroy(err)


def check(err):
    """Raise the exception for err, unless it is NULL."""
    if err:
        raise error_from(err)


def take_string(ptr):
    """A malloc'ed C string from the engine, as str (and freed)."""
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib().pyx_free(ptr)


def encode(s):
    return os.fsencode(s) if s is not None else None


def native_stacks(threads):
    """NativeStacks for the engine from [(tid, name, [frame, ...][,
    truncated])], each frame with .pc, .function, .module, .file, .line
    and optionally .sp, .inlined, .signal_frame, .activation (innermost
    first),
    as a front door that unwinds by itself (gdb) builds them.  The result
    keeps its buffers alive while it is."""
    arrays = []
    cthreads = (NativeThread * max(len(threads), 1))()
    for i, thread in enumerate(threads):
        tid, name, frames = thread[:3]
        truncated = thread[3] if len(thread) > 3 else False
        arr = (NativeFrame * max(len(frames), 1))()
        for k, f in enumerate(frames):
            arr[k] = NativeFrame(f.pc, encode(f.function), encode(f.module),
                                 encode(f.file), f.line or 0, getattr(f, "sp", 0) or 0,
                                 bool(getattr(f, "inlined", False)),
                                 bool(getattr(f, "signal_frame", False)),
                                 bool(getattr(f, "activation", k == 0)))
        arrays.append(arr)
        cthreads[i] = NativeThread(tid, encode(name), arr, len(frames), bool(truncated), None)
    stacks = NativeStacks(cthreads, len(threads))
    stacks._keep = (arrays, cthreads)
    return stacks
