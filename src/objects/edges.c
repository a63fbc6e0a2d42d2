/* edges.c - the references an object holds.
 *
 * Containers are decoded exactly: tuple and list items, dict keys and
 * values (combined and split tables, every key layout), set items,
 * instance attributes (__dict__, 3.11+ managed dicts and values, 3.13
 * inline values, __slots__), frames (locals and value stack), cells,
 * functions, bound methods, types and modules, weak references (their
 * callback), collections.deque (its blocks), the lru_cache wrapper (its
 * links' keys and results).  What a kind's decoder does not know of an
 * object's body - an extension type's fields, a subclass's - is read by
 * the names its type declares (tp_members) and, for the rest, by a
 * conservative scan: each aligned word of the body that points at
 * something shaped like an object counts, labelled by its offset. */
#include <stdlib.h>
#include <string.h>

#include "objects/edges.h"
#include "objects/owned.h"
#include "objects/repr.h"
#include "util/strbuf.h"

#define MAX_BODY_SCAN (64u * 1024u)
#define MAX_ITEMS (1u << 28)

struct emit {
	struct pyx_program *prog;
	edge_visit_fn visit;
	void *arg;
	bool stop;
};

static bool emit(struct emit *em, enum edge_kind kind, uint64_t target,
		 uint64_t aux, uint64_t aux2, const char *name)
{
	if (em->stop || !target)
		return em->stop;
	struct edge e = { kind, target, aux, aux2, name };
	if (em->visit(em->arg, &e))
		em->stop = true;
	return em->stop;
}

/* A word that points at something shaped like an object. */
static bool looks_like_object(struct pyx_program *prog, uint64_t p)
{
	if (p < 4096 || (p & 7) || p >= (1ull << 48))
		return false;
	uint64_t type;
	struct pyx_error *err = read_ptr(prog, p + LV(prog, PyObject_ob_type), &type);
	if (err) {
		pyx_error_destroy(err);
		return false;
	}
	int64_t word;
	err = read_i64(prog, p + LV(prog, PyObject_ob_refcnt), &word);
	int64_t refcnt = err ? 0 : refcount_of(prog, (uint64_t)word);
	if (err || refcnt <= 0 || refcnt > (1ll << 48)) {
		pyx_error_destroy(err);
		return false;
	}
	const struct type_info *ti;
	err = type_info_get(prog, type, &ti);
	pyx_error_destroy(err);
	return !err;
}

static struct pyx_error *field(struct emit *em, uint64_t obj, int64_t off, const char *name)
{
	if (off == PYX_ABSENT)
		return NULL;
	uint64_t v;
	PYX_TRY(read_ptr(em->prog, obj + (uint64_t)off, &v));
	emit(em, EDGE_FIELD, v, 0, 0, name);
	return NULL;
}

static bool skipped(uint64_t off, const uint64_t *skip, size_t nskip)
{
	for (size_t i = 0; i < nskip; i++)
		if (skip[i] == off)
			return true;
	return false;
}

static bool is_member(const struct type_info *ti, uint64_t off)
{
	for (size_t i = 0; ti && i < ti->nslots; i++)
		if (ti->slots[i].offset == off)
			return true;
	return false;
}

/* Scan [obj+from, obj+to) for pointers to objects, but for the offsets
 * in skip and ti's members (read by name), dict and weak reference list
 * (borrowed: a weakref is not owned by its referent). */
static struct pyx_error *scan_type(struct emit *em, uint64_t obj, uint64_t from, uint64_t to,
				   const struct type_info *ti, const uint64_t *skip, size_t nskip)
{
	if (to > MAX_BODY_SCAN)
		to = MAX_BODY_SCAN;
	if (from >= to)
		return NULL;
	size_t n = (size_t)(to - from) / 8;
	uint64_t *words = malloc(n * 8 + 8);
	if (!words)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(em->prog->target, obj + from, words, n * 8);
	for (size_t i = 0; !err && i < n && !em->stop; i++) {
		uint64_t off = from + i * 8;
		if (skipped(off, skip, nskip) || is_member(ti, off) ||
		    (ti && ti->dictoffset > 0 && off == (uint64_t)ti->dictoffset) ||
		    (ti && ti->weaklistoffset > 0 && off == (uint64_t)ti->weaklistoffset) ||
		    !looks_like_object(em->prog, words[i]))
			continue;
		emit(em, EDGE_CONSERVATIVE, words[i], off, 0, NULL);
	}
	free(words);
	return err;
}

static struct pyx_error *scan(struct emit *em, uint64_t obj, uint64_t from, uint64_t to,
			      const uint64_t *skip, size_t nskip)
{
	return scan_type(em, obj, from, to, NULL, skip, nskip);
}

static struct pyx_error *body_size(struct pyx_program *prog, uint64_t obj,
				   const struct type_info *ti, uint64_t *ret)
{
	int64_t size = ti->basicsize;
	if (ti->itemsize) {
		int64_t n;
		PYX_TRY(var_size(prog, obj, &n));
		if (n < -(1 << 24) || n > (1 << 24))
			n = 1 << 24;
		else if (n < 0)
			n = -n;
		size += n * ti->itemsize;
	}
	*ret = size < 0 ? 0 : (uint64_t)size;
	return NULL;
}

/* The items of a list or tuple, read a piece at a time. */
#define ITEM_CHUNK (1u << 16)

static struct pyx_error *sequence(struct emit *em, uint64_t obj, bool is_list)
{
	size_t total = 1;
	for (size_t first = 0; first < total && first < MAX_ITEMS && !em->stop;
	     first += ITEM_CHUNK) {
		uint64_t *items;
		size_t n;
		PYX_TRY(sequence_items_at(em->prog, obj, is_list, first, ITEM_CHUNK, &items,
					  &n, &total));
		for (size_t i = 0; i < n && !em->stop; i++)
			emit(em, EDGE_ITEM, items[i], first + i, 0, NULL);
		free(items);
	}
	return NULL;
}

static int dict_visit(void *arg, uint64_t key, uint64_t value)
{
	struct emit *em = arg;
	emit(em, EDGE_DICT_KEY, key, key, 0, NULL);
	emit(em, EDGE_DICT_VALUE, value, key, 0, NULL);
	return em->stop;
}

static int set_visit(void *arg, uint64_t key)
{
	struct emit *em = arg;
	return emit(em, EDGE_SET_ITEM, key, 0, 0, NULL);
}

static int attr_visit(void *arg, uint64_t key, uint64_t value)
{
	struct emit *em = arg;
	return emit(em, EDGE_ATTR, value, key, 0, NULL);
}

/* Instance attributes: a materialized __dict__ is its own object (the
 * edge goes to it); values kept beside the object are the instance's own
 * references, one per attribute. */
static struct pyx_error *instance_attrs(struct emit *em, uint64_t obj,
					const struct type_info *ti,
					uint64_t *skip, size_t *nskip)
{
	struct pyx_program *prog = em->prog;
	if (ti->managed_dict) {
		uint64_t dict = 0;
		if (prog->minor == 11) {
			uint64_t values;
			PYX_TRY(read_ptr(prog, obj - 32, &values));
			PYX_TRY(read_ptr(prog, obj - 24, &dict));
			if (!dict && values) {
				struct object_head h = { .addr = obj, .type = ti->type,
							 .type_flags = ti->flags };
				return instance_attrs_iterate(prog, obj, &h, attr_visit, em);
			}
		} else if (prog->minor == 12) {
			uint64_t dorv;
			PYX_TRY(read_ptr(prog, obj - 24, &dorv));
			if (dorv & 1) {
				struct object_head h = { .addr = obj, .type = ti->type,
							 .type_flags = ti->flags };
				return instance_attrs_iterate(prog, obj, &h, attr_visit, em);
			}
			dict = dorv;
		} else {
			PYX_TRY(read_ptr(prog, obj - 24, &dict));
			if (!dict && ti->inline_values) {
				struct object_head h = { .addr = obj, .type = ti->type,
							 .type_flags = ti->flags };
				return instance_attrs_iterate(prog, obj, &h, attr_visit, em);
			}
		}
		emit(em, EDGE_FIELD, dict, 0, 0, "__dict__");
		return NULL;
	}
	if (ti->dictoffset) {
		int64_t off = ti->dictoffset;
		if (off < 0) {
			uint64_t size;
			PYX_TRY(body_size(prog, obj, ti, &size));
			off += (int64_t)((size + 7) & ~7ull);
		}
		if (off > 0 && off < (1 << 24)) {
			PYX_TRY(field(em, obj, off, "__dict__"));
			skip[(*nskip)++] = (uint64_t)off;
		}
	}
	return NULL;
}

/* The named members in the part of the body the kind does not decode. */
static struct pyx_error *members(struct emit *em, uint64_t obj, const struct type_info *ti)
{
	for (size_t i = 0; i < ti->nslots && !em->stop; i++) {
		if (ti->slots[i].offset < (uint64_t)ti->known_size)
			continue;
		uint64_t v;
		PYX_TRY(read_ptr(em->prog, obj + ti->slots[i].offset, &v));
		emit(em, EDGE_SLOT, v, 0, 0, ti->slots[i].name);
	}
	return NULL;
}

/* Locals and value stack of a PyFrameObject, 3.8 - 3.10. */
static struct pyx_error *old_frame(struct emit *em, uint64_t frame)
{
	struct pyx_program *prog = em->prog;
	static const struct { enum pyx_layout_id id; const char *name; } fields[] = {
		{ PYX_L_PyFrameObject_f_back, "f_back" },
		{ PYX_L_PyFrameObject_f_code, "f_code" },
		{ PYX_L_PyFrameObject_f_builtins, "f_builtins" },
		{ PYX_L_PyFrameObject_f_globals, "f_globals" },
		{ PYX_L_PyFrameObject_f_locals, "f_locals" },
		{ PYX_L_PyFrameObject_f_trace, "f_trace" },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		PYX_TRY(field(em, frame, prog->layout.v[fields[i].id], fields[i].name));
	uint64_t code;
	PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_code), &code));
	uint64_t tuples[3];
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_varnames), &tuples[0]));
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_cellvars), &tuples[1]));
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_freevars), &tuples[2]));
	int32_t nlocals;
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_nlocals), &nlocals));
	uint64_t base = frame + (uint64_t)LV(prog, PyFrameObject_f_localsplus);
	size_t k = 0;
	for (int g = 0; g < 3 && !em->stop; g++) {
		uint64_t *names = NULL;
		size_t n = 0, total;
		if (tuples[g])
			PYX_TRY(sequence_items(prog, tuples[g], false, 1u << 16, &names, &n, &total));
		if (g == 0 && nlocals >= 0 && (size_t)nlocals < n)
			n = (size_t)nlocals;
		for (size_t i = 0; i < n && !em->stop; i++, k++) {
			uint64_t v;
			struct pyx_error *err = read_ptr(prog, base + 8 * k, &v);
			if (err) {
				free(names);
				return err;
			}
			emit(em, EDGE_LOCAL, v, names[i], code, NULL);
		}
		free(names);
	}
	/* The value stack: its depth is known while the frame is suspended. */
	uint64_t stack, top = 0;
	PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_valuestack), &stack));
	if (HAS(prog, PyFrameObject_f_stacktop)) {
		PYX_TRY(read_ptr(prog, frame + LV(prog, PyFrameObject_f_stacktop), &top));
	} else {
		int32_t depth;
		PYX_TRY(read_i32(prog, frame + LV(prog, PyFrameObject_f_stackdepth), &depth));
		if (depth > 0 && depth < 4096)
			top = stack + 8 * (uint64_t)depth;
	}
	if (stack && top > stack && top - stack < 4096 * 8) {
		for (uint64_t p = stack; p < top && !em->stop; p += 8) {
			uint64_t v;
			PYX_TRY(read_ptr(prog, p, &v));
			if (looks_like_object(prog, v))
				emit(em, EDGE_STACK, v, 0, code, NULL);
		}
	}
	return NULL;
}

/* Locals, value stack and owned references of an interpreter frame. */
static struct pyx_error *interp_frame(struct emit *em, uint64_t iframe)
{
	struct pyx_program *prog = em->prog;
	uint64_t code, func;
	PYX_TRY(iframe_code(prog, iframe, &code));
	emit(em, EDGE_FIELD, code, 0, 0, "f_code");
	PYX_TRY(read_ptr(prog, iframe + LV(prog, _PyInterpreterFrame_func), &func));
	emit(em, EDGE_FIELD, stackref_object(prog, func), 0, 0, "f_func");
	PYX_TRY(field(em, iframe, LV(prog, _PyInterpreterFrame_locals), "f_locals"));
	struct object_head ch;
	struct pyx_error *err = object_head(prog, code, &ch);
	if (err || ch.type != prog->wk.code_type) {
		pyx_error_destroy(err);
		return NULL;
	}
	uint64_t names_t;
	int32_t nlocalsplus;
	int64_t stacksize_off = LV(prog, PyCodeObject_co_stacksize);
	int32_t stacksize = 0;
	int64_t stacktop;
	PYX_TRY(read_ptr(prog, code + LV(prog, PyCodeObject_co_localsplusnames), &names_t));
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_nlocalsplus), &nlocalsplus));
	PYX_TRY(read_i32(prog, code + stacksize_off, &stacksize));
	PYX_TRY(iframe_stack_depth(prog, iframe, &stacktop));
	uint64_t *names = NULL;
	size_t nnames = 0, total;
	if (names_t)
		PYX_TRY(sequence_items(prog, names_t, false, 1u << 16, &names, &nnames, &total));
	uint64_t base = iframe + (uint64_t)LV(prog, _PyInterpreterFrame_localsplus);
	int64_t end = nlocalsplus;
	if (stacktop > nlocalsplus && stacktop <= (int64_t)nlocalsplus + stacksize)
		end = stacktop;
	for (int64_t i = 0; i < end && i < (1 << 16) && !em->stop; i++) {
		uint64_t v;
		err = read_ptr(prog, base + 8 * (uint64_t)i, &v);
		if (err)
			break;
		v = stackref_object(prog, v);
		if (i < nlocalsplus && (size_t)i < nnames)
			emit(em, EDGE_LOCAL, v, names[i], code, NULL);
		else if (i >= nlocalsplus && looks_like_object(prog, v))
			emit(em, EDGE_STACK, v, 0, code, NULL);
	}
	free(names);
	return err;
}

struct pyx_error *code_edges(struct pyx_program *prog, uint64_t code,
			     edge_visit_fn visit, void *arg)
{
	struct emit em = { prog, visit, arg, false };
	static const struct { enum pyx_layout_id id; const char *name; } f[] = {
		{ PYX_L_PyCodeObject_co_consts, "co_consts" },
		{ PYX_L_PyCodeObject_co_names, "co_names" },
		{ PYX_L_PyCodeObject_co_filename, "co_filename" },
		{ PYX_L_PyCodeObject_co_name, "co_name" },
		{ PYX_L_PyCodeObject_co_qualname, "co_qualname" },
		{ PYX_L_PyCodeObject_co_linetable, "co_linetable" },
		{ PYX_L_PyCodeObject_co_lnotab, "co_lnotab" },
		{ PYX_L_PyCodeObject_co_code, "co_code" },
		{ PYX_L_PyCodeObject_co_localsplusnames, "co_localsplusnames" },
		{ PYX_L_PyCodeObject_co_localspluskinds, "co_localspluskinds" },
		{ PYX_L_PyCodeObject_co_varnames, "co_varnames" },
		{ PYX_L_PyCodeObject_co_cellvars, "co_cellvars" },
		{ PYX_L_PyCodeObject_co_freevars, "co_freevars" },
	};
	uint64_t skip[32];
	size_t nskip = 0;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int64_t off = prog->layout.v[f[i].id];
		if (off == PYX_ABSENT)
			continue;
		PYX_TRY(field(&em, code, off, f[i].name));
		skip[nskip++] = (uint64_t)off;
	}
	/* The other header fields (exception table, weakrefs ...)
	 * conservatively; from 3.11 the bytecode follows inline. */
	uint64_t end = HAS(prog, PyCodeObject_co_code_adaptive)
		? (uint64_t)LV(prog, PyCodeObject_co_code_adaptive)
		: (uint64_t)LV(prog, PyCodeObject);
	return scan(&em, code, 16, end, skip, nskip);
}

struct pyx_error *iframe_edges(struct pyx_program *prog, uint64_t iframe,
			       edge_visit_fn visit, void *arg)
{
	struct emit em = { prog, visit, arg, false };
	return interp_frame(&em, iframe);
}

/* collections.deque (objects/owned.h): ob_size items from
 * leftblock->data[leftindex] on. */

static struct pyx_error *deque_items(struct emit *em, uint64_t obj)
{
	struct pyx_program *prog = em->prog;
	int64_t n, index;
	uint64_t block;
	PYX_TRY(var_size(prog, obj, &n));
	PYX_TRY(read_ptr(prog, obj + DEQUE_LEFTBLOCK, &block));
	PYX_TRY(read_i64(prog, obj + DEQUE_LEFTINDEX, &index));
	if (n < 0 || n > (int64_t)MAX_ITEMS || index < 0 || index >= DEQUE_BLOCKLEN)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT, "deque at 0x%llx is "
			"corrupted: %lld items from index %lld", (unsigned long long)obj,
			(long long)n, (long long)index);
	uint64_t words[DEQUE_BLOCKLEN + 2];
	int64_t k = 0, blocks = 0, max_blocks = n / DEQUE_BLOCKLEN + 2;
	while (k < n && !em->stop) {
		if (!block || ++blocks > max_blocks)
			return pyx_error_create(PYX_ERR_INVALID_OBJECT, "deque at 0x%llx "
				"is corrupted: its blocks end after %lld of %lld items",
				(unsigned long long)obj, (long long)k, (long long)n);
		PYX_TRY(pyx_target_read(prog->target, block, words, sizeof(words)));
		for (; index < DEQUE_BLOCKLEN && k < n && !em->stop; index++, k++)
			emit(em, EDGE_ITEM, words[1 + index], (uint64_t)k, 0, NULL);
		block = words[1 + DEQUE_BLOCKLEN];
		index = 0;
	}
	return NULL;
}

/* functools._lru_cache_wrapper (Modules/_functoolsmodule.c): the object
 * starts with the head of a circular list of lru_list_elem {PyObject_HEAD,
 * prev, next, hash, key, result} (the same in 3.8 - 3.15); the wrapper
 * owns each link's key and result, as its tp_traverse says.  (An
 * unbounded cache keeps results in its cache dict, found by the scan.) */
#define LRU_NEXT 24
#define LRU_KEY 40
#define LRU_RESULT 48

static struct pyx_error *lru_entries(struct emit *em, uint64_t obj)
{
	struct pyx_program *prog = em->prog;
	uint64_t link;
	PYX_TRY(read_ptr(prog, obj + LRU_NEXT, &link));
	for (size_t n = 0; link && link != obj && !em->stop; n++) {
		if (n > (1u << 24))
			return pyx_error_create(PYX_ERR_LIMIT, "the lru_cache at 0x%llx "
				"has more than %u links (a corrupted list?)",
				(unsigned long long)obj, 1u << 24);
		uint64_t w[3];
		PYX_TRY(pyx_target_read(prog->target, link + LRU_KEY, w, 16));
		emit(em, EDGE_CACHE_KEY, w[0], 0, 0, NULL);
		emit(em, EDGE_CACHE_RESULT, w[1], w[0], 0, NULL);
		PYX_TRY(read_ptr(prog, link + LRU_NEXT, &link));
	}
	return NULL;
}

static struct pyx_error *kind_edges(struct emit *em, uint64_t obj, const struct type_info *ti,
				    uint64_t *skip, size_t *nskip)
{
	struct pyx_program *prog = em->prog;
	switch (ti->kind) {
	case KIND_TUPLE:
		return sequence(em, obj, false);
	case KIND_LIST:
		return sequence(em, obj, true);
	case KIND_DICT:
		return dict_iterate(prog, obj, dict_visit, em);
	case KIND_SET:
		return set_iterate(prog, obj, set_visit, em);
	case KIND_CELL:
		return field(em, obj, LV(prog, PyCellObject_ob_ref), "cell");
	case KIND_METHOD:
		PYX_TRY(field(em, obj, LV(prog, PyMethodObject_im_func), "__func__"));
		return field(em, obj, LV(prog, PyMethodObject_im_self), "__self__");
	case KIND_MODULE:
		PYX_TRY(field(em, obj, LV(prog, PyModuleObject_md_dict), "__dict__"));
		return field(em, obj, LV(prog, PyModuleObject_md_name), "__name__");
	case KIND_FUNCTION: {
		static const struct { enum pyx_layout_id id; const char *name; } f[] = {
			{ PYX_L_PyFunctionObject_func_code, "__code__" },
			{ PYX_L_PyFunctionObject_func_globals, "__globals__" },
			{ PYX_L_PyFunctionObject_func_builtins, "__builtins__" },
			{ PYX_L_PyFunctionObject_func_name, "__name__" },
			{ PYX_L_PyFunctionObject_func_qualname, "__qualname__" },
			{ PYX_L_PyFunctionObject_func_module, "__module__" },
			{ PYX_L_PyFunctionObject_func_defaults, "__defaults__" },
			{ PYX_L_PyFunctionObject_func_kwdefaults, "__kwdefaults__" },
			{ PYX_L_PyFunctionObject_func_doc, "__doc__" },
			{ PYX_L_PyFunctionObject_func_dict, "__dict__" },
			{ PYX_L_PyFunctionObject_func_closure, "closure" },
		};
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			int64_t off = prog->layout.v[f[i].id];
			if (off == PYX_ABSENT)
				continue;
			PYX_TRY(field(em, obj, off, f[i].name));
			skip[(*nskip)++] = (uint64_t)off;
		}
		/* The rest (annotations, type parameters ...) conservatively. */
		return scan(em, obj, 16, (uint64_t)ti->basicsize, skip, *nskip);
	}
	case KIND_TYPE: {
		static const struct { enum pyx_layout_id id; const char *name; } f[] = {
			{ PYX_L_PyTypeObject_tp_dict, "__dict__" },
			{ PYX_L_PyTypeObject_tp_mro, "__mro__" },
			{ PYX_L_PyTypeObject_tp_bases, "__bases__" },
			{ PYX_L_PyTypeObject_tp_base, "__base__" },
			{ PYX_L_PyTypeObject_tp_subclasses, "__subclasses__" },
			{ PYX_L_PyHeapTypeObject_ht_name, "__name__" },
			{ PYX_L_PyHeapTypeObject_ht_qualname, "__qualname__" },
			{ PYX_L_PyHeapTypeObject_ht_slots, "__slots__" },
			{ PYX_L_PyHeapTypeObject_ht_module, "__module__ (C)" },
		};
		uint64_t own;
		PYX_TRY(type_flags(prog, obj, &own));
		size_t n = (own & TPF_HEAPTYPE) ? sizeof(f) / sizeof(f[0]) : 5;
		for (size_t i = 0; i < n; i++) {
			/* 3.12+ keeps static types' subclasses elsewhere. */
			if (f[i].id == PYX_L_PyTypeObject_tp_subclasses &&
			    (prog->minor >= 12 && !(own & TPF_HEAPTYPE)))
				continue;
			PYX_TRY(field(em, obj, prog->layout.v[f[i].id], f[i].name));
		}
		return NULL;
	}
	case KIND_FRAME:
		if (!HAS(prog, _PyInterpreterFrame))
			return old_frame(em, obj);
		PYX_TRY(field(em, obj, LV(prog, PyFrameObject_f_back), "f_back"));
		PYX_TRY(field(em, obj, LV(prog, PyFrameObject_f_trace), "f_trace"));
		{
			/* The frame object owns its interpreter frame once the
			 * function returned (or for generators' frames). */
			uint64_t iframe;
			PYX_TRY(read_ptr(prog, obj + LV(prog, PyFrameObject_f_frame), &iframe));
			int8_t owner;
			if (iframe) {
				PYX_TRY(pyx_target_read(prog->target, iframe +
					LV(prog, _PyInterpreterFrame_owner), &owner, 1));
				if (owner == LV(prog, FRAME_OWNED_BY_FRAME_OBJECT))
					return interp_frame(em, iframe);
			}
		}
		return NULL;
	case KIND_GEN:
		if (HAS(prog, PyGenObject_gi_iframe)) {
			uint64_t off = (uint64_t)LV(prog, PyGenObject_gi_iframe);
			PYX_TRY(scan(em, obj, 16, off, skip, *nskip));
			return interp_frame(em, obj + off);
		}
		PYX_TRY(field(em, obj, LV(prog, PyGenObject_gi_frame), "gi_frame"));
		skip[(*nskip)++] = (uint64_t)LV(prog, PyGenObject_gi_frame);
		return scan(em, obj, 16, (uint64_t)ti->basicsize, skip, *nskip);
	case KIND_EXCEPTION: {
		static const struct { enum pyx_layout_id id; const char *name; } f[] = {
			{ PYX_L_PyBaseExceptionObject_args, "args" },
			{ PYX_L_PyBaseExceptionObject_traceback, "__traceback__" },
			{ PYX_L_PyBaseExceptionObject_context, "__context__" },
			{ PYX_L_PyBaseExceptionObject_cause, "__cause__" },
		};
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			PYX_TRY(field(em, obj, prog->layout.v[f[i].id], f[i].name));
			skip[(*nskip)++] = (uint64_t)prog->layout.v[f[i].id];
		}
		/* BaseException's other fields (__dict__, __notes__ ...). */
		return scan_type(em, obj, 16, (uint64_t)ti->known_size, ti, skip, *nskip);
	}
	case KIND_STR:
	case KIND_INT:
	case KIND_FLOAT:
	case KIND_BYTES:
	case KIND_CODE:
		return NULL;
	case KIND_INSTANCE:
	case KIND_OTHER:
		return NULL; /* the body is read by rest_of_body() */
	case KIND_WEAKREF:
		/* Weak references do not own their referent: only the callback. */
		return field(em, obj, LV(prog, PyWeakReference_wr_callback), "__callback__");
	case KIND_DEQUE:
		return deque_items(em, obj);
	case KIND_LRU_CACHE:
		return lru_entries(em, obj);
	case KIND_NDARRAY:
		/* What the array is a view of, and its dtype. */
		PYX_TRY(field(em, obj, NDARRAY_BASE, "base"));
		return field(em, obj, NDARRAY_DESCR, "dtype");
	case KIND_ARRAY:
		return NULL;
	}
	return NULL;
}

/* What the kind's decoder does not know: the members named beyond its
 * part, a static type's __dict__, and a scan of the rest (the whole body,
 * items included, of a type pyxray knows nothing of). */
static struct pyx_error *rest_of_body(struct emit *em, uint64_t obj,
				      const struct type_info *ti,
				      const uint64_t *skip, size_t nskip)
{
	uint64_t end = (uint64_t)ti->basicsize;
	if (ti->kind == KIND_OTHER || ti->kind == KIND_INSTANCE)
		PYX_TRY(body_size(em->prog, obj, ti, &end));
	uint64_t from = (uint64_t)ti->known_size;
	if (from >= end)
		return NULL;
	PYX_TRY(members(em, obj, ti));
	if (!ti->heap && ti->dictoffset > 0 && (uint64_t)ti->dictoffset >= from &&
	    (uint64_t)ti->dictoffset + 8 <= end)
		PYX_TRY(field(em, obj, ti->dictoffset, "__dict__"));
	return scan_type(em, obj, from, end, ti, skip, nskip);
}

struct pyx_error *object_edges(struct pyx_program *prog, uint64_t obj,
			       const struct type_info *ti,
			       edge_visit_fn visit, void *arg)
{
	struct emit em = { prog, visit, arg, false };
	uint64_t skip[32];
	size_t nskip = 0;
	/* Heap types: the instance dict first, so that the scan of the
	 * rest of the body can skip it. */
	if (ti->heap && ti->kind != KIND_TYPE)
		PYX_TRY(instance_attrs(&em, obj, ti, skip, &nskip));
	if (!em.stop)
		PYX_TRY(kind_edges(&em, obj, ti, skip, &nskip));
	if (!em.stop)
		PYX_TRY(rest_of_body(&em, obj, ti, skip, nskip));
	/* Instances of heap types own a reference to their type. */
	if (ti->heap && !em.stop)
		emit(&em, EDGE_FIELD, ti->type, 0, 0, "__class__");
	return NULL;
}

/* ---- labels ---------------------------------------------------------------- */

static void put_name(struct pyx_program *prog, uint64_t str, struct strbuf *sb)
{
	char *s = NULL;
	struct pyx_error *err = object_str_utf8(prog, str, 100, &s);
	if (err) {
		pyx_error_destroy(err);
		strbuf_puts(sb, "?");
		return;
	}
	strbuf_puts(sb, s);
	free(s);
}

static void put_code_name(struct pyx_program *prog, uint64_t code, struct strbuf *sb)
{
	uint64_t name = 0;
	int64_t off = HAS(prog, PyCodeObject_co_qualname) ? LV(prog, PyCodeObject_co_qualname)
							    : LV(prog, PyCodeObject_co_name);
	struct pyx_error *err = read_ptr(prog, code + (uint64_t)off, &name);
	pyx_error_destroy(err);
	put_name(prog, name, sb);
	strbuf_puts(sb, "()");
}

void edge_label(struct pyx_program *prog, const struct edge *e,
		const char *holder_kind, struct strbuf *sb)
{
	struct pyx_repr_limits lim = { .max_depth = 1, .max_items = 3, .max_string = 40 };
	switch (e->kind) {
	case EDGE_ITEM:
		strbuf_printf(sb, "%s[%llu]", holder_kind, (unsigned long long)e->aux);
		break;
	case EDGE_DICT_VALUE:
		strbuf_puts(sb, "dict[");
		repr_object(prog, e->aux, &lim, sb);
		strbuf_puts(sb, "]");
		break;
	case EDGE_DICT_KEY:
		strbuf_puts(sb, "dict key");
		break;
	case EDGE_SET_ITEM:
		strbuf_printf(sb, "%s item", holder_kind);
		break;
	case EDGE_ATTR:
		strbuf_puts(sb, ".");
		put_name(prog, e->aux, sb);
		break;
	case EDGE_SLOT:
		strbuf_printf(sb, ".%s", e->name ? e->name : "?");
		break;
	case EDGE_FIELD:
		strbuf_puts(sb, e->name);
		break;
	case EDGE_LOCAL:
		strbuf_puts(sb, "local '");
		put_name(prog, e->aux, sb);
		strbuf_puts(sb, "' in ");
		put_code_name(prog, e->aux2, sb);
		break;
	case EDGE_STACK:
		strbuf_puts(sb, "value stack of ");
		put_code_name(prog, e->aux2, sb);
		break;
	case EDGE_CONSERVATIVE:
		strbuf_printf(sb, "+0x%llx", (unsigned long long)e->aux);
		break;
	case EDGE_CACHE_KEY:
		strbuf_puts(sb, "lru_cache key");
		break;
	case EDGE_CACHE_RESULT:
		strbuf_puts(sb, "lru_cache[");
		repr_object(prog, e->aux, &lim, sb);
		strbuf_puts(sb, "]");
		break;
	}
}
