/*
 * The local deterministic embedding (hashed unigram + bigram tf-idf) and
 * vector distance helpers.  The method is spelled out in embed.h.
 */
#include "skillsmith/embed.h"
#include "skillsmith/common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static inline uint64_t fnv_byte(uint64_t h, unsigned char c)
{
	h ^= c;
	return h * FNV_PRIME;
}

static inline int is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint64_t fnv_token(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = fnv_byte(h, lower((unsigned char)s[i]));
	return h;
}

/* One text's features: sorted unique keys with counts. */
struct feats {
	uint64_t *key;
	int *count;
	int nr;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void extract(struct feats *f, const char *text)
{
	uint64_t *keys = NULL;
	size_t nr = 0, alloc = 0;
	const char *prev = NULL;
	size_t prev_len = 0;
	const char *p = text ? text : "";

	while (*p) {
		if (!is_word_byte((unsigned char)*p)) {
			p++;
			continue;
		}
		const char *start = p;
		while (*p && is_word_byte((unsigned char)*p))
			p++;
		size_t len = (size_t)(p - start);

		ALLOC_GROW(keys, nr + 2, alloc);
		keys[nr++] = fnv_token(fnv_byte(FNV_OFFSET, 'u'), start, len);
		if (prev) {
			uint64_t h = fnv_byte(FNV_OFFSET, 'b');
			h = fnv_token(h, prev, prev_len);
			h = fnv_byte(h, 0x1f);
			keys[nr++] = fnv_token(h, start, len);
		}
		prev = start;
		prev_len = len;
	}

	f->key = NULL;
	f->count = NULL;
	f->nr = 0;
	if (!nr) {
		free(keys);
		return;
	}
	qsort(keys, nr, sizeof(*keys), cmp_u64);
	f->key = xmalloc(nr * sizeof(*f->key));
	f->count = xmalloc(nr * sizeof(*f->count));
	for (size_t i = 0; i < nr; ) {
		size_t j = i;
		while (j < nr && keys[j] == keys[i])
			j++;
		f->key[f->nr] = keys[i];
		f->count[f->nr] = (int)(j - i);
		f->nr++;
		i = j;
	}
	free(keys);
}

/* Document frequencies: sorted unique keys over the batch with counts. */
struct dfs {
	uint64_t *key;
	int *df;
	size_t nr;
};

static void doc_freq(struct dfs *d, const struct feats *f, int n)
{
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += (size_t)f[i].nr;
	d->key = NULL;
	d->df = NULL;
	d->nr = 0;
	if (!total)
		return;
	uint64_t *all = xmalloc(total * sizeof(*all));
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		if (!f[i].nr)
			continue;
		memcpy(all + k, f[i].key, (size_t)f[i].nr * sizeof(*all));
		k += (size_t)f[i].nr;
	}
	qsort(all, total, sizeof(*all), cmp_u64);
	d->key = xmalloc(total * sizeof(*d->key));
	d->df = xmalloc(total * sizeof(*d->df));
	for (size_t i = 0; i < total; ) {
		size_t j = i;
		while (j < total && all[j] == all[i])
			j++;
		d->key[d->nr] = all[i];
		d->df[d->nr] = (int)(j - i);
		d->nr++;
		i = j;
	}
	free(all);
}

static int df_of(const struct dfs *d, uint64_t key)
{
	size_t lo = 0, hi = d->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < d->nr && d->key[lo] == key) ? d->df[lo] : 1;
}

int embed_local(float *out, const char *const *texts, int n, int dim)
{
	if (dim < 1 || dim > 65536)
		return ss_err_set(SS_EINPUT, "embedding dimension %d must be from 1 to 65536", dim);
	if (n < 0)
		return ss_err_set(SS_EINPUT, "embedding batch size %d is negative", n);
	if (n == 0)
		return 0;

	struct feats *f = xcalloc((size_t)n, sizeof(*f));
	for (int i = 0; i < n; i++)
		extract(&f[i], texts ? texts[i] : NULL);
	struct dfs d;
	doc_freq(&d, f, n);

	double *acc = xmalloc((size_t)dim * sizeof(*acc));
	for (int i = 0; i < n; i++) {
		memset(acc, 0, (size_t)dim * sizeof(*acc));
		for (int j = 0; j < f[i].nr; j++) {
			uint64_t h = f[i].key[j];
			double tf = 1.0 + log((double)f[i].count[j]);
			double idf = 1.0 + log((1.0 + n) / (1.0 + df_of(&d, h)));
			double w = tf * idf;
			size_t b = (size_t)(h % (uint64_t)dim);
			acc[b] += (h >> 63) ? -w : w;
		}
		double norm = 0;
		for (int k = 0; k < dim; k++)
			norm += acc[k] * acc[k];
		norm = sqrt(norm);
		float *row = out + (size_t)i * (size_t)dim;
		for (int k = 0; k < dim; k++)
			row[k] = norm > 0 ? (float)(acc[k] / norm) : 0.0f;
		free(f[i].key);
		free(f[i].count);
	}
	free(acc);
	free(d.key);
	free(d.df);
	free(f);
	return 0;
}

int embed_text(float *out, const char *text, int dim)
{
	const char *texts[1] = { text };
	return embed_local(out, texts, 1, dim);
}

/*
 * Eight partial sums in a fixed order: the compiler may vectorise it
 * without reassociating, so the result is the same everywhere.
 */
double embed_dot(const float *a, const float *b, int dim)
{
	float s[8] = { 0 };
	int i = 0;
	for (; i + 8 <= dim; i += 8)
		for (int j = 0; j < 8; j++)
			s[j] += a[i + j] * b[i + j];
	double t = 0;
	for (int j = 0; j < 8; j++)
		t += s[j];
	for (; i < dim; i++)
		t += (double)a[i] * b[i];
	return t;
}

double embed_cosine(const float *a, const float *b, int dim)
{
	double na = embed_dot(a, a, dim), nb = embed_dot(b, b, dim);
	if (na <= 0 || nb <= 0)
		return 0;
	double c = embed_dot(a, b, dim) / (sqrt(na) * sqrt(nb));
	if (c > 1)
		c = 1;
	if (c < -1)
		c = -1;
	return c;
}

double embed_cosine_distance(const float *a, const float *b, int dim)
{
	return 1.0 - embed_cosine(a, b, dim);
}

double embed_sqdist(const float *a, const float *b, int dim)
{
	float s[8] = { 0 };
	int i = 0;
	for (; i + 8 <= dim; i += 8)
		for (int j = 0; j < 8; j++) {
			float d = a[i + j] - b[i + j];
			s[j] += d * d;
		}
	double t = 0;
	for (int j = 0; j < 8; j++)
		t += s[j];
	for (; i < dim; i++) {
		double d = (double)a[i] - b[i];
		t += d * d;
	}
	return t;
}

double embed_euclidean(const float *a, const float *b, int dim)
{
	return sqrt(embed_sqdist(a, b, dim));
}

void embed_normalize(float *v, int dim)
{
	double n = 0;
	for (int i = 0; i < dim; i++)
		n += (double)v[i] * v[i];
	if (n <= 0)
		return;
	n = sqrt(n);
	for (int i = 0; i < dim; i++)
		v[i] = (float)(v[i] / n);
}

void embed_to_blob(unsigned char *blob, const float *v, int dim)
{
	for (int i = 0; i < dim; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		blob[4 * i + 0] = (unsigned char)(u & 0xff);
		blob[4 * i + 1] = (unsigned char)((u >> 8) & 0xff);
		blob[4 * i + 2] = (unsigned char)((u >> 16) & 0xff);
		blob[4 * i + 3] = (unsigned char)((u >> 24) & 0xff);
	}
}

int embed_from_blob(float *out, int dim, const void *blob, size_t len)
{
	if (dim < 0 || len != (size_t)dim * 4)
		return ss_err_set(SS_EINPUT, "embedding blob of %zu bytes does not hold %d floats",
				  len, dim);
	const unsigned char *p = blob;
	for (int i = 0; i < dim; i++) {
		uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
			     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
		memcpy(&out[i], &u, 4);
	}
	return 0;
}
