#ifndef SKILLSMITH_STATS_H
#define SKILLSMITH_STATS_H
/*
 * Paired comparison statistics: the SkillGen counts and gate, exact
 * McNemar p-values, confidence intervals for the paired difference, and
 * the exact bounds used for early stopping of verification.
 *
 * Everything here is pure: no allocation, no I/O, no global state.
 */
#include <stdint.h>

/* Paired outcomes: n_{base,skill}. n01 repairs, n10 regressions. */
struct paired_counts {
	int n00, n01, n10, n11;
};

/* Net gain G = n01 - n10. */
int stats_net_gain(const struct paired_counts *c);
/* m = number of paired instances. */
int stats_m(const struct paired_counts *c);
/* gamma = max(g_abs, ceil(g_rel * m), 1). */
int stats_gate_threshold(int g_abs, double g_rel, int m);
/* Add one paired outcome (base, skill in {0,1}) to the counts. */
void stats_add(struct paired_counts *c, int base, int skill);

/* ------------------------------------------------------------------ */
/* Significance and intervals                                          */

/* The normal quantile for a two-sided 95 % interval. */
#define STATS_Z95 1.959963984540054

/*
 * Exact McNemar test: the two-sided binomial test on the discordant pairs.
 * With n = n01 + n10 and X ~ Bin(n, 1/2),
 *     p = min(1, 2 * P[X <= min(n01, n10)]),
 * and p = 1 when there is no discordant pair.  Computed in log space
 * (lgamma and log-sum-exp), so any n that fits an int works.  Negative
 * counts give 1.
 */
double stats_mcnemar_p(int n01, int n10);

/*
 * Confidence interval for the paired difference
 *     Delta = (n01 - n10) / m = p_skill - p_base
 * by Newcombe's method 10 for paired proportions (Newcombe 1998, "Improved
 * confidence intervals for the difference between binomial proportions
 * based on paired data", Stat Med 17:2635-2650): the square-and-add
 * combination of the Wilson score intervals (l1,u1) of p_skill and
 * (l2,u2) of p_base, without continuity correction, with the correlation
 * correction phi = (n11 n00 - n01 n10) / sqrt(product of the four
 * margins), phi = 0 when a margin is empty:
 *     low  = D - sqrt((p1-l1)^2 - 2 phi (p1-l1)(u2-p2) + (u2-p2)^2)
 *     high = D + sqrt((p2-l2)^2 - 2 phi (p2-l2)(u1-p1) + (u1-p1)^2)
 * `z` is the normal quantile (STATS_Z95 for 95 %).  Limits are clamped to
 * [-1, 1].  With m = 0 nothing is known: low = -1, high = 1.
 */
void stats_newcombe_ci(const struct paired_counts *c, double z,
		       double *low, double *high);

/* Wilson score interval for x successes out of n (n = 0 gives [0, 1]). */
void stats_wilson(int x, int n, double z, double *low, double *high);

/* Everything shown for one paired comparison (a round, or the test). */
struct paired_summary {
	int m;
	int net_gain;       /* G = n01 - n10 */
	double delta;       /* G / m, 0 when m = 0 */
	double p_value;     /* exact McNemar */
	double ci_low;      /* Newcombe method 10, 95 % */
	double ci_high;
};
void stats_summarize(const struct paired_counts *c, struct paired_summary *out);

/* ------------------------------------------------------------------ */
/* Early stopping of verification                                      */

/*
 * Exact bounds on a candidate's final net gain after part of the
 * verification split.  `now` holds the counts on the instances verified
 * so far; of the instances still to verify, `f_rem` failed and `s_rem`
 * succeeded without the skill (the cached baseline).  Each remaining
 * baseline failure can at best become a repair, each remaining baseline
 * success can at worst become a regression, hence
 *     G_now - s_rem <= G_final <= G_now + f_rem.
 */
void stats_gain_bounds(const struct paired_counts *now, int f_rem, int s_rem,
		       int *lower, int *upper);

/* Why verification of a candidate may stop. */
enum stats_stop {
	STATS_CONTINUE = 0,
	/* it can at most tie the best so far: it can never be selected */
	STATS_STOP_CANNOT_BEAT = 1,
	/* as above, and it can no longer reach the gate either */
	STATS_STOP_CANNOT_BEAT_OR_GATE = 2,
};

/*
 * Decide whether verification of the current candidate may stop.
 *
 * `has_best` says whether an earlier round of this run was fully verified;
 * `best_g` is the highest final G among the fully verified earlier rounds;
 * `gamma` is the gate threshold.  Returns STATS_CONTINUE or a reason to
 * stop.  Stops exactly when the upper bound is <= best_g.
 *
 * Why the outcome is identical to full verification.  Selection is
 * best-of-K by G, and on a tie the earlier round is kept; the status is
 * active iff the selected G* >= gamma.
 *  1. A stopped candidate r has G_r <= upper <= best_g, and best_g belongs
 *     to an earlier round, so r is not the (first) argmax of the full
 *     verification: stopping it never removes the selected candidate.
 *  2. By induction over rounds, the first argmax among rounds 1..r is
 *     always a fully verified round, so best_g, the maximum over fully
 *     verified rounds, equals the maximum over all rounds so far, stopped
 *     ones included.  Hence the selection over fully verified rounds
 *     equals the selection over all rounds.
 *  3. The selected candidate is fully verified, so its G*, counts,
 *     p-value and interval are exact, and so is its status.
 * A candidate that cannot reach the gate but could still beat the best is
 * NOT stopped: if no later round reaches the gate it would be the selected
 * (deprecated) skill, and stopping it would change the selection.  The
 * gate only refines the reason given (STATS_STOP_CANNOT_BEAT_OR_GATE).
 * With no fully verified round yet (has_best = 0) nothing is stopped: any
 * G, even a negative one, may be selected.
 *
 * This proves identical selection for fixed candidates.  A refinement
 * round that is generated from a stopped candidate's feedback sees only
 * the verdicts verified before the stop; the engine must feed refinement
 * from verdicts that exist either way (or from the best, fully verified
 * candidate) for whole runs to be identical.
 */
enum stats_stop stats_early_stop(const struct paired_counts *now,
				 int f_rem, int s_rem,
				 int has_best, int best_g, int gamma);

/* A short name for a stop reason: "continue", "cannot-beat-best", ... */
const char *stats_stop_name(enum stats_stop why);

/*
 * Best-of-K selection: the index of the first maximum of g[0..k-1] among
 * the entries with done[i] != 0 (done may be NULL: all count), or -1 when
 * there is none.
 */
int stats_select_best(const int *g, const int *done, int k);

/*
 * The seeded verification order: order[0..n-1] becomes a permutation of
 * 0..n-1, shuffled (Fisher-Yates with ss_rng) by `seed`.  The same seed
 * gives the same order on every platform.
 */
void stats_verify_order(int *order, int n, uint64_t seed);

#endif
