/*
 * The raw format: the image is the file, byte for byte.  Files and block
 * devices, read-only or read-write, with the -drive cache= modes:
 *   writeback   host page cache; flushes become fdatasync
 *   none        O_DIRECT (requests not aligned to the device go through a bounce buffer)
 *   unsafe      host page cache; the backend drops guest flushes
 *   directsync  O_DIRECT | O_DSYNC
 * The file is also the "protocol" layer under qcow2, so both formats share
 * the cache modes and the advisory lock.
 *
 * The lock: an open file description (OFD) lock on one byte far past any
 * header, exclusive for read-write opens and shared for read-only ones, so a
 * second writer (or a reader of an image someone writes) fails to open
 * instead of corrupting it.  OFD locks belong to the open file, not the
 * process, and vanish when it is closed or the process dies (even by
 * SIGKILL), so a crash never leaves a stale lock behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block-int.h"

/* An arbitrary byte that QEMU's own lock bytes (100.., 200..) do not use. */
#define RAW_LOCK_BYTE 0x4f535052 /* "OSPR" */
/* O_DIRECT alignment: 4 KiB satisfies every sector size in use. */
#define RAW_DIRECT_ALIGN 4096

typedef struct RawState {
    int fd;
    bool direct;
    bool is_block_device;
    /* Bounced writes read, modify and write whole aligned blocks: one at a time. */
    pthread_mutex_t bounce_lock;
} RawState;

static bool raw_lock(BlockDriverState *bs, RawState *s, bool no_lock, Error **errp)
{
    if (no_lock) {
        return true;
    }
    struct flock fl = {
        .l_type = bs->read_only ? F_RDLCK : F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = RAW_LOCK_BYTE,
        .l_len = 1,
    };
    if (fcntl(s->fd, F_OFD_SETLK, &fl) == 0) {
        return true;
    }
    if (errno == EAGAIN || errno == EACCES) {
        error_setg(errp, "'%s' is locked by another process: is another Osprey using it? "
                   "(file.locking=off skips the lock)", bs->filename);
        return false;
    }
    /* File systems without locks (some network ones): run unlocked, as QEMU does. */
    return true;
}

static bool raw_open(BlockDriverState *bs, const BlockOpenOptions *opts, Error **errp)
{
    RawState *s = bs->opaque;
    int flags = (bs->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    if (opts->cache == BLOCK_CACHE_NONE || opts->cache == BLOCK_CACHE_DIRECTSYNC) {
        flags |= O_DIRECT;
        s->direct = true;
    }
    if (opts->cache == BLOCK_CACHE_DIRECTSYNC) {
        flags |= O_DSYNC;
    }
    s->fd = open(bs->filename, flags);
    if (s->fd < 0 && errno == EINVAL && s->direct) {
        error_setg(errp, "could not open '%s' with cache=%s: its file system does not "
                   "support O_DIRECT (use cache=writeback)", bs->filename,
                   opts->cache == BLOCK_CACHE_NONE ? "none" : "directsync");
        return false;
    }
    if (s->fd < 0) {
        error_setg(errp, "could not open '%s': %s", bs->filename, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0) {
        s->is_block_device = S_ISBLK(st.st_mode);
    }
    if (!raw_lock(bs, s, opts->no_lock, errp)) {
        close(s->fd);
        return false;
    }
    pthread_mutex_init(&s->bounce_lock, NULL);
    return true;
}

static void raw_close(BlockDriverState *bs)
{
    RawState *s = bs->opaque;
    pthread_mutex_destroy(&s->bounce_lock);
    close(s->fd);
}

/* pread/pwrite until done: short transfers are retried; EOF on read reads zeros if allowed. */
static int raw_xfer(int fd, void *buf, size_t len, int64_t offset, bool write, bool eof_zero)
{
    char *p = buf;
    while (len) {
        ssize_t n = write ? pwrite(fd, p, len, offset) : pread(fd, p, len, offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            if (!write && eof_zero) {
                memset(p, 0, len);
                return 0;
            }
            return -EIO;
        }
        p += n;
        len -= n;
        offset += n;
    }
    return 0;
}

static bool raw_aligned(RawState *s, int64_t offset, const struct iovec *iov, int iovcnt)
{
    if (!s->direct) {
        return true;
    }
    if (offset % RAW_DIRECT_ALIGN) {
        return false;
    }
    for (int i = 0; i < iovcnt; i++) {
        if ((uintptr_t)iov[i].iov_base % RAW_DIRECT_ALIGN || iov[i].iov_len % RAW_DIRECT_ALIGN) {
            return false;
        }
    }
    return true;
}

/*
 * An O_DIRECT request that is not aligned: go through an aligned bounce
 * buffer covering the request rounded out to the alignment.  Writes read
 * the partial edge blocks first, and put the file's length back if the
 * rounded-up write extended it.
 */
static int raw_bounce(BlockDriverState *bs, int64_t offset, const struct iovec *iov, int iovcnt,
                      bool write)
{
    RawState *s = bs->opaque;
    size_t len = iov_size(iov, iovcnt);
    int64_t start = offset & ~(int64_t)(RAW_DIRECT_ALIGN - 1);
    int64_t end = (offset + len + RAW_DIRECT_ALIGN - 1) & ~(int64_t)(RAW_DIRECT_ALIGN - 1);
    size_t span = end - start;
    void *buf;
    if (posix_memalign(&buf, RAW_DIRECT_ALIGN, span)) {
        return -ENOMEM;
    }
    int ret;
    if (write) {
        pthread_mutex_lock(&s->bounce_lock);
        struct stat st;
        off_t old_size = fstat(s->fd, &st) == 0 ? st.st_size : 0;
        ret = raw_xfer(s->fd, buf, span, start, false, true);
        if (ret == 0) {
            char *p = (char *)buf + (offset - start);
            for (int i = 0; i < iovcnt; i++) {
                memcpy(p, iov[i].iov_base, iov[i].iov_len);
                p += iov[i].iov_len;
            }
            ret = raw_xfer(s->fd, buf, span, start, true, false);
        }
        if (ret == 0 && !s->is_block_device && end > old_size &&
            (int64_t)(offset + len) < end) {
            off_t want = MAX(old_size, (off_t)(offset + len));
            if (ftruncate(s->fd, want) < 0) {
                ret = -errno;
            }
        }
        pthread_mutex_unlock(&s->bounce_lock);
    } else {
        ret = raw_xfer(s->fd, buf, span, start, false, true);
        if (ret == 0) {
            const char *p = (const char *)buf + (offset - start);
            for (int i = 0; i < iovcnt; i++) {
                memcpy(iov[i].iov_base, p, iov[i].iov_len);
                p += iov[i].iov_len;
            }
        }
    }
    free(buf);
    return ret;
}

static int raw_rw(BlockDriverState *bs, int64_t offset, const struct iovec *iov, int iovcnt,
                  bool write)
{
    RawState *s = bs->opaque;
    if (!raw_aligned(s, offset, iov, iovcnt)) {
        return raw_bounce(bs, offset, iov, iovcnt, write);
    }
    for (int i = 0; i < iovcnt; i++) {
        /* Reads past the end of a qcow2 file (clusters not yet written) read zeros. */
        int ret = raw_xfer(s->fd, iov[i].iov_base, iov[i].iov_len, offset, write, true);
        if (ret < 0) {
            return ret;
        }
        offset += iov[i].iov_len;
    }
    return 0;
}

static int raw_preadv(BlockDriverState *bs, int64_t offset, const struct iovec *iov, int iovcnt)
{
    return raw_rw(bs, offset, iov, iovcnt, false);
}

static int raw_preadv_nowait(BlockDriverState *bs, int64_t offset, const struct iovec *iov,
                             int iovcnt)
{
#ifdef RWF_NOWAIT
    RawState *s = bs->opaque;
    if (s->direct || iovcnt > IOV_MAX) {
        return -EAGAIN; /* O_DIRECT always waits for the device */
    }
    ssize_t n = preadv2(s->fd, iov, iovcnt, offset, RWF_NOWAIT);
    /*
     * Anything but the whole request (not cached, partly cached, end of file, an
     * error, a kernel without RWF_NOWAIT) is left to a worker, which handles it fully.
     */
    return n >= 0 && (size_t)n == iov_size(iov, iovcnt) ? 0 : -EAGAIN;
#else
    return -EAGAIN;
#endif
}

static int raw_pwritev(BlockDriverState *bs, int64_t offset, const struct iovec *iov,
                       int iovcnt)
{
    return raw_rw(bs, offset, iov, iovcnt, true);
}

static int raw_flush(BlockDriverState *bs)
{
    RawState *s = bs->opaque;
    return fdatasync(s->fd) < 0 ? -errno : 0;
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    RawState *s = bs->opaque;
    if (s->is_block_device) {
        uint64_t bytes;
        if (ioctl(s->fd, BLKGETSIZE64, &bytes) == 0) {
            return bytes;
        }
    }
    off_t end = lseek(s->fd, 0, SEEK_END);
    return end < 0 ? -errno : end;
}

static int raw_pdiscard(BlockDriverState *bs, int64_t offset, int64_t len)
{
    RawState *s = bs->opaque;
    if (s->is_block_device) {
        uint64_t range[2] = {offset, len};
        return ioctl(s->fd, BLKDISCARD, range) < 0 ? -errno : 0;
    }
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) < 0) {
        /* Discard is advisory: a file system without hole punching keeps the data. */
        return errno == EOPNOTSUPP ? 0 : -errno;
    }
    return 0;
}

/* Data or hole, from the file system's own knowledge (SEEK_DATA/SEEK_HOLE). */
static int raw_block_status(BlockDriverState *bs, int64_t offset, int64_t len, int64_t *pnum,
                            int64_t *map)
{
    RawState *s = bs->opaque;
    *map = offset;
    off_t data = lseek(s->fd, offset, SEEK_DATA);
    if (data < 0 && errno == ENXIO) {
        /* Past the last data: a hole to the end. */
        *pnum = len;
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET;
    }
    if (data < 0) {
        *pnum = len;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET;
    }
    if (data > offset) {
        *pnum = MIN(len, data - offset);
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET;
    }
    off_t hole = lseek(s->fd, offset, SEEK_HOLE);
    *pnum = hole > offset ? MIN(len, hole - offset) : len;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET;
}

static int raw_truncate(BlockDriverState *bs, int64_t size, Error **errp)
{
    RawState *s = bs->opaque;
    if (s->is_block_device) {
        error_setg(errp, "'%s' is a block device: it cannot be resized", bs->filename);
        return -ENOTSUP;
    }
    if (ftruncate(s->fd, size) < 0) {
        int ret = -errno;
        error_setg(errp, "could not resize '%s': %s", bs->filename, strerror(errno));
        return ret;
    }
    return 0;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .state_size = sizeof(RawState),
    .probe = NULL, /* raw is what is left when nothing else claims the file */
    .open = raw_open,
    .close = raw_close,
    .preadv = raw_preadv,
    .preadv_nowait = raw_preadv_nowait,
    .pwritev = raw_pwritev,
    .flush = raw_flush,
    .getlength = raw_getlength,
    .pdiscard = raw_pdiscard,
    .block_status = raw_block_status,
    .truncate = raw_truncate,
    .thread_safe = true,
};
