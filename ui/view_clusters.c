/*
 * Clusters: failure and success clusters with size, label and summary
 * (the cluster's JSON, every field shown), and their members (rollouts,
 * with distance, outcome and their own summary).  Enter on a member opens
 * its trajectory; Enter on a cluster folds or unfolds it.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CL_TEXT, CL_CLUSTER, CL_MEMBER };

struct clusters_priv {
	int64_t *folded;
	size_t nfolded, afolded;
};

static int is_folded(struct clusters_priv *p, int64_t id)
{
	for (size_t i = 0; i < p->nfolded; i++)
		if (p->folded[i] == id)
			return 1;
	return 0;
}

static void toggle(struct clusters_priv *p, int64_t id)
{
	for (size_t i = 0; i < p->nfolded; i++) {
		if (p->folded[i] == id) {
			p->folded[i] = p->folded[--p->nfolded];
			return;
		}
	}
	ALLOC_GROW(p->folded, p->nfolded + 1, p->afolded);
	p->folded[p->nfolded++] = id;
}

/* Every field of a summary object but the name, "key: value". */
static void add_summary(struct ui *ui, struct view *v, int w, const char *json)
{
	cJSON *root = cJSON_Parse(json);
	if (!cJSON_IsObject(root)) {
		if (json && *json)
			view_add_wrapped(ui, v, ROLE_DEFAULT, CL_TEXT, 0, 6, w, json);
		cJSON_Delete(root);
		return;
	}
	const cJSON *f;
	cJSON_ArrayForEach(f, root) {
		if (!strcmp(f->string, "pattern_name") || !strcmp(f->string, "technique_name"))
			continue;
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s: ", f->string);
		for (char *p = b.buf; *p; p++)
			if (*p == '_')
				*p = ' ';
		if (cJSON_IsString(f)) {
			buf_adds(&b, f->valuestring);
		} else if (cJSON_IsArray(f)) {
			const cJSON *e;
			int first = 1;
			if (!cJSON_GetArraySize(f)) {
				buf_release(&b);
				continue;
			}
			cJSON_ArrayForEach(e, f) {
				if (!first)
					buf_adds(&b, "; ");
				first = 0;
				if (cJSON_IsString(e)) {
					buf_adds(&b, e->valuestring);
				} else {
					char *s = cJSON_PrintUnformatted(e);
					buf_adds(&b, s ? s : "");
					free(s);
				}
			}
		} else {
			char *s = cJSON_PrintUnformatted(f);
			buf_adds(&b, s ? s : "");
			free(s);
		}
		view_add_wrapped(ui, v, ROLE_DEFAULT, CL_TEXT, 0, 6, w, b.buf);
		buf_release(&b);
	}
	cJSON_Delete(root);
}

static void add_members(struct ui *ui, struct view *v, int w, int64_t cluster)
{
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT r.id, r.instance_id, r.phase, r.status, r.outcome, m.distance,"
		" (SELECT json FROM summaries u WHERE u.run_id = r.run_id AND u.rollout_id = r.id"
		"  AND u.kind IN ('failure', 'success') LIMIT 1)"
		" FROM cluster_members m JOIN rollouts r ON r.id = m.rollout_id"
		" WHERE m.cluster_id = ? ORDER BY m.distance, r.instance_id");
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, cluster);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct line *l = view_add_line(v, ROLE_DEFAULT, CL_MEMBER, sqlite3_column_int64(s, 0));
		l->selectable = 1;
		int done = !strcmp(col_text(s, 3), "done") && sqlite3_column_type(s, 4) != SQLITE_NULL;
		int pass = sqlite3_column_int(s, 4);
		line_add(l, ROLE_DEFAULT, "      ");
		line_add(l, !done ? ROLE_PENDING : pass ? ROLE_PASS : ROLE_FAIL,
			 glyph(ui, !done ? G_PENDING : pass ? G_PASS : G_FAIL));
		line_add(l, ROLE_DEFAULT, " ");
		line_add_cell(ui, l, ROLE_DEFAULT, 12, 0, col_text(s, 1));
		char d[32];
		snprintf(d, sizeof(d), "d=%.2f", sqlite3_column_double(s, 5));
		line_add_cell(ui, l, ROLE_DIM, 8, 0, d);
		char *sum = json_field(col_text(s, 6), "summary");
		if (sum) {
			int room = w - 30;
			line_add_cell(ui, l, ROLE_DIM, room > 10 ? room : 10, 0, sum);
		}
		free(sum);
	}
	sqlite3_finalize(s);
}

static int clusters_read(struct view *v, struct ui *ui)
{
	struct clusters_priv *p = v->priv;
	struct line *cur = v->lineno < v->lines ? &v->line[v->lineno] : NULL;
	int kind = cur ? cur->kind : -1;
	int64_t id = cur ? cur->id : 0;
	view_clear_lines(v);
	if (!ui->run_id)
		return 0;
	int w = ui->cols;
	static const char *const kinds[2][2] = { { "failure", "Failure clusters" },
						 { "success", "Success clusters" } };
	int total = 0;
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *s = store_prepare(ui->st,
			"SELECT id, idx, size, COALESCE(label, ''), COALESCE(summary, '') FROM clusters"
			" WHERE run_id = ? AND kind = ? ORDER BY idx");
		if (!s)
			return SS_ERR;
		sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, kinds[k][0], -1, SQLITE_STATIC);
		struct line *h = view_add_line(v, ROLE_HEADER, CL_TEXT, 0);
		line_add(h, ROLE_HEADER, kinds[k][1]);
		int n = 0;
		while (sqlite3_step(s) == SQLITE_ROW) {
			n++;
			int64_t cid = sqlite3_column_int64(s, 0);
			int folded = is_folded(p, cid);
			struct line *l = view_add_line(v, ROLE_DEFAULT, CL_CLUSTER, cid);
			l->selectable = 1;
			line_addf(l, ROLE_DIM, "  %s ", folded ? "+" : "-");
			line_addf(l, k ? ROLE_PASS : ROLE_FAIL, "%c%d ", k ? 'S' : 'F', sqlite3_column_int(s, 1));
			const char *label = col_text(s, 3);
			line_add(l, ROLE_ACCENT, *label ? label : "(no label yet)");
			line_addf(l, ROLE_DIM, "  size %d", sqlite3_column_int(s, 2));
			if (folded)
				continue;
			add_summary(ui, v, w, col_text(s, 4));
			add_members(ui, v, w, cid);
		}
		sqlite3_finalize(s);
		if (!n) {
			struct line *l = view_add_line(v, ROLE_DIM, CL_TEXT, 0);
			line_add(l, ROLE_DIM, "  none yet");
		}
		total += n;
		if (k == 0)
			view_add_line(v, ROLE_DEFAULT, CL_TEXT, 0);
	}
	if (kind >= 0)
		view_restore(v, kind, id);
	snprintf(v->status, sizeof(v->status), "%d clusters: Enter folds a cluster or opens a member",
		 total);
	return 0;
}

static int clusters_open(struct view *v, struct ui *ui)
{
	v->priv = xcalloc(1, sizeof(struct clusters_priv));
	v->wraps = 1;
	return 0;
}

static int clusters_request(struct view *v, struct ui *ui, enum request req)
{
	if (req != REQ_ENTER || v->lineno >= v->lines)
		return 0;
	struct line *l = &v->line[v->lineno];
	if (l->kind == CL_CLUSTER) {
		toggle(v->priv, l->id);
		v->stale = 1;
	} else if (l->kind == CL_MEMBER) {
		ui->traj_rollout = l->id;
		ui_push(ui, VIEW_TRAJ);
	}
	return 1;
}

static void clusters_done(struct view *v)
{
	struct clusters_priv *p = v->priv;
	if (p)
		free(p->folded);
	free(p);
	v->priv = NULL;
}

const struct view_ops clusters_ops = {
	.name = "clusters",
	.title = "Clusters",
	.open = clusters_open,
	.read = clusters_read,
	.draw = NULL,
	.request = clusters_request,
	.select = NULL,
	.done = clusters_done,
};
