/*
 * Clocks and timers.
 *
 * CLOCK_VIRTUAL is guest time: it runs only while the VM runs, and under
 * -accel qtest it moves only when the test says clock_step.  CLOCK_REALTIME
 * is host monotonic time and always runs (UI refresh, timeouts).
 * CLOCK_HOST is host wall-clock time (the RTC's source of truth).
 *
 * Timers belong to one clock; the main loop sleeps until the earliest
 * deadline over all clocks and then runs expired timers in deadline order.
 */
#ifndef CORE_TIMER_H
#define CORE_TIMER_H

#include "core/common.h"

typedef enum ClockType {
    CLOCK_VIRTUAL,
    CLOCK_REALTIME,
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
 * Virtual clock control.  While disabled (VM stopped) the virtual clock
 * stands still.  In manual mode (qtest) it only moves with clock_step.
 */
void clock_set_enabled(Clock *clock, bool enabled);
void clock_set_manual(Clock *clock, bool manual);
/* Advance a manual clock by ns, running each timer at its own deadline. */
void clock_step(Clock *clock, int64_t ns);
/* Earliest pending deadline on this clock in its own time, or -1 if none. */
int64_t clock_deadline_ns(Clock *clock);
/* Run expired timers of this clock; returns true if any ran. */
bool clock_run_timers(Clock *clock);

Timer *timer_new(Clock *clock, TimerCallback cb, void *opaque);
void timer_free(Timer *t);
/* Arm (or re-arm) the timer to fire when the clock reaches expire_ns. */
void timer_mod(Timer *t, int64_t expire_ns);
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
int64_t timer_expire_time(const Timer *t); /* -1 when not pending */

#endif
