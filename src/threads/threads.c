/* threads.c - the PyThreadStates of every interpreter, with OS thread ids,
 * names, the GIL holder and the thread that crashed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects/object.h"
#include "threads/threads.h"

#define MAX_THREADS (1u << 20)
#define PTHREAD_SCAN_BYTES 2048

void program_threads_free(struct pyx_thread *threads, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(threads[i].name);
	free(threads);
}

/* The tstate holding the GIL of an interpreter, or 0. */
static uint64_t gil_holder(struct pyx_program *prog, uint64_t interp)
{
	uint64_t gil;
	if (HAS(prog, PyInterpreterState_ceval_gil)) {
		struct pyx_error *err = read_ptr(prog, interp + LV(prog, PyInterpreterState_ceval_gil),
						 &gil);
		if (err) {
			pyx_error_destroy(err);
			return 0;
		}
	} else {
		gil = prog->runtime + (uint64_t)LV(prog, _PyRuntimeState_ceval_gil);
	}
	if (!gil)
		return 0;
	int32_t locked = 0;
	uint64_t holder = 0;
	struct pyx_error *err = read_i32(prog, gil + LV(prog, _gil_runtime_state_locked), &locked);
	if (!err)
		err = read_ptr(prog, gil + LV(prog, _gil_runtime_state_last_holder), &holder);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	return locked ? holder : 0;
}

/* 3.8 - 3.10 keep only the pthread_t: find where glibc's struct pthread
 * keeps the kernel tid by looking for the pid in the main thread's. */
static void learn_pthread_tid_offset(struct pyx_program *prog)
{
	prog->pthread_tid_offset_known = true;
	uint64_t main_thread;
	int pid = prog->target->pid;
	struct pyx_error *err = read_ptr(prog, prog->runtime +
		LV(prog, _PyRuntimeState_main_thread), &main_thread);
	uint8_t buf[PTHREAD_SCAN_BYTES];
	if (!err)
		err = pyx_target_read(prog->target, main_thread, buf, sizeof(buf));
	if (err) {
		pyx_error_destroy(err);
		return;
	}
	for (int off = 0; off + 4 <= PTHREAD_SCAN_BYTES; off += 4) {
		int32_t v;
		memcpy(&v, buf + off, 4);
		if (v == pid) {
			prog->pthread_tid_offset = off;
			return;
		}
	}
}

static int tid_of_pthread(struct pyx_program *prog, uint64_t pthread,
			  const int *tids, size_t ntids)
{
	if (!prog->pthread_tid_offset_known)
		learn_pthread_tid_offset(prog);
	if (prog->pthread_tid_offset < 0 || !pthread)
		return 0;
	int32_t tid;
	struct pyx_error *err = read_i32(prog, pthread + (uint64_t)prog->pthread_tid_offset, &tid);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	for (size_t i = 0; i < ntids; i++)
		if (tids[i] == tid)
			return tid;
	return 0;
}

struct name_entry {
	uint64_t ident;
	char *name;
};

struct name_map {
	struct pyx_program *prog;
	struct name_entry *v;
	size_t n;
};

static int threading_visit(void *arg, uint64_t key, uint64_t value)
{
	struct name_map *m = arg;
	int64_t ident;
	bool fits;
	uint64_t name;
	char *s = NULL;
	struct pyx_error *err = long_value(m->prog, key, &ident, &fits);
	if (!err && !fits)
		return 0;
	if (!err)
		err = instance_attr(m->prog, value, "_name", &name);
	if (!err)
		err = object_str_utf8(m->prog, name, 200, &s);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	struct name_entry *v = realloc(m->v, (m->n + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return 1;
	}
	m->v = v;
	v[m->n].ident = (uint64_t)ident;
	v[m->n].name = s;
	m->n++;
	return 0;
}

/* threading._active: {ident: Thread}, for the names Python gave threads. */
static void threading_names(struct pyx_program *prog, struct name_map *m)
{
	uint64_t modules, threading, dict, active;
	struct pyx_error *err = program_sys_attr(prog, "modules", &modules);
	if (!err)
		err = dict_lookup_str(prog, modules, "threading", &threading);
	if (!err)
		err = read_ptr(prog, threading + LV(prog, PyModuleObject_md_dict), &dict);
	if (!err)
		err = dict_lookup_str(prog, dict, "_active", &active);
	if (!err)
		err = dict_iterate(prog, active, threading_visit, m);
	pyx_error_destroy(err);
}

char *thread_comm_name(int pid, int tid)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *s = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!s)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

struct pyx_error *program_threads(struct pyx_program *prog,
				  struct pyx_thread **ret, size_t *n)
{
	uint64_t *interps;
	size_t ninterps;
	PYX_TRY(program_interpreters(prog, &interps, &ninterps));
	int *tids = NULL;
	size_t ntids = 0;
	struct pyx_error *err = target_thread_ids(prog->target, &tids, &ntids);
	if (err) {
		pyx_error_destroy(err);
		tids = NULL;
		ntids = 0;
	}
	struct name_map names = { .prog = prog };
	threading_names(prog, &names);
	struct pyx_crash_info crash;
	pyx_target_crash_info(prog->target, &crash);

	struct pyx_thread *threads = NULL;
	size_t count = 0;
	/* CPython lists interpreters and threads newest first; show the
	 * main interpreter and each one's oldest thread first. */
	for (size_t k = ninterps; k-- > 0 && !err;) {
		uint64_t interp = interps[k];
		int64_t interp_id = 0;
		err = read_i64(prog, interp + LV(prog, PyInterpreterState_id), &interp_id);
		uint64_t holder = err ? 0 : gil_holder(prog, interp);
		uint64_t ts = 0;
		if (!err)
			err = read_ptr(prog, interp + LV(prog, PyInterpreterState_threads_head), &ts);
		size_t first = count;
		uint64_t saved = 0, before = 0;
		size_t power = 1, steps = 0;
		while (!err && ts) {
			if (ts == saved || count >= MAX_THREADS) {
				err = pyx_error_create(PYX_ERR_LIMIT, "the thread list of "
					"interpreter %lld loops (corrupted?)", (long long)interp_id);
				break;
			}
			if (++steps == power) {
				saved = ts;
				power *= 2;
				steps = 0;
			}
			struct pyx_thread *grown = realloc(threads, (count + 1) * sizeof(*grown));
			if (!grown) {
				err = pyx_error_no_memory();
				break;
			}
			threads = grown;
			struct pyx_thread *t = &threads[count++];
			memset(t, 0, sizeof(*t));
			t->tstate = ts;
			t->interp = interp;
			t->interp_id = interp_id;
			t->holds_gil = holder == ts;
			/* Both directions: each thread state's prev must name the
			 * one before it (the head's, NULL). */
			uint64_t prev;
			err = read_ptr(prog, ts + LV(prog, PyThreadState_prev), &prev);
			if (!err && prev != before) {
				err = pyx_error_create(PYX_ERR_INVALID_OBJECT,
					"the thread list of interpreter %lld is broken: thread "
					"state 0x%llx links back to 0x%llx, but %s 0x%llx",
					(long long)interp_id, (unsigned long long)ts,
					(unsigned long long)prev, before ? "the one before it is"
					: "it is the list's head, from interpreter",
					(unsigned long long)(before ? before : interp));
				err->address = ts;
				break;
			}
			before = ts;
			if (!err)
				err = read_ptr(prog, ts + LV(prog, PyThreadState_thread_id), &t->thread_id);
			if (!err && HAS(prog, PyThreadState_native_thread_id)) {
				uint64_t native;
				err = read_ptr(prog, ts + LV(prog, PyThreadState_native_thread_id), &native);
				t->tid = err ? 0 : (int)native;
			} else if (!err) {
				t->tid = tid_of_pthread(prog, t->thread_id, tids, ntids);
			}
			if (!err)
				err = read_ptr(prog, ts + LV(prog, PyThreadState_next), &ts);
		}
		/* Reverse this interpreter's threads: oldest first. */
		for (size_t i = first, j = count; i + 1 < j; i++, j--) {
			struct pyx_thread tmp = threads[i];
			threads[i] = threads[j - 1];
			threads[j - 1] = tmp;
		}
	}
	for (size_t i = 0; !err && i < count; i++) {
		struct pyx_thread *t = &threads[i];
		t->crashed = crash.signo && crash.tid && t->tid == crash.tid;
		for (size_t j = 0; j < names.n; j++) {
			if (names.v[j].ident == t->thread_id && t->interp == interps[ninterps - 1]) {
				t->name = strdup(names.v[j].name);
				break;
			}
		}
		if (!t->name && t->tid && prog->target->kind == TARGET_PID)
			t->name = thread_comm_name(prog->target->pid, t->tid);
	}
	for (size_t j = 0; j < names.n; j++)
		free(names.v[j].name);
	free(names.v);
	free(tids);
	free(interps);
	if (err) {
		program_threads_free(threads, count);
		return err;
	}
	*ret = threads;
	*n = count;
	return NULL;
}

struct pyx_error *program_find_tstate(struct pyx_program *prog, int tid, uint64_t *ret)
{
	if (!HAS(prog, PyThreadState_native_thread_id)) {
		/* Up to 3.10 the thread state only knows the pthread_t. */
		struct pyx_thread *threads;
		size_t n;
		PYX_TRY(program_threads(prog, &threads, &n));
		*ret = 0;
		for (size_t i = 0; i < n && !*ret; i++)
			if (threads[i].tid == tid)
				*ret = threads[i].tstate;
		program_threads_free(threads, n);
	} else {
		uint64_t *interps;
		size_t ninterps;
		PYX_TRY(program_interpreters(prog, &interps, &ninterps));
		struct pyx_error *err = NULL;
		*ret = 0;
		for (size_t k = 0; k < ninterps && !err && !*ret; k++) {
			uint64_t ts = 0;
			err = read_ptr(prog, interps[k] + LV(prog, PyInterpreterState_threads_head), &ts);
			for (size_t steps = 0; !err && ts && steps < MAX_THREADS; steps++) {
				uint64_t native;
				err = read_ptr(prog, ts + LV(prog, PyThreadState_native_thread_id), &native);
				if (!err && (int)native == tid) {
					*ret = ts;
					break;
				}
				if (!err)
					err = read_ptr(prog, ts + LV(prog, PyThreadState_next), &ts);
			}
		}
		free(interps);
		if (err)
			return err;
	}
	if (!*ret)
		return pyx_error_create(PYX_ERR_NOT_FOUND,
			"thread %d has no Python thread state (a thread that never ran "
			"Python code?)", tid);
	return NULL;
}

struct pyx_error *program_tstate_cached(struct pyx_program *prog, int tid, uint64_t *ret)
{
	size_t slot = (size_t)tid % TSTATE_CACHE_SIZE;
	struct tstate_cache_entry *e = &prog->tstate_cache[slot];
	if (e->tid == tid && e->tstate && HAS(prog, PyThreadState_native_thread_id)) {
		/* Still this thread's?  Thread states are freed and reused. */
		uint64_t native;
		struct pyx_error *err = read_ptr(prog, e->tstate +
						 LV(prog, PyThreadState_native_thread_id), &native);
		if (!err && (int)native == tid) {
			*ret = e->tstate;
			return NULL;
		}
		pyx_error_destroy(err);
	}
	PYX_TRY(program_find_tstate(prog, tid, ret));
	e->tid = tid;
	e->tstate = *ret;
	return NULL;
}
