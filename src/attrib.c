/*
 * Rule attribution (leave-one-rule-out) and provenance of skill rules.
 */
#include "skillsmith/attrib.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"

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

struct line {
	size_t start, end;   /* end: after the newline, or the text's end */
	const char *s;
	size_t len;          /* without the newline (and a CR) */
};

static int blank(const struct line *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

static size_t indent(const struct line *l)
{
	size_t i = 0;
	while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	return i;
}

static int heading(const struct line *l)
{
	size_t i = indent(l);
	if (i > 3 || i >= l->len || l->s[i] != '#')
		return 0;
	while (i < l->len && l->s[i] == '#')
		i++;
	return i == l->len || l->s[i] == ' ' || l->s[i] == '\t';
}

static int fence(const struct line *l)
{
	size_t i = indent(l);
	return i <= 3 && l->len - i >= 3 &&
	       (!strncmp(l->s + i, "```", 3) || !strncmp(l->s + i, "~~~", 3));
}

/* Length of a bullet marker and its space at the line's start, or 0. */
static size_t bullet(const struct line *l)
{
	size_t i = indent(l);
	if (i >= l->len)
		return 0;
	if (strchr("-*+", l->s[i]) && i + 1 < l->len && (l->s[i + 1] == ' ' || l->s[i + 1] == '\t'))
		return i + 2;
	size_t j = i;
	while (j < l->len && isdigit((unsigned char)l->s[j]) && j - i < 9)
		j++;
	if (j > i && j + 1 < l->len && (l->s[j] == '.' || l->s[j] == ')') &&
	    (l->s[j + 1] == ' ' || l->s[j + 1] == '\t'))
		return j + 2;
	return 0;
}

static char *heading_text(const struct line *l)
{
	size_t i = indent(l);
	while (i < l->len && l->s[i] == '#')
		i++;
	size_t e = l->len;
	while (e > i && (l->s[e - 1] == '#' || isspace((unsigned char)l->s[e - 1])))
		e--;
	while (i < e && isspace((unsigned char)l->s[i]))
		i++;
	return xstrndup(l->s + i, e - i);
}

static void add_text(struct buf *t, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return;
	if (t->len)
		buf_addch(t, ' ');
	buf_add(t, s, len);
}

void attrib_split(const char *body, struct attrib_rule **out, size_t *nr)
{
	struct line *lines = NULL;
	size_t nl = 0, alloc_l = 0, len = strlen(body), pos = 0;
	while (pos < len) {
		const char *e = memchr(body + pos, '\n', len - pos);
		size_t end = e ? (size_t)(e - body) + 1 : len;
		ALLOC_GROW(lines, nl + 1, alloc_l);
		struct line *l = &lines[nl++];
		l->start = pos;
		l->end = end;
		l->s = body + pos;
		l->len = (e ? (size_t)(e - body) : len) - pos;
		if (l->len && l->s[l->len - 1] == '\r')
			l->len--;
		pos = end;
	}

	struct attrib_rule *rules = NULL;
	size_t n = 0, alloc_r = 0;
	char *section = xstrdup("");
	size_t i = 0;
	/* YAML front matter */
	if (nl && lines[0].len == 3 && !strncmp(lines[0].s, "---", 3)) {
		for (size_t k = 1; k < nl; k++) {
			if (lines[k].len == 3 && !strncmp(lines[k].s, "---", 3)) {
				i = k + 1;
				break;
			}
		}
	}
	struct buf text = BUF_INIT;
	int open = 0;         /* a rule is being collected */
	int prev_rule = 0;    /* a rule ended in this section (fences attach) */
	while (i < nl) {
		struct line *l = &lines[i];
		if (heading(l) || blank(l)) {
			if (open) {
				rules[n - 1].text = buf_detach(&text, NULL);
				open = 0;
				prev_rule = 1;
			}
			if (heading(l)) {
				free(section);
				section = heading_text(l);
				prev_rule = 0;
			}
			i++;
			continue;
		}
		if (fence(l)) {
			/* the whole block, to the closing fence */
			size_t k = i + 1;
			while (k < nl && !fence(&lines[k]))
				k++;
			size_t last = k < nl ? k : nl - 1;
			if (open || prev_rule) {
				if (open) {
					rules[n - 1].text = buf_detach(&text, NULL);
					open = 0;
				}
				rules[n - 1].end = lines[last].end;
			} else {
				ALLOC_GROW(rules, n + 1, alloc_r);
				struct attrib_rule *r = &rules[n++];
				memset(r, 0, sizeof(*r));
				r->section = xstrdup(section);
				r->start = l->start;
				r->end = lines[last].end;
				struct buf code = BUF_INIT;
				for (size_t j = i + 1; j < last; j++)
					add_text(&code, lines[j].s, lines[j].len);
				r->text = buf_detach(&code, NULL);
			}
			prev_rule = 1;
			i = last + 1;
			continue;
		}
		size_t b = bullet(l);
		if (b || !open) {
			if (open)
				rules[n - 1].text = buf_detach(&text, NULL);
			ALLOC_GROW(rules, n + 1, alloc_r);
			struct attrib_rule *r = &rules[n++];
			memset(r, 0, sizeof(*r));
			r->section = xstrdup(section);
			r->start = l->start;
			open = 1;
		}
		rules[n - 1].end = l->end;
		add_text(&text, l->s + b, l->len - b);
		i++;
	}
	if (open)
		rules[n - 1].text = buf_detach(&text, NULL);
	for (size_t k = 0; k < n; k++)
		if (!rules[k].text)
			rules[k].text = xstrdup("");
	buf_release(&text);
	free(section);
	free(lines);
	*out = rules;
	*nr = n;
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
