/*
 * The terminal-safety filter for untrusted text (see sanitize.h).
 */
#include "skillsmith/sanitize.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

int sanitize_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	int n;
	uint32_t min;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	} else if ((u[0] & 0xe0) == 0xc0) {
		c = u[0] & 0x1f; n = 2; min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		c = u[0] & 0x0f; n = 3; min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		c = u[0] & 0x07; n = 4; min = 0x10000;
	} else {
		goto invalid;
	}
	if (len < (size_t)n)
		goto invalid;
	for (int i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto invalid;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return n;
invalid:
	*cp = UINT32_MAX;
	return 1;
}

int sanitize_utf8_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Characters that change how the terminal lays out or reads text. */
static int is_format_char(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||
	       cp == 0xad ||                     /* soft hyphen */
	       cp == 0x061c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) ||
	       cp == 0xfeff ||
	       (cp >= 0xfff9 && cp <= 0xfffb) ||
	       (cp >= 0xe0000 && cp <= 0xe007f);
}

static void set_marker(struct sanitize_tok *t, const char *fmt, unsigned v)
{
	snprintf(t->marker, sizeof(t->marker), fmt, v);
	t->width = (int)strlen(t->marker);
	t->cp = 0;
}

void sanitize_next(struct sanitize_tok *t, const char *s, size_t len, unsigned flags)
{
	uint32_t cp;
	int n = sanitize_utf8_decode(s, len, &cp);

	t->len = (size_t)n;
	t->marker[0] = '\0';
	if (cp == UINT32_MAX) {
		set_marker(t, "<0x%02X>", (unsigned char)s[0]);
		return;
	}
	if (cp < 0x20 || cp == 0x7f) {
		if ((cp == '\t' && (flags & SANITIZE_TABS)) ||
		    (cp == '\n' && (flags & SANITIZE_NEWLINES))) {
			t->cp = cp;
			t->width = 0;
			return;
		}
		set_marker(t, "^%c", cp == 0x7f ? '?' : (unsigned)(cp + '@'));
		return;
	}
	if (cp < 0x7f) {
		t->cp = cp;
		t->width = 1;
		return;
	}
	if (is_format_char(cp)) {
		set_marker(t, "<U+%04X>", cp);
		return;
	}
	int w = wcwidth((wchar_t)cp);
	if (flags & SANITIZE_ASCII) {
		if (w < 0) {
			set_marker(t, "<U+%04X>", cp);
			return;
		}
		t->cp = '?';
		t->width = 1;
		return;
	}
	if (w < 0) {
		set_marker(t, "<U+%04X>", cp);
		return;
	}
	t->cp = cp;
	t->width = w;
}

size_t sanitize_append(struct buf *out, const char *s, size_t len, unsigned flags)
{
	size_t col = 0;
	struct sanitize_tok t;

	while (len > 0) {
		sanitize_next(&t, s, len, flags);
		s += t.len;
		len -= t.len;
		if (t.marker[0]) {
			buf_adds(out, t.marker);
			col += (size_t)t.width;
		} else if (t.cp == '\t') {
			do {
				buf_addch(out, ' ');
				col++;
			} while (col % 8);
		} else if (t.cp == '\n') {
			buf_addch(out, '\n');
			col = 0;
		} else {
			char enc[4];
			buf_add(out, enc, (size_t)sanitize_utf8_encode(t.cp, enc));
			col += (size_t)t.width;
		}
	}
	return col;
}

char *sanitize_dup(const char *s, unsigned flags)
{
	struct buf b = BUF_INIT;
	if (s)
		sanitize_append(&b, s, strlen(s), flags);
	if (!b.alloc)
		return xstrdup("");
	return buf_detach(&b, NULL);
}

size_t sanitize_width(const char *s)
{
	size_t w = 0, len = strlen(s);
	while (len > 0) {
		uint32_t cp;
		int n = sanitize_utf8_decode(s, len, &cp);
		s += n;
		len -= (size_t)n;
		if (cp == UINT32_MAX) {
			w++;
			continue;
		}
		int cw = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
		w += cw > 0 ? (size_t)cw : 0;
	}
	return w;
}
