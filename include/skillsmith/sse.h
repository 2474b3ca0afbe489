#ifndef SKILLSMITH_SSE_H
#define SKILLSMITH_SSE_H
/*
 * An incremental parser of server-sent events (the WHATWG event-stream
 * format), fed with whatever byte chunks the network delivers.  Lines end
 * in LF, CRLF or CR; lines starting with ':' are comments; "data" lines of
 * one event are joined with LF; "event" names the event; a blank line
 * dispatches it.  "id" and "retry" are ignored.  An event cut off by the end
 * of the stream is not dispatched.
 */
#include <stddef.h>
#include "skillsmith/buf.h"

/* `event` is "message" when the stream named none.  Return < 0 to stop. */
typedef int (*sse_event_fn)(const char *event, const char *data, size_t len, void *payload);

struct sse {
	struct buf line;    /* the line being read */
	struct buf event;   /* event name of the event being read */
	struct buf data;    /* its data so far */
	int cr;             /* the previous byte was CR */
	int nr_events;      /* events dispatched so far */
	sse_event_fn fn;
	void *payload;
};

void sse_init(struct sse *p, sse_event_fn fn, void *payload);
/* Forget any partial event, keep the callback. */
void sse_reset(struct sse *p);
void sse_release(struct sse *p);
/*
 * Parse `len` bytes.  Returns 0, or the callback's negative value (the rest
 * of the chunk is then dropped), or -1 when a line exceeds 16 MiB.
 */
int sse_feed(struct sse *p, const char *data, size_t len);

#endif
