/* owned.h - the memory an object owns outside its own block: list item
 * arrays, dict keys and values, set tables, the buffers of bytearray,
 * array.array and numpy.ndarray, deque blocks (internal). */
#ifndef PYX_OWNED_H
#define PYX_OWNED_H

#include "objects/typeinfo.h"

/* collections.deque (Modules/_collectionsmodule.c, the same in 3.8 -
 * 3.15): after PyVarObject, leftblock, rightblock, leftindex; blocks of
 * {leftlink, data[64], rightlink}. */
#define DEQUE_LEFTBLOCK 24
#define DEQUE_LEFTINDEX 40
#define DEQUE_BLOCKLEN 64
#define DEQUE_BLOCK_SIZE ((DEQUE_BLOCKLEN + 2) * 8)

/* numpy.ndarray: numpy's public struct PyArrayObject_fields
 * (numpy/ndarraytypes.h), the same in numpy 1.x and 2.x. */
#define NDARRAY_DATA 16
#define NDARRAY_ND 24
#define NDARRAY_DIMENSIONS 32
#define NDARRAY_BASE 48
#define NDARRAY_DESCR 56
#define NDARRAY_FLAGS 64
#define NPY_ARRAY_OWNDATA 0x0004
#define NPY_MAXDIMS_ANY 64

struct ndarray_info {
	uint64_t data;           /* the elements */
	uint64_t dims;           /* dimensions, then strides: one allocation */
	int32_t nd;
	int32_t flags;
	int64_t itemsize;
	uint64_t nbytes;         /* the elements' bytes (ndarray.nbytes) */
	bool owns_data;          /* NPY_ARRAY_OWNDATA: freed with the array */
};

struct pyx_error *ndarray_read(struct pyx_program *prog, uint64_t obj,
			       const struct type_info *ti, struct ndarray_info *ret);

/* array.array (Modules/arraymodule.c, 3.8 - 3.15): after PyVarObject,
 * ob_item, allocated, ob_descr (whose itemsize is an int at 4). */
struct pyx_error *array_read(struct pyx_program *prog, uint64_t obj, uint64_t *items,
			     int64_t *allocated, int64_t *itemsize);

/* deque.__sizeof__'s count of blocks. */
struct pyx_error *deque_blocks(struct pyx_program *prog, uint64_t obj, int64_t *ret);

/* Every buffer obj owns, as the pointer its allocator returned (for a
 * buffer that is an object, like 3.15's bytearray storage: that object's
 * address).  Non-zero from visit stops. */
typedef int (*buffer_visit_fn)(void *arg, uint64_t ptr);
struct pyx_error *object_buffers(struct pyx_program *prog, uint64_t obj,
				 const struct type_info *ti, buffer_visit_fn visit, void *arg);

#endif
