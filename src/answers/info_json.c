/* info_json.c - what pyxray found in the target (py-info). */
#include "runtime/program.h"
#include "util/strbuf.h"

struct pyx_error *pyx_info_json(struct pyx_program *prog, char **ret)
{
	struct strbuf sb = STRBUF_INIT;
	struct pyx_target *t = prog->target;
	strbuf_puts(&sb, "{");
	json_key(&sb, "target");
	json_string(&sb, t->kind == TARGET_PID ? "process" : "core");
	strbuf_puts(&sb, ", ");
	json_key(&sb, "pid");
	strbuf_printf(&sb, "%d, ", t->pid);
	if (t->kind == TARGET_CORE) {
		json_key(&sb, "core_file");
		json_string(&sb, t->core_path);
		strbuf_puts(&sb, ", ");
	}
	json_key(&sb, "executable");
	if (t->exe_path)
		json_string(&sb, t->exe_path);
	else
		strbuf_puts(&sb, "null");
	strbuf_puts(&sb, ", ");
	json_key(&sb, "python_version");
	json_string(&sb, prog->python_version_string ? prog->python_version_string : "?");
	strbuf_puts(&sb, ", ");
	json_key(&sb, "version_hex");
	strbuf_printf(&sb, "\"0x%08x\", ", prog->version_hex);
	json_key(&sb, "debug_build");
	strbuf_puts(&sb, prog->debug_build ? "true, " : "false, ");
	json_key(&sb, "python_module");
	json_string(&sb, prog->python->name);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "runtime_address");
	json_hex(&sb, prog->runtime);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "debug_symbols");
	strbuf_puts(&sb, prog->python->has_symtab ? "true, " : "false, ");
	json_key(&sb, "dwarf");
	strbuf_puts(&sb, module_has_dwarf(prog->python) ? "true, " : "false, ");
	json_key(&sb, "layout");
	json_string(&sb, prog->layout.name);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "layout_source");
	json_string(&sb, prog->layout.source);
	strbuf_puts(&sb, ", ");
	json_key(&sb, "debug_offsets");
	strbuf_puts(&sb, prog->has_debug_offsets ? "true, " : "false, ");
	json_key(&sb, "modules");
	strbuf_printf(&sb, "%zu, ", prog->modules->nmods);
	json_key(&sb, "warnings");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < pyx_program_num_warnings(prog); i++) {
		if (i)
			strbuf_puts(&sb, ", ");
		json_string(&sb, pyx_program_warning(prog, i));
	}
	strbuf_puts(&sb, "]}");
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_modules_json(struct pyx_program *prog, char **ret)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{");
	json_key(&sb, "modules");
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < prog->modules->nmods; i++) {
		const struct pyx_module *m = &prog->modules->mods[i];
		strbuf_puts(&sb, i ? ", {" : "{");
		json_key(&sb, "name");
		json_string(&sb, m->name ? m->name : "");
		strbuf_puts(&sb, ", ");
		json_key(&sb, "start");
		json_hex(&sb, m->start);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "end");
		json_hex(&sb, m->end);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "build_id");
		if (m->build_id_hex)
			json_string(&sb, m->build_id_hex);
		else
			strbuf_puts(&sb, "null");
		strbuf_puts(&sb, "}");
	}
	strbuf_puts(&sb, "]}");
	return strbuf_finish(&sb, ret);
}
