/*
 * Candidates in the skill repository (vcs.h): one commit per verified
 * candidate with its metrics and trailers on the branch run/<run-id>; the
 * selected one tagged skill/<run-id>/active|deprecated, with a git note
 * (refs/notes/skillsmith) holding the metrics JSON.
 *
 * A kill between a commit and the store update that records it must not
 * leave two commits of one round: before committing, the branch is
 * searched for a commit of the same round, which is then reused.
 */
#include "pipeline_int.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/report.h"
#include "skillsmith/store.h"
#include "skillsmith/vcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A process killed while libgit2 held a ref lock leaves "<ref>.lock"
 * behind, and every later update of that ref fails.  After a failure
 * naming a lock file inside the skill repository, wait a little: a lock
 * that is still there, unchanged, belongs to no live writer (locks are
 * held for milliseconds) and is removed.  Returns 1 when the caller should
 * try again.
 */
static int clear_stale_lock(struct run_ctx *rc)
{
	const char *msg = ss_err_last();
	const char *p = strstr(msg, "failed to lock file '");
	if (!p)
		return 0;
	p += strlen("failed to lock file '");
	size_t n = strcspn(p, "'");
	char *path = xstrndup(p, n);
	int removed = 0;
	struct stat a, b;
	char *real = realpath(rc->skills_dir, NULL);
	char *lreal = realpath(path, NULL);
	size_t sl = real ? strlen(real) : 0;
	if (n > 5 && !strcmp(path + n - 5, ".lock") && real && lreal &&
	    !strncmp(lreal, real, sl) && lreal[sl] == '/' && stat(path, &a) == 0) {
		usleep(300 * 1000);
		if (stat(path, &b) == 0 && a.st_mtime == b.st_mtime && a.st_size == b.st_size &&
		    a.st_ino == b.st_ino && unlink(path) == 0) {
			store_event(rc->st, rc->run_id, "warn", "select", NULL,
				    "removed a stale lock of the skill repository: %s", path);
			removed = 1;
		}
	}
	free(real);
	free(lreal);
	free(path);
	return removed;
}

static int open_vcs(struct run_ctx *rc)
{
	if (rc->vcs)
		return 0;
	int r = vcs_open(&rc->vcs, rc->workspace);
	if (r < 0)
		return ss_err_prefix(r, "skill repository");
	return 0;
}

/* The commit of `round` already on the run's branch, or "" */
static void find_round(struct run_ctx *rc, int round, char *oid)
{
	struct vcs_log_entry *e = NULL;
	size_t n = 0;
	oid[0] = '\0';
	if (vcs_log(&e, &n, rc->vcs, rc->run_id, 0) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (e[i].round == round)
			memcpy(oid, e[i].oid, VCS_OID_HEXSZ + 1);
	vcs_log_free(e, n);
}

static char *name_of(const char *body)
{
	const char *p = strstr(body, "\nname:");
	if (!p)
		return xstrdup("skill");
	p += 6;
	while (*p == ' ')
		p++;
	return xstrndup(p, strcspn(p, "\r\n"));
}

/* The edits a step applied, as commit body text (edit strategy). */
static char *edits_body(struct run_ctx *rc, int64_t cand_id, int step)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "Edits applied at step %d, kept because the net gain on the verification "
		 "split strictly improved:\n", step);
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT op, target, content FROM edits WHERE candidate_id = ? ORDER BY rank");
	if (s) {
		sqlite3_bind_int64(s, 1, cand_id);
		while (sqlite3_step(s) == SQLITE_ROW)
			buf_addf(&b, "\n- %s '%s': %s", store_col_text(s, 0), store_col_text(s, 1),
				 store_col_text(s, 2));
		sqlite3_finalize(s);
	}
	return buf_detach(&b, NULL);
}

/* The refinement feedback the candidate was built from, as commit body text. */
static char *feedback_body(struct run_ctx *rc, int64_t parent)
{
	if (!parent)
		return xstrdup("Generated from the contrastive induction summary (clusters and pairs).");
	char *fb = pl_query_text(rc, "SELECT json FROM feedback WHERE candidate_id = ?", "i", parent);
	cJSON *j = fb ? cJSON_Parse(fb) : NULL;
	free(fb);
	struct buf b = BUF_INIT;
	buf_adds(&b, "Refined from the previous round with its verification feedback:\n");
	static const char *const keys[] = { "keep", "remove", "add", "emphasize" };
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, keys[k])) {
			const char *rule = cJSON_GetStringValue(cJSON_GetObjectItem(it, "rule"));
			if (rule)
				buf_addf(&b, "\n- %s: %s", keys[k], rule);
		}
	}
	cJSON_Delete(j);
	return buf_detach(&b, NULL);
}

int pl_commit_candidate(struct run_ctx *rc, int64_t cand_id)
{
	int r = open_vcs(rc);
	if (r < 0)
		return r;
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT round, body, net_gain, n01, n10, m, coalesce(parent_id, 0), p_value, ci_low, "
		"ci_high, early_stopped FROM candidates WHERE id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_int64(s, 1, cand_id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return ss_err_set(SS_ENOTFOUND, "no candidate %lld", (long long)cand_id);
	}
	char oid[VCS_OID_HEXSZ + 1];
	int round = sqlite3_column_int(s, 0);
	char *body = xstrdup(store_col_text(s, 1));
	char *name = name_of(body);
	int64_t parent = sqlite3_column_int64(s, 6);
	char p[32], ci[64], parent_s[32];
	snprintf(p, sizeof(p), "%.4g", sqlite3_column_double(s, 7));
	snprintf(ci, sizeof(ci), "[%.3f, %.3f]", sqlite3_column_double(s, 8),
		 sqlite3_column_double(s, 9));
	struct vcs_trailer tr[3] = {
		{ "Skillsmith-P-Value", p },
		{ "Skillsmith-CI95", ci },
		{ "Skillsmith-Early-Stopped", sqlite3_column_int(s, 10) ? "yes" : "no" },
	};
	struct vcs_candidate c = VCS_CANDIDATE_INIT;
	c.run_id = rc->run_id;
	c.round = round;
	c.skill_name = name;
	c.skill_md = body;
	c.net_gain = sqlite3_column_int(s, 2);
	c.repairs = sqlite3_column_int(s, 3);
	c.regressions = sqlite3_column_int(s, 4);
	c.m = sqlite3_column_int(s, 5);
	c.status = "verified";
	char *strategy = pl_query_text(rc, "SELECT strategy FROM candidates WHERE id = ?", "i", cand_id);
	int edit = strategy && !strcmp(strategy, "edit");
	c.strategy = edit ? "edit" : "skillgen";
	if (edit && parent) {
		snprintf(parent_s, sizeof(parent_s), "step %d",
			 (int)pl_query_int(rc, 0, "SELECT round FROM candidates WHERE id = ?", "i", parent));
		c.parent = parent_s;
	} else if (!edit && round > 1) {
		snprintf(parent_s, sizeof(parent_s), "round %d", round - 1);
		c.parent = parent_s;
	}
	char *msg = edit ? edits_body(rc, cand_id, round) : feedback_body(rc, round > 1 ? parent : 0);
	/* the latest decision by hand on the candidate or one of its edits */
	char *who = NULL, *why = NULL, when[32] = "";
	sqlite3_stmt *d = store_prepare(rc->st,
		"SELECT who, reason, at FROM decisions WHERE run_id = ?1 AND ((subject = 'candidate' "
		"AND subject_id = ?2) OR (subject = 'edit' AND subject_id IN (SELECT id FROM edits "
		"WHERE candidate_id = ?2))) ORDER BY id DESC LIMIT 1");
	if (d) {
		sqlite3_bind_text(d, 1, rc->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(d, 2, cand_id);
		if (sqlite3_step(d) == SQLITE_ROW) {
			time_t at = (time_t)sqlite3_column_int64(d, 2);
			struct tm tm;
			who = xstrdup(store_col_text(d, 0));
			if (sqlite3_column_type(d, 1) != SQLITE_NULL)
				why = xstrdup(store_col_text(d, 1));
			gmtime_r(&at, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			c.decided_by = who;
			c.decided_at = when;
			c.decision_reason = why;
		}
		sqlite3_finalize(d);
	}
	c.body = msg;
	c.trailers = tr;
	c.nr_trailers = ARRAY_SIZE(tr);
	sqlite3_finalize(s);

	find_round(rc, round, oid);
	for (int attempt = 0; !oid[0] && attempt < 3; attempt++) {
		r = vcs_commit_candidate(oid, rc->vcs, &c);
		if (!r || !clear_stale_lock(rc))
			break;
	}
	if (!r) {
		sqlite3_stmt *u = store_prepare(rc->st, "UPDATE candidates SET commit_oid = ? WHERE id = ?");
		if (u) {
			sqlite3_bind_text(u, 1, oid, -1, SQLITE_STATIC);
			sqlite3_bind_int64(u, 2, cand_id);
			if (sqlite3_step(u) != SQLITE_DONE)
				r = ss_err_set(SS_ERR, "store: commit oid: %s", sqlite3_errmsg(rc->st->db));
			sqlite3_finalize(u);
		} else {
			r = SS_ERR;
		}
	} else {
		r = ss_err_prefix(r, "round %d: commit", round);
	}
	free(msg);
	free(name);
	free(body);
	free(strategy);
	free(who);
	free(why);
	return r;
}

int pl_tag_selected(struct run_ctx *rc)
{
	int r = open_vcs(rc);
	if (r < 0)
		return r;
	char *commit = pl_query_text(rc, "SELECT c.commit_oid FROM runs r JOIN candidates c ON "
				     "c.id = r.selected_candidate WHERE r.id = ?", "t", rc->run_id);
	char *status = pl_query_text(rc, "SELECT final_status FROM runs WHERE id = ?", "t", rc->run_id);
	if (!commit || !status) {
		free(commit);
		free(status);
		return 0;
	}
	cJSON *rep = NULL;
	if ((r = report_build(&rep, rc->st, rc->run_id)) < 0)
		goto cleanup;
	cJSON_DeleteItemFromObject(rep, "usage");
	cJSON_DeleteItemFromObject(rep, "state");
	if (!pl_query_int(rc, 0, "SELECT count(*) FROM rollouts WHERE run_id = ? AND phase = 'test_base' "
			  "AND status = 'done'", "t", rc->run_id))
		cJSON_DeleteItemFromObject(rep, "test");
	const cJSON *gate = cJSON_GetObjectItem(rep, "gate");
	char *msg = xasprintf("%s: G* = %+g against the gate %g (m = %g)", status,
			      cJSON_GetNumberValue(cJSON_GetObjectItem(gate, "net_gain")),
			      cJSON_GetNumberValue(cJSON_GetObjectItem(gate, "threshold")),
			      cJSON_GetNumberValue(cJSON_GetObjectItem(gate, "m")));
	for (int attempt = 0; attempt < 3; attempt++) {
		r = vcs_tag_selected(NULL, rc->vcs, rc->run_id, commit, !strcmp(status, "active"), msg, 0);
		if (!r || !clear_stale_lock(rc))
			break;
	}
	free(msg);
	char *note = cJSON_Print(rep);
	for (int attempt = 0; r == 0 && attempt < 3; attempt++) {
		int nr = vcs_note(rc->vcs, commit, note, 0);
		if (!nr || !clear_stale_lock(rc)) {
			r = nr;
			break;
		}
	}
	free(note);
	if (r < 0)
		r = ss_err_prefix(r, "tag of the selected skill");
cleanup:
	cJSON_Delete(rep);
	free(commit);
	free(status);
	return r;
}
