/* fuzz_decoders.c - libFuzzer target over the engine's decoders.
 *
 * Each input is the memory of a made-up CPython process (fuzz_image.h):
 * a directory naming the version, _PyRuntime, the well-known objects and
 * the objects to ask about, then objects laid out as that version lays
 * them out.  A program is put together over it the way the unit tests do
 * (a memory target, the version's layout table, a module whose symbols
 * are pymalloc's statics), and every answer that reads objects is asked:
 * py-object of each root under several limits, py-stack with locals and
 * exceptions, py-triage, py-gc, py-census (tracked, permanent, all-heap),
 * py-referrers, py-path and the referrer index, refcheck, py-pools,
 * py-arenas and its map, py-malloc.  That covers objects of every kind,
 * dicts of every key layout per version, frames and their chains, the gc
 * lists, pymalloc's arenas and pools, and the referrer index.  A crash, a
 * sanitizer report, a leak, a hang or an allocation beyond libFuzzer's
 * limit is a finding.
 *
 * Seeds: tests/fuzz/make_seeds.c writes an image per layout table;
 * tests/fuzz/corpus/decoders keeps a few inputs found worth keeping. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_image.h"
#include "objects/object.h"
#include "pyxray.h"
#include "runtime/layout.h"
#include "target/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_symbol(const void *a, const void *b)
{
	const struct symbol_entry *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* PYXRAY_FUZZ_PRINT=1 prints every answer (run one input:
 * build-fuzz/fuzz_decoders FILE), to see what an image decodes to. */
static int print_answers = -1;

static void done(const char *what, struct pyx_error *err, char *json)
{
	if (err && (!pyx_error_message(err)[0] || strchr(pyx_error_message(err), '\n')))
		abort(); /* every error is one line */
	if (print_answers < 0)
		print_answers = getenv("PYXRAY_FUZZ_PRINT") != NULL;
	if (print_answers)
		printf("%s: %s\n", what, err ? pyx_error_message(err) : json ? json : "(nothing)");
	pyx_error_destroy(err);
	pyx_free(json);
}

#define ASK(call)                                        \
	do {                                             \
		char *json = NULL;                       \
		struct pyx_error *err = (call);          \
		done(#call, err, json);                  \
	} while (0)

static void ask(struct pyx_program *prog, const struct fuzz_directory *dir)
{
	uint64_t what = dir->ask;
	for (size_t i = 0; i < FUZZ_ROOTS; i++) {
		uint64_t r = dir->roots[i];
		if (!r)
			continue;
		struct pyx_repr_limits lim = {
			(int)(i % 5), (int)(i % 3) * 2, (int)(i % 4) * 3 };
		if (what & FUZZ_ASK_OBJECTS) {
			ASK(pyx_object_json(prog, r, &lim, &json));
			if (i % 4 == 0)
				ASK(pyx_object_repr(prog, r, NULL, &json));
			if (i % 7 == 2)
				ASK(pyx_code_json(prog, r, &json));
		}
		/* A referrer search of an object the gc does not track scans
		 * every reference: a few roots each. */
		if ((what & FUZZ_ASK_REFS) && i % 8 == 1)
			ASK(pyx_referrers_json(prog, r, &json));
		if ((what & FUZZ_ASK_REFS) && i % 8 == 6)
			ASK(pyx_path_json(prog, r, 6, &json));
		if ((what & FUZZ_ASK_PYMALLOC) && i % 6 == 1)
			ASK(pyx_malloc_json(prog, r, &json));
	}
	if (what & FUZZ_ASK_STACK) {
		ASK(pyx_stack_json(prog, 0, PYX_STACK_LOCALS | PYX_STACK_EXCEPTIONS, &json));
		ASK(pyx_triage_json(prog, NULL, &json));
	}
	if (what & FUZZ_ASK_GC) {
		struct pyx_census_options all = { .generation = 4, .top = 3, .sort_by_size = 1 };
		ASK(pyx_gc_json(prog, &json));
		ASK(pyx_census_json(prog, NULL, &json));
		ASK(pyx_census_json(prog, &all, &json));
	}
	if (what & FUZZ_ASK_REFS) {
		ASK(pyx_index_json(prog, &json));
		ASK(pyx_leaks_refcheck_json(prog, 3, &json));
	}
	if (what & FUZZ_ASK_PYMALLOC) {
		ASK(pyx_pools_json(prog, &json));
		ASK(pyx_arenas_json(prog, 2, &json));
		ASK(pyx_arenas_map_svg(prog, &json));
	}
	if (what & FUZZ_ASK_ALL_HEAP)
		ASK(pyx_census_all_heap_json(prog, NULL, &json));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < sizeof(struct fuzz_directory) || size > FUZZ_IMAGE_MAX)
		return 0;
	struct fuzz_directory dir;
	memcpy(&dir, data, sizeof(dir));
	if (dir.magic != FUZZ_IMAGE_MAGIC || dir.minor > 64)
		return 0;
	const struct pyx_layout *layout = layout_find((int)dir.minor, dir.debug & 1);
	if (!layout)
		return 0;

	struct pyx_program *prog = calloc(1, sizeof(*prog));
	struct pyx_modules *mods = calloc(1, sizeof(*mods));
	struct pyx_module *python = calloc(1, sizeof(*python));
	struct symbol_entry *syms = calloc(FUZZ_STATICS, sizeof(*syms));
	if (!prog || !mods || !python || !syms)
		abort();
	struct pyx_error *err = target_create_image(FUZZ_IMAGE_BASE, data, size, &prog->target);
	if (err)
		abort();
	prog->target->pid = 4242;
	/* The "executable": the directory's page, so the rest of the image
	 * counts as heap; its symbols are pymalloc's statics. */
	python->name = "fuzz-python";
	python->start = FUZZ_IMAGE_BASE;
	python->end = FUZZ_IMAGE_BASE + 4096;
	python->has_symtab = true;
	python->syms_loaded = true;
	for (size_t i = 0; i < FUZZ_STATICS; i++) {
		if (!dir.statics[i])
			continue;
		syms[python->nsyms].name = fuzz_static_names[i];
		syms[python->nsyms].addr = dir.statics[i];
		syms[python->nsyms].size = 8;
		python->nsyms++;
	}
	qsort(syms, python->nsyms, sizeof(*syms), cmp_symbol);
	python->syms = syms;
	mods->mods = python;
	mods->nmods = 1;
	prog->modules = mods;
	prog->python = python;
	prog->runtime = dir.runtime;
	prog->layout = *layout;
	prog->minor = layout->minor;
	prog->version_hex = 0x03000000u | ((uint32_t)layout->minor << 16) | 0xf0;
	prog->debug_build = layout->debug;
	prog->pthread_tid_offset = -1;
	prog->wk = dir.wk;

	ask(prog, &dir);

	/* modules_destroy frees the module's symbols and the modules. */
	pyx_program_destroy(prog);
	return 0;
}
