/* gc.c - the garbage collector's generation lists. */
#include <stdlib.h>

#include "object.h"

#define MAX_GC_WALK (200ull * 1000 * 1000)

/* Find which generation list holds the PyGC_Head at gc. */
static struct pyx_error *find_generation(struct pyx_program *prog, uint64_t gcstate,
					 uint64_t gc, int *ret)
{
	int64_t ngen = LV(prog, NUM_GENERATIONS);
	uint64_t steps = 0;
	for (int64_t g = 0; g <= ngen; g++) {
		uint64_t head = g < ngen
			? gcstate + (uint64_t)LV(prog, _gc_runtime_state_generations) +
			  (uint64_t)g * (uint64_t)LV(prog, gc_generation) +
			  (uint64_t)LV(prog, gc_generation_head)
			: gcstate + (uint64_t)LV(prog, _gc_runtime_state_permanent_generation) +
			  (uint64_t)LV(prog, gc_generation_head);
		uint64_t p;
		PYX_TRY(read_ptr(prog, head + LV(prog, PyGC_Head_gc_next), &p));
		while ((p & ~3ull) != head && p) {
			p &= ~3ull;
			if (p == gc) {
				*ret = (int)g;
				return NULL;
			}
			if (++steps > MAX_GC_WALK)
				return pyx_error_create(PYX_ERR_LIMIT,
					"gc lists longer than %llu objects (corrupted?)",
					(unsigned long long)MAX_GC_WALK);
			PYX_TRY(read_ptr(prog, p + LV(prog, PyGC_Head_gc_next), &p));
		}
	}
	*ret = -1;
	return NULL;
}

struct pyx_error *object_gc_info(struct pyx_program *prog, const struct object_head *h,
				 struct gc_info *ret)
{
	ret->gc_type = h->type_flags & TPF_HAVE_GC;
	ret->tracked = false;
	ret->generation = -1;
	if (ret->gc_type && (h->type_flags & TPF_TYPE_SUBCLASS)) {
		uint64_t own;
		PYX_TRY(type_flags(prog, h->addr, &own));
		ret->gc_type = own & TPF_HEAPTYPE;
	}
	if (!ret->gc_type)
		return NULL;
	uint64_t gc = h->addr - (uint64_t)LV(prog, PyGC_Head);
	uint64_t next;
	PYX_TRY(read_ptr(prog, gc + LV(prog, PyGC_Head_gc_next), &next));
	ret->tracked = next != 0;
	if (!ret->tracked)
		return NULL;
	uint64_t *interps;
	size_t n;
	PYX_TRY(program_interpreters(prog, &interps, &n));
	struct pyx_error *err = NULL;
	for (size_t i = 0; i < n && ret->generation < 0 && !err; i++) {
		err = find_generation(prog, program_gc_state(prog, interps[i]), gc,
				      &ret->generation);
		if (!HAS(prog, PyInterpreterState_gc))
			break; /* 3.8: one gc for the whole runtime */
	}
	free(interps);
	return err;
}
