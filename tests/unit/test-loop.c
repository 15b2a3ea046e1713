/* The main loop: fd handlers, bottom halves, wake-ups from threads and signals. */
#include "core/loop.h"
#include "tests/unit/test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MS (1000 * 1000LL)

static void sleep_ms(int ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * MS};
    nanosleep(&d, NULL);
}

/* Run the loop until *flag is set or a second passes; returns the flag. */
static bool run_until(MainLoop *loop, volatile int *flag)
{
    int64_t end = host_clock_monotonic_ns() + 1000 * MS;
    while (!*flag && host_clock_monotonic_ns() < end) {
        main_loop_wait(loop, 50 * MS);
    }
    return *flag;
}

typedef struct PipeReader {
    MainLoop *loop;
    int fd;
    char buf[64];
    int len;
    int calls;
    volatile int done;
    bool remove_self;
} PipeReader;

static void pipe_reader_cb(void *opaque)
{
    PipeReader *r = opaque;
    r->calls++;
    ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
    if (n > 0) {
        r->len += n;
        r->buf[r->len] = 0;
    }
    if (r->remove_self) {
        main_loop_set_fd_handler(r->loop, r->fd, NULL, NULL, NULL);
    }
    r->done = 1;
}

static void test_fd_read_handler(void)
{
    MainLoop *loop = main_loop_new();
    int fds[2];
    CHECK(pipe2(fds, O_NONBLOCK) == 0);
    PipeReader r = {.loop = loop, .fd = fds[0]};
    main_loop_set_fd_handler(loop, fds[0], pipe_reader_cb, NULL, &r);

    /* Nothing to read: the handler must not run. */
    main_loop_wait(loop, 10 * MS);
    CHECK_EQ(r.calls, 0);

    CHECK(write(fds[1], "hello", 5) == 5);
    CHECK(run_until(loop, &r.done));
    CHECK(!strcmp(r.buf, "hello"));

    /* Removed: data stays in the pipe. */
    main_loop_set_fd_handler(loop, fds[0], NULL, NULL, NULL);
    r.done = 0;
    int calls = r.calls;
    CHECK(write(fds[1], "x", 1) == 1);
    main_loop_wait(loop, 10 * MS);
    CHECK_EQ(r.calls, calls);
    char c;
    CHECK(read(fds[0], &c, 1) == 1 && c == 'x');
    close(fds[0]);
    close(fds[1]);
    main_loop_free(loop);
}

typedef struct Writer {
    MainLoop *loop;
    int fd;
    int calls;
} Writer;

static void writer_cb(void *opaque)
{
    Writer *w = opaque;
    w->calls++;
    CHECK(write(w->fd, "w", 1) == 1);
    /* One write is enough: stop asking, or the loop would spin on a writable pipe. */
    main_loop_set_fd_handler(w->loop, w->fd, NULL, NULL, NULL);
}

static void test_fd_write_handler(void)
{
    MainLoop *loop = main_loop_new();
    int fds[2];
    CHECK(pipe2(fds, O_NONBLOCK) == 0);
    Writer w = {.loop = loop, .fd = fds[1]};
    main_loop_set_fd_handler(loop, fds[1], NULL, writer_cb, &w);
    main_loop_wait(loop, 100 * MS);
    main_loop_wait(loop, 0);
    CHECK_EQ(w.calls, 1);
    char c = 0;
    CHECK(read(fds[0], &c, 1) == 1);
    CHECK_EQ(c, 'w');
    close(fds[0]);
    close(fds[1]);
    main_loop_free(loop);
}

/* Two readers; the first one to run removes the other and adds a third. */
typedef struct Juggler {
    MainLoop *loop;
    int fds[3][2];
    int calls[3];
} Juggler;

static Juggler *juggler;
static void juggle2(void *o);

static void juggle_cb(int i)
{
    Juggler *j = juggler;
    char buf[8];
    j->calls[i]++;
    CHECK(read(j->fds[i][0], buf, sizeof(buf)) > 0);
    if (i == 0) {
        main_loop_set_fd_handler(j->loop, j->fds[1][0], NULL, NULL, NULL);
        close(j->fds[1][0]); /* also closing it, as a chardev would */
        j->fds[1][0] = -1;
        main_loop_set_fd_handler(j->loop, j->fds[2][0], juggle2, NULL, j);
        main_loop_set_fd_handler(j->loop, j->fds[0][0], NULL, NULL, NULL);
    }
}

static void juggle0(void *o)
{
    juggle_cb(0);
}
static void juggle1(void *o)
{
    juggle_cb(1);
}
static void juggle2(void *o)
{
    juggle_cb(2);
}

static void test_handlers_change_inside_handler(void)
{
    Juggler j = {.loop = main_loop_new()};
    juggler = &j;
    for (int i = 0; i < 3; i++) {
        CHECK(pipe2(j.fds[i], O_NONBLOCK) == 0);
        CHECK(write(j.fds[i][1], "z", 1) == 1);
    }
    /* fd 0 registered first, so it is dispatched before fd 1 in the same round. */
    main_loop_set_fd_handler(j.loop, j.fds[0][0], juggle0, NULL, &j);
    main_loop_set_fd_handler(j.loop, j.fds[1][0], juggle1, NULL, &j);
    main_loop_wait(j.loop, 100 * MS);
    CHECK_EQ(j.calls[0], 1);
    CHECK_EQ(j.calls[1], 0);
    main_loop_wait(j.loop, 100 * MS);
    CHECK_EQ(j.calls[2], 1);
    CHECK_EQ(j.calls[0], 1);
    for (int i = 0; i < 3; i++) {
        if (j.fds[i][0] >= 0) {
            close(j.fds[i][0]);
        }
        close(j.fds[i][1]);
    }
    main_loop_set_fd_handler(j.loop, j.fds[2][0], NULL, NULL, NULL);
    main_loop_free(j.loop);
}

static void test_closed_fd_dropped(void)
{
    MainLoop *loop = main_loop_new();
    int fds[2];
    CHECK(pipe2(fds, O_NONBLOCK) == 0);
    PipeReader r = {.loop = loop, .fd = fds[0]};
    main_loop_set_fd_handler(loop, fds[0], pipe_reader_cb, NULL, &r);
    close(fds[0]);
    /* POLLNVAL: dropped with a warning instead of spinning; the loop then sleeps. */
    main_loop_wait(loop, 0);
    int64_t start = host_clock_monotonic_ns();
    main_loop_wait(loop, 20 * MS);
    CHECK(host_clock_monotonic_ns() - start >= 19 * MS);
    CHECK_EQ(r.calls, 0);
    close(fds[1]);
    main_loop_free(loop);
}

typedef struct Counter {
    BH *bh;
    volatile int count;
    int reschedule;
    BH *victim;
    bool delete_self;
} Counter;

static void counter_cb(void *opaque)
{
    Counter *c = opaque;
    c->count++;
    if (c->reschedule > 0) {
        c->reschedule--;
        bh_schedule(c->bh);
    }
    if (c->victim) {
        bh_delete(c->victim);
        c->victim = NULL;
    }
    if (c->delete_self) {
        bh_delete(c->bh);
        c->bh = NULL;
    }
}

static void test_bh_basics(void)
{
    MainLoop *loop = main_loop_new();
    Counter a = {0}, b = {0}, d = {0};
    a.bh = bh_new(loop, counter_cb, &a);
    b.bh = bh_new(loop, counter_cb, &b);
    d.bh = bh_new(loop, counter_cb, &d);

    /* Scheduling twice before it runs still runs it once. */
    bh_schedule(a.bh);
    bh_schedule(a.bh);
    main_loop_wait(loop, 0);
    CHECK_EQ(a.count, 1);
    main_loop_wait(loop, 0);
    CHECK_EQ(a.count, 1);

    /* A pending BH makes the loop not sleep, and cancel takes it back. */
    bh_schedule(b.bh);
    bh_cancel(b.bh);
    int64_t start = host_clock_monotonic_ns();
    main_loop_wait(loop, 20 * MS);
    CHECK(host_clock_monotonic_ns() - start >= 19 * MS);
    CHECK_EQ(b.count, 0);

    /* Rescheduling itself: one run per round, and the loop does not block meanwhile. */
    a.reschedule = 3;
    bh_schedule(a.bh);
    start = host_clock_monotonic_ns();
    while (a.count < 5 && host_clock_monotonic_ns() - start < 3000 * MS) {
        main_loop_wait(loop, 1000 * MS);
    }
    CHECK(host_clock_monotonic_ns() - start < 500 * MS);
    CHECK_EQ(a.count, 5);
    main_loop_wait(loop, 0);
    CHECK_EQ(a.count, 5);

    /* Deleting another pending BH and itself from inside a callback. */
    a.victim = b.bh;
    a.delete_self = true;
    bh_schedule(b.bh);
    bh_schedule(a.bh);
    bh_schedule(d.bh);
    main_loop_wait(loop, 0);
    main_loop_wait(loop, 0);
    CHECK_EQ(a.count, 6);
    CHECK(a.bh == NULL);
    CHECK_EQ(d.count, 1);
    /* b was scheduled but deleted; whether it ran depends on list order, but once at most. */
    CHECK(b.count <= 1);
    bh_delete(d.bh);
    main_loop_free(loop);
}

typedef struct ThreadArg {
    BH *bh;
    MainLoop *loop;
    int delay_ms;
} ThreadArg;

static void *schedule_thread(void *opaque)
{
    ThreadArg *t = opaque;
    sleep_ms(t->delay_ms);
    bh_schedule(t->bh);
    return NULL;
}

static void test_bh_from_thread_wakes_loop(void)
{
    MainLoop *loop = main_loop_new();
    Counter c = {0};
    c.bh = bh_new(loop, counter_cb, &c);
    for (int round = 0; round < 20; round++) {
        ThreadArg t = {.bh = c.bh, .delay_ms = round % 4 == 0 ? 20 : 0};
        pthread_t th;
        pthread_create(&th, NULL, schedule_thread, &t);
        int64_t start = host_clock_monotonic_ns();
        int before = c.count;
        /* Blocks with no timeout: only the thread's bh_schedule can wake it. */
        while (c.count == before && host_clock_monotonic_ns() - start < 5000 * MS) {
            main_loop_wait(loop, -1);
        }
        pthread_join(th, NULL);
        CHECK_EQ(c.count, before + 1);
        CHECK(host_clock_monotonic_ns() - start < 2000 * MS);
    }
    bh_delete(c.bh);
    main_loop_free(loop);
}

static void *notify_thread(void *opaque)
{
    ThreadArg *t = opaque;
    sleep_ms(t->delay_ms);
    main_loop_notify(t->loop);
    return NULL;
}

static void test_notify_from_thread(void)
{
    MainLoop *loop = main_loop_new();
    ThreadArg t = {.loop = loop, .delay_ms = 30};
    pthread_t th;
    pthread_create(&th, NULL, notify_thread, &t);
    int64_t start = host_clock_monotonic_ns();
    main_loop_wait(loop, 5000 * MS);
    int64_t elapsed = host_clock_monotonic_ns() - start;
    pthread_join(th, NULL);
    CHECK(elapsed >= 25 * MS);
    CHECK(elapsed < 2000 * MS);
    /* The wake-up is consumed: the next wait sleeps its full timeout. */
    start = host_clock_monotonic_ns();
    main_loop_wait(loop, 20 * MS);
    CHECK(host_clock_monotonic_ns() - start >= 19 * MS);
    main_loop_free(loop);
}

static MainLoop *signal_loop;
static BH *signal_bh;

static void on_alarm(int sig)
{
    bh_schedule(signal_bh);
}

static void test_bh_from_signal_handler(void)
{
    MainLoop *loop = main_loop_new();
    Counter c = {0};
    c.bh = bh_new(loop, counter_cb, &c);
    signal_loop = loop;
    signal_bh = c.bh;
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old);
    struct itimerval itv = {.it_value = {0, 30000}};
    CHECK(setitimer(ITIMER_REAL, &itv, NULL) == 0);
    int64_t start = host_clock_monotonic_ns();
    while (c.count == 0 && host_clock_monotonic_ns() - start < 2000 * MS) {
        main_loop_wait(loop, 1000 * MS);
    }
    CHECK_EQ(c.count, 1);
    CHECK(host_clock_monotonic_ns() - start < 900 * MS);
    sigaction(SIGALRM, &old, NULL);
    bh_delete(c.bh);
    main_loop_free(loop);
}

int main(void)
{
    test_run("loop-fd-read-handler", test_fd_read_handler);
    test_run("loop-fd-write-handler", test_fd_write_handler);
    test_run("loop-handlers-change-inside-handler", test_handlers_change_inside_handler);
    test_run("loop-closed-fd-dropped", test_closed_fd_dropped);
    test_run("loop-bh-basics", test_bh_basics);
    test_run("loop-bh-from-thread-wakes-loop", test_bh_from_thread_wakes_loop);
    test_run("loop-notify-from-thread", test_notify_from_thread);
    test_run("loop-bh-from-signal-handler", test_bh_from_signal_handler);
    return test_summary();
}
