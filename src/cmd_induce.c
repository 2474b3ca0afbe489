/*
 * skillsmith induce [RUN] [--config CONFIG] [--workspace DIR] [--quiet]
 *
 * Run stage 2 of SkillGen (contrastive induction: summaries, embeddings,
 * clusters, contrastive pairs) on a run, typically one made by
 * `skillsmith import`.  The optimizer calls go to the provider of the
 * run's config; embeddings are local unless the config says "api", so
 * only the optimizer needs a network.
 *
 * An import made without --config holds the default config, which names
 * no provider: give one here with --config CONFIG.  It then replaces the
 * run's config snapshot (imported runs only).  Running induce again on a
 * run that has been induced reprints the result without any call.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/pipeline.h"
#include "skillsmith/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *opt_value(int argc, char **argv, int *i, const char *opt, int *missing)
{
	size_t n = strlen(opt);
	if (strncmp(argv[*i], opt, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

/* Replace the config snapshot of an imported run by the one of `path`. */
static int set_config(const char *ws_opt, const char *run, const char *path, char **run_out)
{
	struct config cfg;
	struct store *st = NULL;
	char *ws = cli_workspace(ws_opt), *db = cli_store_path(ws), *snap = NULL, *id = NULL;
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = config_load(&cfg, path)) < 0) {
		free(ws);
		free(db);
		return r;
	}
	if (access(db, F_OK) < 0) {
		r = ss_err_set(SS_ENOTFOUND, "workspace '%s' has no store", ws);
		goto cleanup;
	}
	if ((r = store_open(&st, db, 0)) < 0)
		goto cleanup;
	id = run ? xstrdup(run) : store_latest_run(st);
	if (!id) {
		r = ss_err_set(SS_ENOTFOUND, "workspace '%s' has no run yet", ws);
		goto cleanup;
	}
	s = store_prepare(st, "SELECT strategy FROM runs WHERE id = ?");
	if (!s) {
		r = SS_ERR;
		goto cleanup;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		r = ss_err_set(SS_ENOTFOUND, "no run '%s' in workspace '%s'", id, ws);
		goto cleanup;
	}
	if (strcmp(store_col_text(s, 0), "import")) {
		r = ss_err_set(SS_EINPUT, "run '%s' is not an imported run; --config applies only to imports", id);
		goto cleanup;
	}
	sqlite3_finalize(s);
	s = store_prepare(st, "UPDATE runs SET config_json = ?, config_path = ?, updated_at = ? WHERE id = ?");
	if (!s) {
		r = SS_ERR;
		goto cleanup;
	}
	snap = config_to_json(&cfg);
	sqlite3_bind_text(s, 1, snap, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ss_wall_s());
	sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		r = ss_err_set(SS_ERR, "%s: %s", db, sqlite3_errmsg(st->db));
		goto cleanup;
	}
	*run_out = id;
	id = NULL;
	r = 0;
cleanup:
	sqlite3_finalize(s);
	if (st)
		store_close(st);
	config_release(&cfg);
	free(snap);
	free(id);
	free(ws);
	free(db);
	return r;
}

static long count(struct run_ctx *rc, const char *sql)
{
	sqlite3_stmt *s = store_prepare(rc->st, sql);
	long n = 0;
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void print_result(struct run_ctx *rc)
{
	printf("run %s: %ld failures in %ld clusters, %ld successes in %ld clusters, "
	       "%ld contrastive pairs\n", rc->run_id,
	       count(rc, "SELECT coalesce(sum(size), 0) FROM clusters WHERE run_id = ? AND kind = 'failure'"),
	       count(rc, "SELECT count(*) FROM clusters WHERE run_id = ? AND kind = 'failure'"),
	       count(rc, "SELECT coalesce(sum(size), 0) FROM clusters WHERE run_id = ? AND kind = 'success'"),
	       count(rc, "SELECT count(*) FROM clusters WHERE run_id = ? AND kind = 'success'"),
	       count(rc, "SELECT count(*) FROM pairs WHERE run_id = ?"));
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT kind, idx, size, coalesce(json_extract(summary, '$.pattern_name'),"
		" json_extract(summary, '$.technique_name'), label, '') FROM clusters"
		" WHERE run_id = ? ORDER BY kind, idx");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		printf("  %c%d  %3d  %s\n", store_col_text(s, 0)[0] == 'f' ? 'F' : 'S',
		       sqlite3_column_int(s, 1) + 1, sqlite3_column_int(s, 2), store_col_text(s, 3));
	sqlite3_finalize(s);
}

int cmd_induce(int argc, char **argv)
{
	const char *run = NULL, *ws = NULL, *config_path = NULL;
	char *run_set = NULL;
	int quiet = 0;

	if (cli_wants_help(argc, argv)) {
		cli_usage("induce");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *v;
		int missing = 0;
		if ((v = opt_value(argc, argv, &i, "--workspace", &missing))) {
			ws = v;
		} else if ((v = opt_value(argc, argv, &i, "--config", &missing))) {
			config_path = v;
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (missing) {
			error("option '%s' needs a value", argv[i]);
			return EXIT_INPUT;
		} else if (argv[i][0] == '-') {
			error("induce: unknown option '%s'", argv[i]);
			return EXIT_INPUT;
		} else if (!run) {
			run = argv[i];
		} else {
			error("induce: unexpected argument '%s'", argv[i]);
			return EXIT_INPUT;
		}
	}

	int r;
	if (config_path) {
		if ((r = set_config(ws, run, config_path, &run_set)) < 0) {
			error("%s", ss_err_last());
			return r == SS_ENOTFOUND ? EXIT_INPUT : ss_exit_code(r);
		}
		run = run_set;
	}

	struct run_ctx *rc = NULL;
	r = run_ctx_open(&rc, ws, run);
	if (r < 0) {
		if (r == SS_EINPUT && !config_path)
			error("the run's config is not usable (%s); a run imported without "
			      "--config needs one: skillsmith induce %s--config CONFIG",
			      ss_err_last(), run ? "RUN " : "");
		else
			error("%s", ss_err_last());
		free(run_set);
		return r == SS_ENOTFOUND ? EXIT_INPUT : ss_exit_code(r);
	}
	rc->headless = !quiet;
	rc->quiet = quiet;
	ss_err_clear();
	r = pipeline_induce(rc);
	if (r < 0) {
		const char *msg = ss_err_last();
		char *ev = NULL;
		if (!msg || !*msg || !strcmp(msg, "unknown error")) {
			/* the stage records its failures as events */
			sqlite3_stmt *s = store_prepare(rc->st,
				"SELECT message FROM events WHERE run_id = ? AND kind IN ('error', 'warn')"
				" ORDER BY id DESC LIMIT 1");
			if (s) {
				sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
				if (sqlite3_step(s) == SQLITE_ROW)
					ev = xstrdup(store_col_text(s, 0));
				sqlite3_finalize(s);
			}
			msg = ev ? ev : "stage failed";
		}
		error("induce %s: %s", rc->run_id, msg);
		free(ev);
		run_ctx_free(rc);
		free(run_set);
		return ss_exit_code(r);
	}
	print_result(rc);
	run_ctx_free(rc);
	free(run_set);
	return EXIT_OK;
}
