/*
 * The SkillGen pipeline: baseline, rounds of generate / verify / feedback,
 * selection with the gate, held-out test.  Stage 2 (induction) lives in
 * pipeline_induce.c.
 *
 * Every stage first reads what the store already holds and only does the
 * rest, so running the pipeline again after a kill resumes it.  Within a
 * stage every independent call is submitted at once (the LLM layer keeps
 * the provider's concurrency); results are stored as they arrive and then
 * processed in a fixed order, so completion order never changes a result.
 */
#include "pipeline_int.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/config.h"
#include "skillsmith/harness.h"
#include "skillsmith/llm.h"
#include "skillsmith/loop.h"
#include "skillsmith/stats.h"
#include "skillsmith/store.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ================================================================== */
/* Small helpers                                                      */

void pl_fail(struct run_ctx *rc, int status)
{
	if (status < 0 && rc->status == 0)
		rc->status = status;
}

int pl_wait(struct run_ctx *rc)
{
	int r;
	/* tools / command rollouts may wait on a process with no call in flight */
	for (;;) {
		r = llm_wait(rc->llm);
		if (r < 0 || harness_pending() == 0 || pipeline_stop_requested())
			break;
		if (loop_run_once(llm_loop(rc->llm), 100) < 0) {
			r = SS_ERR;
			break;
		}
	}
	if (pipeline_stop_requested())
		pl_fail(rc, SS_ESTOPPED);
	if (r < 0)
		pl_fail(rc, r);
	return rc->status;
}

int pl_inst_index(struct run_ctx *rc, const char *id)
{
	for (int i = 0; i < rc->nr_insts; i++)
		if (!strcmp(rc->insts[i].id, id))
			return i;
	return -1;
}

int *pl_split(struct run_ctx *rc, const char *split, int *n)
{
	int *v = xmalloc(sizeof(int) * (size_t)(rc->nr_insts + 1));
	*n = 0;
	for (int i = 0; i < rc->nr_insts; i++)
		if (!strcmp(rc->insts[i].split, split))
			v[(*n)++] = i;
	return v;
}

static sqlite3_stmt *bind_va(struct run_ctx *rc, const char *sql, const char *kinds, va_list ap)
{
	sqlite3_stmt *s = store_prepare(rc->st, sql);
	if (!s)
		return NULL;
	for (int i = 0; kinds && kinds[i]; i++) {
		if (kinds[i] == 't')
			sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
	}
	return s;
}

int64_t pl_query_int(struct run_ctx *rc, int64_t dflt, const char *sql, const char *kinds, ...)
{
	va_list ap;
	va_start(ap, kinds);
	sqlite3_stmt *s = bind_va(rc, sql, kinds, ap);
	va_end(ap);
	int64_t v = dflt;
	if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

char *pl_query_text(struct run_ctx *rc, const char *sql, const char *kinds, ...)
{
	va_list ap;
	va_start(ap, kinds);
	sqlite3_stmt *s = bind_va(rc, sql, kinds, ap);
	va_end(ap);
	char *v = NULL;
	if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = xstrdup(store_col_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

uint64_t pl_seed(struct run_ctx *rc, const char *purpose, int n)
{
	char *k = xasprintf("%lld/%s/%d", (long long)rc->cfg->seed, purpose, n);
	uint64_t h = ss_hash64(k, strlen(k));
	free(k);
	return h;
}

/* The non-system messages of a trajectory, clipped, as one text. */
static char *trajectory_text(const char *traj_json, size_t max)
{
	cJSON *t = cJSON_Parse(traj_json ? traj_json : "");
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(t, "messages");
	if (!msgs && cJSON_IsArray(t))
		msgs = t;
	struct buf b = BUF_INIT;
	const cJSON *m;
	cJSON_ArrayForEach(m, msgs) {
		const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
		if (role && !strcmp(role, "system"))
			continue;
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
		const cJSON *tc = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
		buf_addf(&b, "[%s] ", role ? role : "?");
		if (cJSON_IsString(c))
			buf_adds(&b, c->valuestring);
		if (tc && cJSON_GetArraySize(tc) > 0) {
			char *s = cJSON_PrintUnformatted(tc);
			buf_addf(&b, " tool_calls: %s", s);
			free(s);
		}
		buf_addch(&b, '\n');
	}
	cJSON_Delete(t);
	char *out = prompt_clip(b.buf, max);
	buf_release(&b);
	return out;
}

cJSON *pl_rollout_json(struct run_ctx *rc, int64_t rollout_id, int with_trajectory)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT instance_id, output, trajectory, grader_note, outcome FROM rollouts WHERE id = ?");
	cJSON *j = cJSON_CreateObject();
	if (!s)
		return j;
	sqlite3_bind_int64(s, 1, rollout_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		int k = pl_inst_index(rc, store_col_text(s, 0));
		struct run_inst *in = k >= 0 ? &rc->insts[k] : NULL;
		char *t;
		cJSON_AddStringToObject(j, "id", store_col_text(s, 0));
		cJSON_AddStringToObject(j, "type", in && in->type ? in->type : "");
		t = prompt_clip(in ? in->input : "", 3000);
		cJSON_AddStringToObject(j, "input", t);
		free(t);
		cJSON_AddStringToObject(j, "expected", in && in->expected ? in->expected : "");
		t = prompt_clip(store_col_text(s, 1), 1500);
		cJSON_AddStringToObject(j, "output", t);
		free(t);
		cJSON_AddStringToObject(j, "grader_note", store_col_text(s, 3));
		cJSON_AddNumberToObject(j, "outcome", sqlite3_column_int(s, 4));
		if (with_trajectory) {
			t = trajectory_text((const char *)sqlite3_column_text(s, 2), 5000);
			cJSON_AddStringToObject(j, "trajectory", t);
			free(t);
		}
	}
	sqlite3_finalize(s);
	return j;
}

/* ================================================================== */
/* Auxiliary calls                                                    */

static void aux_on_done(const struct llm_response *resp, void *payload);

static int aux_send(struct aux_call *c, int no_cache)
{
	struct run_ctx *rc = c->rc;
	const struct config *cfg = rc->cfg;
	cJSON *msgs = prompt_messages(c->id, c->data);
	struct llm_request req;
	memset(&req, 0, sizeof(req));
	req.provider = cfg->optimizer.provider;
	req.model = cfg->optimizer.model;
	req.role = "optimizer";
	req.stage = c->stage;
	req.system = prompt_system(c->id);
	req.messages = msgs;
	req.schema_name = prompt_name(c->id);
	req.schema = prompt_schema(c->id);
	req.temperature = cfg->optimizer.temperature;
	req.max_tokens = c->max_tokens > 0 ? c->max_tokens : cfg->optimizer.max_tokens;
	req.seed = cfg->optimizer.seed;
	req.no_cache = no_cache;
	c->tries++;
	int r = llm_submit(rc->llm, &req, aux_on_done, c);
	cJSON_Delete(msgs);
	return r;
}

static void aux_finish(struct aux_call *c)
{
	c->finished = 1;
	if (c->done)
		c->done(c, c->payload);
}

static void aux_on_done(const struct llm_response *resp, void *payload)
{
	struct aux_call *c = payload;
	if (resp->status < 0) {
		c->status = resp->status;
		free(c->error);
		c->error = xstrdup(resp->error ? resp->error : "call failed");
		if (resp->status == SS_EBUDGET || resp->status == SS_ESTOPPED)
			pl_fail(c->rc, resp->status);
		aux_finish(c);
		return;
	}
	const cJSON *j = resp->json;
	cJSON *parsed = NULL;
	if (!j && resp->text) {
		/* some providers wrap JSON in a code fence */
		const char *a = strchr(resp->text, '{'), *b = strrchr(resp->text, '}');
		if (a && b && b > a) {
			char *t = xstrndup(a, (size_t)(b - a + 1));
			parsed = cJSON_Parse(t);
			free(t);
			j = parsed;
		}
	}
	if (prompt_check(c->id, j) < 0) {
		if (c->tries < 3 && !pipeline_stop_requested() && aux_send(c, 1) == 0) {
			cJSON_Delete(parsed);
			return;
		}
		c->status = SS_EPROVIDER;
		free(c->error);
		c->error = xstrdup(ss_err_last());
		cJSON_Delete(parsed);
		aux_finish(c);
		return;
	}
	c->result = cJSON_Duplicate(j, 1);
	c->status = 0;
	cJSON_Delete(parsed);
	aux_finish(c);
}

int aux_submit(struct run_ctx *rc, struct aux_call *c)
{
	c->rc = rc;
	c->tries = 0;
	c->finished = 0;
	int r = aux_send(c, 0);
	if (r < 0) {
		c->status = r;
		c->error = xstrdup(ss_err_last());
		c->finished = 1;
		pl_fail(rc, r);
	}
	return r;
}

void aux_release(struct aux_call *c)
{
	cJSON_Delete(c->data);
	cJSON_Delete(c->result);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* ================================================================== */
/* Rollout batches                                                    */

struct rjob {
	struct rbatch *b;
	int pos;
};

void rbatch_init(struct rbatch *b, struct run_ctx *rc, const char *phase, const char *stage,
		 int64_t cand, const char *skill_md, const int *inst, int n)
{
	memset(b, 0, sizeof(*b));
	b->rc = rc;
	b->phase = phase;
	b->stage = stage;
	b->cand = cand;
	b->skill_md = skill_md;
	b->n = n;
	b->inst = xmalloc(sizeof(int) * (size_t)(n + 1));
	b->outcome = xmalloc(sizeof(int) * (size_t)(n + 1));
	b->rid = xcalloc((size_t)(n + 1), sizeof(int64_t));
	for (int i = 0; i < n; i++) {
		b->inst[i] = inst[i];
		b->outcome[i] = -1;
	}
	b->stop_at = -1;
}

void rbatch_release(struct rbatch *b)
{
	free(b->inst);
	free(b->outcome);
	free(b->rid);
	free(b->hctx);
	memset(b, 0, sizeof(*b));
}

int rbatch_counted(const struct rbatch *b)
{
	return b->stop_at >= 0 ? b->stop_at : b->n;
}

static int store_rollout(struct rbatch *b, int pos, const struct rollout_result *r,
			 const char *status)
{
	struct run_ctx *rc = b->rc;
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT OR REPLACE INTO rollouts(run_id, instance_id, phase, candidate_id, status, "
		"outcome, score, output, trajectory, grader_note, prompt_tokens, completion_tokens, "
		"latency_ms, error, created_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return SS_ERR;
	char *traj = r->trajectory ? cJSON_PrintUnformatted(r->trajectory) : NULL;
	int64_t now = ss_wall_s();
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rc->insts[b->inst[pos]].id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, b->phase, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, b->cand);
	sqlite3_bind_text(s, 5, status, -1, SQLITE_STATIC);
	if (!strcmp(status, "done")) {
		sqlite3_bind_int(s, 6, r->outcome ? 1 : 0);
		sqlite3_bind_double(s, 7, r->score);
	}
	sqlite3_bind_text(s, 8, r->output, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, traj, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, r->grader_note, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 11, r->prompt_tokens);
	sqlite3_bind_int(s, 12, r->completion_tokens);
	sqlite3_bind_int64(s, 13, r->latency_ms);
	sqlite3_bind_text(s, 14, r->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 15, now);
	sqlite3_bind_int64(s, 16, now);
	int rv = sqlite3_step(s) == SQLITE_DONE ? 0 :
		ss_err_set(SS_ERR, "store: rollout: %s", sqlite3_errmsg(rc->st->db));
	sqlite3_finalize(s);
	free(traj);
	b->rid[pos] = sqlite3_last_insert_rowid(rc->st->db);
	return rv;
}

static void rbatch_pump(struct rbatch *b);

static void advance_prefix(struct rbatch *b)
{
	while (b->stop_at < 0 && b->prefix < b->n && b->outcome[b->prefix] >= 0) {
		b->prefix++;
		if (b->stop_fn && b->prefix < b->n &&
		    b->stop_fn(b, b->prefix, b->stop_payload))
			b->stop_at = b->prefix;
	}
}

static void on_rollout(const struct rollout_result *r, void *payload)
{
	struct rjob *j = payload;
	struct rbatch *b = j->b;
	int pos = j->pos;
	free(j);
	b->inflight--;
	if (r->status < 0) {
		const char *why = r->error ? r->error : ss_err_last();
		if (r->status == SS_ESTOPPED || r->status == SS_EBUDGET) {
			pl_fail(b->rc, r->status);
		} else {
			store_rollout(b, pos, r, "error");
			ss_err_set(SS_EPROVIDER, "rollout of '%s' failed: %s",
				   b->rc->insts[b->inst[pos]].id, why);
			store_event(b->rc->st, b->rc->run_id, "error", b->stage, NULL,
				    "rollout of '%s' failed: %s", b->rc->insts[b->inst[pos]].id, why);
			pl_fail(b->rc, SS_EPROVIDER);
		}
		return;
	}
	if (store_rollout(b, pos, r, "done") < 0) {
		pl_fail(b->rc, SS_ERR);
		return;
	}
	b->outcome[pos] = r->outcome ? 1 : 0;
	b->done_new++;
	run_progress_add(b->rc, 1);
	advance_prefix(b);
	rbatch_pump(b);
}

static void rbatch_pump(struct rbatch *b)
{
	struct run_ctx *rc = b->rc;
	while (b->next < b->n && rc->status == 0 && !pipeline_stop_requested()) {
		if (b->stop_at >= 0)
			break;
		if (b->window > 0 && b->inflight >= b->window)
			break;
		int pos = b->next++;
		if (b->outcome[pos] >= 0)
			continue;
		struct run_inst *in = &rc->insts[b->inst[pos]];
		struct harness_instance hi = {
			in->id, in->input, in->expected ? in->expected : "", in->type, in->metadata,
			in->grader ? in->grader : &rc->cfg->grader,
		};
		struct rjob *j = xmalloc(sizeof(*j));
		j->b = b;
		j->pos = pos;
		b->inflight++;
		int r = harness_rollout(b->hctx, &hi, b->skill_md, on_rollout, j);
		if (r < 0) {
			b->inflight--;
			free(j);
			pl_fail(rc, r == SS_EBUDGET || r == SS_ESTOPPED ? r : SS_EPROVIDER);
			break;
		}
	}
}

int rbatch_start(struct rbatch *b)
{
	struct run_ctx *rc = b->rc;
	b->hctx = xcalloc(1, sizeof(*b->hctx));
	b->hctx->cfg = rc->cfg;
	b->hctx->llm = rc->llm;
	b->hctx->loop = llm_loop(rc->llm);
	b->hctx->stage = b->stage;
	b->hctx->workdir = rc->workspace;

	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT instance_id, outcome, id FROM rollouts WHERE run_id = ? AND phase = ? "
		"AND candidate_id = ? AND status = 'done'");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, b->phase, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, b->cand);
	int have = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *id = store_col_text(s, 0);
		for (int i = 0; i < b->n; i++) {
			if (!strcmp(rc->insts[b->inst[i]].id, id)) {
				b->outcome[i] = sqlite3_column_int(s, 1) ? 1 : 0;
				b->rid[i] = sqlite3_column_int64(s, 2);
				have++;
				break;
			}
		}
	}
	sqlite3_finalize(s);
	run_progress_add(rc, have);
	advance_prefix(b);
	rbatch_pump(b);
	return rc->status;
}

/* ================================================================== */
/* Stage 1: baseline                                                  */

int pipeline_baseline(struct run_ctx *rc)
{
	int n_ind, n_ver;
	int *ind = pl_split(rc, "ind", &n_ind);
	int *ver = pl_split(rc, "ver", &n_ver);
	int *all = xmalloc(sizeof(int) * (size_t)(n_ind + n_ver + 1));
	memcpy(all, ind, sizeof(int) * (size_t)n_ind);
	memcpy(all + n_ind, ver, sizeof(int) * (size_t)n_ver);
	struct rbatch b;
	rbatch_init(&b, rc, "base", "baseline", 0, NULL, all, n_ind + n_ver);
	run_progress_begin(rc, "baseline", 0, b.n);
	int r = rbatch_start(&b);
	if (!r)
		r = pl_wait(rc);
	if (!r) {
		int succ_ind = 0, succ_ver = 0;
		for (int i = 0; i < n_ind; i++)
			succ_ind += b.outcome[i] == 1;
		for (int i = 0; i < n_ver; i++)
			succ_ver += b.outcome[n_ind + i] == 1;
		run_progress_end(rc);
		if (!pl_query_int(rc, 0, "SELECT count(*) FROM events WHERE run_id = ? AND kind = 'stage' "
				  "AND stage = 'baseline'", "t", rc->run_id))
			store_event(rc->st, rc->run_id, "stage", "baseline", NULL,
				    "baseline: induction %d/%d solved, verification %d/%d solved",
				    succ_ind, n_ind, succ_ver, n_ver);
	}
	rbatch_release(&b);
	free(all);
	free(ind);
	free(ver);
	return r;
}

/* ================================================================== */
/* Stage 3: rounds                                                    */

static void cand_release(struct cand *c)
{
	free(c->body);
	cJSON_Delete(c->skill);
	free(c->commit);
	memset(c, 0, sizeof(*c));
}

static int cand_load(struct run_ctx *rc, int round, struct cand *c)
{
	memset(c, 0, sizeof(*c));
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT id, body, skill_json, verified_at, early_stopped, net_gain, m, commit_oid "
		"FROM candidates WHERE run_id = ? AND round = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, round);
	int r = SS_ENOTFOUND;
	if (sqlite3_step(s) == SQLITE_ROW) {
		c->id = sqlite3_column_int64(s, 0);
		c->round = round;
		c->body = xstrdup(store_col_text(s, 1));
		c->skill = cJSON_Parse(store_col_text(s, 2));
		c->verified = sqlite3_column_type(s, 3) != SQLITE_NULL;
		c->early_stopped = sqlite3_column_int(s, 4);
		c->net_gain = sqlite3_column_int(s, 5);
		c->m = sqlite3_column_int(s, 6);
		if (sqlite3_column_type(s, 7) != SQLITE_NULL)
			c->commit = xstrdup(store_col_text(s, 7));
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

/* The skill fields the prompts see (no provenance beyond evidence). */
static cJSON *skill_for_prompt(const cJSON *skill)
{
	cJSON *j = cJSON_Duplicate(skill, 1);
	return j ? j : cJSON_CreateObject();
}

static cJSON *counts_json(struct run_ctx *rc, int64_t cand_id)
{
	cJSON *v = cJSON_CreateObject();
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT n01, n10, net_gain, m FROM candidates WHERE id = ?");
	if (s) {
		sqlite3_bind_int64(s, 1, cand_id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			cJSON_AddNumberToObject(v, "repairs", sqlite3_column_int(s, 0));
			cJSON_AddNumberToObject(v, "regressions", sqlite3_column_int(s, 1));
			cJSON_AddNumberToObject(v, "net_gain", sqlite3_column_int(s, 2));
			cJSON_AddNumberToObject(v, "m", sqlite3_column_int(s, 3));
		}
		sqlite3_finalize(s);
	}
	return v;
}

static int generate(struct run_ctx *rc, int round, struct cand *prev, struct cand *out)
{
	struct aux_call c;
	memset(&c, 0, sizeof(c));
	const char *stage = round == 1 ? "generate" : "refine";
	c.stage = stage;
	c.max_tokens = rc->cfg->strategy.skill_max_tokens;
	cJSON *z = pl_z_json(rc);
	if (round == 1 || !prev) {
		c.id = PROMPT_SKILL;
		c.data = z;
	} else {
		c.id = PROMPT_SKILL_REFINE;
		c.data = cJSON_CreateObject();
		cJSON_AddItemToObject(c.data, "previous_skill", skill_for_prompt(prev->skill));
		char *fb = pl_query_text(rc, "SELECT json FROM feedback WHERE candidate_id = ?", "i",
					 prev->id);
		cJSON *fbj = fb ? cJSON_Parse(fb) : NULL;
		free(fb);
		cJSON_AddItemToObject(c.data, "feedback", fbj ? fbj : cJSON_CreateObject());
		cJSON_AddItemToObject(c.data, "verification", counts_json(rc, prev->id));
		const cJSON *it;
		cJSON_ArrayForEach(it, z)
			cJSON_AddItemToObject(c.data, it->string, cJSON_Duplicate(it, 1));
		cJSON_Delete(z);
	}
	run_progress_begin(rc, stage, round, 1);
	int r = aux_submit(rc, &c);
	if (!r)
		r = pl_wait(rc);
	if (!r && c.status < 0) {
		r = ss_err_set(c.status == SS_EBUDGET ? SS_EBUDGET : SS_EPROVIDER,
			       "round %d: skill generation failed: %s", round,
			       c.error ? c.error : "no result");
		pl_fail(rc, r);
	}
	if (r) {
		aux_release(&c);
		return r;
	}
	char *name = NULL;
	char *body = pl_skill_render(c.result, round, &name);
	char *skill_json = cJSON_PrintUnformatted(c.result);
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT INTO candidates(run_id, round, parent_id, strategy, body, skill_json, status, "
		"created_at) VALUES (?,?,?,?,?,?,'generated',?)");
	if (!s) {
		r = SS_ERR;
	} else {
		store_begin(rc->st);
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, round);
		if (prev && round > 1)
			sqlite3_bind_int64(s, 3, prev->id);
		sqlite3_bind_text(s, 4, "skillgen", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, body, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, skill_json, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, ss_wall_s());
		r = sqlite3_step(s) == SQLITE_DONE ? 0 :
			ss_err_set(SS_ERR, "store: candidate: %s", sqlite3_errmsg(rc->st->db));
		sqlite3_finalize(s);
		if (!r)
			r = store_event(rc->st, rc->run_id, "info", stage, NULL,
					"round %d: candidate '%s' %s (%zu bytes)", round, name,
					round == 1 ? "generated" : "refined", strlen(body));
		if (r)
			store_rollback(rc->st);
		else
			r = store_commit(rc->st);
	}
	run_progress_end(rc);
	free(name);
	free(body);
	free(skill_json);
	aux_release(&c);
	if (!r)
		r = cand_load(rc, round, out);
	return r;
}

/* Early stopping ---------------------------------------------------- */

struct verify_state {
	int *base;             /* baseline outcome per position */
	int has_best, best_g, gamma;
};

static int verify_stop(struct rbatch *b, int prefix, void *payload)
{
	struct verify_state *v = payload;
	struct paired_counts now = { 0, 0, 0, 0 };
	int f_rem = 0, s_rem = 0;
	for (int i = 0; i < prefix; i++)
		stats_add(&now, v->base[i], b->outcome[i]);
	for (int i = prefix; i < b->n; i++) {
		if (v->base[i])
			s_rem++;
		else
			f_rem++;
	}
	return stats_early_stop(&now, f_rem, s_rem, v->has_best, v->best_g, v->gamma) !=
		STATS_CONTINUE;
}

static int agent_concurrency(struct run_ctx *rc)
{
	struct provider_config *p = config_provider(rc->cfg, rc->cfg->agent.m.provider);
	return p && p->concurrency > 0 ? p->concurrency : 8;
}

/* The best net gain of the fully verified rounds before `round`. */
static void best_before(struct run_ctx *rc, int round, int *has_best, int *best_g)
{
	*has_best = 0;
	*best_g = 0;
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT max(net_gain), count(*) FROM candidates WHERE run_id = ? AND round < ? "
		"AND verified_at IS NOT NULL AND early_stopped = 0");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, round);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 1) > 0) {
		*has_best = 1;
		*best_g = sqlite3_column_int(s, 0);
	}
	sqlite3_finalize(s);
}

/* The verification instances of `round` in its seeded order (malloc'd). */
static int *verify_order(struct run_ctx *rc, int round, int *n)
{
	int *ver = pl_split(rc, "ver", n);
	int *order = xmalloc(sizeof(int) * (size_t)(*n + 1));
	int *inst = xmalloc(sizeof(int) * (size_t)(*n + 1));
	stats_verify_order(order, *n, pl_seed(rc, "verify", round));
	for (int i = 0; i < *n; i++)
		inst[i] = ver[order[i]];
	free(order);
	free(ver);
	return inst;
}

/*
 * Which verified instances feed the refinement of the next round: those
 * before the point where early stopping stops verification (or would stop
 * it, when it is off).  With or without early stopping the next round then
 * sees the same cases, so turning it off never changes the selected skill.
 * Returns a flag per rc->insts entry (malloc'd).
 */
static char *feedback_allowed(struct run_ctx *rc, struct cand *c)
{
	int n;
	int *inst = verify_order(rc, c->round, &n);
	char *allowed = xcalloc((size_t)rc->nr_insts + 1, 1);
	int *base = xmalloc(sizeof(int) * (size_t)(n + 1));
	int *skill = xmalloc(sizeof(int) * (size_t)(n + 1));
	int have = 0;
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT base_outcome, skill_outcome FROM verdicts WHERE candidate_id = ? AND instance_id = ?");
	for (int i = 0; s && i < n; i++, have++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, c->id);
		sqlite3_bind_text(s, 2, rc->insts[inst[i]].id, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_ROW)
			break;
		base[i] = sqlite3_column_int(s, 0);
		skill[i] = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	/* the baselines of positions without a verdict (after an early stop) */
	for (int i = have; i < n; i++)
		base[i] = (int)pl_query_int(rc, 0,
			"SELECT outcome FROM rollouts WHERE run_id = ? AND phase = 'base' AND "
			"candidate_id = 0 AND instance_id = ? AND status = 'done'", "tt",
			rc->run_id, rc->insts[inst[i]].id);
	int has_best, best_g;
	best_before(rc, c->round, &has_best, &best_g);
	int gamma = stats_gate_threshold(rc->cfg->strategy.g_abs, rc->cfg->strategy.g_rel, n);
	int stop = have;
	struct paired_counts now = { 0, 0, 0, 0 };
	for (int p = 1; p <= have && p < n; p++) {
		stats_add(&now, base[p - 1], skill[p - 1]);
		int f_rem = 0, s_rem = 0;
		for (int i = p; i < n; i++) {
			if (base[i])
				s_rem++;
			else
				f_rem++;
		}
		if (stats_early_stop(&now, f_rem, s_rem, has_best, best_g, gamma) != STATS_CONTINUE) {
			stop = p;
			break;
		}
	}
	for (int i = 0; i < stop; i++)
		allowed[inst[i]] = 1;
	free(base);
	free(skill);
	free(inst);
	return allowed;
}

static int verify(struct run_ctx *rc, struct cand *c, int gamma)
{
	int n_ver;
	int *inst = verify_order(rc, c->round, &n_ver);
	struct verify_state vs;
	memset(&vs, 0, sizeof(vs));
	vs.base = xmalloc(sizeof(int) * (size_t)(n_ver + 1));
	vs.gamma = gamma;
	/* baseline outcomes (cached from stage 1) */
	for (int i = 0; i < n_ver; i++)
		vs.base[i] = (int)pl_query_int(rc, 0,
			"SELECT outcome FROM rollouts WHERE run_id = ? AND phase = 'base' AND "
			"candidate_id = 0 AND instance_id = ? AND status = 'done'", "tt",
			rc->run_id, rc->insts[inst[i]].id);
	best_before(rc, c->round, &vs.has_best, &vs.best_g);

	struct rbatch b;
	rbatch_init(&b, rc, "cand", "verify", c->id, c->body, inst, n_ver);
	if (rc->cfg->strategy.early_stop) {
		b.stop_fn = verify_stop;
		b.stop_payload = &vs;
		b.window = agent_concurrency(rc);
	}
	run_progress_begin(rc, "verify", c->round, n_ver);
	int r = rbatch_start(&b);
	if (!r)
		r = pl_wait(rc);
	if (r)
		goto cleanup;

	/* counts over the counted prefix, in the seeded order */
	int counted = rbatch_counted(&b);
	struct paired_counts pc = { 0, 0, 0, 0 };
	for (int i = 0; i < counted; i++)
		stats_add(&pc, vs.base[i], b.outcome[i]);
	struct paired_summary sum;
	stats_summarize(&pc, &sum);
	int done_rows = (int)pl_query_int(rc, 0,
		"SELECT count(*) FROM rollouts WHERE run_id = ? AND phase = 'cand' AND "
		"candidate_id = ? AND status = 'done'", "ti", rc->run_id, c->id);
	int saved = n_ver - done_rows;
	if (saved < 0)
		saved = 0;
	store_begin(rc->st);
	sqlite3_stmt *v = store_prepare(rc->st,
		"INSERT OR REPLACE INTO verdicts(candidate_id, instance_id, base_outcome, "
		"skill_outcome, rollout_id) VALUES (?,?,?,?,?)");
	for (int i = 0; v && i < counted && !r; i++) {
		sqlite3_reset(v);
		sqlite3_bind_int64(v, 1, c->id);
		sqlite3_bind_text(v, 2, rc->insts[inst[i]].id, -1, SQLITE_STATIC);
		sqlite3_bind_int(v, 3, vs.base[i]);
		sqlite3_bind_int(v, 4, b.outcome[i]);
		sqlite3_bind_int64(v, 5, b.rid[i]);
		if (sqlite3_step(v) != SQLITE_DONE)
			r = ss_err_set(SS_ERR, "store: verdict: %s", sqlite3_errmsg(rc->st->db));
	}
	sqlite3_finalize(v);
	if (!v)
		r = SS_ERR;
	sqlite3_stmt *u = r ? NULL : store_prepare(rc->st,
		"UPDATE candidates SET status = 'verified', n00 = ?, n01 = ?, n10 = ?, n11 = ?, "
		"m = ?, net_gain = ?, p_value = ?, ci_low = ?, ci_high = ?, early_stopped = ?, "
		"rollouts_saved = ?, verified_at = ? WHERE id = ?");
	if (u) {
		sqlite3_bind_int(u, 1, pc.n00);
		sqlite3_bind_int(u, 2, pc.n01);
		sqlite3_bind_int(u, 3, pc.n10);
		sqlite3_bind_int(u, 4, pc.n11);
		sqlite3_bind_int(u, 5, counted);
		sqlite3_bind_int(u, 6, sum.net_gain);
		sqlite3_bind_double(u, 7, sum.p_value);
		sqlite3_bind_double(u, 8, sum.ci_low);
		sqlite3_bind_double(u, 9, sum.ci_high);
		sqlite3_bind_int(u, 10, b.stop_at >= 0);
		sqlite3_bind_int(u, 11, b.stop_at >= 0 ? saved : 0);
		sqlite3_bind_int64(u, 12, ss_wall_s());
		sqlite3_bind_int64(u, 13, c->id);
		if (sqlite3_step(u) != SQLITE_DONE)
			r = ss_err_set(SS_ERR, "store: candidate counts: %s", sqlite3_errmsg(rc->st->db));
		sqlite3_finalize(u);
	} else if (!r) {
		r = SS_ERR;
	}
	if (!r) {
		if (b.stop_at >= 0)
			store_event(rc->st, rc->run_id, "info", "verify", NULL,
				    "round %d: verification stopped early after %d of %d instances "
				    "(G=%+d cannot beat the best G=%+d); %d rollouts saved",
				    c->round, counted, n_ver, sum.net_gain, vs.best_g, saved);
		r = store_event(rc->st, rc->run_id, "info", "verify", NULL,
				"round %d: G=%+d (%d repairs, %d regressions) on %d", c->round,
				sum.net_gain, pc.n01, pc.n10, counted);
	}
	if (r)
		store_rollback(rc->st);
	else
		r = store_commit(rc->st);
	run_progress_end(rc);
	if (!r) {
		c->verified = 1;
		c->net_gain = sum.net_gain;
		c->m = counted;
		c->early_stopped = b.stop_at >= 0;
	}
cleanup:
	rbatch_release(&b);
	free(vs.base);
	free(inst);
	return r;
}

/* Feedback ---------------------------------------------------------- */

struct case_item {
	char *instance_id;
	const char *kind;
	int64_t skill_rollout;
	struct aux_call call;
	int have;              /* analysis already stored */
	char *analysis;
};

static int sample_cases(struct run_ctx *rc, struct cand *c, struct case_item **out, int *nr)
{
	static const char *const kinds[] = { "repair", "regression", "unresolved" };
	static const int base_of[] = { 0, 1, 0 }, skill_of[] = { 1, 0, 0 };
	int k = rc->cfg->strategy.feedback_samples;
	char *allowed = feedback_allowed(rc, c);
	struct case_item *items = NULL;
	size_t alloc = 0;
	int n = 0;
	for (int kind = 0; kind < 3; kind++) {
		sqlite3_stmt *s = store_prepare(rc->st,
			"SELECT v.instance_id, v.rollout_id, v.analysis FROM verdicts v "
			"JOIN instances i ON i.run_id = ? AND i.id = v.instance_id "
			"WHERE v.candidate_id = ? AND v.base_outcome = ? AND v.skill_outcome = ? "
			"ORDER BY i.idx");
		if (!s) {
			free(allowed);
			return SS_ERR;
		}
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, c->id);
		sqlite3_bind_int(s, 3, base_of[kind]);
		sqlite3_bind_int(s, 4, skill_of[kind]);
		int start = n;
		while (sqlite3_step(s) == SQLITE_ROW) {
			int ix = pl_inst_index(rc, store_col_text(s, 0));
			if (ix < 0 || !allowed[ix])
				continue;
			ALLOC_GROW(items, n + 1, alloc);
			struct case_item *ci = &items[n++];
			memset(ci, 0, sizeof(*ci));
			ci->instance_id = xstrdup(store_col_text(s, 0));
			ci->kind = kinds[kind];
			ci->skill_rollout = sqlite3_column_int64(s, 1);
			if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
				ci->have = 1;
				ci->analysis = xstrdup(store_col_text(s, 2));
			}
		}
		sqlite3_finalize(s);
		/* seeded sample of at most k of this kind, kept in file order */
		int cnt = n - start;
		if (cnt > k) {
			struct ss_rng rng;
			int *pick = xmalloc(sizeof(int) * (size_t)cnt);
			char *keep = xcalloc((size_t)cnt, 1);
			for (int i = 0; i < cnt; i++)
				pick[i] = i;
			ss_rng_seed(&rng, pl_seed(rc, kinds[kind], c->round));
			for (int i = 0; i < k; i++) {
				int j = i + (int)ss_rng_below(&rng, (uint64_t)(cnt - i));
				int t = pick[i];
				pick[i] = pick[j];
				pick[j] = t;
				keep[pick[i]] = 1;
			}
			int w = start;
			for (int i = 0; i < cnt; i++) {
				struct case_item *ci = &items[start + i];
				if (keep[i]) {
					items[w++] = *ci;
				} else {
					free(ci->instance_id);
					free(ci->analysis);
				}
			}
			n = w;
			free(pick);
			free(keep);
		}
	}
	free(allowed);
	*out = items;
	*nr = n;
	return 0;
}

struct case_store {
	struct run_ctx *rc;
	int64_t cand;
	struct case_item *ci;
};

static void on_case_stored(struct aux_call *c, void *payload)
{
	struct case_store *cs = payload;
	if (c->status < 0 || !c->result)
		return;
	char *a = cJSON_PrintUnformatted(c->result);
	sqlite3_stmt *s = store_prepare(cs->rc->st,
		"UPDATE verdicts SET analysis = ? WHERE candidate_id = ? AND instance_id = ?");
	if (s) {
		sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, cs->cand);
		sqlite3_bind_text(s, 3, cs->ci->instance_id, -1, SQLITE_STATIC);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	free(cs->ci->analysis);
	cs->ci->analysis = a;
	run_progress_add(cs->rc, 1);
}

static cJSON *case_data(struct run_ctx *rc, struct cand *c, struct case_item *ci)
{
	cJSON *d = cJSON_CreateObject();
	char *cid = xasprintf("C:%s", ci->instance_id);
	cJSON_AddStringToObject(d, "case", cid);
	free(cid);
	cJSON_AddStringToObject(d, "kind", ci->kind);
	cJSON_AddStringToObject(d, "skill", c->body);
	int k = pl_inst_index(rc, ci->instance_id);
	char *t = prompt_clip(k >= 0 ? rc->insts[k].input : "", 3000);
	cJSON_AddStringToObject(d, "input", t);
	free(t);
	cJSON_AddStringToObject(d, "expected", k >= 0 && rc->insts[k].expected ? rc->insts[k].expected : "");
	int64_t base_id = pl_query_int(rc, 0,
		"SELECT id FROM rollouts WHERE run_id = ? AND phase = 'base' AND candidate_id = 0 "
		"AND instance_id = ?", "tt", rc->run_id, ci->instance_id);
	cJSON *wo = pl_rollout_json(rc, base_id, 0);
	cJSON *w = pl_rollout_json(rc, ci->skill_rollout, 1);
	cJSON *wo2 = cJSON_CreateObject(), *w2 = cJSON_CreateObject();
	cJSON_AddItemToObject(wo2, "output", cJSON_DetachItemFromObject(wo, "output"));
	cJSON_AddItemToObject(wo2, "outcome", cJSON_DetachItemFromObject(wo, "outcome"));
	cJSON_AddItemToObject(w2, "output", cJSON_DetachItemFromObject(w, "output"));
	cJSON_AddItemToObject(w2, "outcome", cJSON_DetachItemFromObject(w, "outcome"));
	cJSON_AddItemToObject(w2, "trajectory", cJSON_DetachItemFromObject(w, "trajectory"));
	cJSON_Delete(wo);
	cJSON_Delete(w);
	cJSON_AddItemToObject(d, "without_skill", wo2);
	cJSON_AddItemToObject(d, "with_skill", w2);
	return d;
}

static int feedback(struct run_ctx *rc, struct cand *c)
{
	if (pl_query_int(rc, 0, "SELECT count(*) FROM feedback WHERE candidate_id = ?", "i", c->id))
		return 0;
	struct case_item *items = NULL;
	int n = 0, r;
	if ((r = sample_cases(rc, c, &items, &n)) < 0)
		return r;
	struct case_store *cs = xcalloc((size_t)(n + 1), sizeof(*cs));
	int todo = 0;
	for (int i = 0; i < n; i++)
		todo += !items[i].have;
	run_progress_begin(rc, "feedback", c->round, todo + 1);
	for (int i = 0; i < n && !r; i++) {
		if (items[i].have)
			continue;
		cs[i].rc = rc;
		cs[i].cand = c->id;
		cs[i].ci = &items[i];
		struct aux_call *a = &items[i].call;
		a->id = PROMPT_CASE_ANALYSIS;
		a->stage = "feedback";
		a->data = case_data(rc, c, &items[i]);
		a->done = on_case_stored;
		a->payload = &cs[i];
		r = aux_submit(rc, a);
	}
	if (!r)
		r = pl_wait(rc);
	struct aux_call fb;
	memset(&fb, 0, sizeof(fb));
	cJSON *fbj = NULL;
	if (!r) {
		/* aggregate, in the fixed order of the sample */
		cJSON *cases = cJSON_CreateArray();
		for (int i = 0; i < n; i++) {
			cJSON *an = items[i].analysis ? cJSON_Parse(items[i].analysis) : NULL;
			if (!an)
				continue;
			cJSON *e = cJSON_CreateObject();
			char *cid = xasprintf("C:%s", items[i].instance_id);
			cJSON_AddStringToObject(e, "case", cid);
			free(cid);
			cJSON_AddStringToObject(e, "kind", items[i].kind);
			const cJSON *it;
			cJSON_ArrayForEach(it, an)
				cJSON_AddItemToObject(e, it->string, cJSON_Duplicate(it, 1));
			cJSON_AddItemToArray(cases, e);
			cJSON_Delete(an);
		}
		if (cJSON_GetArraySize(cases) == 0) {
			cJSON_Delete(cases);
			fbj = cJSON_Parse("{\"keep\":[],\"remove\":[],\"add\":[],\"emphasize\":[]}");
		} else {
			fb.id = PROMPT_FEEDBACK;
			fb.stage = "feedback";
			fb.data = cJSON_CreateObject();
			cJSON_AddItemToObject(fb.data, "skill", skill_for_prompt(c->skill));
			cJSON_AddItemToObject(fb.data, "verification", counts_json(rc, c->id));
			cJSON_AddItemToObject(fb.data, "cases", cases);
			r = aux_submit(rc, &fb);
			if (!r)
				r = pl_wait(rc);
			if (!r && fb.status < 0)
				r = ss_err_set(SS_EPROVIDER, "round %d: feedback failed: %s", c->round,
					       fb.error ? fb.error : "no result");
			if (!r)
				fbj = cJSON_Duplicate(fb.result, 1);
		}
	}
	if (!r) {
		char *txt = cJSON_PrintUnformatted(fbj);
		sqlite3_stmt *s = store_prepare(rc->st,
			"INSERT OR REPLACE INTO feedback(run_id, candidate_id, json) VALUES (?,?,?)");
		if (s) {
			sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, c->id);
			sqlite3_bind_text(s, 3, txt, -1, SQLITE_STATIC);
			if (sqlite3_step(s) != SQLITE_DONE)
				r = ss_err_set(SS_ERR, "store: feedback: %s", sqlite3_errmsg(rc->st->db));
			sqlite3_finalize(s);
		} else {
			r = SS_ERR;
		}
		free(txt);
		if (!r) {
			int nk = cJSON_GetArraySize(cJSON_GetObjectItem(fbj, "keep"));
			int nr = cJSON_GetArraySize(cJSON_GetObjectItem(fbj, "remove"));
			int na = cJSON_GetArraySize(cJSON_GetObjectItem(fbj, "add"));
			int ne = cJSON_GetArraySize(cJSON_GetObjectItem(fbj, "emphasize"));
			store_event(rc->st, rc->run_id, "info", "feedback", NULL,
				    "round %d: feedback from %d cases: keep %d, remove %d, add %d, "
				    "emphasize %d", c->round, n, nk, nr, na, ne);
		}
		run_progress_end(rc);
	}
	pl_fail(rc, r);
	cJSON_Delete(fbj);
	aux_release(&fb);
	for (int i = 0; i < n; i++) {
		aux_release(&items[i].call);
		free(items[i].instance_id);
		free(items[i].analysis);
	}
	free(items);
	free(cs);
	return r;
}

int pipeline_rounds(struct run_ctx *rc)
{
	int K = rc->cfg->strategy.rounds;
	int n_ver;
	free(pl_split(rc, "ver", &n_ver));
	int gamma = stats_gate_threshold(rc->cfg->strategy.g_abs, rc->cfg->strategy.g_rel, n_ver);
	struct cand prev, cur;
	memset(&prev, 0, sizeof(prev));
	int r = 0;
	for (int round = 1; round <= K && !r; round++) {
		if (cand_load(rc, round, &cur) == SS_ENOTFOUND)
			r = generate(rc, round, round > 1 ? &prev : NULL, &cur);
		int rejected = 0;
		if (!r && !cur.verified && rc->cfg->approval != APPROVAL_NONE)
			r = pl_approve_candidate(rc, cur.id, round, &rejected);
		if (!r && !rejected && !cur.verified)
			r = verify(rc, &cur, gamma);
		if (!r && !rejected && !cur.commit)
			r = pl_commit_candidate(rc, cur.id);
		if (!r && !rejected && round < K)
			r = feedback(rc, &cur);
		cand_release(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
	}
	cand_release(&prev);
	return r;
}

/* ================================================================== */
/* Selection and the gate                                             */

int pipeline_select(struct run_ctx *rc)
{
	if (pl_query_int(rc, 0, "SELECT selected_candidate FROM runs WHERE id = ?", "t", rc->run_id) &&
	    pl_query_int(rc, 0, "SELECT count(*) FROM runs WHERE id = ? AND final_status IS NOT NULL",
			 "t", rc->run_id))
		return pl_tag_selected(rc);
	int K = rc->cfg->strategy.rounds;
	int n_ver;
	free(pl_split(rc, "ver", &n_ver));
	int gamma = stats_gate_threshold(rc->cfg->strategy.g_abs, rc->cfg->strategy.g_rel, n_ver);
	int *g = xcalloc((size_t)K + 1, sizeof(int));
	int *full = xcalloc((size_t)K + 1, sizeof(int));
	int64_t *ids = xcalloc((size_t)K + 1, sizeof(int64_t));
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT round, id, net_gain, early_stopped FROM candidates WHERE run_id = ? "
		"AND verified_at IS NOT NULL ORDER BY round");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int round = sqlite3_column_int(s, 0);
		if (round < 1 || round > K)
			continue;
		ids[round - 1] = sqlite3_column_int64(s, 1);
		g[round - 1] = sqlite3_column_int(s, 2);
		full[round - 1] = !sqlite3_column_int(s, 3);
	}
	sqlite3_finalize(s);
	int best = stats_select_best(g, full, K);
	int r = 0;
	if (best < 0) {
		r = ss_err_set(SS_ERR, "run %s: no verified candidate to select", rc->run_id);
		goto cleanup;
	}
	int active = g[best] >= gamma;
	run_progress_begin(rc, "select", 0, 1);
	store_begin(rc->st);
	s = store_prepare(rc->st,
		"UPDATE runs SET selected_candidate = ?, final_status = ?, gate_threshold = ? WHERE id = ?");
	if (s) {
		sqlite3_bind_int64(s, 1, ids[best]);
		sqlite3_bind_text(s, 2, active ? "active" : "deprecated", -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, gamma);
		sqlite3_bind_text(s, 4, rc->run_id, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			r = ss_err_set(SS_ERR, "store: select: %s", sqlite3_errmsg(rc->st->db));
		sqlite3_finalize(s);
	}
	if (!r) {
		char *sql = xasprintf("UPDATE candidates SET status = 'selected' WHERE id = %lld",
				      (long long)ids[best]);
		r = store_exec(rc->st, sql);
		free(sql);
	}
	if (!r)
		r = store_event(rc->st, rc->run_id, "stage", "select", NULL,
				"selected round %d: G=%+d against the gate %d: %s", best + 1, g[best],
				gamma, active ? "active" : "deprecated");
	if (r)
		store_rollback(rc->st);
	else
		r = store_commit(rc->st);
	run_progress_end(rc);
	if (!r)
		r = pl_tag_selected(rc);
cleanup:
	free(g);
	free(full);
	free(ids);
	return r;
}

/* ================================================================== */
/* Stage 4: held-out test                                             */

int pipeline_test(struct run_ctx *rc)
{
	int n_test;
	int *test = pl_split(rc, "test", &n_test);
	char *status = pl_query_text(rc, "SELECT final_status FROM runs WHERE id = ?", "t", rc->run_id);
	int64_t sel = pl_query_int(rc, 0, "SELECT selected_candidate FROM runs WHERE id = ?", "t",
				   rc->run_id);
	int active = status && !strcmp(status, "active");
	char *body = active ? pl_query_text(rc, "SELECT body FROM candidates WHERE id = ?", "i", sel)
			    : NULL;
	struct rbatch tb, ts;
	rbatch_init(&tb, rc, "test_base", "test", 0, NULL, test, n_test);
	rbatch_init(&ts, rc, "test_skill", "test", sel, body, test, active ? n_test : 0);
	run_progress_begin(rc, "test", 0, tb.n + ts.n);
	int r = rbatch_start(&tb);
	if (!r)
		r = rbatch_start(&ts);
	if (!r)
		r = pl_wait(rc);
	if (!r) {
		run_progress_end(rc);
		if (!pl_query_int(rc, 0, "SELECT count(*) FROM events WHERE run_id = ? AND kind = 'stage' "
				  "AND stage = 'test'", "t", rc->run_id)) {
			int b = 0, k = 0;
			for (int i = 0; i < n_test; i++) {
				b += tb.outcome[i] == 1;
				k += active ? ts.outcome[i] == 1 : tb.outcome[i] == 1;
			}
			store_event(rc->st, rc->run_id, "stage", "test", NULL,
				    "held-out test on %d: base %d, with skill %d%s", n_test, b, k,
				    active ? "" : " (deprecated: the baseline is reused)");
		}
	}
	rbatch_release(&tb);
	rbatch_release(&ts);
	free(body);
	free(status);
	free(test);
	return r;
}

/* ================================================================== */
/* The whole run                                                      */

int pipeline_run(struct run_ctx *rc)
{
	int r = run_ctx_connect(rc);
	if (r < 0)
		return r;
	rc->status = 0;
	run_set_state(rc, "running", NULL);
	store_event(rc->st, rc->run_id, "info", NULL, NULL, "%s run %s (pid %d)",
		    rc->created ? "starting" : "resuming", rc->run_id, (int)getpid());
	if (!r)
		r = pipeline_baseline(rc);
	int edit = rc->cfg->strategy.kind == STRATEGY_EDIT;
	if (!r && !edit)
		r = pipeline_induce(rc);
	if (!r)
		r = edit ? pipeline_edit_steps(rc) : pipeline_rounds(rc);
	if (!r)
		r = edit ? pipeline_edit_select(rc) : pipeline_select(rc);
	if (!r && !edit)
		r = pipeline_attribute(rc);
	if (!r)
		r = pipeline_test(rc);
	if (!r)
		r = pl_tag_selected(rc);   /* the note now holds the test figures too */
	if (!r) {
		run_set_stage(rc, "done", edit ? rc->cfg->strategy.epochs * rc->cfg->strategy.steps_per_epoch
					       : rc->cfg->strategy.rounds);
		run_set_state(rc, "done", NULL);
		store_event(rc->st, rc->run_id, "stage", "done", NULL, "run %s finished", rc->run_id);
		return 0;
	}
	if (pipeline_stop_requested())
		r = SS_ESTOPPED;
	const char *msg = ss_err_last();
	if (r == SS_ESTOPPED) {
		msg = "stopped on request; run the same command again to resume";
	} else if (r == SS_EBUDGET) {
		msg = "budget cap reached; raise budget.max_tokens / budget.max_cost and run "
		      "the same command again to resume";
	}
	char *m = xstrdup(msg && *msg ? msg : "failed");
	run_set_state(rc, r == SS_ESTOPPED || r == SS_EBUDGET || r == SS_EPROVIDER ? "stopped"
									       : "failed", m);
	store_event(rc->st, rc->run_id, r == SS_ESTOPPED ? "info" : "error", rc->stage, NULL,
		    "%s", m);
	ss_err_set(r, "%s", m);
	free(m);
	return r;
}

/* For the edit strategy (pipeline_edit.c). */
int pl_cand_load(struct run_ctx *rc, int round, struct cand *c)
{
	return cand_load(rc, round, c);
}

void pl_cand_release(struct cand *c)
{
	cand_release(c);
}

int pl_verify(struct run_ctx *rc, struct cand *c, int gamma)
{
	return verify(rc, c, gamma);
}
