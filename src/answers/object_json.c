/* object_json.c - py-object's answer as JSON (shape in docs/py-object.md). */
#include <stdlib.h>

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
