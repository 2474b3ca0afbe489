/* libFuzzer target: the terminal-safety filter.  Whatever the input, the
 * output is valid UTF-8 with no control character (bar kept newlines),
 * no C1, bidi, zero-width or tag character, and its width is what
 * sanitize_append() said. */
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/sanitize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setlocale(LC_ALL, "C.UTF-8");
	return 0;
}

static int forbidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	       (cp >= 0xe0000 && cp <= 0xe007f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0] & (SANITIZE_ASCII | SANITIZE_TABS | SANITIZE_NEWLINES);
	struct buf out = BUF_INIT;
	size_t w = sanitize_append(&out, (const char *)data + 1, size - 1, flags);
	const char *p = out.buf;
	size_t len = out.len, line_w = 0;
	while (len > 0) {
		uint32_t cp;
		int n = sanitize_utf8_decode(p, len, &cp);
		if (cp == UINT32_MAX)
			abort();                      /* not valid UTF-8 */
		if (cp == '\n') {
			if (!(flags & SANITIZE_NEWLINES))
				abort();
			line_w = 0;
		} else if (cp < 0x20 || cp == 0x7f || forbidden(cp)) {
			abort();
		} else if ((flags & SANITIZE_ASCII) && cp >= 0x80) {
			abort();
		} else {
			char one[5] = { 0 };
			memcpy(one, p, (size_t)n);
			line_w += sanitize_width(one);
		}
		p += n;
		len -= (size_t)n;
	}
	if (line_w != w)
		abort();
	/* sanitizing the output again changes nothing */
	char *again = sanitize_dup(out.buf, flags);
	if (strcmp(again, out.buf))
		abort();
	free(again);
	buf_release(&out);
	return 0;
}
