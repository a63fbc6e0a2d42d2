/* malloc.c - glibc malloc's chunks, walked out of process, read-only.
 *
 * glibc keeps its memory in heaps: the main arena's, grown with brk (the
 * [heap] mapping), and thread arenas' heaps, each a mapping aligned to
 * HEAP_MAX_SIZE (64 MiB) that starts with a heap_info {ar_ptr, prev, size
 * ...}; and requests above the mmap threshold get a mapping each (a chunk
 * with IS_MMAPPED).  Every chunk starts with {prev_size, size | flags}
 * and the next one follows at chunk + size, up to the heap's top chunk;
 * a chunk is in use when the next one's PREV_INUSE bit says so.  That
 * much has been stable for a long time (2.26 - 2.43 here); layouts that
 * changed (heap_info, malloc_state) are not trusted: a heap's first chunk
 * is found by trying offsets until the chain of sizes ends exactly at the
 * heap's end, which nothing but a heap does.
 *
 * Chunks freed into a thread's tcache or a fastbin keep looking in use;
 * they are found from the tcache_perthread_struct chunks (counts[64],
 * entries[64]) and from the arenas' fastbins where the arena is known
 * (thread arenas from their heap_info; the main arena by its symbol, from
 * libc's debug info), following the links, which glibc 2.32+ mangles
 * ("safe-linking": stored = (&link >> 12) ^ next). */
#include <stdlib.h>
#include <string.h>

#include "heap/malloc.h"
#include "runtime/modules.h"
#include "target/target.h"
#include "target/target_gather.h"

#define HEAP_MAX_SIZE (64ull << 20)
#define MINSIZE 32
#define PREV_INUSE 1ull
#define IS_MMAPPED 2ull
#define NON_MAIN_ARENA 4ull
#define SIZE_FLAGS 7ull
#define WINDOW (4u << 20)
#define MAX_FIRST_OFFSET 4096
#define TCACHE_BINS 64
#define TCACHE_CHUNK 0x290
#define NFASTBINS 10
#define FASTBINS_OFFSET 16   /* mutex, flags, have_fastchunks: glibc 2.27+ */
#define MAX_LINKS (1u << 20)

/* A window of target memory, read in large blocks. */
struct reader {
	struct pyx_program *prog;
	uint64_t base;
	size_t len;
	uint8_t *buf;
};

static bool rd_u64(struct reader *r, uint64_t addr, uint64_t limit, uint64_t *v)
{
	if (addr >= r->base && addr + 8 <= r->base + r->len) {
		memcpy(v, r->buf + (addr - r->base), 8);
		return true;
	}
	if (addr + 8 > limit)
		return false;
	size_t want = limit - addr < WINDOW ? (size_t)(limit - addr) : WINDOW;
	struct pyx_error *err = pyx_target_read(r->prog->target, addr, r->buf, want);
	if (err) {
		pyx_error_destroy(err);
		/* At least the word itself. */
		want = 8;
		err = pyx_target_read(r->prog->target, addr, r->buf, want);
		if (err) {
			pyx_error_destroy(err);
			r->len = 0;
			return false;
		}
	}
	r->base = addr;
	r->len = want;
	memcpy(v, r->buf, 8);
	return true;
}

/* Does the chain of chunk sizes from first end exactly at end?  (The last
 * chunk is the top chunk.)  arena: thread arenas' chunks carry
 * NON_MAIN_ARENA. */
static bool push_addr(uint64_t **v, size_t *n, size_t *cap, uint64_t a);

/* The chunks of a heap's size that may be a thread's
 * tcache_perthread_struct, gathered while its chain is checked (one pass
 * over the heap instead of two). */
struct candidates {
	uint64_t *v;
	size_t n, cap;
	bool oom;
};

static bool chain_ends_at(struct reader *r, uint64_t first, uint64_t end, bool arena,
			  size_t *nchunks, struct candidates *tc)
{
	uint64_t p = first;
	size_t n = 0, before = tc ? tc->n : 0;
	while (p < end) {
		uint64_t sw;
		if (!rd_u64(r, p + 8, end, &sw))
			goto no;
		uint64_t size = sw & ~SIZE_FLAGS;
		if (size < MINSIZE || (size & 15) || size > end - p || (sw & IS_MMAPPED))
			goto no;
		if (p + size < end && arena != !!(sw & NON_MAIN_ARENA))
			goto no;
		if (tc && size == TCACHE_CHUNK && !push_addr(&tc->v, &tc->n, &tc->cap, p))
			tc->oom = true;
		p += size;
		n++;
	}
	if (nchunks)
		*nchunks = n;
	if (p == end && n > 0)
		return true;
no:
	if (tc)
		tc->n = before;
	return false;
}

/* ---- the cached chunks: tcache and fastbins ------------------------------ */

struct cached {
	uint64_t *v;     /* chunk addresses, sorted once gathered */
	size_t n, cap;
	uint64_t *fast;  /* fastbin chunks (free to glibc) */
	size_t nfast, fcap;
};

static bool push_addr(uint64_t **v, size_t *n, size_t *cap, uint64_t a)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		uint64_t *g = realloc(*v, c * sizeof(*g));
		if (!g)
			return false;
		*v = g;
		*cap = c;
	}
	(*v)[(*n)++] = a;
	return true;
}

static bool in_heaps(const struct malloc_summary *s, uint64_t a)
{
	for (size_t i = 0; i < s->nheaps; i++)
		if (s->heaps[i].kind != HEAP_MMAPPED && a >= s->heaps[i].first &&
		    a < s->heaps[i].end)
			return true;
	return false;
}

/* Follow a singly linked free list from head for at most max links; the
 * link of a node at user address u sits at u (tcache) or chunk + 16
 * (fastbins: the same place).  glibc 2.32+ mangles links; which way is
 * found from the first link that decodes to an aligned chunk in a heap.
 * Returns false when the list is not one. */
static bool follow(struct pyx_program *prog, const struct malloc_summary *s,
		   uint64_t user, size_t max, int *mangled, uint64_t **out, size_t *n,
		   size_t *cap)
{
	for (size_t k = 0; user && k < max; k++) {
		if ((user & 15) || !in_heaps(s, user))
			return false;
		if (!push_addr(out, n, cap, user - 16))
			return false;
		uint64_t stored;
		struct pyx_error *err = read_ptr(prog, user, &stored);
		if (err) {
			pyx_error_destroy(err);
			return false;
		}
		if (!stored)
			break;
		uint64_t plain = stored, demangled = stored ^ (user >> 12);
		if (*mangled < 0) {
			bool p_ok = !(plain & 15) && in_heaps(s, plain);
			bool d_ok = !(demangled & 15) && in_heaps(s, demangled);
			if (p_ok == d_ok)
				return p_ok; /* both or neither: not sure; stop here */
			*mangled = d_ok;
		}
		user = *mangled ? demangled : plain;
		if (!user)
			break;
	}
	return true;
}

/* A tcache_perthread_struct (glibc 2.30+: uint16 counts[64], then 64
 * entries): counts and entries agree, entries point into heaps. */
static void tcache_chunks(struct pyx_program *prog, const struct malloc_summary *s,
			  uint64_t user, int *mangled, struct cached *c)
{
	uint8_t buf[TCACHE_BINS * 2 + TCACHE_BINS * 8];
	struct pyx_error *err = pyx_target_read(prog->target, user, buf, sizeof(buf));
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	uint16_t counts[TCACHE_BINS];
	uint64_t entries[TCACHE_BINS];
	memcpy(counts, buf, sizeof(counts));
	memcpy(entries, buf + sizeof(counts), sizeof(entries));
	size_t total = 0;
	for (int i = 0; i < TCACHE_BINS; i++) {
		if (!counts[i] != !entries[i] || (entries[i] & 15) ||
		    (entries[i] && !in_heaps(s, entries[i])))
			return;
		total += counts[i];
	}
	if (total > 65536)
		return;
	size_t before = c->n;
	for (int i = 0; i < TCACHE_BINS; i++)
		if (counts[i] && !follow(prog, s, entries[i], counts[i], mangled,
					 &c->v, &c->n, &c->cap)) {
			c->n = before; /* not a tcache after all */
			return;
		}
}

static void fastbin_chunks(struct pyx_program *prog, const struct malloc_summary *s,
			   uint64_t arena, int *mangled, struct cached *c)
{
	uint64_t bins[NFASTBINS];
	struct pyx_error *err = pyx_target_read(prog->target, arena + FASTBINS_OFFSET, bins,
						sizeof(bins));
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	for (int i = 0; i < NFASTBINS; i++)
		if (bins[i] && !(bins[i] & 15))
			follow(prog, s, bins[i] + 16, MAX_LINKS, mangled, &c->fast, &c->nfast,
			       &c->fcap);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static bool contains(const uint64_t *v, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < a)
			lo = mid + 1;
		else if (v[mid] > a)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* ---- finding the heaps --------------------------------------------------- */

static bool add_heap(struct malloc_summary *s, enum malloc_heap_kind kind, uint64_t start,
		     uint64_t end, uint64_t first)
{
	struct malloc_heap *h = realloc(s->heaps, (s->nheaps + 1) * sizeof(*h));
	if (!h)
		return false;
	s->heaps = h;
	h[s->nheaps++] = (struct malloc_heap){ kind, start, end, first };
	return true;
}

/* A thread arena's heap: heap_info at its start, chunks after it (and,
 * in an arena's first heap, after its malloc_state). */
static bool try_arena_heap(struct reader *r, struct malloc_summary *s,
			   const struct target_region *reg, uint64_t *arena,
			   struct candidates *tc)
{
	uint64_t info[4];
	struct pyx_error *err = pyx_target_read(r->prog->target, reg->start, info, sizeof(info));
	if (err) {
		pyx_error_destroy(err);
		return false;
	}
	uint64_t size = info[2];
	if (size < 4096 || size > reg->end - reg->start || size > HEAP_MAX_SIZE)
		return false;
	uint64_t end = reg->start + size;
	for (uint64_t off = 32; off < MAX_FIRST_OFFSET && off < size; off += 16) {
		if (chain_ends_at(r, reg->start + off, end, true, NULL, tc)) {
			*arena = info[0];
			return add_heap(s, HEAP_ARENA, reg->start, end, reg->start + off);
		}
	}
	return false;
}

/* Mapped chunks: {0, size | IS_MMAPPED} at a page boundary, whole pages.
 * The kernel merges neighbouring anonymous mappings, so they may sit
 * anywhere in one (after a pymalloc arena, a thread stack ...): look at
 * every page's first words. */
static void find_mmapped(struct reader *r, struct malloc_summary *s,
			 const struct target_region *reg)
{
	enum { BATCH = 1024 };
	uint64_t addrs[BATCH], heads[BATCH][2];
	bool ok[BATCH];
	uint64_t p = reg->start;
	while (p + 16 <= reg->end) {
		/* The first words of the next pages, in one gathered read. */
		size_t n = 0;
		for (uint64_t q = p; n < BATCH && q + 16 <= reg->end; q += 4096)
			addrs[n++] = q;
		struct pyx_error *err = target_read_gather(r->prog->target, addrs, n, 16, heads, ok);
		if (err) {
			pyx_error_destroy(err);
			return;
		}
		uint64_t next = addrs[n - 1] + 4096;
		for (size_t i = 0; i < n; i++) {
			uint64_t prev = heads[i][0], sw = heads[i][1];
			uint64_t size = sw & ~SIZE_FLAGS;
			if (!ok[i] || prev != 0 || (sw & SIZE_FLAGS) != IS_MMAPPED || size < 8192 ||
			    (size & 4095) || size > reg->end - addrs[i])
				continue;
			if (!add_heap(s, HEAP_MMAPPED, addrs[i], addrs[i] + size, addrs[i]))
				return;
			next = addrs[i] + size;
			break;
		}
		p = next;
	}
}

static struct pyx_error *find_heaps(struct pyx_program *prog, struct reader *r,
				    struct malloc_summary *s, uint64_t **arenas, size_t *narenas,
				    struct candidates *tc)
{
	struct target_region *regs;
	size_t n;
	PYX_TRY(target_regions(prog->target, false, &regs, &n));
	size_t acap = 0;
	bool have_main = false;
	for (size_t i = 0; i < n; i++) {
		const struct target_region *reg = &regs[i];
		bool heap_name = reg->path && strcmp(reg->path, "[heap]") == 0;
		if (!reg->writable || (reg->path && !heap_name))
			continue;
		size_t nchunks;
		if (!have_main && (heap_name || prog->target->kind == TARGET_CORE) &&
		    chain_ends_at(r, reg->start, reg->end, false, &nchunks, tc)) {
			have_main = true;
			if (!add_heap(s, HEAP_MAIN, reg->start, reg->end, reg->start))
				break;
			continue;
		}
		uint64_t arena = 0;
		if (!(reg->start % HEAP_MAX_SIZE) && try_arena_heap(r, s, reg, &arena, tc)) {
			if (!push_addr(arenas, narenas, &acap, arena))
				break;
			continue;
		}
		find_mmapped(r, s, reg);
	}
	target_regions_free(regs, n);
	return NULL;
}

/* ---- the walk ----------------------------------------------------------------- */

struct pyx_error *malloc_walk(struct pyx_program *prog, malloc_visit_fn visit, void *arg,
			      struct malloc_summary *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct reader r = { .prog = prog, .buf = malloc(WINDOW) };
	if (!r.buf)
		return pyx_error_no_memory();
	uint64_t *arenas = NULL;
	size_t narenas = 0;
	struct candidates tc = { 0 };
	struct pyx_error *err = find_heaps(prog, &r, ret, &arenas, &narenas, &tc);
	if (!err && tc.oom)
		err = pyx_error_no_memory();
	struct cached c = { 0 };
	int mangled = -1;
	/* tcache structs: chunks of their size, found while the heaps' chains
	 * were checked. */
	for (size_t i = 0; !err && i < tc.n; i++)
		tcache_chunks(prog, ret, tc.v[i] + 16, &mangled, &c);
	free(tc.v);
	for (size_t i = 0; i < narenas; i++)
		fastbin_chunks(prog, ret, arenas[i], &mangled, &c);
	uint64_t main_arena = 0;
	struct pyx_module *libc = NULL;
	if (modules_lookup(prog->modules, "main_arena", &main_arena, &libc)) {
		ret->main_arena_known = true;
		fastbin_chunks(prog, ret, main_arena, &mangled, &c);
	}
	free(arenas);
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_u64);
	if (c.nfast)
		qsort(c.fast, c.nfast, sizeof(*c.fast), cmp_u64);

	bool stop = false;
	for (size_t h = 0; !err && !stop && h < ret->nheaps; h++) {
		const struct malloc_heap *hp = &ret->heaps[h];
		uint64_t p = hp->first;
		while (p < hp->end && !stop) {
			uint64_t sw;
			if (!rd_u64(&r, p + 8, hp->end, &sw))
				break;
			uint64_t size = sw & ~SIZE_FLAGS;
			enum chunk_state st;
			if (hp->kind == HEAP_MMAPPED) {
				st = CHUNK_MMAPPED;
			} else if (p + size >= hp->end) {
				st = CHUNK_TOP;
			} else {
				uint64_t next;
				if (!rd_u64(&r, p + size + 8, hp->end, &next))
					break;
				if (!(next & PREV_INUSE))
					st = CHUNK_FREE;
				else if (contains(c.v, c.n, p))
					st = CHUNK_CACHED;
				else if (contains(c.fast, c.nfast, p))
					st = CHUNK_FREE;
				else
					st = CHUNK_IN_USE;
			}
			ret->bytes[st] += size;
			ret->chunks[st]++;
			if (visit && visit(arg, p + 16, size, st))
				stop = true;
			p += size;
		}
	}
	free(c.v);
	free(c.fast);
	free(r.buf);
	if (err)
		malloc_summary_free(ret);
	return err;
}

void malloc_summary_free(struct malloc_summary *s)
{
	free(s->heaps);
	free(s->problem);
	memset(s, 0, sizeof(*s));
}
