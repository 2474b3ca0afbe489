/*
 * The auxiliary roles of the simulated optimizer model.  Each is recognised
 * by its JSON schema name and answers from the request text alone: it scans
 * the text for the trap keyword families and for the lines the simulated
 * agent writes when a trap bites or is handled, and builds schema-valid
 * JSON from the trap catalogue.  Generation sometimes (seeded) writes an
 * over-general variant of a rule; refinement acts on the feedback it is
 * given; the "harmful" optimizer writes only over-general rules.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "sim/sim.h"

#define P_HARMFUL_VARIANT 0.3
#define MAX_IDS 12

static const char *const roles[] = {
	"task_summary", "failure_summary", "success_summary", "failure_cluster",
	"success_cluster", "contrast", "skill", "skill_refine", "case_analysis",
	"feedback", "edits", "slow_update", "judge",
};

const char *sim_aux_role(const char *name)
{
	static const struct { const char *alias, *role; } aliases[] = {
		{ "skill_generation", "skill" }, { "skill_gen", "skill" },
		{ "skill_refinement", "skill_refine" }, { "refine", "skill_refine" },
		{ "contrastive_pair", "contrast" }, { "pair", "contrast" },
		{ "edit", "edits" }, { "reflection", "edits" },
	};
	if (!name)
		return NULL;
	if (!strncmp(name, "skillsmith_", 11) || !strncmp(name, "skillsmith.", 11))
		name += 11;
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		if (!strcmp(name, roles[i]))
			return roles[i];
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(name, aliases[i].alias))
			return aliases[i].role;
	return NULL;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* ---- evidence ids ------------------------------------------------------- */

struct ids {
	char id[MAX_IDS][40];
	int n;
};

static void ids_add(struct ids *s, const char *id, size_t len)
{
	if (len >= sizeof(s->id[0]) || s->n >= MAX_IDS)
		return;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->id[i]) == len && !memcmp(s->id[i], id, len))
			return;
	memcpy(s->id[s->n], id, len);
	s->id[s->n++][len] = '\0';
}

/*
 * Ids in a line: "F1", "S12", "P3", "R2", "E4" (a capital and digits, not
 * inside a word), and "C:<instance id>".
 */
static void line_ids(struct ids *s, const char *p, const char *end)
{
	for (const char *q = p; q < end; q++) {
		if (q > p && (isalnum((unsigned char)q[-1]) || q[-1] == '_' || q[-1] == '-'))
			continue;
		if (q[0] == 'C' && q + 1 < end && q[1] == ':') {
			const char *e = q + 2;
			while (e < end && (isalnum((unsigned char)*e) || *e == '-' || *e == '_' || *e == '.'))
				e++;
			if (e > q + 2) {
				ids_add(s, q, (size_t)(e - q));
				q = e;
			}
			continue;
		}
		if (strchr("FSPRE", q[0]) && q + 1 < end && isdigit((unsigned char)q[1])) {
			const char *e = q + 1;
			while (e < end && isdigit((unsigned char)*e))
				e++;
			if (e < end && (isalpha((unsigned char)*e) || *e == '_'))
				continue;
			ids_add(s, q, (size_t)(e - q));
			q = e;
		}
	}
}

static int line_mentions(const char *low_line, int t)
{
	const struct sim_trap_info *ti = &sim_traps[t];
	for (const char *const *k = ti->keywords; *k; k++)
		if (strstr(low_line, *k))
			return 1;
	for (const char *const *k = ti->harmful; *k; k++)
		if (strstr(low_line, *k))
			return 1;
	return strstr(low_line, ti->fail_signal) || strstr(low_line, ti->success_signal) ||
	       strstr(low_line, ti->harm_signal);
}

/* Evidence per trap: ids on the lines that mention it, else the ids last seen. */
static void collect_evidence(struct ids ev[NR_TRAPS], struct ids *all, const char *text)
{
	struct ids ctx = { .n = 0 };
	const char *p = text;
	memset(ev, 0, sizeof(struct ids) * NR_TRAPS);
	memset(all, 0, sizeof(*all));
	while (*p) {
		const char *end = strchr(p, '\n');
		struct ids here = { .n = 0 };
		if (!end)
			end = p + strlen(p);
		line_ids(&here, p, end);
		for (int i = 0; i < here.n; i++)
			ids_add(all, here.id[i], strlen(here.id[i]));
		if (here.n)
			ctx = here;
		char *low = xstrndup(p, (size_t)(end - p));
		for (char *c = low; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		for (int t = 0; t < NR_TRAPS; t++)
			if (line_mentions(low, t)) {
				const struct ids *src = here.n ? &here : &ctx;
				for (int i = 0; i < src->n; i++)
					ids_add(&ev[t], src->id[i], strlen(src->id[i]));
			}
		free(low);
		p = *end ? end + 1 : end;
	}
}

static cJSON *ids_json(const struct ids *s)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < s->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->id[i]));
	return a;
}

/* ---- analysis of a request text ----------------------------------------- */

struct analysis {
	struct sim_scan sc;
	struct ids ev[NR_TRAPS];
	struct ids all;
	int order[NR_TRAPS];       /* traps by descending `score` */
	int score[NR_TRAPS];
	int nr_mentioned;          /* traps with a positive score */
	int harm_total;
	const char *text;
	uint64_t hash;
};

static void analyse(struct analysis *a, const char *text, uint64_t seed,
		    int w_fail, int w_success, int w_keyword)
{
	sim_scan_text(&a->sc, text);
	collect_evidence(a->ev, &a->all, text);
	a->text = text;
	a->hash = mix64(ss_hash64(text, strlen(text)) ^ mix64(seed));
	a->harm_total = 0;
	a->nr_mentioned = 0;
	for (int t = 0; t < NR_TRAPS; t++) {
		a->score[t] = w_fail * a->sc.fail[t] + w_success * a->sc.success[t] +
			      w_keyword * (a->sc.keyword[t] + a->sc.harmful[t]) +
			      w_fail * a->sc.harm[t];
		a->harm_total += a->sc.harm[t];
		a->order[t] = t;
		if (a->score[t] > 0)
			a->nr_mentioned++;
	}
	/* stable sort by score, ties by catalogue order */
	for (int i = 1; i < NR_TRAPS; i++)
		for (int j = i; j > 0 && a->score[a->order[j]] > a->score[a->order[j - 1]]; j--) {
			int tmp = a->order[j];
			a->order[j] = a->order[j - 1];
			a->order[j - 1] = tmp;
		}
}

static int top(const struct analysis *a)
{
	return a->score[a->order[0]] > 0 ? a->order[0] : -1;
}

static int argmax(const int *v)
{
	int best = -1;
	for (int t = 0; t < NR_TRAPS; t++)
		if (v[t] > 0 && (best < 0 || v[t] > v[best]))
			best = t;
	return best;
}

/* Position of the last occurrence of any of the trap signals, or -1. */
static long last_signal(const char *low, int success)
{
	long last = -1;
	for (int t = 0; t < NR_TRAPS; t++) {
		const char *sig = success ? sim_traps[t].success_signal : sim_traps[t].fail_signal;
		for (const char *p = strstr(low, sig); p; p = strstr(p + 1, sig))
			if (p - low > last)
				last = p - low;
		if (!success)
			for (const char *p = strstr(low, sim_traps[t].harm_signal); p;
			     p = strstr(p + 1, sim_traps[t].harm_signal))
				if (p - low > last)
					last = p - low;
	}
	return last;
}

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *c = d; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return d;
}

static cJSON *str_array(const char *a, const char *b)
{
	cJSON *arr = cJSON_CreateArray();
	if (a)
		cJSON_AddItemToArray(arr, cJSON_CreateString(a));
	if (b)
		cJSON_AddItemToArray(arr, cJSON_CreateString(b));
	return arr;
}

static char *quoted_signal(const char *sig)
{
	char *s = xasprintf("the trajectory says \"...%s...\"", sig);
	return s;
}

/* ---- roles -------------------------------------------------------------- */

static cJSON *role_task_summary(const char *text)
{
	cJSON *o = cJSON_CreateObject();
	if (sim_strcasestr(text, "date") || sim_strcasestr(text, "weekday") ||
	    sim_strcasestr(text, "day of the week"))
		cJSON_AddStringToObject(o, "summary",
			"Calendar and date arithmetic questions: how many days lie between two "
			"dates, which date falls a number of days or months after a given one, "
			"which weekday a date falls on, and conversions of numeric dates to "
			"YYYY-MM-DD. Each answer is a single number, weekday name or ISO date.");
	else
		cJSON_AddStringToObject(o, "summary",
			"Short questions from one task family, each with a single exact answer.");
	return o;
}

static cJSON *role_failure_summary(const char *text, uint64_t seed)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject();
	analyse(&a, text, seed, 3, 0, 1);
	int h = argmax(a.sc.harm);
	int t = argmax(a.sc.fail);
	if (h >= 0) {
		const struct sim_trap_info *ti = &sim_traps[h];
		char *s = xasprintf("The agent followed a rule from its instructions that does not fit "
				    "this question: %s. The calculation was otherwise sound, but the "
				    "rule changed a correct intermediate result.", ti->harm_signal);
		char *rc = xasprintf("Applied the over-general rule \"%s\" (about %s) to an instance it "
				     "does not fit, which broke a correct calculation.",
				     ti->harmful_rule, ti->title);
		cJSON_AddStringToObject(o, "summary", s);
		cJSON_AddStringToObject(o, "root_cause", rc);
		free(s);
		free(rc);
	} else if (t >= 0) {
		const struct sim_trap_info *ti = &sim_traps[t];
		char *s = xasprintf("The agent set up the calculation correctly but went wrong at %s "
				    "(%s), so the final answer is wrong.", ti->where,
				    ti->fail_signal);
		cJSON_AddStringToObject(o, "summary", s);
		cJSON_AddStringToObject(o, "root_cause", ti->root_cause);
		free(s);
	} else {
		cJSON_AddStringToObject(o, "summary",
			"The agent's step-by-step calculation contains an arithmetic slip; no "
			"systematic mistake is visible in the trajectory.");
		cJSON_AddStringToObject(o, "root_cause",
			"An arithmetic slip while adding up days; not a recurring pattern.");
	}
	return o;
}

static cJSON *role_success_summary(const char *text, uint64_t seed)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject();
	analyse(&a, text, seed, 0, 3, 1);
	int t = argmax(a.sc.success);
	if (t >= 0) {
		const struct sim_trap_info *ti = &sim_traps[t];
		char *s = xasprintf("The agent worked step by step and handled %s correctly (%s).",
				    ti->title, ti->success_signal);
		cJSON_AddStringToObject(o, "summary", s);
		cJSON_AddStringToObject(o, "procedure", ti->procedure);
		free(s);
	} else {
		cJSON_AddStringToObject(o, "summary",
			"The agent wrote out the dates, did the arithmetic step by step and gave "
			"the answer in the requested form.");
		cJSON_AddStringToObject(o, "procedure",
			"Wrote out the start date, each step and the result before answering.");
	}
	return o;
}

static cJSON *role_failure_cluster(const char *text, uint64_t seed)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject();
	analyse(&a, text, seed, 3, 0, 1);
	int h = argmax(a.sc.harm), t = top(&a);
	if (h >= 0 && (t < 0 || a.sc.harm[h] * 3 >= a.score[t])) {
		const struct sim_trap_info *ti = &sim_traps[h];
		char *rc = xasprintf("The over-general rule \"%s\" is applied to instances it does not "
				     "fit.", ti->harmful_rule);
		cJSON_AddStringToObject(o, "pattern_name", "Over-general rule misapplied");
		cJSON_AddStringToObject(o, "root_cause", rc);
		cJSON_AddStringToObject(o, "where_it_appears",
					"the step where the agent cites a rule from its instructions");
		cJSON_AddItemToObject(o, "observable_signals",
				      str_array(ti->harm_signal, "a result that is off by exactly one"));
		cJSON_AddStringToObject(o, "corrective_rule", ti->rule);
		free(rc);
	} else if (t >= 0) {
		const struct sim_trap_info *ti = &sim_traps[t];
		char *sig = quoted_signal(ti->fail_signal);
		cJSON_AddStringToObject(o, "pattern_name", ti->pattern_name);
		cJSON_AddStringToObject(o, "root_cause", ti->root_cause);
		cJSON_AddStringToObject(o, "where_it_appears", ti->where);
		cJSON_AddItemToObject(o, "observable_signals",
				      str_array(sig, "the answer differs from the expected one by a "
						"small, systematic amount"));
		cJSON_AddStringToObject(o, "corrective_rule", ti->rule);
		free(sig);
	} else {
		cJSON_AddStringToObject(o, "pattern_name", "Arithmetic slips");
		cJSON_AddStringToObject(o, "root_cause",
					"Isolated arithmetic slips while adding up days.");
		cJSON_AddStringToObject(o, "where_it_appears", "the middle of the calculation");
		cJSON_AddItemToObject(o, "observable_signals",
				      str_array("a result off by one in either direction", NULL));
		cJSON_AddStringToObject(o, "corrective_rule",
					"Recompute the result a second way before answering.");
	}
	return o;
}

static cJSON *role_success_cluster(const char *text, uint64_t seed)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject();
	analyse(&a, text, seed, 0, 3, 1);
	int t = top(&a);
	if (t >= 0) {
		const struct sim_trap_info *ti = &sim_traps[t];
		char *sig = quoted_signal(ti->success_signal);
		char *chk = xasprintf("confirm the step about %s before writing the answer", ti->title);
		cJSON_AddStringToObject(o, "technique_name", ti->technique_name);
		cJSON_AddStringToObject(o, "procedure", ti->procedure);
		cJSON_AddStringToObject(o, "when_it_applies", ti->when_applies);
		cJSON_AddItemToObject(o, "observable_signals", str_array(sig, NULL));
		cJSON_AddItemToObject(o, "robustness_checks",
				      str_array(chk, "recompute the result from the other end"));
		free(sig);
		free(chk);
	} else {
		cJSON_AddStringToObject(o, "technique_name", "Step-by-step date arithmetic");
		cJSON_AddStringToObject(o, "procedure",
					"Write out the start date, each step and the result.");
		cJSON_AddStringToObject(o, "when_it_applies", "every question of the family");
		cJSON_AddItemToObject(o, "observable_signals",
				      str_array("explicit intermediate dates", NULL));
		cJSON_AddItemToObject(o, "robustness_checks",
				      str_array("recompute the result from the other end", NULL));
	}
	return o;
}

static cJSON *role_contrast(const char *text, uint64_t seed)
{
	static const char *const types[] = { "count", "offset", "weekday", "format" };
	struct analysis a;
	cJSON *o = cJSON_CreateObject();
	int nseen = 0;
	char *low = lower_dup(text);

	analyse(&a, text, seed, 3, 3, 1);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		char pat1[40], pat2[40], pat3[40];
		snprintf(pat1, sizeof(pat1), "\"type\": \"%s\"", types[i]);
		snprintf(pat2, sizeof(pat2), "type: %s", types[i]);
		snprintf(pat3, sizeof(pat3), "\"type\":\"%s\"", types[i]);
		if (strstr(low, pat1) || strstr(low, pat2) || strstr(low, pat3))
			nseen++;
	}
	cJSON_AddBoolToObject(o, "same_type", nseen <= 1);
	if (nseen <= 1)
		cJSON_AddStringToObject(o, "same_type_reason",
			"Both instances ask the same kind of calendar question.");
	else
		cJSON_AddStringToObject(o, "same_type_reason",
			"The instances ask different kinds of calendar question.");
	int ts = argmax(a.sc.success), tf = argmax(a.sc.fail), h = argmax(a.sc.harm);
	int t = tf >= 0 ? tf : ts;
	if (h >= 0 && tf < 0)
		t = h;
	if (t >= 0) {
		const struct sim_trap_info *ti = &sim_traps[t];
		char *omit = xasprintf("The failure skipped the check on %s at %s.", ti->title, ti->where);
		cJSON_AddStringToObject(o, "success_did", ts >= 0 ? sim_traps[ts].procedure : ti->procedure);
		cJSON_AddStringToObject(o, "failure_omitted", omit);
		cJSON_AddStringToObject(o, "lesson", ti->rule);
		free(omit);
	} else {
		cJSON_AddStringToObject(o, "success_did", "Wrote out each intermediate date.");
		cJSON_AddStringToObject(o, "failure_omitted", "It skipped intermediate dates.");
		cJSON_AddStringToObject(o, "lesson", "Recompute the result a second way before answering.");
	}
	free(low);
	return o;
}

static cJSON *rule_item(const char *rule, const struct ids *ev)
{
	cJSON *it = cJSON_CreateObject();
	cJSON_AddStringToObject(it, "rule", rule);
	cJSON_AddItemToObject(it, "evidence", ids_json(ev));
	return it;
}

/* The skill object from a chosen rule state per trap: 0 none, 1 precise, 2 over-general. */
static cJSON *skill_object(const struct analysis *a, const int state[NR_TRAPS], int harmful)
{
	cJSON *o = cJSON_CreateObject(), *sp, *fl;
	struct ids succ = { .n = 0 };
	cJSON_AddStringToObject(o, "name", "calendar-date-arithmetic");
	cJSON_AddStringToObject(o, "description",
		"Rules for calendar questions: day counts between dates, dates after an "
		"offset, weekdays and numeric date conversions. Use when a question asks "
		"for a date, a weekday or a number of days.");
	cJSON_AddStringToObject(o, "context",
		"The questions give one or two dates and ask for a count, a later date, a "
		"weekday or an ISO form of a date. Finish with one line 'Answer: <answer>'.");
	for (int i = 0; i < a->all.n; i++)
		if (a->all.id[i][0] == 'S')
			ids_add(&succ, a->all.id[i], strlen(a->all.id[i]));
	sp = cJSON_AddArrayToObject(o, "success_patterns");
	cJSON_AddItemToArray(sp, rule_item("Write out the start date, each intermediate step and "
					   "the resulting date before giving the answer.", &succ));
	if (!harmful)
		for (int i = 0; i < NR_TRAPS; i++) {
			int t = a->order[i];
			if (state[t] == 1 && a->sc.success[t] > 0)
				cJSON_AddItemToArray(sp, rule_item(sim_traps[t].procedure, &a->ev[t]));
		}
	fl = cJSON_AddArrayToObject(o, "failure_lessons");
	for (int i = 0; i < NR_TRAPS; i++) {
		int t = a->order[i];
		if (state[t])
			cJSON_AddItemToArray(fl, rule_item(state[t] == 2 ? sim_traps[t].harmful_rule
							   : sim_traps[t].rule, &a->ev[t]));
	}
	return o;
}

static cJSON *role_skill(const char *text, uint64_t seed, int harmful)
{
	struct analysis a;
	int state[NR_TRAPS] = { 0 }, n = 0;
	analyse(&a, text, seed, 3, 2, 1);
	for (int t = 0; t < NR_TRAPS; t++)
		if (a.score[t] > 0) {
			state[t] = harmful ? 2 : 1;
			n++;
		}
	if (!n) {
		/* nothing recognisable: a generic skill, or harm by default */
		if (harmful)
			state[TRAP_INCLUSIVE] = state[TRAP_DAY_MONTH] = 2;
	} else if (!harmful && (double)(mix64(a.hash) >> 11) / 9007199254740992.0 < P_HARMFUL_VARIANT) {
		int k = (int)(mix64(a.hash ^ 0x1234ULL) % (uint64_t)n);
		for (int i = 0; i < NR_TRAPS; i++) {
			int t = a.order[i];
			if (state[t] && k-- == 0)
				state[t] = 2;
		}
	}
	return skill_object(&a, state, harmful);
}

/* Which trap a free-text rule is about, and whether it is the over-general kind. */
static int classify_rule(const char *rule, int *overgeneral)
{
	struct sim_scan sc;
	sim_scan_text(&sc, rule);
	*overgeneral = 0;
	int h = argmax(sc.harmful);
	if (h >= 0) {
		*overgeneral = 1;
		return h;
	}
	return argmax(sc.keyword);
}

/* The first JSON object in text that has one of the feedback keys. */
static cJSON *find_feedback(const char *text)
{
	static const char *const keys[] = { "\"remove\"", "\"add\"", "\"keep\"", "\"emphasize\"" };
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		for (const char *p = strstr(text, keys[k]); p; p = strstr(p + 1, keys[k])) {
			const char *q = p;
			for (int tries = 0; tries < 6 && q > text; tries++) {
				while (q > text && *--q != '{')
					;
				if (*q != '{')
					break;
				const char *end = NULL;
				cJSON *o = cJSON_ParseWithOpts(q, &end, 0);
				if (cJSON_IsObject(o) &&
				    (cJSON_GetObjectItemCaseSensitive(o, "remove") ||
				     cJSON_GetObjectItemCaseSensitive(o, "add")))
					return o;
				cJSON_Delete(o);
			}
		}
	}
	return NULL;
}

static cJSON *role_skill_refine(const char *text, uint64_t seed, int harmful)
{
	struct analysis a;
	int state[NR_TRAPS] = { 0 };
	cJSON *fb, *it, *out;
	int regressions = sim_strcasestr(text, "regress") || sim_strcasestr(text, "hurt") ||
			  sim_strcasestr(text, "over-general");

	analyse(&a, text, seed, 3, 2, 1);
	for (int t = 0; t < NR_TRAPS; t++)
		state[t] = a.sc.rule_good[t] ? 1 : a.sc.rule_bad[t] ? 2 : 0;
	fb = find_feedback(text);
	if (fb) {
		int og, t;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(fb, "remove")) {
			const cJSON *r = cJSON_IsString(it) ? it : cJSON_GetObjectItemCaseSensitive(it, "rule");
			if (cJSON_IsString(r) && (t = classify_rule(r->valuestring, &og)) >= 0)
				if ((og && state[t] == 2) || (!og && state[t] == 1))
					state[t] = 0;
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(fb, "add")) {
			const cJSON *r = cJSON_IsString(it) ? it : cJSON_GetObjectItemCaseSensitive(it, "rule");
			if (cJSON_IsString(r) && (t = classify_rule(r->valuestring, &og)) >= 0)
				state[t] = og ? 2 : 1;
		}
		cJSON_Delete(fb);
	} else {
		/* no structured feedback: add rules for failures still visible */
		for (int t = 0; t < NR_TRAPS; t++)
			if (!state[t] && a.sc.fail[t] > 0)
				state[t] = 1;
	}
	for (int t = 0; t < NR_TRAPS; t++) {
		if (state[t] == 2 && (regressions || a.sc.harm[t] > 0))
			state[t] = 1;
		if (harmful && (state[t] || a.score[t] > 0))
			state[t] = 2;
	}
	out = skill_object(&a, state, harmful);
	return out;
}

static cJSON *role_case_analysis(const char *text, uint64_t seed)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject();
	char *low = lower_dup(text);
	long ls = last_signal(low, 1), lf = last_signal(low, 0);
	analyse(&a, text, seed, 3, 3, 1);
	int h = argmax(a.sc.harm), ts = argmax(a.sc.success), tf = argmax(a.sc.fail);
	if (h >= 0 && lf > ls) {
		const struct sim_trap_info *ti = &sim_traps[h];
		char *why = xasprintf("The skill's over-general rule \"%s\" fired on an instance it does "
				      "not fit (%s), turning a right answer wrong.",
				      ti->harmful_rule, ti->harm_signal);
		char *sug = xasprintf("Narrow the rule about %s so it applies only where the question "
				      "calls for it.", ti->title);
		cJSON_AddStringToObject(o, "effect", "hurt");
		cJSON_AddStringToObject(o, "why", why);
		cJSON_AddStringToObject(o, "suggestion", sug);
		free(why);
		free(sug);
	} else if (ts >= 0 && ls > lf) {
		const struct sim_trap_info *ti = &sim_traps[ts];
		char *why = xasprintf("With the skill the agent handled %s: %s", ti->title, ti->procedure);
		char *sug = xasprintf("Keep the rule about %s.", ti->title);
		cJSON_AddStringToObject(o, "effect", "helped");
		cJSON_AddStringToObject(o, "why", why);
		cJSON_AddStringToObject(o, "suggestion", sug);
		free(why);
		free(sug);
	} else if (tf >= 0) {
		const struct sim_trap_info *ti = &sim_traps[tf];
		char *why = xasprintf("The failure persists: %s", ti->root_cause);
		char *sug = xasprintf("Add a rule: %s", ti->suggestion);
		cJSON_AddStringToObject(o, "effect", "neutral");
		cJSON_AddStringToObject(o, "why", why);
		cJSON_AddStringToObject(o, "suggestion", sug);
		free(why);
		free(sug);
	} else {
		cJSON_AddStringToObject(o, "effect", "unclear");
		cJSON_AddStringToObject(o, "why", "No step of the trajectory relates to a rule of the skill.");
		cJSON_AddStringToObject(o, "suggestion", "No change.");
	}
	free(low);
	return o;
}

static cJSON *role_feedback(const char *text, uint64_t seed)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject();
	cJSON *keep = cJSON_AddArrayToObject(o, "keep");
	cJSON *remove = cJSON_AddArrayToObject(o, "remove");
	cJSON *add = cJSON_AddArrayToObject(o, "add");
	cJSON *emph = cJSON_AddArrayToObject(o, "emphasize");
	int hurt = sim_strcasestr(text, "\"hurt\"") || sim_strcasestr(text, "effect: hurt") ||
		   sim_strcasestr(text, "over-general") || sim_strcasestr(text, "regress");
	analyse(&a, text, seed, 3, 3, 1);
	for (int i = 0; i < NR_TRAPS; i++) {
		int t = a.order[i];
		const struct sim_trap_info *ti = &sim_traps[t];
		if (a.sc.rule_bad[t] && (hurt || a.sc.harm[t] > 0))
			cJSON_AddItemToArray(remove, rule_item(ti->harmful_rule, &a.ev[t]));
		else if (a.sc.rule_bad[t])
			cJSON_AddItemToArray(keep, rule_item(ti->harmful_rule, &a.ev[t]));
		if (a.sc.rule_good[t]) {
			cJSON_AddItemToArray(keep, rule_item(ti->rule, &a.ev[t]));
			if (a.sc.fail[t] > 0)
				cJSON_AddItemToArray(emph, rule_item(ti->rule, &a.ev[t]));
		} else if (a.sc.fail[t] > 0 || (a.sc.rule_bad[t] && (hurt || a.sc.harm[t] > 0))) {
			cJSON_AddItemToArray(add, rule_item(ti->rule, &a.ev[t]));
		}
	}
	return o;
}

static cJSON *edit_item(const char *op, const char *target, const char *content,
			const struct ids *ev)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "op", op);
	cJSON_AddStringToObject(e, "target", target);
	cJSON_AddStringToObject(e, "content", content);
	cJSON_AddItemToObject(e, "evidence", ids_json(ev));
	return e;
}

static cJSON *role_edits(const char *text, uint64_t seed, int harmful)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject(), *edits;
	struct buf why = BUF_INIT;
	int n = 0, bad_pick = -1, cand = 0;

	analyse(&a, text, seed, 3, 1, 0);
	for (int t = 0; t < NR_TRAPS; t++)
		if (a.sc.fail[t] > 0 && !a.sc.rule_good[t])
			cand++;
	if (!harmful && cand && (double)(mix64(a.hash) >> 11) / 9007199254740992.0 < P_HARMFUL_VARIANT)
		bad_pick = (int)(mix64(a.hash ^ 0x99ULL) % (uint64_t)cand);
	edits = cJSON_CreateArray();
	for (int i = 0; i < NR_TRAPS && n < 4; i++) {
		int t = a.order[i];
		const struct sim_trap_info *ti = &sim_traps[t];
		if (a.sc.rule_bad[t] && !harmful && a.sc.harm[t] > 0) {
			cJSON_AddItemToArray(edits, edit_item("replace", ti->harmful_rule, ti->rule, &a.ev[t]));
			buf_addf(&why, "The rule about %s is over-general and broke other instances; "
				 "replace it with a precise one. ", ti->title);
			n++;
			continue;
		}
		if (a.sc.fail[t] > 0 && !a.sc.rule_good[t] && !a.sc.rule_bad[t]) {
			int bad = harmful || bad_pick-- == 0;
			char *content = xasprintf("- %s", bad ? ti->harmful_rule : ti->rule);
			cJSON_AddItemToArray(edits, edit_item("append", "## Failure lessons", content, &a.ev[t]));
			buf_addf(&why, "Failures show %s (%s). ", ti->title, ti->fail_signal);
			free(content);
			n++;
		}
	}
	if (!n && harmful) {
		const struct sim_trap_info *ti = &sim_traps[TRAP_INCLUSIVE];
		char *content = xasprintf("- %s", ti->harmful_rule);
		cJSON_AddItemToArray(edits, edit_item("append", "## Failure lessons", content, &a.all));
		buf_adds(&why, "Counts are often off by one. ");
		free(content);
	}
	if (!why.len)
		buf_adds(&why, "No recurring failure is visible that the skill does not already cover.");
	buf_trim(&why);
	cJSON_AddStringToObject(o, "reasoning", why.buf);
	cJSON_AddItemToObject(o, "edits", edits);
	buf_release(&why);
	return o;
}

static cJSON *role_slow_update(const char *text, uint64_t seed)
{
	struct analysis a;
	cJSON *o = cJSON_CreateObject(), *notes;
	analyse(&a, text, seed, 3, 3, 1);
	cJSON_AddStringToObject(o, "guidance",
		"Prefer replacing an over-general rule with a precise one to adding another "
		"rule; keep the skill short and each rule tied to the questions it fits.");
	notes = cJSON_AddArrayToObject(o, "notes");
	for (int i = 0; i < NR_TRAPS; i++) {
		int t = a.order[i];
		char *s;
		if (a.sc.harm[t] > 0)
			s = xasprintf("An over-general rule about %s caused regressions.", sim_traps[t].title);
		else if (a.sc.success[t] > 0)
			s = xasprintf("Instances about %s improved once a precise rule was present.",
				      sim_traps[t].title);
		else if (a.sc.fail[t] > 0)
			s = xasprintf("Failures about %s persist.", sim_traps[t].title);
		else
			continue;
		cJSON_AddItemToArray(notes, cJSON_CreateString(s));
		free(s);
	}
	return o;
}

/* Copy the value after `key` (skipping quotes, colons, spaces) up to a line end or quote. */
static int value_after(const char *text, const char *key, char *out, size_t n, int last)
{
	const char *p = NULL, *q;
	for (q = sim_strcasestr(text, key); q; q = sim_strcasestr(q + 1, key)) {
		p = q;
		if (!last)
			break;
	}
	if (!p)
		return -1;
	p += strlen(key);
	while (*p == '"' || *p == ':' || *p == ' ' || *p == '\t')
		p++;
	size_t len = strcspn(p, "\"\n\r");
	while (len && (p[len - 1] == ' ' || p[len - 1] == ',' || p[len - 1] == '.'))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return len ? 0 : -1;
}

static cJSON *role_judge(const char *text)
{
	char ans[128], exp[128];
	cJSON *o = cJSON_CreateObject();
	int have_ans = value_after(text, "Answer:", ans, sizeof(ans), 1) == 0;
	int have_exp = value_after(text, "expected", exp, sizeof(exp), 0) == 0;
	int pass = have_ans && have_exp && !strcasecmp(ans, exp);
	char *why;
	if (have_ans && have_exp)
		why = xasprintf("The final answer '%s' %s the reference '%s'.", ans,
				pass ? "matches" : "does not match", exp);
	else
		why = xstrdup("No final answer and reference could be compared.");
	cJSON_AddNumberToObject(o, "score", pass ? 1.0 : 0.0);
	cJSON_AddStringToObject(o, "verdict", pass ? "pass" : "fail");
	cJSON_AddStringToObject(o, "reason", why);
	free(why);
	return o;
}

cJSON *sim_aux_output(const char *role, const char *text, uint64_t seed, int harmful)
{
	if (!strcmp(role, "task_summary"))
		return role_task_summary(text);
	if (!strcmp(role, "failure_summary"))
		return role_failure_summary(text, seed);
	if (!strcmp(role, "success_summary"))
		return role_success_summary(text, seed);
	if (!strcmp(role, "failure_cluster"))
		return role_failure_cluster(text, seed);
	if (!strcmp(role, "success_cluster"))
		return role_success_cluster(text, seed);
	if (!strcmp(role, "contrast"))
		return role_contrast(text, seed);
	if (!strcmp(role, "skill"))
		return role_skill(text, seed, harmful);
	if (!strcmp(role, "skill_refine"))
		return role_skill_refine(text, seed, harmful);
	if (!strcmp(role, "case_analysis"))
		return role_case_analysis(text, seed);
	if (!strcmp(role, "feedback"))
		return role_feedback(text, seed);
	if (!strcmp(role, "edits"))
		return role_edits(text, seed, harmful);
	if (!strcmp(role, "slow_update"))
		return role_slow_update(text, seed);
	return role_judge(text);
}
