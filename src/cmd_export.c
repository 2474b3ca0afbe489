/*
 * skillsmith export [RUN] --to DIR [--force] [--workspace DIR]
 *
 * Write the selected skill of a run (runs.selected_candidate, read from
 * its commit in the skill repository) as an Agent Skills folder, then
 * validate it.
 *
 * Where it goes: DIR itself when DIR's last component is the skill's name
 * (`--to .claude/skills/date-math`), else DIR/<name> (`--to
 * .claude/skills`), since the folder must be named after the skill.
 *
 * The folder is written beside its final place and renamed into it only
 * once it is complete and valid, so a failure leaves nothing behind and an
 * earlier export is replaced whole (no stale files from an older version).
 *
 * Refusals (exit 1), each lifted by --force: a skill that ended deprecated
 * (the gate said it does not help), a run that has not reached a final
 * status yet, and a target folder that already exists.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/skill.h"
#include "skillsmith/store.h"
#include "skillsmith/vcs.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct selection {
	char *run;
	int has_selection;
	char *final_status;      /* active | deprecated | NULL */
	char *state;
	int has_gate, gate;
	int round;
	int has_gain, net_gain;
	int has_m, m;
	char *commit;            /* NULL if the candidate has no commit */
	char *body;              /* the SKILL.md in the store */
};

static void selection_release(struct selection *s)
{
	free(s->run);
	free(s->final_status);
	free(s->state);
	free(s->commit);
	free(s->body);
}

static char *col_dup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? xstrdup((const char *)t) : NULL;
}

static int load_selection(struct selection *sel, struct store *st, const char *run)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT r.selected_candidate, r.final_status, r.gate_threshold, r.state, "
		"c.round, c.net_gain, c.m, c.commit_oid, c.body "
		"FROM runs r LEFT JOIN candidates c ON c.id = r.selected_candidate "
		"WHERE r.id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, run, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		return ss_err_set(SS_ENOTFOUND, "no run '%s' in the store '%s'", run, st->path);
	}
	if (rc != SQLITE_ROW) {
		rc = ss_err_set(SS_ERR, "store '%s': %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return rc;
	}
	sel->run = xstrdup(run);
	sel->has_selection = sqlite3_column_type(s, 0) != SQLITE_NULL &&
			     sqlite3_column_type(s, 8) != SQLITE_NULL;
	sel->final_status = col_dup(s, 1);
	sel->has_gate = sqlite3_column_type(s, 2) != SQLITE_NULL;
	sel->gate = sqlite3_column_int(s, 2);
	sel->state = col_dup(s, 3);
	sel->round = sqlite3_column_int(s, 4);
	sel->has_gain = sqlite3_column_type(s, 5) != SQLITE_NULL;
	sel->net_gain = sqlite3_column_int(s, 5);
	sel->has_m = sqlite3_column_type(s, 6) != SQLITE_NULL;
	sel->m = sqlite3_column_int(s, 6);
	sel->commit = col_dup(s, 7);
	if (sel->commit && !*sel->commit) {
		free(sel->commit);
		sel->commit = NULL;
	}
	sel->body = col_dup(s, 8);
	sqlite3_finalize(s);
	return 0;
}

/* "G=+1 below the gate 2" and friends. */
static void describe_gain(struct buf *b, const struct selection *s)
{
	if (s->has_gain)
		buf_addf(b, s->net_gain > 0 ? "G=+%d" : "G=%d", s->net_gain);
	else
		buf_adds(b, "G unknown");
	if (s->has_gate)
		buf_addf(b, " %s the gate %d", s->has_gain && s->net_gain >= s->gate
			 ? "at or above" : "below", s->gate);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */

/* The name a SKILL.md gives itself (malloc'd), or NULL. */
static char *skill_md_name(const char *md)
{
	struct skill s;
	char *name = NULL;
	skill_parse(&s, md, strlen(md), "SKILL.md", NULL, NULL);
	if (s.name && *s.name)
		name = xstrdup(s.name);
	skill_release(&s);
	return name;
}

/* `line` with the staging folder `from` shown as the final `to`. */
static void add_renamed(struct buf *b, const char *line, const char *from, const char *to)
{
	size_t n = strlen(from);
	const char *p;
	while ((p = strstr(line, from))) {
		buf_add(b, line, (size_t)(p - line));
		buf_adds(b, to);
		line = p + n;
	}
	buf_adds(b, line);
}

/*
 * Validate the written folder `stage` (to become `target`) as an Agent
 * Skills folder with the shared validator.  Warnings are printed; errors
 * return SS_EINPUT with every violation in the message.
 */
static int validate_export(const char *stage, const char *target)
{
	struct skill_report rep = SKILL_REPORT_INIT;
	struct buf why = BUF_INIT, line = BUF_INIT;
	int rc = skill_validate(stage, &rep);
	for (int i = 0; i < rep.nr; i++) {
		char *is = skill_issue_format(&rep.v[i]);
		buf_reset(&line);
		add_renamed(&line, is, stage, target);
		free(is);
		if (rep.v[i].severity == SKILL_WARNING) {
			warning("%s", line.buf);
		} else {
			if (why.len)
				buf_adds(&why, "; ");
			buf_add(&why, line.buf, line.len);
		}
	}
	if (rc < 0 || rep.errors)
		rc = ss_err_set(SS_EINPUT, "%s", why.len ? why.buf : ss_err_last());
	skill_report_release(&rep);
	buf_release(&why);
	buf_release(&line);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 if `path` does not exist or is an empty directory. */
static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;
	if (!d)
		return errno == ENOENT;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

static int path_exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

/*
 * Write the skill into `target` through a staging folder beside it:
 * <parent>/.skillsmith-export-XXXXXX/<name>, validated, then renamed.
 */
static int write_skill(struct vcs *v, const struct selection *sel, const char *name,
		       const char *target)
{
	char *copy = xstrdup(target), *parent = xstrdup(dirname(copy));
	char *tmpl = xasprintf("%s/.skillsmith-export-XXXXXX", parent);
	char *stage = NULL, *old = NULL;
	int rc = 0;

	if ((rc = ss_mkdirs(parent, 0755)) < 0)
		goto cleanup;
	if (!mkdtemp(tmpl)) {
		rc = ss_err_set(SS_ERR, "cannot create a folder in '%s': %s", parent, strerror(errno));
		goto cleanup;
	}
	stage = xasprintf("%s/%s", tmpl, name);
	if (sel->commit) {
		rc = vcs_checkout_skill(NULL, v, sel->commit, stage);
	} else {
		char *md = xasprintf("%s/SKILL.md", stage);
		if ((rc = ss_mkdirs(stage, 0755)) == 0)
			rc = ss_write_file(md, sel->body, strlen(sel->body));
		free(md);
	}
	if (rc < 0)
		goto cleanup;
	if ((rc = validate_export(stage, target)) < 0) {
		ss_err_prefix(SS_EINPUT, "the skill of run '%s' is not a valid Agent Skills folder",
			      sel->run);
		goto cleanup;
	}
	if (path_exists(target)) {
		old = xasprintf("%s/.old", tmpl);
		if (rename(target, old) < 0) {
			rc = ss_err_set(SS_ERR, "cannot move '%s' aside: %s", target, strerror(errno));
			goto cleanup;
		}
	}
	if (rename(stage, target) < 0) {
		rc = ss_err_set(SS_ERR, "cannot move the skill into '%s': %s", target, strerror(errno));
		if (old)
			rename(old, target);
		goto cleanup;
	}
cleanup:
	rm_rf(tmpl);
	free(old);
	free(stage);
	free(tmpl);
	free(parent);
	free(copy);
	return rc;
}

/* The run to export: `given`, else the store's latest run. */
static char *pick_run(struct store *st, const char *given)
{
	if (given)
		return xstrdup(given);
	char *run = store_latest_run(st);
	if (!run)
		ss_err_set(SS_ENOTFOUND, "the store '%s' has no runs yet", st->path);
	return run;
}

int cmd_export(int argc, char **argv)
{
	const char *ws_opt = NULL, *run_arg = NULL, *to = NULL;
	int force = 0, rc = EXIT_OK, err;
	char *workspace = NULL, *db = NULL, *run = NULL, *name = NULL, *target = NULL;
	struct store *st = NULL;
	struct vcs *v = NULL;
	struct selection sel;
	struct buf why = BUF_INIT;

	memset(&sel, 0, sizeof(sel));
	if (cli_wants_help(argc, argv)) {
		cli_usage("export");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--workspace") && i + 1 < argc)
			ws_opt = argv[++i];
		else if (!strncmp(a, "--workspace=", 12))
			ws_opt = a + 12;
		else if (!strcmp(a, "--to") && i + 1 < argc)
			to = argv[++i];
		else if (!strncmp(a, "--to=", 5))
			to = a + 5;
		else if (!strcmp(a, "--force") || !strcmp(a, "-f"))
			force = 1;
		else if (a[0] == '-' && a[1]) {
			error("export: unknown option '%s'", a);
			return EXIT_INPUT;
		} else if (!run_arg)
			run_arg = a;
		else {
			error("export: unexpected argument '%s'", a);
			return EXIT_INPUT;
		}
	}
	if (!to || !*to) {
		error("export: --to DIR is required");
		return EXIT_INPUT;
	}

	workspace = cli_workspace(ws_opt);
	db = cli_store_path(workspace);
	if (!path_exists(db)) {
		error("export: workspace '%s' has no store '%s'", workspace, db);
		rc = EXIT_INPUT;
		goto cleanup;
	}
	if (store_open(&st, db, STORE_READONLY) < 0 || !(run = pick_run(st, run_arg)) ||
	    (err = load_selection(&sel, st, run)) < 0) {
		error("export: %s", ss_err_last());
		rc = EXIT_INPUT;
		goto cleanup;
	}
	if (!sel.has_selection) {
		error("export: run %s has no selected skill yet (state %s)", run,
		      sel.state ? sel.state : "unknown");
		rc = EXIT_CHECK;
		goto cleanup;
	}
	describe_gain(&why, &sel);
	if (!sel.final_status || (strcmp(sel.final_status, "active") &&
				  strcmp(sel.final_status, "deprecated"))) {
		if (!force) {
			error("export: run %s has no final status yet (state %s); use --force to "
			      "export the current selection", run, sel.state ? sel.state : "unknown");
			rc = EXIT_CHECK;
			goto cleanup;
		}
		warning("run %s has no final status yet; exporting round %d anyway", run, sel.round);
	} else if (!strcmp(sel.final_status, "deprecated")) {
		if (!force) {
			error("export: run %s ended deprecated: %s; use --force to export anyway",
			      run, why.buf);
			rc = EXIT_CHECK;
			goto cleanup;
		}
		warning("run %s ended deprecated: %s; exporting anyway (--force)", run, why.buf);
	}

	if (sel.commit) {
		if (vcs_open_existing(&v, workspace) < 0 ||
		    vcs_skill_name(&name, v, sel.commit) < 0) {
			error("export: %s", ss_err_last());
			rc = EXIT_CHECK;
			goto cleanup;
		}
	} else {
		name = skill_md_name(sel.body);
		if (!name || !*name) {
			error("export: run %s round %d has no commit and its SKILL.md names no "
			      "skill", run, sel.round);
			rc = EXIT_CHECK;
			goto cleanup;
		}
	}
	/* Names from the repository are checked before they become paths. */
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		error("export: skill name '%s' cannot name a folder", name);
		rc = EXIT_CHECK;
		goto cleanup;
	}

	char *tocopy = xstrdup(to);
	size_t tl = strlen(tocopy);
	while (tl > 1 && tocopy[tl - 1] == '/')
		tocopy[--tl] = '\0';
	char *tobase = xstrdup(tocopy);
	target = !strcmp(basename(tobase), name) ? xstrdup(tocopy)
						 : xasprintf("%s/%s", tocopy, name);
	free(tobase);
	free(tocopy);
	if (!dir_is_empty(target) && !force) {
		error("export: '%s' already exists; use --force to replace it", target);
		rc = EXIT_CHECK;
		goto cleanup;
	}
	if ((err = write_skill(v, &sel, name, target)) < 0) {
		error("export: %s", ss_err_last());
		rc = err == SS_EINPUT ? EXIT_CHECK : EXIT_PROVIDER;
		goto cleanup;
	}
	printf("exported run %s round %d (%s, %s) to %s\n", run, sel.round,
	       sel.final_status ? sel.final_status : "not final", why.buf, target);
cleanup:
	buf_release(&why);
	selection_release(&sel);
	vcs_close(v);
	store_close(st);
	free(target);
	free(name);
	free(run);
	free(db);
	free(workspace);
	return rc;
}
