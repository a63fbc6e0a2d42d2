/* status.c - one line per thread saying what it is doing, as pystack
 * gives: running Python, waiting for the GIL, in a C call (which),
 * blocked on a lock (which), idle in the event loop, in a system call
 * (which), collecting garbage.  From what the engine reads: the Python
 * frames, the native frames when a front door or the unwinder gave them,
 * the system call the kernel has the thread in, py-locks' answer and the
 * gc's state. */
#include <stdio.h>
#include <string.h>

#include "native/native.h"
#include "native/status.h"

static const struct { int nr; const char *name; } syscalls[] = {
	{ 0, "read" }, { 1, "write" }, { 2, "open" }, { 3, "close" }, { 7, "poll" },
	{ 16, "ioctl" }, { 17, "pread64" }, { 18, "pwrite64" }, { 19, "readv" },
	{ 20, "writev" }, { 23, "select" }, { 24, "sched_yield" }, { 34, "pause" },
	{ 35, "nanosleep" }, { 42, "connect" }, { 43, "accept" }, { 44, "sendto" },
	{ 45, "recvfrom" }, { 46, "sendmsg" }, { 47, "recvmsg" }, { 61, "wait4" },
	{ 62, "kill" }, { 200, "tkill" }, { 234, "tgkill" },
	{ 72, "fcntl" }, { 74, "fsync" }, { 128, "rt_sigtimedwait" }, { 202, "futex" },
	{ 230, "clock_nanosleep" }, { 232, "epoll_wait" }, { 247, "waitid" },
	{ 257, "openat" }, { 270, "pselect6" }, { 271, "ppoll" }, { 281, "epoll_pwait" },
	{ 288, "accept4" }, { 441, "epoll_pwait2" },
};

const char *syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

const char *status_state_name(enum status_state s)
{
	switch (s) {
	case ST_RUNNING: return "running";
	case ST_GIL_WAIT: return "gil_wait";
	case ST_C_CALL: return "c_call";
	case ST_LOCK_WAIT: return "lock_wait";
	case ST_LOOP_IDLE: return "loop_idle";
	case ST_SYSCALL: return "syscall";
	case ST_GC: return "gc";
	case ST_NO_PYTHON: return "no_python";
	case ST_UNKNOWN: break;
	}
	return "unknown";
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path;
}

/* The C library and the dynamic loader: where system calls are made. */
static bool is_libc(const char *module)
{
	return module && (strncmp(module, "libc.so", 7) == 0 || strncmp(module, "libc-", 5) == 0 ||
			  strncmp(module, "libpthread", 10) == 0 || strncmp(module, "ld-linux", 8) == 0);
}

static bool is_gc_function(const char *f)
{
	/* The collection, and what runs it with the gc's callbacks around
	 * it (a callback that blocks keeps its thread collecting). */
	static const char *const names[] = {
		"gc_collect_main", "gc_collect_region", "gc_collect_increment", "gc_collect_full",
		"gc_collect_young", "collect", "collect_with_callback", "gc_collect_with_callback",
		"invoke_gc_callback",
	};
	for (size_t i = 0; f && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(f, names[i]) == 0)
			return true;
	return false;
}

static bool is_libffi(const char *module)
{
	return module && strncmp(module, "libffi", 6) == 0;
}

/* In asyncio's event loop, waiting in its selector: BaseEventLoop._run_once
 * (_run_once up to 3.10) calling a selector's select(). */
static bool loop_idle(const struct pyx_frame *py, size_t npy)
{
	if (npy < 2)
		return false;
	const char *inner = base_name(py[0].file);
	if (!inner || strcmp(inner, "selectors.py") != 0)
		return false;
	for (size_t i = 1; i < npy && i < 4; i++) {
		const char *f = py[i].function;
		if (strcmp(base_name(py[i].file), "base_events.py") == 0 &&
		    (strcmp(f, "BaseEventLoop._run_once") == 0 || strcmp(f, "_run_once") == 0))
			return true;
	}
	return false;
}

void thread_status(struct pyx_program *prog, const struct status_input *in,
		   struct thread_status *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct target_syscall sc;
	target_thread_syscall(prog->target, in->tid, &sc);
	const char *call = sc.known && sc.nr >= 0 ? syscall_name(sc.nr) : NULL;
	char callbuf[32];
	if (sc.known && sc.nr >= 0 && !call) {
		snprintf(callbuf, sizeof(callbuf), "system call %ld", sc.nr);
		call = callbuf;
	}
	const struct pyx_native_thread *nt = in->native;
	/* The native frames inner to the innermost eval loop frame: what the
	 * thread does below Python. */
	size_t inner_end = 0;
	bool gil_wait = false, gc = false;
	if (nt) {
		while (inner_end < nt->nframes &&
		       !native_is_eval(native_function(prog, nt, inner_end)))
			inner_end++;
		for (size_t i = 0; i < nt->nframes; i++) {
			const char *f = native_function(prog, nt, i);
			if (i < inner_end && f && strcmp(f, "take_gil") == 0)
				gil_wait = true;
			if (is_gc_function(f))
				gc = true;
		}
	}
	/* Without native frames, the thread that holds the GIL while the gc
	 * collects is the likely collector; with them, their word. */
	if (gc || (!nt && in->gc_collecting && in->holds_gil)) {
		ret->state = ST_GC;
		snprintf(ret->text, sizeof(ret->text), "collecting garbage");
		return;
	}
	const struct lock_wait *w = in->lock;
	if (w) {
		ret->state = ST_LOCK_WAIT;
		const char *named = w->nnames ? w->names[0] : NULL;
		int len = snprintf(ret->text, sizeof(ret->text), "blocked in %s%s on %s 0x%llx%s%s%s",
				   w->method && strcmp(w->method, "with") == 0 ? "`with`" : w->method,
				   w->method && strcmp(w->method, "with") == 0 ? "" : "()",
				   (w->kind == WAIT_LOCK || w->kind == WAIT_RLOCK)
					   ? wait_kind_name(w->kind) : w->type ? w->type : "?",
				   (unsigned long long)w->object, named ? " (" : "",
				   named ? named : "", named ? ")" : "");
		if (w->holder_tid && len > 0 && (size_t)len < sizeof(ret->text))
			snprintf(ret->text + len, sizeof(ret->text) - (size_t)len, ", %s thread %d",
				 w->kind == WAIT_JOIN ? "joining" : "held by", w->holder_tid);
		return;
	}
	if (gil_wait) {
		ret->state = ST_GIL_WAIT;
		snprintf(ret->text, sizeof(ret->text), "waiting for the GIL");
		return;
	}
	if (loop_idle(in->frames, in->nframes)) {
		ret->state = ST_LOOP_IDLE;
		snprintf(ret->text, sizeof(ret->text), "idle in the event loop%s%s%s",
			 call ? " (" : "", call ? call : "", call ? ")" : "");
		return;
	}
	if (!in->has_python) {
		/* The innermost function outside the C library names what it is. */
		ret->state = ST_NO_PYTHON;
		int len = snprintf(ret->text, sizeof(ret->text), "runs no Python code");
		for (size_t i = 0; nt && i < nt->nframes; i++) {
			const char *module = native_module(prog, nt, i);
			const char *f = native_function(prog, nt, i);
			if (is_libc(module) || !f)
				continue;
			len += snprintf(ret->text + len, sizeof(ret->text) - (size_t)len,
					": in %s() of %s", f, module ? module : "??");
			break;
		}
		if (call && len > 0 && (size_t)len < sizeof(ret->text))
			snprintf(ret->text + len, sizeof(ret->text) - (size_t)len,
				 ", in a system call: %s()", call);
		return;
	}
	/* A C function of an extension (not CPython's, not the C library's)
	 * below the innermost Python frame. */
	if (nt) {
		const char *python_module = prog->python ? base_name(prog->python->name) : NULL;
		for (size_t i = 0; i < inner_end; i++) {
			const char *module = native_module(prog, nt, i);
			if (is_libc(module) || (python_module && module &&
						strcmp(module, python_module) == 0))
				continue;
			const char *f = native_function(prog, nt, i);
			ret->state = ST_C_CALL;
			if (is_libffi(module) && i > 0 && native_function(prog, nt, i - 1)) {
				/* ctypes through libffi: the C function it called. */
				snprintf(ret->text, sizeof(ret->text),
					 "in a C call: %s() via ctypes (%s)%s%s%s",
					 native_function(prog, nt, i - 1), module,
					 call ? " (in " : "", call ? call : "", call ? "())" : "");
			} else if (f)
				snprintf(ret->text, sizeof(ret->text), "in a C call: %s() in %s%s%s%s",
					 f, module ? module : "??", call ? " (in " : "",
					 call ? call : "", call ? "())" : "");
			else
				snprintf(ret->text, sizeof(ret->text), "in a C call in %s%s%s%s",
					 module ? module : "??", call ? " (in " : "",
					 call ? call : "", call ? "())" : "");
			if (in->holds_gil) {
				size_t len = strlen(ret->text);
				snprintf(ret->text + len, sizeof(ret->text) - len,
					 ", holding the GIL");
			}
			return;
		}
	}
	if (call) {
		ret->state = ST_SYSCALL;
		const char *py = in->nframes ? in->frames[0].function : NULL;
		snprintf(ret->text, sizeof(ret->text), "in a system call: %s()%s%s%s%s", call,
			 py ? " from " : "", py ? py : "", py ? "()" : "",
			 in->holds_gil ? ", holding the GIL" : "");
		return;
	}
	if (in->holds_gil) {
		ret->state = ST_RUNNING;
		snprintf(ret->text, sizeof(ret->text), "running Python (holds the GIL)");
		return;
	}
	ret->state = ST_UNKNOWN;
	snprintf(ret->text, sizeof(ret->text), "%s", in->nframes
		 ? "not holding the GIL (running C code, or between Python calls)"
		 : "no Python frames");
}

void thread_status_json(const struct thread_status *s, struct strbuf *sb)
{
	json_key(sb, "status");
	strbuf_puts(sb, "{");
	json_key(sb, "state");
	json_string(sb, status_state_name(s->state));
	strbuf_puts(sb, ", ");
	json_key(sb, "text");
	json_string(sb, s->text);
	strbuf_puts(sb, "}");
}
