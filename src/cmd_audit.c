#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_audit(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("audit");
		return 0;
	}
	return cli_not_yet("audit");
}
