/*
 * Log: the candidate history (candidates with their commit in the skill
 * repository), newest first, with G, repairs, regressions and status; the
 * commit summary and tags come from the repository when the workspace has
 * one.  Space marks up to two candidates and d diffs them; Enter diffs the
 * candidate against its parent.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"
#include "skillsmith/vcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct log_priv {
	int64_t mark[2];
	int nmark;
};

static int is_marked(struct log_priv *p, int64_t id)
{
	for (int i = 0; i < p->nmark; i++)
		if (p->mark[i] == id)
			return 1;
	return 0;
}

static int log_read(struct view *v, struct ui *ui)
{
	struct log_priv *p = v->priv;
	int64_t keep = v->lineno < v->lines ? v->line[v->lineno].id : 0;
	view_clear_lines(v);
	if (!ui->run_id)
		return 0;
	struct vcs_log_entry *log = NULL;
	size_t nlog = 0;
	struct vcs *vcs = NULL;
	if (ui->opt.workspace && vcs_open_existing(&vcs, ui->opt.workspace) == 0) {
		if (vcs_log(&log, &nlog, vcs, ui->run_id, 0) < 0)
			nlog = 0;
		vcs_close(vcs);
	}
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id, round, status, net_gain, n01, n10, m, COALESCE(commit_oid, ''), created_at"
		" FROM candidates WHERE run_id = ? ORDER BY round DESC");
	if (!s) {
		vcs_log_free(log, nlog);
		return SS_ERR;
	}
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	int n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		n++;
		int64_t id = sqlite3_column_int64(s, 0);
		struct line *l = view_add_line(v, ROLE_DEFAULT, 1, id);
		l->selectable = 1;
		line_add(l, ROLE_ACCENT, is_marked(p, id) ? "* " : "  ");
		char b[64];
		snprintf(b, sizeof(b), "r%d", sqlite3_column_int(s, 1));
		line_add_cell(ui, l, ROLE_ACCENT, 4, 0, b);
		const char *oid = col_text(s, 7);
		snprintf(b, sizeof(b), "%.7s", *oid ? oid : "-------");
		line_add(l, ROLE_DIFF_HUNK, b);
		line_add(l, ROLE_DEFAULT, " ");
		char when[32];
		fmt_datetime(when, sizeof(when), sqlite3_column_int64(s, 8));
		line_add(l, ROLE_DIM, when);
		line_add(l, ROLE_DEFAULT, " ");
		if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
			int g = sqlite3_column_int(s, 3);
			snprintf(b, sizeof(b), "G=%+d", g);
			line_add_cell(ui, l, g > 0 ? ROLE_GOOD : g < 0 ? ROLE_BAD : ROLE_DEFAULT, 6, 0, b);
			snprintf(b, sizeof(b), "%s%d %s%d m=%d", glyph(ui, G_UP), sqlite3_column_int(s, 4),
				 glyph(ui, G_DOWN), sqlite3_column_int(s, 5), sqlite3_column_int(s, 6));
			line_add_cell(ui, l, ROLE_DEFAULT, 12, 0, b);
		} else {
			line_add_cell(ui, l, ROLE_DIM, 18, 0, "not verified");
		}
		const char *status = col_text(s, 2);
		int selected = ui->run.selected_candidate == id;
		line_add_cell(ui, l, selected ? ROLE_GOOD : ROLE_DEFAULT, 10, 0, status);
		for (size_t i = 0; i < nlog; i++) {
			if (*oid && !strcmp(log[i].oid, oid)) {
				if (log[i].tags) {
					line_add(l, ROLE_WARN, "(");
					line_add(l, ROLE_WARN, log[i].tags);
					line_add(l, ROLE_WARN, ") ");
				}
				line_add(l, ROLE_DEFAULT, log[i].summary);
			}
		}
	}
	sqlite3_finalize(s);
	vcs_log_free(log, nlog);
	if (!n) {
		struct line *l = view_add_line(v, ROLE_DIM, 0, 0);
		line_add(l, ROLE_DIM, "  no candidate yet");
	}
	view_restore(v, 1, keep);
	snprintf(v->status, sizeof(v->status), "%d candidates: Space marks two, d diffs them, Enter diffs with the parent",
		 n);
	return 0;
}

static int log_request(struct view *v, struct ui *ui, enum request req)
{
	struct log_priv *p = v->priv;
	if (v->lineno >= v->lines || v->line[v->lineno].kind != 1)
		return req == REQ_MARK || req == REQ_DIFF || req == REQ_ENTER;
	int64_t id = v->line[v->lineno].id;
	switch (req) {
	case REQ_MARK:
		if (is_marked(p, id)) {
			if (p->mark[0] == id)
				p->mark[0] = p->mark[1];
			p->nmark--;
		} else {
			if (p->nmark == 2) {
				p->mark[0] = p->mark[1];
				p->nmark = 1;
			}
			p->mark[p->nmark++] = id;
		}
		v->stale = 1;
		if (v->lineno + 1 < v->lines)
			v->lineno++;
		return 1;
	case REQ_DIFF:
		if (p->nmark != 2) {
			ui_message(ui, ROLE_WARN, "mark two candidates with Space first");
			return 1;
		}
		{
			int r0 = data_candidate_round(ui, p->mark[0]), r1 = data_candidate_round(ui, p->mark[1]);
			ui->diff_old = r0 <= r1 ? p->mark[0] : p->mark[1];
			ui->diff_new = r0 <= r1 ? p->mark[1] : p->mark[0];
		}
		ui_push(ui, VIEW_DIFF);
		return 1;
	case REQ_ENTER:
		ui->diff_new = id;
		ui->diff_old = 0;
		ui_push(ui, VIEW_DIFF);
		return 1;
	default:
		return 0;
	}
}

static int log_open(struct view *v, struct ui *ui)
{
	v->priv = xcalloc(1, sizeof(struct log_priv));
	return 0;
}

static void log_done(struct view *v)
{
	free(v->priv);
	v->priv = NULL;
}

const struct view_ops log_ops = {
	.name = "log",
	.title = "Log",
	.open = log_open,
	.read = log_read,
	.draw = NULL,
	.request = log_request,
	.select = NULL,
	.done = log_done,
};
