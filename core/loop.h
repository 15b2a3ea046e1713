/*
 * The main event loop: poll() over registered file descriptors, timers on
 * all clocks, and bottom halves (callbacks scheduled to run soon, from any
 * context, including other threads and signal-safe wake-ups).
 *
 * Threads: everything here belongs to the loop's thread (or to whoever holds
 * the lock serializing device code), except bh_schedule, bh_cancel and
 * main_loop_notify, which any thread and any signal handler may call.
 * Callbacks may add and remove fd handlers, bottom halves and timers,
 * including their own.
 */
#ifndef CORE_LOOP_H
#define CORE_LOOP_H

#include "core/common.h"
#include "core/timer.h"

typedef struct MainLoop MainLoop;
typedef struct BH BH;
typedef void (*FdHandler)(void *opaque);
typedef void (*BHCallback)(void *opaque);

MainLoop *main_loop_new(void);
/*
 * Delete bottom halves and timers before freeing the loop.  Bottom halves
 * still registered are freed with it; timers are left unarmed, never freed.
 */
void main_loop_free(MainLoop *loop);

Clock *main_loop_clock(MainLoop *loop, ClockType type);

/*
 * Watch fd.  read_cb runs when it is readable (or hung up), write_cb when
 * writable.  Passing both NULL removes the fd.  Re-registering replaces.
 * Remove the handler before closing the fd; a closed fd still watched is
 * dropped from the loop with a warning.
 */
void main_loop_set_fd_handler(MainLoop *loop, int fd, FdHandler read_cb, FdHandler write_cb,
                              void *opaque);

BH *bh_new(MainLoop *loop, BHCallback cb, void *opaque);
/* Run cb once at the next loop iteration.  Thread-safe and async-signal-safe. */
void bh_schedule(BH *bh);
void bh_cancel(BH *bh);
void bh_delete(BH *bh); /* NULL is ignored */

/*
 * One iteration: run due bottom halves and timers, then poll fds for at most
 * timeout_ns (-1: until the next timer deadline or an event; 0: don't block),
 * run ready fd handlers, due timers and bottom halves.
 */
void main_loop_wait(MainLoop *loop, int64_t timeout_ns);
/* Wake a main_loop_wait blocked in poll, from any thread or signal handler. */
void main_loop_notify(MainLoop *loop);
/*
 * Called right before and after the loop blocks in poll (NULL: nothing), so an
 * accelerator with vCPU threads can release the lock that serializes device
 * code while the loop sleeps.
 */
void main_loop_set_poll_hooks(MainLoop *loop, void (*before_poll)(void *opaque),
                              void (*after_poll)(void *opaque), void *opaque);

#endif
