#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_log(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("log");
		return 0;
	}
	return cli_not_yet("log");
}
