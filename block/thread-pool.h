/*
 * The block layer's worker threads: a few threads shared by every
 * BlockBackend of the process, so disk I/O never runs on a vCPU or the
 * main loop.  Work items run in submission order per worker, in parallel
 * across workers; whoever needs ordering serializes itself.
 */
#ifndef BLOCK_THREAD_POOL_H
#define BLOCK_THREAD_POOL_H

/* Each user holds a reference; the threads start with the first and are joined with the last. */
void block_pool_ref(void);
void block_pool_unref(void);
/* Run fn(opaque) in a worker. */
void block_pool_submit(void (*fn)(void *opaque), void *opaque);

#endif
