/*
 * skillsmith diff A [B] [--color[=auto|always|never]] [--run RUN] [--workspace DIR]
 *
 * Diff two candidates with libgit2.  A and B are commit-ish names (a hex
 * id, a branch such as run/demo-1, a tag such as skill/demo-1/active,
 * "run/demo-1~2") or candidates from the store: "RUN:ROUND", or "ROUND"
 * for a round of --run RUN (default: the latest run).  With only A, A is
 * compared with its parent (the previous candidate of the run).
 *
 * Colour: "auto" (the default) colours when stdout is a terminal and
 * NO_COLOR is unset or empty; "always" and "never" force it.  On a
 * terminal the skill text is sanitized (it came from a model); piped
 * output is the exact patch, fit for `git apply`.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/store.h"
#include "skillsmith/vcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_diff(int argc, char **argv)
{
	const char *ws_opt = NULL, *run = NULL, *color = "auto", *spec[2] = { NULL, NULL };
	char oid[2][VCS_OID_HEXSZ + 1];
	struct vcs_diff_options o = VCS_DIFF_OPTIONS_INIT;
	struct buf out = BUF_INIT;
	struct vcs *v = NULL;
	struct store *st = NULL;
	char *workspace = NULL, *db = NULL;
	int nspec = 0, rc = EXIT_OK, err;

	if (cli_wants_help(argc, argv)) {
		cli_usage("diff");
		return 0;
	}
	int dashdash = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (dashdash || a[0] != '-' || !a[1]) {
			if (nspec < 2)
				spec[nspec] = a;
			nspec++;
		} else if (!strcmp(a, "--"))
			dashdash = 1;
		else if (!strcmp(a, "--workspace") && i + 1 < argc)
			ws_opt = argv[++i];
		else if (!strncmp(a, "--workspace=", 12))
			ws_opt = a + 12;
		else if (!strcmp(a, "--run") && i + 1 < argc)
			run = argv[++i];
		else if (!strncmp(a, "--run=", 6))
			run = a + 6;
		else if (!strcmp(a, "--color"))
			color = "always";
		else if (!strncmp(a, "--color=", 8))
			color = a + 8;
		else if (!strcmp(a, "--no-color"))
			color = "never";
		else {
			error("diff: unknown option '%s'", a);
			return EXIT_INPUT;
		}
	}
	if (nspec < 1 || nspec > 2) {
		error("diff: expected one or two revisions (A [B]), got %d", nspec);
		return EXIT_INPUT;
	}
	if (!strcmp(color, "always")) {
		o.color = 1;
	} else if (!strcmp(color, "auto")) {
		const char *nc = getenv("NO_COLOR");
		o.color = isatty(STDOUT_FILENO) && !(nc && *nc);
	} else if (strcmp(color, "never")) {
		error("diff: --color must be auto, always or never, not '%s'", color);
		return EXIT_INPUT;
	}
	o.sanitize = isatty(STDOUT_FILENO);

	workspace = cli_workspace(ws_opt);
	if (vcs_open_existing(&v, workspace) < 0) {
		error("diff: %s", ss_err_last());
		rc = EXIT_INPUT;
		goto cleanup;
	}
	db = cli_store_path(workspace);
	if (access(db, F_OK) == 0 && store_open(&st, db, STORE_READONLY) < 0) {
		error("diff: %s", ss_err_last());
		rc = EXIT_INPUT;
		goto cleanup;
	}
	for (int i = 0; i < nspec; i++) {
		if ((err = vcs_resolve(oid[i], v, st, run, spec[i])) < 0) {
			error("diff: %s", ss_err_last());
			rc = err == SS_ENOTFOUND || err == SS_EINPUT ? EXIT_INPUT : EXIT_CHECK;
			goto cleanup;
		}
	}
	err = nspec == 2 ? vcs_diff(&out, v, oid[0], oid[1], &o)
			 : vcs_diff(&out, v, NULL, oid[0], &o);
	if (err < 0) {
		error("diff: %s", ss_err_last());
		rc = EXIT_CHECK;
		goto cleanup;
	}
	fwrite(out.buf, 1, out.len, stdout);
cleanup:
	buf_release(&out);
	store_close(st);
	vcs_close(v);
	free(db);
	free(workspace);
	return rc;
}
