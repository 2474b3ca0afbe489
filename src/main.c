/*
 * skillsmith: train agent skills, verify them, keep only what helps.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cli_command cli_commands[] = {
	{ "demo", cmd_demo, "demo [--headless] [--workspace DIR] [--seed N] [--strategy S]",
	  "start the simulator and a live demo run in the dashboard" },
	{ "run", cmd_run, "run CONFIG [--headless] [--workspace DIR]",
	  "start or resume a run" },
	{ "watch", cmd_watch, "watch [RUN] [--workspace DIR] [--readonly]",
	  "attach the dashboard to a running or finished run" },
	{ "status", cmd_status, "status [RUN] [--json]",
	  "stage, round, counts, tokens, cost" },
	{ "report", cmd_report, "report [RUN] [--json|--md]",
	  "results: per-round G, gate, test delta, repairs, regressions" },
	{ "import", cmd_import, "import FILE [--map FIELD=PATH ...] [--threshold X] [--config CONFIG] [--name NAME] [--workspace DIR]",
	  "bring existing trajectories" },
	{ "induce", cmd_induce, "induce [RUN] [--config CONFIG] [--workspace DIR] [--quiet]",
	  "run contrastive induction on imported trajectories" },
	{ "log", cmd_log, "log [RUN] [--newest-first] [-v] [--json] [--workspace DIR]",
	  "candidate history from the skill repo" },
	{ "diff", cmd_diff, "diff A [B] [--color=auto|always|never] [--run RUN] [--workspace DIR]",
	  "diff two candidates with libgit2" },
	{ "approve", cmd_approve, "approve ID [--reason TEXT]",
	  "approve a pending edit or candidate" },
	{ "reject", cmd_reject, "reject ID [--reason TEXT]",
	  "reject a pending edit or candidate" },
	{ "audit", cmd_audit, "audit PATH|RUN [--severity LEVEL] [--json]",
	  "pre-deployment audit of a skill" },
	{ "validate", cmd_validate, "validate PATH | --config FILE | --tasks FILE",
	  "Agent Skills conformance of a skill folder" },
	{ "export", cmd_export, "export [RUN] --to DIR [--force] [--workspace DIR]",
	  "write the selected skill as an Agent Skills folder" },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: skillsmith [--version] [--help] COMMAND [ARGS]\n\n"
		"Train agent skills and keep only those that verifiably help.\n\n"
		"Commands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nEvery command takes --workspace DIR (default $SKILLSMITH_WORKSPACE,\n"
		"else ./.skillsmith).  'skillsmith COMMAND --help' shows its options;\n"
		"'man skillsmith' has the whole manual.\n\n"
		"Exit codes: 0 success, 1 a check did not pass, 2 bad input,\n"
		"3 provider or environment failure after retries.\n");
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (argc < 2) {
		usage(stderr);
		return EXIT_INPUT;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		if (argc > 2 && strcmp(cmd, "help") == 0) {
			cli_usage(argv[2]);
			return EXIT_OK;
		}
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("skillsmith %s\n", SKILLSMITH_VERSION);
		return EXIT_OK;
	}
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, cmd))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return EXIT_INPUT;
}
