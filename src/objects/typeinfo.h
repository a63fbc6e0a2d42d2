/* typeinfo.h - what the engine knows about a type object: which layout
 * its instances follow, their size, their __slots__ (internal). */
#ifndef PYX_TYPEINFO_H
#define PYX_TYPEINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objects/object.h"

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
	KIND_INSTANCE,   /* a plain instance of a heap type whose static base is
			  * object: a Python class, or an extension's heap type */
	KIND_WEAKREF,    /* weak references and proxies: only the callback */
	KIND_DEQUE,      /* collections.deque: items in linked blocks */
	KIND_LRU_CACHE,  /* functools._lru_cache_wrapper: results in links */
	KIND_ARRAY,      /* array.array: numbers in a buffer of its own */
	KIND_NDARRAY,    /* numpy.ndarray: data, dimensions, base, dtype */
};

/* A field that holds an object, named by the type's tp_members (a
 * __slots__ member, or an extension type's declared member). */
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
	int64_t weaklistoffset;
	/* Bytes of the instance the kind's decoder reads exactly; the rest
	 * of the body (an extension's fields, a subclass's) is read by its
	 * members' names and a conservative scan. */
	int64_t known_size;
	bool heap;               /* a heap type: instances refer to it */
	bool managed_dict;       /* 3.11+: dict/values before the object */
	bool inline_values;      /* 3.13: values after the object */
	int64_t preheader;       /* bytes sys.getsizeof adds in front */
	struct slot_member *slots; /* object members of every type in the MRO */
	size_t nslots;
	uint64_t keys;           /* ht_cached_keys, for inline values */
};

struct type_cache;

/* The facts about a type object (cached until the program is flushed). */
struct pyx_error *type_info_get(struct pyx_program *prog, uint64_t type,
				const struct type_info **ret);
/* Make the program's type cache before the workers of a parallel walk
 * use it (type_info_get is safe to call from several threads then). */
struct pyx_error *type_cache_prepare(struct pyx_program *prog);

/* The same without building an error: NULL for what is not a type (or
 * when memory ran out). */
const struct type_info *type_info_lookup(struct pyx_program *prog, uint64_t type);

/* sys.getsizeof() of obj, from its type's facts (fast path of object_size). */
struct pyx_error *object_size_fast(struct pyx_program *prog, uint64_t obj,
				   const struct type_info *ti, uint64_t *ret);

#endif
