/*
 * Unit tests for the skill repository.  The real `git` command line is the
 * judge: candidates are committed through the API, then git reads them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/store.h"
#include "skillsmith/vcs.h"

#define GITU "git -c user.name=User -c user.email=user@example.com "

/* A fresh workspace directory under $TMPDIR; caller frees. */
static char *tmp_ws(const char *name)
{
	const char *dir = getenv("TMPDIR");
	char *p = xasprintf("%s/vcs-%s.%ld", dir ? dir : "/tmp", name, (long)getpid());
	char *cmd = xasprintf("rm -rf '%s'", p);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return p;
}

/* Run a shell command; return its stdout (caller frees) and exit status. */
__attribute__((format(printf, 2, 3)))
static char *sh(int *status, const char *fmt, ...)
{
	va_list ap;
	struct buf cmd = BUF_INIT, out = BUF_INIT;
	char chunk[4096];
	size_t n;
	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd.buf, "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&out, chunk, n);
	int rc = pclose(f);
	if (status)
		*status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	buf_release(&cmd);
	return buf_detach(&out, NULL);
}

static const char *skill_v1 =
	"---\nname: date-math\ndescription: Work out dates step by step.\n---\n"
	"# Date math\n\nCount days on the calendar.\n";
static const char *skill_v2 =
	"---\nname: date-math\ndescription: Work out dates step by step.\n---\n"
	"# Date math\n\nCount days on the calendar.\nCheck leap years.\n";
static const char *skill_v3 =
	"---\nname: date-math\ndescription: Work out dates step by step.\n---\n"
	"# Date math\n\nWrite the start date first.\nCheck leap years.\n";

static void commit_round(struct vcs *v, const char *run, int round, const char *md,
			 int g, int rep, int reg, char *oid)
{
	struct vcs_candidate c = VCS_CANDIDATE_INIT;
	c.run_id = run;
	c.round = round;
	c.skill_name = "date-math";
	c.skill_md = md;
	c.strategy = "skillgen";
	c.net_gain = g;
	c.repairs = rep;
	c.regressions = reg;
	c.m = 40;
	c.status = "verified";
	c.body = "Added a rule about leap years.\nThree regressions were on February dates.";
	c.time = 1700000000 + round * 60;
	char parent[16];
	snprintf(parent, sizeof(parent), "%d", round - 1);
	if (round > 1)
		c.parent = parent;
	int rc = vcs_commit_candidate(oid, v, &c);
	if (rc != 0)
		fail_msg("commit round %d: %s", round, ss_err_last());
}

static void vcs__commits_in_order_with_trailers(void **state)
{
	char *ws = tmp_ws("order");
	struct vcs *v;
	char oid[3][VCS_OID_HEXSZ + 1];
	int st;

	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 3, 5, 2, oid[0]);
	commit_round(v, "r1", 2, skill_v2, 5, 7, 2, oid[1]);
	commit_round(v, "r1", 3, skill_v3, -1, 1, 2, oid[2]);
	vcs_close(v);

	char *out = sh(&st, "git -C '%s/skills' log --format=%%s run/r1", ws);
	assert_int_equal(st, 0);
	assert_string_equal(out,
			    "round 3: G=-1 (1 repair, 2 regressions) on 40\n"
			    "round 2: G=+5 (7 repairs, 2 regressions) on 40\n"
			    "round 1: G=+3 (5 repairs, 2 regressions) on 40\n");
	free(out);
	/* The tip is the last commit we made; the first is a root commit. */
	out = sh(&st, "git -C '%s/skills' rev-parse run/r1 && git -C '%s/skills' rev-list --max-parents=0 run/r1", ws, ws);
	char *want = xasprintf("%s\n%s\n", oid[2], oid[0]);
	assert_string_equal(out, want);
	free(want);
	free(out);

	out = sh(&st, "git -C '%s/skills' log -1 --format=%%B run/r1~1 | git interpret-trailers --parse", ws);
	assert_int_equal(st, 0);
	assert_string_equal(out,
			    "Skillsmith-Run: r1\n"
			    "Skillsmith-Round: 2\n"
			    "Skillsmith-Strategy: skillgen\n"
			    "Skillsmith-Net-Gain: +5\n"
			    "Skillsmith-Repairs: 7\n"
			    "Skillsmith-Regressions: 2\n"
			    "Skillsmith-M: 40\n"
			    "Skillsmith-Status: verified\n"
			    "Skillsmith-Parent-Candidate: 1\n");
	free(out);

	/* The body explains the change; author and date as asked. */
	out = sh(&st, "git -C '%s/skills' log -1 --format='%%an <%%ae> %%at%%n%%b' run/r1", ws);
	assert_non_null(strstr(out, "skillsmith <skillsmith@localhost> 1700000180\n"));
	assert_non_null(strstr(out, "Added a rule about leap years.\nThree regressions"));
	free(out);

	/* Agent Skills layout. */
	out = sh(&st, "git -C '%s/skills' ls-tree -r --name-only run/r1", ws);
	assert_string_equal(out, "date-math/SKILL.md\n");
	free(out);
	out = sh(&st, "git -C '%s/skills' show run/r1:date-math/SKILL.md", ws);
	assert_string_equal(out, skill_v3);
	free(out);

	/* A repository we create is non-bare and `git log` works on HEAD. */
	out = sh(&st, "git -C '%s/skills' log --format=%%s && git -C '%s/skills' rev-parse --is-bare-repository", ws, ws);
	assert_int_equal(st, 0);
	assert_string_equal(out, "Start the skill repository\nfalse\n");
	free(out);
	out = sh(&st, "git -C '%s/skills' fsck --strict 2>&1", ws);
	assert_int_equal(st, 0);
	assert_null(strstr(out, "error"));
	free(out);
	out = sh(&st, "git -C '%s/skills' status --porcelain", ws);
	assert_string_equal(out, "");
	free(out);
	free(ws);
}

static void vcs__same_candidate_twice_is_one_commit(void **state)
{
	char *ws = tmp_ws("resume");
	struct vcs *v;
	char a[VCS_OID_HEXSZ + 1], b[VCS_OID_HEXSZ + 1];
	int st;
	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 3, 5, 2, a);
	commit_round(v, "r1", 1, skill_v1, 3, 5, 2, b); /* a resumed run */
	assert_string_equal(a, b);
	commit_round(v, "r1", 2, skill_v2, 3, 5, 2, b);
	assert_string_not_equal(a, b);
	vcs_close(v);
	char *out = sh(&st, "git -C '%s/skills' rev-list --count run/r1", ws);
	assert_string_equal(out, "2\n");
	free(out);
	free(ws);
}

static void vcs__trailer_values_are_one_line(void **state)
{
	char *ws = tmp_ws("sanitize");
	struct vcs *v;
	int st;
	struct vcs_candidate c = VCS_CANDIDATE_INIT;
	struct vcs_trailer extra[] = { { "Skillsmith-P-Value", "0.031" } };
	struct vcs_file files[] = {
		{ "scripts/check.sh", "#!/bin/sh\necho ok\n", 0, 1 },
		{ "references/leap.md", "Leap years: divisible by 4.\n", 0, 0 },
	};
	c.run_id = "r2";
	c.round = 1;
	c.skill_name = "date-math";
	c.skill_md = skill_v1;
	c.files = files;
	c.nr_files = 2;
	c.status = "approved\nSkillsmith-Round: 99";
	c.decided_by = "Ada\r\nLovelace";
	c.decided_at = "2026-12-03T08:00:00Z";
	c.decision_reason = "keeps the\nleap-year rule";
	c.body = "Front matter changed:\n---\nname: date-math\n---\n\n\n\nMore.";
	c.trailers = extra;
	c.nr_trailers = 1;
	c.time = 1700000000;
	assert_int_equal(vcs_open(&v, ws), 0);
	assert_int_equal(vcs_commit_candidate(NULL, v, &c), 0);

	/* Bad input is refused with a message, nothing committed. */
	struct vcs_candidate bad = c;
	bad.skill_name = "Date_Math";
	assert_int_equal(vcs_commit_candidate(NULL, v, &bad), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "Date_Math"));
	bad = c;
	struct vcs_file evil[] = { { "../escape", "x", 0, 0 } };
	bad.files = evil;
	bad.nr_files = 1;
	assert_int_equal(vcs_commit_candidate(NULL, v, &bad), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "../escape"));
	bad = c;
	bad.run_id = "has space";
	assert_int_equal(vcs_commit_candidate(NULL, v, &bad), SS_EINPUT);
	vcs_close(v);

	char *out = sh(&st, "git -C '%s/skills' log -1 --format=%%B run/r2 | git interpret-trailers --parse", ws);
	assert_string_equal(out,
			    "Skillsmith-Run: r2\n"
			    "Skillsmith-Round: 1\n"
			    "Skillsmith-Status: approved Skillsmith-Round: 99\n"
			    "Skillsmith-Decided-By: Ada Lovelace\n"
			    "Skillsmith-Decided-At: 2026-12-03T08:00:00Z\n"
			    "Skillsmith-Decision-Reason: keeps the leap-year rule\n"
			    "Skillsmith-P-Value: 0.031\n");
	free(out);
	out = sh(&st, "git -C '%s/skills' ls-tree -r run/r2", ws);
	assert_non_null(strstr(out, "100755 blob"));
	assert_non_null(strstr(out, "\tdate-math/scripts/check.sh\n"));
	assert_non_null(strstr(out, "\tdate-math/references/leap.md\n"));
	free(out);
	out = sh(&st, "git -C '%s/skills' rev-list --count run/r2 && git -C '%s/skills' fsck --strict 2>&1", ws, ws);
	assert_int_equal(st, 0);
	assert_string_equal(out, "1\n");
	free(out);
	free(ws);
}

static void vcs__existing_dirty_repo_is_untouched(void **state)
{
	char *ws = tmp_ws("dirty");
	int st;
	char *out = sh(&st,
		       "mkdir -p '%s/skills' && cd '%s/skills' && git init -q -b master && "
		       "echo one > notes.txt && " GITU "add notes.txt && " GITU "commit -q -m 'user one' && "
		       "echo two >> notes.txt && " GITU "commit -q -am 'user two' && "
		       "echo staged > staged.txt && git add staged.txt && echo dirty >> notes.txt && "
		       "echo untracked > scratch.txt && git rev-parse HEAD", ws, ws);
	assert_int_equal(st, 0);
	char *master = out;
	char *status_before = sh(&st, "cd '%s/skills' && git status --porcelain && git diff && git diff --cached", ws);

	struct vcs *v;
	char oid[VCS_OID_HEXSZ + 1];
	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 3, 5, 2, oid);
	commit_round(v, "r1", 2, skill_v2, 4, 5, 1, oid);
	vcs_close(v);

	char *status_after = sh(&st, "cd '%s/skills' && git status --porcelain && git diff && git diff --cached", ws);
	assert_string_equal(status_before, status_after);
	out = sh(&st, "git -C '%s/skills' rev-parse master", ws);
	assert_string_equal(out, master);
	free(out);
	out = sh(&st, "git -C '%s/skills' log --format=%%s master", ws);
	assert_string_equal(out, "user two\nuser one\n");
	free(out);
	out = sh(&st, "git -C '%s/skills' log --format=%%s run/r1", ws);
	assert_string_equal(out, "round 2: G=+4 (5 repairs, 1 regression) on 40\n"
			    "round 1: G=+3 (5 repairs, 2 regressions) on 40\n");
	free(out);
	out = sh(&st, "git -C '%s/skills' fsck --strict 2>&1", ws);
	assert_int_equal(st, 0);
	free(out);
	free(master);
	free(status_before);
	free(status_after);
	free(ws);
}

static void vcs__checked_out_run_branch_keeps_work_tree(void **state)
{
	char *ws = tmp_ws("checkedout");
	struct vcs *v;
	char oid[VCS_OID_HEXSZ + 1];
	int st;
	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 3, 5, 2, oid);
	char *out = sh(&st, "cd '%s/skills' && git checkout -q run/r1 && echo mine >> date-math/SKILL.md", ws);
	assert_int_equal(st, 0);
	free(out);
	commit_round(v, "r1", 2, skill_v2, 3, 5, 2, oid);
	vcs_close(v);
	/* The branch moved; the user's edit is still in the work tree. */
	out = sh(&st, "cd '%s/skills' && git rev-parse run/r1 && tail -1 date-math/SKILL.md", ws);
	char *want = xasprintf("%s\nmine\n", oid);
	assert_string_equal(out, want);
	free(want);
	free(out);
	free(ws);
}

/* The user runs git gc and commits in a loop while candidates are committed. */
static void vcs__concurrent_user_git_loses_nothing(void **state)
{
	char *ws = tmp_ws("concurrent");
	struct vcs *v;
	char oid[VCS_OID_HEXSZ + 1];
	int st;
	enum { ROUNDS = 24 };

	assert_int_equal(vcs_open(&v, ws), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The user: commits on master, gc, pack-refs, while we run. */
		char *cmd = xasprintf("cd '%s/skills' && for i in 1 2 3 4 5 6; do "
				      "echo $i >> user.txt && git add user.txt && "
				      GITU "commit -q -m \"user $i\" && "
				      "git gc -q 2>/dev/null; git pack-refs --all 2>/dev/null; "
				      "done", ws);
		int rc = system(cmd);
		_exit(rc == 0 ? 0 : 1);
	}
	/* A second writer on the same run branch through the API. */
	pid_t pid2 = fork();
	assert_true(pid2 >= 0);
	if (pid2 == 0) {
		struct vcs *w;
		if (vcs_open(&w, ws) < 0)
			_exit(2);
		for (int i = 0; i < ROUNDS; i++) {
			struct vcs_candidate c = VCS_CANDIDATE_INIT;
			char *md = xasprintf("%s\nother %d\n", skill_v1, i);
			c.run_id = "shared";
			c.round = 100 + i;
			c.skill_name = "date-math";
			c.skill_md = md;
			if (vcs_commit_candidate(NULL, w, &c) < 0) {
				fprintf(stderr, "second writer: %s\n", ss_err_last());
				_exit(3);
			}
			free(md);
		}
		vcs_close(w);
		_exit(0);
	}
	for (int i = 0; i < ROUNDS; i++) {
		char *md = xasprintf("%s\nround %d\n", skill_v1, i);
		commit_round(v, "r1", i + 1, md, i, i + 1, 1, oid);
		struct vcs_candidate c = VCS_CANDIDATE_INIT;
		c.run_id = "shared";
		c.round = i;
		c.skill_name = "date-math";
		c.skill_md = md;
		if (vcs_commit_candidate(NULL, v, &c) < 0)
			fail_msg("shared round %d: %s", i, ss_err_last());
		free(md);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(waitpid(pid2, &status, 0), pid2);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	vcs_close(v);

	char *out = sh(&st, "git -C '%s/skills' rev-list --count run/r1 && "
		       "git -C '%s/skills' rev-list --count run/shared && "
		       "git -C '%s/skills' rev-list --count HEAD", ws, ws, ws);
	char *want = xasprintf("%d\n%d\n7\n", ROUNDS, 2 * ROUNDS);
	assert_string_equal(out, want);
	free(want);
	free(out);
	out = sh(&st, "git -C '%s/skills' log --format=%%s run/r1 | sed -n '1p;$p'", ws);
	assert_string_equal(out, "round 24: G=+23 (24 repairs, 1 regression) on 40\n"
			    "round 1: G=0 (1 repair, 1 regression) on 40\n");
	free(out);
	out = sh(&st, "git -C '%s/skills' fsck --strict 2>&1", ws);
	assert_int_equal(st, 0);
	free(out);
	free(ws);
}

/* The user has the run branch checked out and commits on it meanwhile. */
static void vcs__user_commits_on_run_branch_are_kept(void **state)
{
	char *ws = tmp_ws("userbranch");
	struct vcs *v;
	char oid[VCS_OID_HEXSZ + 1];
	int st;
	enum { ROUNDS = 16 };

	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 1, 1, 0, oid);
	char *out = sh(&st, "git -C '%s/skills' checkout -q run/r1", ws);
	assert_int_equal(st, 0);
	free(out);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* git refuses a commit whose branch moved under it ("cannot lock
		 * ref"): that commit is not made; count the ones that are. */
		char *cmd = xasprintf("cd '%s/skills' && for i in 1 2 3 4 5 6 7 8; do "
				      GITU "commit -q --allow-empty -m \"user $i\" 2>/dev/null && "
				      "echo $i >> ../user-ok; done; true", ws);
		_exit(system(cmd) == 0 ? 0 : 1);
	}
	for (int i = 2; i <= ROUNDS; i++) {
		char *md = xasprintf("%s\nround %d\n", skill_v1, i);
		commit_round(v, "r1", i, md, i, i, 0, oid);
		free(md);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	vcs_close(v);
	/* Every candidate and every user commit is on the branch, in one line. */
	out = sh(&st, "cd '%s/skills' && git log --format=%%s run/r1 | grep -c '^round' && "
		 "git log --format=%%s run/r1 | grep -c '^user' && git rev-list --merges --count run/r1", ws);
	char *ok = sh(&st, "cat '%s/user-ok' 2>/dev/null | wc -l", ws);
	char *want = xasprintf("%d\n%d\n0\n", ROUNDS, atoi(ok));
	free(ok);
	assert_string_equal(out, want);
	free(want);
	free(out);
	out = sh(&st, "git -C '%s/skills' fsck --strict 2>&1", ws);
	assert_int_equal(st, 0);
	free(out);
	free(ws);
}

static void vcs__tag_and_note(void **state)
{
	char *ws = tmp_ws("tag");
	struct vcs *v;
	char c1[VCS_OID_HEXSZ + 1], c2[VCS_OID_HEXSZ + 1], tag[VCS_OID_HEXSZ + 1];
	int st;
	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 1, 3, 2, c1);
	commit_round(v, "r1", 2, skill_v2, 5, 7, 2, c2);
	assert_int_equal(vcs_tag_selected(tag, v, "r1", c1, 0, "round 1 selected: G=+1 below the gate 2", 1700000500), 0);
	/* Selected again (resumed run): one tag remains. */
	assert_int_equal(vcs_tag_selected(tag, v, "r1", c2, 1, "round 2 selected: G=+5, gate 2", 1700000600), 0);
	const char *json = "{\"round\":2,\"net_gain\":5,\"n01\":7,\"n10\":2,\"m\":40}";
	assert_int_equal(vcs_note(v, c2, json, 1700000600), 0);
	assert_int_equal(vcs_note(v, c1, "{\"round\":1}", 1700000600), 0);
	assert_int_equal(vcs_note(v, c2, "{not json", 0), SS_EINPUT);
	char *note = vcs_note_read(v, c2);
	assert_non_null(note);
	assert_string_equal(note, json);
	free(note);
	assert_null(vcs_note_read(v, "HEAD"));
	assert_non_null(strstr(ss_err_last(), "no note"));
	vcs_close(v);

	char *out = sh(&st, "cd '%s/skills' && git tag -l && git cat-file -t skill/r1/active && "
		       "git rev-parse 'skill/r1/active^{commit}' && git tag -l --format='%%(contents)' skill/r1/active", ws);
	char *want = xasprintf("skill/r1/active\ntag\n%s\nround 2 selected: G=+5, gate 2\n\n", c2);
	assert_string_equal(out, want);
	free(want);
	free(out);
	out = sh(&st, "git -C '%s/skills' notes --ref=skillsmith show run/r1", ws);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, json));
	free(out);
	out = sh(&st, "git -C '%s/skills' notes --ref=skillsmith list | wc -l", ws);
	assert_string_equal(out, "2\n");
	free(out);
	out = sh(&st, "git -C '%s/skills' fsck --strict 2>&1", ws);
	assert_int_equal(st, 0);
	free(out);
	free(ws);
}

struct counts { int file, hunk, add, del, ctx, note; };

static int count_cb(const struct vcs_diff_line *l, void *payload)
{
	struct counts *c = payload;
	switch (l->kind) {
	case VCS_LINE_FILE: c->file++; break;
	case VCS_LINE_HUNK: c->hunk++; break;
	case VCS_LINE_ADD:
		c->add++;
		assert_true(l->new_lineno > 0 && l->old_lineno == -1);
		assert_string_equal(l->new_path, "date-math/SKILL.md");
		break;
	case VCS_LINE_DEL: c->del++; assert_true(l->old_lineno > 0); break;
	case VCS_LINE_CONTEXT: c->ctx++; break;
	case VCS_LINE_NOTE: c->note++; break;
	}
	return 0;
}

static void vcs__diff_matches_git(void **state)
{
	char *ws = tmp_ws("diff");
	struct vcs *v;
	char c1[VCS_OID_HEXSZ + 1], c3[VCS_OID_HEXSZ + 1], r[VCS_OID_HEXSZ + 1];
	struct buf out = BUF_INIT;
	struct vcs_diff_options o = VCS_DIFF_OPTIONS_INIT;
	int st;

	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 1, 3, 2, c1);
	commit_round(v, "r1", 2, skill_v2, 2, 3, 1, r);
	commit_round(v, "r1", 3, skill_v3, 5, 7, 2, c3);

	assert_int_equal(vcs_diff(&out, v, c1, c3, &o), 0);
	char *git = sh(&st, "git -C '%s/skills' diff --no-color %s %s", ws, c1, c3);
	/* Same patch as git's, header line for header line. */
	assert_string_equal(out.buf, git);
	free(git);
	assert_null(strchr(out.buf, '\033'));

	buf_reset(&out);
	o.color = 1;
	assert_int_equal(vcs_diff(&out, v, NULL, c3, &o), 0);
	assert_non_null(strstr(out.buf, "\033[31m-Count days on the calendar.\033[m\n"));
	assert_non_null(strstr(out.buf, "\033[32m+Write the start date first.\033[m\n"));
	assert_non_null(strstr(out.buf, "\033[1mdiff --git a/date-math/SKILL.md b/date-math/SKILL.md\033[m\n"));

	struct counts n = { 0, 0, 0, 0, 0, 0 };
	assert_int_equal(vcs_diff_foreach(v, c1, c3, NULL, count_cb, &n), 0);
	assert_int_equal(n.add, 2);
	assert_int_equal(n.del, 1);
	assert_int_equal(n.hunk, 1);
	assert_true(n.file >= 4);

	/* Root commit against nothing: all additions. */
	buf_reset(&out);
	assert_int_equal(vcs_diff(&out, v, NULL, c1, NULL), 0);
	assert_non_null(strstr(out.buf, "new file mode 100644"));
	assert_non_null(strstr(out.buf, "+name: date-math\n"));

	/* Revisions: git names work; unknown ones say so. */
	assert_int_equal(vcs_resolve(r, v, NULL, NULL, "run/r1~2"), 0);
	assert_string_equal(r, c1);
	assert_int_equal(vcs_resolve(r, v, NULL, NULL, "no-such-thing"), SS_ENOTFOUND);
	assert_non_null(strstr(ss_err_last(), "no-such-thing"));

	/* ROUND and RUN:ROUND from the trailers, without a store. */
	assert_int_equal(vcs_resolve(r, v, NULL, NULL, "r1:3"), 0);
	assert_string_equal(r, c3);
	assert_int_equal(vcs_resolve(r, v, NULL, "r1", "1"), 0);
	assert_string_equal(r, c1);
	assert_int_equal(vcs_resolve(r, v, NULL, NULL, "1"), 0); /* the newest branch */
	assert_string_equal(r, c1);
	assert_int_equal(vcs_resolve(r, v, NULL, NULL, "r1:9"), SS_ENOTFOUND);
	assert_non_null(strstr(ss_err_last(), "round 9"));
	assert_int_equal(vcs_resolve(r, v, NULL, NULL, "r7:1"), SS_ENOTFOUND);

	/* ROUND and RUN:ROUND through the store. */
	char *db = xasprintf("%s/store.db", ws);
	struct store *sto;
	assert_int_equal(store_open(&sto, db, 0), 0);
	char *sql = xasprintf("INSERT INTO runs(id, created_at, updated_at, config_json, strategy, seed) "
			      "VALUES ('r1', 1, 1, '{}', 'skillgen', 1);"
			      "INSERT INTO candidates(run_id, round, strategy, body, commit_oid, created_at) "
			      "VALUES ('r1', 1, 'skillgen', 'x', '%s', 1), ('r1', 3, 'skillgen', 'x', '%s', 1);",
			      c1, c3);
	assert_int_equal(store_exec(sto, sql), 0);
	free(sql);
	assert_int_equal(vcs_resolve(r, v, sto, NULL, "3"), 0);
	assert_string_equal(r, c3);
	assert_int_equal(vcs_resolve(r, v, sto, NULL, "r1:1"), 0);
	assert_string_equal(r, c1);
	assert_int_equal(vcs_resolve(r, v, sto, NULL, "r1:7"), SS_ENOTFOUND);
	assert_non_null(strstr(ss_err_last(), "round 7"));
	store_close(sto);
	free(db);

	buf_release(&out);
	vcs_close(v);
	free(ws);
}

static void vcs__log_parses_trailers(void **state)
{
	char *ws = tmp_ws("log");
	struct vcs *v;
	char c[3][VCS_OID_HEXSZ + 1];
	struct vcs_log_entry *e;
	size_t nr;
	assert_int_equal(vcs_open(&v, ws), 0);
	commit_round(v, "r1", 1, skill_v1, 1, 3, 2, c[0]);
	commit_round(v, "r1", 2, skill_v2, 5, 7, 2, c[1]);
	commit_round(v, "r1", 3, skill_v3, -2, 0, 2, c[2]);
	assert_int_equal(vcs_tag_selected(NULL, v, "r1", c[1], 1, NULL, 0), 0);

	assert_int_equal(vcs_log(&e, &nr, v, "r1", 0), 0);
	assert_int_equal(nr, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(e[i].oid, c[i]);
		assert_int_equal(e[i].round, i + 1);
		assert_int_equal(e[i].m, 40);
		assert_string_equal(e[i].run_id, "r1");
		assert_string_equal(e[i].status, "verified");
		assert_int_equal(e[i].time, 1700000000 + (i + 1) * 60);
	}
	assert_int_equal(e[1].net_gain, 5);
	assert_int_equal(e[2].net_gain, -2);
	assert_int_equal(e[1].repairs, 7);
	assert_int_equal(e[1].regressions, 2);
	assert_string_equal(e[1].parent, "1");
	assert_null(e[0].parent);
	assert_string_equal(e[1].tags, "skill/r1/active");
	assert_null(e[0].tags);
	assert_string_equal(e[0].summary, "round 1: G=+1 (3 repairs, 2 regressions) on 40");
	assert_string_equal(e[0].body, "Added a rule about leap years.\nThree regressions were on February dates.");
	assert_int_equal(e[0].nr_trailers, 8);
	vcs_log_free(e, nr);

	assert_int_equal(vcs_log(&e, &nr, v, "r1", VCS_LOG_NEWEST_FIRST), 0);
	assert_int_equal(nr, 3);
	assert_string_equal(e[0].oid, c[2]);
	vcs_log_free(e, nr);

	/* Summaries: edit steps, unverified candidates. */
	struct vcs_candidate sc = VCS_CANDIDATE_INIT;
	sc.round = 4;
	sc.strategy = "edit";
	sc.net_gain = 2;
	sc.repairs = 3;
	sc.regressions = 1;
	char *sum = vcs_summary(&sc);
	assert_string_equal(sum, "step 4: G=+2 (3 repairs, 1 regression)");
	free(sum);
	sc = (struct vcs_candidate)VCS_CANDIDATE_INIT;
	sc.round = 1;
	sc.status = "generated";
	sum = vcs_summary(&sc);
	assert_string_equal(sum, "round 1: generated");
	free(sum);

	assert_int_equal(vcs_log(&e, &nr, v, "nope", 0), SS_ENOTFOUND);
	assert_non_null(strstr(ss_err_last(), "nope"));

	char **runs;
	commit_round(v, "r0", 1, skill_v1, 1, 3, 2, c[0]); /* older time, newer run */
	assert_int_equal(vcs_runs(&runs, &nr, v), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(runs[0], "r1");
	assert_string_equal(runs[1], "r0");
	vcs_strings_free(runs, nr);
	vcs_close(v);
	free(ws);
}

static void vcs__checkout_skill_writes_folder(void **state)
{
	char *ws = tmp_ws("checkout");
	struct vcs *v;
	struct vcs_candidate c = VCS_CANDIDATE_INIT;
	struct vcs_file files[] = { { "scripts/check.sh", "#!/bin/sh\necho ok\n", 0, 1 } };
	char oid[VCS_OID_HEXSZ + 1];
	char *name = NULL;
	c.run_id = "r1";
	c.skill_name = "date-math";
	c.skill_md = skill_v2;
	c.files = files;
	c.nr_files = 1;
	assert_int_equal(vcs_open(&v, ws), 0);
	assert_int_equal(vcs_commit_candidate(oid, v, &c), 0);
	assert_int_equal(vcs_skill_name(&name, v, oid), 0);
	assert_string_equal(name, "date-math");
	free(name);
	char *dir = xasprintf("%s/out/date-math", ws);
	assert_int_equal(vcs_checkout_skill(&name, v, "run/r1", dir), 0);
	assert_string_equal(name, "date-math");
	free(name);
	char *p = xasprintf("%s/SKILL.md", dir);
	char *md = ss_read_file(p, NULL);
	assert_string_equal(md, skill_v2);
	free(md);
	free(p);
	p = xasprintf("%s/scripts/check.sh", dir);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_mode & 0100);
	free(p);
	size_t len;
	assert_int_equal(vcs_read_file(&md, &len, v, oid, "date-math/SKILL.md"), 0);
	assert_string_equal(md, skill_v2);
	assert_int_equal(len, strlen(skill_v2));
	free(md);
	assert_int_equal(vcs_read_file(&md, NULL, v, oid, "date-math/nope.md"), SS_ENOTFOUND);
	assert_null(md);
	/* The first commit holds no skill folder. */
	assert_int_equal(vcs_skill_name(&name, v, "HEAD"), SS_ENOTFOUND);
	free(dir);
	vcs_close(v);
	free(ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vcs__commits_in_order_with_trailers),
		cmocka_unit_test(vcs__same_candidate_twice_is_one_commit),
		cmocka_unit_test(vcs__trailer_values_are_one_line),
		cmocka_unit_test(vcs__existing_dirty_repo_is_untouched),
		cmocka_unit_test(vcs__checked_out_run_branch_keeps_work_tree),
		cmocka_unit_test(vcs__concurrent_user_git_loses_nothing),
		cmocka_unit_test(vcs__user_commits_on_run_branch_are_kept),
		cmocka_unit_test(vcs__tag_and_note),
		cmocka_unit_test(vcs__diff_matches_git),
		cmocka_unit_test(vcs__log_parses_trailers),
		cmocka_unit_test(vcs__checkout_skill_writes_folder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
