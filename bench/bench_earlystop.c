/*
 * Early stopping of verification on simulated rounds: K = 8 candidates
 * per run, each verified on m instances in a seeded order, candidates
 * that repair and regress at random rates (refined rounds are not
 * assumed better).  Prints, per m, the share of candidate rollouts saved
 * over 200 seeds and the share of runs whose selection and status equal
 * full verification (must be 1).  TSV rows "figure<TAB>value<TAB>unit<TAB>aim".
 */
#include <stdio.h>
#include <stdlib.h>

#include "skillsmith/common.h"
#include "skillsmith/stats.h"

#define K 8
#define SEEDS 200

struct outcome {
	int sel, active, g, saved;
};

static struct outcome verify(int m, const int *base, int skill[K][200], const int *order,
			     int gamma, int early)
{
	int g[K], done[K], has_best = 0, best = 0, saved = 0;
	for (int r = 0; r < K; r++) {
		struct paired_counts c = { 0 };
		int f_rem = 0, s_rem = 0;
		for (int i = 0; i < m; i++) {
			if (base[i])
				s_rem++;
			else
				f_rem++;
		}
		done[r] = 1;
		for (int t = 0; t < m; t++) {
			if (early && stats_early_stop(&c, f_rem, s_rem, has_best, best, gamma)) {
				done[r] = 0;
				saved += m - t;
				break;
			}
			int i = order[t];
			stats_add(&c, base[i], skill[r][i]);
			if (base[i])
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
	struct outcome o;
	o.sel = stats_select_best(g, done, K);
	o.g = g[o.sel];
	o.active = o.g >= gamma;
	o.saved = saved;
	return o;
}

int main(void)
{
	static const int sizes[] = { 20, 40, 80, 160 };
	static int skill[K][200];
	int base[200], order[200];
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		int m = sizes[s];
		long saved = 0, total = 0, same = 0;
		for (int seed = 1; seed <= SEEDS; seed++) {
			struct ss_rng rng;
			ss_rng_seed(&rng, (uint64_t)seed * 7919 + (uint64_t)m);
			double pb = 0.3 + 0.5 * ss_rng_double(&rng);
			for (int i = 0; i < m; i++)
				base[i] = ss_rng_double(&rng) < pb;
			for (int r = 0; r < K; r++) {
				double rep = 0.05 + 0.4 * ss_rng_double(&rng);
				double reg = 0.2 * ss_rng_double(&rng);
				for (int i = 0; i < m; i++)
					skill[r][i] = base[i] ? ss_rng_double(&rng) >= reg
							      : ss_rng_double(&rng) < rep;
			}
			stats_verify_order(order, m, (uint64_t)seed);
			int gamma = stats_gate_threshold(2, 0.05, m);
			struct outcome full = verify(m, base, skill, order, gamma, 0);
			struct outcome early = verify(m, base, skill, order, gamma, 1);
			same += full.sel == early.sel && full.active == early.active && full.g == early.g;
			saved += early.saved;
			total += (long)m * K;
		}
		printf("earlystop.saved m=%d K=%d\t%.1f\t%% of candidate rollouts\t-\n",
		       m, K, 100.0 * saved / total);
		printf("earlystop.identical m=%d K=%d\t%.3f\tshare of %d runs\t>=1\n",
		       m, K, (double)same / SEEDS, SEEDS);
	}
	return 0;
}
