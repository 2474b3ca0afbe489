/*
 * Overview: the run at a glance.  Stage pipeline with progress (stages),
 * the per-round table with the gate and a sparkline of G (candidates,
 * runs.gate_threshold), calls / tokens / cost by stage with rate and ETA
 * (llm_calls, stages), and the latest activity (events).
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OV_TEXT, OV_ROUND, OV_EVENT, OV_STAGE };

static const char *const skillgen_stages[] = {
	"baseline", "induce", "generate", "verify", "refine", "select", "test",
};

struct stage_row {
	char name[32];
	int round, done, total;
	int64_t started, finished;
	int seen;
};

static void section(struct view *v, const char *title)
{
	struct line *l = view_add_line(v, ROLE_HEADER, OV_TEXT, 0);
	line_add(l, ROLE_HEADER, title);
}

static void add_bar(struct ui *ui, struct line *l, int width, int done, int total)
{
	int fill = total > 0 ? (int)((long long)done * width / total) : 0;
	if (fill > width)
		fill = width;
	struct buf b = BUF_INIT;
	for (int i = 0; i < fill; i++)
		buf_adds(&b, glyph(ui, G_BAR_FULL));
	line_add(l, ROLE_BAR, b.buf);
	buf_reset(&b);
	for (int i = fill; i < width; i++)
		buf_adds(&b, glyph(ui, G_BAR_EMPTY));
	line_add(l, ROLE_DIM, b.buf);
	buf_release(&b);
}

static int64_t active_eta = -1;

static void read_header(struct view *v, struct ui *ui)
{
	struct run_info *r = &ui->run;
	struct line *l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
	if (!ui->run_id) {
		line_add(l, ROLE_WARN, "no run in this store yet; waiting for one to start");
		return;
	}
	line_add(l, ROLE_ACCENT, "run ");
	line_add(l, ROLE_ACCENT, ui->run_id);
	if (!r->id) {
		line_add(l, ROLE_BAD, "  (not found)");
		return;
	}
	char when[32];
	fmt_datetime(when, sizeof(when), r->created_at);
	line_addf(l, ROLE_DEFAULT, "  %s %s seed %lld %s started %s",
		  r->strategy ? r->strategy : "?", glyph(ui, G_DOT), (long long)r->seed,
		  glyph(ui, G_DOT), when);
	l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
	const char *state = r->state ? r->state : "?";
	int srole = !strcmp(state, "done") ? ROLE_GOOD : !strcmp(state, "failed") ? ROLE_BAD
		    : !strcmp(state, "waiting") ? ROLE_WARN : ROLE_RUNNING;
	line_add(l, ROLE_DIM, "state ");
	line_add(l, srole, state);
	if (r->stage && *r->stage) {
		line_add(l, ROLE_DIM, "  stage ");
		line_add(l, ROLE_DEFAULT, r->stage);
	}
	if (r->rounds_total > 0)
		line_addf(l, ROLE_DEFAULT, "  round %d/%d", r->round, r->rounds_total);
	if (!strcmp(state, "waiting"))
		line_add(l, ROLE_WARN, "  awaiting approval (6 Edits)");
	if (r->heartbeat > 0 && (!strcmp(state, "running") || !strcmp(state, "waiting"))) {
		int64_t age = ui_now(ui) - r->heartbeat;
		char d[32];
		fmt_duration(d, sizeof(d), age);
		if (age > 60)
			line_addf(l, ROLE_WARN, "  engine silent for %s", d);
		else
			line_addf(l, ROLE_DIM, "  heartbeat %s ago", d);
	}
	if (r->final_status && *r->final_status) {
		l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		line_add(l, ROLE_DIM, "result ");
		int good = !strcmp(r->final_status, "active");
		line_add(l, good ? ROLE_GOOD : ROLE_WARN, r->final_status);
		if (r->selected_candidate) {
			int rnd = data_candidate_round(ui, r->selected_candidate);
			line_addf(l, ROLE_DEFAULT, "  selected candidate r%d", rnd);
		}
		if (!good)
			line_add(l, ROLE_DIM, "  (deployment treats it as no skill)");
	}
	if (r->error && *r->error) {
		l = view_add_line(v, ROLE_BAD, OV_TEXT, 0);
		line_add(l, ROLE_BAD, "error: ");
		line_add(l, ROLE_BAD, r->error);
	}
}

static void read_pipeline(struct view *v, struct ui *ui)
{
	struct stage_row rows[32];
	int n = 0;
	int is_skillgen = !ui->run.strategy || !strcmp(ui->run.strategy, "skillgen");
	if (is_skillgen) {
		for (size_t i = 0; i < ARRAY_SIZE(skillgen_stages); i++) {
			memset(&rows[n], 0, sizeof(rows[n]));
			snprintf(rows[n].name, sizeof(rows[n].name), "%s", skillgen_stages[i]);
			n++;
		}
	}
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT stage, round, done, total, started_at, finished_at FROM stages"
		" WHERE run_id = ? ORDER BY rowid");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = col_text(s, 0);
		int k;
		for (k = 0; k < n; k++)
			if (!strcmp(rows[k].name, name))
				break;
		if (k == n) {
			if (n == (int)ARRAY_SIZE(rows))
				continue;
			memset(&rows[n], 0, sizeof(rows[n]));
			snprintf(rows[n].name, sizeof(rows[n].name), "%s", name);
			n++;
		}
		int round = sqlite3_column_int(s, 1);
		/* the latest round of a repeated stage is the one to show */
		if (rows[k].seen && round < rows[k].round)
			continue;
		rows[k].seen = 1;
		rows[k].round = round;
		rows[k].done = sqlite3_column_int(s, 2);
		rows[k].total = sqlite3_column_int(s, 3);
		rows[k].started = sqlite3_column_int64(s, 4);
		rows[k].finished = sqlite3_column_int64(s, 5);
	}
	sqlite3_finalize(s);

	section(v, "Pipeline");
	int64_t now = ui_now(ui);
	int barw = v->width >= 120 ? 30 : 16;
	active_eta = -1;
	for (int i = 0; i < n; i++) {
		struct stage_row *st = &rows[i];
		int done = st->seen && st->finished > 0;
		int active = st->seen && !done && st->started > 0;
		struct line *l = view_add_line(v, ROLE_DEFAULT, OV_STAGE, i);
		line_add(l, ROLE_DEFAULT, "  ");
		line_add(l, done ? ROLE_GOOD : active ? ROLE_RUNNING : ROLE_DIM,
			 glyph(ui, done ? G_DONE : active ? G_ACTIVE : G_TODO));
		line_add(l, ROLE_DEFAULT, " ");
		line_add_cell(ui, l, done || active ? ROLE_DEFAULT : ROLE_DIM, 10, 0, st->name);
		char rnd[16] = "";
		if (st->round > 0)
			snprintf(rnd, sizeof(rnd), "r%d", st->round);
		line_add_cell(ui, l, ROLE_DIM, 4, 0, rnd);
		if (!st->seen) {
			line_add(l, ROLE_DIM, "");
			continue;
		}
		add_bar(ui, l, barw, st->done, st->total);
		char cnt[32];
		snprintf(cnt, sizeof(cnt), "%d/%d", st->done, st->total);
		line_add(l, ROLE_DEFAULT, " ");
		line_add_cell(ui, l, ROLE_DEFAULT, 11, 1, cnt);
		char d[32];
		if (done) {
			fmt_duration(d, sizeof(d), st->finished - st->started);
			line_addf(l, ROLE_DIM, "  took %s", d);
		} else if (active) {
			int64_t el = now - st->started;
			fmt_duration(d, sizeof(d), el);
			line_addf(l, ROLE_DIM, "  %s", d);
			if (st->done > 0 && st->total > st->done && el > 0) {
				int64_t eta = (int64_t)((double)el / st->done * (st->total - st->done));
				active_eta = eta;
				fmt_duration(d, sizeof(d), eta);
				line_addf(l, ROLE_ACCENT, "  ETA %s", d);
			}
		}
	}
}

static void read_rounds(struct view *v, struct ui *ui)
{
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id, round, status, n00, n01, n10, n11, m, net_gain, p_value, ci_low, ci_high,"
		" early_stopped FROM candidates WHERE run_id = ? ORDER BY round");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	struct cand {
		int64_t id;
		int round;
		char status[16];
		int has_counts, n00, n01, n10, n11, m, has_g, g;
		int has_p, has_ci, early;
		double p, lo, hi;
	} *c = NULL;
	size_t nr = 0, alloc = 0;
	int any_p = 0, any_ci = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(c, nr + 1, alloc);
		struct cand *x = &c[nr++];
		memset(x, 0, sizeof(*x));
		x->id = sqlite3_column_int64(s, 0);
		x->round = sqlite3_column_int(s, 1);
		snprintf(x->status, sizeof(x->status), "%s", col_text(s, 2));
		x->has_counts = sqlite3_column_type(s, 4) != SQLITE_NULL;
		x->n00 = sqlite3_column_int(s, 3);
		x->n01 = sqlite3_column_int(s, 4);
		x->n10 = sqlite3_column_int(s, 5);
		x->n11 = sqlite3_column_int(s, 6);
		x->m = sqlite3_column_int(s, 7);
		x->has_g = sqlite3_column_type(s, 8) != SQLITE_NULL;
		x->g = sqlite3_column_int(s, 8);
		x->has_p = sqlite3_column_type(s, 9) != SQLITE_NULL;
		x->p = sqlite3_column_double(s, 9);
		x->has_ci = sqlite3_column_type(s, 10) != SQLITE_NULL;
		x->lo = sqlite3_column_double(s, 10);
		x->hi = sqlite3_column_double(s, 11);
		x->early = sqlite3_column_int(s, 12);
		any_p |= x->has_p;
		any_ci |= x->has_ci;
	}
	sqlite3_finalize(s);

	struct line *l;
	int gate = ui->run.gate_threshold;
	char title[96];
	if (gate >= 0)
		snprintf(title, sizeof(title), "Rounds  (gate: G* %s %d)", glyph(ui, G_GE), gate);
	else
		snprintf(title, sizeof(title), "Rounds");
	section(v, title);
	if (nr == 0) {
		l = view_add_line(v, ROLE_DIM, OV_TEXT, 0);
		line_add(l, ROLE_DIM, "  no candidate yet");
		free(c);
		return;
	}
	l = view_add_line(v, ROLE_DIM, OV_TEXT, 0);
	line_add(l, ROLE_DIM, "  ");
	line_add_cell(ui, l, ROLE_DIM, 5, 0, "round");
	line_add_cell(ui, l, ROLE_DIM, 5, 1, "G");
	line_add_cell(ui, l, ROLE_DIM, 5, 1, "rep");
	line_add_cell(ui, l, ROLE_DIM, 5, 1, "reg");
	line_add_cell(ui, l, ROLE_DIM, 5, 1, "n00");
	line_add_cell(ui, l, ROLE_DIM, 5, 1, "n11");
	line_add_cell(ui, l, ROLE_DIM, 4, 1, "m");
	if (any_p)
		line_add_cell(ui, l, ROLE_DIM, 7, 1, "p");
	if (any_ci)
		line_add_cell(ui, l, ROLE_DIM, 16, 1, "95% CI");
	line_add(l, ROLE_DIM, "  status");

	int best = -1;
	for (size_t i = 0; i < nr; i++)
		if (c[i].has_g && (best < 0 || c[i].g > c[best].g))
			best = (int)i;
	for (size_t i = 0; i < nr; i++) {
		struct cand *x = &c[i];
		l = view_add_line(v, ROLE_DEFAULT, OV_ROUND, x->id);
		l->selectable = 1;
		char b[48];
		line_add(l, ROLE_DEFAULT, "  ");
		snprintf(b, sizeof(b), "r%d", x->round);
		line_add_cell(ui, l, ROLE_DEFAULT, 5, 0, b);
		if (x->has_g) {
			snprintf(b, sizeof(b), "%+d", x->g);
			int passes = gate >= 0 && x->g >= gate;
			line_add_cell(ui, l, x->g > 0 ? (passes ? ROLE_GOOD : ROLE_DEFAULT)
				      : x->g < 0 ? ROLE_BAD : ROLE_DEFAULT, 5, 1, b);
		} else {
			line_add_cell(ui, l, ROLE_DIM, 5, 1, "-");
		}
		if (x->has_counts) {
			snprintf(b, sizeof(b), "%d", x->n01);
			line_add_cell(ui, l, x->n01 ? ROLE_PASS : ROLE_DEFAULT, 5, 1, b);
			snprintf(b, sizeof(b), "%d", x->n10);
			line_add_cell(ui, l, x->n10 ? ROLE_FAIL : ROLE_DEFAULT, 5, 1, b);
			snprintf(b, sizeof(b), "%d", x->n00);
			line_add_cell(ui, l, ROLE_DEFAULT, 5, 1, b);
			snprintf(b, sizeof(b), "%d", x->n11);
			line_add_cell(ui, l, ROLE_DEFAULT, 5, 1, b);
			snprintf(b, sizeof(b), "%d", x->m);
			line_add_cell(ui, l, ROLE_DEFAULT, 4, 1, b);
		} else {
			for (int k = 0; k < 4; k++)
				line_add_cell(ui, l, ROLE_DIM, 5, 1, "-");
			line_add_cell(ui, l, ROLE_DIM, 4, 1, "-");
		}
		if (any_p) {
			if (x->has_p)
				snprintf(b, sizeof(b), "%.3f", x->p);
			else
				snprintf(b, sizeof(b), "-");
			line_add_cell(ui, l, ROLE_DEFAULT, 7, 1, b);
		}
		if (any_ci) {
			if (x->has_ci)
				snprintf(b, sizeof(b), "[%+.2f, %+.2f]", x->lo, x->hi);
			else
				snprintf(b, sizeof(b), "-");
			line_add_cell(ui, l, ROLE_DEFAULT, 16, 1, b);
		}
		line_add(l, ROLE_DEFAULT, "  ");
		line_add(l, !strcmp(x->status, "selected") ? ROLE_GOOD
			    : !strcmp(x->status, "rejected") || !strcmp(x->status, "pruned") ? ROLE_DIM
			    : !strcmp(x->status, "pending") ? ROLE_WARN : ROLE_DEFAULT, x->status);
		if ((int)i == best)
			line_add(l, ROLE_ACCENT, "  best");
		if (x->early)
			line_add(l, ROLE_DIM, "  early-stopped");
	}

	/* the gate line and best so far */
	l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
	line_add(l, ROLE_DEFAULT, "  best so far ");
	if (best >= 0) {
		line_addf(l, ROLE_ACCENT, "r%d G=%+d", c[best].round, c[best].g);
		if (gate >= 0) {
			int pass = c[best].g >= gate;
			line_addf(l, pass ? ROLE_GOOD : ROLE_WARN, "  %s gate %d: %s", pass ? glyph(ui, G_GE) : "<",
				  gate, pass ? "passes (active)" : "below (deprecated)");
		}
	} else {
		line_add(l, ROLE_DIM, "none verified yet");
	}

	/* sparkline of G */
	int gmin = 0, gmax = 0, any = 0;
	for (size_t i = 0; i < nr; i++) {
		if (!c[i].has_g)
			continue;
		if (!any || c[i].g < gmin)
			gmin = c[i].g;
		if (!any || c[i].g > gmax)
			gmax = c[i].g;
		any = 1;
	}
	if (any) {
		l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		line_add(l, ROLE_DEFAULT, "  G by round  ");
		for (size_t i = 0; i < nr; i++) {
			if (!c[i].has_g) {
				line_add(l, ROLE_DIM, " ");
				continue;
			}
			int level = gmax == gmin ? 4 : (c[i].g - gmin) * 7 / (gmax - gmin);
			line_add(l, c[i].g < 0 ? ROLE_FAIL : ROLE_SPARK, glyph_spark(ui, level));
		}
		line_addf(l, ROLE_DIM, "  (%+d .. %+d)", gmin, gmax);
	}
	free(c);
}

static void read_costs(struct view *v, struct ui *ui)
{
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT COALESCE(stage, '-'), COUNT(*), SUM(status = 'cached'), SUM(status = 'error'),"
		" SUM(prompt_tokens), SUM(completion_tokens), SUM(cost), AVG(latency_ms),"
		" MIN(created_at), MAX(created_at)"
		" FROM llm_calls WHERE run_id = ? GROUP BY 1 ORDER BY MIN(id)");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	section(v, "Calls, tokens and cost by stage");
	struct line *l = view_add_line(v, ROLE_DIM, OV_TEXT, 0);
	line_add(l, ROLE_DIM, "  ");
	line_add_cell(ui, l, ROLE_DIM, 10, 0, "stage");
	line_add_cell(ui, l, ROLE_DIM, 7, 1, "calls");
	line_add_cell(ui, l, ROLE_DIM, 7, 1, "cached");
	line_add_cell(ui, l, ROLE_DIM, 7, 1, "errors");
	line_add_cell(ui, l, ROLE_DIM, 9, 1, "in tok");
	line_add_cell(ui, l, ROLE_DIM, 9, 1, "out tok");
	line_add_cell(ui, l, ROLE_DIM, 9, 1, "cost");
	line_add_cell(ui, l, ROLE_DIM, 8, 1, "avg ms");
	long long tc = 0, tcached = 0, terr = 0;
	double tin = 0, tout = 0, tcost = 0;
	int rows = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		rows++;
		char b[32];
		long long calls = sqlite3_column_int64(s, 1);
		long long cached = sqlite3_column_int64(s, 2), errs = sqlite3_column_int64(s, 3);
		double in = sqlite3_column_double(s, 4), out = sqlite3_column_double(s, 5);
		double cost = sqlite3_column_double(s, 6);
		tc += calls; tcached += cached; terr += errs; tin += in; tout += out; tcost += cost;
		l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		line_add(l, ROLE_DEFAULT, "  ");
		line_add_cell(ui, l, ROLE_DEFAULT, 10, 0, col_text(s, 0));
		snprintf(b, sizeof(b), "%lld", calls);
		line_add_cell(ui, l, ROLE_DEFAULT, 7, 1, b);
		snprintf(b, sizeof(b), "%lld", cached);
		line_add_cell(ui, l, ROLE_DEFAULT, 7, 1, b);
		snprintf(b, sizeof(b), "%lld", errs);
		line_add_cell(ui, l, errs ? ROLE_BAD : ROLE_DEFAULT, 7, 1, b);
		fmt_count(b, sizeof(b), in);
		line_add_cell(ui, l, ROLE_DEFAULT, 9, 1, b);
		fmt_count(b, sizeof(b), out);
		line_add_cell(ui, l, ROLE_DEFAULT, 9, 1, b);
		snprintf(b, sizeof(b), "$%.3f", cost);
		line_add_cell(ui, l, ROLE_DEFAULT, 9, 1, b);
		snprintf(b, sizeof(b), "%.0f", sqlite3_column_double(s, 7));
		line_add_cell(ui, l, ROLE_DEFAULT, 8, 1, b);
	}
	sqlite3_finalize(s);
	if (!rows) {
		l = view_add_line(v, ROLE_DIM, OV_TEXT, 0);
		line_add(l, ROLE_DIM, "  no calls yet");
		return;
	}
	char b[32];
	l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
	line_add(l, ROLE_DEFAULT, "  ");
	line_add_cell(ui, l, ROLE_ACCENT, 10, 0, "total");
	snprintf(b, sizeof(b), "%lld", tc);
	line_add_cell(ui, l, ROLE_ACCENT, 7, 1, b);
	snprintf(b, sizeof(b), "%lld", tcached);
	line_add_cell(ui, l, ROLE_ACCENT, 7, 1, b);
	snprintf(b, sizeof(b), "%lld", terr);
	line_add_cell(ui, l, terr ? ROLE_BAD : ROLE_ACCENT, 7, 1, b);
	fmt_count(b, sizeof(b), tin);
	line_add_cell(ui, l, ROLE_ACCENT, 9, 1, b);
	fmt_count(b, sizeof(b), tout);
	line_add_cell(ui, l, ROLE_ACCENT, 9, 1, b);
	snprintf(b, sizeof(b), "$%.3f", tcost);
	line_add_cell(ui, l, ROLE_ACCENT, 9, 1, b);

	/* rate over the last five minutes, and the ETA of the active stage */
	s = store_prepare(ui->st, "SELECT COUNT(*), SUM(prompt_tokens + completion_tokens)"
			  " FROM llm_calls WHERE run_id = ? AND created_at > ?");
	if (!s)
		return;
	int64_t now = ui_now(ui);
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now - 300);
	if (sqlite3_step(s) == SQLITE_ROW) {
		double calls = sqlite3_column_double(s, 0) / 5.0;
		double tok = sqlite3_column_double(s, 1) / 5.0;
		l = view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		char tk[32];
		fmt_count(tk, sizeof(tk), tok);
		line_addf(l, ROLE_DEFAULT, "  rate %.1f calls/min, %s tokens/min (last 5 min)", calls, tk);
		if (active_eta >= 0) {
			char d[32];
			fmt_duration(d, sizeof(d), active_eta);
			line_addf(l, ROLE_ACCENT, "  ETA of the stage %s", d);
		}
	}
	sqlite3_finalize(s);
}

static void read_activity(struct view *v, struct ui *ui)
{
	section(v, "Activity");
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id, at, kind, COALESCE(stage, ''), message FROM events WHERE run_id = ?"
		" ORDER BY id DESC LIMIT 50");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	int n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		n++;
		const char *kind = col_text(s, 2);
		int role = !strcmp(kind, "error") ? ROLE_BAD : !strcmp(kind, "warn") ? ROLE_WARN
			   : !strcmp(kind, "decision") ? ROLE_ACCENT : !strcmp(kind, "stage") ? ROLE_HEADER
			   : ROLE_DEFAULT;
		struct line *l = view_add_line(v, ROLE_DEFAULT, OV_EVENT, sqlite3_column_int64(s, 0));
		char t[16];
		fmt_clock(t, sizeof(t), sqlite3_column_int64(s, 1));
		line_add(l, ROLE_DEFAULT, "  ");
		line_add(l, ROLE_DIM, t);
		line_add(l, ROLE_DEFAULT, " ");
		line_add_cell(ui, l, role, 8, 0, kind);
		line_add_cell(ui, l, ROLE_DIM, 10, 0, col_text(s, 3));
		line_add(l, ROLE_DEFAULT, " ");
		line_add(l, role, col_text(s, 4));
	}
	sqlite3_finalize(s);
	if (!n) {
		struct line *l = view_add_line(v, ROLE_DIM, OV_TEXT, 0);
		line_add(l, ROLE_DIM, "  nothing yet");
	}
}

static int overview_read(struct view *v, struct ui *ui)
{
	size_t keep = v->lineno;
	view_clear_lines(v);
	v->width = ui->cols;
	read_header(v, ui);
	if (ui->run_id && ui->run.id) {
		view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		read_pipeline(v, ui);
		view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		read_rounds(v, ui);
		view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		read_costs(v, ui);
		view_add_line(v, ROLE_DEFAULT, OV_TEXT, 0);
		read_activity(v, ui);
	}
	v->lineno = keep < v->lines ? keep : 0;
	snprintf(v->status, sizeof(v->status), "overview: Enter on a round diffs it, ? help");
	return 0;
}

static int overview_open(struct view *v, struct ui *ui)
{
	v->wraps = 1;
	return 0;
}

static int overview_request(struct view *v, struct ui *ui, enum request req)
{
	if (req != REQ_ENTER || v->lineno >= v->lines)
		return 0;
	struct line *l = &v->line[v->lineno];
	if (l->kind == OV_ROUND) {
		ui->diff_old = 0;
		ui->diff_new = l->id;
		ui_push(ui, VIEW_DIFF);
		return 1;
	}
	return 1;
}

const struct view_ops overview_ops = {
	.name = "overview",
	.title = "Overview",
	.open = overview_open,
	.read = overview_read,
	.draw = NULL,
	.request = overview_request,
	.select = NULL,
	.done = NULL,
};
