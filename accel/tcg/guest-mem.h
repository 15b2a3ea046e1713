/*
 * How generated code reaches guest memory.  The engine knows no guest: qemu_ld/qemu_st
 * call the embedding's hooks, which own address translation, MMIO and faults (a fault
 * unwinds with siglongjmp after the backend has recorded the position; see backend.h).
 *
 * Optionally the embedding also publishes its direct-mapped software TLB in the
 * TLBFastEntry layout below.  A backend then compares the address against the entry
 * inline and touches host memory directly on a hit, calling the hooks only on a miss.
 * The interpreter does this in interp_qemu_ld()/interp_qemu_st(); a native backend emits
 * the same compare before each access, with the hook call on an out-of-line slow path.
 */
#ifndef ACCEL_TCG_GUEST_MEM_H
#define ACCEL_TCG_GUEST_MEM_H

#include "accel/tcg/ir.h"

typedef struct GuestMemOps {
    /*
     * Load 1 << (memop & IR_MO_SIZE) bytes at guest virtual address addr.  Return the
     * value zero-extended (the engine applies IR_MO_SIGN itself).
     */
    uint64_t (*load)(void *env, uint64_t addr, unsigned memop, unsigned mmu_idx);
    /* Store the low 1 << (memop & IR_MO_SIZE) bytes of val. */
    void (*store)(void *env, uint64_t addr, uint64_t val, unsigned memop, unsigned mmu_idx);
} GuestMemOps;

/*
 * One TLB entry.  addr_read/addr_write/addr_code hold the guest page address with the low
 * (in-page) bits clear for a plain RAM page the access may use directly; any low bit set
 * (MMIO, not-dirty, watchpoint, invalid = -1) makes the inline compare fail and sends the
 * access to the hook.  addend: host address = guest address + addend.
 */
typedef struct TLBFastEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
} TLBFastEntry;

/*
 * The TLB as the backend sees it.  For mmu index i, table[i] has mask[i] + 1 entries (a
 * power of two, at least 2, or table[i] == NULL for "always use the hook"); the entry for
 * addr is table[i][(addr >> page_bits) & mask[i]].  The embedding may resize or refill the
 * tables at any time outside generated code.  The native x86-64 backend runs on a private
 * copy of a TLBFast that has a NULL table (made when it enters code), so an embedding that
 * switches table pointers from hooks or helpers must leave no table NULL (a one-entry
 * table whose tags are all ones always misses).
 */
typedef struct TLBFast {
    TLBFastEntry *table[IR_MAX_MMU_IDX];
    uint64_t mask[IR_MAX_MMU_IDX];
    /*
     * mask[i] * sizeof(TLBFastEntry): the byte offset of the entry is
     * (addr >> (page_bits - log2(sizeof entry))) & index_mask[i], one shift and one AND
     * where the index would take two shifts.  Set both with tlb_fast_set_mask().
     */
    uint64_t index_mask[IR_MAX_MMU_IDX];
    unsigned page_bits;
} TLBFast;

/* The entry size is a power of two: the native backend indexes with a shift, not a multiply. */
#define TLB_FAST_ENTRY_BITS 5
_Static_assert(sizeof(TLBFastEntry) == 1u << TLB_FAST_ENTRY_BITS, "TLBFastEntry is 32 bytes");

static inline void tlb_fast_set_mask(TLBFast *t, unsigned mmu_idx, uint64_t mask)
{
    t->mask[mmu_idx] = mask;
    t->index_mask[mmu_idx] = mask << TLB_FAST_ENTRY_BITS;
}

/*
 * The inline hit test: the entry tag must equal the page of the access's last byte, so an
 * access that crosses into the next page (whose entry lives at the next index) misses.
 */
static inline TLBFastEntry *tlb_fast_entry(const TLBFast *t, unsigned mmu_idx, uint64_t addr)
{
    return &t->table[mmu_idx][(addr >> t->page_bits) & t->mask[mmu_idx]];
}

static inline uint64_t tlb_fast_tag(const TLBFast *t, uint64_t addr, unsigned size)
{
    return (addr + size - 1) & ~(((uint64_t)1 << t->page_bits) - 1);
}

#endif
