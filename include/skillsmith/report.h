#ifndef SKILLSMITH_REPORT_H
#define SKILLSMITH_REPORT_H
/*
 * The report of a run, built from the store alone (so `report` works on a
 * finished run, a running one and a copy of the workspace).
 *
 * JSON keys (stable, scripts rely on them):
 *   run, strategy, state, status (active | deprecated | null while
 *   unfinished), selected_round, skill {name, candidate, commit},
 *   gate {threshold, net_gain, m, g_abs, g_rel},
 *   rounds[] {round, net_gain, repairs, regressions, n00, n11, m, commit,
 *             p_value, ci_low, ci_high, early_stopped, rollouts_saved},
 *   test {n, base_acc, skill_acc, delta, repairs, regressions, p_value,
 *         ci_low, ci_high},
 *   usage {calls, cached_calls, errors, prompt_tokens, completion_tokens,
 *          cost, rollouts_saved}
 * Everything but `run` and `usage` is a function of the config, the seed
 * and the agent's answers, so two runs with the same inputs (or a run and
 * its resumed twin) give the same report apart from those two keys.
 */
#include <stdio.h>
#include <cjson/cJSON.h>

struct store;

/* Build the report of `run_id`.  Returns 0 (caller deletes *out) or < 0. */
int report_build(cJSON **out, struct store *st, const char *run_id);

/* Print a report as plain text / Markdown.  `skill_md` (may be NULL) is
 * the selected SKILL.md, shown at the end. */
void report_print_text(FILE *fp, const cJSON *rep, const char *skill_md);
void report_print_md(FILE *fp, const cJSON *rep, const char *skill_md);

/* The selected SKILL.md of a run (malloc'd), or NULL. */
char *report_selected_skill(struct store *st, const char *run_id);

/* Status of a run: state, stage, round, counts, tokens, cost (caller deletes). */
int report_status(cJSON **out, struct store *st, const char *run_id);
void report_print_status(FILE *fp, const cJSON *status);

#endif
