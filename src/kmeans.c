/*
 * Seeded k-means++ with an adaptive k (the rule and the algorithm are
 * described in kmeans.h).
 */
#include "skillsmith/kmeans.h"
#include "skillsmith/common.h"
#include "skillsmith/embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int kmeans_choose_k(int n, int k_min, int k_max, int target)
{
	if (n <= 0)
		return 0;
	if (n < 4)
		return 1;
	if (target <= 0)
		target = 15;
	if (k_min < 1)
		k_min = 1;
	if (k_max < k_min)
		k_max = k_min;
	long k = (2L * n + target) / (2L * target);
	if (k < k_min)
		k = k_min;
	if (k > k_max)
		k = k_max;
	if (k > n)
		k = n;
	return (int)k;
}

struct km {
	const float *x;
	int n, dim, k;
	int *assign;
	double *d2;          /* squared distance to the assigned centre */
	float *c;            /* k * dim */
	int *size;
	double *sum;         /* k * dim scratch */
	/* Hamerly's bounds: exact acceleration of the assignment step */
	double *ub;          /* n: upper bound of the distance to the assigned centre */
	double *lb;          /* n: lower bound of the distance to any other centre */
	float *oldc;         /* k * dim: centres of the last assignment */
	double *delta;       /* k: how far each centre moved */
	double *half;        /* k: half the distance to the nearest other centre */
};

/*
 * Squared distance for the hot loops: the same eight partial sums in the
 * same order as embed_sqdist(), compiled twice (AVX2 and baseline) and
 * picked at load time.  Without FMA contraction (ISO C mode) both clones
 * do the same IEEE operations, so results agree across machines.
 */
typedef float v8f __attribute__((vector_size(32)));

__attribute__((target_clones("avx2", "default")))
static double sqdist(const float *a, const float *b, int dim)
{
	v8f acc = { 0 };
	int i = 0;
	for (; i + 8 <= dim; i += 8) {
		v8f x, y;
		memcpy(&x, a + i, sizeof(x));
		memcpy(&y, b + i, sizeof(y));
		v8f d = x - y;
		acc += d * d;
	}
	double t = 0;
	for (int j = 0; j < 8; j++)
		t += acc[j];
	for (; i < dim; i++) {
		double d = (double)a[i] - b[i];
		t += d * d;
	}
	return t;
}

static const float *row(const float *m, int i, int dim)
{
	return m + (size_t)i * (size_t)dim;
}

static void seed_plus_plus(struct km *m, struct ss_rng *rng)
{
	double *mind = xmalloc((size_t)m->n * sizeof(*mind));
	int first = (int)ss_rng_below(rng, (uint64_t)m->n);
	memcpy(m->c, row(m->x, first, m->dim), (size_t)m->dim * sizeof(float));
	for (int i = 0; i < m->n; i++)
		mind[i] = sqdist(row(m->x, i, m->dim), m->c, m->dim);

	for (int j = 1; j < m->k; j++) {
		double total = 0;
		for (int i = 0; i < m->n; i++)
			total += mind[i];
		int pick = m->n - 1;
		if (total > 0) {
			double r = ss_rng_double(rng) * total, cum = 0;
			for (int i = 0; i < m->n; i++) {
				cum += mind[i];
				if (cum > r && mind[i] > 0) {
					pick = i;
					break;
				}
			}
		} else {
			pick = (int)ss_rng_below(rng, (uint64_t)m->n);
		}
		float *cj = m->c + (size_t)j * (size_t)m->dim;
		memcpy(cj, row(m->x, pick, m->dim), (size_t)m->dim * sizeof(float));
		for (int i = 0; i < m->n; i++) {
			double d = sqdist(row(m->x, i, m->dim), cj, m->dim);
			if (d < mind[i])
				mind[i] = d;
		}
	}
	free(mind);
}

/*
 * Assign point i to its nearest centre (ties: the lowest index), setting
 * its exact bounds.  Returns 1 if its cluster changed.
 */
static int assign_one(struct km *m, int i)
{
	const float *p = row(m->x, i, m->dim);
	int best = 0;
	double bd = sqdist(p, m->c, m->dim), second = INFINITY;
	for (int j = 1; j < m->k; j++) {
		double d = sqdist(p, row(m->c, j, m->dim), m->dim);
		if (d < bd) {
			second = bd;
			bd = d;
			best = j;
		} else if (d < second) {
			second = d;
		}
	}
	int changed = m->assign[i] != best;
	m->assign[i] = best;
	m->d2[i] = bd;
	m->ub[i] = sqrt(bd);
	m->lb[i] = sqrt(second);
	return changed;
}

/* Assign every point from scratch; returns the number of changes. */
static int assign_all(struct km *m)
{
	int changed = 0;
	for (int i = 0; i < m->n; i++)
		changed += assign_one(m, i);
	return changed;
}

/*
 * The assignment step with Hamerly's bounds (Hamerly 2010, "Making
 * k-means even faster"): after the centres moved by delta, a point whose
 * upper bound stays below both its lower bound and half the distance from
 * its centre to the nearest other centre provably keeps its centre, so no
 * distance is computed.  A small relative margin keeps float rounding and
 * exact ties on the full computation, so the result equals plain Lloyd's.
 */
static int assign_bounded(struct km *m)
{
	double max1 = 0, max2 = 0;
	int arg = -1;
	for (int j = 0; j < m->k; j++) {
		if (m->delta[j] > max1) {
			max2 = max1;
			max1 = m->delta[j];
			arg = j;
		} else if (m->delta[j] > max2) {
			max2 = m->delta[j];
		}
	}
	for (int j = 0; j < m->k; j++) {
		double h = INFINITY;
		for (int t = 0; t < m->k; t++) {
			if (t == j)
				continue;
			double d = sqrt(sqdist(row(m->c, j, m->dim), row(m->c, t, m->dim), m->dim));
			if (d < h)
				h = d;
		}
		m->half[j] = h / 2;
	}
	int changed = 0;
	for (int i = 0; i < m->n; i++) {
		int a = m->assign[i];
		m->ub[i] += m->delta[a];
		m->lb[i] -= a == arg ? max2 : max1;
		double z = m->lb[i] > m->half[a] ? m->lb[i] : m->half[a];
		if (m->ub[i] + 1e-6 * (m->ub[i] + z) + 1e-12 < z)
			continue;
		m->ub[i] = sqrt(sqdist(row(m->x, i, m->dim), row(m->c, a, m->dim), m->dim));
		if (m->ub[i] + 1e-6 * (m->ub[i] + z) + 1e-12 < z)
			continue;
		changed += assign_one(m, i);
	}
	return changed;
}

static void count_sizes(struct km *m)
{
	memset(m->size, 0, (size_t)m->k * sizeof(*m->size));
	for (int i = 0; i < m->n; i++)
		m->size[m->assign[i]]++;
}

/*
 * Give every empty cluster the point farthest from its centre among
 * clusters that can spare one.  Returns the number of points moved.
 */
static int fix_empty(struct km *m)
{
	int moved = 0, exact = 0;
	count_sizes(m);
	for (int j = 0; j < m->k; j++) {
		if (m->size[j])
			continue;
		if (!exact) {
			/* the bounds skipped some distances: make them exact */
			for (int i = 0; i < m->n; i++)
				m->d2[i] = sqdist(row(m->x, i, m->dim),
							row(m->c, m->assign[i], m->dim), m->dim);
			exact = 1;
		}
		int far = -1;
		for (int i = 0; i < m->n; i++) {
			if (m->size[m->assign[i]] < 2)
				continue;
			if (far < 0 || m->d2[i] > m->d2[far])
				far = i;
		}
		if (far < 0)
			break;  /* cannot happen while k <= n */
		m->size[m->assign[far]]--;
		m->assign[far] = j;
		m->size[j] = 1;
		m->d2[far] = 0;
		m->ub[far] = INFINITY;  /* recomputed in full next time */
		memcpy(m->c + (size_t)j * (size_t)m->dim, row(m->x, far, m->dim),
		       (size_t)m->dim * sizeof(float));
		moved++;
	}
	return moved;
}

static void update_centres(struct km *m)
{
	size_t kd = (size_t)m->k * (size_t)m->dim;
	memset(m->sum, 0, kd * sizeof(*m->sum));
	count_sizes(m);
	for (int i = 0; i < m->n; i++) {
		const float *p = row(m->x, i, m->dim);
		double *s = m->sum + (size_t)m->assign[i] * (size_t)m->dim;
		for (int t = 0; t < m->dim; t++)
			s[t] += p[t];
	}
	for (int j = 0; j < m->k; j++) {
		if (!m->size[j])
			continue;  /* keeps its previous centre */
		double *s = m->sum + (size_t)j * (size_t)m->dim;
		float *c = m->c + (size_t)j * (size_t)m->dim;
		for (int t = 0; t < m->dim; t++)
			c[t] = (float)(s[t] / m->size[j]);
	}
}

static void km_alloc(struct km *m, const float *x, int n, int dim, int k)
{
	m->x = x;
	m->n = n;
	m->dim = dim;
	m->k = k;
	m->assign = xmalloc((size_t)n * sizeof(*m->assign));
	m->d2 = xmalloc((size_t)n * sizeof(*m->d2));
	m->c = xmalloc((size_t)k * (size_t)dim * sizeof(*m->c));
	m->size = xcalloc((size_t)k, sizeof(*m->size));
	m->sum = xmalloc((size_t)k * (size_t)dim * sizeof(*m->sum));
	m->ub = xmalloc((size_t)n * sizeof(*m->ub));
	m->lb = xmalloc((size_t)n * sizeof(*m->lb));
	m->oldc = xmalloc((size_t)k * (size_t)dim * sizeof(*m->oldc));
	m->delta = xmalloc((size_t)k * sizeof(*m->delta));
	m->half = xmalloc((size_t)k * sizeof(*m->half));
}

static void km_free(struct km *m)
{
	free(m->assign);
	free(m->d2);
	free(m->c);
	free(m->size);
	free(m->sum);
	free(m->ub);
	free(m->lb);
	free(m->oldc);
	free(m->delta);
	free(m->half);
}

/* One seeded run; returns the inertia and sets iterations / converged. */
static double lloyd(struct km *m, struct ss_rng *rng, int max_iter, int *iters, int *conv)
{
	seed_plus_plus(m, rng);
	for (int i = 0; i < m->n; i++)
		m->assign[i] = -1;
	assign_all(m);
	*iters = 0;
	*conv = 0;
	size_t kd = (size_t)m->k * (size_t)m->dim;
	for (int it = 0; it < max_iter; it++) {
		memcpy(m->oldc, m->c, kd * sizeof(*m->c));
		int changed = fix_empty(m);
		update_centres(m);
		for (int j = 0; j < m->k; j++)
			m->delta[j] = sqrt(sqdist(row(m->oldc, j, m->dim), row(m->c, j, m->dim), m->dim));
		changed += assign_bounded(m);
		(*iters)++;
		if (!changed) {
			*conv = 1;
			break;
		}
	}
	if (!*conv) {
		/* make the centres the means of the final assignment */
		fix_empty(m);
		update_centres(m);
	}
	for (int i = 0; i < m->n; i++)
		m->d2[i] = sqdist(row(m->x, i, m->dim), row(m->c, m->assign[i], m->dim), m->dim);
	count_sizes(m);
	double inertia = 0;
	for (int i = 0; i < m->n; i++)
		inertia += m->d2[i];
	return inertia;
}

int kmeans_run(struct kmeans_result *out, const float *points, int n, int dim,
	       const struct kmeans_options *opts)
{
	struct kmeans_options o = KMEANS_OPTIONS_INIT;
	if (opts)
		o = *opts;
	memset(out, 0, sizeof(*out));
	if (n < 0 || dim < 1)
		return ss_err_set(SS_EINPUT, "k-means needs n >= 0 and dim >= 1 (n %d, dim %d)", n, dim);
	if (n > 0 && !points)
		return ss_err_set(SS_EINPUT, "k-means: no points given");
	if (o.max_iter < 1)
		o.max_iter = 1;
	if (o.n_init < 1)
		o.n_init = 1;

	int k = o.k > 0 ? (o.k < n ? o.k : n) : kmeans_choose_k(n, o.k_min, o.k_max, o.target);
	out->n = n;
	out->dim = dim;
	out->k = k;
	if (k == 0)
		return 0;

	struct ss_rng rng;
	ss_rng_seed(&rng, o.seed);
	struct km m, best;
	km_alloc(&m, points, n, dim, k);
	km_alloc(&best, points, n, dim, k);
	double best_inertia = INFINITY;
	int best_iters = 0, best_conv = 0;
	for (int r = 0; r < o.n_init; r++) {
		int iters, conv;
		double inertia = lloyd(&m, &rng, o.max_iter, &iters, &conv);
		if (inertia < best_inertia) {
			best_inertia = inertia;
			best_iters = iters;
			best_conv = conv;
			memcpy(best.assign, m.assign, (size_t)n * sizeof(*m.assign));
			memcpy(best.d2, m.d2, (size_t)n * sizeof(*m.d2));
			memcpy(best.c, m.c, (size_t)k * (size_t)dim * sizeof(*m.c));
			memcpy(best.size, m.size, (size_t)k * sizeof(*m.size));
		}
	}

	out->assign = best.assign;
	out->centroids = best.c;
	out->size = best.size;
	out->distance = xmalloc((size_t)n * sizeof(*out->distance));
	for (int i = 0; i < n; i++)
		out->distance[i] = sqrt(best.d2[i]);
	out->iterations = best_iters;
	out->converged = best_conv;
	out->inertia = best_inertia;
	free(best.d2);
	free(best.sum);
	free(best.ub);
	free(best.lb);
	free(best.oldc);
	free(best.delta);
	free(best.half);
	km_free(&m);
	return 0;
}

static int cmp_member(const void *a, const void *b, void *payload)
{
	const struct kmeans_result *r = payload;
	int i = *(const int *)a, j = *(const int *)b;
	double di = r->distance[i], dj = r->distance[j];
	if (di < dj)
		return -1;
	if (di > dj)
		return 1;
	return (i > j) - (i < j);
}

int kmeans_members(const struct kmeans_result *r, int c, int *idx, int max)
{
	if (c < 0 || c >= r->k || max <= 0)
		return 0;
	int *all = xmalloc((size_t)(r->n > 0 ? r->n : 1) * sizeof(*all));
	int nr = 0;
	for (int i = 0; i < r->n; i++)
		if (r->assign[i] == c)
			all[nr++] = i;
	qsort_r(all, (size_t)nr, sizeof(*all), cmp_member, (void *)r);
	if (nr > max)
		nr = max;
	memcpy(idx, all, (size_t)nr * sizeof(*idx));
	free(all);
	return nr;
}

void kmeans_release(struct kmeans_result *r)
{
	free(r->assign);
	free(r->distance);
	free(r->centroids);
	free(r->size);
	memset(r, 0, sizeof(*r));
}
