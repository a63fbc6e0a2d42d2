/* page_cache.c - open-addressing hash from page number to page data, in
 * window-sized blocks that are recycled once the budget is reached, so a
 * walk over a heap larger than the budget neither grows without bound nor
 * pays the kernel for fresh zeroed pages on every window. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "target/page_cache.h"

#define SLAB_SIZE (2u << 20)
#define SLAB_WINDOWS (SLAB_SIZE / PYX_WINDOW_SIZE)

void page_cache_init(struct page_cache *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->max_blocks = PYX_CACHE_WINDOWS;
}

static void forget_pages(struct page_cache *pc)
{
	if (pc->cap) {
		memset(pc->keys, 0, pc->cap * sizeof(*pc->keys));
		memset(pc->pages, 0, pc->cap * sizeof(*pc->pages));
	}
	pc->count = 0;
	pc->used_blocks = 0;
	memset(pc->tlb_key, 0, sizeof(pc->tlb_key));
}

void page_cache_forget(struct page_cache *pc)
{
	forget_pages(pc);
}

void page_cache_clear(struct page_cache *pc)
{
	for (size_t i = 0; i < pc->nslabs; i++)
		munmap(pc->slabs[i], SLAB_SIZE);
	free(pc->slabs);
	free(pc->blocks);
	free(pc->keys);
	free(pc->pages);
	size_t max = pc->max_blocks;
	page_cache_init(pc);
	pc->max_blocks = max;
}

static inline size_t hash_page(uint64_t key)
{
	key *= 0x9e3779b97f4a7c15ull;
	return (size_t)(key >> 17);
}

bool page_cache_lookup(struct page_cache *pc, uint64_t pageno, const uint8_t **data)
{
	uint64_t key = pageno + 1;
	size_t t = (size_t)(pageno & 63);
	if (pc->tlb_key[t] == key) {
		*data = pc->tlb_data[t];
		return true;
	}
	if (!pc->cap)
		return false;
	size_t mask = pc->cap - 1;
	for (size_t i = hash_page(key) & mask;; i = (i + 1) & mask) {
		if (pc->keys[i] == key) {
			*data = pc->pages[i];
			pc->tlb_key[t] = key;
			pc->tlb_data[t] = *data;
			return true;
		}
		if (!pc->keys[i])
			return false;
	}
}

static bool grow(struct page_cache *pc)
{
	size_t cap = pc->cap ? pc->cap * 2 : 1024;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	const uint8_t **pages = calloc(cap, sizeof(*pages));
	if (!keys || !pages) {
		free(keys);
		free(pages);
		return false;
	}
	for (size_t i = 0; i < pc->cap; i++) {
		if (!pc->keys[i])
			continue;
		size_t j = hash_page(pc->keys[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = pc->keys[i];
		pages[j] = pc->pages[i];
	}
	free(pc->keys);
	free(pc->pages);
	pc->keys = keys;
	pc->pages = pages;
	pc->cap = cap;
	return true;
}

bool page_cache_insert(struct page_cache *pc, uint64_t pageno, const uint8_t *data)
{
	if ((pc->count + 1) * 4 > pc->cap * 3 && !grow(pc))
		return false;
	uint64_t key = pageno + 1;
	size_t mask = pc->cap - 1;
	size_t i = hash_page(key) & mask;
	while (pc->keys[i] && pc->keys[i] != key)
		i = (i + 1) & mask;
	if (!pc->keys[i])
		pc->count++;
	pc->keys[i] = key;
	pc->pages[i] = data;
	size_t t = (size_t)(pageno & 63);
	if (pc->tlb_key[t] == key)
		pc->tlb_data[t] = data;
	return true;
}

uint8_t *page_cache_block(struct page_cache *pc)
{
	if (pc->used_blocks == pc->max_blocks)
		forget_pages(pc);
	if (pc->used_blocks < pc->nblocks)
		return pc->blocks[pc->used_blocks++];
	if (pc->nblocks == pc->blocks_cap) {
		size_t cap = pc->blocks_cap ? pc->blocks_cap * 2 : 64;
		uint8_t **blocks = realloc(pc->blocks, cap * sizeof(*blocks));
		if (!blocks)
			return NULL;
		pc->blocks = blocks;
		pc->blocks_cap = cap;
	}
	if (pc->nblocks % SLAB_WINDOWS == 0) {
		/* A new slab, 2 MiB-aligned so that the kernel can back it with
		 * one huge page: a cold walk over a big heap faults once per
		 * slab instead of once per 4 KiB. */
		uint8_t **slabs = realloc(pc->slabs, (pc->nslabs + 1) * sizeof(*slabs));
		if (!slabs)
			return NULL;
		pc->slabs = slabs;
		uint8_t *m = mmap(NULL, 2 * SLAB_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		uint8_t *slab = (uint8_t *)(((uintptr_t)m + SLAB_SIZE - 1) & ~(uintptr_t)(SLAB_SIZE - 1));
		if (slab > m)
			munmap(m, (size_t)(slab - m));
		munmap(slab + SLAB_SIZE, (size_t)(m + 2 * SLAB_SIZE - (slab + SLAB_SIZE)));
		madvise(slab, SLAB_SIZE, MADV_HUGEPAGE);
		pc->slabs[pc->nslabs++] = slab;
	}
	uint8_t *b = pc->slabs[pc->nslabs - 1] + (pc->nblocks % SLAB_WINDOWS) * PYX_WINDOW_SIZE;
	pc->blocks[pc->nblocks++] = b;
	pc->used_blocks++;
	return b;
}

size_t page_cache_bytes(const struct page_cache *pc)
{
	return pc->nblocks * (size_t)PYX_WINDOW_SIZE;
}
