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
    /* Optional.  Give [offset, offset+len) back (raw: punch a hole; qcow2: free clusters). */
    int (*pdiscard)(BlockDriverState *bs, int64_t offset, int64_t len);
    /*
     * Optional.  How [offset, offset+len) starts: *pnum bytes (> 0) from offset
     * share one status, a mask of BDRV_BLOCK_*.  Negative errno on error.
     */
    int (*block_status)(BlockDriverState *bs, int64_t offset, int64_t len, int64_t *pnum,
                        int64_t *map);
    /* Optional.  Change the virtual size (osprey-img resize). */
    int (*truncate)(BlockDriverState *bs, int64_t size, Error **errp);
    /*
     * Optional, thread-safe drivers only.  Read the whole request if the host can
     * do it without waiting for a device (the data is in its page cache): 0 when
     * done, -EAGAIN otherwise (a worker then does the request the usual way).
     */
    int (*preadv_nowait)(BlockDriverState *bs, int64_t offset, const struct iovec *iov,
                         int iovcnt);
    /* True when preadv/pwritev may run in several workers at once on one state. */
    bool thread_safe;
} BlockDriver;

/* block_status bits. */
#define BDRV_BLOCK_DATA      1 /* allocated in this layer */
#define BDRV_BLOCK_ZERO      2 /* reads as zeros */
#define BDRV_BLOCK_BACKING   4 /* not in this layer: comes from the backing file */
#define BDRV_BLOCK_OFFSET    8 /* *map holds the host offset of the data */
#define BDRV_BLOCK_COMPRESSED 16

struct BlockDriverState {
    const BlockDriver *drv;
    char *filename;
    bool read_only;
    BlockCacheMode cache;
    int depth;  /* 0 for the top; backing files count up (loops end at a limit) */
    void *opaque;
};

/* The drivers, for probing and format= lookup. */
extern const BlockDriver bdrv_raw;

const BlockDriver *bdrv_find_format(const char *name);
/* Open filename with the given driver (NULL: probe).  NULL on error. */
BlockDriverState *bdrv_open(const char *filename, const BlockOpenOptions *opts, Error **errp);
/* The same for a backing file: depth in the chain, and no raw-probing warning. */
BlockDriverState *bdrv_open_backing(const char *filename, const BlockOpenOptions *opts,
                                    int depth, Error **errp);
void bdrv_close(BlockDriverState *bs);

/* Whole-buffer helpers on a state, bounds not checked (drivers on their children). */
int bdrv_pread(BlockDriverState *bs, int64_t offset, void *buf, size_t len);
int bdrv_pwrite(BlockDriverState *bs, int64_t offset, const void *buf, size_t len);
/* A metadata ordering barrier: flush, except under cache=unsafe. */
int bdrv_barrier(BlockDriverState *bs);
/* Default block status for drivers without one: all data. */
int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t len, int64_t *pnum,
                      int64_t *map);

extern const BlockDriver bdrv_qcow2;

/* The backend's top layer (osprey-img works on it directly).  NULL when empty. */
BlockDriverState *blk_bs(BlockBackend *blk);

/* Bytes in an iovec array. */
size_t iov_size(const struct iovec *iov, int iovcnt);

#endif
