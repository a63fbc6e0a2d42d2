/* leaks.c - py-leaks: snapshots of the census and their diffs, and the
 * refcount check that finds references nobody can account for.
 *
 * Snapshot file (format 1):
 *   line 1   "PYXRAY-SNAPSHOT 1\n"
 *   line 2   a JSON header: python_version, pid, target, created, totals
 *            and per type {"type", "count", "bytes"} in file order
 *   then     for each type, count little-endian u64 addresses, sorted
 * It is written to a temporary file and renamed into place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heap/census.h"
#include "objects/repr.h"
#include "util/sorted.h"
#include "util/strbuf.h"

#define SNAPSHOT_MAGIC "PYXRAY-SNAPSHOT 1\n"
#define SNAPSHOT_FORMAT 1
#define DIFF_SAMPLES 5
#define MAX_HEADER (256u << 20)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static struct pyx_error *write_all(FILE *f, const void *p, size_t n, const char *path)
{
	if (n && fwrite(p, 1, n, f) != n)
		return pyx_error_os(errno, "writing %s: %s", path, strerror(errno));
	return NULL;
}

static struct pyx_error *leaks_snapshot_answer(struct pyx_program *prog,
					       const char *path, char **ret)
{
	struct census c;
	PYX_TRY(census_take(prog, GEN_MASK_ALL, true, &c));
	census_sort(&c, false);
	for (size_t i = 0; i < c.n; i++)
		qsort(c.v[i].addrs, c.v[i].naddrs, 8, cmp_u64);
	struct strbuf hdr = STRBUF_INIT;
	strbuf_printf(&hdr, "{\"format\": %d, \"python_version\": ", SNAPSHOT_FORMAT);
	json_string(&hdr, prog->python_version_string ? prog->python_version_string : "?");
	strbuf_printf(&hdr, ", \"pid\": %d, \"target\": \"%s\", \"created\": %lld, "
		      "\"total_objects\": %llu, \"total_bytes\": %llu, \"types\": [",
		      prog->target->pid, pyx_target_is_live(prog->target) ? "process" : "core",
		      (long long)time(NULL), (unsigned long long)c.total_objects,
		      (unsigned long long)c.total_bytes);
	for (size_t i = 0; i < c.n; i++) {
		strbuf_puts(&hdr, i ? ", {\"type\": " : "{\"type\": ");
		json_string(&hdr, c.v[i].ti->name);
		strbuf_printf(&hdr, ", \"count\": %llu, \"bytes\": %llu}",
			      (unsigned long long)c.v[i].count, (unsigned long long)c.v[i].bytes);
	}
	strbuf_puts(&hdr, "]}\n");
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
	for (size_t i = 0; !err && i < c.n; i++)
		err = write_all(f, c.v[i].addrs, c.v[i].naddrs * 8, tmp);
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
		strbuf_printf(&sb, ", \"total_objects\": %llu, \"total_bytes\": %llu, \"types\": %zu}",
			      (unsigned long long)c.total_objects,
			      (unsigned long long)c.total_bytes, c.n);
	}
	strbuf_release(&hdr);
	census_release(&c);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_leaks_snapshot(struct pyx_program *prog, const char *path,
				     char **ret)
{
	return program_explain(prog, leaks_snapshot_answer(prog, path, ret));
}

/* ---- reading a snapshot --------------------------------------------------- */

struct snap_type {
	char *name;
	uint64_t count, bytes;
	const uint64_t *addrs;
};

struct snapshot {
	char *data;
	size_t size;
	struct snap_type *types;
	size_t ntypes;
	long long created;
	char version[32];
};

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->ntypes; i++)
		free(s->types[i].name);
	free(s->types);
	free(s->data);
}

/* A small reader for the header this file writes (not a general JSON
 * parser): finds "type"/"count"/"bytes" in order. */
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
	s->data = malloc((size_t)size + 1);
	if (!s->data) {
		fclose(f);
		return pyx_error_no_memory();
	}
	size_t got = fread(s->data, 1, (size_t)size, f);
	fclose(f);
	if (got != (size_t)size)
		return bad_snapshot(path, "unreadable");
	s->size = (size_t)size;
	s->data[size] = '\0';
	if (strncmp(s->data, "PYXRAY-SNAPSHOT ", 16) != 0)
		return bad_snapshot(path, "no PYXRAY-SNAPSHOT header");
	if (strncmp(s->data, SNAPSHOT_MAGIC, strlen(SNAPSHOT_MAGIC)) != 0)
		return bad_snapshot(path, "a format this pyxray does not know");
	char *hdr = s->data + strlen(SNAPSHOT_MAGIC);
	char *nl = memchr(hdr, '\n', s->size - (size_t)(hdr - s->data));
	if (!nl || nl - hdr > (long)MAX_HEADER)
		return bad_snapshot(path, "truncated header");
	const char *p = hdr, *end = nl;
	const char *v = strstr(hdr, "\"python_version\": ");
	if (v && v < end) {
		char *ver = NULL;
		if (parse_string(v + 18, end, &ver)) {
			snprintf(s->version, sizeof(s->version), "%s", ver);
			free(ver);
		}
	}
	const char *cr = strstr(hdr, "\"created\": ");
	if (cr && cr < end)
		s->created = atoll(cr + 11);
	const uint64_t *addrs = (const uint64_t *)(void *)(nl + 1);
	size_t avail = (s->size - (size_t)(nl + 1 - s->data)) / 8;
	size_t used = 0;
	/* The address block is not 8-aligned in the buffer: copy it. */
	uint64_t *aligned = malloc((avail ? avail : 1) * 8);
	if (!aligned)
		return pyx_error_no_memory();
	memcpy(aligned, addrs, avail * 8);
	while ((p = strstr(p, "{\"type\": ")) && p < end) {
		char *name = NULL;
		const char *q = parse_string(p + 9, end, &name);
		unsigned long long count, bytes;
		if (!q || sscanf(q, ", \"count\": %llu, \"bytes\": %llu", &count, &bytes) != 2) {
			free(name);
			free(aligned);
			return bad_snapshot(path, "malformed type entry");
		}
		if (count > avail - used) {
			free(name);
			free(aligned);
			return bad_snapshot(path, "truncated address table");
		}
		struct snap_type *t = realloc(s->types, (s->ntypes + 1) * sizeof(*t));
		if (!t) {
			free(name);
			free(aligned);
			return pyx_error_no_memory();
		}
		s->types = t;
		t[s->ntypes].name = name;
		t[s->ntypes].count = count;
		t[s->ntypes].bytes = bytes;
		t[s->ntypes].addrs = aligned + used;
		used += count;
		s->ntypes++;
		p = q;
	}
	/* Keep the aligned copy alive with the snapshot. */
	free(s->data);
	s->data = (char *)aligned;
	return NULL;
}

struct growth {
	const char *name;
	uint64_t before_count, before_bytes, after_count, after_bytes;
	const struct census_entry *e;
	const struct snap_type *old;
};

static int by_growth(const void *a, const void *b)
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

static struct pyx_error *leaks_diff_json_answer(struct pyx_program *prog,
						const char *path, int top, char **ret)
{
	struct snapshot snap;
	struct pyx_error *err = snapshot_read(path, &snap);
	if (err) {
		snapshot_free(&snap);
		return err;
	}
	struct census c;
	err = census_take(prog, GEN_MASK_ALL, true, &c);
	if (err) {
		snapshot_free(&snap);
		return err;
	}
	struct growth *g = calloc(c.n + snap.ntypes + 1, sizeof(*g));
	if (!g) {
		census_release(&c);
		snapshot_free(&snap);
		return pyx_error_no_memory();
	}
	size_t ng = 0;
	uint64_t total_before = 0, total_after = c.total_objects;
	for (size_t k = 0; k < snap.ntypes; k++)
		total_before += snap.types[k].count;
	for (size_t i = 0; i < c.n; i++) {
		const struct snap_type *old = NULL;
		for (size_t k = 0; k < snap.ntypes; k++) {
			if (strcmp(snap.types[k].name, c.v[i].ti->name) == 0) {
				old = &snap.types[k];
				break;
			}
		}
		uint64_t bc = old ? old->count : 0, bb = old ? old->bytes : 0;
		if (c.v[i].count <= bc && c.v[i].bytes <= bb)
			continue;
		g[ng++] = (struct growth){ c.v[i].ti->name, bc, bb, c.v[i].count, c.v[i].bytes,
					   &c.v[i], old };
	}
	qsort(g, ng, sizeof(*g), by_growth);
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{\"snapshot\": ");
	json_string(&sb, path);
	strbuf_puts(&sb, ", \"snapshot_python_version\": ");
	json_string(&sb, snap.version);
	strbuf_printf(&sb, ", \"snapshot_created\": %lld, \"total_objects_before\": %llu, "
		      "\"total_objects_after\": %llu, \"types\": [", snap.created,
		      (unsigned long long)total_before, (unsigned long long)total_after);
	for (size_t i = 0; i < ng && (top <= 0 || (int)i < top); i++) {
		strbuf_puts(&sb, i ? ", {\"type\": " : "{\"type\": ");
		json_string(&sb, g[i].name);
		strbuf_printf(&sb, ", \"count_before\": %llu, \"count_after\": %llu, "
			      "\"count_growth\": %lld, \"bytes_before\": %llu, \"bytes_after\": %llu, "
			      "\"bytes_growth\": %lld, \"new_samples\": [",
			      (unsigned long long)g[i].before_count, (unsigned long long)g[i].after_count,
			      (long long)(g[i].after_count - g[i].before_count),
			      (unsigned long long)g[i].before_bytes, (unsigned long long)g[i].after_bytes,
			      (long long)(g[i].after_bytes - g[i].before_bytes));
		int shown = 0;
		for (size_t k = 0; k < g[i].e->naddrs && shown < DIFF_SAMPLES; k++) {
			uint64_t a = g[i].e->addrs[k];
			if (g[i].old && sorted_u64_find(g[i].old->addrs, 0, g[i].old->count, a) >= 0)
				continue;
			strbuf_puts(&sb, shown ? ", " : "");
			json_hex(&sb, a);
			shown++;
		}
		strbuf_puts(&sb, "]}");
	}
	strbuf_printf(&sb, "], \"truncated\": %s, \"limit\": {\"top\": ",
		      top > 0 && ng > (size_t)top ? "true" : "false");
	if (top > 0)
		strbuf_printf(&sb, "%d}}", top);
	else
		strbuf_puts(&sb, "null}}");
	free(g);
	census_release(&c);
	snapshot_free(&snap);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_leaks_diff_json(struct pyx_program *prog, const char *path,
				      int top, char **ret)
{
	return program_explain(prog, leaks_diff_json_answer(prog, path, top, ret));
}

/* ---- refcheck ------------------------------------------------------------ */

static const char *const blind_spots[] = {
	"references from C global and static variables (extension module state, "
	"caches in C code, the interpreter's own tables)",
	"references held by native code on the C stack (arguments and locals of C "
	"functions being executed)",
	"references from C objects the gc does not track, and from memory an object "
	"owns outside its body (found only by a conservative scan of the body)",
	"objects the gc does not track (str, int, float, and tuples or dicts holding "
	"only such objects) are not checked",
	"immortal objects (3.12+) are skipped",
};

struct suspect {
	uint64_t addr;
	int64_t refcnt, found;
};

static int by_excess(const void *a, const void *b)
{
	const struct suspect *x = a, *y = b;
	int64_t ex = x->refcnt - x->found, ey = y->refcnt - y->found;
	if (ex != ey)
		return ex < ey ? 1 : -1;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

static struct pyx_error *leaks_refcheck_json_answer(struct pyx_program *prog, int top,
						    char **ret)
{
	if (top <= 0)
		top = 20;
	const struct ref_index *ri;
	PYX_TRY(ref_index_get(prog, &ri));
	/* References from the interpreter state itself count as found. */
	uint32_t *extra = calloc(ri->nobjs ? ri->nobjs : 1, sizeof(*extra));
	if (!extra)
		return pyx_error_no_memory();
	for (size_t i = 0; i < ri->nroots; i++) {
		int64_t j = ref_index_find(ri, ri->roots[i]);
		if (j >= 0)
			extra[j]++;
	}
	int64_t immortal = HAS(prog, _Py_IMMORTAL_REFCNT) ? LV(prog, _Py_IMMORTAL_REFCNT) : INT64_MAX;
	struct suspect *sus = NULL;
	size_t nsus = 0, cap = 0, checked = 0;
	struct pyx_error *err = NULL;
	for (size_t j = 0; j < ri->nobjs && !err; j++) {
		int64_t refcnt;
		err = read_i64(prog, ri->objs[j] + LV(prog, PyObject_ob_refcnt), &refcnt);
		if (err)
			break;
		if (refcnt >= immortal)
			continue;
		checked++;
		int64_t found = (int64_t)(ri->start[j + 1] - ri->start[j]) + extra[j];
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
		sus[nsus++] = (struct suspect){ ri->objs[j], refcnt, found };
	}
	free(extra);
	if (err) {
		free(sus);
		return err;
	}
	if (nsus)
		qsort(sus, nsus, sizeof(*sus), by_excess);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"checked\": %zu, \"with_excess\": %zu, \"objects\": [", checked, nsus);
	struct pyx_repr_limits lim = { .max_depth = 1, .max_items = 4, .max_string = 60 };
	for (size_t i = 0; i < nsus && (int)i < top; i++) {
		struct object_head h;
		char *tn = NULL;
		struct pyx_error *e = object_head(prog, sus[i].addr, &h);
		if (!e)
			e = type_qualified_name(prog, h.type, &tn);
		pyx_error_destroy(e);
		strbuf_puts(&sb, i ? ", {\"address\": " : "{\"address\": ");
		json_hex(&sb, sus[i].addr);
		strbuf_puts(&sb, ", \"type\": ");
		json_string(&sb, tn ? tn : "?");
		free(tn);
		strbuf_printf(&sb, ", \"refcount\": %lld, \"found\": %lld, \"excess\": %lld, "
			      "\"repr\": ", (long long)sus[i].refcnt, (long long)sus[i].found,
			      (long long)(sus[i].refcnt - sus[i].found));
		struct strbuf r = STRBUF_INIT;
		repr_object(prog, sus[i].addr, &lim, &r);
		json_string_n(&sb, r.s ? r.s : "", r.len);
		strbuf_release(&r);
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
	return program_explain(prog, leaks_refcheck_json_answer(prog, top, ret));
}
