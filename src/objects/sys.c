/* sys.c - what the sys module says: its attributes, and the version
 * string; and pyx_program_create, which opens a program with the
 * runtime's own set-up (runtime/program.c) and then reads sys.version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects/object.h"

struct pyx_error *program_sys_attr(struct pyx_program *prog, const char *name,
				   uint64_t *ret)
{
	uint64_t main_interp, sysdict;
	PYX_TRY(read_ptr(prog, prog->runtime + LV(prog, _PyRuntimeState_interpreters_main),
			 &main_interp));
	if (!main_interp)
		return program_not_initialized(prog);
	PYX_TRY(read_ptr(prog, main_interp + LV(prog, PyInterpreterState_sysdict), &sysdict));
	if (!sysdict)
		return pyx_error_create(PYX_ERR_NOT_INITIALIZED,
					"the sys module is not set up yet");
	return dict_lookup_str(prog, sysdict, name, ret);
}

/* "3.11.2" from sys.version, or from the version number. */
static void find_version_string(struct pyx_program *prog)
{
	uint64_t ver;
	struct pyx_error *err = program_sys_attr(prog, "version", &ver);
	char *s = NULL;
	if (!err)
		err = object_str_utf8(prog, ver, 32, &s);
	if (!err && s) {
		size_t n = strspn(s, "0123456789.");
		s[n] = '\0';
		int maj, min, micro;
		if (sscanf(s, "%d.%d.%d", &maj, &min, &micro) == 3 && min == prog->minor) {
			if (!(prog->version_hex & 0xff00))
				prog->version_hex |= (uint32_t)micro << 8;
			prog->python_version_string = s;
			return;
		}
	}
	pyx_error_destroy(err);
	free(s);
	if (asprintf(&prog->python_version_string, "3.%d.%d", prog->minor,
		     (prog->version_hex >> 8) & 0xff) < 0)
		prog->python_version_string = NULL;
}

struct pyx_error *pyx_program_create(struct pyx_target *target,
				     const struct pyx_program_options *opts,
				     struct pyx_program **ret)
{
	PYX_TRY(program_open(target, opts, ret));
	find_version_string(*ret);
	return NULL;
}
