/*
 * Auxiliary prompts of the SkillGen strategy and their JSON schemas.
 *
 * The wording follows the roles of the SkillGen paper: an induction agent
 * (task summary, per-rollout summaries, cluster summaries, contrasts), a
 * generation agent (skill, skill_refine) and a verification agent
 * (case_analysis, feedback).  Schemas are strict (every property required,
 * no additional properties) so OpenAI structured outputs accept them.
 */
#include "skillsmith/prompts.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"

#include <stdlib.h>
#include <string.h>

#define STR "{\"type\":\"string\"}"
#define STRS "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"
#define RULES "{\"type\":\"array\",\"items\":{\"type\":\"object\"," \
	"\"properties\":{\"rule\":" STR ",\"evidence\":" STRS "}," \
	"\"required\":[\"rule\",\"evidence\"],\"additionalProperties\":false}}"
#define OBJ(props, req) "{\"type\":\"object\",\"properties\":{" props "}," \
	"\"required\":[" req "],\"additionalProperties\":false}"

struct prompt_def {
	const char *name;
	const char *schema;
	const char *system;
	const char *task;
};

static const char SYS_INDUCE[] =
	"You are the induction agent of a skill-synthesis pipeline.  You analyse "
	"trajectories of an LLM agent on a task suite, graded by an automatic "
	"evaluator, and explain in general, reusable terms what makes the agent "
	"succeed or fail.  Be concrete and brief.  Never copy instance-specific "
	"answers into general advice.  Answer with JSON matching the schema.";

static const char SYS_GENERATE[] =
	"You are the generation agent of a skill-synthesis pipeline.  You write "
	"a single SKILL.md skill for an LLM agent: short, focused, procedural "
	"guidance that the agent reads before solving each task of the family.  "
	"A good skill has a concise task context, a few reusable success "
	"patterns and a few failure lessons, each a concrete imperative rule.  "
	"Aim for 300 to 600 words in total.  Do not include answers to specific "
	"instances.  Answer with JSON matching the schema.";

static const char SYS_VERIFY[] =
	"You are the verification agent of a skill-synthesis pipeline.  A "
	"candidate skill was loaded into an LLM agent and compared with the "
	"agent without the skill on the same instances.  You explain how the "
	"skill affected outcomes and what to change.  Answer with JSON matching "
	"the schema.";

static const char SYS_OPTIMIZE[] =
	"You are the optimizer of a skill-training loop.  A frozen LLM agent "
	"runs with a SKILL.md skill in its context; you improve the skill with "
	"small, bounded edits that are each verified on held-out instances "
	"before they are kept.  Answer with JSON matching the schema.";

static const struct prompt_def defs[PROMPT__COUNT] = {
	[PROMPT_TASK_SUMMARY] = {
		"task_summary",
		OBJ("\"summary\":" STR, "\"summary\""),
		SYS_INDUCE,
		"Summarise the task family that these sample inputs come from: what "
		"is asked, the input format, the expected answer format and the main "
		"constraints.  Describe the family, not any single instance (3 to 5 "
		"sentences).\n"
		"DATA keys: inputs[] (sample task inputs).",
	},
	[PROMPT_FAILURE_SUMMARY] = {
		"failure_summary",
		OBJ("\"summary\":" STR ",\"root_cause\":" STR, "\"summary\",\"root_cause\""),
		SYS_INDUCE,
		"The agent FAILED this instance.  Write a 2-3 sentence summary of what "
		"the agent did, and the root cause of the failure: the first wrong "
		"step or the missing behaviour, stated so that it could recur on "
		"other instances.\n"
		"DATA keys: id, type, input, expected, output (the agent's final "
		"answer), grader_note, trajectory (the agent's messages).",
	},
	[PROMPT_SUCCESS_SUMMARY] = {
		"success_summary",
		OBJ("\"summary\":" STR ",\"procedure\":" STR, "\"summary\",\"procedure\""),
		SYS_INDUCE,
		"The agent SUCCEEDED on this instance.  Write a 2-3 sentence summary "
		"of what the agent did, and the reusable procedure that made it "
		"succeed, stated so that it could be applied to other instances.\n"
		"DATA keys: id, type, input, expected, output, grader_note, trajectory.",
	},
	[PROMPT_FAILURE_CLUSTER] = {
		"failure_cluster",
		OBJ("\"pattern_name\":" STR ",\"root_cause\":" STR ",\"where_it_appears\":" STR
		    ",\"observable_signals\":" STRS ",\"corrective_rule\":" STR,
		    "\"pattern_name\",\"root_cause\",\"where_it_appears\","
		    "\"observable_signals\",\"corrective_rule\""),
		SYS_INDUCE,
		"These failed rollouts were grouped together by similarity.  Name the "
		"recurring failure pattern, its root cause, where in the trajectory "
		"it appears, the observable signals that it is happening, and one "
		"corrective rule that would avoid it.\n"
		"DATA keys: cluster (its label), members[] {id, input, summary, "
		"root_cause}.",
	},
	[PROMPT_SUCCESS_CLUSTER] = {
		"success_cluster",
		OBJ("\"technique_name\":" STR ",\"procedure\":" STR ",\"when_it_applies\":" STR
		    ",\"observable_signals\":" STRS ",\"robustness_checks\":" STRS,
		    "\"technique_name\",\"procedure\",\"when_it_applies\","
		    "\"observable_signals\",\"robustness_checks\""),
		SYS_INDUCE,
		"These successful rollouts were grouped together by similarity.  Name "
		"the reusable technique, describe its procedure, when it applies, the "
		"observable signals of it, and checks that make it robust.\n"
		"DATA keys: cluster (its label), members[] {id, input, summary, "
		"procedure}.",
	},
	[PROMPT_CONTRAST] = {
		"contrast",
		OBJ("\"same_type\":{\"type\":\"boolean\"},\"same_type_reason\":" STR
		    ",\"success_did\":" STR ",\"failure_omitted\":" STR ",\"lesson\":" STR,
		    "\"same_type\",\"same_type_reason\",\"success_did\","
		    "\"failure_omitted\",\"lesson\""),
		SYS_INDUCE,
		"A failed rollout and its nearest successful rollout.  First decide "
		"whether both instances are the same task type (same kind of question "
		"solved by the same kind of procedure).  Then state what the success "
		"did that the failure omitted, and the lesson as one reusable rule.\n"
		"DATA keys: failure {id, type, input, expected, output, trajectory}, "
		"success {id, type, input, expected, output, trajectory}.",
	},
	[PROMPT_SKILL] = {
		"skill",
		OBJ("\"name\":" STR ",\"description\":" STR ",\"context\":" STR
		    ",\"success_patterns\":" RULES ",\"failure_lessons\":" RULES,
		    "\"name\",\"description\",\"context\",\"success_patterns\",\"failure_lessons\""),
		SYS_GENERATE,
		"Write the skill from the diagnostic summary.  name: lower-case words "
		"joined by hyphens (at most 64 characters); description: one or two "
		"sentences saying what the skill does and when to use it; context: "
		"the task context (derived from task_summary); success_patterns: "
		"reusable procedures from the success clusters (S1..) and contrastive "
		"pairs (P1..); failure_lessons: failure-avoidance rules from the "
		"failure clusters (F1..) and pairs.  Each rule's evidence lists the "
		"ids (F1, S2, P3, ...) it comes from.\n"
		"DATA keys: task_summary, failure_clusters[] {id, ...}, "
		"success_clusters[] {id, ...}, pairs[] {id, success_did, "
		"failure_omitted, lesson}.",
	},
	[PROMPT_SKILL_REFINE] = {
		"skill_refine",
		OBJ("\"name\":" STR ",\"description\":" STR ",\"context\":" STR
		    ",\"success_patterns\":" RULES ",\"failure_lessons\":" RULES,
		    "\"name\",\"description\",\"context\",\"success_patterns\",\"failure_lessons\""),
		SYS_GENERATE,
		"Refine the previous skill with the verification feedback.  Edit it, "
		"do not rewrite it: keep the rules listed under keep word for word, "
		"delete the rules under remove, add the rules under add, and make the "
		"rules under emphasize more prominent and precise.  Leave everything "
		"else unchanged.  Keep the name.  Evidence ids may refer to the "
		"diagnostic summary (F1, S1, P1, ...) or to verified cases (C:<id>).\n"
		"DATA keys: previous_skill {name, description, context, "
		"success_patterns[], failure_lessons[]}, feedback {keep[], remove[], "
		"add[], emphasize[]}, verification {repairs, regressions, net_gain, "
		"m}, task_summary, failure_clusters[], success_clusters[], pairs[].",
	},
	[PROMPT_CASE_ANALYSIS] = {
		"case_analysis",
		OBJ("\"effect\":{\"type\":\"string\",\"enum\":[\"helped\",\"hurt\",\"neutral\",\"unclear\"]}"
		    ",\"why\":" STR ",\"suggestion\":" STR, "\"effect\",\"why\",\"suggestion\""),
		SYS_VERIFY,
		"Compare the agent's rollout without the skill and with the skill on "
		"this instance.  Say whether the skill helped, hurt, was neutral or "
		"the effect is unclear, why, and one concrete suggestion for the "
		"skill.\n"
		"DATA keys: case (C:<id>), kind (repair | regression | unresolved), "
		"skill (the SKILL.md text), input, expected, without_skill {output, "
		"outcome}, with_skill {output, outcome, trajectory}.",
	},
	[PROMPT_FEEDBACK] = {
		"feedback",
		OBJ("\"keep\":" RULES ",\"remove\":" RULES ",\"add\":" RULES ",\"emphasize\":" RULES,
		    "\"keep\",\"remove\",\"add\",\"emphasize\""),
		SYS_VERIFY,
		"Aggregate the case analyses into feedback for the next version of "
		"the skill: which existing rules to keep, which to remove, which new "
		"rules to add and which to emphasize.  For keep, remove and emphasize "
		"quote the rule's text from the skill.  Each item's evidence lists "
		"the case ids (C:<id>) behind it.\n"
		"DATA keys: skill {name, description, context, success_patterns[], "
		"failure_lessons[]}, verification {repairs, regressions, net_gain, m}, "
		"cases[] {case, kind, effect, why, suggestion}.",
	},
	[PROMPT_EDITS] = {
		"edits",
		OBJ("\"reasoning\":" STR ",\"edits\":{\"type\":\"array\",\"items\":"
		    OBJ("\"op\":{\"type\":\"string\",\"enum\":[\"append\",\"insert_after\","
			"\"replace\",\"delete\"]},\"target\":" STR ",\"content\":" STR
			",\"evidence\":" STRS,
			"\"op\",\"target\",\"content\",\"evidence\"") "}",
		    "\"reasoning\",\"edits\""),
		SYS_OPTIMIZE,
		"Propose at most `learning_rate` small edits to the skill that would "
		"turn the failures shown into successes (or, for successes, make the "
		"procedure that worked explicit) without breaking other instances.  "
		"Each edit is one of: append (content added at the end of the section "
		"named by target, e.g. \"## Failure lessons\"), insert_after (content "
		"inserted after the line holding the target text), replace (target "
		"text replaced by content), delete (target text or section removed).  "
		"A text target must be copied exactly from the skill and occur once.  "
		"Prefer precise rules over broad ones; do not propose an edit like one "
		"in rejected_edits, which were tried and did not help.  evidence lists "
		"the case ids (\"C:<id>\") behind each edit.\n"
		"DATA keys: skill (the current SKILL.md), mode (failures | successes), "
		"cases[] (id, type, input, expected, output, grader_note, trajectory), "
		"rejected_edits[] (text), meta_notes[] (lessons about how this skill "
		"evolves), guidance (from the last epoch), learning_rate, step, epoch.",
	},
	[PROMPT_SLOW_UPDATE] = {
		"slow_update",
		OBJ("\"guidance\":" STR ",\"notes\":" STRS, "\"guidance\",\"notes\""),
		SYS_OPTIMIZE,
		"An epoch of skill edits ended.  Compare the skill at the start of the "
		"epoch with the skill now on the same verification instances.  Give "
		"guidance for the next epoch's edits (what to pursue, what to stop) "
		"and a few longer-horizon notes on how to edit this skill (for example "
		"when to replace rather than add, when to compress).\n"
		"DATA keys: epoch, counts {improved, regressed, persistent_failure, "
		"stable_success}, skill_before, skill_after, meta_notes[] (earlier "
		"notes), examples[] (id, change).",
	},
};

static cJSON *schemas[PROMPT__COUNT];

const char *prompt_name(enum prompt_id id)
{
	return (unsigned)id < PROMPT__COUNT ? defs[id].name : "?";
}

const cJSON *prompt_schema(enum prompt_id id)
{
	if ((unsigned)id >= PROMPT__COUNT)
		return NULL;
	if (!schemas[id]) {
		schemas[id] = cJSON_Parse(defs[id].schema);
		if (!schemas[id])
			die("internal: schema '%s' does not parse", defs[id].name);
	}
	return schemas[id];
}

const char *prompt_system(enum prompt_id id)
{
	return (unsigned)id < PROMPT__COUNT ? defs[id].system : "";
}

cJSON *prompt_messages(enum prompt_id id, const cJSON *data)
{
	struct buf b = BUF_INIT;
	char *json = cJSON_PrintUnformatted(data);
	buf_addf(&b, "%s\n\nDATA:\n%s\n", defs[id].task, json ? json : "{}");
	free(json);
	cJSON *msgs = cJSON_CreateArray();
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", b.buf);
	cJSON_AddItemToArray(msgs, m);
	buf_release(&b);
	return msgs;
}

/* Check `obj` against a strict object schema (one level deep for arrays). */
static int check_obj(const cJSON *schema, const cJSON *obj, const char *name, const char *path)
{
	if (!cJSON_IsObject(obj))
		return ss_err_set(SS_EINPUT, "%s: %s: must be an object", name, path);
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	const cJSON *p;
	cJSON_ArrayForEach(p, props) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, p->string);
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "type"));
		if (!v)
			return ss_err_set(SS_EINPUT, "%s: field '%s' is missing", name, p->string);
		if (!strcmp(type, "string") && !cJSON_IsString(v))
			return ss_err_set(SS_EINPUT, "%s: field '%s' must be a string", name, p->string);
		if (!strcmp(type, "boolean") && !cJSON_IsBool(v))
			return ss_err_set(SS_EINPUT, "%s: field '%s' must be a boolean", name, p->string);
		if (!strcmp(type, "array")) {
			if (!cJSON_IsArray(v))
				return ss_err_set(SS_EINPUT, "%s: field '%s' must be an array", name, p->string);
			const cJSON *items = cJSON_GetObjectItemCaseSensitive(p, "items");
			const char *it = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(items, "type"));
			const cJSON *e;
			cJSON_ArrayForEach(e, v) {
				if (!strcmp(it, "string") && !cJSON_IsString(e))
					return ss_err_set(SS_EINPUT, "%s: items of '%s' must be strings",
							  name, p->string);
				if (!strcmp(it, "object")) {
					int rc = check_obj(items, e, name, p->string);
					if (rc)
						return rc;
				}
			}
		}
		const cJSON *en = cJSON_GetObjectItemCaseSensitive(p, "enum");
		if (en && cJSON_IsString(v)) {
			int found = 0;
			const cJSON *e;
			cJSON_ArrayForEach(e, en)
				if (cJSON_IsString(e) && !strcmp(e->valuestring, v->valuestring))
					found = 1;
			if (!found)
				return ss_err_set(SS_EINPUT, "%s: field '%s' has an unknown value '%s'",
						  name, p->string, v->valuestring);
		}
	}
	return 0;
}

int prompt_check(enum prompt_id id, const cJSON *json)
{
	if (!json)
		return ss_err_set(SS_EINPUT, "%s: the response is not JSON", prompt_name(id));
	return check_obj(prompt_schema(id), json, prompt_name(id), "");
}

char *prompt_clip(const char *s, size_t max)
{
	if (!s)
		return xstrdup("");
	size_t n = strlen(s);
	if (n <= max)
		return xstrdup(s);
	size_t cut = max;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return xasprintf("%.*s [...]", (int)cut, s);
}
