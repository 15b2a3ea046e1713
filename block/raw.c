/*
 * The raw format: the image is the file, byte for byte.  Files and block
 * devices, read-only or read-write.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block-int.h"

typedef struct RawState {
    int fd;
} RawState;

static bool raw_open(BlockDriverState *bs, const BlockOpenOptions *opts, Error **errp)
{
    RawState *s = bs->opaque;
    s->fd = open(bs->filename, (bs->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (s->fd < 0) {
        error_setg(errp, "could not open '%s': %s", bs->filename, strerror(errno));
        return false;
    }
    (void)opts;
    return true;
}

static void raw_close(BlockDriverState *bs)
{
    RawState *s = bs->opaque;
    close(s->fd);
}

/* preadv/pwritev until done: short transfers are retried, EOF on read is an error. */
static int raw_rw(BlockDriverState *bs, int64_t offset, const struct iovec *iov, int iovcnt,
                  bool write)
{
    RawState *s = bs->opaque;
    for (int i = 0; i < iovcnt; i++) {
        char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left) {
            ssize_t n = write ? pwrite(s->fd, p, left, offset) : pread(s->fd, p, left, offset);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                return -errno;
            }
            if (n == 0) {
                return -EIO;
            }
            p += n;
            left -= n;
            offset += n;
        }
    }
    return 0;
}

static int raw_preadv(BlockDriverState *bs, int64_t offset, const struct iovec *iov, int iovcnt)
{
    return raw_rw(bs, offset, iov, iovcnt, false);
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
    off_t end = lseek(s->fd, 0, SEEK_END);
    return end < 0 ? -errno : end;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .state_size = sizeof(RawState),
    .probe = NULL, /* raw is what is left when nothing else claims the file */
    .open = raw_open,
    .close = raw_close,
    .preadv = raw_preadv,
    .pwritev = raw_pwritev,
    .flush = raw_flush,
    .getlength = raw_getlength,
};
