/*
 * Agent Skills folders: SKILL.md front matter (libyaml), validation that
 * collects every violation, rendering of the structured skill, rules for
 * ablation, and atomic writing of a folder.
 */
#include "skillsmith/skill.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/tasks.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* ============================================================== report */

static void report_add(struct skill_report *rep, enum skill_severity sev, const char *file,
		       int line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void report_add(struct skill_report *rep, enum skill_severity sev, const char *file,
		       int line, const char *field, const char *fmt, ...)
{
	if (!rep)
		return;
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ALLOC_GROW(rep->v, rep->nr + 1, rep->alloc);
	struct skill_issue *is = &rep->v[rep->nr++];
	is->severity = sev;
	is->file = xstrdup(file ? file : "SKILL.md");
	is->line = line;
	is->field = field ? xstrdup(field) : NULL;
	is->message = buf_detach(&b, NULL);
	if (sev == SKILL_ERROR)
		rep->errors++;
	else
		rep->warnings++;
}

void skill_report_release(struct skill_report *rep)
{
	for (int i = 0; i < rep->nr; i++) {
		free(rep->v[i].file);
		free(rep->v[i].field);
		free(rep->v[i].message);
	}
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

char *skill_issue_format(const struct skill_issue *is)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, is->file);
	if (is->line > 0)
		buf_addf(&b, ":%d", is->line);
	buf_adds(&b, ": ");
	if (is->field)
		buf_addf(&b, "field '%s': ", is->field);
	buf_adds(&b, is->message);
	return buf_detach(&b, NULL);
}

/* =============================================================== names */

int skill_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > SKILL_NAME_MAX || name[0] == '-' || name[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && name[i + 1] == '-')
			return 0;
	}
	return 1;
}

char *skill_slug(const char *text)
{
	struct buf b = BUF_INIT;
	int dash = 0;
	for (const char *p = text ? text : ""; *p && b.len < SKILL_NAME_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (isalnum(c) && c < 0x80) {
			if (dash && b.len)
				buf_addch(&b, '-');
			dash = 0;
			buf_addch(&b, (char)tolower(c));
		} else {
			dash = 1;
		}
	}
	while (b.len > SKILL_NAME_MAX || (b.len && b.buf[b.len - 1] == '-'))
		buf_setlen(&b, b.len - 1);
	if (!b.len)
		buf_adds(&b, "skill");
	return buf_detach(&b, NULL);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* ============================================================== parsing */

void skill_release(struct skill *s)
{
	free(s->dir);
	free(s->file);
	free(s->name);
	free(s->description);
	free(s->license);
	free(s->compatibility);
	for (int i = 0; i < s->nr_metadata; i++) {
		free(s->metadata[i].key);
		free(s->metadata[i].value);
	}
	free(s->metadata);
	free(s->allowed_tools);
	free(s->body);
	memset(s, 0, sizeof(*s));
}

/* Is the line [p, p+n) a "---" delimiter (trailing blanks and CR allowed)? */
static int is_delim(const char *p, size_t n)
{
	if (n < 3 || strncmp(p, "---", 3))
		return 0;
	for (size_t i = 3; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static char *scalar(const yaml_node_t *n)
{
	return xstrndup((const char *)n->data.scalar.value, n->data.scalar.length);
}

static const char *const known_keys[] = {
	"name", "description", "license", "compatibility", "metadata", "allowed-tools", NULL };

/* Check the front matter mapping; `base` is the file line of the YAML's line 0. */
static void check_front_matter(struct skill *s, yaml_document_t *doc, const char *file,
			       int base, int fm_line, const char *folder, struct skill_report *rep)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	int seen[ARRAY_SIZE(known_keys)] = { 0 };
	if (root && root->type != YAML_MAPPING_NODE) {
		report_add(rep, SKILL_ERROR, file, base + (int)root->start_mark.line, NULL,
			   "front matter must be a mapping of keys to values");
		root = NULL;
	}
	for (yaml_node_pair_t *pr = root ? root->data.mapping.pairs.start : NULL;
	     root && pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		int line = base + (int)k->start_mark.line;
		if (k->type != YAML_SCALAR_NODE) {
			report_add(rep, SKILL_ERROR, file, line, NULL, "front matter keys must be strings");
			continue;
		}
		char *key = scalar(k);
		int idx = -1;
		for (int i = 0; known_keys[i]; i++)
			if (!strcmp(known_keys[i], key))
				idx = i;
		if (idx < 0) {
			report_add(rep, SKILL_ERROR, file, line, key,
				   "unknown key (allowed: name, description, license, compatibility, "
				   "metadata, allowed-tools)");
			free(key);
			continue;
		}
		if (seen[idx]++) {
			report_add(rep, SKILL_ERROR, file, line, key, "appears twice");
			free(key);
			continue;
		}
		int vline = base + (int)v->start_mark.line;
		if (!strcmp(key, "metadata")) {
			if (v->type != YAML_MAPPING_NODE) {
				report_add(rep, SKILL_ERROR, file, vline, key,
					   "must be a map of strings to strings");
			} else {
				size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
				s->metadata = xcalloc(n + 1, sizeof(*s->metadata));
				for (yaml_node_pair_t *mp = v->data.mapping.pairs.start;
				     mp < v->data.mapping.pairs.top; mp++) {
					yaml_node_t *mk = yaml_document_get_node(doc, mp->key);
					yaml_node_t *mv = yaml_document_get_node(doc, mp->value);
					if (mk->type != YAML_SCALAR_NODE || mv->type != YAML_SCALAR_NODE) {
						report_add(rep, SKILL_ERROR, file,
							   base + (int)mk->start_mark.line, key,
							   "must be a map of strings to strings");
						continue;
					}
					struct skill_meta *m = &s->metadata[s->nr_metadata++];
					m->key = scalar(mk);
					m->value = scalar(mv);
				}
			}
		} else if (!strcmp(key, "allowed-tools")) {
			if (v->type == YAML_SCALAR_NODE) {
				s->allowed_tools = scalar(v);
			} else if (v->type == YAML_SEQUENCE_NODE) {
				struct buf b = BUF_INIT;
				int ok = 1;
				for (yaml_node_item_t *it = v->data.sequence.items.start;
				     it < v->data.sequence.items.top; it++) {
					yaml_node_t *t = yaml_document_get_node(doc, *it);
					if (t->type != YAML_SCALAR_NODE) {
						ok = 0;
						break;
					}
					buf_addf(&b, "%s%.*s", b.len ? " " : "", (int)t->data.scalar.length,
						 (const char *)t->data.scalar.value);
				}
				if (ok)
					s->allowed_tools = buf_detach(&b, NULL);
				else
					report_add(rep, SKILL_ERROR, file, vline, key,
						   "must be a string or a list of strings");
				buf_release(&b);
			} else {
				report_add(rep, SKILL_ERROR, file, vline, key,
					   "must be a string or a list of strings");
			}
		} else if (v->type != YAML_SCALAR_NODE) {
			report_add(rep, SKILL_ERROR, file, vline, key, "must be a string");
		} else {
			char *val = scalar(v);
			size_t chars = utf8_chars(val);
			if (!strcmp(key, "name")) {
				if (!skill_name_valid(val))
					report_add(rep, SKILL_ERROR, file, vline, key,
						   "'%s' must be 1-64 characters of a-z, 0-9 and single "
						   "hyphens, not starting or ending with a hyphen", val);
				else if (folder && strcmp(folder, val))
					report_add(rep, SKILL_ERROR, file, vline, key,
						   "'%s' must match the folder name '%s'", val, folder);
				s->name = val;
			} else if (!strcmp(key, "description")) {
				if (chars == 0 || strspn(val, " \t\r\n") == strlen(val))
					report_add(rep, SKILL_ERROR, file, vline, key, "must not be empty");
				else if (chars > SKILL_DESCRIPTION_MAX)
					report_add(rep, SKILL_ERROR, file, vline, key,
						   "is %zu characters long, the limit is %d", chars,
						   SKILL_DESCRIPTION_MAX);
				s->description = val;
			} else if (!strcmp(key, "compatibility")) {
				if (chars == 0)
					report_add(rep, SKILL_ERROR, file, vline, key, "must not be empty");
				else if (chars > SKILL_COMPATIBILITY_MAX)
					report_add(rep, SKILL_ERROR, file, vline, key,
						   "is %zu characters long, the limit is %d", chars,
						   SKILL_COMPATIBILITY_MAX);
				s->compatibility = val;
			} else {
				s->license = val;
			}
		}
		free(key);
	}
	if (!seen[0])
		report_add(rep, SKILL_ERROR, file, fm_line, "name", "is missing");
	if (!seen[1])
		report_add(rep, SKILL_ERROR, file, fm_line, "description", "is missing");
}

static void check_body(struct skill *s, const char *file, struct skill_report *rep)
{
	const char *b = s->body;
	size_t len = strlen(b), lines = 0;
	for (size_t i = 0; i < len; i++)
		if (b[i] == '\n')
			lines++;
	if (len && b[len - 1] != '\n')
		lines++;
	if (strspn(b, " \t\r\n") == len)
		report_add(rep, SKILL_WARNING, file, s->body_line, "body",
			   "is empty: the skill gives the agent no instructions");
	if (lines > SKILL_BODY_MAX_LINES)
		report_add(rep, SKILL_WARNING, file, s->body_line, "body",
			   "has %zu lines; keep it under %d (move detail to references/)", lines,
			   SKILL_BODY_MAX_LINES);
	size_t tokens = (len + 3) / 4;
	if (tokens > SKILL_BODY_MAX_TOKENS)
		report_add(rep, SKILL_WARNING, file, s->body_line, "body",
			   "is about %zu tokens; keep it under about %d", tokens, SKILL_BODY_MAX_TOKENS);
}

int skill_parse(struct skill *s, const char *text, size_t len, const char *file,
		const char *folder, struct skill_report *rep)
{
	struct skill_report local = SKILL_REPORT_INIT;
	if (!rep)
		rep = &local;
	int errors_before = rep->errors;
	memset(s, 0, sizeof(*s));
	s->file = xstrdup(file);

	long bad = utf8_invalid_at(text, len);
	if (bad >= 0) {
		int line = 1;
		for (long i = 0; i < bad; i++)
			line += text[i] == '\n';
		report_add(rep, SKILL_ERROR, file, line, NULL, "invalid UTF-8");
		goto done;
	}
	if (memchr(text, '\0', len)) {
		report_add(rep, SKILL_ERROR, file, 0, NULL, "holds a NUL byte; not a text file");
		goto done;
	}
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		text += 3;
		len -= 3;
	}
	const char *nl = memchr(text, '\n', len);
	size_t first = nl ? (size_t)(nl - text) : len;
	if (!is_delim(text, first)) {
		report_add(rep, SKILL_ERROR, file, 1, NULL,
			   "must start with YAML front matter: a '---' line, the keys, a '---' line");
		s->body = xstrndup(text, len);
		s->body_line = 1;
		goto done;
	}
	/* find the closing delimiter */
	const char *fm = nl ? nl + 1 : text + len;
	const char *p = fm, *end = text + len, *close = NULL;
	int line = 2, close_line = 0;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		if (is_delim(p, n)) {
			close = p;
			close_line = line;
			break;
		}
		line++;
		p = e ? e + 1 : end;
	}
	if (!close) {
		report_add(rep, SKILL_ERROR, file, 1, NULL,
			   "the front matter is not closed: no second '---' line");
		goto done;
	}
	const char *after = memchr(close, '\n', (size_t)(end - close));
	after = after ? after + 1 : end;
	s->body = xstrndup(after, (size_t)(end - after));
	s->body_line = close_line + 1;

	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)fm, (size_t)(close - fm));
	if (!yaml_parser_load(&parser, &doc)) {
		report_add(rep, SKILL_ERROR, file, 2 + (int)parser.problem_mark.line, NULL,
			   "invalid YAML in the front matter: %s%s%s",
			   parser.problem ? parser.problem : "parse error",
			   parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		check_body(s, file, rep);
		goto done;
	}
	check_front_matter(s, &doc, file, 2, 1, folder, rep);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	check_body(s, file, rep);
done:
	{
		int errs = rep->errors - errors_before;
		skill_report_release(&local);
		return errs ? SS_EINPUT : 0;
	}
}

int skill_read(struct skill *s, const char *path, struct skill_report *rep)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (stat(path, &st) < 0)
		return ss_err_set(SS_ENOTFOUND, "'%s' does not exist", path);
	struct skill_report local = SKILL_REPORT_INIT;
	if (!rep)
		rep = &local;
	int errors_before = rep->errors;
	char *dir, *file;
	if (S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);
		while (n > 1 && path[n - 1] == '/')
			n--;
		dir = xstrndup(path, n);
		file = xasprintf("%s/SKILL.md", dir);
	} else {
		const char *slash = strrchr(path, '/');
		dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
		file = xstrdup(path);
	}
	/* the folder's own name, even for "." */
	char *real = realpath(dir, NULL);
	const char *base = real ? real : dir;
	const char *bs = strrchr(base, '/');
	char *folder = xstrdup(bs && bs[1] ? bs + 1 : base);
	free(real);

	size_t len = 0;
	char *text = NULL;
	if (stat(file, &st) < 0) {
		report_add(rep, SKILL_ERROR, file, 0, NULL, "the skill folder has no SKILL.md");
	} else if (!(text = ss_read_file(file, &len))) {
		report_add(rep, SKILL_ERROR, file, 0, NULL, "%s", ss_err_last());
	} else {
		skill_parse(s, text, len, file, folder, rep);
	}
	static const char *const subdirs[] = { "scripts", "references", "assets", NULL };
	for (int i = 0; subdirs[i]; i++) {
		char *sub = xasprintf("%s/%s", dir, subdirs[i]);
		if (stat(sub, &st) == 0 && !S_ISDIR(st.st_mode))
			report_add(rep, SKILL_ERROR, sub, 0, NULL, "must be a folder");
		free(sub);
	}
	free(s->dir);
	s->dir = dir;
	if (!s->file)
		s->file = xstrdup(file);
	free(file);
	free(folder);
	free(text);
	int errs = rep->errors - errors_before;
	skill_report_release(&local);
	return errs ? SS_EINPUT : 0;
}

int skill_validate(const char *path, struct skill_report *rep)
{
	struct skill s;
	int rc = skill_read(&s, path, rep);
	if (rc == SS_ENOTFOUND)
		return rc;
	skill_release(&s);
	return rc ? SS_ERR : 0;
}

/* ============================================================= rendering */

/* A YAML double-quoted scalar, on one line. */
static void add_yaml_str(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_addf(b, "\\%c", c);
		else if (c == '\n' || c == '\r' || c == '\t')
			buf_addch(b, ' ');
		else if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\x%02x", c);
		else
			buf_addch(b, (char)c);
	}
	buf_addch(b, '"');
}

/* At most `max` characters of s, cut at a UTF-8 boundary (malloc'd). */
static char *cut_chars(const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
	}
	return xstrndup(s, i);
}

static void add_rule(struct buf *b, const cJSON *item, unsigned flags)
{
	const char *rule = NULL;
	const cJSON *ev = NULL;
	if (cJSON_IsString(item)) {
		rule = item->valuestring;
	} else if (cJSON_IsObject(item)) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(item, "rule");
		if (cJSON_IsString(r))
			rule = r->valuestring;
		ev = cJSON_GetObjectItemCaseSensitive(item, "evidence");
	}
	if (!rule)
		return;
	while (isspace((unsigned char)*rule) || *rule == '-' || *rule == '*') {
		if ((*rule == '-' || *rule == '*') && !isspace((unsigned char)rule[1]))
			break;
		rule++;
	}
	if (!*rule)
		return;
	buf_adds(b, "- ");
	for (const char *p = rule; *p; p++) {
		if (*p == '\r')
			continue;
		buf_addch(b, *p);
		if (*p == '\n' && p[1])
			buf_adds(b, "  ");
	}
	while (b->len && (b->buf[b->len - 1] == '\n' || b->buf[b->len - 1] == ' '))
		buf_setlen(b, b->len - 1);
	if ((flags & SKILL_RENDER_EVIDENCE) && cJSON_GetArraySize(ev) > 0) {
		buf_adds(b, " <!-- evidence:");
		const cJSON *e;
		int i = 0;
		cJSON_ArrayForEach(e, ev) {
			if (cJSON_IsString(e))
				buf_addf(b, "%s %s", i++ ? "," : "", e->valuestring);
			else if (cJSON_IsNumber(e))
				buf_addf(b, "%s %g", i++ ? "," : "", e->valuedouble);
		}
		buf_adds(b, " -->");
	}
	buf_addch(b, '\n');
}

static void add_section(struct buf *b, const char *title, const cJSON *list, unsigned flags)
{
	buf_addf(b, "\n## %s\n\n", title);
	size_t before = b->len;
	const cJSON *it;
	if (cJSON_IsArray(list))
		cJSON_ArrayForEach(it, list)
			add_rule(b, it, flags);
	else if (cJSON_IsString(list) && *list->valuestring)
		buf_addf(b, "%s\n", list->valuestring);
	if (b->len == before)
		buf_setlen(b, before - 1); /* no rules: heading only */
}

char *skill_render(const cJSON *sk, unsigned flags)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(sk, "name");
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(sk, "description");
	if (!cJSON_IsString(desc) || strspn(desc->valuestring, " \t\r\n") == strlen(desc->valuestring)) {
		ss_err_set(SS_EINPUT, "skill: field 'description' is missing or empty");
		return NULL;
	}
	char *slug = skill_slug(cJSON_IsString(name) ? name->valuestring : "skill");
	char *d = cut_chars(desc->valuestring, SKILL_DESCRIPTION_MAX);
	struct buf b = BUF_INIT;
	buf_addf(&b, "---\nname: %s\ndescription: ", slug);
	add_yaml_str(&b, d);
	buf_addch(&b, '\n');
	const cJSON *lic = cJSON_GetObjectItemCaseSensitive(sk, "license");
	if (cJSON_IsString(lic) && *lic->valuestring) {
		buf_adds(&b, "license: ");
		add_yaml_str(&b, lic->valuestring);
		buf_addch(&b, '\n');
	}
	const cJSON *comp = cJSON_GetObjectItemCaseSensitive(sk, "compatibility");
	if (cJSON_IsString(comp) && *comp->valuestring) {
		char *c = cut_chars(comp->valuestring, SKILL_COMPATIBILITY_MAX);
		buf_adds(&b, "compatibility: ");
		add_yaml_str(&b, c);
		buf_addch(&b, '\n');
		free(c);
	}
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(sk, "metadata");
	if (cJSON_IsObject(meta) && meta->child) {
		buf_adds(&b, "metadata:\n");
		const cJSON *m;
		cJSON_ArrayForEach(m, meta) {
			if (!cJSON_IsString(m))
				continue;
			buf_adds(&b, "  ");
			add_yaml_str(&b, m->string);
			buf_adds(&b, ": ");
			add_yaml_str(&b, m->valuestring);
			buf_addch(&b, '\n');
		}
	}
	buf_adds(&b, "---\n\n# ");
	/* the title: the name with spaces, first letter capitalised */
	for (const char *p = slug; *p; p++)
		buf_addch(&b, p == slug ? (char)toupper((unsigned char)*p) : *p == '-' ? ' ' : *p);
	buf_addch(&b, '\n');

	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(sk, "context");
	buf_adds(&b, "\n## Context\n\n");
	if (cJSON_IsString(ctx) && *ctx->valuestring) {
		struct buf c = BUF_INIT;
		buf_adds(&c, ctx->valuestring);
		buf_trim(&c);
		buf_addf(&b, "%s\n", c.buf);
		buf_release(&c);
	} else {
		buf_setlen(&b, b.len - 1);
	}
	add_section(&b, "Success patterns", cJSON_GetObjectItemCaseSensitive(sk, "success_patterns"), flags);
	add_section(&b, "Failure lessons", cJSON_GetObjectItemCaseSensitive(sk, "failure_lessons"), flags);
	free(slug);
	free(d);
	return buf_detach(&b, NULL);
}

/* ================================================================ rules */

static int bullet_len(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && p[i] == ' ')
		i++;
	if (i + 1 < n && (p[i] == '-' || p[i] == '*' || p[i] == '+') && (p[i + 1] == ' ' || p[i + 1] == '\t'))
		return (int)i + 2;
	size_t d = i;
	while (d < n && isdigit((unsigned char)p[d]))
		d++;
	if (d > i && d + 1 < n && (p[d] == '.' || p[d] == ')') && p[d + 1] == ' ')
		return (int)d + 2;
	return -1;
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

static int is_heading(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == '#')
		i++;
	return i > 0 && i <= 6 && (i == n || p[i] == ' ');
}

static int is_fence(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && p[i] == ' ')
		i++;
	return n - i >= 3 && (!strncmp(p + i, "```", 3) || !strncmp(p + i, "~~~", 3));
}

struct line { const char *p; size_t n; size_t off; };

static void add_rule_span(struct skill_rule **v, int *nr, int *alloc, const char *md,
			  const char *section, const struct line *L, int from, int to, int bullet)
{
	size_t off = L[from].off, end = L[to].off + L[to].n;
	ALLOC_GROW(*v, *nr + 1, *alloc);
	struct skill_rule *r = &(*v)[(*nr)++];
	r->section = xstrdup(section);
	r->off = off;
	r->len = end - off;
	r->line = from + 1;
	r->bullet = bullet;
	struct buf t = BUF_INIT;
	for (int i = from; i <= to; i++) {
		const char *p = L[i].p;
		size_t n = L[i].n;
		if (i == from && bullet) {
			int bl = bullet_len(p, n);
			p += bl;
			n -= (size_t)bl;
		} else {
			while (n && (*p == ' ' || *p == '\t')) {
				p++;
				n--;
			}
		}
		if (n && p[n - 1] == '\r')
			n--;
		if (i > from)
			buf_addch(&t, '\n');
		buf_add(&t, p, n);
	}
	buf_trim(&t);
	r->text = buf_detach(&t, NULL);
	(void)md;
}

int skill_rules(const char *md, struct skill_rule **out, int *nr_out)
{
	*out = NULL;
	*nr_out = 0;
	size_t len = strlen(md);
	/* lines */
	struct line *L = NULL;
	size_t nl = 0, al = 0;
	for (size_t off = 0; off < len;) {
		const char *e = memchr(md + off, '\n', len - off);
		size_t n = e ? (size_t)(e - (md + off)) : len - off;
		ALLOC_GROW(L, nl + 1, al);
		L[nl++] = (struct line){ md + off, n, off };
		off += n + 1;
	}
	int start = 0;
	if (nl && is_delim(L[0].p, L[0].n)) {
		for (size_t i = 1; i < nl; i++) {
			if (is_delim(L[i].p, L[i].n)) {
				start = (int)i + 1;
				break;
			}
		}
	}
	struct skill_rule *v = NULL;
	int nr = 0, alloc = 0;
	char *section = xstrdup("");
	int i = start;
	while (i < (int)nl) {
		const char *p = L[i].p;
		size_t n = L[i].n;
		if (blank(p, n)) {
			i++;
			continue;
		}
		if (is_heading(p, n)) {
			size_t h = 0;
			while (h < n && p[h] == '#')
				h++;
			if (h >= 2) {
				free(section);
				struct buf t = BUF_INIT;
				buf_add(&t, p + h, n - h);
				buf_trim(&t);
				section = buf_detach(&t, NULL);
			}
			i++;
			continue;
		}
		int from = i;
		if (is_fence(p, n)) {
			i++;
			while (i < (int)nl && !is_fence(L[i].p, L[i].n))
				i++;
			int to = i < (int)nl ? i : (int)nl - 1;
			add_rule_span(&v, &nr, &alloc, md, section, L, from, to, 0);
			i = to + 1;
			continue;
		}
		if (bullet_len(p, n) >= 0) {
			/* the bullet and its indented continuation or nested lines */
			int to = i++;
			while (i < (int)nl && !blank(L[i].p, L[i].n) && !is_heading(L[i].p, L[i].n)) {
				const char *q = L[i].p;
				if (q[0] != ' ' && q[0] != '\t' && bullet_len(q, L[i].n) >= 0)
					break;
				to = i++;
			}
			/* an indented block after a blank line still belongs to the bullet */
			while (i + 1 < (int)nl && blank(L[i].p, L[i].n) &&
			       (L[i + 1].p[0] == ' ' || L[i + 1].p[0] == '\t') && !blank(L[i + 1].p, L[i + 1].n)) {
				i++;
				while (i < (int)nl && !blank(L[i].p, L[i].n) &&
				       (L[i].p[0] == ' ' || L[i].p[0] == '\t'))
					to = i++;
			}
			add_rule_span(&v, &nr, &alloc, md, section, L, from, to, 1);
			continue;
		}
		/* a paragraph */
		int to = i++;
		while (i < (int)nl && !blank(L[i].p, L[i].n) && !is_heading(L[i].p, L[i].n) &&
		       bullet_len(L[i].p, L[i].n) < 0 && !is_fence(L[i].p, L[i].n))
			to = i++;
		add_rule_span(&v, &nr, &alloc, md, section, L, from, to, 0);
	}
	free(section);
	free(L);
	*out = v;
	*nr_out = nr;
	return 0;
}

void skill_rules_free(struct skill_rule *rules, int nr)
{
	for (int i = 0; i < nr; i++) {
		free(rules[i].section);
		free(rules[i].text);
	}
	free(rules);
}

char *skill_without_rule(const char *md, const struct skill_rule *r)
{
	size_t len = strlen(md), a = r->off, e = r->off + r->len;
	if (a > len || e > len)
		return xstrdup(md);
	if (e < len && md[e] == '\n')
		e++;
	struct buf b = BUF_INIT;
	buf_add(&b, md, a);
	buf_add(&b, md + e, len - e);
	return buf_detach(&b, NULL);
}

/* =============================================================== writing */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

static void rm_rf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int skill_write_dir(const char *dir, const char *skill_md, int force)
{
	struct stat st;
	int exists = stat(dir, &st) == 0;
	if (exists && !force)
		return ss_err_set(SS_EINPUT, "'%s' already exists (use --force to replace it)", dir);
	if (exists && !S_ISDIR(st.st_mode))
		return ss_err_set(SS_EINPUT, "'%s' exists and is not a folder", dir);
	const char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		char *parent = xstrndup(dir, (size_t)(slash - dir));
		int rc = ss_mkdirs(parent, 0755);
		free(parent);
		if (rc)
			return rc;
	}
	char *tmp = xasprintf("%s.tmp.%ld", dir, (long)getpid());
	char *old = xasprintf("%s.old.%ld", dir, (long)getpid());
	char *file = xasprintf("%s/SKILL.md", tmp);
	int rc = 0;
	rm_rf(tmp);
	if (mkdir(tmp, 0755) < 0) {
		rc = ss_err_set(SS_ERR, "cannot create '%s': %s", tmp, strerror(errno));
		goto cleanup;
	}
	if ((rc = ss_write_file(file, skill_md, strlen(skill_md))) < 0) {
		rm_rf(tmp);
		goto cleanup;
	}
	if (exists) {
		if (rename(dir, old) < 0) {
			rc = ss_err_set(SS_ERR, "cannot move '%s' aside: %s", dir, strerror(errno));
			rm_rf(tmp);
			goto cleanup;
		}
	}
	if (rename(tmp, dir) < 0) {
		rc = ss_err_set(SS_ERR, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
		if (exists)
			rename(old, dir);
		rm_rf(tmp);
		goto cleanup;
	}
	if (exists)
		rm_rf(old);
cleanup:
	free(tmp);
	free(old);
	free(file);
	return rc;
}
