/* fuzz_image.h - the memory images fuzz_decoders reads.
 *
 * An input is the memory of a made-up CPython process, seen at
 * FUZZ_IMAGE_BASE.  It begins with a directory saying which CPython it
 * is (a layout table of src/runtime/layouts/), where its _PyRuntime and
 * well-known objects are, where pymalloc's static variables are (3.8 -
 * 3.11, named by symbol there), and which objects to ask about.  Everything
 * else is objects laid out with that version's layout: tests/fuzz/
 * make_seeds.c builds images with objects of every kind, and the fuzzer
 * changes their bytes, the directory included. */
#ifndef PYX_FUZZ_IMAGE_H
#define PYX_FUZZ_IMAGE_H

#include <stdint.h>

#include "runtime/program.h"

#define FUZZ_IMAGE_BASE 0x7f1000000000ull
#define FUZZ_IMAGE_MAX (1u << 20)
#define FUZZ_IMAGE_MAGIC 0x31474d495a465850ull /* "PXFZIMG1" */
#define FUZZ_ROOTS 32

/* pymalloc's statics up to 3.11, in this order. */
#define FUZZ_STATICS 6
static const char *const fuzz_static_names[FUZZ_STATICS] = {
	"arenas", "maxarenas", "narenas_currently_allocated",
	"ntimes_arena_allocated", "narenas_highwater", "usable_arenas",
};

/* Which answers an input asks for (all of them in the seeds): the fuzzer
 * finds faster inputs by turning the costly ones off. */
enum {
	FUZZ_ASK_OBJECTS = 1 << 0,   /* py-object, reprs, code objects */
	FUZZ_ASK_STACK = 1 << 1,     /* py-stack with locals, py-triage */
	FUZZ_ASK_GC = 1 << 2,        /* py-gc, py-census */
	FUZZ_ASK_REFS = 1 << 3,      /* py-referrers, py-path, the index, refcheck */
	FUZZ_ASK_PYMALLOC = 1 << 4,  /* py-pools, py-arenas, the map, py-malloc */
	FUZZ_ASK_ALL_HEAP = 1 << 5,  /* py-census --all-heap */
	FUZZ_ASK_ALL = (1 << 6) - 1,
};

struct fuzz_directory {
	uint64_t magic;
	uint64_t minor;                 /* 8 .. 13 */
	uint64_t debug;                 /* the Py_DEBUG table when there is one */
	uint64_t ask;                   /* FUZZ_ASK_* */
	uint64_t runtime;               /* the image's _PyRuntime */
	uint64_t statics[FUZZ_STATICS];
	uint64_t roots[FUZZ_ROOTS];     /* objects every query is asked about */
	struct well_known wk;
};

#endif
