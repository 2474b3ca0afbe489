/*
 * Anthropic Messages wire format.  Requests arrive OpenAI-shaped (struct
 * llm_request); they are mapped here: system prompt to content blocks with
 * a cache breakpoint after the skill prefix, assistant tool_calls to
 * tool_use blocks, tool messages to tool_result blocks, a JSON schema to a
 * single forced tool.  Responses map back: tool_use blocks to OpenAI-style
 * tool calls, the forced tool's input to the answer text.
 */
#include "llm_priv.h"
#include "skillsmith/tasks.h"
#include "skillsmith/common.h"

#include <stdlib.h>
#include <string.h>

const char *llm_anthropic_finish(const char *r)
{
	if (!r)
		return NULL;
	if (!strcmp(r, "end_turn") || !strcmp(r, "stop_sequence"))
		return "stop";
	if (!strcmp(r, "tool_use"))
		return "tool_calls";
	if (!strcmp(r, "max_tokens"))
		return "length";
	return r;
}

static void text_block(cJSON *arr, const char *text, int cache)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "type", "text");
	cJSON_AddStringToObject(b, "text", text);
	if (cache) {
		cJSON *cc = cJSON_AddObjectToObject(b, "cache_control");
		cJSON_AddStringToObject(cc, "type", "ephemeral");
	}
	cJSON_AddItemToArray(arr, b);
}

/* The content of an OpenAI message as plain text (string or text parts). */
static char *content_text(const cJSON *content)
{
	if (cJSON_IsString(content))
		return xstrdup(content->valuestring);
	struct buf b = BUF_INIT;
	const cJSON *part;
	cJSON_ArrayForEach(part, content) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
		if (cJSON_IsString(t))
			buf_adds(&b, t->valuestring);
	}
	return buf_detach(&b, NULL);
}

/* Append `block` to the last message if it has `role`, else start one. */
static void add_block(cJSON *msgs, const char *role, cJSON *block)
{
	cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(last, "role");
	if (!last || !cJSON_IsString(r) || strcmp(r->valuestring, role)) {
		last = cJSON_CreateObject();
		cJSON_AddStringToObject(last, "role", role);
		cJSON_AddArrayToObject(last, "content");
		cJSON_AddItemToArray(msgs, last);
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(last, "content"), block);
}

cJSON *llm_anthropic_body(const struct llm_request *req, int stream)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", req->model ? req->model : "");
	cJSON_AddNumberToObject(o, "max_tokens", req->max_tokens > 0 ? req->max_tokens : 4096);

	cJSON *sys = cJSON_CreateArray();
	if (req->system_prefix && *req->system_prefix)
		text_block(sys, req->system_prefix, 1);
	if (req->system && *req->system)
		text_block(sys, req->system, 0);

	cJSON *msgs = cJSON_CreateArray();
	const cJSON *m;
	cJSON_ArrayForEach(m, req->messages) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
		const char *r = cJSON_IsString(role) ? role->valuestring : "user";
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
		char *text = content_text(content);
		if (!strcmp(r, "system")) {
			if (*text)
				text_block(sys, text, 0);
		} else if (!strcmp(r, "tool")) {
			cJSON *b = cJSON_CreateObject();
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "tool_call_id");
			cJSON_AddStringToObject(b, "type", "tool_result");
			cJSON_AddStringToObject(b, "tool_use_id", cJSON_IsString(id) ? id->valuestring : "");
			cJSON_AddStringToObject(b, "content", text);
			add_block(msgs, "user", b);
		} else if (!strcmp(r, "assistant")) {
			cJSON *tmp = cJSON_CreateArray();
			if (*text)
				text_block(tmp, text, 0);
			const cJSON *tc;
			cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(m, "tool_calls")) {
				const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
				const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
				const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
				const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
				cJSON *input = cJSON_IsString(args) ? cJSON_Parse(args->valuestring) :
					cJSON_Duplicate(args, 1);
				if (!cJSON_IsObject(input)) {
					cJSON_Delete(input);
					input = cJSON_CreateObject();
				}
				cJSON *b = cJSON_CreateObject();
				cJSON_AddStringToObject(b, "type", "tool_use");
				cJSON_AddStringToObject(b, "id", cJSON_IsString(id) ? id->valuestring : "");
				cJSON_AddStringToObject(b, "name", cJSON_IsString(name) ? name->valuestring : "");
				cJSON_AddItemToObject(b, "input", input);
				cJSON_AddItemToArray(tmp, b);
			}
			while (cJSON_GetArraySize(tmp) > 0)
				add_block(msgs, "assistant", cJSON_DetachItemFromArray(tmp, 0));
			cJSON_Delete(tmp);
		} else {
			cJSON *tmp = cJSON_CreateArray();
			text_block(tmp, text, 0);
			add_block(msgs, "user", cJSON_DetachItemFromArray(tmp, 0));
			cJSON_Delete(tmp);
		}
		free(text);
	}
	if (cJSON_GetArraySize(sys) > 0)
		cJSON_AddItemToObject(o, "system", sys);
	else
		cJSON_Delete(sys);
	cJSON_AddItemToObject(o, "messages", msgs);

	cJSON *tools = cJSON_CreateArray();
	const cJSON *t;
	cJSON_ArrayForEach(t, req->tools) {
		const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(fn, "description");
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "name", cJSON_IsString(name) ? name->valuestring : "");
		if (cJSON_IsString(desc))
			cJSON_AddStringToObject(a, "description", desc->valuestring);
		if (cJSON_IsObject(params)) {
			cJSON_AddItemToObject(a, "input_schema", cJSON_Duplicate(params, 1));
		} else {
			cJSON *s = cJSON_AddObjectToObject(a, "input_schema");
			cJSON_AddStringToObject(s, "type", "object");
		}
		cJSON_AddItemToArray(tools, a);
	}
	if (req->schema_name && req->schema) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "name", req->schema_name);
		cJSON_AddStringToObject(a, "description", "Give the answer as this tool's input.");
		cJSON_AddItemToObject(a, "input_schema", cJSON_Duplicate(req->schema, 1));
		cJSON_AddItemToArray(tools, a);
	}
	if (cJSON_GetArraySize(tools) > 0)
		cJSON_AddItemToObject(o, "tools", tools);
	else
		cJSON_Delete(tools);
	if (req->schema_name && req->schema) {
		cJSON *tc = cJSON_AddObjectToObject(o, "tool_choice");
		cJSON_AddStringToObject(tc, "type", "tool");
		cJSON_AddStringToObject(tc, "name", req->schema_name);
	} else if (req->tool_choice) {
		/* OpenAI's choices in Anthropic's words */
		const cJSON *ch = req->tool_choice;
		const char *name = NULL, *type = NULL;
		if (cJSON_IsString(ch)) {
			type = !strcmp(ch->valuestring, "required") ? "any" :
			       !strcmp(ch->valuestring, "none") ? "none" : "auto";
		} else {
			const cJSON *fn = cJSON_GetObjectItemCaseSensitive(ch, "function");
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(fn, "name");
			if (cJSON_IsString(n)) {
				type = "tool";
				name = n->valuestring;
			}
		}
		if (type) {
			cJSON *tc = cJSON_AddObjectToObject(o, "tool_choice");
			cJSON_AddStringToObject(tc, "type", type);
			if (name)
				cJSON_AddStringToObject(tc, "name", name);
		}
	}
	cJSON_AddNumberToObject(o, "temperature", req->temperature);
	if (stream)
		cJSON_AddBoolToObject(o, "stream", 1);
	return o;
}

/* ---- responses ----------------------------------------------------------- */

static int num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
}

static void take_usage(const cJSON *u, struct llm_acc *a, int final)
{
	if (!cJSON_IsObject(u))
		return;
	if (cJSON_GetObjectItemCaseSensitive(u, "input_tokens")) {
		int in = num(u, "input_tokens");
		a->cache_write = num(u, "cache_creation_input_tokens");
		a->cached = num(u, "cache_read_input_tokens");
		a->prompt = in + a->cache_write + a->cached;
	}
	if (cJSON_GetObjectItemCaseSensitive(u, "output_tokens"))
		a->completion = num(u, "output_tokens");
	(void)final;
}

static void set_finish(struct llm_acc *a, const cJSON *reason)
{
	if (!cJSON_IsString(reason))
		return;
	free(a->finish);
	a->finish = xstrdup(llm_anthropic_finish(reason->valuestring));
}

/* Register content block `index`; returns its tool call or NULL for text. */
static int start_block(struct llm_acc *a, int index, const cJSON *block)
{
	if (index < 0 || index > 4096)
		return llm_acc_fail(a, "content block index out of range");
	if ((size_t)index >= a->nr_blocks) {
		ALLOC_GROW(a->block_tc, (size_t)index + 1, a->alloc_blocks);
		for (size_t i = a->nr_blocks; i <= (size_t)index; i++)
			a->block_tc[i] = -1;
		a->nr_blocks = (size_t)index + 1;
	}
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(block, "name");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "tool_use")) {
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
		if (cJSON_IsString(text))
			buf_adds(&a->text, text->valuestring);
		return 0;
	}
	if (a->schema_tool && cJSON_IsString(name) && !strcmp(name->valuestring, a->schema_tool)) {
		a->block_tc[index] = -2;   /* structured output: input is the answer */
		return 0;
	}
	int tci = (int)a->nr_tcs;
	struct llm_tc *t = llm_acc_tc(a, tci);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(block, "id");
	t->id = cJSON_IsString(id) ? xstrdup(id->valuestring) : NULL;
	t->name = cJSON_IsString(name) ? xstrdup(name->valuestring) : xstrdup("");
	a->block_tc[index] = tci;
	return 0;
}

int llm_anthropic_parse(const char *body, size_t len, struct llm_acc *a)
{
	int rc = 0;
	if (utf8_invalid_at(body, len) >= 0)
		return llm_acc_fail(a, "response is not valid UTF-8");
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!root)
		return llm_acc_fail(a, "malformed JSON in response");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content"), *b;
	if (!cJSON_IsArray(content)) {
		char *type = NULL;
		char *m = llm_error_message(body, len, &type);
		rc = llm_acc_fail(a, "%s", m && cJSON_GetObjectItemCaseSensitive(root, "error") ?
				  m : "response has no content array");
		a->err_type = type;
		free(m);
		goto cleanup;
	}
	int i = 0;
	cJSON_ArrayForEach(b, content) {
		if (start_block(a, i, b) < 0) {
			rc = -1;
			goto cleanup;
		}
		const cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input");
		if (a->block_tc[i] != -1 && input) {
			char *s = cJSON_PrintUnformatted(input);
			if (a->block_tc[i] == -2)
				buf_adds(&a->text, s);
			else
				buf_adds(&a->tcs[a->block_tc[i]].args, s);
			free(s);
		}
		i++;
	}
	set_finish(a, cJSON_GetObjectItemCaseSensitive(root, "stop_reason"));
	take_usage(cJSON_GetObjectItemCaseSensitive(root, "usage"), a, 1);
	a->done = 1;
cleanup:
	cJSON_Delete(root);
	return rc;
}

int llm_anthropic_event(const char *event, const char *data, size_t len, struct llm_acc *a)
{
	int rc = 0;
	if (utf8_invalid_at(data, len) >= 0)
		return llm_acc_fail(a, "stream event is not valid UTF-8");
	cJSON *root = cJSON_ParseWithLength(data, len);
	if (!root)
		return llm_acc_fail(a, "malformed JSON in stream event '%s'", event);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
	const char *t = cJSON_IsString(type) ? type->valuestring : event;
	if (!strcmp(t, "message_start")) {
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
		take_usage(cJSON_GetObjectItemCaseSensitive(msg, "usage"), a, 0);
	} else if (!strcmp(t, "content_block_start")) {
		rc = start_block(a, num(root, "index"),
				 cJSON_GetObjectItemCaseSensitive(root, "content_block"));
	} else if (!strcmp(t, "content_block_delta")) {
		int idx = num(root, "index");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(d, "text");
		const cJSON *pj = cJSON_GetObjectItemCaseSensitive(d, "partial_json");
		if (idx < 0 || (size_t)idx >= a->nr_blocks) {
			rc = llm_acc_fail(a, "delta for unknown content block %d", idx);
		} else if (cJSON_IsString(text)) {
			buf_adds(&a->text, text->valuestring);
		} else if (cJSON_IsString(pj)) {
			if (a->block_tc[idx] == -2)
				buf_adds(&a->text, pj->valuestring);
			else if (a->block_tc[idx] >= 0)
				buf_adds(&a->tcs[a->block_tc[idx]].args, pj->valuestring);
		}
	} else if (!strcmp(t, "message_delta")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
		set_finish(a, cJSON_GetObjectItemCaseSensitive(d, "stop_reason"));
		take_usage(cJSON_GetObjectItemCaseSensitive(root, "usage"), a, 1);
	} else if (!strcmp(t, "message_stop")) {
		a->done = 1;
	} else if (!strcmp(t, "error")) {
		char *etype = NULL;
		char *m = llm_error_message(data, len, &etype);
		rc = llm_acc_fail(a, "%s", m ? m : "error event in stream");
		free(a->err_type);
		a->err_type = etype;
		free(m);
	}
	/* ping, content_block_stop and unknown events carry nothing we need */
	cJSON_Delete(root);
	return rc;
}
