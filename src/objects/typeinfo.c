/* typeinfo.c - what the engine needs to know about a type to walk and size
 * its instances, computed once per type object and cached. */
#include <stdlib.h>
#include <string.h>

#include "objects/typeinfo.h"

#define MAX_SLOT_MEMBERS 4096
#define MEMBERDEF_SIZE 40      /* sizeof(PyMemberDef) on LP64 */
#define T_OBJECT 6
#define T_OBJECT_EX 16

struct type_cache {
	uint64_t *keys;
	struct type_info **vals;
	size_t cap, count;
	uint64_t recent_key[64];  /* the last types asked for (found or bad) */
	struct type_info *recent_val[64];
};

static void type_cache_destroy(struct type_cache *tc)
{
	if (!tc)
		return;
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

/* The object-holding __slots__ of a heap type and its heap bases. */
static struct pyx_error *collect_slots(struct pyx_program *prog, struct type_info *ti)
{
	uint64_t mro;
	PYX_TRY(read_ptr(prog, ti->type + LV(prog, PyTypeObject_tp_mro), &mro));
	uint64_t *bases = NULL;
	size_t nbases = 0, total = 0;
	if (mro) {
		PYX_TRY(sequence_items(prog, mro, false, 256, &bases, &nbases, &total));
	}
	struct pyx_error *err = NULL;
	for (size_t b = 0; b < nbases && !err; b++) {
		uint64_t base = bases[b], bf, meta;
		int64_t nmembers, meta_basic;
		err = type_flags(prog, base, &bf);
		if (err || !(bf & TPF_HEAPTYPE))
			continue;
		err = var_size(prog, base, &nmembers);
		if (!err)
			err = read_ptr(prog, base + LV(prog, PyObject_ob_type), &meta);
		if (!err)
			err = read_i64(prog, meta + LV(prog, PyTypeObject_tp_basicsize), &meta_basic);
		if (err || nmembers <= 0 || nmembers > MAX_SLOT_MEMBERS)
			continue;
		size_t bytes = (size_t)nmembers * MEMBERDEF_SIZE;
		uint8_t *defs = malloc(bytes);
		if (!defs) {
			err = pyx_error_no_memory();
			break;
		}
		err = pyx_target_read(prog->target, base + (uint64_t)meta_basic, defs, bytes);
		for (int64_t i = 0; !err && i < nmembers; i++) {
			uint64_t name;
			int32_t type;
			int64_t offset;
			memcpy(&name, defs + i * MEMBERDEF_SIZE, 8);
			memcpy(&type, defs + i * MEMBERDEF_SIZE + 8, 4);
			memcpy(&offset, defs + i * MEMBERDEF_SIZE + 16, 8);
			if (!name || (type != T_OBJECT_EX && type != T_OBJECT) ||
			    offset <= 0 || offset > (1 << 20))
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
		free(defs);
	}
	free(bases);
	return err;
}

static struct pyx_error *compute(struct pyx_program *prog, uint64_t type,
				 struct type_info *ti)
{
	ti->type = type;
	PYX_TRY(type_flags(prog, type, &ti->flags));
	PYX_TRY(type_sizes(prog, type, &ti->basicsize, &ti->itemsize));
	PYX_TRY(read_i64(prog, type + LV(prog, PyTypeObject_tp_dictoffset), &ti->dictoffset));
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
	if (ti->heap)
		PYX_TRY(collect_slots(prog, ti));
	return NULL;
}

static void type_cache_free(void *tc)
{
	type_cache_destroy(tc);
}

struct pyx_error *type_info_get(struct pyx_program *prog, uint64_t type,
				const struct type_info **ret)
{
	struct type_cache *tc = program_cache(prog, PROGRAM_CACHE_TYPES);
	if (!tc) {
		tc = calloc(1, sizeof(*tc));
		if (!tc || !cache_grow(tc)) {
			free(tc);
			return pyx_error_no_memory();
		}
		program_cache_set(prog, PROGRAM_CACHE_TYPES, tc, type_cache_free);
	}
	size_t r = (size_t)((type >> 4) ^ (type >> 10)) & 63;
	if (tc->recent_key[r] == type && type) {
		if (!tc->recent_val[r])
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"0x%llx is not a type", (unsigned long long)type);
		*ret = tc->recent_val[r];
		return NULL;
	}
	size_t i = slot_of(type, tc->cap);
	while (tc->keys[i]) {
		if (tc->keys[i] == type) {
			tc->recent_key[r] = type;
			tc->recent_val[r] = tc->vals[i];
			if (!tc->vals[i])
				return pyx_error_create(PYX_ERR_INVALID_OBJECT,
					"0x%llx is not a type", (unsigned long long)type);
			*ret = tc->vals[i];
			return NULL;
		}
		i = (i + 1) & (tc->cap - 1);
	}
	struct type_info *ti = NULL;
	struct pyx_error *err = NULL;
	if (object_is_type(prog, type)) {
		ti = calloc(1, sizeof(*ti));
		if (!ti)
			return pyx_error_no_memory();
		err = compute(prog, type, ti);
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
	if (!ti)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT, "0x%llx is not a type",
					(unsigned long long)type);
	*ret = ti;
	return NULL;
}

const struct type_info *type_info_lookup(struct pyx_program *prog, uint64_t type)
{
	struct type_cache *tc = program_cache(prog, PROGRAM_CACHE_TYPES);
	size_t r = (size_t)((type >> 4) ^ (type >> 10)) & 63;
	if (tc && tc->recent_key[r] == type && type)
		return tc->recent_val[r];
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
