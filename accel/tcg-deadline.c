/*
 * The deadline watcher: the DBT runs the vCPUs on the main thread, so while a
 * slice runs nobody runs timers.  Before each slice the accelerator tells the
 * watcher when the next CLOCK_VIRTUAL timer is due; a helper thread sleeps
 * until then and kicks the vCPUs, so device timers (PIT, APIC, HPET, RTC)
 * fire on time however long the slice would otherwise be.  Guests that count
 * timer ticks against the TSC (Linux's check_timer, delay calibration) need
 * that.
 */
#include "accel/tcg-deadline.h"

#include <pthread.h>
#include <time.h>

/*
 * The exec loop arms the watcher before every slice (hundreds of times a
 * second) and nearly always with the deadline the watcher already sleeps
 * until: the next timer has not changed.  Waking the watcher each time cost a
 * futex call and a thread switch per slice, and on a busy host each wake-up
 * waited in the run queue and could preempt the vCPU thread.  So arming only
 * publishes the deadline; the watcher is signalled only when the new deadline
 * is earlier than the one it sleeps until.  Waking at a stale, earlier-looking
 * time is harmless: it re-reads the deadline and sleeps again.
 *
 * No wake-up is lost: arming stores the deadline and then reads sleep_until;
 * the watcher stores sleep_until and then reads the deadline again before it
 * waits (both sequentially consistent), so one of them sees the other.  The
 * watcher holds the lock from that second read until it waits, and a signal
 * is sent under the lock, so it cannot fall between the two.
 */
#define SLEEP_FOREVER INT64_MAX

struct DeadlineWatcher {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t deadline;    /* atomic: host monotonic ns, or -1: nothing to watch */
    int64_t sleep_until; /* atomic: what the watcher waits for, or SLEEP_FOREVER */
    bool quit;           /* under lock */
    void (*kick)(void *opaque);
    void *opaque;
};

static void *watcher_main(void *arg)
{
    DeadlineWatcher *w = arg;

    pthread_mutex_lock(&w->lock);
    while (!w->quit) {
        int64_t deadline = __atomic_load_n(&w->deadline, __ATOMIC_SEQ_CST);
        if (deadline >= 0 && host_clock_monotonic_ns() >= deadline) {
            /* Only the deadline that expired: a newer one set meanwhile stays armed. */
            if (__atomic_compare_exchange_n(&w->deadline, &deadline, -1, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
                w->kick(w->opaque);
            }
            continue;
        }
        int64_t until = deadline < 0 ? SLEEP_FOREVER : deadline;
        __atomic_store_n(&w->sleep_until, until, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&w->deadline, __ATOMIC_SEQ_CST) != deadline) {
            continue; /* armed meanwhile, maybe without a signal: look again */
        }
        if (until == SLEEP_FOREVER) {
            pthread_cond_wait(&w->cond, &w->lock);
        } else {
            struct timespec ts = {
                .tv_sec = until / NANOSECONDS_PER_SECOND,
                .tv_nsec = until % NANOSECONDS_PER_SECOND,
            };
            pthread_cond_timedwait(&w->cond, &w->lock, &ts);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

DeadlineWatcher *deadline_watcher_new(void (*kick)(void *opaque), void *opaque)
{
    DeadlineWatcher *w = XNEW(DeadlineWatcher);
    pthread_condattr_t attr;

    w->deadline = -1;
    w->sleep_until = SLEEP_FOREVER;
    w->kick = kick;
    w->opaque = opaque;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&attr);
    /* host_clock_monotonic_ns() is CLOCK_MONOTONIC: wait on the same clock. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&w->thread, NULL, watcher_main, w)) {
        fprintf(stderr, "osprey: tcg: cannot start the deadline thread\n");
        abort();
    }
    return w;
}

void deadline_watcher_arm(DeadlineWatcher *w, int64_t in_ns)
{
    int64_t deadline = in_ns < 0 ? -1 : host_clock_monotonic_ns() + in_ns;

    __atomic_store_n(&w->deadline, deadline, __ATOMIC_SEQ_CST);
    if (deadline >= 0 && deadline < __atomic_load_n(&w->sleep_until, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&w->lock);
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
    }
}

void deadline_watcher_disarm(DeadlineWatcher *w)
{
    /* The watcher may wake once more at the old deadline; it then sleeps for good. */
    __atomic_store_n(&w->deadline, -1, __ATOMIC_SEQ_CST);
}

void deadline_watcher_free(DeadlineWatcher *w)
{
    if (!w) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
