/*
 * Paired comparison statistics.
 */
#include "skillsmith/stats.h"

#include "skillsmith/common.h"

#include <math.h>

int stats_net_gain(const struct paired_counts *c)
{
	return c->n01 - c->n10;
}

int stats_m(const struct paired_counts *c)
{
	return c->n00 + c->n01 + c->n10 + c->n11;
}

int stats_gate_threshold(int g_abs, double g_rel, int m)
{
	/* a small epsilon keeps 0.05 * 120 = 6 from becoming 7 */
	int rel = (int)ceil(g_rel * m - 1e-9);
	int g = g_abs > rel ? g_abs : rel;
	return g > 1 ? g : 1;
}

void stats_add(struct paired_counts *c, int base, int skill)
{
	if (base) {
		if (skill)
			c->n11++;
		else
			c->n10++;
	} else {
		if (skill)
			c->n01++;
		else
			c->n00++;
	}
}

/* ------------------------------------------------------------------ */

/* log C(n, k) */
static double log_choose(int n, int k)
{
	return lgamma((double)n + 1) - lgamma((double)k + 1) -
	       lgamma((double)(n - k) + 1);
}

double stats_mcnemar_p(int n01, int n10)
{
	if (n01 < 0 || n10 < 0)
		return 1.0;
	int n = n01 + n10;
	if (n == 0)
		return 1.0;
	int k = n01 < n10 ? n01 : n10;
	if (2 * k >= n)
		return 1.0; /* P[X <= n/2] >= 1/2 */
	/*
	 * log P[X <= k] = log sum_{i<=k} C(n,i) - n log 2; sum the terms
	 * relative to the largest one (i = k, since k < n/2).
	 */
	double top = log_choose(n, k);
	double sum = 0;
	for (int i = k; i >= 0; i--) {
		double t = exp(log_choose(n, i) - top);
		sum += t;
		if (t < 1e-17 * sum)
			break; /* the terms only shrink from here */
	}
	double logp = log(2.0) + top + log(sum) - n * log(2.0);
	double p = exp(logp);
	return p > 1.0 ? 1.0 : p;
}

void stats_wilson(int x, int n, double z, double *low, double *high)
{
	if (n <= 0) {
		*low = 0;
		*high = 1;
		return;
	}
	double p = (double)x / n, z2 = z * z;
	double centre = 2.0 * n * p + z2;
	double spread = z * sqrt(z2 + 4.0 * n * p * (1.0 - p));
	double denom = 2.0 * ((double)n + z2);
	*low = (centre - spread) / denom;
	*high = (centre + spread) / denom;
	if (x == 0)
		*low = 0;
	if (x == n)
		*high = 1;
}

static double clamp1(double v)
{
	return v < -1 ? -1 : v > 1 ? 1 : v;
}

void stats_newcombe_ci(const struct paired_counts *c, double z,
		       double *low, double *high)
{
	int m = stats_m(c);
	if (m <= 0) {
		*low = -1;
		*high = 1;
		return;
	}
	/* p1: skill success, p2: base success */
	int x1 = c->n01 + c->n11, x2 = c->n10 + c->n11;
	double p1 = (double)x1 / m, p2 = (double)x2 / m;
	double d = p1 - p2;
	double l1, u1, l2, u2;
	stats_wilson(x1, m, z, &l1, &u1);
	stats_wilson(x2, m, z, &l2, &u2);

	/*
	 * phi over the 2x2 table with rows skill (1, 0) and columns base
	 * (1, 0): a = n11, b = n01, c = n10, d = n00.
	 */
	double a = c->n11, b = c->n01, cc = c->n10, dd = c->n00;
	double margins = (a + b) * (cc + dd) * (a + cc) * (b + dd);
	double phi = margins > 0 ? (a * dd - b * cc) / sqrt(margins) : 0;

	double dl1 = p1 - l1, du1 = u1 - p1, dl2 = p2 - l2, du2 = u2 - p2;
	double lo = dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2;
	double hi = dl2 * dl2 - 2 * phi * dl2 * du1 + du1 * du1;
	*low = clamp1(d - sqrt(lo > 0 ? lo : 0));
	*high = clamp1(d + sqrt(hi > 0 ? hi : 0));
}

void stats_summarize(const struct paired_counts *c, struct paired_summary *out)
{
	out->m = stats_m(c);
	out->net_gain = stats_net_gain(c);
	out->delta = out->m > 0 ? (double)out->net_gain / out->m : 0;
	out->p_value = stats_mcnemar_p(c->n01, c->n10);
	stats_newcombe_ci(c, STATS_Z95, &out->ci_low, &out->ci_high);
}

/* ------------------------------------------------------------------ */

void stats_gain_bounds(const struct paired_counts *now, int f_rem, int s_rem,
		       int *lower, int *upper)
{
	int g = stats_net_gain(now);
	*lower = g - s_rem;
	*upper = g + f_rem;
}

enum stats_stop stats_early_stop(const struct paired_counts *now,
				 int f_rem, int s_rem,
				 int has_best, int best_g, int gamma)
{
	int lower, upper;
	if (!has_best)
		return STATS_CONTINUE;
	stats_gain_bounds(now, f_rem, s_rem, &lower, &upper);
	if (upper > best_g)
		return STATS_CONTINUE;
	return upper < gamma ? STATS_STOP_CANNOT_BEAT_OR_GATE
			     : STATS_STOP_CANNOT_BEAT;
}

const char *stats_stop_name(enum stats_stop why)
{
	switch (why) {
	case STATS_CONTINUE:
		return "continue";
	case STATS_STOP_CANNOT_BEAT:
		return "cannot-beat-best";
	case STATS_STOP_CANNOT_BEAT_OR_GATE:
		return "cannot-beat-best-or-gate";
	}
	return "unknown";
}

int stats_select_best(const int *g, const int *done, int k)
{
	int best = -1;
	for (int i = 0; i < k; i++) {
		if (done && !done[i])
			continue;
		if (best < 0 || g[i] > g[best])
			best = i;
	}
	return best;
}

void stats_verify_order(int *order, int n, uint64_t seed)
{
	struct ss_rng r;
	ss_rng_seed(&r, seed);
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)ss_rng_below(&r, (uint64_t)i + 1);
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}
