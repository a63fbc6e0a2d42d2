/* gc_json.c - py-gc's answer: the collector's state, per generation. */
#include "heap/heap.h"
#include "util/strbuf.h"

static struct pyx_error *gc_json_answer(struct pyx_program *prog, char **ret)
{
	uint64_t main_interp;
	PYX_TRY(read_ptr(prog, prog->runtime + LV(prog, _PyRuntimeState_interpreters_main),
			 &main_interp));
	if (!main_interp)
		return program_not_initialized(prog);
	struct gc_state_info st;
	PYX_TRY(gc_state_read(prog, main_interp, true, &st));
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"enabled\": %s, \"collecting\": %s, \"generations\": [",
		      st.enabled ? "true" : "false", st.collecting ? "true" : "false");
	for (int g = 0; g < st.ngenerations; g++) {
		const struct gc_generation_info *gi = &st.gen[g];
		strbuf_printf(&sb, "%s{\"index\": %d, \"objects\": %lld, \"count\": %lld, "
			      "\"threshold\": %lld, \"collections\": %lld, \"collected\": %lld, "
			      "\"uncollectable\": %lld, \"head\": \"0x%llx\"}", g ? ", " : "", g,
			      (long long)gi->objects, (long long)gi->count,
			      (long long)gi->threshold, (long long)gi->collections,
			      (long long)gi->collected, (long long)gi->uncollectable,
			      (unsigned long long)gi->head);
	}
	strbuf_printf(&sb, "], \"permanent\": {\"objects\": %lld, \"head\": \"0x%llx\"}, "
		      "\"state\": \"0x%llx\"", (long long)st.gen[GEN_PERMANENT].objects,
		      (unsigned long long)st.gen[GEN_PERMANENT].head,
		      (unsigned long long)st.state);
	if (st.long_lived_known)
		strbuf_printf(&sb, ", \"long_lived_total\": %lld, \"long_lived_pending\": %lld",
			      (long long)st.long_lived_total, (long long)st.long_lived_pending);
	/* 3.14.0 - 3.14.4: an incremental collector, whose young list and
	 * two old spaces sit where the generations do. */
	bool incremental = prog->minor == 14 && ((prog->version_hex >> 8) & 0xff) <= 4 &&
			   HAS(prog, _gc_runtime_state_visited_space);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "collector");
	json_string(&sb, incremental ? "incremental" : "generational");
	if (incremental) {
		int32_t visited = 0;
		struct pyx_error *err = read_i32(prog, st.state +
			LV(prog, _gc_runtime_state_visited_space), &visited);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "visited_space");
		if (err || visited < 0 || visited > 1)
			strbuf_puts(&sb, "null");
		else
			strbuf_printf(&sb, "%d", visited);
		pyx_error_destroy(err);
	}
	strbuf_puts(&sb, ", \"warnings\": [");
	if (st.oldest_too_long) {
		int oldest = st.ngenerations - 1;
		strbuf_printf(&sb, "\"generation %d's list holds %lld objects, more than the "
			      "collector moved there (long_lived_total %lld + long_lived_pending "
			      "%lld): its list may be corrupt (or gc.unfreeze() ran since the "
			      "last full collection)\"", oldest, (long long)st.gen[oldest].objects,
			      (long long)st.long_lived_total, (long long)st.long_lived_pending);
	}
	strbuf_puts(&sb, "]}");
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_gc_json(struct pyx_program *prog, char **ret)
{
	return program_explain(prog, gc_json_answer(prog, ret));
}
