/*
 * skillsmith log [RUN] [--workspace DIR] [--newest-first] [--verbose] [--json]
 *
 * The candidate history of a run from the skill repository, oldest first:
 * one line per commit with the metrics its trailers carry, the tag of the
 * selected candidate, and (with --verbose) the body explaining the change.
 * RUN defaults to the store's latest run, else the run branch with the
 * newest commit.  Everything printed from the repository is sanitized
 * (the text came from a model).  --json prints one object per commit in an
 * array instead: oid, time, author, summary, body, round, net_gain,
 * repairs, regressions, m, status, strategy, parent, tags and every
 * trailer (metrics that are absent are null).
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/sanitize.h"
#include "skillsmith/store.h"
#include "skillsmith/vcs.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The run to show: `given`, else the store's latest run, else the newest
 * run branch.  malloc'd, or NULL with the message set.
 */
static char *default_run(struct vcs *v, const char *workspace, const char *given)
{
	if (given)
		return xstrdup(given);
	char *path = cli_store_path(workspace);
	char *run = NULL;
	struct store *st = NULL;
	if (access(path, F_OK) == 0 && store_open(&st, path, STORE_READONLY) == 0) {
		run = store_latest_run(st);
		store_close(st);
	}
	free(path);
	if (!run) {
		char **runs = NULL;
		size_t nr = 0;
		if (vcs_runs(&runs, &nr, v) == 0 && nr > 0)
			run = xstrdup(runs[0]);
		else if (nr == 0)
			ss_err_set(SS_ENOTFOUND, "workspace '%s' has no runs yet", workspace);
		vcs_strings_free(runs, nr);
	}
	return run;
}

/*
 * `given` (or the latest run) if the store knows it, malloc'd; NULL (with
 * the message kept) otherwise.
 */
static char *run_in_store(const char *workspace, const char *given)
{
	char *path = cli_store_path(workspace), *run = NULL;
	struct store *st = NULL;
	char saved[1024];
	snprintf(saved, sizeof(saved), "%s", ss_err_last());
	if (access(path, F_OK) == 0 && store_open(&st, path, STORE_READONLY) == 0) {
		if (!given) {
			run = store_latest_run(st);
		} else {
			sqlite3_stmt *s = store_prepare(st, "SELECT 1 FROM runs WHERE id = ?");
			if (s) {
				sqlite3_bind_text(s, 1, given, -1, SQLITE_TRANSIENT);
				if (sqlite3_step(s) == SQLITE_ROW)
					run = xstrdup(given);
				sqlite3_finalize(s);
			}
		}
		store_close(st);
	}
	free(path);
	ss_err_set(SS_ENOTFOUND, "%s", saved);
	return run;
}

static void metric(struct buf *b, int width, int value, int sign)
{
	char tmp[32];
	if (value == VCS_NA)
		snprintf(tmp, sizeof(tmp), "-");
	else
		snprintf(tmp, sizeof(tmp), sign && value > 0 ? "+%d" : "%d", value);
	buf_addf(b, "%*s", width, tmp);
}

static void add_safe(struct buf *b, const char *s)
{
	char *safe = sanitize_dup(s, 0);
	buf_adds(b, safe);
	free(safe);
}

static void print_entry(struct buf *b, const struct vcs_log_entry *e, int verbose)
{
	metric(b, 5, e->round, 0);
	metric(b, 5, e->net_gain, 1);
	metric(b, 8, e->repairs, 0);
	metric(b, 12, e->regressions, 0);
	metric(b, 5, e->m, 0);
	buf_adds(b, "  ");
	char *status = sanitize_dup(e->status ? e->status : "-", 0);
	buf_addf(b, "%-10s ", status);
	free(status);
	buf_addf(b, "%.7s  ", e->oid);
	add_safe(b, e->summary);
	if (e->tags) {
		buf_adds(b, " (");
		add_safe(b, e->tags);
		buf_adds(b, ")");
	}
	buf_addch(b, '\n');
	if (!verbose)
		return;
	char when[32];
	time_t t = (time_t)e->time;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	buf_addf(b, "      commit %s, %s, ", e->oid, when);
	add_safe(b, e->author);
	buf_addch(b, '\n');
	if (e->decided_by) {
		buf_adds(b, "      decided by ");
		add_safe(b, e->decided_by);
		if (e->decided_at) {
			buf_adds(b, " at ");
			add_safe(b, e->decided_at);
		}
		if (e->decision_reason) {
			buf_adds(b, ": ");
			add_safe(b, e->decision_reason);
		}
		buf_addch(b, '\n');
	}
	const char *p = e->body;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_adds(b, "      ");
		sanitize_append(b, p, n, SANITIZE_TABS);
		buf_addch(b, '\n');
		p = nl ? nl + 1 : p + n;
	}
	buf_addch(b, '\n');
}

static void json_int(cJSON *o, const char *key, int v)
{
	if (v == VCS_NA)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

static void json_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static char *log_json(const char *run, const struct vcs_log_entry *e, size_t nr)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "run", run);
	cJSON *arr = cJSON_AddArrayToObject(root, "commits");
	for (size_t i = 0; i < nr; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "oid", e[i].oid);
		cJSON_AddNumberToObject(o, "time", (double)e[i].time);
		json_str(o, "author", e[i].author);
		json_str(o, "summary", e[i].summary);
		json_str(o, "body", e[i].body);
		json_int(o, "round", e[i].round);
		json_int(o, "net_gain", e[i].net_gain);
		json_int(o, "repairs", e[i].repairs);
		json_int(o, "regressions", e[i].regressions);
		json_int(o, "m", e[i].m);
		json_str(o, "status", e[i].status);
		json_str(o, "strategy", e[i].strategy);
		json_str(o, "parent", e[i].parent);
		json_str(o, "tags", e[i].tags);
		cJSON *tr = cJSON_AddArrayToObject(o, "trailers");
		for (size_t j = 0; j < e[i].nr_trailers; j++) {
			cJSON *t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "key", e[i].trailers[j].key);
			cJSON_AddStringToObject(t, "value", e[i].trailers[j].value);
			cJSON_AddItemToArray(tr, t);
		}
		cJSON_AddItemToArray(arr, o);
	}
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}

int cmd_log(int argc, char **argv)
{
	const char *ws_opt = NULL, *run_arg = NULL;
	int flags = 0, verbose = 0, json = 0, rc = EXIT_OK;
	char *workspace = NULL, *run = NULL;
	struct vcs *v = NULL;
	struct vcs_log_entry *e = NULL;
	size_t nr = 0;
	struct buf out = BUF_INIT;

	if (cli_wants_help(argc, argv)) {
		cli_usage("log");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--workspace") && i + 1 < argc)
			ws_opt = argv[++i];
		else if (!strncmp(a, "--workspace=", 12))
			ws_opt = a + 12;
		else if (!strcmp(a, "--newest-first"))
			flags |= VCS_LOG_NEWEST_FIRST;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			verbose = 1;
		else if (!strcmp(a, "--json"))
			json = 1;
		else if (a[0] == '-' && a[1]) {
			error("log: unknown option '%s'", a);
			return EXIT_INPUT;
		} else if (!run_arg)
			run_arg = a;
		else {
			error("log: unexpected argument '%s'", a);
			return EXIT_INPUT;
		}
	}
	workspace = cli_workspace(ws_opt);
	int err = vcs_open_existing(&v, workspace);
	if (err == SS_ENOTFOUND && (run = run_in_store(workspace, run_arg)))
		goto empty; /* a run that has not committed a candidate yet */
	if (err < 0 || !(run = default_run(v, workspace, run_arg))) {
		error("log: %s", ss_err_last());
		rc = EXIT_INPUT;
		goto cleanup;
	}
	err = vcs_log(&e, &nr, v, run, flags);
	if (err == SS_ENOTFOUND) {
		char *known = run_in_store(workspace, run);
		free(known);
		if (known)
			goto empty;
	}
	if (err < 0) {
		error("log: %s", ss_err_last());
		rc = err == SS_ENOTFOUND || err == SS_EINPUT ? EXIT_INPUT : EXIT_CHECK;
		goto cleanup;
	}
empty:
	if (json) {
		char *text = log_json(run, e, nr);
		printf("%s\n", text);
		free(text);
		goto cleanup;
	}
	char *safe_run = sanitize_dup(run, 0);
	buf_addf(&out, "run %s, branch run/%s, %zu candidate%s, %s first\n", safe_run, safe_run,
		 nr, nr == 1 ? "" : "s", flags & VCS_LOG_NEWEST_FIRST ? "newest" : "oldest");
	free(safe_run);
	buf_adds(&out, "round    G repairs regressions    m  status     commit   summary\n");
	for (size_t i = 0; i < nr; i++)
		print_entry(&out, &e[i], verbose);
	fwrite(out.buf, 1, out.len, stdout);
cleanup:
	buf_release(&out);
	vcs_log_free(e, nr);
	vcs_close(v);
	free(run);
	free(workspace);
	return rc;
}
