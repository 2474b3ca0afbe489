#ifndef SKILLSMITH_SIM_H
#define SKILLSMITH_SIM_H
/*
 * skillsmith-sim: a SIMULATION of an LLM provider on loopback.  It plays
 * the base agent on the bundled calendar suite, the auxiliary optimizer
 * roles and an embeddings model, deterministically from its seed, so the
 * engine can be run, tested and demonstrated without any real model.
 *
 * Modules:
 *   suite.c   the calendar suite: dates, instances, traps, --write-suite
 *   traps.c   the trap catalogue: keyword families, rules, signals, scans
 *   agent.c   the simulated agent's answer and worked trajectory
 *   aux.c     the auxiliary roles (one JSON schema name each)
 *   embed.c   deterministic embeddings
 *   server.c  HTTP (libmicrohttpd): OpenAI and Anthropic surfaces, faults
 *   sim.c     options and main
 */
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "skillsmith/buf.h"

/* ---- traps ------------------------------------------------------------ */

enum sim_trap {
	TRAP_LEAP_YEAR,
	TRAP_INCLUSIVE,
	TRAP_DAY_MONTH,
	TRAP_MONTH_END,
	TRAP_YEAR_BOUNDARY,
	NR_TRAPS
};
#define TRAP_BIT(t) (1u << (t))

/*
 * Vulnerabilities: features of an instance that an over-general rule of
 * some trap family breaks (e.g. "always add one" breaks exclusive counts).
 */
enum sim_vuln {
	VULN_EXCL_COUNT = 1u << 0,   /* a count that does not include the start */
	VULN_DAY_OFFSET = 1u << 1,   /* "N days after" */
	VULN_MMDD = 1u << 2,         /* a date stated as MM/DD/YYYY */
	VULN_FEB_NONLEAP = 1u << 3,  /* crosses the end of February in a common year */
	VULN_MONTH_MID = 1u << 4,    /* month offset that needs no clamping */
	VULN_MONTH_CROSS = 1u << 5,  /* a day range that crosses a month boundary */
};

struct sim_trap_info {
	const char *name;          /* metadata name: "leap_year" ... */
	const char *title;         /* short human name */
	const char *const *keywords;   /* lower-case phrases that address it */
	const char *const *harmful;    /* lower-case phrases of its over-general rule */
	unsigned breaks;           /* vulnerabilities its over-general rule breaks */
	const char *rule;          /* the precise rule, as a skill would state it */
	const char *harmful_rule;  /* the over-general variant */
	const char *fail_signal;   /* a phrase the agent writes when the trap bites */
	const char *success_signal;/* a phrase the agent writes when it handles it */
	const char *harm_signal;   /* a phrase written when the over-general rule misfires */
	const char *root_cause;    /* failure root cause naming the trap */
	const char *procedure;     /* success procedure for the trap */
	const char *where;         /* where in the trajectory it shows */
	const char *pattern_name;
	const char *technique_name;
	const char *when_applies;
	const char *suggestion;    /* advice phrased unlike the rule itself */
	const char *success_rule;  /* imperative form of the procedure */
};

extern const struct sim_trap_info sim_traps[NR_TRAPS];

/* Index of a trap by metadata name, or -1. */
int sim_trap_by_name(const char *name);

/* Per-family results of scanning a text (lower-cased internally). */
struct sim_scan {
	int keyword[NR_TRAPS];     /* lines addressing the trap */
	int harmful[NR_TRAPS];     /* lines carrying its over-general rule */
	int fail[NR_TRAPS];        /* failure signals in trajectories */
	int success[NR_TRAPS];     /* success signals */
	int harm[NR_TRAPS];        /* misfire signals of over-general rules */
	int rule_good[NR_TRAPS];   /* the catalogue's precise rule verbatim */
	int rule_bad[NR_TRAPS];    /* the catalogue's over-general rule verbatim */
	int cause[NR_TRAPS];       /* the catalogue's own texts about it (root cause,
				      procedure, names, rules) verbatim */
};

/*
 * Scan `text`: keyword and harmful counts are lines (a line carrying an
 * over-general phrase of a family counts as harmful for it and addresses
 * nothing); signals and catalogue texts are counted per occurrence.
 */
void sim_scan_text(struct sim_scan *s, const char *text);

/* The trap `text` is most about (catalogue texts and signals first), or -1. */
int sim_trap_of(const char *text);

/* Case-insensitive substring search. */
const char *sim_strcasestr(const char *hay, const char *needle);

/* ---- the suite -------------------------------------------------------- */

enum sim_kind {
	KIND_COUNT_INCL,
	KIND_COUNT_EXCL,
	KIND_OFFSET_DAYS,
	KIND_OFFSET_MONTHS,
	KIND_WEEKDAY,
	KIND_FORMAT,
	NR_KINDS
};

struct sim_instance {
	char id[16];
	enum sim_kind kind;
	char input[320];
	char expected[32];
	const char *type;          /* count | offset | weekday | format */
	unsigned traps;            /* TRAP_BIT set */
	unsigned vulns;            /* VULN_* set */
	/* parameters */
	int64_t a, b;              /* day numbers (start, end or result) */
	int n;                     /* offset in days or months */
	int fmt_dayfirst;          /* format: the stated format is DD/MM */
	int p1, p2, year;          /* format: the two written numbers, the year */
};

struct sim_suite {
	struct sim_instance *inst;
	int n;
};

/* Generate `count` instances from `seed` (same arguments, same suite). */
void sim_suite_generate(struct sim_suite *s, uint64_t seed, int count);
void sim_suite_release(struct sim_suite *s);
/* One JSONL line (no newline) for an instance; caller frees. */
char *sim_instance_json(const struct sim_instance *in);
/* Write the suite as JSONL; 0 or -1 with errno. */
int sim_suite_write(const struct sim_suite *s, const char *path);
/*
 * The instance whose input is the text, or is contained in it (the longest
 * such input wins); NULL if none.
 */
const struct sim_instance *sim_suite_match(const struct sim_suite *s, const char *text);

/* Date helpers (proleptic Gregorian; day 0 is 1970-01-01). */
int64_t sim_days_from_civil(int y, int m, int d);
void sim_civil_from_days(int64_t z, int *y, int *m, int *d);
int sim_is_leap(int y);
int sim_month_len(int y, int m);
/* "YYYY-MM-DD" of a day number into out[n]. */
void sim_iso(char *out, size_t n, int64_t z);
/* A 64-bit mixer (splitmix64's finaliser) and a uniform double in [0, 1) from it. */
uint64_t sim_mix64(uint64_t x);
double sim_unit(uint64_t x);
/* 0 = Monday .. 6 = Sunday */
int sim_weekday(int64_t z);
extern const char *const sim_weekday_names[7];
extern const char *const sim_month_names[13];

/* ---- the agent -------------------------------------------------------- */

struct sim_agent_answer {
	int correct;               /* 1 when the answer matches the expected one */
	char answer[64];
	struct buf text;           /* the worked trajectory, ending "Answer: ..." */
};

/*
 * The agent's answer to `in` under the prompt `rules_text` (system prompt
 * and any other text around the input); deterministic in (seed, instance,
 * prompt_hash).  Release `out->text` with buf_release().
 */
void sim_agent_answer(struct sim_agent_answer *out, uint64_t seed,
		      const struct sim_instance *in, const char *rules_text,
		      uint64_t prompt_hash);

/* Probability that the agent answers `in` right under `rules_text`. */
double sim_agent_p_correct(const struct sim_instance *in, const char *rules_text);

/* ---- auxiliary roles -------------------------------------------------- */

/* Canonical role for a schema name ("skillsmith_failure_summary" too), or NULL. */
const char *sim_aux_role(const char *schema_name);
/*
 * The JSON output of role `role` for the full request text; `harmful`
 * makes generation, refinement and edits write only over-general rules.
 * Returns a cJSON object the caller deletes.
 */
cJSON *sim_aux_output(const char *role, const char *text, uint64_t seed, int harmful);

/* ---- embeddings ------------------------------------------------------- */

#define SIM_EMBED_DIM 256
/* Fill vec[dim] with the L2-normalised embedding of text. */
void sim_embed(const char *text, float *vec, int dim);

/* ---- server ----------------------------------------------------------- */

enum sim_fault {
	FAULT_NONE,
	FAULT_429,
	FAULT_500,
	FAULT_529,
	FAULT_TIMEOUT,
	FAULT_MALFORMED,
	FAULT_TRUNCATED,
	NR_FAULTS
};

enum latency_kind { LAT_CONST, LAT_UNIFORM, LAT_LOGNORMAL, LAT_EXP };

struct sim_latency {
	enum latency_kind kind;
	double a, b;               /* const: a; uniform: [a, b]; lognormal: median a,
				      sigma b; exp: mean a */
};

/* Parse "200", "100-300", "lognormal:200:0.5", "exp:150". */
int sim_latency_parse(struct sim_latency *l, const char *spec);
/* A sample in ms from the uniform draws u1, u2 in [0, 1). */
double sim_latency_sample(const struct sim_latency *l, double u1, double u2);

struct sim_options {
	uint64_t seed;
	int port;
	struct sim_latency latency;
	double fault_rate;
	unsigned faults;           /* bit per enum sim_fault */
	int retry_after;           /* seconds, for 429 */
	int retry_after_ms;        /* > 0: also send retry-after-ms */
	int hang_ms;               /* how long a timeout fault hangs */
	int max_concurrency;       /* 0: unlimited */
	int queue;                 /* beyond max_concurrency: queue (1) or reject (0) */
	const char *request_log;
	const char *pid_file;
	uint64_t suite_seed;
	int suite_count;
};

/* Run the server until SIGINT/SIGTERM; returns the exit code. */
int sim_serve(const struct sim_options *opt, const struct sim_suite *suite);

/* Does `name` name a fault kind?  Returns its enum or -1. */
int sim_fault_by_name(const char *name);
extern const char *const sim_fault_names[NR_FAULTS];

#endif
