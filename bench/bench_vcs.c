/*
 * Skill repository benchmark: commit 200 candidates on one run branch
 * (object APIs, compare-and-swap), then read the history back and diff
 * the first and last candidates.  Prints TSV rows
 * "figure<TAB>value<TAB>unit<TAB>aim".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/vcs.h"

enum { N = 200 };

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char *ws = xasprintf("%s/bench-vcs.%ld", tmp ? tmp : "/tmp", (long)getpid());
	struct vcs *v;
	char oid[VCS_OID_HEXSZ + 1], first[VCS_OID_HEXSZ + 1];
	struct buf md = BUF_INIT, diff = BUF_INIT;
	if (vcs_open(&v, ws) < 0)
		die("%s", ss_err_last());
	buf_adds(&md, "---\nname: bench-skill\ndescription: A benchmark skill.\n---\n# Bench\n\n");
	int64_t t0 = ss_now_us();
	for (int i = 0; i < N; i++) {
		struct vcs_candidate c = VCS_CANDIDATE_INIT;
		buf_addf(&md, "- rule %d: check the case carefully before answering.\n", i);
		c.run_id = "bench";
		c.round = i + 1;
		c.skill_name = "bench-skill";
		c.skill_md = md.buf;
		c.net_gain = i % 7 - 2;
		c.repairs = i % 5;
		c.regressions = i % 3;
		c.m = 40;
		c.status = "verified";
		c.body = "Added one rule from the feedback.";
		c.time = 1700000000 + i;
		if (vcs_commit_candidate(oid, v, &c) < 0)
			die("%s", ss_err_last());
		if (i == 0)
			snprintf(first, sizeof(first), "%s", oid);
	}
	int64_t t1 = ss_now_us();
	struct vcs_log_entry *e;
	size_t nr;
	if (vcs_log(&e, &nr, v, "bench", 0) < 0 || nr != N)
		die("log: %s", ss_err_last());
	vcs_log_free(e, nr);
	int64_t t2 = ss_now_us();
	if (vcs_diff(&diff, v, first, oid, NULL) < 0)
		die("diff: %s", ss_err_last());
	int64_t t3 = ss_now_us();
	printf("vcs commit per candidate\t%.2f\tms\t<=20\n", (double)(t1 - t0) / 1000.0 / N);
	printf("vcs log of %d candidates\t%.1f\tms\t<=500\n", N, (double)(t2 - t1) / 1000.0);
	printf("vcs diff first to last\t%.2f\tms\t<=100\n", (double)(t3 - t2) / 1000.0);
	buf_release(&md);
	buf_release(&diff);
	vcs_close(v);
	char *cmd = xasprintf("rm -rf '%s'", ws);
	if (system(cmd) != 0)
		warning("could not remove '%s'", ws);
	free(cmd);
	free(ws);
	return 0;
}
