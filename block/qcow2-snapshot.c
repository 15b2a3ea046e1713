/*
 * qcow2 internal snapshots: a snapshot is a copy of the L1 table, and every
 * cluster it reaches holds one more reference.  The snapshot table lists
 * them (qcow2 spec, "Snapshots"): per entry an 8-byte aligned record of
 * 40 bytes, extra data (version 3: at least the 64-bit VM state size and
 * the disk size), the id string and the name.
 *
 * Creating: the references first (refcounts go up, COPIED flags come off),
 * then the L1 copy, then the new table, then the header that points at it.
 * A crash part-way leaves leaked clusters.
 */
#include <errno.h>
#include <inttypes.h>
#include <time.h>

#include "block/qcow2.h"

#define SNAPSHOT_MAX_EXTRA 1024
#define SNAPSHOT_MAX_TABLE (64u << 20)

void qcow2_free_snapshots(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        free(s->snapshots[i].id_str);
        free(s->snapshots[i].name);
        free(s->snapshots[i].extra_data);
    }
    free(s->snapshots);
    s->snapshots = NULL;
}

int qcow2_read_snapshots(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (!s->nb_snapshots) {
        return 0;
    }
    int64_t file_len = s->file->drv->getlength(s->file);
    if (s->snapshots_offset & 7 || !s->snapshots_offset || file_len < 0 ||
        s->snapshots_offset >= (uint64_t)file_len) {
        error_setg(errp, "'%s': snapshot table offset 0x%" PRIx64 " is invalid (corrupt image)",
                   bs->filename, s->snapshots_offset);
        return -EINVAL;
    }
    uint32_t n = s->nb_snapshots;
    s->snapshots = xcalloc(n, sizeof(Qcow2Snapshot));
    uint64_t pos = s->snapshots_offset;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t h[40];
        Qcow2Snapshot *sn = &s->snapshots[i];
        if (pos - s->snapshots_offset > SNAPSHOT_MAX_TABLE || pos + 40 > (uint64_t)file_len ||
            bdrv_pread(s->file, pos, h, 40) < 0) {
            goto bad;
        }
        sn->l1_table_offset = qcow2_ldq_be(h);
        sn->l1_size = qcow2_ldl_be(h + 8);
        uint16_t id_len = qcow2_ldw_be(h + 12), name_len = qcow2_ldw_be(h + 14);
        sn->date_sec = qcow2_ldl_be(h + 16);
        sn->date_nsec = qcow2_ldl_be(h + 20);
        sn->vm_clock_nsec = qcow2_ldq_be(h + 24);
        sn->vm_state_size = qcow2_ldl_be(h + 32);
        sn->extra_data_size = qcow2_ldl_be(h + 36);
        sn->disk_size = s->size;
        if (sn->extra_data_size > SNAPSHOT_MAX_EXTRA) {
            goto bad;
        }
        pos += 40;
        sn->extra_data = xzalloc(sn->extra_data_size + 1);
        sn->id_str = xzalloc(id_len + 1);
        sn->name = xzalloc(name_len + 1);
        if (bdrv_pread(s->file, pos, sn->extra_data, sn->extra_data_size) < 0 ||
            bdrv_pread(s->file, pos + sn->extra_data_size, sn->id_str, id_len) < 0 ||
            bdrv_pread(s->file, pos + sn->extra_data_size + id_len, sn->name, name_len) < 0) {
            goto bad;
        }
        if (sn->extra_data_size >= 8) {
            sn->vm_state_size = qcow2_ldq_be(sn->extra_data);
        }
        if (sn->extra_data_size >= 16) {
            sn->disk_size = qcow2_ldq_be(sn->extra_data + 8);
        }
        pos += sn->extra_data_size + id_len + name_len;
        pos = (pos + 7) & ~7ULL;
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
            (sn->l1_table_offset & (s->cluster_size - 1)) ||
            sn->l1_table_offset > (uint64_t)file_len ||
            (uint64_t)sn->l1_size * 8 > (uint64_t)file_len - sn->l1_table_offset) {
            error_setg(errp, "'%s': snapshot '%s' has an invalid L1 table (offset 0x%" PRIx64
                       ", %u entries; corrupt image)", bs->filename, sn->name,
                       sn->l1_table_offset, sn->l1_size);
            return -EINVAL;
        }
    }
    return 0;
bad:
    error_setg(errp, "'%s': the snapshot table is truncated or invalid (corrupt image)",
               bs->filename);
    return -EINVAL;
}

/* Add addend to every L2 table and data cluster the given L1 entries reach. */
static int tree_refcounts(BlockDriverState *bs, const uint64_t *l1, uint32_t l1_size,
                          int addend)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *l2 = xmalloc(s->cluster_size);
    int ret = 0;
    for (uint32_t i = 0; i < l1_size && ret == 0; i++) {
        uint64_t l2_off = l1[i] & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if (!qcow2_host_offset_valid(bs, l2_off)) {
            qcow2_signal_corruption(bs, "L2 table at 0x%" PRIx64 " is invalid", l2_off);
            ret = -EIO;
            break;
        }
        ret = bdrv_pread(s->file, l2_off, l2, s->cluster_size);
        for (uint64_t j = 0; j < s->l2_entries && ret == 0; j++) {
            uint64_t e = qcow2_ldq_be(l2 + j * 8);
            if (e & QCOW_OFLAG_COMPRESSED) {
                int x = 62 - (s->cluster_bits - 8);
                uint64_t off = e & ((1ULL << x) - 1);
                uint64_t sectors = ((e & ~(QCOW_OFLAG_COMPRESSED | QCOW_OFLAG_COPIED)) >> x) + 1;
                uint64_t end = (off & ~511ULL) + sectors * 512;
                uint64_t first = off & ~(s->cluster_size - 1);
                ret = qcow2_update_refcount(bs, first, end - first, addend);
            } else if (e & L2E_OFFSET_MASK) {
                ret = qcow2_update_refcount(bs, e & L2E_OFFSET_MASK, s->cluster_size, addend);
            }
        }
        if (ret == 0) {
            ret = qcow2_update_refcount(bs, l2_off, s->cluster_size, addend);
        }
    }
    free(l2);
    return ret;
}

int qcow2_update_l1_refcounts(BlockDriverState *bs, uint64_t l1_offset, uint32_t l1_size,
                              int addend)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *l1 = xcalloc(l1_size ? l1_size : 1, 8);
    int ret = bdrv_pread(s->file, l1_offset, l1, (uint64_t)l1_size * 8);
    for (uint32_t i = 0; i < l1_size; i++) {
        l1[i] = be64toh(l1[i]);
    }
    if (ret == 0) {
        ret = tree_refcounts(bs, l1, l1_size, addend);
    }
    free(l1);
    return ret;
}

/* Write the snapshot table somewhere new, point the header at it, free the old one. */
static int write_snapshot_table(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t len = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint32_t extra = MAX(sn->extra_data_size, 16);
        len += (40 + extra + strlen(sn->id_str) + strlen(sn->name) + 7) & ~7ULL;
    }
    uint64_t new_off = 0;
    int ret = 0;
    if (len) {
        uint8_t *buf = xzalloc(len);
        uint64_t pos = 0;
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            Qcow2Snapshot *sn = &s->snapshots[i];
            uint32_t extra = MAX(sn->extra_data_size, 16);
            size_t id_len = strlen(sn->id_str), name_len = strlen(sn->name);
            uint8_t *h = buf + pos;
            qcow2_stq_be(h, sn->l1_table_offset);
            qcow2_stl_be(h + 8, sn->l1_size);
            qcow2_stw_be(h + 12, id_len);
            qcow2_stw_be(h + 14, name_len);
            qcow2_stl_be(h + 16, sn->date_sec);
            qcow2_stl_be(h + 20, sn->date_nsec);
            qcow2_stq_be(h + 24, sn->vm_clock_nsec);
            qcow2_stl_be(h + 32, sn->vm_state_size > UINT32_MAX ? 0 : sn->vm_state_size);
            qcow2_stl_be(h + 36, extra);
            if (sn->extra_data_size > 16) {
                memcpy(h + 40, sn->extra_data, sn->extra_data_size);
            }
            qcow2_stq_be(h + 40, sn->vm_state_size);
            qcow2_stq_be(h + 48, sn->disk_size);
            memcpy(h + 40 + extra, sn->id_str, id_len);
            memcpy(h + 40 + extra + id_len, sn->name, name_len);
            pos += (40 + extra + id_len + name_len + 7) & ~7ULL;
        }
        int64_t off = qcow2_alloc_clusters(bs, (len + s->cluster_size - 1) >> s->cluster_bits);
        ret = off < 0 ? off : bdrv_pwrite(s->file, off, buf, len);
        free(buf);
        if (ret == 0) {
            ret = bdrv_barrier(s->file);
        }
        if (ret < 0) {
            return ret;
        }
        new_off = off;
    }
    /* The old table's extent, from what the header said before this change. */
    uint8_t hdr[12];
    qcow2_stl_be(hdr, s->nb_snapshots);
    qcow2_stq_be(hdr + 4, new_off);
    ret = bdrv_pwrite(s->file, 60, hdr, 12);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret < 0) {
        return ret;
    }
    s->snapshots_offset = new_off;
    return 0;
}

static uint64_t old_table_len(BDRVQcow2State *s)
{
    uint64_t len = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        len += (40 + sn->extra_data_size + strlen(sn->id_str) + strlen(sn->name) + 7) & ~7ULL;
    }
    return len;
}

static Qcow2Snapshot *find_snapshot(BDRVQcow2State *s, const char *name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].name, name)) {
            return &s->snapshots[i];
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].id_str, name)) {
            return &s->snapshots[i];
        }
    }
    return NULL;
}

static bool snapshot_writable(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (bs->read_only || s->corrupt) {
        error_setg(errp, "'%s': the image is %s", bs->filename,
                   s->corrupt ? "corrupt" : "read-only");
        return false;
    }
    return true;
}

bool qcow2_snapshot_create(BlockDriverState *bs, const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (!snapshot_writable(bs, errp)) {
        return false;
    }
    if (find_snapshot(s, name)) {
        error_setg(errp, "'%s': a snapshot named '%s' exists", bs->filename, name);
        return false;
    }
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "'%s': too many snapshots", bs->filename);
        return false;
    }
    uint64_t max_id = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        max_id = MAX(max_id, strtoull(s->snapshots[i].id_str, NULL, 10));
    }
    int ret = tree_refcounts(bs, s->l1_table, s->l1_size, 1);
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    if (ret == 0) {
        ret = qcow2_fix_copied_flags(bs);
    }
    int64_t l1_off = 0;
    uint64_t l1_bytes = (uint64_t)s->l1_size * 8;
    if (ret == 0 && l1_bytes) {
        l1_off = qcow2_alloc_clusters(bs, (l1_bytes + s->cluster_size - 1) >> s->cluster_bits);
        ret = l1_off < 0 ? l1_off : 0;
        if (ret == 0) {
            uint64_t *copy = xmalloc(l1_bytes);
            for (uint32_t i = 0; i < s->l1_size; i++) {
                copy[i] = htobe64(s->l1_table[i] & ~QCOW_OFLAG_COPIED);
            }
            ret = bdrv_pwrite(s->file, l1_off, copy, l1_bytes);
            free(copy);
        }
    }
    if (ret < 0) {
        error_setg(errp, "'%s': could not create snapshot '%s': %s", bs->filename, name,
                   strerror(-ret));
        return false;
    }
    uint64_t old_off = s->snapshots_offset, old_len = old_table_len(s);
    s->snapshots = xrealloc(s->snapshots, (s->nb_snapshots + 1) * sizeof(Qcow2Snapshot));
    Qcow2Snapshot *sn = &s->snapshots[s->nb_snapshots++];
    memset(sn, 0, sizeof(*sn));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sn->l1_table_offset = l1_off;
    sn->l1_size = s->l1_size;
    sn->id_str = xasprintf("%" PRIu64, max_id + 1);
    sn->name = xstrdup(name);
    sn->date_sec = now.tv_sec;
    sn->date_nsec = now.tv_nsec;
    sn->disk_size = s->size;
    sn->extra_data_size = 16;
    sn->extra_data = xzalloc(17);
    ret = write_snapshot_table(bs);
    if (ret < 0) {
        error_setg(errp, "'%s': could not write the snapshot table: %s", bs->filename,
                   strerror(-ret));
        return false;
    }
    if (old_len) {
        qcow2_free_clusters(bs, old_off, old_len);
    }
    return true;
}

bool qcow2_snapshot_apply(BlockDriverState *bs, const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (!snapshot_writable(bs, errp)) {
        return false;
    }
    Qcow2Snapshot *sn = find_snapshot(s, name);
    if (!sn) {
        error_setg(errp, "'%s': no snapshot named '%s'", bs->filename, name);
        return false;
    }
    int ret = qcow2_grow_l1(bs, sn->l1_size);
    uint64_t *l1 = xcalloc(s->l1_size ? s->l1_size : 1, 8);
    if (ret == 0) {
        ret = bdrv_pread(s->file, sn->l1_table_offset, l1, (uint64_t)sn->l1_size * 8);
    }
    for (uint32_t i = 0; i < sn->l1_size; i++) {
        l1[i] = be64toh(l1[i]) & ~QCOW_OFLAG_COPIED;
    }
    if (ret == 0) {
        ret = tree_refcounts(bs, l1, sn->l1_size, 1);
    }
    if (ret == 0) {
        ret = bdrv_barrier(s->file);
    }
    uint64_t *old = NULL;
    if (ret == 0) {
        uint64_t *be = xmalloc((uint64_t)s->l1_size * 8 + 8);
        for (uint32_t i = 0; i < s->l1_size; i++) {
            be[i] = htobe64(l1[i]);
        }
        ret = bdrv_pwrite(s->file, s->l1_table_offset, be, (uint64_t)s->l1_size * 8);
        free(be);
        if (ret == 0) {
            ret = bdrv_barrier(s->file);
        }
        old = s->l1_table;
        s->l1_table = l1;
        l1 = NULL;
    }
    if (ret == 0) {
        qcow2_cache_clear(&s->l2_cache);
        s->decompressed_entry = 0;
        ret = tree_refcounts(bs, old, s->l1_size, -1);
    }
    if (ret == 0) {
        ret = qcow2_fix_copied_flags(bs);
    }
    if (ret == 0 && sn->disk_size != s->size) {
        s->size = sn->disk_size;
        uint8_t be[8];
        qcow2_stq_be(be, s->size);
        ret = bdrv_pwrite(s->file, 24, be, 8);
    }
    free(old);
    free(l1);
    if (ret < 0) {
        error_setg(errp, "'%s': could not apply snapshot '%s': %s", bs->filename, name,
                   strerror(-ret));
        return false;
    }
    return true;
}

bool qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (!snapshot_writable(bs, errp)) {
        return false;
    }
    Qcow2Snapshot *sn = find_snapshot(s, name);
    if (!sn) {
        error_setg(errp, "'%s': no snapshot named '%s'", bs->filename, name);
        return false;
    }
    Qcow2Snapshot gone = *sn;
    uint64_t old_off = s->snapshots_offset, old_len = old_table_len(s);
    uint32_t idx = sn - s->snapshots;
    memmove(sn, sn + 1, (s->nb_snapshots - idx - 1) * sizeof(*sn));
    s->nb_snapshots--;
    int ret = write_snapshot_table(bs);
    if (ret == 0) {
        ret = qcow2_update_l1_refcounts(bs, gone.l1_table_offset, gone.l1_size, -1);
    }
    if (ret == 0 && gone.l1_size) {
        qcow2_free_clusters(bs, gone.l1_table_offset, (uint64_t)gone.l1_size * 8);
    }
    if (ret == 0 && old_len) {
        qcow2_free_clusters(bs, old_off, old_len);
    }
    if (ret == 0) {
        ret = qcow2_fix_copied_flags(bs);
    }
    free(gone.id_str);
    free(gone.name);
    free(gone.extra_data);
    if (ret < 0) {
        error_setg(errp, "'%s': could not delete snapshot '%s': %s", bs->filename, name,
                   strerror(-ret));
        return false;
    }
    return true;
}
