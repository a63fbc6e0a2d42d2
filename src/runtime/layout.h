/* layout.h - where fields sit in each CPython version's structs
 * (internal).  The values come from tables generated from each version's
 * headers (src/runtime/layouts/); on 3.13+ those covered by _Py_DebugOffsets are
 * replaced by the target's own. */
#ifndef PYX_LAYOUT_H
#define PYX_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/layout_ids.h"

#define PYX_ABSENT INT64_MIN

struct pyx_layout_member {
	const char *ctype;   /* "PyThreadState", "struct _gc_runtime_state" */
	const char *member;  /* "threads.head"; NULL for a size */
};

struct pyx_layout {
	const char *name;     /* "3.11", "3.11d" */
	const char *source;   /* "CPython 3.11.7 headers" */
	int minor;
	bool debug;
	int64_t v[PYX_L_COUNT];
	struct pyx_layout_member members[PYX_L_COUNT];
};

/* All built-in tables, NULL-terminated. */
extern const struct pyx_layout *const pyx_layouts[];

/* The table for 3.minor (the debug variant if asked and there is one). */
const struct pyx_layout *layout_find(int minor, bool debug);

/* The oldest and newest minor versions with a table. */
void layout_range(int *oldest, int *newest);

/* Mapping from _Py_DebugOffsets fields to layout ids (3.13+). */
struct debug_offset_map {
	enum pyx_layout_id dbg;    /* the DebugOffsets_* id: where in the blob */
	enum pyx_layout_id field;  /* the layout id it gives a value for */
};
extern const struct debug_offset_map pyx_debug_offset_map[];
extern const size_t pyx_debug_offset_map_len;

#endif
