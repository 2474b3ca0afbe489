#ifndef SKILLSMITH_PROMPTS_H
#define SKILLSMITH_PROMPTS_H
/*
 * The auxiliary ("optimizer") prompts of the SkillGen strategy and their
 * JSON schemas.  Each role has one stable schema name, sent as the
 * response_format json_schema name, so logs, the response cache and the
 * simulator can tell the roles apart:
 *
 *   task_summary      {summary}
 *   failure_summary   {summary, root_cause}
 *   success_summary   {summary, procedure}
 *   failure_cluster   {pattern_name, root_cause, where_it_appears,
 *                      observable_signals[], corrective_rule}
 *   success_cluster   {technique_name, procedure, when_it_applies,
 *                      observable_signals[], robustness_checks[]}
 *   contrast          {same_type, same_type_reason, success_did,
 *                      failure_omitted, lesson}
 *   skill             {name, description, context,
 *                      success_patterns[{rule, evidence[]}],
 *                      failure_lessons[{rule, evidence[]}]}
 *   skill_refine      the same shape as skill
 *   case_analysis     {effect: helped|hurt|neutral|unclear, why, suggestion}
 *   feedback          {keep[], remove[], add[], emphasize[]}, items
 *                     {rule, evidence[]}
 *   edits             {reasoning, edits[{op: append|insert_after|replace|
 *                     delete, target, content, evidence[]}]} (edit strategy)
 *   slow_update       {guidance, notes[]} (edit strategy, epoch boundaries)
 *
 * Every user message ends with the data of the call as one JSON object
 * after the line "DATA:" (keys documented at each builder in prompts.c),
 * so the data is unambiguous for a model and for a test double.
 */
#include <cjson/cJSON.h>

enum prompt_id {
	PROMPT_TASK_SUMMARY,
	PROMPT_FAILURE_SUMMARY,
	PROMPT_SUCCESS_SUMMARY,
	PROMPT_FAILURE_CLUSTER,
	PROMPT_SUCCESS_CLUSTER,
	PROMPT_CONTRAST,
	PROMPT_SKILL,
	PROMPT_SKILL_REFINE,
	PROMPT_CASE_ANALYSIS,
	PROMPT_FEEDBACK,
	PROMPT_EDITS,
	PROMPT_SLOW_UPDATE,
	PROMPT__COUNT
};

/* The schema name ("task_summary", ...). */
const char *prompt_name(enum prompt_id id);
/* The strict JSON schema of the response; static, do not free. */
const cJSON *prompt_schema(enum prompt_id id);
/* The system prompt of the role; static. */
const char *prompt_system(enum prompt_id id);
/*
 * The messages array of the call: one user message holding the task
 * instructions followed by "DATA:" and `data` printed as JSON.  Caller
 * frees (cJSON_Delete).
 */
cJSON *prompt_messages(enum prompt_id id, const cJSON *data);
/*
 * Check a parsed response against the schema's required keys and types.
 * Returns 0, or SS_EINPUT with the offending key in the message.
 */
int prompt_check(enum prompt_id id, const cJSON *json);

/* Limit a text for a prompt: at most `max` bytes, cut on a UTF-8 boundary
 * with " [...]" appended.  Returns a malloc'd string. */
char *prompt_clip(const char *s, size_t max);

#endif
