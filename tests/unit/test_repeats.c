/* test_repeats.c - runs of repeated frames (util/repeats.c), as deep
 * stacks collapse them. */
#include <stdlib.h>

#include "check.h"
#include "util/repeats.h"

static void test_none(void)
{
	uint64_t k[] = { 1, 2, 3, 4, 5 };
	struct repeat *r;
	size_t n = find_repeats(k, 5, &r);
	CHECK(n == 0);
	free(r);
}

static void test_recursion(void)
{
	/* main, then walk() 1000 times, then the innermost two. */
	uint64_t k[1003];
	k[0] = 100;
	for (size_t i = 1; i <= 1000; i++)
		k[i] = 7;
	k[1001] = 8;
	k[1002] = 9;
	struct repeat *r;
	size_t n = find_repeats(k, 1003, &r);
	CHECK(n == 1);
	if (n == 1) {
		CHECK(r[0].first == 1);
		CHECK(r[0].length == 1);
		CHECK(r[0].more == 999);
	}
	free(r);
}

static void test_period_three(void)
{
	/* A three-frame cycle (Python frame, two C frames) repeated. */
	uint64_t k[3 * 50 + 1];
	for (size_t i = 0; i < 150; i++)
		k[i] = 10 + i % 3;
	k[150] = 99;
	struct repeat *r;
	size_t n = find_repeats(k, 151, &r);
	CHECK(n == 1);
	if (n == 1) {
		CHECK(r[0].first == 0);
		CHECK(r[0].length == 3);
		CHECK(r[0].more == 49);
	}
	free(r);
}

static void test_too_few(void)
{
	/* Twice is not a run worth collapsing. */
	uint64_t k[] = { 1, 2, 1, 2, 3 };
	struct repeat *r;
	size_t n = find_repeats(k, 5, &r);
	CHECK(n == 0);
	free(r);
}

int main(void)
{
	RUN(test_none);
	RUN(test_recursion);
	RUN(test_period_three);
	RUN(test_too_few);
	return check_finish();
}
