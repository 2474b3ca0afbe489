/*
 * skillsmith approve ID [--reason TEXT] [--workspace DIR]  (see run_decide.c)
 */
#include "skillsmith/cli.h"

int run_decide(int argc, char **argv, const char *decision);

int cmd_approve(int argc, char **argv)
{
	return run_decide(argc, argv, "approve");
}
