/*
 * Rule attribution (leave-one-rule-out) and provenance of skill rules.
 */
#include "skillsmith/attrib.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/skill.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void attrib_rules_free(struct attrib_rule *rules, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(rules[i].section);
		free(rules[i].text);
		for (size_t j = 0; j < rules[i].nr_evidence; j++)
			free(rules[i].evidence[j]);
		free(rules[i].evidence);
	}
	free(rules);
}

/* ------------------------------------------------------------------ */
/* Splitting                                                           */

void attrib_split(const char *body, struct attrib_rule **out, size_t *nr)
{
	struct skill_rule *sr = NULL;
	int n = 0;
	skill_rules(body, &sr, &n);
	struct attrib_rule *rules = n > 0 ? xcalloc((size_t)n, sizeof(*rules)) : NULL;
	size_t len = strlen(body);
	for (int i = 0; i < n; i++) {
		rules[i].section = xstrdup(sr[i].section);
		rules[i].text = xstrdup(sr[i].text);
		rules[i].start = sr[i].off;
		rules[i].end = sr[i].off + sr[i].len;
		/* whole lines: the line break goes with the rule */
		if (rules[i].end < len && body[rules[i].end] == '\n')
			rules[i].end++;
	}
	skill_rules_free(sr, n);
	*out = rules;
	*nr = n > 0 ? (size_t)n : 0;
}

/* The body without the rules whose `drop` flag is set. */
static char *without_set(const char *body, const struct attrib_rule *rules,
			 size_t nr, const unsigned char *drop)
{
	struct buf b = BUF_INIT;
	size_t pos = 0, len = strlen(body);
	for (size_t i = 0; i < nr; i++) {
		if (!drop[i] || rules[i].start < pos)
			continue;
		buf_add(&b, body + pos, rules[i].start - pos);
		pos = rules[i].end;
		/* a blank line left behind with nothing after it in the block */
		if (b.len >= 2 && b.buf[b.len - 1] == '\n' && b.buf[b.len - 2] == '\n' &&
		    pos < len && body[pos] == '\n')
			pos++;
	}
	if (pos < len)
		buf_add(&b, body + pos, len - pos);
	if (!b.alloc)
		return xstrdup(b.buf);
	return buf_detach(&b, NULL);
}

char *attrib_without(const char *body, const struct attrib_rule *rules,
		     size_t nr, size_t i)
{
	unsigned char *drop = xcalloc(nr ? nr : 1, 1);
	if (i < nr)
		drop[i] = 1;
	char *s = without_set(body, rules, nr, drop);
	free(drop);
	return s;
}

/* ------------------------------------------------------------------ */
/* Scores                                                              */

void attrib_score(const struct paired_counts *full,
		  const struct attrib_input *inputs, size_t nr,
		  struct attrib_effect *effects)
{
	int g_full = stats_net_gain(full);
	for (size_t i = 0; i < nr; i++) {
		struct attrib_effect *e = &effects[i];
		e->g_without = stats_net_gain(&inputs[i].vs_base);
		e->marginal = g_full - e->g_without;
		e->verdict = e->marginal > 0 ? ATTRIB_HELPS :
			     e->marginal < 0 ? ATTRIB_HARMFUL : ATTRIB_NO_EFFECT;
		e->p_value = stats_mcnemar_p(inputs[i].vs_full.n01, inputs[i].vs_full.n10);
	}
}

const char *attrib_verdict_name(enum attrib_verdict v)
{
	switch (v) {
	case ATTRIB_HELPS:
		return "helps";
	case ATTRIB_NO_EFFECT:
		return "no-effect";
	case ATTRIB_HARMFUL:
		return "harmful";
	}
	return "unknown";
}

char *attrib_pruned(const char *body, const struct attrib_rule *rules,
		    size_t nr, const struct attrib_effect *effects,
		    size_t *removed)
{
	unsigned char *drop = xcalloc(nr ? nr : 1, 1);
	size_t n = 0;
	for (size_t i = 0; i < nr; i++) {
		drop[i] = effects[i].verdict != ATTRIB_HELPS;
		n += drop[i];
	}
	if (n == nr) {
		memset(drop, 0, nr ? nr : 1);
		n = 0;
	}
	char *s = without_set(body, rules, nr, drop);
	free(drop);
	if (removed)
		*removed = n;
	return s;
}

char *attrib_json(int candidate_id, const struct paired_counts *full,
		  const struct attrib_rule *rules, const struct attrib_effect *effects,
		  size_t nr)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "candidate", candidate_id);
	cJSON_AddNumberToObject(root, "net_gain", stats_net_gain(full));
	cJSON *arr = cJSON_AddArrayToObject(root, "rules");
	for (size_t i = 0; i < nr; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "rule", (double)i + 1);
		cJSON_AddStringToObject(o, "section", rules[i].section ? rules[i].section : "");
		cJSON_AddStringToObject(o, "text", rules[i].text ? rules[i].text : "");
		cJSON_AddNumberToObject(o, "g_without", effects[i].g_without);
		cJSON_AddNumberToObject(o, "marginal", effects[i].marginal);
		cJSON_AddStringToObject(o, "verdict", attrib_verdict_name(effects[i].verdict));
		cJSON_AddNumberToObject(o, "p_value", effects[i].p_value);
		cJSON_AddItemToArray(arr, o);
	}
	char *out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

/* ------------------------------------------------------------------ */
/* Provenance                                                          */

static const char *item_text(const cJSON *it)
{
	static const char *const keys[] = { "rule", "text", "content", "lesson", "pattern" };
	if (cJSON_IsString(it))
		return it->valuestring;
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, keys[k]);
		if (cJSON_IsString(v))
			return v->valuestring;
	}
	return NULL;
}

static void add_rule(struct attrib_rule **rules, size_t *n, size_t *alloc,
		     const char *section, const char *text, const cJSON *ev)
{
	ALLOC_GROW(*rules, *n + 1, *alloc);
	struct attrib_rule *r = &(*rules)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->section = xstrdup(section);
	r->text = xstrdup(text);
	if (cJSON_IsString(ev)) {
		r->evidence = xcalloc(1, sizeof(char *));
		r->evidence[r->nr_evidence++] = xstrdup(ev->valuestring);
		return;
	}
	int count = cJSON_IsArray(ev) ? cJSON_GetArraySize(ev) : 0;
	if (count <= 0)
		return;
	r->evidence = xcalloc((size_t)count, sizeof(char *));
	const cJSON *e;
	cJSON_ArrayForEach(e, ev) {
		if (cJSON_IsString(e))
			r->evidence[r->nr_evidence++] = xstrdup(e->valuestring);
		else if (cJSON_IsNumber(e))
			r->evidence[r->nr_evidence++] = xasprintf("%g", e->valuedouble);
	}
}

static const cJSON *item_evidence(const cJSON *it)
{
	static const char *const keys[] = { "evidence", "evidence_ids", "sources" };
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, keys[k]);
		if (v)
			return v;
	}
	return NULL;
}

int attrib_provenance(const char *skill_json, struct attrib_rule **out, size_t *nr)
{
	static const struct { const char *key, *section; } parts[] = {
		{ "context", "Task context" },
		{ "success_patterns", "Success patterns" },
		{ "failure_lessons", "Failure lessons" },
	};
	*out = NULL;
	*nr = 0;
	cJSON *j = skill_json ? cJSON_Parse(skill_json) : NULL;
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return ss_err_set(SS_EINPUT, "skill_json: not a JSON object");
	}
	struct attrib_rule *rules = NULL;
	size_t n = 0, alloc = 0;
	for (size_t p = 0; p < ARRAY_SIZE(parts); p++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, parts[p].key);
		if (!v)
			continue;
		if (cJSON_IsArray(v)) {
			const cJSON *it;
			cJSON_ArrayForEach(it, v) {
				const char *t = item_text(it);
				if (t)
					add_rule(&rules, &n, &alloc, parts[p].section, t,
						 cJSON_IsObject(it) ? item_evidence(it) : NULL);
			}
		} else {
			const char *t = item_text(v);
			if (t && *t)
				add_rule(&rules, &n, &alloc, parts[p].section, t,
					 cJSON_IsObject(v) ? item_evidence(v) : NULL);
		}
	}
	cJSON_Delete(j);
	*out = rules;
	*nr = n;
	return 0;
}

const char *attrib_evidence_kind(const char *id)
{
	if (!id || !*id)
		return "evidence";
	if (!strncmp(id, "C:", 2))
		return "case";
	int digits = id[1] != 0;
	for (const char *p = id + 1; *p; p++)
		digits &= isdigit((unsigned char)*p) != 0;
	if (digits) {
		switch (id[0]) {
		case 'F':
			return "failure cluster";
		case 'S':
			return "success cluster";
		case 'P':
			return "pair";
		}
	}
	return "evidence";
}
