/*
 * The bundled demo suite: calendar and date arithmetic questions with hidden
 * traps (leap years, inclusive counts, day/month order, month ends, year
 * boundaries).  Generated from a seed, so the simulator and the committed
 * sample-runs/demo/tasks.jsonl agree without reading each other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/buf.h"
#include "sim/sim.h"

const char *const sim_weekday_names[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};

const char *const sim_month_names[13] = {
	"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

/* ---- dates (Howard Hinnant's civil algorithms) ------------------------- */

int64_t sim_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void sim_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int sim_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int sim_month_len(int y, int m)
{
	static const int len[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && sim_is_leap(y) ? 29 : len[m];
}

int sim_weekday(int64_t z)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0) */
	int64_t w = (z + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

void sim_iso(char *out, size_t n, int64_t z)
{
	int y, m, d;
	sim_civil_from_days(z, &y, &m, &d);
	snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

uint64_t sim_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

double sim_unit(uint64_t x)
{
	return (double)(sim_mix64(x) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- generation ------------------------------------------------------- */

static const int leap_years[] = { 2020, 2024, 2028 };
static const int common_years[] = { 2019, 2021, 2022, 2023, 2025, 2026, 2027 };

static int rnd(struct ss_rng *r, int lo, int hi)
{
	return lo + (int)ss_rng_below(r, (uint64_t)(hi - lo + 1));
}

static int pick_year(struct ss_rng *r, int leap)
{
	if (leap)
		return leap_years[ss_rng_below(r, ARRAY_SIZE(leap_years))];
	return common_years[ss_rng_below(r, ARRAY_SIZE(common_years))];
}

/* Traps and vulnerabilities of a day range a..b (a < b). */
static void range_flags(struct sim_instance *in, int64_t a, int64_t b)
{
	int ya, ma, da, yb, mb, db;
	sim_civil_from_days(a, &ya, &ma, &da);
	sim_civil_from_days(b, &yb, &mb, &db);
	for (int y = ya; y <= yb; y++) {
		if (sim_is_leap(y)) {
			int64_t f29 = sim_days_from_civil(y, 2, 29);
			if (a < f29 && f29 <= b)
				in->traps |= TRAP_BIT(TRAP_LEAP_YEAR);
		} else {
			int64_t f28 = sim_days_from_civil(y, 2, 28);
			if (a <= f28 && f28 < b)
				in->vulns |= VULN_FEB_NONLEAP;
		}
	}
	if (ya != yb || ma != mb)
		in->vulns |= VULN_MONTH_CROSS;
}

/* A day range for counts and weekdays: across a leap February, a common one, or neither. */
static void pick_range(struct ss_rng *r, double p_leap, double p_common,
		       int64_t *a, int64_t *b)
{
	double u = ss_rng_double(r);
	if (u < p_leap + p_common) {
		int y = pick_year(r, u < p_leap);
		*a = sim_days_from_civil(y, 2, rnd(r, 12, 27));
		*b = *a + rnd(r, 4, 30);
	} else {
		int y = pick_year(r, (int)ss_rng_below(r, 3) == 0);
		*a = sim_days_from_civil(y, rnd(r, 3, 10), rnd(r, 1, 28));
		*b = *a + rnd(r, 2, 40);
	}
}

static void gen_count(struct ss_rng *r, struct sim_instance *in, int inclusive)
{
	char sa[16], sb[16];
	pick_range(r, inclusive ? 0.35 : 0.3, 0.2, &in->a, &in->b);
	range_flags(in, in->a, in->b);
	sim_iso(sa, sizeof(sa), in->a);
	sim_iso(sb, sizeof(sb), in->b);
	in->type = "count";
	if (inclusive) {
		in->traps |= TRAP_BIT(TRAP_INCLUSIVE);
		snprintf(in->input, sizeof(in->input),
			 "How many days are there from %s to %s, counting both ends?", sa, sb);
		snprintf(in->expected, sizeof(in->expected), "%d", (int)(in->b - in->a + 1));
	} else {
		in->vulns |= VULN_EXCL_COUNT;
		snprintf(in->input, sizeof(in->input),
			 "How many days after %s is %s?", sa, sb);
		snprintf(in->expected, sizeof(in->expected), "%d", (int)(in->b - in->a));
	}
}

static void gen_offset_days(struct ss_rng *r, struct sim_instance *in)
{
	char sa[16];
	double u = ss_rng_double(r);
	int y;
	if (u < 0.3) {                  /* across a leap day */
		y = pick_year(r, 1);
		in->a = sim_days_from_civil(y, rnd(r, 1, 2), rnd(r, 1, 27));
		in->n = (int)(sim_days_from_civil(y, 2, 29) - in->a) + rnd(r, 1, 30);
	} else if (u < 0.55) {          /* into the next year */
		y = rnd(r, 2019, 2027);
		in->a = sim_days_from_civil(y, 12, rnd(r, 3, 30));
		in->n = (int)(sim_days_from_civil(y, 12, 31) - in->a) + rnd(r, 1, 40);
	} else if (u < 0.7) {           /* across a common February */
		y = pick_year(r, 0);
		in->a = sim_days_from_civil(y, 2, rnd(r, 5, 27));
		in->n = rnd(r, 5, 30);
	} else {
		y = pick_year(r, (int)ss_rng_below(r, 3) == 0);
		in->a = sim_days_from_civil(y, rnd(r, 3, 10), rnd(r, 1, 28));
		in->n = rnd(r, 3, 60);
	}
	in->b = in->a + in->n;
	range_flags(in, in->a, in->b);
	int ya, ma, da, yb, mb, db;
	sim_civil_from_days(in->a, &ya, &ma, &da);
	sim_civil_from_days(in->b, &yb, &mb, &db);
	if (ya != yb)
		in->traps |= TRAP_BIT(TRAP_YEAR_BOUNDARY);
	in->vulns |= VULN_DAY_OFFSET;
	in->type = "offset";
	sim_iso(sa, sizeof(sa), in->a);
	snprintf(in->input, sizeof(in->input),
		 "What date is %d days after %s? Answer in YYYY-MM-DD format.", in->n, sa);
	sim_iso(in->expected, sizeof(in->expected), in->b);
}

static void gen_offset_months(struct ss_rng *r, struct sim_instance *in)
{
	char sa[16];
	int y, m, d, n, ty, tm;
	int clamp = ss_rng_double(r) < 0.5;
	for (;;) {
		y = rnd(r, 2019, 2028);
		m = rnd(r, 1, 12);
		n = rnd(r, 1, clamp ? 3 : 6);
		d = clamp ? rnd(r, 29, sim_month_len(y, m)) : rnd(r, 1, 28);
		if (clamp && d < 29)
			continue;
		ty = y + (m - 1 + n) / 12;
		tm = (m - 1 + n) % 12 + 1;
		if (!clamp || d > sim_month_len(ty, tm))
			break;
	}
	in->n = n;
	in->a = sim_days_from_civil(y, m, d);
	int td = d > sim_month_len(ty, tm) ? sim_month_len(ty, tm) : d;
	in->b = sim_days_from_civil(ty, tm, td);
	if (clamp) {
		in->traps |= TRAP_BIT(TRAP_MONTH_END);
		if (tm == 2 && sim_is_leap(ty))
			in->traps |= TRAP_BIT(TRAP_LEAP_YEAR);
	} else {
		in->vulns |= VULN_MONTH_MID;
	}
	in->type = "offset";
	sim_iso(sa, sizeof(sa), in->a);
	snprintf(in->input, sizeof(in->input),
		 "What date is %d month%s after %s? If that day does not exist in the target "
		 "month, use the last day of that month. Answer in YYYY-MM-DD format.",
		 n, n == 1 ? "" : "s", sa);
	sim_iso(in->expected, sizeof(in->expected), in->b);
}

static void gen_weekday(struct ss_rng *r, struct sim_instance *in)
{
	char sa[16], sb[16];
	pick_range(r, 0.4, 0.2, &in->a, &in->b);
	if (in->b - in->a < 7)
		in->b += 7 + (int64_t)ss_rng_below(r, 20);
	range_flags(in, in->a, in->b);
	in->type = "weekday";
	sim_iso(sa, sizeof(sa), in->a);
	sim_iso(sb, sizeof(sb), in->b);
	snprintf(in->input, sizeof(in->input),
		 "%s was a %s. What day of the week is %s?", sa,
		 sim_weekday_names[sim_weekday(in->a)], sb);
	snprintf(in->expected, sizeof(in->expected), "%s", sim_weekday_names[sim_weekday(in->b)]);
}

static void gen_format(struct ss_rng *r, struct sim_instance *in)
{
	double u = ss_rng_double(r);
	int ambiguous = u < 0.4 || (u >= 0.6 && u < 0.85);
	int day, month;
	in->fmt_dayfirst = u < 0.6;
	in->year = rnd(r, 2019, 2028);
	month = rnd(r, 1, 12);
	do
		day = ambiguous ? rnd(r, 1, 12) : rnd(r, 13, 28);
	while (day == month);
	if (in->fmt_dayfirst) {
		in->p1 = day;
		in->p2 = month;
		if (ambiguous)
			in->traps |= TRAP_BIT(TRAP_DAY_MONTH);
	} else {
		in->p1 = month;
		in->p2 = day;
		in->vulns |= VULN_MMDD;
	}
	in->type = "format";
	snprintf(in->input, sizeof(in->input),
		 "The date %02d/%02d/%d is written in %s format. What is it in YYYY-MM-DD format?",
		 in->p1, in->p2, in->year, in->fmt_dayfirst ? "DD/MM/YYYY" : "MM/DD/YYYY");
	snprintf(in->expected, sizeof(in->expected), "%04d-%02d-%02d", in->year, month, day);
}

void sim_suite_generate(struct sim_suite *s, uint64_t seed, int count)
{
	/* a deck of 40 kinds, shuffled per block: the mix stays even at any count */
	static const int per_block[NR_KINDS] = { 6, 6, 8, 5, 6, 9 };
	enum sim_kind deck[40];
	struct ss_rng r;
	int k = 0;

	for (int i = 0; i < NR_KINDS; i++)
		for (int j = 0; j < per_block[i]; j++)
			deck[k++] = (enum sim_kind)i;
	ss_rng_seed(&r, seed);
	s->n = count;
	s->inst = xcalloc((size_t)(count > 0 ? count : 1), sizeof(*s->inst));
	for (int i = 0; i < count; i++) {
		struct sim_instance *in = &s->inst[i];
		if (i % 40 == 0)
			for (int j = 39; j > 0; j--) {
				int o = (int)ss_rng_below(&r, (uint64_t)j + 1);
				enum sim_kind t = deck[j];
				deck[j] = deck[o];
				deck[o] = t;
			}
		in->kind = deck[i % 40];
		snprintf(in->id, sizeof(in->id), "cal-%03d", i + 1);
		switch (in->kind) {
		case KIND_COUNT_INCL: gen_count(&r, in, 1); break;
		case KIND_COUNT_EXCL: gen_count(&r, in, 0); break;
		case KIND_OFFSET_DAYS: gen_offset_days(&r, in); break;
		case KIND_OFFSET_MONTHS: gen_offset_months(&r, in); break;
		case KIND_WEEKDAY: gen_weekday(&r, in); break;
		default: gen_format(&r, in); break;
		}
		/* inputs must be unique for matching: a repeat is regenerated */
		for (int j = 0; j < i; j++)
			if (!strcmp(s->inst[j].input, in->input)) {
				memset(in, 0, sizeof(*in));
				i--;
				break;
			}
	}
}

void sim_suite_release(struct sim_suite *s)
{
	free(s->inst);
	s->inst = NULL;
	s->n = 0;
}

char *sim_instance_json(const struct sim_instance *in)
{
	struct buf b = BUF_INIT;
	int first = 1;
	buf_adds(&b, "{\"id\": ");
	buf_add_json_str(&b, in->id);
	buf_adds(&b, ", \"input\": ");
	buf_add_json_str(&b, in->input);
	buf_adds(&b, ", \"expected\": ");
	buf_add_json_str(&b, in->expected);
	buf_adds(&b, ", \"type\": ");
	buf_add_json_str(&b, in->type);
	buf_adds(&b, ", \"metadata\": {\"family\": \"calendar\", \"traps\": [");
	for (int t = 0; t < NR_TRAPS; t++)
		if (in->traps & TRAP_BIT(t)) {
			buf_addf(&b, "%s\"%s\"", first ? "" : ", ", sim_traps[t].name);
			first = 0;
		}
	buf_adds(&b, "]}}");
	return buf_detach(&b, NULL);
}

int sim_suite_write(const struct sim_suite *s, const char *path)
{
	struct buf b = BUF_INIT;
	int ret;
	for (int i = 0; i < s->n; i++) {
		char *line = sim_instance_json(&s->inst[i]);
		buf_adds(&b, line);
		buf_addch(&b, '\n');
		free(line);
	}
	if (!strcmp(path, "-"))
		ret = fwrite(b.buf, 1, b.len, stdout) == b.len && fflush(stdout) == 0 ? 0 : -1;
	else
		ret = ss_write_file(path, b.buf, b.len);
	buf_release(&b);
	return ret;
}

const struct sim_instance *sim_suite_match(const struct sim_suite *s, const char *text)
{
	const struct sim_instance *best = NULL;
	size_t best_len = 0;
	if (!text)
		return NULL;
	for (int i = 0; i < s->n; i++) {
		const struct sim_instance *in = &s->inst[i];
		if (!strcmp(in->input, text))
			return in;
	}
	for (int i = 0; i < s->n; i++) {
		const struct sim_instance *in = &s->inst[i];
		size_t len = strlen(in->input);
		if (len > best_len && strstr(text, in->input)) {
			best = in;
			best_len = len;
		}
	}
	return best;
}
