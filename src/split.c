/*
 * Deterministic induction / verification / test split.
 */
#include "skillsmith/split.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/tasks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *split_part_name(enum split_part p)
{
	switch (p) {
	case SPLIT_IND: return "ind";
	case SPLIT_VER: return "ver";
	case SPLIT_TEST: return "test";
	}
	return "?";
}

int split_part_parse(const char *s)
{
	if (!strcmp(s, "ind"))
		return SPLIT_IND;
	if (!strcmp(s, "ver"))
		return SPLIT_VER;
	if (!strcmp(s, "test"))
		return SPLIT_TEST;
	return -1;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct keyed {
	uint64_t key;
	const char *id;
	int idx;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->id, y->id);
}

int split_assign(enum split_part *parts, const char *const *ids, int n, int64_t seed,
		 double test_frac, double ver_frac, int min_ver, struct split_counts *out)
{
	int need_test = test_frac > 0 ? 1 : 0;
	int need = 1 + min_ver + need_test;
	if (n < need)
		return ss_err_set(SS_EINPUT, "%d instance%s too few to split: need at least %d "
				  "(1 induction, %d verification%s)", n, n == 1 ? " is" : "s are",
				  need, min_ver, need_test ? ", 1 test" : "");
	int n_test = (int)lround(n * test_frac);
	if (need_test && n_test < 1)
		n_test = 1;
	int rest = n - n_test;
	int n_ver = (int)lround(rest * ver_frac);
	if (n_ver < min_ver)
		n_ver = min_ver;
	int n_ind = rest - n_ver;
	if (n_ind < 1) {
		/* take what induction lacks from verification down to min_ver,
		 * then from test (n >= need keeps one test instance) */
		int lack = 1 - n_ind;
		int from_ver = n_ver - min_ver < lack ? n_ver - min_ver : lack;
		n_ver -= from_ver;
		n_test -= lack - from_ver;
		n_ind = 1;
	}
	struct keyed *k = xmalloc((size_t)n * sizeof(*k));
	uint64_t s = mix64((uint64_t)seed ^ 0x9e3779b97f4a7c15ULL);
	for (int i = 0; i < n; i++) {
		k[i].key = mix64(ss_hash64(ids[i], strlen(ids[i])) ^ s);
		k[i].id = ids[i];
		k[i].idx = i;
	}
	qsort(k, (size_t)n, sizeof(*k), cmp_keyed);
	for (int i = 0; i < n; i++) {
		enum split_part p = i < n_test ? SPLIT_TEST : i < n_test + n_ver ? SPLIT_VER : SPLIT_IND;
		parts[k[i].idx] = p;
	}
	free(k);
	if (out) {
		out->ind = n_ind;
		out->ver = n_ver;
		out->test = n_test;
	}
	return 0;
}

int split_tasks(enum split_part *parts, const struct task_set *ts, const struct config *c,
		struct split_counts *out)
{
	const char **ids = xmalloc((size_t)(ts->nr ? ts->nr : 1) * sizeof(*ids));
	for (int i = 0; i < ts->nr; i++)
		ids[i] = ts->v[i].id;
	int rc = split_assign(parts, ids, ts->nr, c->seed, c->test_frac, c->ver_frac, c->min_ver, out);
	free(ids);
	if (rc)
		return ss_err_prefix(rc, "%s", ts->path ? ts->path : "tasks");
	return 0;
}
