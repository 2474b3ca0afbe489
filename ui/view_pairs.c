/*
 * Pairs: the contrastive pairs (each failure with its nearest success),
 * and the pair view: the contrastive observation on top, the failed and
 * the successful trajectory below, side by side or stacked (by width, or
 * toggled), scrolled together so the same step stays level.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The list. */

static int pairs_read(struct view *v, struct ui *ui)
{
	int64_t keep = v->lineno < v->lines ? v->line[v->lineno].id : 0;
	view_clear_lines(v);
	if (!ui->run_id)
		return 0;
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT p.id, p.idx, p.distance, p.same_type, COALESCE(p.contrast, ''),"
		" COALESCE(f.instance_id, '?'), COALESCE(g.instance_id, '?')"
		" FROM pairs p LEFT JOIN rollouts f ON f.id = p.failure_rollout"
		" LEFT JOIN rollouts g ON g.id = p.success_rollout"
		" WHERE p.run_id = ? ORDER BY p.idx");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	struct line *h = view_add_line(v, ROLE_HEADER, 0, 0);
	line_add(h, ROLE_HEADER, "   #  failure       success       dist  type  lesson");
	int n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		n++;
		struct line *l = view_add_line(v, ROLE_DEFAULT, 1, sqlite3_column_int64(s, 0));
		l->selectable = 1;
		char b[32];
		snprintf(b, sizeof(b), "%d", sqlite3_column_int(s, 1));
		line_add_cell(ui, l, ROLE_DIM, 4, 1, b);
		line_add(l, ROLE_DEFAULT, "  ");
		line_add(l, ROLE_FAIL, glyph(ui, G_FAIL));
		line_add(l, ROLE_DEFAULT, " ");
		line_add_cell(ui, l, ROLE_DEFAULT, 12, 0, col_text(s, 5));
		line_add(l, ROLE_PASS, glyph(ui, G_PASS));
		line_add(l, ROLE_DEFAULT, " ");
		line_add_cell(ui, l, ROLE_DEFAULT, 12, 0, col_text(s, 6));
		snprintf(b, sizeof(b), "%.2f", sqlite3_column_double(s, 2));
		line_add_cell(ui, l, ROLE_DEFAULT, 5, 1, b);
		line_add_cell(ui, l, sqlite3_column_int(s, 3) ? ROLE_DEFAULT : ROLE_WARN, 6, 1,
			      sqlite3_column_int(s, 3) ? "same" : "diff");
		line_add(l, ROLE_DEFAULT, "  ");
		char *lesson = json_field(col_text(s, 4), "lesson");
		line_add(l, ROLE_DEFAULT, lesson ? lesson : "");
		free(lesson);
	}
	sqlite3_finalize(s);
	if (!n) {
		struct line *l = view_add_line(v, ROLE_DIM, 0, 0);
		line_add(l, ROLE_DIM, "  no contrastive pairs yet");
	}
	view_restore(v, 1, keep);
	if (v->lineno == 0 && v->lines > 1)
		v->lineno = 1;
	snprintf(v->status, sizeof(v->status), "%d pairs: Enter opens a pair", n);
	return 0;
}

static int pairs_request(struct view *v, struct ui *ui, enum request req)
{
	if (req != REQ_ENTER || v->lineno >= v->lines)
		return 0;
	struct line *l = &v->line[v->lineno];
	if (l->kind == 1) {
		ui->pair_id = l->id;
		ui_push(ui, VIEW_PAIR);
	}
	return 1;
}

const struct view_ops pairs_ops = {
	.name = "pairs",
	.title = "Pairs",
	.open = NULL,
	.read = pairs_read,
	.draw = NULL,
	.request = pairs_request,
	.select = NULL,
	.done = NULL,
};

/* ------------------------------------------------------------------ */
/* One pair. */

struct pair_priv {
	struct view top;          /* the contrast */
	struct view left, right;  /* failure, success */
	int64_t shown;
	int stacked;              /* layout the panes were built for */
	size_t scroll;
	int64_t idx;
};

static void pane_clear(struct view *p)
{
	view_clear_lines(p);
}

static int pair_read(struct view *v, struct ui *ui)
{
	struct pair_priv *p = v->priv;
	pane_clear(&p->top);
	pane_clear(&p->left);
	pane_clear(&p->right);
	if (p->shown != ui->pair_id)
		p->scroll = 0;
	p->shown = ui->pair_id;
	p->stacked = ui_stacked(ui, ui->cols);
	int pw = p->stacked ? ui->cols : (ui->cols - 1) / 2;
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT idx, failure_rollout, success_rollout, distance, same_type,"
		" COALESCE(contrast, '') FROM pairs WHERE id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_int64(s, 1, ui->pair_id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		struct line *l = view_add_line(&p->top, ROLE_WARN, 0, 0);
		line_add(l, ROLE_WARN, "pair not found");
		return 0;
	}
	p->idx = sqlite3_column_int64(s, 0);
	int64_t fr = sqlite3_column_int64(s, 1), sr = sqlite3_column_int64(s, 2);
	struct line *l = view_add_line(&p->top, ROLE_DEFAULT, 0, 0);
	line_addf(l, ROLE_ACCENT, "pair %lld", (long long)p->idx);
	line_addf(l, ROLE_DIM, "  distance %.2f  %s type", sqlite3_column_double(s, 3),
		  sqlite3_column_int(s, 4) ? "same" : "different");
	const char *contrast = col_text(s, 5);
	static const char *const fields[][2] = {
		{ "lesson", "lesson" }, { "success_did", "success did" },
		{ "failure_omitted", "failure omitted" }, { "same_type_reason", "type" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		char *val = json_field(contrast, fields[i][0]);
		if (val) {
			char *t = xasprintf("%s: %s", fields[i][1], val);
			view_add_wrapped(ui, &p->top, i == 0 ? ROLE_ACCENT : ROLE_DEFAULT, 0, 0, 2, ui->cols, t);
			free(t);
		}
		free(val);
	}
	if (!*contrast) {
		l = view_add_line(&p->top, ROLE_DIM, 0, 0);
		line_add(l, ROLE_DIM, "  no contrastive observation yet");
	}
	sqlite3_finalize(s);
	traj_build(ui, &p->left, fr, pw);
	traj_build(ui, &p->right, sr, pw);
	snprintf(v->status, sizeof(v->status), "pair %lld: [ ] other pairs, v %s, j/k scroll both",
		 (long long)p->idx, p->stacked ? "side by side" : "stacked");
	return 0;
}

static void draw_pane(struct ui *ui, struct view *pane, int y, int x, int w, int h,
		      size_t scroll, const char *title, int role)
{
	draw_fill(ui, y, x, w, role);
	draw_text(ui, y, x, w, role, title, 0);
	for (int i = 1; i < h; i++) {
		size_t n = scroll + (size_t)(i - 1);
		if (n < pane->lines)
			draw_line(ui, &pane->line[n], y + i, x, w, 0, 0);
		else
			draw_fill(ui, y + i, x, w, ROLE_DEFAULT);
	}
}

static void pair_draw(struct view *v, struct ui *ui, int y, int h)
{
	struct pair_priv *p = v->priv;
	if (p->stacked != ui_stacked(ui, ui->cols)) {
		v->stale = 1;
		pair_read(v, ui);
		v->stale = 0;
	}
	int th = (int)p->top.lines;
	if (th > h / 3)
		th = h / 3;
	for (int i = 0; i < th; i++)
		draw_line(ui, &p->top.line[i], y + i, 0, ui->cols, 0, 0);
	int py = y + th, ph = h - th;
	size_t maxl = p->left.lines > p->right.lines ? p->left.lines : p->right.lines;
	int visible = p->stacked ? ph / 2 - 1 : ph - 1;
	if (visible < 1)
		visible = 1;
	v->height = visible;
	if (p->scroll + (size_t)visible > maxl)
		p->scroll = maxl > (size_t)visible ? maxl - (size_t)visible : 0;
	char lt[64], rt[64];
	snprintf(lt, sizeof(lt), " %s failure ", glyph(ui, G_FAIL));
	snprintf(rt, sizeof(rt), " %s nearest success ", glyph(ui, G_PASS));
	if (p->stacked) {
		int h1 = ph / 2;
		draw_pane(ui, &p->left, py, 0, ui->cols, h1, p->scroll, lt, ROLE_HEADER);
		draw_pane(ui, &p->right, py + h1, 0, ui->cols, ph - h1, p->scroll, rt, ROLE_HEADER);
	} else {
		int lw = (ui->cols - 1) / 2;
		draw_pane(ui, &p->left, py, 0, lw, ph, p->scroll, lt, ROLE_HEADER);
		for (int i = 0; i < ph; i++)
			draw_text(ui, py + i, lw, 1, ROLE_DIM, glyph(ui, G_VBAR), 0);
		draw_pane(ui, &p->right, py, lw + 1, ui->cols - lw - 1, ph, p->scroll, rt, ROLE_HEADER);
	}
}

static int64_t neighbour_pair(struct ui *ui, int64_t idx, int dir)
{
	sqlite3_stmt *s = store_prepare(ui->st, dir > 0
		? "SELECT id FROM pairs WHERE run_id = ? AND idx > ? ORDER BY idx LIMIT 1"
		: "SELECT id FROM pairs WHERE run_id = ? AND idx < ? ORDER BY idx DESC LIMIT 1");
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, idx);
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return id;
}

static int pair_request(struct view *v, struct ui *ui, enum request req)
{
	struct pair_priv *p = v->priv;
	long step = 0;
	switch (req) {
	case REQ_MOVE_UP: step = -1; break;
	case REQ_MOVE_DOWN: step = 1; break;
	case REQ_PAGE_UP: step = -(long)v->height; break;
	case REQ_PAGE_DOWN: step = v->height; break;
	case REQ_HALF_UP: step = -(long)(v->height / 2 ? v->height / 2 : 1); break;
	case REQ_HALF_DOWN: step = v->height / 2 ? v->height / 2 : 1; break;
	case REQ_FIRST: p->scroll = 0; return 1;
	case REQ_LAST: p->scroll = (size_t)-1 / 2; return 1;
	case REQ_LAYOUT:
		ui->layout_stacked = !ui_stacked(ui, ui->cols);
		v->stale = 1;
		return 1;
	case REQ_PREV_ITEM:
	case REQ_NEXT_ITEM: {
		int64_t id = neighbour_pair(ui, p->idx, req == REQ_NEXT_ITEM ? 1 : -1);
		if (id) {
			ui->pair_id = id;
			v->stale = 1;
		} else {
			ui_message(ui, ROLE_WARN, "no %s pair", req == REQ_NEXT_ITEM ? "next" : "previous");
		}
		return 1;
	}
	case REQ_ENTER:
		return 1;
	default:
		return 0;
	}
	long n = (long)p->scroll + step;
	p->scroll = n < 0 ? 0 : (size_t)n;
	return 1;
}

static int pair_open(struct view *v, struct ui *ui)
{
	v->priv = xcalloc(1, sizeof(struct pair_priv));
	v->wraps = 1;
	return 0;
}

static void pair_done(struct view *v)
{
	struct pair_priv *p = v->priv;
	if (!p)
		return;
	struct view *panes[3] = { &p->top, &p->left, &p->right };
	for (int i = 0; i < 3; i++) {
		view_clear_lines(panes[i]);
		free(panes[i]->line);
	}
	free(p);
	v->priv = NULL;
}

const struct view_ops pair_ops = {
	.name = "pair",
	.title = "Pair",
	.open = pair_open,
	.read = pair_read,
	.draw = pair_draw,
	.request = pair_request,
	.select = NULL,
	.done = pair_done,
};
