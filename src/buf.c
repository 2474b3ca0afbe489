/*
 * Growable string buffer; see include/skillsmith/buf.h for the invariants.
 */
#include "skillsmith/buf.h"
#include "skillsmith/common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char buf_empty[1];

void buf_init(struct buf *b, size_t hint)
{
	b->buf = buf_empty;
	b->len = b->alloc = b->cap = 0;
	if (hint)
		buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
	size_t cap = b->cap;
	if (b->alloc)
		free(b->buf);
	buf_init(b, 0);
	b->cap = cap;
}

void buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *s;
	if (len)
		*len = b->len;
	if (!b->alloc)
		s = xstrdup("");
	else
		s = b->buf;
	size_t cap = b->cap;
	buf_init(b, 0);
	b->cap = cap;
	return s;
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need < b->len)
		die("buffer size overflow");
	if (b->cap && need > b->cap + 1)
		return -1;
	if (need <= b->alloc)
		return 0;
	size_t a = b->alloc ? b->alloc : 64;
	while (a < need)
		a = a * 2;
	if (!b->alloc) {
		b->buf = xmalloc(a);
		b->buf[0] = '\0';
	} else {
		b->buf = xrealloc(b->buf, a);
	}
	b->alloc = a;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (!len)
		return 0;
	if (buf_grow(b, len) < 0)
		return -1;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, int c)
{
	char ch = (char)c;
	return buf_add(b, &ch, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n <= 0)
		return 0;
	if (buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_setlen(struct buf *b, size_t len)
{
	if (!b->alloc)
		return;
	if (len > b->len)
		len = b->len;
	b->len = len;
	b->buf[len] = '\0';
}

int buf_add_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (buf_addch(b, '"') < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[7];
		switch (*p) {
		case '"': buf_adds(b, "\\\""); continue;
		case '\\': buf_adds(b, "\\\\"); continue;
		case '\n': buf_adds(b, "\\n"); continue;
		case '\r': buf_adds(b, "\\r"); continue;
		case '\t': buf_adds(b, "\\t"); continue;
		default: break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[*p >> 4]; esc[5] = hex[*p & 15]; esc[6] = 0;
			if (buf_adds(b, esc) < 0)
				return -1;
		} else if (buf_addch(b, *p) < 0) {
			return -1;
		}
	}
	return buf_addch(b, '"');
}

void buf_trim(struct buf *b)
{
	size_t start = 0;
	while (b->len && isspace((unsigned char)b->buf[b->len - 1]))
		b->len--;
	while (start < b->len && isspace((unsigned char)b->buf[start]))
		start++;
	if (start && b->alloc)
		memmove(b->buf, b->buf + start, b->len - start);
	b->len -= start;
	if (b->alloc)
		b->buf[b->len] = '\0';
}
