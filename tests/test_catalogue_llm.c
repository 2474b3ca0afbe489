/*
 * The bad-input catalogue, LLM responses: each malformed reply a provider
 * might send (broken or truncated JSON, empty choices, wrong types, huge
 * outputs, non-UTF-8 text, schema-invalid structured output) ends in a
 * clear error or a checked result, never a crash, and leaves the store
 * consistent (PRAGMA integrity_check) with the failure recorded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canned.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/llm.h"
#include "skillsmith/prompts.h"
#include "skillsmith/store.h"

struct outcome {
	int n, status;
	char *error, *text, *json;
};

static void on_done(const struct llm_response *r, void *payload)
{
	struct outcome *o = payload;
	o->n++;
	o->status = r->status;
	o->error = r->error ? xstrdup(r->error) : NULL;
	o->text = xstrdup(r->text ? r->text : "");
	o->json = r->json ? cJSON_PrintUnformatted(r->json) : NULL;
}

struct bad_reply {
	const char *name;
	const char *body;       /* NULL: built by the case */
	int status;             /* 0: ok expected, else the SS_ code */
	const char *message;    /* substring of the error, or of the text when ok */
};

static const struct bad_reply cases[] = {
	{ "broken JSON", "{\"choices\": [ {\"mess", SS_EPROVIDER, "malformed JSON" },
	{ "HTML instead of JSON", "<html><body>Bad gateway</body></html>", SS_EPROVIDER, "malformed JSON" },
	{ "empty choices", "{\"choices\": []}", SS_EPROVIDER, "choices" },
	{ "no choices at all", "{\"id\": \"x\"}", SS_EPROVIDER, "choices" },
	{ "choices not an array", "{\"choices\": {\"message\": 1}}", SS_EPROVIDER, "choices" },
	{ "content of the wrong type",
	  "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":42},"
	  "\"finish_reason\":\"stop\"}]}", SS_EPROVIDER, "content" },
	{ "tool call arguments of the wrong type",
	  "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
	  "\"tool_calls\":[{\"id\":\"t\",\"type\":\"function\",\"function\":{\"name\":\"f\","
	  "\"arguments\":7}}]},\"finish_reason\":\"tool_calls\"}]}", SS_EPROVIDER, "arguments" },
	{ "non-UTF-8 text",
	  "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"caf\xe9\"},"
	  "\"finish_reason\":\"stop\"}]}", SS_EPROVIDER, "UTF-8" },
	{ "huge output", NULL, SS_EPROVIDER, "larger than 64 MiB" },
};

static char *huge_body(void)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
	for (int i = 0; i < 70 * 1024 * 1024 / 64; i++)
		buf_adds(&b, "0123456789012345678901234567890123456789012345678901234567890123");
	buf_adds(&b, "\"},\"finish_reason\":\"stop\"}]}");
	return buf_detach(&b, NULL);
}

static void run_case(const struct bad_reply *c, const char *schema_name, const cJSON *schema,
		     struct outcome *o, struct store **st_out, char **db_out)
{
	struct canned *srv = canned_start();
	assert_non_null(srv);
	struct provider_config pc;
	struct config cfg;
	memset(&pc, 0, sizeof(pc));
	memset(&cfg, 0, sizeof(cfg));
	pc.name = (char *)"p";
	pc.kind = PROVIDER_OPENAI;
	pc.base_url = srv->base_url;
	pc.concurrency = 2;
	pc.connect_timeout_s = 5;
	pc.timeout_s = 20;
	pc.idle_timeout_s = 20;
	pc.max_retries = 1;
	pc.backoff_base_ms = 1;
	pc.backoff_max_ms = 5;
	cfg.providers = &pc;
	cfg.nr_providers = 1;
	cfg.embed_batch = 8;
	char *big = c->body ? NULL : huge_body();
	struct canned_reply r = { .status = 200, .body = c->body ? c->body : big };
	canned_push(srv, &r);
	canned_push(srv, &r);
	const char *dir = getenv("TMPDIR");
	static int seq;
	char *db = xasprintf("%s/cat-llm-%d-%d.db", dir ? dir : "/tmp", (int)getpid(), ++seq);
	unlink(db);
	struct store *st;
	assert_int_equal(store_open(&st, db, 0), 0);
	struct llm *L;
	assert_int_equal(llm_new(&L, &cfg, st, "run-1", NULL), 0);
	cJSON *msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":\"hi\"}]");
	struct llm_request req;
	memset(&req, 0, sizeof(req));
	req.provider = "p";
	req.model = "m";
	req.role = "optimizer";
	req.stage = "catalogue";
	req.messages = msgs;
	req.max_tokens = 16;
	req.seed = -1;
	req.schema_name = schema_name;
	req.schema = schema;
	memset(o, 0, sizeof(*o));
	assert_int_equal(llm_submit(L, &req, on_done, o), 0);
	assert_int_equal(llm_wait(L), 0);
	assert_int_equal(o->n, 1);
	llm_free(L);
	canned_stop(srv);
	cJSON_Delete(msgs);
	free(big);
	*st_out = st;
	*db_out = db;
}

static void finish(struct store *st, char *db)
{
	sqlite3_stmt *s = store_prepare(st, "PRAGMA integrity_check");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(store_col_text(s, 0), "ok");
	sqlite3_finalize(s);
	store_close(st);
	char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
	unlink(db);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	free(db);
}

static void catalogue__malformed_replies_fail_cleanly(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_reply *c = &cases[i];
		struct outcome o;
		struct store *st;
		char *db;
		run_case(c, NULL, NULL, &o, &st, &db);
		if (getenv("CATALOGUE_PROBE"))
			fprintf(stderr, "probe '%s': status %d error '%s' text '%.40s'\n", c->name, o.status,
				o.error ? o.error : "(none)", o.text);
		else if (o.status != c->status || !o.error || !strstr(o.error, c->message))
			fail_msg("case '%s': status %d, error '%s' (want %d, '%s')", c->name, o.status,
				 o.error ? o.error : "(none)", c->status, c->message);
		/* the failure is a row with its message, and every attempt too */
		sqlite3_stmt *s = store_prepare(st, "SELECT count(*) FROM llm_calls WHERE status = 'error' "
					       "AND error IS NOT NULL");
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		if (sqlite3_column_int(s, 0) != 1 && !getenv("CATALOGUE_PROBE"))
			fail_msg("case '%s': no error row", c->name);
		sqlite3_finalize(s);
		free(o.error);
		free(o.text);
		free(o.json);
		finish(st, db);
	}
}

static void catalogue__schema_invalid_json_is_caught(void **state)
{
	/* valid JSON, but not the feedback schema: the engine's check names
	   the key and the call is retried by the engine, never used as is */
	static const struct bad_reply c = { "schema-invalid JSON",
		"{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
		"\"{\\\"keep\\\": 3, \\\"remove\\\": []}\"},\"finish_reason\":\"stop\"}]}", 0, "" };
	struct outcome o;
	struct store *st;
	char *db;
	run_case(&c, prompt_name(PROMPT_FEEDBACK), prompt_schema(PROMPT_FEEDBACK), &o, &st, &db);
	assert_int_equal(o.status, 0);
	assert_non_null(o.json);
	cJSON *j = cJSON_Parse(o.json);
	assert_int_equal(prompt_check(PROMPT_FEEDBACK, j), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "keep"));
	cJSON_Delete(j);
	/* text that is not JSON at all under a schema */
	assert_int_equal(prompt_check(PROMPT_FEEDBACK, NULL), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "not JSON"));
	free(o.error);
	free(o.text);
	free(o.json);
	finish(st, db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(catalogue__malformed_replies_fail_cleanly),
		cmocka_unit_test(catalogue__schema_invalid_json_is_caught),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
