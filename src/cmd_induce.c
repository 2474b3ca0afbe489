#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_induce(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("induce");
		return 0;
	}
	return cli_not_yet("induce");
}
