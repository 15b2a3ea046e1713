/*
 * Integer slow paths of the x86 translator (int_helper.c): division with
 * #DE, the BCD adjustments, rotates through carry, double shifts, and
 * CMPXCHG8B/16B.  Helpers taking env read and write guest registers there,
 * so they are called with no IR_CALL_NO_* flags.
 */
#ifndef CPU_X86_INT_HELPER_H
#define CPU_X86_INT_HELPER_H

#include "cpu/x86/cpu.h"

/* DIV/IDIV r/m of size ot (MO_8..MO_64): rDX:rAX / v, #DE on zero or overflow. */
void helper_div(CPUX86State *env, uint64_t v, uint32_t ot);
void helper_idiv(CPUX86State *env, uint64_t v, uint32_t ot);
/* CMPXCHG8B/16B m at linear address laddr (16B: #GP unless 16-byte aligned). */
void helper_cmpxchg8b(CPUX86State *env, uint64_t laddr);
void helper_cmpxchg16b(CPUX86State *env, uint64_t laddr);
/* BCD: operate on AL/AH and the flags (cc_op must be in env). */
void helper_daa(CPUX86State *env);
void helper_das(CPUX86State *env);
void helper_aaa(CPUX86State *env);
void helper_aas(CPUX86State *env);
void helper_aam(CPUX86State *env, uint32_t base); /* #DE for base 0 */
void helper_aad(CPUX86State *env, uint32_t base);
/* RCL/RCR: result, and the new status flags (pure). */
uint64_t helper_rcl(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot);
uint64_t helper_rcr(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot);
uint64_t helper_rcl_flags(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot);
uint64_t helper_rcr_flags(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot);
/* SHLD/SHRD by an already-masked count 0..63 (pure). */
uint64_t helper_shld(uint64_t a, uint64_t b, uint64_t count, uint32_t ot);
uint64_t helper_shrd(uint64_t a, uint64_t b, uint64_t count, uint32_t ot);

#endif
