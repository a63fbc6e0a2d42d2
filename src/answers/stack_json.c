/* stack_json.c - py-stack's answer as JSON (shape in docs/py-stack.md). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answers/stack_json.h"
#include "heap/heap.h"
#include "native/native.h"
#include "native/status.h"
#include "util/repeats.h"
#include "objects/repr.h"
#include "threads/exceptions.h"
#include "threads/threads.h"

const char *signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", sig);
	return buf;
}

struct locals_ctx {
	struct pyx_program *prog;
	struct strbuf *sb;
	struct pyx_repr_limits limits;
	bool first;
};

static int locals_visit(void *arg, uint64_t name, uint64_t value)
{
	struct locals_ctx *c = arg;
	char *n = NULL;
	struct pyx_error *err = object_str_utf8(c->prog, name, 200, &n);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	struct strbuf r = STRBUF_INIT;
	repr_object(c->prog, value, &c->limits, &r);
	strbuf_puts(c->sb, c->first ? "" : ", ");
	json_key(c->sb, n);
	json_string_n(c->sb, r.s ? r.s : "", r.len);
	strbuf_release(&r);
	free(n);
	c->first = false;
	return 0;
}

void stack_frame_json(struct pyx_program *prog, const struct pyx_frame *f,
		      unsigned flags, struct strbuf *sb)
{
	strbuf_puts(sb, "{");
	if (flags & STACK_KIND)
		strbuf_puts(sb, "\"kind\": \"python\", ");
	json_key(sb, "function");
	json_string(sb, f->function);
	strbuf_puts(sb, ", ");
	json_key(sb, "file");
	json_string(sb, f->file);
	strbuf_puts(sb, ", ");
	json_key(sb, "line");
	strbuf_printf(sb, "%d, ", f->line);
	json_key(sb, "address");
	json_hex(sb, f->frame);
	strbuf_puts(sb, ", ");
	json_key(sb, "entered_from_c");
	strbuf_puts(sb, f->entry ? "true" : "false");
	if (flags & PYX_STACK_LOCALS) {
		strbuf_puts(sb, ", ");
		json_key(sb, "locals");
		strbuf_puts(sb, "{");
		struct locals_ctx c = {
			.prog = prog, .sb = sb, .first = true,
			.limits = { .max_depth = 2, .max_items = 8, .max_string = 80 },
		};
		struct pyx_error *err = frame_locals(prog, f, locals_visit, &c);
		if (err) {
			strbuf_puts(sb, c.first ? "" : ", ");
			json_key(sb, "<error>");
			json_string(sb, pyx_error_message(err));
			pyx_error_destroy(err);
		}
		strbuf_puts(sb, "}");
	}
	strbuf_puts(sb, "}");
}

void stack_exception_json(struct pyx_program *prog, uint64_t tstate, struct strbuf *sb)
{
	struct exception_text t;
	thread_exception_text(prog, tstate, &t);
	exception_text_json(&t, sb);
	exception_text_release(&t);
}

void stack_thread_head_json(const struct pyx_thread *t, struct strbuf *sb)
{
	json_key(sb, "tid");
	strbuf_printf(sb, "%d, ", t->tid);
	json_key(sb, "thread_id");
	strbuf_printf(sb, "%llu, ", (unsigned long long)t->thread_id);
	json_key(sb, "interpreter");
	strbuf_printf(sb, "%lld, ", (long long)t->interp_id);
	json_key(sb, "name");
	if (t->name)
		json_string(sb, t->name);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "holds_gil");
	strbuf_puts(sb, t->holds_gil ? "true, " : "false, ");
	json_key(sb, "is_crashed");
	strbuf_puts(sb, t->crashed ? "true, " : "false, ");
}

/* A key per frame for finding repeated runs: equal for equal frames. */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

uint64_t stack_python_key(const struct pyx_frame *f)
{
	return (f->code * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)(uint32_t)f->line << 1) ^ 1;
}

uint64_t stack_native_key(struct pyx_program *prog, const struct pyx_native_thread *nt,
			  size_t i)
{
	return (nt->frames[i].pc * 0xc2b2ae3d27d4eb4full) ^
	       name_hash(native_function(prog, nt, i)) ^ (nt->frames[i].inlined ? 2 : 0);
}

void stack_limits_json(const struct pyx_native_thread *nt, struct strbuf *sb)
{
	strbuf_puts(sb, ", ");
	json_key(sb, "native_truncated");
	strbuf_puts(sb, nt && nt->truncated ? "true" : "false");
	if (nt && nt->error) {
		strbuf_puts(sb, ", ");
		json_key(sb, "native_error");
		json_string(sb, nt->error);
	}
}

/* The frames of a thread, outermost first: Python ones only, or merged
 * with the thread's native frames; and the runs of them that repeat. */
static void frames_json(struct pyx_program *prog, const struct pyx_frame *frames, size_t n,
			const struct pyx_native_thread *nt, unsigned flags,
			struct strbuf *sb)
{
	json_key(sb, "frames");
	strbuf_puts(sb, "[");
	struct merged_frame *merged = NULL;
	size_t nm = 0;
	struct pyx_error *err = NULL;
	if (flags & STACK_KIND)
		err = native_merge(prog, nt, frames, n, &merged, &nm);
	if (err) {
		sb->oom = true;
		pyx_error_destroy(err);
		merged = NULL;
	}
	if (!merged) {
		/* Python frames only, innermost first like the merged list. */
		merged = malloc((n + 1) * sizeof(*merged));
		if (!merged) {
			sb->oom = true;
			strbuf_puts(sb, "]");
			return;
		}
		for (size_t i = 0; i < n; i++)
			merged[i] = (struct merged_frame){ .python = true, .index = i };
		nm = n;
	}
	uint64_t *keys = malloc((nm + 1) * sizeof(*keys));
	/* Outermost first, as traceback.extract_stack() lists them. */
	for (size_t k = 0; k < nm; k++) {
		size_t i = nm - 1 - k;
		if (keys)
			keys[k] = merged[i].python ? stack_python_key(&frames[merged[i].index])
				: stack_native_key(prog, nt, merged[i].index);
		if (merged[i].python)
			stack_frame_json(prog, &frames[merged[i].index], flags, sb);
		else
			native_frame_json(prog, nt, merged[i].index, sb);
		if (i)
			strbuf_puts(sb, ", ");
	}
	strbuf_puts(sb, "], ");
	json_key(sb, "repeats");
	struct repeat *reps = NULL;
	size_t nreps = keys ? find_repeats(keys, nm, &reps) : 0;
	if (nreps == (size_t)-1) {
		sb->oom = true;
		nreps = 0;
	}
	repeats_json(reps, nreps, sb);
	free(reps);
	free(keys);
	free(merged);
}

static void status_of(struct pyx_program *prog, const struct stack_context *ctx,
		      const struct pyx_thread *t, int tid, const struct pyx_frame *frames,
		      size_t n, const struct pyx_native_thread *nt, struct strbuf *sb)
{
	struct status_input in = {
		.tid = tid, .has_python = t != NULL, .holds_gil = t && t->holds_gil,
		.gc_collecting = ctx && ctx->gc_collecting,
		.frames = frames, .nframes = n, .native = nt,
		.lock = ctx ? locks_wait_of(ctx->locks, tid) : NULL,
	};
	struct thread_status st;
	thread_status(prog, &in, &st);
	strbuf_puts(sb, ", ");
	thread_status_json(&st, sb);
}

static void thread_json(struct pyx_program *prog, const struct pyx_thread *t,
			unsigned flags, const struct pyx_native_stacks *native,
			const struct stack_context *ctx, struct strbuf *sb)
{
	strbuf_puts(sb, "{");
	stack_thread_head_json(t, sb);
	struct pyx_frame *frames = NULL;
	size_t n = 0;
	struct pyx_error *err = thread_frames(prog, t->tstate, &frames, &n);
	if (err) {
		json_key(sb, "error");
		json_string(sb, pyx_error_message(err));
		strbuf_puts(sb, ", ");
		pyx_error_destroy(err);
	}
	const struct pyx_native_thread *nt = native_thread(native, t->tid);
	frames_json(prog, frames, n, nt, flags, sb);
	if (flags & STACK_KIND)
		stack_limits_json(nt, sb);
	status_of(prog, ctx, t, t->tid, frames, n, nt, sb);
	frames_free(frames, n);
	if (flags & PYX_STACK_EXCEPTIONS) {
		strbuf_puts(sb, ", ");
		stack_exception_json(prog, t->tstate, sb);
	}
	strbuf_puts(sb, "}");
}

/* A thread that never ran Python: its native frames only. */
static void native_only_json(struct pyx_program *prog, const struct pyx_native_thread *nt,
			     const struct stack_context *ctx, struct strbuf *sb)
{
	struct pyx_crash_info crash;
	pyx_target_crash_info(prog->target, &crash);
	strbuf_printf(sb, "{\"tid\": %d, \"thread_id\": null, \"interpreter\": null, ", nt->tid);
	json_key(sb, "name");
	if (nt->name)
		json_string(sb, nt->name);
	else
		strbuf_puts(sb, "null");
	strbuf_printf(sb, ", \"holds_gil\": false, \"is_crashed\": %s, ",
		      crash.signo && crash.tid == nt->tid ? "true" : "false");
	frames_json(prog, NULL, 0, nt, STACK_KIND, sb);
	stack_limits_json(nt, sb);
	status_of(prog, ctx, NULL, nt->tid, NULL, 0, nt, sb);
	strbuf_puts(sb, "}");
}

void stack_crash_json(struct pyx_program *prog, struct strbuf *sb)
{
	struct pyx_crash_info crash;
	pyx_target_crash_info(prog->target, &crash);
	json_key(sb, "crash");
	if (!crash.signo) {
		strbuf_puts(sb, "null");
		return;
	}
	char buf[32];
	strbuf_puts(sb, "{");
	json_key(sb, "signal");
	json_string(sb, signal_name(crash.signo, buf, sizeof(buf)));
	strbuf_puts(sb, ", ");
	json_key(sb, "tid");
	strbuf_printf(sb, "%d, ", crash.tid);
	json_key(sb, "address");
	if (crash.has_address)
		json_hex(sb, crash.address);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, "}");
}

void stack_context_init(struct pyx_program *prog, struct stack_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	struct pyx_error *err = program_locks(prog, &ctx->locks);
	if (err) {
		ctx->locks = NULL;
		pyx_error_destroy(err);
	}
	uint64_t *interps = NULL;
	size_t ninterps = 0;
	struct gc_state_info gc;
	err = program_interpreters(prog, &interps, &ninterps);
	if (!err && ninterps)
		err = gc_state_read(prog, interps[ninterps - 1], false, &gc);
	ctx->gc_known = !err && ninterps;
	ctx->gc_collecting = ctx->gc_known && gc.collecting;
	pyx_error_destroy(err);
	free(interps);
}

void stack_context_release(struct stack_context *ctx)
{
	locks_destroy(ctx->locks);
	ctx->locks = NULL;
}

static struct pyx_error *stack_json(struct pyx_program *prog, uint64_t tid, unsigned flags,
				    const struct pyx_native_stacks *native, char **ret)
{
	struct pyx_thread *threads;
	size_t n;
	PYX_TRY(program_threads(prog, &threads, &n));
	struct stack_context ctx;
	stack_context_init(prog, &ctx);
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{");
	json_key(&sb, "python_version");
	json_string(&sb, prog->python_version_string ? prog->python_version_string : "?");
	strbuf_puts(&sb, ", ");
	stack_crash_json(prog, &sb);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "threads");
	strbuf_puts(&sb, "[");
	bool first = true, found = false;
	for (size_t i = 0; i < n; i++) {
		if (tid && (uint64_t)threads[i].tid != tid && threads[i].thread_id != tid)
			continue;
		found = true;
		if (!first)
			strbuf_puts(&sb, ", ");
		first = false;
		thread_json(prog, &threads[i], flags, native, &ctx, &sb);
	}
	/* --native-all: threads that never ran Python, after those that did. */
	for (size_t k = 0; native && (flags & PYX_STACK_NATIVE_ALL) && k < native->nthreads; k++) {
		const struct pyx_native_thread *nt = &native->threads[k];
		bool python = false;
		for (size_t i = 0; i < n && !python; i++)
			python = threads[i].tid == nt->tid;
		if (python || (tid && (uint64_t)nt->tid != tid))
			continue;
		found = true;
		if (!first)
			strbuf_puts(&sb, ", ");
		first = false;
		native_only_json(prog, nt, &ctx, &sb);
	}
	strbuf_puts(&sb, "]}");
	stack_context_release(&ctx);
	program_threads_free(threads, n);
	if (tid && !found) {
		strbuf_release(&sb);
		return pyx_error_create(PYX_ERR_NOT_FOUND,
			"no Python thread with id %llu (py-stack lists the thread ids)",
			(unsigned long long)tid);
	}
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_stack_native_json(struct pyx_program *prog, uint64_t tid,
					unsigned flags,
					const struct pyx_native_stacks *native,
					char **ret)
{
	return program_explain(prog, stack_json(prog, tid, flags | STACK_KIND, native, ret));
}

struct pyx_error *pyx_stack_json(struct pyx_program *prog, uint64_t tid, unsigned flags,
				 char **ret)
{
	return program_explain(prog, stack_json(prog, tid, flags & ~STACK_KIND, NULL, ret));
}
