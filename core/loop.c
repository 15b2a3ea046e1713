/*
 * The main event loop.  One iteration runs what is already due, sleeps in
 * ppoll() until an fd is ready, a timer is due or someone notifies, and then
 * runs what became due.
 *
 * Wake-ups from other threads and signal handlers go through one eventfd (a
 * pipe where eventfd is missing) that the loop always polls.  To keep the
 * loop's own bh_schedule and timer_mod calls from paying a system call each,
 * the loop publishes "I am (about to be) asleep" in in_poll, and those only
 * write the eventfd when it is set.  The loop sets in_poll before its last
 * look at pending work and the scheduler publishes its work before reading
 * in_poll (both sequentially consistent), so at least one of them sees the
 * other: no wake-up is lost.
 *
 * Handler and bottom-half lists may change under the callbacks that walk
 * them.  Removal during a walk only marks the entry; the outermost walk frees
 * marked entries when it ends, so no walk ever follows a freed pointer.
 */
#include "core/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

typedef struct FdWatch {
    int fd;
    FdHandler read_cb;
    FdHandler write_cb;
    void *opaque;
    bool deleted;
    struct FdWatch *next;
} FdWatch;

struct BH {
    MainLoop *loop;
    BHCallback cb;
    void *opaque;
    int scheduled; /* atomic */
    bool deleted;
    BH *next;
};

struct MainLoop {
    Clock *clocks[CLOCK_MAX];

    FdWatch *watches;
    int nr_watches;
    int walking_watches;
    bool watches_dirty;

    BH *bhs;
    int walking_bhs;
    bool bhs_dirty;

    int notify_rfd;
    int notify_wfd; /* == notify_rfd for an eventfd */
    int in_poll;    /* atomic */

    /* main_loop_set_poll_hooks: drop/retake the device lock around ppoll. */
    void (*before_poll)(void *opaque);
    void (*after_poll)(void *opaque);
    void *poll_hook_opaque;
};

/* Thread and signal handler wake-up. */

static void main_loop_wake_if_polling(void *opaque)
{
    MainLoop *loop = opaque;
    if (__atomic_load_n(&loop->in_poll, __ATOMIC_SEQ_CST)) {
        main_loop_notify(loop);
    }
}

void main_loop_notify(MainLoop *loop)
{
    /* write() is async-signal-safe; keep errno intact for an interrupted caller. */
    int saved_errno = errno;
    uint64_t one = 1;
    size_t len = loop->notify_wfd == loop->notify_rfd ? sizeof(one) : 1;
    if (write(loop->notify_wfd, &one, len) < 0) {
        /* EAGAIN: a wake-up is already pending, which is all we want. */
    }
    errno = saved_errno;
}

static void main_loop_drain_notify(MainLoop *loop)
{
    uint8_t buf[64];
    while (read(loop->notify_rfd, buf, sizeof(buf)) > 0) {
        if (loop->notify_wfd == loop->notify_rfd) {
            break; /* one read empties an eventfd */
        }
    }
}

static void main_loop_open_notifier(MainLoop *loop)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd >= 0) {
        loop->notify_rfd = loop->notify_wfd = fd;
        return;
    }
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
        error_report("main loop: cannot create a wake-up channel: %s", strerror(errno));
        abort();
    }
    loop->notify_rfd = fds[0];
    loop->notify_wfd = fds[1];
}

MainLoop *main_loop_new(void)
{
    MainLoop *loop = XNEW(MainLoop);
    main_loop_open_notifier(loop);
    for (int i = 0; i < CLOCK_MAX; i++) {
        loop->clocks[i] = clock_new((ClockType)i, main_loop_wake_if_polling, loop);
    }
    return loop;
}

void main_loop_free(MainLoop *loop)
{
    if (!loop) {
        return;
    }
    while (loop->watches) {
        FdWatch *w = loop->watches;
        loop->watches = w->next;
        free(w);
    }
    while (loop->bhs) {
        BH *bh = loop->bhs;
        loop->bhs = bh->next;
        free(bh);
    }
    for (int i = 0; i < CLOCK_MAX; i++) {
        clock_free(loop->clocks[i]);
    }
    close(loop->notify_rfd);
    if (loop->notify_wfd != loop->notify_rfd) {
        close(loop->notify_wfd);
    }
    free(loop);
}

Clock *main_loop_clock(MainLoop *loop, ClockType type)
{
    if ((unsigned)type >= CLOCK_MAX) {
        error_report("main loop: no clock of type %d", (int)type);
        abort();
    }
    return loop->clocks[type];
}

/* File descriptors. */

static void main_loop_sweep_watches(MainLoop *loop)
{
    if (loop->walking_watches || !loop->watches_dirty) {
        return;
    }
    FdWatch **p = &loop->watches;
    while (*p) {
        FdWatch *w = *p;
        if (w->deleted) {
            *p = w->next;
            free(w);
            loop->nr_watches--;
        } else {
            p = &w->next;
        }
    }
    loop->watches_dirty = false;
}

static void main_loop_remove_watch(MainLoop *loop, FdWatch *w)
{
    w->deleted = true;
    w->read_cb = w->write_cb = NULL;
    loop->watches_dirty = true;
    main_loop_sweep_watches(loop);
}

void main_loop_set_fd_handler(MainLoop *loop, int fd, FdHandler read_cb, FdHandler write_cb,
                              void *opaque)
{
    FdWatch *w;
    for (w = loop->watches; w; w = w->next) {
        if (w->fd == fd && !w->deleted) {
            break;
        }
    }
    if (!read_cb && !write_cb) {
        if (w) {
            main_loop_remove_watch(loop, w);
        }
        return;
    }
    if (!w) {
        /*
         * Appended, so an fd added by a callback is not seen by the walk in
         * progress: its pollfd slot did not exist when poll() ran.
         */
        FdWatch **p = &loop->watches;
        while (*p) {
            p = &(*p)->next;
        }
        w = XNEW(FdWatch);
        w->fd = fd;
        *p = w;
        loop->nr_watches++;
    }
    w->read_cb = read_cb;
    w->write_cb = write_cb;
    w->opaque = opaque;
}

/* Bottom halves. */

BH *bh_new(MainLoop *loop, BHCallback cb, void *opaque)
{
    BH *bh = XNEW(BH);
    bh->loop = loop;
    bh->cb = cb;
    bh->opaque = opaque;
    /* At the head: a walk in progress started further on and will not see it. */
    bh->next = loop->bhs;
    loop->bhs = bh;
    return bh;
}

void bh_schedule(BH *bh)
{
    if (__atomic_exchange_n(&bh->scheduled, 1, __ATOMIC_SEQ_CST) == 0) {
        main_loop_wake_if_polling(bh->loop);
    }
}

void bh_cancel(BH *bh)
{
    __atomic_store_n(&bh->scheduled, 0, __ATOMIC_SEQ_CST);
}

static void main_loop_sweep_bhs(MainLoop *loop)
{
    if (loop->walking_bhs || !loop->bhs_dirty) {
        return;
    }
    BH **p = &loop->bhs;
    while (*p) {
        BH *bh = *p;
        if (bh->deleted) {
            *p = bh->next;
            free(bh);
        } else {
            p = &bh->next;
        }
    }
    loop->bhs_dirty = false;
}

void bh_delete(BH *bh)
{
    if (!bh) {
        return;
    }
    MainLoop *loop = bh->loop;
    bh_cancel(bh);
    bh->deleted = true;
    loop->bhs_dirty = true;
    main_loop_sweep_bhs(loop);
}

static bool main_loop_bh_pending(MainLoop *loop)
{
    for (BH *bh = loop->bhs; bh; bh = bh->next) {
        if (!bh->deleted && __atomic_load_n(&bh->scheduled, __ATOMIC_SEQ_CST)) {
            return true;
        }
    }
    return false;
}

static bool main_loop_run_bhs(MainLoop *loop)
{
    bool ran = false;
    loop->walking_bhs++;
    for (BH *bh = loop->bhs; bh; bh = bh->next) {
        /* Cleared before the call, so a BH may schedule itself for the next round. */
        if (!bh->deleted && __atomic_exchange_n(&bh->scheduled, 0, __ATOMIC_SEQ_CST)) {
            bh->cb(bh->opaque);
            ran = true;
        }
    }
    loop->walking_bhs--;
    main_loop_sweep_bhs(loop);
    return ran;
}

/* The iteration. */

static void main_loop_run_timers(MainLoop *loop)
{
    for (int i = 0; i < CLOCK_MAX; i++) {
        clock_run_timers(loop->clocks[i]);
    }
}

/* min over timeouts where -1 means "forever". */
static int64_t timeout_min(int64_t a, int64_t b)
{
    if (a < 0) {
        return b;
    }
    if (b < 0) {
        return a;
    }
    return MIN(a, b);
}

static void main_loop_dispatch(MainLoop *loop, struct pollfd *pfds, FdWatch **pw, int n)
{
    loop->walking_watches++;
    for (int i = 0; i < n; i++) {
        FdWatch *w = pw[i];
        short rev = pfds[i].revents;
        if (!rev || w->deleted) {
            continue;
        }
        if (rev & POLLNVAL) {
            /* Someone closed it without telling us; polling it again would spin. */
            warn_report("main loop: fd %d was closed while still watched; dropping it", w->fd);
            main_loop_remove_watch(loop, w);
            continue;
        }
        if ((rev & (POLLIN | POLLHUP | POLLERR)) && w->read_cb) {
            w->read_cb(w->opaque);
        }
        /* The read callback may have removed or replaced this handler. */
        if (!w->deleted && (rev & (POLLOUT | POLLHUP | POLLERR)) && w->write_cb) {
            w->write_cb(w->opaque);
        }
    }
    loop->walking_watches--;
    main_loop_sweep_watches(loop);
}

void main_loop_wait(MainLoop *loop, int64_t timeout_ns)
{
    main_loop_run_timers(loop);
    main_loop_run_bhs(loop);

    /* Per call, not per loop: a callback may run a nested main_loop_wait. */
    struct pollfd pfds_small[32];
    FdWatch *pw_small[32];
    int cap = loop->nr_watches + 1;
    struct pollfd *pfds = cap <= 32 ? pfds_small : xcalloc(cap, sizeof(*pfds));
    FdWatch **pw = cap <= 32 ? pw_small : xcalloc(cap, sizeof(*pw));
    int n = 0;

    pfds[n++] = (struct pollfd){.fd = loop->notify_rfd, .events = POLLIN};
    for (FdWatch *w = loop->watches; w; w = w->next) {
        if (w->deleted) {
            continue;
        }
        pw[n] = w;
        pfds[n++] = (struct pollfd){
            .fd = w->fd,
            .events = (w->read_cb ? POLLIN : 0) | (w->write_cb ? POLLOUT : 0),
        };
    }

    __atomic_store_n(&loop->in_poll, 1, __ATOMIC_SEQ_CST);
    int64_t timeout = timeout_ns;
    for (int i = 0; i < CLOCK_MAX; i++) {
        timeout = timeout_min(timeout, clock_sleep_ns(loop->clocks[i]));
    }
    if (main_loop_bh_pending(loop)) {
        timeout = 0;
    }
    struct timespec ts, *tsp = NULL;
    if (timeout >= 0) {
        ts.tv_sec = timeout / NANOSECONDS_PER_SECOND;
        ts.tv_nsec = timeout % NANOSECONDS_PER_SECOND;
        tsp = &ts;
    }
    if (loop->before_poll) {
        loop->before_poll(loop->poll_hook_opaque);
    }
    int ret = ppoll(pfds, n, tsp, NULL);
    int poll_errno = errno;
    if (loop->after_poll) {
        loop->after_poll(loop->poll_hook_opaque);
    }
    __atomic_store_n(&loop->in_poll, 0, __ATOMIC_SEQ_CST);

    if (ret < 0 && poll_errno != EINTR) {
        error_report("main loop: poll failed: %s", strerror(poll_errno));
    }
    if (ret > 0) {
        if (pfds[0].revents) {
            main_loop_drain_notify(loop);
        }
        main_loop_dispatch(loop, pfds + 1, pw + 1, n - 1);
    }
    if (pfds != pfds_small) {
        free(pfds);
        free(pw);
    }

    main_loop_run_timers(loop);
    main_loop_run_bhs(loop);
}

void main_loop_set_poll_hooks(MainLoop *loop, void (*before_poll)(void *opaque),
                              void (*after_poll)(void *opaque), void *opaque)
{
    loop->before_poll = before_poll;
    loop->after_poll = after_poll;
    loop->poll_hook_opaque = opaque;
}
