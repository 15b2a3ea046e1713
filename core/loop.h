/*
 * The main event loop: poll() over registered file descriptors, timers on
 * all clocks, and bottom halves (callbacks scheduled to run soon, from any
 * context, including other threads and signal-safe wake-ups).
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
void main_loop_free(MainLoop *loop);

Clock *main_loop_clock(MainLoop *loop, ClockType type);

/*
 * Watch fd.  read_cb runs when it is readable (or hung up), write_cb when
 * writable.  Passing both NULL removes the fd.  Re-registering replaces.
 */
void main_loop_set_fd_handler(MainLoop *loop, int fd, FdHandler read_cb, FdHandler write_cb,
                              void *opaque);

BH *bh_new(MainLoop *loop, BHCallback cb, void *opaque);
/* Run cb once at the next loop iteration.  Thread-safe. */
void bh_schedule(BH *bh);
void bh_cancel(BH *bh);
void bh_delete(BH *bh);

/*
 * One iteration: run due bottom halves and timers, then poll fds for at most
 * timeout_ns (-1: until the next timer deadline or an event; 0: don't block),
 * run ready fd handlers, due timers and bottom halves.
 */
void main_loop_wait(MainLoop *loop, int64_t timeout_ns);
/* Wake a main_loop_wait blocked in poll, from any thread or signal handler. */
void main_loop_notify(MainLoop *loop);

#endif
