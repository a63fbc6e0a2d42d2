/* breakpoints_json.c - the code objects a Python breakpoint watches.
 *
 * py-break stops when the eval loop reads the first instruction of a
 * function's code (the RESUME every function starts with from 3.11, the
 * first instruction up to 3.10) or of a line: those bytes are read when,
 * and only when, that code starts running or reaches that line, so a
 * hardware watchpoint on them costs nothing until the breakpoint hits.
 * This finds the code objects: from the functions the gc tracks, the
 * generators and the running frames, and recursively the code objects
 * among their constants (the functions a module or a class body will
 * define, nested functions); or, when a module is about to run, among the
 * constants of its code alone. */
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "objects/linetable.h"
#include "objects/object.h"
#include "threads/frames.h"
#include "threads/threads.h"
#include "util/addr_table.h"
#include "util/strbuf.h"

#define MAX_CODES (1u << 22)
#define MAX_CONSTS (1u << 16)

struct finder {
	struct pyx_program *prog;
	const char *name;       /* co_name wanted, or NULL */
	const char *file_base;  /* basename of co_filename wanted, or NULL */
	int line;               /* a line the code must have, or 0 */
	struct addr_set seen;
	uint64_t *todo;
	size_t ntodo, captodo;
	bool oom;
	struct strbuf *sb;
	size_t found;
};

static void push(struct finder *f, uint64_t code)
{
	if (!code || f->oom || f->seen.n >= MAX_CODES)
		return;
	if (!addr_set_add(&f->seen, code, &f->oom))
		return;
	if (f->ntodo == f->captodo) {
		size_t cap = f->captodo ? f->captodo * 2 : 256;
		uint64_t *v = realloc(f->todo, cap * sizeof(*v));
		if (!v) {
			f->oom = true;
			return;
		}
		f->todo = v;
		f->captodo = cap;
	}
	f->todo[f->ntodo++] = code;
}

static bool is_code(struct pyx_program *prog, uint64_t obj)
{
	uint64_t type = 0;
	struct pyx_error *err = read_ptr(prog, obj + LV(prog, PyObject_ob_type), &type);
	pyx_error_destroy(err);
	return !err && type == prog->wk.code_type;
}

struct line_starts {
	int line;
	int last_end;
	int *starts;
	size_t n, cap;
	bool oom;
};

static void line_start_visit(void *arg, int start, int end, int line)
{
	struct line_starts *ls = arg;
	bool continues = start == ls->last_end;
	ls->last_end = line == ls->line ? end : -1;
	if (line != ls->line || continues || ls->oom)
		return;
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 8;
		int *v = realloc(ls->starts, cap * sizeof(*v));
		if (!v) {
			ls->oom = true;
			return;
		}
		ls->starts = v;
		ls->cap = cap;
	}
	ls->starts[ls->n++] = start;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Does code match?  If so, add its entry to the answer. */
static struct pyx_error *consider(struct finder *f, uint64_t code)
{
	struct pyx_program *prog = f->prog;
	uint64_t name_obj, file_obj;
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_name), &name_obj));
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_filename), &file_obj));
	if (f->name) {
		bool eq = false;
		PYX_TRY(str_equals(prog, name_obj, f->name, &eq));
		if (!eq)
			return NULL;
	}
	struct pyx_frame names = { .code = code };
	PYX_TRY(code_names(prog, code, &names));
	struct pyx_error *err = NULL;
	if (f->file_base && strcmp(base_name(names.file), f->file_base) != 0)
		goto out;
	uint64_t base;
	int64_t length;
	int32_t first = 0, firsttraceable = 0;
	err = code_bytecode(prog, code, &base, &length);
	if (!err)
		err = read_i32(prog, code + LV(prog, PyCodeObject_co_firstlineno), &first);
	if (!err && HAS(prog, PyCodeObject_co_firsttraceable))
		err = read_i32(prog, code + LV(prog, PyCodeObject_co_firsttraceable),
			       &firsttraceable);
	if (err)
		goto out;
	struct line_starts ls = { .line = f->line, .last_end = -1 };
	if (f->line > 0) {
		err = code_line_ranges(prog, code, (int)length, line_start_visit, &ls);
		if (!err && ls.oom)
			err = pyx_error_no_memory();
		if (err || !ls.n) {
			free(ls.starts);
			goto out;
		}
	}
	uint64_t unit = (uint64_t)LV(prog, _Py_CODEUNIT);
	struct strbuf *sb = f->sb;
	strbuf_puts(sb, f->found ? ", {" : "{");
	f->found++;
	json_key(sb, "code");
	json_hex(sb, code);
	strbuf_puts(sb, ", ");
	json_key(sb, "function");
	json_string(sb, names.function);
	strbuf_puts(sb, ", ");
	json_key(sb, "file");
	json_string(sb, names.file);
	strbuf_puts(sb, ", ");
	json_key(sb, "first_line");
	strbuf_printf(sb, "%d, ", first);
	json_key(sb, "name_object");
	json_hex(sb, name_obj);
	strbuf_puts(sb, ", ");
	json_key(sb, "file_object");
	json_hex(sb, file_obj);
	strbuf_puts(sb, ", ");
	json_key(sb, "entry");
	json_hex(sb, base + (uint64_t)firsttraceable * unit);
	strbuf_puts(sb, ", ");
	json_key(sb, "line_addresses");
	strbuf_puts(sb, "[");
	for (size_t i = 0; i < ls.n; i++) {
		if (i)
			strbuf_puts(sb, ", ");
		json_hex(sb, base + (uint64_t)ls.starts[i]);
	}
	strbuf_printf(sb, "], \"unit\": %llu}", (unsigned long long)unit);
	free(ls.starts);
out:
	free(names.function);
	free(names.file);
	return err;
}

/* The code objects among code's constants. */
static void push_consts(struct finder *f, uint64_t code)
{
	uint64_t consts;
	struct pyx_error *err = read_ptr(f->prog, code + LV(f->prog, PyCodeObject_co_consts),
					 &consts);
	uint64_t *items = NULL;
	size_t n = 0, total = 0;
	if (!err && consts)
		err = sequence_items(f->prog, consts, false, MAX_CONSTS, &items, &n, &total);
	pyx_error_destroy(err);
	for (size_t i = 0; i < n; i++)
		if (is_code(f->prog, items[i]))
			push(f, items[i]);
	free(items);
}

static int gc_visit(void *arg, uint64_t obj, uint64_t type, int gen)
{
	(void)gen;
	struct finder *f = arg;
	struct pyx_program *prog = f->prog;
	const struct well_known *wk = &prog->wk;
	uint64_t code = 0;
	struct pyx_error *err = NULL;
	if (type == wk->function_type)
		err = read_ptr(prog, obj + LV(prog, PyFunctionObject_func_code), &code);
	else if (type == wk->code_type)
		code = obj;
	else if ((wk->gen_type && type == wk->gen_type) || (wk->coro_type && type == wk->coro_type) ||
		 (wk->async_gen_type && type == wk->async_gen_type))
		err = generator_code(prog, obj, &code);
	pyx_error_destroy(err);
	if (!err && code && is_code(prog, code))
		push(f, code);
	return f->oom;
}

/* The code objects the threads are running (a module's body, which holds
 * the code of the functions it has not defined yet). */
static void push_running(struct finder *f)
{
	struct pyx_thread *threads;
	size_t n;
	struct pyx_error *err = program_threads(f->prog, &threads, &n);
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct pyx_frame *frames = NULL;
		size_t nf = 0;
		err = thread_frames(f->prog, threads[i].tstate, &frames, &nf);
		pyx_error_destroy(err);
		for (size_t k = 0; k < nf; k++)
			push(f, frames[k].code);
		frames_free(frames, nf);
	}
	program_threads_free(threads, n);
}

struct pyx_error *pyx_code_find_json(struct pyx_program *prog, uint64_t root,
				     const char *name, const char *file, int line,
				     char **ret)
{
	struct finder f = { .prog = prog, .name = name && *name ? name : NULL,
			    .file_base = file && *file ? base_name(file) : NULL,
			    .line = line };
	struct pyx_error *err = NULL;
	if (root) {
		if (!is_code(prog, root))
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"0x%llx is not a code object", (unsigned long long)root);
		push(&f, root);
	} else {
		push_running(&f);
		err = gc_foreach(prog, GEN_MASK_ALL, gc_visit, &f);
	}
	struct strbuf sb = STRBUF_INIT;
	f.sb = &sb;
	strbuf_puts(&sb, "{\"codes\": [");
	for (size_t i = 0; !err && !f.oom && i < f.ntodo; i++) {
		uint64_t code = f.todo[i];
		push_consts(&f, code);
		struct pyx_error *e = consider(&f, code);
		/* A code object that does not read is not one to watch. */
		if (e && (pyx_error_code(e) == PYX_ERR_NO_MEMORY ||
			  pyx_error_code(e) == PYX_ERR_INTERRUPTED))
			err = e;
		else
			pyx_error_destroy(e);
	}
	if (!err && f.oom)
		err = pyx_error_no_memory();
	strbuf_printf(&sb, "], \"scanned\": %zu}", f.ntodo);
	free(f.todo);
	addr_set_free(&f.seen);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	return strbuf_finish(&sb, ret);
}
