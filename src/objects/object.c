/* object.c - object headers, type objects and their names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects/object.h"

/* Objects larger than this many references are surely garbage. */
#define MAX_REFCNT (1ll << 48)
#define MAX_MRO 256

static bool plausible_pointer(uint64_t p)
{
	return p >= 4096 && (p & 7) == 0 && p < (1ull << 56);
}

struct pyx_error *type_flags(struct pyx_program *prog, uint64_t type, uint64_t *ret)
{
	return read_ptr(prog, type + LV(prog, PyTypeObject_tp_flags), ret);
}

bool object_is_type(struct pyx_program *prog, uint64_t addr)
{
	if (!plausible_pointer(addr))
		return false;
	if (addr == prog->wk.type_type)
		return true;
	/* A type's type is `type`, or a metaclass whose type is `type` (a
	 * metaclass of a metaclass at most once more): follow the chain, so
	 * that pointers which merely look right (a gc header's link, an item
	 * array) are not taken for types. */
	uint64_t meta = addr, flags;
	for (int depth = 0; depth < 4; depth++) {
		struct pyx_error *err = read_ptr(prog, meta + LV(prog, PyObject_ob_type), &meta);
		if (!err && !plausible_pointer(meta))
			return false;
		if (!err && meta == prog->wk.type_type)
			return true;
		if (!err)
			err = type_flags(prog, meta, &flags);
		if (err) {
			pyx_error_destroy(err);
			return false;
		}
		if (!(flags & TPF_TYPE_SUBCLASS))
			return false;
	}
	return false;
}

struct pyx_error *object_head(struct pyx_program *prog, uint64_t addr,
			      struct object_head *ret)
{
	if (!addr)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT, "NULL is not an object");
	if (!plausible_pointer(addr)) {
		struct pyx_error *e = pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"0x%llx is not a PyObject: misaligned or out of range",
			(unsigned long long)addr);
		e->address = addr;
		return e;
	}
	uint64_t hdr[2];
	struct pyx_error *err = pyx_target_read(prog->target, addr, hdr, sizeof(hdr));
	if (err) {
		pyx_error_destroy(err);
		return pyx_error_fault(addr, "0x%llx is not a PyObject: the memory "
				       "is not readable", (unsigned long long)addr);
	}
	int64_t refcnt = refcount_of(prog, hdr[LV(prog, PyObject_ob_refcnt) / 8]);
	uint64_t type = hdr[LV(prog, PyObject_ob_type) / 8];
	struct pyx_error *bad = NULL;
	if (refcnt <= 0 || refcnt > MAX_REFCNT)
		bad = pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"0x%llx is not a live PyObject: its refcount is %lld%s",
			(unsigned long long)addr, (long long)refcnt,
			refcnt == 0 ? " (freed?)" : "");
	else if (!object_is_type(prog, type))
		bad = pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"0x%llx is not a PyObject: its ob_type 0x%llx is not a type",
			(unsigned long long)addr, (unsigned long long)type);
	if (bad) {
		bad->address = addr;
		return bad;
	}
	ret->addr = addr;
	ret->refcnt = refcnt;
	ret->type = type;
	PYX_TRY(type_flags(prog, type, &ret->type_flags));
	return NULL;
}

struct pyx_error *type_tp_name(struct pyx_program *prog, uint64_t type, char **ret)
{
	uint64_t p;
	PYX_TRY(read_ptr(prog, type + LV(prog, PyTypeObject_tp_name), &p));
	if (!p)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
					"type 0x%llx has no tp_name",
					(unsigned long long)type);
	return target_read_cstr(prog->target, p, 256, ret);
}

struct pyx_error *type_dict(struct pyx_program *prog, uint64_t type, uint64_t *ret)
{
	return read_ptr(prog, type + LV(prog, PyTypeObject_tp_dict), ret);
}

struct pyx_error *type_qualified_name(struct pyx_program *prog, uint64_t type,
				      char **ret)
{
	uint64_t flags;
	PYX_TRY(type_flags(prog, type, &flags));
	if (!(flags & TPF_HEAPTYPE))
		return type_tp_name(prog, type, ret);
	/* Heap types: __module__ from the type's dict, and ht_qualname. */
	uint64_t qualname, dict, module = 0;
	char *q = NULL, *m = NULL;
	struct pyx_error *err = read_ptr(prog, type + LV(prog, PyHeapTypeObject_ht_qualname),
					 &qualname);
	if (!err)
		err = object_str_utf8(prog, qualname, 200, &q);
	if (err) {
		pyx_error_destroy(err);
		return type_tp_name(prog, type, ret);
	}
	err = type_dict(prog, type, &dict);
	if (!err && dict)
		err = dict_lookup_str(prog, dict, "__module__", &module);
	if (!err && module)
		err = object_str_utf8(prog, module, 200, &m);
	pyx_error_destroy(err);
	if (!m || strcmp(m, "builtins") == 0) {
		free(m);
		*ret = q;
		return NULL;
	}
	char *s = NULL;
	if (asprintf(&s, "%s.%s", m, q) < 0)
		s = NULL;
	free(m);
	free(q);
	if (!s)
		return pyx_error_no_memory();
	*ret = s;
	return NULL;
}

bool type_is_subtype(struct pyx_program *prog, uint64_t type, uint64_t base)
{
	if (type == base)
		return true;
	uint64_t mro;
	struct pyx_error *err = read_ptr(prog, type + LV(prog, PyTypeObject_tp_mro), &mro);
	if (err || !mro) {
		pyx_error_destroy(err);
		/* No MRO yet: follow tp_base. */
		uint64_t t = type;
		for (int i = 0; t && i < MAX_MRO; i++) {
			if (t == base)
				return true;
			err = read_ptr(prog, t + LV(prog, PyTypeObject_tp_base), &t);
			if (err) {
				pyx_error_destroy(err);
				return false;
			}
		}
		return false;
	}
	int64_t n;
	err = var_size(prog, mro, &n);
	if (err || n < 0 || n > MAX_MRO) {
		pyx_error_destroy(err);
		return false;
	}
	for (int64_t i = 0; i < n; i++) {
		uint64_t t;
		err = read_ptr(prog, mro + LV(prog, PyTupleObject_ob_item) + 8 * (uint64_t)i, &t);
		if (err) {
			pyx_error_destroy(err);
			return false;
		}
		if (t == base)
			return true;
	}
	return false;
}

struct pyx_error *var_size(struct pyx_program *prog, uint64_t addr, int64_t *ret)
{
	return read_i64(prog, addr + LV(prog, PyVarObject_ob_size), ret);
}
