/* status.h - what a thread is doing, in one line (internal). */
#ifndef PYX_STATUS_H
#define PYX_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/program.h"
#include "threads/frames.h"
#include "threads/locks.h"
#include "util/strbuf.h"

enum status_state {
	ST_UNKNOWN,
	ST_RUNNING,    /* running Python, holding the GIL */
	ST_GIL_WAIT,   /* waiting for the GIL */
	ST_C_CALL,     /* in an extension's C function */
	ST_LOCK_WAIT,  /* blocked on a lock (py-locks says which) */
	ST_LOOP_IDLE,  /* asyncio's loop waiting in its selector */
	ST_SYSCALL,    /* in a system call */
	ST_GC,         /* collecting garbage */
	ST_NO_PYTHON,  /* a thread that runs no Python code */
};

struct thread_status {
	enum status_state state;
	char text[512];
};

struct status_input {
	int tid;
	bool has_python;                       /* a Python thread state */
	bool holds_gil;
	bool gc_collecting;                    /* the interpreter's gc runs */
	const struct pyx_frame *frames;        /* innermost first */
	size_t nframes;
	const struct pyx_native_thread *native; /* or NULL */
	const struct lock_wait *lock;          /* py-locks' entry for it, or NULL */
};

void thread_status(struct pyx_program *prog, const struct status_input *in,
		   struct thread_status *ret);

/* "status": {"state", "text"} */
void thread_status_json(const struct thread_status *s, struct strbuf *sb);

/* "running", "gil_wait" ... */
const char *status_state_name(enum status_state s);

/* "futex" for 202 (x86-64), or NULL. */
const char *syscall_name(long nr);

#endif
