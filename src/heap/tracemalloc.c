/* tracemalloc.c - tracemalloc's tables, read from the outside.
 *
 * When a process traces its allocations (PYTHONTRACEMALLOC, -X
 * tracemalloc, tracemalloc.start()), tracemalloc keeps a hash table from
 * each allocated pointer to a trace {size, traceback}; tracebacks are
 * interned, frames are {filename, lineno}, most recent first.  3.8 - 3.11
 * keep the tables in statics of Modules/_tracemalloc.c, 3.12+ in
 * _PyRuntime.tracemalloc.  The hash tables are CPython's _Py_hashtable_t:
 * buckets of singly linked entries; 3.9+ entries hold key and value
 * pointers, 3.8 entries carry the key (a pointer, or pointer + domain)
 * and the trace itself inline.  Other domains (numpy's data, 389047) have
 * a table each in the domains table (3.9+) or share the one (3.8).
 * 3.15 keeps file names as C strings instead of str objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap/tracemalloc.h"
#include "objects/object.h"
#include "runtime/modules.h"
#include "util/strbuf.h"

#define MAX_BUCKETS (1ull << 32)
#define MAX_CHAIN 100000
#define MAX_NFRAME 4096

static struct pyx_error *no_symbols(struct pyx_program *prog)
{
	struct pyx_module *pm = prog->python;
	return pyx_error_create(PYX_ERR_NO_DEBUG_INFO,
		"tracemalloc's tables are static variables of %s that only its full symbol "
		"table names: install its debug info (python3.%d-dbg on Debian)",
		pm->name, prog->minor);
}

struct pyx_error *tracemalloc_state(struct pyx_program *prog, struct tm_state *ret)
{
	memset(ret, 0, sizeof(*ret));
	PYX_TRY(program_require_tables(prog, "reading tracemalloc"));
	if (!prog->modules || !prog->python)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "no modules to find tracemalloc in");
	uint64_t config, traces_var = 0, domains_var = 0, mem_var = 0;
	if (HAS(prog, _PyRuntimeState_tracemalloc)) {
		uint64_t st = prog->runtime + (uint64_t)LV(prog, _PyRuntimeState_tracemalloc);
		config = st + (uint64_t)LV(prog, _tracemalloc_runtime_state_config);
		traces_var = st + (uint64_t)LV(prog, _tracemalloc_runtime_state_traces);
		domains_var = st + (uint64_t)LV(prog, _tracemalloc_runtime_state_domains);
		mem_var = st + (uint64_t)LV(prog, _tracemalloc_runtime_state_traced_memory);
	} else {
		if (!modules_lookup(prog->modules, "_Py_tracemalloc_config", &config, NULL))
			return pyx_error_create(PYX_ERR_NOT_FOUND,
				"no _Py_tracemalloc_config in the interpreter");
		if (!module_lookup(prog->python, "tracemalloc_traces", &traces_var, NULL))
			return no_symbols(prog);
		if (prog->minor >= 9 &&
		    !module_lookup(prog->python, "tracemalloc_domains", &domains_var, NULL))
			return no_symbols(prog);
		module_lookup(prog->python, "tracemalloc_traced_memory", &mem_var, NULL);
	}
	int32_t tracing, nframe;
	PYX_TRY(read_i32(prog, config + LV(prog, _PyTraceMalloc_Config_tracing), &tracing));
	PYX_TRY(read_i32(prog, config + LV(prog, _PyTraceMalloc_Config_max_nframe), &nframe));
	ret->tracing = tracing != 0;
	ret->max_nframe = nframe;
	if (mem_var)
		PYX_TRY(read_ptr(prog, mem_var, &ret->traced_memory));
	PYX_TRY(read_ptr(prog, traces_var, &ret->traces));
	if (domains_var)
		PYX_TRY(read_ptr(prog, domains_var, &ret->domains));
	if (HAS(prog, _Py_hashtable_t_key_size) && ret->traces)
		PYX_TRY(read_ptr(prog, ret->traces + LV(prog, _Py_hashtable_t_key_size),
				 &ret->key_size));
	return NULL;
}

void tm_traceback_release(struct tm_traceback *tb)
{
	for (size_t i = 0; i < tb->n; i++)
		free(tb->frames[i].file);
	free(tb->frames);
	memset(tb, 0, sizeof(*tb));
}

static struct pyx_error *read_cstring(struct pyx_program *prog, uint64_t addr, char **ret)
{
	char buf[4097];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		size_t chunk = 256 - (size_t)((addr + n) & 255);
		if (chunk > sizeof(buf) - 1 - n)
			chunk = sizeof(buf) - 1 - n;
		PYX_TRY(pyx_target_read(prog->target, addr + n, buf + n, chunk));
		void *z = memchr(buf + n, 0, chunk);
		if (z) {
			n = (size_t)((char *)z - buf);
			break;
		}
		n += chunk;
	}
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? NULL : pyx_error_no_memory();
}

struct pyx_error *tracemalloc_traceback(struct pyx_program *prog, uint64_t tb,
					struct tm_traceback *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint64_t nframe = 0, total;
	if (LV(prog, tracemalloc_traceback_nframe_size) == 2) {
		uint16_t n;
		PYX_TRY(read_u16(prog, tb + LV(prog, tracemalloc_traceback_nframe), &n));
		nframe = n;
	} else {
		int32_t n;
		PYX_TRY(read_i32(prog, tb + LV(prog, tracemalloc_traceback_nframe), &n));
		nframe = n < 0 ? UINT64_MAX : (uint64_t)n;
	}
	total = nframe;
	if (HAS(prog, tracemalloc_traceback_total_nframe)) {
		uint16_t t;
		PYX_TRY(read_u16(prog, tb + LV(prog, tracemalloc_traceback_total_nframe), &t));
		total = t;
	}
	if (nframe > MAX_NFRAME)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"tracemalloc traceback at 0x%llx is corrupted: %llu frames",
			(unsigned long long)tb, (unsigned long long)nframe);
	size_t fsize = (size_t)LV(prog, tracemalloc_frame);
	uint8_t *raw = malloc(nframe * fsize + 1);
	ret->frames = calloc(nframe + 1, sizeof(*ret->frames));
	if (!raw || !ret->frames) {
		free(raw);
		free(ret->frames);
		ret->frames = NULL;
		return pyx_error_no_memory();
	}
	struct pyx_error *err = nframe
		? pyx_target_read(prog->target, tb + LV(prog, tracemalloc_traceback_frames), raw,
				  nframe * fsize)
		: NULL;
	/* Stored most recent first; shown outermost first, as tracemalloc's
	 * Traceback does. */
	for (size_t i = 0; !err && i < nframe; i++) {
		const uint8_t *f = raw + (nframe - 1 - i) * fsize;
		uint64_t name;
		uint32_t line;
		memcpy(&name, f + LV(prog, tracemalloc_frame_filename), 8);
		memcpy(&line, f + LV(prog, tracemalloc_frame_lineno), 4);
		struct tm_frame *out = &ret->frames[ret->n];
		out->line = line;
		err = prog->minor >= 15 ? read_cstring(prog, name, &out->file)
					: object_str_utf8(prog, name, 4096, &out->file);
		if (!err)
			ret->n++;
	}
	free(raw);
	ret->total = total > ret->n ? total : ret->n;
	if (err)
		tm_traceback_release(ret);
	return err;
}

/* ---- the hash tables ---------------------------------------------------------- */

static struct pyx_error *table_head(struct pyx_program *prog, uint64_t table,
				    uint64_t *nbuckets, uint64_t *buckets)
{
	PYX_TRY(read_ptr(prog, table + LV(prog, _Py_hashtable_t_nbuckets), nbuckets));
	PYX_TRY(read_ptr(prog, table + LV(prog, _Py_hashtable_t_buckets), buckets));
	if (*nbuckets == 0 || *nbuckets > MAX_BUCKETS || (*nbuckets & (*nbuckets - 1)) || !*buckets)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"tracemalloc's hash table at 0x%llx is corrupted: %llu buckets at 0x%llx",
			(unsigned long long)table, (unsigned long long)*nbuckets,
			(unsigned long long)*buckets);
	return NULL;
}

/* One entry: its key (the pointer), domain and trace. */
struct tm_entry {
	uint64_t next, hash, key;
	unsigned domain;
	uint64_t size, traceback;
};

static struct pyx_error *read_entry(struct pyx_program *prog, const struct tm_state *st,
				    uint64_t e, struct tm_entry *ret)
{
	uint8_t buf[64];
	size_t head = (size_t)LV(prog, _Py_hashtable_entry_t);
	if (HAS(prog, _Py_hashtable_entry_t_value)) {
		uint64_t value;
		PYX_TRY(pyx_target_read(prog->target, e, buf, head));
		memcpy(&ret->next, buf, 8);
		memcpy(&ret->hash, buf + LV(prog, _Py_hashtable_entry_t_key_hash), 8);
		memcpy(&ret->key, buf + LV(prog, _Py_hashtable_entry_t_key), 8);
		memcpy(&value, buf + LV(prog, _Py_hashtable_entry_t_value), 8);
		ret->domain = 0;
		uint64_t trace[2];
		PYX_TRY(pyx_target_read(prog->target, value, trace, 16));
		ret->size = trace[LV(prog, trace_t_size) / 8];
		ret->traceback = trace[LV(prog, trace_t_traceback) / 8];
		return NULL;
	}
	/* 3.8: the key, then the trace, inline after the entry's header. */
	size_t ks = st->key_size == 12 ? 12 : 8;
	PYX_TRY(pyx_target_read(prog->target, e, buf, head + ks + 16));
	memcpy(&ret->next, buf, 8);
	memcpy(&ret->hash, buf + LV(prog, _Py_hashtable_entry_t_key_hash), 8);
	memcpy(&ret->key, buf + head, 8);
	uint32_t domain = 0;
	if (ks == 12)
		memcpy(&domain, buf + head + 8, 4);
	ret->domain = domain;
	memcpy(&ret->size, buf + head + ks + LV(prog, trace_t_size), 8);
	memcpy(&ret->traceback, buf + head + ks + LV(prog, trace_t_traceback), 8);
	return NULL;
}

/* _Py_HashPointerRaw(): the pointer rotated right by 4 bits. */
static uint64_t hash_pointer(uint64_t p)
{
	return (p >> 4) | (p << 60);
}

struct pyx_error *tracemalloc_lookup(struct pyx_program *prog, const struct tm_state *st,
				     uint64_t ptr, bool *found, uint64_t *size,
				     struct tm_traceback *ret)
{
	*found = false;
	memset(ret, 0, sizeof(*ret));
	if (!st->traces)
		return NULL;
	uint64_t nbuckets, buckets, head;
	PYX_TRY(table_head(prog, st->traces, &nbuckets, &buckets));
	if (!HAS(prog, _Py_hashtable_entry_t_value)) {
		/* 3.8: hashes differ between key kinds; walk the whole table. */
		struct tm_entry hit = { 0 };
		for (uint64_t b = 0; b < nbuckets && !*found; b++) {
			PYX_TRY(read_ptr(prog, buckets + b * 8, &head));
			for (int n = 0; head && n < MAX_CHAIN && !*found; n++) {
				struct tm_entry e;
				PYX_TRY(read_entry(prog, st, head, &e));
				if (e.key == ptr && e.domain == 0) {
					hit = e;
					*found = true;
				}
				head = e.next;
			}
		}
		if (!*found)
			return NULL;
		*size = hit.size;
		return tracemalloc_traceback(prog, hit.traceback, ret);
	}
	uint64_t h = hash_pointer(ptr);
	PYX_TRY(read_ptr(prog, buckets + (h & (nbuckets - 1)) * 8, &head));
	for (int n = 0; head && n < MAX_CHAIN; n++) {
		struct tm_entry e;
		PYX_TRY(read_entry(prog, st, head, &e));
		if (e.key == ptr) {
			*found = true;
			*size = e.size;
			return tracemalloc_traceback(prog, e.traceback, ret);
		}
		head = e.next;
	}
	return NULL;
}

static struct pyx_error *foreach_table(struct pyx_program *prog, const struct tm_state *st,
				       uint64_t table, unsigned domain, trace_visit_fn visit,
				       void *arg, bool *stop)
{
	uint64_t nbuckets, buckets, nentries, seen = 0;
	PYX_TRY(table_head(prog, table, &nbuckets, &buckets));
	PYX_TRY(read_ptr(prog, table + LV(prog, _Py_hashtable_t_nentries), &nentries));
	uint64_t chunk[512];
	for (uint64_t b = 0; b < nbuckets && !*stop; b += 512) {
		uint64_t n = nbuckets - b < 512 ? nbuckets - b : 512;
		PYX_TRY(pyx_target_read(prog->target, buckets + b * 8, chunk, n * 8));
		for (uint64_t i = 0; i < n && !*stop; i++) {
			uint64_t e = chunk[i];
			for (int k = 0; e && !*stop; k++) {
				struct tm_entry ent;
				if (k >= MAX_CHAIN || ++seen > nentries + 1024)
					return pyx_error_create(PYX_ERR_LIMIT,
						"tracemalloc's hash table at 0x%llx is corrupted: "
						"more entries than its %llu", (unsigned long long)table,
						(unsigned long long)nentries);
				PYX_TRY(read_entry(prog, st, e, &ent));
				*stop = visit(arg, domain ? domain : ent.domain, ent.key, ent.size,
					      ent.traceback) != 0;
				e = ent.next;
			}
		}
	}
	return NULL;
}

struct domain_ctx {
	struct pyx_program *prog;
	const struct tm_state *st;
	trace_visit_fn visit;
	void *arg;
	bool stop;
	struct pyx_error *err;
};

struct pyx_error *tracemalloc_foreach(struct pyx_program *prog, const struct tm_state *st,
				      trace_visit_fn visit, void *arg)
{
	bool stop = false;
	if (st->traces)
		PYX_TRY(foreach_table(prog, st, st->traces, 0, visit, arg, &stop));
	if (!st->domains || stop)
		return NULL;
	/* The domains table: key = the domain number, value = its traces. */
	uint64_t nbuckets, buckets, head;
	PYX_TRY(table_head(prog, st->domains, &nbuckets, &buckets));
	for (uint64_t b = 0; b < nbuckets && !stop; b++) {
		PYX_TRY(read_ptr(prog, buckets + b * 8, &head));
		for (int n = 0; head && n < MAX_CHAIN && !stop; n++) {
			uint8_t buf[64];
			uint64_t key, value;
			PYX_TRY(pyx_target_read(prog->target, head, buf,
						(size_t)LV(prog, _Py_hashtable_entry_t)));
			memcpy(&key, buf + LV(prog, _Py_hashtable_entry_t_key), 8);
			memcpy(&value, buf + LV(prog, _Py_hashtable_entry_t_value), 8);
			if (value && key)
				PYX_TRY(foreach_table(prog, st, value, (unsigned)key, visit, arg,
						      &stop));
			memcpy(&head, buf, 8);
		}
	}
	return NULL;
}

/* ---- py-object's "allocated_at" ------------------------------------------------ */

void tracemalloc_frames_json(const struct tm_traceback *tb, struct strbuf *sb)
{
	strbuf_puts(sb, "[");
	for (size_t i = 0; i < tb->n; i++) {
		strbuf_puts(sb, i ? ", {" : "{");
		json_key(sb, "file");
		json_string(sb, tb->frames[i].file);
		strbuf_printf(sb, ", \"line\": %u, \"function\": null}", tb->frames[i].line);
	}
	strbuf_puts(sb, "]");
}

void tracemalloc_object_json(struct pyx_program *prog, uint64_t obj, int64_t preheader,
			     struct strbuf *sb)
{
	struct tm_state st;
	struct tm_traceback tb = { 0 };
	bool found = false;
	uint64_t size = 0;
	char *note = NULL;
	struct pyx_error *err = tracemalloc_state(prog, &st);
	if (!err && st.tracing)
		err = tracemalloc_lookup(prog, &st, obj - (uint64_t)preheader, &found, &size, &tb);
	int r = 0;
	if (err)
		r = asprintf(&note, "where it was allocated is unknown: %s",
			     pyx_error_message(err));
	else if (!st.tracing)
		r = asprintf(&note, "where it was allocated is unknown: tracemalloc is off (%s)",
			     TRACEMALLOC_HOWTO);
	else if (!found)
		r = asprintf(&note, "tracemalloc did not trace it: it was allocated before "
			     "tracemalloc started");
	else if (tb.total > tb.n)
		r = asprintf(&note, "the traceback is cut at its %zu most recent of %zu frames "
			     "(tracemalloc keeps %d)", tb.n, tb.total, st.max_nframe);
	if (r < 0)
		note = NULL;
	json_key(sb, "allocated_at");
	if (found)
		tracemalloc_frames_json(&tb, sb);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ", ");
	json_key(sb, "allocated_at_note");
	if (note)
		json_string(sb, note);
	else
		strbuf_puts(sb, "null");
	free(note);
	tm_traceback_release(&tb);
	pyx_error_destroy(err);
}

/* ---- allocation sites ------------------------------------------------------------- */

struct tb_acc {
	uint64_t *keys;          /* traceback address */
	uint64_t *size, *count;
	size_t cap, n;
	bool oom;
};

static int site_visit(void *arg, unsigned domain, uint64_t ptr, uint64_t size,
		      uint64_t traceback)
{
	struct tb_acc *a = arg;
	if ((a->n + 1) * 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		uint64_t *k = calloc(cap, 8), *s = calloc(cap, 8), *c = calloc(cap, 8);
		if (!k || !s || !c) {
			free(k);
			free(s);
			free(c);
			a->oom = true;
			return 1;
		}
		for (size_t i = 0; i < a->cap; i++) {
			if (!a->keys[i])
				continue;
			size_t j = (size_t)(a->keys[i] * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = a->keys[i];
			s[j] = a->size[i];
			c[j] = a->count[i];
		}
		free(a->keys);
		free(a->size);
		free(a->count);
		a->keys = k;
		a->size = s;
		a->count = c;
		a->cap = cap;
	}
	uint64_t key = traceback ? traceback : 1;
	size_t j = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & (a->cap - 1);
	while (a->keys[j] && a->keys[j] != key)
		j = (j + 1) & (a->cap - 1);
	if (!a->keys[j]) {
		a->keys[j] = key;
		a->n++;
	}
	a->size[j] += size;
	a->count[j]++;
	return 0;
}

static int cmp_site(const void *x, const void *y)
{
	return strcmp(((const struct tm_site *)x)->key, ((const struct tm_site *)y)->key);
}

void tm_sites_free(struct tm_site *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].key);
	free(s);
}

struct pyx_error *tracemalloc_sites(struct pyx_program *prog, const struct tm_state *st,
				    struct tm_site **ret, size_t *n)
{
	struct tb_acc a = { 0 };
	struct pyx_error *err = tracemalloc_foreach(prog, st, site_visit, &a);
	if (!err && a.oom)
		err = pyx_error_no_memory();
	struct tm_site *v = NULL;
	size_t nv = 0;
	if (!err) {
		v = calloc(a.n + 1, sizeof(*v));
		if (!v)
			err = pyx_error_no_memory();
	}
	for (size_t i = 0; !err && i < a.cap; i++) {
		if (!a.keys[i])
			continue;
		struct strbuf sb = STRBUF_INIT;
		struct tm_traceback tb = { 0 };
		struct pyx_error *e = a.keys[i] == 1 ? NULL
			: tracemalloc_traceback(prog, a.keys[i], &tb);
		if (e) {
			/* A traceback that cannot be read still counts. */
			strbuf_printf(&sb, "<unreadable traceback at 0x%llx>:0",
				      (unsigned long long)a.keys[i]);
			pyx_error_destroy(e);
		} else if (!tb.n) {
			strbuf_puts(&sb, "<unknown>:0");
		}
		for (size_t f = 0; f < tb.n; f++)
			strbuf_printf(&sb, "%s%s:%u", f ? "\n" : "", tb.frames[f].file,
				      tb.frames[f].line);
		tm_traceback_release(&tb);
		if (strbuf_finish(&sb, &v[nv].key)) {
			err = pyx_error_no_memory();
			break;
		}
		v[nv].size = a.size[i];
		v[nv].count = a.count[i];
		nv++;
	}
	free(a.keys);
	free(a.size);
	free(a.count);
	if (err) {
		tm_sites_free(v, nv);
		return err;
	}
	qsort(v, nv, sizeof(*v), cmp_site);
	/* Equal tracebacks interned apart (cannot happen, but a merge is cheap). */
	size_t w = 0;
	for (size_t i = 0; i < nv; i++) {
		if (w && strcmp(v[w - 1].key, v[i].key) == 0) {
			v[w - 1].size += v[i].size;
			v[w - 1].count += v[i].count;
			free(v[i].key);
			continue;
		}
		v[w++] = v[i];
	}
	*ret = v;
	*n = w;
	return NULL;
}

void tm_site_key_json(const char *key, struct strbuf *sb)
{
	strbuf_puts(sb, "[");
	const char *p = key;
	bool first = true;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = NULL;
		for (const char *q = p; q < p + len; q++)
			if (*q == ':')
				colon = q;
		strbuf_puts(sb, first ? "{" : ", {");
		first = false;
		json_key(sb, "file");
		json_string_n(sb, p, colon ? (size_t)(colon - p) : len);
		strbuf_printf(sb, ", \"line\": %u, \"function\": null}",
			      colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0u);
		p += len;
		if (*p == '\n')
			p++;
	}
	strbuf_puts(sb, "]");
}
