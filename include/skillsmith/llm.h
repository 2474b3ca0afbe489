#ifndef SKILLSMITH_LLM_H
#define SKILLSMITH_LLM_H
/*
 * LLM calls: OpenAI-compatible chat completions and embeddings, Anthropic
 * Messages.  Asynchronous over one curl multi handle driven by the event
 * loop (loop.h); retries, rate limits, the response cache and accounting
 * happen here.  Keys are read from the environment variable the provider
 * config names and never reach the store, a log or an error message.
 *
 * Usage: llm_new(), then llm_submit()/llm_embed() any number of requests,
 * then llm_wait() (or drive the loop yourself).  Each completion callback
 * runs exactly once, from inside the loop.
 *
 * Behaviour callers rely on:
 * - Requests: the body is built in a fixed key order and printed with
 *   cJSON_PrintUnformatted, so identical requests give identical bytes.
 *   OpenAI kind: one system message = system_prefix + system (concatenated
 *   as given, prefix first, so provider prefix caching applies); then the
 *   messages verbatim; tools; response_format {type: json_schema,
 *   json_schema: {name, schema, strict: true}}; temperature; the token limit
 *   as "max_completion_tokens" for api.openai.com and "max_tokens" for every
 *   other host (vLLM, llama.cpp, Ollama, OpenRouter, the simulator); seed
 *   when >= 0; stream + stream_options.include_usage when the provider has
 *   "stream": true.  OpenRouter hosts also get usage.include, HTTP-Referer
 *   and X-Title (unless the config's headers set them).
 *   Anthropic kind: system as text blocks, the system_prefix block marked
 *   cache_control {type: ephemeral}; messages as content blocks (assistant
 *   tool_calls -> tool_use, tool messages -> tool_result in a user turn);
 *   no seed (the API has none); a schema becomes one forced tool whose input
 *   is returned as the text.  Tool calls come back OpenAI-shaped and
 *   finish_reason is mapped to OpenAI's (stop, tool_calls, length).
 * - Retries on connection errors, timeouts, 408, 409, 429, 5xx, 529,
 *   malformed or truncated replies; retry-after-ms, then retry-after
 *   (seconds or HTTP date, capped at 10 minutes) set the wait, else
 *   backoff_base_ms * 2^n capped at backoff_max_ms, minus up to 25% jitter;
 *   x-should-retry: true/false overrides.  max_retries counts retries after
 *   the first attempt.  Final error: "HTTP <status>: <provider message>", or
 *   curl's message for connection failures.  Each failed attempt is a row
 *   in llm_attempts; each call one row in llm_calls.  These rows are written
 *   behind, in one transaction per batch: when the client goes idle, 20 ms
 *   after the first unwritten row, at 256 rows, at the end of llm_wait()
 *   and in llm_free() (a kill loses at most those last milliseconds).  The
 *   call_id given to the callback is the id the row will have.
 * - Cache: sha256(base_url "\n" model "\n" body) into llm_cache; hits make
 *   no HTTP request, complete with cached = 1 and cost 0, and are recorded
 *   in llm_calls with status 'cached' (their token columns are the original
 *   call's).  Billed totals are the rows with status 'ok'.
 * - Budget: tokens (prompt + completion) and cost of 'ok' calls of this
 *   run_id, including earlier sessions found in the store, against
 *   budget.max_tokens / max_cost.  When reached: llm_submit/llm_embed
 *   return SS_EBUDGET, calls not yet sent complete with SS_EBUDGET, calls in
 *   flight finish normally.  Cache hits never count.
 * - Limits: per provider `concurrency` transfers at once; rpm / tpm token
 *   buckets (the tpm estimate is body bytes / 4, corrected by the real
 *   usage afterwards); connect_timeout_s and timeout_s per attempt; a
 *   stream silent for idle_timeout_s is dropped and retried.
 */
#include <stdint.h>
#include <cjson/cJSON.h>

struct config;
struct store;
struct loop;
struct llm;

struct llm_request {
	const char *provider;     /* provider name in the config */
	const char *model;
	const char *role;         /* agent | optimizer | embed | judge (accounting) */
	const char *stage;        /* baseline | induce | generate | verify | ... */
	const char *system_prefix;/* cacheable head of the system prompt (the skill
				     slot and what precedes it), or NULL */
	const char *system;       /* rest of the system prompt, or NULL */
	const cJSON *messages;    /* OpenAI-style messages (user, assistant with
				     tool_calls, tool), borrowed */
	const cJSON *tools;       /* OpenAI-style tools array, borrowed, or NULL */
	const char *schema_name;  /* response_format json_schema name, or NULL */
	const cJSON *schema;      /* the JSON schema, borrowed, or NULL */
	double temperature;
	int max_tokens;
	int64_t seed;             /* < 0: not sent */
	int no_cache;             /* bypass the response cache for this call */
	const cJSON *tool_choice; /* OpenAI-style tool_choice ("auto", "required",
				     "none" or {type: function, function: {name}}),
				     borrowed, or NULL: not sent */
};

struct llm_response {
	int status;               /* 0, or SS_EPROVIDER / SS_EBUDGET / SS_ESTOPPED */
	const char *text;         /* assistant text ("" if none) */
	const cJSON *tool_calls;  /* OpenAI-style tool_calls array, or NULL */
	const cJSON *json;        /* text parsed as JSON when schema_name was set;
				     NULL if it did not parse */
	const char *finish_reason;
	int prompt_tokens;
	int completion_tokens;
	int cached_tokens;        /* provider prompt-cache hits */
	double cost;
	int cached;               /* served from the response cache */
	int http_status;
	int attempts;
	int64_t latency_ms;
	const char *error;        /* "HTTP 429: <provider message>" etc, or NULL */
	int64_t call_id;          /* row in llm_calls */
	int cache_write_tokens;   /* Anthropic cache_creation_input_tokens (part of
				     prompt_tokens; cached_tokens are the reads) */
};

/* Everything in *resp is valid only during the callback. */
typedef void (*llm_done_fn)(const struct llm_response *resp, void *payload);

/* vecs[i] has `dim` floats; valid only during the callback. */
typedef void (*llm_embed_fn)(int status, const char *error, float *const *vecs,
			     int n, int dim, void *payload);

struct llm_usage {
	int64_t calls;
	int64_t cached_calls;
	int64_t errors;
	int64_t prompt_tokens;
	int64_t completion_tokens;
	int64_t cached_tokens;
	double cost;
};

/*
 * A client for every provider of `cfg`, recording calls in `st` (may be
 * NULL: no cache, no accounting rows) under `run_id`.  The loop may be NULL
 * (a private one is made).  Fails with SS_EINPUT when a provider's key
 * variable is named but unset.
 */
int llm_new(struct llm **out, const struct config *cfg, struct store *st,
	    const char *run_id, struct loop *loop);
void llm_free(struct llm *L);

/* Queue a chat call.  Returns 0, or < 0 at once (budget exhausted, bad provider). */
int llm_submit(struct llm *L, const struct llm_request *req, llm_done_fn done, void *payload);

/* Queue embeddings of n texts (split into batches of the configured size). */
int llm_embed(struct llm *L, const char *provider, const char *model, const char *stage,
	      const char *const *texts, int n, llm_embed_fn done, void *payload);

/* Run the loop until no call is pending and no hold is left (llm_hold).
 * Returns 0 or SS_ESTOPPED (pending calls then completed with SS_ESTOPPED). */
int llm_wait(struct llm *L);
/* Calls queued or in flight. */
int llm_pending(struct llm *L);
/*
 * Outside work that llm_wait() must wait for too: a rollout that is between
 * LLM calls (an environment step, a command harness child) calls llm_hold()
 * when it starts and llm_unhold() when it ends, from loop callbacks.
 * Without it llm_wait() returns as soon as no LLM call is pending.
 */
void llm_hold(struct llm *L);
void llm_unhold(struct llm *L);
/* Ask every pending call to finish with SS_ESTOPPED (signal handlers may call it). */
void llm_stop(struct llm *L);

/* Totals since llm_new(), optionally for one stage (NULL: all). */
void llm_usage(struct llm *L, const char *stage, struct llm_usage *out);
/* True once a budget cap of the config is reached. */
int llm_over_budget(struct llm *L);

/* The loop the client runs on. */
struct loop *llm_loop(struct llm *L);

/*
 * A copy of `text` with every occurrence of `secret` (if not NULL or empty)
 * and the value of every Authorization, x-api-key and api-key header line
 * replaced by "[redacted]".  Caller frees.
 */
char *llm_redact(const char *text, const char *secret);

/*
 * The HTTP request llm_submit() would send for `req` ("POST URL", header
 * lines, blank line, body), redacted; caller frees.  NULL and a message for
 * an unknown provider.  Setting SKILLSMITH_HTTP_TRACE=1 in the environment
 * makes the client print every exchange to stderr, redacted the same way.
 */
char *llm_debug_request(struct llm *L, const struct llm_request *req);

#endif
