/*
 * A small x86-64 instruction encoder for the native backend.  Only the forms the code
 * generator needs: register/register, register/[base + disp32], immediates, jumps with
 * rel32 displacements.  Encodings follow the Intel SDM, volume 2 (ModRM/SIB/REX).
 *
 * The emitter writes into the caller's buffer while there is room and keeps counting
 * past the end, so gen_code can report TB_GEN_BUFFER_FULL after one pass.
 */
#ifndef ACCEL_TCG_BACKEND_X86_64_ASM_H
#define ACCEL_TCG_BACKEND_X86_64_ASM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

enum {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15,
};

/* x86 condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum {
    CC_O = 0, CC_NO = 1, CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
    CC_S = 8, CC_NS = 9, CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf,
};

/* Opcode flags, or'ed into the opcode value passed to asm_op_*(). */
#define P_0F 0x100      /* two-byte opcode 0F xx */
#define P_DATA16 0x200  /* operand-size prefix 66 */
#define P_REXW 0x400    /* 64-bit operand size */
#define P_BYTE_R 0x800  /* the reg field names a byte register (needs REX for SPL..DIL) */
#define P_BYTE_RM 0x1000 /* the r/m field names a byte register */

typedef struct Asm {
    uint8_t *buf;
    size_t cap, n;
} Asm;

static inline void asm_b(Asm *a, uint8_t v)
{
    if (a->n < a->cap) {
        a->buf[a->n] = v;
    }
    a->n++;
}

static inline void asm_d(Asm *a, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        asm_b(a, (uint8_t)(v >> (8 * i)));
    }
}

static inline void asm_q(Asm *a, uint64_t v)
{
    asm_d(a, (uint32_t)v);
    asm_d(a, (uint32_t)(v >> 32));
}

static inline void asm_patch32(Asm *a, size_t at, uint32_t v)
{
    if (at + 4 <= a->cap) {
        memcpy(a->buf + at, &v, 4);
    }
}

static inline bool fits_s32(int64_t v)
{
    return v == (int32_t)v;
}

/* Prefixes, REX and opcode bytes. x: SIB index register (or 0). */
static inline void asm_opc(Asm *a, unsigned opc, unsigned r, unsigned x, unsigned rm)
{
    unsigned rex = 0;

    if (opc & P_DATA16) {
        asm_b(a, 0x66);
    }
    if (opc & P_REXW) {
        rex |= 8;
    }
    rex |= (r & 8) >> 1 | (x & 8) >> 2 | (rm & 8) >> 3;
    /* SPL, BPL, SIL, DIL are only reachable with a REX prefix. */
    if (((opc & P_BYTE_R) && r >= 4) || ((opc & P_BYTE_RM) && rm >= 4)) {
        rex |= 0x40;
    }
    if (rex) {
        asm_b(a, (uint8_t)(0x40 | rex));
    }
    if (opc & P_0F) {
        asm_b(a, 0x0f);
    }
    asm_b(a, (uint8_t)opc);
}

/* op r, rm (register direct). */
static inline void asm_rr(Asm *a, unsigned opc, unsigned r, unsigned rm)
{
    asm_opc(a, opc, r, 0, rm);
    asm_b(a, (uint8_t)(0xc0 | (r & 7) << 3 | (rm & 7)));
}

/* op r, [base + disp]. */
static inline void asm_rm(Asm *a, unsigned opc, unsigned r, unsigned base, int32_t disp)
{
    unsigned mod = (disp == 0 && (base & 7) != RBP) ? 0 : disp == (int8_t)disp ? 1 : 2;

    asm_opc(a, opc, r, 0, base);
    if ((base & 7) == RSP) {
        asm_b(a, (uint8_t)(mod << 6 | (r & 7) << 3 | 4));
        asm_b(a, 0x24);
    } else {
        asm_b(a, (uint8_t)(mod << 6 | (r & 7) << 3 | (base & 7)));
    }
    if (mod == 1) {
        asm_b(a, (uint8_t)disp);
    } else if (mod == 2) {
        asm_d(a, (uint32_t)disp);
    }
}

/* op r, [base + index + disp] (scale 1); index must not be RSP. */
static inline void asm_rmx(Asm *a, unsigned opc, unsigned r, unsigned base, unsigned index,
                           int32_t disp)
{
    unsigned mod = (disp == 0 && (base & 7) != RBP) ? 0 : disp == (int8_t)disp ? 1 : 2;

    asm_opc(a, opc, r, index, base);
    asm_b(a, (uint8_t)(mod << 6 | (r & 7) << 3 | 4));
    asm_b(a, (uint8_t)((index & 7) << 3 | (base & 7)));
    if (mod == 1) {
        asm_b(a, (uint8_t)disp);
    } else if (mod == 2) {
        asm_d(a, (uint32_t)disp);
    }
}

/* op r, [rip + disp]; disp is relative to the end of the instruction (imm bytes follow). */
static inline size_t asm_rip(Asm *a, unsigned opc, unsigned r)
{
    asm_opc(a, opc, r, 0, 0);
    asm_b(a, (uint8_t)((r & 7) << 3 | 5));
    asm_d(a, 0);
    return a->n - 4;
}

enum {
    ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7,
};

/* ALU r, rm: the "reg, r/m" opcodes 03 0B 23 2B 33 3B. */
static inline void asm_alu_rr(Asm *a, unsigned alu, bool w, unsigned r, unsigned rm)
{
    asm_rr(a, (alu << 3 | 3) | (w ? P_REXW : 0), r, rm);
}

/* ALU rm, imm (sign-extended imm8 or imm32). */
static inline void asm_alu_ri(Asm *a, unsigned alu, bool w, unsigned rm, int32_t imm)
{
    if (imm == (int8_t)imm) {
        asm_rr(a, 0x83 | (w ? P_REXW : 0), alu, rm);
        asm_b(a, (uint8_t)imm);
    } else {
        asm_rr(a, 0x81 | (w ? P_REXW : 0), alu, rm);
        asm_d(a, (uint32_t)imm);
    }
}

static inline void asm_mov_rr(Asm *a, bool w, unsigned d, unsigned s)
{
    asm_rr(a, 0x8b | (w ? P_REXW : 0), d, s);
}

/* d = v, choosing the shortest encoding.  Never touches the flags. */
static inline void asm_movi(Asm *a, unsigned d, uint64_t v)
{
    if (v == (uint32_t)v) {
        asm_opc(a, 0xb8 + (d & 7), 0, 0, d);
        asm_d(a, (uint32_t)v);
    } else if (fits_s32((int64_t)v)) {
        asm_rr(a, 0xc7 | P_REXW, 0, d);
        asm_d(a, (uint32_t)v);
    } else {
        asm_opc(a, (0xb8 + (d & 7)) | P_REXW, 0, 0, d);
        asm_q(a, v);
    }
}

/* Shift group C1/D3: ext 0 rol, 1 ror, 4 shl, 5 shr, 7 sar. */
enum { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

static inline void asm_shift_ri(Asm *a, unsigned ext, bool w, unsigned rm, unsigned count)
{
    asm_rr(a, 0xc1 | (w ? P_REXW : 0), ext, rm);
    asm_b(a, (uint8_t)count);
}

static inline void asm_shift_cl(Asm *a, unsigned ext, bool w, unsigned rm)
{
    asm_rr(a, 0xd3 | (w ? P_REXW : 0), ext, rm);
}

/* Jcc rel32 / JMP rel32 with a zero displacement; returns the displacement's offset. */
static inline size_t asm_jcc32(Asm *a, unsigned cc)
{
    asm_b(a, 0x0f);
    asm_b(a, (uint8_t)(0x80 | cc));
    asm_d(a, 0);
    return a->n - 4;
}

static inline size_t asm_jmp32(Asm *a)
{
    asm_b(a, 0xe9);
    asm_d(a, 0);
    return a->n - 4;
}

/* Point the rel32 at `at` to target (both offsets in the same buffer). */
static inline void asm_link(Asm *a, size_t at, size_t target)
{
    asm_patch32(a, at, (uint32_t)(int32_t)((int64_t)target - (int64_t)(at + 4)));
}

/* call/jmp to an absolute address through r11. */
static inline void asm_call_abs(Asm *a, const void *fn)
{
    asm_movi(a, R11, (uint64_t)(uintptr_t)fn);
    asm_rr(a, 0xff, 2, R11);
}

static inline void asm_ret(Asm *a)
{
    asm_b(a, 0xc3);
}

#endif
