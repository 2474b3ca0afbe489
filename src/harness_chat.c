/*
 * The chat harness: one chat completion per instance.
 *
 * The skill goes into the system prompt's "{{skill}}" slot.  What precedes
 * the slot plus the skill is sent as llm_request.system_prefix, the rest of
 * the system prompt as .system, so the instance (the user message, from
 * user_template with "{{input}}") comes after everything a provider's
 * prefix cache can serve.  A system prompt without a slot gets the skill
 * appended after it.  The answer is graded with grader.h; the judge grader
 * is one more call through the LLM client, on the optimizer's provider.
 *
 * The final answer.  The default system prompt asks for the final answer
 * on the last line; an "Answer: X" (or "Final answer: X") line states it
 * explicitly.  The exact, number and choice graders read that final answer
 * (the text after the last such label, else the last non-empty line); the
 * regex, json, command and judge graders read the whole reply, since
 * their patterns and documents may span lines.  The trajectory always
 * holds the whole reply.
 */
#include "skillsmith/harness.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/grader.h"
#include "skillsmith/llm.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SKILL_SLOT "{{skill}}"
#define INPUT_SLOT "{{input}}"

struct chat_job {
	struct harness_ctx *ctx;
	struct harness_instance inst;   /* borrowed strings: valid until `done` */
	harness_done_fn done;
	void *payload;
	char *system_prefix, *system, *user;
	char *output;
	char *finish_reason;
	int prompt_tokens, completion_tokens;
	int64_t t0;
};

static char *replace_all(const char *s, const char *pat, const char *with)
{
	struct buf b = BUF_INIT;
	size_t pl = strlen(pat);
	const char *p;
	while ((p = strstr(s, pat))) {
		buf_add(&b, s, (size_t)(p - s));
		buf_adds(&b, with);
		s = p + pl;
	}
	buf_adds(&b, s);
	return buf_detach(&b, NULL);
}

/* The final answer of a reply (malloc'd), as described above. */
static char *final_answer(const char *text)
{
	const char *last = NULL, *labelled = NULL;
	size_t last_len = 0, labelled_len = 0;
	for (const char *p = text; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *a = p, *z = p + len;
		while (a < z && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '*'))
			a++;
		while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r' || z[-1] == '*'))
			z--;
		if (z > a) {
			last = a;
			last_len = (size_t)(z - a);
			static const char *const labels[] = { "final answer:", "answer:" };
			for (size_t i = 0; i < 2; i++) {
				size_t ll = strlen(labels[i]);
				if ((size_t)(z - a) >= ll && !strncasecmp(a, labels[i], ll)) {
					const char *v = a + ll;
					while (v < z && (*v == ' ' || *v == '\t' || *v == '*'))
						v++;
					labelled = v;
					labelled_len = (size_t)(z - v);
					break;
				}
			}
		}
		p = e ? e + 1 : NULL;
	}
	if (labelled)
		return xstrndup(labelled, labelled_len);
	return last ? xstrndup(last, last_len) : xstrdup("");
}

static cJSON *msg(const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", role);
	cJSON_AddStringToObject(m, "content", content ? content : "");
	return m;
}

static cJSON *trajectory(struct chat_job *j)
{
	cJSON *t = cJSON_CreateObject();
	cJSON *msgs = cJSON_AddArrayToObject(t, "messages");
	char *sys = xasprintf("%s%s", j->system_prefix ? j->system_prefix : "",
			      j->system ? j->system : "");
	if (*sys)
		cJSON_AddItemToArray(msgs, msg("system", sys));
	free(sys);
	cJSON_AddItemToArray(msgs, msg("user", j->user));
	cJSON_AddItemToArray(msgs, msg("assistant", j->output));
	if (j->finish_reason)
		cJSON_AddStringToObject(t, "finish_reason", j->finish_reason);
	return t;
}

static void job_free(struct chat_job *j)
{
	free(j->system_prefix);
	free(j->system);
	free(j->user);
	free(j->output);
	free(j->finish_reason);
	free(j);
}

static void finish(struct chat_job *j, int status, const char *error, const struct grade_result *g)
{
	struct rollout_result r;
	memset(&r, 0, sizeof(r));
	cJSON *traj = trajectory(j);
	r.status = status;
	r.outcome = g ? g->outcome : 0;
	r.score = g ? g->score : 0;
	char *answer = final_answer(j->output);
	r.output = answer;
	r.trajectory = traj;
	r.grader_note = g ? g->note : NULL;
	r.prompt_tokens = j->prompt_tokens;
	r.completion_tokens = j->completion_tokens;
	r.latency_ms = ss_now_ms() - j->t0;
	r.error = error;
	j->done(&r, j->payload);
	free(answer);
	cJSON_Delete(traj);
	job_free(j);
}

static void on_judge(const struct llm_response *resp, void *payload)
{
	struct chat_job *j = payload;
	struct grade_result g;
	memset(&g, 0, sizeof(g));
	if (resp->status < 0) {
		finish(j, resp->status, resp->error ? resp->error : "judge call failed", NULL);
		return;
	}
	if (grader_judge_parse(j->inst.grader, resp->json, resp->text, &g) < 0 && !g.note)
		g.note = xstrdup("judge reply could not be read");
	finish(j, 0, NULL, &g);
	grade_result_release(&g);
}

static void on_answer(const struct llm_response *resp, void *payload)
{
	struct chat_job *j = payload;
	if (resp->status < 0) {
		finish(j, resp->status, resp->error ? resp->error : "agent call failed", NULL);
		return;
	}
	j->output = xstrdup(resp->text ? resp->text : "");
	j->finish_reason = resp->finish_reason ? xstrdup(resp->finish_reason) : NULL;
	j->prompt_tokens = resp->prompt_tokens;
	j->completion_tokens = resp->completion_tokens;

	const struct grader_config *g = j->inst.grader;
	if (g->kind == GRADER_JUDGE) {
		char *system = NULL;
		cJSON *messages = NULL, *schema = NULL;
		const struct config *cfg = j->ctx->cfg;
		int r = grader_judge_request(g, j->inst.input, j->output, j->inst.expected,
					     &system, &messages, &schema);
		if (r == 0) {
			struct llm_request req;
			memset(&req, 0, sizeof(req));
			req.provider = cfg->optimizer.provider;
			req.model = cfg->optimizer.model;
			req.role = "judge";
			req.stage = j->ctx->stage;
			req.system = system;
			req.messages = messages;
			req.schema_name = GRADER_JUDGE_SCHEMA_NAME;
			req.schema = schema;
			req.temperature = 0;
			req.max_tokens = 1024;
			req.seed = cfg->optimizer.seed;
			r = llm_submit(j->ctx->llm, &req, on_judge, j);
		}
		free(system);
		cJSON_Delete(messages);
		cJSON_Delete(schema);
		if (r < 0)
			finish(j, r, ss_err_last(), NULL);
		return;
	}

	struct grade_result gr;
	memset(&gr, 0, sizeof(gr));
	char *traj_in = NULL;
	if (g->kind == GRADER_COMMAND) {
		cJSON *t = trajectory(j);
		traj_in = grader_command_input(j->inst.id, j->inst.input, j->inst.expected,
					       j->output, cJSON_GetObjectItem(t, "messages"));
		cJSON_Delete(t);
	}
	char *answer = NULL;
	if (g->kind == GRADER_EXACT || g->kind == GRADER_NUMBER || g->kind == GRADER_CHOICE)
		answer = final_answer(j->output);
	int r = grader_grade(g, answer ? answer : j->output, j->inst.expected, traj_in, &gr);
	free(answer);
	free(traj_in);
	if (r < 0 && !gr.note)
		gr.note = xstrdup(ss_err_last());
	/* a grader that cannot decide counts as a failed instance, not a failed run */
	finish(j, 0, NULL, &gr);
	grade_result_release(&gr);
}

int harness_chat_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
			 const char *skill_md, harness_done_fn done, void *payload)
{
	const struct config *cfg = ctx->cfg;
	const char *sp = cfg->agent.system_prompt ? cfg->agent.system_prompt : "";
	const char *ut = cfg->agent.user_template ? cfg->agent.user_template : INPUT_SLOT;
	struct chat_job *j = xcalloc(1, sizeof(*j));
	j->ctx = ctx;
	j->inst = *inst;
	if (!j->inst.grader)
		j->inst.grader = &cfg->grader;
	j->done = done;
	j->payload = payload;
	j->t0 = ss_now_ms();
	const char *slot = strstr(sp, SKILL_SLOT);
	const char *skill = skill_md ? skill_md : "";
	if (!*skill) {
		/* no skill: the prompt without its slot, trimmed */
		char *t = replace_all(sp, SKILL_SLOT, "");
		struct buf b = BUF_INIT;
		buf_adds(&b, t);
		buf_trim(&b);
		free(t);
		if (b.len)
			j->system_prefix = buf_detach(&b, NULL);
		buf_release(&b);
	} else if (slot) {
		j->system_prefix = xasprintf("%.*s%s", (int)(slot - sp), sp, skill);
		char *rest = replace_all(slot + strlen(SKILL_SLOT), SKILL_SLOT, "");
		if (*rest)
			j->system = rest;
		else
			free(rest);
	} else {
		j->system_prefix = xasprintf("%s%s%s", sp, *sp ? "\n\n" : "", skill);
	}
	j->user = replace_all(ut, INPUT_SLOT, inst->input ? inst->input : "");

	cJSON *messages = cJSON_CreateArray();
	cJSON_AddItemToArray(messages, msg("user", j->user));
	struct llm_request req;
	memset(&req, 0, sizeof(req));
	req.provider = cfg->agent.m.provider;
	req.model = cfg->agent.m.model;
	req.role = "agent";
	req.stage = ctx->stage;
	req.system_prefix = j->system_prefix;
	req.system = j->system;
	req.messages = messages;
	req.temperature = cfg->agent.m.temperature;
	req.max_tokens = cfg->agent.m.max_tokens;
	req.seed = cfg->agent.m.seed;
	int r = llm_submit(ctx->llm, &req, on_answer, j);
	cJSON_Delete(messages);
	if (r < 0)
		job_free(j);
	return r;
}
