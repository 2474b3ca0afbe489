/*
 * skillsmith audit PATH|RUN [--severity LEVEL] [--json|--sarif] [--workspace DIR]
 *
 * Exit 1 when a finding is at or above LEVEL (default medium), 0 when
 * none is, 2 on bad input (no such path, unknown run, bad option).
 */
#include "skillsmith/audit.h"
#include "skillsmith/buf.h"
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "--opt VALUE" or "--opt=VALUE"; advances *i.  NULL when not this option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int audit_from_store(struct audit_report *r, const char *workspace, const char *run)
{
	char *path = cli_store_path(workspace);
	struct stat sb;
	struct store *st = NULL;
	int ret;
	if (stat(path, &sb)) {
		ret = ss_err_set(SS_ENOTFOUND, "'%s' is neither a skill folder nor a run "
				 "(no store at '%s')", run, path);
		goto cleanup;
	}
	ret = store_open(&st, path, STORE_READONLY);
	if (ret < 0) {
		ss_err_prefix(ret, "'%s'", path);
		goto cleanup;
	}
	ret = audit_run(r, st, run);
	if (ret == SS_ENOTFOUND)
		ss_err_prefix(ret, "'%s' is neither a skill folder nor a run of '%s'", run, path);
cleanup:
	if (st)
		store_close(st);
	free(path);
	return ret;
}

int cmd_audit(int argc, char **argv)
{
	const char *target = NULL, *ws_opt = NULL, *level = "medium";
	int json = 0, sarif = 0, ret = EXIT_OK;
	struct audit_report r = AUDIT_REPORT_INIT;
	struct buf out = BUF_INIT;
	char *workspace = NULL;

	if (cli_wants_help(argc, argv)) {
		cli_usage("audit");
		printf("\nChecks Agent Skills validity, invisible Unicode, prompt injection,\n"
		       "URLs and exfiltration, dangerous commands, secrets, the size budget\n"
		       "and, for a run, the verification evidence and rule provenance.\n\n"
		       "  --severity LEVEL  exit 1 if a finding is at or above LEVEL\n"
		       "                    (info, low, medium, high; default medium);\n"
		       "                    --fail-on LEVEL is the same\n"
		       "  --json            print the report as JSON\n"
		       "  --sarif           print the findings as SARIF 2.1.0\n"
		       "  --workspace DIR   the workspace whose store holds RUN\n");
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v;
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--sarif")) {
			sarif = 1;
		} else if ((v = opt_value(argc, argv, &i, "--severity", &missing)) ||
			   (v = opt_value(argc, argv, &i, "--fail-on", &missing))) {
			level = v;
		} else if ((v = opt_value(argc, argv, &i, "--workspace", &missing))) {
			ws_opt = v;
		} else if (missing) {
			error("audit: option '%s' needs a value", argv[i]);
			return EXIT_INPUT;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			error("audit: unknown option '%s'", argv[i]);
			return EXIT_INPUT;
		} else if (target) {
			error("audit: one PATH or RUN only ('%s' and '%s')", target, argv[i]);
			return EXIT_INPUT;
		} else {
			target = argv[i];
		}
	}
	int fail_at = audit_severity_parse(level);
	if (fail_at < 0) {
		error("audit: --severity must be info, low, medium or high, not '%s'", level);
		return EXIT_INPUT;
	}
	if (!target) {
		error("audit: a skill folder or a run is required");
		cli_usage("audit");
		return EXIT_INPUT;
	}

	struct stat sb;
	int rc;
	if (!stat(target, &sb)) {
		rc = audit_path(&r, target);
	} else {
		workspace = cli_workspace(ws_opt);
		rc = audit_from_store(&r, workspace, target);
	}
	if (rc < 0) {
		error("audit: %s", ss_err_last());
		ret = rc == SS_ERR ? EXIT_PROVIDER : EXIT_INPUT;
		goto cleanup;
	}
	if (sarif)
		audit_format_sarif(&r, &out);
	else if (json)
		audit_format_json(&r, (enum audit_severity)fail_at, &out);
	else
		audit_format_text(&r, (enum audit_severity)fail_at, &out);
	fwrite(out.buf, 1, out.len, stdout);
	ret = audit_count_at_least(&r, (enum audit_severity)fail_at) ? EXIT_CHECK : EXIT_OK;
cleanup:
	buf_release(&out);
	audit_report_release(&r);
	free(workspace);
	return ret;
}
