/*
 * Diff: the skill of one candidate against another (by default round r
 * against its parent, r-1), unified or side by side (by width, or
 * toggled with v).  The diff comes from libgit2: through the skill
 * repository (vcs_diff_foreach) when the workspace has one and both
 * candidates are commits, else git_diff_buffers() over candidates.body,
 * which the store always has.  Local reads only, never the network.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"
#include "skillsmith/vcs.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct drow {
	char kind;           /* 'F' file, 'H' hunk, ' ', '+', '-', '\\' */
	int oldno, newno;
	char *text;
};

struct srow {
	char lk, rk;         /* kinds of the halves; 0 for blank */
	int lno, rno;
	const char *l, *r;   /* borrowed from the unified rows */
};

struct diff_priv {
	struct drow *row;
	size_t nrow, arow;
	struct srow *srow;
	size_t nsrow, asrow;
	int64_t old_id, new_id;
	int old_round, new_round;
	int adds, dels;
	int stacked;         /* 1 unified, 0 side by side: what the lines hold */
	int header;          /* lines before the rows */
	const char *source;
};

static void add_row(struct diff_priv *p, char kind, int o, int n, const char *text, size_t len)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	ALLOC_GROW(p->row, p->nrow + 1, p->arow);
	struct drow *r = &p->row[p->nrow++];
	r->kind = kind;
	r->oldno = o;
	r->newno = n;
	r->text = xstrndup(text, len);
	if (kind == '+')
		p->adds++;
	else if (kind == '-')
		p->dels++;
}

static void diff_clear(struct diff_priv *p)
{
	for (size_t i = 0; i < p->nrow; i++)
		free(p->row[i].text);
	p->nrow = 0;
	p->nsrow = 0;
	p->adds = p->dels = 0;
}

static int vcs_line(const struct vcs_diff_line *l, void *payload)
{
	char kind = (char)l->kind;
	add_row(payload, kind, l->old_lineno, l->new_lineno, l->content, l->len);
	return 0;
}

static int git_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
		    const git_diff_line *line, void *payload)
{
	char k = line->origin;
	if (k == GIT_DIFF_LINE_CONTEXT_EOFNL || k == GIT_DIFF_LINE_ADD_EOFNL ||
	    k == GIT_DIFF_LINE_DEL_EOFNL)
		k = '\\';
	else if (k == GIT_DIFF_LINE_FILE_HDR)
		k = 'F';
	else if (k == GIT_DIFF_LINE_HUNK_HDR)
		k = 'H';
	if (k == 'F') {
		/* one row per header line */
		const char *s = line->content, *end = s + line->content_len;
		while (s < end) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
			add_row(payload, 'F', -1, -1, s, n);
			s += n + (nl ? 1 : 0);
		}
		return 0;
	}
	add_row(payload, k, line->old_lineno, line->new_lineno, line->content, line->content_len);
	return 0;
}

static int git_hunk(const git_diff_delta *delta, const git_diff_hunk *hunk, void *payload)
{
	add_row(payload, 'H', -1, -1, hunk->header, hunk->header_len);
	return 0;
}

struct cand {
	int64_t id, parent;
	int round;
	char *body, *oid;
};

static int load_cand(struct ui *ui, struct cand *c, int64_t id)
{
	memset(c, 0, sizeof(*c));
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id, round, COALESCE(parent_id, 0), body, commit_oid FROM candidates WHERE id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_int64(s, 1, id);
	int rc = SS_ENOTFOUND;
	if (sqlite3_step(s) == SQLITE_ROW) {
		c->id = sqlite3_column_int64(s, 0);
		c->round = sqlite3_column_int(s, 1);
		c->parent = sqlite3_column_int64(s, 2);
		c->body = xstrdup(col_text(s, 3));
		c->oid = sqlite3_column_type(s, 4) == SQLITE_NULL ? NULL : xstrdup(col_text(s, 4));
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

static void release_cand(struct cand *c)
{
	free(c->body);
	free(c->oid);
}

static int64_t latest_candidate(struct ui *ui)
{
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id FROM candidates WHERE run_id = ? ORDER BY round DESC LIMIT 1");
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return id;
}

static void compute(struct ui *ui, struct diff_priv *p, struct cand *a, struct cand *b)
{
	/* the skill repository, when both are commits there */
	if (ui->opt.workspace && b->oid && (!a->id || a->oid)) {
		struct vcs *vcs;
		if (vcs_open_existing(&vcs, ui->opt.workspace) == 0) {
			struct vcs_diff_options o = VCS_DIFF_OPTIONS_INIT;
			int rc = vcs_diff_foreach(vcs, a->id ? a->oid : NULL, b->oid, &o, vcs_line, p);
			vcs_close(vcs);
			if (rc == 0) {
				p->source = "skill repository";
				return;
			}
			diff_clear(p);
		}
	}
	static int git_ready;
	if (!git_ready) {
		git_libgit2_init();
		git_ready = 1;
	}
	git_diff_options o;
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	const char *ob = a->id ? a->body : "";
	if (git_diff_buffers(ob, strlen(ob), "SKILL.md", b->body, strlen(b->body), "SKILL.md",
			     &o, NULL, NULL, git_hunk, git_line, p) < 0) {
		const git_error *e = git_error_last();
		ui_message(ui, ROLE_BAD, "diff: %s", e ? e->message : "failed");
	}
	p->source = "candidate bodies";
}

static void build_side_by_side(struct diff_priv *p)
{
	p->nsrow = 0;
	size_t i = 0;
	while (i < p->nrow) {
		struct drow *r = &p->row[i];
		if (r->kind == '-' || r->kind == '+') {
			size_t d0 = i, d1 = i;
			while (d1 < p->nrow && p->row[d1].kind == '-')
				d1++;
			size_t a0 = d1, a1 = d1;
			while (a1 < p->nrow && p->row[a1].kind == '+')
				a1++;
			size_t nd = d1 - d0, na = a1 - a0, n = nd > na ? nd : na;
			for (size_t k = 0; k < n; k++) {
				ALLOC_GROW(p->srow, p->nsrow + 1, p->asrow);
				struct srow *s = &p->srow[p->nsrow++];
				memset(s, 0, sizeof(*s));
				if (k < nd) {
					s->lk = '-';
					s->lno = p->row[d0 + k].oldno;
					s->l = p->row[d0 + k].text;
				}
				if (k < na) {
					s->rk = '+';
					s->rno = p->row[a0 + k].newno;
					s->r = p->row[a0 + k].text;
				}
			}
			i = a1 > i ? a1 : i + 1;
			continue;
		}
		ALLOC_GROW(p->srow, p->nsrow + 1, p->asrow);
		struct srow *s = &p->srow[p->nsrow++];
		memset(s, 0, sizeof(*s));
		s->lk = s->rk = r->kind;
		s->lno = r->oldno;
		s->rno = r->newno;
		s->l = s->r = r->text;
		i++;
	}
}

static int kind_role(char k)
{
	switch (k) {
	case '+': return ROLE_DIFF_ADD;
	case '-': return ROLE_DIFF_DEL;
	case 'H': return ROLE_DIFF_HUNK;
	case 'F': return ROLE_HEADER;
	case '\\': return ROLE_DIM;
	default: return ROLE_DEFAULT;
	}
}

static void add_header(struct ui *ui, struct view *v, struct diff_priv *p)
{
	struct line *l = view_add_line(v, ROLE_DEFAULT, 0, -1);
	if (p->old_id)
		line_addf(l, ROLE_ACCENT, "r%d %s r%d", p->old_round, glyph(ui, G_ARROW), p->new_round);
	else
		line_addf(l, ROLE_ACCENT, "r%d (first candidate)", p->new_round);
	line_addf(l, ROLE_DIFF_ADD, "  +%d", p->adds);
	line_addf(l, ROLE_DIFF_DEL, " -%d", p->dels);
	line_addf(l, ROLE_DIM, "  from the %s", p->source ? p->source : "store");
	p->header = 1;
}

static void lay_out(struct ui *ui, struct view *v, struct diff_priv *p)
{
	int64_t keep = v->lineno < v->lines ? v->line[v->lineno].id : -1;
	view_clear_lines(v);
	add_header(ui, v, p);
	p->stacked = ui_stacked(ui, ui->cols);
	if (p->stacked) {
		for (size_t i = 0; i < p->nrow; i++) {
			struct drow *r = &p->row[i];
			struct line *l = view_add_line(v, kind_role(r->kind), 1, (int64_t)i);
			if (r->kind == 'F' || r->kind == 'H' || r->kind == '\\') {
				line_add(l, kind_role(r->kind), r->text);
				continue;
			}
			char nums[32];
			snprintf(nums, sizeof(nums), "%4s %4s ", "", "");
			if (r->oldno > 0 && r->newno > 0)
				snprintf(nums, sizeof(nums), "%4d %4d ", r->oldno, r->newno);
			else if (r->oldno > 0)
				snprintf(nums, sizeof(nums), "%4d %4s ", r->oldno, "");
			else if (r->newno > 0)
				snprintf(nums, sizeof(nums), "%4s %4d ", "", r->newno);
			line_add(l, ROLE_DIM, nums);
			char pre[2] = { r->kind, 0 };
			line_add(l, kind_role(r->kind), pre);
			line_add(l, kind_role(r->kind), r->text);
		}
	} else {
		build_side_by_side(p);
		for (size_t i = 0; i < p->nsrow; i++) {
			struct line *l = view_add_line(v, ROLE_DEFAULT, 2, (int64_t)i);
			/* the text only serves search */
			buf_addf(&l->text, "%s | %s", p->srow[i].l ? p->srow[i].l : "",
				 p->srow[i].r ? p->srow[i].r : "");
		}
	}
	if (p->nrow == 0) {
		struct line *l = view_add_line(v, ROLE_DIM, 0, -2);
		line_add(l, ROLE_DIM, "  no difference");
	}
	view_restore(v, p->stacked ? 1 : 2, keep);
}

static int diff_read(struct view *v, struct ui *ui)
{
	struct diff_priv *p = v->priv;
	diff_clear(p);
	view_clear_lines(v);
	if (!ui->run_id)
		return 0;
	int64_t new_id = ui->diff_new ? ui->diff_new : latest_candidate(ui);
	if (!new_id) {
		struct line *l = view_add_line(v, ROLE_DIM, 0, 0);
		line_add(l, ROLE_DIM, "  no candidate yet");
		return 0;
	}
	struct cand a, b;
	if (load_cand(ui, &b, new_id) < 0) {
		struct line *l = view_add_line(v, ROLE_WARN, 0, 0);
		line_add(l, ROLE_WARN, "  candidate not found");
		return 0;
	}
	int64_t old_id = ui->diff_old;
	if (!old_id)
		old_id = b.parent ? b.parent : data_round_candidate(ui, b.round - 1);
	if (!old_id || load_cand(ui, &a, old_id) < 0)
		memset(&a, 0, sizeof(a));
	if (p->new_id != b.id || p->old_id != a.id)
		v->lineno = 0;
	p->new_id = b.id;
	p->old_id = a.id;
	p->new_round = b.round;
	p->old_round = a.round;
	compute(ui, p, &a, &b);
	release_cand(&a);
	release_cand(&b);
	lay_out(ui, v, p);
	snprintf(v->status, sizeof(v->status), "diff: v %s, [ ] other rounds",
		 p->stacked ? "side by side" : "unified");
	return 0;
}

static void draw_half(struct ui *ui, int y, int x, int w, char kind, int no, const char *text,
		      int xoff, int cursor)
{
	if (!kind) {
		draw_fill(ui, y, x, w, cursor ? ROLE_CURSOR : ROLE_DEFAULT);
		return;
	}
	int role = cursor ? ROLE_CURSOR : kind_role(kind);
	draw_fill(ui, y, x, w, role);
	if (kind == 'F' || kind == 'H' || kind == '\\') {
		draw_text(ui, y, x, w, role, text, xoff);
		return;
	}
	char nums[16] = "     ";
	if (no > 0)
		snprintf(nums, sizeof(nums), "%4d ", no);
	int used = draw_text(ui, y, x, w, cursor ? ROLE_CURSOR : ROLE_DIM, nums, 0);
	char pre[2] = { kind, 0 };
	used += draw_text(ui, y, x + used, w - used, role, pre, 0);
	draw_text(ui, y, x + used, w - used, role, text, xoff);
}

static void diff_draw(struct view *v, struct ui *ui, int y, int h)
{
	struct diff_priv *p = v->priv;
	if (p->stacked != ui_stacked(ui, ui->cols))
		lay_out(ui, v, p);
	if (p->stacked) {
		draw_lines(v, ui, y, h);
		return;
	}
	int lw = (ui->cols - 1) / 2;
	for (int i = 0; i < h; i++) {
		size_t n = v->offset + (size_t)i;
		if (n >= v->lines) {
			draw_fill(ui, y + i, 0, ui->cols, ROLE_DEFAULT);
			continue;
		}
		struct line *l = &v->line[n];
		int cur = n == v->lineno;
		if (l->kind != 2) {
			draw_line(ui, l, y + i, 0, ui->cols, 0, cur);
			continue;
		}
		struct srow *s = &p->srow[l->id];
		if (s->lk == 'F' || s->lk == 'H') {
			draw_fill(ui, y + i, 0, ui->cols, kind_role(s->lk));
			draw_text(ui, y + i, 0, ui->cols, cur ? ROLE_CURSOR : kind_role(s->lk), s->l, v->xoff);
			continue;
		}
		draw_half(ui, y + i, 0, lw, s->lk, s->lno, s->l, v->xoff, cur);
		draw_text(ui, y + i, lw, 1, ROLE_DIM, glyph(ui, G_VBAR), 0);
		draw_half(ui, y + i, lw + 1, ui->cols - lw - 1, s->rk, s->rno, s->r, v->xoff, cur);
	}
}

static int diff_request(struct view *v, struct ui *ui, enum request req)
{
	struct diff_priv *p = v->priv;
	switch (req) {
	case REQ_LAYOUT:
		ui->layout_stacked = !ui_stacked(ui, ui->cols);
		lay_out(ui, v, p);
		snprintf(v->status, sizeof(v->status), "diff: v %s, [ ] other rounds",
			 p->stacked ? "side by side" : "unified");
		return 1;
	case REQ_PREV_ITEM:
	case REQ_NEXT_ITEM: {
		int r = p->new_round + (req == REQ_NEXT_ITEM ? 1 : -1);
		int64_t id = r > 0 ? data_round_candidate(ui, r) : 0;
		if (!id) {
			ui_message(ui, ROLE_WARN, "no round %d", r);
			return 1;
		}
		ui->diff_new = id;
		ui->diff_old = 0;
		v->stale = 1;
		return 1;
	}
	case REQ_ENTER:
		return 1;
	default:
		return 0;
	}
}

static int diff_open(struct view *v, struct ui *ui)
{
	v->priv = xcalloc(1, sizeof(struct diff_priv));
	return 0;
}

static void diff_done(struct view *v)
{
	struct diff_priv *p = v->priv;
	if (!p)
		return;
	diff_clear(p);
	free(p->row);
	free(p->srow);
	free(p);
	v->priv = NULL;
}

const struct view_ops diff_ops = {
	.name = "diff",
	.title = "Diff",
	.open = diff_open,
	.read = diff_read,
	.draw = diff_draw,
	.request = diff_request,
	.select = NULL,
	.done = diff_done,
};
