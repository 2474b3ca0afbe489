#ifndef SKILLSMITH_PAIRS_H
#define SKILLSMITH_PAIRS_H
/*
 * Contrastive pair selection (SkillGen stage 2): "each failure's nearest
 * success by embedding distance; keep the pair only if both are the same
 * task type (field, or judged); keep the 20 closest".
 *
 * The rule, exactly:
 *  1. For each failure f, its nearest success s over ALL successes, by the
 *     chosen distance (ties: the lowest success index).  The type filter
 *     is applied after this, as in the paper, not during the search.
 *  2. Types: a type that is NULL, empty or "unknown" (any case) is
 *     unknown; otherwise two types match when equal ignoring ASCII case.
 *     Both known and equal: same_type = PAIRS_SAME.  Both known and
 *     different: the pair is dropped.  Either unknown: same_type =
 *     PAIRS_UNKNOWN, kept only when opts.keep_unknown is set, so that the
 *     caller can ask the LLM (the `contrast` schema's same_type field) and
 *     drop the pair if the answer is no.
 *  3. The kept pairs are sorted by distance, ties by failure index, and the
 *     first max_pairs returned (max_pairs <= 0: all).  A caller that judges
 *     unknown pairs and drops some can ask for all and trim afterwards.
 *
 * Deterministic: no randomness, fixed tie-breaking.
 */
#include <stdint.h>

enum pairs_metric {
	PAIRS_COSINE,      /* 1 - cosine similarity (default) */
	PAIRS_EUCLIDEAN,
};

enum pairs_same {
	PAIRS_DIFFERENT = 0,
	PAIRS_SAME = 1,
	PAIRS_UNKNOWN = -1,  /* a type is unknown: ask the judge */
};

/* One rollout to pair: its vector (dim floats, borrowed) and task type. */
struct pairs_point {
	const float *vec;
	const char *type;
};

struct pairs_options {
	int max_pairs;             /* default 20 */
	enum pairs_metric metric;  /* default cosine */
	int keep_unknown;          /* keep pairs whose type is unknown, default 1 */
};
#define PAIRS_OPTIONS_INIT { 20, PAIRS_COSINE, 1 }

struct pairs_pair {
	int failure;               /* index into the failures array */
	int success;               /* index into the successes array */
	double distance;
	int same_type;             /* PAIRS_SAME or PAIRS_UNKNOWN */
};

/* True if `type` counts as unknown (NULL, "" or "unknown"). */
int pairs_type_unknown(const char *type);

/* PAIRS_SAME, PAIRS_DIFFERENT or PAIRS_UNKNOWN for two types. */
int pairs_type_match(const char *a, const char *b);

/*
 * Select pairs.  *out is a malloc'd array of *nr_out pairs (caller frees;
 * NULL when there are none).  `opts` may be NULL for the defaults.
 * Returns 0, or SS_EINPUT on a bad argument.
 */
int pairs_select(struct pairs_pair **out, int *nr_out,
		 const struct pairs_point *failures, int nr_failures,
		 const struct pairs_point *successes, int nr_successes,
		 int dim, const struct pairs_options *opts);

#endif
