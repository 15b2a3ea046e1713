/*
 * The DBT's deadline watcher (accel/tcg-deadline.c): a kick for every armed
 * deadline, also when a later arm moves it earlier without the watcher being
 * woken for the unchanged ones, and none after disarming.  No case asserts
 * how fast a kick comes; the waits only bound how long a broken watcher can
 * hang the test.
 */
#include "accel/tcg-deadline.h"
#include "tests/unit/test.h"

#include <time.h>

#define MS (1000 * 1000LL)
#define LONG_WAIT (60 * 1000 * MS)

static int kicks; /* atomic */

static void count_kick(void *opaque)
{
    (void)opaque;
    __atomic_add_fetch(&kicks, 1, __ATOMIC_SEQ_CST);
}

static int kick_count(void)
{
    return __atomic_load_n(&kicks, __ATOMIC_SEQ_CST);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS};
    nanosleep(&ts, NULL);
}

/* Wait up to 20 s (far beyond any armed deadline here) for the count to reach want. */
static bool wait_kicks(int want)
{
    for (int i = 0; i < 20000 && kick_count() < want; i++) {
        sleep_ms(1);
    }
    return kick_count() >= want;
}

static void test_kick_when_due(void)
{
    DeadlineWatcher *w = deadline_watcher_new(count_kick, NULL);
    kicks = 0;
    deadline_watcher_arm(w, 1 * MS);
    CHECK(wait_kicks(1));
    /* Once fired, it stays quiet until armed again. */
    sleep_ms(20);
    CHECK_EQ(kick_count(), 1);
    deadline_watcher_arm(w, 0);
    CHECK(wait_kicks(2));
    deadline_watcher_free(w);
}

/* The watcher sleeps towards a far deadline; a nearer one must wake it. */
static void test_earlier_deadline_wakes(void)
{
    DeadlineWatcher *w = deadline_watcher_new(count_kick, NULL);
    kicks = 0;
    deadline_watcher_arm(w, LONG_WAIT);
    sleep_ms(10); /* let it go to sleep on the far deadline */
    deadline_watcher_arm(w, 2 * MS);
    CHECK(wait_kicks(1));
    deadline_watcher_free(w);
}

/* What the exec loop does: the same deadline re-armed before every slice, disarmed after it. */
static void test_rearm_same_deadline(void)
{
    DeadlineWatcher *w = deadline_watcher_new(count_kick, NULL);
    kicks = 0;
    for (int i = 0; i < 2000; i++) {
        deadline_watcher_arm(w, LONG_WAIT);
        deadline_watcher_disarm(w);
    }
    deadline_watcher_arm(w, LONG_WAIT);
    CHECK_EQ(kick_count(), 0);
    deadline_watcher_arm(w, 1 * MS);
    CHECK(wait_kicks(1));
    deadline_watcher_free(w);
}

static void test_disarm_and_never(void)
{
    DeadlineWatcher *w = deadline_watcher_new(count_kick, NULL);
    kicks = 0;
    deadline_watcher_arm(w, LONG_WAIT);
    deadline_watcher_disarm(w);
    deadline_watcher_arm(w, -1);
    sleep_ms(30);
    CHECK_EQ(kick_count(), 0);
    /* After a disarm the watcher may sleep for good: an arm must still wake it. */
    deadline_watcher_arm(w, 1 * MS);
    CHECK(wait_kicks(1));
    deadline_watcher_free(w);
}

/* Many short deadlines in a row, each waited for: none may be lost. */
static void test_many_deadlines(void)
{
    DeadlineWatcher *w = deadline_watcher_new(count_kick, NULL);
    kicks = 0;
    for (int i = 1; i <= 200; i++) {
        deadline_watcher_arm(w, (i % 3) * 100 * 1000);
        if (!wait_kicks(i)) {
            CHECK(!"a deadline was lost");
            break;
        }
        if (i % 2) {
            deadline_watcher_disarm(w);
        }
    }
    deadline_watcher_free(w);
}

int main(void)
{
    test_run("kick_when_due", test_kick_when_due);
    test_run("earlier_deadline_wakes", test_earlier_deadline_wakes);
    test_run("rearm_same_deadline", test_rearm_same_deadline);
    test_run("disarm_and_never", test_disarm_and_never);
    test_run("many_deadlines", test_many_deadlines);
    return test_summary();
}
