/*
 * skillsmith import FILE [--map FIELD=PATH ...] [--threshold X]
 *                        [--config CONFIG] [--name NAME] [--workspace DIR]
 *
 * Bring existing trajectories into the workspace as a run of their own
 * (strategy 'import', state 'imported'), ready for `skillsmith induce`.
 * The whole file is checked before anything is written; the run id is
 * printed on stdout.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/import.h"
#include "skillsmith/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "--opt VALUE" or "--opt=VALUE"; advances *i.  NULL if argv[*i] is not it. */
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

int cmd_import(int argc, char **argv)
{
	struct import_options o = IMPORT_OPTIONS_INIT;
	struct import_set set = { 0 };
	struct config cfg;
	struct store *st = NULL;
	const char *file = NULL, *workspace_opt = NULL, *config_path = NULL, *name = NULL;
	char *workspace = NULL, *store_path = NULL, *snapshot = NULL, *run_id = NULL;
	int have_cfg = 0, rc = EXIT_OK;

	if (cli_wants_help(argc, argv)) {
		cli_usage("import");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *v;
		int missing = 0;
		if ((v = opt_value(argc, argv, &i, "--map", &missing))) {
			if (import_add_map(&o, v) < 0) {
				error("%s", ss_err_last());
				return EXIT_INPUT;
			}
		} else if ((v = opt_value(argc, argv, &i, "--threshold", &missing))) {
			char *end;
			errno = 0;
			double t = strtod(v, &end);
			if (!*v || *end || errno || !isfinite(t)) {
				error("--threshold '%s': must be a number", v);
				return EXIT_INPUT;
			}
			o.has_threshold = 1;
			o.threshold = t;
		} else if ((v = opt_value(argc, argv, &i, "--workspace", &missing))) {
			workspace_opt = v;
		} else if ((v = opt_value(argc, argv, &i, "--config", &missing))) {
			config_path = v;
		} else if ((v = opt_value(argc, argv, &i, "--name", &missing))) {
			name = v;
		} else if (missing) {
			error("option '%s' needs a value", argv[i]);
			return EXIT_INPUT;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			error("unknown option '%s'", argv[i]);
			cli_usage("import");
			return EXIT_INPUT;
		} else if (!file) {
			file = argv[i];
		} else {
			error("only one FILE may be given ('%s' and '%s')", file, argv[i]);
			return EXIT_INPUT;
		}
	}
	if (!file) {
		error("no trajectory file given");
		cli_usage("import");
		return EXIT_INPUT;
	}
	if (name && !*name) {
		error("--name must not be empty");
		return EXIT_INPUT;
	}

	/* the config snapshot of the run: the given config, or the defaults */
	if (config_path) {
		if (config_load(&cfg, config_path) < 0) {
			error("%s", ss_err_last());
			return EXIT_INPUT;
		}
	} else {
		config_init(&cfg);
	}
	have_cfg = 1;

	/* check the whole file before touching the workspace */
	if (import_parse_file(&set, file, &o) < 0) {
		error("%s", ss_err_last());
		rc = EXIT_INPUT;
		goto cleanup;
	}

	workspace = cli_workspace(workspace_opt);
	if (ss_mkdirs(workspace, 0755) < 0) {
		error("workspace '%s': %s", workspace, ss_err_last());
		rc = EXIT_INPUT;
		goto cleanup;
	}
	store_path = cli_store_path(workspace);
	int err = store_open(&st, store_path, 0);
	if (err < 0) {
		error("%s: %s", store_path, ss_err_last());
		rc = ss_exit_code(err);
		goto cleanup;
	}

	snapshot = config_to_json(&cfg);
	o.config_json = snapshot;
	o.config_path = config_path;
	o.seed = cfg.seed;
	o.name = name ? name : (config_path && cfg.name ? cfg.name : "import");
	if ((err = import_store(st, &set, &o, &run_id)) < 0) {
		error("%s", ss_err_last());
		rc = ss_exit_code(err);
		goto cleanup;
	}

	int fails = 0;
	for (int i = 0; i < set.nr; i++)
		fails += !set.rec[i].outcome;
	fprintf(stderr, "imported %d trajectories (%d failures, %d successes) from %s into run %s\n",
		set.nr, fails, set.nr - fails, file, run_id);
	printf("%s\n", run_id);

cleanup:
	if (st)
		store_close(st);
	import_set_release(&set);
	if (have_cfg)
		config_release(&cfg);
	free(workspace);
	free(store_path);
	free(snapshot);
	free(run_id);
	return rc;
}
