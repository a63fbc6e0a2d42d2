/* test_target_pid.c - pyx_target on a live child process: cached reads,
 * reads spanning pages, the direct path for big reads, unmapped memory,
 * flushing, and processes that do not (or no longer) exist. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "target/target.h"

#define PAGE 4096u
#define SMALL_SIZE (3 * PAGE)
#define BIG_SIZE (256u * 1024u)
#define BIG_HOLE (192u * 1024u)   /* one page unmapped at big + BIG_HOLE */
#define KIB100 (100u * 1024u)

/* What the child tells its parent. */
struct child_info {
	uint64_t small;   /* SMALL_SIZE bytes of pattern */
	uint64_t big;     /* BIG_SIZE bytes of pattern, a hole at BIG_HOLE */
	uint64_t counter; /* a uint64_t the child bumps each time it runs */
};

static pid_t child = -1;
static struct child_info info;

static void pattern(uint8_t *p, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t a = base + i;
		p[i] = (uint8_t)(a ^ (a >> 8) ^ (a >> 16) ^ 0xa5);
	}
}

static bool is_pattern(const uint8_t *p, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t a = base + i;
		if (p[i] != (uint8_t)(a ^ (a >> 8) ^ (a >> 16) ^ 0xa5))
			return false;
	}
	return true;
}

static void *map_pages(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* The child: fill memory, report where, then stop; each time it is
 * continued, bump the counter and stop again.  It never returns. */
static void child_main(int fd)
{
	uint8_t *small = map_pages(SMALL_SIZE);
	uint8_t *big = map_pages(BIG_SIZE);
	uint64_t *counter = map_pages(PAGE);
	if (!small || !big || !counter)
		_exit(3);
	pattern(small, SMALL_SIZE, (uint64_t)(uintptr_t)small);
	pattern(big, BIG_SIZE, (uint64_t)(uintptr_t)big);
	if (munmap(big + BIG_HOLE, PAGE) != 0)
		_exit(4);
	*counter = 0;
	struct child_info ci = {
		(uint64_t)(uintptr_t)small, (uint64_t)(uintptr_t)big,
		(uint64_t)(uintptr_t)counter,
	};
	if (write(fd, &ci, sizeof(ci)) != (ssize_t)sizeof(ci))
		_exit(5);
	close(fd);
	for (;;) {
		raise(SIGSTOP);
		__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
	}
}

/* Wait until the child has stopped itself. */
static bool wait_stopped(void)
{
	int status;
	pid_t r;
	do
		r = waitpid(child, &status, WUNTRACED);
	while (r < 0 && errno == EINTR);
	return r == child && WIFSTOPPED(status);
}

static bool start_child(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		return false;
	fflush(stdout);
	child = fork();
	if (child < 0)
		return false;
	if (child == 0) {
		close(fds[0]);
		child_main(fds[1]);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], &info, sizeof(info));
	close(fds[0]);
	return n == (ssize_t)sizeof(info) && wait_stopped();
}

static void stop_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
}

static struct pyx_target *open_child(void)
{
	struct pyx_target *t = NULL;
	if (!CHECK_OK(pyx_target_create_pid(child, &t)))
		return NULL;
	return t;
}

static void check_fault(struct pyx_target *t, uint64_t addr, size_t len,
			uint64_t fault_addr)
{
	uint8_t *buf = malloc(len);
	struct pyx_error *err = CHECK_ERR(pyx_target_read(t, addr, buf, len),
					  PYX_ERR_FAULT);
	if (err)
		CHECK_EQ_U64(pyx_error_address(err), fault_addr);
	pyx_error_destroy(err);
	free(buf);
}

/* ---- tests -------------------------------------------------------------- */

static void test_open(void)
{
	struct pyx_target *t = open_child();
	if (!t)
		return;
	CHECK(pyx_target_is_live(t));
	CHECK_EQ_INT(pyx_target_pid(t), child);
	CHECK_EQ_INT(pyx_target_num_warnings(t), 0);
	int *tids = NULL;
	size_t n = 0;
	if (CHECK_OK(target_thread_ids(t, &tids, &n))) {
		CHECK_EQ_INT(n, 1);
		CHECK_EQ_INT(n ? tids[0] : 0, child);
	}
	free(tids);
	/* The executable is ours. */
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(len > 0);
	if (len > 0) {
		self[len] = '\0';
		CHECK_STR_EQ(target_executable(t), self);
	}
	/* No signal is known for a live process until someone says so. */
	struct pyx_crash_info ci;
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, 0);
	struct pyx_crash_info set = { .signo = SIGSEGV, .tid = child, .has_address = true,
				      .address = 0x10 };
	pyx_target_set_crash_info(t, &set);
	pyx_target_crash_info(t, &ci);
	CHECK_EQ_INT(ci.signo, SIGSEGV);
	CHECK_EQ_INT(ci.tid, child);
	CHECK_EQ_U64(ci.address, 0x10);
	pyx_target_destroy(t);
}

static void test_small_reads(void)
{
	struct pyx_target *t = open_child();
	if (!t)
		return;
	uint8_t buf[SMALL_SIZE];
	CHECK_OK(pyx_target_read(t, info.small, buf, 16));
	CHECK(is_pattern(buf, 16, info.small));
	CHECK_OK(pyx_target_read(t, info.small + 1000, buf, 1));
	CHECK(is_pattern(buf, 1, info.small + 1000));
	/* Spanning a page boundary, then all three pages. */
	CHECK_OK(pyx_target_read(t, info.small + PAGE - 8, buf, 16));
	CHECK(is_pattern(buf, 16, info.small + PAGE - 8));
	CHECK_OK(pyx_target_read(t, info.small + PAGE - 1, buf, PAGE + 2));
	CHECK(is_pattern(buf, PAGE + 2, info.small + PAGE - 1));
	CHECK_OK(pyx_target_read(t, info.small, buf, SMALL_SIZE));
	CHECK(is_pattern(buf, SMALL_SIZE, info.small));
	/* Again, from the cache. */
	memset(buf, 0, sizeof(buf));
	CHECK_OK(pyx_target_read(t, info.small, buf, SMALL_SIZE));
	CHECK(is_pattern(buf, SMALL_SIZE, info.small));
	uint64_t v;
	CHECK_OK(target_read_u64(t, info.small + 8, &v));
	uint8_t want[8];
	pattern(want, 8, info.small + 8);
	CHECK(memcmp(&v, want, 8) == 0);
	pyx_target_destroy(t);
}

static void test_big_reads(void)
{
	struct pyx_target *t = open_child();
	if (!t)
		return;
	uint8_t *buf = malloc(KIB100);
	if (!buf)
		abort();
	/* 100 KiB in one go: the direct path. */
	CHECK_OK(pyx_target_read(t, info.big, buf, KIB100));
	CHECK(is_pattern(buf, KIB100, info.big));
	/* Unaligned, and ending right before the hole. */
	CHECK_OK(pyx_target_read(t, info.big + BIG_HOLE - KIB100, buf, KIB100));
	CHECK(is_pattern(buf, KIB100, info.big + BIG_HOLE - KIB100));
	CHECK_OK(pyx_target_read(t, info.big + 12345, buf, KIB100));
	CHECK(is_pattern(buf, KIB100, info.big + 12345));
	free(buf);
	/* Running into the hole: the fault is where the hole starts. */
	check_fault(t, info.big + BIG_HOLE - KIB100 + 8, KIB100, info.big + BIG_HOLE);
	/* After the hole the mapping goes on. */
	uint8_t small[64];
	CHECK_OK(pyx_target_read(t, info.big + BIG_HOLE + PAGE, small, sizeof(small)));
	CHECK(is_pattern(small, sizeof(small), info.big + BIG_HOLE + PAGE));
	pyx_target_destroy(t);
}

static void test_unmapped(void)
{
	struct pyx_target *t = open_child();
	if (!t)
		return;
	uint64_t hole = info.big + BIG_HOLE;
	check_fault(t, hole, 8, hole);
	check_fault(t, hole + 100, 1, hole + 100);
	check_fault(t, hole - 4, 8, hole);
	check_fault(t, 0, 8, 0);
	check_fault(t, 8, 8, 8);
	/* Twice: the second answer comes from the cache. */
	check_fault(t, hole + 16, 8, hole + 16);
	/* Around the hole all is well. */
	uint8_t buf[16];
	CHECK_OK(pyx_target_read(t, hole - 16, buf, 16));
	CHECK(is_pattern(buf, 16, hole - 16));
	CHECK_OK(pyx_target_read(t, hole + PAGE, buf, 16));
	CHECK(is_pattern(buf, 16, hole + PAGE));
	check_fault(t, 0x7ffffffff000ull, 8, 0x7ffffffff000ull);
	pyx_target_destroy(t);
}

static void test_flush(void)
{
	struct pyx_target *t = open_child();
	if (!t)
		return;
	uint64_t before = 0, after = 0;
	CHECK_OK(target_read_u64(t, info.counter, &before));
	/* Let the child run once: it bumps the counter and stops again. */
	CHECK_EQ_INT(kill(child, SIGCONT), 0);
	CHECK(wait_stopped());
	pyx_target_flush(t);
	CHECK_OK(target_read_u64(t, info.counter, &after));
	CHECK_EQ_INT(after, before + 1);
	pyx_target_destroy(t);
}

static void test_no_such_process(void)
{
	struct pyx_target *t = NULL;
	struct pyx_error *err = CHECK_ERR(pyx_target_create_pid(INT_MAX, &t),
					  PYX_ERR_NOT_FOUND);
	if (err)
		CHECK_STR_CONTAINS(pyx_error_message(err), "2147483647");
	pyx_error_destroy(err);
	err = CHECK_ERR(pyx_target_create_pid(0, &t), PYX_ERR_INVALID_ARGUMENT);
	pyx_error_destroy(err);
	err = CHECK_ERR(pyx_target_create_pid(-5, &t), PYX_ERR_INVALID_ARGUMENT);
	pyx_error_destroy(err);
}

static void test_process_exited(void)
{
	struct pyx_target *t = open_child();
	if (!t)
		return;
	uint8_t buf[16];
	CHECK_OK(pyx_target_read(t, info.small, buf, sizeof(buf)));
	stop_child();
	/* Cached memory is still there; after a flush the reads fail with a
	 * clear error. */
	pyx_target_flush(t);
	struct pyx_error *err = CHECK_ERR(pyx_target_read(t, info.small, buf, sizeof(buf)),
					  PYX_ERR_OS);
	if (err)
		CHECK_STR_CONTAINS(pyx_error_message(err), "exited");
	pyx_error_destroy(err);
	pyx_target_destroy(t);
}

int main(void)
{
	if (!start_child()) {
		perror("starting the child");
		stop_child();
		return 2;
	}
	RUN(test_open);
	RUN(test_small_reads);
	RUN(test_big_reads);
	RUN(test_unmapped);
	RUN(test_flush);
	RUN(test_no_such_process);
	RUN(test_process_exited); /* last: it ends the child */
	stop_child();
	return check_finish();
}
