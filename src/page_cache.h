/* page_cache.h - a hash of 4 KiB target pages, filled in windows (internal). */
#ifndef PYX_PAGE_CACHE_H
#define PYX_PAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PYX_PAGE_SIZE 4096u
#define PYX_PAGE_SHIFT 12

struct page_cache {
	uint64_t *keys;          /* page number + 1; 0 = empty slot */
	const uint8_t **pages;   /* NULL = known unreadable */
	size_t cap;              /* power of two */
	size_t count;
	void **blocks;           /* storage handed out by page_cache_block */
	size_t nblocks, blocks_cap;
	size_t bytes;            /* total bytes held in blocks */
};

void page_cache_init(struct page_cache *pc);
void page_cache_clear(struct page_cache *pc);
/* Returns true if the page is known; *data is NULL if it is unreadable. */
bool page_cache_lookup(const struct page_cache *pc, uint64_t pageno,
		       const uint8_t **data);
/* Remember a page (data must live in a block of this cache, or be NULL). */
bool page_cache_insert(struct page_cache *pc, uint64_t pageno,
		       const uint8_t *data);
/* Storage for n bytes, owned by the cache until page_cache_clear. */
uint8_t *page_cache_block(struct page_cache *pc, size_t n);

#endif
