/* pyxray - the command-line front door: the engine without gdb, for
 * scripts and core triage in CI.  Prints JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyxray.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pyxray COMMAND (--pid PID | --core CORE [--exe EXECUTABLE]) [options]\n"
		"\n"
		"commands:\n"
		"  stack [--locals] [--thread TID] [--native]\n"
		"                                     every thread's Python stack (and C frames)\n"
		"  triage                             what killed the process: signal, verdict,\n"
		"                                     every thread's Python and C frames\n"
		"  object ADDRESS [--depth N] [--items N] [--string N]\n"
		"                                     type, refcount, size, gc state, repr\n"
		"  info                               version, layout, debug info, warnings\n"
		"  pools                              pymalloc's size classes, as sys._debugmallocstats()\n"
		"  arenas [--top K] [--map FILE.svg]  every pymalloc arena; the emptiest first; a map\n"
		"  malloc ADDRESS                     the arena, pool and block of an address\n"
		"  gc                                 the collector's state per generation\n"
		"  census [--gen N] [--top K] [--sort count|size] [--type NAME] [--all-heap]\n"
		"                                     gc-tracked (or, --all-heap, all) objects by type\n"
		"  memory [--top K] [--no-objects]    the process's memory by kind; the types\n"
		"                                     owning the most\n"
		"  referrers ADDRESS                  who refers to an object\n"
		"  path ADDRESS [--max-depth N] [--dot FILE]\n"
		"                                     the shortest chain from a root\n"
		"  leaks snapshot FILE | leaks diff FILE | leaks refcheck [--top K]\n"
		"                                     growth since a snapshot; refcount anomalies\n"
		"\n"
		"options:\n"
		"  --pid PID            a live process (it should be stopped)\n"
		"  --core CORE          a core file\n"
		"  --exe EXECUTABLE     the executable, if the core's path is wrong\n"
		"  --debuginfo PATH     where to find separate debug info (libdwfl syntax)\n"
		"  --sysroot DIR        the core's files are under DIR (another machine's,\n"
		"                       a container's), like gdb's set sysroot\n"
		"  --lib-search-path DIR[:DIR...]\n"
		"                       also look for the core's files there by name\n"
		"\n"
		"Output is JSON on stdout; warnings go to stderr.  Exit status: 0 on\n"
		"success, 1 on an error (printed as one line), 2 on bad usage.\n");
}

static int fail(struct pyx_error *err)
{
	fprintf(stderr, "pyxray: %s\n", pyx_error_message(err));
	pyx_error_destroy(err);
	return 1;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*ret = v;
	return 0;
}

/* arenas --map FILE: write the SVG picture, or say why not and exit 1. */
static void write_map(struct pyx_program *prog, const char *map)
{
	char *svg = NULL;
	struct pyx_error *err = pyx_arenas_map_svg(prog, &svg);
	if (err) {
		pyx_program_destroy(prog);
		exit(fail(err));
	}
	FILE *f = fopen(map, "w");
	bool ok = f && fputs(svg, f) >= 0;
	if (f && fclose(f) != 0)
		ok = false;
	int errnum = errno;
	pyx_free(svg);
	if (!ok) {
		fprintf(stderr, "pyxray: cannot write %s: %s\n", map, strerror(errnum));
		pyx_program_destroy(prog);
		exit(1);
	}
}

static struct pyx_error *arenas(struct pyx_program *prog, const char *map, int top,
			       char **json)
{
	if (map)
		write_map(prog, map);
	return pyx_arenas_json(prog, top > 0 ? (unsigned)top : 0, json);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *command = argv[1];
	if (!strcmp(command, "-h") || !strcmp(command, "--help")) {
		usage(stdout);
		return 0;
	}
	static const struct option options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "core", required_argument, NULL, 'c' },
		{ "exe", required_argument, NULL, 'e' },
		{ "debuginfo", required_argument, NULL, 'd' },
		{ "sysroot", required_argument, NULL, 'R' },
		{ "lib-search-path", required_argument, NULL, 'L' },
		{ "locals", no_argument, NULL, 'l' },
		{ "thread", required_argument, NULL, 't' },
		{ "depth", required_argument, NULL, 'D' },
		{ "items", required_argument, NULL, 'I' },
		{ "string", required_argument, NULL, 'S' },
		{ "map", required_argument, NULL, 'M' },
		{ "gen", required_argument, NULL, 'g' },
		{ "top", required_argument, NULL, 'k' },
		{ "sort", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 'T' },
		{ "max-depth", required_argument, NULL, 'm' },
		{ "dot", required_argument, NULL, 'o' },
		{ "all-heap", no_argument, NULL, 'A' },
		{ "native", no_argument, NULL, 'N' },
		{ "no-objects", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int pid = 0;
	const char *core = NULL, *exe = NULL, *debuginfo = NULL;
	const char *sysroot = NULL, *lib_search_path = NULL;
	unsigned flags = 0;
	uint64_t thread = 0;
	struct pyx_repr_limits limits = { 0 };
	const char *map = NULL;
	struct pyx_census_options census = { .generation = -1 };
	int max_depth = 0;
	bool all_heap = false, native = false, no_objects = false;
	const char *dot = NULL;
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'p': pid = atoi(optarg); break;
		case 'c': core = optarg; break;
		case 'e': exe = optarg; break;
		case 'd': debuginfo = optarg; break;
		case 'R': sysroot = optarg; break;
		case 'L': lib_search_path = optarg; break;
		case 'l': flags |= PYX_STACK_LOCALS; break;
		case 't':
			if (parse_u64(optarg, &thread)) {
				fprintf(stderr, "pyxray: bad thread id '%s'\n", optarg);
				return 2;
			}
			break;
		case 'D': limits.max_depth = atoi(optarg); break;
		case 'I': limits.max_items = atoi(optarg); break;
		case 'S': limits.max_string = atoi(optarg); break;
		case 'M': map = optarg; break;
		case 'g': census.generation = atoi(optarg); break;
		case 'k': census.top = atoi(optarg); break;
		case 's':
			if (strcmp(optarg, "count") && strcmp(optarg, "size")) {
				fprintf(stderr, "pyxray: --sort takes count or size\n");
				return 2;
			}
			census.sort_by_size = !strcmp(optarg, "size");
			break;
		case 'T': census.type = optarg; break;
		case 'm': max_depth = atoi(optarg); break;
		case 'o': dot = optarg; break;
		case 'A': all_heap = true; break;
		case 'N': native = true; break;
		case 'O': no_objects = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	uint64_t address = 0;
	if (!strcmp(command, "malloc") &&
	    (optind >= argc || parse_u64(argv[optind], &address))) {
		fprintf(stderr, "pyxray: malloc needs an address (0x...)\n");
		return 2;
	}
	const char *leaks = NULL, *file = NULL;
	if (!strcmp(command, "object") || !strcmp(command, "referrers") ||
	    !strcmp(command, "path")) {
		if (optind >= argc || parse_u64(argv[optind], &address)) {
			fprintf(stderr, "pyxray: %s needs an address (0x...)\n", command);
			return 2;
		}
	} else if (!strcmp(command, "leaks")) {
		leaks = optind < argc ? argv[optind] : "";
		file = optind + 1 < argc ? argv[optind + 1] : NULL;
		if (strcmp(leaks, "refcheck") && (strcmp(leaks, "snapshot") && strcmp(leaks, "diff"))) {
			fprintf(stderr, "pyxray: leaks takes snapshot FILE, diff FILE or refcheck\n");
			return 2;
		}
		if (strcmp(leaks, "refcheck") && !file) {
			fprintf(stderr, "pyxray: leaks %s needs a FILE\n", leaks);
			return 2;
		}
	} else if (strcmp(command, "stack") && strcmp(command, "info") &&
		   strcmp(command, "triage") &&
		   strcmp(command, "pools") && strcmp(command, "arenas") &&
		   strcmp(command, "malloc") &&
		   strcmp(command, "gc") && strcmp(command, "census") &&
		   strcmp(command, "memory")) {
		fprintf(stderr, "pyxray: unknown command '%s'\n", command);
		usage(stderr);
		return 2;
	}
	if (!pid == !core) {
		fprintf(stderr, "pyxray: give exactly one of --pid and --core\n");
		return 2;
	}
	struct pyx_target *target;
	struct pyx_core_options core_opts = { .executable = exe, .sysroot = sysroot,
					      .lib_search_path = lib_search_path };
	struct pyx_error *err = pid ? pyx_target_create_pid(pid, &target)
				    : pyx_target_create_core(core, &core_opts, &target);
	if (err)
		return fail(err);
	struct pyx_program_options opts = { .executable = exe, .debuginfo_path = debuginfo };
	struct pyx_program *prog;
	err = pyx_program_create(target, &opts, &prog);
	if (err)
		return fail(err);
	for (size_t i = 0; i < pyx_program_num_warnings(prog); i++)
		fprintf(stderr, "pyxray: warning: %s\n", pyx_program_warning(prog, i));
	char *json = NULL;
	struct pyx_native_stacks *stacks = NULL;
	if (native || !strcmp(command, "triage")) {
		/* Without C frames the answer is still worth having. */
		err = pyx_native_unwind(prog, &stacks);
		if (err) {
			fprintf(stderr, "pyxray: warning: no native frames: %s\n",
				pyx_error_message(err));
			pyx_error_destroy(err);
			err = NULL;
		}
	}
	if (!strcmp(command, "stack") && native)
		err = pyx_stack_native_json(prog, thread, flags, stacks, &json);
	else if (!strcmp(command, "stack"))
		err = pyx_stack_json(prog, thread, flags, &json);
	else if (!strcmp(command, "triage"))
		err = pyx_triage_json(prog, stacks, &json);
	else if (!strcmp(command, "object"))
		err = pyx_object_json(prog, address, &limits, &json);
	else if (!strcmp(command, "pools"))
		err = pyx_pools_json(prog, &json);
	else if (!strcmp(command, "arenas"))
		err = arenas(prog, map, census.top, &json);
	else if (!strcmp(command, "malloc"))
		err = pyx_malloc_json(prog, address, &json);
	else if (!strcmp(command, "gc"))
		err = pyx_gc_json(prog, &json);
	else if (!strcmp(command, "census") && all_heap)
		err = pyx_census_all_heap_json(prog, &census, &json);
	else if (!strcmp(command, "census"))
		err = pyx_census_json(prog, &census, &json);
	else if (!strcmp(command, "memory")) {
		struct pyx_memory_options mo = { .top = census.top, .no_objects = no_objects };
		err = pyx_memory_json(prog, &mo, &json);
	} else if (!strcmp(command, "referrers"))
		err = pyx_referrers_json(prog, address, &json);
	else if (!strcmp(command, "path") && dot)
		err = pyx_path_dot(prog, address, max_depth, 0, dot);
	else if (!strcmp(command, "path"))
		err = pyx_path_json(prog, address, max_depth, &json);
	else if (leaks && !strcmp(leaks, "snapshot"))
		err = pyx_leaks_snapshot(prog, file, &json);
	else if (leaks && !strcmp(leaks, "diff"))
		err = pyx_leaks_diff_json(prog, file, census.top, &json);
	else if (leaks)
		err = pyx_leaks_refcheck_json(prog, census.top, &json);
	else
		err = pyx_info_json(prog, &json);
	pyx_native_stacks_destroy(stacks);
	pyx_program_destroy(prog);
	if (err)
		return fail(err);
	if (json)
		puts(json);
	pyx_free(json);
	return 0;
}
