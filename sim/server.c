/*
 * The HTTP side of the simulator (libmicrohttpd, a thread per connection,
 * loopback only): OpenAI-compatible chat completions, embeddings and
 * models, and Anthropic Messages, each with streaming.  Latency and faults
 * are drawn from hashes of (seed, request body, how often that body was
 * seen), so a run with the same seed sees the same faults on the same
 * requests whatever the order of arrival, and a retried request can pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "sim/sim.h"

#define MAX_BODY (32u << 20)

const char *const sim_fault_names[NR_FAULTS] = {
	"none", "429", "500", "529", "timeout", "malformed", "truncated"
};

int sim_fault_by_name(const char *name)
{
	for (int i = 1; i < NR_FAULTS; i++)
		if (!strcmp(sim_fault_names[i], name))
			return i;
	return -1;
}

/* ---- server state ------------------------------------------------------- */

struct seen_entry {
	uint64_t key;
	int count;
};

struct server {
	const struct sim_options *opt;
	const struct sim_suite *suite;
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	pthread_cond_t wake;       /* broadcast on shutdown and when a slot frees */
	int stopping;
	int in_flight, peak;
	int64_t requests;
	int64_t faults[NR_FAULTS];
	FILE *log;
	/* open-addressing table: body hash -> times seen; prefix hash -> seen */
	struct seen_entry *seen;
	size_t seen_alloc, seen_nr;
};

static struct server S;

/* Count one more sighting of `key`; returns the count before. Caller locks. */
static int seen_bump(uint64_t key)
{
	size_t i;
	if (!key)
		key = 1;
	if ((S.seen_nr + 1) * 2 > S.seen_alloc) {
		size_t na = S.seen_alloc ? S.seen_alloc * 2 : 1024;
		struct seen_entry *ns = xcalloc(na, sizeof(*ns));
		for (size_t j = 0; j < S.seen_alloc; j++)
			if (S.seen[j].key) {
				for (i = S.seen[j].key & (na - 1); ns[i].key; i = (i + 1) & (na - 1))
					;
				ns[i] = S.seen[j];
			}
		free(S.seen);
		S.seen = ns;
		S.seen_alloc = na;
	}
	for (i = key & (S.seen_alloc - 1); S.seen[i].key; i = (i + 1) & (S.seen_alloc - 1))
		if (S.seen[i].key == key)
			return S.seen[i].count++;
	S.seen[i].key = key;
	S.seen[i].count = 1;
	S.seen_nr++;
	return 0;
}

static int seen_bump_locked(uint64_t key)
{
	pthread_mutex_lock(&S.lock);
	int n = seen_bump(key);
	pthread_mutex_unlock(&S.lock);
	return n;
}

/* Sleep up to ms, waking early on shutdown. */
static void nap(int64_t ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&S.lock);
	while (!S.stopping)
		if (pthread_cond_timedwait(&S.wake, &S.lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&S.lock);
}

/* ---- per-request state -------------------------------------------------- */

struct request {
	struct buf body;
	int too_big;
	int counted;               /* holds a concurrency slot */
	cJSON *headers;
};

struct reply {
	int status;
	const char *content_type;
	char *body;                /* whole body (non-stream) or the SSE text */
	size_t len;
	size_t *events;            /* stream: end offset of each event */
	int nr_events, alloc_events;
	int stream;
	size_t cut;                /* truncated: stop with an error here (0: none) */
	char retry_after[16];
	char retry_after_ms[16];
	const char *fault;
	const char *role;
	const char *instance;
};

/* ---- text helpers ------------------------------------------------------- */

/* Append the text of an OpenAI or Anthropic content value. */
static void add_content_text(struct buf *b, const cJSON *content)
{
	const cJSON *part;
	if (cJSON_IsString(content)) {
		buf_adds(b, content->valuestring);
		buf_addch(b, '\n');
		return;
	}
	cJSON_ArrayForEach(part, content) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(part, "input");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(part, "content");
		if (cJSON_IsString(t)) {
			buf_adds(b, t->valuestring);
			buf_addch(b, '\n');
		}
		if (in) {
			char *s = cJSON_PrintUnformatted(in);
			buf_adds(b, s);
			buf_addch(b, '\n');
			free(s);
		}
		if (c)
			add_content_text(b, c);
	}
}

/* The whole text of a message array (and an Anthropic system value). */
static void all_text(struct buf *b, const cJSON *system, const cJSON *messages)
{
	const cJSON *m;
	if (system)
		add_content_text(b, system);
	cJSON_ArrayForEach(m, messages) {
		const cJSON *tc, *call;
		add_content_text(b, cJSON_GetObjectItemCaseSensitive(m, "content"));
		tc = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
		cJSON_ArrayForEach(call, tc) {
			const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
			const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
			if (cJSON_IsString(args)) {
				buf_adds(b, args->valuestring);
				buf_addch(b, '\n');
			}
		}
	}
}

static const char *str_field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int approx_tokens(size_t chars)
{
	return (int)((chars + 3) / 4);
}

/* ---- replies ------------------------------------------------------------ */

static void reply_set(struct reply *r, int status, char *body)
{
	r->status = status;
	r->content_type = "application/json";
	r->body = body;
	r->len = strlen(body);
}

static void error_reply(struct reply *r, int anthropic, int status, const char *type,
			const char *msg)
{
	struct buf b = BUF_INIT;
	if (anthropic) {
		buf_addf(&b, "{\"type\": \"error\", \"error\": {\"type\": \"%s\", \"message\": ", type);
		buf_add_json_str(&b, msg);
		buf_adds(&b, "}}");
	} else {
		buf_adds(&b, "{\"error\": {\"message\": ");
		buf_add_json_str(&b, msg);
		buf_addf(&b, ", \"type\": \"%s\", \"param\": null, \"code\": null}}", type);
	}
	free(r->body);
	reply_set(r, status, buf_detach(&b, NULL));
}

/* Streams are built whole, then sent an event at a time. */
static void sse_event(struct reply *r, struct buf *b, const char *event, const char *data)
{
	if (event)
		buf_addf(b, "event: %s\n", event);
	buf_addf(b, "data: %s\n\n", data);
	ALLOC_GROW(r->events, r->nr_events + 1, r->alloc_events);
	r->events[r->nr_events++] = b->len;
}

static void sse_json(struct reply *r, struct buf *b, const char *event, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	sse_event(r, b, event, s);
	free(s);
	cJSON_Delete(obj);
}

/* Split text into a few pieces at spaces, for streaming deltas. */
static int split_pieces(const char *text, size_t *cuts, int max)
{
	size_t len = strlen(text);
	int n = 0;
	size_t step = len / (size_t)max + 1, pos = 0;
	while (pos < len && n < max - 1) {
		size_t c = pos + step;
		if (c >= len)
			break;
		while (c < len && text[c] != ' ' && text[c] != '\n')
			c++;
		if (c >= len)
			break;
		cuts[n++] = c + 1;
		pos = c + 1;
	}
	cuts[n++] = len;
	return n;
}

/* ---- role dispatch ------------------------------------------------------ */

struct call {
	int anthropic;
	const char *model;
	const char *aux_role;      /* canonical aux role, or NULL for the agent */
	const char *aux_name;      /* the schema / tool name as the client sent it */
	const cJSON *schema;       /* the schema sent, if any */
	int via_tool;              /* aux output as a forced tool call */
	int stream, include_usage;
	struct buf text;           /* whole request text */
	const struct sim_instance *inst;
	char *output;              /* assistant text (agent) or JSON (aux) */
	int submit_tool;           /* the agent may call "submit_answer" */
	int after_tool;            /* the last message is a tool result */
	/* what goes back: text and/or one tool call */
	const char *reply_text;
	const char *call_name;
	char *call_args;           /* JSON text */
};

/* Decide the reply's text and tool call from the role's output. */
static void shape_reply(struct call *c, const char *answer)
{
	if (c->via_tool) {
		c->reply_text = NULL;
		c->call_name = c->aux_name;
		c->call_args = xstrdup(c->output);
		return;
	}
	c->reply_text = c->output;
	if (!c->aux_name && c->submit_tool && !c->after_tool && answer && *answer) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "{\"answer\": ");
		buf_add_json_str(&b, answer);
		buf_addch(&b, '}');
		c->call_name = "submit_answer";
		c->call_args = buf_detach(&b, NULL);
	}
}

/* Does a tools array (OpenAI or Anthropic shape) offer a tool of this name? */
static int has_tool(const cJSON *tools, const char *name)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, tools) {
		const char *n = str_field(cJSON_GetObjectItemCaseSensitive(t, "function"), "name");
		if (!n)
			n = str_field(t, "name");
		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}

/* Is the conversation's last message a tool result (OpenAI or Anthropic)? */
static int last_is_tool_result(const cJSON *messages)
{
	int n = cJSON_GetArraySize(messages);
	const cJSON *m = cJSON_GetArrayItem(messages, n - 1), *b;
	const char *role = str_field(m, "role");
	if (role && !strcmp(role, "tool"))
		return 1;
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(m, "content")) {
		const char *type = str_field(b, "type");
		if (type && !strcmp(type, "tool_result"))
			return 1;
	}
	return 0;
}

/* A value of the schema's shape when the schema name is unknown. */
static cJSON *schema_fill(const cJSON *schema)
{
	const char *type = str_field(schema, "type");
	if (!type || !strcmp(type, "object")) {
		cJSON *o = cJSON_CreateObject(), *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(schema, "properties"))
			cJSON_AddItemToObject(o, p->string, schema_fill(p));
		return o;
	}
	if (!strcmp(type, "array"))
		return cJSON_CreateArray();
	if (!strcmp(type, "number") || !strcmp(type, "integer"))
		return cJSON_CreateNumber(0);
	if (!strcmp(type, "boolean"))
		return cJSON_CreateFalse();
	const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
	if (cJSON_IsArray(en) && cJSON_IsString(cJSON_GetArrayItem(en, 0)))
		return cJSON_CreateString(cJSON_GetArrayItem(en, 0)->valuestring);
	return cJSON_CreateString("simulated");
}

static void run_aux(struct call *c)
{
	cJSON *out;
	int harmful = c->model && strstr(c->model, "harmful") != NULL;
	if (c->aux_role)
		out = sim_aux_output(c->aux_role, c->text.buf, S.opt->seed, harmful);
	else
		out = schema_fill(c->schema);
	c->output = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
}

/*
 * The agent: find the instance in the last user message, judge the rules in
 * the rest of the prompt (system prompt, other messages; the input itself
 * cut out, since it names its own traps).
 */
static void run_agent(struct call *c, const cJSON *system, const cJSON *messages,
		      char *answer, size_t answer_len)
{
	struct buf last = BUF_INIT, rules = BUF_INIT, key = BUF_INIT;
	const cJSON *m, *last_user = NULL;
	struct sim_agent_answer ans;

	cJSON_ArrayForEach(m, messages) {
		const char *role = str_field(m, "role");
		if (role && !strcmp(role, "user"))
			last_user = m;
	}
	if (last_user)
		add_content_text(&last, cJSON_GetObjectItemCaseSensitive(last_user, "content"));
	buf_trim(&last);
	c->inst = sim_suite_match(S.suite, last.buf);
	if (!c->inst) {
		c->output = xstrdup("This question is not part of the simulated calendar suite, "
				    "so the simulated agent cannot work it out.\nAnswer: unknown");
		goto cleanup;
	}
	if (system)
		add_content_text(&rules, system);
	cJSON_ArrayForEach(m, messages) {
		const char *role = str_field(m, "role");
		if (!role || !strcmp(role, "assistant") || !strcmp(role, "tool"))
			continue;
		struct buf t = BUF_INIT;
		add_content_text(&t, cJSON_GetObjectItemCaseSensitive(m, "content"));
		char *at = strstr(t.buf, c->inst->input);
		if (at) {
			buf_add(&rules, t.buf, (size_t)(at - t.buf));
			buf_addch(&rules, '\n');
			buf_adds(&rules, at + strlen(c->inst->input));
		} else {
			buf_adds(&rules, t.buf);
		}
		buf_release(&t);
	}
	buf_adds(&key, rules.buf);
	buf_adds(&key, "\n--\n");
	buf_adds(&key, c->inst->id);
	sim_agent_answer(&ans, S.opt->seed, c->inst, rules.buf, ss_hash64(key.buf, key.len));
	snprintf(answer, answer_len, "%s", ans.answer);
	if (c->after_tool) {
		/* the answer was submitted; close with the final line only */
		buf_release(&ans.text);
		c->output = xasprintf("Answer: %s", ans.answer);
	} else {
		c->output = buf_detach(&ans.text, NULL);
	}
cleanup:
	buf_release(&last);
	buf_release(&rules);
	buf_release(&key);
}

/* ---- OpenAI ------------------------------------------------------------- */

static cJSON *openai_usage(int prompt, int completion, int cached)
{
	cJSON *u = cJSON_CreateObject(), *d;
	cJSON_AddNumberToObject(u, "prompt_tokens", prompt);
	cJSON_AddNumberToObject(u, "completion_tokens", completion);
	cJSON_AddNumberToObject(u, "total_tokens", prompt + completion);
	d = cJSON_AddObjectToObject(u, "prompt_tokens_details");
	cJSON_AddNumberToObject(d, "cached_tokens", cached);
	return u;
}

static cJSON *chunk_base(const char *id, int64_t created, const char *model)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "object", "chat.completion.chunk");
	cJSON_AddNumberToObject(o, "created", (double)created);
	cJSON_AddStringToObject(o, "model", model);
	cJSON_AddStringToObject(o, "system_fingerprint", "skillsmith-sim");
	return o;
}

static cJSON *chunk_choice(cJSON *chunk, cJSON **delta)
{
	cJSON *choices = cJSON_AddArrayToObject(chunk, "choices");
	cJSON *ch = cJSON_CreateObject();
	cJSON_AddItemToArray(choices, ch);
	cJSON_AddNumberToObject(ch, "index", 0);
	*delta = cJSON_AddObjectToObject(ch, "delta");
	return ch;
}

/* One tool call object; `args` NULL for a name-only stream opener. */
static cJSON *openai_call(const struct call *c, int stream, const char *args, int first)
{
	cJSON *call = cJSON_CreateObject(), *fn;
	if (stream)
		cJSON_AddNumberToObject(call, "index", 0);
	if (first) {
		cJSON_AddStringToObject(call, "id", "call_sim_0");
		cJSON_AddStringToObject(call, "type", "function");
	}
	fn = cJSON_AddObjectToObject(call, "function");
	if (first)
		cJSON_AddStringToObject(fn, "name", c->call_name);
	cJSON_AddStringToObject(fn, "arguments", args ? args : "");
	return call;
}

static void openai_reply(struct reply *r, const struct call *c, const char *id, int64_t created,
			 int prompt, int completion, int cached)
{
	const char *finish = c->call_name ? "tool_calls" : "stop";
	if (!c->stream) {
		cJSON *o = cJSON_CreateObject(), *choices, *ch, *msg;
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "object", "chat.completion");
		cJSON_AddNumberToObject(o, "created", (double)created);
		cJSON_AddStringToObject(o, "model", c->model);
		cJSON_AddStringToObject(o, "system_fingerprint", "skillsmith-sim");
		choices = cJSON_AddArrayToObject(o, "choices");
		ch = cJSON_CreateObject();
		cJSON_AddItemToArray(choices, ch);
		cJSON_AddNumberToObject(ch, "index", 0);
		msg = cJSON_AddObjectToObject(ch, "message");
		cJSON_AddStringToObject(msg, "role", "assistant");
		if (c->reply_text)
			cJSON_AddStringToObject(msg, "content", c->reply_text);
		else
			cJSON_AddNullToObject(msg, "content");
		if (c->call_name)
			cJSON_AddItemToArray(cJSON_AddArrayToObject(msg, "tool_calls"),
					     openai_call(c, 0, c->call_args, 1));
		cJSON_AddStringToObject(ch, "finish_reason", finish);
		cJSON_AddItemToObject(o, "usage", openai_usage(prompt, completion, cached));
		reply_set(r, 200, cJSON_PrintUnformatted(o));
		cJSON_Delete(o);
		return;
	}

	struct buf b = BUF_INIT;
	cJSON *chunk, *delta, *ch;
	buf_adds(&b, ": simulated stream\n\n");
	ALLOC_GROW(r->events, r->nr_events + 1, r->alloc_events);
	r->events[r->nr_events++] = b.len;
	chunk = chunk_base(id, created, c->model);
	ch = chunk_choice(chunk, &delta);
	cJSON_AddStringToObject(delta, "role", "assistant");
	cJSON_AddStringToObject(delta, "content", "");
	cJSON_AddNullToObject(ch, "finish_reason");
	sse_json(r, &b, NULL, chunk);
	/* the text in a few deltas, then the call: its name, then argument fragments */
	for (int part = 0; part < 2; part++) {
		const char *src = part == 0 ? c->reply_text : c->call_args;
		size_t cuts[8], prev = 0;
		int n;
		if (!src || (part == 1 && !c->call_name))
			continue;
		if (part == 1) {
			chunk = chunk_base(id, created, c->model);
			ch = chunk_choice(chunk, &delta);
			cJSON_AddItemToArray(cJSON_AddArrayToObject(delta, "tool_calls"),
					     openai_call(c, 1, NULL, 1));
			cJSON_AddNullToObject(ch, "finish_reason");
			sse_json(r, &b, NULL, chunk);
		}
		n = split_pieces(src, cuts, 6);
		for (int i = 0; i < n; i++) {
			char *piece = xstrndup(src + prev, cuts[i] - prev);
			chunk = chunk_base(id, created, c->model);
			ch = chunk_choice(chunk, &delta);
			if (part == 1)
				cJSON_AddItemToArray(cJSON_AddArrayToObject(delta, "tool_calls"),
						     openai_call(c, 1, piece, 0));
			else
				cJSON_AddStringToObject(delta, "content", piece);
			cJSON_AddNullToObject(ch, "finish_reason");
			sse_json(r, &b, NULL, chunk);
			free(piece);
			prev = cuts[i];
		}
	}
	chunk = chunk_base(id, created, c->model);
	ch = chunk_choice(chunk, &delta);
	cJSON_AddStringToObject(ch, "finish_reason", finish);
	sse_json(r, &b, NULL, chunk);
	if (c->include_usage) {
		chunk = chunk_base(id, created, c->model);
		cJSON_AddArrayToObject(chunk, "choices");
		cJSON_AddItemToObject(chunk, "usage", openai_usage(prompt, completion, cached));
		sse_json(r, &b, NULL, chunk);
	}
	sse_event(r, &b, NULL, "[DONE]");
	r->status = 200;
	r->content_type = "text/event-stream";
	r->stream = 1;
	r->len = b.len;
	r->body = buf_detach(&b, NULL);
}

static void openai_chat(struct reply *r, const cJSON *req, uint64_t body_hash, size_t body_len)
{
	struct call c = { 0 };
	const cJSON *messages = cJSON_GetObjectItemCaseSensitive(req, "messages");
	const cJSON *rf = cJSON_GetObjectItemCaseSensitive(req, "response_format");
	const cJSON *tc = cJSON_GetObjectItemCaseSensitive(req, "tool_choice");
	const cJSON *so = cJSON_GetObjectItemCaseSensitive(req, "stream_options");
	struct buf sys = BUF_INIT;
	char id[40], answer[64] = "";
	int64_t created = ss_wall_s();
	int prompt, completion, cached = 0;

	if (!cJSON_IsArray(messages)) {
		error_reply(r, 0, 400, "invalid_request_error", "'messages' must be an array");
		return;
	}
	c.model = str_field(req, "model");
	if (!c.model)
		c.model = "sim-agent";
	c.stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "stream"));
	c.include_usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage"));
	if (rf) {
		const cJSON *js = cJSON_GetObjectItemCaseSensitive(rf, "json_schema");
		c.aux_name = str_field(js, "name");
		c.schema = cJSON_GetObjectItemCaseSensitive(js, "schema");
		if (!c.aux_name && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rf, "type")) &&
		    strcmp(str_field(rf, "type"), "text"))
			c.aux_name = "json";
	}
	if (!c.aux_name && cJSON_IsObject(tc)) {
		const char *fn = str_field(cJSON_GetObjectItemCaseSensitive(tc, "function"), "name");
		if (fn && sim_aux_role(fn)) {
			const cJSON *tool;
			c.aux_name = fn;
			c.via_tool = 1;
			cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(req, "tools")) {
				const cJSON *f = cJSON_GetObjectItemCaseSensitive(tool, "function");
				const char *n = str_field(f, "name");
				if (n && !strcmp(n, fn))
					c.schema = cJSON_GetObjectItemCaseSensitive(f, "parameters");
			}
		}
	}
	all_text(&c.text, NULL, messages);
	c.submit_tool = has_tool(cJSON_GetObjectItemCaseSensitive(req, "tools"), "submit_answer");
	c.after_tool = last_is_tool_result(messages);
	if (c.aux_name) {
		c.aux_role = sim_aux_role(c.aux_name);
		r->role = c.aux_role ? c.aux_role : "json";
		run_aux(&c);
	} else {
		r->role = "agent";
		run_agent(&c, NULL, messages, answer, sizeof(answer));
		r->instance = c.inst ? c.inst->id : NULL;
	}

	/* prefix cache: the system messages, once seen for this model */
	{
		const cJSON *m;
		cJSON_ArrayForEach(m, messages) {
			const char *role = str_field(m, "role");
			if (role && (!strcmp(role, "system") || !strcmp(role, "developer")))
				add_content_text(&sys, cJSON_GetObjectItemCaseSensitive(m, "content"));
		}
		if (sys.len >= 64) {
			uint64_t k = ss_hash64(sys.buf, sys.len) ^ ss_hash64(c.model, strlen(c.model));
			if (seen_bump_locked(sim_mix64(k ^ 0x5157ULL)) > 0)
				cached = approx_tokens(sys.len);
		}
	}
	prompt = approx_tokens(body_len);
	completion = approx_tokens(strlen(c.output));
	if (cached > prompt)
		cached = prompt;
	snprintf(id, sizeof(id), "chatcmpl-sim-%016llx", (unsigned long long)body_hash);
	shape_reply(&c, answer);
	openai_reply(r, &c, id, created, prompt, completion, cached);
	free(c.output);
	free(c.call_args);
	buf_release(&c.text);
	buf_release(&sys);
}

static void openai_embeddings(struct reply *r, const cJSON *req)
{
	const cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input");
	const cJSON *dimv = cJSON_GetObjectItemCaseSensitive(req, "dimensions");
	const char *model = str_field(req, "model");
	int dim = SIM_EMBED_DIM, n, tokens = 0;
	struct buf b = BUF_INIT;
	float *vec;

	r->role = "embeddings";
	if (cJSON_IsNumber(dimv)) {
		if (dimv->valuedouble < 1 || dimv->valuedouble > 4096) {
			error_reply(r, 0, 400, "invalid_request_error",
				    "'dimensions' must be from 1 to 4096");
			return;
		}
		dim = (int)dimv->valuedouble;
	}
	if (cJSON_IsString(input)) {
		n = 1;
	} else if (cJSON_IsArray(input) && cJSON_GetArraySize(input) > 0) {
		const cJSON *it;
		n = cJSON_GetArraySize(input);
		cJSON_ArrayForEach(it, input)
			if (!cJSON_IsString(it)) {
				error_reply(r, 0, 400, "invalid_request_error",
					    "'input' must be a string or an array of strings");
				return;
			}
	} else {
		error_reply(r, 0, 400, "invalid_request_error",
			    "'input' must be a string or a non-empty array of strings");
		return;
	}
	vec = xmalloc(sizeof(float) * (size_t)dim);
	buf_adds(&b, "{\"object\": \"list\", \"data\": [");
	for (int i = 0; i < n; i++) {
		const char *text = n == 1 && cJSON_IsString(input) ? input->valuestring
				   : cJSON_GetArrayItem(input, i)->valuestring;
		sim_embed(text, vec, dim);
		tokens += approx_tokens(strlen(text));
		buf_addf(&b, "%s{\"object\": \"embedding\", \"index\": %d, \"embedding\": [",
			 i ? ", " : "", i);
		for (int k = 0; k < dim; k++)
			buf_addf(&b, "%s%.6g", k ? "," : "", (double)vec[k]);
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "], \"model\": ");
	buf_add_json_str(&b, model ? model : "sim-embed");
	buf_addf(&b, ", \"usage\": {\"prompt_tokens\": %d, \"total_tokens\": %d}}", tokens, tokens);
	free(vec);
	reply_set(r, 200, buf_detach(&b, NULL));
}

static void openai_models(struct reply *r)
{
	static const char *const models[] = {
		"sim-agent", "sim-optimizer", "sim-optimizer-harmful", "sim-embed"
	};
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"object\": \"list\", \"data\": [");
	for (size_t i = 0; i < ARRAY_SIZE(models); i++)
		buf_addf(&b, "%s{\"id\": \"%s\", \"object\": \"model\", \"created\": 0, "
			 "\"owned_by\": \"skillsmith-sim (simulation)\"}", i ? ", " : "", models[i]);
	buf_adds(&b, "]}");
	r->role = "models";
	reply_set(r, 200, buf_detach(&b, NULL));
}

/* ---- Anthropic ---------------------------------------------------------- */

/*
 * Prompt caching: the system blocks up to the last one marked with
 * cache_control form the cached prefix; the first request with a given
 * prefix creates the cache entry, later ones read it.
 */
static void anthropic_cache(const cJSON *system, const char *model, int *creation, int *read)
{
	const cJSON *blk, *last = NULL;
	struct buf pre = BUF_INIT;
	*creation = *read = 0;
	if (!cJSON_IsArray(system))
		return;
	cJSON_ArrayForEach(blk, system)
		if (cJSON_GetObjectItemCaseSensitive(blk, "cache_control"))
			last = blk;
	if (!last)
		return;
	cJSON_ArrayForEach(blk, system) {
		const char *t = str_field(blk, "text");
		if (t)
			buf_adds(&pre, t);
		if (blk == last)
			break;
	}
	uint64_t k = ss_hash64(pre.buf, pre.len) ^ sim_mix64(ss_hash64(model, strlen(model)));
	if (seen_bump_locked(sim_mix64(k ^ 0xa17ULL)) > 0)
		*read = approx_tokens(pre.len);
	else
		*creation = approx_tokens(pre.len);
	buf_release(&pre);
}

static cJSON *anthropic_usage(int input, int output, int creation, int read)
{
	cJSON *u = cJSON_CreateObject();
	cJSON_AddNumberToObject(u, "input_tokens", input);
	cJSON_AddNumberToObject(u, "output_tokens", output);
	cJSON_AddNumberToObject(u, "cache_creation_input_tokens", creation);
	cJSON_AddNumberToObject(u, "cache_read_input_tokens", read);
	return u;
}

static void anthropic_reply(struct reply *r, const struct call *c, const char *id,
			    int input, int output, int creation, int read)
{
	const char *stop = c->call_name ? "tool_use" : "end_turn";
	if (!c->stream) {
		cJSON *o = cJSON_CreateObject(), *content, *block;
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "type", "message");
		cJSON_AddStringToObject(o, "role", "assistant");
		cJSON_AddStringToObject(o, "model", c->model);
		content = cJSON_AddArrayToObject(o, "content");
		if (c->reply_text) {
			block = cJSON_CreateObject();
			cJSON_AddStringToObject(block, "type", "text");
			cJSON_AddStringToObject(block, "text", c->reply_text);
			cJSON_AddItemToArray(content, block);
		}
		if (c->call_name) {
			cJSON *in = cJSON_Parse(c->call_args);
			block = cJSON_CreateObject();
			cJSON_AddStringToObject(block, "type", "tool_use");
			cJSON_AddStringToObject(block, "id", "toolu_sim_0");
			cJSON_AddStringToObject(block, "name", c->call_name);
			cJSON_AddItemToObject(block, "input", in ? in : cJSON_CreateObject());
			cJSON_AddItemToArray(content, block);
		}
		cJSON_AddStringToObject(o, "stop_reason", stop);
		cJSON_AddNullToObject(o, "stop_sequence");
		cJSON_AddItemToObject(o, "usage", anthropic_usage(input, output, creation, read));
		reply_set(r, 200, cJSON_PrintUnformatted(o));
		cJSON_Delete(o);
		return;
	}

	struct buf b = BUF_INIT;
	cJSON *ev, *msg, *d, *u;
	int index = 0;
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "type", "message_start");
	msg = cJSON_AddObjectToObject(ev, "message");
	cJSON_AddStringToObject(msg, "id", id);
	cJSON_AddStringToObject(msg, "type", "message");
	cJSON_AddStringToObject(msg, "role", "assistant");
	cJSON_AddStringToObject(msg, "model", c->model);
	cJSON_AddArrayToObject(msg, "content");
	cJSON_AddNullToObject(msg, "stop_reason");
	cJSON_AddNullToObject(msg, "stop_sequence");
	cJSON_AddItemToObject(msg, "usage", anthropic_usage(input, 1, creation, read));
	sse_json(r, &b, "message_start", ev);
	sse_event(r, &b, "ping", "{\"type\": \"ping\"}");
	/* a text block, then a tool_use block, each streamed in deltas */
	for (int part = 0; part < 2; part++) {
		const char *src = part == 0 ? c->reply_text : (c->call_name ? c->call_args : NULL);
		size_t cuts[8], prev = 0;
		cJSON *block;
		char stop_ev[64];
		int n;
		if (!src)
			continue;
		ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "type", "content_block_start");
		cJSON_AddNumberToObject(ev, "index", index);
		block = cJSON_AddObjectToObject(ev, "content_block");
		if (part == 0) {
			cJSON_AddStringToObject(block, "type", "text");
			cJSON_AddStringToObject(block, "text", "");
		} else {
			cJSON_AddStringToObject(block, "type", "tool_use");
			cJSON_AddStringToObject(block, "id", "toolu_sim_0");
			cJSON_AddStringToObject(block, "name", c->call_name);
			cJSON_AddObjectToObject(block, "input");
		}
		sse_json(r, &b, "content_block_start", ev);
		n = split_pieces(src, cuts, 6);
		for (int i = 0; i < n; i++) {
			char *piece = xstrndup(src + prev, cuts[i] - prev);
			ev = cJSON_CreateObject();
			cJSON_AddStringToObject(ev, "type", "content_block_delta");
			cJSON_AddNumberToObject(ev, "index", index);
			d = cJSON_AddObjectToObject(ev, "delta");
			if (part == 1) {
				cJSON_AddStringToObject(d, "type", "input_json_delta");
				cJSON_AddStringToObject(d, "partial_json", piece);
			} else {
				cJSON_AddStringToObject(d, "type", "text_delta");
				cJSON_AddStringToObject(d, "text", piece);
			}
			sse_json(r, &b, "content_block_delta", ev);
			free(piece);
			prev = cuts[i];
		}
		snprintf(stop_ev, sizeof(stop_ev), "{\"type\": \"content_block_stop\", \"index\": %d}",
			 index);
		sse_event(r, &b, "content_block_stop", stop_ev);
		index++;
	}
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "type", "message_delta");
	d = cJSON_AddObjectToObject(ev, "delta");
	cJSON_AddStringToObject(d, "stop_reason", stop);
	cJSON_AddNullToObject(d, "stop_sequence");
	u = cJSON_AddObjectToObject(ev, "usage");
	cJSON_AddNumberToObject(u, "output_tokens", output);
	sse_json(r, &b, "message_delta", ev);
	sse_event(r, &b, "message_stop", "{\"type\": \"message_stop\"}");
	r->status = 200;
	r->content_type = "text/event-stream";
	r->stream = 1;
	r->len = b.len;
	r->body = buf_detach(&b, NULL);
}

static void anthropic_messages(struct reply *r, const cJSON *req, uint64_t body_hash,
			       size_t body_len)
{
	struct call c = { 0 };
	const cJSON *messages = cJSON_GetObjectItemCaseSensitive(req, "messages");
	const cJSON *system = cJSON_GetObjectItemCaseSensitive(req, "system");
	const cJSON *tc = cJSON_GetObjectItemCaseSensitive(req, "tool_choice");
	char id[40], answer[64] = "";
	int input, output, creation, read;

	if (!cJSON_IsArray(messages)) {
		error_reply(r, 1, 400, "invalid_request_error", "messages: must be an array");
		return;
	}
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(req, "max_tokens"))) {
		error_reply(r, 1, 400, "invalid_request_error", "max_tokens: field required");
		return;
	}
	c.anthropic = 1;
	c.model = str_field(req, "model");
	if (!c.model)
		c.model = "sim-agent";
	c.stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "stream"));
	if (cJSON_IsObject(tc) && str_field(tc, "type") && !strcmp(str_field(tc, "type"), "tool")) {
		const cJSON *tool;
		c.aux_name = str_field(tc, "name");
		c.via_tool = 1;
		cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(req, "tools")) {
			const char *n = str_field(tool, "name");
			if (n && c.aux_name && !strcmp(n, c.aux_name))
				c.schema = cJSON_GetObjectItemCaseSensitive(tool, "input_schema");
		}
	}
	all_text(&c.text, system, messages);
	c.submit_tool = has_tool(cJSON_GetObjectItemCaseSensitive(req, "tools"), "submit_answer");
	c.after_tool = last_is_tool_result(messages);
	if (c.aux_name) {
		c.aux_role = sim_aux_role(c.aux_name);
		r->role = c.aux_role ? c.aux_role : "json";
		run_aux(&c);
	} else {
		r->role = "agent";
		run_agent(&c, system, messages, answer, sizeof(answer));
		r->instance = c.inst ? c.inst->id : NULL;
	}
	anthropic_cache(system, c.model, &creation, &read);
	input = approx_tokens(body_len) - creation - read;
	if (input < 1)
		input = 1;
	output = approx_tokens(strlen(c.output));
	snprintf(id, sizeof(id), "msg_sim_%016llx", (unsigned long long)body_hash);
	shape_reply(&c, answer);
	anthropic_reply(r, &c, id, input, output, creation, read);
	free(c.output);
	free(c.call_args);
	buf_release(&c.text);
}

/* ---- faults ------------------------------------------------------------- */

static enum sim_fault draw_fault(uint64_t body_hash, int occurrence)
{
	const struct sim_options *o = S.opt;
	int kinds[NR_FAULTS], nk = 0;
	uint64_t k = sim_mix64(o->seed ^ 0xfa17ULL) ^ body_hash ^ sim_mix64((uint64_t)occurrence + 1);
	if (o->fault_rate <= 0 || !o->faults)
		return FAULT_NONE;
	if (sim_unit(k) >= o->fault_rate)
		return FAULT_NONE;
	for (int i = 1; i < NR_FAULTS; i++)
		if (o->faults & (1u << i))
			kinds[nk++] = i;
	return (enum sim_fault)kinds[sim_mix64(k ^ 0x77ULL) % (uint64_t)nk];
}

/* Turn a finished reply into the fault's version of it. */
static void apply_fault(struct reply *r, enum sim_fault f, int anthropic)
{
	r->fault = sim_fault_names[f];
	switch (f) {
	case FAULT_429:
		snprintf(r->retry_after, sizeof(r->retry_after), "%d", S.opt->retry_after);
		if (S.opt->retry_after_ms > 0)
			snprintf(r->retry_after_ms, sizeof(r->retry_after_ms), "%d",
				 S.opt->retry_after_ms);
		error_reply(r, anthropic, 429, anthropic ? "rate_limit_error" : "rate_limit_exceeded",
			    "simulated rate limit (skillsmith-sim fault injection)");
		r->stream = 0;
		break;
	case FAULT_500:
		error_reply(r, anthropic, 500, anthropic ? "api_error" : "server_error",
			    "simulated internal error (skillsmith-sim fault injection)");
		r->stream = 0;
		break;
	case FAULT_529:
		error_reply(r, anthropic, 529, "overloaded_error",
			    "Overloaded (simulated by skillsmith-sim)");
		r->stream = 0;
		break;
	case FAULT_TIMEOUT:
		nap(S.opt->hang_ms);
		error_reply(r, anthropic, 504, "timeout",
			    "simulated timeout (skillsmith-sim fault injection)");
		r->stream = 0;
		break;
	case FAULT_MALFORMED:
		if (r->stream) {
			/* a broken data line halfway through, then the rest */
			struct buf b = BUF_INIT;
			int half = r->nr_events / 2;
			size_t at = half > 0 ? r->events[half - 1] : 0;
			buf_add(&b, r->body, at);
			buf_adds(&b, "data: {\"choices\": [{\"delta\": {\"content\": \"broken\n\n");
			buf_add(&b, r->body + at, r->len - at);
			free(r->body);
			r->nr_events = 0;
			r->len = b.len;
			r->body = buf_detach(&b, NULL);
		} else {
			size_t keep = r->len / 2;
			r->body[keep] = '\0';
			r->len = keep;
			char *nb = xasprintf("%s\"}{", r->body);
			free(r->body);
			r->body = nb;
			r->len = strlen(nb);
		}
		break;
	case FAULT_TRUNCATED:
		r->cut = r->stream && r->nr_events > 2 ? r->events[r->nr_events / 2 - 1] : r->len / 2;
		if (!r->cut)
			r->cut = 1;
		break;
	default:
		break;
	}
}

/* ---- request log -------------------------------------------------------- */

static int is_secret_header(const char *name)
{
	return !strcasecmp(name, "authorization") || !strcasecmp(name, "x-api-key") ||
	       !strcasecmp(name, "api-key") || !strcasecmp(name, "proxy-authorization") ||
	       !strcasecmp(name, "x-goog-api-key");
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	cJSON *h = cls;
	if (!key)
		return MHD_YES;
	cJSON_AddStringToObject(h, key, is_secret_header(key) ? "[redacted]" : (value ? value : ""));
	return MHD_YES;
}

static void log_request(const char *method, const char *path, struct request *rq,
			const struct reply *r, int64_t latency_ms, int stream)
{
	cJSON *o;
	char *line;
	if (!S.log)
		return;
	o = cJSON_CreateObject();
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	cJSON_AddNumberToObject(o, "time_ms", (double)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	cJSON_AddStringToObject(o, "method", method);
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddItemReferenceToObject(o, "headers", rq->headers);
	if (rq->body.len) {
		cJSON *b = cJSON_ParseWithLength(rq->body.buf, rq->body.len);
		if (b)
			cJSON_AddItemToObject(o, "body", b);
		else
			cJSON_AddStringToObject(o, "body", rq->body.buf);
	} else {
		cJSON_AddNullToObject(o, "body");
	}
	cJSON_AddNumberToObject(o, "status", r->status);
	cJSON_AddStringToObject(o, "fault", r->fault ? r->fault : "none");
	if (r->role)
		cJSON_AddStringToObject(o, "role", r->role);
	if (r->instance)
		cJSON_AddStringToObject(o, "instance", r->instance);
	cJSON_AddBoolToObject(o, "stream", stream);
	cJSON_AddNumberToObject(o, "latency_ms", (double)latency_ms);
	line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	pthread_mutex_lock(&S.lock);
	fputs(line, S.log);
	fputc('\n', S.log);
	fflush(S.log);
	pthread_mutex_unlock(&S.lock);
	free(line);
}

/* ---- MHD glue ----------------------------------------------------------- */

struct stream_state {
	struct reply r;
	size_t pos;
	int ev;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream_state *st = cls;
	size_t end = st->r.len;
	if (st->r.cut && st->pos >= st->r.cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->pos >= st->r.len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* one event per call, so the client sees the stream in pieces */
	while (st->ev < st->r.nr_events && st->r.events[st->ev] <= st->pos)
		st->ev++;
	if (st->ev < st->r.nr_events)
		end = st->r.events[st->ev];
	if (st->r.cut && end > st->r.cut)
		end = st->r.cut;
	if (end - st->pos > max)
		end = st->pos + max;
	memcpy(out, st->r.body + st->pos, end - st->pos);
	ssize_t n = (ssize_t)(end - st->pos);
	st->pos = end;
	return n;
}

static void stream_free(void *cls)
{
	struct stream_state *st = cls;
	free(st->r.body);
	free(st->r.events);
	free(st);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	if (r->stream || r->cut) {
		struct stream_state *st = xcalloc(1, sizeof(*st));
		st->r = *r;
		r->body = NULL;
		r->events = NULL;
		resp = MHD_create_response_from_callback(r->stream ? MHD_SIZE_UNKNOWN : r->len,
							 1024, stream_read, st, stream_free);
	} else {
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
		r->body = NULL;
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->content_type);
	MHD_add_response_header(resp, "X-Simulated-By", "skillsmith-sim");
	if (r->stream)
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (r->retry_after[0])
		MHD_add_response_header(resp, "Retry-After", r->retry_after);
	if (r->retry_after_ms[0])
		MHD_add_response_header(resp, "retry-after-ms", r->retry_after_ms);
	if (r->status == 529 || r->status == 500)
		MHD_add_response_header(resp, "x-should-retry", "true");
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void stats_reply(struct reply *r)
{
	struct buf b = BUF_INIT;
	pthread_mutex_lock(&S.lock);
	buf_addf(&b, "{\"simulation\": true, \"requests\": %lld, \"in_flight\": %d, "
		 "\"peak_in_flight\": %d, \"faults\": {",
		 (long long)S.requests, S.in_flight, S.peak);
	for (int i = 1; i < NR_FAULTS; i++)
		buf_addf(&b, "%s\"%s\": %lld", i > 1 ? ", " : "", sim_fault_names[i],
			 (long long)S.faults[i]);
	buf_adds(&b, "}}");
	pthread_mutex_unlock(&S.lock);
	r->role = "stats";
	reply_set(r, 200, buf_detach(&b, NULL));
}

/* Strip a query string and an optional "/v1" prefix. */
static const char *route(const char *url, char *out, size_t n)
{
	size_t len = strcspn(url, "?");
	if (len >= n)
		len = n - 1;
	memcpy(out, url, len);
	out[len] = '\0';
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	return !strncmp(out, "/v1/", 4) ? out + 3 : out;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct request *rq = *con_cls;
	struct reply r = { 0 };
	char pathbuf[256];
	const char *path;
	cJSON *req = NULL;
	int is_post = !strcmp(method, "POST"), anthropic = 0, api;
	int64_t latency = 0;
	enum MHD_Result ret;

	if (!rq) {
		rq = xcalloc(1, sizeof(*rq));
		buf_init(&rq->body, 0);
		rq->headers = cJSON_CreateObject();
		MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, rq->headers);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > MAX_BODY)
			rq->too_big = 1;
		else
			buf_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	path = route(url, pathbuf, sizeof(pathbuf));
	api = is_post && (!strcmp(path, "/chat/completions") || !strcmp(path, "/messages") ||
			  !strcmp(path, "/embeddings"));
	anthropic = !strcmp(path, "/messages");

	pthread_mutex_lock(&S.lock);
	S.requests++;
	if (api && S.opt->max_concurrency > 0 && S.in_flight >= S.opt->max_concurrency) {
		if (S.opt->queue) {
			while (!S.stopping && S.in_flight >= S.opt->max_concurrency)
				pthread_cond_wait(&S.wake, &S.lock);
		} else {
			pthread_mutex_unlock(&S.lock);
			snprintf(r.retry_after, sizeof(r.retry_after), "%d", S.opt->retry_after);
			error_reply(&r, anthropic, 429, anthropic ? "rate_limit_error" : "rate_limit_exceeded",
				    "simulated concurrency limit reached (skillsmith-sim --max-concurrency)");
			r.fault = "concurrency";
			goto send;
		}
	}
	if (api) {
		rq->counted = 1;
		if (++S.in_flight > S.peak)
			S.peak = S.in_flight;
	}
	pthread_mutex_unlock(&S.lock);

	if (rq->too_big) {
		error_reply(&r, anthropic, 413, "invalid_request_error", "request body too large");
		goto send;
	}
	if (!strcmp(method, "GET") && !strcmp(path, "/models")) {
		openai_models(&r);
		goto send;
	}
	if (!strcmp(method, "GET") && !strcmp(path, "/sim/stats")) {
		stats_reply(&r);
		goto send;
	}
	if (!strcmp(method, "GET") && (!strcmp(path, "/health") || !strcmp(path, "/"))) {
		reply_set(&r, 200, xstrdup("{\"status\": \"ok\", \"simulation\": true, "
					   "\"server\": \"skillsmith-sim\"}"));
		goto send;
	}
	if (!api) {
		error_reply(&r, anthropic, 404, "not_found_error", "no such endpoint in the simulator");
		goto send;
	}
	req = cJSON_ParseWithLength(rq->body.buf, rq->body.len);
	if (!cJSON_IsObject(req)) {
		error_reply(&r, anthropic, 400, "invalid_request_error",
			    "the request body is not a JSON object");
		goto send;
	}

	{
		uint64_t bh = ss_hash64(rq->body.buf, rq->body.len);
		int occ = seen_bump_locked(sim_mix64(bh ^ sim_mix64(S.opt->seed)));
		uint64_t lk = sim_mix64(bh ^ sim_mix64((uint64_t)occ) ^ S.opt->seed);
		enum sim_fault f = draw_fault(bh, occ);

		latency = (int64_t)sim_latency_sample(&S.opt->latency, sim_unit(lk), sim_unit(lk ^ 0xabcdULL));
		if (!strcmp(path, "/chat/completions"))
			openai_chat(&r, req, bh, rq->body.len);
		else if (anthropic)
			anthropic_messages(&r, req, bh, rq->body.len);
		else
			openai_embeddings(&r, req);
		nap(latency);
		if (f != FAULT_NONE && r.status == 200) {
			apply_fault(&r, f, anthropic);
			pthread_mutex_lock(&S.lock);
			S.faults[f]++;
			pthread_mutex_unlock(&S.lock);
		}
	}

send:
	log_request(method, path, rq, &r,  latency,
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "stream")));
	ret = send_reply(conn, &r);
	free(r.body);
	free(r.events);
	cJSON_Delete(req);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	if (!rq)
		return;
	if (rq->counted) {
		pthread_mutex_lock(&S.lock);
		S.in_flight--;
		pthread_cond_broadcast(&S.wake);
		pthread_mutex_unlock(&S.lock);
	}
	buf_release(&rq->body);
	cJSON_Delete(rq->headers);
	free(rq);
	*con_cls = NULL;
}

int sim_serve(const struct sim_options *opt, const struct sim_suite *suite)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig, port;

	memset(&S, 0, sizeof(S));
	S.opt = opt;
	S.suite = suite;
	pthread_mutex_init(&S.lock, NULL);
	pthread_cond_init(&S.wake, NULL);
	if (opt->request_log) {
		S.log = fopen(opt->request_log, "a");
		if (!S.log) {
			error("cannot open request log '%s': %s", opt->request_log, strerror(errno));
			return 2;
		}
	}

	/* signals are taken by sigwait() below; every thread inherits the mask */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)opt->port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	S.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				    MHD_USE_AUTO | MHD_USE_ERROR_LOG,
				    (uint16_t)opt->port, NULL, NULL, handle, NULL,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
				    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)512,
				    MHD_OPTION_END);
	if (!S.daemon) {
		error("cannot listen on 127.0.0.1:%d", opt->port);
		return 3;
	}
	info = MHD_get_daemon_info(S.daemon, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : opt->port;
	printf("listening on http://127.0.0.1:%d\n", port);
	fflush(stdout);
	if (opt->pid_file) {
		char *s = xasprintf("%ld\n", (long)getpid());
		if (ss_write_file(opt->pid_file, s, strlen(s)) < 0)
			warning("cannot write pid file '%s': %s", opt->pid_file, ss_err_last());
		free(s);
	}
	fprintf(stderr, "skillsmith-sim: SIMULATED LLM provider on http://127.0.0.1:%d "
		"(seed %llu, %d suite instances)\n", port, (unsigned long long)opt->seed, suite->n);

	while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	pthread_mutex_lock(&S.lock);
	S.stopping = 1;
	pthread_cond_broadcast(&S.wake);
	pthread_mutex_unlock(&S.lock);
	MHD_stop_daemon(S.daemon);
	fprintf(stderr, "skillsmith-sim: stopped after %lld requests (peak %d in flight)\n",
		(long long)S.requests, S.peak);
	if (S.log)
		fclose(S.log);
	if (opt->pid_file)
		unlink(opt->pid_file);
	free(S.seen);
	return 0;
}
