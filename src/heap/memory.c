/* memory.c - py-memory: every byte of the process's mappings accounted for
 * by kind, adding up to VSZ (and, on a live process, to RSS).
 *
 * The mappings come from /proc/PID/smaps (a core: its PT_LOAD segments).
 * Inside them, pyxray knows three allocators' memory: pymalloc's arenas
 * (blocks in use, from the walk py-census --all-heap does, and the rest),
 * glibc malloc's heaps (each chunk in use, free or cached, from
 * heap/malloc.c) and, in use, which chunks an object owns: a chunk is an
 * object's when the object lives in it (big objects outside pymalloc) or
 * one of its buffers does (objects/owned.c).  What is left of a mapping
 * is a thread's stack (it holds a thread's stack pointer), a file's
 * mapping, or other anonymous memory.
 *
 * Resident bytes come from /proc/PID/pagemap, page by page: a range's
 * resident bytes are its bytes on present pages, so the kinds add up to
 * the mappings' Rss.  Without pagemap they are prorated from smaps. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap/memory.h"
#include "util/strlist.h"
#include "heap/obmalloc.h"
#include "objects/owned.h"
#include "target/target.h"

const char *const memory_kind_names[MEM_KINDS] = {
	[MEM_PYMALLOC_USED] = "pymalloc in use",
	[MEM_PYMALLOC_FREE] = "pymalloc free",
	[MEM_MALLOC_OWNED] = "malloc owned by objects",
	[MEM_MALLOC_UNATTRIBUTED] = "malloc not attributed",
	[MEM_MALLOC_FREE] = "malloc free",
	[MEM_THREAD_STACKS] = "thread stacks",
	[MEM_FILES] = "mapped files",
	[MEM_ANON_OTHER] = "other anonymous",
};

#define MAX_PAGEMAP_PAGES (1ull << 26)  /* 256 GiB of mappings */

struct owned_ref {
	uint64_t ptr;
	const struct type_info *ti;
};

struct acc {
	struct pyx_program *prog;
	struct memory_account *m;
	bool live;
	bool pagemap;             /* resident pages known page by page */
	struct target_region *regions;
	size_t nregions, last;
	uint8_t **bits;           /* per region, read on demand */
	uint64_t *attr_v;         /* bytes of each region accounted for */
	int64_t *attr_r;
	uint64_t outside;         /* bytes in no region */
	struct owned_ref *owned;
	size_t nowned, owned_cap;
	size_t cursor;
	uint64_t last_user;
	/* type -> malloc bytes */
	uint64_t *mkeys, *mvals;
	size_t mcap, mn;
	struct pyx_error *err;
};

static int add_note(struct memory_account *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_note(struct memory_account *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = strlist_vappendf(&m->notes, &m->nnotes, fmt, ap);
	va_end(ap);
	return ok ? 0 : -1;
}

static size_t region_of(struct acc *a, uint64_t addr)
{
	if (a->last < a->nregions && addr >= a->regions[a->last].start &&
	    addr < a->regions[a->last].end)
		return a->last;
	size_t lo = 0, hi = a->nregions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a->regions[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->nregions && addr >= a->regions[lo].start)
		return a->last = lo;
	return SIZE_MAX;
}

/* Which pages of the mappings the allocators use are resident, read
 * before anything else: pyxray's own reads map pages into the target
 * (the zero page for untouched memory, which smaps does not count). */
static void read_residency(struct acc *a)
{
	uint64_t pages = 0;
	for (size_t r = 0; r < a->nregions; r++) {
		const struct target_region *rg = &a->regions[r];
		if (rg->writable && !(rg->path && rg->path[0] == '/'))
			pages += (rg->end - rg->start) / TARGET_PAGE_SIZE;
	}
	if (pages > MAX_PAGEMAP_PAGES) {
		add_note(a->m, "resident sizes are prorated from smaps: %llu GiB of writable "
			 "mappings is too much to read page by page",
			 (unsigned long long)(pages * TARGET_PAGE_SIZE >> 30));
		a->pagemap = false;
		return;
	}
	for (size_t r = 0; r < a->nregions && a->pagemap; r++) {
		const struct target_region *rg = &a->regions[r];
		if (!rg->writable || (rg->path && rg->path[0] == '/'))
			continue;
		uint64_t n = (rg->end - rg->start) / TARGET_PAGE_SIZE;
		a->bits[r] = malloc((size_t)(n + 7) / 8 + 1);
		struct pyx_error *err = a->bits[r]
			? target_resident_pages(a->prog->target, rg->start, rg->end, a->bits[r])
			: pyx_error_no_memory();
		if (err) {
			add_note(a->m, "resident sizes are prorated from smaps: %s",
				 pyx_error_message(err));
			pyx_error_destroy(err);
			a->pagemap = false;
		}
	}
}

/* Resident bytes of [lo, hi) inside region r. */
static int64_t resident(struct acc *a, size_t r, uint64_t lo, uint64_t hi)
{
	const struct target_region *rg = &a->regions[r];
	if (!a->live)
		return 0;
	const uint8_t *bits = a->pagemap ? a->bits[r] : NULL;
	if (!bits) {
		uint64_t size = rg->end - rg->start;
		return size ? (int64_t)((double)(hi - lo) * (double)rg->rss / (double)size) : 0;
	}
	int64_t n = 0;
	for (uint64_t p = lo & ~(uint64_t)(TARGET_PAGE_SIZE - 1); p < hi; p += TARGET_PAGE_SIZE) {
		uint64_t i = (p - rg->start) / TARGET_PAGE_SIZE;
		if (!(bits[i / 8] & (1u << (i % 8))))
			continue;
		uint64_t s = p > lo ? p : lo, e = p + TARGET_PAGE_SIZE < hi ? p + TARGET_PAGE_SIZE : hi;
		n += (int64_t)(e - s);
	}
	return n;
}

/* Account [lo, hi) to kind; in_region: the bytes also count against the
 * mappings holding them (blocks inside an arena do not: the arena does). */
static void account(struct acc *a, uint64_t lo, uint64_t hi, enum memory_kind kind,
		    bool in_region)
{
	struct memory_account *m = a->m;
	while (lo < hi) {
		size_t r = region_of(a, lo);
		if (r == SIZE_MAX) {
			m->bytes[kind] += hi - lo;
			a->outside += hi - lo;
			return;
		}
		uint64_t e = hi < a->regions[r].end ? hi : a->regions[r].end;
		int64_t rss = resident(a, r, lo, e);
		m->bytes[kind] += e - lo;
		if (a->live)
			m->rss_bytes[kind] += rss;
		if (in_region) {
			a->attr_v[r] += e - lo;
			a->attr_r[r] += rss;
		}
		lo = e;
	}
}

/* ---- objects and their buffers ---------------------------------------------- */

static void push_owned(struct acc *a, uint64_t ptr, const struct type_info *ti)
{
	if (a->err)
		return;
	if (a->nowned == a->owned_cap) {
		size_t cap = a->owned_cap ? a->owned_cap * 2 : 4096;
		struct owned_ref *v = realloc(a->owned, cap * sizeof(*v));
		if (!v) {
			a->err = pyx_error_no_memory();
			return;
		}
		a->owned = v;
		a->owned_cap = cap;
	}
	a->owned[a->nowned++] = (struct owned_ref){ ptr, ti };
}

struct buffer_ctx {
	struct acc *a;
	const struct type_info *ti;
};

static int buffer_cb(void *arg, uint64_t ptr)
{
	struct buffer_ctx *b = arg;
	push_owned(b->a, ptr, b->ti);
	b->a->m->owned_buffers++;
	return b->a->err != NULL;
}

static bool may_own(struct pyx_program *prog, const struct type_info *ti)
{
	switch (ti->kind) {
	case KIND_LIST:
	case KIND_DICT:
	case KIND_SET:
	case KIND_STR:
	case KIND_DEQUE:
	case KIND_ARRAY:
	case KIND_NDARRAY:
		return true;
	default:
		return ti->type == prog->wk.bytearray_type ||
		       (ti->heap && type_is_subtype(prog, ti->type, prog->wk.bytearray_type));
	}
}

static void object_hook(void *arg, uint64_t obj, const struct type_info *ti, bool in_pymalloc)
{
	struct acc *a = arg;
	if (!in_pymalloc)
		push_owned(a, obj, ti);
	if (!may_own(a->prog, ti))
		return;
	struct buffer_ctx b = { a, ti };
	struct pyx_error *err = object_buffers(a->prog, obj, ti, buffer_cb, &b);
	pyx_error_destroy(err); /* a damaged object owns nothing we can see */
}

static void block_hook(void *arg, uint64_t addr, uint32_t size)
{
	account(arg, addr, addr + size, MEM_PYMALLOC_USED, false);
}

static int block_fn(void *arg, uint64_t addr, uint32_t size, const uint8_t *data)
{
	block_hook(arg, addr, size);
	return 0;
}

static int cmp_owned(const void *x, const void *y)
{
	uint64_t p = ((const struct owned_ref *)x)->ptr, q = ((const struct owned_ref *)y)->ptr;
	return (p > q) - (p < q);
}

/* ---- malloc's chunks ----------------------------------------------------------- */

static void add_malloc_bytes(struct acc *a, const struct type_info *ti, uint64_t bytes)
{
	if (a->err)
		return;
	if ((a->mn + 1) * 2 > a->mcap) {
		size_t cap = a->mcap ? a->mcap * 2 : 256;
		uint64_t *k = calloc(cap, 8), *v = calloc(cap, 8);
		if (!k || !v) {
			free(k);
			free(v);
			a->err = pyx_error_no_memory();
			return;
		}
		for (size_t i = 0; i < a->mcap; i++) {
			if (!a->mkeys[i])
				continue;
			size_t j = (size_t)(a->mkeys[i] * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = a->mkeys[i];
			v[j] = a->mvals[i];
		}
		free(a->mkeys);
		free(a->mvals);
		a->mkeys = k;
		a->mvals = v;
		a->mcap = cap;
	}
	size_t j = (size_t)(ti->type * 0x9e3779b97f4a7c15ull >> 20) & (a->mcap - 1);
	while (a->mkeys[j] && a->mkeys[j] != ti->type)
		j = (j + 1) & (a->mcap - 1);
	if (!a->mkeys[j]) {
		a->mkeys[j] = ti->type;
		a->mn++;
	}
	a->mvals[j] += bytes;
}

static uint64_t malloc_bytes_of(const struct acc *a, uint64_t type)
{
	if (!a->mcap)
		return 0;
	size_t j = (size_t)(type * 0x9e3779b97f4a7c15ull >> 20) & (a->mcap - 1);
	while (a->mkeys[j] && a->mkeys[j] != type)
		j = (j + 1) & (a->mcap - 1);
	return a->mkeys[j] ? a->mvals[j] : 0;
}

/* The first owned pointer at or above p. */
static size_t owned_from(const struct acc *a, uint64_t p)
{
	size_t lo = 0, hi = a->nowned;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a->owned[mid].ptr < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int chunk_visit(void *arg, uint64_t user, uint64_t size, enum chunk_state st)
{
	struct acc *a = arg;
	uint64_t chunk = user - 16;
	switch (st) {
	case CHUNK_IN_USE:
	case CHUNK_MMAPPED: {
		/* Chunks come in address order within a heap. */
		if (user < a->last_user || a->cursor > a->nowned)
			a->cursor = owned_from(a, user);
		while (a->cursor < a->nowned && a->owned[a->cursor].ptr < user)
			a->cursor++;
		a->last_user = user;
		if (a->cursor < a->nowned && a->owned[a->cursor].ptr < chunk + size) {
			add_malloc_bytes(a, a->owned[a->cursor].ti, size);
			account(a, chunk, chunk + size, MEM_MALLOC_OWNED, true);
		} else {
			account(a, chunk, chunk + size, MEM_MALLOC_UNATTRIBUTED, true);
		}
		break;
	}
	default:
		account(a, chunk, chunk + size, MEM_MALLOC_FREE, true);
		break;
	}
	return a->err != NULL;
}

/* ---- the whole account ------------------------------------------------------------ */

static struct pyx_error *objects_and_pymalloc(struct acc *a, unsigned flags)
{
	struct pyx_program *prog = a->prog;
	struct memory_account *m = a->m;
	struct obmalloc *om;
	struct pyx_error *err = obmalloc_open(prog, 0, &om);
	if (err) {
		add_note(m, "pymalloc not read: %s", pyx_error_message(err));
		pyx_error_destroy(err);
		return NULL;
	}
	err = NULL;
	if (flags & MEMORY_OBJECTS) {
		struct heap_hooks hooks = { object_hook, block_hook, a };
		err = census_all_heap(prog, &hooks, flags & MEMORY_ADDRESSES, &m->census,
				      &m->heap);
		if (!err && a->err) {
			err = a->err;
			a->err = NULL;
			census_release(&m->census);
		}
		if (err) {
			add_note(m, "objects not walked: %s", pyx_error_message(err));
			pyx_error_destroy(err);
			err = NULL;
			/* Start again with the blocks only. */
			m->bytes[MEM_PYMALLOC_USED] = 0;
			m->rss_bytes[MEM_PYMALLOC_USED] = a->live ? 0 : -1;
			a->nowned = 0;
		} else {
			m->objects_walked = true;
		}
	}
	if (!m->objects_walked)
		err = obmalloc_walk_blocks(prog, om, block_fn, a);
	/* The arenas: what is not in a block in use is free. */
	uint64_t arena_v = 0;
	int64_t arena_r = 0;
	uint64_t v0 = m->bytes[MEM_PYMALLOC_FREE];
	int64_t r0 = m->rss_bytes[MEM_PYMALLOC_FREE];
	for (size_t i = 0; !err && i < om->narenas; i++) {
		uint64_t lo = om->arenas[i].address;
		account(a, lo, lo + om->arena_size, MEM_PYMALLOC_FREE, true);
	}
	arena_v = m->bytes[MEM_PYMALLOC_FREE] - v0;
	arena_r = m->rss_bytes[MEM_PYMALLOC_FREE] - r0;
	m->pymalloc_arenas = om->narenas;
	m->bytes[MEM_PYMALLOC_FREE] = v0 + arena_v - m->bytes[MEM_PYMALLOC_USED];
	if (a->live)
		m->rss_bytes[MEM_PYMALLOC_FREE] = r0 + arena_r - m->rss_bytes[MEM_PYMALLOC_USED];
	obmalloc_close(om);
	return err;
}

static struct pyx_error *malloc_chunks(struct acc *a)
{
	struct memory_account *m = a->m;
	if (a->nowned)
		qsort(a->owned, a->nowned, sizeof(*a->owned), cmp_owned);
	a->cursor = SIZE_MAX;
	struct pyx_error *err = malloc_walk(a->prog, chunk_visit, a, &m->malloc);
	if (!err && a->err) {
		err = a->err;
		a->err = NULL;
	}
	if (err) {
		if (pyx_error_code(err) == PYX_ERR_NO_MEMORY)
			return err;
		add_note(m, "malloc's heaps not walked: %s", pyx_error_message(err));
		pyx_error_destroy(err);
		return NULL;
	}
	m->malloc_walked = true;
	if (m->malloc.problem)
		add_note(m, "%s", m->malloc.problem);
	/* The heaps' own headers (heap_info, the arena) before their first
	 * chunk. */
	for (size_t h = 0; h < m->malloc.nheaps; h++) {
		const struct malloc_heap *hp = &m->malloc.heaps[h];
		if (hp->first > hp->start)
			account(a, hp->start, hp->first, MEM_MALLOC_FREE, true);
	}
	return NULL;
}

static struct pyx_error *owners(struct acc *a)
{
	struct memory_account *m = a->m;
	if (!m->objects_walked)
		return NULL;
	census_sort(&m->census, true);
	m->owners = calloc(m->census.n ? m->census.n : 1, sizeof(*m->owners));
	if (!m->owners)
		return pyx_error_no_memory();
	for (size_t i = 0; i < m->census.n; i++) {
		const struct census_entry *e = &m->census.v[i];
		m->owners[i] = (struct memory_owner){
			.ti = e->ti, .count = e->count, .bytes = e->bytes,
			.malloc_bytes = malloc_bytes_of(a, e->ti->type),
		};
	}
	m->nowners = m->census.n;
	return NULL;
}

/* What each mapping holds besides what the allocators account for. */
static void residue(struct acc *a)
{
	struct pyx_program *prog = a->prog;
	struct memory_account *m = a->m;
	int *tids = NULL;
	size_t ntids = 0;
	struct pyx_error *err = target_thread_ids(prog->target, &tids, &ntids);
	pyx_error_destroy(err);
	bool *stack = calloc(a->nregions ? a->nregions : 1, sizeof(*stack));
	size_t unknown = 0;
	for (size_t i = 0; stack && i < ntids; i++) {
		uint64_t sp = target_thread_sp(prog->target, tids[i]);
		size_t r = sp ? region_of(a, sp) : SIZE_MAX;
		if (r != SIZE_MAX)
			stack[r] = true;
		else
			unknown++;
	}
	free(tids);
	if (unknown)
		add_note(m, "%zu of %zu threads' stack pointers are not known (running "
			 "threads of a live process): their stacks count as other anonymous "
			 "memory", unknown, ntids);
	for (size_t r = 0; r < a->nregions; r++) {
		const struct target_region *rg = &a->regions[r];
		uint64_t size = rg->end - rg->start;
		enum memory_kind k = MEM_ANON_OTHER;
		if ((stack && stack[r]) || (rg->path && strcmp(rg->path, "[stack]") == 0))
			k = MEM_THREAD_STACKS;
		else if (rg->path && rg->path[0] == '/')
			k = MEM_FILES;
		if (k == MEM_THREAD_STACKS)
			m->stacks++;
		m->vsz += size;
		if (a->attr_v[r] > size) {
			add_note(m, "0x%llx-0x%llx: the allocators account for %llu bytes more "
				 "than the mapping holds", (unsigned long long)rg->start,
				 (unsigned long long)rg->end,
				 (unsigned long long)(a->attr_v[r] - size));
			continue;
		}
		m->bytes[k] += size - a->attr_v[r];
		if (a->live) {
			int64_t rest = rg->rss - a->attr_r[r];
			if (rest < 0) {
				/* pagemap and smaps read a moment apart */
				rest = 0;
			}
			m->rss_bytes[k] += rest;
			m->rss += rg->rss;
		}
	}
	free(stack);
	if (a->outside)
		add_note(m, "%llu bytes the allocators hold are in no mapping",
			 (unsigned long long)a->outside);
}

struct pyx_error *memory_account(struct pyx_program *prog, unsigned flags,
				 struct memory_account *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct acc a = { .prog = prog, .m = ret };
	a.live = pyx_target_is_live(prog->target);
	a.pagemap = a.live;
	ret->rss = a.live ? 0 : -1;
	for (int k = 0; k < MEM_KINDS; k++)
		ret->rss_bytes[k] = a.live ? 0 : -1;
	PYX_TRY(target_regions(prog->target, a.live, &a.regions, &a.nregions));
	ret->regions = a.nregions;
	a.bits = calloc(a.nregions ? a.nregions : 1, sizeof(*a.bits));
	a.attr_v = calloc(a.nregions ? a.nregions : 1, sizeof(*a.attr_v));
	a.attr_r = calloc(a.nregions ? a.nregions : 1, sizeof(*a.attr_r));
	struct pyx_error *err = a.bits && a.attr_v && a.attr_r ? NULL : pyx_error_no_memory();
	if (!err && a.live)
		read_residency(&a);
	if (!err)
		err = objects_and_pymalloc(&a, flags);
	if (!err)
		err = malloc_chunks(&a);
	if (!err)
		err = owners(&a);
	if (!err)
		residue(&a);
	for (size_t r = 0; a.bits && r < a.nregions; r++)
		free(a.bits[r]);
	free(a.bits);
	free(a.attr_v);
	free(a.attr_r);
	free(a.owned);
	free(a.mkeys);
	free(a.mvals);
	pyx_error_destroy(a.err);
	target_regions_free(a.regions, a.nregions);
	if (err) {
		memory_account_release(ret);
		return err;
	}
	return NULL;
}

void memory_account_release(struct memory_account *m)
{
	if (m->objects_walked)
		census_release(&m->census);
	free(m->owners);
	malloc_summary_free(&m->malloc);
	for (size_t i = 0; i < m->nnotes; i++)
		free(m->notes[i]);
	free(m->notes);
	memset(m, 0, sizeof(*m));
}
