/*
 * Unit tests for rule attribution: splitting, leave-one-out variants,
 * marginal gains with a planted harmful and a planted useless rule, the
 * pruned body, and provenance of structured skills.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/attrib.h"
#include "skillsmith/common.h"
#include "skillsmith/stats.h"

static const char *skill =
	"---\n"
	"name: dates\n"
	"description: Date questions.\n"
	"---\n"
	"\n"
	"# Dates\n"
	"\n"
	"Questions ask for a date some days away.\n"
	"Answer with a letter.\n"
	"\n"
	"## Success patterns\n"
	"\n"
	"- Rewrite the date as YYYY-MM-DD.\n"
	"- Count month lengths,\n"
	"  February included.\n"
	"1. Check by counting back.\n"
	"\n"
	"## Failure lessons\n"
	"\n"
	"* Never guess the weekday.\n"
	"\n"
	"```sh\n"
	"cal 2 2024\n"
	"```\n";

static void attrib__split_rules_and_sections(void **state)
{
	struct attrib_rule *r;
	size_t n;
	attrib_split(skill, &r, &n);
	assert_int_equal(n, 6);
	assert_string_equal(r[0].section, "");
	assert_string_equal(r[0].text, "Questions ask for a date some days away.\nAnswer with a letter.");
	assert_string_equal(r[1].section, "Success patterns");
	assert_string_equal(r[1].text, "Rewrite the date as YYYY-MM-DD.");
	assert_string_equal(r[2].text, "Count month lengths,\nFebruary included.");
	assert_string_equal(r[3].text, "Check by counting back.");
	assert_string_equal(r[4].section, "Failure lessons");
	assert_string_equal(r[4].text, "Never guess the weekday.");
	/* a fenced block is a rule of its own */
	assert_string_equal(r[5].section, "Failure lessons");
	assert_non_null(strstr(r[5].text, "cal 2 2024"));
	assert_int_equal(r[5].end, strlen(skill));
	/* byte ranges are whole lines, line break included */
	assert_int_equal(strncmp(skill + r[2].start, "- Count", 7), 0);
	assert_int_equal(strncmp(skill + r[3].start, "1. Check", 8), 0);
	assert_int_equal(r[2].end, r[3].start);
	attrib_rules_free(r, n);

	attrib_split("", &r, &n);
	assert_int_equal(n, 0);
	attrib_rules_free(r, n);
}

static void attrib__without_one_rule(void **state)
{
	struct attrib_rule *r;
	size_t n;
	attrib_split(skill, &r, &n);
	char *v = attrib_without(skill, r, n, 2);
	assert_null(strstr(v, "Count month lengths"));
	assert_null(strstr(v, "February included"));
	assert_non_null(strstr(v, "- Rewrite the date as YYYY-MM-DD.\n1. Check by counting back.\n"));
	assert_int_equal(strlen(v), strlen(skill) - strlen("- Count month lengths,\n  February included.\n"));
	free(v);
	/* the code block goes alone; the rule above it stays */
	v = attrib_without(skill, r, n, 5);
	assert_null(strstr(v, "cal 2 2024"));
	assert_non_null(strstr(v, "* Never guess the weekday.\n"));
	free(v);
	/* front matter is never touched */
	for (size_t i = 0; i < n; i++) {
		v = attrib_without(skill, r, n, i);
		assert_int_equal(strncmp(v, "---\nname: dates\n", 16), 0);
		free(v);
	}
	attrib_rules_free(r, n);
}

/*
 * A planted world: 12 verification instances, the baseline solves the
 * odd ones.  Rule 1 repairs instances 0, 2, 4 and 6; rule 3 (harmful)
 * breaks instances 1 and 3; rules 0, 2, 4 and 5 do nothing.  An outcome
 * with a set of rules present follows from that.
 */
#define M 12
static int base_outcome(int i)
{
	return i % 2;
}

static int skill_outcome(const unsigned char *present, int i)
{
	int y = base_outcome(i);
	if (present[1] && (i == 0 || i == 2 || i == 4 || i == 6))
		y = 1;
	if (present[3] && (i == 1 || i == 3))
		y = 0;
	return y;
}

static struct paired_counts counts_vs_base(const unsigned char *present)
{
	struct paired_counts c = { 0 };
	for (int i = 0; i < M; i++)
		stats_add(&c, base_outcome(i), skill_outcome(present, i));
	return c;
}

static void attrib__planted_harmful_and_useless_rules(void **state)
{
	struct attrib_rule *r;
	size_t n;
	attrib_split(skill, &r, &n);
	assert_int_equal(n, 6);
	unsigned char all[6] = { 1, 1, 1, 1, 1, 1 };
	struct paired_counts full = counts_vs_base(all);
	assert_int_equal(stats_net_gain(&full), 4 - 2);

	struct attrib_input in[6];
	struct attrib_effect eff[6];
	for (size_t i = 0; i < n; i++) {
		unsigned char present[6] = { 1, 1, 1, 1, 1, 1 };
		present[i] = 0;
		in[i].vs_base = counts_vs_base(present);
		memset(&in[i].vs_full, 0, sizeof(in[i].vs_full));
		for (int k = 0; k < M; k++)
			stats_add(&in[i].vs_full, skill_outcome(all, k), skill_outcome(present, k));
	}
	attrib_score(&full, in, n, eff);
	assert_int_equal(eff[1].marginal, 4);
	assert_int_equal(eff[1].verdict, ATTRIB_HELPS);
	assert_int_equal(eff[3].marginal, -2);
	assert_int_equal(eff[3].g_without, 4);
	assert_int_equal(eff[3].verdict, ATTRIB_HARMFUL);
	assert_int_equal(eff[0].verdict, ATTRIB_NO_EFFECT);
	assert_int_equal(eff[2].verdict, ATTRIB_NO_EFFECT);
	assert_int_equal(eff[4].verdict, ATTRIB_NO_EFFECT);
	assert_int_equal(eff[5].verdict, ATTRIB_NO_EFFECT);
	assert_string_equal(attrib_verdict_name(eff[3].verdict), "harmful");
	assert_string_equal(attrib_verdict_name(eff[0].verdict), "no-effect");
	/* variant without rule 1 vs full: 4 regressions, p = 2/16 */
	assert_float_equal(eff[1].p_value, 0.125, 1e-12);
	assert_float_equal(eff[0].p_value, 1.0, 0);

	size_t removed;
	char *pruned = attrib_pruned(skill, r, n, eff, &removed);
	assert_int_equal(removed, 5);
	assert_string_equal(pruned,
		"---\n"
		"name: dates\n"
		"description: Date questions.\n"
		"---\n"
		"\n"
		"# Dates\n"
		"\n"
		"## Success patterns\n"
		"\n"
		"- Rewrite the date as YYYY-MM-DD.\n"
		"\n"
		"## Failure lessons\n"
		"\n");
	/* and the pruned skill keeps the full gain minus the harm */
	struct attrib_rule *pr;
	size_t pn;
	attrib_split(pruned, &pr, &pn);
	assert_int_equal(pn, 1);
	attrib_rules_free(pr, pn);
	free(pruned);
	attrib_rules_free(r, n);
}

static void attrib__never_prunes_everything(void **state)
{
	struct attrib_rule *r;
	size_t n;
	attrib_split("- a\n- b\n", &r, &n);
	assert_int_equal(n, 2);
	struct attrib_effect eff[2] = {
		{ 0, 0, ATTRIB_NO_EFFECT, 1 }, { 1, -1, ATTRIB_HARMFUL, 1 },
	};
	size_t removed = 9;
	char *p = attrib_pruned("- a\n- b\n", r, n, eff, &removed);
	assert_int_equal(removed, 0);
	assert_string_equal(p, "- a\n- b\n");
	free(p);
	eff[0].verdict = ATTRIB_HELPS;
	p = attrib_pruned("- a\n- b\n", r, n, eff, &removed);
	assert_int_equal(removed, 1);
	assert_string_equal(p, "- a\n");
	free(p);
	attrib_rules_free(r, n);
}

static void attrib__provenance(void **state)
{
	const char *json =
		"{\"name\":\"dates\",\"description\":\"d\",\"context\":\"Date questions.\","
		"\"success_patterns\":[{\"rule\":\"Rewrite the date.\",\"evidence\":[\"S1\",\"P3\"]},"
		"\"A plain string rule.\"],"
		"\"failure_lessons\":[{\"rule\":\"Never guess.\",\"evidence\":[\"F2\",\"C:d-017\"]}]}";
	struct attrib_rule *r;
	size_t n;
	assert_int_equal(attrib_provenance(json, &r, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(r[0].section, "Task context");
	assert_string_equal(r[0].text, "Date questions.");
	assert_int_equal(r[0].nr_evidence, 0);
	assert_string_equal(r[1].section, "Success patterns");
	assert_int_equal(r[1].nr_evidence, 2);
	assert_string_equal(r[1].evidence[0], "S1");
	assert_string_equal(r[1].evidence[1], "P3");
	assert_string_equal(r[2].text, "A plain string rule.");
	assert_int_equal(r[2].nr_evidence, 0);
	assert_string_equal(r[3].section, "Failure lessons");
	assert_string_equal(r[3].evidence[1], "C:d-017");
	attrib_rules_free(r, n);

	assert_int_equal(attrib_provenance("[1,2]", &r, &n), SS_EINPUT);
	assert_int_equal(attrib_provenance("{not json", &r, &n), SS_EINPUT);
	assert_int_equal(n, 0);

	assert_string_equal(attrib_evidence_kind("F1"), "failure cluster");
	assert_string_equal(attrib_evidence_kind("S12"), "success cluster");
	assert_string_equal(attrib_evidence_kind("P3"), "pair");
	assert_string_equal(attrib_evidence_kind("C:d-017"), "case");
	assert_string_equal(attrib_evidence_kind("Fx"), "evidence");
	assert_string_equal(attrib_evidence_kind("F"), "evidence");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attrib__split_rules_and_sections),
		cmocka_unit_test(attrib__without_one_rule),
		cmocka_unit_test(attrib__planted_harmful_and_useless_rules),
		cmocka_unit_test(attrib__never_prunes_everything),
		cmocka_unit_test(attrib__provenance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
