#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_report(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("report");
		return 0;
	}
	return cli_not_yet("report");
}
