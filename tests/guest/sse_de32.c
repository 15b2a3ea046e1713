/*
 * guest-bits: 32
 * SSE denormal-operand flag (MXCSR.DE, SDM vol. 1, 11.5.2.2): set when a source operand is
 * denormal and DAZ is clear. QEMU 7.2's TCG never sets it.
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
    one("denormal operand: 1 + min denormal", OP_ADD, MASKED, 0x3f800000, 0x00000001,
        0x3f800000, DE | PE);
    one("denormal operand: denormal * 2", OP_MUL, MASKED, 0x00000001, 0x40000000, 0x00000002,
        DE);
    one("normal operands: 1 + 1", OP_ADD, MASKED, 0x3f800000, 0x3f800000, 0x40000000, 0);
    uint32_t mx = MASKED;
    asm volatile("ldmxcsr %0" :: "m"(mx));
}
