/* locks_json.h - the pieces of py-locks' JSON that py-triage shares
 * (internal). */
#ifndef PYX_LOCKS_JSON_H
#define PYX_LOCKS_JSON_H

#include "threads/locks.h"
#include "util/strbuf.h"

/* {"tid", "lock", "type", "kind", "method", "blocked", "waits_in",
 * "holder_tid", "holder_known_by", "owner_exited", "locked", "count",
 * "names", "frame"} */
void lock_wait_json(const struct lock_wait *w, struct strbuf *sb);
/* "waits": [...], "deadlocks": [{"tids", "locks"}] (no braces) */
void locks_body_json(const struct pyx_locks *l, struct strbuf *sb);

#endif
