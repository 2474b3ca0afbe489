/*
 * Contrastive pair selection: nearest success per failure, same-type
 * filter, the closest N (rule in pairs.h).
 */
#include "skillsmith/pairs.h"
#include "skillsmith/common.h"
#include "skillsmith/embed.h"

#include <stdlib.h>
#include <strings.h>

int pairs_type_unknown(const char *type)
{
	return !type || !*type || !strcasecmp(type, "unknown");
}

int pairs_type_match(const char *a, const char *b)
{
	if (pairs_type_unknown(a) || pairs_type_unknown(b))
		return PAIRS_UNKNOWN;
	return strcasecmp(a, b) ? PAIRS_DIFFERENT : PAIRS_SAME;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pairs_pair *x = a, *y = b;
	if (x->distance < y->distance)
		return -1;
	if (x->distance > y->distance)
		return 1;
	return (x->failure > y->failure) - (x->failure < y->failure);
}

int pairs_select(struct pairs_pair **out, int *nr_out,
		 const struct pairs_point *failures, int nr_failures,
		 const struct pairs_point *successes, int nr_successes,
		 int dim, const struct pairs_options *opts)
{
	struct pairs_options o = PAIRS_OPTIONS_INIT;
	if (opts)
		o = *opts;
	*out = NULL;
	*nr_out = 0;
	if (nr_failures < 0 || nr_successes < 0 || dim < 1)
		return ss_err_set(SS_EINPUT, "pair selection: bad sizes (failures %d, successes %d, dim %d)",
				  nr_failures, nr_successes, dim);
	if (!nr_failures || !nr_successes)
		return 0;

	struct pairs_pair *p = xmalloc((size_t)nr_failures * sizeof(*p));
	int nr = 0;
	for (int f = 0; f < nr_failures; f++) {
		int best = -1;
		double bd = 0;
		for (int s = 0; s < nr_successes; s++) {
			double d = o.metric == PAIRS_EUCLIDEAN
				? embed_euclidean(failures[f].vec, successes[s].vec, dim)
				: embed_cosine_distance(failures[f].vec, successes[s].vec, dim);
			if (best < 0 || d < bd) {
				best = s;
				bd = d;
			}
		}
		int same = pairs_type_match(failures[f].type, successes[best].type);
		if (same == PAIRS_DIFFERENT || (same == PAIRS_UNKNOWN && !o.keep_unknown))
			continue;
		p[nr].failure = f;
		p[nr].success = best;
		p[nr].distance = bd;
		p[nr].same_type = same;
		nr++;
	}
	qsort(p, (size_t)nr, sizeof(*p), cmp_pair);
	if (o.max_pairs > 0 && nr > o.max_pairs)
		nr = o.max_pairs;
	if (!nr) {
		free(p);
		return 0;
	}
	*out = p;
	*nr_out = nr;
	return 0;
}
