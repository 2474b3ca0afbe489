/*
 * Unit tests for the paired statistics: McNemar, Newcombe, the gate and
 * early stopping of verification.
 *
 * Reference values: McNemar p-values are exact binomial sums done by hand
 * (e.g. 10 vs 2: 2 * (1 + 12 + 66) / 4096) or with exact rational
 * arithmetic; Newcombe intervals were computed independently from the
 * formulas of Newcombe (1998) with bc -l.  Newcombe's own example
 * (a=12, b=9, c=2, d=21) gives 0.0182 to 0.2892 in his table for method 10.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "skillsmith/common.h"
#include "skillsmith/stats.h"

static struct paired_counts pc(int n00, int n01, int n10, int n11)
{
	struct paired_counts c = { n00, n01, n10, n11 };
	return c;
}

/* ------------------------------------------------------------------ */

static void stats__gate_threshold(void **state)
{
	assert_int_equal(stats_gate_threshold(2, 0.05, 120), 6);
	assert_int_equal(stats_gate_threshold(2, 0.05, 121), 7);
	assert_int_equal(stats_gate_threshold(2, 0.05, 10), 2);
	assert_int_equal(stats_gate_threshold(0, 0.0, 10), 1);
}

static void stats__add_counts(void **state)
{
	struct paired_counts c = { 0 };
	stats_add(&c, 0, 0);
	stats_add(&c, 0, 1);
	stats_add(&c, 0, 1);
	stats_add(&c, 1, 0);
	stats_add(&c, 1, 1);
	assert_int_equal(c.n00, 1);
	assert_int_equal(c.n01, 2);
	assert_int_equal(c.n10, 1);
	assert_int_equal(c.n11, 1);
	assert_int_equal(stats_net_gain(&c), 1);
	assert_int_equal(stats_m(&c), 5);
}

static void stats__mcnemar_small_by_hand(void **state)
{
	/* 2 * (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 158 / 4096 */
	assert_float_equal(stats_mcnemar_p(10, 2), 158.0 / 4096.0, 1e-15);
	assert_float_equal(stats_mcnemar_p(2, 10), 158.0 / 4096.0, 1e-15);
	/* all six discordant pairs one way: 2 / 64 */
	assert_float_equal(stats_mcnemar_p(0, 6), 0.03125, 1e-15);
	assert_float_equal(stats_mcnemar_p(6, 0), 0.03125, 1e-15);
	/* 2 * (1 + 9 + 36) / 512 */
	assert_float_equal(stats_mcnemar_p(7, 2), 92.0 / 512.0, 1e-15);
	/* 2 * (1 + 4) / 16 */
	assert_float_equal(stats_mcnemar_p(3, 1), 0.625, 1e-15);
}

static void stats__mcnemar_capped_at_one(void **state)
{
	assert_float_equal(stats_mcnemar_p(5, 5), 1.0, 0);
	assert_float_equal(stats_mcnemar_p(1, 0), 1.0, 0);
	assert_float_equal(stats_mcnemar_p(4, 3), 1.0, 0);
}

static void stats__mcnemar_no_discordant_pairs(void **state)
{
	assert_float_equal(stats_mcnemar_p(0, 0), 1.0, 0);
}

static void stats__mcnemar_large_n_in_log_space(void **state)
{
	/* exact rational values, printed to 17 digits */
	double p = stats_mcnemar_p(600, 400);
	assert_true(fabs(p - 2.7284641560660184e-10) < 1e-9 * 2.7284641560660184e-10);
	p = stats_mcnemar_p(40, 10);
	assert_true(fabs(p - 2.3861331676755526e-05) < 1e-9 * 2.3861331676755526e-05);
	/* 2 / 2^1000: far below what a naive product would keep */
	p = stats_mcnemar_p(0, 1000);
	assert_true(fabs(p - 1.8665272370064378e-301) < 1e-9 * 1.8665272370064378e-301);
	/* and a big balanced case stays at 1 */
	assert_float_equal(stats_mcnemar_p(500000, 500000), 1.0, 0);
}

static void stats__wilson(void **state)
{
	double lo, hi;
	/* 21 / 44 (Newcombe's example, margin a+b), bc -l */
	stats_wilson(21, 44, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, 0.3375499, 1e-6);
	assert_float_equal(hi, 0.6206453, 1e-6);
	stats_wilson(0, 10, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, 0.0, 0);
	assert_float_equal(hi, 0.2775328, 1e-6);
	stats_wilson(0, 0, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, 0.0, 0);
	assert_float_equal(hi, 1.0, 0);
}

static void stats__newcombe_paper_example(void **state)
{
	/* a=12 both, b=9 first only, c=2 second only, d=21 neither */
	struct paired_counts c = pc(21, 9, 2, 12);
	double lo, hi;
	stats_newcombe_ci(&c, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, 0.01821023, 1e-7);
	assert_float_equal(hi, 0.28915666, 1e-7);
}

static void stats__newcombe_negative_difference(void **state)
{
	/* more regressions than repairs: the interval mirrors */
	struct paired_counts c = pc(21, 2, 9, 12);
	double lo, hi;
	stats_newcombe_ci(&c, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, -0.28915666, 1e-7);
	assert_float_equal(hi, -0.01821023, 1e-7);
	c = pc(3, 5, 2, 10);
	stats_newcombe_ci(&c, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, -0.09895927, 1e-7);
	assert_float_equal(hi, 0.37523775, 1e-7);
}

static void stats__newcombe_edges(void **state)
{
	double lo, hi;
	/* m = 0: nothing known */
	struct paired_counts c = pc(0, 0, 0, 0);
	stats_newcombe_ci(&c, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, -1.0, 0);
	assert_float_equal(hi, 1.0, 0);
	/* no discordant pairs, both margins 1/2 and perfectly correlated */
	c = pc(10, 0, 0, 10);
	stats_newcombe_ci(&c, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, 0.0, 1e-12);
	assert_float_equal(hi, 0.0, 1e-12);
	/* all repairs: Delta = 1, upper limit 1 */
	c = pc(0, 8, 0, 0);
	stats_newcombe_ci(&c, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, 0.54121842, 1e-7);
	assert_float_equal(hi, 1.0, 0);
	/* all regressions mirror it */
	c = pc(0, 0, 8, 0);
	stats_newcombe_ci(&c, STATS_Z95, &lo, &hi);
	assert_float_equal(lo, -1.0, 0);
	assert_float_equal(hi, -0.54121842, 1e-7);
}

static void stats__summarize(void **state)
{
	struct paired_counts c = pc(21, 9, 2, 12);
	struct paired_summary s;
	stats_summarize(&c, &s);
	assert_int_equal(s.m, 44);
	assert_int_equal(s.net_gain, 7);
	assert_float_equal(s.delta, 7.0 / 44.0, 1e-15);
	/* 2 * (1 + 11 + 55) / 2048 */
	assert_float_equal(s.p_value, 134.0 / 2048.0, 1e-15);
	assert_true(s.ci_low <= s.delta && s.delta <= s.ci_high);
	c = pc(0, 0, 0, 0);
	stats_summarize(&c, &s);
	assert_int_equal(s.m, 0);
	assert_float_equal(s.delta, 0.0, 0);
	assert_float_equal(s.p_value, 1.0, 0);
}

/* ------------------------------------------------------------------ */
/* Early stopping                                                      */

static void stats__gain_bounds(void **state)
{
	struct paired_counts c = pc(1, 3, 1, 2); /* G = 2 */
	int lo, hi;
	stats_gain_bounds(&c, 4, 5, &lo, &hi);
	assert_int_equal(lo, -3);
	assert_int_equal(hi, 6);
}

static void stats__early_stop_ties_keep_earlier(void **state)
{
	struct paired_counts c = pc(0, 2, 0, 0); /* G = 2 */
	/* can reach 2 + 1 = 3: a tie with best 3 cannot change the selection */
	assert_int_equal(stats_early_stop(&c, 1, 4, 1, 3, 2), STATS_STOP_CANNOT_BEAT);
	/* can reach 3 > best 2: must go on */
	assert_int_equal(stats_early_stop(&c, 1, 4, 1, 2, 2), STATS_CONTINUE);
	/* nothing verified before: never stop */
	assert_int_equal(stats_early_stop(&c, 0, 4, 0, 0, 9), STATS_CONTINUE);
	/* cannot reach the gate but could beat the best: go on */
	assert_int_equal(stats_early_stop(&c, 1, 4, 1, 1, 5), STATS_CONTINUE);
	/* cannot beat and cannot reach the gate */
	assert_int_equal(stats_early_stop(&c, 1, 4, 1, 3, 5), STATS_STOP_CANNOT_BEAT_OR_GATE);
	assert_string_equal(stats_stop_name(STATS_STOP_CANNOT_BEAT), "cannot-beat-best");
}

static void stats__select_best_first_max(void **state)
{
	int g[] = { 1, 4, 4, -2 };
	int done[] = { 1, 0, 1, 1 };
	assert_int_equal(stats_select_best(g, NULL, 4), 1);
	assert_int_equal(stats_select_best(g, done, 4), 2);
	assert_int_equal(stats_select_best(g, done, 0), -1);
	int neg[] = { -3, -1, -1 };
	assert_int_equal(stats_select_best(neg, NULL, 3), 1);
}

static void stats__verify_order_is_seeded_permutation(void **state)
{
	int a[50], b[50], c[50], seen[50] = { 0 };
	stats_verify_order(a, 50, 7);
	stats_verify_order(b, 50, 7);
	stats_verify_order(c, 50, 8);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
	for (int i = 0; i < 50; i++) {
		assert_true(a[i] >= 0 && a[i] < 50);
		seen[a[i]]++;
	}
	for (int i = 0; i < 50; i++)
		assert_int_equal(seen[i], 1);
	int identity = 1;
	for (int i = 0; i < 50; i++)
		identity &= a[i] == i;
	assert_false(identity);
}

/*
 * Verification of K candidates against one baseline, in the order given.
 * base and skill are bit masks (bit i: outcome on instance i).  With
 * `early` 0 everything is verified.  `naive` is the unsafe rule that
 * also stops any candidate that cannot reach the gate; it exists to show
 * that the comparison below can tell a wrong rule from a right one.
 * Returns the selected round; *status 1 active; *g_sel its G.
 */
enum mode { FULL, EARLY, NAIVE };

static int verify_all(int m, int k, uint32_t base, const uint32_t *skill,
		      const int *order, int gamma, enum mode mode,
		      int *status, int *g_sel, int *saved)
{
	int g[16], done[16];
	int has_best = 0, best = 0;
	for (int r = 0; r < k; r++) {
		struct paired_counts c = { 0 };
		int f_rem = 0, s_rem = 0;
		for (int i = 0; i < m; i++) {
			if (base >> i & 1)
				s_rem++;
			else
				f_rem++;
		}
		done[r] = 1;
		for (int t = 0; t < m; t++) {
			if (mode == EARLY &&
			    stats_early_stop(&c, f_rem, s_rem, has_best, best, gamma)) {
				done[r] = 0;
			} else if (mode == NAIVE) {
				int lo, hi;
				stats_gain_bounds(&c, f_rem, s_rem, &lo, &hi);
				if ((has_best && hi <= best) || hi < gamma)
					done[r] = 0;
			}
			if (!done[r]) {
				*saved += m - t;
				break;
			}
			int i = order[t];
			int b = base >> i & 1, s = skill[r] >> i & 1;
			stats_add(&c, b, s);
			if (b)
				s_rem--;
			else
				f_rem--;
		}
		g[r] = stats_net_gain(&c);
		if (done[r] && (!has_best || g[r] > best)) {
			best = g[r];
			has_best = 1;
		}
	}
	int sel = stats_select_best(g, done, k);
	if (sel < 0) {
		/* only the naive rule can stop every round */
		*status = 0;
		*g_sel = 0;
		return -1;
	}
	*status = g[sel] >= gamma;
	*g_sel = g[sel];
	return sel;
}

struct tally {
	long cases, naive_differs, saved, total;
	int check_naive;
};

/* Full verification without simulation: G from the bit masks. */
static int full_select(int k, uint32_t base, const uint32_t *skill, int gamma,
		       int *status, int *g_sel)
{
	int g[16];
	for (int r = 0; r < k; r++)
		g[r] = __builtin_popcount(skill[r] & ~base) -
		       __builtin_popcount(base & ~skill[r]);
	int sel = stats_select_best(g, NULL, k);
	*status = g[sel] >= gamma;
	*g_sel = g[sel];
	return sel;
}

static void compare_once(int m, int k, uint32_t base, const uint32_t *skill,
			 const int *order, int gamma, struct tally *t)
{
	int st_full, st_early, st_naive, g_full, g_early, g_naive;
	int saved = 0, ignore = 0;
	int full = full_select(k, base, skill, gamma, &st_full, &g_full);
	int early = verify_all(m, k, base, skill, order, gamma, EARLY,
			       &st_early, &g_early, &saved);
	if (full != early || st_full != st_early || g_full != g_early) {
		fail_msg("m=%d k=%d gamma=%d base=%x: full selects %d (G %d, %s), "
			 "early stopping %d (G %d, %s)", m, k, gamma, base,
			 full, g_full, st_full ? "active" : "deprecated",
			 early, g_early, st_early ? "active" : "deprecated");
	}
	if (t->check_naive) {
		int naive = verify_all(m, k, base, skill, order, gamma, NAIVE,
				       &st_naive, &g_naive, &ignore);
		if (naive != full || st_naive != st_full)
			t->naive_differs++;
	}
	t->cases++;
	t->saved += saved;
	t->total += (long)m * k;
}

/* Every outcome sequence of K candidates on m instances, ordered 0..m-1. */
static void exhaustive(int m, int k, int gamma, struct tally *t)
{
	int order[8];
	for (int i = 0; i < m; i++)
		order[i] = i;
	uint32_t n = 1u << m;
	uint32_t skill[3];
	uint64_t combos = 1;
	for (int r = 0; r < k; r++)
		combos *= n;
	for (uint32_t base = 0; base < n; base++) {
		for (uint64_t x = 0; x < combos; x++) {
			uint64_t y = x;
			for (int r = 0; r < k; r++) {
				skill[r] = (uint32_t)(y % n);
				y /= n;
			}
			compare_once(m, k, base, skill, order, gamma, t);
		}
	}
}

static void stats__early_stop_equals_full_exhaustive(void **state)
{
	struct tally t = { 0 };
	t.check_naive = 1;
	/* all sequences with m(K+1) <= 18 bits under several gates */
	for (int k = 1; k <= 3; k++) {
		for (int m = 1; m <= 8; m++) {
			if (m * (k + 1) > 18)
				continue;
			for (int gamma = 1; gamma <= 3; gamma++)
				exhaustive(m, k, gamma, &t);
		}
	}
	/* the largest cases once, with the default gate */
	t.check_naive = 0;
	exhaustive(8, 2, stats_gate_threshold(2, 0.05, 8), &t);
	exhaustive(5, 3, stats_gate_threshold(2, 0.05, 5), &t);
	print_message("exhaustive: %ld cases, %ld of %ld rollouts saved; "
		      "the naive gate rule differs in %ld\n",
		      t.cases, t.saved, t.total, t.naive_differs);
	/* stopping does happen, and the unsafe rule is caught */
	assert_true(t.saved > 0);
	assert_true(t.naive_differs > 0);
}

static void stats__early_stop_equals_full_randomised(void **state)
{
	struct ss_rng rng;
	struct tally t = { 0 };
	ss_rng_seed(&rng, 20261203);
	int order[30];
	uint32_t skill[8];
	for (int it = 0; it < 20000; it++) {
		int m = 4 + (int)ss_rng_below(&rng, 27);   /* 4..30 */
		int k = 1 + (int)ss_rng_below(&rng, 8);    /* 1..8 */
		double pb = ss_rng_double(&rng);
		uint32_t base = 0;
		for (int i = 0; i < m; i++)
			if (ss_rng_double(&rng) < pb)
				base |= 1u << i;
		for (int r = 0; r < k; r++) {
			/* candidates that repair and regress at random rates */
			double rep = ss_rng_double(&rng) * 0.6, reg = ss_rng_double(&rng) * 0.4;
			skill[r] = 0;
			for (int i = 0; i < m; i++) {
				int b = base >> i & 1;
				int s = b ? ss_rng_double(&rng) >= reg : ss_rng_double(&rng) < rep;
				if (s)
					skill[r] |= 1u << i;
			}
		}
		stats_verify_order(order, m, ss_rng_next(&rng));
		compare_once(m, k, base, skill, order,
			     stats_gate_threshold(2, 0.05, m), &t);
	}
	print_message("randomised: %ld cases, %ld of %ld rollouts saved (%.1f %%)\n",
		      t.cases, t.saved, t.total, 100.0 * t.saved / t.total);
	assert_true(t.saved > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stats__gate_threshold),
		cmocka_unit_test(stats__add_counts),
		cmocka_unit_test(stats__mcnemar_small_by_hand),
		cmocka_unit_test(stats__mcnemar_capped_at_one),
		cmocka_unit_test(stats__mcnemar_no_discordant_pairs),
		cmocka_unit_test(stats__mcnemar_large_n_in_log_space),
		cmocka_unit_test(stats__wilson),
		cmocka_unit_test(stats__newcombe_paper_example),
		cmocka_unit_test(stats__newcombe_negative_difference),
		cmocka_unit_test(stats__newcombe_edges),
		cmocka_unit_test(stats__summarize),
		cmocka_unit_test(stats__gain_bounds),
		cmocka_unit_test(stats__early_stop_ties_keep_earlier),
		cmocka_unit_test(stats__select_best_first_max),
		cmocka_unit_test(stats__verify_order_is_seeded_permutation),
		cmocka_unit_test(stats__early_stop_equals_full_exhaustive),
		cmocka_unit_test(stats__early_stop_equals_full_randomised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
