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
#include "skillsmith/ui.h"

#include <pthread.h>
#include <time.h>

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

/* One closing line on stderr: the outcome, the test delta, the usage. */
static void final_line(struct run_ctx *rc, int64_t ms)
{
	cJSON *rep = NULL;
	if (report_build(&rep, rc->st, rc->run_id) < 0)
		return;
	const cJSON *gate = cJSON_GetObjectItem(rep, "gate");
	const cJSON *test = cJSON_GetObjectItem(rep, "test");
	const cJSON *u = cJSON_GetObjectItem(rep, "usage");
	fprintf(stderr, "[%s] done in %.1fs: skill %s (G* %+g, gate %g), held-out delta %+.1f pp, "
		"%g calls, %g tokens, $%.4f\n", rc->run_id, ms / 1000.0,
		cJSON_GetStringValue(cJSON_GetObjectItem(rep, "status")),
		cJSON_GetNumberValue(cJSON_GetObjectItem(gate, "net_gain")),
		cJSON_GetNumberValue(cJSON_GetObjectItem(gate, "threshold")),
		100 * cJSON_GetNumberValue(cJSON_GetObjectItem(test, "delta")),
		cJSON_GetNumberValue(cJSON_GetObjectItem(u, "calls")),
		cJSON_GetNumberValue(cJSON_GetObjectItem(u, "prompt_tokens")) +
		cJSON_GetNumberValue(cJSON_GetObjectItem(u, "completion_tokens")),
		cJSON_GetNumberValue(cJSON_GetObjectItem(u, "cost")));
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

/*
 * The dashboard lives in the UI library, which the skillsmith program
 * links; a weak reference keeps programs without it (unit tests) linkable.
 */
extern int ui_run_attach(const char *store_path, const char *run_id,
			 ui_tick_fn tick, void *payload) __attribute__((weak));

/* The engine on its own thread while the dashboard owns the terminal. */
struct engine_thread {
	struct run_ctx *rc;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	int status;
	char *error;
};

static void *engine_main(void *arg)
{
	struct engine_thread *e = arg;
	int r = pipeline_run(e->rc);
	pthread_mutex_lock(&e->lock);
	e->status = r;
	e->error = r < 0 ? xstrdup(ss_err_last()) : NULL;
	e->finished = 1;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static int engine_tick(int budget_ms, void *payload)
{
	struct engine_thread *e = payload;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)budget_ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&e->lock);
	if (!e->finished)
		pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	int done = e->finished;
	int status = e->status;
	if (done && status < 0)
		ss_err_set(status, "%s", e->error ? e->error : "run failed");
	pthread_mutex_unlock(&e->lock);
	if (!done)
		return 0;
	return status < 0 && status != SS_ESTOPPED ? status : 1;
}

static int run_with_dashboard(struct run_ctx *rc)
{
	struct engine_thread e;
	memset(&e, 0, sizeof(e));
	e.rc = rc;
	pthread_mutex_init(&e.lock, NULL);
	pthread_cond_init(&e.cond, NULL);
	rc->quiet = 1;
	char *store_path = cli_store_path(rc->workspace);
	pipeline_install_signals(rc);
	if (pthread_create(&e.tid, NULL, engine_main, &e) != 0) {
		free(store_path);
		error("cannot start the engine thread");
		return EXIT_CHECK;
	}
	int u = ui_run_attach(store_path, rc->run_id, engine_tick, &e);
	free(store_path);
	pthread_mutex_lock(&e.lock);
	int finished = e.finished;
	pthread_mutex_unlock(&e.lock);
	if (!finished) {
		if (u != UI_QUIT_RUNNING && u < 0)
			fprintf(stderr, "note: the dashboard could not start (%s); the run goes on "
				"headless\n", ss_err_last());
		else
			pipeline_request_stop();
	}
	pthread_join(e.tid, NULL);
	pthread_mutex_destroy(&e.lock);
	pthread_cond_destroy(&e.cond);
	int r = e.status;
	if (r < 0) {
		error("run %s: %s", rc->run_id, e.error ? e.error : "failed");
		if (r == SS_ESTOPPED)
			fprintf(stderr, "run the same command again to resume run %s\n", rc->run_id);
		free(e.error);
		return exit_of(r);
	}
	free(e.error);
	run_print_summary(rc, stdout);
	return EXIT_OK;
}

int run_execute(struct run_ctx *rc, int dashboard)
{
	int busy = run_busy(rc);
	if (busy) {
		error("run '%s' is being executed by process %d; 'skillsmith watch %s' follows it",
		      rc->run_id, busy, rc->run_id);
		return EXIT_CHECK;
	}
	if (dashboard) {
		if (ui_run_attach && isatty(0) && isatty(1))
			return run_with_dashboard(rc);
		fprintf(stderr, "note: no dashboard (%s); running headless\n",
			ui_run_attach ? "not a terminal" : "not in this build");
	}
	if (!rc->quiet)
		fprintf(stderr, "%s run %s in %s\n", rc->created ? "starting" : "resuming",
			rc->run_id, rc->workspace);
	pipeline_install_signals(rc);
	int64_t t0 = ss_now_ms();
	int r = pipeline_run(rc);
	if (r < 0) {
		error("run %s: %s", rc->run_id, ss_err_last());
		return exit_of(r);
	}
	run_print_summary(rc, stdout);
	if (!rc->quiet)
		final_line(rc, ss_now_ms() - t0);
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
		code = run_execute(rc, !headless);
	}
	run_ctx_free(rc);
	return code;
}
