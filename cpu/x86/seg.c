/*
 * Segmentation: descriptor loads with their protection checks, far JMP,
 * CALL, RET and IRET in real, protected, virtual-8086 and long mode (call
 * gates with parameter copy and stack switch), LLDT/LTR, LAR/LSL/VERR/VERW
 * ENTER with a nesting level, and hardware task switches (SDM chapter 7).
 *
 * Reference: Intel SDM vol. 3A chapter 3 (segmentation), chapter 5
 * (protection: 5.5-5.8 privilege checks, call gates), and the instruction
 * pages of vol. 2 (JMP, CALL, RET, IRET, MOV Sreg, LAR, LSL, VERR).
 */
#include "cpu/x86/seg.h"
#include "core/log.h"
#include "cpu/x86/helper.h"
#include "cpu/x86/mmu.h"

#include <inttypes.h>

/* ---- descriptors and stacks ---- */

void x86_seg_cache_set(SegmentCache *sc, uint16_t selector, uint32_t e1, uint32_t e2)
{
    sc->selector = selector;
    sc->base = x86_desc_base(e1, e2);
    sc->limit = x86_desc_limit(e1, e2);
    sc->flags = e2 & 0x00f0ff00u;
}

void x86_load_seg_cache(CPUX86State *env, int seg, uint16_t selector, uint32_t e1, uint32_t e2)
{
    x86_seg_cache_set(&env->segs[seg], selector, e1, e2);
}

bool x86_read_desc(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2,
                   uint64_t *addr)
{
    uint64_t base;
    uint32_t limit;
    uint32_t index = selector & ~7u & 0xffff;

    if (selector & 4) {
        base = env->ldt.base;
        limit = env->ldt.limit;
        if (!(env->ldt.flags & DESC_P_MASK) && env->ldt.selector == 0) {
            /* No LDT loaded: every LDT selector is out of bounds. */
            return false;
        }
    } else {
        base = env->gdt.base;
        limit = env->gdt.limit;
    }
    if (index + 7 > limit) {
        return false;
    }
    *e1 = (uint32_t)cpu_ld_kernel(env, base + index, 4);
    *e2 = (uint32_t)cpu_ld_kernel(env, base + index + 4, 4);
    if (addr) {
        *addr = base + index;
    }
    return true;
}

void x86_set_desc_accessed(CPUX86State *env, uint32_t selector, uint32_t e2)
{
    uint32_t e1_unused, e2_mem;
    uint64_t addr;
    if (!(e2 & DESC_S_MASK) || (e2 & DESC_A_MASK)) {
        return;
    }
    if (x86_read_desc(env, selector, &e1_unused, &e2_mem, &addr)) {
        cpu_st_kernel(env, addr + 4, 4, e2_mem | DESC_A_MASK);
    }
}

void x86_push(CPUX86State *env, X86Stack *st, unsigned size, uint64_t val)
{
    st->sp = (st->sp - size) & st->mask;
    cpu_st_mmu(env, st->base + st->sp, size, val, st->mmu_idx);
}

uint64_t x86_pop(CPUX86State *env, X86Stack *st, unsigned size)
{
    uint64_t val = cpu_ld_mmu(env, st->base + st->sp, size, st->mmu_idx);
    st->sp = (st->sp + size) & st->mask;
    return val;
}

void x86_set_rsp(CPUX86State *env, uint64_t mask, uint64_t sp)
{
    if (mask == 0xffff) {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    } else if (mask == 0xffffffffu) {
        /* A 32-bit stack write zero-extends in 64-bit capable CPUs, as MOV ESP does. */
        env->regs[R_ESP] = (uint32_t)sp;
    } else {
        env->regs[R_ESP] = sp;
    }
}

/* The stack as the current CS/SS see it. */
static X86Stack cur_stack(CPUX86State *env)
{
    if (env->hflags & HF_CS64) {
        return (X86Stack){0, env->regs[R_ESP], ~0ull, x86_mmu_index(env)};
    }
    uint64_t mask = (env->hflags & HF_SS32) ? 0xffffffffu : 0xffff;
    return (X86Stack){env->segs[R_SS].base, env->regs[R_ESP] & mask, mask,
                      x86_mmu_index(env)};
}

void x86_tss_get_stack(CPUX86State *env, int dpl, uint32_t *ss, uint32_t *esp)
{
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    unsigned shift = (type >> 3) & 1;
    uint32_t index = (uint32_t)(dpl * 4 + 2) << shift;

    if (!(env->tr.flags & DESC_P_MASK)) {
        log_guest_error("stack switch with no valid TSS loaded\n");
        x86_raise_exception_err(env, EXCP_TS, env->tr.selector & 0xfffc);
    }
    if (index + (4u << shift) - 1 > env->tr.limit) {
        x86_raise_exception_err(env, EXCP_TS, env->tr.selector & 0xfffc);
    }
    if (shift) {
        *esp = (uint32_t)cpu_ld_kernel(env, env->tr.base + index, 4);
        *ss = (uint32_t)cpu_ld_kernel(env, env->tr.base + index + 4, 2);
    } else {
        *esp = (uint32_t)cpu_ld_kernel(env, env->tr.base + index, 2);
        *ss = (uint32_t)cpu_ld_kernel(env, env->tr.base + index + 2, 2);
    }
}

void x86_check_new_ss(CPUX86State *env, uint32_t ss, int cpl, int vector, uint32_t *e1,
                      uint32_t *e2)
{
    uint32_t err = ss & 0xfffc;
    if (err == 0 || (int)(ss & 3) != cpl) {
        x86_raise_exception_err(env, vector, err);
    }
    if (!x86_read_desc(env, ss, e1, e2, NULL)) {
        x86_raise_exception_err(env, vector, err);
    }
    if (x86_desc_dpl(*e2) != cpl || !(*e2 & DESC_S_MASK) || (*e2 & DESC_CS_MASK) ||
        !(*e2 & DESC_W_MASK)) {
        x86_raise_exception_err(env, vector, err);
    }
    if (!(*e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_SS, err);
    }
}

static void set_cpl(CPUX86State *env, int cpl)
{
    env->hflags = (env->hflags & ~HF_CPL_MASK) | (uint32_t)cpl;
}

/* v86-mode segment: base = selector * 16, 64 KiB, DPL 3 read/write data. */
static void load_seg_v86(CPUX86State *env, int seg, uint16_t selector)
{
    env->segs[seg] = (SegmentCache){
        .selector = selector, .base = (uint64_t)selector << 4, .limit = 0xffff,
        .flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | (3u << DESC_DPL_SHIFT),
    };
    if (seg == R_CS) {
        env->segs[seg].flags |= DESC_CS_MASK;
    }
}

/* ---- MOV/POP Sreg, LDS... ---- */

void helper_load_seg(CPUX86State *env, uint32_t seg, uint32_t selector)
{
    uint32_t e1, e2;
    int cpl = x86_cpl(env);
    uint32_t err = selector & 0xfffc;

    selector &= 0xffff;
    if (seg >= X86_NR_SEGS || seg == R_CS) {
        x86_raise_exception(env, EXCP_UD);
    }
    if (!(env->cr[0] & CR0_PE)) {
        /* Real mode: only selector and base change (limit/attributes stay: "unreal"). */
        x86_load_seg_real(env, seg, selector);
        x86_update_hflags(env);
        return;
    }
    if (env->eflags & X86_EFL_VM) {
        load_seg_v86(env, seg, selector);
        x86_update_hflags(env);
        return;
    }
    if (err == 0) {
        if (seg == R_SS) {
            /* A null SS is allowed only in 64-bit mode, below CPL 3, with RPL = CPL. */
            if (!(env->hflags & HF_CS64) || cpl == 3 || (int)(selector & 3) != cpl) {
                x86_raise_exception_err(env, EXCP_GP, 0);
            }
            env->segs[R_SS] = (SegmentCache){.selector = (uint16_t)selector,
                                             .flags = (uint32_t)cpl << DESC_DPL_SHIFT};
        } else {
            env->segs[seg] = (SegmentCache){.selector = (uint16_t)selector};
        }
        x86_update_hflags(env);
        return;
    }
    if (!x86_read_desc(env, selector, &e1, &e2, NULL)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (!(e2 & DESC_S_MASK)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    int rpl = selector & 3;
    int dpl = x86_desc_dpl(e2);
    if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || (e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP_SS, err);
        }
    } else {
        if ((e2 & DESC_CS_MASK) && !(e2 & DESC_R_MASK)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        /* Data and non-conforming code: DPL >= max(CPL, RPL). */
        if (!((e2 & DESC_CS_MASK) && (e2 & DESC_C_MASK)) && (dpl < cpl || dpl < rpl)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP_NP, err);
        }
    }
    x86_set_desc_accessed(env, selector, e2);
    x86_load_seg_cache(env, seg, (uint16_t)selector, e1, e2 | DESC_A_MASK);
    x86_update_hflags(env);
}

/* ---- far transfers ---- */

static void load_cs_real(CPUX86State *env, uint32_t selector, uint64_t offset)
{
    if (env->eflags & X86_EFL_VM) {
        load_seg_v86(env, R_CS, (uint16_t)selector);
    } else {
        x86_load_seg_real(env, R_CS, (uint16_t)selector);
    }
    env->rip = offset;
    x86_update_hflags(env);
}

/*
 * Checks on a code-segment target of JMP/CALL (direct or through a gate):
 * returns the descriptor.  gate: reached through a call gate (privilege may
 * go inward for CALL).
 */
static void check_code_target(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2)
{
    uint32_t err = selector & 0xfffc;
    if (err == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (!x86_read_desc(env, selector, e1, e2, NULL)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (!(*e2 & DESC_S_MASK) || !(*e2 & DESC_CS_MASK)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
}

static bool code_is64(const CPUX86State *env, uint32_t e2)
{
    return (env->hflags & HF_LMA) && (e2 & DESC_L_MASK);
}

static void check_target_offset(CPUX86State *env, uint32_t e1, uint32_t e2, uint64_t offset)
{
    if (code_is64(env, e2)) {
        if (!x86_is_canonical(offset)) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
    } else if (offset > x86_desc_limit(e1, e2)) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
}

/* The gate descriptor (8 bytes, or 16 in long mode): returns the target offset. */
static uint64_t read_call_gate(CPUX86State *env, uint32_t selector, uint32_t e1, uint32_t e2,
                               int type)
{
    uint64_t offset = (e2 & 0xffff0000u) | (e1 & 0xffff);
    if (type == DESC_SYS_CALL16) {
        offset &= 0xffff;
    }
    if (env->hflags & HF_LMA) {
        uint32_t e3, e4;
        if (!x86_read_desc(env, selector + 8, &e3, &e4, NULL)) {
            x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
        }
        if ((e4 >> DESC_TYPE_SHIFT) & 0x1f) {
            x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
        }
        offset |= (uint64_t)e3 << 32;
    }
    return offset;
}

/* System descriptor types valid as a far JMP/CALL target in the current mode. */
static bool far_sys_type_ok(const CPUX86State *env, int type)
{
    if (env->hflags & HF_LMA) {
        return type == DESC_SYS_CALL32; /* the 64-bit call gate */
    }
    return type == DESC_SYS_TSS16_AVL || type == DESC_SYS_TSS32_AVL || type == DESC_SYS_TASK ||
           type == DESC_SYS_CALL16 || type == DESC_SYS_CALL32;
}

static void far_task_switch(CPUX86State *env, uint32_t selector, uint32_t e1, uint32_t e2,
                            int type, int source, uint64_t next_eip)
{
    if (type == DESC_SYS_TASK) {
        uint32_t tss = e1 >> 16, t1, t2;
        if ((tss & 4) || !x86_read_desc(env, tss, &t1, &t2, NULL)) {
            x86_raise_exception_err(env, EXCP_GP, tss & 0xfffc);
        }
        x86_task_switch(env, (uint16_t)tss, t1, t2, source, next_eip);
    } else {
        x86_task_switch(env, (uint16_t)selector, e1, e2, source, next_eip);
    }
}

void helper_ljmp(CPUX86State *env, uint32_t selector, uint64_t offset, uint32_t next_eip)
{
    uint32_t e1, e2;
    int cpl = x86_cpl(env);
    uint32_t err = selector & 0xfffc;

    selector &= 0xffff;
    if (!(env->cr[0] & CR0_PE) || (env->eflags & X86_EFL_VM)) {
        load_cs_real(env, selector, offset);
        return;
    }
    if (err == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (!x86_read_desc(env, selector, &e1, &e2, NULL)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (e2 & DESC_S_MASK) {
        int dpl = x86_desc_dpl(e2);
        if (!(e2 & DESC_CS_MASK)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        if ((e2 & DESC_C_MASK) ? dpl > cpl : ((int)(selector & 3) > cpl || dpl != cpl)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP_NP, err);
        }
        check_target_offset(env, e1, e2, offset);
        x86_set_desc_accessed(env, selector, e2);
        x86_load_seg_cache(env, R_CS, (uint16_t)((selector & 0xfffc) | cpl), e1, e2);
        env->rip = offset;
        x86_update_hflags(env);
        return;
    }

    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    int dpl = x86_desc_dpl(e2);
    int rpl = selector & 3;
    if (!far_sys_type_ok(env, type)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (dpl < cpl || dpl < rpl) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, err);
    }
    if (type != DESC_SYS_CALL16 && type != DESC_SYS_CALL32) {
        far_task_switch(env, selector, e1, e2, type, X86_TS_JMP, next_eip);
        return;
    }
    /* JMP through a call gate: no privilege change. */
    uint64_t new_eip = read_call_gate(env, selector, e1, e2, type);
    uint32_t gate_cs = e1 >> 16, c1, c2;
    check_code_target(env, gate_cs, &c1, &c2);
    int cdpl = x86_desc_dpl(c2);
    if ((c2 & DESC_C_MASK) ? cdpl > cpl : cdpl != cpl) {
        x86_raise_exception_err(env, EXCP_GP, gate_cs & 0xfffc);
    }
    if (!(c2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, gate_cs & 0xfffc);
    }
    if ((env->hflags & HF_LMA) && (!(c2 & DESC_L_MASK) || (c2 & DESC_B_MASK))) {
        x86_raise_exception_err(env, EXCP_GP, gate_cs & 0xfffc);
    }
    check_target_offset(env, c1, c2, new_eip);
    x86_set_desc_accessed(env, gate_cs, c2);
    x86_load_seg_cache(env, R_CS, (uint16_t)((gate_cs & 0xfffc) | cpl), c1, c2);
    env->rip = new_eip;
    x86_update_hflags(env);
}

static uint64_t tss64_rsp(CPUX86State *env, int dpl)
{
    uint32_t off = 4 + 8 * dpl;
    if (off + 7 > env->tr.limit) {
        x86_raise_exception_err(env, EXCP_TS, env->tr.selector & 0xfffc);
    }
    return cpu_ld_kernel(env, env->tr.base + off, 8);
}

void helper_lcall(CPUX86State *env, uint32_t selector, uint64_t offset, uint32_t shift,
                  uint32_t next_eip)
{
    uint32_t e1, e2;
    int cpl = x86_cpl(env);
    uint32_t err = selector & 0xfffc;
    unsigned opsize = 2u << shift;

    selector &= 0xffff;
    if (!(env->cr[0] & CR0_PE) || (env->eflags & X86_EFL_VM)) {
        X86Stack st = cur_stack(env);
        x86_push(env, &st, opsize, env->segs[R_CS].selector);
        x86_push(env, &st, opsize, next_eip);
        x86_set_rsp(env, st.mask, st.sp);
        load_cs_real(env, selector, offset);
        return;
    }
    if (err == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (!x86_read_desc(env, selector, &e1, &e2, NULL)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (e2 & DESC_S_MASK) {
        int dpl = x86_desc_dpl(e2);
        if (!(e2 & DESC_CS_MASK)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        if ((e2 & DESC_C_MASK) ? dpl > cpl : ((int)(selector & 3) > cpl || dpl != cpl)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        if (!(e2 & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP_NP, err);
        }
        check_target_offset(env, e1, e2, offset);
        X86Stack st = cur_stack(env);
        x86_push(env, &st, opsize, env->segs[R_CS].selector);
        x86_push(env, &st, opsize, next_eip);
        x86_set_rsp(env, st.mask, st.sp);
        x86_set_desc_accessed(env, selector, e2);
        x86_load_seg_cache(env, R_CS, (uint16_t)((selector & 0xfffc) | cpl), e1, e2);
        env->rip = offset;
        x86_update_hflags(env);
        return;
    }

    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    int dpl = x86_desc_dpl(e2);
    int rpl = selector & 3;
    if (!far_sys_type_ok(env, type)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (dpl < cpl || dpl < rpl) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, err);
    }
    if (type != DESC_SYS_CALL16 && type != DESC_SYS_CALL32) {
        far_task_switch(env, selector, e1, e2, type, X86_TS_CALL, next_eip);
        return;
    }

    uint64_t new_eip = read_call_gate(env, selector, e1, e2, type);
    uint32_t gate_cs = e1 >> 16, c1, c2;
    uint32_t cs_err = gate_cs & 0xfffc;
    check_code_target(env, gate_cs, &c1, &c2);
    int cdpl = x86_desc_dpl(c2);
    if (cdpl > cpl) {
        x86_raise_exception_err(env, EXCP_GP, cs_err);
    }
    if (!(c2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, cs_err);
    }
    bool lma = env->hflags & HF_LMA;
    if (lma && (!(c2 & DESC_L_MASK) || (c2 & DESC_B_MASK))) {
        x86_raise_exception_err(env, EXCP_GP, cs_err);
    }
    check_target_offset(env, c1, c2, new_eip);
    /* Gate size decides the push size: 16-bit, 32-bit, or 64-bit in long mode. */
    unsigned gsize = lma ? 8 : (type == DESC_SYS_CALL32 ? 4 : 2);
    X86Stack old = cur_stack(env);

    if (!(c2 & DESC_C_MASK) && cdpl < cpl) {
        /* Inner privilege: new stack from the TSS, copy the parameters over. */
        X86Stack st;
        uint32_t new_ss = 0, s1 = 0, s2 = 0;
        if (lma) {
            uint64_t rsp = tss64_rsp(env, cdpl);
            if (!x86_is_canonical(rsp)) {
                x86_raise_exception_err(env, EXCP_SS, 0);
            }
            st = (X86Stack){0, rsp, ~0ull, MMU_KERNEL_IDX};
            x86_push(env, &st, 8, env->segs[R_SS].selector);
            x86_push(env, &st, 8, env->regs[R_ESP]);
        } else {
            uint32_t esp;
            x86_tss_get_stack(env, cdpl, &new_ss, &esp);
            x86_check_new_ss(env, new_ss, cdpl, EXCP_TS, &s1, &s2);
            st = (X86Stack){x86_desc_base(s1, s2), esp & x86_stack_mask(s2),
                            x86_stack_mask(s2), MMU_KERNEL_IDX};
            unsigned count = e2 & 0x1f;
            x86_push(env, &st, gsize, env->segs[R_SS].selector);
            x86_push(env, &st, gsize, old.sp);
            for (int i = (int)count - 1; i >= 0; i--) {
                uint64_t p = cpu_ld_mmu(env, old.base + ((old.sp + i * gsize) & old.mask),
                                        gsize, old.mmu_idx);
                x86_push(env, &st, gsize, p);
            }
        }
        x86_push(env, &st, gsize, env->segs[R_CS].selector);
        x86_push(env, &st, gsize, next_eip);
        if (lma) {
            env->segs[R_SS] = (SegmentCache){.selector = (uint16_t)cdpl,
                                             .flags = (uint32_t)cdpl << DESC_DPL_SHIFT};
        } else {
            x86_set_desc_accessed(env, new_ss, s2);
            x86_load_seg_cache(env, R_SS, (uint16_t)new_ss, s1, s2 | DESC_A_MASK);
        }
        x86_set_rsp(env, st.mask, st.sp);
        set_cpl(env, cdpl);
        cpl = cdpl;
    } else {
        x86_push(env, &old, gsize, env->segs[R_CS].selector);
        x86_push(env, &old, gsize, next_eip);
        x86_set_rsp(env, old.mask, old.sp);
    }
    log_mask(LOG_PCALL, "lcall gate %04x -> %04x:%" PRIx64 " cpl %d\n", selector, gate_cs,
             new_eip, cpl);
    x86_set_desc_accessed(env, gate_cs, c2);
    x86_load_seg_cache(env, R_CS, (uint16_t)((gate_cs & 0xfffc) | cpl), c1, c2);
    env->rip = new_eip;
    x86_update_hflags(env);
}

/* After a return to an outer level: data segments the new CPL may not use become null. */
static void validate_data_segs(CPUX86State *env, int cpl)
{
    static const int segs[] = {R_ES, R_DS, R_FS, R_GS};
    for (size_t i = 0; i < ARRAY_SIZE(segs); i++) {
        SegmentCache *sc = &env->segs[segs[i]];
        uint32_t f = sc->flags;
        bool conf_code = (f & DESC_CS_MASK) && (f & DESC_C_MASK);
        if ((sc->selector & 0xfffc) == 0) {
            continue;
        }
        if (!conf_code && x86_desc_dpl(f) < cpl) {
            *sc = (SegmentCache){0};
        }
    }
}

/*
 * The common part of RET far and IRET in protected/long mode after CS:rIP
 * (and EFLAGS) were popped: checks CS, pops SS:rSP on a privilege change or
 * for IRET in 64-bit mode, and commits.  flags_mask/new_flags: IRET only.
 */
static void far_return(CPUX86State *env, X86Stack *st, unsigned opsize, uint64_t new_eip,
                       uint32_t new_cs, uint32_t addend, bool is_iret, uint64_t new_flags,
                       uint64_t flags_mask)
{
    uint32_t e1, e2;
    int cpl = x86_cpl(env);
    uint32_t err = new_cs & 0xfffc;
    int rpl = new_cs & 3;

    if (err == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (!x86_read_desc(env, new_cs, &e1, &e2, NULL)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (!(e2 & DESC_S_MASK) || !(e2 & DESC_CS_MASK) || rpl < cpl) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    int dpl = x86_desc_dpl(e2);
    if ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, err);
    }
    if ((env->hflags & HF_LMA) && (e2 & DESC_L_MASK) && (e2 & DESC_B_MASK)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    st->sp = (st->sp + addend) & st->mask;

    bool pop_ss = rpl != cpl || (is_iret && (env->hflags & HF_CS64));
    if (!pop_ss) {
        check_target_offset(env, e1, e2, new_eip);
        if (is_iret) {
            x86_put_eflags(env, (x86_get_eflags(env) & ~flags_mask) | (new_flags & flags_mask));
        }
        x86_set_rsp(env, st->mask, st->sp);
        x86_set_desc_accessed(env, new_cs, e2);
        x86_load_seg_cache(env, R_CS, (uint16_t)new_cs, e1, e2);
        env->rip = new_eip;
        x86_update_hflags(env);
        return;
    }

    uint64_t new_esp = x86_pop(env, st, opsize);
    uint32_t new_ss = (uint32_t)x86_pop(env, st, opsize) & 0xffff;
    uint32_t s1 = 0, s2 = 0;
    bool target64 = code_is64(env, e2);
    if ((new_ss & 0xfffc) == 0) {
        /* A null SS is fine for a return to 64-bit code below CPL 3. */
        if (!target64 || rpl == 3) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
    } else {
        if ((int)(new_ss & 3) != rpl || !x86_read_desc(env, new_ss, &s1, &s2, NULL)) {
            x86_raise_exception_err(env, EXCP_GP, new_ss & 0xfffc);
        }
        if (!(s2 & DESC_S_MASK) || (s2 & DESC_CS_MASK) || !(s2 & DESC_W_MASK) ||
            x86_desc_dpl(s2) != rpl) {
            x86_raise_exception_err(env, EXCP_GP, new_ss & 0xfffc);
        }
        if (!(s2 & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP_SS, new_ss & 0xfffc);
        }
    }
    check_target_offset(env, e1, e2, new_eip);
    if (is_iret) {
        x86_put_eflags(env, (x86_get_eflags(env) & ~flags_mask) | (new_flags & flags_mask));
    }
    x86_set_desc_accessed(env, new_cs, e2);
    x86_load_seg_cache(env, R_CS, (uint16_t)new_cs, e1, e2);
    uint64_t ss_mask;
    if ((new_ss & 0xfffc) == 0) {
        env->segs[R_SS] = (SegmentCache){.selector = (uint16_t)new_ss,
                                         .flags = (uint32_t)rpl << DESC_DPL_SHIFT};
        ss_mask = ~0ull;
    } else {
        x86_set_desc_accessed(env, new_ss, s2);
        x86_load_seg_cache(env, R_SS, (uint16_t)new_ss, s1, s2 | DESC_A_MASK);
        ss_mask = target64 ? ~0ull : x86_stack_mask(s2);
    }
    new_esp += addend;
    x86_set_rsp(env, ss_mask, new_esp);
    if (opsize == 8 || target64) {
        env->regs[R_ESP] = new_esp;
    }
    env->rip = new_eip;
    set_cpl(env, rpl);
    if (rpl != cpl) {
        validate_data_segs(env, rpl);
    }
    x86_update_hflags(env);
}

void helper_lret(CPUX86State *env, uint32_t shift, uint32_t addend)
{
    unsigned opsize = 2u << shift;
    X86Stack st = cur_stack(env);
    uint64_t new_eip = x86_pop(env, &st, opsize);
    uint32_t new_cs = (uint32_t)x86_pop(env, &st, opsize) & 0xffff;

    if (!(env->cr[0] & CR0_PE) || (env->eflags & X86_EFL_VM)) {
        st.sp = (st.sp + addend) & st.mask;
        x86_set_rsp(env, st.mask, st.sp);
        load_cs_real(env, new_cs, new_eip);
        return;
    }
    far_return(env, &st, opsize, new_eip, new_cs, addend, false, 0, 0);
}

/* EFLAGS bits IRET may change, by operand size and privilege (SDM IRET). */
static uint64_t iret_flags_mask(CPUX86State *env, unsigned opsize, int cpl)
{
    int iopl = (env->eflags & X86_EFL_IOPL) >> 12;
    uint64_t mask = X86_EFL_STATUS | X86_EFL_DF | X86_EFL_TF | X86_EFL_NT | X86_EFL_RF |
                    X86_EFL_AC | X86_EFL_ID;
    if (cpl <= iopl) {
        mask |= X86_EFL_IF;
    }
    if (cpl == 0) {
        mask |= X86_EFL_IOPL | X86_EFL_VIF | X86_EFL_VIP;
    }
    if (opsize == 2) {
        mask &= 0xffff;
    }
    return mask;
}

static void iret_real_v86(CPUX86State *env, unsigned opsize)
{
    X86Stack st = cur_stack(env);
    bool vm = env->eflags & X86_EFL_VM;
    int iopl = (env->eflags & X86_EFL_IOPL) >> 12;
    uint64_t new_eip = x86_pop(env, &st, opsize);
    uint32_t new_cs = (uint32_t)x86_pop(env, &st, opsize) & 0xffff;
    uint64_t new_flags = x86_pop(env, &st, opsize);
    uint64_t mask = X86_EFL_STATUS | X86_EFL_DF | X86_EFL_TF | X86_EFL_IF | X86_EFL_NT |
                    X86_EFL_RF | X86_EFL_AC | X86_EFL_ID;

    if (vm && iopl < 3) {
        /* CR4.VME with a 16-bit IRET: IF goes to VIF (SDM 20.4.4); otherwise #GP. */
        if (!(env->cr[4] & CR4_VME) || opsize != 2 ||
            ((new_flags & X86_EFL_IF) && (env->eflags & X86_EFL_VIP)) ||
            (new_flags & X86_EFL_TF)) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
        mask &= ~(uint64_t)X86_EFL_IF;
        uint64_t fl = (x86_get_eflags(env) & ~(mask & 0xffff)) | (new_flags & mask & 0xffff);
        fl = (fl & ~(uint64_t)X86_EFL_VIF) | ((new_flags & X86_EFL_IF) ? X86_EFL_VIF : 0);
        x86_put_eflags(env, fl);
    } else {
        if (!vm) {
            mask |= X86_EFL_IOPL;
        }
        if (opsize == 2) {
            mask &= 0xffff;
        }
        x86_put_eflags(env, (x86_get_eflags(env) & ~mask) | (new_flags & mask));
    }
    x86_set_rsp(env, st.mask, st.sp);
    load_cs_real(env, new_cs, new_eip & (opsize == 2 ? 0xffff : 0xffffffffu));
}

/* IRET to virtual-8086 mode from CPL 0 (SDM IRET, "RETURN-TO-VIRTUAL-8086-MODE"). */
static void iret_to_v86(CPUX86State *env, X86Stack *st, uint64_t new_eip, uint32_t new_cs,
                        uint64_t new_flags)
{
    uint64_t new_esp = x86_pop(env, st, 4);
    uint16_t new_ss = x86_pop(env, st, 4);
    uint16_t es = x86_pop(env, st, 4);
    uint16_t ds = x86_pop(env, st, 4);
    uint16_t fs = x86_pop(env, st, 4);
    uint16_t gs = x86_pop(env, st, 4);

    x86_put_eflags(env, new_flags | X86_EFL_VM);
    load_seg_v86(env, R_CS, (uint16_t)new_cs);
    load_seg_v86(env, R_SS, new_ss);
    load_seg_v86(env, R_ES, es);
    load_seg_v86(env, R_DS, ds);
    load_seg_v86(env, R_FS, fs);
    load_seg_v86(env, R_GS, gs);
    env->regs[R_ESP] = (uint32_t)new_esp;
    env->rip = new_eip & 0xffff;
    set_cpl(env, 3);
    x86_update_hflags(env);
}

void helper_iret(CPUX86State *env, uint32_t shift, uint32_t next_eip)
{
    unsigned opsize = 2u << shift;
    int cpl = x86_cpl(env);

    if (!(env->cr[0] & CR0_PE) || (env->eflags & X86_EFL_VM)) {
        iret_real_v86(env, opsize);
        return;
    }
    if (env->eflags & X86_EFL_NT) {
        if (env->hflags & HF_LMA) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
        /* Return from a nested task: the back link must name a busy TSS in the GDT. */
        uint32_t link = (uint32_t)cpu_ld_kernel(env, env->tr.base, 2), e1, e2;
        if ((link & 4) || !x86_read_desc(env, link, &e1, &e2, NULL)) {
            x86_raise_exception_err(env, EXCP_TS, link & 0xfffc);
        }
        int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
        if (type != DESC_SYS_TSS16_BUSY && type != DESC_SYS_TSS32_BUSY) {
            x86_raise_exception_err(env, EXCP_TS, link & 0xfffc);
        }
        x86_task_switch(env, (uint16_t)link, e1, e2, X86_TS_IRET, next_eip);
        return;
    }
    X86Stack st = cur_stack(env);
    uint64_t new_eip = x86_pop(env, &st, opsize);
    uint32_t new_cs = (uint32_t)x86_pop(env, &st, opsize) & 0xffff;
    uint64_t new_flags = x86_pop(env, &st, opsize);
    if (opsize == 4 && (new_flags & X86_EFL_VM) && cpl == 0 && !(env->hflags & HF_LMA)) {
        iret_to_v86(env, &st, new_eip, new_cs, new_flags);
        return;
    }
    far_return(env, &st, opsize, new_eip, new_cs, 0, true, new_flags,
               iret_flags_mask(env, opsize, cpl));
    env->hflags &= ~HF_INHIBIT_IRQ;
}

/* ---- LLDT / LTR ---- */

/* A system descriptor in the GDT: 16 bytes in long mode (base bits 63:32 in e3). */
static uint64_t read_sys_desc(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2)
{
    uint32_t err = selector & 0xfffc;
    uint64_t high = 0;
    if ((selector & 4) || !x86_read_desc(env, selector, e1, e2, NULL)) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    if (env->hflags & HF_LMA) {
        uint32_t e3, e4;
        if (!x86_read_desc(env, (selector & ~7u) + 8, &e3, &e4, NULL)) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        if ((e4 >> DESC_TYPE_SHIFT) & 0x1f) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
        high = (uint64_t)e3 << 32;
        if (!x86_is_canonical(high | x86_desc_base(*e1, *e2))) {
            x86_raise_exception_err(env, EXCP_GP, err);
        }
    }
    return high;
}

void helper_lldt(CPUX86State *env, uint32_t selector)
{
    uint32_t e1, e2;
    selector &= 0xffff;
    if ((selector & 0xfffc) == 0) {
        env->ldt = (SegmentCache){.selector = (uint16_t)selector};
        return;
    }
    uint64_t high = read_sys_desc(env, selector, &e1, &e2);
    if ((e2 & DESC_S_MASK) || ((e2 >> DESC_TYPE_SHIFT) & 0xf) != DESC_SYS_LDT) {
        x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, selector & 0xfffc);
    }
    x86_seg_cache_set(&env->ldt, (uint16_t)selector, e1, e2);
    env->ldt.base |= high;
}

void helper_ltr(CPUX86State *env, uint32_t selector)
{
    uint32_t e1, e2;
    uint64_t addr;
    selector &= 0xffff;
    if ((selector & 0xfffc) == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    uint64_t high = read_sys_desc(env, selector, &e1, &e2);
    int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    if (type != DESC_SYS_TSS32_AVL && (type != DESC_SYS_TSS16_AVL || (env->hflags & HF_LMA))) {
        x86_raise_exception_err(env, EXCP_GP, selector & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, selector & 0xfffc);
    }
    x86_read_desc(env, selector, &e1, &e2, &addr);
    e2 |= 2u << DESC_TYPE_SHIFT; /* busy */
    cpu_st_kernel(env, addr + 4, 4, e2);
    x86_seg_cache_set(&env->tr, (uint16_t)selector, e1, e2);
    env->tr.base |= high;
}

/* ---- LAR / LSL / VERR / VERW ---- */

/*
 * The common visibility test: the descriptor exists and, unless it is
 * conforming code, DPL >= max(CPL, RPL).  sys_ok: system types allowed.
 */
static bool desc_visible(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2,
                         uint32_t sys_types)
{
    selector &= 0xffff;
    if ((selector & 0xfffc) == 0 || !x86_read_desc(env, selector, e1, e2, NULL)) {
        return false;
    }
    int dpl = x86_desc_dpl(*e2);
    int cpl = x86_cpl(env);
    int rpl = selector & 3;
    if (*e2 & DESC_S_MASK) {
        if ((*e2 & DESC_CS_MASK) && (*e2 & DESC_C_MASK)) {
            return true;
        }
    } else if (!(sys_types & (1u << ((*e2 >> DESC_TYPE_SHIFT) & 0xf)))) {
        return false;
    }
    return dpl >= cpl && dpl >= rpl;
}

#define ZF_SET (1ull << 32)

uint64_t helper_lar(CPUX86State *env, uint32_t selector)
{
    uint32_t e1, e2;
    uint32_t types = (env->hflags & HF_LMA)
                         ? (1u << 2) | (1u << 9) | (1u << 11) | (1u << 12)
                         : (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) |
                               (1u << 9) | (1u << 11) | (1u << 12);
    if (!desc_visible(env, selector, &e1, &e2, types)) {
        return 0;
    }
    return ZF_SET | (e2 & 0x00f0ff00u);
}

uint64_t helper_lsl(CPUX86State *env, uint32_t selector)
{
    uint32_t e1, e2;
    uint32_t types = (env->hflags & HF_LMA)
                         ? (1u << 2) | (1u << 9) | (1u << 11)
                         : (1u << 1) | (1u << 2) | (1u << 3) | (1u << 9) | (1u << 11);
    if (!desc_visible(env, selector, &e1, &e2, types)) {
        return 0;
    }
    return ZF_SET | x86_desc_limit(e1, e2);
}

uint64_t helper_verr(CPUX86State *env, uint32_t selector)
{
    uint32_t e1, e2;
    if (!desc_visible(env, selector, &e1, &e2, 0) || !(e2 & DESC_S_MASK)) {
        return 0;
    }
    return !(e2 & DESC_CS_MASK) || (e2 & DESC_R_MASK) ? ZF_SET : 0;
}

uint64_t helper_verw(CPUX86State *env, uint32_t selector)
{
    uint32_t e1, e2;
    if (!desc_visible(env, selector, &e1, &e2, 0) || !(e2 & DESC_S_MASK)) {
        return 0;
    }
    return !(e2 & DESC_CS_MASK) && (e2 & DESC_W_MASK) ? ZF_SET : 0;
}

/* ---- ENTER with nesting ---- */

/*
 * Called after the translator pushed rBP, with frame_temp = rSP after that
 * push.  Copies level-1 frame pointers from the old frame (rBP - size*i) and
 * pushes frame_temp, all below frame_temp; changes no register (the
 * translator then sets rBP = frame_temp, rSP = frame_temp - size*level - alloc).
 */
void helper_enter_level(CPUX86State *env, uint32_t level, uint32_t shift, uint64_t frame_temp)
{
    unsigned size = 2u << shift;
    X86Stack st = cur_stack(env);
    uint64_t ebp = env->regs[R_EBP] & st.mask;
    uint64_t sp = frame_temp & st.mask;

    level &= 31;
    for (uint32_t i = 1; i < level; i++) {
        ebp = (ebp - size) & st.mask;
        sp = (sp - size) & st.mask;
        uint64_t v = cpu_ld_mmu(env, st.base + ebp, size, st.mmu_idx);
        cpu_st_mmu(env, st.base + sp, size, v, st.mmu_idx);
    }
    sp = (sp - size) & st.mask;
    cpu_st_mmu(env, st.base + sp, size, frame_temp, st.mmu_idx);
}

/* ---- task switch (SDM 7.3) ---- */

/* Segment register load during a task switch: faults are #TS (SDM 7.3, step 12). */
static void task_load_seg(CPUX86State *env, int seg, uint32_t selector, int cpl)
{
    uint32_t e1, e2;
    uint32_t err = selector & 0xfffc;
    if (err == 0) {
        if (seg == R_SS || seg == R_CS) {
            x86_raise_exception_err(env, EXCP_TS, 0);
        }
        env->segs[seg] = (SegmentCache){.selector = (uint16_t)selector};
        return;
    }
    if (!x86_read_desc(env, selector, &e1, &e2, NULL) || !(e2 & DESC_S_MASK)) {
        x86_raise_exception_err(env, EXCP_TS, err);
    }
    int dpl = x86_desc_dpl(e2);
    int rpl = selector & 3;
    if (seg == R_CS) {
        if (!(e2 & DESC_CS_MASK) || ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl)) {
            x86_raise_exception_err(env, EXCP_TS, err);
        }
    } else if (seg == R_SS) {
        if ((e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK) || dpl != cpl || rpl != cpl) {
            x86_raise_exception_err(env, EXCP_TS, err);
        }
    } else {
        if ((e2 & DESC_CS_MASK) && !(e2 & DESC_R_MASK)) {
            x86_raise_exception_err(env, EXCP_TS, err);
        }
        if (!((e2 & DESC_CS_MASK) && (e2 & DESC_C_MASK)) && (dpl < cpl || dpl < rpl)) {
            x86_raise_exception_err(env, EXCP_TS, err);
        }
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, seg == R_SS ? EXCP_SS : EXCP_NP, err);
    }
    x86_set_desc_accessed(env, selector, e2);
    x86_load_seg_cache(env, seg, (uint16_t)selector, e1, e2 | DESC_A_MASK);
}

/* Set or clear the busy bit of the TSS descriptor for selector in the GDT. */
static void tss_set_busy(CPUX86State *env, uint32_t selector, bool busy)
{
    uint32_t e1, e2;
    uint64_t addr;
    if (x86_read_desc(env, selector & ~4u, &e1, &e2, &addr)) {
        e2 = busy ? e2 | (2u << DESC_TYPE_SHIFT) : e2 & ~(2u << DESC_TYPE_SHIFT);
        cpu_st_kernel(env, addr + 4, 4, e2);
    }
}

void x86_task_switch(CPUX86State *env, uint16_t tss_selector, uint32_t e1, uint32_t e2,
                     int source, uint64_t next_eip)
{
    int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    uint32_t err = tss_selector & 0xfffc;
    bool is32 = type & 8;
    uint64_t base = x86_desc_base(e1, e2);
    uint32_t limit = x86_desc_limit(e1, e2);
    uint32_t regs[8], segs[6], ldt_sel, eip, eflags, cr3 = 0;

    log_mask(LOG_PCALL, "task switch to %04x (source %d)\n", tss_selector, source);
    if (type != DESC_SYS_TSS16_AVL && type != DESC_SYS_TSS16_BUSY &&
        type != DESC_SYS_TSS32_AVL && type != DESC_SYS_TSS32_BUSY) {
        x86_raise_exception_err(env, EXCP_GP, err);
    }
    bool busy = type & 2;
    if (source == X86_TS_IRET ? !busy : busy) {
        x86_raise_exception_err(env, source == X86_TS_IRET ? EXCP_TS : EXCP_GP, err);
    }
    if (!(e2 & DESC_P_MASK)) {
        x86_raise_exception_err(env, EXCP_NP, err);
    }
    if (limit < (is32 ? 0x67u : 0x2bu)) {
        x86_raise_exception_err(env, EXCP_TS, err);
    }

    /* Read the whole new TSS first: a fault here leaves the old task untouched. */
    if (is32) {
        cr3 = (uint32_t)cpu_ld_kernel(env, base + 0x1c, 4);
        eip = (uint32_t)cpu_ld_kernel(env, base + 0x20, 4);
        eflags = (uint32_t)cpu_ld_kernel(env, base + 0x24, 4);
        for (int i = 0; i < 8; i++) {
            regs[i] = (uint32_t)cpu_ld_kernel(env, base + 0x28 + 4 * i, 4);
        }
        for (int i = 0; i < 6; i++) {
            segs[i] = (uint32_t)cpu_ld_kernel(env, base + 0x48 + 4 * i, 2);
        }
        ldt_sel = (uint32_t)cpu_ld_kernel(env, base + 0x60, 2);
    } else {
        eip = (uint32_t)cpu_ld_kernel(env, base + 0x0e, 2);
        eflags = (uint32_t)cpu_ld_kernel(env, base + 0x10, 2);
        for (int i = 0; i < 8; i++) {
            regs[i] = (uint32_t)cpu_ld_kernel(env, base + 0x12 + 2 * i, 2) | 0xffff0000u;
        }
        for (int i = 0; i < 4; i++) {
            segs[i] = (uint32_t)cpu_ld_kernel(env, base + 0x22 + 2 * i, 2);
        }
        segs[R_FS] = segs[R_GS] = 0;
        ldt_sel = (uint32_t)cpu_ld_kernel(env, base + 0x2a, 2);
    }

    /* Save the old task's state into its TSS. */
    int old_type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    uint64_t old_base = env->tr.base;
    uint64_t old_flags = x86_get_eflags(env);
    if (source == X86_TS_IRET) {
        old_flags &= ~(uint64_t)X86_EFL_NT;
    }
    if (old_type & 8) {
        cpu_st_kernel(env, old_base + 0x20, 4, next_eip);
        cpu_st_kernel(env, old_base + 0x24, 4, (uint32_t)old_flags);
        for (int i = 0; i < 8; i++) {
            cpu_st_kernel(env, old_base + 0x28 + 4 * i, 4, (uint32_t)env->regs[i]);
        }
        for (int i = 0; i < 6; i++) {
            cpu_st_kernel(env, old_base + 0x48 + 4 * i, 2, env->segs[i].selector);
        }
    } else {
        cpu_st_kernel(env, old_base + 0x0e, 2, next_eip);
        cpu_st_kernel(env, old_base + 0x10, 2, old_flags);
        for (int i = 0; i < 8; i++) {
            cpu_st_kernel(env, old_base + 0x12 + 2 * i, 2, env->regs[i]);
        }
        for (int i = 0; i < 4; i++) {
            cpu_st_kernel(env, old_base + 0x22 + 2 * i, 2, env->segs[i].selector);
        }
    }
    if (source == X86_TS_JMP || source == X86_TS_IRET) {
        tss_set_busy(env, env->tr.selector, false);
    }
    if (source == X86_TS_CALL || source == X86_TS_INT) {
        cpu_st_kernel(env, base, 2, env->tr.selector);
        eflags |= X86_EFL_NT;
    }
    if (source != X86_TS_IRET) {
        tss_set_busy(env, tss_selector, true);
        e2 |= 2u << DESC_TYPE_SHIFT;
    }

    /* Commit: TR, CR0.TS, CR3, registers, then the checked loads. */
    x86_seg_cache_set(&env->tr, tss_selector, e1, e2);
    env->cr[0] |= CR0_TS;
    if (is32 && (env->cr[0] & CR0_PG)) {
        env->cr[3] = cr3;
        if ((env->cr[4] & CR4_PAE) && !x86_mmu_load_pdptes(env)) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
        x86_tlb_flush(env, false);
    }
    x86_put_eflags(env, eflags | 2);
    env->rip = eip;
    for (int i = 0; i < 8; i++) {
        env->regs[i] = is32 ? regs[i] : ((env->regs[i] & ~0xffffull) | (regs[i] & 0xffff));
    }

    /* Selectors first with empty caches, so a fault below sees the new task. */
    for (int i = 0; i < 6; i++) {
        env->segs[i].selector = (uint16_t)segs[i];
    }
    env->ldt.selector = (uint16_t)ldt_sel;
    if ((ldt_sel & 0xfffc) == 0) {
        env->ldt = (SegmentCache){.selector = (uint16_t)ldt_sel};
    } else {
        uint32_t l1, l2;
        if ((ldt_sel & 4) || !x86_read_desc(env, ldt_sel, &l1, &l2, NULL)) {
            x86_raise_exception_err(env, EXCP_TS, ldt_sel & 0xfffc);
        }
        if ((l2 & DESC_S_MASK) || ((l2 >> DESC_TYPE_SHIFT) & 0xf) != DESC_SYS_LDT ||
            !(l2 & DESC_P_MASK)) {
            x86_raise_exception_err(env, EXCP_TS, ldt_sel & 0xfffc);
        }
        x86_seg_cache_set(&env->ldt, (uint16_t)ldt_sel, l1, l2);
    }
    if (eflags & X86_EFL_VM) {
        for (int i = 0; i < 6; i++) {
            load_seg_v86(env, i, (uint16_t)segs[i]);
        }
        set_cpl(env, 3);
    } else {
        int cpl = segs[R_CS] & 3;
        task_load_seg(env, R_CS, segs[R_CS], cpl);
        set_cpl(env, cpl);
        task_load_seg(env, R_SS, segs[R_SS], cpl);
        task_load_seg(env, R_ES, segs[R_ES], cpl);
        task_load_seg(env, R_DS, segs[R_DS], cpl);
        task_load_seg(env, R_FS, segs[R_FS], cpl);
        task_load_seg(env, R_GS, segs[R_GS], cpl);
        if (eip > env->segs[R_CS].limit) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
    }
    x86_update_hflags(env);
}
