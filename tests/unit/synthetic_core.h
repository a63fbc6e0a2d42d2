/* synthetic_core.h - writing small ELF64 x86-64 core files and ELF files
 * with a GNU build-id, for the unit tests.
 *
 * The writer uses plain stdio and <elf.h> with the kernel's note layouts
 * spelled out by hand: it shares no code with the engine's reader (which
 * uses libelf), so a misunderstanding in one is not copied into the other.
 */
#ifndef PYX_SYNTHETIC_CORE_H
#define PYX_SYNTHETIC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A PT_LOAD segment: filesz bytes of data at vaddr, and memsz - filesz
 * bytes the core left out (the kernel does that for file-backed pages). */
struct sc_segment {
	uint64_t vaddr;
	const void *data;   /* filesz bytes; NULL writes zeros */
	uint64_t filesz;
	uint64_t memsz;     /* 0 means filesz */
};

/* One NT_PRSTATUS note. */
struct sc_thread {
	int tid;
	int cursig;
};

/* One NT_FILE entry: [start, end) maps the file from page pgoff. */
struct sc_file_map {
	uint64_t start, end;
	uint64_t pgoff;
	const char *path;
};

/* Any other note, written as given (for malformed cases). */
struct sc_note {
	const char *name;   /* "CORE" */
	uint32_t type;
	const void *desc;
	size_t descsz;
};

struct sc_core {
	const struct sc_segment *segments;
	size_t nsegments;
	const struct sc_thread *threads;  /* the first took the signal */
	size_t nthreads;
	bool has_siginfo;
	int siginfo_signo;
	uint64_t siginfo_addr;
	int prpsinfo_pid;                 /* 0: no NT_PRPSINFO */
	const struct sc_file_map *files;  /* NT_FILE, when nfiles > 0 */
	size_t nfiles;
	const uint64_t *auxv;             /* key/value pairs, AT_NULL added */
	size_t nauxv;                     /* pairs */
	const struct sc_note *extra;
	size_t nextra;
};

/* Write a core file; returns 0, or -1 with errno set. */
int sc_write_core(const char *path, const struct sc_core *core);

/* A small ELF file: one PT_LOAD covering the file from offset 0, and a
 * PT_NOTE with the GNU build-id in the first page. */
struct sc_elf {
	uint16_t type;            /* ET_DYN, ET_EXEC ...; 0 means ET_DYN */
	const uint8_t *build_id;  /* NULL: no note */
	size_t build_id_len;
	uint64_t data_offset;     /* data is placed at this file offset */
	const void *data;
	size_t data_len;
	size_t size;              /* at least this many bytes in all */
};

/* The file's bytes (malloc'ed; *size gets the length), so that a test can
 * also copy its first page into a core, as the kernel does. */
uint8_t *sc_elf_image(const struct sc_elf *elf, size_t *size);
int sc_write_elf(const char *path, const struct sc_elf *elf);
int sc_write_file(const char *path, const void *data, size_t n);

/* A fresh directory under $TMPDIR (or /tmp); NULL on failure. */
char *sc_tempdir(void);
/* dir/name, malloc'ed. */
char *sc_path(const char *dir, const char *name);
/* Remove the files in dir (not recursive), then dir; frees nothing. */
void sc_remove_dir(const char *dir);

#endif
