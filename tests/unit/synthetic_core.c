/* synthetic_core.c - see synthetic_core.h. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synthetic_core.h"

#define PAGE 4096u

/* The kernel's x86-64 note layouts (struct elf_prstatus, elf_prpsinfo,
 * siginfo_t), by offset. */
#define PRSTATUS_SIZE 336
#define PRSTATUS_CURSIG 12
#define PRSTATUS_PID 32
#define PRSTATUS_PPID 36
#define PRPSINFO_SIZE 136
#define PRPSINFO_PID 24
#define PRPSINFO_FNAME 40
#define SIGINFO_SIZE 128
#define SIGINFO_SIGNO 0
#define SIGINFO_CODE 8
#define SIGINFO_ADDR 16

/* ---- a growable byte buffer ---------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void buf_reserve(struct buf *b, size_t n)
{
	if (b->failed || b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void buf_put(struct buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	if (b->failed)
		return;
	if (data)
		memcpy(b->p + b->len, data, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
}

static void buf_pad(struct buf *b, size_t align)
{
	size_t n = (align - b->len % align) % align;
	buf_put(b, NULL, n);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* One note: header, name and descriptor, each padded to 4 bytes. */
static void put_note(struct buf *b, const char *name, uint32_t type,
		     const void *desc, size_t descsz)
{
	Elf64_Nhdr nh = {
		.n_namesz = (Elf64_Word)strlen(name) + 1,
		.n_descsz = (Elf64_Word)descsz,
		.n_type = type,
	};
	buf_put(b, &nh, sizeof(nh));
	buf_put(b, name, nh.n_namesz);
	buf_pad(b, 4);
	buf_put(b, desc, descsz);
	buf_pad(b, 4);
}

static void put_prstatus(struct buf *b, const struct sc_thread *th, int ppid)
{
	uint8_t d[PRSTATUS_SIZE] = {0};
	put_u16(d + PRSTATUS_CURSIG, (uint16_t)th->cursig);
	put_u32(d + PRSTATUS_PID, (uint32_t)th->tid);
	put_u32(d + PRSTATUS_PPID, (uint32_t)ppid);
	put_note(b, "CORE", NT_PRSTATUS, d, sizeof(d));
}

static void put_prpsinfo(struct buf *b, int pid)
{
	uint8_t d[PRPSINFO_SIZE] = {0};
	put_u32(d + PRPSINFO_PID, (uint32_t)pid);
	memcpy(d + PRPSINFO_FNAME, "python3", 7);
	put_note(b, "CORE", NT_PRPSINFO, d, sizeof(d));
}

static void put_siginfo(struct buf *b, int signo, uint64_t addr)
{
	uint8_t d[SIGINFO_SIZE] = {0};
	put_u32(d + SIGINFO_SIGNO, (uint32_t)signo);
	put_u32(d + SIGINFO_CODE, 1); /* SEGV_MAPERR */
	put_u64(d + SIGINFO_ADDR, addr);
	put_note(b, "CORE", NT_SIGINFO, d, sizeof(d));
}

static void put_auxv(struct buf *b, const uint64_t *pairs, size_t n)
{
	size_t size = (n + 1) * 16;
	uint8_t *d = calloc(1, size);
	if (!d) {
		b->failed = true;
		return;
	}
	memcpy(d, pairs, n * 16);
	put_note(b, "CORE", NT_AUXV, d, size); /* ends with AT_NULL */
	free(d);
}

/* NT_FILE: count, page size, count * (start, end, pgoff), then names. */
static void put_nt_file(struct buf *b, const struct sc_file_map *f, size_t n)
{
	struct buf d = {0};
	uint8_t w[24];
	put_u64(w, n);
	put_u64(w + 8, PAGE);
	buf_put(&d, w, 16);
	for (size_t i = 0; i < n; i++) {
		put_u64(w, f[i].start);
		put_u64(w + 8, f[i].end);
		put_u64(w + 16, f[i].pgoff);
		buf_put(&d, w, 24);
	}
	for (size_t i = 0; i < n; i++)
		buf_put(&d, f[i].path, strlen(f[i].path) + 1);
	if (d.failed)
		b->failed = true;
	else
		put_note(b, "CORE", NT_FILE, d.p, d.len);
	free(d.p);
}

static void put_notes(struct buf *b, const struct sc_core *c)
{
	for (size_t i = 0; i < c->nthreads; i++) {
		put_prstatus(b, &c->threads[i], 1);
		if (i > 0)
			continue;
		/* The kernel writes the process-wide notes after the first
		 * thread's status. */
		if (c->prpsinfo_pid)
			put_prpsinfo(b, c->prpsinfo_pid);
		if (c->has_siginfo)
			put_siginfo(b, c->siginfo_signo, c->siginfo_addr);
		if (c->nauxv)
			put_auxv(b, c->auxv, c->nauxv);
		if (c->nfiles)
			put_nt_file(b, c->files, c->nfiles);
	}
	if (!c->nthreads) {
		if (c->has_siginfo)
			put_siginfo(b, c->siginfo_signo, c->siginfo_addr);
		if (c->nauxv)
			put_auxv(b, c->auxv, c->nauxv);
		if (c->nfiles)
			put_nt_file(b, c->files, c->nfiles);
	}
	for (size_t i = 0; i < c->nextra; i++)
		put_note(b, c->extra[i].name, c->extra[i].type, c->extra[i].desc,
			 c->extra[i].descsz);
}

static void init_ehdr(Elf64_Ehdr *eh, uint16_t type, uint16_t phnum)
{
	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = phnum ? sizeof(Elf64_Ehdr) : 0;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = phnum;
	eh->e_shentsize = sizeof(Elf64_Shdr);
}

int sc_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = n ? fwrite(data, 1, n, f) : 0;
	int err = ferror(f);
	if (fclose(f) != 0 || w != n || err) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

int sc_write_core(const char *path, const struct sc_core *c)
{
	struct buf notes = {0};
	put_notes(&notes, c);
	size_t phnum = 1 + c->nsegments;
	size_t notes_off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	size_t data_off = (notes_off + notes.len + PAGE - 1) / PAGE * PAGE;

	struct buf out = {0};
	Elf64_Ehdr eh;
	init_ehdr(&eh, ET_CORE, (uint16_t)phnum);
	buf_put(&out, &eh, sizeof(eh));
	Elf64_Phdr ph = {
		.p_type = PT_NOTE,
		.p_offset = notes_off,
		.p_filesz = notes.len,
		.p_align = 4,
	};
	buf_put(&out, &ph, sizeof(ph));
	size_t off = data_off;
	for (size_t i = 0; i < c->nsegments; i++) {
		const struct sc_segment *s = &c->segments[i];
		memset(&ph, 0, sizeof(ph));
		ph.p_type = PT_LOAD;
		ph.p_flags = PF_R | PF_W;
		ph.p_offset = off;
		ph.p_vaddr = s->vaddr;
		ph.p_filesz = s->filesz;
		ph.p_memsz = s->memsz ? s->memsz : s->filesz;
		ph.p_align = PAGE;
		buf_put(&out, &ph, sizeof(ph));
		off += (s->filesz + PAGE - 1) / PAGE * PAGE;
	}
	buf_put(&out, notes.p, notes.len);
	free(notes.p);
	if (notes.failed)
		out.failed = true;
	buf_pad(&out, PAGE);
	for (size_t i = 0; i < c->nsegments; i++) {
		buf_put(&out, c->segments[i].data, c->segments[i].filesz);
		buf_pad(&out, PAGE);
	}
	int rc = -1;
	if (out.failed)
		errno = ENOMEM;
	else
		rc = sc_write_file(path, out.p, out.len);
	free(out.p);
	return rc;
}

uint8_t *sc_elf_image(const struct sc_elf *e, size_t *size)
{
	const size_t phoff = sizeof(Elf64_Ehdr);
	const size_t note_off = phoff + 2 * sizeof(Elf64_Phdr);
	size_t note_len = 0;
	if (e->build_id)
		note_len = sizeof(Elf64_Nhdr) + 4 + (e->build_id_len + 3) / 4 * 4;
	size_t n = note_off + note_len;
	if (e->data && e->data_offset + e->data_len > n)
		n = e->data_offset + e->data_len;
	if (e->size > n)
		n = e->size;
	uint8_t *img = calloc(1, n);
	if (!img)
		return NULL;

	uint16_t phnum = e->build_id ? 2 : 1;
	Elf64_Ehdr eh;
	init_ehdr(&eh, e->type ? e->type : ET_DYN, phnum);
	memcpy(img, &eh, sizeof(eh));
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0, .p_vaddr = 0,
		  .p_filesz = n, .p_memsz = n, .p_align = PAGE },
		{ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = note_off,
		  .p_vaddr = note_off, .p_filesz = note_len, .p_memsz = note_len,
		  .p_align = 4 },
	};
	memcpy(img + phoff, ph, phnum * sizeof(Elf64_Phdr));
	if (e->build_id) {
		struct buf b = {0};
		put_note(&b, "GNU", NT_GNU_BUILD_ID, e->build_id, e->build_id_len);
		if (b.failed || b.len != note_len) {
			free(b.p);
			free(img);
			return NULL;
		}
		memcpy(img + note_off, b.p, b.len);
		free(b.p);
	}
	if (e->data)
		memcpy(img + e->data_offset, e->data, e->data_len);
	*size = n;
	return img;
}

int sc_write_elf(const char *path, const struct sc_elf *e)
{
	size_t n;
	uint8_t *img = sc_elf_image(e, &n);
	if (!img) {
		errno = ENOMEM;
		return -1;
	}
	int rc = sc_write_file(path, img, n);
	free(img);
	return rc;
}

char *sc_tempdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/pyx-unit-XXXXXX", base && *base ? base : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(tmpl)) {
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

char *sc_path(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

void sc_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char *p = sc_path(dir, de->d_name);
			if (p)
				unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
}
