/*
 * guest-bits: 32
 * x87 C1 after an inexact result: "if the inexact-result exception is generated, C1 indicates
 * whether rounding was upward" (SDM vol. 1, 8.1.3.1 and 4.9.1.6); the magnitude of 1/3
 * rounds up under round-to-nearest and round-up, -1/3 under nearest and down; exact results
 * clear C1. QEMU 7.2's TCG leaves C1 clear.
 */
#include "guest.h"

#define SW_PE 0x20u
#define SW_C1 0x200u

static uint16_t divide_sw(uint16_t cw, int32_t num, int32_t den)
{
    uint16_t sw;
    asm volatile("fninit; fldcw %1; fildl %2; fidivl %3; fnstsw %0; fstp %%st(0)"
                 : "=m"(sw) : "m"(cw), "m"(num), "m"(den) : "memory");
    return sw;
}

void guest_main(void)
{
    static const uint16_t cw_mode[4] = { 0x037f, 0x077f, 0x0b7f, 0x0f7f };
    static const char *const name[4] = { "nearest", "down", "up", "zero" };
    static const int up_pos[4] = { 1, 0, 1, 0 }, up_neg[4] = { 1, 1, 0, 0 };
    for (int m = 0; m < 4; m++) {
        uint16_t sw = divide_sw(cw_mode[m], 1, 3);
        check(!!(sw & SW_C1) == up_pos[m], "1/3 round %s: C1 %d, want %d", name[m],
              !!(sw & SW_C1), up_pos[m]);
        sw = divide_sw(cw_mode[m], -1, 3);
        check(!!(sw & SW_C1) == up_neg[m], "-1/3 round %s: C1 %d, want %d", name[m],
              !!(sw & SW_C1), up_neg[m]);
    }
    uint16_t sw = divide_sw(cw_mode[2], 6, 3);
    CHECK_EQ(sw & (SW_C1 | SW_PE), 0, "6/3 round up: C1 and PE");
    asm volatile("fninit");
}
