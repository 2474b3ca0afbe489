/*
 * Runs: creating, finding and resuming a run in a workspace, its
 * instances and split, state, progress lines and signals.
 */
#include "skillsmith/pipeline.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/cli.h"
#include "skillsmith/config.h"
#include "skillsmith/llm.h"
#include "skillsmith/store.h"
#include "skillsmith/split.h"
#include "skillsmith/tasks.h"
#include "skillsmith/vcs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Identity of a run's config                                         */

/*
 * What makes two invocations the same run: the config snapshot without the
 * keys that do not change results (provider connection settings, budget
 * caps, cache switch, file locations) plus the content of the tasks file.
 */
static char *config_identity(const struct config *cfg, const char *tasks_text)
{
	char *snap = config_to_json(cfg);
	cJSON *j = snap ? cJSON_Parse(snap) : NULL;
	free(snap);
	if (!j)
		j = cJSON_CreateObject();
	static const char *const drop[] = { "providers", "budget", "cache", "path", "dir",
					    "tasks", "approval" };
	for (size_t i = 0; i < ARRAY_SIZE(drop); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(j, drop[i]);
	char *canon = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	char th[65], out[65];
	ss_sha256_hex(tasks_text, strlen(tasks_text), th);
	char *all = xasprintf("%s\n%s", canon ? canon : "", th);
	ss_sha256_hex(all, strlen(all), out);
	free(all);
	free(canon);
	return xstrdup(out);
}

/* ------------------------------------------------------------------ */
/* Context                                                            */

static struct run_ctx *ctx_new(void)
{
	struct run_ctx *rc = xcalloc(1, sizeof(*rc));
	rc->headless = 1;
	return rc;
}

static void insts_free(struct run_ctx *rc)
{
	for (int i = 0; i < rc->nr_insts; i++) {
		struct run_inst *in = &rc->insts[i];
		free(in->id);
		free(in->split);
		free(in->type);
		free(in->input);
		free(in->expected);
		cJSON_Delete(in->metadata);
		if (in->grader) {
			grader_config_release(in->grader);
			free(in->grader);
		}
	}
	free(rc->insts);
	rc->insts = NULL;
	rc->nr_insts = 0;
}

void run_ctx_free(struct run_ctx *rc)
{
	if (!rc)
		return;
	if (rc->llm)
		llm_free(rc->llm);
	if (rc->vcs)
		vcs_close(rc->vcs);
	if (rc->st)
		store_close(rc->st);
	if (rc->cfg) {
		config_release(rc->cfg);
		free(rc->cfg);
	}
	insts_free(rc);
	free(rc->run_id);
	free(rc->workspace);
	free(rc->skills_dir);
	free(rc->state);
	free(rc);
}

static int open_store(struct run_ctx *rc, const char *workspace, int create)
{
	rc->workspace = cli_workspace(workspace);
	rc->skills_dir = xasprintf("%s/skills", rc->workspace);
	if (create && ss_mkdirs(rc->workspace, 0777) < 0)
		return ss_err_prefix(SS_ERR, "workspace '%s'", rc->workspace);
	char *path = cli_store_path(rc->workspace);
	struct stat sb;
	if (!create && stat(path, &sb) < 0) {
		int rc2 = ss_err_set(SS_ENOTFOUND, "no store in workspace '%s'", rc->workspace);
		free(path);
		return rc2;
	}
	int r = store_open(&rc->st, path, 0);
	free(path);
	return r;
}

static char *run_column(struct store *st, const char *run_id, const char *col)
{
	char *sql = xasprintf("SELECT %s FROM runs WHERE id = ?", col);
	sqlite3_stmt *s = store_prepare(st, sql);
	free(sql);
	char *v = NULL;
	if (!s)
		return NULL;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = xstrdup(store_col_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

/* The latest run of the store whose identity is `ident`, or NULL. */
static char *find_run(struct store *st, const char *ident)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT r.id FROM runs r JOIN run_state k ON k.run_id = r.id "
		"WHERE k.key = 'config_identity' AND k.value = ? "
		"ORDER BY r.created_at DESC, r.rowid DESC LIMIT 1");
	char *v = NULL;
	if (!s)
		return NULL;
	sqlite3_bind_text(s, 1, ident, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = xstrdup(store_col_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

static char *next_run_id(struct store *st, const char *name)
{
	for (int n = 1;; n++) {
		char *id = xasprintf("%s-%d", name, n);
		char *have = run_column(st, id, "id");
		if (!have)
			return id;
		free(have);
		free(id);
	}
}

static int insert_instances(struct run_ctx *rc, const struct task_set *ts,
			    const enum split_part *parts)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT INTO instances(run_id, id, idx, split, type, input, expected, metadata, grader) "
		"VALUES (?,?,?,?,?,?,?,?,?)");
	if (!s)
		return SS_ERR;
	int rc2 = 0;
	for (int i = 0; i < ts->nr && !rc2; i++) {
		const struct task *t = &ts->v[i];
		char *meta = t->metadata ? cJSON_PrintUnformatted(t->metadata) : NULL;
		char *grader = t->grader_json ? cJSON_PrintUnformatted(t->grader_json) : NULL;
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, t->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, t->idx);
		sqlite3_bind_text(s, 4, split_part_name(parts[i]), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, t->type, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, t->input, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, t->expected, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, meta, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 9, grader, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc2 = ss_err_set(SS_ERR, "store: insert instance '%s': %s", t->id,
					 sqlite3_errmsg(rc->st->db));
		free(meta);
		free(grader);
	}
	sqlite3_finalize(s);
	return rc2;
}

static int create_run(struct run_ctx *rc, const char *ident, const struct task_set *ts)
{
	int n = ts->nr;
	enum split_part *parts = xcalloc((size_t)(n ? n : 1), sizeof(*parts));
	struct split_counts counts = { 0, 0, 0 };
	int r = split_tasks(parts, ts, rc->cfg, &counts);
	if (r < 0)
		goto cleanup;
	char *snap = config_to_json(rc->cfg);
	if ((r = store_begin(rc->st)) < 0) {
		free(snap);
		goto cleanup;
	}
	rc->run_id = next_run_id(rc->st, rc->cfg->name);
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT INTO runs(id, created_at, updated_at, config_path, config_json, strategy, seed, "
		"state, stage, round, rounds_total) VALUES (?,?,?,?,?,?,?,'created','baseline',0,?)");
	if (!s) {
		r = SS_ERR;
	} else {
		int64_t now = ss_wall_s();
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_text(s, 4, rc->cfg->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, snap ? snap : "{}", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, strategy_kind_name(rc->cfg->strategy.kind), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, rc->cfg->seed);
		sqlite3_bind_int(s, 8, rc->cfg->strategy.kind == STRATEGY_EDIT
				 ? rc->cfg->strategy.epochs * rc->cfg->strategy.steps_per_epoch
				 : rc->cfg->strategy.rounds);
		r = sqlite3_step(s) == SQLITE_DONE ? 0 :
			ss_err_set(SS_ERR, "store: insert run: %s", sqlite3_errmsg(rc->st->db));
		sqlite3_finalize(s);
	}
	free(snap);
	if (!r)
		r = store_state_set(rc->st, rc->run_id, "config_identity", ident);
	if (!r)
		r = insert_instances(rc, ts, parts);
	if (!r)
		r = store_event(rc->st, rc->run_id, "info", "baseline", NULL,
				"run created: %d instances, split %d induction / %d verification / %d test",
				n, counts.ind, counts.ver, counts.test);
	if (r) {
		store_rollback(rc->st);
		goto cleanup;
	}
	r = store_commit(rc->st);
	rc->created = 1;
	rc->state = xstrdup("created");
cleanup:
	free(parts);
	return r;
}

/* The API keys a run needs are in the environment (before anything is created). */
static int check_keys(const struct config *cfg)
{
	const char *used[3] = { cfg->agent.m.provider, cfg->optimizer.provider,
				cfg->embed_kind && !strcmp(cfg->embed_kind, "api") ? cfg->embed_provider : NULL };
	for (int i = 0; i < 3; i++) {
		struct provider_config *p = used[i] ? config_provider((struct config *)cfg, used[i]) : NULL;
		if (p && p->api_key_env && *p->api_key_env) {
			const char *v = getenv(p->api_key_env);
			if (!v || !*v)
				return ss_err_set(SS_EINPUT, "%s: providers.%s.api_key_env: the environment "
						  "variable '%s' is not set", cfg->path, p->name,
						  p->api_key_env);
		}
	}
	return 0;
}

int run_ctx_start(struct run_ctx **out, const char *config_path, const struct run_options *opt)
{
	struct run_options defaults = RUN_OPTIONS_INIT;
	struct run_ctx *rc = ctx_new();
	struct task_set ts = TASK_SET_INIT;
	char *tasks_text = NULL, *ident = NULL;
	int r;

	if (!opt)
		opt = &defaults;
	rc->headless = opt->headless;
	rc->quiet = opt->quiet;
	rc->cfg = xcalloc(1, sizeof(*rc->cfg));
	if ((r = config_load(rc->cfg, config_path)) < 0) {
		free(rc->cfg);      /* config_load() released it */
		rc->cfg = NULL;
		goto fail;
	}
	if (opt->has_seed) {
		if (rc->cfg->agent.m.seed == rc->cfg->seed)
			rc->cfg->agent.m.seed = opt->seed;
		if (rc->cfg->optimizer.seed == rc->cfg->seed)
			rc->cfg->optimizer.seed = opt->seed;
		rc->cfg->seed = opt->seed;
	}
	if (opt->strategy) {
		if (!strcmp(opt->strategy, "skillgen")) {
			rc->cfg->strategy.kind = STRATEGY_SKILLGEN;
		} else if (!strcmp(opt->strategy, "edit")) {
			rc->cfg->strategy.kind = STRATEGY_EDIT;
		} else {
			r = ss_err_set(SS_EINPUT, "--strategy: must be skillgen or edit, not '%s'",
				       opt->strategy);
			goto fail;
		}
	}
	if ((r = check_keys(rc->cfg)) < 0)
		goto fail;
	tasks_text = ss_read_file(rc->cfg->tasks, NULL);
	if (!tasks_text) {
		r = ss_err_prefix(SS_EINPUT, "%s: tasks", config_path);
		goto fail;
	}
	if ((r = tasks_load(&ts, rc->cfg->tasks, &rc->cfg->grader)) < 0)
		goto fail;
	ident = config_identity(rc->cfg, tasks_text);
	if ((r = open_store(rc, opt->workspace, 1)) < 0)
		goto fail;
	if (!opt->force_new) {
		rc->run_id = find_run(rc->st, ident);
		if (rc->run_id)
			rc->state = run_column(rc->st, rc->run_id, "state");
	}
	if (!rc->run_id && (r = create_run(rc, ident, &ts)) < 0)
		goto fail;
	if ((r = run_load_instances(rc)) < 0)
		goto fail;
	tasks_release(&ts);
	free(tasks_text);
	free(ident);
	*out = rc;
	return 0;
fail:
	tasks_release(&ts);
	free(tasks_text);
	free(ident);
	run_ctx_free(rc);
	*out = NULL;
	return r;
}

int run_ctx_open(struct run_ctx **out, const char *workspace, const char *run_id)
{
	struct run_ctx *rc = ctx_new();
	int r = open_store(rc, workspace, 0);
	*out = NULL;
	if (r < 0)
		goto fail;
	rc->run_id = run_id ? xstrdup(run_id) : store_latest_run(rc->st);
	if (!rc->run_id) {
		r = ss_err_set(SS_ENOTFOUND, "workspace '%s' has no run yet", rc->workspace);
		goto fail;
	}
	char *snap = run_column(rc->st, rc->run_id, "config_json");
	if (!snap) {
		r = ss_err_set(SS_ENOTFOUND, "no run '%s' in workspace '%s'", rc->run_id, rc->workspace);
		goto fail;
	}
	rc->state = run_column(rc->st, rc->run_id, "state");
	rc->cfg = xcalloc(1, sizeof(*rc->cfg));
	char *name = xasprintf("run %s config", rc->run_id);
	r = config_parse(rc->cfg, snap, name);
	free(name);
	free(snap);
	if (r < 0) {
		free(rc->cfg);      /* config_parse() released it */
		rc->cfg = NULL;
		goto fail;
	}
	if ((r = run_load_instances(rc)) < 0)
		goto fail;
	*out = rc;
	return 0;
fail:
	run_ctx_free(rc);
	return r;
}

int run_ctx_connect(struct run_ctx *rc)
{
	if (rc->llm)
		return 0;
	return llm_new(&rc->llm, rc->cfg, rc->st, rc->run_id, NULL);
}

int run_load_instances(struct run_ctx *rc)
{
	if (rc->insts)
		return 0;
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT id, idx, split, type, input, expected, metadata, grader FROM instances "
		"WHERE run_id = ? ORDER BY idx, id");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	size_t alloc = 0;
	int r = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(rc->insts, rc->nr_insts + 1, alloc);
		struct run_inst *in = &rc->insts[rc->nr_insts++];
		memset(in, 0, sizeof(*in));
		in->id = xstrdup(store_col_text(s, 0));
		in->idx = sqlite3_column_int(s, 1);
		in->split = xstrdup(store_col_text(s, 2));
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			in->type = xstrdup(store_col_text(s, 3));
		in->input = xstrdup(store_col_text(s, 4));
		in->expected = xstrdup(store_col_text(s, 5));
		if (sqlite3_column_type(s, 6) != SQLITE_NULL)
			in->metadata = cJSON_Parse(store_col_text(s, 6));
		if (sqlite3_column_type(s, 7) != SQLITE_NULL && !r) {
			cJSON *g = cJSON_Parse(store_col_text(s, 7));
			in->grader = xcalloc(1, sizeof(*in->grader));
			grader_config_copy(in->grader, &rc->cfg->grader);
			char *where = xasprintf("instance '%s'", in->id);
			if (!g || grader_config_parse(in->grader, g, where, "grader", rc->cfg->dir) < 0)
				r = ss_err_prefix(SS_EINPUT, "run %s", rc->run_id);
			free(where);
			cJSON_Delete(g);
		}
	}
	sqlite3_finalize(s);
	return r;
}

/* ------------------------------------------------------------------ */
/* State                                                              */

int run_set_state(struct run_ctx *rc, const char *state, const char *err)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"UPDATE runs SET state = ?, error = ?, updated_at = ?, pid = ?, heartbeat = ? WHERE id = ?");
	if (!s)
		return SS_ERR;
	int running = !strcmp(state, "running");
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, err, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ss_wall_s());
	if (running)
		sqlite3_bind_int64(s, 4, (int64_t)getpid());
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int64(s, 5, ss_wall_s());
	sqlite3_bind_text(s, 6, rc->run_id, -1, SQLITE_STATIC);
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 :
		ss_err_set(SS_ERR, "store: run state: %s", sqlite3_errmsg(rc->st->db));
	sqlite3_finalize(s);
	free(rc->state);
	rc->state = xstrdup(state);
	return r;
}

int run_set_stage(struct run_ctx *rc, const char *stage, int round)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"UPDATE runs SET stage = ?, round = ?, updated_at = ?, heartbeat = ? WHERE id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, round);
	sqlite3_bind_int64(s, 3, ss_wall_s());
	sqlite3_bind_int64(s, 4, ss_wall_s());
	sqlite3_bind_text(s, 5, rc->run_id, -1, SQLITE_STATIC);
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 :
		ss_err_set(SS_ERR, "store: run stage: %s", sqlite3_errmsg(rc->st->db));
	sqlite3_finalize(s);
	return r;
}

/* ------------------------------------------------------------------ */
/* Progress                                                           */

static void human_count(char *out, size_t n, double v)
{
	if (v >= 1e6)
		snprintf(out, n, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(out, n, "%.1fk", v / 1e3);
	else
		snprintf(out, n, "%.0f", v);
}

static void progress_line(struct run_ctx *rc, int final)
{
	if (rc->quiet || !rc->headless)
		return;
	int64_t now = ss_now_ms();
	double secs = (double)(now - rc->stage_t0_ms) / 1000.0;
	double rate = secs > 0 ? rc->done / secs : 0;
	struct llm_usage u = { 0 };
	if (rc->llm)
		llm_usage(rc->llm, NULL, &u);
	char tok[32], eta[32], label[48];
	human_count(tok, sizeof(tok), (double)(u.prompt_tokens + u.completion_tokens));
	if (final)
		snprintf(eta, sizeof(eta), "%.1fs", secs);
	else if (rate > 0)
		snprintf(eta, sizeof(eta), "eta %.0fs", (rc->total - rc->done) / rate);
	else
		snprintf(eta, sizeof(eta), "eta ?");
	if (rc->round > 0)
		snprintf(label, sizeof(label), "%s r%d", rc->stage, rc->round);
	else
		snprintf(label, sizeof(label), "%s", rc->stage);
	fprintf(stderr, "[%s] %-14s %4d/%-4d %6.1f/s  %-9s tokens %-7s cost $%.4f\n",
		rc->run_id, label, rc->done, rc->total, rate, eta, tok, u.cost);
	fflush(stderr);
	rc->last_print_ms = now;
}

static void progress_store(struct run_ctx *rc)
{
	store_progress(rc->st, rc->run_id, rc->stage, rc->round, rc->done, rc->total);
	sqlite3_stmt *s = store_prepare(rc->st, "UPDATE runs SET heartbeat = ? WHERE id = ?");
	if (s) {
		sqlite3_bind_int64(s, 1, ss_wall_s());
		sqlite3_bind_text(s, 2, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	rc->last_store_ms = ss_now_ms();
}

void run_progress_begin(struct run_ctx *rc, const char *stage, int round, int total)
{
	rc->stage = stage;
	rc->round = round;
	rc->done = 0;
	rc->total = total;
	rc->stage_t0_ms = ss_now_ms();
	rc->last_print_ms = rc->stage_t0_ms;
	run_set_stage(rc, stage, round);
	progress_store(rc);
}

void run_progress_add(struct run_ctx *rc, int n)
{
	rc->done += n;
	int64_t now = ss_now_ms();
	if (now - rc->last_store_ms >= 250)
		progress_store(rc);
	if (now - rc->last_print_ms >= 1000)
		progress_line(rc, 0);
}

void run_progress_end(struct run_ctx *rc)
{
	if (rc->done < rc->total)
		rc->done = rc->total;
	progress_store(rc);
	progress_line(rc, 1);
}

/* ------------------------------------------------------------------ */
/* Signals                                                            */

static volatile sig_atomic_t stop_flag;
static struct run_ctx *signal_rc;

void pipeline_request_stop(void)
{
	stop_flag = 1;
	if (signal_rc && signal_rc->llm)
		llm_stop(signal_rc->llm);
}

int pipeline_stop_requested(void)
{
	return stop_flag != 0;
}

static void on_signal(int sig)
{
	(void)sig;
	pipeline_request_stop();
}

void pipeline_install_signals(struct run_ctx *rc)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	signal_rc = rc;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
