/* Unit tests for themes, colour reduction and the key table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skillsmith/common.h"
#include "ui/tui.h"

static void ui_theme__parses_colours(void **state)
{
	struct theme_color c;
	assert_int_equal(theme_parse_color(&c, "default"), 0);
	assert_int_equal(c.kind, 0);
	assert_int_equal(theme_parse_color(&c, "bright-red"), 0);
	assert_int_equal(c.kind, 1);
	assert_int_equal(c.value, 9);
	assert_int_equal(theme_parse_color(&c, "color208"), 0);
	assert_int_equal(c.value, 208);
	assert_int_equal(theme_parse_color(&c, "#ff8700"), 0);
	assert_int_equal(c.kind, 2);
	assert_int_equal(c.value, 0xff8700);
	assert_int_equal(theme_parse_color(&c, "color256"), -1);
	assert_int_equal(theme_parse_color(&c, "#ff870"), -1);
	assert_int_equal(theme_parse_color(&c, "#gg8700"), -1);
	assert_int_equal(theme_parse_color(&c, "purple"), -1);
}

static void ui_theme__reduces_truecolor_to_256_8_mono(void **state)
{
	struct theme_color c;
	theme_parse_color(&c, "#ff8700");
	assert_int_equal(theme_resolve(&c, COLOR_MODE_DIRECT), 0xff8700);
	assert_int_equal(theme_resolve(&c, COLOR_MODE_256), 208);   /* xterm orange */
	int c8 = theme_resolve(&c, COLOR_MODE_8);
	assert_true(c8 == 1 || c8 == 3);                            /* red or yellow */
	assert_int_equal(theme_resolve(&c, COLOR_MODE_MONO), -1);
	theme_parse_color(&c, "#808080");
	assert_int_equal(theme_resolve(&c, COLOR_MODE_256), 244);   /* grey ramp */
	theme_parse_color(&c, "bright-green");
	assert_int_equal(theme_resolve(&c, COLOR_MODE_256), 10);
	assert_int_equal(theme_resolve(&c, COLOR_MODE_8), 2);
	assert_int_equal(theme_resolve(&c, COLOR_MODE_DIRECT), 0x00ff00);
	theme_parse_color(&c, "default");
	assert_int_equal(theme_resolve(&c, COLOR_MODE_256), -1);
}

static void ui_theme__partial_override_keeps_the_rest(void **state)
{
	struct theme t, base;
	theme_init(&t);
	theme_init(&base);
	assert_int_equal(theme_parse(&t, "# only the cursor\ncursor  white  #000080  bold\n"
				     "fail - - underline\n", "x.theme"), 0);
	assert_int_equal(t.role[ROLE_CURSOR].bg.value, 0x000080);
	assert_int_equal(t.role[ROLE_CURSOR].attrs, A_BOLD);
	/* "-" keeps the colour; attributes given replace */
	assert_memory_equal(&t.role[ROLE_FAIL].fg, &base.role[ROLE_FAIL].fg, sizeof(struct theme_color));
	assert_int_equal(t.role[ROLE_FAIL].attrs, A_UNDERLINE);
	/* everything else as before */
	assert_memory_equal(&t.role[ROLE_PASS], &base.role[ROLE_PASS], sizeof(struct theme_entry));
	theme_release(&t);
	theme_release(&base);
}

static void ui_theme__errors_name_file_and_line(void **state)
{
	struct theme t;
	theme_init(&t);
	assert_int_equal(theme_parse(&t, "pass green\nbogus red\n", "my.theme"), SS_EINPUT);
	assert_string_equal(ss_err_last(), "my.theme:2: unknown role 'bogus'");
	assert_int_equal(theme_parse(&t, "pass green blinky\n", "my.theme"), SS_EINPUT);
	assert_string_equal(ss_err_last(), "my.theme:1: 'blinky' is neither a colour nor an attribute");
	assert_int_equal(theme_load(&t, "no-such-theme"), SS_ENOTFOUND);
	theme_release(&t);
}

static void ui_theme__shipped_themes_load(void **state)
{
	const char *top = getenv("SKILLSMITH_TOP");
	static const char *const names[] = { "dark", "light", "high-contrast", "mono" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = xasprintf("%s/themes/%s.theme", top ? top : ".", names[i]);
		assert_int_equal(access(path, R_OK), 0);
		struct theme t;
		theme_init(&t);
		if (theme_load(&t, path) < 0)
			fail_msg("%s", ss_err_last());
		theme_release(&t);
		free(path);
	}
	/* dark.theme spells out the built-in defaults */
	char *path = xasprintf("%s/themes/dark.theme", top ? top : ".");
	struct theme a, b;
	theme_init(&a);
	theme_init(&b);
	assert_int_equal(theme_load(&b, path), 0);
	for (int r = 0; r < ROLE__COUNT; r++) {
		assert_memory_equal(&a.role[r].fg, &b.role[r].fg, sizeof(struct theme_color));
		assert_memory_equal(&a.role[r].bg, &b.role[r].bg, sizeof(struct theme_color));
	}
	theme_release(&a);
	theme_release(&b);
	free(path);
}

static void ui_keys__names_round_trip(void **state)
{
	size_t used;
	assert_int_equal(key_parse("<C-d>", &used), 4);
	assert_int_equal(used, 5);
	assert_int_equal(key_parse("<Enter>x", &used), KEY_RETURN);
	assert_int_equal(used, 7);
	assert_int_equal(key_parse("<PgDn>", &used), FN(KEY_NPAGE));
	assert_int_equal(key_parse("j", &used), 'j');
	assert_int_equal(key_parse("\xc3\xa9", &used), 0xe9);
	assert_int_equal(used, 2);
	assert_int_equal(key_parse("<Nope>", &used), -1);
	assert_string_equal(key_name(4), "<C-d>");
	assert_string_equal(key_name(FN(KEY_NPAGE)), "<PgDn>");
	assert_string_equal(key_name(' '), "<Space>");
	/* a letter never collides with a function key */
	assert_int_not_equal(0x102, FN(KEY_DOWN));
}

static void ui_keys__conf_rebinds_and_reports_errors(void **state)
{
	char *path = xasprintf("%s/keys.%ld.conf", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			       (long)getpid());
	const char *conf = "# mine\nbind generic J move-down\nbind grid F filter\n"
			   "bind edits <C-a> approve\nbind generic j none\n"
			   "bind grid Z frobnicate\nbind nowhere x quit\nbind generic <Bad> quit\nunbind x\n";
	assert_int_equal(ss_write_file(path, conf, strlen(conf)), 0);
	keys_init();
	assert_int_equal(keys_lookup('j', VIEW_GRID), REQ_MOVE_DOWN);
	char *err = NULL;
	assert_int_equal(keys_load(path, &err), SS_EINPUT);
	assert_non_null(err);
	assert_non_null(strstr(err, ":6: unknown action 'frobnicate'"));
	assert_non_null(strstr(err, ":7: unknown view 'nowhere'"));
	assert_non_null(strstr(err, ":8: unknown key '<Bad>'"));
	assert_non_null(strstr(err, ":9: expected 'bind VIEW KEY ACTION'"));
	assert_int_equal(keys_lookup('J', VIEW_OVERVIEW), REQ_MOVE_DOWN);
	assert_int_equal(keys_lookup('F', VIEW_GRID), REQ_FILTER);
	assert_int_equal(keys_lookup('F', VIEW_LOG), REQ_NONE);
	assert_int_equal(keys_lookup(1, VIEW_EDITS), REQ_APPROVE);
	assert_int_equal(keys_lookup('j', VIEW_GRID), REQ_NONE);
	/* untouched defaults stay */
	assert_int_equal(keys_lookup('a', VIEW_EDITS), REQ_APPROVE);
	assert_int_equal(keys_lookup('Q', VIEW_GRID), REQ_QUIT);
	free(err);
	unlink(path);
	free(path);
	/* a missing file is no error */
	keys_init();
	assert_int_equal(keys_load("/nonexistent/keys.conf", &err), 0);
	assert_null(err);
}

static void ui_keys__every_request_is_named_and_helped(void **state)
{
	for (int r = 0; r < REQ__COUNT; r++) {
		assert_true(strlen(request_name((enum request)r)) > 0);
		assert_true(strlen(request_help((enum request)r)) > 0);
		assert_int_equal(request_from_name(request_name((enum request)r)), r);
	}
	assert_int_equal(request_from_name("nope"), REQ__COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ui_theme__parses_colours),
		cmocka_unit_test(ui_theme__reduces_truecolor_to_256_8_mono),
		cmocka_unit_test(ui_theme__partial_override_keeps_the_rest),
		cmocka_unit_test(ui_theme__errors_name_file_and_line),
		cmocka_unit_test(ui_theme__shipped_themes_load),
		cmocka_unit_test(ui_keys__names_round_trip),
		cmocka_unit_test(ui_keys__conf_rebinds_and_reports_errors),
		cmocka_unit_test(ui_keys__every_request_is_named_and_helped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
