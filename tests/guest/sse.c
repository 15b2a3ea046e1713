/*
 * guest-bits: 32
 * SSE exception flags in MXCSR with every exception masked (SDM vol. 1, 11.5.2): invalid,
 * divide-by-zero, overflow, underflow, precision, each with its masked result; flags are
 * sticky; DAZ and FTZ. The denormal-operand flag is in sse_de32, #XM in sse_xm32.
 */
#include "guest.h"

#define IE 0x01u
#define DE 0x02u
#define ZE 0x04u
#define OE 0x08u
#define UE 0x10u
#define PE 0x20u
#define MASKED 0x1f80u
#define DAZ 0x40u
#define FTZ 0x8000u

enum { OP_ADD, OP_MUL, OP_DIV, OP_SQRT };

static uint32_t run_op(int op, uint32_t mxcsr_in, uint32_t a, uint32_t b, uint32_t *flags)
{
    uint32_t r, mx = mxcsr_in;
    switch (op) {
    case OP_ADD:
        asm volatile("ldmxcsr %2; movd %3, %%xmm0; movd %4, %%xmm1; addss %%xmm1, %%xmm0;"
                     "movd %%xmm0, %0; stmxcsr %1" : "=r"(r), "=m"(mx) : "m"(mx), "r"(a), "r"(b));
        break;
    case OP_MUL:
        asm volatile("ldmxcsr %2; movd %3, %%xmm0; movd %4, %%xmm1; mulss %%xmm1, %%xmm0;"
                     "movd %%xmm0, %0; stmxcsr %1" : "=r"(r), "=m"(mx) : "m"(mx), "r"(a), "r"(b));
        break;
    case OP_DIV:
        asm volatile("ldmxcsr %2; movd %3, %%xmm0; movd %4, %%xmm1; divss %%xmm1, %%xmm0;"
                     "movd %%xmm0, %0; stmxcsr %1" : "=r"(r), "=m"(mx) : "m"(mx), "r"(a), "r"(b));
        break;
    default:
        asm volatile("ldmxcsr %2; movd %3, %%xmm1; sqrtss %%xmm1, %%xmm0;"
                     "movd %%xmm0, %0; stmxcsr %1" : "=r"(r), "=m"(mx) : "m"(mx), "r"(a));
        break;
    }
    *flags = mx & 0x3f;
    return r;
}

static void one(const char *what, int op, uint32_t mx, uint32_t a, uint32_t b, uint32_t want,
                uint32_t want_flags)
{
    uint32_t flags, r = run_op(op, mx, a, b, &flags);
    check(r == want && flags == want_flags,
          "%s: result 0x%08x flags 0x%02x, want 0x%08x flags 0x%02x", what, r, flags, want,
          want_flags);
}

void guest_main(void)
{
    one("1 + 2 (exact)", OP_ADD, MASKED, 0x3f800000, 0x40000000, 0x40400000, 0);
    one("invalid: sqrt(-1)", OP_SQRT, MASKED, 0xbf800000, 0, 0xffc00000, IE);
    one("invalid: inf - inf", OP_ADD, MASKED, 0x7f800000, 0xff800000, 0xffc00000, IE);
    one("invalid: 0 / 0", OP_DIV, MASKED, 0, 0, 0xffc00000, IE);
    one("invalid: SNaN operand", OP_ADD, MASKED, 0x7f800001, 0x3f800000, 0x7fc00001, IE);
    one("divide-by-zero: 1 / 0", OP_DIV, MASKED, 0x3f800000, 0, 0x7f800000, ZE);
    one("divide-by-zero: -1 / 0", OP_DIV, MASKED, 0xbf800000, 0, 0xff800000, ZE);
    one("overflow: FLT_MAX * 2", OP_MUL, MASKED, 0x7f7fffff, 0x40000000, 0x7f800000, OE | PE);
    one("overflow, round toward zero", OP_MUL, MASKED | 0x6000, 0x7f7fffff, 0x40000000,
        0x7f7fffff, OE | PE);
    /* 2^-126 * (1/3 rounded) is tiny and inexact: 0x002aaaab after rounding to nearest. */
    one("underflow: FLT_MIN * 0.33333334", OP_MUL, MASKED, 0x00800000, 0x3eaaaaab, 0x002aaaab,
        UE | PE);
    /* Tiny but exact: no UE while underflow is masked. */
    one("tiny exact: FLT_MIN * 0.5", OP_MUL, MASKED, 0x00800000, 0x3f000000, 0x00400000, 0);
    one("precision: 1 / 3", OP_DIV, MASKED, 0x3f800000, 0x40400000, 0x3eaaaaab, PE);
    one("DAZ: denormal operand read as zero", OP_MUL, MASKED | DAZ, 0x00000001, 0x40000000,
        0, 0);
    one("FTZ: tiny result flushed to zero", OP_MUL, MASKED | FTZ, 0x00800000, 0x3eaaaaab, 0,
        UE | PE);

    /* Flags are sticky: they accumulate until software clears them. */
    uint32_t flags;
    run_op(OP_DIV, MASKED | ZE, 0x3f800000, 0x40400000, &flags);
    CHECK_EQ(flags, ZE | PE, "sticky ZE kept, PE added");
    uint32_t mx = MASKED;
    asm volatile("ldmxcsr %0" :: "m"(mx));
}
