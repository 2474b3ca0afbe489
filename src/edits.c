/*
 * Bounded skill edits: parse, merge and rank, apply, learning rate.
 */
#include "skillsmith/edits.h"
#include "skillsmith/common.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const op_names[] = { "append", "insert_after", "replace", "delete" };

int edit_op_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
		if (s && !strcmp(s, op_names[i]))
			return (int)i;
	return -1;
}

const char *edit_op_name(enum edit_op op)
{
	return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

void edit_release(struct skill_edit *e)
{
	free(e->target);
	free(e->content);
	if (e->evidence)
		for (char **p = e->evidence; *p; p++)
			free(*p);
	free(e->evidence);
	memset(e, 0, sizeof(*e));
}

void edits_free(struct skill_edit *v, int n)
{
	for (int i = 0; i < n; i++)
		edit_release(&v[i]);
	free(v);
}

static int strv_len(char **v)
{
	int n = 0;
	while (v && v[n])
		n++;
	return n;
}

static int strv_has(char **v, const char *s)
{
	for (int i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static void strv_push(char ***v, const char *s)
{
	int n = strv_len(*v);
	*v = xrealloc(*v, (size_t)(n + 2) * sizeof(char *));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

int edits_parse(const cJSON *arr, struct skill_edit **out, struct buf *skipped)
{
	struct skill_edit *v = NULL;
	int n = 0, alloc = 0, i = 0;
	const cJSON *it;
	*out = NULL;
	if (!cJSON_IsArray(arr))
		return 0;
	cJSON_ArrayForEach(it, arr) {
		const cJSON *op = cJSON_GetObjectItemCaseSensitive(it, "op");
		const cJSON *target = cJSON_GetObjectItemCaseSensitive(it, "target");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(it, "evidence");
		int kind = cJSON_IsString(op) ? edit_op_parse(op->valuestring) : -1;
		i++;
		if (kind < 0) {
			if (skipped)
				buf_addf(skipped, "edit %d: unknown op\n", i);
			continue;
		}
		if (target && !cJSON_IsString(target) && !cJSON_IsNull(target)) {
			if (skipped)
				buf_addf(skipped, "edit %d: target must be a string\n", i);
			continue;
		}
		if (content && !cJSON_IsString(content) && !cJSON_IsNull(content)) {
			if (skipped)
				buf_addf(skipped, "edit %d: content must be a string\n", i);
			continue;
		}
		const char *t = cJSON_IsString(target) ? target->valuestring : "";
		const char *c = cJSON_IsString(content) ? content->valuestring : "";
		if (kind != EDIT_APPEND && !*t) {
			if (skipped)
				buf_addf(skipped, "edit %d: %s needs a target\n", i, op_names[kind]);
			continue;
		}
		if (kind != EDIT_DELETE && !*c) {
			if (skipped)
				buf_addf(skipped, "edit %d: %s needs content\n", i, op_names[kind]);
			continue;
		}
		ALLOC_GROW(v, n + 1, alloc);
		struct skill_edit *e = &v[n];
		memset(e, 0, sizeof(*e));
		e->op = (enum edit_op)kind;
		e->target = xstrdup(t);
		e->content = xstrdup(c);
		e->votes = 1;
		e->order = n;
		const cJSON *x;
		if (cJSON_IsArray(ev))
			cJSON_ArrayForEach(x, ev)
				if (cJSON_IsString(x) && !strv_has(e->evidence, x->valuestring))
					strv_push(&e->evidence, x->valuestring);
		n++;
	}
	*out = v;
	return n;
}

/* -------------------------------------------------------- merge and rank */

/* Lower-case words of s, for overlap. */
static int words(const char *s, char ***out)
{
	char **v = NULL;
	int n = 0, alloc = 0;
	while (*s) {
		while (*s && !isalnum((unsigned char)*s))
			s++;
		const char *st = s;
		while (isalnum((unsigned char)*s))
			s++;
		if (s > st) {
			ALLOC_GROW(v, n + 1, alloc);
			v[n] = xstrndup(st, (size_t)(s - st));
			for (char *p = v[n]; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			n++;
		}
	}
	*out = v;
	return n;
}

static double overlap(const char *a, const char *b)
{
	char **wa, **wb;
	int na = words(a, &wa), nb = words(b, &wb);
	int common = 0, uni;
	double r;
	for (int i = 0; i < na; i++) {
		int dup = 0;
		for (int k = 0; k < i && !dup; k++)
			dup = !strcmp(wa[k], wa[i]);
		if (dup)
			continue;
		for (int j = 0; j < nb; j++)
			if (!strcmp(wa[i], wb[j])) {
				common++;
				break;
			}
	}
	/* distinct counts for the union */
	int da = 0, db = 0;
	for (int i = 0; i < na; i++) {
		int dup = 0;
		for (int k = 0; k < i && !dup; k++)
			dup = !strcmp(wa[k], wa[i]);
		da += !dup;
	}
	for (int i = 0; i < nb; i++) {
		int dup = 0;
		for (int k = 0; k < i && !dup; k++)
			dup = !strcmp(wb[k], wb[i]);
		db += !dup;
	}
	uni = da + db - common;
	r = uni ? (double)common / uni : 1.0;
	for (int i = 0; i < na; i++)
		free(wa[i]);
	for (int i = 0; i < nb; i++)
		free(wb[i]);
	free(wa);
	free(wb);
	return r;
}

static int near_duplicate(const struct skill_edit *a, const struct skill_edit *b)
{
	if (a->op != b->op)
		return 0;
	if (overlap(a->target, b->target) < 0.8)
		return 0;
	return overlap(a->content, b->content) >= 0.8;
}

static int rank_cmp(const void *pa, const void *pb)
{
	const struct skill_edit *a = pa, *b = pb;
	if (a->votes != b->votes)
		return b->votes - a->votes;
	int ea = strv_len(a->evidence), eb = strv_len(b->evidence);
	if (ea != eb)
		return eb - ea;
	return a->order - b->order;
}

int edits_merge_rank(struct skill_edit *v, int n)
{
	int kept = 0;
	for (int i = 0; i < n; i++) {
		int merged = 0;
		for (int j = 0; j < kept && !merged; j++) {
			if (!near_duplicate(&v[j], &v[i]))
				continue;
			v[j].votes += v[i].votes;
			for (int k = 0; v[i].evidence && v[i].evidence[k]; k++)
				if (!strv_has(v[j].evidence, v[i].evidence[k]))
					strv_push(&v[j].evidence, v[i].evidence[k]);
			edit_release(&v[i]);
			merged = 1;
		}
		if (!merged) {
			if (kept != i) {
				v[kept] = v[i];
				memset(&v[i], 0, sizeof(v[i]));
			}
			kept++;
		}
	}
	qsort(v, (size_t)kept, sizeof(*v), rank_cmp);
	return kept;
}

/* ----------------------------------------------------------------- apply */

/* Length of the YAML front matter ("---\n...\n---\n"), or 0. */
static size_t front_matter_len(const char *s)
{
	if (strncmp(s, "---\n", 4))
		return 0;
	const char *p = s + 4;
	for (;;) {
		const char *nl = strchr(p, '\n');
		if (!strncmp(p, "---", 3) && (p[3] == '\n' || p[3] == '\0'))
			return (size_t)(p - s) + (p[3] ? 4 : 3);
		if (!nl)
			return 0;
		p = nl + 1;
	}
}

/* A heading line "#... name" matching `target` (with or without #s). */
static int heading_matches(const char *line, size_t len, const char *target)
{
	if (!len || line[0] != '#')
		return 0;
	while (len && *line == '#')
		line++, len--;
	while (len && *line == ' ')
		line++, len--;
	while (*target == '#')
		target++;
	while (*target == ' ')
		target++;
	size_t tl = strlen(target);
	while (tl && isspace((unsigned char)target[tl - 1]))
		tl--;
	while (len && isspace((unsigned char)line[len - 1]))
		len--;
	return tl && tl == len && !strncasecmp(line, target, tl);
}

/* Find the section named target in body: [*start, *end) spans its content
 * after the heading line; *head is the heading line's start. */
static int find_section(const char *body, const char *target, size_t *head,
			size_t *start, size_t *end)
{
	size_t pos = 0, blen = strlen(body);
	int found = 0, level = 0;
	while (pos < blen) {
		const char *nl = strchr(body + pos, '\n');
		size_t ll = nl ? (size_t)(nl - body - pos) : blen - pos;
		size_t next = nl ? pos + ll + 1 : blen;
		if (!found && heading_matches(body + pos, ll, target)) {
			found = 1;
			*head = pos;
			*start = next;
			level = 0;
			while (level < (int)ll && body[pos + level] == '#')
				level++;
		} else if (found && ll && body[pos] == '#') {
			int l = 0;
			while (l < (int)ll && body[pos + l] == '#')
				l++;
			if (l <= level) {
				*end = pos;
				return 1;
			}
		}
		pos = next;
	}
	if (found)
		*end = blen;
	return found;
}

static int count_occurrences(const char *hay, const char *needle, const char **first)
{
	int n = 0;
	size_t nl = strlen(needle);
	*first = NULL;
	if (!nl)
		return 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + nl, needle)) {
		if (!n)
			*first = p;
		n++;
	}
	return n;
}

/* Make `content` a block: ends in one newline. */
static void add_block(struct buf *b, const char *content)
{
	buf_adds(b, content);
	if (!b->len || b->buf[b->len - 1] != '\n')
		buf_addch(b, '\n');
}

int edit_apply(const char *skill_md, const struct skill_edit *e, char **out, char **reason)
{
	size_t fm = front_matter_len(skill_md);
	const char *body = skill_md + fm;
	struct buf b = BUF_INIT;
	size_t head = 0, start = 0, end = 0;
	const char *hit;

	*out = NULL;
	if (reason)
		*reason = NULL;
	buf_add(&b, skill_md, fm);

	if (e->op == EDIT_APPEND && !*e->target) {
		buf_adds(&b, body);
		if (b.len && b.buf[b.len - 1] != '\n')
			buf_addch(&b, '\n');
		add_block(&b, e->content);
		goto done;
	}
	if (find_section(body, e->target, &head, &start, &end)) {
		/* trailing blank lines of the section stay after the edit */
		size_t tail = end;
		while (tail > start && body[tail - 1] == '\n' &&
		       tail - 1 > start && body[tail - 2] == '\n')
			tail--;
		switch (e->op) {
		case EDIT_APPEND:
			buf_add(&b, body, tail);
			if (tail > start && body[tail - 1] != '\n')
				buf_addch(&b, '\n');
			add_block(&b, e->content);
			buf_adds(&b, body + tail);
			break;
		case EDIT_INSERT_AFTER:
			buf_add(&b, body, start);
			add_block(&b, e->content);
			buf_adds(&b, body + start);
			break;
		case EDIT_REPLACE:
			buf_add(&b, body, start);
			add_block(&b, e->content);
			buf_adds(&b, body + tail);
			break;
		case EDIT_DELETE:
			buf_add(&b, body, head);
			buf_adds(&b, body + end);
			break;
		}
		goto done;
	}

	int n = count_occurrences(body, e->target, &hit);
	if (n != 1) {
		if (reason)
			*reason = n ? xasprintf("target occurs %d times; it must name one place", n)
				    : xstrdup("target not found in the skill");
		buf_release(&b);
		return SS_ENOTFOUND;
	}
	size_t at = (size_t)(hit - body), tl = strlen(e->target);
	switch (e->op) {
	case EDIT_APPEND:
	case EDIT_INSERT_AFTER: {
		/* after the line holding the end of the target */
		const char *nl = strchr(body + at + tl, '\n');
		size_t cut = nl ? (size_t)(nl - body) + 1 : strlen(body);
		buf_add(&b, body, cut);
		if (!nl)
			buf_addch(&b, '\n');
		add_block(&b, e->content);
		buf_adds(&b, body + cut);
		break;
	}
	case EDIT_REPLACE:
		buf_add(&b, body, at);
		buf_adds(&b, e->content);
		buf_adds(&b, body + at + tl);
		break;
	case EDIT_DELETE: {
		/* a target that is a whole line (or lines) goes with its newline */
		size_t ls = at, le = at + tl;
		while (ls > 0 && body[ls - 1] != '\n')
			ls--;
		const char *nl = strchr(body + le, '\n');
		size_t lend = nl ? (size_t)(nl - body) : strlen(body);
		int whole = 1;
		for (size_t i = ls; i < at && whole; i++)
			whole = !!strchr(" \t-*0123456789.", body[i]);
		for (size_t i = le; i < lend && whole; i++)
			whole = isspace((unsigned char)body[i]);
		if (whole) {
			buf_add(&b, body, ls);
			buf_adds(&b, nl ? nl + 1 : "");
		} else {
			buf_add(&b, body, at);
			buf_adds(&b, body + le);
		}
		break;
	}
	}
done:
	*out = buf_detach(&b, NULL);
	return SS_OK;
}

/* ------------------------------------------------------- learning rate */

int edits_learning_rate(int base, enum lr_schedule sched, int step, int total)
{
	double f = 1.0;
	if (base < 1)
		base = 1;
	if (total < 1)
		total = 1;
	if (step < 0)
		step = 0;
	if (step > total)
		step = total;
	switch (sched) {
	case LR_CONSTANT:
		f = 1.0;
		break;
	case LR_LINEAR:
		f = 1.0 - (double)step / total;
		break;
	case LR_COSINE:
		f = 0.5 * (1.0 + cos(M_PI * step / total));
		break;
	}
	int lr = (int)ceil(base * f - 1e-9);
	return lr < 1 ? 1 : lr;
}

void edits_render(struct buf *out, const struct skill_edit *e, const char *reason)
{
	buf_addf(out, "- %s", edit_op_name(e->op));
	if (*e->target)
		buf_addf(out, " target \"%s\"", e->target);
	if (*e->content)
		buf_addf(out, " content \"%s\"", e->content);
	if (reason && *reason)
		buf_addf(out, " (%s)", reason);
	buf_addch(out, '\n');
}
