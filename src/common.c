/*
 * Allocation, errors, time, files, hashing and the seeded PRNG.
 */
#include "skillsmith/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

static void (*die_hook)(void);

void ss_set_die_hook(void (*hook)(void))
{
	die_hook = hook;
}

static void oom(size_t n)
{
	if (die_hook)
		die_hook();
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	exit(128);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		n = 0;
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* ------------------------------------------------------------------ errors */

static _Thread_local char errmsg[4096];

int ss_err_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return code;
}

int ss_err_prefix(int code, const char *fmt, ...)
{
	char prefix[1024], old[sizeof(errmsg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, errmsg, sizeof(old));
	size_t n = strlen(prefix);
	memcpy(errmsg, prefix, n + 1);
	if (old[0] && n + 2 < sizeof(errmsg)) {
		memcpy(errmsg + n, ": ", 3);
		size_t room = sizeof(errmsg) - n - 3;
		size_t ol = strnlen(old, room);
		memcpy(errmsg + n + 2, old, ol);
		errmsg[n + 2 + ol] = '\0';
	}
	return code;
}

const char *ss_err_last(void)
{
	return errmsg[0] ? errmsg : "unknown error";
}

void ss_err_clear(void)
{
	errmsg[0] = '\0';
}

int ss_exit_code(int status)
{
	switch (status) {
	case SS_OK: return EXIT_OK;
	case SS_EINPUT: return EXIT_INPUT;
	case SS_EPROVIDER: return EXIT_PROVIDER;
	case SS_EBUDGET: return EXIT_PROVIDER;
	default: return EXIT_CHECK;
	}
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	if (die_hook)
		die_hook();
	va_start(ap, fmt);
	fputs("fatal: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(128);
}

/* -------------------------------------------------------------------- time */

int64_t ss_now_ms(void)
{
	return ss_now_us() / 1000;
}

int64_t ss_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ss_wall_s(void)
{
	return (int64_t)time(NULL);
}

/* ------------------------------------------------------------------- files */

char *ss_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		ss_err_set(SS_EINPUT, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	size_t alloc = 8192, len = 0;
	char *data = xmalloc(alloc);
	for (;;) {
		if (alloc - len < 4096) {
			alloc *= 2;
			data = xrealloc(data, alloc);
		}
		size_t n = fread(data + len, 1, alloc - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ss_err_set(SS_EINPUT, "cannot read '%s': %s", path, strerror(errno));
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	data[len] = '\0';
	if (len_out)
		*len_out = len;
	return data;
}

int ss_write_file(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		int rc = ss_err_set(SS_ERR, "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int rc = ss_err_set(SS_ERR, "cannot write '%s': %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			free(tmp);
			return rc;
		}
		p += n;
		left -= (size_t)n;
	}
	fsync(fd);
	close(fd);
	if (rename(tmp, path) < 0) {
		int rc = ss_err_set(SS_ERR, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	return SS_OK;
}

int ss_mkdirs(const char *path, int mode)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			int rc = ss_err_set(SS_ERR, "cannot create directory '%s': %s", p, strerror(errno));
			free(p);
			return rc;
		}
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
		int rc = ss_err_set(SS_ERR, "cannot create directory '%s': %s", p, strerror(errno));
		free(p);
		return rc;
	}
	free(p);
	return SS_OK;
}

/* ----------------------------------------------------------------- hashing */

uint64_t ss_hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void ss_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* --------------------------------------------------------------------- rng */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void ss_rng_seed(struct ss_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ss_rng_next(struct ss_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double ss_rng_double(struct ss_rng *r)
{
	return (double)(ss_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t ss_rng_below(struct ss_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	/* rejection sampling for an unbiased result */
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = ss_rng_next(r);
	while (x >= lim);
	return x % n;
}
