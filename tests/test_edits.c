/* Unit tests for bounded skill edits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/edits.h"

static const char *skill =
	"---\n"
	"name: dates\n"
	"description: Date arithmetic.\n"
	"---\n"
	"## Context\n"
	"Questions about calendar dates.\n"
	"\n"
	"## Success patterns\n"
	"- Write both dates in ISO form first.\n"
	"\n"
	"## Failure lessons\n"
	"- February 2024 has 29 days.\n"
	"- Count both ends when the question says inclusive.\n";

static struct skill_edit mk(enum edit_op op, const char *target, const char *content)
{
	struct skill_edit e;
	memset(&e, 0, sizeof(e));
	e.op = op;
	e.target = xstrdup(target);
	e.content = xstrdup(content);
	e.votes = 1;
	return e;
}

static char *apply_ok(enum edit_op op, const char *target, const char *content)
{
	struct skill_edit e = mk(op, target, content);
	char *out = NULL, *reason = NULL;
	assert_int_equal(edit_apply(skill, &e, &out, &reason), 0);
	assert_null(reason);
	edit_release(&e);
	return out;
}

static void edits__append_to_section(void **state)
{
	char *out = apply_ok(EDIT_APPEND, "Success patterns", "- Check the month length.");
	assert_non_null(strstr(out, "- Write both dates in ISO form first.\n- Check the month length.\n\n## Failure lessons"));
	assert_int_equal(strncmp(out, "---\nname: dates\n", 16), 0);
	free(out);
	out = apply_ok(EDIT_APPEND, "", "- Last rule.");
	assert_non_null(strstr(out, "inclusive.\n- Last rule.\n"));
	free(out);
}

static void edits__insert_after_text(void **state)
{
	char *out = apply_ok(EDIT_INSERT_AFTER, "February 2024 has 29 days.", "- So does February 2028.");
	assert_non_null(strstr(out, "29 days.\n- So does February 2028.\n- Count both"));
	free(out);
}

static void edits__replace_and_delete(void **state)
{
	char *out = apply_ok(EDIT_REPLACE, "Count both ends", "Count both end dates");
	assert_non_null(strstr(out, "- Count both end dates when the question says inclusive.\n"));
	free(out);
	out = apply_ok(EDIT_DELETE, "February 2024 has 29 days.", "");
	assert_null(strstr(out, "29 days"));
	assert_non_null(strstr(out, "## Failure lessons\n- Count both ends"));
	free(out);
	out = apply_ok(EDIT_DELETE, "## Success patterns", "");
	assert_null(strstr(out, "Success patterns"));
	assert_null(strstr(out, "ISO form"));
	assert_non_null(strstr(out, "## Failure lessons"));
	free(out);
}

static void edits__missing_or_ambiguous_target_rejected(void **state)
{
	struct skill_edit e = mk(EDIT_REPLACE, "leap seconds", "x");
	char *out = (char *)1, *reason = NULL;
	assert_int_equal(edit_apply(skill, &e, &out, &reason), SS_ENOTFOUND);
	assert_null(out);
	assert_string_equal(reason, "target not found in the skill");
	free(reason);
	edit_release(&e);

	e = mk(EDIT_DELETE, "dates", "");
	assert_int_equal(edit_apply(skill, &e, &out, &reason), SS_ENOTFOUND);
	assert_null(out);
	assert_non_null(strstr(reason, "occurs 2 times"));
	free(reason);
	edit_release(&e);

	/* the front matter is never a target */
	e = mk(EDIT_REPLACE, "name: dates", "name: other");
	assert_int_equal(edit_apply(skill, &e, &out, &reason), SS_ENOTFOUND);
	free(reason);
	edit_release(&e);
}

static void edits__parse_skips_malformed(void **state)
{
	cJSON *arr = cJSON_Parse("["
		"{\"op\":\"append\",\"target\":\"\",\"content\":\"- a\",\"evidence\":[\"F1\",\"F1\",\"C:d-1\"]},"
		"{\"op\":\"explode\",\"target\":\"x\",\"content\":\"y\"},"
		"{\"op\":\"replace\",\"target\":\"\",\"content\":\"y\"},"
		"{\"op\":\"delete\",\"target\":\"z\"},"
		"{\"op\":\"insert_after\",\"target\":3,\"content\":\"y\"}]");
	struct skill_edit *v;
	struct buf why = BUF_INIT;
	int n = edits_parse(arr, &v, &why);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].op, EDIT_APPEND);
	assert_string_equal(v[0].evidence[0], "F1");
	assert_string_equal(v[0].evidence[1], "C:d-1");
	assert_null(v[0].evidence[2]);
	assert_int_equal(v[1].op, EDIT_DELETE);
	assert_non_null(strstr(why.buf, "edit 2: unknown op"));
	assert_non_null(strstr(why.buf, "edit 3: replace needs a target"));
	assert_non_null(strstr(why.buf, "edit 5: target must be a string"));
	edits_free(v, n);
	buf_release(&why);
	cJSON_Delete(arr);
}

static void edits__merge_near_duplicates_and_rank(void **state)
{
	cJSON *arr = cJSON_Parse("["
		"{\"op\":\"append\",\"target\":\"Failure lessons\",\"content\":\"- Remember 2024 is a leap year.\",\"evidence\":[\"F1\"]},"
		"{\"op\":\"append\",\"target\":\"Failure lessons\",\"content\":\"- Day-first dates: read DD/MM.\",\"evidence\":[\"F2\",\"P1\"]},"
		"{\"op\":\"append\",\"target\":\"failure lessons\",\"content\":\"- remember: 2024 is a leap year\",\"evidence\":[\"F3\"]},"
		"{\"op\":\"replace\",\"target\":\"Failure lessons\",\"content\":\"- Remember 2024 is a leap year.\"}]");
	struct skill_edit *v;
	int n = edits_parse(arr, &v, NULL);
	assert_int_equal(n, 4);
	n = edits_merge_rank(v, n);
	assert_int_equal(n, 3);
	/* the merged leap-year edit ranks first with two votes */
	assert_int_equal(v[0].votes, 2);
	assert_non_null(strstr(v[0].content, "leap year"));
	assert_string_equal(v[0].evidence[1], "F3");
	/* then more evidence before later proposals */
	assert_non_null(strstr(v[1].content, "DD/MM"));
	assert_int_equal(v[2].op, EDIT_REPLACE);
	edits_free(v, n);
	cJSON_Delete(arr);
}

static void edits__learning_rate_schedules(void **state)
{
	assert_int_equal(edits_learning_rate(4, LR_CONSTANT, 7, 16), 4);
	assert_int_equal(edits_learning_rate(4, LR_COSINE, 0, 16), 4);
	assert_int_equal(edits_learning_rate(4, LR_COSINE, 8, 16), 2);
	assert_int_equal(edits_learning_rate(4, LR_COSINE, 16, 16), 1);
	assert_int_equal(edits_learning_rate(4, LR_LINEAR, 0, 4), 4);
	assert_int_equal(edits_learning_rate(4, LR_LINEAR, 1, 4), 3);
	assert_int_equal(edits_learning_rate(4, LR_LINEAR, 3, 4), 1);
	assert_int_equal(edits_learning_rate(0, LR_CONSTANT, 0, 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edits__append_to_section),
		cmocka_unit_test(edits__insert_after_text),
		cmocka_unit_test(edits__replace_and_delete),
		cmocka_unit_test(edits__missing_or_ambiguous_target_rejected),
		cmocka_unit_test(edits__parse_skips_malformed),
		cmocka_unit_test(edits__merge_near_duplicates_and_rank),
		cmocka_unit_test(edits__learning_rate_schedules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
