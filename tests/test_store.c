/* Unit tests for the store: schema, migrations, transactions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skillsmith/common.h"
#include "skillsmith/store.h"

static char *tmp_db(const char *name)
{
	const char *dir = getenv("TMPDIR");
	char *p = xasprintf("%s/%s.%ld.db", dir ? dir : "/tmp", name, (long)getpid());
	unlink(p);
	return p;
}

static void store__creates_schema_in_wal(void **state)
{
	char *path = tmp_db("schema");
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	assert_int_equal(store_version(st), STORE_SCHEMA_VERSION);
	sqlite3_stmt *s = store_prepare(st, "PRAGMA journal_mode");
	assert_non_null(s);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(store_col_text(s, 0), "wal");
	sqlite3_finalize(s);
	store_close(st);
	/* reopening does not migrate again */
	assert_int_equal(store_open(&st, path, 0), 0);
	assert_int_equal(store_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
	unlink(path);
	free(path);
}

static void store__rejects_newer_schema(void **state)
{
	char *path = tmp_db("newer");
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	assert_int_equal(store_exec(st, "PRAGMA user_version = 99"), 0);
	store_close(st);
	assert_int_equal(store_open(&st, path, 0), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "newer"));
	unlink(path);
	free(path);
}

static void store__rollback_leaves_nothing(void **state)
{
	char *path = tmp_db("txn");
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_exec(st, "INSERT INTO runs(id, created_at, updated_at, "
				    "config_json, strategy, seed) VALUES ('r1', 1, 1, '{}', 'skillgen', 1)"), 0);
	assert_int_equal(store_begin(st), 0); /* nested */
	assert_int_equal(store_state_set(st, "r1", "k", "v"), 0);
	assert_int_equal(store_commit(st), 0);
	store_rollback(st);
	char *latest = store_latest_run(st);
	assert_null(latest);
	assert_null(store_state_get(st, "r1", "k"));

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_exec(st, "INSERT INTO runs(id, created_at, updated_at, "
				    "config_json, strategy, seed) VALUES ('r2', 1, 1, '{}', 'skillgen', 1)"), 0);
	assert_int_equal(store_commit(st), 0);
	latest = store_latest_run(st);
	assert_string_equal(latest, "r2");
	free(latest);
	store_close(st);
	unlink(path);
	free(path);
}

static void store__end_commits_or_rolls_back(void **state)
{
	char *path = tmp_db("end");
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_state_set(st, "r", "a", "1"), 0);
	assert_int_equal(store_end(st, SS_ERR), SS_ERR);
	assert_null(store_state_get(st, "r", "a"));
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_state_set(st, "r", "b", "2"), 0);
	assert_int_equal(store_end(st, 0), 0);
	char *v = store_state_get(st, "r", "b");
	assert_string_equal(v, "2");
	free(v);
	store_close(st);
	unlink(path);
	free(path);
}

static void store__events_and_progress(void **state)
{
	char *path = tmp_db("events");
	struct store *st;
	assert_int_equal(store_open(&st, path, 0), 0);
	assert_int_equal(store_event(st, "r1", "info", "baseline", NULL, "rolled out %d", 7), 0);
	assert_int_equal(store_progress(st, "r1", "baseline", 0, 3, 10), 0);
	assert_int_equal(store_progress(st, "r1", "baseline", 0, 10, 10), 0);
	sqlite3_stmt *s = store_prepare(st, "SELECT message FROM events");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(store_col_text(s, 0), "rolled out 7");
	sqlite3_finalize(s);
	s = store_prepare(st, "SELECT done, total, finished_at IS NOT NULL FROM stages");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 10);
	assert_int_equal(sqlite3_column_int(s, 2), 1);
	sqlite3_finalize(s);
	store_close(st);
	unlink(path);
	free(path);
}

static void store__readonly_refuses_non_store(void **state)
{
	char *path = tmp_db("notstore");
	FILE *f = fopen(path, "w");
	fclose(f);
	struct store *st;
	assert_true(store_open(&st, path, STORE_READONLY) < 0);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store__creates_schema_in_wal),
		cmocka_unit_test(store__rejects_newer_schema),
		cmocka_unit_test(store__rollback_leaves_nothing),
		cmocka_unit_test(store__end_commits_or_rolls_back),
		cmocka_unit_test(store__events_and_progress),
		cmocka_unit_test(store__readonly_refuses_non_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
