/*
 * A full demo run against the simulator with 200 ms latency at
 * concurrency 32 (the demo config's), compared with the lower bound its
 * own dependency structure allows: the sum over the sequential phases of
 * ceil(calls / concurrency) * latency.
 *
 * The phases of a SkillGen run, in order (each needs the previous one):
 *   baseline rollouts; task and per-rollout summaries; cluster summaries
 *   and contrasts; then per round: generate / refine, verification
 *   rollouts, case analyses, the feedback aggregate (not after the last
 *   round); the attribution variants of the selected skill, then the
 *   pruned candidate; finally the test rollouts (with and without the
 *   skill together).  Calls per phase are counted from the run's store;
 *   a rollout served from the response cache (a later round that wrote
 *   the same skill) costs no latency and is not counted (its latency is
 *   under half the simulator's).
 *
 * Prints TSV rows "figure<TAB>value<TAB>unit<TAB>aim" (bench/run.sh).
 */
#include "skillsmith/common.h"
#include "skillsmith/store.h"

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

#define LATENCY_MS 200

static int64_t q_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s = store_prepare(st, sql);
	int64_t v = 0;
	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int64_t batches(int64_t calls, int c)
{
	return calls > 0 ? (calls + c - 1) / c : 0;
}

static pid_t spawn(char *const argv[], const char *out)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	(void)argc;
	if (n <= 0)
		snprintf(self, sizeof(self), "%s", argv[0]);
	else
		self[n] = '\0';
	char *bdir = xstrdup(dirname(self));            /* build/bench */
	char *ss = xasprintf("%s/../skillsmith", bdir);
	char *sim = xasprintf("%s/../skillsmith-sim", bdir);
	char *config = xasprintf("%s/../../sample-runs/demo/config.json", bdir);
	if (access(ss, X_OK) || access(sim, X_OK) || access(config, R_OK)) {
		fprintf(stderr, "bench_demo: needs %s, %s and %s\n", ss, sim, config);
		return 1;
	}
	char tmpl[] = "/tmp/bench-demo.XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir)
		die("mkdtemp: %s", strerror(errno));
	char *simout = xasprintf("%s/sim.out", dir);
	char *ws = xasprintf("%s/ws", dir);
	char *runout = xasprintf("%s/run.out", dir);
	char lat[16];
	snprintf(lat, sizeof(lat), "%d", LATENCY_MS);
	char *sargv[] = { sim, "--port", "0", "--seed", "7", "--latency-ms", lat, NULL };
	pid_t sp = spawn(sargv, simout);
	char *url = NULL;
	for (int i = 0; i < 500 && !url; i++) {
		char *t = ss_read_file(simout, NULL);
		const char *p = t ? strstr(t, "listening on ") : NULL;
		if (p) {
			p += strlen("listening on ");
			url = xstrndup(p, strcspn(p, " \r\n"));
		}
		free(t);
		if (!url)
			usleep(20000);
	}
	if (!url) {
		kill(sp, SIGKILL);
		waitpid(sp, NULL, 0);
		die("bench_demo: the simulator did not start");
	}
	setenv("SKILLSMITH_SIM_URL", url, 1);

	char *rargv[] = { ss, "run", config, "--headless", "--workspace", ws, NULL };
	int64_t t0 = ss_now_ms();
	pid_t rp = spawn(rargv, runout);
	int status = 0;
	waitpid(rp, &status, 0);
	int64_t wall = ss_now_ms() - t0;
	kill(sp, SIGTERM);
	waitpid(sp, NULL, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *t = ss_read_file(runout, NULL);
		fprintf(stderr, "bench_demo: the run failed:\n%s\n", t ? t : "");
		free(t);
		return 1;
	}

	char *db = xasprintf("%s/store.db", ws);
	struct store *st;
	if (store_open(&st, db, STORE_READONLY) < 0)
		die("bench_demo: %s", ss_err_last());
	int c = 32;
	int64_t calls = q_int(st, "SELECT count(*) FROM llm_calls");
	int64_t cached = q_int(st, "SELECT count(*) FROM llm_calls WHERE status = 'cached'");
	int64_t phases = 0, slots = 0;
#define PHASE(k) do { int64_t k_ = (k); if (k_ > 0) { phases++; slots += batches(k_, c); } } while (0)
#define NET "r.latency_ms >= 100"
	PHASE(q_int(st, "SELECT count(*) FROM rollouts r WHERE phase = 'base' AND " NET));
	int64_t sums = q_int(st, "SELECT count(*) FROM summaries");
	PHASE(sums);
	PHASE(q_int(st, "SELECT count(*) FROM llm_calls WHERE stage = 'induce'") - sums);
	int64_t k = q_int(st, "SELECT rounds_total FROM runs");
	for (int64_t r = 1; r <= k; r++) {
		char *sql;
		PHASE(1);
		sql = xasprintf("SELECT count(*) FROM rollouts r JOIN candidates c ON c.id = r.candidate_id "
				"WHERE r.phase = 'cand' AND c.round = %lld AND " NET, (long long)r);
		PHASE(q_int(st, sql));
		free(sql);
		if (r == k)
			break;
		sql = xasprintf("SELECT count(*) FROM verdicts v JOIN candidates c ON c.id = v.candidate_id "
				"WHERE c.round = %lld AND v.analysis IS NOT NULL", (long long)r);
		int64_t cases = q_int(st, sql);
		free(sql);
		PHASE(cases);
		PHASE(cases > 0 ? 1 : 0);
	}
	/* attribution: the leave-one-rule-out variants, then the pruned candidate */
	PHASE(q_int(st, "SELECT count(*) FROM rollouts r WHERE phase = 'attrib' AND " NET));
	{
		char *sql = xasprintf("SELECT count(*) FROM rollouts r JOIN candidates c ON c.id = r.candidate_id "
				      "WHERE r.phase = 'cand' AND c.round = %lld AND " NET, (long long)k + 1);
		PHASE(q_int(st, sql));
		free(sql);
	}
	PHASE(q_int(st, "SELECT count(*) FROM rollouts r WHERE phase IN ('test_base', 'test_skill') AND " NET));
	store_close(st);
	double bound = (double)slots * LATENCY_MS / 1000.0;
	double w = wall / 1000.0;
	printf("demo_run_wall\t%.2f\ts\t-\n", w);
	printf("demo_run_lower_bound\t%.2f\ts\t-\n", bound);
	printf("demo_run_wall_over_bound\t%.3f\tratio\t<=1.10\n", bound > 0 ? w / bound : 0);
	printf("demo_run_calls\t%lld\tcalls\t-\n", (long long)calls);
	printf("demo_run_cached_calls\t%lld\tcalls\t-\n", (long long)cached);
	printf("demo_run_phases\t%lld\tphases\t-\n", (long long)phases);
	char *rm = xasprintf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_demo: could not remove %s\n", dir);
	free(rm);
	return 0;
}
