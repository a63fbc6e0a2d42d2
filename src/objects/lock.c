/* lock.c - threading's Lock and RLock objects: locked or not, an RLock's
 * owner and count, and what a blocked thread waits on (a sem_t up to
 * 3.13, the embedded PyMutex from 3.14). */
#include <string.h>

#include "objects/lock.h"
#include "objects/object.h"
#include "util/error.h"

bool lock_is_pymutex(struct pyx_program *prog)
{
	return HAS(prog, lockobject_lock);
}

struct pyx_error *lock_state_read(struct pyx_program *prog, uint64_t addr, bool rlock,
				  struct lock_state *s)
{
	memset(s, 0, sizeof(*s));
	s->count = -1;
	if (lock_is_pymutex(prog)) {
		/* 3.14+: an embedded PyMutex (an RLock's inside a
		 * _PyRecursiveMutex with the owner and level). */
		s->mutex = addr + (uint64_t)(rlock ? LV(prog, rlockobject_lock)
					       : LV(prog, lockobject_lock));
		uint8_t bits;
		PYX_TRY(read_u8(prog, s->mutex, &bits));
		s->locked = bits & (uint8_t)LV(prog, _Py_LOCKED);
		if (rlock) {
			PYX_TRY(read_ptr(prog, s->mutex + LV(prog, _PyRecursiveMutex_thread), &s->owner));
			uint64_t level;
			PYX_TRY(read_ptr(prog, s->mutex + LV(prog, _PyRecursiveMutex_level), &level));
			/* level counts the acquisitions after the first. */
			s->count = s->owner ? (int64_t)level + 1 : 0;
		}
		return NULL;
	}
	if (!HAS(prog, lockobject_locked))
		return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
					"this pyxray has no layout of threading's locks for this CPython");
	if (rlock) {
		uint64_t count;
		PYX_TRY(read_ptr(prog, addr + LV(prog, rlockobject_rlock_lock), &s->futex));
		PYX_TRY(read_ptr(prog, addr + LV(prog, rlockobject_rlock_owner), &s->owner));
		PYX_TRY(read_ptr(prog, addr + LV(prog, rlockobject_rlock_count), &count));
		s->count = (int64_t)count;
		s->locked = count > 0;
		return NULL;
	}
	uint8_t locked;
	PYX_TRY(read_ptr(prog, addr + LV(prog, lockobject_lock_lock), &s->futex));
	PYX_TRY(read_u8(prog, addr + LV(prog, lockobject_locked), &locked));
	s->locked = locked;
	return NULL;
}
