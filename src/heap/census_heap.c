/* census_heap.c - py-census --all-heap: every object, tracked by the gc or
 * not.
 *
 *  1. every allocated pymalloc block that holds an object: its header
 *     must name a real type at the offset that type's pre-header implies
 *     (0, after a PyGC_Head, or after the 3.11+ managed-dict words too;
 *     16 bytes further with the debug hooks), and the object must fit in
 *     the block (its whole size for str, int, float, bytes and tuple,
 *     read from the block's own bytes);
 *  2. gc-tracked objects outside pymalloc (big lists, dicts ...): the gc
 *     lists are doubly linked, so each such node is next to a node seen
 *     in step 1, or to a generation's head - no second pass over the heap;
 *  3. objects outside pymalloc that the gc does not track (long strs, big
 *     ints, bytes ...), found through the references of the objects
 *     counted in 1 and 2.
 *
 * What is left unattributed in pymalloc is memory that is not an object
 * (list item arrays, dict keys objects, buffers of C code). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "heap/census.h"
#include "heap/obmalloc.h"
#include "target/page_cache.h"
#include "target/target.h"
#include "util/strbuf.h"

struct range {
	uint64_t lo, hi;
};

struct addr_set {
	uint64_t *v;
	size_t slots, n;
};

/* Which address slots (arena-sized, aligned) hold part of an arena: an
 * arena covers at most two, so each slot records up to two arenas. */
struct arena_map {
	uint64_t *keys;           /* slot + 1 */
	struct range (*ranges)[2];
	size_t mask;
	unsigned shift;
};

struct heap_walk {
	struct pyx_program *prog;
	struct census *c;
	struct arena_map map;
	uint64_t static_lo, static_hi;
	uint32_t data_offset;     /* 16 with the debug hooks */
	uint64_t pymalloc_bytes, attributed_bytes, tracked_blocks;
	uint64_t outside_objects;
	struct addr_set seen;     /* objects counted outside pymalloc */
	struct addr_set outside;  /* gc list nodes outside pymalloc */
	uint64_t *todo;           /* ... still to follow */
	size_t ntodo, todo_cap;
	uint64_t heads[64];       /* generation list heads */
	size_t nheads;
	const struct heap_hooks *hooks;
	bool worker;              /* a thread of a parallel walk: objects outside
				   * pymalloc are only noted (in seen), the
				   * calling thread counts them once */
	struct pyx_error *err;
};

static size_t map_slot(const struct arena_map *m, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 24) & m->mask;
}

static bool map_add(struct arena_map *m, uint64_t slot, struct range r)
{
	uint64_t key = slot + 1;
	size_t j = map_slot(m, key);
	while (m->keys[j] && m->keys[j] != key)
		j = (j + 1) & m->mask;
	if (!m->keys[j]) {
		m->keys[j] = key;
		m->ranges[j][0] = r;
		m->ranges[j][1] = (struct range){ 0, 0 };
		return true;
	}
	if (m->ranges[j][1].hi)
		return false; /* three arenas in one slot: impossible */
	m->ranges[j][1] = r;
	return true;
}

static bool map_build(struct arena_map *m, const struct obmalloc *om)
{
	m->shift = (unsigned)__builtin_ctz(om->arena_size);
	size_t cap = 64;
	while (cap < om->narenas * 4)
		cap *= 2;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->ranges = calloc(cap, sizeof(*m->ranges));
	if (!m->keys || !m->ranges)
		return false;
	m->mask = cap - 1;
	for (size_t i = 0; i < om->narenas; i++) {
		struct range r = { om->arenas[i].address, om->arenas[i].address + om->arena_size };
		if (!map_add(m, r.lo >> m->shift, r) ||
		    ((r.hi - 1) >> m->shift != r.lo >> m->shift &&
		     !map_add(m, (r.hi - 1) >> m->shift, r)))
			return false;
	}
	return true;
}

static bool in_pymalloc(const struct heap_walk *w, uint64_t addr)
{
	const struct arena_map *m = &w->map;
	uint64_t key = (addr >> m->shift) + 1;
	size_t j = map_slot(m, key);
	while (m->keys[j]) {
		if (m->keys[j] == key) {
			const struct range *r = m->ranges[j];
			return (addr >= r[0].lo && addr < r[0].hi) ||
			       (addr >= r[1].lo && addr < r[1].hi);
		}
		j = (j + 1) & m->mask;
	}
	return false;
}

/* Remember addr in set; false if it was there already (or on failure,
 * with w->err set). */
static bool set_add(struct heap_walk *w, struct addr_set *set, uint64_t addr)
{
	if ((set->n + 1) * 2 > set->slots) {
		size_t slots = set->slots ? set->slots * 2 : 4096;
		uint64_t *v = calloc(slots, sizeof(*v));
		if (!v) {
			w->err = pyx_error_no_memory();
			return false;
		}
		for (size_t i = 0; i < set->slots; i++) {
			uint64_t x = set->v[i];
			if (!x)
				continue;
			size_t j = (size_t)((x * 0x9e3779b97f4a7c15ull) >> 20) & (slots - 1);
			while (v[j])
				j = (j + 1) & (slots - 1);
			v[j] = x;
		}
		free(set->v);
		set->v = v;
		set->slots = slots;
	}
	size_t j = (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 20) & (set->slots - 1);
	while (set->v[j]) {
		if (set->v[j] == addr)
			return false;
		j = (j + 1) & (set->slots - 1);
	}
	set->v[j] = addr;
	set->n++;
	return true;
}

static bool seen_add(struct heap_walk *w, uint64_t addr)
{
	return set_add(w, &w->seen, addr);
}

static bool is_head(const struct heap_walk *w, uint64_t node)
{
	for (size_t i = 0; i < w->nheads; i++)
		if (w->heads[i] == node)
			return true;
	return false;
}

static bool plausible_link(uint64_t link)
{
	uint64_t p = link & ~3ull;
	return p >= 4096 && p < (1ull << 47) && !(p & 7);
}

/* A gc list link from node `from` (its _gc_next if forward): if it leads
 * outside pymalloc, the node there is a gc object outside pymalloc - once
 * its own link back to `from` confirms it (a stale header in a reused
 * block can carry any link). */
static void note_link(struct heap_walk *w, uint64_t from, uint64_t link, bool forward)
{
	uint64_t node = link & ~3ull;
	if (!plausible_link(link) || in_pymalloc(w, node) || is_head(w, node))
		return;
	uint64_t back;
	int64_t off = forward ? LV(w->prog, PyGC_Head_gc_prev) : LV(w->prog, PyGC_Head_gc_next);
	struct pyx_error *err = read_ptr(w->prog, node + (uint64_t)off, &back);
	if (err || (back & ~3ull) != from) {
		pyx_error_destroy(err);
		return;
	}
	if (!set_add(w, &w->outside, node))
		return;
	if (w->ntodo == w->todo_cap) {
		size_t cap = w->todo_cap ? w->todo_cap * 2 : 256;
		uint64_t *t = realloc(w->todo, cap * sizeof(*t));
		if (!t) {
			w->err = pyx_error_no_memory();
			return;
		}
		w->todo = t;
		w->todo_cap = cap;
	}
	w->todo[w->ntodo++] = node;
}

/* Count one object found (size UINT64_MAX: compute it) and tell the
 * hooks. */
static struct pyx_error *count(struct heap_walk *w, uint64_t obj, uint64_t type,
			       const struct type_info *ti, uint64_t size, bool in_pymalloc)
{
	PYX_TRY(size == UINT64_MAX ? census_add(w->prog, w->c, obj, type)
				   : census_add_sized(w->prog, w->c, obj, type, size));
	if (w->hooks && w->hooks->object)
		w->hooks->object(w->hooks->arg, obj, ti, in_pymalloc);
	return NULL;
}

static bool tracked(struct pyx_program *prog, uint64_t obj, const struct type_info *ti)
{
	if (!(ti->flags & TPF_HAVE_GC))
		return false;
	uint64_t next = 0;
	struct pyx_error *err = read_ptr(prog, obj - (uint64_t)LV(prog, PyGC_Head) +
					 (uint64_t)LV(prog, PyGC_Head_gc_next), &next);
	pyx_error_destroy(err);
	return next != 0;
}

/* Phase 3: a reference that leads outside pymalloc to an object the gc
 * does not track. */
static int outside_visit(void *arg, const struct edge *e)
{
	struct heap_walk *w = arg;
	uint64_t t = e->target;
	if ((t & 7) || (t >= w->static_lo && t < w->static_hi) || in_pymalloc(w, t))
		return 0;
	struct object_head h;
	struct pyx_error *err = object_head(w->prog, t, &h);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	const struct type_info *ti = type_info_lookup(w->prog, h.type);
	if (!ti)
		return 0;
	if (tracked(w->prog, t, ti) || !seen_add(w, t) || w->worker)
		return w->err != NULL;
	w->err = count(w, t, h.type, ti, UINT64_MAX, false);
	w->outside_objects++;
	return w->err != NULL;
}

/* A tuple's items, from the block's own bytes. */
static void follow_tuple(struct heap_walk *w, const uint8_t *o, uint64_t avail)
{
	int64_t n;
	memcpy(&n, o + LV(w->prog, PyVarObject_ob_size), 8);
	uint64_t items = (uint64_t)LV(w->prog, PyTupleObject_ob_item);
	for (int64_t i = 0; i < n && items + 8 * (uint64_t)(i + 1) <= avail && !w->err; i++) {
		struct edge e = { .kind = EDGE_ITEM, .aux = (uint64_t)i };
		memcpy(&e.target, o + items + 8 * (uint64_t)i, 8);
		if (e.target)
			outside_visit(w, &e);
	}
}

static void follow(struct heap_walk *w, uint64_t obj, const struct type_info *ti)
{
	switch (ti->kind) {
	case KIND_STR:
	case KIND_INT:
	case KIND_FLOAT:
	case KIND_BYTES:
		return;
	default:
		break;
	}
	struct pyx_error *err = object_edges(w->prog, obj, ti, outside_visit, w);
	pyx_error_destroy(err);
}

/* Step 2: the gc objects outside pymalloc, from the links noted in
 * step 1 and from the generation heads, following links between them. */
static struct pyx_error *outside_gc_objects(struct heap_walk *w)
{
	struct pyx_program *prog = w->prog;
	for (size_t i = 0; i < w->nheads; i++) {
		uint64_t next, prev;
		PYX_TRY(read_ptr(prog, w->heads[i] + LV(prog, PyGC_Head_gc_next), &next));
		PYX_TRY(read_ptr(prog, w->heads[i] + LV(prog, PyGC_Head_gc_prev), &prev));
		note_link(w, w->heads[i], next, true);
		note_link(w, w->heads[i], prev, false);
	}
	while (w->ntodo && !w->err) {
		uint64_t node = w->todo[--w->ntodo];
		uint64_t next, prev, type;
		int64_t gc = LV(prog, PyGC_Head);
		struct pyx_error *err = read_ptr(prog, node + LV(prog, PyGC_Head_gc_next), &next);
		if (!err)
			err = read_ptr(prog, node + LV(prog, PyGC_Head_gc_prev), &prev);
		if (err) {
			pyx_error_destroy(err);
			w->c->bad_objects++;
			continue;
		}
		note_link(w, node, next, true);
		note_link(w, node, prev, false);
		uint64_t obj = node + (uint64_t)gc;
		err = read_ptr(prog, obj + LV(prog, PyObject_ob_type), &type);
		pyx_error_destroy(err);
		const struct type_info *ti = err ? NULL : type_info_lookup(prog, type);
		if (!ti) {
			w->c->bad_objects++;
			continue;
		}
		PYX_TRY(count(w, obj, type, ti, UINT64_MAX, false));
		follow(w, obj, ti);
	}
	return w->err;
}

/* Every generation list's head, of every interpreter. */
static struct pyx_error *find_heads(struct heap_walk *w)
{
	struct pyx_program *prog = w->prog;
	uint64_t *interps;
	size_t n;
	PYX_TRY(program_interpreters(prog, &interps, &n));
	size_t ninterp = HAS(prog, PyInterpreterState_gc) ? n : 1;
	for (size_t i = 0; i < ninterp; i++) {
		uint64_t st = program_gc_state(prog, interps[i]);
		int64_t ngen = LV(prog, NUM_GENERATIONS);
		for (int64_t g = 0; g <= ngen && w->nheads < 64; g++) {
			uint64_t ga = g == ngen
				? st + (uint64_t)LV(prog, _gc_runtime_state_permanent_generation)
				: st + (uint64_t)LV(prog, _gc_runtime_state_generations) +
				  (uint64_t)g * (uint64_t)LV(prog, gc_generation);
			w->heads[w->nheads++] = ga + (uint64_t)LV(prog, gc_generation_head);
		}
	}
	free(interps);
	return NULL;
}

/* The size of an atomic object (str, int, float, bytes, tuple) from the
 * block's own bytes, and whether the object fits in the block: a header
 * left behind in a block now used for something else (a stale str in a
 * buffer) fails this.  Returns false when the kind is not one of these;
 * then only its fixed part is checked. */
static bool local_size(struct pyx_program *prog, const struct type_info *ti,
		       const uint8_t *o, uint64_t avail, uint64_t *size, bool *fits)
{
	int64_t n;
	switch (ti->kind) {
	case KIND_FLOAT:
		*size = (uint64_t)ti->basicsize;
		break;
	case KIND_BYTES:
		memcpy(&n, o + LV(prog, PyVarObject_ob_size), 8);
		if (n < 0 || n > (1 << 20))
			return *fits = false, true;
		*size = (uint64_t)(ti->basicsize + n);
		break;
	case KIND_TUPLE:
		memcpy(&n, o + LV(prog, PyVarObject_ob_size), 8);
		if (n < 0 || n > (1 << 20))
			return *fits = false, true;
		*fits = (uint64_t)(ti->basicsize + n * 8) <= avail;
		*size = (uint64_t)(ti->basicsize + n * 8 + ti->preheader);
		return true;
	case KIND_INT: {
		uint64_t digits;
		if (HAS(prog, PyLongObject_lv_tag)) {
			uint64_t tag;
			memcpy(&tag, o + LV(prog, PyLongObject_lv_tag), 8);
			digits = tag >> LV(prog, _PyLong_NON_SIZE_BITS);
		} else {
			memcpy(&n, o + LV(prog, PyVarObject_ob_size), 8);
			digits = (uint64_t)(n < 0 ? -n : n);
		}
		if (digits > (1 << 20))
			return *fits = false, true;
		uint64_t stored = digits ? digits : 1;
		*fits = (uint64_t)LV(prog, PyLongObject_ob_digit) + stored * (uint64_t)LV(prog, digit)
			<= avail;
		if (prog->minor < 11)
			stored = digits;
		*size = (uint64_t)LV(prog, PyLongObject_ob_digit) + stored * (uint64_t)LV(prog, digit);
		return true;
	}
	case KIND_STR: {
		uint32_t state;
		int64_t len;
		memcpy(&state, o + LV(prog, PyASCIIObject_state), 4);
		memcpy(&len, o + LV(prog, PyASCIIObject_length), 8);
		uint32_t km = (uint32_t)LV(prog, PyASCIIObject_state_kind);
		uint64_t kind = (state & km) >> __builtin_ctz(km);
		bool compact = state & (uint32_t)LV(prog, PyASCIIObject_state_compact);
		bool ascii = state & (uint32_t)LV(prog, PyASCIIObject_state_ascii);
		if (len < 0 || len > (1 << 30) || (kind != 1 && kind != 2 && kind != 4))
			return *fits = false, true;
		if (!compact) {
			/* A str subclass: the characters live in their own buffer. */
			uint64_t data_ptr;
			memcpy(&data_ptr, o + LV(prog, PyUnicodeObject_data), 8);
			*fits = (uint64_t)LV(prog, PyUnicodeObject) <= avail;
			*size = (uint64_t)LV(prog, PyUnicodeObject) +
				(data_ptr ? ((uint64_t)len + 1) * kind : 0);
		} else {
			uint64_t head = ascii ? (uint64_t)LV(prog, PyASCIIObject)
					      : (uint64_t)LV(prog, PyCompactUnicodeObject);
			*size = head + ((uint64_t)len + 1) * kind;
			*fits = *size <= avail;
		}
		if (!(compact && ascii)) {
			/* A separate UTF-8 copy counts too (sys.getsizeof). */
			uint64_t utf8;
			int64_t ulen;
			memcpy(&utf8, o + LV(prog, PyCompactUnicodeObject_utf8), 8);
			memcpy(&ulen, o + LV(prog, PyCompactUnicodeObject_utf8_length), 8);
			if (utf8 && ulen >= 0 && ulen < (1 << 24))
				*size += (uint64_t)ulen + 1;
		}
		return true;
	}
	default:
		return false;
	}
	*fits = *size <= avail;
	return true;
}

/* Phase 2. */
static int block_visit(void *arg, uint64_t addr, uint32_t size, const uint8_t *data)
{
	struct heap_walk *w = arg;
	struct pyx_program *prog = w->prog;
	w->pymalloc_bytes += size;
	if (w->hooks && w->hooks->block)
		w->hooks->block(w->hooks->arg, addr, size);
	uint64_t gc = (uint64_t)LV(prog, PyGC_Head);
	const uint64_t tries[] = { 0, gc, gc + 16 };
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		uint64_t off = w->data_offset + tries[i];
		if (off + 16 > size)
			break;
		uint64_t word, type;
		memcpy(&word, data + off + LV(prog, PyObject_ob_refcnt), 8);
		int64_t refcnt = refcount_of(prog, word);
		memcpy(&type, data + off + LV(prog, PyObject_ob_type), 8);
		/* Types are never pymalloc blocks (they are too big). */
		if (refcnt <= 0 || refcnt > (1ll << 48) || (type & 7) || type < 4096 ||
		    in_pymalloc(w, type))
			continue;
		const struct type_info *ti = type_info_lookup(prog, type);
		if (!ti || (uint64_t)ti->preheader != tries[i])
			continue;
		uint64_t known = 0;
		bool fits = true;
		if (!local_size(prog, ti, data + off, size - off, &known, &fits)) {
			known = UINT64_MAX;
			fits = ti->basicsize > 0 && (uint64_t)ti->basicsize <= size - off;
		}
		if (!fits)
			continue;
		uint64_t obj = addr + off;
		w->attributed_bytes += size;
		if (tries[i] && (ti->flags & TPF_HAVE_GC)) {
			uint64_t next, prev;
			memcpy(&next, data + off - gc + LV(prog, PyGC_Head_gc_next), 8);
			memcpy(&prev, data + off - gc + LV(prog, PyGC_Head_gc_prev), 8);
			if (next && (!plausible_link(next) || !plausible_link(prev)))
				continue; /* a stale header in a reused block */
			if (next) {
				uint64_t node = addr + off - gc;
				w->tracked_blocks++;
				note_link(w, node, next, true);
				note_link(w, node, prev, false);
			}
		}
		w->err = count(w, obj, type, ti, known, true);
		if (!w->err && ti->kind == KIND_TUPLE)
			follow_tuple(w, data + off, size - off);
		else if (!w->err)
			follow(w, obj, ti);
		return w->err != NULL;
	}
	return 0;
}

/* ---- the block walk on several threads ---------------------------------------- */

#define PARALLEL_MIN_ARENAS 16

struct block_worker {
	struct heap_walk w;
	const struct obmalloc *om;
	size_t first, last;
	struct pyx_error *err;
	pthread_t thread;
};

static void *block_worker_main(void *arg)
{
	struct block_worker *bw = arg;
	struct page_cache cache;
	page_cache_init(&cache);
	target_set_thread_cache(&cache);
	bw->err = obmalloc_walk_arenas(bw->w.prog, bw->om, bw->first, bw->last, false,
				       block_visit, &bw->w);
	if (!bw->err)
		bw->err = bw->w.err;
	target_set_thread_cache(NULL);
	page_cache_clear(&cache);
	return NULL;
}

/* Fold a worker's walk into the calling thread's: its census, its
 * counters, the gc nodes outside pymalloc it met (still to follow), and
 * the objects outside pymalloc it saw (counted here, once). */
static struct pyx_error *absorb_walk(struct heap_walk *w, struct heap_walk *o)
{
	PYX_TRY(census_merge(w->prog, w->c, o->c));
	w->pymalloc_bytes += o->pymalloc_bytes;
	w->attributed_bytes += o->attributed_bytes;
	w->tracked_blocks += o->tracked_blocks;
	for (size_t i = 0; i < o->outside.slots; i++) {
		uint64_t node = o->outside.v[i];
		if (!node || !set_add(w, &w->outside, node))
			continue;
		if (w->ntodo == w->todo_cap) {
			size_t cap = w->todo_cap ? w->todo_cap * 2 : 256;
			uint64_t *t = realloc(w->todo, cap * sizeof(*t));
			if (!t)
				return pyx_error_no_memory();
			w->todo = t;
			w->todo_cap = cap;
		}
		w->todo[w->ntodo++] = node;
	}
	for (size_t i = 0; i < o->seen.slots && !w->err; i++) {
		uint64_t obj = o->seen.v[i];
		struct object_head h;
		if (!obj || !seen_add(w, obj))
			continue;
		struct pyx_error *err = object_head(w->prog, obj, &h);
		const struct type_info *ti = err ? NULL : type_info_lookup(w->prog, h.type);
		pyx_error_destroy(err);
		if (!ti)
			continue;
		w->err = count(w, obj, h.type, ti, UINT64_MAX, false);
		w->outside_objects++;
	}
	return w->err;
}

/* Step 1 over the arenas, split between threads when there are many and
 * nobody hooks into the walk; each thread reads through its own page
 * cache and counts into its own census. */
static struct pyx_error *walk_blocks(struct heap_walk *w, const struct obmalloc *om)
{
	size_t n = om->narenas;
	size_t nthreads = w->hooks || w->c->keep_addresses ? 1
			  : target_walk_threads(n, PARALLEL_MIN_ARENAS);
	if (nthreads < 2)
		return obmalloc_walk_blocks(w->prog, om, block_visit, w);
	PYX_TRY(type_cache_prepare(w->prog));
	struct block_worker *bw = calloc(nthreads, sizeof(*bw));
	struct census *cs = calloc(nthreads, sizeof(*cs));
	if (!bw || !cs) {
		free(bw);
		free(cs);
		return pyx_error_no_memory();
	}
	size_t started = 0;
	struct pyx_error *err = NULL;
	for (size_t k = 1; k < nthreads && !err; k++) {
		err = census_init(&cs[k], false);
		if (err)
			break;
		bw[k].w = *w;
		bw[k].w.worker = true;
		bw[k].w.c = &cs[k];
		bw[k].w.seen = (struct addr_set){ 0 };
		bw[k].w.outside = (struct addr_set){ 0 };
		bw[k].w.todo = NULL;
		bw[k].w.ntodo = bw[k].w.todo_cap = 0;
		bw[k].w.pymalloc_bytes = bw[k].w.attributed_bytes = bw[k].w.tracked_blocks = 0;
		bw[k].om = om;
		bw[k].first = n * k / nthreads;
		bw[k].last = n * (k + 1) / nthreads;
		if (pthread_create(&bw[k].thread, NULL, block_worker_main, &bw[k]) != 0) {
			census_release(&cs[k]);
			break;
		}
		started = k;
	}
	if (!err)
		err = obmalloc_walk_arenas(w->prog, om, 0, n / nthreads, true, block_visit, w);
	if (!err)
		err = w->err;
	for (size_t k = 1; k <= started; k++) {
		pthread_join(bw[k].thread, NULL);
		if (!err)
			err = bw[k].err;
		else
			pyx_error_destroy(bw[k].err);
		if (!err)
			err = absorb_walk(w, &bw[k].w);
		census_release(&cs[k]);
		free(bw[k].w.seen.v);
		free(bw[k].w.outside.v);
		free(bw[k].w.todo);
	}
	if (!err && started + 1 < nthreads)
		err = obmalloc_walk_arenas(w->prog, om, n * (started + 1) / nthreads, n, true,
					   block_visit, w);
	free(bw);
	free(cs);
	return err ? err : w->err;
}

struct pyx_error *census_all_heap(struct pyx_program *prog, const struct heap_hooks *hooks,
				  bool keep_addresses, struct census *ret,
				  struct heap_stats *stats)
{
	struct obmalloc *om;
	PYX_TRY(obmalloc_open(prog, 0, &om));
	struct pyx_error *err;
	struct heap_walk w = { .prog = prog, .hooks = hooks };
	w.static_lo = prog->python->start;
	w.static_hi = prog->python->end;
	w.data_offset = om->debug_hooks ? OBMALLOC_DEBUG_HEADER : 0;
	if (!map_build(&w.map, om)) {
		free(w.map.keys);
		free(w.map.ranges);
		obmalloc_close(om);
		return pyx_error_no_memory();
	}
	err = census_init(ret, keep_addresses);
	w.c = ret;
	if (!err)
		err = find_heads(&w);
	if (!err)
		err = walk_blocks(&w, om);
	if (!err)
		err = w.err;
	if (!err)
		err = outside_gc_objects(&w);
	obmalloc_close(om);
	free(w.map.keys);
	free(w.map.ranges);
	free(w.seen.v);
	free(w.outside.v);
	free(w.todo);
	if (err) {
		census_release(ret);
		return err;
	}
	*stats = (struct heap_stats){
		.pymalloc_bytes = w.pymalloc_bytes,
		.attributed_bytes = w.attributed_bytes,
		.outside_objects = w.outside_objects,
	};
	return NULL;
}

static struct pyx_error *census_all_heap_json_answer(struct pyx_program *prog,
						     const struct pyx_census_options *opts,
						     char **ret)
{
	struct pyx_census_options o = { .generation = -1 };
	if (opts)
		o = *opts;
	struct census c;
	struct heap_stats st;
	struct pyx_error *err = census_all_heap(prog, NULL, false, &c, &st);
	if (err)
		return pyx_error_wrap(err, "--all-heap walks pymalloc's blocks");
	census_sort(&c, o.sort_by_size);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"total_objects\": %llu, \"total_bytes\": %llu, \"generation\": null, "
		      "\"all_heap\": true, \"types_total\": %zu, \"unreadable_objects\": %llu, "
		      "\"pymalloc\": {\"allocated_bytes\": %llu, \"attributed_bytes\": %llu, "
		      "\"attributed_fraction\": %.4f}, \"outside_pymalloc_objects\": %llu, \"types\": [",
		      (unsigned long long)c.total_objects, (unsigned long long)c.total_bytes, c.n,
		      (unsigned long long)c.bad_objects, (unsigned long long)st.pymalloc_bytes,
		      (unsigned long long)st.attributed_bytes,
		      st.pymalloc_bytes ? (double)st.attributed_bytes / (double)st.pymalloc_bytes : 0.0,
		      (unsigned long long)st.outside_objects);
	census_types_json(&c, &o, &sb);
	strbuf_puts(&sb, "}");
	census_release(&c);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_census_all_heap_json(struct pyx_program *prog,
					   const struct pyx_census_options *opts,
					   char **ret)
{
	return program_explain(prog, census_all_heap_json_answer(prog, opts, ret));
}
