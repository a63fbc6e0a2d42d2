/* native.c - native frames, as an unwinder saw them, next to the Python
 * frames the eval loop runs. */
#include <stdlib.h>
#include <string.h>

#include "runtime/modules.h"
#include "native/native.h"

#define EVAL_NAME "_PyEval_EvalFrameDefault"

bool native_is_eval(const char *function)
{
	size_t n = strlen(EVAL_NAME);
	return function && strncmp(function, EVAL_NAME, n) == 0 &&
	       (function[n] == '\0' || function[n] == '.');
}

const struct pyx_native_thread *native_thread(const struct pyx_native_stacks *stacks,
					      int tid)
{
	if (!stacks)
		return NULL;
	for (size_t i = 0; i < stacks->nthreads; i++)
		if (stacks->threads[i].tid == tid)
			return &stacks->threads[i];
	return NULL;
}

const char *native_function(struct pyx_program *prog, const struct pyx_native_thread *nt,
			    size_t i)
{
	const struct pyx_native_frame *f = &nt->frames[i];
	if (f->function)
		return f->function;
	const struct native_loc *locs;
	size_t n = native_locate(prog, f->pc, i > 0 && !f->activation, &locs);
	return locs[n - 1].function;
}

bool native_module_offset(struct pyx_program *prog, uint64_t pc, uint64_t *ret)
{
	struct pyx_module *m = modules_find_addr(prog->modules, pc);
	if (!m)
		return false;
	Dwarf_Addr bias = 0;
	if (!dwfl_module_getelf(m->mod, &bias))
		return false;
	*ret = pc - bias;
	return true;
}

static const char *base_name(const char *path)
{
	if (!path)
		return NULL;
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

const char *native_module(struct pyx_program *prog, const struct pyx_native_thread *nt,
			  size_t i)
{
	const struct pyx_native_frame *f = &nt->frames[i];
	if (f->module)
		return base_name(f->module);
	struct pyx_module *m = modules_find_addr(prog->modules, f->pc);
	return m ? base_name(m->name) : NULL;
}

struct pyx_error *native_merge(struct pyx_program *prog, const struct pyx_native_thread *nt,
			       const struct pyx_frame *py, size_t npy,
			       struct merged_frame **ret, size_t *n)
{
	size_t nnat = nt ? nt->nframes : 0;
	/* Runs of Python frames, innermost first: each ends (inclusive) at
	 * a frame entered from C; up to 3.10 every frame is its own run. */
	size_t *run_start = malloc((npy + 1) * sizeof(*run_start));
	size_t *evals = malloc((nnat + 1) * sizeof(*evals));
	struct merged_frame *out = malloc((nnat + npy + 1) * sizeof(*out));
	if (!run_start || !evals || !out) {
		free(run_start);
		free(evals);
		free(out);
		return pyx_error_no_memory();
	}
	size_t nruns = 0;
	for (size_t i = 0; i < npy; i++) {
		if (i == 0 || prog->minor < 11 || py[i - 1].entry)
			run_start[nruns++] = i;
	}
	run_start[nruns] = npy;
	size_t nevals = 0;
	for (size_t i = 0; i < nnat; i++)
		if (native_is_eval(native_function(prog, nt, i)))
			evals[nevals++] = i;
	size_t skip = nevals > nruns ? nevals - nruns : 0;
	size_t m = 0, run = 0;
	for (size_t i = 0, e = skip; i < nnat; i++) {
		if (e < nevals && evals[e] == i) {
			for (size_t k = run_start[run]; k < run_start[run + 1]; k++)
				out[m++] = (struct merged_frame){ .python = true, .index = k };
			run++;
			e++;
		}
		out[m++] = (struct merged_frame){ .python = false, .index = i };
	}
	for (size_t k = run_start[run]; k < npy; k++)
		out[m++] = (struct merged_frame){ .python = true, .index = k };
	free(run_start);
	free(evals);
	*ret = out;
	*n = m;
	return NULL;
}

void native_frame_json(struct pyx_program *prog, const struct pyx_native_thread *nt,
		       size_t i, struct strbuf *sb)
{
	const struct pyx_native_frame *f = &nt->frames[i];
	const char *function = native_function(prog, nt, i);
	const char *module = native_module(prog, nt, i);
	strbuf_puts(sb, "{\"kind\": \"native\", ");
	json_key(sb, "function");
	if (function)
		json_string(sb, function);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "address");
	json_hex(sb, f->pc);
	strbuf_puts(sb, ", ");
	json_key(sb, "module");
	if (module)
		json_string(sb, module);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "module_offset");
	uint64_t off;
	if (native_module_offset(prog, f->pc, &off))
		json_hex(sb, off);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "file");
	if (f->file)
		json_string(sb, f->file);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "line");
	if (f->line > 0)
		strbuf_printf(sb, "%d", f->line);
	else
		strbuf_puts(sb, "null");
	strbuf_printf(sb, ", \"inlined\": %s, \"index\": %zu}", f->inlined ? "true" : "false", i);
}
