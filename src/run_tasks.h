#ifndef SKILLSMITH_RUN_TASKS_H
#define SKILLSMITH_RUN_TASKS_H
/*
 * Private to the engine: the task instances of a new run and their split,
 * in the form the instances table stores them.
 */
#include <stdint.h>

struct config;

struct run_task {
	char *id;
	char *type;        /* NULL when none */
	char *input;
	char *expected;
	char *metadata;    /* JSON text or NULL */
	char *grader;      /* JSON text of a per-instance grader override, or NULL */
};

/*
 * Parse the JSONL task file `text` (named `name` in messages).  Returns 0
 * or SS_EINPUT with "NAME:LINE: field 'x' ..." set.  Free with
 * run_tasks_free().
 */
int run_tasks_parse(struct run_task **out, int *nr, const char *text, const char *name,
		    const struct config *cfg);
void run_tasks_free(struct run_task *t, int n);

/*
 * The deterministic split: splits[i] becomes "ind", "ver" or "test" (static
 * strings).  Disjoint, seeded, at least `min_ver` verification instances
 * when there are enough instances.
 */
int run_split(const char **splits, int n, int64_t seed, double test_frac, double ver_frac,
	      int min_ver);

#endif
