#ifndef SKILLSMITH_PIPELINE_INT_H
#define SKILLSMITH_PIPELINE_INT_H
/*
 * Private to the engine (src/pipeline*.c): auxiliary calls, batches of
 * rollouts, and small store helpers shared by the stages.
 */
#include "skillsmith/pipeline.h"
#include "skillsmith/prompts.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>

/* ---- auxiliary calls (optimizer model, structured JSON) ---- */

struct aux_call;
typedef void (*aux_done_fn)(struct aux_call *c, void *payload);

struct aux_call {
	enum prompt_id id;
	cJSON *data;             /* the DATA object; owned */
	const char *stage;       /* accounting stage */
	int max_tokens;          /* 0: the optimizer's max_tokens */
	cJSON *result;           /* the checked response; owned */
	int status;              /* 0 ok, < 0 failed (error set) */
	char *error;
	int tries;
	int finished;
	struct run_ctx *rc;
	aux_done_fn done;        /* optional: runs once the result is in (store writes) */
	void *payload;
};

/* Queue `c` (filled by the caller: id, data, stage).  Returns 0 or < 0. */
int aux_submit(struct run_ctx *rc, struct aux_call *c);
void aux_release(struct aux_call *c);

/* Drive the loop until nothing is pending; the first fatal status or 0. */
int pl_wait(struct run_ctx *rc);
/* Record a fatal status for the stage (the first one wins). */
void pl_fail(struct run_ctx *rc, int status);

struct harness_ctx;

/* ---- rollouts ---- */

/* A batch of rollouts of one phase and candidate over some instances. */
struct rbatch {
	struct run_ctx *rc;
	const char *phase;       /* base | cand | test_base | test_skill */
	const char *stage;       /* accounting / progress stage */
	int64_t cand;            /* candidate id, 0 for no skill */
	const char *skill_md;    /* NULL: no skill */
	int n;
	int *inst;               /* instance index of each position (processing order) */
	int *outcome;            /* -1 until known */
	int64_t *rid;            /* rollout row id of each position */
	int window;              /* > 0: at most this many in flight (early stopping) */
	/* early stopping: called whenever the known prefix grows; returns
	   non-zero to stop after `prefix` positions */
	int (*stop_fn)(struct rbatch *b, int prefix, void *payload);
	void *stop_payload;
	int next;                /* next position to submit */
	int inflight;
	int prefix;              /* positions 0..prefix-1 known */
	int stop_at;             /* -1, or the prefix length at which it stopped */
	int done_new;            /* rollouts completed by this process */
	int status;
	struct harness_ctx *hctx;
};

/* Prepare a batch over the `n` instance indices (copied). */
void rbatch_init(struct rbatch *b, struct run_ctx *rc, const char *phase, const char *stage,
		 int64_t cand, const char *skill_md, const int *inst, int n);
/* Load finished rollouts, submit the rest (or the first window). */
int rbatch_start(struct rbatch *b);
/* Positions that will count: stop_at, or n. */
int rbatch_counted(const struct rbatch *b);
void rbatch_release(struct rbatch *b);

/* ---- helpers ---- */

/* Index of instance `id` in rc->insts, or -1. */
int pl_inst_index(struct run_ctx *rc, const char *id);
/* Instance indices of a split, in file order (malloc'd, count in *n). */
int *pl_split(struct run_ctx *rc, const char *split, int *n);
/* One int / text value of a query with up to 3 text/int binds ("t"/"i" kinds). */
int64_t pl_query_int(struct run_ctx *rc, int64_t dflt, const char *sql, const char *kinds, ...);
char *pl_query_text(struct run_ctx *rc, const char *sql, const char *kinds, ...);
/* A rollout as prompt data: {id, type, input, expected, output, grader_note,
   trajectory} with long texts clipped. */
cJSON *pl_rollout_json(struct run_ctx *rc, int64_t rollout_id, int with_trajectory);
/* A seed derived from the run seed and a purpose string. */
uint64_t pl_seed(struct run_ctx *rc, const char *purpose, int n);

/* ---- candidates ---- */

struct cand {
	int64_t id;
	int round;
	char *body;
	cJSON *skill;
	int verified;
	int early_stopped;
	int net_gain;
	int m;
	char *commit;
};

/* Load the candidate of `round`: 0, or SS_ENOTFOUND. */
int pl_cand_load(struct run_ctx *rc, int round, struct cand *c);
void pl_cand_release(struct cand *c);
/* Verify `c` on every verification instance (paired with the baseline),
   writing verdicts and counts; early stopping as the config says. */
int pl_verify(struct run_ctx *rc, struct cand *c, int gamma);

/*
 * Approval by hand of a SkillGen candidate before it is verified (policy
 * "candidates" or "edits": a refinement is the edit to approve).  Waits for
 * a decision; a rejected candidate is marked so, gets the reason as its
 * feedback for the next refinement, and is neither verified nor committed
 * (*rejected set).  A candidate already decided returns at once.
 */
int pl_approve_candidate(struct run_ctx *rc, int64_t cand_id, int round, int *rejected);

/* ---- skills ---- */

/* Render SKILL.md from the structured skill JSON; name to *name_out. */
char *pl_skill_render(const cJSON *skill, int round, char **name_out);

/* ---- the skill repository ---- */

/* Commit candidate `cand_id` (verified) with its metrics; sets commit_oid. */
int pl_commit_candidate(struct run_ctx *rc, int64_t cand_id);
/* Tag the run's selected candidate active|deprecated, note the metrics. */
int pl_tag_selected(struct run_ctx *rc);

/* ---- stage 2 data for generation (Z) ---- */

/* Z as the DATA of the skill prompts: task_summary, failure_clusters[],
   success_clusters[], pairs[] (capped and labelled F1.., S1.., P1..). */
cJSON *pl_z_json(struct run_ctx *rc);

#endif
