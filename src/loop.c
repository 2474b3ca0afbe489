/*
 * The event loop: curl_multi_socket_action() over poll(), plus descriptors,
 * child exits, timers and tick hooks.  See include/skillsmith/loop.h.
 *
 * The sets are small (tens of sockets and timers), so they are plain arrays
 * searched linearly; that costs less than the bookkeeping of a heap.
 */
#include "skillsmith/loop.h"
#include "skillsmith/common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct csock {
	curl_socket_t fd;
	int what;                 /* CURL_POLL_IN / OUT / INOUT */
};

struct ufd {
	int fd;
	int events;
	loop_fd_fn fn;
	void *payload;
};

struct timer {
	uint64_t id;
	int64_t when;             /* ss_now_ms() deadline */
	loop_timer_fn fn;
	void *payload;
};

struct tick {
	uint64_t id;
	loop_tick_fn fn;
	void *payload;
};

struct xfer {
	CURL *easy;
	loop_curl_fn fn;
	void *payload;
	struct xfer *prev, *next;  /* running transfers, for loop_free() */
};

struct child {
	struct loop *lp;
	pid_t pid;
	int pidfd;                /* -1: polled with waitpid() on a timer */
	loop_child_fn fn;
	void *payload;
};

struct loop {
	CURLM *multi;
	int64_t curl_deadline;    /* -1: none */
	int nr_xfers;
	struct xfer *xfers;

	struct csock *socks;
	size_t nr_socks, alloc_socks;
	struct ufd *fds;
	size_t nr_fds, alloc_fds;
	struct timer *timers;
	size_t nr_timers, alloc_timers;
	struct tick *ticks;
	size_t nr_ticks, alloc_ticks;
	uint64_t next_id;
	int nr_children;

	struct pollfd *pfd;
	size_t alloc_pfd;
	int wake[2];
	volatile sig_atomic_t stop;
};

/* ---- curl callbacks ------------------------------------------------------ */

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct loop *lp = userp;
	size_t i;
	for (i = 0; i < lp->nr_socks; i++)
		if (lp->socks[i].fd == s)
			break;
	if (what == CURL_POLL_REMOVE) {
		if (i < lp->nr_socks)
			lp->socks[i] = lp->socks[--lp->nr_socks];
		return 0;
	}
	if (i == lp->nr_socks) {
		ALLOC_GROW(lp->socks, lp->nr_socks + 1, lp->alloc_socks);
		lp->nr_socks++;
	}
	lp->socks[i].fd = s;
	lp->socks[i].what = what;
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct loop *lp = userp;
	lp->curl_deadline = timeout_ms < 0 ? -1 : ss_now_ms() + timeout_ms;
	return 0;
}

/* ---- life cycle ---------------------------------------------------------- */

int loop_new(struct loop **out)
{
	struct loop *lp = xcalloc(1, sizeof(*lp));
	lp->curl_deadline = -1;
	lp->next_id = 1;
	if (pipe2(lp->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(lp);
		return ss_err_set(SS_ERR, "loop: cannot make a pipe: %s", strerror(errno));
	}
	lp->multi = curl_multi_init();
	if (!lp->multi) {
		close(lp->wake[0]);
		close(lp->wake[1]);
		free(lp);
		return ss_err_set(SS_ERR, "loop: curl_multi_init failed");
	}
	curl_multi_setopt(lp->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(lp->multi, CURLMOPT_SOCKETDATA, lp);
	curl_multi_setopt(lp->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(lp->multi, CURLMOPT_TIMERDATA, lp);
	*out = lp;
	return 0;
}

static void child_free_all(struct loop *lp);

void loop_free(struct loop *lp)
{
	if (!lp)
		return;
	/* Abort running transfers: their handles belong to their owners. */
	while (lp->xfers)
		loop_curl_remove(lp, lp->xfers->easy);
	child_free_all(lp);
	curl_multi_cleanup(lp->multi);
	close(lp->wake[0]);
	close(lp->wake[1]);
	free(lp->socks);
	free(lp->fds);
	free(lp->timers);
	free(lp->ticks);
	free(lp->pfd);
	free(lp);
}

CURLM *loop_multi(struct loop *lp)
{
	return lp->multi;
}

/* ---- transfers ----------------------------------------------------------- */

int loop_curl_add(struct loop *lp, CURL *easy, loop_curl_fn done, void *payload)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	x->easy = easy;
	x->fn = done;
	x->payload = payload;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	CURLMcode rc = curl_multi_add_handle(lp->multi, easy);
	if (rc != CURLM_OK) {
		free(x);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		return ss_err_set(SS_ERR, "loop: cannot start transfer: %s", curl_multi_strerror(rc));
	}
	lp->nr_xfers++;
	x->next = lp->xfers;
	if (lp->xfers)
		lp->xfers->prev = x;
	lp->xfers = x;
	return 0;
}

static void xfer_unlink(struct loop *lp, struct xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		lp->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	lp->nr_xfers--;
}

void loop_curl_remove(struct loop *lp, CURL *easy)
{
	struct xfer *x = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	if (!x)
		return;
	curl_multi_remove_handle(lp->multi, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	xfer_unlink(lp, x);
	free(x);
}

static int finish_transfers(struct loop *lp)
{
	CURLMsg *msg;
	int msgs, ran = 0;
	while ((msg = curl_multi_info_read(lp->multi, &msgs))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		struct xfer *x = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(lp->multi, easy);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		if (x) {
			xfer_unlink(lp, x);
			loop_curl_fn fn = x->fn;
			void *payload = x->payload;
			free(x);
			fn(easy, result, payload);
			ran++;
		}
	}
	return ran;
}

/* ---- descriptors --------------------------------------------------------- */

static struct ufd *find_fd(struct loop *lp, int fd)
{
	for (size_t i = 0; i < lp->nr_fds; i++)
		if (lp->fds[i].fd == fd)
			return &lp->fds[i];
	return NULL;
}

int loop_fd_add(struct loop *lp, int fd, int events, loop_fd_fn fn, void *payload)
{
	if (fd < 0)
		return ss_err_set(SS_ERR, "loop: bad descriptor %d", fd);
	struct ufd *u = find_fd(lp, fd);
	if (!u) {
		ALLOC_GROW(lp->fds, lp->nr_fds + 1, lp->alloc_fds);
		u = &lp->fds[lp->nr_fds++];
	}
	u->fd = fd;
	u->events = events;
	u->fn = fn;
	u->payload = payload;
	return 0;
}

void loop_fd_del(struct loop *lp, int fd)
{
	for (size_t i = 0; i < lp->nr_fds; i++) {
		if (lp->fds[i].fd == fd) {
			memmove(&lp->fds[i], &lp->fds[i + 1], (lp->nr_fds - i - 1) * sizeof(lp->fds[0]));
			lp->nr_fds--;
			return;
		}
	}
}

/* ---- timers and ticks ---------------------------------------------------- */

uint64_t loop_timer_add(struct loop *lp, int64_t delay_ms, loop_timer_fn fn, void *payload)
{
	ALLOC_GROW(lp->timers, lp->nr_timers + 1, lp->alloc_timers);
	struct timer *t = &lp->timers[lp->nr_timers++];
	t->id = lp->next_id++;
	t->when = ss_now_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->payload = payload;
	return t->id;
}

void loop_timer_cancel(struct loop *lp, uint64_t id)
{
	for (size_t i = 0; i < lp->nr_timers; i++) {
		if (lp->timers[i].id == id) {
			lp->timers[i] = lp->timers[--lp->nr_timers];
			return;
		}
	}
}

uint64_t loop_tick_add(struct loop *lp, loop_tick_fn fn, void *payload)
{
	ALLOC_GROW(lp->ticks, lp->nr_ticks + 1, lp->alloc_ticks);
	struct tick *t = &lp->ticks[lp->nr_ticks++];
	t->id = lp->next_id++;
	t->fn = fn;
	t->payload = payload;
	return t->id;
}

void loop_tick_del(struct loop *lp, uint64_t id)
{
	for (size_t i = 0; i < lp->nr_ticks; i++) {
		if (lp->ticks[i].id == id) {
			memmove(&lp->ticks[i], &lp->ticks[i + 1], (lp->nr_ticks - i - 1) * sizeof(lp->ticks[0]));
			lp->nr_ticks--;
			return;
		}
	}
}

/* Fire expired timers in deadline order; timers added meanwhile wait. */
static int run_timers(struct loop *lp, uint64_t id_limit)
{
	int ran = 0;
	for (;;) {
		int64_t now = ss_now_ms();
		size_t best = lp->nr_timers;
		for (size_t i = 0; i < lp->nr_timers; i++) {
			struct timer *t = &lp->timers[i];
			if (t->id >= id_limit || t->when > now)
				continue;
			if (best == lp->nr_timers || t->when < lp->timers[best].when ||
			    (t->when == lp->timers[best].when && t->id < lp->timers[best].id))
				best = i;
		}
		if (best == lp->nr_timers)
			return ran;
		struct timer t = lp->timers[best];
		lp->timers[best] = lp->timers[--lp->nr_timers];
		t.fn(t.payload);
		ran++;
	}
}

static void run_ticks(struct loop *lp)
{
	/* A tick may remove itself or others: walk by id. */
	uint64_t last = 0;
	for (;;) {
		struct tick *next = NULL;
		for (size_t i = 0; i < lp->nr_ticks; i++)
			if (lp->ticks[i].id > last && (!next || lp->ticks[i].id < next->id))
				next = &lp->ticks[i];
		if (!next)
			return;
		last = next->id;
		next->fn(next->payload);
	}
}

/* ---- children ------------------------------------------------------------ */

static void child_reaped(struct loop *lp, struct child *c, int status)
{
	lp->nr_children--;
	if (c->pidfd >= 0) {
		loop_fd_del(lp, c->pidfd);
		close(c->pidfd);
	}
	loop_child_fn fn = c->fn;
	void *payload = c->payload;
	pid_t pid = c->pid;
	free(c);
	fn(pid, status, payload);
}

static void child_fd_cb(int fd, int events, void *payload)
{
	struct child *c = payload;
	int status = 0;
	pid_t r = waitpid(c->pid, &status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD))
		child_reaped(c->lp, c, r == c->pid ? status : 0);
}

static void child_timer_cb(void *payload)
{
	struct child *c = payload;
	int status = 0;
	pid_t r = waitpid(c->pid, &status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD))
		child_reaped(c->lp, c, r == c->pid ? status : 0);
	else
		loop_timer_add(c->lp, 20, child_timer_cb, c);
}

static void child_free_all(struct loop *lp)
{
	/* Children still watched by pidfd: free their records. */
	for (size_t i = 0; i < lp->nr_fds; i++) {
		if (lp->fds[i].fn == child_fd_cb) {
			struct child *c = lp->fds[i].payload;
			close(c->pidfd);
			free(c);
		}
	}
	for (size_t i = 0; i < lp->nr_timers; i++)
		if (lp->timers[i].fn == child_timer_cb)
			free(lp->timers[i].payload);
}

int loop_child_add(struct loop *lp, pid_t pid, loop_child_fn fn, void *payload)
{
	struct child *c = xcalloc(1, sizeof(*c));
	c->lp = lp;
	c->pid = pid;
	c->fn = fn;
	c->payload = payload;
#ifdef SYS_pidfd_open
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	c->pidfd = -1;
#endif
	lp->nr_children++;
	if (c->pidfd >= 0) {
		fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
		return loop_fd_add(lp, c->pidfd, LOOP_READ, child_fd_cb, c);
	}
	if (errno == ESRCH) {
		lp->nr_children--;
		free(c);
		return ss_err_set(SS_ERR, "loop: no child process %ld", (long)pid);
	}
	loop_timer_add(lp, 0, child_timer_cb, c);
	return 0;
}

/* ---- the iteration ------------------------------------------------------- */

int loop_busy(struct loop *lp)
{
	return lp->nr_xfers > 0 || lp->nr_fds > 0 || lp->nr_timers > 0 || lp->nr_children > 0;
}

void loop_wakeup(struct loop *lp)
{
	int saved = errno;
	ssize_t r = write(lp->wake[1], "x", 1);
	(void)r;
	errno = saved;
}

void loop_stop(struct loop *lp)
{
	lp->stop = 1;
	loop_wakeup(lp);
}

int loop_run_once(struct loop *lp, int max_wait_ms)
{
	int64_t now = ss_now_ms();
	int64_t wait = max_wait_ms < 0 ? INT64_MAX : max_wait_ms;
	uint64_t id_limit = lp->next_id;
	int ran = 0;

	for (size_t i = 0; i < lp->nr_timers; i++) {
		int64_t d = lp->timers[i].when - now;
		if (d < wait)
			wait = d < 0 ? 0 : d;
	}
	if (lp->curl_deadline >= 0) {
		int64_t d = lp->curl_deadline - now;
		if (d < wait)
			wait = d < 0 ? 0 : d;
	}

	size_t nsock = lp->nr_socks, nfd = lp->nr_fds, n = 1 + nsock + nfd;
	ALLOC_GROW(lp->pfd, n, lp->alloc_pfd);
	struct pollfd *p = lp->pfd;
	p[0].fd = lp->wake[0];
	p[0].events = POLLIN;
	for (size_t i = 0; i < nsock; i++) {
		p[1 + i].fd = lp->socks[i].fd;
		p[1 + i].events = (short)(((lp->socks[i].what & CURL_POLL_IN) ? POLLIN : 0) |
					  ((lp->socks[i].what & CURL_POLL_OUT) ? POLLOUT : 0));
	}
	for (size_t i = 0; i < nfd; i++) {
		p[1 + nsock + i].fd = lp->fds[i].fd;
		p[1 + nsock + i].events = (short)(((lp->fds[i].events & LOOP_READ) ? POLLIN : 0) |
						  ((lp->fds[i].events & LOOP_WRITE) ? POLLOUT : 0));
	}
	for (size_t i = 0; i < n; i++)
		p[i].revents = 0;

	int timeout = wait == INT64_MAX ? -1 : (wait > INT32_MAX ? INT32_MAX : (int)wait);
	int r = poll(p, n, timeout);
	if (r < 0 && errno != EINTR)
		return ss_err_set(SS_ERR, "loop: poll: %s", strerror(errno));

	if (r > 0) {
		if (p[0].revents) {
			char junk[64];
			while (read(lp->wake[0], junk, sizeof(junk)) > 0)
				;
		}
		/* The sets may change under callbacks, so work from the snapshot. */
		for (size_t i = 0; i < nsock; i++) {
			short re = p[1 + i].revents;
			if (!re)
				continue;
			int mask = ((re & POLLIN) ? CURL_CSELECT_IN : 0) |
				   ((re & POLLOUT) ? CURL_CSELECT_OUT : 0) |
				   ((re & (POLLERR | POLLHUP | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
			int running;
			curl_multi_socket_action(lp->multi, p[1 + i].fd, mask, &running);
		}
		ran += finish_transfers(lp);
		for (size_t i = 0; i < nfd; i++) {
			struct pollfd *q = &p[1 + nsock + i];
			if (!q->revents)
				continue;
			struct ufd *u = find_fd(lp, q->fd);
			if (!u)
				continue;
			/* A hang-up reads as EOF, so report it as readable too. */
			int ev = ((q->revents & (POLLIN | POLLHUP)) && (u->events & LOOP_READ) ? LOOP_READ : 0) |
				 ((q->revents & POLLOUT) ? LOOP_WRITE : 0) |
				 ((q->revents & (POLLERR | POLLHUP | POLLNVAL)) ? LOOP_ERROR : 0);
			u->fn(q->fd, ev, u->payload);
			ran++;
		}
	}

	if (lp->curl_deadline >= 0 && ss_now_ms() >= lp->curl_deadline) {
		int running;
		lp->curl_deadline = -1;
		curl_multi_socket_action(lp->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	ran += finish_transfers(lp);
	ran += run_timers(lp, id_limit);
	run_ticks(lp);
	return ran;
}

int loop_run(struct loop *lp)
{
	lp->stop = 0;
	while (!lp->stop && loop_busy(lp)) {
		if (loop_run_once(lp, -1) < 0)
			return SS_ERR;
	}
	lp->stop = 0;
	return 0;
}
