/* Unit tests for the local deterministic embedding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/embed.h"

static void embed__same_text_same_vector(void **state)
{
	const char *texts[] = {
		"What day of the week is 2024-03-01?",
		"Add 17 days to March 3",
		"What day of the week is 2024-03-01?",
	};
	float a[3 * 64], b[3 * 64];
	assert_int_equal(embed_local(a, texts, 3, 64), 0);
	assert_int_equal(embed_local(b, texts, 3, 64), 0);
	assert_memory_equal(a, b, sizeof(a));
	/* identical texts in one batch get identical rows */
	assert_memory_equal(a, a + 2 * 64, 64 * sizeof(float));
}

/*
 * The documented method, re-derived: features "uthe", "ucat" and
 * "bthe\x1fcat" hashed with FNV-1a, bucket h mod dim, sign bit 63, tf-idf
 * weight 1 each (one text), then L2-normalised.
 */
static void embed__matches_documented_method(void **state)
{
	const char *feat[] = { "uthe", "ucat", "bthe\x1f" "cat" };
	double want[16] = { 0 }, norm = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t h = ss_hash64(feat[i], strlen(feat[i]));
		want[h % 16] += (h >> 63) ? -1.0 : 1.0;
	}
	for (int i = 0; i < 16; i++)
		norm += want[i] * want[i];
	float v[16];
	assert_int_equal(embed_text(v, "the cat", 16), 0);
	for (int i = 0; i < 16; i++)
		assert_true(fabs(v[i] - want[i] / sqrt(norm)) < 1e-7);
	/* case and punctuation do not matter */
	float w[16];
	assert_int_equal(embed_text(w, "  THE, Cat!! ", 16), 0);
	assert_memory_equal(v, w, sizeof(v));
}

static void embed__unit_norm(void **state)
{
	const char *texts[] = { "alpha beta gamma", "one two two three three three", "x" };
	float v[3 * 512];
	assert_int_equal(embed_local(v, texts, 3, EMBED_DEFAULT_DIM), 0);
	for (int i = 0; i < 3; i++) {
		double n = embed_dot(v + i * 512, v + i * 512, 512);
		assert_true(fabs(n - 1.0) < 1e-5);
	}
}

static void embed__empty_text_is_zero(void **state)
{
	const char *texts[] = { "", NULL, "!!! ???", "word" };
	float v[4 * 32];
	assert_int_equal(embed_local(v, texts, 4, 32), 0);
	for (int i = 0; i < 3 * 32; i++)
		assert_true(v[i] == 0.0f);
	assert_true(embed_cosine(v, v + 3 * 32, 32) == 0.0);
}

static void embed__similar_texts_closer(void **state)
{
	const char *texts[] = {
		"the model forgot to convert the date to the target calendar format",
		"the model forgot to convert the date to the requested format",
		"arithmetic error when multiplying large numbers in the final step",
		"the agent multiplied the numbers wrong in the last step of arithmetic",
	};
	float v[4 * 512];
	assert_int_equal(embed_local(v, texts, 4, 512), 0);
	double d01 = embed_cosine_distance(v, v + 512, 512);
	double d02 = embed_cosine_distance(v, v + 2 * 512, 512);
	double d23 = embed_cosine_distance(v + 2 * 512, v + 3 * 512, 512);
	double d13 = embed_cosine_distance(v + 512, v + 3 * 512, 512);
	assert_true(d01 < d02);
	assert_true(d23 < d13);
	assert_true(d01 >= 0 && d02 <= 2);
}

static void embed__idf_downweights_common_words(void **state)
{
	/* "common" appears everywhere: texts differing only in rare words are
	 * farther apart with idf than the single-text (tf only) embedding */
	const char *texts[] = { "common common rare1", "common common rare2", "common x", "common y" };
	float batch[4 * 256], a[256], b[256];
	assert_int_equal(embed_local(batch, texts, 4, 256), 0);
	assert_int_equal(embed_text(a, texts[0], 256), 0);
	assert_int_equal(embed_text(b, texts[1], 256), 0);
	assert_true(embed_cosine(batch, batch + 256, 256) < embed_cosine(a, b, 256));
}

static void embed__distances(void **state)
{
	float a[3] = { 1, 0, 0 }, b[3] = { 0, 1, 0 }, c[3] = { 2, 0, 0 };
	assert_true(fabs(embed_euclidean(a, b, 3) - sqrt(2.0)) < 1e-9);
	assert_true(fabs(embed_sqdist(a, c, 3) - 1.0) < 1e-9);
	assert_true(fabs(embed_cosine(a, c, 3) - 1.0) < 1e-9);
	assert_true(fabs(embed_cosine_distance(a, b, 3) - 1.0) < 1e-9);
	embed_normalize(c, 3);
	assert_true(c[0] == 1.0f);
}

static void embed__blob_roundtrip(void **state)
{
	float v[5] = { 1.5f, -2.25f, 0, 3e-8f, 1e9f }, w[5];
	unsigned char blob[20];
	embed_to_blob(blob, v, 5);
	/* little-endian: 1.5f is 0x3fc00000 */
	assert_int_equal(blob[0], 0x00);
	assert_int_equal(blob[3], 0x3f);
	assert_int_equal(embed_from_blob(w, 5, blob, 20), 0);
	assert_memory_equal(v, w, sizeof(v));
	assert_int_equal(embed_from_blob(w, 5, blob, 19), SS_EINPUT);
}

static void embed__rejects_bad_dim(void **state)
{
	float v[1];
	assert_int_equal(embed_text(v, "x", 0), SS_EINPUT);
	assert_non_null(strstr(ss_err_last(), "dimension"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(embed__same_text_same_vector),
		cmocka_unit_test(embed__matches_documented_method),
		cmocka_unit_test(embed__unit_norm),
		cmocka_unit_test(embed__empty_text_is_zero),
		cmocka_unit_test(embed__similar_texts_closer),
		cmocka_unit_test(embed__idf_downweights_common_words),
		cmocka_unit_test(embed__distances),
		cmocka_unit_test(embed__blob_roundtrip),
		cmocka_unit_test(embed__rejects_bad_dim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
