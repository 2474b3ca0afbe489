/*
 * LLM client benchmark against the simulator (skillsmith-sim) on loopback.
 * At zero simulated latency: calls per second and the client's own CPU
 * time per call (getrusage of this process; the simulator is another
 * process) at concurrency 1, 8 and 64, with the store, cache lookups and
 * accounting rows as in a run.  With 50 ms latency: the concurrency the
 * client achieves against the configured 64, as the simulator saw it (peak)
 * and on average (sum of call latencies / wall time).
 * Prints TSV rows "figure<TAB>value<TAB>unit<TAB>aim".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/llm.h"
#include "skillsmith/store.h"

struct sim {
	pid_t pid;
	FILE *out;
	char url[96];
};

static int sim_start(struct sim *s, const char *latency)
{
	const char *bin = getenv("SKILLSMITH_SIM");
	const char *build = getenv("BUILD");
	char *path = bin ? xstrdup(bin) : xasprintf("%s/skillsmith-sim", build ? build : "build");
	int fds[2];
	int port = 0;
	if (pipe(fds) < 0) {
		free(path);
		return -1;
	}
	s->pid = fork();
	if (s->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(path, "skillsmith-sim", "--port", "0", "--seed", "1", "--latency-ms", latency,
		      (char *)NULL);
		_exit(127);
	}
	free(path);
	close(fds[1]);
	s->out = fdopen(fds[0], "r");
	char line[256];
	if (s->pid < 0 || !s->out || !fgets(line, sizeof(line), s->out) ||
	    sscanf(line, "listening on http://127.0.0.1:%d", &port) != 1) {
		if (s->pid > 0) {
			kill(s->pid, SIGTERM);
			waitpid(s->pid, NULL, 0);
		}
		if (s->out)
			fclose(s->out);
		return -1;
	}
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/v1", port);
	return 0;
}

static void sim_stop(struct sim *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	fclose(s->out);
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	buf_add(ud, p, size * n);
	return size * n;
}

/* peak_in_flight from GET /sim/stats, or -1 */
static int sim_peak(struct sim *s)
{
	struct buf b = BUF_INIT;
	char *url = xasprintf("%.*s/sim/stats", (int)(strlen(s->url) - 3), s->url);
	CURL *e = curl_easy_init();
	int peak = -1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(e) == CURLE_OK) {
		cJSON *o = cJSON_Parse(b.buf);
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "peak_in_flight");
		if (cJSON_IsNumber(p))
			peak = (int)p->valuedouble;
		cJSON_Delete(o);
	}
	curl_easy_cleanup(e);
	free(url);
	buf_release(&b);
	return peak;
}

struct bench {
	struct llm *L;
	struct llm_request req;
	int sent, done, total, errors;
	int64_t latency_sum;
	uint64_t salt;
};

static void on_done(const struct llm_response *r, void *payload);

static void send_one(struct bench *b)
{
	char text[160];
	cJSON *msgs = cJSON_CreateArray();
	cJSON *m = cJSON_CreateObject();
	/* distinct requests: every call misses the cache and goes out */
	snprintf(text, sizeof(text), "How many days are there from 2024-01-%02d to 2024-03-01, "
		 "counting both ends? (request %llu-%d)", 1 + b->sent % 28,
		 (unsigned long long)b->salt, b->sent);
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", text);
	cJSON_AddItemToArray(msgs, m);
	b->req.messages = msgs;
	b->sent++;
	if (llm_submit(b->L, &b->req, on_done, b) < 0)
		b->errors++, b->done++;
	cJSON_Delete(msgs);
}

static void on_done(const struct llm_response *r, void *payload)
{
	struct bench *b = payload;
	b->done++;
	b->latency_sum += r->latency_ms;
	if (r->status)
		b->errors++;
	if (b->sent < b->total)
		send_one(b);
}

static double cpu_seconds(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec +
	       ((double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_usec) / 1e6;
}

struct figures {
	double calls_per_s, cpu_us, mean_inflight;
	int errors;
};

static int run(const char *url, int conc, int total, struct figures *f)
{
	struct config cfg;
	struct provider_config pc;
	struct store *st = NULL;
	struct bench b;
	const char *dir = getenv("TMPDIR");
	char *db = xasprintf("%s/bench-llm-%d-%d.db", dir ? dir : "/tmp", (int)getpid(), conc);
	memset(&cfg, 0, sizeof(cfg));
	memset(&pc, 0, sizeof(pc));
	memset(&b, 0, sizeof(b));
	pc.name = (char *)"sim";
	pc.kind = PROVIDER_OPENAI;
	pc.base_url = (char *)url;
	pc.concurrency = conc;
	pc.connect_timeout_s = 5;
	pc.timeout_s = 60;
	pc.idle_timeout_s = 60;
	pc.max_retries = 2;
	pc.backoff_base_ms = 10;
	pc.backoff_max_ms = 100;
	cfg.providers = &pc;
	cfg.nr_providers = 1;
	cfg.cache = 1;
	unlink(db);
	if ((!getenv("BENCH_NO_STORE") && store_open(&st, db, 0) < 0) ||
	    llm_new(&b.L, &cfg, st, "bench", NULL) < 0) {
		fprintf(stderr, "bench_llm: %s\n", ss_err_last());
		free(db);
		return -1;
	}
	b.req.provider = "sim";
	b.req.model = "sim-agent";
	b.req.role = "agent";
	b.req.stage = "bench";
	b.req.system_prefix = "You answer calendar questions. Give the final answer on the last line.\n";
	b.req.max_tokens = 256;
	b.req.seed = 1;
	b.salt = (uint64_t)ss_now_us();

	/* warm up: open the connections */
	b.total = conc;
	for (int i = 0; i < conc; i++)
		send_one(&b);
	llm_wait(b.L);

	b.sent = b.done = 0;
	b.latency_sum = 0;
	b.total = total;
	double c0 = cpu_seconds();
	int64_t t0 = ss_now_us();
	for (int i = 0; i < conc && i < total; i++)
		send_one(&b);
	llm_wait(b.L);
	int64_t t1 = ss_now_us();
	double c1 = cpu_seconds();

	f->calls_per_s = b.done / ((double)(t1 - t0) / 1e6);
	f->cpu_us = (c1 - c0) / b.done * 1e6;
	f->mean_inflight = (double)b.latency_sum / ((double)(t1 - t0) / 1e3);
	f->errors = b.errors;
	llm_free(b.L);
	if (st)
		store_close(st);
	char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
	unlink(db);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	free(db);
	return 0;
}

int main(void)
{
	static const int concs[] = { 1, 8, 64 };
	static const int totals[] = { 1000, 3000, 4000 };
	struct sim s;
	struct figures f;
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sim_start(&s, "0") < 0) {
		fprintf(stderr, "bench_llm: the simulator did not start; no figures\n");
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(concs); i++) {
		if (run(s.url, concs[i], totals[i], &f) < 0) {
			rc = 1;
			break;
		}
		printf("llm_calls_per_s_c%d\t%.0f\tcalls/s\t-\n", concs[i], f.calls_per_s);
		printf("llm_cpu_per_call_c%d\t%.1f\tus\t<=150\n", concs[i], f.cpu_us);
		if (f.errors)
			fprintf(stderr, "bench_llm: %d failed calls at concurrency %d\n", f.errors, concs[i]);
	}
	sim_stop(&s);
	if (rc)
		return rc;

	if (sim_start(&s, "50") < 0) {
		fprintf(stderr, "bench_llm: the simulator did not start with latency\n");
		return 1;
	}
	if (run(s.url, 64, 1280, &f) == 0) {
		printf("llm_peak_inflight_c64_lat50\t%d\tcalls\t>=64\n", sim_peak(&s));
		printf("llm_mean_inflight_c64_lat50\t%.1f\tcalls\t-\n", f.mean_inflight);
		printf("llm_calls_per_s_c64_lat50\t%.0f\tcalls/s\t-\n", f.calls_per_s);
	} else {
		rc = 1;
	}
	sim_stop(&s);
	return rc;
}
