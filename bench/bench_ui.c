/*
 * Dashboard benchmarks, TSV rows "figure<TAB>value<TAB>unit<TAB>aim":
 *   - one frame of the rollout grid, 5,000 instances x 10 columns, at
 *     200x50 (draw and screen update to /dev/null), mean over many frames
 *     scrolled a page at a time;
 *   - reloading the grid model of a run with 50,000 rollouts from the store;
 *   - peak resident memory of `watch` on that run (overview, grid, a
 *     trajectory, refreshes), the store built in a child process first.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"
#include "skillsmith/store.h"
#include "skillsmith/ui.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_INST 5000
#define N_ROUNDS 8

static double frame_ms(void)
{
	FILE *out = fopen("/dev/null", "w");
	FILE *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	if (!scr) {
		fprintf(stderr, "bench_ui: cannot set up a terminal\n");
		exit(1);
	}
	set_term(scr);
	resize_term(50, 200);
	struct ui *ui = xcalloc(1, sizeof(*ui));
	ui->utf8 = 1;
	ui->rows = 50;
	ui->cols = 200;
	ui->layout_stacked = -1;
	start_color();
	use_default_colors();
	theme_init(&ui->theme);
	theme_apply(&ui->theme, COLORS >= 256 ? COLOR_MODE_256 : COLOR_MODE_8);
	struct view *v = &ui->views[VIEW_GRID];
	v->ops = &grid_ops;
	v->id = VIEW_GRID;
	grid_attach(v, grid_synthetic(N_INST, N_ROUNDS + 2));
	/* warm up */
	grid_ops.draw(v, ui, 1, 48);
	doupdate();
	int frames = 400;
	int64_t t0 = ss_now_us();
	for (int i = 0; i < frames; i++) {
		v->lineno = ((size_t)i * 45) % v->lines;
		grid_ops.draw(v, ui, 1, 48);
		wnoutrefresh(stdscr);
		doupdate();
	}
	int64_t t1 = ss_now_us();
	grid_ops.done(v);
	view_clear_lines(v);
	free(v->line);
	theme_release(&ui->theme);
	free(ui);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	return (double)(t1 - t0) / 1000.0 / frames;
}

static void build_store(const char *path)
{
	struct store *st;
	if (store_open(&st, path, 0) < 0) {
		fprintf(stderr, "bench_ui: %s\n", ss_err_last());
		exit(1);
	}
	store_begin(st);
	store_exec(st, "INSERT INTO runs (id, created_at, updated_at, config_json, strategy, seed,"
		   " state, stage, round, rounds_total, gate_threshold)"
		   " VALUES ('big', 1800000000, 1800000000, '{}', 'skillgen', 1, 'running', 'verify',"
		   " 8, 8, 2)");
	sqlite3_stmt *ins = store_prepare(st, "INSERT INTO instances (run_id, id, idx, split, type, input)"
					  " VALUES ('big', ?, ?, 'ver', ?, 'question text of the instance')");
	for (int i = 0; i < N_INST; i++) {
		char id[32];
		snprintf(id, sizeof(id), "inst-%05d", i);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 2, i);
		sqlite3_bind_text(ins, 3, i % 3 ? "date" : "arith", -1, SQLITE_STATIC);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_stmt *c = store_prepare(st, "INSERT INTO candidates (id, run_id, round, strategy, body,"
					" status, net_gain, n00, n01, n10, n11, m, created_at)"
					" VALUES (?, 'big', ?, 'skillgen', 'skill body', 'verified', 1, 1, 2, 1, 1, 5, 1800000000)");
	for (int r = 1; r <= N_ROUNDS; r++) {
		sqlite3_bind_int(c, 1, r);
		sqlite3_bind_int(c, 2, r);
		sqlite3_step(c);
		sqlite3_reset(c);
	}
	sqlite3_finalize(c);
	sqlite3_stmt *ro = store_prepare(st, "INSERT INTO rollouts (run_id, instance_id, phase, candidate_id,"
					 " status, outcome, output, trajectory, created_at)"
					 " VALUES ('big', ?, ?, ?, 'done', ?, 'answer', ?, 1800000000)");
	struct ss_rng rng;
	ss_rng_seed(&rng, 1);
	const char *traj = "{\"messages\":[{\"role\":\"user\",\"content\":\"question text of the instance\"},"
			   "{\"role\":\"assistant\",\"content\":\"a short answer with its reasoning, two sentences"
			   " long, as a small model writes it.\"}]}";
	for (int i = 0; i < N_INST; i++) {
		char id[32];
		snprintf(id, sizeof(id), "inst-%05d", i);
		for (int col = 0; col < N_ROUNDS + 2; col++) {
			const char *phase = col == 0 ? "base" : col <= N_ROUNDS ? "cand" : "test_skill";
			sqlite3_bind_text(ro, 1, id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ro, 2, phase, -1, SQLITE_STATIC);
			sqlite3_bind_int(ro, 3, col <= N_ROUNDS ? col : 0);
			sqlite3_bind_int(ro, 4, (int)ss_rng_below(&rng, 2));
			sqlite3_bind_text(ro, 5, traj, -1, SQLITE_STATIC);
			sqlite3_step(ro);
			sqlite3_reset(ro);
		}
	}
	sqlite3_finalize(ro);
	store_commit(st);
	store_close(st);
}

static double reload_ms(const char *path)
{
	struct ui *ui = xcalloc(1, sizeof(*ui));
	if (store_open(&ui->st, path, STORE_READONLY) < 0)
		exit(1);
	ui->run_id = xstrdup("big");
	data_load_run(ui);
	struct view *v = &ui->views[VIEW_GRID];
	v->ops = &grid_ops;
	int n = 5;
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	int64_t t0 = ss_now_us();
	for (int i = 0; i < n; i++)
		grid_ops.read(v, ui);
	int64_t t1 = ss_now_us();
	getrusage(RUSAGE_SELF, &r1);
	double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e3
		     + (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e3;
	printf("ui grid reload CPU, 50000 rollouts\t%.1f\tms\t<100\n", cpu / n);
	grid_ops.done(v);
	view_clear_lines(v);
	free(v->line);
	store_close(ui->st);
	free(ui->run_id);
	free(ui->run.id);
	free(ui->run.strategy);
	free(ui->run.state);
	free(ui->run.stage);
	free(ui);
	return (double)(t1 - t0) / 1000.0 / n;
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	setenv("TERM", "xterm-256color", 1);
	printf("ui grid frame 5000x10 at 200x50\t%.3f\tms\t<5\n", frame_ms());

	char dir[] = "/tmp/bench-ui.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *db = xasprintf("%s/store.db", dir);
	pid_t pid = fork();
	if (pid == 0) {
		build_store(db);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 1;

	char *script = xasprintf("%s/script", dir);
	const char *keys = ":resize 200x50\n2\nG\n<Enter>\n<Esc>\n<C-d><C-d>\nf\nf\nf\n1\n:refresh\n2\n:refresh\n";
	ss_write_file(script, keys, strlen(keys));
	setenv("SKILLSMITH_UI_SCRIPT", script, 1);
	FILE *out = fopen("/dev/null", "w");
	struct ui_options o = UI_OPTIONS_INIT;
	o.store_path = db;
	o.readonly = 1;
	o.out = out;
	if (ui_main(&o) < 0) {
		fprintf(stderr, "bench_ui: %s\n", ss_err_last());
		return 1;
	}
	fclose(out);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("ui watch peak RSS, 50000 rollouts\t%.1f\tMB\t<64\n", ru.ru_maxrss / 1024.0);
	double wall = reload_ms(db);
	printf("ui grid reload wall, 50000 rollouts\t%.1f\tms\t<200\n", wall);

	if (getenv("BENCH_UI_KEEP")) {
		printf("# kept %s\n", db);
		return 0;
	}
	unlink(script);
	unlink(db);
	char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
	unlink(wal);
	unlink(shm);
	rmdir(dir);
	free(wal);
	free(shm);
	free(script);
	free(db);
	return 0;
}
