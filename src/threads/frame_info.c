/* frame_info.c - one running Python frame, for breakpoints: which code it
 * runs, its line, and where it keeps its instruction pointer. */
#include <stdlib.h>
#include <string.h>

#include "objects/linetable.h"
#include "threads/frames.h"
#include "threads/threads.h"
#include "util/strbuf.h"

#define MAX_CODE_BYTES (1 << 26)

/* A breakpoint asks at every Python call: one read of the object's type
 * (on the page the code's fields are read from anyway) is the check. */
static struct pyx_error *check_code(struct pyx_program *prog, uint64_t code,
				    uint64_t frame)
{
	uint64_t type = 0;
	struct pyx_error *err = code ? read_ptr(prog, code + LV(prog, PyObject_ob_type), &type)
				     : NULL;
	pyx_error_destroy(err);
	if (!code || err || type != prog->wk.code_type)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"0x%llx is not a running Python frame (no code object at 0x%llx)",
			(unsigned long long)frame, (unsigned long long)code);
	return NULL;
}

static struct pyx_error *code_identity(struct pyx_program *prog, uint64_t code,
				       struct pyx_frame_info *ret)
{
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_name), &ret->code_name));
	return read_ptr(prog, code + LV(prog, PyCodeObject_co_filename), &ret->code_file);
}

/* Where a frame returns to (3.11+): its previous frame, past the shim the
 * eval loop pushed if C called it (3.12+) or its is_entry flag (3.11). */
static struct pyx_error *frame_return_info(struct pyx_program *prog, uint64_t frame,
					   struct pyx_frame_info *ret)
{
	uint64_t previous;
	PYX_TRY(read_ptr(prog, frame + LV(prog, _PyInterpreterFrame_previous), &previous));
	if (HAS(prog, _PyInterpreterFrame_is_entry)) {
		uint8_t e;
		PYX_TRY(read_u8(prog, frame + LV(prog, _PyInterpreterFrame_is_entry), &e));
		ret->entered_from_c = e;
	}
	for (unsigned i = 0; previous && i < 16; i++) {
		int8_t o;
		PYX_TRY(pyx_target_read(prog->target,
			previous + LV(prog, _PyInterpreterFrame_owner), &o, 1));
		if (!frame_owner_is_entry(prog, o))
			break;
		ret->entered_from_c = true;
		PYX_TRY(read_ptr(prog, previous + LV(prog, _PyInterpreterFrame_previous),
				 &previous));
	}
	ret->previous = previous;
	if (previous && !ret->entered_from_c) {
		int64_t depth;
		PYX_TRY(iframe_stack_depth(prog, previous, &depth));
		if (depth >= 0)
			ret->return_slot = previous + (uint64_t)LV(prog, _PyInterpreterFrame_localsplus) +
					   (uint64_t)depth * 8;
	}
	return NULL;
}

static struct pyx_error *interpreter_frame_info(struct pyx_program *prog, uint64_t frame,
						struct pyx_frame_info *ret)
{
	uint64_t code, instr;
	int8_t owner;
	int32_t first, firsttraceable;
	PYX_TRY(iframe_code(prog, frame, &code));
	PYX_TRY(check_code(prog, code, frame));
	PYX_TRY(read_ptr(prog, frame + LV(prog, _PyInterpreterFrame_instr), &instr));
	PYX_TRY(pyx_target_read(prog->target, frame + LV(prog, _PyInterpreterFrame_owner),
				&owner, 1));
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_firstlineno), &first));
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_firsttraceable), &firsttraceable));
	PYX_TRY(code_identity(prog, code, ret));
	uint64_t base = code + (uint64_t)LV(prog, PyCodeObject_co_code_adaptive);
	uint64_t unit = (uint64_t)LV(prog, _Py_CODEUNIT);
	ret->frame = frame;
	ret->code = code;
	ret->instr_address = frame + (uint64_t)LV(prog, _PyInterpreterFrame_instr);
	ret->instr_size = 8;
	ret->first_line = first;
	/* Started: it is past the RESUME at co_firsttraceable, running its
	 * first instruction of its own.  (3.11 and 3.12 point at the last
	 * instruction started, prev_instr; from 3.13 at the one running,
	 * instr_ptr: either way RESUME while it runs.) */
	uint64_t resume = base + (uint64_t)firsttraceable * unit;
	ret->started = owner == LV(prog, FRAME_OWNED_BY_GENERATOR) || instr > resume;
	ret->instr = instr;
	ret->resume = resume;
	PYX_TRY(frame_return_info(prog, frame, ret));
	if (!ret->started) {
		ret->line = first;
		return NULL;
	}
	return code_addr2line(prog, code, (int64_t)(instr - base), &ret->line);
}

static struct pyx_error *frame_object_info(struct pyx_program *prog, uint64_t frame,
					   struct pyx_frame_info *ret)
{
	uint64_t code;
	int32_t lasti, first;
	PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_code), &code));
	PYX_TRY(check_code(prog, code, frame));
	PYX_TRY(read_i32(prog, frame + LV(prog, PyFrameObject_f_lasti), &lasti));
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_firstlineno), &first));
	PYX_TRY(code_identity(prog, code, ret));
	ret->frame = frame;
	ret->code = code;
	ret->instr_address = frame + (uint64_t)LV(prog, PyFrameObject_f_lasti);
	ret->instr_size = 4;
	ret->first_line = first;
	PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_back), &ret->previous));
	ret->started = lasti >= 0;
	ret->instr = (uint64_t)(int64_t)lasti;
	if (!ret->started) {
		ret->line = first;
		return NULL;
	}
	uint64_t c;
	return frame_object_location(prog, frame, &c, &ret->line);
}

struct pyx_error *pyx_frame_info_at(struct pyx_program *prog, uint64_t frame,
				    struct pyx_frame_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!frame)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT, "no frame address");
	return HAS(prog, _PyInterpreterFrame) ? interpreter_frame_info(prog, frame, ret)
					      : frame_object_info(prog, frame, ret);
}

struct pyx_error *pyx_thread_frame(struct pyx_program *prog, int tid,
				   struct pyx_frame_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint64_t tstate, frame;
	PYX_TRY(program_tstate_cached(prog, tid, &tstate));
	PYX_TRY(thread_newest_frame(prog, tstate, &frame));
	if (HAS(prog, _PyInterpreterFrame)) {
		/* Skip the entry frames (3.12+) pushed when C calls Python. */
		for (unsigned i = 0; frame && i < MAX_FRAMES; i++) {
			int8_t owner;
			PYX_TRY(pyx_target_read(prog->target,
				frame + LV(prog, _PyInterpreterFrame_owner), &owner, 1));
			if (!frame_owner_is_entry(prog, owner))
				break;
			PYX_TRY(read_ptr(prog, frame + LV(prog, _PyInterpreterFrame_previous), &frame));
		}
	}
	if (!frame)
		return pyx_error_create(PYX_ERR_NOT_FOUND,
			"thread %d is not running Python code", tid);
	return pyx_frame_info_at(prog, frame, ret);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

struct line_set {
	int *v;
	size_t n, cap;
	bool oom;
};

static void line_set_add(void *arg, int start, int end, int line)
{
	struct line_set *ls = arg;
	if (line <= 0 || end <= start || ls->oom || (ls->n && ls->v[ls->n - 1] == line))
		return;
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 64;
		int *v = realloc(ls->v, cap * sizeof(*v));
		if (!v) {
			ls->oom = true;
			return;
		}
		ls->v = v;
		ls->cap = cap;
	}
	ls->v[ls->n++] = line;
}

struct pyx_error *code_bytecode(struct pyx_program *prog, uint64_t code, uint64_t *base,
				int64_t *length)
{
	if (HAS(prog, PyCodeObject_co_code_adaptive)) {
		/* 3.11+: a var-object whose size counts code units, the
		 * instructions inline (the adaptive copy the eval loop runs). */
		PYX_TRY(read_i64(prog, code + LV(prog, PyVarObject_ob_size), length));
		*length *= LV(prog, _Py_CODEUNIT);
		*base = code + (uint64_t)LV(prog, PyCodeObject_co_code_adaptive);
	} else {
		uint64_t bytes;
		PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_code), &bytes));
		PYX_TRY(read_i64(prog, bytes + LV(prog, PyVarObject_ob_size), length));
		*base = bytes + (uint64_t)LV(prog, PyBytesObject_ob_sval);
	}
	if (*length < 0 || *length > MAX_CODE_BYTES)
		return pyx_error_create(PYX_ERR_LIMIT, "code object 0x%llx claims %lld bytes "
					"of bytecode", (unsigned long long)code, (long long)*length);
	return NULL;
}

/* The length in bytes of the code's bytecode. */
static struct pyx_error *code_length(struct pyx_program *prog, uint64_t code, int64_t *ret)
{
	uint64_t base;
	return code_bytecode(prog, code, &base, ret);
}

struct pyx_error *pyx_code_json(struct pyx_program *prog, uint64_t code, char **ret)
{
	PYX_TRY(check_code(prog, code, code));
	struct pyx_frame f = { .code = code };
	struct pyx_error *err = code_names(prog, code, &f);
	char *name = NULL;
	int32_t first = 0;
	int64_t length = 0;
	uint64_t name_obj = 0;
	if (!err)
		err = read_ptr(prog, code + LV(prog, PyCodeObject_co_name), &name_obj);
	if (!err)
		err = object_str_utf8(prog, name_obj, 400, &name);
	if (!err)
		err = read_i32(prog, code + LV(prog, PyCodeObject_co_firstlineno), &first);
	if (!err)
		err = code_length(prog, code, &length);
	if (!err && (length < 0 || length > MAX_CODE_BYTES))
		err = pyx_error_create(PYX_ERR_LIMIT, "code object 0x%llx claims %lld bytes "
				       "of bytecode", (unsigned long long)code, (long long)length);
	struct line_set ls = { 0 };
	if (!err)
		err = code_line_ranges(prog, code, (int)length, line_set_add, &ls);
	if (!err && ls.oom)
		err = pyx_error_no_memory();
	int *lines = ls.v;
	size_t n = ls.n;
	struct strbuf sb = STRBUF_INIT;
	if (!err) {
		if (n)
			qsort(lines, n, sizeof(*lines), cmp_int);
		strbuf_puts(&sb, "{");
		json_key(&sb, "function");
		json_string(&sb, f.function);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "name");
		json_string(&sb, name);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "file");
		json_string(&sb, f.file);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "first_line");
		strbuf_printf(&sb, "%d, ", first);
		json_key(&sb, "lines");
		strbuf_puts(&sb, "[");
		for (size_t i = 0; i < n; i++) {
			if (i && lines[i] == lines[i - 1])
				continue;
			strbuf_printf(&sb, "%s%d", i ? ", " : "", lines[i]);
		}
		strbuf_puts(&sb, "]}");
	}
	free(lines);
	free(name);
	free(f.function);
	free(f.file);
	if (err)
		return err;
	return strbuf_finish(&sb, ret);
}

/* The words a frame for code takes on the data stack: co_framesize
 * (3.12+), or what 3.11 adds up for it (locals, value stack, and the
 * frame's own fields, FRAME_SPECIALS_SIZE). */
static struct pyx_error *frame_words(struct pyx_program *prog, uint64_t code, int64_t *ret)
{
	int32_t v;
	if (HAS(prog, PyCodeObject_co_framesize)) {
		PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_framesize), &v));
		*ret = v;
		return NULL;
	}
	int32_t stack;
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_nlocalsplus), &v));
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_stacksize), &stack));
	*ret = (int64_t)v + stack + (LV(prog, _PyInterpreterFrame) - 1) / 8;
	return NULL;
}

struct pyx_error *pyx_thread_pushed_frame(struct pyx_program *prog, int tid, uint64_t code,
					  struct pyx_frame_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!HAS(prog, PyThreadState_datastack_top))
		return pyx_error_create(PYX_ERR_NOT_FOUND, "CPython 3.%d pushes no frames on a "
					"data stack", prog->minor);
	uint64_t tstate, top;
	int64_t words;
	PYX_TRY(program_tstate_cached(prog, tid, &tstate));
	PYX_TRY(read_ptr(prog, tstate + LV(prog, PyThreadState_datastack_top), &top));
	PYX_TRY(frame_words(prog, code, &words));
	if (!top || words <= 0 || words > (1 << 24) || (uint64_t)words * 8 > top)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "no frame of code 0x%llx at the top "
					"of thread %d's data stack", (unsigned long long)code, tid);
	struct pyx_error *err = pyx_frame_info_at(prog, top - (uint64_t)words * 8, ret);
	if (err || ret->code != code) {
		pyx_error_destroy(err);
		memset(ret, 0, sizeof(*ret));
		return pyx_error_create(PYX_ERR_NOT_FOUND, "no frame of code 0x%llx at the top "
					"of thread %d's data stack", (unsigned long long)code, tid);
	}
	return NULL;
}
