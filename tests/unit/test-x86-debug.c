/*
 * Debug and fault-reporting features of the x86 CPU through the test rig:
 * single-step traps (EFLAGS.TF, SDM vol. 3A 17.3.1.4), instruction
 * breakpoints (DR0-DR3/DR7, RF; 17.3.1.1), alignment checks (#AC, 6.15
 * interrupt 17) and deferred x87 exceptions (#MF at the next waiting
 * instruction, vol. 1 8.6).
 */
#include "cpu/x86/test_rig.h"

#include <string.h>

#include "cpu/x86/cpu.h"
#include "tests/unit/test.h"

#define CODE 0x1000u
#define DATA 0x3000u
#define DR6_BS 0x4000u

static X86TestRig *rig;

/* Fresh rig in mode at cpl, code at CODE, (R)SP at 0x8000; nothing run yet. */
static CPUX86State *setup(X86RigMode mode, int cpl, const uint8_t *code, size_t len)
{
    CPUX86State *env;

    x86_rig_free(rig);
    rig = x86_rig_new(2u << 20, NULL);
    x86_rig_enter_mode(rig, mode, cpl);
    env = x86_rig_env(rig);
    memcpy(x86_rig_ram(rig) + CODE, code, len);
    env->rip = CODE;
    env->regs[R_ESP] = 0x8000;
    return env;
}

static X86RigResult go(uint64_t max, bool stop_exc)
{
    x86_rig_code_changed(rig);
    return x86_rig_run(rig, max, stop_exc);
}

static void put(uint32_t addr, const uint8_t *bytes, size_t len)
{
    memcpy(x86_rig_ram(rig) + addr, bytes, len);
}

static void put16(uint32_t addr, uint16_t v)
{
    x86_rig_ram(rig)[addr] = (uint8_t)v;
    x86_rig_ram(rig)[addr + 1] = (uint8_t)(v >> 8);
}

static uint16_t get16(uint32_t addr)
{
    return (uint16_t)(x86_rig_ram(rig)[addr] | (x86_rig_ram(rig)[addr + 1] << 8));
}

/* Real mode: IVT entry vector -> 0000:handler. */
static void ivt_set(int vector, uint16_t handler)
{
    put16((uint32_t)vector * 4, handler);
    put16((uint32_t)vector * 4 + 2, 0);
}

/* Protected mode: a 32-bit interrupt gate to selector 0x08 (the rig's code32). */
#define IDT 0x5000u
static void idt_set(CPUX86State *env, int vector, uint32_t handler)
{
    uint8_t *g = x86_rig_ram(rig) + IDT + (uint32_t)vector * 8;

    g[0] = (uint8_t)handler;
    g[1] = (uint8_t)(handler >> 8);
    g[2] = 0x08;
    g[3] = 0;
    g[4] = 0;
    g[5] = 0x8e; /* P, DPL 0, 32-bit interrupt gate */
    g[6] = (uint8_t)(handler >> 16);
    g[7] = (uint8_t)(handler >> 24);
    env->idt.base = IDT;
    env->idt.limit = 0x7ff;
}

/* pushfd; or dword [esp], 0x100; popfd: sets TF (no trap after the POPF itself). */
#define SET_TF32 0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d

static void test_step_after_popf(void)
{
    /* SET_TF; nop; nop; hlt */
    static const uint8_t c[] = {SET_TF32, 0x90, 0x90, 0xf4};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r;

    env->dr[6] = 0xffff0ff0u;
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 1);
    /* A trap: reported after the first NOP completed, not after the POPF. */
    CHECK_EQ(r.insns, 4);
    CHECK_EQ(env->rip, CODE + 10);
    CHECK(env->dr[6] & DR6_BS);
    CHECK(env->eflags & X86_EFL_TF);
}

static void test_step_jump_target(void)
{
    /* SET_TF; jmp +2; (2 bytes skipped); nop; hlt: the trap names the jump target. */
    static const uint8_t c[] = {SET_TF32, 0xeb, 0x02, 0xf4, 0xf4, 0x90, 0xf4};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r = go(100, true);

    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 1);
    CHECK_EQ(env->rip, CODE + 13);
}

static void test_step_mov_ss_shadow(void)
{
    /* SET_TF; mov ss, ax; nop; nop: the trap comes after the NOP that follows MOV SS. */
    static const uint8_t c[] = {SET_TF32, 0x8e, 0xd0, 0x90, 0x90, 0xf4};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r;

    env->regs[R_EAX] = 0x10;
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 1);
    CHECK_EQ(r.insns, 5);
    CHECK_EQ(env->rip, CODE + 12);
}

static void test_step_pop_ss_shadow(void)
{
    /* push ss; SET_TF; pop ss; nop; nop */
    static const uint8_t c[] = {0x16, SET_TF32, 0x17, 0x90, 0x90, 0xf4};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r = go(100, true);

    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 1);
    CHECK_EQ(env->rip, CODE + 1 + 9 + 1 + 1);
}

/*
 * Real mode with delivery: a #DB handler counts the traps in BX; INT 0x40 enters its
 * handler with TF clear (the pushed image keeps TF) and is not followed by a trap.
 */
static void test_step_real_delivery(void)
{
    static const uint8_t c[] = {
        0x9c, 0x58, 0x0d, 0x00, 0x01, 0x50, 0x9d, /* pushf; pop ax; or ax,0x100; push ax; popf */
        0xcd, 0x40,                               /* int 0x40 (no trap after it) */
        0x90,                                     /* nop: trap 1 */
        0x9c, 0x58, 0x25, 0xff, 0xfe, 0x50, 0x9d, /* clear TF: traps 2-6 (POPF traps too) */
        0xf4,
    };
    /* #DB: inc bx; iret.  INT 0x40: pushf; pop dx; mov bp,sp; mov di,[bp+4]; iret */
    static const uint8_t db[] = {0x43, 0xcf};
    static const uint8_t i40[] = {0x9c, 0x5a, 0x89, 0xe5, 0x8b, 0x7e, 0x04, 0xcf};
    CPUX86State *env = setup(X86_RIG_REAL, 0, c, sizeof(c));
    X86RigResult r;

    put(0x500, db, sizeof(db));
    put(0x600, i40, sizeof(i40));
    ivt_set(1, 0x500);
    ivt_set(0x40, 0x600);
    env->regs[R_EBX] = 0;
    r = go(200, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(env->regs[R_EBX] & 0xffff, 6);
    CHECK_EQ(env->regs[R_EDX] & X86_EFL_TF, 0); /* INT handler ran with TF clear */
    CHECK(env->regs[R_EDI] & X86_EFL_TF);       /* ... and its frame kept TF */
    CHECK_EQ(env->eflags & X86_EFL_TF, 0);
    CHECK(env->dr[6] & DR6_BS);
}

static void test_step_fault_no_trap(void)
{
    /* SET_TF; ud2: the #UD is reported, and no single-step trap with it. */
    static const uint8_t c[] = {SET_TF32, 0x0f, 0x0b, 0xf4};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r = go(100, true);

    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 6);
    CHECK_EQ(env->rip, CODE + 9);
    CHECK_EQ(env->dr[6] & DR6_BS, 0);
}

static void test_bpt_fault(void)
{
    static const uint8_t c[] = {0x90, 0x90, 0x90, 0xf4};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r;

    env->dr[0] = CODE + 1;
    env->dr[7] = 0x401; /* L0, R/W0 = 00 (execute), LEN0 = 00 */
    x86_update_hflags(env);
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 1);
    CHECK_EQ(r.insns, 1);
    CHECK_EQ(env->rip, CODE + 1); /* a fault: before the instruction */
    CHECK_EQ(env->dr[6] & 0xf, 1);
    /* RF lets the instruction run once; it is clear again afterwards. */
    env->eflags |= X86_EFL_RF;
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(r.insns, 3);
    CHECK_EQ(env->eflags & X86_EFL_RF, 0);
    /* DR3 on the HLT with the global enable; DR0 disabled by clearing L0. */
    env->rip = CODE;
    env->dr[3] = CODE + 3;
    env->dr[7] = 0x480;
    x86_update_hflags(env);
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 1);
    CHECK_EQ(env->rip, CODE + 3);
    CHECK_EQ(env->dr[6] & 0xf, 8);
}

static void test_bpt_data_ignored(void)
{
    /* A write breakpoint (R/W = 01) on the code does not fire as an instruction breakpoint. */
    static const uint8_t c[] = {0x90, 0x90, 0xf4};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r;

    env->dr[0] = CODE + 1;
    env->dr[7] = 0x10401;
    x86_update_hflags(env);
    CHECK_EQ(env->hflags & HF_IBPT, 0);
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
}

/*
 * Delivery through the IDT: the #DB handler sets RF in the saved EFLAGS, so IRETD
 * returns to the breakpointed instruction without re-triggering it.
 */
static void test_bpt_rf_iret(void)
{
    static const uint8_t c[] = {0x90, 0x90, 0x90, 0xf4};
    /* inc ebx; or dword [esp+8], 0x10000; iretd */
    static const uint8_t h[] = {0x43, 0x81, 0x4c, 0x24, 0x08, 0x00, 0x00, 0x01, 0x00, 0xcf};
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r;

    put(0x2000, h, sizeof(h));
    idt_set(env, 1, 0x2000);
    env->regs[R_EBX] = 0;
    env->dr[0] = CODE + 2;
    env->dr[7] = 0x401;
    x86_update_hflags(env);
    r = go(100, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(env->regs[R_EBX], 1);
    CHECK_EQ(env->rip, CODE + 4);
    CHECK_EQ(env->eflags & X86_EFL_RF, 0);
}

/* CPL 3 with CR0.AM and EFLAGS.AC as asked; runs c until an exception. */
static X86RigResult run_ac(const uint8_t *c, size_t len, bool am, bool ac, int cpl)
{
    CPUX86State *env = setup(X86_RIG_PROT32, cpl, c, len);

    if (am) {
        env->cr[0] |= CR0_AM;
    }
    if (ac) {
        env->eflags |= X86_EFL_AC;
    }
    x86_update_hflags(env);
    env->hflags = (env->hflags & ~HF_CPL_MASK) | (uint32_t)cpl;
    return go(100, true);
}

static void test_ac(void)
{
    /* mov eax, [DATA+1]; hlt (HLT at CPL 3 is #GP: the end marker) */
    static const uint8_t ld32[] = {0xa1, 0x01, 0x30, 0x00, 0x00, 0xf4};
    static const uint8_t ld32_ok[] = {0xa1, 0x04, 0x30, 0x00, 0x00, 0xf4};
    /* mov ax, [DATA+3]; mov [DATA+1], ax */
    static const uint8_t ld16[] = {0x66, 0xa1, 0x03, 0x30, 0x00, 0x00, 0xf4};
    static const uint8_t st16[] = {0x66, 0xa3, 0x01, 0x30, 0x00, 0x00, 0xf4};
    static const uint8_t ld8[] = {0xa0, 0x03, 0x30, 0x00, 0x00, 0xf4};
    /* dec esp; push eax: a misaligned stack push */
    static const uint8_t push[] = {0x4c, 0x50, 0xf4};
    X86RigResult r;

    r = run_ac(ld32, sizeof(ld32), true, true, 3);
    CHECK_EQ(r.vector, 17);
    CHECK_EQ(r.error_code, 0);
    CHECK_EQ(r.insns, 0);
    CHECK_EQ(x86_rig_env(rig)->rip, CODE);
    r = run_ac(ld16, sizeof(ld16), true, true, 3);
    CHECK_EQ(r.vector, 17);
    r = run_ac(st16, sizeof(st16), true, true, 3);
    CHECK_EQ(r.vector, 17);
    r = run_ac(push, sizeof(push), true, true, 3);
    CHECK_EQ(r.vector, 17);
    CHECK_EQ(r.insns, 1);
    /* No #AC: aligned, byte-sized, AC clear, AM clear, CPL 0 (HLT then halts). */
    r = run_ac(ld32_ok, sizeof(ld32_ok), true, true, 3);
    CHECK_EQ(r.vector, 13);
    CHECK_EQ(r.insns, 1);
    r = run_ac(ld8, sizeof(ld8), true, true, 3);
    CHECK_EQ(r.vector, 13);
    r = run_ac(ld32, sizeof(ld32), true, false, 3);
    CHECK_EQ(r.vector, 13);
    r = run_ac(ld32, sizeof(ld32), false, true, 3);
    CHECK_EQ(r.vector, 13);
    r = run_ac(ld32, sizeof(ld32), true, true, 0);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
}

static void test_mf(void)
{
    /* fninit; fldcw [DATA]; fldz; fld1; fdivrp (1/0); fnstsw ax; fwait; hlt */
    static const uint8_t c[] = {
        0xdb, 0xe3, 0xd9, 0x2d, 0x00, 0x30, 0x00, 0x00, 0xd9, 0xee, 0xd9, 0xe8,
        0xde, 0xf1, 0xdf, 0xe0, 0x9b, 0xf4,
    };
    CPUX86State *env = setup(X86_RIG_PROT32, 0, c, sizeof(c));
    X86RigResult r;

    put16(DATA, 0x37b); /* ZM clear */
    env->cr[0] |= CR0_NE;
    x86_update_hflags(env);
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, 16);
    /* Not at the FDIVRP nor the non-waiting FNSTSW: at the FWAIT. */
    CHECK_EQ(env->rip, CODE + 16);
    CHECK_EQ(env->regs[R_EAX] & 0x84, 0x84); /* ES and ZE */
    /* Masked (default FCW after FNINIT): no #MF at all. */
    put16(DATA, 0x37f);
    env->rip = CODE;
    r = go(100, true);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(get16(DATA), 0x37f);
}

int main(void)
{
    test_run("single-step: trap after the insn following POPF", test_step_after_popf);
    test_run("single-step: trap at a jump target", test_step_jump_target);
    test_run("single-step: MOV SS delays the trap", test_step_mov_ss_shadow);
    test_run("single-step: POP SS delays the trap", test_step_pop_ss_shadow);
    test_run("single-step: real-mode delivery, INT n", test_step_real_delivery);
    test_run("single-step: no trap with a fault", test_step_fault_no_trap);
    test_run("breakpoint: execute fault, DR6.Bn, RF", test_bpt_fault);
    test_run("breakpoint: data breakpoint is not an insn breakpoint", test_bpt_data_ignored);
    test_run("breakpoint: RF set by the handler before IRET", test_bpt_rf_iret);
    test_run("#AC: misaligned access at CPL 3 with AM and AC", test_ac);
    test_run("#MF: at the next waiting x87 insn", test_mf);
    x86_rig_free(rig);
    return test_summary();
}
