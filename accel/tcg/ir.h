/*
 * The DBT intermediate representation (IR) and its builder.
 *
 * Design note
 * -----------
 * A translation block (TB) is translated by a frontend into one IRFunc: a linear array of
 * IROps over typed temporaries.  The engine knows nothing about the guest; it only sees
 * integers, env fields, guest memory accesses and helper calls.
 *
 * Temporaries have a type (I32, I64, PTR = host pointer width) and a kind:
 *   FIXED   the env pointer (temp 0).  A native backend keeps it in a reserved register.
 *   GLOBAL  a field at a fixed offset in env (guest registers, lazy-flag fields), registered
 *           once by the frontend with a name.  Backends may cache globals (in registers or
 *           interpreter slots) but must have them in env at every *sync point*: calls that
 *           read or write globals, guest memory accesses (they may fault, and the fault path
 *           reads env; a backend may write back only on the path that leaves its code, e.g.
 *           a TLB miss), the ends of basic blocks, and TB exits.
 *   TB      block-local, keeps its value across labels and branches inside the TB.
 *   EBB     block-local scratch, valid within one extended basic block: it survives the
 *           fall-through of a brcond but is dead at every set_label.  This is what frontends
 *           should use for almost everything; it lets the register allocator drop values at
 *           labels instead of spilling them.
 *   CONST   an interned constant (one temp per (type, value) per function).  Builders that
 *           take an immediate create the constant temp themselves.
 *
 * An I32 value always occupies the low 32 bits; the upper half of a 64-bit container is
 * unspecified for a native backend and zero in the interpreter.  Shift and rotate counts
 * are taken modulo the width.  Division by zero and INT_MIN / -1 give an unspecified
 * (but non-trapping) result: the frontend guards them itself.
 *
 * Ops have a width (op->type, I32 or I64) and their args are laid out as outputs, then
 * inputs (temps), then constant args (conditions, offsets, labels, memops, helper data).
 * The optimizer (opt.c) folds and propagates, then the liveness pass removes dead code
 * (including dead stores to globals, which is how lazy-flag stores die) and annotates each
 * op with which args die there (op->life), which a register allocator needs.
 *
 * Per guest instruction the frontend emits insn_start with up to IR_INSN_START_WORDS
 * frontend-defined words (for example the guest PC and the lazy cc-op).  The engine records
 * them with the host position of the instruction's code so that a fault in the middle of a
 * block can be mapped back to the instruction and its words (see tb.h).
 */
#ifndef ACCEL_TCG_IR_H
#define ACCEL_TCG_IR_H

#include "core/common.h"

typedef enum IRType {
    IR_I32,
    IR_I64,
    IR_PTR, /* host pointer; operations on it use the host pointer width */
} IRType;

/* The operation width used for PTR values on this host. */
#if UINTPTR_MAX == UINT64_MAX
#define IR_PTR_OPTYPE IR_I64
#else
#define IR_PTR_OPTYPE IR_I32
#endif

typedef enum IRTempKind {
    IR_TEMP_EBB,
    IR_TEMP_TB,
    IR_TEMP_GLOBAL,
    IR_TEMP_FIXED,
    IR_TEMP_CONST,
} IRTempKind;

/*
 * Handles.  Distinct struct types so that the compiler catches an i32 passed where an i64
 * is expected; IRTemp is the untyped form used by calls and generic code.
 */
typedef struct IRv32 {
    uint32_t idx;
} IRv32;
typedef struct IRv64 {
    uint32_t idx;
} IRv64;
typedef struct IRvPtr {
    uint32_t idx;
} IRvPtr;
typedef struct IRTemp {
    uint32_t idx;
} IRTemp;
typedef struct IRLabel {
    uint32_t id;
} IRLabel;

#define IR_NO_TEMP_IDX UINT32_MAX
#define IR_NO_TEMP ((IRTemp){IR_NO_TEMP_IDX})

/* Any typed handle -> IRTemp. */
#define IRT(x)                                                                         \
    _Generic((x), IRv32: (IRTemp){(x).idx}, IRv64: (IRTemp){(x).idx},                  \
             IRvPtr: (IRTemp){(x).idx}, IRTemp: (x))

typedef enum IRCond {
    IR_COND_NEVER,
    IR_COND_ALWAYS,
    IR_COND_EQ,
    IR_COND_NE,
    IR_COND_LT, /* signed */
    IR_COND_GE,
    IR_COND_LE,
    IR_COND_GT,
    IR_COND_LTU, /* unsigned */
    IR_COND_GEU,
    IR_COND_LEU,
    IR_COND_GTU,
    IR_COND_TSTEQ, /* (a & b) == 0 */
    IR_COND_TSTNE, /* (a & b) != 0 */
    IR_COND_COUNT,
} IRCond;

/* The condition that is true exactly when c is false. */
IRCond ir_cond_invert(IRCond c);
/* The condition with the operands swapped: (a c b) == (b swap(c) a). */
IRCond ir_cond_swap(IRCond c);
const char *ir_cond_name(IRCond c);
/* Reference semantics of a condition on values of the given width. */
bool ir_cond_eval(IRCond c, IRType width, uint64_t a, uint64_t b);

/*
 * Guest memory operation descriptor: size, sign, alignment.  Combined with the MMU index
 * into one IRMemOpIdx constant argument of qemu_ld/qemu_st.  The engine passes memop to the
 * embedding's load/store hooks unchanged (see guest-mem.h).
 */
enum {
    IR_MO_8 = 0,
    IR_MO_16 = 1,
    IR_MO_32 = 2,
    IR_MO_64 = 3,
    IR_MO_128 = 4, /* reserved for vector accesses; not implemented yet */
    IR_MO_SIZE = 7,
    IR_MO_SIGN = 8,
    IR_MO_ALIGN = 16, /* the hook must fault on a misaligned address */
    /*
     * Bits the frontend defines for its own hooks; the engine ignores them.  They must not
     * change what a hit in the inline TLB does: use them only for checks whose failing
     * accesses always miss it (e.g. accesses that cross a page).
     */
    IR_MO_TARGET0 = 32,
    IR_MO_TARGET1 = 64,
    /*
     * The access must reach the hook when the address is not 16-byte aligned (the first
     * half of an SSE aligned 16-byte access, which the hook then faults).
     */
    IR_MO_ALIGN_16 = 128,
};
#define IR_MO_BYTES(memop) (1u << ((memop) & IR_MO_SIZE))
#define IR_MEMOPIDX(memop, mmu_idx) ((uint32_t)(memop) | ((uint32_t)(mmu_idx) << 8))
#define IR_MEMOPIDX_OP(moi) ((moi) & 0xff)
#define IR_MEMOPIDX_MMU(moi) ((moi) >> 8)
#define IR_MAX_MMU_IDX 16

/* Helper call flags. */
enum {
    /*
     * The helper neither reads nor writes guest state and has no other side effect: the
     * call may be removed when its result is unused.  Implies NO_READ and NO_WRITE.
     */
    IR_CALL_NO_SIDE_EFFECTS = 1 << 0,
    /*
     * The helper does not read globals from env.  It must then also never raise a guest
     * exception (unwinding reads all guest state), so backends need not sync globals or
     * record the fault position before it.
     */
    IR_CALL_NO_READ_GLOBALS = 1 << 1,
    /* The helper does not write globals, so cached copies stay valid across it. */
    IR_CALL_NO_WRITE_GLOBALS = 1 << 2,
};
#define IR_CALL_MAX_ARGS 6

/* Maximum frontend words per insn_start. */
#define IR_INSN_START_WORDS 3

/*
 * Opcodes.  X(name, outputs, inputs, const args, flags); calls have variable counts.
 * Width-generic ops take their width from op->type.
 */
enum {
    IR_OPF_BB_END = 1 << 0,       /* ends a basic block (branches, labels, exits) */
    IR_OPF_TB_EXIT = 1 << 1,      /* may leave the TB: every global is live here */
    IR_OPF_SIDE_EFFECTS = 1 << 2, /* never removed even if its outputs are dead */
    IR_OPF_MAY_FAULT = 1 << 3,    /* may unwind to the exec loop: globals synced first */
    IR_OPF_CALL = 1 << 4,
    IR_OPF_COND = 1 << 5,         /* carries an IRCond constant arg */
    IR_OPF_BOTH_WIDTHS = 1 << 6,  /* op->type is I32 or I64 */
    IR_OPF_I64_ONLY = 1 << 7,
    IR_OPF_NORETURN = 1 << 8,     /* control never falls through */
};

#define IR_OPCODES(X)                                                                    \
    X(NOP, 0, 0, 0, 0)                                                                   \
    X(INSN_START, 0, 0, IR_INSN_START_WORDS, IR_OPF_SIDE_EFFECTS)                        \
    X(DISCARD, 1, 0, 0, IR_OPF_SIDE_EFFECTS)                                             \
    X(SET_LABEL, 0, 0, 1, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS)                           \
    X(BR, 0, 0, 1, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS | IR_OPF_NORETURN)                \
    X(BRCOND, 0, 2, 2, IR_OPF_BB_END | IR_OPF_SIDE_EFFECTS | IR_OPF_COND |               \
                           IR_OPF_BOTH_WIDTHS)                                           \
    X(GOTO_TB, 0, 0, 1, IR_OPF_BB_END | IR_OPF_TB_EXIT | IR_OPF_SIDE_EFFECTS)            \
    X(EXIT_TB, 0, 0, 2, IR_OPF_BB_END | IR_OPF_TB_EXIT | IR_OPF_SIDE_EFFECTS |           \
                            IR_OPF_NORETURN)                                             \
    X(LOOKUP_AND_GOTO_PTR, 0, 0, 0, IR_OPF_BB_END | IR_OPF_TB_EXIT |                     \
                                        IR_OPF_SIDE_EFFECTS | IR_OPF_NORETURN)           \
    X(LOOKUP_KEY_AND_GOTO_PTR, 0, 3, 0, IR_OPF_BB_END | IR_OPF_TB_EXIT |                 \
                                            IR_OPF_SIDE_EFFECTS | IR_OPF_NORETURN |      \
                                            IR_OPF_I64_ONLY)                             \
    X(MB, 0, 0, 1, IR_OPF_SIDE_EFFECTS)                                                  \
    X(CALL, 0, 0, 3, IR_OPF_CALL)                                                        \
    X(MOV, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(ADD, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(SUB, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(MUL, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(NEG, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(AND, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(OR, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                   \
    X(XOR, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(NOT, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(ANDC, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                 \
    X(SHL, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(SHR, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(SAR, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(ROTL, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                 \
    X(ROTR, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                 \
    X(DIV, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(DIVU, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                 \
    X(REM, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                  \
    X(REMU, 1, 2, 0, IR_OPF_BOTH_WIDTHS)                                                 \
    X(EXT8S, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                                \
    X(EXT8U, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                                \
    X(EXT16S, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                               \
    X(EXT16U, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                               \
    X(EXT32S, 1, 1, 0, IR_OPF_I64_ONLY)                                                  \
    X(EXT32U, 1, 1, 0, IR_OPF_I64_ONLY)                                                  \
    X(EXTRL, 1, 1, 0, 0)     /* i32 d = low half of i64 a */                            \
    X(EXTRH, 1, 1, 0, 0)     /* i32 d = high half of i64 a */                           \
    X(EXTU, 1, 1, 0, 0)      /* i64 d = zero-extended i32 a */                          \
    X(EXTS, 1, 1, 0, 0)      /* i64 d = sign-extended i32 a */                          \
    X(DEPOSIT, 1, 2, 2, IR_OPF_BOTH_WIDTHS) /* d = a with [pos,pos+len) = low bits of b */ \
    X(EXTRACT, 1, 1, 2, IR_OPF_BOTH_WIDTHS)  /* d = zero-extended a[pos,pos+len) */       \
    X(SEXTRACT, 1, 1, 2, IR_OPF_BOTH_WIDTHS) /* d = sign-extended a[pos,pos+len) */       \
    X(BSWAP16, 1, 1, 0, IR_OPF_BOTH_WIDTHS)  /* low 16 bits swapped, zero-extended */     \
    X(BSWAP32, 1, 1, 0, IR_OPF_BOTH_WIDTHS)  /* low 32 bits swapped, zero-extended */     \
    X(BSWAP64, 1, 1, 0, IR_OPF_I64_ONLY)                                                 \
    X(CLZ, 1, 2, 0, IR_OPF_BOTH_WIDTHS)      /* d = a ? clz(a) : b */                    \
    X(CTZ, 1, 2, 0, IR_OPF_BOTH_WIDTHS)      /* d = a ? ctz(a) : b */                    \
    X(CTPOP, 1, 1, 0, IR_OPF_BOTH_WIDTHS)                                                \
    X(SETCOND, 1, 2, 1, IR_OPF_COND | IR_OPF_BOTH_WIDTHS)    /* d = a c b ? 1 : 0 */      \
    X(NEGSETCOND, 1, 2, 1, IR_OPF_COND | IR_OPF_BOTH_WIDTHS) /* d = a c b ? -1 : 0 */     \
    X(MOVCOND, 1, 4, 1, IR_OPF_COND | IR_OPF_BOTH_WIDTHS)    /* d = c1 c c2 ? v1 : v2 */  \
    X(MULU2, 2, 2, 0, IR_OPF_BOTH_WIDTHS) /* (hi:lo) = a * b unsigned, double width */    \
    X(MULS2, 2, 2, 0, IR_OPF_BOTH_WIDTHS) /* (hi:lo) = a * b signed */                    \
    X(ADD2, 2, 4, 0, IR_OPF_BOTH_WIDTHS)  /* (hi:lo) = (ah:al) + (bh:bl) */               \
    X(SUB2, 2, 4, 0, IR_OPF_BOTH_WIDTHS)  /* (hi:lo) = (ah:al) - (bh:bl) */               \
    X(LD8U, 1, 1, 1, IR_OPF_BOTH_WIDTHS)  /* d = *(u8 *)(base + off) */                   \
    X(LD8S, 1, 1, 1, IR_OPF_BOTH_WIDTHS)                                                 \
    X(LD16U, 1, 1, 1, IR_OPF_BOTH_WIDTHS)                                                \
    X(LD16S, 1, 1, 1, IR_OPF_BOTH_WIDTHS)                                                \
    X(LD32U, 1, 1, 1, IR_OPF_I64_ONLY)                                                   \
    X(LD32S, 1, 1, 1, IR_OPF_I64_ONLY)                                                   \
    X(LD, 1, 1, 1, IR_OPF_BOTH_WIDTHS) /* full width of op->type */                      \
    X(ST8, 0, 2, 1, IR_OPF_BOTH_WIDTHS | IR_OPF_SIDE_EFFECTS) /* *(base + off) = v */     \
    X(ST16, 0, 2, 1, IR_OPF_BOTH_WIDTHS | IR_OPF_SIDE_EFFECTS)                           \
    X(ST32, 0, 2, 1, IR_OPF_I64_ONLY | IR_OPF_SIDE_EFFECTS)                              \
    X(ST, 0, 2, 1, IR_OPF_BOTH_WIDTHS | IR_OPF_SIDE_EFFECTS)                             \
    X(QEMU_LD, 1, 1, 1, IR_OPF_BOTH_WIDTHS | IR_OPF_SIDE_EFFECTS | IR_OPF_MAY_FAULT)     \
    X(QEMU_ST, 0, 2, 1, IR_OPF_BOTH_WIDTHS | IR_OPF_SIDE_EFFECTS | IR_OPF_MAY_FAULT)

typedef enum IROpcode {
#define IR_OPC_ENUM(name, o, i, c, fl) IR_OP_##name,
    IR_OPCODES(IR_OPC_ENUM)
#undef IR_OPC_ENUM
    IR_OP_COUNT
} IROpcode;

typedef struct IROpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint16_t flags;
} IROpDef;

extern const IROpDef ir_op_defs[IR_OP_COUNT];

#define IR_MAX_OP_ARGS 10

/*
 * op->life: bit i set means arg i (an output or an input temp) is dead after this op:
 * for an input, this op is its last use; for an output, nothing reads the value (the op
 * was kept for its side effects).  Globals are never marked: backends write dirty
 * globals back at every sync point.
 */
#define IR_LIFE_DEAD(i) (1u << (i))

typedef struct IROp {
    uint16_t opc;
    uint8_t type; /* IR_I32 or IR_I64: the width of the operation */
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint32_t life;
    uint64_t args[IR_MAX_OP_ARGS];
} IROp;

/*
 * Constant args per op:
 *   INSN_START  words[0..IR_INSN_START_WORDS)
 *   SET_LABEL/BR  label id
 *   BRCOND      cond, label id
 *   GOTO_TB     slot (0 or 1)
 *   EXIT_TB     slot (0, 1, or IR_EXIT_NOCHAIN), value returned to the exec loop
 *   MB          barrier kind (frontend-defined; the interpreter ignores it)
 *   CALL        function pointer, flags, type mask (see ir_call_typemask)
 *   DEPOSIT/EXTRACT/SEXTRACT  pos, len
 *   SETCOND/NEGSETCOND/MOVCOND  cond
 *   LD* / ST*   offset (signed) from the PTR base input
 *   QEMU_LD/ST  IRMemOpIdx; the address input is I32 or I64 (see ir_temp_type)
 */
#define IR_EXIT_NOCHAIN 0xffu

/* Call type mask: 3 bits per slot; slot 0 is the return value, slots 1..6 the args. */
#define IR_CALLTYPE_NONE 0
#define IR_CALLTYPE_I32 1
#define IR_CALLTYPE_I64 2
#define IR_CALLTYPE_PTR 3
#define IR_CALLTYPE_GET(mask, slot) (((mask) >> (3 * (slot))) & 7)

typedef void (*IRHelper)(void);

typedef struct IRTempInfo {
    uint8_t type; /* IRType */
    uint8_t kind; /* IRTempKind */
    uint8_t freed;
    int32_t mem_offset; /* GLOBAL: offset of the field in env */
    uint64_t val;       /* CONST: value (I32 values zero-extended) */
    const char *name;   /* GLOBAL/FIXED */
    uint32_t const_next; /* CONST: interning hash chain */
} IRTempInfo;

typedef struct IRLabelInfo {
    uint32_t refs;    /* branches that target it (maintained by the optimizer) */
    bool present;     /* a SET_LABEL exists */
} IRLabelInfo;

typedef struct IRFunc {
    IRTempInfo *temps;
    uint32_t nb_temps, temps_cap;
    uint32_t nb_globals; /* temps [0, nb_globals) are FIXED/GLOBAL and survive reset */

    IROp *ops;
    uint32_t nb_ops, ops_cap;

    IRLabelInfo *labels;
    uint32_t nb_labels, labels_cap;

    uint32_t *const_hash; /* bucket heads (temp index or IR_NO_TEMP_IDX) */
    uint32_t const_hash_size;

    uint32_t free_temps[3][2]; /* free list heads per type for EBB/TB temps (via val) */

    uint32_t nb_insns;       /* insn_start count */
    uint32_t insn_words;     /* words per insn_start the frontend uses (1..3) */
} IRFunc;

/* ---- function lifetime ---- */

/* A new function with only the env temp.  insn_words: words per insn_start (1..3). */
IRFunc *ir_func_new(unsigned insn_words);
void ir_func_free(IRFunc *f);
/* Drop all ops, labels and non-global temps; keep registered globals. */
void ir_func_reset(IRFunc *f);
/* Deep copy (for tests and for running the same IR through several pipelines). */
IRFunc *ir_func_clone(const IRFunc *f);

/* ---- temporaries ---- */

static inline IRvPtr ir_env(IRFunc *f)
{
    (void)f;
    return (IRvPtr){0};
}

/* Globals: register before the first op of the first function (after ir_func_new). */
IRv32 ir_global_i32(IRFunc *f, int32_t env_offset, const char *name);
IRv64 ir_global_i64(IRFunc *f, int32_t env_offset, const char *name);
IRvPtr ir_global_ptr(IRFunc *f, int32_t env_offset, const char *name);

IRv32 ir_temp_i32(IRFunc *f);
IRv64 ir_temp_i64(IRFunc *f);
IRvPtr ir_temp_ptr(IRFunc *f);
IRv32 ir_temp_tb_i32(IRFunc *f);
IRv64 ir_temp_tb_i64(IRFunc *f);
/* Return a temp for reuse by a later ir_temp_*; the frontend must not use it again. */
void ir_temp_free(IRFunc *f, IRTemp t);

IRv32 ir_const_i32(IRFunc *f, uint32_t v);
IRv64 ir_const_i64(IRFunc *f, uint64_t v);
IRvPtr ir_const_ptr(IRFunc *f, uintptr_t v);
/* Interned constant of any type; value is truncated to the type's width. */
IRTemp ir_const(IRFunc *f, IRType type, uint64_t v);

static inline const IRTempInfo *ir_temp_info(const IRFunc *f, uint32_t idx)
{
    return &f->temps[idx];
}
static inline IRType ir_temp_type(const IRFunc *f, uint32_t idx)
{
    return (IRType)f->temps[idx].type;
}
/* The operation width of a temp's type (PTR -> host width). */
static inline IRType ir_temp_optype(const IRFunc *f, uint32_t idx)
{
    IRType t = (IRType)f->temps[idx].type;
    return t == IR_PTR ? IR_PTR_OPTYPE : t;
}
static inline bool ir_temp_is_const(const IRFunc *f, uint32_t idx)
{
    return f->temps[idx].kind == IR_TEMP_CONST;
}
static inline bool ir_temp_is_global(const IRFunc *f, uint32_t idx)
{
    return f->temps[idx].kind == IR_TEMP_GLOBAL;
}

/* ---- labels ---- */

IRLabel ir_label_new(IRFunc *f);
void ir_set_label(IRFunc *f, IRLabel l);
void ir_br(IRFunc *f, IRLabel l);

/* ---- raw op emission (used by the builders and the optimizer) ---- */

/* Append an op; args are outputs, inputs, then constant args as the opcode defines. */
IROp *ir_emit(IRFunc *f, IROpcode opc, IRType type, const uint64_t *args);
/* Insert a NOP op before index pos (shifting later ops) and return it. */
IROp *ir_insert_op(IRFunc *f, uint32_t pos);

static inline const IROpDef *ir_op_def(const IROp *op)
{
    return &ir_op_defs[op->opc];
}

/* ---- builders ---- */

/* Two-operand ops: d = a OP b. */
#define IR_BINOP_DECL(name)                                                              \
    void ir_##name##_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 b);                          \
    void ir_##name##_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 b);                          \
    void ir_##name##i_i32(IRFunc *f, IRv32 d, IRv32 a, uint32_t b);                      \
    void ir_##name##i_i64(IRFunc *f, IRv64 d, IRv64 a, uint64_t b);
IR_BINOP_DECL(add)
IR_BINOP_DECL(sub)
IR_BINOP_DECL(mul)
IR_BINOP_DECL(and)
IR_BINOP_DECL(or)
IR_BINOP_DECL(xor)
IR_BINOP_DECL(andc)
IR_BINOP_DECL(shl)
IR_BINOP_DECL(shr)
IR_BINOP_DECL(sar)
IR_BINOP_DECL(rotl)
IR_BINOP_DECL(rotr)
IR_BINOP_DECL(div)
IR_BINOP_DECL(divu)
IR_BINOP_DECL(rem)
IR_BINOP_DECL(remu)
#undef IR_BINOP_DECL

/* One-operand ops: d = OP a. */
#define IR_UNOP_DECL(name)                                                               \
    void ir_##name##_i32(IRFunc *f, IRv32 d, IRv32 a);                                   \
    void ir_##name##_i64(IRFunc *f, IRv64 d, IRv64 a);
IR_UNOP_DECL(mov)
IR_UNOP_DECL(neg)
IR_UNOP_DECL(not)
IR_UNOP_DECL(ext8s)
IR_UNOP_DECL(ext8u)
IR_UNOP_DECL(ext16s)
IR_UNOP_DECL(ext16u)
IR_UNOP_DECL(bswap16)
IR_UNOP_DECL(bswap32)
IR_UNOP_DECL(ctpop)
#undef IR_UNOP_DECL

void ir_movi_i32(IRFunc *f, IRv32 d, uint32_t v);
void ir_movi_i64(IRFunc *f, IRv64 d, uint64_t v);
void ir_mov_ptr(IRFunc *f, IRvPtr d, IRvPtr a);
void ir_movi_ptr(IRFunc *f, IRvPtr d, uintptr_t v);
void ir_addi_ptr(IRFunc *f, IRvPtr d, IRvPtr a, intptr_t v);
void ir_add_ptr(IRFunc *f, IRvPtr d, IRvPtr a, IRvPtr b);

void ir_ext32s_i64(IRFunc *f, IRv64 d, IRv64 a);
void ir_ext32u_i64(IRFunc *f, IRv64 d, IRv64 a);
void ir_bswap64_i64(IRFunc *f, IRv64 d, IRv64 a);
void ir_extrl_i64_i32(IRFunc *f, IRv32 d, IRv64 a);
void ir_extrh_i64_i32(IRFunc *f, IRv32 d, IRv64 a);
void ir_extu_i32_i64(IRFunc *f, IRv64 d, IRv32 a);
void ir_exts_i32_i64(IRFunc *f, IRv64 d, IRv32 a);
/* Host pointer <-> integer of the same width (for helper-returned pointers). */
void ir_ptr_from_i64(IRFunc *f, IRvPtr d, IRv64 a);
void ir_i64_from_ptr(IRFunc *f, IRv64 d, IRvPtr a);

void ir_deposit_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 b, unsigned pos, unsigned len);
void ir_deposit_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 b, unsigned pos, unsigned len);
void ir_extract_i32(IRFunc *f, IRv32 d, IRv32 a, unsigned pos, unsigned len);
void ir_extract_i64(IRFunc *f, IRv64 d, IRv64 a, unsigned pos, unsigned len);
void ir_sextract_i32(IRFunc *f, IRv32 d, IRv32 a, unsigned pos, unsigned len);
void ir_sextract_i64(IRFunc *f, IRv64 d, IRv64 a, unsigned pos, unsigned len);

void ir_clz_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 if_zero);
void ir_clz_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 if_zero);
void ir_ctz_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 if_zero);
void ir_ctz_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 if_zero);

void ir_setcond_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 a, IRv32 b);
void ir_setcond_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 a, IRv64 b);
void ir_setcondi_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 a, uint32_t b);
void ir_setcondi_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 a, uint64_t b);
void ir_negsetcond_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 a, IRv32 b);
void ir_negsetcond_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 a, IRv64 b);
void ir_movcond_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 c1, IRv32 c2, IRv32 v1, IRv32 v2);
void ir_movcond_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 c1, IRv64 c2, IRv64 v1, IRv64 v2);
void ir_brcond_i32(IRFunc *f, IRCond c, IRv32 a, IRv32 b, IRLabel l);
void ir_brcond_i64(IRFunc *f, IRCond c, IRv64 a, IRv64 b, IRLabel l);
void ir_brcondi_i32(IRFunc *f, IRCond c, IRv32 a, uint32_t b, IRLabel l);
void ir_brcondi_i64(IRFunc *f, IRCond c, IRv64 a, uint64_t b, IRLabel l);

void ir_mulu2_i32(IRFunc *f, IRv32 lo, IRv32 hi, IRv32 a, IRv32 b);
void ir_mulu2_i64(IRFunc *f, IRv64 lo, IRv64 hi, IRv64 a, IRv64 b);
void ir_muls2_i32(IRFunc *f, IRv32 lo, IRv32 hi, IRv32 a, IRv32 b);
void ir_muls2_i64(IRFunc *f, IRv64 lo, IRv64 hi, IRv64 a, IRv64 b);
void ir_add2_i32(IRFunc *f, IRv32 lo, IRv32 hi, IRv32 al, IRv32 ah, IRv32 bl, IRv32 bh);
void ir_add2_i64(IRFunc *f, IRv64 lo, IRv64 hi, IRv64 al, IRv64 ah, IRv64 bl, IRv64 bh);
void ir_sub2_i32(IRFunc *f, IRv32 lo, IRv32 hi, IRv32 al, IRv32 ah, IRv32 bl, IRv32 bh);
void ir_sub2_i64(IRFunc *f, IRv64 lo, IRv64 hi, IRv64 al, IRv64 ah, IRv64 bl, IRv64 bh);

/* Host memory relative to a PTR base (normally ir_env()).  Must not alias a global. */
void ir_ld8u_i32(IRFunc *f, IRv32 d, IRvPtr base, intptr_t off);
void ir_ld8s_i32(IRFunc *f, IRv32 d, IRvPtr base, intptr_t off);
void ir_ld16u_i32(IRFunc *f, IRv32 d, IRvPtr base, intptr_t off);
void ir_ld16s_i32(IRFunc *f, IRv32 d, IRvPtr base, intptr_t off);
void ir_ld_i32(IRFunc *f, IRv32 d, IRvPtr base, intptr_t off);
void ir_ld8u_i64(IRFunc *f, IRv64 d, IRvPtr base, intptr_t off);
void ir_ld8s_i64(IRFunc *f, IRv64 d, IRvPtr base, intptr_t off);
void ir_ld16u_i64(IRFunc *f, IRv64 d, IRvPtr base, intptr_t off);
void ir_ld16s_i64(IRFunc *f, IRv64 d, IRvPtr base, intptr_t off);
void ir_ld32u_i64(IRFunc *f, IRv64 d, IRvPtr base, intptr_t off);
void ir_ld32s_i64(IRFunc *f, IRv64 d, IRvPtr base, intptr_t off);
void ir_ld_i64(IRFunc *f, IRv64 d, IRvPtr base, intptr_t off);
void ir_ld_ptr(IRFunc *f, IRvPtr d, IRvPtr base, intptr_t off);
void ir_st8_i32(IRFunc *f, IRv32 v, IRvPtr base, intptr_t off);
void ir_st16_i32(IRFunc *f, IRv32 v, IRvPtr base, intptr_t off);
void ir_st_i32(IRFunc *f, IRv32 v, IRvPtr base, intptr_t off);
void ir_st8_i64(IRFunc *f, IRv64 v, IRvPtr base, intptr_t off);
void ir_st16_i64(IRFunc *f, IRv64 v, IRvPtr base, intptr_t off);
void ir_st32_i64(IRFunc *f, IRv64 v, IRvPtr base, intptr_t off);
void ir_st_i64(IRFunc *f, IRv64 v, IRvPtr base, intptr_t off);
void ir_st_ptr(IRFunc *f, IRvPtr v, IRvPtr base, intptr_t off);

/*
 * Guest memory.  addr is an I32 or I64 temp (guest virtual address); memop gives size
 * (up to IR_MO_64), sign and alignment.  A load narrower than the value is zero- or
 * sign-extended to the value's width.
 */
void ir_qemu_ld_i32(IRFunc *f, IRv32 d, IRTemp addr, unsigned memop, unsigned mmu_idx);
void ir_qemu_ld_i64(IRFunc *f, IRv64 d, IRTemp addr, unsigned memop, unsigned mmu_idx);
void ir_qemu_st_i32(IRFunc *f, IRv32 v, IRTemp addr, unsigned memop, unsigned mmu_idx);
void ir_qemu_st_i64(IRFunc *f, IRv64 v, IRTemp addr, unsigned memop, unsigned mmu_idx);

/*
 * Helper call.  The helper is called with each arg as a 64-bit integer register value
 * (I32 args zero-extended, PTR args as pointers) and its return value, if ret is not
 * IR_NO_TEMP, is truncated to ret's type.  At most IR_CALL_MAX_ARGS args.
 */
void ir_call(IRFunc *f, IRHelper fn, unsigned flags, IRTemp ret, unsigned nargs,
             const IRTemp *args);
#define IR_CALL(f, fn, flags, ret, ...)                                                 \
    ir_call((f), (IRHelper)(fn), (flags), (ret),                                        \
            sizeof((IRTemp[]){__VA_ARGS__}) / sizeof(IRTemp), (IRTemp[]){__VA_ARGS__})
#define IR_CALL0(f, fn, flags, ret) ir_call((f), (IRHelper)(fn), (flags), (ret), 0, NULL)

/* Per guest instruction; words beyond f->insn_words are ignored. */
void ir_insn_start(IRFunc *f, uint64_t w0, uint64_t w1, uint64_t w2);
/* The value of t is no longer needed. */
void ir_discard(IRFunc *f, IRTemp t);
void ir_mb(IRFunc *f, unsigned kind);

/*
 * Block exits.  goto_tb n: if slot n has been chained to another TB, jump there; otherwise
 * fall through (the frontend then stores the next PC and emits exit_tb(n, ...)).
 * exit_tb(slot, value): return to the exec loop with value; slot 0/1 tells the loop it may
 * chain that slot to the block it finds next, IR_EXIT_NOCHAIN that it must not.
 * lookup_and_goto_ptr: look up the next block from the current env state through the
 * embedding's lookup hook and jump to it, or return to the loop if there is none.
 */
void ir_goto_tb(IRFunc *f, unsigned slot);
void ir_exit_tb(IRFunc *f, unsigned slot, uint64_t value);
void ir_lookup_and_goto_ptr(IRFunc *f);
/*
 * lookup_and_goto_ptr with the next block's key, as the embedding's lookup hook would
 * compute it from env now: pc, cs_base, and mode = flags | (uint64_t)cflags << 32 (the TB
 * key words).  A backend may probe TBExecCtx.jc for a TB with exactly this key and jump to
 * it without calling the hook; on a miss (or without that) it is lookup_and_goto_ptr.
 */
void ir_lookup_key_and_goto_ptr(IRFunc *f, IRv64 pc, IRv64 cs_base, IRv64 mode);

/* ---- passes and printing ---- */

/* opt.c: constant/copy propagation, folding, simplification, unreachable code. */
void ir_optimize(IRFunc *f);
/*
 * opt.c: liveness.  Annotates op->life; with remove_dead, also deletes ops whose results
 * are never used (including global stores overwritten before any read or sync point).
 * Backends require this pass to have run.
 */
void ir_liveness(IRFunc *f, bool remove_dead);
/* Check structural invariants (types, arg kinds, labels); returns false with a message. */
bool ir_verify(const IRFunc *f, char *why, size_t whylen);

/*
 * Pretty-printer for -d op.  Helpers print by the name registered at start-up with
 * ir_helper_name_register(), else by address.
 */
void ir_helper_name_register(IRHelper fn, const char *name);
const char *ir_helper_name(IRHelper fn);
void ir_dump(const IRFunc *f, FILE *out);
void ir_dump_op(const IRFunc *f, const IROp *op, FILE *out);
/* Name of a temp for printing: globals by name, constants by value, others by number. */
const char *ir_temp_name(const IRFunc *f, uint32_t idx, char *buf, size_t len);

/* ---- reference semantics, shared by the optimizer's folder and tests ---- */

/* Evaluate a single-output op with constant inputs; false if opc cannot be folded. */
bool ir_eval(IROpcode opc, IRType type, const uint64_t *in, const uint64_t *cargs,
             uint64_t *out);
/* Two-output ops (mulu2, muls2, add2, sub2). */
bool ir_eval2(IROpcode opc, IRType type, const uint64_t *in, uint64_t *lo, uint64_t *hi);

static inline uint64_t ir_truncate(IRType width, uint64_t v)
{
    return width == IR_I32 ? (uint32_t)v : v;
}

#endif
