/* dict.c - dicts (combined and split tables, every key layout from 3.8 to
 * 3.13), sets, and instance attributes (__dict__, managed dicts, inline
 * values). */
#include <stdlib.h>
#include <string.h>

#include "objects/object.h"

#define MAX_DICT_ENTRIES (1ll << 26)
#define MAX_SET_SLOTS (1ll << 28)

struct keys_view {
	uint64_t keys;
	int64_t nentries;
	uint64_t entries;     /* address of the first entry */
	size_t entry_size;
	size_t key_off, value_off;
};

static struct pyx_error *keys_view(struct pyx_program *prog, uint64_t keys,
				   struct keys_view *kv)
{
	kv->keys = keys;
	PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_nentries), &kv->nentries));
	if (kv->nentries < 0 || kv->nentries > MAX_DICT_ENTRIES)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"dict keys at 0x%llx have an impossible entry count %lld",
			(unsigned long long)keys, (long long)kv->nentries);
	uint64_t indices = keys + (uint64_t)LV(prog, PyDictKeysObject_dk_indices);
	if (HAS(prog, PyDictKeysObject_dk_log2_index_bytes)) {
		uint8_t log2_index_bytes, kind;
		PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_log2_index_bytes),
				&log2_index_bytes));
		PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_kind), &kind));
		if (log2_index_bytes > 40)
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"dict keys at 0x%llx are corrupted",
				(unsigned long long)keys);
		kv->entries = indices + (1ull << log2_index_bytes);
		if (kind == LV(prog, DICT_KEYS_GENERAL)) {
			kv->entry_size = (size_t)LV(prog, PyDictKeyEntry);
			kv->key_off = (size_t)LV(prog, PyDictKeyEntry_me_key);
			kv->value_off = (size_t)LV(prog, PyDictKeyEntry_me_value);
		} else {
			kv->entry_size = (size_t)LV(prog, PyDictUnicodeEntry);
			kv->key_off = (size_t)LV(prog, PyDictUnicodeEntry_me_key);
			kv->value_off = (size_t)LV(prog, PyDictUnicodeEntry_me_value);
		}
	} else {
		int64_t size;
		PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_size), &size));
		if (size <= 0 || size > (1ll << 40) || (size & (size - 1)))
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"dict keys at 0x%llx have an impossible size %lld",
				(unsigned long long)keys, (long long)size);
		uint64_t ib = size <= 0xff ? 1 : size <= 0xffff ? 2
			    : size <= 0xffffffffll ? 4 : 8;
		kv->entries = indices + (uint64_t)size * ib;
		kv->entry_size = (size_t)LV(prog, PyDictKeyEntry);
		kv->key_off = (size_t)LV(prog, PyDictKeyEntry_me_key);
		kv->value_off = (size_t)LV(prog, PyDictKeyEntry_me_value);
	}
	return NULL;
}

/* Entries are read this many at a time: a repr that shows ten items of
 * a dict of ten million reads one piece of it. */
#define ENTRY_CHUNK 2048

/* Entries [first, first + n) of a keys object, and with values_array the
 * values of the same slots. */
static struct pyx_error *read_entries(struct pyx_program *prog, const struct keys_view *kv,
				      int64_t first, size_t n, uint8_t *entries,
				      uint64_t values_array, uint64_t *values)
{
	PYX_TRY(pyx_target_read(prog->target, kv->entries + (uint64_t)first * kv->entry_size,
				entries, n * kv->entry_size));
	if (values_array)
		PYX_TRY(pyx_target_read(prog->target, values_array + (uint64_t)first * 8,
					values, n * 8));
	return NULL;
}

static uint64_t entry_word(const uint8_t *entries, const struct keys_view *kv,
			   int64_t i, size_t off)
{
	uint64_t v;
	memcpy(&v, entries + (size_t)i * kv->entry_size + off, 8);
	return v;
}

/* Visit a keys object's entries in order, a chunk at a time; the values
 * are in the entries, or (split tables, inline values) in values_array. */
static struct pyx_error *iterate_entries(struct pyx_program *prog, uint64_t keys,
					 uint64_t values_array, dict_visit_fn visit,
					 void *arg)
{
	struct keys_view kv;
	PYX_TRY(keys_view(prog, keys, &kv));
	size_t room = kv.nentries < ENTRY_CHUNK ? (size_t)kv.nentries + 1 : ENTRY_CHUNK;
	uint8_t *entries = malloc(room * kv.entry_size);
	uint64_t *values = values_array ? malloc(room * 8) : NULL;
	struct pyx_error *err = entries && (values || !values_array) ? NULL : pyx_error_no_memory();
	bool stop = false;
	for (int64_t first = 0; !err && !stop && first < kv.nentries; first += ENTRY_CHUNK) {
		size_t n = kv.nentries - first < ENTRY_CHUNK ? (size_t)(kv.nentries - first)
							     : ENTRY_CHUNK;
		err = read_entries(prog, &kv, first, n, entries, values_array, values);
		for (size_t i = 0; !err && !stop && i < n; i++) {
			uint64_t key = entry_word(entries, &kv, (int64_t)i, kv.key_off);
			uint64_t value = values_array ? values[i]
				: entry_word(entries, &kv, (int64_t)i, kv.value_off);
			stop = key && value && visit(arg, key, value);
		}
	}
	free(entries);
	free(values);
	return err;
}

/* Iterate a keys object whose values live in a separate array (split
 * tables and inline values).  order/norder give the insertion order when
 * the version keeps one (3.11+: byte indices, so below 256); otherwise
 * entry order is insertion order. */
static struct pyx_error *iterate_split(struct pyx_program *prog, uint64_t keys,
				       uint64_t values_array, const uint8_t *order,
				       size_t norder, dict_visit_fn visit, void *arg)
{
	if (!order)
		return iterate_entries(prog, keys, values_array, visit, arg);
	struct keys_view kv;
	PYX_TRY(keys_view(prog, keys, &kv));
	size_t n = kv.nentries < 256 ? (size_t)kv.nentries : 256;
	uint8_t *entries = malloc((n ? n : 1) * kv.entry_size);
	uint64_t values[256];
	struct pyx_error *err = entries ? NULL : pyx_error_no_memory();
	if (!err)
		err = read_entries(prog, &kv, 0, n, entries, values_array, values);
	for (size_t j = 0; !err && j < norder; j++) {
		size_t i = order[j];
		if (i >= n)
			continue;
		uint64_t key = entry_word(entries, &kv, (int64_t)i, kv.key_off);
		if (key && values[i] && visit(arg, key, values[i]))
			break;
	}
	free(entries);
	return err;
}

/* The insertion-order bytes kept before (3.11, 3.12) or after (3.13) a
 * split table's values. */
static struct pyx_error *split_order(struct pyx_program *prog, uint64_t values,
				     uint8_t **order, size_t *n)
{
	*order = NULL;
	*n = 0;
	if (prog->minor < 11)
		return NULL;
	uint8_t buf[256];
	if (prog->minor <= 12) {
		/* values[-1]: prefix size, values[-2]: used, values[-3-i]: order */
		uint8_t used;
		PYX_TRY(read_u8(prog, values - 2, &used));
		if (used == 0)
			return NULL;
		PYX_TRY(pyx_target_read(prog->target, values - 2 - used, buf, used));
		uint8_t *o = malloc(used);
		if (!o)
			return pyx_error_no_memory();
		for (size_t i = 0; i < used; i++)
			o[i] = buf[used - 1 - i];
		*order = o;
		*n = used;
		return NULL;
	}
	uint8_t capacity, size;
	PYX_TRY(read_u8(prog, values + LV(prog, PyDictValues_capacity), &capacity));
	PYX_TRY(read_u8(prog, values + LV(prog, PyDictValues_size), &size));
	if (size == 0 || size > capacity)
		return NULL;
	uint8_t *o = malloc(size);
	if (!o)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(prog->target,
		values + LV(prog, PyDictValues_values) + 8ull * capacity, o, size);
	if (err) {
		free(o);
		return err;
	}
	*order = o;
	*n = size;
	return NULL;
}

static struct pyx_error *iterate_values(struct pyx_program *prog, uint64_t keys,
					uint64_t values, dict_visit_fn visit, void *arg)
{
	uint8_t *order;
	size_t norder;
	struct pyx_error *err = split_order(prog, values, &order, &norder);
	if (err) {
		pyx_error_destroy(err);
		order = NULL;
	}
	uint64_t array = values;
	if (prog->minor >= 11)
		array += (uint64_t)LV(prog, PyDictValues_values);
	err = iterate_split(prog, keys, array, order, norder, visit, arg);
	free(order);
	return err;
}

struct pyx_error *dict_iterate(struct pyx_program *prog, uint64_t dict,
			       dict_visit_fn visit, void *arg)
{
	uint64_t keys, values;
	PYX_TRY(read_ptr(prog, dict + LV(prog, PyDictObject_ma_keys), &keys));
	PYX_TRY(read_ptr(prog, dict + LV(prog, PyDictObject_ma_values), &values));
	if (!keys)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
					"dict at 0x%llx has no keys",
					(unsigned long long)dict);
	if (values)
		return iterate_values(prog, keys, values, visit, arg);
	return iterate_entries(prog, keys, 0, visit, arg);
}

struct pyx_error *dict_used(struct pyx_program *prog, uint64_t dict, int64_t *ret)
{
	return read_i64(prog, dict + LV(prog, PyDictObject_ma_used), ret);
}

struct lookup_ctx {
	struct pyx_program *prog;
	const char *key;
	uint64_t value;
	bool found;
};

static int lookup_visit(void *arg, uint64_t key, uint64_t value)
{
	struct lookup_ctx *c = arg;
	bool eq = false;
	struct object_head h;
	struct pyx_error *err = object_head(c->prog, key, &h);
	if (!err && (h.type_flags & TPF_UNICODE_SUBCLASS))
		err = str_equals(c->prog, key, c->key, &eq);
	pyx_error_destroy(err);
	if (eq) {
		c->value = value;
		c->found = true;
		return 1;
	}
	return 0;
}

struct pyx_error *dict_lookup_str(struct pyx_program *prog, uint64_t dict,
				  const char *key, uint64_t *ret)
{
	struct lookup_ctx c = { prog, key, 0, false };
	PYX_TRY(dict_iterate(prog, dict, lookup_visit, &c));
	if (!c.found)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "no key '%s'", key);
	*ret = c.value;
	return NULL;
}

struct pyx_error *set_used(struct pyx_program *prog, uint64_t set, int64_t *ret)
{
	return read_i64(prog, set + LV(prog, PySetObject_used), ret);
}

struct pyx_error *set_iterate(struct pyx_program *prog, uint64_t set,
			      set_visit_fn visit, void *arg)
{
	int64_t mask;
	uint64_t table;
	PYX_TRY(read_i64(prog, set + LV(prog, PySetObject_mask), &mask));
	PYX_TRY(read_ptr(prog, set + LV(prog, PySetObject_table), &table));
	if (mask < 0 || mask >= MAX_SET_SLOTS || ((mask + 1) & mask))
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"set at 0x%llx has an impossible mask %lld",
			(unsigned long long)set, (long long)mask);
	size_t esize = (size_t)LV(prog, setentry);
	size_t room = mask < ENTRY_CHUNK ? (size_t)mask + 1 : ENTRY_CHUNK;
	uint8_t *buf = malloc(room * esize);
	struct pyx_error *err = buf ? NULL : pyx_error_no_memory();
	bool stop = false;
	for (int64_t first = 0; !err && !stop && first <= mask; first += ENTRY_CHUNK) {
		size_t n = mask + 1 - first < ENTRY_CHUNK ? (size_t)(mask + 1 - first)
							  : ENTRY_CHUNK;
		err = pyx_target_read(prog->target, table + (uint64_t)first * esize, buf,
				      n * esize);
		for (size_t i = 0; !err && !stop && i < n; i++) {
			uint64_t key;
			memcpy(&key, buf + i * esize + LV(prog, setentry_key), 8);
			stop = key && key != prog->wk.set_dummy && visit(arg, key);
		}
	}
	free(buf);
	return err;
}

/* ---- instance attributes ---------------------------------------------- */

static struct pyx_error *dict_pointer(struct pyx_program *prog, uint64_t obj,
				      const struct object_head *h, uint64_t *ret)
{
	*ret = 0;
	int64_t off;
	PYX_TRY(read_i64(prog, h->type + LV(prog, PyTypeObject_tp_dictoffset), &off));
	if (off == 0)
		return NULL;
	if (off < 0) {
		/* From the end of a var-sized object (ints count their size
		 * negative when they are). */
		int64_t basic, item, size, total;
		PYX_TRY(type_sizes(prog, h->type, &basic, &item));
		PYX_TRY(var_size(prog, obj, &size));
		if (size < 0 && size > -MAX_OBJECT_BYTES)
			size = -size;
		PYX_TRY(object_items_size(obj, "ob_size", basic, size, item, &total));
		if (off < -MAX_OBJECT_BYTES)
			return NULL;
		off += (total + 7) & ~7ll;
		if (off < 0 || off > (1ll << 32))
			return NULL;
	}
	return read_ptr(prog, obj + (uint64_t)off, ret);
}

struct pyx_error *instance_attrs_iterate(struct pyx_program *prog, uint64_t obj,
					 const struct object_head *h,
					 dict_visit_fn visit, void *arg)
{
	bool managed = HAS(prog, Py_TPFLAGS_MANAGED_DICT) &&
		       (h->type_flags & (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_DICT));
	if (managed) {
		uint64_t keys;
		PYX_TRY(read_ptr(prog, h->type + LV(prog, PyHeapTypeObject_ht_cached_keys),
				 &keys));
		if (prog->minor == 11) {
			uint64_t values, dict;
			PYX_TRY(read_ptr(prog, obj - 32, &values));
			PYX_TRY(read_ptr(prog, obj - 24, &dict));
			if (values && keys)
				return iterate_values(prog, keys, values, visit, arg);
			if (dict)
				return dict_iterate(prog, dict, visit, arg);
			return NULL;
		}
		if (prog->minor == 12) {
			uint64_t dorv;
			PYX_TRY(read_ptr(prog, obj - 24, &dorv));
			if ((dorv & 1) && keys)
				return iterate_values(prog, keys, dorv + 1, visit, arg);
			if (dorv)
				return dict_iterate(prog, dorv, visit, arg);
			return NULL;
		}
		uint64_t dict;
		PYX_TRY(read_ptr(prog, obj - 24, &dict));
		if (dict)
			return dict_iterate(prog, dict, visit, arg);
		if (HAS(prog, Py_TPFLAGS_INLINE_VALUES) &&
		    (h->type_flags & (uint64_t)LV(prog, Py_TPFLAGS_INLINE_VALUES)) && keys) {
			int64_t basic, item;
			uint8_t valid;
			PYX_TRY(type_sizes(prog, h->type, &basic, &item));
			uint64_t values = obj + (uint64_t)basic;
			PYX_TRY(read_u8(prog, values + LV(prog, PyDictValues_valid), &valid));
			if (valid)
				return iterate_values(prog, keys, values, visit, arg);
		}
		return NULL;
	}
	uint64_t dict;
	PYX_TRY(dict_pointer(prog, obj, h, &dict));
	if (!dict)
		return NULL;
	struct object_head dh;
	PYX_TRY(object_head(prog, dict, &dh));
	if (!(dh.type_flags & TPF_DICT_SUBCLASS))
		return NULL;
	return dict_iterate(prog, dict, visit, arg);
}

struct pyx_error *instance_attr(struct pyx_program *prog, uint64_t obj,
				const char *name, uint64_t *ret)
{
	struct object_head h;
	PYX_TRY(object_head(prog, obj, &h));
	struct lookup_ctx c = { prog, name, 0, false };
	PYX_TRY(instance_attrs_iterate(prog, obj, &h, lookup_visit, &c));
	if (!c.found)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "no attribute '%s'", name);
	*ret = c.value;
	return NULL;
}
