/* obmalloc.h - CPython's small-object allocator (pymalloc) read from the
 * outside: its arenas, pools, size classes and blocks (internal).
 *
 * pymalloc serves requests of up to SMALL_REQUEST_THRESHOLD (512) bytes
 * from size classes ALIGNMENT (16) bytes apart.  Memory comes in arenas
 * (256 KiB up to 3.9, 1 MiB from 3.10) cut into pools (4 KiB / 16 KiB),
 * each pool serving one size class: a struct pool_header, then blocks.
 * The arenas vector (struct arena_object[maxarenas]) records every arena;
 * up to 3.11 it and its counters are static variables of obmalloc.c
 * (found by symbol: they need the full symbol table), from 3.12 they live
 * in the interpreter's struct _obmalloc_state.
 *
 * Everything here only reads the target. */
#ifndef PYX_OBMALLOC_H
#define PYX_OBMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "runtime/program.h"

/* Fields of a copy of target memory (a pool header, an arena object). */
static inline uint64_t om_get_u64(const uint8_t *p, int64_t off)
{
	uint64_t v;
	memcpy(&v, p + off, 8);
	return v;
}

static inline uint32_t om_get_u32(const uint8_t *p, int64_t off)
{
	uint32_t v;
	memcpy(&v, p + off, 4);
	return v;
}

/* Which allocator serves the object domain (PyObject_Malloc). */
enum obmalloc_allocator {
	OBMALLOC_UNKNOWN,   /* no symbols to tell; pymalloc is assumed */
	OBMALLOC_PYMALLOC,
	OBMALLOC_MALLOC,    /* PYTHONMALLOC=malloc (or malloc_debug) */
	OBMALLOC_MIMALLOC,  /* 3.13+ PYTHONMALLOC=mimalloc */
	OBMALLOC_OTHER,     /* a hook (tracemalloc, a profiler ...) */
};

struct obmalloc_arena {
	uint32_t slot;          /* index in the arenas vector */
	uint64_t record;        /* address of its struct arena_object */
	uint64_t address;       /* the arena, as allocated */
	uint64_t base;          /* its first pool: address rounded up to a pool */
	uint64_t pool_address;  /* the next pool to carve: [base, pool_address) are carved */
	uint32_t nfreepools;    /* free pools + pools never carved */
	uint32_t ntotalpools;
	uint32_t ncarved;       /* (pool_address - base) / pool_size */
	size_t first_pool;      /* its first pool in struct obmalloc.pools */
};

/* A carved pool's header. */
struct obmalloc_pool {
	uint64_t address;
	uint64_t freeblock;     /* head of the pool's free list */
	uint32_t count;         /* ref.count: blocks allocated; 0 = an unused pool */
	uint32_t szidx;         /* size class */
	uint32_t nextoffset;    /* offset of the first block never handed out */
	uint32_t maxnextoffset;
};

struct obmalloc {
	/* From the version's layout table. */
	uint32_t arena_size, pool_size, pool_overhead, alignment, nclasses;
	/* Where the state is: 3.12+ the interpreter's _obmalloc_state, else 0. */
	uint64_t state;
	uint64_t arenas_vector;  /* struct arena_object * */
	uint32_t maxarenas;
	uint64_t narenas_currently_allocated, ntimes_arena_allocated,
		 narenas_highwater;
	enum obmalloc_allocator allocator;
	bool debug_hooks;        /* PYMEM_DEBUG hooks wrap the allocator */
	char *allocator_name;    /* "pymalloc", "pymalloc with debug hooks" ... */
	/* The allocated arenas, in vector order. */
	struct obmalloc_arena *arenas;
	size_t narenas;
	/* With OBMALLOC_POOLS: every carved pool, arena by arena. */
	struct obmalloc_pool *pools;
	size_t npools;
	/* Where pymalloc's own bookkeeping disagrees with the arena table
	 * (its count of arenas, the usable_arenas list walked both ways). */
	char *warnings[4];
	size_t nwarnings;
};

enum obmalloc_flags {
	OBMALLOC_POOLS = 1 << 0,  /* read every carved pool's header */
};

/* Find and read pymalloc's state in prog.  Fails with PYX_ERR_NO_DEBUG_INFO
 * when its static variables need symbols that are missing (3.8 - 3.11),
 * with PYX_ERR_NOT_FOUND when pymalloc is not in use, and with
 * PYX_ERR_INVALID_OBJECT (naming the address) on a corrupt arena table or
 * pool header. */
struct pyx_error *obmalloc_open(struct pyx_program *prog, unsigned flags,
				struct obmalloc **ret);
void obmalloc_close(struct obmalloc *om);

static inline uint32_t obmalloc_block_size(const struct obmalloc *om, uint32_t szidx)
{
	return (szidx + 1) * om->alignment;
}

static inline uint32_t obmalloc_pool_blocks(const struct obmalloc *om, uint32_t szidx)
{
	return (om->pool_size - om->pool_overhead) / obmalloc_block_size(om, szidx);
}

/* ---- sys._debugmallocstats() -------------------------------------------*/

struct obmalloc_class_stats {
	uint64_t pools, blocks_in_use, blocks_avail;
};

/* What _PyObject_DebugMallocStats (Objects/obmalloc.c) prints, computed
 * the same way from the same fields. */
struct obmalloc_stats {
	uint32_t nclasses;
	struct obmalloc_class_stats classes[64];
	uint64_t narenas;               /* arenas allocated current */
	uint64_t allocated_total, reclaimed, highwater;
	uint64_t allocated_bytes, available_bytes, unused_pools,
		 unused_pool_bytes, pool_header_bytes, quantization,
		 arena_alignment;
};

/* om must have been opened with OBMALLOC_POOLS. */
void obmalloc_stats(const struct obmalloc *om, struct obmalloc_stats *st);

/* ---- blocks --------------------------------------------------------------*/

/* Called for every allocated block: its address, its size class's block
 * size, and a local copy of its bytes (valid during the call only).
 * Return non-zero to stop the walk (obmalloc_foreach_block then returns
 * NULL). */
typedef int (*obmalloc_block_fn)(void *arg, uint64_t addr, uint32_t size,
				 const uint8_t *data);

/* Every allocated block of every pool of every arena, in address order
 * within each arena (arenas in vector order).  Each arena's carved pools
 * are read in one target read; a pool's allocated blocks are those below
 * its nextoffset that are not on its free list.  For the lead's
 * py-census --all-heap: with the debug allocator hooks (debug builds,
 * PYTHONMALLOC=debug) the data starts 16 bytes into the block
 * (obmalloc_debug_header() decodes them); gc objects start after their
 * PyGC_Head (and, 3.11+, the two pre-header words of managed dicts). */
struct pyx_error *obmalloc_foreach_block(struct pyx_program *prog,
					 obmalloc_block_fn visit, void *arg);

/* The same walk over an already opened state (om need not have pools). */
struct pyx_error *obmalloc_walk_blocks(struct pyx_program *prog,
				       const struct obmalloc *om,
				       obmalloc_block_fn visit, void *arg);
/* ... over the arenas [first, last) only (a parallel walk gives each
 * thread a range; report: the one that reports progress). */
struct pyx_error *obmalloc_walk_arenas(struct pyx_program *prog, const struct obmalloc *om,
				       size_t first, size_t last, bool report,
				       obmalloc_block_fn visit, void *arg);

/* The PYMEM_DEBUG header at the start of a block, if it has one:
 * [requested size, big-endian][api id 'r'/'m'/'o'][7 x 0xFD], then the
 * data, then 8 x 0xFD. */
struct obmalloc_debug_header {
	uint64_t requested;   /* bytes the caller asked for */
	char api;             /* 'o' object, 'm' mem, 'r' raw */
	bool tail_intact;     /* the 0xFD bytes after the data are there */
};
#define OBMALLOC_DEBUG_HEADER 16
bool obmalloc_debug_header(const uint8_t *block, uint32_t size,
			   struct obmalloc_debug_header *ret);

/* Where an address falls in pymalloc (py-malloc). */
enum obmalloc_region {
	OBMALLOC_OUTSIDE,          /* in no arena */
	OBMALLOC_ARENA_ALIGNMENT,  /* before the arena's first pool */
	OBMALLOC_ARENA_UNCARVED,   /* in pools never carved from the arena */
	OBMALLOC_POOL_UNUSED,      /* in a pool with no blocks allocated */
	OBMALLOC_POOL_HEADER,
	OBMALLOC_POOL_TAIL,        /* past the pool's last whole block */
	OBMALLOC_BLOCK,
};

enum obmalloc_block_state {
	OBMALLOC_BLOCK_ALLOCATED,
	OBMALLOC_BLOCK_FREE,       /* on the pool's free list */
	OBMALLOC_BLOCK_UNTOUCHED,  /* at or past nextoffset: never handed out */
};

struct obmalloc_where {
	enum obmalloc_region region;
	const struct obmalloc_arena *arena;  /* NULL when outside */
	struct obmalloc_pool pool;           /* when inside a carved pool */
	uint32_t block_size, pool_blocks;
	uint64_t block;                      /* the block's address */
	uint32_t block_index;
	enum obmalloc_block_state state;
	uint32_t free_position;              /* FREE: place on the free list */
	uint8_t data[512];                   /* BLOCK: a copy of its bytes */
};

/* Locate addr.  Fails only when the target cannot be read or its pool is
 * corrupt; an address outside pymalloc is region OBMALLOC_OUTSIDE. */
struct pyx_error *obmalloc_locate(struct pyx_program *prog,
				  const struct obmalloc *om, uint64_t addr,
				  struct obmalloc_where *ret);

#endif
