/*
 * The LLM client against a canned-reply loopback server: the exact request
 * sent (body and headers), replies plain and streamed, every fault kind and
 * its retry, the cache, accounting, budget caps and secret handling.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"
#include "skillsmith/store.h"
#include "canned.h"

#define KEY "sk-test-7f3a9c1e55d04b2a"

struct fixture {
	struct canned *srv;
	struct config cfg;
	struct provider_config pc;
	struct price price;
	struct store *st;
	char *db;
	struct llm *L;
};

struct result {
	int n;
	int status;
	char *text, *error, *finish, *tool_calls, *json;
	int prompt, completion, cached, cache_write, attempts, cached_flag, http;
	double cost;
	int64_t call_id;
};

static void on_done(const struct llm_response *r, void *payload)
{
	struct result *x = payload;
	x->n++;
	x->status = r->status;
	x->text = xstrdup(r->text ? r->text : "");
	x->error = r->error ? xstrdup(r->error) : NULL;
	x->finish = r->finish_reason ? xstrdup(r->finish_reason) : NULL;
	x->tool_calls = r->tool_calls ? cJSON_PrintUnformatted(r->tool_calls) : NULL;
	x->json = r->json ? cJSON_PrintUnformatted(r->json) : NULL;
	x->prompt = r->prompt_tokens;
	x->completion = r->completion_tokens;
	x->cached = r->cached_tokens;
	x->cache_write = r->cache_write_tokens;
	x->attempts = r->attempts;
	x->cached_flag = r->cached;
	x->http = r->http_status;
	x->cost = r->cost;
	x->call_id = r->call_id;
}

static void result_release(struct result *x)
{
	free(x->text);
	free(x->error);
	free(x->finish);
	free(x->tool_calls);
	free(x->json);
	memset(x, 0, sizeof(*x));
}

static struct fixture *fx_new(enum provider_kind kind, int with_store)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->srv = canned_start();
	assert_non_null(f->srv);
	f->pc.name = (char *)"p";
	f->pc.kind = kind;
	f->pc.base_url = f->srv->base_url;
	f->pc.api_key_env = (char *)"SS_TEST_KEY";
	f->pc.concurrency = 4;
	f->pc.connect_timeout_s = 5;
	f->pc.timeout_s = 10;
	f->pc.idle_timeout_s = 10;
	f->pc.max_retries = 3;
	f->pc.backoff_base_ms = 5;
	f->pc.backoff_max_ms = 50;
	f->pc.anthropic_version = (char *)"2023-06-01";
	f->price.model = (char *)"m";
	f->price.prompt = 1.0;
	f->price.completion = 2.0;
	f->price.cached = 0.5;
	f->pc.prices = &f->price;
	f->pc.nr_prices = 1;
	f->cfg.providers = &f->pc;
	f->cfg.nr_providers = 1;
	f->cfg.cache = 1;
	f->cfg.embed_batch = 2;
	if (with_store) {
		const char *dir = getenv("TMPDIR");
		static int seq;
		f->db = xasprintf("%s/llm-%d-%d.db", dir ? dir : "/tmp", (int)getpid(), ++seq);
		unlink(f->db);
		assert_int_equal(store_open(&f->st, f->db, 0), 0);
	}
	return f;
}

static void fx_client(struct fixture *f)
{
	if (f->L)
		llm_free(f->L);
	assert_int_equal(llm_new(&f->L, &f->cfg, f->st, "run-1", NULL), 0);
}

static void fx_free(struct fixture *f)
{
	llm_free(f->L);
	canned_stop(f->srv);
	if (f->st)
		store_close(f->st);
	if (f->db) {
		char *wal = xasprintf("%s-wal", f->db), *shm = xasprintf("%s-shm", f->db);
		unlink(f->db);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
		free(f->db);
	}
	free(f);
}

static cJSON *user_messages(const char *text)
{
	cJSON *m = cJSON_CreateArray();
	cJSON *u = cJSON_CreateObject();
	cJSON_AddStringToObject(u, "role", "user");
	cJSON_AddStringToObject(u, "content", text);
	cJSON_AddItemToArray(m, u);
	return m;
}

static void basic_request(struct llm_request *req, const cJSON *msgs)
{
	memset(req, 0, sizeof(*req));
	req->provider = "p";
	req->model = "m";
	req->role = "agent";
	req->stage = "baseline";
	req->system_prefix = "SKILL\n";
	req->system = "Be brief.";
	req->messages = msgs;
	req->temperature = 0;
	req->max_tokens = 64;
	req->seed = 7;
}

/* Submit one request and run the loop until it completes. */
static void run_one(struct fixture *f, const struct llm_request *req, struct result *x)
{
	assert_int_equal(llm_submit(f->L, req, on_done, x), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(x->n, 1);
}

static int64_t count_rows(struct fixture *f, const char *sql)
{
	sqlite3_stmt *s = store_prepare(f->st, sql);
	assert_non_null(s);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	return n;
}

static const char ok_body[] =
	"{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
	"\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}],"
	"\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,"
	"\"prompt_tokens_details\":{\"cached_tokens\":4}}}";

static const struct canned_reply ok_reply = { .body = ok_body };

/* ---- plain calls ---------------------------------------------------------- */

static void llm__plain_call_sends_exact_request(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	fx_client(f);
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	run_one(f, &req, &x);

	assert_int_equal(x.status, 0);
	assert_string_equal(x.text, "Hello there");
	assert_string_equal(x.finish, "stop");
	assert_int_equal(x.prompt, 12);
	assert_int_equal(x.completion, 3);
	assert_int_equal(x.cached, 4);
	assert_int_equal(x.attempts, 1);
	assert_int_equal(x.http, 200);
	/* (12-4) * 1.0 + 4 * 0.5 + 3 * 2.0 per million */
	assert_true(x.cost > 15.99e-6 && x.cost < 16.01e-6);

	assert_int_equal(canned_nr_requests(f->srv), 1);
	struct canned_req *q = &f->srv->reqs[0];
	assert_string_equal(q->method, "POST");
	assert_string_equal(q->url, "/v1/chat/completions");
	assert_string_equal(q->body,
		"{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"SKILL\\nBe brief.\"},"
		"{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"max_tokens\":64,\"seed\":7}");
	char *h = canned_header(f->srv, 0, "Authorization");
	assert_string_equal(h, "Bearer " KEY);
	free(h);
	h = canned_header(f->srv, 0, "Content-Type");
	assert_string_equal(h, "application/json");
	free(h);
	assert_null(canned_header(f->srv, 0, "Expect"));

	/* accounting row */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_calls WHERE status = 'ok' AND"
				    " run_id = 'run-1' AND stage = 'baseline' AND role = 'agent' AND"
				    " provider = 'p' AND http_status = 200 AND attempts = 1 AND"
				    " prompt_tokens = 12 AND completion_tokens = 3 AND cached_tokens = 4"), 1);
	struct llm_usage u;
	llm_usage(f->L, "baseline", &u);
	assert_int_equal(u.calls, 1);
	assert_int_equal(u.prompt_tokens, 12);
	llm_usage(f->L, "verify", &u);
	assert_int_equal(u.calls, 0);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__schema_and_tools_in_request_and_reply(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Sum");
	cJSON *schema = cJSON_Parse("{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}},"
				    "\"required\":[\"summary\"],\"additionalProperties\":false}");
	fx_client(f);
	struct canned_reply r = { .body =
		"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"summary\\\":\\\"dates\\\"}\"},"
		"\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}" };
	canned_push(f->srv, &r);
	basic_request(&req, msgs);
	req.system_prefix = NULL;
	req.system = NULL;
	req.seed = -1;
	req.temperature = 0.5;
	req.schema_name = "task_summary";
	req.schema = schema;
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(x.json, "{\"summary\":\"dates\"}");
	assert_string_equal(f->srv->reqs[0].body,
		"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Sum\"}],"
		"\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"task_summary\","
		"\"schema\":{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}},"
		"\"required\":[\"summary\"],\"additionalProperties\":false},\"strict\":true}},"
		"\"temperature\":0.5,\"max_tokens\":64}");
	result_release(&x);

	/* tools go out verbatim; tool calls come back OpenAI-shaped */
	cJSON *tools = cJSON_Parse("[{\"type\":\"function\",\"function\":{\"name\":\"run\","
				   "\"parameters\":{\"type\":\"object\"}}}]");
	struct canned_reply t = { .body =
		"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
		"[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"run\","
		"\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}" };
	canned_push(f->srv, &t);
	req.schema_name = NULL;
	req.schema = NULL;
	req.tools = tools;
	cJSON *choice = cJSON_CreateString("required");
	req.tool_choice = choice;
	run_one(f, &req, &x);
	cJSON_Delete(choice);
	assert_string_equal(x.text, "");
	assert_string_equal(x.finish, "tool_calls");
	assert_string_equal(x.tool_calls, "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
			    "{\"name\":\"run\",\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}}]");
	assert_non_null(strstr(f->srv->reqs[1].body, "\"tools\":[{\"type\":\"function\",\"function\":"
			       "{\"name\":\"run\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"required\","));
	result_release(&x);
	cJSON_Delete(tools);
	cJSON_Delete(schema);
	cJSON_Delete(msgs);
	fx_free(f);
}

/* ---- streaming ----------------------------------------------------------- */

static const char *const stream_tool_chunks[] = {
	": OPENROUTER PROCESSING\n\n",
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Let me \"}}]}\n\n",
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"check.\",\"tool_calls\":[{\"index\":0,"
	"\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"run\",\"arguments\":\"\"}}]}}]}\n\n",
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	"{\"arguments\":\"{\\\"cm\"}}]}}]}\n",
	"\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\","
	"\"function\":{\"name\":\"cat\",\"arguments\":\"{}\"}}]}}]}\n\n",
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	"{\"arguments\":\"d\\\":\\\"ls\\\"}\"}}]}}]}\n\n",
	": keep-alive\n\n",
	"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,\"cost\":0.0042}}\n\n",
	"data: [DONE]\n\n",
	NULL,
};

static void llm__stream_joins_tool_call_fragments(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Go");
	f->pc.stream = 1;
	fx_client(f);
	struct canned_reply r = { .chunks = stream_tool_chunks, .chunk_delay_ms = 2 };
	canned_push(f->srv, &r);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(x.text, "Let me check.");
	assert_string_equal(x.finish, "tool_calls");
	assert_string_equal(x.tool_calls,
		"[{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"run\",\"arguments\":"
		"\"{\\\"cmd\\\":\\\"ls\\\"}\"}},{\"id\":\"call_b\",\"type\":\"function\",\"function\":"
		"{\"name\":\"cat\",\"arguments\":\"{}\"}}]");
	assert_int_equal(x.prompt, 20);
	assert_int_equal(x.completion, 9);
	assert_true(x.cost > 0.00419 && x.cost < 0.00421);   /* the provider's own cost */
	assert_non_null(strstr(f->srv->reqs[0].body,
			       ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"));
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static const char *const stream_short[] = {
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n",
	NULL,
};
static const char *const stream_ok[] = {
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"whole\"},\"finish_reason\":\"stop\"}]}\n\n",
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n",
	"data: [DONE]\n\n",
	NULL,
};

static void llm__truncated_streams_are_retried(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Go");
	f->pc.stream = 1;
	fx_client(f);
	struct canned_reply early = { .chunks = stream_short };           /* ends without [DONE] */
	struct canned_reply cut = { .chunks = stream_short, .cut = 1 };   /* connection dropped */
	struct canned_reply ok = { .chunks = stream_ok };
	canned_push(f->srv, &early);
	canned_push(f->srv, &cut);
	canned_push(f->srv, &ok);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(x.text, "whole");
	assert_int_equal(x.attempts, 3);
	assert_int_equal(canned_nr_requests(f->srv), 3);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 1 AND"
				    " error LIKE '%stream ended before it was complete%'"), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 2"), 1);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static const char *const stream_stalls[] = {
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"sta\"}}]}\n\n",
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lled\"}}]}\n\n",
	NULL,
};

static void llm__idle_stream_times_out_and_is_retried(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Go");
	f->pc.stream = 1;
	f->pc.idle_timeout_s = 1;
	f->pc.timeout_s = 30;
	fx_client(f);
	struct canned_reply stall = { .chunks = stream_stalls, .chunk_delay_ms = 4000 };
	struct canned_reply ok = { .chunks = stream_ok };
	canned_push(f->srv, &stall);
	canned_push(f->srv, &ok);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(x.text, "whole");
	assert_int_equal(x.attempts, 2);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 1 AND"
				    " error = 'idle stream: no data for 1 s'"), 1);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

/* ---- Anthropic ----------------------------------------------------------- */

static void llm__anthropic_blocks_and_cache_marker(void **state)
{
	struct fixture *f = fx_new(PROVIDER_ANTHROPIC, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = cJSON_Parse(
		"[{\"role\":\"user\",\"content\":\"List files\"},"
		"{\"role\":\"assistant\",\"content\":\"Sure.\",\"tool_calls\":[{\"id\":\"tu_1\",\"type\":\"function\","
		"\"function\":{\"name\":\"run\",\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}}]},"
		"{\"role\":\"tool\",\"tool_call_id\":\"tu_1\",\"content\":\"a.txt\"},"
		"{\"role\":\"user\",\"content\":\"And now?\"}]");
	cJSON *tools = cJSON_Parse("[{\"type\":\"function\",\"function\":{\"name\":\"run\","
				   "\"description\":\"Run a command\",\"parameters\":{\"type\":\"object\"}}}]");
	fx_client(f);
	struct canned_reply r = { .body =
		"{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["
		"{\"type\":\"text\",\"text\":\"Running.\"},"
		"{\"type\":\"tool_use\",\"id\":\"tu_2\",\"name\":\"run\",\"input\":{\"cmd\":\"cat a.txt\"}}],"
		"\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":100,"
		"\"cache_read_input_tokens\":0,\"output_tokens\":7}}" };
	canned_push(f->srv, &r);
	cJSON *choice = cJSON_Parse("{\"type\":\"function\",\"function\":{\"name\":\"run\"}}");
	basic_request(&req, msgs);
	req.tools = tools;
	req.tool_choice = choice;
	req.seed = 7;   /* Anthropic has no seed: not sent */
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(x.text, "Running.");
	assert_string_equal(x.finish, "tool_calls");
	assert_string_equal(x.tool_calls, "[{\"id\":\"tu_2\",\"type\":\"function\",\"function\":"
			    "{\"name\":\"run\",\"arguments\":\"{\\\"cmd\\\":\\\"cat a.txt\\\"}\"}}]");
	assert_int_equal(x.prompt, 110);
	assert_int_equal(x.cache_write, 100);
	assert_int_equal(x.cached, 0);
	assert_int_equal(x.completion, 7);
	/* 10 plain + 100 written at 1.25x, 7 out at 2.0 */
	assert_true(fabs(x.cost - (10 + 125 + 14) / 1e6) < 1e-12);

	struct canned_req *q = &f->srv->reqs[0];
	assert_string_equal(q->url, "/v1/messages");
	assert_string_equal(q->body,
		"{\"model\":\"m\",\"max_tokens\":64,\"system\":["
		"{\"type\":\"text\",\"text\":\"SKILL\\n\",\"cache_control\":{\"type\":\"ephemeral\"}},"
		"{\"type\":\"text\",\"text\":\"Be brief.\"}],\"messages\":["
		"{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"List files\"}]},"
		"{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Sure.\"},"
		"{\"type\":\"tool_use\",\"id\":\"tu_1\",\"name\":\"run\",\"input\":{\"cmd\":\"ls\"}}]},"
		"{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"tu_1\",\"content\":\"a.txt\"},"
		"{\"type\":\"text\",\"text\":\"And now?\"}]}],"
		"\"tools\":[{\"name\":\"run\",\"description\":\"Run a command\",\"input_schema\":{\"type\":\"object\"}}],"
		"\"tool_choice\":{\"type\":\"tool\",\"name\":\"run\"},\"temperature\":0}");
	cJSON_Delete(choice);
	char *h = canned_header(f->srv, 0, "x-api-key");
	assert_string_equal(h, KEY);
	free(h);
	h = canned_header(f->srv, 0, "anthropic-version");
	assert_string_equal(h, "2023-06-01");
	free(h);
	assert_null(canned_header(f->srv, 0, "Authorization"));
	result_release(&x);
	cJSON_Delete(tools);
	cJSON_Delete(msgs);
	fx_free(f);
}

static const char *const anthropic_stream[] = {
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"usage\":"
	"{\"input_tokens\":5,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":200,\"output_tokens\":1}}}\n\n",
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
	"{\"type\":\"tool_use\",\"id\":\"tu_9\",\"name\":\"task_summary\",\"input\":{}}}\n\n",
	"event: ping\ndata: {\"type\":\"ping\"}\n\n",
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"summ\"}}\n\n",
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"ary\\\": \\\"leap years\\\"}\"}}\n\n",
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
	"\"usage\":{\"output_tokens\":12}}\n\n",
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
	NULL,
};

static const char *const anthropic_overloaded_stream[] = {
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5}}}\n\n",
	"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
	NULL,
};

static void llm__anthropic_stream_structured_output(void **state)
{
	struct fixture *f = fx_new(PROVIDER_ANTHROPIC, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Summarise");
	cJSON *schema = cJSON_Parse("{\"type\":\"object\"}");
	f->pc.stream = 1;
	fx_client(f);
	struct canned_reply over = { .chunks = anthropic_overloaded_stream };
	struct canned_reply ok = { .chunks = anthropic_stream, .chunk_delay_ms = 1 };
	canned_push(f->srv, &over);
	canned_push(f->srv, &ok);
	basic_request(&req, msgs);
	req.system_prefix = NULL;
	req.schema_name = "task_summary";
	req.schema = schema;
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_int_equal(x.attempts, 2);      /* the overloaded_error event was retried */
	assert_string_equal(x.text, "{\"summary\": \"leap years\"}");
	assert_string_equal(x.json, "{\"summary\":\"leap years\"}");
	assert_null(x.tool_calls);
	assert_int_equal(x.prompt, 205);
	assert_int_equal(x.cached, 200);
	assert_int_equal(x.completion, 12);
	assert_string_equal(f->srv->reqs[0].body,
		"{\"model\":\"m\",\"max_tokens\":64,\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\"}],"
		"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Summarise\"}]}],"
		"\"tools\":[{\"name\":\"task_summary\",\"description\":\"Give the answer as this tool's input.\","
		"\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"task_summary\"},"
		"\"temperature\":0,\"stream\":true}");
	result_release(&x);
	cJSON_Delete(schema);
	cJSON_Delete(msgs);
	fx_free(f);
}

/* ---- faults and retries -------------------------------------------------- */

static void llm__retry_after_is_respected(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	fx_client(f);
	struct canned_reply limited = { .status = 429, .headers = "Retry-After: 1\n",
		.body = "{\"error\":{\"message\":\"Rate limit reached for m\",\"type\":\"requests\"}}" };
	canned_push(f->srv, &limited);
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_int_equal(x.attempts, 2);
	assert_int_equal(canned_nr_requests(f->srv), 2);
	/* measured at the server: the retry came at least Retry-After later */
	assert_true(f->srv->reqs[1].at_ms - f->srv->reqs[0].at_ms >= 1000);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 1 AND"
				    " http_status = 429 AND wait_ms = 1000 AND"
				    " error = 'HTTP 429: Rate limit reached for m'"), 1);
	assert_int_equal(count_rows(f, "SELECT attempts FROM llm_calls"), 2);
	result_release(&x);

	/* retry-after-ms wins over retry-after */
	struct canned_reply ms = { .status = 503, .headers = "retry-after-ms: 300\nRetry-After: 30\n",
		.body = "busy" };
	canned_push(f->srv, &ms);
	canned_push(f->srv, &ok_reply);
	req.seed = 8;
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_true(f->srv->reqs[3].at_ms - f->srv->reqs[2].at_ms >= 300);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE wait_ms = 300"), 1);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__gives_up_with_status_and_provider_message(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	f->pc.max_retries = 2;
	fx_client(f);
	struct canned_reply e500 = { .status = 500,
		.body = "{\"error\":{\"message\":\"The server had an error\"}}" };
	struct canned_reply e429 = { .status = 429,
		.body = "{\"error\":{\"message\":\"Rate limit reached for requests\"}}" };
	canned_push(f->srv, &e500);
	canned_push(f->srv, &e500);
	canned_push(f->srv, &e429);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, SS_EPROVIDER);
	assert_string_equal(x.error, "HTTP 429: Rate limit reached for requests");
	assert_int_equal(x.http, 429);
	assert_int_equal(x.attempts, 3);
	assert_int_equal(canned_nr_requests(f->srv), 3);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_calls WHERE status = 'error' AND"
				    " attempts = 3 AND http_status = 429 AND"
				    " error = 'HTTP 429: Rate limit reached for requests'"), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts"), 3);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 3 AND"
				    " wait_ms IS NULL"), 1);
	struct llm_usage u;
	llm_usage(f->L, NULL, &u);
	assert_int_equal(u.errors, 1);
	result_release(&x);

	/* a 400 is not retried */
	struct canned_reply bad = { .status = 400,
		.body = "{\"error\":{\"message\":\"Invalid schema for response_format\"}}" };
	canned_push(f->srv, &bad);
	req.seed = 9;
	run_one(f, &req, &x);
	assert_int_equal(x.attempts, 1);
	assert_string_equal(x.error, "HTTP 400: Invalid schema for response_format");
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__anthropic_overloaded_529(void **state)
{
	struct fixture *f = fx_new(PROVIDER_ANTHROPIC, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	f->pc.max_retries = 1;
	fx_client(f);
	struct canned_reply over = { .status = 529,
		.body = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}" };
	canned_push(f->srv, &over);
	canned_push(f->srv, &over);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, SS_EPROVIDER);
	assert_int_equal(x.attempts, 2);
	assert_string_equal(x.error, "HTTP 529: Overloaded");
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__timeout_and_malformed_json_are_retried(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	f->pc.timeout_s = 1;
	fx_client(f);
	struct canned_reply slow = { .delay_ms = 2500, .body = ok_body };
	struct canned_reply junk = { .body = "{\"choices\": [ {\"mess" };
	canned_push(f->srv, &slow);
	canned_push(f->srv, &junk);
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(x.text, "Hello there");
	assert_int_equal(x.attempts, 3);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 1 AND"
				    " error LIKE 'Timeout was reached%'"), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 2 AND"
				    " http_status = 200 AND error = 'HTTP 200: malformed JSON in response'"), 1);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__x_should_retry_overrides_status(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	fx_client(f);
	struct canned_reply force = { .status = 400, .headers = "x-should-retry: true\n",
		.body = "{\"error\":{\"message\":\"try again\"}}" };
	struct canned_reply forbid = { .status = 503, .headers = "x-should-retry: false\n",
		.body = "{\"error\":{\"message\":\"do not retry\"}}" };
	canned_push(f->srv, &force);
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_int_equal(x.attempts, 2);
	result_release(&x);
	canned_push(f->srv, &forbid);
	req.seed = 1;
	run_one(f, &req, &x);
	assert_int_equal(x.status, SS_EPROVIDER);
	assert_int_equal(x.attempts, 1);
	assert_string_equal(x.error, "HTTP 503: do not retry");
	assert_int_equal(canned_nr_requests(f->srv), 3);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__connection_refused_is_retried_then_reported(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	f->pc.max_retries = 2;
	/* a port nobody listens on: the canned server's, once stopped */
	char *url = xstrdup(f->srv->base_url);
	canned_stop(f->srv);
	f->srv = canned_start();
	f->pc.base_url = url;
	int dead_port = 0;
	sscanf(url, "http://127.0.0.1:%d", &dead_port);
	if (dead_port == f->srv->port) {
		/* the new server took the old port: skip rather than flake */
		free(url);
		cJSON_Delete(msgs);
		f->pc.base_url = f->srv->base_url;
		fx_free(f);
		skip();
	}
	fx_client(f);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, SS_EPROVIDER);
	assert_int_equal(x.attempts, 3);
	assert_int_equal(x.http, 0);
	assert_non_null(strstr(x.error, "connect"));
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
	free(url);
}

/* ---- cache, budget, limits ----------------------------------------------- */

static void llm__cache_replays_identical_call(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 }, y = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	fx_client(f);
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.cached_flag, 0);
	run_one(f, &req, &y);
	assert_int_equal(canned_nr_requests(f->srv), 1);   /* no HTTP the second time */
	assert_int_equal(y.status, 0);
	assert_int_equal(y.cached_flag, 1);
	assert_string_equal(y.text, x.text);
	assert_int_equal(y.prompt, 12);
	assert_true(y.cost == 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_calls WHERE status = 'cached'"), 1);
	assert_int_equal(count_rows(f, "SELECT count(DISTINCT request_hash) FROM llm_calls"), 1);
	struct llm_usage u;
	llm_usage(f->L, NULL, &u);
	assert_int_equal(u.calls, 2);
	assert_int_equal(u.cached_calls, 1);
	assert_int_equal(u.prompt_tokens, 12);   /* billed once */
	result_release(&x);
	result_release(&y);

	/* a new client on the same store replays too (a resumed run) */
	fx_client(f);
	run_one(f, &req, &x);
	assert_int_equal(x.cached_flag, 1);
	assert_int_equal(canned_nr_requests(f->srv), 1);
	result_release(&x);

	/* a different request is not a hit; no_cache and cache=false bypass */
	canned_set_fallback(f->srv, &ok_reply);
	req.temperature = 0.25;
	run_one(f, &req, &x);
	assert_int_equal(x.cached_flag, 0);
	result_release(&x);
	req.no_cache = 1;
	run_one(f, &req, &x);
	assert_int_equal(x.cached_flag, 0);
	result_release(&x);
	assert_int_equal(canned_nr_requests(f->srv), 3);
	req.no_cache = 0;
	f->cfg.cache = 0;
	fx_client(f);
	run_one(f, &req, &x);
	assert_int_equal(x.cached_flag, 0);
	assert_int_equal(canned_nr_requests(f->srv), 4);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__budget_cap_stops_cleanly_and_resumes(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x[4];
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	memset(x, 0, sizeof(x));
	f->pc.concurrency = 1;
	f->cfg.budget_tokens = 20;
	fx_client(f);
	canned_set_fallback(f->srv, &ok_reply);   /* 15 tokens a call */
	basic_request(&req, msgs);
	for (int i = 0; i < 3; i++) {
		req.seed = i;
		assert_int_equal(llm_submit(f->L, &req, on_done, &x[i]), 0);
	}
	assert_int_equal(llm_wait(f->L), 0);
	/* 15 + 15 tokens reach the cap of 20; the third never goes out */
	assert_int_equal(x[0].status, 0);
	assert_int_equal(x[1].status, 0);
	assert_int_equal(x[2].n, 1);
	assert_int_equal(x[2].status, SS_EBUDGET);
	assert_int_equal(canned_nr_requests(f->srv), 2);
	assert_true(llm_over_budget(f->L));
	/* the call ids handed to the callbacks are the rows written */
	char *q = xasprintf("SELECT count(*) FROM llm_calls WHERE status = 'ok' AND id IN (%lld, %lld)",
			    (long long)x[0].call_id, (long long)x[1].call_id);
	assert_int_equal(count_rows(f, q), 2);
	free(q);
	assert_true(x[0].call_id != x[1].call_id);
	req.seed = 99;
	assert_int_equal(llm_submit(f->L, &req, on_done, &x[3]), SS_EBUDGET);
	assert_int_equal(x[3].n, 0);

	/* resuming the run with the same cap: still over (spend is the run's) */
	fx_client(f);
	assert_true(llm_over_budget(f->L));
	/* with a higher cap: goes on, and finished calls replay from the cache */
	f->cfg.budget_tokens = 1000;
	fx_client(f);
	assert_false(llm_over_budget(f->L));
	for (int i = 0; i < 4; i++)
		result_release(&x[i]);
	for (int i = 0; i < 3; i++) {
		req.seed = i;
		assert_int_equal(llm_submit(f->L, &req, on_done, &x[i]), 0);
	}
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(x[0].cached_flag, 1);
	assert_int_equal(x[1].cached_flag, 1);
	assert_int_equal(x[2].status, 0);
	assert_int_equal(x[2].cached_flag, 0);
	assert_int_equal(canned_nr_requests(f->srv), 3);
	for (int i = 0; i < 4; i++)
		result_release(&x[i]);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__concurrency_limit_and_connection_reuse(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x[6];
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	memset(x, 0, sizeof(x));
	f->pc.concurrency = 2;
	fx_client(f);
	struct canned_reply slow = { .delay_ms = 100, .body = ok_body };
	canned_set_fallback(f->srv, &slow);
	basic_request(&req, msgs);
	for (int i = 0; i < 6; i++) {
		req.seed = i;
		assert_int_equal(llm_submit(f->L, &req, on_done, &x[i]), 0);
	}
	assert_int_equal(llm_pending(f->L), 6);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(llm_pending(f->L), 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(x[i].status, 0);
		result_release(&x[i]);
	}
	assert_int_equal(canned_nr_requests(f->srv), 6);
	assert_int_equal(f->srv->max_active, 2);
	/* six requests over the two connections the limit allows */
	assert_int_equal(f->srv->connections, 2);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__requests_per_minute_are_spread(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x[8];
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	memset(x, 0, sizeof(x));
	f->pc.rpm = 240;   /* 4 a second, bursts of 4 */
	f->pc.concurrency = 8;
	fx_client(f);
	canned_set_fallback(f->srv, &ok_reply);
	basic_request(&req, msgs);
	for (int i = 0; i < 8; i++) {
		req.seed = i;
		assert_int_equal(llm_submit(f->L, &req, on_done, &x[i]), 0);
	}
	assert_int_equal(llm_wait(f->L), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(x[i].status, 0);
		result_release(&x[i]);
	}
	assert_int_equal(canned_nr_requests(f->srv), 8);
	/* four at once, then one every 250 ms: the eighth at least 1 s after the first */
	assert_true(f->srv->reqs[7].at_ms - f->srv->reqs[0].at_ms >= 950);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__host_specific_fields(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	/* *.localhost is loopback to curl; the host name picks the dialect */
	char *openai = xasprintf("http://api.openai.com.localhost:%d/v1/", f->srv->port);
	char *openrouter = xasprintf("http://openrouter.ai.localhost:%d/api/v1", f->srv->port);
	char *hdrs[] = { (char *)"X-Title: my agent", NULL };
	f->pc.base_url = openai;
	fx_client(f);
	canned_set_fallback(f->srv, &ok_reply);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(f->srv->reqs[0].url, "/v1/chat/completions");
	assert_non_null(strstr(f->srv->reqs[0].body, ",\"max_completion_tokens\":64,"));
	assert_null(canned_header(f->srv, 0, "X-Title"));
	result_release(&x);

	f->pc.base_url = openrouter;
	f->pc.headers = hdrs;
	fx_client(f);
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	assert_string_equal(f->srv->reqs[1].url, "/api/v1/chat/completions");
	assert_non_null(strstr(f->srv->reqs[1].body, ",\"max_tokens\":64,\"seed\":7,\"usage\":{\"include\":true}}"));
	char *h = canned_header(f->srv, 1, "HTTP-Referer");
	assert_non_null(h);
	free(h);
	h = canned_header(f->srv, 1, "X-Title");
	assert_string_equal(h, "my agent");   /* the config's header, not ours */
	free(h);
	result_release(&x);
	free(openai);
	free(openrouter);
	cJSON_Delete(msgs);
	fx_free(f);
}

struct embed_result {
	int n, status, count, dim;
	float first[3][2];
	char *error;
};

static void on_embed(int status, const char *error, float *const *vecs, int n, int dim, void *payload)
{
	struct embed_result *e = payload;
	e->n++;
	e->status = status;
	e->count = n;
	e->dim = dim;
	e->error = error ? xstrdup(error) : NULL;
	for (int i = 0; i < n && i < 3; i++)
		for (int k = 0; k < dim && k < 2; k++)
			e->first[i][k] = vecs[i][k];
}

static void llm__embeddings_are_batched(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct embed_result e = { 0 };
	fx_client(f);
	/* batch of 2, 2, 1; the first reply lists its data out of order */
	struct canned_reply b1 = { .body = "{\"data\":[{\"index\":1,\"embedding\":[0.5,0.25]},"
		"{\"index\":0,\"embedding\":[1,2]}],\"usage\":{\"prompt_tokens\":4}}" };
	struct canned_reply b2 = { .body = "{\"data\":[{\"index\":0,\"embedding\":[3,4]},"
		"{\"index\":1,\"embedding\":[5,6]}],\"usage\":{\"prompt_tokens\":4}}" };
	struct canned_reply b3 = { .body = "{\"data\":[{\"index\":0,\"embedding\":[7,8]}]}" };
	canned_push(f->srv, &b1);
	canned_push(f->srv, &b2);
	canned_push(f->srv, &b3);
	f->pc.concurrency = 1;
	fx_client(f);
	const char *texts[] = { "a", "b", "c", "d", "e" };
	assert_int_equal(llm_embed(f->L, "p", "emb", "induce", texts, 5, on_embed, &e), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.status, 0);
	assert_int_equal(e.count, 5);
	assert_int_equal(e.dim, 2);
	assert_true(e.first[0][0] == 1 && e.first[0][1] == 2);
	assert_true(e.first[1][0] == 0.5f && e.first[1][1] == 0.25f);
	assert_true(e.first[2][0] == 3);
	assert_int_equal(canned_nr_requests(f->srv), 3);
	assert_string_equal(f->srv->reqs[0].url, "/v1/embeddings");
	assert_string_equal(f->srv->reqs[0].body,
			    "{\"model\":\"emb\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"float\"}");
	assert_string_equal(f->srv->reqs[2].body,
			    "{\"model\":\"emb\",\"input\":[\"e\"],\"encoding_format\":\"float\"}");
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_calls WHERE role = 'embed' AND"
				    " stage = 'induce' AND status = 'ok'"), 3);
	free(e.error);
	memset(&e, 0, sizeof(e));
	/* the same texts again come from the cache */
	assert_int_equal(llm_embed(f->L, "p", "emb", "induce", texts, 5, on_embed, &e), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(e.status, 0);
	assert_true(e.first[1][0] == 0.5f && e.first[2][1] == 4);
	assert_int_equal(canned_nr_requests(f->srv), 3);
	free(e.error);
	fx_free(f);
}

static void llm__stop_completes_pending_calls(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x[3];
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	memset(x, 0, sizeof(x));
	f->pc.concurrency = 1;
	fx_client(f);
	struct canned_reply slow = { .delay_ms = 5000, .body = ok_body };
	canned_set_fallback(f->srv, &slow);
	basic_request(&req, msgs);
	for (int i = 0; i < 3; i++) {
		req.seed = i;
		assert_int_equal(llm_submit(f->L, &req, on_done, &x[i]), 0);
	}
	loop_run_once(llm_loop(f->L), 50);
	llm_stop(f->L);
	assert_int_equal(llm_wait(f->L), SS_ESTOPPED);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(x[i].n, 1);
		assert_int_equal(x[i].status, SS_ESTOPPED);
		result_release(&x[i]);
	}
	assert_int_equal(llm_submit(f->L, &req, on_done, &x[0]), SS_ESTOPPED);
	cJSON_Delete(msgs);
	fx_free(f);
}

struct held {
	struct fixture *f;
	struct llm_request *req;
	struct result x;
	int steps;
};

/* An "environment step" between two LLM calls: a timer, then a call. */
static void held_step(void *payload)
{
	struct held *h = payload;
	h->steps++;
	assert_int_equal(llm_submit(h->f->L, h->req, on_done, &h->x), 0);
	llm_unhold(h->f->L);
}

static void llm__wait_covers_held_outside_work(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	struct held h = { f, &req, { 0 }, 0 };
	fx_client(f);
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	llm_hold(f->L);
	loop_timer_add(llm_loop(f->L), 30, held_step, &h);
	assert_int_equal(llm_pending(f->L), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(h.steps, 1);
	assert_int_equal(h.x.n, 1);
	assert_int_equal(h.x.status, 0);
	result_release(&h.x);
	cJSON_Delete(msgs);
	fx_free(f);
}

/* ---- secrets ------------------------------------------------------------- */

static void llm__redact_hides_keys_and_auth_headers(void **state)
{
	char *s = llm_redact("POST /v1/chat\nAuthorization: Bearer abc123\r\nx-api-key: zzz\n"
			     "X-Other: keep\nbody mentions abc123 twice: abc123", "abc123");
	assert_string_equal(s, "POST /v1/chat\nAuthorization: Bearer [redacted]\r\nx-api-key: [redacted]\n"
			    "X-Other: keep\nbody mentions [redacted] twice: [redacted]");
	free(s);
	s = llm_redact("api-key: q\nno secret given", NULL);
	assert_string_equal(s, "api-key: [redacted]\nno secret given");
	free(s);
}

static int file_contains(const char *path, const char *needle)
{
	size_t len = 0;
	char *data = ss_read_file(path, &len);
	if (!data)
		return 0;
	int found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

static void llm__key_never_reaches_store_or_errors(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 1);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	fx_client(f);
	/* a provider that echoes the key in its error, as OpenAI's 401 does */
	struct canned_reply denied = { .status = 401,
		.body = "{\"error\":{\"message\":\"Incorrect API key provided: " KEY ".\"}}" };
	canned_push(f->srv, &denied);
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	run_one(f, &req, &x);
	assert_int_equal(x.status, SS_EPROVIDER);
	assert_string_equal(x.error, "HTTP 401: Incorrect API key provided: [redacted].");
	result_release(&x);
	req.seed = 3;
	run_one(f, &req, &x);
	assert_int_equal(x.status, 0);
	result_release(&x);

	char *dump = llm_debug_request(f->L, &req);
	assert_non_null(dump);
	assert_null(strstr(dump, KEY));
	assert_non_null(strstr(dump, "Authorization: Bearer [redacted]\n"));
	assert_non_null(strstr(dump, "\"seed\":3"));
	free(dump);

	/* the key reached the server, and nowhere in the store */
	char *h = canned_header(f->srv, 1, "Authorization");
	assert_string_equal(h, "Bearer " KEY);
	free(h);
	llm_free(f->L);
	f->L = NULL;
	store_close(f->st);
	f->st = NULL;
	char *wal = xasprintf("%s-wal", f->db);
	assert_false(file_contains(f->db, KEY));
	assert_false(file_contains(wal, KEY));
	assert_true(file_contains(f->db, "Incorrect API key provided") ||
		    file_contains(wal, "Incorrect API key provided"));
	free(wal);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__http_trace_is_redacted(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Hi");
	const char *dir = getenv("TMPDIR");
	char *log = xasprintf("%s/trace.%d.log", dir ? dir : "/tmp", (int)getpid());
	setenv("SKILLSMITH_HTTP_TRACE", "1", 1);
	fx_client(f);
	unsetenv("SKILLSMITH_HTTP_TRACE");
	canned_push(f->srv, &ok_reply);
	basic_request(&req, msgs);
	fflush(stderr);
	int saved = dup(2);
	FILE *fp = fopen(log, "w");
	assert_non_null(fp);
	dup2(fileno(fp), 2);
	run_one(f, &req, &x);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(fp);
	assert_int_equal(x.status, 0);
	assert_true(file_contains(log, "> POST /v1/chat/completions"));
	assert_true(file_contains(log, "Authorization: Bearer [redacted]"));
	assert_true(file_contains(log, "\"content\":\"Hi\""));
	assert_false(file_contains(log, KEY));
	unlink(log);
	free(log);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void llm__missing_key_variable_is_an_input_error(void **state)
{
	struct fixture *f = fx_new(PROVIDER_OPENAI, 0);
	struct llm *L = NULL;
	f->pc.api_key_env = (char *)"SS_TEST_KEY_UNSET";
	assert_int_equal(llm_new(&L, &f->cfg, NULL, NULL, NULL), SS_EINPUT);
	assert_null(L);
	assert_non_null(strstr(ss_err_last(), "SS_TEST_KEY_UNSET"));
	fx_free(f);
}

int main(void)
{
	setenv("SS_TEST_KEY", KEY, 1);
	unsetenv("SS_TEST_KEY_UNSET");
	unsetenv("SKILLSMITH_HTTP_TRACE");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(llm__plain_call_sends_exact_request),
		cmocka_unit_test(llm__schema_and_tools_in_request_and_reply),
		cmocka_unit_test(llm__stream_joins_tool_call_fragments),
		cmocka_unit_test(llm__truncated_streams_are_retried),
		cmocka_unit_test(llm__idle_stream_times_out_and_is_retried),
		cmocka_unit_test(llm__anthropic_blocks_and_cache_marker),
		cmocka_unit_test(llm__anthropic_stream_structured_output),
		cmocka_unit_test(llm__retry_after_is_respected),
		cmocka_unit_test(llm__gives_up_with_status_and_provider_message),
		cmocka_unit_test(llm__anthropic_overloaded_529),
		cmocka_unit_test(llm__timeout_and_malformed_json_are_retried),
		cmocka_unit_test(llm__x_should_retry_overrides_status),
		cmocka_unit_test(llm__connection_refused_is_retried_then_reported),
		cmocka_unit_test(llm__cache_replays_identical_call),
		cmocka_unit_test(llm__budget_cap_stops_cleanly_and_resumes),
		cmocka_unit_test(llm__concurrency_limit_and_connection_reuse),
		cmocka_unit_test(llm__requests_per_minute_are_spread),
		cmocka_unit_test(llm__host_specific_fields),
		cmocka_unit_test(llm__embeddings_are_batched),
		cmocka_unit_test(llm__stop_completes_pending_calls),
		cmocka_unit_test(llm__wait_covers_held_outside_work),
		cmocka_unit_test(llm__redact_hides_keys_and_auth_headers),
		cmocka_unit_test(llm__key_never_reaches_store_or_errors),
		cmocka_unit_test(llm__http_trace_is_redacted),
		cmocka_unit_test(llm__missing_key_variable_is_an_input_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
