/*
 * A canned-reply HTTP server on loopback for the client tests, in the
 * spirit of curl's test server: each test queues the replies the server
 * gives, in order, and afterwards checks exactly what the client sent.
 * libmicrohttpd, one thread per connection, inside the test process.
 *
 * Header-only (tests are one file each); everything is static.
 */
#ifndef SKILLSMITH_TESTS_CANNED_H
#define SKILLSMITH_TESTS_CANNED_H
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"

#define CANNED_UNUSED __attribute__((unused))

struct canned_reply {
	int status;                 /* default 200 */
	const char *headers;        /* extra header lines "Name: value\n..." */
	const char *content_type;   /* default application/json, or text/event-stream with chunks */
	const char *body;
	const char *const *chunks;  /* streamed body pieces, NULL-terminated */
	int delay_ms;               /* before the reply */
	int chunk_delay_ms;         /* between pieces */
	int cut;                    /* end a streamed body by dropping the connection */
};

struct canned_req {
	char *method, *url, *headers, *body;
	int64_t at_ms;              /* when the request was complete */
};

struct canned {
	struct MHD_Daemon *d;
	int port;
	char base_url[64];
	pthread_mutex_t mu;
	struct canned_reply replies[64];
	int nr_replies, next_reply;
	struct canned_reply fallback;
	int has_fallback;
	struct canned_req reqs[512];
	int nr_reqs;
	int connections;
	int active, max_active;     /* requests being answered at once */
	volatile int stopping;
};

struct canned_conn {
	struct buf body;
};

struct canned_stream {
	struct canned *c;
	const char *const *chunks;
	int i;
	size_t off;
	int delay_ms, cut;
};

static void canned_sleep(struct canned *c, int ms)
{
	while (ms > 0 && !c->stopping) {
		int step = ms < 10 ? ms : 10;
		struct timespec ts = { 0, step * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static enum MHD_Result canned_hdr_it(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	buf_addf(cls, "%s: %s\n", key, value ? value : "");
	return MHD_YES;
}

static ssize_t canned_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct canned_stream *s = cls;
	if (s->c->stopping)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (!s->chunks[s->i])
		return s->cut ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	if (s->off == 0 && s->i > 0)
		canned_sleep(s->c, s->delay_ms);
	const char *ch = s->chunks[s->i];
	size_t len = strlen(ch) - s->off;
	if (len > max)
		len = max;
	memcpy(out, ch + s->off, len);
	s->off += len;
	if (ch[s->off] == 0) {
		s->i++;
		s->off = 0;
	}
	return (ssize_t)len;
}

static void canned_add_headers(struct MHD_Response *r, const char *lines)
{
	const char *p = lines;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *colon = memchr(p, ':', n);
		if (colon) {
			char *k = xstrndup(p, (size_t)(colon - p));
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			char *val = xstrndup(v, (size_t)(p + n - v));
			MHD_add_response_header(r, k, val);
			free(k);
			free(val);
		}
		p += n + (eol ? 1 : 0);
	}
}

static enum MHD_Result canned_handler(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct canned *c = cls;
	struct canned_conn *cc = *con_cls;
	if (!cc) {
		cc = xcalloc(1, sizeof(*cc));
		buf_init(&cc->body, 0);
		*con_cls = cc;
		return MHD_YES;
	}
	if (*upload_size) {
		buf_add(&cc->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	struct buf h = BUF_INIT;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, canned_hdr_it, &h);

	struct canned_reply rep;
	pthread_mutex_lock(&c->mu);
	if (c->nr_reqs < (int)ARRAY_SIZE(c->reqs)) {
		struct canned_req *q = &c->reqs[c->nr_reqs++];
		q->method = xstrdup(method);
		q->url = xstrdup(url);
		q->headers = buf_detach(&h, NULL);
		q->body = xstrdup(cc->body.buf);
		q->at_ms = ss_now_ms();
	} else {
		buf_release(&h);
	}
	if (c->next_reply < c->nr_replies)
		rep = c->replies[c->next_reply++];
	else if (c->has_fallback)
		rep = c->fallback;
	else {
		memset(&rep, 0, sizeof(rep));
		rep.status = 500;
		rep.body = "{\"error\":{\"message\":\"no canned reply left\"}}";
	}
	if (++c->active > c->max_active)
		c->max_active = c->active;
	pthread_mutex_unlock(&c->mu);

	canned_sleep(c, rep.delay_ms);

	struct MHD_Response *r;
	if (rep.chunks) {
		struct canned_stream *s = xcalloc(1, sizeof(*s));
		s->c = c;
		s->chunks = rep.chunks;
		s->delay_ms = rep.chunk_delay_ms;
		s->cut = rep.cut;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, canned_reader, s, free);
		MHD_add_response_header(r, "Content-Type",
					rep.content_type ? rep.content_type : "text/event-stream");
	} else {
		const char *b = rep.body ? rep.body : "";
		r = MHD_create_response_from_buffer(strlen(b), (void *)b, MHD_RESPMEM_MUST_COPY);
		MHD_add_response_header(r, "Content-Type",
					rep.content_type ? rep.content_type : "application/json");
	}
	canned_add_headers(r, rep.headers);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)(rep.status ? rep.status : 200), r);
	MHD_destroy_response(r);
	pthread_mutex_lock(&c->mu);
	c->active--;
	pthread_mutex_unlock(&c->mu);
	return ret;
}

static void canned_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	struct canned_conn *cc = *con_cls;
	if (cc) {
		buf_release(&cc->body);
		free(cc);
		*con_cls = NULL;
	}
}

static void canned_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct canned *c = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&c->mu);
		c->connections++;
		pthread_mutex_unlock(&c->mu);
	}
}

/* Start on 127.0.0.1 and a free port; base_url is "http://127.0.0.1:PORT/v1". */
static CANNED_UNUSED struct canned *canned_start(void)
{
	struct canned *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
				0, NULL, NULL, canned_handler, c,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, canned_completed, c,
				MHD_OPTION_NOTIFY_CONNECTION, canned_notify, c,
				MHD_OPTION_END);
	if (!c->d) {
		free(c);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(c->d, MHD_DAEMON_INFO_BIND_PORT);
	c->port = info ? info->port : 0;
	snprintf(c->base_url, sizeof(c->base_url), "http://127.0.0.1:%d/v1", c->port);
	return c;
}

static CANNED_UNUSED void canned_stop(struct canned *c)
{
	if (!c)
		return;
	c->stopping = 1;
	MHD_stop_daemon(c->d);
	for (int i = 0; i < c->nr_reqs; i++) {
		free(c->reqs[i].method);
		free(c->reqs[i].url);
		free(c->reqs[i].headers);
		free(c->reqs[i].body);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Queue a reply (served in order; when none is left, the fallback or a 500). */
static CANNED_UNUSED void canned_push(struct canned *c, const struct canned_reply *r)
{
	pthread_mutex_lock(&c->mu);
	c->replies[c->nr_replies++] = *r;
	pthread_mutex_unlock(&c->mu);
}

static CANNED_UNUSED void canned_set_fallback(struct canned *c, const struct canned_reply *r)
{
	pthread_mutex_lock(&c->mu);
	c->fallback = *r;
	c->has_fallback = 1;
	pthread_mutex_unlock(&c->mu);
}

static CANNED_UNUSED int canned_nr_requests(struct canned *c)
{
	pthread_mutex_lock(&c->mu);
	int n = c->nr_reqs;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* The value of header `name` (any case) of request `i`, malloc'd, or NULL. */
static CANNED_UNUSED char *canned_header(struct canned *c, int i, const char *name)
{
	const char *p = c->reqs[i].headers;
	size_t n = strlen(name);
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		if (!strncasecmp(p, name, n) && p[n] == ':')
			return xstrndup(p + n + 2, (size_t)((eol ? eol : p + strlen(p)) - (p + n + 2)));
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

#endif
