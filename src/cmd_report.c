/*
 * skillsmith report [RUN] [--json|--md] [--workspace DIR]
 */
#include "skillsmith/cli.h"
#include "skillsmith/store.h"
#include "skillsmith/common.h"
#include "skillsmith/pipeline.h"
#include "skillsmith/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_report(int argc, char **argv)
{
	const char *run = NULL, *ws = NULL;
	int json = 0, md = 0;
	if (cli_wants_help(argc, argv)) {
		cli_usage("report");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--md")) {
			md = 1;
		} else if (!strcmp(argv[i], "--workspace") && i + 1 < argc) {
			ws = argv[++i];
		} else if (!strncmp(argv[i], "--workspace=", 12)) {
			ws = argv[i] + 12;
		} else if (argv[i][0] == '-') {
			error("report: unknown option '%s'", argv[i]);
			return EXIT_INPUT;
		} else if (!run) {
			run = argv[i];
		} else {
			error("report: unexpected argument '%s'", argv[i]);
			return EXIT_INPUT;
		}
	}
	if (json && md) {
		error("report: --json and --md exclude each other");
		return EXIT_INPUT;
	}
	struct store *sto = NULL;
	char *run_id = NULL;
	int r = cli_open_run(&sto, &run_id, ws, run);
	if (r < 0) {
		error("%s", ss_err_last());
		return r == SS_ENOTFOUND ? EXIT_INPUT : ss_exit_code(r);
	}
	cJSON *rep = NULL;
	if (report_build(&rep, sto, run_id) < 0) {
		error("%s", ss_err_last());
		store_close(sto);
		free(run_id);
		return EXIT_CHECK;
	}
	if (json) {
		char *t = cJSON_Print(rep);
		printf("%s\n", t);
		free(t);
	} else {
		char *skill = report_selected_skill(sto, run_id);
		if (md)
			report_print_md(stdout, rep, skill);
		else
			report_print_text(stdout, rep, skill);
		free(skill);
	}
	cJSON_Delete(rep);
	store_close(sto);
	free(run_id);
	return EXIT_OK;
}
