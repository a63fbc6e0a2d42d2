/* triage.c - py-triage: what killed the process, and where every thread
 * was (shape in docs/py-triage.md). */
#include <stdlib.h>
#include <string.h>

#include "answers/stack_json.h"
#include "heap/heap.h"
#include "native/native.h"
#include "threads/exceptions.h"
#include "threads/threads.h"

/* Native frames shown after a thread's last Python frame, at most. */
#define MAX_SHOWN_NATIVE 64

/* Frames in these modules are where a signal surfaces (abort(), raise()),
 * rarely where the bug is: the verdict names the first frame outside. */
static bool is_system_module(const char *module)
{
	static const char *const prefixes[] = {
		"libc.so", "libc-", "libpthread", "ld-linux", "ld64.so", "libgcc_s",
	};
	if (!module)
		return false;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(module, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* One thread as triage sees it. */
struct triage_thread {
	const struct pyx_thread *py;           /* NULL: a thread without Python */
	const struct pyx_native_thread *native; /* NULL: no native stack given */
	struct pyx_frame *frames;               /* Python frames, innermost first */
	size_t nframes;
	struct pyx_error *frames_err;
	size_t *between;   /* native frames inner to the last Python one, innermost first */
	size_t nbetween;
	size_t between_left; /* more of them than MAX_SHOWN_NATIVE: how many not shown */
	int tid;
	bool crashed;
	struct exception_text exc;
};

static void triage_thread_release(struct triage_thread *t)
{
	frames_free(t->frames, t->nframes);
	pyx_error_destroy(t->frames_err);
	free(t->between);
	exception_text_release(&t->exc);
}

static struct pyx_error *triage_thread_fill(struct pyx_program *prog, struct triage_thread *t)
{
	if (t->py) {
		t->frames_err = thread_frames(prog, t->py->tstate, &t->frames, &t->nframes);
		thread_exception_text(prog, t->py->tstate, &t->exc);
	}
	if (!t->native)
		return NULL;
	struct merged_frame *merged;
	size_t n;
	PYX_TRY(native_merge(prog, t->native, t->frames, t->nframes, &merged, &n));
	t->between = malloc((n + 1) * sizeof(*t->between));
	if (!t->between) {
		free(merged);
		return pyx_error_no_memory();
	}
	size_t i = 0;
	for (; i < n && !merged[i].python && t->nbetween < MAX_SHOWN_NATIVE; i++)
		t->between[t->nbetween++] = merged[i].index;
	for (; i < n && !merged[i].python; i++)
		t->between_left++;
	free(merged);
	return NULL;
}

static void thread_report_json(struct pyx_program *prog, const struct triage_thread *t,
			       struct strbuf *sb)
{
	strbuf_puts(sb, "{");
	if (t->py) {
		stack_thread_head_json(t->py, sb);
	} else {
		strbuf_printf(sb, "\"tid\": %d, \"thread_id\": null, \"interpreter\": null, ", t->tid);
		json_key(sb, "name");
		if (t->native && t->native->name)
			json_string(sb, t->native->name);
		else
			strbuf_puts(sb, "null");
		strbuf_printf(sb, ", \"holds_gil\": false, \"is_crashed\": %s, ",
			      t->crashed ? "true" : "false");
	}
	if (t->frames_err) {
		json_key(sb, "error");
		json_string(sb, pyx_error_message(t->frames_err));
		strbuf_puts(sb, ", ");
	}
	json_key(sb, "frames");
	strbuf_puts(sb, "[");
	for (size_t i = t->nframes; i-- > 0;) {
		stack_frame_json(prog, &t->frames[i], 0, sb);
		if (i)
			strbuf_puts(sb, ", ");
	}
	strbuf_puts(sb, "], ");
	json_key(sb, "native_frames");
	strbuf_puts(sb, "[");
	for (size_t i = t->nbetween; i-- > 0;) {
		native_frame_json(prog, t->native, t->between[i], sb);
		if (i)
			strbuf_puts(sb, ", ");
	}
	strbuf_printf(sb, "], \"native_frames_truncated\": %s, \"native_frames_limit\": %d, ",
		      t->between_left ? "true" : "false", MAX_SHOWN_NATIVE);
	exception_text_json(&t->exc, sb);
	strbuf_puts(sb, "}");
}

static const char *file_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* "SIGSEGV in module M, function F(), called from app.py:42 in handle()" */
static void verdict(struct pyx_program *prog, const char *head, const struct triage_thread *t,
		    struct strbuf *sb)
{
	strbuf_puts(sb, head);
	if (!t)
		return;
	if (t->nbetween) {
		/* Innermost frame outside the C library, or the innermost. */
		size_t pick = t->between[0];
		const char *via = NULL, *via_module = NULL;
		for (size_t i = 0; i < t->nbetween; i++) {
			if (!is_system_module(native_module(prog, t->native, t->between[i]))) {
				pick = t->between[i];
				if (i) {
					via = native_function(prog, t->native, t->between[0]);
					via_module = native_module(prog, t->native, t->between[0]);
				}
				break;
			}
		}
		const char *module = native_module(prog, t->native, pick);
		const char *function = native_function(prog, t->native, pick);
		strbuf_printf(sb, " in module %s, function %s()", module ? module : "??",
			      function ? function : "??");
		if (via)
			strbuf_printf(sb, " (in %s() of %s)", via, via_module ? via_module : "??");
	}
	if (t->nframes) {
		const struct pyx_frame *f = &t->frames[0];
		strbuf_printf(sb, ", called from %s:%d in %s()", file_base(f->file), f->line,
			      f->function);
	} else {
		strbuf_printf(sb, ", in thread %d, which runs no Python code", t->tid);
	}
	if (t->exc.present)
		strbuf_printf(sb, ", while %s %s: %s", t->exc.raised ? "raising" : "handling",
			      t->exc.type ? t->exc.type : "?",
			      t->exc.message ? t->exc.message : "<unreadable>");
}

static struct pyx_error *triage_json_answer(struct pyx_program *prog,
					    const struct pyx_native_stacks *native,
					    char **ret)
{
	struct pyx_thread *threads;
	size_t n;
	PYX_TRY(program_threads(prog, &threads, &n));
	struct pyx_crash_info crash;
	pyx_target_crash_info(prog->target, &crash);
	struct triage_thread *tt = calloc(n + 1, sizeof(*tt));
	if (!tt) {
		program_threads_free(threads, n);
		return pyx_error_no_memory();
	}
	size_t nt = 0;
	struct pyx_error *err = NULL;
	/* The faulting thread first, then the others in py-stack's order. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			if (threads[i].crashed != (pass == 0))
				continue;
			tt[nt].py = &threads[i];
			tt[nt].tid = threads[i].tid;
			tt[nt].crashed = threads[i].crashed;
			tt[nt].native = native_thread(native, threads[i].tid);
			nt++;
		}
		/* A thread that took the signal without ever running Python. */
		if (pass == 0 && nt == 0 && crash.signo && crash.tid) {
			tt[nt].tid = crash.tid;
			tt[nt].crashed = true;
			tt[nt].native = native_thread(native, crash.tid);
			nt++;
		}
	}
	for (size_t i = 0; i < nt && !err; i++)
		err = triage_thread_fill(prog, &tt[i]);

	uint64_t *interps = NULL;
	size_t ninterps = 0;
	struct gc_state_info gc;
	bool gc_known = false;
	struct pyx_error *e = program_interpreters(prog, &interps, &ninterps);
	if (!e && ninterps)
		e = gc_state_read(prog, interps[ninterps - 1], false, &gc);
	gc_known = !e && ninterps;
	pyx_error_destroy(e);
	free(interps);

	struct strbuf sb = STRBUF_INIT;
	if (!err) {
		char buf[32];
		const char *sig = crash.signo ? signal_name(crash.signo, buf, sizeof(buf)) : "none";
		strbuf_puts(&sb, "{");
		json_key(&sb, "signal");
		json_string(&sb, sig);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "fault_address");
		if (crash.signo && crash.has_address)
			json_hex(&sb, crash.address);
		else
			strbuf_puts(&sb, "null");
		strbuf_puts(&sb, ", ");
		json_key(&sb, "crashed_tid");
		if (crash.signo && crash.tid)
			strbuf_printf(&sb, "%d, ", crash.tid);
		else
			strbuf_puts(&sb, "null, ");
		json_key(&sb, "python_version");
		json_string(&sb, prog->python_version_string ? prog->python_version_string : "?");
		strbuf_puts(&sb, ", ");
		json_key(&sb, "gil_holder");
		int holder = 0;
		for (size_t i = 0; i < n; i++)
			if (threads[i].holds_gil)
				holder = threads[i].tid;
		if (holder)
			strbuf_printf(&sb, "%d, ", holder);
		else
			strbuf_puts(&sb, "null, ");
		json_key(&sb, "gc_collecting");
		strbuf_puts(&sb, !gc_known ? "null, " : gc.collecting ? "true, " : "false, ");
		/* The verdict: about the faulting thread; without a signal,
		 * about the first thread the unwinder gave (the one gdb has
		 * selected), else the first Python thread. */
		const struct triage_thread *subject = NULL;
		struct strbuf head = STRBUF_INIT;
		if (crash.signo) {
			for (size_t i = 0; i < nt && !subject; i++)
				if (tt[i].crashed)
					subject = &tt[i];
			strbuf_puts(&head, sig);
			if (!subject)
				strbuf_puts(&head, " (the thread that took it is not known)");
		} else {
			int want = native && native->nthreads ? native->threads[0].tid : 0;
			for (size_t i = 0; i < nt && !subject; i++)
				if (tt[i].tid == want)
					subject = &tt[i];
			if (!subject && nt)
				subject = &tt[0];
			strbuf_puts(&head, "no fatal signal: the process is stopped");
			if (subject)
				strbuf_printf(&head, "; thread %d is", subject->tid);
		}
		struct strbuf v = STRBUF_INIT;
		verdict(prog, head.s ? head.s : "", subject, &v);
		json_key(&sb, "verdict");
		json_string(&sb, v.s ? v.s : "");
		strbuf_release(&v);
		strbuf_release(&head);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "threads");
		strbuf_puts(&sb, "[");
		for (size_t i = 0; i < nt; i++) {
			if (i)
				strbuf_puts(&sb, ", ");
			thread_report_json(prog, &tt[i], &sb);
		}
		strbuf_puts(&sb, "]}");
	}
	for (size_t i = 0; i < nt; i++)
		triage_thread_release(&tt[i]);
	free(tt);
	program_threads_free(threads, n);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_triage_json(struct pyx_program *prog,
				  const struct pyx_native_stacks *native, char **ret)
{
	return program_explain(prog, triage_json_answer(prog, native, ret));
}
