/*
 * skillsmith approve|reject ID [--reason TEXT] [--workspace DIR]
 *
 * A decision is a row in the decisions table; the engine applies it (and
 * sets applied_at).  ID is "edit:N", "candidate:N", or a bare N: the edit
 * with that id if there is one, else the candidate.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/store.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int run_decide(int argc, char **argv, const char *decision);

static char *subject_run(struct store *st, const char *table, int64_t id)
{
	char *sql = xasprintf("SELECT run_id FROM %s WHERE id = ?", table);
	sqlite3_stmt *s = store_prepare(st, sql);
	free(sql);
	char *run = NULL;
	if (!s)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		run = xstrdup(store_col_text(s, 0));
	sqlite3_finalize(s);
	return run;
}

static const char *who(void)
{
	const char *u = getenv("USER");
	if (u && *u)
		return u;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_name ? pw->pw_name : "cli";
}

int run_decide(int argc, char **argv, const char *decision)
{
	const char *cmd = argv[0], *idarg = NULL, *reason = NULL, *ws = NULL;
	if (cli_wants_help(argc, argv)) {
		cli_usage(cmd);
		printf("\n  ID               edit:N, candidate:N, or N (an edit if one has that id)\n"
		       "  --reason TEXT    why (a rejected edit's reason reaches later proposals)\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reason") && i + 1 < argc)
			reason = argv[++i];
		else if (!strncmp(argv[i], "--reason=", 9))
			reason = argv[i] + 9;
		else if (!strcmp(argv[i], "--workspace") && i + 1 < argc)
			ws = argv[++i];
		else if (!strncmp(argv[i], "--workspace=", 12))
			ws = argv[i] + 12;
		else if (argv[i][0] == '-') {
			error("%s: unknown option '%s'", cmd, argv[i]);
			return EXIT_INPUT;
		} else if (!idarg)
			idarg = argv[i];
		else {
			error("%s: unexpected argument '%s'", cmd, argv[i]);
			return EXIT_INPUT;
		}
	}
	if (!idarg) {
		error("%s: an ID is required", cmd);
		return EXIT_INPUT;
	}
	const char *subject = NULL, *num = idarg;
	if (!strncmp(idarg, "edit:", 5)) {
		subject = "edit";
		num = idarg + 5;
	} else if (!strncmp(idarg, "candidate:", 10)) {
		subject = "candidate";
		num = idarg + 10;
	}
	char *end;
	errno = 0;
	long long id = strtoll(num, &end, 10);
	if (errno || *end || !*num || id <= 0) {
		error("%s: ID '%s' must be a positive number, edit:N or candidate:N", cmd, idarg);
		return EXIT_INPUT;
	}
	char *wsp = cli_workspace(ws);
	char *path = cli_store_path(wsp);
	struct store *st = NULL;
	int code = EXIT_INPUT;
	char *run = NULL;
	if (access(path, F_OK) != 0) {
		error("%s: no store in workspace '%s'", cmd, wsp);
		goto cleanup;
	}
	if (store_open(&st, path, 0) < 0) {
		error("%s", ss_err_last());
		code = EXIT_CHECK;
		goto cleanup;
	}
	if (!subject || !strcmp(subject, "edit")) {
		run = subject_run(st, "edits", id);
		if (run)
			subject = "edit";
	}
	if (!run && (!subject || !strcmp(subject, "candidate"))) {
		run = subject_run(st, "candidates", id);
		if (run)
			subject = "candidate";
	}
	if (!run) {
		error("%s: no %s %lld in workspace '%s'", cmd,
		      subject ? subject : "edit or candidate", id, wsp);
		goto cleanup;
	}
	sqlite3_stmt *s = store_prepare(st,
		"INSERT INTO decisions(run_id, subject, subject_id, decision, reason, who, at) "
		"VALUES (?,?,?,?,?,?,?)");
	if (!s || (sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC),
		   sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC),
		   sqlite3_bind_int64(s, 3, id),
		   sqlite3_bind_text(s, 4, decision, -1, SQLITE_STATIC),
		   sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC),
		   sqlite3_bind_text(s, 6, who(), -1, SQLITE_TRANSIENT),
		   sqlite3_bind_int64(s, 7, ss_wall_s()),
		   sqlite3_step(s) != SQLITE_DONE)) {
		error("%s: %s", cmd, s ? sqlite3_errmsg(st->db) : ss_err_last());
		sqlite3_finalize(s);
		code = EXIT_CHECK;
		goto cleanup;
	}
	sqlite3_finalize(s);
	store_event(st, run, "decision", NULL, NULL, "%s %lld %s by %s%s%s", subject, id,
		    !strcmp(decision, "approve") ? "approved" : "rejected", who(),
		    reason ? ": " : "", reason ? reason : "");
	printf("%s %lld of run %s: %s recorded\n", subject, id, run, decision);
	code = EXIT_OK;
cleanup:
	store_close(st);
	free(run);
	free(path);
	free(wsp);
	return code;
}
