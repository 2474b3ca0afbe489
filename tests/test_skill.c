/* Unit tests for skills: reading, validation, rendering, rules, writing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skillsmith/common.h"
#include "skillsmith/skill.h"

static char *fixture(const char *name)
{
	const char *top = getenv("SKILLSMITH_TOP");
	return xasprintf("%s/tests/data/foundation/skills/%s", top ? top : ".", name);
}

/* True if some issue of `rep` has `field` (NULL: any) and a message holding `want`. */
static int has_issue(const struct skill_report *rep, const char *field, const char *want)
{
	for (int i = 0; i < rep->nr; i++) {
		const struct skill_issue *is = &rep->v[i];
		if (field && (!is->field || strcmp(is->field, field)))
			continue;
		if (strstr(is->message, want))
			return 1;
	}
	return 0;
}

static int parse_text(const char *text, const char *folder, struct skill_report *rep)
{
	struct skill s;
	int rc = skill_parse(&s, text, strlen(text), "SKILL.md", folder, rep);
	skill_release(&s);
	return rc;
}

static void skill__reads_a_valid_folder(void **state)
{
	char *path = fixture("date-reasoning");
	struct skill s;
	struct skill_report rep = SKILL_REPORT_INIT;
	assert_int_equal(skill_read(&s, path, &rep), 0);
	assert_int_equal(rep.errors, 0);
	assert_int_equal(rep.warnings, 0);
	assert_string_equal(s.name, "date-reasoning");
	assert_non_null(strstr(s.description, "relative descriptions"));
	assert_string_equal(s.license, "Apache-2.0");
	assert_int_equal(s.nr_metadata, 2);
	assert_string_equal(s.metadata[1].key, "version");
	assert_string_equal(s.metadata[1].value, "1");
	assert_string_equal(s.allowed_tools, "Read Grep");
	assert_int_equal(s.body_line, 11);
	assert_true(!strncmp(s.body, "\n# Date reasoning", 17));
	skill_release(&s);
	/* the SKILL.md path works the same */
	char *md = xasprintf("%s/SKILL.md", path);
	assert_int_equal(skill_validate(md, &rep), 0);
	free(md);
	skill_report_release(&rep);
	free(path);
}

static void skill__collects_every_violation(void **state)
{
	char *path = fixture("many-problems");
	struct skill_report rep = SKILL_REPORT_INIT;
	assert_int_equal(skill_validate(path, &rep), SS_ERR);
	assert_int_equal(rep.errors, 6);
	assert_int_equal(rep.warnings, 2);
	assert_true(has_issue(&rep, "name", "must match the folder name 'many-problems'"));
	assert_true(has_issue(&rep, "description", "must not be empty"));
	assert_true(has_issue(&rep, "compatibility", "is 501 characters long, the limit is 500"));
	assert_true(has_issue(&rep, "metadata", "must be a map of strings to strings"));
	assert_true(has_issue(&rep, "version", "unknown key"));
	assert_true(has_issue(&rep, "colour", "unknown key"));
	assert_true(has_issue(&rep, "body", "has 520 lines"));
	assert_true(has_issue(&rep, "body", "tokens"));
	/* each names the file and the line */
	char *line = skill_issue_format(&rep.v[4]);
	assert_non_null(strstr(line, "many-problems/SKILL.md:8: field 'version': unknown key"));
	free(line);
	skill_report_release(&rep);
	free(path);
}

static void skill__name_rules(void **state)
{
	assert_true(skill_name_valid("a"));
	assert_true(skill_name_valid("pdf-forms-2"));
	assert_false(skill_name_valid(""));
	assert_false(skill_name_valid("-lead"));
	assert_false(skill_name_valid("trail-"));
	assert_false(skill_name_valid("double--hyphen"));
	assert_false(skill_name_valid("Upper"));
	assert_false(skill_name_valid("under_score"));
	char long65[66];
	memset(long65, 'a', 65);
	long65[65] = '\0';
	assert_false(skill_name_valid(long65));
	long65[64] = '\0';
	assert_true(skill_name_valid(long65));
	char *s = skill_slug("  Date Reasoning -- BBH!  ");
	assert_string_equal(s, "date-reasoning-bbh");
	free(s);
	s = skill_slug("???");
	assert_string_equal(s, "skill");
	free(s);

	struct skill_report rep = SKILL_REPORT_INIT;
	assert_int_equal(parse_text("---\nname: x--y\ndescription: d\n---\nb\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, "name", "single hyphens"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\nname: ok\ndescription: d\n---\nb\n", "other", &rep), SS_EINPUT);
	assert_true(has_issue(&rep, "name", "must match the folder name 'other'"));
	skill_report_release(&rep);
}

static void skill__front_matter_shape(void **state)
{
	struct skill_report rep = SKILL_REPORT_INIT;
	assert_int_equal(parse_text("# no front matter\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, NULL, "must start with YAML front matter"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\nname: a\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, NULL, "not closed"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\n---\nbody\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, "name", "is missing"));
	assert_true(has_issue(&rep, "description", "is missing"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\nname: a\ndescription: [x\n---\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, NULL, "invalid YAML"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\n- a\n- b\n---\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, NULL, "must be a mapping"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\nname: a\nname: a\ndescription: d\n---\nx\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, "name", "appears twice"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\nname: a\ndescription: d\nallowed-tools: [Read, {x: 1}]\n---\nx\n",
				    NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, "allowed-tools", "a string or a list of strings"));
	skill_report_release(&rep);
	assert_int_equal(parse_text("---\nname: a\ndescription: caf\xe9\n---\n", NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, NULL, "invalid UTF-8"));
	skill_report_release(&rep);
	/* a description of 1024 characters (multi-byte) is fine, 1025 is not */
	char *d = xmalloc(1025 * 2 + 64);
	strcpy(d, "---\nname: a\ndescription: ");
	for (int i = 0; i < 1024; i++)
		strcat(d, "\xc3\xa9");
	strcat(d, "\n---\nbody\n");
	assert_int_equal(parse_text(d, NULL, &rep), 0);
	skill_report_release(&rep);
	strcpy(strstr(d, "\n---\nbody"), "x\n---\nbody\n");
	assert_int_equal(parse_text(d, NULL, &rep), SS_EINPUT);
	assert_true(has_issue(&rep, "description", "is 1025 characters long"));
	skill_report_release(&rep);
	free(d);
	/* an empty body is a warning, not a violation */
	assert_int_equal(parse_text("---\nname: a\ndescription: d\n---\n", NULL, &rep), 0);
	assert_int_equal(rep.warnings, 1);
	skill_report_release(&rep);
}

static void skill__missing_path_and_folder_checks(void **state)
{
	struct skill_report rep = SKILL_REPORT_INIT;
	assert_int_equal(skill_validate("/nonexistent/skill", &rep), SS_ENOTFOUND);
	assert_non_null(strstr(ss_err_last(), "'/nonexistent/skill' does not exist"));
	char *p = fixture("empty-folder");
	assert_int_equal(skill_validate(p, &rep), SS_ERR);
	assert_true(has_issue(&rep, NULL, "has no SKILL.md"));
	skill_report_release(&rep);
	free(p);
	p = fixture("scripts-file");
	assert_int_equal(skill_validate(p, &rep), SS_ERR);
	assert_true(has_issue(&rep, NULL, "must be a folder"));
	skill_report_release(&rep);
	free(p);
}

static const char *structured =
	"{\"name\": \"Date Reasoning\", \"description\": \"Solve \\\"relative\\\" date questions.\\nUse for BBH.\","
	" \"context\": \"Dates in MM/DD/YYYY.\","
	" \"success_patterns\": [{\"rule\": \"Write the anchor date first.\", \"evidence\": [\"S1\", \"P3\"]},"
	"                        \"Apply offsets one at a time.\"],"
	" \"failure_lessons\": [{\"rule\": \"Never confuse ago and from now.\\nRe-read the question.\", \"evidence\": [\"F2\"]}]}";

static void skill__render_is_valid_and_sectioned(void **state)
{
	cJSON *sk = cJSON_Parse(structured);
	assert_non_null(sk);
	char *md = skill_render(sk, 0);
	assert_non_null(md);
	assert_true(!strncmp(md, "---\nname: date-reasoning\ndescription: \"Solve \\\"relative\\\" date questions. Use for BBH.\"\n---\n", 90));
	assert_non_null(strstr(md, "## Context\n\nDates in MM/DD/YYYY.\n"));
	assert_non_null(strstr(md, "## Success patterns\n\n- Write the anchor date first.\n- Apply offsets one at a time.\n"));
	assert_non_null(strstr(md, "## Failure lessons\n\n- Never confuse ago and from now.\n  Re-read the question.\n"));
	assert_null(strstr(md, "evidence"));
	/* what we render, we accept */
	struct skill s;
	struct skill_report rep = SKILL_REPORT_INIT;
	assert_int_equal(skill_parse(&s, md, strlen(md), "SKILL.md", "date-reasoning", &rep), 0);
	assert_int_equal(rep.nr, 0);
	assert_string_equal(s.description, "Solve \"relative\" date questions. Use for BBH.");
	skill_release(&s);
	free(md);
	md = skill_render(sk, SKILL_RENDER_EVIDENCE);
	assert_non_null(strstr(md, "- Write the anchor date first. <!-- evidence: S1, P3 -->\n"));
	free(md);
	cJSON_DeleteItemFromObject(sk, "description");
	assert_null(skill_render(sk, 0));
	cJSON_Delete(sk);
}

static void skill__rules_and_ablation(void **state)
{
	const char *md =
		"---\nname: a\ndescription: d\n---\n\n# Title\n\n## Context\n\nSome context\nover two lines.\n\n"
		"## Success patterns\n\n- First rule.\n- Second rule\n  continues here.\n  - nested detail\n"
		"* Third rule.\n\n## Failure lessons\n\n1. Numbered lesson.\n\n```\ncode block\n```\n";
	struct skill_rule *r;
	int n;
	assert_int_equal(skill_rules(md, &r, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(r[0].section, "Context");
	assert_string_equal(r[0].text, "Some context\nover two lines.");
	assert_int_equal(r[0].bullet, 0);
	assert_string_equal(r[1].section, "Success patterns");
	assert_string_equal(r[1].text, "First rule.");
	assert_int_equal(r[1].bullet, 1);
	assert_string_equal(r[2].text, "Second rule\ncontinues here.\n- nested detail");
	assert_string_equal(r[3].text, "Third rule.");
	assert_string_equal(r[4].section, "Failure lessons");
	assert_string_equal(r[4].text, "Numbered lesson.");
	assert_string_equal(r[5].text, "```\ncode block\n```");
	assert_int_equal(r[1].line, 15);
	char *without = skill_without_rule(md, &r[2]);
	assert_null(strstr(without, "Second rule"));
	assert_null(strstr(without, "nested detail"));
	assert_non_null(strstr(without, "- First rule.\n* Third rule.\n"));
	free(without);
	skill_rules_free(r, n);
}

static void skill__write_dir_atomically(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/skills-out.%ld/my-skill", tmp ? tmp : "/tmp", (long)getpid());
	const char *md = "---\nname: my-skill\ndescription: d\n---\nBody\n";
	assert_int_equal(skill_write_dir(dir, md, 0), 0);
	struct skill_report rep = SKILL_REPORT_INIT;
	assert_int_equal(skill_validate(dir, &rep), 0);
	/* no overwrite without force */
	assert_int_equal(skill_write_dir(dir, "x", 0), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "already exists"));
	char *extra = xasprintf("%s/stale.txt", dir);
	assert_int_equal(ss_write_file(extra, "x", 1), 0);
	const char *md2 = "---\nname: my-skill\ndescription: second\n---\nBody\n";
	assert_int_equal(skill_write_dir(dir, md2, 1), 0);
	struct stat st;
	assert_int_not_equal(stat(extra, &st), 0); /* replaced as a whole */
	char *file = xasprintf("%s/SKILL.md", dir);
	char *got = ss_read_file(file, NULL);
	assert_string_equal(got, md2);
	/* no temporary folders left behind */
	char *t = xasprintf("%s.tmp.%ld", dir, (long)getpid());
	assert_int_not_equal(stat(t, &st), 0);
	free(t);
	free(got);
	free(file);
	free(extra);
	skill_report_release(&rep);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skill__reads_a_valid_folder),
		cmocka_unit_test(skill__collects_every_violation),
		cmocka_unit_test(skill__name_rules),
		cmocka_unit_test(skill__front_matter_shape),
		cmocka_unit_test(skill__missing_path_and_folder_checks),
		cmocka_unit_test(skill__render_is_valid_and_sectioned),
		cmocka_unit_test(skill__rules_and_ablation),
		cmocka_unit_test(skill__write_dir_atomically),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
