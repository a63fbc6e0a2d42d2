/* obmalloc_blocks.c - pymalloc's blocks: which are allocated (every pool,
 * for heap walks) and where one address falls (py-malloc).
 *
 * A used pool hands out blocks in address order: those below nextoffset
 * have been handed out at least once, and of those the ones on the
 * pool's free list (a chain through each free block's first word, headed
 * by pool->freeblock) are free again.  Everything else below nextoffset
 * is allocated. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap/obmalloc.h"

static void decode_header(struct pyx_program *prog, uint64_t addr, const uint8_t *h,
			  struct obmalloc_pool *p)
{
	p->address = addr;
	p->count = om_get_u32(h, (size_t)LV(prog, pool_header_count));
	p->freeblock = om_get_u64(h, (size_t)LV(prog, pool_header_freeblock));
	p->szidx = om_get_u32(h, (size_t)LV(prog, pool_header_szidx));
	p->nextoffset = om_get_u32(h, (size_t)LV(prog, pool_header_nextoffset));
	p->maxnextoffset = om_get_u32(h, (size_t)LV(prog, pool_header_maxnextoffset));
}

static struct pyx_error *corrupt_pool(uint64_t pool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct pyx_error *corrupt_pool(uint64_t pool, const char *fmt, ...)
{
	char why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	struct pyx_error *err = pyx_error_create(PYX_ERR_INVALID_OBJECT,
		"pymalloc's pool at 0x%llx is corrupt: %s", (unsigned long long)pool, why);
	err->address = pool;
	return err;
}

/* A used pool's blocks: *carved of them handed out so far; free[i] is
 * the 1-based place of block i on the free list, 0 if it is not there.
 * pool holds the pool's pool_size bytes. */
static struct pyx_error *pool_free_blocks(const struct obmalloc *om,
					  const struct obmalloc_pool *p,
					  const uint8_t *pool, uint16_t *free_pos,
					  uint32_t *carved, uint32_t *nfree)
{
	if (p->szidx >= om->nclasses)
		return corrupt_pool(p->address, "size class %u (there are %u)",
				    p->szidx, om->nclasses);
	uint32_t size = obmalloc_block_size(om, p->szidx);
	uint32_t nb = obmalloc_pool_blocks(om, p->szidx);
	if (p->count > nb)
		return corrupt_pool(p->address, "%u blocks in use, but %u fit",
				    p->count, nb);
	if (p->nextoffset < om->pool_overhead || p->nextoffset > om->pool_size)
		return corrupt_pool(p->address, "nextoffset %u", p->nextoffset);
	uint32_t c = (p->nextoffset - om->pool_overhead) / size;
	if (c > nb)
		c = nb;
	memset(free_pos, 0, nb * sizeof(*free_pos));
	uint32_t n = 0;
	uint64_t first = p->address + om->pool_overhead;
	for (uint64_t b = p->freeblock; b; ) {
		if (b < first || b >= first + (uint64_t)c * size || (b - first) % size)
			return corrupt_pool(p->address, "its free list points at 0x%llx, "
					    "not at one of its %u handed-out blocks",
					    (unsigned long long)b, c);
		uint32_t i = (uint32_t)((b - first) / size);
		if (free_pos[i])
			return corrupt_pool(p->address, "its free list loops at 0x%llx",
					    (unsigned long long)b);
		free_pos[i] = (uint16_t)++n;
		b = om_get_u64(pool, (size_t)(b - p->address));
	}
	*carved = c;
	*nfree = n;
	return NULL;
}

/* ---- every allocated block -------------------------------------------------*/

struct pyx_error *obmalloc_walk_blocks(struct pyx_program *prog,
				       const struct obmalloc *om,
				       obmalloc_block_fn visit, void *arg)
{
	return obmalloc_walk_arenas(prog, om, 0, om->narenas, true, visit, arg);
}

struct pyx_error *obmalloc_walk_arenas(struct pyx_program *prog, const struct obmalloc *om,
				       size_t first, size_t last, bool report,
				       obmalloc_block_fn visit, void *arg)
{
	size_t max_pools = om->arena_size / om->pool_size, most = 1;
	for (size_t i = 0; i < om->narenas; i++)
		if (om->arenas[i].ncarved > most && om->arenas[i].ncarved <= max_pools)
			most = om->arenas[i].ncarved;
	/* Room for the arena with the most pools carved, not a whole arena. */
	uint8_t *buf = malloc(most * om->pool_size);
	uint16_t *free_pos = malloc(om->pool_size / om->alignment * sizeof(*free_pos));
	if (!buf || !free_pos) {
		free(buf);
		free(free_pos);
		return pyx_error_no_memory();
	}
	struct pyx_error *err = NULL;
	for (size_t i = first; i < last && i < om->narenas && !err; i++) {
		const struct obmalloc_arena *a = &om->arenas[i];
		if (report)
			target_progress(prog->target, "walking pymalloc's arenas", i - first,
					last - first);
		if (!a->ncarved || a->ncarved > max_pools)
			continue;
		/* The arena's carved pools in one read; pool by pool only
		 * when that fails (a truncated core), to name the bad one. */
		size_t len = (size_t)a->ncarved * om->pool_size;
		err = pyx_target_read(prog->target, a->base, buf, len);
		if (err && pyx_error_code(err) == PYX_ERR_FAULT) {
			pyx_error_destroy(err);
			err = NULL;
			for (uint32_t j = 0; j < a->ncarved && !err; j++)
				err = pyx_target_read(prog->target,
						      a->base + (uint64_t)j * om->pool_size,
						      buf + (size_t)j * om->pool_size,
						      om->pool_size);
			if (err)
				err = pyx_error_wrap(err, "reading pymalloc's arena at 0x%llx",
						     (unsigned long long)a->address);
		}
		for (uint32_t j = 0; j < a->ncarved && !err; j++) {
			const uint8_t *pool = buf + (size_t)j * om->pool_size;
			struct obmalloc_pool p;
			decode_header(prog, a->base + (uint64_t)j * om->pool_size, pool, &p);
			if (!p.count)
				continue;
			uint32_t carved, nfree;
			err = pool_free_blocks(om, &p, pool, free_pos, &carved, &nfree);
			if (err)
				break;
			uint32_t size = obmalloc_block_size(om, p.szidx);
			for (uint32_t k = 0; k < carved; k++) {
				if (free_pos[k])
					continue;
				uint32_t off = om->pool_overhead + k * size;
				if (visit(arg, p.address + off, size, pool + off))
					goto stop;
			}
		}
	}
stop:
	free(buf);
	free(free_pos);
	return err;
}

struct pyx_error *obmalloc_foreach_block(struct pyx_program *prog,
					 obmalloc_block_fn visit, void *arg)
{
	struct obmalloc *om;
	PYX_TRY(obmalloc_open(prog, 0, &om));
	struct pyx_error *err = obmalloc_walk_blocks(prog, om, visit, arg);
	obmalloc_close(om);
	return err;
}

/* ---- the debug hooks' header ----------------------------------------------*/

bool obmalloc_debug_header(const uint8_t *block, uint32_t size,
			   struct obmalloc_debug_header *ret)
{
	if (size < 3 * 8)
		return false;
	char api = (char)block[8];
	if (api != 'o' && api != 'm' && api != 'r')
		return false;
	for (int i = 9; i < 16; i++)
		if (block[i] != 0xFD)
			return false;
	uint64_t n = 0;
	for (int i = 0; i < 8; i++)
		n = n << 8 | block[i];
	if (n > size - 3 * 8)
		return false;
	ret->requested = n;
	ret->api = api;
	ret->tail_intact = true;
	for (uint64_t i = 0; i < 8; i++)
		if (block[OBMALLOC_DEBUG_HEADER + n + i] != 0xFD)
			ret->tail_intact = false;
	return true;
}

/* ---- one address -----------------------------------------------------------*/

struct pyx_error *obmalloc_locate(struct pyx_program *prog,
				  const struct obmalloc *om, uint64_t addr,
				  struct obmalloc_where *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->region = OBMALLOC_OUTSIDE;
	const struct obmalloc_arena *a = NULL;
	for (size_t i = 0; i < om->narenas && !a; i++)
		if (addr >= om->arenas[i].address &&
		    addr - om->arenas[i].address < om->arena_size)
			a = &om->arenas[i];
	if (!a)
		return NULL;
	ret->arena = a;
	if (addr < a->base) {
		ret->region = OBMALLOC_ARENA_ALIGNMENT;
		return NULL;
	}
	if (addr >= a->pool_address) {
		ret->region = OBMALLOC_ARENA_UNCARVED;
		return NULL;
	}
	uint64_t pool_addr = addr & ~(uint64_t)(om->pool_size - 1);
	uint8_t *pool = malloc(om->pool_size);
	uint16_t *free_pos = malloc(om->pool_size / om->alignment * sizeof(*free_pos));
	struct pyx_error *err = NULL;
	if (!pool || !free_pos) {
		err = pyx_error_no_memory();
		goto out;
	}
	err = pyx_target_read(prog->target, pool_addr, pool, om->pool_size);
	if (err) {
		err = pyx_error_wrap(err, "reading pymalloc's pool at 0x%llx",
				     (unsigned long long)pool_addr);
		goto out;
	}
	decode_header(prog, pool_addr, pool, &ret->pool);
	const struct obmalloc_pool *p = &ret->pool;
	if (!p->count) {
		ret->region = OBMALLOC_POOL_UNUSED;
		goto out;
	}
	uint32_t carved, nfree;
	err = pool_free_blocks(om, p, pool, free_pos, &carved, &nfree);
	if (err)
		goto out;
	uint32_t size = obmalloc_block_size(om, p->szidx);
	ret->block_size = size;
	ret->pool_blocks = obmalloc_pool_blocks(om, p->szidx);
	uint64_t off = addr - pool_addr;
	if (off < om->pool_overhead) {
		ret->region = OBMALLOC_POOL_HEADER;
		goto out;
	}
	uint32_t index = (uint32_t)((off - om->pool_overhead) / size);
	if (index >= ret->pool_blocks) {
		ret->region = OBMALLOC_POOL_TAIL;
		goto out;
	}
	ret->region = OBMALLOC_BLOCK;
	ret->block_index = index;
	uint32_t boff = om->pool_overhead + index * size;
	ret->block = pool_addr + boff;
	memcpy(ret->data, pool + boff, size <= sizeof(ret->data) ? size : sizeof(ret->data));
	if (index >= carved) {
		ret->state = OBMALLOC_BLOCK_UNTOUCHED;
	} else if (free_pos[index]) {
		ret->state = OBMALLOC_BLOCK_FREE;
		ret->free_position = free_pos[index];
	} else {
		ret->state = OBMALLOC_BLOCK_ALLOCATED;
	}
out:
	free(pool);
	free(free_pos);
	return err;
}
