/*
 * Page walker tests (cpu/x86/mmu.c): page tables built in flat guest RAM,
 * translated in every paging mode, checking addresses, permissions, A/D
 * bits and each #PF error-code bit.  SDM vol. 3A chapter 4.
 */
#include "tests/unit/x86-sys-harness.h"

#define P 1ull
#define RW 2ull
#define US 4ull
#define PWT 8ull
#define ACC 0x20ull
#define DIRTY 0x40ull
#define PS 0x80ull
#define GLB 0x100ull
#define NX (1ull << 63)

typedef struct Tr {
    bool ok;
    uint64_t pa;
    int prot;
    uint64_t size;
    uint32_t err;
} Tr;

static Tr tr(SysHarness *h, uint64_t va, int access, int mmu)
{
    Tr t = {0};
    t.ok = x86_mmu_translate(&h->env, va, access, mmu, &t.pa, &t.prot, &t.size, &t.err);
    return t;
}

/* 32-bit paging: CR3 = 0x10000, PT for 0-4 MiB at 0x11000. */
static SysHarness *setup32(void)
{
    SysHarness *h = harness_new();
    h->env.cr[0] = CR0_PE | CR0_PG | CR0_ET;
    h->env.cr[3] = 0x10000;
    poke32(h, 0x10000, 0x11000 | P | RW | US);
    poke32(h, 0x11000 + 5 * 4, 0x200000 | P | RW | US);
    poke32(h, 0x11000 + 7 * 4, 0x201000 | P | RW);       /* supervisor only */
    poke32(h, 0x11000 + 8 * 4, 0x202000 | P | US);       /* read-only user */
    x86_update_hflags(&h->env);
    return h;
}

static void test_paging_off_a20(void)
{
    SysHarness *h = harness_new();
    Tr t = tr(h, 0x123456, X86_ACCESS_WRITE, MMU_KERNEL_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0x123456);
    CHECK_EQ(t.prot & 7, PAGE_READ | PAGE_WRITE | PAGE_EXEC);
    h->env.a20_mask = ~(1ull << 20);
    t = tr(h, 0x100010, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK_EQ(t.pa, 0x10);
    harness_free(h);
}

static void test_32bit_walk_and_ad_bits(void)
{
    SysHarness *h = setup32();
    Tr t = tr(h, 0x5123, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0x200123);
    CHECK_EQ(t.size, 4096);
    /* A set on both levels, D still clear: the TLB entry must not allow writes yet. */
    CHECK(peek32(h, 0x10000) & ACC);
    CHECK(peek32(h, 0x11000 + 5 * 4) & ACC);
    CHECK(!(peek32(h, 0x11000 + 5 * 4) & DIRTY));
    CHECK_EQ(t.prot & 7, PAGE_READ | PAGE_EXEC);
    t = tr(h, 0x5123, X86_ACCESS_WRITE, MMU_USER_IDX);
    CHECK(t.ok);
    CHECK(peek32(h, 0x11000 + 5 * 4) & DIRTY);
    CHECK(!(peek32(h, 0x10000) & DIRTY)); /* D only in the leaf */
    CHECK_EQ(t.prot & 7, PAGE_READ | PAGE_WRITE | PAGE_EXEC);
    harness_free(h);
}

static void test_32bit_error_codes(void)
{
    SysHarness *h = setup32();
    /* Not present: P = 0, W and U from the access. */
    Tr t = tr(h, 0x6000, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(!t.ok);
    CHECK_EQ(t.err, 0);
    t = tr(h, 0x6000, X86_ACCESS_WRITE, MMU_USER_IDX);
    CHECK_EQ(t.err, PF_ERR_W | PF_ERR_U);
    t = tr(h, 0x800000, X86_ACCESS_READ, MMU_USER_IDX); /* PDE not present */
    CHECK_EQ(t.err, PF_ERR_U);
    /* User access to a supervisor page. */
    t = tr(h, 0x7000, X86_ACCESS_READ, MMU_USER_IDX);
    CHECK(!t.ok);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_U);
    CHECK(tr(h, 0x7000, X86_ACCESS_WRITE, MMU_KERNEL_IDX).ok);
    /* No NX without PAE: fetch faults never carry I. */
    t = tr(h, 0x7000, X86_ACCESS_FETCH, MMU_USER_IDX);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_U);
    harness_free(h);
}

static void test_wp(void)
{
    SysHarness *h = setup32();
    /* Supervisor writes to a read-only page succeed with CR0.WP = 0 ... */
    Tr t = tr(h, 0x8000, X86_ACCESS_WRITE, MMU_KERNEL_IDX);
    CHECK(t.ok);
    CHECK(peek32(h, 0x11000 + 8 * 4) & DIRTY);
    /* ... and fault with WP = 1. */
    h->env.cr[0] |= CR0_WP;
    t = tr(h, 0x8000, X86_ACCESS_WRITE, MMU_KERNEL_IDX);
    CHECK(!t.ok);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_W);
    CHECK_EQ(tr(h, 0x8000, X86_ACCESS_READ, MMU_KERNEL_IDX).prot & PAGE_WRITE, 0);
    /* User writes to it always fault. */
    h->env.cr[0] &= ~(uint64_t)CR0_WP;
    t = tr(h, 0x8000, X86_ACCESS_WRITE, MMU_USER_IDX);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_W | PF_ERR_U);
    /* RW clear at the PDE level applies to the whole table. */
    poke32(h, 0x10000, 0x11000 | P | US);
    t = tr(h, 0x5000, X86_ACCESS_WRITE, MMU_USER_IDX);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_W | PF_ERR_U);
    harness_free(h);
}

static void test_pse_4m_and_pse36(void)
{
    SysHarness *h = setup32();
    poke32(h, 0x10000 + 1 * 4, 0x00c00000 | PS | P | RW);
    /* PSE-36: bits 20:13 give physical address bits 39:32. */
    poke32(h, 0x10000 + 2 * 4, 0x00400000 | (3u << 13) | PS | P | RW);
    poke32(h, 0x10000 + 3 * 4, 0x00400000 | (1u << 21) | PS | P | RW);
    /* Without CR4.PSE the PS bit is ignored: the entry points at a page table. */
    Tr t = tr(h, 0x401234, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(!t.ok); /* the "page table" at 0xc00000 is all zero */
    CHECK_EQ(t.err, 0);
    h->env.cr[4] |= CR4_PSE;
    t = tr(h, 0x401234, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0xc01234);
    CHECK_EQ(t.size, 4u << 20);
    t = tr(h, 0x812345, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0x300412345ull);
    t = tr(h, 0xc00000, X86_ACCESS_WRITE, MMU_KERNEL_IDX);
    CHECK(!t.ok);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_W | PF_ERR_RSVD);
    harness_free(h);
}

/* PAE: PDPT at 0x20000, PD at 0x21000, PT at 0x22000. */
static SysHarness *setup_pae(void)
{
    SysHarness *h = harness_new();
    poke64(h, 0x20000, 0x21000 | P);
    poke64(h, 0x21000, 0x22000 | P | RW | US);
    poke64(h, 0x21000 + 8, 0x600000 | PS | P | RW | US);     /* 2 MiB at 2 MiB */
    poke64(h, 0x21000 + 16, 0x800000 | (1u << 13) | PS | P); /* reserved bit 13 */
    poke64(h, 0x22000 + 3 * 8, 0x300000 | P | RW | US | NX);
    poke64(h, 0x22000 + 4 * 8, 0x301000 | P | RW | US | GLB);
    h->env.cr[3] = 0x20000;
    h->env.cr[4] = CR4_PAE;
    h->env.cr[0] = CR0_PE | CR0_ET;
    x86_update_hflags(&h->env);
    return h;
}

static void test_pae(void)
{
    SysHarness *h = setup_pae();
    /* Turning paging on loads the PDPTEs. */
    EXPECT_OK(h, helper_write_cr(&h->env, 0, CR0_PE | CR0_ET | CR0_PG));
    CHECK_EQ(h->env.pdptrs[0], 0x21000 | P);
    Tr t = tr(h, 0x4abc, X86_ACCESS_READ, MMU_USER_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0x301abc);
    t = tr(h, 0x212345, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0x612345);
    CHECK_EQ(t.size, 2u << 20);
    /* NX without EFER.NXE is a reserved bit (and I is not reported). */
    t = tr(h, 0x3000, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(!t.ok);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_RSVD);
    h->env.efer |= EFER_NXE;
    t = tr(h, 0x3000, X86_ACCESS_FETCH, MMU_USER_IDX);
    CHECK(!t.ok);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_U | PF_ERR_I);
    CHECK_EQ(tr(h, 0x3000, X86_ACCESS_READ, MMU_USER_IDX).prot & PAGE_EXEC, 0);
    /* Not-present fetch with NXE: I is set. */
    t = tr(h, 0x5000, X86_ACCESS_FETCH, MMU_KERNEL_IDX);
    CHECK_EQ(t.err, PF_ERR_I);
    /* 2 MiB page with a reserved bit. */
    t = tr(h, 0x400000, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_RSVD);
    /* Global only with CR4.PGE. */
    CHECK_EQ(tr(h, 0x4000, X86_ACCESS_READ, MMU_KERNEL_IDX).prot & PAGE_GLOBAL, 0);
    h->env.cr[4] |= CR4_PGE;
    CHECK(tr(h, 0x4000, X86_ACCESS_READ, MMU_KERNEL_IDX).prot & PAGE_GLOBAL);
    /* PDPTEs are registers: changing memory has no effect until CR3 is reloaded. */
    poke64(h, 0x20000, 0);
    CHECK(tr(h, 0x4abc, X86_ACCESS_READ, MMU_KERNEL_IDX).ok);
    EXPECT_OK(h, helper_write_cr(&h->env, 3, 0x20000));
    t = tr(h, 0x4abc, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(!t.ok);
    CHECK_EQ(t.err, 0);
    /* A present PDPTE with reserved bits makes MOV CR3 #GP. */
    poke64(h, 0x20000, 0x21000 | P | RW);
    EXPECT_EXC(h, helper_write_cr(&h->env, 3, 0x20000), EXCP_GP, 0);
    CHECK(!x86_mmu_load_pdptes(&h->env));
    harness_free(h);
}

/* 4-level: PML4 0x30000, PDPT 0x31000, PD 0x32000, PT 0x33000. */
static void test_4level(void)
{
    SysHarness *h = harness_new();
    uint64_t va = (1ull << 39) * 1 + (1ull << 30) * 2 + (1ull << 21) * 3 + (1ull << 12) * 4 + 0x56;
    poke64(h, 0x30000 + 8, 0x31000 | P | RW | US);
    poke64(h, 0x31000 + 2 * 8, 0x32000 | P | RW | US);
    poke64(h, 0x31000 + 5 * 8, 0x40000000 | PS | P | RW);          /* 1 GiB page */
    poke64(h, 0x31000 + 6 * 8, 0x40000000 | (1u << 13) | PS | P); /* reserved */
    poke64(h, 0x32000 + 3 * 8, 0x33000 | P | RW | US);
    poke64(h, 0x33000 + 4 * 8, 0x700000 | P | RW | US);
    poke64(h, 0x33000 + 5 * 8, 0x701000 | P | US | (1ull << 45)); /* above MAXPHYADDR */
    poke64(h, 0x30000 + 2 * 8, 0x31000 | P | PS);                 /* PS in a PML4E */
    h->env.cr[3] = 0x30000;
    h->env.cr[4] = CR4_PAE;
    h->env.efer = EFER_LME | EFER_NXE;
    EXPECT_OK(h, helper_write_cr(&h->env, 0, CR0_PE | CR0_ET | CR0_PG));
    CHECK(h->env.efer & EFER_LMA);
    CHECK(h->env.hflags & HF_LMA);

    Tr t = tr(h, va, X86_ACCESS_WRITE, MMU_USER_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0x700056);
    CHECK(peek64(h, 0x30000 + 8) & ACC);
    CHECK(peek64(h, 0x31000 + 2 * 8) & ACC);
    CHECK(peek64(h, 0x32000 + 3 * 8) & ACC);
    CHECK_EQ(peek64(h, 0x33000 + 4 * 8) & (ACC | DIRTY), ACC | DIRTY);
    t = tr(h, va + 0x1000, X86_ACCESS_READ, MMU_USER_IDX);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_U | PF_ERR_RSVD);
    t = tr(h, va + 0x2000, X86_ACCESS_FETCH, MMU_USER_IDX);
    CHECK_EQ(t.err, PF_ERR_U | PF_ERR_I);
    t = tr(h, (1ull << 39) + (5ull << 30) + 0x12345678, X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK(t.ok);
    CHECK_EQ(t.pa, 0x52345678);
    CHECK_EQ(t.size, 1ull << 30);
    t = tr(h, (1ull << 39) + (6ull << 30), X86_ACCESS_READ, MMU_KERNEL_IDX);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_RSVD);
    t = tr(h, 2ull << 39, X86_ACCESS_WRITE, MMU_KERNEL_IDX);
    CHECK_EQ(t.err, PF_ERR_P | PF_ERR_W | PF_ERR_RSVD);
    CHECK(!tr(h, 0x0000800000000000ull, X86_ACCESS_READ, MMU_KERNEL_IDX).ok);
    /* Leaving long mode from 64-bit code is refused; CR4.PAE cannot be cleared. */
    h->env.segs[R_CS].flags = A_CODE64;
    x86_update_hflags(&h->env);
    EXPECT_EXC(h, helper_write_cr(&h->env, 0, CR0_PE | CR0_ET), EXCP_GP, 0);
    EXPECT_EXC(h, helper_write_cr(&h->env, 4, 0), EXCP_GP, 0);
    harness_free(h);
}

static void test_cr_checks(void)
{
    SysHarness *h = harness_new();
    EXPECT_EXC(h, helper_write_cr(&h->env, 0, CR0_PG | CR0_ET), EXCP_GP, 0);
    EXPECT_EXC(h, helper_write_cr(&h->env, 0, CR0_NW | CR0_PE), EXCP_GP, 0);
    EXPECT_EXC(h, helper_write_cr(&h->env, 4, 1u << 20), EXCP_GP, 0);
    /* Long mode without PAE. */
    h->env.efer = EFER_LME;
    EXPECT_EXC(h, helper_write_cr(&h->env, 0, CR0_PE | CR0_PG), EXCP_GP, 0);
    EXPECT_OK(h, helper_write_cr(&h->env, 0, CR0_PE | CR0_MP | CR0_TS));
    CHECK_EQ(h->env.cr[0], CR0_PE | CR0_MP | CR0_TS | CR0_ET);
    CHECK(h->env.hflags & HF_PE);
    CHECK(h->env.hflags & HF_TS);
    EXPECT_OK(h, helper_clts(&h->env));
    CHECK(!(h->env.hflags & HF_TS));
    /* LMSW cannot clear PE. */
    EXPECT_OK(h, helper_lmsw(&h->env, 0));
    CHECK(h->env.cr[0] & CR0_PE);
    harness_free(h);
}

static void test_raise_page_fault(void)
{
    SysHarness *h = setup32();
    EXPECT_EXC(h, x86_raise_page_fault(&h->env, 0xdead000, PF_ERR_W), EXCP_PF, PF_ERR_W);
    CHECK_EQ(h->env.cr[2], 0xdead000);
    /* The guest-memory path through cpu_ld_mmu faults the same way. */
    EXPECT_EXC(h, cpu_ld_mmu(&h->env, 0x6004, 4, MMU_USER_IDX), EXCP_PF, PF_ERR_U);
    CHECK_EQ(h->env.cr[2], 0x6004);
    harness_free(h);
}

int main(void)
{
    test_run("x86-mmu/paging-off-a20", test_paging_off_a20);
    test_run("x86-mmu/32bit-walk-ad", test_32bit_walk_and_ad_bits);
    test_run("x86-mmu/32bit-error-codes", test_32bit_error_codes);
    test_run("x86-mmu/wp", test_wp);
    test_run("x86-mmu/pse-4m-pse36", test_pse_4m_and_pse36);
    test_run("x86-mmu/pae", test_pae);
    test_run("x86-mmu/4level", test_4level);
    test_run("x86-mmu/cr-checks", test_cr_checks);
    test_run("x86-mmu/raise-page-fault", test_raise_page_fault);
    return test_summary();
}
