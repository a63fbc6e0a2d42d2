/* program.c - finding CPython in a target: _PyRuntime, the version, the
 * build, the layout, and the well-known objects. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/program.h"
#include "util/strbuf.h"

#define DEBUG_OFFSETS_COOKIE "xdebugpy"

struct pyx_error *program_add_warning(struct pyx_program *prog, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || !(msg = message_one_line(msg)))
		return pyx_error_no_memory();
	for (size_t i = 0; i < prog->nwarnings; i++) {
		if (strcmp(prog->warnings[i], msg) == 0) {
			free(msg);
			return NULL;
		}
	}
	char **w = realloc(prog->warnings, (prog->nwarnings + 1) * sizeof(*w));
	if (!w) {
		free(msg);
		return pyx_error_no_memory();
	}
	prog->warnings = w;
	prog->warnings[prog->nwarnings++] = msg;
	return NULL;
}

struct pyx_error *read_i64(struct pyx_program *prog, uint64_t addr, int64_t *ret)
{
	return pyx_target_read(prog->target, addr, ret, 8);
}

struct pyx_error *read_i32(struct pyx_program *prog, uint64_t addr, int32_t *ret)
{
	return pyx_target_read(prog->target, addr, ret, 4);
}

struct pyx_error *read_u8(struct pyx_program *prog, uint64_t addr, uint8_t *ret)
{
	return pyx_target_read(prog->target, addr, ret, 1);
}

struct pyx_error *read_u16(struct pyx_program *prog, uint64_t addr, uint16_t *ret)
{
	return pyx_target_read(prog->target, addr, ret, 2);
}

/* The module that defines _PyRuntime, preferring ones named like Python. */
static struct pyx_error *find_runtime(struct pyx_program *prog)
{
	struct pyx_modules *m = prog->modules;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < m->nmods; i++) {
			struct pyx_module *pm = &m->mods[i];
			bool pythonish = strstr(pm->name, "python") != NULL;
			if ((pass == 0) != pythonish)
				continue;
			uint64_t addr;
			if (module_lookup(pm, "_PyRuntime", &addr, NULL) ||
			    module_section(pm, ".PyRuntime", &addr, NULL)) {
				prog->python = pm;
				prog->runtime = addr;
				return NULL;
			}
		}
	}
	const char *exe = target_executable(prog->target);
	for (size_t i = 0; i < prog->target->nfiles; i++) {
		const struct mapped_file *f = &prog->target->files[i];
		if (f->state != MAPPED_FILE_OK && f->path && exe && strcmp(f->path, exe) == 0)
			return pyx_error_create(PYX_ERR_NOT_PYTHON,
				"the executable %s named in core file %s is %s: give the "
				"matching executable (gdb PYTHON CORE, or --exe), or the "
				"directory the crashed system's files are under (gdb's set "
				"sysroot, or --sysroot)",
				exe, prog->target->core_path,
				f->state == MAPPED_FILE_MISSING ? "missing here" : "a different build here");
	}
	for (size_t i = 0; i < prog->target->nfiles; i++) {
		const struct mapped_file *f = &prog->target->files[i];
		const char *base = f->path ? strrchr(f->path, '/') : NULL;
		if (f->state == MAPPED_FILE_OK || !base || strncmp(base + 1, "libpython", 9) != 0)
			continue;
		return pyx_error_create(PYX_ERR_NOT_PYTHON,
			"the libpython core file %s was dumped with, %s, is %s: give "
			"the directory it is in now (--lib-path, gdb's "
			"solib-search-path), or the directory the crashed system's "
			"files are under (--sysroot, gdb's set sysroot)",
			prog->target->core_path, f->path,
			f->state == MAPPED_FILE_MISSING ? "missing here" : "a different build here");
	}
	for (size_t i = 0; i < m->nmods; i++) {
		const char *base = strrchr(m->mods[i].name, '/');
		base = base ? base + 1 : m->mods[i].name;
		const char *v = strncmp(base, "lib", 3) == 0 ? base + 3 : base;
		if (strncmp(v, "python2", 7) == 0 ||
		    (strncmp(v, "python3.", 8) == 0 && v[8] >= '0' && v[8] <= '6' &&
		     (v[9] < '0' || v[9] > '9')))
			return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
				"%s is a CPython older than 3.7 (it has no _PyRuntime): not "
				"supported (this pyxray knows 3.8 and later); use the "
				"python-gdb.py that came with it", m->mods[i].name);
	}
	if (prog->target->kind == TARGET_PID)
		return pyx_error_create(PYX_ERR_NOT_PYTHON,
			"process %d (%s) is not running CPython: no _PyRuntime in "
			"it or its libraries", prog->target->pid, exe ? exe : "?");
	const struct pyx_target *t = prog->target;
	if (t->missing_bytes || t->notes_missing) {
		char missing[64] = "";
		if (t->missing_bytes)
			snprintf(missing, sizeof(missing), "%llu bytes of memory",
				 (unsigned long long)t->missing_bytes);
		return pyx_error_create(PYX_ERR_BAD_CORE,
			"core file %s is truncated (%s%s%s are missing) and no _PyRuntime "
			"was found in what is left: get a complete core (was the disk full, "
			"or ulimit -c too small?)", t->core_path, missing,
			t->missing_bytes && t->notes_missing ? " and " : "",
			t->notes_missing ? "its notes, which name the mapped files," : "");
	}
	return pyx_error_create(PYX_ERR_NOT_PYTHON,
		"core file %s (%s) is not from a CPython process: no _PyRuntime "
		"in its modules (if the executable or libpython is missing on "
		"this machine, name the executable, the directory its files are "
		"under (--sysroot, gdb's set sysroot) or where libpython is "
		"(--lib-path, gdb's solib-search-path))",
		prog->target->core_path, exe ? exe : "executable unknown");
}

/* An error opening a damaged core says what the core's warnings said
 * (truncated, a mapped file missing): they are why, more often than not,
 * and a front door only prints warnings of a program it could open. */
static struct pyx_error *with_target_warnings(struct pyx_program *prog,
					      struct pyx_error *err)
{
	const struct pyx_target *t = prog->target;
	if (!err || !t->nwarnings || pyx_error_code(err) == PYX_ERR_NO_MEMORY)
		return err;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < t->nwarnings; i++) {
		strbuf_puts(&sb, i ? "; " : "");
		strbuf_puts(&sb, t->warnings[i]);
	}
	if (!sb.oom && sb.s)
		err = pyx_error_append(err, "(note: %s)", sb.s);
	strbuf_release(&sb);
	return err;
}

/* On a core cut short, a failure to make sense of it is most likely the
 * cut's doing: say so first. */
static struct pyx_error *truncated_core(struct pyx_program *prog, struct pyx_error *err)
{
	const struct pyx_target *t = prog->target;
	if (!err || t->kind != TARGET_CORE || !(t->missing_bytes || t->notes_missing) ||
	    pyx_error_code(err) == PYX_ERR_NO_MEMORY || pyx_error_code(err) == PYX_ERR_BAD_CORE)
		return err;
	char missing[64] = "";
	if (t->missing_bytes)
		snprintf(missing, sizeof(missing), "%llu bytes of memory",
			 (unsigned long long)t->missing_bytes);
	struct pyx_error *bad = pyx_error_create(PYX_ERR_BAD_CORE,
		"core file %s is truncated (%s%s%s are missing): get a complete core (was the "
		"disk full, or ulimit -c too small?); what is left could not be read: %s",
		t->core_path, missing, t->missing_bytes && t->notes_missing ? " and " : "",
		t->notes_missing ? "its notes, which name the mapped files," : "",
		pyx_error_message(err));
	pyx_error_destroy(err);
	return bad;
}

static int minor_from_name(const char *name)
{
	const char *p = name;
	while ((p = strstr(p, "python3."))) {
		p += strlen("python3.");
		if (isdigit((unsigned char)*p))
			return atoi(p);
	}
	return -1;
}

static uint64_t sym(struct pyx_program *prog, const char *name)
{
	uint64_t addr = 0;
	if (!module_lookup(prog->python, name, &addr, NULL))
		return 0;
	return addr;
}

static void find_well_known(struct pyx_program *prog)
{
	struct well_known *wk = &prog->wk;
	wk->type_type = sym(prog, "PyType_Type");
	wk->object_type = sym(prog, "PyBaseObject_Type");
	wk->long_type = sym(prog, "PyLong_Type");
	wk->bool_type = sym(prog, "PyBool_Type");
	wk->float_type = sym(prog, "PyFloat_Type");
	wk->complex_type = sym(prog, "PyComplex_Type");
	wk->unicode_type = sym(prog, "PyUnicode_Type");
	wk->bytes_type = sym(prog, "PyBytes_Type");
	wk->bytearray_type = sym(prog, "PyByteArray_Type");
	wk->tuple_type = sym(prog, "PyTuple_Type");
	wk->list_type = sym(prog, "PyList_Type");
	wk->dict_type = sym(prog, "PyDict_Type");
	wk->set_type = sym(prog, "PySet_Type");
	wk->frozenset_type = sym(prog, "PyFrozenSet_Type");
	wk->function_type = sym(prog, "PyFunction_Type");
	wk->code_type = sym(prog, "PyCode_Type");
	wk->module_type = sym(prog, "PyModule_Type");
	wk->cell_type = sym(prog, "PyCell_Type");
	wk->method_type = sym(prog, "PyMethod_Type");
	wk->frame_type = sym(prog, "PyFrame_Type");
	wk->cfunction_type = sym(prog, "PyCFunction_Type");
	wk->gen_type = sym(prog, "PyGen_Type");
	wk->coro_type = sym(prog, "PyCoro_Type");
	wk->async_gen_type = sym(prog, "PyAsyncGen_Type");
	wk->range_type = sym(prog, "PyRange_Type");
	wk->slice_type = sym(prog, "PySlice_Type");
	wk->property_type = sym(prog, "PyProperty_Type");
	wk->classmethod_type = sym(prog, "PyClassMethod_Type");
	wk->staticmethod_type = sym(prog, "PyStaticMethod_Type");
	wk->memberdescr_type = sym(prog, "PyMemberDescr_Type");
	wk->methoddescr_type = sym(prog, "PyMethodDescr_Type");
	wk->wrapperdescr_type = sym(prog, "PyWrapperDescr_Type");
	wk->getsetdescr_type = sym(prog, "PyGetSetDescr_Type");
	wk->cmethod_type = sym(prog, "PyCMethod_Type");
	wk->methodwrapper_type = sym(prog, "_PyMethodWrapper_Type");
	wk->classmethoddescr_type = sym(prog, "PyClassMethodDescr_Type");
	wk->weakref_type = sym(prog, "_PyWeakref_RefType");
	wk->weakproxy_type = sym(prog, "_PyWeakref_ProxyType");
	wk->weakcallableproxy_type = sym(prog, "_PyWeakref_CallableProxyType");
	wk->none = sym(prog, "_Py_NoneStruct");
	wk->true_ = sym(prog, "_Py_TrueStruct");
	wk->false_ = sym(prog, "_Py_FalseStruct");
	wk->ellipsis = sym(prog, "_Py_EllipsisObject");
	wk->notimplemented = sym(prog, "_Py_NotImplementedStruct");
	uint64_t exc = sym(prog, "PyExc_BaseException");
	if (exc) {
		struct pyx_error *err = read_ptr(prog, exc, &wk->base_exception_type);
		if (err) {
			wk->base_exception_type = 0;
			pyx_error_destroy(err);
		}
	}
	uint64_t dummy = sym(prog, "_PySet_Dummy");
	if (dummy) {
		struct pyx_error *err = read_ptr(prog, dummy, &wk->set_dummy);
		if (err) {
			wk->set_dummy = 0;
			pyx_error_destroy(err);
		}
	}
	if (wk->none) {
		uint64_t t = 0;
		struct pyx_error *err = read_ptr(prog, wk->none + LV(prog, PyObject_ob_type), &t);
		wk->none_type = err ? 0 : t;
		pyx_error_destroy(err);
	}
	if (wk->notimplemented) {
		uint64_t t = 0;
		struct pyx_error *err = read_ptr(prog, wk->notimplemented + LV(prog, PyObject_ob_type), &t);
		wk->notimpl_type = err ? 0 : t;
		pyx_error_destroy(err);
	}
	if (wk->ellipsis) {
		uint64_t t = 0;
		struct pyx_error *err = read_ptr(prog, wk->ellipsis + LV(prog, PyObject_ob_type), &t);
		wk->ellipsis_type = err ? 0 : t;
		pyx_error_destroy(err);
	}
}

/* Does a value from _Py_DebugOffsets look like an offset into a struct of
 * the given size? */
static bool dbg_inside(const uint8_t *blob, size_t size, int64_t at, uint64_t limit)
{
	if (at == PYX_ABSENT || at < 0 || (size_t)at + 8 > size)
		return true;
	uint64_t v;
	memcpy(&v, blob + at, 8);
	return v < limit;
}

/* The blob must describe objects the way every CPython since 3.13 does;
 * otherwise it is corrupted, or (for a version newer than every table)
 * its shape changed.  Returns what disagrees, or NULL. */
static const char *debug_offsets_problem(const struct pyx_program *prog,
					 const uint8_t *blob, size_t size)
{
	const int64_t *v = prog->layout.v;
	static const struct { enum pyx_layout_id id; uint64_t want; } fixed[] = {
		{ PYX_L_DebugOffsets_pyobject_size, 16 },
		{ PYX_L_DebugOffsets_pyobject_ob_type, 8 },
		{ PYX_L_DebugOffsets_list_object_ob_item, 24 },
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		int64_t at = v[fixed[i].id];
		if (at == PYX_ABSENT || (size_t)at + 8 > size)
			return "a field lies outside it";
		uint64_t got;
		memcpy(&got, blob + at, 8);
		if (got != fixed[i].want)
			return "the offsets of PyObject and list are not the usual ones";
	}
	/* Each section's fields lie inside the struct its size field gives. */
	static const struct { enum pyx_layout_id size, first, last; } sect[] = {
		{ PYX_L_DebugOffsets_interpreter_state_size,
		  PYX_L_DebugOffsets_interpreter_state_id,
		  PYX_L_DebugOffsets_interpreter_state_builtins },
		{ PYX_L_DebugOffsets_thread_state_size,
		  PYX_L_DebugOffsets_thread_state_prev,
		  PYX_L_DebugOffsets_thread_state_native_thread_id },
		{ PYX_L_DebugOffsets_interpreter_frame_size,
		  PYX_L_DebugOffsets_interpreter_frame_previous,
		  PYX_L_DebugOffsets_interpreter_frame_owner },
		{ PYX_L_DebugOffsets_code_object_size,
		  PYX_L_DebugOffsets_code_object_filename,
		  PYX_L_DebugOffsets_code_object_co_code_adaptive },
	};
	for (size_t i = 0; i < sizeof(sect) / sizeof(sect[0]); i++) {
		int64_t at = v[sect[i].size];
		if (at == PYX_ABSENT || (size_t)at + 8 > size)
			return "a section lies outside it";
		uint64_t limit;
		memcpy(&limit, blob + at, 8);
		if (limit < 16 || limit > (1u << 24))
			return "a struct size is implausible";
		for (int id = (int)sect[i].first; id <= (int)sect[i].last; id++)
			if (!dbg_inside(blob, size, v[id], limit))
				return "an offset lies beyond the size of its struct";
	}
	return NULL;
}

/* 3.13+: _PyRuntime starts with _Py_DebugOffsets, filled in by the
 * interpreter itself.  Read it by its own version's shape (the table's
 * DebugOffsets_* entries) and let it override what it covers. */
static struct pyx_error *apply_debug_offsets(struct pyx_program *prog)
{
	if (!HAS(prog, _Py_DebugOffsets))
		return NULL;
	size_t size = (size_t)LV(prog, _Py_DebugOffsets);
	uint8_t *blob = malloc(size);
	if (!blob)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(prog->target, prog->runtime, blob, size);
	if (err) {
		free(blob);
		return pyx_error_wrap(err, "reading _Py_DebugOffsets");
	}
	if (memcmp(blob, DEBUG_OFFSETS_COOKIE, 8) != 0) {
		free(blob);
		if (prog->tables_missing)
			return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
				"CPython 3.%d is newer than this pyxray (it knows 3.8 to %s) "
				"and its _PyRuntime has no _Py_DebugOffsets to read it by: "
				"update pyxray", prog->minor, prog->newest_table);
		return program_add_warning(prog, "_PyRuntime has no _Py_DebugOffsets "
			"cookie (corrupted memory?): using the built-in 3.%d layout alone",
			prog->minor);
	}
	const char *problem = debug_offsets_problem(prog, blob, size);
	if (problem) {
		free(blob);
		if (prog->tables_missing)
			return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
				"CPython 3.%d is newer than this pyxray (it knows 3.8 to %s) "
				"and its _Py_DebugOffsets changed shape (%s): update pyxray",
				prog->minor, prog->newest_table, problem);
		return pyx_error_create(PYX_ERR_NOT_PYTHON,
			"_Py_DebugOffsets at 0x%llx (the start of _PyRuntime) is not what "
			"CPython 3.%d writes there: %s (corrupted memory, or not this "
			"version's interpreter)", (unsigned long long)prog->runtime,
			prog->minor, problem);
	}
	for (size_t i = 0; i < pyx_debug_offset_map_len; i++) {
		const struct debug_offset_map *m = &pyx_debug_offset_map[i];
		int64_t at = prog->layout.v[m->dbg];
		if (at == PYX_ABSENT || (size_t)at + 8 > size)
			continue;
		uint64_t val;
		memcpy(&val, blob + at, 8);
		prog->layout.v[m->field] = (int64_t)val;
	}
	/* The gil's locked/holder offsets are given relative to the
	 * interpreter's own _gil: make them relative to the gil struct. */
	int64_t g = prog->layout.v[PYX_L_DebugOffsets_interpreter_state_gil_runtime_state];
	int64_t lk = prog->layout.v[PYX_L_DebugOffsets_interpreter_state_gil_runtime_state_locked];
	int64_t hd = prog->layout.v[PYX_L_DebugOffsets_interpreter_state_gil_runtime_state_holder];
	if (g != PYX_ABSENT && lk != PYX_ABSENT && hd != PYX_ABSENT) {
		uint64_t gv, lv, hv;
		memcpy(&gv, blob + g, 8);
		memcpy(&lv, blob + lk, 8);
		memcpy(&hv, blob + hd, 8);
		if (lv >= gv && hv >= gv) {
			prog->layout.v[PYX_L__gil_runtime_state_locked] = (int64_t)(lv - gv);
			prog->layout.v[PYX_L__gil_runtime_state_last_holder] = (int64_t)(hv - gv);
		}
	}
	prog->has_debug_offsets = true;
	free(blob);
	return NULL;
}

/* Free-threaded builds (3.13t, 3.14t: no GIL) lay objects out
 * differently (ob_tid, split refcounts, per-thread bytecode); they say so
 * in _Py_DebugOffsets and in the name of their files. */
static struct pyx_error *refuse_free_threaded(struct pyx_program *prog)
{
	bool ft = false;
	if (HAS(prog, DebugOffsets_free_threaded)) {
		char head[8];
		uint64_t flag = 0;
		struct pyx_error *err = pyx_target_read(prog->target, prog->runtime, head, 8);
		if (!err && memcmp(head, DEBUG_OFFSETS_COOKIE, 8) == 0)
			err = read_ptr(prog, prog->runtime +
				       (uint64_t)LV(prog, DebugOffsets_free_threaded), &flag);
		pyx_error_destroy(err);
		ft = flag != 0;
	}
	const char *base = strrchr(prog->python->name, '/');
	base = base ? base + 1 : prog->python->name;
	char t[16];
	snprintf(t, sizeof(t), "python3.%dt", prog->minor);
	if (strstr(base, t))
		ft = true;
	if (!ft)
		return NULL;
	return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
		"%s is a free-threaded build of CPython 3.%d (3.%dt, no GIL): pyxray "
		"does not read free-threaded builds yet (their objects carry per-"
		"thread refcounts and owners, their frames per-thread bytecode); use "
		"the default build of 3.%d, or the python-gdb.py that came with it",
		prog->python->name, prog->minor, prog->minor, prog->minor);
}

static struct pyx_error *find_version(struct pyx_program *prog)
{
	uint64_t addr;
	if (module_lookup(prog->python, "Py_Version", &addr, NULL)) {
		uint64_t v;
		struct pyx_error *err = read_ptr(prog, addr, &v);
		if (!err && (v >> 24) == 3) {
			prog->version_hex = (uint32_t)v;
			return NULL;
		}
		pyx_error_destroy(err);
	}
	/* 3.13+: the debug offsets carry the version at _PyRuntime+8. */
	char cookie[16];
	struct pyx_error *err = pyx_target_read(prog->target, prog->runtime, cookie, 16);
	if (!err && memcmp(cookie, DEBUG_OFFSETS_COOKIE, 8) == 0) {
		uint64_t v;
		memcpy(&v, cookie + 8, 8);
		if ((v >> 24) == 3) {
			prog->version_hex = (uint32_t)v;
			return NULL;
		}
	}
	pyx_error_destroy(err);
	int minor = minor_from_name(prog->python->name);
	if (minor < 0)
		return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
			"cannot tell which CPython version %s is (no Py_Version, no "
			"version in its name)", prog->python->name);
	prog->version_hex = 0x03000000u | ((uint32_t)minor << 16);
	return NULL;
}

static struct pyx_error *check_debug_info(struct pyx_program *prog)
{
	struct pyx_module *pm = prog->python;
	module_lookup(pm, "_PyRuntime", NULL, NULL); /* loads the symbols */
	if (pm->has_symtab)
		return NULL;
	const char *base = strrchr(pm->name, '/');
	base = base ? base + 1 : pm->name;
	char pkg[64] = "";
	if (strncmp(pm->name, "/usr/bin/python3.", 17) == 0 ||
	    strncmp(pm->name, "/usr/lib/x86_64-linux-gnu/libpython3.", 37) == 0)
		snprintf(pkg, sizeof(pkg), "python3.%d-dbg", prog->minor);
	if (*pkg)
		return program_add_warning(prog, "no debug symbols for %s: install %s "
			"(py-stack and py-object work without them; the gc and "
			"allocator commands need them)", pm->name, pkg);
	return program_add_warning(prog, "no debug symbols for %s: install its "
		"debug info or point gdb's debug-file-directory at it (py-stack "
		"and py-object work without it; the gc and allocator commands "
		"need it)", base);
}

struct pyx_error *program_open(struct pyx_target *target,
			       const struct pyx_program_options *opts,
			       struct pyx_program **ret)
{
	struct pyx_program *prog = calloc(1, sizeof(*prog));
	if (!prog) {
		pyx_target_destroy(target);
		return pyx_error_no_memory();
	}
	prog->target = target;
	prog->pthread_tid_offset = -1;
	struct pyx_error *err = modules_create(target, opts ? opts->executable : NULL,
					       opts ? opts->debuginfo_path : NULL,
					       &prog->modules);
	if (!err)
		err = find_runtime(prog);
	if (!err) {
		err = truncated_core(prog, find_version(prog));
		if (err && pyx_error_code(err) != PYX_ERR_BAD_CORE)
			err = with_target_warnings(prog, err);
	}
	if (err) {
		pyx_program_destroy(prog);
		return err;
	}
	prog->minor = (int)((prog->version_hex >> 16) & 0xff);
	prog->debug_build = sym(prog, "_Py_NegativeRefcount") != 0 ||
			    sym(prog, "_Py_RefTotal") != 0;
	int oldest, newest;
	layout_range(&oldest, &newest);
	const struct pyx_layout *l = layout_find(prog->minor, prog->debug_build);
	if (!l && prog->minor > newest) {
		/* Newer than every table: read it by its own _Py_DebugOffsets
		 * (checked against the newest table's idea of its shape). */
		l = layout_find(newest, prog->debug_build);
		prog->tables_missing = true;
	}
	if (!l) {
		err = pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
			"CPython 3.%d is not supported (this pyxray knows 3.%d to 3.%d); "
			"use the python-gdb.py that came with it",
			prog->minor, oldest, newest);
		pyx_program_destroy(prog);
		return err;
	}
	prog->layout = *l;
	prog->newest_table = l->name;
	err = refuse_free_threaded(prog);
	if (!err)
		err = with_target_warnings(prog, apply_debug_offsets(prog));
	if (!err && prog->tables_missing)
		err = program_add_warning(prog, "CPython 3.%d is newer than this pyxray "
			"(it knows 3.8 to %s): threads, stacks and basic objects come from "
			"the interpreter's own _Py_DebugOffsets; the gc, heap and allocator "
			"commands need a layout table for 3.%d (a newer pyxray)",
			prog->minor, l->name, prog->minor);
	if (!err)
		err = check_debug_info(prog);
	if (err) {
		pyx_program_destroy(prog);
		return err;
	}
	find_well_known(prog);
	if (!prog->wk.type_type || !prog->wk.unicode_type) {
		err = pyx_error_create(PYX_ERR_NOT_PYTHON,
			"%s defines _PyRuntime but not PyType_Type/PyUnicode_Type",
			prog->python->name);
		pyx_program_destroy(prog);
		return err;
	}
	*ret = prog;
	return NULL;
}

void program_cache_set(struct pyx_program *prog, enum program_cache_id id,
		       void *data, void (*destroy)(void *data))
{
	struct program_cache *c = &prog->caches[id];
	if (c->data && c->destroy)
		c->destroy(c->data);
	c->data = data;
	c->destroy = destroy;
}

static void program_caches_drop(struct pyx_program *prog)
{
	for (int i = 0; i < PROGRAM_CACHE_COUNT; i++)
		program_cache_set(prog, (enum program_cache_id)i, NULL, NULL);
}

void pyx_program_destroy(struct pyx_program *prog)
{
	if (!prog)
		return;
	program_caches_drop(prog);
	modules_destroy(prog->modules);
	pyx_target_destroy(prog->target);
	for (size_t i = 0; i < prog->nwarnings; i++)
		free(prog->warnings[i]);
	free(prog->warnings);
	free(prog->python_version_string);
	free(prog);
}

struct pyx_target *pyx_program_target(struct pyx_program *prog)
{
	return prog->target;
}

uint32_t pyx_program_python_version(const struct pyx_program *prog)
{
	return prog->version_hex;
}

bool pyx_program_is_debug_build(const struct pyx_program *prog)
{
	return prog->debug_build;
}

size_t pyx_program_num_warnings(const struct pyx_program *prog)
{
	return prog->target->nwarnings + prog->nwarnings;
}

const char *pyx_program_warning(const struct pyx_program *prog, size_t i)
{
	if (i < prog->target->nwarnings)
		return prog->target->warnings[i];
	i -= prog->target->nwarnings;
	return i < prog->nwarnings ? prog->warnings[i] : NULL;
}

void pyx_program_flush(struct pyx_program *prog)
{
	pyx_target_flush(prog->target);
	program_caches_drop(prog);
}

struct pyx_error *program_require_tables(struct pyx_program *prog, const char *what)
{
	if (!prog->tables_missing)
		return NULL;
	return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
		"%s needs pyxray's layout table for CPython 3.%d (the gc state and "
		"the allocator are not in _Py_DebugOffsets), and this pyxray has "
		"tables up to %s: update pyxray", what, prog->minor, prog->newest_table);
}

struct pyx_error *program_interpreters(struct pyx_program *prog,
				       uint64_t **ret, size_t *n)
{
	enum { MAX_INTERPRETERS = 4096 };
	uint64_t head;
	PYX_TRY(read_ptr(prog, prog->runtime + LV(prog, _PyRuntimeState_interpreters_head), &head));
	uint64_t *interps = NULL;
	size_t count = 0;
	for (uint64_t p = head; p; ) {
		if (count == MAX_INTERPRETERS) {
			free(interps);
			return pyx_error_create(PYX_ERR_LIMIT, "more than %d interpreters "
						"(corrupted list?)", MAX_INTERPRETERS);
		}
		for (size_t i = 0; i < count; i++) {
			if (interps[i] == p) {
				free(interps);
				return pyx_error_create(PYX_ERR_LIMIT,
					"the interpreter list loops at 0x%llx",
					(unsigned long long)p);
			}
		}
		uint64_t *grown = realloc(interps, (count + 1) * sizeof(*interps));
		if (!grown) {
			free(interps);
			return pyx_error_no_memory();
		}
		interps = grown;
		interps[count++] = p;
		struct pyx_error *err = read_ptr(prog, p + LV(prog, PyInterpreterState_next), &p);
		if (err) {
			free(interps);
			return pyx_error_wrap(err, "walking the interpreters");
		}
	}
	if (!count) {
		free(interps);
		return program_not_initialized(prog);
	}
	*ret = interps;
	*n = count;
	return NULL;
}

struct pyx_error *program_explain(struct pyx_program *prog, struct pyx_error *err)
{
	enum pyx_error_code code = pyx_error_code(err);
	if (!err || (code != PYX_ERR_INVALID_OBJECT && code != PYX_ERR_LIMIT &&
		     code != PYX_ERR_FAULT) || !target_process_running(prog->target))
		return err;
	int pid = prog->target->pid;
	return pyx_error_append(err, "(process %d is running, so its memory changed while "
				"it was read: pause it first, by attaching gdb, or with "
				"`kill -STOP %d` and `kill -CONT %d` after)", pid, pid, pid);
}

struct pyx_error *program_not_initialized(struct pyx_program *prog)
{
	uint64_t rt = prog->runtime, head = 0, main_interp = 0, finalizing = 0;
	int32_t initialized = 0;
	struct pyx_error *err = read_ptr(prog, rt + LV(prog, _PyRuntimeState_interpreters_head),
					 &head);
	if (!err)
		err = read_ptr(prog, rt + LV(prog, _PyRuntimeState_interpreters_main), &main_interp);
	if (!err)
		err = read_i32(prog, rt + LV(prog, _PyRuntimeState_initialized), &initialized);
	if (!err && HAS(prog, _PyRuntimeState_finalizing))
		err = read_ptr(prog, rt + LV(prog, _PyRuntimeState_finalizing), &finalizing);
	if (err)
		return pyx_error_wrap(err, "reading _PyRuntime at 0x%llx", (unsigned long long)rt);
	struct pyx_error *corrupt = NULL;
	if (!head && main_interp && !finalizing)
		corrupt = pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"_PyRuntime at 0x%llx is corrupt: its list of interpreters is empty "
			"but its main interpreter is 0x%llx", (unsigned long long)rt,
			(unsigned long long)main_interp);
	else if (!head && initialized && !finalizing)
		corrupt = pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"_PyRuntime at 0x%llx is corrupt: it says CPython is initialized "
			"but lists no interpreter", (unsigned long long)rt);
	else if (!head && !finalizing && HAS(prog, _PyRuntimeState_allocators_standard_obj)) {
		/* 3.12+ initialize _PyRuntime statically: the object
		 * allocator's functions are there before Python starts. */
		uint64_t fn = 0;
		err = read_ptr(prog, rt + LV(prog, _PyRuntimeState_allocators_standard_obj) +
			       LV(prog, PyMemAllocatorEx_malloc), &fn);
		if (err || !fn)
			corrupt = pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"_PyRuntime at 0x%llx is corrupt: it is zeroed where CPython "
				"3.%d initializes it statically (its object allocator)",
				(unsigned long long)rt, prog->minor);
		pyx_error_destroy(err);
	}
	if (corrupt) {
		corrupt->address = rt;
		return corrupt;
	}
	if (finalizing)
		return pyx_error_create(PYX_ERR_NOT_INITIALIZED,
			"CPython has no interpreter: it has been finalized (Py_Finalize ran "
			"in thread state 0x%llx)", (unsigned long long)finalizing);
	return pyx_error_create(PYX_ERR_NOT_INITIALIZED,
		"CPython has no interpreter: _PyRuntime at 0x%llx lists none and is not "
		"initialized, so Python had not started yet (or had ended); if the process "
		"was running Python code, its memory is corrupt", (unsigned long long)rt);
}

uint64_t program_gc_state(struct pyx_program *prog, uint64_t interp)
{
	if (HAS(prog, PyInterpreterState_gc))
		return interp + LV(prog, PyInterpreterState_gc);
	return prog->runtime + LV(prog, _PyRuntimeState_gc);
}
