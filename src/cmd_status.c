#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_status(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("status");
		return 0;
	}
	return cli_not_yet("status");
}
