/* edges.h - the references an object holds, decoded per kind
 * (internal). */
#ifndef PYX_EDGES_H
#define PYX_EDGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objects/typeinfo.h"

/* ---- references ----------------------------------------------------------- */

enum edge_kind {
	EDGE_ITEM,        /* tuple/list item: aux = index */
	EDGE_DICT_VALUE,  /* aux = the key object */
	EDGE_DICT_KEY,    /* aux = the key object (the target itself) */
	EDGE_SET_ITEM,
	EDGE_ATTR,        /* instance attribute: aux = name str object */
	EDGE_SLOT,        /* __slots__ member: name in the type's slot table */
	EDGE_FIELD,       /* a named field: name is a static string */
	EDGE_LOCAL,       /* frame local: aux = name str, aux2 = code object */
	EDGE_STACK,       /* frame value stack: aux2 = code object */
	EDGE_CONSERVATIVE, /* a pointer found in the body: aux = offset */
	EDGE_CACHE_KEY,   /* an lru_cache link's key */
	EDGE_CACHE_RESULT, /* an lru_cache link's result: aux = its key */
};

struct edge {
	enum edge_kind kind;
	uint64_t target;
	uint64_t aux, aux2;
	const char *name;  /* EDGE_FIELD / EDGE_SLOT */
};

/* Called per reference an object holds; non-zero stops. */
typedef int (*edge_visit_fn)(void *arg, const struct edge *e);

/* Every reference obj holds, decoded exactly for the containers pyxray
 * knows and by a conservative scan of aligned pointers for the rest.
 * Only references to objects are reported (NULLs are skipped). */
struct pyx_error *object_edges(struct pyx_program *prog, uint64_t obj,
			       const struct type_info *ti,
			       edge_visit_fn visit, void *arg);

/* The references a thread's running (not generator-owned) interpreter
 * frame holds: locals and value stack (3.11+; earlier frames are
 * objects on the gc lists). */
struct pyx_error *iframe_edges(struct pyx_program *prog, uint64_t iframe,
			       edge_visit_fn visit, void *arg);

/* The references a code object holds (constants, names, file name ...). */
struct pyx_error *code_edges(struct pyx_program *prog, uint64_t code,
			     edge_visit_fn visit, void *arg);

/* A label for an edge: "list[3]", "dict['key']", ".attr", ... */
struct strbuf;
void edge_label(struct pyx_program *prog, const struct edge *e,
		const char *holder_kind, struct strbuf *sb);

#endif
