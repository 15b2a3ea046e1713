/*
 * x86 disassembler for `-d in_asm`: Intel syntax, formatted like GNU
 * objdump -M intel so that logs can be compared with it.  It uses only the
 * decoder and the table in insn.def.
 */
#ifndef CPU_X86_DISAS_H
#define CPU_X86_DISAS_H

#include "cpu/x86/decode.h"

/*
 * Format one decoded instruction ("add    DWORD PTR [rax+0x8],0x1").
 * Instructions that did not decode (status != X86_DEC_OK) print as "(bad)".
 * Returns buf.
 */
const char *x86_disas_format(const DecodedInsn *d, char *buf, size_t size);

/*
 * Decode and format the instruction at ip.  Returns its length, or 0 when
 * nothing could be decoded (fetch fault, or #GP for more than 15 bytes);
 * an undefined instruction returns the bytes it examined (at least 1) and
 * "(bad)".
 */
int x86_disas_one(const X86DecodeCtx *ctx, uint64_t ip, char *buf, size_t size);

/*
 * Print len bytes of code starting at ip, one instruction per line:
 *   "0x00001000:  48 01 d8                add    rax,rbx"
 * Stops early at a fetch fault.  Returns the number of bytes printed.
 */
size_t x86_disas_block(FILE *f, const X86DecodeCtx *ctx, uint64_t ip, size_t len);

#endif
