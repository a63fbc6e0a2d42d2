"""The layout fields pyxray reads, per CPython version.

Each entry names a value the engine needs: an offset (offsetof), a size
(sizeof), a constant (a macro or enum value) or a bit mask inside a bit
field.  generate.py compiles a probe against each version's own headers
(with Py_BUILD_CORE, so the internal structs are visible) and writes the
values into src/runtime/layouts/.  An id may have several entries for different
version ranges (a field that moved or was renamed); versions outside every
range get no value (PYX_ABSENT).

Ranges are inclusive (major, minor) pairs.
"""

ALL = ((3, 8), (3, 99))

FIELDS = []


def _add(kind, ident, ctype, expr, since, until):
    FIELDS.append(dict(kind=kind, id=ident, ctype=ctype, expr=expr,
                       since=since, until=until))


def off(ident, ctype, member, since=(3, 8), until=(3, 99)):
    _add("offset", ident, ctype, member, since, until)


def size(ident, ctype, since=(3, 8), until=(3, 99)):
    _add("size", ident, ctype, None, since, until)


def msize(ident, ctype, member, since=(3, 8), until=(3, 99)):
    """sizeof one member of ctype."""
    _add("msize", ident, ctype, member, since, until)


def const(ident, expr, since=(3, 8), until=(3, 99)):
    _add("const", ident, None, expr, since, until)


def bits(ident, ctype, member, field, since=(3, 8), until=(3, 99)):
    """Mask of bit field `field` inside the 32-bit `member` of ctype."""
    _add("bits", ident, ctype, (member, field), since, until)


# --- PyObject and friends --------------------------------------------------
size("PyObject", "PyObject")
size("PyVarObject", "PyVarObject")
off("PyObject_ob_refcnt", "PyObject", "ob_refcnt")
# 3.14 split the refcount word: a 32-bit ob_refcnt (what Py_REFCNT()
# returns), ob_overflow, and ob_flags (static-object bits) at the top.
msize("PyObject_ob_refcnt_size", "PyObject", "ob_refcnt")
off("PyObject_ob_type", "PyObject", "ob_type")
off("PyVarObject_ob_size", "PyVarObject", "ob_size")

size("PyGC_Head", "PyGC_Head")
off("PyGC_Head_gc_next", "PyGC_Head", "_gc_next")
off("PyGC_Head_gc_prev", "PyGC_Head", "_gc_prev")
const("_PyGC_PREV_SHIFT", "_PyGC_PREV_SHIFT")

# --- types -----------------------------------------------------------------
size("PyTypeObject", "PyTypeObject")
size("PyHeapTypeObject", "PyHeapTypeObject")
for f in ("tp_name", "tp_basicsize", "tp_itemsize", "tp_dealloc", "tp_repr",
          "tp_flags", "tp_traverse", "tp_dictoffset", "tp_dict", "tp_mro",
          "tp_base", "tp_bases", "tp_weaklistoffset", "tp_is_gc", "tp_free",
          "tp_members",
          "tp_alloc", "tp_subclasses"):
    off("PyTypeObject_" + f, "PyTypeObject", f)
for f in ("ht_name", "ht_qualname", "ht_slots", "ht_cached_keys"):
    off("PyHeapTypeObject_" + f, "PyHeapTypeObject", f)
off("PyHeapTypeObject_ht_module", "PyHeapTypeObject", "ht_module", since=(3, 9))
for flag in ("HEAPTYPE", "HAVE_GC", "LONG_SUBCLASS", "LIST_SUBCLASS",
             "TUPLE_SUBCLASS", "BYTES_SUBCLASS", "UNICODE_SUBCLASS",
             "DICT_SUBCLASS", "BASE_EXC_SUBCLASS", "TYPE_SUBCLASS"):
    const("Py_TPFLAGS_" + flag, "Py_TPFLAGS_" + flag)
const("Py_TPFLAGS_MANAGED_DICT", "Py_TPFLAGS_MANAGED_DICT", since=(3, 11))
const("Py_TPFLAGS_MANAGED_WEAKREF", "Py_TPFLAGS_MANAGED_WEAKREF", since=(3, 12))
const("Py_TPFLAGS_INLINE_VALUES", "Py_TPFLAGS_INLINE_VALUES", since=(3, 13))
const("_Py_IMMORTAL_REFCNT", "_Py_IMMORTAL_REFCNT", since=(3, 12), until=(3, 13))
# 3.12+: an object is immortal when its 32-bit refcount has the sign bit
# set; 3.14 names the bound and starts immortals at 3 << 30.
const("_Py_IMMORTAL_MINIMUM_REFCNT", "_Py_IMMORTAL_MINIMUM_REFCNT", since=(3, 14))
const("_Py_IMMORTAL_INITIAL_REFCNT", "_Py_IMMORTAL_INITIAL_REFCNT", since=(3, 14))

# --- simple objects --------------------------------------------------------
size("PyTupleObject", "PyTupleObject")
off("PyTupleObject_ob_item", "PyTupleObject", "ob_item")
size("PyListObject", "PyListObject")
off("PyListObject_ob_item", "PyListObject", "ob_item")
off("PyListObject_allocated", "PyListObject", "allocated")
size("PyFloatObject", "PyFloatObject")
off("PyFloatObject_ob_fval", "PyFloatObject", "ob_fval")
size("PyBytesObject", "PyBytesObject")
off("PyBytesObject_ob_shash", "PyBytesObject", "ob_shash")
off("PyBytesObject_ob_sval", "PyBytesObject", "ob_sval")
size("PyLongObject", "PyLongObject")
off("PyLongObject_ob_digit", "PyLongObject", "ob_digit", until=(3, 11))
off("PyLongObject_ob_digit", "PyLongObject", "long_value.ob_digit", since=(3, 12))
off("PyLongObject_lv_tag", "PyLongObject", "long_value.lv_tag", since=(3, 12))
const("PyLong_SHIFT", "PyLong_SHIFT")
const("_PyLong_NON_SIZE_BITS", "_PyLong_NON_SIZE_BITS", since=(3, 12))
size("digit", "digit")

# --- str -------------------------------------------------------------------
size("PyASCIIObject", "PyASCIIObject")
size("PyCompactUnicodeObject", "PyCompactUnicodeObject")
size("PyUnicodeObject", "PyUnicodeObject")
off("PyASCIIObject_length", "PyASCIIObject", "length")
off("PyASCIIObject_hash", "PyASCIIObject", "hash")
off("PyASCIIObject_state", "PyASCIIObject", "state")
bits("PyASCIIObject_state_interned", "PyASCIIObject", "state", "interned")
bits("PyASCIIObject_state_kind", "PyASCIIObject", "state", "kind")
bits("PyASCIIObject_state_compact", "PyASCIIObject", "state", "compact")
bits("PyASCIIObject_state_ascii", "PyASCIIObject", "state", "ascii")
bits("PyASCIIObject_state_ready", "PyASCIIObject", "state", "ready", until=(3, 11))
off("PyCompactUnicodeObject_utf8_length", "PyCompactUnicodeObject", "utf8_length")
off("PyCompactUnicodeObject_utf8", "PyCompactUnicodeObject", "utf8")
off("PyUnicodeObject_data", "PyUnicodeObject", "data")

# --- dict ------------------------------------------------------------------
size("PyDictObject", "PyDictObject")
off("PyDictObject_ma_used", "PyDictObject", "ma_used")
off("PyDictObject_ma_keys", "PyDictObject", "ma_keys")
off("PyDictObject_ma_values", "PyDictObject", "ma_values")
size("PyDictKeysObject", "PyDictKeysObject")
off("PyDictKeysObject_dk_refcnt", "PyDictKeysObject", "dk_refcnt")
off("PyDictKeysObject_dk_size", "PyDictKeysObject", "dk_size", until=(3, 10))
off("PyDictKeysObject_dk_log2_size", "PyDictKeysObject", "dk_log2_size", since=(3, 11))
off("PyDictKeysObject_dk_log2_index_bytes", "PyDictKeysObject", "dk_log2_index_bytes", since=(3, 11))
off("PyDictKeysObject_dk_kind", "PyDictKeysObject", "dk_kind", since=(3, 11))
off("PyDictKeysObject_dk_usable", "PyDictKeysObject", "dk_usable")
off("PyDictKeysObject_dk_nentries", "PyDictKeysObject", "dk_nentries")
off("PyDictKeysObject_dk_indices", "PyDictKeysObject", "dk_indices")
size("PyDictKeyEntry", "PyDictKeyEntry")
off("PyDictKeyEntry_me_hash", "PyDictKeyEntry", "me_hash")
off("PyDictKeyEntry_me_key", "PyDictKeyEntry", "me_key")
off("PyDictKeyEntry_me_value", "PyDictKeyEntry", "me_value")
size("PyDictUnicodeEntry", "PyDictUnicodeEntry", since=(3, 11))
off("PyDictUnicodeEntry_me_key", "PyDictUnicodeEntry", "me_key", since=(3, 11))
off("PyDictUnicodeEntry_me_value", "PyDictUnicodeEntry", "me_value", since=(3, 11))
const("DICT_KEYS_GENERAL", "DICT_KEYS_GENERAL", since=(3, 11))
off("PyDictValues_values", "PyDictValues", "values", since=(3, 11))
off("PyDictValues_capacity", "PyDictValues", "capacity", since=(3, 13))
off("PyDictValues_size", "PyDictValues", "size", since=(3, 13))
off("PyDictValues_embedded", "PyDictValues", "embedded", since=(3, 13))
off("PyDictValues_valid", "PyDictValues", "valid", since=(3, 13))

# --- set -------------------------------------------------------------------
size("PySetObject", "PySetObject")
off("PySetObject_fill", "PySetObject", "fill")
off("PySetObject_used", "PySetObject", "used")
off("PySetObject_mask", "PySetObject", "mask")
off("PySetObject_table", "PySetObject", "table")
off("PySetObject_smalltable", "PySetObject", "smalltable")
size("setentry", "setentry")
off("setentry_key", "setentry", "key")
off("setentry_hash", "setentry", "hash")

# --- functions, methods, cells, modules ------------------------------------
size("PyFunctionObject", "PyFunctionObject")
for f in ("func_code", "func_globals", "func_name", "func_qualname",
          "func_module", "func_closure", "func_defaults", "func_kwdefaults",
          "func_dict", "func_doc"):
    off("PyFunctionObject_" + f, "PyFunctionObject", f)
off("PyFunctionObject_func_builtins", "PyFunctionObject", "func_builtins", since=(3, 10))
size("PyMethodObject", "PyMethodObject")
off("PyMethodObject_im_func", "PyMethodObject", "im_func")
off("PyMethodObject_im_self", "PyMethodObject", "im_self")
# Built-in methods (a lock's bound __exit__ that a `with` block keeps on
# its frame's stack up to 3.13) and method descriptors (3.14 keeps the
# unbound __exit__ and the lock in two slots instead).
off("PyCFunctionObject_m_ml", "PyCFunctionObject", "m_ml")
off("PyCFunctionObject_m_self", "PyCFunctionObject", "m_self")
off("PyMethodDef_ml_name", "PyMethodDef", "ml_name")
off("PyMethodDescrObject_d_method", "PyMethodDescrObject", "d_method")
size("PyCellObject", "PyCellObject")
off("PyCellObject_ob_ref", "PyCellObject", "ob_ref")
size("PyModuleObject", "PyModuleObject")
off("PyModuleObject_md_dict", "PyModuleObject", "md_dict")
off("PyModuleObject_md_name", "PyModuleObject", "md_name")
# An extension module's state (m_size bytes at md_state) holds its types
# and caches: refcheck counts the references found there.
# (Up to 3.14 the size is the definition's m_size; 3.15 keeps it in the
# module, md_state_size.)
off("PyModuleObject_md_def", "PyModuleObject", "md_def", until=(3, 14))
off("PyModuleObject_md_state", "PyModuleObject", "md_state")
off("PyModuleObject_md_state_size", "PyModuleObject", "md_state_size", since=(3, 15))
off("PyModuleDef_m_size", "PyModuleDef", "m_size")

# --- code objects ----------------------------------------------------------
size("PyCodeObject", "PyCodeObject")
for f in ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount",
          "co_flags", "co_firstlineno", "co_filename", "co_name",
          "co_consts", "co_names", "co_stacksize", "co_nlocals"):
    off("PyCodeObject_" + f, "PyCodeObject", f)
off("PyCodeObject_co_qualname", "PyCodeObject", "co_qualname", since=(3, 11))
off("PyCodeObject_co_code", "PyCodeObject", "co_code", until=(3, 10))
off("PyCodeObject_co_lnotab", "PyCodeObject", "co_lnotab", until=(3, 9))
off("PyCodeObject_co_linetable", "PyCodeObject", "co_linetable", since=(3, 10))
off("PyCodeObject_co_varnames", "PyCodeObject", "co_varnames", until=(3, 10))
off("PyCodeObject_co_cellvars", "PyCodeObject", "co_cellvars", until=(3, 10))
off("PyCodeObject_co_freevars", "PyCodeObject", "co_freevars", until=(3, 10))
off("PyCodeObject_co_cell2arg", "PyCodeObject", "co_cell2arg", until=(3, 10))
off("PyCodeObject_co_localsplusnames", "PyCodeObject", "co_localsplusnames", since=(3, 11))
off("PyCodeObject_co_localspluskinds", "PyCodeObject", "co_localspluskinds", since=(3, 11))
off("PyCodeObject_co_nlocalsplus", "PyCodeObject", "co_nlocalsplus", since=(3, 11))
off("PyCodeObject_co_framesize", "PyCodeObject", "co_framesize", since=(3, 12))
off("PyCodeObject_co_firsttraceable", "PyCodeObject", "_co_firsttraceable", since=(3, 11))
off("PyCodeObject_co_code_adaptive", "PyCodeObject", "co_code_adaptive", since=(3, 11))
const("CO_FAST_LOCAL", "CO_FAST_LOCAL", since=(3, 11))
const("CO_FAST_CELL", "CO_FAST_CELL", since=(3, 11))
const("CO_FAST_FREE", "CO_FAST_FREE", since=(3, 11))
const("CO_FAST_HIDDEN", "CO_FAST_HIDDEN", since=(3, 12))
const("CO_VARARGS", "CO_VARARGS")
const("CO_VARKEYWORDS", "CO_VARKEYWORDS")
size("_Py_CODEUNIT", "_Py_CODEUNIT")

# --- frames ----------------------------------------------------------------
size("PyFrameObject", "PyFrameObject")
off("PyFrameObject_f_back", "PyFrameObject", "f_back")
off("PyFrameObject_f_lineno", "PyFrameObject", "f_lineno")
off("PyFrameObject_f_trace", "PyFrameObject", "f_trace")
off("PyFrameObject_f_code", "PyFrameObject", "f_code", until=(3, 10))
off("PyFrameObject_f_builtins", "PyFrameObject", "f_builtins", until=(3, 10))
off("PyFrameObject_f_globals", "PyFrameObject", "f_globals", until=(3, 10))
off("PyFrameObject_f_locals", "PyFrameObject", "f_locals", until=(3, 10))
off("PyFrameObject_f_valuestack", "PyFrameObject", "f_valuestack", until=(3, 10))
off("PyFrameObject_f_stacktop", "PyFrameObject", "f_stacktop", until=(3, 9))
off("PyFrameObject_f_stackdepth", "PyFrameObject", "f_stackdepth", since=(3, 10), until=(3, 10))
off("PyFrameObject_f_lasti", "PyFrameObject", "f_lasti", until=(3, 10))
off("PyFrameObject_f_localsplus", "PyFrameObject", "f_localsplus", until=(3, 10))
off("PyFrameObject_f_executing", "PyFrameObject", "f_executing", until=(3, 9))
off("PyFrameObject_f_state", "PyFrameObject", "f_state", since=(3, 10), until=(3, 10))
off("PyFrameObject_f_frame", "PyFrameObject", "f_frame", since=(3, 11))

size("_PyInterpreterFrame", "_PyInterpreterFrame", since=(3, 11))
off("_PyInterpreterFrame_code", "_PyInterpreterFrame", "f_code", since=(3, 11), until=(3, 12))
off("_PyInterpreterFrame_code", "_PyInterpreterFrame", "f_executable", since=(3, 13))
off("_PyInterpreterFrame_previous", "_PyInterpreterFrame", "previous", since=(3, 11))
off("_PyInterpreterFrame_func", "_PyInterpreterFrame", "f_func", since=(3, 11), until=(3, 11))
off("_PyInterpreterFrame_func", "_PyInterpreterFrame", "f_funcobj", since=(3, 12))
off("_PyInterpreterFrame_globals", "_PyInterpreterFrame", "f_globals", since=(3, 11))
off("_PyInterpreterFrame_builtins", "_PyInterpreterFrame", "f_builtins", since=(3, 11))
off("_PyInterpreterFrame_locals", "_PyInterpreterFrame", "f_locals", since=(3, 11))
off("_PyInterpreterFrame_frame_obj", "_PyInterpreterFrame", "frame_obj", since=(3, 11))
off("_PyInterpreterFrame_instr", "_PyInterpreterFrame", "prev_instr", since=(3, 11), until=(3, 12))
off("_PyInterpreterFrame_instr", "_PyInterpreterFrame", "instr_ptr", since=(3, 13))
off("_PyInterpreterFrame_stacktop", "_PyInterpreterFrame", "stacktop", since=(3, 11), until=(3, 13))
# 3.14: a pointer to the top of the value stack instead of an index.
off("_PyInterpreterFrame_stackpointer", "_PyInterpreterFrame", "stackpointer", since=(3, 14))
off("_PyInterpreterFrame_is_entry", "_PyInterpreterFrame", "is_entry", since=(3, 11), until=(3, 11))
off("_PyInterpreterFrame_owner", "_PyInterpreterFrame", "owner", since=(3, 11))
off("_PyInterpreterFrame_localsplus", "_PyInterpreterFrame", "localsplus", since=(3, 11))
const("FRAME_OWNED_BY_THREAD", "FRAME_OWNED_BY_THREAD", since=(3, 11))
const("FRAME_OWNED_BY_GENERATOR", "FRAME_OWNED_BY_GENERATOR", since=(3, 11))
const("FRAME_OWNED_BY_FRAME_OBJECT", "FRAME_OWNED_BY_FRAME_OBJECT", since=(3, 11))
const("FRAME_OWNED_BY_CSTACK", "FRAME_OWNED_BY_CSTACK", since=(3, 12), until=(3, 14))
# 3.14: the frame the eval loop pushes when C calls into Python (3.12 and
# 3.13 gave it to the C stack); 3.15 has no C-stack owner any more.
const("FRAME_OWNED_BY_INTERPRETER", "FRAME_OWNED_BY_INTERPRETER", since=(3, 14))
# The opcodes every Python function starts with (and generators resume
# at): py-break stops where the eval loop dispatches them.
const("RESUME", "RESUME", since=(3, 11))
const("RESUME_QUICK", "RESUME_QUICK", since=(3, 11), until=(3, 11))
const("RESUME_CHECK", "RESUME_CHECK", since=(3, 13))
const("RESUME_CHECK_JIT", "RESUME_CHECK_JIT", since=(3, 15))
const("INSTRUMENTED_RESUME", "INSTRUMENTED_RESUME", since=(3, 12))
off("_PyCFrame_current_frame", "_PyCFrame", "current_frame", since=(3, 11), until=(3, 12))
off("_PyCFrame_previous", "_PyCFrame", "previous", since=(3, 11), until=(3, 12))

# --- exceptions ----------------------------------------------------------
off("PyBaseExceptionObject_args", "PyBaseExceptionObject", "args")
off("PyBaseExceptionObject_traceback", "PyBaseExceptionObject", "traceback")
off("PyBaseExceptionObject_context", "PyBaseExceptionObject", "context")
off("PyBaseExceptionObject_cause", "PyBaseExceptionObject", "cause")

# --- generators (frames owned by generators, for stacks through them) ------
off("PyGenObject_gi_frame", "PyGenObject", "gi_frame", until=(3, 10))
off("PyGenObject_gi_iframe", "PyGenObject", "gi_iframe", since=(3, 11))
off("PyGenObject_gi_code", "PyGenObject", "gi_code", until=(3, 11))
off("PyGenObject_gi_name", "PyGenObject", "gi_name")
off("PyGenObject_gi_qualname", "PyGenObject", "gi_qualname")
# What a suspended coroutine awaits (_PyGen_yf): up to 3.10 the frame's
# next instruction is YIELD_FROM and the awaitable is on top of its value
# stack; 3.11 and 3.12 check the RESUME after the yield; 3.13 marks the
# generator FRAME_SUSPENDED_YIELD_FROM.  (3.10 keeps the state in the
# frame object, f_state, with the same names.)
off("PyGenObject_gi_frame_state", "PyGenObject", "gi_frame_state", since=(3, 11))
const("YIELD_FROM", "YIELD_FROM", until=(3, 10))
const("FRAME_CREATED", "FRAME_CREATED", since=(3, 10))
const("FRAME_SUSPENDED", "FRAME_SUSPENDED", since=(3, 10))
const("FRAME_SUSPENDED_YIELD_FROM", "FRAME_SUSPENDED_YIELD_FROM", since=(3, 13))
const("FRAME_SUSPENDED_YIELD_FROM_LOCKED", "FRAME_SUSPENDED_YIELD_FROM_LOCKED", since=(3, 15))
const("FRAME_EXECUTING", "FRAME_EXECUTING", since=(3, 10))
const("FRAME_CLEARED", "FRAME_CLEARED", since=(3, 10))

# --- asyncio (Modules/_asynciomodule.c, transcribed in shims.h) -------------
# Futures and tasks share their head; a Task adds what it awaits
# (task_fut_waiter), its coroutine and name, and from 3.14 the node that
# links it into its thread's list of tasks.
for f in ("fut_loop", "fut_state", "fut_result", "fut_exception", "fut_callback0",
          "fut_callbacks"):
    off("FutureObj_" + f, "FutureObj", f)
off("FutureObj_fut_awaited_by", "FutureObj", "fut_awaited_by", since=(3, 14))
off("FutureObj_fut_awaited_by_is_set", "FutureObj", "fut_awaited_by_is_set", since=(3, 14))
size("TaskObj", "TaskObj")
for f in ("task_fut_waiter", "task_coro", "task_name", "task_context"):
    off("TaskObj_" + f, "TaskObj", f)
off("TaskObj_task_num_cancels_requested", "TaskObj", "task_num_cancels_requested",
    since=(3, 11))
off("TaskObj_task_node", "TaskObj", "task_node", since=(3, 14))
const("STATE_PENDING", "STATE_PENDING")
const("STATE_CANCELLED", "STATE_CANCELLED")
const("STATE_FINISHED", "STATE_FINISHED")
off("futureiterobject_future", "futureiterobject", "future")
# 3.14: every task is linked into its thread's list (and into the
# interpreter's when its thread has exited); _asyncio's .AsyncioDebug
# section says where, and comes first when the target has it.
off("PyThreadStateImpl_asyncio_tasks_head", "_PyThreadStateImpl", "asyncio_tasks_head",
    since=(3, 14))
off("PyThreadStateImpl_asyncio_running_loop", "_PyThreadStateImpl", "asyncio_running_loop",
    since=(3, 14))
off("PyThreadStateImpl_asyncio_running_task", "_PyThreadStateImpl", "asyncio_running_task",
    since=(3, 14))
off("PyInterpreterState_asyncio_tasks_head", "PyInterpreterState", "asyncio_tasks_head",
    since=(3, 14))
size("AsyncioDebug", "struct _Py_AsyncioModuleDebugOffsets", since=(3, 14))
for sect, names in (("asyncio_task_object", ("size", "task_name", "task_awaited_by",
                                             "task_is_task", "task_awaited_by_is_set",
                                             "task_coro", "task_node")),
                    ("asyncio_interpreter_state", ("size", "asyncio_tasks_head")),
                    ("asyncio_thread_state", ("size", "asyncio_running_loop",
                                              "asyncio_running_task",
                                              "asyncio_tasks_head"))):
    for n in names:
        off("AsyncioDebug_%s_%s" % (sect, n), "struct _Py_AsyncioModuleDebugOffsets",
            "%s.%s" % (sect, n), since=(3, 14))

# --- threading's locks (Modules/_threadmodule.c, transcribed in shims.h) ---
size("lockobject", "lockobject")
size("rlockobject", "rlockobject")
off("lockobject_lock_lock", "lockobject", "lock_lock", until=(3, 13))
off("lockobject_locked", "lockobject", "locked", until=(3, 13))
off("rlockobject_rlock_lock", "rlockobject", "rlock_lock", until=(3, 13))
off("rlockobject_rlock_owner", "rlockobject", "rlock_owner", until=(3, 13))
off("rlockobject_rlock_count", "rlockobject", "rlock_count", until=(3, 13))
off("lockobject_lock", "lockobject", "lock", since=(3, 14))
off("rlockobject_lock", "rlockobject", "lock", since=(3, 14))
off("_PyRecursiveMutex_thread", "_PyRecursiveMutex", "thread", since=(3, 13))
off("_PyRecursiveMutex_level", "_PyRecursiveMutex", "level", since=(3, 13))
const("_Py_LOCKED", "_Py_LOCKED", since=(3, 13))
# Python/parking_lot.c (3.13+): a parked thread's futex word is in
# wait_entry.sema; wait_entry.addr is the address it waits on.
off("wait_entry_addr", "struct wait_entry", "addr", since=(3, 13))
off("wait_entry_sema", "struct wait_entry", "sema", since=(3, 13))

# --- weak references and bytearrays ------------------------------------------
off("PyWeakReference_wr_object", "PyWeakReference", "wr_object")
off("PyWeakReference_wr_callback", "PyWeakReference", "wr_callback")
size("PyByteArrayObject", "PyByteArrayObject")
off("PyByteArrayObject_ob_alloc", "PyByteArrayObject", "ob_alloc")
off("PyByteArrayObject_ob_bytes", "PyByteArrayObject", "ob_bytes")
# 3.15: the storage is a bytes object (sys.getsizeof counts its header).
off("PyByteArrayObject_ob_bytes_object", "PyByteArrayObject", "ob_bytes_object", since=(3, 15))

# --- threads ---------------------------------------------------------------
size("PyThreadState", "PyThreadState")
off("PyThreadState_prev", "PyThreadState", "prev")
off("PyThreadState_next", "PyThreadState", "next")
off("PyThreadState_interp", "PyThreadState", "interp")
off("PyThreadState_frame", "PyThreadState", "frame", until=(3, 10))
off("PyThreadState_cframe", "PyThreadState", "cframe", since=(3, 11), until=(3, 12))
off("PyThreadState_current_frame", "PyThreadState", "current_frame", since=(3, 13))
off("PyThreadState_thread_id", "PyThreadState", "thread_id")
off("PyThreadState_native_thread_id", "PyThreadState", "native_thread_id", since=(3, 11))
off("PyThreadState_id", "PyThreadState", "id")
off("PyThreadState_curexc_type", "PyThreadState", "curexc_type", until=(3, 11))
off("PyThreadState_curexc_value", "PyThreadState", "curexc_value", until=(3, 11))
off("PyThreadState_current_exception", "PyThreadState", "current_exception", since=(3, 12))
off("PyThreadState_exc_info", "PyThreadState", "exc_info")
off("_PyErr_StackItem_exc_value", "_PyErr_StackItem", "exc_value")
off("_PyErr_StackItem_previous_item", "_PyErr_StackItem", "previous_item")
off("PyThreadState_datastack_chunk", "PyThreadState", "datastack_chunk", since=(3, 11))
off("PyThreadState_dict", "PyThreadState", "dict")

# --- interpreters ----------------------------------------------------------
size("PyInterpreterState", "PyInterpreterState")
off("PyInterpreterState_next", "PyInterpreterState", "next")
off("PyInterpreterState_id", "PyInterpreterState", "id")
off("PyInterpreterState_threads_head", "PyInterpreterState", "tstate_head", until=(3, 10))
off("PyInterpreterState_threads_head", "PyInterpreterState", "threads.head", since=(3, 11))
off("PyInterpreterState_modules", "PyInterpreterState", "modules", until=(3, 11))
off("PyInterpreterState_modules", "PyInterpreterState", "imports.modules", since=(3, 12))
off("PyInterpreterState_sysdict", "PyInterpreterState", "sysdict")
off("PyInterpreterState_builtins", "PyInterpreterState", "builtins")
off("PyInterpreterState_gc", "PyInterpreterState", "gc", since=(3, 9))
off("PyInterpreterState_ceval_gil", "PyInterpreterState", "ceval.gil", since=(3, 12))

# --- the runtime -----------------------------------------------------------
size("_PyRuntimeState", "_PyRuntimeState")
off("_PyRuntimeState_interpreters_head", "_PyRuntimeState", "interpreters.head")
off("_PyRuntimeState_interpreters_main", "_PyRuntimeState", "interpreters.main")
off("_PyRuntimeState_main_thread", "_PyRuntimeState", "main_thread")
off("_PyRuntimeState_finalizing", "_PyRuntimeState", "finalizing", until=(3, 8))
off("_PyRuntimeState_finalizing", "_PyRuntimeState", "_finalizing", since=(3, 9))
off("_PyRuntimeState_initialized", "_PyRuntimeState", "initialized")
off("_PyRuntimeState_gilstate_tstate_current", "_PyRuntimeState",
    "gilstate.tstate_current", until=(3, 11))
off("_PyRuntimeState_ceval_gil", "_PyRuntimeState", "ceval.gil", until=(3, 11))
off("_PyRuntimeState_gc", "_PyRuntimeState", "gc", until=(3, 8))
off("_gil_runtime_state_last_holder", "struct _gil_runtime_state", "last_holder")
off("_gil_runtime_state_locked", "struct _gil_runtime_state", "locked")
off("_gil_runtime_state_switch_number", "struct _gil_runtime_state", "switch_number")

# --- the garbage collector -------------------------------------------------
size("_gc_runtime_state", "struct _gc_runtime_state")
off("_gc_runtime_state_enabled", "struct _gc_runtime_state", "enabled")
off("_gc_runtime_state_debug", "struct _gc_runtime_state", "debug")
off("_gc_runtime_state_generations", "struct _gc_runtime_state", "generations")
off("_gc_runtime_state_permanent_generation", "struct _gc_runtime_state", "permanent_generation")
off("_gc_runtime_state_generation_stats", "struct _gc_runtime_state", "generation_stats")
# 3.14.0 - 3.14.4 ran an incremental collector: generations[0..2] were its
# young list and two old spaces, and which old space was being visited sat
# where 3.14.5+ keeps a placeholder (dummy2) so that offsets did not move.
off("_gc_runtime_state_visited_space", "struct _gc_runtime_state", "dummy2",
    since=(3, 14), until=(3, 14))
# 3.15: generation_stats points at ring buffers of snapshots per generation.
off("gc_stats_young", "struct gc_stats", "young", since=(3, 15))
off("gc_stats_old", "struct gc_stats", "old", since=(3, 15))
size("gc_young_stats_buffer", "struct gc_young_stats_buffer", since=(3, 15))
size("gc_old_stats_buffer", "struct gc_old_stats_buffer", since=(3, 15))
off("gc_young_stats_buffer_index", "struct gc_young_stats_buffer", "index", since=(3, 15))
off("gc_old_stats_buffer_index", "struct gc_old_stats_buffer", "index", since=(3, 15))
const("GC_YOUNG_STATS_SIZE", "GC_YOUNG_STATS_SIZE", since=(3, 15))
const("GC_OLD_STATS_SIZE", "GC_OLD_STATS_SIZE", since=(3, 15))
off("_gc_runtime_state_collecting", "struct _gc_runtime_state", "collecting")
off("_gc_runtime_state_long_lived_total", "struct _gc_runtime_state", "long_lived_total")
off("_gc_runtime_state_long_lived_pending", "struct _gc_runtime_state", "long_lived_pending")
const("NUM_GENERATIONS", "NUM_GENERATIONS")
size("gc_generation", "struct gc_generation")
off("gc_generation_head", "struct gc_generation", "head")
off("gc_generation_threshold", "struct gc_generation", "threshold")
off("gc_generation_count", "struct gc_generation", "count")
size("gc_generation_stats", "struct gc_generation_stats")
off("gc_generation_stats_collections", "struct gc_generation_stats", "collections")
off("gc_generation_stats_collected", "struct gc_generation_stats", "collected")
off("gc_generation_stats_uncollectable", "struct gc_generation_stats", "uncollectable")

# --- _Py_DebugOffsets (3.13+): where each value sits in the target's copy ---
# Its shape changes with every minor version (fields are inserted in the
# middle of sections), so each version's table records where its fields
# are.  (field, since, until) per section.
S13, S14, S15 = (3, 13), (3, 14), (3, 15)
DEBUG_OFFSETS = (
    ("runtime_state", (("size", S13), ("finalizing", S13), ("interpreters_head", S13))),
    ("interpreter_state", (("size", S13), ("id", S13), ("next", S13),
                           ("threads_head", S13), ("threads_main", S14), ("gc", S13),
                           ("imports_modules", S13), ("sysdict", S13),
                           ("builtins", S13), ("ceval_gil", S13),
                           ("gil_runtime_state", S13),
                           ("gil_runtime_state_enabled", S13),
                           ("gil_runtime_state_locked", S13),
                           ("gil_runtime_state_holder", S13),
                           ("code_object_generation", S14), ("tlbc_generation", S14))),
    ("thread_state", (("size", S13), ("prev", S13), ("next", S13), ("interp", S13),
                      ("current_frame", S13), ("base_frame", S15),
                      ("thread_id", S13), ("native_thread_id", S13),
                      ("datastack_chunk", S13), ("status", S13),
                      ("holds_gil", S15), ("gil_requested", S15),
                      ("current_exception", S15), ("exc_state", S15))),
    ("interpreter_frame", (("size", S13), ("previous", S13), ("executable", S13),
                           ("instr_ptr", S13), ("localsplus", S13), ("owner", S13),
                           ("stackpointer", S14), ("tlbc_index", S14))),
    ("code_object", (("size", S13), ("filename", S13), ("name", S13),
                     ("qualname", S13), ("linetable", S13), ("firstlineno", S13),
                     ("argcount", S13), ("localsplusnames", S13),
                     ("localspluskinds", S13), ("co_code_adaptive", S13),
                     ("co_tlbc", S14))),
    ("pyobject", (("size", S13), ("ob_type", S13))),
    ("type_object", (("size", S13), ("tp_name", S13), ("tp_repr", S13),
                     ("tp_flags", S13), ("tp_basicsize", S15), ("tp_dictoffset", S15))),
    ("heap_type_object", (("size", S15), ("ht_cached_keys", S15))),
    ("tuple_object", (("size", S13), ("ob_item", S13), ("ob_size", S13))),
    ("list_object", (("size", S13), ("ob_item", S13), ("ob_size", S13))),
    ("set_object", (("size", S14), ("used", S14), ("table", S14), ("mask", S14))),
    ("dict_object", (("size", S13), ("ma_keys", S13), ("ma_values", S13))),
    ("float_object", (("size", S13), ("ob_fval", S13))),
    ("long_object", (("size", S13), ("lv_tag", S13), ("ob_digit", S13))),
    ("bytes_object", (("size", S13), ("ob_size", S13), ("ob_sval", S13))),
    ("unicode_object", (("size", S13), ("state", S13), ("length", S13),
                        ("asciiobject_size", S13), ("compactunicodeobject_size", S15))),
    ("gc", (("size", S13), ("collecting", S13), ("frame", S15),
            ("generation_stats_size", S15), ("generation_stats", S15))),
    ("gen_object", (("size", S14), ("gi_name", S14), ("gi_iframe", S14),
                    ("gi_frame_state", S14))),
)
size("_Py_DebugOffsets", "_Py_DebugOffsets", since=S13)
off("DebugOffsets_version", "_Py_DebugOffsets", "version", since=S13)
off("DebugOffsets_free_threaded", "_Py_DebugOffsets", "free_threaded", since=S13)
for sect, names in DEBUG_OFFSETS:
    for n, since in names:
        off("DebugOffsets_%s_%s" % (sect, n), "_Py_DebugOffsets",
            "%s.%s" % (sect, n), since=since)

# --- pymalloc (obmalloc) ---------------------------------------------------
# 3.8 - 3.11 keep these private to Objects/obmalloc.c (transcribed in
# shims.h); 3.12 moved them to Include/internal/pycore_obmalloc.h.
const("obmalloc_ALIGNMENT", "ALIGNMENT")
const("obmalloc_SMALL_REQUEST_THRESHOLD", "SMALL_REQUEST_THRESHOLD")
const("obmalloc_NB_SMALL_SIZE_CLASSES", "NB_SMALL_SIZE_CLASSES")
const("obmalloc_ARENA_SIZE", "ARENA_SIZE")
const("obmalloc_POOL_SIZE", "POOL_SIZE")
const("obmalloc_POOL_OVERHEAD", "POOL_OVERHEAD")
size("arena_object", "struct arena_object")
for f in ("address", "pool_address", "nfreepools", "ntotalpools", "freepools",
          "nextarena", "prevarena"):
    off("arena_object_" + f, "struct arena_object", f)
size("pool_header", "struct pool_header")
off("pool_header_count", "struct pool_header", "ref.count")
for f in ("freeblock", "nextpool", "prevpool", "arenaindex", "szidx",
          "nextoffset", "maxnextoffset"):
    off("pool_header_" + f, "struct pool_header", f)
# 3.8 - 3.11: file statics (arenas, maxarenas, ...) found by symbol.
# 3.12: embedded in each interpreter; 3.13: a pointer from it (the main
# interpreter's points at the static obmalloc_state_main).
off("PyInterpreterState_obmalloc", "PyInterpreterState", "obmalloc", since=(3, 12))
size("_obmalloc_state", "struct _obmalloc_state", since=(3, 12))
for f in ("arenas", "maxarenas", "unused_arena_objects", "usable_arenas",
          "narenas_currently_allocated", "ntimes_arena_allocated",
          "narenas_highwater", "raw_allocated_blocks"):
    off("_obmalloc_state_mgmt_" + f, "struct _obmalloc_state", "mgmt." + f,
        since=(3, 12))
off("_obmalloc_state_pools_used", "struct _obmalloc_state", "pools.used", since=(3, 12))
# Which allocator serves the object domain: _PyObject (a static up to
# 3.11, _PyRuntime.allocators.standard.obj from 3.12), and behind the debug
# hooks _PyMem_Debug.obj (_PyRuntime.allocators.debug.obj).
size("PyMemAllocatorEx", "PyMemAllocatorEx")
off("PyMemAllocatorEx_ctx", "PyMemAllocatorEx", "ctx")
off("PyMemAllocatorEx_malloc", "PyMemAllocatorEx", "malloc")
size("debug_alloc_api_t", "debug_alloc_api_t")
off("debug_alloc_api_t_api_id", "debug_alloc_api_t", "api_id")
off("debug_alloc_api_t_alloc", "debug_alloc_api_t", "alloc")
off("_PyRuntimeState_allocators_standard_obj", "_PyRuntimeState",
    "allocators.standard.obj", since=(3, 12))
off("_PyRuntimeState_allocators_debug_obj", "_PyRuntimeState",
    "allocators.debug.obj", since=(3, 12))

# --- tracemalloc ---------------------------------------------------------------
# Where each traced allocation came from.  3.8 - 3.11 keep the tables in
# statics of Modules/_tracemalloc.c (tracemalloc_traces, found by symbol)
# and the structs private (transcribed in shims.h); 3.12 moved them to
# _PyRuntime.tracemalloc (Include/internal/pycore_tracemalloc.h).
off("_PyTraceMalloc_Config_tracing", "struct _PyTraceMalloc_Config", "tracing")
off("_PyTraceMalloc_Config_max_nframe", "struct _PyTraceMalloc_Config", "max_nframe")
# 3.8: traces keyed by the pointer alone until a domain other than 0 is
# used, then by (pointer, domain); 3.9 keeps one table per domain.
off("_PyTraceMalloc_Config_use_domain", "struct _PyTraceMalloc_Config", "use_domain",
    until=(3, 8))
off("_PyRuntimeState_tracemalloc", "_PyRuntimeState", "tracemalloc", since=(3, 12))
for f in ("config", "traced_memory", "traces", "domains"):
    off("_tracemalloc_runtime_state_" + f, "struct _tracemalloc_runtime_state", f,
        since=(3, 12))
size("tracemalloc_frame", "frame_t", until=(3, 11))
size("tracemalloc_frame", "struct tracemalloc_frame", since=(3, 12))
for f in ("filename", "lineno"):
    off("tracemalloc_frame_" + f, "frame_t", f, until=(3, 11))
    off("tracemalloc_frame_" + f, "struct tracemalloc_frame", f, since=(3, 12))
msize("tracemalloc_traceback_nframe_size", "traceback_t", "nframe", until=(3, 11))
msize("tracemalloc_traceback_nframe_size", "struct tracemalloc_traceback", "nframe",
      since=(3, 12))
for f in ("nframe", "frames"):
    off("tracemalloc_traceback_" + f, "traceback_t", f, until=(3, 11))
    off("tracemalloc_traceback_" + f, "struct tracemalloc_traceback", f, since=(3, 12))
off("tracemalloc_traceback_total_nframe", "traceback_t", "total_nframe",
    since=(3, 9), until=(3, 11))
off("tracemalloc_traceback_total_nframe", "struct tracemalloc_traceback", "total_nframe",
    since=(3, 12))
off("trace_t_size", "trace_t", "size")
off("trace_t_traceback", "trace_t", "traceback")
# Python's own hash table (Modules/hashtable.h in 3.8, then
# Include/internal/pycore_hashtable.h): chained entries; 3.8 stores the
# key and the data inside the entry, after its header.
off("_Py_hashtable_t_nentries", "_Py_hashtable_t", "entries", until=(3, 8))
off("_Py_hashtable_t_nentries", "_Py_hashtable_t", "nentries", since=(3, 9))
off("_Py_hashtable_t_nbuckets", "_Py_hashtable_t", "num_buckets", until=(3, 8))
off("_Py_hashtable_t_nbuckets", "_Py_hashtable_t", "nbuckets", since=(3, 9))
off("_Py_hashtable_t_buckets", "_Py_hashtable_t", "buckets")
off("_Py_hashtable_t_key_size", "_Py_hashtable_t", "key_size", until=(3, 8))
size("_Py_hashtable_entry_t", "_Py_hashtable_entry_t")
off("_Py_hashtable_entry_t_key_hash", "_Py_hashtable_entry_t", "key_hash")
off("_Py_hashtable_entry_t_key", "_Py_hashtable_entry_t", "key", since=(3, 9))
off("_Py_hashtable_entry_t_value", "_Py_hashtable_entry_t", "value", since=(3, 9))

# --- built-in callables and descriptors (their reprs) ------------------------
# Built-in functions and methods: "<built-in method NAME of TYPE object at
# ADDR>" names the method (m_ml->ml_name, above) and what it is bound to
# (m_self); a module function says its module.
off("PyCFunctionObject_m_module", "PyCFunctionObject", "m_module")
# Descriptors of built-in types: "<method 'append' of 'list' objects>".
off("PyDescrObject_d_type", "PyDescrObject", "d_type")
off("PyDescrObject_d_name", "PyDescrObject", "d_name")
# Objects/descrobject.c keeps method-wrappers' struct private (shims.h):
# "<method-wrapper '__add__' of int object at ADDR>".
off("wrapperobject_descr", "wrapperobject", "descr")
off("wrapperobject_self", "wrapperobject", "self")
# Objects/funcobject.c (shims.h): what classmethod() and staticmethod()
# wrap.
off("classmethod_cm_callable", "classmethod", "cm_callable")
off("staticmethod_sm_callable", "staticmethod", "sm_callable")

# --- the frame a call is pushing (py-break) -----------------------------------------
# 3.11+ push a Python call's frame at the top of the thread's data stack
# (co_framesize words, 3.11: nlocalsplus + stacksize + the frame's own
# fields); the eval loop may read the new code's first instruction before
# the thread's current frame points at it.
off("PyThreadState_datastack_top", "PyThreadState", "datastack_top", since=(3, 11))
