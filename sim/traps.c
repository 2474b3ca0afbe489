/*
 * The trap catalogue: for each trap family the phrases that address it in a
 * prompt, its over-general variant and what that breaks, the phrases the
 * simulated agent writes when the trap bites or is handled, and the texts
 * the auxiliary roles use to talk about it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "sim/sim.h"

static const char *const kw_leap[] = {
	"leap year", "leap-year", "leap day", "february 29", "feb 29", "29 days",
	"divisible by 4", "-02-29", NULL
};
static const char *const kw_incl[] = {
	"inclusive", "both ends", "add one", "add 1", "+1", "+ 1", "fencepost",
	"both the start and the end", NULL
};
static const char *const kw_dm[] = {
	"dd/mm", "day first", "day-first", "day/month", "day and month",
	"day-month", "stated format", "format the question states", NULL
};
static const char *const kw_mend[] = {
	"end of the month", "last day of the month", "last day of that month",
	"month length", "last valid day", "does not have", "clamp", NULL
};
static const char *const kw_year[] = {
	"year boundary", "new year", "december 31", "next year", "dec 31",
	"increase the year", "year changes", NULL
};

static const char *const harm_leap[] = {
	"february always has 29", "every february has 29", "every year is a leap year",
	"29 days for february in every year", NULL
};
static const char *const harm_incl[] = {
	"add one day to every", "add one to every", "add 1 to every",
	"every count includes both", NULL
};
static const char *const harm_dm[] = {
	"always read numeric dates day first", "whatever format is stated",
	"regardless of the stated format", "every date is day-first", NULL
};
static const char *const harm_mend[] = {
	"always move the result", "always use the last day of the month",
	"always clamp", NULL
};
static const char *const harm_year[] = {
	"always add one extra day", "extra day whenever", NULL
};

const struct sim_trap_info sim_traps[NR_TRAPS] = {
	[TRAP_LEAP_YEAR] = {
		.name = "leap_year",
		.title = "leap years",
		.keywords = kw_leap,
		.harmful = harm_leap,
		.breaks = VULN_FEB_NONLEAP,
		.rule = "Before crossing the end of February, check whether the year is a leap "
			"year (divisible by 4, except centuries not divisible by 400); in a leap "
			"year February has 29 days.",
		.harmful_rule = "February always has 29 days; use 29 days for February in every year.",
		.fail_signal = "to have 28 days",
		.success_signal = "is a leap year, so february has 29 days",
		.harm_signal = "using 29 days for february as the rule says",
		.root_cause = "Treated February as 28 days in a leap year, so the calculation missed "
			      "February 29 and was off by one day.",
		.procedure = "Checked whether the year is a leap year before crossing the end of "
			     "February and counted February 29.",
		.where = "the step that crosses the end of February",
		.pattern_name = "Missed leap day",
		.technique_name = "Leap-year check before crossing February",
		.when_applies = "a date range or offset that passes the end of February",
		.suggestion = "State how many days February has in the year at hand before "
			      "stepping past it.",
		.success_rule = "Before stepping past February, state whether the year is a leap year and use 29 days for February when it is.",
	},
	[TRAP_INCLUSIVE] = {
		.name = "inclusive_count",
		.title = "inclusive counting",
		.keywords = kw_incl,
		.harmful = harm_incl,
		.breaks = VULN_EXCL_COUNT | VULN_DAY_OFFSET,
		.rule = "When a question asks for a count that includes both ends (\"counting both "
			"ends\", \"inclusive\"), add one to the difference between the dates; "
			"otherwise report the plain difference.",
		.harmful_rule = "Always add one day to every day count or date difference.",
		.fail_signal = "counting from the start to the end date gives",
		.success_signal = "counts both ends, so i add one",
		.harm_signal = "applying the rule to add one to every count",
		.root_cause = "Reported the plain difference between the dates although the question "
			      "counts both ends; the inclusive count needed one more day.",
		.procedure = "Computed the difference between the dates and added one because the "
			     "question counts both ends.",
		.where = "the final step that turns the date difference into a count",
		.pattern_name = "Off-by-one on inclusive counts",
		.technique_name = "Inclusive count adjustment",
		.when_applies = "questions that count days including both the start and the end date",
		.suggestion = "Decide explicitly whether the start date is part of the count before "
			      "answering.",
		.success_rule = "Decide whether the question counts both ends; if it does, add one to the plain difference.",
	},
	[TRAP_DAY_MONTH] = {
		.name = "day_month_order",
		.title = "day/month order",
		.keywords = kw_dm,
		.harmful = harm_dm,
		.breaks = VULN_MMDD,
		.rule = "Read a numeric date in the format the question states: in DD/MM/YYYY the "
			"day comes first, in MM/DD/YYYY the month comes first.",
		.harmful_rule = "Always read numeric dates day first (DD/MM), whatever format is stated.",
		.fail_signal = "reading it as month",
		.success_signal = "so the day comes first",
		.harm_signal = "reading the date day first as the rule says",
		.root_cause = "Read a DD/MM/YYYY date month first, so the day and month were swapped.",
		.procedure = "Took the stated DD/MM/YYYY format literally and read the day first.",
		.where = "the first step that splits the written date into parts",
		.pattern_name = "Swapped day and month",
		.technique_name = "Format-driven date parsing",
		.when_applies = "numeric dates whose day and month are both 12 or less",
		.suggestion = "Name which number is the day according to the stated format before "
			      "converting.",
		.success_rule = "Split a numeric date by the format the question states before converting it (DD/MM: day first).",
	},
	[TRAP_MONTH_END] = {
		.name = "month_end",
		.title = "month ends",
		.keywords = kw_mend,
		.harmful = harm_mend,
		.breaks = VULN_MONTH_MID,
		.rule = "When adding months lands on a day the target month does not have, use the "
			"last day of that month (month lengths: 30 for April, June, September and "
			"November, 28 or 29 for February).",
		.harmful_rule = "Always move the result of a month addition to the last day of the month.",
		.fail_signal = "rolls over into",
		.success_signal = "clamped to the last day",
		.harm_signal = "moving to the last day of the month as the rule says",
		.root_cause = "Let a day that does not exist in the target month roll over into the "
			      "following month instead of using the last day of the month.",
		.procedure = "Compared the day with the target month's length and clamped it to the "
			     "last day of the month.",
		.where = "the step that places the day in the target month",
		.pattern_name = "Month-end overflow",
		.technique_name = "Clamp to the month end",
		.when_applies = "adding months to a date late in a month (29th to 31st)",
		.suggestion = "Look up the target month's length before writing the day.",
		.success_rule = "Compare the day with the target month's length and use the last day of the month when the month is shorter.",
	},
	[TRAP_YEAR_BOUNDARY] = {
		.name = "year_boundary",
		.title = "year boundaries",
		.keywords = kw_year,
		.harmful = harm_year,
		.breaks = VULN_MONTH_CROSS,
		.rule = "When a day offset passes December 31, continue into January of the next "
			"year and increase the year by one.",
		.harmful_rule = "Always add one extra day whenever a calculation crosses into a new "
				"month or year.",
		.fail_signal = "keeping the year",
		.success_signal = "crossing december 31 moves into the next year",
		.harm_signal = "adding one extra day for crossing into a new month as the rule says",
		.root_cause = "Crossed December 31 without moving into the next year, so the answer "
			      "kept the old year.",
		.procedure = "Noticed that the offset passes December 31 and increased the year.",
		.where = "the step that passes from December into January",
		.pattern_name = "Stale year after December",
		.technique_name = "Year rollover",
		.when_applies = "offsets from late December that end in the next year",
		.suggestion = "Write the year of the result explicitly after passing the end of "
			      "December.",
		.success_rule = "After passing December 31, write the new year explicitly in the result.",
	},
};

int sim_trap_by_name(const char *name)
{
	for (int t = 0; t < NR_TRAPS; t++)
		if (!strcmp(sim_traps[t].name, name))
			return t;
	return -1;
}

const char *sim_strcasestr(const char *hay, const char *needle)
{
	return strcasestr(hay, needle);
}

static int any(const char *line, const char *const *list)
{
	for (; *list; list++)
		if (strstr(line, *list))
			return 1;
	return 0;
}

static int count_occ(const char *hay, const char *needle)
{
	int n = 0;
	size_t len = strlen(needle);
	for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
		n++;
	return n;
}

static void scan_line(struct sim_scan *s, const char *line)
{
	int harmful = 0;
	for (int t = 0; t < NR_TRAPS; t++) {
		const struct sim_trap_info *ti = &sim_traps[t];
		if (any(line, ti->harmful)) {
			s->harmful[t]++;
			harmful = 1;
		}
	}
	for (int t = 0; t < NR_TRAPS; t++) {
		const struct sim_trap_info *ti = &sim_traps[t];
		if (!harmful && any(line, ti->keywords))
			s->keyword[t]++;
		s->fail[t] += count_occ(line, ti->fail_signal);
		s->success[t] += count_occ(line, ti->success_signal);
		s->harm[t] += count_occ(line, ti->harm_signal);
	}
}

/* Lower-case copy with unescaped quotes, so rules inside JSON strings match. */
static char *lower_copy(const char *text)
{
	size_t n = strlen(text);
	char *out = xmalloc(n + 1), *o = out;
	for (const char *p = text; *p; p++) {
		if (p[0] == '\\' && p[1] == '"') {
			*o++ = '"';
			p++;
		} else if (p[0] == '\\' && p[1] == 'n') {
			*o++ = '\n';
			p++;
		} else {
			*o++ = (char)tolower((unsigned char)*p);
		}
	}
	*o = '\0';
	return out;
}

static int contains_ci(const char *lower_text, const char *phrase)
{
	char *lp = lower_copy(phrase);
	int found = count_occ(lower_text, lp);
	free(lp);
	return found;
}

void sim_scan_text(struct sim_scan *s, const char *text)
{
	char *low, *line, *next;
	memset(s, 0, sizeof(*s));
	if (!text)
		return;
	low = lower_copy(text);
	for (int t = 0; t < NR_TRAPS; t++) {
		s->rule_good[t] = contains_ci(low, sim_traps[t].rule);
		s->rule_bad[t] = contains_ci(low, sim_traps[t].harmful_rule);
		const struct sim_trap_info *ti = &sim_traps[t];
		const char *own[] = { ti->root_cause, ti->procedure, ti->pattern_name,
				      ti->technique_name, ti->success_rule, ti->suggestion };
		s->cause[t] = s->rule_good[t];
		for (size_t i = 0; i < ARRAY_SIZE(own); i++)
			s->cause[t] += contains_ci(low, own[i]);
	}
	for (line = low; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		scan_line(s, line);
	}
	free(low);
}

int sim_trap_of(const char *text)
{
	struct sim_scan sc;
	int best = -1, best_score = 0;
	sim_scan_text(&sc, text);
	for (int t = 0; t < NR_TRAPS; t++) {
		int score = 8 * (sc.cause[t] + sc.rule_bad[t]) +
			    4 * (sc.fail[t] + sc.success[t] + sc.harm[t]) +
			    sc.keyword[t] + sc.harmful[t];
		if (score > best_score) {
			best = t;
			best_score = score;
		}
	}
	return best;
}
