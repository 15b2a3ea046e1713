/*
 * Exceptions and interrupt delivery: raising (unwind to the exec loop),
 * double-fault escalation, and delivery through the real-mode IVT, the
 * protected-mode IDT (interrupt/trap/task gates, stack switch through the
 * TSS, virtual-8086 frames) and the long-mode IDT (16-byte gates, IST).
 *
 * Reference: Intel SDM vol. 3A chapter 6 (Interrupt and Exception
 * Handling), 20.3 (real-mode interrupts), 20.3-20.4 (virtual-8086 mode).
 */
#include "cpu/x86/cpu.h"
#include "core/log.h"
#include "core/machine.h"
#include "cpu/x86/helper.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/seg.h"

#include <inttypes.h>

static NORETURN void x86_unwind(CPUX86State *env)
{
    if (!env->jmp_env) {
        /* A programming error in the embedding, never guest-triggered. */
        fprintf(stderr, "osprey: x86 exception %d raised with no exec loop\n",
                env->exception_index);
        abort();
    }
    siglongjmp(*env->jmp_env, 1);
}

void x86_raise_exception_err(CPUX86State *env, int vector, int error_code)
{
    env->exception_index = vector;
    env->error_code = error_code;
    env->exception_is_int = false;
    env->exception_next_eip = env->rip;
    x86_unwind(env);
}

void x86_raise_exception(CPUX86State *env, int vector)
{
    x86_raise_exception_err(env, vector, 0);
}

/*
 * The translator syncs env->rip to the start of the INT instruction before
 * calling this (the same value the exec loop restores from insn_start).
 */
void x86_raise_interrupt(CPUX86State *env, int vector, int next_eip_addend)
{
    env->exception_index = vector;
    env->error_code = 0;
    env->exception_is_int = true;
    env->exception_next_eip = env->rip + next_eip_addend;
    x86_unwind(env);
}

void x86_raise_page_fault(CPUX86State *env, uint64_t vaddr, uint32_t error_code)
{
    if ((env->efer & EFER_LMA) && (env->cr[0] & CR0_PG) && !x86_is_canonical(vaddr)) {
        /*
         * The walker refuses non-canonical addresses; architecturally they
         * fault #GP(0) (#SS(0) for stack references, which we do not tell apart).
         */
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    env->cr[2] = vaddr;
    log_mask(LOG_MMU, "#PF at %#" PRIx64 " error %#x rip %#" PRIx64 "\n", vaddr, error_code,
             env->rip);
    x86_raise_exception_err(env, EXCP_PF, (int)error_code);
}

/* ---- double-fault classes (SDM table 6-4 / 6-5) ---- */

enum { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT, EXC_DOUBLE_FAULT };

static int exception_class(int vector)
{
    switch (vector) {
    case EXCP_DE: case EXCP_TS: case EXCP_NP: case EXCP_SS: case EXCP_GP:
        return EXC_CONTRIBUTORY;
    case EXCP_PF:
        return EXC_PAGE_FAULT;
    case EXCP_DF:
        return EXC_DOUBLE_FAULT;
    default:
        return EXC_BENIGN;
    }
}

static bool exception_has_error_code(int vector)
{
    switch (vector) {
    case EXCP_DF: case EXCP_TS: case EXCP_NP: case EXCP_SS: case EXCP_GP: case EXCP_PF:
    case EXCP_AC:
        return true;
    default:
        return false;
    }
}

void x86_triple_fault(CPUX86State *env)
{
    log_mask(LOG_INT | LOG_GUEST_ERROR, "triple fault: CPU %d shut down, rip %#" PRIx64 "\n",
             env->cpu_index, env->rip);
    if (env->machine) {
        machine_request_reset(env->machine, SHUTDOWN_CAUSE_GUEST_RESET);
    }
    env->halted = true;
    env->old_exception = -1;
    env->exception_index = X86_EXCP_SHUTDOWN;
    env->interrupt_request &= ~(CPU_INTERRUPT_HARD | CPU_INTERRUPT_NMI);
    x86_unwind(env);
}

/* ---- the three delivery paths ---- */

static uint32_t idt_error(int vector)
{
    return (uint32_t)vector * 8 + 2;
}

static void do_interrupt_real(CPUX86State *env, int vector, bool is_int, uint64_t next_eip)
{
    if ((uint32_t)vector * 4 + 3 > env->idt.limit) {
        x86_raise_exception_err(env, EXCP_GP, idt_error(vector));
    }
    uint64_t entry = env->idt.base + (uint32_t)vector * 4;
    uint32_t ivt = (uint32_t)cpu_ld_kernel(env, entry, 4);
    X86Stack st = {env->segs[R_SS].base, env->regs[R_ESP], 0xffff, MMU_KERNEL_IDX};
    uint64_t ret = is_int ? next_eip : env->rip;
    x86_push(env, &st, 2, x86_get_eflags(env));
    x86_push(env, &st, 2, env->segs[R_CS].selector);
    x86_push(env, &st, 2, ret);
    x86_set_rsp(env, 0xffff, st.sp);
    env->rip = ivt & 0xffff;
    x86_load_seg_real(env, R_CS, ivt >> 16);
    env->eflags &= ~(uint64_t)(X86_EFL_IF | X86_EFL_TF | X86_EFL_AC | X86_EFL_RF);
}

/* Read the 8 bytes of gate 'vector' of a 32-bit IDT (or 16 of a 64-bit one). */
static void read_gate(CPUX86State *env, int vector, unsigned size, uint32_t *w)
{
    if ((uint64_t)vector * size + size - 1 > env->idt.limit) {
        x86_raise_exception_err(env, EXCP_GP, idt_error(vector));
    }
    uint64_t addr = env->idt.base + (uint64_t)vector * size;
    for (unsigned i = 0; i < size / 4; i++) {
        w[i] = (uint32_t)cpu_ld_kernel(env, addr + 4 * i, 4);
    }
}

/* Target code segment of an interrupt gate: checks of SDM 6.12.1. */
static void load_gate_target(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2)
{
    if ((selector & 0xfffc) == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (!x86_read_desc(env, selector, e1, e2, NULL)) {
        x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
    }
    if (!(*e2 & DESC_S_MASK) || !(*e2 & DESC_CS_MASK)) {
        x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
    }
    if (x86_desc_dpl(*e2) > x86_cpl(env)) {
        x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, selector & 0xfffc);
    }
}

static void do_interrupt_prot(CPUX86State *env, int vector, bool is_int, int error_code,
                              uint64_t next_eip, bool push_err)
{
    uint32_t g[2];
    read_gate(env, vector, 8, g);
    int type = (g[1] >> DESC_TYPE_SHIFT) & 0x1f; /* S bit included: must be 0 */
    int gate_dpl = x86_desc_dpl(g[1]);
    int cpl = x86_cpl(env);
    uint64_t ret = is_int ? next_eip : env->rip;

    switch (type) {
    case DESC_SYS_TASK: case DESC_SYS_INT16: case DESC_SYS_TRAP16:
    case DESC_SYS_INT32: case DESC_SYS_TRAP32:
        break;
    default:
        x86_raise_exception_err(env, EXCP_GP, idt_error(vector));
    }
    if (is_int && gate_dpl < cpl) {
        x86_raise_exception_err(env, EXCP_GP, idt_error(vector));
    }
    if (!(g[1] & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, idt_error(vector));
    }

    if (type == DESC_SYS_TASK) {
        uint32_t tss_sel = g[0] >> 16, e1, e2;
        if (!x86_read_desc(env, tss_sel, &e1, &e2, NULL) || (tss_sel & 4)) {
            x86_raise_exception_err(env, EXCP_TS, tss_sel & 0xfffc);
        }
        x86_task_switch(env, tss_sel, e1, e2, X86_TS_INT, ret);
        if (push_err) {
            uint32_t ss_flags = env->segs[R_SS].flags;
            X86Stack st = {env->segs[R_SS].base, env->regs[R_ESP], x86_stack_mask(ss_flags),
                           x86_mmu_index(env)};
            x86_push(env, &st, (env->tr.flags & (8u << DESC_TYPE_SHIFT)) ? 4 : 2,
                     (uint32_t)error_code);
            x86_set_rsp(env, st.mask, st.sp);
        }
        return;
    }

    uint32_t selector = g[0] >> 16;
    uint32_t offset = (g[1] & 0xffff0000u) | (g[0] & 0xffff);
    uint32_t e1, e2;
    load_gate_target(env, selector, &e1, &e2);
    int dpl = x86_desc_dpl(e2);
    bool vm = env->eflags & X86_EFL_VM;
    unsigned size = (type & 8) ? 4 : 2;
    X86Stack st;
    uint32_t new_ss = 0, ss_e1 = 0, ss_e2 = 0;
    bool new_stack;

    if (!(e2 & DESC_C_MASK) && dpl < cpl) {
        uint32_t esp;
        if (vm && dpl != 0) {
            x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
        }
        x86_tss_get_stack(env, dpl, &new_ss, &esp);
        x86_check_new_ss(env, new_ss, dpl, EXCP_TS, &ss_e1, &ss_e2);
        new_stack = true;
        st = (X86Stack){x86_desc_base(ss_e1, ss_e2), esp, x86_stack_mask(ss_e2),
                        MMU_KERNEL_IDX};
    } else if ((e2 & DESC_C_MASK) || dpl == cpl) {
        if (vm) {
            x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
        }
        new_stack = false;
        dpl = cpl;
        st = (X86Stack){env->segs[R_SS].base, env->regs[R_ESP],
                        x86_stack_mask(env->segs[R_SS].flags), x86_mmu_index(env)};
    } else {
        x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
    }
    /* A 16-bit gate truncates the handler offset to 16 bits. */
    if (size == 2) {
        offset &= 0xffff;
    }
    if (offset > x86_desc_limit(e1, e2)) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }

    /* All pushes first: a fault here leaves the old state intact. */
    if (new_stack) {
        if (vm) {
            x86_push(env, &st, size, env->segs[R_GS].selector);
            x86_push(env, &st, size, env->segs[R_FS].selector);
            x86_push(env, &st, size, env->segs[R_DS].selector);
            x86_push(env, &st, size, env->segs[R_ES].selector);
        }
        x86_push(env, &st, size, env->segs[R_SS].selector);
        x86_push(env, &st, size, env->regs[R_ESP]);
    }
    x86_push(env, &st, size, x86_get_eflags(env));
    x86_push(env, &st, size, env->segs[R_CS].selector);
    x86_push(env, &st, size, ret);
    if (push_err) {
        x86_push(env, &st, size, (uint32_t)error_code);
    }

    if (new_stack) {
        if (vm) {
            static const int data_segs[] = {R_ES, R_DS, R_FS, R_GS};
            for (int i = 0; i < 4; i++) {
                env->segs[data_segs[i]] = (SegmentCache){0};
            }
        }
        new_ss = (new_ss & ~3u) | (uint32_t)dpl;
        x86_load_seg_cache(env, R_SS, new_ss, ss_e1, ss_e2);
        x86_set_desc_accessed(env, new_ss, ss_e2);
    }
    x86_set_rsp(env, st.mask, st.sp);
    x86_set_desc_accessed(env, selector, e2);
    x86_load_seg_cache(env, R_CS, (selector & ~3u) | (uint32_t)dpl, e1, e2);
    env->rip = offset;
    env->hflags = (env->hflags & ~HF_CPL_MASK) | (uint32_t)dpl;
    if (!(type & 1)) {
        env->eflags &= ~(uint64_t)X86_EFL_IF;
    }
    env->eflags &= ~(uint64_t)(X86_EFL_TF | X86_EFL_VM | X86_EFL_RF | X86_EFL_NT);
    x86_update_hflags(env);
}

static uint64_t tss64_ld(CPUX86State *env, uint32_t offset)
{
    if (offset + 7 > env->tr.limit) {
        x86_raise_exception_err(env, EXCP_TS, env->tr.selector & 0xfffc);
    }
    return cpu_ld_kernel(env, env->tr.base + offset, 8);
}

static void do_interrupt64(CPUX86State *env, int vector, bool is_int, int error_code,
                           uint64_t next_eip, bool push_err)
{
    uint32_t g[4];
    read_gate(env, vector, 16, g);
    int type = (g[1] >> DESC_TYPE_SHIFT) & 0x1f;
    int gate_dpl = x86_desc_dpl(g[1]);
    int cpl = x86_cpl(env);
    uint64_t ret = is_int ? next_eip : env->rip;

    if (type != DESC_SYS_INT32 && type != DESC_SYS_TRAP32) {
        x86_raise_exception_err(env, EXCP_GP, idt_error(vector));
    }
    if (is_int && gate_dpl < cpl) {
        x86_raise_exception_err(env, EXCP_GP, idt_error(vector));
    }
    if (!(g[1] & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, idt_error(vector));
    }
    uint32_t selector = g[0] >> 16;
    uint64_t offset = ((uint64_t)g[2] << 32) | (g[1] & 0xffff0000u) | (g[0] & 0xffff);
    int ist = g[1] & 7;
    uint32_t e1, e2;
    load_gate_target(env, selector, &e1, &e2);
    if (!(e2 & DESC_L_MASK) || (e2 & DESC_B_MASK)) {
        x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
    }
    int dpl = x86_desc_dpl(e2);
    uint64_t rsp;
    bool priv_change = !(e2 & DESC_C_MASK) && dpl < cpl;
    if (!priv_change) {
        dpl = cpl;
    }
    if (ist) {
        rsp = tss64_ld(env, 0x24 + 8 * (ist - 1));
    } else if (priv_change) {
        rsp = tss64_ld(env, 4 + 8 * dpl);
    } else {
        rsp = env->regs[R_ESP];
    }
    if (!x86_is_canonical(rsp)) {
        x86_raise_exception_err(env, EXCP_SS, 0);
    }
    /* The 64-bit frame is always aligned to 16 bytes (SDM 6.14.2). */
    X86Stack st = {0, rsp & ~(uint64_t)15, ~(uint64_t)0, MMU_KERNEL_IDX};
    x86_push(env, &st, 8, env->segs[R_SS].selector);
    x86_push(env, &st, 8, env->regs[R_ESP]);
    x86_push(env, &st, 8, x86_get_eflags(env));
    x86_push(env, &st, 8, env->segs[R_CS].selector);
    x86_push(env, &st, 8, ret);
    if (push_err) {
        x86_push(env, &st, 8, (uint32_t)error_code);
    }
    if (priv_change) {
        /* SS becomes a null selector with RPL = new CPL. */
        env->segs[R_SS] = (SegmentCache){.selector = (uint16_t)dpl,
                                         .flags = (uint32_t)dpl << DESC_DPL_SHIFT};
    }
    env->regs[R_ESP] = st.sp;
    x86_set_desc_accessed(env, selector, e2);
    x86_load_seg_cache(env, R_CS, (selector & ~3u) | (uint32_t)dpl, e1, e2);
    env->rip = offset;
    env->hflags = (env->hflags & ~HF_CPL_MASK) | (uint32_t)dpl;
    if (!(type & 1)) {
        env->eflags &= ~(uint64_t)X86_EFL_IF;
    }
    env->eflags &= ~(uint64_t)(X86_EFL_TF | X86_EFL_VM | X86_EFL_RF | X86_EFL_NT);
    x86_update_hflags(env);
}

/*
 * INT n in virtual-8086 mode with CR4.VME: the redirection bitmap in the
 * TSS (32 bytes below the I/O bitmap) says whether the vector goes to the
 * 8086 program's own IVT (bit clear) or to the protected-mode IDT.
 */
static bool v86_int_redirected(CPUX86State *env, int vector)
{
    if (env->tr.limit < 0x67) {
        return false;
    }
    uint32_t iomap = (uint32_t)cpu_ld_kernel(env, env->tr.base + 0x66, 2);
    if (iomap < 32 || iomap - 32 + vector / 8 > env->tr.limit) {
        return false;
    }
    uint8_t byte = cpu_ld_kernel(env, env->tr.base + iomap - 32 + vector / 8, 1);
    return !(byte & (1u << (vector & 7)));
}

static void do_interrupt_v86_redirect(CPUX86State *env, int vector, uint64_t next_eip)
{
    /* Delivered through the 8086 IVT at linear 0 like real mode; IF image from IOPL/VIF. */
    uint32_t ivt = (uint32_t)cpu_ld_mmu(env, (uint32_t)vector * 4, 4, MMU_USER_IDX);
    uint64_t flags = x86_get_eflags(env);
    int iopl = (env->eflags & X86_EFL_IOPL) >> 12;
    if (iopl < 3) {
        flags = (flags & ~(uint64_t)X86_EFL_IF) | ((flags & X86_EFL_VIF) ? X86_EFL_IF : 0);
        flags |= X86_EFL_IOPL;
    }
    X86Stack st = {env->segs[R_SS].base, env->regs[R_ESP], 0xffff, MMU_USER_IDX};
    x86_push(env, &st, 2, flags);
    x86_push(env, &st, 2, env->segs[R_CS].selector);
    x86_push(env, &st, 2, next_eip);
    x86_set_rsp(env, 0xffff, st.sp);
    env->rip = ivt & 0xffff;
    x86_load_seg_real(env, R_CS, ivt >> 16);
    env->eflags &= ~(uint64_t)(X86_EFL_TF | X86_EFL_RF);
    if (iopl < 3) {
        env->eflags &= ~(uint64_t)X86_EFL_VIF;
    } else {
        env->eflags &= ~(uint64_t)X86_EFL_IF;
    }
}

/* Fault-class exceptions other than #DB (SDM vol. 3A table 6-1). */
static bool exception_is_fault(int vector)
{
    switch (vector) {
    case EXCP_DE: case EXCP_BR: case EXCP_UD: case EXCP_NM: case EXCP_TS: case EXCP_NP:
    case EXCP_SS: case EXCP_GP: case EXCP_PF: case EXCP_MF: case EXCP_AC: case EXCP_XM:
        return true;
    default:
        return false;
    }
}

void x86_do_interrupt(CPUX86State *env, int vector, bool is_int, int error_code,
                      uint64_t next_eip, bool is_hw)
{
    bool push_err = !is_int && !is_hw && exception_has_error_code(vector);

    env->exception_index = -1;
    if (vector < 0 || vector > 255) {
        /* Not a vector: nothing to deliver (X86_EXCP_* are handled by the loop). */
        return;
    }
    /* An exception raised while delivering another one (SDM table 6-5). */
    if (env->old_exception >= 0 && !is_int && !is_hw) {
        int first = exception_class(env->old_exception);
        int second = exception_class(vector);
        if (first == EXC_DOUBLE_FAULT && second != EXC_BENIGN) {
            x86_triple_fault(env);
        }
        if ((first == EXC_CONTRIBUTORY && second == EXC_CONTRIBUTORY) ||
            (first == EXC_PAGE_FAULT && second != EXC_BENIGN)) {
            log_mask(LOG_INT, "check_exception old: %#x new %#x -> #DF\n",
                     env->old_exception, vector);
            vector = EXCP_DF;
            error_code = 0;
            push_err = true;
        }
    }
    if (log_enabled(LOG_INT)) {
        log_printf("check_exception v=%02x e=%04x i=%d hw=%d cpl=%d CS:RIP=%04x:%016" PRIx64
                   " SP=%04x:%016" PRIx64 " CR2=%016" PRIx64 "\n",
                   vector, push_err ? (unsigned)error_code & 0xffff : 0, is_int, is_hw,
                   x86_cpl(env), env->segs[R_CS].selector, env->rip,
                   env->segs[R_SS].selector, env->regs[R_ESP], env->cr[2]);
    }
    env->old_exception = is_hw || is_int ? -1 : vector;
    env->halted = false;
    /*
     * The EFLAGS image of a fault has RF=1 (SDM vol. 3A 17.3.1.1), so that
     * returning to the faulting instruction does not re-trigger an
     * instruction breakpoint.  The delivery below clears RF in EFLAGS itself.
     */
    if (!is_int && !is_hw && exception_is_fault(vector)) {
        env->eflags |= X86_EFL_RF;
    }

    if (!(env->cr[0] & CR0_PE)) {
        do_interrupt_real(env, vector, is_int, next_eip);
    } else if (env->hflags & HF_LMA) {
        do_interrupt64(env, vector, is_int, error_code, next_eip, push_err);
    } else if ((env->eflags & X86_EFL_VM) && is_int) {
        int iopl = (env->eflags & X86_EFL_IOPL) >> 12;
        if ((env->cr[4] & CR4_VME) && v86_int_redirected(env, vector)) {
            do_interrupt_v86_redirect(env, vector, next_eip);
        } else if (iopl < 3) {
            /* INT n at IOPL < 3 in v86 mode faults to the monitor (SDM 20.3.3). */
            env->old_exception = -1;
            x86_raise_exception_err(env, EXCP_GP, 0);
        } else {
            do_interrupt_prot(env, vector, is_int, error_code, next_eip, push_err);
        }
    } else {
        do_interrupt_prot(env, vector, is_int, error_code, next_eip, push_err);
    }
    env->old_exception = -1;
    env->hflags &= ~HF_INHIBIT_IRQ;
}
