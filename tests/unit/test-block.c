/*
 * The block layer from a device's point of view: asynchronous requests that
 * complete in the main loop, blk_drain, error codes, O_DIRECT bounce
 * buffers, and qcow2 metadata (refcount table growth, check after reopen).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block-int.h"
#include "block/qcow2.h"
#include "tests/unit/test.h"

static char *temp_file(const char *dir, uint64_t size)
{
    char *path = xasprintf("%s/osprey-test-block-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, size) < 0) {
        abort();
    }
    close(fd);
    return path;
}

typedef struct Done {
    int calls;
    int ret;
} Done;

static void on_done(void *opaque, int ret)
{
    Done *d = opaque;
    d->calls++;
    d->ret = ret;
}

static void test_aio_completes_in_main_loop(void)
{
    char *path = temp_file("/tmp", 1 << 20);
    int fd = open(path, O_WRONLY);
    CHECK(pwrite(fd, "osprey", 6, 4096) == 6);
    close(fd);
    MainLoop *loop = main_loop_new();
    BlockOpenOptions o = {.format = "raw"};
    BlockBackend *blk = blk_open(path, &o, NULL);
    CHECK(blk != NULL);
    if (!blk) {
        return;
    }
    blk_set_main_loop(blk, loop);
    char buf[6] = {0};
    struct iovec iov = {.iov_base = buf, .iov_len = 6};
    Done d = {0};
    blk_aio_preadv(blk, 4096, &iov, 1, on_done, &d);
    CHECK_EQ(d.calls, 0); /* never inside the submitting call */
    for (int i = 0; i < 1000 && !d.calls; i++) {
        main_loop_wait(loop, 10 * 1000 * 1000);
    }
    CHECK_EQ(d.calls, 1);
    CHECK_EQ(d.ret, 0);
    CHECK(!memcmp(buf, "osprey", 6));
    CHECK_EQ(blk_in_flight(blk), 0);

    /* errors: past the end, and a read-only backend */
    Done e = {0};
    blk_aio_preadv(blk, (1 << 20) - 2, &iov, 1, on_done, &e);
    blk_drain(blk);
    CHECK_EQ(e.calls, 1);
    CHECK_EQ(e.ret, -EIO);
    blk_unref(blk);
    o.read_only = true;
    blk = blk_open(path, &o, NULL);
    blk_set_main_loop(blk, loop);
    blk_aio_pwritev(blk, 0, &iov, 1, on_done, &e);
    blk_drain(blk);
    CHECK_EQ(e.calls, 2);
    CHECK_EQ(e.ret, -EROFS);
    blk_unref(blk);
    BlockBackend *empty = blk_new_empty();
    blk_set_main_loop(empty, loop);
    blk_aio_flush(empty, on_done, &e);
    blk_drain(empty);
    CHECK_EQ(e.ret, -ENOMEDIUM);
    blk_unref(empty);
    main_loop_free(loop);
    unlink(path);
    free(path);
}

/* Many overlapping-free writes into qcow2 at once; drain waits for every completion. */
static void test_drain_waits_qcow2(void)
{
    char *path = temp_file("/tmp", 0);
    Qcow2CreateOptions co = {.size = 8 << 20, .cluster_size = 4096};
    CHECK(qcow2_create(path, &co, NULL));
    MainLoop *loop = main_loop_new();
    BlockOpenOptions o = {.format = "qcow2", .cache = BLOCK_CACHE_UNSAFE};
    BlockBackend *blk = blk_open(path, &o, NULL);
    CHECK(blk != NULL);
    if (!blk) {
        return;
    }
    blk_set_main_loop(blk, loop);
    enum { N = 64 };
    static uint8_t bufs[N][5000];
    Done d[N] = {{0}};
    for (int i = 0; i < N; i++) {
        memset(bufs[i], i + 1, sizeof(bufs[i]));
        struct iovec iov[2] = {{bufs[i], 3000}, {bufs[i] + 3000, 2000}};
        blk_aio_pwritev(blk, (uint64_t)i * 100000 + 777, iov, 2, on_done, &d[i]);
    }
    blk_drain(blk);
    CHECK_EQ(blk_in_flight(blk), 0);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(d[i].calls, 1);
        CHECK_EQ(d[i].ret, 0);
    }
    blk_unref(blk);
    /* Reopen: the data is there and the metadata is consistent. */
    o.cache = BLOCK_CACHE_WRITEBACK;
    blk = blk_open(path, &o, NULL);
    uint8_t buf[5000];
    for (int i = 0; i < N; i++) {
        CHECK_EQ(blk_pread(blk, (uint64_t)i * 100000 + 777, buf, sizeof(buf)), 0);
        CHECK(!memcmp(buf, bufs[i], sizeof(buf)));
    }
    Qcow2CheckResult r;
    CHECK_EQ(qcow2_check(blk_bs(blk), &r, 0, NULL), 0);
    CHECK_EQ(r.corruptions, 0);
    CHECK_EQ(r.leaks, 0);
    blk_unref(blk);
    main_loop_free(loop);
    unlink(path);
    free(path);
}

/* 512-byte clusters: one refcount table cluster covers 8 MiB, so 12 MiB of data grows it. */
static void test_qcow2_refcount_table_growth(void)
{
    char *path = temp_file("/tmp", 0);
    Qcow2CreateOptions co = {.size = 64 << 20, .cluster_size = 512};
    CHECK(qcow2_create(path, &co, NULL));
    BlockOpenOptions o = {.format = "qcow2", .cache = BLOCK_CACHE_UNSAFE};
    BlockBackend *blk = blk_open(path, &o, NULL);
    CHECK(blk != NULL);
    if (!blk) {
        return;
    }
    uint8_t *buf = xmalloc(1 << 20);
    for (int mb = 0; mb < 12; mb++) {
        memset(buf, 0x40 + mb, 1 << 20);
        CHECK_EQ(blk_pwrite(blk, (uint64_t)mb * (5 << 20) % (64 << 20) + 100, buf, 1 << 20), 0);
    }
    BDRVQcow2State *s = blk_bs(blk)->opaque;
    CHECK(s->refcount_table_clusters > 1);
    Qcow2CheckResult r;
    CHECK_EQ(qcow2_check(blk_bs(blk), &r, 0, NULL), 0);
    CHECK_EQ(r.corruptions, 0);
    CHECK_EQ(r.leaks, 0);
    blk_unref(blk);
    free(buf);
    unlink(path);
    free(path);
}

/* cache=none: unaligned requests go through bounce buffers; the file keeps its length. */
static void test_direct_bounce(void)
{
    char *path = temp_file("/var/tmp", 10000);
    BlockOpenOptions o = {.format = "raw", .cache = BLOCK_CACHE_NONE};
    Error *err = NULL;
    BlockBackend *blk = blk_open(path, &o, &err);
    CHECK(blk != NULL);
    if (!blk) {
        error_free(err);
        unlink(path);
        free(path);
        return;
    }
    uint8_t w[1500], r[1500];
    for (int i = 0; i < 1500; i++) {
        w[i] = i * 7;
    }
    CHECK_EQ(blk_pwrite(blk, 8500, w, 1500), 0);
    CHECK_EQ(blk_pwrite(blk, 3, w, 1000), 0);
    CHECK_EQ(blk_pread(blk, 8500, r, 1500), 0);
    CHECK(!memcmp(r, w, 1500));
    CHECK_EQ(blk_pread(blk, 3, r, 1000), 0);
    CHECK(!memcmp(r, w, 1000));
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 10000);
    blk_unref(blk);
    unlink(path);
    free(path);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Discard: qcow2 frees whole clusters (zero clusters over a backing file); raw punches holes. */
static void test_discard(void)
{
    char *base = temp_file("/tmp", 1 << 20);
    int fd = open(base, O_WRONLY);
    uint8_t *buf = xmalloc(1 << 20);
    memset(buf, 0xbb, 1 << 20);
    CHECK(pwrite(fd, buf, 1 << 20, 0) == 1 << 20);
    close(fd);
    char *top = temp_file("/tmp", 0);
    Qcow2CreateOptions co = {.size = 1 << 20, .cluster_size = 4096, .backing_file = base,
                             .backing_format = "raw"};
    CHECK(qcow2_create(top, &co, NULL));
    BlockOpenOptions o = {.format = "qcow2"};
    BlockBackend *blk = blk_open(top, &o, NULL);
    CHECK(blk != NULL);
    if (!blk) {
        return;
    }
    memset(buf, 0xcc, 65536);
    CHECK_EQ(blk_pwrite(blk, 0, buf, 65536), 0);
    /* A partial first and last cluster stay; the whole clusters between read zeros. */
    CHECK_EQ(blk_pdiscard(blk, 1000, 20000), 0);
    CHECK_EQ(blk_pread(blk, 0, buf, 65536), 0);
    CHECK(buf[999] == 0xcc && buf[4095] == 0xcc);
    CHECK(all_zero(buf + 4096, 16384));
    CHECK(buf[20480] == 0xcc);
    /* Over the backing file too: zero clusters hide it. */
    CHECK_EQ(blk_pdiscard(blk, 65536, 8192), 0);
    CHECK_EQ(blk_pread(blk, 65536, buf, 8192 + 1), 0);
    CHECK(all_zero(buf, 8192) && buf[8192] == 0xbb);
    Qcow2CheckResult r;
    CHECK_EQ(qcow2_check(blk_bs(blk), &r, 0, NULL), 0);
    CHECK_EQ(r.corruptions + r.leaks, 0);
    CHECK_EQ(blk_pdiscard(blk, (1 << 20) - 10, 20), -EIO); /* past the end */
    blk_unref(blk);

    /* raw: the hole is visible to block status */
    o.format = "raw";
    blk = blk_open(base, &o, NULL);
    CHECK_EQ(blk_pdiscard(blk, 65536, 65536), 0);
    int64_t pnum, map;
    int st = bdrv_block_status(blk_bs(blk), 65536, 65536, &pnum, &map);
    CHECK(st & BDRV_BLOCK_ZERO);
    CHECK_EQ(blk_pread(blk, 65536, buf, 65536), 0);
    CHECK(all_zero(buf, 65536));
    blk_unref(blk);
    free(buf);
    unlink(top);
    unlink(base);
    free(top);
    free(base);
}

int main(void)
{
    test_run("block/aio-completes-in-main-loop", test_aio_completes_in_main_loop);
    test_run("block/drain-waits-qcow2", test_drain_waits_qcow2);
    test_run("block/qcow2-refcount-table-growth", test_qcow2_refcount_table_growth);
    test_run("block/discard", test_discard);
    char *probe = temp_file("/var/tmp", 0);
    int fd = open(probe, O_RDWR | O_DIRECT);
    if (fd >= 0) {
        close(fd);
        test_run("block/direct-bounce", test_direct_bounce);
    } else {
        test_skip("block/direct-bounce", "the file system of /var/tmp has no O_DIRECT");
    }
    unlink(probe);
    free(probe);
    return test_summary();
}
