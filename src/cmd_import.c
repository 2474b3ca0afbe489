#include "skillsmith/cli.h"
#include <stdio.h>

int cmd_import(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("import");
		return 0;
	}
	return cli_not_yet("import");
}
