/*
 * OpenAI-compatible wire format: chat completions (plain and streamed),
 * embeddings, and the pieces of an attempt's result shared with the
 * Anthropic format (struct llm_acc, error bodies).
 */
#include "llm_priv.h"
#include "skillsmith/tasks.h"
#include "skillsmith/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- accumulated result -------------------------------------------------- */

void llm_acc_init(struct llm_acc *a)
{
	memset(a, 0, sizeof(*a));
	buf_init(&a->text, 0);
}

void llm_acc_release(struct llm_acc *a)
{
	buf_release(&a->text);
	for (size_t i = 0; i < a->nr_tcs; i++) {
		free(a->tcs[i].id);
		free(a->tcs[i].name);
		buf_release(&a->tcs[i].args);
	}
	free(a->tcs);
	free(a->block_tc);
	free(a->finish);
	free(a->err_msg);
	free(a->err_type);
	for (int i = 0; i < a->nvec; i++)
		free(a->vecs ? a->vecs[i] : NULL);
	free(a->vecs);
	const char *schema_tool = a->schema_tool;
	llm_acc_init(a);
	a->schema_tool = schema_tool;
}

struct llm_tc *llm_acc_tc(struct llm_acc *a, int index)
{
	if (index < 0 || index > 4096)
		return NULL;
	if ((size_t)index >= a->nr_tcs) {
		ALLOC_GROW(a->tcs, (size_t)index + 1, a->alloc_tcs);
		for (size_t i = a->nr_tcs; i <= (size_t)index; i++) {
			memset(&a->tcs[i], 0, sizeof(a->tcs[i]));
			buf_init(&a->tcs[i].args, 0);
		}
		a->nr_tcs = (size_t)index + 1;
	}
	return &a->tcs[index];
}

int llm_acc_fail(struct llm_acc *a, const char *fmt, ...)
{
	if (a->err_msg)
		return -1;
	va_list ap;
	struct buf b = BUF_INIT;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	a->err_msg = buf_detach(&b, NULL);
	return -1;
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

static int num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
}

/* ---- error bodies ------------------------------------------------------- */

static char *one_line(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	if (len > 400)
		len = 400;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_addch(&b, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	buf_trim(&b);
	return buf_detach(&b, NULL);
}

char *llm_error_message(const char *body, size_t len, char **type_out)
{
	char *msg = NULL;
	if (type_out)
		*type_out = NULL;
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (root) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
		const cJSON *m = NULL, *t = NULL;
		if (cJSON_IsObject(e)) {
			m = cJSON_GetObjectItemCaseSensitive(e, "message");
			t = cJSON_GetObjectItemCaseSensitive(e, "type");
			if (!cJSON_IsString(t))
				t = cJSON_GetObjectItemCaseSensitive(e, "code");
		} else if (cJSON_IsString(e)) {
			m = e;
		} else {
			m = cJSON_GetObjectItemCaseSensitive(root, "message");
			if (!cJSON_IsString(m))
				m = cJSON_GetObjectItemCaseSensitive(root, "detail");
		}
		if (cJSON_IsString(m))
			msg = one_line(m->valuestring, strlen(m->valuestring));
		if (type_out && cJSON_IsString(t))
			*type_out = xstrdup(t->valuestring);
		cJSON_Delete(root);
	}
	if (!msg && len)
		msg = one_line(body, len);
	if (msg && !*msg) {
		free(msg);
		msg = NULL;
	}
	return msg;
}

/* ---- request bodies ----------------------------------------------------- */

static char *system_text(const struct llm_request *req)
{
	const char *p = req->system_prefix ? req->system_prefix : "";
	const char *s = req->system ? req->system : "";
	if (!*p && !*s)
		return NULL;
	return xasprintf("%s%s", p, s);
}

cJSON *llm_openai_body(const struct llm_request *req, int use_max_completion_tokens,
		       int openrouter, int stream)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", req->model ? req->model : "");
	cJSON *msgs = cJSON_AddArrayToObject(o, "messages");
	char *sys = system_text(req);
	if (sys) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "system");
		cJSON_AddStringToObject(m, "content", sys);
		cJSON_AddItemToArray(msgs, m);
		free(sys);
	}
	const cJSON *m;
	cJSON_ArrayForEach(m, req->messages)
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));
	if (cJSON_GetArraySize(req->tools) > 0)
		cJSON_AddItemToObject(o, "tools", cJSON_Duplicate(req->tools, 1));
	if (req->tool_choice)
		cJSON_AddItemToObject(o, "tool_choice", cJSON_Duplicate(req->tool_choice, 1));
	if (req->schema_name && req->schema) {
		cJSON *rf = cJSON_AddObjectToObject(o, "response_format");
		cJSON_AddStringToObject(rf, "type", "json_schema");
		cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
		cJSON_AddStringToObject(js, "name", req->schema_name);
		cJSON_AddItemToObject(js, "schema", cJSON_Duplicate(req->schema, 1));
		cJSON_AddBoolToObject(js, "strict", 1);
	}
	cJSON_AddNumberToObject(o, "temperature", req->temperature);
	cJSON_AddNumberToObject(o, use_max_completion_tokens ? "max_completion_tokens" : "max_tokens",
				req->max_tokens > 0 ? req->max_tokens : 4096);
	if (req->seed >= 0)
		cJSON_AddNumberToObject(o, "seed", (double)req->seed);
	if (stream) {
		cJSON_AddBoolToObject(o, "stream", 1);
		cJSON *so = cJSON_AddObjectToObject(o, "stream_options");
		cJSON_AddBoolToObject(so, "include_usage", 1);
	}
	if (openrouter) {
		cJSON *u = cJSON_AddObjectToObject(o, "usage");
		cJSON_AddBoolToObject(u, "include", 1);
	}
	return o;
}

cJSON *llm_openai_embed_body(const char *model, const char *const *texts, int n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", model ? model : "");
	cJSON *in = cJSON_AddArrayToObject(o, "input");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(in, cJSON_CreateString(texts[i] ? texts[i] : ""));
	cJSON_AddStringToObject(o, "encoding_format", "float");
	return o;
}

/* ---- responses ----------------------------------------------------------- */

static void take_usage(const cJSON *u, struct llm_acc *a)
{
	if (!cJSON_IsObject(u))
		return;
	a->prompt = num(u, "prompt_tokens");
	a->completion = num(u, "completion_tokens");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details");
	if (cJSON_IsObject(d))
		a->cached = num(d, "cached_tokens");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(u, "cost");
	if (cJSON_IsNumber(c)) {
		a->cost = c->valuedouble;
		a->has_cost = 1;
	}
}

static int take_tool_call(const cJSON *tc, int pos, struct llm_acc *a)
{
	const cJSON *idx = cJSON_GetObjectItemCaseSensitive(tc, "index");
	struct llm_tc *t = llm_acc_tc(a, cJSON_IsNumber(idx) ? (int)idx->valuedouble : pos);
	if (!t)
		return llm_acc_fail(a, "tool call index out of range");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
	if (cJSON_IsString(id) && *id->valuestring)
		set_str(&t->id, id->valuestring);
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
	if (cJSON_IsString(name) && *name->valuestring)
		set_str(&t->name, name->valuestring);
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
	if (cJSON_IsString(args))
		buf_adds(&t->args, args->valuestring);
	return 0;
}

int llm_openai_parse(const char *body, size_t len, struct llm_acc *a)
{
	int rc = 0;
	if (utf8_invalid_at(body, len) >= 0)
		return llm_acc_fail(a, "response is not valid UTF-8");
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!root)
		return llm_acc_fail(a, "malformed JSON in response");
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	const cJSON *ch = cJSON_GetArrayItem(choices, 0);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
	if (!cJSON_IsObject(msg)) {
		char *type = NULL;
		char *m = cJSON_GetObjectItemCaseSensitive(root, "error") ?
			llm_error_message(body, len, &type) : NULL;
		rc = llm_acc_fail(a, "%s", m ? m : "response has no choices[0].message");
		a->err_type = type;
		free(m);
		goto cleanup;
	}
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	if (cJSON_IsString(content)) {
		buf_adds(&a->text, content->valuestring);
	} else if (cJSON_IsArray(content)) {
		/* some servers send content parts: [{"type": "text", "text": ...}] */
		const cJSON *part;
		cJSON_ArrayForEach(part, content) {
			const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "text"));
			if (t)
				buf_adds(&a->text, t);
		}
	} else if (content && !cJSON_IsNull(content)) {
		rc = llm_acc_fail(a, "choices[0].message.content must be a string");
		goto cleanup;
	}
	const cJSON *tcs = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"), *tc;
	int pos = 0;
	cJSON_ArrayForEach(tc, tcs) {
		/* Whole calls: positions, not stream indexes. */
		struct llm_tc *t = llm_acc_tc(a, pos);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
		const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
		if (!t || !cJSON_IsString(name)) {
			rc = llm_acc_fail(a, "tool_calls[%d] has no function name", pos);
			goto cleanup;
		}
		set_str(&t->id, cJSON_IsString(id) ? id->valuestring : NULL);
		set_str(&t->name, name->valuestring);
		if (cJSON_IsString(args)) {
			buf_adds(&t->args, args->valuestring);
		} else if (cJSON_IsObject(args)) {
			char *s = cJSON_PrintUnformatted(args);
			buf_adds(&t->args, s);
			free(s);
		} else if (args && !cJSON_IsNull(args)) {
			rc = llm_acc_fail(a, "tool_calls[%d].function.arguments must be a string", pos);
			goto cleanup;
		}
		pos++;
	}
	const cJSON *fr = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
	set_str(&a->finish, cJSON_IsString(fr) ? fr->valuestring : NULL);
	take_usage(cJSON_GetObjectItemCaseSensitive(root, "usage"), a);
	a->done = 1;
cleanup:
	cJSON_Delete(root);
	return rc;
}

int llm_openai_event(const char *event, const char *data, size_t len, struct llm_acc *a)
{
	int rc = 0;
	if (utf8_invalid_at(data, len) >= 0)
		return llm_acc_fail(a, "stream event is not valid UTF-8");
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		a->done = 1;
		return 0;
	}
	if (a->done)
		return 0;
	cJSON *root = cJSON_ParseWithLength(data, len);
	if (!root)
		return llm_acc_fail(a, "malformed JSON in stream chunk");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (err) {
		char *type = NULL;
		char *m = llm_error_message(data, len, &type);
		rc = llm_acc_fail(a, "%s", m ? m : "error in stream");
		free(a->err_type);
		a->err_type = type;
		free(m);
		goto cleanup;
	}
	const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
	if (ch) {
		const cJSON *delta = cJSON_GetObjectItemCaseSensitive(ch, "delta");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(delta, "content");
		if (cJSON_IsString(content))
			buf_adds(&a->text, content->valuestring);
		const cJSON *tcs = cJSON_GetObjectItemCaseSensitive(delta, "tool_calls"), *tc;
		int pos = 0;
		cJSON_ArrayForEach(tc, tcs) {
			if (take_tool_call(tc, pos++, a) < 0) {
				rc = -1;
				goto cleanup;
			}
		}
		const cJSON *fr = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
		if (cJSON_IsString(fr))
			set_str(&a->finish, fr->valuestring);
	}
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
	if (cJSON_IsObject(u))
		take_usage(u, a);
cleanup:
	cJSON_Delete(root);
	return rc;
}

int llm_openai_parse_embed(const char *body, size_t len, int n, struct llm_acc *a)
{
	int rc = 0;
	if (utf8_invalid_at(body, len) >= 0)
		return llm_acc_fail(a, "response is not valid UTF-8");
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!root)
		return llm_acc_fail(a, "malformed JSON in response");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data"), *item;
	if (cJSON_GetArraySize(data) != n) {
		rc = llm_acc_fail(a, "embeddings response has %d vectors, want %d",
				  cJSON_GetArraySize(data), n);
		goto cleanup;
	}
	a->vecs = xcalloc((size_t)n, sizeof(*a->vecs));
	a->nvec = n;
	int pos = 0;
	cJSON_ArrayForEach(item, data) {
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(item, "index");
		int i = cJSON_IsNumber(idx) ? (int)idx->valuedouble : pos;
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(item, "embedding"), *x;
		int dim = cJSON_GetArraySize(e);
		pos++;
		if (i < 0 || i >= n || a->vecs[i] || !cJSON_IsArray(e) || dim == 0 ||
		    (a->dim && dim != a->dim)) {
			rc = llm_acc_fail(a, "embeddings response: bad data[%d]", pos - 1);
			goto cleanup;
		}
		a->dim = dim;
		float *v = a->vecs[i] = xmalloc((size_t)dim * sizeof(float));
		int k = 0;
		cJSON_ArrayForEach(x, e) {
			if (!cJSON_IsNumber(x)) {
				rc = llm_acc_fail(a, "embeddings response: data[%d] is not numeric", pos - 1);
				goto cleanup;
			}
			v[k++] = (float)x->valuedouble;
		}
	}
	take_usage(cJSON_GetObjectItemCaseSensitive(root, "usage"), a);
	a->done = 1;
cleanup:
	cJSON_Delete(root);
	return rc;
}
