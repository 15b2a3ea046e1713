/*
 * guest-bits: 64
 * Reserved-bit page faults in 4-level paging: PS set in a PML4E, a physical-address bit above
 * MAXPHYADDR in a PTE, bit 63 with EFER.NXE clear. RSVD comes with P set in the error code
 * (SDM vol. 3, 4.7). QEMU 7.2's TCG reports RSVD without P.
 */
#include "guest.h"

#define P 0x1ull
#define W 0x2ull
#define U 0x4ull
#define PS 0x80ull
#define PF_P 0x1
#define PF_W 0x2
#define PF_RSVD 0x8

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pdpt_hi[512] __attribute__((aligned(4096)));
static uint64_t pds[4][512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t frame[4096] __attribute__((aligned(4096)));
#define PT_VA 0x400000ull
#define HI_VA 0x8000000000ull      /* PML4E 1 */

static void expect_pf(const char *what, uint64_t va, long err)
{
    if (check_trap(what, VEC_PF, err)) {
        check(last_trap.cr2 == va, "%s: CR2 0x%lx, want 0x%llx", what, last_trap.cr2,
              (unsigned long long)va);
    }
}

static void read_at(uint64_t va)
{
    TRY("movq (%0), %%rax", :: "r"(va) : "rax", "memory");
}

static void write_at(uint64_t va)
{
    TRY("movq $1, (%0)", :: "r"(va) : "memory");
}

void guest_main(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000008, 0, &a, &b, &c, &d);
    unsigned maxphys = a & 0xff;
    pml4[0] = (unsigned long)pdpt | U | W | P;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (unsigned long)pds[i] | U | W | P;
        for (int j = 0; j < 512; j++) {
            pds[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | PS | U | W | P;
        }
    }
    pds[0][2] = (unsigned long)pt | U | W | P;
    pt[0] = (unsigned long)frame | U | W | P;
    pdpt_hi[0] = (unsigned long)pds[0] | U | W | P;
    write_cr3((unsigned long)pml4);

    pml4[1] = (unsigned long)pdpt_hi | U | W | P;
    read_at(HI_VA + 0x1000);
    check_trap("read through a valid second PML4E", -1, 0);
    pml4[1] |= PS;
    invlpg(HI_VA + 0x1000);
    read_at(HI_VA + 0x1000);
    expect_pf("PML4E with PS (reserved) set", HI_VA + 0x1000, PF_P | PF_RSVD);

    if (check(maxphys >= 32 && maxphys < 52, "MAXPHYADDR %u", maxphys)) {
        pt[0] |= 1ull << maxphys;
        invlpg(PT_VA);
        write_at(PT_VA + 8);
        expect_pf("PTE with a bit at MAXPHYADDR", PT_VA + 8, PF_P | PF_W | PF_RSVD);
        pt[0] &= ~(1ull << maxphys);
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    pt[0] |= 1ull << 63;
    invlpg(PT_VA);
    read_at(PT_VA);
    expect_pf("PTE bit 63 with EFER.NXE clear", PT_VA, PF_P | PF_RSVD);
    pt[0] &= ~(1ull << 63);
    invlpg(PT_VA);
    read_at(PT_VA);
    check_trap("PTE without reserved bits", -1, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}
