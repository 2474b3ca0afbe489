#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_demo(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("demo");
		return 0;
	}
	return cli_not_yet("demo");
}
