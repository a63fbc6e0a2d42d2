/* leaks.c - py-leaks snapshot and diff: the whole heap (every object, by
 * type, with what it owns), the process's memory by kind, and
 * tracemalloc's traces by allocation site, saved and compared.
 *
 * Snapshot file (format 2):
 *   line 1   "PYXRAY-SNAPSHOT 2\n"
 *   line 2   a JSON header: python_version, pid, target, created, scope
 *            ("heap": every object; "gc": only gc-tracked ones, when the
 *            heap could not be walked), totals, memory (kinds), tracemalloc
 *            (tracing, traced memory), the number of site lines, and last
 *            per type {"type", "count", "bytes", "malloc_bytes"} in file order
 *   then     one line per allocation site: SIZE COUNT "TRACEBACK" (a JSON
 *            string: "file:line" per line, outermost first)
 *   then     for each type, count little-endian u64 addresses, sorted
 * Format 1 files (gc census only) are still read.  It is written to a
 * temporary file and renamed into place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heap/memory.h"
#include "heap/tracemalloc.h"
#include "objects/repr.h"
#include "util/sorted.h"
#include "util/strbuf.h"

#define SNAPSHOT_MAGIC "PYXRAY-SNAPSHOT 2\n"
#define SNAPSHOT_MAGIC_1 "PYXRAY-SNAPSHOT 1\n"
#define SNAPSHOT_FORMAT 2
#define DIFF_SAMPLES 5
#define MAX_HEADER (256u << 20)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* ---- what the heap holds now --------------------------------------------------- */

struct heap_state {
	bool heap_scope;            /* every object, not only the gc's */
	char *scope_note;           /* why only the gc's */
	struct census c;            /* addresses sorted, entries by count */
	uint64_t *malloc_bytes;     /* per census entry */
	bool have_memory;
	struct memory_account m;
	bool tm_known, tm_tracing;
	uint64_t traced_memory;
	char *tm_note;
	struct tm_site *sites;
	size_t nsites;
	bool have_sites;
};

static void heap_state_release(struct heap_state *hs)
{
	census_release(&hs->c);
	free(hs->malloc_bytes);
	if (hs->have_memory)
		memory_account_release(&hs->m);
	tm_sites_free(hs->sites, hs->nsites);
	free(hs->scope_note);
	free(hs->tm_note);
	memset(hs, 0, sizeof(*hs));
}

enum {
	HS_OBJECTS = 1 << 0,   /* the census (of every object when HS_HEAP) */
	HS_HEAP = 1 << 1,      /* ... of every object, not only the gc's */
	HS_SITES = 1 << 2,     /* tracemalloc's traces by site */
};

/* What a snapshot records: HS_OBJECTS | HS_HEAP | HS_SITES for a
 * snapshot; a diff takes what it compares. */
static struct pyx_error *heap_state_take(struct pyx_program *prog, unsigned what,
					 struct heap_state *hs)
{
	memset(hs, 0, sizeof(*hs));
	bool want_heap = what & HS_HEAP;
	bool sites = what & HS_SITES;
	struct pyx_error *err = NULL;
	if (!(what & HS_OBJECTS))
		goto tracemalloc;
	err = memory_account(prog, want_heap ? MEMORY_OBJECTS | MEMORY_ADDRESSES : 0, &hs->m);
	if (err) {
		if (pyx_error_code(err) == PYX_ERR_NO_MEMORY)
			return err;
		if (asprintf(&hs->scope_note, "the process's memory was not read: %s",
			     pyx_error_message(err)) < 0)
			hs->scope_note = NULL;
		pyx_error_destroy(err);
	} else {
		hs->have_memory = true;
	}
	if (hs->have_memory && hs->m.objects_walked) {
		/* The census moves out of the account. */
		hs->c = hs->m.census;
		hs->m.objects_walked = false;
		memset(&hs->m.census, 0, sizeof(hs->m.census));
		hs->heap_scope = true;
	} else {
		if (want_heap && !hs->scope_note && hs->have_memory) {
			for (size_t i = 0; i < hs->m.nnotes; i++)
				if (strncmp(hs->m.notes[i], "objects not walked", 18) == 0 ||
				    strncmp(hs->m.notes[i], "pymalloc not read", 17) == 0)
					hs->scope_note = strdup(hs->m.notes[i]);
		}
		err = census_take(prog, GEN_MASK_ALL, true, &hs->c);
		if (err) {
			heap_state_release(hs);
			return err;
		}
	}
	census_sort(&hs->c, false);
	hs->malloc_bytes = calloc(hs->c.n + 1, sizeof(*hs->malloc_bytes));
	if (!hs->malloc_bytes) {
		heap_state_release(hs);
		return pyx_error_no_memory();
	}
	for (size_t i = 0; i < hs->c.n; i++) {
		qsort(hs->c.v[i].addrs, hs->c.v[i].naddrs, 8, cmp_u64);
		for (size_t k = 0; hs->have_memory && k < hs->m.nowners; k++)
			if (hs->m.owners[k].ti == hs->c.v[i].ti)
				hs->malloc_bytes[i] = hs->m.owners[k].malloc_bytes;
	}
tracemalloc:;
	struct tm_state st;
	err = tracemalloc_state(prog, &st);
	if (err) {
		if (asprintf(&hs->tm_note, "%s", pyx_error_message(err)) < 0)
			hs->tm_note = NULL;
		pyx_error_destroy(err);
		return NULL;
	}
	hs->tm_known = true;
	hs->tm_tracing = st.tracing;
	hs->traced_memory = st.traced_memory;
	if (sites && st.tracing) {
		err = tracemalloc_sites(prog, &st, &hs->sites, &hs->nsites);
		if (err) {
			heap_state_release(hs);
			return pyx_error_wrap(err, "reading tracemalloc's traces");
		}
		hs->have_sites = true;
	}
	return NULL;
}

/* ---- writing a snapshot --------------------------------------------------------- */

static struct pyx_error *write_all(FILE *f, const void *p, size_t n, const char *path)
{
	if (n && fwrite(p, 1, n, f) != n)
		return pyx_error_os(errno, "writing %s: %s", path, strerror(errno));
	return NULL;
}

static void json_int_or_null(struct strbuf *sb, int64_t v)
{
	if (v < 0)
		strbuf_puts(sb, "null");
	else
		strbuf_printf(sb, "%lld", (long long)v);
}

static void json_str_or_null(struct strbuf *sb, const char *s)
{
	if (s)
		json_string(sb, s);
	else
		strbuf_puts(sb, "null");
}

static void header_json(struct pyx_program *prog, const struct heap_state *hs,
			struct strbuf *hdr)
{
	strbuf_printf(hdr, "{\"format\": %d, \"python_version\": ", SNAPSHOT_FORMAT);
	json_string(hdr, prog->python_version_string ? prog->python_version_string : "?");
	strbuf_printf(hdr, ", \"pid\": %d, \"target\": \"%s\", \"created\": %lld, "
		      "\"scope\": \"%s\", \"scope_note\": ", prog->target->pid,
		      pyx_target_is_live(prog->target) ? "process" : "core",
		      (long long)time(NULL), hs->heap_scope ? "heap" : "gc");
	json_str_or_null(hdr, hs->scope_note);
	strbuf_printf(hdr, ", \"total_objects\": %llu, \"total_bytes\": %llu, \"memory\": ",
		      (unsigned long long)hs->c.total_objects,
		      (unsigned long long)hs->c.total_bytes);
	if (hs->have_memory) {
		strbuf_puts(hdr, "{\"rss_bytes\": ");
		json_int_or_null(hdr, hs->m.rss);
		strbuf_printf(hdr, ", \"vsz_bytes\": %llu, \"kinds\": [",
			      (unsigned long long)hs->m.vsz);
		for (int k = 0; k < MEM_KINDS; k++) {
			strbuf_puts(hdr, k ? ", {\"kind\": " : "{\"kind\": ");
			json_string(hdr, memory_kind_names[k]);
			strbuf_printf(hdr, ", \"bytes\": %llu, \"rss_bytes\": ",
				      (unsigned long long)hs->m.bytes[k]);
			json_int_or_null(hdr, hs->m.rss_bytes[k]);
			strbuf_puts(hdr, "}");
		}
		strbuf_puts(hdr, "]}");
	} else {
		strbuf_puts(hdr, "null");
	}
	strbuf_printf(hdr, ", \"tracemalloc\": {\"tracing\": %s, \"traced_memory\": %llu, "
		      "\"note\": ", hs->tm_tracing ? "true" : "false",
		      (unsigned long long)hs->traced_memory);
	json_str_or_null(hdr, hs->tm_note);
	strbuf_printf(hdr, "}, \"sites\": %zu, \"types\": [", hs->nsites);
	for (size_t i = 0; i < hs->c.n; i++) {
		strbuf_puts(hdr, i ? ", {\"type\": " : "{\"type\": ");
		json_string(hdr, hs->c.v[i].ti->name);
		strbuf_printf(hdr, ", \"count\": %llu, \"bytes\": %llu, \"malloc_bytes\": %llu}",
			      (unsigned long long)hs->c.v[i].count,
			      (unsigned long long)hs->c.v[i].bytes,
			      (unsigned long long)hs->malloc_bytes[i]);
	}
	strbuf_puts(hdr, "]}\n");
	for (size_t i = 0; i < hs->nsites; i++) {
		strbuf_printf(hdr, "%llu %llu ", (unsigned long long)hs->sites[i].size,
			      (unsigned long long)hs->sites[i].count);
		json_string(hdr, hs->sites[i].key);
		strbuf_puts(hdr, "\n");
	}
}

static struct pyx_error *leaks_snapshot_answer(struct pyx_program *prog, const char *path,
					       char **ret)
{
	struct heap_state hs;
	PYX_TRY(heap_state_take(prog, HS_OBJECTS | HS_HEAP | HS_SITES, &hs));
	struct strbuf hdr = STRBUF_INIT;
	header_json(prog, &hs, &hdr);
	struct pyx_error *err = hdr.oom ? pyx_error_no_memory() : NULL;
	char *tmp = NULL;
	if (!err && asprintf(&tmp, "%s.tmp%d", path, (int)getpid()) < 0)
		err = pyx_error_no_memory();
	FILE *f = NULL;
	if (!err) {
		f = fopen(tmp, "wb");
		if (!f)
			err = pyx_error_os(errno, "cannot write %s: %s", tmp, strerror(errno));
	}
	if (!err)
		err = write_all(f, SNAPSHOT_MAGIC, strlen(SNAPSHOT_MAGIC), tmp);
	if (!err)
		err = write_all(f, hdr.s, hdr.len, tmp);
	for (size_t i = 0; !err && i < hs.c.n; i++)
		err = write_all(f, hs.c.v[i].addrs, hs.c.v[i].naddrs * 8, tmp);
	if (f) {
		if (!err && (fflush(f) != 0 || fsync(fileno(f)) != 0))
			err = pyx_error_os(errno, "writing %s: %s", tmp, strerror(errno));
		if (fclose(f) != 0 && !err)
			err = pyx_error_os(errno, "writing %s: %s", tmp, strerror(errno));
	}
	if (!err && rename(tmp, path) != 0)
		err = pyx_error_os(errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (err && tmp)
		unlink(tmp);
	free(tmp);
	struct strbuf sb = STRBUF_INIT;
	if (!err) {
		strbuf_puts(&sb, "{\"snapshot\": ");
		json_string(&sb, path);
		strbuf_printf(&sb, ", \"scope\": \"%s\", \"scope_note\": ",
			      hs.heap_scope ? "heap" : "gc");
		json_str_or_null(&sb, hs.scope_note);
		strbuf_printf(&sb, ", \"total_objects\": %llu, \"total_bytes\": %llu, "
			      "\"types\": %zu, \"rss_bytes\": ",
			      (unsigned long long)hs.c.total_objects,
			      (unsigned long long)hs.c.total_bytes, hs.c.n);
		json_int_or_null(&sb, hs.have_memory ? hs.m.rss : -1);
		strbuf_printf(&sb, ", \"tracemalloc_sites\": ");
		if (hs.have_sites)
			strbuf_printf(&sb, "%zu", hs.nsites);
		else
			strbuf_puts(&sb, "null");
		strbuf_puts(&sb, "}");
	}
	strbuf_release(&hdr);
	heap_state_release(&hs);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	return strbuf_finish(&sb, ret);
}

/* ---- reading a snapshot ----------------------------------------------------------- */

struct snap_type {
	char *name;
	uint64_t count, bytes, malloc_bytes;
	const uint64_t *addrs;
};

struct snap_kind {
	char *name;
	uint64_t bytes;
	int64_t rss;
};

struct snapshot {
	int format;
	uint64_t *addrs;
	struct snap_type *types;
	size_t ntypes;
	long long created;
	char version[32];
	bool heap_scope;
	bool have_memory;
	int64_t rss;
	uint64_t vsz;
	struct snap_kind kinds[MEM_KINDS];
	size_t nkinds;
	bool tm_tracing;
	uint64_t traced_memory;
	struct tm_site *sites;
	size_t nsites;
};

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->ntypes; i++)
		free(s->types[i].name);
	for (size_t i = 0; i < s->nkinds; i++)
		free(s->kinds[i].name);
	free(s->types);
	free(s->addrs);
	tm_sites_free(s->sites, s->nsites);
	memset(s, 0, sizeof(*s));
}

/* A small reader for the header this file writes (not a general JSON
 * parser). */
static const char *parse_string(const char *p, const char *end, char **out)
{
	if (p >= end || *p != '"')
		return NULL;
	p++;
	struct strbuf sb = STRBUF_INIT;
	while (p < end && *p != '"') {
		if (*p == '\\' && p + 1 < end) {
			p++;
			switch (*p) {
			case 'n': strbuf_putc(&sb, '\n'); break;
			case 't': strbuf_putc(&sb, '\t'); break;
			case 'r': strbuf_putc(&sb, '\r'); break;
			case 'u': {
				unsigned v = 0;
				if (end - p < 5 || sscanf(p + 1, "%4x", &v) != 1) {
					strbuf_release(&sb);
					return NULL;
				}
				strbuf_put_utf8(&sb, v);
				p += 4;
				break;
			}
			default: strbuf_putc(&sb, *p); break;
			}
		} else {
			strbuf_putc(&sb, *p);
		}
		p++;
	}
	if (p >= end || strbuf_finish(&sb, out)) {
		strbuf_release(&sb);
		return NULL;
	}
	return p + 1;
}

static struct pyx_error *bad_snapshot(const char *path, const char *why)
{
	return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
		"%s is not a usable pyxray snapshot (%s): take one with `py-leaks snapshot FILE`",
		path, why);
}

/* The value after "key": in [p, end), or NULL. */
static const char *field(const char *p, const char *end, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *f = strstr(p, pat);
	return f && f < end ? f + strlen(pat) : NULL;
}

static void parse_memory(struct snapshot *s, const char *p, const char *end)
{
	const char *m = field(p, end, "memory");
	if (!m || strncmp(m, "null", 4) == 0)
		return;
	const char *r = field(m, end, "rss_bytes");
	const char *v = field(m, end, "vsz_bytes");
	if (!r || !v)
		return;
	s->rss = strncmp(r, "null", 4) == 0 ? -1 : atoll(r);
	s->vsz = strtoull(v, NULL, 10);
	const char *k = field(m, end, "kinds");
	while (k && s->nkinds < MEM_KINDS && (k = strstr(k, "{\"kind\": ")) && k < end) {
		char *name = NULL;
		const char *q = parse_string(k + 9, end, &name);
		const char *b = q ? field(q, end, "bytes") : NULL;
		const char *rs = q ? field(q, end, "rss_bytes") : NULL;
		if (!b || !rs) {
			free(name);
			return;
		}
		s->kinds[s->nkinds++] = (struct snap_kind){
			name, strtoull(b, NULL, 10), strncmp(rs, "null", 4) == 0 ? -1 : atoll(rs),
		};
		k = rs;
	}
	s->have_memory = s->nkinds == MEM_KINDS;
}

static struct pyx_error *snapshot_read(const char *path, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	FILE *f = fopen(path, "rb");
	if (!f)
		return pyx_error_os(errno, "cannot open snapshot %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0) {
		fclose(f);
		return pyx_error_os(errno, "%s: %s", path, strerror(errno));
	}
	long size = ftell(f);
	rewind(f);
	if (size < (long)strlen(SNAPSHOT_MAGIC)) {
		fclose(f);
		return bad_snapshot(path, "too short");
	}
	char *data = malloc((size_t)size + 1);
	if (!data) {
		fclose(f);
		return pyx_error_no_memory();
	}
	size_t got = fread(data, 1, (size_t)size, f);
	fclose(f);
	struct pyx_error *err = NULL;
	if (got != (size_t)size) {
		free(data);
		return bad_snapshot(path, "unreadable");
	}
	data[size] = '\0';
	if (strncmp(data, "PYXRAY-SNAPSHOT ", 16) != 0) {
		free(data);
		return bad_snapshot(path, "no PYXRAY-SNAPSHOT header");
	}
	if (strncmp(data, SNAPSHOT_MAGIC, strlen(SNAPSHOT_MAGIC)) == 0)
		s->format = 2;
	else if (strncmp(data, SNAPSHOT_MAGIC_1, strlen(SNAPSHOT_MAGIC_1)) == 0)
		s->format = 1;
	else {
		free(data);
		return bad_snapshot(path, "a format this pyxray does not know");
	}
	char *hdr = data + strlen(SNAPSHOT_MAGIC);
	char *dend = data + size;
	char *nl = memchr(hdr, '\n', (size_t)(dend - hdr));
	if (!nl || nl - hdr > (long)MAX_HEADER) {
		free(data);
		return bad_snapshot(path, "truncated header");
	}
	*nl = '\0';
	const char *end = nl;
	const char *v = field(hdr, end, "python_version");
	char *ver = NULL;
	if (v && parse_string(v, end, &ver)) {
		snprintf(s->version, sizeof(s->version), "%s", ver);
		free(ver);
	}
	const char *cr = field(hdr, end, "created");
	if (cr)
		s->created = atoll(cr);
	const char *sc = field(hdr, end, "scope");
	s->heap_scope = sc && strncmp(sc, "\"heap\"", 6) == 0;
	const char *types_at = field(hdr, end, "types");
	if (!types_at) {
		free(data);
		return bad_snapshot(path, "no types in its header");
	}
	parse_memory(s, hdr, types_at);
	const char *tm = field(hdr, types_at, "tracemalloc");
	if (tm) {
		const char *t = field(tm, types_at, "tracing");
		const char *m = field(tm, types_at, "traced_memory");
		s->tm_tracing = t && strncmp(t, "true", 4) == 0;
		s->traced_memory = m ? strtoull(m, NULL, 10) : 0;
	}
	const char *ns = field(hdr, types_at, "sites");
	size_t nsites = ns ? (size_t)strtoull(ns, NULL, 10) : 0;
	/* The site lines. */
	char *p = nl + 1;
	if (nsites) {
		s->sites = calloc(nsites, sizeof(*s->sites));
		if (!s->sites)
			err = pyx_error_no_memory();
	}
	for (size_t i = 0; !err && i < nsites; i++) {
		char *eol = memchr(p, '\n', (size_t)(dend - p));
		unsigned long long sz, cnt;
		int used = 0;
		if (!eol || sscanf(p, "%llu %llu %n", &sz, &cnt, &used) < 2 || !used ||
		    !parse_string(p + used, eol, &s->sites[i].key)) {
			err = bad_snapshot(path, "malformed allocation site");
			break;
		}
		s->sites[i].size = sz;
		s->sites[i].count = cnt;
		s->nsites++;
		p = eol + 1;
	}
	s->tm_tracing = s->tm_tracing && !err;
	/* The address block is not 8-aligned in the buffer: copy it. */
	size_t avail = (size_t)(dend - p) / 8, used = 0;
	if (!err) {
		s->addrs = malloc((avail ? avail : 1) * 8);
		if (!s->addrs)
			err = pyx_error_no_memory();
		else
			memcpy(s->addrs, p, avail * 8);
	}
	const char *t = types_at;
	while (!err && (t = strstr(t, "{\"type\": ")) && t < end) {
		char *name = NULL;
		const char *q = parse_string(t + 9, end, &name);
		unsigned long long count, bytes, mb = 0;
		if (!q || sscanf(q, ", \"count\": %llu, \"bytes\": %llu", &count, &bytes) != 2) {
			free(name);
			err = bad_snapshot(path, "malformed type entry");
			break;
		}
		const char *m = field(q, end, "malloc_bytes");
		const char *next = strstr(q, "{\"type\": ");
		if (m && (!next || m < next))
			mb = strtoull(m, NULL, 10);
		if (count > avail - used) {
			free(name);
			err = bad_snapshot(path, "truncated address table");
			break;
		}
		struct snap_type *ty = realloc(s->types, (s->ntypes + 1) * sizeof(*ty));
		if (!ty) {
			free(name);
			err = pyx_error_no_memory();
			break;
		}
		s->types = ty;
		ty[s->ntypes] = (struct snap_type){ name, count, bytes, mb, s->addrs + used };
		used += count;
		s->ntypes++;
		t = q;
	}
	free(data);
	if (err)
		snapshot_free(s);
	return err;
}

/* ---- diff by type ------------------------------------------------------------------ */

struct growth {
	const char *name;
	uint64_t before_count, before_bytes, after_count, after_bytes;
	uint64_t before_malloc, after_malloc;
	const struct census_entry *e;
	const struct snap_type *old;
};

static int by_count_growth(const void *a, const void *b)
{
	const struct growth *x = a, *y = b;
	int64_t gx = (int64_t)(x->after_count - x->before_count);
	int64_t gy = (int64_t)(y->after_count - y->before_count);
	if (gx != gy)
		return gx < gy ? 1 : -1;
	int64_t bx = (int64_t)(x->after_bytes - x->before_bytes);
	int64_t by = (int64_t)(y->after_bytes - y->before_bytes);
	if (bx != by)
		return bx < by ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int by_bytes_growth(const void *a, const void *b)
{
	const struct growth *x = a, *y = b;
	int64_t bx = (int64_t)(x->after_bytes - x->before_bytes);
	int64_t by = (int64_t)(y->after_bytes - y->before_bytes);
	if (bx != by)
		return bx < by ? 1 : -1;
	return by_count_growth(a, b);
}

static int cmp_snap_type(const void *a, const void *b)
{
	return strcmp(((const struct snap_type *)a)->name, ((const struct snap_type *)b)->name);
}

static void limit_json(struct strbuf *sb, bool truncated, int top)
{
	strbuf_printf(sb, ", \"truncated\": %s, \"limit\": {\"top\": ",
		      truncated ? "true" : "false");
	if (top > 0)
		strbuf_printf(sb, "%d}", top);
	else
		strbuf_puts(sb, "null}");
}

static void memory_diff_json(const struct snapshot *snap, const struct heap_state *hs,
			     struct strbuf *sb)
{
	strbuf_puts(sb, ", \"memory\": ");
	if (!snap->have_memory || !hs->have_memory) {
		strbuf_puts(sb, "null");
		return;
	}
	bool rss = snap->rss >= 0 && hs->m.rss >= 0;
	strbuf_puts(sb, "{\"rss_before\": ");
	json_int_or_null(sb, rss ? snap->rss : -1);
	strbuf_puts(sb, ", \"rss_after\": ");
	json_int_or_null(sb, rss ? hs->m.rss : -1);
	strbuf_puts(sb, ", \"rss_growth\": ");
	if (rss)
		strbuf_printf(sb, "%lld", (long long)(hs->m.rss - snap->rss));
	else
		strbuf_puts(sb, "null");
	strbuf_printf(sb, ", \"vsz_before\": %llu, \"vsz_after\": %llu, \"vsz_growth\": %lld, "
		      "\"kinds\": [", (unsigned long long)snap->vsz, (unsigned long long)hs->m.vsz,
		      (long long)(hs->m.vsz - snap->vsz));
	for (int k = 0; k < MEM_KINDS; k++) {
		const struct snap_kind *old = NULL;
		for (size_t i = 0; i < snap->nkinds; i++)
			if (strcmp(snap->kinds[i].name, memory_kind_names[k]) == 0)
				old = &snap->kinds[i];
		uint64_t before = old ? old->bytes : 0;
		strbuf_puts(sb, k ? ", {\"kind\": " : "{\"kind\": ");
		json_string(sb, memory_kind_names[k]);
		strbuf_printf(sb, ", \"bytes_before\": %llu, \"bytes_after\": %llu, "
			      "\"bytes_growth\": %lld, \"rss_growth\": ", (unsigned long long)before,
			      (unsigned long long)hs->m.bytes[k],
			      (long long)(hs->m.bytes[k] - before));
		if (old && old->rss >= 0 && hs->m.rss_bytes[k] >= 0)
			strbuf_printf(sb, "%lld", (long long)(hs->m.rss_bytes[k] - old->rss));
		else
			strbuf_puts(sb, "null");
		strbuf_puts(sb, "}");
	}
	strbuf_puts(sb, "]}");
}

static struct pyx_error *types_diff(const char *path, const struct snapshot *snap,
				    const struct heap_state *hs, int top, bool by_size,
				    struct strbuf *sb)
{
	const struct census *c = &hs->c;
	struct growth *g = calloc(c->n + 1, sizeof(*g));
	struct snap_type *sorted = malloc((snap->ntypes + 1) * sizeof(*sorted));
	if (!g || !sorted) {
		free(g);
		free(sorted);
		return pyx_error_no_memory();
	}
	memcpy(sorted, snap->types, snap->ntypes * sizeof(*sorted));
	qsort(sorted, snap->ntypes, sizeof(*sorted), cmp_snap_type);
	size_t ng = 0;
	uint64_t objs_before = 0, bytes_before = 0;
	for (size_t k = 0; k < snap->ntypes; k++) {
		objs_before += snap->types[k].count;
		bytes_before += snap->types[k].bytes;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct snap_type key = { .name = c->v[i].ti->name };
		const struct snap_type *old = snap->ntypes
			? bsearch(&key, sorted, snap->ntypes, sizeof(*sorted), cmp_snap_type) : NULL;
		uint64_t bc = old ? old->count : 0, bb = old ? old->bytes : 0;
		if (c->v[i].count <= bc && c->v[i].bytes <= bb)
			continue;
		g[ng++] = (struct growth){ c->v[i].ti->name, bc, bb, c->v[i].count, c->v[i].bytes,
					   old ? old->malloc_bytes : 0, hs->malloc_bytes[i],
					   &c->v[i], old };
	}
	qsort(g, ng, sizeof(*g), by_size ? by_bytes_growth : by_count_growth);
	strbuf_puts(sb, "{\"snapshot\": ");
	json_string(sb, path);
	strbuf_puts(sb, ", \"snapshot_python_version\": ");
	json_string(sb, snap->version);
	strbuf_printf(sb, ", \"snapshot_created\": %lld, \"scope\": \"%s\", "
		      "\"total_objects_before\": %llu, \"total_objects_after\": %llu, "
		      "\"total_bytes_before\": %llu, \"total_bytes_after\": %llu, \"types\": [",
		      snap->created, hs->heap_scope ? "heap" : "gc",
		      (unsigned long long)objs_before, (unsigned long long)c->total_objects,
		      (unsigned long long)bytes_before, (unsigned long long)c->total_bytes);
	size_t shown = 0;
	for (size_t i = 0; i < ng && (top <= 0 || (int)i < top); i++, shown++) {
		strbuf_puts(sb, i ? ", {\"type\": " : "{\"type\": ");
		json_string(sb, g[i].name);
		strbuf_printf(sb, ", \"count_before\": %llu, \"count_after\": %llu, "
			      "\"count_growth\": %lld, \"bytes_before\": %llu, \"bytes_after\": %llu, "
			      "\"bytes_growth\": %lld, \"malloc_bytes_before\": %llu, "
			      "\"malloc_bytes_after\": %llu, \"malloc_bytes_growth\": %lld, "
			      "\"new_samples\": [",
			      (unsigned long long)g[i].before_count, (unsigned long long)g[i].after_count,
			      (long long)(g[i].after_count - g[i].before_count),
			      (unsigned long long)g[i].before_bytes, (unsigned long long)g[i].after_bytes,
			      (long long)(g[i].after_bytes - g[i].before_bytes),
			      (unsigned long long)g[i].before_malloc,
			      (unsigned long long)g[i].after_malloc,
			      (long long)(g[i].after_malloc - g[i].before_malloc));
		int n = 0;
		for (size_t k = 0; k < g[i].e->naddrs && n < DIFF_SAMPLES; k++) {
			uint64_t a = g[i].e->addrs[k];
			if (g[i].old && sorted_u64_find(g[i].old->addrs, 0, g[i].old->count, a) >= 0)
				continue;
			strbuf_puts(sb, n ? ", " : "");
			json_hex(sb, a);
			n++;
		}
		strbuf_puts(sb, "]}");
	}
	strbuf_printf(sb, "], \"types_grown\": %zu", ng);
	limit_json(sb, shown < ng, top);
	memory_diff_json(snap, hs, sb);
	free(g);
	free(sorted);
	return NULL;
}

/* ---- diff by allocation site ---------------------------------------------------------- */

struct site_diff {
	const char *key;
	uint64_t size, count;
	int64_t size_diff, count_diff;
};

static uint64_t iabs(int64_t v)
{
	return v < 0 ? (uint64_t)-v : (uint64_t)v;
}

/* tracemalloc's StatisticDiff._sort_key, largest first. */
static int by_site_diff(const void *a, const void *b)
{
	const struct site_diff *x = a, *y = b;
	if (iabs(x->size_diff) != iabs(y->size_diff))
		return iabs(x->size_diff) < iabs(y->size_diff) ? 1 : -1;
	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	if (iabs(x->count_diff) != iabs(y->count_diff))
		return iabs(x->count_diff) < iabs(y->count_diff) ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

static struct pyx_error *sites_diff(const char *path, const struct snapshot *snap,
				    const struct heap_state *hs, int top, struct strbuf *sb)
{
	if (!hs->tm_known)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "--by-site needs tracemalloc's tables: %s",
					hs->tm_note ? hs->tm_note : "not found");
	if (!hs->tm_tracing)
		return pyx_error_create(PYX_ERR_NOT_FOUND,
			"--by-site needs tracemalloc, which is off in the process: %s",
			TRACEMALLOC_HOWTO);
	if (snap->format < 2 || !snap->tm_tracing)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
			"the snapshot %s was taken while tracemalloc was off: take a new one now "
			"that it traces", path);
	struct site_diff *d = calloc(snap->nsites + hs->nsites + 1, sizeof(*d));
	if (!d)
		return pyx_error_no_memory();
	size_t nd = 0, i = 0, j = 0;
	/* Both lists are sorted by key: merge them. */
	while (i < snap->nsites || j < hs->nsites) {
		int c = i == snap->nsites ? 1 : j == hs->nsites ? -1
			: strcmp(snap->sites[i].key, hs->sites[j].key);
		if (c < 0) {
			d[nd++] = (struct site_diff){ snap->sites[i].key, 0, 0,
						      -(int64_t)snap->sites[i].size,
						      -(int64_t)snap->sites[i].count };
			i++;
		} else if (c > 0) {
			d[nd++] = (struct site_diff){ hs->sites[j].key, hs->sites[j].size,
						      hs->sites[j].count, (int64_t)hs->sites[j].size,
						      (int64_t)hs->sites[j].count };
			j++;
		} else {
			d[nd++] = (struct site_diff){
				hs->sites[j].key, hs->sites[j].size, hs->sites[j].count,
				(int64_t)(hs->sites[j].size - snap->sites[i].size),
				(int64_t)(hs->sites[j].count - snap->sites[i].count) };
			i++;
			j++;
		}
	}
	qsort(d, nd, sizeof(*d), by_site_diff);
	strbuf_puts(sb, "{\"snapshot\": ");
	json_string(sb, path);
	strbuf_puts(sb, ", \"snapshot_python_version\": ");
	json_string(sb, snap->version);
	strbuf_printf(sb, ", \"snapshot_created\": %lld, \"by_site\": true, "
		      "\"traced_memory_before\": %llu, \"traced_memory_after\": %llu, "
		      "\"sites\": [", snap->created, (unsigned long long)snap->traced_memory,
		      (unsigned long long)hs->traced_memory);
	size_t shown = 0;
	for (size_t k = 0; k < nd && (top <= 0 || (int)k < top); k++, shown++) {
		strbuf_puts(sb, k ? ", {" : "{");
		json_key(sb, "traceback");
		tm_site_key_json(d[k].key, sb);
		strbuf_printf(sb, ", \"size\": %llu, \"size_diff\": %lld, \"count\": %llu, "
			      "\"count_diff\": %lld}", (unsigned long long)d[k].size,
			      (long long)d[k].size_diff, (unsigned long long)d[k].count,
			      (long long)d[k].count_diff);
	}
	strbuf_printf(sb, "], \"sites_total\": %zu", nd);
	limit_json(sb, shown < nd, top);
	free(d);
	return NULL;
}

static struct pyx_error *leaks_diff_answer(struct pyx_program *prog, const char *path,
					   const struct pyx_leaks_diff_options *opts, char **ret)
{
	struct pyx_leaks_diff_options o = { 0 };
	if (opts)
		o = *opts;
	struct snapshot snap;
	PYX_TRY(snapshot_read(path, &snap));
	struct heap_state hs;
	/* Compare like with like: a snapshot of the gc's objects with the
	 * gc's objects now. */
	unsigned what = o.by_site ? HS_SITES : HS_OBJECTS | (snap.heap_scope ? HS_HEAP : 0);
	struct pyx_error *err = heap_state_take(prog, what, &hs);
	if (err) {
		snapshot_free(&snap);
		return err;
	}
	if (!o.by_site && snap.heap_scope && !hs.heap_scope) {
		err = pyx_error_create(PYX_ERR_NOT_FOUND,
			"the snapshot %s counts every object, but the heap cannot be walked now "
			"(%s)", path, hs.scope_note ? hs.scope_note : "no pymalloc state");
	}
	struct strbuf sb = STRBUF_INIT;
	if (!err)
		err = o.by_site ? sites_diff(path, &snap, &hs, o.top, &sb)
				: types_diff(path, &snap, &hs, o.top, o.sort_by_size, &sb);
	if (!err) {
		strbuf_puts(&sb, ", \"notes\": [");
		bool first = true;
		if (!o.by_site && hs.scope_note) {
			json_string(&sb, hs.scope_note);
			first = false;
		}
		if (!o.by_site && snap.format < 2) {
			if (!first)
				strbuf_puts(&sb, ", ");
			json_string(&sb, "the snapshot has format 1: only gc-tracked objects "
				    "and no memory kinds are compared");
		}
		strbuf_puts(&sb, "]}");
	}
	heap_state_release(&hs);
	snapshot_free(&snap);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	return strbuf_finish(&sb, ret);
}

/* The public answers say, when a read failed on a running process, how to
 * pause it (program_explain). */
struct pyx_error *pyx_leaks_snapshot(struct pyx_program *prog, const char *path, char **ret)
{
	return program_explain(prog, leaks_snapshot_answer(prog, path, ret));
}

struct pyx_error *pyx_leaks_diff_json(struct pyx_program *prog, const char *path,
				      const struct pyx_leaks_diff_options *opts, char **ret)
{
	return program_explain(prog, leaks_diff_answer(prog, path, opts, ret));
}
