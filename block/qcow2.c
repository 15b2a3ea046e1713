/*
 * The qcow2 format driver: the header and its extensions, open (where every
 * size and offset of a possibly hostile image is checked before use),
 * create, and the read and write paths.
 *
 * Reference: the qcow2 specification (docs/interop/qcow2.txt in QEMU's
 * documentation).  See qcow2.h for the crash-consistency ordering.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <unistd.h>

#include "block/qcow2.h"

static int qcow2_probe(const uint8_t *buf, size_t len)
{
    if (len >= 8 && qcow2_ldl_be(buf) == QCOW2_MAGIC) {
        uint32_t version = qcow2_ldl_be(buf + 4);
        return version >= 2 ? 100 : 0;
    }
    return 0;
}

void qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) {
        msg = NULL;
    }
    va_end(ap);
    if (!s->corrupt) {
        error_report("'%s': corrupt qcow2 image: %s; no further writes to it", bs->filename,
                     msg ? msg : "?");
    }
    free(msg);
    s->corrupt = true;
}

/* The header fields at their offsets (qcow2 spec, "Header"). */
static void header_encode(BDRVQcow2State *s, uint8_t *h, uint64_t backing_offset,
                          uint32_t backing_size)
{
    qcow2_stl_be(h + 0, QCOW2_MAGIC);
    qcow2_stl_be(h + 4, s->version);
    qcow2_stq_be(h + 8, backing_offset);
    qcow2_stl_be(h + 16, backing_size);
    qcow2_stl_be(h + 20, s->cluster_bits);
    qcow2_stq_be(h + 24, s->size);
    qcow2_stl_be(h + 32, 0);
    qcow2_stl_be(h + 36, s->l1_size);
    qcow2_stq_be(h + 40, s->l1_table_offset);
    qcow2_stq_be(h + 48, s->refcount_table_offset);
    qcow2_stl_be(h + 56, s->refcount_table_clusters);
    qcow2_stl_be(h + 60, s->nb_snapshots);
    qcow2_stq_be(h + 64, s->snapshots_offset);
    if (s->version >= 3) {
        qcow2_stq_be(h + 72, s->incompatible);
        qcow2_stq_be(h + 80, s->compatible);
        qcow2_stq_be(h + 88, s->autoclear);
        qcow2_stl_be(h + 96, s->refcount_order);
        qcow2_stl_be(h + 100, s->header_length);
    }
}

int qcow2_write_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *buf = xzalloc(s->cluster_size);
    uint64_t pos = s->version >= 3 ? s->header_length : QCOW2_V2_HEADER_LENGTH;
    int ret = -ENOSPC;
    if (s->backing_format) {
        size_t n = strlen(s->backing_format);
        if (pos + 8 + ((n + 7) & ~7ULL) > s->cluster_size) {
            goto out;
        }
        qcow2_stl_be(buf + pos, QCOW2_EXT_BACKING_FORMAT);
        qcow2_stl_be(buf + pos + 4, n);
        memcpy(buf + pos + 8, s->backing_format, n);
        pos += 8 + ((n + 7) & ~7ULL);
    }
    for (int i = 0; i < s->nb_extensions; i++) {
        Qcow2Extension *e = &s->extensions[i];
        if (pos + 8 + ((e->len + 7ULL) & ~7ULL) > s->cluster_size) {
            goto out;
        }
        qcow2_stl_be(buf + pos, e->type);
        qcow2_stl_be(buf + pos + 4, e->len);
        memcpy(buf + pos + 8, e->data, e->len);
        pos += 8 + ((e->len + 7ULL) & ~7ULL);
    }
    pos += 8; /* the end marker: type 0, length 0 */
    uint64_t backing_offset = 0;
    uint32_t backing_size = 0;
    if (s->backing_file) {
        backing_size = strlen(s->backing_file);
        if (pos + backing_size > s->cluster_size) {
            goto out;
        }
        backing_offset = pos;
        memcpy(buf + pos, s->backing_file, backing_size);
        pos += backing_size;
    }
    header_encode(s, buf, backing_offset, backing_size);
    ret = bdrv_pwrite(s->file, 0, buf, (pos + 511) & ~511ULL);
out:
    free(buf);
    if (ret == -ENOSPC) {
        error_report("'%s': the header, its extensions and the backing file name do not fit "
                     "in one cluster", bs->filename);
    }
    return ret;
}

static void qcow2_free_state(BDRVQcow2State *s)
{
    bdrv_close(s->backing);
    bdrv_close(s->file);
    free(s->backing_file);
    free(s->backing_format);
    free(s->l1_table);
    free(s->refcount_table);
    for (int i = 0; i < s->nb_extensions; i++) {
        free(s->extensions[i].data);
    }
    free(s->extensions);
    qcow2_cache_destroy(&s->l2_cache);
    qcow2_cache_destroy(&s->refblock_cache);
    free(s->decompressed);
    free(s->compressed_buf);
}

/* Extensions between the header and the end of cluster 0; unknown ones are kept. */
static bool qcow2_read_extensions(BlockDriverState *bs, const uint8_t *c0, uint64_t start,
                                  uint64_t end, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t pos = start;
    for (int count = 0;; count++) {
        if (pos + 8 > end) {
            break; /* no end marker but no room: QEMU accepts this too */
        }
        uint32_t type = qcow2_ldl_be(c0 + pos);
        uint32_t len = qcow2_ldl_be(c0 + pos + 4);
        if (type == QCOW2_EXT_END) {
            break;
        }
        if (count >= 256 || len > end - pos - 8) {
            error_setg(errp, "'%s': header extension 0x%08x at offset %" PRIu64
                       " overruns the header cluster (corrupt image)", bs->filename, type, pos);
            return false;
        }
        const uint8_t *data = c0 + pos + 8;
        if (type == QCOW2_EXT_BACKING_FORMAT) {
            free(s->backing_format);
            s->backing_format = xstrndup((const char *)data, len);
        } else {
            s->extensions = xrealloc(s->extensions,
                                     (s->nb_extensions + 1) * sizeof(*s->extensions));
            Qcow2Extension *e = &s->extensions[s->nb_extensions++];
            e->type = type;
            e->len = len;
            e->data = xmalloc(len ? len : 1);
            memcpy(e->data, data, len);
        }
        pos += 8 + ((len + 7ULL) & ~7ULL);
    }
    return true;
}

static bool qcow2_check_table(BlockDriverState *bs, const char *what, uint64_t offset,
                              uint64_t bytes, int64_t file_len, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (offset & (s->cluster_size - 1)) {
        error_setg(errp, "'%s': %s offset 0x%" PRIx64 " is not cluster-aligned (corrupt image)",
                   bs->filename, what, offset);
        return false;
    }
    if (offset == 0 && bytes) {
        error_setg(errp, "'%s': %s at offset 0 overlaps the header (corrupt image)",
                   bs->filename, what);
        return false;
    }
    if (offset > (uint64_t)file_len || bytes > (uint64_t)file_len - offset) {
        error_setg(errp, "'%s': %s (offset 0x%" PRIx64 ", %" PRIu64 " bytes) extends past the "
                   "end of the file (corrupt or truncated image)", bs->filename, what, offset,
                   bytes);
        return false;
    }
    return true;
}

char *qcow2_backing_path(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (!s->backing_file) {
        return NULL;
    }
    if (s->backing_file[0] == '/' || !strchr(bs->filename, '/')) {
        return xstrdup(s->backing_file);
    }
    /* Relative names are relative to the directory of the image that names them. */
    char *copy = xstrdup(bs->filename);
    char *path = xasprintf("%s/%s", dirname(copy), s->backing_file);
    free(copy);
    return path;
}

bool qcow2_open_backing(BlockDriverState *bs, const char *override, int depth, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (!s->backing_file) {
        return true;
    }
    if (depth >= QCOW2_MAX_BACKING_DEPTH) {
        error_setg(errp, "'%s': the backing chain is more than %d images deep "
                   "(a backing file loop?)", bs->filename, QCOW2_MAX_BACKING_DEPTH);
        return false;
    }
    char *path = override ? xstrdup(override) : qcow2_backing_path(bs);
    BlockOpenOptions o = {
        .format = s->backing_format, .read_only = true, .cache = bs->cache,
    };
    if (o.format && strcmp(o.format, "raw") && strcmp(o.format, "qcow2")) {
        error_setg(errp, "'%s': backing format '%s' is not supported", bs->filename, o.format);
        free(path);
        return false;
    }
    s->backing = bdrv_open_backing(path, &o, depth + 1, errp);
    if (!s->backing) {
        error_prepend(errp, "backing file of '%s': ", bs->filename);
    }
    free(path);
    return s->backing != NULL;
}

static bool qcow2_do_open(BlockDriverState *bs, const BlockOpenOptions *opts, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    BlockOpenOptions fo = {.read_only = bs->read_only, .cache = opts->cache,
                           .no_lock = opts->no_lock};
    fo.format = "raw";
    s->file = bdrv_open_backing(bs->filename, &fo, 0, errp);
    if (!s->file) {
        return false;
    }
    s->file->cache = opts->cache;
    int64_t file_len = s->file->drv->getlength(s->file);
    if (file_len < 0) {
        error_setg(errp, "'%s': %s", bs->filename, strerror(-file_len));
        return false;
    }
    uint8_t h[QCOW2_V3_HEADER_LENGTH] = {0};
    if (file_len < QCOW2_V2_HEADER_LENGTH) {
        error_setg(errp, "'%s': truncated qcow2 header (the file has %" PRId64 " bytes)",
                   bs->filename, file_len);
        return false;
    }
    if (bdrv_pread(s->file, 0, h, MIN((int64_t)sizeof(h), file_len)) < 0) {
        error_setg(errp, "'%s': could not read the header", bs->filename);
        return false;
    }
    if (qcow2_ldl_be(h) != QCOW2_MAGIC) {
        error_setg(errp, "'%s': not a qcow2 image (bad magic)", bs->filename);
        return false;
    }
    s->version = qcow2_ldl_be(h + 4);
    if (s->version != 2 && s->version != 3) {
        error_setg(errp, "'%s': qcow2 version %d is not supported (2 and 3 are)", bs->filename,
                   s->version);
        return false;
    }
    uint64_t backing_offset = qcow2_ldq_be(h + 8);
    uint32_t backing_size = qcow2_ldl_be(h + 16);
    s->cluster_bits = qcow2_ldl_be(h + 20);
    s->size = qcow2_ldq_be(h + 24);
    uint32_t crypt = qcow2_ldl_be(h + 32);
    s->l1_size = qcow2_ldl_be(h + 36);
    s->l1_table_offset = qcow2_ldq_be(h + 40);
    s->refcount_table_offset = qcow2_ldq_be(h + 48);
    s->refcount_table_clusters = qcow2_ldl_be(h + 56);
    s->nb_snapshots = qcow2_ldl_be(h + 60);
    s->snapshots_offset = qcow2_ldq_be(h + 64);
    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS || s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "'%s': cluster size 2^%d is invalid (512 bytes to 2 MiB)",
                   bs->filename, s->cluster_bits);
        return false;
    }
    s->cluster_size = 1ULL << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_entries = 1ULL << s->l2_bits;
    if (s->version == 2) {
        s->header_length = QCOW2_V2_HEADER_LENGTH;
        s->refcount_order = 4;
    } else {
        if (file_len < QCOW2_V3_HEADER_LENGTH) {
            error_setg(errp, "'%s': truncated qcow2 version 3 header", bs->filename);
            return false;
        }
        s->incompatible = qcow2_ldq_be(h + 72);
        s->compatible = qcow2_ldq_be(h + 80);
        s->autoclear = qcow2_ldq_be(h + 88);
        s->refcount_order = qcow2_ldl_be(h + 96);
        s->header_length = qcow2_ldl_be(h + 100);
        if (s->header_length < QCOW2_V3_HEADER_LENGTH || s->header_length > s->cluster_size ||
            (s->header_length & 7)) {
            error_setg(errp, "'%s': header length %u is invalid", bs->filename,
                       s->header_length);
            return false;
        }
        if (s->refcount_order > 6) {
            error_setg(errp, "'%s': refcount width 2^%d bits is invalid (at most 64)",
                       bs->filename, s->refcount_order);
            return false;
        }
    }
    if (crypt) {
        error_setg(errp, "'%s': encrypted qcow2 images are not supported", bs->filename);
        return false;
    }
    uint64_t unknown = s->incompatible & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT);
    if (unknown) {
        error_setg(errp, "'%s': unsupported qcow2 incompatible features 0x%" PRIx64
                   " (external data file, compression type or extended L2 entries)",
                   bs->filename, unknown);
        return false;
    }
    if ((s->incompatible & QCOW2_INCOMPAT_CORRUPT) && !bs->read_only) {
        error_setg(errp, "'%s': the image is marked corrupt; it can only be opened read-only "
                   "(repair it with osprey-img check -r all)", bs->filename);
        return false;
    }

    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX : (1ULL << s->refcount_bits) - 1;
    s->refblock_bits = s->cluster_bits + 3 - s->refcount_order;

    if (s->size > QCOW2_MAX_SIZE) {
        error_setg(errp, "'%s': disk size %" PRIu64 " is too large", bs->filename, s->size);
        return false;
    }
    uint64_t l2_span = s->cluster_size * s->l2_entries;
    uint64_t l1_needed = (s->size + l2_span - 1) / l2_span;
    if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "'%s': L1 table size %u is too large (corrupt image)", bs->filename,
                   s->l1_size);
        return false;
    }
    if (s->l1_size < l1_needed) {
        error_setg(errp, "'%s': L1 table (%u entries) is too small for the disk size %" PRIu64
                   " (corrupt image)", bs->filename, s->l1_size, s->size);
        return false;
    }
    if ((uint64_t)s->refcount_table_clusters << s->cluster_bits > QCOW2_MAX_REFTABLE_BYTES) {
        error_setg(errp, "'%s': refcount table of %u clusters is too large (corrupt image)",
                   bs->filename, s->refcount_table_clusters);
        return false;
    }
    if (s->refcount_table_clusters == 0) {
        error_setg(errp, "'%s': the image has no refcount table (corrupt image)", bs->filename);
        return false;
    }
    if (!qcow2_check_table(bs, "L1 table", s->l1_table_offset, (uint64_t)s->l1_size * 8,
                           file_len, errp) ||
        !qcow2_check_table(bs, "refcount table", s->refcount_table_offset,
                           (uint64_t)s->refcount_table_clusters << s->cluster_bits, file_len,
                           errp)) {
        return false;
    }
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "'%s': %u snapshots is too many (corrupt image)", bs->filename,
                   s->nb_snapshots);
        return false;
    }

    /* Cluster 0: extensions and the backing file name. */
    uint64_t c0_len = MIN(s->cluster_size, (uint64_t)file_len);
    uint8_t *c0 = xzalloc(s->cluster_size);
    if (bdrv_pread(s->file, 0, c0, c0_len) < 0) {
        free(c0);
        error_setg(errp, "'%s': could not read the header cluster", bs->filename);
        return false;
    }
    bool ok = true;
    if (backing_offset) {
        if (backing_size == 0 || backing_size > QCOW2_MAX_BACKING_NAME ||
            backing_offset < s->header_length || backing_offset > s->cluster_size ||
            backing_size > s->cluster_size - backing_offset) {
            error_setg(errp, "'%s': backing file name (offset %" PRIu64 ", %u bytes) is invalid "
                       "(corrupt image)", bs->filename, backing_offset, backing_size);
            ok = false;
        } else {
            s->backing_file = xstrndup((const char *)c0 + backing_offset, backing_size);
        }
    }
    /* Extensions end where the backing file name starts. */
    uint64_t ext_end = backing_offset ? backing_offset : s->cluster_size;
    ok = ok && qcow2_read_extensions(bs, c0, s->header_length, ext_end, errp);
    free(c0);
    if (!ok) {
        return false;
    }

    s->l1_table = xcalloc(s->l1_size ? s->l1_size : 1, 8);
    if (bdrv_pread(s->file, s->l1_table_offset, s->l1_table, (uint64_t)s->l1_size * 8) < 0) {
        error_setg(errp, "'%s': could not read the L1 table", bs->filename);
        return false;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = be64toh(s->l1_table[i]);
        uint64_t off = s->l1_table[i] & L1E_OFFSET_MASK;
        if (off && (!qcow2_host_offset_valid(bs, off))) {
            error_setg(errp, "'%s': L1 entry %u points to an L2 table at 0x%" PRIx64
                       " that is misaligned or past the end of the file (corrupt image)",
                       bs->filename, i, off);
            return false;
        }
    }
    if (qcow2_load_refcount_table(bs, errp) < 0) {
        return false;
    }
    if (qcow2_read_snapshots(bs, errp) < 0) {
        return false;
    }
    int l2_entries = MAX(4, MIN(256, (int)((4u << 20) >> s->cluster_bits)));
    int rb_entries = MAX(4, MIN(64, (int)((1u << 20) >> s->cluster_bits)));
    qcow2_cache_init(&s->l2_cache, l2_entries, s->cluster_size);
    qcow2_cache_init(&s->refblock_cache, rb_entries, s->cluster_size);
    s->decompressed = xmalloc(s->cluster_size);
    s->decompressed_entry = 0;

    bool header_changed = false;
    if ((s->incompatible & QCOW2_INCOMPAT_DIRTY) && !bs->read_only) {
        /* Lazy refcounts were in use and the writer did not close cleanly: repair. */
        Qcow2CheckResult r;
        if (qcow2_check(bs, &r, QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS, NULL) < 0 ||
            r.corruptions) {
            error_setg(errp, "'%s': the image was not closed cleanly and could not be "
                       "repaired", bs->filename);
            return false;
        }
        s->incompatible &= ~QCOW2_INCOMPAT_DIRTY;
        header_changed = true;
    }
    if (!bs->read_only && s->version >= 3 &&
        ((s->compatible & QCOW2_COMPAT_LAZY_REFCOUNTS) || s->autoclear)) {
        /*
         * Lazy refcounts stay off: refcounts are always written before
         * references.  Autoclear features (bitmaps...) we do not maintain
         * become invalid once we write, so their bits go, as the spec asks.
         */
        s->compatible &= ~QCOW2_COMPAT_LAZY_REFCOUNTS;
        s->autoclear = 0;
        header_changed = true;
    }
    if (header_changed) {
        if (qcow2_write_header(bs) < 0) {
            error_setg(errp, "'%s': could not update the header", bs->filename);
            return false;
        }
    }
    return opts->no_backing || qcow2_open_backing(bs, NULL, bs->depth, errp);
}

static bool qcow2_open(BlockDriverState *bs, const BlockOpenOptions *opts, Error **errp)
{
    if (!qcow2_do_open(bs, opts, errp)) {
        qcow2_free_snapshots(bs);
        qcow2_free_state(bs->opaque);
        return false;
    }
    return true;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (!bs->read_only && !s->corrupt) {
        bdrv_barrier(s->file);
    }
    qcow2_free_snapshots(bs);
    qcow2_free_state(s);
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    return s->size;
}

/* Read [offset, offset+len) of one guest cluster, whatever holds it. */
static int qcow2_read_in_cluster(BlockDriverState *bs, uint64_t offset, uint8_t *buf,
                                 uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry;
    int ret = qcow2_get_l2_entry(bs, offset, &entry);
    if (ret < 0) {
        return ret;
    }
    uint64_t in = offset & (s->cluster_size - 1);
    if (entry & QCOW_OFLAG_COMPRESSED) {
        if (s->decompressed_entry != entry) {
            s->decompressed_entry = 0;
            ret = qcow2_read_compressed(bs, entry, s->decompressed);
            if (ret < 0) {
                return ret;
            }
            s->decompressed_entry = entry;
        }
        memcpy(buf, s->decompressed + in, len);
        return 0;
    }
    uint64_t host = entry & L2E_OFFSET_MASK;
    if (s->version >= 3 && (entry & QCOW_OFLAG_ZERO)) {
        memset(buf, 0, len);
        return 0;
    }
    if (host) {
        if (host & (s->cluster_size - 1)) {
            qcow2_signal_corruption(bs, "data cluster for guest offset 0x%" PRIx64
                                    " is at misaligned host offset 0x%" PRIx64, offset, host);
            return -EIO;
        }
        return bdrv_pread(s->file, host + in, buf, len);
    }
    if (s->backing) {
        int64_t blen = s->backing->drv->getlength(s->backing);
        if (blen < 0) {
            return blen;
        }
        uint64_t from_backing = offset < (uint64_t)blen ? MIN(len, (uint64_t)blen - offset) : 0;
        if (from_backing) {
            struct iovec iov = {.iov_base = buf, .iov_len = from_backing};
            ret = s->backing->drv->preadv(s->backing, offset, &iov, 1);
            if (ret < 0) {
                return ret;
            }
        }
        memset(buf + from_backing, 0, len - from_backing);
        return 0;
    }
    memset(buf, 0, len);
    return 0;
}

/* A cluster whose data is a plain, aligned host cluster of this image. */
static bool qcow2_entry_is_plain_data(BDRVQcow2State *s, uint64_t entry)
{
    uint64_t host = entry & L2E_OFFSET_MASK;
    return !(entry & QCOW_OFLAG_COMPRESSED) && !(s->version >= 3 && (entry & QCOW_OFLAG_ZERO)) &&
           host && !(host & (s->cluster_size - 1));
}

static int qcow2_read_linear(BlockDriverState *bs, uint64_t offset, uint8_t *buf, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    while (len) {
        uint64_t in = offset & (s->cluster_size - 1);
        uint64_t n = MIN(len, s->cluster_size - in);
        uint64_t entry;
        int ret = qcow2_get_l2_entry(bs, offset, &entry);
        if (ret < 0) {
            return ret;
        }
        if (qcow2_entry_is_plain_data(s, entry)) {
            /*
             * Clusters allocated one after the other (a sequential write) are read
             * with one request instead of one per cluster.
             */
            uint64_t host = (entry & L2E_OFFSET_MASK) + in;
            while (n < len) {
                uint64_t next;
                ret = qcow2_get_l2_entry(bs, offset + n, &next);
                if (ret < 0) {
                    return ret;
                }
                if (!qcow2_entry_is_plain_data(s, next) ||
                    (next & L2E_OFFSET_MASK) != host + n) {
                    break;
                }
                n += MIN(len - n, s->cluster_size);
            }
            ret = bdrv_pread(s->file, host, buf, n);
        } else {
            ret = qcow2_read_in_cluster(bs, offset, buf, n);
        }
        if (ret < 0) {
            return ret;
        }
        offset += n;
        buf += n;
        len -= n;
    }
    return 0;
}

/* A linear view of an iovec: the buffer itself when there is one, else a copy. */
static uint8_t *iov_linear(const struct iovec *iov, int iovcnt, size_t len, bool copy_in)
{
    if (iovcnt == 1) {
        return iov[0].iov_base;
    }
    uint8_t *buf = xmalloc(len ? len : 1);
    if (copy_in) {
        size_t pos = 0;
        for (int i = 0; i < iovcnt; i++) {
            memcpy(buf + pos, iov[i].iov_base, iov[i].iov_len);
            pos += iov[i].iov_len;
        }
    }
    return buf;
}

static int qcow2_preadv(BlockDriverState *bs, int64_t offset, const struct iovec *iov,
                        int iovcnt)
{
    size_t len = iov_size(iov, iovcnt);
    uint8_t *buf = iov_linear(iov, iovcnt, len, false);
    int ret = qcow2_read_linear(bs, offset, buf, len);
    if (iovcnt != 1) {
        size_t pos = 0;
        for (int i = 0; i < iovcnt && ret == 0; i++) {
            memcpy(iov[i].iov_base, buf + pos, iov[i].iov_len);
            pos += iov[i].iov_len;
        }
        free(buf);
    }
    return ret;
}

static bool entry_writable_in_place(BDRVQcow2State *s, uint64_t entry)
{
    return !(entry & QCOW_OFLAG_COMPRESSED) && (entry & QCOW_OFLAG_COPIED) &&
           !(s->version >= 3 && (entry & QCOW_OFLAG_ZERO)) && (entry & L2E_OFFSET_MASK) &&
           !((entry & L2E_OFFSET_MASK) & (s->cluster_size - 1));
}

/*
 * Write clusters [offset, offset+len) that need new host clusters (all in one
 * L2 table): allocate them contiguously, fill them (old contents around a
 * partial write), then point the L2 entries at them and free what they replace.
 */
static int qcow2_write_allocating(BlockDriverState *bs, uint64_t offset, const uint8_t *data,
                                  uint64_t len, const uint64_t *old, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t first = offset & ~(cs - 1);
    int ret = 0;
    uint64_t head = offset - first;
    uint64_t tail_end = head + len;
    /*
     * Whole clusters (a guest's large sequential write) go out as they are; only
     * partial ones are merged with the old contents in a buffer first.
     */
    uint8_t *buf = NULL;
    const uint8_t *out = data;
    if (head || len != n * cs) {
        buf = xmalloc(n * cs);
        if (head) {
            ret = qcow2_read_linear(bs, first, buf, cs);
        }
        if (ret == 0 && (tail_end & (cs - 1)) && (n > 1 || !head)) {
            ret = qcow2_read_linear(bs, first + (n - 1) * cs, buf + (n - 1) * cs, cs);
        }
        if (ret < 0) {
            free(buf);
            return ret;
        }
        memcpy(buf + head, data, len);
        out = buf;
    }
    int64_t host = qcow2_alloc_clusters(bs, n);
    if (host < 0) {
        free(buf);
        return host;
    }
    ret = bdrv_pwrite(s->file, host, out, n * cs);
    free(buf);
    if (ret == 0) {
        ret = bdrv_barrier(s->file); /* refcounts and data before the L2 entries */
    }
    uint64_t *entries = xmalloc(n * 8);
    for (uint64_t i = 0; i < n; i++) {
        entries[i] = ((uint64_t)host + i * cs) | QCOW_OFLAG_COPIED;
    }
    if (ret == 0) {
        ret = qcow2_set_l2_entries(bs, first, entries, n);
    }
    free(entries);
    if (ret < 0) {
        qcow2_free_clusters(bs, host, n * cs);
        return ret;
    }
    bool any_old = false;
    for (uint64_t i = 0; i < n; i++) {
        any_old |= (old[i] & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)) != 0;
    }
    if (any_old) {
        ret = bdrv_barrier(s->file); /* the new references before freeing the old clusters */
        if (ret < 0) {
            return ret;
        }
        for (uint64_t i = 0; i < n; i++) {
            if (old[i] & QCOW_OFLAG_COMPRESSED) {
                s->decompressed_entry = 0;
            }
            qcow2_free_l2_entry_target(bs, old[i]);
        }
    }
    return 0;
}

static int qcow2_write_linear(BlockDriverState *bs, uint64_t offset, const uint8_t *data,
                              uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t max_batch = MIN(s->l2_entries, (uint64_t)(8u << 20) >> s->cluster_bits);
    max_batch = MAX(max_batch, 1);
    uint64_t *old = xmalloc(max_batch * 8);
    int ret = 0;
    while (len && ret == 0) {
        uint64_t entry;
        ret = qcow2_get_l2_entry(bs, offset, &entry);
        if (ret < 0) {
            break;
        }
        uint64_t in = offset & (cs - 1);
        if (entry_writable_in_place(s, entry)) {
            uint64_t n = MIN(len, cs - in);
            uint64_t host = (entry & L2E_OFFSET_MASK) + in;
            if (qcow2_overlaps_metadata(bs, host, n)) {
                ret = -EIO;
                break;
            }
            ret = bdrv_pwrite(s->file, host, data, n);
            offset += n;
            data += n;
            len -= n;
            continue;
        }
        /* A run of clusters that all need allocation, within one L2 table. */
        uint64_t count = 1;
        uint64_t run_len = MIN(len, cs - in);
        old[0] = entry;
        while (run_len < len && count < max_batch &&
               qcow2_l2_index(s, offset + run_len) != 0) {
            uint64_t e;
            ret = qcow2_get_l2_entry(bs, offset + run_len, &e);
            if (ret < 0 || entry_writable_in_place(s, e)) {
                break;
            }
            old[count++] = e;
            run_len += MIN(len - run_len, cs);
        }
        if (ret < 0) {
            break;
        }
        ret = qcow2_write_allocating(bs, offset, data, run_len, old, count);
        offset += run_len;
        data += run_len;
        len -= run_len;
    }
    free(old);
    return ret;
}

static int qcow2_pwritev(BlockDriverState *bs, int64_t offset, const struct iovec *iov,
                         int iovcnt)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->corrupt) {
        return -EIO;
    }
    size_t len = iov_size(iov, iovcnt);
    uint8_t *buf = iov_linear(iov, iovcnt, len, true);
    int ret = qcow2_write_linear(bs, offset, buf, len);
    if (iovcnt != 1) {
        free(buf);
    }
    return ret;
}

static int qcow2_flush(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    return s->file->drv->flush(s->file);
}

/*
 * Discard whole clusters: with a backing file (version 3) they become zero
 * clusters so the backing data does not show through; otherwise unallocated.
 */
static int qcow2_pdiscard(BlockDriverState *bs, int64_t offset, int64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    if (s->corrupt) {
        return -EIO;
    }
    uint64_t start = ((uint64_t)offset + cs - 1) & ~(cs - 1);
    uint64_t end = MIN((uint64_t)(offset + len), s->size);
    if (end == s->size) {
        end = (end + cs - 1) & ~(cs - 1); /* the partial last cluster counts as whole */
    } else {
        end &= ~(cs - 1);
    }
    uint64_t replacement = s->backing ? QCOW_OFLAG_ZERO : 0;
    if (s->backing && s->version < 3) {
        return 0; /* no zero clusters in version 2: keep the data */
    }
    for (uint64_t pos = start; pos < end; pos += cs) {
        uint64_t entry;
        int ret = qcow2_get_l2_entry(bs, pos, &entry);
        if (ret < 0) {
            return ret;
        }
        if (entry == replacement) {
            continue;
        }
        ret = qcow2_set_l2_entries(bs, pos, &replacement, 1);
        if (ret == 0) {
            ret = bdrv_barrier(s->file);
        }
        if (ret < 0) {
            return ret;
        }
        if (entry & QCOW_OFLAG_COMPRESSED) {
            s->decompressed_entry = 0;
        }
        qcow2_free_l2_entry_target(bs, entry);
    }
    return 0;
}

static int qcow2_block_status(BlockDriverState *bs, int64_t offset, int64_t len, int64_t *pnum,
                              int64_t *map)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int status = -1;
    uint64_t expect_host = 0;
    *pnum = 0;
    *map = 0;
    while (*pnum < len) {
        uint64_t pos = offset + *pnum;
        uint64_t l1_index = qcow2_l1_index(s, pos);
        if (l1_index < s->l1_size && !(s->l1_table[l1_index] & L1E_OFFSET_MASK) &&
            status == (s->backing ? BDRV_BLOCK_BACKING : BDRV_BLOCK_ZERO)) {
            /* No L2 table: the whole span it would map shares the status; skip it at once. */
            uint64_t span_end = (l1_index + 1) << (s->cluster_bits + s->l2_bits);
            *pnum = MIN((uint64_t)len, span_end - offset);
            continue;
        }
        uint64_t entry;
        int ret = qcow2_get_l2_entry(bs, pos, &entry);
        if (ret < 0) {
            return ret;
        }
        uint64_t host = entry & L2E_OFFSET_MASK;
        int st;
        if (entry & QCOW_OFLAG_COMPRESSED) {
            st = BDRV_BLOCK_DATA | BDRV_BLOCK_COMPRESSED;
        } else if (s->version >= 3 && (entry & QCOW_OFLAG_ZERO)) {
            st = BDRV_BLOCK_ZERO;
        } else if (host) {
            st = BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET;
        } else {
            st = s->backing ? BDRV_BLOCK_BACKING : BDRV_BLOCK_ZERO;
        }
        uint64_t in = pos & (cs - 1);
        if (status < 0) {
            status = st;
            if (st & BDRV_BLOCK_OFFSET) {
                *map = host + in;
            }
        } else if (st != status || ((st & BDRV_BLOCK_OFFSET) && host + in != expect_host)) {
            break;
        }
        uint64_t n = MIN((uint64_t)(len - *pnum), cs - in);
        expect_host = host + in + n;
        *pnum += n;
    }
    return status;
}

static int qcow2_truncate(BlockDriverState *bs, int64_t size, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if ((uint64_t)size < s->size) {
        error_setg(errp, "'%s': shrinking a qcow2 image is not supported", bs->filename);
        return -ENOTSUP;
    }
    if ((uint64_t)size > QCOW2_MAX_SIZE) {
        error_setg(errp, "'%s': %" PRId64 " bytes is too large", bs->filename, size);
        return -EFBIG;
    }
    uint64_t l2_span = s->cluster_size * s->l2_entries;
    int ret = qcow2_grow_l1(bs, ((uint64_t)size + l2_span - 1) / l2_span);
    if (ret < 0) {
        error_setg(errp, "'%s': could not grow the L1 table: %s", bs->filename, strerror(-ret));
        return ret;
    }
    uint8_t be[8];
    qcow2_stq_be(be, size);
    ret = bdrv_pwrite(s->file, 24, be, 8);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        error_setg(errp, "'%s': could not write the new size: %s", bs->filename,
                   strerror(-ret));
        return ret;
    }
    s->size = size;
    return 0;
}

bool qcow2_create(const char *filename, const Qcow2CreateOptions *o, Error **errp)
{
    uint64_t cs = o->cluster_size ? o->cluster_size : 65536;
    int bits = __builtin_ctzll(cs);
    if ((cs & (cs - 1)) || bits < QCOW2_MIN_CLUSTER_BITS || bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "cluster size %" PRIu64 " must be a power of two between 512 and 2M",
                   cs);
        return false;
    }
    int rbits = o->refcount_bits ? o->refcount_bits : 16;
    if ((rbits & (rbits - 1)) || rbits > 64 || (o->version == 2 && rbits != 16)) {
        error_setg(errp, "refcount_bits=%d is invalid (a power of two up to 64; 16 for compat=0.10)",
                   rbits);
        return false;
    }
    if (o->size > QCOW2_MAX_SIZE) {
        error_setg(errp, "image size %" PRIu64 " is too large", o->size);
        return false;
    }
    BDRVQcow2State st = {0};
    BDRVQcow2State *s = &st;
    s->version = o->version ? o->version : 3;
    s->cluster_bits = bits;
    s->cluster_size = cs;
    s->l2_bits = bits - 3;
    s->l2_entries = cs / 8;
    s->size = o->size;
    s->refcount_order = __builtin_ctz(rbits);
    s->refcount_bits = rbits;
    s->refblock_bits = bits + 3 - s->refcount_order;
    s->header_length = QCOW2_V3_HEADER_LENGTH;
    uint64_t l2_span = cs * s->l2_entries;
    s->l1_size = (o->size + l2_span - 1) / l2_span;
    if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "image size %" PRIu64 " needs too large an L1 table for cluster size %"
                   PRIu64, o->size, cs);
        return false;
    }
    uint64_t l1_clusters = ((uint64_t)s->l1_size * 8 + cs - 1) / cs;
    /* Cluster 0 header, 1 refcount table, 2 refcount block, 3.. L1 table. */
    uint64_t used = 3 + l1_clusters;
    if (used > (1ULL << s->refblock_bits)) {
        error_setg(errp, "image size %" PRIu64 " is too large for cluster size %" PRIu64,
                   o->size, cs);
        return false;
    }
    s->refcount_table_offset = cs;
    s->refcount_table_clusters = 1;
    s->l1_table_offset = l1_clusters ? 3 * cs : 0;
    if (o->backing_file) {
        s->backing_file = (char *)o->backing_file;
        s->backing_format = (char *)o->backing_format;
    }
    int fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg(errp, "could not create '%s': %s", filename, strerror(errno));
        return false;
    }
    close(fd);
    BlockOpenOptions fo = {.format = "raw"};
    BlockDriverState *file = bdrv_open(filename, &fo, errp);
    if (!file) {
        return false;
    }
    BlockDriverState fake = {.filename = (char *)filename, .opaque = s};
    s->file = file;
    int ret = qcow2_write_header(&fake);
    uint8_t *buf = xzalloc(cs);
    if (ret == 0) {
        qcow2_stq_be(buf, 2 * cs);
        ret = bdrv_pwrite(file, cs, buf, cs);
    }
    if (ret == 0) {
        memset(buf, 0, cs);
        for (uint64_t i = 0; i < used; i++) {
            uint64_t v = 1;
            switch (s->refcount_order) {
            case 0: case 1: case 2:
                buf[(i << s->refcount_order) / 8] |= v << ((i << s->refcount_order) % 8);
                break;
            case 3: buf[i] = 1; break;
            case 4: qcow2_stw_be(buf + i * 2, 1); break;
            case 5: qcow2_stl_be(buf + i * 4, 1); break;
            default: qcow2_stq_be(buf + i * 8, 1); break;
            }
        }
        ret = bdrv_pwrite(file, 2 * cs, buf, cs);
    }
    if (ret == 0 && l1_clusters) {
        uint8_t *l1 = xzalloc(l1_clusters * cs);
        ret = bdrv_pwrite(file, 3 * cs, l1, l1_clusters * cs);
        free(l1);
    }
    if (ret == 0) {
        ret = file->drv->flush(file);
    }
    free(buf);
    bdrv_close(file);
    if (ret < 0) {
        error_setg(errp, "could not write '%s': %s", filename, strerror(-ret));
        return false;
    }
    return true;
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .state_size = sizeof(BDRVQcow2State),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .preadv = qcow2_preadv,
    .pwritev = qcow2_pwritev,
    .flush = qcow2_flush,
    .getlength = qcow2_getlength,
    .pdiscard = qcow2_pdiscard,
    .block_status = qcow2_block_status,
    .truncate = qcow2_truncate,
};
