/* gc.c - the garbage collector's state and its generation lists.
 *
 * Each generation is a circular doubly-linked list of PyGC_Head, which
 * sits right before the object; the list head lives in the gc state
 * (in _PyRuntime for 3.8, in each interpreter from 3.9).  _gc_next's low
 * bits are flags during a collection, so they are masked off; so are
 * _gc_prev's (finalized, collecting).
 *
 * A walk checks the list in both directions: every object's _gc_prev must
 * name the object before it, and the head's _gc_prev the last one, so a
 * list cut short by a bad link (a head pointing back at itself) is an
 * error, not a short answer. */
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"

#define MAX_GC_OBJECTS (1ull << 32)
/* _PyGC_PREV_MASK_COLLECTING: the object's _gc_prev holds gc_refs while a
 * collection runs, not a link. */
#define PREV_COLLECTING 2ull
#define LINK_MASK (~3ull)

static uint64_t generation_addr(struct pyx_program *prog, uint64_t state, int g)
{
	if (g == GEN_PERMANENT)
		return state + (uint64_t)LV(prog, _gc_runtime_state_permanent_generation);
	return state + (uint64_t)LV(prog, _gc_runtime_state_generations) +
	       (uint64_t)g * (uint64_t)LV(prog, gc_generation);
}

/* Where gc.get_stats()[g] comes from: an array in the gc state up to
 * 3.14; from 3.15 the state points at ring buffers of snapshots (the
 * young generation's, and one per old generation), each cumulative, the
 * newest at the buffer's index. */
static struct pyx_error *generation_stats_addr(struct pyx_program *prog, uint64_t state,
					      int g, uint64_t *ret)
{
	uint64_t stats = state + (uint64_t)LV(prog, _gc_runtime_state_generation_stats);
	uint64_t item = (uint64_t)LV(prog, gc_generation_stats);
	if (!HAS(prog, gc_stats_young)) {
		*ret = stats + (uint64_t)g * item;
		return NULL;
	}
	PYX_TRY(read_ptr(prog, stats, &stats));
	if (!stats)
		return pyx_error_create(PYX_ERR_NOT_INITIALIZED,
			"the gc's statistics are not allocated yet (gc state at 0x%llx)",
			(unsigned long long)state);
	uint64_t buf;
	int64_t nitems, index_off;
	if (g == 0) {
		buf = stats + (uint64_t)LV(prog, gc_stats_young);
		nitems = LV(prog, GC_YOUNG_STATS_SIZE);
		index_off = LV(prog, gc_young_stats_buffer_index);
	} else {
		buf = stats + (uint64_t)LV(prog, gc_stats_old) +
		      (uint64_t)(g - 1) * (uint64_t)LV(prog, gc_old_stats_buffer);
		nitems = LV(prog, GC_OLD_STATS_SIZE);
		index_off = LV(prog, gc_old_stats_buffer_index);
	}
	int8_t index;
	PYX_TRY(pyx_target_read(prog->target, buf + (uint64_t)index_off, &index, 1));
	if (index < 0 || index >= nitems)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"the gc's statistics of generation %d are corrupted: ring buffer "
			"index %d of %lld at 0x%llx", g, index, (long long)nitems,
			(unsigned long long)(buf + (uint64_t)index_off));
	*ret = buf + (uint64_t)index * item;
	return NULL;
}

static struct pyx_error *broken_link(int gen, uint64_t at, const char *what,
				      uint64_t link, uint64_t want, uint64_t n)
{
	struct pyx_error *err = pyx_error_create(PYX_ERR_INVALID_OBJECT,
		"gc generation %d's list is broken: %s at 0x%llx links back to 0x%llx, "
		"but the %s is 0x%llx (%llu objects walked; corrupted memory, or a "
		"collection was under way)", gen, what, (unsigned long long)at,
		(unsigned long long)link, n ? "object before it" : "head",
		(unsigned long long)want, (unsigned long long)n);
	err->address = at;
	return err;
}

/* Walk one list from its head; visit each object.  With check_links, the
 * _gc_prev links are checked against the walk (see above). */
static struct pyx_error *walk_list(struct pyx_program *prog, uint64_t head, int gen,
				   gc_visit_fn visit, void *arg, int64_t *count,
				   bool *stop, bool check_links)
{
	uint64_t next, head_prev;
	PYX_TRY(read_ptr(prog, head + LV(prog, PyGC_Head_gc_next), &next));
	PYX_TRY(read_ptr(prog, head + LV(prog, PyGC_Head_gc_prev), &head_prev));
	int64_t gc_size = LV(prog, PyGC_Head);
	int64_t type_off = gc_size + LV(prog, PyObject_ob_type);
	uint64_t saved = 0, n = 0, before = head;
	size_t power = 1, steps = 0;
	while ((next & LINK_MASK) != head) {
		uint64_t p = next & LINK_MASK;
		if (!p)
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"gc generation %d is broken: a NULL link after %llu objects",
				gen, (unsigned long long)n);
		if (p == saved)
			return pyx_error_create(PYX_ERR_LIMIT,
				"gc generation %d loops at 0x%llx without returning to its "
				"head (corrupted, or a collection was under way)",
				gen, (unsigned long long)p);
		if (++steps == power) {
			saved = p;
			power *= 2;
			steps = 0;
		}
		if (++n > MAX_GC_OBJECTS)
			return pyx_error_create(PYX_ERR_LIMIT, "gc generation %d has more "
						"than %llu objects (corrupted?)", gen,
						(unsigned long long)MAX_GC_OBJECTS);
		/* The gc head and the object header in one read. */
		uint64_t buf[4];
		struct pyx_error *err = pyx_target_read(prog->target, p, buf,
							(size_t)(type_off + 8));
		if (err)
			return pyx_error_wrap(err, "walking gc generation %d", gen);
		next = buf[LV(prog, PyGC_Head_gc_next) / 8];
		uint64_t prev = buf[LV(prog, PyGC_Head_gc_prev) / 8];
		if (check_links && !(prev & PREV_COLLECTING) && (prev & LINK_MASK) != before)
			return broken_link(gen, p, "the object", prev & LINK_MASK, before, n - 1);
		before = p;
		if (visit && visit(arg, p + (uint64_t)gc_size, buf[type_off / 8], gen)) {
			*stop = true;
			break;
		}
	}
	if (check_links && !*stop && (head_prev & LINK_MASK) != before) {
		if (!n)
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"gc generation %d's list is broken: its head at 0x%llx "
				"links forward to itself (an empty list) but back to 0x%llx "
				"(corrupted memory, or a collection was under way)", gen,
				(unsigned long long)head, (unsigned long long)(head_prev & LINK_MASK));
		return broken_link(gen, head, "the list head", head_prev & LINK_MASK, before, n);
	}
	if (count)
		*count = (int64_t)n;
	return NULL;
}

/* While a collection runs the lists are in flux and _gc_prev holds
 * reference counts: links are checked only when none does. */
static bool collection_running(struct pyx_program *prog, uint64_t state)
{
	int32_t collecting = 0;
	struct pyx_error *err = read_i32(prog, state + LV(prog, _gc_runtime_state_collecting),
					 &collecting);
	bool unknown = err != NULL;
	pyx_error_destroy(err);
	return unknown || collecting;
}

/* The collector's own count: after each full collection long_lived_total
 * is the oldest generation's length, and each collection of the middle
 * generation adds its survivors to long_lived_pending; only those
 * collections move objects there (and gc.unfreeze()).  A longer list than
 * both say is worth a warning.  (3.8 - 3.13, the generational gc.) */
static void oldest_generation_check(struct pyx_program *prog, uint64_t state,
				    struct gc_state_info *ret)
{
	if (!HAS(prog, _gc_runtime_state_long_lived_total) ||
	    !HAS(prog, _gc_runtime_state_long_lived_pending) || prog->minor > 13 ||
	    ret->ngenerations < 1)
		return;
	int64_t total, pending;
	struct pyx_error *err = read_i64(prog, state + LV(prog, _gc_runtime_state_long_lived_total),
					 &total);
	if (!err)
		err = read_i64(prog, state + LV(prog, _gc_runtime_state_long_lived_pending),
			       &pending);
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	ret->long_lived_total = total;
	ret->long_lived_pending = pending;
	ret->long_lived_known = true;
	int oldest = ret->ngenerations - 1;
	ret->oldest_too_long = total >= 0 && pending >= 0 &&
			       ret->gen[oldest].objects - total > pending;
}

struct pyx_error *gc_state_read(struct pyx_program *prog, uint64_t interp,
				bool walk_lists, struct gc_state_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	PYX_TRY(program_require_tables(prog, "reading the gc"));
	uint64_t st = program_gc_state(prog, interp);
	ret->state = st;
	int32_t enabled, collecting;
	PYX_TRY(read_i32(prog, st + LV(prog, _gc_runtime_state_enabled), &enabled));
	PYX_TRY(read_i32(prog, st + LV(prog, _gc_runtime_state_collecting), &collecting));
	ret->enabled = enabled;
	ret->collecting = collecting;
	bool check_links = !collecting;
	int64_t ngen = LV(prog, NUM_GENERATIONS);
	if (ngen < 1 || ngen > 3)
		return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
					"unexpected number of gc generations %lld",
					(long long)ngen);
	ret->ngenerations = (int)ngen;
	for (int g = 0; g <= (int)ngen; g++) {
		int gi = g == ngen ? GEN_PERMANENT : g;
		struct gc_generation_info *gen = &ret->gen[gi];
		uint64_t ga = generation_addr(prog, st, gi);
		gen->head = ga + (uint64_t)LV(prog, gc_generation_head);
		int32_t v;
		PYX_TRY(read_i32(prog, ga + LV(prog, gc_generation_count), &v));
		gen->count = v;
		PYX_TRY(read_i32(prog, ga + LV(prog, gc_generation_threshold), &v));
		gen->threshold = v;
		if (gi != GEN_PERMANENT) {
			uint64_t s = 0;
			PYX_TRY(generation_stats_addr(prog, st, g, &s));
			PYX_TRY(read_i64(prog, s + LV(prog, gc_generation_stats_collections),
					 &gen->collections));
			PYX_TRY(read_i64(prog, s + LV(prog, gc_generation_stats_collected),
					 &gen->collected));
			PYX_TRY(read_i64(prog, s + LV(prog, gc_generation_stats_uncollectable),
					 &gen->uncollectable));
		}
		if (walk_lists) {
			bool stop = false;
			PYX_TRY(walk_list(prog, gen->head, gi, NULL, NULL, &gen->objects, &stop,
					  check_links));
		}
	}
	if (walk_lists)
		oldest_generation_check(prog, st, ret);
	return NULL;
}

struct pyx_error *gc_foreach(struct pyx_program *prog, unsigned gen_mask,
			     gc_visit_fn visit, void *arg)
{
	uint64_t *interps;
	size_t n;
	PYX_TRY(program_require_tables(prog, "walking the gc"));
	PYX_TRY(program_interpreters(prog, &interps, &n));
	struct pyx_error *err = NULL;
	bool stop = false;
	/* 3.8 has one gc for the whole runtime. */
	size_t ninterp = HAS(prog, PyInterpreterState_gc) ? n : 1;
	for (size_t i = ninterp; i-- > 0 && !err && !stop;) {
		uint64_t st = program_gc_state(prog, interps[i]);
		bool check_links = !collection_running(prog, st);
		int64_t ngen = LV(prog, NUM_GENERATIONS);
		for (int g = 0; g <= ngen && !err && !stop; g++) {
			int gi = g == ngen ? GEN_PERMANENT : g;
			if (!(gen_mask & (1u << gi)))
				continue;
			uint64_t head = generation_addr(prog, st, gi) +
					(uint64_t)LV(prog, gc_generation_head);
			err = walk_list(prog, head, gi, visit, arg, NULL, &stop, check_links);
		}
	}
	free(interps);
	return err;
}

struct find_ctx {
	uint64_t obj;
	int gen;
};

static int find_visit(void *arg, uint64_t obj, uint64_t type, int gen)
{
	(void)type;
	struct find_ctx *c = arg;
	if (obj != c->obj)
		return 0;
	c->gen = gen;
	return 1;
}

struct pyx_error *object_gc_info(struct pyx_program *prog, const struct object_head *h,
				 struct gc_info *ret)
{
	ret->gc_type = h->type_flags & TPF_HAVE_GC;
	ret->tracked_known = false;
	ret->tracked = false;
	ret->generation = -1;
	if (ret->gc_type && (h->type_flags & TPF_TYPE_SUBCLASS)) {
		uint64_t own;
		PYX_TRY(type_flags(prog, h->addr, &own));
		ret->gc_type = own & TPF_HEAPTYPE;
	}
	if (!ret->gc_type) {
		ret->tracked_known = true;
		return NULL;
	}
	uint64_t next;
	PYX_TRY(read_ptr(prog, h->addr - (uint64_t)LV(prog, PyGC_Head) +
			 (uint64_t)LV(prog, PyGC_Head_gc_next), &next));
	ret->tracked = next != 0;
	ret->tracked_known = true;
	if (!ret->tracked)
		return NULL;
	/* With the referrer index built, the generation is known already. */
	const struct ref_index *refs = program_cache(prog, PROGRAM_CACHE_REFS);
	if (refs) {
		int64_t i = ref_index_find(refs, h->addr);
		if (i >= 0) {
			ret->generation = refs->gen[i];
			return NULL;
		}
	}
	struct find_ctx c = { h->addr, -1 };
	PYX_TRY(gc_foreach(prog, GEN_MASK_ALL, find_visit, &c));
	ret->generation = c.gen;
	return NULL;
}
