/* target_core.c - reading an ELF core file with libelf.
 *
 * Memory comes from the PT_LOAD segments.  Pages the kernel left out (by
 * default read-only file-backed mappings such as the executable's .rodata,
 * where built-in types keep tp_name) are read from the files named in the
 * NT_FILE note, once their build-id matches the one in the core's copy of
 * their ELF header: under the sysroot first when one is given, then by
 * base name in the library search path, then where the core says.
 * Threads and the fatal signal come from NT_PRSTATUS and NT_SIGINFO.
 * Compressed cores (gzip, zstd) are decompressed into an unnamed
 * temporary file first.
 */
#include <elf.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/reg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "util/error.h"
#include "target/target.h"

#define MAX_BUILD_ID 64

static bool core_elf_initialized;

static void core_elf_init(void)
{
	if (!core_elf_initialized) {
		elf_version(EV_CURRENT);
		core_elf_initialized = true;
	}
}

static int cmp_segment(const void *a, const void *b)
{
	const struct core_segment *x = a, *y = b;
	return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

static int cmp_mapping(const void *a, const void *b)
{
	const struct file_mapping *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

/* Bytes at addr from the core's own segments only. */
static size_t segment_read(struct pyx_target *t, uint64_t addr, void *buf,
			   size_t len)
{
	size_t lo = 0, hi = t->nsegments;
	const struct core_segment *seg = NULL;
	/* A hint shared by the threads of a parallel walk: relaxed atomics. */
	size_t last = __atomic_load_n(&t->last_segment, __ATOMIC_RELAXED);
	if (last < t->nsegments) {
		const struct core_segment *s = &t->segments[last];
		if (addr >= s->vaddr && addr - s->vaddr < s->memsz)
			seg = s;
	}
	while (!seg && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct core_segment *s = &t->segments[mid];
		if (addr < s->vaddr) {
			hi = mid;
		} else if (addr - s->vaddr >= s->memsz) {
			lo = mid + 1;
		} else {
			seg = s;
			__atomic_store_n(&t->last_segment, mid, __ATOMIC_RELAXED);
		}
	}
	if (!seg)
		return 0;
	uint64_t off = addr - seg->vaddr;
	if (off >= seg->filesz)
		return 0;
	size_t n = len;
	if (n > seg->filesz - off)
		n = (size_t)(seg->filesz - off);
	memcpy(buf, t->core_data + seg->offset + off, n);
	return n;
}

/* Bytes at addr from a file named in NT_FILE. */
static size_t mapping_read(struct pyx_target *t, uint64_t addr, void *buf,
			   size_t len)
{
	size_t lo = 0, hi = t->nmappings;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct file_mapping *m = &t->mappings[mid];
		if (addr < m->start) {
			hi = mid;
		} else if (addr >= m->end) {
			lo = mid + 1;
		} else {
			if (m->file->state != MAPPED_FILE_OK || !m->file->data)
				return 0;
			uint64_t off = m->offset + (addr - m->start);
			if (off >= m->file->size)
				return 0;
			size_t n = len;
			if (n > m->end - addr)
				n = (size_t)(m->end - addr);
			if (n > m->file->size - off)
				n = (size_t)(m->file->size - off);
			memcpy(buf, m->file->data + off, n);
			return n;
		}
	}
	return 0;
}

struct pyx_error *target_core_read(struct pyx_target *t, uint64_t addr,
				   void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len) {
		size_t n = segment_read(t, addr, out, len);
		if (!n)
			n = mapping_read(t, addr, out, len);
		if (!n)
			return pyx_error_fault(addr, "cannot read memory at 0x%llx: "
					       "not in the core file",
					       (unsigned long long)addr);
		out += n;
		addr += n;
		len -= n;
	}
	return NULL;
}

/* The GNU build-id in the ELF image whose first page the core holds at
 * start; returns its length or 0. */
static size_t core_image_build_id(struct pyx_target *t, uint64_t start,
				  uint8_t *id)
{
	Elf64_Ehdr eh;
	if (segment_read(t, start, &eh, sizeof(eh)) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64)
		return 0;
	Elf64_Phdr ph[64];
	size_t size = eh.e_phnum * sizeof(Elf64_Phdr);
	if (segment_read(t, start + eh.e_phoff, ph, size) != size)
		return 0;
	uint64_t base = 0;
	bool have_base = false;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			base = start - (ph[i].p_vaddr & ~(uint64_t)0xfff);
			have_base = true;
			break;
		}
	}
	if (!have_base)
		return 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > 4096)
			continue;
		uint8_t note[4096];
		size_t n = segment_read(t, base + ph[i].p_vaddr, note,
					ph[i].p_filesz);
		size_t off = 0;
		while (off + sizeof(Elf64_Nhdr) <= n) {
			Elf64_Nhdr nh;
			memcpy(&nh, note + off, sizeof(nh));
			size_t name_off = off + sizeof(nh);
			size_t desc_off = name_off + ((nh.n_namesz + 3) & ~3u);
			size_t next = desc_off + ((nh.n_descsz + 3) & ~3u);
			if (next > n || next <= off)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    memcmp(note + name_off, "GNU", 4) == 0 &&
			    nh.n_descsz > 0 && nh.n_descsz <= MAX_BUILD_ID) {
				memcpy(id, note + desc_off, nh.n_descsz);
				return nh.n_descsz;
			}
			off = next;
		}
	}
	return 0;
}

/* The build-id of a file on disk; returns its length or 0. */
/* Without a build-id in the core (an executable whose note lies in a page
 * the core left out, as patchelf arranges it), the next best evidence:
 * the core's copy of the ELF header and program headers, which differ
 * between builds.  1: they match; 0: they differ; -1: not in the core. */
static int core_image_headers_match(struct pyx_target *t, uint64_t start,
				    const uint8_t *data, size_t size)
{
	Elf64_Ehdr eh;
	if (segment_read(t, start, &eh, sizeof(eh)) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return -1;
	if (size < sizeof(eh) || memcmp(data, &eh, sizeof(eh)) != 0)
		return 0;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64)
		return -1;
	Elf64_Phdr ph[64];
	size_t n = eh.e_phnum * sizeof(Elf64_Phdr);
	if (segment_read(t, start + eh.e_phoff, ph, n) != n)
		return -1;
	if (eh.e_phoff + n > size || memcmp(data + eh.e_phoff, ph, n) != 0)
		return 0;
	return 1;
}

static size_t file_build_id(const uint8_t *data, size_t size, uint8_t *id)
{
	Elf *elf = elf_memory((char *)data, size);
	if (!elf)
		return 0;
	const void *p;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &p);
	size_t len = 0;
	if (n > 0 && n <= MAX_BUILD_ID) {
		memcpy(id, p, (size_t)n);
		len = (size_t)n;
	}
	elf_end(elf);
	return len;
}

static void hex(const uint8_t *id, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", id[i]);
	out[2 * n] = '\0';
}

static bool map_file(const char *path, const uint8_t **data, size_t *size)
{
	/* O_NONBLOCK: a core may name a FIFO, which must not hang us. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return false;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	*data = p;
	*size = (size_t)st.st_size;
	return true;
}

/* Where to look for a file the core names, best first: under the sysroot,
 * by base name in each library directory, as named; and the executable
 * given for the process's own executable.  Returns how many (malloc'ed). */
static size_t file_candidates(const struct pyx_target *t, const char *path,
			      bool is_exe, const char *executable, char **out, size_t max)
{
	size_t n = 0;
	if (is_exe && executable && n < max)
		out[n++] = strdup(executable);
	if (t->sysroot && n < max && asprintf(&out[n], "%s%s", t->sysroot, path) >= 0)
		n++;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < t->nlib_dirs && n < max; i++)
		if (asprintf(&out[n], "%s/%s", t->lib_dirs[i], base) >= 0)
			n++;
	if (n < max)
		out[n++] = strdup(path);
	return n;
}

/* Check each NT_FILE file against the build-id the core recorded, and map
 * the ones that match. */
static struct pyx_error *check_files(struct pyx_target *t, const char *executable)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		struct mapped_file *f = &t->files[i];
		uint64_t start = 0;
		bool have_start = false;
		for (size_t j = 0; j < t->nmappings; j++) {
			if (t->mappings[j].file == f && t->mappings[j].offset == 0) {
				start = t->mappings[j].start;
				have_start = true;
				break;
			}
		}
		uint8_t want[MAX_BUILD_ID], have[MAX_BUILD_ID];
		size_t want_len = have_start ? core_image_build_id(t, start, want) : 0;
		bool is_exe = t->exe_path && strcmp(t->exe_path, f->path) == 0;
		/* Without the core's word on which file is the executable, the
		 * one given may stand in for any file whose build-id it has. */
		bool try_exe = is_exe || !t->exe_path;
		char *candidates[16];
		size_t ncand = file_candidates(t, f->path, try_exe, executable, candidates, 16);
		f->state = MAPPED_FILE_MISSING;
		struct pyx_error *err = NULL;
		for (size_t c = 0; c < ncand && f->state != MAPPED_FILE_OK && !err; c++) {
			const uint8_t *data;
			size_t size;
			if (!candidates[c] || !map_file(candidates[c], &data, &size))
				continue;
			size_t have_len = want_len ? file_build_id(data, size, have) : 0;
			bool given_exe = is_exe && executable && c == 0;
			if (!want_len && given_exe && have_start &&
			    core_image_headers_match(t, start, data, size) == 0) {
				munmap((void *)data, size);
				err = pyx_error_create(PYX_ERR_BAD_CORE,
					"the executable given, %s, is not the one core file "
					"%s was dumped from: its ELF and program headers differ "
					"from the ones the process mapped (%s; the core does not "
					"hold its build-id); give the matching executable, or none",
					candidates[c], t->core_path, f->path);
				continue;
			}
			if (want_len && (have_len != want_len ||
					 memcmp(want, have, want_len) != 0)) {
				munmap((void *)data, size);
				if (given_exe) {
					/* Named on purpose: say so, rather than read
					 * the wrong program. */
					char wh[2 * MAX_BUILD_ID + 1], hh[2 * MAX_BUILD_ID + 1];
					hex(want, want_len, wh);
					hex(have, have_len, hh);
					err = pyx_error_create(PYX_ERR_BAD_CORE,
						"the executable given, %s, is not the one "
						"core file %s was dumped from: its build-id is "
						"%s, the process ran %s with build-id %s; give "
						"the matching executable, or none",
						candidates[c], t->core_path,
						have_len ? hh : "(none)", f->path, wh);
				} else if (strcmp(candidates[c], f->path) == 0) {
					f->state = MAPPED_FILE_MISMATCH;
				}
				continue;
			}
			f->data = data;
			f->size = size;
			f->used_path = strdup(candidates[c]);
			if (!f->used_path)
				err = pyx_error_no_memory();
			else
				f->state = MAPPED_FILE_OK;
		}
		for (size_t c = 0; c < ncand; c++)
			free(candidates[c]);
		if (err)
			return err;
		if (f->state == MAPPED_FILE_OK || !want_len)
			continue; /* non-ELF files (locale archives ...) matter little */
		char idhex[2 * MAX_BUILD_ID + 1];
		hex(want, want_len, idhex);
		const char *where = t->sysroot || t->nlib_dirs
			? " (looked under the sysroot and in the library search path too)" : "";
		if (f->state == MAPPED_FILE_MISMATCH)
			PYX_TRY(target_add_warning(t,
				"%s differs from the file the crashed process mapped "
				"(build-id %s)%s: its read-only data is not used; "
				"put the matching file there, or give a sysroot or "
				"library search path holding it",
				f->path, idhex, where));
		else
			PYX_TRY(target_add_warning(t,
				"%s (build-id %s), mapped by the process, is missing%s: "
				"memory the core left out of it (read-only data such as "
				"type names) cannot be read; give a sysroot or library "
				"search path holding it",
				f->path, idhex, where));
	}
	return NULL;
}

const char *target_core_file(const struct pyx_target *t, const char *path)
{
	if (t->kind != TARGET_CORE || !path)
		return NULL;
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].state == MAPPED_FILE_OK && strcmp(t->files[i].path, path) == 0)
			return t->files[i].used_path;
	return NULL;
}

/* ---- compressed cores ------------------------------------------------- */

/* An unnamed file in $TMPDIR (or /tmp), gone when closed. */
static int unnamed_temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	char path[4096];
	snprintf(path, sizeof(path), "%s/pyxray-core-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

enum { INFLATE_CHUNK = 1 << 20 };

static struct pyx_error *gunzip_to(int in, int out, const char *path)
{
	int dup_in = dup(in);
	gzFile gz = dup_in >= 0 ? gzdopen(dup_in, "rb") : NULL;
	if (!gz) {
		if (dup_in >= 0)
			close(dup_in);
		return pyx_error_no_memory();
	}
	gzbuffer(gz, INFLATE_CHUNK);
	uint8_t *buf = malloc(INFLATE_CHUNK);
	struct pyx_error *err = buf ? NULL : pyx_error_no_memory();
	while (!err) {
		int n = gzread(gz, buf, INFLATE_CHUNK);
		if (n == 0)
			break;
		if (n < 0) {
			int code;
			const char *msg = gzerror(gz, &code);
			err = pyx_error_create(PYX_ERR_BAD_CORE, "%s: cannot decompress "
				"it (gzip): %s", path, msg ? msg : "?");
		} else if (!write_all(out, buf, (size_t)n)) {
			err = pyx_error_os(errno, "cannot decompress %s into a temporary "
				"file (set TMPDIR to a disk with room): %s", path,
				strerror(errno));
		}
	}
	/* A stream cut short reads as a clean end in gzread: ask. */
	if (!err) {
		int code;
		const char *msg = gzerror(gz, &code);
		if (code != Z_OK && code != Z_STREAM_END)
			err = pyx_error_create(PYX_ERR_BAD_CORE, "%s: the gzip stream is "
				"damaged or truncated: %s", path, msg ? msg : "?");
	}
	free(buf);
	gzclose(gz);
	return err;
}

static struct pyx_error *unzstd_to(int in, int out, const char *path)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
	uint8_t *ibuf = malloc(in_cap), *obuf = malloc(out_cap);
	struct pyx_error *err = z && ibuf && obuf ? NULL : pyx_error_no_memory();
	size_t last = 0;
	bool any = false;
	while (!err) {
		ssize_t n = read(in, ibuf, in_cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = pyx_error_os(errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		any = true;
		ZSTD_inBuffer ib = { ibuf, (size_t)n, 0 };
		while (!err && ib.pos < ib.size) {
			ZSTD_outBuffer ob = { obuf, out_cap, 0 };
			last = ZSTD_decompressStream(z, &ob, &ib);
			if (ZSTD_isError(last))
				err = pyx_error_create(PYX_ERR_BAD_CORE, "%s: cannot "
					"decompress it (zstd): %s", path,
					ZSTD_getErrorName(last));
			else if (!write_all(out, obuf, ob.pos))
				err = pyx_error_os(errno, "cannot decompress %s into a "
					"temporary file (set TMPDIR to a disk with room): %s",
					path, strerror(errno));
		}
	}
	if (!err && (!any || last != 0))
		err = pyx_error_create(PYX_ERR_BAD_CORE, "%s: the zstd stream is "
				       "truncated", path);
	ZSTD_freeDStream(z);
	free(ibuf);
	free(obuf);
	return err;
}

/* If fd holds a compressed core, replace it by a decompressed copy. */
static struct pyx_error *decompress_core(struct pyx_target *t, const char *path)
{
	uint8_t magic[4] = { 0 };
	ssize_t n = pread(t->core_fd, magic, sizeof(magic), 0);
	bool gz = n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	bool zst = n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 &&
		   magic[2] == 0x2f && magic[3] == 0xfd;
	if (!gz && !zst)
		return NULL;
	t->compression = gz ? "gzip" : "zstd";
	int out = unnamed_temp_file();
	if (out < 0)
		return pyx_error_os(errno, "cannot make a temporary file to "
				    "decompress %s into (set TMPDIR): %s", path,
				    strerror(errno));
	if (lseek(t->core_fd, 0, SEEK_SET) < 0) {
		close(out);
		return pyx_error_os(errno, "%s: %s", path, strerror(errno));
	}
	struct pyx_error *err = gz ? gunzip_to(t->core_fd, out, path)
				   : unzstd_to(t->core_fd, out, path);
	if (err) {
		close(out);
		return err;
	}
	close(t->core_fd);
	t->core_fd = out;
	return NULL;
}

static struct pyx_error *parse_nt_file(struct pyx_target *t, const uint8_t *desc,
				       size_t size)
{
	if (size < 16)
		return NULL;
	uint64_t count, page_size;
	memcpy(&count, desc, 8);
	memcpy(&page_size, desc + 8, 8);
	if (count > (size - 16) / 24 || page_size == 0 || page_size > (1u << 30))
		return NULL;
	const uint8_t *names = desc + 16 + count * 24;
	const uint8_t *end = desc + size;
	t->mappings = calloc(count ? count : 1, sizeof(*t->mappings));
	t->files = calloc(count ? count : 1, sizeof(*t->files));
	if (!t->mappings || !t->files)
		return pyx_error_no_memory();
	for (uint64_t i = 0; i < count; i++) {
		uint64_t v[3];
		memcpy(v, desc + 16 + i * 24, 24);
		const uint8_t *nul = names < end ? memchr(names, 0, (size_t)(end - names)) : NULL;
		if (!nul)
			break;
		const char *name = (const char *)names;
		names = nul + 1;
		struct mapped_file *f = NULL;
		for (size_t j = 0; j < t->nfiles; j++) {
			if (strcmp(t->files[j].path, name) == 0) {
				f = &t->files[j];
				break;
			}
		}
		if (!f) {
			f = &t->files[t->nfiles++];
			f->path = strdup(name);
			if (!f->path)
				return pyx_error_no_memory();
		}
		struct file_mapping *m = &t->mappings[t->nmappings++];
		m->start = v[0];
		m->end = v[1];
		m->offset = v[2] * page_size;
		m->file = f;
	}
	qsort(t->mappings, t->nmappings, sizeof(*t->mappings), cmp_mapping);
	return NULL;
}

static bool is_crash_signal(int sig)
{
	switch (sig) {
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT:
	case SIGQUIT: case SIGSYS: case SIGXCPU: case SIGXFSZ:
		return true;
	}
	return false;
}

static struct pyx_error *parse_notes(struct pyx_target *t, const GElf_Phdr *ph,
				     uint64_t *at_phdr)
{
	Elf_Data *data = elf_getdata_rawchunk(t->core_elf, (int64_t)ph->p_offset,
					      ph->p_filesz, ELF_T_NHDR);
	if (!data) {
		t->notes_missing = true;
		return target_add_warning(t, "%s: the note segment is unreadable "
					  "(truncated core?): threads and mapped "
					  "files are unknown", t->core_path);
	}
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	bool have_siginfo = false;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;
		const char *name = (const char *)data->d_buf + name_off;
		if (nh.n_namesz != 5 || memcmp(name, "CORE", 5) != 0) {
			if (!(nh.n_namesz == 6 && memcmp(name, "LINUX", 6) == 0))
				continue;
		}
		switch (nh.n_type) {
		case NT_PRSTATUS: {
			struct elf_prstatus pr;
			if (nh.n_descsz < sizeof(pr))
				break;
			memcpy(&pr, desc, sizeof(pr));
			struct target_thread *th = realloc(t->threads,
				(t->nthreads + 1) * sizeof(*th));
			if (!th)
				return pyx_error_no_memory();
			t->threads = th;
			th[t->nthreads].tid = pr.pr_pid;
			th[t->nthreads].signo = pr.pr_cursig;
			th[t->nthreads].sp = pr.pr_reg[RSP];
			if (!t->pid)
				t->pid = pr.pr_pid;
			t->nthreads++;
			break;
		}
		case NT_PRPSINFO: {
			struct elf_prpsinfo ps;
			if (nh.n_descsz >= sizeof(ps)) {
				memcpy(&ps, desc, sizeof(ps));
				t->pid = ps.pr_pid;
			}
			break;
		}
		case NT_SIGINFO: {
			siginfo_t si;
			if (nh.n_descsz < sizeof(si) || have_siginfo)
				break;
			memcpy(&si, desc, sizeof(si));
			have_siginfo = true;
			if (is_crash_signal(si.si_signo)) {
				t->crash.signo = si.si_signo;
				if (si.si_signo == SIGSEGV || si.si_signo == SIGBUS ||
				    si.si_signo == SIGILL || si.si_signo == SIGFPE) {
					t->crash.has_address = true;
					t->crash.address = (uint64_t)(uintptr_t)si.si_addr;
				}
			}
			break;
		}
		case NT_FILE:
			if (!t->mappings)
				PYX_TRY(parse_nt_file(t, desc, nh.n_descsz));
			break;
		case NT_AUXV:
			for (size_t i = 0; i + 16 <= nh.n_descsz; i += 16) {
				uint64_t k, v;
				memcpy(&k, desc + i, 8);
				memcpy(&v, desc + i + 8, 8);
				if (k == AT_PHDR)
					*at_phdr = v;
			}
			break;
		}
	}
	/* The kernel writes the thread that took the signal first. */
	if (!have_siginfo && t->nthreads && is_crash_signal(t->threads[0].signo))
		t->crash.signo = t->threads[0].signo;
	if (t->crash.signo && t->nthreads)
		t->crash.tid = t->threads[0].tid;
	return NULL;
}

static struct pyx_error *take_options(struct pyx_target *t,
				      const struct pyx_core_options *opts)
{
	if (!opts)
		return NULL;
	if (opts->sysroot && *opts->sysroot) {
		size_t n = strlen(opts->sysroot);
		while (n > 1 && opts->sysroot[n - 1] == '/')
			n--;
		t->sysroot = strndup(opts->sysroot, n);
		if (!t->sysroot)
			return pyx_error_no_memory();
		if (strcmp(t->sysroot, "/") == 0) {
			free(t->sysroot);
			t->sysroot = NULL;
		}
	}
	const char *p = opts->lib_search_path;
	while (p && *p) {
		size_t n = strcspn(p, ":");
		if (n) {
			char **v = realloc(t->lib_dirs, (t->nlib_dirs + 1) * sizeof(*v));
			if (!v)
				return pyx_error_no_memory();
			t->lib_dirs = v;
			v[t->nlib_dirs] = strndup(p, n);
			if (!v[t->nlib_dirs])
				return pyx_error_no_memory();
			t->nlib_dirs++;
		}
		p += n + (p[n] == ':');
	}
	return NULL;
}

struct pyx_error *target_core_open(struct pyx_target *t, const char *path,
				   const struct pyx_core_options *opts)
{
	core_elf_init();
	const char *executable = opts && opts->executable && *opts->executable
		? opts->executable : NULL;
	PYX_TRY(take_options(t, opts));
	t->core_path = strdup(path);
	if (!t->core_path)
		return pyx_error_no_memory();
	t->core_fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (t->core_fd < 0)
		return pyx_error_os(errno, "cannot open core file %s: %s", path,
				    strerror(errno));
	PYX_TRY(decompress_core(t, path));
	struct stat st;
	if (fstat(t->core_fd, &st) < 0)
		return pyx_error_os(errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr))
		return pyx_error_create(PYX_ERR_BAD_CORE,
					"%s is not a core file (too small)", path);
	t->core_size = (size_t)st.st_size;
	void *p = mmap(NULL, t->core_size, PROT_READ, MAP_PRIVATE, t->core_fd, 0);
	if (p == MAP_FAILED)
		return pyx_error_os(errno, "cannot map %s: %s", path, strerror(errno));
	t->core_data = p;
	t->core_elf = elf_memory((char *)t->core_data, t->core_size);
	GElf_Ehdr eh;
	if (!t->core_elf || elf_kind(t->core_elf) != ELF_K_ELF ||
	    !gelf_getehdr(t->core_elf, &eh))
		return pyx_error_create(PYX_ERR_BAD_CORE,
					"%s is not an ELF file", path);
	if (eh.e_type != ET_CORE)
		return pyx_error_create(PYX_ERR_BAD_CORE,
					"%s is an ELF file but not a core file "
					"(pass the core, not the executable)", path);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return pyx_error_create(PYX_ERR_BAD_CORE,
					"%s: only x86-64 cores are supported", path);
	/* elf_getphdrnum() counts only the headers that fit in the file:
	 * compare what the header promises. */
	size_t phnum;
	if (elf_getphdrnum(t->core_elf, &phnum) != 0 ||
	    (eh.e_phnum != PN_XNUM && phnum != eh.e_phnum) ||
	    eh.e_phoff + (uint64_t)phnum * eh.e_phentsize > t->core_size)
		return pyx_error_create(PYX_ERR_BAD_CORE,
					"%s is truncated before its program headers",
					path);
	t->segments = calloc(phnum ? phnum : 1, sizeof(*t->segments));
	if (!t->segments)
		return pyx_error_no_memory();
	uint64_t missing = 0, at_phdr = 0;
	bool have_notes = false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(t->core_elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_NOTE) {
			have_notes = true;
			if (ph.p_offset + ph.p_filesz > t->core_size ||
			    ph.p_offset + ph.p_filesz < ph.p_offset) {
				t->notes_missing = true;
				PYX_TRY(target_add_warning(t, "%s is truncated in its "
					"notes: threads and mapped files are unknown", path));
			} else
				PYX_TRY(parse_notes(t, &ph, &at_phdr));
		} else if (ph.p_type == PT_LOAD) {
			struct core_segment *s = &t->segments[t->nsegments++];
			s->vaddr = ph.p_vaddr;
			s->memsz = ph.p_memsz;
			s->offset = ph.p_offset;
			s->filesz = ph.p_filesz;
			s->flags = ph.p_flags;
			if (s->filesz > s->memsz)
				s->filesz = s->memsz;
			if (s->offset >= t->core_size) {
				missing += s->filesz;
				s->filesz = 0;
			} else if (s->filesz > t->core_size - s->offset) {
				missing += s->filesz - (t->core_size - s->offset);
				s->filesz = t->core_size - s->offset;
			}
		}
	}
	if (!have_notes) {
		t->notes_missing = true;
		PYX_TRY(target_add_warning(t, "%s has no notes: threads and "
					   "mapped files are unknown", path));
	}
	t->missing_bytes = missing;
	if (missing)
		PYX_TRY(target_add_warning(t, "%s is truncated: %llu bytes of "
			"memory are missing (was the disk full, or ulimit -c too "
			"small?); reads there fail", path,
			(unsigned long long)missing));
	qsort(t->segments, t->nsegments, sizeof(*t->segments), cmp_segment);

	/* The executable is the file mapped where the program headers are. */
	for (size_t i = 0; i < t->nmappings && at_phdr; i++) {
		if (at_phdr >= t->mappings[i].start && at_phdr < t->mappings[i].end) {
			t->exe_path = strdup(t->mappings[i].file->path);
			break;
		}
	}
	PYX_TRY(check_files(t, executable));
	if (executable && !t->exe_path)
		t->exe_path = strdup(executable);
	return NULL;
}

void target_core_close(struct pyx_target *t)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		free(t->files[i].path);
		free(t->files[i].used_path);
		if (t->files[i].data)
			munmap((void *)t->files[i].data, t->files[i].size);
	}
	free(t->files);
	free(t->mappings);
	free(t->segments);
	free(t->threads);
	free(t->sysroot);
	for (size_t i = 0; i < t->nlib_dirs; i++)
		free(t->lib_dirs[i]);
	free(t->lib_dirs);
	if (t->core_elf)
		elf_end(t->core_elf);
	if (t->core_data && t->image)
		free((void *)t->core_data);
	else if (t->core_data)
		munmap((void *)t->core_data, t->core_size);
	if (t->core_fd >= 0)
		close(t->core_fd);
	free(t->core_path);
}
