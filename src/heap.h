/* heap.h - walking the objects the garbage collector tracks, what each
 * type looks like, the references each object holds, and the index of
 * who refers to whom (internal). */
#ifndef PYX_HEAP_H
#define PYX_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"

/* ---- types -------------------------------------------------------------- */

/* How the engine reads an object of a type: which layout its references
 * and size follow. */
enum type_kind {
	KIND_OTHER,      /* unknown layout: conservative scan of the body */
	KIND_TUPLE,
	KIND_LIST,
	KIND_DICT,
	KIND_SET,        /* set and frozenset */
	KIND_TYPE,
	KIND_FUNCTION,
	KIND_METHOD,
	KIND_CELL,
	KIND_MODULE,
	KIND_FRAME,      /* PyFrameObject */
	KIND_GEN,        /* generators, coroutines, async generators */
	KIND_EXCEPTION,
	KIND_STR,
	KIND_INT,
	KIND_FLOAT,
	KIND_BYTES,
	KIND_CODE,
	KIND_INSTANCE,   /* a plain instance of a class defined in Python */
};

struct slot_member {
	uint64_t offset;
	char *name;
};

struct type_info {
	uint64_t type;
	char *name;              /* qualified, as py-object shows it */
	enum type_kind kind;
	uint64_t flags;
	int64_t basicsize, itemsize;
	int64_t dictoffset;
	bool heap;               /* a heap type: instances refer to it */
	bool managed_dict;       /* 3.11+: dict/values before the object */
	bool inline_values;      /* 3.13: values after the object */
	int64_t preheader;       /* bytes sys.getsizeof adds in front */
	struct slot_member *slots; /* __slots__ holding objects, all bases */
	size_t nslots;
	uint64_t keys;           /* ht_cached_keys, for inline values */
};

struct type_cache;

/* The facts about a type object (cached until the program is flushed). */
struct pyx_error *type_info_get(struct pyx_program *prog, uint64_t type,
				const struct type_info **ret);
void type_cache_destroy(struct type_cache *tc);
/* The same without building an error: NULL for what is not a type (or
 * when memory ran out). */
const struct type_info *type_info_lookup(struct pyx_program *prog, uint64_t type);

/* sys.getsizeof() of obj, from its type's facts (fast path of object_size). */
struct pyx_error *object_size_fast(struct pyx_program *prog, uint64_t obj,
				   const struct type_info *ti, uint64_t *ret);

/* ---- the gc lists -------------------------------------------------------- */

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
};

struct pyx_error *gc_state_read(struct pyx_program *prog, uint64_t interp,
				bool walk_lists, struct gc_state_info *ret);

/* Called for each object on the chosen lists; non-zero stops the walk. */
typedef int (*gc_visit_fn)(void *arg, uint64_t obj, uint64_t type, int gen);

/* Visit the objects of the generations in gen_mask (bit g for generation
 * g, bit 3 for the permanent generation), for every interpreter.  Bounded
 * and loop-safe; a broken list ends the walk with an error. */
struct pyx_error *gc_foreach(struct pyx_program *prog, unsigned gen_mask,
			     gc_visit_fn visit, void *arg);

#define GEN_MASK_COLLECTABLE 0x7u   /* what gc.get_objects() returns */
#define GEN_MASK_ALL 0xfu

/* ---- references ----------------------------------------------------------- */

enum edge_kind {
	EDGE_ITEM,        /* tuple/list item: aux = index */
	EDGE_DICT_VALUE,  /* aux = the key object */
	EDGE_DICT_KEY,    /* aux = the key object (the target itself) */
	EDGE_SET_ITEM,
	EDGE_ATTR,        /* instance attribute: aux = name str object */
	EDGE_SLOT,        /* __slots__ member: name in the type's slot table */
	EDGE_FIELD,       /* a named field: name is a static string */
	EDGE_LOCAL,       /* frame local: aux = name str, aux2 = code object */
	EDGE_STACK,       /* frame value stack: aux2 = code object */
	EDGE_CONSERVATIVE, /* a pointer found in the body: aux = offset */
};

struct edge {
	enum edge_kind kind;
	uint64_t target;
	uint64_t aux, aux2;
	const char *name;  /* EDGE_FIELD / EDGE_SLOT */
};

/* Called per reference an object holds; non-zero stops. */
typedef int (*edge_visit_fn)(void *arg, const struct edge *e);

/* Every reference obj holds, decoded exactly for the containers pyxray
 * knows and by a conservative scan of aligned pointers for the rest.
 * Only references to objects are reported (NULLs are skipped). */
struct pyx_error *object_edges(struct pyx_program *prog, uint64_t obj,
			       const struct type_info *ti,
			       edge_visit_fn visit, void *arg);

/* The references a thread's running (not generator-owned) interpreter
 * frame holds: locals and value stack (3.11+; earlier frames are
 * objects on the gc lists). */
struct pyx_error *iframe_edges(struct pyx_program *prog, uint64_t iframe,
			       edge_visit_fn visit, void *arg);

/* The references a code object holds (constants, names, file name ...). */
struct pyx_error *code_edges(struct pyx_program *prog, uint64_t code,
			     edge_visit_fn visit, void *arg);

/* A label for an edge: "list[3]", "dict['key']", ".attr", ... */
struct strbuf;
void edge_label(struct pyx_program *prog, const struct edge *e,
		const char *holder_kind, struct strbuf *sb);

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
