/* frameobject.c - frame objects and generators as objects: where a
 * PyFrameObject stands (f_code, f_lineno), and a generator's code.  The
 * walk of a thread's running frames is threads/frames.c. */
#include <string.h>

#include "objects/linetable.h"
#include "objects/object.h"

struct pyx_error *iframe_stack_depth(struct pyx_program *prog, uint64_t iframe, int64_t *ret)
{
	*ret = -1;
	if (HAS(prog, _PyInterpreterFrame_stackpointer)) {
		uint64_t sp;
		PYX_TRY(read_ptr(prog, iframe + LV(prog, _PyInterpreterFrame_stackpointer), &sp));
		uint64_t base = iframe + (uint64_t)LV(prog, _PyInterpreterFrame_localsplus);
		if (sp >= base && sp - base < (8ull << 20) && !((sp - base) & 7))
			*ret = (int64_t)((sp - base) / 8);
		return NULL;
	}
	if (HAS(prog, _PyInterpreterFrame_stacktop)) {
		int32_t top;
		PYX_TRY(read_i32(prog, iframe + LV(prog, _PyInterpreterFrame_stacktop), &top));
		*ret = top;
	}
	return NULL;
}

struct pyx_error *iframe_code(struct pyx_program *prog, uint64_t iframe, uint64_t *ret)
{
	uint64_t bits;
	PYX_TRY(read_ptr(prog, iframe + LV(prog, _PyInterpreterFrame_code), &bits));
	*ret = stackref_object(prog, bits);
	return NULL;
}

struct pyx_error *frame_object_location(struct pyx_program *prog, uint64_t frame,
					uint64_t *code, int *line)
{
	int32_t lineno;
	PYX_TRY(read_i32(prog, frame + LV(prog, PyFrameObject_f_lineno), &lineno));
	if (!HAS(prog, _PyInterpreterFrame)) {
		uint64_t trace;
		int32_t lasti;
		PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_code), code));
		PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_trace), &trace));
		PYX_TRY(read_i32(prog, frame + LV(prog, PyFrameObject_f_lasti), &lasti));
		if (trace) {
			*line = lineno;
			return NULL;
		}
		int64_t addr = lasti;
		if (prog->minor == 10 && lasti >= 0)
			addr = (int64_t)lasti * 2;
		return code_addr2line(prog, *code, addr, line);
	}
	uint64_t iframe, instr;
	PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_frame), &iframe));
	PYX_TRY(iframe_code(prog, iframe, code));
	if (lineno) {
		*line = lineno;
		return NULL;
	}
	PYX_TRY(read_ptr(prog, iframe + LV(prog, _PyInterpreterFrame_instr), &instr));
	uint64_t base = *code + (uint64_t)LV(prog, PyCodeObject_co_code_adaptive);
	return code_addr2line(prog, *code, (int64_t)(instr - base), line);
}

struct pyx_error *generator_code(struct pyx_program *prog, uint64_t gen, uint64_t *code)
{
	if (!HAS(prog, PyGenObject_gi_code))
		return iframe_code(prog, gen + (uint64_t)LV(prog, PyGenObject_gi_iframe), code);
	return read_ptr(prog, gen + LV(prog, PyGenObject_gi_code), code);
}

static bool yield_from_state(struct pyx_program *prog, int state)
{
	return (HAS(prog, FRAME_SUSPENDED_YIELD_FROM) &&
		state == LV(prog, FRAME_SUSPENDED_YIELD_FROM)) ||
	       (HAS(prog, FRAME_SUSPENDED_YIELD_FROM_LOCKED) &&
		state == LV(prog, FRAME_SUSPENDED_YIELD_FROM_LOCKED));
}

struct pyx_error *generator_frame(struct pyx_program *prog, uint64_t gen,
				  struct generator_frame *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (HAS(prog, PyGenObject_gi_iframe)) {
		int8_t state;
		ret->iframe = true;
		ret->frame = gen + (uint64_t)LV(prog, PyGenObject_gi_iframe);
		PYX_TRY(pyx_target_read(prog->target,
					gen + LV(prog, PyGenObject_gi_frame_state), &state, 1));
		/* The values and their order change between versions (3.15
		 * counts up from FRAME_CREATED = 0): compare, never order. */
		if (state == LV(prog, FRAME_CREATED))
			ret->state = GEN_CREATED;
		else if (state == LV(prog, FRAME_EXECUTING))
			ret->state = GEN_RUNNING;
		else if (state == LV(prog, FRAME_SUSPENDED) || yield_from_state(prog, state))
			ret->state = GEN_SUSPENDED;
		else
			ret->state = GEN_CLOSED;
		ret->raw_state = state;
		if (ret->state == GEN_CLOSED)
			return NULL;
		PYX_TRY(iframe_code(prog, ret->frame, &ret->code));
		uint64_t instr;
		PYX_TRY(read_ptr(prog, ret->frame + LV(prog, _PyInterpreterFrame_instr), &instr));
		uint64_t base = ret->code + (uint64_t)LV(prog, PyCodeObject_co_code_adaptive);
		if (ret->state == GEN_CREATED)
			return read_i32(prog, ret->code + LV(prog, PyCodeObject_co_firstlineno),
					&ret->line);
		return code_addr2line(prog, ret->code, (int64_t)(instr - base), &ret->line);
	}
	PYX_TRY(read_ptr(prog, gen + LV(prog, PyGenObject_gi_frame), &ret->frame));
	if (!ret->frame) {
		ret->state = GEN_CLOSED;
		return NULL;
	}
	int32_t lasti;
	PYX_TRY(read_i32(prog, ret->frame + LV(prog, PyFrameObject_f_lasti), &lasti));
	if (HAS(prog, PyFrameObject_f_state)) {
		int8_t state;
		PYX_TRY(pyx_target_read(prog->target, ret->frame + LV(prog, PyFrameObject_f_state),
					&state, 1));
		ret->raw_state = state;
		ret->state = state == LV(prog, FRAME_CREATED) ? GEN_CREATED
			: state == LV(prog, FRAME_SUSPENDED) ? GEN_SUSPENDED
			: state == LV(prog, FRAME_EXECUTING) ? GEN_RUNNING : GEN_CLOSED;
	} else {
		uint8_t executing;
		PYX_TRY(read_u8(prog, ret->frame + LV(prog, PyFrameObject_f_executing), &executing));
		ret->state = executing ? GEN_RUNNING : lasti < 0 ? GEN_CREATED : GEN_SUSPENDED;
	}
	if (ret->state == GEN_CLOSED)
		return NULL;
	return frame_object_location(prog, ret->frame, &ret->code, &ret->line);
}

struct pyx_error *generator_awaits(struct pyx_program *prog, uint64_t gen, uint64_t *ret)
{
	*ret = 0;
	struct generator_frame g;
	PYX_TRY(generator_frame(prog, gen, &g));
	if (g.state != GEN_SUSPENDED)
		return NULL;
	if (g.iframe) {
		if (HAS(prog, FRAME_SUSPENDED_YIELD_FROM)) {
			if (!yield_from_state(prog, g.raw_state))
				return NULL;
		} else {
			/* 3.11, 3.12: the instruction after the last one run
			 * is the RESUME that follows a yield from (oparg >= 2). */
			uint64_t instr;
			uint8_t next[2];
			PYX_TRY(read_ptr(prog, g.frame + LV(prog, _PyInterpreterFrame_instr), &instr));
			PYX_TRY(pyx_target_read(prog->target, instr + 2, next, 2));
			bool resume = next[0] == LV(prog, RESUME) ||
				(HAS(prog, RESUME_QUICK) && next[0] == LV(prog, RESUME_QUICK)) ||
				(HAS(prog, INSTRUMENTED_RESUME) && next[0] == LV(prog, INSTRUMENTED_RESUME));
			if (!resume || next[1] < 2)
				return NULL;
		}
		/* Up to 3.14 the awaitable is on top of the stack; 3.15's
		 * SEND leaves a NULL slot above it (gen_getyieldfrom reads
		 * stackpointer[-2]). */
		int64_t depth, peek = prog->minor >= 15 ? 2 : 1;
		PYX_TRY(iframe_stack_depth(prog, g.frame, &depth));
		if (depth < peek)
			return NULL;
		uint64_t bits;
		PYX_TRY(read_ptr(prog, g.frame + (uint64_t)LV(prog, _PyInterpreterFrame_localsplus) +
				 8 * (uint64_t)(depth - peek), &bits));
		*ret = stackref_object(prog, bits);
		return NULL;
	}
	/* 3.8 - 3.10: the next instruction is YIELD_FROM, the awaitable on
	 * top of the value stack. */
	int32_t lasti;
	uint64_t code_bytes;
	PYX_TRY(read_i32(prog, g.frame + LV(prog, PyFrameObject_f_lasti), &lasti));
	if (lasti < 0)
		return NULL;
	PYX_TRY(read_ptr(prog, g.code + LV(prog, PyCodeObject_co_code), &code_bytes));
	uint64_t next = HAS(prog, PyFrameObject_f_stackdepth)
		? ((uint64_t)lasti + 1) * 2 : (uint64_t)lasti + 2;
	int64_t len;
	PYX_TRY(var_size(prog, code_bytes, &len));
	if (len < 0 || next >= (uint64_t)len)
		return NULL;
	uint8_t op;
	PYX_TRY(read_u8(prog, code_bytes + LV(prog, PyBytesObject_ob_sval) + next, &op));
	if (op != LV(prog, YIELD_FROM))
		return NULL;
	uint64_t top;
	if (HAS(prog, PyFrameObject_f_stackdepth)) {
		int32_t depth;
		uint64_t stack;
		PYX_TRY(read_i32(prog, g.frame + LV(prog, PyFrameObject_f_stackdepth), &depth));
		PYX_TRY(read_ptr(prog, g.frame + LV(prog, PyFrameObject_f_valuestack), &stack));
		if (depth <= 0 || !stack)
			return NULL;
		top = stack + 8 * (uint64_t)depth;
	} else {
		PYX_TRY(read_ptr(prog, g.frame + LV(prog, PyFrameObject_f_stacktop), &top));
		if (!top)
			return NULL;
	}
	return read_ptr(prog, top - 8, ret);
}
