/*
 * Inside the block layer: the format driver interface.  A BlockDriverState
 * is one open layer (a raw file, a qcow2 image, its backing file...).
 * Drivers are synchronous; the BlockBackend runs them off the vCPU and
 * delivers completions in the main loop.  A driver's calls on one state are
 * serialized by the backend.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "block/block.h"

typedef struct BlockDriver {
    const char *format_name;
    size_t state_size; /* driver-private state, at bs->opaque */
    /*
     * How sure the driver is that the first bytes of a file are its format
     * (0: not at all, 100: certain).  NULL: never chosen by probing.
     */
    int (*probe)(const uint8_t *buf, size_t len);
    /* Open bs->filename.  The error names the problem. */
    bool (*open)(BlockDriverState *bs, const BlockOpenOptions *opts, Error **errp);
    void (*close)(BlockDriverState *bs);
    /* Whole requests inside [0, length): the backend checks the bounds first. */
    int (*preadv)(BlockDriverState *bs, int64_t offset, const struct iovec *iov, int iovcnt);
    int (*pwritev)(BlockDriverState *bs, int64_t offset, const struct iovec *iov, int iovcnt);
    int (*flush)(BlockDriverState *bs);
    int64_t (*getlength)(BlockDriverState *bs);
} BlockDriver;

struct BlockDriverState {
    const BlockDriver *drv;
    char *filename;
    bool read_only;
    void *opaque;
};

/* The drivers, for probing and format= lookup. */
extern const BlockDriver bdrv_raw;

const BlockDriver *bdrv_find_format(const char *name);
/* Open filename with the given driver (NULL: probe).  NULL on error. */
BlockDriverState *bdrv_open(const char *filename, const BlockOpenOptions *opts, Error **errp);
void bdrv_close(BlockDriverState *bs);

/* Bytes in an iovec array. */
size_t iov_size(const struct iovec *iov, int iovcnt);

#endif
