#ifndef SKILLSMITH_SPLIT_H
#define SKILLSMITH_SPLIT_H
/*
 * The one-time split of a suite into induction, verification and test.
 *
 * Deterministic: instances are ordered by a hash of (seed, id), so the same
 * seed and the same set of ids give the same split whatever the order of
 * the file.  Sizes: test = round(n * test_frac); of the rest, verification
 * = max(min_ver, round(rest * ver_frac)), induction the remainder.  At least
 * one induction instance is kept (taking from verification down to min_ver,
 * then from test, never below
 * one test instance when test_frac > 0).
 */
#include <stdint.h>

struct config;
struct task_set;

enum split_part { SPLIT_IND = 0, SPLIT_VER = 1, SPLIT_TEST = 2 };

/* "ind", "ver", "test" (the store's instances.split values). */
const char *split_part_name(enum split_part p);
/* The part named `s`, or -1. */
int split_part_parse(const char *s);

struct split_counts { int ind, ver, test; };

/*
 * Assign parts[i] for ids[0..n).  Returns 0, or SS_EINPUT when n is too
 * small ("N instances are too few to split: ...").  `out` may be NULL.
 */
int split_assign(enum split_part *parts, const char *const *ids, int n, int64_t seed,
		 double test_frac, double ver_frac, int min_ver, struct split_counts *out);

/* The same for a loaded suite with the config's split keys; the message names the file. */
int split_tasks(enum split_part *parts, const struct task_set *ts, const struct config *c,
		struct split_counts *out);

#endif
