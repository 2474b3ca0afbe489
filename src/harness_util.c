/*
 * Helpers shared by the tools and command harnesses (harness_util.h).
 */
#include "harness_util.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/grader.h"
#include "skillsmith/harness.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define SKILL_SLOT "{{skill}}"
#define INPUT_SLOT "{{input}}"

char *hutil_replace_all(const char *s, const char *pat, const char *with)
{
	struct buf b = BUF_INIT;
	size_t pl = strlen(pat);
	const char *p;
	while (pl && (p = strstr(s, pat))) {
		buf_add(&b, s, (size_t)(p - s));
		buf_adds(&b, with);
		s = p + pl;
	}
	buf_adds(&b, s);
	return buf_detach(&b, NULL);
}

void hutil_prompt_build(struct hutil_prompt *p, const struct config *cfg, const char *skill_md)
{
	const char *sp = cfg->agent.system_prompt ? cfg->agent.system_prompt : "";
	const char *skill = skill_md ? skill_md : "";
	const char *slot = strstr(sp, SKILL_SLOT);
	if (slot) {
		p->prefix = xasprintf("%.*s%s", (int)(slot - sp), sp, skill);
		p->rest = hutil_replace_all(slot + strlen(SKILL_SLOT), SKILL_SLOT, "");
	} else {
		p->prefix = xasprintf("%s%s%s", sp, *sp && *skill ? "\n\n" : "", skill);
		p->rest = xstrdup("");
	}
}

void hutil_prompt_release(struct hutil_prompt *p)
{
	free(p->prefix);
	free(p->rest);
	p->prefix = p->rest = NULL;
}

char *hutil_prompt_system(const struct hutil_prompt *p)
{
	return xasprintf("%s%s", p->prefix ? p->prefix : "", p->rest ? p->rest : "");
}

char *hutil_user_message(const struct config *cfg, const char *input)
{
	const char *ut = cfg->agent.user_template ? cfg->agent.user_template : INPUT_SLOT;
	return hutil_replace_all(ut, INPUT_SLOT, input ? input : "");
}

/* The engine is single-threaded: every rollout runs on the loop's thread. */
static int jobs_pending;

void hutil_job_begin(void)
{
	jobs_pending++;
}

void hutil_job_end(void)
{
	if (jobs_pending > 0)
		jobs_pending--;
}

int harness_pending(void)
{
	return jobs_pending;
}

void hutil_ignore_sigpipe(void)
{
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

struct judge_job {
	const struct grader_config *g;
	char *note;
	hutil_graded_fn done;
	void *payload;
};

static void add_note(struct grade_result *g, const char *note)
{
	if (!note)
		return;
	char *n = g->note ? xasprintf("%s; %s", g->note, note) : xstrdup(note);
	free(g->note);
	g->note = n;
}

static void on_judge(const struct llm_response *resp, void *payload)
{
	struct judge_job *j = payload;
	struct grade_result g;
	memset(&g, 0, sizeof(g));
	if (resp->status < 0) {
		j->done(NULL, resp->status, resp->error ? resp->error : "judge call failed", j->payload);
	} else {
		if (grader_judge_parse(j->g, resp->json, resp->text, &g) < 0 && !g.note)
			g.note = xstrdup("judge reply could not be read");
		add_note(&g, j->note);
		j->done(&g, 0, j->note, j->payload);
		grade_result_release(&g);
	}
	free(j->note);
	free(j);
}

/*
 * A command grader as a job on the event loop: its pipes are watched by
 * the loop and every readiness pumps grader_job_step(j, 0); a timer covers
 * the deadline and, once the pipes are closed, polls for the exit.
 */
struct cmd_grade {
	struct grader_job *j;
	struct loop *lp;
	int fds[3];
	int nr_fds;
	uint64_t timer;
	char *note;
	hutil_graded_fn done;
	void *payload;
};

static void cg_pump(struct cmd_grade *c);

static void cg_fd(int fd, int events, void *payload)
{
	cg_pump(payload);
}

static void cg_timer(void *payload)
{
	struct cmd_grade *c = payload;
	c->timer = 0;
	cg_pump(c);
}

static void cg_unwatch(struct cmd_grade *c)
{
	for (int i = 0; i < c->nr_fds; i++)
		loop_fd_del(c->lp, c->fds[i]);
	c->nr_fds = 0;
	if (c->timer) {
		loop_timer_cancel(c->lp, c->timer);
		c->timer = 0;
	}
}

static void cg_pump(struct cmd_grade *c)
{
	int r = grader_job_step(c->j, 0);
	/* the job may have closed descriptors: forget them before anything reuses them */
	cg_unwatch(c);
	if (r != 0) {
		struct grade_result g;
		memset(&g, 0, sizeof(g));
		if (r < 0) {
			g.note = xstrdup(ss_err_last());
		} else if (grader_job_result(c->j, &g) < 0 && !g.note) {
			g.note = xstrdup(ss_err_last());
		}
		add_note(&g, c->note);
		c->done(&g, 0, c->note, c->payload);
		grade_result_release(&g);
		grader_job_free(c->j);
		free(c->note);
		free(c);
		return;
	}
	struct pollfd p[3];
	int n = grader_job_pollfds(c->j, p, 3);
	for (int i = 0; i < n; i++) {
		int ev = (p[i].events & POLLOUT) ? LOOP_WRITE : LOOP_READ;
		loop_fd_add(c->lp, p[i].fd, ev, cg_fd, c);
		c->fds[c->nr_fds++] = p[i].fd;
	}
	int64_t left = grader_job_deadline_ms(c->j) - ss_now_ms();
	if (left < 0)
		left = 0;
	c->timer = loop_timer_add(c->lp, n ? left : (left < 10 ? left : 10), cg_timer, c);
}

static int grade_command_async(struct loop *lp, const struct grader_config *g,
			       const char *stdin_data, const char *note,
			       hutil_graded_fn done, void *payload)
{
	struct grader_job *j;
	int r = grader_job_start(&j, g, stdin_data, strlen(stdin_data));
	if (r < 0)
		return r;
	struct cmd_grade *c = xcalloc(1, sizeof(*c));
	c->j = j;
	c->lp = lp;
	c->note = note ? xstrdup(note) : NULL;
	c->done = done;
	c->payload = payload;
	/* the first pump runs from the loop, so `done` never runs inside hutil_grade */
	c->timer = loop_timer_add(lp, 0, cg_timer, c);
	return 0;
}

void hutil_grade(struct harness_ctx *ctx, const struct harness_instance *inst,
		 const char *answer, const cJSON *messages, const char *note,
		 hutil_graded_fn done, void *payload)
{
	const struct config *cfg = ctx->cfg;
	const struct grader_config *g = inst->grader ? inst->grader : &cfg->grader;
	struct grade_result gr;
	memset(&gr, 0, sizeof(gr));

	if (g->kind == GRADER_JUDGE) {
		char *system = NULL;
		cJSON *msgs = NULL, *schema = NULL;
		int r = grader_judge_request(g, inst->input, answer, inst->expected,
					     &system, &msgs, &schema);
		if (r == 0) {
			struct judge_job *j = xcalloc(1, sizeof(*j));
			j->g = g;
			j->note = note ? xstrdup(note) : NULL;
			j->done = done;
			j->payload = payload;
			struct llm_request req;
			memset(&req, 0, sizeof(req));
			req.provider = cfg->optimizer.provider;
			req.model = cfg->optimizer.model;
			req.role = "judge";
			req.stage = ctx->stage;
			req.system = system;
			req.messages = msgs;
			req.schema_name = GRADER_JUDGE_SCHEMA_NAME;
			req.schema = schema;
			req.temperature = 0;
			req.max_tokens = 1024;
			req.seed = cfg->optimizer.seed;
			r = llm_submit(ctx->llm, &req, on_judge, j);
			if (r < 0) {
				free(j->note);
				free(j);
			}
		}
		free(system);
		cJSON_Delete(msgs);
		cJSON_Delete(schema);
		if (r < 0)
			done(NULL, r, ss_err_last(), payload);
		return;
	}

	char *traj_in = NULL;
	struct loop *lp = ctx->loop ? ctx->loop : (ctx->llm ? llm_loop(ctx->llm) : NULL);
	if (g->kind == GRADER_COMMAND) {
		traj_in = grader_command_input(inst->id, inst->input, inst->expected, answer, messages);
		if (lp && grade_command_async(lp, g, traj_in, note, done, payload) == 0) {
			free(traj_in);
			return;
		}
		/* could not start it: grader_grade() reports why */
	}
	int r = grader_grade(g, answer, inst->expected, traj_in, &gr);
	free(traj_in);
	if (r < 0 && !gr.note)
		gr.note = xstrdup(ss_err_last());
	add_note(&gr, note);
	done(&gr, 0, note, payload);
	grade_result_release(&gr);
}
