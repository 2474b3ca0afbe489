/*
 * The LLM client against the simulator (skillsmith-sim) over loopback:
 * plain, streamed and tool calls, Anthropic caching, every fault kind with
 * its retries, the budget cap, cache replay, and the exact request the
 * simulator logged.  Each test starts its own simulator; they are skipped
 * when the simulator binary is not available.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"
#include "skillsmith/store.h"

#define KEY "sk-sim-test-1c9e0d7f26ab"

struct sim {
	pid_t pid;
	FILE *out;
	int port;
	char url[96];
	char *log;
};

/* Start the simulator with extra options (NULL-terminated); skip if absent. */
static struct sim *sim_start(const char *first, ...)
{
	const char *bin = getenv("SKILLSMITH_SIM");
	const char *argv[32];
	int argc = 0, fds[2];
	static int seq;
	struct sim *s = xcalloc(1, sizeof(*s));
	const char *dir = getenv("TMPDIR");
	s->log = xasprintf("%s/sim-requests.%d.%d.jsonl", dir ? dir : "/tmp", (int)getpid(), ++seq);
	unlink(s->log);
	argv[argc++] = "skillsmith-sim";
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--request-log";
	argv[argc++] = s->log;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && argc < 30; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	if (!bin || access(bin, X_OK) || pipe(fds) < 0)
		goto unavailable;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	s->out = fdopen(fds[0], "r");
	char line[256];
	if (s->pid > 0 && s->out && fgets(line, sizeof(line), s->out) &&
	    sscanf(line, "listening on http://127.0.0.1:%d", &s->port) == 1) {
		snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/v1", s->port);
		return s;
	}
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	if (s->out)
		fclose(s->out);
unavailable:
	free(s->log);
	free(s);
	return NULL;
}

static void sim_stop(struct sim *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	fclose(s->out);
	unlink(s->log);
	free(s->log);
	free(s);
}

/* Lines of the request log as parsed JSON objects (caller deletes). */
static cJSON *sim_log(struct sim *s)
{
	cJSON *arr = cJSON_CreateArray();
	char *text = ss_read_file(s->log, NULL);
	for (char *p = text, *eol; p && *p; p = eol + 1) {
		eol = strchr(p, '\n');
		if (!eol)
			break;
		*eol = 0;
		cJSON *o = cJSON_Parse(p);
		if (o)
			cJSON_AddItemToArray(arr, o);
	}
	free(text);
	return arr;
}

struct fixture {
	struct sim *sim;
	struct config cfg;
	struct provider_config pc;
	struct store *st;
	char *db;
	struct llm *L;
};

static struct fixture *fx_new(struct sim *sim, enum provider_kind kind)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	static int seq;
	const char *dir = getenv("TMPDIR");
	f->sim = sim;
	f->pc.name = (char *)"sim";
	f->pc.kind = kind;
	f->pc.base_url = sim->url;
	f->pc.api_key_env = (char *)"SS_SIM_TEST_KEY";
	f->pc.concurrency = 8;
	f->pc.connect_timeout_s = 5;
	f->pc.timeout_s = 20;
	f->pc.idle_timeout_s = 20;
	f->pc.max_retries = 6;
	f->pc.backoff_base_ms = 5;
	f->pc.backoff_max_ms = 40;
	f->pc.anthropic_version = (char *)"2023-06-01";
	f->cfg.providers = &f->pc;
	f->cfg.nr_providers = 1;
	f->cfg.cache = 1;
	f->cfg.embed_batch = 4;
	f->db = xasprintf("%s/llm-sim-%d-%d.db", dir ? dir : "/tmp", (int)getpid(), ++seq);
	unlink(f->db);
	assert_int_equal(store_open(&f->st, f->db, 0), 0);
	return f;
}

static void fx_client(struct fixture *f)
{
	llm_free(f->L);
	f->L = NULL;
	assert_int_equal(llm_new(&f->L, &f->cfg, f->st, "sim-run", NULL), 0);
}

static void fx_free(struct fixture *f)
{
	llm_free(f->L);
	if (f->st)
		store_close(f->st);
	char *wal = xasprintf("%s-wal", f->db), *shm = xasprintf("%s-shm", f->db);
	unlink(f->db);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	free(f->db);
	sim_stop(f->sim);
	free(f);
}

struct result {
	int n, status, attempts, cached_flag, prompt, completion, cached, cache_write;
	int64_t latency;
	char *text, *error, *tool_calls, *json;
};

static void on_done(const struct llm_response *r, void *payload)
{
	struct result *x = payload;
	x->n++;
	x->status = r->status;
	x->attempts = r->attempts;
	x->cached_flag = r->cached;
	x->prompt = r->prompt_tokens;
	x->completion = r->completion_tokens;
	x->cached = r->cached_tokens;
	x->cache_write = r->cache_write_tokens;
	x->latency = r->latency_ms;
	x->text = xstrdup(r->text ? r->text : "");
	x->error = r->error ? xstrdup(r->error) : NULL;
	x->tool_calls = r->tool_calls ? cJSON_PrintUnformatted(r->tool_calls) : NULL;
	x->json = r->json ? cJSON_PrintUnformatted(r->json) : NULL;
}

static void result_release(struct result *x)
{
	free(x->text);
	free(x->error);
	free(x->tool_calls);
	free(x->json);
	memset(x, 0, sizeof(*x));
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

static void agent_request(struct llm_request *req, const cJSON *msgs, int64_t seed)
{
	memset(req, 0, sizeof(*req));
	req->provider = "sim";
	req->model = "sim-agent";
	req->role = "agent";
	req->stage = "baseline";
	req->system_prefix = "You answer calendar questions.\n";
	req->system = "Give the final answer on the last line.";
	req->messages = msgs;
	req->max_tokens = 256;
	req->seed = seed;
}

static int64_t count_rows(struct fixture *f, const char *sql)
{
	sqlite3_stmt *s = store_prepare(f->st, sql);
	assert_non_null(s);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	return n;
}

#define SIM_OR_SKIP(var, ...) \
	struct sim *var = sim_start(__VA_ARGS__); \
	if (!var) \
		skip()

static const char question[] = "How many days are there from 2024-02-27 to 2024-03-02, counting both ends?";

/* ---- plain, streamed, tools ---------------------------------------------- */

static void sim__plain_call_as_logged(void **state)
{
	SIM_OR_SKIP(sim, "--seed", "3", NULL);
	struct fixture *f = fx_new(sim, PROVIDER_OPENAI);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages(question);
	fx_client(f);
	agent_request(&req, msgs, 11);
	assert_int_equal(llm_submit(f->L, &req, on_done, &x), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(x.status, 0);
	assert_true(strlen(x.text) > 0);
	assert_true(x.prompt > 0 && x.completion > 0);

	/* the simulator saw exactly the body we meant to send */
	cJSON *log = sim_log(sim);
	assert_int_equal(cJSON_GetArraySize(log), 1);
	cJSON *e = cJSON_GetArrayItem(log, 0);
	char *sent = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "body"));
	char *dump = llm_debug_request(f->L, &req);
	const char *body = strstr(dump, "\n\n");
	assert_non_null(body);
	body += 2;
	assert_int_equal(strncmp(body, sent, strlen(sent)), 0);
	assert_string_equal(body + strlen(sent), "\n");
	const char *path = cJSON_GetObjectItemCaseSensitive(e, "path")->valuestring;
	assert_true(strlen(path) >= 17);
	assert_string_equal(path + strlen(path) - 17, "/chat/completions");
	free(sent);
	free(dump);
	cJSON_Delete(log);
	result_release(&x);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void sim__stream_tool_call_fragments(void **state)
{
	SIM_OR_SKIP(sim, "--seed", "3", NULL);
	struct fixture *f = fx_new(sim, PROVIDER_OPENAI);
	struct result x = { 0 };
	struct llm_request req;
	cJSON *msgs = user_messages("Summarise the task family: calendar arithmetic questions "
				    "about days between dates, weekdays and month ends.");
	cJSON *tools = cJSON_Parse("[{\"type\":\"function\",\"function\":{\"name\":\"task_summary\","
				   "\"parameters\":{\"type\":\"object\",\"properties\":{\"summary\":"
				   "{\"type\":\"string\"}},\"required\":[\"summary\"]}}}]");
	cJSON *choice = cJSON_Parse("{\"type\":\"function\",\"function\":{\"name\":\"task_summary\"}}");
	f->pc.stream = 1;
	fx_client(f);
	agent_request(&req, msgs, 5);
	req.role = "optimizer";
	req.tools = tools;
	req.tool_choice = choice;
	assert_int_equal(llm_submit(f->L, &req, on_done, &x), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(x.status, 0);
	assert_non_null(x.tool_calls);
	cJSON *tc = cJSON_Parse(x.tool_calls);
	cJSON *fn = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tc, 0), "function");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(fn, "name")->valuestring, "task_summary");
	cJSON *args = cJSON_Parse(cJSON_GetObjectItemCaseSensitive(fn, "arguments")->valuestring);
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(args, "summary")));
	assert_true(x.prompt > 0 && x.completion > 0);   /* the final usage chunk */
	cJSON_Delete(args);
	cJSON_Delete(tc);
	result_release(&x);
	cJSON_Delete(choice);
	cJSON_Delete(tools);
	cJSON_Delete(msgs);
	fx_free(f);
}

static void sim__anthropic_prefix_cache_and_schema(void **state)
{
	SIM_OR_SKIP(sim, "--seed", "3", NULL);
	struct fixture *f = fx_new(sim, PROVIDER_ANTHROPIC);
	struct result x = { 0 }, y = { 0 };
	struct llm_request req;
	cJSON *m1 = user_messages(question);
	cJSON *m2 = user_messages("What weekday was 2023-12-31?");
	fx_client(f);
	agent_request(&req, m1, -1);
	req.system_prefix = "SKILL: count both ends when asked to; 2024 is a leap year.\n"
			    "Check the month lengths before adding days.\n";
	assert_int_equal(llm_submit(f->L, &req, on_done, &x), 0);
	assert_int_equal(llm_wait(f->L), 0);
	req.messages = m2;
	assert_int_equal(llm_submit(f->L, &req, on_done, &y), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(x.status, 0);
	assert_int_equal(y.status, 0);
	/* the skill prefix is written once and read afterwards */
	assert_true(x.cache_write > 0);
	assert_int_equal(y.cache_write, 0);
	assert_true(y.cached > 0);
	result_release(&x);
	result_release(&y);

	/* structured output through the forced tool, streamed */
	cJSON *schema = cJSON_Parse("{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}},"
				    "\"required\":[\"summary\"]}");
	f->pc.stream = 1;
	fx_client(f);
	req.role = "optimizer";
	req.schema_name = "task_summary";
	req.schema = schema;
	assert_int_equal(llm_submit(f->L, &req, on_done, &x), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(x.status, 0);
	assert_non_null(x.json);
	assert_non_null(strstr(x.json, "\"summary\":"));
	assert_null(x.tool_calls);
	result_release(&x);
	cJSON_Delete(schema);
	cJSON_Delete(m1);
	cJSON_Delete(m2);
	fx_free(f);
}

struct embed_result {
	int n, status, count, dim;
};

static void on_embed(int status, const char *error, float *const *vecs, int n, int dim, void *p)
{
	struct embed_result *e = p;
	e->n++;
	e->status = status;
	e->count = n;
	e->dim = dim;
}

static void sim__embeddings(void **state)
{
	SIM_OR_SKIP(sim, "--seed", "3", NULL);
	struct fixture *f = fx_new(sim, PROVIDER_OPENAI);
	fx_client(f);
	const char *texts[] = { "leap year february 29", "leap year feb 29 2024",
				"inclusive counting of days", "month end: april has 30 days",
				"day/month order 03/04", "leap years again" };
	struct embed_result e = { 0 };
	assert_int_equal(llm_embed(f->L, "sim", "sim-embed", "induce", texts, 6, on_embed, &e), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.status, 0);
	assert_int_equal(e.count, 6);
	assert_true(e.dim > 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_calls WHERE role = 'embed'"), 2);
	fx_free(f);
}

/* ---- faults -------------------------------------------------------------- */

/* Run `n` distinct agent calls; returns how many succeeded. */
static int run_calls(struct fixture *f, int n, struct result *xs)
{
	struct llm_request req;
	cJSON *msgs = user_messages(question);
	int ok = 0;
	for (int i = 0; i < n; i++) {
		agent_request(&req, msgs, 100 + i);
		assert_int_equal(llm_submit(f->L, &req, on_done, &xs[i]), 0);
	}
	assert_int_equal(llm_wait(f->L), 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(xs[i].n, 1);
		ok += xs[i].status == 0;
	}
	cJSON_Delete(msgs);
	return ok;
}

static void sim__every_fault_kind_is_retried(void **state)
{
	static const char *const kinds[] = { "429", "500", "529", "malformed", "truncated" };
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (int stream = 0; stream < 2; stream++) {
			SIM_OR_SKIP(sim, "--seed", "5", "--fault-rate", "0.5", "--faults", kinds[k],
				    "--retry-after", "0", NULL);
			struct fixture *f = fx_new(sim, !strcmp(kinds[k], "529") ? PROVIDER_ANTHROPIC :
						   PROVIDER_OPENAI);
			struct result xs[8];
			memset(xs, 0, sizeof(xs));
			f->pc.stream = stream;
			f->pc.max_retries = 10;
			fx_client(f);
			assert_int_equal(run_calls(f, 8, xs), 8);
			int retried = 0;
			for (int i = 0; i < 8; i++) {
				retried += xs[i].attempts > 1;
				result_release(&xs[i]);
			}
			llm_free(f->L);
			f->L = NULL;
			/* some calls met the fault and were retried; each failure is a row */
			cJSON *log = sim_log(sim);
			int faults = 0;
			cJSON *e;
			cJSON_ArrayForEach(e, log)
				faults += strcmp(cJSON_GetObjectItemCaseSensitive(e, "fault")->valuestring, "none") != 0;
			cJSON_Delete(log);
			if (faults == 0)
				fail_msg("fault %s (stream %d) never happened", kinds[k], stream);
			assert_true(retried > 0);
			assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts"), faults);
			fx_free(f);
		}
	}
}

static void sim__retry_after_and_final_error(void **state)
{
	SIM_OR_SKIP(sim, "--fault-rate", "1", "--faults", "429", "--retry-after", "1", NULL);
	struct fixture *f = fx_new(sim, PROVIDER_OPENAI);
	struct result xs[1];
	memset(xs, 0, sizeof(xs));
	f->pc.max_retries = 1;
	fx_client(f);
	assert_int_equal(run_calls(f, 1, xs), 0);
	assert_int_equal(xs[0].status, SS_EPROVIDER);
	assert_int_equal(xs[0].attempts, 2);
	assert_int_equal(strncmp(xs[0].error, "HTTP 429: ", 10), 0);
	assert_true(strlen(xs[0].error) > 10);   /* the simulator's own message */
	assert_true(xs[0].latency >= 1000);       /* waited the Retry-After second */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE attempt = 1 AND"
				    " http_status = 429 AND wait_ms >= 1000"), 1);
	result_release(&xs[0]);
	fx_free(f);
}

static void sim__timeout_is_retried(void **state)
{
	SIM_OR_SKIP(sim, "--seed", "2", "--fault-rate", "0.5", "--faults", "timeout", "--hang-ms", "3000", NULL);
	struct fixture *f = fx_new(sim, PROVIDER_OPENAI);
	struct result xs[6];
	memset(xs, 0, sizeof(xs));
	f->pc.timeout_s = 1;
	f->pc.max_retries = 10;
	fx_client(f);
	assert_int_equal(run_calls(f, 6, xs), 6);
	for (int i = 0; i < 6; i++)
		result_release(&xs[i]);
	assert_true(count_rows(f, "SELECT count(*) FROM llm_attempts WHERE error LIKE 'Timeout%'") > 0);
	fx_free(f);
}

/* ---- cache, budget, secrets ---------------------------------------------- */

static void sim__cache_replay_and_budget(void **state)
{
	SIM_OR_SKIP(sim, "--seed", "3", NULL);
	struct fixture *f = fx_new(sim, PROVIDER_OPENAI);
	struct result xs[4];
	memset(xs, 0, sizeof(xs));
	fx_client(f);
	assert_int_equal(run_calls(f, 2, xs), 2);
	int64_t tokens = xs[0].prompt + xs[0].completion + xs[1].prompt + xs[1].completion;
	for (int i = 0; i < 2; i++)
		result_release(&xs[i]);
	/* the same two calls again: from the cache, nothing reaches the simulator */
	assert_int_equal(run_calls(f, 2, xs), 2);
	assert_int_equal(xs[0].cached_flag, 1);
	assert_int_equal(xs[1].cached_flag, 1);
	cJSON *log = sim_log(sim);
	assert_int_equal(cJSON_GetArraySize(log), 2);
	cJSON_Delete(log);
	for (int i = 0; i < 2; i++)
		result_release(&xs[i]);

	/* a cap below what was spent: nothing more goes out */
	f->cfg.budget_tokens = tokens;
	fx_client(f);
	assert_true(llm_over_budget(f->L));
	struct llm_request req;
	cJSON *msgs = user_messages(question);
	agent_request(&req, msgs, 999);
	assert_int_equal(llm_submit(f->L, &req, on_done, &xs[0]), SS_EBUDGET);
	/* raised: it goes on */
	f->cfg.budget_tokens = tokens * 10;
	fx_client(f);
	assert_int_equal(llm_submit(f->L, &req, on_done, &xs[0]), 0);
	assert_int_equal(llm_wait(f->L), 0);
	assert_int_equal(xs[0].status, 0);
	result_release(&xs[0]);
	cJSON_Delete(msgs);

	/* no key in the store or in the simulator's log */
	llm_free(f->L);
	f->L = NULL;
	store_close(f->st);
	f->st = NULL;
	char *db = ss_read_file(f->db, NULL);
	char *wal_path = xasprintf("%s-wal", f->db);
	size_t wal_len = 0;
	char *wal = ss_read_file(wal_path, &wal_len);
	char *slog = ss_read_file(sim->log, NULL);
	assert_non_null(slog);
	assert_null(strstr(slog, KEY));
	assert_null(db ? memmem(db, strlen(db), KEY, strlen(KEY)) : NULL);
	assert_null(wal ? memmem(wal, wal_len, KEY, strlen(KEY)) : NULL);
	free(db);
	free(wal);
	free(wal_path);
	free(slog);
	fx_free(f);
}

int main(void)
{
	setenv("SS_SIM_TEST_KEY", KEY, 1);
	unsetenv("SKILLSMITH_HTTP_TRACE");
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim__plain_call_as_logged),
		cmocka_unit_test(sim__stream_tool_call_fragments),
		cmocka_unit_test(sim__anthropic_prefix_cache_and_schema),
		cmocka_unit_test(sim__embeddings),
		cmocka_unit_test(sim__every_fault_kind_is_retried),
		cmocka_unit_test(sim__retry_after_and_final_error),
		cmocka_unit_test(sim__timeout_is_retried),
		cmocka_unit_test(sim__cache_replay_and_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
