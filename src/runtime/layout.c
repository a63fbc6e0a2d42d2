/* layout.c - choosing a generated layout table (the registry of them is
 * runtime/layouts/tables.c), and which _Py_DebugOffsets field gives which
 * layout value. */
#include <stddef.h>

#include "runtime/layout.h"

const struct pyx_layout *layout_find(int minor, bool debug)
{
	const struct pyx_layout *release = NULL;
	for (size_t i = 0; pyx_layouts[i]; i++) {
		const struct pyx_layout *l = pyx_layouts[i];
		if (l->minor != minor)
			continue;
		if (l->debug == debug)
			return l;
		if (!l->debug)
			release = l;
	}
	/* Py_DEBUG changes none of the fields we read in the versions we
	 * have checked; the release table is the best guess. */
	return release;
}

void layout_range(int *oldest, int *newest)
{
	*oldest = 99;
	*newest = 0;
	for (size_t i = 0; pyx_layouts[i]; i++) {
		if (pyx_layouts[i]->minor < *oldest)
			*oldest = pyx_layouts[i]->minor;
		if (pyx_layouts[i]->minor > *newest)
			*newest = pyx_layouts[i]->minor;
	}
}

#define M(sect, name, field) \
	{ PYX_L_DebugOffsets_##sect##_##name, PYX_L_##field }

const struct debug_offset_map pyx_debug_offset_map[] = {
	M(runtime_state, finalizing, _PyRuntimeState_finalizing),
	M(runtime_state, interpreters_head, _PyRuntimeState_interpreters_head),
	M(interpreter_state, size, PyInterpreterState),
	M(interpreter_state, id, PyInterpreterState_id),
	M(interpreter_state, next, PyInterpreterState_next),
	M(interpreter_state, threads_head, PyInterpreterState_threads_head),
	M(interpreter_state, gc, PyInterpreterState_gc),
	M(interpreter_state, imports_modules, PyInterpreterState_modules),
	M(interpreter_state, sysdict, PyInterpreterState_sysdict),
	M(interpreter_state, builtins, PyInterpreterState_builtins),
	M(interpreter_state, ceval_gil, PyInterpreterState_ceval_gil),
	/* gil_runtime_state_{locked,holder} are relative to the interpreter
	 * (its own _gil), not to the gil struct: program.c derives them. */
	M(thread_state, size, PyThreadState),
	M(thread_state, prev, PyThreadState_prev),
	M(thread_state, next, PyThreadState_next),
	M(thread_state, interp, PyThreadState_interp),
	M(thread_state, current_frame, PyThreadState_current_frame),
	M(thread_state, thread_id, PyThreadState_thread_id),
	M(thread_state, native_thread_id, PyThreadState_native_thread_id),
	M(thread_state, datastack_chunk, PyThreadState_datastack_chunk),
	M(interpreter_frame, size, _PyInterpreterFrame),
	M(interpreter_frame, previous, _PyInterpreterFrame_previous),
	M(interpreter_frame, executable, _PyInterpreterFrame_code),
	M(interpreter_frame, instr_ptr, _PyInterpreterFrame_instr),
	M(interpreter_frame, localsplus, _PyInterpreterFrame_localsplus),
	M(interpreter_frame, owner, _PyInterpreterFrame_owner),
	M(interpreter_frame, stackpointer, _PyInterpreterFrame_stackpointer),
	M(code_object, size, PyCodeObject),
	M(code_object, filename, PyCodeObject_co_filename),
	M(code_object, name, PyCodeObject_co_name),
	M(code_object, qualname, PyCodeObject_co_qualname),
	M(code_object, linetable, PyCodeObject_co_linetable),
	M(code_object, firstlineno, PyCodeObject_co_firstlineno),
	M(code_object, argcount, PyCodeObject_co_argcount),
	M(code_object, localsplusnames, PyCodeObject_co_localsplusnames),
	M(code_object, localspluskinds, PyCodeObject_co_localspluskinds),
	M(code_object, co_code_adaptive, PyCodeObject_co_code_adaptive),
	M(pyobject, size, PyObject),
	M(pyobject, ob_type, PyObject_ob_type),
	M(type_object, size, PyTypeObject),
	M(type_object, tp_name, PyTypeObject_tp_name),
	M(type_object, tp_repr, PyTypeObject_tp_repr),
	M(type_object, tp_flags, PyTypeObject_tp_flags),
	M(type_object, tp_basicsize, PyTypeObject_tp_basicsize),
	M(type_object, tp_dictoffset, PyTypeObject_tp_dictoffset),
	M(heap_type_object, ht_cached_keys, PyHeapTypeObject_ht_cached_keys),
	M(tuple_object, size, PyTupleObject),
	M(tuple_object, ob_item, PyTupleObject_ob_item),
	M(list_object, size, PyListObject),
	M(list_object, ob_item, PyListObject_ob_item),
	M(set_object, size, PySetObject),
	M(set_object, used, PySetObject_used),
	M(set_object, table, PySetObject_table),
	M(set_object, mask, PySetObject_mask),
	M(dict_object, size, PyDictObject),
	M(dict_object, ma_keys, PyDictObject_ma_keys),
	M(dict_object, ma_values, PyDictObject_ma_values),
	M(float_object, size, PyFloatObject),
	M(float_object, ob_fval, PyFloatObject_ob_fval),
	M(long_object, size, PyLongObject),
	M(long_object, lv_tag, PyLongObject_lv_tag),
	M(long_object, ob_digit, PyLongObject_ob_digit),
	M(bytes_object, size, PyBytesObject),
	M(bytes_object, ob_sval, PyBytesObject_ob_sval),
	M(unicode_object, size, PyUnicodeObject),
	M(unicode_object, state, PyASCIIObject_state),
	M(unicode_object, length, PyASCIIObject_length),
	M(unicode_object, asciiobject_size, PyASCIIObject),
	M(unicode_object, compactunicodeobject_size, PyCompactUnicodeObject),
	M(gc, size, _gc_runtime_state),
	M(gc, collecting, _gc_runtime_state_collecting),
	M(gc, generation_stats, _gc_runtime_state_generation_stats),
	M(gen_object, gi_name, PyGenObject_gi_name),
	M(gen_object, gi_iframe, PyGenObject_gi_iframe),
	M(gen_object, gi_frame_state, PyGenObject_gi_frame_state),
};

const size_t pyx_debug_offset_map_len =
	sizeof(pyx_debug_offset_map) / sizeof(pyx_debug_offset_map[0]);
