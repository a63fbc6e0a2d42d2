/* object_size.c - sys.getsizeof() computed from the outside, following
 * each built-in type's __sizeof__ and sys.getsizeof's header rules. */
#include <string.h>

#include "objects/object.h"
#include "objects/owned.h"

/* Types in CPython are at most a few KiB, items at most a few words. */
#define MAX_DICT_KEYS (1ll << 40)
#define MAX_BASICSIZE (1ll << 24)
#define MAX_ITEMSIZE (1ll << 16)

struct pyx_error *type_sizes(struct pyx_program *prog, uint64_t type,
			     int64_t *basic, int64_t *item)
{
	PYX_TRY(read_i64(prog, type + LV(prog, PyTypeObject_tp_basicsize), basic));
	PYX_TRY(read_i64(prog, type + LV(prog, PyTypeObject_tp_itemsize), item));
	if (*basic < 0 || *basic > MAX_BASICSIZE || *item < 0 || *item > MAX_ITEMSIZE) {
		struct pyx_error *err = pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"type 0x%llx is corrupt: tp_basicsize %lld, tp_itemsize %lld",
			(unsigned long long)type, (long long)*basic, (long long)*item);
		err->address = type;
		return err;
	}
	return NULL;
}

struct pyx_error *object_items_size(uint64_t obj, const char *what, int64_t base,
				    int64_t count, int64_t item, int64_t *ret)
{
	if (base < 0 || base > MAX_OBJECT_BYTES || count < 0 || item < 0 ||
	    (item && count > (MAX_OBJECT_BYTES - base) / item)) {
		struct pyx_error *err = pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"object at 0x%llx is corrupt: its %s is %lld",
			(unsigned long long)obj, what, (long long)count);
		err->address = obj;
		return err;
	}
	*ret = base + count * item;
	return NULL;
}

static struct pyx_error *str_sizeof(struct pyx_program *prog, uint64_t addr, int64_t *ret)
{
	uint32_t state;
	int64_t len;
	PYX_TRY(pyx_target_read(prog->target, addr + LV(prog, PyASCIIObject_state), &state, 4));
	PYX_TRY(read_i64(prog, addr + LV(prog, PyASCIIObject_length), &len));
	uint32_t km = (uint32_t)LV(prog, PyASCIIObject_state_kind);
	unsigned kind = (state & km) >> __builtin_ctz(km);
	bool compact = state & (uint32_t)LV(prog, PyASCIIObject_state_compact);
	bool ascii = state & (uint32_t)LV(prog, PyASCIIObject_state_ascii);
	if (len < 0 || len >= MAX_OBJECT_BYTES)
		return object_items_size(addr, "length", 0, -1, 1, ret);
	if (compact && ascii)
		return object_items_size(addr, "length", LV(prog, PyASCIIObject), len + 1, 1, ret);
	uint64_t data;
	if (compact) {
		PYX_TRY(object_items_size(addr, "length", LV(prog, PyCompactUnicodeObject),
					  len + 1, kind, ret));
		data = addr + (uint64_t)LV(prog, PyCompactUnicodeObject);
	} else {
		PYX_TRY(read_ptr(prog, addr + LV(prog, PyUnicodeObject_data), &data));
		PYX_TRY(object_items_size(addr, "length", LV(prog, PyUnicodeObject),
					  data ? len + 1 : 0, kind, ret));
	}
	uint64_t utf8;
	int64_t utf8_len;
	PYX_TRY(read_ptr(prog, addr + LV(prog, PyCompactUnicodeObject_utf8), &utf8));
	if (utf8 && utf8 != data) {
		PYX_TRY(read_i64(prog, addr + LV(prog, PyCompactUnicodeObject_utf8_length),
				 &utf8_len));
		if (utf8_len < 0 || utf8_len >= MAX_OBJECT_BYTES)
			return object_items_size(addr, "utf8_length", 0, -1, 1, ret);
		PYX_TRY(object_items_size(addr, "utf8_length", *ret, utf8_len + 1, 1, ret));
	}
	return NULL;
}

/* _PyDict_KeysSize(): a keys object with its indices and entries. */
static struct pyx_error *keys_size(struct pyx_program *prog, uint64_t keys, int64_t *ret)
{
	if (!HAS(prog, PyDictKeysObject_dk_log2_size)) {
		int64_t size, indices;
		PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_size), &size));
		if (size < 0 || size > MAX_DICT_KEYS)
			return object_items_size(keys, "dk_size", 0, -1, 1, ret);
		int64_t ix = size <= 0xff ? 1 : size <= 0xffff ? 2
			   : size <= 0xffffffffll ? 4 : 8;
		PYX_TRY(object_items_size(keys, "dk_size", LV(prog, PyDictKeysObject),
					  size, ix, &indices));
		return object_items_size(keys, "dk_size", indices, (size << 1) / 3,
					 LV(prog, PyDictKeyEntry), ret);
	}
	uint8_t log2_size, log2_index_bytes, kind;
	PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_log2_size), &log2_size));
	PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_log2_index_bytes),
			&log2_index_bytes));
	PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_kind), &kind));
	if (log2_size > 40 || log2_index_bytes > 43)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"dict keys at 0x%llx are corrupted", (unsigned long long)keys);
	int64_t esize = kind == LV(prog, DICT_KEYS_GENERAL)
		? LV(prog, PyDictKeyEntry) : LV(prog, PyDictUnicodeEntry);
	int64_t size = 1ll << log2_size;
	*ret = LV(prog, PyDictKeysObject) + (1ll << log2_index_bytes) + ((size << 1) / 3) * esize;
	return NULL;
}

/* _PyDict_SizeOf(). */
static struct pyx_error *dict_sizeof(struct pyx_program *prog, uint64_t addr,
				     int64_t basic, int64_t *ret)
{
	uint64_t keys, values;
	int64_t refcnt, nentries, usable;
	PYX_TRY(read_ptr(prog, addr + LV(prog, PyDictObject_ma_keys), &keys));
	PYX_TRY(read_ptr(prog, addr + LV(prog, PyDictObject_ma_values), &values));
	PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_refcnt), &refcnt));
	PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_nentries), &nentries));
	PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_usable), &usable));
	int64_t res = basic;
	if (values) {
		if (!HAS(prog, PyDictKeysObject_dk_log2_size)) {
			int64_t size;
			PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_size), &size));
			if (size < 0 || size > MAX_DICT_KEYS)
				return object_items_size(keys, "dk_size", 0, -1, 1, ret);
			PYX_TRY(object_items_size(addr, "values", res, (size << 1) / 3, 8, &res));
		} else {
			bool embedded = false;
			if (HAS(prog, PyDictValues_embedded)) {
				uint8_t e;
				PYX_TRY(read_u8(prog, values + LV(prog, PyDictValues_embedded), &e));
				embedded = e;
			}
			if (!embedded && (nentries < 0 || usable < 0 ||
					  nentries > MAX_DICT_KEYS || usable > MAX_DICT_KEYS))
				return object_items_size(keys, "dk_nentries + dk_usable", 0, -1, 1, ret);
			if (!embedded)
				PYX_TRY(object_items_size(addr, "values", res, nentries + usable, 8, &res));
		}
	}
	if (refcnt == 1) {
		int64_t ks;
		PYX_TRY(keys_size(prog, keys, &ks));
		res += ks;
	}
	*ret = res;
	return NULL;
}

/* type.__sizeof__(): heap types count their cached instance keys. */
static struct pyx_error *type_sizeof(struct pyx_program *prog, uint64_t type,
				     int64_t *ret)
{
	uint64_t flags;
	PYX_TRY(type_flags(prog, type, &flags));
	if (!(flags & TPF_HEAPTYPE)) {
		*ret = LV(prog, PyTypeObject);
		return NULL;
	}
	*ret = LV(prog, PyHeapTypeObject);
	uint64_t keys;
	PYX_TRY(read_ptr(prog, type + LV(prog, PyHeapTypeObject_ht_cached_keys), &keys));
	if (keys) {
		int64_t ks;
		PYX_TRY(keys_size(prog, keys, &ks));
		*ret += ks;
	}
	return NULL;
}

/* frame.__sizeof__ and generator.__sizeof__: the frame's slots come from
 * its code object.  From 3.11 these are not var-objects, though their
 * types have an itemsize. */
static struct pyx_error *frame_sizeof(struct pyx_program *prog, uint64_t obj, bool gen,
				      int64_t basic, int64_t *ret)
{
	uint64_t code;
	if (HAS(prog, _PyInterpreterFrame)) {
		uint64_t iframe;
		if (gen) {
			iframe = obj + (uint64_t)LV(prog, PyGenObject_gi_iframe);
		} else {
			PYX_TRY(read_ptr(prog, obj + LV(prog, PyFrameObject_f_frame), &iframe));
		}
		PYX_TRY(iframe_code(prog, iframe, &code));
		int32_t nlocalsplus, stacksize;
		PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_nlocalsplus), &nlocalsplus));
		PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_stacksize), &stacksize));
		return object_items_size(code, "co_nlocalsplus + co_stacksize", basic,
					 (int64_t)nlocalsplus + stacksize, 8, ret);
	}
	if (gen) {
		*ret = basic;
		return NULL;
	}
	/* 3.8 - 3.10: one slot is already inside PyFrameObject. */
	PYX_TRY(read_ptr(prog, obj + LV(prog, PyFrameObject_f_code), &code));
	int32_t nlocals, stacksize;
	int64_t ncells = 0, nfrees = 0;
	uint64_t cells, frees;
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_nlocals), &nlocals));
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_stacksize), &stacksize));
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_cellvars), &cells));
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_freevars), &frees));
	if (cells)
		PYX_TRY(var_size(prog, cells, &ncells));
	if (frees)
		PYX_TRY(var_size(prog, frees, &nfrees));
	if (nlocals < 0 || stacksize < 0 || ncells < 0 || nfrees < 0 ||
	    ncells > INT32_MAX || nfrees > INT32_MAX)
		return object_items_size(code, "count of locals, cells and free variables",
					 0, -1, 1, ret);
	return object_items_size(code, "count of locals, cells and free variables",
				 LV(prog, PyFrameObject) - 8,
				 (int64_t)stacksize + nlocals + ncells + nfrees, 8, ret);
}

struct pyx_error *object_size(struct pyx_program *prog, const struct object_head *h,
			      uint64_t *ret)
{
	const struct well_known *wk = &prog->wk;
	const struct type_info *ti = NULL;
	int64_t basic, item, res;
	PYX_TRY(type_sizes(prog, h->type, &basic, &item));
	uint64_t f = h->type_flags;
	if (f & TPF_LONG_SUBCLASS) {
		uint64_t n;
		int sign;
		PYX_TRY(long_digits(prog, h->addr, &n, &sign));
		if (prog->minor >= 11 && n == 0)
			n = 1; /* int.__sizeof__ counts at least one digit */
		res = LV(prog, PyLongObject_ob_digit) + (int64_t)n * LV(prog, digit);
	} else if (f & TPF_UNICODE_SUBCLASS) {
		PYX_TRY(str_sizeof(prog, h->addr, &res));
	} else if (f & TPF_LIST_SUBCLASS) {
		int64_t allocated;
		PYX_TRY(read_i64(prog, h->addr + LV(prog, PyListObject_allocated), &allocated));
		PYX_TRY(object_items_size(h->addr, "allocated", basic, allocated, 8, &res));
	} else if (f & TPF_TYPE_SUBCLASS) {
		PYX_TRY(type_sizeof(prog, h->addr, &res));
	} else if (h->type == wk->bytearray_type ||
		   type_is_subtype(prog, h->type, wk->bytearray_type)) {
		int64_t alloc;
		PYX_TRY(read_i64(prog, h->addr + LV(prog, PyByteArrayObject_ob_alloc), &alloc));
		PYX_TRY(object_items_size(h->addr, "ob_alloc", basic, alloc, 1, &res));
		/* 3.15 keeps the bytes in a bytes object and counts its
		 * header too (not the shared empty one's). */
		if (HAS(prog, PyByteArrayObject_ob_bytes_object) && alloc > 0)
			res += LV(prog, PyBytesObject_ob_sval) + 1;
	} else if (h->type == wk->frame_type) {
		PYX_TRY(frame_sizeof(prog, h->addr, false, basic, &res));
	} else if ((wk->gen_type && h->type == wk->gen_type) ||
		   (wk->coro_type && h->type == wk->coro_type) ||
		   (wk->async_gen_type && h->type == wk->async_gen_type)) {
		PYX_TRY(frame_sizeof(prog, h->addr, true, basic, &res));
	} else if (f & TPF_DICT_SUBCLASS) {
		PYX_TRY(dict_sizeof(prog, h->addr, basic, &res));
	} else if (h->type == wk->set_type || h->type == wk->frozenset_type ||
		   type_is_subtype(prog, h->type, wk->set_type) ||
		   type_is_subtype(prog, h->type, wk->frozenset_type)) {
		uint64_t table;
		int64_t mask;
		PYX_TRY(read_ptr(prog, h->addr + LV(prog, PySetObject_table), &table));
		PYX_TRY(read_i64(prog, h->addr + LV(prog, PySetObject_mask), &mask));
		res = basic;
		if (mask < 0 || mask >= MAX_OBJECT_BYTES)
			return object_items_size(h->addr, "mask", 0, -1, 1, &res);
		if (table != h->addr + (uint64_t)LV(prog, PySetObject_smalltable))
			PYX_TRY(object_items_size(h->addr, "mask + 1", basic, mask + 1,
						  LV(prog, setentry), &res));
	} else if ((ti = type_info_lookup(prog, h->type)) && ti->kind == KIND_NDARRAY) {
		/* numpy's array_sizeof: dimensions and strides, and the data
		 * when the array owns it. */
		struct ndarray_info a;
		PYX_TRY(ndarray_read(prog, h->addr, ti, &a));
		res = basic + (int64_t)a.nd * 16 + (a.owns_data ? (int64_t)a.nbytes : 0);
	} else if (ti && ti->kind == KIND_ARRAY) {
		uint64_t items;
		int64_t allocated, isz;
		PYX_TRY(array_read(prog, h->addr, &items, &allocated, &isz));
		res = basic + allocated * isz;
	} else if (ti && ti->kind == KIND_DEQUE) {
		int64_t blocks;
		PYX_TRY(deque_blocks(prog, h->addr, &blocks));
		res = basic + blocks * DEQUE_BLOCK_SIZE;
	} else {
		res = basic;
		if (item > 0) {
			int64_t size;
			PYX_TRY(var_size(prog, h->addr, &size));
			PYX_TRY(object_items_size(h->addr, "ob_size", res, size, item, &res));
		}
		if (h->type == wk->code_type)
			res = (res + 7) & ~7ll; /* code.__sizeof__: _PyObject_VAR_SIZE */
	}
	/* sys.getsizeof adds what sits before the object: from 3.11 the
	 * type's pre-header (gc head, managed dict/weakref pointers), before
	 * that the gc head of objects the gc may track. */
	if (prog->minor >= 11) {
		if (f & TPF_HAVE_GC)
			res += LV(prog, PyGC_Head);
		uint64_t pre = (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_DICT);
		if (HAS(prog, Py_TPFLAGS_MANAGED_WEAKREF))
			pre |= (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_WEAKREF);
		if (f & pre)
			res += 16;
	} else if (f & TPF_HAVE_GC) {
		bool gc = true;
		if (f & TPF_TYPE_SUBCLASS) {
			uint64_t own_flags;
			PYX_TRY(type_flags(prog, h->addr, &own_flags));
			gc = own_flags & TPF_HEAPTYPE; /* type_is_gc() */
		}
		if (gc)
			res += LV(prog, PyGC_Head);
	}
	*ret = (uint64_t)res;
	return NULL;
}
