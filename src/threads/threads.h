/* threads.h - the PyThreadStates of every interpreter: OS thread ids,
 * names, the GIL holder and the thread that crashed (internal). */
#ifndef PYX_THREADS_H
#define PYX_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objects/object.h"

/* What ties an interpreter's threads together. */
struct pyx_thread {
	uint64_t tstate;
	uint64_t interp;
	int64_t interp_id;
	int tid;             /* OS thread id; 0 if unknown */
	uint64_t thread_id;  /* pthread_t (threading.get_ident()) */
	bool holds_gil;
	bool crashed;
	char *name;          /* threading name, else comm (live), else NULL */
};

/* Every thread of every interpreter, main thread first per interpreter. */
struct pyx_error *program_threads(struct pyx_program *prog,
				  struct pyx_thread **ret, size_t *n);
void program_threads_free(struct pyx_thread *threads, size_t n);

/* The kernel's name of a live thread (/proc/PID/task/TID/comm), malloc'ed,
 * or NULL. */
char *thread_comm_name(int pid, int tid);

/* The PyThreadState of the thread with OS thread id tid; the _cached
 * form remembers it (and checks it still holds, from 3.11). */
struct pyx_error *program_find_tstate(struct pyx_program *prog, int tid, uint64_t *ret);
struct pyx_error *program_tstate_cached(struct pyx_program *prog, int tid, uint64_t *ret);

#endif
