/* Unit tests for the config: defaults, every section, errors naming the key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <cjson/cJSON.h>

#include "skillsmith/common.h"
#include "skillsmith/config.h"

static char *fixture(const char *name)
{
	const char *top = getenv("SKILLSMITH_TOP");
	return xasprintf("%s/tests/data/foundation/%s", top ? top : ".", name);
}

/* Parse `text`; assert failure with a message holding `want`. */
static void expect_error(const char *text, const char *want)
{
	struct config c;
	int rc = config_parse(&c, text, "config.json");
	if (rc != SS_EINPUT || !strstr(ss_err_last(), want))
		fail_msg("want error '%s', got %d '%s'", want, rc, rc ? ss_err_last() : "");
}

#define BASE_NA "\"tasks\": \"t.jsonl\", \"providers\": {\"sim\": {}}"
#define BASE "\"tasks\": \"t.jsonl\", \"providers\": {\"sim\": {}}, \"agent\": {\"model\": \"m\"}"

static void config__defaults_of_a_minimal_file(void **state)
{
	struct config c;
	assert_int_equal(config_parse(&c, "{" BASE "}", "/tmp/x/my run.json"), 0);
	assert_string_equal(c.name, "my-run");
	assert_string_equal(c.tasks, "/tmp/x/t.jsonl");
	assert_int_equal(c.seed, 0);
	assert_true(c.test_frac == 0.3 && c.ver_frac == 0.3);
	assert_int_equal(c.min_ver, 4);
	assert_int_equal(c.grader.kind, GRADER_EXACT);
	assert_int_equal(c.grader.normalize, NORM_TRIM);
	assert_int_equal(c.grader.timeout_s, 30);
	assert_string_equal(c.agent.m.provider, "sim");
	assert_string_equal(c.optimizer.provider, "sim");
	assert_string_equal(c.optimizer.model, "m");
	assert_int_equal(c.agent.m.max_tokens, 4096);
	assert_int_equal(c.agent.harness, HARNESS_CHAT);
	assert_non_null(strstr(c.agent.system_prompt, "{{skill}}"));
	assert_string_equal(c.agent.user_template, "{{input}}");
	assert_string_equal(c.embed_kind, "local");
	assert_int_equal(c.embed_dim, 512);
	assert_int_equal(c.nr_providers, 1);
	assert_string_equal(c.providers[0].base_url, "https://api.openai.com/v1");
	assert_int_equal(c.providers[0].concurrency, 8);
	assert_int_equal(c.providers[0].max_retries, 6);
	assert_int_equal(c.strategy.kind, STRATEGY_SKILLGEN);
	assert_int_equal(c.strategy.rounds, 8);
	assert_int_equal(c.strategy.g_abs, 2);
	assert_true(c.strategy.g_rel == 0.05);
	assert_int_equal(c.strategy.max_pairs, 20);
	assert_int_equal(c.strategy.skill_max_tokens, 16384);
	assert_int_equal(c.strategy.learning_rate, 4);
	assert_int_equal(c.strategy.schedule, LR_COSINE);
	assert_int_equal(c.approval, APPROVAL_NONE);
	assert_int_equal(c.cache, 1);
	config_release(&c);
}

static void config__full_file_sets_every_section(void **state)
{
	char *path = fixture("config-full.json");
	struct config c;
	int rc = config_load(&c, path);
	if (rc)
		fail_msg("%s", ss_err_last());
	assert_string_equal(c.name, "bbh-date");
	assert_int_equal(c.seed, 7);
	assert_int_equal(c.agent.m.seed, 7); /* defaults to the run seed */
	assert_int_equal(c.min_ver, 2);
	assert_int_equal(c.grader.kind, GRADER_CHOICE);
	assert_int_equal(c.grader.normalize, NORM_TRIM | NORM_CASE);
	assert_string_equal(c.agent.m.provider, "openai");
	assert_string_equal(c.optimizer.provider, "claude");
	assert_string_equal(c.embed_provider, "claude"); /* defaults to the optimizer's */
	assert_string_equal(c.embed_model, "text-embedding-3-large");
	struct provider_config *pv = config_provider(&c, "claude");
	assert_non_null(pv);
	assert_int_equal(pv->kind, PROVIDER_ANTHROPIC);
	assert_string_equal(pv->base_url, "https://api.anthropic.com/v1");
	assert_string_equal(pv->anthropic_version, "2023-06-01");
	assert_true(pv->stream);
	pv = config_provider(&c, "openai");
	assert_int_equal(pv->nr_prices, 1);
	assert_true(pv->prices[0].completion == 0.6);
	assert_string_equal(pv->headers[0], "X-Team: skills");
	assert_null(config_provider(&c, "nobody"));
	assert_int_equal(c.strategy.kind, STRATEGY_EDIT);
	assert_int_equal(c.strategy.schedule, LR_LINEAR);
	assert_int_equal(c.strategy.success_reflection, 0);
	assert_int_equal(c.approval, APPROVAL_EDITS);
	assert_int_equal(c.approval_on_timeout, ON_TIMEOUT_REJECT);
	assert_int_equal(c.budget_tokens, 2000000);
	assert_int_equal(c.cache, 0);
	/* tasks resolved against the config's directory */
	assert_non_null(strstr(c.tasks, "tests/data/foundation/tasks-good.jsonl"));
	assert_int_equal(c.tasks[0], '/');
	config_release(&c);
	free(path);
}

static void config__snapshot_has_every_key_and_no_secret(void **state)
{
	char *path = fixture("config-full.json");
	struct config c, back;
	assert_int_equal(config_load(&c, path), 0);
	char *js = config_to_json(&c);
	assert_null(strstr(js, "sk-literal"));
	cJSON *o = cJSON_Parse(js);
	assert_non_null(o);
	const char *keys[] = { "name", "tasks", "seed", "split", "grader", "agent", "optimizer",
			       "embeddings", "providers", "strategy", "approval", "budget", "cache" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		assert_non_null(cJSON_GetObjectItemCaseSensitive(o, keys[i]));
	cJSON *edit = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "strategy"), "edit");
	assert_int_equal(cJSON_GetObjectItem(edit, "learning_rate")->valueint, 3);
	cJSON_Delete(o);
	/* the snapshot reads back to the same config */
	assert_int_equal(config_parse(&back, js, path), 0);
	char *js2 = config_to_json(&back);
	assert_string_equal(js, js2);
	free(js2);
	free(js);
	config_release(&back);
	config_release(&c);
	free(path);
}

static void config__expands_environment_in_base_url(void **state)
{
	struct config c;
	setenv("SKILLSMITH_SIM_URL", "http://127.0.0.1:4242/v1/", 1);
	const char *t = "{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, \"providers\": "
			"{\"sim\": {\"base_url\": \"${SKILLSMITH_SIM_URL}\"}}}";
	assert_int_equal(config_parse(&c, t, "c.json"), 0);
	assert_string_equal(c.providers[0].base_url, "http://127.0.0.1:4242/v1");
	config_release(&c);
	unsetenv("SKILLSMITH_SIM_URL");
	t = "{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, \"providers\": "
	    "{\"sim\": {\"base_url\": \"${SKILLSMITH_SIM_URL:-http://localhost:9/v1}\"}}}";
	assert_int_equal(config_parse(&c, t, "c.json"), 0);
	assert_string_equal(c.providers[0].base_url, "http://localhost:9/v1");
	config_release(&c);
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, \"providers\": "
		     "{\"sim\": {\"base_url\": \"${SKILLSMITH_SIM_URL}\"}}}",
		     "config.json: providers.sim.base_url: environment variable "
		     "'SKILLSMITH_SIM_URL' is not set");
	char *out;
	assert_int_equal(config_expand_env("a${NOPE_X:-b}c", &out), 0);
	assert_string_equal(out, "abc");
	free(out);
	assert_int_equal(config_expand_env("${unterminated", &out), SS_EINPUT);
}

static void config__errors_name_the_key(void **state)
{
	expect_error("{" BASE ", \"strategy\": {\"rounds\": 0}}",
		     "config.json: strategy.rounds: must be an integer from 1 to 64");
	expect_error("{" BASE ", \"strategy\": {\"rounds\": 2.5}}",
		     "strategy.rounds: must be an integer from 1 to 64");
	expect_error("{" BASE ", \"strategy\": {\"rounds\": \"8\"}}",
		     "strategy.rounds: must be an integer");
	expect_error("{" BASE ", \"strategy\": {\"edit\": {\"schedule\": \"step\"}}}",
		     "strategy.edit.schedule: must be one of constant, linear, cosine");
	expect_error("{" BASE ", \"strategy\": {\"k_min\": 5, \"k_max\": 3}}",
		     "strategy.k_max: must not be less than strategy.k_min");
	expect_error("{" BASE ", \"colour\": 1}", "config.json: colour: unknown key");
	expect_error("{" BASE ", \"split\": {\"tset\": 0.2}}", "split.tset: unknown key");
	expect_error("{" BASE ", \"split\": {\"test\": 1.5}}", "split.test: must be a number from 0 to 0.9");
	expect_error("{" BASE ", \"cache\": \"yes\"}", "cache: must be true or false");
	expect_error("{" BASE ", \"seed\": -3}", "seed: must be an integer");
	expect_error("{" BASE ", \"grader\": {\"kind\": \"fuzzy\"}}",
		     "grader.kind: must be one of exact, regex, number, choice, json, command, judge");
	expect_error("{" BASE ", \"grader\": {\"normalize\": [\"trim\", \"accents\"]}}",
		     "grader.normalize: must be one of trim");
	expect_error("{" BASE ", \"grader\": {\"kind\": \"regex\"}}",
		     "grader.pattern: is required by the regex grader");
	expect_error("{" BASE ", \"grader\": {\"kind\": \"regex\", \"pattern\": \"(a\"}}",
		     "grader.pattern: invalid regular expression");
	expect_error("{" BASE ", \"grader\": {\"kind\": \"regex\", \"pattern\": \"a\", \"group\": 1}}",
		     "grader.group: the pattern has only 0 capture groups");
	expect_error("{" BASE ", \"grader\": {\"kind\": \"command\", \"command\": []}}",
		     "grader.command: must be a non-empty array of strings");
	expect_error("{" BASE_NA ", \"agent\": {\"model\": \"m\", \"harness\": \"tools\"}}",
		     "agent.tools.env: is required by the tools harness");
	expect_error("{" BASE_NA ", \"agent\": {\"model\": \"m\", \"system_prompt\": \"no slot\"}}",
		     "agent.system_prompt: must contain the {{skill}} slot");
	expect_error("{" BASE_NA ", \"agent\": {\"model\": \"m\", \"tools\": {\"max_step\": 3}}}",
		     "agent.tools.max_step: unknown key (did you mean 'max_steps'?)");
	expect_error("{" BASE ", \"colour\": 1}", "colour: unknown key");
	expect_error("{" BASE_NA ", \"agent\": {\"model\": \"m\", \"temperature\": 3}}",
		     "agent.temperature: must be a number from 0 to 2");
	expect_error("{" BASE ", \"approval\": {\"policy\": \"always\"}}",
		     "approval.policy: must be one of none, edits, candidates");
	expect_error("{" BASE ", \"budget\": {\"max_cost\": -1}}", "budget.max_cost: must be a number");
	expect_error("{" BASE ", \"embeddings\": {\"dim\": 3}}", "embeddings.dim: must be an integer from 8 to 8192");
	expect_error("{" BASE ", \"name\": \"a b\"}", "name: must be 1-64 letters");
	expect_error("{" BASE ", \"seed\": 1, \"seed\": 2}", "config.json: seed: duplicate key");
}

static void config__provider_errors(void **state)
{
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}}",
		     "config.json: providers: at least one provider is required");
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\", \"provider\": \"x\"}, "
		     "\"providers\": {\"sim\": {}}}",
		     "agent.provider: no provider named 'x' in providers");
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, "
		     "\"providers\": {\"a\": {}, \"b\": {}}}",
		     "agent.provider: is required when more than one provider is defined");
	expect_error("{" BASE ", \"optimizer\": {\"provider\": \"gone\"}}",
		     "optimizer.provider: no provider named 'gone'");
	expect_error("{" BASE ", \"embeddings\": {\"kind\": \"api\", \"provider\": \"gone\"}}",
		     "embeddings.provider: no provider named 'gone'");
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, "
		     "\"providers\": {\"sim\": {\"api_key_env\": \"sk-abc123\"}}}",
		     "providers.sim.api_key_env: must name an environment variable");
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, "
		     "\"providers\": {\"sim\": {\"base_url\": \"ftp://x\"}}}",
		     "providers.sim.base_url: must start with http:// or https://");
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, "
		     "\"providers\": {\"sim\": {\"concurrency\": 0}}}",
		     "providers.sim.concurrency: must be an integer from 1 to 1024");
	expect_error("{\"tasks\": \"t\", \"agent\": {\"model\": \"m\"}, "
		     "\"providers\": {\"sim\": {\"prices\": {\"m\": {\"input\": 1}}}}}",
		     "providers.sim.prices.m.input: unknown key");
	expect_error("{\"agent\": {\"model\": \"m\"}, \"providers\": {\"sim\": {}}}",
		     "config.json: tasks: is required");
	/* embeddings local needs no provider */
	struct config c;
	assert_int_equal(config_parse(&c, "{" BASE ", \"embeddings\": {\"kind\": \"local\", "
				      "\"provider\": \"gone\"}}", "c.json"), 0);
	config_release(&c);
}

static void config__invalid_json_gives_line_and_column(void **state)
{
	expect_error("{\n  \"tasks\": \"t\",\n  \"seed\": 1\n  \"cache\": true\n}",
		     "config.json:4:3: invalid JSON");
	expect_error("{\"tasks\": ", "invalid JSON: unexpected end of file");
	expect_error("{\"tasks\": ", "config.json:1:");
	expect_error("[1, 2]", "config.json: must hold a JSON object");
	expect_error("{" BASE "} {}", "invalid JSON: text after the object");
}

static void config__load_reports_the_path(void **state)
{
	char *path = fixture("config-rounds.json");
	struct config c;
	assert_int_equal(config_load(&c, path), SS_EINPUT);
	char *want = xasprintf("%s: strategy.rounds: must be an integer from 1 to 64", path);
	assert_string_equal(ss_err_last(), want);
	free(want);
	free(path);
	assert_int_equal(config_load(&c, "/nonexistent/config.json"), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "/nonexistent/config.json"));
}

static void config__grader_override_and_copy(void **state)
{
	struct grader_config base, g;
	grader_config_init(&base);
	base.kind = GRADER_NUMBER;
	base.tolerance = 0.5;
	grader_config_copy(&g, &base);
	cJSON *o = cJSON_Parse("{\"rel_tolerance\": 0.01, \"command\": [\"./check.sh\", \"-q\"]}");
	assert_int_equal(grader_config_parse(&g, o, "t.jsonl:3", "grader", "/suite"), 0);
	assert_int_equal(g.kind, GRADER_NUMBER);
	assert_true(g.tolerance == 0.5);
	assert_true(g.rel_tolerance == 0.01);
	assert_string_equal(g.argv[0], "/suite/./check.sh");
	assert_string_equal(g.argv[1], "-q");
	assert_null(g.argv[2]);
	cJSON_Delete(o);
	o = cJSON_Parse("{\"threshold\": 2}");
	assert_int_equal(grader_config_parse(&g, o, "t.jsonl:3", "grader", "/suite"), SS_EINPUT);
	assert_string_equal(ss_err_last(), "t.jsonl:3: grader.threshold: must be a number from 0 to 1");
	cJSON_Delete(o);
	grader_config_release(&g);
	grader_config_release(&base);
}

/* `word` appears in `text` as a whole key path (not inside a longer one). */
static int mentions(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		char before = p > text ? p[-1] : ' ', after = p[n];
		if (!strchr(".-_", before) && !isalnum((unsigned char)before) &&
		    !strchr(".-_", after) && !isalnum((unsigned char)after))
			return 1;
	}
	return 0;
}

/* Every key of the snapshot is documented in the manual, with its path. */
static void check_keys(const cJSON *o, const char *prefix, const char *man, int in_provider)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, o) {
		char path[256];
		if (in_provider)
			snprintf(path, sizeof(path), "%s", it->string);
		else if (*prefix)
			snprintf(path, sizeof(path), "%s.%s", prefix, it->string);
		else
			snprintf(path, sizeof(path), "%s", it->string);
		if (!strcmp(prefix, "providers")) {
			check_keys(it, "", man, 1); /* a provider's own keys */
			continue;
		}
		if (in_provider && !strcmp(it->string, "prices")) {
			if (!strstr(man, ".B prices\n"))
				fail_msg("the manual lacks 'prices'");
			continue;
		}
		if (cJSON_IsObject(it) && strcmp(it->string, "headers")) {
			check_keys(it, path, man, in_provider);
			continue;
		}
		if (!mentions(man, path))
			fail_msg("the manual does not document '%s'", path);
	}
}

static void config__every_key_is_in_the_manual(void **state)
{
	const char *top = getenv("SKILLSMITH_TOP");
	char *mp = xasprintf("%s/man/skillsmith.1", top ? top : ".");
	char *man = ss_read_file(mp, NULL);
	assert_non_null(man);
	char *path = fixture("config-full.json");
	struct config c;
	assert_int_equal(config_load(&c, path), 0);
	char *js = config_to_json(&c);
	cJSON *o = cJSON_Parse(js);
	check_keys(o, "", man, 0);
	cJSON_Delete(o);
	free(js);
	config_release(&c);
	free(path);
	free(man);
	free(mp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config__defaults_of_a_minimal_file),
		cmocka_unit_test(config__full_file_sets_every_section),
		cmocka_unit_test(config__snapshot_has_every_key_and_no_secret),
		cmocka_unit_test(config__expands_environment_in_base_url),
		cmocka_unit_test(config__errors_name_the_key),
		cmocka_unit_test(config__provider_errors),
		cmocka_unit_test(config__invalid_json_gives_line_and_column),
		cmocka_unit_test(config__load_reports_the_path),
		cmocka_unit_test(config__grader_override_and_copy),
		cmocka_unit_test(config__every_key_is_in_the_manual),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
