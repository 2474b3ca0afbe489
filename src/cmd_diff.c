#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_diff(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("diff");
		return 0;
	}
	return cli_not_yet("diff");
}
