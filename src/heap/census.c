/* census.c - one walk of the gc lists, counting and sizing by type.
 *
 * Bytes are what sys.getsizeof() says of each object: the object, its
 * variable part, and the buffers lists, dicts and sets own. */
#include <stdlib.h>
#include <string.h>

#include "heap/census.h"
#include "util/strbuf.h"

struct walk {
	struct pyx_program *prog;
	struct census *c;
	struct pyx_error *err;
};

static size_t hash_slot(uint64_t key, size_t slots)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 24) & (slots - 1);
}

static bool grow_slots(struct census *c)
{
	size_t slots = c->slots ? c->slots * 2 : 1024;
	uint64_t *keys = calloc(slots, sizeof(*keys));
	uint32_t *vals = calloc(slots, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return false;
	}
	for (size_t i = 0; i < c->slots; i++) {
		if (!c->slot_keys[i])
			continue;
		size_t j = hash_slot(c->slot_keys[i], slots);
		while (keys[j])
			j = (j + 1) & (slots - 1);
		keys[j] = c->slot_keys[i];
		vals[j] = c->slot_vals[i];
	}
	free(c->slot_keys);
	free(c->slot_vals);
	c->slot_keys = keys;
	c->slot_vals = vals;
	c->slots = slots;
	return true;
}

/* The entry index for a type (0 = a bad type), adding it if new. */
static struct pyx_error *entry_for(struct pyx_program *prog, struct census *c,
				   uint64_t type, uint32_t *ret)
{
	size_t i = hash_slot(type, c->slots);
	while (c->slot_keys[i]) {
		if (c->slot_keys[i] == type) {
			*ret = c->slot_vals[i];
			return NULL;
		}
		i = (i + 1) & (c->slots - 1);
	}
	const struct type_info *ti = NULL;
	struct pyx_error *err = type_info_get(prog, type, &ti);
	uint32_t index = 0;
	if (err) {
		pyx_error_destroy(err);
	} else {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 256;
			struct census_entry *v = realloc(c->v, cap * sizeof(*v));
			if (!v)
				return pyx_error_no_memory();
			c->v = v;
			c->cap = cap;
		}
		memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
		c->v[c->n].ti = ti;
		index = (uint32_t)++c->n;
	}
	if ((c->n + 1) * 2 > c->slots) {
		if (!grow_slots(c))
			return pyx_error_no_memory();
		i = hash_slot(type, c->slots);
		while (c->slot_keys[i])
			i = (i + 1) & (c->slots - 1);
	}
	c->slot_keys[i] = type;
	c->slot_vals[i] = index;
	*ret = index;
	return NULL;
}

#define SIZE_UNKNOWN UINT64_MAX

static struct pyx_error *add(struct pyx_program *prog, struct census *c,
			     uint64_t obj, uint64_t type, uint64_t size)
{
	uint32_t index = 0;
	size_t r = (size_t)((type >> 4) ^ (type >> 12)) & 15;
	if (type && c->recent_type[r] == type) {
		index = c->recent_index[r];
	} else {
		PYX_TRY(entry_for(prog, c, type, &index));
		c->recent_type[r] = type;
		c->recent_index[r] = index;
	}
	c->last_index = index;
	if (!index) {
		c->bad_objects++;
		return NULL;
	}
	struct census_entry *e = &c->v[index - 1];
	if (size == SIZE_UNKNOWN) {
		struct pyx_error *err = object_size_fast(prog, obj, e->ti, &size);
		if (err) {
			pyx_error_destroy(err);
			size = 0;
		}
	}
	if (e->count < CENSUS_SAMPLES)
		e->sample[e->count] = obj;
	e->count++;
	e->bytes += size;
	c->total_objects++;
	c->total_bytes += size;
	if (c->keep_addresses) {
		if (e->naddrs == e->cap) {
			size_t cap = e->cap ? e->cap * 2 : 16;
			uint64_t *a = realloc(e->addrs, cap * sizeof(*a));
			if (!a)
				return pyx_error_no_memory();
			e->addrs = a;
			e->cap = cap;
		}
		e->addrs[e->naddrs++] = obj;
	}
	return NULL;
}

struct pyx_error *census_add(struct pyx_program *prog, struct census *c,
			     uint64_t obj, uint64_t type)
{
	return add(prog, c, obj, type, SIZE_UNKNOWN);
}

struct pyx_error *census_add_sized(struct pyx_program *prog, struct census *c,
				   uint64_t obj, uint64_t type, uint64_t size)
{
	return add(prog, c, obj, type, size);
}

struct pyx_error *census_merge(struct pyx_program *prog, struct census *c,
				const struct census *other)
{
	for (size_t i = 0; i < other->n; i++) {
		const struct census_entry *o = &other->v[i];
		uint32_t index;
		PYX_TRY(entry_for(prog, c, o->ti->type, &index));
		if (!index)
			continue;
		struct census_entry *e = &c->v[index - 1];
		for (uint64_t k = 0; k < o->count && k < CENSUS_SAMPLES && e->count + k <
		     CENSUS_SAMPLES; k++)
			e->sample[e->count + k] = o->sample[k];
		e->count += o->count;
		e->bytes += o->bytes;
	}
	c->total_objects += other->total_objects;
	c->total_bytes += other->total_bytes;
	c->bad_objects += other->bad_objects;
	return NULL;
}

static int visit(void *arg, uint64_t obj, uint64_t type, int gen)
{
	(void)gen;
	struct walk *w = arg;
	w->err = census_add(w->prog, w->c, obj, type);
	return w->err != NULL;
}

struct pyx_error *census_init(struct census *c, bool keep_addresses)
{
	memset(c, 0, sizeof(*c));
	c->keep_addresses = keep_addresses;
	if (!grow_slots(c))
		return pyx_error_no_memory();
	return NULL;
}

struct pyx_error *census_take(struct pyx_program *prog, unsigned gen_mask,
			      bool keep_addresses, struct census *ret)
{
	PYX_TRY(census_init(ret, keep_addresses));
	struct walk w = { .prog = prog, .c = ret };
	struct pyx_error *err = gc_foreach(prog, gen_mask, visit, &w);
	if (!err)
		err = w.err;
	if (err)
		census_release(ret);
	return err;
}

void census_release(struct census *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].addrs);
	free(c->v);
	free(c->slot_keys);
	free(c->slot_vals);
	memset(c, 0, sizeof(*c));
}

static int by_count(const void *a, const void *b)
{
	const struct census_entry *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->ti->name, y->ti->name);
}

static int by_bytes(const void *a, const void *b)
{
	const struct census_entry *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->ti->name, y->ti->name);
}

void census_sort(struct census *c, bool by_size)
{
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), by_size ? by_bytes : by_count);
	/* the type -> index table is stale now */
	free(c->slot_keys);
	free(c->slot_vals);
	c->slot_keys = NULL;
	c->slot_vals = NULL;
	c->slots = 0;
}
