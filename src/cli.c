/*
 * Shared pieces of the command line.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/store.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_usage(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (!strcmp(c->name, name)) {
			printf("usage: skillsmith %s\n\n%s\n", c->usage, c->summary);
			return;
		}
	}
	printf("unknown command '%s'\n", name);
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

char *cli_workspace(const char *opt)
{
	if (opt && *opt)
		return xstrdup(opt);
	const char *env = getenv("SKILLSMITH_WORKSPACE");
	if (env && *env)
		return xstrdup(env);
	return xstrdup(".skillsmith");
}

char *cli_store_path(const char *workspace)
{
	return xasprintf("%s/store.db", workspace);
}

int cli_not_yet(const char *name)
{
	fprintf(stderr, "skillsmith %s: not yet available in this version\n", name);
	return EXIT_CHECK;
}

int cli_open_run(struct store **st, char **run_id, const char *workspace, const char *run)
{
	struct stat sb;
	char *path = cli_store_path(workspace);
	int r;
	*st = NULL;
	*run_id = NULL;
	if (stat(path, &sb) < 0) {
		r = ss_err_set(SS_ENOTFOUND, "no skillsmith workspace at '%s' (no store.db)", workspace);
		free(path);
		return r;
	}
	r = store_open(st, path, 0);
	free(path);
	if (r < 0)
		return r;
	if (!run) {
		*run_id = store_latest_run(*st);
		if (!*run_id) {
			store_close(*st);
			*st = NULL;
			return ss_err_set(SS_ENOTFOUND, "workspace '%s' has no run yet", workspace);
		}
		return 0;
	}
	sqlite3_stmt *s = store_prepare(*st, "SELECT id FROM runs WHERE id = ?");
	if (s) {
		sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			*run_id = xstrdup(run);
		sqlite3_finalize(s);
	}
	if (!*run_id) {
		store_close(*st);
		*st = NULL;
		return ss_err_set(SS_ENOTFOUND, "no run '%s' in workspace '%s'", run, workspace);
	}
	return 0;
}
