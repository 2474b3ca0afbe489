/*
 * Edits: what awaits a person's decision (edits and candidates with
 * status 'pending'), the decisions already made (who, when, why, and
 * whether the engine has applied them), and the other edits with their
 * fate.  a approves, x rejects with an optional reason; both ask to
 * confirm.  A decision is one INSERT INTO decisions that the engine picks
 * up; --readonly disables both keys.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { E_TEXT, E_EDIT, E_CAND, E_DECISION };

/* The decision sent for a subject and not yet applied, or none. */
static int sent_decision(struct ui *ui, const char *subject, int64_t id, char *out, size_t n)
{
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT decision, who FROM decisions WHERE run_id = ? AND subject = ? AND subject_id = ?"
		" ORDER BY id DESC LIMIT 1");
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, id);
	int found = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(out, n, "%sd by %s", col_text(s, 0), col_text(s, 1));
		found = 1;
	}
	sqlite3_finalize(s);
	return found;
}

static void add_edit(struct ui *ui, struct view *v, sqlite3_stmt *s, int pending)
{
	int64_t id = sqlite3_column_int64(s, 0);
	struct line *l = view_add_line(v, ROLE_DEFAULT, pending ? E_EDIT : E_TEXT, id);
	l->selectable = 1;
	const char *op = col_text(s, 3), *status = col_text(s, 7);
	line_addf(l, ROLE_ACCENT, "  edit %lld", (long long)id);
	line_addf(l, ROLE_DIM, "  step %d", sqlite3_column_int(s, 1));
	if (sqlite3_column_type(s, 2) != SQLITE_NULL && sqlite3_column_int(s, 2))
		line_addf(l, ROLE_DIM, " epoch %d", sqlite3_column_int(s, 2));
	line_addf(l, ROLE_DEFAULT, "  %s", op);
	if (sqlite3_column_type(s, 8) != SQLITE_NULL)
		line_addf(l, ROLE_DIM, "  rank %d", sqlite3_column_int(s, 8));
	char sent[96];
	if (pending && sent_decision(ui, "edit", id, sent, sizeof(sent))) {
		line_add(l, ROLE_WARN, "  ");
		line_add(l, ROLE_WARN, sent);
		line_add(l, ROLE_WARN, ", waiting for the engine");
	} else if (!pending) {
		line_add(l, ROLE_DEFAULT, "  ");
		line_add(l, !strcmp(status, "applied") ? ROLE_GOOD : !strcmp(status, "rejected") ? ROLE_BAD
			    : ROLE_DEFAULT, status);
	}
	int w = ui->cols;
	const char *target = col_text(s, 4), *content = col_text(s, 5);
	if (*target) {
		char *t = xasprintf("%s %s", !strcmp(op, "insert_after") || !strcmp(op, "append")
				    ? "at:" : "-", target);
		view_add_wrapped(ui, v, !strcmp(op, "insert_after") || !strcmp(op, "append")
				 ? ROLE_DIM : ROLE_DIFF_DEL, pending ? E_EDIT : E_TEXT, id, 6, w, t);
		free(t);
	}
	if (*content) {
		char *t = xasprintf("+ %s", content);
		view_add_wrapped(ui, v, ROLE_DIFF_ADD, pending ? E_EDIT : E_TEXT, id, 6, w, t);
		free(t);
	}
	const char *ev = col_text(s, 6);
	if (*ev && strcmp(ev, "[]")) {
		char *t = xasprintf("evidence: %s", ev);
		view_add_wrapped(ui, v, ROLE_DIM, pending ? E_EDIT : E_TEXT, id, 6, w, t);
		free(t);
	}
	const char *reason = col_text(s, 9);
	if (*reason) {
		char *t = xasprintf("reason: %s", reason);
		view_add_wrapped(ui, v, ROLE_DIM, pending ? E_EDIT : E_TEXT, id, 6, w, t);
		free(t);
	}
}

static const char edit_cols[] =
	"SELECT id, step, epoch, op, COALESCE(target, ''), COALESCE(content, ''),"
	" COALESCE(evidence, ''), status, rank, COALESCE(reason, '') FROM edits";

static int edits_read(struct view *v, struct ui *ui)
{
	struct line *cur = v->lineno < v->lines ? &v->line[v->lineno] : NULL;
	int kind = cur ? cur->kind : -1;
	int64_t cid = cur ? cur->id : 0;
	view_clear_lines(v);
	if (!ui->run_id)
		return 0;
	int pending = 0;
	struct line *h = view_add_line(v, ROLE_HEADER, E_TEXT, 0);
	line_add(h, ROLE_HEADER, "Awaiting your decision");
	if (ui->opt.readonly)
		line_add(h, ROLE_WARN, "  (read-only: a and x are disabled)");

	/* pending candidates */
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id, round, net_gain, n01, n10, m FROM candidates WHERE run_id = ?"
		" AND status = 'pending' ORDER BY round");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		pending++;
		int64_t id = sqlite3_column_int64(s, 0);
		struct line *l = view_add_line(v, ROLE_DEFAULT, E_CAND, id);
		l->selectable = 1;
		line_addf(l, ROLE_ACCENT, "  candidate r%d", sqlite3_column_int(s, 1));
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			line_addf(l, ROLE_DEFAULT, "  G=%+d (%d repairs, %d regressions, m=%d)",
				  sqlite3_column_int(s, 2), sqlite3_column_int(s, 3),
				  sqlite3_column_int(s, 4), sqlite3_column_int(s, 5));
		char sent[96];
		if (sent_decision(ui, "candidate", id, sent, sizeof(sent))) {
			line_add(l, ROLE_WARN, "  ");
			line_add(l, ROLE_WARN, sent);
			line_add(l, ROLE_WARN, ", waiting for the engine");
		} else {
			line_add(l, ROLE_DIM, "  Enter shows the diff");
		}
	}
	sqlite3_finalize(s);

	/* pending edits */
	char *sql = xasprintf("%s WHERE run_id = ? AND status = 'pending' ORDER BY step, rank, id", edit_cols);
	s = store_prepare(ui->st, sql);
	free(sql);
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		pending++;
		add_edit(ui, v, s, 1);
	}
	sqlite3_finalize(s);
	if (!pending) {
		struct line *l = view_add_line(v, ROLE_DIM, E_TEXT, 0);
		line_add(l, ROLE_DIM, "  nothing awaits a decision");
	}

	/* decisions made */
	view_add_line(v, ROLE_DEFAULT, E_TEXT, 0);
	h = view_add_line(v, ROLE_HEADER, E_TEXT, 0);
	line_add(h, ROLE_HEADER, "Decisions");
	s = store_prepare(ui->st,
		"SELECT id, subject, subject_id, decision, COALESCE(reason, ''), who, at, applied_at"
		" FROM decisions WHERE run_id = ? ORDER BY id DESC");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	int nd = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		nd++;
		struct line *l = view_add_line(v, ROLE_DEFAULT, E_DECISION, sqlite3_column_int64(s, 0));
		int approve = !strcmp(col_text(s, 3), "approve");
		char when[32];
		fmt_datetime(when, sizeof(when), sqlite3_column_int64(s, 6));
		line_add(l, ROLE_DEFAULT, "  ");
		line_add(l, approve ? ROLE_GOOD : ROLE_BAD, approve ? glyph(ui, G_PASS) : glyph(ui, G_FAIL));
		line_add(l, approve ? ROLE_GOOD : ROLE_BAD, approve ? " approved" : " rejected");
		line_addf(l, ROLE_DEFAULT, " %s %lld", col_text(s, 1), (long long)sqlite3_column_int64(s, 2));
		line_add(l, ROLE_DIM, "  by ");
		line_add(l, ROLE_DEFAULT, col_text(s, 5));
		line_addf(l, ROLE_DIM, "  %s", when);
		if (sqlite3_column_type(s, 7) == SQLITE_NULL)
			line_add(l, ROLE_WARN, "  not applied yet");
		else
			line_add(l, ROLE_DIM, "  applied");
		const char *why = col_text(s, 4);
		if (*why) {
			char *t = xasprintf("why: %s", why);
			view_add_wrapped(ui, v, ROLE_DIM, E_DECISION, sqlite3_column_int64(s, 0), 6, ui->cols, t);
			free(t);
		}
	}
	sqlite3_finalize(s);
	if (!nd) {
		struct line *l = view_add_line(v, ROLE_DIM, E_TEXT, 0);
		line_add(l, ROLE_DIM, "  none yet");
	}

	/* the other edits */
	sql = xasprintf("%s WHERE run_id = ? AND status != 'pending' ORDER BY step DESC, rank, id", edit_cols);
	s = store_prepare(ui->st, sql);
	free(sql);
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	int first = 1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (first) {
			view_add_line(v, ROLE_DEFAULT, E_TEXT, 0);
			h = view_add_line(v, ROLE_HEADER, E_TEXT, 0);
			line_add(h, ROLE_HEADER, "Other edits");
			first = 0;
		}
		add_edit(ui, v, s, 0);
	}
	sqlite3_finalize(s);

	if (kind >= 0) {
		view_restore(v, kind, cid);
	} else {
		for (size_t i = 0; i < v->lines; i++)
			if (v->line[i].kind == E_EDIT || v->line[i].kind == E_CAND) {
				v->lineno = i;
				break;
			}
	}
	snprintf(v->status, sizeof(v->status), "%d pending: %s approve, %s reject", pending,
		 key_name(keys_first(REQ_APPROVE, VIEW_EDITS)), "x");
	return 0;
}

static int decide(struct view *v, struct ui *ui, int approve)
{
	if (v->lineno >= v->lines)
		return 1;
	struct line *l = &v->line[v->lineno];
	if (l->kind != E_EDIT && l->kind != E_CAND) {
		ui_message(ui, ROLE_WARN, "move to a pending edit or candidate first");
		return 1;
	}
	const char *subject = l->kind == E_EDIT ? "edit" : "candidate";
	int64_t id = l->id;
	char label[64];
	if (l->kind == E_CAND)
		snprintf(label, sizeof(label), "candidate r%d", data_candidate_round(ui, id));
	else
		snprintf(label, sizeof(label), "edit %lld", (long long)id);
	char *reason = NULL;
	if (!approve) {
		reason = ui_prompt(ui, "reason (optional, Enter to skip): ");
		if (!reason) {
			ui_message(ui, ROLE_STATUS, "cancelled");
			return 1;
		}
	}
	char q[128];
	snprintf(q, sizeof(q), "%s %s?", approve ? "approve" : "reject", label);
	if (!ui_confirm(ui, q)) {
		ui_message(ui, ROLE_STATUS, "cancelled");
		free(reason);
		return 1;
	}
	if (ui_insert_decision(ui, subject, id, approve ? "approve" : "reject", reason) < 0)
		ui_message(ui, ROLE_BAD, "%s", ss_err_last());
	else
		ui_message(ui, ROLE_GOOD, "%s %s: sent to the engine", approve ? "approved" : "rejected", label);
	free(reason);
	v->stale = 1;
	return 1;
}

static int edits_request(struct view *v, struct ui *ui, enum request req)
{
	switch (req) {
	case REQ_APPROVE:
		return decide(v, ui, 1);
	case REQ_REJECT:
		return decide(v, ui, 0);
	case REQ_ENTER:
		if (v->lineno < v->lines && v->line[v->lineno].kind == E_CAND) {
			ui->diff_new = v->line[v->lineno].id;
			ui->diff_old = 0;
			ui_push(ui, VIEW_DIFF);
		}
		return 1;
	default:
		return 0;
	}
}

static int edits_open(struct view *v, struct ui *ui)
{
	v->wraps = 1;
	return 0;
}

const struct view_ops edits_ops = {
	.name = "edits",
	.title = "Edits",
	.open = edits_open,
	.read = edits_read,
	.draw = NULL,
	.request = edits_request,
	.select = NULL,
	.done = NULL,
};
