/*
 * k-means benchmark: 5,000 points of dimension 1,536 (the size of a
 * provider embedding), adaptive k, one core.  Prints TSV rows
 * "figure<TAB>value<TAB>unit<TAB>aim".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "skillsmith/common.h"
#include "skillsmith/embed.h"
#include "skillsmith/kmeans.h"

static double gauss(struct ss_rng *r)
{
	double u = ss_rng_double(r), v = ss_rng_double(r);
	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Unit vectors around `topics` random directions, like real embeddings. */
static float *make_points(int n, int dim, int topics, double noise, uint64_t seed)
{
	struct ss_rng r;
	ss_rng_seed(&r, seed);
	float *c = xmalloc((size_t)topics * dim * sizeof(float));
	for (size_t i = 0; i < (size_t)topics * dim; i++)
		c[i] = (float)gauss(&r);
	float *x = xmalloc((size_t)n * dim * sizeof(float));
	for (int i = 0; i < n; i++) {
		int t = (int)ss_rng_below(&r, (uint64_t)topics);
		float *p = x + (size_t)i * dim;
		for (int j = 0; j < dim; j++)
			p[j] = c[(size_t)t * dim + j] + (float)(noise * gauss(&r));
		embed_normalize(p, dim);
	}
	free(c);
	return x;
}

static void run(const char *name, int n, int dim, int topics, double noise)
{
	float *x = make_points(n, dim, topics, noise, 1);
	struct kmeans_options o = KMEANS_OPTIONS_INIT;
	o.seed = 1;
	struct kmeans_result r;
	int64_t t0 = ss_now_us();
	if (kmeans_run(&r, x, n, dim, &o) < 0) {
		fprintf(stderr, "bench_kmeans: %s\n", ss_err_last());
		exit(1);
	}
	double s = (double)(ss_now_us() - t0) / 1e6;
	printf("kmeans_%s_%dx%d_k%d_seconds\t%.3f\ts\t<=1\n", name, n, dim, r.k, s);
	printf("kmeans_%s_%dx%d_iterations\t%d\titerations\t-\n", name, n, dim, r.iterations);
	kmeans_release(&r);
	free(x);
}

int main(void)
{
	run("topics", 5000, 1536, 12, 0.5);
	run("noise", 5000, 1536, 1, 1.0);
	return 0;
}
