/*
 * calendar_env: an example environment for skillsmith's `tools` harness.
 * It speaks the JSON-lines protocol of include/skillsmith/envproto.h on
 * stdin/stdout and offers calendar tools for the demo suite's date
 * questions:
 *
 *   days_between {start, end, inclusive?}   days from start to end
 *   add_days     {date, days}               date plus (or minus) days
 *   add_months   {date, months}             same day N months later,
 *                                           clamped to the month's end
 *   weekday      {date}                     "Monday" ... "Sunday"
 *   convert_date {date, format}             "MM/DD/YYYY" or "DD/MM/YYYY"
 *                                           to YYYY-MM-DD
 *   submit_answer {answer}                  ends the episode; the reward is
 *                                           1 or 0 when the instance came
 *                                           with "expected", else none
 *
 * Dates are YYYY-MM-DD (proleptic Gregorian).  A bad argument gives an
 * observation starting with "error:" and the episode goes on.
 *
 * Usage: calendar_env   (reads requests until end of input)
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

/* Days since 1970-01-01 of a civil date (the well-known era algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_len(int64_t y, int m)
{
	static const int len[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : len[m];
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int check_ymd(int y, int m, int d)
{
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= month_len(y, m);
}

/* Parse YYYY-MM-DD; returns 0 and the day number, or -1. */
static int parse_iso(const char *s, int64_t *z)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0 || !check_ymd(y, m, d))
		return -1;
	*z = days_from_civil(y, m, d);
	return 0;
}

static char *iso(int64_t z)
{
	int64_t y;
	int m, d;
	civil_from_days(z, &y, &m, &d);
	char *out = malloc(32);
	if (out)
		snprintf(out, 32, "%04lld-%02d-%02d", (long long)y, m, d);
	return out;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static const char *str_arg(const cJSON *args, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int int_arg(const cJSON *args, const char *k, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, k);
	if (cJSON_IsNumber(v) && v->valuedouble == (double)(long)v->valuedouble &&
	    v->valuedouble > -1e7 && v->valuedouble < 1e7) {
		*out = (long)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v)) {
		char *end;
		long n = strtol(v->valuestring, &end, 10);
		if (*v->valuestring && !*end && n > -10000000 && n < 10000000) {
			*out = n;
			return 0;
		}
	}
	return -1;
}

static const char *weekdays[7] = {
	"Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"
};

/* The tool implementations: return the observation (malloc'd). */
static char *tool_call(const char *name, const cJSON *args)
{
	int64_t a, b;
	long n;
	if (!strcmp(name, "days_between")) {
		if (parse_iso(str_arg(args, "start"), &a) || parse_iso(str_arg(args, "end"), &b))
			return fmt("error: 'start' and 'end' must be dates in YYYY-MM-DD format");
		const cJSON *inc = cJSON_GetObjectItemCaseSensitive(args, "inclusive");
		int64_t d = b - a;
		if (cJSON_IsTrue(inc))
			d += d >= 0 ? 1 : -1;
		return fmt("%lld", (long long)d);
	}
	if (!strcmp(name, "add_days")) {
		if (parse_iso(str_arg(args, "date"), &a))
			return fmt("error: 'date' must be a date in YYYY-MM-DD format");
		if (int_arg(args, "days", &n))
			return fmt("error: 'days' must be an integer");
		return iso(a + n);
	}
	if (!strcmp(name, "add_months")) {
		if (parse_iso(str_arg(args, "date"), &a))
			return fmt("error: 'date' must be a date in YYYY-MM-DD format");
		if (int_arg(args, "months", &n))
			return fmt("error: 'months' must be an integer");
		int64_t y;
		int m, d;
		civil_from_days(a, &y, &m, &d);
		int64_t total = y * 12 + (m - 1) + n;
		int64_t ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
		int nm = (int)(total - ny * 12) + 1;
		if (ny < 1)
			return fmt("error: the result is before year 1");
		int nd = d > month_len(ny, nm) ? month_len(ny, nm) : d;
		return iso(days_from_civil(ny, nm, nd));
	}
	if (!strcmp(name, "weekday")) {
		if (parse_iso(str_arg(args, "date"), &a))
			return fmt("error: 'date' must be a date in YYYY-MM-DD format");
		int64_t w = a % 7;
		return fmt("%s", weekdays[w < 0 ? w + 7 : w]);
	}
	if (!strcmp(name, "convert_date")) {
		const char *s = str_arg(args, "date"), *f = str_arg(args, "format");
		if (!s || strlen(s) != 10 || s[2] != '/' || s[5] != '/')
			return fmt("error: 'date' must look like NN/NN/YYYY");
		int p = digits(s, 2), q = digits(s + 3, 2), y = digits(s + 6, 4);
		int m, d;
		if (f && !strcmp(f, "MM/DD/YYYY")) {
			m = p;
			d = q;
		} else if (f && !strcmp(f, "DD/MM/YYYY")) {
			d = p;
			m = q;
		} else {
			return fmt("error: 'format' must be \"MM/DD/YYYY\" or \"DD/MM/YYYY\"");
		}
		if (p < 0 || q < 0 || y < 0 || !check_ymd(y, m, d))
			return fmt("error: '%s' is not a valid date in %s format", s, f);
		return fmt("%04d-%02d-%02d", y, m, d);
	}
	return fmt("error: unknown tool '%s'", name);
}

static cJSON *tool_schema(const char *name, const char *desc, const char *const *props,
			  int nr_required)
{
	/* props: name, type, description triples, NULL-terminated */
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "type", "function");
	cJSON *f = cJSON_AddObjectToObject(t, "function");
	cJSON_AddStringToObject(f, "name", name);
	cJSON_AddStringToObject(f, "description", desc);
	cJSON *p = cJSON_AddObjectToObject(f, "parameters");
	cJSON_AddStringToObject(p, "type", "object");
	cJSON *pp = cJSON_AddObjectToObject(p, "properties");
	cJSON *req = cJSON_AddArrayToObject(p, "required");
	for (int i = 0; props[i]; i += 3) {
		cJSON *x = cJSON_AddObjectToObject(pp, props[i]);
		cJSON_AddStringToObject(x, "type", props[i + 1]);
		cJSON_AddStringToObject(x, "description", props[i + 2]);
		if (i / 3 < nr_required)
			cJSON_AddItemToArray(req, cJSON_CreateString(props[i]));
	}
	return t;
}

static cJSON *tools(void)
{
	static const char *const between[] = {
		"start", "string", "first date, YYYY-MM-DD",
		"end", "string", "second date, YYYY-MM-DD",
		"inclusive", "boolean", "count both the start and the end day", NULL };
	static const char *const add_days[] = {
		"date", "string", "YYYY-MM-DD", "days", "integer", "days to add (negative: subtract)", NULL };
	static const char *const add_months[] = {
		"date", "string", "YYYY-MM-DD", "months", "integer", "months to add", NULL };
	static const char *const weekday[] = { "date", "string", "YYYY-MM-DD", NULL };
	static const char *const convert[] = {
		"date", "string", "NN/NN/YYYY",
		"format", "string", "\"MM/DD/YYYY\" or \"DD/MM/YYYY\"", NULL };
	static const char *const submit[] = { "answer", "string", "the final answer", NULL };
	cJSON *a = cJSON_CreateArray();
	cJSON_AddItemToArray(a, tool_schema("days_between", "Days from start to end (end - start).", between, 2));
	cJSON_AddItemToArray(a, tool_schema("add_days", "The date a number of days later.", add_days, 2));
	cJSON_AddItemToArray(a, tool_schema("add_months",
		"The same day N months later, clamped to the last day of that month.", add_months, 2));
	cJSON_AddItemToArray(a, tool_schema("weekday", "The day of the week of a date.", weekday, 1));
	cJSON_AddItemToArray(a, tool_schema("convert_date", "Rewrite a slashed date as YYYY-MM-DD.", convert, 2));
	cJSON_AddItemToArray(a, tool_schema("submit_answer", "Submit the final answer; ends the task.", submit, 1));
	return a;
}

static void reply(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(s);
	cJSON_Delete(o);
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	size_t i = 0;
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

int main(void)
{
	char *line = NULL, *expected = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		cJSON *req = cJSON_Parse(line);
		const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
		cJSON *out = cJSON_CreateObject();
		if (cJSON_IsString(op) && !strcmp(op->valuestring, "reset")) {
			const cJSON *inst = cJSON_GetObjectItemCaseSensitive(req, "instance");
			const cJSON *exp = cJSON_GetObjectItemCaseSensitive(inst, "expected");
			free(expected);
			expected = cJSON_IsString(exp) ? strdup(exp->valuestring) : NULL;
			cJSON_AddStringToObject(out, "observation",
				"Calendar tools are available. Use them for date arithmetic, then call "
				"submit_answer with the final answer.");
			cJSON_AddItemToObject(out, "tools", tools());
		} else if (cJSON_IsString(op) && !strcmp(op->valuestring, "step")) {
			const cJSON *tc = cJSON_GetObjectItemCaseSensitive(req, "tool_call");
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(tc, "name");
			const cJSON *args = cJSON_GetObjectItemCaseSensitive(tc, "arguments");
			if (!cJSON_IsString(name)) {
				cJSON_AddStringToObject(out, "observation", "error: the tool call has no name");
			} else if (!strcmp(name->valuestring, "submit_answer")) {
				const char *ans = str_arg(args, "answer");
				char *a = strdup(ans ? ans : "");
				trim(a);
				cJSON_AddStringToObject(out, "observation", "answer received");
				cJSON_AddTrueToObject(out, "done");
				if (expected)
					cJSON_AddNumberToObject(out, "reward", !strcmp(a, expected) ? 1 : 0);
				free(a);
			} else {
				char *obs = tool_call(name->valuestring, args);
				cJSON_AddStringToObject(out, "observation", obs ? obs : "error: out of memory");
				cJSON_AddFalseToObject(out, "done");
				free(obs);
			}
		} else {
			cJSON_AddStringToObject(out, "observation",
						"error: expected {\"op\":\"reset\"} or {\"op\":\"step\"}");
			cJSON_AddFalseToObject(out, "done");
		}
		reply(out);
		cJSON_Delete(req);
	}
	free(line);
	free(expected);
	return 0;
}
