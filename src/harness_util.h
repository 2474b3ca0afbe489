#ifndef SKILLSMITH_HARNESS_UTIL_H
#define SKILLSMITH_HARNESS_UTIL_H
/*
 * Private helpers shared by the tools and command harnesses: the system
 * prompt with its skill slot, the user message, and grading an answer
 * (the judge grader is one more LLM call, so grading reports through a
 * callback).
 */
#include <cjson/cJSON.h>

struct config;
struct grade_result;
struct harness_ctx;
struct harness_instance;

/*
 * The system prompt split at its "{{skill}}" slot: `prefix` is what
 * precedes the slot plus the skill (cacheable), `rest` what follows.  A
 * prompt without a slot gets the skill appended.  Both malloc'd.
 */
struct hutil_prompt {
	char *prefix;
	char *rest;
};
void hutil_prompt_build(struct hutil_prompt *p, const struct config *cfg, const char *skill_md);
void hutil_prompt_release(struct hutil_prompt *p);
/* prefix + rest, malloc'd. */
char *hutil_prompt_system(const struct hutil_prompt *p);

/* agent.user_template with "{{input}}" replaced; malloc'd. */
char *hutil_user_message(const struct config *cfg, const char *input);

/* Replace every `pat` in `s` by `with`; malloc'd. */
char *hutil_replace_all(const char *s, const char *pat, const char *with);

/*
 * Grade `answer` with the instance's grader.  `done` runs exactly once,
 * possibly before hutil_grade() returns: with the verdict (status 0; a
 * grader that cannot decide counts as a failed instance and says why in
 * the note) or with status < 0 and `error` when the judge call failed.
 * `note` (may be NULL) is added to the grader's note.
 */
typedef void (*hutil_graded_fn)(const struct grade_result *g, int status, const char *error,
				void *payload);
void hutil_grade(struct harness_ctx *ctx, const struct harness_instance *inst,
		 const char *answer, const cJSON *messages, const char *note,
		 hutil_graded_fn done, void *payload);

/* Count a tools / command rollout in and out of harness_pending(). */
void hutil_job_begin(void);
void hutil_job_end(void);

/* Set SIGPIPE to ignored if it is at its default. */
void hutil_ignore_sigpipe(void);

#endif
