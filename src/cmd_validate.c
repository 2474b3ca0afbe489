#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_validate(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("validate");
		return 0;
	}
	return cli_not_yet("validate");
}
