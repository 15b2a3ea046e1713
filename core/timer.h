/*
 * Clocks and timers.
 *
 * CLOCK_VIRTUAL is guest time: it runs only while the VM runs, and under
 * -accel qtest it moves only when the test says clock_step.  A new virtual
 * clock reads 0 and is disabled: the machine enables it when the VM starts.
 * CLOCK_REAL is host monotonic time and always runs (UI refresh, timeouts);
 * it is QEMU's QEMU_CLOCK_REALTIME, renamed because <time.h> defines
 * CLOCK_REALTIME as a macro.  CLOCK_HOST is host wall-clock time (the RTC's
 * source of truth).
 *
 * Timers belong to one clock; the main loop sleeps until the earliest
 * deadline over all clocks and then runs expired timers in deadline order
 * (timers with equal deadlines run in the order they were armed).  A callback
 * may re-arm its own timer and may arm, delete or free any timer, its own
 * included.
 *
 * Threads: clocks and timers belong to the main loop's thread (or to whoever
 * holds the lock that serializes device code).  Reading CLOCK_REAL or
 * CLOCK_HOST is safe anywhere; reading CLOCK_VIRTUAL while another thread
 * enables or disables it is not.  Arming a timer from another thread (with
 * that lock held) wakes a loop sleeping in poll.
 */
#ifndef CORE_TIMER_H
#define CORE_TIMER_H

#include "core/common.h"

typedef enum ClockType {
    CLOCK_VIRTUAL,
    CLOCK_REAL,
    CLOCK_HOST,
    CLOCK_MAX,
} ClockType;

typedef struct Clock Clock;
typedef struct Timer Timer;
typedef void (*TimerCallback)(void *opaque);

#define NANOSECONDS_PER_SECOND 1000000000LL

int64_t clock_get_ns(Clock *clock);
ClockType clock_type(const Clock *clock);

/*
 * Virtual clock control (no effect on the other clocks).  While disabled (VM
 * stopped) the virtual clock stands still and its timers do not run.  In
 * manual mode (qtest) it only moves with clock_step, enabled or not; the main
 * loop still runs timers that are already due, but never sleeps for one.
 */
void clock_set_enabled(Clock *clock, bool enabled);
void clock_set_manual(Clock *clock, bool manual);
/*
 * Advance a manual clock by ns, running each timer at its own deadline: while
 * a callback runs, clock_get_ns reads that timer's deadline, and timers it arms
 * inside the step run too, in order.  The clock ends at the old time + ns.
 */
void clock_step(Clock *clock, int64_t ns);
/* Earliest pending deadline on this clock in its own time, or -1 if none. */
int64_t clock_deadline_ns(Clock *clock);
/* Run expired timers of this clock; returns true if any ran. */
bool clock_run_timers(Clock *clock);

/*
 * For the main loop, which owns the clocks.  wake is called (from whichever
 * thread armed the timer) when a timer becomes the clock's earliest, so a
 * sleeping loop can shorten its sleep.
 */
Clock *clock_new(ClockType type, void (*wake)(void *opaque), void *opaque);
/* Pending timers are detached (left unarmed), never freed: their owners free them. */
void clock_free(Clock *clock);
/*
 * How long the loop may sleep before this clock has a timer to run, in real
 * nanoseconds: 0 if one is due, -1 if none will be (no timers, a stopped
 * virtual clock, or a manual one whose timers all lie in the future).
 */
int64_t clock_sleep_ns(Clock *clock);

Timer *timer_new(Clock *clock, TimerCallback cb, void *opaque);
void timer_free(Timer *t);
/* Arm (or re-arm) the timer to fire when the clock reaches expire_ns (negative: 0). */
void timer_mod(Timer *t, int64_t expire_ns);
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
int64_t timer_expire_time(const Timer *t); /* -1 when not pending */

#endif
