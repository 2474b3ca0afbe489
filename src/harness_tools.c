/*
 * The tools harness: multi-turn tool calling against an environment
 * process that speaks the JSON-lines protocol of envproto.h.
 *
 * One episode is a small state machine on the event loop:
 *
 *   spawn env -> reset -> [agent call -> step per tool call]* -> end -> grade
 *
 * Only one thing is awaited at a time: either an environment reply (with
 * the step timeout armed) or an LLM call.  The environment runs in its own
 * process group; at the end its stdin is closed and the group killed.  The
 * episode struct lives until both the callback has run and the loop has
 * reaped the child.
 */
#include "skillsmith/harness.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/envproto.h"
#include "skillsmith/grader.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"
#include "harness_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_LINE (16 << 20)   /* an environment reply larger than this is an error */

enum ep_wait { W_RESET, W_LLM, W_STEP, W_GRADE, W_OVER };

struct episode {
	struct harness_ctx *ctx;
	struct loop *lp;
	struct harness_instance inst;   /* strings owned (copies) */
	char *id, *input, *expected, *type;
	cJSON *metadata;
	harness_done_fn done;
	void *payload;
	struct hutil_prompt prompt;

	pid_t pid;
	int in_fd, out_fd;
	int child_running, exit_status;
	struct buf rbuf, wbuf;
	size_t woff;
	int eof;
	uint64_t timer;

	enum ep_wait wait;
	char *env_error;               /* an environment fault seen while the agent thinks */
	cJSON *messages, *tools, *calls;
	int call_idx;
	int steps, max_steps, timeout_ms;
	int has_reward;
	double reward;
	char *final_text;
	const char *end;               /* done | answer | step_cap | timeout | error */
	int prompt_tokens, completion_tokens;
	int64_t t0;
	int reported;
};

static void ep_maybe_free(struct episode *ep)
{
	if (!ep->reported || ep->child_running)
		return;
	free(ep->id);
	free(ep->input);
	free(ep->expected);
	free(ep->type);
	cJSON_Delete(ep->metadata);
	hutil_prompt_release(&ep->prompt);
	buf_release(&ep->rbuf);
	buf_release(&ep->wbuf);
	free(ep->env_error);
	cJSON_Delete(ep->messages);
	cJSON_Delete(ep->tools);
	cJSON_Delete(ep->calls);
	free(ep->final_text);
	free(ep);
}

static void on_child(pid_t pid, int status, void *payload)
{
	struct episode *ep = payload;
	ep->child_running = 0;
	ep->exit_status = status;
	ep_maybe_free(ep);
}

/* Stop talking to the environment: close the pipes, kill the group. */
static void env_stop(struct episode *ep)
{
	if (ep->timer) {
		loop_timer_cancel(ep->lp, ep->timer);
		ep->timer = 0;
	}
	if (ep->in_fd >= 0) {
		loop_fd_del(ep->lp, ep->in_fd);
		close(ep->in_fd);
		ep->in_fd = -1;
	}
	if (ep->out_fd >= 0) {
		loop_fd_del(ep->lp, ep->out_fd);
		close(ep->out_fd);
		ep->out_fd = -1;
	}
	if (ep->child_running && ep->pid > 0)
		kill(-ep->pid, SIGKILL);
}

static cJSON *ep_trajectory(struct episode *ep)
{
	cJSON *t = cJSON_CreateObject();
	cJSON *msgs = cJSON_AddArrayToObject(t, "messages");
	char *sys = hutil_prompt_system(&ep->prompt);
	if (*sys) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "system");
		cJSON_AddStringToObject(m, "content", sys);
		cJSON_AddItemToArray(msgs, m);
	}
	free(sys);
	const cJSON *m;
	cJSON_ArrayForEach(m, ep->messages)
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));
	if (ep->tools)
		cJSON_AddItemToObject(t, "tools", cJSON_Duplicate(ep->tools, 1));
	cJSON_AddNumberToObject(t, "steps", ep->steps);
	cJSON_AddStringToObject(t, "end", ep->end ? ep->end : "error");
	if (ep->has_reward)
		cJSON_AddNumberToObject(t, "reward", ep->reward);
	return t;
}

static void ep_report(struct episode *ep, int status, const char *error,
		      const struct grade_result *g)
{
	struct rollout_result r;
	memset(&r, 0, sizeof(r));
	env_stop(ep);
	ep->wait = W_OVER;
	cJSON *traj = ep_trajectory(ep);
	r.status = status;
	r.outcome = g ? g->outcome : 0;
	r.score = g ? g->score : 0;
	r.output = ep->final_text ? ep->final_text : "";
	r.trajectory = traj;
	r.grader_note = g ? g->note : NULL;
	r.prompt_tokens = ep->prompt_tokens;
	r.completion_tokens = ep->completion_tokens;
	r.latency_ms = ss_now_ms() - ep->t0;
	r.error = error;
	ep->reported = 1;
	hutil_job_end();
	ep->done(&r, ep->payload);
	cJSON_Delete(traj);
	ep_maybe_free(ep);
}

static void ep_fail(struct episode *ep, int status, const char *msg)
{
	char *m = xstrdup(msg ? msg : "rollout failed");
	ep->end = "error";
	ss_err_set(status, "%s", m);
	ep_report(ep, status, m, NULL);
	free(m);
}

static void on_graded(const struct grade_result *g, int status, const char *error, void *payload)
{
	struct episode *ep = payload;
	ep_report(ep, status, error, g);
}

/* The episode is over: score it from the reward or the grader. */
static void ep_end(struct episode *ep, const char *why, const char *note)
{
	ep->end = why;
	env_stop(ep);
	if (!ep->final_text)
		ep->final_text = xstrdup("");
	if (ep->has_reward) {
		struct grade_result g;
		memset(&g, 0, sizeof(g));
		double s = ep->reward < 0 ? 0 : ep->reward > 1 ? 1 : ep->reward;
		g.score = s;
		g.outcome = ep->reward >= ep->inst.grader->threshold;
		g.note = xasprintf("environment reward %g (threshold %g)%s%s", ep->reward,
				   ep->inst.grader->threshold, note ? "; " : "", note ? note : "");
		ep_report(ep, 0, note, &g);
		grade_result_release(&g);
		return;
	}
	ep->wait = W_GRADE;
	cJSON *t = ep_trajectory(ep);
	hutil_grade(ep->ctx, &ep->inst, ep->final_text, cJSON_GetObjectItemCaseSensitive(t, "messages"),
		 note, on_graded, ep);
	cJSON_Delete(t);
}

/* ---------------------------------------------------------------- I/O */

static void on_timeout(void *payload);
static void on_readable(int fd, int events, void *payload);

static void on_writable(int fd, int events, void *payload)
{
	struct episode *ep = payload;
	while (ep->woff < ep->wbuf.len) {
		ssize_t n = write(ep->in_fd, ep->wbuf.buf + ep->woff, ep->wbuf.len - ep->woff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_fd_add(ep->lp, ep->in_fd, LOOP_WRITE, on_writable, ep);
			return;
		}
		if (n < 0) {
			/* the environment stopped reading: its exit shows on stdout */
			buf_reset(&ep->wbuf);
			ep->woff = 0;
			loop_fd_del(ep->lp, ep->in_fd);
			return;
		}
		ep->woff += (size_t)n;
	}
	buf_reset(&ep->wbuf);
	ep->woff = 0;
	loop_fd_del(ep->lp, ep->in_fd);
}

/* Send one request line and wait for the reply, with the step timeout. */
static void env_send(struct episode *ep, const char *line, enum ep_wait wait)
{
	buf_adds(&ep->wbuf, line);
	buf_addch(&ep->wbuf, '\n');
	ep->wait = wait;
	ep->timer = loop_timer_add(ep->lp, ep->timeout_ms, on_timeout, ep);
	on_writable(ep->in_fd, LOOP_WRITE, ep);
}

static void on_timeout(void *payload)
{
	struct episode *ep = payload;
	ep->timer = 0;
	char *note = xasprintf("environment did not reply within %d s (%s)",
			       ep->timeout_ms / 1000, ep->wait == W_RESET ? "reset" : "step");
	ep_end(ep, "timeout", note);
	free(note);
}

static void agent_call(struct episode *ep);
static void next_call(struct episode *ep);

static void handle_reset(struct episode *ep, const char *line)
{
	char *obs = NULL;
	cJSON *tools = NULL;
	if (envproto_parse_reset(line, &obs, &tools) < 0) {
		ep_fail(ep, SS_EPROVIDER, ss_err_last());
		return;
	}
	ep->tools = tools;
	char *user = hutil_user_message(ep->ctx->cfg, ep->inst.input);
	if (*obs && strcmp(obs, ep->inst.input)) {
		char *u = xasprintf("%s\n\n%s", user, obs);
		free(user);
		user = u;
	}
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", user);
	cJSON_AddItemToArray(ep->messages, m);
	free(user);
	free(obs);
	agent_call(ep);
}

static void handle_step(struct episode *ep, const char *line)
{
	struct envproto_step s;
	if (envproto_parse_step(line, &s) < 0) {
		ep_fail(ep, SS_EPROVIDER, ss_err_last());
		return;
	}
	const cJSON *call = cJSON_GetArrayItem(ep->calls, ep->call_idx);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(call, "id");
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "tool");
	cJSON_AddStringToObject(m, "tool_call_id", cJSON_IsString(id) ? id->valuestring : "");
	cJSON_AddStringToObject(m, "content", s.observation);
	cJSON_AddItemToArray(ep->messages, m);
	ep->steps++;
	ep->call_idx++;
	if (s.has_reward) {
		ep->has_reward = 1;
		ep->reward = s.reward;
	}
	int done = s.done;
	envproto_step_release(&s);
	if (done) {
		ep_end(ep, "done", NULL);
		return;
	}
	next_call(ep);
}

static void on_readable(int fd, int events, void *payload)
{
	struct episode *ep = payload;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(ep->out_fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			ep->eof = 1;
			loop_fd_del(ep->lp, ep->out_fd);
			break;
		}
		buf_add(&ep->rbuf, chunk, (size_t)n);
		if (ep->rbuf.len > MAX_LINE)
			break;
	}

	for (;;) {
		char *nl = memchr(ep->rbuf.buf, '\n', ep->rbuf.len);
		if (!nl) {
			if (ep->rbuf.len > MAX_LINE) {
				if (ep->wait == W_RESET || ep->wait == W_STEP)
					ep_fail(ep, SS_EPROVIDER, "environment reply longer than 16 MiB");
				else if (!ep->env_error)
					ep->env_error = xstrdup("environment reply longer than 16 MiB");
				return;
			}
			break;
		}
		size_t len = (size_t)(nl - ep->rbuf.buf);
		char *line = xstrndup(ep->rbuf.buf, len);
		memmove(ep->rbuf.buf, nl + 1, ep->rbuf.len - len - 1);
		buf_setlen(&ep->rbuf, ep->rbuf.len - len - 1);
		int blank = 1;
		for (char *p = line; *p; p++)
			if (*p != ' ' && *p != '\t' && *p != '\r')
				blank = 0;
		if (blank) {
			free(line);
			continue;
		}
		enum ep_wait w = ep->wait;
		if (w == W_RESET || w == W_STEP) {
			loop_timer_cancel(ep->lp, ep->timer);
			ep->timer = 0;
			ep->wait = W_LLM;  /* provisional: handlers set the next wait */
			if (w == W_RESET)
				handle_reset(ep, line);
			else
				handle_step(ep, line);
			free(line);
			return;  /* the episode may be over (and freed) now */
		}
		if (w == W_LLM && !ep->env_error)
			ep->env_error = xasprintf("environment wrote a line nobody asked for: '%.80s'", line);
		free(line);
		if (w != W_LLM)
			return;
	}

	if (ep->eof && (ep->wait == W_RESET || ep->wait == W_STEP)) {
		char *m = xasprintf("environment closed its output before replying to %s",
				    ep->wait == W_RESET ? "reset" : "a step");
		ep_fail(ep, SS_EPROVIDER, m);
		free(m);
	} else if (ep->eof && ep->wait == W_LLM && !ep->env_error) {
		ep->env_error = xstrdup("environment exited during the episode");
	}
}

/* ---------------------------------------------------------------- agent */

static void on_agent(const struct llm_response *resp, void *payload)
{
	struct episode *ep = payload;
	if (resp->status < 0) {
		ep_fail(ep, resp->status, resp->error ? resp->error : "agent call failed");
		return;
	}
	ep->prompt_tokens += resp->prompt_tokens;
	ep->completion_tokens += resp->completion_tokens;

	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "assistant");
	const char *text = resp->text ? resp->text : "";
	int nr_calls = cJSON_IsArray(resp->tool_calls) ? cJSON_GetArraySize(resp->tool_calls) : 0;
	if (*text || !nr_calls)
		cJSON_AddStringToObject(m, "content", text);
	else
		cJSON_AddNullToObject(m, "content");
	if (*text) {
		free(ep->final_text);
		ep->final_text = xstrdup(text);
	}
	if (!nr_calls) {
		cJSON_AddItemToArray(ep->messages, m);
		ep_end(ep, "answer", NULL);
		return;
	}
	cJSON *calls = cJSON_Duplicate(resp->tool_calls, 1);
	int k = 0;
	cJSON *c;
	cJSON_ArrayForEach(c, calls) {
		k++;
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "id"))) {
			char *id = xasprintf("call_%d_%d", ep->steps + 1, k);
			cJSON_DeleteItemFromObjectCaseSensitive(c, "id");
			cJSON_AddStringToObject(c, "id", id);
			free(id);
		}
	}
	cJSON_AddItemToObject(m, "tool_calls", calls);
	cJSON_AddItemToArray(ep->messages, m);
	cJSON_Delete(ep->calls);
	ep->calls = cJSON_Duplicate(calls, 1);
	ep->call_idx = 0;
	next_call(ep);
}

static void agent_call(struct episode *ep)
{
	const struct config *cfg = ep->ctx->cfg;
	if (ep->env_error) {
		ep_fail(ep, SS_EPROVIDER, ep->env_error);
		return;
	}
	struct llm_request req;
	memset(&req, 0, sizeof(req));
	req.provider = cfg->agent.m.provider;
	req.model = cfg->agent.m.model;
	req.role = "agent";
	req.stage = ep->ctx->stage;
	req.system_prefix = ep->prompt.prefix;
	req.system = ep->prompt.rest;
	req.messages = ep->messages;
	req.tools = cJSON_GetArraySize(ep->tools) > 0 ? ep->tools : NULL;
	req.temperature = cfg->agent.m.temperature;
	req.max_tokens = cfg->agent.m.max_tokens;
	req.seed = cfg->agent.m.seed;
	ep->wait = W_LLM;
	if (llm_submit(ep->ctx->llm, &req, on_agent, ep) < 0)
		ep_fail(ep, SS_EPROVIDER, ss_err_last());
}

/* Send the next pending tool call, or ask the agent again. */
static void next_call(struct episode *ep)
{
	if (ep->call_idx >= cJSON_GetArraySize(ep->calls)) {
		if (ep->steps >= ep->max_steps) {
			char *note = xasprintf("step cap of %d reached", ep->max_steps);
			ep_end(ep, "step_cap", note);
			free(note);
			return;
		}
		agent_call(ep);
		return;
	}
	if (ep->steps >= ep->max_steps) {
		char *note = xasprintf("step cap of %d reached", ep->max_steps);
		ep_end(ep, "step_cap", note);
		free(note);
		return;
	}
	if (ep->env_error) {
		ep_fail(ep, SS_EPROVIDER, ep->env_error);
		return;
	}
	if (ep->eof) {
		ep_fail(ep, SS_EPROVIDER, "environment exited during the episode");
		return;
	}
	char *line = envproto_step_line(cJSON_GetArrayItem(ep->calls, ep->call_idx));
	if (!line) {
		/* a call the agent got wrong: tell it, as the observation */
		const cJSON *call = cJSON_GetArrayItem(ep->calls, ep->call_idx);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(call, "id");
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "tool");
		cJSON_AddStringToObject(m, "tool_call_id", cJSON_IsString(id) ? id->valuestring : "");
		cJSON_AddStringToObject(m, "content", "error: tool call without a function name");
		cJSON_AddItemToArray(ep->messages, m);
		ep->call_idx++;
		ep->steps++;
		next_call(ep);
		return;
	}
	env_send(ep, line, W_STEP);
	free(line);
}

/* ---------------------------------------------------------------- start */

static int spawn_env(struct episode *ep, char *const *argv)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		rc = ss_err_set(SS_EPROVIDER, "environment pipes: %s", strerror(errno));
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawnattr_init(&at);
	posix_spawnattr_setpgroup(&at, 0);
	sigset_t def;
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	posix_spawnattr_setsigdefault(&at, &def);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETSIGMASK);
	int e = posix_spawnp(&ep->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e) {
		rc = ss_err_set(SS_EPROVIDER, "environment '%s': %s", argv[0], strerror(e));
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	ep->in_fd = in[1];
	ep->out_fd = out[0];
	fcntl(ep->in_fd, F_SETFL, fcntl(ep->in_fd, F_GETFL) | O_NONBLOCK);
	fcntl(ep->out_fd, F_SETFL, fcntl(ep->out_fd, F_GETFL) | O_NONBLOCK);
	ep->child_running = 1;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return rc;
}

int harness_tools_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
			  const char *skill_md, harness_done_fn done, void *payload)
{
	const struct config *cfg = ctx->cfg;
	if (!cfg->agent.env_argv || !cfg->agent.env_argv[0])
		return ss_err_set(SS_EINPUT, "agent.tools.env: the tools harness needs an environment command");
	struct loop *lp = ctx->loop ? ctx->loop : llm_loop(ctx->llm);
	if (!lp)
		return ss_err_set(SS_ERR, "tools harness: no event loop");
	hutil_ignore_sigpipe();

	struct episode *ep = xcalloc(1, sizeof(*ep));
	ep->ctx = ctx;
	ep->lp = lp;
	ep->id = xstrdup(inst->id ? inst->id : "");
	ep->input = xstrdup(inst->input ? inst->input : "");
	ep->expected = inst->expected ? xstrdup(inst->expected) : NULL;
	ep->type = inst->type ? xstrdup(inst->type) : NULL;
	ep->metadata = inst->metadata ? cJSON_Duplicate(inst->metadata, 1) : NULL;
	ep->inst.id = ep->id;
	ep->inst.input = ep->input;
	ep->inst.expected = ep->expected;
	ep->inst.type = ep->type;
	ep->inst.metadata = ep->metadata;
	ep->inst.grader = inst->grader ? inst->grader : &cfg->grader;
	ep->done = done;
	ep->payload = payload;
	ep->in_fd = ep->out_fd = -1;
	ep->max_steps = cfg->agent.max_steps > 0 ? cfg->agent.max_steps : 16;
	ep->timeout_ms = (cfg->agent.step_timeout_s > 0 ? cfg->agent.step_timeout_s : 60) * 1000;
	ep->messages = cJSON_CreateArray();
	ep->t0 = ss_now_ms();
	buf_init(&ep->rbuf, 0);
	buf_init(&ep->wbuf, 0);
	hutil_prompt_build(&ep->prompt, cfg, skill_md);

	int rc = spawn_env(ep, cfg->agent.env_argv);
	if (rc < 0) {
		ep->reported = 1;
		ep_maybe_free(ep);
		return rc;
	}
	hutil_job_begin();
	if (loop_child_add(lp, ep->pid, on_child, ep) < 0) {
		/* already gone: reap it here */
		waitpid(ep->pid, NULL, WNOHANG);
		ep->child_running = 0;
	}
	loop_fd_add(lp, ep->out_fd, LOOP_READ, on_readable, ep);
	char *line = envproto_reset_line(&ep->inst);
	env_send(ep, line, W_RESET);
	free(line);
	return 0;
}
