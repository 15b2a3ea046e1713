/*
 * The block layer, as devices see it: a BlockBackend is one open image (or an
 * empty removable drive) with byte-addressed reads and writes.  Devices never
 * see formats or files.
 *
 * Two ways in:
 *   - blk_aio_*: asynchronous.  The request runs off the vCPU (a worker),
 *     and the completion callback runs later in the machine's main loop,
 *     never inside the call that submitted it.  This is what devices use.
 *   - blk_pread/blk_pwrite/blk_flush: synchronous, for tools and firmware
 *     loading.  Never from a vCPU's device callback.
 *
 * Errors are negative errno values.  A request beyond the end of the image
 * fails with -EIO; a write to a read-only backend with -EROFS; any request to
 * an empty drive with -ENOMEDIUM.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <sys/uio.h>

#include "core/common.h"
#include "core/loop.h"

typedef struct BlockBackend BlockBackend;
typedef struct BlockDriverState BlockDriverState;

/* ret: 0 on success, or -errno. */
typedef void BlockCompletionFunc(void *opaque, int ret);

/* Options for blk_open (the -drive keys that concern the image, not the device). */
typedef enum BlockCacheMode {
    BLOCK_CACHE_WRITEBACK,  /* the default: host page cache, flush on guest flush */
    BLOCK_CACHE_NONE,       /* O_DIRECT, flush on guest flush */
    BLOCK_CACHE_UNSAFE,     /* host page cache, guest flushes ignored */
    BLOCK_CACHE_DIRECTSYNC, /* O_DIRECT and O_DSYNC */
} BlockCacheMode;

typedef struct BlockOpenOptions {
    const char *format;   /* "raw", "qcow2", or NULL to probe (with a warning, like QEMU) */
    bool read_only;
    bool snapshot;        /* writes go to a temporary overlay; the image is never written */
    BlockCacheMode cache;
    bool no_lock;         /* file.locking=off: skip the advisory lock */
    bool no_backing;      /* do not open backing files (osprey-img info, rebase -u) */
} BlockOpenOptions;

/* Parse a cache= value ("writeback", "none", "unsafe", "directsync"). */
bool block_cache_mode_parse(const char *s, BlockCacheMode *mode);

/*
 * Open an image.  The error names the file and the problem (missing file,
 * unknown format, corrupt header, locked by another process...).
 */
BlockBackend *blk_open(const char *filename, const BlockOpenOptions *opts, Error **errp);
/* A drive with no medium (an empty CD-ROM). */
BlockBackend *blk_new_empty(void);
/* Wait for in-flight requests (running their completions), then close. NULL is ignored. */
void blk_unref(BlockBackend *blk);

/* Completions are delivered through this loop's bottom halves (set before any blk_aio_*). */
void blk_set_main_loop(BlockBackend *blk, MainLoop *loop);

bool blk_is_inserted(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
/* Bytes (0 when empty). */
int64_t blk_getlength(BlockBackend *blk);
/* The image's file name, or "" when empty. */
const char *blk_filename(BlockBackend *blk);
/*
 * The format of the top layer ("raw", "qcow2"), or "" when empty: QEMU's "drv" in
 * query-block.  Under -snapshot it is the overlay's, qcow2, as on QEMU.
 */
const char *blk_format_name(BlockBackend *blk);

/* Removable media (the monitor's change/eject).  Eject drains in-flight requests first. */
bool blk_insert_medium(BlockBackend *blk, const char *filename, const BlockOpenOptions *opts,
                       Error **errp);
void blk_eject_medium(BlockBackend *blk);
/* Called after insert/eject, so the device can report a media change to the guest. */
void blk_set_change_cb(BlockBackend *blk, void (*cb)(void *opaque, bool inserted),
                       void *opaque);

int blk_pread(BlockBackend *blk, int64_t offset, void *buf, size_t len);
int blk_pwrite(BlockBackend *blk, int64_t offset, const void *buf, size_t len);
int blk_flush(BlockBackend *blk);
/* Give [offset, offset+len) back to the host (discard/TRIM); it then reads as zeros. */
int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t len);

/*
 * Asynchronous requests.  The iovec array is copied; the buffers it points to
 * must stay valid until the callback runs.  Requests may complete in any order.
 */
void blk_aio_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                    BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwritev(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                     BlockCompletionFunc *cb, void *opaque);
void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);
/* Run the main loop's share until no request of blk is in flight (device reset, eject). */
void blk_drain(BlockBackend *blk);
/* Requests submitted and not yet completed. */
int blk_in_flight(BlockBackend *blk);

#endif
