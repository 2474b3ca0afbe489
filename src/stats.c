/*
 * Paired comparison statistics.
 */
#include "skillsmith/stats.h"

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
