/* test_stream.c - answers bounded by what they show, and sizes that do
 * not overflow, on a small CPython 3.12 memory image read through the
 * memory-image target (target_create_image):
 *   - text appended to a strbuf in JSON mode is escaped as it goes, in
 *     pieces exactly as it would be at once;
 *   - a str or bytes repr longer than one streaming chunk picks its quote
 *     from all of the shown text, and says how much it left out;
 *   - a list whose allocated, a tuple whose ob_size, a type whose
 *     tp_basicsize is corrupt gives an error naming the field;
 *   - a read beyond the cap on any single read is refused. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "objects/object.h"
#include "objects/repr.h"
#include "objects/typeinfo.h"
#include "runtime/layout.h"
#include "runtime/program.h"
#include "target/target.h"
#include "util/strbuf.h"

#define BASE 0x7f5500000000ull
#define SIZE (512u << 10)
#define LONG_STR 100000u   /* longer than a streaming chunk (65536) */

static const struct pyx_layout *lay;
#define F(id) ((uint64_t)lay->v[PYX_L_##id])

static uint8_t *img;
static size_t used;
static struct well_known wk;

static uint64_t alloc(size_t n)
{
	used = (used + 15) & ~(size_t)15;
	if (used + n > SIZE)
		abort();
	uint64_t a = BASE + used;
	used += n;
	return a;
}

static uint8_t *at(uint64_t a)
{
	return img + (a - BASE);
}

static void w64(uint64_t a, uint64_t v) { memcpy(at(a), &v, 8); }
static void w32(uint64_t a, uint32_t v) { memcpy(at(a), &v, 4); }

static uint64_t object(uint64_t type, size_t size, bool gc)
{
	uint64_t a = alloc((gc ? 16 : 0) + size) + (gc ? 16 : 0);
	w64(a + F(PyObject_ob_refcnt), 1);
	w64(a + F(PyObject_ob_type), type);
	return a;
}

static uint64_t type(const char *name, uint64_t flags, int64_t basic, int64_t item)
{
	uint64_t t = object(wk.type_type, F(PyTypeObject), false);
	if (!wk.type_type) {
		wk.type_type = t;
		w64(t + F(PyObject_ob_type), t);
	}
	uint64_t s = alloc(strlen(name) + 1);
	memcpy(at(s), name, strlen(name) + 1);
	w64(t + F(PyTypeObject_tp_name), s);
	w64(t + F(PyTypeObject_tp_flags), flags);
	w64(t + F(PyTypeObject_tp_basicsize), (uint64_t)basic);
	w64(t + F(PyTypeObject_tp_itemsize), (uint64_t)item);
	return t;
}

static struct {
	uint64_t long_str, long_bytes, list, tuple, bad_type_obj;
} o;

static struct pyx_program *make_program(void)
{
	img = calloc(1, SIZE);
	if (!img)
		abort();
	lay = layout_find(12, false);
	type("type", TPF_TYPE_SUBCLASS, F(PyHeapTypeObject), 40);
	wk.unicode_type = type("str", TPF_UNICODE_SUBCLASS, F(PyUnicodeObject), 0);
	wk.bytes_type = type("bytes", TPF_BYTES_SUBCLASS, F(PyBytesObject_ob_sval) + 1, 1);
	wk.list_type = type("list", TPF_LIST_SUBCLASS | TPF_HAVE_GC, F(PyListObject), 0);
	wk.tuple_type = type("tuple", TPF_TUPLE_SUBCLASS | TPF_HAVE_GC, F(PyTupleObject_ob_item), 8);
	uint64_t huge = type("Huge", 0, 1ll << 40, 0);

	/* 'xxx...x' with one ' near the end: repr() quotes it with ". */
	o.long_str = object(wk.unicode_type, F(PyASCIIObject) + LONG_STR + 1, false);
	w64(o.long_str + F(PyASCIIObject_length), LONG_STR);
	uint32_t km = (uint32_t)F(PyASCIIObject_state_kind);
	w32(o.long_str + F(PyASCIIObject_state), ((1u << __builtin_ctz(km)) & km) |
	    (uint32_t)F(PyASCIIObject_state_compact) | (uint32_t)F(PyASCIIObject_state_ascii));
	memset(at(o.long_str + F(PyASCIIObject)), 'x', LONG_STR);
	*at(o.long_str + F(PyASCIIObject) + LONG_STR - 2) = '\'';

	o.long_bytes = object(wk.bytes_type, F(PyBytesObject_ob_sval) + LONG_STR + 1, false);
	w64(o.long_bytes + F(PyVarObject_ob_size), LONG_STR);
	memset(at(o.long_bytes + F(PyBytesObject_ob_sval)), 'y', LONG_STR);
	*at(o.long_bytes + F(PyBytesObject_ob_sval) + LONG_STR - 1) = '"';

	o.list = object(wk.list_type, F(PyListObject), true);
	w64(o.list + F(PyVarObject_ob_size), 1);
	w64(o.list + F(PyListObject_ob_item), alloc(8));
	w64(o.list + F(PyListObject_allocated), 0x7fffffffffffffffull);
	o.tuple = object(wk.tuple_type, F(PyTupleObject_ob_item) + 8, true);
	w64(o.tuple + F(PyVarObject_ob_size), 0x7ffffffffffffff0ull);
	o.bad_type_obj = object(huge, 32, false);

	struct pyx_program *prog = calloc(1, sizeof(*prog));
	if (!prog)
		abort();
	if (!CHECK_OK(target_create_image(BASE, img, SIZE, &prog->target))) {
		free(prog);
		return NULL;
	}
	prog->layout = *lay;
	prog->minor = 12;
	prog->version_hex = 0x030c01f0;
	prog->pthread_tid_offset = -1;
	prog->wk = wk;
	return prog;
}

static struct pyx_program *prog;

/* ---- tests ------------------------------------------------------------------ */

static void test_json_mode(void)
{
	const char text[] = "a\"b\\c\n\x01\xff\xe2\x98\xba end";
	struct strbuf whole = STRBUF_INIT, parts = STRBUF_INIT;
	json_string_n(&whole, text, sizeof(text) - 1);
	json_string_begin(&parts);
	for (size_t i = 0; i < 5; i++)
		strbuf_putc(&parts, text[i]);
	strbuf_printf(&parts, "%s", text + 5);
	json_string_end(&parts);
	CHECK(!whole.oom && !parts.oom);
	CHECK_STR_EQ(parts.s, whole.s);
	CHECK_STR_EQ(whole.s, "\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\xe2\x98\xba end\"");
	/* Outside the string, appends are plain again. */
	strbuf_puts(&parts, "\"");
	CHECK(parts.len && parts.s[parts.len - 1] == '"' && parts.s[parts.len - 2] == '"');
	strbuf_release(&whole);
	strbuf_release(&parts);
}

static void check_repr(uint64_t addr, int max_string, const char *head, const char *tail,
		       size_t len, bool want_cut, int line)
{
	struct pyx_repr_limits lim = { 0, 0, max_string };
	struct strbuf sb = STRBUF_INIT;
	bool cut = repr_object_limited(prog, addr, &lim, &sb);
	size_t hl = strlen(head), tl = strlen(tail);
	check_report(!sb.oom && sb.s && sb.len == len && !strncmp(sb.s, head, hl) &&
		     !strcmp(sb.s + sb.len - tl, tail), __FILE__, line,
		     "repr of 0x%llx: %zu bytes (want %zu), starting \"%.12s\", ending \"%s\"",
		     (unsigned long long)addr, sb.len, len, sb.s ? sb.s : "",
		     sb.s && sb.len > 24 ? sb.s + sb.len - 24 : "");
	check_report(cut == want_cut, __FILE__, line, "truncated: %d, want %d", cut, want_cut);
	strbuf_release(&sb);
}

static void test_long_reprs(void)
{
	/* All of it: the ' near the end decides the quote. */
	check_repr(o.long_str, 2000000000, "\"xxx", "x'x\"", LONG_STR + 2, false, __LINE__);
	/* Cut in the second chunk: the ' is not shown, so ' quotes it. */
	check_repr(o.long_str, 70000, "'xxx", "xx'...(30000 more)", 70000 + 2 + 15, true,
		   __LINE__);
	check_repr(o.long_bytes, 2000000000, "b'yyy", "yy\"'", LONG_STR + 3, false, __LINE__);
	check_repr(o.long_bytes, 10, "b'yyyyyyyyyy'", "...(99990 more)",
		   3 + 10 + 15, true, __LINE__);
}

static void test_sizes(void)
{
	struct object_head h;
	uint64_t size;
	if (CHECK_OK(object_head(prog, o.list, &h))) {
		struct pyx_error *err = CHECK_ERR(object_size(prog, &h, &size),
						  PYX_ERR_INVALID_OBJECT);
		CHECK_STR_CONTAINS(pyx_error_message(err), "its allocated is 9223372036854775807");
		pyx_error_destroy(err);
	}
	const struct type_info *ti;
	if (CHECK_OK(type_info_get(prog, wk.tuple_type, &ti))) {
		struct pyx_error *err = CHECK_ERR(object_size_fast(prog, o.tuple, ti, &size),
						  PYX_ERR_INVALID_OBJECT);
		CHECK_STR_CONTAINS(pyx_error_message(err), "its ob_size is");
		pyx_error_destroy(err);
	}
	if (CHECK_OK(object_head(prog, o.bad_type_obj, &h))) {
		struct pyx_error *err = CHECK_ERR(object_size(prog, &h, &size),
						  PYX_ERR_INVALID_OBJECT);
		CHECK_STR_CONTAINS(pyx_error_message(err), "tp_basicsize 1099511627776");
		pyx_error_destroy(err);
	}
}

static void test_read_cap(void)
{
	void *buf = malloc(1);
	struct pyx_error *err = CHECK_ERR(pyx_target_read(prog->target, BASE,
							  buf, (size_t)PYX_MAX_READ + 1),
					  PYX_ERR_LIMIT);
	CHECK_STR_CONTAINS(pyx_error_message(err), "at once (at most 256 MiB)");
	pyx_error_destroy(err);
	uint8_t b[16];
	err = CHECK_ERR(pyx_target_read(prog->target, BASE + SIZE - 8, b, sizeof(b)),
			PYX_ERR_FAULT);
	pyx_error_destroy(err);
	free(buf);
}

int main(void)
{
	prog = make_program();
	if (prog) {
		RUN(test_json_mode);
		RUN(test_long_reprs);
		RUN(test_sizes);
		RUN(test_read_cap);
		pyx_program_destroy(prog);
	}
	free(img);
	return check_finish();
}
