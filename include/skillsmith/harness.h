#ifndef SKILLSMITH_HARNESS_H
#define SKILLSMITH_HARNESS_H
/*
 * Agent harnesses: run the base agent on one instance, with or without a
 * skill, and grade the result.  All are asynchronous on the event loop:
 * harness_rollout() queues the work and `done` runs once, from the loop.
 *
 *   chat     the skill goes in the system prompt's skill slot, ahead of the
 *            instance, so a provider's prefix cache can serve it
 *   tools    multi-turn tool calling against an environment process that
 *            speaks JSON lines on stdin/stdout (reset / step)
 *   command  an external agent program; the skill is installed into a
 *            temporary skills folder the command is pointed at
 */
#include <stdint.h>
#include <cjson/cJSON.h>

struct config;
struct grader_config;
struct llm;
struct loop;

struct harness_instance {
	const char *id;
	const char *input;
	const char *expected;
	const char *type;
	const cJSON *metadata;              /* may be NULL */
	const struct grader_config *grader; /* per-instance override or the suite's */
};

struct rollout_result {
	int status;               /* 0 ok; < 0 the rollout itself failed (error set) */
	int outcome;              /* 0 | 1 */
	double score;             /* in [0, 1] */
	const char *output;       /* the agent's final answer */
	const cJSON *trajectory;  /* {"messages": [...], ...} */
	const char *grader_note;  /* why the grader decided, or NULL */
	int prompt_tokens;
	int completion_tokens;
	int64_t latency_ms;
	const char *error;
};

/* *r is valid only during the callback. */
typedef void (*harness_done_fn)(const struct rollout_result *r, void *payload);

struct harness_ctx {
	const struct config *cfg;
	struct llm *llm;
	struct loop *loop;
	const char *stage;        /* accounting stage of the agent calls */
	const char *workdir;      /* scratch directory for command harness skills */
};

/*
 * Roll the agent out on `inst`.  `skill_md` is the full SKILL.md text, or
 * NULL for no skill.  Returns 0 once queued, < 0 if it could not be.
 */
int harness_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
		    const char *skill_md, harness_done_fn done, void *payload);

/*
 * Rollouts of the tools and command harnesses that have not reported yet.
 * They may wait on an environment or agent process with no LLM call in
 * flight, so llm_wait() alone does not cover them: whoever waits for a
 * batch turns the loop until this is 0 too.
 */
int harness_pending(void);

/* Implementations, dispatched by harness_rollout() on cfg->agent.harness. */
int harness_chat_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
			 const char *skill_md, harness_done_fn done, void *payload);
int harness_tools_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
			  const char *skill_md, harness_done_fn done, void *payload);
int harness_command_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
			    const char *skill_md, harness_done_fn done, void *payload);

#endif
