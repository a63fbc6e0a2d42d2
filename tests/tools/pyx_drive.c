/* pyx_drive.c - run answers through libpyxray's public API, over and
 * over, for the robustness tests (tests/pyxray.base/robust.exp).
 *
 *   pyx-drive (--pid PID | --core CORE [--exe EXE]) [--rounds N]
 *             [--reopen K] [--until-error] [--json] QUERY...
 *
 * QUERY is one of
 *   stack  locals  triage  gc  census  allheap  info  index  pools  arenas
 *   map  refcheck  snapshot=FILE  diff=FILE
 *   referrers[=ADDR] path[=ADDR] malloc[=ADDR] object[=ADDR[,DEPTH,ITEMS,STRING]]
 *   (without ADDR: a sample from the last census)
 *
 * Each answer prints one line: "QUERY: ok N bytes" (or, with --json, the
 * document itself), or "QUERY: error CODE: MESSAGE".  Errors are answers
 * too: a process that runs while it is read changes under the reader, and
 * a damaged core is damaged; what must never happen is a crash, a
 * sanitizer report or a leak, which is why the tests build this with
 * ASan/UBSan.  The program is flushed before every round and opened anew
 * every K rounds (default 10); --until-error ends the run after the first
 * round with an error.  It never stops the process; the last line is
 * "rounds R, answers A, errors E".
 *
 * Only include/pyxray.h is used: this is a front door, like the CLI. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyxray.h"

struct options {
	int pid;
	const char *core, *exe;
	int rounds, reopen;
	bool json, until_error;
	char **queries;
	int nqueries;
};

static void usage(void)
{
	fprintf(stderr, "usage: pyx-drive (--pid PID | --core CORE [--exe EXE]) "
		"[--rounds N] [--reopen K] [--until-error] [--json] QUERY...\n");
	exit(2);
}

static int parse(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->rounds = 1;
	o->reopen = 10;
	o->queries = calloc((size_t)argc, sizeof(*o->queries));
	if (!o->queries)
		return -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (!strcmp(a, "--pid") && more)
			o->pid = atoi(argv[++i]);
		else if (!strcmp(a, "--core") && more)
			o->core = argv[++i];
		else if (!strcmp(a, "--exe") && more)
			o->exe = argv[++i];
		else if (!strcmp(a, "--rounds") && more)
			o->rounds = atoi(argv[++i]);
		else if (!strcmp(a, "--reopen") && more)
			o->reopen = atoi(argv[++i]);
		else if (!strcmp(a, "--json"))
			o->json = true;
		else if (!strcmp(a, "--until-error"))
			o->until_error = true;
		else if (a[0] == '-')
			usage();
		else
			o->queries[o->nqueries++] = argv[i];
	}
	if (!o->pid == !o->core || !o->nqueries || o->rounds < 1 || o->reopen < 1)
		usage();
	return 0;
}

static struct pyx_error *open_program(const struct options *o, struct pyx_program **ret)
{
	struct pyx_target *target;
	struct pyx_core_options co = { .executable = o->exe };
	struct pyx_error *err = o->pid ? pyx_target_create_pid(o->pid, &target)
				       : pyx_target_create_core(o->core, &co, &target);
	if (err)
		return err;
	struct pyx_program_options po = { .executable = o->exe };
	return pyx_program_create(target, &po, ret);
}

/* The first sample address of a census answer, or 0. */
static uint64_t census_sample(const char *json)
{
	const char *s = json ? strstr(json, "\"sample\": [\"") : NULL;
	return s ? strtoull(s + strlen("\"sample\": [\""), NULL, 16) : 0;
}

struct state {
	uint64_t sample;
	long answers, errors;
};

static struct pyx_error *run_query(struct pyx_program *prog, const char *q, struct state *st,
				   char **json)
{
	const char *eq = strchr(q, '=');
	size_t name_len = eq ? (size_t)(eq - q) : strlen(q);
	uint64_t addr = eq ? strtoull(eq + 1, NULL, 0) : 0;
#define IS(name) (name_len == strlen(name) && !strncmp(q, name, name_len))
	if (IS("stack"))
		return pyx_stack_json(prog, 0, 0, json);
	if (IS("locals"))
		return pyx_stack_json(prog, 0, PYX_STACK_LOCALS | PYX_STACK_EXCEPTIONS, json);
	if (IS("triage"))
		return pyx_triage_json(prog, NULL, json);
	if (IS("gc"))
		return pyx_gc_json(prog, json);
	if (IS("census")) {
		struct pyx_error *err = pyx_census_json(prog, NULL, json);
		if (!err)
			st->sample = census_sample(*json);
		return err;
	}
	if (IS("allheap"))
		return pyx_census_all_heap_json(prog, NULL, json);
	if (IS("index"))
		return pyx_index_json(prog, json);
	if (IS("map"))
		return pyx_arenas_map_svg(prog, json);
	if (IS("snapshot") && eq)
		return pyx_leaks_snapshot(prog, eq + 1, json);
	if (IS("diff") && eq)
		return pyx_leaks_diff_json(prog, eq + 1, 10, json);
	if (!eq && (IS("referrers") || IS("path") || IS("malloc") || IS("object"))) {
		addr = st->sample;
		if (!addr) {
			*json = NULL; /* no census sample yet: nothing to ask */
			return NULL;
		}
	}
	if (IS("info"))
		return pyx_info_json(prog, json);
	if (IS("pools"))
		return pyx_pools_json(prog, json);
	if (IS("arenas"))
		return pyx_arenas_json(prog, 0, json);
	if (IS("refcheck"))
		return pyx_leaks_refcheck_json(prog, 5, json);
	if (IS("referrers"))
		return pyx_referrers_json(prog, addr, json);
	if (IS("path"))
		return pyx_path_json(prog, addr, 0, json);
	if (IS("malloc"))
		return pyx_malloc_json(prog, addr, json);
	if (IS("object")) {
		struct pyx_repr_limits lim = { 0 };
		const char *c = strchr(eq ? eq : q, ',');
		if (c)
			sscanf(c, ",%d,%d,%d", &lim.max_depth, &lim.max_items, &lim.max_string);
		return pyx_object_json(prog, addr, &lim, json);
	}
#undef IS
	fprintf(stderr, "pyx-drive: unknown query '%s'\n", q);
	exit(2);
}

int main(int argc, char **argv)
{
	struct options o;
	if (parse(argc, argv, &o))
		return 1;
	struct pyx_program *prog = NULL;
	struct state st = { 0 };
	int status = 0, round;
	for (round = 0; round < o.rounds; round++) {
		long errors_before = st.errors;
		if (prog && round % o.reopen == 0) {
			pyx_program_destroy(prog);
			prog = NULL;
		}
		if (!prog) {
			struct pyx_error *err = open_program(&o, &prog);
			if (err) {
				printf("open: error %s: %s\n",
				       pyx_error_code_name(pyx_error_code(err)),
				       pyx_error_message(err));
				pyx_error_destroy(err);
				prog = NULL;
				st.errors++;
				if (round == 0) {
					status = 1;
					break;
				}
				continue;
			}
			if (round == 0)
				for (size_t i = 0; i < pyx_program_num_warnings(prog); i++)
					printf("warning: %s\n", pyx_program_warning(prog, i));
		} else {
			pyx_program_flush(prog);
		}
		for (int k = 0; k < o.nqueries; k++) {
			char *json = NULL;
			struct pyx_error *err = run_query(prog, o.queries[k], &st, &json);
			st.answers++;
			if (err) {
				st.errors++;
				printf("%s: error %s: %s\n", o.queries[k],
				       pyx_error_code_name(pyx_error_code(err)),
				       pyx_error_message(err));
				pyx_error_destroy(err);
			} else if (!json) {
				printf("%s: skipped (no address to ask about)\n", o.queries[k]);
			} else if (o.json) {
				printf("%s\n", json);
			} else {
				printf("%s: ok %zu bytes\n", o.queries[k], json ? strlen(json) : 0);
			}
			pyx_free(json);
		}
		fflush(stdout);
		if (o.until_error && st.errors > errors_before) {
			round++;
			break;
		}
	}
	pyx_program_destroy(prog);
	free(o.queries);
	printf("rounds %d, answers %ld, errors %ld\n", round, st.answers, st.errors);
	return status;
}
