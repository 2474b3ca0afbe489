/* Unit tests for trajectory import: shapes, field maps, errors, one transaction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/import.h"
#include "skillsmith/store.h"

static int parse(struct import_set *set, const char *text, const struct import_options *o)
{
	return import_parse(set, text, strlen(text), "t.jsonl", o);
}

static void import__design_shape_jsonl(void **state)
{
	const char *text =
		"{\"instance_id\":\"d-1\",\"input\":\"What day?\",\"messages\":[{\"role\":\"user\",\"content\":\"What day?\"},"
		"{\"role\":\"assistant\",\"content\":\"(B)\"}],\"output\":\"(B)\",\"outcome\":1,\"score\":1,"
		"\"tokens\":{\"prompt\":10,\"completion\":3},\"latency_ms\":120,\"error\":null,\"type\":\"date\"}\n"
		"\n"
		"{\"instance_id\":\"d-2\",\"input\":\"Add days\",\"outcome\":0,\"metadata\":{\"src\":\"x\"},\"expected\":7}\n";
	struct import_set set;
	assert_int_equal(parse(&set, text, NULL), 0);
	assert_int_equal(set.nr, 2);
	struct import_record *a = &set.rec[0], *b = &set.rec[1];
	assert_string_equal(a->instance_id, "d-1");
	assert_string_equal(a->output, "(B)");
	assert_int_equal(a->outcome, 1);
	assert_int_equal(a->prompt_tokens, 10);
	assert_int_equal(a->completion_tokens, 3);
	assert_int_equal(a->latency_ms, 120);
	assert_null(a->error);
	assert_string_equal(a->type, "date");
	assert_int_equal(cJSON_GetArraySize(a->messages), 2);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->outcome, 0);
	assert_true(b->score == 0);
	assert_string_equal(b->expected, "7");
	assert_string_equal(b->metadata, "{\"src\":\"x\"}");
	assert_string_equal(b->output, "");
	import_set_release(&set);
}

static void import__field_maps(void **state)
{
	const char *text =
		"[\n"
		"  {\"meta\": {\"id\": 17}, \"task\": {\"prompt\": \"2+2?\"}, \"reward\": 0.9,\n"
		"   \"traj\": [{\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"4\"}]}]},\n"
		"  {\"meta\": {\"id\": 18}, \"task\": {\"prompt\": \"3+3?\"}, \"reward\": 0.2,\n"
		"   \"traj\": [{\"role\": \"assistant\", \"content\": \"5\"}], \"tags\": [\"math\", \"easy\"]}\n"
		"]\n";
	struct import_options o = IMPORT_OPTIONS_INIT;
	assert_int_equal(import_add_map(&o, "outcome=reward"), 0);
	assert_int_equal(import_add_map(&o, "messages=traj"), 0);
	assert_int_equal(import_add_map(&o, "input=task.prompt"), 0);
	assert_int_equal(import_add_map(&o, "instance_id=meta.id"), 0);
	assert_int_equal(import_add_map(&o, "type=tags[0]"), 0);
	o.has_threshold = 1;
	o.threshold = 0.5;
	struct import_set set;
	assert_int_equal(parse(&set, text, &o), 0);
	assert_int_equal(set.nr, 2);
	assert_string_equal(set.rec[0].instance_id, "17");
	assert_string_equal(set.rec[0].input, "2+2?");
	assert_int_equal(set.rec[0].outcome, 1);
	assert_true(set.rec[0].score > 0.89 && set.rec[0].score < 0.91);
	assert_string_equal(set.rec[0].output, "4");   /* last assistant message */
	assert_null(set.rec[0].type);
	assert_int_equal(set.rec[0].line, 2);
	assert_int_equal(set.rec[1].outcome, 0);
	assert_string_equal(set.rec[1].type, "math");
	assert_int_equal(set.rec[1].line, 4);
	import_set_release(&set);
}

static void import__paths(void **state)
{
	cJSON *j = cJSON_Parse("{\"a\":{\"b\":[1,{\"c\":\"x\"}]},\"k.d\":{\"e\":true}}");
	const cJSON *v = import_path_get(j, "a.b[1].c");
	assert_non_null(v);
	assert_string_equal(v->valuestring, "x");
	assert_true(cJSON_IsTrue(import_path_get(j, "[\"k.d\"].e")));
	assert_null(import_path_get(j, "a.b[5]"));
	assert_null(import_path_get(j, "a.x"));
	assert_null(import_path_get(j, "a.b.c"));
	assert_int_equal(import_path_valid("a..b"), SS_EINPUT);
	assert_int_equal(import_path_valid("a[x]"), SS_EINPUT);
	assert_int_equal(import_path_valid("a[1"), SS_EINPUT);
	assert_int_equal(import_path_valid(".a"), SS_EINPUT);
	assert_int_equal(import_path_valid("a.b[0][2].c"), 0);
	cJSON_Delete(j);

	struct import_options o = IMPORT_OPTIONS_INIT;
	assert_int_equal(import_add_map(&o, "bogus=x"), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "unknown field 'bogus'"));
	assert_int_equal(import_add_map(&o, "outcome"), SS_EINPUT);
	assert_int_equal(import_add_map(&o, "outcome="), SS_EINPUT);
	assert_int_equal(import_add_map(&o, "tokens.prompt=usage.in"), 0);
	assert_string_equal(o.paths[IMPORT_PROMPT_TOKENS], "usage.in");
}

static void import__errors_name_line_and_field(void **state)
{
	struct import_set set;
	struct import_options o = IMPORT_OPTIONS_INIT;
	assert_int_equal(import_add_map(&o, "outcome=reward"), 0);
	const char *text =
		"{\"input\":\"a\",\"reward\":1}\n"
		"{\"input\":\"b\",\"reward\":0.7}\n";
	assert_int_equal(parse(&set, text, &o), SS_EINPUT);
	assert_string_equal(ss_err_last(),
		"t.jsonl:2: field 'outcome' (path 'reward') must be 0 or 1, a boolean, or a number with --threshold");
	assert_int_equal(set.nr, 0);

	assert_int_equal(parse(&set, "{\"input\":\"a\",\"outcome\":1}\n{\"input\":\"b\"}\n", NULL), SS_EINPUT);
	assert_string_equal(ss_err_last(), "t.jsonl:2: field 'outcome' is missing");

	assert_int_equal(parse(&set, "{\"input\":\"a\",\"outcome\":1}\n{\"input\":\n", NULL), SS_EINPUT);
	assert_string_equal(ss_err_last(), "t.jsonl:2: not valid JSON");

	assert_int_equal(parse(&set, "{\"outcome\":1}\n", NULL), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "t.jsonl:1: field 'input' is missing"));

	assert_int_equal(parse(&set, "[1]", NULL), SS_EINPUT);
	assert_string_equal(ss_err_last(), "t.jsonl:1: record must be a JSON object");

	assert_int_equal(parse(&set, "{\"instance_id\":\"x\",\"input\":\"a\",\"outcome\":1}\n"
				    "{\"instance_id\":\"x\",\"input\":\"b\",\"outcome\":0}\n", NULL), SS_EINPUT);
	assert_string_equal(ss_err_last(), "t.jsonl:2: field 'instance_id' 'x' repeats line 1");

	assert_int_equal(parse(&set, "{\"input\":\"a\",\"outcome\":1,\"tokens\":{\"prompt\":-1}}", NULL), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "field 'prompt_tokens' (path 'tokens.prompt') must be an integer"));

	assert_int_equal(parse(&set, "  \n", NULL), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "no trajectories"));
}

static void import__duplicates_among_many(void **state)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 300; i++)
		buf_addf(&b, "{\"instance_id\":\"id-%d\",\"input\":\"x\",\"outcome\":1}\n", i);
	struct import_set set;
	assert_int_equal(parse(&set, b.buf, NULL), 0);
	assert_int_equal(set.nr, 300);
	import_set_release(&set);
	buf_addf(&b, "{\"instance_id\":\"id-137\",\"input\":\"x\",\"outcome\":1}\n");
	assert_int_equal(parse(&set, b.buf, NULL), SS_EINPUT);
	assert_string_equal(ss_err_last(), "t.jsonl:301: field 'instance_id' 'id-137' repeats line 138");
	buf_release(&b);
}

static void import__tokens_and_outcome_words(void **state)
{
	const char *text =
		"{\"input\":\"a\",\"status\":\"PASSED\",\"usage\":{\"input_tokens\":7,\"output_tokens\":3}}\n"
		"{\"input\":\"b\",\"status\":\"failure\",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4}}\n"
		"{\"input\":\"c\",\"status\":\"correct\",\"n\":{\"in\":5}}\n";
	struct import_options o = IMPORT_OPTIONS_INIT;
	assert_int_equal(import_add_map(&o, "outcome=status"), 0);
	assert_int_equal(import_add_map(&o, "tokens=usage"), 0);
	struct import_set set;
	/* an explicit prompt_tokens path wins over the tokens object */
	assert_int_equal(import_add_map(&o, "prompt_tokens=n.in"), 0);
	assert_int_equal(parse(&set, text, &o), 0);
	assert_int_equal(set.rec[0].outcome, 1);
	assert_int_equal(set.rec[1].outcome, 0);
	assert_int_equal(set.rec[2].outcome, 1);
	assert_int_equal(set.rec[0].prompt_tokens, 0);
	assert_int_equal(set.rec[0].completion_tokens, 3);
	assert_int_equal(set.rec[1].completion_tokens, 4);
	assert_int_equal(set.rec[2].prompt_tokens, 5);
	import_set_release(&set);

	o.paths[IMPORT_PROMPT_TOKENS] = NULL;
	assert_int_equal(parse(&set, text, &o), 0);
	assert_int_equal(set.rec[0].prompt_tokens, 7);
	assert_int_equal(set.rec[1].prompt_tokens, 9);
	import_set_release(&set);

	assert_int_equal(parse(&set, "{\"input\":\"a\",\"status\":\"maybe\"}", &o), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "field 'outcome' (path 'status')"));
	assert_int_equal(parse(&set, "{\"input\":\"a\",\"status\":1,\"usage\":{\"input_tokens\":1.5}}", &o), SS_EINPUT);
	assert_string_equal(ss_err_last(),
		"t.jsonl:1: field 'prompt_tokens' (path 'usage.input_tokens') must be an integer >= 0");
	assert_int_equal(parse(&set, "{\"input\":\"a\",\"status\":1,\"usage\":5}", &o), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "field 'tokens' (path 'usage') must be an object"));
}

static void import__pretty_object_and_input_from_messages(void **state)
{
	const char *text =
		"{\n"
		"  \"messages\": [{\"role\": \"system\", \"content\": \"s\"},\n"
		"               {\"role\": \"user\", \"content\": \"the question\"}],\n"
		"  \"outcome\": true\n"
		"}\n";
	struct import_set set;
	assert_int_equal(parse(&set, text, NULL), 0);
	assert_int_equal(set.nr, 1);
	assert_string_equal(set.rec[0].input, "the question");
	assert_string_equal(set.rec[0].instance_id, "r1");
	assert_int_equal(set.rec[0].outcome, 1);
	import_set_release(&set);
}

static int count(struct store *st, const char *sql)
{
	sqlite3_stmt *s = store_prepare(st, sql);
	assert_non_null(s);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void import__store_one_run(void **state)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/import.%ld.db", dir ? dir : "/tmp", (long)getpid());
	unlink(path);
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	struct import_set set;
	assert_int_equal(parse(&set, "{\"instance_id\":\"a\",\"input\":\"x\",\"outcome\":1,\"type\":\"t\"}\n"
				      "{\"instance_id\":\"b\",\"input\":\"y\",\"outcome\":0}\n", NULL), 0);
	struct import_options o = IMPORT_OPTIONS_INIT;
	o.config_json = "{}";
	o.seed = 5;
	char *id1, *id2;
	assert_int_equal(import_store(st, &set, &o, &id1), 0);
	assert_string_equal(id1, "import-1");
	assert_int_equal(import_store(st, &set, &o, &id2), 0);
	assert_string_equal(id2, "import-2");
	assert_int_equal(count(st, "SELECT count(*) FROM runs WHERE strategy = 'import' AND state = 'imported'"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM instances WHERE run_id = 'import-1' AND split = 'import'"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM rollouts WHERE run_id = 'import-1' AND phase = 'import'"
				   " AND status = 'done' AND candidate_id = 0"), 2);
	assert_int_equal(count(st, "SELECT outcome FROM rollouts WHERE run_id = 'import-1' AND instance_id = 'b'"), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM instances WHERE run_id = 'import-1' AND type = 't'"), 1);
	assert_int_equal(count(st, "SELECT seed FROM runs WHERE id = 'import-2'"), 5);
	assert_int_equal(count(st, "SELECT count(*) FROM rollouts WHERE json_extract(trajectory, '$.source.line') = 2"), 2);

	/* a failing write leaves nothing: the runs row is rolled back too */
	assert_int_equal(store_exec(st, "CREATE TRIGGER no_b BEFORE INSERT ON rollouts WHEN NEW.instance_id = 'b'"
					" BEGIN SELECT RAISE(ABORT, 'refused'); END"), 0);
	char *id3 = NULL;
	assert_true(import_store(st, &set, &o, &id3) < 0);
	assert_null(id3);
	assert_int_equal(count(st, "SELECT count(*) FROM runs"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM instances WHERE run_id = 'import-3'"), 0);
	assert_int_equal(st->txn_depth, 0);

	free(id1);
	free(id2);
	import_set_release(&set);
	store_close(st);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(import__design_shape_jsonl),
		cmocka_unit_test(import__field_maps),
		cmocka_unit_test(import__paths),
		cmocka_unit_test(import__errors_name_line_and_field),
		cmocka_unit_test(import__tokens_and_outcome_words),
		cmocka_unit_test(import__duplicates_among_many),
		cmocka_unit_test(import__pretty_object_and_input_from_messages),
		cmocka_unit_test(import__store_one_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
