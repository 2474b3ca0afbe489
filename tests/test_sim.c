/*
 * Unit tests for the simulator's models: the suite, the agent's trap
 * mechanics, the auxiliary roles and the embeddings.  The simulator is its
 * own program, so its model sources are compiled into this test directly
 * (the HTTP side is tested from the shell in tests/cli/sim.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/suite.c"
#include "sim/traps.c"
#include "sim/agent.c"
#include "sim/aux.c"
#include "sim/embed.c"
#include "sim/latency.c"

static struct sim_suite suite;

static int setup(void **state)
{
	sim_suite_generate(&suite, 2024, 200);
	return 0;
}

static int teardown(void **state)
{
	sim_suite_release(&suite);
	return 0;
}

/* ---- the suite ---------------------------------------------------------- */

static time_t utc(int y, int m, int d)
{
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + 0;
	tm.tm_hour = 12;
	return timegm(&tm);
}

static void ymd(time_t t, char *out, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d", &tm);
}

/* Recompute each expected answer with the C library's calendar. */
static void sim__suite_answers_match_the_c_library(void **state)
{
	static const char *const wd[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					  "Thursday", "Friday", "Saturday" };
	int checked = 0;
	for (int i = 0; i < suite.n; i++) {
		const struct sim_instance *in = &suite.inst[i];
		int y1, m1, d1, y2, m2, d2, n, a, b, y;
		char want[32] = "", fmt[16], name[16];
		if (sscanf(in->input, "How many days are there from %d-%d-%d to %d-%d-%d",
			   &y1, &m1, &d1, &y2, &m2, &d2) == 6)
			snprintf(want, sizeof(want), "%ld",
				 (long)((utc(y2, m2, d2) - utc(y1, m1, d1)) / 86400 + 1));
		else if (sscanf(in->input, "How many days after %d-%d-%d is %d-%d-%d",
				&y1, &m1, &d1, &y2, &m2, &d2) == 6)
			snprintf(want, sizeof(want), "%ld",
				 (long)((utc(y2, m2, d2) - utc(y1, m1, d1)) / 86400));
		else if (sscanf(in->input, "What date is %d days after %d-%d-%d", &n, &y1, &m1, &d1) == 4)
			ymd(utc(y1, m1, d1 + n), want, sizeof(want));
		else if (sscanf(in->input, "What date is %d month%*[s] after %d-%d-%d", &n, &y1, &m1, &d1) == 4 ||
			 sscanf(in->input, "What date is %d month after %d-%d-%d", &n, &y1, &m1, &d1) == 4) {
			int mm = m1 - 1 + n, ty = y1 + mm / 12, tm = mm % 12 + 1;
			/* the last day of the target month: day 0 of the next one */
			char last[16];
			ymd(utc(ty, tm + 1, 0), last, sizeof(last));
			int ld = atoi(last + 8);
			ymd(utc(ty, tm, d1 < ld ? d1 : ld), want, sizeof(want));
		} else if (sscanf(in->input, "%d-%d-%d was a %15[A-Za-z]. What day of the week is %d-%d-%d",
				  &y1, &m1, &d1, name, &y2, &m2, &d2) == 7) {
			struct tm tm;
			time_t t1 = utc(y1, m1, d1), t2 = utc(y2, m2, d2);
			gmtime_r(&t1, &tm);
			assert_string_equal(name, wd[tm.tm_wday]);
			gmtime_r(&t2, &tm);
			snprintf(want, sizeof(want), "%s", wd[tm.tm_wday]);
		} else if (sscanf(in->input, "The date %d/%d/%d is written in %15s", &a, &b, &y, fmt) == 4) {
			int dayfirst = !strncmp(fmt, "DD/MM", 5);
			snprintf(want, sizeof(want), "%04d-%02d-%02d", y, dayfirst ? b : a, dayfirst ? a : b);
		} else {
			fail_msg("unrecognised input: %s", in->input);
		}
		assert_string_equal(in->expected, want);
		checked++;
	}
	assert_int_equal(checked, 200);
}

static void sim__suite_is_reproducible_and_unique(void **state)
{
	struct sim_suite again, other;
	sim_suite_generate(&again, 2024, 200);
	sim_suite_generate(&other, 2025, 200);
	int same = 0;
	for (int i = 0; i < 200; i++) {
		assert_string_equal(again.inst[i].input, suite.inst[i].input);
		same += !strcmp(other.inst[i].input, suite.inst[i].input);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(suite.inst[i].input, suite.inst[j].input);
	}
	assert_true(same < 20);
	/* every trap occurs, and some instances have none */
	int per[NR_TRAPS] = { 0 }, clean = 0;
	for (int i = 0; i < 200; i++) {
		for (int t = 0; t < NR_TRAPS; t++)
			per[t] += !!(suite.inst[i].traps & TRAP_BIT(t));
		clean += !suite.inst[i].traps;
	}
	for (int t = 0; t < NR_TRAPS; t++)
		assert_true(per[t] >= 8);
	assert_true(clean >= 50);
	sim_suite_release(&again);
	sim_suite_release(&other);
}

static void sim__match_finds_the_input_inside_a_template(void **state)
{
	const struct sim_instance *in = &suite.inst[41];
	char *wrapped = xasprintf("Question:\n%s\nThink it through.", in->input);
	assert_ptr_equal(sim_suite_match(&suite, in->input), in);
	assert_ptr_equal(sim_suite_match(&suite, wrapped), in);
	assert_null(sim_suite_match(&suite, "What is the capital of France?"));
	free(wrapped);
}

/* ---- the agent ---------------------------------------------------------- */

static int right_count(unsigned trap_mask, unsigned vuln_mask, int clean_only,
		       const char *rules, int *total)
{
	int right = 0;
	*total = 0;
	for (int i = 0; i < suite.n; i++) {
		const struct sim_instance *in = &suite.inst[i];
		struct sim_agent_answer a;
		if (trap_mask && !(in->traps & trap_mask))
			continue;
		if (vuln_mask && !(in->vulns & vuln_mask))
			continue;
		if (clean_only && in->traps)
			continue;
		sim_agent_answer(&a, 7, in, rules, ss_hash64(rules, strlen(rules)));
		right += a.correct;
		(*total)++;
		buf_release(&a.text);
	}
	return right;
}

static void sim__a_matching_rule_repairs_its_trap(void **state)
{
	const char *base = "You are a careful assistant. Give the final answer on the last line.";
	for (int t = 0; t < NR_TRAPS; t++) {
		char *with = xasprintf("%s\n- %s", base, sim_traps[t].rule);
		int n, n2;
		int before = right_count(TRAP_BIT(t), 0, 0, base, &n);
		int after = right_count(TRAP_BIT(t), 0, 0, with, &n2);
		print_message("%-16s %2d/%d right without the rule, %2d with it\n",
			      sim_traps[t].name, before, n, after);
		assert_true(n >= 8);
		assert_true(after >= before + n / 3);
		free(with);
	}
}

static void sim__an_overgeneral_rule_regresses_elsewhere(void **state)
{
	const char *base = "You are a careful assistant.";
	for (int t = 0; t < NR_TRAPS; t++) {
		char *with = xasprintf("%s\n- %s", base, sim_traps[t].harmful_rule);
		int n, n2;
		int before = right_count(0, sim_traps[t].breaks, 1, base, &n);
		int after = right_count(0, sim_traps[t].breaks, 1, with, &n2);
		print_message("%-16s %2d/%d clean instances right, %2d under \"%s\"\n",
			      sim_traps[t].name, before, n, after, sim_traps[t].harmful_rule);
		assert_true(n >= 4);
		assert_true(after <= before - n / 3);
		free(with);
	}
}

static void sim__answers_are_deterministic_and_show_the_trap(void **state)
{
	int shown = 0, wrong = 0;
	for (int i = 0; i < suite.n; i++) {
		const struct sim_instance *in = &suite.inst[i];
		struct sim_agent_answer a, b;
		if (!(in->traps & TRAP_BIT(TRAP_LEAP_YEAR)))
			continue;
		sim_agent_answer(&a, 7, in, "", 42);
		sim_agent_answer(&b, 7, in, "", 42);
		assert_string_equal(a.text.buf, b.text.buf);
		assert_non_null(strstr(a.text.buf, "\nAnswer: "));
		assert_string_equal(strstr(a.text.buf, "\nAnswer: ") + 9, a.answer);
		if (!a.correct) {
			wrong++;
			shown += strstr(a.text.buf, "to have 28 days") != NULL;
		}
		buf_release(&a.text);
		buf_release(&b.text);
	}
	assert_true(wrong > 0);
	assert_true(shown * 10 >= wrong * 8);
}

/* ---- auxiliary roles ---------------------------------------------------- */

static cJSON *aux(const char *role, const char *text, int harmful)
{
	cJSON *o = sim_aux_output(role, text, 7, harmful);
	assert_non_null(o);
	return o;
}

static const char *field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void sim__aux_roles_answer_with_their_schema_fields(void **state)
{
	static const struct { const char *role; const char *fields[6]; } roles_[] = {
		{ "task_summary", { "summary" } },
		{ "failure_summary", { "summary", "root_cause" } },
		{ "success_summary", { "summary", "procedure" } },
		{ "failure_cluster", { "pattern_name", "root_cause", "where_it_appears",
				       "observable_signals", "corrective_rule" } },
		{ "success_cluster", { "technique_name", "procedure", "when_it_applies",
				       "observable_signals", "robustness_checks" } },
		{ "contrast", { "same_type", "same_type_reason", "success_did", "failure_omitted",
				"lesson" } },
		{ "skill", { "name", "description", "context", "success_patterns", "failure_lessons" } },
		{ "skill_refine", { "name", "description", "context", "success_patterns",
				    "failure_lessons" } },
		{ "case_analysis", { "effect", "why", "suggestion" } },
		{ "feedback", { "keep", "remove", "add", "emphasize" } },
		{ "edits", { "reasoning", "edits" } },
		{ "slow_update", { "guidance", "notes" } },
		{ "judge", { "score", "verdict", "reason" } },
	};
	const char *text = "F1: I take February 2024 to have 28 days.\nAnswer: 25\nexpected: 26";
	for (size_t i = 0; i < ARRAY_SIZE(roles_); i++) {
		cJSON *o = aux(roles_[i].role, text, 0);
		int n = 0;
		for (int k = 0; k < 6 && roles_[i].fields[k]; k++, n++)
			assert_non_null(cJSON_GetObjectItemCaseSensitive(o, roles_[i].fields[k]));
		assert_int_equal(cJSON_GetArraySize(o), n);
		cJSON_Delete(o);
		assert_string_equal(sim_aux_role(roles_[i].role), roles_[i].role);
	}
	assert_string_equal(sim_aux_role("skillsmith_feedback"), "feedback");
	assert_null(sim_aux_role("weather_report"));
}

static void sim__failure_summary_names_the_trap_in_the_trajectory(void **state)
{
	cJSON *o = aux("failure_summary",
		       "DATA:\n{\"id\":\"cal-001\",\"input\":\"How many days are there from 2023-02-27 "
		       "to 2023-03-02, counting both ends?\",\"trajectory\":\"[assistant] The "
		       "difference between the dates is 3 days.\\nCounting from the start to the end "
		       "date gives 3 days.\\nAnswer: 3\"}", 0);
	assert_string_equal(field(o, "root_cause"), sim_traps[TRAP_INCLUSIVE].root_cause);
	cJSON_Delete(o);
}

static int has_rule(const cJSON *skill, const char *list, const char *rule, const char *evidence)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(skill, list)) {
		if (strcmp(field(it, "rule"), rule))
			continue;
		if (!evidence)
			return 1;
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "evidence"))
			if (!strcmp(e->valuestring, evidence))
				return 1;
		return 0;
	}
	return 0;
}

static char *gen_request(void)
{
	cJSON *d = cJSON_CreateObject(), *fc = cJSON_AddArrayToObject(d, "failure_clusters"), *c;
	cJSON_AddStringToObject(d, "task_summary", "Calendar questions.");
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "id", "F1");
	cJSON_AddStringToObject(c, "root_cause", sim_traps[TRAP_LEAP_YEAR].root_cause);
	cJSON_AddItemToArray(fc, c);
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "id", "F2");
	cJSON_AddStringToObject(c, "root_cause", sim_traps[TRAP_DAY_MONTH].root_cause);
	cJSON_AddItemToArray(fc, c);
	cJSON_AddArrayToObject(d, "success_clusters");
	cJSON_AddArrayToObject(d, "pairs");
	char *json = cJSON_PrintUnformatted(d);
	char *text = xasprintf("Write the skill.\n\nDATA:\n%s\n", json);
	free(json);
	cJSON_Delete(d);
	return text;
}

static void sim__generation_writes_rules_for_the_clusters_it_is_shown(void **state)
{
	char *text = gen_request();
	cJSON *o = aux("skill", text, 0);
	int leap = has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].rule, "F1") ||
		   has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].harmful_rule, "F1");
	int dm = has_rule(o, "failure_lessons", sim_traps[TRAP_DAY_MONTH].rule, "F2") ||
		 has_rule(o, "failure_lessons", sim_traps[TRAP_DAY_MONTH].harmful_rule, "F2");
	assert_true(leap && dm);
	assert_false(has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].rule, "F2"));
	assert_false(has_rule(o, "failure_lessons", sim_traps[TRAP_INCLUSIVE].rule, NULL));
	cJSON_Delete(o);

	o = aux("skill", text, 1);
	assert_true(has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].harmful_rule, "F1"));
	assert_true(has_rule(o, "failure_lessons", sim_traps[TRAP_DAY_MONTH].harmful_rule, "F2"));
	assert_false(has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].rule, NULL));
	cJSON_Delete(o);
	free(text);
}

static void sim__generation_sometimes_overgeneralises(void **state)
{
	int harmful = 0;
	for (int i = 0; i < 40; i++) {
		char *text = gen_request(), *t2 = xasprintf("%s%*s", text, i, "");
		cJSON *o = aux("skill", t2, 0);
		harmful += has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].harmful_rule, NULL) ||
			   has_rule(o, "failure_lessons", sim_traps[TRAP_DAY_MONTH].harmful_rule, NULL);
		cJSON_Delete(o);
		free(text);
		free(t2);
	}
	print_message("%d of 40 generations carry an over-general rule\n", harmful);
	assert_true(harmful >= 4 && harmful <= 24);
}

static void sim__refinement_follows_the_feedback(void **state)
{
	char *text = xasprintf(
		"Refine.\n\nDATA:\n{\"previous_skill\": {\"name\": \"cal\", \"description\": \"d\", "
		"\"context\": \"c\", \"success_patterns\": [], \"failure_lessons\": ["
		"{\"rule\": \"%s\", \"evidence\": [\"F1\"]}, {\"rule\": \"%s\", \"evidence\": [\"F2\"]}]}, "
		"\"feedback\": {\"keep\": [{\"rule\": \"%s\", \"evidence\": [\"C:cal-002\"]}], "
		"\"remove\": [{\"rule\": \"%s\", \"evidence\": [\"C:cal-001\"]}], "
		"\"add\": [{\"rule\": \"%s\", \"evidence\": [\"C:cal-009\"]}], \"emphasize\": []}, "
		"\"verification\": {\"repairs\": 3, \"regressions\": 4, \"net_gain\": -1, \"m\": 40}}",
		sim_traps[TRAP_LEAP_YEAR].rule, sim_traps[TRAP_INCLUSIVE].harmful_rule,
		sim_traps[TRAP_LEAP_YEAR].rule, sim_traps[TRAP_INCLUSIVE].harmful_rule,
		sim_traps[TRAP_MONTH_END].rule);
	cJSON *o = aux("skill_refine", text, 0);
	assert_string_equal(field(o, "name"), "cal");
	assert_true(has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].rule, "F1"));
	assert_false(has_rule(o, "failure_lessons", sim_traps[TRAP_INCLUSIVE].harmful_rule, NULL));
	assert_true(has_rule(o, "failure_lessons", sim_traps[TRAP_MONTH_END].rule, "C:cal-009"));
	cJSON_Delete(o);

	o = aux("skill_refine", text, 1);
	assert_false(has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].rule, NULL));
	assert_true(has_rule(o, "failure_lessons", sim_traps[TRAP_LEAP_YEAR].harmful_rule, NULL));
	cJSON_Delete(o);
	free(text);
}

static void sim__case_analysis_and_feedback_find_the_overgeneral_rule(void **state)
{
	char *ca = xasprintf(
		"DATA:\n{\"case\": \"C:cal-001\", \"kind\": \"regression\", \"skill\": \"- %s\", "
		"\"with_skill\": {\"output\": \"The difference between the dates is 32 days.\\n"
		"Applying the rule to add one to every count: 32 + 1 = 33.\\nAnswer: 33\", \"outcome\": 0}}",
		sim_traps[TRAP_INCLUSIVE].harmful_rule);
	cJSON *o = aux("case_analysis", ca, 0);
	assert_string_equal(field(o, "effect"), "hurt");
	assert_non_null(strstr(field(o, "why"), sim_traps[TRAP_INCLUSIVE].harmful_rule));
	char *why = xstrdup(field(o, "why")), *sug = xstrdup(field(o, "suggestion"));
	cJSON_Delete(o);

	cJSON *d = cJSON_CreateObject(), *sk = cJSON_AddObjectToObject(d, "skill"), *c;
	cJSON *fl = cJSON_AddArrayToObject(sk, "failure_lessons"), *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "rule", sim_traps[TRAP_INCLUSIVE].harmful_rule);
	cJSON_AddItemToArray(fl, r);
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "case", "C:cal-001");
	cJSON_AddStringToObject(c, "kind", "regression");
	cJSON_AddStringToObject(c, "effect", "hurt");
	cJSON_AddStringToObject(c, "why", why);
	cJSON_AddStringToObject(c, "suggestion", sug);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "cases"), c);
	char *json = cJSON_PrintUnformatted(d), *fb = xasprintf("Aggregate.\nDATA:\n%s", json);
	o = aux("feedback", fb, 0);
	const cJSON *rm = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "remove"), 0);
	assert_non_null(rm);
	assert_string_equal(field(rm, "rule"), sim_traps[TRAP_INCLUSIVE].harmful_rule);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rm, "evidence"), 0)
			    ->valuestring, "C:cal-001");
	assert_true(has_rule(o, "add", sim_traps[TRAP_INCLUSIVE].rule, "C:cal-001"));
	cJSON_Delete(o);
	cJSON_Delete(d);
	free(json);
	free(fb);
	free(ca);
	free(why);
	free(sug);
}

static void sim__judge_compares_the_final_answer_with_the_reference(void **state)
{
	cJSON *o = aux("judge", "## Task\nHow many days?\n\n## Reference answer\n26\n\n"
		       "## Answer to judge\nThe difference is 26 days.\nAnswer: 26\n", 0);
	assert_string_equal(field(o, "verdict"), "pass");
	assert_true(cJSON_GetObjectItemCaseSensitive(o, "score")->valuedouble == 1.0);
	cJSON_Delete(o);
	o = aux("judge", "## Task\nWhich weekday?\n\n## Reference answer\nMonday\n\n"
		"## Answer to judge\nanswer: tuesday\n", 0);
	assert_string_equal(field(o, "verdict"), "fail");
	cJSON_Delete(o);
	o = aux("judge", "## Task\nWhich weekday?\n\n## Reference answer\nMonday\n\n"
		"## Answer to judge\n monday.\n", 0);
	assert_string_equal(field(o, "verdict"), "pass");
	cJSON_Delete(o);
}

static void sim__edits_add_rules_for_the_failures_shown(void **state)
{
	char *text = xasprintf("Propose edits.\nDATA:\n{\"skill\": \"## Success patterns\\n\\n"
		"## Failure lessons\\n- %s\\n\", \"mode\": \"failures\", \"learning_rate\": 4, "
		"\"cases\": [{\"id\": \"cal-007\", \"output\": \"I take February 2028 to have 28 days."
		"\\nAnswer: 25\"}, {\"id\": \"cal-001\", \"output\": \"Applying the rule to add one "
		"to every count: 32 + 1 = 33.\"}], \"rejected_edits\": []}",
		sim_traps[TRAP_INCLUSIVE].harmful_rule);
	cJSON *o = aux("edits", text, 0), *e;
	int append_leap = 0, replace_incl = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "edits")) {
		const char *op = field(e, "op"), *content = field(e, "content");
		if (!strcmp(op, "append") && strstr(content, "February")) {
			assert_string_equal(field(e, "target"), "## Failure lessons");
			append_leap = 1;
		}
		if (!strcmp(op, "replace")) {
			assert_string_equal(field(e, "target"), sim_traps[TRAP_INCLUSIVE].harmful_rule);
			assert_string_equal(content, sim_traps[TRAP_INCLUSIVE].rule);
			replace_incl = 1;
		}
	}
	assert_true(append_leap && replace_incl);
	cJSON_Delete(o);
	free(text);
}

static void sim__contrast_compares_the_task_types(void **state)
{
	cJSON *o = aux("contrast", "DATA:\n{\"failure\": {\"type\": \"count\", \"output\": "
		       "\"I take February 2024 to have 28 days.\"}, \"success\": {\"type\": \"count\"}}", 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "same_type")));
	assert_string_equal(field(o, "lesson"), sim_traps[TRAP_LEAP_YEAR].rule);
	cJSON_Delete(o);
	o = aux("contrast", "DATA:\n{\"failure\": {\"type\": \"count\"}, \"success\": {\"type\": \"format\"}}", 0);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "same_type")));
	cJSON_Delete(o);
}

/* ---- embeddings and latency --------------------------------------------- */

static double dot(const float *a, const float *b, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

static void sim__embeddings_group_texts_by_trap(void **state)
{
	const char *texts[4] = {
		"Treated February as 28 days in a leap year, so the count missed February 29.",
		"I take February 2028 to have 28 days. The difference is 25 days.",
		"Read a DD/MM/YYYY date month first, so the day and month were swapped.",
		"Reading it as month 03, day 04.",
	};
	float v[4][SIM_EMBED_DIM];
	for (int i = 0; i < 4; i++) {
		sim_embed(texts[i], v[i], SIM_EMBED_DIM);
		assert_true(fabs(dot(v[i], v[i], SIM_EMBED_DIM) - 1.0) < 1e-5);
	}
	assert_true(dot(v[0], v[1], SIM_EMBED_DIM) > dot(v[0], v[2], SIM_EMBED_DIM));
	assert_true(dot(v[0], v[1], SIM_EMBED_DIM) > dot(v[1], v[3], SIM_EMBED_DIM));
	assert_true(dot(v[2], v[3], SIM_EMBED_DIM) > dot(v[1], v[3], SIM_EMBED_DIM));
	float again[SIM_EMBED_DIM];
	sim_embed(texts[0], again, SIM_EMBED_DIM);
	assert_memory_equal(again, v[0], sizeof(again));
}

static void sim__latency_specs_parse_and_sample(void **state)
{
	struct sim_latency l;
	assert_int_equal(sim_latency_parse(&l, "200"), 0);
	assert_true(sim_latency_sample(&l, 0.3, 0.9) == 200);
	assert_int_equal(sim_latency_parse(&l, "100-300"), 0);
	assert_true(sim_latency_sample(&l, 0.5, 0.1) == 200);
	assert_int_equal(sim_latency_parse(&l, "lognormal:200:0.5"), 0);
	double s = sim_latency_sample(&l, 0.5, 0.25); /* z = 0: the median */
	assert_true(fabs(s - 200) < 1e-6);
	assert_int_equal(sim_latency_parse(&l, "exp:150"), 0);
	assert_true(sim_latency_sample(&l, 0.5, 0) > 0);
	assert_int_equal(sim_latency_parse(&l, "fast"), -1);
	assert_int_equal(sim_latency_parse(&l, "300-100"), -1);
	assert_int_equal(sim_latency_parse(&l, "lognormal:200"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim__suite_answers_match_the_c_library),
		cmocka_unit_test(sim__suite_is_reproducible_and_unique),
		cmocka_unit_test(sim__match_finds_the_input_inside_a_template),
		cmocka_unit_test(sim__a_matching_rule_repairs_its_trap),
		cmocka_unit_test(sim__an_overgeneral_rule_regresses_elsewhere),
		cmocka_unit_test(sim__answers_are_deterministic_and_show_the_trap),
		cmocka_unit_test(sim__aux_roles_answer_with_their_schema_fields),
		cmocka_unit_test(sim__failure_summary_names_the_trap_in_the_trajectory),
		cmocka_unit_test(sim__generation_writes_rules_for_the_clusters_it_is_shown),
		cmocka_unit_test(sim__generation_sometimes_overgeneralises),
		cmocka_unit_test(sim__refinement_follows_the_feedback),
		cmocka_unit_test(sim__case_analysis_and_feedback_find_the_overgeneral_rule),
		cmocka_unit_test(sim__judge_compares_the_final_answer_with_the_reference),
		cmocka_unit_test(sim__edits_add_rules_for_the_failures_shown),
		cmocka_unit_test(sim__contrast_compares_the_task_types),
		cmocka_unit_test(sim__embeddings_group_texts_by_trap),
		cmocka_unit_test(sim__latency_specs_parse_and_sample),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
