/* tracemalloc.h - tracemalloc's tables read from the outside: where each
 * traced allocation was made (internal). */
#ifndef PYX_TRACEMALLOC_H
#define PYX_TRACEMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/program.h"

struct tm_state {
	bool tracing;
	int max_nframe;
	uint64_t traced_memory;
	uint64_t traces;      /* _Py_hashtable_t * of domain 0 */
	uint64_t domains;     /* 3.9+: domain -> traces table; 0 in 3.8 */
	uint64_t key_size;    /* 3.8: 8, or 12 once (pointer, domain) keys are in use */
};

/* Where tracemalloc's state is and whether it traces.  Fails with
 * PYX_ERR_NO_DEBUG_INFO when its tables are statics only the full symbol
 * table names (3.8 - 3.11). */
struct pyx_error *tracemalloc_state(struct pyx_program *prog, struct tm_state *ret);

/* How to turn tracemalloc on, for messages. */
#define TRACEMALLOC_HOWTO "start the process with PYTHONTRACEMALLOC=25 (or -X " \
	"tracemalloc=25), or call tracemalloc.start(25) in it"

struct tm_frame {
	char *file;
	uint32_t line;
};

struct tm_traceback {
	struct tm_frame *frames;  /* outermost first */
	size_t n;
	size_t total;             /* frames the stack had (more than n: cut) */
};
void tm_traceback_release(struct tm_traceback *tb);

/* The traceback of the allocation at ptr (domain 0), or *found false. */
struct pyx_error *tracemalloc_lookup(struct pyx_program *prog, const struct tm_state *st,
				     uint64_t ptr, bool *found, uint64_t *size,
				     struct tm_traceback *ret);

/* Decode the traceback at address tb. */
struct pyx_error *tracemalloc_traceback(struct pyx_program *prog, uint64_t tb,
					struct tm_traceback *ret);

/* Every trace of every domain: the traceback's address identifies it
 * (tracebacks are interned).  Non-zero from visit stops. */
typedef int (*trace_visit_fn)(void *arg, unsigned domain, uint64_t ptr, uint64_t size,
			      uint64_t traceback);
struct pyx_error *tracemalloc_foreach(struct pyx_program *prog, const struct tm_state *st,
				      trace_visit_fn visit, void *arg);

struct strbuf;

/* The traced memory grouped by allocation site (the whole traceback), as
 * tracemalloc's Snapshot.statistics('traceback') groups it: key is the
 * traceback as text, outermost frame first, one "file:line" per line. */
struct tm_site {
	char *key;
	uint64_t size, count;
};
struct pyx_error *tracemalloc_sites(struct pyx_program *prog, const struct tm_state *st,
				    struct tm_site **ret, size_t *n);
void tm_sites_free(struct tm_site *s, size_t n);
/* The frames of a key, as tracemalloc_frames_json writes them. */
void tm_site_key_json(const char *key, struct strbuf *sb);

/* JSON of a traceback's frames: [{"file", "line", "function": null}]. */
void tracemalloc_frames_json(const struct tm_traceback *tb, struct strbuf *sb);

/* py-object's "allocated_at": ..., "allocated_at_note": ... for the
 * object at obj (its allocation starts preheader bytes before it). */
void tracemalloc_object_json(struct pyx_program *prog, uint64_t obj, int64_t preheader,
			     struct strbuf *sb);

#endif
