/*
 * skillsmith demo [--headless] [--workspace DIR] [--seed N] [--strategy S]
 *
 * Start the simulator (skillsmith-sim next to this executable, else on
 * PATH) on a free loopback port, point SKILLSMITH_SIM_URL at it, run the
 * bundled sample-runs/demo/config.json, print the report and stop the
 * simulator.  The default workspace is ./.skillsmith-demo; an unfinished
 * demo run there is resumed, a finished one is followed by a new run.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEMO_WORKSPACE ".skillsmith-demo"

static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(dirname(buf));
}

static int is_file(const char *p, int exec)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (!exec || access(p, X_OK) == 0);
}

static char *find_sim(const char *dir)
{
	if (dir) {
		char *p = xasprintf("%s/skillsmith-sim", dir);
		if (is_file(p, 1))
			return p;
		free(p);
	}
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/skillsmith-sim", *d ? d : ".");
		if (is_file(p, 1)) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

static char *find_config(const char *dir)
{
	const char *env = getenv("SKILLSMITH_SAMPLES");
	if (env) {
		char *p = xasprintf("%s/demo/config.json", env);
		if (is_file(p, 0))
			return p;
		free(p);
	}
	static const char *const rel[] = { "../sample-runs", "../../sample-runs", "sample-runs",
					   "../share/skillsmith/sample-runs" };
	for (size_t i = 0; dir && i < ARRAY_SIZE(rel); i++) {
		char *p = xasprintf("%s/%s/demo/config.json", dir, rel[i]);
		if (is_file(p, 0))
			return p;
		free(p);
	}
	static const char *const abs_[] = { "/usr/local/share/skillsmith/sample-runs",
					    "/usr/share/skillsmith/sample-runs" };
	for (size_t i = 0; i < ARRAY_SIZE(abs_); i++) {
		char *p = xasprintf("%s/demo/config.json", abs_[i]);
		if (is_file(p, 0))
			return p;
		free(p);
	}
	return NULL;
}

/*
 * Start the simulator with its stdout and stderr in `log`, wait for its
 * "listening on URL" line.  Returns the pid and the URL, or -1.
 */
static pid_t start_sim(const char *sim, const char *log, int64_t seed, int has_seed, char **url)
{
	unlink(log);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		error("cannot create '%s': %s", log, strerror(errno));
		return -1;
	}
	char seedbuf[32];
	snprintf(seedbuf, sizeof(seedbuf), "%lld", (long long)seed);
	pid_t pid = fork();
	if (pid < 0) {
		close(fd);
		error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		setpgid(0, 0);
		if (has_seed)
			execl(sim, sim, "--port", "0", "--seed", seedbuf, (char *)NULL);
		else
			execl(sim, sim, "--port", "0", (char *)NULL);
		_exit(127);
	}
	close(fd);
	int64_t deadline = ss_now_ms() + 15000;
	while (ss_now_ms() < deadline) {
		char *text = ss_read_file(log, NULL);
		const char *p = text ? strstr(text, "listening on ") : NULL;
		if (p) {
			p += strlen("listening on ");
			*url = xstrndup(p, strcspn(p, " \r\n"));
			free(text);
			return pid;
		}
		free(text);
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			error("the simulator exited before listening; see '%s'", log);
			return -1;
		}
		usleep(20000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	error("the simulator did not start within 15 s; see '%s'", log);
	return -1;
}

static void stop_sim(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int cmd_demo(int argc, char **argv)
{
	struct run_options opt = RUN_OPTIONS_INIT;
	int headless = 0;
	if (cli_wants_help(argc, argv)) {
		cli_usage("demo");
		printf("\n  --headless       no dashboard: progress on stderr, the report on stdout\n"
		       "  --workspace DIR  default ./" DEMO_WORKSPACE "\n"
		       "  --seed N         the run's (and the simulator's) seed\n"
		       "  --strategy S     skillgen (default) or edit\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--headless")) {
			headless = 1;
		} else if (!strcmp(argv[i], "--workspace") && i + 1 < argc) {
			opt.workspace = argv[++i];
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			char *end;
			errno = 0;
			opt.seed = strtoll(argv[++i], &end, 10);
			if (errno || *end || !*argv[i]) {
				error("demo: --seed: '%s' is not an integer", argv[i]);
				return EXIT_INPUT;
			}
			opt.has_seed = 1;
		} else if (!strcmp(argv[i], "--strategy") && i + 1 < argc) {
			opt.strategy = argv[++i];
		} else {
			error("demo: unknown argument '%s'", argv[i]);
			return EXIT_INPUT;
		}
	}
	if (!opt.workspace)
		opt.workspace = getenv("SKILLSMITH_WORKSPACE") ? NULL : DEMO_WORKSPACE;
	char *dir = exe_dir();
	char *sim = find_sim(dir);
	char *config = find_config(dir);
	char *url = NULL, *ws = cli_workspace(opt.workspace), *log = NULL;
	int code = EXIT_PROVIDER;
	pid_t pid = -1;
	struct run_ctx *rc = NULL;
	if (!sim) {
		error("demo: cannot find 'skillsmith-sim' next to this program or on PATH");
		goto cleanup;
	}
	if (!config) {
		error("demo: cannot find sample-runs/demo/config.json (set SKILLSMITH_SAMPLES)");
		code = EXIT_INPUT;
		goto cleanup;
	}
	if (ss_mkdirs(ws, 0777) < 0) {
		error("demo: %s", ss_err_last());
		goto cleanup;
	}
	log = xasprintf("%s/sim.log", ws);
	fprintf(stderr, "demo: starting the simulator (a simulated agent, not a real model)\n");
	pid = start_sim(sim, log, opt.seed, opt.has_seed, &url);
	if (pid < 0)
		goto cleanup;
	setenv("SKILLSMITH_SIM_URL", url, 1);
	fprintf(stderr, "demo: simulator at %s; workspace %s\n", url, ws);
	int r = run_ctx_start(&rc, config, &opt);
	if (!r && rc->state && !strcmp(rc->state, "done")) {
		run_ctx_free(rc);
		opt.force_new = 1;
		r = run_ctx_start(&rc, config, &opt);
	}
	if (r < 0) {
		error("%s", ss_err_last());
		code = ss_exit_code(r);
		goto cleanup;
	}
	code = run_execute(rc, !headless);
cleanup:
	run_ctx_free(rc);
	stop_sim(pid);
	free(dir);
	free(sim);
	free(config);
	free(url);
	free(ws);
	free(log);
	return code;
}
