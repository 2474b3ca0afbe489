#ifndef SKILLSMITH_KMEANS_H
#define SKILLSMITH_KMEANS_H
/*
 * Seeded k-means++ with an adaptive k, for clustering failure and success
 * summaries (SkillGen stage 2: "k-means over failures and over successes,
 * k adaptive in [2,8] with a target cluster size of 15; fewer than 4
 * points: one cluster").
 *
 * The k rule (kmeans_choose_k), exactly:
 *     n < 4                       k = 1    (n = 0 gives k = 0: no clusters)
 *     otherwise                   k = clamp(round(n / target), k_min, k_max)
 *   where round() is round-half-up in integers, floor((2n + target) /
 *   (2 target)), and finally k = min(k, n).  Defaults k_min 2, k_max 8,
 *   target 15 (config strategy.k_min, k_max, target_cluster_size).
 *   Examples: n = 3 -> 1, n = 4 -> 2, n = 52 -> 3, n = 53 -> 4, n = 500 -> 8.
 *
 * The algorithm: k-means++ seeding (first centre uniform, each next centre
 * drawn with probability proportional to the squared distance to the
 * nearest centre chosen so far) from ss_rng seeded with `seed`, then Lloyd
 * iterations under squared Euclidean distance until no assignment changes
 * or max_iter is reached.  A cluster that becomes empty takes the point
 * farthest from its current centre (ties: the lowest index), so every
 * cluster of the result has at least one member.  With n_init > 1 the
 * whole procedure is repeated from the same rng stream and the run with
 * the lowest inertia kept (ties: the earliest).
 *
 * Deterministic: the same points, options and seed give the same result on
 * every machine (fixed summation order, no threads).  For unit vectors the
 * squared Euclidean distance is 2 - 2 cos, so clusters equal cosine ones.
 */
#include <stdint.h>

struct kmeans_options {
	int k_min;          /* default 2 */
	int k_max;          /* default 8 */
	int target;         /* target cluster size, default 15 */
	int k;              /* > 0: use exactly this k (capped at n), skip the rule */
	int max_iter;       /* Lloyd iteration cap, default 100 */
	int n_init;         /* restarts, default 1 */
	uint64_t seed;
};
#define KMEANS_OPTIONS_INIT { 2, 8, 15, 0, 100, 1, 0 }

struct kmeans_result {
	int n, dim, k;
	int *assign;        /* n: cluster of each point, 0..k-1 */
	double *distance;   /* n: Euclidean distance to its centre */
	float *centroids;   /* k * dim */
	int *size;          /* k: members per cluster */
	int iterations;     /* Lloyd iterations of the kept run */
	int converged;      /* 1 if assignments stopped changing */
	double inertia;     /* sum of squared distances */
};

/* The adaptive k of the rule above (target <= 0 counts as 15). */
int kmeans_choose_k(int n, int k_min, int k_max, int target);

/*
 * Cluster `n` points of dimension `dim` (row-major, n * dim floats,
 * borrowed).  `opts` may be NULL for the defaults.  On success fills *out
 * (release with kmeans_release) and returns 0; SS_EINPUT on a bad
 * argument.  n = 0 gives k = 0 and empty arrays.
 */
int kmeans_run(struct kmeans_result *out, const float *points, int n, int dim,
	       const struct kmeans_options *opts);

/*
 * The members of cluster c ordered by distance to the centre (closest
 * first, ties by index): writes up to `max` point indices to idx and
 * returns how many.
 */
int kmeans_members(const struct kmeans_result *r, int c, int *idx, int max);

/* Free the arrays of *r. */
void kmeans_release(struct kmeans_result *r);

#endif
