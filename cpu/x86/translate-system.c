/*
 * Translation of segment and system instructions: MOV to/from Sreg,
 * LDS/LES/LFS/LGS/LSS, LGDT/LIDT/SGDT/SIDT, LLDT/LTR/SLDT/STR, LMSW/SMSW,
 * CLTS, MOV CR/DR, INVLPG, WBINVD/INVD, RDMSR/WRMSR, SWAPGS, the fast
 * system calls.  Everything with privilege or descriptor logic calls the
 * system helpers of helper.h.  SDM vol. 2 and vol. 3A ch. 2-5.
 */
#include "cpu/x86/translate.h"

#pragma weak helper_load_seg
#pragma weak helper_lldt
#pragma weak helper_ltr
#pragma weak helper_lmsw
#pragma weak helper_clts
#pragma weak helper_write_cr
#pragma weak helper_read_cr
#pragma weak helper_write_dr
#pragma weak helper_read_dr
#pragma weak helper_invlpg
#pragma weak helper_rdmsr
#pragma weak helper_wrmsr
#pragma weak helper_swapgs
#pragma weak helper_syscall
#pragma weak helper_sysret
#pragma weak helper_sysenter
#pragma weak helper_sysexit

#define T64() ir_temp_i64(s->f)
#define FREE(t) ir_temp_free(s->f, IRT(t))

bool gen_load_seg(DisasContext *s, int seg, IRv64 sel)
{
    if (!s->pe || s->vm86) {
        IRv64 base = T64();
        ir_st16_i64(s->f, sel, ir_env(s->f), offsetof(CPUX86State, segs[seg].selector));
        ir_andi_i64(s->f, base, sel, 0xffff);
        ir_shli_i64(s->f, base, base, 4);
        ir_st_i64(s->f, base, ir_env(s->f), offsetof(CPUX86State, segs[seg].base));
        FREE(base);
    } else {
        if (!helper_load_seg) {
            return false;
        }
        gen_update_cc_op(s);
        gen_update_eip_cur(s);
        IR_CALL(s->f, helper_load_seg, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
                IRT(ir_const_i32(s->f, (uint32_t)seg)), IRT(sel));
        /* Segment sizes and bases feed hflags (SS32, ADDSEG). */
        s->is_jmp = DISAS_EOB_NEXT;
    }
    if (seg == R_SS) {
        /* MOV SS / POP SS also hold off a single-step trap until after the next insn. */
        s->ss_shadow = true;
        IR_CALL(s->f, helper_set_inhibit_irq, IR_CALL_NO_READ_GLOBALS |
                IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
        s->is_jmp = DISAS_EOB_NEXT;
    }
    return true;
}

TRANS(mov_to_seg)
{
    IRv64 v = T64();
    bool ok;

    if (d->op[0].reg == R_CS) {
        FREE(v);
        gen_illegal(s, false);
        return true;
    }
    gen_load_operand(s, d, 1, v, NULL);
    ok = gen_load_seg(s, d->op[0].reg, v);
    FREE(v);
    return ok;
}

TRANS(mov_from_seg)
{
    IRv64 v = T64();

    ir_ld16u_i64(s->f, v, ir_env(s->f), offsetof(CPUX86State, segs[d->op[1].reg].selector));
    if (d->op[0].kind == X86_OPK_GPR) {
        gen_set_reg(s, mo_from_size(d->opsize), d->op[0].reg, false, v);
    } else {
        gen_store_operand(s, d, 0, v, NULL);
    }
    FREE(v);
    return true;
}

TRANS(load_far_ptr)
{
    static const int seg_of[] = {[0xc4] = R_ES, [0xc5] = R_DS, [0xb2] = R_SS,
                                 [0xb4] = R_FS, [0xb5] = R_GS};
    unsigned ot = mo_from_size(d->opsize);
    int seg = seg_of[d->opcode];
    IRv64 la = gen_lea_mem(s, d, (1u << ot) + 2);
    IRv64 off = T64(), sel = T64();
    bool ok;

    gen_ld(s, ot, off, la);
    ir_addi_i64(s->f, la, la, 1u << ot);
    if (!s->code64) {
        ir_ext32u_i64(s->f, la, la);
    }
    gen_ld(s, MO_16, sel, la);
    ok = gen_load_seg(s, seg, sel);
    if (ok) {
        gen_set_reg(s, ot, d->op[0].reg, false, off);
    }
    FREE(la);
    FREE(off);
    FREE(sel);
    return ok;
}

/* ---- descriptor-table registers ---- */

static bool privileged(DisasContext *s)
{
    if (s->pe && (s->cpl != 0 || s->vm86)) {
        gen_exception_err(s, EXCP_GP, 0);
        return false;
    }
    return true;
}

static bool gen_load_dt(DisasContext *s, const DecodedInsn *d, size_t off_base,
                        size_t off_limit)
{
    IRv64 la, lim = T64(), base = T64();

    if (!privileged(s)) {
        FREE(lim);
        FREE(base);
        return true;
    }
    la = gen_lea_mem(s, d, s->code64 ? 10 : 6);
    gen_ld(s, MO_16, lim, la);
    ir_addi_i64(s->f, la, la, 2);
    if (s->code64) {
        gen_ld(s, MO_64, base, la);
    } else {
        ir_ext32u_i64(s->f, la, la);
        gen_ld(s, MO_32, base, la);
        if (d->opsize == 2) {
            ir_andi_i64(s->f, base, base, 0xffffff);
        }
    }
    ir_st_i64(s->f, base, ir_env(s->f), (intptr_t)off_base);
    ir_st32_i64(s->f, lim, ir_env(s->f), (intptr_t)off_limit);
    FREE(la);
    FREE(lim);
    FREE(base);
    return true;
}

static bool gen_store_dt(DisasContext *s, const DecodedInsn *d, size_t off_base,
                         size_t off_limit)
{
    IRv64 la = gen_lea_mem(s, d, s->code64 ? 10 : 6), v = T64();

    ir_ld32u_i64(s->f, v, ir_env(s->f), (intptr_t)off_limit);
    gen_st(s, MO_16, v, la);
    ir_addi_i64(s->f, la, la, 2);
    ir_ld_i64(s->f, v, ir_env(s->f), (intptr_t)off_base);
    if (s->code64) {
        gen_st(s, MO_64, v, la);
    } else {
        ir_ext32u_i64(s->f, la, la);
        gen_st(s, MO_32, v, la);
    }
    FREE(la);
    FREE(v);
    return true;
}

TRANS(lgdt)
{
    return gen_load_dt(s, d, offsetof(CPUX86State, gdt.base), offsetof(CPUX86State, gdt.limit));
}

TRANS(lidt)
{
    return gen_load_dt(s, d, offsetof(CPUX86State, idt.base), offsetof(CPUX86State, idt.limit));
}

TRANS(sgdt)
{
    return gen_store_dt(s, d, offsetof(CPUX86State, gdt.base),
                        offsetof(CPUX86State, gdt.limit));
}

TRANS(sidt)
{
    return gen_store_dt(s, d, offsetof(CPUX86State, idt.base),
                        offsetof(CPUX86State, idt.limit));
}

/* ---- helpers taking one 16-bit selector / value operand ---- */

static bool gen_sel_helper(DisasContext *s, const DecodedInsn *d,
                           void (*fn)(CPUX86State *, uint32_t), bool end_block)
{
    IRv64 v;

    if (!fn) {
        return false;
    }
    if (!privileged(s)) {
        return true;
    }
    v = T64();
    gen_load_operand(s, d, 0, v, NULL);
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(v));
    if (end_block) {
        s->is_jmp = DISAS_EOB_NEXT;
    }
    FREE(v);
    return true;
}

TRANS(lldt) { return gen_sel_helper(s, d, helper_lldt, false); }
TRANS(ltr) { return gen_sel_helper(s, d, helper_ltr, false); }
TRANS(lmsw) { return gen_sel_helper(s, d, helper_lmsw, true); }

static bool gen_store_env16(DisasContext *s, const DecodedInsn *d, size_t off)
{
    IRv64 v = T64();

    ir_ld16u_i64(s->f, v, ir_env(s->f), (intptr_t)off);
    if (d->op[0].kind == X86_OPK_GPR) {
        gen_set_reg(s, mo_from_size(d->opsize), d->op[0].reg, false, v);
    } else {
        gen_store_operand(s, d, 0, v, NULL);
    }
    FREE(v);
    return true;
}

TRANS(sldt)
{
    if (!s->pe || s->vm86) {
        gen_illegal(s, false);
        return true;
    }
    return gen_store_env16(s, d, offsetof(CPUX86State, ldt.selector));
}

TRANS(str)
{
    if (!s->pe || s->vm86) {
        gen_illegal(s, false);
        return true;
    }
    return gen_store_env16(s, d, offsetof(CPUX86State, tr.selector));
}

/*
 * LAR/LSL/VERR/VERW: the helper returns its result with bit 32 = ZF.  Only
 * ZF changes, and LAR/LSL write their destination only when ZF is set (with
 * ZF clear the whole register, upper half included, stays as it was).
 */
static bool gen_desc_test(DisasContext *s, const DecodedInsn *d,
                          uint64_t (*fn)(CPUX86State *, uint32_t), bool has_dest)
{
    IRv64 sel, r, fl, zf;

    if (!s->pe || s->vm86) {
        gen_illegal(s, false);
        return true;
    }
    sel = T64();
    r = T64();
    fl = T64();
    zf = T64();
    gen_load_operand(s, d, has_dest ? 1 : 0, sel, NULL);
    gen_compute_eflags(s, fl);
    IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IRT(r), ENV(s), IRT(sel));
    ir_shri_i64(s->f, zf, r, 32);
    if (has_dest) {
        IRv64 old = T64(), zero = T64(), val = T64();
        int reg = d->op[0].reg;
        unsigned ot = mo_from_size(d->opsize);

        gen_get_reg(s, MO_64, old, reg, false);
        if (ot == MO_16) {
            ir_deposit_i64(s->f, val, old, r, 0, 16);
        } else {
            ir_ext32u_i64(s->f, val, r);
        }
        ir_movi_i64(s->f, zero, 0);
        ir_movcond_i64(s->f, IR_COND_NE, val, zf, zero, val, old);
        gen_set_reg(s, MO_64, reg, false, val);
        FREE(old);
        FREE(zero);
        FREE(val);
    }
    ir_andi_i64(s->f, fl, fl, ~(uint64_t)X86_EFL_ZF);
    ir_shli_i64(s->f, zf, zf, 6); /* ZF is EFLAGS bit 6 */
    ir_or_i64(s->f, s->cc_src, fl, zf);
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(sel);
    FREE(r);
    FREE(fl);
    FREE(zf);
    return true;
}

TRANS(lar) { return gen_desc_test(s, d, helper_lar, true); }
TRANS(lsl) { return gen_desc_test(s, d, helper_lsl, true); }
TRANS(verr) { return gen_desc_test(s, d, helper_verr, false); }
TRANS(verw) { return gen_desc_test(s, d, helper_verw, false); }

/* ARPL: raise the destination selector's RPL to the source's; ZF says whether it did. */
TRANS(arpl)
{
    IRv64 dst, src, drpl, srpl, adj, fl;
    IRv64 la;

    if (!s->pe || s->vm86) {
        gen_illegal(s, false);
        return true;
    }
    dst = T64();
    src = T64();
    drpl = T64();
    srpl = T64();
    adj = T64();
    fl = T64();
    gen_load_operand(s, d, 0, dst, &la);
    gen_load_operand(s, d, 1, src, NULL);
    gen_compute_eflags(s, fl);
    ir_andi_i64(s->f, drpl, dst, 3);
    ir_andi_i64(s->f, srpl, src, 3);
    /* adj = 1 when DEST.RPL < SRC.RPL */
    ir_setcond_i64(s->f, IR_COND_LTU, adj, drpl, srpl);
    ir_movcond_i64(s->f, IR_COND_LTU, drpl, drpl, srpl, srpl, drpl);
    ir_andi_i64(s->f, dst, dst, ~(uint64_t)3);
    ir_or_i64(s->f, dst, dst, drpl);
    gen_store_operand(s, d, 0, dst, &la);
    ir_andi_i64(s->f, fl, fl, ~(uint64_t)X86_EFL_ZF);
    ir_shli_i64(s->f, adj, adj, 6);
    ir_or_i64(s->f, s->cc_src, fl, adj);
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(dst);
    FREE(src);
    FREE(drpl);
    FREE(srpl);
    FREE(adj);
    FREE(fl);
    return true;
}

TRANS(smsw)
{
    IRv64 v = T64();

    ir_ld_i64(s->f, v, ir_env(s->f), offsetof(CPUX86State, cr[0]));
    if (d->op[0].kind == X86_OPK_GPR) {
        gen_set_reg(s, mo_from_size(d->opsize), d->op[0].reg, false, v);
    } else {
        gen_st(s, MO_16, v, gen_lea_mem(s, d, 2));
    }
    FREE(v);
    return true;
}

static bool gen_void_helper(DisasContext *s, void (*fn)(CPUX86State *), bool priv,
                            bool end_block)
{
    if (!fn) {
        return false;
    }
    if (priv && !privileged(s)) {
        return true;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, fn, 0, IR_NO_TEMP, ENV(s));
    if (end_block) {
        s->is_jmp = DISAS_EOB_NEXT;
    }
    return true;
}

TRANS(clts) { (void)d; return gen_void_helper(s, helper_clts, true, true); }
TRANS(rdmsr) { (void)d; return gen_void_helper(s, helper_rdmsr, true, false); }
TRANS(wrmsr) { (void)d; return gen_void_helper(s, helper_wrmsr, true, true); }
TRANS(swapgs)
{
    (void)d;
    return gen_void_helper(s, helper_swapgs, true, false);
}

TRANS(wbinvd)
{
    (void)d;
    privileged(s);
    return true;
}

TRANS(invd)
{
    (void)d;
    privileged(s);
    return true;
}

TRANS(invlpg)
{
    IRv64 la;

    if (!helper_invlpg) {
        return false;
    }
    if (!privileged(s)) {
        return true;
    }
    la = gen_lea_mem(s, d, 0);
    IR_CALL(s->f, helper_invlpg, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(la));
    s->is_jmp = DISAS_EOB_NEXT;
    FREE(la);
    return true;
}

/* MOV to CRn/DRn: a privileged helper call that may change modes, so the block ends. */
static bool gen_mov_to_ctl(DisasContext *s, const DecodedInsn *d,
                           void (*fn)(CPUX86State *, uint32_t, uint64_t), bool sync_cc)
{
    IRv64 v;

    if (!fn) {
        return false;
    }
    if (!privileged(s)) {
        return true;
    }
    v = T64();
    gen_get_reg(s, s->code64 ? MO_64 : MO_32, v, d->op[1].reg, false);
    if (sync_cc) {
        gen_update_cc_op(s);
    }
    gen_update_eip_cur(s);
    IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            IRT(ir_const_i32(s->f, d->op[0].reg)), IRT(v));
    s->is_jmp = DISAS_EOB_NEXT;
    FREE(v);
    return true;
}

TRANS(mov_to_cr)
{
    return gen_mov_to_ctl(s, d, helper_write_cr, true);
}

TRANS(mov_from_cr)
{
    IRv64 v;
    int cr = d->op[1].reg;

    if (!privileged(s)) {
        return true;
    }
    v = T64();
    if (cr == 8) {
        if (!helper_read_cr) {
            FREE(v);
            return false;
        }
        IR_CALL(s->f, helper_read_cr, IR_CALL_NO_WRITE_GLOBALS, IRT(v), ENV(s),
                IRT(ir_const_i32(s->f, 8)));
    } else if (cr < 5) {
        ir_ld_i64(s->f, v, ir_env(s->f), offsetof(CPUX86State, cr[0]) + cr * 8);
    } else {
        FREE(v);
        gen_illegal(s, false);
        return true;
    }
    gen_set_reg(s, s->code64 ? MO_64 : MO_32, d->op[0].reg, false, v);
    FREE(v);
    return true;
}

TRANS(mov_to_dr)
{
    return gen_mov_to_ctl(s, d, helper_write_dr, false);
}

TRANS(mov_from_dr)
{
    IRv64 v;

    if (!helper_read_dr) {
        return false;
    }
    if (!privileged(s)) {
        return true;
    }
    v = T64();
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_read_dr, IR_CALL_NO_WRITE_GLOBALS, IRT(v), ENV(s),
            IRT(ir_const_i32(s->f, d->op[1].reg)));
    gen_set_reg(s, s->code64 ? MO_64 : MO_32, d->op[0].reg, false, v);
    FREE(v);
    return true;
}

TRANS(syscall)
{
    if (!helper_syscall) {
        return false;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_syscall, 0, IR_NO_TEMP, ENV(s),
            IRT(ir_const_i32(s->f, (uint32_t)(s->next_eip - s->eip))));
    s->cc_op = CC_OP_DYNAMIC;
    s->is_jmp = DISAS_EOB_ONLY;
    return true;
}

TRANS(sysret)
{
    if (!helper_sysret) {
        return false;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_sysret, 0, IR_NO_TEMP, ENV(s),
            IRT(ir_const_i32(s->f, mo_from_size(d->opsize) - 1)));
    s->cc_op = CC_OP_DYNAMIC;
    s->is_jmp = DISAS_EOB_ONLY;
    return true;
}

TRANS(sysenter)
{
    (void)d;
    if (!helper_sysenter) {
        return false;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_sysenter, 0, IR_NO_TEMP, ENV(s));
    s->cc_op = CC_OP_DYNAMIC;
    s->is_jmp = DISAS_EOB_ONLY;
    return true;
}

TRANS(sysexit)
{
    if (!helper_sysexit) {
        return false;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_sysexit, 0, IR_NO_TEMP, ENV(s),
            IRT(ir_const_i32(s->f, mo_from_size(d->opsize) - 1)));
    s->cc_op = CC_OP_DYNAMIC;
    s->is_jmp = DISAS_EOB_ONLY;
    return true;
}
