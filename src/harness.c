/*
 * harness_rollout(): dispatch on the configured harness.
 */
#include "skillsmith/harness.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"

int harness_rollout(struct harness_ctx *ctx, const struct harness_instance *inst,
		    const char *skill_md, harness_done_fn done, void *payload)
{
	switch (ctx->cfg->agent.harness) {
	case HARNESS_CHAT:
		return harness_chat_rollout(ctx, inst, skill_md, done, payload);
	case HARNESS_TOOLS:
		return harness_tools_rollout(ctx, inst, skill_md, done, payload);
	case HARNESS_COMMAND:
		return harness_command_rollout(ctx, inst, skill_md, done, payload);
	}
	return ss_err_set(SS_EINPUT, "agent.harness: '%s' is not available in this build",
			  harness_kind_name(ctx->cfg->agent.harness));
}
