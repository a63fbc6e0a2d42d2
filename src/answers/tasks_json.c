/* tasks_json.c - py-tasks' answer: every asyncio task, its coroutine
 * chain, what it awaits and who awaits it, and cycles of tasks awaiting
 * each other (shape in docs/py-tasks.md). */
#include "threads/tasks.h"
#include "util/strbuf.h"

static const char *state_word(enum task_state s)
{
	return s == TASK_DONE ? "done" : s == TASK_CANCELLED ? "cancelled" : "pending";
}

static void id_list(struct strbuf *sb, const struct pyx_tasks *t, const size_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(sb, ", ");
		json_hex(sb, t->v[v[i]].addr);
	}
}

static void task_json(struct strbuf *sb, const struct pyx_tasks *all, const struct pyx_task *t)
{
	strbuf_puts(sb, "{");
	json_key(sb, "id");
	json_hex(sb, t->addr);
	strbuf_puts(sb, ", ");
	json_key(sb, "name");
	json_string(sb, t->name ? t->name : "?");
	strbuf_puts(sb, ", ");
	json_key(sb, "state");
	json_string(sb, state_word(t->state));
	bool running = false;
	for (size_t i = 0; i < t->ncoros; i++)
		running |= t->coros[i].running;
	strbuf_printf(sb, ", \"cancelling\": %s, \"running\": %s, ",
		      t->cancelling ? "true" : "false", running ? "true" : "false");
	json_key(sb, "loop");
	json_hex(sb, t->loop);
	strbuf_puts(sb, ", ");
	json_key(sb, "tid");
	if (t->tid)
		strbuf_printf(sb, "%d", t->tid);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "coroutines");
	strbuf_puts(sb, "[");
	for (size_t i = 0; i < t->ncoros; i++) {
		const struct task_coro *c = &t->coros[i];
		strbuf_puts(sb, i ? ", {" : "{");
		json_key(sb, "function");
		json_string(sb, c->function);
		strbuf_puts(sb, ", ");
		json_key(sb, "file");
		json_string(sb, c->file);
		strbuf_printf(sb, ", \"line\": %d}", c->line);
	}
	strbuf_printf(sb, "], \"coroutines_cut\": %s, ", t->chain_cut ? "true" : "false");
	json_key(sb, "awaits");
	strbuf_puts(sb, "[");
	id_list(sb, all, t->awaits, t->nawaits);
	for (size_t i = 0; i < t->nothers; i++) {
		if (i || t->nawaits)
			strbuf_puts(sb, ", ");
		json_string(sb, t->others[i]);
	}
	strbuf_puts(sb, "], ");
	json_key(sb, "awaited_by");
	strbuf_puts(sb, "[");
	id_list(sb, all, t->awaited_by, t->nawaited_by);
	strbuf_puts(sb, "]}");
}

struct pyx_error *pyx_tasks_json(struct pyx_program *prog, char **ret)
{
	struct pyx_tasks *t;
	PYX_TRY(program_tasks(prog, &t));
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{");
	json_key(&sb, "python_version");
	json_string(&sb, prog->python_version_string ? prog->python_version_string : "?");
	strbuf_puts(&sb, ", ");
	json_key(&sb, "source");
	json_string(&sb, t->source ? t->source : "?");
	strbuf_printf(&sb, ", \"asyncio_imported\": %s, ", t->asyncio_imported ? "true" : "false");
	json_key(&sb, "tasks");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			strbuf_puts(&sb, ", ");
		task_json(&sb, t, &t->v[i]);
	}
	strbuf_puts(&sb, "], ");
	json_key(&sb, "loops");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < t->nloops; i++) {
		const struct task_loop *l = &t->loops[i];
		strbuf_puts(&sb, i ? ", {" : "{");
		json_key(&sb, "id");
		json_hex(&sb, l->addr);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "thread_id");
		if (l->thread_id)
			strbuf_printf(&sb, "%llu", (unsigned long long)l->thread_id);
		else
			strbuf_puts(&sb, "null");
		strbuf_puts(&sb, ", ");
		json_key(&sb, "tid");
		if (l->tid)
			strbuf_printf(&sb, "%d", l->tid);
		else
			strbuf_puts(&sb, "null");
		strbuf_printf(&sb, ", \"tasks\": %zu}", l->ntasks);
	}
	strbuf_puts(&sb, "], ");
	json_key(&sb, "deadlocks");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < t->ncycles; i++) {
		strbuf_puts(&sb, i ? ", [" : "[");
		id_list(&sb, t, t->cycles[i], t->cycle_len[i]);
		strbuf_puts(&sb, "]");
	}
	strbuf_puts(&sb, "], ");
	json_key(&sb, "notes");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < t->nnotes; i++) {
		if (i)
			strbuf_puts(&sb, ", ");
		json_string(&sb, t->notes[i]);
	}
	strbuf_puts(&sb, "]}");
	tasks_destroy(t);
	return strbuf_finish(&sb, ret);
}
