/* obmalloc_json.c - py-pools, py-arenas and py-malloc answers as JSON
 * (shapes in docs/py-pools.md, docs/py-arenas.md, docs/py-malloc.md). */
#include <stdlib.h>
#include <string.h>

#include "heap/obmalloc.h"
#include "objects/object.h"
#include "objects/repr.h"
#include "util/strbuf.h"

#define DEFAULT_TOP 10

/* , "warnings": [...]: where pymalloc's bookkeeping disagrees. */
static void warnings_json(const struct obmalloc *om, struct strbuf *sb)
{
	strbuf_puts(sb, ", \"warnings\": [");
	for (size_t i = 0; i < om->nwarnings; i++) {
		if (i)
			strbuf_puts(sb, ", ");
		json_string(sb, om->warnings[i]);
	}
	strbuf_puts(sb, "]");
}

/* ---- py-pools ---------------------------------------------------------------*/

static struct pyx_error *pools_json_answer(struct pyx_program *prog, char **ret)
{
	struct obmalloc *om;
	PYX_TRY(obmalloc_open(prog, OBMALLOC_POOLS, &om));
	struct obmalloc_stats st;
	obmalloc_stats(om, &st);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"arena_size\": %u, \"pool_size\": %u, ",
		      om->arena_size, om->pool_size);
	strbuf_printf(&sb, "\"small_request_threshold\": %u, \"size_classes\": %u, ",
		      om->nclasses * om->alignment, om->nclasses);
	json_key(&sb, "allocator");
	json_string(&sb, om->allocator_name);
	strbuf_puts(&sb, ", \"classes\": [");
	bool first = true;
	for (uint32_t i = 0; i < st.nclasses; i++) {
		const struct obmalloc_class_stats *c = &st.classes[i];
		if (!c->pools)
			continue;
		strbuf_printf(&sb, "%s{\"class\": %u, \"size\": %u, \"pools\": %llu, "
			      "\"blocks_in_use\": %llu, \"blocks_avail\": %llu}",
			      first ? "" : ", ", i, obmalloc_block_size(om, i),
			      (unsigned long long)c->pools,
			      (unsigned long long)c->blocks_in_use,
			      (unsigned long long)c->blocks_avail);
		first = false;
	}
	strbuf_printf(&sb, "], \"arenas\": {\"allocated_total\": %llu, \"reclaimed\": %llu, "
		      "\"highwater\": %llu, \"current\": %llu}, ",
		      (unsigned long long)st.allocated_total,
		      (unsigned long long)st.reclaimed,
		      (unsigned long long)st.highwater,
		      (unsigned long long)st.narenas);
	strbuf_printf(&sb, "\"bytes\": {\"allocated_blocks\": %llu, \"available_blocks\": %llu, "
		      "\"unused_pools\": %llu, \"pool_headers\": %llu, "
		      "\"quantization\": %llu, \"arena_alignment\": %llu, \"total\": %llu}",
		      (unsigned long long)st.allocated_bytes,
		      (unsigned long long)st.available_bytes,
		      (unsigned long long)st.unused_pool_bytes,
		      (unsigned long long)st.pool_header_bytes,
		      (unsigned long long)st.quantization,
		      (unsigned long long)st.arena_alignment,
		      (unsigned long long)st.narenas * om->arena_size);
	warnings_json(om, &sb);
	strbuf_puts(&sb, "}");
	obmalloc_close(om);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_pools_json(struct pyx_program *prog, char **ret)
{
	return program_explain(prog, pools_json_answer(prog, ret));
}

/* ---- py-arenas ---------------------------------------------------------------*/

struct arena_summary {
	const struct obmalloc_arena *a;
	uint32_t pools_used;
	uint64_t blocks, bytes;
	uint64_t classes;   /* bit i: size class i has a used pool here */
};

static void summarize(const struct obmalloc *om, struct arena_summary *s)
{
	for (size_t i = 0; i < om->narenas; i++) {
		const struct obmalloc_arena *a = &om->arenas[i];
		s[i] = (struct arena_summary){ .a = a };
		for (uint32_t j = 0; j < a->ncarved; j++) {
			const struct obmalloc_pool *p = &om->pools[a->first_pool + j];
			if (!p->count)
				continue;
			s[i].pools_used++;
			s[i].blocks += p->count;
			s[i].bytes += (uint64_t)p->count * obmalloc_block_size(om, p->szidx);
			s[i].classes |= 1ull << p->szidx;
		}
	}
}

/* Fewest live bytes first: the arenas that hold the most memory for the
 * least use.  An arena goes back to the OS only when its last block is
 * freed. */
static int by_live_bytes(const void *x, const void *y)
{
	const struct arena_summary *a = *(const struct arena_summary *const *)x;
	const struct arena_summary *b = *(const struct arena_summary *const *)y;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? -1 : 1;
	if (a->blocks != b->blocks)
		return a->blocks < b->blocks ? -1 : 1;
	return a->a->slot < b->a->slot ? -1 : a->a->slot > b->a->slot;
}

static void arena_fields(struct strbuf *sb, const struct obmalloc *om,
			 const struct arena_summary *s)
{
	strbuf_printf(sb, "\"index\": %u, ", s->a->slot);
	json_key(sb, "address");
	json_hex(sb, s->a->address);
	strbuf_printf(sb, ", \"pools_used\": %u, \"pools_free\": %u, \"pools_total\": %u, "
		      "\"blocks_in_use\": %llu, \"bytes_in_use\": %llu, "
		      "\"utilization\": %.4f",
		      s->pools_used, s->a->nfreepools, s->a->ntotalpools,
		      (unsigned long long)s->blocks, (unsigned long long)s->bytes,
		      (double)s->bytes / om->arena_size);
}

static struct pyx_error *arenas_json_answer(struct pyx_program *prog, unsigned top,
					    char **ret)
{
	struct obmalloc *om;
	PYX_TRY(obmalloc_open(prog, OBMALLOC_POOLS, &om));
	size_t n = om->narenas;
	struct arena_summary *s = calloc(n ? n : 1, sizeof(*s));
	const struct arena_summary **rank = calloc(n ? n : 1, sizeof(*rank));
	if (!s || !rank) {
		free(s);
		free(rank);
		obmalloc_close(om);
		return pyx_error_no_memory();
	}
	summarize(om, s);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"arena_size\": %u, \"pool_size\": %u, ",
		      om->arena_size, om->pool_size);
	json_key(&sb, "allocator");
	json_string(&sb, om->allocator_name);
	strbuf_puts(&sb, ", \"arenas\": [");
	uint64_t pools_used = 0, pools_free = 0, pools_total = 0, blocks = 0, bytes = 0;
	size_t nrank = 0;
	for (size_t i = 0; i < n; i++) {
		strbuf_puts(&sb, i ? ", {" : "{");
		arena_fields(&sb, om, &s[i]);
		strbuf_puts(&sb, ", \"size_classes\": [");
		bool first = true;
		for (uint32_t c = 0; c < om->nclasses; c++) {
			if (!(s[i].classes >> c & 1))
				continue;
			strbuf_printf(&sb, "%s%u", first ? "" : ", ", c);
			first = false;
		}
		strbuf_puts(&sb, "]}");
		pools_used += s[i].pools_used;
		pools_free += s[i].a->nfreepools;
		pools_total += s[i].a->ntotalpools;
		blocks += s[i].blocks;
		bytes += s[i].bytes;
		if (s[i].blocks)
			rank[nrank++] = &s[i];
	}
	uint64_t arena_bytes = (uint64_t)n * om->arena_size;
	strbuf_printf(&sb, "], \"totals\": {\"arenas\": %zu, \"pools_used\": %llu, "
		      "\"pools_free\": %llu, \"pools_total\": %llu, \"blocks_in_use\": %llu, "
		      "\"bytes_in_use\": %llu, \"arena_bytes\": %llu, \"utilization\": %.4f}",
		      n, (unsigned long long)pools_used, (unsigned long long)pools_free,
		      (unsigned long long)pools_total, (unsigned long long)blocks,
		      (unsigned long long)bytes, (unsigned long long)arena_bytes,
		      arena_bytes ? (double)bytes / arena_bytes : 0.0);
	qsort(rank, nrank, sizeof(*rank), by_live_bytes);
	if (!top)
		top = DEFAULT_TOP;
	strbuf_puts(&sb, ", \"fragmentation\": [");
	for (size_t i = 0; i < nrank && i < top; i++) {
		strbuf_puts(&sb, i ? ", {" : "{");
		strbuf_printf(&sb, "\"rank\": %zu, ", i + 1);
		arena_fields(&sb, om, rank[i]);
		strbuf_puts(&sb, "}");
	}
	strbuf_printf(&sb, "], \"truncated\": %s, \"limit\": {\"top\": %u}",
		      nrank > top ? "true" : "false", top);
	warnings_json(om, &sb);
	strbuf_puts(&sb, "}");
	free(s);
	free(rank);
	obmalloc_close(om);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_arenas_json(struct pyx_program *prog, unsigned top, char **ret)
{
	return program_explain(prog, arenas_json_answer(prog, top, ret));
}

/* ---- py-malloc -----------------------------------------------------------------*/

static const char *region_name(enum obmalloc_region r)
{
	switch (r) {
	case OBMALLOC_OUTSIDE: return "outside";
	case OBMALLOC_ARENA_ALIGNMENT: return "arena-alignment";
	case OBMALLOC_ARENA_UNCARVED: return "arena-unused";
	case OBMALLOC_POOL_UNUSED: return "pool-unused";
	case OBMALLOC_POOL_HEADER: return "pool-header";
	case OBMALLOC_POOL_TAIL: return "pool-tail";
	case OBMALLOC_BLOCK: return "block";
	}
	return "?";
}

static const char *state_name(enum obmalloc_block_state s)
{
	switch (s) {
	case OBMALLOC_BLOCK_ALLOCATED: return "allocated";
	case OBMALLOC_BLOCK_FREE: return "free";
	case OBMALLOC_BLOCK_UNTOUCHED: return "never-used";
	}
	return "?";
}

/* How many bytes precede an object of this type in its memory: the
 * PyGC_Head of gc types, and from 3.11 the two pre-header words of types
 * with managed dicts (3.12+: or managed weakrefs) - _PyType_PreHeaderSize. */
static uint64_t preheader_size(struct pyx_program *prog, uint64_t flags)
{
	uint64_t n = 0;
	if (flags & TPF_HAVE_GC)
		n += (uint64_t)LV(prog, PyGC_Head);
	uint64_t managed = 0;
	if (HAS(prog, Py_TPFLAGS_MANAGED_DICT))
		managed |= (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_DICT);
	if (HAS(prog, Py_TPFLAGS_MANAGED_WEAKREF))
		managed |= (uint64_t)LV(prog, Py_TPFLAGS_MANAGED_WEAKREF);
	if (flags & managed)
		n += 16;
	return n;
}

/* Is type's metatype chain anchored at PyType_Type?  A real type's type
 * is PyType_Type or a metaclass whose own type is, a few hops at most;
 * words that only happen to look like a header (a PyGC_Head's links) do
 * not get there. */
static bool type_is_anchored(struct pyx_program *prog, uint64_t type)
{
	for (int i = 0; i < 4 && type; i++) {
		if (type == prog->wk.type_type)
			return true;
		struct pyx_error *err = read_ptr(prog, type + LV(prog, PyObject_ob_type), &type);
		if (err) {
			pyx_error_destroy(err);
			return false;
		}
	}
	return false;
}

/* The object an allocated block holds, if any: the one whose pre-header
 * (as its type says) starts exactly at data, and whose fixed part fits in
 * the block. */
static bool block_object(struct pyx_program *prog, uint64_t data, uint64_t end,
			 struct object_head *ret)
{
	uint64_t gc = (uint64_t)LV(prog, PyGC_Head);
	uint64_t tries[] = { 0, gc, gc + 16 };
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		uint64_t obj = data + tries[i];
		if (obj + 16 > end)
			break;
		struct pyx_error *err = object_head(prog, obj, ret);
		if (err) {
			pyx_error_destroy(err);
			continue;
		}
		int64_t basicsize = 0;
		err = read_i64(prog, ret->type + LV(prog, PyTypeObject_tp_basicsize), &basicsize);
		if (err) {
			pyx_error_destroy(err);
			continue;
		}
		if (preheader_size(prog, ret->type_flags) == tries[i] && basicsize > 0 &&
		    (uint64_t)basicsize <= end - obj && type_is_anchored(prog, ret->type))
			return true;
	}
	return false;
}

static void object_fields(struct pyx_program *prog, struct strbuf *sb,
			  const struct object_head *h, uint64_t addr)
{
	strbuf_puts(sb, "{");
	json_key(sb, "address");
	json_hex(sb, h->addr);
	char *type = NULL;
	struct pyx_error *err = type_qualified_name(prog, h->type, &type);
	strbuf_puts(sb, ", ");
	json_key(sb, "type");
	json_string(sb, err ? "?" : type);
	pyx_error_destroy(err);
	free(type);
	strbuf_printf(sb, ", \"refcount\": %lld, ", (long long)h->refcnt);
	uint64_t size = 0;
	err = object_size(prog, h, &size);
	json_key(sb, "size");
	if (err)
		strbuf_puts(sb, "null");
	else
		strbuf_printf(sb, "%llu", (unsigned long long)size);
	pyx_error_destroy(err);
	strbuf_printf(sb, ", \"offset\": %lld, ", (long long)(addr - h->addr));
	json_key(sb, "repr");
	struct strbuf r = STRBUF_INIT;
	repr_object(prog, h->addr, NULL, &r);
	json_string_n(sb, r.s ? r.s : "", r.len);
	strbuf_release(&r);
	strbuf_puts(sb, "}");
}

static struct pyx_error *malloc_json_answer(struct pyx_program *prog, uint64_t address,
					    char **ret)
{
	struct obmalloc *om;
	PYX_TRY(obmalloc_open(prog, 0, &om));
	struct obmalloc_where *w = malloc(sizeof(*w));
	if (!w) {
		obmalloc_close(om);
		return pyx_error_no_memory();
	}
	struct pyx_error *err = obmalloc_locate(prog, om, address, w);
	if (err) {
		free(w);
		obmalloc_close(om);
		return err;
	}
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{");
	json_key(&sb, "address");
	json_hex(&sb, address);
	strbuf_printf(&sb, ", \"in_pymalloc\": %s, ",
		      w->region == OBMALLOC_OUTSIDE ? "false" : "true");
	json_key(&sb, "region");
	json_string(&sb, region_name(w->region));
	strbuf_puts(&sb, ", ");
	json_key(&sb, "allocator");
	json_string(&sb, om->allocator_name);
	if (w->region == OBMALLOC_OUTSIDE)
		strbuf_printf(&sb, ", \"arenas\": %zu", om->narenas);
	if (w->arena) {
		strbuf_printf(&sb, ", \"arena\": {\"index\": %u, ", w->arena->slot);
		json_key(&sb, "address");
		json_hex(&sb, w->arena->address);
		strbuf_printf(&sb, ", \"size\": %u}", om->arena_size);
	}
	bool in_pool = w->region >= OBMALLOC_POOL_UNUSED;
	if (in_pool) {
		strbuf_puts(&sb, ", \"pool\": {");
		json_key(&sb, "address");
		json_hex(&sb, w->pool.address);
		strbuf_printf(&sb, ", \"size\": %u, \"blocks_in_use\": %u", om->pool_size,
			      w->pool.count);
		if (w->pool.count)
			strbuf_printf(&sb, ", \"size_class\": %u, \"block_size\": %u, "
				      "\"blocks_total\": %u", w->pool.szidx, w->block_size,
				      w->pool_blocks);
		strbuf_puts(&sb, "}");
	}
	if (w->region == OBMALLOC_BLOCK) {
		strbuf_puts(&sb, ", \"block\": {");
		json_key(&sb, "address");
		json_hex(&sb, w->block);
		strbuf_printf(&sb, ", \"index\": %u, \"size\": %u, \"offset\": %llu, ",
			      w->block_index, w->block_size,
			      (unsigned long long)(address - w->block));
		json_key(&sb, "state");
		json_string(&sb, state_name(w->state));
		if (w->state == OBMALLOC_BLOCK_FREE)
			strbuf_printf(&sb, ", \"free_list_position\": %u", w->free_position);
		strbuf_puts(&sb, "}");
	}
	uint64_t data = w->block;
	struct obmalloc_debug_header dh;
	bool debug = w->region == OBMALLOC_BLOCK && w->state == OBMALLOC_BLOCK_ALLOCATED &&
		     obmalloc_debug_header(w->data, w->block_size, &dh);
	if (debug) {
		data += OBMALLOC_DEBUG_HEADER;
		strbuf_printf(&sb, ", \"debug\": {\"requested_size\": %llu, \"api\": \"%c\", ",
			      (unsigned long long)dh.requested, dh.api);
		json_key(&sb, "data");
		json_hex(&sb, data);
		strbuf_printf(&sb, ", \"tail_intact\": %s}", dh.tail_intact ? "true" : "false");
	}
	struct object_head h;
	if (w->region == OBMALLOC_BLOCK && w->state == OBMALLOC_BLOCK_ALLOCATED &&
	    block_object(prog, data, w->block + w->block_size, &h)) {
		strbuf_puts(&sb, ", \"object\": ");
		object_fields(prog, &sb, &h, address);
	} else if (w->region == OBMALLOC_BLOCK) {
		strbuf_puts(&sb, ", \"object\": null");
	}
	strbuf_puts(&sb, "}");
	free(w);
	obmalloc_close(om);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_malloc_json(struct pyx_program *prog, uint64_t address,
				  char **ret)
{
	return program_explain(prog, malloc_json_answer(prog, address, ret));
}
