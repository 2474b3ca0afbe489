#ifndef SKILLSMITH_EMBED_H
#define SKILLSMITH_EMBED_H
/*
 * The local deterministic embedding: no network, no model, the same vector
 * for the same input on every machine.  Used when "embeddings.kind" is
 * "local" (the default) and by induction on imported trajectories.
 *
 * The method, exactly:
 *
 *  1. Tokens.  The text is split into maximal runs of word bytes: ASCII
 *     letters and digits (letters lower-cased) and every byte >= 0x80, so
 *     UTF-8 words stay whole.  Everything else separates tokens.
 *  2. Features.  Every token (unigram) and every pair of adjacent tokens
 *     (bigram, hashed as "a" 0x1f "b") is a feature; its key is the 64-bit
 *     FNV-1a hash of its bytes (ss_hash64), with a 'u' or 'b' byte in front
 *     so a unigram never collides with a bigram by construction.
 *  3. Weights.  tf-idf with sublinear tf and smooth idf, over the batch
 *     being embedded:  w = (1 + ln tf) * (1 + ln((1 + n) / (1 + df))),
 *     where tf is the count of the feature in the text, n the number of
 *     texts in the batch and df the number of texts holding the feature.
 *     A batch of one text (embed_text) has idf = 1 for every feature, so
 *     it is plain sublinear tf.  Because idf depends on the batch, embed
 *     the texts that will be compared with each other in one call.
 *  4. Hashing trick.  Feature key h goes to bucket h mod dim with the sign
 *     of bit 63 of h (+ if clear), accumulated in double precision.
 *  5. The vector is L2-normalised and stored as float32.  A text without
 *     any token gets the zero vector.
 *
 * Only integer hashing, IEEE double arithmetic in a fixed order and log()
 * are involved, so results agree across machines.
 */
#include <stddef.h>
#include <stdint.h>

#define EMBED_DEFAULT_DIM 512

/*
 * Embed `n` texts into `out`, a caller-owned array of n * dim floats (row i
 * is text i).  NULL texts count as empty.  Returns 0, or SS_EINPUT when dim
 * is not in 1..65536 or n < 0.
 */
int embed_local(float *out, const char *const *texts, int n, int dim);

/* Embed one text on its own (sublinear tf, no idf) into out[dim]. */
int embed_text(float *out, const char *text, int dim);

/* Dot product of two dim-vectors, summed in a fixed order. */
double embed_dot(const float *a, const float *b, int dim);

/*
 * Cosine similarity in [-1, 1]; 0 when either vector is zero.  The cosine
 * distance is 1 - similarity, in [0, 2].
 */
double embed_cosine(const float *a, const float *b, int dim);
double embed_cosine_distance(const float *a, const float *b, int dim);

/* Euclidean distance and its square. */
double embed_euclidean(const float *a, const float *b, int dim);
double embed_sqdist(const float *a, const float *b, int dim);

/* Scale v to unit L2 norm in place (a zero vector stays zero). */
void embed_normalize(float *v, int dim);

/*
 * The store's embeddings.vec format: float32 little-endian.
 * embed_to_blob writes dim * 4 bytes to `blob`.  embed_from_blob reads
 * `len` bytes into out[dim]; it fails with SS_EINPUT when len != dim * 4.
 */
void embed_to_blob(unsigned char *blob, const float *v, int dim);
int embed_from_blob(float *out, int dim, const void *blob, size_t len);

#endif
