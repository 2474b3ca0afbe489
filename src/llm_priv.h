/*
 * Internals shared by the LLM client files: the accumulated result of one
 * HTTP attempt, and the wire formats (request bodies, response parsers) of
 * each provider kind.  Not an interface for other modules.
 */
#ifndef SKILLSMITH_LLM_PRIV_H
#define SKILLSMITH_LLM_PRIV_H
#include <cjson/cJSON.h>
#include "skillsmith/buf.h"
#include "skillsmith/llm.h"

struct provider_config;

struct llm_tc {
	char *id;
	char *name;
	struct buf args;          /* arguments JSON text, joined from fragments */
};

/* What one attempt produced, streamed or not. */
struct llm_acc {
	struct buf text;
	struct llm_tc *tcs;
	size_t nr_tcs, alloc_tcs;
	int *block_tc;            /* Anthropic content block -> tool call, -1 text */
	size_t nr_blocks, alloc_blocks;
	char *finish;             /* OpenAI-style finish_reason */
	int prompt, completion, cached, cache_write;
	double cost;
	int has_cost;             /* the provider reported cost (OpenRouter) */
	int done;                 /* the response or stream ended properly */
	char *err_msg;            /* malformed response, or an error event */
	char *err_type;           /* e.g. "overloaded_error" from a stream */
	const char *schema_tool;  /* Anthropic: the forced structured-output tool */
	float **vecs;             /* embeddings, nvec x dim */
	int nvec, dim;
};

void llm_acc_init(struct llm_acc *a);
void llm_acc_release(struct llm_acc *a);
/* The tool call at `index`, made (empty) if needed. */
struct llm_tc *llm_acc_tc(struct llm_acc *a, int index);
/* Record a malformed-response message (first one wins); returns -1. */
int llm_acc_fail(struct llm_acc *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Body builders: deterministic key order, so the printed body is canonical. */
cJSON *llm_openai_body(const struct llm_request *req, int use_max_completion_tokens,
		       int openrouter, int stream);
cJSON *llm_openai_embed_body(const char *model, const char *const *texts, int n);
cJSON *llm_anthropic_body(const struct llm_request *req, int stream);

/* Non-streamed responses: 0, or -1 with acc->err_msg set. */
int llm_openai_parse(const char *body, size_t len, struct llm_acc *a);
int llm_openai_parse_embed(const char *body, size_t len, int n, struct llm_acc *a);
int llm_anthropic_parse(const char *body, size_t len, struct llm_acc *a);
/* One server-sent event; -1 stops the stream (acc->err_msg says why). */
int llm_openai_event(const char *event, const char *data, size_t len, struct llm_acc *a);
int llm_anthropic_event(const char *event, const char *data, size_t len, struct llm_acc *a);

/* The provider's own error message from an error body (malloc'd, one line). */
char *llm_error_message(const char *body, size_t len, char **type_out);

/* Map Anthropic stop reasons to OpenAI finish reasons. */
const char *llm_anthropic_finish(const char *stop_reason);

#endif
