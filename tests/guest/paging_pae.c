/*
 * guest-bits: 32
 * PAE paging (3 levels, 2 MiB and 4 KiB pages): #PF error codes and CR2 for not-present,
 * write to read-only with CR0.WP both ways, user access to supervisor, NX instruction fetch
 * (EFER.NXE). Reserved bits are in paging_rsvd32. SDM vol. 3, 4.4 and 4.7.
 */
#include "guest.h"

#define P 0x1ull
#define W 0x2ull
#define U 0x4ull
#define PS 0x80ull
#define XD (1ull << 63)
#define PF_P 0x1
#define PF_W 0x2
#define PF_U 0x4
#define PF_ID 0x10

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pds[4][512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t frames[8][4096] __attribute__((aligned(4096)));
#define TEST_VA(i) (0x400000u + (uint32_t)(i) * 4096u)  /* pds[0][2] -> pt */
#define BIG_VA 0x600000u                                  /* pds[0][3], a 2 MiB page */

static volatile uint32_t user_va;

static void map(int i, uint64_t flags)
{
    pt[i] = (uint32_t)(unsigned long)frames[i] | flags;
    invlpg(TEST_VA(i));
}

static void user_read(void)
{
    TRY("movl (%0), %%eax", :: "r"(user_va) : "eax", "memory");
}

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

static void fetch_at(uint32_t va)
{
    /* The frame holds JMP *%EBX back to the resume label: a successful fetch is harmless. */
    TRY("movl $77f, %%ebx; jmp *%0", :: "r"(va) : "ebx", "memory");
}

void guest_main(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    int have_nx = (d >> 20) & 1;

    for (int i = 0; i < 4; i++) {
        pdpt[i] = (uint32_t)(unsigned long)pds[i] | P;
        for (int j = 0; j < 512; j++) {
            pds[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | PS | U | W | P;
        }
    }
    pds[0][2] = (uint32_t)(unsigned long)pt | U | W | P;
    for (int i = 0; i < 8; i++) {
        map(i, U | W | P);
        frames[i][0] = 0xff;    /* JMP *%EBX */
        frames[i][1] = 0xe3;
    }
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3((unsigned long)pdpt);
    write_cr0(read_cr0() | CR0_PG);

    read_at(TEST_VA(0));
    check_trap("read of a present 4 KiB page", -1, 0);
    check(pt[0] & 0x20, "PTE accessed bit after a read");

    map(1, 0);
    read_at(TEST_VA(1) + 0x10);
    expect_pf("read of a not-present page", TEST_VA(1) + 0x10, 0);
    write_at(TEST_VA(1) + 0x14);
    expect_pf("write to a not-present page", TEST_VA(1) + 0x14, PF_W);

    map(2, U | P);
    write_at(TEST_VA(2));
    check_trap("supervisor write to a read-only page with CR0.WP=0", -1, 0);
    write_cr0(read_cr0() | CR0_WP);
    write_at(TEST_VA(2) + 8);
    expect_pf("supervisor write to a read-only page with CR0.WP=1", TEST_VA(2) + 8, PF_P | PF_W);
    write_cr0(read_cr0() & ~CR0_WP);

    map(3, W | P);
    user_va = TEST_VA(3) + 0x100;
    run_user(user_read);
    expect_pf("user read of a supervisor page", TEST_VA(3) + 0x100, PF_P | PF_U);

    pds[0][3] = BIG_VA | PS | U | W;
    invlpg(BIG_VA);
    read_at(BIG_VA + 0x2000);
    expect_pf("read of a not-present 2 MiB page", BIG_VA + 0x2000, 0);
    pds[0][3] = BIG_VA | PS | U | W | P;
    invlpg(BIG_VA);

    if (!check(have_nx, "CPUID 80000001h:EDX.NX clear: cannot test NX")) {
        return;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    map(5, XD | U | W | P);
    fetch_at(TEST_VA(5));
    expect_pf("fetch from an NX page", TEST_VA(5), PF_P | PF_ID);
    check(last_trap.ip == TEST_VA(5), "NX #PF: saved EIP 0x%lx", last_trap.ip);
    read_at(TEST_VA(5));
    check_trap("data read of an NX page", -1, 0);
    map(6, 0);
    fetch_at(TEST_VA(6));
    expect_pf("fetch from a not-present page with NXE=1", TEST_VA(6), PF_ID);
    map(6, U | W | P);
    fetch_at(TEST_VA(6));
    check_trap("fetch from an executable page", -1, 0);
    pds[0][3] = BIG_VA | XD | PS | U | W | P;
    invlpg(BIG_VA);
    fetch_at(BIG_VA + 0x10);
    expect_pf("fetch from an NX 2 MiB page", BIG_VA + 0x10, PF_P | PF_ID);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    write_cr0(read_cr0() & ~CR0_PG);
}
