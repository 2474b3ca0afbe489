/*
 * Serialising and parsing the tools-harness environment protocol
 * (described in envproto.h).
 */
#include "skillsmith/envproto.h"
#include "skillsmith/common.h"
#include "skillsmith/harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

char *envproto_reset_line(const struct harness_instance *inst)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "op", "reset");
	cJSON *i = cJSON_AddObjectToObject(o, "instance");
	cJSON_AddStringToObject(i, "id", inst->id ? inst->id : "");
	cJSON_AddStringToObject(i, "input", inst->input ? inst->input : "");
	if (inst->expected)
		cJSON_AddStringToObject(i, "expected", inst->expected);
	if (inst->type)
		cJSON_AddStringToObject(i, "type", inst->type);
	if (inst->metadata)
		cJSON_AddItemToObject(i, "metadata", cJSON_Duplicate(inst->metadata, 1));
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

char *envproto_step_line(const cJSON *tool_call)
{
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tool_call, "function");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(tool_call, "id");
	if (!cJSON_IsString(name) || !*name->valuestring) {
		ss_err_set(SS_EINPUT, "tool call without a function name");
		return NULL;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "op", "step");
	cJSON *tc = cJSON_AddObjectToObject(o, "tool_call");
	cJSON_AddStringToObject(tc, "id", cJSON_IsString(id) ? id->valuestring : "");
	cJSON_AddStringToObject(tc, "name", name->valuestring);
	cJSON *a = NULL;
	if (cJSON_IsString(args)) {
		a = cJSON_Parse(args->valuestring);
		if (!a)
			a = cJSON_CreateString(args->valuestring);
	} else if (args) {
		a = cJSON_Duplicate(args, 1);
	} else {
		a = cJSON_CreateObject();
	}
	cJSON_AddItemToObject(tc, "arguments", a);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static cJSON *parse_obj(const char *line, const char *what)
{
	cJSON *o = cJSON_Parse(line);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		ss_err_set(SS_EPROVIDER, "environment %s reply is not a JSON object: '%.80s'",
			   what, line);
		return NULL;
	}
	return o;
}

static int get_observation(const cJSON *o, const char *what, char **out)
{
	const cJSON *obs = cJSON_GetObjectItemCaseSensitive(o, "observation");
	if (!obs || cJSON_IsNull(obs)) {
		*out = xstrdup("");
	} else if (cJSON_IsString(obs)) {
		*out = xstrdup(obs->valuestring);
	} else {
		/* structured observations are handed to the agent as JSON text */
		*out = cJSON_PrintUnformatted(obs);
		if (!*out)
			return ss_err_set(SS_EPROVIDER, "environment %s reply: field 'observation' "
					  "cannot be printed", what);
	}
	return 0;
}

int envproto_parse_reset(const char *line, char **observation, cJSON **tools)
{
	*observation = NULL;
	*tools = NULL;
	cJSON *o = parse_obj(line, "reset");
	if (!o)
		return SS_EPROVIDER;
	int rc = 0;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tools");
	if (t && !cJSON_IsNull(t) && !cJSON_IsArray(t)) {
		rc = ss_err_set(SS_EPROVIDER, "environment reset reply: field 'tools' must be an array");
		goto cleanup;
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, t) {
		if (!cJSON_IsObject(item)) {
			rc = ss_err_set(SS_EPROVIDER, "environment reset reply: field 'tools' must hold "
					"tool schema objects");
			goto cleanup;
		}
	}
	if ((rc = get_observation(o, "reset", observation)) < 0)
		goto cleanup;
	*tools = cJSON_IsArray(t) ? cJSON_Duplicate(t, 1) : cJSON_CreateArray();
cleanup:
	cJSON_Delete(o);
	return rc;
}

int envproto_parse_step(const char *line, struct envproto_step *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *o = parse_obj(line, "step");
	if (!o)
		return SS_EPROVIDER;
	int rc = 0;
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(o, "done");
	const cJSON *reward = cJSON_GetObjectItemCaseSensitive(o, "reward");
	if (done && !cJSON_IsNull(done) && !cJSON_IsBool(done)) {
		rc = ss_err_set(SS_EPROVIDER, "environment step reply: field 'done' must be a boolean");
		goto cleanup;
	}
	if (reward && !cJSON_IsNull(reward) &&
	    (!cJSON_IsNumber(reward) || !isfinite(reward->valuedouble))) {
		rc = ss_err_set(SS_EPROVIDER, "environment step reply: field 'reward' must be a number");
		goto cleanup;
	}
	if ((rc = get_observation(o, "step", &out->observation)) < 0)
		goto cleanup;
	out->done = cJSON_IsTrue(done);
	if (cJSON_IsNumber(reward)) {
		out->has_reward = 1;
		out->reward = reward->valuedouble;
	}
cleanup:
	cJSON_Delete(o);
	return rc;
}

void envproto_step_release(struct envproto_step *s)
{
	free(s->observation);
	memset(s, 0, sizeof(*s));
}
