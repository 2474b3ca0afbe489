/*
 * skillsmith validate PATH           Agent Skills conformance of a skill folder
 * skillsmith validate --config FILE  load and check a run configuration
 * skillsmith validate --tasks FILE   load and check a task suite
 */
#include "skillsmith/cli.h"
#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/skill.h"
#include "skillsmith/split.h"
#include "skillsmith/tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int validate_skill(const char *path)
{
	struct skill_report rep = SKILL_REPORT_INIT;
	struct skill s;
	int rc = skill_read(&s, path, &rep);
	if (rc == SS_ENOTFOUND) {
		error("%s", ss_err_last());
		return EXIT_INPUT;
	}
	for (int i = 0; i < rep.nr; i++) {
		char *line = skill_issue_format(&rep.v[i]);
		printf("%s%s\n", rep.v[i].severity == SKILL_WARNING ? "warning: " : "", line);
		free(line);
	}
	int code;
	if (rep.errors) {
		printf("%s: %d violation%s of the Agent Skills format\n", path, rep.errors,
		       rep.errors == 1 ? "" : "s");
		code = EXIT_CHECK;
	} else {
		printf("%s: valid skill '%s'%s\n", path, s.name ? s.name : "",
		       rep.warnings ? " (with warnings)" : "");
		code = EXIT_OK;
	}
	skill_release(&s);
	skill_report_release(&rep);
	return code;
}

static int validate_tasks(const char *path, const struct config *c)
{
	struct task_set ts = TASK_SET_INIT;
	int rc = tasks_load(&ts, path, c ? &c->grader : NULL);
	if (rc) {
		error("%s", ss_err_last());
		return ss_exit_code(rc);
	}
	int overrides = 0;
	for (int i = 0; i < ts.nr; i++)
		overrides += ts.v[i].grader != NULL;
	printf("%s: %d task%s", path, ts.nr, ts.nr == 1 ? "" : "s");
	if (overrides)
		printf(", %d with a grader override", overrides);
	printf("\n");
	if (c) {
		enum split_part *parts = xmalloc((size_t)ts.nr * sizeof(*parts));
		struct split_counts sc;
		rc = split_tasks(parts, &ts, c, &sc);
		free(parts);
		if (rc) {
			error("%s", ss_err_last());
			tasks_release(&ts);
			return EXIT_INPUT;
		}
		printf("split (seed %lld): %d induction, %d verification, %d test\n",
		       (long long)c->seed, sc.ind, sc.ver, sc.test);
	}
	tasks_release(&ts);
	return EXIT_OK;
}

static int validate_config(const char *path)
{
	struct config c;
	int rc = config_load(&c, path);
	if (rc) {
		error("%s", ss_err_last());
		return ss_exit_code(rc);
	}
	printf("%s: valid config '%s' (strategy %s, grader %s, agent %s/%s)\n", path, c.name,
	       strategy_kind_name(c.strategy.kind), grader_kind_name(c.grader.kind),
	       c.agent.m.provider, c.agent.m.model ? c.agent.m.model : "-");
	rc = validate_tasks(c.tasks, &c);
	config_release(&c);
	return rc;
}

int cmd_validate(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage("validate");
		printf("\n  PATH             a skill folder or its SKILL.md: prints each violation,\n"
		       "                   exits 1 if there is one, 0 if the skill is valid\n"
		       "  --config FILE    load a run config, its task file and the split\n"
		       "  --tasks FILE     load a task file (JSONL)\n"
		       "Bad input (a missing path, a broken config or task file) exits 2.\n");
		return EXIT_OK;
	}
	const char *config = NULL, *tasks = NULL, *path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--config") || !strcmp(a, "--tasks")) {
			if (i + 1 >= argc) {
				error("%s needs a file", a);
				return EXIT_INPUT;
			}
			if (a[2] == 'c')
				config = argv[++i];
			else
				tasks = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			config = a + 9;
		} else if (!strncmp(a, "--tasks=", 8)) {
			tasks = a + 8;
		} else if (!strcmp(a, "--workspace")) {
			i++; /* accepted by every command; validate does not use it */
		} else if (a[0] == '-' && a[1]) {
			error("unknown option '%s'", a);
			return EXIT_INPUT;
		} else if (path) {
			error("validate takes one PATH");
			return EXIT_INPUT;
		} else {
			path = a;
		}
	}
	if (!config && !tasks && !path) {
		fprintf(stderr, "usage: skillsmith validate PATH | --config FILE | --tasks FILE\n");
		return EXIT_INPUT;
	}
	int code = EXIT_OK, rc;
	if (config && (rc = validate_config(config)) > code)
		code = rc;
	if (tasks && (rc = validate_tasks(tasks, NULL)) > code)
		code = rc;
	if (path && (rc = validate_skill(path)) > code)
		code = rc;
	return code;
}
