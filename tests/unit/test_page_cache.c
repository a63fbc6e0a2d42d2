/* test_page_cache.c - the page cache behind live targets: lookups,
 * unreadable pages, overwrites, growth, the memory budget and clearing. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "target/page_cache.h"

static void test_empty(void)
{
	struct page_cache pc;
	page_cache_init(&pc);
	const uint8_t *data = (const uint8_t *)&pc;
	CHECK(!page_cache_lookup(&pc, 0, &data));
	CHECK(!page_cache_lookup(&pc, 12345, &data));
	page_cache_clear(&pc);
	page_cache_clear(&pc); /* twice is fine */
}

static void test_insert_lookup(void)
{
	struct page_cache pc;
	page_cache_init(&pc);
	uint8_t *block = page_cache_block(&pc);
	CHECK(block != NULL);
	CHECK_EQ_INT(page_cache_bytes(&pc), PYX_WINDOW_SIZE);
	CHECK(page_cache_insert(&pc, 0, block));
	CHECK(page_cache_insert(&pc, 7, block + PYX_PAGE_SIZE));
	/* Known to be unreadable. */
	CHECK(page_cache_insert(&pc, 8, NULL));
	/* The highest page of a 64-bit address space. */
	CHECK(page_cache_insert(&pc, UINT64_MAX >> PYX_PAGE_SHIFT, block + 2 * PYX_PAGE_SIZE));
	const uint8_t *data = NULL;
	CHECK(page_cache_lookup(&pc, 0, &data) && data == block);
	CHECK(page_cache_lookup(&pc, 7, &data) && data == block + PYX_PAGE_SIZE);
	data = block;
	CHECK(page_cache_lookup(&pc, 8, &data) && data == NULL);
	CHECK(page_cache_lookup(&pc, UINT64_MAX >> PYX_PAGE_SHIFT, &data) &&
	      data == block + 2 * PYX_PAGE_SIZE);
	CHECK(!page_cache_lookup(&pc, 1, &data));
	CHECK(!page_cache_lookup(&pc, 9, &data));
	/* Inserting again replaces, and does not count twice. */
	size_t count = pc.count;
	CHECK(page_cache_insert(&pc, 8, block + 3 * PYX_PAGE_SIZE));
	CHECK_EQ_INT(pc.count, count);
	CHECK(page_cache_lookup(&pc, 8, &data) && data == block + 3 * PYX_PAGE_SIZE);
	page_cache_clear(&pc);
	CHECK(!page_cache_lookup(&pc, 0, &data));
	CHECK_EQ_INT(pc.count, 0);
	CHECK_EQ_INT(page_cache_bytes(&pc), 0);
}

/* Enough pages to grow the table several times; every one stays found. */
static void test_growth(void)
{
	struct page_cache pc;
	page_cache_init(&pc);
	const size_t n = 20000;
	uint8_t *block = page_cache_block(&pc);
	CHECK(block != NULL);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		/* Spread over the address space, clustered like real heaps. */
		uint64_t pageno = (i % 7) * 0x1000000ull + i * 3;
		if (!page_cache_insert(&pc, pageno, block + i))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(pc.count, n);
	CHECK(pc.count * 4 <= pc.cap * 3);
	for (size_t i = 0; i < n; i++) {
		uint64_t pageno = (i % 7) * 0x1000000ull + i * 3;
		const uint8_t *data = NULL;
		if (!page_cache_lookup(&pc, pageno, &data) || data != block + i)
			bad++;
		if (page_cache_lookup(&pc, pageno + 0x7000000ull, &data))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* Many blocks are all freed by clear (ASan checks). */
	for (int i = 0; i < 200; i++)
		if (!page_cache_block(&pc))
			bad++;
	CHECK_EQ_INT(bad, 0);
	page_cache_clear(&pc);
}

/* Past the budget the cache starts over and reuses its storage: memory
 * stays bounded however much of the target is read. */
static void test_budget(void)
{
	struct page_cache pc;
	page_cache_init(&pc);
	pc.max_blocks = 4;
	uint8_t *first[4];
	for (int i = 0; i < 4; i++) {
		first[i] = page_cache_block(&pc);
		CHECK(first[i] != NULL);
		CHECK(page_cache_insert(&pc, (uint64_t)i * PYX_WINDOW_PAGES, first[i]));
	}
	const uint8_t *data;
	CHECK(page_cache_lookup(&pc, 0, &data) && data == first[0]);
	uint8_t *again = page_cache_block(&pc);
	CHECK(again == first[0]);                 /* storage reused ... */
	CHECK(!page_cache_lookup(&pc, 0, &data)); /* ... pages forgotten, TLB too */
	CHECK(!page_cache_lookup(&pc, 3 * PYX_WINDOW_PAGES, &data));
	CHECK_EQ_INT(pc.count, 0);
	for (int i = 0; i < 40; i++)
		CHECK(page_cache_block(&pc) != NULL);
	CHECK_EQ_INT(page_cache_bytes(&pc), 4 * PYX_WINDOW_SIZE);
	page_cache_clear(&pc);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_insert_lookup);
	RUN(test_growth);
	RUN(test_budget);
	return check_finish();
}
