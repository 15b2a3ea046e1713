/*
 * guest-bits: 32
 * Privilege transitions in 32-bit protected mode (SDM vol. 3, 5.8, 6.12, and SYSENTER/SYSEXIT
 * in vol. 2): a far call from CPL3 through a call gate with one parameter (stack switch to
 * TSS.SS0:ESP0, parameter copy, far return with an immediate); an interrupt gate from CPL3
 * (frame with SS:ESP, stack from TSS); interrupt vs trap gate and IF; SYSENTER/SYSEXIT.
 */
#include "guest.h"

#define GATE_IDX GDT_FREE
#define GATE_SEL ((GATE_IDX << 3) | 3)

uint32_t gate_frame[5], gate_esp, sysenter_esp;
uint16_t gate_cs, gate_ss, sysenter_cs, sysenter_ss;
static uint32_t user_esp_before, user_esp_after, user_cs_after, user_ss_after;
static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

asm(".pushsection .text\n"
    "gate_target:\n"
    "    movw %cs, gate_cs\n"
    "    movw %ss, gate_ss\n"
    "    movl %esp, gate_esp\n"
    "    movl 0(%esp), %eax\n"
    "    movl %eax, gate_frame\n"
    "    movl 4(%esp), %eax\n"
    "    movl %eax, gate_frame + 4\n"
    "    movl 8(%esp), %eax\n"
    "    movl %eax, gate_frame + 8\n"
    "    movl 12(%esp), %eax\n"
    "    movl %eax, gate_frame + 12\n"
    "    movl 16(%esp), %eax\n"
    "    movl %eax, gate_frame + 16\n"
    "    lret $4\n"
    "sysenter_target:\n"
    "    movw %cs, sysenter_cs\n"
    "    movw %ss, sysenter_ss\n"
    "    movl %esp, sysenter_esp\n"
    "    sysexit\n"
    ".popsection\n");
extern char gate_target[], sysenter_target[];

static void user_call_gate(void)
{
    asm volatile("movl %%esp, %0\n\t"
                 "pushl $0x1234abcd\n\t"
                 "lcall %4, $0\n\t"
                 "movl %%esp, %1\n\t"
                 "movl %%cs, %2\n\t"
                 "movl %%ss, %3"
                 : "=m"(user_esp_before), "=m"(user_esp_after), "=r"(user_cs_after),
                   "=r"(user_ss_after)
                 : "i"(GATE_SEL) : "eax", "memory");
}

static TrapFrame int_frame;
static unsigned long int_frame_top, int_flags;
static int record_int(TrapFrame *f)
{
    int_frame = *f;
    int_frame_top = (unsigned long)&f->ss + 4;
    int_flags = read_flags();
    return 1;
}

static void user_int(void)
{
    asm volatile("movl %%esp, %0; int $0x82" : "=m"(user_esp_before) :: "memory");
}

static void user_sysenter(void)
{
    asm volatile("movl %%esp, %0\n\t"
                 "movl %%esp, %%ecx\n\t"
                 "movl $1f, %%edx\n\t"
                 "sysenter\n"
                 "1:\n\t"
                 "movl %%esp, %1\n\t"
                 "movl %%cs, %2\n\t"
                 "movl %%ss, %3"
                 : "=m"(user_esp_before), "=m"(user_esp_after), "=r"(user_cs_after),
                   "=r"(user_ss_after) :: "ecx", "edx", "memory");
}

void guest_main(void)
{
    /* Call gate: 32-bit (type 0xC), DPL3, one dword parameter. */
    gdt_set_gate(GATE_IDX, SEL_KCODE32, (unsigned long)gate_target, 0xec, 1);
    run_user(user_call_gate);
    CHECK_EQ(gate_cs, SEL_KCODE32, "CS inside the call gate target");
    CHECK_EQ(gate_ss, SEL_KDATA, "SS inside the call gate target (TSS.SS0)");
    CHECK_EQ(gate_esp, kernel_tss.esp0 - 20, "ESP inside the call gate target (TSS.ESP0 - 20)");
    CHECK_EQ(gate_frame[1], SEL_UCODE32, "caller CS on the new stack");
    CHECK_EQ(gate_frame[2], 0x1234abcd, "parameter copied to the new stack");
    CHECK_EQ(gate_frame[3], user_esp_before - 4, "caller ESP on the new stack");
    CHECK_EQ(gate_frame[4], SEL_UDATA, "caller SS on the new stack");
    CHECK_EQ(user_esp_after, user_esp_before, "caller ESP after RET 4 (parameter released)");
    CHECK_EQ(user_cs_after & 0xffff, SEL_UCODE32, "CS after the far return");
    CHECK_EQ(user_ss_after & 0xffff, SEL_UDATA, "SS after the far return");

    /* The gate's DPL is checked against CPL: a DPL0 gate from CPL3 is #GP(gate selector). */
    gdt_set_gate(GATE_IDX, SEL_KCODE32, (unsigned long)gate_target, 0x8c, 1);
    trap_clear();
    trap_resume = 0;
    /* run_user has no resume point of its own: use a user function with TRY. */
    {
        extern void user_call_gate_try(void);
        run_user(user_call_gate_try);
    }
    check_trap("call through a DPL0 gate from CPL3", VEC_GP, GATE_IDX << 3);

    /* Interrupt gate, DPL3, entered from CPL3. */
    idt_set_stub(0x82, 0xee);
    trap_hook[0x82] = record_int;
    run_user(user_int);
    CHECK_EQ(int_frame.cs, SEL_UCODE32, "INT from CPL3: saved CS");
    CHECK_EQ(int_frame.ss, SEL_UDATA, "INT from CPL3: saved SS");
    CHECK_EQ(int_frame.sp, user_esp_before, "INT from CPL3: saved ESP");
    CHECK_EQ(int_frame_top, kernel_tss.esp0, "INT from CPL3: frame at the top of TSS.ESP0");
    CHECK_EQ(int_flags & EFLAGS_IF, 0, "IF inside an interrupt gate handler");

    /* Interrupt gate clears IF, trap gate keeps it (PIC masked so STI is safe). */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    idt_set_stub(0x83, 0x8f);
    trap_hook[0x83] = record_int;
    asm volatile("sti; int $0x82; cli" ::: "memory");
    CHECK_EQ(int_flags & EFLAGS_IF, 0, "IF in an interrupt-gate handler entered with IF=1");
    CHECK_EQ(int_frame.flags & EFLAGS_IF, EFLAGS_IF, "saved EFLAGS.IF");
    asm volatile("sti; int $0x83; cli" ::: "memory");
    CHECK_EQ(int_flags & EFLAGS_IF, EFLAGS_IF, "IF in a trap-gate handler entered with IF=1");

    /* SYSENTER/SYSEXIT: CS from the MSR, SS = CS + 8; back to CS + 16 and CS + 24 at RPL3. */
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    if (!check(d & (1u << 11), "CPUID.1:EDX.SEP clear: no SYSENTER")) {
        return;
    }
    wrmsr(0x174, SEL_KCODE32);
    wrmsr(0x175, (unsigned long)sysenter_stack + sizeof(sysenter_stack));
    wrmsr(0x176, (unsigned long)sysenter_target);
    run_user(user_sysenter);
    CHECK_EQ(sysenter_cs, SEL_KCODE32, "CS after SYSENTER");
    CHECK_EQ(sysenter_ss, SEL_KDATA, "SS after SYSENTER");
    CHECK_EQ(sysenter_esp, (unsigned long)sysenter_stack + sizeof(sysenter_stack),
             "ESP after SYSENTER");
    CHECK_EQ(user_cs_after & 0xffff, SEL_UCODE32, "CS after SYSEXIT");
    CHECK_EQ(user_ss_after & 0xffff, SEL_UDATA, "SS after SYSEXIT");
    CHECK_EQ(user_esp_after, user_esp_before, "ESP after SYSEXIT (from ECX)");
    /* SYSENTER with the CS MSR zero is #GP(0). */
    wrmsr(0x174, 0);
    TRY("sysenter", ::: "memory");
    check_trap("SYSENTER with IA32_SYSENTER_CS = 0", VEC_GP, 0);
}

void user_call_gate_try(void);
void user_call_gate_try(void)
{
    TRY("lcall %0, $0", :: "i"(GATE_SEL) : "memory");
}
