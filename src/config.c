/*
 * The run configuration: JSON read with cJSON, every key checked against
 * its type and range, every default set by config_init().  Messages name
 * the file and the key path: "config.json: strategy.rounds: must be an
 * integer from 1 to 64".
 */
#include "skillsmith/config.h"
#include "skillsmith/tasks.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SYSTEM_PROMPT \
	"{{skill}}\n\nYou are a careful assistant. Solve the task you are given. " \
	"Think step by step if it helps, then give the final answer on the last line."
#define DEFAULT_USER_TEMPLATE "{{input}}"
#define DEFAULT_EMBED_MODEL "text-embedding-3-small"
#define MAX_SAFE_INT 9007199254740992.0 /* 2^53 */

/* Where messages point: the file (or "file:line") and the base directory. */
struct pctx {
	const char *where;
	const char *basedir;
	/* keys seen, for defaults that depend on other keys */
	int agent_seed_set, optimizer_seed_set;
};

/* ============================================================== helpers */

static int bad(const struct pctx *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(const struct pctx *p, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		return ss_err_set(SS_EINPUT, "%s: %s: %s", p->where, path, msg);
	return ss_err_set(SS_EINPUT, "%s: %s", p->where, msg);
}

static void keypath(char *out, size_t n, const char *prefix, const char *key)
{
	int w;
	if (prefix && *prefix)
		w = snprintf(out, n, "%s.%s", prefix, key);
	else
		w = snprintf(out, n, "%s", key);
	if (w < 0 || (size_t)w >= n)
		out[n - 1] = '\0'; /* a very long key is cut in the message */
}

void config_strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

static char **strv_dup(char *const *v)
{
	if (!v)
		return NULL;
	size_t n = 0;
	while (v[n])
		n++;
	char **r = xcalloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

char *config_resolve_path(const char *dir, const char *p)
{
	if (!p)
		return NULL;
	if (p[0] == '/' || !dir || !*dir || !strcmp(dir, "."))
		return xstrdup(p);
	return xasprintf("%s/%s", dir, p);
}

/* A duplicate key in one object: cJSON keeps both, we refuse. */
static int check_dup(const struct pctx *p, const cJSON *obj, const cJSON *it, const char *path)
{
	for (const cJSON *q = obj->child; q && q != it; q = q->next)
		if (q->string && it->string && !strcmp(q->string, it->string))
			return bad(p, path, "duplicate key");
	return 0;
}

static int want_object(const struct pctx *p, const cJSON *v, const char *path)
{
	if (!cJSON_IsObject(v))
		return bad(p, path, "must be an object");
	return 0;
}

static int get_int64(const struct pctx *p, const cJSON *v, const char *path,
		     double lo, double hi, int64_t *out)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
		return bad(p, path, "must be an integer from %.0f to %.0f", lo, hi);
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int get_int(const struct pctx *p, const cJSON *v, const char *path, int lo, int hi, int *out)
{
	int64_t x;
	int rc = get_int64(p, v, path, lo, hi, &x);
	if (!rc)
		*out = (int)x;
	return rc;
}

static int get_num(const struct pctx *p, const cJSON *v, const char *path,
		   double lo, double hi, double *out)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
	    v->valuedouble > hi)
		return bad(p, path, "must be a number from %g to %g", lo, hi);
	*out = v->valuedouble;
	return 0;
}

static int get_bool(const struct pctx *p, const cJSON *v, const char *path, int *out)
{
	if (!cJSON_IsBool(v))
		return bad(p, path, "must be true or false");
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return 0;
}

/*
 * A non-empty string (STR_EMPTY: any string).  STR_NULL: null unsets an
 * optional key, as config_to_json() writes it.
 */
#define STR_EMPTY 1
#define STR_NULL 2
static int get_str(const struct pctx *p, const cJSON *v, const char *path, int flags,
		   char **out)
{
	int allow_empty = flags & STR_EMPTY;
	if ((flags & STR_NULL) && cJSON_IsNull(v)) {
		free(*out);
		*out = NULL;
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return bad(p, path, "must be a string");
	if (!allow_empty && !*v->valuestring)
		return bad(p, path, "must not be empty");
	free(*out);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int get_enum(const struct pctx *p, const cJSON *v, const char *path,
		    const char *const *names, int *out)
{
	if (cJSON_IsString(v)) {
		for (int i = 0; names[i]; i++) {
			if (!strcmp(names[i], v->valuestring)) {
				*out = i;
				return 0;
			}
		}
	}
	struct buf b = BUF_INIT;
	for (int i = 0; names[i]; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", names[i]);
	int rc = bad(p, path, "must be one of %s", b.buf);
	buf_release(&b);
	return rc;
}

/*
 * A non-empty array of strings; argv[0] holding a '/' and relative is
 * resolved against the base directory (a bare name is looked up in PATH).
 */
static int get_argv(const struct pctx *p, const cJSON *v, const char *path, char ***out)
{
	if (cJSON_IsNull(v)) {
		config_strv_free(*out);
		*out = NULL;
		return 0;
	}
	int n = cJSON_GetArraySize(v);
	if (!cJSON_IsArray(v) || n == 0)
		return bad(p, path, "must be a non-empty array of strings");
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it))
			return bad(p, path, "must be a non-empty array of strings");
	}
	if (!*cJSON_GetArrayItem(v, 0)->valuestring)
		return bad(p, path, "the program name must not be empty");
	char **r = xcalloc((size_t)n + 1, sizeof(*r));
	int i = 0;
	cJSON_ArrayForEach(it, v) {
		if (i == 0 && strchr(it->valuestring, '/'))
			r[i] = config_resolve_path(p->basedir, it->valuestring);
		else
			r[i] = xstrdup(it->valuestring);
		i++;
	}
	config_strv_free(*out);
	*out = r;
	return 0;
}

/* Edit distance of two short strings (for "did you mean"). */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	int d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	}
	return d[la][lb];
}

/* An unknown key, with the nearest known one when it is a likely typo. */
static int unknown(const struct pctx *p, const char *path, const char *key,
		   const char *const *known)
{
	const char *best = NULL;
	int bd = 3;
	for (int i = 0; known[i]; i++) {
		int d = edit_distance(key, known[i]);
		if (d < bd) {
			bd = d;
			best = known[i];
		}
	}
	if (best && bd <= (strlen(key) > 4 ? 2 : 1))
		return bad(p, path, "unknown key (did you mean '%s'?)", best);
	return bad(p, path, "unknown key");
}

static const char *const grader_kinds[] = {
	"exact", "regex", "number", "choice", "json", "command", "judge", NULL };
static const char *const norm_names[] = { "trim", "case", "whitespace", "punctuation", NULL };
static const char *const harness_kinds[] = { "chat", "tools", "command", NULL };
static const char *const provider_kinds[] = { "openai", "anthropic", NULL };
static const char *const strategy_kinds[] = { "skillgen", "edit", NULL };
static const char *const schedules[] = { "constant", "linear", "cosine", NULL };
static const char *const approval_policies[] = { "none", "edits", "candidates", NULL };
static const char *const timeout_actions[] = { "wait", "approve", "reject", NULL };
static const char *const embed_kinds[] = { "local", "api", NULL };

const char *grader_kind_name(enum grader_kind k)
{
	return (unsigned)k < ARRAY_SIZE(grader_kinds) - 1 ? grader_kinds[k] : "?";
}

const char *harness_kind_name(enum harness_kind k)
{
	return (unsigned)k < ARRAY_SIZE(harness_kinds) - 1 ? harness_kinds[k] : "?";
}

const char *strategy_kind_name(enum strategy_kind k)
{
	return (unsigned)k < ARRAY_SIZE(strategy_kinds) - 1 ? strategy_kinds[k] : "?";
}

/* ============================================================ env expand */

int config_expand_env(const char *s, char **out)
{
	struct buf b = BUF_INIT;
	*out = NULL;
	while (*s) {
		if (s[0] != '$' || s[1] != '{') {
			buf_addch(&b, *s++);
			continue;
		}
		const char *name = s + 2, *e = name;
		while (isalnum((unsigned char)*e) || *e == '_')
			e++;
		if (e == name || isdigit((unsigned char)*name)) {
			buf_release(&b);
			return ss_err_set(SS_EINPUT, "'${' must be followed by a variable name");
		}
		const char *def = NULL, *end;
		if (e[0] == ':' && e[1] == '-') {
			def = e + 2;
			end = strchr(def, '}');
		} else {
			end = *e == '}' ? e : NULL;
		}
		if (!end) {
			buf_release(&b);
			return ss_err_set(SS_EINPUT, "unterminated '${%.*s'", (int)(e - name), name);
		}
		char *var = xstrndup(name, (size_t)(e - name));
		const char *val = getenv(var);
		if (def) {
			if (val && *val)
				buf_adds(&b, val);
			else
				buf_add(&b, def, (size_t)(end - def));
		} else if (val) {
			buf_adds(&b, val);
		} else {
			int rc = ss_err_set(SS_EINPUT, "environment variable '%s' is not set", var);
			free(var);
			buf_release(&b);
			return rc;
		}
		free(var);
		s = end + 1;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/* =============================================================== grader */

void grader_config_init(struct grader_config *g)
{
	memset(g, 0, sizeof(*g));
	g->kind = GRADER_EXACT;
	g->normalize = NORM_TRIM;
	g->group = 1;
	g->tolerance = 1e-6;
	g->rel_tolerance = 0;
	g->timeout_s = 30;
	g->threshold = 0.5;
}

void grader_config_release(struct grader_config *g)
{
	free(g->pattern);
	free(g->field);
	config_strv_free(g->argv);
	free(g->judge_rubric);
	grader_config_init(g);
}

void grader_config_copy(struct grader_config *dst, const struct grader_config *src)
{
	*dst = *src;
	dst->pattern = dup_or_null(src->pattern);
	dst->field = dup_or_null(src->field);
	dst->argv = strv_dup(src->argv);
	dst->judge_rubric = dup_or_null(src->judge_rubric);
}

/* Requirements of each kind, checked after all keys are read. */
static int grader_check(const struct pctx *p, const struct grader_config *g, const char *prefix)
{
	char path[256];
	switch (g->kind) {
	case GRADER_REGEX: {
		keypath(path, sizeof(path), prefix, "pattern");
		if (!g->pattern)
			return bad(p, path, "is required by the regex grader");
		regex_t re;
		int rc = regcomp(&re, g->pattern, REG_EXTENDED);
		if (rc) {
			char msg[256];
			regerror(rc, &re, msg, sizeof(msg));
			return bad(p, path, "invalid regular expression: %s", msg);
		}
		size_t groups = re.re_nsub;
		regfree(&re);
		if ((size_t)g->group > groups) {
			keypath(path, sizeof(path), prefix, "group");
			return bad(p, path, "the pattern has only %zu capture group%s", groups,
				   groups == 1 ? "" : "s");
		}
		break;
	}
	case GRADER_JSON:
		keypath(path, sizeof(path), prefix, "field");
		if (!g->field)
			return bad(p, path, "is required by the json grader");
		break;
	case GRADER_COMMAND:
		keypath(path, sizeof(path), prefix, "command");
		if (!g->argv)
			return bad(p, path, "is required by the command grader");
		break;
	default:
		break;
	}
	return 0;
}

static int grader_parse(const struct pctx *p, struct grader_config *g, const cJSON *obj,
			const char *prefix)
{
	char path[256];
	int rc = want_object(p, obj, prefix);
	if (rc)
		return rc;
	const cJSON *it;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		keypath(path, sizeof(path), prefix, k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		int e;
		if (!strcmp(k, "kind")) {
			if (!(rc = get_enum(p, it, path, grader_kinds, &e)))
				g->kind = (enum grader_kind)e;
		} else if (!strcmp(k, "normalize")) {
			unsigned flags = 0;
			if (!cJSON_IsArray(it))
				return bad(p, path, "must be an array of trim, case, whitespace, punctuation");
			const cJSON *n;
			cJSON_ArrayForEach(n, it) {
				if ((rc = get_enum(p, n, path, norm_names, &e)))
					return rc;
				flags |= 1u << e;
			}
			g->normalize = flags;
		} else if (!strcmp(k, "pattern")) {
			rc = get_str(p, it, path, STR_NULL, &g->pattern);
		} else if (!strcmp(k, "group")) {
			rc = get_int(p, it, path, 0, 9, &g->group);
		} else if (!strcmp(k, "tolerance")) {
			rc = get_num(p, it, path, 0, 1e300, &g->tolerance);
		} else if (!strcmp(k, "rel_tolerance")) {
			rc = get_num(p, it, path, 0, 1, &g->rel_tolerance);
		} else if (!strcmp(k, "field")) {
			rc = get_str(p, it, path, STR_NULL, &g->field);
		} else if (!strcmp(k, "command")) {
			rc = get_argv(p, it, path, &g->argv);
		} else if (!strcmp(k, "timeout_s")) {
			rc = get_int(p, it, path, 1, 86400, &g->timeout_s);
		} else if (!strcmp(k, "threshold")) {
			rc = get_num(p, it, path, 0, 1, &g->threshold);
		} else if (!strcmp(k, "rubric")) {
			rc = get_str(p, it, path, STR_NULL, &g->judge_rubric);
		} else {
			rc = unknown(p, path, it->string, (const char *const[]){ "kind", "normalize", "pattern", "group", "tolerance", "rel_tolerance", "field", "command", "timeout_s", "threshold", "rubric", NULL });
		}
		if (rc)
			return rc;
	}
	return grader_check(p, g, prefix);
}

int grader_config_parse(struct grader_config *g, const struct cJSON *obj, const char *where,
			const char *prefix, const char *basedir)
{
	struct pctx p = { .where = where, .basedir = basedir };
	return grader_parse(&p, g, obj, prefix);
}

struct cJSON *grader_config_to_json(const struct grader_config *g)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", grader_kind_name(g->kind));
	cJSON *n = cJSON_AddArrayToObject(o, "normalize");
	for (int i = 0; norm_names[i]; i++)
		if (g->normalize & (1u << i))
			cJSON_AddItemToArray(n, cJSON_CreateString(norm_names[i]));
	if (g->pattern)
		cJSON_AddStringToObject(o, "pattern", g->pattern);
	else
		cJSON_AddNullToObject(o, "pattern");
	cJSON_AddNumberToObject(o, "group", g->group);
	cJSON_AddNumberToObject(o, "tolerance", g->tolerance);
	cJSON_AddNumberToObject(o, "rel_tolerance", g->rel_tolerance);
	if (g->field)
		cJSON_AddStringToObject(o, "field", g->field);
	else
		cJSON_AddNullToObject(o, "field");
	if (g->argv) {
		cJSON *a = cJSON_AddArrayToObject(o, "command");
		for (char **s = g->argv; *s; s++)
			cJSON_AddItemToArray(a, cJSON_CreateString(*s));
	} else {
		cJSON_AddNullToObject(o, "command");
	}
	cJSON_AddNumberToObject(o, "timeout_s", g->timeout_s);
	cJSON_AddNumberToObject(o, "threshold", g->threshold);
	if (g->judge_rubric)
		cJSON_AddStringToObject(o, "rubric", g->judge_rubric);
	else
		cJSON_AddNullToObject(o, "rubric");
	return o;
}

/* ============================================================ sections */

static void model_init(struct model_config *m)
{
	memset(m, 0, sizeof(*m));
	m->temperature = 0;
	m->max_tokens = 4096;
	m->seed = 0;
}

static void model_release(struct model_config *m)
{
	free(m->provider);
	free(m->model);
	model_init(m);
}

/* One key of a model section; returns 1 if `k` is not a model key. */
static int model_key(const struct pctx *p, struct model_config *m, const cJSON *it,
		     const char *k, const char *path, int *seed_set, int *rc)
{
	if (!strcmp(k, "provider"))
		*rc = get_str(p, it, path, STR_NULL, &m->provider);
	else if (!strcmp(k, "model"))
		*rc = get_str(p, it, path, STR_NULL, &m->model);
	else if (!strcmp(k, "temperature"))
		*rc = get_num(p, it, path, 0, 2, &m->temperature);
	else if (!strcmp(k, "max_tokens"))
		*rc = get_int(p, it, path, 1, 1000000, &m->max_tokens);
	else if (!strcmp(k, "seed")) {
		*rc = get_int64(p, it, path, -1, MAX_SAFE_INT, &m->seed);
		*seed_set = 1;
	} else
		return 1;
	return 0;
}

static int optimizer_parse(struct pctx *p, struct model_config *m, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "optimizer");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		keypath(path, sizeof(path), "optimizer", it->string);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (model_key(p, m, it, it->string, path, &p->optimizer_seed_set, &rc))
			rc = unknown(p, path, it->string, (const char *const[]){ "provider", "model", "temperature", "max_tokens", "seed", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int agent_tools_parse(const struct pctx *p, struct agent_config *a, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "agent.tools");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		keypath(path, sizeof(path), "agent.tools", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "env"))
			rc = get_argv(p, it, path, &a->env_argv);
		else if (!strcmp(k, "max_steps"))
			rc = get_int(p, it, path, 1, 1000, &a->max_steps);
		else if (!strcmp(k, "step_timeout_s"))
			rc = get_int(p, it, path, 1, 86400, &a->step_timeout_s);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "env", "max_steps", "step_timeout_s", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int agent_command_parse(const struct pctx *p, struct agent_config *a, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "agent.command");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		keypath(path, sizeof(path), "agent.command", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "argv"))
			rc = get_argv(p, it, path, &a->cmd_argv);
		else if (!strcmp(k, "timeout_s"))
			rc = get_int(p, it, path, 1, 86400, &a->cmd_timeout_s);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "argv", "timeout_s", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int agent_parse(struct pctx *p, struct agent_config *a, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "agent");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		int e;
		keypath(path, sizeof(path), "agent", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!model_key(p, &a->m, it, k, path, &p->agent_seed_set, &rc))
			;
		else if (!strcmp(k, "harness")) {
			if (!(rc = get_enum(p, it, path, harness_kinds, &e)))
				a->harness = (enum harness_kind)e;
		} else if (!strcmp(k, "system_prompt"))
			rc = get_str(p, it, path, 0, &a->system_prompt);
		else if (!strcmp(k, "user_template"))
			rc = get_str(p, it, path, 0, &a->user_template);
		else if (!strcmp(k, "tools"))
			rc = agent_tools_parse(p, a, it);
		else if (!strcmp(k, "command"))
			rc = agent_command_parse(p, a, it);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "provider", "model", "temperature", "max_tokens", "seed", "harness", "system_prompt", "user_template", "tools", "command", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int embeddings_parse(const struct pctx *p, struct config *c, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "embeddings");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		int e;
		keypath(path, sizeof(path), "embeddings", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "kind")) {
			if (!(rc = get_enum(p, it, path, embed_kinds, &e))) {
				free(c->embed_kind);
				c->embed_kind = xstrdup(embed_kinds[e]);
			}
		} else if (!strcmp(k, "provider"))
			rc = get_str(p, it, path, STR_NULL, &c->embed_provider);
		else if (!strcmp(k, "model"))
			rc = get_str(p, it, path, STR_NULL, &c->embed_model);
		else if (!strcmp(k, "dim"))
			rc = get_int(p, it, path, 8, 8192, &c->embed_dim);
		else if (!strcmp(k, "batch"))
			rc = get_int(p, it, path, 1, 4096, &c->embed_batch);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "kind", "provider", "model", "dim", "batch", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static void provider_init(struct provider_config *pv)
{
	memset(pv, 0, sizeof(*pv));
	pv->kind = PROVIDER_OPENAI;
	pv->concurrency = 8;
	pv->rpm = 0;
	pv->tpm = 0;
	pv->connect_timeout_s = 10;
	pv->timeout_s = 600;
	pv->idle_timeout_s = 120;
	pv->max_retries = 6;
	pv->backoff_base_ms = 500;
	pv->backoff_max_ms = 30000;
	pv->stream = 0;
}

static void provider_release(struct provider_config *pv)
{
	free(pv->name);
	free(pv->base_url);
	free(pv->api_key_env);
	free(pv->anthropic_version);
	config_strv_free(pv->headers);
	for (int i = 0; i < pv->nr_prices; i++)
		free(pv->prices[i].model);
	free(pv->prices);
	provider_init(pv);
}

static int prices_parse(const struct pctx *p, struct provider_config *pv, const cJSON *obj,
			const char *prefix)
{
	char path[512], kpath[600];
	int rc = want_object(p, obj, prefix);
	const cJSON *it;
	if (rc)
		return rc;
	pv->prices = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*pv->prices));
	cJSON_ArrayForEach(it, obj) {
		keypath(path, sizeof(path), prefix, it->string);
		if ((rc = check_dup(p, obj, it, path)) || (rc = want_object(p, it, path)))
			return rc;
		struct price *pr = &pv->prices[pv->nr_prices++];
		pr->model = xstrdup(it->string);
		const cJSON *f;
		cJSON_ArrayForEach(f, it) {
			keypath(kpath, sizeof(kpath), path, f->string);
			if ((rc = check_dup(p, it, f, kpath)))
				return rc;
			if (!strcmp(f->string, "prompt"))
				rc = get_num(p, f, kpath, 0, 1e6, &pr->prompt);
			else if (!strcmp(f->string, "completion"))
				rc = get_num(p, f, kpath, 0, 1e6, &pr->completion);
			else if (!strcmp(f->string, "cached"))
				rc = get_num(p, f, kpath, 0, 1e6, &pr->cached);
			else
				rc = unknown(p, kpath, f->string, (const char *const[]){ "prompt", "completion", "cached", NULL });
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int headers_parse(const struct pctx *p, struct provider_config *pv, const cJSON *obj,
			 const char *prefix)
{
	char path[512];
	int rc = want_object(p, obj, prefix), i = 0;
	const cJSON *it;
	if (rc)
		return rc;
	config_strv_free(pv->headers);
	pv->headers = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(char *));
	cJSON_ArrayForEach(it, obj) {
		keypath(path, sizeof(path), prefix, it->string);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!*it->string || strpbrk(it->string, ": \t\r\n"))
			return bad(p, path, "is not a valid header name");
		if (!cJSON_IsString(it) || strpbrk(it->valuestring, "\r\n"))
			return bad(p, path, "must be a string on one line");
		pv->headers[i++] = xasprintf("%s: %s", it->string, it->valuestring);
	}
	return 0;
}

static int valid_provider_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static int valid_env_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int provider_parse(const struct pctx *p, struct provider_config *pv, const cJSON *obj,
			  const char *prefix)
{
	char path[512];
	int rc = want_object(p, obj, prefix);
	const cJSON *it;
	if (rc)
		return rc;
	/* kind first: the base_url default depends on it */
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		int e;
		keypath(path, sizeof(path), prefix, k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "kind")) {
			if (!(rc = get_enum(p, it, path, provider_kinds, &e)))
				pv->kind = (enum provider_kind)e;
		} else if (!strcmp(k, "base_url")) {
			char *raw = NULL, *exp = NULL;
			if (!(rc = get_str(p, it, path, 0, &raw))) {
				if (config_expand_env(raw, &exp) < 0) {
					char msg[512];
					snprintf(msg, sizeof(msg), "%s", ss_err_last());
					rc = bad(p, path, "%s", msg);
				} else if (strncmp(exp, "http://", 7) && strncmp(exp, "https://", 8)) {
					rc = bad(p, path, "must start with http:// or https:// (got '%s')", exp);
				} else {
					size_t n = strlen(exp);
					while (n > 0 && exp[n - 1] == '/')
						exp[--n] = '\0';
					free(pv->base_url);
					pv->base_url = exp;
					exp = NULL;
				}
			}
			free(raw);
			free(exp);
		} else if (!strcmp(k, "api_key_env")) {
			if (cJSON_IsNull(it)) {
				free(pv->api_key_env);
				pv->api_key_env = NULL;
			} else if (!(rc = get_str(p, it, path, 0, &pv->api_key_env)) &&
				   !valid_env_name(pv->api_key_env)) {
				rc = bad(p, path, "must name an environment variable "
					 "(letters, digits and '_'), not hold a key");
			}
		} else if (!strcmp(k, "concurrency"))
			rc = get_int(p, it, path, 1, 1024, &pv->concurrency);
		else if (!strcmp(k, "rpm"))
			rc = get_int(p, it, path, 0, 1000000, &pv->rpm);
		else if (!strcmp(k, "tpm"))
			rc = get_int(p, it, path, 0, 1000000000, &pv->tpm);
		else if (!strcmp(k, "connect_timeout_s"))
			rc = get_int(p, it, path, 1, 600, &pv->connect_timeout_s);
		else if (!strcmp(k, "timeout_s"))
			rc = get_int(p, it, path, 1, 86400, &pv->timeout_s);
		else if (!strcmp(k, "idle_timeout_s"))
			rc = get_int(p, it, path, 1, 86400, &pv->idle_timeout_s);
		else if (!strcmp(k, "max_retries"))
			rc = get_int(p, it, path, 0, 100, &pv->max_retries);
		else if (!strcmp(k, "backoff_base_ms"))
			rc = get_int(p, it, path, 1, 600000, &pv->backoff_base_ms);
		else if (!strcmp(k, "backoff_max_ms"))
			rc = get_int(p, it, path, 1, 3600000, &pv->backoff_max_ms);
		else if (!strcmp(k, "stream"))
			rc = get_bool(p, it, path, &pv->stream);
		else if (!strcmp(k, "anthropic_version"))
			rc = get_str(p, it, path, 0, &pv->anthropic_version);
		else if (!strcmp(k, "headers"))
			rc = headers_parse(p, pv, it, path);
		else if (!strcmp(k, "prices"))
			rc = prices_parse(p, pv, it, path);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "kind", "base_url", "api_key_env", "concurrency", "rpm", "tpm", "connect_timeout_s", "timeout_s", "idle_timeout_s", "max_retries", "backoff_base_ms", "backoff_max_ms", "stream", "anthropic_version", "headers", "prices", NULL });
		if (rc)
			return rc;
	}
	if (pv->backoff_base_ms > pv->backoff_max_ms) {
		keypath(path, sizeof(path), prefix, "backoff_max_ms");
		return bad(p, path, "must not be less than backoff_base_ms (%d)", pv->backoff_base_ms);
	}
	if (!pv->base_url)
		pv->base_url = xstrdup(pv->kind == PROVIDER_ANTHROPIC ? "https://api.anthropic.com/v1"
				       : "https://api.openai.com/v1");
	if (!pv->anthropic_version)
		pv->anthropic_version = xstrdup("2023-06-01");
	return 0;
}

static int providers_parse(const struct pctx *p, struct config *c, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "providers");
	const cJSON *it;
	if (rc)
		return rc;
	c->providers = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*c->providers));
	cJSON_ArrayForEach(it, obj) {
		keypath(path, sizeof(path), "providers", it->string);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!valid_provider_name(it->string))
			return bad(p, path, "a provider name must be 1-64 letters, digits, '-', '_' or '.'");
		struct provider_config *pv = &c->providers[c->nr_providers++];
		provider_init(pv);
		pv->name = xstrdup(it->string);
		if ((rc = provider_parse(p, pv, it, path)))
			return rc;
	}
	return 0;
}

static int strategy_edit_parse(const struct pctx *p, struct strategy_config *s, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "strategy.edit");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		int e;
		keypath(path, sizeof(path), "strategy.edit", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "epochs"))
			rc = get_int(p, it, path, 1, 100, &s->epochs);
		else if (!strcmp(k, "steps_per_epoch"))
			rc = get_int(p, it, path, 1, 1000, &s->steps_per_epoch);
		else if (!strcmp(k, "batch_size"))
			rc = get_int(p, it, path, 1, 100000, &s->batch_size);
		else if (!strcmp(k, "learning_rate"))
			rc = get_int(p, it, path, 1, 64, &s->learning_rate);
		else if (!strcmp(k, "schedule")) {
			if (!(rc = get_enum(p, it, path, schedules, &e)))
				s->schedule = (enum lr_schedule)e;
		} else if (!strcmp(k, "success_reflection"))
			rc = get_bool(p, it, path, &s->success_reflection);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "epochs", "steps_per_epoch", "batch_size", "learning_rate", "schedule", "success_reflection", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int strategy_parse(const struct pctx *p, struct strategy_config *s, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "strategy");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		int e;
		keypath(path, sizeof(path), "strategy", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "kind")) {
			if (!(rc = get_enum(p, it, path, strategy_kinds, &e)))
				s->kind = (enum strategy_kind)e;
		} else if (!strcmp(k, "rounds"))
			rc = get_int(p, it, path, 1, 64, &s->rounds);
		else if (!strcmp(k, "g_abs"))
			rc = get_int(p, it, path, 0, 100000, &s->g_abs);
		else if (!strcmp(k, "g_rel"))
			rc = get_num(p, it, path, 0, 1, &s->g_rel);
		else if (!strcmp(k, "k_min"))
			rc = get_int(p, it, path, 1, 64, &s->k_min);
		else if (!strcmp(k, "k_max"))
			rc = get_int(p, it, path, 1, 64, &s->k_max);
		else if (!strcmp(k, "target_cluster_size"))
			rc = get_int(p, it, path, 1, 100000, &s->target_cluster_size);
		else if (!strcmp(k, "max_failure_clusters"))
			rc = get_int(p, it, path, 1, 64, &s->max_failure_clusters);
		else if (!strcmp(k, "max_success_clusters"))
			rc = get_int(p, it, path, 1, 64, &s->max_success_clusters);
		else if (!strcmp(k, "pairs"))
			rc = get_int(p, it, path, 0, 1000, &s->max_pairs);
		else if (!strcmp(k, "gen_failure_clusters"))
			rc = get_int(p, it, path, 0, 64, &s->gen_failure_clusters);
		else if (!strcmp(k, "gen_success_clusters"))
			rc = get_int(p, it, path, 0, 64, &s->gen_success_clusters);
		else if (!strcmp(k, "gen_pairs"))
			rc = get_int(p, it, path, 0, 1000, &s->gen_pairs);
		else if (!strcmp(k, "feedback_samples"))
			rc = get_int(p, it, path, 0, 1000, &s->feedback_samples);
		else if (!strcmp(k, "skill_max_tokens"))
			rc = get_int(p, it, path, 256, 1000000, &s->skill_max_tokens);
		else if (!strcmp(k, "early_stop"))
			rc = get_bool(p, it, path, &s->early_stop);
		else if (!strcmp(k, "attribution"))
			rc = get_bool(p, it, path, &s->attribution);
		else if (!strcmp(k, "edit"))
			rc = strategy_edit_parse(p, s, it);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "kind", "rounds", "g_abs", "g_rel", "k_min", "k_max", "target_cluster_size", "max_failure_clusters", "max_success_clusters", "pairs", "gen_failure_clusters", "gen_success_clusters", "gen_pairs", "feedback_samples", "skill_max_tokens", "early_stop", "attribution", "edit", NULL });
		if (rc)
			return rc;
	}
	if (s->k_min > s->k_max)
		return bad(p, "strategy.k_max", "must not be less than strategy.k_min (%d)", s->k_min);
	return 0;
}

static int split_parse(const struct pctx *p, struct config *c, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "split");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		keypath(path, sizeof(path), "split", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "test"))
			rc = get_num(p, it, path, 0, 0.9, &c->test_frac);
		else if (!strcmp(k, "verification"))
			rc = get_num(p, it, path, 0.05, 0.95, &c->ver_frac);
		else if (!strcmp(k, "min_verification"))
			rc = get_int(p, it, path, 1, 100000, &c->min_ver);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "test", "verification", "min_verification", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int approval_parse(const struct pctx *p, struct config *c, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "approval");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		int e;
		keypath(path, sizeof(path), "approval", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "policy")) {
			if (!(rc = get_enum(p, it, path, approval_policies, &e)))
				c->approval = (enum approval_policy)e;
		} else if (!strcmp(k, "timeout_s"))
			rc = get_int(p, it, path, 0, 30 * 86400, &c->approval_timeout_s);
		else if (!strcmp(k, "on_timeout")) {
			if (!(rc = get_enum(p, it, path, timeout_actions, &e)))
				c->approval_on_timeout = (enum approval_timeout_action)e;
		} else
			rc = unknown(p, path, it->string, (const char *const[]){ "policy", "timeout_s", "on_timeout", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int budget_parse(const struct pctx *p, struct config *c, const cJSON *obj)
{
	char path[256];
	int rc = want_object(p, obj, "budget");
	const cJSON *it;
	if (rc)
		return rc;
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		keypath(path, sizeof(path), "budget", k);
		if ((rc = check_dup(p, obj, it, path)))
			return rc;
		if (!strcmp(k, "max_tokens"))
			rc = get_int64(p, it, path, 0, 1e15, &c->budget_tokens);
		else if (!strcmp(k, "max_cost"))
			rc = get_num(p, it, path, 0, 1e9, &c->budget_cost);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "max_tokens", "max_cost", NULL });
		if (rc)
			return rc;
	}
	return 0;
}

static int valid_run_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

/* The file's stem, made safe for a run name: "my config.json" -> "my-config". */
static char *stem_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (n > 64)
		n = 64;
	char *s = xstrndup(base, n);
	for (char *q = s; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr("-_.", *q))
			*q = '-';
	if (!*s) {
		free(s);
		s = xstrdup("run");
	}
	return s;
}

/* ============================================================ the config */

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->seed = 0;
	c->test_frac = 0.3;
	c->ver_frac = 0.3;
	c->min_ver = 4;
	grader_config_init(&c->grader);

	model_init(&c->agent.m);
	c->agent.harness = HARNESS_CHAT;
	c->agent.system_prompt = xstrdup(DEFAULT_SYSTEM_PROMPT);
	c->agent.user_template = xstrdup(DEFAULT_USER_TEMPLATE);
	c->agent.max_steps = 16;
	c->agent.step_timeout_s = 60;
	c->agent.cmd_timeout_s = 600;

	model_init(&c->optimizer);

	c->embed_kind = xstrdup("local");
	c->embed_dim = 512;
	c->embed_batch = 64;

	struct strategy_config *s = &c->strategy;
	s->kind = STRATEGY_SKILLGEN;
	s->rounds = 8;
	s->g_abs = 2;
	s->g_rel = 0.05;
	s->k_min = 2;
	s->k_max = 8;
	s->target_cluster_size = 15;
	s->max_failure_clusters = 8;
	s->max_success_clusters = 8;
	s->max_pairs = 20;
	s->gen_failure_clusters = 6;
	s->gen_success_clusters = 6;
	s->gen_pairs = 8;
	s->feedback_samples = 8;
	s->skill_max_tokens = 16384;
	s->early_stop = 1;
	s->attribution = 1;
	s->epochs = 4;
	s->steps_per_epoch = 4;
	s->batch_size = 16;
	s->learning_rate = 4;
	s->schedule = LR_COSINE;
	s->success_reflection = 1;

	c->approval = APPROVAL_NONE;
	c->approval_timeout_s = 0;
	c->approval_on_timeout = ON_TIMEOUT_WAIT;
	c->budget_tokens = 0;
	c->budget_cost = 0;
	c->cache = 1;
}

void config_release(struct config *c)
{
	free(c->path);
	free(c->dir);
	free(c->name);
	free(c->tasks);
	grader_config_release(&c->grader);
	model_release(&c->agent.m);
	free(c->agent.system_prompt);
	free(c->agent.user_template);
	config_strv_free(c->agent.env_argv);
	config_strv_free(c->agent.cmd_argv);
	model_release(&c->optimizer);
	free(c->embed_kind);
	free(c->embed_provider);
	free(c->embed_model);
	for (int i = 0; i < c->nr_providers; i++)
		provider_release(&c->providers[i]);
	free(c->providers);
	memset(c, 0, sizeof(*c));
}

struct provider_config *config_provider(struct config *c, const char *name)
{
	if (!name)
		return NULL;
	for (int i = 0; i < c->nr_providers; i++)
		if (!strcmp(c->providers[i].name, name))
			return &c->providers[i];
	return NULL;
}

/* Cross-key checks and defaults that depend on other keys. */
static int config_finish(struct pctx *p, struct config *c)
{
	if (!c->tasks)
		return bad(p, "tasks", "is required (the JSONL task file)");
	char *t = config_resolve_path(c->dir, c->tasks);
	free(c->tasks);
	c->tasks = t;
	if (!c->name)
		c->name = stem_name(c->path);

	if (c->nr_providers == 0)
		return bad(p, "providers", "at least one provider is required");
	if (!c->agent.m.provider) {
		if (c->nr_providers > 1)
			return bad(p, "agent.provider", "is required when more than one provider is defined");
		c->agent.m.provider = xstrdup(c->providers[0].name);
	}
	if (!config_provider(c, c->agent.m.provider))
		return bad(p, "agent.provider", "no provider named '%s' in providers",
			   c->agent.m.provider);
	if (!c->agent.m.model && c->agent.harness != HARNESS_COMMAND)
		return bad(p, "agent.model", "is required");
	if (!c->optimizer.provider)
		c->optimizer.provider = xstrdup(c->agent.m.provider);
	if (!config_provider(c, c->optimizer.provider))
		return bad(p, "optimizer.provider", "no provider named '%s' in providers",
			   c->optimizer.provider);
	if (!c->optimizer.model) {
		if (!c->agent.m.model)
			return bad(p, "optimizer.model", "is required");
		c->optimizer.model = xstrdup(c->agent.m.model);
	}
	if (!p->agent_seed_set)
		c->agent.m.seed = c->seed;
	if (!p->optimizer_seed_set)
		c->optimizer.seed = c->seed;

	if (!strcmp(c->embed_kind, "api")) {
		if (!c->embed_provider)
			c->embed_provider = xstrdup(c->optimizer.provider);
		if (!config_provider(c, c->embed_provider))
			return bad(p, "embeddings.provider", "no provider named '%s' in providers",
				   c->embed_provider);
		if (!c->embed_model)
			c->embed_model = xstrdup(DEFAULT_EMBED_MODEL);
	}

	switch (c->agent.harness) {
	case HARNESS_CHAT:
		if (!strstr(c->agent.system_prompt, "{{skill}}"))
			return bad(p, "agent.system_prompt", "must contain the {{skill}} slot");
		break;
	case HARNESS_TOOLS:
		if (!strstr(c->agent.system_prompt, "{{skill}}"))
			return bad(p, "agent.system_prompt", "must contain the {{skill}} slot");
		if (!c->agent.env_argv)
			return bad(p, "agent.tools.env", "is required by the tools harness");
		break;
	case HARNESS_COMMAND:
		if (!c->agent.cmd_argv)
			return bad(p, "agent.command.argv", "is required by the command harness");
		break;
	}
	if (c->agent.harness != HARNESS_COMMAND && !strstr(c->agent.user_template, "{{input}}"))
		return bad(p, "agent.user_template", "must contain the {{input}} slot");
	return 0;
}

static int config_parse_tree(struct pctx *p, struct config *c, const cJSON *root)
{
	char path[256];
	int rc;
	const cJSON *it;
	if (!cJSON_IsObject(root))
		return bad(p, NULL, "must hold a JSON object");
	cJSON_ArrayForEach(it, root) {
		const char *k = it->string;
		keypath(path, sizeof(path), "", k);
		if ((rc = check_dup(p, root, it, path)))
			return rc;
		if (!strcmp(k, "name")) {
			if (!(rc = get_str(p, it, path, 0, &c->name)) && !valid_run_name(c->name))
				rc = bad(p, path, "must be 1-64 letters, digits, '-', '_' or '.'");
		} else if (!strcmp(k, "tasks"))
			rc = get_str(p, it, path, 0, &c->tasks);
		else if (!strcmp(k, "seed"))
			rc = get_int64(p, it, path, 0, MAX_SAFE_INT, &c->seed);
		else if (!strcmp(k, "split"))
			rc = split_parse(p, c, it);
		else if (!strcmp(k, "grader"))
			rc = grader_parse(p, &c->grader, it, "grader");
		else if (!strcmp(k, "agent"))
			rc = agent_parse(p, &c->agent, it);
		else if (!strcmp(k, "optimizer"))
			rc = optimizer_parse(p, &c->optimizer, it);
		else if (!strcmp(k, "embeddings"))
			rc = embeddings_parse(p, c, it);
		else if (!strcmp(k, "providers"))
			rc = providers_parse(p, c, it);
		else if (!strcmp(k, "strategy"))
			rc = strategy_parse(p, &c->strategy, it);
		else if (!strcmp(k, "approval"))
			rc = approval_parse(p, c, it);
		else if (!strcmp(k, "budget"))
			rc = budget_parse(p, c, it);
		else if (!strcmp(k, "cache"))
			rc = get_bool(p, it, path, &c->cache);
		else
			rc = unknown(p, path, it->string, (const char *const[]){ "name", "tasks", "seed", "split", "grader", "agent", "optimizer", "embeddings", "providers", "strategy", "approval", "budget", "cache", NULL });
		if (rc)
			return rc;
	}
	return config_finish(p, c);
}

/* Line and column (1-based) of byte offset `off` in `text`. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	int l = 1, cl = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			l++;
			cl = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			cl++;
		}
	}
	*line = l;
	*col = cl;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;
	if (!slash)
		d = xstrdup(".");
	else if (slash == path)
		d = xstrdup("/");
	else
		d = xstrndup(path, (size_t)(slash - path));
	char *real = realpath(d, NULL);
	if (real) {
		free(d);
		return real;
	}
	return d;
}

int config_parse(struct config *c, const char *text, const char *name)
{
	config_init(c);
	c->path = xstrdup(name);
	c->dir = dir_of(name);
	struct pctx p = { .where = name, .basedir = c->dir };
	const char *end = NULL;
	size_t len = strlen(text);
	int rc;
	long bad = utf8_invalid_at(text, len);
	if (bad >= 0) {
		int line, col;
		line_col(text, (size_t)bad, &line, &col);
		rc = ss_err_set(SS_EINPUT, "%s:%d:%d: invalid UTF-8", name, line, col);
		goto fail;
	}
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		int line, col;
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		line_col(text, off, &line, &col);
		while (off < len && (text[off] == ' ' || text[off] == '\t'))
			off++;
		if (off >= len || !text[off])
			rc = ss_err_set(SS_EINPUT, "%s:%d:%d: invalid JSON: unexpected end of file",
					name, line, col);
		else
		{
			size_t show = 0;
			while (show < 12 && off + show < len && text[off + show] != '\n')
				show++;
			rc = ss_err_set(SS_EINPUT, "%s:%d:%d: invalid JSON near '%.*s'", name, line,
					col, (int)show, text + off);
		}
		goto fail;
	}
	/* trailing garbage after the object */
	for (const char *q = end; q && *q; q++) {
		if (!isspace((unsigned char)*q)) {
			int line, col;
			line_col(text, (size_t)(q - text), &line, &col);
			rc = ss_err_set(SS_EINPUT, "%s:%d:%d: invalid JSON: text after the object",
					name, line, col);
			cJSON_Delete(root);
			goto fail;
		}
	}
	rc = config_parse_tree(&p, c, root);
	cJSON_Delete(root);
	if (rc)
		goto fail;
	return 0;
fail:
	config_release(c);
	return rc;
}

int config_load(struct config *c, const char *path)
{
	size_t len;
	char *text = ss_read_file(path, &len);
	if (!text) {
		config_init(c);
		config_release(c);
		return SS_EINPUT;
	}
	if (strlen(text) != len) {
		free(text);
		config_init(c);
		config_release(c);
		return ss_err_set(SS_EINPUT, "%s: contains a NUL byte, not JSON text", path);
	}
	int rc = config_parse(c, text, path);
	free(text);
	return rc;
}

/* ============================================================ snapshot */

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_argv(cJSON *o, const char *k, char *const *v)
{
	if (!v) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	cJSON *a = cJSON_AddArrayToObject(o, k);
	for (; *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
}

static void add_model(cJSON *o, const struct model_config *m)
{
	add_str_or_null(o, "provider", m->provider);
	add_str_or_null(o, "model", m->model);
	cJSON_AddNumberToObject(o, "temperature", m->temperature);
	cJSON_AddNumberToObject(o, "max_tokens", m->max_tokens);
	cJSON_AddNumberToObject(o, "seed", (double)m->seed);
}

/* Header values that may carry a credential are not written to a snapshot. */
static int secret_header(const char *name, size_t n)
{
	static const char *const words[] = { "auth", "key", "token", "secret", "cookie",
					      "password", NULL };
	for (int i = 0; words[i]; i++) {
		size_t w = strlen(words[i]);
		for (size_t j = 0; j + w <= n; j++)
			if (!strncasecmp(name + j, words[i], w))
				return 1;
	}
	return 0;
}

char *config_to_json(const struct config *c)
{
	cJSON *o = cJSON_CreateObject();
	add_str_or_null(o, "name", c->name);
	add_str_or_null(o, "tasks", c->tasks);
	cJSON_AddNumberToObject(o, "seed", (double)c->seed);
	cJSON *s = cJSON_AddObjectToObject(o, "split");
	cJSON_AddNumberToObject(s, "test", c->test_frac);
	cJSON_AddNumberToObject(s, "verification", c->ver_frac);
	cJSON_AddNumberToObject(s, "min_verification", c->min_ver);
	cJSON_AddItemToObject(o, "grader", grader_config_to_json(&c->grader));

	cJSON *a = cJSON_AddObjectToObject(o, "agent");
	add_model(a, &c->agent.m);
	cJSON_AddStringToObject(a, "harness", harness_kind_name(c->agent.harness));
	add_str_or_null(a, "system_prompt", c->agent.system_prompt);
	add_str_or_null(a, "user_template", c->agent.user_template);
	cJSON *t = cJSON_AddObjectToObject(a, "tools");
	add_argv(t, "env", c->agent.env_argv);
	cJSON_AddNumberToObject(t, "max_steps", c->agent.max_steps);
	cJSON_AddNumberToObject(t, "step_timeout_s", c->agent.step_timeout_s);
	cJSON *cm = cJSON_AddObjectToObject(a, "command");
	add_argv(cm, "argv", c->agent.cmd_argv);
	cJSON_AddNumberToObject(cm, "timeout_s", c->agent.cmd_timeout_s);

	add_model(cJSON_AddObjectToObject(o, "optimizer"), &c->optimizer);

	cJSON *e = cJSON_AddObjectToObject(o, "embeddings");
	add_str_or_null(e, "kind", c->embed_kind);
	add_str_or_null(e, "provider", c->embed_provider);
	add_str_or_null(e, "model", c->embed_model);
	cJSON_AddNumberToObject(e, "dim", c->embed_dim);
	cJSON_AddNumberToObject(e, "batch", c->embed_batch);

	cJSON *ps = cJSON_AddObjectToObject(o, "providers");
	for (int i = 0; i < c->nr_providers; i++) {
		const struct provider_config *pv = &c->providers[i];
		cJSON *x = cJSON_AddObjectToObject(ps, pv->name);
		cJSON_AddStringToObject(x, "kind", provider_kinds[pv->kind]);
		add_str_or_null(x, "base_url", pv->base_url);
		add_str_or_null(x, "api_key_env", pv->api_key_env);
		cJSON_AddNumberToObject(x, "concurrency", pv->concurrency);
		cJSON_AddNumberToObject(x, "rpm", pv->rpm);
		cJSON_AddNumberToObject(x, "tpm", pv->tpm);
		cJSON_AddNumberToObject(x, "connect_timeout_s", pv->connect_timeout_s);
		cJSON_AddNumberToObject(x, "timeout_s", pv->timeout_s);
		cJSON_AddNumberToObject(x, "idle_timeout_s", pv->idle_timeout_s);
		cJSON_AddNumberToObject(x, "max_retries", pv->max_retries);
		cJSON_AddNumberToObject(x, "backoff_base_ms", pv->backoff_base_ms);
		cJSON_AddNumberToObject(x, "backoff_max_ms", pv->backoff_max_ms);
		cJSON_AddBoolToObject(x, "stream", pv->stream);
		add_str_or_null(x, "anthropic_version", pv->anthropic_version);
		cJSON *h = cJSON_AddObjectToObject(x, "headers");
		for (char **hv = pv->headers; hv && *hv; hv++) {
			const char *colon = strchr(*hv, ':');
			if (!colon)
				continue;
			char *hn = xstrndup(*hv, (size_t)(colon - *hv));
			const char *val = colon + 1;
			while (*val == ' ')
				val++;
			cJSON_AddStringToObject(h, hn, secret_header(hn, strlen(hn)) ? "(redacted)" : val);
			free(hn);
		}
		cJSON *pr = cJSON_AddObjectToObject(x, "prices");
		for (int j = 0; j < pv->nr_prices; j++) {
			cJSON *m = cJSON_AddObjectToObject(pr, pv->prices[j].model);
			cJSON_AddNumberToObject(m, "prompt", pv->prices[j].prompt);
			cJSON_AddNumberToObject(m, "completion", pv->prices[j].completion);
			cJSON_AddNumberToObject(m, "cached", pv->prices[j].cached);
		}
	}

	const struct strategy_config *st = &c->strategy;
	cJSON *sg = cJSON_AddObjectToObject(o, "strategy");
	cJSON_AddStringToObject(sg, "kind", strategy_kind_name(st->kind));
	cJSON_AddNumberToObject(sg, "rounds", st->rounds);
	cJSON_AddNumberToObject(sg, "g_abs", st->g_abs);
	cJSON_AddNumberToObject(sg, "g_rel", st->g_rel);
	cJSON_AddNumberToObject(sg, "k_min", st->k_min);
	cJSON_AddNumberToObject(sg, "k_max", st->k_max);
	cJSON_AddNumberToObject(sg, "target_cluster_size", st->target_cluster_size);
	cJSON_AddNumberToObject(sg, "max_failure_clusters", st->max_failure_clusters);
	cJSON_AddNumberToObject(sg, "max_success_clusters", st->max_success_clusters);
	cJSON_AddNumberToObject(sg, "pairs", st->max_pairs);
	cJSON_AddNumberToObject(sg, "gen_failure_clusters", st->gen_failure_clusters);
	cJSON_AddNumberToObject(sg, "gen_success_clusters", st->gen_success_clusters);
	cJSON_AddNumberToObject(sg, "gen_pairs", st->gen_pairs);
	cJSON_AddNumberToObject(sg, "feedback_samples", st->feedback_samples);
	cJSON_AddNumberToObject(sg, "skill_max_tokens", st->skill_max_tokens);
	cJSON_AddBoolToObject(sg, "early_stop", st->early_stop);
	cJSON_AddBoolToObject(sg, "attribution", st->attribution);
	cJSON *ed = cJSON_AddObjectToObject(sg, "edit");
	cJSON_AddNumberToObject(ed, "epochs", st->epochs);
	cJSON_AddNumberToObject(ed, "steps_per_epoch", st->steps_per_epoch);
	cJSON_AddNumberToObject(ed, "batch_size", st->batch_size);
	cJSON_AddNumberToObject(ed, "learning_rate", st->learning_rate);
	cJSON_AddStringToObject(ed, "schedule", schedules[st->schedule]);
	cJSON_AddBoolToObject(ed, "success_reflection", st->success_reflection);

	cJSON *ap = cJSON_AddObjectToObject(o, "approval");
	cJSON_AddStringToObject(ap, "policy", approval_policies[c->approval]);
	cJSON_AddNumberToObject(ap, "timeout_s", c->approval_timeout_s);
	cJSON_AddStringToObject(ap, "on_timeout", timeout_actions[c->approval_on_timeout]);
	cJSON *b = cJSON_AddObjectToObject(o, "budget");
	cJSON_AddNumberToObject(b, "max_tokens", (double)c->budget_tokens);
	cJSON_AddNumberToObject(b, "max_cost", c->budget_cost);
	cJSON_AddBoolToObject(o, "cache", c->cache);

	char *out = cJSON_Print(o);
	cJSON_Delete(o);
	if (!out)
		die("out of memory printing the config");
	char *r = xstrdup(out);
	cJSON_free(out);
	return r;
}
