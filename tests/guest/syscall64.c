/*
 * guest-bits: 64
 * 64-bit privilege transitions: SYSCALL/SYSRET (STAR selectors, RCX/R11, SFMASK) and an
 * interrupt gate from CPL3 (stack from TSS.RSP0, SS null in the handler, SS:RSP saved).
 * SDM vol. 2 SYSCALL/SYSRET; vol. 3, 6.14.
 */
#include "guest.h"

uint64_t sc_rcx, sc_r11, sc_flags, sc_rsp;
uint16_t sc_cs, sc_ss;
static uint64_t user_rsp_before, user_rsp_after, user_flags_after, user_ret_expected;
static uint64_t user_cs_after, user_ss_after;

asm(".pushsection .text\n"
    "syscall_target:\n"
    "    movq %rcx, sc_rcx\n"
    "    movq %r11, sc_r11\n"
    "    movw %cs, sc_cs\n"
    "    movw %ss, sc_ss\n"
    "    movq %rsp, sc_rsp\n"
    "    pushfq\n"
    "    popq sc_flags\n"
    "    sysretq\n"
    ".popsection\n");
extern char syscall_target[];

static void user_syscall(void)
{
    asm volatile("movq %%rsp, %0\n\t"
                 "leaq 1f(%%rip), %%rax\n\t"
                 "movq %%rax, %3\n\t"
                 "std\n\t"
                 "syscall\n"
                 "1:\n\t"
                 "pushfq\n\t"
                 "popq %2\n\t"
                 "cld\n\t"
                 "movq %%rsp, %1\n\t"
                 "movq %%cs, %%rax\n\t"
                 "movq %%rax, %4\n\t"
                 "movq %%ss, %%rax\n\t"
                 "movq %%rax, %5"
                 : "=m"(user_rsp_before), "=m"(user_rsp_after), "=m"(user_flags_after),
                   "=m"(user_ret_expected), "=m"(user_cs_after), "=m"(user_ss_after)
                 :: "rax", "rcx", "r11", "memory");
}

static void user_syscall_ud(void)
{
    TRY("syscall", ::: "rcx", "r11", "memory");
}

static TrapFrame int_frame;
static unsigned long int_frame_top;
static uint16_t int_ss;
static int record_int(TrapFrame *f)
{
    int_frame = *f;
    int_frame_top = (unsigned long)&f->ss + 8;
    asm volatile("movw %%ss, %0" : "=r"(int_ss));
    return 1;
}

static void user_int(void)
{
    asm volatile("movq %%rsp, %0; int $0x82" : "=m"(user_rsp_before) :: "memory");
}

void guest_main(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* STAR[47:32]: SYSCALL CS (SS = +8); STAR[63:48]: SYSRET base (CS = +16, SS = +8). */
    wrmsr(0xc0000081, ((uint64_t)(SEL_UCODE32 & ~3) << 48) | ((uint64_t)SEL_KCODE64 << 32));
    wrmsr(0xc0000082, (unsigned long)syscall_target);
    wrmsr(0xc0000084, 0x400 | 0x100);   /* SFMASK: clear DF and TF */
    run_user(user_syscall);
    CHECK_EQ(sc_cs, SEL_KCODE64, "CS after SYSCALL");
    CHECK_EQ(sc_ss, SEL_KDATA2, "SS after SYSCALL (STAR CS + 8)");
    CHECK_EQ(sc_rcx, user_ret_expected, "RCX after SYSCALL (return RIP)");
    CHECK_EQ(sc_r11 & 0x400, 0x400, "R11 holds the caller's RFLAGS (DF set)");
    CHECK_EQ(sc_flags & 0x400, 0, "SFMASK cleared DF");
    CHECK_EQ(sc_rsp, user_rsp_before, "SYSCALL does not switch stacks");
    CHECK_EQ(user_cs_after, SEL_UCODE64, "CS after SYSRET (STAR base + 16, RPL3)");
    CHECK_EQ(user_ss_after, SEL_UDATA, "SS after SYSRET (STAR base + 8, RPL3)");
    CHECK_EQ(user_flags_after & 0x400, 0x400, "RFLAGS from R11 after SYSRET (DF set)");
    CHECK_EQ(user_rsp_after, user_rsp_before, "RSP after SYSRET");
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
    run_user(user_syscall_ud);
    check_trap("SYSCALL with EFER.SCE clear", VEC_UD, 0);

    idt_set_stub(0x82, 0xee);
    trap_hook[0x82] = record_int;
    run_user(user_int);
    CHECK_EQ(int_frame.cs, SEL_UCODE64, "INT from CPL3: saved CS");
    CHECK_EQ(int_frame.ss, SEL_UDATA, "INT from CPL3: saved SS");
    CHECK_EQ(int_frame.sp, user_rsp_before, "INT from CPL3: saved RSP");
    CHECK_EQ(int_frame_top, kernel_tss.rsp[0], "INT from CPL3: frame at the top of TSS.RSP0");
    CHECK_EQ(int_ss, 0, "SS is null in a 64-bit handler entered from CPL3");
}
