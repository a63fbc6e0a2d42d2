/* test_objects.c - the object decoders on a synthetic CPython 3.11 memory
 * image: hand-made type objects, ints, strs, bytes, floats, tuples, lists,
 * dicts, sets, instances and broken objects, laid out with the generated
 * 3.11 table, written into a core file and read back through a
 * struct pyx_program built by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "runtime/layout.h"
#include "objects/object.h"
#include "runtime/program.h"
#include "objects/repr.h"
#include "synthetic_core.h"

#define IMG_BASE 0x7f3a00000000ull
#define IMG_SIZE 0x20000u
#define IMG_END (IMG_BASE + IMG_SIZE)
#define UNMAPPED (IMG_END + 0x100000ull)  /* nothing is there */

static const struct pyx_layout *lay;
#define F(id) ((uint64_t)lay->v[PYX_L_##id])

/* ---- the memory image ----------------------------------------------------- */

static uint8_t *img;
static size_t img_used;

static uint8_t *at(uint64_t addr)
{
	if (addr < IMG_BASE || addr >= IMG_END)
		abort();
	return img + (addr - IMG_BASE);
}

/* n zeroed bytes, 16-aligned. */
static uint64_t img_alloc(size_t n)
{
	img_used = (img_used + 15) & ~(size_t)15;
	if (img_used + n > IMG_SIZE)
		abort();
	uint64_t addr = IMG_BASE + img_used;
	img_used += n;
	return addr;
}

static void w64(uint64_t addr, uint64_t v)
{
	memcpy(at(addr), &v, 8);
}

static void w32(uint64_t addr, uint32_t v)
{
	memcpy(at(addr), &v, 4);
}

static void w8(uint64_t addr, uint8_t v)
{
	*at(addr) = v;
}

static uint64_t cstring(const char *s)
{
	uint64_t a = img_alloc(strlen(s) + 1);
	memcpy(at(a), s, strlen(s) + 1);
	return a;
}

/* ---- objects -------------------------------------------------------------- */

static struct well_known wk;

/* A PyObject header; gc objects get a (untracked) PyGC_Head first. */
static uint64_t new_object(uint64_t type, size_t size, bool gc)
{
	uint64_t a = img_alloc((gc ? F(PyGC_Head) : 0) + size);
	if (gc)
		a += F(PyGC_Head);
	w64(a + F(PyObject_ob_refcnt), 1);
	w64(a + F(PyObject_ob_type), type);
	return a;
}

/* Flags and sizes as CPython 3.11 has them (type.__flags__ ...). */
static uint64_t new_type(const char *name, uint64_t flags, int64_t basicsize,
			 int64_t itemsize)
{
	uint64_t t = new_object(wk.type_type, F(PyTypeObject), false);
	if (!wk.type_type) { /* type is its own type */
		wk.type_type = t;
		w64(t + F(PyObject_ob_type), t);
	}
	w64(t + F(PyObject_ob_refcnt), 100);
	w64(t + F(PyTypeObject_tp_name), cstring(name));
	w64(t + F(PyTypeObject_tp_flags), flags);
	w64(t + F(PyTypeObject_tp_basicsize), (uint64_t)basicsize);
	w64(t + F(PyTypeObject_tp_itemsize), (uint64_t)itemsize);
	return t;
}

static void set_ob_size(uint64_t obj, int64_t n)
{
	w64(obj + F(PyVarObject_ob_size), (uint64_t)n);
}

/* An int from 30-bit digits, least significant first. */
static uint64_t new_int_digits(int sign, const uint32_t *digits, size_t n)
{
	size_t size = F(PyLongObject_ob_digit) + (n ? n : 1) * F(digit);
	uint64_t o = new_object(wk.long_type, size, false);
	set_ob_size(o, sign < 0 ? -(int64_t)n : (int64_t)n);
	for (size_t i = 0; i < n; i++)
		w32(o + F(PyLongObject_ob_digit) + 4 * i, digits[i]);
	return o;
}

static uint64_t new_int(int64_t v)
{
	uint32_t d[3];
	size_t n = 0;
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	for (; m; m >>= 30)
		d[n++] = (uint32_t)(m & 0x3fffffff);
	return new_int_digits(v < 0 ? -1 : 1, d, n);
}

static uint32_t str_state(unsigned kind, bool ascii)
{
	uint32_t kmask = (uint32_t)F(PyASCIIObject_state_kind);
	uint32_t s = (kind << __builtin_ctz(kmask)) & kmask;
	s |= (uint32_t)F(PyASCIIObject_state_compact);
	s |= (uint32_t)F(PyASCIIObject_state_ready);
	if (ascii)
		s |= (uint32_t)F(PyASCIIObject_state_ascii);
	return s;
}

/* A compact ASCII str. */
static uint64_t new_str(const char *s)
{
	size_t n = strlen(s);
	uint64_t o = new_object(wk.unicode_type, F(PyASCIIObject) + n + 1, false);
	w64(o + F(PyASCIIObject_length), n);
	w64(o + F(PyASCIIObject_hash), (uint64_t)-1);
	w32(o + F(PyASCIIObject_state), str_state(1, true));
	memcpy(at(o + F(PyASCIIObject)), s, n + 1);
	return o;
}

/* A compact str of kind 1, 2 or 4 that is not ASCII. */
static uint64_t new_str_kind(unsigned kind, const uint32_t *cps, size_t n)
{
	uint64_t o = new_object(wk.unicode_type,
				F(PyCompactUnicodeObject) + (n + 1) * kind, false);
	w64(o + F(PyASCIIObject_length), n);
	w64(o + F(PyASCIIObject_hash), (uint64_t)-1);
	w32(o + F(PyASCIIObject_state), str_state(kind, false));
	uint64_t data = o + F(PyCompactUnicodeObject);
	for (size_t i = 0; i < n; i++) {
		if (kind == 1)
			w8(data + i, (uint8_t)cps[i]);
		else if (kind == 2)
			memcpy(at(data + 2 * i), &(uint16_t){ (uint16_t)cps[i] }, 2);
		else
			w32(data + 4 * i, cps[i]);
	}
	return o;
}

static uint64_t new_bytes(const void *b, size_t n)
{
	uint64_t o = new_object(wk.bytes_type, F(PyBytesObject_ob_sval) + n + 1, false);
	set_ob_size(o, (int64_t)n);
	w64(o + F(PyBytesObject_ob_shash), (uint64_t)-1);
	memcpy(at(o + F(PyBytesObject_ob_sval)), b, n);
	return o;
}

static uint64_t new_float(double v)
{
	uint64_t o = new_object(wk.float_type, F(PyFloatObject), false);
	memcpy(at(o + F(PyFloatObject_ob_fval)), &v, 8);
	return o;
}

static uint64_t new_tuple(size_t n, const uint64_t *items)
{
	uint64_t o = new_object(wk.tuple_type, F(PyTupleObject_ob_item) + 8 * n, true);
	set_ob_size(o, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		w64(o + F(PyTupleObject_ob_item) + 8 * i, items[i]);
	return o;
}

static uint64_t new_list(size_t n, const uint64_t *items)
{
	uint64_t o = new_object(wk.list_type, F(PyListObject), true);
	uint64_t arr = n ? img_alloc(8 * n) : 0;
	set_ob_size(o, (int64_t)n);
	w64(o + F(PyListObject_ob_item), arr);
	w64(o + F(PyListObject_allocated), n);
	for (size_t i = 0; i < n; i++)
		w64(arr + 8 * i, items[i]);
	return o;
}

/* A 3.11 dict with a combined table of str keys: PyDictKeysObject with
 * dk_log2_size 3, one-byte indices, then PyDictUnicodeEntry entries.  A
 * zero key makes a deleted entry. */
static uint64_t new_dict(size_t n, const uint64_t *keys, const uint64_t *values)
{
	const unsigned log2_size = 3, log2_index_bytes = 3;
	size_t esize = F(PyDictUnicodeEntry);
	uint64_t k = img_alloc(F(PyDictKeysObject) + (1u << log2_index_bytes) +
			       ((2u << log2_size) / 3) * esize);
	w64(k + F(PyDictKeysObject_dk_refcnt), 1);
	w8(k + F(PyDictKeysObject_dk_log2_size), log2_size);
	w8(k + F(PyDictKeysObject_dk_log2_index_bytes), log2_index_bytes);
	w8(k + F(PyDictKeysObject_dk_kind), 1); /* DICT_KEYS_UNICODE */
	w64(k + F(PyDictKeysObject_dk_usable), 5 - n);
	w64(k + F(PyDictKeysObject_dk_nentries), n);
	uint64_t indices = k + F(PyDictKeysObject_dk_indices);
	for (unsigned i = 0; i < (1u << log2_size); i++)
		w8(indices + i, i < n ? (uint8_t)i : 0xff);
	uint64_t entries = indices + (1u << log2_index_bytes);
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		w64(entries + i * esize + F(PyDictUnicodeEntry_me_key), keys[i]);
		w64(entries + i * esize + F(PyDictUnicodeEntry_me_value),
		    keys[i] ? values[i] : 0);
		used += keys[i] != 0;
	}
	uint64_t d = new_object(wk.dict_type, F(PyDictObject), true);
	w64(d + F(PyDictObject_ma_used), used);
	w64(d + F(PyDictObject_ma_keys), k);
	w64(d + F(PyDictObject_ma_values), 0);
	return d;
}

/* A 3.11 split table: the keys object holds the keys (kind
 * DICT_KEYS_SPLIT), the values live in a PyDictValues array, and the bytes
 * before it record the insertion order: values[-1] is the prefix size,
 * values[-2] the number of values, values[-3 - i] the i-th inserted. */
static uint64_t new_split_keys(size_t n, const uint64_t *keys)
{
	const unsigned log2_size = 3, log2_index_bytes = 3;
	size_t esize = F(PyDictUnicodeEntry);
	uint64_t k = img_alloc(F(PyDictKeysObject) + (1u << log2_index_bytes) +
			       ((2u << log2_size) / 3) * esize);
	w64(k + F(PyDictKeysObject_dk_refcnt), 1);
	w8(k + F(PyDictKeysObject_dk_log2_size), log2_size);
	w8(k + F(PyDictKeysObject_dk_log2_index_bytes), log2_index_bytes);
	w8(k + F(PyDictKeysObject_dk_kind), 2); /* DICT_KEYS_SPLIT */
	w64(k + F(PyDictKeysObject_dk_usable), 5 - n);
	w64(k + F(PyDictKeysObject_dk_nentries), n);
	uint64_t indices = k + F(PyDictKeysObject_dk_indices);
	for (unsigned i = 0; i < (1u << log2_size); i++)
		w8(indices + i, i < n ? (uint8_t)i : 0xff);
	uint64_t entries = indices + (1u << log2_index_bytes);
	for (size_t i = 0; i < n; i++)
		w64(entries + i * esize + F(PyDictUnicodeEntry_me_key), keys[i]);
	return k;
}

/* values[i] for each key (0: not set); order: the indices in insertion
 * order. */
static uint64_t new_split_values(size_t n, const uint64_t *values,
				 const uint8_t *order, size_t norder)
{
	size_t prefix = (n + 2 + 7) & ~(size_t)7;
	uint64_t mem = img_alloc(prefix + 8 * n);
	uint64_t v = mem + prefix;
	w8(v - 1, (uint8_t)prefix);
	w8(v - 2, (uint8_t)norder);
	for (size_t i = 0; i < norder; i++)
		w8(v - 3 - i, order[i]);
	for (size_t i = 0; i < n; i++)
		w64(v + F(PyDictValues_values) + 8 * i, values[i]);
	return v;
}

/* A set using its small table; keys[i] goes to slot slots[i]. */
static uint64_t new_set(size_t n, const uint64_t *keys, const unsigned *slots)
{
	uint64_t s = new_object(wk.set_type, F(PySetObject), true);
	uint64_t table = s + F(PySetObject_smalltable);
	w64(s + F(PySetObject_fill), n);
	w64(s + F(PySetObject_used), n);
	w64(s + F(PySetObject_mask), 7);
	w64(s + F(PySetObject_table), table);
	for (size_t i = 0; i < n; i++) {
		w64(table + slots[i] * F(setentry) + F(setentry_key), keys[i]);
		w64(table + slots[i] * F(setentry) + F(setentry_hash), slots[i]);
	}
	return s;
}

/* ---- the image's contents ------------------------------------------------- */

static struct {
	uint64_t small[12];   /* ints 0..11 */
	uint64_t i42, im7, i2_30, i2_64m1, im2_100, i10_40, ihuge;
	uint64_t i2_60, i2_62, imax, imin;
	uint64_t s_hello, s_quote, s_empty, s_latin1, s_ucs2, s_ucs4, s_long, s_a, s_self;
	uint64_t b_mixed, f15, fnegzero, f1e16;
	uint64_t t0, t1, t_nested;
	uint64_t l_empty, l_mixed, l_self, l_deep, l_many, l_bad_items, l_neg_size,
		 l_items_unmapped, l_in_tuple, t_cycle;
	uint64_t d_empty, d_simple, d_self, d_deleted;
	uint64_t set0, set2;
	uint64_t bad_type, unmapped_type, misaligned_type, refcnt0, refcnt_neg, at_end;
	uint64_t str_bad_kind, str_past_end;
	uint64_t foo_type, foo, bar_type, bar, d_attrs;
	uint64_t point_type, point, point_dict;
	uint64_t exc_type, exc;
	uint64_t d_split, vec_type, vec;
	uint64_t d_bad_nentries, set_bad_mask, int_bad_size, noname_type, noname_obj;
	uint64_t l_chain70;
} o;

static void make_types(void)
{
	wk.type_type = 0;
	new_type("type", 0x80085d00, 904, 40);  /* sets wk.type_type */
	wk.object_type = new_type("object", 0x41400, 16, 0);
	wk.long_type = new_type("int", 0x1481500, 24, 4);
	wk.bool_type = new_type("bool", 0x1001500, 24, 4);
	wk.unicode_type = new_type("str", 0x10481500, 80, 0);
	wk.bytes_type = new_type("bytes", 0x8481500, 33, 1);
	wk.float_type = new_type("float", 0x401500, 24, 0);
	wk.tuple_type = new_type("tuple", 0x4485520, 24, 8);
	wk.list_type = new_type("list", 0x2485520, 40, 0);
	wk.dict_type = new_type("dict", 0x20485540, 48, 0);
	wk.set_type = new_type("set", 0x485500, 200, 0);
	wk.none_type = new_type("NoneType", 0x1100, 16, 0);
	wk.none = new_object(wk.none_type, F(PyObject), false);
	wk.true_ = new_int(1);
	wk.false_ = new_int(0);
	w64(wk.true_ + F(PyObject_ob_type), wk.bool_type);
	w64(wk.false_ + F(PyObject_ob_type), wk.bool_type);
}

static void make_numbers(void)
{
	for (int i = 0; i < 12; i++)
		o.small[i] = new_int(i);
	o.i42 = new_int(42);
	w64(o.i42 + F(PyObject_ob_refcnt), 3);
	o.im7 = new_int(-7);
	o.i2_30 = new_int(1 << 30);
	static const uint32_t d64[] = { 0x3fffffff, 0x3fffffff, 0xf };
	o.i2_64m1 = new_int_digits(1, d64, 3);
	static const uint32_t d100[] = { 0, 0, 0, 0x400 };
	o.im2_100 = new_int_digits(-1, d100, 4);
	static const uint32_t d10_40[] = { 0x0, 0x27d58400, 0xa4bfabb, 0xa7c70d7, 0x1d63 };
	o.i10_40 = new_int_digits(1, d10_40, 5);
	/* Around the edges of int64_t: three 30-bit digits. */
	static const uint32_t d60[] = { 0, 0, 1 };
	o.i2_60 = new_int_digits(1, d60, 3);
	static const uint32_t d62[] = { 0, 0, 4 };
	o.i2_62 = new_int_digits(1, d62, 3);
	static const uint32_t dmax[] = { 0x3fffffff, 0x3fffffff, 7 };
	o.imax = new_int_digits(1, dmax, 3);
	static const uint32_t dmin[] = { 0, 0, 8 };
	o.imin = new_int_digits(-1, dmin, 3);
	static uint32_t huge[500];
	for (size_t i = 0; i < 500; i++)
		huge[i] = 0x3fffffff;
	o.ihuge = new_int_digits(1, huge, 500);
	o.f15 = new_float(1.5);
	o.fnegzero = new_float(-0.0);
	o.f1e16 = new_float(1e16);
}

static void make_strings(void)
{
	o.s_hello = new_str("hello");
	o.s_quote = new_str("it's");
	o.s_empty = new_str("");
	o.s_long = new_str("abcdefghij");
	o.s_a = new_str("a");
	o.s_self = new_str("self");
	static const uint32_t latin1[] = { 'c', 'a', 'f', 0xe9 };
	o.s_latin1 = new_str_kind(1, latin1, 4);
	static const uint32_t ucs2[] = { 0x3a9, 0x3c0, 0x200b };
	o.s_ucs2 = new_str_kind(2, ucs2, 3);
	static const uint32_t ucs4[] = { 'a', 0x1f600, 0xe0001 };
	o.s_ucs4 = new_str_kind(4, ucs4, 3);
	o.b_mixed = new_bytes("ab\0\"", 4);
	/* Broken strs: kind 3, and one whose text runs off the image. */
	o.str_bad_kind = new_str("xyz");
	w32(o.str_bad_kind + F(PyASCIIObject_state), str_state(3, false));
}

static void make_containers(void)
{
	o.t0 = new_tuple(0, NULL);
	o.t1 = new_tuple(1, &o.i42);
	o.l_empty = new_list(0, NULL);
	uint64_t nested[] = { o.i42, o.t1, o.l_empty };
	o.t_nested = new_tuple(3, nested);
	uint64_t mixed[] = { o.i42, o.s_hello, wk.none, wk.true_, wk.false_, o.f15 };
	o.l_mixed = new_list(6, mixed);
	/* l = [l] */
	o.l_self = new_list(1, &o.i42);
	uint64_t arr;
	memcpy(&arr, at(o.l_self + F(PyListObject_ob_item)), 8);
	w64(arr, o.l_self);
	/* t = ([t],) */
	o.l_in_tuple = new_list(1, &o.i42);
	o.t_cycle = new_tuple(1, &o.l_in_tuple);
	memcpy(&arr, at(o.l_in_tuple + F(PyListObject_ob_item)), 8);
	w64(arr, o.t_cycle);
	/* [[[[42]]]] */
	uint64_t l = new_list(1, &o.i42);
	for (int i = 0; i < 3; i++)
		l = new_list(1, &l);
	o.l_deep = l;
	o.l_many = new_list(12, o.small);
	/* Broken lists. */
	uint64_t bad[] = { o.i42, UNMAPPED, o.i42 + 4, 0 };
	o.l_bad_items = new_list(4, bad);
	o.l_neg_size = new_list(1, &o.i42);
	set_ob_size(o.l_neg_size, -1);
	o.l_items_unmapped = new_list(2, mixed);
	w64(o.l_items_unmapped + F(PyListObject_ob_item), UNMAPPED);

	o.d_empty = new_dict(0, NULL, NULL);
	uint64_t l42 = new_list(1, &o.i42);
	uint64_t keys[] = { o.s_a, o.s_hello };
	uint64_t values[] = { o.small[1], l42 };
	o.d_simple = new_dict(2, keys, values);
	o.d_self = new_dict(1, &o.s_self, &o.s_self);
	/* d = {'self': d}: the first entry follows the 8 one-byte indices. */
	uint64_t dk;
	memcpy(&dk, at(o.d_self + F(PyDictObject_ma_keys)), 8);
	w64(dk + F(PyDictKeysObject_dk_indices) + 8 + F(PyDictUnicodeEntry_me_value),
	    o.d_self);
	uint64_t b = new_str("b");
	uint64_t keys3[] = { o.s_a, 0, b };
	uint64_t values3[] = { o.small[1], 0, o.small[2] };
	o.d_deleted = new_dict(3, keys3, values3);

	/* A split dict: {'sx': 1, 'sy': 2, 'sz': 3} with sy deleted and sz
	 * inserted before sx. */
	uint64_t sk[] = { new_str("sx"), new_str("sy"), new_str("sz") };
	uint64_t sv[] = { o.small[1], 0, o.small[3] };
	const uint8_t sorder[] = { 2, 0 };
	o.d_split = new_object(wk.dict_type, F(PyDictObject), true);
	w64(o.d_split + F(PyDictObject_ma_used), 2);
	w64(o.d_split + F(PyDictObject_ma_keys), new_split_keys(3, sk));
	w64(o.d_split + F(PyDictObject_ma_values), new_split_values(3, sv, sorder, 2));

	o.set0 = new_set(0, NULL, NULL);
	uint64_t skeys[] = { o.small[1], o.small[2] };
	const unsigned slots[] = { 1, 2 };
	o.set2 = new_set(2, skeys, slots);
}

static void make_instances(void)
{
	/* A static type whose instances keep a __dict__ at offset 16. */
	o.foo_type = new_type("mymod.Foo", 0x1000, 24, 0);
	w64(o.foo_type + F(PyTypeObject_tp_dictoffset), 16);
	uint64_t y = new_str("y");
	uint64_t x = new_str("x");
	uint64_t keys[] = { x, y };
	uint64_t values[] = { o.small[1], o.small[2] };
	o.d_attrs = new_dict(2, keys, values);
	o.foo = new_object(o.foo_type, 24, false);
	w64(o.foo + 16, o.d_attrs);
	o.bar_type = new_type("mymod.Bar", 0x1000, 16, 0);
	o.bar = new_object(o.bar_type, 16, false);

	/* A heap type (class Point in module geo) with a managed dict:
	 * in 3.11 the dict pointer sits 3 words before the object. */
	uint64_t flags = TPF_HEAPTYPE | TPF_HAVE_GC | (uint64_t)F(Py_TPFLAGS_MANAGED_DICT);
	o.point_type = new_object(wk.type_type, F(PyHeapTypeObject), true);
	w64(o.point_type + F(PyTypeObject_tp_name), cstring("Point"));
	w64(o.point_type + F(PyTypeObject_tp_flags), flags);
	w64(o.point_type + F(PyTypeObject_tp_basicsize), 16);
	w64(o.point_type + F(PyHeapTypeObject_ht_qualname), new_str("Point"));
	uint64_t module = new_str("__module__"), geo = new_str("geo");
	w64(o.point_type + F(PyTypeObject_tp_dict), new_dict(1, &module, &geo));
	uint64_t pre = img_alloc(16 + F(PyGC_Head) + 16);
	o.point = pre + 16 + F(PyGC_Head);
	w64(o.point + F(PyObject_ob_refcnt), 1);
	w64(o.point + F(PyObject_ob_type), o.point_type);
	uint64_t px = new_str("px");
	o.point_dict = new_dict(1, &px, &o.i42);
	w64(o.point - 24, o.point_dict);

	/* A heap type whose instances keep their attributes as inline
	 * values with the type's cached keys (3.11 managed dict, no dict
	 * object): the values pointer sits 4 words before the object. */
	o.vec_type = new_object(wk.type_type, F(PyHeapTypeObject), true);
	w64(o.vec_type + F(PyTypeObject_tp_name), cstring("Vec"));
	w64(o.vec_type + F(PyTypeObject_tp_flags), flags);
	w64(o.vec_type + F(PyTypeObject_tp_basicsize), 16);
	w64(o.vec_type + F(PyHeapTypeObject_ht_qualname), new_str("Vec"));
	uint64_t vk[] = { new_str("vx"), new_str("vy"), new_str("vz") };
	w64(o.vec_type + F(PyHeapTypeObject_ht_cached_keys), new_split_keys(3, vk));
	uint64_t vv[] = { o.small[1], 0, o.small[3] };
	const uint8_t vorder[] = { 2, 0 };
	uint64_t vvalues = new_split_values(3, vv, vorder, 2);
	pre = img_alloc(16 + F(PyGC_Head) + 16);
	o.vec = pre + 16 + F(PyGC_Head);
	w64(o.vec + F(PyObject_ob_refcnt), 1);
	w64(o.vec + F(PyObject_ob_type), o.vec_type);
	w64(o.vec - 32, vvalues);

	/* ValueError('boom') */
	o.exc_type = new_type("ValueError", TPF_BASE_EXC_SUBCLASS | TPF_HAVE_GC, 72, 0);
	o.exc = new_object(o.exc_type, 72, true);
	uint64_t boom = new_str("boom");
	w64(o.exc + F(PyBaseExceptionObject_args), new_tuple(1, &boom));
}

static void make_broken(void)
{
	/* Containers with impossible sizes. */
	o.d_bad_nentries = new_dict(1, &o.s_a, &o.i42);
	uint64_t k;
	memcpy(&k, at(o.d_bad_nentries + F(PyDictObject_ma_keys)), 8);
	w64(k + F(PyDictKeysObject_dk_nentries), (uint64_t)-5);
	uint64_t skeys[] = { o.small[1] };
	const unsigned slots[] = { 1 };
	o.set_bad_mask = new_set(1, skeys, slots);
	w64(o.set_bad_mask + F(PySetObject_mask), 5);
	o.int_bad_size = new_int(1);
	set_ob_size(o.int_bad_size, 1ll << 40);
	/* A type whose tp_name is unreadable, and an instance of it. */
	o.noname_type = new_type("?", 0x1000, 16, 0);
	w64(o.noname_type + F(PyTypeObject_tp_name), UNMAPPED);
	o.noname_obj = new_object(o.noname_type, 16, false);
	/* 70 nested lists: deeper than any depth limit. */
	uint64_t l = new_list(0, NULL);
	for (int i = 0; i < 70; i++)
		l = new_list(1, &l);
	o.l_chain70 = l;

	/* ob_type is an int, not a type. */
	o.bad_type = new_object(o.i42, 16, false);
	o.unmapped_type = new_object(UNMAPPED, 16, false);
	o.misaligned_type = new_object(wk.long_type + 3, 16, false);
	o.refcnt0 = new_int(5);
	w64(o.refcnt0 + F(PyObject_ob_refcnt), 0);
	o.refcnt_neg = new_int(5);
	w64(o.refcnt_neg + F(PyObject_ob_refcnt), (uint64_t)-3);
	/* The last 8 bytes of the image: half a header. */
	o.at_end = IMG_END - 8;
	w64(o.at_end, 1);
	/* A str whose text runs past the end of the image. */
	o.str_past_end = IMG_END - 0x80;
	w64(o.str_past_end + F(PyObject_ob_refcnt), 1);
	w64(o.str_past_end + F(PyObject_ob_type), wk.unicode_type);
	w64(o.str_past_end + F(PyASCIIObject_length), 1000);
	w32(o.str_past_end + F(PyASCIIObject_state), str_state(1, true));
}

/* ---- the program ------------------------------------------------------------ */

static char *tmpdir, *core_path;

static struct pyx_program *make_program(void)
{
	img = calloc(1, IMG_SIZE);
	if (!img)
		abort();
	lay = layout_find(11, false);
	make_types();
	make_numbers();
	make_strings();
	make_containers();
	make_instances();
	make_broken();
	if (img_used > IMG_SIZE - 0x100)
		abort(); /* make_broken's objects at the end would overlap */

	tmpdir = sc_tempdir();
	core_path = tmpdir ? sc_path(tmpdir, "objects.core") : NULL;
	const struct sc_segment seg = { IMG_BASE, img, IMG_SIZE, 0 };
	const struct sc_thread th = { 1234, 0 };
	struct sc_core core = { .segments = &seg, .nsegments = 1,
				.threads = &th, .nthreads = 1 };
	if (!core_path || sc_write_core(core_path, &core) != 0) {
		perror("writing the core");
		return NULL;
	}
	struct pyx_program *prog = calloc(1, sizeof(*prog));
	if (!prog)
		abort();
	if (!CHECK_OK(pyx_target_create_core(core_path, NULL, &prog->target))) {
		free(prog);
		return NULL;
	}
	prog->layout = *lay;
	prog->minor = 11;
	prog->version_hex = 0x030b07f0;
	prog->pthread_tid_offset = -1;
	prog->wk = wk;
	return prog;
}

static struct pyx_program *prog;

/* ---- tests ------------------------------------------------------------------ */

static void check_repr_lim(uint64_t addr, const struct pyx_repr_limits *lim,
			   const char *want, int line)
{
	struct strbuf sb = STRBUF_INIT;
	repr_object(prog, addr, lim, &sb);
	check_report(!sb.oom && sb.s && strcmp(sb.s, want) == 0, __FILE__, line,
		     "repr of 0x%llx: got \"%s\", want \"%s\"", (unsigned long long)addr,
		     sb.s ? sb.s : "(null)", want);
	strbuf_release(&sb);
}

#define CHECK_REPR(addr, want) check_repr_lim((addr), NULL, (want), __LINE__)
#define CHECK_REPR_LIM(addr, lim, want) check_repr_lim((addr), (lim), (want), __LINE__)

/* "<invalid object at 0x...>" for addr. */
static const char *invalid(uint64_t addr)
{
	static char buf[8][64];
	static int i;
	char *s = buf[i++ % 8];
	snprintf(s, 64, "<invalid object at 0x%llx>", (unsigned long long)addr);
	return s;
}

static void test_ints(void)
{
	CHECK_REPR(o.small[0], "0");
	CHECK_REPR(o.small[7], "7");
	CHECK_REPR(o.i42, "42");
	CHECK_REPR(o.im7, "-7");
	CHECK_REPR(o.i2_30, "1073741824");
	CHECK_REPR(o.i2_64m1, "18446744073709551615");
	CHECK_REPR(o.im2_100, "-1267650600228229401496703205376");
	CHECK_REPR(o.i10_40, "10000000000000000000000000000000000000000");
	CHECK_REPR(o.ihuge, "<int with about 4516 digits>");
	int64_t v = 0;
	bool fits = false;
	if (CHECK_OK(long_value(prog, o.im7, &v, &fits)))
		CHECK(fits && v == -7);
	if (CHECK_OK(long_value(prog, o.i2_64m1, &v, &fits)))
		CHECK(!fits);
	if (CHECK_OK(long_value(prog, o.im2_100, &v, &fits)))
		CHECK(!fits);
}

/* long_value() promises the value of every int that fits in int64_t. */
static void check_long_value(uint64_t addr, int64_t want, int line)
{
	int64_t v = 0;
	bool fits = false;
	struct pyx_error *err = long_value(prog, addr, &v, &fits);
	check_report(!err && fits && v == want, __FILE__, line,
		     "long_value: %s, fits %d, value %lld; want %lld",
		     err ? pyx_error_message(err) : "ok", fits, (long long)v,
		     (long long)want);
	pyx_error_destroy(err);
}

#define CHECK_LONG_VALUE(addr, want) check_long_value((addr), (want), __LINE__)

static void test_long_value_int64_range(void)
{
	CHECK_LONG_VALUE(o.small[0], 0);
	CHECK_LONG_VALUE(o.i2_30, 1 << 30);
	CHECK_REPR(o.i2_60, "1152921504606846976");
	CHECK_LONG_VALUE(o.i2_60, 1ll << 60);
	CHECK_REPR(o.i2_62, "4611686018427387904");
	CHECK_LONG_VALUE(o.i2_62, 1ll << 62);
	CHECK_REPR(o.imax, "9223372036854775807");
	CHECK_LONG_VALUE(o.imax, INT64_MAX);
	CHECK_REPR(o.imin, "-9223372036854775808");
	CHECK_LONG_VALUE(o.imin, INT64_MIN);
}

static void test_bools_none_floats(void)
{
	CHECK_REPR(wk.none, "None");
	CHECK_REPR(wk.true_, "True");
	CHECK_REPR(wk.false_, "False");
	CHECK_REPR(o.f15, "1.5");
	CHECK_REPR(o.fnegzero, "-0.0");
	CHECK_REPR(o.f1e16, "1e+16");
	CHECK_REPR(0, "<NULL>");
}

static void test_strs(void)
{
	CHECK_REPR(o.s_hello, "'hello'");
	CHECK_REPR(o.s_quote, "\"it's\"");
	CHECK_REPR(o.s_empty, "''");
	CHECK_REPR(o.s_latin1, "'caf\xc3\xa9'");
	CHECK_REPR(o.s_ucs2, "'\xce\xa9\xcf\x80\\u200b'");
	CHECK_REPR(o.s_ucs4, "'a\xf0\x9f\x98\x80\\U000e0001'");
	struct pyx_repr_limits lim = { .max_string = 4 };
	CHECK_REPR_LIM(o.s_long, &lim, "'abcd'...(6 more)");
	CHECK_REPR_LIM(o.s_ucs4, &lim, "'a\xf0\x9f\x98\x80\\U000e0001'");
	char *s = NULL;
	if (CHECK_OK(object_str_utf8(prog, o.s_ucs2, 100, &s)))
		CHECK_STR_EQ(s, "\xce\xa9\xcf\x80\xe2\x80\x8b");
	free(s);
	bool eq = false;
	if (CHECK_OK(str_equals(prog, o.s_hello, "hello", &eq)))
		CHECK(eq);
	if (CHECK_OK(str_equals(prog, o.s_hello, "hell", &eq)))
		CHECK(!eq);
	if (CHECK_OK(str_equals(prog, o.s_hello, "hello!", &eq)))
		CHECK(!eq);
	/* Broken strs render as unreadable, never crash. */
	char want[96];
	snprintf(want, sizeof(want), "<str at 0x%llx: unreadable>",
		 (unsigned long long)o.str_bad_kind);
	CHECK_REPR(o.str_bad_kind, want);
	snprintf(want, sizeof(want), "<str at 0x%llx: unreadable>",
		 (unsigned long long)o.str_past_end);
	CHECK_REPR(o.str_past_end, want);
}

static void test_bytes(void)
{
	CHECK_REPR(o.b_mixed, "b'ab\\x00\"'");
	struct pyx_repr_limits lim = { .max_string = 2 };
	CHECK_REPR_LIM(o.b_mixed, &lim, "b'ab'...(2 more)");
}

static void test_tuples_and_lists(void)
{
	CHECK_REPR(o.t0, "()");
	CHECK_REPR(o.t1, "(42,)");
	CHECK_REPR(o.t_nested, "(42, (42,), [])");
	CHECK_REPR(o.l_empty, "[]");
	CHECK_REPR(o.l_mixed, "[42, 'hello', None, True, False, 1.5]");
}

static void test_cycles(void)
{
	CHECK_REPR(o.l_self, "[[...]]");
	CHECK_REPR(o.t_cycle, "([(...)],)");
	CHECK_REPR(o.d_self, "{'self': {...}}");
}

static void test_limits(void)
{
	/* Default depth 3: the fourth list is summarized. */
	CHECK_REPR(o.l_deep, "[[[[<1 item>]]]]");
	struct pyx_repr_limits lim = { .max_depth = 1 };
	CHECK_REPR_LIM(o.l_deep, &lim, "[[<1 item>]]");
	lim.max_depth = 10;
	CHECK_REPR_LIM(o.l_deep, &lim, "[[[[42]]]]");
	CHECK_REPR(o.l_many, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...(2 more)]");
	struct pyx_repr_limits few = { .max_items = 3 };
	CHECK_REPR_LIM(o.l_many, &few, "[0, 1, 2, ...(9 more)]");
	few.max_items = 1;
	CHECK_REPR_LIM(o.d_simple, &few, "{'a': 1, ...(1 more)}");
	CHECK_REPR_LIM(o.t_nested, &few, "(42, ...(2 more))");
	CHECK_REPR_LIM(o.set2, &few, "{1, ...(1 more)}");
	struct pyx_repr_limits shallow = { .max_depth = 1 };
	CHECK_REPR_LIM(o.d_simple, &shallow, "{'a': 1, 'hello': [<1 item>]}");
}

static void test_dicts_and_sets(void)
{
	CHECK_REPR(o.d_empty, "{}");
	CHECK_REPR(o.d_simple, "{'a': 1, 'hello': [42]}");
	CHECK_REPR(o.d_deleted, "{'a': 1, 'b': 2}");
	uint64_t v = 0;
	if (CHECK_OK(dict_lookup_str(prog, o.d_simple, "hello", &v)))
		CHECK_REPR(v, "[42]");
	struct pyx_error *err = CHECK_ERR(dict_lookup_str(prog, o.d_simple, "nope", &v),
					  PYX_ERR_NOT_FOUND);
	pyx_error_destroy(err);
	int64_t used = -1;
	if (CHECK_OK(dict_used(prog, o.d_deleted, &used)))
		CHECK_EQ_INT(used, 2);
	CHECK_REPR(o.set0, "set()");
	CHECK_REPR(o.set2, "{1, 2}");
}

static void test_types_and_instances(void)
{
	CHECK_REPR(wk.long_type, "<class 'int'>");
	CHECK_REPR(wk.type_type, "<class 'type'>");
	CHECK_REPR(o.point_type, "<class 'geo.Point'>");
	char want[128];
	snprintf(want, sizeof(want), "<mymod.Foo object at 0x%llx; x=1, y=2>",
		 (unsigned long long)o.foo);
	CHECK_REPR(o.foo, want);
	snprintf(want, sizeof(want), "<mymod.Bar object at 0x%llx>",
		 (unsigned long long)o.bar);
	CHECK_REPR(o.bar, want);
	snprintf(want, sizeof(want), "<geo.Point object at 0x%llx; px=42>",
		 (unsigned long long)o.point);
	CHECK_REPR(o.point, want);
	uint64_t v = 0;
	if (CHECK_OK(instance_attr(prog, o.foo, "y", &v)))
		CHECK_EQ_U64(v, o.small[2]);
	if (CHECK_OK(instance_attr(prog, o.point, "px", &v)))
		CHECK_EQ_U64(v, o.i42);
	CHECK_REPR(o.exc, "ValueError('boom')");
	CHECK(object_is_type(prog, wk.dict_type));
	CHECK(object_is_type(prog, o.point_type));
	CHECK(!object_is_type(prog, o.i42));
	CHECK(!object_is_type(prog, UNMAPPED));
}

static void test_split_tables(void)
{
	CHECK_REPR(o.d_split, "{'sz': 3, 'sx': 1}");
	uint64_t v = 0;
	if (CHECK_OK(dict_lookup_str(prog, o.d_split, "sx", &v)))
		CHECK_EQ_U64(v, o.small[1]);
	struct pyx_error *err = CHECK_ERR(dict_lookup_str(prog, o.d_split, "sy", &v),
					  PYX_ERR_NOT_FOUND);
	pyx_error_destroy(err);
	char want[128];
	snprintf(want, sizeof(want), "<Vec object at 0x%llx; vz=3, vx=1>",
		 (unsigned long long)o.vec);
	CHECK_REPR(o.vec, want);
	if (CHECK_OK(instance_attr(prog, o.vec, "vz", &v)))
		CHECK_EQ_U64(v, o.small[3]);
}

static void test_corrupt_objects(void)
{
	struct strbuf sb = STRBUF_INIT;
	repr_object(prog, o.d_bad_nentries, NULL, &sb);
	CHECK_STR_CONTAINS(sb.s, "<unreadable entries>");
	strbuf_release(&sb);
	repr_object(prog, o.set_bad_mask, NULL, &sb);
	CHECK_STR_CONTAINS(sb.s, "<unreadable entries>");
	strbuf_release(&sb);
	char want[128];
	snprintf(want, sizeof(want), "<int at 0x%llx: unreadable>",
		 (unsigned long long)o.int_bad_size);
	CHECK_REPR(o.int_bad_size, want);
	snprintf(want, sizeof(want), "<type at 0x%llx: unreadable>",
		 (unsigned long long)o.noname_type);
	CHECK_REPR(o.noname_type, want);
	CHECK_REPR(o.noname_obj, invalid(o.noname_obj));
	/* Any depth asked for is capped below the cycle stack's size. */
	struct pyx_repr_limits deep = { .max_depth = 1000 };
	repr_object(prog, o.l_chain70, &deep, &sb);
	CHECK(!sb.oom && sb.s);
	if (sb.s) {
		size_t open = strspn(sb.s, "[");
		CHECK(open > 10 && open < 70);
		CHECK_STR_CONTAINS(sb.s, "<1 item>");
		CHECK_EQ_INT(strlen(sb.s), 2 * open + strlen("<1 item>"));
	}
	strbuf_release(&sb);
}

static void test_invalid_objects_in_containers(void)
{
	char want[256];
	snprintf(want, sizeof(want), "[42, %s, %s, <NULL>]", invalid(UNMAPPED),
		 invalid(o.i42 + 4));
	CHECK_REPR(o.l_bad_items, want);
	CHECK_REPR(o.bad_type, invalid(o.bad_type));
	CHECK_REPR(o.unmapped_type, invalid(o.unmapped_type));
	CHECK_REPR(o.misaligned_type, invalid(o.misaligned_type));
	CHECK_REPR(o.refcnt0, invalid(o.refcnt0));
	CHECK_REPR(o.refcnt_neg, invalid(o.refcnt_neg));
	CHECK_REPR(UNMAPPED, invalid(UNMAPPED));
	CHECK_REPR(o.at_end, invalid(o.at_end));
	snprintf(want, sizeof(want), "<list at 0x%llx: unreadable>",
		 (unsigned long long)o.l_neg_size);
	CHECK_REPR(o.l_neg_size, want);
	snprintf(want, sizeof(want), "<list at 0x%llx: unreadable>",
		 (unsigned long long)o.l_items_unmapped);
	CHECK_REPR(o.l_items_unmapped, want);
}

/* object_head must fail with code, naming addr. */
static void check_head_fails(uint64_t addr, enum pyx_error_code code,
			     const char *words, int line)
{
	struct object_head h;
	struct pyx_error *err = object_head(prog, addr, &h);
	if (!check_report(err && pyx_error_code(err) == code, __FILE__, line,
			  "object_head(0x%llx): %s (%s), want %s",
			  (unsigned long long)addr,
			  err ? pyx_error_code_name(pyx_error_code(err)) : "success",
			  pyx_error_message(err), pyx_error_code_name(code))) {
		pyx_error_destroy(err);
		return;
	}
	check_report(pyx_error_address(err) == addr, __FILE__, line,
		     "object_head(0x%llx): error address 0x%llx",
		     (unsigned long long)addr,
		     (unsigned long long)pyx_error_address(err));
	if (words)
		check_report(strstr(pyx_error_message(err), words) != NULL, __FILE__,
			     line, "object_head(0x%llx): \"%s\" lacks \"%s\"",
			     (unsigned long long)addr, pyx_error_message(err), words);
	pyx_error_destroy(err);
}

#define CHECK_HEAD_FAILS(addr, code, words) \
	check_head_fails((addr), (code), (words), __LINE__)

static void test_object_head(void)
{
	struct object_head h;
	if (CHECK_OK(object_head(prog, o.i42, &h))) {
		CHECK_EQ_U64(h.addr, o.i42);
		CHECK_EQ_INT(h.refcnt, 3);
		CHECK_EQ_U64(h.type, wk.long_type);
		CHECK_EQ_U64(h.type_flags, 0x1481500);
	}
	CHECK_HEAD_FAILS(0, PYX_ERR_INVALID_OBJECT, "NULL");
	CHECK_HEAD_FAILS(o.i42 + 1, PYX_ERR_INVALID_OBJECT, "misaligned");
	CHECK_HEAD_FAILS(0x10, PYX_ERR_INVALID_OBJECT, NULL);
	CHECK_HEAD_FAILS(o.refcnt0, PYX_ERR_INVALID_OBJECT, "refcount is 0");
	CHECK_HEAD_FAILS(o.refcnt_neg, PYX_ERR_INVALID_OBJECT, "refcount");
	CHECK_HEAD_FAILS(o.bad_type, PYX_ERR_INVALID_OBJECT, "not a type");
	CHECK_HEAD_FAILS(o.unmapped_type, PYX_ERR_INVALID_OBJECT, "not a type");
	CHECK_HEAD_FAILS(o.misaligned_type, PYX_ERR_INVALID_OBJECT, "not a type");
	CHECK_HEAD_FAILS(UNMAPPED, PYX_ERR_FAULT, NULL);
	CHECK_HEAD_FAILS(o.at_end, PYX_ERR_FAULT, NULL);
}

/* sys.getsizeof() of the same objects in CPython 3.11. */
static void check_size(uint64_t addr, uint64_t want, int line)
{
	struct object_head h;
	uint64_t size = 0;
	struct pyx_error *err = object_head(prog, addr, &h);
	if (!err)
		err = object_size(prog, &h, &size);
	check_report(!err && size == want, __FILE__, line,
		     "object_size(0x%llx) = %llu (%s), sys.getsizeof says %llu",
		     (unsigned long long)addr, (unsigned long long)size,
		     pyx_error_message(err), (unsigned long long)want);
	pyx_error_destroy(err);
}

#define CHECK_SIZE(addr, want) check_size((addr), (want), __LINE__)

static void test_sizes(void)
{
	CHECK_SIZE(o.small[0], 28);
	CHECK_SIZE(o.i42, 28);
	CHECK_SIZE(o.i2_30, 32);
	CHECK_SIZE(o.i10_40, 44);
	CHECK_SIZE(o.im2_100, 40);
	CHECK_SIZE(o.s_hello, 54);
	CHECK_SIZE(o.s_latin1, 77);
	CHECK_SIZE(o.s_ucs2, 80);
	CHECK_SIZE(o.s_ucs4, 88);
	CHECK_SIZE(o.b_mixed, 37);
	CHECK_SIZE(o.f15, 24);
	CHECK_SIZE(o.t0, 40);
	CHECK_SIZE(o.t1, 48);
	CHECK_SIZE(o.l_empty, 56);
	CHECK_SIZE(o.l_mixed, 104);
	CHECK_SIZE(o.d_simple, 184);
	CHECK_SIZE(o.set2, 216);
	CHECK_SIZE(wk.long_type, 424);
}

static void test_public_api(void)
{
	char *s = NULL;
	if (CHECK_OK(pyx_object_repr(prog, o.l_mixed, NULL, &s)))
		CHECK_STR_EQ(s, "[42, 'hello', None, True, False, 1.5]");
	pyx_free(s);
	s = NULL;
	if (CHECK_OK(pyx_object_repr(prog, wk.none, NULL, &s)))
		CHECK_STR_EQ(s, "None");
	pyx_free(s);
	s = NULL;
	struct pyx_error *err = CHECK_ERR(pyx_object_repr(prog, o.refcnt0, NULL, &s),
					  PYX_ERR_INVALID_OBJECT);
	pyx_error_destroy(err);
	if (CHECK_OK(pyx_object_json(prog, o.i42, NULL, &s))) {
		CHECK_STR_CONTAINS(s, "\"type\": \"int\"");
		CHECK_STR_CONTAINS(s, "\"refcount\": 3");
		CHECK_STR_CONTAINS(s, "\"size\": 28");
		CHECK_STR_CONTAINS(s, "\"repr\": \"42\"");
		CHECK_STR_CONTAINS(s, "\"gc_tracked\": false");
	}
	pyx_free(s);
	s = NULL;
	if (CHECK_OK(pyx_object_json(prog, o.s_quote, NULL, &s)))
		CHECK_STR_CONTAINS(s, "\"repr\": \"\\\"it's\\\"\"");
	pyx_free(s);
	s = NULL;
	err = CHECK_ERR(pyx_object_json(prog, UNMAPPED, NULL, &s), PYX_ERR_FAULT);
	if (err)
		CHECK_EQ_U64(pyx_error_address(err), UNMAPPED);
	pyx_error_destroy(err);
}

int main(void)
{
	prog = make_program();
	if (prog) {
		RUN(test_ints);
		RUN(test_long_value_int64_range);
		RUN(test_bools_none_floats);
		RUN(test_strs);
		RUN(test_bytes);
		RUN(test_tuples_and_lists);
		RUN(test_cycles);
		RUN(test_limits);
		RUN(test_dicts_and_sets);
		RUN(test_types_and_instances);
		RUN(test_split_tables);
		RUN(test_corrupt_objects);
		RUN(test_invalid_objects_in_containers);
		RUN(test_object_head);
		RUN(test_sizes);
		RUN(test_public_api);
	} else {
		CHECK(prog != NULL);
	}
	/* modules is NULL: pyx_program_destroy frees the target and the rest. */
	pyx_program_destroy(prog);
	if (tmpdir)
		sc_remove_dir(tmpdir);
	free(core_path);
	free(tmpdir);
	free(img);
	return check_finish();
}
