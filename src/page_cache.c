/* page_cache.c - open-addressing hash from page number to page data. */
#include <stdlib.h>
#include <string.h>

#include "page_cache.h"

void page_cache_init(struct page_cache *pc)
{
	memset(pc, 0, sizeof(*pc));
}

void page_cache_clear(struct page_cache *pc)
{
	for (size_t i = 0; i < pc->nblocks; i++)
		free(pc->blocks[i]);
	free(pc->blocks);
	free(pc->keys);
	free(pc->pages);
	page_cache_init(pc);
}

static inline size_t hash_page(uint64_t key)
{
	key *= 0x9e3779b97f4a7c15ull;
	return (size_t)(key >> 17);
}

bool page_cache_lookup(const struct page_cache *pc, uint64_t pageno,
		       const uint8_t **data)
{
	if (!pc->cap)
		return false;
	uint64_t key = pageno + 1;
	size_t mask = pc->cap - 1;
	for (size_t i = hash_page(key) & mask;; i = (i + 1) & mask) {
		if (pc->keys[i] == key) {
			*data = pc->pages[i];
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

bool page_cache_insert(struct page_cache *pc, uint64_t pageno,
		       const uint8_t *data)
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
	return true;
}

uint8_t *page_cache_block(struct page_cache *pc, size_t n)
{
	if (pc->nblocks == pc->blocks_cap) {
		size_t cap = pc->blocks_cap ? pc->blocks_cap * 2 : 64;
		void **blocks = realloc(pc->blocks, cap * sizeof(*blocks));
		if (!blocks)
			return NULL;
		pc->blocks = blocks;
		pc->blocks_cap = cap;
	}
	uint8_t *b = malloc(n);
	if (!b)
		return NULL;
	pc->blocks[pc->nblocks++] = b;
	pc->bytes += n;
	return b;
}
