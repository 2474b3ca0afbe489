#ifndef SKILLSMITH_UI_H
#define SKILLSMITH_UI_H
/*
 * The dashboard (ncursesw).  It reads everything from the store, so it
 * shows any run: one that another process is executing (`skillsmith
 * watch`), one this process is executing (`skillsmith run` without
 * --headless, through ui_run_attach()), or a finished one.  The only rows
 * it ever writes are human decisions (INSERT INTO decisions), which the
 * engine picks up; with `readonly` it writes nothing and opens the store
 * read-only.
 *
 * Testing hooks (environment):
 *   SKILLSMITH_UI_SCRIPT  a file of keys to play instead of the keyboard;
 *                         the next key is taken only once the view has
 *                         loaded, so scripts need no sleeps.  One line per
 *                         step: keys in tig-like notation ("jjj<Enter>",
 *                         "<C-d>", "<Esc>", "<Tab>", "<Space>", "<Up>"...),
 *                         or a line starting with ':' which is typed into
 *                         the command prompt (":resize 200x50",
 *                         ":dump FILE", ":view grid"), or '#' for a
 *                         comment.  The UI quits when the script ends.
 *   SKILLSMITH_UI_DUMP    after the script ends, write the screen text
 *                         (UTF-8, one line per row, trailing blanks cut).
 *   SKILLSMITH_UI_NOW     wall-clock seconds to use as "now" (ages, ETA).
 */
#include <stdio.h>

/*
 * Called by the in-process dashboard to advance the engine.  Run the
 * engine's event loop for at most `budget_ms` milliseconds (returning
 * earlier is fine; never block longer: the keyboard waits meanwhile).
 * Return 0 to be called again, 1 when the run has ended (the dashboard
 * stays open until the user quits and stops calling), < 0 on an engine
 * failure (the dashboard shows ss_err_last() and stops calling).
 */
typedef int (*ui_tick_fn)(int budget_ms, void *payload);

struct ui_options {
	const char *store_path;  /* "<workspace>/store.db"; required */
	const char *workspace;   /* the workspace directory, or NULL */
	const char *run_id;      /* NULL: the store's latest run, followed */
	int readonly;            /* no decision keys, store opened read-only */
	const char *theme;       /* name or path; NULL: $SKILLSMITH_THEME, else "dark" */
	ui_tick_fn tick;         /* in-process engine hook, or NULL */
	void *payload;           /* passed to tick */
	FILE *out;               /* terminal output; NULL: stdout */
};
#define UI_OPTIONS_INIT { NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL }

/* What ui_main() returns. */
enum ui_result {
	UI_QUIT = 0,           /* the user quit; the run (if any) was finished */
	UI_QUIT_RUNNING = 1,   /* the user quit while tick still ran: the engine
				  should stop cleanly (the run can be resumed) */
};

/*
 * Show the dashboard until the user quits.  Takes over the terminal and
 * restores it on return (and through the die hook).  Returns an enum
 * ui_result, or < 0 with ss_err_last() set when it cannot start (no
 * terminal, store cannot be opened).
 */
int ui_main(const struct ui_options *opts);

/*
 * For `skillsmith run` without --headless: show the dashboard for run
 * `run_id` of the store at `store_path` while this process executes it.
 * The dashboard opens its own read-write connection (for decisions) and
 * follows the store as `watch` does; between frames and keys it calls
 * tick(budget_ms <= 50, payload) so the engine keeps running.  While the
 * dashboard is up the engine must not write to stdout or stderr (use
 * events: store_event()).  Returns as ui_main().
 */
int ui_run_attach(const char *store_path, const char *run_id,
		  ui_tick_fn tick, void *payload);

#endif
