/* frames.c - Python frames per version family:
 *   3.8 - 3.10  PyFrameObject chains (tstate->frame, f_back)
 *   3.11, 3.12  _PyInterpreterFrame chains from tstate->cframe->current_frame
 *   3.13        _PyInterpreterFrame chains from tstate->current_frame
 * 3.11 marks frames entered from C with is_entry; 3.12+ put a shim frame
 * owned by the C stack below them.  A frame that has not run its first
 * instruction is left out, as tracebacks do, unless it is the innermost
 * one: a debugger stopped as a function is entered shows it. */
#include <stdlib.h>
#include <string.h>

#include "threads/frames.h"
#include "objects/linetable.h"

void frames_free(struct pyx_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(frames[i].function);
		free(frames[i].file);
	}
	free(frames);
}

struct frame_list {
	struct pyx_frame *v;
	size_t n, cap;
};

static struct pyx_error *push(struct frame_list *l, struct pyx_frame *f)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct pyx_frame *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return pyx_error_no_memory();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *f;
	return NULL;
}

/* Brent's cycle detection over a linked walk. */
struct cycle_guard {
	uint64_t saved;
	size_t power, steps, total;
};

static struct pyx_error *guard_step(struct cycle_guard *g, uint64_t p)
{
	if (p == g->saved)
		return pyx_error_create(PYX_ERR_LIMIT, "the frame chain loops at "
					"0x%llx (corrupted memory?)", (unsigned long long)p);
	if (++g->total > MAX_FRAMES)
		return pyx_error_create(PYX_ERR_LIMIT, "more than %u frames "
					"(corrupted frame chain?)", MAX_FRAMES);
	if (++g->steps == g->power) {
		g->saved = p;
		g->power *= 2;
		g->steps = 0;
	}
	return NULL;
}

struct pyx_error *code_names(struct pyx_program *prog, uint64_t code,
				    struct pyx_frame *f)
{
	uint64_t name, file;
	int64_t name_off = HAS(prog, PyCodeObject_co_qualname)
		? LV(prog, PyCodeObject_co_qualname) : LV(prog, PyCodeObject_co_name);
	PYX_TRY(read_ptr(prog, code + name_off, &name));
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_filename), &file));
	PYX_TRY(object_str_utf8(prog, name, 400, &f->function));
	return object_str_utf8(prog, file, 4096, &f->file);
}

static bool is_code(struct pyx_program *prog, uint64_t code)
{
	struct object_head h;
	struct pyx_error *err = object_head(prog, code, &h);
	if (err) {
		pyx_error_destroy(err);
		return false;
	}
	return h.type == prog->wk.code_type;
}

struct pyx_error *thread_newest_frame(struct pyx_program *prog, uint64_t tstate,
				      uint64_t *ret)
{
	*ret = 0;
	if (!HAS(prog, _PyInterpreterFrame))
		return read_ptr(prog, tstate + LV(prog, PyThreadState_frame), ret);
	if (!HAS(prog, PyThreadState_cframe))
		return read_ptr(prog, tstate + LV(prog, PyThreadState_current_frame), ret);
	uint64_t cframe;
	PYX_TRY(read_ptr(prog, tstate + LV(prog, PyThreadState_cframe), &cframe));
	return cframe ? read_ptr(prog, cframe + LV(prog, _PyCFrame_current_frame), ret) : NULL;
}

static struct pyx_error *walk_interpreter_frames(struct pyx_program *prog,
						 uint64_t tstate,
						 struct frame_list *out)
{
	uint64_t iframe;
	PYX_TRY(thread_newest_frame(prog, tstate, &iframe));
	struct cycle_guard g = { .power = 1 };
	while (iframe) {
		PYX_TRY(guard_step(&g, iframe));
		uint64_t code, instr, previous;
		int8_t owner;
		PYX_TRY(iframe_code(prog, iframe, &code));
		PYX_TRY(read_ptr(prog, iframe + LV(prog, _PyInterpreterFrame_previous), &previous));
		PYX_TRY(pyx_target_read(prog->target, iframe + LV(prog, _PyInterpreterFrame_owner),
					&owner, 1));
		if (frame_owner_is_entry(prog, owner)) {
			/* A shim: the frame above it was entered from C. */
			if (out->n)
				out->v[out->n - 1].entry = true;
			iframe = previous;
			continue;
		}
		if (!code)
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"the frame chain breaks at 0x%llx: that frame runs no "
				"code object (its memory reads as zeros: a core that "
				"lacks part of the thread's stack?); outer frames are "
				"not shown", (unsigned long long)iframe);
		if (!is_code(prog, code)) {
			iframe = previous;
			continue;
		}
		PYX_TRY(read_ptr(prog, iframe + LV(prog, _PyInterpreterFrame_instr), &instr));
		uint64_t base = code + (uint64_t)LV(prog, PyCodeObject_co_code_adaptive);
		int32_t firsttraceable;
		PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_firsttraceable),
				 &firsttraceable));
		int64_t unit = LV(prog, _Py_CODEUNIT);
		bool incomplete = owner != LV(prog, FRAME_OWNED_BY_GENERATOR) &&
				  instr < base + (uint64_t)(firsttraceable * unit);
		if (incomplete && out->n) {
			iframe = previous; /* not yet visible to Python */
			continue;
		}
		struct pyx_frame f = { .frame = iframe, .code = code };
		if (HAS(prog, _PyInterpreterFrame_is_entry)) {
			uint8_t e;
			PYX_TRY(read_u8(prog, iframe + LV(prog, _PyInterpreterFrame_is_entry), &e));
			f.entry = e;
		}
		struct pyx_error *err;
		if (incomplete) {
			/* The innermost frame, being entered (a debugger stopped
			 * at the call): tracebacks leave it out, a debugger
			 * shows it at its first line. */
			int32_t first;
			err = read_i32(prog, code + LV(prog, PyCodeObject_co_firstlineno), &first);
			f.line = first;
		} else {
			err = code_addr2line(prog, code, (int64_t)(instr - base), &f.line);
		}
		if (!err)
			err = code_names(prog, code, &f);
		if (!err)
			err = push(out, &f);
		if (err) {
			free(f.function);
			free(f.file);
			return err;
		}
		iframe = previous;
	}
	return NULL;
}

static struct pyx_error *walk_frame_objects(struct pyx_program *prog, uint64_t tstate,
					    struct frame_list *out)
{
	uint64_t frame;
	PYX_TRY(thread_newest_frame(prog, tstate, &frame));
	struct cycle_guard g = { .power = 1 };
	while (frame) {
		PYX_TRY(guard_step(&g, frame));
		uint64_t code, trace, back;
		int32_t lasti, lineno;
		PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_code), &code));
		PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_back), &back));
		PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_trace), &trace));
		PYX_TRY(read_i32(prog, frame + LV(prog, PyFrameObject_f_lasti), &lasti));
		PYX_TRY(read_i32(prog, frame + LV(prog, PyFrameObject_f_lineno), &lineno));
		if (!is_code(prog, code))
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"frame 0x%llx has no code object", (unsigned long long)frame);
		struct pyx_frame f = { .frame = frame, .code = code };
		struct pyx_error *err = NULL;
		if (trace) {
			f.line = lineno;
		} else {
			int64_t addr = lasti;
			if (prog->minor == 10 && lasti >= 0)
				addr = (int64_t)lasti * 2; /* 3.10 counts code units */
			err = code_addr2line(prog, code, addr, &f.line);
		}
		if (!err)
			err = code_names(prog, code, &f);
		if (!err)
			err = push(out, &f);
		if (err) {
			free(f.function);
			free(f.file);
			return err;
		}
		frame = back;
	}
	return NULL;
}

struct pyx_error *thread_frames(struct pyx_program *prog, uint64_t tstate,
				struct pyx_frame **ret, size_t *n)
{
	struct frame_list l = { 0 };
	struct pyx_error *err = HAS(prog, _PyInterpreterFrame)
		? walk_interpreter_frames(prog, tstate, &l)
		: walk_frame_objects(prog, tstate, &l);
	*ret = l.v;
	*n = l.n;
	return err;
}

/* Pass one local to visit, dereferencing cells. */
static int visit_local(struct pyx_program *prog, uint64_t name, uint64_t value,
		       bool maybe_cell, dict_visit_fn visit, void *arg)
{
	if (!value)
		return 0;
	if (maybe_cell) {
		struct object_head h;
		struct pyx_error *err = object_head(prog, value, &h);
		if (!err && h.type == prog->wk.cell_type)
			err = read_ptr(prog, value + LV(prog, PyCellObject_ob_ref), &value);
		pyx_error_destroy(err);
		if (!value)
			return 0;
	}
	return visit(arg, name, value);
}

static struct pyx_error *tuple_names(struct pyx_program *prog, uint64_t tuple,
				     uint64_t **names, size_t *n)
{
	size_t total;
	if (!tuple) {
		*names = NULL;
		*n = 0;
		return NULL;
	}
	return sequence_items(prog, tuple, false, 1u << 16, names, n, &total);
}

struct pyx_error *frame_locals(struct pyx_program *prog, const struct pyx_frame *f,
			       dict_visit_fn visit, void *arg)
{
	struct pyx_error *err = NULL;
	if (HAS(prog, _PyInterpreterFrame)) {
		uint64_t names_t, kinds_b;
		int32_t nlocalsplus;
		PYX_TRY(read_ptr(prog, f->code + LV(prog, PyCodeObject_co_localsplusnames), &names_t));
		PYX_TRY(read_ptr(prog, f->code + LV(prog, PyCodeObject_co_localspluskinds), &kinds_b));
		PYX_TRY(read_i32(prog, f->code + LV(prog, PyCodeObject_co_nlocalsplus), &nlocalsplus));
		uint64_t *names;
		size_t nnames;
		PYX_TRY(tuple_names(prog, names_t, &names, &nnames));
		uint8_t *kinds = NULL;
		size_t nkinds = 0, klen;
		err = bytes_read(prog, kinds_b, 1u << 16, &kinds, &nkinds, &klen);
		size_t n = nlocalsplus < 0 ? 0 : (size_t)nlocalsplus;
		if (n > nnames)
			n = nnames;
		if (n > nkinds)
			n = nkinds;
		uint64_t *values = err ? NULL : malloc((n ? n : 1) * 8);
		if (!err && !values)
			err = pyx_error_no_memory();
		if (!err)
			err = pyx_target_read(prog->target,
				f->frame + LV(prog, _PyInterpreterFrame_localsplus), values, n * 8);
		int64_t hidden = HAS(prog, CO_FAST_HIDDEN) ? LV(prog, CO_FAST_HIDDEN) : 0;
		int64_t cellish = LV(prog, CO_FAST_CELL) | LV(prog, CO_FAST_FREE);
		for (size_t i = 0; !err && i < n; i++) {
			if (kinds[i] & hidden)
				continue;
			if (visit_local(prog, names[i], stackref_object(prog, values[i]),
					kinds[i] & cellish,
					visit, arg))
				break;
		}
		free(values);
		free(kinds);
		free(names);
		return err;
	}
	/* 3.8 - 3.10: f_localsplus holds locals, then cells, then free vars. */
	uint64_t varnames_t, cellvars_t, freevars_t;
	int32_t nlocals;
	PYX_TRY(read_ptr(prog, f->code + LV(prog, PyCodeObject_co_varnames), &varnames_t));
	PYX_TRY(read_ptr(prog, f->code + LV(prog, PyCodeObject_co_cellvars), &cellvars_t));
	PYX_TRY(read_ptr(prog, f->code + LV(prog, PyCodeObject_co_freevars), &freevars_t));
	PYX_TRY(read_i32(prog, f->code + LV(prog, PyCodeObject_co_nlocals), &nlocals));
	uint64_t *groups[3] = { NULL, NULL, NULL };
	size_t counts[3] = { 0, 0, 0 };
	err = tuple_names(prog, varnames_t, &groups[0], &counts[0]);
	if (!err)
		err = tuple_names(prog, cellvars_t, &groups[1], &counts[1]);
	if (!err)
		err = tuple_names(prog, freevars_t, &groups[2], &counts[2]);
	if (!err && nlocals >= 0 && (size_t)nlocals < counts[0])
		counts[0] = (size_t)nlocals;
	size_t total = counts[0] + counts[1] + counts[2];
	uint64_t *values = err ? NULL : malloc((total ? total : 1) * 8);
	if (!err && !values)
		err = pyx_error_no_memory();
	if (!err)
		err = pyx_target_read(prog->target,
			f->frame + LV(prog, PyFrameObject_f_localsplus), values, total * 8);
	size_t k = 0;
	bool stop = false;
	for (int g = 0; !err && g < 3 && !stop; g++)
		for (size_t i = 0; i < counts[g] && !stop; i++, k++)
			stop = visit_local(prog, groups[g][i], values[k], g > 0, visit, arg);
	free(values);
	for (int g = 0; g < 3; g++)
		free(groups[g]);
	return err;
}

/* The most slots read of one frame: locals, cells and value stack. */
#define MAX_FRAME_SLOTS 8192u

struct pyx_error *frame_slots(struct pyx_program *prog, const struct pyx_frame *f,
			      uint64_t **ret, size_t *n)
{
	*ret = NULL;
	*n = 0;
	int32_t stacksize;
	PYX_TRY(read_i32(prog, f->code + LV(prog, PyCodeObject_co_stacksize), &stacksize));
	uint64_t base;
	size_t count;
	if (HAS(prog, _PyInterpreterFrame)) {
		int32_t nlocalsplus;
		PYX_TRY(read_i32(prog, f->code + LV(prog, PyCodeObject_co_nlocalsplus), &nlocalsplus));
		if (nlocalsplus < 0 || stacksize < 0)
			return NULL;
		base = f->frame + (uint64_t)LV(prog, _PyInterpreterFrame_localsplus);
		count = (size_t)nlocalsplus + (size_t)stacksize;
	} else {
		uint64_t stack;
		base = f->frame + (uint64_t)LV(prog, PyFrameObject_f_localsplus);
		PYX_TRY(read_ptr(prog, f->frame + LV(prog, PyFrameObject_f_valuestack), &stack));
		if (stack < base || stacksize < 0 || (stack - base) / 8 > MAX_FRAME_SLOTS)
			return NULL;
		count = (size_t)(stack - base) / 8 + (size_t)stacksize;
	}
	if (count > MAX_FRAME_SLOTS)
		count = MAX_FRAME_SLOTS;
	if (!count)
		return NULL;
	uint64_t *v = malloc(count * sizeof(*v));
	if (!v)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(prog->target, base, v, count * 8);
	if (err) {
		free(v);
		return err;
	}
	for (size_t i = 0; i < count; i++)
		v[i] = stackref_object(prog, v[i]);
	*ret = v;
	*n = count;
	return NULL;
}

struct pyx_error *frame_globals(struct pyx_program *prog, const struct pyx_frame *f,
				uint64_t *ret)
{
	if (HAS(prog, _PyInterpreterFrame))
		return read_ptr(prog, f->frame + LV(prog, _PyInterpreterFrame_globals), ret);
	return read_ptr(prog, f->frame + LV(prog, PyFrameObject_f_globals), ret);
}
