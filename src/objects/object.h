/* object.h - decoding PyObjects from target memory (internal). */
#ifndef PYX_OBJECT_H
#define PYX_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/program.h"

/* Py_TPFLAGS_* that have kept their value in every supported version. */
#define TPF_HEAPTYPE (1ul << 9)
#define TPF_HAVE_GC (1ul << 14)
#define TPF_LONG_SUBCLASS (1ul << 24)
#define TPF_LIST_SUBCLASS (1ul << 25)
#define TPF_TUPLE_SUBCLASS (1ul << 26)
#define TPF_BYTES_SUBCLASS (1ul << 27)
#define TPF_UNICODE_SUBCLASS (1ul << 28)
#define TPF_DICT_SUBCLASS (1ul << 29)
#define TPF_BASE_EXC_SUBCLASS (1ul << 30)
#define TPF_TYPE_SUBCLASS (1ul << 31)

/* The header of an object that passed validation. */
struct object_head {
	uint64_t addr;
	int64_t refcnt;
	uint64_t type;
	uint64_t type_flags;
};

/* Check that addr holds something shaped like a PyObject: readable header,
 * a positive refcount, and an ob_type that is itself a type object.
 * Fails with PYX_ERR_INVALID_OBJECT (or PYX_ERR_FAULT) and a reason. */
struct pyx_error *object_head(struct pyx_program *prog, uint64_t addr,
			      struct object_head *ret);

/* Is addr a type object (its type has Py_TPFLAGS_TYPE_SUBCLASS)? */
bool object_is_type(struct pyx_program *prog, uint64_t addr);

/* Type names: tp_name as stored, and the name Python shows in reprs
 * ("module.Qualname", without "builtins."). */
struct pyx_error *type_tp_name(struct pyx_program *prog, uint64_t type, char **ret);
struct pyx_error *type_qualified_name(struct pyx_program *prog, uint64_t type,
				      char **ret);
struct pyx_error *type_flags(struct pyx_program *prog, uint64_t type, uint64_t *ret);
/* Is type a subtype of base (by tp_mro, bounded)? */
bool type_is_subtype(struct pyx_program *prog, uint64_t type, uint64_t base);

/* ---- str ---------------------------------------------------------------*/
/* A checked str header: where its characters are and how wide. */
struct str_view {
	uint64_t addr;
	uint64_t data;
	unsigned kind;     /* 1, 2 or 4 bytes per code point */
	size_t length;
};
struct pyx_error *str_view(struct pyx_program *prog, uint64_t addr, struct str_view *ret);
/* Code points [first, first + n) into out, read in small pieces. */
struct pyx_error *str_view_read(struct pyx_program *prog, const struct str_view *v,
				size_t first, size_t n, uint32_t *out);
/* Decode up to max code points of a str; *length gets its full length. */
struct pyx_error *str_read(struct pyx_program *prog, uint64_t addr, size_t max,
			   uint32_t **cps, size_t *n, size_t *length);
/* The str as UTF-8 (at most max code points; lone surrogates become U+FFFD). */
struct pyx_error *object_str_utf8(struct pyx_program *prog, uint64_t addr,
				  size_t max, char **ret);
/* Does the str at addr equal the ASCII/UTF-8 string s? */
struct pyx_error *str_equals(struct pyx_program *prog, uint64_t addr,
			     const char *s, bool *ret);

/* ---- int, float, bytes, tuple, list -----------------------------------*/
/* The value of an int that fits in int64; *fits is false otherwise. */
struct pyx_error *long_value(struct pyx_program *prog, uint64_t addr,
			     int64_t *ret, bool *fits);
/* The decimal text of an int of any size (bounded by max_digits). */
struct pyx_error *long_decimal(struct pyx_program *prog, uint64_t addr,
			       size_t max_digits, char **ret);
/* The number of digits (abs) and the sign of an int. */
struct pyx_error *long_digits(struct pyx_program *prog, uint64_t addr,
			      uint64_t *ndigits, int *sign);
struct pyx_error *float_value(struct pyx_program *prog, uint64_t addr, double *ret);
struct pyx_error *var_size(struct pyx_program *prog, uint64_t addr, int64_t *ret);
/* Items of a tuple or list (at most max; *total gets the full count). */
struct pyx_error *sequence_items(struct pyx_program *prog, uint64_t addr,
				 bool is_list, size_t max, uint64_t **items,
				 size_t *n, size_t *total);
/* The same from item first on. */
struct pyx_error *sequence_items_at(struct pyx_program *prog, uint64_t addr,
				    bool is_list, size_t first, size_t max,
				    uint64_t **items, size_t *n, size_t *total);
struct pyx_error *bytes_read(struct pyx_program *prog, uint64_t addr, size_t max,
			     uint8_t **data, size_t *n, size_t *length);

/* ---- dict, set, attributes ---------------------------------------------*/
/* Called per entry; return non-zero to stop (dict_iterate returns NULL). */
typedef int (*dict_visit_fn)(void *arg, uint64_t key, uint64_t value);
struct pyx_error *dict_iterate(struct pyx_program *prog, uint64_t dict,
			       dict_visit_fn visit, void *arg);
struct pyx_error *dict_used(struct pyx_program *prog, uint64_t dict, int64_t *ret);
/* Look up a str key; fails with PYX_ERR_NOT_FOUND if absent. */
struct pyx_error *dict_lookup_str(struct pyx_program *prog, uint64_t dict,
				  const char *key, uint64_t *ret);
typedef int (*set_visit_fn)(void *arg, uint64_t key);
struct pyx_error *set_iterate(struct pyx_program *prog, uint64_t set,
			      set_visit_fn visit, void *arg);
struct pyx_error *set_used(struct pyx_program *prog, uint64_t set, int64_t *ret);

/* An instance's attributes (its __dict__, managed dict or inline values),
 * as (name str, value) pairs. */
struct pyx_error *instance_attrs_iterate(struct pyx_program *prog, uint64_t obj,
					 const struct object_head *head,
					 dict_visit_fn visit, void *arg);
/* One attribute by name from the instance dict; PYX_ERR_NOT_FOUND if absent. */
struct pyx_error *instance_attr(struct pyx_program *prog, uint64_t obj,
				const char *name, uint64_t *ret);
/* The dict of a type (tp_dict), 0 for static types that keep it elsewhere. */
struct pyx_error *type_dict(struct pyx_program *prog, uint64_t type, uint64_t *ret);

/* ---- size -------------------------------------------------------------*/
/* No object is bigger than this (16 TiB): a size computed from target
 * memory beyond it is corruption, and stopping there keeps every size
 * computation inside int64_t. */
#define MAX_OBJECT_BYTES (1ll << 44)

/* tp_basicsize and tp_itemsize of a type, checked to be sizes a type can
 * have (a corrupted type fails with PYX_ERR_INVALID_OBJECT). */
struct pyx_error *type_sizes(struct pyx_program *prog, uint64_t type,
			     int64_t *basic, int64_t *item);
/* base + count * item for the object at obj, or PYX_ERR_INVALID_OBJECT
 * naming what (a list's "allocated", ...) when count is negative or the
 * total is beyond MAX_OBJECT_BYTES. */
struct pyx_error *object_items_size(uint64_t obj, const char *what, int64_t base,
				    int64_t count, int64_t item, int64_t *ret);

/* sys.getsizeof() of the object, as CPython computes it for the built-in
 * types; tp_basicsize + items + gc header for the rest. */
struct pyx_error *object_size(struct pyx_program *prog, const struct object_head *h,
			      uint64_t *ret);

/* ---- the sys module ----------------------------------------------------*/
/* A value from sys: look up name in the main interpreter's sys dict. */
struct pyx_error *program_sys_attr(struct pyx_program *prog, const char *name,
				   uint64_t *ret);

/* ---- frame objects and generators -------------------------------------*/
/* The code object an interpreter frame (3.11+) runs: f_code, f_executable
 * (a _PyStackRef from 3.14); 0 when it runs none. */
struct pyx_error *iframe_code(struct pyx_program *prog, uint64_t iframe, uint64_t *ret);
/* How many slots of its localsplus array an interpreter frame uses:
 * locals, cells and the value stack (stacktop up to 3.13, stackpointer
 * from 3.14); -1 when the frame does not record it. */
struct pyx_error *iframe_stack_depth(struct pyx_program *prog, uint64_t iframe, int64_t *ret);

/* The code object and current line of a frame object (PyFrameObject),
 * as frame.f_code and frame.f_lineno would say. */
struct pyx_error *frame_object_location(struct pyx_program *prog, uint64_t frame,
					uint64_t *code, int *line);

/* The code object of a generator, coroutine or async generator. */
struct pyx_error *generator_code(struct pyx_program *prog, uint64_t gen, uint64_t *code);

#endif
