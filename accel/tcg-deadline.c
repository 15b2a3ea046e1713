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

struct DeadlineWatcher {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t deadline; /* host monotonic ns, or -1: nothing to watch */
    int64_t sleeping_until; /* what the thread's current wait ends at (INT64_MAX: untimed) */
    bool quit;
    void (*kick)(void *opaque);
    void *opaque;
};

static void *watcher_main(void *arg)
{
    DeadlineWatcher *w = arg;

    pthread_mutex_lock(&w->lock);
    while (!w->quit) {
        if (w->deadline < 0) {
            w->sleeping_until = INT64_MAX;
            pthread_cond_wait(&w->cond, &w->lock);
            continue;
        }
        int64_t now = host_clock_monotonic_ns();
        if (now >= w->deadline) {
            w->deadline = -1;
            w->kick(w->opaque);
            continue;
        }
        struct timespec ts = {
            .tv_sec = w->deadline / NANOSECONDS_PER_SECOND,
            .tv_nsec = w->deadline % NANOSECONDS_PER_SECOND,
        };
        w->sleeping_until = w->deadline;
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    w->sleeping_until = -1;
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

DeadlineWatcher *deadline_watcher_new(void (*kick)(void *opaque), void *opaque)
{
    DeadlineWatcher *w = XNEW(DeadlineWatcher);
    pthread_condattr_t attr;

    w->deadline = -1;
    w->sleeping_until = 0; /* not waiting yet: the first arm signals */
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
    pthread_mutex_lock(&w->lock);
    w->deadline = in_ns < 0 ? -1 : host_clock_monotonic_ns() + in_ns;
    /*
     * Wake the thread only when it would sleep past the new deadline.  A slice ends per
     * guest network frame, and waking it for every slice cost two context switches each;
     * when the deadline is later (or gone) the thread wakes at the old one and looks again.
     */
    if (w->deadline >= 0 && w->deadline < w->sleeping_until) {
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
}

void deadline_watcher_disarm(DeadlineWatcher *w)
{
    pthread_mutex_lock(&w->lock);
    w->deadline = -1;
    pthread_mutex_unlock(&w->lock);
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
