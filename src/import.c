/*
 * Import of existing trajectories: JSON / JSONL in the DESIGN.md shape or
 * any shape through field paths, checked as a whole, written as one run in
 * one transaction (see import.h).
 */
#include "skillsmith/import.h"
#include "skillsmith/tasks.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/store.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const import_fields[IMPORT_NR_FIELDS] = {
	[IMPORT_INSTANCE_ID] = "instance_id",
	[IMPORT_INPUT] = "input",
	[IMPORT_MESSAGES] = "messages",
	[IMPORT_OUTPUT] = "output",
	[IMPORT_OUTCOME] = "outcome",
	[IMPORT_SCORE] = "score",
	[IMPORT_PROMPT_TOKENS] = "prompt_tokens",
	[IMPORT_COMPLETION_TOKENS] = "completion_tokens",
	[IMPORT_LATENCY_MS] = "latency_ms",
	[IMPORT_ERROR] = "error",
	[IMPORT_TYPE] = "type",
	[IMPORT_EXPECTED] = "expected",
	[IMPORT_METADATA] = "metadata",
	[IMPORT_TOKENS] = "tokens",
};

static const char *const default_paths[IMPORT_NR_FIELDS] = {
	[IMPORT_INSTANCE_ID] = "instance_id",
	[IMPORT_INPUT] = "input",
	[IMPORT_MESSAGES] = "messages",
	[IMPORT_OUTPUT] = "output",
	[IMPORT_OUTCOME] = "outcome",
	[IMPORT_SCORE] = "score",
	[IMPORT_PROMPT_TOKENS] = "tokens.prompt",
	[IMPORT_COMPLETION_TOKENS] = "tokens.completion",
	[IMPORT_LATENCY_MS] = "latency_ms",
	[IMPORT_ERROR] = "error",
	[IMPORT_TYPE] = "type",
	[IMPORT_EXPECTED] = "expected",
	[IMPORT_METADATA] = "metadata",
	[IMPORT_TOKENS] = "tokens",
};

/* ---------------------------------------------------------------- paths */

/*
 * Walk `path` from `root` (NULL: only check the syntax).  Returns 0 and
 * *out (NULL when missing), or SS_EINPUT for a malformed path.
 */
static int path_walk(const cJSON *root, const char *path, const cJSON **out)
{
	const cJSON *cur = root;
	const char *p = path;
	struct buf key = BUF_INIT;
	int rc = 0;

	if (!p || !*p) {
		rc = ss_err_set(SS_EINPUT, "empty path");
		goto cleanup;
	}
	while (*p) {
		buf_reset(&key);
		if (*p == '[') {
			p++;
			if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1])
						p++;
					buf_addch(&key, *p++);
				}
				if (*p != '"' || p[1] != ']') {
					rc = ss_err_set(SS_EINPUT, "path '%s': unterminated [\"key\"]", path);
					goto cleanup;
				}
				p += 2;
				if (cur)
					cur = cJSON_IsObject(cur)
						? cJSON_GetObjectItemCaseSensitive(cur, key.buf) : NULL;
			} else {
				if (!isdigit((unsigned char)*p)) {
					rc = ss_err_set(SS_EINPUT, "path '%s': expected an index or a quoted key after '['", path);
					goto cleanup;
				}
				long idx = 0;
				while (isdigit((unsigned char)*p)) {
					idx = idx * 10 + (*p++ - '0');
					if (idx > 100000000) {
						rc = ss_err_set(SS_EINPUT, "path '%s': index too large", path);
						goto cleanup;
					}
				}
				if (*p != ']') {
					rc = ss_err_set(SS_EINPUT, "path '%s': missing ']'", path);
					goto cleanup;
				}
				p++;
				if (cur)
					cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, (int)idx) : NULL;
			}
		} else {
			if (*p == '.') {
				if (p == path) {
					rc = ss_err_set(SS_EINPUT, "path '%s': starts with '.'", path);
					goto cleanup;
				}
				p++;
			}
			while (*p && *p != '.' && *p != '[')
				buf_addch(&key, *p++);
			if (!key.len) {
				rc = ss_err_set(SS_EINPUT, "path '%s': empty key", path);
				goto cleanup;
			}
			if (cur)
				cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key.buf) : NULL;
		}
		if (root && !cur)
			break;
	}
	if (out)
		*out = root ? cur : NULL;
cleanup:
	buf_release(&key);
	return rc;
}

int import_path_valid(const char *path)
{
	return path_walk(NULL, path, NULL);
}

const cJSON *import_path_get(const cJSON *root, const char *path)
{
	const cJSON *out = NULL;
	if (!root || path_walk(root, path, &out) < 0)
		return NULL;
	return out;
}

int import_add_map(struct import_options *o, const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return ss_err_set(SS_EINPUT, "--map '%s': expected FIELD=PATH", spec);
	size_t flen = (size_t)(eq - spec);
	int field = -1;
	for (int i = 0; i < IMPORT_NR_FIELDS; i++)
		if (strlen(import_fields[i]) == flen && !strncmp(spec, import_fields[i], flen))
			field = i;
	if (field < 0 && flen == 13 && !strncmp(spec, "tokens.prompt", 13))
		field = IMPORT_PROMPT_TOKENS;
	if (field < 0 && flen == 17 && !strncmp(spec, "tokens.completion", 17))
		field = IMPORT_COMPLETION_TOKENS;
	if (field < 0) {
		struct buf names = BUF_INIT;
		for (int i = 0; i < IMPORT_NR_FIELDS; i++)
			buf_addf(&names, "%s%s", i ? ", " : "", import_fields[i]);
		ss_err_set(SS_EINPUT, "--map '%s': unknown field '%.*s' (fields: %s)",
			   spec, (int)flen, spec, names.buf);
		buf_release(&names);
		return SS_EINPUT;
	}
	if (path_walk(NULL, eq + 1, NULL) < 0)
		return ss_err_prefix(SS_EINPUT, "--map '%s'", spec);
	o->paths[field] = eq + 1;
	return 0;
}

/* -------------------------------------------------------------- records */

static void record_release(struct import_record *r)
{
	free(r->instance_id);
	free(r->input);
	cJSON_Delete(r->messages);
	free(r->output);
	free(r->error);
	free(r->type);
	free(r->expected);
	free(r->metadata);
	memset(r, 0, sizeof(*r));
}

void import_set_release(struct import_set *set)
{
	for (int i = 0; i < set->nr; i++)
		record_release(&set->rec[i]);
	free(set->rec);
	free(set->file);
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* Context for messages about one record. */
struct rctx {
	const char *file;
	int line;
	const struct import_options *o;
};

static const char *path_of(const struct rctx *c, int field)
{
	return c->o->paths[field] ? c->o->paths[field] : default_paths[field];
}

static int field_err(const struct rctx *c, int field, const char *what)
{
	const char *path = path_of(c, field);
	if (strcmp(path, import_fields[field]))
		return ss_err_set(SS_EINPUT, "%s:%d: field '%s' (path '%s') %s",
				  c->file, c->line, import_fields[field], path, what);
	return ss_err_set(SS_EINPUT, "%s:%d: field '%s' %s", c->file, c->line,
			  import_fields[field], what);
}

static const cJSON *get(const struct rctx *c, const cJSON *rec, int field)
{
	const cJSON *v = import_path_get(rec, path_of(c, field));
	return (v && cJSON_IsNull(v)) ? NULL : v;
}

/* Text of a message content: a string, or the text parts of an array. */
static char *content_text(const cJSON *content)
{
	if (cJSON_IsString(content))
		return xstrdup(content->valuestring);
	if (!cJSON_IsArray(content))
		return NULL;
	struct buf b = BUF_INIT;
	const cJSON *part;
	cJSON_ArrayForEach(part, content) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
		if (cJSON_IsString(t))
			buf_addf(&b, "%s%s", b.len ? "\n" : "", t->valuestring);
	}
	return buf_detach(&b, NULL);
}

static char *find_message(const cJSON *messages, const char *role, int last)
{
	char *found = NULL;
	const cJSON *m;
	cJSON_ArrayForEach(m, messages) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");
		if (!cJSON_IsString(r) || strcmp(r->valuestring, role))
			continue;
		char *t = content_text(cJSON_GetObjectItemCaseSensitive(m, "content"));
		if (!t)
			continue;
		free(found);
		found = t;
		if (!last)
			break;
	}
	return found;
}

/* A scalar as text: strings as they are, numbers without a trailing ".0". */
static char *scalar_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == floor(d) && fabs(d) < 9e15)
			return xasprintf("%lld", (long long)d);
		return xasprintf("%.17g", d);
	}
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	return NULL;
}

static int get_count(const struct rctx *c, const cJSON *rec, int field, int64_t *out)
{
	const cJSON *v = get(c, rec, field);
	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15 ||
	    v->valuedouble != floor(v->valuedouble))
		return field_err(c, field, "must be an integer >= 0");
	*out = (int64_t)v->valuedouble;
	return 0;
}

/*
 * A token count: from its own path when mapped, else the first of `keys`
 * present in the tokens object.
 */
static int get_tokens(const struct rctx *c, const cJSON *rec, int field,
		      const char *const *keys, int *out)
{
	int64_t n = 0;
	*out = 0;
	if (c->o->paths[field]) {
		if (get_count(c, rec, field, &n) < 0)
			return SS_EINPUT;
	} else {
		const cJSON *t = get(c, rec, IMPORT_TOKENS);
		if (!t)
			return 0;
		if (!cJSON_IsObject(t))
			return field_err(c, IMPORT_TOKENS, "must be an object");
		const cJSON *v = NULL;
		const char *key = NULL;
		for (int i = 0; keys[i] && !v; i++) {
			v = cJSON_GetObjectItemCaseSensitive(t, keys[i]);
			key = keys[i];
			if (v && cJSON_IsNull(v))
				v = NULL;
		}
		if (!v)
			return 0;
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15 ||
		    v->valuedouble != floor(v->valuedouble))
			return ss_err_set(SS_EINPUT, "%s:%d: field '%s' (path '%s.%s') must be an integer >= 0",
					  c->file, c->line, import_fields[field], path_of(c, IMPORT_TOKENS), key);
		n = (int64_t)v->valuedouble;
	}
	if (n > INT32_MAX)
		return field_err(c, field, "is too large");
	*out = (int)n;
	return 0;
}

/* 1 or 0 for an outcome word (any case), -1 for anything else. */
static int outcome_word(const char *s)
{
	static const char *const yes[] = { "1", "true", "pass", "passed", "success", "succeeded",
					   "correct", NULL };
	static const char *const no[] = { "0", "false", "fail", "failed", "failure", "incorrect",
					  NULL };
	for (int i = 0; yes[i]; i++)
		if (!strcasecmp(s, yes[i]))
			return 1;
	for (int i = 0; no[i]; i++)
		if (!strcasecmp(s, no[i]))
			return 0;
	return -1;
}

static int parse_record(struct import_record *r, const cJSON *rec, int recno,
			const struct rctx *c)
{
	const struct import_options *o = c->o;
	const cJSON *v;

	memset(r, 0, sizeof(*r));
	r->line = c->line;
	if (!cJSON_IsObject(rec))
		return ss_err_set(SS_EINPUT, "%s:%d: record must be a JSON object", c->file, c->line);

	/* messages first: input and output may come from them */
	v = get(c, rec, IMPORT_MESSAGES);
	if (!v) {
		r->messages = cJSON_CreateArray();
	} else if (cJSON_IsArray(v)) {
		const cJSON *m;
		cJSON_ArrayForEach(m, v)
			if (!cJSON_IsObject(m))
				return field_err(c, IMPORT_MESSAGES, "must be an array of message objects");
		r->messages = cJSON_Duplicate(v, 1);
	} else if (cJSON_IsString(v)) {
		r->messages = cJSON_CreateArray();
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "assistant");
		cJSON_AddStringToObject(m, "content", v->valuestring);
		cJSON_AddItemToArray(r->messages, m);
	} else {
		return field_err(c, IMPORT_MESSAGES, "must be an array of messages or a string");
	}

	v = get(c, rec, IMPORT_INSTANCE_ID);
	if (v) {
		if (!cJSON_IsString(v) && !cJSON_IsNumber(v))
			return field_err(c, IMPORT_INSTANCE_ID, "must be a string or a number");
		r->instance_id = scalar_text(v);
		if (!*r->instance_id)
			return field_err(c, IMPORT_INSTANCE_ID, "must not be empty");
	} else if (o->paths[IMPORT_INSTANCE_ID]) {
		return field_err(c, IMPORT_INSTANCE_ID, "is missing");
	} else {
		r->instance_id = xasprintf("r%d", recno);
	}

	v = get(c, rec, IMPORT_INPUT);
	if (v) {
		if (!cJSON_IsString(v))
			return field_err(c, IMPORT_INPUT, "must be a string");
		r->input = xstrdup(v->valuestring);
	} else {
		r->input = find_message(r->messages, "user", 0);
		if (!r->input)
			return field_err(c, IMPORT_INPUT, "is missing (and no user message holds it)");
	}

	v = get(c, rec, IMPORT_OUTPUT);
	if (v) {
		r->output = cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v)
			? scalar_text(v) : cJSON_PrintUnformatted(v);
	} else {
		r->output = find_message(r->messages, "assistant", 1);
		if (!r->output)
			r->output = xstrdup("");
	}

	int has_score = 0;
	v = get(c, rec, IMPORT_OUTCOME);
	if (!v)
		return field_err(c, IMPORT_OUTCOME, "is missing");
	if (cJSON_IsBool(v)) {
		r->outcome = cJSON_IsTrue(v);
	} else if (cJSON_IsNumber(v) && o->has_threshold) {
		r->outcome = v->valuedouble >= o->threshold;
		if (v->valuedouble >= 0 && v->valuedouble <= 1) {
			r->score = v->valuedouble;
			has_score = 1;
		}
	} else if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) {
		r->outcome = v->valuedouble == 1;
	} else if (cJSON_IsString(v) && outcome_word(v->valuestring) >= 0) {
		r->outcome = outcome_word(v->valuestring);
	} else {
		return field_err(c, IMPORT_OUTCOME,
				 "must be 0 or 1, a boolean, or a number with --threshold");
	}

	v = get(c, rec, IMPORT_SCORE);
	if (v) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1)
			return field_err(c, IMPORT_SCORE, "must be a number from 0 to 1");
		r->score = v->valuedouble;
	} else if (!has_score) {
		r->score = r->outcome;
	}

	static const char *const pkeys[] = { "prompt", "prompt_tokens", "input_tokens", NULL };
	static const char *const ckeys[] = { "completion", "completion_tokens", "output_tokens", NULL };
	if (get_tokens(c, rec, IMPORT_PROMPT_TOKENS, pkeys, &r->prompt_tokens) < 0 ||
	    get_tokens(c, rec, IMPORT_COMPLETION_TOKENS, ckeys, &r->completion_tokens) < 0)
		return SS_EINPUT;
	if (get_count(c, rec, IMPORT_LATENCY_MS, &r->latency_ms) < 0)
		return SS_EINPUT;

	v = get(c, rec, IMPORT_ERROR);
	if (v) {
		if (!cJSON_IsString(v))
			return field_err(c, IMPORT_ERROR, "must be a string or null");
		r->error = xstrdup(v->valuestring);
	}
	v = get(c, rec, IMPORT_TYPE);
	if (v) {
		if (!cJSON_IsString(v))
			return field_err(c, IMPORT_TYPE, "must be a string");
		r->type = xstrdup(v->valuestring);
	}
	v = get(c, rec, IMPORT_EXPECTED);
	if (v) {
		if (!cJSON_IsString(v) && !cJSON_IsNumber(v) && !cJSON_IsBool(v))
			return field_err(c, IMPORT_EXPECTED, "must be a string or a number");
		r->expected = scalar_text(v);
	}
	v = get(c, rec, IMPORT_METADATA);
	if (v) {
		if (!cJSON_IsObject(v))
			return field_err(c, IMPORT_METADATA, "must be an object");
		r->metadata = cJSON_PrintUnformatted(v);
	}
	return 0;
}

/* ---------------------------------------------------------------- files */

static int line_of(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/*
 * Offsets where the elements of the top-level JSON array start, found by
 * a scan that tracks strings and nesting (cJSON keeps no positions).
 */
static size_t *array_starts(const char *text, size_t len, int *nr)
{
	size_t *off = NULL;
	size_t alloc = 0, n = 0;
	int depth = 0, in_str = 0, expect = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if (isspace((unsigned char)ch))
			continue;
		if (depth == 1 && ch == ',') {
			expect = 1;
			continue;
		}
		if (depth == 1 && expect && ch != ']') {
			ALLOC_GROW(off, n + 1, alloc);
			off[n++] = i;
			expect = 0;
		}
		if (ch == '"') {
			in_str = 1;
		} else if (ch == '[' || ch == '{') {
			depth++;
			if (depth == 1)
				expect = 1;
		} else if (ch == ']' || ch == '}') {
			depth--;
			if (depth == 0)
				break;
		}
	}
	*nr = (int)n;
	return off;
}

/*
 * The instance ids seen so far, in an open-addressing table of record
 * indices (load at most one half), so duplicate checks stay linear.
 * Returns the index of an earlier record with the id of record `idx`, or
 * -1 after adding it.
 */
static int id_find_or_add(struct import_set *set, int idx)
{
	if ((size_t)(idx + 1) * 2 > set->nr_slots) {
		size_t n = set->nr_slots ? set->nr_slots * 2 : 64;
		int *slots = xmalloc(n * sizeof(*slots));
		for (size_t i = 0; i < n; i++)
			slots[i] = -1;
		for (size_t i = 0; i < set->nr_slots; i++) {
			int v = set->slots[i];
			if (v < 0)
				continue;
			const char *id = set->rec[v].instance_id;
			size_t h = (size_t)ss_hash64(id, strlen(id)) & (n - 1);
			while (slots[h] >= 0)
				h = (h + 1) & (n - 1);
			slots[h] = v;
		}
		free(set->slots);
		set->slots = slots;
		set->nr_slots = n;
	}
	const char *id = set->rec[idx].instance_id;
	size_t mask = set->nr_slots - 1;
	size_t h = (size_t)ss_hash64(id, strlen(id)) & mask;
	for (; set->slots[h] >= 0; h = (h + 1) & mask)
		if (!strcmp(set->rec[set->slots[h]].instance_id, id))
			return set->slots[h];
	set->slots[h] = idx;
	return -1;
}

static int add_record(struct import_set *set, const cJSON *rec, int line,
		      const char *file, const struct import_options *o)
{
	struct rctx c = { file, line, o };
	ALLOC_GROW(set->rec, set->nr + 1, set->alloc);
	struct import_record *r = &set->rec[set->nr];
	if (parse_record(r, rec, set->nr + 1, &c) < 0) {
		record_release(r);
		return SS_EINPUT;
	}
	int dup = id_find_or_add(set, set->nr);
	if (dup >= 0) {
		ss_err_set(SS_EINPUT, "%s:%d: field 'instance_id' '%s' repeats line %d",
			   file, line, r->instance_id, set->rec[dup].line);
		record_release(r);
		return SS_EINPUT;
	}
	set->nr++;
	return 0;
}

static int parse_error(const char *file, const char *text, const char *at)
{
	int line = at ? line_of(text, (size_t)(at - text)) : 1;
	return ss_err_set(SS_EINPUT, "%s:%d: not valid JSON", file, line);
}

int import_parse(struct import_set *set, const char *text, size_t len,
		 const char *file, const struct import_options *o)
{
	struct import_options dflt = IMPORT_OPTIONS_INIT;
	int rc = 0;
	if (!o)
		o = &dflt;
	memset(set, 0, sizeof(*set));
	set->file = xstrdup(file);

	long bad = utf8_invalid_at(text, len);
	if (bad >= 0) {
		rc = ss_err_set(SS_EINPUT, "%s:%d: invalid UTF-8", file, line_of(text, (size_t)bad));
		goto cleanup;
	}
	size_t i = 0;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i == len) {
		rc = ss_err_set(SS_EINPUT, "%s: no trajectories in the file", file);
		goto cleanup;
	}

	if (text[i] == '[') {
		const char *end = NULL;
		cJSON *arr = cJSON_ParseWithLengthOpts(text, len, &end, 0);
		if (!arr) {
			rc = parse_error(file, text, cJSON_GetErrorPtr());
			goto cleanup;
		}
		int nr_off;
		size_t *off = array_starts(text, len, &nr_off);
		int k = 0, size = cJSON_GetArraySize(arr), line = 1;
		size_t at = 0;
		const cJSON *rec;
		cJSON_ArrayForEach(rec, arr) {
			/* offsets grow, so lines are counted on from the previous one */
			if (nr_off == size && k < nr_off) {
				for (; at < off[k]; at++)
					line += text[at] == '\n';
			}
			k++;
			if ((rc = add_record(set, rec, line, file, o)) < 0)
				break;
		}
		free(off);
		cJSON_Delete(arr);
		if (rc < 0)
			goto cleanup;
	} else {
		/* JSONL, or a single (possibly multi-line) object */
		int line = 1;
		size_t p = 0;
		int first = 1;
		while (p < len) {
			size_t e = p;
			while (e < len && text[e] != '\n')
				e++;
			size_t s = p;
			while (s < e && isspace((unsigned char)text[s]))
				s++;
			if (s < e) {
				const char *end = NULL;
				cJSON *rec = cJSON_ParseWithLengthOpts(text + s, e - s, &end, 0);
				if (rec) {
					const char *q = end;
					while (q < text + e && isspace((unsigned char)*q))
						q++;
					if (q < text + e) {
						cJSON_Delete(rec);
						rec = NULL;
					}
				}
				if (!rec && first) {
					/* a single pretty-printed object? */
					cJSON *whole = cJSON_ParseWithLengthOpts(text, len, &end, 0);
					if (whole) {
						const char *q = end;
						while (q < text + len && isspace((unsigned char)*q))
							q++;
						if (q == text + len) {
							rc = add_record(set, whole, line, file, o);
							cJSON_Delete(whole);
							goto cleanup;
						}
						cJSON_Delete(whole);
					}
				}
				if (!rec) {
					rc = ss_err_set(SS_EINPUT, "%s:%d: not valid JSON", file, line);
					goto cleanup;
				}
				first = 0;
				rc = add_record(set, rec, line, file, o);
				cJSON_Delete(rec);
				if (rc < 0)
					goto cleanup;
			}
			p = e + 1;
			line++;
		}
	}
	if (!set->nr)
		rc = ss_err_set(SS_EINPUT, "%s: no trajectories in the file", file);
cleanup:
	if (rc < 0)
		import_set_release(set);
	return rc;
}

int import_parse_file(struct import_set *set, const char *path, const struct import_options *o)
{
	size_t len;
	memset(set, 0, sizeof(*set));
	char *text = ss_read_file(path, &len);
	if (!text)
		return ss_err_prefix(SS_EINPUT, "%s", path);
	int rc = import_parse(set, text, len, path, o);
	free(text);
	return rc;
}

/* ---------------------------------------------------------------- store */

static char *next_run_id(struct store *st, const char *name)
{
	long max = 0;
	size_t nl = strlen(name);
	sqlite3_stmt *s = store_prepare(st, "SELECT id FROM runs");
	if (!s)
		return NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *id = store_col_text(s, 0);
		if (strncmp(id, name, nl) || id[nl] != '-' || !isdigit((unsigned char)id[nl + 1]))
			continue;
		char *end;
		errno = 0;
		long v = strtol(id + nl + 1, &end, 10);
		if (!*end && !errno && v > max)
			max = v;
	}
	sqlite3_finalize(s);
	return xasprintf("%s-%ld", name, max + 1);
}

static int bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return t ? sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

static int step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return ss_err_set(SS_ERR, "writing %s: %s", what, sqlite3_errmsg(st->db));
	return 0;
}

int import_store(struct store *st, const struct import_set *set,
		 const struct import_options *o, char **run_id_out)
{
	const char *name = o->name && *o->name ? o->name : "import";
	sqlite3_stmt *run = NULL, *inst = NULL, *roll = NULL;
	char *run_id = NULL;
	int rc = 0;
	int64_t now = ss_wall_s();

	*run_id_out = NULL;
	if (!o->config_json)
		return ss_err_set(SS_EINPUT, "import: no config snapshot given");
	if (store_begin(st) < 0)
		return SS_ERR;
	run_id = next_run_id(st, name);
	if (!run_id) {
		rc = SS_ERR;
		goto cleanup;
	}
	run = store_prepare(st,
		"INSERT INTO runs (id, created_at, updated_at, config_path, config_json, strategy,"
		" seed, state, stage) VALUES (?, ?, ?, ?, ?, 'import', ?, 'imported', 'import')");
	inst = store_prepare(st,
		"INSERT INTO instances (run_id, id, idx, split, type, input, expected, metadata)"
		" VALUES (?, ?, ?, 'import', ?, ?, ?, ?)");
	roll = store_prepare(st,
		"INSERT INTO rollouts (run_id, instance_id, phase, candidate_id, status, outcome,"
		" score, output, trajectory, grader_note, prompt_tokens, completion_tokens,"
		" latency_ms, error, created_at, finished_at)"
		" VALUES (?, ?, 'import', 0, 'done', ?, ?, ?, ?, 'imported', ?, ?, ?, ?, ?, ?)");
	if (!run || !inst || !roll) {
		rc = SS_ERR;
		goto cleanup;
	}
	sqlite3_bind_text(run, 1, run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(run, 2, now);
	sqlite3_bind_int64(run, 3, now);
	bind_text(run, 4, o->config_path);
	sqlite3_bind_text(run, 5, o->config_json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(run, 6, o->seed);
	if ((rc = step_done(st, run, "the run")) < 0)
		goto cleanup;

	int fails = 0;
	for (int i = 0; i < set->nr; i++) {
		const struct import_record *r = &set->rec[i];
		sqlite3_reset(inst);
		sqlite3_bind_text(inst, 1, run_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(inst, 2, r->instance_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(inst, 3, i);
		bind_text(inst, 4, r->type);
		bind_text(inst, 5, r->input);
		bind_text(inst, 6, r->expected);
		bind_text(inst, 7, r->metadata);
		if ((rc = step_done(st, inst, "an instance")) < 0)
			goto cleanup;

		cJSON *traj = cJSON_CreateObject();
		cJSON_AddItemToObject(traj, "messages", cJSON_Duplicate(r->messages, 1));
		cJSON *src = cJSON_AddObjectToObject(traj, "source");
		cJSON_AddStringToObject(src, "file", set->file);
		cJSON_AddNumberToObject(src, "line", r->line);
		char *tj = cJSON_PrintUnformatted(traj);
		cJSON_Delete(traj);

		sqlite3_reset(roll);
		sqlite3_bind_text(roll, 1, run_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(roll, 2, r->instance_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(roll, 3, r->outcome);
		sqlite3_bind_double(roll, 4, r->score);
		bind_text(roll, 5, r->output);
		bind_text(roll, 6, tj);
		sqlite3_bind_int(roll, 7, r->prompt_tokens);
		sqlite3_bind_int(roll, 8, r->completion_tokens);
		sqlite3_bind_int64(roll, 9, r->latency_ms);
		bind_text(roll, 10, r->error);
		sqlite3_bind_int64(roll, 11, now);
		sqlite3_bind_int64(roll, 12, now);
		rc = step_done(st, roll, "a rollout");
		free(tj);
		if (rc < 0)
			goto cleanup;
		fails += !r->outcome;
	}
	if ((rc = store_event(st, run_id, "info", "import", NULL,
			      "imported %d trajectories (%d failures, %d successes) from %s",
			      set->nr, fails, set->nr - fails, set->file)) < 0)
		goto cleanup;

cleanup:
	sqlite3_finalize(run);
	sqlite3_finalize(inst);
	sqlite3_finalize(roll);
	if (rc < 0) {
		store_rollback(st);
		free(run_id);
		return rc;
	}
	if ((rc = store_commit(st)) < 0) {
		free(run_id);
		return rc;
	}
	*run_id_out = run_id;
	return 0;
}
