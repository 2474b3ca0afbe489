/*
 * k-means benchmark: 5,000 points of dimension 1,536 (the size of a
 * provider embedding), adaptive k, one core.  Prints TSV rows
 * "figure<TAB>value<TAB>unit<TAB>aim".  The aim (at most 1 s) is on the
 * thread's CPU time; the wall time is shown too, since on a shared machine
 * it also counts the time spent waiting for a core.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

/* CPU time of this thread: the figure that matters on a shared machine. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(const char *name, int n, int dim, int topics, double noise)
{
	float *x = make_points(n, dim, topics, noise, 1);
	struct kmeans_options o = KMEANS_OPTIONS_INIT;
	o.seed = 1;
	struct kmeans_result r;
	int64_t t0 = ss_now_us();
	double c0 = cpu_s();
	if (kmeans_run(&r, x, n, dim, &o) < 0) {
		fprintf(stderr, "bench_kmeans: %s\n", ss_err_last());
		exit(1);
	}
	double cpu = cpu_s() - c0;
	double wall = (double)(ss_now_us() - t0) / 1e6;
	printf("kmeans_%s_%dx%d_k%d_cpu_seconds\t%.3f\ts\t<=1\n", name, n, dim, r.k, cpu);
	printf("kmeans_%s_%dx%d_k%d_wall_seconds\t%.3f\ts\t-\n", name, n, dim, r.k, wall);
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
