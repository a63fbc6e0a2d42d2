/* memory_json.c - py-memory's answer. */
#include "heap/memory.h"
#include "util/strbuf.h"

static void json_i64_or_null(struct strbuf *sb, int64_t v)
{
	if (v < 0)
		strbuf_puts(sb, "null");
	else
		strbuf_printf(sb, "%lld", (long long)v);
}

static struct pyx_error *memory_answer(struct pyx_program *prog,
				       const struct pyx_memory_options *opts, char **ret)
{
	struct pyx_memory_options o = { 0 };
	if (opts)
		o = *opts;
	int top = o.top == 0 ? 10 : o.top;
	struct memory_account m;
	PYX_TRY(memory_account(prog, o.no_objects ? 0 : MEMORY_OBJECTS, &m));
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"target\": \"%s\", \"rss_bytes\": ",
		      pyx_target_is_live(prog->target) ? "process" : "core");
	json_i64_or_null(&sb, m.rss);
	strbuf_printf(&sb, ", \"vsz_bytes\": %llu, \"mappings\": %llu, \"thread_stacks\": %llu, "
		      "\"kinds\": [", (unsigned long long)m.vsz, (unsigned long long)m.regions,
		      (unsigned long long)m.stacks);
	for (int k = 0; k < MEM_KINDS; k++) {
		strbuf_puts(&sb, k ? ", {" : "{");
		json_key(&sb, "kind");
		json_string(&sb, memory_kind_names[k]);
		strbuf_printf(&sb, ", \"bytes\": %llu, \"rss_bytes\": ",
			      (unsigned long long)m.bytes[k]);
		json_i64_or_null(&sb, m.rss_bytes[k]);
		strbuf_puts(&sb, "}");
	}
	strbuf_puts(&sb, "], \"top_owners\": ");
	if (!m.objects_walked) {
		strbuf_puts(&sb, "null");
	} else {
		strbuf_puts(&sb, "[");
		size_t n = top < 0 || (size_t)top > m.nowners ? m.nowners : (size_t)top;
		for (size_t i = 0; i < n; i++) {
			const struct memory_owner *w = &m.owners[i];
			strbuf_puts(&sb, i ? ", {" : "{");
			json_key(&sb, "type");
			json_string(&sb, w->ti->name);
			strbuf_printf(&sb, ", \"count\": %llu, \"bytes\": %llu, \"malloc_bytes\": %llu}",
				      (unsigned long long)w->count, (unsigned long long)w->bytes,
				      (unsigned long long)w->malloc_bytes);
		}
		strbuf_printf(&sb, "], \"owner_types\": %zu, \"truncated\": %s", m.nowners,
			      n < m.nowners ? "true" : "false");
	}
	strbuf_puts(&sb, ", \"objects\": ");
	if (m.objects_walked)
		strbuf_printf(&sb, "{\"count\": %llu, \"bytes\": %llu, \"outside_pymalloc\": %llu, "
			      "\"owned_buffers\": %llu}",
			      (unsigned long long)m.census.total_objects,
			      (unsigned long long)m.census.total_bytes,
			      (unsigned long long)m.heap.outside_objects,
			      (unsigned long long)m.owned_buffers);
	else
		strbuf_puts(&sb, "null");
	strbuf_printf(&sb, ", \"pymalloc_arenas\": %llu, \"malloc\": ",
		      (unsigned long long)m.pymalloc_arenas);
	if (m.malloc_walked) {
		const struct malloc_summary *s = &m.malloc;
		static const char *const names[CHUNK_STATES] = {
			"in_use", "cached", "free", "top", "mmapped",
		};
		strbuf_printf(&sb, "{\"heaps\": %zu, \"main_arena_known\": %s", s->nheaps,
			      s->main_arena_known ? "true" : "false");
		for (int st = 0; st < CHUNK_STATES; st++)
			strbuf_printf(&sb, ", \"%s_chunks\": %llu, \"%s_bytes\": %llu", names[st],
				      (unsigned long long)s->chunks[st], names[st],
				      (unsigned long long)s->bytes[st]);
		strbuf_puts(&sb, "}");
	} else {
		strbuf_puts(&sb, "null");
	}
	strbuf_puts(&sb, ", \"notes\": [");
	for (size_t i = 0; i < m.nnotes; i++) {
		if (i)
			strbuf_puts(&sb, ", ");
		json_string(&sb, m.notes[i]);
	}
	strbuf_puts(&sb, "]}");
	memory_account_release(&m);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_memory_json(struct pyx_program *prog,
				  const struct pyx_memory_options *opts, char **ret)
{
	return program_explain(prog, memory_answer(prog, opts, ret));
}
