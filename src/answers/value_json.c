/* value_json.c - an object as a field of a JSON document. */
#include <stdlib.h>

#include "answers/value_json.h"
#include "objects/object.h"
#include "objects/repr.h"

void value_json(struct pyx_program *prog, uint64_t value,
		const struct pyx_repr_limits *limits, struct strbuf *sb)
{
	json_key(sb, "address");
	json_hex(sb, value);
	strbuf_puts(sb, ", ");
	json_key(sb, "type");
	struct object_head h;
	char *type = NULL;
	struct pyx_error *err = object_head(prog, value, &h);
	if (!err)
		err = type_qualified_name(prog, h.type, &type);
	if (err) {
		pyx_error_destroy(err);
		strbuf_puts(sb, "null");
	} else {
		json_string(sb, type);
	}
	free(type);
	strbuf_puts(sb, ", ");
	json_key(sb, "repr");
	struct strbuf r = STRBUF_INIT;
	repr_object(prog, value, limits, &r);
	json_string_n(sb, r.s ? r.s : "", r.len);
	strbuf_release(&r);
}
