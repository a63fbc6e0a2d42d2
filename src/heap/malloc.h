/* malloc.h - glibc malloc's chunks, walked out of process (internal). */
#ifndef PYX_MALLOC_H
#define PYX_MALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/program.h"

enum chunk_state {
	CHUNK_IN_USE,    /* allocated */
	CHUNK_CACHED,    /* freed into a thread's tcache or a fastbin: glibc
			  * still counts tcache'd chunks as in use */
	CHUNK_FREE,      /* in a bin */
	CHUNK_TOP,       /* the unused end of a heap */
	CHUNK_MMAPPED,   /* a chunk of its own mapping (allocated) */
	CHUNK_STATES
};

/* Called per chunk: user is where malloc's pointer points (chunk + 16),
 * size the chunk's size.  Non-zero stops. */
typedef int (*malloc_visit_fn)(void *arg, uint64_t user, uint64_t size,
			       enum chunk_state state);

enum malloc_heap_kind { HEAP_MAIN, HEAP_ARENA, HEAP_MMAPPED };

struct malloc_heap {
	enum malloc_heap_kind kind;
	uint64_t start, end;     /* the region that holds it */
	uint64_t first;          /* its first chunk */
};

struct malloc_summary {
	struct malloc_heap *heaps;
	size_t nheaps;
	uint64_t bytes[CHUNK_STATES];
	uint64_t chunks[CHUNK_STATES];
	bool main_arena_known;   /* its fastbins could be read */
	char *problem;           /* a heap that could not be walked, or NULL */
};

/* Find glibc's heaps (the main one, thread arenas' heaps, mmapped chunks)
 * and visit every chunk (visit may be NULL).  Read-only, bounded; a heap
 * whose chunks do not add up is reported in summary->problem and left
 * out. */
struct pyx_error *malloc_walk(struct pyx_program *prog, malloc_visit_fn visit, void *arg,
			      struct malloc_summary *ret);
void malloc_summary_free(struct malloc_summary *s);

#endif
