/*
 * Intel-syntax disassembler built on the table-driven decoder.  The output
 * follows GNU objdump -M intel closely (operand order, "DWORD PTR", hex
 * immediates masked to the operand size, "rep"/"lock" prefixes) so that a
 * `-d in_asm` log reads like an objdump listing.  Known differences: A0-A3
 * and B8+r with a 64-bit immediate print as "mov", not "movabs"; unused
 * 66/67/REX prefixes are not shown.
 */
#include "cpu/x86/disas.h"

#include <inttypes.h>

typedef struct Out {
    char *buf;
    size_t size, len;
} Out;

static void out_str(Out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n >= o->size) {
        n = o->size > o->len + 1 ? o->size - o->len - 1 : 0;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = 0;
}

static void PRINTF_FMT(2, 3) out_fmt(Out *o, const char *fmt, ...)
{
    char tmp[96];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    out_str(o, tmp);
}

static const char *const gpr64[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const gpr32[16] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};
static const char *const gpr16[16] = {
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
};
static const char *const gpr8[16] = {
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
};
static const char *const gpr8_high[4] = { "ah", "ch", "dh", "bh" };
static const char *const seg_names[8] = { "es", "cs", "ss", "ds", "fs", "gs", "?", "?" };

static const char *gpr_name(unsigned reg, unsigned size, bool high8)
{
    reg &= 15;
    switch (size) {
    case 1: return high8 ? gpr8_high[reg & 3] : gpr8[reg];
    case 2: return gpr16[reg];
    case 8: return gpr64[reg];
    default: return gpr32[reg];
    }
}

static const char *size_keyword(unsigned size, unsigned form)
{
    switch (form) {
    case X86_OPF_M: case X86_OPF_Ms: case X86_OPF_m14_28: case X86_OPF_m94_108:
    case X86_OPF_m512:
        return NULL;
    default:
        break;
    }
    switch (size) {
    case 1: return "BYTE";
    case 2: return "WORD";
    case 4: return "DWORD";
    case 6: return "FWORD";
    case 8: return "QWORD";
    case 10: return "TBYTE";
    case 16: return "XMMWORD";
    default: return NULL;
    }
}

static void out_disp(Out *o, int64_t disp, unsigned addrsize, bool signed_form)
{
    uint64_t mask = addrsize == 2 ? 0xffff : addrsize == 4 ? 0xffffffffu : ~0ull;
    if (signed_form && disp < 0) {
        out_fmt(o, "-0x%" PRIx64, (uint64_t)-disp & mask);
    } else {
        out_fmt(o, "%s0x%" PRIx64, signed_form ? "+" : "", (uint64_t)disp & mask);
    }
}

/* The ModRM/moffs memory operand: "DWORD PTR fs:[rax+rbx*4+0x10]". */
static void out_mem(Out *o, const DecodedInsn *d, const X86Operand *op)
{
    const X86MemRef *m = &d->mem;
    const char *kw = x86_opform_class(op->form) == X86_OPC_O ? NULL :
                     size_keyword(op->size, op->form);
    bool has_disp = (d->has_modrm && (d->mod == 1 || d->mod == 2)) ||
                    (m->base == X86_REG_NONE) || m->base == X86_REG_RIP;

    if (kw) {
        out_fmt(o, "%s PTR ", kw);
    }
    if (m->base == X86_REG_NONE && m->index == X86_REG_NONE) {
        /* Absolute address: objdump always names the segment. */
        out_fmt(o, "%s:", seg_names[m->seg & 7]);
        out_disp(o, m->disp, d->addrsize, false);
        return;
    }
    /* An override that applies (in 64-bit mode only FS and GS do) shows as "fs:[...]" */
    if (d->mode == X86_MODE_LONG64 ? m->seg >= X86_SEG_FS : d->seg_override != X86_SEG_NONE) {
        out_fmt(o, "%s:", seg_names[m->seg & 7]);
    }
    out_str(o, "[");
    if (m->base == X86_REG_RIP) {
        out_str(o, d->addrsize == 4 ? "eip" : "rip");
    } else if (m->base != X86_REG_NONE) {
        out_str(o, gpr_name(m->base, d->addrsize, false));
    }
    if (m->index != X86_REG_NONE) {
        if (m->base != X86_REG_NONE) {
            out_str(o, "+");
        }
        out_str(o, gpr_name(m->index, d->addrsize, false));
        if (d->addrsize != 2) {
            out_fmt(o, "*%u", m->scale);
        }
    }
    if (has_disp) {
        out_disp(o, m->disp, d->addrsize, true);
    }
    out_str(o, "]");
}

static void out_string_op(Out *o, const DecodedInsn *d, const X86Operand *op)
{
    const char *kw = size_keyword(op->size, op->form);
    out_fmt(o, "%s PTR %s:[%s]", kw ? kw : "BYTE", seg_names[op->seg & 7],
            gpr_name(op->reg, d->addrsize, false));
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void out_operand(Out *o, const DecodedInsn *d, unsigned i)
{
    const X86Operand *op = &d->op[i];

    switch (op->kind) {
    case X86_OPK_GPR:
        out_str(o, gpr_name(op->reg, op->size, op->high8));
        break;
    case X86_OPK_SEG:
        out_str(o, seg_names[op->reg & 7]);
        break;
    case X86_OPK_CR:
        out_fmt(o, "cr%u", op->reg);
        break;
    case X86_OPK_DR:
        out_fmt(o, "dr%u", op->reg);
        break;
    case X86_OPK_MMX:
        out_fmt(o, "mm%u", op->reg);
        break;
    case X86_OPK_XMM:
        out_fmt(o, "xmm%u", op->reg);
        break;
    case X86_OPK_ST:
        if (op->form == X86_OPF_ST0) {
            out_str(o, "st");
        } else {
            out_fmt(o, "st(%u)", op->reg);
        }
        break;
    case X86_OPK_MEM:
        out_mem(o, d, op);
        break;
    case X86_OPK_IMM:
        if (op->form == X86_OPF_I1) {
            out_str(o, "1");
        } else if (x86_opform_class(op->form) == X86_OPC_IS) {
            /* Sign-extended immediates show at the width they are used. */
            unsigned w = (i > 0 && d->op[0].size && d->op[0].kind != X86_OPK_SEG) ?
                         d->op[0].size : d->opsize;
            out_fmt(o, "0x%" PRIx64, op->imm & size_mask(w));
        } else {
            out_fmt(o, "0x%" PRIx64, op->imm);
        }
        break;
    case X86_OPK_REL:
        out_fmt(o, "0x%" PRIx64, op->imm);
        break;
    case X86_OPK_FAR:
        out_fmt(o, "0x%x:0x%" PRIx64, op->sel, op->imm);
        break;
    case X86_OPK_STR:
        out_string_op(o, d, op);
        break;
    default:
        out_str(o, "?");
        break;
    }
}

/* CMPPS/CMPPD/CMPSS/CMPSD with a predicate 0-7 print as a pseudo-op. */
static bool cmp_pseudo_op(const DecodedInsn *d, char *mnem, size_t size)
{
    static const char *const preds[8] = {
        "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord",
    };
    const char *sfx;

    switch (d->id) {
    case XI_CMPPS_VpsWpsIb: sfx = "ps"; break;
    case XI_CMPPD_VpdWpdIb: sfx = "pd"; break;
    case XI_CMPSS_VssWssIb: sfx = "ss"; break;
    case XI_CMPSD_VsdWsdIb: sfx = "sd"; break;
    default: return false;
    }
    if (d->op[2].imm >= 8) {
        return false;
    }
    snprintf(mnem, size, "cmp%s%s", preds[d->op[2].imm], sfx);
    return true;
}

const char *x86_disas_format(const DecodedInsn *d, char *buf, size_t size)
{
    const X86InsnInfo *info = x86_insn_info(d->id);
    Out o = { buf, size, 0 };
    char mnem[32];
    unsigned nops = d->nops;

    if (size == 0) {
        return buf;
    }
    buf[0] = 0;
    if (d->status != X86_DEC_OK) {
        out_str(&o, "(bad)");
        return buf;
    }
    if (d->prefixes & X86_PFX_LOCK) {
        out_str(&o, "lock ");
    }
    if ((d->prefixes & (X86_PFX_REPE | X86_PFX_REPNE)) && !(d->prefixes & X86_PFX_MPREP)) {
        bool f3 = d->rep ? d->rep == X86_REP_REPE : (d->prefixes & X86_PFX_REPE);
        if (info->attrs & X86_A_REP) {
            out_str(&o, f3 ? "rep " : "repnz ");
        } else {
            out_str(&o, f3 ? "repz " : "repnz ");
        }
    }
    if (cmp_pseudo_op(d, mnem, sizeof(mnem))) {
        nops = 2;
    } else {
        x86_insn_mnemonic(d, mnem, sizeof(mnem));
    }
    out_str(&o, mnem);
    if (nops == 0 && d->id != XI_XLAT) {
        return buf;
    }
    /* objdump pads the prefixes and mnemonic to six columns, then one space */
    while (o.len < 6 && o.len + 1 < size) {
        out_str(&o, " ");
    }
    out_str(&o, " ");
    if (d->id == XI_XLAT) {
        out_fmt(&o, "BYTE PTR %s:[%s]", seg_names[d->mem.seg & 7],
                gpr_name(3, d->addrsize, false));
        return buf;
    }
    for (unsigned i = 0; i < nops; i++) {
        if (i) {
            out_str(&o, ",");
        }
        out_operand(&o, d, i);
    }
    if (d->has_mem && d->mem.base == X86_REG_RIP) {
        out_fmt(&o, "        # 0x%" PRIx64, x86_rip_relative(d));
    }
    return buf;
}

int x86_disas_one(const X86DecodeCtx *ctx, uint64_t ip, char *buf, size_t size)
{
    DecodedInsn d;

    x86_decode(&d, ctx, ip);
    if (d.status == X86_DEC_FETCH || d.status == X86_DEC_GP) {
        snprintf(buf, size, "(bad)");
        return 0;
    }
    x86_disas_format(&d, buf, size);
    return d.len ? d.len : 1;
}

size_t x86_disas_block(FILE *f, const X86DecodeCtx *ctx, uint64_t ip, size_t len)
{
    size_t done = 0;

    while (done < len) {
        DecodedInsn d;
        char text[160], hex[3 * X86_MAX_INSN_LEN + 1];
        unsigned n;

        x86_decode(&d, ctx, ip + done);
        if (d.status == X86_DEC_FETCH) {
            fprintf(f, "0x%08" PRIx64 ":  (fetch fault)\n", ip + done);
            break;
        }
        n = d.len ? d.len : 1;
        x86_disas_format(&d, text, sizeof(text));
        for (unsigned i = 0; i < n && i < X86_MAX_INSN_LEN; i++) {
            snprintf(hex + 3 * i, 4, "%02x ", d.bytes[i]);
        }
        hex[3 * MIN(n, X86_MAX_INSN_LEN)] = 0;
        fprintf(f, "0x%08" PRIx64 ":  %-24s %s\n", ip + done, hex, text);
        done += n;
    }
    return done;
}
