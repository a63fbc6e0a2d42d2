/* tasks.h - asyncio's tasks: every task of every event loop, the chain
 * of coroutines each is suspended in, and what it awaits (internal). */
#ifndef PYX_TASKS_H
#define PYX_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objects/object.h"

/* One coroutine (or generator) of a task's chain. */
struct task_coro {
	uint64_t object;       /* the coroutine object */
	uint64_t code;
	const char *function;  /* co_qualname (co_name up to 3.10); owned by the list */
	const char *file;
	int line;
	bool running;          /* executing now (the task runs) */
};

enum task_state { TASK_PENDING, TASK_DONE, TASK_CANCELLED };

struct pyx_task {
	uint64_t addr;
	uint64_t loop;
	char *name;
	enum task_state state;
	bool cancelling;        /* cancel() requested, not yet done */
	int tid;                /* 3.14+: the thread whose list holds it; 0 unknown */
	struct task_coro *coros; /* outermost first */
	size_t ncoros;
	bool chain_cut;         /* the chain went on past the limit */
	uint64_t fut_waiter;    /* the future the task waits for, or 0 */
	/* What it awaits: tasks (indexes into the list), and a description
	 * of anything else (a Future, a sleep, a socket read). */
	size_t *awaits;
	size_t nawaits;
	char **others;
	size_t nothers;
	size_t *awaited_by;
	size_t nawaited_by;
};

struct task_loop {
	uint64_t addr;
	uint64_t thread_id;     /* loop._thread_id while it runs; 0 when not running */
	int tid;                /* its OS thread id, when known */
	size_t ntasks;
};

struct pyx_tasks {
	struct pyx_task *v;
	size_t n;
	struct task_loop *loops;
	size_t nloops;
	/* Cycles of tasks awaiting each other, each a list of indexes. */
	size_t **cycles;
	size_t *cycle_len;
	size_t ncycles;
	char **notes;           /* what could not be read, one line each */
	size_t nnotes;
	bool asyncio_imported;
	const char *source;     /* where the tasks were found */
	char **names;           /* interned strings the coroutines point at */
	size_t nnames, cap_names;
};

/* Every asyncio task of the process: from 3.14 the task lists of every
 * thread (and of the interpreter), found through _asyncio's
 * .AsyncioDebug offsets where the target has them; before, the sets
 * asyncio.tasks keeps (_all_tasks; from 3.12 _scheduled_tasks and
 * _eager_tasks).  Tasks are in the order found. */
struct pyx_error *program_tasks(struct pyx_program *prog, struct pyx_tasks **ret);
void tasks_destroy(struct pyx_tasks *t);

#endif
