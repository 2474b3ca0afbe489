/*
 * The simulated base agent.  Whether it answers an instance right is a
 * product of independent "factors": a small chance of a plain slip, one
 * factor per trap of the instance (low unless the prompt carries a rule
 * addressing it), and one per over-general rule in the prompt that breaks a
 * feature of the instance.  Each factor draws from a hash of (seed,
 * instance) most of the time, and of the prompt too now and then, so a
 * prompt change moves few answers except where a rule applies.  A failing
 * factor shapes the wrong answer and the line of the trajectory where it bit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "sim/sim.h"

#define P_CLEAN      0.92   /* no trap, no rule */
#define P_TRAP       0.30   /* a trap nobody warned about */
#define P_TRAP_RULE  0.97   /* a trap the prompt addresses */
#define P_TRAP_HARSH 0.40   /* a trap only an over-general rule addresses */
#define P_BROKEN     0.15   /* a feature an over-general rule breaks */
#define P_FRESH      0.10   /* share of draws that depend on the prompt */

enum { F_SLIP = 0, F_TRAP = 1, F_HARM = 1 + NR_TRAPS, NR_FACTORS = 1 + 2 * NR_TRAPS };

struct factors {
	double p[NR_FACTORS];      /* survival probability, 1 when absent */
	int fail[NR_FACTORS];
};

static void compute_p(struct factors *f, const struct sim_instance *in, const char *rules_text)
{
	struct sim_scan sc;
	sim_scan_text(&sc, rules_text);
	for (int i = 0; i < NR_FACTORS; i++)
		f->p[i] = 1.0;
	f->p[F_SLIP] = P_CLEAN;
	if (in->kind == KIND_FORMAT)
		f->p[F_SLIP] = (in->p1 <= 12 && in->p2 <= 12) ? 0.95 : 0.98;
	for (int t = 0; t < NR_TRAPS; t++) {
		if (in->traps & TRAP_BIT(t))
			f->p[F_TRAP + t] = sc.keyword[t] ? P_TRAP_RULE :
					   sc.harmful[t] ? P_TRAP_HARSH : P_TRAP;
		if (sc.harmful[t] && (sim_traps[t].breaks & in->vulns))
			f->p[F_HARM + t] = P_BROKEN;
	}
}

double sim_agent_p_correct(const struct sim_instance *in, const char *rules_text)
{
	struct factors f;
	double p = 1.0;
	compute_p(&f, in, rules_text);
	for (int i = 0; i < NR_FACTORS; i++)
		p *= f.p[i];
	return p;
}

/* The leap-year line of a range that passes a leap day; returns the day error. */
static int leap_line(struct buf *t, const struct factors *f, int leap_year, int sign)
{
	if (f->fail[F_TRAP + TRAP_LEAP_YEAR]) {
		buf_addf(t, "I take February %d to have 28 days.\n", leap_year);
		return sign;
	}
	buf_addf(t, "%d is a leap year, so February has 29 days.\n", leap_year);
	return 0;
}

/* Lines and day error of the over-general rules that misfire on day ranges. */
static int harm_lines(struct buf *t, const struct factors *f, int feb_sign)
{
	int err = 0;
	if (f->fail[F_HARM + TRAP_LEAP_YEAR]) {
		buf_adds(t, "Using 29 days for February as the rule says.\n");
		err += feb_sign;
	}
	if (f->fail[F_HARM + TRAP_YEAR_BOUNDARY]) {
		buf_adds(t, "Adding one extra day for crossing into a new month as the rule says.\n");
		err += 1;
	}
	return err;
}

static int leap_year_in(int64_t a, int64_t b)
{
	int ya, yb, m, d;
	sim_civil_from_days(a, &ya, &m, &d);
	sim_civil_from_days(b, &yb, &m, &d);
	for (int y = ya; y <= yb; y++)
		if (sim_is_leap(y))
			return y;
	return ya;
}

static void answer_count(struct sim_agent_answer *out, const struct sim_instance *in,
			 const struct factors *f, int slip)
{
	char sa[16], sb[16];
	struct buf *t = &out->text;
	int err = 0, diff;
	sim_iso(sa, sizeof(sa), in->a);
	sim_iso(sb, sizeof(sb), in->b);
	buf_addf(t, "Start: %s. End: %s.\n", sa, sb);
	if (in->traps & TRAP_BIT(TRAP_LEAP_YEAR))
		err += leap_line(t, f, leap_year_in(in->a, in->b), -1);
	err += harm_lines(t, f, 1);
	if (f->fail[F_SLIP]) {
		buf_adds(t, "Adding the remaining days month by month.\n");
		err += slip;
	}
	diff = (int)(in->b - in->a) + err;
	buf_addf(t, "The difference between the dates is %d days.\n", diff);
	if (in->kind == KIND_COUNT_INCL) {
		if (f->fail[F_TRAP + TRAP_INCLUSIVE]) {
			buf_addf(t, "Counting from the start to the end date gives %d days.\n", diff);
		} else {
			buf_addf(t, "The question counts both ends, so I add one: %d + 1 = %d.\n",
				 diff, diff + 1);
			diff++;
		}
	} else if (f->fail[F_HARM + TRAP_INCLUSIVE]) {
		buf_addf(t, "Applying the rule to add one to every count: %d + 1 = %d.\n",
			 diff, diff + 1);
		diff++;
	}
	snprintf(out->answer, sizeof(out->answer), "%d", diff);
}

static void answer_offset_days(struct sim_agent_answer *out, const struct sim_instance *in,
			       const struct factors *f, int slip)
{
	char sa[16];
	struct buf *t = &out->text;
	int err = 0, ya, yr, m, d;
	sim_iso(sa, sizeof(sa), in->a);
	buf_addf(t, "Start from %s and add %d days.\n", sa, in->n);
	if (in->traps & TRAP_BIT(TRAP_LEAP_YEAR))
		err += leap_line(t, f, leap_year_in(in->a, in->b), 1);
	err += harm_lines(t, f, -1);
	if (f->fail[F_HARM + TRAP_INCLUSIVE]) {
		buf_addf(t, "Applying the rule to add one to every count: %d + 1 = %d days.\n",
			 in->n, in->n + 1);
		err += 1;
	}
	if (f->fail[F_SLIP]) {
		buf_adds(t, "Stepping through the months one at a time.\n");
		err += slip;
	}
	sim_civil_from_days(in->a, &ya, &m, &d);
	sim_civil_from_days(in->b + err, &yr, &m, &d);
	if (yr != ya && f->fail[F_TRAP + TRAP_YEAR_BOUNDARY]) {
		buf_addf(t, "That lands on %s %d, keeping the year %d.\n", sim_month_names[m], d, ya);
		yr = ya;
	} else if (yr != ya) {
		buf_addf(t, "Crossing December 31 moves into the next year, %d.\n", yr);
	} else {
		buf_addf(t, "That lands on %s %d.\n", sim_month_names[m], d);
	}
	snprintf(out->answer, sizeof(out->answer), "%04d-%02d-%02d", yr, m, d);
}

static void answer_offset_months(struct sim_agent_answer *out, const struct sim_instance *in,
				 const struct factors *f, int slip)
{
	char sa[16];
	struct buf *t = &out->text;
	int y, m, d, ty, tm, len;
	int64_t res;
	sim_iso(sa, sizeof(sa), in->a);
	sim_civil_from_days(in->a, &y, &m, &d);
	ty = y + (m - 1 + in->n) / 12;
	tm = (m - 1 + in->n) % 12 + 1;
	len = sim_month_len(ty, tm);
	buf_addf(t, "Adding %d month%s to %s gives day %d of %s %d.\n", in->n,
		 in->n == 1 ? "" : "s", sa, d, sim_month_names[tm], ty);
	if (in->traps & TRAP_BIT(TRAP_MONTH_END)) {
		if (in->traps & TRAP_BIT(TRAP_LEAP_YEAR))
			len -= leap_line(t, f, ty, 1);
		if (f->fail[F_TRAP + TRAP_MONTH_END]) {
			res = sim_days_from_civil(ty, tm, len) + (d - len);
			int ry, rm, rd;
			sim_civil_from_days(res, &ry, &rm, &rd);
			buf_addf(t, "%s %d has %d days, so day %d rolls over into %s: %s %d.\n",
				 sim_month_names[tm], ty, len, d, sim_month_names[rm],
				 sim_month_names[rm], rd);
		} else {
			res = sim_days_from_civil(ty, tm, len);
			buf_addf(t, "%s %d has only %d days, so the date is clamped to the last day, "
				 "the %dth.\n", sim_month_names[tm], ty, len, len);
		}
	} else if (f->fail[F_HARM + TRAP_MONTH_END]) {
		res = sim_days_from_civil(ty, tm, len);
		buf_addf(t, "Moving to the last day of the month as the rule says: %s %d.\n",
			 sim_month_names[tm], len);
	} else {
		res = sim_days_from_civil(ty, tm, d);
	}
	if (f->fail[F_SLIP]) {
		buf_adds(t, "Counting the days within the month once more.\n");
		res += slip;
	}
	sim_iso(out->answer, sizeof(out->answer), res);
}

static void answer_weekday(struct sim_agent_answer *out, const struct sim_instance *in,
			   const struct factors *f, int slip)
{
	char sa[16], sb[16];
	struct buf *t = &out->text;
	int err = 0, diff, wa = sim_weekday(in->a);
	sim_iso(sa, sizeof(sa), in->a);
	sim_iso(sb, sizeof(sb), in->b);
	buf_addf(t, "%s was a %s; count the days to %s.\n", sa, sim_weekday_names[wa], sb);
	if (in->traps & TRAP_BIT(TRAP_LEAP_YEAR))
		err += leap_line(t, f, leap_year_in(in->a, in->b), -1);
	err += harm_lines(t, f, 1);
	if (f->fail[F_SLIP]) {
		buf_adds(t, "Adding the days month by month.\n");
		err += slip;
	}
	diff = (int)(in->b - in->a) + err;
	buf_addf(t, "That is %d days, and %d mod 7 = %d, so move %d weekdays on from %s.\n",
		 diff, diff, diff % 7, diff % 7, sim_weekday_names[wa]);
	snprintf(out->answer, sizeof(out->answer), "%s", sim_weekday_names[(wa + diff % 7 + 7) % 7]);
}

static void answer_format(struct sim_agent_answer *out, const struct sim_instance *in,
			  const struct factors *f)
{
	struct buf *t = &out->text;
	int day, month;
	if (in->fmt_dayfirst) {
		if (f->fail[F_TRAP + TRAP_DAY_MONTH] || f->fail[F_SLIP]) {
			buf_addf(t, "Reading it as month %02d, day %02d.\n", in->p1, in->p2);
			month = in->p1;
			day = in->p2;
		} else {
			buf_addf(t, "The stated format is DD/MM/YYYY, so the day comes first: "
				 "day %02d, month %02d.\n", in->p1, in->p2);
			day = in->p1;
			month = in->p2;
		}
	} else {
		if (f->fail[F_HARM + TRAP_DAY_MONTH] || f->fail[F_SLIP]) {
			buf_addf(t, "Reading the date day first as the rule says: day %02d, month %02d.\n",
				 in->p1, in->p2);
			day = in->p1;
			month = in->p2;
		} else {
			buf_addf(t, "The stated format is MM/DD/YYYY: month %02d, day %02d.\n",
				 in->p1, in->p2);
			month = in->p1;
			day = in->p2;
		}
	}
	buf_addf(t, "In ISO order that is year %d, month %02d, day %02d.\n", in->year, month, day);
	snprintf(out->answer, sizeof(out->answer), "%04d-%02d-%02d", in->year, month, day);
}

void sim_agent_answer(struct sim_agent_answer *out, uint64_t seed,
		      const struct sim_instance *in, const char *rules_text,
		      uint64_t prompt_hash)
{
	struct factors f;
	uint64_t ih = ss_hash64(in->id, strlen(in->id)) ^ sim_mix64(seed);
	int slip;

	compute_p(&f, in, rules_text);
	for (int i = 0; i < NR_FACTORS; i++) {
		uint64_t k = sim_mix64(ih + (uint64_t)i * 0x51ed27ULL);
		double u = sim_unit(k ^ prompt_hash) < P_FRESH ? sim_unit(k + prompt_hash * 31) : sim_unit(k);
		f.fail[i] = u >= f.p[i];
	}
	slip = (sim_mix64(ih ^ prompt_hash) & 1) ? 1 : -1;
	buf_init(&out->text, 256);
	switch (in->kind) {
	case KIND_COUNT_INCL:
	case KIND_COUNT_EXCL: answer_count(out, in, &f, slip); break;
	case KIND_OFFSET_DAYS: answer_offset_days(out, in, &f, slip); break;
	case KIND_OFFSET_MONTHS: answer_offset_months(out, in, &f, slip); break;
	case KIND_WEEKDAY: answer_weekday(out, in, &f, slip); break;
	default: answer_format(out, in, &f); break;
	}
	buf_addf(&out->text, "Answer: %s", out->answer);
	out->correct = !strcmp(out->answer, in->expected);
}
