/* target_pause.c - pausing a live process for a consistent read.
 *
 * Every thread is seized with PTRACE_SEIZE and stopped with
 * PTRACE_INTERRUPT.  Unlike PTRACE_ATTACH this sends no SIGSTOP, so no
 * group stop is left behind: when the tracer detaches, or dies and the
 * kernel detaches for it, the threads run on.  A process that was already
 * stopped (kill -STOP) goes back to its stop.  Threads started while we
 * seize the others are found by listing /proc/PID/task again until a
 * pass finds none: a stopped thread cannot start another. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "target/target.h"

/* How long one thread may take to stop: a thread in uninterruptible sleep
 * stops only when it wakes. */
#define STOP_TIMEOUT_MS 1000
/* Rounds of listing threads before giving up on a process that starts
 * them faster than we stop them. */
#define MAX_ROUNDS 64

int pyx_target_tracer(const struct pyx_target *t)
{
	if (t->kind != TARGET_PID)
		return 0;
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", t->pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int tracer = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	}
	fclose(f);
	return tracer;
}

bool pyx_target_is_paused(const struct pyx_target *t)
{
	return t->is_paused;
}

static struct paused_thread *find_paused(struct pyx_target *t, int tid)
{
	for (size_t i = 0; i < t->npaused; i++)
		if (t->paused[i].tid == tid)
			return &t->paused[i];
	return NULL;
}

static void tracer_name(int tracer, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", tracer);
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static struct pyx_error *traced_error(struct pyx_target *t, int tracer)
{
	char name[64];
	tracer_name(tracer, name, sizeof(name));
	return pyx_error_create(PYX_ERR_PERMISSION,
		"process %d is traced by process %d%s%s%s: pyxray cannot pause it "
		"(read it without pausing, or detach that debugger)", t->pid, tracer,
		name[0] ? " (" : "", name, name[0] ? ")" : "");
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Collect the stop of a seized, interrupted thread; false if it exited. */
static bool record_stop(struct paused_thread *p, int status)
{
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return false;
	if (WIFSTOPPED(status)) {
		p->stopped = true;
		/* A signal-delivery stop holds a signal meant for the
		 * process: hand it back when detaching.  Event stops
		 * (PTRACE_EVENT_STOP: our interrupt, or a group stop) hold
		 * none. */
		if ((status >> 16) == 0)
			p->signo = WSTOPSIG(status);
	}
	return true;
}

/* Wait for the threads from index first on to stop, at most
 * STOP_TIMEOUT_MS for all of them together; drop the ones that exit. */
static void wait_stops(struct pyx_target *t, size_t first)
{
	uint64_t deadline = now_ms() + STOP_TIMEOUT_MS;
	for (;;) {
		bool pending = false;
		for (size_t i = first; i < t->npaused; i++) {
			struct paused_thread *p = &t->paused[i];
			if (p->stopped || p->tid == 0)
				continue;
			int status;
			pid_t r = waitpid(p->tid, &status, __WALL | WNOHANG);
			if (r == p->tid) {
				if (!record_stop(p, status))
					p->tid = 0;
			} else if (r < 0 && errno == ECHILD) {
				p->tid = 0;  /* gone, reaped elsewhere */
			} else {
				pending = true;
			}
		}
		if (!pending || now_ms() >= deadline)
			return;
		struct timespec pause = { 0, 200000 };  /* 0.2 ms */
		nanosleep(&pause, NULL);
	}
}

static void drop_exited(struct pyx_target *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->npaused; i++)
		if (t->paused[i].tid)
			t->paused[k++] = t->paused[i];
	t->npaused = k;
}

static bool thread_exiting(int pid, int tid)
{
	char path[96], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/* Seize and interrupt the threads not seen yet; *added says how many. */
static struct pyx_error *seize_new(struct pyx_target *t, size_t *added)
{
	int *tids;
	size_t n;
	*added = 0;
	PYX_TRY(target_thread_ids(t, &tids, &n));
	struct pyx_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		if (find_paused(t, tids[i]))
			continue;
		if (ptrace(PTRACE_SEIZE, tids[i], NULL, NULL) < 0) {
			if (errno == ESRCH)
				continue;  /* exited meanwhile */
			/* A thread on its way out refuses with EPERM: permission
			 * is the process's, so once one thread was seized, or
			 * when this one is a zombie, that is what it means. */
			if (errno == EPERM && (t->npaused || thread_exiting(t->pid, tids[i])))
				continue;
			int errnum = errno;
			int tracer = pyx_target_tracer(t);
			if (tracer && tracer != getpid() && tracer != gettid())
				err = traced_error(t, tracer);
			else
				err = pyx_error_os(errnum, "cannot pause process %d: "
					"ptrace(PTRACE_SEIZE) of thread %d: %s; run as the "
					"process's user or as root (CAP_SYS_PTRACE), or read "
					"it without pausing", t->pid, tids[i], strerror(errnum));
			break;
		}
		struct paused_thread *p = realloc(t->paused, (t->npaused + 1) * sizeof(*p));
		if (!p) {
			ptrace(PTRACE_DETACH, tids[i], NULL, NULL);
			err = pyx_error_no_memory();
			break;
		}
		t->paused = p;
		t->paused[t->npaused++] = (struct paused_thread){ .tid = tids[i] };
		(*added)++;
		if (ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL) < 0 && errno == ESRCH)
			t->paused[t->npaused - 1].tid = 0;
	}
	free(tids);
	return err;
}

struct pyx_error *pyx_target_pause(struct pyx_target *t)
{
	if (t->kind != TARGET_PID || t->is_paused)
		return NULL;
	int tracer = pyx_target_tracer(t);
	if (tracer)
		return traced_error(t, tracer);
	t->is_paused = true;
	struct pyx_error *err = NULL;
	int round;
	for (round = 0; round < MAX_ROUNDS && !err; round++) {
		size_t first = t->npaused, added;
		err = seize_new(t, &added);
		wait_stops(t, first);
		if (!added)
			break;
	}
	drop_exited(t);
	if (!err && t->npaused == 0)
		err = pyx_error_create(PYX_ERR_NOT_FOUND, "process %d has exited", t->pid);
	if (!err && round == MAX_ROUNDS)
		err = pyx_error_create(PYX_ERR_LIMIT, "cannot pause process %d: it starts "
				       "threads faster than pyxray stops them; read it "
				       "without pausing", t->pid);
	if (err) {
		pyx_target_resume(t);
		return err;
	}
	size_t running = 0;
	int example = 0;
	for (size_t i = 0; i < t->npaused; i++) {
		if (!t->paused[i].stopped) {
			running++;
			example = t->paused[i].tid;
		}
	}
	if (running) {
		err = target_add_warning(t, "%zu thread%s of process %d (thread %d) did not "
					 "stop within %d ms (in uninterruptible sleep?): "
					 "%s read while running", running,
					 running == 1 ? "" : "s", t->pid, example,
					 STOP_TIMEOUT_MS, running == 1 ? "it is" : "they are");
		if (err)
			return err;
	}
	pyx_target_flush(t);
	return NULL;
}

void pyx_target_resume(struct pyx_target *t)
{
	if (t->kind != TARGET_PID || !t->is_paused)
		return;
	/* A thread whose stop was not seen yet cannot be detached: give it
	 * one more chance to stop. */
	wait_stops(t, 0);
	for (size_t i = 0; i < t->npaused; i++) {
		struct paused_thread *p = &t->paused[i];
		if (p->tid)
			ptrace(PTRACE_DETACH, p->tid, NULL, (void *)(long)p->signo);
	}
	t->npaused = 0;
	t->is_paused = false;
	pyx_target_flush(t);
}

struct pyx_error *target_thread_regs(struct pyx_target *t, int tid, uint64_t *regs)
{
	if (t->kind == TARGET_CORE) {
		for (size_t i = 0; i < t->nthreads; i++) {
			if (t->threads[i].tid == tid) {
				memcpy(regs, t->threads[i].regs, sizeof(t->threads[i].regs));
				return NULL;
			}
		}
		return pyx_error_create(PYX_ERR_NOT_FOUND, "no thread %d in %s", tid,
					t->core_path);
	}
	struct paused_thread *p = find_paused(t, tid);
	if (!t->is_paused || !p || !p->stopped)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "thread %d is not paused", tid);
	/* Reading registers, as reading memory, changes nothing. */
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		return pyx_error_os(errno, "ptrace(PTRACE_GETREGS) of thread %d", tid);
	const uint64_t v[TARGET_NREGS] = {
		r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip,
	};
	memcpy(regs, v, sizeof(v));
	return NULL;
}

size_t target_paused_tids(struct pyx_target *t, int **ret)
{
	*ret = NULL;
	size_t n = t->kind == TARGET_CORE ? t->nthreads : t->npaused;
	int *v = malloc((n + 1) * sizeof(*v));
	if (!v)
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (t->kind == TARGET_CORE)
			v[k++] = t->threads[i].tid;
		else if (t->paused[i].stopped)
			v[k++] = t->paused[i].tid;
	}
	*ret = v;
	return k;
}
