#ifndef SKILLSMITH_PIPELINE_H
#define SKILLSMITH_PIPELINE_H
/*
 * The run engine: the SkillGen state machine and its stages.
 *
 *   baseline   no-skill rollouts on induction and verification (phase
 *              'base', candidate 0); verification baselines are reused by
 *              every round
 *   induce     task summary, per-rollout summaries, embeddings, k-means,
 *              cluster summaries, contrastive pairs (pipeline_induce)
 *   generate   s(1) from Z, later rounds refine s(r-1) with feedback
 *   verify     paired rollouts of each candidate on every verification
 *              instance (phase 'cand'), counts, verdicts
 *   feedback   case analyses of repairs / regressions / unresolved
 *              failures, aggregated into keep / remove / add / emphasize
 *   select     best-of-K by net gain, the gate, tag + note in the repo
 *   test       paired held-out rollouts (phases 'test_base', 'test_skill')
 *
 * Every step is idempotent against the store: what is already recorded is
 * not done again, so a run killed at any moment resumes where it stopped
 * by running the same command.  Results never depend on completion order:
 * they are collected keyed by instance and processed in a fixed order.
 *
 * For the induce work (cmd_induce): open a context on an existing run with
 * run_ctx_open(), then call pipeline_induce().  Stage 2 reads the run's
 * rollouts of phase 'base' on split 'ind' and of phase 'import' (any split),
 * so imported trajectories are induced offline with the local embedding
 * (embeddings.kind "local").
 */
#include <stdint.h>
#include <stdio.h>

struct config;
struct store;
struct llm;
struct cJSON;
struct grader_config;
struct vcs;

/* Options of run_ctx_start(). */
struct run_options {
	const char *workspace;   /* NULL: cli_workspace(NULL) */
	int force_new;           /* --new: never resume, never print a finished run */
	int headless;            /* progress lines on stderr */
	int quiet;               /* no progress lines at all */
	int has_seed;            /* override the config's seed (demo --seed) */
	int64_t seed;
	const char *strategy;    /* override strategy.kind (demo --strategy), or NULL */
};
#define RUN_OPTIONS_INIT { NULL, 0, 1, 0, 0, 0, NULL }

/* One task instance of the run (the instances table, in file order). */
struct run_inst {
	char *id;
	int idx;                 /* position in the task file */
	char *split;             /* ind | ver | test | import */
	char *type;              /* NULL when the task has none */
	char *input;
	char *expected;
	struct cJSON *metadata;  /* NULL when none */
	struct grader_config *grader; /* per-instance override, or NULL */
};

/* The engine state of one run.  Owned by run_ctx_free(). */
struct run_ctx {
	struct config *cfg;
	struct store *st;
	struct llm *llm;         /* NULL until run_ctx_connect() */
	struct vcs *vcs;         /* the skill repository, opened on first use */
	char *run_id;
	char *workspace;
	char *skills_dir;        /* <workspace>/skills */
	char *state;             /* runs.state when opened */
	int created;             /* 1 if this context created the run */
	int headless, quiet;
	int status;              /* first fatal status of the current stage */
	struct run_inst *insts;  /* loaded by run_load_instances() */
	int nr_insts;
	/* progress of the current stage (headless lines, stages table) */
	const char *stage;
	int round;
	int done, total;
	int64_t stage_t0_ms;
	int64_t last_print_ms;
	int64_t last_store_ms;
};

/*
 * Load `config_path`, open the workspace store and find the run of that
 * config: an unfinished run with the same config identity is resumed, a
 * finished one is returned as is (rc->state "done"), else (or with
 * force_new) a new run "<name>-<n>" is created with its instances split.
 * The identity leaves out provider connection settings and budget caps,
 * so a stopped run resumes with a higher cap or another port.
 * Returns 0, SS_EINPUT (bad config or tasks; message set), or < 0.
 */
int run_ctx_start(struct run_ctx **out, const char *config_path,
		  const struct run_options *opt);

/*
 * Open an existing run of the workspace (`run_id` NULL: the latest) with
 * the config snapshot stored in the run.  For status, report, induce.
 */
int run_ctx_open(struct run_ctx **out, const char *workspace, const char *run_id);

/* Create the LLM client (llm_new) for the run.  Needed before any stage. */
int run_ctx_connect(struct run_ctx *rc);

void run_ctx_free(struct run_ctx *rc);

/*
 * Run (or resume) every stage to the end.  Returns 0 when done,
 * SS_EBUDGET / SS_ESTOPPED when stopped cleanly (runs.state 'stopped'),
 * SS_EPROVIDER or another < 0 on failure (runs.state 'failed' / 'stopped'
 * with runs.error set).
 */
int pipeline_run(struct run_ctx *rc);

/* The stages, each idempotent; pipeline_run() calls them in order. */
int pipeline_baseline(struct run_ctx *rc);
int pipeline_induce(struct run_ctx *rc);
int pipeline_rounds(struct run_ctx *rc);
int pipeline_select(struct run_ctx *rc);
/*
 * Leave-one-rule-out attribution of an active selected skill on the
 * verification split (strategy.attribution); a pruned candidate (round
 * K + 1) replaces it when it verifies at least as well.  Results in
 * run_state "attribution" (JSON: rules[] {rule, section, text, g_without,
 * marginal, verdict, p_value}, pruned_rules, pruned_selected).
 */
int pipeline_attribute(struct run_ctx *rc);
int pipeline_test(struct run_ctx *rc);

/*
 * The edit strategy (SkillOpt), used instead of induce + rounds + select
 * when strategy.kind is "edit": epochs of steps that roll out the current
 * skill on a batch, propose bounded edits, apply at most the learning rate
 * in force, and keep a candidate only if it strictly improves on the
 * verification split (pipeline_edit.c).
 */
int pipeline_edit_steps(struct run_ctx *rc);
int pipeline_edit_select(struct run_ctx *rc);
/* Per-step figures of an edit run for the report (NULL for other runs). */
struct cJSON *pipeline_edit_report(struct store *st, const char *run_id);

/*
 * Ask a running pipeline to stop (from a signal handler: only sets a flag
 * and calls llm_stop()).  pipeline_install_signals() routes SIGINT and
 * SIGTERM here for `rc`.
 */
void pipeline_request_stop(void);
int pipeline_stop_requested(void);
void pipeline_install_signals(struct run_ctx *rc);

/* Progress: start a stage (total units), count units done, finish. */
void run_progress_begin(struct run_ctx *rc, const char *stage, int round, int total);
void run_progress_add(struct run_ctx *rc, int n);
void run_progress_end(struct run_ctx *rc);

/* Load rc->insts from the store (idempotent). */
int run_load_instances(struct run_ctx *rc);

/* Set runs.state / stage / round / error (error NULL clears it). */
int run_set_state(struct run_ctx *rc, const char *state, const char *error);
int run_set_stage(struct run_ctx *rc, const char *stage, int round);

/*
 * For the commands: refuse if another live process executes the run, then
 * run it with signals routed to a clean stop, print the report on stdout.
 * With `dashboard` (and a terminal) the engine runs on its own thread
 * while ui_run_attach() shows the run; quitting the dashboard early stops
 * the run cleanly (resumable).  Returns an exit code (0, 3 provider or
 * budget, 130 stopped, ...).
 */
int run_execute(struct run_ctx *rc, int dashboard);

/* Print the short final summary (status, gate, test delta, usage) to `fp`. */
void run_print_summary(struct run_ctx *rc, FILE *fp);

#endif
