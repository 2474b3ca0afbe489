/*
 * Task files (JSONL) and the deterministic split of a new run.
 */
#include "run_tasks.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_tasks_free(struct run_task *t, int n)
{
	for (int i = 0; i < n; i++) {
		free(t[i].id);
		free(t[i].type);
		free(t[i].input);
		free(t[i].expected);
		free(t[i].metadata);
		free(t[i].grader);
	}
	free(t);
}

/* A string field, or a scalar printed as text; JSON for objects when allowed. */
static int field_text(char **out, const cJSON *v, int allow_json)
{
	if (cJSON_IsString(v)) {
		*out = xstrdup(v->valuestring);
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == floor(d) && fabs(d) < 1e15)
			*out = xasprintf("%.0f", d);
		else
			*out = xasprintf("%.17g", d);
		return 0;
	}
	if (cJSON_IsBool(v)) {
		*out = xstrdup(cJSON_IsTrue(v) ? "true" : "false");
		return 0;
	}
	if (allow_json && (cJSON_IsObject(v) || cJSON_IsArray(v))) {
		*out = cJSON_PrintUnformatted(v);
		return 0;
	}
	return -1;
}

int run_tasks_parse(struct run_task **out, int *nr, const char *text, const char *name,
		    const struct config *cfg)
{
	struct run_task *t = NULL;
	size_t alloc = 0;
	int n = 0, line = 0, r = 0;
	const char *p = text;
	(void)cfg;
	*out = NULL;
	*nr = 0;
	while (*p && !r) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		line++;
		char *l = xstrndup(p, len);
		p += len + (e ? 1 : 0);
		const char *q = l;
		while (*q == ' ' || *q == '\t' || *q == '\r')
			q++;
		if (!*q) {
			free(l);
			continue;
		}
		cJSON *j = cJSON_Parse(l);
		free(l);
		if (!cJSON_IsObject(j)) {
			r = ss_err_set(SS_EINPUT, "%s:%d: not a JSON object", name, line);
			cJSON_Delete(j);
			break;
		}
		ALLOC_GROW(t, n + 1, alloc);
		struct run_task *k = &t[n++];
		memset(k, 0, sizeof(*k));
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "id");
		if (!v)
			k->id = xasprintf("%d", line);
		else if (field_text(&k->id, v, 0) < 0 || !*k->id)
			r = ss_err_set(SS_EINPUT, "%s:%d: field 'id' must be a non-empty string", name, line);
		v = cJSON_GetObjectItemCaseSensitive(j, "input");
		if (!r && (!v || field_text(&k->input, v, 1) < 0))
			r = ss_err_set(SS_EINPUT, "%s:%d: field 'input' must be a string", name, line);
		v = cJSON_GetObjectItemCaseSensitive(j, "expected");
		if (!r && v && !cJSON_IsNull(v) && field_text(&k->expected, v, 1) < 0)
			r = ss_err_set(SS_EINPUT, "%s:%d: field 'expected' must be a string", name, line);
		v = cJSON_GetObjectItemCaseSensitive(j, "type");
		if (!r && v && !cJSON_IsNull(v) && field_text(&k->type, v, 0) < 0)
			r = ss_err_set(SS_EINPUT, "%s:%d: field 'type' must be a string", name, line);
		v = cJSON_GetObjectItemCaseSensitive(j, "metadata");
		if (!r && v && !cJSON_IsNull(v)) {
			if (!cJSON_IsObject(v))
				r = ss_err_set(SS_EINPUT, "%s:%d: field 'metadata' must be an object",
					       name, line);
			else
				k->metadata = cJSON_PrintUnformatted(v);
		}
		v = cJSON_GetObjectItemCaseSensitive(j, "grader");
		if (!r && v && !cJSON_IsNull(v)) {
			if (!cJSON_IsObject(v)) {
				r = ss_err_set(SS_EINPUT, "%s:%d: field 'grader' must be an object",
					       name, line);
			} else {
				struct grader_config g;
				char *where = xasprintf("%s:%d", name, line);
				grader_config_copy(&g, &cfg->grader);
				r = grader_config_parse(&g, v, where, "grader", cfg->dir);
				grader_config_release(&g);
				free(where);
				if (!r)
					k->grader = cJSON_PrintUnformatted(v);
			}
		}
		for (int i = 0; !r && i < n - 1; i++)
			if (!strcmp(t[i].id, k->id))
				r = ss_err_set(SS_EINPUT, "%s:%d: field 'id': duplicate id '%s'",
					       name, line, k->id);
		cJSON_Delete(j);
	}
	if (r) {
		run_tasks_free(t, n);
		return r;
	}
	if (!n)
		return ss_err_set(SS_EINPUT, "%s: no task instances", name);
	*out = t;
	*nr = n;
	return 0;
}

int run_split(const char **splits, int n, int64_t seed, double test_frac, double ver_frac,
	      int min_ver)
{
	int *order = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
	struct ss_rng rng;
	for (int i = 0; i < n; i++)
		order[i] = i;
	ss_rng_seed(&rng, (uint64_t)seed ^ 0x73706c6974ULL);
	for (int i = n - 1; i > 0; i--) {
		int j = (int)ss_rng_below(&rng, (uint64_t)i + 1);
		int tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	int n_test = (int)floor(n * test_frac + 0.5);
	if (n_test > n - 2)
		n_test = n - 2 > 0 ? n - 2 : 0;
	int rest = n - n_test;
	int n_ver = (int)floor(rest * ver_frac + 0.5);
	if (n_ver < min_ver)
		n_ver = min_ver;
	if (n_ver > rest - 1)
		n_ver = rest - 1;
	for (int i = 0; i < n; i++) {
		const char *s = i < n_test ? "test" : i < n_test + n_ver ? "ver" : "ind";
		splits[order[i]] = s;
	}
	free(order);
	return 0;
}
