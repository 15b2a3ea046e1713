/*
 * guest-bits: 32
 * 2-level paging with 4 KiB and 4 MiB (CR4.PSE) pages: #PF error codes and CR2 for
 * not-present, write to read-only with CR0.WP clear and set, user access to supervisor
 * pages; accessed and dirty bits. Reserved bits are in paging_rsvd32. SDM vol. 3, 4.3, 4.7.
 */
#include "guest.h"

#define P 0x1u
#define W 0x2u
#define U 0x4u
#define A 0x20u
#define D 0x40u
#define PS 0x80u
#define PF_P 0x1
#define PF_W 0x2
#define PF_U 0x4

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint8_t frames[8][4096] __attribute__((aligned(4096)));
#define TEST_VA(i) (0x400000u + (uint32_t)(i) * 4096u)  /* mapped through pt[i] */
#define BIG_VA 0x800000u                                  /* pd[2], a 4 MiB page */

static volatile uint32_t user_va;
static volatile int user_write;

static void map(int i, uint32_t flags)
{
    pt[i] = (uint32_t)(unsigned long)frames[i] | flags;
    invlpg(TEST_VA(i));
}

static void user_access(void)
{
    if (user_write) {
        TRY("movl $1, (%0)", :: "r"(user_va) : "memory");
    } else {
        TRY("movl (%0), %%eax", :: "r"(user_va) : "eax", "memory");
    }
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

void guest_main(void)
{
    for (uint32_t i = 0; i < 1024; i++) {
        pd[i] = (i << 22) | PS | U | W | P;
    }
    pd[1] = (uint32_t)(unsigned long)pt | U | W | P;
    for (int i = 0; i < 8; i++) {
        map(i, U | W | P);
    }
    write_cr3((unsigned long)pd);
    write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);

    /* Accessed and dirty bits. */
    map(0, U | W | P);
    read_at(TEST_VA(0) + 8);
    check_trap("read of a present page", -1, 0);
    CHECK_EQ(pt[0] & (A | D), A, "PTE A/D after a read");
    check(pd[1] & A, "PDE accessed bit after a read (PDE 0x%x)", pd[1]);
    write_at(TEST_VA(0) + 8);
    CHECK_EQ(pt[0] & (A | D), A | D, "PTE A/D after a write");
    CHECK_EQ(*(volatile uint32_t *)(frames[0] + 8), 0x5a5a5a5a, "write reached the frame");

    /* Not present: read, write, and instruction fetch (no I/D bit without PAE+NXE). */
    map(1, 0);
    read_at(TEST_VA(1) + 0x10);
    expect_pf("read of a not-present page", TEST_VA(1) + 0x10, 0);
    write_at(TEST_VA(1) + 0x20);
    expect_pf("write to a not-present page", TEST_VA(1) + 0x20, PF_W);
    TRY("jmp *%0", :: "r"(TEST_VA(1) + 0x30) : "memory");
    expect_pf("fetch from a not-present page", TEST_VA(1) + 0x30, 0);
    check(last_trap.ip == TEST_VA(1) + 0x30, "fetch #PF: saved EIP 0x%lx", last_trap.ip);

    /* Read-only page at CPL0: allowed with CR0.WP clear, #PF(P|W) with it set. */
    map(2, U | P);
    write_at(TEST_VA(2));
    check_trap("supervisor write to a read-only page with CR0.WP=0", -1, 0);
    write_cr0(read_cr0() | CR0_WP);
    write_at(TEST_VA(2) + 4);
    expect_pf("supervisor write to a read-only page with CR0.WP=1", TEST_VA(2) + 4, PF_P | PF_W);
    read_at(TEST_VA(2) + 4);
    check_trap("supervisor read of a read-only page", -1, 0);
    write_cr0(read_cr0() & ~CR0_WP);

    /* Supervisor page from CPL3: #PF with U set, P set; and read-only user page writes. */
    map(3, W | P);
    user_va = TEST_VA(3) + 0x40;
    user_write = 0;
    run_user(user_access);
    expect_pf("user read of a supervisor page", TEST_VA(3) + 0x40, PF_P | PF_U);
    user_write = 1;
    run_user(user_access);
    expect_pf("user write to a supervisor page", TEST_VA(3) + 0x40, PF_P | PF_W | PF_U);
    map(4, U | P);
    user_va = TEST_VA(4);
    run_user(user_access);
    expect_pf("user write to a read-only user page", TEST_VA(4), PF_P | PF_W | PF_U);
    user_write = 0;
    run_user(user_access);
    check_trap("user read of a read-only user page", -1, 0);
    map(5, U);
    user_va = TEST_VA(5) + 0x800;
    run_user(user_access);
    expect_pf("user read of a not-present page", TEST_VA(5) + 0x800, PF_U);
    /* The U bit must be set at both levels. */
    map(6, U | W | P);
    pd[1] &= ~U;
    invlpg(TEST_VA(6));
    user_va = TEST_VA(6);
    run_user(user_access);
    expect_pf("user read through a supervisor PDE", TEST_VA(6), PF_P | PF_U);
    pd[1] |= U;
    invlpg(TEST_VA(6));

    /* 4 MiB pages: not present, read-only with WP. */
    pd[2] = 0x800000 | PS | U | W;
    invlpg(BIG_VA);
    read_at(BIG_VA + 0x123458);
    expect_pf("read of a not-present 4 MiB page", BIG_VA + 0x123458, 0);
    pd[2] = 0x800000 | PS | U | P;
    invlpg(BIG_VA);
    write_cr0(read_cr0() | CR0_WP);
    write_at(BIG_VA + 0x3ffffc);
    expect_pf("write to a read-only 4 MiB page with CR0.WP=1", BIG_VA + 0x3ffffc, PF_P | PF_W);
    write_cr0(read_cr0() & ~CR0_WP);
    pd[2] = 0x800000 | PS | U | W | P;
    invlpg(BIG_VA);
    read_at(BIG_VA + 0x10);
    check_trap("read of a present 4 MiB page", -1, 0);
    check(pd[2] & A, "4 MiB PDE accessed bit after a read");

    write_cr0(read_cr0() & ~CR0_PG);
}
