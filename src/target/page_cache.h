/* page_cache.h - a hash of 4 KiB target pages, filled in 64 KiB windows,
 * within a memory budget (internal). */
#ifndef PYX_PAGE_CACHE_H
#define PYX_PAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PYX_PAGE_SIZE 4096u
#define PYX_PAGE_SHIFT 12
#define PYX_WINDOW_PAGES 16u
#define PYX_WINDOW_SIZE (PYX_WINDOW_PAGES * PYX_PAGE_SIZE)
/* Windows kept before the cache starts over (128 MiB). */
#define PYX_CACHE_WINDOWS 2048u

struct page_cache {
	uint64_t *keys;          /* page number + 1; 0 = empty slot */
	const uint8_t **pages;   /* NULL = known unreadable */
	size_t cap;              /* power of two */
	size_t count;
	uint8_t **blocks;        /* window-sized storage, reused */
	size_t nblocks, used_blocks, blocks_cap;
	uint8_t **slabs;         /* the storage: 2 MiB slabs, huge pages where the
				  * kernel gives them, carved into windows */
	size_t nslabs;
	size_t max_blocks;
	uint64_t tlb_key[64];    /* the last pages looked up: pageno + 1 */
	const uint8_t *tlb_data[64];
};

void page_cache_init(struct page_cache *pc);
/* Free everything. */
void page_cache_clear(struct page_cache *pc);
/* Forget every page, keeping the storage for the next reads (a live
 * process may have changed). */
void page_cache_forget(struct page_cache *pc);
/* Returns true if the page is known; *data is NULL if it is unreadable. */
bool page_cache_lookup(struct page_cache *pc, uint64_t pageno, const uint8_t **data);
/* Remember a page (data must be in a block of this cache, or NULL). */
bool page_cache_insert(struct page_cache *pc, uint64_t pageno, const uint8_t *data);
/* Storage for one window, owned by the cache.  When the budget is used
 * up, the cache forgets every page and hands its storage out again: data
 * pointers from earlier lookups must not be kept across this call. */
uint8_t *page_cache_block(struct page_cache *pc);
/* Bytes of target memory held. */
size_t page_cache_bytes(const struct page_cache *pc);

#endif
