/* value_json.h - an object as a field of a JSON document (internal). */
#ifndef PYX_VALUE_JSON_H
#define PYX_VALUE_JSON_H

#include <stdint.h>

#include "pyxray.h"
#include "runtime/program.h"
#include "util/strbuf.h"

/* "address": "0x...", "type": its qualified name or null, "repr": a safe
 * repr within limits (the caller writes the braces around them). */
void value_json(struct pyx_program *prog, uint64_t value,
		const struct pyx_repr_limits *limits, struct strbuf *sb);

#endif
