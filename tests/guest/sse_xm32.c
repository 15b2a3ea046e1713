/*
 * guest-bits: 32
 * Unmasked SSE exceptions (SDM vol. 1, 11.5.1; vol. 3, 6.15 "Interrupt 19"): #XM with the
 * flag set in MXCSR and the destination unchanged; #UD instead when CR4.OSXMMEXCPT is clear;
 * and with the exception masked again, no fault. QEMU 7.2's TCG never raises #XM.
 */
#include "guest.h"

static uint32_t mx, result;

static long divide(uint32_t mxcsr, uint32_t a, uint32_t b)
{
    mx = mxcsr;
    long v = TRY("ldmxcsr %0; movd %1, %%xmm0; movd %2, %%xmm1; divss %%xmm1, %%xmm0",
                 :: "m"(mx), "r"(a), "r"(b) : "memory");
    asm volatile("movd %%xmm0, %0; stmxcsr %1" : "=m"(result), "=m"(mx));
    return v;
}

void guest_main(void)
{
    divide(0x1f80 & ~0x200u, 0x3f800000, 0);
    check_trap("unmasked divide-by-zero", VEC_XM, 0);
    CHECK_EQ(mx & 0x3f, 0x04, "MXCSR flags after #XM (ZE)");
    CHECK_EQ(result, 0x3f800000, "destination unchanged by the faulting DIVSS");

    divide(0x1f80 & ~0x1000u, 0x3f800000, 0x40400000);     /* PM clear */
    check_trap("unmasked precision", VEC_XM, 0);
    CHECK_EQ(mx & 0x3f, 0x20, "MXCSR flags after precision #XM (PE)");

    divide(0x1f80, 0x3f800000, 0);
    check_trap("masked divide-by-zero", -1, 0);

    write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
    divide(0x1f80 & ~0x200u, 0x3f800000, 0);
    check_trap("unmasked divide-by-zero with CR4.OSXMMEXCPT clear", VEC_UD, 0);
    write_cr4(read_cr4() | CR4_OSXMMEXCPT);
    mx = 0x1f80;
    asm volatile("ldmxcsr %0" :: "m"(mx));
}
