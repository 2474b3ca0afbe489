/*
 * Task suites in JSONL.  Every failure names the file, the line and the
 * field, and leaves nothing half-loaded.
 */
#include "skillsmith/tasks.h"
#include "skillsmith/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long utf8_invalid_at(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1; min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2; min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3; min = 0x10000;
		} else {
			return (long)i;
		}
		if (i + n >= len)
			return (long)i;
		unsigned cp = c & (0x3F >> n);
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

/* ------------------------------------------------------------ id set */

struct idset {
	uint64_t *hash;
	int *slot;     /* task index + 1, 0 empty */
	size_t cap;
};

static void idset_init(struct idset *s, size_t n)
{
	s->cap = 16;
	while (s->cap < n * 2)
		s->cap *= 2;
	s->hash = xcalloc(s->cap, sizeof(*s->hash));
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
}

static void idset_release(struct idset *s)
{
	free(s->hash);
	free(s->slot);
}

/* Insert task `idx`; returns the index of an earlier task with the same id, or -1. */
static int idset_add(struct idset *s, const struct task *v, int idx)
{
	const char *id = v[idx].id;
	uint64_t h = ss_hash64(id, strlen(id));
	size_t i = h & (s->cap - 1);
	while (s->slot[i]) {
		int j = s->slot[i] - 1;
		if (s->hash[i] == h && !strcmp(v[j].id, id))
			return j;
		i = (i + 1) & (s->cap - 1);
	}
	s->hash[i] = h;
	s->slot[i] = idx + 1;
	return -1;
}

/* ------------------------------------------------------------ parsing */

static void task_release(struct task *t)
{
	free(t->id);
	free(t->input);
	free(t->expected);
	free(t->type);
	cJSON_Delete(t->metadata);
	cJSON_Delete(t->grader_json);
	if (t->grader) {
		grader_config_release(t->grader);
		free(t->grader);
	}
	memset(t, 0, sizeof(*t));
}

void tasks_release(struct task_set *ts)
{
	for (int i = 0; i < ts->nr; i++)
		task_release(&ts->v[i]);
	free(ts->v);
	free(ts->path);
	ts->v = NULL;
	ts->nr = 0;
	ts->path = NULL;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int parse_line(struct task *t, const char *line, size_t n, const char *name, int lineno,
		      const char *basedir, const struct grader_config *base)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(line, n, &end, 0);
	if (!o) {
		size_t off = end && end >= line ? (size_t)(end - line) : 0;
		if (off >= n || is_blank(line + off + 1, n - off - 1))
			return ss_err_set(SS_EINPUT, "%s:%d: invalid JSON: the line ends too early",
					  name, lineno);
		size_t show = n - off < 12 ? n - off : 12;
		return ss_err_set(SS_EINPUT, "%s:%d:%zu: invalid JSON near '%.*s'", name, lineno,
				  off + 1, (int)show, line + off);
	}
	for (const char *q = end; q < line + n; q++) {
		if (*q != ' ' && *q != '\t' && *q != '\r') {
			cJSON_Delete(o);
			return ss_err_set(SS_EINPUT, "%s:%d:%zu: invalid JSON: text after the object "
					  "(one instance a line)", name, lineno, (size_t)(q - line) + 1);
		}
	}
	int rc = 0;
	if (!cJSON_IsObject(o)) {
		rc = ss_err_set(SS_EINPUT, "%s:%d: a task must be a JSON object", name, lineno);
		goto cleanup;
	}
	t->line = lineno;
	cJSON *it;
	cJSON_ArrayForEach(it, o) {
		const char *k = it->string;
		for (cJSON *q = o->child; q != it; q = q->next) {
			if (!strcmp(q->string, k)) {
				rc = ss_err_set(SS_EINPUT, "%s:%d: field '%s' appears twice", name,
						lineno, k);
				goto cleanup;
			}
		}
		if (!strcmp(k, "id")) {
			if (!cJSON_IsString(it)) {
				rc = ss_err_set(SS_EINPUT, "%s:%d: field 'id' must be a string", name, lineno);
				goto cleanup;
			}
			size_t l = strlen(it->valuestring);
			if (l == 0 || l > TASKS_MAX_ID) {
				rc = ss_err_set(SS_EINPUT, "%s:%d: field 'id' must be 1 to %d bytes long",
						name, lineno, TASKS_MAX_ID);
				goto cleanup;
			}
			for (const char *c = it->valuestring; *c; c++) {
				if ((unsigned char)*c < 0x20 || *c == 0x7f) {
					rc = ss_err_set(SS_EINPUT, "%s:%d: field 'id' must not hold "
							"control characters", name, lineno);
					goto cleanup;
				}
			}
			t->id = xstrdup(it->valuestring);
		} else if (!strcmp(k, "input")) {
			if (!cJSON_IsString(it)) {
				rc = ss_err_set(SS_EINPUT, "%s:%d: field 'input' must be a string", name,
						lineno);
				goto cleanup;
			}
			t->input = xstrdup(it->valuestring);
		} else if (!strcmp(k, "expected")) {
			if (cJSON_IsString(it)) {
				t->expected = xstrdup(it->valuestring);
			} else if (cJSON_IsNumber(it) || cJSON_IsBool(it)) {
				char *s = cJSON_PrintUnformatted(it);
				t->expected = xstrdup(s ? s : "");
				cJSON_free(s);
			} else if (!cJSON_IsNull(it)) {
				rc = ss_err_set(SS_EINPUT, "%s:%d: field 'expected' must be a string",
						name, lineno);
				goto cleanup;
			}
		} else if (!strcmp(k, "type")) {
			if (cJSON_IsNull(it))
				continue;
			if (!cJSON_IsString(it)) {
				rc = ss_err_set(SS_EINPUT, "%s:%d: field 'type' must be a string", name,
						lineno);
				goto cleanup;
			}
			t->type = xstrdup(it->valuestring);
		} else if (!strcmp(k, "metadata")) {
			if (cJSON_IsNull(it))
				continue;
			if (!cJSON_IsObject(it)) {
				rc = ss_err_set(SS_EINPUT, "%s:%d: field 'metadata' must be an object",
						name, lineno);
				goto cleanup;
			}
			t->metadata = cJSON_Duplicate(it, 1);
		} else if (!strcmp(k, "grader")) {
			if (cJSON_IsNull(it))
				continue;
			char *where = xasprintf("%s:%d", name, lineno);
			t->grader = xmalloc(sizeof(*t->grader));
			if (base)
				grader_config_copy(t->grader, base);
			else
				grader_config_init(t->grader);
			rc = grader_config_parse(t->grader, it, where, "grader", basedir);
			free(where);
			if (rc)
				goto cleanup;
			t->grader_json = cJSON_Duplicate(it, 1);
		} else {
			rc = ss_err_set(SS_EINPUT, "%s:%d: unknown field '%s' (fields: id, input, "
					"expected, type, metadata, grader)", name, lineno, k);
			goto cleanup;
		}
	}
	if (!t->id)
		rc = ss_err_set(SS_EINPUT, "%s:%d: field 'id' is missing", name, lineno);
	else if (!t->input)
		rc = ss_err_set(SS_EINPUT, "%s:%d: field 'input' is missing", name, lineno);
cleanup:
	cJSON_Delete(o);
	return rc;
}

int tasks_parse(struct task_set *ts, const char *text, size_t len, const char *name,
		const char *basedir, const struct grader_config *base)
{
	struct task *v = NULL;
	size_t nr = 0, alloc = 0;
	int rc = 0, lineno = 0;
	struct idset ids = { 0 };

	ts->v = NULL;
	ts->nr = 0;
	ts->path = NULL;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		text += 3;
		len -= 3;
	}
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (n > TASKS_MAX_LINE) {
			rc = ss_err_set(SS_EINPUT, "%s:%d: line is longer than %d bytes", name, lineno,
					TASKS_MAX_LINE);
			goto fail;
		}
		if (memchr(p, '\0', n)) {
			rc = ss_err_set(SS_EINPUT, "%s:%d: line holds a NUL byte (not a text file?)",
					name, lineno);
			goto fail;
		}
		long bad = utf8_invalid_at(p, n);
		if (bad >= 0) {
			rc = ss_err_set(SS_EINPUT, "%s:%d: invalid UTF-8 at byte %ld of the line",
					name, lineno, bad + 1);
			goto fail;
		}
		if (!is_blank(p, n)) {
			ALLOC_GROW(v, nr + 1, alloc);
			memset(&v[nr], 0, sizeof(v[nr]));
			v[nr].idx = (int)nr;
			nr++;
			rc = parse_line(&v[nr - 1], p, n, name, lineno, basedir, base);
			if (rc)
				goto fail;
		}
		p = nl ? nl + 1 : end;
	}
	if (nr == 0) {
		rc = ss_err_set(SS_EINPUT, "%s: no tasks (the file is empty)", name);
		goto fail;
	}
	idset_init(&ids, nr);
	for (size_t i = 0; i < nr; i++) {
		int j = idset_add(&ids, v, (int)i);
		if (j >= 0) {
			rc = ss_err_set(SS_EINPUT, "%s:%d: duplicate id '%s' (first on line %d)", name,
					v[i].line, v[i].id, v[j].line);
			goto fail;
		}
	}
	idset_release(&ids);
	ts->v = v;
	ts->nr = (int)nr;
	ts->path = xstrdup(name);
	return 0;
fail:
	idset_release(&ids);
	for (size_t i = 0; i < nr; i++)
		task_release(&v[i]);
	free(v);
	return rc;
}

int tasks_load(struct task_set *ts, const char *path, const struct grader_config *base)
{
	size_t len;
	ts->v = NULL;
	ts->nr = 0;
	ts->path = NULL;
	char *text = ss_read_file(path, &len);
	if (!text)
		return SS_EINPUT;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
	int rc = tasks_parse(ts, text, len, path, dir, base);
	free(dir);
	free(text);
	return rc;
}

const struct task *tasks_find(const struct task_set *ts, const char *id)
{
	for (int i = 0; i < ts->nr; i++)
		if (!strcmp(ts->v[i].id, id))
			return &ts->v[i];
	return NULL;
}

const struct grader_config *task_grader(const struct task *t, const struct grader_config *suite)
{
	return t->grader ? t->grader : suite;
}
