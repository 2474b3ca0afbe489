/*
 * Candidate skills: the structured `skill` JSON rendered as SKILL.md in the
 * Agent Skills layout, with the SkillGen three-part body.
 */
#include "pipeline_int.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "skillsmith/skill.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* a-z, 0-9 and single hyphens, 1..64 characters. */
static char *skill_name(const char *s)
{
	struct buf b = BUF_INIT;
	int hyphen = 0;
	for (; s && *s && b.len < 64; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) && c < 0x80) {
			if (hyphen && b.len)
				buf_addch(&b, '-');
			hyphen = 0;
			buf_addch(&b, tolower(c));
		} else {
			hyphen = 1;
		}
	}
	while (b.len && b.buf[b.len - 1] == '-')
		buf_setlen(&b, b.len - 1);
	if (!b.len)
		buf_adds(&b, "task-skill");
	return buf_detach(&b, NULL);
}

/* One line of YAML: a double-quoted scalar. */
static void yaml_str(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(b, '\\');
		if (*s == '\n' || *s == '\r') {
			buf_addch(b, ' ');
			continue;
		}
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

static void rules(struct buf *b, const cJSON *arr)
{
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, arr) {
		const char *rule = cJSON_IsString(e) ? e->valuestring :
			cJSON_GetStringValue(cJSON_GetObjectItem(e, "rule"));
		if (!rule || !*rule)
			continue;
		buf_addf(b, "%d. %s\n", ++i, rule);
	}
	if (!i)
		buf_adds(b, "(none)\n");
}

static char *title_of(const char *name)
{
	char *t = xstrdup(name);
	int up = 1;
	for (char *p = t; *p; p++) {
		if (*p == '-') {
			*p = ' ';
			up = 1;
		} else if (up) {
			*p = (char)toupper((unsigned char)*p);
			up = 0;
		}
	}
	return t;
}

static char *render_local(const cJSON *skill, int round, char **name_out)
{
	struct buf b = BUF_INIT;
	char *name = skill_name(cJSON_GetStringValue(cJSON_GetObjectItem(skill, "name")));
	const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(skill, "description"));
	const char *ctx = cJSON_GetStringValue(cJSON_GetObjectItem(skill, "context"));
	char *title = title_of(name);
	char *d = prompt_clip(desc && *desc ? desc : "Guidance for this task family.", 1000);
	buf_adds(&b, "---\nname: ");
	buf_adds(&b, name);
	buf_adds(&b, "\ndescription: ");
	yaml_str(&b, d);
	buf_addf(&b, "\nmetadata:\n  generated-by: skillsmith\n  round: \"%d\"\n---\n\n", round);
	buf_addf(&b, "# %s\n\n## Task context\n\n%s\n\n## Success patterns\n\n", title,
		 ctx && *ctx ? ctx : "(none)");
	rules(&b, cJSON_GetObjectItem(skill, "success_patterns"));
	buf_adds(&b, "\n## Failure lessons\n\n");
	rules(&b, cJSON_GetObjectItem(skill, "failure_lessons"));
	free(title);
	free(d);
	if (name_out)
		*name_out = name;
	else
		free(name);
	return buf_detach(&b, NULL);
}

/*
 * The shared renderer of skill.h (front matter, title, "## Context",
 * "## Success patterns", "## Failure lessons"); the local one above only
 * when the generated skill lacks what skill_render() needs.
 */
char *pl_skill_render(const cJSON *skill, int round, char **name_out)
{
	cJSON *s = cJSON_Duplicate(skill, 1);
	const char *nm = cJSON_GetStringValue(cJSON_GetObjectItem(s, "name"));
	char *name = skill_slug(nm && *nm ? nm : "task-skill");
	cJSON_DeleteItemFromObject(s, "name");
	cJSON_AddStringToObject(s, "name", name);
	char *md = skill_render(s, 0);
	cJSON_Delete(s);
	if (!md) {
		free(name);
		return render_local(skill, round, name_out);
	}
	if (name_out)
		*name_out = name;
	else
		free(name);
	return md;
}
