/* locks_json.c - py-locks' answer: what each blocked thread waits on,
 * who holds it, and cycles of threads waiting for each other (shape in
 * docs/py-locks.md). */
#include "answers/locks_json.h"
#include "util/strbuf.h"

void lock_wait_json(const struct lock_wait *w, struct strbuf *sb)
{
	strbuf_printf(sb, "{\"tid\": %d, ", w->tid);
	json_key(sb, "thread_name");
	if (w->thread_name)
		json_string(sb, w->thread_name);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "lock");
	json_hex(sb, w->object);
	strbuf_puts(sb, ", ");
	json_key(sb, "type");
	json_string(sb, w->type ? w->type : "?");
	strbuf_puts(sb, ", ");
	json_key(sb, "kind");
	json_string(sb, wait_kind_name(w->kind));
	strbuf_puts(sb, ", ");
	json_key(sb, "method");
	json_string(sb, w->method ? w->method : "?");
	strbuf_printf(sb, ", \"blocked\": %s, ", w->blocked ? "true" : "false");
	json_key(sb, "waits_in");
	if (w->lock && w->lock != w->object)
		json_hex(sb, w->lock);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "holder_tid");
	if (w->holder_tid)
		strbuf_printf(sb, "%d", w->holder_tid);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "holder_name");
	if (w->holder_name)
		json_string(sb, w->holder_name);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "holder_known_by");
	if (w->holder_how && (w->holder_tid || w->owned_by_exited))
		json_string(sb, w->holder_how);
	else
		strbuf_puts(sb, "null");
	strbuf_printf(sb, ", \"owner_exited\": %s, ", w->owned_by_exited ? "true" : "false");
	json_key(sb, "locked");
	if (w->kind == WAIT_LOCK || w->kind == WAIT_RLOCK)
		strbuf_puts(sb, w->locked ? "true" : "false");
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "count");
	if (w->count >= 0)
		strbuf_printf(sb, "%lld", (long long)w->count);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "names");
	strbuf_puts(sb, "[");
	for (size_t i = 0; i < w->nnames; i++) {
		if (i)
			strbuf_puts(sb, ", ");
		json_string(sb, w->names[i]);
	}
	strbuf_puts(sb, "], ");
	json_key(sb, "frame");
	if (w->frame)
		json_string(sb, w->frame);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, "}");
}

void locks_body_json(const struct pyx_locks *l, struct strbuf *sb)
{
	json_key(sb, "waits");
	strbuf_puts(sb, "[");
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strbuf_puts(sb, ", ");
		lock_wait_json(&l->waits[i], sb);
	}
	strbuf_puts(sb, "], ");
	json_key(sb, "deadlocks");
	strbuf_puts(sb, "[");
	for (size_t i = 0; i < l->ncycles; i++) {
		const struct lock_cycle *y = &l->cycles[i];
		strbuf_puts(sb, i ? ", {\"tids\": [" : "{\"tids\": [");
		for (size_t k = 0; k < y->n; k++)
			strbuf_printf(sb, "%s%d", k ? ", " : "", y->tids[k]);
		strbuf_puts(sb, "], \"locks\": [");
		for (size_t k = 0; k < y->n; k++) {
			if (k)
				strbuf_puts(sb, ", ");
			json_hex(sb, y->objects[k]);
		}
		strbuf_puts(sb, "]}");
	}
	strbuf_puts(sb, "]");
}

struct pyx_error *pyx_locks_json(struct pyx_program *prog, char **ret)
{
	struct pyx_locks *l;
	PYX_TRY(program_locks(prog, &l));
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{");
	json_key(&sb, "python_version");
	json_string(&sb, prog->python_version_string ? prog->python_version_string : "?");
	strbuf_puts(&sb, ", ");
	locks_body_json(l, &sb);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "notes");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < l->nnotes; i++) {
		if (i)
			strbuf_puts(&sb, ", ");
		json_string(&sb, l->notes[i]);
	}
	strbuf_puts(&sb, "]}");
	locks_destroy(l);
	return strbuf_finish(&sb, ret);
}
