/*
 * Lazy condition codes of the x86 translator (see cpu.h for the convention).
 *
 * cc_op names the last flag-setting operation; cc_dst/cc_src/cc_src2 hold
 * what the flags are computed from.  The sized ops are CC_OP_<op>B + size
 * (MO_8..MO_64 in the low two bits):
 *
 *   EFLAGS  cc_src = the status flags, in EFLAGS bit positions
 *   MUL     cc_dst = low half of the product, cc_src = non-zero iff CF=OF=1
 *   ADD     cc_dst = result, cc_src = second operand
 *   ADC     cc_dst = result, cc_src = second operand, cc_src2 = carry in
 *   SUB     cc_dst = result, cc_src = subtrahend (CMP, NEG: 0 - x)
 *   SBB     cc_dst = result, cc_src = subtrahend, cc_src2 = borrow in
 *   LOGIC   cc_dst = result (CF = OF = AF = 0)
 *   INC/DEC cc_dst = result, cc_src = CF before the instruction (kept)
 *   SHL     cc_dst = result, cc_src = operand shifted by count - 1 (CF = its MSB)
 *   SAR     cc_dst = result, cc_src = operand shifted by count - 1 (CF = its LSB);
 *           also SHR.  OF = MSB(dst ^ src) for SHL, SHR and SAR, which is
 *           the SDM's definition for a count of 1.
 *   BMILG   cc_dst = ZF source (result), cc_src = CF source (zero: CF = 1)
 *           used by TZCNT/LZCNT-style ops: ZF = (dst == 0), CF = (src == 0)
 *
 * AF is undefined for shifts and logic; we report 0.
 */
#ifndef CPU_X86_CC_H
#define CPU_X86_CC_H

#include "cpu/x86/cpu.h"

enum {
    /* CC_OP_EFLAGS = 0 is in cpu.h */
    CC_OP_MULB = 4,
    CC_OP_ADDB = 8,
    CC_OP_ADCB = 12,
    CC_OP_SUBB = 16,
    CC_OP_SBBB = 20,
    CC_OP_LOGICB = 24,
    CC_OP_INCB = 28,
    CC_OP_DECB = 32,
    CC_OP_SHLB = 36,
    CC_OP_SARB = 40,
    CC_OP_BMILGB = 44,
    CC_OP_NB = 48,
};

#define CC_OP_SIZE(op) ((op) & 3)
#define CC_OP_KIND(op) ((op) & ~3)

/* Status flags / CF for a lazy state (pure functions: no env access). */
uint64_t cc_compute_all(uint64_t dst, uint64_t src, uint64_t src2, int op);
uint64_t cc_compute_c(uint64_t dst, uint64_t src, uint64_t src2, int op);

/* IR helpers (pure). */
uint64_t helper_cc_compute_all(uint64_t dst, uint64_t src, uint64_t src2, uint32_t op);
uint64_t helper_cc_compute_c(uint64_t dst, uint64_t src, uint64_t src2, uint32_t op);

#endif
