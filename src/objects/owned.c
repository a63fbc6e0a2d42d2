/* owned.c - the buffers an object owns outside its own block, for
 * sys.getsizeof of the types that count them (numpy.ndarray, array.array,
 * deque) and for attributing malloc's chunks to the objects that own
 * them (py-memory). */
#include <string.h>

#include "objects/object.h"
#include "objects/owned.h"
#include "runtime/modules.h"

/* PyArray_Descr's elsize: an int after type_num in numpy 1.x; numpy 2
 * inserted a 64-bit flags word and widened it to npy_intp.  numpy 2 lives
 * in numpy/_core, numpy 1 in numpy/core. */
static struct pyx_error *descr_itemsize(struct pyx_program *prog, uint64_t array_type,
					uint64_t descr, int64_t *ret)
{
	struct pyx_module *m = modules_find_addr(prog->modules, array_type);
	bool numpy2 = m && m->name && strstr(m->name, "/_core/");
	if (numpy2)
		return read_i64(prog, descr + 40, ret);
	int32_t elsize;
	PYX_TRY(read_i32(prog, descr + 32, &elsize));
	*ret = elsize;
	return NULL;
}

struct pyx_error *ndarray_read(struct pyx_program *prog, uint64_t obj,
			       const struct type_info *ti, struct ndarray_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint64_t descr;
	PYX_TRY(read_ptr(prog, obj + NDARRAY_DATA, &ret->data));
	PYX_TRY(read_i32(prog, obj + NDARRAY_ND, &ret->nd));
	PYX_TRY(read_ptr(prog, obj + NDARRAY_DIMENSIONS, &ret->dims));
	PYX_TRY(read_ptr(prog, obj + NDARRAY_DESCR, &descr));
	PYX_TRY(read_i32(prog, obj + NDARRAY_FLAGS, &ret->flags));
	if (ret->nd < 0 || ret->nd > NPY_MAXDIMS_ANY || (ret->nd && !ret->dims) || !descr)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"numpy array at 0x%llx is corrupted: %d dimensions at 0x%llx, dtype 0x%llx",
			(unsigned long long)obj, ret->nd, (unsigned long long)ret->dims,
			(unsigned long long)descr);
	PYX_TRY(descr_itemsize(prog, ti->type, descr, &ret->itemsize));
	int64_t dims[NPY_MAXDIMS_ANY];
	if (ret->nd)
		PYX_TRY(pyx_target_read(prog->target, ret->dims, dims, (size_t)ret->nd * 8));
	if (ret->itemsize < 0 || ret->itemsize > (1 << 30))
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"numpy array at 0x%llx has an impossible item size %lld",
			(unsigned long long)obj, (long long)ret->itemsize);
	uint64_t n = (uint64_t)ret->itemsize;
	for (int32_t i = 0; i < ret->nd; i++) {
		if (dims[i] < 0 || (dims[i] && n > (1ull << 46) / (uint64_t)dims[i]))
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"numpy array at 0x%llx has an impossible shape (dimension %d is %lld)",
				(unsigned long long)obj, i, (long long)dims[i]);
		n *= (uint64_t)dims[i];
	}
	ret->nbytes = n;
	ret->owns_data = ret->flags & NPY_ARRAY_OWNDATA;
	return NULL;
}

struct pyx_error *array_read(struct pyx_program *prog, uint64_t obj, uint64_t *items,
			     int64_t *allocated, int64_t *itemsize)
{
	uint64_t descr;
	int32_t isz;
	PYX_TRY(read_ptr(prog, obj + 24, items));
	PYX_TRY(read_i64(prog, obj + 32, allocated));
	PYX_TRY(read_ptr(prog, obj + 40, &descr));
	PYX_TRY(read_i32(prog, descr + 4, &isz));
	if (*allocated < 0 || isz <= 0 || isz > 16 || *allocated > (1ll << 46) / isz)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"array.array at 0x%llx is corrupted: %lld items of %d bytes",
			(unsigned long long)obj, (long long)*allocated, isz);
	*itemsize = isz;
	return NULL;
}

struct pyx_error *deque_blocks(struct pyx_program *prog, uint64_t obj, int64_t *ret)
{
	int64_t n, index;
	PYX_TRY(var_size(prog, obj, &n));
	PYX_TRY(read_i64(prog, obj + DEQUE_LEFTINDEX, &index));
	if (n < 0 || n > (1ll << 40) || index < 0 || index >= DEQUE_BLOCKLEN)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT, "deque at 0x%llx is "
			"corrupted: %lld items from index %lld", (unsigned long long)obj,
			(long long)n, (long long)index);
	*ret = (index + n + DEQUE_BLOCKLEN) / DEQUE_BLOCKLEN;
	return NULL;
}

static struct pyx_error *dict_buffers(struct pyx_program *prog, uint64_t obj,
				      buffer_visit_fn visit, void *arg, bool *stop)
{
	uint64_t keys, values;
	int64_t refcnt;
	PYX_TRY(read_ptr(prog, obj + LV(prog, PyDictObject_ma_keys), &keys));
	PYX_TRY(read_ptr(prog, obj + LV(prog, PyDictObject_ma_values), &values));
	if (keys) {
		PYX_TRY(read_i64(prog, keys + LV(prog, PyDictKeysObject_dk_refcnt), &refcnt));
		/* Shared keys belong to the class; the static empty keys to
		 * no one. */
		if (refcnt == 1 && (*stop = visit(arg, keys)))
			return NULL;
	}
	if (values) {
		if (HAS(prog, PyDictValues_embedded)) {
			uint8_t e;
			PYX_TRY(read_u8(prog, values + LV(prog, PyDictValues_embedded), &e));
			if (e)
				return NULL;
		}
		*stop = visit(arg, values);
	}
	return NULL;
}

static struct pyx_error *deque_buffers(struct pyx_program *prog, uint64_t obj,
				       buffer_visit_fn visit, void *arg)
{
	int64_t nblocks;
	uint64_t block;
	PYX_TRY(deque_blocks(prog, obj, &nblocks));
	PYX_TRY(read_ptr(prog, obj + DEQUE_LEFTBLOCK, &block));
	for (int64_t i = 0; i < nblocks && block; i++) {
		if (visit(arg, block))
			return NULL;
		PYX_TRY(read_ptr(prog, block + (DEQUE_BLOCKLEN + 1) * 8, &block));
	}
	return NULL;
}

static struct pyx_error *str_buffers(struct pyx_program *prog, uint64_t obj,
				     buffer_visit_fn visit, void *arg)
{
	uint32_t state;
	PYX_TRY(pyx_target_read(prog->target, obj + LV(prog, PyASCIIObject_state), &state, 4));
	bool compact = state & (uint32_t)LV(prog, PyASCIIObject_state_compact);
	bool ascii = state & (uint32_t)LV(prog, PyASCIIObject_state_ascii);
	if (compact && ascii)
		return NULL;
	uint64_t data = 0, utf8;
	if (!compact) {
		PYX_TRY(read_ptr(prog, obj + LV(prog, PyUnicodeObject_data), &data));
		if (data && visit(arg, data))
			return NULL;
	}
	PYX_TRY(read_ptr(prog, obj + LV(prog, PyCompactUnicodeObject_utf8), &utf8));
	if (utf8 && utf8 != data && utf8 != obj + (uint64_t)LV(prog, PyASCIIObject))
		visit(arg, utf8);
	return NULL;
}

struct pyx_error *object_buffers(struct pyx_program *prog, uint64_t obj,
				 const struct type_info *ti, buffer_visit_fn visit, void *arg)
{
	const struct well_known *wk = &prog->wk;
	uint64_t p;
	int64_t n;
	bool stop = false;
	switch (ti->kind) {
	case KIND_LIST:
		PYX_TRY(read_ptr(prog, obj + LV(prog, PyListObject_ob_item), &p));
		if (p)
			visit(arg, p);
		return NULL;
	case KIND_DICT:
		return dict_buffers(prog, obj, visit, arg, &stop);
	case KIND_SET:
		PYX_TRY(read_ptr(prog, obj + LV(prog, PySetObject_table), &p));
		if (p && p != obj + (uint64_t)LV(prog, PySetObject_smalltable))
			visit(arg, p);
		return NULL;
	case KIND_STR:
		return str_buffers(prog, obj, visit, arg);
	case KIND_DEQUE:
		return deque_buffers(prog, obj, visit, arg);
	case KIND_ARRAY: {
		int64_t isz;
		PYX_TRY(array_read(prog, obj, &p, &n, &isz));
		if (p)
			visit(arg, p);
		return NULL;
	}
	case KIND_NDARRAY: {
		struct ndarray_info a;
		PYX_TRY(ndarray_read(prog, obj, ti, &a));
		if (a.dims && visit(arg, a.dims))
			return NULL;
		if (a.owns_data && a.data)
			visit(arg, a.data);
		return NULL;
	}
	default:
		break;
	}
	if (wk->bytearray_type && (ti->type == wk->bytearray_type ||
				   type_is_subtype(prog, ti->type, wk->bytearray_type))) {
		int64_t field = HAS(prog, PyByteArrayObject_ob_bytes_object)
			? LV(prog, PyByteArrayObject_ob_bytes_object)
			: LV(prog, PyByteArrayObject_ob_bytes);
		PYX_TRY(read_ptr(prog, obj + (uint64_t)field, &p));
		if (p)
			visit(arg, p);
	}
	return NULL;
}
