/* object_json.c - py-object's answer as JSON (shape in docs/py-object.md). */
#include <stdlib.h>

#include "answers/value_json.h"
#include "heap/heap.h"
#include "heap/tracemalloc.h"
#include "objects/object.h"
#include "objects/repr.h"
#include "util/strbuf.h"

struct pyx_error *pyx_object_repr(struct pyx_program *prog, uint64_t address,
				  const struct pyx_repr_limits *limits, char **ret)
{
	struct object_head h;
	if (address != prog->wk.none)
		PYX_TRY(object_head(prog, address, &h));
	struct strbuf sb = STRBUF_INIT;
	repr_object(prog, address, limits, &sb);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_object_type_name(struct pyx_program *prog, uint64_t address,
				       char **ret)
{
	struct object_head h;
	PYX_TRY(object_head(prog, address, &h));
	return type_qualified_name(prog, h.type, ret);
}

struct pyx_error *pyx_object_json(struct pyx_program *prog, uint64_t address,
				  const struct pyx_repr_limits *limits, char **ret)
{
	struct object_head h;
	PYX_TRY(object_head(prog, address, &h));
	char *type = NULL;
	PYX_TRY(type_qualified_name(prog, h.type, &type));
	uint64_t size = 0;
	struct pyx_error *size_err = object_size(prog, &h, &size);
	struct gc_info gc;
	struct pyx_error *gc_err = object_gc_info(prog, &h, &gc);

	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{");
	json_key(&sb, "address");
	json_hex(&sb, address);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "type");
	json_string(&sb, type);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "type_address");
	json_hex(&sb, h.type);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "refcount");
	strbuf_printf(&sb, "%lld, ", (long long)h.refcnt);
	json_key(&sb, "immortal");
	strbuf_puts(&sb, refcount_is_immortal(prog, h.refcnt) ? "true, " : "false, ");
	json_key(&sb, "size");
	if (size_err)
		strbuf_puts(&sb, "null, ");
	else
		strbuf_printf(&sb, "%llu, ", (unsigned long long)size);
	json_key(&sb, "gc_tracked");
	strbuf_puts(&sb, !gc.tracked_known ? "null, " : gc.tracked ? "true, " : "false, ");
	json_key(&sb, "generation");
	if (!gc_err && gc.tracked && gc.generation >= 0)
		strbuf_printf(&sb, "%d, ", gc.generation);
	else
		strbuf_puts(&sb, "null, ");
	json_key(&sb, "repr");
	/* The repr streams into the document: no copy of it is made. */
	json_string_begin(&sb);
	bool truncated = repr_object_limited(prog, address, limits, &sb);
	json_string_end(&sb);
	struct pyx_repr_limits used = { 0 };
	if (limits)
		used = *limits;
	repr_limits_normalize(&used);
	strbuf_printf(&sb, ", \"truncated\": %s, \"limits\": {\"depth\": %d, \"items\": %d, "
		      "\"string\": %d}", truncated ? "true" : "false", used.max_depth,
		      used.max_items, used.max_string);
	if (limits && limits->max_depth > REPR_MAX_DEPTH)
		strbuf_printf(&sb, ", \"notes\": [\"a depth of %d was asked for; reprs nest "
			      "at most %d levels\"]", limits->max_depth, REPR_MAX_DEPTH);
	const struct type_info *ti = type_info_lookup(prog, h.type);
	strbuf_puts(&sb, ", ");
	tracemalloc_object_json(prog, address, ti ? ti->preheader : 0, &sb);
	if (size_err || gc_err) {
		strbuf_puts(&sb, ", ");
		json_key(&sb, "errors");
		strbuf_puts(&sb, "[");
		if (size_err)
			json_string(&sb, pyx_error_message(size_err));
		if (gc_err) {
			if (size_err)
				strbuf_puts(&sb, ", ");
			json_string(&sb, pyx_error_message(gc_err));
		}
		strbuf_puts(&sb, "]");
	}
	strbuf_puts(&sb, "}");
	pyx_error_destroy(size_err);
	pyx_error_destroy(gc_err);
	free(type);
	return strbuf_finish(&sb, ret);
}

/* ---- py-object --fields ---------------------------------------------------- */

#define MAX_FIELDS 10000

struct fields_ctx {
	struct pyx_program *prog;
	const char *holder;            /* "list", "tuple", ... for labels */
	struct pyx_repr_limits limits;
	struct strbuf *sb;
	size_t n, more;
	bool attrs_done;   /* the instance's attributes are listed already */
};

static int field_visit(void *arg, const struct edge *e);

/* An instance's attributes, whichever way it keeps them (a __dict__, a
 * managed dict, inline values): ".name" fields first. */
static int attr_field_visit(void *arg, uint64_t key, uint64_t value)
{
	struct edge e = { .kind = EDGE_ATTR, .target = value, .aux = key };
	return field_visit(arg, &e);
}

static const char *edge_kind_name(enum edge_kind k)
{
	switch (k) {
	case EDGE_ITEM: return "item";
	case EDGE_DICT_VALUE: return "value";
	case EDGE_DICT_KEY: return "key";
	case EDGE_SET_ITEM: return "item";
	case EDGE_ATTR: return "attribute";
	case EDGE_SLOT: return "slot";
	case EDGE_FIELD: return "field";
	case EDGE_LOCAL: return "local";
	case EDGE_STACK: return "stack";
	case EDGE_CONSERVATIVE: return "pointer";
	case EDGE_CACHE_KEY: return "key";
	case EDGE_CACHE_RESULT: return "value";
	}
	return "?";
}

static int field_visit(void *arg, const struct edge *e)
{
	struct fields_ctx *c = arg;
	if (e->kind == EDGE_ATTR && c->attrs_done)
		return 0;
	if (c->n == MAX_FIELDS) {
		c->more++;
		return 0;
	}
	struct strbuf *sb = c->sb;
	strbuf_puts(sb, c->n ? ", {" : "{");
	c->n++;
	json_key(sb, "name");
	struct strbuf label = STRBUF_INIT;
	edge_label(c->prog, e, c->holder, &label);
	json_string_n(sb, label.s ? label.s : "", label.len);
	strbuf_release(&label);
	strbuf_puts(sb, ", ");
	json_key(sb, "kind");
	json_string(sb, edge_kind_name(e->kind));
	strbuf_puts(sb, ", ");
	value_json(c->prog, e->target, &c->limits, sb);
	strbuf_puts(sb, "}");
	return 0;
}

struct pyx_error *pyx_object_fields_json(struct pyx_program *prog, uint64_t address,
					 const struct pyx_repr_limits *limits, char **ret)
{
	struct object_head h;
	PYX_TRY(object_head(prog, address, &h));
	const struct type_info *ti;
	PYX_TRY(type_info_get(prog, h.type, &ti));
	struct strbuf sb = STRBUF_INIT;
	struct fields_ctx c = { .prog = prog, .sb = &sb,
				.holder = ti->kind == KIND_LIST ? "list"
					: ti->kind == KIND_TUPLE ? "tuple"
					: ti->name ? ti->name : "?" };
	if (limits)
		c.limits = *limits;
	/* Each field's value in one line: shallower than py-object's repr. */
	if (c.limits.max_depth <= 0)
		c.limits.max_depth = 1;
	if (c.limits.max_items <= 0)
		c.limits.max_items = 5;
	if (c.limits.max_string <= 0)
		c.limits.max_string = 60;
	strbuf_puts(&sb, "{");
	json_key(&sb, "address");
	json_hex(&sb, address);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "fields");
	strbuf_puts(&sb, "[");
	struct pyx_error *err = NULL;
	if (ti->kind == KIND_INSTANCE || ti->kind == KIND_OTHER) {
		err = instance_attrs_iterate(prog, address, &h, attr_field_visit, &c);
		c.attrs_done = !err;
		pyx_error_destroy(err);
	}
	err = object_edges(prog, address, ti, field_visit, &c);
	strbuf_puts(&sb, "], ");
	json_key(&sb, "more_fields");
	strbuf_printf(&sb, "%zu", c.more);
	if (err) {
		strbuf_puts(&sb, ", ");
		json_key(&sb, "fields_error");
		json_string(&sb, pyx_error_message(err));
		pyx_error_destroy(err);
	}
	strbuf_puts(&sb, "}");
	return strbuf_finish(&sb, ret);
}
