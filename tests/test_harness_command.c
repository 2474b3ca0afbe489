/*
 * The command harness with tiny script agents: the skill folder they are
 * pointed at, argument expansion without a shell, grading of stdout, the
 * timeout, and the cleanup of the temporary folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/harness.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"

struct fx {
	struct config cfg;
	struct llm *L;
	struct harness_ctx ctx;
	int got;
	int status, outcome;
	char *output, *traj, *error;
};

static void on_done(const struct rollout_result *r, void *payload)
{
	struct fx *f = payload;
	f->got++;
	f->status = r->status;
	f->outcome = r->outcome;
	f->output = xstrdup(r->output ? r->output : "");
	f->traj = r->trajectory ? cJSON_PrintUnformatted(r->trajectory) : xstrdup("");
	f->error = r->error ? xstrdup(r->error) : NULL;
}

/* `argv_json`: the agent.command.argv array. */
static struct fx *fx_new(const char *argv_json, int timeout_s)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *text = xasprintf(
		"{\"tasks\": \"t.jsonl\","
		" \"providers\": {\"p\": {\"kind\": \"openai\", \"base_url\": \"http://127.0.0.1:9\"}},"
		" \"agent\": {\"provider\": \"p\", \"model\": \"m\", \"harness\": \"command\","
		"   \"command\": {\"argv\": %s, \"timeout_s\": %d}},"
		" \"optimizer\": {\"provider\": \"p\", \"model\": \"m\"},"
		" \"grader\": {\"kind\": \"exact\"}}", argv_json, timeout_s);
	if (config_parse(&f->cfg, text, "test.json") < 0)
		fail_msg("config: %s", ss_err_last());
	free(text);
	assert_int_equal(llm_new(&f->L, &f->cfg, NULL, NULL, NULL), 0);
	f->ctx.cfg = &f->cfg;
	f->ctx.llm = f->L;
	f->ctx.loop = llm_loop(f->L);
	f->ctx.stage = "verify";
	return f;
}

static void fx_run(struct fx *f)
{
	struct loop *lp = f->ctx.loop;
	for (int i = 0; i < 100000 && (!f->got || loop_busy(lp)); i++)
		loop_run_once(lp, 100);
	assert_int_equal(f->got, 1);
}

static void fx_reset(struct fx *f)
{
	free(f->output);
	free(f->traj);
	free(f->error);
	f->output = f->traj = f->error = NULL;
	f->got = 0;
}

static void fx_free(struct fx *f)
{
	llm_free(f->L);
	config_release(&f->cfg);
	fx_reset(f);
	free(f);
}

/*
 * The script agent: checks that SKILLSMITH_SKILLS_DIR matches its first
 * argument, notes the folder on stderr, and answers with the ANSWER= line
 * of the installed skill (nothing without a skill).
 */
static const char agent_sh[] =
	"[ \"$SKILLSMITH_SKILLS_DIR\" = \"$1\" ] || { echo env-mismatch; exit 3; }\n"
	"echo \"dir=$1\" >&2\n"
	"echo \"question=$2\" >&2\n"
	"cat \"$1\"/date-rules/SKILL.md 2>/dev/null | sed -n 's/^ANSWER=//p'\n";

static const char skill_md[] =
	"---\nname: date-rules\ndescription: answers\n---\n# Rules\nANSWER=2024-03-01\n";

static const struct harness_instance q = {
	.id = "d-1", .input = "What date is 3 days after 2024-02-27?", .expected = "2024-03-01",
};

static char *dir_from_traj(const char *traj)
{
	const char *p = strstr(traj, "dir=");
	assert_non_null(p);
	p += 4;
	const char *e = strstr(p, "\\n");
	assert_non_null(e);
	return xstrndup(p, (size_t)(e - p));
}

static void harness_command__skill_folder_and_grading(void **state)
{
	assert_int_equal(ss_write_file("agent.sh", agent_sh, strlen(agent_sh)), 0);
	struct fx *f = fx_new("[\"sh\", \"agent.sh\", \"{{skills_dir}}\", \"{{input}}\"]", 30);

	assert_int_equal(harness_command_rollout(&f->ctx, &q, skill_md, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_string_equal(f->output, "2024-03-01");
	assert_int_equal(f->outcome, 1);
	assert_null(f->error);
	assert_non_null(strstr(f->traj, "question=What date is 3 days after 2024-02-27?"));
	assert_non_null(strstr(f->traj, "\"exit_status\":0"));
	char *dir = dir_from_traj(f->traj);
	assert_non_null(strstr(dir, "/skills"));
	struct stat sb;
	assert_int_equal(stat(dir, &sb), -1);   /* the temporary folder is gone */
	free(dir);

	/* without a skill the agent finds an empty folder and fails */
	fx_reset(f);
	assert_int_equal(harness_command_rollout(&f->ctx, &q, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_string_equal(f->output, "");
	assert_int_equal(f->outcome, 0);
	fx_free(f);
	unlink("agent.sh");
}

static void harness_command__no_shell(void **state)
{
	struct fx *f = fx_new("[\"printf\", \"%s\", \"{{input}}\"]", 30);
	struct harness_instance x = { .id = "x", .input = "$(touch pwned); `id` && echo hi",
				      .expected = "$(touch pwned); `id` && echo hi" };
	assert_int_equal(harness_command_rollout(&f->ctx, &x, NULL, on_done, f), 0);
	fx_run(f);
	assert_string_equal(f->output, "$(touch pwned); `id` && echo hi");
	assert_int_equal(f->outcome, 1);
	assert_int_equal(access("pwned", F_OK), -1);
	fx_free(f);
}

static void harness_command__timeout_and_exit_status(void **state)
{
	struct fx *f = fx_new("[\"sh\", \"-c\", \"echo partial; sleep 30\"]", 1);
	int64_t t0 = ss_now_ms();
	assert_int_equal(harness_command_rollout(&f->ctx, &q, NULL, on_done, f), 0);
	fx_run(f);
	assert_true(ss_now_ms() - t0 < 20000);
	assert_int_equal(f->status, 0);
	assert_string_equal(f->output, "partial");
	assert_int_equal(f->outcome, 0);
	assert_non_null(strstr(f->error, "timed out after 1 s"));
	assert_non_null(strstr(f->traj, "\"timed_out\":true"));
	fx_free(f);

	f = fx_new("[\"sh\", \"-c\", \"echo 2024-03-01; exit 4\"]", 30);
	assert_int_equal(harness_command_rollout(&f->ctx, &q, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->outcome, 1);   /* graded on what it printed */
	assert_non_null(strstr(f->error, "exited with status 4"));
	fx_free(f);

	f = fx_new("[\"/nonexistent/agent\"]", 30);
	assert_int_equal(harness_command_rollout(&f->ctx, &q, NULL, on_done, f), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "/nonexistent/agent"));
	assert_int_equal(f->got, 0);
	fx_free(f);
}

/* A 10 ms heartbeat on the loop, counting until the rollout reports. */
struct beat {
	struct fx *f;
	struct loop *lp;
	int n;
};

static void heartbeat(void *payload)
{
	struct beat *b = payload;
	if (b->f->got)
		return;
	b->n++;
	loop_timer_add(b->lp, 10, heartbeat, b);
}

static void harness_command__command_grader_on_the_loop(void **state)
{
	struct fx *f = fx_new("[\"printf\", \"%s\", \"2024-03-01\"]", 30);
	struct grader_config g;
	grader_config_init(&g);
	cJSON *gj = cJSON_Parse("{\"kind\": \"command\", \"command\": [\"sh\", \"-c\","
				"\"sleep 0.2; grep -q '\\\"output\\\":\\\"2024-03-01\\\"' && echo 1 || echo 0\"]}");
	assert_non_null(gj);
	assert_int_equal(grader_config_parse(&g, gj, "test", "grader", "."), 0);
	struct harness_instance x = q;
	x.grader = &g;
	/* the loop keeps serving timers while the grader sleeps */
	struct beat b = { f, f->ctx.loop, 0 };
	assert_int_equal(harness_command_rollout(&f->ctx, &x, NULL, on_done, f), 0);
	loop_timer_add(b.lp, 10, heartbeat, &b);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_int_equal(f->outcome, 1);
	assert_true(b.n >= 5);
	fx_reset(f);

	x.expected = "2024-03-02";  /* the grader reads only the output: still 1 */
	grader_config_release(&g);
	grader_config_init(&g);
	cJSON_Delete(gj);
	gj = cJSON_Parse("{\"kind\": \"command\", \"command\": [\"/nonexistent/grader\"]}");
	assert_int_equal(grader_config_parse(&g, gj, "test", "grader", "."), 0);
	assert_int_equal(harness_command_rollout(&f->ctx, &x, NULL, on_done, f), 0);
	fx_run(f);
	assert_int_equal(f->status, 0);
	assert_int_equal(f->outcome, 0);   /* a grader that cannot run fails the instance */
	grader_config_release(&g);
	cJSON_Delete(gj);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(harness_command__skill_folder_and_grading),
		cmocka_unit_test(harness_command__no_shell),
		cmocka_unit_test(harness_command__timeout_and_exit_status),
		cmocka_unit_test(harness_command__command_grader_on_the_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
