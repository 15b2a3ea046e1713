/*
 * guest-bits: 32
 * Reserved-bit page faults in 2-level (4 MiB PDE bit 21) and PAE paging (bit 63 with
 * EFER.NXE clear, bits above MAXPHYADDR, 2 MiB PDE bits 20:13). The error code has RSVD and
 * P both set: "bit 3 of the error code can be set only if bit 0 is also set" (SDM vol. 3,
 * 4.7). QEMU 7.2's TCG reports RSVD without P.
 */
#include "guest.h"

#define P 0x1ull
#define W 0x2ull
#define U 0x4ull
#define PS 0x80ull
#define PF_P 0x1
#define PF_W 0x2
#define PF_RSVD 0x8

static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pds[4][512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t frame[4096] __attribute__((aligned(4096)));
#define PT_VA 0x400000u
#define BIG_VA 0x800000u

static void expect_pf(const char *what, uint32_t va, long err)
{
    if (check_trap(what, VEC_PF, err)) {
        check(last_trap.cr2 == va, "%s: CR2 0x%lx, want 0x%x", what, last_trap.cr2, va);
    }
}

static void read_at(uint32_t va)
{
    TRY("movl (%0), %%eax", :: "r"(va) : "eax", "memory");
}

static void write_at(uint32_t va)
{
    TRY("movl $0x5a5a5a5a, (%0)", :: "r"(va) : "memory");
}

void guest_main(void)
{
    /* 2-level paging with 4 MiB pages: bit 21 of a 4 MiB PDE is reserved. */
    for (uint32_t i = 0; i < 1024; i++) {
        pd32[i] = (i << 22) | PS | U | W | P;
    }
    write_cr3((unsigned long)pd32);
    write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);
    pd32[2] = BIG_VA | (1u << 21) | PS | U | W | P;
    invlpg(BIG_VA);
    read_at(BIG_VA + 0x10);
    expect_pf("4 MiB PDE with reserved bit 21", BIG_VA + 0x10, PF_P | PF_RSVD);
    pd32[2] = BIG_VA | PS | U | W | P;
    invlpg(BIG_VA);
    read_at(BIG_VA + 0x10);
    check_trap("the same 4 MiB page without the reserved bit", -1, 0);
    write_cr0(read_cr0() & ~CR0_PG);

    /* PAE. */
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (uint32_t)(unsigned long)pds[i] | P;
        for (int j = 0; j < 512; j++) {
            pds[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | PS | U | W | P;
        }
    }
    pds[0][2] = (uint32_t)(unsigned long)pt | U | W | P;
    pt[0] = (uint32_t)(unsigned long)frame | U | W | P;
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3((unsigned long)pdpt);
    write_cr0(read_cr0() | CR0_PG);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);

    pt[0] |= 1ull << 63;
    invlpg(PT_VA);
    read_at(PT_VA);
    expect_pf("PAE PTE bit 63 set with EFER.NXE=0", PT_VA, PF_P | PF_RSVD);
    pt[0] &= ~(1ull << 63);
    pt[0] |= 1ull << 51;
    invlpg(PT_VA);
    write_at(PT_VA + 4);
    expect_pf("PAE PTE bit 51 (above MAXPHYADDR) set", PT_VA + 4, PF_P | PF_W | PF_RSVD);
    pt[0] &= ~(1ull << 51);
    invlpg(PT_VA);
    read_at(PT_VA);
    check_trap("PAE PTE without reserved bits", -1, 0);
    pds[0][4] = BIG_VA | (1ull << 13) | PS | U | W | P;
    invlpg(BIG_VA);
    read_at(BIG_VA + 0x1000);
    expect_pf("PAE 2 MiB PDE with reserved bit 13", BIG_VA + 0x1000, PF_P | PF_RSVD);
    write_cr0(read_cr0() & ~CR0_PG);
}
