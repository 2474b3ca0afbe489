/*
 * Rollout grid: instances down, one column per phase (baseline, rounds
 * 1..K, test without and with the skill).  Each cell is a glyph and a
 * colour (pass, fail, pending, running, error); a repair (the baseline
 * failed, this passed) carries an up mark and a regression a down mark,
 * so neither rests on colour.  Filters: regressions only, changed only,
 * one cluster, one task type; sorts: task order, id, regressions, repairs.
 *
 * The model is compact (one byte and one rollout id per cell) so a run
 * with 50,000 rollouts stays small; only visible rows are drawn.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cell_state { C_NA, C_PENDING, C_RUNNING, C_PASS, C_FAIL, C_ERROR };
#define C_REPAIR 0x10
#define C_REGRESS 0x20
#define C_STATE(c) ((c) & 0x0f)

enum col_kind { K_BASE, K_IMPORT, K_CAND, K_TEST_BASE, K_TEST_SKILL };

struct gcol {
	enum col_kind kind;
	int64_t cand;
	int round;
	char label[16];
};

struct grow {
	char *id;
	char *type;
	char split[8];
	int idx;
	int repairs, regressions;
};

enum { F_ALL, F_REGRESSIONS, F_CHANGED, F__COUNT };
enum { S_INDEX, S_ID, S_REGRESSIONS, S_REPAIRS, S__COUNT };
static const char *const filter_names[F__COUNT] = { "all", "regressions", "changed" };
static const char *const sort_names[S__COUNT] = { "order", "id", "regressions", "repairs" };

struct gcluster {
	int64_t id;
	char *label;
	char kind[8];
	int idx;
};

struct grid {
	struct grow *rows;
	int n, nalloc;
	struct gcol *cols;
	int k, kalloc;
	uint8_t *cell;         /* n * k */
	int64_t *rid;          /* n * k rollout ids */
	int *order;            /* shown rows (indices into rows) */
	int norder;
	int filter, sort;
	int cluster;           /* -1 all, else index into clusters */
	struct gcluster *clusters;
	int nclusters;
	int *member;           /* pairs (row, cluster index) */
	int nmember, amember;
	char **types;
	int ntypes;
	int type;              /* -1 all */
	int colcur;            /* column cursor */
	int colfirst;          /* first column shown */
	int synthetic;
};

#define CELL(g, r, c) ((g)->cell[(size_t)(r) * (size_t)(g)->k + (size_t)(c)])
#define RID(g, r, c) ((g)->rid[(size_t)(r) * (size_t)(g)->k + (size_t)(c)])

static void grid_free(struct grid *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->n; i++) {
		free(g->rows[i].id);
		free(g->rows[i].type);
	}
	for (int i = 0; i < g->nclusters; i++)
		free(g->clusters[i].label);
	for (int i = 0; i < g->ntypes; i++)
		free(g->types[i]);
	free(g->types);
	free(g->clusters);
	free(g->member);
	free(g->rows);
	free(g->cols);
	free(g->cell);
	free(g->rid);
	free(g->order);
	free(g);
}

/* ------------------------------------------------------------------ */
/* Instance lookup by id: open addressing over the row indices. */

struct idmap {
	int *slot;
	size_t cap;
};

static void idmap_build(struct idmap *m, struct grid *g)
{
	m->cap = 16;
	while (m->cap < (size_t)g->n * 2)
		m->cap *= 2;
	m->slot = xmalloc(m->cap * sizeof(int));
	for (size_t i = 0; i < m->cap; i++)
		m->slot[i] = -1;
	for (int i = 0; i < g->n; i++) {
		size_t h = (size_t)ss_hash64(g->rows[i].id, strlen(g->rows[i].id)) & (m->cap - 1);
		while (m->slot[h] >= 0)
			h = (h + 1) & (m->cap - 1);
		m->slot[h] = i;
	}
}

static int idmap_find(struct idmap *m, struct grid *g, const char *id)
{
	size_t h = (size_t)ss_hash64(id, strlen(id)) & (m->cap - 1);
	while (m->slot[h] >= 0) {
		if (!strcmp(g->rows[m->slot[h]].id, id))
			return m->slot[h];
		h = (h + 1) & (m->cap - 1);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Loading. */

static int add_col(struct grid *g, enum col_kind kind, int64_t cand, int round)
{
	ALLOC_GROW(g->cols, (size_t)g->k + 1, g->kalloc);
	struct gcol *c = &g->cols[g->k];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->cand = cand;
	c->round = round;
	switch (kind) {
	case K_BASE: snprintf(c->label, sizeof(c->label), "base"); break;
	case K_IMPORT: snprintf(c->label, sizeof(c->label), "imp"); break;
	case K_CAND: snprintf(c->label, sizeof(c->label), "r%d", round); break;
	case K_TEST_BASE: snprintf(c->label, sizeof(c->label), "tb"); break;
	case K_TEST_SKILL: snprintf(c->label, sizeof(c->label), "ts"); break;
	}
	return g->k++;
}

static int col_for(struct grid *g, const char *phase, int round)
{
	for (int i = 0; i < g->k; i++) {
		struct gcol *c = &g->cols[i];
		if ((c->kind == K_BASE && !strcmp(phase, "base")) ||
		    (c->kind == K_IMPORT && !strcmp(phase, "import")) ||
		    (c->kind == K_TEST_BASE && !strcmp(phase, "test_base")) ||
		    (c->kind == K_TEST_SKILL && !strcmp(phase, "test_skill")) ||
		    (c->kind == K_CAND && c->round == round &&
		     (!strcmp(phase, "cand") || !strcmp(phase, "edit"))))
			return i;
	}
	return -1;
}

/* Whether a missing rollout of this row in this column is still to come. */
static int expected(struct ui *ui, struct grow *r, struct gcol *c)
{
	switch (c->kind) {
	case K_BASE: return !strcmp(r->split, "ind") || !strcmp(r->split, "ver");
	case K_IMPORT: return 0;
	case K_CAND: return !strcmp(r->split, "ver") &&
			    (!ui->run.strategy || !strcmp(ui->run.strategy, "skillgen"));
	case K_TEST_BASE:
	case K_TEST_SKILL: return !strcmp(r->split, "test");
	}
	return 0;
}

static void mark_changes(struct grid *g)
{
	int base = -1, tb = -1;
	for (int c = 0; c < g->k; c++) {
		if (g->cols[c].kind == K_BASE && base < 0)
			base = c;
		if (g->cols[c].kind == K_TEST_BASE)
			tb = c;
	}
	for (int r = 0; r < g->n; r++) {
		g->rows[r].repairs = g->rows[r].regressions = 0;
		for (int c = 0; c < g->k; c++) {
			int ref = g->cols[c].kind == K_CAND ? base : g->cols[c].kind == K_TEST_SKILL ? tb : -1;
			uint8_t *x = &CELL(g, r, c);
			*x &= 0x0f;
			if (ref < 0)
				continue;
			int a = C_STATE(CELL(g, r, ref)), b = C_STATE(*x);
			if (a == C_FAIL && b == C_PASS) {
				*x |= C_REPAIR;
				g->rows[r].repairs++;
			} else if (a == C_PASS && b == C_FAIL) {
				*x |= C_REGRESS;
				g->rows[r].regressions++;
			}
		}
	}
}

static struct grid *grid_load(struct ui *ui)
{
	struct grid *g = xcalloc(1, sizeof(*g));
	g->cluster = -1;
	g->type = -1;
	if (!ui->run_id)
		return g;
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id, COALESCE(type, ''), split, idx FROM instances WHERE run_id = ? ORDER BY idx, id");
	if (!s)
		return g;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(g->rows, (size_t)g->n + 1, g->nalloc);
		struct grow *r = &g->rows[g->n++];
		memset(r, 0, sizeof(*r));
		r->id = xstrdup(col_text(s, 0));
		r->type = xstrdup(col_text(s, 1));
		snprintf(r->split, sizeof(r->split), "%s", col_text(s, 2));
		r->idx = sqlite3_column_int(s, 3);
		int known = 0;
		for (int t = 0; t < g->ntypes; t++)
			if (!strcmp(g->types[t], r->type))
				known = 1;
		if (!known && *r->type) {
			g->types = xrealloc(g->types, sizeof(char *) * (size_t)(g->ntypes + 1));
			g->types[g->ntypes++] = xstrdup(r->type);
		}
	}
	sqlite3_finalize(s);

	/* columns: baseline, import, rounds 1..K, test */
	int has_import = 0, max_round = ui->run.rounds_total;
	s = store_prepare(ui->st, "SELECT 1 FROM rollouts WHERE run_id = ? AND phase = 'import' LIMIT 1");
	if (s) {
		sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
		has_import = sqlite3_step(s) == SQLITE_ROW;
		sqlite3_finalize(s);
	}
	s = store_prepare(ui->st, "SELECT MAX(round) FROM candidates WHERE run_id = ?");
	if (s) {
		sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > max_round)
			max_round = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	add_col(g, K_BASE, 0, 0);
	if (has_import)
		add_col(g, K_IMPORT, 0, 0);
	for (int r = 1; r <= max_round; r++)
		add_col(g, K_CAND, 0, r);
	add_col(g, K_TEST_BASE, 0, 0);
	add_col(g, K_TEST_SKILL, 0, 0);

	size_t cells = (size_t)g->n * (size_t)g->k;
	g->cell = xcalloc(cells ? cells : 1, 1);
	g->rid = xcalloc(cells ? cells : 1, sizeof(int64_t));
	for (int r = 0; r < g->n; r++)
		for (int c = 0; c < g->k; c++)
			if (expected(ui, &g->rows[r], &g->cols[c]))
				CELL(g, r, c) = C_PENDING;

	struct idmap map;
	idmap_build(&map, g);
	s = store_prepare(ui->st,
		"SELECT r.id, r.instance_id, r.phase, COALESCE(c.round, 0), r.status, r.outcome"
		" FROM rollouts r LEFT JOIN candidates c ON c.id = r.candidate_id WHERE r.run_id = ?");
	if (s) {
		sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int row = idmap_find(&map, g, col_text(s, 1));
			int col = col_for(g, col_text(s, 2), sqlite3_column_int(s, 3));
			if (row < 0 || col < 0)
				continue;
			const char *st = col_text(s, 4);
			uint8_t v = C_PENDING;
			if (!strcmp(st, "running"))
				v = C_RUNNING;
			else if (!strcmp(st, "error"))
				v = C_ERROR;
			else if (!strcmp(st, "done"))
				v = sqlite3_column_type(s, 5) == SQLITE_NULL ? C_ERROR
				    : sqlite3_column_int(s, 5) ? C_PASS : C_FAIL;
			CELL(g, row, col) = v;
			RID(g, row, col) = sqlite3_column_int64(s, 0);
		}
		sqlite3_finalize(s);
	}

	/* clusters and their members (by the member rollout's instance) */
	s = store_prepare(ui->st, "SELECT id, kind, idx, COALESCE(label, '') FROM clusters"
			  " WHERE run_id = ? ORDER BY kind, idx");
	if (s) {
		sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(s) == SQLITE_ROW) {
			g->clusters = xrealloc(g->clusters, sizeof(*g->clusters) * (size_t)(g->nclusters + 1));
			struct gcluster *c = &g->clusters[g->nclusters++];
			c->id = sqlite3_column_int64(s, 0);
			snprintf(c->kind, sizeof(c->kind), "%s", col_text(s, 1));
			c->idx = sqlite3_column_int(s, 2);
			c->label = xstrdup(col_text(s, 3));
		}
		sqlite3_finalize(s);
	}
	s = store_prepare(ui->st, "SELECT m.cluster_id, r.instance_id FROM cluster_members m"
			  " JOIN clusters c ON c.id = m.cluster_id JOIN rollouts r ON r.id = m.rollout_id"
			  " WHERE c.run_id = ?");
	if (s) {
		sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int64_t cid = sqlite3_column_int64(s, 0);
			int row = idmap_find(&map, g, col_text(s, 1));
			int ci = -1;
			for (int i = 0; i < g->nclusters; i++)
				if (g->clusters[i].id == cid)
					ci = i;
			if (row < 0 || ci < 0)
				continue;
			ALLOC_GROW(g->member, (size_t)g->nmember + 2, g->amember);
			g->member[g->nmember++] = row;
			g->member[g->nmember++] = ci;
		}
		sqlite3_finalize(s);
	}
	free(map.slot);
	mark_changes(g);
	return g;
}

/* ------------------------------------------------------------------ */
/* Order and filters: the view's lines are the rows shown. */

static struct grid *sort_grid;

static int cmp_rows(const void *a, const void *b)
{
	const struct grow *x = &sort_grid->rows[*(const int *)a];
	const struct grow *y = &sort_grid->rows[*(const int *)b];
	int d = 0;
	switch (sort_grid->sort) {
	case S_ID: d = strcmp(x->id, y->id); break;
	case S_REGRESSIONS: d = y->regressions - x->regressions; break;
	case S_REPAIRS: d = y->repairs - x->repairs; break;
	default: break;
	}
	if (!d)
		d = x->idx - y->idx;
	if (!d)
		d = strcmp(x->id, y->id);
	return d;
}

static void grid_layout(struct view *v, struct ui *ui, struct grid *g)
{
	int64_t keep = v->lineno < v->lines ? v->line[v->lineno].id : -1;
	view_clear_lines(v);
	free(g->order);
	g->order = xmalloc(sizeof(int) * (size_t)(g->n ? g->n : 1));
	g->norder = 0;
	uint8_t *in_cluster = NULL;
	if (g->cluster >= 0) {
		in_cluster = xcalloc((size_t)(g->n ? g->n : 1), 1);
		for (int i = 0; i < g->nmember; i += 2)
			if (g->member[i + 1] == g->cluster)
				in_cluster[g->member[i]] = 1;
	}
	for (int r = 0; r < g->n; r++) {
		struct grow *row = &g->rows[r];
		if (g->filter == F_REGRESSIONS && !row->regressions)
			continue;
		if (g->filter == F_CHANGED && !row->regressions && !row->repairs)
			continue;
		if (in_cluster && !in_cluster[r])
			continue;
		if (g->type >= 0 && strcmp(row->type, g->types[g->type]))
			continue;
		g->order[g->norder++] = r;
	}
	free(in_cluster);
	sort_grid = g;
	qsort(g->order, (size_t)g->norder, sizeof(int), cmp_rows);
	for (int i = 0; i < g->norder; i++) {
		struct grow *row = &g->rows[g->order[i]];
		struct line *l = view_add_line(v, ROLE_DEFAULT, 0, g->order[i]);
		/* the text is what / searches */
		buf_addf(&l->text, "%s %s %s", row->id, row->type, row->split);
	}
	view_restore(v, 0, keep);
	struct buf st = BUF_INIT;
	buf_addf(&st, "%d/%d shown, filter %s", g->norder, g->n, filter_names[g->filter]);
	if (g->cluster >= 0)
		buf_addf(&st, ", cluster %s %d", g->clusters[g->cluster].kind, g->clusters[g->cluster].idx);
	if (g->type >= 0)
		buf_addf(&st, ", type %s", g->types[g->type]);
	buf_addf(&st, ", sort by %s", sort_names[g->sort]);
	snprintf(v->status, sizeof(v->status), "%s", st.buf);
	buf_release(&st);
}

/* ------------------------------------------------------------------ */
/* Drawing. */

#define CELL_W 5

static void cell_text(struct ui *ui, uint8_t c, char *out, size_t n, int *role)
{
	enum glyph gl = G_NONE;
	switch (C_STATE(c)) {
	case C_PENDING: gl = G_PENDING; *role = ROLE_PENDING; break;
	case C_RUNNING: gl = G_RUNNING; *role = ROLE_RUNNING; break;
	case C_PASS: gl = G_PASS; *role = ROLE_PASS; break;
	case C_FAIL: gl = G_FAIL; *role = ROLE_FAIL; break;
	case C_ERROR: gl = G_ERROR; *role = ROLE_ERROR; break;
	default: *role = ROLE_DEFAULT; break;
	}
	const char *mark = " ";
	if (c & C_REPAIR) {
		mark = glyph(ui, G_UP);
		*role = ROLE_REPAIR;
	} else if (c & C_REGRESS) {
		mark = glyph(ui, G_DOWN);
		*role = ROLE_REGRESSION;
	}
	snprintf(out, n, "%s%s", glyph(ui, gl), mark);
}

static int id_width(struct grid *g, int cols)
{
	int w = 8;
	for (int i = 0; i < g->norder && i < 2000; i++) {
		int l = (int)strlen(g->rows[g->order[i]].id);
		if (l > w)
			w = l;
	}
	if (w > 24)
		w = 24;
	if (w > cols / 3)
		w = cols / 3;
	return w;
}

static void grid_draw(struct view *v, struct ui *ui, int y, int h)
{
	struct grid *g = v->priv;
	int rows_h = h - 3;   /* header, footer (pass rate), legend */
	if (rows_h < 1)
		rows_h = 1;
	v->height = rows_h;
	if (v->lineno < v->offset)
		v->offset = v->lineno;
	if (v->lineno >= v->offset + (size_t)rows_h)
		v->offset = v->lineno - (size_t)rows_h + 1;
	if (v->offset + (size_t)rows_h > v->lines)
		v->offset = v->lines > (size_t)rows_h ? v->lines - (size_t)rows_h : 0;

	int idw = g ? id_width(g, ui->cols) : 8;
	int typew = 0;
	if (g && g->ntypes > 0)
		typew = ui->cols >= 100 ? 12 : 8;
	int x0 = 1 + idw + 1 + (typew ? typew + 1 : 0);
	int fit = (ui->cols - x0) / CELL_W;
	if (fit < 1)
		fit = 1;
	int k = g ? g->k : 0;
	if (g) {
		if (g->colcur >= k)
			g->colcur = k ? k - 1 : 0;
		if (g->colcur < g->colfirst)
			g->colfirst = g->colcur;
		if (g->colcur >= g->colfirst + fit)
			g->colfirst = g->colcur - fit + 1;
		if (g->colfirst < 0)
			g->colfirst = 0;
	}
	int c0 = g ? g->colfirst : 0;
	int c1 = c0 + fit < k ? c0 + fit : k;

	/* header */
	draw_fill(ui, y, 0, ui->cols, ROLE_HEADER);
	draw_text(ui, y, 1, idw, ROLE_HEADER, "instance", 0);
	if (typew)
		draw_text(ui, y, 1 + idw + 1, typew, ROLE_HEADER, "type", 0);
	for (int c = c0; c < c1; c++)
		draw_text(ui, y, x0 + (c - c0) * CELL_W, CELL_W, c == g->colcur ? ROLE_ACCENT : ROLE_HEADER,
			  g->cols[c].label, 0);
	if (c0 > 0)
		draw_text(ui, y, x0 - 1, 1, ROLE_DIM, "<", 0);
	if (c1 < k)
		draw_text(ui, y, ui->cols - 1, 1, ROLE_DIM, ">", 0);

	for (int i = 0; i < rows_h; i++) {
		int yy = y + 1 + i;
		size_t n = v->offset + (size_t)i;
		if (!g || n >= v->lines) {
			draw_fill(ui, yy, 0, ui->cols, ROLE_DEFAULT);
			if (g && g->n == 0 && i == 0)
				draw_text(ui, yy, 1, ui->cols - 1, ROLE_DIM, "no instances yet", 0);
			continue;
		}
		int cur = n == v->lineno;
		int r = (int)v->line[n].id;
		struct grow *row = &g->rows[r];
		draw_fill(ui, yy, 0, ui->cols, ROLE_DEFAULT);
		draw_text(ui, yy, 0, 1, cur ? ROLE_CURSOR : ROLE_DEFAULT, cur ? ">" : " ", 0);
		draw_fill(ui, yy, 1, idw, cur ? ROLE_CURSOR : ROLE_DEFAULT);
		draw_text(ui, yy, 1, idw, cur ? ROLE_CURSOR : ROLE_DEFAULT, row->id, 0);
		if (typew)
			draw_text(ui, yy, 1 + idw + 1, typew, ROLE_DIM, row->type, 0);
		for (int c = c0; c < c1; c++) {
			char t[16];
			int role;
			cell_text(ui, CELL(g, r, c), t, sizeof(t), &role);
			if (cur && c == g->colcur)
				role = ROLE_CURSOR;
			draw_text(ui, yy, x0 + (c - c0) * CELL_W, 2, role, t, 0);
		}
	}

	/* footer: pass rate per column over the rows shown */
	int fy = y + 1 + rows_h;
	draw_fill(ui, fy, 0, ui->cols, ROLE_DIM);
	draw_text(ui, fy, 1, idw, ROLE_DIM, "passed", 0);
	for (int c = c0; g && c < c1; c++) {
		int pass = 0, done = 0;
		for (int i = 0; i < g->norder; i++) {
			int st = C_STATE(CELL(g, g->order[i], c));
			if (st == C_PASS || st == C_FAIL) {
				done++;
				pass += st == C_PASS;
			}
		}
		char t[16];
		if (done)
			snprintf(t, sizeof(t), "%d%%", pass * 100 / done);
		else
			snprintf(t, sizeof(t), "-");
		draw_text(ui, fy, x0 + (c - c0) * CELL_W, CELL_W, ROLE_DIM, t, 0);
	}

	/* legend */
	int ly = fy + 1;
	draw_fill(ui, ly, 0, ui->cols, ROLE_DEFAULT);
	struct { enum glyph g; int role; const char *what; } legend[] = {
		{ G_PASS, ROLE_PASS, "pass" }, { G_FAIL, ROLE_FAIL, "fail" },
		{ G_PENDING, ROLE_PENDING, "pending" }, { G_RUNNING, ROLE_RUNNING, "running" },
		{ G_ERROR, ROLE_ERROR, "error" }, { G_UP, ROLE_REPAIR, "repair" },
		{ G_DOWN, ROLE_REGRESSION, "regression" },
	};
	int x = 1;
	for (size_t i = 0; i < ARRAY_SIZE(legend) && x < ui->cols; i++) {
		x += draw_text(ui, ly, x, ui->cols - x, legend[i].role, glyph(ui, legend[i].g), 0);
		char t[24];
		snprintf(t, sizeof(t), " %s  ", legend[i].what);
		x += draw_text(ui, ly, x, ui->cols - x, ROLE_DIM, t, 0);
	}
	if (x < ui->cols - 20)
		draw_text(ui, ly, x, ui->cols - x, ROLE_DIM, "f filter s sort c cluster t type", 0);
}

/* ------------------------------------------------------------------ */

static int grid_read(struct view *v, struct ui *ui)
{
	struct grid *old = v->priv;
	if (old && old->synthetic)
		return 0;
	struct grid *g = grid_load(ui);
	if (old) {
		g->filter = old->filter;
		g->sort = old->sort;
		g->colcur = old->colcur;
		g->colfirst = old->colfirst;
		if (old->cluster >= 0 && old->cluster < g->nclusters)
			g->cluster = old->cluster;
		if (old->type >= 0 && old->type < g->ntypes)
			g->type = old->type;
	} else {
		/* start on the newest round */
		int last = -1;
		for (int c = 0; c < g->k; c++)
			if (g->cols[c].kind == K_CAND) {
				int any = 0;
				for (int r = 0; r < g->n && !any; r++)
					any = RID(g, r, c) != 0;
				if (any)
					last = c;
			}
		g->colcur = last >= 0 ? last : 0;
	}
	v->priv = g;
	/* keep the cursor on the same instance across the reload */
	int64_t keep = -1;
	if (old && v->lineno < v->lines)
		keep = v->line[v->lineno].id;
	const char *keep_id = keep >= 0 && keep < old->n ? old->rows[keep].id : NULL;
	grid_layout(v, ui, g);
	if (keep_id) {
		for (size_t i = 0; i < v->lines; i++)
			if (!strcmp(g->rows[v->line[i].id].id, keep_id))
				v->lineno = i;
	}
	grid_free(old);
	return 0;
}

static int grid_request(struct view *v, struct ui *ui, enum request req)
{
	struct grid *g = v->priv;
	if (!g)
		return 0;
	switch (req) {
	case REQ_MOVE_LEFT:
		if (g->colcur > 0)
			g->colcur--;
		return 1;
	case REQ_MOVE_RIGHT:
		if (g->colcur + 1 < g->k)
			g->colcur++;
		return 1;
	case REQ_FILTER:
		g->filter = (g->filter + 1) % F__COUNT;
		grid_layout(v, ui, g);
		return 1;
	case REQ_SORT:
		g->sort = (g->sort + 1) % S__COUNT;
		grid_layout(v, ui, g);
		return 1;
	case REQ_FILTER_CLUSTER:
		if (!g->nclusters) {
			ui_message(ui, ROLE_WARN, "no clusters yet");
			return 1;
		}
		g->cluster = g->cluster + 1 >= g->nclusters ? -1 : g->cluster + 1;
		grid_layout(v, ui, g);
		return 1;
	case REQ_FILTER_TYPE:
		if (!g->ntypes) {
			ui_message(ui, ROLE_WARN, "no task types");
			return 1;
		}
		g->type = g->type + 1 >= g->ntypes ? -1 : g->type + 1;
		grid_layout(v, ui, g);
		return 1;
	case REQ_ENTER: {
		if (v->lineno >= v->lines)
			return 1;
		int r = (int)v->line[v->lineno].id;
		int64_t rid = RID(g, r, g->colcur);
		if (!rid) {
			ui_message(ui, ROLE_WARN, "no rollout in this cell yet");
			return 1;
		}
		ui->traj_rollout = rid;
		ui_push(ui, VIEW_TRAJ);
		return 1;
	}
	default:
		return 0;
	}
}

static void grid_done(struct view *v)
{
	grid_free(v->priv);
	v->priv = NULL;
}

struct grid *grid_synthetic(int n, int k)
{
	struct grid *g = xcalloc(1, sizeof(*g));
	g->cluster = -1;
	g->type = -1;
	g->synthetic = 1;
	struct ss_rng rng;
	ss_rng_seed(&rng, 42);
	g->rows = xcalloc((size_t)n, sizeof(*g->rows));
	g->n = g->nalloc = n;
	for (int i = 0; i < n; i++) {
		g->rows[i].id = xasprintf("inst-%05d", i);
		g->rows[i].type = xstrdup(i % 3 ? "date" : "arith");
		snprintf(g->rows[i].split, sizeof(g->rows[i].split), "ver");
		g->rows[i].idx = i;
	}
	g->types = xcalloc(2, sizeof(char *));
	g->types[0] = xstrdup("date");
	g->types[1] = xstrdup("arith");
	g->ntypes = 2;
	add_col(g, K_BASE, 0, 0);
	for (int r = 1; r <= k - 2; r++)
		add_col(g, K_CAND, 0, r);
	add_col(g, K_TEST_SKILL, 0, 0);
	g->cell = xcalloc((size_t)n * (size_t)g->k, 1);
	g->rid = xcalloc((size_t)n * (size_t)g->k, sizeof(int64_t));
	for (int r = 0; r < n; r++)
		for (int c = 0; c < g->k; c++) {
			uint64_t x = ss_rng_below(&rng, 10);
			CELL(g, r, c) = x < 5 ? C_PASS : x < 8 ? C_FAIL : x < 9 ? C_PENDING : C_RUNNING;
			RID(g, r, c) = (int64_t)r * g->k + c + 1;
		}
	mark_changes(g);
	return g;
}

void grid_attach(struct view *v, struct grid *g)
{
	grid_free(v->priv);
	v->priv = g;
	v->opened = 1;
	v->stale = 0;
	/* layout needs no ui state beyond the grid */
	grid_layout(v, NULL, g);
}

const struct view_ops grid_ops = {
	.name = "grid",
	.title = "Grid",
	.open = NULL,
	.read = grid_read,
	.draw = grid_draw,
	.request = grid_request,
	.select = NULL,
	.done = grid_done,
};
