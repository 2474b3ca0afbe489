#ifndef SKILLSMITH_LOOP_H
#define SKILLSMITH_LOOP_H
/*
 * The one event loop of the engine (after redis's ae): curl transfers,
 * file descriptors (child-process pipes, the keyboard), child exits,
 * timers, and tick hooks that run once per iteration before the loop
 * sleeps (the dashboard redraws there).  Single-threaded: every callback
 * runs on the thread that calls loop_run()/loop_run_once().
 *
 * How it works: one curl multi handle driven with curl_multi_socket_action().
 * curl tells us its sockets (CURLMOPT_SOCKETFUNCTION) and its next timeout
 * (CURLMOPT_TIMERFUNCTION); each iteration builds one poll() set from curl's
 * sockets, the registered descriptors and a wake-up pipe, sleeps until the
 * nearest of our timers or curl's timeout, then hands ready curl sockets to
 * curl, runs ready descriptor callbacks, expired timers, finished transfers
 * and finally the tick hooks.  Because every transfer shares the one multi
 * handle, connections (and TLS sessions) are reused between requests.
 *
 * Callbacks may add and remove anything (including themselves) at any time.
 */
#include <stdint.h>
#include <sys/types.h>
#include <curl/curl.h>

struct loop;

/* Event bits of loop_fd_add(). */
#define LOOP_READ  1
#define LOOP_WRITE 2
#define LOOP_ERROR 4   /* reported only: POLLERR / POLLHUP / POLLNVAL; a hang-up
			  is also reported as LOOP_READ to readers (read() sees EOF) */

typedef void (*loop_fd_fn)(int fd, int events, void *payload);
typedef void (*loop_timer_fn)(void *payload);
typedef void (*loop_tick_fn)(void *payload);
/* `result` is the transfer's CURLcode; the easy handle is already removed
 * from the multi handle and belongs to the caller again. */
typedef void (*loop_curl_fn)(CURL *easy, CURLcode result, void *payload);
/* `status` is the wait status from waitpid(). */
typedef void (*loop_child_fn)(pid_t pid, int status, void *payload);

/* Make a loop (and its multi handle).  Returns 0 or < 0 with a message. */
int loop_new(struct loop **out);
/* Free the loop; transfers still running are removed without callbacks. */
void loop_free(struct loop *lp);

/* The multi handle, for options such as CURLMOPT_MAX_HOST_CONNECTIONS. */
CURLM *loop_multi(struct loop *lp);

/*
 * Start a transfer.  The loop takes CURLOPT_PRIVATE of `easy` for itself.
 * `done` runs once, from the loop, when the transfer ends.
 */
int loop_curl_add(struct loop *lp, CURL *easy, loop_curl_fn done, void *payload);
/* Abort a transfer without running its callback; the handle is the caller's. */
void loop_curl_remove(struct loop *lp, CURL *easy);

/*
 * Watch a descriptor for LOOP_READ and/or LOOP_WRITE.  One registration per
 * descriptor: adding it again replaces the callback and events.
 */
int loop_fd_add(struct loop *lp, int fd, int events, loop_fd_fn fn, void *payload);
void loop_fd_del(struct loop *lp, int fd);

/*
 * Run `fn` once, `delay_ms` from now (0: in the next iteration, never
 * inside this call).  Returns a timer id (> 0) for loop_timer_cancel().
 */
uint64_t loop_timer_add(struct loop *lp, int64_t delay_ms, loop_timer_fn fn, void *payload);
/* Cancel a timer that has not fired; unknown ids are ignored. */
void loop_timer_cancel(struct loop *lp, uint64_t id);

/*
 * Run `fn` at the end of every iteration, before the loop sleeps.
 * Returns an id for loop_tick_del().  Ticks do not keep the loop busy.
 */
uint64_t loop_tick_add(struct loop *lp, loop_tick_fn fn, void *payload);
void loop_tick_del(struct loop *lp, uint64_t id);

/*
 * Call `fn` when child `pid` exits (a pidfd watched like any descriptor;
 * the child is reaped by the loop).  Returns 0 or < 0 with a message.
 */
int loop_child_add(struct loop *lp, pid_t pid, loop_child_fn fn, void *payload);

/*
 * One iteration: wait at most `max_wait_ms` (-1: until something happens,
 * 0: do not sleep) and dispatch what is ready.  Returns the number of
 * callbacks run, or < 0 on a poll failure.
 */
int loop_run_once(struct loop *lp, int max_wait_ms);
/* Iterate until loop_stop() or until nothing is registered (see loop_busy). */
int loop_run(struct loop *lp);
/* Make loop_run() return after the current iteration.  Async-signal-safe. */
void loop_stop(struct loop *lp);
/* Interrupt a sleeping poll() from a signal handler or another thread. */
void loop_wakeup(struct loop *lp);
/* True while transfers, descriptors, children or timers are registered. */
int loop_busy(struct loop *lp);

#endif
