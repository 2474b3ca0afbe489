#ifndef SKILLSMITH_CONFIG_H
#define SKILLSMITH_CONFIG_H
/*
 * The run configuration (JSON, read with cJSON).  Every key has a default
 * (config_init() sets them all); the man page documents each one.  Unknown
 * keys, wrong types and out-of-range values are errors naming the file and
 * the key path: "config.json: strategy.rounds: must be an integer from 1 to 64".
 *
 * Strings are owned by the struct (config_release() frees them).  Relative
 * paths in the file (tasks, commands) are resolved against the directory of
 * the config file when loaded.
 */
#include <stdint.h>

struct cJSON;

enum grader_kind {
	GRADER_EXACT,    /* string equality after normalisation */
	GRADER_REGEX,    /* capture group of `pattern` compared exactly */
	GRADER_NUMBER,   /* numeric with tolerance; commas and units stripped */
	GRADER_CHOICE,   /* multiple-choice letter, "(B)" style */
	GRADER_JSON,     /* a field of a JSON answer compared exactly */
	GRADER_COMMAND,  /* external command: trajectory JSON on stdin */
	GRADER_JUDGE,    /* LLM judge through the optimizer provider */
};

/* Normalisation flags of the exact / regex / json graders. */
#define NORM_TRIM        0x1
#define NORM_CASE        0x2
#define NORM_WHITESPACE  0x4
#define NORM_PUNCTUATION 0x8

struct grader_config {
	enum grader_kind kind;     /* "kind": default "exact" */
	unsigned normalize;        /* "normalize": default ["trim"] */
	char *pattern;             /* "pattern" (regex): POSIX ERE */
	int group;                 /* "group" (regex): default 1 */
	double tolerance;          /* "tolerance" (number): default 1e-6, absolute */
	double rel_tolerance;      /* "rel_tolerance" (number): default 0 */
	char *field;               /* "field" (json): dotted path */
	char **argv;               /* "command" (command): argv, NULL-terminated */
	int timeout_s;             /* "timeout_s" (command, judge): default 30 */
	double threshold;          /* "threshold": score >= threshold passes, default 0.5 */
	char *judge_rubric;        /* "rubric" (judge) */
};

enum harness_kind { HARNESS_CHAT, HARNESS_TOOLS, HARNESS_COMMAND };

struct model_config {
	char *provider;            /* name of an entry of "providers" */
	char *model;
	double temperature;        /* default 0 */
	int max_tokens;            /* default 4096 */
	int64_t seed;              /* default: the run seed; -1 to omit */
};

struct agent_config {
	struct model_config m;     /* "provider", "model", "temperature", "max_tokens", "seed" */
	enum harness_kind harness; /* "harness": chat | tools | command, default chat */
	char *system_prompt;       /* "system_prompt": has a "{{skill}}" slot, default a
				      short generic prompt with the slot first */
	char *user_template;       /* "user_template": "{{input}}" by default */
	/* tools harness */
	char **env_argv;           /* "tools.env": environment command argv */
	int max_steps;             /* "tools.max_steps": default 16 */
	int step_timeout_s;        /* "tools.step_timeout_s": default 60 */
	/* command harness */
	char **cmd_argv;           /* "command.argv": {{input}}, {{skills_dir}} expand */
	int cmd_timeout_s;         /* "command.timeout_s": default 600 */
};

struct price {
	char *model;
	double prompt;             /* per million tokens */
	double completion;
	double cached;
};

enum provider_kind { PROVIDER_OPENAI, PROVIDER_ANTHROPIC };

struct provider_config {
	char *name;                /* the key under "providers" */
	enum provider_kind kind;   /* "kind": openai | anthropic */
	char *base_url;            /* "base_url": default https://api.openai.com/v1 or
				      https://api.anthropic.com/v1 by kind */
	char *api_key_env;         /* "api_key_env": env var holding the key; NULL: no key */
	int concurrency;           /* "concurrency": default 8, 1..1024 */
	int rpm;                   /* "rpm": requests per minute, 0 = unlimited */
	int tpm;                   /* "tpm": tokens per minute, 0 = unlimited */
	int connect_timeout_s;     /* default 10 */
	int timeout_s;             /* "timeout_s": total per request, default 600 */
	int idle_timeout_s;        /* "idle_timeout_s": stream idle, default 120 */
	int max_retries;           /* default 6 */
	int backoff_base_ms;       /* default 500 */
	int backoff_max_ms;        /* default 30000 */
	int stream;                /* "stream": default false */
	char *anthropic_version;   /* default "2023-06-01" */
	char **headers;            /* "headers": {"Name": "value"} as "Name: value" list */
	struct price *prices;      /* "prices": {"model": {prompt, completion, cached}} */
	int nr_prices;
};

enum strategy_kind { STRATEGY_SKILLGEN, STRATEGY_EDIT };
enum lr_schedule { LR_CONSTANT, LR_LINEAR, LR_COSINE };

struct strategy_config {
	enum strategy_kind kind;   /* "kind": skillgen | edit */
	int rounds;                /* "rounds": K, default 8, 1..64 */
	int g_abs;                 /* "g_abs": default 2 */
	double g_rel;              /* "g_rel": default 0.05 */
	int k_min, k_max;          /* "k_min" 2, "k_max" 8 */
	int target_cluster_size;   /* default 15 */
	int max_failure_clusters;  /* default 8 */
	int max_success_clusters;  /* default 8 */
	int max_pairs;             /* "pairs": default 20 */
	int gen_failure_clusters;  /* default 6 */
	int gen_success_clusters;  /* default 6 */
	int gen_pairs;             /* default 8 */
	int feedback_samples;      /* "feedback_samples": cases explained per kind, default 8 */
	int skill_max_tokens;      /* default 16384 */
	int early_stop;            /* "early_stop": default true */
	int attribution;           /* "attribution": rule ablation, default true */
	/* edit strategy */
	int epochs;                /* "edit.epochs": default 4 */
	int steps_per_epoch;       /* "edit.steps_per_epoch": default 4 */
	int batch_size;            /* "edit.batch_size": default 16 */
	int learning_rate;         /* "edit.learning_rate": default 4 */
	enum lr_schedule schedule; /* "edit.schedule": default cosine */
	int success_reflection;    /* "edit.success_reflection": default true */
};

enum approval_policy { APPROVAL_NONE, APPROVAL_EDITS, APPROVAL_CANDIDATES };
enum approval_timeout_action { ON_TIMEOUT_WAIT, ON_TIMEOUT_APPROVE, ON_TIMEOUT_REJECT };

struct config {
	char *path;                /* the file it was read from */
	char *dir;                 /* its directory */
	char *name;                /* "name": run name prefix, default the file's stem */
	char *tasks;               /* "tasks": JSONL path (required) */
	int64_t seed;              /* "seed": default 0 */
	double test_frac;          /* "split.test": default 0.3 */
	double ver_frac;           /* "split.verification": of the rest, default 0.3 */
	int min_ver;               /* "split.min_verification": default 4 */
	struct grader_config grader;   /* "grader" */
	struct agent_config agent;     /* "agent" */
	struct model_config optimizer; /* "optimizer" */
	char *embed_kind;          /* "embeddings.kind": local | api, default local */
	char *embed_provider;      /* "embeddings.provider" */
	char *embed_model;         /* "embeddings.model" */
	int embed_dim;             /* "embeddings.dim": local dimension, default 512 */
	int embed_batch;           /* "embeddings.batch": default 64 */
	struct provider_config *providers;  /* "providers": name -> provider */
	int nr_providers;
	struct strategy_config strategy;    /* "strategy" */
	enum approval_policy approval;      /* "approval.policy": default none */
	int approval_timeout_s;             /* "approval.timeout_s": 0 = no timeout */
	enum approval_timeout_action approval_on_timeout; /* "approval.on_timeout": wait */
	int64_t budget_tokens;     /* "budget.max_tokens": 0 = no cap */
	double budget_cost;        /* "budget.max_cost": 0 = no cap */
	int cache;                 /* "cache": default true */
};

/* Set every default. */
void config_init(struct config *c);
/* Free the contents. */
void config_release(struct config *c);
/*
 * Read and validate `path`.  On error returns SS_EINPUT with a message
 * "PATH: key.path: what is wrong" in ss_err_last(), and `c` released.
 */
int config_load(struct config *c, const char *path);
/* Parse from a string; `name` is used in messages. */
int config_parse(struct config *c, const char *text, const char *name);
/* The provider named `name`, or NULL. */
struct provider_config *config_provider(struct config *c, const char *name);
/* A canonical JSON snapshot of the whole config (malloc'd); holds no key. */
char *config_to_json(const struct config *c);

/* Names of the enum values as written in the file ("exact", "chat", ...). */
const char *grader_kind_name(enum grader_kind k);
const char *harness_kind_name(enum harness_kind k);
const char *strategy_kind_name(enum strategy_kind k);

/* Grader configs on their own (the suite's, or a per-instance override). */
void grader_config_init(struct grader_config *g);      /* the defaults */
void grader_config_release(struct grader_config *g);
/* Deep copy; dst need not be initialised, it is overwritten. */
void grader_config_copy(struct grader_config *dst, const struct grader_config *src);
/*
 * Apply the keys of the JSON object `obj` onto `g` (keys absent keep g's
 * values) and check the result.  `where` starts every message ("config.json"
 * or "tasks.jsonl:17"), `prefix` is the key path of the object ("grader").
 * A relative command path holding a '/' is resolved against `basedir`.
 * Returns 0, or SS_EINPUT with "WHERE: PREFIX.key: what is wrong" set; on
 * failure `g` still holds valid (partly updated) contents.
 */
int grader_config_parse(struct grader_config *g, const struct cJSON *obj, const char *where,
			const char *prefix, const char *basedir);
/* The grader as a JSON object with every key (caller deletes). */
struct cJSON *grader_config_to_json(const struct grader_config *g);

/*
 * Expand ${VAR} and ${VAR:-default} in `s` into *out (malloc'd).  An unset
 * VAR without a default is an error (SS_EINPUT, message "environment
 * variable 'VAR' is not set").
 */
int config_expand_env(const char *s, char **out);
/* `p` if absolute, else "dir/p" (malloc'd). */
char *config_resolve_path(const char *dir, const char *p);
/* Free a NULL-terminated string vector and its strings. */
void config_strv_free(char **v);

#endif
