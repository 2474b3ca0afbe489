#ifndef SKILLSMITH_TASKS_H
#define SKILLSMITH_TASKS_H
/*
 * The task suite: a JSONL file, one instance a line:
 *
 *   {"id": "d-017", "input": "...", "expected": "(B)", "type": "date",
 *    "metadata": {...}, "grader": {...}}
 *
 * "id" (non-empty string, unique) and "input" (string) are required;
 * "expected" is a string (a number or boolean is kept as its JSON text);
 * "type" a string; "metadata" an object; "grader" an object with the keys
 * of the config's "grader" section, overriding the suite's grader for this
 * instance.  Blank lines are skipped; a UTF-8 byte order mark at the start
 * is allowed.  Any other field is an error.
 *
 * Errors name the file, the line and the field
 * ("tasks.jsonl:17: field 'expected' must be a string") and nothing is
 * returned half-loaded.
 */
#include <stddef.h>
#include <cjson/cJSON.h>

#include "skillsmith/config.h"

/* Lines longer than this are refused (a generous cap: 1 MiB). */
#define TASKS_MAX_LINE (1024 * 1024)
/* Ids longer than this are refused. */
#define TASKS_MAX_ID 256

struct task {
	char *id;
	char *input;
	char *expected;                /* NULL if absent */
	char *type;                    /* NULL if absent */
	cJSON *metadata;               /* object, or NULL */
	cJSON *grader_json;            /* the override as written, or NULL */
	struct grader_config *grader;  /* base grader with the override applied,
					  or NULL: use the suite's grader */
	int line;                      /* 1-based line in the file */
	int idx;                       /* 0-based position in the file */
};

struct task_set {
	char *path;                    /* the file */
	struct task *v;
	int nr;
};

#define TASK_SET_INIT { NULL, NULL, 0 }

/*
 * Load `path`.  Per-instance grader overrides are applied on top of `base`
 * (the suite's grader; NULL: the defaults).  Relative command paths in an
 * override are resolved against the file's directory.  Returns 0, or
 * SS_EINPUT with "FILE:LINE: what is wrong" set and `ts` empty.
 */
int tasks_load(struct task_set *ts, const char *path, const struct grader_config *base);
/* The same from memory; `name` appears in messages, `basedir` resolves paths. */
int tasks_parse(struct task_set *ts, const char *text, size_t len, const char *name,
		const char *basedir, const struct grader_config *base);
/* Free the contents; `ts` is empty again. */
void tasks_release(struct task_set *ts);
/* The task with `id`, or NULL (linear search). */
const struct task *tasks_find(const struct task_set *ts, const char *id);
/* The grader for `t`: its override, or `suite`. */
const struct grader_config *task_grader(const struct task *t, const struct grader_config *suite);

/*
 * Check that s[0..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF).  Returns -1 if valid, else the
 * offset of the first bad byte.
 */
long utf8_invalid_at(const char *s, size_t len);

#endif
