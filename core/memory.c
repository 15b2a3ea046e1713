/*
 * The memory API: region trees, their flattening into sorted dispatch tables,
 * and guest accesses through those tables.  See core/memory.h for the contract.
 *
 * Flattening renders a tree from the root down.  Inside a region, subregions
 * are visited from the highest priority down (and, at equal priority, from
 * the most recently added), and each leaf only fills the address ranges that
 * nothing visited before it has claimed.  A region's own content (RAM, ROM,
 * callbacks or an alias target) comes last, so subregions cover it.
 *
 * Addresses run to 2^64 - 1 inclusive, so ranges are handled internally as
 * [start, last] pairs: start + size would overflow for a range that touches
 * the top of the address space.
 */
#include "core/memory.h"

#include <inttypes.h>
#include <sys/mman.h>

#include "core/log.h"

/* Deeper than any sane tree; a deeper one is an alias cycle. */
#define MEMORY_MAX_DEPTH 32
#define BITS_PER_ULONG (8 * sizeof(unsigned long))

static NORETURN PRINTF_FMT(1, 2) void memory_bug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "osprey: memory API misuse: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* The last offset inside mr; only meaningful when mr->size != 0. */
static inline uint64_t mr_last(const MemoryRegion *mr)
{
    return mr->size == UINT64_MAX ? UINT64_MAX : mr->size - 1;
}

static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static inline bool access_size_ok(unsigned size)
{
    return size - 1 < 8 && !(size & (size - 1));
}

static inline MemTxResult memtx_worst(MemTxResult a, MemTxResult b)
{
    return a > b ? a : b;
}

/* ------------------------------------------------------------------------ */
/* Small pointer arrays (subregions, alias users, address spaces), one set per type. */

#define DEFINE_PTR_ARRAY(prefix, T)                                                    \
    static inline void prefix##_insert(T ***arr, int *nr, int pos, T *p)              \
    {                                                                                 \
        *arr = xrealloc(*arr, (size_t)(*nr + 1) * sizeof(T *));                       \
        memmove(*arr + pos + 1, *arr + pos, (size_t)(*nr - pos) * sizeof(T *));       \
        (*arr)[pos] = p;                                                              \
        (*nr)++;                                                                      \
    }                                                                                 \
    static inline bool prefix##_remove(T ***arr, int *nr, T *p)                       \
    {                                                                                 \
        for (int i = 0; i < *nr; i++) {                                               \
            if ((*arr)[i] == p) {                                                     \
                memmove(*arr + i, *arr + i + 1, (size_t)(*nr - i - 1) * sizeof(T *)); \
                if (--(*nr) == 0) {                                                   \
                    free(*arr);                                                       \
                    *arr = NULL;                                                      \
                }                                                                     \
                return true;                                                          \
            }                                                                         \
        }                                                                             \
        return false;                                                                 \
    }                                                                                 \
    static inline bool prefix##_contains(T **arr, int nr, T *p)                       \
    {                                                                                 \
        for (int i = 0; i < nr; i++) {                                                \
            if (arr[i] == p) {                                                        \
                return true;                                                          \
            }                                                                         \
        }                                                                             \
        return false;                                                                 \
    }

DEFINE_PTR_ARRAY(mr_array, MemoryRegion)
DEFINE_PTR_ARRAY(as_array, AddressSpace)

/* ------------------------------------------------------------------------ */
/* Flattening. */

typedef struct FlatPiece {
    uint64_t start, last;
    MemoryRegion *mr;
    uint64_t offset;
} FlatPiece;

typedef struct FlatBuilder {
    FlatPiece *p;
    int nr, cap;
} FlatBuilder;

static void fb_insert_at(FlatBuilder *fb, int pos, uint64_t start, uint64_t last,
                         MemoryRegion *mr, uint64_t offset)
{
    if (fb->nr == fb->cap) {
        fb->cap = fb->cap ? fb->cap * 2 : 16;
        fb->p = xrealloc(fb->p, (size_t)fb->cap * sizeof(*fb->p));
    }
    memmove(&fb->p[pos + 1], &fb->p[pos], (size_t)(fb->nr - pos) * sizeof(*fb->p));
    fb->p[pos] = (FlatPiece){ .start = start, .last = last, .mr = mr, .offset = offset };
    fb->nr++;
}

/*
 * Map [start, last] to mr at offset, but only where nothing is mapped yet:
 * everything already in the builder was rendered with higher precedence.
 */
static void fb_fill_gaps(FlatBuilder *fb, uint64_t start, uint64_t last, MemoryRegion *mr,
                         uint64_t offset)
{
    /* First piece that ends at or after start (pieces are sorted and disjoint). */
    int lo = 0, hi = fb->nr;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (fb->p[mid].last < start) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    uint64_t cur = start;
    int i = lo;
    for (;;) {
        if (i >= fb->nr || fb->p[i].start > last) {
            fb_insert_at(fb, i, cur, last, mr, offset + (cur - start));
            return;
        }
        if (fb->p[i].start > cur) {
            fb_insert_at(fb, i, cur, fb->p[i].start - 1, mr, offset + (cur - start));
            i++;
        }
        if (fb->p[i].last >= last) {
            return;
        }
        cur = fb->p[i].last + 1;
        i++;
    }
}

/*
 * Render the offsets [vs, vl] of mr, which appear at guest address
 * offset + delta (mod 2^64).  The caller guarantees that this range of
 * guest addresses does not wrap; every step below keeps that true.
 */
static void render_region(FlatBuilder *fb, MemoryRegion *mr, uint64_t vs, uint64_t vl,
                          uint64_t delta, int depth)
{
    if (!mr || !mr->enabled || mr->size == 0) {
        return;
    }
    if (depth > MEMORY_MAX_DEPTH) {
        error_report("memory: region '%s' nested too deeply (alias cycle?); not mapped",
                     mr->name);
        return;
    }
    vl = MIN(vl, mr_last(mr));
    if (vs > vl) {
        return;
    }

    for (int i = 0; i < mr->nr_subregions; i++) {
        MemoryRegion *c = mr->subregions[i];
        if (!c->enabled || c->size == 0 || c->addr > vl) {
            continue;
        }
        uint64_t c_last = mr_last(c);
        uint64_t c_end = c_last > UINT64_MAX - c->addr ? UINT64_MAX : c->addr + c_last;
        uint64_t s = MAX(vs, c->addr);
        uint64_t l = MIN(vl, c_end);
        if (s > l) {
            continue;
        }
        render_region(fb, c, s - c->addr, l - c->addr, delta + c->addr, depth + 1);
    }

    switch (mr->kind) {
    case MR_RAM:
    case MR_ROM:
    case MR_IO:
        fb_fill_gaps(fb, vs + delta, vl + delta, mr, vs);
        break;
    case MR_ALIAS: {
        MemoryRegion *t = mr->alias;
        uint64_t ao = mr->alias_offset;
        if (!t || t->size == 0 || ao > mr_last(t) || vs > mr_last(t) - ao) {
            break;
        }
        uint64_t tl = MIN(vl, mr_last(t) - ao) + ao;
        render_region(fb, t, vs + ao, tl, delta - ao, depth + 1);
        break;
    }
    case MR_CONTAINER:
        break;
    }
}

static FlatView *flatview_build(MemoryRegion *root)
{
    FlatBuilder fb = { 0 };
    if (root) {
        render_region(&fb, root, 0, UINT64_MAX, 0, 0);
    }

    /* Join neighbours that continue the same region, so listeners see fewer slots. */
    int n = 0;
    for (int i = 0; i < fb.nr; i++) {
        if (n > 0) {
            FlatPiece *prev = &fb.p[n - 1];
            if (prev->mr == fb.p[i].mr && prev->last + 1 == fb.p[i].start &&
                prev->offset + (prev->last - prev->start) + 1 == fb.p[i].offset) {
                prev->last = fb.p[i].last;
                continue;
            }
        }
        fb.p[n++] = fb.p[i];
    }

    FlatView *fv = XNEW(FlatView);
    /* A piece spanning all 2^64 addresses has no uint64_t size: it becomes two ranges. */
    fv->ranges = xcalloc((size_t)n + 1, sizeof(FlatRange));
    for (int i = 0; i < n; i++) {
        FlatPiece *p = &fb.p[i];
        if (p->start == 0 && p->last == UINT64_MAX) {
            uint64_t half = 1ULL << 63;
            fv->ranges[fv->nr++] = (FlatRange){ 0, half, p->mr, p->offset };
            fv->ranges[fv->nr++] = (FlatRange){ half, half, p->mr, p->offset + half };
        } else {
            fv->ranges[fv->nr++] =
                (FlatRange){ p->start, p->last - p->start + 1, p->mr, p->offset };
        }
    }
    free(fb.p);
    return fv;
}

static void flatview_free(FlatView *fv)
{
    if (fv) {
        free(fv->ranges);
        free(fv);
    }
}

/* Index of the last range starting at or below addr, or -1. */
static inline int flatview_find(const FlatView *fv, uint64_t addr)
{
    int lo = 0, hi = fv->nr;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (fv->ranges[mid].start <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo - 1;
}

static void address_space_rebuild(AddressSpace *as)
{
    static uint64_t last_generation;
    FlatView *old = as->view;
    as->view = flatview_build(as->root);
    as->generation = ++last_generation;
    /*
     * Freed at once: dispatch code never holds a FlatRange across a device
     * callback, which is the only way to get here while a lookup is live.
     */
    flatview_free(old);
    for (MemoryListener *l = as->listeners, *next; l; l = next) {
        next = l->next; /* the listener may remove itself */
        if (l->map_changed) {
            l->map_changed(l, as);
        }
    }
}

/*
 * The address spaces that can see mr, through parents or through aliases of
 * it or of its ancestors (the caller frees the array).
 */
static int memory_region_visible_spaces(MemoryRegion *mr, AddressSpace ***out)
{
    MemoryRegion **seen = NULL, **stack = NULL;
    AddressSpace **spaces = NULL;
    int nr_seen = 0, nr_stack = 0, nr_spaces = 0;

    mr_array_insert(&stack, &nr_stack, 0, mr);
    while (nr_stack > 0) {
        MemoryRegion *r = stack[--nr_stack];
        if (mr_array_contains(seen, nr_seen, r)) {
            continue;
        }
        mr_array_insert(&seen, &nr_seen, nr_seen, r);
        for (int i = 0; i < r->nr_address_spaces; i++) {
            if (!as_array_contains(spaces, nr_spaces, r->address_spaces[i])) {
                as_array_insert(&spaces, &nr_spaces, nr_spaces, r->address_spaces[i]);
            }
        }
        if (r->parent) {
            mr_array_insert(&stack, &nr_stack, nr_stack, r->parent);
        }
        for (int i = 0; i < r->nr_alias_users; i++) {
            mr_array_insert(&stack, &nr_stack, nr_stack, r->alias_users[i]);
        }
    }
    free(seen);
    free(stack);
    *out = spaces;
    return nr_spaces;
}

/* Something in or under mr changed: every space that can see it gets a new flat view. */
static void memory_region_changed(MemoryRegion *mr)
{
    AddressSpace **spaces;
    int nr_spaces = memory_region_visible_spaces(mr, &spaces);
    for (int i = 0; i < nr_spaces; i++) {
        address_space_rebuild(spaces[i]);
    }
    free(spaces);
}

void memory_region_sync_dirty_bitmap(MemoryRegion *mr)
{
    if (!mr->dirty_bitmap) {
        return;
    }
    AddressSpace **spaces;
    int nr_spaces = memory_region_visible_spaces(mr, &spaces);
    for (int i = 0; i < nr_spaces; i++) {
        for (MemoryListener *l = spaces[i]->listeners; l; l = l->next) {
            if (l->log_sync) {
                l->log_sync(l, spaces[i], mr);
            }
        }
    }
    free(spaces);
}

/* ------------------------------------------------------------------------ */
/* Regions. */

static void region_init(MemoryRegion *mr, const char *name, MemoryRegionKind kind,
                        uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->name = xstrdup(name ? name : "anonymous");
    mr->kind = kind;
    mr->size = size;
    mr->enabled = true;
}

static uint8_t *ram_alloc(const char *name, uint64_t size)
{
    if (size == 0) {
        return NULL;
    }
    /*
     * mmap rather than calloc: the memory is page aligned (KVM memory slots
     * require it) and zero pages are only touched when the guest uses them.
     */
    void *p = MAP_FAILED;
    if (size <= SIZE_MAX) {
        p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                 0);
    }
    if (p == MAP_FAILED) {
        error_report("cannot allocate %" PRIu64 " bytes of memory for '%s'", size, name);
        exit(1);
    }
#ifdef MADV_HUGEPAGE
    /*
     * Guest RAM in transparent huge pages where the host allows them (advisory; hosts set
     * to "madvise" need the hint): the DBT reaches RAM through host virtual addresses, and
     * a guest that walks page tables and touches fresh pages all over RAM (fork and exec)
     * otherwise misses the host's TLB on most of them.
     */
    if (size >= (2u << 20)) {
        madvise(p, (size_t)size, MADV_HUGEPAGE);
    }
#endif
    return p;
}

void memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size)
{
    region_init(mr, name, MR_RAM, size);
    mr->ram = ram_alloc(mr->name, size);
}

void memory_region_init_rom(MemoryRegion *mr, const char *name, uint64_t size)
{
    region_init(mr, name, MR_ROM, size);
    mr->ram = ram_alloc(mr->name, size);
}

static void check_sizes(const char *name, const char *what, unsigned min, unsigned max)
{
    bool ok_min = min == 0 || access_size_ok(min);
    bool ok_max = max == 0 || access_size_ok(max);
    if (!ok_min || !ok_max || (min && max && min > max)) {
        memory_bug("region '%s': bad %s access sizes %u..%u", name, what, min, max);
    }
}

void memory_region_init_io(MemoryRegion *mr, const char *name, const MemoryRegionOps *ops,
                           void *opaque, uint64_t size)
{
    name = name ? name : "anonymous";
    if (!ops) {
        memory_bug("region '%s': no ops", name);
    }
    check_sizes(name, "valid", ops->valid.min_access_size, ops->valid.max_access_size);
    check_sizes(name, "impl", ops->impl.min_access_size, ops->impl.max_access_size);
    region_init(mr, name, MR_IO, size);
    mr->ops = ops;
    mr->opaque = opaque;
}

void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size)
{
    region_init(mr, name, MR_CONTAINER, size);
}

void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              uint64_t offset, uint64_t size)
{
    region_init(mr, name, MR_ALIAS, size);
    mr->alias = orig;
    mr->alias_offset = offset;
    if (orig) {
        mr_array_insert(&orig->alias_users, &orig->nr_alias_users, orig->nr_alias_users, mr);
    }
}

void memory_region_destroy(MemoryRegion *mr)
{
    if (mr->parent) {
        memory_region_del_subregion(mr->parent, mr);
    }
    for (int i = 0; i < mr->nr_subregions; i++) {
        mr->subregions[i]->parent = NULL;
    }
    free(mr->subregions);
    mr->subregions = NULL;
    mr->nr_subregions = 0;

    /* Aliases of mr now show nothing; the spaces that saw them are rebuilt. */
    while (mr->nr_alias_users > 0) {
        MemoryRegion *user = mr->alias_users[mr->nr_alias_users - 1];
        mr_array_remove(&mr->alias_users, &mr->nr_alias_users, user);
        user->alias = NULL;
        memory_region_changed(user);
    }
    if (mr->kind == MR_ALIAS && mr->alias) {
        mr_array_remove(&mr->alias->alias_users, &mr->alias->nr_alias_users, mr);
        mr->alias = NULL;
    }
    /* Spaces rooted here become empty rather than keep a dangling root. */
    while (mr->nr_address_spaces > 0) {
        AddressSpace *as = mr->address_spaces[mr->nr_address_spaces - 1];
        as_array_remove(&mr->address_spaces, &mr->nr_address_spaces, as);
        as->root = NULL;
        address_space_rebuild(as);
    }

    if (mr->ram) {
        munmap(mr->ram, (size_t)mr->size);
    }
    free(mr->dirty_bitmap);
    free(mr->name);
    memset(mr, 0, sizeof(*mr));
}

void memory_region_add_subregion_overlap(MemoryRegion *parent, uint64_t offset,
                                         MemoryRegion *child, int priority)
{
    if (child->parent) {
        memory_bug("region '%s' is already mapped in '%s'", child->name, child->parent->name);
    }
    if (child == parent) {
        memory_bug("region '%s' cannot contain itself", child->name);
    }
    child->parent = parent;
    child->addr = offset;
    child->priority = priority;
    /*
     * Keep the list in render order: higher priority first and, among equal
     * priorities, the most recently added first, because it wins.
     */
    int pos = 0;
    while (pos < parent->nr_subregions && parent->subregions[pos]->priority > priority) {
        pos++;
    }
    mr_array_insert(&parent->subregions, &parent->nr_subregions, pos, child);
    memory_region_changed(parent);
}

void memory_region_add_subregion(MemoryRegion *parent, uint64_t offset, MemoryRegion *child)
{
    memory_region_add_subregion_overlap(parent, offset, child, 0);
}

void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *child)
{
    if (child->parent != parent ||
        !mr_array_remove(&parent->subregions, &parent->nr_subregions, child)) {
        memory_bug("region '%s' is not mapped in '%s'", child->name, parent->name);
    }
    child->parent = NULL;
    memory_region_changed(parent);
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled == enabled) {
        return;
    }
    mr->enabled = enabled;
    memory_region_changed(mr);
}

void memory_region_set_address(MemoryRegion *mr, uint64_t addr)
{
    if (mr->addr == addr) {
        return;
    }
    mr->addr = addr;
    memory_region_changed(mr);
}

void memory_region_set_alias_offset(MemoryRegion *mr, uint64_t offset)
{
    if (mr->kind != MR_ALIAS) {
        memory_bug("region '%s' is not an alias", mr->name);
    }
    if (mr->alias_offset == offset) {
        return;
    }
    mr->alias_offset = offset;
    memory_region_changed(mr);
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly == readonly) {
        return;
    }
    mr->readonly = readonly;
    /* The layout is the same, but listeners map writes differently (KVM slots, TLB). */
    memory_region_changed(mr);
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    uint64_t offset = 0;
    for (int depth = 0; mr && depth <= MEMORY_MAX_DEPTH; depth++) {
        if (mr->kind == MR_RAM || mr->kind == MR_ROM) {
            return mr->ram && offset < mr->size ? mr->ram + offset : NULL;
        }
        if (mr->kind != MR_ALIAS) {
            return NULL;
        }
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Dirty tracking. */

static inline bool dirty_clip(const MemoryRegion *mr, uint64_t *offset, uint64_t *len)
{
    if (!mr->dirty_bitmap || *len == 0 || *offset >= mr->size) {
        return false;
    }
    *len = MIN(*len, mr->size - *offset);
    return true;
}

/* [offset, offset + len) must lie inside mr, len > 0. */
static void dirty_mark(MemoryRegion *mr, uint64_t offset, uint64_t len)
{
    uint64_t first = offset >> MEMORY_PAGE_BITS;
    uint64_t last = (offset + len - 1) >> MEMORY_PAGE_BITS;
    for (uint64_t p = first; p <= last; p++) {
        mr->dirty_bitmap[p / BITS_PER_ULONG] |= 1UL << (p % BITS_PER_ULONG);
    }
}

void memory_region_set_dirty_tracking(MemoryRegion *mr, bool on)
{
    if (mr->kind != MR_RAM && mr->kind != MR_ROM) {
        memory_bug("region '%s': dirty tracking needs RAM or ROM", mr->name);
    }
    if (on && !mr->dirty_bitmap) {
        uint64_t pages = (mr->size >> MEMORY_PAGE_BITS) + !!(mr->size & (MEMORY_PAGE_SIZE - 1));
        uint64_t words = pages / BITS_PER_ULONG + 1;
        mr->dirty_bitmap = xcalloc((size_t)words, sizeof(unsigned long));
    } else if (!on) {
        free(mr->dirty_bitmap);
        mr->dirty_bitmap = NULL;
    }
}

void memory_region_set_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len)
{
    if (dirty_clip(mr, &offset, &len)) {
        dirty_mark(mr, offset, len);
    }
}

bool memory_region_test_and_clear_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len)
{
    if (!dirty_clip(mr, &offset, &len)) {
        return false;
    }
    uint64_t first = offset >> MEMORY_PAGE_BITS;
    uint64_t last = (offset + len - 1) >> MEMORY_PAGE_BITS;
    bool dirty = false;
    for (uint64_t p = first; p <= last; p++) {
        unsigned long *w = &mr->dirty_bitmap[p / BITS_PER_ULONG];
        unsigned long bit = 1UL << (p % BITS_PER_ULONG);
        if (*w & bit) {
            dirty = true;
            *w &= ~bit;
        }
    }
    return dirty;
}

/* ------------------------------------------------------------------------ */
/* Address spaces. */

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    memset(as, 0, sizeof(*as));
    as->name = xstrdup(name ? name : "anonymous");
    as->root = root;
    if (root) {
        as_array_insert(&root->address_spaces, &root->nr_address_spaces,
                        root->nr_address_spaces, as);
    }
    as->view = flatview_build(root);
}

void address_space_destroy(AddressSpace *as)
{
    if (as->root) {
        as_array_remove(&as->root->address_spaces, &as->root->nr_address_spaces, as);
    }
    flatview_free(as->view);
    free(as->name);
    memset(as, 0, sizeof(*as));
}

void address_space_add_listener(AddressSpace *as, MemoryListener *l)
{
    MemoryListener **p = &as->listeners;
    while (*p) {
        p = &(*p)->next;
    }
    l->next = NULL;
    *p = l;
    /* Tell the newcomer about the current map, so it needs no separate setup path. */
    if (l->map_changed) {
        l->map_changed(l, as);
    }
}

void address_space_remove_listener(AddressSpace *as, MemoryListener *l)
{
    for (MemoryListener **p = &as->listeners; *p; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            l->next = NULL;
            return;
        }
    }
}

const FlatRange *address_space_lookup(AddressSpace *as, uint64_t addr)
{
    const FlatView *fv = as->view;
    int i = flatview_find(fv, addr);
    if (i >= 0 && addr - fv->ranges[i].start < fv->ranges[i].size) {
        return &fv->ranges[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Dispatch. */

/*
 * One access to an MMIO region at offset, with the region's valid and impl
 * rules applied.  Only mr is used, never a FlatRange: the callbacks may
 * change the map.
 */
static MemTxResult io_access(AddressSpace *as, uint64_t addr, MemoryRegion *mr,
                             uint64_t offset, unsigned size, uint64_t *value, bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned vmin = ops->valid.min_access_size ? ops->valid.min_access_size : 1;
    unsigned vmax = ops->valid.max_access_size ? ops->valid.max_access_size : 8;
    bool unaligned = !ops->valid.unaligned && (offset & (size - 1));

    bool missing = is_write ? !ops->write : !ops->read;

    if (size < vmin || size > vmax || unaligned || missing) {
        log_guest_error("%s: invalid %u-byte %s at 0x%" PRIx64 " ('%s' + 0x%" PRIx64
                        ")%s, ignored\n",
                        as->name, size, is_write ? "write" : "read", addr, mr->name, offset,
                        unaligned ? " unaligned" : "");
        if (!is_write) {
            *value = size_mask(size);
        }
        return MEMTX_ERROR;
    }

    unsigned imin = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    /* An implementation that only sets a minimum above 4 means exactly that size and up. */
    unsigned imax = ops->impl.max_access_size ? ops->impl.max_access_size : MAX(4, imin);

    if (size > imax) {
        /* Little-endian pieces in ascending order. */
        uint64_t v = is_write ? *value : 0;
        for (unsigned i = 0; i < size; i += imax) {
            if (is_write) {
                ops->write(mr->opaque, offset + i, (v >> (i * 8)) & size_mask(imax), imax);
            } else {
                v |= (ops->read(mr->opaque, offset + i, imax) & size_mask(imax)) << (i * 8);
            }
        }
        if (!is_write) {
            *value = v;
        }
    } else if (size < imin) {
        /*
         * Widen to the aligned imin-sized words covering the access (two when
         * an unaligned access crosses a word boundary).  Writes put the value
         * in place with zeroes around it: reading first could fire read side
         * effects.
         */
        uint64_t last = offset + size - 1;
        uint64_t v = 0;
        for (uint64_t w = offset & ~(uint64_t)(imin - 1);; w += imin) {
            uint64_t mask = size_mask(size);
            if (is_write) {
                uint64_t wv = w <= offset ? *value << ((offset - w) * 8)
                                          : *value >> ((w - offset) * 8);
                mask = w <= offset ? mask << ((offset - w) * 8) : mask >> ((w - offset) * 8);
                ops->write(mr->opaque, w, wv & mask & size_mask(imin), imin);
            } else {
                uint64_t r = ops->read(mr->opaque, w, imin) & size_mask(imin);
                v |= w <= offset ? r >> ((offset - w) * 8) : r << ((w - offset) * 8);
            }
            if (w + imin - 1 >= last) {
                break;
            }
        }
        if (!is_write) {
            *value = v & size_mask(size);
        }
    } else if (is_write) {
        ops->write(mr->opaque, offset, *value & size_mask(size), size);
    } else {
        *value = ops->read(mr->opaque, offset, size) & size_mask(size);
    }
    return MEMTX_OK;
}

/* The largest MMIO access the alignment, the remaining length and the device allow. */
static unsigned io_chunk_size(const MemoryRegion *mr, uint64_t offset, uint64_t len)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned vmax = ops->valid.max_access_size ? ops->valid.max_access_size : 8;
    unsigned size = 8;
    while (size > 1 && (size > len || size > vmax ||
                        (!ops->valid.unaligned && (offset & (size - 1))))) {
        size >>= 1;
    }
    return size;
}

typedef enum RwMode {
    RW_READ,
    RW_WRITE,
    RW_WRITE_ROM,
} RwMode;

static const char *const rw_mode_name[] = { "read", "write", "write" };

/*
 * The general path: a buffer that may cross ranges, holes and the top of the
 * address space.  Each step looks the address up again, because an MMIO
 * callback in the previous step may have changed the map.
 */
static MemTxResult address_space_rw(AddressSpace *as, uint64_t addr, uint8_t *buf,
                                    uint64_t len, RwMode mode)
{
    MemTxResult res = MEMTX_OK;
    uint64_t done = 0;

    while (done < len) {
        uint64_t rem = len - done;
        if (done > UINT64_MAX - addr) {
            /* Past 2^64: no address wraps around to 0. */
            log_guest_error("%s: %s of %" PRIu64 " bytes beyond the top of the address space"
                            " (access at 0x%" PRIx64 ", %" PRIu64 " bytes)\n",
                            as->name, rw_mode_name[mode], rem, addr, len);
            if (mode == RW_READ) {
                memset(buf + done, 0xff, rem);
            }
            return memtx_worst(res, MEMTX_DECODE_ERROR);
        }
        uint64_t a = addr + done;
        /* Bytes in this step, minus one, so that 2^64 - a never has to be formed. */
        uint64_t n1 = MIN(rem - 1, UINT64_MAX - a);

        const FlatView *fv = as->view;
        int i = flatview_find(fv, a);
        if (i < 0 || a - fv->ranges[i].start >= fv->ranges[i].size) {
            if (i + 1 < fv->nr) {
                n1 = MIN(n1, fv->ranges[i + 1].start - 1 - a);
            }
            log_guest_error("%s: unassigned %s of %" PRIu64 " bytes at 0x%" PRIx64 "\n",
                            as->name, rw_mode_name[mode], n1 + 1, a);
            if (mode == RW_READ) {
                memset(buf + done, 0xff, n1 + 1);
            }
            res = memtx_worst(res, MEMTX_DECODE_ERROR);
            done += n1 + 1;
            continue;
        }

        const FlatRange *fr = &fv->ranges[i];
        uint64_t rel = a - fr->start;
        n1 = MIN(n1, fr->size - 1 - rel);
        MemoryRegion *mr = fr->mr;
        uint64_t offset = fr->offset_in_region + rel;
        uint64_t n = n1 + 1;

        if (mr->kind == MR_IO) {
            if (mode == RW_WRITE_ROM) {
                /* Firmware images are loaded into memory, never into device registers. */
                done += n;
                continue;
            }
            unsigned size = io_chunk_size(mr, offset, n);
            uint64_t v = 0;
            if (mode == RW_READ) {
                res = memtx_worst(res, io_access(as, a, mr, offset, size, &v, false));
                stn_le_p(buf + done, size, v);
            } else {
                v = ldn_le_p(buf + done, size);
                res = memtx_worst(res, io_access(as, a, mr, offset, size, &v, true));
            }
            done += size;
            continue;
        }

        if (mode == RW_READ) {
            memcpy(buf + done, mr->ram + offset, n);
        } else if (mode == RW_WRITE && (mr->kind == MR_ROM || mr->readonly)) {
            log_guest_error("%s: write of %" PRIu64 " bytes at 0x%" PRIx64
                            " to read-only '%s' ignored\n",
                            as->name, n, a, mr->name);
        } else {
            memcpy(mr->ram + offset, buf + done, n);
            if (mr->dirty_bitmap) {
                dirty_mark(mr, offset, n);
            }
            if (as->ram_written) {
                as->ram_written(as->ram_written_opaque, a, n);
            }
        }
        done += n;
    }
    return res;
}

static MemTxResult bad_access_size(AddressSpace *as, uint64_t addr, unsigned size,
                                   const char *what)
{
    log_guest_error("%s: %s of invalid size %u at 0x%" PRIx64 "\n", as->name, what, size, addr);
    return MEMTX_ERROR;
}

void address_space_set_ram_written(AddressSpace *as,
                                   void (*fn)(void *opaque, uint64_t addr, uint64_t len),
                                   void *opaque)
{
    as->ram_written = fn;
    as->ram_written_opaque = opaque;
}

MemTxResult address_space_ld(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value)
{
    if (unlikely(!access_size_ok(size))) {
        *value = ~0ULL;
        return bad_access_size(as, addr, size, "read");
    }
    const FlatView *fv = as->view;
    int i = flatview_find(fv, addr);
    if (likely(i >= 0)) {
        const FlatRange *fr = &fv->ranges[i];
        uint64_t rel = addr - fr->start;
        if (likely(rel < fr->size && size <= fr->size - rel)) {
            MemoryRegion *mr = fr->mr;
            uint64_t offset = fr->offset_in_region + rel;
            if (likely(mr->kind != MR_IO)) {
                *value = ldn_le_p(mr->ram + offset, size);
                return MEMTX_OK;
            }
            return io_access(as, addr, mr, offset, size, value, false);
        }
    }
    /* A hole, or an access straddling ranges: take it bytewise through the buffer path. */
    uint8_t buf[8];
    MemTxResult res = address_space_rw(as, addr, buf, size, RW_READ);
    *value = ldn_le_p(buf, size);
    return res;
}

MemTxResult address_space_st(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value)
{
    if (unlikely(!access_size_ok(size))) {
        return bad_access_size(as, addr, size, "write");
    }
    const FlatView *fv = as->view;
    int i = flatview_find(fv, addr);
    if (likely(i >= 0)) {
        const FlatRange *fr = &fv->ranges[i];
        uint64_t rel = addr - fr->start;
        if (likely(rel < fr->size && size <= fr->size - rel)) {
            MemoryRegion *mr = fr->mr;
            uint64_t offset = fr->offset_in_region + rel;
            if (likely(mr->kind == MR_RAM && !mr->readonly)) {
                stn_le_p(mr->ram + offset, size, value);
                if (unlikely(mr->dirty_bitmap != NULL)) {
                    dirty_mark(mr, offset, size);
                }
                if (as->ram_written) {
                    as->ram_written(as->ram_written_opaque, addr, size);
                }
                return MEMTX_OK;
            }
            if (mr->kind == MR_IO) {
                return io_access(as, addr, mr, offset, size, &value, true);
            }
            log_guest_error("%s: %u-byte write at 0x%" PRIx64 " to read-only '%s' ignored\n",
                            as->name, size, addr, mr->name);
            return MEMTX_OK;
        }
    }
    uint8_t buf[8];
    stn_le_p(buf, size, value);
    return address_space_rw(as, addr, buf, size, RW_WRITE);
}

MemTxResult address_space_read(AddressSpace *as, uint64_t addr, void *buf, uint64_t len)
{
    return address_space_rw(as, addr, buf, len, RW_READ);
}

MemTxResult address_space_write(AddressSpace *as, uint64_t addr, const void *buf, uint64_t len)
{
    /* The buffer is only read in write modes. */
    return address_space_rw(as, addr, (uint8_t *)buf, len, RW_WRITE);
}

MemTxResult address_space_write_rom(AddressSpace *as, uint64_t addr, const void *buf,
                                    uint64_t len)
{
    return address_space_rw(as, addr, (uint8_t *)buf, len, RW_WRITE_ROM);
}
