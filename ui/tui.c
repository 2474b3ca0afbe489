/*
 * The dashboard's one loop: keys (or a key script), requests, store
 * polling, drawing.  See tui.h for the shape and ui.h for the interface.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"
#include "skillsmith/sanitize.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct view_ops *const view_table[VIEW__COUNT] = {
	[VIEW_OVERVIEW] = &overview_ops,
	[VIEW_GRID] = &grid_ops,
	[VIEW_CLUSTERS] = &clusters_ops,
	[VIEW_PAIRS] = &pairs_ops,
	[VIEW_DIFF] = &diff_ops,
	[VIEW_EDITS] = &edits_ops,
	[VIEW_LOG] = &log_ops,
	[VIEW_TRAJ] = &traj_ops,
	[VIEW_PAIR] = &pair_ops,
	[VIEW_HELP] = &help_ops,
};

/* Poll the store this often for changes (updates show within a second). */
#define POLL_MS 250
/* Redraw at least this often (ages, heartbeat). */
#define REDRAW_MS 1000
/* The most the engine tick may take per turn. */
#define TICK_MS 50

/* ------------------------------------------------------------------ */
/* Key scripts. */

struct script {
	int *keys;
	size_t nr, alloc, pos;
};

static void script_add(struct script *s, int key)
{
	ALLOC_GROW(s->keys, s->nr + 1, s->alloc);
	s->keys[s->nr++] = key;
}

static struct script *script_load(const char *path)
{
	char *text = ss_read_file(path, NULL);
	if (!text)
		return NULL;
	struct script *s = xcalloc(1, sizeof(*s));
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (line[0] == ':') {
			/* typed into the prompt as is, then Enter */
			for (size_t i = 0; i < n;) {
				uint32_t cp;
				i += (size_t)sanitize_utf8_decode(line + i, n - i, &cp);
				if (cp != UINT32_MAX)
					script_add(s, (int)cp);
			}
			script_add(s, KEY_RETURN);
			continue;
		}
		for (size_t i = 0; i < n;) {
			size_t used;
			int key = key_parse(line + i, &used);
			if (key >= 0)
				script_add(s, key);
			i += used;
		}
	}
	free(text);
	return s;
}

static void script_free(struct script *s)
{
	if (!s)
		return;
	free(s->keys);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Small things. */

int64_t ui_now(struct ui *ui)
{
	return ui->now_override ? ui->now_override : ss_wall_s();
}

void ui_message(struct ui *ui, int role, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->message, sizeof(ui->message), fmt, ap);
	va_end(ap);
	ui->message_role = role;
}

int ui_stacked(struct ui *ui, int w)
{
	if (ui->layout_stacked >= 0)
		return ui->layout_stacked;
	return w < 120;
}

void ui_stale_all(struct ui *ui)
{
	for (int i = 0; i < VIEW__COUNT; i++)
		ui->views[i].stale = 1;
}

static struct view *top(struct ui *ui)
{
	return &ui->views[ui->stack[ui->depth - 1]];
}

static void view_load(struct ui *ui, struct view *v)
{
	if (!v->opened) {
		v->opened = 1;
		if (v->ops->open && v->ops->open(v, ui) < 0)
			ui_message(ui, ROLE_BAD, "%s: %s", v->ops->name, ss_err_last());
	}
	if (v->stale) {
		v->stale = 0;
		v->read_width = ui->cols;
		if (v->ops->read && v->ops->read(v, ui) < 0)
			ui_message(ui, ROLE_BAD, "%s: %s", v->ops->name, ss_err_last());
		if (v->lineno >= v->lines)
			v->lineno = v->lines ? v->lines - 1 : 0;
	}
}

void ui_push(struct ui *ui, int id)
{
	struct view *v = &ui->views[id];
	v->stale = 1;
	if (ui->depth > 0 && ui->stack[ui->depth - 1] == id)
		return;
	if (ui->depth == (int)ARRAY_SIZE(ui->stack)) {
		memmove(ui->stack, ui->stack + 1, sizeof(ui->stack) - sizeof(ui->stack[0]));
		ui->depth--;
	}
	ui->stack[ui->depth++] = id;
}

static void ui_switch(struct ui *ui, int id)
{
	ui->depth = 0;
	ui_push(ui, id);
}

static void pop(struct ui *ui)
{
	if (ui->depth > 1)
		ui->depth--;
	top(ui)->stale = 1;
}

static const char *user_name(void)
{
	const char *u = getenv("USER");
	if (!u || !*u)
		u = getenv("LOGNAME");
	return u && *u ? u : "unknown";
}

/* ------------------------------------------------------------------ */
/* Input. */

static int pending_key = -1;

/* Next key, or ERR after timeout_ms; -2 when the script has ended. */
static int get_key(struct ui *ui, int timeout_ms)
{
	if (pending_key >= 0) {
		int k = pending_key;
		pending_key = -1;
		return k;
	}
	if (ui->script) {
		if (ui->script->pos >= ui->script->nr)
			return -2;
		return ui->script->keys[ui->script->pos++];
	}
	wtimeout(stdscr, timeout_ms);
	wint_t wc;
	int rc = wget_wch(stdscr, &wc);
	if (rc == ERR)
		return ERR;
	if (rc == KEY_CODE_YES)
		return FN((int)wc);
	/* the terminal sends CR for Enter (the tty is in nonl mode) */
	if (wc == '\r')
		return KEY_RETURN;
	return (int)wc;
}

static void draw(struct ui *ui);

char *ui_prompt(struct ui *ui, const char *prompt)
{
	struct buf text = BUF_INIT;
	for (;;) {
		int y = ui->rows - 1;
		draw_fill(ui, y, 0, ui->cols, ROLE_PROMPT);
		int used = draw_text(ui, y, 0, ui->cols, ROLE_PROMPT, prompt, 0);
		int tw = (int)sanitize_width(text.buf);
		int skip = tw > ui->cols - used - 1 ? tw - (ui->cols - used - 1) : 0;
		int w2 = draw_text(ui, y, used, ui->cols - used, ROLE_PROMPT, text.buf, skip);
		wmove(stdscr, y, used + w2);
		curs_set(1);
		wrefresh(stdscr);
		int k = get_key(ui, -1);
		if (k == ERR)
			continue;
		if (k == -2 || k == KEY_ESCAPE || k == ('c' & 0x1f) || k == ('g' & 0x1f)) {
			curs_set(0);
			buf_release(&text);
			return NULL;
		}
		if (k == KEY_RETURN || k == FN(KEY_ENTER))
			break;
		if (k == FN(KEY_BACKSPACE) || k == 127 || k == 8) {
			/* drop the last code point */
			while (text.len && ((unsigned char)text.buf[text.len - 1] & 0xc0) == 0x80)
				buf_setlen(&text, text.len - 1);
			if (text.len)
				buf_setlen(&text, text.len - 1);
			continue;
		}
		if (k == ('u' & 0x1f)) {
			buf_reset(&text);
			continue;
		}
		if (k == FN(KEY_RESIZE)) {
			getmaxyx(stdscr, ui->rows, ui->cols);
			draw(ui);
			continue;
		}
		if (!KEY_IS_FN(k) && k >= 32 && k != 127) {
			char enc[4];
			buf_add(&text, enc, (size_t)sanitize_utf8_encode((uint32_t)k, enc));
		}
	}
	curs_set(0);
	return buf_detach(&text, NULL);
}

int ui_confirm(struct ui *ui, const char *question)
{
	for (;;) {
		int y = ui->rows - 1;
		draw_fill(ui, y, 0, ui->cols, ROLE_PROMPT);
		char q[320];
		snprintf(q, sizeof(q), "%s [y/N] ", question);
		draw_text(ui, y, 0, ui->cols, ROLE_PROMPT, q, 0);
		wrefresh(stdscr);
		int k = get_key(ui, -1);
		if (k == ERR)
			continue;
		if (k == FN(KEY_RESIZE)) {
			getmaxyx(stdscr, ui->rows, ui->cols);
			draw(ui);
			continue;
		}
		return k == 'y' || k == 'Y';
	}
}

/* ------------------------------------------------------------------ */
/* Store polling. */

static long long data_version(struct ui *ui)
{
	sqlite3_stmt *s = store_prepare(ui->st, "PRAGMA data_version");
	long long v = -1;
	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Reload when another connection committed.  Returns 1 on a change. */
static int poll_store(struct ui *ui, int force)
{
	long long v = data_version(ui);
	if (!force && v == ui->data_version)
		return 0;
	ui->data_version = v;
	data_load_run(ui);
	ui_stale_all(ui);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Drawing the frame. */

static void draw_too_small(struct ui *ui)
{
	werase(stdscr);
	char msg[128];
	snprintf(msg, sizeof(msg), "terminal too small: need %d%s%d", UI_MIN_COLS,
		 glyph(ui, G_TIMES), UI_MIN_ROWS);
	char now[64];
	snprintf(now, sizeof(now), "now %d%s%d, q quits", ui->cols, glyph(ui, G_TIMES), ui->rows);
	int y = ui->rows / 2 - 1;
	if (y < 0)
		y = 0;
	draw_text(ui, y, 0, ui->cols, ROLE_WARN, msg, 0);
	if (y + 1 < ui->rows)
		draw_text(ui, y + 1, 0, ui->cols, ROLE_DIM, now, 0);
}

static void draw_tabs(struct ui *ui)
{
	draw_fill(ui, 0, 0, ui->cols, ROLE_TAB);
	int x = 0;
	int cur = ui->stack[0];
	int topid = ui->stack[ui->depth - 1];
	for (int i = 0; i < VIEW_TABS && x < ui->cols; i++) {
		char t[32];
		snprintf(t, sizeof(t), " %d %s ", i + 1, view_table[i]->title);
		x += draw_text(ui, 0, x, ui->cols - x, i == cur ? ROLE_TAB_ACTIVE : ROLE_TAB, t, 0);
	}
	if (topid >= VIEW_TABS && x < ui->cols) {
		char t[40];
		snprintf(t, sizeof(t), " %s %s ", glyph(ui, G_ARROW), view_table[topid]->title);
		x += draw_text(ui, 0, x, ui->cols - x, ROLE_TAB_ACTIVE, t, 0);
	}
	const char *live = ui->paused ? "paused" : ui->run.state && strcmp(ui->run.state, "running") &&
			   strcmp(ui->run.state, "waiting") ? "finished" : "live";
	if (ui->run.state && !strcmp(ui->run.state, "failed"))
		live = "failed";
	char r[48];
	snprintf(r, sizeof(r), " %s%s ", live, ui->opt.readonly ? " ro" : "");
	int rw = (int)strlen(r);
	if (ui->cols - x > rw)
		draw_text(ui, 0, ui->cols - rw, rw, ui->paused ? ROLE_WARN : ROLE_TAB, r, 0);
}

static void draw_status(struct ui *ui, struct view *v)
{
	int y = ui->rows - 1;
	draw_fill(ui, y, 0, ui->cols, ROLE_STATUS);
	char right[160];
	if (ui->run_id) {
		char stage[64] = "";
		if (ui->run.stage && *ui->run.stage) {
			if (ui->run.round > 0)
				snprintf(stage, sizeof(stage), " %s r%d/%d", ui->run.stage,
					 ui->run.round, ui->run.rounds_total);
			else
				snprintf(stage, sizeof(stage), " %s", ui->run.stage);
		}
		snprintf(right, sizeof(right), " %s%s %s ", ui->run_id, stage,
			 ui->run.state ? ui->run.state : "?");
	} else {
		snprintf(right, sizeof(right), " no run yet ");
	}
	int rw = (int)sanitize_width(right);
	char pos[48] = "";
	if (v->lines)
		snprintf(pos, sizeof(pos), " %zu/%zu ", v->lineno + 1, v->lines);
	int pw = (int)strlen(pos);
	const char *left = ui->message[0] ? ui->message : v->status;
	int lrole = ui->message[0] ? ui->message_role : ROLE_STATUS;
	int avail = ui->cols - rw - pw;
	if (avail < 10) {
		rw = 0;
		avail = ui->cols - pw;
	}
	draw_text(ui, y, 0, avail > 0 ? avail : 0, lrole == ROLE_DEFAULT ? ROLE_STATUS : lrole, left, 0);
	if (pw && ui->cols - pw - rw >= 0)
		draw_text(ui, y, ui->cols - pw - rw, pw, ROLE_STATUS, pos, 0);
	if (rw)
		draw_text(ui, y, ui->cols - rw, rw, ROLE_STATUS, right, 0);
}

static void scroll_to_cursor(struct view *v, int h)
{
	if (h <= 0)
		return;
	if (v->lineno >= v->lines)
		v->lineno = v->lines ? v->lines - 1 : 0;
	if (v->lineno < v->offset)
		v->offset = v->lineno;
	if (v->lineno >= v->offset + (size_t)h)
		v->offset = v->lineno - (size_t)h + 1;
	if (v->offset + (size_t)h > v->lines)
		v->offset = v->lines > (size_t)h ? v->lines - (size_t)h : 0;
}

static void draw(struct ui *ui)
{
	getmaxyx(stdscr, ui->rows, ui->cols);
	if (ui->rows < UI_MIN_ROWS || ui->cols < UI_MIN_COLS) {
		draw_too_small(ui);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	struct view *v = top(ui);
	if (v->wraps && v->read_width != ui->cols)
		v->stale = 1;
	view_load(ui, v);
	ui->body_y = 1;
	ui->body_h = ui->rows - 2;
	v->height = ui->body_h;
	v->width = ui->cols;
	scroll_to_cursor(v, v->height);
	draw_tabs(ui);
	if (v->ops->draw)
		v->ops->draw(v, ui, ui->body_y, ui->body_h);
	else
		draw_lines(v, ui, ui->body_y, ui->body_h);
	draw_status(ui, v);
	wnoutrefresh(stdscr);
	doupdate();
	ui->last_draw_ms = ss_now_ms();
}

/* ------------------------------------------------------------------ */
/* Generic requests. */

static void notify_select(struct ui *ui, struct view *v)
{
	if (v->ops->select && v->lineno < v->lines)
		v->ops->select(v, ui, &v->line[v->lineno]);
}

void view_goto(struct view *v, struct ui *ui, size_t n)
{
	if (!v->lines)
		return;
	if (n >= v->lines)
		n = v->lines - 1;
	v->lineno = n;
	scroll_to_cursor(v, v->height > 0 ? v->height : ui->body_h);
	notify_select(ui, v);
}

static void move_cursor(struct ui *ui, struct view *v, long delta)
{
	if (!v->lines)
		return;
	long n = (long)v->lineno + delta;
	if (n < 0)
		n = 0;
	if (n >= (long)v->lines)
		n = (long)v->lines - 1;
	v->lineno = (size_t)n;
	/* paging keeps the cursor at the same screen row */
	if (delta > 1 || delta < -1) {
		long off = (long)v->offset + delta;
		long maxoff = (long)v->lines - v->height;
		if (off > maxoff)
			off = maxoff;
		if (off < 0)
			off = 0;
		v->offset = (size_t)off;
	}
	scroll_to_cursor(v, v->height);
	notify_select(ui, v);
}

static int search(struct ui *ui, struct view *v, int dir)
{
	if (!ui->search || !*ui->search) {
		ui_message(ui, ROLE_WARN, "no search yet: / to search");
		return 0;
	}
	if (!v->lines)
		return 0;
	size_t n = v->lines;
	for (size_t i = 1; i <= n; i++) {
		size_t k = dir > 0 ? (v->lineno + i) % n : (v->lineno + n - i) % n;
		if (strcasestr(v->line[k].text.buf, ui->search)) {
			view_goto(v, ui, k);
			ui_message(ui, ROLE_STATUS, "/%s: line %zu", ui->search, k + 1);
			return 1;
		}
	}
	ui_message(ui, ROLE_WARN, "/%s: no match", ui->search);
	return 0;
}

static void do_quit(struct ui *ui)
{
	ui->quit = 1;
}

static int run_command(struct ui *ui, const char *cmd);

static void handle_resize(struct ui *ui)
{
	getmaxyx(stdscr, ui->rows, ui->cols);
	for (int i = 0; i < VIEW__COUNT; i++)
		if (ui->views[i].wraps && ui->views[i].read_width != ui->cols)
			ui->views[i].stale = 1;
	clearok(curscr, TRUE);
}

static void handle_request(struct ui *ui, enum request req)
{
	struct view *v = top(ui);
	if (REQ_IS_DECISION(req) && ui->opt.readonly) {
		ui_message(ui, ROLE_WARN, "read-only: decisions are disabled (--readonly)");
		return;
	}
	if (v->ops->request && v->ops->request(v, ui, req))
		return;
	switch (req) {
	case REQ_NONE:
		break;
	case REQ_VIEW_OVERVIEW: case REQ_VIEW_GRID: case REQ_VIEW_CLUSTERS:
	case REQ_VIEW_PAIRS: case REQ_VIEW_DIFF: case REQ_VIEW_EDITS: case REQ_VIEW_LOG:
		if (req == REQ_VIEW_DIFF) {
			ui->diff_old = 0;
			ui->diff_new = 0;
		}
		ui_switch(ui, VIEW_OVERVIEW + (req - REQ_VIEW_OVERVIEW));
		break;
	case REQ_VIEW_NEXT:
		ui_switch(ui, (ui->stack[0] + 1) % VIEW_TABS);
		break;
	case REQ_VIEW_PREV:
		ui_switch(ui, (ui->stack[0] + VIEW_TABS - 1) % VIEW_TABS);
		break;
	case REQ_HELP:
		if (ui->stack[ui->depth - 1] != VIEW_HELP)
			ui_push(ui, VIEW_HELP);
		break;
	case REQ_BACK:
		pop(ui);
		break;
	case REQ_CLOSE:
		if (ui->depth > 1)
			pop(ui);
		else
			do_quit(ui);
		break;
	case REQ_QUIT:
		do_quit(ui);
		break;
	case REQ_MOVE_UP: move_cursor(ui, v, -1); break;
	case REQ_MOVE_DOWN: move_cursor(ui, v, 1); break;
	case REQ_PAGE_UP: move_cursor(ui, v, -(long)(v->height > 1 ? v->height : 1)); break;
	case REQ_PAGE_DOWN: move_cursor(ui, v, v->height > 1 ? v->height : 1); break;
	case REQ_HALF_UP: move_cursor(ui, v, -(long)(v->height / 2 > 1 ? v->height / 2 : 1)); break;
	case REQ_HALF_DOWN: move_cursor(ui, v, v->height / 2 > 1 ? v->height / 2 : 1); break;
	case REQ_FIRST: view_goto(v, ui, 0); break;
	case REQ_LAST: view_goto(v, ui, v->lines ? v->lines - 1 : 0); break;
	case REQ_MOVE_LEFT:
		v->xoff = v->xoff > 8 ? v->xoff - 8 : 0;
		break;
	case REQ_MOVE_RIGHT:
		v->xoff += 8;
		break;
	case REQ_SEARCH: {
		char *s = ui_prompt(ui, "/");
		if (s && *s) {
			free(ui->search);
			ui->search = s;
			search(ui, v, 1);
		} else {
			free(s);
		}
		break;
	}
	case REQ_SEARCH_NEXT: search(ui, v, 1); break;
	case REQ_SEARCH_PREV: search(ui, v, -1); break;
	case REQ_PROMPT: {
		char *s = ui_prompt(ui, ":");
		if (s) {
			ui->message[0] = '\0';
			run_command(ui, s);
		}
		free(s);
		break;
	}
	case REQ_REFRESH:
		poll_store(ui, 1);
		ui_message(ui, ROLE_STATUS, "refreshed");
		break;
	case REQ_PAUSE:
		ui->paused = !ui->paused;
		ui_message(ui, ROLE_STATUS, ui->paused ? "auto-refresh paused (%s resumes)"
				: "auto-refresh on%s", ui->paused ? key_name(keys_first(REQ_PAUSE, -1)) : "");
		break;
	case REQ_ENTER:
	case REQ_FILTER: case REQ_SORT: case REQ_FILTER_CLUSTER: case REQ_FILTER_TYPE:
	case REQ_LAYOUT: case REQ_PREV_ITEM: case REQ_NEXT_ITEM: case REQ_MARK: case REQ_DIFF:
	case REQ_APPROVE: case REQ_REJECT:
		break;
	case REQ__COUNT:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Commands (":"). */

static int view_from_name(const char *name)
{
	for (int i = 0; i < VIEW__COUNT; i++)
		if (!strcasecmp(view_table[i]->name, name) || !strcasecmp(view_table[i]->title, name))
			return i;
	return -1;
}

static int parse_round(const char *s)
{
	if (*s == 'r' || *s == 'R')
		s++;
	char *end;
	long n = strtol(s, &end, 10);
	return *end || end == s ? -1 : (int)n;
}

static int run_command(struct ui *ui, const char *cmd)
{
	char *copy = xstrdup(cmd);
	char *argv[4] = { NULL, NULL, NULL, NULL };
	int argc = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, " \t", &save); t && argc < 4; t = strtok_r(NULL, " \t", &save))
		argv[argc++] = t;
	if (argc == 0)
		goto out;
	const char *c = argv[0];
	if (!strcmp(c, "q") || !strcmp(c, "quit")) {
		do_quit(ui);
	} else if (!strcmp(c, "view") && argc == 2) {
		int id = view_from_name(argv[1]);
		if (id < 0)
			ui_message(ui, ROLE_BAD, "unknown view '%s'", argv[1]);
		else if (id < VIEW_TABS)
			ui_switch(ui, id);
		else
			ui_push(ui, id);
	} else if (!strcmp(c, "resize") && argc == 2) {
		int w, h;
		if (sscanf(argv[1], "%dx%d", &w, &h) == 2 && w > 0 && h > 0) {
			resize_term(h, w);
			handle_resize(ui);
		} else {
			ui_message(ui, ROLE_BAD, "resize: expected WxH");
		}
	} else if (!strcmp(c, "dump") && argc == 2) {
		if (ui_dump(ui, argv[1]) < 0)
			ui_message(ui, ROLE_BAD, "%s", ss_err_last());
	} else if (!strcmp(c, "theme") && argc == 2) {
		struct theme t;
		theme_init(&t);
		if (theme_load(&t, argv[1]) < 0) {
			ui_message(ui, ROLE_BAD, "%s", ss_err_last());
			theme_release(&t);
		} else {
			theme_release(&ui->theme);
			ui->theme = t;
			theme_apply(&ui->theme, ui->color_mode);
			ui_message(ui, ROLE_STATUS, "theme %s", argv[1]);
		}
	} else if (!strcmp(c, "refresh")) {
		poll_store(ui, 1);
	} else if (!strcmp(c, "pause")) {
		ui->paused = 1;
	} else if (!strcmp(c, "resume")) {
		ui->paused = 0;
	} else if ((!strcmp(c, "goto") && argc == 2) || (argc == 1 && c[0] >= '0' && c[0] <= '9')) {
		long n = atol(argc == 2 ? argv[1] : c);
		view_goto(top(ui), ui, n > 0 ? (size_t)n - 1 : 0);
	} else if (!strcmp(c, "diff") && argc >= 2) {
		int a = parse_round(argv[1]);
		int b = argc >= 3 ? parse_round(argv[2]) : -1;
		int64_t ca = a >= 0 ? data_round_candidate(ui, a) : 0;
		int64_t cb = b >= 0 ? data_round_candidate(ui, b) : 0;
		if (!ca || (argc >= 3 && !cb)) {
			ui_message(ui, ROLE_BAD, "diff: no such round");
		} else {
			ui->diff_old = argc >= 3 ? ca : 0;
			ui->diff_new = argc >= 3 ? cb : ca;
			ui_push(ui, VIEW_DIFF);
		}
	} else if (!strcmp(c, "run") && argc == 2) {
		free(ui->run_id);
		ui->run_id = xstrdup(argv[1]);
		ui->follow_latest = 0;
		poll_store(ui, 1);
		if (!ui->run.id)
			ui_message(ui, ROLE_BAD, "run '%s' not found", argv[1]);
	} else if (!strcmp(c, "help")) {
		ui_push(ui, VIEW_HELP);
	} else {
		ui_message(ui, ROLE_BAD, "unknown command '%s' (see ? for the commands)", cmd);
	}
out:
	free(copy);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup and the loop. */

static struct ui *current_ui;

static void die_hook(void)
{
	if (current_ui && current_ui->scr) {
		endwin();
	}
}

static enum color_mode pick_color_mode(void)
{
	const char *nc = getenv("NO_COLOR");
	if ((nc && *nc) || !has_colors())
		return COLOR_MODE_MONO;
	if (start_color() == ERR)
		return COLOR_MODE_MONO;
	use_default_colors();
	if (COLORS >= 0x1000000)
		return COLOR_MODE_DIRECT;
	if (COLORS >= 256)
		return COLOR_MODE_256;
	if (COLORS >= 8)
		return COLOR_MODE_8;
	return COLOR_MODE_MONO;
}

static int start(struct ui *ui)
{
	const char *script = getenv("SKILLSMITH_UI_SCRIPT");
	if (script && *script) {
		ui->script = script_load(script);
		if (!ui->script)
			return ss_err_prefix(SS_EINPUT, "SKILLSMITH_UI_SCRIPT: ");
		ui->dump_path = getenv("SKILLSMITH_UI_DUMP");
		ui->in = fopen("/dev/null", "r");
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(fileno(ui->out)))
			return ss_err_set(SS_EINPUT, "the dashboard needs a terminal "
					  "(use 'skillsmith status' or 'report' otherwise)");
		ui->in = stdin;
	}
	const char *now = getenv("SKILLSMITH_UI_NOW");
	if (now && *now)
		ui->now_override = strtoll(now, NULL, 10);

	const char *cs = nl_langinfo(CODESET);
	ui->utf8 = cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
	ui->san_flags = ui->utf8 ? 0 : SANITIZE_ASCII;

	keys_init();
	char *kpath = keys_default_path();
	char *kerr = NULL;
	keys_load(kpath, &kerr);
	free(kpath);
	if (kerr) {
		ui_message(ui, ROLE_BAD, "%s", kerr);
		free(kerr);
	}

	theme_init(&ui->theme);
	const char *tname = ui->opt.theme;
	if (!tname || !*tname)
		tname = getenv("SKILLSMITH_THEME");
	if (tname && *tname && theme_load(&ui->theme, tname) < 0)
		ui_message(ui, ROLE_BAD, "%s", ss_err_last());

	ui->scr = newterm(NULL, ui->out, ui->in);
	if (!ui->scr) {
		const char *term = getenv("TERM");
		return ss_err_set(SS_EINPUT, "cannot use terminal type '%s'", term ? term : "");
	}
	current_ui = ui;
	ss_set_die_hook(die_hook);
	set_term(ui->scr);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	ui->color_mode = pick_color_mode();
	theme_apply(&ui->theme, ui->color_mode);
	getmaxyx(stdscr, ui->rows, ui->cols);
	return 0;
}

static void stop(struct ui *ui)
{
	if (ui->scr) {
		endwin();
		delscreen(ui->scr);
		ui->scr = NULL;
	}
	if (ui->in && ui->in != stdin)
		fclose(ui->in);
	ui->in = NULL;
	current_ui = NULL;
	ss_set_die_hook(NULL);
}

static int loop(struct ui *ui)
{
	int too_small_prev = 0;
	while (!ui->quit) {
		int64_t t = ss_now_ms();
		if (ui->script || (!ui->paused && t - ui->last_poll_ms >= POLL_MS)) {
			if (!ui->paused)
				poll_store(ui, 0);
			ui->last_poll_ms = t;
		}
		draw(ui);
		int too_small = ui->rows < UI_MIN_ROWS || ui->cols < UI_MIN_COLS;
		(void)too_small_prev;
		too_small_prev = too_small;

		int key;
		if (ui->opt.tick && !ui->tick_done && !ui->script) {
			key = get_key(ui, 0);
			if (key == ERR) {
				int rc = ui->opt.tick(TICK_MS, ui->opt.payload);
				if (rc != 0) {
					ui->tick_done = 1;
					if (rc < 0)
						ui_message(ui, ROLE_BAD, "engine: %s", ss_err_last());
				}
				continue;
			}
		} else {
			if (ui->opt.tick && !ui->tick_done) {
				int rc = ui->opt.tick(0, ui->opt.payload);
				if (rc != 0)
					ui->tick_done = 1;
			}
			key = get_key(ui, POLL_MS);
		}
		if (key == -2)
			break;  /* the script has ended */
		if (key == ERR)
			continue;
		if (key == FN(KEY_RESIZE)) {
			handle_resize(ui);
			continue;
		}
		ui->message[0] = '\0';
		if (too_small) {
			if (key == 'q' || key == 'Q' || keys_lookup(key, -1) == REQ_QUIT ||
			    keys_lookup(key, -1) == REQ_CLOSE)
				do_quit(ui);
			else if (key == ':') {
				/* scripts resize through the prompt */
				handle_request(ui, REQ_PROMPT);
			}
			continue;
		}
		handle_request(ui, keys_lookup(key, ui->stack[ui->depth - 1]));
	}
	/* scripts: the screen as the user last saw it */
	if (ui->dump_path) {
		if (!ui->quit)
			draw(ui);
		if (ui_dump(ui, ui->dump_path) < 0)
			return SS_ERR;
	}
	return 0;
}

static int resolve_store(struct ui *ui)
{
	struct stat sb;
	if (stat(ui->opt.store_path, &sb) < 0)
		return ss_err_set(SS_ENOTFOUND, "no store at '%s' (start a run first, or pass --workspace)",
				  ui->opt.store_path);
	int rc = store_open(&ui->st, ui->opt.store_path, ui->opt.readonly ? STORE_READONLY : 0);
	if (rc < 0)
		return rc;
	/* never wait long on the engine's write lock */
	sqlite3_busy_timeout(ui->st->db, 200);
	return 0;
}

int ui_main(const struct ui_options *opts)
{
	struct ui *ui = xcalloc(1, sizeof(*ui));
	int rc;
	ui->opt = *opts;
	ui->out = opts->out ? opts->out : stdout;
	/* the workspace holds the store: "<workspace>/store.db" */
	char *ws = NULL;
	if (!ui->opt.workspace && opts->store_path) {
		const char *slash = strrchr(opts->store_path, '/');
		const char *base = slash ? slash + 1 : opts->store_path;
		if (!strcmp(base, "store.db"))
			ws = slash ? xstrndup(opts->store_path, (size_t)(slash - opts->store_path)) : xstrdup(".");
		ui->opt.workspace = ws;
	}
	ui->layout_stacked = -1;
	for (int i = 0; i < VIEW__COUNT; i++) {
		ui->views[i].ops = view_table[i];
		ui->views[i].id = i;
		ui->views[i].stale = 1;
	}
	if ((rc = resolve_store(ui)) < 0)
		goto cleanup;
	if (opts->run_id && *opts->run_id) {
		ui->run_id = xstrdup(opts->run_id);
		if (data_load_run(ui) < 0) {
			rc = ss_err_set(SS_ENOTFOUND, "no run '%s' in '%s'", opts->run_id,
					opts->store_path);
			goto cleanup;
		}
	} else {
		ui->follow_latest = 1;
	}
	if ((rc = start(ui)) < 0)
		goto cleanup;
	ui->data_version = -1;
	ui_switch(ui, VIEW_OVERVIEW);
	rc = loop(ui);
	if (rc == 0)
		rc = ui->opt.tick && !ui->tick_done ? UI_QUIT_RUNNING : UI_QUIT;
cleanup:
	stop(ui);
	for (int i = 0; i < VIEW__COUNT; i++) {
		struct view *v = &ui->views[i];
		if (v->opened && v->ops->done)
			v->ops->done(v);
		view_clear_lines(v);
		free(v->line);
	}
	script_free(ui->script);
	theme_release(&ui->theme);
	free(ui->search);
	free(ui->run_id);
	free(ui->run.id);
	free(ui->run.strategy);
	free(ui->run.state);
	free(ui->run.stage);
	free(ui->run.final_status);
	free(ui->run.error);
	store_close(ui->st);
	free(ws);
	free(ui);
	return rc;
}

int ui_run_attach(const char *store_path, const char *run_id, ui_tick_fn tick, void *payload)
{
	struct ui_options o = UI_OPTIONS_INIT;
	o.store_path = store_path;
	o.run_id = run_id;
	o.tick = tick;
	o.payload = payload;
	return ui_main(&o);
}

int ui_insert_decision(struct ui *ui, const char *subject, int64_t subject_id,
		       const char *decision, const char *reason)
{
	if (ui->opt.readonly)
		return ss_err_set(SS_EINPUT, "read-only: decisions are disabled");
	sqlite3_stmt *s = store_prepare(ui->st,
		"INSERT INTO decisions (run_id, subject, subject_id, decision, reason, who, at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, subject_id);
	sqlite3_bind_text(s, 4, decision, -1, SQLITE_STATIC);
	if (reason && *reason)
		sqlite3_bind_text(s, 5, reason, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_text(s, 6, user_name(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, ui_now(ui));
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return ss_err_set(SS_ERR, "cannot record the decision: %s (try again)",
				  sqlite3_errmsg(ui->st->db));
	ui_stale_all(ui);
	return 0;
}
