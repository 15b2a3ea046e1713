/*
 * guest-bits: 64
 * Mode transitions: the boot stub went real -> protected -> long mode; check that we are in
 * 64-bit mode, far-call into a compatibility-mode (32-bit) code segment, leave and re-enter
 * long mode from there (CR0.PG off/on toggles EFER.LMA), and come back with a far return.
 */
#include "guest.h"

uint32_t compat_push_delta, compat_dec_result, compat_lma_off, compat_lma_on;

asm(".pushsection .text\n"
    ".code32\n"
    "compat_fn:\n"
    "    movl %esp, %eax\n"
    "    pushl %eax\n"
    "    movl %esp, %ecx\n"
    "    popl %edx\n"
    "    subl %ecx, %eax\n"
    "    movl %eax, compat_push_delta\n"
    /* 0x48 is DEC EAX outside 64-bit mode and a REX.W prefix inside it. */
    "    movl $1, %eax\n"
    "    .byte 0x48\n"
    "    nop\n"
    "    movl %eax, compat_dec_result\n"
    /* Paging off leaves IA-32e mode (LMA=0); on again with LME=1 re-enters it. */
    "    movl %cr0, %eax\n"
    "    andl $0x7fffffff, %eax\n"
    "    movl %eax, %cr0\n"
    "    movl $0xc0000080, %ecx\n"
    "    rdmsr\n"
    "    movl %eax, compat_lma_off\n"
    "    movl %cr0, %eax\n"
    "    orl $0x80000000, %eax\n"
    "    movl %eax, %cr0\n"
    "    movl $0xc0000080, %ecx\n"
    "    rdmsr\n"
    "    movl %eax, compat_lma_on\n"
    "    lret\n"
    ".code64\n"
    ".popsection\n");
extern char compat_fn[];

void guest_main(void)
{
    uint64_t efer = rdmsr(MSR_EFER);
    check(efer & EFER_LMA, "EFER.LMA clear in long mode (EFER 0x%llx)", (unsigned long long)efer);
    unsigned long cr0 = read_cr0();
    check((cr0 & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG), "CR0 0x%lx lacks PE|PG", cr0);
    check(read_cr4() & CR4_PAE, "CR4.PAE clear");

    /* 64-bit operand size and the upper register halves exist only in 64-bit mode. */
    uint64_t v = 0x123456789abcdef0ull;
    asm volatile("rolq $8, %0" : "+r"(v));
    CHECK_EQ(v, 0x3456789abcdef012ull, "64-bit rotate");
    uint64_t r = 1;
    asm volatile(".byte 0x48; nop; movq $0xffffffff, %%rax; incq %%rax; movq %%rax, %0"
                 : "=r"(r) :: "rax");
    CHECK_EQ(r, 0x100000000ull, "64-bit increment carries into bit 32");

    struct __attribute__((packed)) { uint32_t off; uint16_t sel; } target = {
        (uint32_t)(unsigned long)compat_fn, SEL_KCODE32 };
    unsigned long sp_before, sp_after;
    asm volatile("movq %%rsp, %0; lcall *%2; movq %%rsp, %1"
                 : "=&r"(sp_before), "=&r"(sp_after) : "m"(target)
                 : "rax", "rcx", "rdx", "memory");
    CHECK_EQ(sp_after, sp_before, "stack pointer after far call/return");
    CHECK_EQ(compat_push_delta, 4, "push size in compatibility mode");
    CHECK_EQ(compat_dec_result, 0, "0x48 decodes as DEC EAX in compatibility mode");
    CHECK_EQ(compat_lma_off & (EFER_LMA | EFER_LME), EFER_LME, "EFER with paging off");
    CHECK_EQ(compat_lma_on & (EFER_LMA | EFER_LME), EFER_LMA | EFER_LME,
             "EFER with paging back on");
    CHECK_EQ(rdmsr(MSR_EFER) & EFER_LMA, EFER_LMA, "EFER.LMA back in 64-bit mode");
}
