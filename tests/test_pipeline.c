/*
 * Unit tests for the engine: the gate, the auxiliary schemas, skill
 * rendering, run creation (split, resume identity) and the report's shape.
 * Integration against the simulator is in tests/cli/run.sh, resume.sh and
 * demo.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/pipeline.h"
#include "skillsmith/prompts.h"
#include "skillsmith/report.h"
#include "skillsmith/skill.h"
#include "skillsmith/stats.h"
#include "skillsmith/store.h"
#include "../src/pipeline_int.h"

/* The engine uses cli_workspace(); the command table lives in main.c. */
const struct cli_command cli_commands[] = { { NULL, NULL, NULL, NULL } };

static char *tmpdir_path(const char *name)
{
	const char *dir = getenv("TMPDIR");
	char *p = xasprintf("%s/pl-%s.%ld", dir ? dir : "/tmp", name, (long)getpid());
	char *cmd = xasprintf("rm -rf '%s'", p);
	if (system(cmd) != 0)
		fail_msg("cannot clean %s", p);
	free(cmd);
	ss_mkdirs(p, 0777);
	return p;
}

/* A suite of n tasks with types and a config for it in `dir`. */
static char *write_suite(const char *dir, int n, int64_t seed, const char *extra)
{
	FILE *f;
	char *tasks = xasprintf("%s/tasks.jsonl", dir);
	f = fopen(tasks, "w");
	assert_non_null(f);
	for (int i = 0; i < n; i++)
		fprintf(f, "{\"id\": \"t-%03d\", \"input\": \"question %d\", \"expected\": \"%d\", "
			"\"type\": \"%s\"}\n", i, i, i, i % 2 ? "odd" : "even");
	fclose(f);
	free(tasks);
	char *cfg = xasprintf("%s/config.json", dir);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "{\"name\": \"unit\", \"tasks\": \"tasks.jsonl\", \"seed\": %lld,\n"
		" \"providers\": {\"p\": {\"kind\": \"openai\", \"base_url\": \"http://127.0.0.1:9\"}},\n"
		" \"agent\": {\"provider\": \"p\", \"model\": \"a\"},\n"
		" \"optimizer\": {\"provider\": \"p\", \"model\": \"o\"}%s%s}\n",
		(long long)seed, extra ? ", " : "", extra ? extra : "");
	fclose(f);
	return cfg;
}

/* ---- the gate and the counts ---------------------------------------- */

static void pipeline__gate_threshold(void **state)
{
	(void)state;
	assert_int_equal(stats_gate_threshold(2, 0.05, 120), 6);
	assert_int_equal(stats_gate_threshold(2, 0.05, 40), 2);
	assert_int_equal(stats_gate_threshold(2, 0.05, 42), 3);
	assert_int_equal(stats_gate_threshold(0, 0.0, 10), 1);
	struct paired_counts c = { 0, 0, 0, 0 };
	/* b, z pairs: 2 repairs, 1 regression, 3 both right, 4 both wrong */
	int b[] = { 0, 0, 1, 1, 1, 1, 0, 0, 0, 0 };
	int z[] = { 1, 1, 0, 1, 1, 1, 0, 0, 0, 0 };
	for (int i = 0; i < 10; i++)
		stats_add(&c, b[i], z[i]);
	assert_int_equal(c.n01, 2);
	assert_int_equal(c.n10, 1);
	assert_int_equal(c.n11, 3);
	assert_int_equal(c.n00, 4);
	assert_int_equal(stats_net_gain(&c), 1);
	assert_int_equal(stats_m(&c), 10);
}

/* ---- prompts --------------------------------------------------------- */

static void prompts__schemas_are_strict_and_named(void **state)
{
	(void)state;
	static const char *const names[PROMPT__COUNT] = {
		"task_summary", "failure_summary", "success_summary", "failure_cluster",
		"success_cluster", "contrast", "skill", "skill_refine", "case_analysis", "feedback",
		"edits", "slow_update",
	};
	for (int i = 0; i < PROMPT__COUNT; i++) {
		assert_string_equal(prompt_name((enum prompt_id)i), names[i]);
		const cJSON *s = prompt_schema((enum prompt_id)i);
		assert_non_null(s);
		assert_true(cJSON_IsFalse(cJSON_GetObjectItem(s, "additionalProperties")));
		const cJSON *props = cJSON_GetObjectItem(s, "properties");
		const cJSON *req = cJSON_GetObjectItem(s, "required");
		assert_int_equal(cJSON_GetArraySize(props), cJSON_GetArraySize(req));
		const cJSON *p;
		cJSON_ArrayForEach(p, props) {
			int found = 0;
			const cJSON *r;
			cJSON_ArrayForEach(r, req)
				found |= !strcmp(r->valuestring, p->string);
			assert_true(found);
		}
		cJSON *data = cJSON_Parse("{\"x\": 1}");
		cJSON *m = prompt_messages((enum prompt_id)i, data);
		const char *content = cJSON_GetStringValue(
			cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "content"));
		assert_non_null(strstr(content, "\nDATA:\n{\"x\":1}"));
		cJSON_Delete(m);
		cJSON_Delete(data);
	}
}

static void prompts__check_rejects_bad_shapes(void **state)
{
	(void)state;
	cJSON *ok = cJSON_Parse("{\"effect\": \"helped\", \"why\": \"w\", \"suggestion\": \"s\"}");
	cJSON *bad_enum = cJSON_Parse("{\"effect\": \"great\", \"why\": \"w\", \"suggestion\": \"s\"}");
	cJSON *missing = cJSON_Parse("{\"effect\": \"hurt\", \"why\": \"w\"}");
	assert_int_equal(prompt_check(PROMPT_CASE_ANALYSIS, ok), 0);
	assert_int_equal(prompt_check(PROMPT_CASE_ANALYSIS, bad_enum), SS_EINPUT);
	assert_int_equal(prompt_check(PROMPT_CASE_ANALYSIS, missing), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "suggestion"));
	assert_int_equal(prompt_check(PROMPT_CASE_ANALYSIS, NULL), SS_EINPUT);
	cJSON *skill = cJSON_Parse("{\"name\": \"n\", \"description\": \"d\", \"context\": \"c\", "
				   "\"success_patterns\": [{\"rule\": \"r\", \"evidence\": [\"S1\"]}], "
				   "\"failure_lessons\": [{\"rule\": \"r\", \"evidence\": [1]}]}");
	assert_int_equal(prompt_check(PROMPT_SKILL, skill), SS_EINPUT);
	cJSON_Delete(ok);
	cJSON_Delete(bad_enum);
	cJSON_Delete(missing);
	cJSON_Delete(skill);
	char *c = prompt_clip("h\xc3\xa9llo", 2);
	assert_string_equal(c, "h [...]");
	free(c);
}

static void pipeline__skill_render_three_parts(void **state)
{
	(void)state;
	cJSON *s = cJSON_Parse("{\"name\": \"Date Reasoning!\", \"description\": \"Dates.\", "
			       "\"context\": \"Questions about dates.\", "
			       "\"success_patterns\": [{\"rule\": \"Write each step.\", \"evidence\": [\"S1\"]}], "
			       "\"failure_lessons\": [{\"rule\": \"Check leap years.\", \"evidence\": [\"F1\", \"P2\"]}]}");
	char *name = NULL;
	char *md = pl_skill_render(s, 1, &name);
	assert_non_null(md);
	assert_string_equal(name, "date-reasoning");
	assert_true(skill_name_valid(name));
	assert_non_null(strstr(md, "name: date-reasoning"));
	assert_non_null(strstr(md, "Success patterns"));
	assert_non_null(strstr(md, "Failure lessons"));
	assert_non_null(strstr(md, "Check leap years."));
	struct skill sk;
	memset(&sk, 0, sizeof(sk));
	assert_int_equal(skill_parse(&sk, md, strlen(md), "SKILL.md", "date-reasoning", NULL), 0);
	skill_release(&sk);
	free(md);
	free(name);
	cJSON_Delete(s);
}

/* ---- runs ------------------------------------------------------------ */

static int count_split(struct run_ctx *rc, const char *split)
{
	int n = 0;
	for (int i = 0; i < rc->nr_insts; i++)
		n += !strcmp(rc->insts[i].split, split);
	return n;
}

static void run__split_is_disjoint_and_complete(void **state)
{
	(void)state;
	char *dir = tmpdir_path("split");
	char *cfg = write_suite(dir, 40, 3, NULL);
	char *ws = xasprintf("%s/ws", dir);
	struct run_options opt = RUN_OPTIONS_INIT;
	opt.workspace = ws;
	opt.quiet = 1;
	struct run_ctx *rc = NULL;
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), 0);
	assert_string_equal(rc->run_id, "unit-1");
	assert_int_equal(rc->nr_insts, 40);
	int ind = count_split(rc, "ind"), ver = count_split(rc, "ver"), test = count_split(rc, "test");
	assert_int_equal(ind + ver + test, 40);
	assert_int_equal(test, 12);
	assert_true(ver >= 4);
	/* each id appears once */
	for (int i = 0; i < rc->nr_insts; i++)
		for (int j = i + 1; j < rc->nr_insts; j++)
			assert_string_not_equal(rc->insts[i].id, rc->insts[j].id);
	/* the same seed in another workspace: the same split */
	char *ws2 = xasprintf("%s/ws2", dir);
	struct run_ctx *rc2 = NULL;
	opt.workspace = ws2;
	assert_int_equal(run_ctx_start(&rc2, cfg, &opt), 0);
	for (int i = 0; i < rc->nr_insts; i++) {
		assert_string_equal(rc->insts[i].id, rc2->insts[i].id);
		assert_string_equal(rc->insts[i].split, rc2->insts[i].split);
	}
	run_ctx_free(rc);
	run_ctx_free(rc2);
	free(ws);
	free(ws2);
	free(cfg);
	free(dir);
}

static void run__same_config_resumes_the_run(void **state)
{
	(void)state;
	char *dir = tmpdir_path("ident");
	char *cfg = write_suite(dir, 20, 1, NULL);
	char *ws = xasprintf("%s/ws", dir);
	struct run_options opt = RUN_OPTIONS_INIT;
	opt.workspace = ws;
	opt.quiet = 1;
	struct run_ctx *rc = NULL;
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), 0);
	assert_true(rc->created);
	run_ctx_free(rc);
	/* again: the same run, not created */
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), 0);
	assert_string_equal(rc->run_id, "unit-1");
	assert_false(rc->created);
	run_ctx_free(rc);
	/* a budget cap or a provider setting does not make another run */
	free(cfg);
	cfg = write_suite(dir, 20, 1, "\"budget\": {\"max_tokens\": 1000}");
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), 0);
	assert_string_equal(rc->run_id, "unit-1");
	run_ctx_free(rc);
	/* --new does */
	opt.force_new = 1;
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), 0);
	assert_string_equal(rc->run_id, "unit-2");
	run_ctx_free(rc);
	opt.force_new = 0;
	/* another seed is another run */
	free(cfg);
	cfg = write_suite(dir, 20, 2, NULL);
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), 0);
	assert_string_equal(rc->run_id, "unit-3");
	run_ctx_free(rc);
	/* a bad task file is bad input, and creates nothing */
	char *tasks = xasprintf("%s/tasks.jsonl", dir);
	FILE *f = fopen(tasks, "a");
	fprintf(f, "{\"id\": \"x\"}\n");
	fclose(f);
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "tasks.jsonl:21"));
	assert_null(rc);
	free(tasks);
	free(ws);
	free(cfg);
	free(dir);
}

/* ---- the report ------------------------------------------------------- */

static void exec_ok(struct store *st, const char *sql)
{
	if (store_exec(st, sql) < 0)
		fail_msg("%s", ss_err_last());
}

static cJSON *report_of(struct run_ctx *rc)
{
	cJSON *rep = NULL;
	assert_int_equal(report_build(&rep, rc->st, rc->run_id), 0);
	return rep;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void report__shape_and_deprecated_delta(void **state)
{
	(void)state;
	char *dir = tmpdir_path("report");
	char *cfg = write_suite(dir, 20, 5, NULL);
	char *ws = xasprintf("%s/ws", dir);
	struct run_options opt = RUN_OPTIONS_INIT;
	opt.workspace = ws;
	opt.quiet = 1;
	struct run_ctx *rc = NULL;
	assert_int_equal(run_ctx_start(&rc, cfg, &opt), 0);
	struct store *st = rc->st;
	exec_ok(st, "INSERT INTO candidates(id, run_id, round, strategy, body, status, n00, n01, n10, "
		"n11, m, net_gain, p_value, ci_low, ci_high, created_at, verified_at) VALUES "
		"(1, 'unit-1', 1, 'skillgen', '---\nname: s\n---\n', 'verified', 1, 3, 1, 1, 6, 2, 0.6, -0.2, 0.6, 0, 0),"
		"(2, 'unit-1', 2, 'skillgen', '---\nname: s\n---\n', 'selected', 1, 4, 0, 1, 6, 4, 0.1, 0.1, 0.9, 0, 0)");
	exec_ok(st, "UPDATE runs SET selected_candidate = 2, final_status = 'active', "
		"gate_threshold = 2, state = 'done' WHERE id = 'unit-1'");
	/* test: 4 instances; base right on 1 and 2, skill right on 2, 3, 4 */
	for (int i = 0, k = 0; i < rc->nr_insts && k < 4; i++) {
		if (strcmp(rc->insts[i].split, "test"))
			continue;
		char *sql = xasprintf("INSERT INTO rollouts(run_id, instance_id, phase, candidate_id, "
				      "status, outcome, created_at) VALUES ('unit-1', '%s', 'test_base', 0, "
				      "'done', %d, 0), ('unit-1', '%s', 'test_skill', 2, 'done', %d, 0)",
				      rc->insts[i].id, k < 2, rc->insts[i].id, k >= 1);
		exec_ok(st, sql);
		free(sql);
		k++;
	}
	cJSON *rep = report_of(rc);
	static const char *const keys[] = { "run", "strategy", "status", "selected_round", "gate",
					    "rounds", "test", "usage" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		assert_non_null(cJSON_GetObjectItem(rep, keys[i]));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "status")), "active");
	assert_int_equal((int)num(rep, "selected_round"), 2);
	const cJSON *gate = cJSON_GetObjectItem(rep, "gate");
	assert_int_equal((int)num(gate, "threshold"), 2);
	assert_int_equal((int)num(gate, "net_gain"), 4);
	const cJSON *rounds = cJSON_GetObjectItem(rep, "rounds");
	assert_int_equal(cJSON_GetArraySize(rounds), 2);
	const cJSON *r1 = cJSON_GetArrayItem(rounds, 0);
	static const char *const rkeys[] = { "round", "net_gain", "repairs", "regressions", "m",
					     "p_value", "ci_low", "ci_high" };
	for (size_t i = 0; i < ARRAY_SIZE(rkeys); i++)
		num(r1, rkeys[i]);
	assert_non_null(cJSON_GetObjectItem(r1, "commit"));
	assert_int_equal((int)num(r1, "repairs"), 3);
	const cJSON *t = cJSON_GetObjectItem(rep, "test");
	assert_int_equal((int)num(t, "n"), 4);
	assert_true(num(t, "base_acc") == 0.5);
	assert_true(num(t, "skill_acc") == 0.75);
	assert_true(num(t, "delta") == 0.25);
	assert_int_equal((int)num(t, "repairs"), 2);
	assert_int_equal((int)num(t, "regressions"), 1);
	num(t, "p_value");
	const cJSON *u = cJSON_GetObjectItem(rep, "usage");
	static const char *const ukeys[] = { "calls", "cached_calls", "prompt_tokens",
					     "completion_tokens", "cost", "rollouts_saved" };
	for (size_t i = 0; i < ARRAY_SIZE(ukeys); i++)
		num(u, ukeys[i]);
	cJSON_Delete(rep);

	/* deprecated: the skill side reuses the baseline, delta 0 */
	exec_ok(st, "UPDATE runs SET final_status = 'deprecated' WHERE id = 'unit-1'");
	exec_ok(st, "DELETE FROM rollouts WHERE phase = 'test_skill'");
	rep = report_of(rc);
	t = cJSON_GetObjectItem(rep, "test");
	assert_int_equal((int)num(t, "n"), 4);
	assert_true(num(t, "delta") == 0);
	assert_true(num(t, "skill_acc") == num(t, "base_acc"));
	assert_int_equal((int)num(t, "repairs"), 0);
	assert_int_equal((int)num(t, "regressions"), 0);
	cJSON_Delete(rep);
	run_ctx_free(rc);
	free(ws);
	free(cfg);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipeline__gate_threshold),
		cmocka_unit_test(prompts__schemas_are_strict_and_named),
		cmocka_unit_test(prompts__check_rejects_bad_shapes),
		cmocka_unit_test(pipeline__skill_render_three_parts),
		cmocka_unit_test(run__split_is_disjoint_and_complete),
		cmocka_unit_test(run__same_config_resumes_the_run),
		cmocka_unit_test(report__shape_and_deprecated_delta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
