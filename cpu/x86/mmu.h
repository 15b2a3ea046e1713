/*
 * The x86 page walker: linear -> physical translation for the software TLB
 * and for helpers.  Covers paging off, 2-level 32-bit paging (with PSE
 * 4 MiB pages), PAE and 4-level (IA-32e) paging, with NX, WP, U/S,
 * accessed/dirty bits and reserved-bit checks.
 *
 * Reference: Intel SDM vol. 3A chapter 4 (Paging).
 */
#ifndef CPU_X86_MMU_H
#define CPU_X86_MMU_H

#include "cpu/x86/cpu.h"

/* Permissions of a translation, for the TLB entry. */
#define PAGE_READ 1
#define PAGE_WRITE 2
#define PAGE_EXEC 4
/*
 * Extra bit in *prot: the mapping is global (G in the leaf with CR4.PGE), so
 * x86_tlb_flush(env, false) must keep it.  Mask it off when comparing.
 */
#define PAGE_GLOBAL 8

/* MAXPHYADDR: physical address width this CPU reports (CPUID 0x80000008). */
#define X86_PHYS_ADDR_BITS 40

/* 48-bit canonical linear address (bits 63:47 all equal). */
static inline bool x86_is_canonical(uint64_t addr)
{
    return (uint64_t)((int64_t)(addr << 16) >> 16) == addr;
}

/* access argument of x86_mmu_translate. */
enum { X86_ACCESS_READ = 0, X86_ACCESS_WRITE = 1, X86_ACCESS_FETCH = 2 };

/*
 * Translate vaddr for one access (0 read, 1 write, 2 fetch) in mmu_idx
 * (MMU_KERNEL_IDX / MMU_USER_IDX per cpu.h; MMU_PHYS_IDX = no paging).
 * On success: *paddr (A20 applied), *prot = what the TLB entry may allow
 * (PAGE_WRITE only once the dirty bit is set, so the first write comes back
 * here), *page_size = the size of the mapping (4 KiB, 2 MiB, 4 MiB, 1 GiB).
 * Accessed and dirty bits are set in the paging structures.  On a fault,
 * returns false with the #PF error code in *pf_error_code; nothing is raised.
 */
bool x86_mmu_translate(CPUX86State *env, uint64_t vaddr, int access, int mmu_idx,
                       uint64_t *paddr, int *prot, uint64_t *page_size,
                       uint32_t *pf_error_code);

/* Raise #PF: sets CR2 = vaddr and unwinds to the exec loop. */
NORETURN void x86_raise_page_fault(CPUX86State *env, uint64_t vaddr, uint32_t error_code);

/*
 * Load the four PAE PDPTEs from CR3 (SDM 4.4.1).  Returns false if one that
 * is present has reserved bits set (the CR write must then #GP).
 */
bool x86_mmu_load_pdptes(CPUX86State *env);

/* Physical memory access for the walker and the system helpers (A20 applied). */
uint64_t x86_phys_ld(CPUX86State *env, uint64_t paddr, unsigned size);
void x86_phys_st(CPUX86State *env, uint64_t paddr, unsigned size, uint64_t val);

#endif
