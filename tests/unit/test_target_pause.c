/* test_target_pause.c - pyx_target_pause() on a live child with threads:
 * every thread stops, with this process as its tracer, and nothing runs
 * until pyx_target_resume() (or pyx_target_destroy()); threads started
 * meanwhile are caught; a child stopped before stays stopped; another
 * tracer is named and refused; pyx_target_interrupt() fails reads. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "target/target.h"
#include "util/error.h"

#define CHECK_MSG(cond, ...) check_report((cond), __FILE__, __LINE__, __VA_ARGS__)

#define WORKERS 3

/* Shared with the child: one counter per worker, bumped as fast as it
 * can, and how many short-lived threads the spawner started. */
struct shared {
	volatile uint64_t count[WORKERS];
	volatile uint64_t spawned;
	volatile int ready;
};

static struct shared *sh;

static void *worker(void *arg)
{
	volatile uint64_t *c = arg;
	for (;;)
		__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *brief(void *arg)
{
	(void)arg;
	return NULL;
}

/* Starts threads all the time, so that some appear while pausing. */
static void *spawner(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_t t;
		if (pthread_create(&t, NULL, brief, NULL) == 0) {
			pthread_join(t, NULL);
			__atomic_add_fetch(&sh->spawned, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static pid_t start_child(bool spawn)
{
	memset((void *)sh, 0, sizeof(*sh));
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	pthread_t t;
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t, NULL, worker, (void *)&sh->count[i]);
	if (spawn)
		pthread_create(&t, NULL, spawner, NULL);
	sh->ready = 1;
	for (;;)
		pause();
}

static void wait_ready(void)
{
	for (int i = 0; i < 5000 && !sh->ready; i++)
		usleep(1000);
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int tracer_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	int tracer = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	return tracer;
}

/* How many of pid's threads are in state s ('t' tracing stop, 'T'
 * stopped), and how many threads it has. */
static int threads_in(pid_t pid, char s, int *total)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	int n = 0;
	*total = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char stat[320], buf[512];
		snprintf(stat, sizeof(stat), "/proc/%d/task/%s/stat", pid, de->d_name);
		FILE *f = fopen(stat, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		char *p = strrchr(buf, ')');
		(*total)++;
		if (p && p[1] == ' ' && p[2] == s)
			n++;
	}
	closedir(d);
	return n;
}

static uint64_t total_count(void)
{
	uint64_t n = 0;
	for (int i = 0; i < WORKERS; i++)
		n += __atomic_load_n(&sh->count[i], __ATOMIC_RELAXED);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void test_pause_and_resume(void)
{
	pid_t pid = start_child(true);
	wait_ready();
	struct pyx_target *t = NULL;
	CHECK_OK(pyx_target_create_pid(pid, &t));
	if (!t) {
		stop_child(pid);
		return;
	}
	CHECK(pyx_target_tracer(t) == 0);
	CHECK_OK(pyx_target_pause(t));
	CHECK(pyx_target_is_paused(t));
	CHECK(tracer_of(pid) == getpid());
	int total, stopped = threads_in(pid, 't', &total);
	CHECK_MSG(stopped == total && total >= WORKERS + 2,
		  "%d of %d threads in a tracing stop", stopped, total);
	uint64_t a = total_count(), spawned = sh->spawned;
	sleep_ms(30);
	CHECK_MSG(total_count() == a && sh->spawned == spawned,
		  "the child ran while paused (%llu -> %llu)", (unsigned long long)a,
		  (unsigned long long)total_count());
	/* Pausing again is a no-op. */
	CHECK_OK(pyx_target_pause(t));
	pyx_target_resume(t);
	CHECK(!pyx_target_is_paused(t));
	CHECK(tracer_of(pid) == 0);
	sleep_ms(30);
	CHECK(total_count() > a);
	stopped = threads_in(pid, 't', &total);
	CHECK_MSG(stopped == 0, "%d threads still in a tracing stop", stopped);
	/* Many times over, with threads coming and going. */
	bool all = true;
	for (int i = 0; i < 20 && all; i++) {
		CHECK_OK(pyx_target_pause(t));
		stopped = threads_in(pid, 't', &total);
		all = stopped == total;
		pyx_target_resume(t);
	}
	CHECK_MSG(all, "round with %d of %d threads stopped", stopped, total);
	/* Destroying a paused target lets the child go. */
	CHECK_OK(pyx_target_pause(t));
	pyx_target_destroy(t);
	CHECK(tracer_of(pid) == 0);
	a = total_count();
	sleep_ms(30);
	CHECK(total_count() > a);
	stop_child(pid);
}

static void test_stopped_child_stays_stopped(void)
{
	pid_t pid = start_child(false);
	wait_ready();
	kill(pid, SIGSTOP);
	int total;
	for (int i = 0; i < 1000 && threads_in(pid, 'T', &total) != total; i++)
		usleep(1000);
	struct pyx_target *t = NULL;
	CHECK_OK(pyx_target_create_pid(pid, &t));
	if (t) {
		CHECK_OK(pyx_target_pause(t));
		pyx_target_resume(t);
		pyx_target_destroy(t);
	}
	int stopped = 0;
	for (int i = 0; i < 100; i++) {
		stopped = threads_in(pid, 'T', &total);
		if (stopped == total)
			break;
		usleep(1000);
	}
	CHECK_MSG(stopped == total, "%d of %d threads stopped after resume", stopped, total);
	uint64_t a = total_count();
	sleep_ms(30);
	CHECK(total_count() == a);
	CHECK(tracer_of(pid) == 0);
	kill(pid, SIGCONT);
	stop_child(pid);
}

static void test_other_tracer(void)
{
	pid_t pid = start_child(false);
	wait_ready();
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return;
	pid_t helper = fork();
	if (helper == 0) {
		char c = ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0 ? 'y' : 'n';
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char c = 'n';
	if (read(pipefd[0], &c, 1) != 1)
		c = 'n';
	close(pipefd[0]);
	close(pipefd[1]);
	CHECK(c == 'y');
	struct pyx_target *t = NULL;
	CHECK_OK(pyx_target_create_pid(pid, &t));
	if (t && c == 'y') {
		CHECK(pyx_target_tracer(t) == helper);
		struct pyx_error *err = CHECK_ERR(pyx_target_pause(t), PYX_ERR_PERMISSION);
		char want[64];
		snprintf(want, sizeof(want), "is traced by process %d", helper);
		CHECK_MSG(err && strstr(pyx_error_message(err), want),
			  "message: %s", err ? pyx_error_message(err) : "(none)");
		pyx_error_destroy(err);
		CHECK(!pyx_target_is_paused(t));
	}
	pyx_target_destroy(t);
	kill(helper, SIGKILL);
	waitpid(helper, NULL, 0);
	stop_child(pid);
}

static void test_interrupt(void)
{
	pid_t pid = start_child(false);
	wait_ready();
	struct pyx_target *t = NULL;
	CHECK_OK(pyx_target_create_pid(pid, &t));
	if (t) {
		uint64_t v;
		uint64_t addr = (uint64_t)(uintptr_t)&sh->count[0];
		CHECK_OK(pyx_target_read(t, addr, &v, sizeof(v)));
		pyx_target_interrupt(t, true);
		CHECK(pyx_target_interrupted(t));
		struct pyx_error *err = CHECK_ERR(pyx_target_read(t, addr, &v, sizeof(v)),
						  PYX_ERR_INTERRUPTED);
		/* The shared error: destroying it is harmless, and so is
		 * wrapping it. */
		CHECK(pyx_error_wrap(err, "while testing") == err);
		pyx_error_destroy(err);
		pyx_target_interrupt(t, false);
		CHECK_OK(pyx_target_read(t, addr, &v, sizeof(v)));
		pyx_target_destroy(t);
	}
	stop_child(pid);
}

static void test_core_is_not_paused(void)
{
	/* A target that is not a process: nothing to pause. */
	struct pyx_target *t = NULL;
	struct pyx_error *err = CHECK_ERR(pyx_target_create_pid(0, &t),
					  PYX_ERR_INVALID_ARGUMENT);
	pyx_error_destroy(err);
}

int main(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	RUN(test_pause_and_resume);
	RUN(test_stopped_child_stays_stopped);
	RUN(test_other_tracer);
	RUN(test_interrupt);
	RUN(test_core_is_not_paused);
	return check_finish();
}
