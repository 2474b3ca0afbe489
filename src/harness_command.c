/*
 * The command harness: run an external agent program (for example a
 * coding agent's non-interactive mode) on one instance and grade what it
 * prints.
 *
 *  - argv is agent.command.argv with "{{input}}" and "{{skills_dir}}"
 *    expanded inside every element; it is run directly, never via a shell,
 *    in its own process group, with stdin from /dev/null and the engine's
 *    working directory;
 *  - the candidate skill is installed as <tmp>/skills/<name>/SKILL.md (the
 *    Agent Skills layout; <name> from the front matter, else "skill"), and
 *    <tmp>/skills is both {{skills_dir}} and the environment variable
 *    SKILLSMITH_SKILLS_DIR.  Without a skill the folder exists and is empty;
 *  - stdout is the output (trailing newlines dropped, at most 16 MiB), the
 *    last 4 KiB of stderr go into the trajectory;
 *  - after agent.command.timeout_s the whole process group is killed and
 *    the rollout graded on what was printed, with the timeout in `error`;
 *  - when the program exits, stragglers of its process group are killed
 *    and the temporary folder is removed.
 */
#include "skillsmith/harness.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/grader.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"
#include "harness_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_STDOUT (16 << 20)
#define STDERR_TAIL 4096

struct cmd_job {
	struct harness_ctx *ctx;
	struct loop *lp;
	struct harness_instance inst;
	char *id, *input, *expected, *type;
	cJSON *metadata;
	harness_done_fn done;
	void *payload;

	char *tmp, *skills_dir;
	char **argv;
	pid_t pid;
	int out_fd, err_fd;
	int running;
	int exit_status;
	struct buf out, err;
	int out_truncated;
	uint64_t timer;
	int timed_out;
	int64_t t0;
	int reported;
};

/* ------------------------------------------------------------ skill folder */

/* The front matter's name if it is a valid skill name, else "skill". */
static char *skill_name(const char *md)
{
	if (!md || strncmp(md, "---", 3))
		return xstrdup("skill");
	const char *p = strchr(md, '\n');
	while (p) {
		p++;
		if (!strncmp(p, "---", 3))
			break;
		if (!strncmp(p, "name:", 5)) {
			const char *v = p + 5;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = v;
			while (*e && *e != '\n' && *e != '\r')
				e++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
				v++;
				e--;
			}
			size_t n = (size_t)(e - v);
			int ok = n >= 1 && n <= 64 && v[0] != '-' && v[n - 1] != '-';
			for (size_t i = 0; ok && i < n; i++) {
				char c = v[i];
				ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				     (c == '-' && v[i + 1] != '-');
			}
			return ok ? xstrndup(v, n) : xstrdup("skill");
		}
		p = strchr(p, '\n');
	}
	return xstrdup("skill");
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	if (dir)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_skills_dir(struct cmd_job *j, const char *skill_md)
{
	const char *base = j->ctx->workdir;
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if (ss_mkdirs(base, 0700) < 0)
		return ss_err_prefix(SS_EPROVIDER, "command harness scratch directory '%s'", base);
	char *tmpl = xasprintf("%s/skillsmith-cmd-XXXXXX", base);
	if (!mkdtemp(tmpl)) {
		int rc = ss_err_set(SS_EPROVIDER, "command harness: mkdtemp in '%s': %s", base,
				    strerror(errno));
		free(tmpl);
		return rc;
	}
	j->tmp = tmpl;
	j->skills_dir = xasprintf("%s/skills", tmpl);
	if (ss_mkdirs(j->skills_dir, 0700) < 0)
		return ss_err_prefix(SS_EPROVIDER, "command harness");
	if (!skill_md)
		return 0;
	char *name = skill_name(skill_md);
	char *dir = xasprintf("%s/%s", j->skills_dir, name);
	char *file = xasprintf("%s/SKILL.md", dir);
	int rc = ss_mkdirs(dir, 0700);
	if (rc == 0)
		rc = ss_write_file(file, skill_md, strlen(skill_md));
	if (rc < 0)
		rc = ss_err_prefix(SS_EPROVIDER, "installing the skill in '%s'", dir);
	free(name);
	free(dir);
	free(file);
	return rc;
}

/* ---------------------------------------------------------------- finish */

static void job_free(struct cmd_job *j)
{
	rm_tree(j->tmp);
	free(j->tmp);
	free(j->skills_dir);
	if (j->argv)
		for (char **a = j->argv; *a; a++)
			free(*a);
	free(j->argv);
	free(j->id);
	free(j->input);
	free(j->expected);
	free(j->type);
	cJSON_Delete(j->metadata);
	buf_release(&j->out);
	buf_release(&j->err);
	free(j);
}

static cJSON *job_trajectory(struct cmd_job *j)
{
	cJSON *t = cJSON_CreateObject();
	cJSON *msgs = cJSON_AddArrayToObject(t, "messages");
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", j->input);
	cJSON_AddItemToArray(msgs, m);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "assistant");
	cJSON_AddStringToObject(m, "content", j->out.buf);
	cJSON_AddItemToArray(msgs, m);
	cJSON *a = cJSON_AddArrayToObject(t, "argv");
	for (char **p = j->argv; p && *p; p++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*p));
	if (WIFEXITED(j->exit_status))
		cJSON_AddNumberToObject(t, "exit_status", WEXITSTATUS(j->exit_status));
	else if (WIFSIGNALED(j->exit_status))
		cJSON_AddNumberToObject(t, "signal", WTERMSIG(j->exit_status));
	if (j->timed_out)
		cJSON_AddTrueToObject(t, "timed_out");
	const char *e = j->err.buf;
	if (j->err.len > STDERR_TAIL)
		e += j->err.len - STDERR_TAIL;
	cJSON_AddStringToObject(t, "stderr", e);
	return t;
}

static void on_graded(const struct grade_result *g, int status, const char *error, void *payload)
{
	struct cmd_job *j = payload;
	struct rollout_result r;
	memset(&r, 0, sizeof(r));
	cJSON *traj = job_trajectory(j);
	r.status = status;
	r.outcome = g ? g->outcome : 0;
	r.score = g ? g->score : 0;
	r.output = j->out.buf;
	r.trajectory = traj;
	r.grader_note = g ? g->note : NULL;
	r.latency_ms = ss_now_ms() - j->t0;
	r.error = error;
	j->reported = 1;
	hutil_job_end();
	j->done(&r, j->payload);
	cJSON_Delete(traj);
	job_free(j);
}

/* Read what is available without blocking; returns 1 at end of file. */
static int drain(struct cmd_job *j, int fd, struct buf *b, size_t cap)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
		if (n == 0)
			return 1;
		size_t take = (size_t)n;
		if (b->len + take > cap) {
			take = cap > b->len ? cap - b->len : 0;
			if (b == &j->out)
				j->out_truncated = 1;
		}
		if (b == &j->err && b->len > STDERR_TAIL && b->len + take > 4 * STDERR_TAIL) {
			/* keep only the tail of stderr */
			memmove(b->buf, b->buf + b->len - STDERR_TAIL, STDERR_TAIL);
			buf_setlen(b, STDERR_TAIL);
		}
		buf_add(b, chunk, take);
	}
}

static void close_fd(struct cmd_job *j, int *fd)
{
	if (*fd >= 0) {
		loop_fd_del(j->lp, *fd);
		close(*fd);
		*fd = -1;
	}
}

static void job_end(struct cmd_job *j)
{
	if (j->timer) {
		loop_timer_cancel(j->lp, j->timer);
		j->timer = 0;
	}
	if (j->out_fd >= 0)
		drain(j, j->out_fd, &j->out, MAX_STDOUT);
	if (j->err_fd >= 0)
		drain(j, j->err_fd, &j->err, SIZE_MAX);
	close_fd(j, &j->out_fd);
	close_fd(j, &j->err_fd);
	/* stragglers of the group (the leader is reaped already or killed) */
	if (j->pid > 0)
		kill(-j->pid, SIGKILL);
	while (j->out.len && (j->out.buf[j->out.len - 1] == '\n' || j->out.buf[j->out.len - 1] == '\r'))
		buf_setlen(&j->out, j->out.len - 1);

	char *note = NULL;
	if (j->timed_out)
		note = xasprintf("agent command timed out after %d s", j->ctx->cfg->agent.cmd_timeout_s);
	else if (WIFEXITED(j->exit_status) && WEXITSTATUS(j->exit_status))
		note = xasprintf("agent command exited with status %d", WEXITSTATUS(j->exit_status));
	else if (WIFSIGNALED(j->exit_status))
		note = xasprintf("agent command killed by signal %d", WTERMSIG(j->exit_status));
	if (j->out_truncated) {
		char *n = xasprintf("%s%soutput truncated at 16 MiB", note ? note : "", note ? "; " : "");
		free(note);
		note = n;
	}
	cJSON *t = job_trajectory(j);
	hutil_grade(j->ctx, &j->inst, j->out.buf, cJSON_GetObjectItemCaseSensitive(t, "messages"),
		    note, on_graded, j);
	cJSON_Delete(t);
	free(note);
}

static void on_child(pid_t pid, int status, void *payload)
{
	struct cmd_job *j = payload;
	j->running = 0;
	j->exit_status = status;
	job_end(j);
}

static void deferred_end(void *payload)
{
	job_end(payload);
}

static void on_timeout(void *payload)
{
	struct cmd_job *j = payload;
	j->timer = 0;
	j->timed_out = 1;
	if (j->running)
		kill(-j->pid, SIGKILL);
	/* on_child follows once the loop reaps it */
}

static void on_out(int fd, int events, void *payload)
{
	struct cmd_job *j = payload;
	if (drain(j, fd, &j->out, MAX_STDOUT))
		close_fd(j, &j->out_fd);
}

static void on_err(int fd, int events, void *payload)
{
	struct cmd_job *j = payload;
	if (drain(j, fd, &j->err, SIZE_MAX))
		close_fd(j, &j->err_fd);
}

/* ---------------------------------------------------------------- start */

static char **expand_argv(char *const *argv, const char *input, const char *skills_dir)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		char *a = hutil_replace_all(argv[i], "{{input}}", input);
		out[i] = hutil_replace_all(a, "{{skills_dir}}", skills_dir);
		free(a);
	}
	return out;
}

static char **child_env(const char *skills_dir)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 2, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SKILLSMITH_SKILLS_DIR=", 22))
			env[k++] = environ[i];
	env[k++] = xasprintf("SKILLSMITH_SKILLS_DIR=%s", skills_dir);
	env[k] = NULL;
	return env;
}

static int spawn(struct cmd_job *j)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc = 0;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		rc = ss_err_set(SS_EPROVIDER, "agent command pipes: %s", strerror(errno));
		goto cleanup;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setpgroup(&at, 0);
	sigset_t def, none;
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETSIGMASK);
	char **env = child_env(j->skills_dir);
	int e = posix_spawnp(&j->pid, j->argv[0], &fa, &at, j->argv, env);
	size_t k = 0;
	while (env[k])
		k++;
	free(env[k - 1]);  /* the SKILLSMITH_SKILLS_DIR entry we made */
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e) {
		rc = ss_err_set(e == ENOENT || e == EACCES ? SS_EINPUT : SS_EPROVIDER,
				"agent.command.argv: '%s': %s", j->argv[0], strerror(e));
		j->pid = 0;
		goto cleanup;
	}
	j->running = 1;
	j->out_fd = out[0];
	j->err_fd = err[0];
	out[0] = err[0] = -1;
	fcntl(j->out_fd, F_SETFL, fcntl(j->out_fd, F_GETFL) | O_NONBLOCK);
	fcntl(j->err_fd, F_SETFL, fcntl(j->err_fd, F_GETFL) | O_NONBLOCK);
cleanup:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return rc;
}

int harness_command_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
			    const char *skill_md, harness_done_fn done, void *payload)
{
	const struct config *cfg = ctx->cfg;
	if (!cfg->agent.cmd_argv || !cfg->agent.cmd_argv[0])
		return ss_err_set(SS_EINPUT, "agent.command.argv: the command harness needs a command");
	struct loop *lp = ctx->loop ? ctx->loop : llm_loop(ctx->llm);
	if (!lp)
		return ss_err_set(SS_ERR, "command harness: no event loop");

	struct cmd_job *j = xcalloc(1, sizeof(*j));
	j->ctx = ctx;
	j->lp = lp;
	j->id = xstrdup(inst->id ? inst->id : "");
	j->input = xstrdup(inst->input ? inst->input : "");
	j->expected = inst->expected ? xstrdup(inst->expected) : NULL;
	j->type = inst->type ? xstrdup(inst->type) : NULL;
	j->metadata = inst->metadata ? cJSON_Duplicate(inst->metadata, 1) : NULL;
	j->inst.id = j->id;
	j->inst.input = j->input;
	j->inst.expected = j->expected;
	j->inst.type = j->type;
	j->inst.metadata = j->metadata;
	j->inst.grader = inst->grader ? inst->grader : &cfg->grader;
	j->done = done;
	j->payload = payload;
	j->out_fd = j->err_fd = -1;
	j->t0 = ss_now_ms();
	buf_init(&j->out, 0);
	buf_init(&j->err, 0);

	int rc = make_skills_dir(j, skill_md);
	if (rc == 0) {
		j->argv = expand_argv(cfg->agent.cmd_argv, j->input, j->skills_dir);
		rc = spawn(j);
	}
	if (rc < 0) {
		job_free(j);
		return rc;
	}
	hutil_job_begin();
	loop_fd_add(lp, j->out_fd, LOOP_READ, on_out, j);
	loop_fd_add(lp, j->err_fd, LOOP_READ, on_err, j);
	int t = cfg->agent.cmd_timeout_s > 0 ? cfg->agent.cmd_timeout_s : 600;
	j->timer = loop_timer_add(lp, (int64_t)t * 1000, on_timeout, j);
	if (loop_child_add(lp, j->pid, on_child, j) < 0) {
		/* it is gone already: reap it now, report from the loop */
		int status = 0;
		waitpid(j->pid, &status, 0);
		j->running = 0;
		j->exit_status = status;
		loop_timer_cancel(lp, j->timer);
		j->timer = 0;
		loop_timer_add(lp, 0, deferred_end, j);
	}
	return 0;
}
