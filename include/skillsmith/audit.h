#ifndef SKILLSMITH_AUDIT_H
#define SKILLSMITH_AUDIT_H
/*
 * Pre-deployment audit of a skill: an Agent Skills folder on disk, or the
 * selected skill of a run in the store.
 *
 * Checks (rule ids in brackets; each finding has a severity, the file
 * relative to the skill folder, a 1-based line (0: the whole file or the
 * run) and a short excerpt):
 *   - Agent Skills validity [skill-invalid, skill-warning];
 *   - invisible or deceptive Unicode: tag characters U+E0000..E007F
 *     [unicode-tag, the hidden text is decoded into the message],
 *     zero-width U+200B..U+200F, U+2060, U+FEFF [unicode-zero-width],
 *     bidi overrides U+202A..U+202E, U+2066..U+2069 [unicode-bidi],
 *     bytes that are not UTF-8 [unicode-invalid];
 *   - prompt-injection phrasing, case-insensitive [prompt-injection];
 *   - URLs [url], URLs carrying data in their query [url-query], query
 *     values filled from variables [exfil-url], webhook and capture hosts
 *     [exfil-host], raw IP hosts [url-ip], "send ... to http..."
 *     [exfil-send], curl/wget uploading files or command output
 *     [exfil-upload], credential files read [sensitive-path];
 *   - dangerous commands in scripts and fenced code blocks: download piped
 *     into a shell [cmd-pipe-shell], rm -rf [cmd-rm-rf], eval [cmd-eval],
 *     chmod 777 [cmd-chmod-777], writing to ~/.ssh [cmd-ssh-write]; and
 *     base64 blobs of 200 or more characters anywhere [base64-blob];
 *   - secrets: sk-..., sk-ant-..., AKIA..., ghp_..., github_pat_...,
 *     xox?-..., AIza..., PEM private keys [secret-openai, secret-anthropic,
 *     secret-aws, secret-github, secret-slack, secret-google,
 *     secret-private-key], high-entropy values assigned to key, token,
 *     secret or password names [secret-generic];
 *   - the size budget of SKILL.md: 500 body lines, about 5,000 tokens
 *     (bytes / 4) [size-lines, size-tokens];
 *   - for a run: the verification evidence (gate, m, repairs, regressions,
 *     p-value, interval, held-out test, model) [evidence-gate,
 *     evidence-weak, evidence-test, evidence-missing], and rules that the
 *     leave-one-rule-out attribution found harmful [attrib-harmful, low]
 *     or without effect [attrib-no-effect, info].
 *
 * Excerpts are sanitized (control and invisible characters become visible
 * markers such as "^[" or "<U+202E>") and every secret on the line is
 * masked, so printing a report never replays an escape sequence or shows a
 * key.  Messages are sanitized the same way.
 */
#include <stddef.h>

struct buf;
struct store;

enum audit_severity {
	AUDIT_INFO = 0,
	AUDIT_LOW,
	AUDIT_MEDIUM,
	AUDIT_HIGH,
};
#define AUDIT_NR_SEVERITIES 4

struct audit_finding {
	enum audit_severity severity;
	char *rule;     /* "secret-openai" */
	char *file;     /* relative to the skill folder, "SKILL.md" */
	int line;       /* 1-based; 0 for the whole file or the run */
	char *message;  /* sanitized */
	char *excerpt;  /* sanitized, secrets masked; "" when there is none */
};

/* One rule of the audited skill with its evidence ids (run audits). */
struct audit_provenance {
	char *section;   /* "Failure lessons" */
	char *text;      /* the rule, sanitized */
	char **evidence; /* "F1", "P3", "C:d-017", ... */
	size_t nr_evidence;
};

/* One rule's measured worth (run audits with an attribution). */
struct audit_attribution {
	char *section;
	char *text;      /* sanitized */
	int marginal;    /* G_full - G_without */
	char *verdict;   /* helps | no-effect | harmful */
	double p_value;
};

struct audit_report {
	char *path;                      /* folder, file or "run:<id>" */
	struct audit_finding *findings;
	size_t nr, alloc;
	/* Verification evidence, for the selected skill of a run. */
	int has_evidence;
	char *run_id, *model, *status;   /* status: active | deprecated | "" */
	int verified;                    /* counts exist */
	int n00, n01, n10, n11, m, net_gain, gate;
	double p_value, ci_low, ci_high;
	int has_test, test_m;
	double test_base_acc, test_skill_acc, test_delta;
	/* Rule provenance, when the store holds the structured skill. */
	struct audit_provenance *prov;
	size_t nr_prov, alloc_prov;
	/* Rule attribution, when the run state holds "attribution". */
	struct audit_attribution *attr;
	size_t nr_attr;
	int attr_g_full;
	int attr_pruned;   /* the attribution is of the parent of a pruned skill */
};
#define AUDIT_REPORT_INIT { 0 }

/* Release everything the report holds; it is AUDIT_REPORT_INIT again. */
void audit_report_release(struct audit_report *r);

/* "info", "low", "medium", "high" (case-insensitive); -1 if unknown. */
int audit_severity_parse(const char *s);
const char *audit_severity_name(enum audit_severity s);

/* Add a finding; every string is copied, message and excerpt sanitized. */
void audit_add(struct audit_report *r, enum audit_severity sev,
	       const char *rule, const char *file, int line,
	       const char *message, const char *excerpt);

/* Flags for audit_text(). */
#define AUDIT_CODE      0x1  /* the whole text is code (a script) */
#define AUDIT_MARKDOWN  0x2  /* track ``` / ~~~ fences as code */
#define AUDIT_SKILL_MD  0x4  /* the SKILL.md itself: size budget too */

/*
 * Scan text[0..len) of one file (named `file` in findings) with the
 * content checks: Unicode, injection, URLs and exfiltration, commands
 * (code only), base64 blobs, secrets, and the size budget with
 * AUDIT_SKILL_MD.  Never fails.
 */
void audit_text(struct audit_report *r, const char *file,
		const char *text, size_t len, unsigned flags);

/*
 * Agent Skills validity of a SKILL.md text; `folder` is the folder's
 * base name the `name` field must match, or NULL not to check it.  Adds
 * skill-invalid (medium) and skill-warning (low) findings.
 */
void audit_validity(struct audit_report *r, const char *skill_md,
		    size_t len, const char *folder);

/*
 * Audit a skill folder (or a single SKILL.md file): validity, then every
 * text file under it (SKILL.md first, then the others in name order;
 * dot files, binary files and symlinks are not followed; files under
 * scripts/ and with script extensions are code).  Returns 0, or
 * SS_ENOTFOUND / SS_EINPUT with the message set when `path` is not
 * usable.
 */
int audit_path(struct audit_report *r, const char *path);

/*
 * Audit the selected skill of run `run_id` in the store: its body as
 * SKILL.md, the verification evidence, and the provenance of its rules
 * when candidates.skill_json holds the structured skill.  Returns 0,
 * SS_ENOTFOUND for an unknown run or a run without a selected skill.
 * The attribution (run state "attribution", see attrib_json()) is shown
 * when it belongs to the selected candidate.
 */
int audit_run(struct audit_report *r, struct store *st, const char *run_id);

/* Number of findings at or above `min`. */
size_t audit_count_at_least(const struct audit_report *r, enum audit_severity min);

/*
 * Text form: one line per finding,
 *     "SEVERITY rule file:line: message — excerpt"
 * then the evidence and provenance (run audits) and a summary line that
 * counts findings per severity and those at or above `fail_at`.
 */
void audit_format_text(const struct audit_report *r, enum audit_severity fail_at,
		       struct buf *out);
/*
 * JSON form: {"path", "findings": [{"severity", "rule", "file", "line",
 * "message", "excerpt"}], "counts": {"info", "low", "medium", "high",
 * "total", "at_or_above": N, "threshold": "medium"}, "evidence": {...}
 * (runs only), "provenance": [{"section", "text", "evidence": []}]
 * (runs with a structured skill), "attribution": {"g_full", "rules":
 * [{"section", "text", "marginal", "verdict", "p_value"}]} (runs with
 * one)}.
 */
void audit_format_json(const struct audit_report *r, enum audit_severity fail_at,
		       struct buf *out);
/*
 * SARIF 2.1.0 (one run, tool "skillsmith audit"): each finding a result
 * with ruleId, level (high: error, medium: warning, low and info: note),
 * message, the file and line as its location, and properties.severity and
 * properties.excerpt.  For code-scanning tools.
 */
void audit_format_sarif(const struct audit_report *r, struct buf *out);

#endif
