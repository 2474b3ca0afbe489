/* Unit tests for contrastive pair selection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/pairs.h"

/* Points on a line in 2-D, so Euclidean distances are easy to read. */
static float F[6][2] = { { 0, 0 }, { 10, 0 }, { 20, 0 }, { 30, 0 }, { 40, 0 }, { 50, 0 } };
static float S[4][2] = { { 1, 0 }, { 12, 0 }, { 9, 0 }, { 45, 0 } };

static void pairs__nearest_success(void **state)
{
	struct pairs_point f[2] = { { F[0], "date" }, { F[1], "date" } };
	struct pairs_point s[4] = { { S[0], "date" }, { S[1], "date" }, { S[2], "date" }, { S[3], "date" } };
	struct pairs_options o = PAIRS_OPTIONS_INIT;
	o.metric = PAIRS_EUCLIDEAN;
	struct pairs_pair *p;
	int nr;
	assert_int_equal(pairs_select(&p, &nr, f, 2, s, 4, 2, &o), 0);
	assert_int_equal(nr, 2);
	/* sorted by distance: failure 0 -> success 0 (1), failure 1 -> success 2 (1) */
	assert_int_equal(p[0].failure, 0);
	assert_int_equal(p[0].success, 0);
	assert_true(fabs(p[0].distance - 1) < 1e-9);
	assert_int_equal(p[1].failure, 1);
	assert_int_equal(p[1].success, 2);
	assert_int_equal(p[1].same_type, PAIRS_SAME);
	free(p);
}

static void pairs__same_type_filter(void **state)
{
	/* failure 1's nearest success (9,0) is of another type: the pair is
	 * dropped, not replaced by the next nearest success of its type */
	struct pairs_point f[2] = { { F[0], "date" }, { F[1], "math" } };
	struct pairs_point s[3] = { { S[0], "date" }, { S[1], "math" }, { S[2], "date" } };
	struct pairs_options o = PAIRS_OPTIONS_INIT;
	o.metric = PAIRS_EUCLIDEAN;
	struct pairs_pair *p;
	int nr;
	assert_int_equal(pairs_select(&p, &nr, f, 2, s, 3, 2, &o), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(p[0].failure, 0);
	free(p);
	/* type comparison ignores case */
	f[1].type = "DATE";
	assert_int_equal(pairs_select(&p, &nr, f, 2, s, 3, 2, &o), 0);
	assert_int_equal(nr, 2);
	free(p);
}

static void pairs__unknown_type_flagged(void **state)
{
	struct pairs_point f[2] = { { F[0], NULL }, { F[1], "unknown" } };
	struct pairs_point s[2] = { { S[0], "date" }, { S[2], "" } };
	struct pairs_options o = PAIRS_OPTIONS_INIT;
	o.metric = PAIRS_EUCLIDEAN;
	struct pairs_pair *p;
	int nr;
	assert_int_equal(pairs_select(&p, &nr, f, 2, s, 2, 2, &o), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(p[0].same_type, PAIRS_UNKNOWN);
	assert_int_equal(p[1].same_type, PAIRS_UNKNOWN);
	free(p);
	o.keep_unknown = 0;
	assert_int_equal(pairs_select(&p, &nr, f, 2, s, 2, 2, &o), 0);
	assert_int_equal(nr, 0);
	assert_null(p);
	assert_true(pairs_type_unknown("Unknown"));
	assert_false(pairs_type_unknown("date"));
	assert_int_equal(pairs_type_match("a", "b"), PAIRS_DIFFERENT);
}

static void pairs__keeps_n_closest(void **state)
{
	struct pairs_point f[6], s[1] = { { S[0], "t" } };
	for (int i = 0; i < 6; i++) {
		f[5 - i].vec = F[i];   /* reverse order: the closest is last */
		f[5 - i].type = "t";
	}
	struct pairs_options o = PAIRS_OPTIONS_INIT;
	o.metric = PAIRS_EUCLIDEAN;
	o.max_pairs = 3;
	struct pairs_pair *p;
	int nr;
	assert_int_equal(pairs_select(&p, &nr, f, 6, s, 1, 2, &o), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(p[0].failure, 5);
	assert_int_equal(p[1].failure, 4);
	assert_int_equal(p[2].failure, 3);
	assert_true(p[0].distance <= p[1].distance && p[1].distance <= p[2].distance);
	free(p);
}

static void pairs__deterministic_ties(void **state)
{
	/* two successes equally near: the lower index wins; two failures at
	 * the same distance: the lower failure index first */
	float a[2] = { 0, 1 }, b[2] = { 0, -1 }, x[2] = { 1, 0 }, y[2] = { -1, 0 };
	float z[2] = { 2, 0 };
	struct pairs_point f[2] = { { y, "t" }, { z, "t" } };
	struct pairs_point s[2] = { { a, "t" }, { b, "t" } };
	struct pairs_options o = PAIRS_OPTIONS_INIT;
	o.metric = PAIRS_EUCLIDEAN;
	struct pairs_pair *p;
	int nr;
	assert_int_equal(pairs_select(&p, &nr, f, 2, s, 2, 2, &o), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(p[0].failure, 0);
	assert_int_equal(p[0].success, 0);
	free(p);
	struct pairs_point f2[2] = { { x, "t" }, { y, "t" } };
	assert_int_equal(pairs_select(&p, &nr, f2, 2, s, 2, 2, &o), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(p[0].failure, 0);
	assert_int_equal(p[1].failure, 1);
	free(p);
}

static void pairs__cosine_default(void **state)
{
	float f0[2] = { 1, 0.1f }, s0[2] = { 100, 0 }, s1[2] = { 1, 1 };
	struct pairs_point f[1] = { { f0, "t" } };
	struct pairs_point s[2] = { { s0, "t" }, { s1, "t" } };
	struct pairs_pair *p;
	int nr;
	/* Euclidean would pick s1; cosine picks the same direction, s0 */
	assert_int_equal(pairs_select(&p, &nr, f, 1, s, 2, 2, NULL), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(p[0].success, 0);
	free(p);
	assert_int_equal(pairs_select(&p, &nr, f, 1, NULL, 0, 2, NULL), 0);
	assert_int_equal(nr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pairs__nearest_success),
		cmocka_unit_test(pairs__same_type_filter),
		cmocka_unit_test(pairs__unknown_type_flagged),
		cmocka_unit_test(pairs__keeps_n_closest),
		cmocka_unit_test(pairs__deterministic_ties),
		cmocka_unit_test(pairs__cosine_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
