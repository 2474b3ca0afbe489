/* Unit tests for the server-sent events parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/buf.h"
#include "skillsmith/sse.h"

/* Events as "name|data;" for comparison. */
static int collect(const char *event, const char *data, size_t len, void *payload)
{
	struct buf *b = payload;
	buf_addf(b, "%s|", event);
	buf_add(b, data, len);
	buf_addch(b, ';');
	return 0;
}

static char *parse_in_pieces(const char *text, size_t piece)
{
	struct buf out = BUF_INIT;
	struct sse p;
	sse_init(&p, collect, &out);
	size_t n = strlen(text);
	for (size_t i = 0; i < n; i += piece)
		assert_int_equal(sse_feed(&p, text + i, i + piece > n ? n - i : piece), 0);
	sse_release(&p);
	return buf_detach(&out, NULL);
}

static const char stream[] =
	": keep-alive comment\n"
	"data: {\"a\":1}\n"
	"\n"
	"event: message_start\r\n"
	"data: first line\r\n"
	"data:second line\r\n"
	"id: 7\r\n"
	"\r\n"
	"data: cr only\r\r"
	"retry: 10\n"
	"event: lonely\n"
	"\n"
	"data: [DONE]\n"
	"\n"
	"data: cut off at the end, never dispatched";

static void sse__events_comments_and_line_endings(void **state)
{
	char *got = parse_in_pieces(stream, sizeof(stream));
	assert_string_equal(got,
			    "message|{\"a\":1};"
			    "message_start|first line\nsecond line;"
			    "message|cr only;"
			    "message|[DONE];");
	free(got);
}

static void sse__same_events_whatever_the_chunking(void **state)
{
	char *whole = parse_in_pieces(stream, sizeof(stream));
	for (size_t piece = 1; piece < 9; piece++) {
		char *got = parse_in_pieces(stream, piece);
		assert_string_equal(got, whole);
		free(got);
	}
	free(whole);
}

static int stop_at_second(const char *event, const char *data, size_t len, void *payload)
{
	int *n = payload;
	return ++*n == 2 ? -5 : 0;
}

static void sse__callback_can_stop_the_stream(void **state)
{
	int n = 0;
	struct sse p;
	sse_init(&p, stop_at_second, &n);
	assert_int_equal(sse_feed(&p, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27), -5);
	assert_int_equal(n, 2);
	sse_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sse__events_comments_and_line_endings),
		cmocka_unit_test(sse__same_events_whatever_the_chunking),
		cmocka_unit_test(sse__callback_can_stop_the_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
