/* locks.h - which lock each blocked thread waits on, who holds it, and
 * cycles of threads waiting for each other (internal). */
#ifndef PYX_LOCKS_H
#define PYX_LOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threads/threads.h"

enum wait_kind {
	WAIT_LOCK,        /* threading.Lock (_thread.lock) */
	WAIT_RLOCK,       /* threading.RLock (_thread.RLock) */
	WAIT_CONDITION,   /* threading.Condition */
	WAIT_EVENT,       /* threading.Event */
	WAIT_SEMAPHORE,   /* threading.Semaphore, BoundedSemaphore */
	WAIT_BARRIER,     /* threading.Barrier */
	WAIT_QUEUE,       /* queue.Queue and its kinds */
	WAIT_JOIN,        /* Thread.join() */
};

struct lock_wait {
	int tid;                /* the thread that waits */
	char *thread_name;      /* its name (threading's, else the kernel's) */
	char *holder_name;      /* the holder's */
	enum wait_kind kind;
	uint64_t object;        /* what it waits on (the lock, the Event, the Thread ...) */
	char *type;             /* its type's qualified name */
	uint64_t lock;          /* the lock it blocks in (a Condition's waiter ...), or 0 */
	bool blocked;           /* in the kernel, waiting on that lock (futex) */
	int holder_tid;         /* who holds it; 0 unknown or none */
	const char *holder_how; /* how that is known: "RLock owner", "with block" ... */
	bool owned_by_exited;   /* an RLock owner that is no thread of the process */
	bool locked;            /* the lock is held (for Lock and RLock) */
	int64_t count;          /* an RLock's recursion count, or -1 */
	char *method;           /* the Python call it waits in: "Queue.get", "acquire" */
	char **names;           /* Python names that refer to it */
	size_t nnames;
	char *frame;            /* the innermost Python frame: "func (file.py:12)" */
};

struct lock_cycle {
	int *tids;
	uint64_t *objects;      /* what tids[i] waits for (held by tids[i + 1]) */
	size_t n;
};

struct pyx_locks {
	struct lock_wait *waits;
	size_t n;
	struct lock_cycle *cycles;
	size_t ncycles;
	char **notes;
	size_t nnotes;
};

/* Every thread blocked in threading's or queue's waits, or acquiring a
 * Lock or RLock: the object, its holder when it can be read (an RLock's
 * owner; for a Lock, the thread with a `with` block on it), and cycles. */
struct pyx_error *program_locks(struct pyx_program *prog, struct pyx_locks **ret);
void locks_destroy(struct pyx_locks *l);

/* The wait of thread tid, or NULL. */
const struct lock_wait *locks_wait_of(const struct pyx_locks *l, int tid);

/* "threading.Lock", "queue.Queue" ... as a person names the kind. */
const char *wait_kind_name(enum wait_kind k);

#endif
