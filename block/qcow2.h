/*
 * The qcow2 format (versions 2 and 3), shared between its files:
 *   qcow2.c           header, header extensions, open/close/create, the read and write paths
 *   qcow2-cluster.c   L1 and L2 tables, the metadata cache, guest-to-host mapping
 *   qcow2-refcount.c  refcount table and blocks, cluster allocation, growth, check/repair
 *   qcow2-compress.c  compressed clusters (zlib/deflate), read and write
 *   qcow2-snapshot.c  internal snapshots: table, create, apply, delete, list
 *
 * Layout facts (docs/interop/qcow2.txt in QEMU's documentation): all numbers
 * are big-endian; the file is cut into clusters of 2^cluster_bits bytes; a
 * two-level table (L1 -> L2) maps guest clusters to host clusters; every
 * host cluster has a reference count in refcount blocks listed by the
 * refcount table.  A cluster whose refcount is exactly 1 may be written in
 * place; its L1/L2 entries then carry the COPIED flag (bit 63).
 *
 * Crash consistency (see docs/block.md): metadata is written through (the
 * caches never hold dirty data), and ordered with barriers so that any
 * prefix of the writes leaves, at worst, clusters with a refcount and no
 * reference (leaks):
 *   refcount increments -> barrier -> data and new tables -> barrier -> the
 *   entry that points at them -> barrier -> refcount decrements of what it replaced.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <endian.h>

#include "block/block-int.h"

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_V2_HEADER_LENGTH 72
#define QCOW2_V3_HEADER_LENGTH 104
/* Limits against hostile headers: sizes QEMU itself refuses beyond. */
#define QCOW2_MAX_L1_BYTES (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_SIZE (1ULL << 55) /* 32 PiB of guest disk */
#define QCOW2_MAX_BACKING_DEPTH 32

/* L1/L2 entry bits. */
#define QCOW_OFLAG_COPIED (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO 1ULL
#define L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define REFT_OFFSET_MASK 0xfffffffffffffe00ULL

/* Header feature bits. */
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)

/* Header extension types. */
#define QCOW2_EXT_END 0
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u

static inline uint64_t qcow2_ldq_be(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return be64toh(v);
}
static inline uint32_t qcow2_ldl_be(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return be32toh(v);
}
static inline uint16_t qcow2_ldw_be(const void *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return be16toh(v);
}
static inline void qcow2_stq_be(void *p, uint64_t v)
{
    v = htobe64(v);
    memcpy(p, &v, 8);
}
static inline void qcow2_stl_be(void *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, 4);
}
static inline void qcow2_stw_be(void *p, uint16_t v)
{
    v = htobe16(v);
    memcpy(p, &v, 2);
}

/* A small LRU cache of whole metadata clusters (L2 tables, refcount blocks), write-through. */
typedef struct Qcow2Cache {
    int entries;
    size_t table_bytes;
    uint64_t *offsets; /* 0: slot empty */
    uint64_t *lru;
    uint8_t **tables;
    uint64_t clock;
} Qcow2Cache;

/* An extension we keep verbatim when the header is rewritten. */
typedef struct Qcow2Extension {
    uint32_t type;
    uint32_t len;
    uint8_t *data;
} Qcow2Extension;

typedef struct Qcow2Snapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint32_t extra_data_size; /* as read; we write 16 */
    uint8_t *extra_data;
} Qcow2Snapshot;

typedef struct BDRVQcow2State {
    BlockDriverState *file;    /* the image file (the raw driver) */
    BlockDriverState *backing; /* NULL: none */
    char *backing_file;        /* as stored in the header */
    char *backing_format;      /* NULL: not stored */

    int version;
    int cluster_bits;
    uint64_t cluster_size;
    int l2_bits; /* log2 of entries per L2 table */
    uint64_t l2_entries;
    uint64_t size; /* guest bytes */
    uint32_t header_length;
    uint64_t incompatible, compatible, autoclear;
    uint8_t compression_type;

    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t *l1_table; /* host-endian */

    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint64_t refcount_table_size; /* entries */
    uint64_t *refcount_table;     /* host-endian */
    int refcount_order;           /* refcount bits = 1 << order */
    int refcount_bits;
    uint64_t refcount_max;
    int refblock_bits; /* log2 of refcounts per refcount block */

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    Qcow2Snapshot *snapshots;

    Qcow2Extension *extensions;
    int nb_extensions;

    Qcow2Cache l2_cache;
    Qcow2Cache refblock_cache;
    uint64_t free_cluster_index;

    /* The last inflated compressed cluster, by its L2 entry. */
    uint64_t decompressed_entry;
    uint8_t *decompressed;
    uint8_t *compressed_buf;
    /* Packing compressed clusters: the next free byte in the current host cluster. */
    uint64_t compressed_next;

    /* Found inconsistent metadata: refuse every further write. */
    bool corrupt;
    bool depth_checked;
} BDRVQcow2State;

/* Parameters of osprey-img create. */
typedef struct Qcow2CreateOptions {
    uint64_t size;
    uint64_t cluster_size; /* 0: 64 KiB */
    int version;           /* 2 (compat=0.10) or 3 (compat=1.1, the default) */
    int refcount_bits;     /* 0: 16 */
    const char *backing_file;
    const char *backing_format;
} Qcow2CreateOptions;

bool qcow2_create(const char *filename, const Qcow2CreateOptions *o, Error **errp);
/* Rewrite cluster 0 (header, extensions, backing name) from the state. */
int qcow2_write_header(BlockDriverState *bs);
/* Note a metadata inconsistency: log it, and refuse writes from now on. */
void qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...) PRINTF_FMT(2, 3);
/* Where the backing file is (relative names resolved); NULL when none.  Caller frees. */
char *qcow2_backing_path(BlockDriverState *bs);
/* Open the backing file of bs, if any (chain depth counts loops). */
bool qcow2_open_backing(BlockDriverState *bs, const char *override, int depth, Error **errp);

/* The cache. */
void qcow2_cache_init(Qcow2Cache *c, int entries, size_t table_bytes);
void qcow2_cache_destroy(Qcow2Cache *c);
int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset, uint8_t **table);
/* A cluster freed or rewritten wholesale: forget it. */
void qcow2_cache_forget(Qcow2Cache *c, uint64_t offset);
void qcow2_cache_clear(Qcow2Cache *c);

/* A data write to [offset, offset+len) would hit metadata we know of: corruption. */
bool qcow2_overlaps_metadata(BlockDriverState *bs, uint64_t offset, uint64_t len);

/* Mapping. */
bool qcow2_host_offset_valid(BlockDriverState *bs, uint64_t off);
int qcow2_get_l2_entry(BlockDriverState *bs, uint64_t guest_offset, uint64_t *entry);
/*
 * Point the L2 entries for n clusters from guest_offset (all in one L2
 * table) at entries[], allocating or copying the L2 table as needed.
 */
int qcow2_set_l2_entries(BlockDriverState *bs, uint64_t guest_offset, const uint64_t *entries,
                         int n);
/* Release what an L2 entry referenced (a normal or a compressed cluster). */
void qcow2_free_l2_entry_target(BlockDriverState *bs, uint64_t entry);
int qcow2_write_l1_entry(BlockDriverState *bs, uint32_t index);
/* Grow the active L1 table to at least min_size entries. */
int qcow2_grow_l1(BlockDriverState *bs, uint64_t min_size);
/* Entries one L2 table covers: the cluster index within it. */
static inline uint64_t qcow2_l2_index(BDRVQcow2State *s, uint64_t guest_offset)
{
    return (guest_offset >> s->cluster_bits) & (s->l2_entries - 1);
}
static inline uint64_t qcow2_l1_index(BDRVQcow2State *s, uint64_t guest_offset)
{
    return guest_offset >> (s->cluster_bits + s->l2_bits);
}

/* Refcounts and allocation. */
int qcow2_load_refcount_table(BlockDriverState *bs, Error **errp);
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index, uint64_t *refcount);
/* Add addend to every cluster of [offset, offset+length). */
int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset, uint64_t length,
                          int64_t addend);
/* n contiguous fresh clusters with refcount 1: the host offset, or -errno. */
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n);
void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t length);

/* check and repair, as osprey-img check reports them. */
typedef struct Qcow2CheckResult {
    uint64_t corruptions, leaks;
    uint64_t corruptions_fixed, leaks_fixed;
    uint64_t allocated_clusters, total_clusters, fragmented_clusters, compressed_clusters;
    uint64_t image_end_offset;
} Qcow2CheckResult;
#define QCOW2_FIX_LEAKS 1
#define QCOW2_FIX_ERRORS 2
int qcow2_check(BlockDriverState *bs, Qcow2CheckResult *res, int fix, FILE *report);

/* Compressed clusters. */
int qcow2_read_compressed(BlockDriverState *bs, uint64_t entry, uint8_t *cluster);
/* Write one whole guest cluster compressed (or plainly, if it does not shrink). */
int qcow2_write_compressed(BlockDriverState *bs, uint64_t guest_offset, const uint8_t *cluster);

/* Snapshots. */
int qcow2_read_snapshots(BlockDriverState *bs, Error **errp);
void qcow2_free_snapshots(BlockDriverState *bs);
bool qcow2_snapshot_create(BlockDriverState *bs, const char *name, Error **errp);
bool qcow2_snapshot_apply(BlockDriverState *bs, const char *name, Error **errp);
bool qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp);
/* Add addend to the refcount of every cluster one L1 table reaches (and the L1 itself). */
int qcow2_update_l1_refcounts(BlockDriverState *bs, uint64_t l1_offset, uint32_t l1_size,
                              int addend);
/* Set every COPIED flag of the active tables to match the refcounts. */
int qcow2_fix_copied_flags(BlockDriverState *bs);

#endif
