/* census.h - gc-tracked objects counted and sized by type (internal). */
#ifndef PYX_CENSUS_H
#define PYX_CENSUS_H

#include "heap/heap.h"

#define CENSUS_SAMPLES 3

struct census_entry {
	const struct type_info *ti;
	uint64_t count;
	uint64_t bytes;
	uint64_t sample[CENSUS_SAMPLES];
	uint64_t *addrs;         /* every address, when asked for */
	size_t naddrs, cap;
};

struct census {
	struct census_entry *v;  /* one per type */
	size_t n, cap;
	uint64_t *slot_keys;     /* type address -> index + 1 */
	uint32_t *slot_vals;
	size_t slots;
	uint64_t total_objects, total_bytes;
	uint64_t bad_objects;    /* on the lists but not shaped like objects */
	bool keep_addresses;
	uint64_t recent_type[16];  /* type -> entry index, for the last types seen */
	uint32_t recent_index[16];
	uint64_t last_index;     /* the entry of the previous object added, + 1 */
};

/* An empty census, to fill with census_add. */
struct pyx_error *census_init(struct census *c, bool keep_addresses);
/* Count one object of the given type (a bad type counts as bad). */
struct pyx_error *census_add(struct pyx_program *prog, struct census *c,
			     uint64_t obj, uint64_t type);
/* The same with its size already known. */
struct pyx_error *census_add_sized(struct pyx_program *prog, struct census *c,
				   uint64_t obj, uint64_t type, uint64_t size);

/* The whole heap (py-census --all-heap): every object in pymalloc's
 * blocks, the gc's objects outside them, and the objects those refer to.
 * The hooks (may be NULL) see each object and each allocated pymalloc
 * block (a hook that fails keeps its own error). */
struct heap_hooks {
	void (*object)(void *arg, uint64_t obj, const struct type_info *ti, bool in_pymalloc);
	void (*block)(void *arg, uint64_t addr, uint32_t size);
	void *arg;
};
struct heap_stats {
	uint64_t pymalloc_bytes;     /* allocated blocks */
	uint64_t attributed_bytes;   /* ... that hold an object */
	uint64_t outside_objects;    /* objects found outside pymalloc */
};
struct pyx_error *census_all_heap(struct pyx_program *prog, const struct heap_hooks *hooks,
				  bool keep_addresses, struct census *ret,
				  struct heap_stats *stats);

/* Add other's counts to c (without addresses). */
struct pyx_error *census_merge(struct pyx_program *prog, struct census *c,
			       const struct census *other);

/* Count the objects of the generations in gen_mask. */
struct pyx_error *census_take(struct pyx_program *prog, unsigned gen_mask,
			      bool keep_addresses, struct census *ret);
void census_release(struct census *c);

/* Entries sorted by count (or bytes), largest first, ties by name. */
void census_sort(struct census *c, bool by_bytes);

/* The "types" entries of a census answer (after "types": [), as the
 * options filter (--type) and cut (--top) them; then closes the list
 * and adds "truncated" (did --top cut it?) and "limit". */
struct strbuf;
void census_types_json(const struct census *c, const struct pyx_census_options *o,
		       struct strbuf *sb);

/* The gen_mask for pyx_census_options.generation. */
unsigned census_gen_mask(int generation);

#endif
