/* locks.c - what each blocked thread waits on, and who holds it.
 *
 * A thread waits in threading's or queue's Python code (Condition.wait,
 * Event.wait, Semaphore.acquire, Barrier.wait, Thread.join, Queue.get
 * ...): the object is the `self` of the outermost such frame.  Or it
 * acquires a Lock or RLock itself (`with lock:`, `lock.acquire()`): the
 * candidates are the locks its innermost frame holds in its locals and
 * value stack, and the one it waits on is the one whose futex the
 * kernel has the thread blocked on (the system call's first argument):
 *   3.8 - 3.13  lock_lock, a malloc'ed sem_t, is the futex word;
 *   3.14+       the thread parks (Python/parking_lot.c) on a semaphore
 *               in a wait_entry on its own stack, whose addr is the
 *               lock's embedded PyMutex.
 * Holders: an RLock records its owner (a thread ident); a Lock records
 * none, but a thread inside `with lock:` keeps the lock's __exit__ on its
 * frame's value stack (a bound method up to 3.13; the method descriptor
 * next to the lock from 3.14), which names it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects/lock.h"
#include "threads/frames.h"
#include "threads/locks.h"
#include "util/strlist.h"

#define SYS_FUTEX 202
#define MAX_NAMES 8

enum type_kind {
	T_OTHER, T_LOCK, T_RLOCK, T_CFUNCTION, T_METHODDESCR,
	T_CONDITION, T_EVENT, T_SEMAPHORE, T_BARRIER, T_THREAD, T_QUEUE,
};

struct type_cache {
	uint64_t type;
	enum type_kind kind;
};

struct with_hold {
	int tid;
	uint64_t lock;
	int count;
};

struct ctx {
	struct pyx_program *prog;
	struct pyx_locks *out;
	struct type_cache *types;
	size_t ntypes;
	struct pyx_thread *threads;
	size_t nthreads;
	struct with_hold *holds;
	size_t nholds;
	bool oom;
};

const char *wait_kind_name(enum wait_kind k)
{
	switch (k) {
	case WAIT_LOCK: return "threading.Lock";
	case WAIT_RLOCK: return "threading.RLock";
	case WAIT_CONDITION: return "threading.Condition";
	case WAIT_EVENT: return "threading.Event";
	case WAIT_SEMAPHORE: return "threading.Semaphore";
	case WAIT_BARRIER: return "threading.Barrier";
	case WAIT_QUEUE: return "queue.Queue";
	case WAIT_JOIN: return "threading.Thread";
	}
	return "?";
}

static struct pyx_error *note(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct pyx_error *note(struct ctx *c, const char *fmt, ...)
{
	struct pyx_locks *l = c->out;
	va_list ap;
	va_start(ap, fmt);
	bool ok = strlist_vappendf(&l->notes, &l->nnotes, fmt, ap);
	va_end(ap);
	return ok ? NULL : pyx_error_no_memory();
}

/* ---- kinds of objects ------------------------------------------------------ */

static enum type_kind kind_of_name(const char *name)
{
	static const struct { const char *name; enum type_kind kind; } table[] = {
		{ "_thread.lock", T_LOCK },
		{ "_thread.RLock", T_RLOCK },
		{ "threading.Condition", T_CONDITION },
		{ "threading.Event", T_EVENT },
		{ "threading.Semaphore", T_SEMAPHORE },
		{ "threading.Barrier", T_BARRIER },
		{ "threading.Thread", T_THREAD },
		{ "queue.Queue", T_QUEUE },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(name, table[i].name) == 0)
			return table[i].kind;
	return T_OTHER;
}

/* The kind of a type: by its name, or the first of its bases (__mro__)
 * that has one (a Queue subclass is a queue). */
static enum type_kind kind_of_type(struct ctx *c, uint64_t type)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (c->types[i].type == type)
			return c->types[i].kind;
	struct pyx_program *prog = c->prog;
	enum type_kind kind = T_OTHER;
	if (type == prog->wk.cfunction_type) {
		kind = T_CFUNCTION;
	} else if (type == prog->wk.methoddescr_type) {
		kind = T_METHODDESCR;
	} else {
		uint64_t mro = 0, *items = NULL;
		size_t n = 0, total;
		struct pyx_error *err = read_ptr(prog, type + LV(prog, PyTypeObject_tp_mro), &mro);
		if (!err && mro)
			err = sequence_items(prog, mro, false, 64, &items, &n, &total);
		pyx_error_destroy(err);
		if (!n) {
			items = malloc(sizeof(*items));
			if (items) {
				items[0] = type;
				n = 1;
			}
		}
		for (size_t i = 0; i < n && kind == T_OTHER; i++) {
			char *name = NULL;
			err = type_qualified_name(prog, items[i], &name);
			if (!err)
				kind = kind_of_name(name);
			pyx_error_destroy(err);
			free(name);
		}
		free(items);
	}
	struct type_cache *v = realloc(c->types, (c->ntypes + 1) * sizeof(*v));
	if (v) {
		c->types = v;
		c->types[c->ntypes++] = (struct type_cache){ type, kind };
	}
	return kind;
}

/* A live object's kind, or T_OTHER for anything that does not look
 * like a live object (a stale slot of a value stack). */
static enum type_kind kind_of(struct ctx *c, uint64_t obj)
{
	if (obj < 4096 || (obj & 7))
		return T_OTHER;
	struct object_head h;
	struct pyx_error *err = object_head(c->prog, obj, &h);
	if (err) {
		pyx_error_destroy(err);
		return T_OTHER;
	}
	if (h.refcnt <= 0 || (!refcount_is_immortal(c->prog, h.refcnt) && h.refcnt > (1ll << 40)))
		return T_OTHER;
	return kind_of_type(c, h.type);
}

/* A built-in method's or method descriptor's name is `want`. */
static bool method_named(struct ctx *c, uint64_t obj, enum type_kind k, const char *want)
{
	struct pyx_program *prog = c->prog;
	uint64_t ml = 0, name = 0;
	struct pyx_error *err = read_ptr(prog, obj + (k == T_CFUNCTION
		? LV(prog, PyCFunctionObject_m_ml) : LV(prog, PyMethodDescrObject_d_method)), &ml);
	if (!err && ml)
		err = read_ptr(prog, ml + LV(prog, PyMethodDef_ml_name), &name);
	char *s = NULL;
	if (!err && name)
		err = target_read_cstr(prog->target, name, 64, &s);
	pyx_error_destroy(err);
	bool eq = s && strcmp(s, want) == 0;
	free(s);
	return eq;
}

static bool is_lock_kind(enum type_kind k)
{
	return k == T_LOCK || k == T_RLOCK;
}

/* ---- what a lock is ------------------------------------------------------ */

static struct pyx_error *lock_state(struct ctx *c, uint64_t lock, enum type_kind k,
				    struct lock_state *s)
{
	return lock_state_read(c->prog, lock, k == T_RLOCK, s);
}

/* The address a thread blocked in futex(uaddr) waits on: the futex word
 * itself up to 3.13; from 3.14 the mutex its parking-lot entry names. */
static uint64_t waited_address(struct ctx *c, uint64_t uaddr)
{
	struct pyx_program *prog = c->prog;
	if (!lock_is_pymutex(prog))
		return uaddr;
	uint64_t addr;
	struct pyx_error *err = read_ptr(prog, uaddr - (uint64_t)LV(prog, wait_entry_sema) +
					 (uint64_t)LV(prog, wait_entry_addr), &addr);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	return addr;
}

/* ---- a thread's frames ------------------------------------------------------ */

/* Locks in a frame's slots (directly, as a built-in method's self, or
 * after a method descriptor), and which are held by a `with` block
 * (their __exit__ kept on the stack). */
struct frame_locks {
	uint64_t *locks;      /* candidates, each once */
	size_t nlocks;
	uint64_t *exits;      /* one entry per `with` block */
	size_t nexits;
	const char **how;     /* per candidate: "acquire", "__enter__" or NULL */
};

static void fl_add(struct ctx *c, uint64_t **v, size_t *n, uint64_t x)
{
	uint64_t *g = realloc(*v, (*n + 1) * sizeof(*g));
	if (!g) {
		c->oom = true;
		return;
	}
	*v = g;
	g[(*n)++] = x;
}

static void fl_candidate(struct ctx *c, struct frame_locks *fl, uint64_t lock)
{
	for (size_t i = 0; i < fl->nlocks; i++)
		if (fl->locks[i] == lock)
			return;
	fl_add(c, &fl->locks, &fl->nlocks, lock);
}

static void fl_release(struct frame_locks *fl)
{
	free(fl->locks);
	free(fl->exits);
}

static struct pyx_error *frame_locks(struct ctx *c, const struct pyx_frame *f,
				     struct frame_locks *fl)
{
	struct pyx_program *prog = c->prog;
	uint64_t *slots;
	size_t n;
	PYX_TRY(frame_slots(prog, f, &slots, &n));
	for (size_t i = 0; i < n && !c->oom; i++) {
		uint64_t v = slots[i];
		if (!v)
			continue;
		enum type_kind k = kind_of(c, v);
		if (is_lock_kind(k)) {
			fl_candidate(c, fl, v);
			/* 3.14: `with lock:` keeps the unbound __exit__ and
			 * the lock in two slots. */
			if (i > 0 && slots[i - 1] && kind_of(c, slots[i - 1]) == T_METHODDESCR &&
			    method_named(c, slots[i - 1], T_METHODDESCR, "__exit__"))
				fl_add(c, &fl->exits, &fl->nexits, v);
		} else if (k == T_CFUNCTION) {
			uint64_t self;
			struct pyx_error *err = read_ptr(prog, v + LV(prog, PyCFunctionObject_m_self),
							 &self);
			if (err) {
				pyx_error_destroy(err);
				continue;
			}
			if (!is_lock_kind(kind_of(c, self)))
				continue;
			fl_candidate(c, fl, self);
			if (method_named(c, v, T_CFUNCTION, "__exit__"))
				fl_add(c, &fl->exits, &fl->nexits, self);
		}
	}
	free(slots);
	return c->oom ? pyx_error_no_memory() : NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool stdlib_frame(const struct pyx_frame *f)
{
	const char *b = base_name(f->file);
	return strcmp(b, "threading.py") == 0 || strcmp(b, "queue.py") == 0;
}

/* Thread.run, _bootstrap, _bootstrap_inner: the frames every thread
 * starts in (the function's name after its class, 3.11+). */
static bool thread_own_frame(const struct pyx_frame *f)
{
	const char *dot = strrchr(f->function, '.');
	const char *name = dot ? dot + 1 : f->function;
	return strcmp(name, "run") == 0 || strcmp(name, "_bootstrap") == 0 ||
	       strcmp(name, "_bootstrap_inner") == 0;
}

struct self_ctx {
	struct pyx_program *prog;
	uint64_t self;
};

static int self_visit(void *arg, uint64_t name, uint64_t value)
{
	struct self_ctx *sc = arg;
	bool eq = false;
	pyx_error_destroy(str_equals(sc->prog, name, "self", &eq));
	if (eq) {
		sc->self = value;
		return 1;
	}
	return 0;
}

static uint64_t frame_self(struct pyx_program *prog, const struct pyx_frame *f)
{
	struct self_ctx sc = { prog, 0 };
	pyx_error_destroy(frame_locals(prog, f, self_visit, &sc));
	return sc.self;
}

static enum wait_kind wait_kind_of(enum type_kind k)
{
	switch (k) {
	case T_RLOCK: return WAIT_RLOCK;
	case T_CONDITION: return WAIT_CONDITION;
	case T_EVENT: return WAIT_EVENT;
	case T_SEMAPHORE: return WAIT_SEMAPHORE;
	case T_BARRIER: return WAIT_BARRIER;
	case T_THREAD: return WAIT_JOIN;
	case T_QUEUE: return WAIT_QUEUE;
	default: return WAIT_LOCK;
	}
}

static struct lock_wait *new_wait(struct ctx *c)
{
	struct pyx_locks *l = c->out;
	struct lock_wait *v = realloc(l->waits, (l->n + 1) * sizeof(*v));
	if (!v) {
		c->oom = true;
		return NULL;
	}
	l->waits = v;
	struct lock_wait *w = &v[l->n++];
	memset(w, 0, sizeof(*w));
	w->count = -1;
	return w;
}

static char *frame_text(const struct pyx_frame *f)
{
	char *s = NULL;
	if (asprintf(&s, "%s (%s:%d)", f->function, base_name(f->file), f->line) < 0)
		return NULL;
	return s;
}

/* One thread: what it waits on, if anything. */
static struct pyx_error *thread_wait(struct ctx *c, const struct pyx_thread *t)
{
	struct pyx_program *prog = c->prog;
	struct pyx_frame *frames = NULL;
	size_t n = 0;
	struct pyx_error *err = thread_frames(prog, t->tstate, &frames, &n);
	pyx_error_destroy(err); /* the frames found are enough */
	if (!n) {
		frames_free(frames, n);
		return NULL;
	}
	struct target_syscall sc;
	target_thread_syscall(prog->target, t->tid, &sc);
	uint64_t waited = 0;
	if (sc.known && sc.nr == SYS_FUTEX)
		waited = waited_address(c, sc.args[0]);

	/* The innermost frame: the candidates for the lock being acquired. */
	struct frame_locks inner = { 0 };
	if (waited)
		pyx_error_destroy(frame_locks(c, &frames[0], &inner));

	/* The lock the kernel has it waiting on. */
	uint64_t lock = 0;
	enum type_kind lock_kind = T_OTHER;
	struct lock_state ls = { .count = -1 };
	for (size_t i = 0; i < inner.nlocks && waited && !lock; i++) {
		enum type_kind k = kind_of(c, inner.locks[i]);
		struct lock_state s;
		err = lock_state(c, inner.locks[i], k, &s);
		if (err) {
			pyx_error_destroy(err);
			continue;
		}
		if ((s.futex && s.futex == waited) || (s.mutex && s.mutex == waited)) {
			lock = inner.locks[i];
			lock_kind = k;
			ls = s;
		}
	}

	/* threading's and queue's own waits: the outermost of the innermost
	 * run of their frames whose self is one of theirs. */
	uint64_t object = 0;
	enum type_kind object_kind = T_OTHER;
	const struct pyx_frame *at = NULL;
	for (size_t i = 0; i < n && stdlib_frame(&frames[i]); i++) {
		uint64_t self = frame_self(prog, &frames[i]);
		enum type_kind k = self ? kind_of(c, self) : T_OTHER;
		/* A thread's own start-up frames (Thread(target=q.get)):
		 * where it runs, not what it waits for. */
		if (k == T_THREAD && thread_own_frame(&frames[i]))
			break;
		if (k != T_OTHER && k != T_CFUNCTION && k != T_METHODDESCR) {
			object = self;
			object_kind = k;
			at = &frames[i];
		}
	}
	if (!object && lock) {
		object = lock;
		object_kind = lock_kind;
	}
	struct lock_wait *w = NULL;
	if (object && (lock || at))
		w = new_wait(c);
	if (w) {
		w->tid = t->tid;
		w->thread_name = t->name ? strdup(t->name) : NULL;
		w->kind = wait_kind_of(object_kind);
		w->object = object;
		w->lock = lock;
		w->blocked = lock != 0;
		w->count = ls.count;
		w->locked = ls.locked;
		struct object_head h;
		err = object_head(prog, object, &h);
		if (!err)
			err = type_qualified_name(prog, h.type, &w->type);
		pyx_error_destroy(err);
		const struct pyx_frame *user = at ? (at + 1 < frames + n ? at + 1 : at) : &frames[0];
		w->frame = frame_text(user);
		if (at) {
			w->method = strdup(at->function);
		} else {
			const char *verb = "acquire";
			for (size_t i = 0; i < inner.nexits; i++)
				if (inner.exits[i] == lock)
					verb = "with";
			w->method = strdup(verb);
		}
		if (object_kind == T_RLOCK && object == lock) {
			/* An RLock knows its owner. */
			for (size_t i = 0; i < c->nthreads; i++)
				if (ls.owner && c->threads[i].thread_id == ls.owner)
					w->holder_tid = c->threads[i].tid;
			w->holder_how = "RLock owner";
			w->owned_by_exited = ls.owner && !w->holder_tid;
		} else if (object_kind == T_THREAD) {
			/* join(): the thread joined, while it runs. */
			uint64_t ident_obj;
			int64_t ident = 0;
			bool fits = false;
			err = instance_attr(prog, object, "_ident", &ident_obj);
			if (!err && ident_obj != prog->wk.none)
				err = long_value(prog, ident_obj, &ident, &fits);
			pyx_error_destroy(err);
			for (size_t i = 0; i < c->nthreads && fits; i++)
				if (c->threads[i].thread_id == (uint64_t)ident)
					w->holder_tid = c->threads[i].tid;
			w->holder_how = "the thread joined";
		}
	}
	fl_release(&inner);
	frames_free(frames, n);
	return c->oom ? pyx_error_no_memory() : NULL;
}

/* Every frame of every thread: the locks its `with` blocks hold. */
static void scan_with_blocks(struct ctx *c)
{
	struct pyx_program *prog = c->prog;
	for (size_t t = 0; t < c->nthreads && !c->oom; t++) {
		struct pyx_frame *frames = NULL;
		size_t n = 0;
		pyx_error_destroy(thread_frames(prog, c->threads[t].tstate, &frames, &n));
		int tid = c->threads[t].tid;
		for (size_t i = 0; i < n && !c->oom; i++) {
			struct frame_locks fl = { 0 };
			pyx_error_destroy(frame_locks(c, &frames[i], &fl));
			for (size_t k = 0; k < fl.nexits; k++) {
				size_t j;
				for (j = 0; j < c->nholds; j++)
					if (c->holds[j].tid == tid && c->holds[j].lock == fl.exits[k])
						break;
				if (j == c->nholds) {
					struct with_hold *h = realloc(c->holds,
								      (c->nholds + 1) * sizeof(*h));
					if (!h) {
						c->oom = true;
						break;
					}
					c->holds = h;
					h[c->nholds++] = (struct with_hold){ tid, fl.exits[k], 0 };
				}
				c->holds[j].count++;
			}
			fl_release(&fl);
		}
		frames_free(frames, n);
	}
}

/* Plain Locks: the holder is the thread (other than the waiter, unless it
 * holds it twice) with a `with` block on it.  Every frame of every
 * thread is looked at only when some thread waits on a Lock. */
static void with_holders(struct ctx *c)
{
	struct pyx_locks *l = c->out;
	bool needed = false;
	for (size_t i = 0; i < l->n; i++)
		needed |= l->waits[i].kind == WAIT_LOCK && l->waits[i].lock;
	if (needed)
		scan_with_blocks(c);
	for (size_t i = 0; i < l->n; i++) {
		struct lock_wait *w = &l->waits[i];
		if (w->kind != WAIT_LOCK || !w->lock || w->holder_tid)
			continue;
		int found = 0, holder = 0;
		for (size_t j = 0; j < c->nholds; j++) {
			const struct with_hold *h = &c->holds[j];
			if (h->lock != w->lock)
				continue;
			/* The waiter's own `with` on the lock it acquires
			 * counts once; a second one means it holds it. */
			if (h->tid == w->tid && h->count < 2)
				continue;
			found++;
			holder = h->tid;
		}
		if (found == 1 && w->locked) {
			w->holder_tid = holder;
			w->holder_how = "with block";
		}
	}
}

/* ---- names ------------------------------------------------------------------ */

struct names_ctx {
	struct ctx *c;
	struct pyx_locks *l;
	const char *where;      /* "global of MODULE", "local of FUNC()", "self.%s in FUNC()" */
	bool attr;
};

static void add_name(struct lock_wait *w, const char *text, bool *oom)
{
	if (w->nnames >= MAX_NAMES)
		return;
	for (size_t i = 0; i < w->nnames; i++)
		if (strcmp(w->names[i], text) == 0)
			return;
	char **v = realloc(w->names, (w->nnames + 1) * sizeof(*v));
	char *s = strdup(text);
	if (!v || !s) {
		if (v)
			w->names = v;
		free(s);
		*oom = true;
		return;
	}
	w->names = v;
	w->names[w->nnames++] = s;
}

static int names_visit(void *arg, uint64_t key, uint64_t value)
{
	struct names_ctx *nc = arg;
	for (size_t i = 0; i < nc->l->n; i++) {
		struct lock_wait *w = &nc->l->waits[i];
		if (w->object != value)
			continue;
		char *name = NULL;
		struct pyx_error *err = object_str_utf8(nc->c->prog, key, 100, &name);
		if (err) {
			pyx_error_destroy(err);
			return 0;
		}
		char *text = NULL;
		if (asprintf(&text, nc->attr ? "%s%s%s" : "%s (%s)", nc->attr ? "self." : name,
			     nc->attr ? name : nc->where, nc->attr ? nc->where : "") >= 0)
			add_name(w, text, &nc->c->oom);
		free(text);
		free(name);
	}
	return nc->c->oom;
}

/* Where the waited objects are named: the locals and globals of every
 * thread's frames, and the attributes of their `self`s. */
static struct pyx_error *find_names(struct ctx *c)
{
	struct pyx_program *prog = c->prog;
	struct pyx_locks *l = c->out;
	if (!l->n)
		return NULL;
	uint64_t *seen = NULL;
	size_t nseen = 0;
	for (size_t t = 0; t < c->nthreads && !c->oom; t++) {
		struct pyx_frame *frames = NULL;
		size_t n = 0;
		pyx_error_destroy(thread_frames(prog, c->threads[t].tstate, &frames, &n));
		for (size_t i = 0; i < n && !c->oom; i++) {
			const struct pyx_frame *f = &frames[i];
			if (stdlib_frame(f))
				continue;
			char where[512];
			snprintf(where, sizeof(where), "local in %s()", f->function);
			struct names_ctx nc = { c, l, where, false };
			pyx_error_destroy(frame_locals(prog, f, names_visit, &nc));
			uint64_t self = frame_self(prog, f);
			if (self) {
				struct object_head h;
				struct pyx_error *err = object_head(prog, self, &h);
				snprintf(where, sizeof(where), " in %s()", f->function);
				struct names_ctx ac = { c, l, where, true };
				if (!err)
					err = instance_attrs_iterate(prog, self, &h, names_visit, &ac);
				pyx_error_destroy(err);
			}
			uint64_t globals = 0;
			struct pyx_error *err = frame_globals(prog, f, &globals);
			pyx_error_destroy(err);
			bool done = !globals;
			for (size_t k = 0; k < nseen && !done; k++)
				done = seen[k] == globals;
			if (done)
				continue;
			uint64_t *sv = realloc(seen, (nseen + 1) * sizeof(*sv));
			if (!sv) {
				c->oom = true;
				break;
			}
			seen = sv;
			seen[nseen++] = globals;
			uint64_t modname = 0;
			char *mod = NULL;
			err = dict_lookup_str(prog, globals, "__name__", &modname);
			if (!err)
				err = object_str_utf8(prog, modname, 200, &mod);
			pyx_error_destroy(err);
			snprintf(where, sizeof(where), "global of %s", mod ? mod : "?");
			free(mod);
			struct names_ctx gc = { c, l, where, false };
			pyx_error_destroy(dict_iterate(prog, globals, names_visit, &gc));
		}
		frames_free(frames, n);
	}
	free(seen);
	return c->oom ? pyx_error_no_memory() : NULL;
}

/* ---- cycles ------------------------------------------------------------------ */

static struct pyx_error *find_cycles(struct ctx *c)
{
	struct pyx_locks *l = c->out;
	size_t n = l->n;
	/* state: 0 new, 1 on the current walk, 2 done */
	int *state = calloc(n + 1, sizeof(*state));
	size_t *path = malloc((n + 1) * sizeof(*path));
	if (!state || !path) {
		free(state);
		free(path);
		return pyx_error_no_memory();
	}
	for (size_t s = 0; s < n; s++) {
		size_t len = 0, cur = s;
		while (cur < n && state[cur] == 0) {
			state[cur] = 1;
			path[len++] = cur;
			size_t next = n;
			for (size_t j = 0; j < n && l->waits[cur].holder_tid; j++)
				if (l->waits[j].tid == l->waits[cur].holder_tid)
					next = j;
			cur = next;
		}
		if (cur < n && state[cur] == 1) {
			/* A cycle from cur to the end of the path. */
			size_t from = 0;
			while (path[from] != cur)
				from++;
			struct lock_cycle *cy = realloc(l->cycles, (l->ncycles + 1) * sizeof(*cy));
			if (!cy)
				break;
			l->cycles = cy;
			struct lock_cycle *y = &cy[l->ncycles];
			y->n = len - from;
			y->tids = malloc(y->n * sizeof(*y->tids));
			y->objects = malloc(y->n * sizeof(*y->objects));
			if (!y->tids || !y->objects) {
				free(y->tids);
				free(y->objects);
				break;
			}
			for (size_t k = 0; k < y->n; k++) {
				y->tids[k] = l->waits[path[from + k]].tid;
				y->objects[k] = l->waits[path[from + k]].object;
			}
			l->ncycles++;
		}
		for (size_t k = 0; k < len; k++)
			state[path[k]] = 2;
	}
	free(state);
	free(path);
	return NULL;
}

/* ---- the whole answer ------------------------------------------------------------ */

void locks_destroy(struct pyx_locks *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct lock_wait *w = &l->waits[i];
		free(w->type);
		free(w->thread_name);
		free(w->holder_name);
		free(w->method);
		free(w->frame);
		for (size_t k = 0; k < w->nnames; k++)
			free(w->names[k]);
		free(w->names);
	}
	free(l->waits);
	for (size_t i = 0; i < l->ncycles; i++) {
		free(l->cycles[i].tids);
		free(l->cycles[i].objects);
	}
	free(l->cycles);
	for (size_t i = 0; i < l->nnotes; i++)
		free(l->notes[i]);
	free(l->notes);
	free(l);
}

const struct lock_wait *locks_wait_of(const struct pyx_locks *l, int tid)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->waits[i].tid == tid)
			return &l->waits[i];
	return NULL;
}

struct pyx_error *program_locks(struct pyx_program *prog, struct pyx_locks **ret)
{
	struct pyx_locks *l = calloc(1, sizeof(*l));
	if (!l)
		return pyx_error_no_memory();
	struct ctx c = { .prog = prog, .out = l };
	struct pyx_error *err = program_threads(prog, &c.threads, &c.nthreads);
	for (size_t i = 0; !err && i < c.nthreads; i++)
		err = thread_wait(&c, &c.threads[i]);
	if (!err)
		with_holders(&c);
	for (size_t i = 0; !err && i < l->n; i++)
		for (size_t k = 0; k < c.nthreads; k++)
			if (l->waits[i].holder_tid && c.threads[k].tid == l->waits[i].holder_tid &&
			    c.threads[k].name && !l->waits[i].holder_name)
				l->waits[i].holder_name = strdup(c.threads[k].name);
	if (!err)
		err = find_names(&c);
	if (!err)
		err = find_cycles(&c);
	if (!err && prog->target->kind == TARGET_PID && !prog->target->is_paused &&
	    pyx_target_tracer(prog->target) == 0)
		err = note(&c, "the process runs while it is read: a thread counts as blocked on "
			   "a lock only when the kernel has it waiting");
	program_threads_free(c.threads, c.nthreads);
	free(c.types);
	free(c.holds);
	if (err) {
		locks_destroy(l);
		return err;
	}
	*ret = l;
	return NULL;
}
