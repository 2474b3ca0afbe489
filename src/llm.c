/*
 * The LLM client: queueing, rate limits, transfers on the event loop,
 * retries, the response cache, accounting and budget caps.  The wire
 * formats live in llm_openai.c and llm_anthropic.c.
 *
 * A call moves QUEUED -> RUNNING -> (WAITING -> QUEUED -> RUNNING)* -> done.
 * A provider starts a queued call when it has a free concurrency slot and
 * its request and token buckets allow; otherwise a wake-up timer is set for
 * when they will.  Retry waits are loop timers too: nothing ever sleeps.
 */
#include "skillsmith/llm.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/loop.h"
#include "skillsmith/sse.h"
#include "skillsmith/store.h"
#include "llm_priv.h"

#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define RESPONSE_MAX (64u << 20)   /* refuse bodies larger than this */
#define HEADER_WAIT_MAX 600000     /* cap on a server-requested retry wait, ms */

struct prov {
	struct llm *L;
	const struct provider_config *pc;
	char *key;                 /* from the environment; only in headers */
	char *base_url;
	char *chat_url, *embed_url;
	int use_mct;               /* max_completion_tokens (OpenAI's own API) */
	int openrouter;
	int conc;
	int active;
	struct call *qhead, *qtail;
	double rpm_tok, tpm_tok;
	int64_t refill_at;
	uint64_t wake_timer;
	struct curl_slist *headers;
};

struct stage_usage {
	char *stage;
	struct llm_usage u;
};

struct embed_job {
	llm_embed_fn done;
	void *payload;
	int n, dim, remaining, status;
	float **vecs;
	char *error;
};

struct attempt {
	int http_status;
	char *error;
	int64_t wait_ms;           /* -1: no retry followed */
};

enum call_state { CS_QUEUED, CS_RUNNING, CS_WAITING };

/* An llm_calls row (and its attempts) not yet written. */
struct call_row {
	int64_t id;
	char *stage, *role, *model, *error;
	const char *provider, *status;
	char hash[65];
	int http_status, attempts, prompt, completion, cached;
	double cost;
	int64_t latency, created;
	struct attempt *att;
	size_t nr_att;
};

/* An llm_cache row not yet written. */
struct cache_row {
	char hash[65];
	char *json;
	int prompt, completion;
	int64_t created;
};

struct call {
	struct llm *L;
	struct prov *P;
	enum call_state state;
	char *role, *stage, *model, *schema_name;
	int want_json;
	char *body;
	size_t body_len;
	char hash[65];
	int use_cache;
	int cache_hit;             /* served from llm_cache, no HTTP */
	char *cached_json;
	int est;                   /* token estimate for the tpm bucket */
	int stream;
	llm_done_fn done;
	void *payload;
	struct embed_job *job;
	int off, n;                /* embedding batch: texts [off, off+n) */

	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
	struct buf resp;
	struct sse sse;
	int sse_mode;              /* the 2xx reply is an event stream */
	struct llm_acc acc;
	long http_status;
	char *h_retry_ms, *h_retry, *h_should;
	int attempts;
	int64_t t0;
	int64_t last_rx;           /* when the stream last delivered bytes */
	uint64_t timer;
	uint64_t idle_timer;
	struct attempt *att;
	size_t nr_att, alloc_att;

	struct call *qnext;
	struct call *prev, *next;
};

struct llm {
	const struct config *cfg;
	struct store *st;
	char *run_id;
	struct loop *loop;
	int own_loop;
	struct prov *provs;
	int nr_provs;
	struct call *calls;
	int pending;
	int holds;                 /* llm_hold() minus llm_unhold() */
	volatile sig_atomic_t stop_req;
	uint64_t tick_id;
	struct stage_usage *su;
	size_t nr_su, alloc_su;
	int64_t spent_tokens;      /* this run, earlier sessions included */
	double spent_cost;
	int over_budget;
	struct ss_rng rng;
	CURL **pool;
	size_t nr_pool, alloc_pool;
	sqlite3_stmt *q_call, *q_att, *q_cache_get, *q_cache_put;
	int trace;
	struct call_row *rows;
	size_t nr_rows, alloc_rows;
	struct cache_row *cache_rows;
	size_t nr_cache_rows, alloc_cache_rows;
	int64_t rows_since;        /* when the oldest unwritten row was made, 0: none */
	int64_t next_call_id;
};

static void dispatch(struct prov *P);
static double rpm_cap(const struct provider_config *pc);
static double tpm_cap(const struct provider_config *pc);
static char *cache_json(const struct call *c);
static void finish_err(struct call *c, int status, const char *err);

/* ---- redaction ----------------------------------------------------------- */

static const char *const secret_headers[] = {
	"authorization:", "proxy-authorization:", "x-api-key:", "api-key:",
};

char *llm_redact(const char *text, const char *secret)
{
	struct buf out = BUF_INIT;
	size_t slen = secret ? strlen(secret) : 0;
	const char *p = text ? text : "";

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p + 1) : strlen(p);
		size_t hdr = 0;
		for (size_t i = 0; i < ARRAY_SIZE(secret_headers); i++) {
			size_t hl = strlen(secret_headers[i]);
			if (n >= hl && !strncasecmp(p, secret_headers[i], hl)) {
				hdr = hl;
				break;
			}
		}
		if (hdr) {
			const char *v = p + hdr;
			while (*v == ' ' || *v == '\t')
				v++;
			buf_add(&out, p, (size_t)(v - p));
			if (!strncasecmp(v, "Bearer ", 7))
				buf_adds(&out, "Bearer ");
			buf_adds(&out, "[redacted]");
			const char *end = p + n;
			while (end > v && (end[-1] == '\n' || end[-1] == '\r'))
				end--;
			buf_add(&out, end, (size_t)(p + n - end));
		} else if (slen) {
			const char *q = p, *lim = p + n;
			while (q < lim) {
				const char *hit = memmem(q, (size_t)(lim - q), secret, slen);
				if (!hit) {
					buf_add(&out, q, (size_t)(lim - q));
					break;
				}
				buf_add(&out, q, (size_t)(hit - q));
				buf_adds(&out, "[redacted]");
				q = hit + slen;
			}
		} else {
			buf_add(&out, p, n);
		}
		p += n;
	}
	return buf_detach(&out, NULL);
}

/* ---- providers ----------------------------------------------------------- */

static struct prov *find_prov(struct llm *L, const char *name)
{
	for (int i = 0; i < L->nr_provs; i++)
		if (name && !strcmp(L->provs[i].pc->name, name))
			return &L->provs[i];
	if (!name && L->nr_provs == 1)
		return &L->provs[0];
	return NULL;
}

static int has_header(char **headers, const char *name)
{
	size_t n = strlen(name);
	for (char **h = headers; h && *h; h++)
		if (!strncasecmp(*h, name, n) && (*h)[n] == ':')
			return 1;
	return 0;
}

static int prov_init(struct llm *L, struct prov *P, const struct provider_config *pc)
{
	P->L = L;
	P->pc = pc;
	if (pc->api_key_env && *pc->api_key_env) {
		const char *k = getenv(pc->api_key_env);
		if (!k || !*k)
			return ss_err_set(SS_EINPUT,
					  "provider '%s': environment variable '%s' (api_key_env) is not set",
					  pc->name, pc->api_key_env);
		P->key = xstrdup(k);
	}
	int anth = pc->kind == PROVIDER_ANTHROPIC;
	const char *base = pc->base_url && *pc->base_url ? pc->base_url :
		anth ? "https://api.anthropic.com/v1" : "https://api.openai.com/v1";
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	P->base_url = xstrndup(base, bl);
	P->chat_url = xasprintf("%s%s", P->base_url, anth ? "/messages" : "/chat/completions");
	P->embed_url = xasprintf("%s/embeddings", P->base_url);
	P->use_mct = !anth && strstr(P->base_url, "://api.openai.com") != NULL;
	P->openrouter = !anth && strstr(P->base_url, "openrouter.ai") != NULL;
	P->conc = pc->concurrency > 0 ? pc->concurrency : 8;
	P->rpm_tok = rpm_cap(pc);
	P->tpm_tok = tpm_cap(pc);
	P->refill_at = ss_now_ms();

	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (anth) {
		char *v = xasprintf("anthropic-version: %s",
				    pc->anthropic_version ? pc->anthropic_version : "2023-06-01");
		h = curl_slist_append(h, v);
		free(v);
		if (P->key) {
			v = xasprintf("x-api-key: %s", P->key);
			h = curl_slist_append(h, v);
			free(v);
		}
	} else if (P->key) {
		char *v = xasprintf("Authorization: Bearer %s", P->key);
		h = curl_slist_append(h, v);
		free(v);
	}
	if (P->openrouter) {
		if (!has_header(pc->headers, "HTTP-Referer"))
			h = curl_slist_append(h, "HTTP-Referer: https://github.com/skillsmith/skillsmith");
		if (!has_header(pc->headers, "X-Title"))
			h = curl_slist_append(h, "X-Title: skillsmith");
	}
	for (char **x = pc->headers; x && *x; x++)
		h = curl_slist_append(h, *x);
	P->headers = h;
	return 0;
}

static void prov_release(struct prov *P)
{
	if (P->key) {
		memset(P->key, 0, strlen(P->key));
		free(P->key);
	}
	free(P->base_url);
	free(P->chat_url);
	free(P->embed_url);
	curl_slist_free_all(P->headers);
}

/* ---- token buckets ------------------------------------------------------- */

/*
 * Providers enforce per-minute limits over short windows ("60 RPM" may mean
 * one request a second), so the buckets hold one second's worth: a burst
 * never exceeds rpm/60 requests or tpm/60 tokens (at least 1 request, and
 * a request bigger than the token bucket waits for a full bucket).
 */
static double rpm_cap(const struct provider_config *pc)
{
	return pc->rpm > 60 ? pc->rpm / 60.0 : 1;
}

static double tpm_cap(const struct provider_config *pc)
{
	return pc->tpm / 60.0 > 1 ? pc->tpm / 60.0 : 1;
}

static void refill(struct prov *P)
{
	int64_t now = ss_now_ms();
	double dt = (double)(now - P->refill_at);
	P->refill_at = now;
	if (P->pc->rpm > 0)
		P->rpm_tok = fmin(rpm_cap(P->pc), P->rpm_tok + dt * P->pc->rpm / 60000.0);
	if (P->pc->tpm > 0)
		P->tpm_tok = fmin(tpm_cap(P->pc), P->tpm_tok + dt * P->pc->tpm / 60000.0);
}

/* Milliseconds until a call estimated at `est` tokens may start. */
static int64_t bucket_wait(struct prov *P, int est)
{
	double w = 0;
	refill(P);
	if (P->pc->rpm > 0 && P->rpm_tok < 1)
		w = (1 - P->rpm_tok) * 60000.0 / P->pc->rpm;
	if (P->pc->tpm > 0) {
		double need = fmin(est, tpm_cap(P->pc));
		if (P->tpm_tok < need)
			w = fmax(w, (need - P->tpm_tok) * 60000.0 / P->pc->tpm);
	}
	return (int64_t)ceil(w);
}

/* ---- calls --------------------------------------------------------------- */

static struct call *call_new(struct llm *L, struct prov *P, const char *role,
			     const char *stage, const char *model)
{
	struct call *c = xcalloc(1, sizeof(*c));
	c->L = L;
	c->P = P;
	c->role = xstrdup(role ? role : "");
	c->stage = xstrdup(stage ? stage : "");
	c->model = xstrdup(model ? model : "");
	buf_init(&c->resp, 0);
	c->resp.cap = RESPONSE_MAX;
	llm_acc_init(&c->acc);
	c->t0 = ss_now_ms();
	c->next = L->calls;
	if (L->calls)
		L->calls->prev = c;
	L->calls = c;
	L->pending++;
	return c;
}

static void clear_headers(struct call *c)
{
	free(c->h_retry_ms);
	free(c->h_retry);
	free(c->h_should);
	c->h_retry_ms = c->h_retry = c->h_should = NULL;
}

/* Take the call off the client's list (it no longer counts as pending). */
static void call_unlink(struct call *c)
{
	struct llm *L = c->L;
	if (c->prev)
		c->prev->next = c->next;
	else
		L->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	L->pending--;
}

/* Free an unlinked call. */
static void call_free(struct call *c)
{
	free(c->role);
	free(c->stage);
	free(c->model);
	free(c->schema_name);
	free(c->body);
	free(c->cached_json);
	buf_release(&c->resp);
	if (c->stream)
		sse_release(&c->sse);
	llm_acc_release(&c->acc);
	clear_headers(c);
	for (size_t i = 0; i < c->nr_att; i++)
		free(c->att[i].error);
	free(c->att);
	free(c);
}

static void enqueue(struct prov *P, struct call *c, int front)
{
	c->state = CS_QUEUED;
	c->qnext = NULL;
	if (front) {
		c->qnext = P->qhead;
		P->qhead = c;
		if (!P->qtail)
			P->qtail = c;
	} else {
		if (P->qtail)
			P->qtail->qnext = c;
		else
			P->qhead = c;
		P->qtail = c;
	}
}

static void dequeue(struct prov *P, struct call *c)
{
	struct call **pp = &P->qhead, *prev = NULL;
	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (!*pp)
		return;
	*pp = c->qnext;
	if (P->qtail == c)
		P->qtail = prev;
	c->qnext = NULL;
}

static CURL *pool_get(struct llm *L)
{
	if (L->nr_pool) {
		CURL *e = L->pool[--L->nr_pool];
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void pool_put(struct llm *L, CURL *e)
{
	ALLOC_GROW(L->pool, L->nr_pool + 1, L->alloc_pool);
	L->pool[L->nr_pool++] = e;
}

/* ---- accounting ---------------------------------------------------------- */

static struct llm_usage *stage_usage(struct llm *L, const char *stage)
{
	for (size_t i = 0; i < L->nr_su; i++)
		if (!strcmp(L->su[i].stage, stage))
			return &L->su[i].u;
	ALLOC_GROW(L->su, L->nr_su + 1, L->alloc_su);
	struct stage_usage *s = &L->su[L->nr_su++];
	memset(s, 0, sizeof(*s));
	s->stage = xstrdup(stage);
	return &s->u;
}

static const struct price *find_price(const struct provider_config *pc, const char *model)
{
	const struct price *star = NULL;
	for (int i = 0; i < pc->nr_prices; i++) {
		if (!strcmp(pc->prices[i].model, model))
			return &pc->prices[i];
		if (!strcmp(pc->prices[i].model, "*"))
			star = &pc->prices[i];
	}
	return star;
}

/*
 * Cost of a call: the provider's own figure when it reports one
 * (OpenRouter's usage.cost), else the price table per million tokens.
 * Cached prompt tokens are priced as `cached`; Anthropic cache writes at
 * 1.25 times the prompt price, as Anthropic bills them.
 */
static double call_cost(const struct call *c)
{
	const struct llm_acc *a = &c->acc;
	if (a->has_cost)
		return a->cost;
	const struct price *p = find_price(c->P->pc, c->model);
	if (!p)
		return 0;
	double plain = a->prompt - a->cached - a->cache_write;
	if (plain < 0)
		plain = 0;
	return (plain * p->prompt + a->cached * p->cached + a->cache_write * p->prompt * 1.25 +
		a->completion * p->completion) / 1e6;
}

static void check_budget(struct llm *L)
{
	const struct config *cfg = L->cfg;
	if ((cfg->budget_tokens > 0 && L->spent_tokens >= cfg->budget_tokens) ||
	    (cfg->budget_cost > 0 && L->spent_cost >= cfg->budget_cost))
		L->over_budget = 1;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/*
 * Accounting rows are written behind: kept in memory and flushed in one
 * transaction when the client goes idle, 20 ms after the first unwritten
 * row, or at 256 rows, so a busy client does not pay a commit per call.
 * Row ids are handed out here (after the store's largest), so the callback
 * already knows its call_id.  A kill loses at most the last 20 ms of rows.
 */
#define FLUSH_MS 20
#define FLUSH_ROWS 256

static int64_t record_call(struct call *c, const char *status, const char *error,
			   double cost, int64_t latency)
{
	struct llm *L = c->L;
	if (!L->st)
		return 0;
	ALLOC_GROW(L->rows, L->nr_rows + 1, L->alloc_rows);
	struct call_row *r = &L->rows[L->nr_rows++];
	memset(r, 0, sizeof(*r));
	r->id = ++L->next_call_id;
	r->stage = xstrdup(c->stage);
	r->role = xstrdup(c->role);
	r->provider = c->P->pc->name;
	r->model = xstrdup(c->model);
	memcpy(r->hash, c->hash, sizeof(r->hash));
	r->status = status;
	r->http_status = (int)c->http_status;
	r->attempts = c->attempts;
	r->prompt = c->acc.prompt;
	r->completion = c->acc.completion;
	r->cached = c->acc.cached;
	r->cost = cost;
	r->latency = latency;
	r->error = error ? xstrdup(error) : NULL;
	r->created = ss_wall_s();
	r->att = c->att;
	r->nr_att = c->nr_att;
	c->att = NULL;
	c->nr_att = c->alloc_att = 0;
	if (!L->rows_since)
		L->rows_since = ss_now_ms();
	return r->id;
}

static void record_cache(struct call *c)
{
	struct llm *L = c->L;
	ALLOC_GROW(L->cache_rows, L->nr_cache_rows + 1, L->alloc_cache_rows);
	struct cache_row *r = &L->cache_rows[L->nr_cache_rows++];
	memcpy(r->hash, c->hash, sizeof(r->hash));
	r->json = cache_json(c);
	r->prompt = c->acc.prompt;
	r->completion = c->acc.completion;
	r->created = ss_wall_s();
	if (!L->rows_since)
		L->rows_since = ss_now_ms();
}

static int insert_call_row(struct llm *L, const struct call_row *r, int with_id)
{
	sqlite3_stmt *s = L->q_call;
	sqlite3_reset(s);
	if (with_id)
		sqlite3_bind_int64(s, 1, r->id);
	else
		sqlite3_bind_null(s, 1);
	bind_text(s, 2, L->run_id);
	bind_text(s, 3, r->stage);
	bind_text(s, 4, r->role);
	bind_text(s, 5, r->provider);
	bind_text(s, 6, r->model);
	bind_text(s, 7, r->hash);
	bind_text(s, 8, r->status);
	if (r->http_status)
		sqlite3_bind_int(s, 9, r->http_status);
	else
		sqlite3_bind_null(s, 9);
	sqlite3_bind_int(s, 10, r->attempts);
	sqlite3_bind_int(s, 11, r->prompt);
	sqlite3_bind_int(s, 12, r->completion);
	sqlite3_bind_int(s, 13, r->cached);
	sqlite3_bind_double(s, 14, r->cost);
	sqlite3_bind_int64(s, 15, r->latency);
	bind_text(s, 16, r->error);
	sqlite3_bind_int64(s, 17, r->created);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void free_rows(struct llm *L)
{
	for (size_t i = 0; i < L->nr_rows; i++) {
		struct call_row *r = &L->rows[i];
		free(r->stage);
		free(r->role);
		free(r->model);
		free(r->error);
		for (size_t k = 0; k < r->nr_att; k++)
			free(r->att[k].error);
		free(r->att);
	}
	for (size_t i = 0; i < L->nr_cache_rows; i++)
		free(L->cache_rows[i].json);
	L->nr_rows = L->nr_cache_rows = 0;
	L->rows_since = 0;
}

/* Write the pending rows in one transaction; kept for later if the store is busy. */
static void flush_rows(struct llm *L)
{
	if (!L->st || (!L->nr_rows && !L->nr_cache_rows))
		return;
	if (store_begin(L->st) < 0)
		return;
	for (size_t i = 0; i < L->nr_cache_rows; i++) {
		struct cache_row *r = &L->cache_rows[i];
		sqlite3_stmt *s = L->q_cache_put;
		sqlite3_reset(s);
		bind_text(s, 1, r->hash);
		bind_text(s, 2, r->json);
		sqlite3_bind_int(s, 3, r->prompt);
		sqlite3_bind_int(s, 4, r->completion);
		sqlite3_bind_int64(s, 5, r->created);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	for (size_t i = 0; i < L->nr_rows; i++) {
		struct call_row *r = &L->rows[i];
		int64_t id = r->id;
		if (insert_call_row(L, r, 1) < 0) {
			/* another writer took the id: keep the row under a new one */
			if (insert_call_row(L, r, 0) < 0)
				continue;
			id = sqlite3_last_insert_rowid(L->st->db);
		}
		for (size_t k = 0; k < r->nr_att; k++) {
			sqlite3_stmt *a = L->q_att;
			sqlite3_reset(a);
			sqlite3_bind_int64(a, 1, id);
			sqlite3_bind_int(a, 2, (int)k + 1);
			if (r->att[k].http_status)
				sqlite3_bind_int(a, 3, r->att[k].http_status);
			else
				sqlite3_bind_null(a, 3);
			bind_text(a, 4, r->att[k].error);
			if (r->att[k].wait_ms >= 0)
				sqlite3_bind_int64(a, 5, r->att[k].wait_ms);
			else
				sqlite3_bind_null(a, 5);
			sqlite3_step(a);
			sqlite3_reset(a);
		}
	}
	if (store_commit(L->st) < 0) {
		store_rollback(L->st);
		return;
	}
	free_rows(L);
}

static void maybe_flush(struct llm *L)
{
	if (!L->rows_since)
		return;
	if (L->pending == 0 || L->nr_rows + L->nr_cache_rows >= FLUSH_ROWS ||
	    ss_now_ms() - L->rows_since >= FLUSH_MS)
		flush_rows(L);
}

/* ---- results ------------------------------------------------------------- */

/* OpenAI-style tool_calls of an attempt, or NULL when there are none. */
static cJSON *tool_calls_json(const struct llm_acc *a)
{
	cJSON *arr = NULL;
	for (size_t i = 0; i < a->nr_tcs; i++) {
		const struct llm_tc *t = &a->tcs[i];
		if (!t->name)
			continue;
		if (!arr)
			arr = cJSON_CreateArray();
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", t->id ? t->id : "");
		cJSON_AddStringToObject(o, "type", "function");
		cJSON *fn = cJSON_AddObjectToObject(o, "function");
		cJSON_AddStringToObject(fn, "name", t->name);
		cJSON_AddStringToObject(fn, "arguments", t->args.len ? t->args.buf : "{}");
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The normalised response kept in llm_cache. */
static char *cache_json(const struct call *c)
{
	const struct llm_acc *a = &c->acc;
	cJSON *o = cJSON_CreateObject();
	if (c->job) {
		cJSON *vs = cJSON_AddArrayToObject(o, "vectors");
		for (int i = 0; i < a->nvec; i++) {
			cJSON *v = cJSON_CreateArray();
			for (int k = 0; k < a->dim; k++)
				cJSON_AddItemToArray(v, cJSON_CreateNumber(a->vecs[i][k]));
			cJSON_AddItemToArray(vs, v);
		}
	} else {
		cJSON_AddStringToObject(o, "text", a->text.buf);
		cJSON *tc = tool_calls_json(a);
		if (tc)
			cJSON_AddItemToObject(o, "tool_calls", tc);
		if (a->finish)
			cJSON_AddStringToObject(o, "finish_reason", a->finish);
	}
	cJSON *u = cJSON_AddObjectToObject(o, "usage");
	cJSON_AddNumberToObject(u, "prompt", a->prompt);
	cJSON_AddNumberToObject(u, "completion", a->completion);
	cJSON_AddNumberToObject(u, "cached", a->cached);
	cJSON_AddNumberToObject(u, "cache_write", a->cache_write);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int num_field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
}

/* Fill the attempt result from a cache row; -1 if the row is unusable. */
static int load_cached(struct call *c, const char *json)
{
	struct llm_acc *a = &c->acc;
	cJSON *o = cJSON_Parse(json);
	int rc = 0;
	if (!o)
		return -1;
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "usage");
	a->prompt = num_field(u, "prompt");
	a->completion = num_field(u, "completion");
	a->cached = num_field(u, "cached");
	a->cache_write = num_field(u, "cache_write");
	if (c->job) {
		const cJSON *vs = cJSON_GetObjectItemCaseSensitive(o, "vectors"), *v;
		if (cJSON_GetArraySize(vs) != c->n) {
			rc = -1;
			goto cleanup;
		}
		a->vecs = xcalloc((size_t)c->n, sizeof(*a->vecs));
		a->nvec = c->n;
		int i = 0;
		cJSON_ArrayForEach(v, vs) {
			int dim = cJSON_GetArraySize(v), k = 0;
			if (!dim || (a->dim && dim != a->dim)) {
				rc = -1;
				goto cleanup;
			}
			a->dim = dim;
			a->vecs[i] = xmalloc((size_t)dim * sizeof(float));
			const cJSON *x;
			cJSON_ArrayForEach(x, v)
				a->vecs[i][k++] = (float)x->valuedouble;
			i++;
		}
	} else {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
		if (!cJSON_IsString(t)) {
			rc = -1;
			goto cleanup;
		}
		buf_adds(&a->text, t->valuestring);
		const cJSON *tc;
		int i = 0;
		cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(o, "tool_calls")) {
			struct llm_tc *x = llm_acc_tc(a, i++);
			const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
			const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
			x->id = xstrdup(cJSON_IsString(id) ? id->valuestring : "");
			x->name = xstrdup(cJSON_IsString(name) ? name->valuestring : "");
			buf_adds(&x->args, cJSON_IsString(args) ? args->valuestring : "{}");
		}
		const cJSON *fr = cJSON_GetObjectItemCaseSensitive(o, "finish_reason");
		if (cJSON_IsString(fr))
			a->finish = xstrdup(fr->valuestring);
	}
cleanup:
	cJSON_Delete(o);
	return rc;
}

static void embed_job_step(struct call *c, int status, const char *err)
{
	struct embed_job *j = c->job;
	if (!status) {
		if (j->dim && j->dim != c->acc.dim) {
			status = SS_EPROVIDER;
			err = "embeddings of different dimensions in one request";
		} else {
			j->dim = c->acc.dim;
			for (int i = 0; i < c->n; i++) {
				j->vecs[c->off + i] = c->acc.vecs[i];
				c->acc.vecs[i] = NULL;
			}
		}
	}
	if (status && !j->status) {
		j->status = status;
		j->error = xstrdup(err ? err : "embedding failed");
	}
	if (--j->remaining > 0)
		return;
	if (j->status)
		j->done(j->status, j->error, NULL, 0, 0, j->payload);
	else
		j->done(0, NULL, j->vecs, j->n, j->dim, j->payload);
	for (int i = 0; i < j->n; i++)
		free(j->vecs[i]);
	free(j->vecs);
	free(j->error);
	free(j);
}

/* Hand the result to the caller, then forget the call. */
static void deliver(struct call *c, int status, const char *err, double cost, int64_t call_id)
{
	call_unlink(c);
	if (c->job) {
		embed_job_step(c, status, err);
		call_free(c);
		return;
	}
	struct llm_response r;
	memset(&r, 0, sizeof(r));
	cJSON *tcs = status ? NULL : tool_calls_json(&c->acc);
	cJSON *json = NULL;
	r.status = status;
	r.text = status ? "" : c->acc.text.buf;
	r.tool_calls = tcs;
	if (!status && c->want_json)
		json = cJSON_ParseWithLength(c->acc.text.buf, c->acc.text.len);
	r.json = json;
	r.finish_reason = c->acc.finish;
	r.prompt_tokens = c->acc.prompt;
	r.completion_tokens = c->acc.completion;
	r.cached_tokens = c->acc.cached;
	r.cache_write_tokens = c->acc.cache_write;
	r.cost = cost;
	r.cached = c->cache_hit;
	r.http_status = (int)c->http_status;
	r.attempts = c->attempts;
	r.latency_ms = ss_now_ms() - c->t0;
	r.error = err;
	r.call_id = call_id;
	c->done(&r, c->payload);
	call_free(c);
	cJSON_Delete(tcs);
	cJSON_Delete(json);
}

/* Complete every call that has not started with `status` (budget, stop). */
static void flush_waiting(struct llm *L, int status, const char *msg, int running_too)
{
	for (struct call *c = L->calls; c;) {
		int take = c->state == CS_QUEUED ||
			   (c->state == CS_WAITING && (!c->cache_hit || running_too)) ||
			   (c->state == CS_RUNNING && running_too);
		if (!take) {
			c = c->next;
			continue;
		}
		if (c->state == CS_QUEUED) {
			dequeue(c->P, c);
		} else if (c->state == CS_WAITING) {
			loop_timer_cancel(L->loop, c->timer);
		} else {
			loop_curl_remove(L->loop, c->easy);
			pool_put(L, c->easy);
			c->easy = NULL;
			c->P->active--;
			if (c->idle_timer)
				loop_timer_cancel(L->loop, c->idle_timer);
			c->idle_timer = 0;
		}
		finish_err(c, status, msg);
		c = L->calls;   /* the list changed under the callback */
	}
}

static void finish_ok(struct call *c)
{
	struct llm *L = c->L;
	double cost = call_cost(c);
	int64_t latency = ss_now_ms() - c->t0, id = 0;
	int total = c->acc.prompt + c->acc.completion;

	if (L->st) {
		if (c->use_cache)
			record_cache(c);
		id = record_call(c, "ok", NULL, cost, latency);
	}
	struct llm_usage *u = stage_usage(L, c->stage);
	u->calls++;
	u->prompt_tokens += c->acc.prompt;
	u->completion_tokens += c->acc.completion;
	u->cached_tokens += c->acc.cached;
	u->cost += cost;
	L->spent_tokens += total;
	L->spent_cost += cost;
	if (c->P->pc->tpm > 0)
		c->P->tpm_tok -= total - c->est;
	int was_over = L->over_budget;
	check_budget(L);
	deliver(c, 0, NULL, cost, id);
	if (L->over_budget && !was_over)
		flush_waiting(L, SS_EBUDGET, "budget cap reached", 0);
}

static void finish_cached(struct call *c)
{
	struct llm *L = c->L;
	int64_t id = 0;
	if (L->st)
		id = record_call(c, "cached", NULL, 0, 0);
	struct llm_usage *u = stage_usage(L, c->stage);
	u->calls++;
	u->cached_calls++;
	deliver(c, 0, NULL, 0, id);
}

static void finish_err(struct call *c, int status, const char *err)
{
	struct llm *L = c->L;
	int64_t id = 0;
	char *msg = llm_redact(err, c->P->key);
	if (L->st && c->attempts > 0)
		id = record_call(c, "error", msg, 0, ss_now_ms() - c->t0);
	stage_usage(L, c->stage)->errors++;
	deliver(c, status, msg, 0, id);
	free(msg);
}

/* ---- transfers ----------------------------------------------------------- */

static int sse_cb(const char *event, const char *data, size_t len, void *payload)
{
	struct call *c = payload;
	if (c->P->pc->kind == PROVIDER_ANTHROPIC)
		return llm_anthropic_event(event, data, len, &c->acc);
	return llm_openai_event(event, data, len, &c->acc);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct call *c = userdata;
	size_t n = size * nmemb;
	c->last_rx = ss_now_ms();
	if (c->sse_mode) {
		if (sse_feed(&c->sse, ptr, n) < 0)
			return 0;   /* an error event or a bad chunk: stop here */
		return n;
	}
	if (buf_add(&c->resp, ptr, n) < 0)
		return 0;
	return n;
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name);
	if (n <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *userdata)
{
	struct call *c = userdata;
	size_t n = size * nitems;
	char *v;
	if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response (after 100 Continue or a redirect) */
		clear_headers(c);
		c->sse_mode = 0;
		const char *sp = memchr(line, ' ', n);
		c->http_status = sp ? strtol(sp + 1, NULL, 10) : 0;
	} else if ((v = header_value(line, n, "retry-after-ms"))) {
		free(c->h_retry_ms);
		c->h_retry_ms = v;
	} else if ((v = header_value(line, n, "retry-after"))) {
		free(c->h_retry);
		c->h_retry = v;
	} else if ((v = header_value(line, n, "x-should-retry"))) {
		free(c->h_should);
		c->h_should = v;
	} else if ((v = header_value(line, n, "content-type"))) {
		c->sse_mode = c->stream && c->http_status >= 200 && c->http_status < 300 &&
			      !strncasecmp(v, "text/event-stream", 17);
		free(v);
	}
	return n;
}

static int trace_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *userp)
{
	struct call *c = userp;
	const char *tag;
	switch (type) {
	case CURLINFO_HEADER_OUT: tag = "> "; break;
	case CURLINFO_HEADER_IN: tag = "< "; break;
	case CURLINFO_DATA_OUT: tag = ">> "; break;
	case CURLINFO_DATA_IN: tag = "<< "; break;
	default: return 0;
	}
	char *raw = xstrndup(data, size);
	char *safe = llm_redact(raw, c->P->key);
	fprintf(stderr, "%s%s%s", tag, safe,
		size && data[size - 1] == '\n' ? "" : "\n");
	free(raw);
	free(safe);
	return 0;
}

static void xfer_done(CURL *easy, CURLcode result, void *payload);
static void conclude(struct call *c, CURLcode result, long code, const char *why);

static int64_t idle_ms(const struct call *c)
{
	int s = c->P->pc->idle_timeout_s;
	return (int64_t)(s > 0 ? s : 120) * 1000;
}

/*
 * The idle-stream timer: a stream that delivers nothing for idle_timeout_s
 * is dropped and retried.  (curl's low-speed limit averages over several
 * seconds, so it cannot tell a stall from a slow stream soon enough.)
 */
static void idle_cb(void *payload)
{
	struct call *c = payload;
	int64_t quiet = ss_now_ms() - c->last_rx;
	c->idle_timer = 0;
	if (quiet < idle_ms(c)) {
		c->idle_timer = loop_timer_add(c->L->loop, idle_ms(c) - quiet, idle_cb, c);
		return;
	}
	CURL *e = c->easy;
	long code = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	loop_curl_remove(c->L->loop, e);
	c->easy = NULL;
	pool_put(c->L, e);
	c->P->active--;
	char *why = xasprintf("idle stream: no data for %lld s", (long long)(idle_ms(c) / 1000));
	conclude(c, CURLE_OPERATION_TIMEDOUT, code, why);
	free(why);
}

static int start(struct call *c)
{
	struct prov *P = c->P;
	const struct provider_config *pc = P->pc;
	CURL *e = pool_get(c->L);
	if (!e)
		return ss_err_set(SS_ERR, "curl_easy_init failed");
	c->easy = e;
	buf_reset(&c->resp);
	if (c->stream)
		sse_reset(&c->sse);
	llm_acc_release(&c->acc);
	clear_headers(c);
	c->http_status = 0;
	c->sse_mode = 0;
	c->errbuf[0] = 0;

	curl_easy_setopt(e, CURLOPT_URL, c->job ? P->embed_url : P->chat_url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, P->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "skillsmith/" SKILLSMITH_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)(pc->connect_timeout_s > 0 ? pc->connect_timeout_s : 10));
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)(pc->timeout_s > 0 ? pc->timeout_s : 600));
	if (c->L->trace) {
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, trace_cb);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, c);
	}
	c->attempts++;
	if (loop_curl_add(c->L->loop, e, xfer_done, c) < 0) {
		pool_put(c->L, e);
		c->easy = NULL;
		return SS_ERR;
	}
	c->state = CS_RUNNING;
	P->active++;
	if (c->stream) {
		c->last_rx = ss_now_ms();
		c->idle_timer = loop_timer_add(c->L->loop, idle_ms(c), idle_cb, c);
	}
	return 0;
}

static void start_failed_cb(void *payload)
{
	struct call *c = payload;
	finish_err(c, SS_EPROVIDER, "cannot start the HTTP transfer");
}

static void wake_cb(void *payload)
{
	struct prov *P = payload;
	P->wake_timer = 0;
	dispatch(P);
}

static void dispatch(struct prov *P)
{
	struct llm *L = P->L;
	while (P->qhead && P->active < P->conc && !L->over_budget && !L->stop_req) {
		struct call *c = P->qhead;
		int64_t w = bucket_wait(P, c->est);
		if (w > 0) {
			if (!P->wake_timer)
				P->wake_timer = loop_timer_add(L->loop, w, wake_cb, P);
			return;
		}
		dequeue(P, c);
		if (P->pc->rpm > 0)
			P->rpm_tok -= 1;
		if (P->pc->tpm > 0)
			P->tpm_tok -= c->est;
		if (start(c) < 0) {
			c->state = CS_WAITING;
			c->timer = loop_timer_add(L->loop, 0, start_failed_cb, c);
		}
	}
}

static int64_t retry_wait(struct call *c)
{
	const struct provider_config *pc = c->P->pc;
	int64_t w = -1;
	char *end;
	if (c->h_retry_ms) {
		double v = strtod(c->h_retry_ms, &end);
		if (end != c->h_retry_ms && v >= 0)
			w = (int64_t)ceil(v);
	}
	if (w < 0 && c->h_retry) {
		double v = strtod(c->h_retry, &end);
		if (end != c->h_retry && !*end && v >= 0) {
			w = (int64_t)ceil(v * 1000);
		} else {
			time_t t = curl_getdate(c->h_retry, NULL);
			if (t > 0)
				w = t > time(NULL) ? (int64_t)(t - time(NULL)) * 1000 : 0;
		}
	}
	if (w >= 0)
		return w > HEADER_WAIT_MAX ? HEADER_WAIT_MAX : w;
	/* exponential backoff, capped, with up to 25% jitter taken off */
	double b = pc->backoff_base_ms > 0 ? pc->backoff_base_ms : 0;
	double cap = pc->backoff_max_ms > 0 ? pc->backoff_max_ms : 30000;
	int shift = c->attempts - 1 < 30 ? c->attempts - 1 : 30;
	double d = fmin(cap, b * (double)(1u << shift));
	d *= 1.0 - 0.25 * ss_rng_double(&c->L->rng);
	return (int64_t)d;
}

static int retryable_status(long s)
{
	return s == 408 || s == 409 || s == 429 || s >= 500;
}

static int retryable_curl(CURLcode r)
{
	switch (r) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_WRITE_ERROR:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_PEER_FAILED_VERIFICATION:
		return 0;
	default:
		return 1;
	}
}

/* Stream error events that retrying cannot fix. */
static int fatal_error_type(const char *t)
{
	static const char *const fatal[] = {
		"invalid_request_error", "authentication_error", "permission_error",
		"not_found_error", "request_too_large",
	};
	for (size_t i = 0; t && i < ARRAY_SIZE(fatal); i++)
		if (!strcmp(t, fatal[i]))
			return 1;
	return 0;
}

static void retry_cb(void *payload)
{
	struct call *c = payload;
	c->timer = 0;
	if (c->L->over_budget) {
		finish_err(c, SS_EBUDGET, "budget cap reached");
		return;
	}
	struct prov *P = c->P;
	enqueue(P, c, 1);
	dispatch(P);
}

static void xfer_done(CURL *easy, CURLcode result, void *payload)
{
	struct call *c = payload;
	long code = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	c->easy = NULL;
	pool_put(c->L, easy);
	c->P->active--;
	conclude(c, result, code, NULL);
}

/* Judge a finished attempt: success, retry later, or final failure. */
static void conclude(struct call *c, CURLcode result, long code, const char *why)
{
	struct prov *P = c->P;
	struct llm *L = c->L;
	char *err = NULL;
	int retry = 0;

	c->http_status = code;
	if (c->idle_timer) {
		loop_timer_cancel(L->loop, c->idle_timer);
		c->idle_timer = 0;
	}
	if (why) {
		err = xstrdup(why);
		retry = 1;
	} else if (result != CURLE_OK && !(result == CURLE_WRITE_ERROR && c->acc.err_msg)) {
		if (result == CURLE_WRITE_ERROR && c->resp.len + CURL_MAX_WRITE_SIZE > RESPONSE_MAX)
			err = xstrdup("response larger than 64 MiB");
		else
			err = xasprintf("%s%s%s", curl_easy_strerror(result),
					c->errbuf[0] ? ": " : "", c->errbuf);
		retry = retryable_curl(result);
		size_t n = strlen(err);
		while (n && (err[n - 1] == '\n' || err[n - 1] == '\r'))
			err[--n] = 0;
	} else if (code < 200 || code >= 300) {
		char *msg = llm_error_message(c->resp.buf, c->resp.len, NULL);
		err = xasprintf("HTTP %ld: %s", code, msg ? msg : "no message from the provider");
		free(msg);
		retry = retryable_status(code);
	} else if (c->sse_mode) {
		if (c->acc.err_msg) {
			err = xasprintf("HTTP %ld: error in stream: %s%s%s%s", code, c->acc.err_msg,
					c->acc.err_type ? " (" : "", c->acc.err_type ? c->acc.err_type : "",
					c->acc.err_type ? ")" : "");
			retry = !fatal_error_type(c->acc.err_type);
		} else if (!c->acc.done) {
			err = xasprintf("HTTP %ld: the event stream ended before it was complete", code);
			retry = 1;
		}
	} else {
		int rc;
		if (c->job)
			rc = llm_openai_parse_embed(c->resp.buf, c->resp.len, c->n, &c->acc);
		else if (P->pc->kind == PROVIDER_ANTHROPIC)
			rc = llm_anthropic_parse(c->resp.buf, c->resp.len, &c->acc);
		else
			rc = llm_openai_parse(c->resp.buf, c->resp.len, &c->acc);
		if (rc < 0) {
			err = xasprintf("HTTP %ld: %s", code, c->acc.err_msg);
			retry = !fatal_error_type(c->acc.err_type);
		}
	}
	if (err && code && c->h_should) {
		if (!strcasecmp(c->h_should, "true"))
			retry = 1;
		else if (!strcasecmp(c->h_should, "false"))
			retry = 0;
	}

	if (!err) {
		finish_ok(c);
	} else {
		int max = P->pc->max_retries > 0 ? P->pc->max_retries : 0;
		int again = retry && c->attempts <= max && !L->stop_req && !L->over_budget;
		ALLOC_GROW(c->att, c->nr_att + 1, c->alloc_att);
		struct attempt *a = &c->att[c->nr_att++];
		a->http_status = (int)code;
		a->error = llm_redact(err, P->key);
		a->wait_ms = -1;
		if (again) {
			a->wait_ms = retry_wait(c);
			c->state = CS_WAITING;
			c->timer = loop_timer_add(L->loop, a->wait_ms, retry_cb, c);
		} else if (L->over_budget && retry) {
			finish_err(c, SS_EBUDGET, "budget cap reached");
		} else {
			finish_err(c, SS_EPROVIDER, err);
		}
	}
	free(err);
	dispatch(P);
}

/* ---- cache hits ---------------------------------------------------------- */

static void cache_cb(void *payload)
{
	struct call *c = payload;
	c->timer = 0;
	finish_cached(c);
}

/* Look the call up in llm_cache; 1 when it was found and loaded. */
static int cache_lookup(struct call *c)
{
	struct llm *L = c->L;
	sqlite3_stmt *s = L->q_cache_get;
	int found = 0;
	for (size_t i = L->nr_cache_rows; i-- > 0;)
		if (!memcmp(L->cache_rows[i].hash, c->hash, sizeof(c->hash)))
			return load_cached(c, L->cache_rows[i].json) == 0;
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, c->hash, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *js = (const char *)sqlite3_column_text(s, 0);
		if (js && load_cached(c, js) == 0)
			found = 1;
		else
			llm_acc_release(&c->acc);
	}
	sqlite3_reset(s);
	return found;
}

/* Either schedule the cached answer or queue the HTTP call. */
static void launch(struct call *c)
{
	if (c->use_cache && cache_lookup(c)) {
		c->cache_hit = 1;
		c->state = CS_WAITING;
		c->timer = loop_timer_add(c->L->loop, 0, cache_cb, c);
		return;
	}
	enqueue(c->P, c, 0);
	dispatch(c->P);
}

static void set_body(struct call *c, cJSON *o)
{
	c->body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	c->body_len = strlen(c->body);
	struct buf k = BUF_INIT;
	buf_addf(&k, "%s\n%s\n", c->P->base_url, c->model);
	buf_add(&k, c->body, c->body_len);
	ss_sha256_hex(k.buf, k.len, c->hash);
	buf_release(&k);
	c->est = (int)(c->body_len / 4) + 1;
}

static cJSON *chat_body(struct prov *P, const struct llm_request *req)
{
	if (P->pc->kind == PROVIDER_ANTHROPIC)
		return llm_anthropic_body(req, P->pc->stream);
	return llm_openai_body(req, P->use_mct, P->openrouter, P->pc->stream);
}

/* ---- public -------------------------------------------------------------- */

static void tick_cb(void *payload)
{
	struct llm *L = payload;
	if (L->stop_req && L->calls)
		flush_waiting(L, SS_ESTOPPED, "stopped", 1);
	maybe_flush(L);
}

static sqlite3_stmt *prep(struct llm *L, const char *sql)
{
	return L->st ? store_prepare(L->st, sql) : NULL;
}

int llm_new(struct llm **out, const struct config *cfg, struct store *st,
	    const char *run_id, struct loop *loop)
{
	struct llm *L = xcalloc(1, sizeof(*L));
	int rc = 0, total_conc = 0;
	*out = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	L->cfg = cfg;
	L->st = st;
	L->run_id = run_id ? xstrdup(run_id) : NULL;
	L->provs = xcalloc((size_t)(cfg->nr_providers > 0 ? cfg->nr_providers : 1), sizeof(*L->provs));
	for (int i = 0; i < cfg->nr_providers; i++) {
		rc = prov_init(L, &L->provs[i], &cfg->providers[i]);
		L->nr_provs = i + 1;
		if (rc < 0)
			goto fail;
		total_conc += L->provs[i].conc;
	}
	if (loop) {
		L->loop = loop;
	} else {
		if ((rc = loop_new(&L->loop)) < 0)
			goto fail;
		L->own_loop = 1;
	}
	curl_multi_setopt(loop_multi(L->loop), CURLMOPT_MAXCONNECTS, (long)total_conc + 8);
	if (st) {
		L->q_call = prep(L, "INSERT INTO llm_calls (id, run_id, stage, role, provider, model,"
				 " request_hash, status, http_status, attempts, prompt_tokens,"
				 " completion_tokens, cached_tokens, cost, latency_ms, error, created_at)"
				 " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
		L->q_att = prep(L, "INSERT OR REPLACE INTO llm_attempts (call_id, attempt, http_status,"
				" error, wait_ms) VALUES (?,?,?,?,?)");
		L->q_cache_get = prep(L, "SELECT response FROM llm_cache WHERE hash = ?");
		L->q_cache_put = prep(L, "INSERT OR REPLACE INTO llm_cache (hash, response,"
				      " prompt_tokens, completion_tokens, created_at) VALUES (?,?,?,?,?)");
		if (!L->q_call || !L->q_att || !L->q_cache_get || !L->q_cache_put) {
			rc = ss_err_prefix(SS_ERR, "llm: ");
			goto fail;
		}
		sqlite3_stmt *mx = store_prepare(st, "SELECT coalesce(max(id), 0) FROM llm_calls");
		if (mx && sqlite3_step(mx) == SQLITE_ROW)
			L->next_call_id = sqlite3_column_int64(mx, 0);
		sqlite3_finalize(mx);
		if (run_id) {
			sqlite3_stmt *s = store_prepare(st, "SELECT coalesce(sum(prompt_tokens +"
				" completion_tokens), 0), coalesce(sum(cost), 0) FROM llm_calls"
				" WHERE run_id = ? AND status = 'ok'");
			if (s) {
				sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
				if (sqlite3_step(s) == SQLITE_ROW) {
					L->spent_tokens = sqlite3_column_int64(s, 0);
					L->spent_cost = sqlite3_column_double(s, 1);
				}
				sqlite3_finalize(s);
			}
		}
	}
	check_budget(L);
	ss_rng_seed(&L->rng, (uint64_t)ss_now_us() ^ ((uint64_t)getpid() << 32));
	const char *tr = getenv("SKILLSMITH_HTTP_TRACE");
	L->trace = tr && *tr && strcmp(tr, "0");
	L->tick_id = loop_tick_add(L->loop, tick_cb, L);
	*out = L;
	return 0;
fail:
	llm_free(L);
	return rc;
}

void llm_free(struct llm *L)
{
	if (!L)
		return;
	if (L->calls) {
		L->stop_req = 1;
		flush_waiting(L, SS_ESTOPPED, "stopped", 1);
	}
	for (int i = 0; i < L->nr_provs; i++) {
		if (L->provs[i].wake_timer)
			loop_timer_cancel(L->loop, L->provs[i].wake_timer);
		prov_release(&L->provs[i]);
	}
	free(L->provs);
	if (L->loop) {
		if (L->tick_id)
			loop_tick_del(L->loop, L->tick_id);
		if (L->own_loop)
			loop_free(L->loop);
	}
	flush_rows(L);
	free_rows(L);
	free(L->rows);
	free(L->cache_rows);
	for (size_t i = 0; i < L->nr_pool; i++)
		curl_easy_cleanup(L->pool[i]);
	free(L->pool);
	for (size_t i = 0; i < L->nr_su; i++)
		free(L->su[i].stage);
	free(L->su);
	sqlite3_finalize(L->q_call);
	sqlite3_finalize(L->q_att);
	sqlite3_finalize(L->q_cache_get);
	sqlite3_finalize(L->q_cache_put);
	free(L->run_id);
	free(L);
}

static int submit_check(struct llm *L, struct prov *P, const char *name)
{
	if (!P)
		return ss_err_set(SS_EINPUT, "unknown provider '%s'", name ? name : "(none)");
	if (L->stop_req)
		return ss_err_set(SS_ESTOPPED, "the LLM client was stopped");
	if (L->over_budget)
		return ss_err_set(SS_EBUDGET, "budget cap reached (%lld tokens, %.4f spent)",
				  (long long)L->spent_tokens, L->spent_cost);
	return 0;
}

int llm_submit(struct llm *L, const struct llm_request *req, llm_done_fn done, void *payload)
{
	struct prov *P = find_prov(L, req->provider);
	int rc = submit_check(L, P, req->provider);
	if (rc < 0)
		return rc;
	struct call *c = call_new(L, P, req->role, req->stage, req->model);
	c->done = done;
	c->payload = payload;
	c->stream = P->pc->stream;
	if (c->stream)
		sse_init(&c->sse, sse_cb, c);
	if (req->schema_name && req->schema) {
		c->want_json = 1;
		c->schema_name = xstrdup(req->schema_name);
		c->acc.schema_tool = c->schema_name;
	}
	set_body(c, chat_body(P, req));
	c->use_cache = L->st && L->cfg->cache && !req->no_cache;
	launch(c);
	return 0;
}

int llm_embed(struct llm *L, const char *provider, const char *model, const char *stage,
	      const char *const *texts, int n, llm_embed_fn done, void *payload)
{
	struct prov *P = find_prov(L, provider);
	int rc = submit_check(L, P, provider);
	if (rc < 0)
		return rc;
	if (P->pc->kind == PROVIDER_ANTHROPIC)
		return ss_err_set(SS_EINPUT, "provider '%s': Anthropic has no embeddings API",
				  P->pc->name);
	if (n <= 0)
		return ss_err_set(SS_EINPUT, "no texts to embed");
	int batch = L->cfg->embed_batch > 0 ? L->cfg->embed_batch : 64;
	struct embed_job *j = xcalloc(1, sizeof(*j));
	j->done = done;
	j->payload = payload;
	j->n = n;
	j->vecs = xcalloc((size_t)n, sizeof(*j->vecs));
	j->remaining = (n + batch - 1) / batch;
	for (int off = 0; off < n; off += batch) {
		int k = n - off < batch ? n - off : batch;
		struct call *c = call_new(L, P, "embed", stage, model);
		c->job = j;
		c->off = off;
		c->n = k;
		set_body(c, llm_openai_embed_body(model, texts + off, k));
		c->use_cache = L->st && L->cfg->cache;
		launch(c);
	}
	return 0;
}

void llm_hold(struct llm *L)
{
	L->holds++;
}

void llm_unhold(struct llm *L)
{
	if (L->holds > 0)
		L->holds--;
}

int llm_wait(struct llm *L)
{
	while (L->pending > 0 || L->holds > 0) {
		if (L->stop_req) {
			flush_waiting(L, SS_ESTOPPED, "stopped", 1);
			break;
		}
		if (loop_run_once(L->loop, -1) < 0)
			return SS_ERR;
	}
	flush_rows(L);
	return L->stop_req ? SS_ESTOPPED : 0;
}

int llm_pending(struct llm *L)
{
	return L->pending;
}

void llm_stop(struct llm *L)
{
	L->stop_req = 1;
	loop_wakeup(L->loop);
}

void llm_usage(struct llm *L, const char *stage, struct llm_usage *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < L->nr_su; i++) {
		const struct llm_usage *u = &L->su[i].u;
		if (stage && strcmp(stage, L->su[i].stage))
			continue;
		out->calls += u->calls;
		out->cached_calls += u->cached_calls;
		out->errors += u->errors;
		out->prompt_tokens += u->prompt_tokens;
		out->completion_tokens += u->completion_tokens;
		out->cached_tokens += u->cached_tokens;
		out->cost += u->cost;
	}
}

void llm_run_totals(struct llm *L, int64_t *tokens, double *cost)
{
	if (tokens)
		*tokens = L->spent_tokens;
	if (cost)
		*cost = L->spent_cost;
}

int llm_over_budget(struct llm *L)
{
	return L->over_budget;
}

struct loop *llm_loop(struct llm *L)
{
	return L->loop;
}

char *llm_debug_request(struct llm *L, const struct llm_request *req)
{
	struct prov *P = find_prov(L, req->provider);
	if (!P) {
		ss_err_set(SS_EINPUT, "unknown provider '%s'", req->provider ? req->provider : "(none)");
		return NULL;
	}
	struct buf b = BUF_INIT;
	buf_addf(&b, "POST %s\n", P->chat_url);
	for (struct curl_slist *h = P->headers; h; h = h->next)
		if (strcmp(h->data, "Expect:"))
			buf_addf(&b, "%s\n", h->data);
	cJSON *o = chat_body(P, req);
	char *body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	buf_addf(&b, "\n%s\n", body);
	free(body);
	char *out = llm_redact(b.buf, P->key);
	buf_release(&b);
	return out;
}
