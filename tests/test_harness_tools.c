/*
 * The tools harness against the example calendar environment and small
 * misbehaving environments, with a scripted agent: a canned-reply
 * OpenAI-compatible server on loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canned.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/envproto.h"
#include "skillsmith/harness.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"

struct fx {
	struct canned *srv;
	struct config cfg;
	struct llm *L;
	struct harness_ctx ctx;
	int got;
	int status, outcome;
	double score;
	char *output, *traj, *error, *note;
};

static void on_done(const struct rollout_result *r, void *payload)
{
	struct fx *f = payload;
	f->got++;
	f->status = r->status;
	f->outcome = r->outcome;
	f->score = r->score;
	f->output = xstrdup(r->output ? r->output : "");
	f->traj = r->trajectory ? cJSON_PrintUnformatted(r->trajectory) : xstrdup("");
	f->error = r->error ? xstrdup(r->error) : NULL;
	f->note = r->grader_note ? xstrdup(r->grader_note) : NULL;
}

/* Next to the skillsmith binary of the build under test. */
static char *calendar_env(void)
{
	const char *bin = getenv("SKILLSMITH_BIN");
	const char *slash = bin ? strrchr(bin, '/') : NULL;
	if (!slash)
		return xstrdup("build/examples/calendar_env");
	return xasprintf("%.*s/examples/calendar_env", (int)(slash - bin), bin);
}

/* A config for the tools harness; `env_json` is the agent.tools.env array. */
static struct fx *fx_new(const char *env_json, int max_steps, int timeout_s)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->srv = canned_start();
	assert_non_null(f->srv);
	char *text = xasprintf(
		"{\"tasks\": \"t.jsonl\","
		" \"providers\": {\"p\": {\"kind\": \"openai\", \"base_url\": \"%s\", \"max_retries\": 0}},"
		" \"agent\": {\"provider\": \"p\", \"model\": \"m\", \"harness\": \"tools\","
		"   \"system_prompt\": \"You answer date questions.\\n{{skill}}\","
		"   \"tools\": {\"env\": %s, \"max_steps\": %d, \"step_timeout_s\": %d}},"
		" \"optimizer\": {\"provider\": \"p\", \"model\": \"m\"},"
		" \"grader\": {\"kind\": \"exact\"}}",
		f->srv->base_url, env_json, max_steps, timeout_s);
	if (config_parse(&f->cfg, text, "test.json") < 0)
		fail_msg("config: %s", ss_err_last());
	free(text);
	assert_int_equal(llm_new(&f->L, &f->cfg, NULL, NULL, NULL), 0);
	f->ctx.cfg = &f->cfg;
	f->ctx.llm = f->L;
	f->ctx.loop = llm_loop(f->L);
	f->ctx.stage = "baseline";
	return f;
}

/* Run the loop until the rollout reported and its process is reaped. */
static void fx_run(struct fx *f)
{
	struct loop *lp = f->ctx.loop;
	for (int i = 0; i < 100000 && (!f->got || loop_busy(lp)); i++)
		loop_run_once(lp, 100);
	assert_int_equal(f->got, 1);
}

/* Forget the last result. */
static void fx_reset(struct fx *f)
{
	free(f->output);
	free(f->traj);
	free(f->error);
	free(f->note);
	f->output = f->traj = f->error = f->note = NULL;
	f->got = 0;
}

static void fx_free(struct fx *f)
{
	llm_free(f->L);
	canned_stop(f->srv);
	config_release(&f->cfg);
	fx_reset(f);
	free(f);
}

static struct canned_reply tool_reply(const char *name, const char *args_json_escaped)
{
	struct canned_reply r;
	memset(&r, 0, sizeof(r));
	r.body = xasprintf(
		"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
		"[{\"id\":\"call_%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\","
		"\"arguments\":\"%s\"}}]},\"finish_reason\":\"tool_calls\"}],"
		"\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5}}", name, name, args_json_escaped);
	return r;
}

static struct canned_reply text_reply(const char *text)
{
	struct canned_reply r;
	memset(&r, 0, sizeof(r));
	r.body = xasprintf(
		"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},"
		"\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":2}}", text);
	return r;
}

static void reply_free(struct canned_reply *r)
{
	free((char *)r->body);
}

static const struct harness_instance date_q = {
	.id = "d-1", .input = "What date is 3 days after 2024-02-27?", .expected = "2024-03-01",
	.type = "date",
};

static void harness_tools__reward_from_environment(void **state)
{
	char *env = calendar_env();
	char *envj = xasprintf("[\"%s\"]", env);
	struct fx *f = fx_new(envj, 8, 10);
	struct canned_reply a = tool_reply("add_days", "{\\\"date\\\":\\\"2024-02-27\\\",\\\"days\\\":3}");
	struct canned_reply b = tool_reply("submit_answer", "{\\\"answer\\\":\\\"2024-03-01\\\"}");
	canned_push(f->srv, &a);
	canned_push(f->srv, &b);
	assert_int_equal(harness_tools_rollout(&f->ctx, &date_q, "SKILL BODY", on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_int_equal(f->outcome, 1);
	assert_true(f->score == 1.0);
	assert_non_null(strstr(f->note, "environment reward 1"));
	/* the agent saw the skill, the tools and the observation of its call */
	assert_int_equal(canned_nr_requests(f->srv), 2);
	assert_non_null(strstr(f->srv->reqs[0].body, "SKILL BODY"));
	assert_non_null(strstr(f->srv->reqs[0].body, "\"name\":\"add_days\""));
	assert_non_null(strstr(f->srv->reqs[1].body,
		"{\"role\":\"tool\",\"tool_call_id\":\"call_add_days\",\"content\":\"2024-03-01\"}"));
	/* the trajectory holds every message, tool calls and observations */
	assert_non_null(strstr(f->traj, "\"role\":\"system\""));
	assert_non_null(strstr(f->traj, "\"tool_calls\""));
	assert_non_null(strstr(f->traj, "\"content\":\"answer received\""));
	assert_non_null(strstr(f->traj, "\"steps\":2"));
	assert_non_null(strstr(f->traj, "\"end\":\"done\""));
	reply_free(&a);
	reply_free(&b);
	fx_free(f);
	free(envj);
	free(env);
}

static void harness_tools__final_answer_graded(void **state)
{
	char *env = calendar_env();
	char *envj = xasprintf("[\"%s\"]", env);
	struct fx *f = fx_new(envj, 8, 10);
	struct canned_reply a = tool_reply("weekday", "{\\\"date\\\":\\\"2024-03-01\\\"}");
	struct canned_reply b = text_reply("Friday");
	canned_push(f->srv, &a);
	canned_push(f->srv, &b);
	struct harness_instance q = { .id = "w-1", .input = "Which weekday is 2024-03-01?",
				      .expected = "Friday" };
	assert_int_equal(harness_tools_rollout(&f->ctx, &q, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_int_equal(f->outcome, 1);
	assert_string_equal(f->output, "Friday");
	assert_non_null(strstr(f->traj, "\"end\":\"answer\""));
	assert_non_null(strstr(f->srv->reqs[1].body, "\"content\":\"Friday\""));  /* the observation */
	reply_free(&a);
	reply_free(&b);

	/* a wrong final answer fails */
	fx_reset(f);
	struct canned_reply c = text_reply("Monday");
	canned_push(f->srv, &c);
	assert_int_equal(harness_tools_rollout(&f->ctx, &q, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_int_equal(f->outcome, 0);
	reply_free(&c);
	fx_free(f);
	free(envj);
	free(env);
}

static void harness_tools__step_cap(void **state)
{
	char *env = calendar_env();
	char *envj = xasprintf("[\"%s\"]", env);
	struct fx *f = fx_new(envj, 3, 10);
	struct canned_reply a = tool_reply("weekday", "{\\\"date\\\":\\\"2024-03-01\\\"}");
	canned_set_fallback(f->srv, &a);   /* the agent never stops calling tools */
	assert_int_equal(harness_tools_rollout(&f->ctx, &date_q, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_int_equal(f->outcome, 0);
	assert_int_equal(canned_nr_requests(f->srv), 3);
	assert_non_null(strstr(f->traj, "\"steps\":3"));
	assert_non_null(strstr(f->traj, "\"end\":\"step_cap\""));
	assert_non_null(strstr(f->error, "step cap of 3"));
	reply_free(&a);
	fx_free(f);
	free(envj);
	free(env);
}

static int gone(pid_t pid)
{
	if (kill(pid, 0) < 0)
		return 1;
	/* a zombie waiting for its new parent counts as gone */
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return 1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

static void harness_tools__timeout_kills_the_group(void **state)
{
	/* replies to reset, then hangs on the step in a grandchild */
	struct fx *f = fx_new("[\"sh\", \"-c\", \"read l; echo '{\\\"observation\\\":\\\"hi\\\",\\\"tools\\\":[]}';"
			      " read l; sleep 30 & echo $! > sleep.pid; wait\"]", 8, 1);
	unlink("sleep.pid");
	struct canned_reply a = tool_reply("anything", "{}");
	canned_push(f->srv, &a);
	int64_t t0 = ss_now_ms();
	assert_int_equal(harness_tools_rollout(&f->ctx, &date_q, NULL, on_done, f), 0);
	fx_run(f);
	int64_t took = ss_now_ms() - t0;
	assert_int_equal(f->status, 0);
	assert_int_equal(f->outcome, 0);
	assert_non_null(strstr(f->error, "did not reply within 1 s"));
	assert_non_null(strstr(f->traj, "\"end\":\"timeout\""));
	assert_true(took < 20000);   /* not the 30 s of the hung grandchild */
	FILE *fp = fopen("sleep.pid", "r");
	assert_non_null(fp);
	long pid = 0;
	assert_int_equal(fscanf(fp, "%ld", &pid), 1);
	fclose(fp);
	for (int i = 0; i < 200 && !gone((pid_t)pid); i++)
		usleep(10000);
	assert_true(gone((pid_t)pid));
	unlink("sleep.pid");
	reply_free(&a);
	fx_free(f);
}

static void harness_tools__protocol_errors(void **state)
{
	/* not JSON */
	struct fx *f = fx_new("[\"sh\", \"-c\", \"read l; echo hello\"]", 8, 5);
	assert_int_equal(harness_tools_rollout(&f->ctx, &date_q, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, SS_EPROVIDER);
	assert_non_null(strstr(f->error, "not a JSON object"));
	assert_int_equal(canned_nr_requests(f->srv), 0);
	fx_free(f);

	/* exits without a reply */
	f = fx_new("[\"true\"]", 8, 5);
	assert_int_equal(harness_tools_rollout(&f->ctx, &date_q, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, SS_EPROVIDER);
	assert_non_null(strstr(f->error, "closed its output before replying to reset"));
	fx_free(f);

	/* no such program: refused at once */
	f = fx_new("[\"/nonexistent/env\"]", 8, 5);
	assert_true(harness_tools_rollout(&f->ctx, &date_q, NULL, on_done, f) < 0);
	assert_non_null(strstr(ss_err_last(), "/nonexistent/env"));
	assert_int_equal(f->got, 0);
	fx_free(f);
}

static void harness_tools__protocol_lines(void **state)
{
	struct harness_instance q = { .id = "a", .input = "in", .type = "date" };
	char *s = envproto_reset_line(&q);
	assert_string_equal(s, "{\"op\":\"reset\",\"instance\":{\"id\":\"a\",\"input\":\"in\",\"type\":\"date\"}}");
	free(s);
	cJSON *call = cJSON_Parse("{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
				  "\"arguments\":\"{\\\"x\\\":1}\"}}");
	s = envproto_step_line(call);
	assert_string_equal(s, "{\"op\":\"step\",\"tool_call\":{\"id\":\"c1\",\"name\":\"f\",\"arguments\":{\"x\":1}}}");
	free(s);
	cJSON_Delete(call);

	struct envproto_step st;
	assert_int_equal(envproto_parse_step("{\"observation\":\"o\",\"done\":true,\"reward\":0.5}", &st), 0);
	assert_string_equal(st.observation, "o");
	assert_true(st.done && st.has_reward && st.reward == 0.5);
	envproto_step_release(&st);
	assert_int_equal(envproto_parse_step("{\"observation\":\"o\"}", &st), 0);
	assert_false(st.done || st.has_reward);
	envproto_step_release(&st);
	assert_int_equal(envproto_parse_step("{\"done\":\"yes\"}", &st), SS_EPROVIDER);
	assert_non_null(strstr(ss_err_last(), "field 'done'"));
	char *obs;
	cJSON *tools;
	assert_int_equal(envproto_parse_reset("{\"observation\":\"x\",\"tools\":{}}", &obs, &tools), SS_EPROVIDER);
	assert_non_null(strstr(ss_err_last(), "field 'tools'"));
	assert_int_equal(envproto_parse_reset("{\"observation\":\"x\"}", &obs, &tools), 0);
	assert_int_equal(cJSON_GetArraySize(tools), 0);
	free(obs);
	cJSON_Delete(tools);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(harness_tools__protocol_lines),
		cmocka_unit_test(harness_tools__reward_from_environment),
		cmocka_unit_test(harness_tools__final_answer_graded),
		cmocka_unit_test(harness_tools__step_cap),
		cmocka_unit_test(harness_tools__timeout_kills_the_group),
		cmocka_unit_test(harness_tools__protocol_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
