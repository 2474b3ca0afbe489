/*
 * Shared pieces of the command line.
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_usage(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (!strcmp(c->name, name)) {
			printf("usage: skillsmith %s\n\n%s\n", c->usage, c->summary);
			return;
		}
	}
	printf("unknown command '%s'\n", name);
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

char *cli_workspace(const char *opt)
{
	if (opt && *opt)
		return xstrdup(opt);
	const char *env = getenv("SKILLSMITH_WORKSPACE");
	if (env && *env)
		return xstrdup(env);
	return xstrdup(".skillsmith");
}

char *cli_store_path(const char *workspace)
{
	return xasprintf("%s/store.db", workspace);
}

int cli_not_yet(const char *name)
{
	fprintf(stderr, "skillsmith %s: not yet available in this version\n", name);
	return EXIT_CHECK;
}
