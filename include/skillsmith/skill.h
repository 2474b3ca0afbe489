#ifndef SKILLSMITH_SKILL_H
#define SKILLSMITH_SKILL_H
/*
 * Agent Skills folders: read, validate, render and write SKILL.md.
 *
 * A skill is a folder whose SKILL.md starts with YAML front matter between
 * two "---" lines:
 *
 *   name           required; 1-64 of a-z, 0-9 and single hyphens (no
 *                  leading, trailing or double hyphen); equals the folder name
 *   description    required; 1-1024 characters
 *   license        optional string
 *   compatibility  optional; 1-500 characters
 *   metadata       optional map of string to string
 *   allowed-tools  optional; a string (space-separated) or a list of strings
 *
 * Any other key is a violation.  The Markdown body should stay under 500
 * lines and about 5,000 tokens (estimated as characters / 4): beyond that
 * is a warning, not a violation.  Optional scripts/, references/ and
 * assets/ must be folders if present.
 */
#include <stddef.h>
#include <cjson/cJSON.h>

#define SKILL_NAME_MAX 64
#define SKILL_DESCRIPTION_MAX 1024
#define SKILL_COMPATIBILITY_MAX 500
#define SKILL_BODY_MAX_LINES 500
#define SKILL_BODY_MAX_TOKENS 5000

struct skill_meta {
	char *key;
	char *value;
};

struct skill {
	char *dir;             /* the folder, or NULL when parsed from text */
	char *file;            /* the SKILL.md path, as given in messages */
	char *name;            /* NULL where absent or not a string */
	char *description;
	char *license;
	char *compatibility;
	struct skill_meta *metadata;
	int nr_metadata;
	char *allowed_tools;   /* space-separated */
	char *body;            /* the Markdown after the front matter */
	int body_line;         /* 1-based line in SKILL.md where the body starts */
};

enum skill_severity { SKILL_ERROR = 0, SKILL_WARNING = 1 };

/* One violation (error) or warning. */
struct skill_issue {
	enum skill_severity severity;
	char *file;            /* the file it concerns */
	int line;              /* 1-based, 0 when not about a line */
	char *field;           /* front-matter key, "body", or NULL */
	char *message;
};

/* All issues found, in file order. */
struct skill_report {
	struct skill_issue *v;
	int nr, alloc;
	int errors, warnings;
};

#define SKILL_REPORT_INIT { NULL, 0, 0, 0, 0 }

void skill_report_release(struct skill_report *rep);
/* "FILE:LINE: field 'name': message" (malloc'd). */
char *skill_issue_format(const struct skill_issue *is);

/*
 * Parse SKILL.md text.  `file` names it in messages; `folder` (may be NULL)
 * is the folder name `name` must equal.  Every problem goes into `rep`
 * (which may be NULL); the return is 0 if there is no error, SS_EINPUT
 * otherwise.  `s` holds what could be read either way; skill_release() it.
 */
int skill_parse(struct skill *s, const char *text, size_t len, const char *file,
		const char *folder, struct skill_report *rep);
/*
 * Read a skill folder, or a SKILL.md path (its folder is the skill).
 * SS_ENOTFOUND if `path` does not exist (message set); otherwise like
 * skill_parse(), with the folder checks added.
 */
int skill_read(struct skill *s, const char *path, struct skill_report *rep);
void skill_release(struct skill *s);
/*
 * skill_read() without keeping the skill: 0 valid (warnings allowed),
 * SS_ERR with violations in `rep`, SS_ENOTFOUND for a missing path.
 */
int skill_validate(const char *path, struct skill_report *rep);

/* True if `name` is a valid skill name. */
int skill_name_valid(const char *name);
/* A valid skill name made from any text ("Date Reasoning!" -> "date-reasoning"). */
char *skill_slug(const char *text);

/*
 * Render the structured skill (the "skill" schema: {name, description,
 * context, success_patterns[], failure_lessons[]}, each rule a string or
 * {"rule", "evidence": [ids]}; optional license, compatibility, metadata)
 * as SKILL.md text: front matter, a title, and the three sections
 * "## Context", "## Success patterns", "## Failure lessons".  The name is
 * made valid with skill_slug(), an over-long description is cut.  NULL and
 * SS_EINPUT if the description is missing.  Caller frees.
 */
#define SKILL_RENDER_EVIDENCE 0x1   /* append "<!-- evidence: ids -->" to rules */
char *skill_render(const cJSON *structured, unsigned flags);

/*
 * The rules of a SKILL.md body, for ablation: each bullet (with its
 * continuation and nested lines) and each paragraph or fenced block is one
 * rule; headings are not.  Offsets are into `md` (front matter skipped).
 */
struct skill_rule {
	char *section;         /* the enclosing "## " heading, "" before any */
	char *text;            /* the rule, bullet marker and indentation removed */
	size_t off, len;       /* the bytes in md, without the final newline */
	int line;              /* 1-based line in md */
	int bullet;            /* 1 for a bullet, 0 for a paragraph */
};
int skill_rules(const char *md, struct skill_rule **out, int *nr);
void skill_rules_free(struct skill_rule *rules, int nr);
/* md without rule `r` (and its line break), malloc'd. */
char *skill_without_rule(const char *md, const struct skill_rule *r);

/*
 * Write `skill_md` as `dir`/SKILL.md atomically: a temporary sibling folder
 * is filled, then renamed into place.  An existing `dir` is an error
 * (SS_EINPUT) unless `force`, when it is replaced as a whole.
 */
int skill_write_dir(const char *dir, const char *skill_md, int force);

#endif
