/*
 * The x86 page walker (SDM vol. 3A chapter 4): 32-bit paging with PSE and
 * PSE-36, PAE paging with the PDPTE registers, and 4-level paging, with the
 * NX, WP and U/S protection rules, accessed/dirty bit updates and the
 * reserved-bit checks that produce PF_ERR_RSVD.
 *
 * Paging-structure entries are read and written in guest physical memory
 * through the machine's memory address space.  The DBT is single-threaded
 * per CPU, so a read-modify-write of an entry is atomic enough.
 */
#include "cpu/x86/mmu.h"
#include "core/log.h"
#include "core/machine.h"

#include <inttypes.h>

#define PG_P (1ull << 0)
#define PG_RW (1ull << 1)
#define PG_US (1ull << 2)
#define PG_A (1ull << 5)
#define PG_D (1ull << 6)
#define PG_PS (1ull << 7)
#define PG_G (1ull << 8)
#define PG_NX (1ull << 63)

/* Bits MAXPHYADDR..51 of a 64-bit entry: must be zero. */
#define PHYS_RSVD_MASK (((1ull << 52) - 1) & ~((1ull << X86_PHYS_ADDR_BITS) - 1))
#define ADDR_MASK_4K (((1ull << X86_PHYS_ADDR_BITS) - 1) & ~0xfffull)

/*
 * The host address of [paddr, paddr + size) when it lies in the cached RAM/ROM
 * range of the current flat view, else NULL.  Page walks read a handful of
 * entries from a few table pages, nearly always in the one big RAM range.
 */
static inline uint8_t *walk_ram_ptr(CPUX86State *env, AddressSpace *as, uint64_t paddr,
                                    unsigned size)
{
    uint64_t rel = paddr - env->walk_ram_start;
    if (likely(env->walk_ram_generation == as->generation && rel < env->walk_ram_size &&
               size <= env->walk_ram_size - rel)) {
        return env->walk_ram_host + rel;
    }
    return NULL;
}

/* Remember the range that holds paddr when it is host memory. */
static void walk_ram_fill(CPUX86State *env, AddressSpace *as, uint64_t paddr)
{
    const FlatRange *fr = address_space_lookup(as, paddr);
    if (fr && fr->mr->kind != MR_IO && fr->mr->ram) {
        env->walk_ram_generation = as->generation;
        env->walk_ram_start = fr->start;
        env->walk_ram_size = fr->size;
        env->walk_ram_host = fr->mr->ram + fr->offset_in_region;
    }
}

uint64_t x86_phys_ld(CPUX86State *env, uint64_t paddr, unsigned size)
{
    uint64_t val = ~0ull;
    if (env->machine) {
        AddressSpace *as = &env->machine->as_memory;
        paddr &= env->a20_mask;
        uint8_t *host = walk_ram_ptr(env, as, paddr, size);
        if (likely(host)) {
            val = ldn_le_p(host, size);
        } else {
            address_space_ld(as, paddr, size, &val);
            walk_ram_fill(env, as, paddr);
        }
    }
    return size == 8 ? val : val & ((1ull << (size * 8)) - 1);
}

/*
 * Stores (accessed/dirty updates, rare: most walks find the bits set) keep the full
 * path, so read-only RAM, dirty tracking and RAM write notifications see them.
 */
void x86_phys_st(CPUX86State *env, uint64_t paddr, unsigned size, uint64_t val)
{
    if (env->machine) {
        address_space_st(&env->machine->as_memory, paddr & env->a20_mask, size, val);
    }
}

bool x86_mmu_load_pdptes(CPUX86State *env)
{
    uint64_t base = env->cr[3] & 0xffffffe0u;
    uint64_t pdpte[4];
    /* PAE PDPTE: bits 2:1, 8:5 and 63:MAXPHYADDR are reserved (SDM table 4-8). */
    const uint64_t rsvd = 0x1e6ull | PHYS_RSVD_MASK | (0xfffull << 52);

    for (int i = 0; i < 4; i++) {
        pdpte[i] = x86_phys_ld(env, base + 8 * i, 8);
        if ((pdpte[i] & PG_P) && (pdpte[i] & rsvd)) {
            log_guest_error("PAE PDPTE %d = %#" PRIx64 " has reserved bits set\n", i,
                            pdpte[i]);
            return false;
        }
    }
    memcpy(env->pdptrs, pdpte, sizeof(pdpte));
    return true;
}

/* One level of the walk: what the caller needs to remember. */
typedef struct WalkState {
    uint64_t entry_addr[5];
    uint64_t entry_val[5]; /* as read during the walk */
    unsigned entry_size;
    int nr;
    bool rw, us, nx; /* accumulated: all RW, all US, any XD */
} WalkState;

static void walk_note(WalkState *w, uint64_t addr, uint64_t entry)
{
    w->entry_addr[w->nr] = addr;
    w->entry_val[w->nr++] = entry;
    w->rw &= !!(entry & PG_RW);
    w->us &= !!(entry & PG_US);
    w->nx |= !!(entry & PG_NX);
}

bool x86_mmu_translate(CPUX86State *env, uint64_t vaddr, int access, int mmu_idx,
                       uint64_t *paddr, int *prot, uint64_t *page_size,
                       uint32_t *pf_error_code)
{
    bool is_write = access == X86_ACCESS_WRITE;
    bool is_fetch = access == X86_ACCESS_FETCH;
    bool user = mmu_idx == MMU_USER_IDX;
    bool lma = env->efer & EFER_LMA;
    bool pae = env->cr[4] & CR4_PAE;
    bool nxe = (env->efer & EFER_NXE) && pae;
    WalkState w = {.rw = true, .us = true, .nx = false};
    uint64_t entry, size;
    uint32_t err = (is_write ? PF_ERR_W : 0) | (user ? PF_ERR_U : 0) |
                   (is_fetch && nxe ? PF_ERR_I : 0);
    /* Reserved bits of every 64-bit entry; XD is reserved without EFER.NXE. */
    uint64_t rsvd64 = PHYS_RSVD_MASK | (nxe ? 0 : PG_NX);

    *pf_error_code = 0;
    if (mmu_idx == MMU_PHYS_IDX || !(env->cr[0] & CR0_PG)) {
        if (mmu_idx != MMU_PHYS_IDX) {
            vaddr &= 0xffffffffu;
        }
        *paddr = vaddr & env->a20_mask;
        *prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
        *page_size = 4096;
        return true;
    }

    if (lma || pae) {
        int level;
        uint64_t table;
        w.entry_size = 8;
        if (lma) {
            if (!x86_is_canonical(vaddr)) {
                /* The caller raises #GP/#SS for these; never map one. */
                *pf_error_code = err;
                return false;
            }
            level = 4;
            table = env->cr[3] & ADDR_MASK_4K;
        } else {
            /* The PDPTE registers were checked for reserved bits when loaded. */
            vaddr &= 0xffffffffu;
            uint64_t pdpte = env->pdptrs[(vaddr >> 30) & 3];
            if (!(pdpte & PG_P)) {
                goto not_present;
            }
            level = 2;
            table = pdpte & ADDR_MASK_4K;
        }
        for (;; level--) {
            unsigned shift = 12 + 9 * (level - 1);
            uint64_t addr = table + ((vaddr >> shift) & 511) * 8;
            uint64_t rsvd = rsvd64;
            entry = x86_phys_ld(env, addr, 8);
            if (!(entry & PG_P)) {
                goto not_present;
            }
            if (level == 4) {
                rsvd |= PG_PS;
            } else if (level == 3 && (entry & PG_PS)) {
                rsvd |= 0x3fffe000ull; /* 1 GiB page: bits 29:13 */
            } else if (level == 2 && (entry & PG_PS)) {
                rsvd |= 0x1fe000ull;   /* 2 MiB page: bits 20:13 */
            }
            if (entry & rsvd) {
                goto reserved;
            }
            walk_note(&w, addr, entry);
            if (level == 1 || (level <= 3 && (entry & PG_PS))) {
                size = 1ull << shift;
                break;
            }
            table = entry & ADDR_MASK_4K;
        }
    } else {
        vaddr &= 0xffffffffu;
        w.entry_size = 4;
        uint64_t pde_addr = (env->cr[3] & 0xfffff000u) + ((vaddr >> 22) & 1023) * 4;
        entry = x86_phys_ld(env, pde_addr, 4);
        if (!(entry & PG_P)) {
            goto not_present;
        }
        if ((entry & PG_PS) && (env->cr[4] & CR4_PSE)) {
            /* 4 MiB page; PSE-36 puts address bits 39:32 in bits 20:13, bit 21 reserved. */
            if (entry & (1u << 21)) {
                goto reserved;
            }
            walk_note(&w, pde_addr, entry);
            size = 1ull << 22;
        } else {
            walk_note(&w, pde_addr, entry);
            uint64_t pte_addr = (entry & 0xfffff000u) + ((vaddr >> 12) & 1023) * 4;
            entry = x86_phys_ld(env, pte_addr, 4);
            if (!(entry & PG_P)) {
                goto not_present;
            }
            walk_note(&w, pte_addr, entry);
            size = 4096;
        }
    }

    /* Permission checks (SDM 4.6), no SMEP/SMAP. */
    bool wp = env->cr[0] & CR0_WP;
    bool can_write = user ? (w.rw && w.us) : (w.rw || !wp);
    bool can_read = !user || w.us;
    bool can_exec = can_read && !(nxe && w.nx);
    if ((is_fetch && !can_exec) || (is_write && !can_write) || !can_read) {
        *pf_error_code = err | PF_ERR_P;
        log_mask(LOG_MMU, "#PF protection: va %#" PRIx64 " access %d err %#x\n", vaddr, access,
                 *pf_error_code);
        return false;
    }
    /*
     * Accessed on every level, dirty on the leaf for a write.  Most walks find
     * the bits already set and write nothing.  When a bit is missing, the entry
     * is read again before the update: with a recursive mapping one entry can
     * serve at two levels, and the first update changed it.
     */
    uint64_t leaf = 0;
    for (int i = 0; i < w.nr; i++) {
        uint64_t bits = PG_A | (i == w.nr - 1 && is_write ? PG_D : 0);
        uint64_t e = w.entry_val[i];
        if ((e & bits) != bits) {
            e = x86_phys_ld(env, w.entry_addr[i], w.entry_size);
            if ((e & bits) != bits) {
                x86_phys_st(env, w.entry_addr[i], w.entry_size, e | bits);
            }
            e |= bits;
        }
        leaf = e;
    }
    uint64_t frame;
    if (size == (1ull << 22) && w.entry_size == 4) {
        frame = (leaf & 0xffc00000u) | (((leaf >> 13) & 0xff) << 32);
    } else {
        frame = leaf & ADDR_MASK_4K & ~(size - 1);
    }
    *paddr = (frame | (vaddr & (size - 1))) & env->a20_mask;
    *page_size = size;
    *prot = PAGE_READ;
    /* Until the dirty bit is set, a write must come back here to set it. */
    if (can_write && (leaf & PG_D)) {
        *prot |= PAGE_WRITE;
    }
    if (can_exec) {
        *prot |= PAGE_EXEC;
    }
    if ((leaf & PG_G) && (env->cr[4] & CR4_PGE)) {
        *prot |= PAGE_GLOBAL;
    }
    return true;

not_present:
    *pf_error_code = err;
    log_mask(LOG_MMU, "#PF not present: va %#" PRIx64 " access %d err %#x\n", vaddr, access,
             *pf_error_code);
    return false;

reserved:
    *pf_error_code = err | PF_ERR_P | PF_ERR_RSVD;
    log_mask(LOG_MMU, "#PF reserved bit: va %#" PRIx64 " access %d err %#x\n", vaddr, access,
             *pf_error_code);
    return false;
}
