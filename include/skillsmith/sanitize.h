#ifndef SKILLSMITH_SANITIZE_H
#define SKILLSMITH_SANITIZE_H
/*
 * Making untrusted text safe to show on a terminal.
 *
 * Everything that came from outside the program (LLM output, trajectories,
 * commit messages, skill text, task inputs) passes through here before it
 * is drawn or printed to a terminal.  Nothing in the input is obeyed:
 *
 *   - C0 controls, DEL, ESC, CR and BS become caret markers: "^[", "^M",
 *     "^H", "^?" (tab and newline only when the caller asks to keep them);
 *   - C1 controls (U+0080..U+009F), bidi controls (U+202A..U+202E,
 *     U+2066..U+2069, U+200E, U+200F, U+061C), zero-width characters
 *     (U+200B..U+200D, U+2060..U+2064, U+FEFF, U+180E), line and paragraph
 *     separators, tag characters (U+E0000..U+E007F) and anything else
 *     wcwidth() calls unprintable become "<U+202E>" style markers;
 *   - bytes that are not valid UTF-8 (including overlong forms and
 *     surrogates) become "<0xNN>" markers, one per byte.
 *
 * Widths are measured with wcwidth(), so the caller's locale must be set
 * (setlocale(LC_CTYPE, "")); in a locale that is not UTF-8 pass
 * SANITIZE_ASCII and every non-ASCII character is drawn as '?'.
 */
#include <stddef.h>
#include <stdint.h>

struct buf;

#define SANITIZE_ASCII    0x1  /* printable non-ASCII becomes '?' */
#define SANITIZE_TABS     0x2  /* keep tabs (sanitize_append expands them) */
#define SANITIZE_NEWLINES 0x4  /* keep '\n' as is (multi-line text) */

/* One step through the input: a printable character or a marker. */
struct sanitize_tok {
	uint32_t cp;       /* the printable code point, when marker[0] == 0 */
	int width;         /* display columns of cp or of the marker */
	char marker[16];   /* NUL-terminated ASCII marker, "" for printable */
	size_t len;        /* input bytes consumed, at least 1 */
};

/*
 * Decode the next token of s[0..len) (len > 0) into *t.  A kept tab or
 * newline comes back as cp '\t' / '\n' with width 0; the caller lays it
 * out.  Zero-width combining marks come back with width 0.
 */
void sanitize_next(struct sanitize_tok *t, const char *s, size_t len, unsigned flags);

/*
 * Append the safe form of s[0..len) to `out`; tabs (when kept) are
 * expanded to the next multiple of 8 columns counted from the start of
 * the appended text.  Returns the display width added (up to the last
 * newline when newlines are kept).
 */
size_t sanitize_append(struct buf *out, const char *s, size_t len, unsigned flags);

/* The safe form of a NUL-terminated string, malloc'd; NULL gives "". */
char *sanitize_dup(const char *s, unsigned flags);

/* Display width of a string that is already safe (sanitized). */
size_t sanitize_width(const char *s);

/*
 * Decode one UTF-8 code point from s[0..len).  Returns the bytes used
 * (1..4) and sets *cp, or returns 1 with *cp = UINT32_MAX when the byte
 * does not start a valid, shortest-form sequence.
 */
int sanitize_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Encode cp as UTF-8 into out (4 bytes room); returns the byte count. */
int sanitize_utf8_encode(uint32_t cp, char *out);

#endif
