/*
 * Dashboard tests: key scripts played on a virtual screen, screen dumps
 * compared with reviewed goldens in tests/data/ui/ (regenerate with
 * SKILLSMITH_UPDATE_GOLDEN=1 and review the diff by eye), the raw bytes
 * sent to the terminal, and the decisions written to the store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skillsmith/common.h"
#include "skillsmith/store.h"
#include "skillsmith/ui.h"
#include "ui/tui.h"
#include "tests/ui_fixture.h"

static char *tmpdir_path(const char *name)
{
	const char *dir = getenv("TMPDIR");
	return xasprintf("%s/ui-%ld-%s", dir ? dir : "/tmp", (long)getpid(), name);
}

/* A fresh fixture store; caller frees the path. */
static char *make_store(const char *name, const char *extra_sql)
{
	char *path = tmpdir_path(name);
	unlink(path);
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	if (store_exec(st, fixture_sql) < 0)
		fail_msg("fixture: %s", ss_err_last());
	if (extra_sql && store_exec(st, extra_sql) < 0)
		fail_msg("fixture: %s", ss_err_last());
	store_close(st);
	return path;
}

struct play {
	const char *store;
	const char *run;
	int readonly;
	const char *script;
	char *dump;     /* screen text after the script */
	char *raw;      /* bytes written to the terminal */
	size_t raw_len;
	int rc;
};

static void play(struct play *p)
{
	char *script = tmpdir_path("script");
	char *dump = tmpdir_path("dump");
	char *raw = tmpdir_path("raw");
	assert_int_equal(ss_write_file(script, p->script, strlen(p->script)), 0);
	unlink(dump);
	setenv("SKILLSMITH_UI_SCRIPT", script, 1);
	setenv("SKILLSMITH_UI_DUMP", dump, 1);
	setenv("SKILLSMITH_UI_NOW", FIXTURE_NOW, 1);
	FILE *out = fopen(raw, "w");
	assert_non_null(out);
	struct ui_options o = UI_OPTIONS_INIT;
	o.store_path = p->store;
	o.run_id = p->run;
	o.readonly = p->readonly;
	o.out = out;
	p->rc = ui_main(&o);
	fclose(out);
	unsetenv("SKILLSMITH_UI_SCRIPT");
	unsetenv("SKILLSMITH_UI_DUMP");
	p->dump = ss_read_file(dump, NULL);
	p->raw = ss_read_file(raw, &p->raw_len);
	if (!p->dump)
		fail_msg("no screen dump (rc %d: %s)", p->rc, ss_err_last());
	unlink(script);
	unlink(dump);
	unlink(raw);
	free(script);
	free(dump);
	free(raw);
}

static void play_release(struct play *p)
{
	free(p->dump);
	free(p->raw);
}

/* Compare with tests/data/ui/NAME.txt (or write it when updating). */
static void golden(const char *name, const char *text)
{
	const char *top = getenv("SKILLSMITH_TOP");
	char *path = xasprintf("%s/tests/data/ui/%s.txt", top ? top : ".", name);
	const char *upd = getenv("SKILLSMITH_UPDATE_GOLDEN");
	if (upd && *upd == '1') {
		assert_int_equal(ss_write_file(path, text, strlen(text)), 0);
		free(path);
		return;
	}
	char *want = ss_read_file(path, NULL);
	if (!want)
		fail_msg("missing golden %s (run with SKILLSMITH_UPDATE_GOLDEN=1 and review it)", path);
	if (strcmp(want, text)) {
		fprintf(stderr, "--- golden %s\n%s--- got\n%s---\n", path, want, text);
		fail_msg("screen differs from golden %s", name);
	}
	free(want);
	free(path);
}

static void check_view(const char *name, const char *keys)
{
	char *store = make_store("views.db", NULL);
	static const char *const sizes[][2] = { { "80x24", "" }, { "200x50", "-200x50" } };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *script = xasprintf(":resize %s\n%s\n", sizes[i][0], keys);
		struct play p = { .store = store, .script = script };
		play(&p);
		assert_int_equal(p.rc, 0);
		char *gname = xasprintf("%s%s", name, sizes[i][1]);
		golden(gname, p.dump);
		free(gname);
		play_release(&p);
		free(script);
	}
	unlink(store);
	free(store);
}

static void ui__overview_golden(void **state)
{
	check_view("overview", "# the first view");
}

static void ui__grid_golden(void **state)
{
	check_view("grid", "2");
}

static void ui__grid_filter_regressions(void **state)
{
	check_view("grid-regressions", "2\nf");
}

static void ui__clusters_golden(void **state)
{
	check_view("clusters", "3");
}

static void ui__pairs_golden(void **state)
{
	check_view("pairs", "4");
}

static void ui__pair_golden(void **state)
{
	/* side by side at 200 columns, stacked at 80 */
	check_view("pair", "4\n<Enter>");
}

static void ui__diff_golden(void **state)
{
	/* the latest round against its parent: unified at 80, side by side at 200 */
	check_view("diff", "5");
}

static void ui__log_golden(void **state)
{
	check_view("log", "7");
}

static void ui__edits_golden(void **state)
{
	check_view("edits", "6");
}

static void ui__trajectory_golden(void **state)
{
	/* the grid starts on round 3; d-005 is the fifth row, its baseline
	 * rollout holds a trajectory with tool calls and escape sequences */
	check_view("trajectory", "2\njjjj\nhhh\n<Enter>");
}

static void ui__log_marks_two_and_diffs(void **state)
{
	check_view("log-diff", "7\n<Space>j<Space>\nd");
}

static void ui__help_golden(void **state)
{
	check_view("help", "?");
}

static void ui__too_small_then_q_quits(void **state)
{
	char *store = make_store("small.db", NULL);
	struct play p = { .store = store, .script = ":resize 40x8\n" };
	play(&p);
	assert_non_null(strstr(p.dump, "terminal too small: need 60\xc3\x97" "12"));
	golden("too-small", p.dump);
	play_release(&p);
	/* q quits from there: keys after it are never played */
	struct play q = { .store = store, .script = ":resize 40x8\nq\n:resize 80x24\n2\n" };
	play(&q);
	assert_int_equal(q.rc, 0);
	assert_non_null(strstr(q.dump, "terminal too small"));
	play_release(&q);
	unlink(store);
	free(store);
}

static void ui__resize_storm_settles(void **state)
{
	char *store = make_store("storm.db", NULL);
	struct buf s = BUF_INIT;
	buf_adds(&s, "2\n");
	static const char *const sizes[] = { "200x50", "20x5", "61x12", "1x1", "300x100",
					     "59x30", "80x11", "120x40" };
	for (int round = 0; round < 5; round++)
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			buf_addf(&s, ":resize %s\n", sizes[i]);
			buf_adds(&s, i % 2 ? "j\n" : "<Tab>\n");
		}
	/* back to the grid at 80x24: must look exactly like a fresh one */
	buf_adds(&s, ":resize 80x24\n2\ng\n");
	struct play p = { .store = store, .script = s.buf };
	play(&p);
	assert_int_equal(p.rc, 0);
	golden("grid", p.dump);
	play_release(&p);
	buf_release(&s);
	unlink(store);
	free(store);
}

static void check_raw_is_clean(const struct play *p)
{
	/* the injected sequences never reach the terminal as such */
	assert_null(memmem(p->raw, p->raw_len, "\033]0;pwned", 9));
	assert_null(memmem(p->raw, p->raw_len, "\033[2JCLEARED", 11));
	assert_null(memmem(p->raw, p->raw_len, "\a", 1));
	assert_null(memmem(p->raw, p->raw_len, "\xe2\x80\xae", 3));   /* RLO */
	assert_null(memmem(p->raw, p->raw_len, "\xe2\x80\xac", 3));   /* PDF */
	assert_null(memmem(p->raw, p->raw_len, "\r\nok", 4));
	/* no OSC at all: curses itself sends none with this TERM */
	assert_null(memmem(p->raw, p->raw_len, "\033]", 2));
}

static void ui__hostile_text_reaches_terminal_as_markers(void **state)
{
	char *store = make_store("evil.db", NULL);
	/* the overview shows the hostile event */
	struct play p = { .store = store, .script = ":resize 200x50\n" };
	play(&p);
	assert_non_null(strstr(p.dump, "^[]0;pwned^G"));
	assert_non_null(strstr(p.dump, "^[[2JCLEARED"));
	check_raw_is_clean(&p);
	play_release(&p);
	/* the trajectory holds them in an assistant message, with bidi controls */
	struct play t = { .store = store, .script = ":resize 120x40\n2\njjjj\nhhh\n<Enter>\n" };
	play(&t);
	assert_non_null(strstr(t.dump, "^[]0;pwned^GThe answer is (A)^[[2JCLEARED <U+202E>evil<U+202C> done^M"));
	check_raw_is_clean(&t);
	play_release(&t);
	/* and in the pair view, side by side */
	struct play q = { .store = store, .script = ":resize 200x50\n4\n<Enter>\n" };
	play(&q);
	assert_non_null(strstr(q.dump, "<U+202E>evil"));
	check_raw_is_clean(&q);
	play_release(&q);
	unlink(store);
	free(store);
}

static void ui__no_color_sends_no_colour(void **state)
{
	char *store = make_store("nocolor.db", NULL);
	struct play c = { .store = store, .script = "2\n" };
	play(&c);
	/* with colours: 256-colour SGR sequences are sent */
	assert_non_null(memmem(c.raw, c.raw_len, "\033[38;5;", 7));
	play_release(&c);
	setenv("NO_COLOR", "1", 1);
	struct play p = { .store = store, .script = "2\n" };
	play(&p);
	unsetenv("NO_COLOR");
	assert_null(memmem(p.raw, p.raw_len, "\033[38;5;", 7));
	assert_null(memmem(p.raw, p.raw_len, "\033[48;5;", 7));
	for (int i = 0; i < 8; i++) {
		char fg[8];
		snprintf(fg, sizeof(fg), "\033[3%dm", i);
		assert_null(memmem(p.raw, p.raw_len, fg, strlen(fg)));
	}
	/* the same screen: meaning is in the glyphs, not the colours */
	golden("grid", p.dump);
	play_release(&p);
	unlink(store);
	free(store);
}

static void ui__grid_filters_by_cluster_and_type(void **state)
{
	char *store = make_store("filters.db", NULL);
	/* c: first cluster (failure 0: d-002, d-005, d-009) */
	struct play p = { .store = store, .script = "2\nc\n" };
	play(&p);
	assert_non_null(strstr(p.dump, "3/12 shown"));
	assert_non_null(strstr(p.dump, "d-002"));
	assert_non_null(strstr(p.dump, "d-009"));
	assert_null(strstr(p.dump, "a-004"));
	play_release(&p);
	/* t: first type (date), f twice: changed only */
	struct play q = { .store = store, .script = "2\nt\nf\nf\n" };
	play(&q);
	assert_non_null(strstr(q.dump, "type date"));
	assert_non_null(strstr(q.dump, "filter changed"));
	assert_non_null(strstr(q.dump, "d-005"));
	assert_non_null(strstr(q.dump, "d-010"));
	assert_null(strstr(q.dump, "d-001"));
	assert_null(strstr(q.dump, "a-007"));
	play_release(&q);
	/* s twice: most regressions first */
	struct play r = { .store = store, .script = ":resize 100x24\n2\ns\ns\n" };
	play(&r);
	assert_non_null(strstr(r.dump, "sort by regressions"));
	char *d006 = strstr(r.dump, "d-006"), *d001 = strstr(r.dump, "d-001");
	assert_non_null(d006);
	assert_non_null(d001);
	assert_true(d006 < d001);
	play_release(&r);
	unlink(store);
	free(store);
}

static void ui__ascii_fallback_without_utf8(void **state)
{
	char *store = make_store("ascii.db", NULL);
	setlocale(LC_ALL, "C");
	struct play p = { .store = store, .script = "2\n" };
	play(&p);
	setlocale(LC_ALL, "C.UTF-8");
	golden("grid-ascii", p.dump);
	/* nothing but ASCII on the screen */
	for (const unsigned char *c = (const unsigned char *)p.dump; *c; c++)
		assert_true(*c < 0x80);
	play_release(&p);
	unlink(store);
	free(store);
}

static int count(const char *db, const char *sql)
{
	struct store *st;
	assert_int_equal(store_open(&st, db, 0), 0);
	sqlite3_stmt *s = store_prepare(st, sql);
	assert_non_null(s);
	int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	store_close(st);
	return n;
}

static void ui__approve_and_reject_land_in_decisions(void **state)
{
	char *store = make_store("decide.db", NULL);
	setenv("USER", "grace", 1);
	/* the cursor starts on the first pending edit (2); a then y approves;
	 * then edit 3: x, a reason, Enter, y rejects */
	struct play p = { .store = store,
			  .script = "6\na\ny\nG\n:goto 1\n/edit 3\n<Enter>\nx\nnot yet proven<Enter>\ny\n" };
	play(&p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(count(store, "SELECT COUNT(*) FROM decisions WHERE subject = 'edit'"
			       " AND subject_id = 2 AND decision = 'approve' AND who = 'grace'"
			       " AND at = " FIXTURE_NOW " AND applied_at IS NULL AND run_id = 'demo-1'"), 1);
	assert_int_equal(count(store, "SELECT COUNT(*) FROM decisions WHERE subject = 'edit'"
			       " AND subject_id = 3 AND decision = 'reject' AND who = 'grace'"
			       " AND reason = 'not yet proven'"), 1);
	assert_non_null(strstr(p.dump, "rejected edit 3: sent to the engine"));
	play_release(&p);

	/* n at the confirmation writes nothing */
	int before = count(store, "SELECT COUNT(*) FROM decisions");
	struct play q = { .store = store, .script = "6\na\nn\n" };
	play(&q);
	assert_int_equal(count(store, "SELECT COUNT(*) FROM decisions"), before);
	assert_non_null(strstr(q.dump, "cancelled"));
	play_release(&q);

	/* --readonly: the key is refused and nothing is written */
	struct play r = { .store = store, .readonly = 1, .script = "6\na\ny\nx\n" };
	play(&r);
	assert_int_equal(count(store, "SELECT COUNT(*) FROM decisions"), before);
	assert_non_null(strstr(r.dump, "read-only"));
	play_release(&r);
	unlink(store);
	free(store);
}

static void ui__pending_candidate_approval(void **state)
{
	char *store = make_store("cand.db", "UPDATE candidates SET status = 'pending' WHERE id = 3;"
				 "UPDATE edits SET status = 'applied' WHERE status = 'pending';");
	setenv("USER", "grace", 1);
	struct play p = { .store = store, .script = "6\na\ny\n" };
	play(&p);
	assert_int_equal(count(store, "SELECT COUNT(*) FROM decisions WHERE subject = 'candidate'"
			       " AND subject_id = 3 AND decision = 'approve'"), 1);
	assert_non_null(strstr(p.dump, "approved candidate r3"));
	assert_non_null(strstr(p.dump, "approved by grace, waiting for the engine"));
	play_release(&p);
	unlink(store);
	free(store);
}

static void ui__follows_the_store_live(void **state)
{
	/* a run that starts after the watcher: R reloads, as polling does */
	char *path = tmpdir_path("live.db");
	unlink(path);
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	store_close(st);
	struct play p = { .store = path, .script = ":resize 80x24\n" };
	play(&p);
	assert_non_null(strstr(p.dump, "no run in this store yet"));
	play_release(&p);
	unlink(path);
	free(path);
}

/* A stand-in engine for ui_main's tick hook: writes through its own
 * connection, as the engine does, and finishes after a few turns. */
struct fake_engine {
	struct store *st;
	int calls;
};

static int fake_tick(int budget_ms, void *payload)
{
	struct fake_engine *e = payload;
	e->calls++;
	if (e->calls == 3)
		assert_int_equal(store_exec(e->st, "INSERT INTO events (run_id, at, kind, stage, message)"
					    " VALUES ('demo-1', 1800000600, 'info', 'verify',"
					    " 'the engine says hello')"), 0);
	return e->calls >= 6 ? 1 : 0;
}

static void ui__attach_ticks_the_engine_and_follows_it(void **state)
{
	char *store = make_store("attach.db", NULL);
	struct fake_engine e = { NULL, 0 };
	assert_int_equal(store_open(&e.st, store, 0), 0);
	char *script = tmpdir_path("attach-script");
	const char *keys = ":resize 200x50\nj\nj\nj\nj\nk\nk\nk\nk\n";
	assert_int_equal(ss_write_file(script, keys, strlen(keys)), 0);
	char *dump = tmpdir_path("attach-dump");
	setenv("SKILLSMITH_UI_SCRIPT", script, 1);
	setenv("SKILLSMITH_UI_DUMP", dump, 1);
	FILE *out = fopen("/dev/null", "w");
	struct ui_options o = UI_OPTIONS_INIT;
	o.store_path = store;
	o.run_id = "demo-1";
	o.tick = fake_tick;
	o.payload = &e;
	o.out = out;
	/* the engine finished (tick returned 1): a plain quit */
	assert_int_equal(ui_main(&o), UI_QUIT);
	fclose(out);
	assert_true(e.calls >= 6);
	char *text = ss_read_file(dump, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "the engine says hello"));
	free(text);

	/* paused: the change is not shown until resumed */
	e.calls = 0;
	store_exec(e.st, "DELETE FROM events WHERE message = 'the engine says hello'");
	keys = ":resize 200x50\np\nj\nj\nj\nj\nk\nk\nk\n";
	assert_int_equal(ss_write_file(script, keys, strlen(keys)), 0);
	out = fopen("/dev/null", "w");
	o.out = out;
	assert_int_equal(ui_main(&o), UI_QUIT);
	fclose(out);
	text = ss_read_file(dump, NULL);
	assert_null(strstr(text, "the engine says hello"));
	assert_non_null(strstr(text, "paused"));
	free(text);

	/* quitting while the engine still runs says so */
	e.calls = -100;
	keys = ":resize 80x24\nQ\n";
	assert_int_equal(ss_write_file(script, keys, strlen(keys)), 0);
	out = fopen("/dev/null", "w");
	o.out = out;
	assert_int_equal(ui_main(&o), UI_QUIT_RUNNING);
	fclose(out);

	unsetenv("SKILLSMITH_UI_SCRIPT");
	unsetenv("SKILLSMITH_UI_DUMP");
	store_close(e.st);
	unlink(script);
	unlink(dump);
	unlink(store);
	free(script);
	free(dump);
	free(store);
}

static void ui__unknown_run_is_an_error(void **state)
{
	char *store = make_store("norun.db", NULL);
	struct ui_options o = UI_OPTIONS_INIT;
	o.store_path = store;
	o.run_id = "nope";
	assert_true(ui_main(&o) < 0);
	assert_non_null(strstr(ss_err_last(), "nope"));
	o.run_id = NULL;
	o.store_path = "/nonexistent/store.db";
	assert_int_equal(ui_main(&o), SS_ENOTFOUND);
	unlink(store);
	free(store);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	setenv("TERM", "xterm-256color", 1);
	setenv("TZ", "UTC", 1);
	unsetenv("NO_COLOR");
	unsetenv("SKILLSMITH_THEME");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ui__overview_golden),
		cmocka_unit_test(ui__grid_golden),
		cmocka_unit_test(ui__grid_filter_regressions),
		cmocka_unit_test(ui__clusters_golden),
		cmocka_unit_test(ui__pairs_golden),
		cmocka_unit_test(ui__pair_golden),
		cmocka_unit_test(ui__diff_golden),
		cmocka_unit_test(ui__log_golden),
		cmocka_unit_test(ui__log_marks_two_and_diffs),
		cmocka_unit_test(ui__edits_golden),
		cmocka_unit_test(ui__trajectory_golden),
		cmocka_unit_test(ui__help_golden),
		cmocka_unit_test(ui__approve_and_reject_land_in_decisions),
		cmocka_unit_test(ui__pending_candidate_approval),
		cmocka_unit_test(ui__follows_the_store_live),
		cmocka_unit_test(ui__attach_ticks_the_engine_and_follows_it),
		cmocka_unit_test(ui__too_small_then_q_quits),
		cmocka_unit_test(ui__resize_storm_settles),
		cmocka_unit_test(ui__hostile_text_reaches_terminal_as_markers),
		cmocka_unit_test(ui__ascii_fallback_without_utf8),
		cmocka_unit_test(ui__no_color_sends_no_colour),
		cmocka_unit_test(ui__grid_filters_by_cluster_and_type),
		cmocka_unit_test(ui__unknown_run_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
