/* make_seeds.c - the starting inputs of the fuzzers.
 *
 *   make-seeds DIR
 *
 * writes DIR/core/ (core files, written with the unit tests' writer,
 * tests/unit/synthetic_core.c: every note type, several segments, NT_FILE
 * maps, truncated and odd ones, and one mapping this machine's CPython
 * when there is one) and DIR/decoders/ (a memory image per layout table,
 * see fuzz_image.h: objects of every kind, dicts of every key layout the
 * version has, a thread with a chain of frames, the gc lists, pymalloc's
 * arenas and pools).  Images are built from the layout tables themselves,
 * so every version gets objects laid out as that version lays them out.
 * The seeds are generated, not committed: make fuzz writes them. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_image.h"
#include "objects/object.h"
#include "runtime/layout.h"
#include "synthetic_core.h"

/* ---- the image -------------------------------------------------------------- */

#define IMG_CAP (512u << 10)

static const struct pyx_layout *L;
static uint8_t *img;
static size_t used;
static struct fuzz_directory *dir;
static struct well_known wk;

#define F(id) (L->v[PYX_L_##id])
#define H(id) (F(id) != PYX_ABSENT)
#define U(id) ((uint64_t)F(id))

static uint8_t *at(uint64_t addr)
{
	if (addr < FUZZ_IMAGE_BASE || addr >= FUZZ_IMAGE_BASE + IMG_CAP) {
		fprintf(stderr, "make-seeds: 0x%llx is outside the image\n",
			(unsigned long long)addr);
		exit(1);
	}
	return img + (addr - FUZZ_IMAGE_BASE);
}

static uint64_t alloc_aligned(size_t n, size_t align)
{
	used = (used + align - 1) & ~(align - 1);
	if (used + n > IMG_CAP) {
		fprintf(stderr, "make-seeds: the image is full\n");
		exit(1);
	}
	uint64_t a = FUZZ_IMAGE_BASE + used;
	used += n;
	return a;
}

static uint64_t alloc(size_t n)
{
	return alloc_aligned(n, 16);
}

static void w64(uint64_t a, uint64_t v) { memcpy(at(a), &v, 8); }
static void w32(uint64_t a, uint32_t v) { memcpy(at(a), &v, 4); }
static void w16(uint64_t a, uint16_t v) { memcpy(at(a), &v, 2); }
static void w8(uint64_t a, uint8_t v) { *at(a) = v; }
static uint64_t r64(uint64_t a) { uint64_t v; memcpy(&v, at(a), 8); return v; }

/* A field that this version has. */
#define SET64(obj, id, v) do { if (H(id)) w64((obj) + U(id), (v)); } while (0)
#define SET32(obj, id, v) do { if (H(id)) w32((obj) + U(id), (v)); } while (0)

static uint64_t cstring(const char *s)
{
	uint64_t a = alloc(strlen(s) + 1);
	memcpy(at(a), s, strlen(s) + 1);
	return a;
}

/* ---- objects and the gc lists ---------------------------------------------- */

#define MAX_GC 4096
static uint64_t gc_objs[4][MAX_GC];   /* per generation, 3 = permanent */
static size_t ngc[4];

/* A PyObject of size bytes; a gc object gets its PyGC_Head (and, with
 * pre, the two words of a managed dict and weakref before it), and joins
 * generation gen (-1: untracked). */
static uint64_t new_obj(uint64_t type, size_t size, bool gc, bool pre, int gen)
{
	size_t head = (gc ? (size_t)F(PyGC_Head) : 0) + (pre ? 16 : 0);
	uint64_t a = alloc(head + size) + head;
	w64(a + U(PyObject_ob_refcnt), 1);
	w64(a + U(PyObject_ob_type), type);
	if (gc && gen >= 0 && ngc[gen] < MAX_GC)
		gc_objs[gen][ngc[gen]++] = a;
	return a;
}

static void set_size(uint64_t o, int64_t n)
{
	w64(o + U(PyVarObject_ob_size), (uint64_t)n);
}

/* Link each generation's objects into its circular list, both ways. */
static void link_gc(uint64_t state)
{
	for (int g = 0; g < 4; g++) {
		uint64_t ga = g == 3 ? state + U(_gc_runtime_state_permanent_generation)
				     : state + U(_gc_runtime_state_generations) +
				       (uint64_t)g * U(gc_generation);
		uint64_t head = ga + U(gc_generation_head);
		uint64_t prev = head;
		for (size_t i = 0; i < ngc[g]; i++) {
			uint64_t gh = gc_objs[g][i] - U(PyGC_Head);
			w64(prev + U(PyGC_Head_gc_next), gh);
			w64(gh + U(PyGC_Head_gc_prev), prev);
			prev = gh;
		}
		w64(prev + U(PyGC_Head_gc_next), head);
		w64(head + U(PyGC_Head_gc_prev), prev);
		if (g < 3) {
			w32(ga + U(gc_generation_count), (uint32_t)ngc[g]);
			w32(ga + U(gc_generation_threshold), g ? 10 : 700);
		}
	}
	SET64(state, _gc_runtime_state_long_lived_total, ngc[2]);
	w32(state + U(_gc_runtime_state_enabled), 1);
}

/* ---- types ------------------------------------------------------------------ */

/* A type object; extra bytes follow it (a heap type's __slots__). */
static uint64_t new_type_extra(const char *name, uint64_t flags, int64_t basic,
			       int64_t item, size_t extra)
{
	bool heap = flags & TPF_HEAPTYPE;
	uint64_t t = new_obj(wk.type_type,
			     (size_t)(heap ? F(PyHeapTypeObject) : F(PyTypeObject)) + extra,
			     heap, false, heap ? 2 : -1);
	if (!wk.type_type) {
		wk.type_type = t;
		w64(t + U(PyObject_ob_type), t);
	}
	w64(t + U(PyObject_ob_refcnt), 100);
	w64(t + U(PyTypeObject_tp_name), cstring(name));
	w64(t + U(PyTypeObject_tp_flags), flags);
	w64(t + U(PyTypeObject_tp_basicsize), (uint64_t)basic);
	w64(t + U(PyTypeObject_tp_itemsize), (uint64_t)item);
	return t;
}

static uint64_t new_type(const char *name, uint64_t flags, int64_t basic, int64_t item)
{
	return new_type_extra(name, flags, basic, item, 0);
}

/* ---- ints, strs, bytes, floats ------------------------------------------- */

static uint64_t new_int(int64_t v)
{
	uint32_t d[3];
	size_t n = 0;
	uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	for (; m; m >>= 30)
		d[n++] = (uint32_t)(m & 0x3fffffff);
	uint64_t o = new_obj(wk.long_type, (size_t)F(PyLongObject_ob_digit) + 4 * (n ? n : 1),
			     false, false, -1);
	if (H(PyLongObject_lv_tag)) {
		uint64_t sign = v > 0 ? 0 : v == 0 ? 1 : 2;
		w64(o + U(PyLongObject_lv_tag), ((uint64_t)n << F(_PyLong_NON_SIZE_BITS)) | sign);
	} else {
		set_size(o, v < 0 ? -(int64_t)n : (int64_t)n);
	}
	for (size_t i = 0; i < n; i++)
		w32(o + U(PyLongObject_ob_digit) + 4 * i, d[i]);
	return o;
}

static uint32_t str_state(unsigned kind, bool compact, bool ascii)
{
	uint32_t km = (uint32_t)F(PyASCIIObject_state_kind);
	uint32_t s = (kind << __builtin_ctz(km)) & km;
	if (compact)
		s |= (uint32_t)F(PyASCIIObject_state_compact);
	if (ascii)
		s |= (uint32_t)F(PyASCIIObject_state_ascii);
	if (H(PyASCIIObject_state_ready))
		s |= (uint32_t)F(PyASCIIObject_state_ready);
	return s;
}

static uint64_t new_str(const char *s)
{
	size_t n = strlen(s);
	uint64_t o = new_obj(wk.unicode_type, (size_t)F(PyASCIIObject) + n + 1, false, false, -1);
	w64(o + U(PyASCIIObject_length), n);
	w64(o + U(PyASCIIObject_hash), (uint64_t)-1);
	w32(o + U(PyASCIIObject_state), str_state(1, true, true));
	memcpy(at(o + U(PyASCIIObject)), s, n + 1);
	return o;
}

static void put_cp(uint64_t data, unsigned kind, size_t i, uint32_t c)
{
	if (kind == 1)
		w8(data + i, (uint8_t)c);
	else if (kind == 2)
		w16(data + 2 * i, (uint16_t)c);
	else
		w32(data + 4 * i, c);
}

/* A str of kind 1, 2 or 4 that is not ASCII: compact, or (up to 3.11) a
 * legacy string whose characters are elsewhere. */
static uint64_t new_str_kind(unsigned kind, const uint32_t *cps, size_t n, bool compact)
{
	size_t size = compact ? (size_t)F(PyCompactUnicodeObject) + (n + 1) * kind
			      : (size_t)F(PyUnicodeObject);
	uint64_t o = new_obj(wk.unicode_type, size, false, false, -1);
	w64(o + U(PyASCIIObject_length), n);
	w64(o + U(PyASCIIObject_hash), (uint64_t)-1);
	w32(o + U(PyASCIIObject_state), str_state(kind, compact, false));
	uint64_t data = compact ? o + U(PyCompactUnicodeObject) : alloc((n + 1) * kind);
	if (!compact)
		w64(o + U(PyUnicodeObject_data), data);
	for (size_t i = 0; i < n; i++)
		put_cp(data, kind, i, cps[i]);
	return o;
}

static uint64_t new_bytes(const void *b, size_t n)
{
	uint64_t o = new_obj(wk.bytes_type, (size_t)F(PyBytesObject_ob_sval) + n + 1, false,
			     false, -1);
	set_size(o, (int64_t)n);
	w64(o + U(PyBytesObject_ob_shash), (uint64_t)-1);
	memcpy(at(o + U(PyBytesObject_ob_sval)), b, n);
	return o;
}

static uint64_t new_float(double v)
{
	uint64_t o = new_obj(wk.float_type, (size_t)F(PyFloatObject), false, false, -1);
	memcpy(at(o + U(PyFloatObject_ob_fval)), &v, 8);
	return o;
}

/* ---- containers ------------------------------------------------------------- */

static uint64_t new_tuple_gen(size_t n, const uint64_t *items, int gen)
{
	uint64_t o = new_obj(wk.tuple_type, (size_t)F(PyTupleObject_ob_item) + 8 * (n ? n : 1),
			     true, false, gen);
	set_size(o, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		w64(o + U(PyTupleObject_ob_item) + 8 * i, items[i]);
	return o;
}

static uint64_t new_tuple(size_t n, const uint64_t *items)
{
	return new_tuple_gen(n, items, 2);
}

static uint64_t new_list_of(uint64_t type, size_t n, const uint64_t *items, int gen)
{
	uint64_t o = new_obj(type, (size_t)F(PyListObject), true, false, gen);
	uint64_t arr = n ? alloc(8 * n) : 0;
	set_size(o, (int64_t)n);
	w64(o + U(PyListObject_ob_item), arr);
	w64(o + U(PyListObject_allocated), n);
	for (size_t i = 0; i < n; i++)
		w64(arr + 8 * i, items[i]);
	return o;
}

static uint64_t new_list(size_t n, const uint64_t *items)
{
	return new_list_of(wk.list_type, n, items, 0);
}

/* A keys object for n entries (a zero key: a deleted entry).  kind: 0
 * general (hash, key, value), 1 unicode (key, value), 2 split (keys only);
 * up to 3.10 every entry is general and kind 2 leaves values out. */
static uint64_t new_keys(size_t n, const uint64_t *keys, const uint64_t *values, int kind)
{
	const unsigned log2_size = 3;
	bool modern = H(PyDictKeysObject_dk_log2_size);
	bool general = !modern || kind == 0;
	size_t esize = (size_t)(general ? F(PyDictKeyEntry) : F(PyDictUnicodeEntry));
	size_t koff = (size_t)(general ? F(PyDictKeyEntry_me_key) : F(PyDictUnicodeEntry_me_key));
	size_t voff = (size_t)(general ? F(PyDictKeyEntry_me_value)
				       : F(PyDictUnicodeEntry_me_value));
	size_t nindex = 1u << log2_size;
	uint64_t k = alloc((size_t)F(PyDictKeysObject) + nindex + 5 * esize);
	w64(k + U(PyDictKeysObject_dk_refcnt), 1);
	if (modern) {
		w8(k + U(PyDictKeysObject_dk_log2_size), log2_size);
		w8(k + U(PyDictKeysObject_dk_log2_index_bytes), log2_size);
		w8(k + U(PyDictKeysObject_dk_kind), (uint8_t)kind);
	} else {
		w64(k + U(PyDictKeysObject_dk_size), nindex);
	}
	w64(k + U(PyDictKeysObject_dk_usable), 5 - n);
	w64(k + U(PyDictKeysObject_dk_nentries), n);
	uint64_t indices = k + U(PyDictKeysObject_dk_indices);
	for (unsigned i = 0; i < nindex; i++)
		w8(indices + i, i < n ? (uint8_t)i : 0xff);
	uint64_t entries = indices + nindex;
	for (size_t i = 0; i < n; i++) {
		if (general && H(PyDictKeyEntry_me_hash))
			w64(entries + i * esize + U(PyDictKeyEntry_me_hash), i * 7919);
		w64(entries + i * esize + koff, keys[i]);
		if (kind != 2 && keys[i])
			w64(entries + i * esize + voff, values[i]);
	}
	return k;
}

static uint64_t new_dict_of(uint64_t type, size_t n, const uint64_t *keys,
			    const uint64_t *values, int kind, int gen)
{
	uint64_t d = new_obj(type, (size_t)F(PyDictObject), true, false, gen);
	size_t live = 0;
	for (size_t i = 0; i < n; i++)
		live += keys[i] != 0;
	w64(d + U(PyDictObject_ma_used), live);
	w64(d + U(PyDictObject_ma_keys), new_keys(n, keys, values, kind));
	return d;
}

static uint64_t new_dict(size_t n, const uint64_t *keys, const uint64_t *values)
{
	return new_dict_of(wk.dict_type, n, keys, values, H(PyDictKeysObject_dk_kind) ? 1 : 0, 1);
}

/* The values of a split table, in this version's shape: a plain array
 * (up to 3.10), the 3.11/3.12 array with its insertion order in the bytes
 * before it, or the 3.13 PyDictValues (capacity, size, embedded, valid,
 * values[], then the order). */
static uint64_t new_split_values(size_t n, const uint64_t *values)
{
	if (!H(PyDictKeysObject_dk_kind)) {
		uint64_t v = alloc(8 * n);
		for (size_t i = 0; i < n; i++)
			w64(v + 8 * i, values[i]);
		return v;
	}
	if (!H(PyDictValues_capacity)) {
		size_t prefix = (n + 2 + 7) & ~(size_t)7;
		uint64_t v = alloc(prefix + 8 * n) + prefix;
		w8(v - 1, (uint8_t)prefix);
		w8(v - 2, (uint8_t)n);
		for (size_t i = 0; i < n; i++) {
			w8(v - 3 - i, (uint8_t)i);
			w64(v + U(PyDictValues_values) + 8 * i, values[i]);
		}
		return v;
	}
	uint64_t v = alloc((size_t)F(PyDictValues_values) + 9 * n);
	w8(v + U(PyDictValues_capacity), (uint8_t)n);
	w8(v + U(PyDictValues_size), (uint8_t)n);
	w8(v + U(PyDictValues_valid), 1);
	for (size_t i = 0; i < n; i++) {
		w64(v + U(PyDictValues_values) + 8 * i, values[i]);
		w8(v + U(PyDictValues_values) + 8 * n + i, (uint8_t)i);
	}
	return v;
}

/* A set, in its small table or (big) in one of its own; the <dummy> of a
 * deleted entry in slot 6. */
static uint64_t new_set_of(uint64_t type, size_t n, const uint64_t *keys, bool big)
{
	uint64_t s = new_obj(type, (size_t)F(PySetObject), true, false, 1);
	uint64_t mask = big ? 31 : 7;
	uint64_t table = big ? alloc((mask + 1) * (uint64_t)F(setentry)) : s + U(PySetObject_smalltable);
	w64(s + U(PySetObject_fill), n + 1);
	w64(s + U(PySetObject_used), n);
	w64(s + U(PySetObject_mask), mask);
	w64(s + U(PySetObject_table), table);
	for (size_t i = 0; i < n && i < 6; i++) {
		w64(table + (i * 2 % (mask + 1)) * U(setentry) + U(setentry_key), keys[i]);
		w64(table + (i * 2 % (mask + 1)) * U(setentry) + U(setentry_hash), i * 2);
	}
	if (wk.set_dummy)
		w64(table + 5 * U(setentry) + U(setentry_key), wk.set_dummy);
	return s;
}

/* ---- code, functions, frames ---------------------------------------------- */

struct code_info {
	uint64_t code;
	size_t nlocals;
	uint64_t names[4];
};

static uint64_t empty_tuple;

/* A code object with nlocals locals named from names, and a line table
 * in the version's format giving lines first+1, first+2 ... */
static struct code_info new_code(const char *name, int first, size_t nlocals,
				 const char *const *names)
{
	struct code_info ci = { .nlocals = nlocals };
	size_t units = 8;
	bool adaptive = H(PyCodeObject_co_code_adaptive);
	uint64_t c = new_obj(wk.code_type, (size_t)F(PyCodeObject) + (adaptive ? 2 * units : 0),
			     false, false, -1);
	ci.code = c;
	for (size_t i = 0; i < nlocals; i++)
		ci.names[i] = new_str(names[i]);
	uint64_t varnames = new_tuple(nlocals, ci.names);
	w32(c + U(PyCodeObject_co_argcount), nlocals ? 1 : 0);
	w32(c + U(PyCodeObject_co_firstlineno), (uint32_t)first);
	w32(c + U(PyCodeObject_co_stacksize), 2);
	w64(c + U(PyCodeObject_co_filename), new_str("fuzz_fixture.py"));
	w64(c + U(PyCodeObject_co_name), new_str(name));
	SET64(c, PyCodeObject_co_qualname, new_str(name));
	uint64_t consts[2] = { wk.none, new_int(7) };
	w64(c + U(PyCodeObject_co_consts), new_tuple(2, consts));
	w64(c + U(PyCodeObject_co_names), empty_tuple);
	SET32(c, PyCodeObject_co_nlocals, (uint32_t)nlocals);
	SET64(c, PyCodeObject_co_varnames, varnames);
	SET64(c, PyCodeObject_co_cellvars, empty_tuple);
	SET64(c, PyCodeObject_co_freevars, empty_tuple);
	if (H(PyCodeObject_co_localsplusnames)) {
		uint8_t kinds[4];
		for (size_t i = 0; i < nlocals; i++)
			kinds[i] = (uint8_t)F(CO_FAST_LOCAL);
		w64(c + U(PyCodeObject_co_localsplusnames), varnames);
		w64(c + U(PyCodeObject_co_localspluskinds), new_bytes(kinds, nlocals));
		w32(c + U(PyCodeObject_co_nlocalsplus), (uint32_t)nlocals);
		SET32(c, PyCodeObject_co_framesize, (uint32_t)(nlocals + 2 + 10));
		SET32(c, PyCodeObject_co_firsttraceable, 0);
	}
	if (H(PyCodeObject_co_lnotab)) {
		const uint8_t t[] = { 0, 1, 4, 1, 4, 1 }; /* 3.8, 3.9: (addr, line) deltas */
		w64(c + U(PyCodeObject_co_lnotab), new_bytes(t, sizeof(t)));
		SET64(c, PyCodeObject_co_code, new_bytes("d\0S\0d\0S\0", 8));
	} else if (!adaptive) {
		const uint8_t t[] = { 4, 1, 4, 1, 8, 1 }; /* 3.10: (bytes, line) pairs */
		w64(c + U(PyCodeObject_co_linetable), new_bytes(t, sizeof(t)));
		SET64(c, PyCodeObject_co_code, new_bytes("d\0S\0d\0S\0", 8));
	} else {
		/* 3.11+ location entries: code 13 (line delta, no columns). */
		const uint8_t t[] = { 0x80 | (13 << 3) | 1, 2, 0x80 | (13 << 3) | 1, 2,
				      0x80 | (10 << 3) | 3, 0x80 | (15 << 3) | 0 };
		w64(c + U(PyCodeObject_co_linetable), new_bytes(t, sizeof(t)));
		for (size_t i = 0; i < units; i++)
			w16(c + U(PyCodeObject_co_code_adaptive) + 2 * i, 0x0097);
	}
	return ci;
}

static uint64_t globals_dict;
static uint64_t main_module;      /* sys.modules['__main__'] */

static uint64_t new_function(const struct code_info *ci, const char *name)
{
	uint64_t f = new_obj(wk.function_type, (size_t)F(PyFunctionObject), true, false, 2);
	w64(f + U(PyFunctionObject_func_code), ci->code);
	w64(f + U(PyFunctionObject_func_globals), globals_dict);
	w64(f + U(PyFunctionObject_func_name), new_str(name));
	w64(f + U(PyFunctionObject_func_qualname), new_str(name));
	SET64(f, PyFunctionObject_func_builtins, globals_dict);
	return f;
}

/* ---- the image ---------------------------------------------------------------- */

static void add_root(uint64_t obj)
{
	for (size_t i = 0; i < FUZZ_ROOTS; i++) {
		if (!dir->roots[i]) {
			dir->roots[i] = obj;
			return;
		}
	}
}

static void make_types(void)
{
	bool gcflags = true;
	(void)gcflags;
	wk.type_type = 0;
	new_type("type", TPF_TYPE_SUBCLASS | TPF_HAVE_GC | (1ul << 10), F(PyHeapTypeObject), 40);
	wk.object_type = new_type("object", (1ul << 10), 16, 0);
	wk.long_type = new_type("int", TPF_LONG_SUBCLASS, F(PyLongObject_ob_digit), 4);
	wk.bool_type = new_type("bool", TPF_LONG_SUBCLASS, F(PyLongObject_ob_digit), 4);
	wk.float_type = new_type("float", 0, F(PyFloatObject), 0);
	wk.unicode_type = new_type("str", TPF_UNICODE_SUBCLASS, F(PyUnicodeObject), 0);
	wk.bytes_type = new_type("bytes", TPF_BYTES_SUBCLASS, F(PyBytesObject_ob_sval) + 1, 1);
	wk.bytearray_type = new_type("bytearray", 0, F(PyByteArrayObject), 0);
	wk.tuple_type = new_type("tuple", TPF_TUPLE_SUBCLASS | TPF_HAVE_GC,
				 F(PyTupleObject_ob_item), 8);
	wk.list_type = new_type("list", TPF_LIST_SUBCLASS | TPF_HAVE_GC, F(PyListObject), 0);
	wk.dict_type = new_type("dict", TPF_DICT_SUBCLASS | TPF_HAVE_GC, F(PyDictObject), 0);
	wk.set_type = new_type("set", TPF_HAVE_GC, F(PySetObject), 0);
	wk.frozenset_type = new_type("frozenset", TPF_HAVE_GC, F(PySetObject), 0);
	wk.function_type = new_type("function", TPF_HAVE_GC, F(PyFunctionObject), 0);
	wk.code_type = new_type("code", 0, F(PyCodeObject),
				H(PyCodeObject_co_code_adaptive) ? 2 : 0);
	wk.module_type = new_type("module", TPF_HAVE_GC, F(PyModuleObject), 0);
	wk.cell_type = new_type("cell", TPF_HAVE_GC, F(PyCellObject), 0);
	wk.method_type = new_type("method", TPF_HAVE_GC, F(PyMethodObject), 0);
	wk.frame_type = new_type("frame", TPF_HAVE_GC, F(PyFrameObject), 8);
	wk.gen_type = new_type("generator", TPF_HAVE_GC, 200, 8);
	wk.none_type = new_type("NoneType", 0, 16, 0);
	wk.base_exception_type = new_type("BaseException",
					  TPF_BASE_EXC_SUBCLASS | TPF_HAVE_GC, 72, 0);
	wk.none = new_obj(wk.none_type, 16, false, false, -1);
	w64(wk.none + U(PyObject_ob_refcnt), H(_Py_IMMORTAL_REFCNT) ? U(_Py_IMMORTAL_REFCNT) : 1000);
	wk.true_ = new_int(1);
	wk.false_ = new_int(0);
	w64(wk.true_ + U(PyObject_ob_type), wk.bool_type);
	w64(wk.false_ + U(PyObject_ob_type), wk.bool_type);
	wk.set_dummy = new_obj(wk.none_type, 16, false, false, -1);
	empty_tuple = new_tuple_gen(0, NULL, -1);
	uint64_t mro = new_tuple_gen(1, &wk.object_type, -1);
	w64(wk.object_type + U(PyTypeObject_tp_mro), mro);
	uint64_t types[] = { wk.long_type, wk.float_type, wk.unicode_type, wk.tuple_type,
			     wk.list_type, wk.dict_type, wk.set_type, wk.frozenset_type,
			     wk.function_type, wk.code_type, wk.module_type, wk.cell_type,
			     wk.method_type, wk.frame_type, wk.gen_type, wk.bytes_type,
			     wk.base_exception_type, wk.none_type };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t m[2] = { types[i], wk.object_type };
		w64(types[i] + U(PyTypeObject_tp_mro), new_tuple_gen(2, m, -1));
		w64(types[i] + U(PyTypeObject_tp_base), wk.object_type);
	}
}

/* A class defined in Python (a heap type) deriving from base. */
static uint64_t new_heap_type(const char *name, uint64_t base, uint64_t flags, int64_t basic,
			      int64_t item, size_t nslots)
{
	uint64_t t = new_type_extra(name, flags | TPF_HEAPTYPE | TPF_HAVE_GC, basic, item,
				    40 * (nslots + 1));
	w64(t + U(PyHeapTypeObject_ht_qualname), new_str(name));
	w64(t + U(PyHeapTypeObject_ht_name), new_str(name));
	w64(t + U(PyTypeObject_tp_base), base);
	uint64_t mro_items[3] = { t, base, wk.object_type };
	w64(t + U(PyTypeObject_tp_mro), new_tuple(base == wk.object_type ? 2 : 3,
						  base == wk.object_type ? (uint64_t[]){ t, base }
									  : mro_items));
	uint64_t k = new_str("__module__"), v = new_str("__main__");
	w64(t + U(PyTypeObject_tp_dict), new_dict(1, &k, &v));
	if (nslots) {
		/* __slots__: PyMemberDef right after the type, ob_size of them. */
		uint64_t defs = t + U(PyHeapTypeObject);
		for (size_t i = 0; i < nslots; i++) {
			w64(defs + 40 * i, cstring(i ? "y" : "x"));
			w32(defs + 40 * i + 8, 16); /* T_OBJECT_EX */
			w64(defs + 40 * i + 16, 16 + 8 * i);
		}
		set_size(t, (int64_t)nslots);
	}
	return t;
}

/* An instance of a plain class with attributes a=1, b='two': its dict
 * where this version keeps it (tp_dictoffset, a managed dict, split
 * values, 3.13 inline values). */
static uint64_t new_instance(uint64_t type, bool split)
{
	bool managed = H(Py_TPFLAGS_MANAGED_DICT);
	uint64_t o = new_obj(type, 32 + 48, true, managed, 2);
	uint64_t keys[2] = { new_str("a"), new_str("b") };
	uint64_t values[2] = { new_int(1), new_str("two") };
	if (!managed) {
		uint64_t d;
		if (split) {
			d = new_dict_of(wk.dict_type, 2, keys, values, 2, 1);
			w64(d + U(PyDictObject_ma_values), new_split_values(2, values));
		} else {
			d = new_dict(2, keys, values);
		}
		w64(o + 16, d);
		return o;
	}
	uint64_t shared = new_keys(2, keys, values, 2);
	w64(type + U(PyHeapTypeObject_ht_cached_keys), shared);
	if (!split) {
		w64(o - 24, new_dict(2, keys, values));
	} else if (L->minor == 11) {
		w64(o - 32, new_split_values(2, values));
	} else if (L->minor == 12) {
		w64(o - 24, new_split_values(2, values) - 1); /* tagged */
	} else if (H(Py_TPFLAGS_INLINE_VALUES)) {
		uint64_t v = o + 16; /* basicsize 16: the values follow */
		w8(v + U(PyDictValues_capacity), 2);
		w8(v + U(PyDictValues_size), 2);
		w8(v + U(PyDictValues_embedded), 1);
		w8(v + U(PyDictValues_valid), 1);
		for (size_t i = 0; i < 2; i++) {
			w64(v + U(PyDictValues_values) + 8 * i, values[i]);
			w8(v + U(PyDictValues_values) + 16 + i, (uint8_t)i);
		}
	}
	return o;
}

static void make_objects(void)
{
	add_root(new_int(0));
	add_root(new_int(-1234567890123ll));
	uint32_t big[5] = { 1, 2, 3, 4, 5 };
	uint64_t bi = new_obj(wk.long_type, (size_t)F(PyLongObject_ob_digit) + 20, false, false, -1);
	if (H(PyLongObject_lv_tag))
		w64(bi + U(PyLongObject_lv_tag), (5ull << F(_PyLong_NON_SIZE_BITS)) | 2);
	else
		set_size(bi, -5);
	memcpy(at(bi + U(PyLongObject_ob_digit)), big, sizeof(big));
	add_root(bi);
	add_root(new_float(-2.5e-300));
	add_root(new_str("it's \"quoted\"\n"));
	uint32_t latin[] = { 'c', 0xe9, 0xff }, ucs2[] = { 0x263a, 'x' }, ucs4[] = { 0x1f600, 0xd800 };
	add_root(new_str_kind(1, latin, 3, true));
	add_root(new_str_kind(2, ucs2, 2, true));
	add_root(new_str_kind(4, ucs4, 2, true));
	if (H(PyASCIIObject_state_ready))
		add_root(new_str_kind(2, ucs2, 2, false)); /* legacy, up to 3.11 */
	add_root(new_bytes("b'\x00\xff\"", 5));
	uint64_t items[4] = { new_int(1), new_str("two"), wk.none, new_float(3.0) };
	uint64_t tup = new_tuple(4, items);
	uint64_t lst = new_list(4, items);
	w64(r64(lst + U(PyListObject_ob_item)) + 8 * 3, lst); /* it holds itself */
	add_root(tup);
	add_root(lst);
	uint64_t keys[4] = { new_str("k1"), new_int(2), 0, new_str("k4") };
	uint64_t vals[4] = { tup, lst, 0, wk.none };
	add_root(new_dict_of(wk.dict_type, 4, keys, vals, 0, 0));     /* general keys */
	uint64_t skeys[3] = { new_str("x"), new_str("y"), new_str("z") };
	uint64_t svals[3] = { new_int(10), new_int(20), lst };
	add_root(new_dict(3, skeys, svals));                           /* unicode keys */
	uint64_t split = new_dict_of(wk.dict_type, 3, skeys, svals, 2, 1);
	w64(split + U(PyDictObject_ma_values), new_split_values(3, svals));
	add_root(split);                                               /* split table */
	add_root(new_set_of(wk.set_type, 3, items, false));
	add_root(new_set_of(wk.frozenset_type, 2, items, true));
	/* Subclasses of built-in types, a class with attributes, one with
	 * __slots__, an exception. */
	uint64_t dsub = new_heap_type("DictSub", wk.dict_type, TPF_DICT_SUBCLASS,
				      F(PyDictObject), 0, 0);
	add_root(new_dict_of(dsub, 3, skeys, svals, H(PyDictKeysObject_dk_kind) ? 1 : 0, 2));
	uint64_t lsub = new_heap_type("ListSub", wk.list_type, TPF_LIST_SUBCLASS,
				      F(PyListObject), 0, 0);
	add_root(new_list_of(lsub, 2, items, 2));
	uint64_t mflags = H(Py_TPFLAGS_MANAGED_DICT) ? U(Py_TPFLAGS_MANAGED_DICT) : 0;
	if (H(Py_TPFLAGS_MANAGED_WEAKREF))
		mflags |= U(Py_TPFLAGS_MANAGED_WEAKREF);
	uint64_t plain = new_heap_type("Plain", wk.object_type, mflags,
				       mflags ? 16 : 32, 0, 0);
	if (!mflags)
		w64(plain + U(PyTypeObject_tp_dictoffset), 16);
	uint64_t plain_obj = new_instance(plain, false);
	add_root(plain_obj);
	uint64_t inl = new_heap_type("Inline", wk.object_type,
				     mflags | (H(Py_TPFLAGS_INLINE_VALUES) ? U(Py_TPFLAGS_INLINE_VALUES) : 0),
				     mflags ? 16 : 32, 0, 0);
	if (!mflags)
		w64(inl + U(PyTypeObject_tp_dictoffset), 16);
	add_root(new_instance(inl, true));
	uint64_t slotted = new_heap_type("Slotted", wk.object_type, 0, 32, 0, 2);
	uint64_t so = new_obj(slotted, 32, true, false, 2);
	w64(so + 16, new_int(5));
	w64(so + 24, tup);
	add_root(so);
	uint64_t exc = new_obj(wk.base_exception_type, 72, true, false, 2);
	uint64_t msg = new_str("boom");
	w64(exc + U(PyBaseExceptionObject_args), new_tuple(1, &msg));
	add_root(exc);
	uint64_t cell = new_obj(wk.cell_type, (size_t)F(PyCellObject), true, false, 0);
	w64(cell + U(PyCellObject_ob_ref), lst);
	add_root(cell);
	uint64_t mod = new_obj(wk.module_type, (size_t)F(PyModuleObject), true, false, 2);
	SET64(mod, PyModuleObject_md_name, new_str("__main__"));
	add_root(mod);
	main_module = mod;
	const char *names[] = { "a", "b" };
	struct code_info ci = new_code("helper", 10, 2, names);
	uint64_t fn = new_function(&ci, "helper");
	add_root(fn);
	add_root(ci.code);
	uint64_t meth = new_obj(wk.method_type, (size_t)F(PyMethodObject), true, false, 0);
	w64(meth + U(PyMethodObject_im_func), fn);
	w64(meth + U(PyMethodObject_im_self), so);
	add_root(meth);
	/* A generator: its own frame (3.11+ inside it, earlier a frame
	 * object). */
	uint64_t gen = new_obj(wk.gen_type, 200, true, false, 0);
	SET64(gen, PyGenObject_gi_code, ci.code);
	SET64(gen, PyGenObject_gi_name, new_str("gen"));
	SET64(gen, PyGenObject_gi_qualname, new_str("gen"));
	if (H(PyGenObject_gi_iframe)) {
		uint64_t f = gen + U(PyGenObject_gi_iframe);
		w64(f + U(_PyInterpreterFrame_code), ci.code);
		w8(f + U(_PyInterpreterFrame_owner), (uint8_t)F(FRAME_OWNED_BY_GENERATOR));
		w64(f + U(_PyInterpreterFrame_instr), ci.code + U(PyCodeObject_co_code_adaptive) + 2);
	}
	add_root(gen);
	/* The module's globals reach the list, an instance and the method:
	 * py-path finds its way to them from sys.modules. */
	uint64_t gkeys[4] = { new_str("__name__"), new_str("data"), new_str("obj"),
			      new_str("bound") };
	uint64_t gvals[4] = { new_str("__main__"), lst, plain_obj, meth };
	w64(mod + U(PyModuleObject_md_dict), new_dict(4, gkeys, gvals));
	add_root(wk.type_type);
	add_root(plain);
	add_root(wk.none);
}

/* ---- threads and frames --------------------------------------------------- */

/* Frames for a thread: main() -> work(x, y) -> helper(a, b), innermost
 * last; returns the innermost frame (a PyFrameObject up to 3.10, a
 * _PyInterpreterFrame from 3.11). */
static uint64_t make_frames(void)
{
	const char *n1[] = { "argv" }, *n2[] = { "x", "y" }, *n3[] = { "a", "b", "c" };
	struct code_info codes[3] = {
		new_code("main", 1, 1, n1), new_code("work", 20, 2, n2), new_code("helper", 40, 3, n3),
	};
	uint64_t prev = 0;
	for (int k = 0; k < 3; k++) {
		const struct code_info *ci = &codes[k];
		uint64_t f;
		if (!H(_PyInterpreterFrame)) {
			f = new_obj(wk.frame_type, (size_t)F(PyFrameObject) + 8 * (ci->nlocals + 4),
				    true, false, 0);
			w64(f + U(PyFrameObject_f_back), prev);
			w64(f + U(PyFrameObject_f_code), ci->code);
			w64(f + U(PyFrameObject_f_globals), globals_dict);
			w64(f + U(PyFrameObject_f_builtins), globals_dict);
			w32(f + U(PyFrameObject_f_lasti), 2);
			w32(f + U(PyFrameObject_f_lineno), (uint32_t)(k * 20 + 2));
			for (size_t i = 0; i < ci->nlocals; i++)
				w64(f + U(PyFrameObject_f_localsplus) + 8 * i,
				    i ? new_int((int64_t)i) : new_str("local"));
		} else {
			f = alloc((size_t)F(_PyInterpreterFrame) + 8 * (ci->nlocals + 4));
			w64(f + U(_PyInterpreterFrame_code), ci->code);
			w64(f + U(_PyInterpreterFrame_previous), prev);
			w64(f + U(_PyInterpreterFrame_globals), globals_dict);
			w64(f + U(_PyInterpreterFrame_builtins), globals_dict);
			w64(f + U(_PyInterpreterFrame_instr),
			    ci->code + U(PyCodeObject_co_code_adaptive) + 2 * (uint64_t)(k + 1));
			w8(f + U(_PyInterpreterFrame_owner), (uint8_t)F(FRAME_OWNED_BY_THREAD));
			if (H(_PyInterpreterFrame_is_entry))
				w8(f + U(_PyInterpreterFrame_is_entry), k == 0);
			for (size_t i = 0; i < ci->nlocals; i++)
				w64(f + U(_PyInterpreterFrame_localsplus) + 8 * i,
				    i ? new_int((int64_t)i) : new_str("local"));
			if (k == 1 && H(FRAME_OWNED_BY_CSTACK)) {
				/* Entered from C: a shim frame below it. */
				uint64_t shim = alloc((size_t)F(_PyInterpreterFrame));
				w8(shim + U(_PyInterpreterFrame_owner), (uint8_t)F(FRAME_OWNED_BY_CSTACK));
				w64(shim + U(_PyInterpreterFrame_previous), prev);
				w64(f + U(_PyInterpreterFrame_previous), shim);
			}
		}
		prev = f;
	}
	return prev;
}

static uint64_t region(size_t size)
{
	uint64_t a = alloc(size);
	memset(at(a), 0, size);
	return a;
}

/* The largest of the offsets of these fields that this version has. */
static size_t span(const enum pyx_layout_id *ids, size_t n, size_t extra)
{
	int64_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (L->v[ids[i]] != PYX_ABSENT && L->v[ids[i]] > m)
			m = L->v[ids[i]];
	return (size_t)m + extra;
}

static void make_pymalloc(uint64_t interp);

static void make_runtime(void)
{
	static const enum pyx_layout_id rt_ids[] = {
		PYX_L__PyRuntimeState_interpreters_head, PYX_L__PyRuntimeState_interpreters_main,
		PYX_L__PyRuntimeState_main_thread, PYX_L__PyRuntimeState_finalizing,
		PYX_L__PyRuntimeState_initialized, PYX_L__PyRuntimeState_gilstate_tstate_current,
		PYX_L__PyRuntimeState_ceval_gil, PYX_L__PyRuntimeState_gc,
		PYX_L__PyRuntimeState_allocators_standard_obj,
		PYX_L__PyRuntimeState_allocators_debug_obj,
	};
	static const enum pyx_layout_id is_ids[] = {
		PYX_L_PyInterpreterState_next, PYX_L_PyInterpreterState_id,
		PYX_L_PyInterpreterState_threads_head, PYX_L_PyInterpreterState_modules,
		PYX_L_PyInterpreterState_sysdict, PYX_L_PyInterpreterState_builtins,
		PYX_L_PyInterpreterState_gc, PYX_L_PyInterpreterState_ceval_gil,
		PYX_L_PyInterpreterState_obmalloc,
	};
	uint64_t rt = region(span(rt_ids, sizeof(rt_ids) / sizeof(rt_ids[0]), 400));
	uint64_t interp = region(span(is_ids, sizeof(is_ids) / sizeof(is_ids[0]),
				      (size_t)F(_gc_runtime_state) + 700));
	dir->runtime = rt;
	w64(rt + U(_PyRuntimeState_interpreters_head), interp);
	w64(rt + U(_PyRuntimeState_interpreters_main), interp);
	w32(rt + U(_PyRuntimeState_initialized), 1);
	uint64_t pthread = region(2048);
	w32(pthread + 720, 4242); /* glibc's tid, found by its value */
	w64(rt + U(_PyRuntimeState_main_thread), pthread);
	/* sys, with sys.modules and sys.version; builtins. */
	uint64_t k_mod = new_str("modules"), k_ver = new_str("version");
	uint64_t k_main = new_str("__main__");
	uint64_t modules = new_dict(1, &k_main, &main_module);
	uint64_t ver = new_str(L->minor == 8 ? "3.8.18 (fuzz)" : L->minor == 13 ? "3.13.0"
			       : "3.11.7");
	uint64_t sys_keys[2] = { k_mod, k_ver }, sys_vals[2] = { modules, ver };
	uint64_t sysdict = new_dict(2, sys_keys, sys_vals);
	w64(interp + U(PyInterpreterState_modules), modules);
	w64(interp + U(PyInterpreterState_sysdict), sysdict);
	w64(interp + U(PyInterpreterState_builtins), globals_dict);
	w64(interp + U(PyInterpreterState_id), 0);
	/* One thread running three frames, handling an exception. */
	uint64_t ts = region((size_t)F(PyThreadState) + 64);
	w64(interp + U(PyInterpreterState_threads_head), ts);
	w64(ts + U(PyThreadState_interp), interp);
	w64(ts + U(PyThreadState_thread_id), pthread);
	SET64(ts, PyThreadState_native_thread_id, 4242);
	SET64(ts, PyThreadState_id, 1);
	uint64_t frame = make_frames();
	if (H(PyThreadState_frame)) {
		w64(ts + U(PyThreadState_frame), frame);
	} else if (H(PyThreadState_cframe)) {
		uint64_t cframe = region(32);
		w64(cframe + U(_PyCFrame_current_frame), frame);
		w64(ts + U(PyThreadState_cframe), cframe);
	} else {
		w64(ts + U(PyThreadState_current_frame), frame);
	}
	uint64_t item = region(32);
	uint64_t exc = new_obj(wk.base_exception_type, 72, true, false, 0);
	uint64_t msg = new_str("being handled");
	w64(exc + U(PyBaseExceptionObject_args), new_tuple(1, &msg));
	w64(item + U(_PyErr_StackItem_exc_value), exc);
	w64(ts + U(PyThreadState_exc_info), item);
	/* The GIL, held by that thread. */
	uint64_t gil;
	if (H(PyInterpreterState_ceval_gil)) {
		gil = region(64);
		w64(interp + U(PyInterpreterState_ceval_gil), gil);
	} else {
		gil = rt + U(_PyRuntimeState_ceval_gil);
	}
	w32(gil + U(_gil_runtime_state_locked), 1);
	w64(gil + U(_gil_runtime_state_last_holder), ts);
	/* 3.12+ set the allocators up statically. */
	if (H(_PyRuntimeState_allocators_standard_obj))
		w64(rt + U(_PyRuntimeState_allocators_standard_obj) + U(PyMemAllocatorEx_malloc),
		    0x401000);
	uint64_t gc = H(PyInterpreterState_gc) ? interp + U(PyInterpreterState_gc)
					       : rt + U(_PyRuntimeState_gc);
	make_pymalloc(interp);
	link_gc(gc);
}

/* Two arenas of which the first has one pool carved, of 32-byte blocks
 * holding floats (a free list through two of them); the second is outside
 * the image (its pools are never carved). */
static void make_pymalloc(uint64_t interp)
{
	uint32_t arena_size = (uint32_t)F(obmalloc_ARENA_SIZE);
	uint32_t pool_size = (uint32_t)F(obmalloc_POOL_SIZE);
	uint32_t overhead = (uint32_t)F(obmalloc_POOL_OVERHEAD);
	uint64_t base = alloc_aligned(pool_size, pool_size);
	uint64_t vec = region(3 * (size_t)F(arena_object));
	uint64_t a0 = vec, a1 = vec + U(arena_object);
	w64(a0 + U(arena_object_address), base);
	w64(a0 + U(arena_object_pool_address), base + pool_size);
	w32(a0 + U(arena_object_nfreepools), arena_size / pool_size - 1);
	w32(a0 + U(arena_object_ntotalpools), arena_size / pool_size);
	w64(a0 + U(arena_object_nextarena), a1);
	w64(a1 + U(arena_object_address), base + 64ull * arena_size); /* not in the image */
	w64(a1 + U(arena_object_pool_address), base + 64ull * arena_size);
	w32(a1 + U(arena_object_nfreepools), arena_size / pool_size);
	w32(a1 + U(arena_object_ntotalpools), arena_size / pool_size);
	w64(a1 + U(arena_object_prevarena), a0);
	/* Pool 0: size class 1 (32 bytes), 6 blocks handed out, 2 freed. */
	uint64_t p = base;
	uint32_t bsize = 32;
	w32(p + U(pool_header_szidx), 1);
	w32(p + U(pool_header_nextoffset), overhead + 6 * bsize);
	w32(p + U(pool_header_maxnextoffset), pool_size - bsize);
	w32(p + U(pool_header_count), 4);
	for (uint32_t i = 0; i < 6; i++) {
		uint64_t b = p + overhead + i * bsize;
		if (i == 1 || i == 4)
			continue;
		w64(b + U(PyObject_ob_refcnt), 1);
		w64(b + U(PyObject_ob_type), wk.float_type);
		double v = i;
		memcpy(at(b + U(PyFloatObject_ob_fval)), &v, 8);
		if (i == 2)
			add_root(b);
	}
	w64(p + U(pool_header_freeblock), p + overhead + 4 * bsize);
	w64(p + overhead + 4 * bsize, p + overhead + 1 * bsize);
	w64(p + overhead + 1 * bsize, 0);
	add_root(p + overhead + 1 * bsize); /* a free block */
	uint64_t state;
	if (L->minor <= 11) {
		state = region(64);
		dir->statics[0] = state;          /* arenas */
		dir->statics[1] = state + 8;      /* maxarenas */
		dir->statics[2] = state + 16;     /* narenas_currently_allocated */
		dir->statics[3] = state + 24;     /* ntimes_arena_allocated */
		dir->statics[4] = state + 32;     /* narenas_highwater */
		dir->statics[5] = state + 40;     /* usable_arenas */
		w64(state, vec);
		w32(state + 8, 3);
		w64(state + 16, 2);
		w64(state + 24, 5);
		w64(state + 32, 2);
		w64(state + 40, a0);
		return;
	}
	static const enum pyx_layout_id ob_ids[] = {
		PYX_L__obmalloc_state_mgmt_arenas, PYX_L__obmalloc_state_mgmt_maxarenas,
		PYX_L__obmalloc_state_mgmt_unused_arena_objects,
		PYX_L__obmalloc_state_mgmt_usable_arenas,
		PYX_L__obmalloc_state_mgmt_narenas_currently_allocated,
		PYX_L__obmalloc_state_mgmt_ntimes_arena_allocated,
		PYX_L__obmalloc_state_mgmt_narenas_highwater,
		PYX_L__obmalloc_state_mgmt_raw_allocated_blocks,
	};
	if (L->minor == 12) {
		state = interp + U(PyInterpreterState_obmalloc);
	} else {
		state = region(span(ob_ids, sizeof(ob_ids) / sizeof(ob_ids[0]), 16));
		w64(interp + U(PyInterpreterState_obmalloc), state);
	}
	w64(state + U(_obmalloc_state_mgmt_arenas), vec);
	w32(state + U(_obmalloc_state_mgmt_maxarenas), 3);
	w64(state + U(_obmalloc_state_mgmt_usable_arenas), a0);
	w64(state + U(_obmalloc_state_mgmt_narenas_currently_allocated), 2);
	w64(state + U(_obmalloc_state_mgmt_ntimes_arena_allocated), 5);
	w64(state + U(_obmalloc_state_mgmt_narenas_highwater), 2);
}

static int write_image(const char *path, const struct pyx_layout *layout)
{
	L = layout;
	img = calloc(1, IMG_CAP);
	if (!img)
		return -1;
	used = 0;
	memset(&wk, 0, sizeof(wk));
	memset(ngc, 0, sizeof(ngc));
	uint64_t d = alloc(4096); /* the directory's page: the "interpreter's own" data */
	dir = (struct fuzz_directory *)at(d);
	dir->magic = FUZZ_IMAGE_MAGIC;
	dir->minor = (uint64_t)L->minor;
	dir->debug = L->debug;
	dir->ask = FUZZ_ASK_ALL;
	make_types();
	globals_dict = new_dict(0, NULL, NULL);
	uint64_t gk = new_str("__name__"), gv = new_str("__main__");
	globals_dict = new_dict(1, &gk, &gv);
	make_objects();
	make_runtime();
	dir->wk = wk;
	int rc = sc_write_file(path, img, used);
	free(img);
	return rc;
}

/* ---- cores -------------------------------------------------------------------- */

static int write_cores(const char *cdir)
{
	static uint8_t page[2][4096];
	for (size_t i = 0; i < sizeof(page); i++)
		((uint8_t *)page)[i] = (uint8_t)(i * 131 + 7);
	const struct sc_segment segs[] = {
		{ 0x400000, page[0], 4096, 8192 },
		{ 0x7f0000001000, page[1], 4096, 0 },
		{ 0x7ffff0000000, NULL, 0, 4096 },
	};
	const struct sc_thread threads[] = { { 100, 11 }, { 101, 0 }, { 102, 0 } };
	const struct sc_file_map files[] = {
		{ 0x400000, 0x402000, 0, "/nonexistent/python3.11" },
		{ 0x7f0000001000, 0x7f0000002000, 2, "/nonexistent/libc.so.6" },
	};
	const uint64_t auxv[] = { AT_PHDR, 0x400040, AT_PAGESZ, 4096, AT_ENTRY, 0x401000 };
	const uint8_t junk[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const struct sc_note extra[] = { { "CORE", 0x4711, junk, sizeof(junk) },
					 { "LINUX", NT_FILE, junk, sizeof(junk) } };
	struct sc_core full = {
		.segments = segs, .nsegments = 3, .threads = threads, .nthreads = 3,
		.has_siginfo = true, .siginfo_signo = 11, .siginfo_addr = 0x10,
		.prpsinfo_pid = 100, .files = files, .nfiles = 2, .auxv = auxv, .nauxv = 3,
		.extra = extra, .nextra = 2,
	};
	struct sc_core minimal = { .segments = segs, .nsegments = 1, .threads = threads,
				   .nthreads = 1 };
	struct sc_core bare = { .segments = segs + 1, .nsegments = 1 };
	char path[8192];
	int rc = 0;
	snprintf(path, sizeof(path), "%s/full", cdir);
	rc |= sc_write_core(path, &full);
	snprintf(path, sizeof(path), "%s/minimal", cdir);
	rc |= sc_write_core(path, &minimal);
	snprintf(path, sizeof(path), "%s/no-notes", cdir);
	rc |= sc_write_core(path, &bare);
	/* The machine's CPython mapped at its load address, with its first
	 * page in the core (as the kernel writes it): program creation finds
	 * its symbols, then reads what little memory there is. */
	const char *pythons[] = { "/usr/bin/python3.11", "/usr/bin/python3", NULL };
	for (int i = 0; pythons[i]; i++) {
		FILE *f = fopen(pythons[i], "rb");
		if (!f)
			continue;
		static uint8_t head[4096];
		size_t n = fread(head, 1, sizeof(head), f);
		fclose(f);
		if (n != sizeof(head))
			continue;
		const struct sc_segment ps[] = { { 0x400000, head, 4096, 4096 },
						 { 0x7f0000001000, page[1], 4096, 0 } };
		const struct sc_file_map pf[] = { { 0x400000, 0x401000, 0, pythons[i] } };
		const uint64_t pa[] = { AT_PHDR, 0x400040 };
		struct sc_core py = { .segments = ps, .nsegments = 2, .threads = threads,
				      .nthreads = 1, .files = pf, .nfiles = 1, .auxv = pa,
				      .nauxv = 1, .prpsinfo_pid = 100 };
		snprintf(path, sizeof(path), "%s/python", cdir);
		rc |= sc_write_core(path, &py);
		break;
	}
	return rc;
}

static int mkdir_p(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make-seeds DIR\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/core", argv[1]);
	if (mkdir_p(argv[1]) || mkdir_p(path) || write_cores(path)) {
		perror("make-seeds: cores");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/decoders", argv[1]);
	if (mkdir_p(path)) {
		perror("make-seeds: decoders");
		return 1;
	}
	for (size_t i = 0; pyx_layouts[i]; i++) {
		snprintf(path, sizeof(path), "%s/decoders/%s", argv[1], pyx_layouts[i]->name);
		if (write_image(path, pyx_layouts[i])) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
