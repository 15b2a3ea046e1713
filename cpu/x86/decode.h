/*
 * x86 instruction decoder: the vocabulary of cpu/x86/insn.def, the decoded
 * instruction record, and the decoder and table-query API.
 *
 * Reference: Intel 64 and IA-32 Architectures Software Developer's Manual,
 * Volume 2 (instruction set reference), Appendix A (opcode maps) and
 * Chapter 2 (instruction format); operand-form letters follow A.2.
 *
 * Everything here is derived from the one table in insn.def.  A consumer
 * expands the table by defining X86_INSN with the signature below before
 * including insn.def, for example the translator's dispatch array:
 *
 *   #define X86_INSN(id, mnem, map, opc, pfx, modrm, o1, o2, o3, o4, \
 *                    modes, fr, fw, fu, feat, attrs, xlat) [XI_##id] = trans_##xlat,
 *   #include "cpu/x86/insn.def"
 *
 * Columns:
 *   id      unique row name; the enum X86InsnId has XI_<id>
 *   mnem    Intel-syntax mnemonic string; "a/b/c" picks by operand size
 *           16/32/64 (address size for rows with A(MAS)), "a/b" by REX.W
 *   map     opcode map: M1 (one byte), 0F, 0F38, 0F3A
 *   opc     opcode byte (a row with a Z* operand covers opc..opc+7)
 *   pfx     mandatory prefix: xx (none; 66/F2/F3 keep their legacy meaning),
 *           NP (no 66/F2/F3), 66, F3, F2, NF (no F2/F3; 66 is operand size).
 *           The mandatory prefix of an instruction is its last F2/F3, else
 *           66; a row naming a prefix beats an xx row for the same bytes.
 *   modrm   NONE, NOB (no ModRM, and REX.B clear: the 90 NOP), MR (any),
 *           MEM (mod!=3), REG (mod==3), R(n) (/n), RM(n) (/n, mod!=3),
 *           RR(n) (/n, mod==3), RX(n,m) (mod==3, reg n, rm m),
 *           RS(mask) (reg field in mask), RSM(mask) (same, mod!=3)
 *   o1..o4  operand forms in SDM notation, _ for none (X86_OPFORMS below);
 *           implicit operands (rDX:rAX of MUL, the stack) are not listed
 *   modes   ALL, N64 (i64: invalid in 64-bit mode), O64 (o64: 64-bit mode
 *           only), PM (not real/v86), PMN64 (protected mode, not 64-bit)
 *   fr/fw/fu  EFLAGS read / written with a defined result / left undefined:
 *           letters from OSZAPC in that order, or D, I, ac (EFLAGS.AC), ALL;
 *           _ for none (decode-flags.h).  The flags an instruction may
 *           clobber are fw|fu; a shift whose count can be zero may leave them
 *           unchanged, and shifts by CL/imm list OF as undefined because it
 *           is defined only for a count of 1.
 *   feat    CPUID feature needed (X86_FEATURES below), BASE for none
 *   attrs   _ or A(list): LOCK REP REPC D64 F64 FIXSZ MODIGN PRIV IOPL BR
 *           SYS W0 W1 ALN MAS UNDOC (see X86_A_* below)
 *   xlat    translate function name (the translator defines trans_<xlat>)
 */
#ifndef CPU_X86_DECODE_H
#define CPU_X86_DECODE_H

#include "core/common.h"

/* ---- Opcode maps and mandatory prefixes ---- */

enum {
    X86_MAP_M1,         /* one-byte opcodes */
    X86_MAP_0F,         /* 0F xx */
    X86_MAP_0F38,       /* 0F 38 xx */
    X86_MAP_0F3A,       /* 0F 3A xx */
    X86_MAP_COUNT
};

enum {
    X86_MP_xx,          /* prefix-independent: 66 is operand size, F2/F3 are REP */
    X86_MP_NP,          /* selected when none of 66/F2/F3 is present */
    X86_MP_66,
    X86_MP_F3,
    X86_MP_F2,
    X86_MP_NF,          /* no F2/F3; 66 stays an operand-size prefix (MOVBE) */
};

/* ---- ModRM constraints ---- */

#define X86_MRC_HAS      (1u << 16)     /* instruction has a ModRM byte */
#define X86_MRC_MODMEM   (1u << 8)      /* mod != 3 required */
#define X86_MRC_MODREG   (1u << 9)      /* mod == 3 required */
#define X86_MRC_RMV      (1u << 10)     /* rm field constrained to bits 11..13 */
#define X86_MRC_NOREXB   (1u << 14)     /* no ModRM; opcode register must be 0 without REX.B */
#define X86_MRC_REGMASK(c) ((c) & 0xffu)
#define X86_MRC_RMVAL(c) (((c) >> 11) & 7u)

#define X86_MRC_NONE     0u
#define X86_MRC_NOB      X86_MRC_NOREXB
#define X86_MRC_MR       (X86_MRC_HAS | 0xffu)
#define X86_MRC_MEM      (X86_MRC_HAS | 0xffu | X86_MRC_MODMEM)
#define X86_MRC_REG      (X86_MRC_HAS | 0xffu | X86_MRC_MODREG)
#define X86_MRC_R(n)     (X86_MRC_HAS | (1u << (n)))
#define X86_MRC_RM(n)    (X86_MRC_HAS | (1u << (n)) | X86_MRC_MODMEM)
#define X86_MRC_RR(n)    (X86_MRC_HAS | (1u << (n)) | X86_MRC_MODREG)
#define X86_MRC_RX(n, m) (X86_MRC_HAS | (1u << (n)) | X86_MRC_MODREG | X86_MRC_RMV | ((m) << 11))
#define X86_MRC_RS(mask) (X86_MRC_HAS | (mask))
#define X86_MRC_RSM(mask) (X86_MRC_HAS | (mask) | X86_MRC_MODMEM)

/* ---- Operand forms ----
 * F(name, class, size): class says where the operand comes from, size how
 * wide it is (X86_SZ_*).  Letters follow SDM Vol. 2 A.2.1/A.2.2; the x87
 * and FXSAVE memory forms use the SDM's instruction-page names.  For XMM
 * register forms the size is the width the operation uses (Vss: 4).
 */
#define X86_OPFORMS(F)                                                         \
    F(_, NONE, 0)                                                              \
    /* ModRM.rm: general register or memory */                                 \
    F(Eb, E, B) F(Ew, E, W) F(Ed, E, D) F(Eq, E, Q) F(Ev, E, V) F(Ey, E, Y)    \
    F(Ez, E, Z) F(RvMw, E, VW) F(RyMw, E, YW)                                  \
    /* ModRM.rm: memory only */                                                \
    F(M, M, 0) F(Mb, M, B) F(Mw, M, W) F(Md, M, D) F(Mq, M, Q) F(Mdq, M, DQ)   \
    F(Mv, M, V) F(My, M, Y) F(Mp, M, P) F(Ms, M, S) F(Ma, M, A)                \
    F(Mps, M, DQ) F(Mpd, M, DQ)                                                \
    F(m16int, M, W) F(m32int, M, D) F(m64int, M, Q) F(m32fp, M, D)            \
    F(m64fp, M, Q) F(m80fp, M, T) F(m80bcd, M, T) F(m2byte, M, W)             \
    F(m14_28, M, ENV) F(m94_108, M, FSTATE) F(m512, M, FXSTATE)                \
    /* ModRM.rm: general register only */                                      \
    F(Rd, R, D) F(Ry, R, Y) F(Rv, R, V)                                        \
    /* ModRM.reg */                                                            \
    F(Gb, G, B) F(Gw, G, W) F(Gd, G, D) F(Gv, G, V) F(Gy, G, Y) F(Gz, G, Z)    \
    F(Sw, S, W) F(Cd, C, Y) F(Dd, D, Y)                                        \
    /* MMX: P = ModRM.reg, Q = rm register or memory, N = rm register */      \
    F(Pq, P, Q) F(Pd, P, D) F(Qq, Q, Q) F(Qd, Q, D) F(Nq, N, Q)                \
    /* XMM: V = ModRM.reg, W = rm register or memory, U = rm register */      \
    F(Vps, V, DQ) F(Vpd, V, DQ) F(Vss, V, D) F(Vsd, V, Q) F(Vdq, V, DQ)        \
    F(Vq, V, Q) F(Vd, V, D) F(Vy, V, Y) F(Vx, V, DQ)                           \
    F(Wps, W, DQ) F(Wpd, W, DQ) F(Wss, W, D) F(Wsd, W, Q) F(Wdq, W, DQ)        \
    F(Wq, W, Q) F(Wd, W, D) F(Wx, W, DQ)                                       \
    F(Ups, U, DQ) F(Upd, U, DQ) F(Udq, U, DQ) F(Uq, U, Q) F(Ux, U, DQ)         \
    /* immediates, branches, far pointers, offsets */                          \
    F(Ib, I, B) F(Ibs, IS, B) F(Iw, I, W) F(Iz, IS, Z) F(Iv, I, V) F(I1, ONE, B) \
    F(Jb, J, B) F(Jz, J, Z) F(Ap, A, P) F(Ob, O, B) F(Ov, O, V)                \
    /* register in the low three opcode bits (plus REX.B) */                   \
    F(Zb, Z, B) F(Zv, Z, V) F(Zy, Z, Y)                                        \
    /* fixed registers */                                                      \
    F(AL, FIX, B) F(CL, FIX, B) F(AX, FIX, W) F(DX, FIX, W) F(eAX, FIX, Z)     \
    F(rAX, FIX, V)                                                             \
    F(ES, SEGF, W) F(CS, SEGF, W) F(SS, SEGF, W) F(DS, SEGF, W) F(FS, SEGF, W) \
    F(GS, SEGF, W)                                                             \
    F(ST0, ST0, T) F(STi, STI, T)                                              \
    /* string operands: X = seg:rSI (DS overridable), Y = ES:rDI */            \
    F(Xb, X, B) F(Xv, X, V) F(Xz, X, Z) F(Yb, Y, B) F(Yv, Y, V) F(Yz, Y, Z)

enum X86OpForm {
#define X86_OPF_ENUM_(name, cls, sz) X86_OPF_##name,
    X86_OPFORMS(X86_OPF_ENUM_)
#undef X86_OPF_ENUM_
    X86_OPF_COUNT
};

/* Operand-form classes (where the operand lives). */
enum {
    X86_OPC_NONE, X86_OPC_E, X86_OPC_M, X86_OPC_R, X86_OPC_G, X86_OPC_S, X86_OPC_C,
    X86_OPC_D, X86_OPC_P, X86_OPC_Q, X86_OPC_N, X86_OPC_V, X86_OPC_W, X86_OPC_U,
    X86_OPC_I, X86_OPC_IS, X86_OPC_ONE, X86_OPC_J, X86_OPC_A, X86_OPC_O, X86_OPC_Z,
    X86_OPC_FIX, X86_OPC_SEGF, X86_OPC_ST0, X86_OPC_STI, X86_OPC_X, X86_OPC_Y,
};

/* Operand-form sizes: fixed widths, or rules resolved with the operand size. */
enum {
    X86_SZ_0,           /* no size (LEA, INVLPG-style address operands) */
    X86_SZ_B, X86_SZ_W, X86_SZ_D, X86_SZ_Q, X86_SZ_DQ, X86_SZ_T,
    X86_SZ_V,           /* operand size: 2/4/8 */
    X86_SZ_Z,           /* 2 for 16-bit operand size, else 4 */
    X86_SZ_Y,           /* 8 for 64-bit operand size, else 4 */
    X86_SZ_VW,          /* register: operand size; memory: 2 */
    X86_SZ_YW,          /* register: y; memory: 2 */
    X86_SZ_P,           /* far pointer: 2 + operand size */
    X86_SZ_S,           /* descriptor-table pointer: 6, or 10 in 64-bit mode */
    X86_SZ_A,           /* BOUND pair: 2 * operand size */
    X86_SZ_ENV,         /* x87 environment: 14 or 28 */
    X86_SZ_FSTATE,      /* x87 state: 94 or 108 */
    X86_SZ_FXSTATE,     /* FXSAVE area: 512 */
};

/* ---- CPU modes and the modes column ---- */

enum X86CpuMode {
    X86_MODE_REAL,      /* real address mode */
    X86_MODE_V86,       /* virtual-8086 mode */
    X86_MODE_PROT,      /* protected mode, or compatibility mode under long mode */
    X86_MODE_LONG64,    /* 64-bit mode */
    X86_MODE_COUNT
};

#define X86_MB_REAL   (1u << X86_MODE_REAL)
#define X86_MB_V86    (1u << X86_MODE_V86)
#define X86_MB_PROT   (1u << X86_MODE_PROT)
#define X86_MB_LONG64 (1u << X86_MODE_LONG64)
#define X86_MODES_ALL   (X86_MB_REAL | X86_MB_V86 | X86_MB_PROT | X86_MB_LONG64)
#define X86_MODES_N64   (X86_MB_REAL | X86_MB_V86 | X86_MB_PROT)
#define X86_MODES_O64   X86_MB_LONG64
#define X86_MODES_PM    (X86_MB_PROT | X86_MB_LONG64)
#define X86_MODES_PMN64 X86_MB_PROT

#include "cpu/x86/decode-flags.h"

/* ---- CPUID features an instruction can need ----
 * F(name, leaf, register, bit): where CPUID reports it (SDM Vol. 2, CPUID;
 * leaf 7 is sub-leaf 0).  Register: 0 EAX, 1 EBX, 2 ECX, 3 EDX.
 */
#define X86_FEATURES(F)                                                        \
    F(BASE, 0, 0, 0)    /* always present */                                   \
    F(FPU, 1, 3, 0) F(TSC, 1, 3, 4) F(MSR, 1, 3, 5) F(CX8, 1, 3, 8)            \
    F(SEP, 1, 3, 11) F(CMOV, 1, 3, 15) F(CLFSH, 1, 3, 19) F(MMX, 1, 3, 23)     \
    F(FXSR, 1, 3, 24) F(SSE, 1, 3, 25) F(SSE2, 1, 3, 26)                       \
    F(SSE3, 1, 2, 0) F(MONITOR, 1, 2, 3) F(SSSE3, 1, 2, 9) F(CX16, 1, 2, 13)   \
    F(MOVBE, 1, 2, 22) F(POPCNT, 1, 2, 23) F(RDRAND, 1, 2, 30)                 \
    F(FSGSBASE, 7, 1, 0) F(BMI1, 7, 1, 3) F(RDSEED, 7, 1, 18) F(SMAP, 7, 1, 20) \
    F(LAHF64, 0x80000001u, 2, 0) F(LZCNT, 0x80000001u, 2, 5)                  \
    F(PREFETCHW, 0x80000001u, 2, 8) F(SYSCALL, 0x80000001u, 3, 11)            \
    F(RDTSCP, 0x80000001u, 3, 27)

enum X86Feature {
#define X86_FEAT_ENUM_(name, leaf, reg, bit) X86_FEAT_##name,
    X86_FEATURES(X86_FEAT_ENUM_)
#undef X86_FEAT_ENUM_
    X86_FEAT_COUNT
};

#define X86_FEATBIT(f) (1ull << (f))
#define X86_FEATURES_ALL ((1ull << X86_FEAT_COUNT) - 1)

/* ---- Row attributes ---- */
#define X86_A_LOCK   (1u << 0)   /* LOCK allowed when the destination is memory */
#define X86_A_REP    (1u << 1)   /* F2/F3 repeat (INS/OUTS/MOVS/LODS/STOS) */
#define X86_A_REPC   (1u << 2)   /* F3 = REPE, F2 = REPNE (CMPS/SCAS) */
#define X86_A_D64    (1u << 3)   /* 64-bit default operand size in 64-bit mode */
#define X86_A_F64    (1u << 4)   /* 64-bit operand size forced in 64-bit mode (66 ignored) */
#define X86_A_FIXSZ  (1u << 5)   /* operand size 32, or 64 in 64-bit mode; 66/REX.W ignored */
#define X86_A_MODIGN (1u << 6)   /* ModRM.mod ignored, always a register (MOV CR/DR) */
#define X86_A_PRIV   (1u << 7)   /* CPL 0 only */
#define X86_A_IOPL   (1u << 8)   /* IOPL / I/O-permission sensitive */
#define X86_A_BR     (1u << 9)   /* transfers control */
#define X86_A_SYS    (1u << 10)  /* system or environment dependent (segments, I/O, ints) */
#define X86_A_W0     (1u << 11)  /* row matches only without REX.W */
#define X86_A_W1     (1u << 12)  /* row matches only with REX.W */
#define X86_A_ALN    (1u << 13)  /* 16-byte aligned memory operand required (#GP) */
#define X86_A_MAS    (1u << 14)  /* mnemonic variants chosen by address size */
#define X86_A_UNDOC  (1u << 15)  /* undocumented or aliased encoding that CPUs execute */

#define X86_ATTR__ 0u
#define X86_ATTR_A(...) X86_CAT_(X86_ATTR_N, X86_NARGS_(__VA_ARGS__))(__VA_ARGS__)
#define X86_NARGS_(...) X86_NARGS2_(__VA_ARGS__, 5, 4, 3, 2, 1, 0)
#define X86_NARGS2_(a, b, c, d, e, n, ...) n
#define X86_CAT_(a, b) X86_CAT2_(a, b)
#define X86_CAT2_(a, b) a##b
#define X86_ATTR_N1(a) X86_A_##a
#define X86_ATTR_N2(a, b) (X86_A_##a | X86_A_##b)
#define X86_ATTR_N3(a, b, c) (X86_A_##a | X86_A_##b | X86_A_##c)
#define X86_ATTR_N4(a, b, c, d) (X86_A_##a | X86_A_##b | X86_A_##c | X86_A_##d)
#define X86_ATTR_N5(a, b, c, d, e) (X86_A_##a | X86_A_##b | X86_A_##c | X86_A_##d | X86_A_##e)

/* ---- Row ids ---- */

typedef enum X86InsnId {
    XI_INVALID,
#define X86_INSN(id, mnem, map, opc, pfx, modrm, o1, o2, o3, o4, modes, fr, fw, fu, feat, \
                 attrs, xlat) XI_##id,
#include "cpu/x86/insn.def"
#undef X86_INSN
    XI_COUNT
} X86InsnId;

/* One table row, with every column resolved to numbers. */
typedef struct X86InsnInfo {
    const char *name;           /* row id, e.g. "ADD_EbGb" */
    const char *mnem;           /* mnemonic, possibly with '/'-separated variants */
    const char *xlat;           /* translate function name (for listings only) */
    uint8_t map, opcode, pfx, nops;
    uint32_t modrm;             /* X86_MRC_* */
    uint8_t ops[4];             /* enum X86OpForm */
    uint8_t modes;              /* X86_MB_* */
    uint8_t feature;            /* enum X86Feature */
    uint32_t attrs;             /* X86_A_* */
    uint32_t flags_read, flags_written, flags_undef;
} X86InsnInfo;

/* ---- Registers ---- */

enum { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
       X86_SEG_NONE = 7 };
#define X86_REG_NONE (-1)
#define X86_REG_RIP  16         /* base of a RIP-relative memory operand */

/* Operand kinds in a decoded instruction. */
enum {
    X86_OPK_NONE,
    X86_OPK_GPR,        /* reg 0-15 (high8: AH/CH/DH/BH when size is 1) */
    X86_OPK_SEG,        /* reg X86_SEG_* */
    X86_OPK_CR,
    X86_OPK_DR,
    X86_OPK_MMX,        /* mm0-mm7 */
    X86_OPK_XMM,        /* xmm0-xmm15 */
    X86_OPK_ST,         /* st(i) relative to TOP */
    X86_OPK_MEM,        /* DecodedInsn.mem */
    X86_OPK_IMM,        /* imm */
    X86_OPK_REL,        /* imm = branch target, already masked to operand size */
    X86_OPK_FAR,        /* imm = offset, sel = selector (direct far pointer) */
    X86_OPK_STR,        /* string operand: seg:[rSI] (reg 6) or ES:[rDI] (reg 7) */
};

typedef struct X86Operand {
    uint8_t kind;       /* X86_OPK_* */
    uint8_t form;       /* enum X86OpForm from the row */
    uint16_t size;      /* bytes: register width or memory access size */
    uint8_t reg;        /* register number for register kinds */
    uint8_t seg;        /* X86_OPK_STR: segment of the access */
    bool high8;         /* byte register AH/CH/DH/BH (no REX prefix, reg 4-7) */
    uint16_t sel;       /* X86_OPK_FAR selector */
    uint64_t imm;       /* IMM (sign-extended to 64 bits for the IS forms), REL target,
                           FAR offset */
} X86Operand;

typedef struct X86MemRef {
    int8_t base;        /* GPR 0-15, X86_REG_RIP or X86_REG_NONE */
    int8_t index;       /* GPR 0-15 or X86_REG_NONE */
    uint8_t scale;      /* 1, 2, 4 or 8 */
    uint8_t seg;        /* effective segment: override, else DS or SS by base */
    int64_t disp;       /* sign-extended displacement (moffs: zero-extended offset) */
} X86MemRef;

/* Decoder result. */
enum X86DecodeStatus {
    X86_DEC_OK,
    X86_DEC_UD,         /* invalid opcode: raise #UD; ud_reason says why */
    X86_DEC_GP,         /* longer than 15 bytes: raise #GP(0) */
    X86_DEC_FETCH,      /* the fetch callback failed; fetch_error is its code */
};

enum X86UdReason {
    X86_UD_NONE,
    X86_UD_UNDEFINED,   /* no instruction has this opcode */
    X86_UD_PREFIX,      /* opcode undefined with this mandatory prefix */
    X86_UD_REG,         /* ModRM.reg (or rm) selects no instruction */
    X86_UD_NEED_MEM,    /* register form where memory is required (mod == 3) */
    X86_UD_NEED_REG,    /* memory form where a register is required */
    X86_UD_REXW,        /* not defined with (or without) REX.W */
    X86_UD_MODE64,      /* invalid in 64-bit mode */
    X86_UD_ONLY64,      /* valid only in 64-bit mode */
    X86_UD_REALV86,     /* invalid in real-address or virtual-8086 mode */
    X86_UD_FEATURE,     /* needs a CPUID feature the caller did not enable */
    X86_UD_LOCK,        /* LOCK prefix on a non-lockable form or a register destination */
    X86_UD_BADREG,      /* nonexistent segment, control or debug register */
    X86_UD_VEX,         /* VEX/EVEX encoding (AVX and later are not implemented) */
    X86_UD_COUNT
};

/* For REP rows (MOVS, STOS, LODS, INS, OUTS) both values mean "repeat"; for
 * REPC rows (CMPS, SCAS) they select the termination condition. */
enum { X86_REP_NONE, X86_REP_REPE, X86_REP_REPNE };

/* Prefix bits in DecodedInsn.prefixes (what was present, not what was used). */
#define X86_PFX_LOCK   (1u << 0)
#define X86_PFX_REPE   (1u << 1)    /* F3 */
#define X86_PFX_REPNE  (1u << 2)    /* F2 */
#define X86_PFX_OPSIZE (1u << 3)    /* 66 */
#define X86_PFX_ADSIZE (1u << 4)    /* 67 */
#define X86_PFX_SEG    (1u << 5)    /* any segment override */
#define X86_PFX_REX    (1u << 6)    /* an effective REX prefix */
#define X86_PFX_MP66   (1u << 7)    /* 66 was consumed as a mandatory prefix */
#define X86_PFX_MPREP  (1u << 8)    /* F2/F3 was consumed as a mandatory prefix */

#define X86_REX_B 0x1u
#define X86_REX_X 0x2u
#define X86_REX_R 0x4u
#define X86_REX_W 0x8u

#define X86_MAX_INSN_LEN 15

typedef struct DecodedInsn {
    uint16_t id;        /* X86InsnId.  For X86_DEC_UD: the row that matched but is not
                           allowed (mode, feature, LOCK, register), or 0 */
    uint8_t status;     /* enum X86DecodeStatus */
    uint8_t ud_reason;  /* enum X86UdReason */
    uint8_t ud_feature; /* for X86_UD_FEATURE */
    uint8_t len;        /* length in bytes (FETCH: bytes fetched before the fault;
                           UD: bytes examined, or the full length when the row is known) */
    uint8_t mode;       /* enum X86CpuMode the instruction was decoded in */
    uint8_t opsize;     /* effective operand size in bytes: 2, 4 or 8 (after 66, REX.W,
                           d64/f64, and 66 consumed as a mandatory prefix) */
    uint8_t addrsize;   /* effective address size in bytes: 2, 4 or 8 */
    uint8_t codesize;   /* code-segment size: 2, 4 or 8 (how rIP wraps) */
    uint8_t rep;        /* X86_REP_* for rows with REP/REPC behaviour, else NONE */
    uint8_t mp;         /* the mandatory prefix the row consumed (X86_MP_*) */
    uint16_t prefixes;  /* X86_PFX_* */
    uint8_t rex;        /* the effective REX byte, 0 if none */
    uint8_t seg_override; /* last segment prefix (X86_SEG_*), X86_SEG_NONE if none */
    uint8_t map, opcode;
    uint8_t opc_off;    /* offset of the first opcode byte (number of prefix bytes) */
    bool has_modrm, has_sib, has_mem;
    uint8_t modrm, sib;
    uint8_t mod, reg, rm;   /* ModRM fields; reg and rm include REX.R / REX.B */
    uint8_t nops;
    int fetch_error;    /* the fetch callback's error code (X86_DEC_FETCH) */
    uint64_t ip;        /* instruction pointer passed to the decoder */
    /* The memory operand, when has_mem.  XLAT and MASKMOVQ/MASKMOVDQU have
     * no listed memory operand; mem holds their implicit address (XLAT:
     * base rBX, plus zero-extended AL at run time; MASKMOV*: base rDI). */
    X86MemRef mem;
    X86Operand op[4];   /* op[0..nops-1]; the rest have kind X86_OPK_NONE */
    uint8_t bytes[X86_MAX_INSN_LEN];
} DecodedInsn;

/*
 * Fetch one instruction byte at addr (= ip + offset within the instruction,
 * as a 64-bit sum: the callback applies segment base, limit and wrap).
 * Returns 0, or a non-zero error that the decoder hands back in fetch_error.
 * The callback may also longjmp out (a guest page fault): the decoder holds
 * no resources.  The decoder never fetches past 15 bytes.
 */
typedef int (*X86FetchFn)(void *opaque, uint64_t addr, uint8_t *byte);

typedef struct X86DecodeCtx {
    X86FetchFn fetch;
    void *opaque;
    /* Optional: guest bytes fast_base .. fast_base+fast_len-1 readable from the
     * host (the translator's pointer to the code page); the callback serves
     * bytes outside that window.  Addresses are in the same space as ip; the
     * window must stop where the callback would wrap IP or fault. */
    const uint8_t *fast;
    uint64_t fast_base;
    uint32_t fast_len;
    uint8_t mode;       /* enum X86CpuMode */
    bool code32;        /* CS.D (ignored in 64-bit mode and virtual-8086 mode) */
    uint64_t features;  /* X86_FEATBIT() mask of CPUID features the CPU model has */
} X86DecodeCtx;

/* Decode the instruction at ip.  Returns d->status. */
int x86_decode(DecodedInsn *d, const X86DecodeCtx *ctx, uint64_t ip);

/* Decode from a host buffer; bytes past len behave like a fetch fault (error -1). */
int x86_decode_buf(DecodedInsn *d, uint8_t mode, bool code32, uint64_t features,
                   uint64_t ip, const uint8_t *buf, size_t len);

/* Address of the next instruction: ip + len, wrapped to the code-segment size. */
uint64_t x86_next_ip(const DecodedInsn *d);
/* Offset of a RIP-relative operand's target: next ip + disp (address-size wrapped). */
uint64_t x86_rip_relative(const DecodedInsn *d);

/* ---- Table queries ---- */

/* Consistency of the opcode index: 0, or a row whose ModRM presence disagrees
 * with another row of the same opcode (the unit test asserts 0). */
int x86_decode_index_check(void);

const X86InsnInfo *x86_insn_info(unsigned id);
/* The mnemonic variant for this decoded instruction ("cwde", "movq", ...). */
const char *x86_insn_mnemonic(const DecodedInsn *d, char *buf, size_t size);
const char *x86_ud_reason_str(unsigned reason);
const char *x86_feature_name(unsigned feature);
/* Where CPUID reports a feature; false for BASE. */
bool x86_feature_cpuid(unsigned feature, uint32_t *leaf, unsigned *reg, unsigned *bit);
const char *x86_opform_name(unsigned form);
unsigned x86_opform_class(unsigned form);
unsigned x86_opform_size(unsigned form);
/* Flag-set letters ("OSZAPC", "ZC", "ALL", "" for none) into buf. */
const char *x86_flags_str(uint32_t flags, char *buf, size_t size);
/* True if the row is valid at CPL 3 with no system side effects (not PRIV/SYS/IOPL). */
bool x86_insn_is_user(unsigned id);
bool x86_insn_valid_in_mode(unsigned id, unsigned mode);

/*
 * Per-opcode test lists.  x86_insn_list() fills out[] (up to max) with the
 * rows that pass the filter and returns how many passed in total.
 */
typedef struct X86InsnFilter {
    unsigned mode;          /* enum X86CpuMode the rows must be valid in */
    uint64_t features;      /* rows needing a feature outside this mask are dropped */
    uint32_t attrs_exclude; /* drop rows with any of these attributes */
    bool user_only;         /* only x86_insn_is_user() rows */
} X86InsnFilter;

size_t x86_insn_list(const X86InsnFilter *f, uint16_t *out, size_t max);

/*
 * One-line description of a row for test lists:
 *   "ADD_EbGb 00 /r add Eb,Gb modes=ALL feat=BASE r= w=OSZAPC u= attrs=LOCK xlat=add"
 */
void x86_insn_describe(unsigned id, char *buf, size_t size);

/*
 * Random encodings of a row, for table-derived tests and the differential
 * CPU tester.  The result decodes back to the same row in the given mode.
 */
#define X86_ENC_NO_MEM       (1u << 0)  /* register forms only (fails if the row needs memory) */
#define X86_ENC_NO_REG       (1u << 1)  /* memory forms only where the row allows both */
#define X86_ENC_NO_PREFIXES  (1u << 2)  /* no redundant segment/66/67/REX prefixes */
#define X86_ENC_SIMPLE_MEM   (1u << 3)  /* memory as [base+disp8] with base = mem_base */

typedef struct X86EncodeOpts {
    uint8_t mode;           /* enum X86CpuMode */
    bool code32;
    uint32_t flags;         /* X86_ENC_* */
    uint16_t avoid_gprs;    /* GPRs not to use as ModRM or opcode-register operands (fixed
                               operands such as AL or rAX belong to the row) */
    uint8_t mem_base;       /* base register for X86_ENC_SIMPLE_MEM */
    uint64_t features;      /* feature mask used to check the encoding decodes */
} X86EncodeOpts;

/* xorshift64* step; the encoder's only source of randomness. */
uint64_t x86_rand_next(uint64_t *state);

/* Write one encoding of row id into out; returns its length, or 0 if impossible. */
int x86_insn_encode(unsigned id, const X86EncodeOpts *o, uint64_t *rng, uint8_t out[15]);

#endif
