/* object_size.c - sys.getsizeof() computed from the outside, following
 * each built-in type's __sizeof__ and sys.getsizeof's header rules. */
#include <string.h>

#include "objects/object.h"
#include "objects/owned.h"

static struct pyx_error *basic_item_size(struct pyx_program *prog, uint64_t type,
					 int64_t *basic, int64_t *item)
{
	PYX_TRY(read_i64(prog, type + LV(prog, PyTypeObject_tp_basicsize), basic));
	return read_i64(prog, type + LV(prog, PyTypeObject_tp_itemsize), item);
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
	if (compact && ascii) {
		*ret = LV(prog, PyASCIIObject) + len + 1;
		return NULL;
	}
	uint64_t data;
	if (compact) {
		*ret = LV(prog, PyCompactUnicodeObject) + (len + 1) * kind;
		data = addr + (uint64_t)LV(prog, PyCompactUnicodeObject);
	} else {
		PYX_TRY(read_ptr(prog, addr + LV(prog, PyUnicodeObject_data), &data));
		*ret = LV(prog, PyUnicodeObject) + (data ? (len + 1) * kind : 0);
	}
	uint64_t utf8;
	int64_t utf8_len;
	PYX_TRY(read_ptr(prog, addr + LV(prog, PyCompactUnicodeObject_utf8), &utf8));
	if (utf8 && utf8 != data) {
		PYX_TRY(read_i64(prog, addr + LV(prog, PyCompactUnicodeObject_utf8_length),
				 &utf8_len));
		*ret += utf8_len + 1;
	}
	return NULL;
}

/* _PyDict_KeysSize(): a keys object with its indices and entries. */
static struct pyx_error *keys_size(struct pyx_program *prog, uint64_t keys, int64_t *ret)
{
	if (!HAS(prog, PyDictKeysObject_dk_log2_size)) {
		int64_t size;
		PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_size), &size));
		int64_t ix = size <= 0xff ? 1 : size <= 0xffff ? 2
			   : size <= 0xffffffffll ? 4 : 8;
		*ret = LV(prog, PyDictKeysObject) + ix * size +
		       LV(prog, PyDictKeyEntry) * ((size << 1) / 3);
		return NULL;
	}
	uint8_t log2_size, log2_index_bytes, kind;
	PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_log2_size), &log2_size));
	PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_log2_index_bytes),
			&log2_index_bytes));
	PYX_TRY(read_u8(prog, keys + LV(prog, PyDictKeysObject_dk_kind), &kind));
	if (log2_size > 40 || log2_index_bytes > 40)
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
			res += ((size << 1) / 3) * 8;
		} else {
			bool embedded = false;
			if (HAS(prog, PyDictValues_embedded)) {
				uint8_t e;
				PYX_TRY(read_u8(prog, values + LV(prog, PyDictValues_embedded), &e));
				embedded = e;
			}
			if (!embedded)
				res += (nentries + usable) * 8;
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
		*ret = basic + ((int64_t)nlocalsplus + stacksize) * 8;
		return NULL;
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
	*ret = LV(prog, PyFrameObject) + (stacksize + nlocals + ncells + nfrees - 1) * 8;
	return NULL;
}

struct pyx_error *object_size(struct pyx_program *prog, const struct object_head *h,
			      uint64_t *ret)
{
	const struct well_known *wk = &prog->wk;
	const struct type_info *ti = NULL;
	int64_t basic, item, res;
	PYX_TRY(basic_item_size(prog, h->type, &basic, &item));
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
		res = basic + allocated * 8;
	} else if (f & TPF_TYPE_SUBCLASS) {
		PYX_TRY(type_sizeof(prog, h->addr, &res));
	} else if (h->type == wk->bytearray_type ||
		   type_is_subtype(prog, h->type, wk->bytearray_type)) {
		int64_t alloc;
		PYX_TRY(read_i64(prog, h->addr + LV(prog, PyByteArrayObject_ob_alloc), &alloc));
		res = basic + alloc;
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
		if (table != h->addr + (uint64_t)LV(prog, PySetObject_smalltable))
			res += (mask + 1) * LV(prog, setentry);
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
			if (size < 0 || size > (1ll << 40) / item)
				return pyx_error_create(PYX_ERR_INVALID_OBJECT,
					"object at 0x%llx has an impossible size %lld",
					(unsigned long long)h->addr, (long long)size);
			res += size * item;
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
