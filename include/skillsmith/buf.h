#ifndef SKILLSMITH_BUF_H
#define SKILLSMITH_BUF_H
/*
 * The growable string buffer of the whole program (after git's strbuf).
 *
 * Invariants: `buf` is never NULL and always NUL-terminated, so it can be
 * passed to any string function; `len` excludes the NUL.  A buffer starts as
 * BUF_INIT (pointing at a shared empty string, no allocation).  `cap`, when
 * non-zero, is a size limit: an add that would grow past it fails (returns
 * -1) and leaves the buffer unchanged, as curl's dynbuf refuses to grow past
 * `toobig`.  Network buffers set it; others leave it 0 (no limit).
 */
#include <stddef.h>
#include <stdarg.h>

struct buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t cap;
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0, 0 }

void buf_init(struct buf *b, size_t hint);
/* Free the contents; the buffer is BUF_INIT again. */
void buf_release(struct buf *b);
/* Keep the allocation, make it empty. */
void buf_reset(struct buf *b);
/* Take the string; caller frees; the buffer is BUF_INIT again. */
char *buf_detach(struct buf *b, size_t *len);
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, int c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Shrink to `len` bytes. */
void buf_setlen(struct buf *b, size_t len);
/* Append `s` as a JSON string literal, quotes included. */
int buf_add_json_str(struct buf *b, const char *s);
/* Trim whitespace at both ends. */
void buf_trim(struct buf *b);

#endif
