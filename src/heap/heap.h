/* heap.h - walking the objects the garbage collector tracks, and the
 * index of who refers to whom (internal).  What a type looks like and
 * the references an object holds are in objects/typeinfo.h and
 * objects/edges.h. */
#ifndef PYX_HEAP_H
#define PYX_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objects/edges.h"
#include "objects/object.h"
#include "objects/typeinfo.h"

/* ---- the gc lists -------------------------------------------------------- */

struct gc_info {
	bool gc_type;      /* the type has Py_TPFLAGS_HAVE_GC */
	bool tracked_known; /* tracked is right (even if the generation failed) */
	bool tracked;
	int generation;    /* 0..2, 3 = permanent, -1 = not found/untracked */
};
struct pyx_error *object_gc_info(struct pyx_program *prog, const struct object_head *h,
				 struct gc_info *ret);


#define GEN_PERMANENT 3

struct gc_generation_info {
	uint64_t head;           /* address of the list head (PyGC_Head) */
	int64_t objects;         /* list length walked */
	int64_t count;           /* the generation's count field */
	int64_t threshold;
	int64_t collections, collected, uncollectable;
};

struct gc_state_info {
	uint64_t state;          /* struct _gc_runtime_state */
	bool enabled;
	bool collecting;
	int ngenerations;
	struct gc_generation_info gen[4]; /* 0-2 and the permanent one */
	/* With walk_lists (3.8 - 3.13): the collector's long_lived_total and
	 * long_lived_pending, and whether the oldest generation holds more
	 * objects than the two (see gc.c). */
	bool long_lived_known;
	int64_t long_lived_total, long_lived_pending;
	bool oldest_too_long;
};

struct pyx_error *gc_state_read(struct pyx_program *prog, uint64_t interp,
				bool walk_lists, struct gc_state_info *ret);

/* Called for each object on the chosen lists; non-zero stops the walk. */
typedef int (*gc_visit_fn)(void *arg, uint64_t obj, uint64_t type, int gen);

/* Visit the objects of the generations in gen_mask (bit g for generation
 * g, bit 3 for the permanent generation), for every interpreter.  Bounded
 * and loop-safe; a broken list (a link that does not lead back to the
 * head, or whose _gc_prev disagrees) ends the walk with an error. */
struct pyx_error *gc_foreach(struct pyx_program *prog, unsigned gen_mask,
			     gc_visit_fn visit, void *arg);

#define GEN_MASK_COLLECTABLE 0x7u   /* what gc.get_objects() returns */
#define GEN_MASK_ALL 0xfu

/* ---- the referrer index ----------------------------------------------------- */

/* Who refers to whom, over every gc-tracked object (all generations) and
 * every thread's running frames. */
struct ref_index {
	uint64_t *objs;        /* indexed gc objects, sorted by address */
	uint8_t *gen;          /* the generation of each */
	size_t nobjs;
	uint64_t *frames;      /* running interpreter frames (3.11+) */
	uint64_t *codes;       /* code objects (not gc objects, but holders) */
	size_t ncodes;
	uint64_t *frame_tstates;
	int *frame_tids;        /* OS thread id of each frame's thread */
	size_t nframes;
	uint32_t *start;       /* CSR: referrers of objs[i] are */
	uint32_t *src;         /*  src[start[i] .. start[i+1]) */
	size_t nedges;         /* edges between indexed objects */
	uint64_t *roots;       /* objects that count as roots for py-path */
	char **root_names;
	size_t nroots;
	size_t unknown_layout; /* objects scanned conservatively */
	size_t bytes;          /* memory held by the index */
	double build_seconds;
};

/* Sources are numbered: objs, then frames, then code objects. */
static inline uint64_t ref_source_addr(const struct ref_index *ri, uint32_t s)
{
	if (s < ri->nobjs)
		return ri->objs[s];
	s -= (uint32_t)ri->nobjs;
	return s < ri->nframes ? ri->frames[s] : ri->codes[s - ri->nframes];
}

static inline bool ref_source_is_frame(const struct ref_index *ri, uint32_t s)
{
	return s >= ri->nobjs && s - ri->nobjs < ri->nframes;
}

struct pyx_error *ref_index_get(struct pyx_program *prog, const struct ref_index **ret);
void ref_index_destroy(struct ref_index *ri);
/* The index of an object in objs, or -1. */
int64_t ref_index_find(const struct ref_index *ri, uint64_t addr);

/* The references source s (an object or a frame) holds. */
struct pyx_error *ref_source_edges(struct pyx_program *prog, const struct ref_index *ri,
				   uint32_t s, edge_visit_fn visit, void *arg);

/* The name of root r, if source s is one (frames always are). */
const char *ref_root_name(const struct ref_index *ri, uint32_t s, char *buf, size_t size);

/* Referrers of any object (also untracked ones, found by scanning every
 * indexed object's references): calls visit with the source number and
 * the edge.  Non-zero from visit stops. */
typedef int (*referrer_visit_fn)(void *arg, uint32_t source, const struct edge *e);
struct pyx_error *referrers_foreach(struct pyx_program *prog, const struct ref_index *ri,
				    uint64_t target, referrer_visit_fn visit, void *arg);

#endif
