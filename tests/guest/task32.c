/*
 * guest-bits: 32
 * Hardware task switching (SDM vol. 3, ch. 8): JMP to a TSS descriptor (no nesting, busy
 * bits move), CALL through a task gate and INT through an IDT task gate (nested: back-link
 * and EFLAGS.NT, return by IRET), state loaded from the new TSS, CR0.TS set by a switch.
 */
#include "guest.h"

#define B_IDX GDT_FREE
#define B_SEL (B_IDX << 3)
#define GATE_IDX (GDT_FREE + 1)
#define GATE_SEL (GATE_IDX << 3)

static Tss tss_b __attribute__((aligned(128)));
static uint8_t stack_b[4096] __attribute__((aligned(16)));
uint32_t b_eax, b_ebx, b_flags, b_link, b_kernel_type, b_self_type, b_runs;
uint16_t b_tr;

asm(".pushsection .text\n"
    "task_b_entry:\n"
    "    movl %eax, b_eax\n"
    "    movl %ebx, b_ebx\n"
    "    strw b_tr\n"
    "    pushfl\n"
    "    popl b_flags\n"
    "    movl tss_b, %eax\n"
    "    movl %eax, b_link\n"
    "    movzbl gdt + 8 * 8 + 5, %eax\n"        /* kernel TSS descriptor (0x40) type byte */
    "    movl %eax, b_kernel_type\n"
    "    movzbl gdt + 8 * 10 + 5, %eax\n"       /* this task's descriptor (0x50) */
    "    movl %eax, b_self_type\n"
    "    incl b_runs\n"
    "    testl $0x4000, b_flags\n"
    "    jnz 1f\n"
    "    ljmp $0x40, $0\n"
    "    jmp task_b_entry\n"
    "1:  iret\n"
    "    jmp task_b_entry\n"
    ".popsection\n");
extern char task_b_entry[];

static void setup_b(void)
{
    memset(&tss_b, 0, sizeof(tss_b));
    tss_b.eip = (unsigned long)task_b_entry;
    tss_b.esp = (unsigned long)stack_b + sizeof(stack_b);
    tss_b.eflags = 0x2;
    tss_b.cs = SEL_KCODE32;
    tss_b.ss = tss_b.ds = tss_b.es = tss_b.fs = tss_b.gs = SEL_KDATA;
    tss_b.cr3 = read_cr3();
    tss_b.eax = 0x11111111;
    tss_b.ebx = 0x22222222;
    tss_b.iomap_base = TSS_BASE_SIZE;
    gdt_set(B_IDX, (uint32_t)(unsigned long)&tss_b, TSS_BASE_SIZE - 1, 0x89, 0);
}

static unsigned type_of(int idx)
{
    return (unsigned)(gdt[idx] >> 40) & 0xff;
}

void guest_main(void)
{
    kernel_tss.cr3 = read_cr3();    /* CR3 is not saved on a switch, only loaded */
    setup_b();
    uint32_t esi = 0x5eed5eed, esi_after;

    /* JMP to the TSS: not nested; the old TSS becomes available, the new one busy. */
    asm volatile("ljmp %1, $0" : "+S"(esi) : "i"(B_SEL) : "eax", "ebx", "ecx", "edx", "memory");
    esi_after = esi;
    CHECK_EQ(b_runs, 1, "task B ran once");
    CHECK_EQ(b_eax, 0x11111111, "EAX loaded from the new TSS");
    CHECK_EQ(b_ebx, 0x22222222, "EBX loaded from the new TSS");
    CHECK_EQ(b_tr, B_SEL, "TR inside task B");
    CHECK_EQ(b_flags & EFLAGS_NT, 0, "NT after a JMP task switch");
    CHECK_EQ(b_kernel_type, 0x89, "old TSS available after JMP");
    CHECK_EQ(b_self_type, 0x8b, "new TSS busy");
    CHECK_EQ(esi_after, 0x5eed5eed, "ESI restored from the old TSS on the way back");
    CHECK_EQ(type_of(B_IDX), 0x89, "task B available after it jumped back");
    check(read_cr0() & CR0_TS, "CR0.TS set by the task switch");
    asm volatile("clts");
    uint16_t tr;
    asm volatile("str %0" : "=r"(tr));
    CHECK_EQ(tr, SEL_TSS, "TR back in the first task");

    /* CALL through a task gate (type 5): nested, back-link = caller, return by IRET. */
    gdt_set_gate(GATE_IDX, B_SEL, 0, 0x85, 0);
    asm volatile("lcall %0, $0" :: "i"(GATE_SEL) : "eax", "ebx", "ecx", "edx", "esi", "memory");
    CHECK_EQ(b_runs, 2, "task B ran through the task gate");
    CHECK_EQ(b_flags & EFLAGS_NT, EFLAGS_NT, "NT after a CALL task switch");
    CHECK_EQ(b_link & 0xffff, SEL_TSS, "back-link after a CALL task switch");
    CHECK_EQ(b_kernel_type, 0x8b, "caller TSS stays busy while nested");
    CHECK_EQ(type_of(B_IDX), 0x89, "task B available after its IRET");
    CHECK_EQ(read_flags() & EFLAGS_NT, 0, "NT in the caller after the IRET");
    asm volatile("clts");

    /* INT through an IDT task gate. */
    idt_set(0x84, B_SEL, 0, 0x85);
    asm volatile("int $0x84" ::: "eax", "ebx", "ecx", "edx", "esi", "memory");
    CHECK_EQ(b_runs, 3, "task B ran through the IDT task gate");
    CHECK_EQ(b_flags & EFLAGS_NT, EFLAGS_NT, "NT after an INT task switch");
    CHECK_EQ(b_link & 0xffff, SEL_TSS, "back-link after an INT task switch");
    asm volatile("clts");

    /* A busy TSS cannot be entered by CALL: #GP(selector). */
    gdt[B_IDX] |= 2ull << 40;
    TRY("lcall %0, $0", :: "i"(B_SEL) : "memory");
    check_trap("CALL to a busy TSS", VEC_GP, B_SEL);
    gdt[B_IDX] &= ~(2ull << 40);
}
