#ifndef SKILLSMITH_IMPORT_H
#define SKILLSMITH_IMPORT_H
/*
 * Import of existing trajectories (`skillsmith import`), so that a user can
 * start the SkillGen pipeline at stage 2 (contrastive induction).
 *
 * Input: a JSON array of records, or JSONL (one record a line; blank lines
 * skipped), or a single JSON object.  Each record is read in the DESIGN.md
 * trajectory shape
 *
 *   {"instance_id", "input", "messages": [...], "output", "outcome": 0|1,
 *    "score", "tokens": {"prompt", "completion"}, "latency_ms", "error",
 *    "type", "expected", "metadata"}
 *
 * or any other shape through field paths: `--map FIELD=PATH` tells where
 * FIELD lives in a record.  A path is dotted keys with array indices, e.g.
 * `task.prompt`, `turns[0].text`, `a.b[2]`; a key holding dots or brackets
 * is written quoted in brackets: `meta["run.id"]`.
 *
 * The fields (default path in parentheses):
 *   instance_id  (instance_id) string or number; default "r<N>", N the
 *                1-based record number; duplicates are an error
 *   input        (input) string; default the content of the first "user"
 *                message; required one way or the other
 *   messages     (messages) array of chat messages, or a string (kept as one
 *                assistant message); default []
 *   output       (output) string (numbers are written as text); default the
 *                content of the last "assistant" message, else ""
 *   outcome      (outcome) required: 0 or 1, true or false, or a string
 *                "0"/"1", "true"/"false", "pass"/"fail", "passed"/"failed",
 *                "success"/"failure", "correct"/"incorrect" (any case);
 *                with a threshold any number, outcome = value >= threshold
 *                (then score defaults to the value)
 *   score        (score) number in [0, 1]; default the outcome
 *   tokens       (tokens) an object with the token counts under "prompt" /
 *                "prompt_tokens" / "input_tokens" and "completion" /
 *                "completion_tokens" / "output_tokens" (OpenAI's and
 *                Anthropic's usage objects read as they are)
 *   prompt_tokens      integer >= 0, default from tokens, else 0
 *   completion_tokens  integer >= 0, default from tokens, else 0
 *   latency_ms   (latency_ms) integer >= 0, default 0
 *   error        (error) string or null
 *   type         (type) string: the task type for the same-type pair filter
 *   expected     (expected) string or number
 *   metadata     (metadata) object
 * "tokens.prompt" and "tokens.completion" are accepted as field names for
 * prompt_tokens and completion_tokens; mapping one of those reads it from
 * its own path instead of from tokens.
 *
 * Errors name the file, the line where the record starts, and the field:
 *   "traj.jsonl:17: field 'outcome' (path 'reward') must be 0 or 1, a
 *    boolean, or a number with --threshold"
 * All records are parsed and checked before anything is written; the run,
 * its instances and rollouts are then written in one transaction, so a bad
 * file leaves no trace in the store.
 *
 * What is written: a runs row (strategy 'import', state 'imported', stage
 * 'import', the config snapshot), one instances row per record (split
 * 'import', idx the record number - 1) and one rollouts row (phase
 * 'import', candidate 0, status 'done', trajectory {"messages": [...],
 * "source": {"file", "line"}}).
 */
#include <stdint.h>
#include <cjson/cJSON.h>

struct store;

/* The fields a record can map (index into import_fields[]). */
enum import_field {
	IMPORT_INSTANCE_ID,
	IMPORT_INPUT,
	IMPORT_MESSAGES,
	IMPORT_OUTPUT,
	IMPORT_OUTCOME,
	IMPORT_SCORE,
	IMPORT_PROMPT_TOKENS,
	IMPORT_COMPLETION_TOKENS,
	IMPORT_LATENCY_MS,
	IMPORT_ERROR,
	IMPORT_TYPE,
	IMPORT_EXPECTED,
	IMPORT_METADATA,
	IMPORT_TOKENS,
	IMPORT_NR_FIELDS
};

/* Field names, in enum order. */
extern const char *const import_fields[IMPORT_NR_FIELDS];

struct import_options {
	const char *paths[IMPORT_NR_FIELDS]; /* NULL: the default path */
	int has_threshold;                   /* outcome from a score */
	double threshold;
	const char *name;         /* run id prefix, default "import" */
	const char *config_json;  /* config snapshot for the run (required by import_store) */
	const char *config_path;  /* recorded in runs.config_path, may be NULL */
	int64_t seed;             /* runs.seed */
};
#define IMPORT_OPTIONS_INIT { { 0 }, 0, 0.5, NULL, NULL, NULL, 0 }

/*
 * Add a "FIELD=PATH" mapping to `o`.  The PATH part is borrowed: `spec`
 * must outlive `o`.  Fails with SS_EINPUT on an unknown field, an empty or
 * malformed path.
 */
int import_add_map(struct import_options *o, const char *spec);

/*
 * Look up a field path in `root`.  Returns the item, or NULL when the path
 * does not exist.  A malformed path returns NULL too; check it with
 * import_path_valid().
 */
const cJSON *import_path_get(const cJSON *root, const char *path);
/* 0 if `path` is well formed, else SS_EINPUT with the reason set. */
int import_path_valid(const char *path);

/* One parsed trajectory.  Strings are owned. */
struct import_record {
	int line;                 /* where the record starts in the file */
	char *instance_id;
	char *input;
	cJSON *messages;          /* array */
	char *output;
	int outcome;
	double score;
	int prompt_tokens, completion_tokens;
	int64_t latency_ms;
	char *error;              /* or NULL */
	char *type;               /* or NULL */
	char *expected;           /* or NULL */
	char *metadata;           /* JSON object text, or NULL */
};

struct import_set {
	char *file;
	struct import_record *rec;
	int nr, alloc;
	int *slots;               /* private: hash of instance ids, -1 = empty */
	size_t nr_slots;
};

/*
 * Parse and check every record of `text` (named `file` in messages).
 * On success fills *set (release with import_set_release) and returns 0;
 * on the first bad record returns SS_EINPUT with "FILE:LINE: ..." set and
 * leaves *set empty.  A file with no record is an error.
 */
int import_parse(struct import_set *set, const char *text, size_t len,
		 const char *file, const struct import_options *o);
/* Read `path` and import_parse() it. */
int import_parse_file(struct import_set *set, const char *path, const struct import_options *o);

void import_set_release(struct import_set *set);

/*
 * Write `set` as a new run in one transaction.  *run_id_out (malloc'd) is
 * "<name>-<n>", n one more than the largest n of the store's runs with
 * that prefix.  Returns 0 or < 0 with the message set (nothing written).
 */
int import_store(struct store *st, const struct import_set *set,
		 const struct import_options *o, char **run_id_out);

#endif
