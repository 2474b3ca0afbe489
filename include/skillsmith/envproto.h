#ifndef SKILLSMITH_ENVPROTO_H
#define SKILLSMITH_ENVPROTO_H
/*
 * The environment protocol of the `tools` harness: JSON lines on the
 * environment process's stdin and stdout, one object per line (UTF-8, no
 * newline inside an object).  Any language can provide an environment.
 *
 *   engine -> env  {"op":"reset","instance":{"id":"d-1","input":"...",
 *                   "expected":"...","type":"date","metadata":{...}}}
 *                  ("expected", "type" and "metadata" only when known)
 *   env -> engine  {"observation":"...","tools":[OpenAI tool schemas]}
 *                  ("tools" may be empty; "observation" may be "")
 *
 *   then, for every tool call the agent makes:
 *   engine -> env  {"op":"step","tool_call":{"id":"call_1","name":"add_days",
 *                   "arguments":{...}}}
 *                  ("arguments" is the parsed JSON object of the call's
 *                   arguments string; a string that is not JSON is passed
 *                   as a string)
 *   env -> engine  {"observation":"...","done":false,"reward":1.0}
 *                  ("done" defaults to false; "reward" is optional)
 *
 * The episode ends when a step reply says done, when the agent answers
 * without a tool call, at the step cap (agent.tools.max_steps) or when the
 * environment takes longer than agent.tools.step_timeout_s for a reply; the
 * engine then closes the environment's stdin and kills its process group
 * (the environment is started in its own process group, never through a
 * shell, with the working directory of the engine).  An environment that
 * writes anything on stdout that is not one JSON object per line, or exits
 * before the episode ends, fails the rollout.  Its stderr is passed through.
 *
 * The outcome: if any step reply carried a "reward", the last one is the
 * score (clamped to [0, 1]) and outcome = score >= the grader threshold;
 * otherwise the grader judges the agent's final answer.
 */
#include <cjson/cJSON.h>

struct harness_instance;

/* The reset request line (no trailing newline); caller frees. */
char *envproto_reset_line(const struct harness_instance *inst);

/*
 * The step request line for one OpenAI-style tool call object
 * ({"id","type":"function","function":{"name","arguments"}}); caller frees.
 * Returns NULL with SS_EINPUT set when the call has no function name.
 */
char *envproto_step_line(const cJSON *tool_call);

/*
 * Parse a reset reply.  On success *observation (malloc'd) and *tools (a
 * cJSON array the caller deletes; [] when absent) are set and 0 returned;
 * SS_EPROVIDER with a message naming the field otherwise.
 */
int envproto_parse_reset(const char *line, char **observation, cJSON **tools);

struct envproto_step {
	char *observation;   /* malloc'd, "" when absent */
	int done;
	int has_reward;
	double reward;
};

/* Parse a step reply into *out (release with envproto_step_release). */
int envproto_parse_step(const char *line, struct envproto_step *out);
void envproto_step_release(struct envproto_step *s);

#endif
