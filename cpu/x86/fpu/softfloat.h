/*
 * Portable software floating point for the emulated x87 and SSE units.
 *
 * Everything here is computed with integer arithmetic only, so the results are the same on any
 * host and never depend on the host's FPU or on its long double.  The behaviour follows the
 * Intel 64 and IA-32 Architectures Software Developer's Manual (SDM), volume 1, chapters 4, 8
 * and 11 (data types, x87 FPU, SSE/SSE2), and IEEE 754-2008 for the basic operations.
 *
 * Three formats:
 *   floatx80  the x87 double-extended format: sign, 15-bit exponent, 64-bit significand with an
 *             explicit integer bit.  The operations follow x87 rules (precision control, the
 *             x87 NaN selection rule, unsupported encodings are invalid operands).
 *   float64   IEEE binary64, with SSE rules (DAZ/FTZ, first-operand NaN rule).
 *   float32   IEEE binary32, with SSE rules.
 *
 * Every operation takes a FloatStatus: the rounding mode, the x87 precision control, MXCSR's
 * FTZ/DAZ, the exception masks (which only change what is computed where the SDM says the
 * masked and unmasked responses differ), and sticky exception flags that the operation ORs in.
 * The x87 keeps one FloatStatus and SSE another, so the x87 never sees DAZ/FTZ.
 *
 * Results are always computed as with the exceptions masked (apart from the cases in
 * FloatStatus.exception_masks); what an unmasked exception suppresses is the caller's to do,
 * from the flags the operation raised (SDM vol. 1, 4.9.2, 8.5 and 11.5.1):
 *   x87: an unmasked invalid, denormal or zero divide leaves the destination alone; an
 *        unmasked overflow or underflow still writes a register destination (wrapped, see
 *        below) but not a memory one (FST, see floatx80_to_float32).
 *   SSE: if an unmasked invalid, denormal or zero divide was raised, the instruction faults
 *        with only those three flags recorded; otherwise, if any unmasked flag was raised, it
 *        faults with all the flags recorded.  Either way the destination keeps its value.
 */
#ifndef CPU_X86_FPU_SOFTFLOAT_H
#define CPU_X86_FPU_SOFTFLOAT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct floatx80 {
    uint64_t sig;   /* significand, bit 63 is the explicit integer bit */
    uint16_t se;    /* bit 15 sign, bits 14..0 biased exponent (bias 16383) */
} floatx80;

typedef uint32_t float32;
typedef uint64_t float64;

/* Rounding modes, numbered as in the x87 control word RC field and MXCSR.RC. */
enum {
    FLOAT_ROUND_NEAREST = 0,
    FLOAT_ROUND_DOWN = 1,
    FLOAT_ROUND_UP = 2,
    FLOAT_ROUND_ZERO = 3,
};

/* x87 precision control, numbered as in the control word PC field (1 is reserved). */
enum {
    FLOATX80_PREC_24 = 0,
    FLOATX80_PREC_53 = 2,
    FLOATX80_PREC_64 = 3,
};

/* Exception flags and masks, laid out as in the x87 status/control words and MXCSR. */
enum {
    FLOAT_FLAG_INVALID = 0x01,
    FLOAT_FLAG_DENORMAL = 0x02,
    FLOAT_FLAG_DIVBYZERO = 0x04,
    FLOAT_FLAG_OVERFLOW = 0x08,
    FLOAT_FLAG_UNDERFLOW = 0x10,
    FLOAT_FLAG_INEXACT = 0x20,
    FLOAT_FLAGS_ALL = 0x3f,
};

typedef struct FloatStatus {
    uint8_t round_mode;     /* FLOAT_ROUND_* */
    uint8_t precision;      /* FLOATX80_PREC_*: only floatx80 add/sub/mul/div/sqrt use it */
    bool flush_to_zero;     /* MXCSR.FTZ: tiny float32/float64 results become zero */
    bool denormals_are_zero; /* MXCSR.DAZ: denormal float32/float64 operands read as zero */
    /*
     * Exception masks (1 = masked).  They matter only for overflow and underflow.  Unmasked,
     * an underflow is reported for every tiny result, exact or not, and either exception then
     * reports inexact only if the result with an unbounded exponent is inexact.  x87 register
     * results (floatx80 arithmetic, FSCALE) are then delivered with the exponent wrapped by
     * 24576 (SDM vol. 1, 8.5.4 and 8.5.5).
     */
    uint8_t exception_masks;
    uint8_t flags;          /* sticky FLOAT_FLAG_* */
    /*
     * Set by every operation that rounds: true when the delivered result's magnitude is larger
     * than the exact one.  It is the x87's C1 "rounded up" bit; stack faults are the caller's.
     */
    bool rounded_up;
} FloatStatus;

/* A FloatStatus as after FNINIT (x87) or reset (MXCSR): nearest, 64-bit, all masked. */
static inline FloatStatus float_status_default(void)
{
    FloatStatus s = {
        .round_mode = FLOAT_ROUND_NEAREST,
        .precision = FLOATX80_PREC_64,
        .exception_masks = FLOAT_FLAGS_ALL,
    };
    return s;
}

/* Comparison results (FCOM/FUCOM/FCOMI/COMISS order). */
typedef enum FloatRelation {
    FLOAT_RELATION_LESS = -1,
    FLOAT_RELATION_EQUAL = 0,
    FLOAT_RELATION_GREATER = 1,
    FLOAT_RELATION_UNORDERED = 2,
} FloatRelation;

/* FXAM classes, valued as C3:C2:C0 (SDM vol. 2, FXAM).  C1 is the sign bit. */
typedef enum FloatX80Class {
    FLOATX80_CLASS_UNSUPPORTED = 0,
    FLOATX80_CLASS_NAN = 1,
    FLOATX80_CLASS_NORMAL = 2,
    FLOATX80_CLASS_INFINITY = 3,
    FLOATX80_CLASS_ZERO = 4,
    FLOATX80_CLASS_EMPTY = 5,       /* from the tag word; floatx80_classify never returns it */
    FLOATX80_CLASS_DENORMAL = 6,
} FloatX80Class;

/* Values */
static inline floatx80 floatx80_make(bool sign, uint16_t exp, uint64_t sig)
{
    floatx80 r = { sig, (uint16_t)((sign ? 0x8000 : 0) | (exp & 0x7fff)) };
    return r;
}

#define FLOATX80_EXP_BIAS 16383
#define FLOATX80_EXP_MAX 0x7fff
/* The x87 default NaN, "real indefinite": negative QNaN 0xFFFF C000000000000000. */
#define FLOATX80_DEFAULT_NAN_SE 0xffff
#define FLOATX80_DEFAULT_NAN_SIG 0xc000000000000000ull
#define FLOAT64_DEFAULT_NAN 0xfff8000000000000ull
#define FLOAT32_DEFAULT_NAN 0xffc00000u
/* The "integer indefinite" stored for an invalid integer conversion. */
#define INT16_INDEFINITE ((int16_t)0x8000)
#define INT32_INDEFINITE ((int32_t)0x80000000)
#define INT64_INDEFINITE ((int64_t)0x8000000000000000ull)

static inline floatx80 floatx80_default_nan(void)
{
    return floatx80_make(true, 0x7fff, FLOATX80_DEFAULT_NAN_SIG);
}

static inline bool floatx80_sign(floatx80 a)
{
    return a.se >> 15;
}

static inline int floatx80_exp(floatx80 a)
{
    return a.se & 0x7fff;
}

static inline floatx80 floatx80_chs(floatx80 a)
{
    a.se ^= 0x8000;
    return a;
}

static inline floatx80 floatx80_abs(floatx80 a)
{
    a.se &= 0x7fff;
    return a;
}

/* Any NaN, including the pseudo-NaNs that have the integer bit clear. */
bool floatx80_is_any_nan(floatx80 a);
bool floatx80_is_signaling_nan(floatx80 a);
/* Unnormals, pseudo-NaNs and pseudo-infinities: invalid operands since the 80387. */
bool floatx80_is_unsupported(floatx80 a);
FloatX80Class floatx80_classify(floatx80 a);

bool float32_is_nan(float32 a);
bool float32_is_signaling_nan(float32 a);
bool float64_is_nan(float64 a);
bool float64_is_signaling_nan(float64 a);

/*
 * x87 arithmetic (FADD, FSUB, FMUL, FDIV, FSQRT): rounded to the precision control, with the
 * full extended exponent range.  FSUBR/FDIVR swap the operands.  a is the first operand of
 * the instruction as the SDM writes it (ST(0) for FADD ST(0), ST(i)).
 */
floatx80 floatx80_add(floatx80 a, floatx80 b, FloatStatus *s);
floatx80 floatx80_sub(floatx80 a, floatx80 b, FloatStatus *s);
floatx80 floatx80_mul(floatx80 a, floatx80 b, FloatStatus *s);
floatx80 floatx80_div(floatx80 a, floatx80 b, FloatStatus *s);
floatx80 floatx80_sqrt(floatx80 a, FloatStatus *s);

/*
 * FPREM (ieee false: quotient truncated) and FPREM1 (ieee true: quotient rounded to nearest
 * even).  Returns the new ST(0).  *quotient receives the low three quotient bits Q2:Q1:Q0
 * (C0 = Q2, C3 = Q1, C1 = Q0) and *incomplete the C2 bit: set when the exponent difference was
 * 64 or more and only a partial reduction was done.
 */
floatx80 floatx80_fprem(floatx80 st0, floatx80 st1, bool ieee, unsigned *quotient,
                        bool *incomplete, FloatStatus *s);
/* FRNDINT: round to an integral value in the current rounding mode. */
floatx80 floatx80_round_to_int(floatx80 a, FloatStatus *s);
/* FSCALE: st0 * 2^trunc(st1). */
floatx80 floatx80_scale(floatx80 st0, floatx80 st1, FloatStatus *s);
/*
 * FXTRACT: splits a into its unbiased exponent (returned in *exponent, which goes to ST(1))
 * and its significand with exponent 0 (in *significand, the new ST(0)).
 */
void floatx80_extract(floatx80 a, floatx80 *exponent, floatx80 *significand, FloatStatus *s);

/* FILD: exact. */
floatx80 int16_to_floatx80(int16_t v);
floatx80 int32_to_floatx80(int32_t v);
floatx80 int64_to_floatx80(int64_t v);
/* FIST/FISTP in the current rounding mode; invalid gives the integer indefinite. */
int16_t floatx80_to_int16(floatx80 a, FloatStatus *s);
int32_t floatx80_to_int32(floatx80 a, FloatStatus *s);
int64_t floatx80_to_int64(floatx80 a, FloatStatus *s);
/* FISTTP: truncating. */
int16_t floatx80_to_int16_round_to_zero(floatx80 a, FloatStatus *s);
int32_t floatx80_to_int32_round_to_zero(floatx80 a, FloatStatus *s);
int64_t floatx80_to_int64_round_to_zero(floatx80 a, FloatStatus *s);

/*
 * FBLD and FBSTP: 80-bit packed BCD, 18 digits with two per byte (low digit in the low
 * nibble, least significant byte first) and the sign in bit 7 of byte 9.  FBSTP rounds in
 * the current mode and stores the packed BCD indefinite (FFFF C000 0000 0000 0000) when the
 * value is not finite or needs more than 18 digits.
 */
floatx80 bcd_to_floatx80(const uint8_t bcd[10]);
void floatx80_to_bcd(floatx80 a, uint8_t bcd[10], FloatStatus *s);

/*
 * FLD m32/m64: exact widening; a signaling NaN raises invalid and is loaded quieted, a denormal
 * raises the denormal exception.
 */
floatx80 float32_to_floatx80(float32 a, FloatStatus *s);
floatx80 float64_to_floatx80(float64 a, FloatStatus *s);
/*
 * The memory operand of FADD m32fp, FCOM m64fp and the like, widened for the floatx80
 * operation with the register operand other: a signaling NaN stays signaling so the operation
 * applies the x87 NaN rules, and a denormal raises DE unless other is a NaN or unsupported.
 * Integer memory operands (FIADD) widen exactly with int16/int32_to_floatx80.
 */
floatx80 float32_to_floatx80_operand(float32 a, floatx80 other, FloatStatus *s);
floatx80 float64_to_floatx80_operand(float64 a, floatx80 other, FloatStatus *s);
/*
 * FST m32/m64: rounded in the current rounding mode (precision control does not apply).  With
 * overflow or underflow unmasked and raised, the x87 stores nothing: the caller must then
 * leave memory alone; only that exception is reported.
 */
float32 floatx80_to_float32(floatx80 a, FloatStatus *s);
float64 floatx80_to_float64(floatx80 a, FloatStatus *s);

/*
 * FCOM/FUCOM/FCOMI/FUCOMI/FTST: quiet false raises invalid for any NaN, quiet true only for a
 * signaling NaN.  Unsupported encodings are always invalid and compare unordered.
 */
FloatRelation floatx80_compare(floatx80 a, floatx80 b, bool quiet, FloatStatus *s);

/* The constants of FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ. */
typedef enum FloatX80Const {
    FLOATX80_CONST_ONE,
    FLOATX80_CONST_L2T,
    FLOATX80_CONST_L2E,
    FLOATX80_CONST_PI,
    FLOATX80_CONST_LG2,
    FLOATX80_CONST_LN2,
    FLOATX80_CONST_ZERO,
} FloatX80Const;
/* Rounded from a 66-bit internal value in the current rounding mode, as the SDM documents. */
floatx80 floatx80_load_const(FloatX80Const which, const FloatStatus *s);

/*
 * x87 transcendentals (fpu_transcendental.c).  Results have 64-bit precision whatever the
 * precision control; see that file for the accuracy bound.  FYL2X, FYL2XP1 and FPATAN take
 * ST(0) and ST(1) and return the value that replaces ST(1) before the pop.  The trigonometric
 * functions return false (the C2 "out of range" case) when |x| >= 2^63 and then leave their
 * outputs untouched; FSINCOS gives the sine for ST(0) and the cosine to push.
 */
floatx80 floatx80_f2xm1(floatx80 a, FloatStatus *s);
floatx80 floatx80_fyl2x(floatx80 st0, floatx80 st1, FloatStatus *s);
floatx80 floatx80_fyl2xp1(floatx80 st0, floatx80 st1, FloatStatus *s);
floatx80 floatx80_fpatan(floatx80 st0, floatx80 st1, FloatStatus *s);
bool floatx80_fsin(floatx80 a, floatx80 *result, FloatStatus *s);
bool floatx80_fcos(floatx80 a, floatx80 *result, FloatStatus *s);
bool floatx80_fsincos(floatx80 a, floatx80 *sin, floatx80 *cos, FloatStatus *s);
/*
 * FPTAN: *result replaces ST(0) and *pushed is then pushed: tan(a) and 1.0, or the NaN twice
 * for a NaN or invalid operand (with the invalid exception masked).
 */
bool floatx80_fptan(floatx80 a, floatx80 *result, floatx80 *pushed, FloatStatus *s);

/* SSE scalar arithmetic: a is the first source (and destination) operand. */
float32 float32_add(float32 a, float32 b, FloatStatus *s);
float32 float32_sub(float32 a, float32 b, FloatStatus *s);
float32 float32_mul(float32 a, float32 b, FloatStatus *s);
float32 float32_div(float32 a, float32 b, FloatStatus *s);
float32 float32_sqrt(float32 a, FloatStatus *s);
float64 float64_add(float64 a, float64 b, FloatStatus *s);
float64 float64_sub(float64 a, float64 b, FloatStatus *s);
float64 float64_mul(float64 a, float64 b, FloatStatus *s);
float64 float64_div(float64 a, float64 b, FloatStatus *s);
float64 float64_sqrt(float64 a, FloatStatus *s);

/*
 * MINSS/MINSD/MAXSS/MAXSD: the second operand is returned, unchanged, when either operand is
 * a NaN or both are zeros; any NaN raises invalid.
 */
float32 float32_min(float32 a, float32 b, FloatStatus *s);
float32 float32_max(float32 a, float32 b, FloatStatus *s);
float64 float64_min(float64 a, float64 b, FloatStatus *s);
float64 float64_max(float64 a, float64 b, FloatStatus *s);

/*
 * CMPSS/CMPSD/CMPPS/CMPPD predicate imm (0-7 for SSE, 0-31 for the AVX encoding), true when
 * the predicate holds.  COMISS/COMISD (quiet false) and UCOMISS/UCOMISD (quiet true).
 */
bool float32_compare_predicate(float32 a, float32 b, unsigned imm, FloatStatus *s);
bool float64_compare_predicate(float64 a, float64 b, unsigned imm, FloatStatus *s);
FloatRelation float32_compare(float32 a, float32 b, bool quiet, FloatStatus *s);
FloatRelation float64_compare(float64 a, float64 b, bool quiet, FloatStatus *s);

/*
 * ROUNDSS/ROUNDSD (SSE4.1) with its immediate: bits 1:0 the rounding mode (FLOAT_ROUND_*
 * numbering), bit 2 set to use the status's mode instead, bit 3 set to suppress inexact.
 */
float32 float32_round_to_int(float32 a, unsigned imm, FloatStatus *s);
float64 float64_round_to_int(float64 a, unsigned imm, FloatStatus *s);

/* CVTSS2SD, CVTSD2SS. */
float64 float32_to_float64(float32 a, FloatStatus *s);
float32 float64_to_float32(float64 a, FloatStatus *s);
/* CVTSI2SS/CVTSI2SD (rounded in the current mode when inexact). */
float32 int32_to_float32(int32_t v, FloatStatus *s);
float32 int64_to_float32(int64_t v, FloatStatus *s);
float64 int32_to_float64(int32_t v, FloatStatus *s);
float64 int64_to_float64(int64_t v, FloatStatus *s);
/* CVTSS2SI/CVTSD2SI (current mode) and CVTTSS2SI/CVTTSD2SI (truncating). */
int32_t float32_to_int32(float32 a, FloatStatus *s);
int64_t float32_to_int64(float32 a, FloatStatus *s);
int32_t float64_to_int32(float64 a, FloatStatus *s);
int64_t float64_to_int64(float64 a, FloatStatus *s);
int32_t float32_to_int32_round_to_zero(float32 a, FloatStatus *s);
int64_t float32_to_int64_round_to_zero(float32 a, FloatStatus *s);
int32_t float64_to_int32_round_to_zero(float64 a, FloatStatus *s);
int64_t float64_to_int64_round_to_zero(float64 a, FloatStatus *s);

#endif
