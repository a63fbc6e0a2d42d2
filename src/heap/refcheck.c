/* refcheck.c - py-leaks refcheck: each gc-tracked object's ob_refcnt
 * against every reference pyxray can find to it, most unexplained first.
 *
 * References found: those every indexed object and running frame holds
 * (their exact edges, and a conservative scan of what pyxray cannot
 * decode), and a conservative scan of the memory C code keeps references
 * in: every module's global and static variables (writable segments),
 * extension modules' state, the interpreter and thread states, and the C
 * stack of every thread.  A word there that equals an object's address
 * counts as a reference.  What is left over is what C code holds where
 * pyxray cannot look (malloc'ed C structures), or a leak. */
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "objects/repr.h"
#include "threads/threads.h"
#include "util/strbuf.h"

#define SCAN_CHUNK (1u << 20)
#define MAX_STACK_SCAN (8u << 20)
#define MAX_MODULE_STATE (1u << 20)

struct counter {
	struct pyx_program *prog;
	const struct ref_index *ri;
	uint32_t *extra;        /* per indexed object: references found here */
	uint64_t lo, hi;        /* the indexed objects' addresses */
	uint64_t bytes[4];      /* scanned, per source below */
	uint64_t *buf;          /* SCAN_CHUNK bytes */
};

enum { SRC_STATICS, SRC_STACKS, SRC_STATES, SRC_MODULE_STATES };

static void count_words(struct counter *c, const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = w[i];
		if ((v & 7) || v < c->lo || v > c->hi)
			continue;
		int64_t j = ref_index_find(c->ri, v);
		if (j >= 0)
			c->extra[j]++;
	}
}

/* Count the words of [start, end); what cannot be read is skipped, a page
 * at a time. */
static void scan_range(struct counter *c, uint64_t start, uint64_t end, int src)
{
	uint64_t *buf = c->buf;
	start = (start + 7) & ~7ull;
	while (start < end) {
		size_t len = end - start < SCAN_CHUNK ? (size_t)(end - start) & ~7ul : SCAN_CHUNK;
		if (!len)
			break;
		struct pyx_error *err = pyx_target_read(c->prog->target, start, buf, len);
		if (err) {
			pyx_error_destroy(err);
			/* Retry up to the next page boundary alone. */
			uint64_t page = (start | 4095) + 1;
			len = (size_t)((page < end ? page : end) - start);
			err = pyx_target_read(c->prog->target, start, buf, len);
			if (err) {
				pyx_error_destroy(err);
				start += len;
				continue;
			}
		}
		count_words(c, buf, len / 8);
		c->bytes[src] += len;
		start += len;
	}
}

static void scan_statics(struct counter *c)
{
	struct pyx_modules *m = c->prog->modules;
	for (size_t i = 0; i < m->nmods; i++) {
		uint64_t ranges[16];
		size_t n = module_writable_ranges(&m->mods[i], ranges, 8);
		for (size_t k = 0; k < n; k++)
			scan_range(c, ranges[2 * k], ranges[2 * k + 1], SRC_STATICS);
	}
}

/* Each thread's C stack, from its stack pointer to the end of the region
 * that holds it. */
static void scan_stacks(struct counter *c)
{
	int *tids = NULL;
	size_t n = 0;
	struct pyx_error *err = target_thread_ids(c->prog->target, &tids, &n);
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t sp = target_thread_sp(c->prog->target, tids[i]), lo, hi;
		if (!sp || !target_region(c->prog->target, sp, &lo, &hi))
			continue;
		if (hi - sp > MAX_STACK_SCAN)
			hi = sp + MAX_STACK_SCAN;
		scan_range(c, sp, hi, SRC_STACKS);
	}
	free(tids);
}

/* Interpreter and thread states that live on the heap (the main ones are
 * inside _PyRuntime, a static). */
static void scan_states(struct counter *c)
{
	struct pyx_program *prog = c->prog;
	struct pyx_thread *threads = NULL;
	size_t n = 0;
	struct pyx_error *err = program_threads(prog, &threads, &n);
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	uint64_t rt_lo = prog->runtime, rt_hi = prog->runtime + (uint64_t)LV(prog, _PyRuntimeState);
	uint64_t last_interp = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t ts = threads[i].tstate, in = threads[i].interp;
		if (ts < rt_lo || ts >= rt_hi)
			scan_range(c, ts, ts + (uint64_t)LV(prog, PyThreadState), SRC_STATES);
		if (in != last_interp && (in < rt_lo || in >= rt_hi))
			scan_range(c, in, in + (uint64_t)LV(prog, PyInterpreterState), SRC_STATES);
		last_interp = in;
	}
	program_threads_free(threads, n);
}

/* Extension modules' state (md_state, m_size bytes): where 3.12+ keep
 * their types and caches. */
static void scan_module_states(struct counter *c)
{
	struct pyx_program *prog = c->prog;
	const struct ref_index *ri = c->ri;
	for (size_t i = 0; i < ri->nobjs; i++) {
		uint64_t type;
		if (read_ptr(prog, ri->objs[i] + LV(prog, PyObject_ob_type), &type) ||
		    type != prog->wk.module_type)
			continue;
		uint64_t state = 0, def = 0;
		int64_t size = 0;
		struct pyx_error *err = read_ptr(prog, ri->objs[i] + LV(prog, PyModuleObject_md_state),
						 &state);
		if (!err && state && HAS(prog, PyModuleObject_md_state_size))
			err = read_i64(prog, ri->objs[i] + LV(prog, PyModuleObject_md_state_size), &size);
		else if (!err && state && HAS(prog, PyModuleObject_md_def)) {
			err = read_ptr(prog, ri->objs[i] + LV(prog, PyModuleObject_md_def), &def);
			if (!err && def)
				err = read_i64(prog, def + LV(prog, PyModuleDef_m_size), &size);
		}
		pyx_error_destroy(err);
		if (!err && state && size > 0 && size <= MAX_MODULE_STATE)
			scan_range(c, state, state + (uint64_t)size, SRC_MODULE_STATES);
	}
}

static const char *const blind_spots[] = {
	"references from C structures on the heap that no object, global, module "
	"state or stack points pyxray at (a C library's own caches)",
	"references in registers of threads that were running (a live process read "
	"without pausing it), and below a running thread's unknown stack pointer",
	"objects the gc does not track (str, int, float, and tuples or dicts holding "
	"only such objects) are not checked",
	"immortal objects (3.12+) are skipped",
};

struct suspect {
	uint64_t addr;
	int64_t refcnt, found;
	double score;
};

/* Most unexplained first: the excess, weighted by the share of the
 * refcount it is (500 of 502 beats 10 of 1000). */
static int by_score(const void *a, const void *b)
{
	const struct suspect *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Why an object's excess may be innocent, by what it is. */
static const char *explanation(struct pyx_program *prog, const struct object_head *h,
			       int64_t excess)
{
	if (h->type_flags & TPF_TYPE_SUBCLASS)
		return "C code refers to types it creates instances of, and the "
		       "interpreter's type caches do; a steady excess on a type is "
		       "usually that";
	if (h->type == prog->wk.module_type)
		return "the import system and C extensions keep modules they imported";
	if (h->type == prog->wk.code_type || h->type == prog->wk.function_type)
		return "the eval loop's caches and C callbacks (signal handlers, "
		       "atexit, weakref callbacks) keep functions and code";
	if (excess <= 2)
		return "a reference in flight: a C function that is running holds it "
		       "in a register, or an object being built";
	return "C code took references and never released them (a missing "
	       "Py_DECREF in an extension), or keeps them in C memory pyxray "
	       "cannot see; take two refchecks a while apart: a leak grows";
}

static struct pyx_error *refcheck_answer(struct pyx_program *prog, int top, char **ret)
{
	if (top <= 0)
		top = 20;
	const struct ref_index *ri;
	PYX_TRY(ref_index_get(prog, &ri));
	struct counter c = { .prog = prog, .ri = ri };
	c.extra = calloc(ri->nobjs ? ri->nobjs : 1, sizeof(*c.extra));
	c.buf = malloc(SCAN_CHUNK);
	if (!c.extra || !c.buf) {
		free(c.extra);
		free(c.buf);
		return pyx_error_no_memory();
	}
	c.lo = ri->nobjs ? ri->objs[0] : 1;
	c.hi = ri->nobjs ? ri->objs[ri->nobjs - 1] : 0;
	scan_statics(&c);
	scan_stacks(&c);
	scan_states(&c);
	scan_module_states(&c);
	free(c.buf);

	struct suspect *sus = NULL;
	size_t nsus = 0, cap = 0, checked = 0;
	struct pyx_error *err = NULL;
	for (size_t j = 0; j < ri->nobjs && !err; j++) {
		int64_t word;
		err = read_i64(prog, ri->objs[j] + LV(prog, PyObject_ob_refcnt), &word);
		if (err)
			break;
		int64_t refcnt = refcount_of(prog, (uint64_t)word);
		if (refcount_is_immortal(prog, refcnt))
			continue;
		checked++;
		int64_t found = (int64_t)(ri->start[j + 1] - ri->start[j]) + c.extra[j];
		if (refcnt <= found)
			continue;
		if (nsus == cap) {
			cap = cap ? cap * 2 : 256;
			struct suspect *s = realloc(sus, cap * sizeof(*s));
			if (!s) {
				err = pyx_error_no_memory();
				break;
			}
			sus = s;
		}
		double excess = (double)(refcnt - found);
		sus[nsus++] = (struct suspect){ ri->objs[j], refcnt, found,
						excess * excess / (double)refcnt };
	}
	free(c.extra);
	if (err) {
		free(sus);
		return err;
	}
	qsort(sus, nsus, sizeof(*sus), by_score);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"checked\": %zu, \"with_excess\": %zu, ", checked, nsus);
	json_key(&sb, "scanned");
	strbuf_printf(&sb, "{\"objects\": %zu, \"frames\": %zu, \"c_globals_bytes\": %llu, "
		      "\"c_stacks_bytes\": %llu, \"interpreter_states_bytes\": %llu, "
		      "\"module_states_bytes\": %llu}, ", ri->nobjs, ri->nframes,
		      (unsigned long long)c.bytes[SRC_STATICS],
		      (unsigned long long)c.bytes[SRC_STACKS],
		      (unsigned long long)c.bytes[SRC_STATES],
		      (unsigned long long)c.bytes[SRC_MODULE_STATES]);
	strbuf_puts(&sb, "\"objects\": [");
	struct pyx_repr_limits lim = { .max_depth = 1, .max_items = 4, .max_string = 60 };
	for (size_t i = 0; i < nsus && (int)i < top; i++) {
		struct object_head h;
		char *tn = NULL;
		struct pyx_error *e = object_head(prog, sus[i].addr, &h);
		bool have_head = !e;
		if (!e)
			e = type_qualified_name(prog, h.type, &tn);
		pyx_error_destroy(e);
		int64_t excess = sus[i].refcnt - sus[i].found;
		strbuf_puts(&sb, i ? ", {\"address\": " : "{\"address\": ");
		json_hex(&sb, sus[i].addr);
		strbuf_puts(&sb, ", \"type\": ");
		json_string(&sb, tn ? tn : "?");
		free(tn);
		strbuf_printf(&sb, ", \"refcount\": %lld, \"found\": %lld, \"excess\": %lld, "
			      "\"score\": %.2f, \"repr\": ", (long long)sus[i].refcnt,
			      (long long)sus[i].found, (long long)excess, sus[i].score);
		struct strbuf r = STRBUF_INIT;
		repr_object(prog, sus[i].addr, &lim, &r);
		json_string_n(&sb, r.s ? r.s : "", r.len);
		strbuf_release(&r);
		char why[200];
		snprintf(why, sizeof(why), "%lld of its %lld references are held by nothing "
			 "pyxray can see (%.0f%%)", (long long)excess, (long long)sus[i].refcnt,
			 100.0 * (double)excess / (double)sus[i].refcnt);
		strbuf_puts(&sb, ", \"why\": ");
		json_string(&sb, why);
		strbuf_puts(&sb, ", \"could_be\": ");
		json_string(&sb, have_head ? explanation(prog, &h, excess)
					   : "the object could not be read");
		strbuf_puts(&sb, "}");
	}
	strbuf_printf(&sb, "], \"truncated\": %s, \"limit\": {\"top\": %d}, \"blind_spots\": [",
		      nsus > (size_t)top ? "true" : "false", top);
	for (size_t i = 0; i < sizeof(blind_spots) / sizeof(blind_spots[0]); i++) {
		if (i)
			strbuf_puts(&sb, ", ");
		json_string(&sb, blind_spots[i]);
	}
	strbuf_puts(&sb, "]}");
	free(sus);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_leaks_refcheck_json(struct pyx_program *prog, int top, char **ret)
{
	return program_explain(prog, refcheck_answer(prog, top, ret));
}
