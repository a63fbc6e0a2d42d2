/* obmalloc.c - finding pymalloc's state in a target, reading its arenas
 * and pool headers, and its statistics as sys._debugmallocstats() prints
 * them (_PyObject_DebugMallocStats in Objects/obmalloc.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap/obmalloc.h"
#include "target/target_gather.h"

/* More arena slots than any real process has (4 Mi arenas is 1 TiB of
 * 256 KiB arenas, 4 TiB of 1 MiB ones): a bigger maxarenas is corruption. */
#define MAX_ARENA_SLOTS (1u << 22)

void obmalloc_close(struct obmalloc *om)
{
	if (!om)
		return;
	free(om->arenas);
	free(om->pools);
	free(om->allocator_name);
	for (size_t i = 0; i < om->nwarnings; i++)
		free(om->warnings[i]);
	free(om);
}

/* ---- where the state is ------------------------------------------------*/

static struct pyx_error *no_symbols(struct pyx_program *prog, const char *var)
{
	struct pyx_module *pm = prog->python;
	const char *base = strrchr(pm->name, '/');
	base = base ? base + 1 : pm->name;
	if (!pm->has_symtab) {
		if (strncmp(pm->name, "/usr/bin/python3.", 17) == 0 ||
		    strncmp(pm->name, "/usr/lib/x86_64-linux-gnu/libpython3.", 37) == 0)
			return pyx_error_create(PYX_ERR_NO_DEBUG_INFO,
				"no debug symbols for %s: install python3.%d-dbg "
				"(pymalloc's state is in static variables that only "
				"its full symbol table names)", pm->name, prog->minor);
		return pyx_error_create(PYX_ERR_NO_DEBUG_INFO,
			"no debug symbols for %s: install its debug info or point "
			"gdb's debug-file-directory at it (pymalloc's state is in "
			"static variables that only its full symbol table names)", base);
	}
	return pyx_error_create(PYX_ERR_NOT_FOUND,
		"%s has no pymalloc state (no static '%s' in its symbol table): "
		"was CPython built --without-pymalloc?", base, var);
}

static struct pyx_error *static_addr(struct pyx_program *prog, const char *var,
				     uint64_t *ret)
{
	if (!module_lookup(prog->python, var, ret, NULL))
		return no_symbols(prog, var);
	return NULL;
}

/* The state's fields: statics up to 3.11, the main interpreter's
 * _obmalloc_state from 3.12 (embedded in 3.12, a pointer in 3.13+). */
static struct pyx_error *read_state(struct pyx_program *prog, struct obmalloc *om)
{
	uint64_t arenas, maxarenas, current, total, highwater;
	PYX_TRY(program_require_tables(prog, "reading pymalloc"));
	if (prog->minor <= 11) {
		PYX_TRY(static_addr(prog, "arenas", &arenas));
		PYX_TRY(static_addr(prog, "maxarenas", &maxarenas));
		PYX_TRY(static_addr(prog, "narenas_currently_allocated", &current));
		PYX_TRY(static_addr(prog, "ntimes_arena_allocated", &total));
		PYX_TRY(static_addr(prog, "narenas_highwater", &highwater));
	} else {
		if (!HAS(prog, PyInterpreterState_obmalloc) ||
		    !HAS(prog, _obmalloc_state_mgmt_arenas))
			return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
				"pyxray does not know where CPython 3.%d keeps "
				"pymalloc's state", prog->minor);
		uint64_t interp, state;
		PYX_TRY(read_ptr(prog, prog->runtime +
				 LV(prog, _PyRuntimeState_interpreters_main), &interp));
		if (!interp)
			return program_not_initialized(prog);
		state = interp + LV(prog, PyInterpreterState_obmalloc);
		if (prog->minor >= 13) {
			PYX_TRY(read_ptr(prog, state, &state));
			if (!state)
				return pyx_error_create(PYX_ERR_NOT_INITIALIZED,
					"the main interpreter has no obmalloc state yet");
		}
		om->state = state;
		arenas = state + LV(prog, _obmalloc_state_mgmt_arenas);
		maxarenas = state + LV(prog, _obmalloc_state_mgmt_maxarenas);
		current = state + LV(prog, _obmalloc_state_mgmt_narenas_currently_allocated);
		total = state + LV(prog, _obmalloc_state_mgmt_ntimes_arena_allocated);
		highwater = state + LV(prog, _obmalloc_state_mgmt_narenas_highwater);
	}
	uint32_t max32;
	PYX_TRY(read_ptr(prog, arenas, &om->arenas_vector));
	PYX_TRY(pyx_target_read(prog->target, maxarenas, &max32, 4));
	om->maxarenas = max32;
	PYX_TRY(read_ptr(prog, current, &om->narenas_currently_allocated));
	PYX_TRY(read_ptr(prog, total, &om->ntimes_arena_allocated));
	PYX_TRY(read_ptr(prog, highwater, &om->narenas_highwater));
	return NULL;
}

/* ---- which allocator ------------------------------------------------------*/

static bool is_function(const char *name, const char *want)
{
	size_t n = strlen(want);
	return name && strncmp(name, want, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

/* The function a PyMemAllocatorEx at addr calls for malloc, by name, or
 * NULL when it has no name we can see. */
static const char *allocator_function(struct pyx_program *prog, uint64_t addr)
{
	uint64_t fn, off = 1;
	struct pyx_error *err = read_ptr(prog, addr + LV(prog, PyMemAllocatorEx_malloc), &fn);
	if (err) {
		pyx_error_destroy(err);
		return NULL;
	}
	const char *name = fn && prog->modules ? modules_symbolize(prog->modules, fn, &off)
					       : NULL;
	return name && off == 0 ? name : NULL;
}

static enum obmalloc_allocator classify(const char *name)
{
	if (!name)
		return OBMALLOC_UNKNOWN;
	if (is_function(name, "_PyObject_Malloc"))
		return OBMALLOC_PYMALLOC;
	if (is_function(name, "_PyMem_RawMalloc"))
		return OBMALLOC_MALLOC;
	if (is_function(name, "_PyObject_MiMalloc") || is_function(name, "_PyMem_MiMalloc"))
		return OBMALLOC_MIMALLOC;
	return OBMALLOC_OTHER;
}

/* _PyMem_PymallocEnabled(), from the outside: the object domain's
 * allocator (_PyObject, or _PyRuntime.allocators.standard.obj), and behind
 * the debug hooks the one they wrap (_PyMem_Debug.obj.alloc). */
static struct pyx_error *find_allocator(struct pyx_program *prog, struct obmalloc *om)
{
	uint64_t obj = 0, debug = 0;
	if (prog->minor <= 11) {
		module_lookup(prog->python, "_PyObject", &obj, NULL);
		if (module_lookup(prog->python, "_PyMem_Debug", &debug, NULL))
			debug += 2 * (uint64_t)LV(prog, debug_alloc_api_t);
	} else {
		obj = prog->runtime + LV(prog, _PyRuntimeState_allocators_standard_obj);
		debug = prog->runtime + LV(prog, _PyRuntimeState_allocators_debug_obj);
	}
	const char *name = obj ? allocator_function(prog, obj) : NULL;
	/* tracemalloc's hooks wrap what was there (their ctx is the saved
	 * allocator): look through them. */
	bool traced = false;
	for (int hops = 0; hops < 4 && name && strncmp(name, "tracemalloc_", 12) == 0; hops++) {
		uint64_t ctx = 0;
		struct pyx_error *err = read_ptr(prog, obj + LV(prog, PyMemAllocatorEx_ctx), &ctx);
		pyx_error_destroy(err);
		if (err || !ctx)
			break;
		traced = true;
		obj = ctx;
		name = allocator_function(prog, obj);
	}
	if (is_function(name, "_PyMem_DebugMalloc")) {
		om->debug_hooks = true;
		name = debug ? allocator_function(prog, debug + LV(prog, debug_alloc_api_t_alloc))
			     : NULL;
	}
	om->allocator = classify(name);
	const char *what;
	switch (om->allocator) {
	case OBMALLOC_PYMALLOC: what = "pymalloc"; break;
	case OBMALLOC_MALLOC: what = "malloc"; break;
	case OBMALLOC_MIMALLOC: what = "mimalloc"; break;
	case OBMALLOC_UNKNOWN: what = "pymalloc (assumed: no symbols to tell)"; break;
	default: what = name; break;
	}
	char buf[256];
	if (om->allocator == OBMALLOC_OTHER)
		snprintf(buf, sizeof(buf), "pymalloc (assumed) behind the hook %s%s", name,
			 om->debug_hooks ? " and the debug hooks" : "");
	else
		snprintf(buf, sizeof(buf), "%s%s%s", what, om->debug_hooks ? " with debug hooks" : "",
			 traced ? ", traced by tracemalloc" : "");
	om->allocator_name = strdup(buf);
	if (!om->allocator_name)
		return pyx_error_no_memory();
	if (om->allocator == OBMALLOC_MALLOC || om->allocator == OBMALLOC_MIMALLOC)
		return pyx_error_create(PYX_ERR_NOT_FOUND,
			"pymalloc is not in use in this process: PyObject_Malloc is "
			"%s%s (PYTHONMALLOC=%s%s), so there are no arenas or pools to show",
			om->allocator == OBMALLOC_MALLOC ? "the C library's malloc" : "mimalloc",
			om->debug_hooks ? " behind the debug hooks" : "",
			om->allocator == OBMALLOC_MALLOC ? "malloc" : "mimalloc",
			om->debug_hooks ? "_debug" : "");
	return NULL;
}

/* ---- arenas and pools -----------------------------------------------------*/

static void om_warn(struct obmalloc *om, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void om_warn(struct obmalloc *om, const char *fmt, ...)
{
	if (om->nwarnings == sizeof(om->warnings) / sizeof(om->warnings[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		om->warnings[om->nwarnings++] = s;
}

static struct pyx_error *corrupt_arena(uint64_t record, uint32_t slot, const char *why,
				       unsigned long long value)
{
	struct pyx_error *err = pyx_error_create(PYX_ERR_INVALID_OBJECT,
		"pymalloc's arena table is corrupt: arena %u (struct arena_object "
		"at 0x%llx) has %s %llu", slot, (unsigned long long)record, why, value);
	err->address = record;
	return err;
}

static struct pyx_error *read_arenas(struct pyx_program *prog, struct obmalloc *om)
{
	if (om->maxarenas > MAX_ARENA_SLOTS)
		return pyx_error_create(PYX_ERR_LIMIT,
			"pymalloc's arena table claims %u slots (more than %u: corrupt?)",
			om->maxarenas, MAX_ARENA_SLOTS);
	if (!om->maxarenas)
		return NULL;
	if (!om->arenas_vector)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"pymalloc's arena table is NULL but claims %u slots", om->maxarenas);
	size_t recsize = (size_t)LV(prog, arena_object);
	size_t bytes = (size_t)om->maxarenas * recsize;
	uint8_t *vec = malloc(bytes);
	om->arenas = calloc(om->maxarenas, sizeof(*om->arenas));
	if (!vec || !om->arenas) {
		free(vec);
		return pyx_error_no_memory();
	}
	struct pyx_error *err = pyx_target_read(prog->target, om->arenas_vector, vec, bytes);
	if (err) {
		free(vec);
		return pyx_error_wrap(err, "reading pymalloc's arena table (%u slots at 0x%llx)",
				      om->maxarenas, (unsigned long long)om->arenas_vector);
	}
	uint64_t pool_mask = om->pool_size - 1;
	uint32_t max_pools = om->arena_size / om->pool_size;
	for (uint32_t i = 0; i < om->maxarenas; i++) {
		const uint8_t *r = vec + (size_t)i * recsize;
		uint64_t address = om_get_u64(r, LV(prog, arena_object_address));
		if (!address)
			continue;
		struct obmalloc_arena *a = &om->arenas[om->narenas];
		a->slot = i;
		a->record = om->arenas_vector + (uint64_t)i * recsize;
		a->address = address;
		a->pool_address = om_get_u64(r, LV(prog, arena_object_pool_address));
		a->nfreepools = om_get_u32(r, LV(prog, arena_object_nfreepools));
		a->ntotalpools = om_get_u32(r, LV(prog, arena_object_ntotalpools));
		a->base = (address + pool_mask) & ~pool_mask;
		if (address + om->arena_size < address)
			err = corrupt_arena(a->record, i, "an impossible address", address);
		else if (a->pool_address < a->base ||
			 a->pool_address > address + om->arena_size ||
			 ((a->pool_address - a->base) & pool_mask))
			err = corrupt_arena(a->record, i, "a pool_address outside it:",
					    a->pool_address);
		else if (a->ntotalpools > max_pools)
			err = corrupt_arena(a->record, i, "ntotalpools", a->ntotalpools);
		else if (a->nfreepools > a->ntotalpools)
			err = corrupt_arena(a->record, i, "more free pools than pools:",
					    a->nfreepools);
		if (err) {
			free(vec);
			return err;
		}
		a->ncarved = (uint32_t)((a->pool_address - a->base) / om->pool_size);
		if (a->ncarved > a->ntotalpools) {
			free(vec);
			return corrupt_arena(a->record, i, "more pools carved than it has:",
					     a->ncarved);
		}
		om->narenas++;
	}
	free(vec);
	if (om->narenas != om->narenas_currently_allocated)
		om_warn(om, "pymalloc counts %llu arenas (narenas_currently_allocated), but "
			"its arena table at 0x%llx holds %zu", (unsigned long long)
			om->narenas_currently_allocated, (unsigned long long)om->arenas_vector,
			om->narenas);
	return NULL;
}

/* usable_arenas: the arenas with free pools, a list through nextarena and
 * prevarena, fullest first.  Checked in both directions against the
 * arena table; what disagrees is a warning (the statistics come from the
 * table, not from this list). */
static void check_usable_arenas(struct pyx_program *prog, struct obmalloc *om,
				uint64_t head_addr)
{
	uint64_t p;
	struct pyx_error *err = read_ptr(prog, head_addr, &p);
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	uint64_t recsize = (uint64_t)LV(prog, arena_object), before = 0, n = 0;
	uint8_t *seen = calloc(om->maxarenas ? om->maxarenas : 1, 1);
	if (!seen)
		return;
	while (p) {
		uint64_t off = p - om->arenas_vector;
		if (p < om->arenas_vector || off % recsize || off / recsize >= om->maxarenas) {
			om_warn(om, "pymalloc's usable_arenas list is broken: 0x%llx (after %llu "
				"arenas) is not in its arena table at 0x%llx",
				(unsigned long long)p, (unsigned long long)n,
				(unsigned long long)om->arenas_vector);
			break;
		}
		uint32_t slot = (uint32_t)(off / recsize);
		if (seen[slot]) {
			om_warn(om, "pymalloc's usable_arenas list loops at arena %u (0x%llx)",
				slot, (unsigned long long)p);
			break;
		}
		seen[slot] = 1;
		uint64_t address, prev, next;
		err = read_ptr(prog, p + LV(prog, arena_object_address), &address);
		if (!err)
			err = read_ptr(prog, p + LV(prog, arena_object_prevarena), &prev);
		if (!err)
			err = read_ptr(prog, p + LV(prog, arena_object_nextarena), &next);
		if (err) {
			pyx_error_destroy(err);
			break;
		}
		if (prev != before) {
			om_warn(om, "pymalloc's usable_arenas list is broken: arena %u (0x%llx) "
				"links back to 0x%llx, but the one before it is 0x%llx", slot,
				(unsigned long long)p, (unsigned long long)prev,
				(unsigned long long)before);
			break;
		}
		if (!address) {
			om_warn(om, "pymalloc's usable_arenas list holds arena %u (0x%llx), "
				"which has no memory", slot, (unsigned long long)p);
			break;
		}
		before = p;
		p = next;
		n++;
	}
	free(seen);
}

static struct pyx_error *read_pools(struct pyx_program *prog, struct obmalloc *om)
{
	size_t n = 0;
	for (size_t i = 0; i < om->narenas; i++) {
		om->arenas[i].first_pool = n;
		n += om->arenas[i].ncarved;
	}
	if (!n)
		return NULL;
	size_t hsize = (size_t)LV(prog, pool_header);
	uint64_t *addrs = malloc(n * sizeof(*addrs));
	uint8_t *heads = malloc(n * hsize);
	bool *ok = malloc(n * sizeof(*ok));
	om->pools = calloc(n, sizeof(*om->pools));
	struct pyx_error *err = NULL;
	if (!addrs || !heads || !ok || !om->pools) {
		err = pyx_error_no_memory();
		goto out;
	}
	for (size_t i = 0, k = 0; i < om->narenas; i++)
		for (uint32_t j = 0; j < om->arenas[i].ncarved; j++)
			addrs[k++] = om->arenas[i].base + (uint64_t)j * om->pool_size;
	err = target_read_gather(prog->target, addrs, n, hsize, heads, ok);
	if (err)
		goto out;
	for (size_t k = 0; k < n; k++) {
		struct obmalloc_pool *p = &om->pools[k];
		const uint8_t *h = heads + k * hsize;
		p->address = addrs[k];
		if (!ok[k]) {
			err = pyx_error_fault(addrs[k], "cannot read pymalloc's pool "
					      "header at 0x%llx", (unsigned long long)addrs[k]);
			goto out;
		}
		p->count = om_get_u32(h, LV(prog, pool_header_count));
		p->freeblock = om_get_u64(h, LV(prog, pool_header_freeblock));
		p->szidx = om_get_u32(h, LV(prog, pool_header_szidx));
		p->nextoffset = om_get_u32(h, LV(prog, pool_header_nextoffset));
		p->maxnextoffset = om_get_u32(h, LV(prog, pool_header_maxnextoffset));
		if (!p->count)
			continue;
		const char *why = NULL;
		unsigned long long value = 0;
		if (p->szidx >= om->nclasses)
			why = "size class", value = p->szidx;
		else if (p->count > obmalloc_pool_blocks(om, p->szidx))
			why = "more blocks in use than fit:", value = p->count;
		else if (p->nextoffset > om->pool_size || p->nextoffset < om->pool_overhead)
			why = "nextoffset", value = p->nextoffset;
		if (why) {
			err = pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"pymalloc's pool at 0x%llx has a corrupt header: %s %llu",
				(unsigned long long)p->address, why, value);
			err->address = p->address;
			goto out;
		}
	}
	om->npools = n;
out:
	free(addrs);
	free(heads);
	free(ok);
	return err;
}

struct pyx_error *obmalloc_open(struct pyx_program *prog, unsigned flags,
				struct obmalloc **ret)
{
	if (!HAS(prog, obmalloc_ARENA_SIZE) || !HAS(prog, pool_header_nextoffset))
		return pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
			"the layout table %s does not describe pymalloc",
			prog->layout.name);
	struct obmalloc *om = calloc(1, sizeof(*om));
	if (!om)
		return pyx_error_no_memory();
	om->arena_size = (uint32_t)LV(prog, obmalloc_ARENA_SIZE);
	om->pool_size = (uint32_t)LV(prog, obmalloc_POOL_SIZE);
	om->pool_overhead = (uint32_t)LV(prog, obmalloc_POOL_OVERHEAD);
	om->alignment = (uint32_t)LV(prog, obmalloc_ALIGNMENT);
	om->nclasses = (uint32_t)LV(prog, obmalloc_NB_SMALL_SIZE_CLASSES);
	struct pyx_error *err = NULL;
	if (om->nclasses > 64 || om->pool_size & (om->pool_size - 1) ||
	    om->pool_size > om->arena_size)
		err = pyx_error_create(PYX_ERR_UNSUPPORTED_VERSION,
			"unexpected pymalloc constants in layout %s", prog->layout.name);
	if (!err)
		err = read_state(prog, om);
	if (!err)
		err = find_allocator(prog, om);
	if (!err)
		err = read_arenas(prog, om);
	if (!err && om->allocator == OBMALLOC_UNKNOWN && !om->narenas)
		err = pyx_error_create(PYX_ERR_NOT_FOUND,
			"pymalloc has no arenas in this process: it is not in use "
			"(PYTHONMALLOC=malloc?)");
	if (!err && om->maxarenas <= MAX_ARENA_SLOTS) {
		uint64_t usable = 0;
		if (prog->minor <= 11)
			module_lookup(prog->python, "usable_arenas", &usable, NULL);
		else if (om->state && HAS(prog, _obmalloc_state_mgmt_usable_arenas))
			usable = om->state + (uint64_t)LV(prog, _obmalloc_state_mgmt_usable_arenas);
		if (usable)
			check_usable_arenas(prog, om, usable);
	}
	if (!err && (flags & OBMALLOC_POOLS))
		err = read_pools(prog, om);
	if (err) {
		obmalloc_close(om);
		return err;
	}
	*ret = om;
	return NULL;
}

/* ---- statistics ------------------------------------------------------------*/

void obmalloc_stats(const struct obmalloc *om, struct obmalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->nclasses = om->nclasses;
	for (size_t i = 0; i < om->narenas; i++) {
		const struct obmalloc_arena *a = &om->arenas[i];
		st->narenas++;
		st->unused_pools += a->nfreepools;
		if (a->address & (om->pool_size - 1))
			st->arena_alignment += om->pool_size;
		for (uint32_t j = 0; j < a->ncarved; j++) {
			const struct obmalloc_pool *p = &om->pools[a->first_pool + j];
			if (!p->count)
				continue;
			struct obmalloc_class_stats *c = &st->classes[p->szidx];
			c->pools++;
			c->blocks_in_use += p->count;
			c->blocks_avail += obmalloc_pool_blocks(om, p->szidx) - p->count;
		}
	}
	for (uint32_t i = 0; i < om->nclasses; i++) {
		const struct obmalloc_class_stats *c = &st->classes[i];
		uint64_t size = obmalloc_block_size(om, i);
		st->allocated_bytes += c->blocks_in_use * size;
		st->available_bytes += c->blocks_avail * size;
		st->pool_header_bytes += c->pools * om->pool_overhead;
		st->quantization += c->pools * ((om->pool_size - om->pool_overhead) % size);
	}
	st->unused_pool_bytes = st->unused_pools * om->pool_size;
	st->allocated_total = om->ntimes_arena_allocated;
	st->reclaimed = om->ntimes_arena_allocated - st->narenas;
	st->highwater = om->narenas_highwater;
}
