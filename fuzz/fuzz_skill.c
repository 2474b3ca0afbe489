/* libFuzzer target: SKILL.md front matter and body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/skill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct skill s;
	struct skill_report rep;
	memset(&s, 0, sizeof(s));
	memset(&rep, 0, sizeof(rep));
	skill_parse(&s, text, strlen(text), "SKILL.md", "fuzz-skill", &rep);
	skill_release(&s);
	skill_report_release(&rep);

	struct skill_rule *rules = NULL;
	int nr = 0;
	if (skill_rules(text, &rules, &nr) == 0) {
		if (nr > 0) {
			char *without = skill_without_rule(text, &rules[nr / 2]);
			free(without);
		}
		skill_rules_free(rules, nr);
	}
	free(text);
	return 0;
}
