/*
 * BlockBackend: the device-facing side of the block layer (block.h), and
 * format probing and opening (block-int.h).
 *
 * Asynchronous requests run in the block worker pool (thread-pool.c); the
 * worker queues the finished request on its backend and schedules the
 * backend's bottom half, which runs the completions in the main loop.
 * Drivers that are not thread-safe (qcow2: its metadata) see one request
 * at a time: the backend holds a mutex around every call into them.
 *
 * -snapshot / snapshot=on: the image is opened read-only and a temporary
 * qcow2 overlay in $TMPDIR (unlinked once open) takes the writes.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "block/block-int.h"
#include "block/qcow2.h"
#include "block/thread-pool.h"

static const BlockDriver *const block_drivers[] = {
    &bdrv_raw,
    &bdrv_qcow2,
};

const BlockDriver *bdrv_find_format(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(block_drivers); i++) {
        if (!strcmp(block_drivers[i]->format_name, name)) {
            return block_drivers[i];
        }
    }
    return NULL;
}

size_t iov_size(const struct iovec *iov, int iovcnt)
{
    size_t n = 0;
    for (int i = 0; i < iovcnt; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

/* The best-scoring driver for the file's first bytes; raw when none claims it. */
static const BlockDriver *bdrv_probe(const char *filename, Error **errp)
{
    uint8_t buf[512];
    int fd = open(filename, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg(errp, "could not open '%s': %s", filename, strerror(errno));
        return NULL;
    }
    ssize_t n = pread(fd, buf, sizeof(buf), 0);
    close(fd);
    if (n < 0) {
        error_setg(errp, "could not read '%s': %s", filename, strerror(errno));
        return NULL;
    }
    const BlockDriver *best = &bdrv_raw;
    int best_score = 0;
    for (size_t i = 0; i < ARRAY_SIZE(block_drivers); i++) {
        const BlockDriver *drv = block_drivers[i];
        int score = drv->probe ? drv->probe(buf, n) : 0;
        if (score > best_score) {
            best = drv;
            best_score = score;
        }
    }
    return best;
}

static BlockDriverState *bdrv_open_internal(const char *filename, const BlockOpenOptions *opts,
                                            int depth, bool quiet, Error **errp)
{
    const BlockDriver *drv;
    if (opts->format) {
        drv = bdrv_find_format(opts->format);
        if (!drv) {
            error_setg(errp, "'%s': unknown image format '%s'", filename, opts->format);
            return NULL;
        }
    } else {
        drv = bdrv_probe(filename, errp);
        if (!drv) {
            return NULL;
        }
        if (drv == &bdrv_raw && !quiet) {
            /* QEMU's warning: probing raw is unsafe, a guest could write a qcow2 header. */
            warn_report("image format was not specified for '%s' and probing guessed raw; "
                        "automatically detecting the format is dangerous for raw images, "
                        "write operations on block 0 will be restricted; "
                        "specify the 'raw' format explicitly to remove the restrictions",
                        filename);
        }
    }
    BlockDriverState *bs = XNEW(BlockDriverState);
    bs->drv = drv;
    bs->filename = xstrdup(filename);
    bs->read_only = opts->read_only;
    bs->cache = opts->cache;
    bs->depth = depth;
    bs->opaque = drv->state_size ? xzalloc(drv->state_size) : NULL;
    if (!drv->open(bs, opts, errp)) {
        free(bs->opaque);
        free(bs->filename);
        free(bs);
        return NULL;
    }
    return bs;
}

BlockDriverState *bdrv_open(const char *filename, const BlockOpenOptions *opts, Error **errp)
{
    return bdrv_open_internal(filename, opts, 0, false, errp);
}

BlockDriverState *bdrv_open_backing(const char *filename, const BlockOpenOptions *opts,
                                    int depth, Error **errp)
{
    return bdrv_open_internal(filename, opts, depth, true, errp);
}

int bdrv_pread(BlockDriverState *bs, int64_t offset, void *buf, size_t len)
{
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    return len ? bs->drv->preadv(bs, offset, &iov, 1) : 0;
}

int bdrv_pwrite(BlockDriverState *bs, int64_t offset, const void *buf, size_t len)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    return len ? bs->drv->pwritev(bs, offset, &iov, 1) : 0;
}

int bdrv_barrier(BlockDriverState *bs)
{
    return bs->cache == BLOCK_CACHE_UNSAFE ? 0 : bs->drv->flush(bs);
}

int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t len, int64_t *pnum,
                      int64_t *map)
{
    if (bs->drv->block_status) {
        return bs->drv->block_status(bs, offset, len, pnum, map);
    }
    *pnum = len;
    *map = offset;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET;
}

void bdrv_close(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    bs->drv->close(bs);
    free(bs->opaque);
    free(bs->filename);
    free(bs);
}

bool block_cache_mode_parse(const char *s, BlockCacheMode *mode)
{
    static const char *const names[] = {
        [BLOCK_CACHE_WRITEBACK] = "writeback",
        [BLOCK_CACHE_NONE] = "none",
        [BLOCK_CACHE_UNSAFE] = "unsafe",
        [BLOCK_CACHE_DIRECTSYNC] = "directsync",
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (!strcmp(s, names[i])) {
            *mode = i;
            return true;
        }
    }
    return false;
}

typedef enum BlockRequestType {
    BLOCK_REQ_READ,
    BLOCK_REQ_WRITE,
    BLOCK_REQ_FLUSH,
} BlockRequestType;

/* One asynchronous request: submitted, run by a worker, completed in the main loop. */
typedef struct BlockRequest {
    BlockBackend *blk;
    BlockRequestType type;
    int64_t offset;
    struct iovec *iov;
    int iovcnt;
    BlockCompletionFunc *cb;
    void *opaque;
    int ret;
    struct BlockRequest *next;
} BlockRequest;

struct BlockBackend {
    BlockDriverState *bs; /* NULL: no medium */
    bool unsafe_flush;    /* cache=unsafe: guest flushes do nothing */
    MainLoop *loop;
    BH *bh;
    /* Serializes calls into a driver that is not thread-safe. */
    pthread_mutex_t bs_lock;
    /* Protects done and in_flight; done_cond signals a finished request (blk_drain). */
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    BlockRequest *done, **done_tail;
    int in_flight;
    void (*change_cb)(void *opaque, bool inserted);
    void *change_opaque;
};

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->bs;
}

static BlockBackend *blk_new(void)
{
    BlockBackend *blk = XNEW(BlockBackend);
    blk->done_tail = &blk->done;
    pthread_mutex_init(&blk->bs_lock, NULL);
    pthread_mutex_init(&blk->lock, NULL);
    pthread_cond_init(&blk->done_cond, NULL);
    block_pool_ref();
    return blk;
}

static void blk_free(BlockBackend *blk)
{
    pthread_mutex_destroy(&blk->bs_lock);
    pthread_mutex_destroy(&blk->lock);
    pthread_cond_destroy(&blk->done_cond);
    free(blk);
    block_pool_unref();
}

BlockBackend *blk_new_empty(void)
{
    return blk_new();
}

BlockBackend *blk_open(const char *filename, const BlockOpenOptions *opts, Error **errp)
{
    BlockBackend *blk = blk_new();
    if (!blk_insert_medium(blk, filename, opts, errp)) {
        blk_free(blk);
        return NULL;
    }
    return blk;
}

/* Take the finished requests and run their completions (main loop, or blk_drain). */
static void blk_run_completions(void *opaque)
{
    BlockBackend *blk = opaque;
    pthread_mutex_lock(&blk->lock);
    BlockRequest *r = blk->done;
    blk->done = NULL;
    blk->done_tail = &blk->done;
    pthread_mutex_unlock(&blk->lock);
    while (r) {
        BlockRequest *next = r->next;
        pthread_mutex_lock(&blk->lock);
        blk->in_flight--;
        pthread_mutex_unlock(&blk->lock);
        r->cb(r->opaque, r->ret);
        free(r->iov);
        free(r);
        r = next;
    }
}

void blk_set_main_loop(BlockBackend *blk, MainLoop *loop)
{
    assert(!blk->loop);
    blk->loop = loop;
    blk->bh = bh_new(loop, blk_run_completions, blk);
}

void blk_drain(BlockBackend *blk)
{
    for (;;) {
        pthread_mutex_lock(&blk->lock);
        while (blk->in_flight > 0 && !blk->done) {
            pthread_cond_wait(&blk->done_cond, &blk->lock);
        }
        bool idle = blk->in_flight == 0;
        pthread_mutex_unlock(&blk->lock);
        if (idle) {
            return;
        }
        blk_run_completions(blk);
    }
}

int blk_in_flight(BlockBackend *blk)
{
    pthread_mutex_lock(&blk->lock);
    int n = blk->in_flight;
    pthread_mutex_unlock(&blk->lock);
    return n;
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    blk_drain(blk);
    bh_delete(blk->bh);
    bdrv_close(blk->bs);
    blk_free(blk);
}

bool blk_is_inserted(BlockBackend *blk)
{
    return blk->bs != NULL;
}

bool blk_is_read_only(BlockBackend *blk)
{
    return blk->bs && blk->bs->read_only;
}

int64_t blk_getlength(BlockBackend *blk)
{
    return blk->bs ? blk->bs->drv->getlength(blk->bs) : 0;
}

const char *blk_filename(BlockBackend *blk)
{
    return blk->bs ? blk->bs->filename : "";
}

const char *blk_format_name(BlockBackend *blk)
{
    return blk->bs ? blk->bs->drv->format_name : "";
}

/*
 * The temporary overlay of -snapshot: a qcow2 file in $TMPDIR over the
 * read-only image, unlinked as soon as it is open so nothing is left behind.
 */
static BlockDriverState *blk_open_snapshot(const char *filename, const BlockOpenOptions *opts,
                                           Error **errp)
{
    BlockOpenOptions base_opts = *opts;
    base_opts.snapshot = false;
    base_opts.read_only = true;
    BlockDriverState *base = bdrv_open(filename, &base_opts, errp);
    if (!base) {
        return NULL;
    }
    const char *dir = getenv("TMPDIR");
    char *path = xasprintf("%s/osprey-snapshot-XXXXXX", dir && *dir ? dir : "/var/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        error_setg(errp, "'%s': could not create the snapshot overlay %s: %s", filename, path,
                   strerror(errno));
        free(path);
        bdrv_close(base);
        return NULL;
    }
    close(fd);
    int64_t size = base->drv->getlength(base);
    Qcow2CreateOptions co = {.size = size < 0 ? 0 : size};
    BlockOpenOptions ov = {.format = "qcow2", .cache = BLOCK_CACHE_UNSAFE, .no_lock = true};
    BlockDriverState *bs = NULL;
    if (qcow2_create(path, &co, errp)) {
        bs = bdrv_open(path, &ov, errp);
    }
    unlink(path);
    free(path);
    if (!bs) {
        error_prepend(errp, "'%s': snapshot overlay: ", filename);
        bdrv_close(base);
        return NULL;
    }
    BDRVQcow2State *s = bs->opaque;
    s->backing = base;
    free(bs->filename);
    bs->filename = xstrdup(filename);
    return bs;
}

bool blk_insert_medium(BlockBackend *blk, const char *filename, const BlockOpenOptions *opts,
                       Error **errp)
{
    BlockDriverState *bs = opts->snapshot ? blk_open_snapshot(filename, opts, errp)
                                          : bdrv_open(filename, opts, errp);
    if (!bs) {
        return false;
    }
    blk_eject_medium(blk);
    blk->bs = bs;
    blk->unsafe_flush = opts->cache == BLOCK_CACHE_UNSAFE;
    if (blk->change_cb) {
        blk->change_cb(blk->change_opaque, true);
    }
    return true;
}

void blk_eject_medium(BlockBackend *blk)
{
    if (!blk->bs) {
        return;
    }
    blk_drain(blk);
    bdrv_close(blk->bs);
    blk->bs = NULL;
    if (blk->change_cb) {
        blk->change_cb(blk->change_opaque, false);
    }
}

void blk_set_change_cb(BlockBackend *blk, void (*cb)(void *opaque, bool inserted),
                       void *opaque)
{
    blk->change_cb = cb;
    blk->change_opaque = opaque;
}

/* Bounds and medium checks shared by every read and write. */
static int blk_check(BlockBackend *blk, int64_t offset, size_t len, bool write)
{
    if (!blk->bs) {
        return -ENOMEDIUM;
    }
    if (write && blk->bs->read_only) {
        return -EROFS;
    }
    int64_t size = blk_getlength(blk);
    if (size < 0) {
        return size;
    }
    if (offset < 0 || (uint64_t)offset > (uint64_t)size || len > (uint64_t)(size - offset)) {
        return -EIO;
    }
    return 0;
}

static void blk_lock_driver(BlockBackend *blk)
{
    if (!blk->bs->drv->thread_safe) {
        pthread_mutex_lock(&blk->bs_lock);
    }
}

static void blk_unlock_driver(BlockBackend *blk)
{
    if (!blk->bs->drv->thread_safe) {
        pthread_mutex_unlock(&blk->bs_lock);
    }
}

static int blk_do_rw(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                     bool write)
{
    int ret = blk_check(blk, offset, iov_size(iov, iovcnt), write);
    if (ret < 0) {
        return ret;
    }
    blk_lock_driver(blk);
    ret = write ? blk->bs->drv->pwritev(blk->bs, offset, iov, iovcnt)
                : blk->bs->drv->preadv(blk->bs, offset, iov, iovcnt);
    blk_unlock_driver(blk);
    return ret;
}

int blk_pread(BlockBackend *blk, int64_t offset, void *buf, size_t len)
{
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    return blk_do_rw(blk, offset, &iov, 1, false);
}

int blk_pwrite(BlockBackend *blk, int64_t offset, const void *buf, size_t len)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    return blk_do_rw(blk, offset, &iov, 1, true);
}

int blk_flush(BlockBackend *blk)
{
    if (!blk->bs) {
        return -ENOMEDIUM;
    }
    if (blk->unsafe_flush || blk->bs->read_only) {
        return 0;
    }
    blk_lock_driver(blk);
    int ret = blk->bs->drv->flush(blk->bs);
    blk_unlock_driver(blk);
    return ret;
}

int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t len)
{
    int ret = blk_check(blk, offset, len < 0 ? SIZE_MAX : (size_t)len, true);
    if (ret < 0 || !blk->bs->drv->pdiscard || len == 0) {
        return ret;
    }
    blk_lock_driver(blk);
    ret = blk->bs->drv->pdiscard(blk->bs, offset, len);
    blk_unlock_driver(blk);
    return ret;
}

/* Hand a finished request to the main loop (from a worker, or from blk_try_read_now). */
static void blk_request_done(BlockBackend *blk, BlockRequest *r)
{
    pthread_mutex_lock(&blk->lock);
    *blk->done_tail = r;
    blk->done_tail = &r->next;
    pthread_cond_broadcast(&blk->done_cond);
    /* Under the lock: blk_unref cannot delete the bh before this request is counted done. */
    bh_schedule(blk->bh);
    pthread_mutex_unlock(&blk->lock);
}

/*
 * A read the host serves from its page cache is done at once, without waiting for
 * a device, and completed through the bottom half as usual: this saves the hand-off
 * to a worker and back, which dominates a cached read of a few hundred KiB.
 */
static bool blk_try_read_now(BlockBackend *blk, BlockRequest *r)
{
    BlockDriverState *bs = blk->bs;
    if (!bs || !bs->drv->preadv_nowait || !bs->drv->thread_safe ||
        blk_check(blk, r->offset, iov_size(r->iov, r->iovcnt), false) < 0 ||
        bs->drv->preadv_nowait(bs, r->offset, r->iov, r->iovcnt) < 0) {
        return false;
    }
    r->ret = 0;
    blk_request_done(blk, r);
    return true;
}

static void blk_request_run(void *opaque)
{
    BlockRequest *r = opaque;
    BlockBackend *blk = r->blk;
    switch (r->type) {
    case BLOCK_REQ_READ:
        r->ret = blk_do_rw(blk, r->offset, r->iov, r->iovcnt, false);
        break;
    case BLOCK_REQ_WRITE:
        r->ret = blk_do_rw(blk, r->offset, r->iov, r->iovcnt, true);
        break;
    case BLOCK_REQ_FLUSH:
        r->ret = blk_flush(blk);
        break;
    }
    blk_request_done(blk, r);
}

static void blk_submit(BlockBackend *blk, BlockRequestType type, int64_t offset,
                       const struct iovec *iov, int iovcnt, BlockCompletionFunc *cb,
                       void *opaque)
{
    assert(blk->bh);
    BlockRequest *r = XNEW(BlockRequest);
    r->blk = blk;
    r->type = type;
    r->offset = offset;
    if (iovcnt > 0) {
        r->iov = xmalloc(iovcnt * sizeof(*iov));
        memcpy(r->iov, iov, iovcnt * sizeof(*iov));
        r->iovcnt = iovcnt;
    }
    r->cb = cb;
    r->opaque = opaque;
    pthread_mutex_lock(&blk->lock);
    blk->in_flight++;
    pthread_mutex_unlock(&blk->lock);
    if (type == BLOCK_REQ_READ && blk_try_read_now(blk, r)) {
        return;
    }
    block_pool_submit(blk_request_run, r);
}

void blk_aio_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                    BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLOCK_REQ_READ, offset, iov, iovcnt, cb, opaque);
}

void blk_aio_pwritev(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                     BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLOCK_REQ_WRITE, offset, iov, iovcnt, cb, opaque);
}

void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLOCK_REQ_FLUSH, 0, NULL, 0, cb, opaque);
}
