/*
 * The memory API: a tree of regions (RAM, ROM, MMIO, containers, aliases)
 * rooted in an address space, flattened into a sorted table of ranges for
 * dispatch.  System memory and the PIO space are two address spaces built
 * the same way.  The flat table is rebuilt eagerly whenever the tree under
 * a root changes, and listeners (TLB flush, KVM memory slots) are told.
 *
 * Guest accesses go through address_space_ld/st (one access of 1/2/4/8
 * bytes, split or widened per the region's rules) or address_space_rw
 * (a byte buffer, for DMA and firmware loading).  An access that hits no
 * region reads all ones, ignores writes, logs under -d guest_errors and
 * returns MEMTX_DECODE_ERROR; it never crashes.
 *
 * A region size of UINT64_MAX stands for 2^64 (a container spanning the whole
 * 64-bit space).  Addresses never wrap: bytes of an access beyond 2^64 - 1 are
 * unassigned.  The map is changed and dispatched from one thread at a time.
 */
#ifndef CORE_MEMORY_H
#define CORE_MEMORY_H

#include "core/common.h"

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;

typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_ERROR = 1,        /* a device rejected the access (invalid size...) */
    MEMTX_DECODE_ERROR = 2, /* nothing is mapped there */
} MemTxResult;

typedef struct MemoryRegionOps {
    /*
     * offset is relative to the start of the region.  The read result is
     * masked to the access size.  A NULL callback makes that direction
     * rejected like an invalid size (MEMTX_ERROR).
     */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    /*
     * Sizes a guest may use.  An access outside [min, max] (or unaligned
     * when !unaligned) is rejected like an unassigned one: reads give all
     * ones, writes are dropped, and it is logged.  0 means 1 and 8.
     */
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
    } valid;
    /*
     * Sizes the callbacks implement.  A larger access is split into several
     * max-size accesses in ascending address order (little-endian); a
     * smaller one is widened: a read reads min size at the aligned-down
     * address and extracts the bytes, a write writes min size with the
     * value shifted into place and the other bytes zero (no read-modify-write,
     * so read side effects never fire on a write).  0 means 1 and 4 (a max
     * of 0 with a min above 4 means the min).
     */
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
    } impl;
} MemoryRegionOps;

typedef enum MemoryRegionKind {
    MR_RAM,       /* host memory, guest reads and writes it */
    MR_ROM,       /* host memory, guest reads; guest writes are dropped and logged */
    MR_IO,        /* callbacks */
    MR_CONTAINER, /* holds subregions only; holes read as unassigned */
    MR_ALIAS,     /* a window onto part of another region */
} MemoryRegionKind;

struct MemoryRegion {
    char *name;
    MemoryRegionKind kind;
    uint64_t size;

    /* MR_RAM / MR_ROM: host backing, owned by the region. */
    uint8_t *ram;
    /* MR_RAM: true while the guest may not write (e.g. PAM read-only). */
    bool readonly;

    /* MR_IO */
    const MemoryRegionOps *ops;
    void *opaque;

    /* MR_ALIAS */
    MemoryRegion *alias;
    uint64_t alias_offset;

    /*
     * Placement inside the parent (set by memory_region_add_subregion*).
     * A disabled region is invisible everywhere, also through aliases of it.
     */
    MemoryRegion *parent;
    uint64_t addr;
    int priority;
    bool enabled;

    /* MR_CONTAINER (any region may hold subregions; they cover it). */
    MemoryRegion **subregions;
    int nr_subregions;

    /* Aliases that point at this region, so changes below them propagate. */
    MemoryRegion **alias_users;
    int nr_alias_users;

    /* Address spaces whose root this region is. */
    AddressSpace **address_spaces;
    int nr_address_spaces;

    /*
     * Dirty tracking for display memory: one bit per 4 KiB page, set on every
     * guest or DMA write through the API while enabled (NULL when off).
     */
    unsigned long *dirty_bitmap;
};

/*
 * One entry of the flattened map: [start, start+size) maps to mr at offset.
 * size is never 0; a leaf covering all 2^64 addresses appears as two halves.
 */
typedef struct FlatRange {
    uint64_t start;
    uint64_t size;
    MemoryRegion *mr;          /* a leaf: MR_RAM, MR_ROM or MR_IO */
    uint64_t offset_in_region; /* offset of 'start' inside mr */
} FlatRange;

typedef struct FlatView {
    FlatRange *ranges; /* sorted by start, non-overlapping; holes are absent */
    int nr;
} FlatView;

typedef struct MemoryListener {
    /*
     * Called after the flat view of 'as' was rebuilt, and once when the
     * listener is added, so it learns the current map the same way.
     */
    void (*map_changed)(struct MemoryListener *l, AddressSpace *as);
    /*
     * Optional: fold writes the listener saw that bypassed the memory API
     * (KVM's dirty log of a RAM slot) into mr's dirty bitmap.  Called by
     * memory_region_sync_dirty_bitmap for every space in which mr is visible.
     */
    void (*log_sync)(struct MemoryListener *l, AddressSpace *as, MemoryRegion *mr);
    struct MemoryListener *next;
} MemoryListener;

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView *view;
    MemoryListener *listeners;
    /*
     * Changes with every rebuild of view, never repeats within the process and
     * is never 0, so a cache of a FlatRange can check that it is still current.
     */
    uint64_t generation;
    /*
     * Told of every write to RAM made through this space's dispatch (devices' DMA, the
     * page walker, firmware loads), so that the DBT can drop translations of code the
     * write replaced.  The DBT's own fast-path stores do not come here.
     */
    void (*ram_written)(void *opaque, uint64_t addr, uint64_t len);
    void *ram_written_opaque;
};

#define MEMORY_PAGE_BITS 12
#define MEMORY_PAGE_SIZE (1ULL << MEMORY_PAGE_BITS)

/*
 * Region constructors.  The MemoryRegion storage belongs to the caller.
 * RAM and ROM backing is zero-filled and page aligned (KVM slots need that);
 * failing to allocate it is fatal, like any out-of-memory.
 */
void memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_rom(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_io(MemoryRegion *mr, const char *name, const MemoryRegionOps *ops,
                           void *opaque, uint64_t size);
void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              uint64_t offset, uint64_t size);
/*
 * Unmap from parent, drop subregion links and free owned host memory.
 * Aliases of mr then show nothing and address spaces rooted at it become
 * empty; the spaces affected are rebuilt.
 */
void memory_region_destroy(MemoryRegion *mr);

/* Map child at offset in parent, priority 0 / the given priority. */
void memory_region_add_subregion(MemoryRegion *parent, uint64_t offset, MemoryRegion *child);
void memory_region_add_subregion_overlap(MemoryRegion *parent, uint64_t offset,
                                         MemoryRegion *child, int priority);
void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *child);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_address(MemoryRegion *mr, uint64_t addr);
void memory_region_set_alias_offset(MemoryRegion *mr, uint64_t offset);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);
void *memory_region_get_ram_ptr(MemoryRegion *mr);

/*
 * Dirty tracking (display memory, later migration): RAM and ROM regions only
 * (asking for it on another kind aborts, as a programming error).  Tracking
 * starts clean.  Offsets and lengths are clipped to the region.
 */
void memory_region_set_dirty_tracking(MemoryRegion *mr, bool on);
void memory_region_set_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len);
/* Return whether any page in [offset, offset+len) is dirty, and clear them. */
bool memory_region_test_and_clear_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len);
/*
 * Before reading mr's dirty pages: bring in writes that did not go through
 * the API (a KVM guest writing its RAM directly), from the listeners of every
 * address space that can see mr.  Devices call this, never the accelerator.
 */
void memory_region_sync_dirty_bitmap(MemoryRegion *mr);

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name);
void address_space_destroy(AddressSpace *as);
void address_space_add_listener(AddressSpace *as, MemoryListener *l);
void address_space_remove_listener(AddressSpace *as, MemoryListener *l);

/* Install (fn != NULL) or remove the RAM write notifier of as (see AddressSpace). */
void address_space_set_ram_written(AddressSpace *as,
                                   void (*fn)(void *opaque, uint64_t addr, uint64_t len),
                                   void *opaque);

/* The range containing addr, or NULL for a hole.  Valid until the next map change. */
const FlatRange *address_space_lookup(AddressSpace *as, uint64_t addr);

/*
 * One guest access of size 1, 2, 4 or 8 bytes, little-endian.  Another size
 * gives MEMTX_ERROR (all ones on read).  An access straddling ranges is split
 * as address_space_read/write would.  Writes to ROM or read-only RAM are
 * dropped and logged but return MEMTX_OK, as the bus completes them.
 * A device callback may change the map: the rest of a split access still
 * goes to the region it was decoded to, and callers must not hold a
 * FlatRange across these calls.
 */
MemTxResult address_space_ld(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value);
MemTxResult address_space_st(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value);

/*
 * Copy a buffer to/from guest memory, crossing regions as needed (MMIO is
 * reached with the largest access the alignment allows).  Returns the worst
 * result seen; unassigned bytes read as 0xff.
 */
MemTxResult address_space_read(AddressSpace *as, uint64_t addr, void *buf, uint64_t len);
MemTxResult address_space_write(AddressSpace *as, uint64_t addr, const void *buf, uint64_t len);
/*
 * Firmware loading: like write, but also writes into ROM regions and
 * read-only RAM.  MMIO ranges are skipped: loading an image never fires
 * device side effects.
 */
MemTxResult address_space_write_rom(AddressSpace *as, uint64_t addr, const void *buf,
                                    uint64_t len);

#endif
