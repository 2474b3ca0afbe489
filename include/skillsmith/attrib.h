#ifndef SKILLSMITH_ATTRIB_H
#define SKILLSMITH_ATTRIB_H
/*
 * Rule attribution and provenance.
 *
 * Attribution is a leave-one-rule-out ablation of the selected skill.  The
 * engine drives it; this module is pure (no store, no rollouts):
 *
 *   1. attrib_split(body)            the rules of the SKILL.md body;
 *   2. attrib_without(body, rules, i) for each rule i, the variant body
 *                                    without that rule;
 *   3. the engine verifies each variant on the verification split against
 *      the cached baseline (the same instances the full skill was verified
 *      on) and fills, per rule, the paired counts of the variant against
 *      the baseline and (optionally) against the full skill;
 *   4. attrib_score(full, inputs, nr, effects) gives each rule its
 *      marginal net gain G_full - G_without_i and a verdict: helps (> 0),
 *      no effect (= 0) or harmful (< 0);
 *   5. attrib_pruned(body, rules, effects) is the body without the
 *      harmful and no-effect rules: the pruned candidate, which goes
 *      through the same gate and commit history as any other.
 *
 * Provenance: attrib_provenance(skill_json) lists each rule of a
 * structured skill ({context, success_patterns[{rule, evidence[]}],
 * failure_lessons[{rule, evidence[]}]}) with its evidence ids: "F1"
 * (failure cluster), "S2" (success cluster), "P3" (contrastive pair),
 * "C:<instance>" (a verified case), anything else is shown as is.
 */
#include <stddef.h>

#include "skillsmith/stats.h"

/* One rule: a bullet (with its continuation lines) or a paragraph. */
struct attrib_rule {
	char *section;    /* the enclosing "## " heading, "" before any */
	char *text;       /* the rule's text, bullet marker and indentation removed */
	size_t start;     /* byte range in the body, whole lines */
	size_t end;
	char **evidence;  /* provenance ids (attrib_provenance only) */
	size_t nr_evidence;
};

/* Free an array of rules from attrib_split() or attrib_provenance(). */
void attrib_rules_free(struct attrib_rule *rules, size_t nr);

/*
 * Split a SKILL.md text into rules with the skill module's splitter
 * (skill_rules(): YAML front matter and headings are not rules; each
 * bullet with its continuation and nested lines, each paragraph and each
 * fenced block is one rule; the section is the enclosing "## " heading).
 * Ranges are whole lines, the line break included.  Caller frees with
 * attrib_rules_free().  Never fails.
 */
void attrib_split(const char *body, struct attrib_rule **out, size_t *nr);

/* The body without rule i (its whole lines removed); caller frees. */
char *attrib_without(const char *body, const struct attrib_rule *rules,
		     size_t nr, size_t i);

/* What the engine measured for one leave-one-out variant. */
struct attrib_input {
	struct paired_counts vs_base;  /* variant vs the baseline */
	struct paired_counts vs_full;  /* base = full skill, "skill" = variant;
					  all zero when not measured */
};

enum attrib_verdict {
	ATTRIB_HELPS = 1,       /* removing it loses net gain */
	ATTRIB_NO_EFFECT = 0,   /* removing it changes nothing */
	ATTRIB_HARMFUL = -1,    /* removing it gains */
};

struct attrib_effect {
	int g_without;          /* G of the variant vs the baseline */
	int marginal;           /* G_full - g_without */
	enum attrib_verdict verdict;
	double p_value;         /* exact McNemar of variant vs full, 1 if unmeasured */
};

/*
 * Score each rule: marginal = G(full) - G(without rule i), both net gains
 * against the baseline on the same instances.  effects[i] for i < nr.
 */
void attrib_score(const struct paired_counts *full,
		  const struct attrib_input *inputs, size_t nr,
		  struct attrib_effect *effects);

/* "helps", "no-effect", "harmful". */
const char *attrib_verdict_name(enum attrib_verdict v);

/*
 * The pruned body: without every rule whose verdict is harmful or no
 * effect.  Sets *removed (may be NULL) to their number.  Caller frees.
 * If every rule would go, nothing is removed (an empty skill is not a
 * candidate) and *removed is 0.
 */
char *attrib_pruned(const char *body, const struct attrib_rule *rules,
		    size_t nr, const struct attrib_effect *effects,
		    size_t *removed);

/*
 * The attribution as JSON, for the store: the engine saves it as the run
 * state key "attribution" (store_state_set), where `skillsmith audit RUN`
 * and the dashboard read it:
 *   {"candidate": N, "net_gain": G, "rules": [{"rule" (1-based),
 *    "section", "text", "g_without", "marginal", "verdict", "p_value"}]}
 * (the engine adds "round", "pruned_rules", "pruned_candidate", ...).
 * Caller frees.
 */
char *attrib_json(int candidate_id, const struct paired_counts *full,
		  const struct attrib_rule *rules, const struct attrib_effect *effects,
		  size_t nr);

/*
 * The rules of a structured skill with their evidence: the context first
 * (section "Task context", when present), then "Success patterns" and
 * "Failure lessons".  Items may be objects {rule|text, evidence[]} or
 * plain strings.  Returns 0, or SS_EINPUT when the JSON does not parse
 * or is not an object.  Caller frees with attrib_rules_free().
 */
int attrib_provenance(const char *skill_json, struct attrib_rule **out, size_t *nr);

/* "failure cluster", "success cluster", "pair", "case" or "evidence". */
const char *attrib_evidence_kind(const char *id);

#endif
