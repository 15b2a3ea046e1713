/*
 * guest-bits: 64
 * 4-level paging: #PF error codes and CR2 for not-present entries at each level, write to
 * read-only with CR0.WP both ways, user access to supervisor pages, NX fetch; and #GP (not
 * #PF) for a non-canonical address. SDM vol. 3, 4.5 and 4.7.
 */
#include "guest.h"

#define P 0x1ull
#define W 0x2ull
#define U 0x4ull
#define A 0x20ull
#define D 0x40ull
#define PS 0x80ull
#define XD (1ull << 63)
#define PF_P 0x1
#define PF_W 0x2
#define PF_U 0x4
#define PF_ID 0x10

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pds[4][512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t frames[8][4096] __attribute__((aligned(4096)));
#define TEST_VA(i) (0x400000ull + (uint64_t)(i) * 4096u)  /* pds[0][2] -> pt */
#define BIG_VA 0x600000ull                                  /* pds[0][3], a 2 MiB page */

static volatile uint64_t user_va;

static void map(int i, uint64_t flags)
{
    pt[i] = (uint64_t)(unsigned long)frames[i] | flags;
    invlpg(TEST_VA(i));
}

static void user_read(void)
{
    TRY("movq (%0), %%rax", :: "r"(user_va) : "rax", "memory");
}

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
    TRY("movq $0x5a5a5a5a, (%0)", :: "r"(va) : "memory");
}

static void fetch_at(uint64_t va)
{
    /* The frame holds JMP *%RBX back to the resume label: a successful fetch is harmless. */
    TRY("movq $77f, %%rbx; jmp *%0", :: "r"(va) : "rbx", "memory");
}

void guest_main(void)
{
    pml4[0] = (unsigned long)pdpt | U | W | P;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (unsigned long)pds[i] | U | W | P;
        for (int j = 0; j < 512; j++) {
            pds[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | PS | U | W | P;
        }
    }
    pds[0][2] = (unsigned long)pt | U | W | P;
    for (int i = 0; i < 8; i++) {
        map(i, U | W | P);
        frames[i][0] = 0xff;    /* JMP *%RBX */
        frames[i][1] = 0xe3;
    }
    write_cr3((unsigned long)pml4);

    read_at(TEST_VA(0));
    check_trap("read of a present page", -1, 0);
    write_at(TEST_VA(0));
    CHECK_EQ(pt[0] & (A | D), A | D, "PTE A/D after a write");
    check(pml4[0] & A, "PML4E accessed bit");
    check(pdpt[0] & A, "PDPTE accessed bit");

    /* Not present at each level. */
    map(1, 0);
    read_at(TEST_VA(1) + 0x18);
    expect_pf("not-present PTE", TEST_VA(1) + 0x18, 0);
    read_at(0x100000000ull + 0x40);
    expect_pf("not-present PDPTE (4 GiB)", 0x100000000ull + 0x40, 0);
    write_at(0x8000000000ull);
    expect_pf("not-present PML4E (512 GiB)", 0x8000000000ull, PF_W);
    read_at(0xffff800000001000ull);
    expect_pf("not-present PML4E (upper half)", 0xffff800000001000ull, 0);
    pds[0][3] = BIG_VA | PS | U | W;
    invlpg(BIG_VA);
    read_at(BIG_VA + 0x12340);
    expect_pf("not-present 2 MiB PDE", BIG_VA + 0x12340, 0);
    pds[0][3] = BIG_VA | PS | U | W | P;
    invlpg(BIG_VA);

    /* Non-canonical: #GP(0), never #PF. */
    read_at(0x0000800000000000ull);
    check_trap("non-canonical read", VEC_GP, 0);

    /* Read-only: the W bit must be set at every level. */
    map(2, U | P);
    write_at(TEST_VA(2));
    check_trap("supervisor write to a read-only page with CR0.WP=0", -1, 0);
    write_cr0(read_cr0() | CR0_WP);
    write_at(TEST_VA(2) + 8);
    expect_pf("supervisor write to a read-only PTE with CR0.WP=1", TEST_VA(2) + 8, PF_P | PF_W);
    map(2, U | W | P);
    /* (The tests change only pds[0][2], whose 2 MiB holds nothing but the test pages.) */
    pds[0][2] &= ~W;
    invlpg(TEST_VA(2));
    write_at(TEST_VA(2) + 16);
    expect_pf("write through a read-only PDE with CR0.WP=1", TEST_VA(2) + 16, PF_P | PF_W);
    pds[0][2] |= W;
    invlpg(TEST_VA(2));
    write_cr0(read_cr0() & ~CR0_WP);

    map(3, W | P);
    user_va = TEST_VA(3) + 0x100;
    run_user(user_read);
    expect_pf("user read of a supervisor page", TEST_VA(3) + 0x100, PF_P | PF_U);
    map(3, U | W | P);
    pds[0][2] &= ~U;
    invlpg(TEST_VA(3));
    run_user(user_read);
    expect_pf("user read through a supervisor PDE", TEST_VA(3) + 0x100, PF_P | PF_U);
    pds[0][2] |= U;
    invlpg(TEST_VA(3));
    run_user(user_read);
    check_trap("user read of a user page", -1, 0);

    /* NX (EFER.NXE is set by the boot stub). */
    map(5, XD | U | W | P);
    fetch_at(TEST_VA(5));
    expect_pf("fetch from an NX page", TEST_VA(5), PF_P | PF_ID);
    check(last_trap.ip == TEST_VA(5), "NX #PF: saved RIP 0x%lx", last_trap.ip);
    read_at(TEST_VA(5));
    check_trap("data read of an NX page", -1, 0);
    map(5, U | W | P);
    fetch_at(TEST_VA(5));
    check_trap("fetch from an executable page", -1, 0);
    pds[0][2] |= XD;
    invlpg(TEST_VA(5));
    fetch_at(TEST_VA(5));
    expect_pf("fetch with NX in the PDE", TEST_VA(5), PF_P | PF_ID);
    pds[0][2] &= ~XD;
    invlpg(TEST_VA(5));
    map(6, 0);
    fetch_at(TEST_VA(6));
    expect_pf("fetch from a not-present page", TEST_VA(6), PF_ID);
}
