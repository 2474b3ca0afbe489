#ifndef SKILLSMITH_GRADER_H
#define SKILLSMITH_GRADER_H
/*
 * Graders: decide whether an agent's answer is right.  One interface for
 * every kind of struct grader_config (config.h):
 *
 *   exact    normalise both (grader.normalize: trim, case, whitespace,
 *            punctuation) and compare
 *   regex    the LAST match of `pattern` (POSIX ERE) in the answer; its
 *            capture `group` (0: the whole match), normalised, compared with
 *            the normalised expected answer
 *   number   the LAST number in the answer against the last number in the
 *            expected answer: thousands commas, currency signs, units and
 *            words around it are ignored ("$1,234.50 dollars" -> 1234.5);
 *            passes if |a - e| <= tolerance or <= rel_tolerance * |e|
 *   choice   a multiple-choice letter: "the answer is (b)", "(B)", "B." ->
 *            B, compared with the letter of the expected answer ("(B)")
 *   json     a dotted path ("result.items.0.name") in a JSON answer, which
 *            may sit in a ```json fence; strings are normalised, numbers
 *            compared with the tolerance, anything else as JSON
 *   command  argv run directly (never a shell) with the trajectory JSON on
 *            stdin; the verdict is a score in [0, 1] on stdout's last line
 *            (passes if >= threshold), else exit status 0 (pass) or 1 (fail)
 *   judge    an LLM judge; the harness submits grader_judge_request()
 *            through llm.h and reads the reply with grader_judge_parse()
 */
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "skillsmith/config.h"

struct grade_result {
	int outcome;        /* 0 | 1 */
	double score;       /* in [0, 1]; 1/0 for pass/fail graders */
	char *note;         /* why, one line (malloc'd) */
	char *extracted;    /* what the grader read from the answer (the letter,
			       the number, the capture, the field), or NULL */
};

/* Free the contents (the struct may be reused). */
void grade_result_release(struct grade_result *r);

/*
 * Grade `answer` against `expected` (may be NULL where the kind needs
 * none).  `trajectory_json` is what a command grader reads on stdin; NULL
 * sends {"output": answer, "expected": expected}.  Blocks for a command
 * grader (use grader_job_* to stay in an event loop).
 *
 * Returns 0 when a verdict was reached (r->outcome, r->score, r->note), or
 * < 0 when the grader itself failed (bad expected answer, command missing,
 * timed out, crashed): then r->outcome is 0, r->note says why and
 * ss_err_last() holds the same message.  The judge kind returns SS_EINPUT
 * here: it needs the LLM client.
 */
int grader_grade(const struct grader_config *g, const char *answer, const char *expected,
		 const char *trajectory_json, struct grade_result *r);

/* Normalise `s` by NORM_* flags (malloc'd).  Case folding is ASCII only. */
char *grader_normalize(const char *s, unsigned flags);
/* The last number in `s` (see "number" above).  0, or SS_ENOTFOUND. */
int grader_extract_number(const char *s, double *out);
/* The multiple-choice letter of `s` ('A'..'Z'), or 0. */
int grader_extract_choice(const char *s);
/*
 * The JSON document in an answer: a ```json (or ```) fence, else the whole
 * text, else the span from the first '{' or '[' to the last '}' or ']'.
 * NULL if none parses; caller deletes.
 */
cJSON *grader_extract_json(const char *answer);
/* The value at dotted `path` in `root` (borrowed), or NULL. */
const cJSON *grader_json_path(const cJSON *root, const char *path);

/*
 * The stdin document of a command grader, built from a rollout
 * ({"instance_id", "input", "expected", "output", "messages"}); any may be
 * NULL and is then left out.  Caller frees.
 */
char *grader_command_input(const char *instance_id, const char *input, const char *expected,
			   const char *output, const cJSON *messages);

/* ------------------------------------------------------------------
 * The command grader as a non-blocking job, for an event loop.
 *
 *   grader_job_start()   fork/execvp argv in its own process group, stdin,
 *                        stdout and stderr on non-blocking pipes
 *   grader_job_pollfds() the fds to watch now (for the loop's poll set)
 *   grader_job_step()    do the I/O that is ready, waiting at most
 *                        timeout_ms (0: none, -1: until something happens);
 *                        returns 1 once finished, 0 while running; kills the
 *                        whole process group when the timeout passes
 *   grader_job_result()  the verdict once finished (same returns as
 *                        grader_grade())
 *   grader_job_free()    kills a job still running and reaps it
 *
 * SIGPIPE is set to ignored (if it was default) so a grader that exits
 * without reading its stdin cannot kill us.
 */
struct grader_job;
int grader_job_start(struct grader_job **out, const struct grader_config *g,
		     const char *stdin_data, size_t stdin_len);
int grader_job_pollfds(struct grader_job *j, struct pollfd *pfds, int max);
int grader_job_step(struct grader_job *j, int timeout_ms);
int64_t grader_job_deadline_ms(const struct grader_job *j);  /* ss_now_ms() clock */
int grader_job_result(struct grader_job *j, struct grade_result *r);
void grader_job_free(struct grader_job *j);

/* ------------------------------------------------------------------
 * The LLM judge.
 */

/* The response_format schema name of judge calls. */
#define GRADER_JUDGE_SCHEMA_NAME "judge"

/*
 * Build the judge call: the system prompt (with g->judge_rubric, or a
 * generic rubric), the user message (task input, reference answer if any,
 * the answer to judge) and the JSON schema {"score": 0..1, "verdict":
 * "pass"|"fail", "reason": string}.  All three are the caller's to free.
 */
int grader_judge_request(const struct grader_config *g, const char *input, const char *answer,
			 const char *expected, char **system, cJSON **messages, cJSON **schema);
/*
 * Read the judge's reply: `json` as parsed by the client, or NULL to parse
 * `text` (a ```json fence is fine).  outcome = score >= g->threshold; note
 * = the reason.  Returns 0, or SS_ERR on a malformed reply (r->outcome 0).
 */
int grader_judge_parse(const struct grader_config *g, const cJSON *json, const char *text,
		       struct grade_result *r);

#endif
