/*
 * skillsmith-sim: options and main.  See sim.h for what is simulated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "sim/sim.h"

#define DEFAULT_SUITE_SEED 2024
#define DEFAULT_COUNT 200

static const char usage_text[] =
"usage: skillsmith-sim [options]\n"
"\n"
"THIS IS A SIMULATION of an LLM provider, not a language model.  It serves\n"
"an OpenAI-compatible API (POST /v1/chat/completions with streaming,\n"
"POST /v1/embeddings, GET /v1/models) and Anthropic Messages (POST\n"
"/v1/messages with streaming) on 127.0.0.1 only.  Every answer is computed\n"
"deterministically from the seed and the request: it plays a base agent on\n"
"the bundled calendar suite (right more often when the system prompt holds a\n"
"rule for the instance's hidden trap, wrong more often under an over-general\n"
"rule), the auxiliary optimizer roles (recognised by the response_format\n"
"json_schema name, or Anthropic's forced tool name), and an embeddings model.\n"
"An optimizer model whose name contains \"harmful\" writes only over-general\n"
"rules.  GET /sim/stats reports request counts and the peak concurrency.\n"
"\n"
"options:\n"
"  --seed N              simulation seed (default 0)\n"
"  --port N              port on 127.0.0.1; 0 picks a free one (default 0).\n"
"                        The first line on stdout is always\n"
"                        \"listening on http://127.0.0.1:PORT\"\n"
"  --latency-ms SPEC     response latency: \"200\" constant, \"100-300\" uniform,\n"
"                        \"lognormal:MEDIAN:SIGMA\" (e.g. lognormal:200:0.5),\n"
"                        \"exp:MEAN\" exponential (default 0)\n"
"  --fault-rate F        share of API requests that fail, 0..1 (default 0)\n"
"  --faults KINDS        comma list of 429,500,529,timeout,malformed,truncated\n"
"                        (default all).  429 carries Retry-After; 529 is\n"
"                        overloaded_error; timeout hangs --hang-ms then answers\n"
"                        504; malformed sends a broken JSON body or stream line;\n"
"                        truncated cuts the body or stream midway.  Faults are\n"
"                        drawn per request from (seed, body, times that body was\n"
"                        seen): reproducible, and a retry can succeed\n"
"  --retry-after N       Retry-After seconds of a 429 (default 1)\n"
"  --retry-after-ms N    also send retry-after-ms: N with a 429\n"
"  --hang-ms N           how long a timeout fault hangs (default 30000)\n"
"  --max-concurrency N   at most N API requests at once; more are rejected with\n"
"                        429 (or queued with --queue); 0 = unlimited (default)\n"
"  --queue               queue requests beyond --max-concurrency\n"
"  --request-log FILE    append one JSON line per request: method, path, headers\n"
"                        (authorization and x-api-key as \"[redacted]\"), body,\n"
"                        status, fault, role, instance\n"
"  --pid-file FILE       write the process id (removed on exit)\n"
"  --write-suite FILE    write the demo task suite as JSONL (\"-\": stdout), exit\n"
"  --count N             instances in the suite (default 200); a smaller suite is\n"
"                        a prefix of a larger one with the same --suite-seed\n"
"  --suite-seed N        seed of the suite generator (default 2024); the server\n"
"                        must run with the same --count and --suite-seed as the\n"
"                        suite the engine reads\n"
"  --help, --version\n"
"\n"
"It runs until SIGINT or SIGTERM and then exits 0.\n";

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	uint64_t v;
	if (parse_u64(s, &v) < 0 || v < (uint64_t)lo || v > (uint64_t)hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int bad(const char *opt, const char *what)
{
	fprintf(stderr, "skillsmith-sim: option '%s': %s\n", opt, what);
	return 2;
}

int main(int argc, char **argv)
{
	struct sim_options o;
	struct sim_suite suite = { 0 };
	const char *write_suite = NULL;
	int ret;

	memset(&o, 0, sizeof(o));
	o.retry_after = 1;
	o.hang_ms = 30000;
	o.suite_seed = DEFAULT_SUITE_SEED;
	o.suite_count = DEFAULT_COUNT;
	o.faults = ((1u << NR_FAULTS) - 1) & ~1u;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		char name[64];
		const char *eq = strchr(a, '=');
		if (eq && !strncmp(a, "--", 2) && (size_t)(eq - a) < sizeof(name)) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = '\0';
			val = eq + 1;
			a = name;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("skillsmith-sim %s (simulation)\n", SKILLSMITH_VERSION);
			return 0;
		}
		if (!strcmp(a, "--queue")) {
			o.queue = 1;
			continue;
		}
		if (strncmp(a, "--", 2))
			return bad(a, "unexpected argument (see --help)");
		if (!val) {
			if (i + 1 >= argc)
				return bad(a, "needs a value");
			val = argv[++i];
		}
		if (!strcmp(a, "--seed")) {
			if (parse_u64(val, &o.seed) < 0)
				return bad(a, "must be a non-negative integer");
		} else if (!strcmp(a, "--port")) {
			if (parse_int(val, 0, 65535, &o.port) < 0)
				return bad(a, "must be a port number from 0 to 65535");
		} else if (!strcmp(a, "--latency-ms")) {
			if (sim_latency_parse(&o.latency, val) < 0)
				return bad(a, "must be N, LO-HI, lognormal:MEDIAN:SIGMA or exp:MEAN");
		} else if (!strcmp(a, "--fault-rate")) {
			char *end;
			o.fault_rate = strtod(val, &end);
			if (end == val || *end || o.fault_rate < 0 || o.fault_rate > 1)
				return bad(a, "must be a number from 0 to 1");
		} else if (!strcmp(a, "--faults")) {
			char *list = xstrdup(val), *save = NULL;
			o.faults = 0;
			for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
				int f = sim_fault_by_name(k);
				if (f < 0) {
					fprintf(stderr, "skillsmith-sim: option '--faults': unknown fault "
						"kind '%s' (429, 500, 529, timeout, malformed, truncated)\n", k);
					free(list);
					return 2;
				}
				o.faults |= 1u << f;
			}
			free(list);
			if (!o.faults)
				return bad(a, "needs at least one fault kind");
		} else if (!strcmp(a, "--retry-after")) {
			if (parse_int(val, 0, 3600, &o.retry_after) < 0)
				return bad(a, "must be seconds from 0 to 3600");
		} else if (!strcmp(a, "--retry-after-ms")) {
			if (parse_int(val, 1, 3600000, &o.retry_after_ms) < 0)
				return bad(a, "must be milliseconds from 1 to 3600000");
		} else if (!strcmp(a, "--hang-ms")) {
			if (parse_int(val, 0, 600000, &o.hang_ms) < 0)
				return bad(a, "must be milliseconds from 0 to 600000");
		} else if (!strcmp(a, "--max-concurrency")) {
			if (parse_int(val, 0, 100000, &o.max_concurrency) < 0)
				return bad(a, "must be a non-negative integer");
		} else if (!strcmp(a, "--request-log")) {
			o.request_log = val;
		} else if (!strcmp(a, "--pid-file")) {
			o.pid_file = val;
		} else if (!strcmp(a, "--write-suite")) {
			write_suite = val;
		} else if (!strcmp(a, "--count")) {
			if (parse_int(val, 1, 100000, &o.suite_count) < 0)
				return bad(a, "must be an integer from 1 to 100000");
		} else if (!strcmp(a, "--suite-seed")) {
			if (parse_u64(val, &o.suite_seed) < 0)
				return bad(a, "must be a non-negative integer");
		} else {
			return bad(a, "unknown option (see --help)");
		}
	}

	sim_suite_generate(&suite, o.suite_seed, o.suite_count);
	if (write_suite) {
		if (sim_suite_write(&suite, write_suite) < 0) {
			fprintf(stderr, "skillsmith-sim: cannot write '%s': %s\n", write_suite,
				ss_err_last()[0] ? ss_err_last() : strerror(errno));
			sim_suite_release(&suite);
			return 2;
		}
		sim_suite_release(&suite);
		return 0;
	}
	ret = sim_serve(&o, &suite);
	sim_suite_release(&suite);
	return ret;
}
