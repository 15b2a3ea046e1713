/*
 * guest-bits: 32
 * Self-modifying code (SDM vol. 3, 11.6): code in RAM patched and re-run on the same page;
 * a store that modifies the very next instruction; an instruction that straddles a page
 * boundary patched in its second page (from outside, and by code in the first page); and a
 * patch written through a different virtual alias of the same physical page.
 */
#include "guest.h"

/* .data is copied to RAM by the boot stub, so this code is writable. */
asm(".pushsection .data\n"
    ".balign 64\n"
    "smc_ret_imm:\n"                    /* movl $imm, %eax; ret */
    "    movl $1, %eax\n"
    "    ret\n"
    ".balign 64\n"
    "smc_next:\n"                       /* patches the immediate of the next instruction */
    "    movb $2, smc_next_insn + 1\n"
    "smc_next_patch = . - 1\n"
    "smc_next_insn:\n"
    "    movl $1, %eax\n"
    "    ret\n"
    ".balign 4096\n"
    ".skip 4096 - 12\n"
    "smc_cross2:\n"                     /* 7+3 bytes in the first page */
    "    movb $0x77, smc_cross_insn + 2\n"
    "    nop; nop; nop\n"
    "smc_cross_insn:\n"                 /* B8 at page end - 2, imm32 straddles */
    "    movl $0x11223344, %eax\n"
    "    ret\n"
    ".balign 64\n"
    ".popsection\n");
extern char smc_ret_imm[], smc_next[], smc_next_insn[], smc_next_patch[], smc_cross2[],
    smc_cross_insn[];

static uint32_t call_fn(void *fn)
{
    uint32_t r;
    asm volatile("call *%1" : "=a"(r) : "r"(fn) : "ecx", "edx", "memory");
    return r;
}

static uint32_t pd[1024] __attribute__((aligned(4096)));

void guest_main(void)
{
    /* Same page: run, patch the immediate, run again, several times. */
    for (uint32_t v = 1; v <= 5; v++) {
        *(volatile uint32_t *)(smc_ret_imm + 1) = v * 0x01010101u;
        CHECK_EQ(call_fn(smc_ret_imm), v * 0x01010101u, "patched immediate on the same page");
    }

    /* The store patches the instruction right after it. */
    CHECK_EQ(call_fn(smc_next), 2, "store into the next instruction");
    *(volatile uint8_t *)(smc_next_insn + 1) = 1;
    *(volatile uint8_t *)smc_next_patch = 9;
    CHECK_EQ(call_fn(smc_next), 9, "store into the next instruction, patcher itself patched");
    CHECK_EQ(call_fn(smc_next), 9, "second run");

    /* An instruction straddling a page boundary. */
    check((((unsigned long)smc_cross_insn + 1) & 0xfff) == 0xfff,
          "layout: smc_cross_insn at 0x%lx does not straddle", (unsigned long)smc_cross_insn);
    char *entry = smc_cross_insn;
    CHECK_EQ(call_fn(entry), 0x11223344, "straddling instruction, first run");
    *(volatile uint8_t *)(smc_cross_insn + 3) = 0x99;      /* in the second page */
    CHECK_EQ(call_fn(entry), 0x11993344,
             "straddling instruction after patching its second page");
    *(volatile uint8_t *)(smc_cross_insn + 1) = 0x55;      /* in the first page */
    CHECK_EQ(call_fn(entry), 0x11993355, "straddling instruction after patching its first page");
    CHECK_EQ(call_fn(smc_cross2), 0x11997755, "code in the first page patches the second page");

    /* Physical aliasing: write through 0x40000000 + p, execute at p. */
    for (uint32_t i = 0; i < 1024; i++) {
        pd[i] = (i << 22) | 0x87;
    }
    pd[0x40000000 >> 22] = 0x87;            /* alias of the first 4 MiB */
    write_cr3((unsigned long)pd);
    write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);
    *(volatile uint32_t *)(smc_ret_imm + 1) = 0x1234;
    CHECK_EQ(call_fn(smc_ret_imm), 0x1234, "run before the aliased patch");
    *(volatile uint32_t *)(0x40000000ul + (unsigned long)smc_ret_imm + 1) = 0x5678;
    CHECK_EQ(call_fn(smc_ret_imm), 0x5678, "patch through another virtual alias");
    write_cr0(read_cr0() & ~CR0_PG);
}
