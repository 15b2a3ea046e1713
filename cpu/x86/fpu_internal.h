/*
 * Internals shared by the x87 helper files (fpu_helper.c, fpu_helper_ldst.c).
 */
#ifndef CPU_X86_FPU_INTERNAL_H
#define CPU_X86_FPU_INTERNAL_H

#include "cpu/x86/fpu_helper.h"

#define X87_PHYS(env, i) (((env)->fpstt + (i)) & 7)
#define X87_ST(env, i) (&(env)->fpregs[X87_PHYS(env, i)].d)
#define X87_EMPTY(env, i) ((env)->fptags[X87_PHYS(env, i)] != 0)

void x87_raise(CPUX86State *env, unsigned flags);
FloatStatus *x87_begin(CPUX86State *env);
bool x87_finish(CPUX86State *env);
bool x87_stack_fault(CPUX86State *env, bool overflow);
void x87_push(CPUX86State *env, floatx80 v);
void x87_pop(CPUX86State *env);
bool x87_push_check(CPUX86State *env, bool *masked);
floatx80 x87_arith(unsigned op, floatx80 a, floatx80 b, FloatStatus *s);
void x87_compare_st0(CPUX86State *env, floatx80 b, bool quiet, unsigned pops, unsigned pre);

static inline uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ld32(const uint8_t *p)
{
    return ld16(p) | (uint32_t)ld16(p + 2) << 16;
}

static inline uint64_t ld64(const uint8_t *p)
{
    return ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static inline void st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void st32(uint8_t *p, uint32_t v)
{
    st16(p, (uint16_t)v);
    st16(p + 2, (uint16_t)(v >> 16));
}

static inline void st64(uint8_t *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}

#endif
