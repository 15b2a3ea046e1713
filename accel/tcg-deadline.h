/*
 * A helper thread that kicks the DBT's vCPUs when the next virtual-clock
 * timer is due (see tcg-deadline.c).
 */
#ifndef ACCEL_TCG_DEADLINE_H
#define ACCEL_TCG_DEADLINE_H

#include "core/common.h"
#include "core/timer.h"

typedef struct DeadlineWatcher DeadlineWatcher;

/* kick runs on the watcher thread: it must be thread-safe (set exit requests). */
DeadlineWatcher *deadline_watcher_new(void (*kick)(void *opaque), void *opaque);
/* Kick in_ns host nanoseconds from now (-1: never). */
void deadline_watcher_arm(DeadlineWatcher *w, int64_t in_ns);
void deadline_watcher_disarm(DeadlineWatcher *w);
void deadline_watcher_free(DeadlineWatcher *w);

#endif
