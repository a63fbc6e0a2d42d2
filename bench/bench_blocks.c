/* bench_blocks - time obmalloc_foreach_block() (the walk py-census
 * --all-heap builds on) over a process's whole pymalloc heap.
 *
 *	bench-blocks PID [RUNS]
 *
 * Prints one JSON line: the blocks and bytes visited, and the first and
 * median wall time of RUNS walks (default 3), each on a fresh program
 * (nothing cached). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "heap/obmalloc.h"

struct count {
	uint64_t blocks, bytes, sum;
};

static int visit(void *arg, uint64_t addr, uint32_t size, const uint8_t *data)
{
	struct count *c = arg;
	(void)addr;
	c->blocks++;
	c->bytes += size;
	c->sum += data[8];  /* touch the copy, as a census reading ob_type would */
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-blocks PID [RUNS]\n");
		return 2;
	}
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	if (runs < 1 || runs > 100)
		runs = 3;
	double times[100];
	struct count c = { 0 };
	for (int i = 0; i < runs; i++) {
		struct pyx_target *t;
		struct pyx_program *prog;
		struct pyx_error *err = pyx_target_create_pid(atoi(argv[1]), &t);
		if (!err)
			err = pyx_program_create(t, NULL, &prog);
		if (err) {
			fprintf(stderr, "bench-blocks: %s\n", pyx_error_message(err));
			return 1;
		}
		c = (struct count){ 0 };
		double t0 = now();
		err = obmalloc_foreach_block(prog, visit, &c);
		times[i] = now() - t0;
		pyx_program_destroy(prog);
		if (err) {
			fprintf(stderr, "bench-blocks: %s\n", pyx_error_message(err));
			return 1;
		}
	}
	double first = times[0];
	qsort(times, runs, sizeof(times[0]), cmp_double);
	printf("{\"blocks\": %llu, \"bytes\": %llu, \"first_seconds\": %.4f, "
	       "\"median_seconds\": %.4f}\n", (unsigned long long)c.blocks,
	       (unsigned long long)c.bytes, first, times[runs / 2]);
	return 0;
}
