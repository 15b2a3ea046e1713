/*
 * guest-bits: 32
 * x87 results against exact IEEE double-extended bit patterns (computed with exact rational
 * arithmetic): 1/3, -1/3 and sqrt(2) under each rounding mode, with PE (the C1 round-up
 * flag is in x87_c1); FPREM (quotient bits in C0/C3/C1, partial remainder C2 for large exponent gaps);
 * FXAM classes. SDM vol. 1, ch. 8; vol. 2 FPREM, FXAM.
 */
#include "guest.h"

typedef struct __attribute__((packed)) Ext {
    uint64_t mant;
    uint16_t sexp;
} Ext;

#define SW_PE 0x20u
#define SW_C0 0x100u
#define SW_C1 0x200u
#define SW_C2 0x400u
#define SW_C3 0x4000u
#define SW_CC (SW_C0 | SW_C1 | SW_C2 | SW_C3)

static const uint16_t cw_mode[4] = { 0x037f, 0x077f, 0x0b7f, 0x0f7f };
static const char *const mode_name[4] = { "nearest", "down", "up", "zero" };

static void check_ext(const char *what, const char *mode, const Ext *got, uint16_t sexp,
                      uint64_t mant)
{
    check(got->sexp == sexp && got->mant == mant,
          "%s (round %s): got %04x:%016llx, want %04x:%016llx", what, mode, got->sexp,
          (unsigned long long)got->mant, sexp, (unsigned long long)mant);
}

static uint16_t divide(uint16_t cw, int32_t num, int32_t den, Ext *out)
{
    uint16_t sw;
    asm volatile("fninit; fldcw %2; fildl %3; fidivl %4; fnstsw %1; fstpt %0"
                 : "=m"(*out), "=m"(sw) : "m"(cw), "m"(num), "m"(den) : "memory");
    return sw;
}

static uint16_t square_root(uint16_t cw, int32_t v, Ext *out)
{
    uint16_t sw;
    asm volatile("fninit; fldcw %2; fildl %3; fsqrt; fnstsw %1; fstpt %0"
                 : "=m"(*out), "=m"(sw) : "m"(cw), "m"(v) : "memory");
    return sw;
}

static uint16_t fxam_ext(const Ext *v)
{
    uint16_t sw;
    asm volatile("fninit; fldt %1; fxam; fnstsw %0; fstp %%st(0)" : "=m"(sw) : "m"(*v));
    return sw;
}

static uint16_t fxam_double(uint64_t bits)
{
    uint16_t sw;
    asm volatile("fninit; fldl %1; fxam; fnstsw %0; fstp %%st(0)" : "=m"(sw) : "m"(bits));
    return sw;
}

void guest_main(void)
{
    static const uint64_t third[4] = { 0xaaaaaaaaaaaaaaabull, 0xaaaaaaaaaaaaaaaaull,
                                       0xaaaaaaaaaaaaaaabull, 0xaaaaaaaaaaaaaaaaull };
    static const uint64_t neg_third[4] = { 0xaaaaaaaaaaaaaaabull, 0xaaaaaaaaaaaaaaabull,
                                           0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaaaull };
    static const uint64_t sqrt2[4] = { 0xb504f333f9de6484ull, 0xb504f333f9de6484ull,
                                       0xb504f333f9de6485ull, 0xb504f333f9de6484ull };
    Ext r;
    for (int m = 0; m < 4; m++) {
        uint16_t sw = divide(cw_mode[m], 1, 3, &r);
        check_ext("1/3", mode_name[m], &r, 0x3ffd, third[m]);
        check(sw & SW_PE, "1/3 (round %s): PE clear (SW 0x%x)", mode_name[m], sw);
        divide(cw_mode[m], -1, 3, &r);
        check_ext("-1/3", mode_name[m], &r, 0xbffd, neg_third[m]);
        sw = square_root(cw_mode[m], 2, &r);
        check_ext("sqrt(2)", mode_name[m], &r, 0x3fff, sqrt2[m]);
        check(sw & SW_PE, "sqrt(2) (round %s): PE clear (SW 0x%x)", mode_name[m], sw);
    }
    uint16_t sw = divide(cw_mode[0], 6, 3, &r);
    check_ext("6/3", "nearest", &r, 0x4000, 0x8000000000000000ull);
    CHECK_EQ(sw & SW_PE, 0, "6/3 is exact: PE");
    sw = square_root(cw_mode[0], 9, &r);
    check_ext("sqrt(9)", "nearest", &r, 0x4000, 0xc000000000000000ull);

    /* FPREM: 10.5 rem 3 = 1.5, quotient 3 -> C0 = q2 = 0, C3 = q1 = 1, C1 = q0 = 1. */
    int32_t three = 3, twentyone = 21, two = 2;
    asm volatile("fninit; fildl %2; fildl %3; fidivl %4; fprem; fnstsw %1; fstpt %0;"
                 "fstp %%st(0)"
                 : "=m"(r), "=m"(sw) : "m"(three), "m"(twentyone), "m"(two) : "memory");
    check_ext("FPREM 10.5 rem 3", "nearest", &r, 0x3fff, 0xc000000000000000ull);
    CHECK_EQ(sw & SW_CC, SW_C3 | SW_C1, "FPREM 10.5 rem 3: C3 C2 C1 C0");

    /* 1e30 rem 3: the exponent gap exceeds 63, so the first FPREM is partial (C2 = 1). */
    uint64_t big = 0x46293e5939a08ceaull;   /* 1e30 = 1000000000000000019884624838656 */
    uint16_t first_sw = 0;
    int rounds = 0;
    asm volatile("fninit; fildl %0; fldl %1" :: "m"(three), "m"(big));
    do {
        asm volatile("fprem; fnstsw %0" : "=m"(sw));
        if (rounds == 0) {
            first_sw = sw;
        }
        rounds++;
    } while ((sw & SW_C2) && rounds < 100);
    asm volatile("fstpt %0; fstp %%st(0)" : "=m"(r) :: "memory");
    CHECK_EQ(first_sw & SW_C2, SW_C2, "first FPREM of 1e30 by 3 is partial (C2)");
    check(rounds > 1 && rounds < 100, "FPREM rounds for 1e30 rem 3: %d", rounds);
    check_ext("1e30 rem 3", "nearest", &r, 0x3fff, 0x8000000000000000ull);

    /* FXAM: C3 C2 C0 give the class, C1 the sign. */
    CHECK_EQ(fxam_double(0) & SW_CC, SW_C3, "FXAM +0");
    CHECK_EQ(fxam_double(0x8000000000000000ull) & SW_CC, SW_C3 | SW_C1, "FXAM -0");
    CHECK_EQ(fxam_double(0x3ff0000000000000ull) & SW_CC, SW_C2, "FXAM +1.0");
    CHECK_EQ(fxam_double(0xbff0000000000000ull) & SW_CC, SW_C2 | SW_C1, "FXAM -1.0");
    CHECK_EQ(fxam_double(0xfff0000000000000ull) & SW_CC, SW_C2 | SW_C0 | SW_C1, "FXAM -inf");
    CHECK_EQ(fxam_double(0x7ff8000000000000ull) & SW_CC, SW_C0, "FXAM NaN");
    Ext denormal = { 1, 0 };
    CHECK_EQ(fxam_ext(&denormal) & SW_CC, SW_C3 | SW_C2, "FXAM denormal");
    Ext unnormal = { 0x4000000000000000ull, 0x3fff };   /* integer bit clear */
    CHECK_EQ(fxam_ext(&unnormal) & SW_CC, 0, "FXAM unsupported (unnormal)");
    asm volatile("fninit; fxam; fnstsw %0" : "=m"(sw));
    CHECK_EQ(sw & (SW_C3 | SW_C2 | SW_C0), SW_C3 | SW_C0, "FXAM empty");
    asm volatile("fninit");
}
