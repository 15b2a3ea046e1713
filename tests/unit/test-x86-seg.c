/*
 * Segmentation, interrupt delivery and task switch tests (cpu/x86/seg.c,
 * excp.c, misc_helper.c, msr.c, cpuid.c, cpu.c): descriptor tables built in
 * flat guest RAM, helpers called directly, frames checked on the stack.
 * SDM vol. 3A chapters 3, 5, 6, 7.
 */
#include "cpu/x86/cpuid.h"
#include "cpu/x86/msr.h"
#include "cpu/x86/test_rig.h"
#include "tests/unit/x86-sys-harness.h"

#define GDT 0x1000
#define IDT 0x2000
#define TSS1 0x3000
#define TSS2 0x3100
#define LDT 0x3800

enum {
    SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x18, SEL_DATA3 = 0x20, SEL_TSS1 = 0x28,
    SEL_NP = 0x30, SEL_XONLY = 0x38, SEL_GATE = 0x40, SEL_TSS2 = 0x48, SEL_CODE64 = 0x50,
    SEL_LDT = 0x58, SEL_CODE16 = 0x60,
};

static void set_gdt(SysHarness *h, uint32_t sel, uint64_t d)
{
    poke64(h, GDT + (sel & ~7u), d);
}

static void set_idt32(SysHarness *h, int vec, uint64_t g)
{
    poke64(h, IDT + vec * 8, g);
}

/* Flat protected mode at CPL 0, GDT/IDT/TSS in place. */
static SysHarness *setup_prot(void)
{
    SysHarness *h = harness_new();
    CPUX86State *env = &h->env;
    set_gdt(h, SEL_CODE0, make_desc(0, 0xfffff, A_CODE32));
    set_gdt(h, SEL_DATA0, make_desc(0, 0xfffff, A_DATA32));
    set_gdt(h, SEL_CODE3, make_desc(0, 0xfffff, A_CODE32 | A_DPL(3)));
    set_gdt(h, SEL_DATA3, make_desc(0, 0xfffff, A_DATA32 | A_DPL(3)));
    set_gdt(h, SEL_TSS1, make_desc(TSS1, 0x67, DESC_P_MASK | (9u << DESC_TYPE_SHIFT)));
    set_gdt(h, SEL_NP, make_desc(0, 0xfffff, A_DATA32 & ~DESC_P_MASK));
    set_gdt(h, SEL_XONLY, make_desc(0, 0xfffff, A_CODE32 & ~DESC_R_MASK));
    set_gdt(h, SEL_GATE, make_gate(SEL_CODE0, 0x6000, DESC_SYS_CALL32, 3, 2));
    set_gdt(h, SEL_TSS2, make_desc(TSS2, 0x67, DESC_P_MASK | (9u << DESC_TYPE_SHIFT)));
    set_gdt(h, SEL_CODE64, make_desc(0, 0xfffff, A_CODE64));
    set_gdt(h, SEL_LDT, make_desc(LDT, 0xf, DESC_P_MASK | (2u << DESC_TYPE_SHIFT)));
    set_gdt(h, SEL_CODE16, make_desc(0x10000, 0xffff, A_CODE32 & ~(DESC_B_MASK | DESC_G_MASK)));
    env->gdt = (DescriptorTable){GDT, 0x7f};
    env->idt = (DescriptorTable){IDT, 0x7ff};
    env->cr[0] = CR0_PE | CR0_ET;
    EXPECT_OK(h, helper_ljmp(env, SEL_CODE0, 0x100, 0));
    EXPECT_OK(h, helper_load_seg(env, R_SS, SEL_DATA0));
    EXPECT_OK(h, helper_load_seg(env, R_DS, SEL_DATA0));
    EXPECT_OK(h, helper_load_seg(env, R_ES, SEL_DATA0));
    EXPECT_OK(h, helper_ltr(env, SEL_TSS1));
    env->regs[R_ESP] = 0x8000;
    /* TSS1: ESP0 = 0x9000, SS0 = data0. */
    poke32(h, TSS1 + 4, 0x9000);
    poke32(h, TSS1 + 8, SEL_DATA0);
    poke32(h, TSS1 + 0x66, 0x68 << 16); /* no I/O bitmap (offset past the limit) */
    return h;
}

/* CPL 3 with flat user segments. */
static void enter_user(SysHarness *h)
{
    CPUX86State *env = &h->env;
    x86_load_seg_cache(env, R_CS, SEL_CODE3 | 3, 0xffff, 0x00cf0000u | A_CODE32 | A_DPL(3));
    x86_load_seg_cache(env, R_SS, SEL_DATA3 | 3, 0xffff, 0x00cf0000u | A_DATA32 | A_DPL(3));
    x86_update_hflags(env);
}

static void test_reset_state(void)
{
    SysHarness *h = harness_new();
    CPUX86State *env = &h->env;
    CHECK_EQ(env->segs[R_CS].selector, 0xf000);
    CHECK_EQ(env->segs[R_CS].base, 0xffff0000u);
    CHECK_EQ(env->rip, 0xfff0);
    CHECK_EQ(env->cr[0], 0x60000010);
    CHECK_EQ(env->regs[R_EDX], x86_cpuid_signature(env));
    CHECK_EQ(env->regs[R_EDX], 0x663);
    CHECK_EQ(x86_get_eflags(env), 2);
    CHECK_EQ(env->hflags & (HF_PE | HF_CPL_MASK | HF_CS32), 0);
    CHECK(env->hflags & HF_ADDSEG);
    CHECK_EQ(env->idt.limit, 0xffff);
    CHECK(env->cpuid_features[2] & CPUID_EXT2_LM);
    harness_free(h);
}

static void test_load_seg(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    CHECK(h->env.hflags & HF_CS32);
    CHECK(h->env.hflags & HF_SS32);
    CHECK_EQ(x86_cpl(env), 0);
    /* Accessed bit written back to the GDT. */
    CHECK(peek32(h, GDT + SEL_DATA0 + 4) & DESC_A_MASK);
    CHECK_EQ(env->segs[R_DS].limit, 0xffffffffu);
    EXPECT_EXC(h, helper_load_seg(env, R_DS, SEL_NP), EXCP_NP, SEL_NP);
    EXPECT_EXC(h, helper_load_seg(env, R_SS, SEL_NP), EXCP_SS, SEL_NP);
    EXPECT_EXC(h, helper_load_seg(env, R_DS, SEL_XONLY), EXCP_GP, SEL_XONLY);
    EXPECT_EXC(h, helper_load_seg(env, R_SS, SEL_DATA3 | 3), EXCP_GP, SEL_DATA3);
    EXPECT_EXC(h, helper_load_seg(env, R_SS, SEL_CODE0), EXCP_GP, SEL_CODE0);
    EXPECT_EXC(h, helper_load_seg(env, R_SS, 0), EXCP_GP, 0);
    EXPECT_EXC(h, helper_load_seg(env, R_DS, 0x400), EXCP_GP, 0x400);
    EXPECT_EXC(h, helper_load_seg(env, R_DS, SEL_TSS1), EXCP_GP, SEL_TSS1);
    /* An LDT selector with no LDT loaded. */
    EXPECT_EXC(h, helper_load_seg(env, R_DS, 0x0c), EXCP_GP, 0x0c);
    EXPECT_OK(h, helper_load_seg(env, R_FS, 0));
    CHECK_EQ(env->segs[R_FS].flags, 0);
    /* Readable code is loadable into a data register. */
    EXPECT_OK(h, helper_load_seg(env, R_GS, SEL_CODE0));
    /* LDT load and a selector through it. */
    poke64(h, LDT + 8, make_desc(0x12340, 0xffff, DESC_P_MASK | DESC_S_MASK | DESC_W_MASK));
    EXPECT_OK(h, helper_lldt(env, SEL_LDT));
    EXPECT_OK(h, helper_load_seg(env, R_ES, 0x0c));
    CHECK_EQ(env->segs[R_ES].base, 0x12340);
    EXPECT_EXC(h, helper_lldt(env, SEL_DATA0), EXCP_GP, SEL_DATA0);
    /* CPL 3: DPL 0 data is out of reach. */
    enter_user(h);
    CHECK_EQ(x86_cpl(env), 3);
    EXPECT_EXC(h, helper_load_seg(env, R_DS, SEL_DATA0), EXCP_GP, SEL_DATA0);
    EXPECT_OK(h, helper_load_seg(env, R_DS, SEL_DATA3 | 3));
    harness_free(h);
}

static void test_lar_lsl_verr(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    uint64_t r = helper_lar(env, SEL_CODE3);
    CHECK(r >> 32);
    CHECK_EQ(r & 0xffffffffu, (A_CODE32 | A_DPL(3) | DESC_A_MASK | 0x000f0000u) & 0x00f0ff00u
                                  & ~(uint32_t)DESC_A_MASK);
    CHECK_EQ(helper_lsl(env, SEL_TSS1), (1ull << 32) | 0x67);
    CHECK_EQ(helper_lar(env, 0), 0);
    CHECK_EQ(helper_lsl(env, SEL_GATE), 0); /* gates have no limit */
    CHECK(helper_verr(env, SEL_CODE0));
    CHECK(!helper_verr(env, SEL_XONLY));
    CHECK(helper_verw(env, SEL_DATA0));
    CHECK(!helper_verw(env, SEL_CODE0));
    enter_user(h);
    CHECK(!helper_verw(env, SEL_DATA0));
    CHECK_EQ(helper_lar(env, SEL_DATA0), 0);
    harness_free(h);
}

static void test_real_mode_interrupt(void)
{
    SysHarness *h = harness_new();
    CPUX86State *env = &h->env;
    env->idt = (DescriptorTable){0, 0x3ff};
    poke32(h, 8 * 4, 0x12345678);
    x86_load_seg_real(env, R_SS, 0);
    env->regs[R_ESP] = 0x7000;
    env->eflags |= X86_EFL_IF | X86_EFL_TF;
    EXPECT_OK(h, x86_do_interrupt(env, 8, false, 0, 0, false));
    CHECK_EQ(env->segs[R_CS].selector, 0x1234);
    CHECK_EQ(env->segs[R_CS].base, 0x12340);
    CHECK_EQ(env->rip, 0x5678);
    CHECK_EQ(env->regs[R_ESP], 0x6ffa);
    CHECK_EQ(peek32(h, 0x6ffa) & 0xffff, 0xfff0);
    CHECK_EQ(peek32(h, 0x6ffc) & 0xffff, 0xf000);
    CHECK_EQ(peek32(h, 0x6ffe) & 0xffff, 2 | X86_EFL_IF | X86_EFL_TF);
    CHECK(!(env->eflags & (X86_EFL_IF | X86_EFL_TF)));
    /* IRET back. */
    EXPECT_OK(h, helper_iret(env, 0, 0));
    CHECK_EQ(env->segs[R_CS].selector, 0xf000);
    CHECK_EQ(env->rip, 0xfff0);
    CHECK(env->eflags & X86_EFL_IF);
    CHECK_EQ(env->regs[R_ESP], 0x7000);
    /* Software INT returns to the next instruction. */
    EXPECT_OK(h, x86_do_interrupt(env, 8, true, 0, 0xfff2, false));
    CHECK_EQ(peek32(h, 0x6ffa) & 0xffff, 0xfff2);
    harness_free(h);
}

static void test_prot_interrupt_stack_switch(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    set_idt32(h, 0x80, make_gate(SEL_CODE0, 0x5000, DESC_SYS_INT32, 3, 0));
    set_idt32(h, 0x81, make_gate(SEL_CODE0, 0x5000, DESC_SYS_INT32, 0, 0));
    enter_user(h);
    env->regs[R_ESP] = 0x8000;
    env->rip = 0x1230;
    env->eflags |= X86_EFL_IF;
    EXPECT_OK(h, x86_do_interrupt(env, 0x80, true, 0, 0x1232, false));
    CHECK_EQ(x86_cpl(env), 0);
    CHECK_EQ(env->segs[R_CS].selector, SEL_CODE0);
    CHECK_EQ(env->segs[R_SS].selector, SEL_DATA0);
    CHECK_EQ(env->rip, 0x5000);
    CHECK_EQ(env->regs[R_ESP], 0x9000 - 20);
    CHECK_EQ(peek32(h, 0x9000 - 20), 0x1232);
    CHECK_EQ(peek32(h, 0x9000 - 16), SEL_CODE3 | 3);
    CHECK_EQ(peek32(h, 0x9000 - 12), 2 | X86_EFL_IF);
    CHECK_EQ(peek32(h, 0x9000 - 8), 0x8000);
    CHECK_EQ(peek32(h, 0x9000 - 4), SEL_DATA3 | 3);
    CHECK(!(env->eflags & X86_EFL_IF));
    /* IRET to the outer level restores everything. */
    EXPECT_OK(h, helper_iret(env, 1, 0));
    CHECK_EQ(x86_cpl(env), 3);
    CHECK_EQ(env->rip, 0x1232);
    CHECK_EQ(env->regs[R_ESP], 0x8000);
    CHECK_EQ(env->segs[R_SS].selector, SEL_DATA3 | 3);
    CHECK(env->eflags & X86_EFL_IF);
    /* DS held a DPL 0 selector: nulled on the way out. */
    CHECK_EQ(env->segs[R_DS].selector, 0);
    /* INT n through a DPL 0 gate from CPL 3: #GP(vector * 8 + 2). */
    EXPECT_EXC(h, x86_do_interrupt(env, 0x81, true, 0, 0x1232, false), EXCP_GP, 0x81 * 8 + 2);
    /* ... but a hardware interrupt ignores the gate DPL. */
    EXPECT_OK(h, x86_do_interrupt(env, 0x81, false, 0, 0, true));
    CHECK_EQ(x86_cpl(env), 0);
    harness_free(h);
}

static void test_prot_exception_error_code(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    set_idt32(h, EXCP_GP, make_gate(SEL_CODE0, 0x5100, DESC_SYS_TRAP32, 0, 0));
    env->rip = 0x4444;
    env->eflags |= X86_EFL_IF;
    EXPECT_OK(h, x86_do_interrupt(env, EXCP_GP, false, 0x28, 0, false));
    CHECK_EQ(env->regs[R_ESP], 0x8000 - 16);
    CHECK_EQ(peek32(h, 0x8000 - 16), 0x28);
    CHECK_EQ(peek32(h, 0x8000 - 12), 0x4444);
    CHECK_EQ(peek32(h, 0x8000 - 8), SEL_CODE0);
    /* A fault's EFLAGS image has RF set; the handler runs with RF clear. */
    CHECK(peek32(h, 0x8000 - 4) & X86_EFL_RF);
    CHECK(!(env->eflags & X86_EFL_RF));
    /* A trap gate leaves IF alone. */
    CHECK(env->eflags & X86_EFL_IF);
    CHECK_EQ(env->old_exception, -1);
    /* A software interrupt pushes RF as it was (clear). */
    set_idt32(h, 0x30, make_gate(SEL_CODE0, 0x5200, DESC_SYS_TRAP32, 0, 0));
    EXPECT_OK(h, x86_do_interrupt(env, 0x30, true, 0, 0x4446, false));
    CHECK(!(peek32(h, 0x8000 - 16 - 4) & X86_EFL_RF));
    /* Gate beyond the IDT limit. */
    env->idt.limit = 0xff;
    EXPECT_EXC(h, x86_do_interrupt(env, 0x40, false, 0, 0, true), EXCP_GP, 0x40 * 8 + 2);
    harness_free(h);
}

/* Deliver like the exec loop: a fault during delivery is delivered in turn. */
static int deliver(SysHarness *h, int vec, int err)
{
    CPUX86State *env = &h->env;
    volatile int v = vec, e = err;
    for (volatile int tries = 0; tries < 4; tries++) {
        if (sigsetjmp(h->jb, 0) == 0) {
            x86_do_interrupt(env, v, false, e, 0, false);
            env->old_exception = -1;
            return v;
        }
        if (env->exception_index == X86_EXCP_SHUTDOWN) {
            return X86_EXCP_SHUTDOWN;
        }
        v = env->exception_index;
        e = env->error_code;
    }
    return -1;
}

static void test_double_and_triple_fault(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    /* #GP's gate is not present: #NP while delivering #GP -> #DF. */
    set_idt32(h, EXCP_GP, make_gate(SEL_CODE0, 0x5100, DESC_SYS_INT32, 0, 0) &
                              ~((uint64_t)DESC_P_MASK << 32));
    set_idt32(h, EXCP_DF, make_gate(SEL_CODE0, 0x5800, DESC_SYS_INT32, 0, 0));
    set_idt32(h, EXCP_PF, make_gate(SEL_CODE0, 0x5900, DESC_SYS_INT32, 0, 0));
    set_idt32(h, EXCP_UD, make_gate(SEL_CODE0, 0x5a00, DESC_SYS_INT32, 0, 0) &
                              ~((uint64_t)DESC_P_MASK << 32));
    /* deliver() returns the last vector raised; the handler reached shows the #DF. */
    CHECK_EQ(deliver(h, EXCP_GP, 0), EXCP_NP);
    CHECK_EQ(env->rip, 0x5800);
    CHECK_EQ(peek32(h, (uint32_t)env->regs[R_ESP]), 0); /* #DF error code */
    /* Benign first (#UD) then contributory (#NP): delivered serially, no #DF. */
    env->regs[R_ESP] = 0x8000;
    set_idt32(h, EXCP_NP, make_gate(SEL_CODE0, 0x5b00, DESC_SYS_INT32, 0, 0));
    CHECK_EQ(deliver(h, EXCP_UD, 0), EXCP_NP);
    CHECK_EQ(env->rip, 0x5b00);
    /* #PF then #PF -> #DF. */
    env->regs[R_ESP] = 0x8000;
    env->old_exception = EXCP_PF;
    env->rip = 0;
    CHECK_EQ(deliver(h, EXCP_PF, 2), EXCP_PF);
    CHECK_EQ(env->rip, 0x5800);
    /* The #DF gate is not present either: triple fault. */
    env->regs[R_ESP] = 0x8000;
    set_idt32(h, EXCP_DF, 0);
    CHECK_EQ(deliver(h, EXCP_GP, 0), X86_EXCP_SHUTDOWN);
    CHECK(env->halted);
    CHECK_EQ(h->m.reset_request, SHUTDOWN_CAUSE_GUEST_RESET);
    harness_free(h);
}

static void test_long_mode_ist(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    /* 64-bit TSS: RSP0 at 4, IST1 at 0x24. */
    poke64(h, TSS1 + 4, 0xb000);
    poke64(h, TSS1 + 0x24, 0xa008);
    /* 16-byte IDT entries: vector 2 with IST 1, vector 0x80 DPL 3 no IST. */
    uint64_t g = make_gate(SEL_CODE64, 0x7000, DESC_SYS_INT32, 0, 0) | (1ull << 32);
    poke64(h, IDT + 2 * 16, g);
    poke64(h, IDT + 2 * 16 + 8, 0x1);
    poke64(h, IDT + 0x80 * 16, make_gate(SEL_CODE64, 0x7100, DESC_SYS_TRAP32, 3, 0));
    poke64(h, IDT + 0x80 * 16 + 8, 0);
    env->idt.limit = 0xfff;
    env->efer = EFER_LME | EFER_LMA;
    env->cr[4] = CR4_PAE;
    EXPECT_OK(h, helper_ljmp(env, SEL_CODE64, 0x100, 0));
    CHECK(env->hflags & HF_CS64);
    env->regs[R_ESP] = 0x8000;
    env->rip = 0x1111;
    EXPECT_OK(h, x86_do_interrupt(env, 2, false, 0, 0, true));
    CHECK_EQ(env->rip, 0x100007000ull);
    /* IST stack aligned down to 16, five quadwords. */
    CHECK_EQ(env->regs[R_ESP], 0xa000 - 40);
    CHECK_EQ(peek64(h, 0xa000 - 40), 0x1111);
    CHECK_EQ(peek64(h, 0xa000 - 32), SEL_CODE64);
    CHECK_EQ(peek64(h, 0xa000 - 24), 2);
    CHECK_EQ(peek64(h, 0xa000 - 16), 0x8000);
    CHECK_EQ(peek64(h, 0xa000 - 8), SEL_DATA0);
    /* IRETQ back (same privilege, still pops SS:RSP). */
    EXPECT_OK(h, helper_iret(env, 2, 0));
    CHECK_EQ(env->rip, 0x1111);
    CHECK_EQ(env->regs[R_ESP], 0x8000);

    /* From CPL 3 (64-bit user code) through a DPL 3 gate: RSP0, SS = null. */
    set_gdt(h, SEL_CODE3, make_desc(0, 0xfffff, A_CODE64 | A_DPL(3)));
    x86_load_seg_cache(env, R_CS, SEL_CODE3 | 3, 0xffff, 0x000f0000u | A_CODE64 | A_DPL(3));
    x86_load_seg_cache(env, R_SS, SEL_DATA3 | 3, 0xffff, 0x00cf0000u | A_DATA32 | A_DPL(3));
    x86_update_hflags(env);
    CHECK_EQ(x86_cpl(env), 3);
    env->regs[R_ESP] = 0x7ff8;
    EXPECT_OK(h, x86_do_interrupt(env, 0x80, true, 0, 0x2222, false));
    CHECK_EQ(x86_cpl(env), 0);
    CHECK_EQ(env->segs[R_SS].selector, 0);
    CHECK_EQ(env->regs[R_ESP], 0xb000 - 40);
    CHECK_EQ(peek64(h, 0xb000 - 40), 0x2222);
    CHECK_EQ(peek64(h, 0xb000 - 16), 0x7ff8);
    CHECK_EQ(peek64(h, 0xb000 - 8), SEL_DATA3 | 3);
    EXPECT_OK(h, helper_iret(env, 2, 0));
    CHECK_EQ(x86_cpl(env), 3);
    CHECK_EQ(env->regs[R_ESP], 0x7ff8);
    CHECK_EQ(env->rip, 0x2222);
    /* A 32-bit gate type is invalid in a long-mode IDT. */
    poke64(h, IDT + 0x81 * 16, make_gate(SEL_CODE64, 0x7100, DESC_SYS_INT16, 3, 0));
    EXPECT_EXC(h, x86_do_interrupt(env, 0x81, true, 0, 0, false), EXCP_GP, 0x81 * 8 + 2);
    harness_free(h);
}

static void test_task_gate_and_iret(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    /* TSS2: EIP 0x7000, EFLAGS 2, EAX, segments flat ring 0. */
    poke32(h, TSS2 + 0x20, 0x7000);
    poke32(h, TSS2 + 0x24, 2);
    poke32(h, TSS2 + 0x28, 0x11111111);
    poke32(h, TSS2 + 0x38, 0x6000); /* ESP */
    poke32(h, TSS2 + 0x48, SEL_DATA0);
    poke32(h, TSS2 + 0x4c, SEL_CODE0);
    poke32(h, TSS2 + 0x50, SEL_DATA0);
    poke32(h, TSS2 + 0x54, SEL_DATA0);
    set_idt32(h, 0x40, make_gate(SEL_TSS2, 0, DESC_SYS_TASK, 3, 0));
    env->regs[R_EAX] = 0xaaaa;
    env->rip = 0x300;
    EXPECT_OK(h, x86_do_interrupt(env, 0x40, true, 0, 0x302, false));
    CHECK_EQ(env->tr.selector, SEL_TSS2);
    CHECK_EQ(env->rip, 0x7000);
    CHECK_EQ(env->regs[R_EAX], 0x11111111);
    CHECK_EQ(env->regs[R_ESP], 0x6000);
    CHECK(env->eflags & X86_EFL_NT);
    CHECK(env->cr[0] & CR0_TS);
    CHECK_EQ(peek32(h, TSS2) & 0xffff, SEL_TSS1);           /* back link */
    CHECK_EQ((peek32(h, GDT + SEL_TSS2 + 4) >> 8) & 0xf, 11); /* busy */
    CHECK_EQ((peek32(h, GDT + SEL_TSS1 + 4) >> 8) & 0xf, 11); /* still busy (nested) */
    CHECK_EQ(peek32(h, TSS1 + 0x20), 0x302);                  /* old EIP saved */
    CHECK_EQ(peek32(h, TSS1 + 0x28), 0xaaaa);
    /* A busy TSS cannot be entered again. */
    EXPECT_EXC(h, helper_ljmp(env, SEL_TSS2, 0, 0), EXCP_GP, SEL_TSS2);
    /* IRET with NT returns to the old task and frees TSS2. */
    EXPECT_OK(h, helper_iret(env, 1, 0x7001));
    CHECK_EQ(env->tr.selector, SEL_TSS1);
    CHECK_EQ(env->rip, 0x302);
    CHECK_EQ(env->regs[R_EAX], 0xaaaa);
    CHECK_EQ((peek32(h, GDT + SEL_TSS2 + 4) >> 8) & 0xf, 9);
    CHECK(!(env->eflags & X86_EFL_NT));
    CHECK_EQ(env->segs[R_CS].selector, SEL_CODE0);
    harness_free(h);
}

static void test_call_gate(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    enter_user(h);
    env->regs[R_ESP] = 0x8000;
    poke32(h, 0x8000, 0x1111); /* parameter 1 (lowest address) */
    poke32(h, 0x8004, 0x2222);
    EXPECT_OK(h, helper_lcall(env, SEL_GATE | 3, 0, 1, 0x4567));
    CHECK_EQ(x86_cpl(env), 0);
    CHECK_EQ(env->rip, 0x6000);
    CHECK_EQ(env->segs[R_SS].selector, SEL_DATA0);
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    CHECK_EQ(sp, 0x9000 - 24);
    CHECK_EQ(peek32(h, sp), 0x4567);
    CHECK_EQ(peek32(h, sp + 4), SEL_CODE3 | 3);
    CHECK_EQ(peek32(h, sp + 8), 0x1111);
    CHECK_EQ(peek32(h, sp + 12), 0x2222);
    CHECK_EQ(peek32(h, sp + 16), 0x8000);
    CHECK_EQ(peek32(h, sp + 20), SEL_DATA3 | 3);
    /* RET 8 back to CPL 3 releases the parameters on both stacks. */
    EXPECT_OK(h, helper_lret(env, 1, 8));
    CHECK_EQ(x86_cpl(env), 3);
    CHECK_EQ(env->rip, 0x4567);
    CHECK_EQ(env->regs[R_ESP], 0x8008);
    /* Direct far call to DPL 0 code from CPL 3: #GP. */
    EXPECT_EXC(h, helper_lcall(env, SEL_CODE0, 0x10, 1, 0), EXCP_GP, SEL_CODE0);
    /* Gate RPL above gate DPL. */
    set_gdt(h, SEL_GATE, make_gate(SEL_CODE0, 0x6000, DESC_SYS_CALL32, 0, 0));
    EXPECT_EXC(h, helper_lcall(env, SEL_GATE | 3, 0, 1, 0), EXCP_GP, SEL_GATE);
    harness_free(h);
}

static void test_far_jmp_real_and_16bit(void)
{
    SysHarness *h = harness_new();
    CPUX86State *env = &h->env;
    EXPECT_OK(h, helper_ljmp(env, 0x2000, 0x10, 0));
    CHECK_EQ(env->segs[R_CS].base, 0x20000);
    CHECK_EQ(env->rip, 0x10);
    harness_free(h);
    h = setup_prot();
    env = &h->env;
    EXPECT_OK(h, helper_ljmp(env, SEL_CODE16, 0x20, 0));
    CHECK(!(env->hflags & HF_CS32));
    CHECK_EQ(env->segs[R_CS].base, 0x10000);
    EXPECT_EXC(h, helper_ljmp(env, SEL_CODE16, 0x10000, 0), EXCP_GP, 0);
    EXPECT_EXC(h, helper_ljmp(env, SEL_DATA0, 0, 0), EXCP_GP, SEL_DATA0);
    EXPECT_EXC(h, helper_ljmp(env, 0, 0, 0), EXCP_GP, 0);
    harness_free(h);
}

static void test_v86_interrupt(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    set_idt32(h, 0x0d, make_gate(SEL_CODE0, 0x5d00, DESC_SYS_INT32, 0, 0));
    set_idt32(h, 0x21, make_gate(SEL_CODE0, 0x5e00, DESC_SYS_INT32, 3, 0));
    /* Into v86 with IRET from CPL 0: EIP, CS, EFLAGS(VM), ESP, SS, ES, DS, FS, GS. */
    uint32_t frame[9] = {0x100, 0x1000, 2 | X86_EFL_VM | X86_EFL_IF, 0xfffe, 0x2000,
                         0x3000, 0x4000, 0x5000, 0x6000};
    for (int i = 0; i < 9; i++) {
        poke32(h, 0x7000 + 4 * i, frame[i]);
    }
    env->regs[R_ESP] = 0x7000;
    EXPECT_OK(h, helper_iret(env, 1, 0));
    CHECK(env->eflags & X86_EFL_VM);
    CHECK_EQ(x86_cpl(env), 3);
    CHECK_EQ(env->segs[R_CS].base, 0x10000);
    CHECK_EQ(env->segs[R_DS].base, 0x40000);
    CHECK(!(env->hflags & HF_CS32));
    /* INT n at IOPL 0 in v86: #GP(0). */
    EXPECT_EXC(h, x86_do_interrupt(env, 0x21, true, 0, 0x102, false), EXCP_GP, 0);
    /* An exception goes to the ring-0 handler with the segment registers pushed. */
    EXPECT_OK(h, x86_do_interrupt(env, 0x0d, false, 0, 0, false));
    CHECK_EQ(x86_cpl(env), 0);
    CHECK(!(env->eflags & X86_EFL_VM));
    CHECK_EQ(env->rip, 0x5d00);
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    CHECK_EQ(sp, 0x9000 - 40);
    CHECK_EQ(peek32(h, sp), 0);          /* error code */
    CHECK_EQ(peek32(h, sp + 4), 0x100);  /* EIP */
    CHECK_EQ(peek32(h, sp + 8), 0x1000); /* CS */
    CHECK(peek32(h, sp + 12) & X86_EFL_VM);
    CHECK_EQ(peek32(h, sp + 16), 0xfffe);
    CHECK_EQ(peek32(h, sp + 20), 0x2000);
    CHECK_EQ(peek32(h, sp + 24), 0x3000);
    CHECK_EQ(peek32(h, sp + 36), 0x6000);
    CHECK_EQ(env->segs[R_DS].selector, 0);
    harness_free(h);
}

static void test_io_permission_and_cli(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    set_gdt(h, SEL_TSS1, make_desc(TSS1, 0x68 + 0x20, DESC_P_MASK | (11u << DESC_TYPE_SHIFT)));
    x86_seg_cache_set(&env->tr, SEL_TSS1, (uint32_t)make_desc(TSS1, 0x88, 0),
                      (uint32_t)(make_desc(TSS1, 0x88, DESC_P_MASK | (11u << DESC_TYPE_SHIFT)) >> 32));
    poke32(h, TSS1 + 0x64, 0x68u << 16);
    memset(ram(h) + TSS1 + 0x68, 0xff, 0x20);
    ram(h)[TSS1 + 0x68 + 0x60 / 8] = 0xfe; /* port 0x60 allowed, 0x61 not */
    EXPECT_OK(h, helper_check_io(env, 0x61, 1)); /* CPL 0 <= IOPL 0 */
    enter_user(h);
    EXPECT_OK(h, helper_check_io(env, 0x60, 1));
    EXPECT_EXC(h, helper_check_io(env, 0x60, 2), EXCP_GP, 0);
    EXPECT_EXC(h, helper_check_io(env, 0x1000, 1), EXCP_GP, 0); /* beyond the limit */
    EXPECT_EXC(h, helper_cli(env), EXCP_GP, 0);
    env->cr[4] |= CR4_PVI;
    env->eflags |= X86_EFL_VIF;
    EXPECT_OK(h, helper_cli(env));
    CHECK(!(env->eflags & X86_EFL_VIF));
    env->eflags |= X86_EFL_IOPL;
    EXPECT_OK(h, helper_cli(env));
    EXPECT_OK(h, helper_sti(env));
    CHECK(env->eflags & X86_EFL_IF);
    harness_free(h);
}

static void test_fast_syscalls(void)
{
    SysHarness *h = setup_prot();
    CPUX86State *env = &h->env;
    /* SYSENTER / SYSEXIT (32-bit). */
    EXPECT_EXC(h, helper_sysenter(env), EXCP_GP, 0);
    env->sysenter_cs = SEL_CODE0;
    env->sysenter_esp = 0x9100;
    env->sysenter_eip = 0xc0001000u;
    enter_user(h);
    env->eflags |= X86_EFL_IF;
    EXPECT_OK(h, helper_sysenter(env));
    CHECK_EQ(x86_cpl(env), 0);
    CHECK_EQ(env->rip, 0xc0001000u);
    CHECK_EQ(env->regs[R_ESP], 0x9100);
    CHECK_EQ(env->segs[R_SS].selector, SEL_CODE0 + 8);
    CHECK(!(env->eflags & X86_EFL_IF));
    env->regs[R_EDX] = 0x401000;
    env->regs[R_ECX] = 0xbff000;
    EXPECT_OK(h, helper_sysexit(env, 1));
    CHECK_EQ(x86_cpl(env), 3);
    CHECK_EQ(env->segs[R_CS].selector, (SEL_CODE0 + 16) | 3);
    CHECK_EQ(env->segs[R_SS].selector, (SEL_CODE0 + 24) | 3);
    CHECK_EQ(env->rip, 0x401000);
    EXPECT_EXC(h, helper_sysexit(env, 1), EXCP_GP, 0);

    /* SYSCALL / SYSRET in long mode. */
    EXPECT_EXC(h, helper_syscall(env, 2), EXCP_UD, 0);
    CHECK(x86_msr_write(env, MSR_EFER, EFER_SCE | EFER_LME));
    env->efer |= EFER_LMA;
    env->star = ((uint64_t)0x23 << 48) | ((uint64_t)0x10 << 32);
    env->lstar = 0xffffffff81000000ull;
    env->fmask = X86_EFL_IF | X86_EFL_TF;
    x86_load_seg_cache(env, R_CS, 0x33, 0, 0x000f0000u | A_CODE64 | A_DPL(3));
    x86_update_hflags(env);
    CHECK(env->hflags & HF_CS64);
    env->rip = 0x400000;
    env->eflags |= X86_EFL_IF;
    EXPECT_OK(h, helper_syscall(env, 2));
    CHECK_EQ(env->regs[R_ECX], 0x400002);
    CHECK(env->regs[R_R11] & X86_EFL_IF);
    CHECK_EQ(env->rip, 0xffffffff81000000ull);
    CHECK_EQ(x86_cpl(env), 0);
    CHECK_EQ(env->segs[R_CS].selector, 0x10);
    CHECK(env->hflags & HF_CS64);
    CHECK(!(env->eflags & X86_EFL_IF));
    EXPECT_OK(h, helper_sysret(env, 2));
    CHECK_EQ(x86_cpl(env), 3);
    CHECK_EQ(env->segs[R_CS].selector, 0x33);
    CHECK_EQ(env->segs[R_SS].selector, 0x2b);
    CHECK_EQ(env->rip, 0x400002);
    CHECK(env->eflags & X86_EFL_IF);
    CHECK(env->hflags & HF_CS64);
    /* SWAPGS at CPL 3 faults; at CPL 0 swaps. */
    EXPECT_EXC(h, helper_swapgs(env), EXCP_GP, 0);
    harness_free(h);
}

static void test_msrs(void)
{
    SysHarness *h = harness_new();
    CPUX86State *env = &h->env;
    uint64_t v;
    CHECK(!x86_msr_write(env, MSR_EFER, 1u << 2));
    CHECK(!x86_msr_write(env, MSR_IA32_CR_PAT, 0x02));
    CHECK(x86_msr_write(env, MSR_IA32_CR_PAT, 0x0007010600070106ull));
    CHECK(x86_msr_read(env, MSR_IA32_CR_PAT, &v));
    CHECK_EQ(v, 0x0007010600070106ull);
    CHECK(x86_msr_write(env, MSR_MTRRphysBase0 + 3, 0xfff0000800ull));
    CHECK(x86_msr_read(env, MSR_MTRRphysBase0 + 3, &v));
    CHECK_EQ(v, 0xfff0000800ull);
    CHECK(!x86_msr_write(env, MSR_MTRRphysBase0 + 2, 0x1000 | 2)); /* type 2 invalid */
    CHECK(x86_msr_write(env, MSR_MTRRfix4K_C0000 + 7, 0x0606060606060606ull));
    CHECK(x86_msr_read(env, MSR_MTRRcap, &v));
    CHECK_EQ(v & 0xff, 8);
    CHECK(!x86_msr_write(env, MSR_LSTAR, 0x0000800000000000ull));
    CHECK(x86_msr_write(env, MSR_KERNEL_GS_BASE, 0xffff880000000000ull));
    /* TSC: writable, and it keeps counting from the written value. */
    CHECK(x86_msr_write(env, MSR_IA32_TSC, 1000000));
    CHECK(x86_msr_read(env, MSR_IA32_TSC, &v));
    CHECK(v >= 1000000 && v < 1000000 + 1000000000ull);
    /* RDMSR of an unknown MSR: #GP(0). */
    env->regs[R_ECX] = 0x12345;
    EXPECT_EXC(h, helper_rdmsr(env), EXCP_GP, 0);
    env->regs[R_ECX] = MSR_IA32_APICBASE;
    EXPECT_OK(h, helper_rdmsr(env));
    CHECK_EQ(env->regs[R_EAX], 0xfee00900u);
    /* EFER.LME cannot change while paging is on. */
    env->cr[0] |= CR0_PE | CR0_PG;
    CHECK(!x86_msr_write(env, MSR_EFER, EFER_LME));
    harness_free(h);
}

static void test_cpuid(void)
{
    SysHarness *h = harness_new();
    CPUX86State *env = &h->env;
    char vendor[13] = {0};
    env->regs[R_EAX] = 0;
    helper_cpuid(env);
    memcpy(vendor, &env->regs[R_EBX], 4);
    memcpy(vendor + 4, &env->regs[R_EDX], 4);
    memcpy(vendor + 8, &env->regs[R_ECX], 4);
    CHECK(!strcmp(vendor, "GenuineIntel"));
    env->regs[R_EAX] = 1;
    helper_cpuid(env);
    CHECK(env->regs[R_EDX] & CPUID_PAE);
    CHECK(!(env->regs[R_EDX] & CPUID_APIC));
    CHECK(!(env->regs[R_EDX] & CPUID_VME));
    env->cpuid_apic = true;
    x86_cpu_reset(env);
    env->regs[R_EAX] = 1;
    helper_cpuid(env);
    CHECK(env->regs[R_EDX] & CPUID_APIC);
    char brand[49] = {0};
    for (uint32_t i = 0; i < 3; i++) {
        env->regs[R_EAX] = 0x80000002u + i;
        helper_cpuid(env);
        memcpy(brand + 16 * i, &env->regs[R_EAX], 4);
        memcpy(brand + 16 * i + 4, &env->regs[R_EBX], 4);
        memcpy(brand + 16 * i + 8, &env->regs[R_ECX], 4);
        memcpy(brand + 16 * i + 12, &env->regs[R_EDX], 4);
    }
    CHECK(!strncmp(brand, "Osprey", 6));
    CHECK(x86_cpu_model_find("qemu64"));
    CHECK(x86_cpu_model_find("qemu32"));
    CHECK(!x86_cpu_model_find("nonsense"));
    /* Leaf 7: IA32_ARCH_CAPABILITIES, read-only, denying Meltdown and MDS. */
    env->regs[R_EAX] = 7;
    env->regs[R_ECX] = 0;
    helper_cpuid(env);
    CHECK(env->regs[R_EDX] & CPUID_7_0_EDX_ARCH_CAPABILITIES);
    CHECK_EQ(env->regs[R_EAX], 2); /* subleaves 0-2 */
    env->regs[R_EAX] = 7;
    env->regs[R_ECX] = 1;
    helper_cpuid(env);
    CHECK_EQ(env->regs[R_EDX], 0);
    uint64_t caps = 0;
    CHECK(x86_msr_read(env, MSR_IA32_ARCH_CAPABILITIES, &caps));
    CHECK((caps & (ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO)) == (ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO));
    CHECK(!x86_msr_write(env, MSR_IA32_ARCH_CAPABILITIES, caps));
    /* Enhanced IBRS (no retpolines in Linux), and BHI_DIS_S in leaf 7.2 and SPEC_CTRL. */
    CHECK(caps & ARCH_CAP_IBRS_ALL);
    env->regs[R_EAX] = 7;
    env->regs[R_ECX] = 0;
    helper_cpuid(env);
    CHECK(env->regs[R_EDX] & CPUID_7_0_EDX_SPEC_CTRL);
    CHECK_EQ(env->regs[R_EAX], 2);
    env->regs[R_EAX] = 7;
    env->regs[R_ECX] = 2;
    helper_cpuid(env);
    CHECK(env->regs[R_EDX] & CPUID_7_2_EDX_BHI_CTRL);
    uint64_t spec = 1;
    CHECK(x86_msr_read(env, MSR_IA32_SPEC_CTRL, &spec) && spec == 0);
    CHECK(x86_msr_write(env, MSR_IA32_SPEC_CTRL, SPEC_CTRL_IBRS | SPEC_CTRL_BHI_DIS_S));
    CHECK(x86_msr_read(env, MSR_IA32_SPEC_CTRL, &spec));
    CHECK_EQ(spec, SPEC_CTRL_IBRS | SPEC_CTRL_BHI_DIS_S);
    CHECK(!x86_msr_write(env, MSR_IA32_SPEC_CTRL, 1u << 2)); /* SSBD is not offered */
    CHECK(x86_msr_write(env, MSR_IA32_PRED_CMD, PRED_CMD_IBPB));
    CHECK(!x86_msr_write(env, MSR_IA32_PRED_CMD, 2));
    CHECK(!x86_msr_read(env, MSR_IA32_PRED_CMD, &spec)); /* write-only */
    env->cpu_model = x86_cpu_model_lookup("qemu32");
    x86_cpu_reset(env);
    CHECK(!(env->cpuid_features[2] & CPUID_EXT2_LM));
    CHECK(!x86_msr_write(env, MSR_EFER, EFER_LME));
    env->cpu_model = x86_cpu_model_lookup("486");
    x86_cpu_reset(env);
    CHECK_EQ(env->regs[R_EDX] >> 8 & 0xf, 4);
    env->regs[R_EAX] = 0x80000000u;
    helper_cpuid(env);
    CHECK_EQ(env->regs[R_EAX], 0);
    /* The 486 model has no leaf 7, so no such MSR either. */
    CHECK(!x86_msr_read(env, MSR_IA32_ARCH_CAPABILITIES, &caps));
    FILE *f = tmpfile();
    if (f) {
        x86_cpu_list(f);
        CHECK(ftell(f) > 0);
        fclose(f);
    }
    harness_free(h);
}

/* ---- end to end through the translator, exec loop and softmmu (test_rig) ---- */

static void test_e2e_real_int(void)
{
    X86TestRig *rig = x86_rig_new(1 << 20, NULL);
    CPUX86State *env = x86_rig_env(rig);
    uint8_t *mem = x86_rig_ram(rig);
    static const uint8_t main_code[] = {0xcd, 0x10, 0xf4};             /* int 0x10; hlt */
    static const uint8_t handler[] = {0xb8, 0x34, 0x12, 0xcf};         /* mov ax,0x1234; iret */
    x86_rig_enter_mode(rig, X86_RIG_REAL, 0);
    memcpy(mem + 0x1000, main_code, sizeof(main_code));
    memcpy(mem + 0x500, handler, sizeof(handler));
    stl_le_p(mem + 0x10 * 4, 0x00000500);
    x86_rig_code_changed(rig);
    env->rip = 0x1000;
    env->regs[R_ESP] = 0x8000;
    X86RigResult r = x86_rig_run(rig, 100, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(env->regs[R_EAX] & 0xffff, 0x1234);
    CHECK_EQ(env->rip, 0x1003);
    CHECK_EQ(env->regs[R_ESP], 0x8000);
    x86_rig_free(rig);
}

static void test_e2e_prot_int80(void)
{
    X86TestRig *rig = x86_rig_new(1 << 20, NULL);
    CPUX86State *env = x86_rig_env(rig);
    uint8_t *mem = x86_rig_ram(rig);
    static const uint8_t main_code[] = {0xb8, 5, 0, 0, 0, 0xcd, 0x80, 0xf4};
    static const uint8_t handler[] = {0x89, 0xc3, 0xf4}; /* mov ebx,eax; hlt */
    x86_rig_enter_mode(rig, X86_RIG_PROT32, 3);
    /* Our own GDT: ring 0 and ring 3 flat segments and a TSS. */
    stq_le_p(mem + 0x3008, make_desc(0, 0xfffff, A_CODE32));
    stq_le_p(mem + 0x3010, make_desc(0, 0xfffff, A_DATA32));
    stq_le_p(mem + 0x3018, make_desc(0, 0xfffff, A_CODE32 | A_DPL(3)));
    stq_le_p(mem + 0x3020, make_desc(0, 0xfffff, A_DATA32 | A_DPL(3)));
    uint64_t tss = make_desc(0x5000, 0x67, DESC_P_MASK | (11u << DESC_TYPE_SHIFT));
    stq_le_p(mem + 0x3028, tss);
    env->gdt = (DescriptorTable){0x3000, 0x2f};
    x86_seg_cache_set(&env->tr, 0x28, (uint32_t)tss, (uint32_t)(tss >> 32));
    env->segs[R_CS].selector = 0x1b;
    env->segs[R_SS].selector = 0x23;
    env->idt = (DescriptorTable){0x4000, 0x7ff};
    stq_le_p(mem + 0x4000 + 0x80 * 8, make_gate(0x08, 0x2000, DESC_SYS_INT32, 3, 0));
    stl_le_p(mem + 0x5004, 0x9000);
    stl_le_p(mem + 0x5008, 0x10);
    memcpy(mem + 0x1000, main_code, sizeof(main_code));
    memcpy(mem + 0x2000, handler, sizeof(handler));
    x86_rig_code_changed(rig);
    env->rip = 0x1000;
    env->regs[R_ESP] = 0x8000;
    X86RigResult r = x86_rig_run(rig, 100, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(env->regs[R_EBX], 5);
    CHECK_EQ(x86_cpl(env), 0);
    CHECK_EQ(env->regs[R_ESP], 0x9000 - 20);
    CHECK_EQ(ldl_le_p(mem + 0x9000 - 20), 0x1007);
    CHECK_EQ(ldl_le_p(mem + 0x9000 - 16), 0x1b);
    CHECK_EQ(ldl_le_p(mem + 0x9000 - 8), 0x8000);
    x86_rig_free(rig);
}

/* LAR/LSL/VERR/VERW/ARPL through the translator: only ZF changes; no write when ZF=0. */
static void test_e2e_desc_tests(void)
{
    X86TestRig *rig = x86_rig_new(1 << 20, NULL);
    CPUX86State *env = x86_rig_env(rig);
    uint8_t *mem = x86_rig_ram(rig);
    static const uint8_t code[] = {
        0xbb, 0xef, 0xbe, 0xad, 0xde,             /* mov ebx, 0xdeadbeef */
        0xb8, 0x1b, 0, 0, 0,                      /* mov eax, 0x1b */
        0x0f, 0x02, 0xd8,                         /* lar ebx, eax */
        0x0f, 0x94, 0x05, 0x00, 0x70, 0, 0,       /* setz [0x7000] */
        0xba, 0x78, 0x56, 0x34, 0x12,             /* mov edx, 0x12345678 */
        0x31, 0xc0,                               /* xor eax, eax */
        0x0f, 0x03, 0xd0,                         /* lsl edx, eax (null: ZF=0) */
        0x0f, 0x94, 0x05, 0x01, 0x70, 0, 0,       /* setz [0x7001] */
        0xf9,                                     /* stc */
        0xb8, 0x10, 0, 0, 0,                      /* mov eax, 0x10 */
        0x0f, 0x00, 0xe8,                         /* verw ax */
        0x0f, 0x94, 0x05, 0x02, 0x70, 0, 0,       /* setz [0x7002] */
        0x0f, 0x00, 0xe0,                         /* verr ax */
        0x0f, 0x94, 0x05, 0x03, 0x70, 0, 0,       /* setz [0x7003] */
        0x66, 0xb8, 0x08, 0x00,                   /* mov ax, 8 */
        0x66, 0xb9, 0x03, 0x00,                   /* mov cx, 3 */
        0x63, 0xc8,                               /* arpl ax, cx: RPL 0 -> 3 */
        0x0f, 0x94, 0x05, 0x04, 0x70, 0, 0,       /* setz [0x7004] */
        0x63, 0xc8,                               /* arpl ax, cx: already 3 */
        0x0f, 0x94, 0x05, 0x05, 0x70, 0, 0,       /* setz [0x7005] */
        0x0f, 0x92, 0x05, 0x06, 0x70, 0, 0,       /* setc [0x7006]: CF survived */
        0xf4,                                     /* hlt */
    };
    x86_rig_enter_mode(rig, X86_RIG_PROT32, 0);
    stq_le_p(mem + 0x3008, make_desc(0, 0xfffff, A_CODE32));
    stq_le_p(mem + 0x3010, make_desc(0, 0xfffff, A_DATA32));
    stq_le_p(mem + 0x3018, make_desc(0, 0xfffff, A_CODE32 | A_DPL(3)));
    env->gdt = (DescriptorTable){0x3000, 0x1f};
    memcpy(mem + 0x1000, code, sizeof(code));
    x86_rig_code_changed(rig);
    env->rip = 0x1000;
    X86RigResult r = x86_rig_run(rig, 100, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(env->regs[R_EBX], helper_lar(env, 0x1b) & 0xffffffffu);
    CHECK(env->regs[R_EBX] != 0xdeadbeef);
    CHECK_EQ(env->regs[R_EDX], 0x12345678);
    CHECK_EQ(env->regs[R_EAX] & 0xffff, 0x000b);
    CHECK_EQ(mem[0x7000], 1);
    CHECK_EQ(mem[0x7001], 0);
    CHECK_EQ(mem[0x7002], 1);
    CHECK_EQ(mem[0x7003], 1);
    CHECK_EQ(mem[0x7004], 1);
    CHECK_EQ(mem[0x7005], 0);
    CHECK_EQ(mem[0x7006], 1);
    x86_rig_free(rig);
}

static void test_e2e_long_page_fault(void)
{
    X86TestRig *rig = x86_rig_new(1 << 20, NULL);
    CPUX86State *env = x86_rig_env(rig);
    uint8_t *mem = x86_rig_ram(rig);
    /* mov rax, 0x200000000; mov rbx, [rax]; hlt  -- 8 GiB is not mapped by the rig. */
    static const uint8_t main_code[] = {0x48, 0xb8, 0, 0, 0, 0, 2, 0, 0, 0,
                                        0x48, 0x8b, 0x18, 0xf4};
    static const uint8_t handler[] = {0x0f, 0x20, 0xd1, 0xf4}; /* mov rcx, cr2; hlt */
    x86_rig_enter_mode(rig, X86_RIG_LONG64, 0);
    env->idt = (DescriptorTable){0x4000, 0xfff};
    stq_le_p(mem + 0x4000 + 14 * 16, make_gate(0x18, 0x2000, DESC_SYS_INT32, 0, 0));
    stq_le_p(mem + 0x4000 + 14 * 16 + 8, 0);
    memcpy(mem + 0x1000, main_code, sizeof(main_code));
    memcpy(mem + 0x2000, handler, sizeof(handler));
    x86_rig_code_changed(rig);
    env->rip = 0x1000;
    env->regs[R_ESP] = 0x8000;
    X86RigResult r = x86_rig_run(rig, 100, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(env->regs[R_ECX], 0x200000000ull);
    CHECK_EQ(env->regs[R_ESP], 0x8000 - 48);
    CHECK_EQ(ldq_le_p(mem + 0x8000 - 48), 0);      /* error code: read, supervisor, P = 0 */
    CHECK_EQ(ldq_le_p(mem + 0x8000 - 40), 0x100a); /* the faulting instruction */
    CHECK_EQ(ldq_le_p(mem + 0x8000 - 32), 0x18);
    x86_rig_free(rig);
}

/*
 * Flat segments (HF_FLAT): the translator leaves their limit check to the softmmu slow path,
 * which must still fault an access that wraps past 4 GiB: #GP(0) through DS, #SS(0) through
 * SS (EBP-based), for loads, stores and read-modify-write, and never for one that ends at
 * 0xffffffff.  Each case runs from a fresh state; ESI holds the case's index.
 */
static void test_e2e_flat_wrap(void)
{
    static const struct {
        uint8_t code[16];
        unsigned len;
        int vector;     /* -1: no fault */
        unsigned fault_off; /* offset of the faulting instruction in code */
    } cases[] = {
        /* mov eax, 0xfffffffe; mov ebx, [eax] */
        {{0xb8, 0xfe, 0xff, 0xff, 0xff, 0x8b, 0x18, 0xf4}, 8, EXCP_GP, 5},
        /* mov eax, 0xfffffffc; mov ebx, [eax]: the last byte is 0xffffffff */
        {{0xb8, 0xfc, 0xff, 0xff, 0xff, 0x8b, 0x18, 0xf4}, 8, -1, 0},
        /* mov eax, 0xffffffff; mov [eax], bx */
        {{0xb8, 0xff, 0xff, 0xff, 0xff, 0x66, 0x89, 0x18, 0xf4}, 9, EXCP_GP, 5},
        /* mov eax, 0xfffffffd; add [eax], ebx */
        {{0xb8, 0xfd, 0xff, 0xff, 0xff, 0x01, 0x18, 0xf4}, 8, EXCP_GP, 5},
        /* mov ebp, 0xfffffffe; mov eax, [ebp+0] (SS) */
        {{0xbd, 0xfe, 0xff, 0xff, 0xff, 0x8b, 0x45, 0x00, 0xf4}, 9, EXCP_SS, 5},
        /* mov ebp, 0xfffffff9; mov [ebp+4], ax (SS): 0xfffffffd..0xfffffffe, no wrap */
        {{0xbd, 0xf9, 0xff, 0xff, 0xff, 0x66, 0x89, 0x45, 0x04, 0xf4}, 10, -1, 0},
    };
    /* Handlers: mov edi, vector; hlt. */
    static const uint8_t gp_handler[] = {0xbf, EXCP_GP, 0, 0, 0, 0xf4};
    static const uint8_t ss_handler[] = {0xbf, EXCP_SS, 0, 0, 0, 0xf4};

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        X86TestRig *rig = x86_rig_new(1 << 20, NULL);
        CPUX86State *env = x86_rig_env(rig);
        uint8_t *mem = x86_rig_ram(rig);
        uint32_t cs;

        x86_rig_enter_mode(rig, X86_RIG_PROT32, 0);
        CHECK(env->hflags & HF_FLAT(R_DS));
        CHECK(env->hflags & HF_FLAT(R_SS));
        cs = env->segs[R_CS].selector;
        env->idt = (DescriptorTable){0x4000, 0x7ff};
        stq_le_p(mem + 0x4000 + EXCP_GP * 8, make_gate(cs, 0x2000, DESC_SYS_INT32, 0, 0));
        stq_le_p(mem + 0x4000 + EXCP_SS * 8, make_gate(cs, 0x2100, DESC_SYS_INT32, 0, 0));
        memcpy(mem + 0x2000, gp_handler, sizeof(gp_handler));
        memcpy(mem + 0x2100, ss_handler, sizeof(ss_handler));
        memcpy(mem + 0x1000, cases[i].code, cases[i].len);
        x86_rig_code_changed(rig);
        env->rip = 0x1000;
        env->regs[R_ESP] = 0x8000;
        env->regs[R_EDI] = 0x55;
        env->regs[R_ESI] = i;
        X86RigResult r = x86_rig_run(rig, 100, false);
        CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
        if (cases[i].vector < 0) {
            CHECK_EQ(env->regs[R_EDI], 0x55);
            CHECK_EQ(env->rip, 0x1000 + cases[i].len);
        } else {
            CHECK_EQ(env->regs[R_EDI], (uint64_t)cases[i].vector);
            CHECK_EQ(env->regs[R_ESP], 0x8000 - 16);
            CHECK_EQ(ldl_le_p(mem + 0x8000 - 16), 0);  /* error code */
            CHECK_EQ(ldl_le_p(mem + 0x8000 - 12), 0x1000 + cases[i].fault_off);
        }
        x86_rig_free(rig);
    }
}

int main(void)
{
    test_run("x86-seg/reset-state", test_reset_state);
    test_run("x86-seg/load-seg", test_load_seg);
    test_run("x86-seg/lar-lsl-verr", test_lar_lsl_verr);
    test_run("x86-seg/far-jmp-real-16bit", test_far_jmp_real_and_16bit);
    test_run("x86-seg/call-gate", test_call_gate);
    test_run("x86-excp/real-mode", test_real_mode_interrupt);
    test_run("x86-excp/prot-stack-switch", test_prot_interrupt_stack_switch);
    test_run("x86-excp/prot-error-code", test_prot_exception_error_code);
    test_run("x86-excp/double-triple-fault", test_double_and_triple_fault);
    test_run("x86-excp/long-mode-ist", test_long_mode_ist);
    test_run("x86-excp/v86", test_v86_interrupt);
    test_run("x86-task/task-gate-iret", test_task_gate_and_iret);
    test_run("x86-misc/io-permission-cli", test_io_permission_and_cli);
    test_run("x86-misc/fast-syscalls", test_fast_syscalls);
    test_run("x86-misc/msrs", test_msrs);
    test_run("x86-misc/cpuid", test_cpuid);
    test_run("x86-e2e/real-int", test_e2e_real_int);
    test_run("x86-e2e/prot-int80-stack-switch", test_e2e_prot_int80);
    test_run("x86-e2e/desc-tests", test_e2e_desc_tests);
    test_run("x86-e2e/long-page-fault", test_e2e_long_page_fault);
    test_run("x86-e2e/flat-segment-wrap", test_e2e_flat_wrap);
    return test_summary();
}
