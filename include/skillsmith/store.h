#ifndef SKILLSMITH_STORE_H
#define SKILLSMITH_STORE_H
/*
 * The store: one SQLite database in WAL mode per workspace.  It is the
 * contract between the engine, the dashboard and `watch`: everything a run
 * knows is a row (see src/schema.sql for the tables).
 *
 * Modules write their own SQL against the schema through `st->db`; this
 * module owns opening, migrations, transactions and a few shared helpers.
 * Writes that belong together go in one store_begin()/store_commit(), so a
 * kill at any moment leaves a consistent database.
 */
#include <sqlite3.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 1

struct store {
	sqlite3 *db;
	char *path;
	int readonly;
	int txn_depth;
};

/* Open flags. */
#define STORE_READONLY 1

/*
 * Open (creating and migrating if needed) the store at `path`.  Sets WAL,
 * a busy timeout and foreign keys.  On failure returns < 0 with the SQLite
 * message in ss_err_last().  Free with store_close().
 */
int store_open(struct store **out, const char *path, int flags);
void store_close(struct store *st);

/* Nested transactions: only the outermost begin/commit reach SQLite. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
/* End a transaction by its outcome: commit when `rc` is 0, else roll back.
   Returns `rc`, or the commit's own failure. */
int store_end(struct store *st, int rc);

/* Run SQL with no results.  Returns 0 or < 0 with the message set. */
int store_exec(struct store *st, const char *sql);
/* Prepare a statement; on failure returns NULL with the message set. */
sqlite3_stmt *store_prepare(struct store *st, const char *sql);
/* Current schema version (PRAGMA user_version). */
int store_version(struct store *st);

/* Append an event row; `data` may be NULL (else JSON). */
int store_event(struct store *st, const char *run_id, const char *kind,
		const char *stage, const char *data, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Run-state key/value helpers; store_state_get returns malloc'd or NULL. */
int store_state_set(struct store *st, const char *run_id, const char *key, const char *value);
char *store_state_get(struct store *st, const char *run_id, const char *key);

/* Latest run id of the store (malloc'd), or NULL if there is none. */
char *store_latest_run(struct store *st);

/* Set stage progress done/total for (run, stage, round). */
int store_progress(struct store *st, const char *run_id, const char *stage,
		   int round, int done, int total);

/* Strings from a column, or "" / NULL helpers. */
const char *store_col_text(sqlite3_stmt *s, int col);

#endif
