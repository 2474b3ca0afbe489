/*
 * Simulated latency: a constant, a uniform range, a log-normal or an
 * exponential distribution, sampled from uniform draws the caller derives
 * from the request, so the same request waits the same time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

int sim_latency_parse(struct sim_latency *l, const char *spec)
{
	char *end;
	memset(l, 0, sizeof(*l));
	if (!strncmp(spec, "lognormal:", 10)) {
		l->kind = LAT_LOGNORMAL;
		l->a = strtod(spec + 10, &end);
		if (*end != ':')
			return -1;
		l->b = strtod(end + 1, &end);
		return *end || l->a < 0 || l->b < 0 ? -1 : 0;
	}
	if (!strncmp(spec, "exp:", 4)) {
		l->kind = LAT_EXP;
		l->a = strtod(spec + 4, &end);
		return *end || l->a < 0 ? -1 : 0;
	}
	l->a = strtod(spec, &end);
	if (end == spec || l->a < 0)
		return -1;
	if (*end == '-') {
		l->kind = LAT_UNIFORM;
		const char *s2 = end + 1;
		l->b = strtod(s2, &end);
		return end == s2 || *end || l->b < l->a ? -1 : 0;
	}
	l->kind = LAT_CONST;
	return *end ? -1 : 0;
}

double sim_latency_sample(const struct sim_latency *l, double u1, double u2)
{
	switch (l->kind) {
	case LAT_UNIFORM:
		return l->a + (l->b - l->a) * u1;
	case LAT_LOGNORMAL: {
		double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
		double v = l->a * exp(l->b * z);
		return v > 60000 ? 60000 : v;
	}
	case LAT_EXP: {
		double v = -l->a * log(1.0 - u1);
		return v > 60000 ? 60000 : v;
	}
	default:
		return l->a;
	}
}

