#ifndef SKILLSMITH_CLI_H
#define SKILLSMITH_CLI_H
/*
 * Commands of the `skillsmith` binary.  Each is `cmd_NAME(argc, argv)` with
 * argv[0] the command name, returning an exit code (enum ss_exit).  Each
 * lives in src/cmd_NAME.c (ui/ for those that draw).
 */

int cmd_demo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_induce(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_reject(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* One line of help per command, for `skillsmith --help`. */
struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;   /* "run CONFIG [--headless] [--workspace DIR]" */
	const char *summary; /* one line */
};
extern const struct cli_command cli_commands[];

/* Print the usage line and summary of `name` to stdout. */
void cli_usage(const char *name);
/* True if argv holds -h or --help (before a "--"). */
int cli_wants_help(int argc, char **argv);

/*
 * The workspace directory: `opt` if given, else $SKILLSMITH_WORKSPACE, else
 * "./.skillsmith".  Returns a malloc'd string.
 */
char *cli_workspace(const char *opt);
/* "<workspace>/store.db", malloc'd. */
char *cli_store_path(const char *workspace);

struct store;
/*
 * Open the store of `workspace` and resolve `run` (NULL: the latest run).
 * On success *st and *run_id (malloc'd) are set.  Returns 0, SS_ENOTFOUND
 * (no store, no run, or no such run; message set) or < 0.
 */
int cli_open_run(struct store **st, char **run_id, const char *workspace, const char *run);

/* A command that a later version provides: says so, exits 1. */
int cli_not_yet(const char *name);

#endif
