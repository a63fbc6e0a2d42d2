/* fuzz_core.c - libFuzzer target over core files.
 *
 * Each input is a whole core file: the ELF header, the program headers,
 * every note the reader knows (NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO,
 * NT_AUXV, NT_FILE) and ones it does not, and the segments.  It is opened
 * with pyx_target_create_core (from a memfd, so nothing touches the disk),
 * its threads, crash information and warnings are asked for, and memory is
 * read at the edges of every segment; then pyx_program_create looks for
 * CPython in it through elfutils, and when that succeeds (a seed maps a
 * real interpreter) a few answers are asked for.  Every failure must be
 * an error value: a crash, a sanitizer report, a leak or a hang is a
 * finding.
 *
 * Seeds: tests/fuzz/make_seeds.c writes cores the way the unit tests do
 * (tests/unit/synthetic_core.c); tests/fuzz/corpus/core holds a few small
 * inputs found worth keeping.  make fuzz runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pyxray.h"
#include "target/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_around(struct pyx_target *t, uint64_t addr)
{
	uint8_t buf[64];
	for (int d = -1; d <= 1; d++) {
		struct pyx_error *err = pyx_target_read(t, addr + (uint64_t)(int64_t)(d * 32),
							buf, sizeof(buf));
		pyx_error_destroy(err);
	}
}

static void ask(struct pyx_program *prog)
{
	char *json = NULL;
	struct pyx_error *err;
	err = pyx_info_json(prog, &json);
	pyx_free(json), json = NULL, pyx_error_destroy(err);
	err = pyx_stack_json(prog, 0, PYX_STACK_LOCALS | PYX_STACK_EXCEPTIONS, &json);
	pyx_free(json), json = NULL, pyx_error_destroy(err);
	err = pyx_gc_json(prog, &json);
	pyx_free(json), json = NULL, pyx_error_destroy(err);
	err = pyx_triage_json(prog, NULL, &json);
	pyx_free(json), json = NULL, pyx_error_destroy(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-core", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct pyx_target *t = NULL;
	struct pyx_error *err = pyx_target_create_core(path, NULL, &t);
	if (err) {
		/* Every error has a one-line message. */
		if (!pyx_error_message(err)[0] || strchr(pyx_error_message(err), '\n'))
			abort();
		pyx_error_destroy(err);
		close(fd);
		return 0;
	}
	struct pyx_crash_info crash;
	pyx_target_crash_info(t, &crash);
	for (size_t i = 0; i < pyx_target_num_warnings(t); i++)
		if (!pyx_target_warning(t, i))
			abort();
	int *tids = NULL;
	size_t ntids = 0;
	err = target_thread_ids(t, &tids, &ntids);
	pyx_error_destroy(err);
	free(tids);
	for (size_t i = 0; i < t->nsegments; i++) {
		read_around(t, t->segments[i].vaddr);
		read_around(t, t->segments[i].vaddr + t->segments[i].memsz);
		read_around(t, t->segments[i].vaddr + t->segments[i].filesz);
	}
	for (size_t i = 0; i < t->nmappings; i++)
		read_around(t, t->mappings[i].start);
	/* Symbols from the files themselves: loading the separate debug info
	 * of a real interpreter at every input would be most of the time. */
	struct pyx_program_options opts = { .debuginfo_path = "/nonexistent" };
	struct pyx_program *prog = NULL;
	err = pyx_program_create(t, &opts, &prog);
	if (err) {
		if (!pyx_error_message(err)[0] || strchr(pyx_error_message(err), '\n'))
			abort();
		pyx_error_destroy(err);
	} else {
		ask(prog);
		pyx_program_destroy(prog);
	}
	close(fd);
	return 0;
}
