/* typeinfo.c - what the engine needs to know about a type to walk and size
 * its instances, computed once per type object and cached. */
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "objects/typeinfo.h"

#define MAX_SLOT_MEMBERS 4096
#define MEMBERDEF_SIZE 40      /* sizeof(PyMemberDef) on LP64 */
#define T_OBJECT 6
#define T_OBJECT_EX 16

/* Shared by the threads of a parallel walk: the table under a lock, and
 * in front of it each thread's own memory of the types it asked for
 * lately (a generation number tells caches apart). */
struct type_cache {
	uint64_t *keys;
	struct type_info **vals;
	size_t cap, count;
	uint64_t generation;
	pthread_mutex_t lock;
};

struct recent_type {
	uint64_t generation, key;
	const struct type_info *val;   /* NULL: not a type */
};

static __thread struct recent_type recent[64];
static uint64_t generations;

static void type_cache_destroy(struct type_cache *tc)
{
	if (!tc)
		return;
	pthread_mutex_destroy(&tc->lock);
	for (size_t i = 0; i < tc->cap; i++) {
		struct type_info *ti = tc->vals[i];
		if (!ti)
			continue;
		for (size_t j = 0; j < ti->nslots; j++)
			free(ti->slots[j].name);
		free(ti->slots);
		free(ti->name);
		free(ti);
	}
	free(tc->keys);
	free(tc->vals);
	free(tc);
}

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static bool cache_grow(struct type_cache *tc)
{
	size_t cap = tc->cap ? tc->cap * 2 : 256;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	struct type_info **vals = calloc(cap, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return false;
	}
	for (size_t i = 0; i < tc->cap; i++) {
		if (!tc->keys[i])
			continue;
		size_t j = slot_of(tc->keys[i], cap);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = tc->keys[i];
		vals[j] = tc->vals[i];
	}
	free(tc->keys);
	free(tc->vals);
	tc->keys = keys;
	tc->vals = vals;
	tc->cap = cap;
	return true;
}

/* Is a type in type's MRO named name (tp_name)?  *which gets it.  Stdlib
 * extension types are found by name: their type objects are statics of
 * the module (or, from 3.12 or 3.13, in its state), not exported. */
static bool mro_base_named(struct pyx_program *prog, uint64_t type, const char *name,
			   uint64_t *which)
{
	uint64_t mro;
	uint64_t *bases = NULL;
	size_t n = 0, total = 0;
	struct pyx_error *err = read_ptr(prog, type + LV(prog, PyTypeObject_tp_mro), &mro);
	if (!err && mro)
		err = sequence_items(prog, mro, false, 64, &bases, &n, &total);
	bool found = false;
	for (size_t i = 0; !err && i < n && !found; i++) {
		char *tp_name = NULL;
		struct pyx_error *e = type_tp_name(prog, bases[i], &tp_name);
		found = !e && tp_name && strcmp(tp_name, name) == 0;
		if (found && which)
			*which = bases[i];
		free(tp_name);
		pyx_error_destroy(e);
	}
	pyx_error_destroy(err);
	free(bases);
	return found;
}

static enum type_kind kind_of(struct pyx_program *prog, uint64_t type, uint64_t f,
			      bool heap)
{
	const struct well_known *wk = &prog->wk;
	if (f & TPF_UNICODE_SUBCLASS)
		return KIND_STR;
	if (f & TPF_LONG_SUBCLASS)
		return KIND_INT;
	if (f & TPF_BYTES_SUBCLASS)
		return KIND_BYTES;
	if (f & TPF_TUPLE_SUBCLASS)
		return KIND_TUPLE;
	if (f & TPF_LIST_SUBCLASS)
		return KIND_LIST;
	if (f & TPF_DICT_SUBCLASS)
		return KIND_DICT;
	if (f & TPF_TYPE_SUBCLASS)
		return KIND_TYPE;
	if (f & TPF_BASE_EXC_SUBCLASS)
		return KIND_EXCEPTION;
	if (type == wk->float_type || type_is_subtype(prog, type, wk->float_type))
		return KIND_FLOAT;
	if (type == wk->function_type)
		return KIND_FUNCTION;
	if (type == wk->method_type)
		return KIND_METHOD;
	if (type == wk->cell_type)
		return KIND_CELL;
	if (type == wk->code_type)
		return KIND_CODE;
	if (type == wk->frame_type)
		return KIND_FRAME;
	if ((wk->gen_type && type == wk->gen_type) || (wk->coro_type && type == wk->coro_type) ||
	    (wk->async_gen_type && type == wk->async_gen_type))
		return KIND_GEN;
	if (type == wk->set_type || type == wk->frozenset_type ||
	    type_is_subtype(prog, type, wk->set_type) ||
	    type_is_subtype(prog, type, wk->frozenset_type))
		return KIND_SET;
	if (type == wk->module_type || type_is_subtype(prog, type, wk->module_type))
		return KIND_MODULE;
	const uint64_t weak[] = { wk->weakref_type, wk->weakproxy_type, wk->weakcallableproxy_type };
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		if (weak[i] && (type == weak[i] || type_is_subtype(prog, type, weak[i])))
			return KIND_WEAKREF;
	if (mro_base_named(prog, type, "collections.deque", NULL))
		return KIND_DEQUE;
	if (mro_base_named(prog, type, "functools._lru_cache_wrapper", NULL))
		return KIND_LRU_CACHE;
	if (mro_base_named(prog, type, "array.array", NULL))
		return KIND_ARRAY;
	if (mro_base_named(prog, type, "numpy.ndarray", NULL))
		return KIND_NDARRAY;
	if (heap) {
		/* A class defined in Python whose instances are laid out as a
		 * plain object: its first static base is object. */
		uint64_t base = type;
		struct pyx_error *err = NULL;
		for (int i = 0; i < 64 && base && !err; i++) {
			uint64_t bf;
			err = type_flags(prog, base, &bf);
			if (!err && !(bf & TPF_HEAPTYPE))
				break;
			if (!err)
				err = read_ptr(prog, base + LV(prog, PyTypeObject_tp_base), &base);
		}
		bool plain = !err && base == wk->object_type;
		pyx_error_destroy(err);
		if (plain)
			return KIND_INSTANCE;
	}
	return KIND_OTHER;
}

/* The object members (tp_members entries of type T_OBJECT or
 * T_OBJECT_EX) of every type in the MRO: a Python class's __slots__, an
 * extension type's declared fields. */
static struct pyx_error *collect_members(struct pyx_program *prog, struct type_info *ti)
{
	uint64_t mro;
	PYX_TRY(read_ptr(prog, ti->type + LV(prog, PyTypeObject_tp_mro), &mro));
	uint64_t *bases = NULL;
	size_t nbases = 0, total = 0;
	if (mro) {
		PYX_TRY(sequence_items(prog, mro, false, 256, &bases, &nbases, &total));
	}
	struct pyx_error *err = NULL;
	uint8_t *defs = malloc(MAX_SLOT_MEMBERS * MEMBERDEF_SIZE / 16);
	const size_t max_defs = MAX_SLOT_MEMBERS / 16;
	if (!defs)
		err = pyx_error_no_memory();
	for (size_t b = 0; b < nbases && !err; b++) {
		uint64_t members;
		err = read_ptr(prog, bases[b] + LV(prog, PyTypeObject_tp_members), &members);
		if (err || !members)
			continue;
		/* NULL-terminated; read what is readable of a bounded array. */
		size_t have = 0;
		while (have < max_defs) {
			struct pyx_error *e = pyx_target_read(prog->target,
				members + have * MEMBERDEF_SIZE, defs + have * MEMBERDEF_SIZE,
				MEMBERDEF_SIZE);
			if (e) {
				pyx_error_destroy(e);
				break;
			}
			uint64_t name;
			memcpy(&name, defs + have * MEMBERDEF_SIZE, 8);
			if (!name)
				break;
			have++;
		}
		for (size_t i = 0; !err && i < have; i++) {
			uint64_t name;
			int32_t type;
			int64_t offset;
			memcpy(&name, defs + i * MEMBERDEF_SIZE, 8);
			memcpy(&type, defs + i * MEMBERDEF_SIZE + 8, 4);
			memcpy(&offset, defs + i * MEMBERDEF_SIZE + 16, 8);
			if ((type != T_OBJECT_EX && type != T_OBJECT) ||
			    offset < 16 || offset > (1 << 20) || (offset & 7))
				continue;
			bool dup = false;
			for (size_t k = 0; k < ti->nslots && !dup; k++)
				dup = ti->slots[k].offset == (uint64_t)offset;
			if (dup)
				continue;
			struct slot_member *s = realloc(ti->slots, (ti->nslots + 1) * sizeof(*s));
			if (!s) {
				err = pyx_error_no_memory();
				break;
			}
			ti->slots = s;
			s[ti->nslots].offset = (uint64_t)offset;
			s[ti->nslots].name = NULL;
			err = target_read_cstr(prog->target, name, 128, &s[ti->nslots].name);
			if (!err)
				ti->nslots++;
		}
	}
	free(defs);
	free(bases);
	return err;
}

/* The basicsize of a built-in type, or 16 if unknown. */
static int64_t builtin_size(struct pyx_program *prog, uint64_t type)
{
	int64_t size = 16;
	struct pyx_error *err = type ? read_i64(prog, type + LV(prog, PyTypeObject_tp_basicsize),
						&size) : NULL;
	if (err || size < 16 || size > (1 << 20))
		size = 16;
	pyx_error_destroy(err);
	return size;
}

/* How much of an instance the kind's decoder reads exactly. */
static int64_t known_size(struct pyx_program *prog, const struct type_info *ti)
{
	const struct well_known *wk = &prog->wk;
	uint64_t base = 0;
	switch (ti->kind) {
	case KIND_OTHER:
	case KIND_INSTANCE:
	case KIND_ARRAY:
		return 16;
	case KIND_TUPLE:
		return builtin_size(prog, wk->tuple_type);
	case KIND_LIST:
		return builtin_size(prog, wk->list_type);
	case KIND_DICT:
		return builtin_size(prog, wk->dict_type);
	case KIND_SET:
		return builtin_size(prog, wk->set_type);
	case KIND_EXCEPTION:
		return builtin_size(prog, wk->base_exception_type);
	case KIND_WEAKREF:
		return builtin_size(prog, wk->weakref_type);
	case KIND_DEQUE:
		mro_base_named(prog, ti->type, "collections.deque", &base);
		return builtin_size(prog, base);
	case KIND_LRU_CACHE:
		/* Its embedded list head; the rest (cache, func ...) is scanned. */
		return 56;
	case KIND_NDARRAY:
		mro_base_named(prog, ti->type, "numpy.ndarray", &base);
		return builtin_size(prog, base);
	default:
		/* Decoded whole: functions, frames, generators, code ... */
		return ti->basicsize;
	}
}

static struct pyx_error *compute(struct pyx_program *prog, uint64_t type,
				 struct type_info *ti)
{
	ti->type = type;
	PYX_TRY(type_flags(prog, type, &ti->flags));
	PYX_TRY(type_sizes(prog, type, &ti->basicsize, &ti->itemsize));
	PYX_TRY(read_i64(prog, type + LV(prog, PyTypeObject_tp_dictoffset), &ti->dictoffset));
	PYX_TRY(read_i64(prog, type + LV(prog, PyTypeObject_tp_weaklistoffset),
			 &ti->weaklistoffset));
	PYX_TRY(type_qualified_name(prog, type, &ti->name));
	ti->heap = ti->flags & TPF_HEAPTYPE;
	ti->managed_dict = HAS(prog, Py_TPFLAGS_MANAGED_DICT) &&
			   (ti->flags & (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_DICT));
	ti->inline_values = HAS(prog, Py_TPFLAGS_INLINE_VALUES) &&
			    (ti->flags & (uint64_t)LV(prog, Py_TPFLAGS_INLINE_VALUES));
	ti->kind = kind_of(prog, type, ti->flags, ti->heap);
	if (ti->heap)
		PYX_TRY(read_ptr(prog, type + LV(prog, PyHeapTypeObject_ht_cached_keys), &ti->keys));
	if (prog->minor >= 11) {
		if (ti->flags & TPF_HAVE_GC)
			ti->preheader += LV(prog, PyGC_Head);
		uint64_t pre = (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_DICT);
		if (HAS(prog, Py_TPFLAGS_MANAGED_WEAKREF))
			pre |= (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_WEAKREF);
		if (ti->flags & pre)
			ti->preheader += 16;
	} else if ((ti->flags & TPF_HAVE_GC) && ti->kind != KIND_TYPE) {
		ti->preheader = LV(prog, PyGC_Head);
	}
	ti->known_size = known_size(prog, ti);
	if (ti->kind != KIND_TYPE)
		PYX_TRY(collect_members(prog, ti));
	return NULL;
}

static void type_cache_free(void *tc)
{
	type_cache_destroy(tc);
}

static struct pyx_error *not_a_type(uint64_t type)
{
	return pyx_error_create(PYX_ERR_INVALID_OBJECT, "0x%llx is not a type",
				(unsigned long long)type);
}

/* Look type up in the table, computing and adding it when it is new;
 * called with the lock held. */
static struct pyx_error *lookup_locked(struct pyx_program *prog, struct type_cache *tc,
				       uint64_t type, const struct type_info **ret)
{
	size_t i = slot_of(type, tc->cap);
	while (tc->keys[i]) {
		if (tc->keys[i] == type) {
			*ret = tc->vals[i];
			return NULL;
		}
		i = (i + 1) & (tc->cap - 1);
	}
	struct type_info *ti = NULL;
	if (object_is_type(prog, type)) {
		ti = calloc(1, sizeof(*ti));
		if (!ti)
			return pyx_error_no_memory();
		struct pyx_error *err = compute(prog, type, ti);
		if (err) {
			for (size_t j = 0; j < ti->nslots; j++)
				free(ti->slots[j].name);
			free(ti->slots);
			free(ti->name);
			free(ti);
			return err;
		}
	}
	/* Remember bad types too, so a corrupted heap does not cost a
	 * validation per object. */
	if ((tc->count + 1) * 2 > tc->cap) {
		if (!cache_grow(tc))
			return pyx_error_no_memory();
		i = slot_of(type, tc->cap);
		while (tc->keys[i])
			i = (i + 1) & (tc->cap - 1);
	}
	tc->keys[i] = type;
	tc->vals[i] = ti;
	tc->count++;
	*ret = ti;
	return NULL;
}

/* The program's type cache, made on first use (by the thread that
 * starts a parallel walk, before its workers ask). */
static struct type_cache *type_cache_of(struct pyx_program *prog)
{
	struct type_cache *tc = program_cache(prog, PROGRAM_CACHE_TYPES);
	if (tc)
		return tc;
	tc = calloc(1, sizeof(*tc));
	if (!tc || !cache_grow(tc)) {
		free(tc);
		return NULL;
	}
	pthread_mutex_init(&tc->lock, NULL);
	tc->generation = __atomic_add_fetch(&generations, 1, __ATOMIC_RELAXED);
	program_cache_set(prog, PROGRAM_CACHE_TYPES, tc, type_cache_free);
	return tc;
}

struct pyx_error *type_cache_prepare(struct pyx_program *prog)
{
	return type_cache_of(prog) ? NULL : pyx_error_no_memory();
}

struct pyx_error *type_info_get(struct pyx_program *prog, uint64_t type,
				const struct type_info **ret)
{
	struct type_cache *tc = type_cache_of(prog);
	if (!tc)
		return pyx_error_no_memory();
	struct recent_type *r = &recent[(size_t)((type >> 4) ^ (type >> 10)) & 63];
	if (r->generation == tc->generation && r->key == type && type) {
		if (!r->val)
			return not_a_type(type);
		*ret = r->val;
		return NULL;
	}
	const struct type_info *ti = NULL;
	pthread_mutex_lock(&tc->lock);
	struct pyx_error *err = lookup_locked(prog, tc, type, &ti);
	pthread_mutex_unlock(&tc->lock);
	if (err)
		return err;
	*r = (struct recent_type){ tc->generation, type, ti };
	if (!ti)
		return not_a_type(type);
	*ret = ti;
	return NULL;
}

const struct type_info *type_info_lookup(struct pyx_program *prog, uint64_t type)
{
	const struct type_info *ti = NULL;
	struct pyx_error *err = type_info_get(prog, type, &ti);
	if (err) {
		pyx_error_destroy(err);
		return NULL;
	}
	return ti;
}

struct pyx_error *object_size_fast(struct pyx_program *prog, uint64_t obj,
				   const struct type_info *ti, uint64_t *ret)
{
	int64_t n;
	switch (ti->kind) {
	case KIND_INSTANCE:
	case KIND_FUNCTION:
	case KIND_METHOD:
	case KIND_CELL:
	case KIND_MODULE:
		if (ti->itemsize == 0) {
			*ret = (uint64_t)(ti->basicsize + ti->preheader);
			return NULL;
		}
		break;
	case KIND_TUPLE: {
		int64_t size;
		PYX_TRY(var_size(prog, obj, &n));
		PYX_TRY(object_items_size(obj, "ob_size", ti->basicsize + ti->preheader, n,
					  ti->itemsize, &size));
		*ret = (uint64_t)size;
		return NULL;
	}
	case KIND_LIST: {
		int64_t size;
		PYX_TRY(read_i64(prog, obj + LV(prog, PyListObject_allocated), &n));
		PYX_TRY(object_items_size(obj, "allocated", ti->basicsize + ti->preheader, n,
					  8, &size));
		*ret = (uint64_t)size;
		return NULL;
	}
	default:
		break;
	}
	struct object_head h = { .addr = obj, .type = ti->type, .type_flags = ti->flags };
	return object_size(prog, &h, ret);
}
