/*
 * Deterministic embeddings: hashed words and word pairs, plus heavy weight
 * on a few dimensions per trap family the text talks about, L2-normalised.
 * The trap part is scaled with the length of the text, so texts about the
 * same trap lie close together whatever their wording, which is what the
 * induction stage's clustering needs to see.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "skillsmith/common.h"
#include "sim/sim.h"

#define TRAP_WEIGHT 2.0   /* trap part relative to the word part */
#define TRAP_DIMS 4

static void add_hashed(float *vec, int dim, uint64_t h, float w)
{
	vec[h % (uint64_t)dim] += (h >> 63) ? -w : w;
}

void sim_embed(const char *text, float *vec, int dim)
{
	struct sim_scan sc;
	uint64_t prev = 0;
	double norm = 0, words = 0;
	int hits[NR_TRAPS], total = 0;
	const char *p = text;

	memset(vec, 0, sizeof(float) * (size_t)dim);
	while (*p) {
		char word[64];
		size_t n = 0;
		while (*p && !isalnum((unsigned char)*p))
			p++;
		while (*p && isalnum((unsigned char)*p)) {
			if (n < sizeof(word) - 1)
				word[n++] = (char)tolower((unsigned char)*p);
			p++;
		}
		if (!n)
			break;
		uint64_t h = ss_hash64(word, n);
		add_hashed(vec, dim, h, 1.0f);
		if (prev)
			add_hashed(vec, dim, h * 31 + prev, 0.5f);
		prev = h;
		words += 1;
	}
	sim_scan_text(&sc, text);
	for (int t = 0; t < NR_TRAPS; t++) {
		hits[t] = sc.keyword[t] + sc.harmful[t] + sc.fail[t] + sc.success[t] + sc.harm[t];
		total += hits[t];
	}
	for (int t = 0; total && t < NR_TRAPS; t++) {
		double w = TRAP_WEIGHT * sqrt(words * 1.25 + 1) * hits[t] / total / sqrt(TRAP_DIMS);
		const char *name = sim_traps[t].name;
		uint64_t h = ss_hash64(name, strlen(name));
		for (int k = 0; k < TRAP_DIMS; k++) {
			h = h * 6364136223846793005ULL + 1442695040888963407ULL;
			vec[(h >> 33) % (uint64_t)dim] += (float)w;
		}
	}
	for (int i = 0; i < dim; i++)
		norm += (double)vec[i] * vec[i];
	norm = sqrt(norm);
	if (norm > 0)
		for (int i = 0; i < dim; i++)
			vec[i] = (float)(vec[i] / norm);
}
