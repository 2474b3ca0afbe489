/* Unit tests for the event loop: timers, descriptors, ticks, children, curl. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/loop.h"

struct log {
	struct buf b;
	struct loop *lp;
	uint64_t cancel_me;
};

static void note_a(void *p) { buf_adds(&((struct log *)p)->b, "a"); }
static void note_b(void *p) { buf_adds(&((struct log *)p)->b, "b"); }
static void note_c(void *p) { buf_adds(&((struct log *)p)->b, "c"); }

static void cancels_other(void *p)
{
	struct log *l = p;
	buf_adds(&l->b, "x");
	loop_timer_cancel(l->lp, l->cancel_me);
}

static void loop__timers_fire_in_deadline_order(void **state)
{
	struct loop *lp;
	struct log l = { BUF_INIT, NULL, 0 };
	assert_int_equal(loop_new(&lp), 0);
	l.lp = lp;
	loop_timer_add(lp, 30, note_c, &l);
	loop_timer_add(lp, 10, note_b, &l);
	loop_timer_add(lp, 0, note_a, &l);
	uint64_t gone = loop_timer_add(lp, 5, note_c, &l);
	loop_timer_cancel(lp, gone);
	loop_timer_add(lp, 1, cancels_other, &l);
	l.cancel_me = loop_timer_add(lp, 20, note_c, &l);
	assert_true(loop_busy(lp));
	assert_int_equal(loop_run(lp), 0);
	assert_string_equal(l.b.buf, "axbc");
	assert_false(loop_busy(lp));
	buf_release(&l.b);
	loop_free(lp);
}

static void adds_zero_timer(void *p)
{
	struct log *l = p;
	buf_adds(&l->b, "t");
	loop_timer_add(l->lp, 0, note_a, l);
}

static void loop__timer_added_by_timer_waits_for_next_iteration(void **state)
{
	struct loop *lp;
	struct log l = { BUF_INIT, NULL, 0 };
	assert_int_equal(loop_new(&lp), 0);
	l.lp = lp;
	loop_timer_add(lp, 0, adds_zero_timer, &l);
	loop_run_once(lp, 0);
	assert_string_equal(l.b.buf, "t");
	loop_run_once(lp, 0);
	assert_string_equal(l.b.buf, "ta");
	buf_release(&l.b);
	loop_free(lp);
}

struct pipe_ctx {
	struct loop *lp;
	struct buf got;
	int ticks;
};

static void on_readable(int fd, int events, void *payload)
{
	struct pipe_ctx *p = payload;
	char tmp[64];
	assert_true(events & LOOP_READ);
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0) {
		loop_fd_del(p->lp, fd);
		return;
	}
	buf_add(&p->got, tmp, (size_t)n);
}

static void on_tick(void *payload)
{
	((struct pipe_ctx *)payload)->ticks++;
}

static void loop__descriptor_callbacks_and_ticks(void **state)
{
	struct loop *lp;
	struct pipe_ctx p = { NULL, BUF_INIT, 0 };
	int fds[2];
	assert_int_equal(loop_new(&lp), 0);
	p.lp = lp;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(loop_fd_add(lp, fds[0], LOOP_READ, on_readable, &p), 0);
	uint64_t tick = loop_tick_add(lp, on_tick, &p);
	assert_int_equal(write(fds[1], "hello", 5), 5);
	loop_run_once(lp, 1000);
	assert_string_equal(p.got.buf, "hello");
	assert_int_equal(p.ticks, 1);
	close(fds[1]);
	assert_int_equal(loop_run(lp), 0);   /* EOF unregisters: the loop empties */
	assert_true(p.ticks >= 2);
	int before = p.ticks;
	loop_tick_del(lp, tick);
	loop_run_once(lp, 0);
	assert_int_equal(p.ticks, before);
	close(fds[0]);
	buf_release(&p.got);
	loop_free(lp);
}

static void on_child(pid_t pid, int status, void *payload)
{
	*(int *)payload = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void loop__reports_child_exit_status(void **state)
{
	struct loop *lp;
	int code = -2;
	assert_int_equal(loop_new(&lp), 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	assert_true(pid > 0);
	assert_int_equal(loop_child_add(lp, pid, on_child, &code), 0);
	assert_int_equal(loop_run(lp), 0);
	assert_int_equal(code, 7);
	loop_free(lp);
}

struct xfer_ctx {
	struct buf body;
	CURLcode result;
	int done;
};

static size_t xfer_write(char *ptr, size_t size, size_t n, void *ud)
{
	buf_add(&((struct xfer_ctx *)ud)->body, ptr, size * n);
	return size * n;
}

static void xfer_done(CURL *easy, CURLcode result, void *payload)
{
	struct xfer_ctx *x = payload;
	x->result = result;
	x->done++;
}

static void loop__runs_curl_transfers(void **state)
{
	struct loop *lp;
	struct xfer_ctx x = { BUF_INIT, CURLE_OK, 0 };
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/loop-xfer.%d.txt", dir ? dir : "/tmp", (int)getpid());
	assert_int_equal(ss_write_file(path, "file body\n", 10), 0);
	char *url = xasprintf("file://%s", path);
	assert_int_equal(loop_new(&lp), 0);
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &x);
	assert_int_equal(loop_curl_add(lp, e, xfer_done, &x), 0);
	assert_int_equal(loop_run(lp), 0);
	assert_int_equal(x.done, 1);
	assert_int_equal(x.result, CURLE_OK);
	assert_string_equal(x.body.buf, "file body\n");
	curl_easy_cleanup(e);
	loop_free(lp);
	unlink(path);
	free(path);
	free(url);
	buf_release(&x.body);
}

static struct loop *sig_loop;
static void on_alarm(int sig)
{
	loop_stop(sig_loop);
}

static void loop__stop_from_a_signal_handler(void **state)
{
	struct loop *lp;
	struct log l = { BUF_INIT, NULL, 0 };
	assert_int_equal(loop_new(&lp), 0);
	sig_loop = lp;
	loop_timer_add(lp, 600000, note_a, &l);   /* keeps the loop busy */
	signal(SIGALRM, on_alarm);
	alarm(1);
	assert_int_equal(loop_run(lp), 0);
	assert_string_equal(l.b.buf, "");
	signal(SIGALRM, SIG_DFL);
	loop_free(lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loop__timers_fire_in_deadline_order),
		cmocka_unit_test(loop__timer_added_by_timer_waits_for_next_iteration),
		cmocka_unit_test(loop__descriptor_callbacks_and_ticks),
		cmocka_unit_test(loop__reports_child_exit_status),
		cmocka_unit_test(loop__runs_curl_transfers),
		cmocka_unit_test(loop__stop_from_a_signal_handler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
