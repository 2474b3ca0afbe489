/* Unit tests for the graders. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/grader.h"

static char *fixture(const char *name)
{
	const char *top = getenv("SKILLSMITH_TOP");
	return xasprintf("%s/tests/data/foundation/graders/%s", top ? top : ".", name);
}

/* Grade and return the outcome; fails the test if the grader itself failed. */
static int grade(const struct grader_config *g, const char *answer, const char *expected)
{
	struct grade_result r;
	int rc = grader_grade(g, answer, expected, NULL, &r);
	if (rc)
		fail_msg("grader failed: %s", ss_err_last());
	assert_non_null(r.note);
	int o = r.outcome;
	assert_true(r.score == (o ? 1.0 : 0.0));
	grade_result_release(&r);
	return o;
}

static void grader__exact_with_normalisation(void **state)
{
	struct grader_config g;
	grader_config_init(&g);
	assert_true(grade(&g, "  Paris\n", "Paris"));
	assert_false(grade(&g, "paris", "Paris"));
	g.normalize = NORM_TRIM | NORM_CASE;
	assert_true(grade(&g, "paris", "PARIS"));
	assert_false(grade(&g, "Paris, France", "paris france"));
	g.normalize |= NORM_PUNCTUATION | NORM_WHITESPACE;
	assert_true(grade(&g, "Paris,   France!", "paris france"));
	char *n = grader_normalize("  A\t b ,C  ", NORM_WHITESPACE | NORM_TRIM | NORM_CASE | NORM_PUNCTUATION);
	assert_string_equal(n, "a b c");
	free(n);
	n = grader_normalize(" x ", 0);
	assert_string_equal(n, " x ");
	free(n);
	struct grade_result r;
	assert_int_equal(grader_grade(&g, "x", NULL, NULL, &r), SS_EINPUT);
	assert_int_equal(r.outcome, 0);
	grade_result_release(&r);
}

static void grader__regex_capture(void **state)
{
	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_REGEX;
	g.pattern = xstrdup("[Aa]nswer: *([A-Za-z]+)");
	assert_true(grade(&g, "Reasoning...\nAnswer: Paris", "Paris"));
	/* the last match counts */
	assert_true(grade(&g, "Answer: Lyon? No. Answer: Paris", "Paris"));
	assert_false(grade(&g, "Answer: Paris. Answer: Lyon", "Paris"));
	assert_false(grade(&g, "I do not know", "Paris"));
	struct grade_result r;
	assert_int_equal(grader_grade(&g, "answer: Rome", "Paris", NULL, &r), 0);
	assert_string_equal(r.extracted, "Rome");
	grade_result_release(&r);
	g.group = 0;
	assert_true(grade(&g, "x answer: Paris", "answer: Paris"));
	grader_config_release(&g);
}

static void grader__number_with_tolerance(void **state)
{
	double v;
	assert_int_equal(grader_extract_number("$1,234.50 dollars", &v), 0);
	assert_true(v == 1234.5);
	assert_int_equal(grader_extract_number("first 3, then 4, finally -7.25 kg", &v), 0);
	assert_true(v == -7.25);
	assert_int_equal(grader_extract_number("1,2,3", &v), 0);
	assert_true(v == 3);
	assert_int_equal(grader_extract_number("about 1.5e3 m", &v), 0);
	assert_true(v == 1500);
	assert_int_equal(grader_extract_number("it is .5", &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(grader_extract_number("12,345,678 people.", &v), 0);
	assert_true(v == 12345678);
	assert_int_equal(grader_extract_number("no digits", &v), SS_ENOTFOUND);

	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_NUMBER;
	assert_true(grade(&g, "The total is $1,234.50 dollars", "1234.5"));
	assert_false(grade(&g, "The total is 1234.51", "1234.5"));
	g.tolerance = 0.01;
	assert_true(grade(&g, "The total is 1234.51", "$1,234.50"));
	g.tolerance = 0;
	g.rel_tolerance = 0.01;
	assert_true(grade(&g, "1240", "1234.5"));
	assert_false(grade(&g, "1250", "1234.5"));
	assert_false(grade(&g, "no idea", "3"));
	struct grade_result r;
	assert_int_equal(grader_grade(&g, "3", "three", NULL, &r), SS_EINPUT);
	assert_non_null(strstr(r.note, "expected answer 'three' holds no number"));
	grade_result_release(&r);
}

static void grader__choice_letters(void **state)
{
	assert_int_equal(grader_extract_choice("(B)"), 'B');
	assert_int_equal(grader_extract_choice("B"), 'B');
	assert_int_equal(grader_extract_choice(" b. "), 'B');
	assert_int_equal(grader_extract_choice("So the answer is (b)."), 'B');
	assert_int_equal(grader_extract_choice("Option (A) is wrong, (C) too. The answer is D"), 'D');
	assert_int_equal(grader_extract_choice("Not (A), it must be (C)"), 'C');
	assert_int_equal(grader_extract_choice("**Answer:** (E)"), 'E');
	assert_int_equal(grader_extract_choice("Reasoning\nC"), 'C');
	assert_int_equal(grader_extract_choice("I cannot tell"), 0);
	assert_int_equal(grader_extract_choice("the answer is Paris"), 0);
	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_CHOICE;
	assert_true(grade(&g, "the answer is (b)", "(B)"));
	assert_true(grade(&g, "B", "(B)"));
	assert_false(grade(&g, "(A)", "(B)"));
	assert_false(grade(&g, "no letter here at all", "(B)"));
	struct grade_result r;
	assert_int_equal(grader_grade(&g, "(A)", "forty", NULL, &r), SS_EINPUT);
	grade_result_release(&r);
}

static void grader__json_field(void **state)
{
	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_JSON;
	g.field = xstrdup("result.city");
	assert_true(grade(&g, "{\"result\": {\"city\": \"Paris\"}}", "Paris"));
	assert_true(grade(&g, "Here you go:\n```json\n{\"result\": {\"city\": \" Paris \"}}\n```\nDone.", "Paris"));
	assert_true(grade(&g, "Sure! {\"result\": {\"city\": \"Paris\"}} hope it helps", "Paris"));
	assert_false(grade(&g, "{\"result\": {\"town\": \"Paris\"}}", "Paris"));
	assert_false(grade(&g, "not json", "Paris"));
	free(g.field);
	g.field = xstrdup("items.1.n");
	assert_true(grade(&g, "{\"items\": [{\"n\": 1}, {\"n\": 2.0000001}]}", "2"));
	assert_false(grade(&g, "{\"items\": [{\"n\": 1}, {\"n\": 3}]}", "2"));
	free(g.field);
	g.field = xstrdup("tags");
	assert_true(grade(&g, "{\"tags\": [\"a\", \"b\"]}", "[\"a\",\"b\"]"));
	assert_false(grade(&g, "{\"tags\": [\"b\", \"a\"]}", "[\"a\",\"b\"]"));
	grader_config_release(&g);
}

static void grader__command_exit_status(void **state)
{
	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_COMMAND;
	g.argv = xcalloc(2, sizeof(char *));
	g.argv[0] = fixture("pass-if-paris.sh");
	struct grade_result r;
	assert_int_equal(grader_grade(&g, "It is Paris", NULL, NULL, &r), 0);
	assert_int_equal(r.outcome, 1);
	assert_string_equal(r.note, "found Paris");
	grade_result_release(&r);
	char *traj = grader_command_input("d-1", "capital?", "Paris", "Lyon", NULL);
	assert_int_equal(grader_grade(&g, "ignored", NULL, traj, &r), 0);
	assert_int_equal(r.outcome, 0);
	assert_string_equal(r.note, "no Paris");
	grade_result_release(&r);
	free(traj);
	grader_config_release(&g);
}

static void grader__command_score_and_threshold(void **state)
{
	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_COMMAND;
	g.threshold = 0.7;
	g.argv = xcalloc(3, sizeof(char *));
	g.argv[0] = fixture("score.sh");
	g.argv[1] = xstrdup("0.75");
	struct grade_result r;
	/* a large stdin is written without blocking */
	size_t big = 2 * 1024 * 1024;
	char *in = xmalloc(big + 1);
	memset(in, 'x', big);
	in[big] = '\0';
	assert_int_equal(grader_grade(&g, "a", NULL, in, &r), 0);
	assert_int_equal(r.outcome, 1);
	assert_true(r.score == 0.75);
	grade_result_release(&r);
	free(in);
	free(g.argv[1]);
	g.argv[1] = xstrdup("0.5");
	assert_int_equal(grader_grade(&g, "a", NULL, NULL, &r), 0);
	assert_int_equal(r.outcome, 0);
	assert_true(r.score == 0.5);
	grade_result_release(&r);
	free(g.argv[1]);
	g.argv[1] = xstrdup("7");
	assert_int_equal(grader_grade(&g, "a", NULL, NULL, &r), SS_ERR);
	assert_non_null(strstr(r.note, "outside [0, 1]"));
	grade_result_release(&r);
	grader_config_release(&g);
}

static void grader__command_failures(void **state)
{
	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_COMMAND;
	g.argv = xcalloc(2, sizeof(char *));
	g.argv[0] = xstrdup("/nonexistent/grader");
	struct grade_result r;
	assert_int_equal(grader_grade(&g, "a", NULL, NULL, &r), SS_EINPUT);
	assert_string_equal(r.note, "cannot run grader '/nonexistent/grader': No such file or directory");
	assert_int_equal(r.outcome, 0);
	grade_result_release(&r);
	free(g.argv[0]);
	g.argv[0] = fixture("crash.sh");
	assert_int_equal(grader_grade(&g, "a", NULL, NULL, &r), SS_ERR);
	assert_non_null(strstr(r.note, "exited with status 3: grader exploded"));
	grade_result_release(&r);
	/* a timeout kills the whole process group, grandchildren included */
	free(g.argv[0]);
	g.argv[0] = fixture("sleepy.sh");
	g.timeout_s = 1;
	assert_int_equal(grader_grade(&g, "a", NULL, NULL, &r), SS_ERR);
	assert_non_null(strstr(r.note, "timed out after 1 s"));
	grade_result_release(&r);
	grader_config_release(&g);
}

static void grader__judge_request_and_reply(void **state)
{
	struct grader_config g;
	grader_config_init(&g);
	g.kind = GRADER_JUDGE;
	g.judge_rubric = xstrdup("Pass answers that name the capital.");
	char *sys;
	cJSON *msgs, *schema;
	assert_int_equal(grader_judge_request(&g, "Capital of France?", "Paris", "Paris", &sys, &msgs, &schema), 0);
	assert_non_null(strstr(sys, "Pass answers that name the capital."));
	const char *content = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring;
	assert_non_null(strstr(content, "Capital of France?"));
	assert_non_null(strstr(content, "## Reference answer\nParis"));
	cJSON *req = cJSON_GetObjectItem(schema, "required");
	assert_int_equal(cJSON_GetArraySize(req), 3);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(schema, "properties"), "verdict"));
	free(sys);
	cJSON_Delete(msgs);
	cJSON_Delete(schema);

	struct grade_result r;
	assert_int_equal(grader_judge_parse(&g, NULL, "```json\n{\"score\": 0.9, \"verdict\": \"pass\", "
					    "\"reason\": \"names Paris\"}\n```", &r), 0);
	assert_int_equal(r.outcome, 1);
	assert_string_equal(r.note, "names Paris");
	grade_result_release(&r);
	cJSON *j = cJSON_Parse("{\"score\": 0.2, \"verdict\": \"fail\", \"reason\": \"wrong city\"}");
	assert_int_equal(grader_judge_parse(&g, j, NULL, &r), 0);
	assert_int_equal(r.outcome, 0);
	assert_true(r.score == 0.2);
	grade_result_release(&r);
	cJSON_Delete(j);
	assert_int_equal(grader_judge_parse(&g, NULL, "{\"score\": 3, \"verdict\": \"pass\"}", &r), SS_ERR);
	grade_result_release(&r);
	assert_int_equal(grader_judge_parse(&g, NULL, "no json", &r), SS_ERR);
	grade_result_release(&r);
	assert_int_equal(grader_grade(&g, "a", "b", NULL, &r), SS_EINPUT);
	grade_result_release(&r);
	grader_config_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grader__exact_with_normalisation),
		cmocka_unit_test(grader__regex_capture),
		cmocka_unit_test(grader__number_with_tolerance),
		cmocka_unit_test(grader__choice_letters),
		cmocka_unit_test(grader__json_field),
		cmocka_unit_test(grader__command_exit_status),
		cmocka_unit_test(grader__command_score_and_threshold),
		cmocka_unit_test(grader__command_failures),
		cmocka_unit_test(grader__judge_request_and_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
