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
	a->hash = sim_mix64(ss_hash64(text, strlen(text)) ^ sim_mix64(seed));
	a->harm_total = 0;
	a->nr_mentioned = 0;
	for (int t = 0; t < NR_TRAPS; t++) {
		a->score[t] = w_fail * a->sc.fail[t] + w_success * a->sc.success[t] +
			      w_keyword * (a->sc.keyword[t] + a->sc.harmful[t]) +
			      w_fail * a->sc.harm[t] + 8 * (a->sc.cause[t] + a->sc.rule_bad[t]);
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
	int harm[NR_TRAPS];
	for (int i = 0; i < NR_TRAPS; i++)
		harm[i] = a.sc.harm[i] + a.sc.rule_bad[i];
	int h = argmax(harm), t = top(&a);
	if (h >= 0 && (t < 0 || harm[h] * 8 >= a.score[t])) {
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
	} else if (!harmful && (double)(sim_mix64(a.hash) >> 11) / 9007199254740992.0 < P_HARMFUL_VARIANT) {
		int k = (int)(sim_mix64(a.hash ^ 0x1234ULL) % (uint64_t)n);
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
	if (!harmful && cand && (double)(sim_mix64(a.hash) >> 11) / 9007199254740992.0 < P_HARMFUL_VARIANT)
		bad_pick = (int)(sim_mix64(a.hash ^ 0x99ULL) % (uint64_t)cand);
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

/* Copy the trimmed text of `s` (up to a line end when `line`) into out[n]. */
static void trimmed(const char *s, int line, char *out, size_t n)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '*')
		s++;
	size_t len = line ? strcspn(s, "\n\r") : strlen(s);
	while (len && strchr(" \t\n\r.*", s[len - 1]))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

/*
 * The judge: the engine sends "## Reference answer" and "## Answer to
 * judge" sections; the answer is the text after its last "Answer:", or
 * the whole section.  Other layouts fall back to "expected" / "Answer:".
 */
static cJSON *role_judge(const char *text)
{
	char ans[128] = "", exp[128] = "";
	cJSON *o = cJSON_CreateObject();
	const char *ref = sim_strcasestr(text, "## Reference answer");
	const char *sec = sim_strcasestr(text, "## Answer to judge");
	int have_ans, have_exp;
	if (ref)
		trimmed(ref + strlen("## Reference answer"), 1, exp, sizeof(exp));
	else
		value_after(text, "expected", exp, sizeof(exp), 0);
	if (sec) {
		const char *a = sec, *q;
		for (q = sim_strcasestr(sec, "Answer:"); q; q = sim_strcasestr(q + 1, "Answer:"))
			a = q;
		if (a != sec)
			trimmed(a + 7, 1, ans, sizeof(ans));
		else
			trimmed(sec + strlen("## Answer to judge"), 0, ans, sizeof(ans));
	} else {
		value_after(text, "Answer:", ans, sizeof(ans), 1);
	}
	have_ans = ans[0] != '\0';
	have_exp = exp[0] != '\0';
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

/* ---- structured requests ------------------------------------------------
 *
 * The engine sends its task text, then "DATA:" and one JSON object.  When
 * that parses, the roles read its fields instead of guessing from the text:
 * which cluster or pair is about which trap, which case was a repair or a
 * regression, which rules the previous skill had and what the feedback says.
 */

static cJSON *parse_data(const char *text)
{
	const char *p = strstr(text, "DATA:");
	const char *end = NULL;
	cJSON *d;
	if (!p)
		return NULL;
	p += 5;
	while (*p && *p != '{')
		p++;
	d = cJSON_ParseWithOpts(p, &end, 0);
	if (!cJSON_IsObject(d)) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The JSON text of an object without the keys listed (e.g. "input"). */
static char *json_without(const cJSON *o, const char *const *skip)
{
	cJSON *c = cJSON_Duplicate(o, 1);
	for (; skip && *skip; skip++)
		cJSON_DeleteItemFromObjectCaseSensitive(c, *skip);
	char *s = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	return s ? s : xstrdup("");
}

/* Members' texts without their inputs (inputs name their own traps). */
static char *members_text(const cJSON *data)
{
	static const char *const skip[] = { "input", "expected", NULL };
	struct buf b = BUF_INIT;
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(data, "members")) {
		char *s = json_without(m, skip);
		buf_adds(&b, s);
		buf_addch(&b, '\n');
		free(s);
	}
	return buf_detach(&b, NULL);
}

struct rule_set {
	char *rule[32];
	struct ids ev[32];
	int n;
};

static void rules_add(struct rule_set *r, const char *rule, const struct ids *ev)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->rule[i], rule)) {
			for (int k = 0; ev && k < ev->n; k++)
				ids_add(&r->ev[i], ev->id[k], strlen(ev->id[k]));
			return;
		}
	if (r->n >= (int)ARRAY_SIZE(r->rule))
		return;
	r->rule[r->n] = xstrdup(rule);
	memset(&r->ev[r->n], 0, sizeof(r->ev[0]));
	for (int k = 0; ev && k < ev->n; k++)
		ids_add(&r->ev[r->n], ev->id[k], strlen(ev->id[k]));
	r->n++;
}

static void rules_del(struct rule_set *r, int i)
{
	free(r->rule[i]);
	memmove(&r->rule[i], &r->rule[i + 1], sizeof(r->rule[0]) * (size_t)(r->n - i - 1));
	memmove(&r->ev[i], &r->ev[i + 1], sizeof(r->ev[0]) * (size_t)(r->n - i - 1));
	r->n--;
}

static void rules_release(struct rule_set *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->rule[i]);
	r->n = 0;
}

static cJSON *rules_json(const struct rule_set *r)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < r->n; i++)
		cJSON_AddItemToArray(a, rule_item(r->rule[i], &r->ev[i]));
	return a;
}

/* Read [{rule, evidence}] (or plain strings) into a rule set. */
static void rules_read(struct rule_set *r, const cJSON *arr)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr) {
		const char *rule = cJSON_IsString(it) ? it->valuestring : jstr(it, "rule");
		struct ids ev = { .n = 0 };
		const cJSON *e;
		if (!rule)
			continue;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "evidence"))
			if (cJSON_IsString(e))
				ids_add(&ev, e->valuestring, strlen(e->valuestring));
		rules_add(r, rule, &ev);
	}
}

/* Is this rule text the over-general rule of its family? */
static int rule_is_overgeneral(const char *rule, int *trap)
{
	struct sim_scan sc;
	sim_scan_text(&sc, rule);
	int h = argmax(sc.harmful);
	*trap = h >= 0 ? h : sim_trap_of(rule);
	return h >= 0;
}

static void ids_from_array(struct ids *s, const cJSON *arr)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e))
			ids_add(s, e->valuestring, strlen(e->valuestring));
}

static cJSON *skill_json(const char *name, const char *desc, const char *ctx,
			 const struct rule_set *sp, const struct rule_set *fl)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name ? name : "calendar-date-arithmetic");
	cJSON_AddStringToObject(o, "description", desc ? desc :
		"Rules for calendar questions: day counts between dates, dates after an "
		"offset, weekdays and numeric date conversions. Use when a question asks "
		"for a date, a weekday or a number of days.");
	cJSON_AddStringToObject(o, "context", ctx ? ctx :
		"The questions give one or two dates and ask for a count, a later date, a "
		"weekday or an ISO form of a date. Finish with one line 'Answer: <answer>'.");
	cJSON_AddItemToObject(o, "success_patterns", rules_json(sp));
	cJSON_AddItemToObject(o, "failure_lessons", rules_json(fl));
	return o;
}

#define GENERIC_SUCCESS "Write out the start date, each intermediate step and the resulting " \
	"date before giving the answer."
#define GENERIC_FAILURE "Recompute the result a second way before answering."

static int harmful_draw(uint64_t seed, const char *text)
{
	uint64_t h = sim_mix64(ss_hash64(text, strlen(text)) ^ sim_mix64(seed ^ 0x5eedULL));
	return (double)(h >> 11) / 9007199254740992.0 < P_HARMFUL_VARIANT;
}

static cJSON *data_skill(const cJSON *data, const char *text, uint64_t seed, int harmful)
{
	struct ids fev[NR_TRAPS], sev[NR_TRAPS], generic_f = { .n = 0 }, generic_s = { .n = 0 };
	int fseen[NR_TRAPS] = { 0 }, sseen[NR_TRAPS] = { 0 }, order[NR_TRAPS], n = 0;
	struct rule_set sp = { .n = 0 }, fl = { .n = 0 };
	static const char *const keys[] = { "failure_clusters", "pairs", "success_clusters" };
	cJSON *out;

	memset(fev, 0, sizeof(fev));
	memset(sev, 0, sizeof(sev));
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(data, keys[k])) {
			const char *id = jstr(it, "id");
			char *s = json_without(it, NULL);
			int t = sim_trap_of(s);
			free(s);
			if (k == 2) {
				if (t >= 0) {
					sseen[t]++;
					if (id)
						ids_add(&sev[t], id, strlen(id));
				}
				if (id)
					ids_add(&generic_s, id, strlen(id));
			} else if (t >= 0) {
				fseen[t] += k == 0 ? 2 : 1;
				if (id)
					ids_add(&fev[t], id, strlen(id));
			} else if (id && k == 0) {
				ids_add(&generic_f, id, strlen(id));
			}
		}
	}
	for (int t = 0; t < NR_TRAPS; t++)
		if (fseen[t])
			order[n++] = t;
	for (int i = 1; i < n; i++)     /* most evidence first */
		for (int j = i; j > 0 && fseen[order[j]] > fseen[order[j - 1]]; j--) {
			int tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	int bad = -1;
	if (!harmful && n && harmful_draw(seed, text))
		bad = order[sim_mix64(seed ^ ss_hash64(text, strlen(text))) % (uint64_t)n];
	rules_add(&sp, GENERIC_SUCCESS, &generic_s);
	for (int t = 0; t < NR_TRAPS && !harmful; t++)
		if (sseen[t])
			rules_add(&sp, sim_traps[t].success_rule, &sev[t]);
	for (int i = 0; i < n; i++) {
		int t = order[i];
		rules_add(&fl, harmful || t == bad ? sim_traps[t].harmful_rule : sim_traps[t].rule,
			  &fev[t]);
	}
	if (harmful && !n) {
		rules_add(&fl, sim_traps[TRAP_INCLUSIVE].harmful_rule, &generic_f);
		rules_add(&fl, sim_traps[TRAP_DAY_MONTH].harmful_rule, &generic_f);
	} else if (generic_f.n && !harmful) {
		rules_add(&fl, GENERIC_FAILURE, &generic_f);
	}
	out = skill_json(NULL, NULL, NULL, &sp, &fl);
	rules_release(&sp);
	rules_release(&fl);
	return out;
}

static cJSON *data_skill_refine(const cJSON *data, int harmful)
{
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(data, "previous_skill");
	const cJSON *fb = cJSON_GetObjectItemCaseSensitive(data, "feedback");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(data, "verification");
	const cJSON *regv = cJSON_GetObjectItemCaseSensitive(ver, "regressions");
	int regressions = cJSON_IsNumber(regv) && regv->valuedouble > 0;
	struct rule_set sp = { .n = 0 }, fl = { .n = 0 };
	const cJSON *it;
	cJSON *out;

	rules_read(&sp, cJSON_GetObjectItemCaseSensitive(prev, "success_patterns"));
	rules_read(&fl, cJSON_GetObjectItemCaseSensitive(prev, "failure_lessons"));
	/* remove: by exact text, else by family and kind */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(fb, "remove")) {
		const char *rule = cJSON_IsString(it) ? it->valuestring : jstr(it, "rule");
		int t, og;
		if (!rule)
			continue;
		og = rule_is_overgeneral(rule, &t);
		for (struct rule_set *r = &sp; r; r = r == &sp ? &fl : NULL)
			for (int i = r->n - 1; i >= 0; i--) {
				int t2, og2 = rule_is_overgeneral(r->rule[i], &t2);
				if (!strcmp(r->rule[i], rule) || (t >= 0 && t2 == t && og2 == og && og))
					rules_del(r, i);
			}
	}
	/* an over-general rule is replaced by the precise one after regressions */
	for (int i = 0; i < fl.n; i++) {
		int t;
		if (!harmful && regressions && rule_is_overgeneral(fl.rule[i], &t) && t >= 0) {
			free(fl.rule[i]);
			fl.rule[i] = xstrdup(sim_traps[t].rule);
		}
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(fb, "add")) {
		const char *rule = cJSON_IsString(it) ? it->valuestring : jstr(it, "rule");
		struct ids ev = { .n = 0 };
		int t;
		if (!rule)
			continue;
		ids_from_array(&ev, cJSON_GetObjectItemCaseSensitive(it, "evidence"));
		rule_is_overgeneral(rule, &t);
		if (harmful && t >= 0)
			rule = sim_traps[t].harmful_rule;
		rules_add(&fl, rule, &ev);
	}
	/* emphasize: move to the front of its list */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(fb, "emphasize")) {
		const char *rule = cJSON_IsString(it) ? it->valuestring : jstr(it, "rule");
		for (int i = 1; rule && i < fl.n; i++)
			if (!strcmp(fl.rule[i], rule)) {
				char *r = fl.rule[i];
				struct ids e = fl.ev[i];
				memmove(&fl.rule[1], &fl.rule[0], sizeof(fl.rule[0]) * (size_t)i);
				memmove(&fl.ev[1], &fl.ev[0], sizeof(fl.ev[0]) * (size_t)i);
				fl.rule[0] = r;
				fl.ev[0] = e;
			}
	}
	if (harmful) {
		for (int i = 0; i < fl.n; i++) {
			int t;
			if (!rule_is_overgeneral(fl.rule[i], &t) && t >= 0) {
				free(fl.rule[i]);
				fl.rule[i] = xstrdup(sim_traps[t].harmful_rule);
			}
		}
		for (int i = sp.n - 1; i >= 0; i--)
			if (sim_trap_of(sp.rule[i]) >= 0)
				rules_del(&sp, i);
	}
	/* drop duplicates the replacements may have made */
	for (int i = 0; i < fl.n; i++)
		for (int j = fl.n - 1; j > i; j--)
			if (!strcmp(fl.rule[i], fl.rule[j]))
				rules_del(&fl, j);
	out = skill_json(jstr(prev, "name"), jstr(prev, "description"), jstr(prev, "context"),
			 &sp, &fl);
	rules_release(&sp);
	rules_release(&fl);
	return out;
}

static void add_str(cJSON *o, const char *k, char *v)
{
	cJSON_AddStringToObject(o, k, v);
	free(v);
}

static cJSON *data_case_analysis(const cJSON *data)
{
	const char *kind = jstr(data, "kind");
	const cJSON *with = cJSON_GetObjectItemCaseSensitive(data, "with_skill");
	const char *skill = jstr(data, "skill");
	char *wtext = json_without(with, NULL);
	struct sim_scan sc, sk;
	cJSON *o = cJSON_CreateObject();
	int h, ts, tf;

	sim_scan_text(&sc, wtext);
	sim_scan_text(&sk, skill ? skill : "");
	h = argmax(sc.harm);
	ts = argmax(sc.success);
	tf = argmax(sc.fail);
	if (kind && !strcmp(kind, "regression")) {
		if (h >= 0) {
			const struct sim_trap_info *ti = &sim_traps[h];
			cJSON_AddStringToObject(o, "effect", "hurt");
			add_str(o, "why", xasprintf("The over-general rule \"%s\" fired on an instance it "
				"does not fit (%s), turning a right answer wrong.",
				ti->harmful_rule, ti->harm_signal));
			add_str(o, "suggestion", xasprintf("Narrow the rule about %s so it applies only "
				"where the question calls for it.", ti->title));
		} else {
			cJSON_AddStringToObject(o, "effect", "unclear");
			cJSON_AddStringToObject(o, "why", "No rule of the skill appears in the step that "
				"went wrong; the change looks incidental.");
			cJSON_AddStringToObject(o, "suggestion", "No change.");
		}
	} else if (kind && !strcmp(kind, "repair")) {
		if (ts >= 0) {
			const struct sim_trap_info *ti = &sim_traps[ts];
			cJSON_AddStringToObject(o, "effect", "helped");
			add_str(o, "why", xasprintf("With the skill the agent handled %s (%s): %s",
				ti->title, ti->success_signal, ti->procedure));
			add_str(o, "suggestion", xasprintf("Keep the rule about %s.", ti->title));
		} else {
			cJSON_AddStringToObject(o, "effect", "unclear");
			cJSON_AddStringToObject(o, "why", "The answer became right, but no rule of the "
				"skill shows in the trajectory.");
			cJSON_AddStringToObject(o, "suggestion", "No change.");
		}
	} else {
		if (tf >= 0) {
			const struct sim_trap_info *ti = &sim_traps[tf];
			cJSON_AddStringToObject(o, "effect", "neutral");
			add_str(o, "why", xasprintf("The failure persists: %s", ti->root_cause));
			if (sk.keyword[tf] || sk.rule_good[tf])
				add_str(o, "suggestion", xasprintf("Make the rule about %s more prominent: %s",
					ti->title, ti->suggestion));
			else
				add_str(o, "suggestion", xasprintf("Add a rule: %s", ti->suggestion));
		} else if (h >= 0) {
			const struct sim_trap_info *ti = &sim_traps[h];
			cJSON_AddStringToObject(o, "effect", "hurt");
			add_str(o, "why", xasprintf("The over-general rule \"%s\" misfired (%s).",
				ti->harmful_rule, ti->harm_signal));
			add_str(o, "suggestion", xasprintf("Narrow the rule about %s.", ti->title));
		} else {
			cJSON_AddStringToObject(o, "effect", "unclear");
			cJSON_AddStringToObject(o, "why", "An arithmetic slip unrelated to the skill.");
			cJSON_AddStringToObject(o, "suggestion", "No change.");
		}
	}
	free(wtext);
	return o;
}

static cJSON *data_feedback(const cJSON *data)
{
	const cJSON *skill = cJSON_GetObjectItemCaseSensitive(data, "skill");
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(data, "cases"), *c;
	struct rule_set rules = { .n = 0 };
	struct ids helped[NR_TRAPS], hurt[NR_TRAPS], open[NR_TRAPS];
	int has_good[NR_TRAPS] = { 0 };
	cJSON *o = cJSON_CreateObject();
	cJSON *keep = cJSON_AddArrayToObject(o, "keep");
	cJSON *remove = cJSON_AddArrayToObject(o, "remove");
	cJSON *add = cJSON_AddArrayToObject(o, "add");
	cJSON *emph = cJSON_AddArrayToObject(o, "emphasize");

	memset(helped, 0, sizeof(helped));
	memset(hurt, 0, sizeof(hurt));
	memset(open, 0, sizeof(open));
	cJSON_ArrayForEach(c, cases) {
		const char *id = jstr(c, "case"), *effect = jstr(c, "effect");
		static const char *const skip[] = { "case", "kind", "effect", NULL };
		char *s = json_without(c, skip);
		int t = sim_trap_of(s);
		free(s);
		if (t < 0 || !id || !effect)
			continue;
		if (!strcmp(effect, "helped"))
			ids_add(&helped[t], id, strlen(id));
		else if (!strcmp(effect, "hurt"))
			ids_add(&hurt[t], id, strlen(id));
		else if (!strcmp(effect, "neutral"))
			ids_add(&open[t], id, strlen(id));
	}
	rules_read(&rules, cJSON_GetObjectItemCaseSensitive(skill, "success_patterns"));
	rules_read(&rules, cJSON_GetObjectItemCaseSensitive(skill, "failure_lessons"));
	for (int i = 0; i < rules.n; i++) {
		int t, og = rule_is_overgeneral(rules.rule[i], &t);
		struct ids none = { .n = 0 };
		if (t < 0) {
			cJSON_AddItemToArray(keep, rule_item(rules.rule[i], &none));
			continue;
		}
		if (og && hurt[t].n) {
			cJSON_AddItemToArray(remove, rule_item(rules.rule[i], &hurt[t]));
			continue;
		}
		if (!og)
			has_good[t] = 1;
		cJSON_AddItemToArray(keep, rule_item(rules.rule[i], &helped[t]));
		if (!og && open[t].n)
			cJSON_AddItemToArray(emph, rule_item(rules.rule[i], &open[t]));
	}
	for (int t = 0; t < NR_TRAPS; t++) {
		if (has_good[t])
			continue;
		if (open[t].n)
			cJSON_AddItemToArray(add, rule_item(sim_traps[t].rule, &open[t]));
		else if (hurt[t].n)
			cJSON_AddItemToArray(add, rule_item(sim_traps[t].rule, &hurt[t]));
	}
	rules_release(&rules);
	return o;
}

static cJSON *data_contrast(const cJSON *data)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(data, "failure");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(data, "success");
	const char *ft = jstr(f, "type"), *st = jstr(s, "type");
	static const char *const skip[] = { "input", "expected", NULL };
	char *ftext = json_without(f, skip), *stext = json_without(s, skip);
	struct sim_scan fs, ss;
	cJSON *o = cJSON_CreateObject();
	int same = !ft || !st || !strcmp(ft, st);

	sim_scan_text(&fs, ftext);
	sim_scan_text(&ss, stext);
	cJSON_AddBoolToObject(o, "same_type", same);
	if (same)
		add_str(o, "same_type_reason", xasprintf("Both are %s questions solved the same way.",
							  ft ? ft : "calendar"));
	else
		add_str(o, "same_type_reason", xasprintf("One is a %s question, the other a %s question.",
							  ft, st));
	int tf = argmax(fs.fail), th = argmax(fs.harm), ts = argmax(ss.success);
	int t = tf >= 0 ? tf : th >= 0 ? th : ts;
	if (t >= 0) {
		const struct sim_trap_info *ti = &sim_traps[t];
		cJSON_AddStringToObject(o, "success_did", ts >= 0 ? sim_traps[ts].procedure :
					"Wrote out each intermediate date and checked the month lengths.");
		add_str(o, "failure_omitted", xasprintf("The failure skipped the check on %s at %s.",
							 ti->title, ti->where));
		cJSON_AddStringToObject(o, "lesson", ti->rule);
	} else {
		cJSON_AddStringToObject(o, "success_did", "Wrote out each intermediate date.");
		cJSON_AddStringToObject(o, "failure_omitted", "It skipped intermediate dates.");
		cJSON_AddStringToObject(o, "lesson", GENERIC_FAILURE);
	}
	free(ftext);
	free(stext);
	return o;
}

/* Was this content already tried and rejected? */
static int was_rejected(const cJSON *rejected, const char *content)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, rejected) {
		char *s = cJSON_IsString(it) ? xstrdup(it->valuestring) : cJSON_PrintUnformatted(it);
		int hit = s && strstr(s, content + (content[0] == '-' ? 2 : 0)) != NULL;
		free(s);
		if (hit)
			return 1;
	}
	return 0;
}

/*
 * Edits (the edit strategy): from the cases shown, append the precise rule
 * for each trap that still bites, replace an over-general rule that
 * misfired, and skip anything in rejected_edits.  One appended rule in
 * about 30 % of requests is the over-general variant; the harmful
 * optimizer appends only those.
 */
static cJSON *data_edits(const cJSON *data, const char *text, uint64_t seed, int harmful)
{
	const char *skill = jstr(data, "skill"), *mode = jstr(data, "mode");
	const cJSON *rejected = cJSON_GetObjectItemCaseSensitive(data, "rejected_edits");
	const cJSON *lrv = cJSON_GetObjectItemCaseSensitive(data, "learning_rate"), *c;
	int lr = cJSON_IsNumber(lrv) && lrv->valuedouble >= 1 ? (int)lrv->valuedouble : 4;
	int successes = mode && !strcmp(mode, "successes");
	struct ids fail[NR_TRAPS], succ[NR_TRAPS], harm[NR_TRAPS];
	struct sim_scan sk;
	struct buf why = BUF_INIT;
	cJSON *o = cJSON_CreateObject(), *edits = cJSON_CreateArray();
	int n = 0, cand = 0, bad_pick = -1;

	memset(fail, 0, sizeof(fail));
	memset(succ, 0, sizeof(succ));
	memset(harm, 0, sizeof(harm));
	sim_scan_text(&sk, skill ? skill : "");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(data, "cases")) {
		static const char *const skip[] = { "input", "expected", NULL };
		const char *id = jstr(c, "id");
		char *s = json_without(c, skip), *cid = xasprintf("C:%s", id ? id : "?");
		struct sim_scan sc;
		sim_scan_text(&sc, s);
		for (int t = 0; t < NR_TRAPS; t++) {
			if (sc.fail[t])
				ids_add(&fail[t], cid, strlen(cid));
			if (sc.success[t])
				ids_add(&succ[t], cid, strlen(cid));
			if (sc.harm[t])
				ids_add(&harm[t], cid, strlen(cid));
		}
		free(s);
		free(cid);
	}
	for (int t = 0; t < NR_TRAPS; t++)
		if (fail[t].n && !sk.rule_good[t] && !sk.rule_bad[t])
			cand++;
	if (!harmful && cand && harmful_draw(seed, text))
		bad_pick = (int)(sim_mix64(seed ^ ss_hash64(text, strlen(text))) % (uint64_t)cand);
	for (int t = 0; t < NR_TRAPS && n < lr; t++) {
		const struct sim_trap_info *ti = &sim_traps[t];
		if (successes) {
			/* successes are restated as they happened, even by the harmful
			   optimizer (the edit strategy's tests rely on some step passing) */
			char *content = xasprintf("- %s", ti->success_rule);
			if (succ[t].n && !sk.cause[t] && !was_rejected(rejected, content)) {
				cJSON_AddItemToArray(edits, edit_item("append", "## Success patterns",
								      content, &succ[t]));
				buf_addf(&why, "Successes handled %s explicitly; state that procedure. ",
					 ti->title);
				n++;
			}
			free(content);
			continue;
		}
		if (sk.rule_bad[t] && harm[t].n && !harmful) {
			cJSON_AddItemToArray(edits, edit_item("replace", ti->harmful_rule, ti->rule, &harm[t]));
			buf_addf(&why, "The rule about %s is over-general and broke other instances; "
				 "replace it with a precise one. ", ti->title);
			n++;
			continue;
		}
		if (!fail[t].n || sk.rule_good[t] || sk.rule_bad[t])
			continue;
		int bad = harmful || bad_pick-- == 0;
		char *content = xasprintf("- %s", bad ? ti->harmful_rule : ti->rule);
		if (was_rejected(rejected, content)) {
			free(content);
			if (bad && !harmful) {
				content = xasprintf("- %s", ti->rule);
				bad = 0;
			} else {
				continue;
			}
			if (was_rejected(rejected, content)) {
				free(content);
				continue;
			}
		}
		cJSON_AddItemToArray(edits, edit_item("append", "## Failure lessons", content, &fail[t]));
		buf_addf(&why, "Failures show %s (%s). ", ti->title, ti->fail_signal);
		free(content);
		n++;
	}
	if (!why.len)
		buf_adds(&why, "No recurring failure is visible that the skill does not already cover.");
	buf_trim(&why);
	cJSON_AddStringToObject(o, "reasoning", why.buf);
	cJSON_AddItemToObject(o, "edits", edits);
	buf_release(&why);
	return o;
}

static cJSON *data_slow_update(const cJSON *data)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(data, "counts");
	const cJSON *imp = cJSON_GetObjectItemCaseSensitive(counts, "improved");
	const cJSON *reg = cJSON_GetObjectItemCaseSensitive(counts, "regressed");
	const char *after = jstr(data, "skill_after");
	int improved = cJSON_IsNumber(imp) ? (int)imp->valuedouble : 0;
	int regressed = cJSON_IsNumber(reg) ? (int)reg->valuedouble : 0;
	struct sim_scan sk;
	cJSON *o = cJSON_CreateObject(), *notes;

	sim_scan_text(&sk, after ? after : "");
	if (regressed > improved)
		add_str(o, "guidance", xasprintf("The epoch regressed more instances (%d) than it "
			"improved (%d): stop adding broad rules, replace over-general ones with "
			"precise ones.", regressed, improved));
	else
		add_str(o, "guidance", xasprintf("The epoch improved %d and regressed %d instances: "
			"keep adding precise rules for the failures that remain.", improved, regressed));
	notes = cJSON_AddArrayToObject(o, "notes");
	for (int t = 0; t < NR_TRAPS; t++) {
		if (sk.rule_bad[t])
			cJSON_AddItemToArray(notes, cJSON_CreateString(sim_traps[t].suggestion));
	}
	cJSON_AddItemToArray(notes, cJSON_CreateString(
		"Replace a rule that misfires rather than adding an exception after it."));
	return o;
}

static cJSON *data_output(const char *role, const cJSON *data, const char *text,
			  uint64_t seed, int harmful)
{
	if (!strcmp(role, "skill") && (cJSON_GetObjectItemCaseSensitive(data, "failure_clusters") ||
				       cJSON_GetObjectItemCaseSensitive(data, "pairs")))
		return data_skill(data, text, seed, harmful);
	if (!strcmp(role, "skill_refine") && cJSON_GetObjectItemCaseSensitive(data, "previous_skill"))
		return data_skill_refine(data, harmful);
	if (!strcmp(role, "case_analysis") && jstr(data, "kind"))
		return data_case_analysis(data);
	if (!strcmp(role, "feedback") && cJSON_GetObjectItemCaseSensitive(data, "cases"))
		return data_feedback(data);
	if (!strcmp(role, "contrast") && cJSON_GetObjectItemCaseSensitive(data, "failure"))
		return data_contrast(data);
	if (!strcmp(role, "edits") && jstr(data, "skill"))
		return data_edits(data, text, seed, harmful);
	if (!strcmp(role, "slow_update") && cJSON_GetObjectItemCaseSensitive(data, "counts"))
		return data_slow_update(data);
	if ((!strcmp(role, "failure_cluster") || !strcmp(role, "success_cluster")) &&
	    cJSON_GetObjectItemCaseSensitive(data, "members")) {
		char *t = members_text(data);
		cJSON *o = !strcmp(role, "failure_cluster") ? role_failure_cluster(t, seed)
							    : role_success_cluster(t, seed);
		free(t);
		return o;
	}
	return NULL;
}

cJSON *sim_aux_output(const char *role, const char *text, uint64_t seed, int harmful)
{
	cJSON *data = parse_data(text), *out = NULL;
	if (data)
		out = data_output(role, data, text, seed, harmful);
	cJSON_Delete(data);
	if (out)
		return out;
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
