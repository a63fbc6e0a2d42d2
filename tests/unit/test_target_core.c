/* test_target_core.c - pyx_target on synthetic core files: segments,
 * NT_FILE files checked by build-id, threads and crash info, truncated
 * and malformed cores. */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "synthetic_core.h"
#include "target/target.h"

static char *tmpdir;

/* A path in the test's directory; the caller frees it. */
static char *tmp(const char *name)
{
	char *p = sc_path(tmpdir, name);
	if (!p)
		abort();
	return p;
}

/* Fill n bytes with a pattern that tells addresses apart. */
static void pattern(uint8_t *p, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t a = base + i;
		p[i] = (uint8_t)(a ^ (a >> 8) ^ (a >> 16) ^ 0x5a);
	}
}

static bool is_pattern(const uint8_t *p, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t a = base + i;
		if (p[i] != (uint8_t)(a ^ (a >> 8) ^ (a >> 16) ^ 0x5a))
			return false;
	}
	return true;
}

/* Open a core that must open; NULL (and a failed check) otherwise. */
static struct pyx_target *open_core(const char *path, const char *exe)
{
	struct pyx_target *t = NULL;
	struct pyx_core_options opts = { .executable = exe };
	if (!CHECK_OK(pyx_target_create_core(path, &opts, &t)))
		return NULL;
	return t;
}

static void print_warnings(const struct pyx_target *t)
{
	for (size_t i = 0; i < pyx_target_num_warnings(t); i++)
		printf("    warning: %s\n", pyx_target_warning(t, i));
}

/* Is there a warning containing a and b (if not NULL)?  Prints them all
 * when there is not. */
static bool has_warning(const struct pyx_target *t, const char *a, const char *b)
{
	for (size_t i = 0; i < pyx_target_num_warnings(t); i++) {
		const char *w = pyx_target_warning(t, i);
		if (strstr(w, a) && (!b || strstr(w, b)))
			return true;
	}
	print_warnings(t);
	return false;
}

/* The target has exactly n warnings (printed when it has not). */
#define CHECK_WARNINGS(t, n) do {                            \
	if (!CHECK_EQ_INT(pyx_target_num_warnings(t), (n)))  \
		print_warnings(t);                           \
} while (0)

/* Reading len bytes at addr must fail with a fault at fault_addr. */
static void check_fault(struct pyx_target *t, uint64_t addr, size_t len,
			uint64_t fault_addr)
{
	uint8_t *buf = malloc(len ? len : 1);
	struct pyx_error *err = CHECK_ERR(pyx_target_read(t, addr, buf, len),
					  PYX_ERR_FAULT);
	if (err)
		CHECK_EQ_U64(pyx_error_address(err), fault_addr);
	pyx_error_destroy(err);
	free(buf);
}

/* ---- segments ------------------------------------------------------------ */

#define SEG_A 0x400000ull  /* 2 pages */
#define SEG_B 0x402000ull  /* 1 page, right after A */
#define SEG_C 0x7ffc0000ull /* 1 page, alone */
#define SEG_D 0x7ffd0000ull /* 1 page of 'x', alone */

static char *write_four_segments(uint8_t *a, uint8_t *b, uint8_t *c, uint8_t *d)
{
	pattern(a, 0x2000, SEG_A);
	pattern(b, 0x1000, SEG_B);
	pattern(c, 0x1000, SEG_C);
	memcpy(c + 0xffc, "abc", 4); /* a C string that ends with the segment */
	memset(d, 'x', 0x1000);      /* one that runs off its end */
	/* Out of address order on purpose: the reader sorts them. */
	const struct sc_segment segs[] = {
		{ SEG_C, c, 0x1000, 0 },
		{ SEG_D, d, 0x1000, 0 },
		{ SEG_B, b, 0x1000, 0 },
		{ SEG_A, a, 0x2000, 0 },
	};
	const struct sc_thread th[] = { { 4242, 0 } };
	struct sc_core core = {
		.segments = segs, .nsegments = 4,
		.threads = th, .nthreads = 1,
	};
	char *path = tmp("segments.core");
	CHECK_EQ_INT(sc_write_core(path, &core), 0);
	return path;
}

static void test_segment_reads(void)
{
	static uint8_t a[0x2000], b[0x1000], c[0x1000], d[0x1000];
	char *path = write_four_segments(a, b, c, d);
	struct pyx_target *t = open_core(path, NULL);
	free(path);
	if (!t)
		return;
	CHECK(!pyx_target_is_live(t));
	CHECK_EQ_INT(pyx_target_pid(t), 4242);
	CHECK_WARNINGS(t, 0);

	uint8_t buf[0x3000];
	/* Inside one segment, at its start and in the middle. */
	CHECK_OK(pyx_target_read(t, SEG_A, buf, 16));
	CHECK(memcmp(buf, a, 16) == 0);
	CHECK_OK(pyx_target_read(t, SEG_A + 0x1234, buf, 100));
	CHECK(is_pattern(buf, 100, SEG_A + 0x1234));
	/* Across the page boundary inside A, and across A and B. */
	CHECK_OK(pyx_target_read(t, SEG_A + 0xff0, buf, 0x20));
	CHECK(is_pattern(buf, 0x20, SEG_A + 0xff0));
	CHECK_OK(pyx_target_read(t, SEG_B - 8, buf, 16));
	CHECK(is_pattern(buf, 16, SEG_B - 8));
	CHECK_OK(pyx_target_read(t, SEG_A, buf, 0x3000));
	CHECK(is_pattern(buf, 0x3000, SEG_A));
	/* The last byte of C, and a C string ending with the segment. */
	CHECK_OK(pyx_target_read(t, SEG_C + 0xfff, buf, 1));
	CHECK_EQ_INT(buf[0], 0);
	char *s = NULL;
	if (CHECK_OK(target_read_cstr(t, SEG_C + 0xffc, 64, &s)))
		CHECK_STR_EQ(s, "abc");
	free(s);
	/* Zero bytes anywhere is fine. */
	CHECK_OK(pyx_target_read(t, 0x1234, buf, 0));

	/* Unmapped: before, between, after, and spanning out of a segment. */
	check_fault(t, 0x1000, 8, 0x1000);
	check_fault(t, SEG_B + 0x1000, 8, SEG_B + 0x1000);
	check_fault(t, SEG_B + 0xffc, 8, SEG_B + 0x1000);
	check_fault(t, SEG_A - 4, 8, SEG_A - 4);
	check_fault(t, SEG_C + 0x1000, 1, SEG_C + 0x1000);
	check_fault(t, 0xffffffffffff0000ull, 16, 0xffffffffffff0000ull);
	/* A range that wraps around the address space. */
	check_fault(t, UINT64_MAX - 3, 8, UINT64_MAX - 3);
	/* The string running off the end of its segment is cut, not read on. */
	char *s2 = NULL;
	struct pyx_error *err = CHECK_ERR(target_read_cstr(t, SEG_D + 0xff0, 64, &s2),
					  PYX_ERR_FAULT);
	if (err)
		CHECK_EQ_U64(pyx_error_address(err), SEG_D + 0x1000);
	else
		free(s2);
	pyx_error_destroy(err);
	/* At most max bytes are read: no fault when the limit comes first. */
	if (CHECK_OK(target_read_cstr(t, SEG_D + 0xff0, 16, &s2)))
		CHECK_STR_EQ(s2, "xxxxxxxxxxxxxxxx");
	free(s2);
	pyx_target_destroy(t);
}

/* ---- threads and crash info ---------------------------------------------- */

static struct pyx_target *core_with_threads(const char *name,
					    const struct sc_thread *th, size_t n,
					    bool siginfo, int signo, uint64_t addr,
					    int prpsinfo_pid)
{
	static uint8_t page[0x1000];
	const struct sc_segment segs[] = { { 0x10000, page, sizeof(page), 0 } };
	struct sc_core core = {
		.segments = segs, .nsegments = 1,
		.threads = th, .nthreads = n,
		.has_siginfo = siginfo, .siginfo_signo = signo, .siginfo_addr = addr,
		.prpsinfo_pid = prpsinfo_pid,
	};
	char *path = tmp(name);
	CHECK_EQ_INT(sc_write_core(path, &core), 0);
	struct pyx_target *t = open_core(path, NULL);
	free(path);
	return t;
}

static void test_threads_and_siginfo(void)
{
	/* The thread that took the signal is written first. */
	const struct sc_thread th[] = {
		{ 1003, SIGSEGV }, { 1000, 0 }, { 1001, 0 }, { 1002, 0 },
	};
	struct pyx_target *t = core_with_threads("threads.core", th, 4, true,
						 SIGSEGV, 0xdead0000beefull, 1000);
	if (!t)
		return;
	int *tids = NULL;
	size_t n = 0;
	if (CHECK_OK(target_thread_ids(t, &tids, &n))) {
		CHECK_EQ_INT(n, 4);
		for (size_t i = 0; i < n && i < 4; i++)
			CHECK_EQ_INT(tids[i], th[i].tid);
	}
	free(tids);
	/* The process id is the one NT_PRPSINFO names. */
	CHECK_EQ_INT(pyx_target_pid(t), 1000);
	struct pyx_crash_info ci;
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, SIGSEGV);
	CHECK_EQ_INT(ci.tid, 1003);
	CHECK(ci.has_address);
	CHECK_EQ_U64(ci.address, 0xdead0000beefull);
	pyx_target_destroy(t);
}

static void test_crash_without_siginfo(void)
{
	const struct sc_thread th[] = { { 77, SIGABRT }, { 78, 0 } };
	struct pyx_target *t = core_with_threads("abort.core", th, 2, false, 0, 0, 0);
	if (!t)
		return;
	struct pyx_crash_info ci;
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, SIGABRT);
	CHECK_EQ_INT(ci.tid, 77);
	CHECK(!ci.has_address);
	CHECK_EQ_INT(pyx_target_pid(t), 77);
	pyx_target_destroy(t);
}

static void test_abort_siginfo_has_no_address(void)
{
	const struct sc_thread th[] = { { 90, SIGABRT } };
	struct pyx_target *t = core_with_threads("abort2.core", th, 1, true,
						 SIGABRT, 0x1234, 0);
	if (!t)
		return;
	struct pyx_crash_info ci;
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, SIGABRT);
	CHECK_EQ_INT(ci.tid, 90);
	CHECK(!ci.has_address);
	pyx_target_destroy(t);
}

static void test_no_crash(void)
{
	/* gcore of a running process: no signal. */
	const struct sc_thread th[] = { { 500, 0 }, { 501, 0 } };
	struct pyx_target *t = core_with_threads("gcore.core", th, 2, false, 0, 0, 500);
	if (!t)
		return;
	struct pyx_crash_info ci;
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, 0);
	CHECK_EQ_INT(ci.tid, 0);
	CHECK(!ci.has_address);
	pyx_target_destroy(t);
}

/* ---- NT_FILE and build-ids ----------------------------------------------- */

#define MAP_START 0x7f1234560000ull
#define MAP_SIZE 0x3000ull           /* the file's 3 pages */
#define DATA_OFF 0x2100ull           /* file offset of the test data */
static const char file_data[] = "PyLong_Type: int, from .rodata";
static const uint8_t id_x[20] = {
	0x8a, 0x1f, 0x03, 0x77, 0x12, 0x9e, 0x44, 0x01, 0xc0, 0xff,
	0xee, 0x00, 0xba, 0xbe, 0x13, 0x37, 0x42, 0x24, 0x99, 0x17,
};
static const uint8_t id_y[20] = {
	0x8a, 0x1f, 0x03, 0x77, 0x12, 0x9e, 0x44, 0x01, 0xc0, 0xff,
	0xee, 0x00, 0xba, 0xbe, 0x13, 0x37, 0x42, 0x24, 0x99, 0x18,
};

static struct sc_elf lib_elf(const uint8_t *id)
{
	struct sc_elf e = {
		.type = ET_DYN,
		.build_id = id, .build_id_len = 20,
		.data_offset = DATA_OFF, .data = file_data, .data_len = sizeof(file_data),
		.size = MAP_SIZE,
	};
	return e;
}

/* A core whose process mapped the file at MAP_START (3 pages from page 0)
 * and again at MAP_START + 0x10000 (2 pages from page 1).  The core holds
 * the first page, as the kernel writes it with coredump_filter bit 4, and
 * leaves the rest out. */
static char *write_mapping_core(const char *name, const char *mapped_path,
				const uint8_t *core_id)
{
	struct sc_elf e = lib_elf(core_id);
	size_t n;
	uint8_t *img = sc_elf_image(&e, &n);
	if (!img)
		abort();
	CHECK_EQ_INT(n, MAP_SIZE);
	static uint8_t anon[0x1000];
	pattern(anon, sizeof(anon), 0x600000);
	const struct sc_segment segs[] = {
		{ 0x600000, anon, sizeof(anon), 0 },
		{ MAP_START, img, 0x1000, MAP_SIZE },
		{ MAP_START + 0x10000, NULL, 0, 0x2000 },
	};
	const struct sc_file_map files[] = {
		{ MAP_START, MAP_START + MAP_SIZE, 0, mapped_path },
		{ MAP_START + 0x10000, MAP_START + 0x12000, 1, mapped_path },
	};
	const struct sc_thread th[] = { { 321, SIGSEGV } };
	/* AT_PHDR names the executable: the file mapped there. */
	const uint64_t auxv[] = { AT_PAGESZ, 4096, AT_PHDR, MAP_START + 64 };
	struct sc_core core = {
		.segments = segs, .nsegments = 3,
		.threads = th, .nthreads = 1,
		.files = files, .nfiles = 2,
		.auxv = auxv, .nauxv = 2,
	};
	char *path = tmp(name);
	CHECK_EQ_INT(sc_write_core(path, &core), 0);
	free(img);
	return path;
}

static void check_file_reads(struct pyx_target *t)
{
	char buf[sizeof(file_data)];
	/* Left out of the core, read from the file. */
	if (CHECK_OK(pyx_target_read(t, MAP_START + DATA_OFF, buf, sizeof(buf))))
		CHECK_STR_EQ(buf, file_data);
	/* The second mapping starts at file page 1. */
	if (CHECK_OK(pyx_target_read(t, MAP_START + 0x10000 + DATA_OFF - 0x1000,
				     buf, sizeof(buf))))
		CHECK_STR_EQ(buf, file_data);
	/* From the core's first page into the file's second. */
	uint8_t two[32];
	if (CHECK_OK(pyx_target_read(t, MAP_START + 0x1000 - 16, two, sizeof(two))))
		CHECK(two[16] == 0 && two[31] == 0);
	/* The ELF header comes from the core. */
	if (CHECK_OK(pyx_target_read(t, MAP_START, two, 4)))
		CHECK(memcmp(two, ELFMAG, 4) == 0);
	/* Past the mapping: nothing. */
	check_fault(t, MAP_START + MAP_SIZE, 8, MAP_START + MAP_SIZE);
	check_fault(t, MAP_START + MAP_SIZE - 4, 8, MAP_START + MAP_SIZE);
	/* Anonymous memory as usual. */
	CHECK_OK(pyx_target_read(t, 0x600ff0, two, 16));
	CHECK(is_pattern(two, 16, 0x600ff0));
}

static void test_nt_file_matching_build_id(void)
{
	char *lib = tmp("libmatch.so");
	struct sc_elf e = lib_elf(id_x);
	CHECK_EQ_INT(sc_write_elf(lib, &e), 0);
	char *core = write_mapping_core("match.core", lib, id_x);
	struct pyx_target *t = open_core(core, NULL);
	if (t) {
		CHECK_WARNINGS(t, 0);
		check_file_reads(t);
		CHECK_STR_EQ(target_executable(t), lib);
		pyx_target_destroy(t);
	}
	free(core);
	free(lib);
}

static void test_nt_file_different_build_id(void)
{
	char *lib = tmp("libother.so");
	struct sc_elf e = lib_elf(id_y);
	CHECK_EQ_INT(sc_write_elf(lib, &e), 0);
	char *core = write_mapping_core("mismatch.core", lib, id_x);
	struct pyx_target *t = open_core(core, NULL);
	if (t) {
		CHECK_WARNINGS(t, 1);
		CHECK(has_warning(t, lib, "differs"));
		/* The build-id the core wants is named. */
		CHECK(has_warning(t, lib, "8a1f0377129e4401c0ffee00babe133742249917"));
		char buf[8];
		check_fault(t, MAP_START + DATA_OFF, sizeof(buf), MAP_START + DATA_OFF);
		/* Its first page is in the core all the same. */
		CHECK_OK(pyx_target_read(t, MAP_START, buf, 4));
		pyx_target_destroy(t);
	}
	free(core);
	free(lib);
}

static void test_nt_file_missing(void)
{
	char *lib = tmp("libgone.so");
	char *core = write_mapping_core("missing.core", lib, id_x);
	struct pyx_target *t = open_core(core, NULL);
	if (t) {
		CHECK_WARNINGS(t, 1);
		CHECK(has_warning(t, lib, "missing"));
		check_fault(t, MAP_START + DATA_OFF, 8, MAP_START + DATA_OFF);
		pyx_target_destroy(t);
	}
	free(core);
	free(lib);
}

static void test_nt_file_executable_stands_in(void)
{
	/* The named file is gone, but the caller names one with the
	 * build-id the core recorded. */
	char *lib = tmp("libmoved.so");
	char *exe = tmp("found-elsewhere.so");
	struct sc_elf e = lib_elf(id_x);
	CHECK_EQ_INT(sc_write_elf(exe, &e), 0);
	char *core = write_mapping_core("moved.core", lib, id_x);
	struct pyx_target *t = open_core(core, exe);
	if (t) {
		CHECK_WARNINGS(t, 0);
		check_file_reads(t);
		pyx_target_destroy(t);
	}
	/* An executable with another build-id is refused, both build-ids
	 * named: reading the wrong program would only mislead. */
	char *other = tmp("wrong-exe.so");
	e = lib_elf(id_y);
	CHECK_EQ_INT(sc_write_elf(other, &e), 0);
	struct pyx_core_options opts = { .executable = other };
	struct pyx_error *err = CHECK_ERR(pyx_target_create_core(core, &opts, &t),
					  PYX_ERR_BAD_CORE);
	if (err) {
		const char *msg = pyx_error_message(err);
		CHECK(strstr(msg, other) && strstr(msg, lib));
		CHECK(strstr(msg, "8a1f0377129e4401c0ffee00babe133742249917") &&
		      strstr(msg, "8a1f0377129e4401c0ffee00babe133742249918"));
		pyx_error_destroy(err);
	}
	free(other);
	free(core);
	free(exe);
	free(lib);
}

static void test_nt_file_different_file_stands_in(void)
{
	/* The named file differs, the given executable matches. */
	char *lib = tmp("libchanged.so");
	char *exe = tmp("libchanged-original.so");
	struct sc_elf e = lib_elf(id_y);
	CHECK_EQ_INT(sc_write_elf(lib, &e), 0);
	e = lib_elf(id_x);
	CHECK_EQ_INT(sc_write_elf(exe, &e), 0);
	char *core = write_mapping_core("changed.core", lib, id_x);
	struct pyx_target *t = open_core(core, exe);
	if (t) {
		CHECK_WARNINGS(t, 0);
		check_file_reads(t);
		pyx_target_destroy(t);
	}
	free(core);
	free(exe);
	free(lib);
}

/* ---- files elsewhere: a sysroot, a library search path -------------------- */

static void test_sysroot(void)
{
	/* The core names /opt/app/lib/libapp.so; a copy of that machine's
	 * files is under SYSROOT. */
	char *root = tmp("sysroot");
	char *dir;
	CHECK(asprintf(&dir, "%s/opt/app/lib", root) > 0);
	char *cmd;
	CHECK(asprintf(&cmd, "mkdir -p '%s'", dir) > 0);
	CHECK_EQ_INT(system(cmd), 0);
	char *copy;
	CHECK(asprintf(&copy, "%s/libapp.so", dir) > 0);
	struct sc_elf e = lib_elf(id_x);
	CHECK_EQ_INT(sc_write_elf(copy, &e), 0);
	char *core = write_mapping_core("sysroot.core", "/opt/app/lib/libapp.so", id_x);
	struct pyx_core_options opts = { .sysroot = root };
	struct pyx_target *t = NULL;
	if (CHECK_OK(pyx_target_create_core(core, &opts, &t))) {
		CHECK_WARNINGS(t, 0);
		check_file_reads(t);
		CHECK_STR_EQ(target_core_file(t, "/opt/app/lib/libapp.so"), copy);
		CHECK_STR_EQ(target_root(t), root);
		pyx_target_destroy(t);
	}
	/* Without it, the file is missing, and the warning says what to do. */
	t = open_core(core, NULL);
	if (t) {
		CHECK(has_warning(t, "/opt/app/lib/libapp.so", "sysroot"));
		pyx_target_destroy(t);
	}
	/* A copy with another build-id under the sysroot is not used. */
	e = lib_elf(id_y);
	CHECK_EQ_INT(sc_write_elf(copy, &e), 0);
	if (CHECK_OK(pyx_target_create_core(core, &opts, &t))) {
		CHECK(has_warning(t, "/opt/app/lib/libapp.so", "missing"));
		check_fault(t, MAP_START + DATA_OFF, 8, MAP_START + DATA_OFF);
		pyx_target_destroy(t);
	}
	free(core);
	free(copy);
	free(cmd);
	free(dir);
	free(root);
}

static void test_lib_search_path(void)
{
	/* libpython moved: found by base name in the second directory. */
	char *empty = tmp("libs-empty"), *libs = tmp("libs-full");
	CHECK_EQ_INT(mkdir(empty, 0700), 0);
	CHECK_EQ_INT(mkdir(libs, 0700), 0);
	char *copy;
	CHECK(asprintf(&copy, "%s/libpython3.99.so.1.0", libs) > 0);
	struct sc_elf e = lib_elf(id_x);
	CHECK_EQ_INT(sc_write_elf(copy, &e), 0);
	char *core = write_mapping_core("moved-lib.core", "/gone/lib/libpython3.99.so.1.0", id_x);
	char *path;
	CHECK(asprintf(&path, "%s::%s", empty, libs) > 0);
	struct pyx_core_options opts = { .lib_search_path = path };
	struct pyx_target *t = NULL;
	if (CHECK_OK(pyx_target_create_core(core, &opts, &t))) {
		CHECK_WARNINGS(t, 0);
		check_file_reads(t);
		CHECK_STR_EQ(target_core_file(t, "/gone/lib/libpython3.99.so.1.0"), copy);
		pyx_target_destroy(t);
	}
	free(path);
	free(core);
	free(copy);
	free(libs);
	free(empty);
}

/* ---- compressed cores ------------------------------------------------------ */

static char *read_whole(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc(len > 0 ? (size_t)len : 1);
	*n = buf ? fread(buf, 1, (size_t)len, f) : 0;
	fclose(f);
	return buf;
}

static bool write_whole(const char *path, const void *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(buf, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

static char *compress_gzip(const char *in, const char *name)
{
	size_t n;
	char *data = read_whole(in, &n);
	char *out = tmp(name);
	gzFile gz = gzopen(out, "wb");
	CHECK(data && gz && gzwrite(gz, data, (unsigned)n) == (int)n);
	if (gz)
		gzclose(gz);
	free(data);
	return out;
}

static char *compress_zstd(const char *in, const char *name)
{
	size_t n;
	char *data = read_whole(in, &n);
	size_t cap = ZSTD_compressBound(n);
	void *z = malloc(cap);
	size_t zn = data && z ? ZSTD_compress(z, cap, data, n, 3) : 0;
	CHECK(zn && !ZSTD_isError(zn));
	char *out = tmp(name);
	CHECK(write_whole(out, z, ZSTD_isError(zn) ? 0 : zn));
	free(z);
	free(data);
	return out;
}

static void test_compressed_cores(void)
{
	char *lib = tmp("libz.so");
	struct sc_elf e = lib_elf(id_x);
	CHECK_EQ_INT(sc_write_elf(lib, &e), 0);
	char *core = write_mapping_core("plain.core", lib, id_x);
	char *gz = compress_gzip(core, "plain.core.gz");
	char *zst = compress_zstd(core, "plain.core.zst");
	const char *both[] = { gz, zst };
	for (int i = 0; i < 2; i++) {
		struct pyx_target *t = open_core(both[i], NULL);
		if (!t)
			continue;
		CHECK_WARNINGS(t, 0);
		check_file_reads(t);
		struct pyx_crash_info ci;
		pyx_target_crash_info(t, &ci);
		CHECK_EQ_INT(ci.tid, 321);
		CHECK_STR_EQ(t->compression, i == 0 ? "gzip" : "zstd");
		pyx_target_destroy(t);
	}
	/* Cut short: one line that says so, not a core that reads wrong. */
	for (int i = 0; i < 2; i++) {
		struct stat st;
		CHECK_EQ_INT(stat(both[i], &st), 0);
		CHECK_EQ_INT(truncate(both[i], st.st_size / 2), 0);
		struct pyx_target *t = NULL;
		struct pyx_error *err = CHECK_ERR(pyx_target_create_core(both[i], NULL, &t),
						  PYX_ERR_BAD_CORE);
		if (err) {
			CHECK(strstr(pyx_error_message(err), i == 0 ? "gzip" : "zstd"));
			pyx_error_destroy(err);
		}
	}
	free(zst);
	free(gz);
	free(core);
	free(lib);
}

/* ---- malformed notes ------------------------------------------------------ */

static void test_nt_file_bogus_count(void)
{
	/* count says a billion entries in a 40-byte descriptor. */
	uint64_t desc[5] = { 1000000000ull, 4096, 0x1000, 0x2000, 0 };
	const struct sc_note extra[] = { { "CORE", NT_FILE, desc, sizeof(desc) } };
	static uint8_t page[0x1000];
	const struct sc_segment segs[] = { { 0x10000, page, sizeof(page), 0 } };
	const struct sc_thread th[] = { { 1, 0 } };
	struct sc_core c = {
		.segments = segs, .nsegments = 1, .threads = th, .nthreads = 1,
		.extra = extra, .nextra = 1,
	};
	char *path = tmp("bogus-nt-file.core");
	CHECK_EQ_INT(sc_write_core(path, &c), 0);
	struct pyx_target *t = open_core(path, NULL);
	if (t) {
		check_fault(t, 0x1000, 8, 0x1000);
		CHECK_OK(pyx_target_read(t, 0x10000, page, 8));
		pyx_target_destroy(t);
	}
	free(path);
}

/* Open path in a child process with an inaccessible page right after
 * where the core (of size bytes) will be mapped, so that a read past the
 * end of the file faults.  True if the child opened it and exited. */
static bool opens_in_guarded_child(const char *path, size_t size)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		/* Mappings go top-down: reserve size + 1 page, free the lower
		 * size bytes, and the core lands right below the guard. */
		char *r = mmap(NULL, size + 4096, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r == MAP_FAILED || munmap(r, size) != 0)
			_exit(3);
		struct pyx_target *t = NULL;
		struct pyx_error *err = pyx_target_create_core(path, NULL, &t);
		_exit(err ? 4 : 0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return false;
	if (WIFSIGNALED(status))
		printf("    opening %s: the child died of signal %d\n", path,
		       WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		printf("    opening %s: the child exited with status %d%s\n", path,
		       WEXITSTATUS(status),
		       WEXITSTATUS(status) == 4 ? " (an error)" : " (a sanitizer report?)");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A core of exactly 8 MiB whose last note is an NT_FILE with a descriptor
 * of descsz bytes, ending at the end of the file. */
static char *write_core_ending_in_nt_file(const char *name, const void *desc,
					  size_t descsz)
{
	const size_t size = 8u << 20;
	/* ehdr + 1 phdr = 120; filler note header+name 20; NT_FILE note 20 +
	 * descsz: the notes end at the end of the file. */
	size_t filler = size - 120 - 20 - 20 - descsz;
	void *f = calloc(1, filler);
	if (!f)
		abort();
	const struct sc_note extra[] = {
		{ "CORE", 0x4242, f, filler },
		{ "CORE", NT_FILE, desc, descsz },
	};
	struct sc_core c = { .extra = extra, .nextra = 2 };
	char *path = tmp(name);
	CHECK_EQ_INT(sc_write_core(path, &c), 0);
	free(f);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (size_t)st.st_size == size);
	return path;
}

static void test_nt_file_short_descriptor(void)
{
	/* Control: a well-formed NT_FILE (one entry, one name) at the very end
	 * opens in the guarded child. */
	uint8_t good[48] = {0};
	uint64_t words[5] = { 1, 4096, 0x10000, 0x11000, 0 };
	memcpy(good, words, 40);
	memcpy(good + 40, "/a/b.so", 8);
	char *path = write_core_ending_in_nt_file("nt-file-good.core", good, sizeof(good));
	CHECK(opens_in_guarded_child(path, 8u << 20));
	free(path);
	/* count = 1 in a 24-byte descriptor: the (start, end, pgoff) triple
	 * would run 16 bytes past the note, and past the end of the file. */
	uint64_t shortd[3] = { 1, 4096, 0 };
	path = write_core_ending_in_nt_file("nt-file-short.core", shortd, sizeof(shortd));
	CHECK(opens_in_guarded_child(path, 8u << 20));
	free(path);
}

static void test_short_prstatus_ignored(void)
{
	uint8_t desc[100] = {0};
	const struct sc_note extra[] = { { "CORE", NT_PRSTATUS, desc, sizeof(desc) } };
	const struct sc_thread th[] = { { 9, 0 } };
	static uint8_t page[0x1000];
	const struct sc_segment segs[] = { { 0x10000, page, sizeof(page), 0 } };
	struct sc_core c = {
		.segments = segs, .nsegments = 1, .threads = th, .nthreads = 1,
		.extra = extra, .nextra = 1,
	};
	char *path = tmp("short-prstatus.core");
	CHECK_EQ_INT(sc_write_core(path, &c), 0);
	struct pyx_target *t = open_core(path, NULL);
	if (t) {
		int *tids = NULL;
		size_t n = 0;
		if (CHECK_OK(target_thread_ids(t, &tids, &n)))
			CHECK_EQ_INT(n, 1);
		free(tids);
		pyx_target_destroy(t);
	}
	free(path);
}

/* ---- truncated and malformed cores --------------------------------------- */

#define TR_A 0x1000000ull   /* 3 pages */
#define TR_B 0x2000000ull   /* 2 pages */

/* A core whose notes fill its first page, then A's 3 pages, then B's 2. */
static char *write_truncatable_core(const char *name, off_t *size)
{
	static uint8_t a[0x3000], b[0x2000];
	pattern(a, sizeof(a), TR_A);
	pattern(b, sizeof(b), TR_B);
	const struct sc_segment segs[] = {
		{ TR_A, a, sizeof(a), 0 },
		{ TR_B, b, sizeof(b), 0 },
	};
	const struct sc_thread th[] = { { 31, SIGSEGV }, { 32, 0 } };
	struct sc_core c = {
		.segments = segs, .nsegments = 2, .threads = th, .nthreads = 2,
		.has_siginfo = true, .siginfo_signo = SIGSEGV, .siginfo_addr = 8,
	};
	char *path = tmp(name);
	CHECK_EQ_INT(sc_write_core(path, &c), 0);
	struct stat st;
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_size, 0x1000 + 0x3000 + 0x2000);
	*size = st.st_size;
	return path;
}

static void test_truncated_core(void)
{
	off_t size;
	char *path = write_truncatable_core("truncated.core", &size);
	/* Cut 100 bytes into A's second page. */
	const off_t cut = 0x1000 + 0x1000 + 100;
	CHECK_EQ_INT(truncate(path, cut), 0);
	struct pyx_target *t = open_core(path, NULL);
	free(path);
	if (!t)
		return;
	/* 0x3000 - 0x1064 of A and all 0x2000 of B are missing. */
	CHECK(has_warning(t, "truncated", "16284 bytes"));
	uint8_t buf[0x2000];
	/* What is there reads as usual. */
	CHECK_OK(pyx_target_read(t, TR_A, buf, 0x1000 + 100));
	CHECK(is_pattern(buf, 0x1000 + 100, TR_A));
	/* Past the cut, and across it: a fault at the first missing byte. */
	check_fault(t, TR_A + 0x1000 + 100, 1, TR_A + 0x1000 + 100);
	check_fault(t, TR_A + 0x1000 + 90, 20, TR_A + 0x1000 + 100);
	check_fault(t, TR_A + 0x2000, 16, TR_A + 0x2000);
	check_fault(t, TR_B, 8, TR_B);
	check_fault(t, TR_B + 0x1ff8, 8, TR_B + 0x1ff8);
	/* The notes were whole: threads and the signal are known. */
	struct pyx_crash_info ci;
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, SIGSEGV);
	CHECK_EQ_INT(ci.tid, 31);
	pyx_target_destroy(t);
}

static void test_truncated_in_notes(void)
{
	off_t size;
	char *path = write_truncatable_core("truncated-notes.core", &size);
	/* Program headers end at 64 + 3 * 56 = 232; cut in the notes. */
	CHECK_EQ_INT(truncate(path, 400), 0);
	struct pyx_target *t = open_core(path, NULL);
	free(path);
	if (!t)
		return;
	CHECK(has_warning(t, "truncated", "notes"));
	CHECK(has_warning(t, "truncated", "bytes of memory"));
	check_fault(t, TR_A, 8, TR_A);
	struct pyx_crash_info ci;
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, 0);
	pyx_target_destroy(t);
}

/* Opening path must fail with code, without crashing. */
static void check_bad_core(const char *path, enum pyx_error_code code,
			   const char *words)
{
	struct pyx_target *t = NULL;
	struct pyx_error *err = CHECK_ERR(pyx_target_create_core(path, NULL, &t), code);
	if (err) {
		if (words)
			CHECK_STR_CONTAINS(pyx_error_message(err), words);
		pyx_error_destroy(err);
	} else {
		printf("    opened instead, with %zu warning(s):\n",
		       pyx_target_num_warnings(t));
		print_warnings(t);
		pyx_target_destroy(t);
	}
}

static void test_not_elf(void)
{
	char *path = tmp("not-elf.txt");
	const char text[] = "This is a text file, not a core file: it has no ELF "
			    "magic at all, but it is longer than an ELF header.\n";
	CHECK_EQ_INT(sc_write_file(path, text, sizeof(text) - 1), 0);
	check_bad_core(path, PYX_ERR_BAD_CORE, "not an ELF file");
	free(path);
}

static void test_empty_file(void)
{
	char *path = tmp("empty.core");
	CHECK_EQ_INT(sc_write_file(path, "", 0), 0);
	check_bad_core(path, PYX_ERR_BAD_CORE, "not a core file");
	free(path);
}

static void test_tiny_elf(void)
{
	/* ELF magic, then nothing. */
	char *path = tmp("tiny.core");
	CHECK_EQ_INT(sc_write_file(path, ELFMAG "\2\1\1", 7), 0);
	check_bad_core(path, PYX_ERR_BAD_CORE, NULL);
	free(path);
}

static void test_executable_not_core(void)
{
	char *path = tmp("program");
	struct sc_elf e = lib_elf(id_x);
	e.type = ET_EXEC;
	CHECK_EQ_INT(sc_write_elf(path, &e), 0);
	check_bad_core(path, PYX_ERR_BAD_CORE, "not a core file");
	e.type = ET_DYN;
	CHECK_EQ_INT(sc_write_elf(path, &e), 0);
	check_bad_core(path, PYX_ERR_BAD_CORE, "not a core file");
	free(path);
}

static void test_other_machine(void)
{
	off_t size;
	char *path = write_truncatable_core("aarch64.core", &size);
	FILE *f = fopen(path, "r+b");
	CHECK(f != NULL);
	if (f) {
		uint16_t machine = EM_AARCH64;
		fseek(f, (long)offsetof(Elf64_Ehdr, e_machine), SEEK_SET);
		fwrite(&machine, 2, 1, f);
		fclose(f);
	}
	check_bad_core(path, PYX_ERR_BAD_CORE, "x86-64");
	free(path);
}

static void test_cut_in_program_headers(void)
{
	off_t size;
	char *path = write_truncatable_core("cut-phdrs.core", &size);
	/* Three program headers from 64 to 232: cut in the second. */
	CHECK_EQ_INT(truncate(path, 64 + 56 + 20), 0);
	check_bad_core(path, PYX_ERR_BAD_CORE, "truncated");
	/* And in the first. */
	CHECK_EQ_INT(truncate(path, 64 + 20), 0);
	check_bad_core(path, PYX_ERR_BAD_CORE, "truncated");
	free(path);
}

static void test_open_errors(void)
{
	struct pyx_target *t = NULL;
	struct pyx_error *err = CHECK_ERR(pyx_target_create_core(NULL, NULL, &t),
					  PYX_ERR_INVALID_ARGUMENT);
	pyx_error_destroy(err);
	err = CHECK_ERR(pyx_target_create_core("", NULL, &t), PYX_ERR_INVALID_ARGUMENT);
	pyx_error_destroy(err);
	char *path = tmp("no-such.core");
	err = CHECK_ERR(pyx_target_create_core(path, NULL, &t), PYX_ERR_OS);
	if (err) {
		CHECK_EQ_INT(pyx_error_errno(err), ENOENT);
		CHECK_STR_CONTAINS(pyx_error_message(err), path);
	}
	pyx_error_destroy(err);
	free(path);
	/* A directory is not a core file either. */
	check_bad_core(tmpdir, PYX_ERR_BAD_CORE, NULL);
}

int main(void)
{
	tmpdir = sc_tempdir();
	if (!tmpdir) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_segment_reads);
	RUN(test_threads_and_siginfo);
	RUN(test_crash_without_siginfo);
	RUN(test_abort_siginfo_has_no_address);
	RUN(test_no_crash);
	RUN(test_nt_file_matching_build_id);
	RUN(test_nt_file_different_build_id);
	RUN(test_nt_file_missing);
	RUN(test_nt_file_executable_stands_in);
	RUN(test_nt_file_different_file_stands_in);
	RUN(test_sysroot);
	RUN(test_lib_search_path);
	RUN(test_compressed_cores);
	RUN(test_nt_file_bogus_count);
	RUN(test_nt_file_short_descriptor);
	RUN(test_short_prstatus_ignored);
	RUN(test_truncated_core);
	RUN(test_truncated_in_notes);
	RUN(test_not_elf);
	RUN(test_empty_file);
	RUN(test_tiny_elf);
	RUN(test_executable_not_core);
	RUN(test_other_machine);
	RUN(test_cut_in_program_headers);
	RUN(test_open_errors);
	sc_remove_dir(tmpdir);
	free(tmpdir);
	return check_finish();
}
