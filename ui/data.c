/*
 * Reading the run from the store: the shared run summary and small
 * helpers the views use.  Reads never wait on the engine: the store is in
 * WAL mode, readers see the last commit.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

const char *col_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

static char *dup_col(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return NULL;
	return xstrdup(col_text(s, col));
}

static void run_info_release(struct run_info *r)
{
	free(r->id);
	free(r->strategy);
	free(r->state);
	free(r->stage);
	free(r->final_status);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

int data_load_run(struct ui *ui)
{
	if (ui->follow_latest) {
		char *latest = store_latest_run(ui->st);
		if (latest && (!ui->run_id || strcmp(latest, ui->run_id))) {
			free(ui->run_id);
			ui->run_id = latest;
		} else {
			free(latest);
		}
	}
	run_info_release(&ui->run);
	ui->run.gate_threshold = -1;
	if (!ui->run_id)
		return SS_ENOTFOUND;
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id, strategy, state, stage, final_status, error, round, rounds_total,"
		" gate_threshold, selected_candidate, created_at, updated_at, heartbeat, seed"
		" FROM runs WHERE id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	int rc = SS_ENOTFOUND;
	if (sqlite3_step(s) == SQLITE_ROW) {
		struct run_info *r = &ui->run;
		r->id = dup_col(s, 0);
		r->strategy = dup_col(s, 1);
		r->state = dup_col(s, 2);
		r->stage = dup_col(s, 3);
		r->final_status = dup_col(s, 4);
		r->error = dup_col(s, 5);
		r->round = sqlite3_column_int(s, 6);
		r->rounds_total = sqlite3_column_int(s, 7);
		r->gate_threshold = sqlite3_column_type(s, 8) == SQLITE_NULL ? -1
				    : sqlite3_column_int(s, 8);
		r->selected_candidate = sqlite3_column_int64(s, 9);
		r->created_at = sqlite3_column_int64(s, 10);
		r->updated_at = sqlite3_column_int64(s, 11);
		r->heartbeat = sqlite3_column_int64(s, 12);
		r->seed = sqlite3_column_int64(s, 13);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

int data_candidate_round(struct ui *ui, int64_t cand_id)
{
	sqlite3_stmt *s = store_prepare(ui->st, "SELECT round FROM candidates WHERE id = ?");
	if (!s)
		return 0;
	sqlite3_bind_int64(s, 1, cand_id);
	int r = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return r;
}

int64_t data_round_candidate(struct ui *ui, int round)
{
	if (!ui->run_id)
		return 0;
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT id FROM candidates WHERE run_id = ? AND round = ?");
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, ui->run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, round);
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return id;
}

char *json_field(const char *json, const char *field)
{
	if (!json || !*json)
		return NULL;
	cJSON *root = cJSON_Parse(json);
	if (!root)
		return NULL;
	char *out = NULL;
	cJSON *f = cJSON_GetObjectItemCaseSensitive(root, field);
	if (cJSON_IsString(f))
		out = xstrdup(f->valuestring);
	else if (f && !cJSON_IsNull(f))
		out = cJSON_PrintUnformatted(f);
	cJSON_Delete(root);
	return out;
}
