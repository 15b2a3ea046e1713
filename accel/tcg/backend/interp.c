/*
 * The portable IR interpreter backend.
 *
 * gen_code() compiles the IR into bytecode once; exec() never looks at IR structures.
 * Bytecode is a stream of 64-bit words.  The first word of each instruction packs the
 * opcode (bits 0-15) and up to three 16-bit operands A, B, C (bits 16-31, 32-47, 48-63);
 * immediates, offsets, branch displacements and call targets follow in extra words.
 * Operands name slots of a per-exec register file of 64-bit values:
 *   slot 0                env
 *   slots 1..globals-1    caches of the globals (slot number == temp index)
 *   the rest              TB temps and constants (fixed slots) and EBB temps (slots
 *                         reused as soon as op->life says a value is dead)
 * I32 values sit zero-extended in their slots, so many ops need no 32-bit variant in
 * hardware terms, but every op still has one to keep the code generator simple.
 *
 * Globals are cached like a register allocator would: loaded into their slot on first
 * use, written back only at sync points (calls that read or write globals, guest memory
 * accesses, branches, labels, exits), forgotten after a call that may write them.  That
 * exercises the same contract a native backend must follow.
 *
 * Dispatch is direct threading through a label table (GCC computed goto), or a switch
 * with -DINTERP_USE_SWITCH.  Chaining: a goto_tb instruction holds a patchable word with
 * the destination TB; when set, execution continues in that TB's bytecode without
 * returning, after checking ctx->exit_request and ctx->budget.
 *
 * Guest memory: qemu_ld/qemu_st first try ctx->tlb inline (interp_tlb_host()), then call
 * the embedding's hooks with ctx->pos set to the instruction, so that a fault that unwinds
 * can be mapped back to the guest instruction.
 */
#include <assert.h>
#include <inttypes.h>

#include "accel/tcg/backend.h"

#if UINTPTR_MAX != UINT64_MAX
#error "the interpreter backend assumes a 64-bit host (helper calling convention, slots)"
#endif

#if defined(__GNUC__) && !defined(INTERP_USE_SWITCH)
#define INTERP_THREADED 1
#endif

#define INTERP_MAX_SLOTS 2048
#define SLOT_NONE 0xffffu

/* ---------------------------------------------------------------------------------------
 * Instruction set: X(name, words)
 */

#define LIST_BIN(M, X)                                                                   \
    M(X, ADD) M(X, SUB) M(X, MUL) M(X, AND) M(X, OR) M(X, XOR) M(X, ANDC) M(X, SHL)      \
    M(X, SHR) M(X, SAR) M(X, ROTL) M(X, ROTR) M(X, DIV) M(X, DIVU) M(X, REM) M(X, REMU)  \
    M(X, CLZ) M(X, CTZ)
#define LIST_BINI(M, X)                                                                  \
    M(X, ADD) M(X, SUB) M(X, MUL) M(X, AND) M(X, OR) M(X, XOR) M(X, SHL) M(X, SHR)       \
    M(X, SAR)
#define LIST_UN(M, X)                                                                    \
    M(X, NEG) M(X, NOT) M(X, EXT8S) M(X, EXT8U) M(X, EXT16S) M(X, EXT16U) M(X, BSWAP16)  \
    M(X, BSWAP32) M(X, CTPOP)
#define LIST_COND(M, X)                                                                  \
    M(X, EQ) M(X, NE) M(X, LT) M(X, GE) M(X, LE) M(X, GT) M(X, LTU) M(X, GEU) M(X, LEU)  \
    M(X, GTU) M(X, TSTEQ) M(X, TSTNE)

#define W_RR(X, n) X(n##_32, 1) X(n##_64, 1)
#define W_RI(X, n) X(n##I_32, 2) X(n##I_64, 2)
#define W_COND(X, c)                                                                     \
    X(SETC_##c##_32, 1) X(SETC_##c##_64, 1) X(SETCI_##c##_32, 2) X(SETCI_##c##_64, 2)    \
    X(BRC_##c##_32, 2) X(BRC_##c##_64, 2) X(BRCI_##c##_32, 3) X(BRCI_##c##_64, 3)

#define IOPS(X)                                                                          \
    X(INVALID, 1) X(MOV, 1) X(MOVI, 2) X(LDG32, 1) X(LDG64, 1) X(STG32, 1) X(STG64, 1)    \
    LIST_BIN(W_RR, X) LIST_BINI(W_RI, X) LIST_UN(W_RR, X)                                \
    X(EXT32S, 1) X(EXT32U, 1) X(BSWAP64, 1) X(EXTRH, 1) X(EXTS, 1)                      \
    X(DEPOSIT, 2) X(EXTRACT, 2) X(SEXTRACT_32, 2) X(SEXTRACT_64, 2)                      \
    LIST_COND(W_COND, X)                                                                 \
    X(MOVCOND_32, 2) X(MOVCOND_64, 2)                                                    \
    X(MULU2_32, 2) X(MULU2_64, 2) X(MULS2_32, 2) X(MULS2_64, 2)                          \
    X(ADD2_32, 2) X(ADD2_64, 2) X(SUB2_32, 2) X(SUB2_64, 2)                              \
    X(LD8U, 2) X(LD8S_32, 2) X(LD8S_64, 2) X(LD16U, 2) X(LD16S_32, 2) X(LD16S_64, 2)      \
    X(LD32U, 2) X(LD32S, 2) X(LD64, 2)                                                   \
    X(ST8, 2) X(ST16, 2) X(ST32, 2) X(ST64, 2)                                           \
    X(QLD8U, 1) X(QLD8S_32, 1) X(QLD8S_64, 1) X(QLD16U, 1) X(QLD16S_32, 1)              \
    X(QLD16S_64, 1) X(QLD32U, 1) X(QLD32S_64, 1) X(QLD64, 1)                             \
    X(QST8, 1) X(QST16, 1) X(QST32, 1) X(QST64, 1)                                       \
    X(CALL32, 4) X(CALL64, 4) X(CALLV, 4)                                                \
    X(MB, 1) X(BR, 2) X(GOTO_TB, 2) X(EXIT_TB, 2) X(LOOKUP, 1)

enum {
#define IOP_ENUM(n, w) IOP_##n,
    IOPS(IOP_ENUM)
#undef IOP_ENUM
    IOP_COUNT
};

static const struct {
    const char *name;
    uint8_t words;
} iop_info[IOP_COUNT] = {
#define IOP_INFO(n, w) [IOP_##n] = {#n, w},
    IOPS(IOP_INFO)
#undef IOP_INFO
};

static inline uint64_t pack(unsigned op, unsigned a, unsigned b, unsigned c)
{
    return (uint64_t)op | (uint64_t)a << 16 | (uint64_t)b << 32 | (uint64_t)c << 48;
}

/* ---------------------------------------------------------------------------------------
 * Semantics (I32 inputs are zero-extended; I32 results must be too)
 */

#define U32(x) ((uint64_t)(uint32_t)(x))

static inline uint64_t rol32(uint64_t a, uint64_t b)
{
    unsigned s = b & 31;
    uint32_t x = (uint32_t)a;
    return s ? (uint32_t)(x << s | x >> (32 - s)) : x;
}

static inline uint64_t ror32(uint64_t a, uint64_t b)
{
    unsigned s = b & 31;
    uint32_t x = (uint32_t)a;
    return s ? (uint32_t)(x >> s | x << (32 - s)) : x;
}

static inline uint64_t rol64(uint64_t a, uint64_t b)
{
    unsigned s = b & 63;
    return s ? a << s | a >> (64 - s) : a;
}

static inline uint64_t ror64(uint64_t a, uint64_t b)
{
    unsigned s = b & 63;
    return s ? a >> s | a << (64 - s) : a;
}

/* Division never traps; the results for /0 and MIN/-1 match ir_eval(). */
static inline uint64_t div32(uint64_t a, uint64_t b)
{
    int32_t x = (int32_t)a, y = (int32_t)b;
    if (y == 0) {
        return 0xffffffffu;
    }
    if (x == INT32_MIN && y == -1) {
        return U32(x);
    }
    return U32(x / y);
}

static inline uint64_t rem32(uint64_t a, uint64_t b)
{
    int32_t x = (int32_t)a, y = (int32_t)b;
    if (y == 0) {
        return U32(x);
    }
    if (x == INT32_MIN && y == -1) {
        return 0;
    }
    return U32(x % y);
}

static inline uint64_t div64(uint64_t a, uint64_t b)
{
    int64_t x = (int64_t)a, y = (int64_t)b;
    if (y == 0) {
        return ~0ull;
    }
    if (x == INT64_MIN && y == -1) {
        return a;
    }
    return (uint64_t)(x / y);
}

static inline uint64_t rem64(uint64_t a, uint64_t b)
{
    int64_t x = (int64_t)a, y = (int64_t)b;
    if (y == 0) {
        return a;
    }
    if (x == INT64_MIN && y == -1) {
        return 0;
    }
    return (uint64_t)(x % y);
}

#define FN2(name, e32, e64)                                                              \
    static inline uint64_t f_##name##_32(uint64_t a, uint64_t b)                         \
    {                                                                                    \
        return U32(e32);                                                                 \
    }                                                                                    \
    static inline uint64_t f_##name##_64(uint64_t a, uint64_t b)                         \
    {                                                                                    \
        return (e64);                                                                    \
    }
FN2(ADD, a + b, a + b)
FN2(SUB, a - b, a - b)
FN2(MUL, a * b, a * b)
FN2(AND, a & b, a & b)
FN2(OR, a | b, a | b)
FN2(XOR, a ^ b, a ^ b)
FN2(ANDC, a & ~b, a & ~b)
FN2(SHL, a << (b & 31), a << (b & 63))
FN2(SHR, (uint32_t)a >> (b & 31), a >> (b & 63))
FN2(SAR, (int32_t)a >> (b & 31), (uint64_t)((int64_t)a >> (b & 63)))
FN2(ROTL, rol32(a, b), rol64(a, b))
FN2(ROTR, ror32(a, b), ror64(a, b))
FN2(DIV, div32(a, b), div64(a, b))
FN2(DIVU, (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0xffffffffu, b ? a / b : ~0ull)
FN2(REM, rem32(a, b), rem64(a, b))
FN2(REMU, (uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a, b ? a % b : a)
FN2(CLZ, (uint32_t)a ? (uint64_t)__builtin_clz((uint32_t)a) : b,
    a ? (uint64_t)__builtin_clzll(a) : b)
FN2(CTZ, (uint32_t)a ? (uint64_t)__builtin_ctz((uint32_t)a) : b,
    a ? (uint64_t)__builtin_ctzll(a) : b)
#undef FN2

#define FN1(name, e32, e64)                                                              \
    static inline uint64_t f_##name##_32(uint64_t a)                                     \
    {                                                                                    \
        return U32(e32);                                                                 \
    }                                                                                    \
    static inline uint64_t f_##name##_64(uint64_t a)                                     \
    {                                                                                    \
        return (e64);                                                                    \
    }
FN1(NEG, -a, -a)
FN1(NOT, ~a, ~a)
FN1(EXT8S, (int8_t)a, (uint64_t)(int64_t)(int8_t)a)
FN1(EXT8U, (uint8_t)a, (uint8_t)a)
FN1(EXT16S, (int16_t)a, (uint64_t)(int64_t)(int16_t)a)
FN1(EXT16U, (uint16_t)a, (uint16_t)a)
FN1(BSWAP16, __builtin_bswap16((uint16_t)a), __builtin_bswap16((uint16_t)a))
FN1(BSWAP32, __builtin_bswap32((uint32_t)a), __builtin_bswap32((uint32_t)a))
FN1(CTPOP, __builtin_popcount((uint32_t)a), (uint64_t)__builtin_popcountll(a))
#undef FN1

#define CF(c, e32, e64)                                                                  \
    static inline uint64_t c_##c##_32(uint64_t a, uint64_t b)                            \
    {                                                                                    \
        return (e32);                                                                    \
    }                                                                                    \
    static inline uint64_t c_##c##_64(uint64_t a, uint64_t b)                            \
    {                                                                                    \
        return (e64);                                                                    \
    }
CF(EQ, (uint32_t)a == (uint32_t)b, a == b)
CF(NE, (uint32_t)a != (uint32_t)b, a != b)
CF(LT, (int32_t)a < (int32_t)b, (int64_t)a < (int64_t)b)
CF(GE, (int32_t)a >= (int32_t)b, (int64_t)a >= (int64_t)b)
CF(LE, (int32_t)a <= (int32_t)b, (int64_t)a <= (int64_t)b)
CF(GT, (int32_t)a > (int32_t)b, (int64_t)a > (int64_t)b)
CF(LTU, (uint32_t)a < (uint32_t)b, a < b)
CF(GEU, (uint32_t)a >= (uint32_t)b, a >= b)
CF(LEU, (uint32_t)a <= (uint32_t)b, a <= b)
CF(GTU, (uint32_t)a > (uint32_t)b, a > b)
CF(TSTEQ, ((uint32_t)a & (uint32_t)b) == 0, (a & b) == 0)
CF(TSTNE, ((uint32_t)a & (uint32_t)b) != 0, (a & b) != 0)
#undef CF

static inline uint64_t field_mask(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

/* Host memory of the env kind: native byte order, any alignment. */
#define HOST_LD(type, p) ({ type v_; memcpy(&v_, (const void *)(uintptr_t)(p), sizeof(v_)); v_; })
#define HOST_ST(type, p, v)                                                              \
    do {                                                                                 \
        type v_ = (type)(v);                                                             \
        memcpy((void *)(uintptr_t)(p), &v_, sizeof(v_));                                 \
    } while (0)

/* Guest memory is little-endian. */
static inline uint64_t guest_ld(const void *p, unsigned size)
{
    return ldn_le_p(p, size);
}

static inline void guest_st(void *p, unsigned size, uint64_t v)
{
    stn_le_p(p, size, v);
}

/*
 * The inline TLB probe: the host address of [addr, addr + size) if the entry for mmu_idx
 * allows this access directly, else NULL (take the hook).  A native backend emits the
 * same compare in front of every access.
 */
static inline void *interp_tlb_host(const TLBFast *t, unsigned moi, uint64_t addr,
                                    unsigned size, bool write)
{
    unsigned mmu = IR_MEMOPIDX_MMU(moi);
    const TLBFastEntry *e;

    if (!t || !t->table[mmu]) {
        return NULL;
    }
    if (((moi & IR_MO_ALIGN) && (addr & (size - 1))) ||
        ((moi & IR_MO_ALIGN_16) && (addr & 15))) {
        return NULL; /* let the hook raise the alignment fault */
    }
    e = tlb_fast_entry(t, mmu, addr);
    if ((write ? e->addr_write : e->addr_read) != tlb_fast_tag(t, addr, size)) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

typedef uint64_t (*HelperFn6)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

/* ---------------------------------------------------------------------------------------
 * Execution
 */

static uint64_t interp_exec(TBExecCtx *ctx, TranslationBlock *tb)
{
    uint64_t regs[INTERP_MAX_SLOTS];
    const uint64_t *ip = tb->code;
    const TLBFast *tlb = ctx->tlb;
    void *env = ctx->env;
    uint64_t w;

    ctx->cur_tb = tb;
    regs[0] = (uintptr_t)env;

#define A ((unsigned)(w >> 16) & 0xffff)
#define B ((unsigned)(w >> 32) & 0xffff)
#define C ((unsigned)(w >> 48))
#define R(x) regs[x]
#define ENVP(off) ((uint8_t *)env + (off))
/* LDG/STG: the env offset is the 32 bits in B and C. */
#define GOFF ((int32_t)(uint32_t)(w >> 32))

#ifdef INTERP_THREADED
    static const void *const labels[IOP_COUNT] = {
#define IOP_LABEL(n, wd) [IOP_##n] = &&L_##n,
        IOPS(IOP_LABEL)
#undef IOP_LABEL
    };
#define CASE(n) L_##n:
#define NEXT                                                                             \
    do {                                                                                 \
        w = *ip++;                                                                       \
        goto *labels[w & 0xffff];                                                        \
    } while (0)
    NEXT;
#else
#define CASE(n) case IOP_##n:
#define NEXT continue
    for (;;) {
        w = *ip++;
        switch (w & 0xffff) {
#endif

    CASE(INVALID)
    {
        abort();
    }
    CASE(MOV)
    {
        R(A) = R(B);
        NEXT;
    }
    CASE(MOVI)
    {
        R(A) = *ip++;
        NEXT;
    }
    CASE(LDG32)
    {
        R(A) = HOST_LD(uint32_t, ENVP(GOFF));
        NEXT;
    }
    CASE(LDG64)
    {
        R(A) = HOST_LD(uint64_t, ENVP(GOFF));
        NEXT;
    }
    CASE(STG32)
    {
        HOST_ST(uint32_t, ENVP(GOFF), R(A));
        NEXT;
    }
    CASE(STG64)
    {
        HOST_ST(uint64_t, ENVP(GOFF), R(A));
        NEXT;
    }

#define H_RR(X, n)                                                                       \
    CASE(n##_32)                                                                         \
    {                                                                                    \
        R(A) = f_##n##_32(R(B), R(C));                                                   \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(n##_64)                                                                         \
    {                                                                                    \
        R(A) = f_##n##_64(R(B), R(C));                                                   \
        NEXT;                                                                            \
    }
    LIST_BIN(H_RR, _)
#undef H_RR

#define H_RI(X, n)                                                                       \
    CASE(n##I_32)                                                                        \
    {                                                                                    \
        R(A) = f_##n##_32(R(B), *ip++);                                                  \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(n##I_64)                                                                        \
    {                                                                                    \
        R(A) = f_##n##_64(R(B), *ip++);                                                  \
        NEXT;                                                                            \
    }
    LIST_BINI(H_RI, _)
#undef H_RI

#define H_UN(X, n)                                                                       \
    CASE(n##_32)                                                                         \
    {                                                                                    \
        R(A) = f_##n##_32(R(B));                                                         \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(n##_64)                                                                         \
    {                                                                                    \
        R(A) = f_##n##_64(R(B));                                                         \
        NEXT;                                                                            \
    }
    LIST_UN(H_UN, _)
#undef H_UN

    CASE(EXT32S)
    {
        R(A) = (uint64_t)(int64_t)(int32_t)R(B);
        NEXT;
    }
    CASE(EXT32U)
    {
        R(A) = (uint32_t)R(B);
        NEXT;
    }
    CASE(BSWAP64)
    {
        R(A) = __builtin_bswap64(R(B));
        NEXT;
    }
    CASE(EXTRH)
    {
        R(A) = R(B) >> 32;
        NEXT;
    }
    CASE(EXTS)
    {
        R(A) = (uint64_t)(int64_t)(int32_t)R(B);
        NEXT;
    }
    CASE(DEPOSIT)
    {
        unsigned pos = (unsigned)(*ip & 0xff), len = (unsigned)(*ip >> 8);
        uint64_t m = field_mask(len) << pos;
        ip++;
        R(A) = (R(B) & ~m) | ((R(C) << pos) & m);
        NEXT;
    }
    CASE(EXTRACT)
    {
        unsigned pos = (unsigned)(*ip & 0xff), len = (unsigned)(*ip >> 8);
        ip++;
        R(A) = (R(B) >> pos) & field_mask(len);
        NEXT;
    }
    CASE(SEXTRACT_32)
    {
        unsigned pos = (unsigned)(*ip & 0xff), len = (unsigned)(*ip >> 8);
        ip++;
        R(A) = U32((int64_t)(R(B) << (64 - pos - len)) >> (64 - len));
        NEXT;
    }
    CASE(SEXTRACT_64)
    {
        unsigned pos = (unsigned)(*ip & 0xff), len = (unsigned)(*ip >> 8);
        ip++;
        R(A) = (uint64_t)((int64_t)(R(B) << (64 - pos - len)) >> (64 - len));
        NEXT;
    }

#define H_COND(X, c)                                                                     \
    CASE(SETC_##c##_32)                                                                  \
    {                                                                                    \
        R(A) = c_##c##_32(R(B), R(C));                                                   \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(SETC_##c##_64)                                                                  \
    {                                                                                    \
        R(A) = c_##c##_64(R(B), R(C));                                                   \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(SETCI_##c##_32)                                                                 \
    {                                                                                    \
        R(A) = c_##c##_32(R(B), *ip++);                                                  \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(SETCI_##c##_64)                                                                 \
    {                                                                                    \
        R(A) = c_##c##_64(R(B), *ip++);                                                  \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(BRC_##c##_32)                                                                   \
    {                                                                                    \
        ip += c_##c##_32(R(A), R(B)) ? (int64_t)*ip : 1;                                 \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(BRC_##c##_64)                                                                   \
    {                                                                                    \
        ip += c_##c##_64(R(A), R(B)) ? (int64_t)*ip : 1;                                 \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(BRCI_##c##_32)                                                                  \
    {                                                                                    \
        ip += c_##c##_32(R(A), ip[0]) ? 1 + (int64_t)ip[1] : 2;                          \
        NEXT;                                                                            \
    }                                                                                    \
    CASE(BRCI_##c##_64)                                                                  \
    {                                                                                    \
        ip += c_##c##_64(R(A), ip[0]) ? 1 + (int64_t)ip[1] : 2;                          \
        NEXT;                                                                            \
    }
    LIST_COND(H_COND, _)
#undef H_COND

    CASE(MOVCOND_32)
    {
        uint64_t x = *ip++;
        bool t = ir_cond_eval((IRCond)(x >> 32), IR_I32, R(B), R(C));
        R(A) = R(t ? x & 0xffff : (x >> 16) & 0xffff);
        NEXT;
    }
    CASE(MOVCOND_64)
    {
        uint64_t x = *ip++;
        bool t = ir_cond_eval((IRCond)(x >> 32), IR_I64, R(B), R(C));
        R(A) = R(t ? x & 0xffff : (x >> 16) & 0xffff);
        NEXT;
    }

    /* Double-width ops: [op|lo|hi|-][a|b|c|d]; inputs are read before outputs. */
#define IN2(k) R((unsigned)(x >> (16 * (k))) & 0xffff)
    CASE(MULU2_32)
    {
        uint64_t x = *ip++;
        uint64_t r = IN2(0) * IN2(1);
        R(A) = U32(r);
        R(B) = r >> 32;
        NEXT;
    }
    CASE(MULS2_32)
    {
        uint64_t x = *ip++;
        uint64_t r = (uint64_t)((int64_t)(int32_t)IN2(0) * (int32_t)IN2(1));
        R(A) = U32(r);
        R(B) = r >> 32;
        NEXT;
    }
    CASE(MULU2_64)
    {
        uint64_t x = *ip++;
        unsigned __int128 r = (unsigned __int128)IN2(0) * IN2(1);
        R(A) = (uint64_t)r;
        R(B) = (uint64_t)(r >> 64);
        NEXT;
    }
    CASE(MULS2_64)
    {
        uint64_t x = *ip++;
        __int128 r = (__int128)(int64_t)IN2(0) * (int64_t)IN2(1);
        R(A) = (uint64_t)r;
        R(B) = (uint64_t)((unsigned __int128)r >> 64);
        NEXT;
    }
    CASE(ADD2_32)
    {
        uint64_t x = *ip++;
        uint64_t r = (IN2(1) << 32 | IN2(0)) + (IN2(3) << 32 | IN2(2));
        R(A) = U32(r);
        R(B) = r >> 32;
        NEXT;
    }
    CASE(SUB2_32)
    {
        uint64_t x = *ip++;
        uint64_t r = (IN2(1) << 32 | IN2(0)) - (IN2(3) << 32 | IN2(2));
        R(A) = U32(r);
        R(B) = r >> 32;
        NEXT;
    }
    CASE(ADD2_64)
    {
        uint64_t x = *ip++;
        uint64_t al = IN2(0), ah = IN2(1), bl = IN2(2), bh = IN2(3);
        uint64_t lo = al + bl;
        R(A) = lo;
        R(B) = ah + bh + (lo < al);
        NEXT;
    }
    CASE(SUB2_64)
    {
        uint64_t x = *ip++;
        uint64_t al = IN2(0), ah = IN2(1), bl = IN2(2), bh = IN2(3);
        R(A) = al - bl;
        R(B) = ah - bh - (al < bl);
        NEXT;
    }
#undef IN2

    /* Host (env) memory: [op|v|base|-][offset]. */
#define H_LD(n, type, conv)                                                              \
    CASE(n)                                                                              \
    {                                                                                    \
        R(A) = conv(HOST_LD(type, R(B) + (int64_t)*ip));                                 \
        ip++;                                                                            \
        NEXT;                                                                            \
    }
#define CONV_U(x) ((uint64_t)(x))
#define CONV_S32(x) U32((int64_t)(x))
#define CONV_S64(x) ((uint64_t)(int64_t)(x))
    H_LD(LD8U, uint8_t, CONV_U)
    H_LD(LD8S_32, int8_t, CONV_S32)
    H_LD(LD8S_64, int8_t, CONV_S64)
    H_LD(LD16U, uint16_t, CONV_U)
    H_LD(LD16S_32, int16_t, CONV_S32)
    H_LD(LD16S_64, int16_t, CONV_S64)
    H_LD(LD32U, uint32_t, CONV_U)
    H_LD(LD32S, int32_t, CONV_S64)
    H_LD(LD64, uint64_t, CONV_U)
#undef H_LD
#define H_ST(n, type)                                                                    \
    CASE(n)                                                                              \
    {                                                                                    \
        HOST_ST(type, R(B) + (int64_t)*ip, R(A));                                        \
        ip++;                                                                            \
        NEXT;                                                                            \
    }
    H_ST(ST8, uint8_t)
    H_ST(ST16, uint16_t)
    H_ST(ST32, uint32_t)
    H_ST(ST64, uint64_t)
#undef H_ST

    /* Guest memory: [op|v|addr|memopidx]. */
#define H_QLD(n, size, type, conv)                                                       \
    CASE(n)                                                                              \
    {                                                                                    \
        uint64_t addr = R(B), v;                                                         \
        void *host = interp_tlb_host(tlb, C, addr, size, false);                         \
        if (likely(host != NULL)) {                                                      \
            v = guest_ld(host, size);                                                    \
        } else {                                                                         \
            ctx->pos = (uintptr_t)(ip - 1);                                              \
            v = ctx->mem->load(env, addr, IR_MEMOPIDX_OP(C), IR_MEMOPIDX_MMU(C));        \
        }                                                                                \
        R(A) = conv((type)v);                                                            \
        NEXT;                                                                            \
    }
    H_QLD(QLD8U, 1, uint8_t, CONV_U)
    H_QLD(QLD8S_32, 1, int8_t, CONV_S32)
    H_QLD(QLD8S_64, 1, int8_t, CONV_S64)
    H_QLD(QLD16U, 2, uint16_t, CONV_U)
    H_QLD(QLD16S_32, 2, int16_t, CONV_S32)
    H_QLD(QLD16S_64, 2, int16_t, CONV_S64)
    H_QLD(QLD32U, 4, uint32_t, CONV_U)
    H_QLD(QLD32S_64, 4, int32_t, CONV_S64)
    H_QLD(QLD64, 8, uint64_t, CONV_U)
#undef H_QLD
#define H_QST(n, size)                                                                   \
    CASE(n)                                                                              \
    {                                                                                    \
        uint64_t addr = R(B);                                                            \
        void *host = interp_tlb_host(tlb, C, addr, size, true);                          \
        if (likely(host != NULL)) {                                                      \
            guest_st(host, size, R(A));                                                  \
        } else {                                                                         \
            ctx->pos = (uintptr_t)(ip - 1);                                              \
            ctx->mem->store(env, addr, R(A), IR_MEMOPIDX_OP(C), IR_MEMOPIDX_MMU(C));     \
        }                                                                                \
        NEXT;                                                                            \
    }
    H_QST(QST8, 1)
    H_QST(QST16, 2)
    H_QST(QST32, 4)
    H_QST(QST64, 8)
#undef H_QST

    /*
     * Calls: [op|ret|-|-][fn][a0|a1|a2|a3][a4|a5|-|-].  Every helper is called with six
     * integer arguments; unused ones carry env.  On the 64-bit SysV and AAPCS64 ABIs a
     * callee ignores argument registers it does not declare, and reads a 32-bit
     * parameter from the low half of its register.
     */
#define CALL_HELPER()                                                                    \
    ({                                                                                   \
        HelperFn6 fn = (HelperFn6)(uintptr_t)ip[0];                                      \
        uint64_t x = ip[1], y = ip[2];                                                   \
        ctx->pos = (uintptr_t)(ip - 1);                                                  \
        ip += 3;                                                                         \
        fn(R(x & 0xffff), R((x >> 16) & 0xffff), R((x >> 32) & 0xffff), R(x >> 48),      \
           R(y & 0xffff), R((y >> 16) & 0xffff));                                        \
    })
    CASE(CALL32)
    {
        uint64_t r = CALL_HELPER();
        R(A) = U32(r);
        NEXT;
    }
    CASE(CALL64)
    {
        uint64_t r = CALL_HELPER();
        R(A) = r;
        NEXT;
    }
    CASE(CALLV)
    {
        CALL_HELPER();
        NEXT;
    }
#undef CALL_HELPER

    CASE(MB)
    {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        NEXT;
    }
    CASE(BR)
    {
        ip += (int64_t)*ip;
        NEXT;
    }
    CASE(GOTO_TB)
    {
        TranslationBlock *next =
            (TranslationBlock *)(uintptr_t)__atomic_load_n(ip, __ATOMIC_ACQUIRE);
        if (next) {
            if (unlikely(--ctx->budget < 0 || ctx->exit_request)) {
                ctx->last_tb = next;
                ctx->exit_reason = TB_EXIT_REQUESTED;
                return 0;
            }
            tb = next;
            ctx->cur_tb = tb;
            ip = tb->code;
            NEXT;
        }
        ip++;
        NEXT;
    }
    CASE(EXIT_TB)
    {
        ctx->last_tb = tb;
        ctx->exit_reason = A == IR_EXIT_NOCHAIN ? TB_EXIT_NOCHAIN : (TBExitReason)A;
        return *ip;
    }
    CASE(LOOKUP)
    {
        TranslationBlock *next = ctx->lookup_tb ? ctx->lookup_tb(ctx) : NULL;
        if (!next) {
            ctx->last_tb = tb;
            ctx->exit_reason = TB_EXIT_NOCHAIN;
            return 0;
        }
        if (unlikely(--ctx->budget < 0 || ctx->exit_request)) {
            ctx->last_tb = next;
            ctx->exit_reason = TB_EXIT_REQUESTED;
            return 0;
        }
        tb = next;
        ctx->cur_tb = tb;
        ip = tb->code;
        NEXT;
    }

#ifndef INTERP_THREADED
        default:
            abort();
        }
    }
#endif
#undef A
#undef B
#undef C
#undef R
#undef CASE
#undef NEXT
}

static void interp_set_jump(TranslationBlock *tb, unsigned n, TranslationBlock *dest)
{
    uint64_t *word = (uint64_t *)tb->code_rw + tb->jmp_patch[n];
    __atomic_store_n(word, (uint64_t)(uintptr_t)dest, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------------------------------
 * Code generation
 */

enum { G_MEM, G_CLEAN, G_DIRTY };

typedef struct Fixup {
    uint32_t label;
    uint32_t word; /* index of the displacement word */
} Fixup;

typedef struct Gen {
    IRFunc *f;
    TranslationBlock *tb;
    uint64_t *out;
    size_t cap, n;
    uint16_t *slot;    /* per temp */
    uint8_t *gstate;   /* per global */
    uint8_t *cloaded;  /* per constant: materialized in its slot in this EBB */
    uint16_t *freelist;
    uint32_t nfree, next_slot;
    bool too_big;
    uint32_t *label_pos;
    Fixup *fix;
    uint32_t nfix, fixcap;
} Gen;

static void emit(Gen *g, uint64_t word)
{
    if (g->n < g->cap) {
        g->out[g->n] = word;
    }
    g->n++;
}

static void patch(Gen *g, size_t at, uint64_t word)
{
    if (at < g->cap) {
        g->out[at] = word;
    }
}

static unsigned slot_alloc(Gen *g)
{
    if (g->nfree) {
        return g->freelist[--g->nfree];
    }
    if (g->next_slot >= INTERP_MAX_SLOTS) {
        g->too_big = true;
        return INTERP_MAX_SLOTS - 1;
    }
    return g->next_slot++;
}

static void slot_free(Gen *g, uint32_t t)
{
    if (g->slot[t] != SLOT_NONE) {
        if (!g->too_big) {
            g->freelist[g->nfree++] = g->slot[t];
        }
        g->slot[t] = SLOT_NONE;
    }
}

static IRTempKind kind_of(Gen *g, uint64_t t)
{
    return (IRTempKind)g->f->temps[t].kind;
}

static void emit_ldg(Gen *g, unsigned slot, uint32_t global)
{
    const IRTempInfo *ti = &g->f->temps[global];
    unsigned op = ti->type == IR_I32 ? IOP_LDG32 : IOP_LDG64;
    uint32_t off = (uint32_t)ti->mem_offset;

    emit(g, pack(op, slot, off & 0xffff, off >> 16));
}

/* Write back every dirty global. */
static void sync_globals(Gen *g)
{
    for (uint32_t t = 1; t < g->f->nb_globals; t++) {
        if (g->gstate[t] == G_DIRTY) {
            const IRTempInfo *ti = &g->f->temps[t];
            unsigned op = ti->type == IR_I32 ? IOP_STG32 : IOP_STG64;
            uint32_t off = (uint32_t)ti->mem_offset;
            emit(g, pack(op, t, off & 0xffff, off >> 16));
            g->gstate[t] = G_CLEAN;
        }
    }
}

static void forget_globals(Gen *g)
{
    for (uint32_t t = 1; t < g->f->nb_globals; t++) {
        assert(g->gstate[t] != G_DIRTY);
        g->gstate[t] = G_MEM;
    }
}

/* At a label: control may arrive from elsewhere, so nothing cached is known. */
static void enter_label(Gen *g)
{
    forget_globals(g);
    for (uint32_t t = g->f->nb_globals; t < g->f->nb_temps; t++) {
        IRTempKind k = kind_of(g, t);
        if (k == IR_TEMP_CONST) {
            g->cloaded[t] = 0;
        } else if (k == IR_TEMP_EBB) {
            slot_free(g, t);
        }
    }
}

/* The slot holding input t, emitting a load or constant materialization as needed. */
static unsigned in_slot(Gen *g, uint64_t t)
{
    switch (kind_of(g, t)) {
    case IR_TEMP_FIXED:
        return 0;
    case IR_TEMP_GLOBAL:
        if (g->gstate[t] == G_MEM) {
            emit_ldg(g, (unsigned)t, (uint32_t)t);
            g->gstate[t] = G_CLEAN;
        }
        return (unsigned)t;
    case IR_TEMP_CONST:
        if (g->slot[t] == SLOT_NONE) {
            g->slot[t] = slot_alloc(g);
        }
        if (!g->cloaded[t]) {
            emit(g, pack(IOP_MOVI, g->slot[t], 0, 0));
            emit(g, g->f->temps[t].val);
            g->cloaded[t] = 1;
        }
        return g->slot[t];
    default:
        /* Reading a temp never written: give it a slot so the result is merely garbage. */
        if (g->slot[t] == SLOT_NONE) {
            g->slot[t] = slot_alloc(g);
        }
        return g->slot[t];
    }
}

static unsigned out_slot(Gen *g, uint64_t t)
{
    if (kind_of(g, t) == IR_TEMP_GLOBAL) {
        return (unsigned)t;
    }
    if (g->slot[t] == SLOT_NONE) {
        g->slot[t] = slot_alloc(g);
    }
    return g->slot[t];
}

/* Release EBB inputs whose value dies at op (before outputs are allocated). */
static void free_dead_inputs(Gen *g, const IROp *op)
{
    for (unsigned k = op->nb_oargs; k < op->nb_oargs + op->nb_iargs; k++) {
        if ((op->life & IR_LIFE_DEAD(k)) && kind_of(g, op->args[k]) == IR_TEMP_EBB) {
            slot_free(g, (uint32_t)op->args[k]);
        }
    }
}

/* After emitting op: globals written become dirty, unused EBB outputs free their slot. */
static void finish_outputs(Gen *g, const IROp *op)
{
    for (unsigned k = 0; k < op->nb_oargs; k++) {
        uint64_t t = op->args[k];
        if (kind_of(g, t) == IR_TEMP_GLOBAL) {
            g->gstate[t] = G_DIRTY;
        } else if ((op->life & IR_LIFE_DEAD(k)) && kind_of(g, t) == IR_TEMP_EBB) {
            slot_free(g, (uint32_t)t);
        }
    }
}

static void emit_branch_target(Gen *g, uint32_t label)
{
    if (g->label_pos[label] != UINT32_MAX) {
        emit(g, (uint64_t)((int64_t)g->label_pos[label] - (int64_t)g->n));
        return;
    }
    if (g->nfix == g->fixcap) {
        g->fixcap = g->fixcap ? g->fixcap * 2 : 16;
        g->fix = xrealloc(g->fix, g->fixcap * sizeof(*g->fix));
    }
    g->fix[g->nfix].label = label;
    g->fix[g->nfix].word = (uint32_t)g->n;
    g->nfix++;
    emit(g, 0);
}

static void set_label(Gen *g, uint32_t label)
{
    g->label_pos[label] = (uint32_t)g->n;
    for (uint32_t i = 0; i < g->nfix;) {
        if (g->fix[i].label == label) {
            patch(g, g->fix[i].word, (uint64_t)((int64_t)g->n - (int64_t)g->fix[i].word));
            g->fix[i] = g->fix[--g->nfix];
        } else {
            i++;
        }
    }
}

/* Opcode tables indexed by IR opcode and width (0 = i32, 1 = i64). */
static const uint16_t rr_ops[IR_OP_COUNT][2] = {
#define T_RR(X, n) [IR_OP_##n] = {IOP_##n##_32, IOP_##n##_64},
    LIST_BIN(T_RR, _) LIST_UN(T_RR, _)
#undef T_RR
};

static const uint16_t ri_ops[IR_OP_COUNT][2] = {
#define T_RI(X, n) [IR_OP_##n] = {IOP_##n##I_32, IOP_##n##I_64},
    LIST_BINI(T_RI, _)
#undef T_RI
};

static const uint16_t cond_ops[IR_COND_COUNT][4][2] = {
#define T_COND(X, c)                                                                     \
    [IR_COND_##c] = {{IOP_SETC_##c##_32, IOP_SETC_##c##_64},                             \
                     {IOP_SETCI_##c##_32, IOP_SETCI_##c##_64},                           \
                     {IOP_BRC_##c##_32, IOP_BRC_##c##_64},                               \
                     {IOP_BRCI_##c##_32, IOP_BRCI_##c##_64}},
    LIST_COND(T_COND, _)
#undef T_COND
};

static bool commutative(unsigned opc)
{
    return opc == IR_OP_ADD || opc == IR_OP_MUL || opc == IR_OP_AND || opc == IR_OP_OR ||
           opc == IR_OP_XOR;
}

static void gen_mov(Gen *g, const IROp *op)
{
    uint64_t d = op->args[0], s = op->args[1];
    IRTempKind dk = kind_of(g, d), sk = kind_of(g, s);

    if (d == s) {
        return;
    }
    if (sk == IR_TEMP_CONST) {
        emit(g, pack(IOP_MOVI, out_slot(g, d), 0, 0));
        emit(g, g->f->temps[s].val);
    } else if (sk == IR_TEMP_GLOBAL && g->gstate[s] == G_MEM && dk != IR_TEMP_GLOBAL) {
        /* Load straight into the destination; the global stays uncached. */
        emit_ldg(g, out_slot(g, d), (uint32_t)s);
    } else if (sk == IR_TEMP_EBB && dk == IR_TEMP_EBB && (op->life & IR_LIFE_DEAD(1)) &&
               g->slot[s] != SLOT_NONE) {
        /* The source dies here: rename its slot instead of copying. */
        slot_free(g, (uint32_t)d);
        g->slot[d] = g->slot[s];
        g->slot[s] = SLOT_NONE;
    } else {
        unsigned ss = in_slot(g, s);
        free_dead_inputs(g, op);
        emit(g, pack(IOP_MOV, out_slot(g, d), ss, 0));
    }
    finish_outputs(g, op);
}

static void gen_binary(Gen *g, const IROp *op)
{
    unsigned w = op->type == IR_I64;
    uint64_t a = op->args[1], b = op->args[2];
    unsigned sa, sb;

    if (commutative(op->opc) && kind_of(g, a) == IR_TEMP_CONST && kind_of(g, b) != IR_TEMP_CONST) {
        uint64_t t = a;
        a = b;
        b = t;
    }
    if (kind_of(g, b) == IR_TEMP_CONST && ri_ops[op->opc][w]) {
        sa = in_slot(g, a);
        free_dead_inputs(g, op);
        emit(g, pack(ri_ops[op->opc][w], out_slot(g, op->args[0]), sa, 0));
        emit(g, g->f->temps[b].val);
    } else {
        sa = in_slot(g, a);
        sb = in_slot(g, b);
        free_dead_inputs(g, op);
        emit(g, pack(rr_ops[op->opc][w], out_slot(g, op->args[0]), sa, sb));
    }
    finish_outputs(g, op);
}

static void gen_unary(Gen *g, const IROp *op, unsigned iop)
{
    unsigned sa = in_slot(g, op->args[1]);

    free_dead_inputs(g, op);
    emit(g, pack(iop, out_slot(g, op->args[0]), sa, 0));
    finish_outputs(g, op);
}

static void gen_setcond(Gen *g, const IROp *op)
{
    unsigned w = op->type == IR_I64;
    uint64_t a = op->args[1], b = op->args[2];
    IRCond c = (IRCond)op->args[3];
    unsigned sa, d;

    if (kind_of(g, a) == IR_TEMP_CONST && kind_of(g, b) != IR_TEMP_CONST) {
        uint64_t t = a;
        a = b;
        b = t;
        c = ir_cond_swap(c);
    }
    if (c == IR_COND_ALWAYS || c == IR_COND_NEVER) {
        uint64_t v = c == IR_COND_ALWAYS;
        if (op->opc == IR_OP_NEGSETCOND) {
            v = ir_truncate((IRType)op->type, -v);
        }
        free_dead_inputs(g, op);
        emit(g, pack(IOP_MOVI, out_slot(g, op->args[0]), 0, 0));
        emit(g, v);
        finish_outputs(g, op);
        return;
    }
    sa = in_slot(g, a);
    if (kind_of(g, b) == IR_TEMP_CONST) {
        free_dead_inputs(g, op);
        d = out_slot(g, op->args[0]);
        emit(g, pack(cond_ops[c][1][w], d, sa, 0));
        emit(g, g->f->temps[b].val);
    } else {
        unsigned sb = in_slot(g, b);
        free_dead_inputs(g, op);
        d = out_slot(g, op->args[0]);
        emit(g, pack(cond_ops[c][0][w], d, sa, sb));
    }
    if (op->opc == IR_OP_NEGSETCOND) {
        emit(g, pack(w ? IOP_NEG_64 : IOP_NEG_32, d, d, 0));
    }
    finish_outputs(g, op);
}

static void gen_brcond(Gen *g, const IROp *op)
{
    unsigned w = op->type == IR_I64;
    uint64_t a = op->args[0], b = op->args[1];
    IRCond c = (IRCond)op->args[2];
    uint32_t label = (uint32_t)op->args[3];
    unsigned sa, sb = 0;
    bool imm;

    if (kind_of(g, a) == IR_TEMP_CONST && kind_of(g, b) != IR_TEMP_CONST) {
        uint64_t t = a;
        a = b;
        b = t;
        c = ir_cond_swap(c);
    }
    if (c == IR_COND_NEVER) {
        return;
    }
    if (c == IR_COND_ALWAYS) {
        sync_globals(g);
        emit(g, pack(IOP_BR, 0, 0, 0));
        emit_branch_target(g, label);
        return;
    }
    imm = kind_of(g, b) == IR_TEMP_CONST;
    sa = in_slot(g, a);
    if (!imm) {
        sb = in_slot(g, b);
    }
    /* The branch ends a basic block: env must be current on both paths. */
    sync_globals(g);
    free_dead_inputs(g, op);
    if (imm) {
        emit(g, pack(cond_ops[c][3][w], sa, 0, 0));
        emit(g, g->f->temps[b].val);
    } else {
        emit(g, pack(cond_ops[c][2][w], sa, sb, 0));
    }
    emit_branch_target(g, label);
}

static void gen_movcond(Gen *g, const IROp *op)
{
    unsigned w = op->type == IR_I64;
    unsigned c1 = in_slot(g, op->args[1]), c2 = in_slot(g, op->args[2]);
    unsigned v1 = in_slot(g, op->args[3]), v2 = in_slot(g, op->args[4]);

    free_dead_inputs(g, op);
    emit(g, pack(w ? IOP_MOVCOND_64 : IOP_MOVCOND_32, out_slot(g, op->args[0]), c1, c2));
    emit(g, (uint64_t)v1 | (uint64_t)v2 << 16 | op->args[5] << 32);
    finish_outputs(g, op);
}

static void gen_double(Gen *g, const IROp *op)
{
    static const uint16_t ops[4][2] = {
        {IOP_MULU2_32, IOP_MULU2_64}, {IOP_MULS2_32, IOP_MULS2_64},
        {IOP_ADD2_32, IOP_ADD2_64},   {IOP_SUB2_32, IOP_SUB2_64},
    };
    unsigned w = op->type == IR_I64;
    unsigned k = op->opc == IR_OP_MULU2 ? 0 : op->opc == IR_OP_MULS2 ? 1
               : op->opc == IR_OP_ADD2 ? 2 : 3;
    uint64_t ins = 0;
    unsigned lo, hi;

    for (unsigned i = 0; i < op->nb_iargs; i++) {
        ins |= (uint64_t)in_slot(g, op->args[2 + i]) << (16 * i);
    }
    free_dead_inputs(g, op);
    lo = out_slot(g, op->args[0]);
    hi = out_slot(g, op->args[1]);
    emit(g, pack(ops[k][w], lo, hi, 0));
    emit(g, ins);
    finish_outputs(g, op);
}

static void gen_field(Gen *g, const IROp *op)
{
    unsigned w = op->type == IR_I64;
    unsigned sa = in_slot(g, op->args[1]), sb = 0, iop;
    uint64_t pos, len;

    if (op->opc == IR_OP_DEPOSIT) {
        sb = in_slot(g, op->args[2]);
        pos = op->args[3];
        len = op->args[4];
        iop = IOP_DEPOSIT;
    } else {
        pos = op->args[2];
        len = op->args[3];
        iop = op->opc == IR_OP_EXTRACT ? IOP_EXTRACT : w ? IOP_SEXTRACT_64 : IOP_SEXTRACT_32;
    }
    free_dead_inputs(g, op);
    emit(g, pack(iop, out_slot(g, op->args[0]), sa, sb));
    emit(g, pos | len << 8);
    finish_outputs(g, op);
}

static unsigned ld_op(unsigned opc, bool w64)
{
    switch (opc) {
    case IR_OP_LD8U: return IOP_LD8U;
    case IR_OP_LD8S: return w64 ? IOP_LD8S_64 : IOP_LD8S_32;
    case IR_OP_LD16U: return IOP_LD16U;
    case IR_OP_LD16S: return w64 ? IOP_LD16S_64 : IOP_LD16S_32;
    case IR_OP_LD32U: return IOP_LD32U;
    case IR_OP_LD32S: return IOP_LD32S;
    case IR_OP_LD: return w64 ? IOP_LD64 : IOP_LD32U;
    case IR_OP_ST8: return IOP_ST8;
    case IR_OP_ST16: return IOP_ST16;
    case IR_OP_ST32: return IOP_ST32;
    default: return w64 ? IOP_ST64 : IOP_ST32;
    }
}

static void gen_ldst(Gen *g, const IROp *op)
{
    bool w64 = op->type == IR_I64;
    bool is_st = op->nb_oargs == 0;
    unsigned sv = 0, sb;

    if (is_st) {
        sv = in_slot(g, op->args[0]);
        sb = in_slot(g, op->args[1]);
        free_dead_inputs(g, op);
    } else {
        sb = in_slot(g, op->args[1]);
        free_dead_inputs(g, op);
        sv = out_slot(g, op->args[0]);
    }
    emit(g, pack(ld_op(op->opc, w64), sv, sb, 0));
    emit(g, op->args[op->nb_oargs + op->nb_iargs]);
    finish_outputs(g, op);
}

static void gen_qemu(Gen *g, const IROp *op)
{
    bool w64 = op->type == IR_I64;
    uint64_t moi = op->args[2];
    unsigned mo = IR_MEMOPIDX_OP(moi), size = mo & IR_MO_SIZE;
    bool sign = mo & IR_MO_SIGN;
    unsigned iop, sv = 0, sa;

    if (op->opc == IR_OP_QEMU_LD) {
        static const uint16_t u[4] = {IOP_QLD8U, IOP_QLD16U, IOP_QLD32U, IOP_QLD64};
        static const uint16_t s32[4] = {IOP_QLD8S_32, IOP_QLD16S_32, IOP_QLD32U, IOP_QLD64};
        static const uint16_t s64[4] = {IOP_QLD8S_64, IOP_QLD16S_64, IOP_QLD32S_64, IOP_QLD64};
        iop = !sign ? u[size] : w64 ? s64[size] : s32[size];
        sa = in_slot(g, op->args[1]);
        sync_globals(g);
        free_dead_inputs(g, op);
        sv = out_slot(g, op->args[0]);
    } else {
        static const uint16_t st[4] = {IOP_QST8, IOP_QST16, IOP_QST32, IOP_QST64};
        iop = st[size];
        sv = in_slot(g, op->args[0]);
        sa = in_slot(g, op->args[1]);
        sync_globals(g);
        free_dead_inputs(g, op);
    }
    emit(g, pack(iop, sv, sa, (unsigned)moi));
    finish_outputs(g, op);
}

static void gen_call(Gen *g, const IROp *op)
{
    unsigned no = op->nb_oargs, ni = op->nb_iargs;
    uint64_t fn = op->args[no + ni], flags = op->args[no + ni + 1];
    uint64_t mask = op->args[no + ni + 2];
    unsigned s[IR_CALL_MAX_ARGS] = {0};
    unsigned iop = IOP_CALLV, ret = 0;

    for (unsigned i = 0; i < ni; i++) {
        s[i] = in_slot(g, op->args[no + i]);
    }
    if (!(flags & IR_CALL_NO_READ_GLOBALS) || !(flags & IR_CALL_NO_WRITE_GLOBALS)) {
        sync_globals(g);
    }
    free_dead_inputs(g, op);
    if (!(flags & IR_CALL_NO_WRITE_GLOBALS)) {
        forget_globals(g);
    }
    if (no) {
        ret = out_slot(g, op->args[0]);
        iop = IR_CALLTYPE_GET(mask, 0) == IR_CALLTYPE_I32 ? IOP_CALL32 : IOP_CALL64;
    }
    emit(g, pack(iop, ret, 0, 0));
    emit(g, fn);
    emit(g, (uint64_t)s[0] | (uint64_t)s[1] << 16 | (uint64_t)s[2] << 32 | (uint64_t)s[3] << 48);
    emit(g, (uint64_t)s[4] | (uint64_t)s[5] << 16);
    finish_outputs(g, op);
}

static long interp_gen_code(IRFunc *f, TranslationBlock *tb, void *buf, size_t cap,
                            uint32_t *insn_pos)
{
    Gen g = {.f = f, .tb = tb, .out = buf, .cap = cap / sizeof(uint64_t)};
    uint32_t insn = 0;
    bool reachable = true;
    long ret;

    g.slot = xmalloc(f->nb_temps * sizeof(*g.slot));
    memset(g.slot, 0xff, f->nb_temps * sizeof(*g.slot));
    g.gstate = xzalloc(f->nb_temps);
    g.cloaded = xzalloc(f->nb_temps);
    g.freelist = xmalloc(INTERP_MAX_SLOTS * sizeof(*g.freelist));
    g.label_pos = xmalloc((f->nb_labels + 1) * sizeof(uint32_t));
    memset(g.label_pos, 0xff, (f->nb_labels + 1) * sizeof(uint32_t));
    g.next_slot = f->nb_globals;
    if (f->nb_globals >= INTERP_MAX_SLOTS) {
        g.too_big = true;
    }

    for (uint32_t i = 0; i < f->nb_ops && !g.too_big; i++) {
        const IROp *op = &f->ops[i];
        unsigned w = op->type == IR_I64;

        if (op->opc == IR_OP_SET_LABEL) {
            reachable = true;
        } else if (!reachable && op->opc != IR_OP_INSN_START) {
            continue;
        }
        switch (op->opc) {
        case IR_OP_NOP:
        case IR_OP_DISCARD:
            break;
        case IR_OP_INSN_START:
            insn_pos[insn++] = (uint32_t)(g.n * sizeof(uint64_t));
            break;
        case IR_OP_MB:
            emit(&g, pack(IOP_MB, 0, 0, 0));
            break;
        case IR_OP_SET_LABEL:
            sync_globals(&g);
            enter_label(&g);
            set_label(&g, (uint32_t)op->args[0]);
            break;
        case IR_OP_BR:
            sync_globals(&g);
            emit(&g, pack(IOP_BR, 0, 0, 0));
            emit_branch_target(&g, (uint32_t)op->args[0]);
            reachable = false;
            break;
        case IR_OP_BRCOND:
            gen_brcond(&g, op);
            break;
        case IR_OP_GOTO_TB:
            sync_globals(&g);
            emit(&g, pack(IOP_GOTO_TB, 0, 0, 0));
            tb->jmp_patch[op->args[0]] = (uint32_t)g.n;
            emit(&g, 0);
            break;
        case IR_OP_EXIT_TB:
            sync_globals(&g);
            emit(&g, pack(IOP_EXIT_TB, (unsigned)op->args[0], 0, 0));
            emit(&g, op->args[1]);
            reachable = false;
            break;
        case IR_OP_LOOKUP_AND_GOTO_PTR:
        case IR_OP_LOOKUP_KEY_AND_GOTO_PTR: /* the hook computes the same key from env */
            sync_globals(&g);
            emit(&g, pack(IOP_LOOKUP, 0, 0, 0));
            reachable = false;
            break;
        case IR_OP_CALL:
            gen_call(&g, op);
            break;
        case IR_OP_MOV:
        case IR_OP_EXTU:
            gen_mov(&g, op);
            break;
        case IR_OP_EXTRL:
        case IR_OP_EXT32U:
            gen_unary(&g, op, IOP_EXT32U);
            break;
        case IR_OP_EXT32S:
            gen_unary(&g, op, IOP_EXT32S);
            break;
        case IR_OP_EXTS:
            gen_unary(&g, op, IOP_EXTS);
            break;
        case IR_OP_EXTRH:
            gen_unary(&g, op, IOP_EXTRH);
            break;
        case IR_OP_BSWAP64:
            gen_unary(&g, op, IOP_BSWAP64);
            break;
        case IR_OP_NEG: case IR_OP_NOT: case IR_OP_EXT8S: case IR_OP_EXT8U:
        case IR_OP_EXT16S: case IR_OP_EXT16U: case IR_OP_BSWAP16: case IR_OP_BSWAP32:
        case IR_OP_CTPOP:
            gen_unary(&g, op, rr_ops[op->opc][w]);
            break;
        case IR_OP_DEPOSIT:
        case IR_OP_EXTRACT:
        case IR_OP_SEXTRACT:
            gen_field(&g, op);
            break;
        case IR_OP_SETCOND:
        case IR_OP_NEGSETCOND:
            gen_setcond(&g, op);
            break;
        case IR_OP_MOVCOND:
            gen_movcond(&g, op);
            break;
        case IR_OP_MULU2:
        case IR_OP_MULS2:
        case IR_OP_ADD2:
        case IR_OP_SUB2:
            gen_double(&g, op);
            break;
        case IR_OP_LD8U: case IR_OP_LD8S: case IR_OP_LD16U: case IR_OP_LD16S:
        case IR_OP_LD32U: case IR_OP_LD32S: case IR_OP_LD:
        case IR_OP_ST8: case IR_OP_ST16: case IR_OP_ST32: case IR_OP_ST:
            gen_ldst(&g, op);
            break;
        case IR_OP_QEMU_LD:
        case IR_OP_QEMU_ST:
            gen_qemu(&g, op);
            break;
        default:
            assert(rr_ops[op->opc][w]);
            gen_binary(&g, op);
            break;
        }
    }
    if (reachable) {
        /* Falling off the end: leave like an unchainable exit. */
        sync_globals(&g);
        emit(&g, pack(IOP_EXIT_TB, IR_EXIT_NOCHAIN, 0, 0));
        emit(&g, 0);
    }
    while (insn < f->nb_insns) {
        insn_pos[insn++] = (uint32_t)(g.n * sizeof(uint64_t));
    }
    assert(g.nfix == 0 || g.too_big);

    if (g.too_big) {
        ret = TB_GEN_TOO_BIG;
    } else if (g.n > g.cap) {
        ret = TB_GEN_BUFFER_FULL;
    } else {
        ret = (long)(g.n * sizeof(uint64_t));
    }
    free(g.slot);
    free(g.gstate);
    free(g.cloaded);
    free(g.freelist);
    free(g.label_pos);
    free(g.fix);
    return ret;
}

/* ---------------------------------------------------------------------------------------
 * -d out_asm
 */

static void interp_dump(const TranslationBlock *tb, FILE *out)
{
    const uint64_t *code = tb->code;
    size_t n = tb->code_size / sizeof(uint64_t);
    uint32_t insn = 0;

    for (size_t i = 0; i < n;) {
        uint64_t w = code[i];
        unsigned op = w & 0xffff;
        unsigned len = op < IOP_COUNT ? iop_info[op].words : 1;

        while (insn < tb->icount && tb->insn_pos[insn] == i * sizeof(uint64_t)) {
            fprintf(out, "  -- insn %u\n", insn++);
        }
        fprintf(out, "  %04zx: %-12s a=%u b=%u c=%u", i, op < IOP_COUNT ? iop_info[op].name : "?",
                (unsigned)(w >> 16) & 0xffff, (unsigned)(w >> 32) & 0xffff,
                (unsigned)(w >> 48));
        for (unsigned k = 1; k < len && i + k < n; k++) {
            fprintf(out, " [0x%" PRIx64 "]", code[i + k]);
        }
        fputc('\n', out);
        i += len;
    }
}

const TBBackend tb_backend_interp = {
    .name = "interp",
    .needs_exec_memory = false,
    .gen_code = interp_gen_code,
    .exec = interp_exec,
    .set_jump = interp_set_jump,
    .dump = interp_dump,
};
