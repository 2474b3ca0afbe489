/* Unit tests for the split: sizes, determinism, order independence, tiny suites. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/split.h"

static char **make_ids(int n)
{
	char **ids = xcalloc((size_t)n, sizeof(*ids));
	for (int i = 0; i < n; i++)
		ids[i] = xasprintf("d-%03d", i);
	return ids;
}

static void free_ids(char **ids, int n)
{
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void split__default_sizes_and_disjoint(void **state)
{
	int n = 100;
	char **ids = make_ids(n);
	enum split_part parts[100];
	struct split_counts c;
	assert_int_equal(split_assign(parts, (const char *const *)ids, n, 1, 0.3, 0.3, 4, &c), 0);
	assert_int_equal(c.test, 30);
	assert_int_equal(c.ver, 21);
	assert_int_equal(c.ind, 49);
	int count[3] = { 0 };
	for (int i = 0; i < n; i++)
		count[parts[i]]++;
	assert_int_equal(count[SPLIT_IND], 49);
	assert_int_equal(count[SPLIT_VER], 21);
	assert_int_equal(count[SPLIT_TEST], 30);
	free_ids(ids, n);
}

static void split__same_seed_same_split_in_any_order(void **state)
{
	int n = 40;
	char **ids = make_ids(n);
	enum split_part a[40], b[40], r[40];
	assert_int_equal(split_assign(a, (const char *const *)ids, n, 42, 0.3, 0.3, 4, NULL), 0);
	assert_int_equal(split_assign(b, (const char *const *)ids, n, 42, 0.3, 0.3, 4, NULL), 0);
	assert_memory_equal(a, b, sizeof(a));
	/* reversed file order: each id keeps its part */
	char **rev = xcalloc((size_t)n, sizeof(*rev));
	for (int i = 0; i < n; i++)
		rev[i] = ids[n - 1 - i];
	assert_int_equal(split_assign(r, (const char *const *)rev, n, 42, 0.3, 0.3, 4, NULL), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(r[n - 1 - i], a[i]);
	free(rev);
	/* another seed gives another split */
	assert_int_equal(split_assign(b, (const char *const *)ids, n, 43, 0.3, 0.3, 4, NULL), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	free_ids(ids, n);
}

static void split__min_verification_and_tiny_suites(void **state)
{
	char **ids = make_ids(10);
	enum split_part parts[10];
	struct split_counts c;
	/* 10: test 3, rest 7, ver max(4, 2) = 4, ind 3 */
	assert_int_equal(split_assign(parts, (const char *const *)ids, 10, 0, 0.3, 0.3, 4, &c), 0);
	assert_int_equal(c.test, 3);
	assert_int_equal(c.ver, 4);
	assert_int_equal(c.ind, 3);
	/* 6: test 2, ver 4, no induction left: take one from test */
	assert_int_equal(split_assign(parts, (const char *const *)ids, 6, 0, 0.3, 0.3, 4, &c), 0);
	assert_int_equal(c.test, 1);
	assert_int_equal(c.ver, 4);
	assert_int_equal(c.ind, 1);
	/* no test split asked for */
	assert_int_equal(split_assign(parts, (const char *const *)ids, 5, 0, 0, 0.3, 4, &c), 0);
	assert_int_equal(c.test, 0);
	assert_int_equal(c.ind, 1);
	/* too few */
	assert_int_equal(split_assign(parts, (const char *const *)ids, 5, 0, 0.3, 0.3, 4, &c), SS_EINPUT);
	assert_string_equal(ss_err_last(), "5 instances are too few to split: need at least 6 "
			    "(1 induction, 4 verification, 1 test)");
	assert_int_equal(split_assign(parts, (const char *const *)ids, 0, 0, 0.3, 0.3, 4, &c), SS_EINPUT);
	free_ids(ids, 10);
	assert_string_equal(split_part_name(SPLIT_VER), "ver");
	assert_int_equal(split_part_parse("test"), SPLIT_TEST);
	assert_int_equal(split_part_parse("x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split__default_sizes_and_disjoint),
		cmocka_unit_test(split__same_seed_same_split_in_any_order),
		cmocka_unit_test(split__min_verification_and_tiny_suites),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
