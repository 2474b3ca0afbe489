/*
 * skillsmith watch [RUN|PATH] [--workspace DIR] [--readonly] [--theme NAME]
 *
 * RUN is a run id of the workspace's store; a PATH (a workspace directory
 * holding store.db, a directory holding such a workspace as .skillsmith/
 * or workspace/, or a store file itself) opens that store instead, e.g.
 * `skillsmith watch sample-runs/demo`.  Without RUN the latest run of
 * the store is shown and a newer run is followed when one starts.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

int cmd_watch(int argc, char **argv)
{
	const char *ws_opt = NULL, *run = NULL, *theme = NULL;
	int readonly = 0;
	if (cli_wants_help(argc, argv)) {
		cli_usage("watch");
		printf("\nRUN may also be a workspace directory or a store.db path.\n"
		       "Options:\n"
		       "  --workspace DIR  the workspace (default $SKILLSMITH_WORKSPACE, else ./.skillsmith)\n"
		       "  --readonly       open the store read-only; approve/reject are disabled\n"
		       "  --theme NAME     dark, light, high-contrast, mono, or a .theme path\n"
		       "Keys: ? in the dashboard; rebind in $XDG_CONFIG_HOME/skillsmith/keys.conf.\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--workspace") || !strcmp(a, "--theme")) {
			if (i + 1 >= argc) {
				error("watch: option '%s' needs a value", a);
				return EXIT_INPUT;
			}
			if (!strcmp(a, "--workspace"))
				ws_opt = argv[++i];
			else
				theme = argv[++i];
		} else if (!strncmp(a, "--workspace=", 12)) {
			ws_opt = a + 12;
		} else if (!strncmp(a, "--theme=", 8)) {
			theme = a + 8;
		} else if (!strcmp(a, "--readonly")) {
			readonly = 1;
		} else if (a[0] == '-' && a[1]) {
			error("watch: unknown option '%s'", a);
			return EXIT_INPUT;
		} else if (!run) {
			run = a;
		} else {
			error("watch: unexpected argument '%s'", a);
			return EXIT_INPUT;
		}
	}
	char *workspace = NULL, *store = NULL;
	if (run && (strchr(run, '/') || is_dir(run) || is_file(run))) {
		if (is_dir(run)) {
			/* the directory itself, or a workspace kept inside it */
			static const char *const sub[] = { "", "/.skillsmith", "/workspace" };
			for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]) && !store; i++) {
				char *ws = xasprintf("%s%s", run, sub[i]);
				char *db = xasprintf("%s/store.db", ws);
				if (is_file(db)) {
					workspace = ws;
					store = db;
				} else {
					free(ws);
					free(db);
				}
			}
			if (!store) {
				workspace = xstrdup(run);
				store = xasprintf("%s/store.db", run);
			}
		} else if (is_file(run)) {
			store = xstrdup(run);
		} else {
			error("watch: '%s' is neither a run, a workspace nor a store", run);
			return EXIT_INPUT;
		}
		run = NULL;
	} else {
		workspace = cli_workspace(ws_opt);
		store = cli_store_path(workspace);
	}
	struct ui_options o = UI_OPTIONS_INIT;
	o.store_path = store;
	o.workspace = workspace;
	o.run_id = run;
	o.readonly = readonly;
	o.theme = theme;
	int rc = ui_main(&o);
	int exit_code = EXIT_OK;
	if (rc < 0) {
		error("watch: %s", ss_err_last());
		exit_code = rc == SS_ENOTFOUND || rc == SS_EINPUT ? EXIT_INPUT : EXIT_CHECK;
	}
	free(workspace);
	free(store);
	return exit_code;
}
