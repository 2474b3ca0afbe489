/*
 * Rule attribution of the selected skill (strategy.attribution): a
 * leave-one-rule-out ablation on the verification split.
 *
 * Each rule of the selected SKILL.md (attrib.h: a bullet or a paragraph)
 * is left out in turn and the variant rolled out on every verification
 * instance (phase 'attrib', candidate_id = rule number, all variants at
 * once).  Against the cached baselines and the full skill's own
 * verification, each rule gets its marginal net gain G_full - G_without.
 * The figures go to run_state "attribution" (JSON) and to events.
 *
 * Rules with no effect or a harmful one are pruned: the shorter skill is
 * one more candidate (round K + 1, parent the selected one), verified in
 * full and committed like any other; it replaces the selected skill when
 * it verifies at least as well (shorter skills are better skills), so it
 * passes the same gate.  Only an active skill is attributed.
 */
#include "pipeline_int.h"
#include "skillsmith/attrib.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/stats.h"
#include "skillsmith/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many rules are ablated (the first ones of the body). */
#define ATTRIB_MAX_RULES 24

static int insert_pruned(struct run_ctx *rc, int round, int64_t parent, const char *body,
			 size_t removed)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"INSERT INTO candidates(run_id, round, parent_id, strategy, body, skill_json, status, "
		"created_at) SELECT ?, ?, id, strategy, ?, skill_json, 'generated', ? FROM candidates "
		"WHERE id = ?");
	if (!s)
		return SS_ERR;
	store_begin(rc->st);
	sqlite3_bind_text(s, 1, rc->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, round);
	sqlite3_bind_text(s, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, ss_wall_s());
	sqlite3_bind_int64(s, 5, parent);
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 :
		ss_err_set(SS_ERR, "store: pruned candidate: %s", sqlite3_errmsg(rc->st->db));
	sqlite3_finalize(s);
	if (!r)
		r = store_event(rc->st, rc->run_id, "info", "attribute", NULL,
				"pruned candidate: the selected skill without %zu rule(s) of no or "
				"harmful effect", removed);
	if (r)
		store_rollback(rc->st);
	else
		r = store_commit(rc->st);
	return r;
}

/* Outcomes of the selected skill's verification, per verification position. */
static void full_outcomes(struct run_ctx *rc, int64_t cand, const int *inst, int n, int *base,
			  int *skill)
{
	sqlite3_stmt *s = store_prepare(rc->st,
		"SELECT base_outcome, skill_outcome FROM verdicts WHERE candidate_id = ? AND instance_id = ?");
	for (int i = 0; s && i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, cand);
		sqlite3_bind_text(s, 2, rc->insts[inst[i]].id, -1, SQLITE_STATIC);
		base[i] = skill[i] = 0;
		if (sqlite3_step(s) == SQLITE_ROW) {
			base[i] = sqlite3_column_int(s, 0);
			skill[i] = sqlite3_column_int(s, 1);
		}
	}
	sqlite3_finalize(s);
}

int pipeline_attribute(struct run_ctx *rc)
{
	if (!rc->cfg->strategy.attribution || rc->cfg->strategy.kind != STRATEGY_SKILLGEN)
		return 0;
	char *done = store_state_get(rc->st, rc->run_id, "attribution");
	if (done) {
		free(done);
		return 0;
	}
	char *status = pl_query_text(rc, "SELECT final_status FROM runs WHERE id = ?", "t", rc->run_id);
	int active = status && !strcmp(status, "active");
	free(status);
	if (!active)
		return 0;
	int64_t sel = pl_query_int(rc, 0, "SELECT selected_candidate FROM runs WHERE id = ?", "t",
				   rc->run_id);
	int sel_round = (int)pl_query_int(rc, 0, "SELECT round FROM candidates WHERE id = ?", "i", sel);
	int K = rc->cfg->strategy.rounds;
	if (sel_round > K)     /* already the pruned one (a resumed run) */
		return 0;
	char *body = pl_query_text(rc, "SELECT body FROM candidates WHERE id = ?", "i", sel);
	if (!body)
		return 0;
	struct attrib_rule *rules = NULL;
	size_t nr = 0;
	attrib_split(body, &rules, &nr);
	size_t nr_all = nr;
	if (nr > ATTRIB_MAX_RULES)
		nr = ATTRIB_MAX_RULES;
	int n_ver, r = 0;
	int *inst = pl_split(rc, "ver", &n_ver);
	int *base = xcalloc((size_t)n_ver + 1, sizeof(int));
	int *full = xcalloc((size_t)n_ver + 1, sizeof(int));
	char **variants = xcalloc(nr + 1, sizeof(char *));
	struct rbatch *b = xcalloc(nr + 1, sizeof(*b));
	struct attrib_input *in = xcalloc(nr + 1, sizeof(*in));
	struct attrib_effect *eff = xcalloc(nr + 1, sizeof(*eff));
	full_outcomes(rc, sel, inst, n_ver, base, full);

	if (nr >= 2) {
		run_progress_begin(rc, "attribute", 0, (int)nr * n_ver);
		for (size_t i = 0; i < nr; i++) {
			variants[i] = attrib_without(body, rules, nr, i);
			rbatch_init(&b[i], rc, "attrib", "attribute", (int64_t)i + 1, variants[i], inst, n_ver);
		}
		for (size_t i = 0; i < nr && !r; i++)
			r = rbatch_start(&b[i]);
		if (!r)
			r = pl_wait(rc);
	}
	if (r || nr < 2)
		goto cleanup;
	run_progress_end(rc);

	struct paired_counts fc = { 0, 0, 0, 0 };
	for (int j = 0; j < n_ver; j++)
		stats_add(&fc, base[j], full[j]);
	for (size_t i = 0; i < nr; i++)
		for (int j = 0; j < n_ver; j++) {
			stats_add(&in[i].vs_base, base[j], b[i].outcome[j] == 1);
			stats_add(&in[i].vs_full, full[j], b[i].outcome[j] == 1);
		}
	attrib_score(&fc, in, nr, eff);

	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "candidate", (double)sel);
	cJSON_AddNumberToObject(j, "round", sel_round);
	cJSON_AddNumberToObject(j, "net_gain", stats_net_gain(&fc));
	cJSON *arr = cJSON_AddArrayToObject(j, "rules");
	int helps = 0, none = 0, harm = 0;
	for (size_t i = 0; i < nr; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "rule", (double)i + 1);
		cJSON_AddStringToObject(e, "section", rules[i].section ? rules[i].section : "");
		cJSON_AddStringToObject(e, "text", rules[i].text ? rules[i].text : "");
		cJSON_AddNumberToObject(e, "g_without", eff[i].g_without);
		cJSON_AddNumberToObject(e, "marginal", eff[i].marginal);
		cJSON_AddStringToObject(e, "verdict", attrib_verdict_name(eff[i].verdict));
		cJSON_AddNumberToObject(e, "p_value", eff[i].p_value);
		cJSON_AddItemToArray(arr, e);
		helps += eff[i].verdict == ATTRIB_HELPS;
		none += eff[i].verdict == ATTRIB_NO_EFFECT;
		harm += eff[i].verdict == ATTRIB_HARMFUL;
	}

	/* the pruned candidate */
	size_t removed = 0;
	char *pruned = attrib_pruned(body, rules, nr, eff, &removed);
	struct cand pc;
	memset(&pc, 0, sizeof(pc));
	int pround = K + 1;
	if (removed > 0) {
		if (pl_cand_load(rc, pround, &pc) == SS_ENOTFOUND) {
			r = insert_pruned(rc, pround, sel, pruned, removed);
			if (!r)
				r = pl_cand_load(rc, pround, &pc);
		}
		if (!r && !pc.verified) {
			/* in full: a tie is enough for the shorter skill */
			int es = rc->cfg->strategy.early_stop;
			rc->cfg->strategy.early_stop = 0;
			int gamma = stats_gate_threshold(rc->cfg->strategy.g_abs, rc->cfg->strategy.g_rel,
							 n_ver);
			r = pl_verify(rc, &pc, gamma);
			rc->cfg->strategy.early_stop = es;
		}
		if (!r && !pc.commit)
			r = pl_commit_candidate(rc, pc.id);
	}
	if (!r) {
		int take = removed > 0 && pc.verified && pc.net_gain >= stats_net_gain(&fc);
		cJSON_AddNumberToObject(j, "pruned_rules", (double)removed);
		if (removed > 0) {
			cJSON_AddNumberToObject(j, "pruned_candidate", (double)pc.id);
			cJSON_AddNumberToObject(j, "pruned_net_gain", pc.net_gain);
		}
		cJSON_AddBoolToObject(j, "pruned_selected", take);
		char *txt = cJSON_PrintUnformatted(j);
		store_begin(rc->st);
		if (take) {
			char *sql = xasprintf("UPDATE candidates SET status = 'verified' WHERE id = %lld; "
					      "UPDATE candidates SET status = 'selected' WHERE id = %lld; "
					      "UPDATE runs SET selected_candidate = %lld WHERE id = '%s'",
					      (long long)sel, (long long)pc.id, (long long)pc.id, rc->run_id);
			r = store_exec(rc->st, sql);
			free(sql);
		}
		if (!r)
			r = store_state_set(rc->st, rc->run_id, "attribution", txt);
		if (!r)
			r = store_event(rc->st, rc->run_id, "stage", "attribute", txt,
					"attribution of %zu rules: %d help, %d no effect, %d harmful%s", nr,
					helps, none, harm,
					removed == 0 ? "" : take ? "; the pruned skill verifies as well and is selected"
								 : "; the pruned skill verifies worse and is not kept");
		if (r)
			store_rollback(rc->st);
		else
			r = store_commit(rc->st);
		free(txt);
		if (!r && take)
			r = pl_tag_selected(rc);
	}
	pl_cand_release(&pc);
	free(pruned);
	cJSON_Delete(j);
cleanup:
	for (size_t i = 0; i < nr; i++) {
		if (b[i].rc)
			rbatch_release(&b[i]);
		free(variants[i]);
	}
	free(variants);
	free(b);
	free(in);
	free(eff);
	free(base);
	free(full);
	free(inst);
	attrib_rules_free(rules, nr_all);
	free(body);
	return r;
}
