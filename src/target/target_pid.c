/* target_pid.c - reading a live process: process_vm_readv(2), falling back
 * to /proc/PID/mem, through a page cache filled 64 KiB at a time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/error.h"
#include "target/target.h"

#define WINDOW_PAGES PYX_WINDOW_PAGES
#define DIRECT_READ_MIN (64u * 1024u)

/* Why the kernel refused to let us read process pid, and what to do. */
static int ptrace_scope(void)
{
	int scope = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	return scope;
}

/* Does this process have CAP_SYS_PTRACE in its effective set? */
static bool have_cap_sys_ptrace(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	char line[256];
	unsigned long long caps = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps & (1ull << 19); /* CAP_SYS_PTRACE */
}

static void user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", pw.pw_name);
	else
		snprintf(buf, size, "uid %u", (unsigned)uid);
}

struct pyx_error *target_permission_error(int pid, int errnum)
{
	char owner[64] = "?", me[64];
	/* The kernel lets a process read another whose real, effective and
	 * saved uids all are its own. */
	unsigned uids[3] = { 0, 0, 0 };
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	bool known = false;
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u %u", &uids[0], &uids[1], &uids[2]) == 3) {
			known = true;
			break;
		}
	if (f)
		fclose(f);
	if (known)
		user_name((uid_t)uids[0], owner, sizeof(owner));
	uid_t euid = geteuid();
	user_name(euid, me, sizeof(me));
	int scope = ptrace_scope();
	bool cap = have_cap_sys_ptrace();
	char scope_hint[200] = "";
	if (scope == 1)
		snprintf(scope_hint, sizeof(scope_hint), "; kernel.yama.ptrace_scope is 1, "
			 "so even the owner may read only its own children: allow it with "
			 "`sudo sysctl kernel.yama.ptrace_scope=0`");
	else if (scope == 2)
		snprintf(scope_hint, sizeof(scope_hint), "; kernel.yama.ptrace_scope is 2, "
			 "so only CAP_SYS_PTRACE may: `sudo sysctl kernel.yama.ptrace_scope=0` "
			 "lets the owner too");
	if (scope == 3)
		return pyx_error_os(errnum, "cannot read the memory of process %d: %s: "
			"kernel.yama.ptrace_scope is 3, so no process may, not even root, "
			"until the machine reboots", pid, strerror(errnum));
	if (cap)
		return pyx_error_os(errnum, "cannot read the memory of process %d: %s, "
			"although you are %s with CAP_SYS_PTRACE: a security module "
			"(AppArmor, SELinux) or a seccomp filter forbids it%s", pid,
			strerror(errnum), me, scope_hint);
	if (known && (uids[0] != euid || uids[1] != euid || uids[2] != euid)) {
		char who[160];
		if (uids[0] == 0)
			snprintf(who, sizeof(who), "as root (sudo)");
		else
			snprintf(who, sizeof(who), "as %s (sudo -u %s) or as root", owner, owner);
		return pyx_error_os(errnum, "cannot read the memory of process %d: %s: "
			"it belongs to %s and you are %s: run %s, or with CAP_SYS_PTRACE "
			"(in a container: --cap-add=SYS_PTRACE)%s",
			pid, strerror(errnum), owner, me, who, scope_hint);
	}
	return pyx_error_os(errnum, "cannot read the memory of process %d: %s%s%s", pid,
		strerror(errnum), scope_hint[0] ? scope_hint : ": it may be undumpable "
		"(a setuid program, or prctl(PR_SET_DUMPABLE, 0)): run as root (sudo) "
		"or with CAP_SYS_PTRACE", scope_hint[0] ? "; or run as root (sudo)" : "");
}

struct pyx_error *target_pid_open(struct pyx_target *t, int pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) < 0)
		return pyx_error_create(PYX_ERR_NOT_FOUND,
					"no process with id %d", pid);
	t->pid = pid;
	/* May we read it at all?  The kernel checks before it looks at the
	 * address, so a read at 0 fails with EFAULT when we may. */
	char byte;
	struct iovec local = { &byte, 1 }, remote = { NULL, 1 };
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0) {
		if (errno == EPERM || errno == EACCES)
			return target_permission_error(pid, errno);
		if (errno == ESRCH)
			return pyx_error_create(PYX_ERR_NOT_FOUND, "no process with id %d "
						"(it has exited)", pid);
	}
	/* A process whose root is not ours (a container, a chroot) names its
	 * files from there: read them through /proc/PID/root. */
	struct stat ours, theirs;
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	if (stat("/", &ours) == 0 && stat(path, &theirs) == 0 &&
	    (ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino)) {
		t->proc_root = strdup(path);
		if (!t->proc_root)
			return pyx_error_no_memory();
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	char exe[PATH_MAX];
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		t->exe_path = strdup(exe);
	}
	return NULL;
}

void target_pid_close(struct pyx_target *t)
{
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	t->mem_fd = -1;
}

/* Read what we can of [addr, addr+len); returns bytes read or -1/errno. */
static ssize_t raw_read(struct pyx_target *t, uint64_t addr, void *buf, size_t len)
{
	if (!t->use_proc_mem) {
		struct iovec local = { buf, len };
		struct iovec remote = { (void *)(uintptr_t)addr, len };
		ssize_t n = process_vm_readv(t->pid, &local, 1, &remote, 1, 0);
		if (n >= 0 || errno == EFAULT || errno == ESRCH)
			return n;
		if (errno != ENOSYS && errno != EPERM)
			return -1;
		t->use_proc_mem = true;
	}
	if (t->mem_fd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mem", t->pid);
		t->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (t->mem_fd < 0)
			return -1;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(t->mem_fd, (char *)buf + done, len - done,
				  (off_t)(addr + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (done)
				break;
			if (errno == EIO)
				errno = EFAULT;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static struct pyx_error *read_error(struct pyx_target *t, uint64_t addr, int errnum)
{
	if (errnum == ESRCH)
		return pyx_error_os(errnum, "process %d has exited", t->pid);
	if (errnum == EPERM || errnum == EACCES)
		return target_permission_error(t->pid, errnum);
	if (errnum == EFAULT || errnum == EIO || errnum == 0)
		return pyx_error_fault(addr, "cannot read memory at 0x%llx "
				       "(not mapped in process %d)",
				       (unsigned long long)addr, t->pid);
	return pyx_error_os(errnum, "reading memory of process %d at 0x%llx: %s",
			    t->pid, (unsigned long long)addr, strerror(errnum));
}

/* Make page pageno known to the cache. */
static struct pyx_error *fill(struct pyx_target *t, uint64_t pageno)
{
	uint64_t first = pageno & ~(uint64_t)(WINDOW_PAGES - 1);
	size_t size = (size_t)WINDOW_PAGES * PYX_PAGE_SIZE;
	uint8_t *block = page_cache_block(target_cache(t));
	if (!block)
		return pyx_error_no_memory();
	ssize_t n = raw_read(t, first << PYX_PAGE_SHIFT, block, size);
	if (n < 0 && errno != EFAULT)
		return read_error(t, pageno << PYX_PAGE_SHIFT, errno);
	size_t pages = n > 0 ? (size_t)n / PYX_PAGE_SIZE : 0;
	for (size_t i = 0; i < pages; i++) {
		const uint8_t *old;
		if (!page_cache_lookup(target_cache(t), first + i, &old) &&
		    !page_cache_insert(target_cache(t), first + i, block + i * PYX_PAGE_SIZE))
			return pyx_error_no_memory();
	}
	if (pageno < first + pages)
		return NULL;
	/* The window stopped short of our page: the hole may lie before it. */
	uint8_t *page = page_cache_block(target_cache(t));
	if (!page)
		return pyx_error_no_memory();
	n = raw_read(t, pageno << PYX_PAGE_SHIFT, page, PYX_PAGE_SIZE);
	if (n < 0 && errno != EFAULT)
		return read_error(t, pageno << PYX_PAGE_SHIFT, errno);
	if (!page_cache_insert(target_cache(t), pageno, n == PYX_PAGE_SIZE ? page : NULL))
		return pyx_error_no_memory();
	return NULL;
}

struct pyx_error *target_pid_read(struct pyx_target *t, uint64_t addr,
				  void *buf, size_t len)
{
	if (len >= DIRECT_READ_MIN) {
		ssize_t n = raw_read(t, addr, buf, len);
		if (n == (ssize_t)len)
			return NULL;
		if (n < 0 && errno != EFAULT)
			return read_error(t, addr, errno);
		/* Fall through to find exactly where it fails. */
	}
	uint8_t *out = buf;
	while (len) {
		uint64_t pageno = addr >> PYX_PAGE_SHIFT;
		size_t off = addr & (PYX_PAGE_SIZE - 1);
		size_t chunk = PYX_PAGE_SIZE - off;
		if (chunk > len)
			chunk = len;
		const uint8_t *data;
		if (!page_cache_lookup(target_cache(t), pageno, &data)) {
			PYX_TRY(fill(t, pageno));
			if (!page_cache_lookup(target_cache(t), pageno, &data))
				return pyx_error_no_memory();
		}
		if (!data)
			return read_error(t, addr, EFAULT);
		memcpy(out, data + off, chunk);
		out += chunk;
		addr += chunk;
		len -= chunk;
	}
	return NULL;
}

bool target_process_running(struct pyx_target *t)
{
	if (t->kind != TARGET_PID)
		return false;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", t->pid);
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool running = false;
	struct dirent *de;
	while (!running && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char stat_path[384], buf[512];
		snprintf(stat_path, sizeof(stat_path), "%s/%s/stat", path, de->d_name);
		FILE *f = fopen(stat_path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* "tid (comm) S ...": the state follows the last ')'. */
		const char *close = strrchr(buf, ')');
		char state = close && close[1] == ' ' ? close[2] : 'T';
		running = state != 'T' && state != 't' && state != 'Z' && state != 'X';
	}
	closedir(d);
	return running;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static struct pyx_error *pid_thread_ids(struct pyx_target *t, int **ret, size_t *n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", t->pid);
	DIR *d = opendir(path);
	if (!d)
		return pyx_error_os(errno, "listing threads in %s: %s", path,
				    strerror(errno));
	int *tids = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			int *p = realloc(tids, cap * sizeof(*p));
			if (!p) {
				free(tids);
				closedir(d);
				return pyx_error_no_memory();
			}
			tids = p;
		}
		tids[count++] = atoi(de->d_name);
	}
	closedir(d);
	if (count)
		qsort(tids, count, sizeof(*tids), cmp_int);
	*ret = tids;
	*n = count;
	return NULL;
}

struct pyx_error *target_thread_ids(struct pyx_target *t, int **ret, size_t *n)
{
	if (t->kind == TARGET_PID)
		return pid_thread_ids(t, ret, n);
	int *tids = malloc((t->nthreads ? t->nthreads : 1) * sizeof(*tids));
	if (!tids)
		return pyx_error_no_memory();
	for (size_t i = 0; i < t->nthreads; i++)
		tids[i] = t->threads[i].tid;
	*ret = tids;
	*n = t->nthreads;
	return NULL;
}
