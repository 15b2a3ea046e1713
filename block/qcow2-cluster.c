/*
 * qcow2 L1/L2 tables: the metadata cache, looking up where a guest cluster
 * lives, and pointing L2 entries at new clusters (allocating or copying an
 * L2 table shared with a snapshot).
 */
#include <errno.h>
#include <inttypes.h>

#include "block/qcow2.h"

void qcow2_cache_init(Qcow2Cache *c, int entries, size_t table_bytes)
{
    c->entries = entries;
    c->table_bytes = table_bytes;
    c->offsets = xcalloc(entries, sizeof(uint64_t));
    c->lru = xcalloc(entries, sizeof(uint64_t));
    c->tables = xcalloc(entries, sizeof(uint8_t *));
    for (int i = 0; i < entries; i++) {
        c->tables[i] = xmalloc(table_bytes);
    }
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    for (int i = 0; i < c->entries && c->tables; i++) {
        free(c->tables[i]);
    }
    free(c->tables);
    free(c->offsets);
    free(c->lru);
    memset(c, 0, sizeof(*c));
}

void qcow2_cache_forget(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->entries; i++) {
        if (c->offsets[i] == offset) {
            c->offsets[i] = 0;
        }
    }
}

void qcow2_cache_clear(Qcow2Cache *c)
{
    for (int i = 0; i < c->entries; i++) {
        c->offsets[i] = 0;
    }
}

bool qcow2_host_offset_valid(BlockDriverState *bs, uint64_t off)
{
    BDRVQcow2State *s = bs->opaque;
    if (off & (s->cluster_size - 1)) {
        return false;
    }
    int64_t len = s->file->drv->getlength(s->file);
    return len >= 0 && off < (uint64_t)len;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

bool qcow2_overlaps_metadata(BlockDriverState *bs, uint64_t offset, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    const char *what = NULL;
    uint64_t snap_len = s->nb_snapshots ? s->cluster_size : 0; /* at least its first cluster */
    if (ranges_overlap(offset, len, 0, s->cluster_size)) {
        what = "the header";
    } else if (ranges_overlap(offset, len, s->l1_table_offset, (uint64_t)s->l1_size * 8)) {
        what = "the L1 table";
    } else if (ranges_overlap(offset, len, s->refcount_table_offset,
                              (uint64_t)s->refcount_table_clusters << s->cluster_bits)) {
        what = "the refcount table";
    } else if (ranges_overlap(offset, len, s->snapshots_offset, snap_len)) {
        what = "the snapshot table";
    }
    for (int i = 0; !what && i < s->l2_cache.entries; i++) {
        if (ranges_overlap(offset, len, s->l2_cache.offsets[i], s->cluster_size)) {
            what = "an L2 table";
        }
    }
    for (int i = 0; !what && i < s->refblock_cache.entries; i++) {
        if (ranges_overlap(offset, len, s->refblock_cache.offsets[i], s->cluster_size)) {
            what = "a refcount block";
        }
    }
    if (what) {
        qcow2_signal_corruption(bs, "a data write to 0x%" PRIx64 " would overwrite %s",
                                offset, what);
        return true;
    }
    return false;
}

int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset, uint8_t **table)
{
    BDRVQcow2State *s = bs->opaque;
    int victim = 0;
    for (int i = 0; i < c->entries; i++) {
        if (c->offsets[i] == offset) {
            c->lru[i] = ++c->clock;
            *table = c->tables[i];
            return 0;
        }
        if (c->lru[i] < c->lru[victim] || !c->offsets[i]) {
            victim = i;
        }
    }
    if (!offset || !qcow2_host_offset_valid(bs, offset)) {
        qcow2_signal_corruption(bs, "metadata table at offset 0x%" PRIx64 " is misaligned or "
                                "past the end of the file", offset);
        return -EIO;
    }
    c->offsets[victim] = 0;
    int ret = bdrv_pread(s->file, offset, c->tables[victim], c->table_bytes);
    if (ret < 0) {
        return ret;
    }
    c->offsets[victim] = offset;
    c->lru[victim] = ++c->clock;
    *table = c->tables[victim];
    return 0;
}

int qcow2_get_l2_entry(BlockDriverState *bs, uint64_t guest_offset, uint64_t *entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = qcow2_l1_index(s, guest_offset);
    *entry = 0;
    if (l1_index >= s->l1_size) {
        return 0;
    }
    uint64_t l2_off = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    if (!l2_off) {
        return 0;
    }
    uint8_t *l2;
    int ret = qcow2_cache_get(bs, &s->l2_cache, l2_off, &l2);
    if (ret < 0) {
        return ret;
    }
    *entry = qcow2_ldq_be(l2 + qcow2_l2_index(s, guest_offset) * 8);
    return 0;
}

int qcow2_write_l1_entry(BlockDriverState *bs, uint32_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t be[8];
    qcow2_stq_be(be, s->l1_table[index]);
    return bdrv_pwrite(s->file, s->l1_table_offset + (uint64_t)index * 8, be, 8);
}

/* Make the L2 table for l1_index exist and be ours alone (refcount 1). */
static int l2_make_writable(BlockDriverState *bs, uint64_t l1_index, uint64_t *l2_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1e = s->l1_table[l1_index];
    uint64_t old = l1e & L1E_OFFSET_MASK;
    int ret;
    if (old && (l1e & QCOW_OFLAG_COPIED)) {
        *l2_offset = old;
        return 0;
    }
    if (old) {
        uint64_t rc;
        ret = qcow2_get_refcount(bs, old >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc == 1) {
            /* A stale flag (e.g. after a snapshot was deleted): set it, no copy needed. */
            s->l1_table[l1_index] = old | QCOW_OFLAG_COPIED;
            *l2_offset = old;
            return qcow2_write_l1_entry(bs, l1_index);
        }
    }
    uint8_t *buf = xzalloc(s->cluster_size);
    if (old) {
        uint8_t *shared;
        ret = qcow2_cache_get(bs, &s->l2_cache, old, &shared);
        if (ret < 0) {
            free(buf);
            return ret;
        }
        memcpy(buf, shared, s->cluster_size);
    }
    int64_t fresh = qcow2_alloc_clusters(bs, 1);
    if (fresh < 0) {
        free(buf);
        return fresh;
    }
    qcow2_cache_forget(&s->l2_cache, fresh);
    ret = bdrv_pwrite(s->file, fresh, buf, s->cluster_size);
    free(buf);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, fresh, s->cluster_size);
        return ret;
    }
    s->l1_table[l1_index] = fresh | QCOW_OFLAG_COPIED;
    ret = qcow2_write_l1_entry(bs, l1_index);
    if (ret < 0) {
        s->l1_table[l1_index] = l1e;
        return ret;
    }
    if (old) {
        ret = bdrv_barrier(s->file);
        if (ret < 0) {
            return ret;
        }
        qcow2_free_clusters(bs, old, s->cluster_size);
    }
    *l2_offset = fresh;
    return 0;
}

int qcow2_set_l2_entries(BlockDriverState *bs, uint64_t guest_offset, const uint64_t *entries,
                         int n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = qcow2_l1_index(s, guest_offset);
    uint64_t first = qcow2_l2_index(s, guest_offset);
    if (s->corrupt) {
        return -EIO;
    }
    if (l1_index >= s->l1_size || first + n > s->l2_entries) {
        return -EIO;
    }
    uint64_t l2_off = 0;
    int ret = l2_make_writable(bs, l1_index, &l2_off);
    if (ret < 0) {
        return ret;
    }
    uint8_t *l2;
    ret = qcow2_cache_get(bs, &s->l2_cache, l2_off, &l2);
    if (ret < 0) {
        return ret;
    }
    for (int i = 0; i < n; i++) {
        qcow2_stq_be(l2 + (first + i) * 8, entries[i]);
    }
    ret = bdrv_pwrite(s->file, l2_off + first * 8, l2 + first * 8, (uint64_t)n * 8);
    if (ret < 0) {
        /* The cached copy no longer matches the file: drop it. */
        qcow2_cache_forget(&s->l2_cache, l2_off);
    }
    return ret;
}

void qcow2_free_l2_entry_target(BlockDriverState *bs, uint64_t entry)
{
    BDRVQcow2State *s = bs->opaque;
    if (entry & QCOW_OFLAG_COMPRESSED) {
        int x = 62 - (s->cluster_bits - 8);
        uint64_t off = entry & ((1ULL << x) - 1);
        uint64_t sectors = ((entry & ~QCOW_OFLAG_COMPRESSED) >> x) + 1;
        uint64_t end = (off & ~511ULL) + sectors * 512;
        /* Each host cluster the compressed data touches holds one reference for it. */
        qcow2_free_clusters(bs, off & ~(s->cluster_size - 1),
                            (((end - 1) | (s->cluster_size - 1)) + 1) -
                            (off & ~(s->cluster_size - 1)));
        return;
    }
    uint64_t off = entry & L2E_OFFSET_MASK;
    if (off) {
        qcow2_free_clusters(bs, off, s->cluster_size);
    }
}

int qcow2_grow_l1(BlockDriverState *bs, uint64_t min_size)
{
    BDRVQcow2State *s = bs->opaque;
    if (min_size <= s->l1_size) {
        return 0;
    }
    if (min_size * 8 > QCOW2_MAX_L1_BYTES) {
        return -EFBIG;
    }
    uint64_t bytes = (min_size * 8 + s->cluster_size - 1) & ~(s->cluster_size - 1);
    uint64_t new_size = bytes / 8;
    uint64_t *table = xzalloc(bytes);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        table[i] = htobe64(s->l1_table[i]);
    }
    int64_t off = qcow2_alloc_clusters(bs, bytes >> s->cluster_bits);
    if (off < 0) {
        free(table);
        return off;
    }
    int ret = bdrv_pwrite(s->file, off, table, bytes);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        free(table);
        qcow2_free_clusters(bs, off, bytes);
        return ret;
    }
    uint8_t hdr[12];
    qcow2_stl_be(hdr, new_size);
    qcow2_stq_be(hdr + 4, off);
    ret = bdrv_pwrite(s->file, 36, hdr, 12);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        free(table);
        return ret;
    }
    uint64_t old_off = s->l1_table_offset;
    uint64_t old_bytes = (uint64_t)s->l1_size * 8;
    for (uint64_t i = 0; i < new_size; i++) {
        table[i] = be64toh(table[i]);
    }
    free(s->l1_table);
    s->l1_table = table;
    s->l1_size = new_size;
    s->l1_table_offset = off;
    if (old_bytes) {
        qcow2_free_clusters(bs, old_off, old_bytes);
    }
    return 0;
}

int qcow2_fix_copied_flags(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1_table[i] & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        uint64_t rc;
        int ret = qcow2_get_refcount(bs, l2_off >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        uint64_t want = l2_off | (rc == 1 ? QCOW_OFLAG_COPIED : 0);
        if (want != s->l1_table[i]) {
            s->l1_table[i] = want;
            ret = qcow2_write_l1_entry(bs, i);
            if (ret < 0) {
                return ret;
            }
        }
        uint8_t *l2;
        ret = qcow2_cache_get(bs, &s->l2_cache, l2_off, &l2);
        if (ret < 0) {
            return ret;
        }
        bool changed = false;
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = qcow2_ldq_be(l2 + j * 8);
            uint64_t d = e & L2E_OFFSET_MASK;
            if ((e & QCOW_OFLAG_COMPRESSED) || !d) {
                continue;
            }
            ret = qcow2_get_refcount(bs, d >> s->cluster_bits, &rc);
            if (ret < 0) {
                return ret;
            }
            /* The refcount lookup may have evicted the table: fetch it again. */
            ret = qcow2_cache_get(bs, &s->l2_cache, l2_off, &l2);
            if (ret < 0) {
                return ret;
            }
            uint64_t ne = (e & ~QCOW_OFLAG_COPIED) | (rc == 1 ? QCOW_OFLAG_COPIED : 0);
            if (ne != e) {
                qcow2_stq_be(l2 + j * 8, ne);
                changed = true;
            }
        }
        if (changed) {
            ret = bdrv_pwrite(s->file, l2_off, l2, s->cluster_size);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}
