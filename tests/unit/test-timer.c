/* Clocks and timers: ordering, re-arming, the virtual clock's run states, clock_step. */
#include "core/loop.h"
#include "tests/unit/test.h"

#include <time.h>

#define MS (1000 * 1000LL)

/* A record of which timer fired, and what its clock read at that moment. */
typedef struct Log {
    int who[32];
    int64_t when[32];
    int n;
} Log;

typedef struct Probe {
    Log *log;
    int id;
    Timer *timer;
    Clock *clock;
    int64_t rearm_period; /* > 0: re-arm this far after the current deadline */
    int rearm_left;
    Timer *victim;        /* deleted when this one fires */
    bool free_self;
} Probe;

static void probe_cb(void *opaque)
{
    Probe *p = opaque;
    Log *log = p->log;
    if (log->n < 32) {
        log->who[log->n] = p->id;
        log->when[log->n] = clock_get_ns(p->clock);
        log->n++;
    }
    if (p->victim) {
        timer_del(p->victim);
    }
    if (p->rearm_left > 0) {
        p->rearm_left--;
        timer_mod(p->timer, clock_get_ns(p->clock) + p->rearm_period);
    }
    if (p->free_self) {
        timer_free(p->timer);
        p->timer = NULL;
    }
}

static void probe_init(Probe *p, Log *log, int id, Clock *clock)
{
    *p = (Probe){.log = log, .id = id, .clock = clock};
    p->timer = timer_new(clock, probe_cb, p);
}

static MainLoop *manual_loop(Clock **vclock)
{
    MainLoop *loop = main_loop_new();
    *vclock = main_loop_clock(loop, CLOCK_VIRTUAL);
    clock_set_manual(*vclock, true);
    return loop;
}

static void test_order_by_deadline(void)
{
    Clock *vc;
    MainLoop *loop = manual_loop(&vc);
    Log log = {0};
    Probe p[4];
    /* Armed out of order; 2 and 3 share a deadline and must keep arming order. */
    int64_t deadlines[4] = {300, 100, 200, 200};
    for (int i = 0; i < 4; i++) {
        probe_init(&p[i], &log, i, vc);
        timer_mod(p[i].timer, deadlines[i]);
    }
    CHECK_EQ(clock_deadline_ns(vc), 100);
    CHECK(timer_pending(p[0].timer));
    CHECK_EQ(timer_expire_time(p[0].timer), 300);
    clock_step(vc, 1000);
    CHECK_EQ(log.n, 4);
    CHECK_EQ(log.who[0], 1);
    CHECK_EQ(log.who[1], 2);
    CHECK_EQ(log.who[2], 3);
    CHECK_EQ(log.who[3], 0);
    CHECK(!timer_pending(p[0].timer));
    CHECK_EQ(timer_expire_time(p[0].timer), -1);
    CHECK_EQ(clock_deadline_ns(vc), -1);
    for (int i = 0; i < 4; i++) {
        timer_free(p[i].timer);
    }
    main_loop_free(loop);
}

static void test_step_runs_at_deadlines(void)
{
    Clock *vc;
    MainLoop *loop = manual_loop(&vc);
    Log log = {0};
    Probe a, b;
    probe_init(&a, &log, 1, vc);
    probe_init(&b, &log, 2, vc);
    /* a re-arms itself every 30 ns, three times; b fires once at 50. */
    a.rearm_period = 30;
    a.rearm_left = 3;
    timer_mod(a.timer, 10);
    timer_mod(b.timer, 50);
    clock_step(vc, 100);
    /* a: 10, 40, 70, 100 (re-armed at 100 ends the step inclusive); b: 50. */
    CHECK_EQ(log.n, 5);
    CHECK_EQ(log.who[0], 1);
    CHECK_EQ(log.when[0], 10);
    CHECK_EQ(log.who[1], 1);
    CHECK_EQ(log.when[1], 40);
    CHECK_EQ(log.who[2], 2);
    CHECK_EQ(log.when[2], 50);
    CHECK_EQ(log.who[3], 1);
    CHECK_EQ(log.when[3], 70);
    CHECK_EQ(log.who[4], 1);
    CHECK_EQ(log.when[4], 100);
    CHECK_EQ(clock_get_ns(vc), 100);
    CHECK(!timer_pending(a.timer));

    /* A timer past the step stays pending and the clock ends exactly at the target. */
    timer_mod(b.timer, 1000);
    clock_step(vc, 400);
    CHECK_EQ(clock_get_ns(vc), 500);
    CHECK(timer_pending(b.timer));
    CHECK_EQ(log.n, 5);
    clock_step(vc, 500);
    CHECK_EQ(log.n, 6);
    CHECK_EQ(log.when[5], 1000);

    /* Armed in the past: runs at the current time, never moving the clock back. */
    timer_mod(b.timer, 3);
    clock_step(vc, 0);
    CHECK_EQ(log.n, 7);
    CHECK_EQ(log.when[6], 1000);
    timer_free(a.timer);
    timer_free(b.timer);
    main_loop_free(loop);
}

static void test_delete_from_callback(void)
{
    Clock *vc;
    MainLoop *loop = manual_loop(&vc);
    Log log = {0};
    Probe a, b, c;
    probe_init(&a, &log, 1, vc);
    probe_init(&b, &log, 2, vc);
    probe_init(&c, &log, 3, vc);
    a.victim = b.timer; /* due at the same time as a, after it: must not run */
    c.free_self = true;
    timer_mod(a.timer, 10);
    timer_mod(b.timer, 10);
    timer_mod(c.timer, 20);
    clock_step(vc, 30);
    CHECK_EQ(log.n, 2);
    CHECK_EQ(log.who[0], 1);
    CHECK_EQ(log.who[1], 3);
    CHECK(!timer_pending(b.timer));
    CHECK(c.timer == NULL);
    /* timer_del and re-arm of a deleted timer */
    timer_mod(b.timer, 100);
    timer_del(b.timer);
    timer_del(b.timer);
    clock_step(vc, 200);
    CHECK_EQ(log.n, 2);
    timer_free(a.timer);
    timer_free(b.timer);
    main_loop_free(loop);
}

static void test_virtual_clock_enable(void)
{
    MainLoop *loop = main_loop_new();
    Clock *vc = main_loop_clock(loop, CLOCK_VIRTUAL);
    CHECK_EQ(clock_type(vc), CLOCK_VIRTUAL);
    /* A new virtual clock stands at 0 until the VM starts. */
    CHECK_EQ(clock_get_ns(vc), 0);
    struct timespec d = {0, 20 * MS};
    nanosleep(&d, NULL);
    CHECK_EQ(clock_get_ns(vc), 0);

    clock_set_enabled(vc, true);
    nanosleep(&d, NULL);
    int64_t t1 = clock_get_ns(vc);
    CHECK(t1 >= 20 * MS);
    CHECK(t1 < 2000 * MS);

    clock_set_enabled(vc, false);
    int64_t t2 = clock_get_ns(vc);
    CHECK(t2 >= t1);
    nanosleep(&d, NULL);
    CHECK_EQ(clock_get_ns(vc), t2);

    /* Timers of a stopped virtual clock neither run nor shorten the sleep. */
    Log log = {0};
    Probe p;
    probe_init(&p, &log, 1, vc);
    timer_mod(p.timer, t2 - 1);
    CHECK(!clock_run_timers(vc));
    CHECK_EQ(clock_sleep_ns(vc), -1);
    int64_t start = host_clock_monotonic_ns();
    main_loop_wait(loop, 10 * MS);
    CHECK(host_clock_monotonic_ns() - start >= 9 * MS);
    CHECK_EQ(log.n, 0);

    /* Restarting continues from where it stopped, and the due timer then runs. */
    clock_set_enabled(vc, true);
    CHECK(clock_get_ns(vc) >= t2);
    CHECK(clock_get_ns(vc) < t2 + 1000 * MS);
    main_loop_wait(loop, 0);
    CHECK_EQ(log.n, 1);
    timer_free(p.timer);
    main_loop_free(loop);
}

static void test_manual_clock_does_not_wake_poll(void)
{
    Clock *vc;
    MainLoop *loop = manual_loop(&vc);
    clock_set_enabled(vc, true);
    Log log = {0};
    Probe p;
    probe_init(&p, &log, 1, vc);
    timer_mod(p.timer, 1000);
    CHECK_EQ(clock_sleep_ns(vc), -1);
    int64_t start = host_clock_monotonic_ns();
    main_loop_wait(loop, 30 * MS);
    CHECK(host_clock_monotonic_ns() - start >= 29 * MS);
    CHECK_EQ(log.n, 0);
    CHECK_EQ(clock_get_ns(vc), 0);

    /* A due timer on a manual clock runs from the loop without time moving. */
    timer_mod(p.timer, 0);
    CHECK_EQ(clock_sleep_ns(vc), 0);
    main_loop_wait(loop, 0);
    CHECK_EQ(log.n, 1);
    CHECK_EQ(log.when[0], 0);
    timer_free(p.timer);
    main_loop_free(loop);
}

static void test_realtime_timer_wakes_loop(void)
{
    MainLoop *loop = main_loop_new();
    Clock *rc = main_loop_clock(loop, CLOCK_REAL);
    Log log = {0};
    Probe early, late;
    probe_init(&early, &log, 1, rc);
    probe_init(&late, &log, 2, rc);
    int64_t now = clock_get_ns(rc);
    timer_mod(late.timer, now + 40 * MS);
    timer_mod(early.timer, now + 20 * MS);
    int64_t start = host_clock_monotonic_ns();
    /* No caller timeout: the earliest deadline alone bounds the sleep. */
    while (log.n < 2 && host_clock_monotonic_ns() - start < 2000 * MS) {
        main_loop_wait(loop, -1);
    }
    int64_t elapsed = host_clock_monotonic_ns() - start;
    CHECK_EQ(log.n, 2);
    CHECK_EQ(log.who[0], 1);
    CHECK_EQ(log.who[1], 2);
    CHECK(log.when[0] >= now + 20 * MS);
    CHECK(log.when[1] >= now + 40 * MS);
    CHECK(elapsed >= 39 * MS);
    CHECK(elapsed < 1000 * MS);

    /* The caller's timeout wins when it is shorter than the next deadline. */
    timer_mod(early.timer, clock_get_ns(rc) + 5000 * MS);
    start = host_clock_monotonic_ns();
    main_loop_wait(loop, 10 * MS);
    elapsed = host_clock_monotonic_ns() - start;
    CHECK(elapsed >= 9 * MS);
    CHECK(elapsed < 1000 * MS);
    CHECK_EQ(log.n, 2);
    timer_free(early.timer);
    timer_free(late.timer);
    main_loop_free(loop);
}

static void test_host_clock(void)
{
    MainLoop *loop = main_loop_new();
    Clock *hc = main_loop_clock(loop, CLOCK_HOST);
    int64_t wall = (int64_t)time(NULL) * NANOSECONDS_PER_SECOND;
    int64_t t = clock_get_ns(hc);
    CHECK(t > wall - 5 * NANOSECONDS_PER_SECOND);
    CHECK(t < wall + 5 * NANOSECONDS_PER_SECOND);
    Log log = {0};
    Probe p;
    probe_init(&p, &log, 1, hc);
    timer_mod(p.timer, clock_get_ns(hc) + 5 * MS);
    int64_t start = host_clock_monotonic_ns();
    while (log.n < 1 && host_clock_monotonic_ns() - start < 2000 * MS) {
        main_loop_wait(loop, -1);
    }
    CHECK_EQ(log.n, 1);
    timer_free(p.timer);
    main_loop_free(loop);
}

static void test_timers_outlive_loop(void)
{
    MainLoop *loop = main_loop_new();
    Clock *rc = main_loop_clock(loop, CLOCK_REAL);
    Log log = {0};
    Probe p;
    probe_init(&p, &log, 1, rc);
    timer_mod(p.timer, clock_get_ns(rc) + 1000 * MS);
    main_loop_free(loop);
    /* Detached, not freed: the owner's later timer_free must still be safe. */
    CHECK(!timer_pending(p.timer));
    timer_free(p.timer);
}

int main(void)
{
    test_run("timer-order-by-deadline", test_order_by_deadline);
    test_run("timer-step-runs-at-deadlines", test_step_runs_at_deadlines);
    test_run("timer-delete-from-callback", test_delete_from_callback);
    test_run("timer-virtual-clock-enable", test_virtual_clock_enable);
    test_run("timer-manual-clock-does-not-wake-poll", test_manual_clock_does_not_wake_poll);
    test_run("timer-realtime-wakes-loop", test_realtime_timer_wakes_loop);
    test_run("timer-host-clock", test_host_clock);
    test_run("timer-outlive-loop", test_timers_outlive_loop);
    return test_summary();
}
