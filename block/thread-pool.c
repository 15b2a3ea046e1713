/*
 * The block worker pool (thread-pool.h).  Process-wide like the driver
 * registry: threads are a host resource, not machine state, and one pool
 * serves every machine and tool in the process.  It exists only while some
 * BlockBackend holds a reference, so nothing outlives the last image.
 */
#include <pthread.h>

#include "block/thread-pool.h"
#include "core/common.h"

#define BLOCK_POOL_THREADS 4

typedef struct PoolItem {
    void (*fn)(void *opaque);
    void *opaque;
    struct PoolItem *next;
} PoolItem;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    PoolItem *head, **tail;
    pthread_t threads[BLOCK_POOL_THREADS];
    int refs;
    bool stop;
} pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
};

static void *pool_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.head && !pool.stop) {
            pthread_cond_wait(&pool.work, &pool.lock);
        }
        if (!pool.head) {
            break; /* stopping, and nothing left to do */
        }
        PoolItem *it = pool.head;
        pool.head = it->next;
        if (!pool.head) {
            pool.tail = &pool.head;
        }
        pthread_mutex_unlock(&pool.lock);
        it->fn(it->opaque);
        free(it);
        pthread_mutex_lock(&pool.lock);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

void block_pool_ref(void)
{
    pthread_mutex_lock(&pool.lock);
    if (pool.refs++ == 0) {
        pool.stop = false;
        pool.head = NULL;
        pool.tail = &pool.head;
        for (int i = 0; i < BLOCK_POOL_THREADS; i++) {
            if (pthread_create(&pool.threads[i], NULL, pool_worker, NULL)) {
                fprintf(stderr, "osprey: could not start a block I/O thread\n");
                abort();
            }
        }
    }
    pthread_mutex_unlock(&pool.lock);
}

void block_pool_unref(void)
{
    pthread_mutex_lock(&pool.lock);
    bool last = --pool.refs == 0;
    if (last) {
        pool.stop = true;
        pthread_cond_broadcast(&pool.work);
    }
    pthread_mutex_unlock(&pool.lock);
    if (last) {
        for (int i = 0; i < BLOCK_POOL_THREADS; i++) {
            pthread_join(pool.threads[i], NULL);
        }
    }
}

void block_pool_submit(void (*fn)(void *opaque), void *opaque)
{
    PoolItem *it = XNEW(PoolItem);
    it->fn = fn;
    it->opaque = opaque;
    pthread_mutex_lock(&pool.lock);
    *pool.tail = it;
    pool.tail = &it->next;
    pthread_cond_signal(&pool.work);
    pthread_mutex_unlock(&pool.lock);
}
