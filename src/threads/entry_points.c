/* entry_points.c - where the eval loop starts running a Python function:
 * the places py-break puts its breakpoints.
 *
 * 3.11+ run Python-to-Python calls inside one C call of the eval loop, so
 * no C function marks a Python function's start.  But every function (and
 * every generator resuming) starts with the RESUME instruction, and a
 * computed-goto build dispatches it through the opcode_targets table: the
 * table's RESUME entries (and their specialized and instrumented forms)
 * are where each start passes.  3.15 calls the table opcode_targets_table
 * and dispatches through opcode_tracing_targets_table instead while a
 * tracer (sys.monitoring, a JIT trace) is active: both count.  Up to 3.10 every Python frame gets its own
 * C call of _PyEval_EvalFrameDefault, with the frame as an argument. */
#include <stdlib.h>

#include "runtime/modules.h"
#include "runtime/program.h"
#include "util/strbuf.h"

#define NUM_OPCODES 256

static void add_unique(uint64_t *v, size_t *n, uint64_t a)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i] == a)
			return;
	v[(*n)++] = a;
}

/* The RESUME handlers of one dispatch table at table. */
static struct pyx_error *table_targets(struct pyx_program *prog, const char *name,
				       uint64_t table, uint64_t table_size,
				       uint64_t eval, uint64_t eval_size,
				       uint64_t *addrs, size_t *n)
{
	if (table_size && table_size < NUM_OPCODES * 8)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "%s holds %llu bytes, not a "
			"table of %d addresses", name, (unsigned long long)table_size,
			NUM_OPCODES);
	uint64_t *targets = malloc(NUM_OPCODES * 8);
	if (!targets)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(prog->target, table, targets, NUM_OPCODES * 8);
	const int64_t ops[] = {
		LV(prog, RESUME), LV(prog, RESUME_QUICK), LV(prog, RESUME_CHECK),
		LV(prog, RESUME_CHECK_JIT), LV(prog, INSTRUMENTED_RESUME),
	};
	for (size_t i = 0; !err && i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i] == PYX_ABSENT || ops[i] < 0 || ops[i] >= NUM_OPCODES)
			continue;
		uint64_t a = targets[ops[i]];
		/* The handlers live in the eval loop (or in the cold part
		 * the compiler split off it, nearby); anything else means the
		 * table is not what we think. */
		uint64_t lo = eval > (1u << 24) ? eval - (1u << 24) : 0;
		if (a < lo || a >= eval + eval_size + (1u << 24))
			err = pyx_error_create(PYX_ERR_NOT_FOUND,
				"%s[%lld] = 0x%llx is not in the eval loop (a build "
				"without computed gotos?)", name, (long long)ops[i],
				(unsigned long long)a);
		else
			add_unique(addrs, n, a);
	}
	free(targets);
	return err;
}

static struct pyx_error *resume_targets(struct pyx_program *prog, uint64_t *addrs,
					size_t *n)
{
	static const char *const tables[] = {
		"opcode_targets", "opcode_targets_table", "opcode_tracing_targets_table",
	};
	uint64_t eval, eval_size;
	if (!module_lookup(prog->python, "_PyEval_EvalFrameDefault", &eval, &eval_size))
		return pyx_error_create(PYX_ERR_NOT_FOUND,
			"no _PyEval_EvalFrameDefault in %s", prog->python->name);
	size_t found = 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		uint64_t table, table_size;
		if (!module_lookup(prog->python, tables[i], &table, &table_size))
			continue;
		PYX_TRY(table_targets(prog, tables[i], table, table_size, eval, eval_size,
				      addrs, n));
		found++;
	}
	if (!found)
		return pyx_error_create(PYX_ERR_NO_DEBUG_INFO,
			"the eval loop's opcode_targets table is not in the symbol table: "
			"install the interpreter's debug symbols (for Debian's python3.%d: "
			"python3.%d-dbg)", prog->minor, prog->minor);
	return NULL;
}

struct pyx_error *pyx_entry_points_json(struct pyx_program *prog, char **ret)
{
	uint64_t addrs[16];
	size_t n = 0;
	int frame_argument = -1;
	if (HAS(prog, RESUME)) {
		PYX_TRY(resume_targets(prog, addrs, &n));
	} else {
		uint64_t eval;
		if (!module_lookup(prog->python, "_PyEval_EvalFrameDefault", &eval, NULL))
			return pyx_error_create(PYX_ERR_NOT_FOUND,
				"no _PyEval_EvalFrameDefault in %s", prog->python->name);
		addrs[n++] = eval;
		/* 3.8: (frame, throwflag); 3.9, 3.10: (tstate, frame, throwflag). */
		frame_argument = prog->minor >= 9 ? 1 : 0;
	}
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{");
	json_key(&sb, "kind");
	json_string(&sb, frame_argument < 0 ? "resume" : "eval-function");
	strbuf_puts(&sb, ", ");
	json_key(&sb, "addresses");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(&sb, ", ");
		json_hex(&sb, addrs[i]);
	}
	strbuf_puts(&sb, "], ");
	uint64_t eval_code;
	json_key(&sb, "eval_code");
	if (module_lookup(prog->python, "PyEval_EvalCode", &eval_code, NULL))
		json_hex(&sb, eval_code);
	else
		strbuf_puts(&sb, "null");
	strbuf_puts(&sb, ", ");
	json_key(&sb, "frame_argument");
	if (frame_argument < 0)
		strbuf_puts(&sb, "null}");
	else
		strbuf_printf(&sb, "%d}", frame_argument);
	return strbuf_finish(&sb, ret);
}
