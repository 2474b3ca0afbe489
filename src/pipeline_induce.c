/*
 * Stage 2 of SkillGen: contrastive induction, Z = (a0, F, S, C).
 *
 *   a0  task summary from a seeded sample of induction inputs
 *   per rollout: failure_summary {summary, root_cause} or
 *                success_summary {summary, procedure}
 *   embeddings of "input + summary" (local deterministic, or the API)
 *   k-means over failures and over successes (embed.h, kmeans.h)
 *   F, S  one cluster summary per cluster, largest clusters first
 *   C   each failure's nearest success, same task type only (the type
 *       field, or the contrast call's same_type when a type is missing),
 *       the closest max_pairs, each with a contrast call
 *
 * Everything is stored (summaries, embeddings, clusters, cluster_members,
 * pairs) as it is produced; a resumed run reuses it.
 */
#include "pipeline_int.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/config.h"
#include "skillsmith/embed.h"
#include "skillsmith/kmeans.h"
#include "skillsmith/llm.h"
#include "skillsmith/pairs.h"
#include "skillsmith/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iroll {
	int64_t id;              /* rollout id */
	int inst;                /* index into rc->insts, or -1 */
	int outcome;
	cJSON *summary;          /* the per-rollout summary, once known */
	struct aux_call call;
	float *vec;              /* into the embedding matrix */
};

struct induce {
	struct run_ctx *rc;
	struct iroll *r;
	int n;
	int dim;
	float *vecs;             /* n * dim */
};

static void induce_release(struct induce *I)
{
	for (int i = 0; i < I->n; i++) {
		cJSON_Delete(I->r[i].summary);
		aux_release(&I->r[i].call);
	}
	free(I->r);
	free(I->vecs);
}

static int load_rollouts(struct induce *I)
{
	struct run_ctx *rc = I->rc;
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT r.id, r.instance_id, r.outcome FROM rollouts r "
		"LEFT JOIN instances i ON i.run_id = r.run_id AND i.id = r.instance_id "
		"WHERE r.run_id = ? AND r.status = 'done' AND r.outcome IS NOT NULL AND "
		"((r.phase = 'base' AND r.candidate_id = 0 AND i.split = 'ind') OR r.phase = 'import') "
		"ORDER BY coalesce(i.idx, 2147483647), r.id");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	size_t alloc = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(I->r, I->n + 1, alloc);
		struct iroll *x = &I->r[I->n++];
		memset(x, 0, sizeof(*x));
		x->id = sqlite3_column_int64(s, 0);
		x->inst = pl_inst_index(rc, store_col_text(s, 1));
		x->outcome = sqlite3_column_int(s, 2) ? 1 : 0;
	}
	sqlite3_finalize(s);
	return 0;
}

static const char *kind_of(const struct iroll *x)
{
	return x->outcome ? "success" : "failure";
}

static int store_summary(struct run_ctx *rc, int64_t rollout_id, const char *kind, const cJSON *j)
{
	char *t = cJSON_PrintUnformatted(j);
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT OR REPLACE INTO summaries(run_id, rollout_id, kind, json) VALUES (?,?,?,?)");
	int r = SS_ERR;
	if (s) {
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, rollout_id);
		sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, t, -1, SQLITE_STATIC);
		r = sqlite3_step(s) == SQLITE_DONE ? 0 :
			ss_err_set(SS_ERR, "store: summary: %s", sqlite3_errmsg(rc->st->db));
		sqlite3_finalize(s);
	}
	free(t);
	return r;
}

static cJSON *load_summary(struct run_ctx *rc, int64_t rollout_id, const char *kind)
{
	char *t = pl_query_text(rc, "SELECT json FROM summaries WHERE run_id = ? AND rollout_id = ? "
				"AND kind = ?", "tit", rc->run_id, rollout_id, kind);
	cJSON *j = t ? cJSON_Parse(t) : NULL;
	free(t);
	return j;
}

struct sum_payload {
	struct induce *I;
	int i;                   /* rollout index, or -1 for the task summary */
};

static void on_summary(struct aux_call *c, void *payload)
{
	struct sum_payload *p = payload;
	struct run_ctx *rc = c->rc;
	if (c->status < 0 || !c->result) {
		if (c->status != SS_ESTOPPED)
			store_event(rc->st, rc->run_id, "warn", "induce", NULL, "%s failed: %s",
				    prompt_name(c->id), c->error ? c->error : "?");
		pl_fail(rc, c->status < 0 ? c->status : SS_EPROVIDER);
		return;
	}
	if (p->i < 0) {
		store_summary(rc, 0, "task", c->result);
	} else {
		struct iroll *x = &p->I->r[p->i];
		store_summary(rc, x->id, kind_of(x), c->result);
		x->summary = cJSON_Duplicate(c->result, 1);
	}
	run_progress_add(rc, 1);
}

static int summaries(struct induce *I)
{
	struct run_ctx *rc = I->rc;
	struct aux_call task;
	struct sum_payload tp = { I, -1 };
	struct sum_payload *pp = xcalloc((size_t)I->n + 1, sizeof(*pp));
	int todo = 0, r = 0;
	memset(&task, 0, sizeof(task));
	cJSON *ts = load_summary(rc, 0, "task");
	todo += !ts;
	for (int i = 0; i < I->n; i++) {
		I->r[i].summary = load_summary(rc, I->r[i].id, kind_of(&I->r[i]));
		todo += !I->r[i].summary;
	}
	if (!todo)
		goto cleanup;
	run_progress_begin(rc, "induce", 0, todo);
	if (!ts) {
		/* a seeded sample of at most 20 inputs, in file order */
		int n = I->n, k = n < 20 ? n : 20;
		char *pick = xcalloc((size_t)n + 1, 1);
		int *idx = xmalloc(sizeof(int) * ((size_t)n + 1));
		struct ss_rng rng;
		ss_rng_seed(&rng, pl_seed(rc, "task-sample", 0));
		for (int i = 0; i < n; i++)
			idx[i] = i;
		for (int i = 0; i < k; i++) {
			int j = i + (int)ss_rng_below(&rng, (uint64_t)(n - i));
			int t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
			pick[idx[i]] = 1;
		}
		cJSON *inputs = cJSON_CreateArray();
		for (int i = 0; i < n; i++) {
			if (!pick[i] || I->r[i].inst < 0)
				continue;
			char *t = prompt_clip(rc->insts[I->r[i].inst].input, 1500);
			cJSON_AddItemToArray(inputs, cJSON_CreateString(t));
			free(t);
		}
		free(pick);
		free(idx);
		task.id = PROMPT_TASK_SUMMARY;
		task.stage = "induce";
		task.data = cJSON_CreateObject();
		cJSON_AddItemToObject(task.data, "inputs", inputs);
		task.done = on_summary;
		task.payload = &tp;
		r = aux_submit(rc, &task);
	}
	for (int i = 0; i < I->n && !r; i++) {
		struct iroll *x = &I->r[i];
		if (x->summary)
			continue;
		pp[i].I = I;
		pp[i].i = i;
		x->call.id = x->outcome ? PROMPT_SUCCESS_SUMMARY : PROMPT_FAILURE_SUMMARY;
		x->call.stage = "induce";
		x->call.data = pl_rollout_json(rc, x->id, 1);
		x->call.done = on_summary;
		x->call.payload = &pp[i];
		r = aux_submit(rc, &x->call);
	}
	if (!r)
		r = pl_wait(rc);
	if (!r)
		run_progress_end(rc);
cleanup:
	cJSON_Delete(ts);
	aux_release(&task);
	free(pp);
	return r;
}

/* Embeddings ------------------------------------------------------- */

static char *embed_text_of(struct run_ctx *rc, struct iroll *x)
{
	const char *in = x->inst >= 0 ? rc->insts[x->inst].input : "";
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(x->summary, "summary"));
	const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(x->summary,
						  x->outcome ? "procedure" : "root_cause"));
	return xasprintf("%s\n%s\n%s", in, s ? s : "", k ? k : "");
}

struct embed_wait {
	struct induce *I;
	int status;
	char *error;
};

static void on_embed(int status, const char *error, float *const *vecs, int n, int dim,
		     void *payload)
{
	struct embed_wait *w = payload;
	struct induce *I = w->I;
	if (status < 0 || n != I->n) {
		w->status = status < 0 ? status : SS_EPROVIDER;
		w->error = xstrdup(error ? error : "embedding count mismatch");
		return;
	}
	I->dim = dim;
	I->vecs = xmalloc(sizeof(float) * (size_t)n * (size_t)dim);
	for (int i = 0; i < n; i++) {
		memcpy(I->vecs + (size_t)i * dim, vecs[i], sizeof(float) * (size_t)dim);
		embed_normalize(I->vecs + (size_t)i * dim, dim);
	}
}

static int embeddings(struct induce *I)
{
	struct run_ctx *rc = I->rc;
	int have = (int)pl_query_int(rc, 0, "SELECT count(*) FROM embeddings WHERE run_id = ?", "t",
				     rc->run_id);
	if (I->n == 0)
		return 0;
	if (have >= I->n) {
		sqlite3_stmt *s = store_prepare(rc->st,
			"SELECT dim, vec FROM embeddings WHERE run_id = ? AND rollout_id = ?");
		if (!s)
			return SS_ERR;
		for (int i = 0; i < I->n; i++) {
			sqlite3_reset(s);
			sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, I->r[i].id);
			if (sqlite3_step(s) != SQLITE_ROW)
				break;
			int dim = sqlite3_column_int(s, 0);
			if (!I->vecs) {
				I->dim = dim;
				I->vecs = xcalloc((size_t)I->n * (size_t)dim, sizeof(float));
			}
			if (dim != I->dim || embed_from_blob(I->vecs + (size_t)i * dim, dim,
							     sqlite3_column_blob(s, 1),
							     (size_t)sqlite3_column_bytes(s, 1)) < 0) {
				sqlite3_finalize(s);
				free(I->vecs);
				I->vecs = NULL;
				goto compute;
			}
		}
		sqlite3_finalize(s);
		if (I->vecs)
			goto done;
	}
compute:;
	char **texts = xcalloc((size_t)I->n, sizeof(char *));
	for (int i = 0; i < I->n; i++)
		texts[i] = embed_text_of(rc, &I->r[i]);
	int r = 0;
	int api = rc->cfg->embed_kind && !strcmp(rc->cfg->embed_kind, "api");
	if (!api) {
		I->dim = rc->cfg->embed_dim > 0 ? rc->cfg->embed_dim : EMBED_DEFAULT_DIM;
		I->vecs = xcalloc((size_t)I->n * (size_t)I->dim, sizeof(float));
		r = embed_local(I->vecs, (const char *const *)texts, I->n, I->dim);
	} else {
		struct embed_wait w = { I, 0, NULL };
		run_progress_begin(rc, "embed", 0, 1);
		r = llm_embed(rc->llm, rc->cfg->embed_provider, rc->cfg->embed_model, "induce",
			      (const char *const *)texts, I->n, on_embed, &w);
		if (!r)
			r = pl_wait(rc);
		if (!r && w.status < 0)
			r = ss_err_set(w.status, "embeddings: %s", w.error);
		free(w.error);
		if (!r)
			run_progress_end(rc);
	}
	for (int i = 0; i < I->n; i++)
		free(texts[i]);
	free(texts);
	if (r)
		return r;
	/* store them, in one transaction */
	store_begin(rc->st);
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT OR REPLACE INTO embeddings(run_id, rollout_id, dim, vec) VALUES (?,?,?,?)");
	unsigned char *blob = xmalloc((size_t)I->dim * 4);
	for (int i = 0; s && i < I->n && !r; i++) {
		sqlite3_reset(s);
		embed_to_blob(blob, I->vecs + (size_t)i * I->dim, I->dim);
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, I->r[i].id);
		sqlite3_bind_int(s, 3, I->dim);
		sqlite3_bind_blob(s, 4, blob, I->dim * 4, SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE)
			r = ss_err_set(SS_ERR, "store: embedding: %s", sqlite3_errmsg(rc->st->db));
	}
	free(blob);
	sqlite3_finalize(s);
	if (!s)
		r = SS_ERR;
	if (r)
		store_rollback(rc->st);
	else
		r = store_commit(rc->st);
	if (r)
		return r;
done:
	for (int i = 0; i < I->n; i++)
		I->r[i].vec = I->vecs + (size_t)i * I->dim;
	return 0;
}

/* Clusters ---------------------------------------------------------- */

struct cl_order {
	int c, size;
};

static int cmp_cl(const void *a, const void *b)
{
	const struct cl_order *x = a, *y = b;
	if (x->size != y->size)
		return y->size - x->size;
	return x->c - y->c;
}

static int cluster_kind(struct induce *I, int outcome, const char *kind, int max_clusters)
{
	struct run_ctx *rc = I->rc;
	const struct strategy_config *sc = &rc->cfg->strategy;
	int *map = xmalloc(sizeof(int) * ((size_t)I->n + 1));
	int n = 0;
	for (int i = 0; i < I->n; i++)
		if (I->r[i].outcome == outcome)
			map[n++] = i;
	float *pts = xmalloc(sizeof(float) * ((size_t)n + 1) * (size_t)(I->dim ? I->dim : 1));
	for (int i = 0; i < n; i++)
		memcpy(pts + (size_t)i * I->dim, I->r[map[i]].vec, sizeof(float) * (size_t)I->dim);
	struct kmeans_options ko = KMEANS_OPTIONS_INIT;
	ko.k_min = sc->k_min;
	ko.k_max = sc->k_max;
	ko.target = sc->target_cluster_size;
	ko.seed = pl_seed(rc, kind, 0);
	struct kmeans_result km;
	memset(&km, 0, sizeof(km));
	int r = n ? kmeans_run(&km, pts, n, I->dim, &ko) : 0;
	if (r < 0 || !n)
		goto cleanup;
	struct cl_order *ord = xmalloc(sizeof(*ord) * (size_t)km.k);
	for (int c = 0; c < km.k; c++) {
		ord[c].c = c;
		ord[c].size = km.size[c];
	}
	qsort(ord, (size_t)km.k, sizeof(*ord), cmp_cl);
	int keep = km.k < max_clusters ? km.k : max_clusters;
	int *members = xmalloc(sizeof(int) * (size_t)n);
	sqlite3_stmt *ci = store_prepare(rc->st,
		"INSERT INTO clusters(run_id, kind, idx, size, label) VALUES (?,?,?,?,?)");
	sqlite3_stmt *cm = store_prepare(rc->st,
		"INSERT INTO cluster_members(cluster_id, rollout_id, distance) VALUES (?,?,?)");
	for (int o = 0; ci && cm && o < keep && !r; o++) {
		int c = ord[o].c;
		char label[16];
		snprintf(label, sizeof(label), "%c%d", outcome ? 'S' : 'F', o + 1);
		sqlite3_reset(ci);
		sqlite3_bind_text(ci, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ci, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_int(ci, 3, o);
		sqlite3_bind_int(ci, 4, km.size[c]);
		sqlite3_bind_text(ci, 5, label, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ci) != SQLITE_DONE) {
			r = ss_err_set(SS_ERR, "store: cluster: %s", sqlite3_errmsg(rc->st->db));
			break;
		}
		int64_t cid = sqlite3_last_insert_rowid(rc->st->db);
		int nm = kmeans_members(&km, c, members, n);
		for (int m = 0; m < nm && !r; m++) {
			sqlite3_reset(cm);
			sqlite3_bind_int64(cm, 1, cid);
			sqlite3_bind_int64(cm, 2, I->r[map[members[m]]].id);
			sqlite3_bind_double(cm, 3, km.distance[members[m]]);
			if (sqlite3_step(cm) != SQLITE_DONE)
				r = ss_err_set(SS_ERR, "store: cluster member: %s",
					       sqlite3_errmsg(rc->st->db));
		}
	}
	if (!ci || !cm)
		r = SS_ERR;
	sqlite3_finalize(ci);
	sqlite3_finalize(cm);
	free(members);
	free(ord);
cleanup:
	kmeans_release(&km);
	free(pts);
	free(map);
	return r;
}

static int clusters(struct induce *I)
{
	struct run_ctx *rc = I->rc;
	char *done = store_state_get(rc->st, rc->run_id, "induce_clusters");
	if (done) {
		free(done);
		return 0;
	}
	store_begin(rc->st);
	int r = 0;
	{
		char *sql = xasprintf("DELETE FROM cluster_members WHERE cluster_id IN (SELECT id FROM "
				      "clusters WHERE run_id = '%s'); DELETE FROM clusters WHERE run_id = '%s'",
				      rc->run_id, rc->run_id);
		r = store_exec(rc->st, sql);
		free(sql);
	}
	if (!r)
		r = cluster_kind(I, 0, "failure", rc->cfg->strategy.max_failure_clusters);
	if (!r)
		r = cluster_kind(I, 1, "success", rc->cfg->strategy.max_success_clusters);
	if (!r)
		r = store_state_set(rc->st, rc->run_id, "induce_clusters", "done");
	if (r)
		store_rollback(rc->st);
	else
		r = store_commit(rc->st);
	return r;
}

/* Cluster summaries and contrastive pairs ---------------------------- */

struct cl_call {
	struct run_ctx *rc;
	int64_t id;
	struct aux_call call;
};

static void on_cluster(struct aux_call *c, void *payload)
{
	struct cl_call *cc = payload;
	struct run_ctx *rc = c->rc;
	if (c->status < 0 || !c->result) {
		pl_fail(rc, c->status < 0 ? c->status : SS_EPROVIDER);
		return;
	}
	char *t = cJSON_PrintUnformatted(c->result);
	const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(c->result,
		c->id == PROMPT_FAILURE_CLUSTER ? "pattern_name" : "technique_name"));
	sqlite3_stmt *s = store_prepare(rc->st, "UPDATE clusters SET summary = ?, label = "
					"coalesce(?, label) WHERE id = ?");
	if (s) {
		sqlite3_bind_text(s, 1, t, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, label, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, cc->id);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	free(t);
	run_progress_add(rc, 1);
}

static cJSON *cluster_data(struct run_ctx *rc, int64_t cid, const char *kind, int idx)
{
	cJSON *d = cJSON_CreateObject();
	char label[16];
	snprintf(label, sizeof(label), "%c%d", kind[0] == 'f' ? 'F' : 'S', idx + 1);
	cJSON_AddStringToObject(d, "cluster", label);
	cJSON *members = cJSON_AddArrayToObject(d, "members");
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT m.rollout_id, r.instance_id, s.json FROM cluster_members m "
		"JOIN rollouts r ON r.id = m.rollout_id "
		"LEFT JOIN summaries s ON s.run_id = r.run_id AND s.rollout_id = m.rollout_id AND s.kind = ? "
		"WHERE m.cluster_id = ? ORDER BY m.distance, m.rollout_id LIMIT 12");
	if (!s)
		return d;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, cid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *m = cJSON_CreateObject();
		int k = pl_inst_index(rc, store_col_text(s, 1));
		cJSON_AddStringToObject(m, "id", store_col_text(s, 1));
		char *t = prompt_clip(k >= 0 ? rc->insts[k].input : "", 1200);
		cJSON_AddStringToObject(m, "input", t);
		free(t);
		cJSON *sj = cJSON_Parse(store_col_text(s, 2));
		const cJSON *it;
		cJSON_ArrayForEach(it, sj)
			cJSON_AddItemToObject(m, it->string, cJSON_Duplicate(it, 1));
		cJSON_Delete(sj);
		cJSON_AddItemToArray(members, m);
	}
	sqlite3_finalize(s);
	return d;
}

struct pair_cand {
	int f, s;                /* indices into I->r */
	double distance;
	int same;                /* PAIRS_SAME / PAIRS_UNKNOWN / PAIRS_DIFFERENT */
	struct aux_call call;
	int submitted;
	cJSON *contrast;
};

static void on_contrast(struct aux_call *c, void *payload)
{
	struct pair_cand *p = payload;
	if (c->status < 0 || !c->result) {
		pl_fail(c->rc, c->status < 0 ? c->status : SS_EPROVIDER);
		return;
	}
	p->contrast = cJSON_Duplicate(c->result, 1);
	run_progress_add(c->rc, 1);
}

static int submit_contrast(struct induce *I, struct pair_cand *p)
{
	struct run_ctx *rc = I->rc;
	p->submitted = 1;
	p->call.id = PROMPT_CONTRAST;
	p->call.stage = "induce";
	p->call.data = cJSON_CreateObject();
	cJSON_AddItemToObject(p->call.data, "failure", pl_rollout_json(rc, I->r[p->f].id, 1));
	cJSON_AddItemToObject(p->call.data, "success", pl_rollout_json(rc, I->r[p->s].id, 1));
	p->call.done = on_contrast;
	p->call.payload = p;
	return aux_submit(rc, &p->call);
}

static int pairs_and_cluster_summaries(struct induce *I)
{
	struct run_ctx *rc = I->rc;
	char *done = store_state_get(rc->st, rc->run_id, "induce_pairs");
	int pairs_done = done != NULL;
	free(done);

	/* clusters without a summary */
	struct cl_call *cls = NULL;
	size_t alloc = 0;
	int ncl = 0, r = 0;
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT id, kind, idx FROM clusters WHERE run_id = ? AND summary IS NULL ORDER BY kind, idx");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(cls, ncl + 1, alloc);
		struct cl_call *c = &cls[ncl++];
		memset(c, 0, sizeof(*c));
		c->rc = rc;
		c->id = sqlite3_column_int64(s, 0);
		const char *kind = store_col_text(s, 1);
		c->call.id = kind[0] == 'f' ? PROMPT_FAILURE_CLUSTER : PROMPT_SUCCESS_CLUSTER;
		c->call.stage = "induce";
		c->call.data = cluster_data(rc, c->id, kind, sqlite3_column_int(s, 2));
		c->call.done = on_cluster;
		c->call.payload = c;
	}
	sqlite3_finalize(s);

	/* candidate pairs: every failure's nearest success, sorted by distance */
	struct pair_cand *pc = NULL;
	int npc = 0;
	if (!pairs_done && I->n) {
		int nf = 0, ns = 0;
		int *fi = xmalloc(sizeof(int) * (size_t)I->n), *si = xmalloc(sizeof(int) * (size_t)I->n);
		struct pairs_point *fp = xcalloc((size_t)I->n, sizeof(*fp));
		struct pairs_point *sp = xcalloc((size_t)I->n, sizeof(*sp));
		for (int i = 0; i < I->n; i++) {
			struct iroll *x = &I->r[i];
			const char *type = x->inst >= 0 ? rc->insts[x->inst].type : NULL;
			if (x->outcome) {
				si[ns] = i;
				sp[ns].vec = x->vec;
				sp[ns++].type = type;
			} else {
				fi[nf] = i;
				fp[nf].vec = x->vec;
				fp[nf++].type = type;
			}
		}
		struct pairs_pair *pp = NULL;
		struct pairs_options po = PAIRS_OPTIONS_INIT;
		po.max_pairs = 0;
		po.keep_unknown = 1;
		if (nf && ns)
			r = pairs_select(&pp, &npc, fp, nf, sp, ns, I->dim, &po);
		if (!r && npc) {
			pc = xcalloc((size_t)npc, sizeof(*pc));
			for (int i = 0; i < npc; i++) {
				pc[i].f = fi[pp[i].failure];
				pc[i].s = si[pp[i].success];
				pc[i].distance = pp[i].distance;
				pc[i].same = pp[i].same_type;
			}
		}
		free(pp);
		free(fi);
		free(si);
		free(fp);
		free(sp);
	}

	int max_pairs = rc->cfg->strategy.max_pairs;
	int total = ncl;
	for (int i = 0; i < npc && i < max_pairs; i++)
		total++;
	if (total)
		run_progress_begin(rc, "induce", 0, total);
	for (int i = 0; i < ncl && !r; i++)
		r = aux_submit(rc, &cls[i].call);
	/* waves of contrasts: the first max_pairs not known to differ */
	while (!r) {
		int want = 0, submitted = 0;
		for (int i = 0; i < npc && want < max_pairs; i++) {
			if (pc[i].same == PAIRS_DIFFERENT)
				continue;
			want++;
			if (!pc[i].submitted) {
				if ((r = submit_contrast(I, &pc[i])) < 0)
					break;
				submitted++;
			}
		}
		if (r)
			break;
		r = pl_wait(rc);
		if (r || !submitted)
			break;
		/* the judge decides for pairs whose type is unknown */
		for (int i = 0; i < npc; i++) {
			if (pc[i].same == PAIRS_UNKNOWN && pc[i].contrast) {
				const cJSON *st = cJSON_GetObjectItem(pc[i].contrast, "same_type");
				pc[i].same = cJSON_IsTrue(st) ? PAIRS_SAME : PAIRS_DIFFERENT;
			}
		}
	}
	if (!r && !pairs_done) {
		store_begin(rc->st);
		char *sql = xasprintf("DELETE FROM pairs WHERE run_id = '%s'", rc->run_id);
		r = store_exec(rc->st, sql);
		free(sql);
		sqlite3_stmt *ins = r ? NULL : store_prepare(rc->st,
			"INSERT INTO pairs(run_id, idx, failure_rollout, success_rollout, distance, "
			"same_type, contrast) VALUES (?,?,?,?,?,?,?)");
		int kept = 0;
		for (int i = 0; ins && i < npc && kept < max_pairs && !r; i++) {
			if (pc[i].same == PAIRS_DIFFERENT || !pc[i].contrast)
				continue;
			char *cj = cJSON_PrintUnformatted(pc[i].contrast);
			sqlite3_reset(ins);
			sqlite3_bind_text(ins, 1, rc->run_id, -1, SQLITE_STATIC);
			sqlite3_bind_int(ins, 2, kept++);
			sqlite3_bind_int64(ins, 3, I->r[pc[i].f].id);
			sqlite3_bind_int64(ins, 4, I->r[pc[i].s].id);
			sqlite3_bind_double(ins, 5, pc[i].distance);
			sqlite3_bind_int(ins, 6, 1);
			sqlite3_bind_text(ins, 7, cj, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(ins) != SQLITE_DONE)
				r = ss_err_set(SS_ERR, "store: pair: %s", sqlite3_errmsg(rc->st->db));
			free(cj);
		}
		sqlite3_finalize(ins);
		if (!r)
			r = store_state_set(rc->st, rc->run_id, "induce_pairs", "done");
		if (r)
			store_rollback(rc->st);
		else
			r = store_commit(rc->st);
	}
	if (!r && total)
		run_progress_end(rc);
	for (int i = 0; i < ncl; i++)
		aux_release(&cls[i].call);
	free(cls);
	for (int i = 0; i < npc; i++) {
		aux_release(&pc[i].call);
		cJSON_Delete(pc[i].contrast);
	}
	free(pc);
	return r;
}

int pipeline_induce(struct run_ctx *rc)
{
	struct induce I;
	int r;
	char *done = store_state_get(rc->st, rc->run_id, "induce");
	if (done) {
		free(done);
		return 0;
	}
	if ((r = run_ctx_connect(rc)) < 0)
		return r;
	memset(&I, 0, sizeof(I));
	I.rc = rc;
	rc->status = 0;
	if ((r = load_rollouts(&I)) < 0)
		goto cleanup;
	if ((r = summaries(&I)) < 0)
		goto cleanup;
	if ((r = embeddings(&I)) < 0)
		goto cleanup;
	if ((r = clusters(&I)) < 0)
		goto cleanup;
	if ((r = pairs_and_cluster_summaries(&I)) < 0)
		goto cleanup;
	int nf = 0;
	for (int i = 0; i < I.n; i++)
		nf += !I.r[i].outcome;
	int fc = (int)pl_query_int(rc, 0, "SELECT count(*) FROM clusters WHERE run_id = ? AND kind = 'failure'",
				   "t", rc->run_id);
	int sc = (int)pl_query_int(rc, 0, "SELECT count(*) FROM clusters WHERE run_id = ? AND kind = 'success'",
				   "t", rc->run_id);
	int np = (int)pl_query_int(rc, 0, "SELECT count(*) FROM pairs WHERE run_id = ?", "t", rc->run_id);
	store_begin(rc->st);
	store_event(rc->st, rc->run_id, "stage", "induce", NULL,
		    "induction: %d failures in %d clusters, %d successes in %d clusters, %d contrastive pairs",
		    nf, fc, I.n - nf, sc, np);
	r = store_state_set(rc->st, rc->run_id, "induce", "done");
	if (r)
		store_rollback(rc->st);
	else
		r = store_commit(rc->st);
cleanup:
	induce_release(&I);
	return r;
}

/* Z for the generation prompts ---------------------------------------- */

static void add_clusters(struct run_ctx *rc, cJSON *z, const char *key, const char *kind,
			 char letter, int cap)
{
	cJSON *arr = cJSON_AddArrayToObject(z, key);
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT idx, size, summary FROM clusters WHERE run_id = ? AND kind = ? "
		"AND summary IS NOT NULL ORDER BY idx LIMIT ?");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, cap);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		char id[16];
		snprintf(id, sizeof(id), "%c%d", letter, sqlite3_column_int(s, 0) + 1);
		cJSON_AddStringToObject(e, "id", id);
		cJSON_AddNumberToObject(e, "size", sqlite3_column_int(s, 1));
		cJSON *j = cJSON_Parse(store_col_text(s, 2));
		const cJSON *it;
		cJSON_ArrayForEach(it, j)
			cJSON_AddItemToObject(e, it->string, cJSON_Duplicate(it, 1));
		cJSON_Delete(j);
		cJSON_AddItemToArray(arr, e);
	}
	sqlite3_finalize(s);
}

cJSON *pl_z_json(struct run_ctx *rc)
{
	const struct strategy_config *sc = &rc->cfg->strategy;
	cJSON *z = cJSON_CreateObject();
	cJSON *ts = load_summary(rc, 0, "task");
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(ts, "summary"));
	cJSON_AddStringToObject(z, "task_summary", t ? t : "");
	cJSON_Delete(ts);
	add_clusters(rc, z, "failure_clusters", "failure", 'F', sc->gen_failure_clusters);
	add_clusters(rc, z, "success_clusters", "success", 'S', sc->gen_success_clusters);
	cJSON *arr = cJSON_AddArrayToObject(z, "pairs");
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT idx, contrast FROM pairs WHERE run_id = ? AND contrast IS NOT NULL "
		"ORDER BY idx LIMIT ?");
	if (s) {
		sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, sc->gen_pairs);
		while (sqlite3_step(s) == SQLITE_ROW) {
			cJSON *e = cJSON_CreateObject();
			char id[16];
			snprintf(id, sizeof(id), "P%d", sqlite3_column_int(s, 0) + 1);
			cJSON_AddStringToObject(e, "id", id);
			cJSON *j = cJSON_Parse(store_col_text(s, 1));
			static const char *const keys[] = { "success_did", "failure_omitted", "lesson" };
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(j, keys[k]));
				cJSON_AddStringToObject(e, keys[k], v ? v : "");
			}
			cJSON_Delete(j);
			cJSON_AddItemToArray(arr, e);
		}
		sqlite3_finalize(s);
	}
	return z;
}
