/* Unit tests for task suites: fields, overrides, and every kind of bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/tasks.h"

static char *fixture(const char *name)
{
	const char *top = getenv("SKILLSMITH_TOP");
	return xasprintf("%s/tests/data/foundation/%s", top ? top : ".", name);
}

static void expect_bad(const char *text, const char *want)
{
	struct task_set ts = TASK_SET_INIT;
	int rc = tasks_parse(&ts, text, strlen(text), "tasks.jsonl", ".", NULL);
	if (rc != SS_EINPUT || !strstr(ss_err_last(), want))
		fail_msg("want error '%s', got %d '%s'", want, rc, rc ? ss_err_last() : "");
	assert_int_equal(ts.nr, 0);
	assert_null(ts.v);
}

static void tasks__loads_fields_and_overrides(void **state)
{
	char *path = fixture("tasks-good.jsonl");
	struct task_set ts = TASK_SET_INIT;
	struct grader_config suite;
	grader_config_init(&suite);
	suite.kind = GRADER_CHOICE;
	int rc = tasks_load(&ts, path, &suite);
	if (rc)
		fail_msg("%s", ss_err_last());
	assert_int_equal(ts.nr, 8);
	assert_string_equal(ts.v[0].id, "d-001");
	assert_string_equal(ts.v[0].expected, "(B)");
	assert_string_equal(ts.v[0].type, "date");
	assert_int_equal(ts.v[0].line, 1);
	assert_null(ts.v[0].grader);
	assert_ptr_equal(task_grader(&ts.v[0], &suite), &suite);
	/* blank line 2 skipped; numbers kept as their JSON text */
	assert_int_equal(ts.v[1].line, 3);
	assert_int_equal(ts.v[1].idx, 1);
	assert_string_equal(ts.v[1].expected, "4");
	assert_string_equal(cJSON_GetObjectItem(ts.v[1].metadata, "source")->valuestring, "toy");
	/* the override applies on top of the suite grader */
	const struct task *t = tasks_find(&ts, "d-003");
	assert_non_null(t);
	assert_non_null(t->grader);
	assert_int_equal(t->grader->kind, GRADER_EXACT);
	assert_int_equal(t->grader->normalize, NORM_TRIM | NORM_CASE);
	assert_non_null(t->grader_json);
	assert_null(tasks_find(&ts, "nope"));
	tasks_release(&ts);
	assert_int_equal(ts.nr, 0);
	grader_config_release(&suite);
	free(path);
}

static void tasks__duplicate_ids_name_both_lines(void **state)
{
	char *path = fixture("tasks-dup.jsonl");
	struct task_set ts = TASK_SET_INIT;
	assert_int_equal(tasks_load(&ts, path, NULL), SS_EINPUT);
	char *want = xasprintf("%s:3: duplicate id 'a' (first on line 1)", path);
	assert_string_equal(ss_err_last(), want);
	free(want);
	free(path);
}

static void tasks__empty_file(void **state)
{
	expect_bad("", "tasks.jsonl: no tasks (the file is empty)");
	expect_bad("\n  \n\r\n", "tasks.jsonl: no tasks");
	char *path = fixture("tasks-empty.jsonl");
	struct task_set ts = TASK_SET_INIT;
	assert_int_equal(tasks_load(&ts, path, NULL), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "tasks-empty.jsonl: no tasks"));
	free(path);
}

static void tasks__rejects_invalid_utf8(void **state)
{
	expect_bad("{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\", \"input\": \"caf\xe9\"}\n",
		   "tasks.jsonl:2: invalid UTF-8 at byte 26");
	expect_bad("{\"id\": \"a\", \"input\": \"\xed\xa0\x80\"}", "tasks.jsonl:1: invalid UTF-8");  /* surrogate */
	expect_bad("{\"id\": \"a\", \"input\": \"\xc0\xaf\"}", "tasks.jsonl:1: invalid UTF-8");      /* overlong */
	expect_bad("{\"id\": \"a\", \"input\": \"\xe2\x82\"}", "tasks.jsonl:1: invalid UTF-8");      /* truncated */
	assert_int_equal(utf8_invalid_at("h\xc3\xa9llo \xf0\x9f\x98\x80", 11), -1);
	assert_int_equal(utf8_invalid_at("ab\xff", 3), 2);
	/* a BOM at the start is fine */
	struct task_set ts = TASK_SET_INIT;
	const char *bom = "\xEF\xBB\xBF{\"id\": \"a\", \"input\": \"x\"}";
	assert_int_equal(tasks_parse(&ts, bom, strlen(bom), "t", ".", NULL), 0);
	tasks_release(&ts);
}

static void tasks__rejects_overlong_lines(void **state)
{
	size_t n = TASKS_MAX_LINE + 100;
	char *text = xmalloc(n + 64);
	int k = sprintf(text, "{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\", \"input\": \"");
	memset(text + k, 'y', n);
	strcpy(text + k + n, "\"}\n");
	expect_bad(text, "tasks.jsonl:2: line is longer than 1048576 bytes");
	free(text);
}

static void tasks__invalid_json_and_fields(void **state)
{
	expect_bad("{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\", \"input\": \"y\"\n",
		   "tasks.jsonl:2: invalid JSON: the line ends too early");
	expect_bad("{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\" \"input\": \"y\"}\n",
		   "tasks.jsonl:2:12: invalid JSON near '\"input\": \"y\"'");
	expect_bad("{\"id\": \"a\", \"input\": \"x\"} {\"id\": \"b\"}", "tasks.jsonl:1:27: invalid JSON: text after the object");
	expect_bad("[1]", "tasks.jsonl:1: a task must be a JSON object");
	expect_bad("{\"input\": \"y\"}", "tasks.jsonl:1: field 'id' is missing");
	expect_bad("{\"id\": \"a\"}", "tasks.jsonl:1: field 'input' is missing");
	expect_bad("{\"id\": 3, \"input\": \"y\"}", "tasks.jsonl:1: field 'id' must be a string");
	expect_bad("{\"id\": \"\", \"input\": \"y\"}", "field 'id' must be 1 to 256 bytes long");
	expect_bad("{\"id\": \"a\\nb\", \"input\": \"y\"}", "field 'id' must not hold control characters");
	expect_bad("{\"id\": \"a\", \"input\": 5}", "tasks.jsonl:1: field 'input' must be a string");
	expect_bad("{\"id\": \"a\", \"input\": \"x\", \"expected\": [\"B\"]}",
		   "tasks.jsonl:1: field 'expected' must be a string");
	expect_bad("{\"id\": \"a\", \"input\": \"x\", \"type\": 1}", "field 'type' must be a string");
	expect_bad("{\"id\": \"a\", \"input\": \"x\", \"metadata\": \"m\"}", "field 'metadata' must be an object");
	expect_bad("{\"id\": \"a\", \"input\": \"x\", \"target\": \"B\"}", "tasks.jsonl:1: unknown field 'target'");
	expect_bad("{\"id\": \"a\", \"id\": \"b\", \"input\": \"x\"}", "field 'id' appears twice");
	expect_bad("{\"id\": \"a\", \"input\": \"x\", \"grader\": {\"kind\": \"regex\"}}",
		   "tasks.jsonl:1: grader.pattern: is required by the regex grader");
	expect_bad("{\"id\": \"a\", \"input\": \"x\", \"grader\": {\"tolerance\": \"big\"}}",
		   "tasks.jsonl:1: grader.tolerance: must be a number");
	const char nul[] = "{\"id\": \"a\", \"input\": \"x\"}\n{\"id\"\0}\n";
	struct task_set ts = TASK_SET_INIT;
	assert_int_equal(tasks_parse(&ts, nul, sizeof(nul) - 1, "t.jsonl", ".", NULL), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "t.jsonl:2: line holds a NUL byte"));
}

static void tasks__missing_file(void **state)
{
	struct task_set ts = TASK_SET_INIT;
	assert_int_equal(tasks_load(&ts, "/nonexistent/tasks.jsonl", NULL), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "/nonexistent/tasks.jsonl"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tasks__loads_fields_and_overrides),
		cmocka_unit_test(tasks__duplicate_ids_name_both_lines),
		cmocka_unit_test(tasks__empty_file),
		cmocka_unit_test(tasks__rejects_invalid_utf8),
		cmocka_unit_test(tasks__rejects_overlong_lines),
		cmocka_unit_test(tasks__invalid_json_and_fields),
		cmocka_unit_test(tasks__missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
