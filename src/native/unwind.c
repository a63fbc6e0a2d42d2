/* unwind.c - native stacks without gdb, through elfutils' unwinder (for
 * the CLI's triage and py-stack --native).  From a core, the registers
 * come from its NT_PRSTATUS notes; from a live process, elfutils attaches
 * to each thread with ptrace while it unwinds it, then detaches. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/modules.h"
#include "runtime/program.h"
#include "target/target.h"
#include "threads/threads.h"

#define MAX_NATIVE_FRAMES 1024
#define MAX_NATIVE_THREADS 4096

struct unwound_thread {
	struct pyx_native_thread pub;
	struct pyx_native_frame *frames;
	size_t cap;
	char *name;
};

/* What pyx_native_unwind hands out: the public view first. */
struct unwound {
	struct pyx_native_stacks pub;
	struct pyx_native_thread *views;
	struct unwound_thread *threads;
	size_t n, cap;
	bool oom;
	struct pyx_program *prog;
};

void pyx_native_stacks_destroy(struct pyx_native_stacks *stacks)
{
	struct unwound *u = (struct unwound *)stacks;
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		struct unwound_thread *t = &u->threads[i];
		for (size_t k = 0; k < t->pub.nframes; k++)
			free((char *)t->frames[k].file);
		free(t->frames);
		free(t->name);
	}
	free(u->threads);
	free(u->views);
	free(u);
}

static void source_line(Dwfl *dwfl, struct pyx_native_frame *f, uint64_t lookup)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, lookup);
	if (!mod)
		return;
	Dwfl_Line *line = dwfl_module_getsrc(mod, lookup);
	if (!line)
		return;
	int lineno = 0;
	const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (file) {
		f->file = strdup(file);
		f->line = lineno;
	}
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct unwound *u = arg;
	struct unwound_thread *t = &u->threads[u->n - 1];
	Dwarf_Addr pc;
	bool activation;
	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (t->pub.nframes == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct pyx_native_frame *f = realloc(t->frames, cap * sizeof(*f));
		if (!f) {
			u->oom = true;
			return DWARF_CB_ABORT;
		}
		t->frames = f;
		t->cap = cap;
	}
	struct pyx_native_frame *f = &t->frames[t->pub.nframes++];
	memset(f, 0, sizeof(*f));
	f->pc = pc;
	/* The line of a caller is that of its call, just before pc. */
	source_line(dwfl_thread_dwfl(dwfl_frame_thread(state)), f,
		    activation || !pc ? pc : pc - 1);
	return t->pub.nframes >= MAX_NATIVE_FRAMES ? DWARF_CB_ABORT : DWARF_CB_OK;
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
	 * what was found. */
	dwfl_thread_getframes(thread, frame_cb, u);
	if (u->oom)
		return DWARF_CB_ABORT;
	return u->n >= MAX_NATIVE_THREADS ? DWARF_CB_ABORT : DWARF_CB_OK;
}

struct pyx_error *pyx_native_unwind(struct pyx_program *prog,
				    struct pyx_native_stacks **ret)
{
	struct pyx_modules *m = prog->modules;
	struct pyx_target *target = prog->target;
	if (!m->state_attached) {
		if (target->kind == TARGET_PID) {
			/* Threads pyx_target_pause() stopped are ours already:
			 * elfutils then reads them without attaching. */
			int rc = dwfl_linux_proc_attach(m->dwfl, target->pid,
							target->is_paused);
			if (rc != 0)
				return pyx_error_create(PYX_ERR_ELF,
					"cannot prepare to unwind process %d: %s", target->pid,
					rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
		} else if (dwfl_core_file_attach(m->dwfl, target->core_elf) < 0) {
			return pyx_error_create(PYX_ERR_ELF,
				"cannot read the threads' registers in %s: %s",
				target->core_path, dwfl_errmsg(-1));
		}
		m->state_attached = true;
	}
	struct unwound *u = calloc(1, sizeof(*u));
	if (!u)
		return pyx_error_no_memory();
	u->prog = prog;
	errno = 0;
	int rc = dwfl_getthreads(m->dwfl, thread_cb, u);
	if (u->oom) {
		pyx_native_stacks_destroy(&u->pub);
		return pyx_error_no_memory();
	}
	if (rc == -1 && u->n == 0) {
		struct pyx_error *err = target->kind == TARGET_PID
			? pyx_error_create(PYX_ERR_PERMISSION,
				"cannot unwind process %d: %s (another debugger attached? "
				"see /proc/sys/kernel/yama/ptrace_scope)", target->pid,
				dwfl_errmsg(-1))
			: pyx_error_create(PYX_ERR_ELF, "cannot unwind the threads in %s: %s",
					   target->core_path, dwfl_errmsg(-1));
		pyx_native_stacks_destroy(&u->pub);
		return err;
	}
	u->views = calloc(u->n + 1, sizeof(*u->views));
	if (!u->views) {
		pyx_native_stacks_destroy(&u->pub);
		return pyx_error_no_memory();
	}
	for (size_t i = 0; i < u->n; i++) {
		u->threads[i].pub.frames = u->threads[i].frames;
		u->threads[i].pub.name = u->threads[i].name;
		u->views[i] = u->threads[i].pub;
	}
	u->pub.threads = u->views;
	u->pub.nthreads = u->n;
	*ret = &u->pub;
	return NULL;
}
