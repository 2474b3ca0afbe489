/*
 * The edit strategy (SkillOpt): bounded, verified edits of one skill.
 *
 * Epochs of steps.  Each step rolls the current skill out on a seeded batch
 * of induction instances, asks the optimizer for edits on the failures (and
 * on the successes unless edit.success_reflection is off), merges and ranks
 * them, applies at most the learning rate in force, and verifies the
 * resulting candidate on the verification split.  The candidate is kept
 * only if its net gain over the no-skill baseline strictly improves on the
 * current skill's (the same comparison as a strictly higher score, since
 * both are paired with the same baseline).  Rejected edits, by the gate or
 * by hand, go to a buffer that later reflection prompts see.  At the end of
 * each epoch a slow update compares the skill of the epoch's start with the
 * current one on the same instances and keeps optimizer-side notes (the
 * meta-skill).  Neither the buffer nor the notes reach SKILL.md.
 *
 * Candidates are rows of `candidates` with round = the global step number;
 * edits are rows of `edits`; the step's progress lives in run_state:
 *   edit.current          id of the current skill's candidate (0: none yet)
 *   edit.step.<t>         "done" once step t has decided
 *   edit.epoch.<e>.start  the current candidate when epoch e began
 *   edit.slow.<e>         "done" once epoch e's slow update is stored
 *   edit.meta             JSON array of the meta-skill's notes
 *   edit.guidance         the last slow update's guidance
 * so a run killed at any point resumes without redoing a decided step.
 *
 * Approval by hand: with approval.policy "edits" every edit the step would
 * apply waits for a decision; with "candidates" the candidate waits before
 * it is verified.  Decisions are rows of `decisions` (from the dashboard or
 * `skillsmith approve|reject`); a run stopped while waiting waits again
 * when resumed.  Early stopping of verification is not used here: the
 * acceptance test needs the candidate's full count.
 */
#include "pipeline_int.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/config.h"
#include "skillsmith/edits.h"
#include "skillsmith/skill.h"
#include "skillsmith/stats.h"
#include "skillsmith/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REFLECT_CASES 8      /* cases shown per reflection call */
#define BUFFER_SHOWN 20      /* rejected edits shown to the optimizer */
#define META_NOTES 20        /* notes kept in the meta-skill */

static int total_steps(const struct config *cfg)
{
	return cfg->strategy.epochs * cfg->strategy.steps_per_epoch;
}

static int64_t state_int(struct run_ctx *rc, const char *key, int64_t dflt)
{
	char *v = store_state_get(rc->st, rc->run_id, key);
	int64_t x = v ? strtoll(v, NULL, 10) : dflt;
	free(v);
	return x;
}

static int state_set_int(struct run_ctx *rc, const char *key, int64_t x)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", (long long)x);
	return store_state_set(rc->st, rc->run_id, key, v);
}

static int state_done(struct run_ctx *rc, const char *fmt, int n)
{
	char key[64];
	snprintf(key, sizeof(key), fmt, n);
	char *v = store_state_get(rc->st, rc->run_id, key);
	int done = v && !strcmp(v, "done");
	free(v);
	return done;
}

/* The starting skill: the three sections, no rules yet.  Rolled out, it
 * is the same as no skill, so the baseline stands for it. */
static char *initial_skill(struct run_ctx *rc)
{
	char *slug = skill_slug(rc->cfg->name ? rc->cfg->name : "task");
	char *md = xasprintf("---\nname: %s\ndescription: Procedures and lessons for the %s task "
			     "family, learned by bounded edits verified on held-out instances.\n"
			     "---\n\n## Context\n\n## Success patterns\n\n## Failure lessons\n",
			     slug, rc->cfg->name ? rc->cfg->name : "task");
	free(slug);
	return md;
}

/* The current skill's body and net gain. */
static char *current_skill(struct run_ctx *rc, int64_t cur, int *gain)
{
	*gain = 0;
	if (!cur)
		return initial_skill(rc);
	*gain = (int)pl_query_int(rc, 0, "SELECT net_gain FROM candidates WHERE id = ?", "i", cur);
	char *body = pl_query_text(rc, "SELECT body FROM candidates WHERE id = ?", "i", cur);
	return body ? body : initial_skill(rc);
}

/* The seeded batch of induction instances of step t. */
static int *step_batch(struct run_ctx *rc, int t, int *n)
{
	int n_ind;
	int *ind = pl_split(rc, "ind", &n_ind);
	int want = rc->cfg->strategy.batch_size;
	if (want > n_ind)
		want = n_ind;
	int *order = xmalloc(sizeof(int) * (size_t)(n_ind + 1));
	stats_verify_order(order, n_ind, pl_seed(rc, "edit-batch", t));
	int *batch = xmalloc(sizeof(int) * (size_t)(want + 1));
	for (int i = 0; i < want; i++)
		batch[i] = ind[order[i]];
	/* file order, so the prompt does not depend on the shuffle's tail */
	for (int i = 1; i < want; i++)
		for (int j = i; j > 0 && batch[j - 1] > batch[j]; j--) {
			int x = batch[j];
			batch[j] = batch[j - 1];
			batch[j - 1] = x;
		}
	free(order);
	free(ind);
	*n = want;
	return batch;
}

/* The rejected-edit buffer as prompt lines, newest last. */
static cJSON *rejected_buffer(struct run_ctx *rc)
{
	cJSON *arr = cJSON_CreateArray();
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT op, target, content, reason FROM (SELECT * FROM edits WHERE run_id = ? AND "
		"status = 'rejected' ORDER BY id DESC LIMIT ?) ORDER BY id");
	if (!s)
		return arr;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, BUFFER_SHOWN);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct skill_edit e;
		struct buf line = BUF_INIT;
		memset(&e, 0, sizeof(e));
		int op = edit_op_parse(store_col_text(s, 0));
		e.op = op < 0 ? EDIT_APPEND : (enum edit_op)op;
		e.target = (char *)store_col_text(s, 1);
		e.content = (char *)store_col_text(s, 2);
		edits_render(&line, &e, store_col_text(s, 3));
		buf_trim(&line);
		cJSON_AddItemToArray(arr, cJSON_CreateString(line.buf));
		buf_release(&line);
	}
	sqlite3_finalize(s);
	return arr;
}

static cJSON *meta_notes(struct run_ctx *rc)
{
	char *v = store_state_get(rc->st, rc->run_id, "edit.meta");
	cJSON *j = v ? cJSON_Parse(v) : NULL;
	free(v);
	return cJSON_IsArray(j) ? j : (cJSON_Delete(j), cJSON_CreateArray());
}

static int set_cand_status(struct run_ctx *rc, int64_t id, const char *status)
{
	sqlite3_stmt *s = store_prepare(rc->st, "UPDATE candidates SET status = ? WHERE id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 :
		ss_err_set(SS_ERR, "store: candidate: %s", sqlite3_errmsg(rc->st->db));
	sqlite3_finalize(s);
	return r;
}

/* ----------------------------------------------------------- approval */

/*
 * Wait for a person's decision on (subject, id).  Returns 1 approved,
 * 0 rejected (reason in *reason, malloc'd), or < 0 (stopped).  The run is
 * 'waiting' meanwhile; the timeout of the config decides when nobody
 * answers.  The decision row is marked applied.
 */
static int await_decision(struct run_ctx *rc, const char *subject, int64_t id,
			  const char *what, char **reason)
{
	const struct config *cfg = rc->cfg;
	int64_t t0 = ss_now_ms();
	int announced = 0;
	*reason = NULL;
	for (;;) {
		sqlite3_stmt *s = store_prepare(rc->st,
			"SELECT id, decision, reason, who FROM decisions WHERE run_id = ? AND subject = ? "
			"AND subject_id = ? ORDER BY id DESC LIMIT 1");
		if (!s)
			return SS_ERR;
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, id);
		int found = 0, approve = 0;
		int64_t did = 0;
		char *who = NULL;
		if (sqlite3_step(s) == SQLITE_ROW) {
			found = 1;
			did = sqlite3_column_int64(s, 0);
			approve = !strcmp(store_col_text(s, 1), "approve");
			if (sqlite3_column_type(s, 2) != SQLITE_NULL)
				*reason = xstrdup(store_col_text(s, 2));
			who = xstrdup(store_col_text(s, 3));
		}
		sqlite3_finalize(s);
		if (found) {
			store_begin(rc->st);
			char *sql = xasprintf("UPDATE decisions SET applied_at = %lld WHERE id = %lld "
					      "AND applied_at IS NULL", (long long)ss_wall_s(),
					      (long long)did);
			int r = store_exec(rc->st, sql);
			free(sql);
			if (!r)
				r = store_event(rc->st, rc->run_id, "decision", "edit", NULL,
						"%s %s by %s%s%s", what, approve ? "approved" : "rejected",
						who, *reason ? ": " : "", *reason ? *reason : "");
			if (!r)
				r = run_set_state(rc, "running", NULL);
			r = store_end(rc->st, r);
			free(who);
			if (r)
				return r;
			return approve;
		}
		if (!announced) {
			run_set_state(rc, "waiting", NULL);
			store_event(rc->st, rc->run_id, "info", "approval", NULL,
				    "waiting for approval of %s (skillsmith approve|reject %s:%lld)",
				    what, subject, (long long)id);
			if (rc->headless && !rc->quiet)
				fprintf(stderr, "[%s] waiting for approval of %s: skillsmith approve|reject "
					"%s:%lld\n", rc->run_id, what, subject, (long long)id);
			announced = 1;
		}
		if (pipeline_stop_requested())
			return SS_ESTOPPED;
		if (cfg->approval_timeout_s > 0 &&
		    ss_now_ms() - t0 >= (int64_t)cfg->approval_timeout_s * 1000 &&
		    cfg->approval_on_timeout != ON_TIMEOUT_WAIT) {
			int yes = cfg->approval_on_timeout == ON_TIMEOUT_APPROVE;
			sqlite3_stmt *ins = store_prepare(rc->st,
				"INSERT INTO decisions(run_id, subject, subject_id, decision, reason, who, at) "
				"VALUES (?,?,?,?,?,'timeout',?)");
			if (!ins)
				return SS_ERR;
			char *why = xasprintf("no answer within %d s", cfg->approval_timeout_s);
			sqlite3_bind_text(ins, 1, rc->run_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 2, subject, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 3, id);
			sqlite3_bind_text(ins, 4, yes ? "approve" : "reject", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 5, why, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 6, ss_wall_s());
			int ok = sqlite3_step(ins) == SQLITE_DONE;
			sqlite3_finalize(ins);
			free(why);
			if (!ok)
				return ss_err_set(SS_ERR, "store: decision: %s", sqlite3_errmsg(rc->st->db));
			continue;   /* picked up as a decision above */
		}
		usleep(200 * 1000);
	}
}

int pl_approve_candidate(struct run_ctx *rc, int64_t cand_id, int round, int *rejected)
{
	*rejected = 0;
	char *st = pl_query_text(rc, "SELECT status FROM candidates WHERE id = ?", "i", cand_id);
	int was = st && !strcmp(st, "rejected");
	free(st);
	if (was) {
		*rejected = 1;
		return 0;
	}
	char *what = xasprintf("candidate of round %d", round), *reason = NULL;
	int d = await_decision(rc, "candidate", cand_id, what, &reason);
	free(what);
	if (d != 0) {
		free(reason);
		return d < 0 ? d : 0;
	}
	*rejected = 1;
	/* the refinement of the next round sees the reason as feedback */
	cJSON *fb = cJSON_CreateObject();
	cJSON_AddItemToObject(fb, "keep", cJSON_CreateArray());
	cJSON *rm = cJSON_AddArrayToObject(fb, "remove");
	cJSON_AddItemToObject(fb, "add", cJSON_CreateArray());
	cJSON_AddItemToObject(fb, "emphasize", cJSON_CreateArray());
	cJSON *it = cJSON_CreateObject();
	char *rule = xasprintf("the whole candidate was rejected by hand%s%s", reason ? ": " : "",
			       reason ? reason : "");
	cJSON_AddStringToObject(it, "rule", rule);
	cJSON_AddItemToObject(it, "evidence", cJSON_CreateArray());
	cJSON_AddItemToArray(rm, it);
	char *json = cJSON_PrintUnformatted(fb);
	store_begin(rc->st);
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT OR REPLACE INTO feedback(run_id, candidate_id, json) VALUES (?,?,?)");
	int r = s ? 0 : SS_ERR;
	if (s) {
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, cand_id);
		sqlite3_bind_text(s, 3, json, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			r = ss_err_set(SS_ERR, "store: feedback: %s", sqlite3_errmsg(rc->st->db));
		sqlite3_finalize(s);
	}
	if (!r) {
		r = set_cand_status(rc, cand_id, "rejected");
	}
	r = store_end(rc->st, r);
	free(json);
	free(rule);
	free(reason);
	cJSON_Delete(fb);
	return r;
}

/* ------------------------------------------------------------ a step */

struct proposals {
	struct aux_call call[2];
	int n;
};

static cJSON *reflect_data(struct run_ctx *rc, const char *skill, const char *mode,
			   struct rbatch *b, int want_outcome, int t, int epoch, int lr)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "skill", skill);
	cJSON_AddStringToObject(d, "mode", mode);
	cJSON *cases = cJSON_AddArrayToObject(d, "cases");
	int shown = 0;
	for (int i = 0; i < b->n && shown < REFLECT_CASES; i++) {
		if (b->outcome[i] != want_outcome || !b->rid[i])
			continue;
		cJSON *c = pl_rollout_json(rc, b->rid[i], 1);
		if (c) {
			cJSON_ReplaceItemInObject(c, "id",
				cJSON_CreateString(rc->insts[b->inst[i]].id));
			cJSON_AddItemToArray(cases, c);
			shown++;
		}
	}
	cJSON_AddItemToObject(d, "rejected_edits", rejected_buffer(rc));
	cJSON_AddItemToObject(d, "meta_notes", meta_notes(rc));
	char *g = store_state_get(rc->st, rc->run_id, "edit.guidance");
	cJSON_AddStringToObject(d, "guidance", g ? g : "");
	free(g);
	cJSON_AddNumberToObject(d, "learning_rate", lr);
	cJSON_AddNumberToObject(d, "step", t);
	cJSON_AddNumberToObject(d, "epoch", epoch);
	if (!shown) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/* Insert an edit row; returns its id or 0. */
static int64_t insert_edit(struct run_ctx *rc, int t, int epoch, const struct skill_edit *e,
			   int rank, const char *status, const char *reason, double before)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT INTO edits(run_id, step, epoch, op, target, content, evidence, rank, status, "
		"reason, score_before, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return 0;
	cJSON *ev = cJSON_CreateArray();
	for (int i = 0; e->evidence && e->evidence[i]; i++)
		cJSON_AddItemToArray(ev, cJSON_CreateString(e->evidence[i]));
	char *evs = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, t);
	sqlite3_bind_int(s, 3, epoch);
	sqlite3_bind_text(s, 4, edit_op_name(e->op), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, e->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, e->content, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, evs, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 8, rank);
	sqlite3_bind_text(s, 9, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, reason, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 11, before);
	sqlite3_bind_int64(s, 12, ss_wall_s());
	int64_t id = sqlite3_step(s) == SQLITE_DONE ? sqlite3_last_insert_rowid(rc->st->db) : 0;
	sqlite3_finalize(s);
	free(evs);
	return id;
}

static int set_edit(struct run_ctx *rc, int64_t id, const char *status, const char *reason,
		    int64_t cand, double after, int has_after)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"UPDATE edits SET status = ?, reason = coalesce(?, reason), "
		"candidate_id = coalesce(?, candidate_id), score_after = coalesce(?, score_after) "
		"WHERE id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	if (cand)
		sqlite3_bind_int64(s, 3, cand);
	if (has_after)
		sqlite3_bind_double(s, 4, after);
	sqlite3_bind_int64(s, 5, id);
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 :
		ss_err_set(SS_ERR, "store: edit: %s", sqlite3_errmsg(rc->st->db));
	sqlite3_finalize(s);
	return r;
}

/*
 * Propose, merge, rank and apply the edits of step t: the edits rows, and
 * the candidate row if any edit applies.  Done once per step: on resume
 * the rows already written are used.
 */
static int propose(struct run_ctx *rc, int t, int epoch, int64_t cur, const char *skill,
		   int cur_gain)
{
	if (pl_query_int(rc, 0, "SELECT count(*) FROM edits WHERE run_id = ? AND step = ?", "ti",
			 rc->run_id, t))
		return 0;
	int n;
	int *batch = step_batch(rc, t, &n);
	struct rbatch b;
	rbatch_init(&b, rc, cur ? "edit" : "base", "edit", cur, cur ? skill : NULL, batch, n);
	run_progress_begin(rc, "edit", t, n);
	int r = rbatch_start(&b);
	if (!r)
		r = pl_wait(rc);
	run_progress_end(rc);
	int steps = total_steps(rc->cfg);
	int lr = edits_learning_rate(rc->cfg->strategy.learning_rate, rc->cfg->strategy.schedule,
				     t - 1, steps);
	struct proposals p;
	memset(&p, 0, sizeof(p));
	if (!r) {
		static const char *const modes[] = { "failures", "successes" };
		for (int k = 0; k < 2; k++) {
			if (k == 1 && !rc->cfg->strategy.success_reflection)
				continue;
			cJSON *d = reflect_data(rc, skill, modes[k], &b, k, t, epoch, lr);
			if (!d)
				continue;
			struct aux_call *c = &p.call[p.n++];
			c->id = PROMPT_EDITS;
			c->data = d;
			c->stage = "reflect";
			if ((r = aux_submit(rc, c)) < 0)
				break;
		}
		run_progress_begin(rc, "reflect", t, p.n);
		if (!r)
			r = pl_wait(rc);
		run_progress_end(rc);
	}
	for (int k = 0; !r && k < p.n; k++)
		if (p.call[k].status < 0)
			r = ss_err_set(p.call[k].status == SS_EBUDGET ? SS_EBUDGET : SS_EPROVIDER,
				       "step %d: reflection failed: %s", t,
				       p.call[k].error ? p.call[k].error : "no result");
	if (r) {
		pl_fail(rc, r);
		goto cleanup;
	}

	/* all proposals, failures first, in one ranked list */
	struct skill_edit *all = NULL;
	int nall = 0;
	struct buf skipped = BUF_INIT;
	for (int k = 0; k < p.n; k++) {
		struct skill_edit *v;
		int m = edits_parse(cJSON_GetObjectItem(p.call[k].result, "edits"), &v, &skipped);
		all = xrealloc(all, sizeof(*all) * (size_t)(nall + m + 1));
		for (int i = 0; i < m; i++) {
			v[i].order = nall + i;
			all[nall + i] = v[i];
		}
		free(v);
		nall += m;
	}
	int proposed = nall;
	nall = edits_merge_rank(all, nall);

	/* apply in rank order, at most lr of them */
	char *body = xstrdup(skill);
	int applied = 0;
	int64_t *ids = xcalloc((size_t)nall + 1, sizeof(int64_t));
	int *ok = xcalloc((size_t)nall + 1, sizeof(int));
	store_begin(rc->st);
	for (int i = 0; i < nall && !r; i++) {
		const char *status = "proposed", *reason = NULL;
		char *why = NULL, *next = NULL;
		if (applied >= lr) {
			reason = "beyond the learning rate of this step";
			status = "merged";
		} else if (edit_apply(body, &all[i], &next, &why) < 0) {
			status = "rejected";
			reason = why;
		} else {
			free(body);
			body = next;
			applied++;
			ok[i] = 1;
		}
		ids[i] = insert_edit(rc, t, epoch, &all[i], i + 1, status, reason, cur_gain);
		if (!ids[i])
			r = ss_err_set(SS_ERR, "store: edit: %s", sqlite3_errmsg(rc->st->db));
		free(why);
	}
	if (!r) {
		char key[64], *info = xasprintf("{\"epoch\":%d,\"proposed\":%d,\"merged\":%d,"
						"\"learning_rate\":%d,\"score_before\":%d}",
						epoch, proposed, nall, lr, cur_gain);
		snprintf(key, sizeof(key), "edit.stepinfo.%d", t);
		r = store_state_set(rc->st, rc->run_id, key, info);
		free(info);
	}
	if (!r)
		r = store_event(rc->st, rc->run_id, "info", "edit", NULL,
				"step %d: %d edits proposed, %d after merging, %d applied "
				"(learning rate %d)%s%s", t, proposed, nall, applied, lr,
				skipped.len ? "; skipped: " : "", skipped.len ? skipped.buf : "");
	r = store_end(rc->st, r);

	free(body);
	free(ids);
	free(ok);
	buf_release(&skipped);
	edits_free(all, nall);
cleanup:
	for (int k = 0; k < p.n; k++)
		aux_release(&p.call[k]);
	rbatch_release(&b);
	free(batch);
	return r;
}

/*
 * Build step t's candidate from its edits rows: in rank order, the edits
 * the step applies (waiting for a person's decision on each when approval
 * is "edits"), applied to the current skill.  Done once: an existing
 * candidate row ends it, so a resumed run picks up where it waited.
 */
static int build_candidate(struct run_ctx *rc, int t, int64_t cur, const char *skill)
{
	if (pl_query_int(rc, 0, "SELECT count(*) FROM candidates WHERE run_id = ? AND round = ?",
			 "ti", rc->run_id, t))
		return 0;
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT id, op, target, content, status FROM edits WHERE run_id = ? AND step = ? "
		"AND status IN ('proposed', 'pending', 'approved') ORDER BY rank");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, t);
	struct skill_edit *v = NULL;
	int64_t *ids = NULL;
	char **status = NULL;
	int n = 0, alloc = 0, ialloc = 0, salloc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(v, n + 1, alloc);
		ALLOC_GROW(ids, n + 1, ialloc);
		ALLOC_GROW(status, n + 1, salloc);
		memset(&v[n], 0, sizeof(v[n]));
		ids[n] = sqlite3_column_int64(s, 0);
		int op = edit_op_parse(store_col_text(s, 1));
		v[n].op = op < 0 ? EDIT_APPEND : (enum edit_op)op;
		v[n].target = xstrdup(store_col_text(s, 2));
		v[n].content = xstrdup(store_col_text(s, 3));
		status[n] = xstrdup(store_col_text(s, 4));
		n++;
	}
	sqlite3_finalize(s);

	char *body = xstrdup(skill);
	int applied = 0, r = 0;
	for (int i = 0; i < n && !r; i++) {
		if (rc->cfg->approval == APPROVAL_EDITS && strcmp(status[i], "approved")) {
			if (strcmp(status[i], "pending"))
				r = set_edit(rc, ids[i], "pending", NULL, 0, 0, 0);
			char *what = xasprintf("edit %lld of step %d", (long long)ids[i], t);
			char *reason = NULL;
			int d = r ? r : await_decision(rc, "edit", ids[i], what, &reason);
			free(what);
			if (d < 0) {
				r = d;
			} else if (d == 0) {
				char *why = xasprintf("rejected by hand%s%s", reason ? ": " : "",
						      reason ? reason : "");
				r = set_edit(rc, ids[i], "rejected", why, 0, 0, 0);
				free(why);
				free(reason);
				continue;
			} else {
				r = set_edit(rc, ids[i], "approved", NULL, 0, 0, 0);
			}
			free(reason);
			if (r)
				break;
		}
		char *next = NULL, *why = NULL;
		if (edit_apply(body, &v[i], &next, &why) < 0) {
			/* an earlier edit of the step removed its target */
			r = set_edit(rc, ids[i], "rejected", why, 0, 0, 0);
		} else {
			free(body);
			body = next;
			applied++;
		}
		free(why);
	}
	if (!r && applied) {
		s = store_prepare(rc->st,
			"INSERT INTO candidates(run_id, round, parent_id, strategy, body, status, created_at) "
			"VALUES (?,?,?,'edit',?,'generated',?)");
		if (!s) {
			r = SS_ERR;
		} else {
			store_begin(rc->st);
			sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
			sqlite3_bind_int(s, 2, t);
			if (cur)
				sqlite3_bind_int64(s, 3, cur);
			sqlite3_bind_text(s, 4, body, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 5, ss_wall_s());
			r = sqlite3_step(s) == SQLITE_DONE ? 0 :
				ss_err_set(SS_ERR, "store: candidate: %s", sqlite3_errmsg(rc->st->db));
			sqlite3_finalize(s);
			int64_t cand = sqlite3_last_insert_rowid(rc->st->db);
			sqlite3_stmt *u = r ? NULL : store_prepare(rc->st,
				"UPDATE edits SET candidate_id = ? WHERE run_id = ? AND step = ? "
				"AND status IN ('proposed', 'approved')");
			if (u) {
				sqlite3_bind_int64(u, 1, cand);
				sqlite3_bind_text(u, 2, rc->run_id, -1, SQLITE_STATIC);
				sqlite3_bind_int(u, 3, t);
				if (sqlite3_step(u) != SQLITE_DONE)
					r = ss_err_set(SS_ERR, "store: edits: %s", sqlite3_errmsg(rc->st->db));
				sqlite3_finalize(u);
			} else if (!r) {
				r = SS_ERR;
			}
			r = store_end(rc->st, r);
		}
	}
	free(body);
	for (int i = 0; i < n; i++)
		free(status[i]);
	free(status);
	free(ids);
	edits_free(v, n);
	return r;
}

/* Verify step t's candidate and decide: accept (strict gain) or reject. */
static int decide(struct run_ctx *rc, int t, int64_t cur, int cur_gain, int gamma)
{
	struct cand c;
	if (pl_cand_load(rc, t, &c) == SS_ENOTFOUND)
		return 0;   /* no edit applied: nothing to verify */
	int r = 0;
	if (!c.verified && rc->cfg->approval == APPROVAL_CANDIDATES) {
		char *what = xasprintf("candidate of step %d", t), *reason = NULL;
		int d = await_decision(rc, "candidate", c.id, what, &reason);
		free(what);
		if (d < 0) {
			pl_cand_release(&c);
			return d;
		}
		if (d == 0) {
			char *why = xasprintf("candidate rejected by hand%s%s", reason ? ": " : "",
					      reason ? reason : "");
			store_begin(rc->st);
			r = set_cand_status(rc, c.id, "rejected");
			sqlite3_stmt *s = r ? NULL : store_prepare(rc->st,
				"UPDATE edits SET status = 'rejected', reason = ? WHERE candidate_id = ? "
				"AND status != 'rejected'");
			if (s) {
				sqlite3_bind_text(s, 1, why, -1, SQLITE_STATIC);
				sqlite3_bind_int64(s, 2, c.id);
				if (sqlite3_step(s) != SQLITE_DONE)
					r = SS_ERR;
				sqlite3_finalize(s);
			}
			r = store_end(rc->st, r);
			free(why);
			free(reason);
			pl_cand_release(&c);
			return r;
		}
		free(reason);
	}
	if (!c.verified) {
		int es = rc->cfg->strategy.early_stop;
		rc->cfg->strategy.early_stop = 0;
		r = pl_verify(rc, &c, gamma);
		rc->cfg->strategy.early_stop = es;
	}
	if (r) {
		pl_cand_release(&c);
		return r;
	}
	int accept = c.net_gain > cur_gain;
	char *why = accept ? NULL :
		xasprintf("selection score did not strictly improve (G %+d -> %+d)", cur_gain,
			  c.net_gain);
	if (accept && !c.commit)
		r = pl_commit_candidate(rc, c.id);
	if (!r) {
		store_begin(rc->st);
		sqlite3_stmt *s = store_prepare(rc->st,
			"UPDATE edits SET status = ?, reason = coalesce(?, reason), score_after = ? "
			"WHERE candidate_id = ? AND status != 'rejected'");
		if (!s) {
			r = SS_ERR;
		} else {
			sqlite3_bind_text(s, 1, accept ? "applied" : "rejected", -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, why, -1, SQLITE_STATIC);
			sqlite3_bind_double(s, 3, c.net_gain);
			sqlite3_bind_int64(s, 4, c.id);
			if (sqlite3_step(s) != SQLITE_DONE)
				r = ss_err_set(SS_ERR, "store: edits: %s", sqlite3_errmsg(rc->st->db));
			sqlite3_finalize(s);
		}
		if (!r && !accept) {
			r = set_cand_status(rc, c.id, "rejected");
		}
		if (!r && accept)
			r = state_set_int(rc, "edit.current", c.id);
		if (!r)
			r = store_event(rc->st, rc->run_id, "info", "edit", NULL,
					"step %d: candidate %s (G %+d -> %+d)", t,
					accept ? "accepted" : "rejected", cur_gain, c.net_gain);
		r = store_end(rc->st, r);
	}
	free(why);
	pl_cand_release(&c);
	return r;
}

/* ----------------------------------------------------- slow update */

/* Outcome of each verification instance under candidate `cand` (0: base). */
static int *ver_outcomes(struct run_ctx *rc, int64_t cand, const int *ver, int n)
{
	int *o = xmalloc(sizeof(int) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		const char *id = rc->insts[ver[i]].id;
		o[i] = cand ? (int)pl_query_int(rc, -1,
				"SELECT skill_outcome FROM verdicts WHERE candidate_id = ? AND instance_id = ?",
				"it", cand, id)
			    : (int)pl_query_int(rc, -1,
				"SELECT outcome FROM rollouts WHERE run_id = ? AND phase = 'base' AND "
				"candidate_id = 0 AND instance_id = ? AND status = 'done'", "tt",
				rc->run_id, id);
	}
	return o;
}

static int slow_update(struct run_ctx *rc, int epoch)
{
	char key[64];
	snprintf(key, sizeof(key), "edit.epoch.%d.start", epoch);
	int64_t before = state_int(rc, key, 0);
	int64_t after = state_int(rc, "edit.current", 0);
	int n;
	int *ver = pl_split(rc, "ver", &n);
	int *a = ver_outcomes(rc, before, ver, n), *b = ver_outcomes(rc, after, ver, n);
	int improved = 0, regressed = 0, persist = 0, stable = 0;
	cJSON *d = cJSON_CreateObject(), *ex = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		const char *change = NULL;
		if (a[i] == 0 && b[i] == 1)
			improved++, change = "improved";
		else if (a[i] == 1 && b[i] == 0)
			regressed++, change = "regressed";
		else if (a[i] == 0 && b[i] == 0)
			persist++, change = cJSON_GetArraySize(ex) < 4 ? "persistent failure" : NULL;
		else if (a[i] == 1 && b[i] == 1)
			stable++;
		if (change && cJSON_GetArraySize(ex) < 12) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "id", rc->insts[ver[i]].id);
			cJSON_AddStringToObject(e, "input", rc->insts[ver[i]].input);
			cJSON_AddStringToObject(e, "change", change);
			cJSON_AddItemToArray(ex, e);
		}
	}
	cJSON_AddNumberToObject(d, "epoch", epoch);
	cJSON *counts = cJSON_AddObjectToObject(d, "counts");
	cJSON_AddNumberToObject(counts, "improved", improved);
	cJSON_AddNumberToObject(counts, "regressed", regressed);
	cJSON_AddNumberToObject(counts, "persistent_failure", persist);
	cJSON_AddNumberToObject(counts, "stable_success", stable);
	int g;
	char *sb = current_skill(rc, before, &g), *sa = current_skill(rc, after, &g);
	cJSON_AddStringToObject(d, "skill_before", sb);
	cJSON_AddStringToObject(d, "skill_after", sa);
	free(sb);
	free(sa);
	cJSON_AddItemToObject(d, "meta_notes", meta_notes(rc));
	cJSON_AddItemToObject(d, "examples", ex);
	free(a);
	free(b);
	free(ver);

	struct aux_call c;
	memset(&c, 0, sizeof(c));
	c.id = PROMPT_SLOW_UPDATE;
	c.data = d;
	c.stage = "slow_update";
	run_progress_begin(rc, "slow_update", epoch, 1);
	int r = aux_submit(rc, &c);
	if (!r)
		r = pl_wait(rc);
	run_progress_end(rc);
	if (!r && c.status < 0)
		r = ss_err_set(c.status == SS_EBUDGET ? SS_EBUDGET : SS_EPROVIDER,
			       "epoch %d: slow update failed: %s", epoch, c.error ? c.error : "no result");
	if (r) {
		pl_fail(rc, r);
		aux_release(&c);
		return r;
	}
	cJSON *notes = meta_notes(rc);
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(c.result, "notes"))
		if (cJSON_IsString(it))
			cJSON_AddItemToArray(notes, cJSON_CreateString(it->valuestring));
	while (cJSON_GetArraySize(notes) > META_NOTES)
		cJSON_DeleteItemFromArray(notes, 0);
	char *nj = cJSON_PrintUnformatted(notes);
	const char *guidance = cJSON_GetStringValue(cJSON_GetObjectItem(c.result, "guidance"));
	store_begin(rc->st);
	r = store_state_set(rc->st, rc->run_id, "edit.meta", nj);
	if (!r)
		r = store_state_set(rc->st, rc->run_id, "edit.guidance", guidance ? guidance : "");
	snprintf(key, sizeof(key), "edit.slow.%d", epoch);
	if (!r)
		r = store_state_set(rc->st, rc->run_id, key, "done");
	if (!r)
		r = store_event(rc->st, rc->run_id, "info", "slow_update", NULL,
				"epoch %d: %d improved, %d regressed, %d persistent failures, "
				"%d stable successes", epoch, improved, regressed, persist, stable);
	r = store_end(rc->st, r);
	free(nj);
	cJSON_Delete(notes);
	aux_release(&c);
	return r;
}

/* ------------------------------------------------------------ driver */

int pipeline_edit_steps(struct run_ctx *rc)
{
	const struct config *cfg = rc->cfg;
	int S = cfg->strategy.steps_per_epoch, E = cfg->strategy.epochs;
	int n_ver;
	free(pl_split(rc, "ver", &n_ver));
	int gamma = stats_gate_threshold(cfg->strategy.g_abs, cfg->strategy.g_rel, n_ver);
	int r = 0;
	for (int epoch = 1; epoch <= E && !r; epoch++) {
		char key[64];
		snprintf(key, sizeof(key), "edit.epoch.%d.start", epoch);
		char *v = store_state_get(rc->st, rc->run_id, key);
		if (!v)
			r = state_set_int(rc, key, state_int(rc, "edit.current", 0));
		free(v);
		for (int s = 1; s <= S && !r; s++) {
			int t = (epoch - 1) * S + s;
			if (state_done(rc, "edit.step.%d", t))
				continue;
			run_set_stage(rc, "edit", t);
			int64_t cur = state_int(rc, "edit.current", 0);
			int gain;
			char *skill = current_skill(rc, cur, &gain);
			r = propose(rc, t, epoch, cur, skill, gain);
			if (!r)
				r = build_candidate(rc, t, cur, skill);
			if (!r)
				r = decide(rc, t, cur, gain, gamma);
			if (!r) {
				snprintf(key, sizeof(key), "edit.step.%d", t);
				r = store_state_set(rc->st, rc->run_id, key, "done");
			}
			free(skill);
		}
		if (!r && !state_done(rc, "edit.slow.%d", epoch))
			r = slow_update(rc, epoch);
	}
	return r;
}

int pipeline_edit_select(struct run_ctx *rc)
{
	if (pl_query_int(rc, 0, "SELECT count(*) FROM runs WHERE id = ? AND final_status IS NOT NULL",
			 "t", rc->run_id))
		return pl_query_int(rc, 0, "SELECT selected_candidate FROM runs WHERE id = ?", "t",
				    rc->run_id) ? pl_tag_selected(rc) : 0;
	int n_ver;
	free(pl_split(rc, "ver", &n_ver));
	int gamma = stats_gate_threshold(rc->cfg->strategy.g_abs, rc->cfg->strategy.g_rel, n_ver);
	/* the last accepted candidate holds the best net gain by construction;
	   with none accepted, the best verified one (earliest on a tie) shows
	   how far the edits got, and fails the gate */
	int64_t sel = state_int(rc, "edit.current", 0);
	if (!sel)
		sel = pl_query_int(rc, 0, "SELECT id FROM candidates WHERE run_id = ? AND verified_at "
				   "IS NOT NULL ORDER BY net_gain DESC, round LIMIT 1", "t", rc->run_id);
	int g = sel ? (int)pl_query_int(rc, 0, "SELECT net_gain FROM candidates WHERE id = ?", "i", sel)
		    : 0;
	int active = sel && g >= gamma;
	run_progress_begin(rc, "select", 0, 1);
	store_begin(rc->st);
	sqlite3_stmt *s = store_prepare(rc->st,
		"UPDATE runs SET selected_candidate = ?, final_status = ?, gate_threshold = ? WHERE id = ?");
	int r = s ? 0 : SS_ERR;
	if (s) {
		if (sel)
			sqlite3_bind_int64(s, 1, sel);
		sqlite3_bind_text(s, 2, active ? "active" : "deprecated", -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, gamma);
		sqlite3_bind_text(s, 4, rc->run_id, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			r = ss_err_set(SS_ERR, "store: select: %s", sqlite3_errmsg(rc->st->db));
		sqlite3_finalize(s);
	}
	if (!r && sel) {
		r = set_cand_status(rc, sel, "selected");
	}
	if (!r && sel)
		r = store_event(rc->st, rc->run_id, "stage", "select", NULL,
				"selected step %d: G=%+d against the gate %d: %s",
				(int)pl_query_int(rc, 0, "SELECT round FROM candidates WHERE id = ?", "i", sel),
				g, gamma, active ? "active" : "deprecated");
	else if (!r)
		r = store_event(rc->st, rc->run_id, "stage", "select", NULL,
				"no edit was ever applied: deprecated, deployment uses no skill");
	r = store_end(rc->st, r);
	run_progress_end(rc);
	if (!r && sel)
		r = pl_tag_selected(rc);
	return r;
}

/* -------------------------------------------------------------- report */

cJSON *pipeline_edit_report(struct store *st, const char *run_id)
{
	char *strategy = NULL;
	sqlite3_stmt *s = store_prepare(st, "SELECT strategy FROM runs WHERE id = ?");
	if (!s)
		return NULL;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		strategy = xstrdup(store_col_text(s, 0));
	sqlite3_finalize(s);
	int edit = strategy && !strcmp(strategy, "edit");
	free(strategy);
	if (!edit)
		return NULL;
	cJSON *steps = cJSON_CreateArray();
	s = store_prepare(st,
		"SELECT CAST(substr(key, 15) AS INTEGER) AS step, value FROM run_state "
		"WHERE run_id = ? AND key LIKE 'edit.stepinfo.%' ORDER BY step");
	sqlite3_stmt *e = store_prepare(st,
		"SELECT id, op, target, content, status, reason, score_after FROM edits "
		"WHERE run_id = ? AND step = ? ORDER BY rank");
	if (!s || !e) {
		sqlite3_finalize(s);
		sqlite3_finalize(e);
		return steps;
	}
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int step = sqlite3_column_int(s, 0);
		cJSON *info = cJSON_Parse(store_col_text(s, 1));
		cJSON *o = cJSON_CreateObject();
		int applied = 0, rejected = 0, has_after = 0;
		double after = 0;
		cJSON_AddNumberToObject(o, "step", step);
		cJSON_AddNumberToObject(o, "epoch", cJSON_GetNumberValue(cJSON_GetObjectItem(info, "epoch")));
		cJSON_AddNumberToObject(o, "proposed", cJSON_GetNumberValue(cJSON_GetObjectItem(info, "proposed")));
		cJSON_AddNumberToObject(o, "learning_rate",
					cJSON_GetNumberValue(cJSON_GetObjectItem(info, "learning_rate")));
		cJSON_AddNumberToObject(o, "score_before",
					cJSON_GetNumberValue(cJSON_GetObjectItem(info, "score_before")));
		cJSON *list = cJSON_CreateArray();
		sqlite3_reset(e);
		sqlite3_bind_text(e, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(e, 2, step);
		while (sqlite3_step(e) == SQLITE_ROW) {
			cJSON *x = cJSON_CreateObject();
			const char *status = store_col_text(e, 4);
			applied += !strcmp(status, "applied");
			rejected += !strcmp(status, "rejected");
			if (sqlite3_column_type(e, 6) != SQLITE_NULL) {
				has_after = 1;
				after = sqlite3_column_double(e, 6);
			}
			cJSON_AddNumberToObject(x, "id", (double)sqlite3_column_int64(e, 0));
			cJSON_AddStringToObject(x, "op", store_col_text(e, 1));
			cJSON_AddStringToObject(x, "target", store_col_text(e, 2));
			cJSON_AddStringToObject(x, "content", store_col_text(e, 3));
			cJSON_AddStringToObject(x, "status", status);
			if (sqlite3_column_type(e, 5) != SQLITE_NULL)
				cJSON_AddStringToObject(x, "reason", store_col_text(e, 5));
			cJSON_AddItemToArray(list, x);
		}
		cJSON_AddNumberToObject(o, "applied", applied);
		cJSON_AddNumberToObject(o, "rejected", rejected);
		if (has_after)
			cJSON_AddNumberToObject(o, "score_after", after);
		else
			cJSON_AddNullToObject(o, "score_after");
		cJSON_AddItemToObject(o, "edits", list);
		cJSON_AddItemToArray(steps, o);
		cJSON_Delete(info);
	}
	sqlite3_finalize(e);
	sqlite3_finalize(s);
	return steps;
}
