#ifndef SKILLSMITH_EDITS_H
#define SKILLSMITH_EDITS_H
/*
 * Bounded skill edits (the SkillOpt update rule): parse the optimizer's
 * proposed edits, merge near-duplicates and rank them, apply at most the
 * learning rate in force, and render the rejected-edit buffer for later
 * reflection prompts.
 *
 * An edit names its target as text of the body or as a section heading
 * ("Failure lessons" or "## Failure lessons").  Text targets must occur
 * exactly once in the body; an edit whose target cannot be found, or is
 * ambiguous, is rejected with that reason and never applied elsewhere.
 * The YAML front matter of a SKILL.md is never edited.
 */
#include <cjson/cJSON.h>
#include "skillsmith/config.h"
#include "skillsmith/buf.h"

enum edit_op { EDIT_APPEND, EDIT_INSERT_AFTER, EDIT_REPLACE, EDIT_DELETE };

struct skill_edit {
	enum edit_op op;
	char *target;        /* text or section heading; may be "" for append */
	char *content;       /* new text ("" for delete) */
	char **evidence;     /* ids ("F1", "C:d-017" ...), NULL-terminated */
	int votes;           /* proposals merged into this one */
	int order;           /* position of the first proposal */
};

/* "append" -> EDIT_APPEND...; -1 if unknown. */
int edit_op_parse(const char *s);
const char *edit_op_name(enum edit_op op);

/*
 * Parse the `edits` array of an `edits` schema reply.  Malformed items are
 * skipped with a reason appended to `skipped` (may be NULL).  Returns the
 * number of edits in *out (caller frees with edits_free).
 */
int edits_parse(const cJSON *arr, struct skill_edit **out, struct buf *skipped);
void edit_release(struct skill_edit *e);
void edits_free(struct skill_edit *v, int n);

/*
 * Merge near-duplicate edits (same op, targets and contents that agree
 * after normalisation or by word overlap >= 0.8), summing their votes and
 * uniting their evidence, then rank: votes, then evidence count, then the
 * order of first proposal.  Works in place; returns the new count.
 */
int edits_merge_rank(struct skill_edit *v, int n);

/*
 * Apply one edit to a SKILL.md text (front matter kept as is).  On success
 * returns 0 and *out holds the new text (caller frees).  When the target is
 * missing or ambiguous returns SS_ENOTFOUND with *reason set (caller frees),
 * and *out is NULL.
 */
int edit_apply(const char *skill_md, const struct skill_edit *e, char **out, char **reason);

/*
 * Edits allowed at `step` (0-based) of `total` steps for a base learning
 * rate: constant keeps it, linear decays to 1, cosine follows
 * 0.5 (1 + cos(pi step / total)); never below 1.
 */
int edits_learning_rate(int base, enum lr_schedule sched, int step, int total);

/* One line per edit: "- op 'target' -> 'content' (reason)", for prompts. */
void edits_render(struct buf *out, const struct skill_edit *e, const char *reason);

#endif
