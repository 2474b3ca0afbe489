/* Unit tests for the terminal-safety filter of untrusted text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/sanitize.h"

static char *san(const char *s, unsigned flags)
{
	return sanitize_dup(s, flags);
}

#define EXPECT(in, flags, want) do { \
		char *got_ = san((in), (flags)); \
		assert_string_equal(got_, (want)); \
		free(got_); \
	} while (0)

static void sanitize__plain_text_unchanged(void **state)
{
	EXPECT("hello, world (B) 42", 0, "hello, world (B) 42");
	EXPECT("caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac", 0,
	       "caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac");
	EXPECT(NULL, 0, "");
}

static void sanitize__c0_del_esc_cr_bs_become_carets(void **state)
{
	EXPECT("\033]0;pwned\007", 0, "^[]0;pwned^G");
	EXPECT("a\033[2Jb", 0, "a^[[2Jb");
	EXPECT("over\rwrite", 0, "over^Mwrite");
	EXPECT("ab\bc", 0, "ab^Hc");
	EXPECT("x\x7fy", 0, "x^?y");
	EXPECT("\x01\x1f", 0, "^A^_");
	/* newline and tab are markers unless kept */
	EXPECT("a\nb\tc", 0, "a^Jb^Ic");
	EXPECT("a\nb", SANITIZE_NEWLINES, "a\nb");
	EXPECT("ab\tc", SANITIZE_TABS, "ab      c");
}

static void sanitize__c1_bidi_zero_width_tags_become_markers(void **state)
{
	EXPECT("\xc2\x9b" "31m", 0, "<U+009B>31m");          /* C1 CSI */
	EXPECT("abc\xe2\x80\xae" "def", 0, "abc<U+202E>def"); /* RLO */
	EXPECT("\xe2\x81\xa6x\xe2\x81\xa9", 0, "<U+2066>x<U+2069>");
	EXPECT("a\xe2\x80\x8b" "b", 0, "a<U+200B>b");          /* ZWSP */
	EXPECT("\xef\xbb\xbfz", 0, "<U+FEFF>z");               /* BOM */
	EXPECT("\xf3\xa0\x80\x81", 0, "<U+E0001>");            /* tag */
	EXPECT("l\xe2\x80\xa8m", 0, "l<U+2028>m");
}

static void sanitize__invalid_utf8_becomes_byte_markers(void **state)
{
	EXPECT("a\xff" "b", 0, "a<0xFF>b");
	EXPECT("\xc0\xaf", 0, "<0xC0><0xAF>");                /* overlong '/' */
	EXPECT("\xed\xa0\x80", 0, "<0xED><0xA0><0x80>");      /* surrogate */
	EXPECT("\xe2\x9c", 0, "<0xE2><0x9C>");                /* truncated */
	EXPECT("\x9b", 0, "<0x9B>");                          /* raw C1 byte */
}

static void sanitize__output_never_holds_controls(void **state)
{
	/* every byte value, alone and after a lead byte */
	struct buf in = BUF_INIT;
	for (int i = 1; i < 256; i++) {
		buf_addch(&in, i);
		buf_addch(&in, 0xc2);
		buf_addch(&in, i);
	}
	char *out = san(in.buf, 0);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		assert_true(*p >= 0x20 && *p != 0x7f);
		if (*p == 0xc2)
			assert_true(p[1] >= 0xa0);
	}
	free(out);
	buf_release(&in);
}

static void sanitize__widths_use_wcwidth(void **state)
{
	struct buf b = BUF_INIT;
	assert_int_equal(sanitize_append(&b, "ab", 2, 0), 2);
	buf_reset(&b);
	/* two CJK characters are four columns */
	assert_int_equal(sanitize_append(&b, "\xe6\x97\xa5\xe6\x9c\xac", 6, 0), 4);
	buf_reset(&b);
	/* a combining acute accent takes no column */
	assert_int_equal(sanitize_append(&b, "e\xcc\x81", 3, 0), 1);
	buf_reset(&b);
	/* markers count their own width */
	assert_int_equal(sanitize_append(&b, "\033", 1, 0), 2);
	buf_release(&b);
	assert_int_equal(sanitize_width("\xe6\x97\xa5x"), 3);
}

static void sanitize__ascii_mode_replaces_non_ascii(void **state)
{
	EXPECT("caf\xc3\xa9 \xe2\x9c\x93", SANITIZE_ASCII, "caf? ?");
	EXPECT("\xe2\x80\xae", SANITIZE_ASCII, "<U+202E>");
}

static void sanitize__tokens_report_markers(void **state)
{
	struct sanitize_tok t;
	sanitize_next(&t, "\033x", 2, 0);
	assert_string_equal(t.marker, "^[");
	assert_int_equal(t.len, 1);
	assert_int_equal(t.width, 2);
	sanitize_next(&t, "\xe2\x9c\x93", 3, 0);
	assert_string_equal(t.marker, "");
	assert_int_equal(t.cp, 0x2713);
	assert_int_equal(t.len, 3);
	assert_int_equal(t.width, 1);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sanitize__plain_text_unchanged),
		cmocka_unit_test(sanitize__c0_del_esc_cr_bs_become_carets),
		cmocka_unit_test(sanitize__c1_bidi_zero_width_tags_become_markers),
		cmocka_unit_test(sanitize__invalid_utf8_becomes_byte_markers),
		cmocka_unit_test(sanitize__output_never_holds_controls),
		cmocka_unit_test(sanitize__widths_use_wcwidth),
		cmocka_unit_test(sanitize__ascii_mode_replaces_non_ascii),
		cmocka_unit_test(sanitize__tokens_report_markers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
