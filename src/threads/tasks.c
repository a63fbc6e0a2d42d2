/* tasks.c - asyncio's tasks, read from the structures _asyncio keeps:
 *   3.8 - 3.11  the WeakSet asyncio.tasks._all_tasks (_asyncio's own)
 *   3.12, 3.13  the WeakSet _scheduled_tasks and the set _eager_tasks
 *   3.14+       a linked list per thread (_PyThreadStateImpl) and one per
 *               interpreter for tasks whose thread has exited, at the
 *               offsets _asyncio's .AsyncioDebug section gives; plus the
 *               sets above for tasks of the pure-Python implementation
 * Each task's coroutine chain follows what each coroutine awaits
 * (_PyGen_yf) down to the future the task waits for (task_fut_waiter). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threads/frames.h"
#include "threads/tasks.h"
#include "util/addr_table.h"
#include "util/strlist.h"
#include "threads/threads.h"

#define MAX_TASKS (1u << 24)
#define MAX_CHAIN 256

/* ---- small helpers ---------------------------------------------------- */

/* ---- what kind of object ----------------------------------------------- */

enum obj_kind { K_OTHER, K_TASK, K_FUTURE, K_FUTURE_ITER, K_CORO, K_GATHERING };

struct ctx {
	struct pyx_program *prog;
	struct pyx_tasks *out;
	uint64_t task_type, future_type, gathering_type;
	struct addr_map kinds;      /* type -> enum obj_kind */
	struct addr_map codes;      /* code -> index into names (function; file next) */
	struct addr_set seen;       /* task addresses found */
	uint64_t *found;            /* in order */
	size_t nfound, capfound;
	int *found_tid;
	bool oom;
	/* 3.14+: where the lists are, from .AsyncioDebug or the table */
	int64_t off_name, off_coro, off_node, off_tstate_head, off_interp_head;
	int64_t off_awaited_by, off_awaited_by_is_set;
};

static struct pyx_error *add_note(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct pyx_error *add_note(struct ctx *c, const char *fmt, ...)
{
	struct pyx_tasks *t = c->out;
	va_list ap;
	va_start(ap, fmt);
	bool ok = strlist_vappendf(&t->notes, &t->nnotes, fmt, ap);
	va_end(ap);
	return ok ? NULL : pyx_error_no_memory();
}

static enum obj_kind kind_of_type(struct ctx *c, uint64_t type)
{
	size_t k;
	if (addr_map_get(&c->kinds, type, &k))
		return (enum obj_kind)k;
	struct pyx_program *prog = c->prog;
	enum obj_kind kind = K_OTHER;
	if (type == prog->wk.coro_type || type == prog->wk.gen_type)
		kind = K_CORO;
	else if (c->gathering_type && type_is_subtype(prog, type, c->gathering_type))
		kind = K_GATHERING;
	else if (c->task_type && type_is_subtype(prog, type, c->task_type))
		kind = K_TASK;
	else if (c->future_type && type_is_subtype(prog, type, c->future_type))
		kind = K_FUTURE;
	else {
		char *name = NULL;
		struct pyx_error *err = type_tp_name(prog, type, &name);
		if (!err && name && strcmp(name, "_asyncio.FutureIter") == 0)
			kind = K_FUTURE_ITER;
		pyx_error_destroy(err);
		free(name);
	}
	if (!addr_map_put(&c->kinds, type, (size_t)kind))
		c->oom = true;
	return kind;
}

static enum obj_kind kind_of(struct ctx *c, uint64_t obj, uint64_t *type)
{
	struct object_head h;
	struct pyx_error *err = object_head(c->prog, obj, &h);
	if (err) {
		pyx_error_destroy(err);
		return K_OTHER;
	}
	if (type)
		*type = h.type;
	return kind_of_type(c, h.type);
}

/* ---- finding the tasks --------------------------------------------------- */

static void found_task(struct ctx *c, uint64_t task, int tid)
{
	if (!task || c->oom || c->nfound >= MAX_TASKS)
		return;
	if (!addr_set_add(&c->seen, task, &c->oom))
		return;
	if (c->nfound == c->capfound) {
		size_t cap = c->capfound ? c->capfound * 2 : 256;
		uint64_t *f = realloc(c->found, cap * sizeof(*f));
		int *ft = realloc(c->found_tid, cap * sizeof(*ft));
		if (f)
			c->found = f;
		if (ft)
			c->found_tid = ft;
		if (!f || !ft) {
			c->oom = true;
			return;
		}
		c->capfound = cap;
	}
	c->found[c->nfound] = task;
	c->found_tid[c->nfound] = tid;
	c->nfound++;
}

static int weakset_visit(void *arg, uint64_t ref)
{
	struct ctx *c = arg;
	uint64_t obj;
	struct pyx_error *err = read_ptr(c->prog, ref + LV(c->prog, PyWeakReference_wr_object),
					 &obj);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	if (obj && obj != c->prog->wk.none && kind_of(c, obj, NULL) == K_TASK)
		found_task(c, obj, 0);
	return c->oom;
}

static int set_visit(void *arg, uint64_t obj)
{
	struct ctx *c = arg;
	if (kind_of(c, obj, NULL) == K_TASK)
		found_task(c, obj, 0);
	return c->oom;
}

/* A module-level WeakSet (its "data" set of weak references) or set. */
static struct pyx_error *tasks_from_attr(struct ctx *c, uint64_t dict, const char *name,
					 bool weak)
{
	uint64_t obj, data;
	struct pyx_error *err = dict_lookup_str(c->prog, dict, name, &obj);
	if (err) {
		pyx_error_destroy(err);
		return NULL; /* this version has no such set */
	}
	if (!weak)
		return set_iterate(c->prog, obj, set_visit, c);
	PYX_TRY(instance_attr(c->prog, obj, "data", &data));
	return set_iterate(c->prog, data, weakset_visit, c);
}

static struct pyx_error *module_dict(struct pyx_program *prog, uint64_t modules,
				     const char *name, uint64_t *ret)
{
	uint64_t mod;
	PYX_TRY(dict_lookup_str(prog, modules, name, &mod));
	return read_ptr(prog, mod + LV(prog, PyModuleObject_md_dict), ret);
}

/* 3.14+: _asyncio's .AsyncioDebug section (in the extension module, or
 * in the executable or libpython when _asyncio is built in) comes first;
 * the table where the target has none. */
static void asyncio_offsets(struct ctx *c)
{
	struct pyx_program *prog = c->prog;
	c->off_name = LV(prog, TaskObj_task_name);
	c->off_coro = LV(prog, TaskObj_task_coro);
	c->off_node = LV(prog, TaskObj_task_node);
	c->off_tstate_head = LV(prog, PyThreadStateImpl_asyncio_tasks_head);
	c->off_interp_head = LV(prog, PyInterpreterState_asyncio_tasks_head);
	c->off_awaited_by = LV(prog, FutureObj_fut_awaited_by);
	c->off_awaited_by_is_set = LV(prog, FutureObj_fut_awaited_by_is_set);
	if (!HAS(prog, AsyncioDebug))
		return;
	struct pyx_modules *m = prog->modules;
	for (size_t i = 0; i < m->nmods; i++) {
		uint64_t addr, size;
		if (!module_section(&m->mods[i], ".AsyncioDebug", &addr, &size))
			continue;
		uint64_t blob[32];
		size_t want = (size_t)LV(prog, AsyncioDebug);
		if (size < want || want > sizeof(blob))
			break;
		struct pyx_error *err = pyx_target_read(prog->target, addr, blob, want);
		if (err) {
			pyx_error_destroy(err);
			break;
		}
#define AD(id) (blob[LV(prog, AsyncioDebug_##id) / 8])
		/* Plausible: offsets inside the sizes the section gives. */
		uint64_t task_size = AD(asyncio_task_object_size);
		if (task_size < 64 || task_size > 4096 || AD(asyncio_task_object_task_node) >= task_size ||
		    AD(asyncio_task_object_task_coro) >= task_size ||
		    AD(asyncio_thread_state_asyncio_tasks_head) >= AD(asyncio_thread_state_size) ||
		    AD(asyncio_interpreter_state_asyncio_tasks_head) >=
			    AD(asyncio_interpreter_state_size)) {
			pyx_error_destroy(add_note(c, "_asyncio's debug offsets at 0x%llx are not "
				"plausible (corrupted?): using pyxray's table",
				(unsigned long long)addr));
			break;
		}
		c->off_name = (int64_t)AD(asyncio_task_object_task_name);
		c->off_coro = (int64_t)AD(asyncio_task_object_task_coro);
		c->off_node = (int64_t)AD(asyncio_task_object_task_node);
		c->off_awaited_by = (int64_t)AD(asyncio_task_object_task_awaited_by);
		c->off_awaited_by_is_set = (int64_t)AD(asyncio_task_object_task_awaited_by_is_set);
		c->off_tstate_head = (int64_t)AD(asyncio_thread_state_asyncio_tasks_head);
		c->off_interp_head = (int64_t)AD(asyncio_interpreter_state_asyncio_tasks_head);
#undef AD
		c->out->source = "the task lists of every thread (_asyncio's debug offsets)";
		return;
	}
	c->out->source = "the task lists of every thread";
}

/* One llist of tasks (3.14+), its head at head. */
static struct pyx_error *tasks_from_list(struct ctx *c, uint64_t head, int tid)
{
	uint64_t node;
	PYX_TRY(read_ptr(c->prog, head, &node));
	size_t steps = 0;
	while (node && node != head && !c->oom) {
		if (++steps > MAX_TASKS)
			return pyx_error_create(PYX_ERR_LIMIT, "the task list at 0x%llx does not "
				"end after %u tasks (corrupted?)", (unsigned long long)head,
				MAX_TASKS);
		found_task(c, node - (uint64_t)c->off_node, tid);
		PYX_TRY(read_ptr(c->prog, node, &node));
	}
	return NULL;
}

static struct pyx_error *find_tasks(struct ctx *c, uint64_t tasks_dict)
{
	struct pyx_program *prog = c->prog;
	if (c->off_node != PYX_ABSENT && c->off_tstate_head != PYX_ABSENT) {
		struct pyx_thread *threads;
		size_t n;
		PYX_TRY(program_threads(prog, &threads, &n));
		struct pyx_error *err = NULL;
		for (size_t i = 0; i < n && !err; i++)
			err = tasks_from_list(c, threads[i].tstate + (uint64_t)c->off_tstate_head,
					      threads[i].tid);
		program_threads_free(threads, n);
		if (err)
			return err;
		uint64_t *interps;
		size_t ninterps;
		PYX_TRY(program_interpreters(prog, &interps, &ninterps));
		for (size_t i = 0; i < ninterps && !err && c->off_interp_head != PYX_ABSENT; i++)
			err = tasks_from_list(c, interps[i] + (uint64_t)c->off_interp_head, 0);
		free(interps);
		if (err)
			return err;
	} else {
		c->out->source = prog->minor >= 12 ? "asyncio.tasks._scheduled_tasks and "
			"_eager_tasks" : "asyncio.tasks._all_tasks";
	}
	/* The sets: before 3.14 all of them; from 3.14 those of tasks that
	 * are not _asyncio.Task (the pure-Python implementation). */
	PYX_TRY(tasks_from_attr(c, tasks_dict, "_all_tasks", true));
	PYX_TRY(tasks_from_attr(c, tasks_dict, "_scheduled_tasks", true));
	PYX_TRY(tasks_from_attr(c, tasks_dict, "_eager_tasks", false));
	return NULL;
}

/* ---- one task ------------------------------------------------------------ */

static struct pyx_error *intern_code(struct ctx *c, uint64_t code, const char **function,
				     const char **file)
{
	struct pyx_tasks *t = c->out;
	size_t k;
	if (addr_map_get(&c->codes, code, &k)) {
		*function = t->names[k];
		*file = t->names[k + 1];
		return NULL;
	}
	struct pyx_frame f = { 0 };
	PYX_TRY(code_names(c->prog, code, &f));
	if (t->nnames + 2 > t->cap_names) {
		size_t cap = t->cap_names ? t->cap_names * 2 : 64;
		char **v = realloc(t->names, cap * sizeof(*v));
		if (!v) {
			free(f.function);
			free(f.file);
			return pyx_error_no_memory();
		}
		t->names = v;
		t->cap_names = cap;
	}
	k = t->nnames;
	t->names[t->nnames++] = f.function;
	t->names[t->nnames++] = f.file;
	if (!addr_map_put(&c->codes, code, k))
		return pyx_error_no_memory();
	*function = f.function;
	*file = f.file;
	return NULL;
}

static struct pyx_error *task_name(struct ctx *c, uint64_t task, char **ret)
{
	struct pyx_program *prog = c->prog;
	uint64_t name;
	PYX_TRY(read_ptr(prog, task + (uint64_t)c->off_name, &name));
	if (!name || name == prog->wk.none) {
		*ret = strdup("?");
		return *ret ? NULL : pyx_error_no_memory();
	}
	struct object_head h;
	PYX_TRY(object_head(prog, name, &h));
	if (h.type == prog->wk.long_type) {
		/* 3.12+: a counter, named "Task-N" when asked. */
		int64_t v;
		bool fits;
		PYX_TRY(long_value(prog, name, &v, &fits));
		if (asprintf(ret, "Task-%lld", (long long)v) < 0)
			return pyx_error_no_memory();
		return NULL;
	}
	return object_str_utf8(prog, name, 200, ret);
}

static struct pyx_error *push_coro(struct pyx_task *t, const struct task_coro *tc)
{
	if ((t->ncoros & (t->ncoros - 1)) == 0) {
		size_t cap = t->ncoros ? t->ncoros * 2 : 4;
		struct task_coro *v = realloc(t->coros, cap * sizeof(*v));
		if (!v)
			return pyx_error_no_memory();
		t->coros = v;
	}
	t->coros[t->ncoros++] = *tc;
	return NULL;
}

/* The coroutine chain from the task's coroutine down to what the
 * innermost one awaits (*awaited: a future, or 0). */
static struct pyx_error *task_chain(struct ctx *c, struct pyx_task *t, uint64_t coro,
				    uint64_t *awaited)
{
	struct pyx_program *prog = c->prog;
	*awaited = 0;
	for (size_t depth = 0; coro; depth++) {
		if (depth >= MAX_CHAIN) {
			t->chain_cut = true;
			return NULL;
		}
		uint64_t type;
		enum obj_kind k = kind_of(c, coro, &type);
		if (k == K_FUTURE_ITER) {
			uint64_t fut;
			PYX_TRY(read_ptr(prog, coro + LV(prog, futureiterobject_future), &fut));
			*awaited = fut;
			return NULL;
		}
		if (k != K_CORO) {
			*awaited = coro;
			return NULL;
		}
		struct generator_frame g;
		PYX_TRY(generator_frame(prog, coro, &g));
		if (g.state == GEN_CLOSED)
			return NULL;
		struct task_coro tc = { .object = coro, .code = g.code, .line = g.line,
					.running = g.state == GEN_RUNNING };
		PYX_TRY(intern_code(c, g.code, &tc.function, &tc.file));
		PYX_TRY(push_coro(t, &tc));
		uint64_t next;
		PYX_TRY(generator_awaits(prog, coro, &next));
		coro = next;
	}
	return NULL;
}

static struct pyx_error *read_state(struct pyx_program *prog, uint64_t fut,
				    enum task_state *ret)
{
	int32_t state;
	PYX_TRY(read_i32(prog, fut + LV(prog, FutureObj_fut_state), &state));
	*ret = state == LV(prog, STATE_CANCELLED) ? TASK_CANCELLED
	     : state == LV(prog, STATE_FINISHED) ? TASK_DONE : TASK_PENDING;
	return NULL;
}

static struct pyx_error *read_task(struct ctx *c, size_t i)
{
	struct pyx_program *prog = c->prog;
	struct pyx_task *t = &c->out->v[i];
	uint64_t coro;
	t->addr = c->found[i];
	t->tid = c->found_tid[i];
	PYX_TRY(read_ptr(prog, t->addr + LV(prog, FutureObj_fut_loop), &t->loop));
	PYX_TRY(read_state(prog, t->addr, &t->state));
	if (HAS(prog, TaskObj_task_num_cancels_requested)) {
		int32_t n;
		PYX_TRY(read_i32(prog, t->addr + LV(prog, TaskObj_task_num_cancels_requested), &n));
		t->cancelling = n > 0 && t->state == TASK_PENDING;
	}
	PYX_TRY(read_ptr(prog, t->addr + LV(prog, TaskObj_task_fut_waiter), &t->fut_waiter));
	PYX_TRY(read_ptr(prog, t->addr + (uint64_t)c->off_coro, &coro));
	PYX_TRY(task_name(c, t->addr, &t->name));
	if (t->state != TASK_PENDING)
		return NULL;
	uint64_t awaited;
	return task_chain(c, t, coro, &awaited);
}

/* ---- what each task awaits ---------------------------------------------- */

struct index_list {
	size_t *v;
	size_t n;
};

static void list_add(struct index_list *l, size_t k, bool *oom)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == k)
			return;
	size_t *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		*oom = true;
		return;
	}
	l->v = v;
	l->v[l->n++] = k;
}

struct members_ctx {
	struct ctx *c;
	const struct addr_map *index;
	struct index_list *list;
};

static int member_visit(void *arg, uint64_t obj)
{
	struct members_ctx *m = arg;
	size_t k;
	if (addr_map_get(m->index, obj, &k))
		list_add(m->list, k, &m->c->oom);
	return m->c->oom;
}

struct self_ctx {
	struct pyx_program *prog;
	uint64_t self;
};

static int self_visit(void *arg, uint64_t name, uint64_t value)
{
	struct self_ctx *sc = arg;
	bool eq = false;
	struct pyx_error *err = str_equals(sc->prog, name, "self", &eq);
	pyx_error_destroy(err);
	if (eq) {
		sc->self = value;
		return 1;
	}
	return 0;
}

/* The tasks a TaskGroup waits for (3.11+), when the chain is in its
 * __aexit__: its local self, and self._tasks. */
static void taskgroup_members(struct ctx *c, const struct pyx_task *t,
			      const struct addr_map *index, struct index_list *out)
{
	struct pyx_program *prog = c->prog;
	for (size_t i = 0; i < t->ncoros; i++) {
		const struct task_coro *tc = &t->coros[i];
		if (strcmp(tc->function, "TaskGroup.__aexit__") != 0 &&
		    strcmp(tc->function, "TaskGroup._aexit") != 0)
			continue;
		struct generator_frame g;
		struct pyx_error *err = generator_frame(prog, tc->object, &g);
		if (err) {
			pyx_error_destroy(err);
			continue;
		}
		struct self_ctx sc = { prog, 0 };
		struct pyx_frame f = { .frame = g.frame, .code = g.code };
		err = frame_locals(prog, &f, self_visit, &sc);
		uint64_t tasks = 0;
		if (!err && sc.self)
			err = instance_attr(prog, sc.self, "_tasks", &tasks);
		if (!err && tasks) {
			struct members_ctx m = { c, index, out };
			err = set_iterate(prog, tasks, member_visit, &m);
		}
		pyx_error_destroy(err);
	}
}

static const char *short_type(const char *qualified)
{
	if (strncmp(qualified, "_asyncio.", 9) == 0)
		return qualified + 9;
	if (strncmp(qualified, "asyncio.", 8) == 0) {
		const char *dot = strrchr(qualified, '.');
		return dot + 1;
	}
	return qualified;
}

/* "Future 0x7f.. (pending) in sleep()": the innermost coroutine says
 * what it is (a sleep, a socket read, a Future nobody sets). */
static char *describe(struct ctx *c, const struct pyx_task *t, uint64_t obj)
{
	struct pyx_program *prog = c->prog;
	struct object_head h;
	char *type = NULL, *s = NULL;
	struct pyx_error *err = object_head(prog, obj, &h);
	if (!err)
		err = type_qualified_name(prog, h.type, &type);
	if (err) {
		pyx_error_destroy(err);
		if (asprintf(&s, "an unreadable object at 0x%llx", (unsigned long long)obj) < 0)
			s = NULL;
		return s;
	}
	const char *state = "";
	enum obj_kind k = kind_of_type(c, h.type);
	if (k == K_FUTURE || k == K_GATHERING || k == K_TASK) {
		enum task_state st = TASK_PENDING;
		err = read_state(prog, obj, &st);
		pyx_error_destroy(err);
		state = st == TASK_DONE ? " (done)" : st == TASK_CANCELLED ? " (cancelled)"
			: " (pending)";
	}
	const struct task_coro *in = t->ncoros ? &t->coros[t->ncoros - 1] : NULL;
	int rc;
	if (in)
		rc = asprintf(&s, "%s 0x%llx%s in %s()", short_type(type),
			      (unsigned long long)obj, state, in->function);
	else
		rc = asprintf(&s, "%s 0x%llx%s", short_type(type), (unsigned long long)obj, state);
	free(type);
	return rc < 0 ? NULL : s;
}

static void add_other(struct pyx_task *t, char *what, bool *oom)
{
	if (!what) {
		*oom = true;
		return;
	}
	char **v = realloc(t->others, (t->nothers + 1) * sizeof(*v));
	if (!v) {
		free(what);
		*oom = true;
		return;
	}
	t->others = v;
	t->others[t->nothers++] = what;
}

static struct pyx_error *awaits_of(struct ctx *c, size_t i, const struct addr_map *index,
				   struct index_list *list)
{
	struct pyx_program *prog = c->prog;
	struct pyx_task *t = &c->out->v[i];
	if (t->state != TASK_PENDING)
		return NULL;
	uint64_t w = t->fut_waiter;
	if (w) {
		size_t k;
		enum obj_kind kind = kind_of(c, w, NULL);
		if (addr_map_get(index, w, &k)) {
			list_add(list, k, &c->oom);
		} else if (kind == K_GATHERING) {
			/* gather(): the children it waits for. */
			uint64_t children;
			uint64_t *items = NULL;
			size_t n = 0, total;
			struct pyx_error *err = instance_attr(prog, w, "_children", &children);
			if (!err)
				err = sequence_items(prog, children, true, 1u << 20, &items, &n,
						     &total);
			pyx_error_destroy(err);
			for (size_t j = 0; j < n; j++) {
				if (addr_map_get(index, items[j], &k)) {
					list_add(list, k, &c->oom);
				} else {
					enum task_state st = TASK_DONE;
					err = read_state(prog, items[j], &st);
					pyx_error_destroy(err);
					if (st == TASK_PENDING) {
						add_other(t, describe(c, t, items[j]), &c->oom);
					}
				}
			}
			free(items);
			if (!n)
				add_other(t, describe(c, t, w), &c->oom);
		} else {
			add_other(t, describe(c, t, w), &c->oom);
		}
	}
	taskgroup_members(c, t, index, list);
	return NULL;
}

/* ---- cycles ----------------------------------------------------------------- */

struct tarjan {
	struct pyx_tasks *out;
	size_t *idx, *low, *stack;
	bool *on;
	/* Shared by every component (one per task when nothing cycles): the
	 * depth-first stack, and the members of the component popped, which
	 * are cleared again after it. */
	struct tj_frame { size_t v, e; } *dfs;
	bool *comp;
	size_t counter, sp;
	bool oom;
};

static void add_cycle(struct tarjan *tj, const size_t *v, size_t n)
{
	struct pyx_tasks *o = tj->out;
	size_t **cy = realloc(o->cycles, (o->ncycles + 1) * sizeof(*cy));
	size_t *len = realloc(o->cycle_len, (o->ncycles + 1) * sizeof(*len));
	if (cy)
		o->cycles = cy;
	if (len)
		o->cycle_len = len;
	size_t *copy = malloc(n * sizeof(*copy));
	if (!cy || !len || !copy) {
		free(copy);
		tj->oom = true;
		return;
	}
	memcpy(copy, v, n * sizeof(*copy));
	o->cycles[o->ncycles] = copy;
	o->cycle_len[o->ncycles] = n;
	o->ncycles++;
}

/* A cycle through the strongly connected component's nodes (marked in
 * comp), from start: follow edges inside it until back at start. */
static void cycle_from(struct tarjan *tj, const bool *comp, size_t start)
{
	struct pyx_tasks *o = tj->out;
	size_t *path = malloc(o->n * sizeof(*path));
	bool *visited = calloc(o->n, sizeof(*visited));
	if (!path || !visited) {
		free(path);
		free(visited);
		tj->oom = true;
		return;
	}
	size_t n = 0, cur = start;
	for (;;) {
		path[n++] = cur;
		visited[cur] = true;
		const struct pyx_task *t = &o->v[cur];
		size_t next = (size_t)-1;
		for (size_t j = 0; j < t->nawaits; j++) {
			size_t w = t->awaits[j];
			if (w == start) {
				next = start;
				break;
			}
			if (comp[w] && !visited[w] && next == (size_t)-1)
				next = w;
		}
		if (next == start || next == (size_t)-1)
			break;
		cur = next;
	}
	add_cycle(tj, path, n);
	free(path);
	free(visited);
}

static void strongconnect(struct tarjan *tj, size_t v)
{
	/* Iterative Tarjan: an explicit stack of (node, next edge). */
	struct pyx_tasks *o = tj->out;
	struct tj_frame *st = tj->dfs;
	bool *comp = tj->comp;
	size_t depth = 0;
	st[depth++] = (struct tj_frame){ v, 0 };
	tj->idx[v] = tj->low[v] = ++tj->counter;
	tj->stack[tj->sp++] = v;
	tj->on[v] = true;
	while (depth) {
		struct tj_frame *f = &st[depth - 1];
		const struct pyx_task *t = &o->v[f->v];
		if (f->e < t->nawaits) {
			size_t w = t->awaits[f->e++];
			if (!tj->idx[w]) {
				tj->idx[w] = tj->low[w] = ++tj->counter;
				tj->stack[tj->sp++] = w;
				tj->on[w] = true;
				st[depth++] = (struct tj_frame){ w, 0 };
			} else if (tj->on[w] && tj->idx[w] < tj->low[f->v]) {
				tj->low[f->v] = tj->idx[w];
			}
			continue;
		}
		size_t u = f->v;
		depth--;
		if (depth && tj->low[u] < tj->low[st[depth - 1].v])
			tj->low[st[depth - 1].v] = tj->low[u];
		if (tj->low[u] != tj->idx[u])
			continue;
		/* u roots a component: pop it. */
		size_t size = 0, first = u;
		size_t w;
		do {
			w = tj->stack[--tj->sp];
			tj->on[w] = false;
			comp[w] = true;
			if (w < first)
				first = w;
			size++;
		} while (w != u);
		bool self_loop = false;
		for (size_t j = 0; j < o->v[u].nawaits; j++)
			self_loop |= o->v[u].awaits[j] == u;
		if (size > 1 || self_loop)
			cycle_from(tj, comp, first);
		/* The popped members are still in the stack's array. */
		for (size_t k = 0; k < size; k++)
			comp[tj->stack[tj->sp + k]] = false;
	}
}

static struct pyx_error *find_cycles(struct pyx_tasks *o)
{
	struct tarjan tj = { .out = o };
	tj.idx = calloc(o->n + 1, sizeof(size_t));
	tj.low = calloc(o->n + 1, sizeof(size_t));
	tj.stack = calloc(o->n + 1, sizeof(size_t));
	tj.on = calloc(o->n + 1, sizeof(bool));
	tj.dfs = malloc((o->n + 1) * sizeof(*tj.dfs));
	tj.comp = calloc(o->n + 1, sizeof(bool));
	bool ok = tj.idx && tj.low && tj.stack && tj.on && tj.dfs && tj.comp;
	if (ok)
		for (size_t v = 0; v < o->n && !tj.oom; v++)
			if (!tj.idx[v])
				strongconnect(&tj, v);
	bool oom = tj.oom || !ok;
	free(tj.dfs);
	free(tj.comp);
	free(tj.idx);
	free(tj.low);
	free(tj.stack);
	free(tj.on);
	return oom ? pyx_error_no_memory() : NULL;
}

/* ---- loops ------------------------------------------------------------------ */

static struct pyx_error *collect_loops(struct ctx *c)
{
	struct pyx_program *prog = c->prog;
	struct pyx_tasks *o = c->out;
	struct pyx_thread *threads = NULL;
	size_t nthreads = 0;
	struct pyx_error *err = program_threads(prog, &threads, &nthreads);
	pyx_error_destroy(err);
	for (size_t i = 0; i < o->n; i++) {
		uint64_t loop = o->v[i].loop;
		size_t j;
		for (j = 0; j < o->nloops && o->loops[j].addr != loop; j++)
			;
		if (j == o->nloops) {
			struct task_loop *v = realloc(o->loops, (o->nloops + 1) * sizeof(*v));
			if (!v) {
				program_threads_free(threads, nthreads);
				return pyx_error_no_memory();
			}
			o->loops = v;
			struct task_loop *l = &o->loops[o->nloops++];
			memset(l, 0, sizeof(*l));
			l->addr = loop;
			/* BaseEventLoop._thread_id: set while it runs. */
			uint64_t tid_obj;
			err = instance_attr(prog, loop, "_thread_id", &tid_obj);
			int64_t ident = 0;
			bool fits = false;
			if (!err && tid_obj != prog->wk.none)
				err = long_value(prog, tid_obj, &ident, &fits);
			pyx_error_destroy(err);
			if (fits && ident) {
				l->thread_id = (uint64_t)ident;
				for (size_t k = 0; k < nthreads; k++)
					if (threads[k].thread_id == l->thread_id)
						l->tid = threads[k].tid;
			}
		}
		o->loops[j].ntasks++;
	}
	program_threads_free(threads, nthreads);
	return NULL;
}

/* ---- the whole answer --------------------------------------------------------- */

void tasks_destroy(struct pyx_tasks *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].coros);
		free(t->v[i].awaits);
		free(t->v[i].awaited_by);
		for (size_t j = 0; j < t->v[i].nothers; j++)
			free(t->v[i].others[j]);
		free(t->v[i].others);
	}
	free(t->v);
	free(t->loops);
	for (size_t i = 0; i < t->ncycles; i++)
		free(t->cycles[i]);
	free(t->cycles);
	free(t->cycle_len);
	for (size_t i = 0; i < t->nnotes; i++)
		free(t->notes[i]);
	free(t->notes);
	for (size_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t);
}

static void ctx_release(struct ctx *c)
{
	addr_map_free(&c->kinds);
	addr_map_free(&c->codes);
	addr_set_free(&c->seen);
	free(c->found);
	free(c->found_tid);
}

static struct pyx_error *tasks_fill(struct ctx *c)
{
	struct pyx_program *prog = c->prog;
	struct pyx_tasks *o = c->out;
	uint64_t modules, tasks_dict, futures_dict;
	PYX_TRY(program_sys_attr(prog, "modules", &modules));
	struct pyx_error *err = module_dict(prog, modules, "asyncio.tasks", &tasks_dict);
	if (err) {
		if (pyx_error_code(err) != PYX_ERR_NOT_FOUND)
			return err;
		pyx_error_destroy(err);
		o->source = "asyncio is not imported";
		return NULL;
	}
	o->asyncio_imported = true;
	err = dict_lookup_str(prog, tasks_dict, "Task", &c->task_type);
	if (!err)
		err = module_dict(prog, modules, "asyncio.futures", &futures_dict);
	if (!err)
		err = dict_lookup_str(prog, futures_dict, "Future", &c->future_type);
	if (err)
		return pyx_error_wrap(err, "reading asyncio's Task and Future types");
	uint64_t g;
	err = dict_lookup_str(prog, tasks_dict, "_GatheringFuture", &g);
	if (!err)
		c->gathering_type = g;
	pyx_error_destroy(err);
	asyncio_offsets(c);
	PYX_TRY(find_tasks(c, tasks_dict));
	if (c->oom)
		return pyx_error_no_memory();
	o->v = calloc(c->nfound + 1, sizeof(*o->v));
	if (!o->v)
		return pyx_error_no_memory();
	struct addr_map index = { 0 };
	for (size_t i = 0; i < c->nfound; i++) {
		o->n++;
		err = read_task(c, i);
		if (err) {
			/* One unreadable task does not hide the others. */
			struct pyx_task *t = &o->v[i];
			pyx_error_destroy(add_note(c, "task 0x%llx: %s",
						   (unsigned long long)t->addr,
						   pyx_error_message(err)));
			pyx_error_destroy(err);
			if (!t->name)
				t->name = strdup("?");
		}
		if (!addr_map_put(&index, o->v[i].addr, i)) {
			addr_map_free(&index);
			return pyx_error_no_memory();
		}
	}
	for (size_t i = 0; i < o->n && !c->oom; i++) {
		struct index_list l = { 0 };
		err = awaits_of(c, i, &index, &l);
		o->v[i].awaits = l.v;
		o->v[i].nawaits = l.n;
		if (err) {
			addr_map_free(&index);
			return err;
		}
	}
	/* 3.14+: what the futures themselves record as awaiting them. */
	for (size_t i = 0; i < o->n && !c->oom && c->off_awaited_by != PYX_ABSENT; i++) {
		uint64_t by;
		uint8_t is_set;
		err = read_ptr(prog, o->v[i].addr + (uint64_t)c->off_awaited_by, &by);
		if (!err)
			err = read_u8(prog, o->v[i].addr + (uint64_t)c->off_awaited_by_is_set, &is_set);
		if (err) {
			pyx_error_destroy(err);
			continue;
		}
		if (!by)
			continue;
		struct index_list parents = { 0 };
		size_t k;
		if (is_set) {
			struct members_ctx m = { c, &index, &parents };
			pyx_error_destroy(set_iterate(prog, by, member_visit, &m));
		} else if (addr_map_get(&index, by, &k)) {
			list_add(&parents, k, &c->oom);
		}
		for (size_t j = 0; j < parents.n; j++) {
			struct pyx_task *p = &o->v[parents.v[j]];
			struct index_list l = { p->awaits, p->nawaits };
			list_add(&l, i, &c->oom);
			p->awaits = l.v;
			p->nawaits = l.n;
		}
		free(parents.v);
	}
	addr_map_free(&index);
	for (size_t i = 0; i < o->n && !c->oom; i++) {
		for (size_t j = 0; j < o->v[i].nawaits; j++) {
			struct pyx_task *w = &o->v[o->v[i].awaits[j]];
			struct index_list l = { w->awaited_by, w->nawaited_by };
			list_add(&l, i, &c->oom);
			w->awaited_by = l.v;
			w->nawaited_by = l.n;
		}
	}
	if (c->oom)
		return pyx_error_no_memory();
	PYX_TRY(find_cycles(o));
	return collect_loops(c);
}

struct pyx_error *program_tasks(struct pyx_program *prog, struct pyx_tasks **ret)
{
	struct pyx_tasks *o = calloc(1, sizeof(*o));
	if (!o)
		return pyx_error_no_memory();
	struct ctx c = { .prog = prog, .out = o };
	struct pyx_error *err = tasks_fill(&c);
	ctx_release(&c);
	if (err) {
		tasks_destroy(o);
		return err;
	}
	*ret = o;
	return NULL;
}
