/*
 * guest-bits: 64
 * Process-context identifiers (SDM vol. 3, 4.10.1 and 4.10.4): CPUID.1:ECX.PCID, the #GP
 * for setting CR4.PCIDE with CR3[11:0] != 0, CR3 bit 63 (no flush) not being stored, and
 * the invalidations the architecture requires while PCIDs tag the TLB: a PCID never uses
 * another PCID's non-global translation, MOV to CR3 without bit 63 drops the new PCID's
 * translations, INVLPG drops the current PCID's, and clearing CR4.PCIDE drops them all.
 * Only what must be re-read from the page tables is checked: keeping a translation is
 * allowed, never required.
 */
#include "guest.h"

#define P 0x1ull
#define W 0x2ull
#define CR4_PCIDE (1ul << 17)
#define NOFLUSH (1ul << 63)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pds[4][512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint64_t frames[2][512] __attribute__((aligned(4096)));
#define VA 0x400000ull /* pds[0][2] -> pt[0] */

/* Point VA at frame i behind the TLB's back (no INVLPG). */
static void remap(int i)
{
    pt[0] = (uint64_t)(unsigned long)frames[i] | W | P;
}

static uint64_t read_va(void)
{
    return *(volatile uint64_t *)VA;
}

static void set_cr3(uint64_t pcid, uint64_t flags)
{
    write_cr3((unsigned long)pml4 | pcid | flags);
}

void guest_main(void)
{
    uint32_t a, b, c, d;
    uint64_t cr4;

    cpuid(1, 0, &a, &b, &c, &d);
    if (!(c & (1u << 17))) {
        guest_fail("CPUID.1:ECX.PCID is clear");
    }
    paging64_identity_with_pt(pml4, pdpt, pds, pt);
    frames[0][0] = 0xaaaa;
    frames[1][0] = 0xbbbb;
    remap(0);
    write_cr3((unsigned long)pml4 | 5); /* PCD/PWT-position bits set */
    cr4 = read_cr4();
    TRY("mov %0, %%cr4", :: "r"(cr4 | CR4_PCIDE) : "memory");
    check_trap("CR4.PCIDE with CR3[11:0] != 0", VEC_GP, 0);
    write_cr3((unsigned long)pml4);
    write_cr4(cr4 | CR4_PCIDE);
    check(read_cr4() & CR4_PCIDE, "CR4.PCIDE did not stick");

    /* PCID 1 caches VA -> frame 0; PCID 2 has never seen VA and must walk. */
    set_cr3(1, 0);
    CHECK_EQ(read_va(), 0xaaaa, "PCID 1 first read");
    remap(1);
    set_cr3(2, NOFLUSH);
    CHECK_EQ(read_cr3() & NOFLUSH, 0, "CR3 bit 63 stored");
    CHECK_EQ(read_cr3() & 0xfff, 2, "CR3 PCID");
    CHECK_EQ(read_va(), 0xbbbb, "PCID 2 used PCID 1's translation");
    /* Back to PCID 1 without bit 63: its translations are gone. */
    set_cr3(1, 0);
    CHECK_EQ(read_va(), 0xbbbb, "MOV to CR3 without bit 63 kept PCID 1's translation");

    /* INVLPG drops the current PCID's translation. */
    remap(0);
    set_cr3(2, NOFLUSH);
    invlpg(VA);
    CHECK_EQ(read_va(), 0xaaaa, "INVLPG in PCID 2");
    /* PCID 3, fresh, after both others cached VA. */
    remap(1);
    set_cr3(3, NOFLUSH);
    CHECK_EQ(read_va(), 0xbbbb, "PCID 3 used another PCID's translation");

    /* Many PCIDs in turn (more than any TLB keeps apart), each must see the page tables. */
    for (int i = 0; i < 40; i++) {
        remap(i & 1);
        set_cr3(0x100 + (uint64_t)i, NOFLUSH);
        CHECK_EQ(read_va(), (i & 1) ? 0xbbbb : 0xaaaa, "fresh PCID in a row of 40");
    }

    /* Clearing CR4.PCIDE drops every PCID's translations. */
    set_cr3(1, NOFLUSH);
    remap(0);
    invlpg(VA);
    CHECK_EQ(read_va(), 0xaaaa, "PCID 1 after INVLPG");
    remap(1);
    write_cr4(read_cr4() & ~CR4_PCIDE);
    CHECK_EQ(read_va(), 0xbbbb, "a translation survived clearing CR4.PCIDE");
}
