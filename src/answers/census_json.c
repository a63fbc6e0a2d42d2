/* census_json.c - py-census's answer. */
#include <string.h>

#include "heap/census.h"
#include "util/strbuf.h"

unsigned census_gen_mask(int generation)
{
	if (generation >= 0 && generation <= 3)
		return 1u << generation;
	if (generation == 4)
		return GEN_MASK_ALL;
	return GEN_MASK_COLLECTABLE;
}

static bool type_matches(const char *name, const char *want)
{
	if (!want || !*want)
		return true;
	if (strcmp(name, want) == 0)
		return true;
	const char *dot = strrchr(name, '.');
	return dot && strcmp(dot + 1, want) == 0;
}

void census_types_json(const struct census *c, const struct pyx_census_options *o,
		       struct strbuf *sb)
{
	int shown = 0;
	bool cut = false;
	for (size_t i = 0; i < c->n; i++) {
		const struct census_entry *e = &c->v[i];
		if (!type_matches(e->ti->name, o->type))
			continue;
		if (o->top > 0 && shown == o->top) {
			cut = true;
			break;
		}
		strbuf_puts(sb, shown ? ", {" : "{");
		json_key(sb, "type");
		json_string(sb, e->ti->name);
		strbuf_printf(sb, ", \"count\": %llu, \"bytes\": %llu, \"sample\": [",
			      (unsigned long long)e->count, (unsigned long long)e->bytes);
		for (uint64_t k = 0; k < e->count && k < CENSUS_SAMPLES; k++) {
			if (k)
				strbuf_puts(sb, ", ");
			json_hex(sb, e->sample[k]);
		}
		strbuf_puts(sb, "]}");
		shown++;
	}
	strbuf_printf(sb, "], \"truncated\": %s, \"limit\": {\"top\": ", cut ? "true" : "false");
	if (o->top > 0)
		strbuf_printf(sb, "%d}", o->top);
	else
		strbuf_puts(sb, "null}");
}

static struct pyx_error *census_json_answer(struct pyx_program *prog,
					    const struct pyx_census_options *opts,
					    char **ret)
{
	struct pyx_census_options o = { .generation = -1 };
	if (opts)
		o = *opts;
	if (o.generation < -1 || o.generation > 4)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
			"no generation %d (0, 1, 2, or 3 for the permanent one)", o.generation);
	struct census c;
	PYX_TRY(census_take(prog, census_gen_mask(o.generation), false, &c));
	census_sort(&c, o.sort_by_size);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"total_objects\": %llu, \"total_bytes\": %llu, "
		      "\"generation\": ", (unsigned long long)c.total_objects,
		      (unsigned long long)c.total_bytes);
	if (o.generation < 0)
		strbuf_puts(&sb, "null");
	else
		strbuf_printf(&sb, "%d", o.generation);
	strbuf_printf(&sb, ", \"types_total\": %zu, \"unreadable_objects\": %llu, \"types\": [",
		      c.n, (unsigned long long)c.bad_objects);
	census_types_json(&c, &o, &sb);
	strbuf_puts(&sb, "}");
	census_release(&c);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_census_json(struct pyx_program *prog,
				  const struct pyx_census_options *opts, char **ret)
{
	return program_explain(prog, census_json_answer(prog, opts, ret));
}
