/* test_obmalloc.c - pymalloc's walk on a synthetic CPython 3.12 memory
 * image: an interpreter whose _obmalloc_state lists two arenas (one
 * pool-aligned, one not), with a partly used pool, a free pool, a full
 * pool and a small one, laid out with the generated 3.12 table, written
 * into a core file and read back through a struct pyx_program built by
 * hand.  The statistics are worked out by hand as
 * _PyObject_DebugMallocStats would; then the arena table, a pool header
 * and a free list are corrupted one at a time. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "runtime/layout.h"
#include "heap/obmalloc.h"
#include "runtime/program.h"
#include "synthetic_core.h"

#define META 0x7f3a00000000ull      /* _PyRuntime, the interpreter, the arena table */
#define META_SIZE 0x80000u
#define ARENA0 0x7f3b00000000ull    /* pool-aligned */
#define ARENA1 0x7f3b00201000ull    /* page-aligned only: loses a pool */
#define MIB (1u << 20)
#define POOL (16u << 10)

static const struct pyx_layout *lay;
#define F(id) ((uint64_t)lay->v[PYX_L_##id])

static uint8_t *meta, *arena0, *arena1;
static char *tmpdir, *core_path;

static uint8_t *at(uint64_t addr)
{
	if (addr >= META && addr < META + META_SIZE)
		return meta + (addr - META);
	if (addr >= ARENA0 && addr < ARENA0 + MIB)
		return arena0 + (addr - ARENA0);
	if (addr >= ARENA1 && addr < ARENA1 + MIB)
		return arena1 + (addr - ARENA1);
	abort();
}

static void w64(uint64_t addr, uint64_t v) { memcpy(at(addr), &v, 8); }
static void w32(uint64_t addr, uint32_t v) { memcpy(at(addr), &v, 4); }

static uint64_t runtime, interp, state, vector;
static uint64_t pool0, pool1, pool2, pool3, base1;

static void arena_record(uint32_t slot, uint64_t address, uint64_t pool_address,
			 uint32_t nfree, uint32_t ntotal)
{
	uint64_t r = vector + slot * F(arena_object);
	w64(r + F(arena_object_address), address);
	w64(r + F(arena_object_pool_address), pool_address);
	w32(r + F(arena_object_nfreepools), nfree);
	w32(r + F(arena_object_ntotalpools), ntotal);
}

static void pool_header(uint64_t p, uint32_t count, uint32_t szidx, uint32_t nextoffset,
			uint64_t freeblock)
{
	uint32_t size = (szidx + 1) * 16;
	w32(p + F(pool_header_count), count);
	w64(p + F(pool_header_freeblock), freeblock);
	w32(p + F(pool_header_szidx), szidx);
	w32(p + F(pool_header_nextoffset), nextoffset);
	w32(p + F(pool_header_maxnextoffset), POOL - size);
}

static uint64_t block(uint64_t pool, uint32_t szidx, uint32_t i)
{
	return pool + 48 + (uint64_t)i * (szidx + 1) * 16;
}

static void make_heap(void)
{
	memset(meta, 0, META_SIZE);
	memset(arena0, 0, MIB);
	memset(arena1, 0, MIB);
	runtime = META;
	interp = META + 0x1000;
	state = interp + F(PyInterpreterState_obmalloc);
	vector = META + 0x60000;
	w64(runtime + F(_PyRuntimeState_interpreters_main), interp);
	w64(state + F(_obmalloc_state_mgmt_arenas), vector);
	w32(state + F(_obmalloc_state_mgmt_maxarenas), 4);
	w64(state + F(_obmalloc_state_mgmt_narenas_currently_allocated), 2);
	w64(state + F(_obmalloc_state_mgmt_ntimes_arena_allocated), 5);
	w64(state + F(_obmalloc_state_mgmt_narenas_highwater), 3);

	/* Arena 0, slot 0: three pools carved of 64. */
	pool0 = ARENA0;
	pool1 = ARENA0 + POOL;
	pool2 = ARENA0 + 2 * POOL;
	arena_record(0, ARENA0, ARENA0 + 3 * POOL, 62, 64);
	/* Class 0 (16 bytes): 7 blocks handed out, 3 and 6 freed again
	 * (3 most recently: it heads the free list). */
	pool_header(pool0, 5, 0, 48 + 7 * 16, block(pool0, 0, 3));
	w64(block(pool0, 0, 3), block(pool0, 0, 6));
	w64(block(pool0, 0, 6), 0);
	/* A free pool that last served class 5. */
	pool_header(pool1, 0, 5, 48 + 2 * 96, 0);
	/* Class 31 (512 bytes): all 31 blocks in use. */
	pool_header(pool2, 31, 31, 48 + 31 * 512, 0);
	/* Slot 1 unused; arena 1 in slot 2: one pool of 63. */
	base1 = (ARENA1 + POOL - 1) & ~(uint64_t)(POOL - 1);
	pool3 = base1;
	arena_record(2, ARENA1, base1 + POOL, 62, 63);
	pool_header(pool3, 2, 1, 48 + 2 * 32, 0);
	/* Mark each allocated block's first byte with its index. */
	uint32_t in0[] = { 0, 1, 2, 4, 5 };
	for (size_t i = 0; i < 5; i++)
		*at(block(pool0, 0, in0[i]) + 8) = (uint8_t)(0x40 + in0[i]);
	for (uint32_t i = 0; i < 31; i++)
		*at(block(pool2, 31, i) + 8) = (uint8_t)(0x80 + i);
}

static struct pyx_program *load(void)
{
	const struct sc_segment segs[] = {
		{ META, meta, META_SIZE, 0 },
		{ ARENA0, arena0, MIB, 0 },
		{ ARENA1, arena1, MIB, 0 },
	};
	const struct sc_thread th = { 4321, 0 };
	struct sc_core core = { .segments = segs, .nsegments = 3,
				.threads = &th, .nthreads = 1 };
	if (sc_write_core(core_path, &core) != 0) {
		perror("writing the core");
		return NULL;
	}
	struct pyx_program *prog = calloc(1, sizeof(*prog));
	if (!prog)
		abort();
	if (!CHECK_OK(pyx_target_create_core(core_path, NULL, &prog->target))) {
		free(prog);
		return NULL;
	}
	prog->layout = *lay;
	prog->minor = 12;
	prog->version_hex = 0x030c01f0;
	prog->runtime = runtime;
	prog->pthread_tid_offset = -1;
	return prog;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_stats(void)
{
	make_heap();
	struct pyx_program *prog = load();
	struct obmalloc *om = NULL;
	if (!prog || !CHECK_OK(obmalloc_open(prog, OBMALLOC_POOLS, &om))) {
		pyx_program_destroy(prog);
		return;
	}
	CHECK_EQ_INT(om->arena_size, MIB);
	CHECK_EQ_INT(om->pool_size, POOL);
	CHECK_EQ_INT(om->narenas, 2);
	CHECK_EQ_INT(om->npools, 4);
	CHECK_EQ_INT(om->allocator, OBMALLOC_UNKNOWN);
	CHECK_EQ_INT(om->arenas[1].slot, 2);
	CHECK_EQ_U64(om->arenas[1].base, base1);
	struct obmalloc_stats st;
	obmalloc_stats(om, &st);
	CHECK_EQ_INT(st.narenas, 2);
	CHECK_EQ_INT(st.allocated_total, 5);
	CHECK_EQ_INT(st.reclaimed, 3);
	CHECK_EQ_INT(st.highwater, 3);
	CHECK_EQ_INT(st.classes[0].pools, 1);
	CHECK_EQ_INT(st.classes[0].blocks_in_use, 5);
	CHECK_EQ_INT(st.classes[0].blocks_avail, 1021 - 5);
	CHECK_EQ_INT(st.classes[1].blocks_avail, 510 - 2);
	CHECK_EQ_INT(st.classes[5].pools, 0);
	CHECK_EQ_INT(st.classes[31].blocks_in_use, 31);
	CHECK_EQ_INT(st.classes[31].blocks_avail, 0);
	CHECK_EQ_INT(st.allocated_bytes, 5 * 16 + 2 * 32 + 31 * 512);
	CHECK_EQ_INT(st.available_bytes, 1016 * 16 + 508 * 32);
	CHECK_EQ_INT(st.unused_pools, 124);
	CHECK_EQ_INT(st.pool_header_bytes, 3 * 48);
	CHECK_EQ_INT(st.quantization, 0 + 16 + 464);
	CHECK_EQ_INT(st.arena_alignment, POOL);
	/* As in CPython: the accounts add up to the arenas' bytes. */
	CHECK_EQ_INT(st.allocated_bytes + st.available_bytes + st.unused_pool_bytes +
		     st.pool_header_bytes + st.quantization + st.arena_alignment, 2 * MIB);
	obmalloc_close(om);

	char *json = NULL;
	if (CHECK_OK(pyx_pools_json(prog, &json))) {
		CHECK_STR_CONTAINS(json, "{\"class\": 31, \"size\": 512, \"pools\": 1, "
				   "\"blocks_in_use\": 31, \"blocks_avail\": 0}");
		CHECK_STR_CONTAINS(json, "\"arenas\": {\"allocated_total\": 5, \"reclaimed\": 3, "
				   "\"highwater\": 3, \"current\": 2}");
		CHECK_STR_CONTAINS(json, "\"quantization\": 480, \"arena_alignment\": 16384");
		CHECK(!strstr(json, "\"class\": 5,"));
	}
	free(json);
	json = NULL;
	if (CHECK_OK(pyx_arenas_json(prog, 1, &json))) {
		CHECK_STR_CONTAINS(json, "\"index\": 2, \"address\": \"0x7f3b00201000\", "
				   "\"pools_used\": 1, \"pools_free\": 62, \"pools_total\": 63, "
				   "\"blocks_in_use\": 2, \"bytes_in_use\": 64");
		CHECK_STR_CONTAINS(json, "\"size_classes\": [0, 31]");
		CHECK_STR_CONTAINS(json, "\"fragmentation\": [{\"rank\": 1, \"index\": 2,");
		CHECK(!strstr(json, "\"rank\": 2"));
	}
	free(json);
	json = NULL;
	if (CHECK_OK(pyx_arenas_map_svg(prog, &json))) {
		size_t cells = 0;
		for (const char *p = json; (p = strstr(p, "<rect class=\"p")); p++)
			cells++;
		CHECK_EQ_INT(cells, 64 + 63);
		CHECK_STR_CONTAINS(json, "<!-- pools: 3 used, 1 free, 123 never used -->");
	}
	free(json);
	pyx_program_destroy(prog);
}

struct seen {
	uint64_t addr[64];
	uint32_t size[64];
	uint8_t mark[64];
	size_t n;
	size_t stop_after;
};

static int visit(void *arg, uint64_t addr, uint32_t size, const uint8_t *data)
{
	struct seen *s = arg;
	if (s->n < 64) {
		s->addr[s->n] = addr;
		s->size[s->n] = size;
		s->mark[s->n] = data[8];
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static void test_blocks(void)
{
	make_heap();
	struct pyx_program *prog = load();
	if (!prog)
		return;
	struct seen s = { .n = 0 };
	if (CHECK_OK(obmalloc_foreach_block(prog, visit, &s))) {
		CHECK_EQ_INT(s.n, 5 + 31 + 2);
		uint32_t in0[] = { 0, 1, 2, 4, 5 };
		for (size_t i = 0; i < 5 && s.n >= 38; i++) {
			CHECK_EQ_U64(s.addr[i], block(pool0, 0, in0[i]));
			CHECK_EQ_INT(s.size[i], 16);
			CHECK_EQ_INT(s.mark[i], 0x40 + in0[i]);
		}
		if (s.n >= 38) {
			CHECK_EQ_U64(s.addr[5], block(pool2, 31, 0));
			CHECK_EQ_INT(s.mark[35], 0x80 + 30);
			CHECK_EQ_U64(s.addr[37], block(pool3, 1, 1));
			CHECK_EQ_INT(s.size[37], 32);
		}
	}
	struct seen stop = { .stop_after = 3 };
	CHECK_OK(obmalloc_foreach_block(prog, visit, &stop));
	CHECK_EQ_INT(stop.n, 3);
	pyx_program_destroy(prog);
}

static void check_where(struct pyx_program *prog, const struct obmalloc *om, uint64_t addr,
			enum obmalloc_region region, int want, uint64_t blk, int line)
{
	struct obmalloc_where w;
	struct pyx_error *err = obmalloc_locate(prog, om, addr, &w);
	check_report(!err, __FILE__, line, "locate 0x%llx: %s", (unsigned long long)addr,
		     pyx_error_message(err));
	pyx_error_destroy(err);
	if (err)
		return;
	check_report(w.region == region, __FILE__, line, "locate 0x%llx: region %d, want %d",
		     (unsigned long long)addr, w.region, region);
	if (region == OBMALLOC_BLOCK) {
		check_report(w.block == blk && (int)w.state == want, __FILE__, line,
			     "locate 0x%llx: block 0x%llx state %d, want 0x%llx state %d",
			     (unsigned long long)addr, (unsigned long long)w.block, w.state,
			     (unsigned long long)blk, want);
	}
}

static void test_locate(void)
{
	make_heap();
	struct pyx_program *prog = load();
	struct obmalloc *om = NULL;
	if (!prog || !CHECK_OK(obmalloc_open(prog, 0, &om))) {
		pyx_program_destroy(prog);
		return;
	}
	check_where(prog, om, block(pool0, 0, 1) + 7, OBMALLOC_BLOCK,
		    OBMALLOC_BLOCK_ALLOCATED, block(pool0, 0, 1), __LINE__);
	check_where(prog, om, block(pool0, 0, 3), OBMALLOC_BLOCK, OBMALLOC_BLOCK_FREE,
		    block(pool0, 0, 3), __LINE__);
	check_where(prog, om, block(pool0, 0, 6) + 15, OBMALLOC_BLOCK, OBMALLOC_BLOCK_FREE,
		    block(pool0, 0, 6), __LINE__);
	check_where(prog, om, block(pool0, 0, 8), OBMALLOC_BLOCK, OBMALLOC_BLOCK_UNTOUCHED,
		    block(pool0, 0, 8), __LINE__);
	check_where(prog, om, pool0 + 10, OBMALLOC_POOL_HEADER, 0, 0, __LINE__);
	check_where(prog, om, pool1 + 100, OBMALLOC_POOL_UNUSED, 0, 0, __LINE__);
	check_where(prog, om, block(pool2, 31, 31) + 10, OBMALLOC_POOL_TAIL, 0, 0, __LINE__);
	check_where(prog, om, ARENA0 + 5 * POOL, OBMALLOC_ARENA_UNCARVED, 0, 0, __LINE__);
	check_where(prog, om, ARENA1 + 0x100, OBMALLOC_ARENA_ALIGNMENT, 0, 0, __LINE__);
	check_where(prog, om, 0x1000, OBMALLOC_OUTSIDE, 0, 0, __LINE__);
	check_where(prog, om, ARENA0 + MIB, OBMALLOC_OUTSIDE, 0, 0, __LINE__);
	struct obmalloc_where w;
	if (CHECK_OK(obmalloc_locate(prog, om, block(pool0, 0, 6), &w)))
		CHECK_EQ_INT(w.free_position, 2);
	obmalloc_close(om);

	char *json = NULL;
	if (CHECK_OK(pyx_malloc_json(prog, block(pool0, 0, 3) + 4, &json))) {
		CHECK_STR_CONTAINS(json, "\"region\": \"block\"");
		CHECK_STR_CONTAINS(json, "\"offset\": 4, \"state\": \"free\", "
				   "\"free_list_position\": 1}");
		CHECK_STR_CONTAINS(json, "\"object\": null");
	}
	free(json);
	json = NULL;
	if (CHECK_OK(pyx_malloc_json(prog, 0x1000, &json)))
		CHECK_STR_CONTAINS(json, "\"in_pymalloc\": false, \"region\": \"outside\"");
	free(json);
	pyx_program_destroy(prog);
}

static void test_debug_header(void)
{
	uint8_t b[80];
	memset(b, 0xCD, sizeof(b));
	memset(b, 0, 8);
	b[7] = 40;        /* 40 bytes requested, big-endian */
	b[8] = 'o';
	memset(b + 9, 0xFD, 7);
	memset(b + 16 + 40, 0xFD, 8);
	struct obmalloc_debug_header h;
	if (CHECK(obmalloc_debug_header(b, sizeof(b), &h))) {
		CHECK_EQ_INT(h.requested, 40);
		CHECK_EQ_INT(h.api, 'o');
		CHECK(h.tail_intact);
	}
	b[16 + 40 + 3] = 0;  /* an overrun */
	if (CHECK(obmalloc_debug_header(b, sizeof(b), &h)))
		CHECK(!h.tail_intact);
	b[7] = 100;          /* more than the block holds */
	CHECK(!obmalloc_debug_header(b, sizeof(b), &h));
	b[7] = 40;
	b[12] = 0;           /* not the guard bytes */
	CHECK(!obmalloc_debug_header(b, sizeof(b), &h));
	b[12] = 0xFD;
	b[8] = 'x';
	CHECK(!obmalloc_debug_header(b, sizeof(b), &h));
}

/* Open (with pools) and walk; the first failure must have code and name
 * addr (0: any). */
static void check_broken(enum pyx_error_code code, uint64_t addr, const char *text,
			 bool walk, int line)
{
	struct pyx_program *prog = load();
	if (!prog)
		return;
	struct obmalloc *om = NULL;
	struct pyx_error *err = obmalloc_open(prog, OBMALLOC_POOLS, &om);
	if (!err && walk) {
		struct seen s = { .n = 0 };
		err = obmalloc_walk_blocks(prog, om, visit, &s);
	}
	obmalloc_close(om);
	check_report(err && pyx_error_code(err) == code, __FILE__, line,
		     "expected error %s, got %s", pyx_error_code_name(code),
		     err ? pyx_error_message(err) : "success");
	if (err && addr)
		check_report(pyx_error_address(err) == addr, __FILE__, line,
			     "error address 0x%llx, want 0x%llx (%s)",
			     (unsigned long long)pyx_error_address(err),
			     (unsigned long long)addr, pyx_error_message(err));
	if (err && text)
		check_report(strstr(pyx_error_message(err), text) != NULL, __FILE__, line,
			     "\"%s\" does not say \"%s\"", pyx_error_message(err), text);
	pyx_error_destroy(err);
	pyx_program_destroy(prog);
}

static void test_corruption(void)
{
	make_heap();
	w32(state + F(_obmalloc_state_mgmt_maxarenas), 1u << 23);
	check_broken(PYX_ERR_LIMIT, 0, "claims 8388608 slots", false, __LINE__);

	make_heap();
	w64(state + F(_obmalloc_state_mgmt_arenas), 0xdead0000);
	check_broken(PYX_ERR_FAULT, 0, "reading pymalloc's arena table", false, __LINE__);

	make_heap();
	arena_record(0, ARENA0, ARENA0 + 2 * MIB, 62, 64);
	check_broken(PYX_ERR_INVALID_OBJECT, vector, "a pool_address outside it", false,
		     __LINE__);

	make_heap();
	arena_record(2, ARENA1, base1 + POOL, 70, 63);
	check_broken(PYX_ERR_INVALID_OBJECT, vector + 2 * F(arena_object),
		     "more free pools than pools", false, __LINE__);

	make_heap();
	w32(pool2 + F(pool_header_szidx), 99);
	check_broken(PYX_ERR_INVALID_OBJECT, pool2, "size class 99", false, __LINE__);

	make_heap();
	w32(pool0 + F(pool_header_count), 2000);
	check_broken(PYX_ERR_INVALID_OBJECT, pool0, "more blocks in use than fit", false,
		     __LINE__);

	make_heap();
	w64(block(pool0, 0, 6), block(pool0, 0, 3));  /* 3 -> 6 -> 3 ... */
	check_broken(PYX_ERR_INVALID_OBJECT, pool0, "its free list loops", true, __LINE__);

	make_heap();
	w64(block(pool0, 0, 6), block(pool0, 0, 1) + 3);  /* not a block boundary */
	check_broken(PYX_ERR_INVALID_OBJECT, pool0, "its free list points at", true, __LINE__);

	make_heap();
	w64(block(pool0, 0, 6), block(pool0, 0, 20));  /* past nextoffset */
	check_broken(PYX_ERR_INVALID_OBJECT, pool0, "handed-out blocks", true, __LINE__);

	/* No arenas and no symbols to name the allocator: say pymalloc is
	 * not in use. */
	make_heap();
	w32(state + F(_obmalloc_state_mgmt_maxarenas), 0);
	check_broken(PYX_ERR_NOT_FOUND, 0, "not in use", false, __LINE__);

	/* A layout without pymalloc's entries: unsupported, not a crash. */
	make_heap();
	struct pyx_program *prog = load();
	if (prog) {
		prog->layout.v[PYX_L_obmalloc_ARENA_SIZE] = PYX_ABSENT;
		struct obmalloc *om = NULL;
		pyx_error_destroy(CHECK_ERR(obmalloc_open(prog, 0, &om),
					    PYX_ERR_UNSUPPORTED_VERSION));
		pyx_program_destroy(prog);
	}
}

/* pymalloc's own bookkeeping against the arena table: the count of
 * arenas, and usable_arenas walked both ways; what disagrees is a
 * warning naming what and where, and the statistics still come. */
static void check_warnings(const char *want, int line)
{
	struct pyx_program *prog = load();
	if (!prog)
		return;
	struct obmalloc *om = NULL;
	if (check_report(obmalloc_open(prog, OBMALLOC_POOLS, &om) == NULL, __FILE__, line,
			 "obmalloc_open failed")) {
		bool found = !want && om->nwarnings == 0;
		for (size_t i = 0; want && i < om->nwarnings; i++)
			found |= strstr(om->warnings[i], want) != NULL;
		check_report(found, __FILE__, line, "warnings: %zu, first \"%s\", want \"%s\"",
			     om->nwarnings, om->nwarnings ? om->warnings[0] : "",
			     want ? want : "(none)");
		obmalloc_close(om);
	}
	pyx_program_destroy(prog);
}

static void test_bookkeeping(void)
{
	uint64_t r0 = vector, r2 = vector + 2 * F(arena_object);
	make_heap();
	w64(state + F(_obmalloc_state_mgmt_usable_arenas), r0);
	w64(r0 + F(arena_object_nextarena), r2);
	w64(r2 + F(arena_object_prevarena), r0);
	check_warnings(NULL, __LINE__);

	w64(state + F(_obmalloc_state_mgmt_narenas_currently_allocated), 3);
	check_warnings("pymalloc counts 3 arenas (narenas_currently_allocated), but its "
		       "arena table at 0x7f3a00060000 holds 2", __LINE__);
	w64(state + F(_obmalloc_state_mgmt_narenas_currently_allocated), 2);

	w64(r2 + F(arena_object_prevarena), r2);
	check_warnings("pymalloc's usable_arenas list is broken: arena 2 (0x7f3a00060060) "
		       "links back to 0x7f3a00060060, but the one before it is 0x7f3a00060000",
		       __LINE__);

	w64(r2 + F(arena_object_prevarena), r0);
	w64(r2 + F(arena_object_nextarena), r0);
	check_warnings("pymalloc's usable_arenas list loops at arena 0", __LINE__);

	w64(r2 + F(arena_object_nextarena), vector + 8);
	check_warnings("is not in its arena table at 0x7f3a00060000", __LINE__);

	w64(r2 + F(arena_object_nextarena), vector + F(arena_object));
	w64(vector + F(arena_object) + F(arena_object_prevarena), r2);
	check_warnings("holds arena 1 (0x7f3a00060030), which has no memory", __LINE__);
}

int main(void)
{
	lay = layout_find(12, false);
	meta = malloc(META_SIZE);
	arena0 = malloc(MIB);
	arena1 = malloc(MIB);
	tmpdir = sc_tempdir();
	core_path = tmpdir ? sc_path(tmpdir, "obmalloc.core") : NULL;
	if (lay && meta && arena0 && arena1 && core_path) {
		RUN(test_stats);
		RUN(test_bookkeeping);
		RUN(test_blocks);
		RUN(test_locate);
		RUN(test_debug_header);
		RUN(test_corruption);
	} else {
		CHECK(!"setup");
	}
	if (tmpdir)
		sc_remove_dir(tmpdir);
	free(core_path);
	free(tmpdir);
	free(meta);
	free(arena0);
	free(arena1);
	return check_finish();
}
