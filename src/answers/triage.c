/* triage.c - py-triage: what killed the process, and where every thread
 * was (shape in docs/py-triage.md).
 *
 * The verdict names the real cause: who sent the signal (the kernel for
 * a fault; kill() from another process; raise() or abort() in the
 * process itself), the original fault behind faulthandler's re-raise
 * (from the signal frame the kernel pushed), abort()'s reason (glibc's
 * assertion message), a stack overflow (a fault at the stack pointer,
 * with the recursion that filled the stack), the C function ctypes
 * called through libffi, and unnamed code as module+offset. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answers/locks_json.h"
#include "answers/stack_json.h"
#include "heap/heap.h"
#include "native/native.h"
#include "native/status.h"
#include "threads/exceptions.h"
#include "threads/tasks.h"
#include "threads/threads.h"
#include "util/repeats.h"

/* Where a fault at most this far below the stack pointer is an overflow. */
#define OVERFLOW_REACH (64u << 10)
/* The kernel's rt_sigframe on x86-64, from the signal trampoline's
 * stack pointer: struct ucontext (304 bytes: flags, link, stack, then the
 * sigcontext with the interrupted registers, the trap number and cr2, the
 * faulting address of a page fault), then the siginfo (written only for
 * SA_SIGINFO handlers; faulthandler's is not one). */
#define SIGFRAME_UCONTEXT_SIZE 304
#define SIGFRAME_RSP_OFFSET (40 + 15 * 8)
#define SIGFRAME_TRAPNO_OFFSET (40 + 20 * 8)
#define SIGFRAME_CR2_OFFSET (40 + 22 * 8)
#define X86_TRAP_PF 14

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

static bool is_libffi(const char *module)
{
	return module && strncmp(module, "libffi", 6) == 0;
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
	for (size_t i = 0; i < n && !merged[i].python; i++)
		t->between[t->nbetween++] = merged[i].index;
	free(merged);
	return NULL;
}

static void thread_report_json(struct pyx_program *prog, const struct triage_thread *t,
			       const struct stack_context *ctx, struct strbuf *sb)
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
	uint64_t *keys = malloc((t->nframes + t->nbetween + 1) * sizeof(*keys));
	json_key(sb, "frames");
	strbuf_puts(sb, "[");
	for (size_t i = t->nframes, k = 0; i-- > 0; k++) {
		stack_frame_json(prog, &t->frames[i], 0, sb);
		if (keys)
			keys[k] = stack_python_key(&t->frames[i]);
		if (i)
			strbuf_puts(sb, ", ");
	}
	strbuf_puts(sb, "], ");
	struct repeat *reps = NULL;
	size_t nreps = keys ? find_repeats(keys, t->nframes, &reps) : 0;
	if (nreps == (size_t)-1) {
		sb->oom = true;
		nreps = 0;
	}
	json_key(sb, "repeats");
	repeats_json(reps, nreps, sb);
	free(reps);
	strbuf_puts(sb, ", ");
	json_key(sb, "native_frames");
	strbuf_puts(sb, "[");
	for (size_t i = t->nbetween, k = 0; i-- > 0; k++) {
		native_frame_json(prog, t->native, t->between[i], sb);
		if (keys)
			keys[k] = stack_native_key(prog, t->native, t->between[i]);
		if (i)
			strbuf_puts(sb, ", ");
	}
	strbuf_puts(sb, "], ");
	reps = NULL;
	nreps = keys ? find_repeats(keys, t->nbetween, &reps) : 0;
	if (nreps == (size_t)-1) {
		sb->oom = true;
		nreps = 0;
	}
	json_key(sb, "native_repeats");
	repeats_json(reps, nreps, sb);
	free(reps);
	free(keys);
	stack_limits_json(t->native, sb);
	struct status_input in = {
		.tid = t->tid, .has_python = t->py != NULL, .holds_gil = t->py && t->py->holds_gil,
		.gc_collecting = ctx->gc_collecting, .frames = t->frames, .nframes = t->nframes,
		.native = t->native, .lock = locks_wait_of(ctx->locks, t->tid),
	};
	struct thread_status st;
	thread_status(prog, &in, &st);
	strbuf_puts(sb, ", ");
	thread_status_json(&st, sb);
	strbuf_puts(sb, ", ");
	exception_text_json(&t->exc, sb);
	strbuf_puts(sb, "}");
}

/* A lock as the deadlock line names it: the first Python name that
 * refers to it (without where the name lives), else its type and address. */
static void lock_short(const struct lock_wait *w, struct strbuf *sb)
{
	if (!w) {
		strbuf_puts(sb, "?");
		return;
	}
	if (w->nnames && w->names[0]) {
		const char *paren = strstr(w->names[0], " (");
		strbuf_printf(sb, "%.*s", paren ? (int)(paren - w->names[0]) : (int)strlen(w->names[0]),
			      w->names[0]);
	} else {
		strbuf_printf(sb, "%s 0x%llx", w->type ? w->type : wait_kind_name(w->kind),
			      (unsigned long long)w->object);
	}
}

/* "; deadlock: thread A (name) holds X and waits for Y; thread B ..."
 * for the first cycle py-locks found: what a hung process is stuck on. */
static void deadlock_text(const struct pyx_locks *l, struct strbuf *sb)
{
	if (!l || !l->ncycles)
		return;
	const struct lock_cycle *c = &l->cycles[0];
	strbuf_puts(sb, "; deadlock: ");
	for (size_t k = 0; k < c->n; k++) {
		const struct lock_wait *w = locks_wait_of(l, c->tids[k]);
		const struct lock_wait *held = locks_wait_of(l, c->tids[(k + c->n - 1) % c->n]);
		if (k)
			strbuf_puts(sb, "; ");
		strbuf_printf(sb, "thread %d", c->tids[k]);
		if (w && w->thread_name)
			strbuf_printf(sb, " (%s)", w->thread_name);
		strbuf_puts(sb, " holds ");
		if (c->n > 1)
			lock_short(held, sb);
		else
			strbuf_puts(sb, "it");
		strbuf_puts(sb, " and waits for ");
		lock_short(w, sb);
	}
	if (l->ncycles > 1)
		strbuf_printf(sb, " (and %zu more cycles: py-locks)", l->ncycles - 1);
}

/* "; asyncio tasks deadlocked: a awaits b, which awaits a" for the first
 * cycle of asyncio tasks awaiting each other; nothing when there is none
 * or the tasks cannot be read (py-tasks says why). */
static void task_deadlock_text(struct pyx_program *prog, struct strbuf *sb)
{
	struct pyx_tasks *t = NULL;
	struct pyx_error *err = program_tasks(prog, &t);
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	if (t->ncycles && t->cycle_len[0]) {
		const size_t *c = t->cycles[0];
		size_t n = t->cycle_len[0];
		strbuf_puts(sb, "; asyncio tasks deadlocked: ");
		for (size_t k = 0; k <= n; k++) {
			const struct pyx_task *task = &t->v[c[k % n]];
			if (k)
				strbuf_puts(sb, k == 1 ? " awaits " : ", which awaits ");
			if (task->name)
				strbuf_puts(sb, task->name);
			else
				strbuf_printf(sb, "task 0x%llx", (unsigned long long)task->addr);
		}
		if (t->ncycles > 1)
			strbuf_printf(sb, " (and %zu more cycles: py-tasks)", t->ncycles - 1);
	}
	tasks_destroy(t);
}

static const char *file_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* ---- the analysis ------------------------------------------------------------ */

struct finding {
	/* The frame the verdict names (an index into the thread's native
	 * frames), or -1. */
	long pick;
	long via;                /* the C library frame the signal surfaced in, or -1 */
	long ctypes_callee;      /* ctypes through libffi: the function it called, or -1 */
	/* faulthandler re-raised the signal: the frames from the one the
	 * original signal interrupted, and what the kernel recorded. */
	bool faulthandler;
	long orig_first;
	bool orig_has_address;
	uint64_t orig_address;
	uint64_t orig_sp;
	bool overflow;
	char *abort_reason;
	bool fatal_error;        /* Py_FatalError: the C function that called it */
	long fatal_caller;
};

static bool name_is(const char *f, const char *want)
{
	return f && strcmp(f, want) == 0;
}

/* glibc's multiarch implementations (__memmove_avx_unaligned_erms) by the
 * function a program calls (memmove). */
static char *called_name(const char *f)
{
	static const char *const variants[] = {
		"_avx", "_sse", "_evex", "_erms", "_unaligned", "_ssse3", "_generic",
	};
	if (!f)
		return NULL;
	/* glibc's internal aliases: __GI_abort, __libc_abort. */
	if (strncmp(f, "__GI_", 5) == 0)
		return strdup(f + 5);
	if (strncmp(f, "__libc_", 7) == 0)
		return strdup(f + 7);
	if (strncmp(f, "__", 2) == 0) {
		const char *end = NULL;
		for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
			const char *p = strstr(f + 2, variants[i]);
			if (p && (!end || p < end))
				end = p;
		}
		if (end && end > f + 2)
			return strndup(f + 2, (size_t)(end - f - 2));
	}
	return strdup(f);
}

/* glibc keeps the message of a failed assert() (and of its other fatal
 * errors) in __abort_msg: struct abort_msg_s { unsigned int size; char
 * msg[]; }. */
static char *abort_message(struct pyx_program *prog)
{
	uint64_t addr, msg;
	if (!modules_lookup(prog->modules, "__abort_msg", &addr, NULL))
		return NULL;
	struct pyx_error *err = read_ptr(prog, addr, &msg);
	char *s = NULL;
	if (!err && msg)
		err = target_read_cstr(prog->target, msg + 4, 4096, &s);
	pyx_error_destroy(err);
	if (s) {
		size_t n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
			s[--n] = '\0';
		if (!n) {
			free(s);
			s = NULL;
		}
	}
	return s;
}

static void analyse(struct pyx_program *prog, const struct pyx_crash_info *crash,
		    const struct triage_thread *t, struct finding *f)
{
	memset(f, 0, sizeof(*f));
	f->pick = f->via = f->ctypes_callee = f->orig_first = f->fatal_caller = -1;
	if (!t || !t->native)
		return;
	const struct pyx_native_thread *nt = t->native;
	/* faulthandler's handler re-raised the signal: the frames below the
	 * signal trampoline are where the original one struck. */
	if (crash && crash->signo && crash->has_sender && crash->sender_pid == prog->target->pid) {
		/* A signal handler ran on top of the frame a first signal
		 * interrupted (below the kernel's trampoline) and raised the
		 * signal again: only the C library's raise() and the handler
		 * (faulthandler_fatal_error, which may tail-call raise()) are
		 * above the trampoline. */
		for (size_t i = 0; i < nt->nframes; i++) {
			const char *fn = native_function(prog, nt, i);
			if (!nt->frames[i].signal_frame) {
				if (!is_system_module(native_module(prog, nt, i)) &&
				    !(fn && strncmp(fn, "faulthandler", 12) == 0))
					break;
				continue;
			}
			if (i + 1 < nt->nframes) {
				f->faulthandler = true;
				f->orig_first = (long)i + 1;
				uint64_t sp = nt->frames[i].sp;
				siginfo_t si;
				struct pyx_error *err = sp ? pyx_target_read(prog->target,
					sp + SIGFRAME_UCONTEXT_SIZE, &si, sizeof(si))
					: pyx_error_create(PYX_ERR_NOT_FOUND, "no sp");
				if (!err && si.si_signo == crash->signo && si.si_code > 0) {
					f->orig_has_address = true;
					f->orig_address = (uint64_t)(uintptr_t)si.si_addr;
				}
				pyx_error_destroy(err);
				uint64_t trapno = 0, cr2 = 0;
				err = sp ? read_ptr(prog, sp + SIGFRAME_TRAPNO_OFFSET, &trapno)
					: pyx_error_create(PYX_ERR_NOT_FOUND, "no sp");
				if (!err)
					err = read_ptr(prog, sp + SIGFRAME_CR2_OFFSET, &cr2);
				if (!err && !f->orig_has_address && trapno == X86_TRAP_PF &&
				    (crash->signo == SIGSEGV || crash->signo == SIGBUS)) {
					f->orig_has_address = true;
					f->orig_address = cr2;
				}
				pyx_error_destroy(err);
				uint64_t rsp;
				err = sp ? read_ptr(prog, sp + SIGFRAME_RSP_OFFSET, &rsp)
					: pyx_error_create(PYX_ERR_NOT_FOUND, "no sp");
				if (!err)
					f->orig_sp = rsp;
				pyx_error_destroy(err);
				break;
			}
		}
	}
	/* The frames that matter: innermost first, up to the last Python frame. */
	size_t from = 0;
	if (f->faulthandler) {
		for (from = 0; from < t->nbetween && (long)t->between[from] < f->orig_first; from++)
			;
	}
	/* Py_FatalError: name the function that called it. */
	for (size_t i = from; i < t->nbetween; i++) {
		const char *fn = native_function(prog, nt, t->between[i]);
		if (name_is(fn, "fatal_error") || name_is(fn, "_Py_FatalErrorFunc") ||
		    name_is(fn, "Py_FatalError") || name_is(fn, "_Py_FatalErrorFormat") ||
		    name_is(fn, "fatal_error_exit")) {
			f->fatal_error = true;
			f->fatal_caller = -1;
		} else if (f->fatal_error && f->fatal_caller < 0) {
			f->fatal_caller = (long)t->between[i];
		}
	}
	/* Innermost frame outside the C library. */
	for (size_t i = from; i < t->nbetween; i++) {
		size_t k = t->between[i];
		const char *module = native_module(prog, nt, k);
		if (is_system_module(module))
			continue;
		if (f->fatal_error && f->fatal_caller >= 0) {
			/* Past Py_FatalError's own frames. */
			const char *fn = native_function(prog, nt, k);
			if (name_is(fn, "fatal_error") || name_is(fn, "_Py_FatalErrorFunc") ||
			    name_is(fn, "Py_FatalError") || name_is(fn, "fatal_error_exit") ||
			    name_is(fn, "_Py_FatalErrorFormat"))
				continue;
		}
		f->pick = (long)k;
		if (i > from)
			f->via = (long)t->between[from];
		if (is_libffi(module) && i > from) {
			/* ctypes called a C function through libffi: that one. */
			f->ctypes_callee = (long)t->between[i - 1];
		}
		break;
	}
	if (f->pick < 0 && from < t->nbetween)
		f->pick = (long)t->between[from];
	if (crash && crash->signo == SIGABRT)
		f->abort_reason = abort_message(prog);
	/* A stack overflow: a fault just below the stack pointer, where
	 * nothing readable is (the guard page, or the end of the stack). */
	bool has_addr = f->faulthandler ? f->orig_has_address : crash && crash->has_address;
	uint64_t addr = f->faulthandler ? f->orig_address : crash ? crash->address : 0;
	uint64_t sp = f->faulthandler ? f->orig_sp : 0;
	if (!sp && nt->nframes)
		sp = nt->frames[0].sp;
	if (!sp)
		sp = target_thread_sp(prog->target, t->tid);
	/* A fault at the stack pointer (a push, a call, a store into the
	 * frame just made) or below it (nothing there is touched but the
	 * red zone) is the stack's end: the guard pages (which glibc 2.42 and
	 * later put inside the stack mapping, where a core holds zeros), or
	 * nothing mapped at all. */
	if (crash && (crash->signo == SIGSEGV || crash->signo == SIGBUS) && has_addr && sp &&
	    addr + OVERFLOW_REACH >= sp && addr < sp + 4096)
		f->overflow = true;
}

/* "walk() at app.py:5": the block of frames that repeats most. */
static void overflow_text(struct pyx_program *prog, const struct triage_thread *t,
			  struct strbuf *sb)
{
	size_t npy = t->nframes, nnat = t->native ? t->native->nframes : 0;
	uint64_t *keys = malloc((npy > nnat ? npy : nnat) * sizeof(*keys) + 8);
	struct repeat *reps = NULL;
	size_t nreps = 0;
	if (keys && npy) {
		for (size_t i = 0; i < npy; i++)
			keys[i] = stack_python_key(&t->frames[i]);
		nreps = find_repeats(keys, npy, &reps);
	}
	size_t best = (size_t)-1, best_frames = 0;
	for (size_t i = 0; nreps != (size_t)-1 && i < nreps; i++)
		if ((reps[i].more + 1) * reps[i].length > best_frames) {
			best = i;
			best_frames = (reps[i].more + 1) * reps[i].length;
		}
	if (best != (size_t)-1 && best_frames >= 100) {
		const struct pyx_frame *f = &t->frames[reps[best].first];
		char count[32];
		snprintf(count, sizeof(count), "%zu", npy);
		strbuf_printf(sb, "stack overflow: %s Python frames, %zu of them %s() at %s:%d "
			      "(recursion)", count, best_frames, f->function, file_base(f->file),
			      f->line);
		free(reps);
		free(keys);
		return;
	}
	free(reps);
	reps = NULL;
	nreps = 0;
	if (keys && nnat) {
		for (size_t i = 0; i < nnat; i++)
			keys[i] = stack_native_key(prog, t->native, i);
		nreps = find_repeats(keys, nnat, &reps);
	}
	best = (size_t)-1;
	best_frames = 0;
	for (size_t i = 0; nreps != (size_t)-1 && i < nreps; i++)
		if ((reps[i].more + 1) * reps[i].length > best_frames) {
			best = i;
			best_frames = (reps[i].more + 1) * reps[i].length;
		}
	if (best != (size_t)-1) {
		size_t k = reps[best].first;
		const char *fn = native_function(prog, t->native, k);
		const char *module = native_module(prog, t->native, k);
		strbuf_printf(sb, "stack overflow: %s%zu native frames, %zu of them %s() in %s "
			      "(recursion)", t->native->truncated ? "more than " : "", nnat,
			      best_frames, fn ? fn : "??", module ? module : "??");
	} else {
		strbuf_printf(sb, "stack overflow: %s%zu native frames, %zu Python frames",
			      t->native && t->native->truncated ? "more than " : "", nnat, npy);
	}
	free(reps);
	free(keys);
}

static void name_frame(struct pyx_program *prog, const struct pyx_native_thread *nt, long k,
		       struct strbuf *sb)
{
	const char *module = native_module(prog, nt, (size_t)k);
	const char *function = native_function(prog, nt, (size_t)k);
	uint64_t off;
	if (function)
		strbuf_printf(sb, "module %s, function %s()", module ? module : "??", function);
	else if (module && native_module_offset(prog, nt->frames[k].pc, &off))
		strbuf_printf(sb, "module %s, function ?? at %s+0x%llx", module, module,
			      (unsigned long long)off);
	else
		strbuf_printf(sb, "unmapped code at 0x%llx", (unsigned long long)nt->frames[k].pc);
}

static void verdict(struct pyx_program *prog, const struct pyx_crash_info *crash,
		    const char *head, const struct triage_thread *t, const struct finding *f,
		    struct strbuf *sb)
{
	strbuf_puts(sb, head);
	if (!t)
		return;
	const struct pyx_native_thread *nt = t->native;
	if (f->overflow) {
		strbuf_puts(sb, ": ");
		overflow_text(prog, t, sb);
	} else if (crash && crash->signo == SIGABRT && f->abort_reason) {
		strbuf_printf(sb, ": %s", f->abort_reason);
	} else if (f->fatal_error) {
		strbuf_puts(sb, ": Py_FatalError()");
		/* Its caller; ctypes through libffi is said below. */
		const char *caller = f->fatal_caller >= 0
			? native_function(prog, nt, (size_t)f->fatal_caller) : NULL;
		const char *caller_module = f->fatal_caller >= 0
			? native_module(prog, nt, (size_t)f->fatal_caller) : NULL;
		uint64_t off;
		if (caller)
			strbuf_printf(sb, " called by %s()", caller);
		else if (f->fatal_caller >= 0 && !is_libffi(caller_module) && caller_module &&
			 native_module_offset(prog, nt->frames[f->fatal_caller].pc, &off))
			strbuf_printf(sb, " called by unnamed code at %s+0x%llx", caller_module,
				      (unsigned long long)off);
	}
	if (f->ctypes_callee >= 0) {
		/* Named by the engine, whatever the front door called it: one
		 * code has several names (memcpy's and memmove's are one). */
		const struct pyx_native_frame *cf = &nt->frames[f->ctypes_callee];
		const struct native_loc *locs;
		size_t nl = native_locate(prog, cf->pc, !cf->activation, &locs);
		const char *raw = locs[nl - 1].function ? locs[nl - 1].function
			: native_function(prog, nt, (size_t)f->ctypes_callee);
		char *called = called_name(raw);
		const char *module = native_module(prog, nt, (size_t)f->ctypes_callee);
		uint64_t off;
		if (called)
			strbuf_printf(sb, " in %s() of %s", called, module ? module : "??");
		else if (module && native_module_offset(prog, cf->pc, &off))
			strbuf_printf(sb, " in unnamed code at %s+0x%llx", module,
				      (unsigned long long)off);
		else
			strbuf_printf(sb, " in unnamed code at 0x%llx", (unsigned long long)cf->pc);
		strbuf_printf(sb, ", called by ctypes through %s",
			      native_module(prog, nt, (size_t)f->pick));
		free(called);
	} else if (f->pick >= 0 && !f->overflow) {
		strbuf_puts(sb, " in ");
		name_frame(prog, nt, f->pick, sb);
		if (f->via >= 0 && !f->fatal_error && !f->abort_reason) {
			const char *via = native_function(prog, nt, (size_t)f->via);
			const char *via_module = native_module(prog, nt, (size_t)f->via);
			strbuf_printf(sb, " (in %s() of %s)", via ? via : "??",
				      via_module ? via_module : "??");
		}
	}
	if (t->nframes) {
		const struct pyx_frame *fr = &t->frames[0];
		strbuf_printf(sb, ", called from %s:%d in %s()", file_base(fr->file), fr->line,
			      fr->function);
	} else {
		strbuf_printf(sb, ", in thread %d, which runs no Python code", t->tid);
	}
	if (t->exc.present)
		strbuf_printf(sb, ", while %s %s: %s", t->exc.raised ? "raising" : "handling",
			      t->exc.type ? t->exc.type : "?",
			      t->exc.message ? t->exc.message : "<unreadable>");
}

static bool faulthandler_imported(struct pyx_program *prog)
{
	uint64_t modules, mod;
	struct pyx_error *err = program_sys_attr(prog, "modules", &modules);
	if (!err)
		err = dict_lookup_str(prog, modules, "faulthandler", &mod);
	pyx_error_destroy(err);
	return !err;
}

/* Who called abort() or raise(): named by the C library's frames. */
static const char *raised_by(struct pyx_program *prog, const struct pyx_native_thread *nt)
{
	for (size_t i = 0; nt && i < nt->nframes; i++) {
		if (nt->frames[i].signal_frame)
			break;
		const char *fn = native_function(prog, nt, i);
		if (name_is(fn, "abort") || name_is(fn, "__GI_abort") || name_is(fn, "__libc_abort"))
			return "abort()";
	}
	for (size_t i = 0; nt && i < nt->nframes; i++) {
		if (nt->frames[i].signal_frame)
			break;
		const char *fn = native_function(prog, nt, i);
		if (name_is(fn, "raise") || name_is(fn, "__GI_raise"))
			return "raise()";
	}
	return NULL;
}

/* The process that sent a signal, by name when it still runs here. */
static void sender_text(const struct pyx_crash_info *crash, int self, const char *how,
			struct strbuf *sb)
{
	if (crash->sender_pid == self) {
		if (how)
			strbuf_printf(sb, " from %s in the process itself", how);
		else
			strbuf_puts(sb, " sent by the process itself (raise(), abort() or kill() "
				    "of its own pid)");
		return;
	}
	char path[64], name[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", crash->sender_pid);
	FILE *fp = crash->sender_pid > 0 ? fopen(path, "r") : NULL;
	if (fp) {
		if (fgets(name, sizeof(name), fp))
			name[strcspn(name, "\n")] = '\0';
		fclose(fp);
	}
	strbuf_printf(sb, " sent by process %d%s%s%s (uid %d) with %s", crash->sender_pid,
		      *name ? " (" : "", name, *name ? ")" : "", crash->sender_uid,
		      crash->code == SI_TKILL ? "tgkill()" : crash->code == SI_QUEUE
		      ? "sigqueue()" : "kill()");
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
	size_t nnative = native ? native->nthreads : 0;
	struct triage_thread *tt = calloc(n + nnative + 2, sizeof(*tt));
	if (!tt) {
		program_threads_free(threads, n);
		return pyx_error_no_memory();
	}
	size_t nt = 0;
	struct pyx_error *err = NULL;
	/* The faulting thread first, then the others in py-stack's order,
	 * then the threads that never ran Python. */
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
		for (size_t k = 0; k < nnative; k++) {
			const struct pyx_native_thread *th = &native->threads[k];
			bool python = false;
			for (size_t i = 0; i < n && !python; i++)
				python = threads[i].tid == th->tid;
			bool crashed = crash.signo && crash.tid == th->tid;
			if (python || crashed != (pass == 0))
				continue;
			tt[nt].tid = th->tid;
			tt[nt].crashed = crashed;
			tt[nt].native = th;
			nt++;
		}
		/* A thread that took the signal, without a native stack either. */
		if (pass == 0 && nt == 0 && crash.signo && crash.tid) {
			tt[nt].tid = crash.tid;
			tt[nt].crashed = true;
			nt++;
		}
	}
	for (size_t i = 0; i < nt && !err; i++)
		err = triage_thread_fill(prog, &tt[i]);

	struct stack_context ctx;
	stack_context_init(prog, &ctx);

	struct strbuf sb = STRBUF_INIT;
	if (!err) {
		char buf[32];
		const char *sig = crash.signo ? signal_name(crash.signo, buf, sizeof(buf)) : "none";
		/* The verdict: about the faulting thread; without a signal,
		 * about the first thread the unwinder gave (the one gdb has
		 * selected), else the first Python thread. */
		const struct triage_thread *subject = NULL;
		if (crash.signo) {
			for (size_t i = 0; i < nt && !subject; i++)
				if (tt[i].crashed)
					subject = &tt[i];
		} else {
			int want = native && native->nthreads ? native->threads[0].tid : 0;
			for (size_t i = 0; i < nt && !subject; i++)
				if (tt[i].tid == want)
					subject = &tt[i];
			if (!subject && nt)
				subject = &tt[0];
		}
		struct finding fd;
		analyse(prog, crash.signo ? &crash : NULL, subject, &fd);
		strbuf_puts(&sb, "{");
		json_key(&sb, "signal");
		json_string(&sb, sig);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "signal_code");
		if (crash.signo)
			strbuf_printf(&sb, "%d, ", crash.code);
		else
			strbuf_puts(&sb, "null, ");
		json_key(&sb, "signal_sender");
		if (crash.signo && crash.has_sender)
			strbuf_printf(&sb, "{\"pid\": %d, \"uid\": %d, \"self\": %s}, ",
				      crash.sender_pid, crash.sender_uid,
				      crash.sender_pid == prog->target->pid ? "true" : "false");
		else
			strbuf_puts(&sb, "null, ");
		json_key(&sb, "fault_address");
		if (fd.faulthandler && fd.orig_has_address)
			json_hex(&sb, fd.orig_address);
		else if (crash.signo && crash.has_address && !fd.faulthandler)
			json_hex(&sb, crash.address);
		else
			strbuf_puts(&sb, "null");
		strbuf_printf(&sb, ", \"faulthandler_reraised\": %s, \"stack_overflow\": %s, ",
			      fd.faulthandler ? "true" : "false", fd.overflow ? "true" : "false");
		json_key(&sb, "abort_message");
		if (fd.abort_reason)
			json_string(&sb, fd.abort_reason);
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
		strbuf_puts(&sb, !ctx.gc_known ? "null, " : ctx.gc_collecting ? "true, " : "false, ");
		struct strbuf head = STRBUF_INIT;
		if (crash.signo) {
			strbuf_puts(&head, sig);
			if (fd.faulthandler)
				; /* said after the rest: the fault is the original one */
			else if (crash.has_sender)
				sender_text(&crash, prog->target->pid,
					    subject ? raised_by(prog, subject->native) : NULL, &head);
			if (!subject)
				strbuf_puts(&head, " (the thread that took it is not known)");
		} else {
			strbuf_puts(&head, "no fatal signal: the process is stopped");
			if (subject)
				strbuf_printf(&head, "; thread %d is", subject->tid);
		}
		struct strbuf v = STRBUF_INIT;
		bool external = crash.signo && crash.has_sender &&
				crash.sender_pid != prog->target->pid && !fd.faulthandler;
		if (external && subject)
			strbuf_printf(&head, ": the process did not fault; thread %d was", subject->tid);
		/* What the subject is doing, when no fault names a place: its
		 * status, when that says more than a native frame would (nothing
		 * native to name, or a wait: a lock, the GIL, the loop, the gc). */
		struct thread_status st = { 0 };
		if ((external || !crash.signo) && subject) {
			struct status_input in = {
				.tid = subject->tid, .has_python = subject->py != NULL,
				.holds_gil = subject->py && subject->py->holds_gil,
				.gc_collecting = ctx.gc_collecting, .frames = subject->frames,
				.nframes = subject->nframes, .native = subject->native,
				.lock = locks_wait_of(ctx.locks, subject->tid),
			};
			thread_status(prog, &in, &st);
		}
		bool waits = st.state == ST_LOCK_WAIT || st.state == ST_GIL_WAIT ||
			     st.state == ST_LOOP_IDLE || st.state == ST_GC;
		if ((external || !crash.signo) && subject &&
		    (external || !subject->nbetween || waits)) {
			strbuf_printf(&head, " %s", st.text);
			struct finding none;
			memset(&none, 0, sizeof(none));
			none.pick = none.via = none.ctypes_callee = none.fatal_caller = -1;
			verdict(prog, NULL, head.s ? head.s : "", subject, &none, &v);
		} else {
			verdict(prog, crash.signo ? &crash : NULL, head.s ? head.s : "", subject, &fd,
				&v);
			if (fd.faulthandler)
				strbuf_puts(&v, faulthandler_imported(prog)
					    ? "; faulthandler printed the traceback and raised the "
					      "signal again"
					    : "; a signal handler raised the signal again");
		}
		/* A hung process (no signal, or one another process sent): the
		 * threads waiting for each other are what it is stuck on. */
		if (external || !crash.signo) {
			deadlock_text(ctx.locks, &v);
			task_deadlock_text(prog, &v);
		}
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
			thread_report_json(prog, &tt[i], &ctx, &sb);
		}
		strbuf_puts(&sb, "], ");
		json_key(&sb, "locks");
		strbuf_puts(&sb, "{");
		if (ctx.locks) {
			locks_body_json(ctx.locks, &sb);
		} else {
			strbuf_puts(&sb, "\"waits\": [], \"deadlocks\": [], ");
			json_key(&sb, "error");
			json_string(&sb, "the locks could not be read");
		}
		strbuf_puts(&sb, "}}");
		free(fd.abort_reason);
	}
	stack_context_release(&ctx);
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
