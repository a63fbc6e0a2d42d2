/* unwind.c - native stacks without gdb, through elfutils' unwinder (for
 * the CLI's triage and py-stack --native).  From a core, the registers
 * come from its NT_PRSTATUS notes; from a live process paused by
 * pyx_target_pause(), elfutils reads the stopped threads' registers
 * directly; otherwise it attaches to each thread with ptrace while it
 * unwinds it, then detaches.
 *
 * The unwinder finds the physical frames (their pc and stack pointer);
 * each pc is then named once per program (native/symbols.c: functions
 * inlined there as frames of their own, file and line), whichever
 * thread it is in: a thousand threads parked in the same place cost one
 * lookup. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "native/native.h"
#include "runtime/modules.h"
#include "runtime/program.h"
#include "target/target.h"
#include "threads/threads.h"

/* dwfl_thread_state_register_pc and friends come with libdwfl.h. */

/* Physical frames per thread (a C stack overflow has ~15,000). */
#define MAX_NATIVE_FRAMES 32768
#define MAX_NATIVE_THREADS 65536
#define DWARF_REG_RSP 7

struct raw_frame {
	uint64_t pc, sp;
	bool activation;
};

struct unwound_thread {
	struct pyx_native_thread pub;
	struct pyx_native_frame *frames;
	size_t cap;
	char *name;
	char *error;
	/* the physical frames, before naming */
	struct raw_frame *raw;
	size_t nraw, capraw;
};

/* What pyx_native_unwind hands out: the public view first. */
struct unwound {
	struct pyx_native_stacks pub;
	struct pyx_native_thread *views;
	struct unwound_thread *threads;
	size_t n, cap;
	bool oom;
	struct pyx_program *prog;
	/* Every string the frames point at. */
	char **strs;
	size_t nstrs, capstrs;
};

void pyx_native_stacks_destroy(struct pyx_native_stacks *stacks)
{
	struct unwound *u = (struct unwound *)stacks;
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		struct unwound_thread *t = &u->threads[i];
		free(t->frames);
		free(t->raw);
		free(t->name);
		free(t->error);
	}
	for (size_t i = 0; i < u->nstrs; i++)
		free(u->strs[i]);
	free(u->strs);
	free(u->threads);
	free(u->views);
	free(u);
}

/* A copy owned by the stacks (the symbol cache may be dropped first). */
static const char *own(struct unwound *u, const char *s)
{
	if (!s)
		return NULL;
	/* Consecutive frames of one thread often repeat a string. */
	if (u->nstrs && strcmp(u->strs[u->nstrs - 1], s) == 0)
		return u->strs[u->nstrs - 1];
	if (u->nstrs == u->capstrs) {
		size_t cap = u->capstrs ? u->capstrs * 2 : 256;
		char **v = realloc(u->strs, cap * sizeof(*v));
		if (!v) {
			u->oom = true;
			return NULL;
		}
		u->strs = v;
		u->capstrs = cap;
	}
	char *c = strdup(s);
	if (!c) {
		u->oom = true;
		return NULL;
	}
	u->strs[u->nstrs++] = c;
	return c;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct unwound *u = arg;
	struct unwound_thread *t = &u->threads[u->n - 1];
	Dwarf_Addr pc;
	bool activation;
	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (t->nraw == MAX_NATIVE_FRAMES) {
		t->pub.truncated = true;
		return DWARF_CB_ABORT;
	}
	if (t->nraw == t->capraw) {
		size_t cap = t->capraw ? t->capraw * 2 : 32;
		struct raw_frame *f = realloc(t->raw, cap * sizeof(*f));
		if (!f) {
			u->oom = true;
			return DWARF_CB_ABORT;
		}
		t->raw = f;
		t->capraw = cap;
	}
	Dwarf_Word sp = 0;
	if (dwfl_frame_reg(state, DWARF_REG_RSP, &sp) != 0)
		sp = 0;
	t->raw[t->nraw++] = (struct raw_frame){ pc, sp, activation };
	return DWARF_CB_OK;
}

static int thread_cb(Dwfl_Thread *thread, void *arg)
{
	struct unwound *u = arg;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct unwound_thread *t = realloc(u->threads, cap * sizeof(*t));
		if (!t) {
			u->oom = true;
			return DWARF_CB_ABORT;
		}
		u->threads = t;
		u->cap = cap;
	}
	struct unwound_thread *t = &u->threads[u->n++];
	memset(t, 0, sizeof(*t));
	t->pub.tid = dwfl_thread_tid(thread);
	if (u->prog->target->kind == TARGET_PID)
		t->name = thread_comm_name(u->prog->target->pid, t->pub.tid);
	/* An unwinder error ends this thread's stack, not the others: keep
	 * what was found, and say why it stopped when it found nothing. */
	int rc = dwfl_thread_getframes(thread, frame_cb, u);
	if (rc == -1 && !t->nraw) {
		const char *msg = dwfl_errmsg(-1);
		t->error = strdup(msg ? msg : "the unwinder failed");
	}
	if (u->oom)
		return DWARF_CB_ABORT;
	return u->n >= MAX_NATIVE_THREADS ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* Each physical frame, then the functions inlined at its pc before it,
 * as gdb's frames come. */
static void name_frames(struct unwound *u, struct unwound_thread *t)
{
	struct pyx_program *prog = u->prog;
	for (size_t i = 0; i < t->nraw && !u->oom; i++) {
		const struct raw_frame *r = &t->raw[i];
		const struct native_loc *locs;
		size_t n = native_locate(prog, r->pc, !r->activation && i > 0, &locs);
		for (size_t k = 0; k < n && !u->oom; k++) {
			if (t->pub.nframes == t->cap) {
				size_t cap = t->cap ? t->cap * 2 : 64;
				struct pyx_native_frame *f = realloc(t->frames, cap * sizeof(*f));
				if (!f) {
					u->oom = true;
					return;
				}
				t->frames = f;
				t->cap = cap;
			}
			/* locs points into the cache: copy before the next lookup. */
			struct native_loc l = locs[k];
			struct pyx_native_frame *f = &t->frames[t->pub.nframes++];
			memset(f, 0, sizeof(*f));
			f->pc = r->pc;
			f->sp = r->sp;
			f->activation = r->activation;
			f->inlined = l.inlined;
			f->function = own(u, l.function);
			f->file = own(u, l.file);
			f->line = l.line;
			/* The kernel's signal trampoline: named __restore_rt, or,
			 * in a C library without symbols, the frame the unwinder
			 * treats as an activation (its CFI marks a signal frame)
			 * above one that is too (the frame the signal
			 * interrupted). */
			f->signal_frame = (l.function && strcmp(l.function, "__restore_rt") == 0) ||
				(i > 0 && r->activation && i + 1 < t->nraw && t->raw[i + 1].activation);
		}
	}
}

/* ---- the unwinder's view of the threads ---------------------------------------
 *
 * elfutils unwinds through our callbacks: the registers each thread had
 * (a core's notes, a paused thread's PTRACE_GETREGS, or what a front door
 * such as gdb hands in) and the target's memory through pyxray's own
 * reader and page cache.  The state lives as long as the Dwfl (elfutils
 * calls detach from dwfl_end); each unwind refills its thread list. */

struct reg_thread {
	int tid;
	const char *name;
	Dwarf_Word regs[TARGET_NREGS];
};

struct unwind_state {
	struct pyx_target *target;
	const struct reg_thread *threads;
	size_t n, next;
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwind_state *st = arg;
	if (st->next >= st->n)
		return 0;
	*thread_argp = (void *)&st->threads[st->next];
	return st->threads[st->next++].tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct unwind_state *st = arg;
	for (size_t i = 0; i < st->n; i++) {
		if (st->threads[i].tid == tid) {
			*thread_argp = (void *)&st->threads[i];
			return true;
		}
	}
	return false;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwind_state *st = arg;
	struct pyx_error *err = pyx_target_read(st->target, addr, result, sizeof(*result));
	if (err) {
		pyx_error_destroy(err);
		return false;
	}
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct reg_thread *t = thread_arg;
	/* DWARF registers 0 - 15; the pc (rip) on its own. */
	if (!dwfl_thread_state_registers(thread, 0, TARGET_NREGS - 1, t->regs))
		return false;
	dwfl_thread_state_register_pc(thread, t->regs[TARGET_NREGS - 1]);
	return true;
}

static void state_detach(Dwfl *dwfl, void *arg)
{
	free(arg);
}

static const Dwfl_Thread_Callbacks callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
	.detach = state_detach,
};

static struct pyx_error *attach_state(struct pyx_program *prog, struct unwind_state **ret)
{
	struct pyx_modules *m = prog->modules;
	if (m->state_attached) {
		*ret = m->unwind_state;
		return NULL;
	}
	struct unwind_state *st = calloc(1, sizeof(*st));
	if (!st)
		return pyx_error_no_memory();
	st->target = prog->target;
	if (!dwfl_attach_state(m->dwfl, NULL, prog->target->pid ? prog->target->pid : 1,
			       &callbacks, st)) {
		free(st);
		return pyx_error_create(PYX_ERR_ELF, "cannot prepare the unwinder: %s",
					dwfl_errmsg(-1));
	}
	m->unwind_state = st;
	m->state_attached = true;
	*ret = st;
	return NULL;
}

static struct pyx_error *unwind_threads(struct pyx_program *prog, const struct reg_thread *threads,
					size_t n, struct pyx_native_stacks **ret)
{
	struct unwind_state *st = NULL;
	PYX_TRY(attach_state(prog, &st));
	struct unwound *u = calloc(1, sizeof(*u));
	if (!u)
		return pyx_error_no_memory();
	u->prog = prog;
	st->threads = threads;
	st->n = n;
	st->next = 0;
	errno = 0;
	dwfl_getthreads(prog->modules->dwfl, thread_cb, u);
	st->threads = NULL;
	st->n = st->next = 0;
	for (size_t i = 0; i < u->n && i < n; i++) {
		/* The names the caller gave (gdb's), else the kernel's. */
		for (size_t k = 0; k < n; k++)
			if (threads[k].tid == u->threads[i].pub.tid && threads[k].name &&
			    !u->threads[i].name)
				u->threads[i].name = strdup(threads[k].name);
	}
	for (size_t i = 0; i < u->n && !u->oom; i++)
		name_frames(u, &u->threads[i]);
	u->views = calloc(u->n + 1, sizeof(*u->views));
	if (u->oom || !u->views) {
		pyx_native_stacks_destroy(&u->pub);
		return pyx_error_no_memory();
	}
	for (size_t i = 0; i < u->n; i++) {
		struct unwound_thread *t = &u->threads[i];
		t->pub.frames = t->frames;
		t->pub.name = t->name;
		t->pub.error = t->error;
		u->views[i] = t->pub;
	}
	u->pub.threads = u->views;
	u->pub.nthreads = u->n;
	*ret = &u->pub;
	return NULL;
}

struct pyx_error *pyx_native_unwind_registers(struct pyx_program *prog,
					      const struct pyx_thread_registers *threads,
					      size_t n, struct pyx_native_stacks **ret)
{
	struct reg_thread *v = calloc(n + 1, sizeof(*v));
	if (!v)
		return pyx_error_no_memory();
	for (size_t i = 0; i < n; i++) {
		v[i].tid = threads[i].tid;
		v[i].name = threads[i].name;
		memcpy(v[i].regs, threads[i].regs, sizeof(v[i].regs));
	}
	struct pyx_error *err = unwind_threads(prog, v, n, ret);
	free(v);
	return err;
}

struct pyx_error *pyx_native_unwind(struct pyx_program *prog,
				    struct pyx_native_stacks **ret)
{
	struct pyx_target *target = prog->target;
	bool paused_here = false;
	if (target->kind == TARGET_PID && !target->is_paused) {
		int tracer = pyx_target_tracer(target);
		if (tracer)
			return pyx_error_create(PYX_ERR_PERMISSION,
				"cannot unwind process %d: process %d traces it (another "
				"debugger): its native frames can be read only through that "
				"debugger", target->pid, tracer);
		/* Stop it for the moment the unwind takes. */
		PYX_TRY(pyx_target_pause(target));
		pyx_target_flush(target);
		paused_here = true;
	}
	int *tids = NULL;
	size_t n = target_paused_tids(target, &tids);
	struct reg_thread *v = calloc(n + 1, sizeof(*v));
	struct pyx_error *err = NULL;
	size_t k = 0;
	if (!v || (n && !tids))
		err = pyx_error_no_memory();
	for (size_t i = 0; !err && i < n; i++) {
		struct pyx_error *e = target_thread_regs(target, tids[i], v[k].regs);
		if (e) {
			/* A thread on its way out: the others still come. */
			pyx_error_destroy(e);
			continue;
		}
		v[k++].tid = tids[i];
	}
	if (!err && !k && target->kind == TARGET_PID)
		err = pyx_error_create(PYX_ERR_PERMISSION,
			"cannot read the registers of any thread of process %d", target->pid);
	else if (!err && !k)
		err = pyx_error_create(PYX_ERR_BAD_CORE, "%s has no thread registers "
				       "(NT_PRSTATUS notes)", target->core_path);
	if (!err)
		err = unwind_threads(prog, v, k, ret);
	free(v);
	free(tids);
	if (paused_here) {
		pyx_target_resume(target);
		pyx_target_flush(target);
	}
	return err;
}
