#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_watch(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("watch");
		return 0;
	}
	return cli_not_yet("watch");
}
