/*
 * Trajectory: one rollout in full.  The instance, the grader's verdict,
 * tokens and latency, then every message of rollouts.trajectory (OpenAI
 * chat messages with tool calls, or Anthropic content blocks), tool calls
 * and observations included.  All of it is untrusted text: it is laid out
 * here and sanitized when drawn.
 *
 * traj_build() is shared with the pair view, which shows two of these.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *phase_label(const char *phase, int round, char *buf, size_t n)
{
	if (!strcmp(phase, "base"))
		return "baseline";
	if (!strcmp(phase, "cand"))
		snprintf(buf, n, "round %d", round);
	else if (!strcmp(phase, "edit"))
		snprintf(buf, n, "edit step %d", round);
	else if (!strcmp(phase, "test_base"))
		return "test without skill";
	else if (!strcmp(phase, "test_skill"))
		return "test with skill";
	else if (!strcmp(phase, "import"))
		return "imported";
	else
		snprintf(buf, n, "%s", phase);
	return buf;
}

static void kv(struct ui *ui, struct view *v, int w, const char *key, const char *val, int role)
{
	if (!val || !*val)
		return;
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s: %s", key, val);
	view_add_wrapped(ui, v, role, 0, 0, 2, w, b.buf);
	buf_release(&b);
}

static void add_content(struct ui *ui, struct view *v, int w, const cJSON *content)
{
	if (cJSON_IsString(content)) {
		view_add_wrapped(ui, v, ROLE_DEFAULT, 0, 0, 4, w, content->valuestring);
		return;
	}
	if (!cJSON_IsArray(content))
		return;
	const cJSON *part;
	cJSON_ArrayForEach(part, content) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
		const char *t = cJSON_IsString(type) ? type->valuestring : "";
		if (cJSON_IsString(part)) {
			view_add_wrapped(ui, v, ROLE_DEFAULT, 0, 0, 4, w, part->valuestring);
		} else if (!strcmp(t, "text")) {
			const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
			if (cJSON_IsString(text))
				view_add_wrapped(ui, v, ROLE_DEFAULT, 0, 0, 4, w, text->valuestring);
		} else if (!strcmp(t, "tool_use")) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(part, "name");
			char *in = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(part, "input"));
			char *s = xasprintf("%s call %s(%s)", glyph(ui, G_ARROW),
					    cJSON_IsString(name) ? name->valuestring : "?", in ? in : "");
			view_add_wrapped(ui, v, ROLE_ROLE_TOOL, 0, 0, 4, w, s);
			free(s);
			free(in);
		} else if (!strcmp(t, "tool_result")) {
			struct line *l = view_add_line(v, ROLE_ROLE_TOOL, 0, 0);
			line_add(l, ROLE_ROLE_TOOL, "    observation:");
			add_content(ui, v, w, cJSON_GetObjectItemCaseSensitive(part, "content"));
		} else {
			char *s = cJSON_PrintUnformatted(part);
			view_add_wrapped(ui, v, ROLE_DIM, 0, 0, 4, w, s ? s : "");
			free(s);
		}
	}
}

static void add_messages(struct ui *ui, struct view *v, int w, const char *json)
{
	cJSON *root = cJSON_Parse(json);
	if (!root) {
		struct line *l = view_add_line(v, ROLE_WARN, 0, 0);
		line_add(l, ROLE_WARN, "  the trajectory is not valid JSON; shown as stored:");
		view_add_wrapped(ui, v, ROLE_DEFAULT, 0, 0, 4, w, json);
		return;
	}
	const cJSON *msgs = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "messages");
	if (!cJSON_IsArray(msgs)) {
		char *s = cJSON_Print(root);
		view_add_wrapped(ui, v, ROLE_DEFAULT, 0, 0, 2, w, s ? s : "");
		free(s);
		cJSON_Delete(root);
		return;
	}
	struct line *l = view_add_line(v, ROLE_HEADER, 0, 0);
	line_addf(l, ROLE_HEADER, "Messages (%d)", cJSON_GetArraySize(msgs));
	const cJSON *m;
	int i = 0;
	cJSON_ArrayForEach(m, msgs) {
		i++;
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
		const char *r = cJSON_IsString(role) ? role->valuestring : "?";
		int rrole = !strcmp(r, "user") ? ROLE_ROLE_USER : !strcmp(r, "assistant") ? ROLE_ROLE_ASSISTANT
			    : !strcmp(r, "tool") ? ROLE_ROLE_TOOL : ROLE_DIM;
		l = view_add_line(v, rrole, 1, i);
		line_addf(l, ROLE_DIM, "  %d ", i);
		line_add(l, rrole, r);
		const cJSON *tcid = cJSON_GetObjectItemCaseSensitive(m, "tool_call_id");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "name");
		if (cJSON_IsString(tcid)) {
			line_add(l, ROLE_DIM, " observation for ");
			line_add(l, ROLE_DIM, tcid->valuestring);
		}
		if (cJSON_IsString(name)) {
			line_add(l, ROLE_DIM, " ");
			line_add(l, ROLE_DIM, name->valuestring);
		}
		add_content(ui, v, w, cJSON_GetObjectItemCaseSensitive(m, "content"));
		const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
		const cJSON *c;
		cJSON_ArrayForEach(c, calls) {
			const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
			const cJSON *fname = cJSON_GetObjectItemCaseSensitive(fn, "name");
			const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
			char *a = cJSON_IsString(args) ? xstrdup(args->valuestring) : cJSON_PrintUnformatted(args);
			char *s = xasprintf("%s call %s(%s)%s%s", glyph(ui, G_ARROW),
					    cJSON_IsString(fname) ? fname->valuestring : "?", a ? a : "",
					    cJSON_IsString(id) ? "  id " : "",
					    cJSON_IsString(id) ? id->valuestring : "");
			view_add_wrapped(ui, v, ROLE_ROLE_TOOL, 0, 0, 4, w, s);
			free(s);
			free(a);
		}
	}
	cJSON_Delete(root);
}

int traj_build(struct ui *ui, struct view *v, int64_t rollout, int w)
{
	sqlite3_stmt *s = store_prepare(ui->st,
		"SELECT r.instance_id, r.phase, COALESCE(c.round, r.candidate_id), r.status, r.outcome,"
		" r.score, r.output, r.trajectory, r.grader_note, r.prompt_tokens, r.completion_tokens,"
		" r.latency_ms, r.error, r.finished_at, i.split, i.type, i.input, i.expected, r.candidate_id"
		" FROM rollouts r LEFT JOIN candidates c ON c.id = r.candidate_id"
		" LEFT JOIN instances i ON i.run_id = r.run_id AND i.id = r.instance_id WHERE r.id = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_int64(s, 1, rollout);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		struct line *l = view_add_line(v, ROLE_WARN, 0, 0);
		line_addf(l, ROLE_WARN, "rollout %lld not found", (long long)rollout);
		return 0;
	}
	char pb[32];
	const char *status = col_text(s, 3);
	int has_outcome = sqlite3_column_type(s, 4) != SQLITE_NULL;
	int outcome = sqlite3_column_int(s, 4);
	struct line *l = view_add_line(v, ROLE_DEFAULT, 0, 0);
	line_add(l, ROLE_ACCENT, col_text(s, 0));
	line_addf(l, ROLE_DIM, "  %s %s ", col_text(s, 14), col_text(s, 15));
	line_add(l, ROLE_DEFAULT, phase_label(col_text(s, 1), sqlite3_column_int(s, 2), pb, sizeof(pb)));
	line_addf(l, ROLE_DIM, "  rollout %lld  ", (long long)rollout);
	if (!strcmp(status, "done") && has_outcome) {
		line_add(l, outcome ? ROLE_PASS : ROLE_FAIL, glyph(ui, outcome ? G_PASS : G_FAIL));
		line_add(l, outcome ? ROLE_PASS : ROLE_FAIL, outcome ? " pass" : " fail");
		if (sqlite3_column_type(s, 5) != SQLITE_NULL)
			line_addf(l, ROLE_DIM, " (score %.2f)", sqlite3_column_double(s, 5));
	} else {
		int err = !strcmp(status, "error");
		line_add(l, err ? ROLE_ERROR : ROLE_RUNNING,
			 glyph(ui, err ? G_ERROR : !strcmp(status, "running") ? G_RUNNING : G_PENDING));
		line_add(l, err ? ROLE_ERROR : ROLE_RUNNING, " ");
		line_add(l, err ? ROLE_ERROR : ROLE_RUNNING, status);
	}
	l = view_add_line(v, ROLE_DEFAULT, 0, 0);
	char lat[32];
	snprintf(lat, sizeof(lat), "%.1fs", sqlite3_column_int(s, 11) / 1000.0);
	line_addf(l, ROLE_DIM, "  tokens %d in, %d out  latency %s", sqlite3_column_int(s, 9),
		  sqlite3_column_int(s, 10), lat);
	kv(ui, v, w, "grader", col_text(s, 8), ROLE_DEFAULT);
	kv(ui, v, w, "error", col_text(s, 12), ROLE_BAD);
	kv(ui, v, w, "input", col_text(s, 16), ROLE_DEFAULT);
	kv(ui, v, w, "expected", col_text(s, 17), ROLE_DEFAULT);
	kv(ui, v, w, "output", col_text(s, 6), ROLE_DEFAULT);

	/* the paired verdict for a candidate rollout */
	int64_t cand = sqlite3_column_int64(s, 18);
	char *traj = sqlite3_column_type(s, 7) == SQLITE_NULL ? NULL : xstrdup(col_text(s, 7));
	char *inst = xstrdup(col_text(s, 0));
	sqlite3_finalize(s);
	if (cand) {
		s = store_prepare(ui->st, "SELECT base_outcome, skill_outcome, analysis FROM verdicts"
				  " WHERE candidate_id = ? AND instance_id = ?");
		if (s) {
			sqlite3_bind_int64(s, 1, cand);
			sqlite3_bind_text(s, 2, inst, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(s) == SQLITE_ROW) {
				int b = sqlite3_column_int(s, 0), k = sqlite3_column_int(s, 1);
				l = view_add_line(v, ROLE_DEFAULT, 0, 0);
				line_add(l, ROLE_DEFAULT, "  verdict: baseline ");
				line_add(l, b ? ROLE_PASS : ROLE_FAIL, glyph(ui, b ? G_PASS : G_FAIL));
				line_add(l, ROLE_DEFAULT, " with skill ");
				line_add(l, k ? ROLE_PASS : ROLE_FAIL, glyph(ui, k ? G_PASS : G_FAIL));
				line_add(l, ROLE_DEFAULT, "  ");
				if (!b && k)
					line_addf(l, ROLE_REPAIR, "%s repair", glyph(ui, G_UP));
				else if (b && !k)
					line_addf(l, ROLE_REGRESSION, "%s regression", glyph(ui, G_DOWN));
				else
					line_add(l, ROLE_DIM, b ? "both pass" : "unresolved");
				const char *an = col_text(s, 2);
				char *eff = json_field(an, "effect"), *why = json_field(an, "why");
				char *sug = json_field(an, "suggestion");
				kv(ui, v, w, "effect", eff, ROLE_DEFAULT);
				kv(ui, v, w, "why", why, ROLE_DEFAULT);
				kv(ui, v, w, "suggestion", sug, ROLE_DEFAULT);
				free(eff);
				free(why);
				free(sug);
			}
			sqlite3_finalize(s);
		}
	}
	view_add_line(v, ROLE_DEFAULT, 0, 0);
	if (traj && *traj) {
		add_messages(ui, v, w, traj);
	} else {
		l = view_add_line(v, ROLE_DIM, 0, 0);
		line_add(l, ROLE_DIM, "  no trajectory recorded");
	}
	free(traj);
	free(inst);
	return 0;
}

static int traj_read(struct view *v, struct ui *ui)
{
	size_t keep = v->lineno;
	int64_t *shown = v->priv;
	if (!shown) {
		shown = xcalloc(1, sizeof(*shown));
		v->priv = shown;
	}
	if (*shown != ui->traj_rollout)
		keep = 0;
	*shown = ui->traj_rollout;
	view_clear_lines(v);
	int rc = traj_build(ui, v, ui->traj_rollout, ui->cols);
	v->lineno = keep < v->lines ? keep : 0;
	snprintf(v->status, sizeof(v->status), "trajectory of rollout %lld: Esc back",
		 (long long)ui->traj_rollout);
	return rc;
}

static int traj_open(struct view *v, struct ui *ui)
{
	v->wraps = 1;
	return 0;
}

static void traj_done(struct view *v)
{
	free(v->priv);
	v->priv = NULL;
}

const struct view_ops traj_ops = {
	.name = "trajectory",
	.title = "Trajectory",
	.open = traj_open,
	.read = traj_read,
	.draw = NULL,
	.request = NULL,
	.select = NULL,
	.done = traj_done,
};
