/* lock.h - threading's Lock and RLock objects (Modules/_threadmodule.c),
 * read once for their reprs and for py-locks (internal). */
#ifndef PYX_LOCK_H
#define PYX_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/program.h"

struct lock_state {
	bool locked;
	uint64_t owner;     /* RLock: the owner's thread ident */
	int64_t count;      /* RLock: recursion count; else -1 */
	uint64_t futex;     /* 3.8 - 3.13: the sem_t a waiter's futex is on */
	uint64_t mutex;     /* 3.14+: the PyMutex a parked waiter names */
};

/* The state of the _thread.lock (rlock false) or _thread.RLock at addr. */
struct pyx_error *lock_state_read(struct pyx_program *prog, uint64_t addr, bool rlock,
				  struct lock_state *ret);

/* 3.14+: locks embed a PyMutex, and a waiter parks on its address. */
bool lock_is_pymutex(struct pyx_program *prog);

#endif
