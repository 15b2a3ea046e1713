/*
 * qcow2 reference counts: the refcount table, refcount blocks, cluster
 * allocation, growth of the table, and the consistency check.
 *
 * Placement rule: a refcount block we create always lives in the first
 * cluster of the range it describes, and counts itself.  A range without a
 * refcount block has no counted cluster, so that first cluster is free, and
 * the allocator never hands it out while the block is missing.  This keeps
 * every growth step self-contained: a new block never needs another block to
 * count it.
 */
#include <errno.h>
#include <inttypes.h>

#include "block/qcow2.h"

static uint64_t refblock_get(BDRVQcow2State *s, const uint8_t *rb, uint64_t i)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        int per_byte = 8 >> s->refcount_order;
        int shift = (i % per_byte) << s->refcount_order;
        return (rb[i / per_byte] >> shift) & ((1u << s->refcount_bits) - 1);
    }
    case 3: return rb[i];
    case 4: return be16toh(((const uint16_t *)rb)[i]);
    case 5: return be32toh(((const uint32_t *)rb)[i]);
    default: return be64toh(((const uint64_t *)rb)[i]);
    }
}

static void refblock_set(BDRVQcow2State *s, uint8_t *rb, uint64_t i, uint64_t v)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        int per_byte = 8 >> s->refcount_order;
        int shift = (i % per_byte) << s->refcount_order;
        uint8_t mask = ((1u << s->refcount_bits) - 1) << shift;
        rb[i / per_byte] = (rb[i / per_byte] & ~mask) | ((v << shift) & mask);
        break;
    }
    case 3: rb[i] = v; break;
    case 4: ((uint16_t *)rb)[i] = htobe16(v); break;
    case 5: ((uint32_t *)rb)[i] = htobe32(v); break;
    default: ((uint64_t *)rb)[i] = htobe64(v); break;
    }
}

/* Byte span of entries [first, last] inside a refcount block. */
static void refblock_span(BDRVQcow2State *s, uint64_t first, uint64_t last, uint64_t *start,
                          uint64_t *len)
{
    uint64_t b0 = (first << s->refcount_order) / 8;
    uint64_t b1 = ((last + 1) << s->refcount_order);
    b1 = (b1 + 7) / 8;
    *start = b0;
    *len = b1 - b0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int qcow2_load_refcount_table(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->refcount_table_clusters << s->cluster_bits;
    s->refcount_table_size = bytes / 8;
    s->refcount_table = xmalloc(bytes ? bytes : 8);
    int ret = bdrv_pread(s->file, s->refcount_table_offset, s->refcount_table, bytes);
    if (ret < 0) {
        error_setg(errp, "'%s': could not read the refcount table: %s", bs->filename,
                   strerror(-ret));
        return ret;
    }
    uint64_t *sorted = xmalloc(bytes ? bytes : 8);
    uint64_t used = 0;
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = be64toh(s->refcount_table[i]);
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (off && !qcow2_host_offset_valid(bs, off)) {
            error_setg(errp, "'%s': refcount block %" PRIu64 " at offset 0x%" PRIx64
                       " is misaligned or past the end of the file (corrupt image)",
                       bs->filename, i, off);
            free(sorted);
            return -EINVAL;
        }
        if (off) {
            sorted[used++] = off;
        }
    }
    /*
     * Two table entries sharing one block would make the allocator believe
     * in clusters that do not exist (and scan them all): refuse.
     */
    qsort(sorted, used, 8, cmp_u64);
    for (uint64_t i = 1; i < used; i++) {
        if (sorted[i] == sorted[i - 1]) {
            error_setg(errp, "'%s': two refcount table entries point to the block at 0x%"
                       PRIx64 " (corrupt image)", bs->filename, sorted[i]);
            free(sorted);
            return -EINVAL;
        }
    }
    free(sorted);
    return 0;
}

/* The refcount block for a table index: its offset, 0 when there is none. */
static uint64_t refblock_offset(BDRVQcow2State *s, uint64_t table_index)
{
    if (table_index >= s->refcount_table_size) {
        return 0;
    }
    return s->refcount_table[table_index] & REFT_OFFSET_MASK;
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index, uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rb_off = refblock_offset(s, cluster_index >> s->refblock_bits);
    if (!rb_off) {
        *refcount = 0;
        return 0;
    }
    uint8_t *rb;
    int ret = qcow2_cache_get(bs, &s->refblock_cache, rb_off, &rb);
    if (ret < 0) {
        return ret;
    }
    *refcount = refblock_get(s, rb, cluster_index & ((1ULL << s->refblock_bits) - 1));
    return 0;
}

/* Free for the allocator: refcount 0, and not the reserved home of a missing refcount block. */
static int cluster_is_free(BlockDriverState *bs, uint64_t cluster, bool *is_free)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t t = cluster >> s->refblock_bits;
    if (!refblock_offset(s, t)) {
        *is_free = (cluster & ((1ULL << s->refblock_bits) - 1)) != 0;
        return 0;
    }
    uint64_t rc;
    int ret = qcow2_get_refcount(bs, cluster, &rc);
    *is_free = rc == 0;
    return ret;
}

/* The first run of n free clusters at or after the hint. */
static int64_t find_free_run(BlockDriverState *bs, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = s->free_cluster_index, run = 0;
    for (uint64_t c = start;; c++) {
        if ((c << s->cluster_bits) >= QCOW2_MAX_SIZE) {
            return -ENOSPC;
        }
        bool is_free;
        int ret = cluster_is_free(bs, c, &is_free);
        if (ret < 0) {
            return ret;
        }
        if (!is_free) {
            run = 0;
            start = c + 1;
            continue;
        }
        if (++run == n) {
            return start;
        }
    }
}

static int write_table_entry(BlockDriverState *bs, uint64_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t be = htobe64(s->refcount_table[index]);
    return bdrv_pwrite(s->file, s->refcount_table_offset + index * 8, &be, 8);
}

/*
 * Replace the refcount table by a larger one covering at least min_entries.
 * The new table goes to free clusters; ranges it lands in that have no
 * refcount block get one (at their first cluster, counting itself and the
 * table clusters), listed only in the new table.  Then one header write
 * switches tables, and the old table's clusters are released.
 */
static int grow_refcount_table(BlockDriverState *bs, uint64_t min_entries)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t entries = MAX(min_entries, s->refcount_table_size * 2);
    uint64_t clusters = (entries + per_cluster - 1) / per_cluster + 1;
    entries = clusters * per_cluster;
    if (clusters * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        qcow2_signal_corruption(bs, "the refcount table would exceed %u bytes",
                                QCOW2_MAX_REFTABLE_BYTES);
        return -EFBIG;
    }
    int64_t first = find_free_run(bs, clusters);
    if (first < 0) {
        return first;
    }
    uint64_t *table = xcalloc(entries, 8);
    memcpy(table, s->refcount_table, s->refcount_table_size * 8);
    uint8_t *rb = xmalloc(s->cluster_size);
    int ret = 0;
    uint64_t t0 = (uint64_t)first >> s->refblock_bits;
    uint64_t t1 = ((uint64_t)first + clusters - 1) >> s->refblock_bits;
    if (t1 >= entries) {
        ret = -EFBIG;
        goto out;
    }
    for (uint64_t t = t0; t <= t1 && ret == 0; t++) {
        uint64_t range_first = t << s->refblock_bits;
        uint64_t range_last = range_first + (1ULL << s->refblock_bits) - 1;
        uint64_t c0 = MAX(range_first, (uint64_t)first);
        uint64_t c1 = MIN(range_last, (uint64_t)first + clusters - 1);
        uint64_t rb_off = refblock_offset(s, t);
        if (!rb_off) {
            /* A fresh block at the range's first cluster (the run never starts there). */
            memset(rb, 0, s->cluster_size);
            refblock_set(s, rb, 0, 1);
            for (uint64_t c = c0; c <= c1; c++) {
                refblock_set(s, rb, c - range_first, 1);
            }
            rb_off = range_first << s->cluster_bits;
            ret = bdrv_pwrite(s->file, rb_off, rb, s->cluster_size);
            qcow2_cache_forget(&s->refblock_cache, rb_off);
            table[t] = rb_off;
        } else {
            uint8_t *cached;
            ret = qcow2_cache_get(bs, &s->refblock_cache, rb_off, &cached);
            if (ret == 0) {
                for (uint64_t c = c0; c <= c1; c++) {
                    refblock_set(s, cached, c - range_first, 1);
                }
                uint64_t start, len;
                refblock_span(s, c0 - range_first, c1 - range_first, &start, &len);
                ret = bdrv_pwrite(s->file, rb_off + start, cached + start, len);
            }
        }
    }
    if (ret < 0) {
        goto out;
    }
    for (uint64_t i = 0; i < entries; i++) {
        table[i] = htobe64(table[i]);
    }
    uint64_t new_offset = (uint64_t)first << s->cluster_bits;
    ret = bdrv_pwrite(s->file, new_offset, table, entries * 8);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        goto out;
    }
    uint8_t hdr[12];
    qcow2_stq_be(hdr, new_offset);
    qcow2_stl_be(hdr + 8, clusters);
    ret = bdrv_pwrite(s->file, 48, hdr, 12);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        goto out;
    }
    uint64_t old_offset = s->refcount_table_offset;
    uint64_t old_clusters = s->refcount_table_clusters;
    for (uint64_t i = 0; i < entries; i++) {
        table[i] = be64toh(table[i]);
    }
    free(s->refcount_table);
    s->refcount_table = table;
    table = NULL;
    s->refcount_table_offset = new_offset;
    s->refcount_table_clusters = clusters;
    s->refcount_table_size = entries;
    qcow2_free_clusters(bs, old_offset, old_clusters << s->cluster_bits);
out:
    free(table);
    free(rb);
    return ret;
}

/* Make sure table entry t has a refcount block (growing the table if needed). */
static int ensure_refblock(BlockDriverState *bs, uint64_t t)
{
    BDRVQcow2State *s = bs->opaque;
    if (t >= s->refcount_table_size) {
        int ret = grow_refcount_table(bs, t + 1);
        if (ret < 0) {
            return ret;
        }
    }
    if (refblock_offset(s, t)) {
        return 0;
    }
    uint64_t rb_off = (t << s->refblock_bits) << s->cluster_bits;
    uint8_t *rb = xzalloc(s->cluster_size);
    refblock_set(s, rb, 0, 1);
    int ret = bdrv_pwrite(s->file, rb_off, rb, s->cluster_size);
    free(rb);
    qcow2_cache_forget(&s->refblock_cache, rb_off);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        return ret;
    }
    s->refcount_table[t] = rb_off;
    ret = write_table_entry(bs, t);
    if (ret < 0) {
        s->refcount_table[t] = 0;
    }
    return ret;
}

int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset, uint64_t length,
                          int64_t addend)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->corrupt) {
        return -EIO; /* nothing more is written to a corrupt image */
    }
    if (!length) {
        return 0;
    }
    uint64_t c = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;
    while (c <= last) {
        uint64_t t = c >> s->refblock_bits;
        uint64_t range_first = t << s->refblock_bits;
        uint64_t chunk_last = MIN(last, range_first + (1ULL << s->refblock_bits) - 1);
        if (!refblock_offset(s, t)) {
            if (addend < 0) {
                qcow2_signal_corruption(bs, "cluster 0x%" PRIx64 " freed but has no refcount",
                                        c << s->cluster_bits);
                return -EIO;
            }
            int ret = ensure_refblock(bs, t);
            if (ret < 0) {
                return ret;
            }
        }
        uint64_t rb_off = refblock_offset(s, t);
        uint8_t *rb;
        int ret = qcow2_cache_get(bs, &s->refblock_cache, rb_off, &rb);
        if (ret < 0) {
            return ret;
        }
        /* Check the whole chunk first, so a failure changes nothing. */
        for (uint64_t i = c; i <= chunk_last; i++) {
            uint64_t rc = refblock_get(s, rb, i - range_first);
            if (addend > 0 && rc + addend > s->refcount_max) {
                error_report("'%s': refcount overflow at cluster 0x%" PRIx64
                             " (the maximum is %" PRIu64 ")", bs->filename,
                             i << s->cluster_bits, s->refcount_max);
                return -ERANGE;
            }
            if (addend < 0 && rc < (uint64_t)-addend) {
                qcow2_signal_corruption(bs, "refcount of cluster 0x%" PRIx64 " would go "
                                        "below zero", i << s->cluster_bits);
                return -EIO;
            }
        }
        for (uint64_t i = c; i <= chunk_last; i++) {
            uint64_t rc = refblock_get(s, rb, i - range_first) + addend;
            refblock_set(s, rb, i - range_first, rc);
            if (rc == 0) {
                uint64_t off = i << s->cluster_bits;
                qcow2_cache_forget(&s->l2_cache, off);
                if (off != rb_off) {
                    qcow2_cache_forget(&s->refblock_cache, off);
                }
                if (i < s->free_cluster_index) {
                    s->free_cluster_index = i;
                }
            }
        }
        uint64_t start, len;
        refblock_span(s, c - range_first, chunk_last - range_first, &start, &len);
        ret = bdrv_pwrite(s->file, rb_off + start, rb + start, len);
        if (ret < 0) {
            return ret;
        }
        c = chunk_last + 1;
    }
    return 0;
}

int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    for (int attempt = 0; attempt < 8; attempt++) {
        int64_t first = find_free_run(bs, n);
        if (first < 0) {
            return first;
        }
        /* Refcount blocks first: creating one may move things, so then look again. */
        uint64_t t0 = (uint64_t)first >> s->refblock_bits;
        uint64_t t1 = ((uint64_t)first + n - 1) >> s->refblock_bits;
        bool created = false;
        for (uint64_t t = t0; t <= t1; t++) {
            if (!refblock_offset(s, t)) {
                int ret = ensure_refblock(bs, t);
                if (ret < 0) {
                    return ret;
                }
                created = true;
            }
        }
        if (created) {
            continue;
        }
        if (qcow2_overlaps_metadata(bs, (uint64_t)first << s->cluster_bits,
                                    n << s->cluster_bits)) {
            /* Refcounts that call metadata free: corrupt; change nothing. */
            return -EIO;
        }
        int ret = qcow2_update_refcount(bs, (uint64_t)first << s->cluster_bits,
                                        n << s->cluster_bits, 1);
        if (ret < 0) {
            return ret;
        }
        s->free_cluster_index = first + n;
        return (uint64_t)first << s->cluster_bits;
    }
    return -EIO;
}

void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t length)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_update_refcount(bs, offset, length, -1);
    if (ret < 0 && !s->corrupt) {
        /* Not fatal: at worst the clusters leak, which check -r leaks repairs. */
        warn_report("'%s': could not free clusters at 0x%" PRIx64 ": %s", bs->filename,
                    offset, strerror(-ret));
    }
}

/* ---- check ---- */

typedef struct CheckState {
    BlockDriverState *bs;
    uint32_t *refs;
    uint64_t nb_clusters;
    Qcow2CheckResult *res;
    FILE *report;
} CheckState;

static void check_ref(CheckState *cs, uint64_t offset, uint64_t length, const char *what)
{
    BDRVQcow2State *s = cs->bs->opaque;
    if (!length) {
        return;
    }
    uint64_t c0 = offset >> s->cluster_bits, c1 = (offset + length - 1) >> s->cluster_bits;
    for (uint64_t c = c0; c <= c1; c++) {
        if (c >= cs->nb_clusters) {
            if (cs->report) {
                fprintf(cs->report, "ERROR %s at offset 0x%" PRIx64
                        " is past the end of the image file\n", what, c << s->cluster_bits);
            }
            cs->res->corruptions++;
            return;
        }
        if (cs->refs[c] < UINT32_MAX) {
            cs->refs[c]++;
        }
    }
}

static void check_l1(CheckState *cs, uint64_t l1_offset, uint32_t l1_size, bool active)
{
    BlockDriverState *bs = cs->bs;
    BDRVQcow2State *s = bs->opaque;
    check_ref(cs, l1_offset, (uint64_t)l1_size * 8, "L1 table");
    uint64_t *l1 = xmalloc((uint64_t)l1_size * 8 + 8);
    uint8_t *l2 = xmalloc(s->cluster_size);
    if (bdrv_pread(s->file, l1_offset, l1, (uint64_t)l1_size * 8) < 0) {
        cs->res->corruptions++;
        goto out;
    }
    /* One L1 table naming an L2 table twice is corrupt; each is read once. */
    uint64_t *sorted = xmalloc((uint64_t)l1_size * 8 + 8);
    for (uint32_t i = 0; i < l1_size; i++) {
        sorted[i] = be64toh(l1[i]) & L1E_OFFSET_MASK;
    }
    qsort(sorted, l1_size, 8, cmp_u64);
    for (uint32_t i = 1; i < l1_size; i++) {
        if (sorted[i] && sorted[i] == sorted[i - 1]) {
            if (cs->report) {
                fprintf(cs->report, "ERROR L2 table at 0x%" PRIx64 " is used twice by one "
                        "L1 table\n", sorted[i]);
            }
            cs->res->corruptions++;
        }
    }
    /* Order does not matter for counting: walk the distinct tables in offset order. */
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = sorted[i];
        if (!l2_off || (i > 0 && sorted[i - 1] == l2_off)) {
            continue;
        }
        if (l2_off & (s->cluster_size - 1)) {
            if (cs->report) {
                fprintf(cs->report, "ERROR L2 table offset 0x%" PRIx64 " is misaligned\n",
                        l2_off);
            }
            cs->res->corruptions++;
            continue;
        }
        check_ref(cs, l2_off, s->cluster_size, "L2 table");
        if (bdrv_pread(s->file, l2_off, l2, s->cluster_size) < 0) {
            cs->res->corruptions++;
            continue;
        }
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = be64toh(((uint64_t *)l2)[j]);
            if (e & QCOW_OFLAG_COMPRESSED) {
                int x = 62 - (s->cluster_bits - 8);
                uint64_t coff = e & ((1ULL << x) - 1);
                uint64_t sectors = ((e & ~QCOW_OFLAG_COMPRESSED) >> x) + 1;
                uint64_t end = (coff & ~511ULL) + sectors * 512;
                check_ref(cs, coff, end - coff, "compressed cluster");
                if (active) {
                    cs->res->compressed_clusters++;
                    cs->res->allocated_clusters++;
                }
                continue;
            }
            uint64_t d = e & L2E_OFFSET_MASK;
            if (!d) {
                continue;
            }
            if (d & (s->cluster_size - 1)) {
                if (cs->report) {
                    fprintf(cs->report, "ERROR data cluster offset 0x%" PRIx64
                            " is misaligned\n", d);
                }
                cs->res->corruptions++;
                continue;
            }
            check_ref(cs, d, s->cluster_size, "data cluster");
            if (active) {
                cs->res->allocated_clusters++;
            }
        }
    }
    free(sorted);
out:
    free(l1);
    free(l2);
}

/* COPIED flags of the active tables against the (repaired) refcounts. */
static void check_copied(CheckState *cs, int fix)
{
    BlockDriverState *bs = cs->bs;
    BDRVQcow2State *s = bs->opaque;
    uint64_t bad = 0;
    uint8_t *l2 = xmalloc(s->cluster_size);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1_table[i] & L1E_OFFSET_MASK;
        if (!l2_off || (l2_off & (s->cluster_size - 1))) {
            continue;
        }
        uint64_t rc;
        if (qcow2_get_refcount(bs, l2_off >> s->cluster_bits, &rc) < 0) {
            continue;
        }
        if (!!(s->l1_table[i] & QCOW_OFLAG_COPIED) != (rc == 1)) {
            bad++;
            if (cs->report) {
                fprintf(cs->report, "ERROR OFLAG_COPIED L2 cluster: l1_index=%u "
                        "l1_entry=%" PRIx64 " refcount=%" PRIu64 "\n", i, s->l1_table[i], rc);
            }
        }
        if (bdrv_pread(s->file, l2_off, l2, s->cluster_size) < 0) {
            continue;
        }
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = be64toh(((uint64_t *)l2)[j]);
            uint64_t d = e & L2E_OFFSET_MASK;
            if ((e & QCOW_OFLAG_COMPRESSED) || !d || (d & (s->cluster_size - 1))) {
                continue;
            }
            if (qcow2_get_refcount(bs, d >> s->cluster_bits, &rc) < 0) {
                continue;
            }
            if (!!(e & QCOW_OFLAG_COPIED) != (rc == 1)) {
                bad++;
                if (cs->report) {
                    fprintf(cs->report, "ERROR OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                            " refcount=%" PRIu64 "\n", e, rc);
                }
            }
        }
    }
    free(l2);
    cs->res->corruptions += bad;
    if (bad && (fix & QCOW2_FIX_ERRORS) && qcow2_fix_copied_flags(bs) == 0) {
        cs->res->corruptions -= bad;
        cs->res->corruptions_fixed += bad;
    }
}

int qcow2_check(BlockDriverState *bs, Qcow2CheckResult *res, int fix, FILE *report)
{
    BDRVQcow2State *s = bs->opaque;
    memset(res, 0, sizeof(*res));
    int64_t file_len = s->file->drv->getlength(s->file);
    if (file_len < 0) {
        return file_len;
    }
    uint64_t nb = ((uint64_t)file_len + s->cluster_size - 1) >> s->cluster_bits;
    /* Clusters past the end that still have a refcount (an allocation cut short) count too. */
    uint64_t counted = nb;
    for (uint64_t t = 0; t < s->refcount_table_size; t++) {
        if (refblock_offset(s, t)) {
            counted = MAX(counted, (t + 1) << s->refblock_bits);
        }
    }
    /*
     * Past the end of the file only a few clusters can legitimately have a
     * refcount (allocations cut short by a crash): bound the array by the file.
     */
    counted = MIN(counted, nb + (1ULL << 16));
    if (counted > (1ULL << 27)) {
        error_report("'%s': too many clusters to check (%" PRIu64 ")", bs->filename, counted);
        return -EFBIG;
    }
    CheckState cs = {.bs = bs, .nb_clusters = nb, .res = res, .report = report};
    cs.refs = xcalloc(counted + 1, sizeof(uint32_t));
    res->total_clusters = (s->size + s->cluster_size - 1) >> s->cluster_bits;

    check_ref(&cs, 0, s->cluster_size, "header");
    check_l1(&cs, s->l1_table_offset, s->l1_size, true);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        check_l1(&cs, s->snapshots[i].l1_table_offset, s->snapshots[i].l1_size, false);
    }
    if (s->nb_snapshots) {
        /* The snapshot table's extent: its entries are 8-byte aligned records. */
        uint64_t len = 0;
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            Qcow2Snapshot *sn = &s->snapshots[i];
            uint64_t e = 40 + sn->extra_data_size + strlen(sn->id_str) + strlen(sn->name);
            len += (e + 7) & ~7ULL;
        }
        check_ref(&cs, s->snapshots_offset, len, "snapshot table");
    }
    check_ref(&cs, s->refcount_table_offset,
              (uint64_t)s->refcount_table_clusters << s->cluster_bits, "refcount table");
    for (uint64_t t = 0; t < s->refcount_table_size; t++) {
        uint64_t off = refblock_offset(s, t);
        if (off) {
            check_ref(&cs, off, s->cluster_size, "refcount block");
        }
    }

    uint64_t highest = 0;
    for (uint64_t c = 0; c < counted; c++) {
        uint64_t rc;
        if (qcow2_get_refcount(bs, c, &rc) < 0) {
            res->corruptions++;
            continue;
        }
        uint64_t ref = cs.refs[c];
        if (rc || ref) {
            highest = c;
        }
        if (rc == ref) {
            continue;
        }
        bool leak = rc > ref;
        if (report) {
            fprintf(report, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64
                    "\n", leak ? ((fix & QCOW2_FIX_LEAKS) ? "Repairing" : "Leaked")
                               : ((fix & QCOW2_FIX_ERRORS) ? "Repairing" : "ERROR"),
                    c, rc, ref);
        }
        bool repair = leak ? (fix & QCOW2_FIX_LEAKS) : (fix & QCOW2_FIX_ERRORS);
        if (repair && !bs->read_only &&
            qcow2_update_refcount(bs, c << s->cluster_bits, s->cluster_size,
                                  (int64_t)ref - (int64_t)rc) == 0) {
            if (leak) {
                res->leaks_fixed++;
            } else {
                res->corruptions_fixed++;
            }
            continue;
        }
        if (leak) {
            res->leaks++;
        } else {
            res->corruptions++;
        }
    }
    check_copied(&cs, fix);
    if (fix && !bs->read_only) {
        bdrv_barrier(s->file);
    }
    res->image_end_offset = (highest + 1) << s->cluster_bits;
    free(cs.refs);
    return 0;
}
