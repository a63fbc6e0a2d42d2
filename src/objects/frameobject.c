/* frameobject.c - frame objects and generators as objects: where a
 * PyFrameObject stands (f_code, f_lineno), and a generator's code.  The
 * walk of a thread's running frames is threads/frames.c. */
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
