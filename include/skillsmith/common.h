#ifndef SKILLSMITH_COMMON_H
#define SKILLSMITH_COMMON_H
/*
 * Things every module uses: allocation that never returns NULL, the error
 * codes, the last-error message, and the exit codes of the command line.
 */
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>

/* Return codes: 0 is success, negative is failure. */
enum ss_status {
	SS_OK = 0,
	SS_ERR = -1,        /* generic failure, message in ss_err_last() */
	SS_ENOTFOUND = -2,  /* the thing asked for does not exist */
	SS_EINPUT = -3,     /* bad input: file, line and field in the message */
	SS_EPROVIDER = -4,  /* provider or environment failed after retries */
	SS_EBUDGET = -5,    /* a budget cap was reached */
	SS_ESTOPPED = -6,   /* stopped on request (signal, user) */
	SS_EWAIT = -7,      /* waiting on a person (approval) */
};

/* Exit codes of the command line (DESIGN.md). */
enum ss_exit {
	EXIT_OK = 0,
	EXIT_CHECK = 1,     /* a check did not pass */
	EXIT_INPUT = 2,     /* bad input */
	EXIT_PROVIDER = 3,  /* provider or environment failure after retries */
};

/* Map a status code to the exit code the command line should use. */
int ss_exit_code(int status);

/*
 * Allocation wrappers: on out-of-memory they call the die hook (which
 * restores the terminal) and exit, so callers need no OOM branches.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh allocation; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Grow an array so that at least `nr` elements fit (git's ALLOC_GROW). */
#define ALLOC_GROW(x, nr, alloc) do { \
		if ((size_t)(nr) > (size_t)(alloc)) { \
			size_t a_ = (size_t)(alloc) < 8 ? 8 : (size_t)(alloc); \
			while (a_ < (size_t)(nr)) a_ = a_ * 3 / 2 + 1; \
			(x) = xrealloc((x), a_ * sizeof(*(x))); \
			(alloc) = a_; \
		} \
	} while (0)

/*
 * The last error message of this thread.  ss_err_set() formats it and
 * returns `code`, so a failure reads `return ss_err_set(SS_EINPUT, ...)`.
 * ss_err_prefix() adds context in front of the current message.
 */
int ss_err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ss_err_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ss_err_last(void);
void ss_err_clear(void);

/* Print "error: <msg>" to stderr; returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "warning: <msg>" to stderr. */
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "fatal: <msg>", run the die hook, exit(128). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Hook run before die() and the OOM exit, e.g. endwin(). */
void ss_set_die_hook(void (*hook)(void));

/* Monotonic time in milliseconds / microseconds. */
int64_t ss_now_ms(void);
int64_t ss_now_us(void);
/* Wall-clock time as seconds since the epoch. */
int64_t ss_wall_s(void);

/* Read a whole file; caller frees.  NULL and ss_err_set() on failure. */
char *ss_read_file(const char *path, size_t *len_out);
/* Write a file atomically (temp file + fsync + rename). */
int ss_write_file(const char *path, const void *data, size_t len);
/* mkdir -p */
int ss_mkdirs(const char *path, int mode);

/* 64-bit FNV-1a and a stable hex digest (SHA-256) of a byte string. */
uint64_t ss_hash64(const void *data, size_t len);
/* Writes 64 hex characters and a NUL to out. */
void ss_sha256_hex(const void *data, size_t len, char out[65]);

/* A small seeded PRNG (splitmix64 / xoshiro256**), deterministic everywhere. */
struct ss_rng { uint64_t s[4]; };
void ss_rng_seed(struct ss_rng *r, uint64_t seed);
uint64_t ss_rng_next(struct ss_rng *r);
/* Uniform in [0, 1). */
double ss_rng_double(struct ss_rng *r);
/* Uniform in [0, n). */
uint64_t ss_rng_below(struct ss_rng *r, uint64_t n);

#endif
