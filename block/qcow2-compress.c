/*
 * qcow2 compressed clusters: raw deflate streams (zlib, window 2^12), each
 * one guest cluster.  An L2 entry with bit 62 set holds the host byte
 * offset in its low x = 62 - (cluster_bits - 8) bits and, above that, the
 * number of 512-byte sectors the data occupies beyond the first.
 *
 * Writing (osprey-img convert -c) packs the streams into host clusters, on
 * 512-byte boundaries, never across a cluster boundary; each stream holds
 * one reference on its host cluster.
 */
#include <errno.h>
#include <inttypes.h>

#include "block/qcow2.h"

#ifdef CONFIG_ZLIB
#include <zlib.h>
#endif

static void compressed_extent(BDRVQcow2State *s, uint64_t entry, uint64_t *off, uint64_t *len)
{
    int x = 62 - (s->cluster_bits - 8);
    *off = entry & ((1ULL << x) - 1);
    uint64_t sectors = ((entry & ~(QCOW_OFLAG_COMPRESSED | QCOW_OFLAG_COPIED)) >> x) + 1;
    *len = sectors * 512 - (*off & 511);
}

int qcow2_read_compressed(BlockDriverState *bs, uint64_t entry, uint8_t *cluster)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off, len;
    compressed_extent(s, entry, &off, &len);
#ifdef CONFIG_ZLIB
    /* A deflate stream of one cluster never needs much more than the cluster itself. */
    if (len > 2 * s->cluster_size + 512) {
        qcow2_signal_corruption(bs, "compressed cluster at 0x%" PRIx64 " claims %" PRIu64
                                " bytes", off, len);
        return -EIO;
    }
    int64_t file_len = s->file->drv->getlength(s->file);
    if (file_len < 0 || off >= (uint64_t)file_len) {
        qcow2_signal_corruption(bs, "compressed cluster at 0x%" PRIx64 " is past the end of "
                                "the file", off);
        return -EIO;
    }
    if (!s->compressed_buf) {
        s->compressed_buf = xmalloc(2 * s->cluster_size + 512);
    }
    int ret = bdrv_pread(s->file, off, s->compressed_buf, len);
    if (ret < 0) {
        return ret;
    }
    z_stream z = {0};
    if (inflateInit2(&z, -12) != Z_OK) {
        return -ENOMEM;
    }
    z.next_in = s->compressed_buf;
    z.avail_in = len;
    z.next_out = cluster;
    z.avail_out = s->cluster_size;
    int zr = inflate(&z, Z_FINISH);
    bool full = z.avail_out == 0;
    inflateEnd(&z);
    /* The stored length is rounded up to sectors, so input may be left over. */
    if (!full || (zr != Z_STREAM_END && zr != Z_BUF_ERROR && zr != Z_OK)) {
        error_report("'%s': the compressed cluster at host offset 0x%" PRIx64
                     " does not inflate to a whole cluster (corrupt image)", bs->filename, off);
        return -EIO;
    }
    return 0;
#else
    error_report("'%s': compressed clusters need zlib, which this build lacks", bs->filename);
    return -ENOTSUP;
#endif
}

int qcow2_write_compressed(BlockDriverState *bs, uint64_t guest_offset, const uint8_t *cluster)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    struct iovec iov = {.iov_base = (void *)cluster, .iov_len = cs};
    if (s->corrupt) {
        return -EIO;
    }
    if (guest_offset & (cs - 1) || guest_offset + cs > ((s->size + cs - 1) & ~(cs - 1))) {
        return -EINVAL;
    }
    uint64_t valid = MIN(cs, s->size - guest_offset);
    iov.iov_len = valid;
#ifdef CONFIG_ZLIB
    uint8_t *out = xmalloc(cs);
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out);
        return -ENOMEM;
    }
    z.next_in = (uint8_t *)cluster;
    z.avail_in = cs;
    z.next_out = out;
    z.avail_out = cs;
    int zr = deflate(&z, Z_FINISH);
    uint64_t clen = cs - z.avail_out;
    deflateEnd(&z);
    if (zr != Z_STREAM_END || clen >= cs - 512) {
        /* Does not shrink: store it plainly. */
        free(out);
        return bs->drv->pwritev(bs, guest_offset, &iov, 1);
    }
    uint64_t entry;
    int ret = qcow2_get_l2_entry(bs, guest_offset, &entry);
    if (ret < 0) {
        free(out);
        return ret;
    }
    uint64_t space = (clen + 511) & ~511ULL;
    uint64_t off = s->compressed_next;
    uint64_t rc = 0;
    if (off && qcow2_get_refcount(bs, off >> s->cluster_bits, &rc) == 0 && rc > 0 &&
        (off & (cs - 1)) + space <= cs) {
        ret = qcow2_update_refcount(bs, off, 512, 1);
    } else {
        int64_t fresh = qcow2_alloc_clusters(bs, 1);
        ret = fresh < 0 ? fresh : 0;
        off = fresh;
    }
    if (ret < 0) {
        free(out);
        return ret;
    }
    ret = bdrv_pwrite(s->file, off, out, clen);
    free(out);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, off & ~(cs - 1), cs);
        return ret;
    }
    s->compressed_next = (off + space) & (cs - 1) ? off + space : 0;
    int x = 62 - (s->cluster_bits - 8);
    uint64_t e = QCOW_OFLAG_COMPRESSED | ((space / 512 - 1) << x) | off;
    ret = qcow2_set_l2_entries(bs, guest_offset, &e, 1);
    if (ret < 0) {
        return ret;
    }
    if (entry & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)) {
        ret = bdrv_barrier(s->file);
        s->decompressed_entry = 0;
        qcow2_free_l2_entry_target(bs, entry);
    }
    return ret;
#else
    return bs->drv->pwritev(bs, guest_offset, &iov, 1);
#endif
}
