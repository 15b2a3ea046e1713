/*
 * What translate-sse.c and translate-mmx.c share: the #UD/#NM/#MF checks of the SIMD
 * instruction classes, the MMX state transition, and moving 4/8/16-byte operands between
 * guest memory and env (registers, or env->simd_tmp for a memory source).
 *
 * Operands are handled as env offsets at translation time: an XMM or MMX register is the
 * offset of env->xmm[i] / env->fpregs[i].mmx, a memory source is loaded into simd_tmp and
 * becomes simd_tmp's offset.  Helpers get env + offset as pointers (sse_helper.h).
 *
 * Reference: SDM vol. 1, 9.6.1 and 11.6.2 (CR0.EM/TS, CR4.OSFXSR), 9.5.1 (MMX registers
 * alias the x87 significands; writing one sets its exponent to all ones), vol. 3A 13.1 and
 * the exception tables 22-x of vol. 3B for the class of each instruction.
 */
#ifndef CPU_X86_TRANSLATE_SIMD_H
#define CPU_X86_TRANSLATE_SIMD_H

#include <stddef.h>

#include "cpu/x86/translate.h"

/* Exception class of an instruction (which of the checks below apply). */
typedef enum SimdClass {
    SIMD_MMX,      /* MMX register instruction: #UD on EM, #NM on TS, #MF; transition */
    SIMD_SSE,      /* XMM only: #UD on EM or !OSFXSR, #NM on TS */
    SIMD_SSE_MMX,  /* XMM and MMX (CVTPI2PS, MOVQ2DQ ...): SSE checks, #MF; transition */
} SimdClass;

static inline intptr_t simd_xmm_off(unsigned r)
{
    return (intptr_t)offsetof(CPUX86State, xmm) + (intptr_t)((r & 15) * sizeof(XMMReg));
}

static inline intptr_t simd_mmx_off(unsigned r)
{
    return (intptr_t)offsetof(CPUX86State, fpregs) + (intptr_t)((r & 7) * sizeof(FPReg));
}

#define SIMD_TMP_OFF ((intptr_t)offsetof(CPUX86State, simd_tmp))

/*
 * The checks of class cls for the current instruction (at translation time from the TB
 * flags, plus the #MF helper call for MMX).  False when the instruction ends in an
 * exception: the caller then returns true without emitting anything else.
 */
bool simd_begin(DisasContext *s, SimdClass cls);
/* x87 -> MMX transition (TOP = 0, all tags valid); after every access that can fault. */
void simd_enter_mmx(DisasContext *s);
/* MMX register r was written: its exponent/sign field becomes all ones. */
void simd_mmx_written(DisasContext *s, unsigned r);

/* env + off as a pointer temp (the caller frees it). */
IRvPtr simd_ptr(DisasContext *s, intptr_t off);
/* Copy size (4, 8 or 16) bytes inside env; zero size bytes at off. */
void simd_copy(DisasContext *s, intptr_t dst, intptr_t src, unsigned size);
void simd_zero(DisasContext *s, intptr_t off, unsigned size);

/*
 * Linear address of the memory operand for a size-byte access, with the #GP(0) of a
 * misaligned 16-byte operand when the row requires alignment (X86_A_ALN).
 */
IRv64 simd_mem_addr(DisasContext *s, const DecodedInsn *d, unsigned size);
/* size bytes (4, 8 or 16) between guest memory at la and env + off. */
void simd_ld_mem(DisasContext *s, IRv64 la, unsigned size, intptr_t off);
void simd_st_mem(DisasContext *s, IRv64 la, unsigned size, intptr_t off);

/* env offset of register operand n (XMM or MMX); -1 for other kinds. */
intptr_t simd_reg_off(const DecodedInsn *d, int n);
/*
 * Operand n as a source: a register's env offset, or for memory the operand (its row
 * size, alignment checked) loaded into simd_tmp and SIMD_TMP_OFF.
 */
intptr_t simd_src_off(DisasContext *s, const DecodedInsn *d, int n);

/*
 * Helper calls on env pointers: fn(env, env + d_off, env + s_off [, imm]).  may_fault:
 * the helper can raise (#XM, #GP), so it must see the globals synced.
 */
void simd_call2(DisasContext *s, IRHelper fn, intptr_t d_off, intptr_t s_off, bool may_fault);
void simd_call2i(DisasContext *s, IRHelper fn, intptr_t d_off, intptr_t s_off, uint32_t imm,
                 bool may_fault);

/*
 * Whole-register moves between XMM registers and memory (MOVAPS, MOVDQU, LDDQU, MOVNTDQ
 * ...): alignment per the row.  False if neither operand is a register.
 */
bool simd_gen_mov128(DisasContext *s, const DecodedInsn *d);

/* True when operand n is an MMX register. */
static inline bool simd_is_mmx(const DecodedInsn *d, int n)
{
    return d->op[n].kind == X86_OPK_MMX;
}

#endif
