/*
 * The store: SQLite in WAL mode, versioned schema, transactions.
 */
#include "skillsmith/store.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Migration n takes the schema from user_version n to n + 1. */
static const char *const migrations[] = {
#include "schema.inc"
};

static int db_error(struct store *st, const char *what)
{
	return ss_err_set(SS_ERR, "store '%s': %s: %s", st->path ? st->path : "?",
			  what, sqlite3_errmsg(st->db));
}

int store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = ss_err_set(SS_ERR, "store '%s': %s", st->path, msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return SS_OK;
}

sqlite3_stmt *store_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_error(st, "prepare");
		return NULL;
	}
	return s;
}

int store_version(struct store *st)
{
	sqlite3_stmt *s = store_prepare(st, "PRAGMA user_version");
	int v = -1;
	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int migrate(struct store *st)
{
	int v = store_version(st);
	int latest = (int)ARRAY_SIZE(migrations);
	if (v < 0)
		return SS_ERR;
	if (v > latest)
		return ss_err_set(SS_EINPUT, "store '%s' has schema version %d, newer than this "
				  "skillsmith (%d); upgrade skillsmith", st->path, v, latest);
	for (; v < latest; v++) {
		if (store_exec(st, "BEGIN IMMEDIATE") < 0)
			return SS_ERR;
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (store_exec(st, migrations[v]) < 0 || store_exec(st, pragma) < 0) {
			ss_err_prefix(SS_ERR, "migrating to schema version %d", v + 1);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return SS_ERR;
		}
		if (store_exec(st, "COMMIT") < 0)
			return SS_ERR;
	}
	return SS_OK;
}

int store_open(struct store **out, const char *path, int flags)
{
	struct store *st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->readonly = !!(flags & STORE_READONLY);
	int oflags = st->readonly ? SQLITE_OPEN_READONLY
				  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	*out = NULL;
	if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		int rc = ss_err_set(SS_ERR, "cannot open store '%s': %s", path,
				    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if (!st->readonly) {
		int rc = SS_OK;
		if (store_exec(st, "PRAGMA journal_mode=WAL") < 0 ||
		    store_exec(st, "PRAGMA synchronous=NORMAL") < 0 ||
		    store_exec(st, "PRAGMA foreign_keys=ON") < 0 ||
		    (rc = migrate(st)) < 0) {
			store_close(st);
			return rc < 0 ? rc : SS_ERR;
		}
	} else {
		int v = store_version(st);
		if (v < 1) {
			int rc = ss_err_set(SS_EINPUT, "'%s' is not a skillsmith store", path);
			store_close(st);
			return rc;
		}
	}
	*out = st;
	return SS_OK;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->db)
		sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

int store_begin(struct store *st)
{
	if (st->txn_depth++ > 0)
		return SS_OK;
	if (store_exec(st, "BEGIN IMMEDIATE") < 0) {
		st->txn_depth--;
		return SS_ERR;
	}
	return SS_OK;
}

int store_commit(struct store *st)
{
	if (st->txn_depth <= 0)
		return ss_err_set(SS_ERR, "store: commit without begin");
	if (--st->txn_depth > 0)
		return SS_OK;
	return store_exec(st, "COMMIT");
}

void store_rollback(struct store *st)
{
	if (st->txn_depth <= 0)
		return;
	st->txn_depth = 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_end(struct store *st, int rc)
{
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int store_event(struct store *st, const char *run_id, const char *kind,
		const char *stage, const char *data, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sqlite3_stmt *s = store_prepare(st,
		"INSERT INTO events(run_id, at, kind, stage, message, data) VALUES (?,?,?,?,?,?)");
	int rc = SS_ERR;
	if (s) {
		sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, ss_wall_s());
		sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, stage, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, msg.buf, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, data, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? SS_OK : db_error(st, "insert event");
	}
	sqlite3_finalize(s);
	buf_release(&msg);
	return rc;
}

int store_state_set(struct store *st, const char *run_id, const char *key, const char *value)
{
	sqlite3_stmt *s = store_prepare(st,
		"INSERT INTO run_state(run_id, key, value) VALUES (?,?,?) "
		"ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s) == SQLITE_DONE ? SS_OK : db_error(st, "set state");
	sqlite3_finalize(s);
	return rc;
}

char *store_state_get(struct store *st, const char *run_id, const char *key)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT value FROM run_state WHERE run_id = ? AND key = ?");
	char *v = NULL;
	if (!s)
		return NULL;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

char *store_latest_run(struct store *st)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT id FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1");
	char *v = NULL;
	if (!s)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

int store_progress(struct store *st, const char *run_id, const char *stage,
		   int round, int done, int total)
{
	sqlite3_stmt *s = store_prepare(st,
		"INSERT INTO stages(run_id, stage, round, done, total, started_at, finished_at) "
		"VALUES (?1,?2,?3,?4,?5,?6, CASE WHEN ?4 >= ?5 THEN ?6 END) "
		"ON CONFLICT(run_id, stage, round) DO UPDATE SET done = excluded.done, "
		"total = excluded.total, finished_at = CASE WHEN excluded.done >= excluded.total "
		"THEN ?6 ELSE NULL END");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, stage, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, round);
	sqlite3_bind_int(s, 4, done);
	sqlite3_bind_int(s, 5, total);
	sqlite3_bind_int64(s, 6, ss_wall_s());
	int rc = sqlite3_step(s) == SQLITE_DONE ? SS_OK : db_error(st, "progress");
	sqlite3_finalize(s);
	return rc;
}

const char *store_col_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}
