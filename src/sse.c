/*
 * Server-sent events parser; see include/skillsmith/sse.h.
 */
#include "skillsmith/sse.h"

#include <string.h>

#define SSE_LINE_MAX (16u << 20)

void sse_init(struct sse *p, sse_event_fn fn, void *payload)
{
	buf_init(&p->line, 0);
	buf_init(&p->event, 0);
	buf_init(&p->data, 0);
	p->line.cap = SSE_LINE_MAX;
	p->cr = 0;
	p->nr_events = 0;
	p->fn = fn;
	p->payload = payload;
}

void sse_reset(struct sse *p)
{
	buf_reset(&p->line);
	buf_reset(&p->event);
	buf_reset(&p->data);
	p->cr = 0;
}

void sse_release(struct sse *p)
{
	buf_release(&p->line);
	buf_release(&p->event);
	buf_release(&p->data);
}

static int dispatch(struct sse *p)
{
	int rc = 0;
	if (p->data.len) {
		/* The data buffer always ends in the LF of its last line. */
		buf_setlen(&p->data, p->data.len - 1);
		p->nr_events++;
		rc = p->fn(p->event.len ? p->event.buf : "message", p->data.buf, p->data.len,
			   p->payload);
	}
	buf_reset(&p->event);
	buf_reset(&p->data);
	return rc;
}

static int end_line(struct sse *p)
{
	const char *l = p->line.buf;
	size_t n = p->line.len;
	int rc = 0;

	if (n == 0)
		return dispatch(p);
	if (l[0] == ':')
		goto done;
	const char *colon = memchr(l, ':', n);
	size_t flen = colon ? (size_t)(colon - l) : n;
	const char *v = colon ? colon + 1 : l + n;
	if (colon && v < l + n && *v == ' ')
		v++;
	size_t vlen = (size_t)(l + n - v);
	if (flen == 4 && !memcmp(l, "data", 4)) {
		if (buf_add(&p->data, v, vlen) < 0 || buf_addch(&p->data, '\n') < 0)
			rc = -1;
	} else if (flen == 5 && !memcmp(l, "event", 5)) {
		buf_reset(&p->event);
		buf_add(&p->event, v, vlen);
	}
done:
	buf_reset(&p->line);
	return rc;
}

int sse_feed(struct sse *p, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len) {
		char c = data[i];
		if (p->cr && c == '\n') {
			/* second half of CRLF */
			p->cr = 0;
			i++;
			continue;
		}
		p->cr = 0;
		if (c == '\n' || c == '\r') {
			p->cr = c == '\r';
			i++;
			int rc = end_line(p);
			if (rc < 0)
				return rc;
			continue;
		}
		/* Copy the run of ordinary bytes at once. */
		size_t j = i;
		while (j < len && data[j] != '\n' && data[j] != '\r')
			j++;
		if (buf_add(&p->line, data + i, j - i) < 0)
			return -1;
		i = j;
	}
	return 0;
}
