/* program.h - a target together with its CPython runtime: symbols,
 * version, layout, and the addresses of well-known objects (internal). */
#ifndef PYX_PROGRAM_H
#define PYX_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "runtime/layout.h"
#include "runtime/modules.h"
#include "pyxray.h"
#include "target/target.h"

/* A cache that a layer above the runtime keeps per program (the type
 * facts of objects/typeinfo.c, the referrer index of heap/refindex.c).
 * The program drops it with the destroy function it was given when the
 * program is flushed or destroyed. */
struct program_cache {
	void *data;
	void (*destroy)(void *data);
};

enum program_cache_id {
	PROGRAM_CACHE_TYPES,
	PROGRAM_CACHE_REFS,
	PROGRAM_CACHE_NATIVE,  /* native/symbols.c: what each native pc is */
	PROGRAM_CACHE_COUNT
};

/* The value of a layout field: LV(prog, PyObject_ob_type). */
#define LV(prog, id) ((prog)->layout.v[PYX_L_##id])
#define HAS(prog, id) (LV(prog, id) != PYX_ABSENT)

/* Built-in objects found by symbol; 0 when absent. */
struct well_known {
	uint64_t type_type, object_type, long_type, bool_type, float_type,
		 complex_type, unicode_type, bytes_type, bytearray_type,
		 tuple_type, list_type, dict_type, set_type, frozenset_type,
		 function_type, code_type, module_type, cell_type, method_type,
		 frame_type, none_type, notimpl_type, ellipsis_type,
		 cfunction_type, gen_type, coro_type, async_gen_type, range_type, slice_type,
		 property_type, classmethod_type, staticmethod_type,
		 memberdescr_type, methoddescr_type, wrapperdescr_type,
		 getsetdescr_type, base_exception_type,
		 weakref_type, weakproxy_type, weakcallableproxy_type;
	/* Built-in methods of heap types (3.9+), method-wrappers, and
	 * classmethod descriptors (dict.fromkeys' in dict.__dict__). */
	uint64_t cmethod_type, methodwrapper_type, classmethoddescr_type;
	uint64_t none, true_, false_, ellipsis, notimplemented;
	uint64_t set_dummy;   /* the <dummy> key of deleted set entries */
};

#define TSTATE_CACHE_SIZE 16

struct tstate_cache_entry {
	int tid;
	uint64_t tstate;
};

struct pyx_program {
	struct pyx_target *target;
	struct pyx_modules *modules;
	struct pyx_module *python;  /* the module holding _PyRuntime */
	uint64_t runtime;           /* &_PyRuntime */
	uint32_t version_hex;
	int minor;
	bool debug_build;
	bool has_debug_offsets;
	/* Newer than every layout table: only what _Py_DebugOffsets covers
	 * is known (threads, frames, code, basic objects). */
	bool tables_missing;
	const char *newest_table;   /* "3.15": the table used as a base then */
	struct pyx_layout layout;   /* a copy: 3.13+ patches it */
	struct well_known wk;
	char **warnings;            /* program's own; target's are merged in */
	size_t nwarnings;
	int pthread_tid_offset;     /* offset of the tid in glibc's struct pthread, or -1 */
	bool pthread_tid_offset_known;
	char *python_version_string; /* "3.11.2" */
	struct program_cache caches[PROGRAM_CACHE_COUNT];
	/* Thread id to PyThreadState, for breakpoints that ask at every
	 * Python call; each use checks the entry still holds. */
	struct tstate_cache_entry tstate_cache[TSTATE_CACHE_SIZE];
};

struct pyx_error *program_add_warning(struct pyx_program *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void *program_cache(const struct pyx_program *prog,
				  enum program_cache_id id)
{
	return prog->caches[id].data;
}

/* Keep data as cache id (dropping what was there). */
void program_cache_set(struct pyx_program *prog, enum program_cache_id id,
		       void *data, void (*destroy)(void *data));

/* Reading helpers. */
static inline struct pyx_error *read_ptr(struct pyx_program *prog, uint64_t addr,
					 uint64_t *ret)
{
	return pyx_target_read(prog->target, addr, ret, 8);
}

struct pyx_error *read_i64(struct pyx_program *prog, uint64_t addr, int64_t *ret);
struct pyx_error *read_i32(struct pyx_program *prog, uint64_t addr, int32_t *ret);
struct pyx_error *read_u8(struct pyx_program *prog, uint64_t addr, uint8_t *ret);
struct pyx_error *read_u16(struct pyx_program *prog, uint64_t addr, uint16_t *ret);

/* ---- how the interpreter stores references and refcounts ---------------
 * 3.14 keeps frame slots (f_executable, f_funcobj, locals, the value stack)
 * as _PyStackRef: bit 0 marks a reference that does not own a count (and
 * the NULL reference is bits == 1); bits 0 and 1 both set mark an int
 * stored in the word itself (value >> 2), not an object.  3.15 debug
 * builds may tag a wrapped non-object pointer with bit 1. */
static inline uint64_t stackref_object(const struct pyx_program *prog, uint64_t bits)
{
	if (prog->minor < 14)
		return bits;
	if ((bits & 3) == 3)
		return 0;
	return bits & ~(uint64_t)3;
}

/* Is an interpreter frame with this owner a marker the eval loop pushed
 * when C called into Python, not a Python frame?  (3.12 and 3.13:
 * FRAME_OWNED_BY_CSTACK; 3.14: FRAME_OWNED_BY_INTERPRETER, and the
 * C-stack owner above it; 3.15: FRAME_OWNED_BY_INTERPRETER.) */
static inline bool frame_owner_is_entry(const struct pyx_program *prog, int owner)
{
	if (HAS(prog, FRAME_OWNED_BY_INTERPRETER))
		return owner >= LV(prog, FRAME_OWNED_BY_INTERPRETER);
	return HAS(prog, FRAME_OWNED_BY_CSTACK) && owner == LV(prog, FRAME_OWNED_BY_CSTACK);
}

/* The refcount Py_REFCNT() would return, from the object's first word:
 * 3.14 keeps a 32-bit count there, with static-object flags at bit 48
 * and up. */
static inline int64_t refcount_of(const struct pyx_program *prog, uint64_t word)
{
	if (LV(prog, PyObject_ob_refcnt_size) == 4)
		return (int64_t)(uint32_t)word;
	return (int64_t)word;
}

/* Immortal (3.12+): the low 32 bits of the count have their sign bit set
 * (_Py_IsImmortal on 64-bit builds). */
static inline bool refcount_is_immortal(const struct pyx_program *prog, int64_t refcnt)
{
	return prog->minor >= 12 && ((uint64_t)refcnt & 0x80000000u);
}

/* Fails with PYX_ERR_UNSUPPORTED_VERSION when the target is newer than
 * every layout table: what needs more than _Py_DebugOffsets covers (the
 * gc lists, the allocator, dict internals) says so instead of guessing.
 * what: the command, for the message ("py-gc"). */
struct pyx_error *program_require_tables(struct pyx_program *prog, const char *what);

/* The interpreters, in list order (main last as CPython keeps them). */
struct pyx_error *program_interpreters(struct pyx_program *prog,
				       uint64_t **ret, size_t *n);

/* What every answer's error adds: when a live process was running while
 * it was read, a broken list or object is likely its memory changing
 * under the reader, and the remedy is to pause it. */
struct pyx_error *program_explain(struct pyx_program *prog, struct pyx_error *err);

/* Why _PyRuntime has no (main) interpreter: Python not started, ended,
 * or the runtime's memory corrupt (what says so, at which address). */
struct pyx_error *program_not_initialized(struct pyx_program *prog);

/* The gc runtime state of an interpreter (3.9+), or of the runtime (3.8). */
uint64_t program_gc_state(struct pyx_program *prog, uint64_t interp);

/* The runtime's part of pyx_program_create (objects/sys.c): find
 * _PyRuntime, the version, the build and the layout.  Takes ownership of
 * target, also on failure. */
struct pyx_error *program_open(struct pyx_target *target,
			       const struct pyx_program_options *opts,
			       struct pyx_program **ret);

#endif
