#ifndef SKILLSMITH_TUI_H
#define SKILLSMITH_TUI_H
/*
 * Internals of the dashboard: the view table, the key table, the theme,
 * drawing helpers.  Only ui/ (and bench/, tests/) include this.
 *
 * Shape (after tig): every view is a `struct view` driven by a table of
 * functions (`struct view_ops`); one loop in tui.c takes keys, turns them
 * into requests through the key table (which also writes the help screen),
 * offers each request to the view first and then to the generic handler,
 * polls the store for changes and redraws.
 *
 * Every string reaches the terminal through draw_text(), which passes it
 * through the sanitizer, so no view can draw untrusted text raw.
 */
#include <curses.h>
#include <stdint.h>
#include <stddef.h>

#include "skillsmith/buf.h"
#include "skillsmith/store.h"
#include "skillsmith/ui.h"

/* ------------------------------------------------------------------ */
/* Theme roles: name in theme files, built-in dark colours, mono attrs. */

#define ROLE_LIST(_) \
	_(DEFAULT,    "default",    "default",  "default", 0) \
	_(TITLE,      "title",      "white",    "#1f3b5c", A_BOLD) \
	_(TAB,        "tab",        "#a0b4c8",  "#1f3b5c", 0) \
	_(TAB_ACTIVE, "tab-active", "black",    "#8fbcdb", A_REVERSE | A_BOLD) \
	_(STATUS,     "status",     "#d0d0d0",  "#303030", A_REVERSE) \
	_(CURSOR,     "cursor",     "black",    "#8fbcdb", A_REVERSE) \
	_(HEADER,     "header",     "#8fbcdb",  "default", A_BOLD) \
	_(DIM,        "dim",        "#808080",  "default", A_DIM) \
	_(ACCENT,     "accent",     "#e5c07b",  "default", A_BOLD) \
	_(PASS,       "pass",       "#5fd75f",  "default", 0) \
	_(FAIL,       "fail",       "#ff6b6b",  "default", 0) \
	_(PENDING,    "pending",    "#6c6c6c",  "default", A_DIM) \
	_(RUNNING,    "running",    "#5fafff",  "default", A_BOLD) \
	_(ERROR,      "error",      "#ff5fff",  "default", A_BOLD) \
	_(REPAIR,     "repair",     "black",    "#5fd75f", A_BOLD | A_UNDERLINE) \
	_(REGRESSION, "regression", "white",    "#d70000", A_BOLD | A_REVERSE) \
	_(MARKER,     "marker",     "#ff8700",  "default", A_UNDERLINE) \
	_(DIFF_ADD,   "diff-add",   "#5fd75f",  "default", 0) \
	_(DIFF_DEL,   "diff-del",   "#ff6b6b",  "default", 0) \
	_(DIFF_HUNK,  "diff-hunk",  "#5fafff",  "default", A_BOLD) \
	_(GOOD,       "good",       "#5fd75f",  "default", A_BOLD) \
	_(BAD,        "bad",        "#ff6b6b",  "default", A_BOLD) \
	_(WARN,       "warn",       "#ffd75f",  "default", A_BOLD) \
	_(SEARCH,     "search",     "black",    "#ffd75f", A_REVERSE) \
	_(PROMPT,     "prompt",     "#ffd75f",  "#303030", A_BOLD) \
	_(KEY,        "key",        "#e5c07b",  "default", A_BOLD) \
	_(SPARK,      "spark",      "#5fafff",  "default", 0) \
	_(BAR,        "bar",        "#5fafff",  "default", 0) \
	_(ROLE_USER,  "role-user",  "#87d7ff",  "default", A_BOLD) \
	_(ROLE_ASSISTANT, "role-assistant", "#d7afff", "default", A_BOLD) \
	_(ROLE_TOOL,  "role-tool",  "#e5c07b",  "default", A_BOLD)

#define ROLE_ENUM(id, name, fg, bg, mono) ROLE_##id,
enum role { ROLE_LIST(ROLE_ENUM) ROLE__COUNT };
#undef ROLE_ENUM

/* Colour depth the theme was resolved to. */
enum color_mode { COLOR_MODE_MONO, COLOR_MODE_8, COLOR_MODE_256, COLOR_MODE_DIRECT };

struct theme_color {
	int kind;        /* 0 default, 1 index (0..255), 2 rgb */
	uint32_t value;  /* index or 0xRRGGBB */
};

struct theme_entry {
	struct theme_color fg, bg;
	attr_t attrs;     /* from the theme file, always applied */
	attr_t mono;      /* applied when there are no colours */
};

struct theme {
	struct theme_entry role[ROLE__COUNT];
	char *name;
};

/* The built-in dark theme. */
void theme_init(struct theme *t);
void theme_release(struct theme *t);
/*
 * Apply a theme file over `t` (partial overrides).  `name` is a path when
 * it holds '/', else looked up as NAME.theme in $XDG_CONFIG_HOME/
 * skillsmith/themes, next to the binary (../themes, ../share/skillsmith/
 * themes).  "dark" needs no file.  Errors name file and line.
 */
int theme_load(struct theme *t, const char *name);
/* Parse theme text (for tests); `file` names it in errors. */
int theme_parse(struct theme *t, const char *text, const char *file);
/* Parse "red", "color42", "#rrggbb", "default". */
int theme_parse_color(struct theme_color *c, const char *s);
/* Reduce a colour to the mode: returns a curses colour number or -1. */
int theme_resolve(const struct theme_color *c, enum color_mode mode);
/* Set up curses colour pairs (after start_color); fills attr tables. */
void theme_apply(const struct theme *t, enum color_mode mode);
/* The attributes and pair of a role after theme_apply(). */
attr_t theme_attr(int role);
short theme_pair(int role);

/* ------------------------------------------------------------------ */
/* Requests and keys. */

#define REQ_LIST(_) \
	_(NONE,            "none",            "do nothing") \
	_(VIEW_OVERVIEW,   "view-overview",   "show the overview") \
	_(VIEW_GRID,       "view-grid",       "show the rollout grid") \
	_(VIEW_CLUSTERS,   "view-clusters",   "show the clusters") \
	_(VIEW_PAIRS,      "view-pairs",      "show the contrastive pairs") \
	_(VIEW_DIFF,       "view-diff",       "show the skill diff") \
	_(VIEW_EDITS,      "view-edits",      "show the edits awaiting approval") \
	_(VIEW_LOG,        "view-log",        "show the candidate log") \
	_(VIEW_NEXT,       "view-next",       "cycle to the next view") \
	_(VIEW_PREV,       "view-prev",       "cycle to the previous view") \
	_(HELP,            "help",            "show this help") \
	_(BACK,            "back",            "go back to the previous view") \
	_(CLOSE,           "close",           "close the view (quit from the last)") \
	_(QUIT,            "quit",            "quit") \
	_(MOVE_UP,         "move-up",         "move up") \
	_(MOVE_DOWN,       "move-down",       "move down") \
	_(MOVE_LEFT,       "move-left",       "move left / scroll left") \
	_(MOVE_RIGHT,      "move-right",      "move right / scroll right") \
	_(PAGE_UP,         "page-up",         "one page up") \
	_(PAGE_DOWN,       "page-down",       "one page down") \
	_(HALF_UP,         "half-page-up",    "half a page up") \
	_(HALF_DOWN,       "half-page-down",  "half a page down") \
	_(FIRST,           "first",           "go to the first line") \
	_(LAST,            "last",            "go to the last line") \
	_(ENTER,           "enter",           "open the selected item") \
	_(SEARCH,          "search",          "search forward") \
	_(SEARCH_NEXT,     "search-next",     "next match") \
	_(SEARCH_PREV,     "search-prev",     "previous match") \
	_(PROMPT,          "prompt",          "command prompt (commands are listed below)") \
	_(REFRESH,         "refresh",         "reload from the store now") \
	_(PAUSE,           "toggle-pause",    "pause or resume auto-refresh") \
	_(FILTER,          "filter",          "cycle filter: all, regressions, changed") \
	_(SORT,            "sort",            "cycle sort order") \
	_(FILTER_CLUSTER,  "filter-cluster",  "cycle cluster filter") \
	_(FILTER_TYPE,     "filter-type",     "cycle task type filter") \
	_(LAYOUT,          "toggle-layout",   "side by side / stacked (unified)") \
	_(PREV_ITEM,       "prev-item",       "previous pair / round") \
	_(NEXT_ITEM,       "next-item",       "next pair / round") \
	_(MARK,            "mark",            "mark a candidate to diff") \
	_(DIFF,            "diff-marked",     "diff the two marked candidates") \
	_(APPROVE,         "approve",         "approve the selected edit or candidate") \
	_(REJECT,          "reject",          "reject the selected edit or candidate")

#define REQ_ENUM(id, name, help) REQ_##id,
enum request { REQ_LIST(REQ_ENUM) REQ__COUNT };
#undef REQ_ENUM

/* Requests that write decisions: refused with --readonly. */
#define REQ_IS_DECISION(r) ((r) == REQ_APPROVE || (r) == REQ_REJECT)

const char *request_name(enum request r);
const char *request_help(enum request r);
/* REQ__COUNT when unknown. */
enum request request_from_name(const char *name);

/*
 * Keys: a character is its code point (Ctrl-x is x & 0x1f); a curses
 * function key is FN(KEY_x), outside the Unicode range, so typed text and
 * function keys never collide.
 */
#define UI_FN_FLAG 0x1000000
#define FN(k) ((k) | UI_FN_FLAG)
#define KEY_IS_FN(k) (((k) & UI_FN_FLAG) != 0)
#define KEY_ESCAPE 27
#define KEY_TAB 9
#define KEY_RETURN 10

/* "<Enter>" / "j" / "<C-d>" ... -> key code; -1 if unknown.  *len gets the
 * bytes used from s. */
int key_parse(const char *s, size_t *len);
/* A key's display name ("<C-d>", "j", "<PgDn>"); static buffer. */
const char *key_name(int key);

/* Views (index in the view table). */
enum view_id {
	VIEW_OVERVIEW, VIEW_GRID, VIEW_CLUSTERS, VIEW_PAIRS, VIEW_DIFF,
	VIEW_EDITS, VIEW_LOG, VIEW_TRAJ, VIEW_PAIR, VIEW_HELP, VIEW__COUNT
};
/* Views reached by Tab / digits; the rest are opened from these. */
#define VIEW_TABS 7

struct keybinding {
	int key;
	enum request req;
	int view;        /* -1: every view */
};

/* The key table (defaults, then keys.conf). */
void keys_init(void);
/* Load bindings: "bind VIEW|generic KEY ACTION" lines.  Errors (file:line)
 * go to *err (malloc'd, caller frees) and loading goes on. */
int keys_load(const char *path, char **err);
/* Look up a key for a view (view bindings first, then generic). */
enum request keys_lookup(int key, int view);
/* All bindings, for the help screen. */
const struct keybinding *keys_table(size_t *n);
/* The first key bound to req (for hints), or -1. */
int keys_first(enum request req, int view);
/* Default path of keys.conf (malloc'd). */
char *keys_default_path(void);

/* ------------------------------------------------------------------ */
/* Lines, views. */

struct seg {
	unsigned start;  /* byte offset of the segment in the line text */
	int role;
};

struct line {
	struct buf text;     /* raw text; untrusted parts allowed: drawn sanitized */
	struct seg *seg;     /* role changes; nseg 0: the whole line is `role` */
	int nseg, aseg;
	int role;
	int kind;            /* view-specific */
	int64_t id, id2;     /* view-specific (rollout id, candidate id...) */
	unsigned selectable : 1;
	unsigned marked : 1;
};

struct ui;
struct view;

struct view_ops {
	/* Short name for the tabs and `:view NAME`. */
	const char *name;
	/* Title shown in the tab bar. */
	const char *title;
	/* First display: allocate private state (may be NULL). */
	int (*open)(struct view *v, struct ui *ui);
	/* (Re)load from the store into lines/private state; keep the cursor. */
	int (*read)(struct view *v, struct ui *ui);
	/* Draw the body rows [y, y+h); NULL: the generic line drawing. */
	void (*draw)(struct view *v, struct ui *ui, int y, int h);
	/* View-specific requests; return 1 if handled, 0 to pass on. */
	int (*request)(struct view *v, struct ui *ui, enum request req);
	/* The cursor moved onto line l: update status text etc. (may be NULL). */
	void (*select)(struct view *v, struct ui *ui, struct line *l);
	/* Free private state (may be NULL). */
	void (*done)(struct view *v);
};

struct view {
	const struct view_ops *ops;
	int id;               /* enum view_id */
	struct line *line;
	size_t lines, alloc;
	size_t offset;        /* first line shown */
	size_t lineno;        /* cursor line */
	int xoff;             /* horizontal scroll (columns) */
	int height, width;    /* body size of the last draw */
	int opened;
	int stale;            /* reload before the next draw */
	int read_width;       /* width the lines were laid out for (wrapping views) */
	int wraps;            /* lines depend on the width: reread on resize */
	void *priv;
	char status[160];     /* view status text, shown in the status bar */
};

/* Append a line; returns it (valid until the next add). */
struct line *view_add_line(struct view *v, int role, int kind, int64_t id);
/* Append text with a role to a line: sanitize at draw time. */
void line_add(struct line *l, int role, const char *s);
void line_addf(struct line *l, int role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append `s` padded/truncated to exactly `w` columns (right-aligned if
 * right); untrusted text is sanitized first so widths are right. */
void line_add_cell(struct ui *ui, struct line *l, int role, int w, int right, const char *s);
/* Wrapped paragraphs: add `s` (may hold newlines) as lines of at most
 * `w` columns, each with the given role and indent. */
void view_add_wrapped(struct ui *ui, struct view *v, int role, int kind, int64_t id,
		      int indent, int w, const char *s);
void view_clear_lines(struct view *v);
/* Keep the cursor on the line with this kind/id after a reload if any. */
void view_restore(struct view *v, int kind, int64_t id);
/* Move the cursor to line n (clamped) and scroll it into view. */
void view_goto(struct view *v, struct ui *ui, size_t n);

/* ------------------------------------------------------------------ */
/* The run as read from the store (shared by the views). */

struct run_info {
	char *id;
	char *strategy;
	char *state;
	char *stage;
	char *final_status;
	char *error;
	int round, rounds_total;
	int gate_threshold;    /* -1 when NULL */
	int64_t selected_candidate;  /* 0 when NULL */
	int64_t created_at, updated_at, heartbeat;
	int64_t seed;
};

struct script;

struct ui {
	struct ui_options opt;
	struct store *st;
	char *run_id;          /* the run shown (NULL: none yet) */
	int follow_latest;     /* no run given: switch to a newer run */
	struct run_info run;
	struct theme theme;
	enum color_mode color_mode;
	int utf8;              /* UTF-8 locale: fancy glyphs */
	unsigned san_flags;    /* SANITIZE_ASCII when not UTF-8 */
	SCREEN *scr;
	FILE *in, *out;
	int rows, cols;
	struct view views[VIEW__COUNT];
	int stack[16];         /* displayed view on top */
	int depth;
	int quit;
	int paused;
	int tick_done;         /* tick returned != 0 */
	long long data_version;
	int64_t last_poll_ms, last_draw_ms;
	char message[256];     /* last message for the status bar */
	int message_role;
	char *search;          /* last search text */
	struct script *script;
	const char *dump_path;
	int64_t now_override;
	/* What the opened views show (set before pushing them). */
	int64_t traj_rollout;  /* trajectory view */
	int64_t pair_id;       /* pair view */
	int64_t diff_old, diff_new;   /* diff view: candidate ids (0: auto) */
	int layout_stacked;    /* pairs/diff: 1 stacked/unified, 0 side by side, -1 auto */
	/* Current draw area of the body. */
	int body_y, body_h;
};

/* Minimum terminal size. */
#define UI_MIN_COLS 60
#define UI_MIN_ROWS 12

/* Wall-clock "now" (SKILLSMITH_UI_NOW in tests). */
int64_t ui_now(struct ui *ui);
/* Show a message in the status bar. */
void ui_message(struct ui *ui, int role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Push a view on top (opening and reading it). */
void ui_push(struct ui *ui, int view);
/* Mark every view stale (store changed). */
void ui_stale_all(struct ui *ui);
/* Read a line of text in the status bar; NULL when cancelled.  Caller frees. */
char *ui_prompt(struct ui *ui, const char *prompt);
/* Ask y/n in the status bar. */
int ui_confirm(struct ui *ui, const char *question);
/* Record a human decision (INSERT INTO decisions, who = $USER, at = now)
 * for the engine to apply.  subject: "edit" | "candidate"; decision:
 * "approve" | "reject"; reason may be NULL. */
int ui_insert_decision(struct ui *ui, const char *subject, int64_t subject_id,
		       const char *decision, const char *reason);
/* Whether pairs/diff should stack at width w. */
int ui_stacked(struct ui *ui, int w);

/* Drawing. */
/* Draw s clipped to w columns at (y, x) after skipping `skip` columns of
 * it; sanitizes; markers drawn in the marker role.  Returns columns used. */
int draw_text(struct ui *ui, int y, int x, int w, int role, const char *s, int skip);
/* Fill w columns at (y, x) with blanks in role. */
void draw_fill(struct ui *ui, int y, int x, int w, int role);
/* Draw one line (segments) at row y, columns [x, x+w), scrolled by xoff. */
void draw_line(struct ui *ui, const struct line *l, int y, int x, int w, int xoff, int cursor);
/* The generic body: lines from v->offset. */
void draw_lines(struct view *v, struct ui *ui, int y, int h);
/* Write the screen text to a file. */
int ui_dump(struct ui *ui, const char *path);

/* Glyphs with ASCII fallbacks. */
enum glyph {
	G_PASS, G_FAIL, G_PENDING, G_RUNNING, G_ERROR, G_NONE,
	G_DONE, G_ACTIVE, G_TODO, G_ARROW, G_BAR_FULL, G_BAR_EMPTY,
	G_ELLIPSIS, G_VBAR, G_HBAR, G_TIMES, G_GE, G_UP, G_DOWN, G_DOT,
	G__COUNT
};
const char *glyph(struct ui *ui, enum glyph g);
/* Sparkline character for level 0..7. */
const char *glyph_spark(struct ui *ui, int level);

/* Formatting helpers. */
/* "12.3k", "4.5M". */
void fmt_count(char *out, size_t n, double v);
/* "3m12s", "1h02m". */
void fmt_duration(char *out, size_t n, int64_t seconds);
/* "HH:MM:SS" in local time. */
void fmt_clock(char *out, size_t n, int64_t t);
/* "2026-12-03 07:41" in local time. */
void fmt_datetime(char *out, size_t n, int64_t t);

/* Views. */
extern const struct view_ops overview_ops, grid_ops, clusters_ops, pairs_ops,
	diff_ops, edits_ops, log_ops, traj_ops, pair_ops, help_ops;

/* Shared readers (ui/data.c). */
int data_load_run(struct ui *ui);
/* Round number of a candidate (0 if unknown). */
int data_candidate_round(struct ui *ui, int64_t cand_id);
/* Candidate id of a round (0 if none). */
int64_t data_round_candidate(struct ui *ui, int round);
/* Text of a column, "" when NULL. */
const char *col_text(sqlite3_stmt *s, int col);
/* A text field of a JSON object string, malloc'd or NULL. */
char *json_field(const char *json, const char *field);

/* Lay out rollout `rollout` (header, verdict, messages) as lines of v,
 * wrapped at w columns (ui/view_traj.c; the pair view uses it too). */
int traj_build(struct ui *ui, struct view *v, int64_t rollout, int w);

/* Grid internals exposed for the benchmark. */
struct grid;
/* Build a grid of n instances x k columns with synthetic cells. */
struct grid *grid_synthetic(int n, int k);
void grid_attach(struct view *v, struct grid *g);

#endif
