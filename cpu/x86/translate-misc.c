/*
 * Translation of the remaining application instructions: flag operations
 * (CLC/STC/CMC/CLD/STD/LAHF/SAHF/SALC), BCD adjustments, NOP and hints,
 * XLAT, BOUND, UD, and the environment instructions that go through the
 * system helpers: HLT, IN/OUT, CLI/STI, CPUID, RDTSC/RDTSCP/RDPMC, fences.
 * SDM vol. 2 for each.
 */
#include "cpu/x86/translate.h"
#include "cpu/x86/int_helper.h"

#pragma weak helper_cpuid
#pragma weak helper_rdtsc
#pragma weak helper_rdtscp
#pragma weak helper_rdpmc
#pragma weak helper_check_io
#pragma weak helper_cli
#pragma weak helper_sti

#define T64() ir_temp_i64(s->f)
#define FREE(t) ir_temp_free(s->f, IRT(t))

/* ---- flags ---- */

/* cc_src = (status flags & keep) | set, toggling 'flip'. */
static void gen_edit_flags(DisasContext *s, uint64_t clear, uint64_t set, uint64_t flip)
{
    IRv64 fl = T64();

    gen_compute_eflags(s, fl);
    ir_andi_i64(s->f, fl, fl, ~clear);
    if (set) {
        ir_ori_i64(s->f, fl, fl, set);
    }
    if (flip) {
        ir_xori_i64(s->f, fl, fl, flip);
    }
    ir_mov_i64(s->f, s->cc_src, fl);
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(fl);
}

TRANS(clc) { gen_edit_flags(s, X86_EFL_CF, 0, 0); return true; }
TRANS(stc) { gen_edit_flags(s, 0, X86_EFL_CF, 0); return true; }
TRANS(cmc) { gen_edit_flags(s, 0, 0, X86_EFL_CF); return true; }

TRANS(cld)
{
    ir_movi_i64(s->f, s->df, 1);
    return true;
}

TRANS(std)
{
    ir_movi_i64(s->f, s->df, (uint64_t)-1);
    return true;
}

TRANS(lahf)
{
    IRv64 fl = T64();

    gen_compute_eflags(s, fl);
    ir_ori_i64(s->f, fl, fl, 2);
    gen_set_reg(s, MO_8, R_ESP /* AH */, true, fl);
    FREE(fl);
    return true;
}

TRANS(sahf)
{
    IRv64 fl = T64(), ah = T64();
    uint64_t m = X86_EFL_SF | X86_EFL_ZF | X86_EFL_AF | X86_EFL_PF | X86_EFL_CF;

    gen_compute_eflags(s, fl);
    gen_get_reg(s, MO_8, ah, R_ESP, true);
    ir_andi_i64(s->f, ah, ah, m);
    ir_andi_i64(s->f, fl, fl, X86_EFL_OF);
    ir_or_i64(s->f, s->cc_src, fl, ah);
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(fl);
    FREE(ah);
    return true;
}

TRANS(salc)
{
    IRv64 c = T64();

    gen_compute_c(s, c);
    ir_neg_i64(s->f, c, c);
    gen_set_reg(s, MO_8, R_EAX, false, c);
    FREE(c);
    return true;
}

/* ---- BCD ---- */

static bool gen_bcd(DisasContext *s, IRHelper fn, int base)
{
    gen_update_cc_op(s);
    if (base >= 0) {
        ir_call(s->f, fn, 0, IR_NO_TEMP, 2,
                (IRTemp[]){ENV(s), IRT(ir_const_i32(s->f, (uint32_t)base))});
    } else {
        ir_call(s->f, fn, 0, IR_NO_TEMP, 1, (IRTemp[]){ENV(s)});
    }
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
    return true;
}

TRANS(daa) { return gen_bcd(s, (IRHelper)helper_daa, -1); }
TRANS(das) { return gen_bcd(s, (IRHelper)helper_das, -1); }
TRANS(aaa) { return gen_bcd(s, (IRHelper)helper_aaa, -1); }
TRANS(aas) { return gen_bcd(s, (IRHelper)helper_aas, -1); }
TRANS(aam) { return gen_bcd(s, (IRHelper)helper_aam, (int)(d->op[0].imm & 0xff)); }
TRANS(aad) { return gen_bcd(s, (IRHelper)helper_aad, (int)(d->op[0].imm & 0xff)); }

/* ---- no-ops and hints ---- */

TRANS(nop) { (void)s; (void)d; return true; }
TRANS(pause) { (void)s; (void)d; return true; }
TRANS(fence) { ir_mb(s->f, 0); (void)d; return true; }
TRANS(prefetch) { (void)s; (void)d; return true; }
TRANS(clflush) { (void)s; (void)d; return true; }
/* FWAIT checks for pending unmasked x87 exceptions (#MF); translate-x87.c owns the check. */
bool x87_gen_fwait(DisasContext *s, const DecodedInsn *d);
TRANS(fwait) { return x87_gen_fwait(s, d); }

TRANS(ud)
{
    (void)d;
    gen_illegal(s, false);
    return true;
}

TRANS(xlat)
{
    IRv64 off = T64(), al = T64(), la;

    gen_get_reg(s, MO_8, al, R_EAX, false);
    ir_add_i64(s->f, off, s->regs[R_EBX], al);
    gen_extu(s, mo_from_size(d->addrsize), off);
    la = gen_linear(s, d->mem.seg, off, 1);
    gen_ld(s, MO_8, al, la);
    gen_set_reg(s, MO_8, R_EAX, false, al);
    FREE(off);
    FREE(al);
    FREE(la);
    return true;
}

TRANS(bound)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 la = gen_lea_mem(s, d, 2u << ot);
    IRv64 lo = T64(), hi = T64(), idx = T64(), bad = T64(), t = T64();
    IRLabel ok = ir_label_new(s->f);

    gen_lds(s, ot, lo, la);
    ir_addi_i64(s->f, la, la, 1u << ot);
    ir_ext32u_i64(s->f, la, la);
    gen_lds(s, ot, hi, la);
    gen_get_reg(s, ot, idx, d->op[0].reg, false);
    gen_exts(s, ot, idx);
    ir_setcond_i64(s->f, IR_COND_LT, bad, idx, lo);
    ir_setcond_i64(s->f, IR_COND_GT, t, idx, hi);
    ir_or_i64(s->f, bad, bad, t);
    gen_update_cc_op(s);
    ir_brcondi_i64(s->f, IR_COND_EQ, bad, 0, ok);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_raise_exception, 0, IR_NO_TEMP, ENV(s),
            IRT(ir_const_i32(s->f, EXCP_BR)), IRT(ir_const_i32(s->f, (uint32_t)-1)));
    ir_set_label(s->f, ok);
    FREE(la);
    FREE(lo);
    FREE(hi);
    FREE(idx);
    FREE(bad);
    FREE(t);
    return true;
}

/* ---- environment instructions ---- */

static bool need_cpl0(DisasContext *s)
{
    if (s->pe && s->cpl != 0) {
        gen_exception_err(s, EXCP_GP, 0);
        return false;
    }
    return true;
}

static void helper_tcg_halt(CPUX86State *env)
{
    env->halted = true;
}

TRANS(hlt)
{
    (void)d;
    if (!need_cpl0(s)) {
        return true;
    }
    gen_update_cc_op(s);
    gen_update_eip_next(s);
    IR_CALL(s->f, helper_tcg_halt, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
            IR_NO_TEMP, ENV(s));
    s->is_jmp = DISAS_EOB_ONLY;
    return true;
}

/* Port of IN/OUT: immediate or DX. */
static void gen_port(DisasContext *s, const DecodedInsn *d, int n, IRv64 port)
{
    if (d->op[n].kind == X86_OPK_IMM) {
        ir_movi_i64(s->f, port, d->op[n].imm & 0xff);
    } else {
        gen_get_reg(s, MO_16, port, R_EDX, false);
    }
}

static bool gen_io_allowed(DisasContext *s, IRv64 port, unsigned ot)
{
    if (s->pe && (s->cpl > s->iopl || s->vm86)) {
        if (!helper_check_io) {
            return false;
        }
        IR_CALL(s->f, helper_check_io, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
                IRT(port), IRT(ir_const_i32(s->f, 1u << ot)));
    }
    return true;
}

TRANS(in)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 port = T64(), v = T64();
    bool ok;

    gen_port(s, d, 1, port);
    ok = gen_io_allowed(s, port, ot);
    if (ok) {
        IR_CALL(s->f, x86_io_read, 0, IRT(v), ENV(s), IRT(port),
                IRT(ir_const_i32(s->f, 1u << ot)));
        gen_set_reg(s, ot, R_EAX, false, v);
    }
    FREE(port);
    FREE(v);
    return ok;
}

TRANS(out)
{
    unsigned ot = gen_op_ot(d, 1);
    IRv64 port = T64(), v = T64();
    bool ok;

    gen_port(s, d, 0, port);
    ok = gen_io_allowed(s, port, ot);
    if (ok) {
        gen_get_reg(s, ot, v, R_EAX, false);
        IR_CALL(s->f, x86_io_write, 0, IR_NO_TEMP, ENV(s), IRT(port),
                IRT(ir_const_i32(s->f, 1u << ot)), IRT(v));
        /* A device may have raised an interrupt or changed the memory map. */
        s->is_jmp = DISAS_EOB_NEXT;
    }
    FREE(port);
    FREE(v);
    return ok;
}

/* CLI/STI: inline when CPL <= IOPL outside v86 mode (or in real mode). */
static bool gen_cli_sti(DisasContext *s, bool set)
{
    if (s->pe && (s->vm86 || s->cpl > s->iopl)) {
        void (*fn)(CPUX86State *) = set ? helper_sti : helper_cli;
        if (!fn) {
            return false;
        }
        IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
    } else {
        IRv64 fl = T64();
        ir_ld_i64(s->f, fl, ir_env(s->f), offsetof(CPUX86State, eflags));
        if (set) {
            ir_ori_i64(s->f, fl, fl, X86_EFL_IF);
        } else {
            ir_andi_i64(s->f, fl, fl, ~(uint64_t)X86_EFL_IF);
        }
        ir_st_i64(s->f, fl, ir_env(s->f), offsetof(CPUX86State, eflags));
        FREE(fl);
    }
    if (set) {
        /* Interrupts stay blocked until after the next instruction. */
        IR_CALL(s->f, helper_set_inhibit_irq, IR_CALL_NO_READ_GLOBALS |
                IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
        s->is_jmp = DISAS_EOB_NEXT;
    }
    return true;
}

TRANS(cli) { (void)d; return gen_cli_sti(s, false); }
TRANS(sti) { (void)d; return gen_cli_sti(s, true); }

static bool gen_env_helper(DisasContext *s, void (*fn)(CPUX86State *))
{
    if (!fn) {
        return false;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, fn, 0, IR_NO_TEMP, ENV(s));
    return true;
}

TRANS(cpuid) { (void)d; return gen_env_helper(s, helper_cpuid); }
TRANS(rdtsc) { (void)d; return gen_env_helper(s, helper_rdtsc); }
TRANS(rdtscp) { (void)d; return gen_env_helper(s, helper_rdtscp); }
TRANS(rdpmc) { (void)d; return gen_env_helper(s, helper_rdpmc); }
