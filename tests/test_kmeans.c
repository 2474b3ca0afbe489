/* Unit tests for seeded k-means++ with adaptive k. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/kmeans.h"

static double gauss(struct ss_rng *r)
{
	double u = ss_rng_double(r), v = ss_rng_double(r);
	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* `blobs` well-separated Gaussian blobs of `per` points each; label[i] is the blob. */
static float *make_blobs(int blobs, int per, int dim, double sigma, int *label, uint64_t seed)
{
	struct ss_rng r;
	ss_rng_seed(&r, seed);
	float *x = xmalloc((size_t)blobs * per * dim * sizeof(float));
	double *centre = xmalloc((size_t)blobs * dim * sizeof(double));
	for (int b = 0; b < blobs; b++)
		for (int t = 0; t < dim; t++)
			centre[b * dim + t] = 10.0 * gauss(&r);
	/* interleave blobs so the order carries no information */
	for (int i = 0; i < blobs * per; i++) {
		int b = i % blobs;
		label[i] = b;
		for (int t = 0; t < dim; t++)
			x[(size_t)i * dim + t] = (float)(centre[b * dim + t] + sigma * gauss(&r));
	}
	free(centre);
	return x;
}

static void kmeans__recovers_blobs(void **state)
{
	int blobs = 4, per = 15, dim = 16, n = blobs * per;
	int label[60];
	float *x = make_blobs(blobs, per, dim, 0.5, label, 7);
	struct kmeans_result r;
	struct kmeans_options o = KMEANS_OPTIONS_INIT;
	o.seed = 42;
	assert_int_equal(kmeans_run(&r, x, n, dim, &o), 0);
	assert_int_equal(r.k, 4);  /* round(60 / 15) */
	assert_true(r.converged);
	/* every blob maps to exactly one cluster and vice versa */
	int map[4] = { -1, -1, -1, -1 }, used[4] = { 0 };
	for (int i = 0; i < n; i++) {
		if (map[label[i]] < 0) {
			map[label[i]] = r.assign[i];
			assert_int_equal(used[r.assign[i]], 0);
			used[r.assign[i]] = 1;
		}
		assert_int_equal(r.assign[i], map[label[i]]);
	}
	for (int c = 0; c < 4; c++)
		assert_int_equal(r.size[c], 15);
	kmeans_release(&r);
	free(x);
}

static void kmeans__adaptive_k_rule(void **state)
{
	assert_int_equal(kmeans_choose_k(0, 2, 8, 15), 0);
	assert_int_equal(kmeans_choose_k(1, 2, 8, 15), 1);
	assert_int_equal(kmeans_choose_k(3, 2, 8, 15), 1);
	assert_int_equal(kmeans_choose_k(4, 2, 8, 15), 2);
	assert_int_equal(kmeans_choose_k(30, 2, 8, 15), 2);
	assert_int_equal(kmeans_choose_k(52, 2, 8, 15), 3);
	assert_int_equal(kmeans_choose_k(53, 2, 8, 15), 4);  /* 3.53 rounds up */
	assert_int_equal(kmeans_choose_k(60, 2, 8, 15), 4);
	assert_int_equal(kmeans_choose_k(500, 2, 8, 15), 8);
	assert_int_equal(kmeans_choose_k(5, 6, 8, 15), 5);   /* never more than n */
	assert_int_equal(kmeans_choose_k(100, 2, 8, 10), 8);
	assert_int_equal(kmeans_choose_k(100, 2, 20, 10), 10);
}

static void kmeans__deterministic_by_seed(void **state)
{
	int label[200];
	float *x = make_blobs(5, 40, 8, 3.0, label, 3);
	struct kmeans_result a, b, c;
	struct kmeans_options o = KMEANS_OPTIONS_INIT;
	o.seed = 9;
	assert_int_equal(kmeans_run(&a, x, 200, 8, &o), 0);
	assert_int_equal(kmeans_run(&b, x, 200, 8, &o), 0);
	assert_int_equal(a.k, b.k);
	assert_memory_equal(a.assign, b.assign, 200 * sizeof(int));
	assert_memory_equal(a.centroids, b.centroids, (size_t)a.k * 8 * sizeof(float));
	assert_true(a.inertia == b.inertia);
	/* another seed still gives a valid clustering of the same k */
	o.seed = 10;
	assert_int_equal(kmeans_run(&c, x, 200, 8, &o), 0);
	assert_int_equal(c.k, a.k);
	int total = 0;
	for (int j = 0; j < c.k; j++) {
		assert_true(c.size[j] > 0);
		total += c.size[j];
	}
	assert_int_equal(total, 200);
	kmeans_release(&a);
	kmeans_release(&b);
	kmeans_release(&c);
	free(x);
}

static void kmeans__few_points_one_cluster(void **state)
{
	float x[3 * 2] = { 0, 0, 100, 100, -50, 7 };
	struct kmeans_result r;
	assert_int_equal(kmeans_run(&r, x, 3, 2, NULL), 0);
	assert_int_equal(r.k, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r.assign[i], 0);
	assert_int_equal(r.size[0], 3);
	assert_true(fabs(r.centroids[0] - 50.0 / 3) < 1e-4);
	assert_true(fabs(r.centroids[1] - 107.0 / 3) < 1e-4);
	kmeans_release(&r);

	assert_int_equal(kmeans_run(&r, NULL, 0, 2, NULL), 0);
	assert_int_equal(r.k, 0);
	kmeans_release(&r);
}

static void kmeans__no_empty_clusters_with_duplicates(void **state)
{
	/* 10 identical points and 2 others, k forced to 4: all clusters non-empty */
	float x[12 * 2] = { 0 };
	x[20] = 5;
	x[22] = -5;
	struct kmeans_options o = KMEANS_OPTIONS_INIT;
	o.k = 4;
	struct kmeans_result r;
	assert_int_equal(kmeans_run(&r, x, 12, 2, &o), 0);
	assert_int_equal(r.k, 4);
	int total = 0;
	for (int j = 0; j < 4; j++) {
		assert_true(r.size[j] >= 1);
		total += r.size[j];
	}
	assert_int_equal(total, 12);
	kmeans_release(&r);
}

static void kmeans__members_by_distance(void **state)
{
	float x[5] = { 0, 1, 3, 100, 101 };
	struct kmeans_options o = KMEANS_OPTIONS_INIT;
	o.k = 2;
	struct kmeans_result r;
	assert_int_equal(kmeans_run(&r, x, 5, 1, &o), 0);
	int c = r.assign[0], idx[5];
	assert_int_equal(kmeans_members(&r, c, idx, 5), 3);
	/* centre 4/3: point 1 (d 1/3), then 0 (4/3), then 2 (5/3) */
	assert_int_equal(idx[0], 1);
	assert_int_equal(idx[1], 0);
	assert_int_equal(idx[2], 2);
	assert_int_equal(kmeans_members(&r, c, idx, 2), 2);
	kmeans_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kmeans__recovers_blobs),
		cmocka_unit_test(kmeans__adaptive_k_rule),
		cmocka_unit_test(kmeans__deterministic_by_seed),
		cmocka_unit_test(kmeans__few_points_one_cluster),
		cmocka_unit_test(kmeans__no_empty_clusters_with_duplicates),
		cmocka_unit_test(kmeans__members_by_distance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
