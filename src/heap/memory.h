/* memory.h - the process's memory accounted for by kind (py-memory), and
 * the objects that own it (internal). */
#ifndef PYX_MEMORY_H
#define PYX_MEMORY_H

#include "heap/census.h"
#include "heap/malloc.h"

enum memory_kind {
	MEM_PYMALLOC_USED,      /* pymalloc blocks handed out */
	MEM_PYMALLOC_FREE,      /* the rest of pymalloc's arenas */
	MEM_MALLOC_OWNED,       /* malloc chunks an object owns (or is) */
	MEM_MALLOC_UNATTRIBUTED, /* chunks in use that no object owns */
	MEM_MALLOC_FREE,        /* free, cached and top chunks, heap headers */
	MEM_THREAD_STACKS,
	MEM_FILES,              /* mappings of files: code, data, mmapped files */
	MEM_ANON_OTHER,         /* every other mapping */
	MEM_KINDS
};

extern const char *const memory_kind_names[MEM_KINDS];

/* What the objects of one type own. */
struct memory_owner {
	const struct type_info *ti;
	uint64_t count;
	uint64_t bytes;          /* sys.getsizeof with buffers, as py-census */
	uint64_t malloc_bytes;   /* malloc chunks they own or are */
};

struct memory_account {
	uint64_t vsz;
	int64_t rss;                    /* -1 on a core */
	uint64_t bytes[MEM_KINDS];
	int64_t rss_bytes[MEM_KINDS];   /* -1 on a core */
	uint64_t regions, stacks;
	/* The objects, when the heap could be walked. */
	bool objects_walked;
	struct census census;           /* by type, sorted by bytes */
	struct heap_stats heap;
	struct memory_owner *owners;    /* every type, by bytes, largest first */
	size_t nowners;
	uint64_t owned_buffers;         /* buffers found in objects */
	uint64_t pymalloc_arenas;
	struct malloc_summary malloc;
	bool malloc_walked;
	char **notes;                   /* what could not be counted, and why */
	size_t nnotes;
};

enum memory_flags {
	MEMORY_OBJECTS = 1 << 0,    /* walk every object, attribute chunks to them */
	MEMORY_ADDRESSES = 1 << 1,  /* ... and keep every object's address */
};

/* Account for the target's memory (a live process: its mappings from
 * /proc/PID/smaps and pagemap; a core: its segments). */
struct pyx_error *memory_account(struct pyx_program *prog, unsigned flags,
				 struct memory_account *ret);
void memory_account_release(struct memory_account *m);

#endif
