/*
 * Reports and status of a run, from the store.
 */
#include "skillsmith/report.h"
#include "skillsmith/pipeline.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/stats.h"
#include "skillsmith/store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sqlite3_stmt *q1(struct store *st, const char *sql, const char *run_id)
{
	sqlite3_stmt *s = store_prepare(st, sql);
	if (s)
		sqlite3_bind_text(s, 1, run_id, -1, SQLITE_TRANSIENT);
	return s;
}

static void add_num_or_null(cJSON *o, const char *k, sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, sqlite3_column_double(s, col));
}

static void add_text_or_null(cJSON *o, const char *k, sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddStringToObject(o, k, store_col_text(s, col));
}

static void add_usage(cJSON *rep, struct store *st, const char *run_id)
{
	cJSON *u = cJSON_AddObjectToObject(rep, "usage");
	sqlite3_stmt *s = q1(st,
		"SELECT count(*), coalesce(sum(status = 'cached'), 0), coalesce(sum(status = 'error'), 0), "
		"coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), "
		"coalesce(sum(cost), 0) FROM llm_calls WHERE run_id = ?", run_id);
	if (s && sqlite3_step(s) == SQLITE_ROW) {
		cJSON_AddNumberToObject(u, "calls", (double)sqlite3_column_int64(s, 0));
		cJSON_AddNumberToObject(u, "cached_calls", (double)sqlite3_column_int64(s, 1));
		cJSON_AddNumberToObject(u, "errors", (double)sqlite3_column_int64(s, 2));
		cJSON_AddNumberToObject(u, "prompt_tokens", (double)sqlite3_column_int64(s, 3));
		cJSON_AddNumberToObject(u, "completion_tokens", (double)sqlite3_column_int64(s, 4));
		cJSON_AddNumberToObject(u, "cost", sqlite3_column_double(s, 5));
	}
	sqlite3_finalize(s);
	s = q1(st, "SELECT coalesce(sum(rollouts_saved), 0) FROM candidates WHERE run_id = ?", run_id);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		cJSON_AddNumberToObject(u, "rollouts_saved", (double)sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
}

static void add_test(cJSON *rep, struct store *st, const char *run_id, int active)
{
	cJSON *t = cJSON_AddObjectToObject(rep, "test");
	sqlite3_stmt *s = q1(st,
		"SELECT b.outcome, k.outcome FROM rollouts b "
		"JOIN instances i ON i.run_id = b.run_id AND i.id = b.instance_id "
		"LEFT JOIN rollouts k ON k.run_id = b.run_id AND k.instance_id = b.instance_id "
		"AND k.phase = 'test_skill' AND k.status = 'done' "
		"WHERE b.run_id = ? AND b.phase = 'test_base' AND b.status = 'done' ORDER BY i.idx", run_id);
	struct paired_counts pc = { 0, 0, 0, 0 };
	int n = 0, base = 0, skill = 0, missing = 0;
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		int b = sqlite3_column_int(s, 0) ? 1 : 0;
		int k = b;
		if (active) {
			if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
				missing++;
				continue;
			}
			k = sqlite3_column_int(s, 1) ? 1 : 0;
		}
		n++;
		base += b;
		skill += k;
		stats_add(&pc, b, k);
	}
	sqlite3_finalize(s);
	(void)missing;
	struct paired_summary sum;
	stats_summarize(&pc, &sum);
	cJSON_AddNumberToObject(t, "n", n);
	if (n) {
		cJSON_AddNumberToObject(t, "base_acc", (double)base / n);
		cJSON_AddNumberToObject(t, "skill_acc", (double)skill / n);
		cJSON_AddNumberToObject(t, "delta", (double)(skill - base) / n);
	} else {
		cJSON_AddNullToObject(t, "base_acc");
		cJSON_AddNullToObject(t, "skill_acc");
		cJSON_AddNullToObject(t, "delta");
	}
	cJSON_AddNumberToObject(t, "repairs", pc.n01);
	cJSON_AddNumberToObject(t, "regressions", pc.n10);
	cJSON_AddNumberToObject(t, "p_value", sum.p_value);
	cJSON_AddNumberToObject(t, "ci_low", sum.ci_low);
	cJSON_AddNumberToObject(t, "ci_high", sum.ci_high);
}

int report_build(cJSON **out, struct store *st, const char *run_id)
{
	*out = NULL;
	sqlite3_stmt *s = q1(st,
		"SELECT r.id, r.strategy, r.state, r.final_status, r.gate_threshold, c.round, c.net_gain, "
		"c.m, c.commit_oid, c.id, r.config_json, r.error FROM runs r "
		"LEFT JOIN candidates c ON c.id = r.selected_candidate WHERE r.id = ?", run_id);
	if (!s)
		return SS_ERR;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return ss_err_set(SS_ENOTFOUND, "no run '%s'", run_id);
	}
	cJSON *rep = cJSON_CreateObject();
	cJSON_AddStringToObject(rep, "run", store_col_text(s, 0));
	cJSON_AddStringToObject(rep, "strategy", store_col_text(s, 1));
	cJSON_AddStringToObject(rep, "state", store_col_text(s, 2));
	add_text_or_null(rep, "status", s, 3);
	add_num_or_null(rep, "selected_round", s, 5);
	int active = !strcmp(store_col_text(s, 3), "active");
	cJSON *cfg = cJSON_Parse(store_col_text(s, 10));
	const cJSON *strat = cJSON_GetObjectItem(cfg, "strategy");
	char *name = NULL;
	{
		/* the skill name from the selected SKILL.md front matter */
		sqlite3_stmt *b = store_prepare(st, "SELECT body FROM candidates WHERE id = ?");
		if (b) {
			sqlite3_bind_int64(b, 1, sqlite3_column_int64(s, 9));
			if (sqlite3_step(b) == SQLITE_ROW) {
				const char *body = store_col_text(b, 0);
				const char *p = strstr(body, "\nname:");
				if (p) {
					p += 6;
					while (*p == ' ')
						p++;
					name = xstrndup(p, strcspn(p, "\r\n"));
				}
			}
			sqlite3_finalize(b);
		}
	}
	cJSON *sk = cJSON_AddObjectToObject(rep, "skill");
	if (name)
		cJSON_AddStringToObject(sk, "name", name);
	else
		cJSON_AddNullToObject(sk, "name");
	free(name);
	add_num_or_null(sk, "round", s, 5);
	add_text_or_null(sk, "commit", s, 8);
	cJSON *gate = cJSON_AddObjectToObject(rep, "gate");
	add_num_or_null(gate, "threshold", s, 4);
	add_num_or_null(gate, "net_gain", s, 6);
	add_num_or_null(gate, "m", s, 7);
	cJSON_AddNumberToObject(gate, "g_abs", cJSON_GetNumberValue(cJSON_GetObjectItem(strat, "g_abs")));
	cJSON_AddNumberToObject(gate, "g_rel", cJSON_GetNumberValue(cJSON_GetObjectItem(strat, "g_rel")));
	cJSON_Delete(cfg);
	sqlite3_finalize(s);

	int rounds_total = 0;
	s = q1(st, "SELECT rounds_total FROM runs WHERE id = ?", run_id);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		rounds_total = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	cJSON *rounds = cJSON_AddArrayToObject(rep, "rounds");
	s = q1(st, "SELECT round, net_gain, n01, n10, n00, n11, m, commit_oid, p_value, ci_low, "
		   "ci_high, early_stopped, rollouts_saved FROM candidates WHERE run_id = ? "
		   "AND verified_at IS NOT NULL ORDER BY round", run_id);
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "round", sqlite3_column_int(s, 0));
		cJSON_AddNumberToObject(r, "net_gain", sqlite3_column_int(s, 1));
		cJSON_AddNumberToObject(r, "repairs", sqlite3_column_int(s, 2));
		cJSON_AddNumberToObject(r, "regressions", sqlite3_column_int(s, 3));
		cJSON_AddNumberToObject(r, "n00", sqlite3_column_int(s, 4));
		cJSON_AddNumberToObject(r, "n11", sqlite3_column_int(s, 5));
		cJSON_AddNumberToObject(r, "m", sqlite3_column_int(s, 6));
		add_text_or_null(r, "commit", s, 7);
		add_num_or_null(r, "p_value", s, 8);
		add_num_or_null(r, "ci_low", s, 9);
		add_num_or_null(r, "ci_high", s, 10);
		cJSON_AddBoolToObject(r, "early_stopped", sqlite3_column_int(s, 11));
		cJSON_AddNumberToObject(r, "rollouts_saved", sqlite3_column_int(s, 12));
		/* the round after the last: the attribution's pruned candidate */
		cJSON_AddBoolToObject(r, "pruned", rounds_total > 0 && sqlite3_column_int(s, 0) > rounds_total);
		cJSON_AddItemToArray(rounds, r);
	}
	sqlite3_finalize(s);
	cJSON *steps = pipeline_edit_report(st, run_id);
	if (steps)
		cJSON_AddItemToObject(rep, "steps", steps);
	add_test(rep, st, run_id, active);
	/* leave-one-rule-out attribution of the selected skill, if done */
	s = store_prepare(st, "SELECT value FROM run_state WHERE run_id = ? AND key = 'attribution'");
	cJSON *att = NULL;
	if (s) {
		sqlite3_bind_text(s, 1, run_id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) == SQLITE_ROW)
			att = cJSON_Parse(store_col_text(s, 0));
		sqlite3_finalize(s);
	}
	if (att)
		cJSON_AddItemToObject(rep, "attribution", att);
	else
		cJSON_AddNullToObject(rep, "attribution");
	add_usage(rep, st, run_id);
	*out = rep;
	return 0;
}

char *report_selected_skill(struct store *st, const char *run_id)
{
	sqlite3_stmt *s = q1(st, "SELECT c.body FROM runs r JOIN candidates c ON "
			     "c.id = r.selected_candidate WHERE r.id = ?", run_id);
	char *v = NULL;
	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = xstrdup(store_col_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
	return v ? v : "-";
}

static void pct(char *out, size_t n, double v)
{
	if (isnan(v))
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f%%", v * 100);
}

static void print_report(FILE *fp, const cJSON *rep, const char *skill_md, int md)
{
	const cJSON *gate = cJSON_GetObjectItem(rep, "gate");
	const cJSON *test = cJSON_GetObjectItem(rep, "test");
	const cJSON *usage = cJSON_GetObjectItem(rep, "usage");
	const cJSON *skill = cJSON_GetObjectItem(rep, "skill");
	const char *status = str(rep, "status");
	char a[16], b[16], d[24], lo[16], hi[16];

	if (md)
		fprintf(fp, "# skillsmith report: %s\n\n", str(rep, "run"));
	else
		fprintf(fp, "run %s (%s), %s\n", str(rep, "run"), str(rep, "strategy"), str(rep, "state"));
	if (md)
		fprintf(fp, "- strategy: %s\n- state: %s\n- skill: %s, **%s**\n- gate: G* = %g, "
			"threshold %g on m = %g\n\n", str(rep, "strategy"), str(rep, "state"),
			str(skill, "name"), status, num(gate, "net_gain"), num(gate, "threshold"),
			num(gate, "m"));
	else if (isnan(num(rep, "selected_round")))
		fprintf(fp, "no skill selected yet\n");
	else
		fprintf(fp, "skill %s: %s (round %g, G* = %+g against the gate %g)\n",
			str(skill, "name"), status, num(rep, "selected_round"), num(gate, "net_gain"),
			num(gate, "threshold"));

	if (md)
		fprintf(fp, "## Rounds\n\n| round | G | repairs | regressions | m | p | 95%% CI | commit |\n"
			"|---:|---:|---:|---:|---:|---:|---|---|\n");
	else
		fprintf(fp, "\nround      G  repairs  regress     m        p  95%% CI            commit"
			"      (* selected, ~ stopped early)\n");
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(rep, "rounds")) {
		const char *c = str(r, "commit");
		int sel = num(r, "round") == num(rep, "selected_round");
		snprintf(lo, sizeof(lo), "%+.2f", num(r, "ci_low"));
		snprintf(hi, sizeof(hi), "%+.2f", num(r, "ci_high"));
		if (md)
			fprintf(fp, "| %g%s | %+g | %g | %g | %g%s | %.3g | [%s, %s] | %.10s |\n",
				num(r, "round"), sel ? " *" : "", num(r, "net_gain"), num(r, "repairs"),
				num(r, "regressions"), num(r, "m"),
				cJSON_IsTrue(cJSON_GetObjectItem(r, "early_stopped")) ? " (stopped early)" : "",
				num(r, "p_value"), lo, hi, c);
		else
			fprintf(fp, "%5g%s %+5g  %7g  %7g  %4g%s  %7.3g  [%s, %s]  %.10s%s\n",
				num(r, "round"), sel ? "*" : " ", num(r, "net_gain"), num(r, "repairs"),
				num(r, "regressions"), num(r, "m"),
				cJSON_IsTrue(cJSON_GetObjectItem(r, "early_stopped")) ? "~" : " ",
				num(r, "p_value"), lo, hi, c,
				cJSON_IsTrue(cJSON_GetObjectItem(r, "pruned")) ? "  (pruned)" : "");
	}
	const cJSON *att = cJSON_GetObjectItem(rep, "attribution");
	if (cJSON_IsObject(att)) {
		fprintf(fp, md ? "\n## Rule attribution (leave one rule out, round %g)\n\n"
			       : "\nrule attribution (leave one rule out, round %g):\n", num(att, "round"));
		const cJSON *ru;
		cJSON_ArrayForEach(ru, cJSON_GetObjectItem(att, "rules")) {
			const char *t = str(ru, "text");
			fprintf(fp, "%s%+3g  %-9s  %.70s%s\n", md ? "- " : "  ", num(ru, "marginal"),
				str(ru, "verdict"), t, strlen(t) > 70 ? "..." : "");
		}
		double pr = num(att, "pruned_rules");
		if (pr > 0)
			fprintf(fp, "%spruned candidate without %g rule(s): %s\n", md ? "\n" : "  ", pr,
				cJSON_IsTrue(cJSON_GetObjectItem(att, "pruned_selected")) ?
				"verifies as well, selected" : "verifies worse, not kept");
	}
	if (!(num(test, "n") > 0)) {
		fprintf(fp, md ? "\n## Held-out test\n\nnot run yet\n" : "\nheld-out test: not run yet\n");
		goto usage;
	}
	pct(a, sizeof(a), num(test, "base_acc"));
	pct(b, sizeof(b), num(test, "skill_acc"));
	snprintf(d, sizeof(d), "%+.1f pp", num(test, "delta") * 100);
	snprintf(lo, sizeof(lo), "%+.2f", num(test, "ci_low"));
	snprintf(hi, sizeof(hi), "%+.2f", num(test, "ci_high"));
	if (md)
		fprintf(fp, "\n## Held-out test\n\n| n | base | skill | delta | repairs | regressions | p | 95%% CI |\n"
			"|---:|---:|---:|---:|---:|---:|---:|---|\n| %g | %s | %s | %s | %g | %g | %.3g | [%s, %s] |\n",
			num(test, "n"), a, b, d, num(test, "repairs"), num(test, "regressions"),
			num(test, "p_value"), lo, hi);
	else
		fprintf(fp, "\nheld-out test on %g: base %s, with skill %s, delta %s "
			"(%g repairs, %g regressions, p = %.3g, 95%% CI [%s, %s])%s\n",
			num(test, "n"), a, b, d, num(test, "repairs"), num(test, "regressions"),
			num(test, "p_value"), lo, hi,
			strcmp(status, "deprecated") ? "" : "\n  (deprecated: deployment uses no skill, so delta is 0)");
usage:
	if (md)
		fprintf(fp, "\n## Usage\n\n%g calls (%g cached), %g prompt + %g completion tokens, "
			"$%.4f, %g rollouts saved by early stopping\n", num(usage, "calls"),
			num(usage, "cached_calls"), num(usage, "prompt_tokens"),
			num(usage, "completion_tokens"), num(usage, "cost"), num(usage, "rollouts_saved"));
	else
		fprintf(fp, "usage: %g calls (%g cached), %g prompt + %g completion tokens, $%.4f, "
			"%g rollouts saved\n", num(usage, "calls"), num(usage, "cached_calls"),
			num(usage, "prompt_tokens"), num(usage, "completion_tokens"), num(usage, "cost"),
			num(usage, "rollouts_saved"));
	if (skill_md && *skill_md) {
		if (md)
			fprintf(fp, "\n## Selected skill (%s)\n\n````markdown\n%s````\n", status, skill_md);
		else
			fprintf(fp, "\n--- selected SKILL.md (%s) ---\n%s", status, skill_md);
	}
	const cJSON *steps = cJSON_GetObjectItem(rep, "steps");
	if (cJSON_GetArraySize(steps) > 0) {
		const cJSON *st;
		if (md)
			fprintf(fp, "\n## Edit steps\n\n| step | epoch | lr | proposed | applied | rejected "
				"| G before | G after |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		else
			fprintf(fp, "\nstep  epoch  lr  proposed  applied  rejected  G before  G after\n");
		cJSON_ArrayForEach(st, steps) {
			char aft[16];
			double ga = num(st, "score_after");
			if (isnan(ga))
				snprintf(aft, sizeof(aft), "-");
			else
				snprintf(aft, sizeof(aft), "%+g", ga);
			fprintf(fp, md ? "| %g | %g | %g | %g | %g | %g | %+g | %s |\n"
				       : "%4g  %5g  %2g  %8g  %7g  %8g  %8g  %7s\n",
				num(st, "step"), num(st, "epoch"), num(st, "learning_rate"),
				num(st, "proposed"), num(st, "applied"), num(st, "rejected"),
				num(st, "score_before"), aft);
			const cJSON *e;
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(st, "edits"))
				if (!strcmp(str(e, "status"), "rejected"))
					fprintf(fp, md ? "|  | rejected: %s \"%s\": %s | | | | | | |\n"
						       : "      rejected %s \"%.40s\": %s\n",
						str(e, "op"), str(e, "content"), str(e, "reason"));
		}
	}
}

void report_print_text(FILE *fp, const cJSON *rep, const char *skill_md)
{
	print_report(fp, rep, skill_md, 0);
}

void report_print_md(FILE *fp, const cJSON *rep, const char *skill_md)
{
	print_report(fp, rep, skill_md, 1);
}

int report_status(cJSON **out, struct store *st, const char *run_id)
{
	*out = NULL;
	sqlite3_stmt *s = q1(st, "SELECT id, state, stage, round, rounds_total, final_status, error, "
			     "pid, heartbeat, created_at, updated_at FROM runs WHERE id = ?", run_id);
	if (!s)
		return SS_ERR;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return ss_err_set(SS_ENOTFOUND, "no run '%s'", run_id);
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "run", store_col_text(s, 0));
	cJSON_AddStringToObject(j, "state", store_col_text(s, 1));
	add_text_or_null(j, "stage", s, 2);
	cJSON_AddNumberToObject(j, "round", sqlite3_column_int(s, 3));
	cJSON_AddNumberToObject(j, "rounds_total", sqlite3_column_int(s, 4));
	add_text_or_null(j, "status", s, 5);
	add_text_or_null(j, "error", s, 6);
	add_num_or_null(j, "pid", s, 7);
	add_num_or_null(j, "heartbeat", s, 8);
	add_num_or_null(j, "created_at", s, 9);
	add_num_or_null(j, "updated_at", s, 10);
	sqlite3_finalize(s);

	cJSON *inst = cJSON_AddObjectToObject(j, "instances");
	s = q1(st, "SELECT split, count(*) FROM instances WHERE run_id = ? GROUP BY split ORDER BY split",
	       run_id);
	while (s && sqlite3_step(s) == SQLITE_ROW)
		cJSON_AddNumberToObject(inst, store_col_text(s, 0), sqlite3_column_int(s, 1));
	sqlite3_finalize(s);
	cJSON *ro = cJSON_AddObjectToObject(j, "rollouts");
	s = q1(st, "SELECT phase, count(*), coalesce(sum(outcome), 0) FROM rollouts WHERE run_id = ? "
	       "AND status = 'done' GROUP BY phase ORDER BY phase", run_id);
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		cJSON *p = cJSON_AddObjectToObject(ro, store_col_text(s, 0));
		cJSON_AddNumberToObject(p, "done", sqlite3_column_int(s, 1));
		cJSON_AddNumberToObject(p, "solved", sqlite3_column_int(s, 2));
	}
	sqlite3_finalize(s);
	cJSON_AddNumberToObject(j, "candidates", 0);
	s = q1(st, "SELECT count(*) FROM candidates WHERE run_id = ?", run_id);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		cJSON_SetNumberValue(cJSON_GetObjectItem(j, "candidates"), sqlite3_column_int(s, 0));
	sqlite3_finalize(s);
	cJSON *stages = cJSON_AddArrayToObject(j, "stages");
	s = q1(st, "SELECT stage, round, done, total, started_at, finished_at FROM stages "
	       "WHERE run_id = ? ORDER BY started_at, rowid", run_id);
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "stage", store_col_text(s, 0));
		cJSON_AddNumberToObject(e, "round", sqlite3_column_int(s, 1));
		cJSON_AddNumberToObject(e, "done", sqlite3_column_int(s, 2));
		cJSON_AddNumberToObject(e, "total", sqlite3_column_int(s, 3));
		cJSON_AddBoolToObject(e, "finished", sqlite3_column_type(s, 5) != SQLITE_NULL);
		cJSON_AddItemToArray(stages, e);
	}
	sqlite3_finalize(s);
	add_usage(j, st, run_id);
	cJSON *u = cJSON_DetachItemFromObject(j, "usage");
	cJSON_AddNumberToObject(j, "calls", num(u, "calls"));
	cJSON_AddNumberToObject(j, "cached_calls", num(u, "cached_calls"));
	cJSON_AddNumberToObject(j, "prompt_tokens", num(u, "prompt_tokens"));
	cJSON_AddNumberToObject(j, "completion_tokens", num(u, "completion_tokens"));
	cJSON_AddNumberToObject(j, "tokens", num(u, "prompt_tokens") + num(u, "completion_tokens"));
	cJSON_AddNumberToObject(j, "cost", num(u, "cost"));
	cJSON_Delete(u);
	*out = j;
	return 0;
}

void report_print_status(FILE *fp, const cJSON *j)
{
	fprintf(fp, "run %s: %s, stage %s, round %g/%g", str(j, "run"), str(j, "state"),
		str(j, "stage"), num(j, "round"), num(j, "rounds_total"));
	if (cJSON_IsString(cJSON_GetObjectItem(j, "status")))
		fprintf(fp, ", skill %s", str(j, "status"));
	fputc('\n', fp);
	if (cJSON_IsString(cJSON_GetObjectItem(j, "error")))
		fprintf(fp, "  %s\n", str(j, "error"));
	const cJSON *it;
	fprintf(fp, "instances:");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "instances"))
		fprintf(fp, " %s %g", it->string, it->valuedouble);
	fprintf(fp, "\nrollouts:");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "rollouts"))
		fprintf(fp, " %s %g (%g solved)", it->string, num(it, "done"), num(it, "solved"));
	fprintf(fp, "\ncandidates: %g\ncalls %g (%g cached), tokens %g, cost $%.4f\n",
		num(j, "candidates"), num(j, "calls"), num(j, "cached_calls"), num(j, "tokens"),
		num(j, "cost"));
}
