/*
 * skillsmith run CONFIG [--headless] [--workspace DIR] [--new]
 *
 * Start a run of CONFIG, or resume the unfinished run of the same config
 * in the workspace; a finished one is only summarised (exit 0), unless
 * --new asks for another run.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/pipeline.h"
#include "skillsmith/report.h"
#include "skillsmith/store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

void run_print_summary(struct run_ctx *rc, FILE *fp)
{
	cJSON *rep = NULL;
	if (report_build(&rep, rc->st, rc->run_id) < 0)
		return;
	char *skill = report_selected_skill(rc->st, rc->run_id);
	report_print_text(fp, rep, skill);
	free(skill);
	cJSON_Delete(rep);
}

/* Exit code of a pipeline status. */
static int exit_of(int r)
{
	if (r == SS_ESTOPPED)
		return 128 + SIGINT;
	return ss_exit_code(r);
}

/* Another live process is executing this run. */
static int run_busy(struct run_ctx *rc)
{
	sqlite3_stmt *s = store_prepare(rc->st, "SELECT pid FROM runs WHERE id = ? AND state = 'running'");
	int busy = 0;
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		pid_t pid = (pid_t)sqlite3_column_int64(s, 0);
		if (pid > 0 && pid != getpid() && kill(pid, 0) == 0)
			busy = (int)pid;
	}
	sqlite3_finalize(s);
	return busy;
}

int run_execute(struct run_ctx *rc)
{
	int busy = run_busy(rc);
	if (busy) {
		error("run '%s' is being executed by process %d; 'skillsmith watch %s' follows it",
		      rc->run_id, busy, rc->run_id);
		return EXIT_CHECK;
	}
	if (!rc->quiet)
		fprintf(stderr, "%s run %s in %s\n", rc->created ? "starting" : "resuming",
			rc->run_id, rc->workspace);
	pipeline_install_signals(rc);
	int r = pipeline_run(rc);
	if (r < 0) {
		error("run %s: %s", rc->run_id, ss_err_last());
		return exit_of(r);
	}
	run_print_summary(rc, stdout);
	return EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct run_options opt = RUN_OPTIONS_INIT;
	const char *config = NULL;
	int headless = 0;
	if (cli_wants_help(argc, argv)) {
		cli_usage("run");
		printf("\n  --headless       progress lines on stderr instead of the dashboard\n"
		       "  --workspace DIR  the workspace (store and skill repository)\n"
		       "  --new            start another run even if one of this config exists\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--headless")) {
			headless = 1;
		} else if (!strcmp(argv[i], "--new")) {
			opt.force_new = 1;
		} else if (!strcmp(argv[i], "--workspace") && i + 1 < argc) {
			opt.workspace = argv[++i];
		} else if (!strncmp(argv[i], "--workspace=", 12)) {
			opt.workspace = argv[i] + 12;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			error("run: unknown option '%s'", argv[i]);
			return EXIT_INPUT;
		} else if (!config) {
			config = argv[i];
		} else {
			error("run: unexpected argument '%s'", argv[i]);
			return EXIT_INPUT;
		}
	}
	if (!config) {
		error("run: a CONFIG file is required");
		cli_usage("run");
		return EXIT_INPUT;
	}
	if (!headless)
		fprintf(stderr, "note: the dashboard is not available in this build; running headless\n");
	opt.headless = 1;
	struct run_ctx *rc = NULL;
	int r = run_ctx_start(&rc, config, &opt);
	if (r < 0) {
		error("%s", ss_err_last());
		return ss_exit_code(r);
	}
	int code;
	if (rc->state && !strcmp(rc->state, "done")) {
		fprintf(stderr, "run %s of this config is finished (use --new for another run)\n",
			rc->run_id);
		run_print_summary(rc, stdout);
		code = EXIT_OK;
	} else {
		code = run_execute(rc);
	}
	run_ctx_free(rc);
	return code;
}
