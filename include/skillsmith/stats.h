#ifndef SKILLSMITH_STATS_H
#define SKILLSMITH_STATS_H
/*
 * Paired comparison statistics: the SkillGen counts and gate, exact
 * McNemar p-values, confidence intervals for the paired difference, and
 * the exact bounds used for early stopping of verification.
 */

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

#endif
