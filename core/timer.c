/*
 * Clocks and timers.  Each clock keeps its armed timers in one list sorted by
 * deadline; the lists are short (a few dozen timers per machine), and a
 * sorted list makes "the earliest deadline" a pointer read and keeps the
 * firing order stable for equal deadlines.
 */
#include "core/timer.h"

struct Timer {
    Clock *clock;
    TimerCallback cb;
    void *opaque;
    int64_t expire; /* -1 when not pending */
    Timer *next;    /* in clock->active */
};

struct Clock {
    ClockType type;
    bool enabled; /* virtual only */
    bool manual;  /* virtual only */
    /* Virtual time is host monotonic time + offset while running, else frozen. */
    int64_t offset;
    int64_t frozen;
    Timer *active;
    void (*wake)(void *opaque);
    void *wake_opaque;
};

Clock *clock_new(ClockType type, void (*wake)(void *opaque), void *opaque)
{
    Clock *clock = XNEW(Clock);
    clock->type = type;
    clock->wake = wake;
    clock->wake_opaque = opaque;
    return clock;
}

void clock_free(Clock *clock)
{
    if (!clock) {
        return;
    }
    /* Leave the owners' timers unarmed and unlinked, so timer_del/free still work. */
    while (clock->active) {
        Timer *t = clock->active;
        clock->active = t->next;
        t->next = NULL;
        t->expire = -1;
        t->clock = NULL;
    }
    free(clock);
}

ClockType clock_type(const Clock *clock)
{
    return clock->type;
}

static bool clock_is_virtual(const Clock *clock)
{
    return clock->type == CLOCK_VIRTUAL;
}

int64_t clock_get_ns(Clock *clock)
{
    switch (clock->type) {
    case CLOCK_VIRTUAL:
        if (clock->manual || !clock->enabled) {
            return clock->frozen;
        }
        return host_clock_monotonic_ns() + clock->offset;
    case CLOCK_HOST:
        return host_clock_realtime_ns();
    case CLOCK_REAL:
    default:
        return host_clock_monotonic_ns();
    }
}

void clock_set_enabled(Clock *clock, bool enabled)
{
    if (!clock_is_virtual(clock) || clock->enabled == enabled) {
        return;
    }
    if (!clock->manual) {
        if (enabled) {
            /* Carry on from where it stopped, so guest time never jumps. */
            clock->offset = clock->frozen - host_clock_monotonic_ns();
        } else {
            clock->frozen = clock_get_ns(clock);
        }
    }
    clock->enabled = enabled;
    if (enabled && clock->active && clock->wake) {
        clock->wake(clock->wake_opaque);
    }
}

void clock_set_manual(Clock *clock, bool manual)
{
    if (!clock_is_virtual(clock) || clock->manual == manual) {
        return;
    }
    if (manual) {
        clock->frozen = clock_get_ns(clock);
    } else if (clock->enabled) {
        clock->offset = clock->frozen - host_clock_monotonic_ns();
    }
    clock->manual = manual;
}

/* Timers of a stopped virtual clock wait for it to start again. */
static bool clock_timers_may_run(const Clock *clock)
{
    return !clock_is_virtual(clock) || clock->manual || clock->enabled;
}

int64_t clock_deadline_ns(Clock *clock)
{
    return clock->active ? clock->active->expire : -1;
}

int64_t clock_sleep_ns(Clock *clock)
{
    if (!clock->active || !clock_timers_may_run(clock)) {
        return -1;
    }
    int64_t delta = clock->active->expire - clock_get_ns(clock);
    if (delta <= 0) {
        return 0;
    }
    /* A manual clock moves only by clock_step: waiting would not bring its timers. */
    return clock->manual ? -1 : delta;
}

/* Unlink and disarm the earliest timer if it is due at 'now'. */
static Timer *clock_pop_due(Clock *clock, int64_t now)
{
    Timer *t = clock->active;
    if (!t || t->expire > now) {
        return NULL;
    }
    clock->active = t->next;
    t->next = NULL;
    t->expire = -1;
    return t;
}

bool clock_run_timers(Clock *clock)
{
    if (!clock_timers_may_run(clock)) {
        return false;
    }
    /*
     * Read the time once: a timer re-armed for "now + period" must wait for the
     * next pass, or a slow callback on the real-time clock could run forever.
     * The head is re-read after each callback, which may have changed the list.
     */
    int64_t now = clock_get_ns(clock);
    bool ran = false;
    Timer *t;
    while ((t = clock_pop_due(clock, now))) {
        t->cb(t->opaque);
        ran = true;
    }
    return ran;
}

void clock_step(Clock *clock, int64_t ns)
{
    if (!clock_is_virtual(clock) || !clock->manual) {
        warn_report("clock_step on a clock that is not a manual virtual clock; ignored");
        return;
    }
    if (ns < 0) {
        ns = 0;
    }
    int64_t target = clock->frozen > INT64_MAX - ns ? INT64_MAX : clock->frozen + ns;
    while (clock->active && clock->active->expire <= target) {
        /* A timer armed in the past runs now; time never goes backwards. */
        if (clock->active->expire > clock->frozen) {
            clock->frozen = clock->active->expire;
        }
        Timer *t = clock_pop_due(clock, clock->frozen);
        t->cb(t->opaque);
    }
    clock->frozen = target;
}

Timer *timer_new(Clock *clock, TimerCallback cb, void *opaque)
{
    Timer *t = XNEW(Timer);
    t->clock = clock;
    t->cb = cb;
    t->opaque = opaque;
    t->expire = -1;
    return t;
}

void timer_free(Timer *t)
{
    if (!t) {
        return;
    }
    timer_del(t);
    free(t);
}

void timer_del(Timer *t)
{
    if (t->expire < 0 || !t->clock) {
        return;
    }
    for (Timer **p = &t->clock->active; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->next = NULL;
    t->expire = -1;
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    Clock *clock = t->clock;
    if (!clock) {
        return;
    }
    timer_del(t);
    t->expire = expire_ns < 0 ? 0 : expire_ns;
    /* After every timer with the same deadline: equal deadlines fire in arming order. */
    Timer **p = &clock->active;
    while (*p && (*p)->expire <= t->expire) {
        p = &(*p)->next;
    }
    t->next = *p;
    *p = t;
    if (clock->active == t && clock->wake) {
        clock->wake(clock->wake_opaque);
    }
}

bool timer_pending(const Timer *t)
{
    return t->expire >= 0;
}

int64_t timer_expire_time(const Timer *t)
{
    return t->expire;
}
