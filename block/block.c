/*
 * BlockBackend: the device-facing side of the block layer (block.h), and
 * format probing and opening (block-int.h).
 *
 * Asynchronous requests are performed when submitted and their completions
 * queued for a bottom half, so a callback never runs inside the call that
 * submitted it.  (A worker pool that takes the I/O itself off the vCPU is
 * the next step; the interface already allows it.)
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "block/block-int.h"

static const BlockDriver *const block_drivers[] = {
    &bdrv_raw,
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

BlockDriverState *bdrv_open(const char *filename, const BlockOpenOptions *opts, Error **errp)
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
        if (drv == &bdrv_raw) {
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
    bs->opaque = drv->state_size ? xzalloc(drv->state_size) : NULL;
    if (!drv->open(bs, opts, errp)) {
        free(bs->opaque);
        free(bs->filename);
        free(bs);
        return NULL;
    }
    return bs;
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

/* One finished request waiting for its completion to run in the main loop. */
typedef struct BlockCompletion {
    BlockCompletionFunc *cb;
    void *opaque;
    int ret;
    struct BlockCompletion *next;
} BlockCompletion;

struct BlockBackend {
    BlockDriverState *bs; /* NULL: no medium */
    bool unsafe_flush;    /* cache=unsafe: guest flushes do nothing */
    MainLoop *loop;
    BH *bh;
    BlockCompletion *done, **done_tail;
    int in_flight;
    void (*change_cb)(void *opaque, bool inserted);
    void *change_opaque;
};

static BlockBackend *blk_new(void)
{
    BlockBackend *blk = XNEW(BlockBackend);
    blk->done_tail = &blk->done;
    return blk;
}

BlockBackend *blk_new_empty(void)
{
    return blk_new();
}

BlockBackend *blk_open(const char *filename, const BlockOpenOptions *opts, Error **errp)
{
    BlockBackend *blk = blk_new();
    if (!blk_insert_medium(blk, filename, opts, errp)) {
        free(blk);
        return NULL;
    }
    return blk;
}

static void blk_run_completions(void *opaque)
{
    BlockBackend *blk = opaque;
    BlockCompletion *c = blk->done;
    blk->done = NULL;
    blk->done_tail = &blk->done;
    while (c) {
        BlockCompletion *next = c->next;
        blk->in_flight--;
        c->cb(c->opaque, c->ret);
        free(c);
        c = next;
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
    /* Every request has done its I/O by now; only the completions are pending. */
    if (blk->done) {
        blk_run_completions(blk);
    }
}

int blk_in_flight(BlockBackend *blk)
{
    return blk->in_flight;
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    blk_drain(blk);
    bh_delete(blk->bh);
    bdrv_close(blk->bs);
    free(blk);
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

bool blk_insert_medium(BlockBackend *blk, const char *filename, const BlockOpenOptions *opts,
                       Error **errp)
{
    if (opts->snapshot) {
        error_setg(errp, "'%s': snapshot=on is not supported yet", filename);
        return false;
    }
    BlockDriverState *bs = bdrv_open(filename, opts, errp);
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

static int blk_do_rw(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                     bool write)
{
    int ret = blk_check(blk, offset, iov_size(iov, iovcnt), write);
    if (ret < 0) {
        return ret;
    }
    return write ? blk->bs->drv->pwritev(blk->bs, offset, iov, iovcnt)
                 : blk->bs->drv->preadv(blk->bs, offset, iov, iovcnt);
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
    return blk->bs->drv->flush(blk->bs);
}

static void blk_complete_later(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque, int ret)
{
    BlockCompletion *c = XNEW(BlockCompletion);
    c->cb = cb;
    c->opaque = opaque;
    c->ret = ret;
    *blk->done_tail = c;
    blk->done_tail = &c->next;
    blk->in_flight++;
    assert(blk->bh);
    bh_schedule(blk->bh);
}

void blk_aio_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                    BlockCompletionFunc *cb, void *opaque)
{
    blk_complete_later(blk, cb, opaque, blk_do_rw(blk, offset, iov, iovcnt, false));
}

void blk_aio_pwritev(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                     BlockCompletionFunc *cb, void *opaque)
{
    blk_complete_later(blk, cb, opaque, blk_do_rw(blk, offset, iov, iovcnt, true));
}

void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    blk_complete_later(blk, cb, opaque, blk_flush(blk));
}
