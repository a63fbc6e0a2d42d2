/* refindex.c - the reverse references of every gc-tracked object.
 *
 * One pass decodes the references of every object on the gc lists (and,
 * from 3.11, of every thread's running frames, which are not objects).
 * The objects are radix sorted by address; each reference to one of
 * them becomes a (target index, source) pair, found through a table of
 * where each page's objects start; a counting sort by target turns the
 * pairs into a compressed table: referrers of objs[i] are
 * src[start[i] .. start[i+1]).  Steady state: 13 bytes per object plus 4
 * per reference between gc objects; while building, 8 more per reference
 * and a page table. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heap/heap.h"
#include "objects/repr.h"
#include "target/page_cache.h"
#include "target/target.h"
#include "threads/frames.h"
#include "threads/threads.h"
#include "util/sorted.h"
#include "util/strbuf.h"

struct pair {
	uint32_t target;   /* index in objs */
	uint32_t src;
};

/* Where in the sorted object table each page's objects start: a
 * reference is mapped to its target's index with one hash probe and a
 * short search, and references to anything else (ints and strs, which
 * pymalloc keeps in pools of other size classes) drop out at once. */
struct page_map {
	uint64_t *keys;    /* page number + 1 */
	uint32_t *first;   /* index of the page's first object */
	uint32_t *count;   /* objects on the page */
	size_t mask;
};

struct builder {
	struct pyx_program *prog;
	struct ref_index *ri;
	/* objects in gc order, then sorted */
	uint64_t *keys;          /* address | generation (low 3 bits) */
	size_t n, cap;
	struct pair *pairs;
	size_t npairs, pcap;
	uint64_t static_lo, static_hi; /* the interpreter's own data: never gc objects */
	uint32_t cur;
	struct pyx_error *err;
	struct page_map pages;
	/* code objects met through __code__ / f_code, each once */
	uint64_t *code_set;
	size_t code_slots, ncode;
	uint64_t *codes;
	/* static types seen as ob_type: their dicts are roots */
	uint64_t *static_types;
	size_t nstatic, scap;
	size_t unknown_layout;
};

static void note_code(struct builder *b, uint64_t code)
{
	if ((b->ncode + 1) * 2 > b->code_slots) {
		size_t slots = b->code_slots ? b->code_slots * 2 : 1024;
		uint64_t *set = calloc(slots, sizeof(*set));
		if (!set) {
			b->err = pyx_error_no_memory();
			return;
		}
		for (size_t i = 0; i < b->code_slots; i++) {
			uint64_t c = b->code_set[i];
			if (!c)
				continue;
			size_t j = (size_t)((c * 0x9e3779b97f4a7c15ull) >> 20) & (slots - 1);
			while (set[j])
				j = (j + 1) & (slots - 1);
			set[j] = c;
		}
		free(b->code_set);
		b->code_set = set;
		b->code_slots = slots;
	}
	size_t j = (size_t)((code * 0x9e3779b97f4a7c15ull) >> 20) & (b->code_slots - 1);
	while (b->code_set[j]) {
		if (b->code_set[j] == code)
			return;
		j = (j + 1) & (b->code_slots - 1);
	}
	b->code_set[j] = code;
	uint64_t *codes = realloc(b->codes, (b->ncode + 1) * sizeof(*codes));
	if (!codes) {
		b->err = pyx_error_no_memory();
		return;
	}
	b->codes = codes;
	b->codes[b->ncode++] = code;
}

static int collect_obj(void *arg, uint64_t obj, uint64_t type, int gen)
{
	(void)type;
	struct builder *b = arg;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1 << 16;
		uint64_t *k = realloc(b->keys, cap * sizeof(*k));
		if (!k) {
			b->err = pyx_error_no_memory();
			return 1;
		}
		b->keys = k;
		b->cap = cap;
	}
	b->keys[b->n++] = obj | (uint64_t)gen;
	target_progress(b->prog->target, "listing gc objects", b->n, 0);
	return 0;
}

/* The bits in which a set of keys differ: sort only those. */
static int varying_bits(uint64_t lo, uint64_t hi)
{
	uint64_t diff = lo ^ hi;
	return diff ? 64 - __builtin_clzll(diff) : 0;
}

#define RADIX_BITS 16
#define RADIX_SIZE (1u << RADIX_BITS)

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* LSD radix sort of 64-bit keys on their low `bits` bits (a small heap
 * is sorted with qsort: the counting table alone is 512 KiB). */
static bool radix_sort_u64(uint64_t *v, size_t n, int bits)
{
	if (n < RADIX_SIZE / 4) {
		if (n)
			qsort(v, n, sizeof(*v), cmp_key);
		return true;
	}
	uint64_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	size_t *count = malloc((RADIX_SIZE + 1) * sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return false;
	}
	uint64_t *src = v, *dst = tmp;
	for (int shift = 0; shift < bits; shift += RADIX_BITS) {
		memset(count, 0, (RADIX_SIZE + 1) * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[((src[i] >> shift) & (RADIX_SIZE - 1)) + 1]++;
		for (size_t i = 0; i < RADIX_SIZE; i++)
			count[i + 1] += count[i];
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & (RADIX_SIZE - 1)]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	free(count);
	return true;
}

static bool page_map_build(struct page_map *pm, const uint64_t *objs, size_t n)
{
	size_t pages = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || (objs[i] >> 12) != (objs[i - 1] >> 12))
			pages++;
	size_t cap = 1024;
	while (cap < pages * 2)
		cap *= 2;
	pm->keys = calloc(cap, sizeof(*pm->keys));
	pm->first = malloc(cap * sizeof(*pm->first));
	pm->count = malloc(cap * sizeof(*pm->count));
	if (!pm->keys || !pm->first || !pm->count)
		return false;
	pm->mask = cap - 1;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t key = (objs[i] >> 12) + 1;
		if (i && (objs[i] >> 12) == (objs[i - 1] >> 12)) {
			pm->count[j]++;
			continue;
		}
		j = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & pm->mask;
		while (pm->keys[j])
			j = (j + 1) & pm->mask;
		pm->keys[j] = key;
		pm->first[j] = (uint32_t)i;
		pm->count[j] = 1;
	}
	return true;
}

static void page_map_free(struct page_map *pm)
{
	free(pm->keys);
	free(pm->first);
	free(pm->count);
}

/* The index of the object at addr, or -1. */
static inline int64_t page_map_find(const struct page_map *pm, const uint64_t *objs,
				    uint64_t addr)
{
	uint64_t key = (addr >> 12) + 1;
	size_t j = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & pm->mask;
	while (pm->keys[j]) {
		if (pm->keys[j] == key) {
			return sorted_u64_find(objs, pm->first[j], pm->first[j] + pm->count[j], addr);
		}
		j = (j + 1) & pm->mask;
	}
	return -1;
}

static int collect_edge(void *arg, const struct edge *e)
{
	struct builder *b = arg;
	uint64_t t = e->target;
	if (e->kind == EDGE_FIELD && (e->name[0] == '_' || e->name[0] == 'f') &&
	    (strcmp(e->name, "__code__") == 0 || strcmp(e->name, "f_code") == 0))
		note_code(b, t);
	/* Static objects (None, small ints, static types ...) live in the
	 * interpreter's own data and are never on the gc lists. */
	if ((t & 7) || (t >= b->static_lo && t < b->static_hi))
		return 0;
	int64_t ti = page_map_find(&b->pages, b->ri->objs, t);
	if (ti < 0)
		return 0;
	if (b->npairs == b->pcap) {
		size_t cap = b->pcap ? b->pcap * 2 : 1 << 16;
		struct pair *p = realloc(b->pairs, cap * sizeof(*p));
		if (!p) {
			b->err = pyx_error_no_memory();
			return 1;
		}
		b->pairs = p;
		b->pcap = cap;
	}
	b->pairs[b->npairs].target = (uint32_t)ti;
	b->pairs[b->npairs].src = b->cur;
	b->npairs++;
	return 0;
}

/* Running interpreter frames of every thread (3.11+). */
static struct pyx_error *collect_frames(struct pyx_program *prog, struct ref_index *ri)
{
	if (!HAS(prog, _PyInterpreterFrame))
		return NULL;
	struct pyx_thread *threads;
	size_t nthreads;
	PYX_TRY(program_threads(prog, &threads, &nthreads));
	size_t cap = 0;
	struct pyx_error *err = NULL;
	for (size_t t = 0; t < nthreads && !err; t++) {
		uint64_t iframe = 0, saved = 0;
		size_t power = 1, steps = 0;
		err = thread_newest_frame(prog, threads[t].tstate, &iframe);
		for (size_t k = 0; iframe && !err && k < MAX_FRAMES; k++) {
			/* Brent: a chain that loops is an error, not a million frames. */
			if (iframe == saved) {
				err = pyx_error_create(PYX_ERR_LIMIT, "the frame chain of thread "
					"%d loops at 0x%llx (corrupted memory?)", threads[t].tid,
					(unsigned long long)iframe);
				break;
			}
			if (++steps == power) {
				saved = iframe;
				power *= 2;
				steps = 0;
			}
			int8_t owner;
			uint64_t prev;
			err = pyx_target_read(prog->target, iframe + LV(prog, _PyInterpreterFrame_owner),
					      &owner, 1);
			if (!err)
				err = read_ptr(prog, iframe + LV(prog, _PyInterpreterFrame_previous), &prev);
			if (err)
				break;
			if (owner == LV(prog, FRAME_OWNED_BY_THREAD)) {
				if (ri->nframes == cap) {
					cap = cap ? cap * 2 : 64;
					uint64_t *f = realloc(ri->frames, cap * 8);
					uint64_t *ts = realloc(ri->frame_tstates, cap * 8);
					int *tids = realloc(ri->frame_tids, cap * sizeof(int));
					if (f)
						ri->frames = f;
					if (ts)
						ri->frame_tstates = ts;
					if (tids)
						ri->frame_tids = tids;
					if (!f || !ts || !tids) {
						err = pyx_error_no_memory();
						break;
					}
				}
				ri->frames[ri->nframes] = iframe;
				ri->frame_tstates[ri->nframes] = threads[t].tstate;
				ri->frame_tids[ri->nframes] = threads[t].tid;
				ri->nframes++;
			}
			iframe = prev;
		}
	}
	program_threads_free(threads, nthreads);
	return err;
}

static struct pyx_error *add_root(struct ref_index *ri, uint64_t addr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct pyx_error *add_root(struct ref_index *ri, uint64_t addr, const char *fmt, ...)
{
	if (!addr)
		return NULL;
	for (size_t i = 0; i < ri->nroots; i++)
		if (ri->roots[i] == addr)
			return NULL;
	uint64_t *r = realloc(ri->roots, (ri->nroots + 1) * sizeof(*r));
	if (!r)
		return pyx_error_no_memory();
	ri->roots = r;
	char **names = realloc(ri->root_names, (ri->nroots + 1) * sizeof(*names));
	if (!names)
		return pyx_error_no_memory();
	ri->root_names = names;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return pyx_error_no_memory();
	ri->roots[ri->nroots] = addr;
	ri->root_names[ri->nroots] = s;
	ri->nroots++;
	return NULL;
}

/* What py-path starts from: sys.modules, sys and builtins, the dicts of
 * static types (their types are not gc objects), thread frames, and each
 * thread's dict (PyThreadState_GetDict(): where C code and, up to 3.11,
 * threading.local keep per-thread values). */
static struct pyx_error *collect_roots(struct pyx_program *prog, struct ref_index *ri)
{
	uint64_t *interps;
	size_t n;
	PYX_TRY(program_interpreters(prog, &interps, &n));
	struct pyx_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t modules = 0, sysdict = 0, builtins = 0;
		int64_t id = 0;
		err = read_i64(prog, interps[i] + LV(prog, PyInterpreterState_id), &id);
		if (!err)
			err = read_ptr(prog, interps[i] + LV(prog, PyInterpreterState_modules), &modules);
		if (!err)
			err = read_ptr(prog, interps[i] + LV(prog, PyInterpreterState_sysdict), &sysdict);
		if (!err)
			err = read_ptr(prog, interps[i] + LV(prog, PyInterpreterState_builtins), &builtins);
		const char *sfx = id ? " (subinterpreter)" : "";
		if (!err)
			err = add_root(ri, modules, "sys.modules%s", sfx);
		if (!err)
			err = add_root(ri, sysdict, "sys.__dict__%s", sfx);
		if (!err)
			err = add_root(ri, builtins, "builtins.__dict__%s", sfx);
	}
	free(interps);
	struct pyx_thread *threads = NULL;
	size_t nthreads = 0;
	if (!err)
		err = program_threads(prog, &threads, &nthreads);
	for (size_t i = 0; i < nthreads && !err; i++) {
		uint64_t dict = 0;
		err = read_ptr(prog, threads[i].tstate + LV(prog, PyThreadState_dict), &dict);
		if (!err && dict)
			err = add_root(ri, dict, "the dict of thread %d", threads[i].tid);
	}
	program_threads_free(threads, nthreads);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static bool push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		uint64_t *g = realloc(*v, c * sizeof(*g));
		if (!g)
			return false;
		*v = g;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return true;
}

/* The references of objs[from, to) into b's pairs. */
static struct pyx_error *index_range(struct builder *b, size_t from, size_t to, bool report)
{
	struct pyx_program *prog = b->prog;
	struct ref_index *ri = b->ri;
	struct pyx_error *err = NULL;
	for (size_t i = from; i < to && !err && !b->err; i++) {
		if (report)
			target_progress(prog->target, "indexing references", i - from, to - from);
		uint64_t type;
		err = read_ptr(prog, ri->objs[i] + LV(prog, PyObject_ob_type), &type);
		if (err)
			break;
		const struct type_info *ti;
		struct pyx_error *terr = type_info_get(prog, type, &ti);
		if (terr) {
			pyx_error_destroy(terr);
			continue;
		}
		if (!ti->heap && (b->nstatic == 0 || b->static_types[b->nstatic - 1] != type) &&
		    !push_u64(&b->static_types, &b->nstatic, &b->scap, type)) {
			err = pyx_error_no_memory();
			break;
		}
		if (ti->kind == KIND_OTHER)
			b->unknown_layout++;
		b->cur = (uint32_t)i;
		struct pyx_error *e = object_edges(prog, ri->objs[i], ti, collect_edge, b);
		/* A broken object contributes what it could; keep going. */
		pyx_error_destroy(e);
	}
	return err;
}

/* Heaps this big are indexed by two threads (or PYXRAY_THREADS). */
#define PARALLEL_MIN_OBJECTS 200000

struct worker {
	struct builder b;
	size_t from, to;
	struct pyx_error *err;
	pthread_t thread;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct page_cache cache;
	page_cache_init(&cache);
	target_set_thread_cache(&cache);
	w->err = index_range(&w->b, w->from, w->to, false);
	target_set_thread_cache(NULL);
	page_cache_clear(&cache);
	return NULL;
}

/* Fold a worker's findings into b (the worker's objects come after b's). */
static bool absorb(struct builder *b, struct builder *w)
{
	if (w->npairs) {
		if (b->npairs + w->npairs > b->pcap) {
			size_t cap = b->npairs + w->npairs;
			struct pair *p = realloc(b->pairs, cap * sizeof(*p));
			if (!p)
				return false;
			b->pairs = p;
			b->pcap = cap;
		}
		memcpy(b->pairs + b->npairs, w->pairs, w->npairs * sizeof(*w->pairs));
		b->npairs += w->npairs;
	}
	for (size_t i = 0; i < w->nstatic; i++)
		if (!push_u64(&b->static_types, &b->nstatic, &b->scap, w->static_types[i]))
			return false;
	for (size_t i = 0; i < w->ncode; i++) {
		note_code(b, w->codes[i]);
		if (b->err)
			return false;
	}
	b->unknown_layout += w->unknown_layout;
	return true;
}

/* Every indexed object's references: the objects are split in ranges,
 * one per thread, each thread reading through its own page cache; the
 * calling thread takes the first range (and reports progress). */
static struct pyx_error *index_objects(struct builder *b)
{
	size_t n = b->ri->nobjs, nthreads = target_walk_threads(n, PARALLEL_MIN_OBJECTS);
	PYX_TRY(type_cache_prepare(b->prog));
	struct worker *w = calloc(nthreads, sizeof(*w));
	if (!w)
		return pyx_error_no_memory();
	size_t started = 0;
	for (size_t k = 1; k < nthreads; k++) {
		w[k].b = (struct builder){ .prog = b->prog, .ri = b->ri, .pages = b->pages,
					   .static_lo = b->static_lo, .static_hi = b->static_hi };
		w[k].b.pcap = n / nthreads * 2 + 1024;
		w[k].b.pairs = malloc(w[k].b.pcap * sizeof(*w[k].b.pairs));
		w[k].from = n * k / nthreads;
		w[k].to = n * (k + 1) / nthreads;
		if (!w[k].b.pairs || pthread_create(&w[k].thread, NULL, worker_main, &w[k]) != 0) {
			free(w[k].b.pairs);
			w[k].b.pairs = NULL;
			break;
		}
		started = k;
	}
	/* The calling thread takes its own range, and any a thread could
	 * not be started for. */
	struct pyx_error *err = index_range(b, 0, n * 1 / nthreads, true);
	for (size_t k = 1; k <= started; k++) {
		pthread_join(w[k].thread, NULL);
		if (!err)
			err = w[k].err ? w[k].err : w[k].b.err;
		else {
			pyx_error_destroy(w[k].err);
			pyx_error_destroy(w[k].b.err);
		}
		if (!err && !absorb(b, &w[k].b))
			err = pyx_error_no_memory();
		free(w[k].b.pairs);
		free(w[k].b.code_set);
		free(w[k].b.codes);
		free(w[k].b.static_types);
	}
	free(w);
	if (started + 1 < nthreads && !err)
		err = index_range(b, n * (started + 1) / nthreads, n, true);
	return err;
}

static struct pyx_error *build(struct pyx_program *prog, struct ref_index *ri)
{
	struct builder b = { .prog = prog, .ri = ri };
	b.static_lo = prog->python->start;
	b.static_hi = prog->python->end;
	struct pyx_error *walk_err = gc_foreach(prog, GEN_MASK_ALL, collect_obj, &b);
	if (walk_err || b.err) {
		/* The keys can be 64 MiB: a failed walk must not keep them. */
		free(b.keys);
		if (walk_err) {
			pyx_error_destroy(b.err);
			return walk_err;
		}
		return b.err;
	}
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < b.n; i++) {
		lo = b.keys[i] < lo ? b.keys[i] : lo;
		hi = b.keys[i] > hi ? b.keys[i] : hi;
	}
	if (!radix_sort_u64(b.keys, b.n, b.n ? varying_bits(lo, hi) : 0)) {
		free(b.keys);
		return pyx_error_no_memory();
	}
	ri->nobjs = b.n;
	ri->objs = malloc((b.n ? b.n : 1) * sizeof(*ri->objs));
	ri->gen = malloc(b.n ? b.n : 1);
	if (!ri->objs || !ri->gen) {
		free(b.keys);
		return pyx_error_no_memory();
	}
	for (size_t i = 0; i < b.n; i++) {
		ri->objs[i] = b.keys[i] & ~7ull;
		ri->gen[i] = (uint8_t)(b.keys[i] & 7);
	}
	free(b.keys);
	b.keys = NULL;
	if (!page_map_build(&b.pages, ri->objs, ri->nobjs)) {
		page_map_free(&b.pages);
		return pyx_error_no_memory();
	}
	/* About two references per object: start there, grow if needed. */
	b.pcap = ri->nobjs * 2 + 1024;
	b.pairs = malloc(b.pcap * sizeof(*b.pairs));
	if (!b.pairs) {
		page_map_free(&b.pages);
		return pyx_error_no_memory();
	}

	struct pyx_error *err = collect_frames(prog, ri);
	if (!err)
		err = collect_roots(prog, ri);
	if (err) {
		page_map_free(&b.pages);
		free(b.pairs);
		return err;
	}

	err = index_objects(&b);
	for (size_t f = 0; f < ri->nframes && !err && !b.err; f++) {
		b.cur = (uint32_t)(ri->nobjs + f);
		struct pyx_error *e = iframe_edges(prog, ri->frames[f], collect_edge, &b);
		pyx_error_destroy(e);
	}
	/* Code objects are not gc objects, but they hold constants and names
	 * (more are met on the way, each once). */
	for (size_t k = 0; k < b.ncode && !err && !b.err; k++) {
		b.cur = (uint32_t)(ri->nobjs + ri->nframes + k);
		struct pyx_error *e = code_edges(prog, b.codes[k], collect_edge, &b);
		pyx_error_destroy(e);
	}
	ri->codes = b.codes;
	ri->ncodes = b.ncode;
	ri->unknown_layout = b.unknown_layout;
	free(b.code_set);
	if (!err && b.err)
		err = b.err;
	if (!err && b.static_types) {
		qsort(b.static_types, b.nstatic, 8, cmp_u64);
		for (size_t i = 0; i < b.nstatic && !err; i++) {
			if (i && b.static_types[i] == b.static_types[i - 1])
				continue;
			uint64_t dict = 0;
			err = type_dict(prog, b.static_types[i], &dict);
			if (!err && dict) {
				const struct type_info *ti;
				if (!type_info_get(prog, b.static_types[i], &ti))
					err = add_root(ri, dict, "%s.__dict__", ti->name);
			}
		}
	}
	free(b.static_types);
	page_map_free(&b.pages);
	if (err) {
		free(b.pairs);
		return err;
	}

	/* Counting sort by target index; sources stay in increasing order. */
	ri->start = calloc(ri->nobjs + 1, sizeof(*ri->start));
	ri->src = malloc((b.npairs ? b.npairs : 1) * sizeof(*ri->src));
	uint32_t *fill = malloc((ri->nobjs ? ri->nobjs : 1) * sizeof(*fill));
	if (!ri->start || !ri->src || !fill) {
		free(fill);
		free(b.pairs);
		return pyx_error_no_memory();
	}
	for (size_t p = 0; p < b.npairs; p++)
		ri->start[b.pairs[p].target + 1]++;
	for (size_t j = 0; j < ri->nobjs; j++)
		ri->start[j + 1] += ri->start[j];
	memcpy(fill, ri->start, ri->nobjs * sizeof(*fill));
	for (size_t p = 0; p < b.npairs; p++)
		ri->src[fill[b.pairs[p].target]++] = b.pairs[p].src;
	free(fill);
	size_t matched = b.npairs;
	ri->nedges = matched;
	free(b.pairs);
	ri->bytes = ri->nobjs * (8 + 1 + 4) + 4 + matched * 4 + ri->nframes * 20 + ri->ncodes * 8;
	return NULL;
}

static void ref_index_free(void *ri)
{
	ref_index_destroy(ri);
}

struct pyx_error *ref_index_get(struct pyx_program *prog, const struct ref_index **ret)
{
	const struct ref_index *have = program_cache(prog, PROGRAM_CACHE_REFS);
	if (have) {
		*ret = have;
		return NULL;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct ref_index *ri = calloc(1, sizeof(*ri));
	if (!ri)
		return pyx_error_no_memory();
	struct pyx_error *err = build(prog, ri);
	if (err) {
		ref_index_destroy(ri);
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ri->build_seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	program_cache_set(prog, PROGRAM_CACHE_REFS, ri, ref_index_free);
	*ret = ri;
	return NULL;
}

void ref_index_destroy(struct ref_index *ri)
{
	if (!ri)
		return;
	free(ri->objs);
	free(ri->gen);
	free(ri->frames);
	free(ri->frame_tstates);
	free(ri->frame_tids);
	free(ri->codes);
	free(ri->start);
	free(ri->src);
	for (size_t i = 0; i < ri->nroots; i++)
		free(ri->root_names[i]);
	free(ri->roots);
	free(ri->root_names);
	free(ri);
}

int64_t ref_index_find(const struct ref_index *ri, uint64_t addr)
{
	return sorted_u64_find(ri->objs, 0, ri->nobjs, addr);
}

/* ---- queries ------------------------------------------------------------- */

struct match_ctx {
	uint64_t target;
	uint32_t source;
	referrer_visit_fn visit;
	void *arg;
	bool stop;
};

static int match_edge(void *arg, const struct edge *e)
{
	struct match_ctx *m = arg;
	if (e->target != m->target)
		return 0;
	if (m->visit(m->arg, m->source, e)) {
		m->stop = true;
		return 1;
	}
	return 0;
}

struct pyx_error *ref_source_edges(struct pyx_program *prog, const struct ref_index *ri,
				  uint32_t s, edge_visit_fn visit, void *arg)
{
	if (ref_source_is_frame(ri, s))
		return iframe_edges(prog, ri->frames[s - ri->nobjs], visit, arg);
	if (s >= ri->nobjs)
		return code_edges(prog, ref_source_addr(ri, s), visit, arg);
	uint64_t obj = ri->objs[s], type;
	PYX_TRY(read_ptr(prog, obj + LV(prog, PyObject_ob_type), &type));
	const struct type_info *ti;
	PYX_TRY(type_info_get(prog, type, &ti));
	return object_edges(prog, obj, ti, visit, arg);
}

struct pyx_error *referrers_foreach(struct pyx_program *prog, const struct ref_index *ri,
				    uint64_t target, referrer_visit_fn visit, void *arg)
{
	struct match_ctx m = { .target = target, .visit = visit, .arg = arg };
	int64_t j = ref_index_find(ri, target);
	if (j >= 0) {
		/* Each source once: its edges name every reference it holds. */
		uint32_t last = UINT32_MAX;
		for (uint32_t k = ri->start[j]; k < ri->start[j + 1] && !m.stop; k++) {
			uint32_t s = ri->src[k];
			if (s == last)
				continue;
			last = s;
			m.source = s;
			struct pyx_error *err = ref_source_edges(prog, ri, s, match_edge, &m);
			pyx_error_destroy(err);
		}
		return NULL;
	}
	/* Not a gc object: look through every source's references. */
	size_t total = ri->nobjs + ri->nframes + ri->ncodes;
	for (size_t s = 0; s < total && !m.stop; s++) {
		m.source = (uint32_t)s;
		struct pyx_error *err = ref_source_edges(prog, ri, (uint32_t)s, match_edge, &m);
		pyx_error_destroy(err);
	}
	return NULL;
}
