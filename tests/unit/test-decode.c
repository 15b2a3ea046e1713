/*
 * x86 decoder, instruction table and disassembler:
 *  - hand-picked tricky encodings in 16/32/64-bit modes (lengths, fields, text)
 *  - the table's own consistency, and every row encoded and decoded back
 *  - invalid encodings and the #UD/#GP/fetch-fault results
 *  - a differential run against GNU objdump on random and table-derived bytes
 *
 * Debugging the objdump run: DECODE_SEED=0x... repeats a run (the seed is
 * printed), DECODE_VERBOSE=1 lists the "not implemented" and "compatible
 * extension" cases, DECODE_TEXT=1 lists full-text differences among matches.
 */
#include "cpu/x86/decode.h"
#include "cpu/x86/disas.h"
#include "tests/unit/test.h"

#include <setjmp.h>
#include <time.h>
#include <unistd.h>

/* Decoding modes used by the tests: 16- and 32-bit protected mode, 64-bit, real mode. */
enum { M16, M32, M64, MREAL, NMODES };
static const char *const mode_names[NMODES] = { "16-bit", "32-bit", "64-bit", "real" };

static void mode_of(int m, uint8_t *mode, bool *code32)
{
    *mode = m == M64 ? X86_MODE_LONG64 : m == MREAL ? X86_MODE_REAL : X86_MODE_PROT;
    *code32 = m == M32;
}

static int parse_hex(const char *hex, uint8_t *out, int max)
{
    int n = 0;
    while (*hex && n < max) {
        unsigned v;
        if (*hex == ' ') {
            hex++;
            continue;
        }
        if (sscanf(hex, "%2x", &v) != 1) {
            break;
        }
        out[n++] = v;
        hex += 2;
    }
    return n;
}

static int dec_ip_feat(DecodedInsn *d, int m, uint64_t ip, uint64_t feat, const char *hex)
{
    uint8_t buf[32], mode;
    bool code32;
    int n = parse_hex(hex, buf, sizeof(buf));
    mode_of(m, &mode, &code32);
    return x86_decode_buf(d, mode, code32, feat, ip, buf, n);
}

static int dec(DecodedInsn *d, int m, const char *hex)
{
    return dec_ip_feat(d, m, 0x1000, X86_FEATURES_ALL, hex);
}

static const char *row_name(const DecodedInsn *d)
{
    return x86_insn_info(d->id)->name;
}

/* ---- (a) hand-picked encodings: length, row and objdump-style text ---- */

typedef struct Tricky {
    int m;
    const char *hex;
    int len;
    const char *row;
    const char *text;       /* NULL: not checked */
} Tricky;

static const Tricky tricky[] = {
    /* 64-bit mode: REX, RIP-relative, SIB corner cases, 64-bit immediates */
    { M64, "48 01 d8", 3, "ADD_EvGv", "add    rax,rbx" },
    { M64, "f0 48 01 00", 4, "ADD_EvGv", "lock add QWORD PTR [rax],rax" },
    { M64, "48 66 01 c0", 4, "ADD_EvGv", "add    ax,ax" },          /* REX not last: ignored */
    { M64, "66 48 01 c0", 4, "ADD_EvGv", "add    rax,rax" },
    { M64, "40 88 e0", 3, "MOV_EbGb", "mov    al,spl" },
    { M64, "88 e0", 2, "MOV_EbGb", "mov    al,ah" },
    { M64, "41 8b 04 24", 4, "MOV_GvEv", "mov    eax,DWORD PTR [r12]" },
    { M64, "41 8b 45 00", 4, "MOV_GvEv", "mov    eax,DWORD PTR [r13+0x0]" },
    { M64, "41 8b 05 78 56 34 12", 7, "MOV_GvEv",
      "mov    eax,DWORD PTR [rip+0x12345678]        # 0x1234667f" },
    { M64, "8b 04 25 78 56 34 12", 7, "MOV_GvEv", "mov    eax,DWORD PTR ds:0x12345678" },
    { M64, "4a 8b 04 a0", 4, "MOV_GvEv", "mov    rax,QWORD PTR [rax+r12*4]" },
    { M64, "42 8b 04 25 00 00 00 00", 8, "MOV_GvEv", "mov    eax,DWORD PTR [r12*1+0x0]" },
    { M64, "48 b8 88 77 66 55 44 33 22 11", 10, "MOV_ZvIv", "mov    rax,0x1122334455667788" },
    { M64, "b8 ff ff ff ff", 5, "MOV_ZvIv", "mov    eax,0xffffffff" },
    { M64, "48 c7 c0 ff ff ff ff", 7, "MOV_EvIz", "mov    rax,0xffffffffffffffff" },
    { M64, "48 83 c0 ff", 4, "ADD_EvIbs", "add    rax,0xffffffffffffffff" },
    { M64, "66 83 c0 ff", 4, "ADD_EvIbs", "add    ax,0xffff" },
    { M64, "a1 88 77 66 55 44 33 22 11", 9, "MOV_rAXOv", "mov    eax,ds:0x1122334455667788" },
    { M64, "67 a1 44 33 22 11", 6, "MOV_rAXOv", "mov    eax,ds:0x11223344" },
    { M64, "66 e8 00 00 00 00", 6, "CALL_Jz", "call   0x1006" },   /* 66 ignored (Intel) */
    { M64, "e3 fe", 2, "JCXZ_Jb", "jrcxz  0x1000" },
    { M64, "67 e3 fd", 3, "JCXZ_Jb", "jecxz  0x1000" },
    { M64, "0f 20 00", 3, "MOV_RyCd", "mov    rax,cr0" },        /* mod ignored: no disp */
    { M64, "44 0f 22 c0", 4, "MOV_CdRy", "mov    cr8,rax" },
    { M64, "f3 0f b8 c1", 4, "POPCNT_GvEv", "popcnt eax,ecx" },
    { M64, "66 f3 0f 58 c1", 5, "ADDSS_VssWss", "addss  xmm0,xmm1" },
    { M64, "f3 66 0f 58 c1", 5, "ADDSS_VssWss", "addss  xmm0,xmm1" },
    { M64, "f2 f3 0f 10 c1", 5, "MOVSS_VssWss", "movss  xmm0,xmm1" },  /* last F2/F3 wins */
    { M64, "66 48 0f 7e c0", 5, "MOVD_EyVy", "movq   rax,xmm0" },
    { M64, "66 41 0f 6f 0c 24", 6, "MOVDQA_VxWx", "movdqa xmm1,XMMWORD PTR [r12]" },
    { M64, "0f 6f c1", 3, "MOVQ_PqQq", "movq   mm0,mm1" },
    { M64, "66 50", 2, "PUSH_Zv", "push   ax" },
    { M64, "41 50", 2, "PUSH_Zv", "push   r8" },
    { M64, "50", 1, "PUSH_Zv", "push   rax" },
    { M64, "48 63 c1", 3, "MOVSXD_GvEz", "movsxd rax,ecx" },
    { M64, "f3 90", 2, "PAUSE", "pause" },
    { M64, "41 90", 2, "XCHG_ZvrAX", "xchg   r8d,eax" },
    { M64, "0f 1f 44 00 00", 5, "NOP_Ev", "nop    DWORD PTR [rax+rax*1+0x0]" },
    { M64, "66 0f 1f 84 00 00 00 00 00", 9, "NOP_Ev", "nop    WORD PTR [rax+rax*1+0x0]" },
    { M64, "dd 04 24", 3, "FLD_m64fp", "fld    QWORD PTR [rsp]" },
    { M64, "d9 c9", 2, "FXCH_STi", "fxch   st(1)" },
    { M64, "dc e9", 2, "FSUB_STiST0", "fsub   st(1),st" },
    { M64, "d8 e9", 2, "FSUBR_ST0STi", "fsubr  st,st(1)" },
    { M64, "df e0", 2, "FNSTSW_AX", "fnstsw ax" },
    { M64, "db 2c 24", 3, "FLD_m80fp", "fld    TBYTE PTR [rsp]" },
    { M64, "0f c2 c1 02", 4, "CMPPS_VpsWpsIb", "cmpleps xmm0,xmm1" },
    { M64, "f2 0f c2 c1 09", 5, "CMPSD_VsdWsdIb", "cmpsd  xmm0,xmm1,0x9" },
    { M64, "48 0f c7 08", 4, "CMPXCHG16B_Mdq", NULL },
    { M64, "0f c7 08", 3, "CMPXCHG8B_Mq", "cmpxchg8b QWORD PTR [rax]" },
    { M64, "f3 0f 1e fa", 4, "ENDBR64", "endbr64" },
    { M64, "0f 05", 2, "SYSCALL", "syscall" },
    { M64, "cd 80", 2, "INT_Ib", "int    0x80" },
    { M64, "c8 10 00 01", 4, "ENTER_IwIb", "enter  0x10,0x1" },
    { M64, "ff 14 25 00 10 00 00", 7, "CALL_Ev", "call   QWORD PTR ds:0x1000" },
    { M64, "48 ff 2c 24", 4, "JMPF_Mp", NULL },
    { M64, "f3 48 a5", 3, "MOVS_YvXv", "rep movs QWORD PTR es:[rdi],QWORD PTR ds:[rsi]" },
    { M64, "f2 ae", 2, "SCAS_ALYb", "repnz scas al,BYTE PTR es:[rdi]" },
    { M64, "67 ac", 2, "LODS_ALXb", "lods   al,BYTE PTR ds:[esi]" },
    { M64, "d7", 1, "XLAT", "xlat   BYTE PTR ds:[rbx]" },
    { M64, "c1 e0 05", 3, "SHL_EvIb", "shl    eax,0x5" },
    { M64, "d1 e0", 2, "SHL_EvI1", "shl    eax,1" },
    { M64, "0f a5 c8", 3, "SHLD_EvGvCL", "shld   eax,ecx,cl" },
    { M64, "48 0f c8", 3, "BSWAP_Zy", "bswap  rax" },
    { M64, "0f 38 00 c1", 4, "PSHUFB_PqQq", "pshufb mm0,mm1" },
    { M64, "66 0f 3a 0f c1 08", 6, "PALIGNR_VxWxIb", "palignr xmm0,xmm1,0x8" },
    { M64, "0f 38 f0 00", 4, "MOVBE_GvMv", "movbe  eax,DWORD PTR [rax]" },
    { M64, "9e", 1, "SAHF64", "sahf" },
    { M64, "65 48 8b 04 25 28 00 00 00", 9, "MOV_GvEv", "mov    rax,QWORD PTR gs:0x28" },
    /* 32-bit protected mode */
    { M32, "8b 05 78 56 34 12", 6, "MOV_GvEv", "mov    eax,DWORD PTR ds:0x12345678" },
    { M32, "67 8b 46 fe", 4, "MOV_GvEv", "mov    eax,DWORD PTR [bp-0x2]" },
    { M32, "66 e9 00 00", 4, "JMP_Jz", "jmp    0x1004" },
    { M32, "ea 78 56 34 12 00 10", 7, "JMPF_Ap", "jmp    0x1000:0x12345678" },
    { M32, "c4 00", 2, "LES_GzMp", "les    eax,FWORD PTR [eax]" },
    { M32, "62 00", 2, "BOUND_GvMa", "bound  eax,QWORD PTR [eax]" },
    { M32, "63 c8", 2, "ARPL_EwGw", "arpl   ax,cx" },
    { M32, "40", 1, "INC_Zv", "inc    eax" },
    { M32, "4f", 1, "DEC_Zv", "dec    edi" },
    { M32, "60", 1, "PUSHA", "pushad" },
    { M32, "82 c0 01", 3, "ADD_EbIb82", "add    al,0x1" },
    { M32, "d6", 1, "SALC", "salc" },
    { M32, "f1", 1, "INT1", "int1" },
    { M32, "0f 00 c0", 3, "SLDT_RvMw", "sldt   eax" },
    { M32, "0f 22 d8", 3, "MOV_CdRy", "mov    cr3,eax" },
    { M32, "8e d8", 2, "MOV_SwEw", "mov    ds,ax" },
    { M32, "8c c8", 2, "MOV_RvMwSw", "mov    eax,cs" },
    { M32, "0f 01 10", 3, "LGDT_Ms", "lgdt   [eax]" },
    { M32, "0f 34", 2, "SYSENTER", "sysenter" },
    { M32, "26 2e 8b 00", 4, "MOV_GvEv", "mov    eax,DWORD PTR cs:[eax]" },
    { M32, "6a ff", 2, "PUSH_Ibs", "push   0xffffffff" },
    { M32, "69 c0 78 56 34 12", 6, "IMUL_GvEvIz", "imul   eax,eax,0x12345678" },
    /* 16-bit protected mode */
    { M16, "8b 46 fe", 3, "MOV_GvEv", "mov    ax,WORD PTR [bp-0x2]" },
    { M16, "8b 00", 2, "MOV_GvEv", "mov    ax,WORD PTR [bx+si]" },
    { M16, "8b 06 34 12", 4, "MOV_GvEv", "mov    ax,WORD PTR ds:0x1234" },
    { M16, "67 8b 04 24", 4, "MOV_GvEv", "mov    ax,WORD PTR [esp]" },
    { M16, "66 b8 78 56 34 12", 6, "MOV_ZvIv", "mov    eax,0x12345678" },
    { M16, "e8 fd ff", 3, "CALL_Jz", "call   0x1000" },
    { M16, "9a 34 12 00 10", 5, "CALLF_Ap", "call   0x1000:0x1234" },
    { M16, "e3 fe", 2, "JCXZ_Jb", "jcxz   0x1000" },
    { M16, "67 e3 fd", 3, "JCXZ_Jb", "jecxz  0x1000" },
    { M16, "ff 1e 34 12", 4, "CALLF_Mp", "call   DWORD PTR ds:0x1234" },
    { M16, "0f b2 00", 3, "LSS_GvMp", "lss    ax,DWORD PTR [bx+si]" },
    { M16, "c5 00", 2, "LDS_GzMp", "lds    ax,DWORD PTR [bx+si]" },
    { M16, "cf", 1, "IRET", "iret" },
    { M16, "66 cf", 2, "IRET", "iretd" },
    { M16, "f3 a4", 2, "MOVS_YbXb", "rep movs BYTE PTR es:[di],BYTE PTR ds:[si]" },
    { M16, "c7 06 34 12 78 56", 6, "MOV_EvIz", "mov    WORD PTR ds:0x1234,0x5678" },
    /* real mode */
    { MREAL, "c4 00", 2, "LES_GzMp", "les    ax,DWORD PTR [bx+si]" },
    { MREAL, "0f 01 e0", 3, "SMSW_RvMw", "smsw   ax" },
};

static void test_tricky(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(tricky); i++) {
        const Tricky *t = &tricky[i];
        DecodedInsn d;
        char text[160], msg[400];
        int st = dec(&d, t->m, t->hex);

        x86_disas_format(&d, text, sizeof(text));
        if (st != X86_DEC_OK || d.len != t->len || strcmp(row_name(&d), t->row) ||
            (t->text && strcmp(text, t->text))) {
            snprintf(msg, sizeof(msg), "%s [%s]: status %d (%s) len %d row %s text '%s'",
                     mode_names[t->m], t->hex, st, x86_ud_reason_str(d.ud_reason), d.len,
                     row_name(&d), text);
            test_fail_at(__FILE__, __LINE__, msg);
        }
    }
    printf("  %zu hand-picked encodings\n", ARRAY_SIZE(tricky));
}

/* The `-d in_asm` listing */
static void test_disas_block(void)
{
    static const uint8_t code[] = { 0x55, 0x48, 0x89, 0xe5, 0x0f, 0x0b, 0x06, 0xc3 };
    X86DecodeCtx ctx = { .fast = code, .fast_len = sizeof(code), .mode = X86_MODE_LONG64,
                         .features = X86_FEATURES_ALL };
    char *text = NULL, buf[64];
    size_t size = 0, n;
    FILE *f = open_memstream(&text, &size);

    n = x86_disas_block(f, &ctx, 0, sizeof(code));
    fclose(f);
    CHECK_EQ(n, sizeof(code));
    CHECK(text && !strcmp(text,
        "0x00000000:  55                       push   rbp\n"
        "0x00000001:  48 89 e5                 mov    rbp,rsp\n"
        "0x00000004:  0f 0b                    ud2\n"
        "0x00000006:  06                       (bad)\n"
        "0x00000007:  c3                       ret\n"));
    free(text);
    CHECK_EQ(x86_disas_one(&ctx, 1, buf, sizeof(buf)), 3);
    CHECK(!strcmp(buf, "mov    rbp,rsp"));
    /* a fetch fault past the buffer: nothing decoded */
    ctx.fast_len = 2;
    CHECK_EQ(x86_disas_one(&ctx, 1, buf, sizeof(buf)), 0);
}

/* ---- (a) decoded fields ---- */

static void test_fields(void)
{
    DecodedInsn d;

    /* REX counts only immediately before the opcode */
    CHECK_EQ(dec(&d, M64, "48 66 01 c0"), X86_DEC_OK);
    CHECK_EQ(d.rex, 0);
    CHECK_EQ(d.opsize, 2);
    CHECK_EQ(dec(&d, M64, "66 48 01 c0"), X86_DEC_OK);
    CHECK_EQ(d.rex, 0x48);
    CHECK_EQ(d.opsize, 8);
    CHECK(d.prefixes & X86_PFX_REX);
    CHECK_EQ(d.opc_off, 2);

    /* Default segments: rSP/rBP bases use SS, r12/r13 do not */
    CHECK_EQ(dec(&d, M64, "8b 04 24"), X86_DEC_OK);
    CHECK_EQ(d.mem.base, 4);
    CHECK_EQ(d.mem.index, X86_REG_NONE);
    CHECK_EQ(d.mem.seg, X86_SEG_SS);
    CHECK_EQ(dec(&d, M64, "41 8b 04 24"), X86_DEC_OK);
    CHECK_EQ(d.mem.base, 12);
    CHECK_EQ(d.mem.seg, X86_SEG_DS);
    CHECK_EQ(dec(&d, M64, "41 8b 45 08"), X86_DEC_OK);
    CHECK_EQ(d.mem.base, 13);
    CHECK_EQ(d.mem.disp, 8);
    CHECK_EQ(d.mem.seg, X86_SEG_DS);
    CHECK_EQ(dec(&d, M16, "8b 46 fe"), X86_DEC_OK);
    CHECK_EQ(d.mem.base, 5);
    CHECK_EQ(d.mem.disp, -2);
    CHECK_EQ(d.mem.seg, X86_SEG_SS);
    CHECK_EQ(dec(&d, M16, "8b 42 10"), X86_DEC_OK);     /* [bp+si+0x10] */
    CHECK_EQ(d.mem.base, 5);
    CHECK_EQ(d.mem.index, 6);
    CHECK_EQ(d.mem.seg, X86_SEG_SS);

    /* RIP-relative: REX.B does not change rm=5/mod=0; 67 makes it EIP-relative */
    CHECK_EQ(dec(&d, M64, "41 8b 05 78 56 34 12"), X86_DEC_OK);
    CHECK_EQ(d.mem.base, X86_REG_RIP);
    CHECK_EQ(x86_rip_relative(&d), 0x1234667f);
    CHECK_EQ(dec_ip_feat(&d, M64, 0xfffffff0, X86_FEATURES_ALL, "67 8b 05 00 01 00 00"),
             X86_DEC_OK);
    CHECK_EQ(d.addrsize, 4);
    CHECK_EQ(x86_rip_relative(&d), (0xfffffff0ull + 7 + 0x100) & 0xffffffff);
    /* SIB: no base with mod=0 even with REX.B; index 4 is "none" only without REX.X */
    CHECK_EQ(dec(&d, M64, "43 8b 04 25 10 00 00 00"), X86_DEC_OK);
    CHECK_EQ(d.mem.base, X86_REG_NONE);
    CHECK_EQ(d.mem.index, 12);
    CHECK_EQ(d.mem.disp, 0x10);
    CHECK_EQ(dec(&d, M64, "8b 04 e0"), X86_DEC_OK);
    CHECK_EQ(d.mem.index, X86_REG_NONE);
    CHECK_EQ(d.mem.scale, 8);
    CHECK_EQ(dec(&d, M64, "8b 84 88 00 00 00 80"), X86_DEC_OK);
    CHECK_EQ(d.mem.index, 1);
    CHECK_EQ(d.mem.scale, 4);
    CHECK_EQ(d.mem.disp, -0x80000000ll);

    /* Segment overrides: last wins; in 64-bit mode only FS/GS apply */
    CHECK_EQ(dec(&d, M32, "26 2e 8b 00"), X86_DEC_OK);
    CHECK_EQ(d.mem.seg, X86_SEG_CS);
    CHECK_EQ(dec(&d, M32, "64 3e 8b 00"), X86_DEC_OK);
    CHECK_EQ(d.mem.seg, X86_SEG_DS);
    CHECK_EQ(dec(&d, M64, "64 3e 8b 00"), X86_DEC_OK);
    CHECK_EQ(d.mem.seg, X86_SEG_FS);
    CHECK_EQ(d.seg_override, X86_SEG_DS);
    CHECK_EQ(dec(&d, M64, "2e 8b 04 24"), X86_DEC_OK);
    CHECK_EQ(d.mem.seg, X86_SEG_SS);
    CHECK_EQ(dec(&d, M32, "26 a4"), X86_DEC_OK);       /* movs: ES override hits the source */
    CHECK_EQ(d.op[0].seg, X86_SEG_ES);
    CHECK_EQ(d.op[0].reg, 7);
    CHECK_EQ(d.op[1].seg, X86_SEG_ES);
    CHECK_EQ(d.op[1].reg, 6);

    /* Immediates: sign-extended (IS forms) or not */
    CHECK_EQ(dec(&d, M64, "48 83 c0 ff"), X86_DEC_OK);
    CHECK_EQ(d.op[1].imm, ~0ull);
    CHECK_EQ(dec(&d, M64, "b8 ff ff ff ff"), X86_DEC_OK);
    CHECK_EQ(d.op[1].imm, 0xffffffffu);
    CHECK_EQ(dec(&d, M64, "48 05 00 00 00 80"), X86_DEC_OK);
    CHECK_EQ(d.op[1].imm, 0xffffffff80000000ull);
    CHECK_EQ(dec(&d, M32, "66 6a 80"), X86_DEC_OK);
    CHECK_EQ(d.opsize, 2);
    CHECK_EQ(d.op[0].imm, (uint64_t)-128);
    CHECK_EQ(dec(&d, M64, "c8 10 00 01"), X86_DEC_OK);
    CHECK_EQ(d.op[0].imm, 0x10);
    CHECK_EQ(d.op[1].imm, 1);

    /* Branch targets wrap to the operand size; next IP wraps to the code size */
    CHECK_EQ(dec_ip_feat(&d, M32, 0x12345, X86_FEATURES_ALL, "66 e9 00 00"), X86_DEC_OK);
    CHECK_EQ(d.len, 4);
    CHECK_EQ(d.op[0].kind, X86_OPK_REL);
    CHECK_EQ(d.op[0].imm, 0x2349);
    CHECK_EQ(dec_ip_feat(&d, M16, 0xfffe, X86_FEATURES_ALL, "e8 00 00"), X86_DEC_OK);
    CHECK_EQ(d.op[0].imm, 0x0001);
    CHECK_EQ(x86_next_ip(&d), 0x0001);
    CHECK_EQ(dec_ip_feat(&d, M64, 0x7ffffffffff0ull, X86_FEATURES_ALL, "eb 80"), X86_DEC_OK);
    CHECK_EQ(d.op[0].imm, 0x7ffffffffff2ull - 0x80);
    CHECK_EQ(dec(&d, M32, "ea 78 56 34 12 00 10"), X86_DEC_OK);
    CHECK_EQ(d.op[0].kind, X86_OPK_FAR);
    CHECK_EQ(d.op[0].sel, 0x1000);
    CHECK_EQ(d.op[0].imm, 0x12345678);

    /* MOV CR ignores mod: register operands, no displacement */
    CHECK_EQ(dec(&d, M64, "0f 20 40"), X86_DEC_OK);
    CHECK_EQ(d.len, 3);
    CHECK(!d.has_mem);
    CHECK_EQ(d.op[0].kind, X86_OPK_GPR);
    CHECK_EQ(d.op[0].size, 8);
    CHECK_EQ(d.op[1].kind, X86_OPK_CR);
    CHECK_EQ(d.op[1].reg, 0);
    CHECK_EQ(dec(&d, M32, "66 0f 20 e0"), X86_DEC_OK);  /* 66 ignored: always 32 bits */
    CHECK_EQ(d.opsize, 4);
    CHECK_EQ(d.op[1].reg, 4);

    /* Byte registers: AH..BH without REX, SPL..DIL with any REX */
    CHECK_EQ(dec(&d, M64, "88 e0"), X86_DEC_OK);
    CHECK(d.op[1].high8);
    CHECK_EQ(d.op[1].reg, 4);
    CHECK_EQ(dec(&d, M64, "40 88 e0"), X86_DEC_OK);
    CHECK(!d.op[1].high8);

    /* Operand size: d64, f64, MOVSXD, mandatory 66 not an operand-size prefix */
    CHECK_EQ(dec(&d, M64, "50"), X86_DEC_OK);
    CHECK_EQ(d.opsize, 8);
    CHECK_EQ(dec(&d, M64, "66 50"), X86_DEC_OK);
    CHECK_EQ(d.opsize, 2);
    CHECK_EQ(dec(&d, M64, "66 ff e0"), X86_DEC_OK);     /* jmp rax: f64 */
    CHECK_EQ(d.opsize, 8);
    CHECK_EQ(dec(&d, M64, "48 63 c1"), X86_DEC_OK);
    CHECK_EQ(d.op[0].size, 8);
    CHECK_EQ(d.op[1].size, 4);
    CHECK_EQ(dec(&d, M64, "66 0f 58 c1"), X86_DEC_OK);
    CHECK_EQ(d.mp, X86_MP_66);
    CHECK(d.prefixes & X86_PFX_MP66);
    CHECK_EQ(d.opsize, 4);
    CHECK_EQ(dec(&d, M64, "66 f3 0f b8 c1"), X86_DEC_OK);
    CHECK_EQ(d.id, XI_POPCNT_GvEv);
    CHECK_EQ(d.mp, X86_MP_F3);
    CHECK_EQ(d.opsize, 2);
    CHECK_EQ(dec(&d, M64, "66 48 0f 6e c0"), X86_DEC_OK);
    CHECK_EQ(d.opsize, 8);
    CHECK_EQ(d.op[1].size, 8);

    /* REP behaviour */
    CHECK_EQ(dec(&d, M32, "f3 a4"), X86_DEC_OK);
    CHECK_EQ(d.rep, X86_REP_REPE);
    CHECK_EQ(dec(&d, M32, "f2 a6"), X86_DEC_OK);
    CHECK_EQ(d.rep, X86_REP_REPNE);
    CHECK_EQ(dec(&d, M32, "f3 c3"), X86_DEC_OK);       /* "rep ret": prefix ignored */
    CHECK_EQ(d.id, XI_RET);
    CHECK_EQ(d.rep, X86_REP_NONE);

    /* Implicit memory operands */
    CHECK_EQ(dec(&d, M64, "64 d7"), X86_DEC_OK);
    CHECK(d.has_mem);
    CHECK_EQ(d.mem.base, 3);
    CHECK_EQ(d.mem.seg, X86_SEG_FS);
    CHECK_EQ(dec(&d, M32, "0f f7 c1"), X86_DEC_OK);
    CHECK_EQ(d.mem.base, 7);
    CHECK_EQ(d.mem.seg, X86_SEG_DS);

    /* Sizes that depend on the mode or operand size */
    CHECK_EQ(dec(&d, M64, "0f 01 10"), X86_DEC_OK);
    CHECK_EQ(d.op[0].size, 10);
    CHECK_EQ(dec(&d, M32, "0f 01 10"), X86_DEC_OK);
    CHECK_EQ(d.op[0].size, 6);
    CHECK_EQ(dec(&d, M16, "d9 30"), X86_DEC_OK);
    CHECK_EQ(d.op[0].size, 14);
    CHECK_EQ(dec(&d, M32, "dd 30"), X86_DEC_OK);
    CHECK_EQ(d.op[0].size, 108);
    CHECK_EQ(dec(&d, M64, "48 ff 2c 24"), X86_DEC_OK);
    CHECK_EQ(d.op[0].size, 10);
    CHECK_EQ(dec(&d, M16, "0f 00 c0"), X86_DEC_OK);     /* sldt ax: register form */
    CHECK_EQ(d.op[0].size, 2);
    CHECK_EQ(dec(&d, M32, "0f 00 00"), X86_DEC_OK);     /* sldt [eax]: always a word */
    CHECK_EQ(d.op[0].size, 2);

    /* 15 bytes is the limit */
    CHECK_EQ(dec(&d, M32, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"), X86_DEC_OK);
    CHECK_EQ(d.len, 15);
    CHECK_EQ(dec(&d, M32, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"), X86_DEC_GP);
    CHECK_EQ(dec(&d, M32, "66 66 66 66 66 66 66 66 66 66 66 66 66 b8 00 00"), X86_DEC_GP);
}

/* ---- fetch callback: faults, longjmp, the fast buffer ---- */

typedef struct FetchProbe {
    const uint8_t *bytes;
    uint64_t base;
    uint64_t fault_at;      /* first address that faults */
    int fault_code;
    jmp_buf *jb;            /* longjmp instead of returning an error */
    unsigned calls;
} FetchProbe;

static int probe_fetch(void *opaque, uint64_t addr, uint8_t *byte)
{
    FetchProbe *p = opaque;
    p->calls++;
    if (addr >= p->fault_at) {
        if (p->jb) {
            longjmp(*p->jb, 1);
        }
        return p->fault_code;
    }
    *byte = p->bytes[addr - p->base];
    return 0;
}

static void test_fetch(void)
{
    static const uint8_t code[] = { 0x48, 0x8b, 0x84, 0x24, 0x10, 0x00, 0x00, 0x00 };
    FetchProbe p = { .bytes = code, .base = 0x2000, .fault_at = 0x2003, .fault_code = 14 };
    X86DecodeCtx ctx = { .fetch = probe_fetch, .opaque = &p, .mode = X86_MODE_LONG64,
                         .features = X86_FEATURES_ALL };
    DecodedInsn d;
    jmp_buf jb;
    volatile int jumped = 0;

    CHECK_EQ(x86_decode(&d, &ctx, 0x2000), X86_DEC_FETCH);
    CHECK_EQ(d.fetch_error, 14);
    CHECK_EQ(d.len, 3);

    p.fault_at = ~0ull;
    CHECK_EQ(x86_decode(&d, &ctx, 0x2000), X86_DEC_OK);
    CHECK_EQ(d.len, 8);
    CHECK_EQ(d.mem.disp, 0x10);

    /* The fast buffer serves the first bytes; the callback only the rest */
    p.calls = 0;
    ctx.fast = code;
    ctx.fast_base = 0x2000;
    ctx.fast_len = 4;
    CHECK_EQ(x86_decode(&d, &ctx, 0x2000), X86_DEC_OK);
    CHECK_EQ(d.len, 8);
    CHECK_EQ(p.calls, 4);
    static const uint8_t window[4] = { 0xcc, 0xcc, 0x48, 0x8b };
    ctx.fast = window;
    ctx.fast_base = 0x1ffe;                 /* the window ends 2 bytes into the insn */
    p.calls = 0;
    CHECK_EQ(x86_decode(&d, &ctx, 0x2000), X86_DEC_OK);
    CHECK_EQ(p.calls, 6);
    CHECK_EQ(d.len, 8);
    ctx.fast_base = 0x2001;                 /* the window starts after ip */
    p.calls = 0;
    CHECK_EQ(x86_decode(&d, &ctx, 0x2000), X86_DEC_OK);
    CHECK_EQ(p.calls, 8);
    ctx.fast = NULL;
    ctx.fast_len = 0;

    /* A guest page fault may longjmp out of the callback */
    p.fault_at = 0x2005;
    p.jb = &jb;
    if (setjmp(jb) == 0) {
        x86_decode(&d, &ctx, 0x2000);
    } else {
        jumped = 1;
    }
    CHECK(jumped);
}

/* ---- (c) invalid encodings ---- */

#define NO(f) (X86_FEATURES_ALL & ~X86_FEATBIT(X86_FEAT_##f))

typedef struct Invalid {
    int m;
    const char *hex;
    unsigned reason;
    uint64_t features;      /* 0: all */
} Invalid;

static const Invalid invalid[] = {
    /* LOCK on a register destination, on a non-lockable instruction, on CMP */
    { M64, "f0 01 c0", X86_UD_LOCK },
    { M64, "f0 89 00", X86_UD_LOCK },
    { M64, "f0 39 00", X86_UD_LOCK },
    { M32, "f0 0f 20 c0", X86_UD_LOCK },
    { M32, "f0 90", X86_UD_LOCK },
    { M32, "f0 0f c7 c8", X86_UD_NEED_MEM },
    /* invalid in 64-bit mode (i64) */
    { M64, "06", X86_UD_MODE64 },
    { M64, "1f", X86_UD_MODE64 },
    { M64, "27", X86_UD_MODE64 },
    { M64, "37", X86_UD_MODE64 },
    { M64, "60", X86_UD_MODE64 },
    { M64, "9a 00 00 00 00 00 00", X86_UD_MODE64 },
    { M64, "ce", X86_UD_MODE64 },
    { M64, "d4 0a", X86_UD_MODE64 },
    { M64, "d6", X86_UD_MODE64 },
    { M64, "82 c0 01", X86_UD_MODE64 },
    { M64, "ea 00 00 00 00 00 00", X86_UD_MODE64 },
    /* VEX/EVEX space */
    { M64, "c4 e2 7d 18 00", X86_UD_VEX },
    { M64, "c5 f8 77", X86_UD_VEX },
    { M64, "c5 00", X86_UD_VEX },
    { M32, "c5 f8 77", X86_UD_VEX },
    { M32, "62 f1 7c 48 58 c1", X86_UD_VEX },
    { M64, "62 00", X86_UD_VEX },
    { MREAL, "c4 c0", X86_UD_NEED_MEM },
    /* valid only in 64-bit mode (o64) */
    { M32, "0f 05", X86_UD_ONLY64 },
    { M32, "0f 07", X86_UD_ONLY64 },
    { M32, "0f 01 f8", X86_UD_ONLY64 },
    { M32, "f3 0f ae c0", X86_UD_ONLY64 },
    /* not recognized in real-address mode */
    { MREAL, "0f 00 c0", X86_UD_REALV86 },
    { MREAL, "0f 02 c1", X86_UD_REALV86 },
    { MREAL, "63 c8", X86_UD_REALV86 },
    /* mod == 3 where memory is required, and the reverse */
    { M64, "8d c0", X86_UD_NEED_MEM },
    { M32, "c4 00", X86_UD_NONE },          /* placeholder: LES with memory is fine */
    { M64, "0f 01 c0", X86_UD_NEED_MEM },   /* VMX not implemented: SGDT needs memory */
    { M64, "ff d8", X86_UD_NEED_MEM },      /* far call through a register */
    { M64, "0f c3 c0", X86_UD_NEED_MEM },
    { M64, "0f ae 60 00", X86_UD_REG },     /* XSAVE not implemented */
    { M64, "0f ae c8", X86_UD_NEED_MEM },
    { M64, "0f c7 c8", X86_UD_NEED_MEM },
    { M64, "66 0f 71 10 01", X86_UD_NEED_REG },
    { M64, "0f 12 c1", X86_UD_NONE },       /* MOVHLPS */
    { M64, "66 0f 12 c1", X86_UD_PREFIX },      /* MOVLPD needs memory; MOVHLPS is NP */
    /* ModRM.reg / rm selecting nothing */
    { M64, "8f c8", X86_UD_REG },
    { M64, "fe d0", X86_UD_REG },
    { M64, "ff f8", X86_UD_REG },
    { M64, "c6 c8 00", X86_UD_REG },
    { M64, "0f 00 f0", X86_UD_REG },
    { M64, "0f ba e0 01", X86_UD_NONE },
    { M64, "0f ba d0 01", X86_UD_REG },
    { M64, "d9 d1", X86_UD_REG },
    { M64, "d9 e2", X86_UD_REG },
    { M64, "da e8", X86_UD_REG },
    { M64, "db e5", X86_UD_REG },
    /* undefined opcodes and prefixes */
    { M64, "0f 0f c1 b4", X86_UD_UNDEFINED },   /* 3DNow! */
    { M64, "0f 04", X86_UD_UNDEFINED },
    { M64, "0f 24 c0", X86_UD_UNDEFINED },
    { M64, "0f 38 c8 c1", X86_UD_UNDEFINED },   /* SHA */
    { M64, "66 0f 38 17 c1", X86_UD_UNDEFINED },/* SSE4.1 */
    { M64, "f2 0f 38 f0 00", X86_UD_PREFIX },   /* CRC32 (SSE4.2) */
    { M64, "66 0f 77", X86_UD_PREFIX },
    { M64, "f3 0f 6e c0", X86_UD_PREFIX },
    { M64, "f3 0f ae 00", X86_UD_PREFIX },      /* FXSAVE is NP; F3 /0 is RDFSBASE (reg) */
    { M64, "f3 0f c7 f8", X86_UD_PREFIX },      /* RDPID not implemented; RDSEED is NFx */
    /* nonexistent registers */
    { M32, "8e c8", X86_UD_BADREG },
    { M32, "8e f0", X86_UD_BADREG },
    { M32, "8c f8", X86_UD_BADREG },
    { M32, "0f 22 c8", X86_UD_BADREG },
    { M32, "0f 20 e8", X86_UD_BADREG },
    { M64, "44 0f 20 c8", X86_UD_BADREG },
    { M64, "44 0f 21 c0", X86_UD_BADREG },
    { M32, "f0 0f 22 c0", X86_UD_LOCK },
    /* REX.W selecting an unimplemented or feature-less form */
    { M64, "48 0f c7 08", X86_UD_FEATURE, NO(CX16) },
    /* CPUID features */
    { M64, "0f 58 c1", X86_UD_FEATURE, NO(SSE) },
    { M64, "66 0f 58 c1", X86_UD_FEATURE, NO(SSE2) },
    { M64, "0f 6f c1", X86_UD_FEATURE, NO(MMX) },
    { M64, "d9 e8", X86_UD_FEATURE, NO(FPU) },
    { M64, "0f 44 c1", X86_UD_FEATURE, NO(CMOV) },
    { M64, "f3 0f b8 c1", X86_UD_FEATURE, NO(POPCNT) },
    { M64, "0f 38 00 c1", X86_UD_FEATURE, NO(SSSE3) },
    { M64, "9f", X86_UD_FEATURE, NO(LAHF64) },
    { M32, "9f", X86_UD_NONE, NO(LAHF64) },
    { M64, "0f 05", X86_UD_FEATURE, NO(SYSCALL) },
    { M64, "0f 01 f9", X86_UD_FEATURE, NO(RDTSCP) },
    { M64, "0f ae 38", X86_UD_FEATURE, NO(CLFSH) },
    { M64, "0f ae e8", X86_UD_FEATURE, NO(SSE2) },
    { M64, "db 08", X86_UD_FEATURE, NO(SSE3) },
    { M64, "0f c7 f0", X86_UD_FEATURE, NO(RDRAND) },
};

static void test_invalid(void)
{
    unsigned n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
        const Invalid *t = &invalid[i];
        DecodedInsn d;
        char msg[300];
        int want = t->reason == X86_UD_NONE ? X86_DEC_OK : X86_DEC_UD;
        int st = dec_ip_feat(&d, t->m, 0x1000, t->features ? t->features : X86_FEATURES_ALL,
                             t->hex);

        if (st != want || (want == X86_DEC_UD && d.ud_reason != t->reason)) {
            snprintf(msg, sizeof(msg), "%s [%s]: status %d reason '%s', want '%s' (row %s)",
                     mode_names[t->m], t->hex, st, x86_ud_reason_str(d.ud_reason),
                     x86_ud_reason_str(t->reason), row_name(&d));
            test_fail_at(__FILE__, __LINE__, msg);
        }
        n += want == X86_DEC_UD;
    }

    /* Without BMI1/LZCNT the F3 forms fall back to BSF/BSR, as on older CPUs */
    DecodedInsn d;
    CHECK_EQ(dec_ip_feat(&d, M64, 0, NO(BMI1), "f3 0f bc c1"), X86_DEC_OK);
    CHECK_EQ(d.id, XI_BSF_GvEv);
    CHECK_EQ(dec_ip_feat(&d, M64, 0, X86_FEATURES_ALL, "f3 0f bc c1"), X86_DEC_OK);
    CHECK_EQ(d.id, XI_TZCNT_GvEv);
    CHECK_EQ(dec_ip_feat(&d, M64, 0, NO(LZCNT), "f3 0f bd c1"), X86_DEC_OK);
    CHECK_EQ(d.id, XI_BSR_GvEv);
    /* A feature #UD names the feature and still knows the length */
    CHECK_EQ(dec_ip_feat(&d, M64, 0, NO(SSE2), "66 0f 58 84 24 00 01 00 00"), X86_DEC_UD);
    CHECK_EQ(d.ud_feature, X86_FEAT_SSE2);
    CHECK_EQ(d.len, 9);
    CHECK_EQ(d.id, XI_ADDPD_VpdWpd);
    /* UD2, UD1 and UD0 decode (the translator raises #UD) */
    CHECK_EQ(dec(&d, M64, "0f b9 44 24 08"), X86_DEC_OK);
    CHECK_EQ(d.len, 5);
    CHECK_EQ(dec(&d, M64, "0f ff c0"), X86_DEC_OK);
    CHECK_EQ(d.id, XI_UD0_GdEd);
    printf("  %u invalid encodings give #UD with the expected reason\n", n);
}

/* ---- table consistency and row round trips ---- */

static void test_table(void)
{
    char msg[300];

    CHECK_EQ(x86_decode_index_check(), 0);
    for (unsigned id = 1; id < XI_COUNT; id++) {
        const X86InsnInfo *info = x86_insn_info(id);
        bool mem_op = false, reg_op = false, e_op = false;
        for (unsigned i = 0; i < info->nops; i++) {
            unsigned cls = x86_opform_class(info->ops[i]);
            mem_op |= cls == X86_OPC_M;
            reg_op |= cls == X86_OPC_R || cls == X86_OPC_N || cls == X86_OPC_U;
            e_op |= cls == X86_OPC_E || cls == X86_OPC_M;
        }
        const char *why = NULL;
        if (mem_op && !(info->modrm & X86_MRC_MODMEM)) {
            why = "memory-only operand without a mod != 3 constraint";
        } else if (reg_op && !(info->modrm & X86_MRC_MODREG) && !(info->attrs & X86_A_MODIGN)) {
            why = "register-only operand without a mod == 3 constraint";
        } else if ((info->attrs & X86_A_LOCK) &&
                   !(x86_opform_class(info->ops[0]) == X86_OPC_E ||
                     x86_opform_class(info->ops[0]) == X86_OPC_M)) {
            why = "LOCK on a row whose destination cannot be memory";
        } else if ((info->attrs & X86_A_W0) && (info->attrs & X86_A_W1)) {
            why = "both W0 and W1";
        } else if (info->modes == 0) {
            why = "valid in no mode";
        } else if (!e_op && (info->modrm & X86_MRC_HAS) && info->nops &&
                   !(info->modrm & X86_MRC_MODREG) && !(info->attrs & X86_A_MODIGN) &&
                   x86_opform_class(info->ops[0]) != X86_OPC_Q &&
                   x86_opform_class(info->ops[0]) != X86_OPC_W &&
                   x86_opform_class(info->ops[1]) != X86_OPC_Q &&
                   x86_opform_class(info->ops[1]) != X86_OPC_W &&
                   x86_opform_class(info->ops[1]) != X86_OPC_E &&
                   x86_opform_class(info->ops[1]) != X86_OPC_M) {
            why = "ModRM row accepting memory but with no memory operand";
        }
        if (why) {
            snprintf(msg, sizeof(msg), "row %s: %s", info->name, why);
            test_fail_at(__FILE__, __LINE__, msg);
        }
    }
}

/* Every row, in every mode it is valid in, encodes and decodes back to itself:
 * this also proves that no row is shadowed by an earlier one. */
static void test_roundtrip(void)
{
    static const int modes[] = { M16, M32, M64, MREAL };
    uint64_t rng = 0x1234567;
    unsigned encoded = 0, checked = 0;
    char msg[300];

    for (unsigned id = 1; id < XI_COUNT; id++) {
        bool any = false;
        for (size_t k = 0; k < ARRAY_SIZE(modes); k++) {
            X86EncodeOpts o = { .features = X86_FEATURES_ALL };
            bool c32;
            mode_of(modes[k], &o.mode, &c32);
            o.code32 = c32;
            if (!x86_insn_valid_in_mode(id, o.mode) ||
                ((x86_insn_info(id)->attrs & X86_A_W1) && o.mode != X86_MODE_LONG64)) {
                continue;
            }
            for (int rep = 0; rep < 4; rep++) {
                uint8_t buf[15];
                DecodedInsn d;
                o.flags = rep == 0 ? X86_ENC_NO_PREFIXES : 0;
                int len = x86_insn_encode(id, &o, &rng, buf);
                checked++;
                if (len <= 0) {
                    snprintf(msg, sizeof(msg), "row %s cannot be encoded in %s mode",
                             x86_insn_info(id)->name, mode_names[modes[k]]);
                    test_fail_at(__FILE__, __LINE__, msg);
                    break;
                }
                x86_decode_buf(&d, o.mode, o.code32, X86_FEATURES_ALL, 0, buf, len);
                if (d.status != X86_DEC_OK || d.id != id || d.len != len) {
                    test_fail_at(__FILE__, __LINE__, "encoding does not decode back");
                }
                encoded++;
                any = true;
            }
        }
        if (!any) {
            snprintf(msg, sizeof(msg), "row %s is valid in no mode", x86_insn_info(id)->name);
            test_fail_at(__FILE__, __LINE__, msg);
        }
    }

    /* The differential tester's options: fixed memory base, registers to avoid */
    X86EncodeOpts o = { .mode = X86_MODE_LONG64, .features = X86_FEATURES_ALL,
                        .flags = X86_ENC_SIMPLE_MEM | X86_ENC_NO_REG, .mem_base = 13,
                        .avoid_gprs = (1u << 4) | (1u << 13) };
    for (int i = 0; i < 200; i++) {
        uint8_t buf[15];
        DecodedInsn d;
        int len = x86_insn_encode(XI_ADD_EvGv, &o, &rng, buf);
        CHECK(len > 0);
        x86_decode_buf(&d, o.mode, false, X86_FEATURES_ALL, 0, buf, len);
        CHECK_EQ(d.mem.base, 13);
        CHECK(d.mem.disp >= 0 && d.mem.disp < 128);
        CHECK(d.op[1].reg != 4 && d.op[1].reg != 13);
    }
    printf("  %u rows, %u encodings decoded back to their row\n", XI_COUNT - 1, encoded);
}

/* The per-opcode test-list API */
static void test_lists(void)
{
    static uint16_t ids[XI_COUNT];
    X86InsnFilter f = { .mode = X86_MODE_LONG64, .features = X86_FEATURES_ALL,
                        .user_only = true };
    size_t n = x86_insn_list(&f, ids, ARRAY_SIZE(ids)), n_all, n32;
    char line[256];
    bool saw_mul = false;

    CHECK(n > 500);
    for (size_t i = 0; i < n && i < ARRAY_SIZE(ids); i++) {
        const X86InsnInfo *info = x86_insn_info(ids[i]);
        CHECK(x86_insn_is_user(ids[i]));
        CHECK(info->modes & X86_MB_LONG64);
        if (ids[i] == XI_MUL_Ev) {
            saw_mul = true;
            CHECK_EQ(info->flags_undef, X86_EFL_SF | X86_EFL_ZF | X86_EFL_AF | X86_EFL_PF);
            CHECK_EQ(info->flags_written, X86_EFL_OF | X86_EFL_CF);
        }
        CHECK(ids[i] != XI_PUSHA && ids[i] != XI_HLT && ids[i] != XI_LGDT_Ms);
    }
    CHECK(saw_mul);
    f.user_only = false;
    n_all = x86_insn_list(&f, NULL, 0);
    CHECK(n_all > n);
    f.mode = X86_MODE_PROT;
    f.features = X86_FEATBIT(X86_FEAT_FPU);
    f.attrs_exclude = X86_A_BR;
    n32 = x86_insn_list(&f, ids, ARRAY_SIZE(ids));
    for (size_t i = 0; i < n32; i++) {
        unsigned feat = x86_insn_info(ids[i])->feature;
        CHECK(feat == X86_FEAT_BASE || feat == X86_FEAT_FPU);
        CHECK(!(x86_insn_info(ids[i])->attrs & X86_A_BR));
    }
    x86_insn_describe(XI_ADD_EbGb, line, sizeof(line));
    CHECK(!strcmp(line, "ADD_EbGb 00 /r add Eb,Gb modes=ALL feat=BASE r= w=OSZAPC u= "
                        "attrs=LOCK xlat=add"));
    x86_insn_describe(XI_CMPXCHG16B_Mdq, line, sizeof(line));
    CHECK(!strcmp(line, "CMPXCHG16B_Mdq 0F C7 /1 mem cmpxchg16b Mdq modes=O64 feat=CX16 r= "
                        "w=Z u= attrs=LOCK,W1,ALN xlat=cmpxchg16b"));
    printf("  64-bit user-mode rows: %zu of %zu; 32-bit non-branch base+x87 rows: %zu\n",
           n, n_all, n32);
}

/* ---- (b) differential test against GNU objdump ----
 * Each case is 15 candidate bytes in a 32-byte slot padded with NOPs: any
 * instruction objdump starts in the first 16 bytes ends before the next
 * slot, so every slot start is an instruction boundary for both decoders.
 */
#define SLOT 32
#define OD_RANDOM_PER_MODE 25000
#define OD_TABLE_PER_ROW 8

typedef struct OdCase {
    uint8_t b[X86_MAX_INSN_LEN];
} OdCase;

typedef struct OdResult {
    int len;            /* bytes objdump consumed; 0 if the slot start was not seen */
    bool bad;           /* "(bad)", or nothing but prefixes */
    char text[160];
} OdResult;

/* Documented, deliberate differences: each names why we differ from objdump. */
enum {
    DIFF_MATCH,
    DIFF_NOT_IMPL,      /* objdump knows an extension we do not implement (we #UD) */
    DIFF_VEX,           /* VEX/EVEX encodings: AVX and later are not implemented */
    DIFF_COMPAT,        /* encoding reused by a newer extension (MPX, CET, WBNOINVD...) that
                           older CPUs, and we, execute as the base instruction or a NOP */
    DIFF_TR,            /* 0F 24/26: 386/486 test registers, #UD since the Pentium */
    DIFF_LOCK,          /* objdump does not check where LOCK is allowed */
    DIFF_BADREG,        /* objdump shows nonexistent CR/DR/segment registers */
    DIFF_STRICT_PFX,    /* reserved 66/F2/F3 on NP-only SIMD forms: we #UD */
    DIFF_XCHG90,        /* 66 90 / REX.W 90: NOP for us, "xchg ax,ax" for objdump */
    DIFF_PAUSE_REXB,    /* F3 REX.B 90 is XCHG r8 for us, PAUSE for objdump */
    DIFF_MODE,          /* o64 instructions (SWAPGS, RDFSBASE, Intel's SYSCALL) elsewhere */
    DIFF_FWAIT,         /* objdump fuses FWAIT with the next x87 instruction */
    DIFF_UNEXPLAINED,
    DIFF_COUNT
};
static const char *const diff_names[DIFF_COUNT] = {
    [DIFF_MATCH] = "match",
    [DIFF_NOT_IMPL] = "extension not implemented (we #UD)",
    [DIFF_VEX] = "VEX/EVEX not implemented",
    [DIFF_COMPAT] = "newer extension in a compatible encoding (we run the base insn)",
    [DIFF_TR] = "MOV to/from test registers (386/486 only)",
    [DIFF_LOCK] = "LOCK validity not checked by objdump",
    [DIFF_BADREG] = "nonexistent register not checked by objdump",
    [DIFF_STRICT_PFX] = "reserved 66/F2/F3 prefix (we #UD)",
    [DIFF_XCHG90] = "66/REX.W 90: nop vs xchg",
    [DIFF_PAUSE_REXB] = "F3 REX.B 90: xchg vs pause",
    [DIFF_MODE] = "64-bit-only instruction outside 64-bit mode (we #UD)",
    [DIFF_FWAIT] = "FWAIT fused with the next x87 instruction by objdump",
    [DIFF_UNEXPLAINED] = "UNEXPLAINED",
};

/* Sorted set of every mnemonic in the table, to tell "not implemented" from "wrong". */
static char (*known_mnems)[24];
static size_t n_known;

static int cmp_str24(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void build_known_mnems(void)
{
    known_mnems = calloc(XI_COUNT * 3 + 16, sizeof(*known_mnems));
    for (unsigned id = 1; id < XI_COUNT; id++) {
        const char *m = x86_insn_info(id)->mnem;
        while (*m) {
            size_t l = strcspn(m, "/");
            if (l && l < 24) {
                memcpy(known_mnems[n_known], m, l);
                known_mnems[n_known++][l] = 0;
            }
            m += l + (m[l] == '/');
        }
    }
    static const char *const extra[] = { "cmpeqps", "cmpltps", "cmpleps", "cmpunordps", "cmpneqps",
                                         "cmpnltps", "cmpnleps", "cmpordps" };
    for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
        strcpy(known_mnems[n_known++], extra[i]);
    }
    qsort(known_mnems, n_known, sizeof(*known_mnems), cmp_str24);
}

static bool known_mnem(const char *m)
{
    char key[24] = "";
    /* the CMPxx pseudo-ops stand for cmpps/cmppd/cmpss/cmpsd */
    if (!strncmp(m, "cmp", 3) && strlen(m) > 5 && (!strcmp(m + strlen(m) - 2, "ps") ||
        !strcmp(m + strlen(m) - 2, "pd") || !strcmp(m + strlen(m) - 2, "ss") ||
        !strcmp(m + strlen(m) - 2, "sd"))) {
        return true;
    }
    snprintf(key, sizeof(key), "%s", m);
    return bsearch(key, known_mnems, n_known, sizeof(*known_mnems), cmp_str24) != NULL;
}

/* The first token that is not a prefix, with objdump's size-suffixed aliases folded. */
static bool first_mnemonic(const char *text, char *out, size_t size)
{
    static const char *const prefixes[] = {
        "lock", "rep", "repz", "repe", "repnz", "repne", "data16", "data32", "addr16", "addr32",
        "cs", "ds", "es", "ss", "fs", "gs", "bnd", "notrack", "xacquire", "xrelease",
    };
    static const char *const folds[][2] = {
        { "movabs", "mov" }, { "pushfw", "pushf" }, { "pushfd", "pushf" }, { "pushfq", "pushf" },
        { "popfw", "popf" }, { "popfd", "popf" }, { "popfq", "popf" }, { "pushaw", "pusha" },
        { "pushad", "pusha" }, { "popaw", "popa" }, { "popad", "popa" }, { "iretw", "iret" },
        { "iretd", "iret" }, { "iretq", "iret" }, { "sysretd", "sysret" },
        { "sysretq", "sysret" }, { "sysexitd", "sysexit" }, { "sysexitq", "sysexit" },
    };
    static const char *const sized[] = {
        "push", "pop", "enter", "leave", "sgdt", "sidt", "lgdt", "lidt", "call", "jmp", "ret",
        "retf", "fnstenv", "fldenv", "fnsave", "frstor",
    };
    const char *p = text;

    while (*p) {
        char tok[48];
        size_t l;
        bool is_pfx = false;
        while (*p == ' ') {
            p++;
        }
        l = strcspn(p, " ");
        if (l == 0) {
            break;
        }
        snprintf(tok, sizeof(tok), "%.*s", (int)l, p);
        p += l;
        tok[strcspn(tok, "(")] = 0;
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
            is_pfx |= !strcmp(tok, prefixes[i]);
        }
        if (is_pfx || !strncmp(tok, "rex", 3)) {
            continue;
        }
        for (size_t i = 0; i < ARRAY_SIZE(folds); i++) {
            if (!strcmp(tok, folds[i][0])) {
                snprintf(tok, sizeof(tok), "%s", folds[i][1]);
            }
        }
        /* objdump marks a non-default operand size with a w/d suffix ("pushd es") */
        for (size_t i = 0; i < ARRAY_SIZE(sized); i++) {
            size_t bl = strlen(sized[i]);
            if (!strncmp(tok, sized[i], bl) && strlen(tok) == bl + 1 && strchr("wdq", tok[bl])) {
                tok[bl] = 0;
            }
        }
        snprintf(out, size, "%s", tok);
        return out[0] != 0;
    }
    return false;
}

static unsigned rndu(uint64_t *rng, unsigned n)
{
    return (unsigned)(x86_rand_next(rng) % n);
}

static void gen_random_case(uint64_t *rng, int m, uint8_t *b)
{
    static const uint8_t pfx[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26, 0x36, 0x64,
                                   0x65 };
    static const uint8_t ssse3[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x1c, 0x1d, 0x1e,
                                     0xf0, 0xf1 };
    unsigned n = 0, r = rndu(rng, 10);
    unsigned np = r < 5 ? 0 : r < 8 ? 1 : 2 + rndu(rng, 2);

    for (unsigned i = 0; i < X86_MAX_INSN_LEN; i++) {
        b[i] = (uint8_t)x86_rand_next(rng);
    }
    for (unsigned i = 0; i < np; i++) {
        b[n++] = pfx[rndu(rng, ARRAY_SIZE(pfx))];
    }
    if (m == M64 && rndu(rng, 3) == 0) {
        b[n++] = 0x40 | rndu(rng, 16);
    }
    r = rndu(rng, 100);
    if (r < 45) {
        /* one-byte map: random opcode */
    } else if (r < 85) {
        b[n++] = 0x0f;
    } else if (r < 94) {
        b[n++] = 0x0f;
        b[n++] = 0x38;
        if (rndu(rng, 4)) {
            b[n++] = ssse3[rndu(rng, ARRAY_SIZE(ssse3))];
        }
    } else {
        b[n++] = 0x0f;
        b[n++] = 0x3a;
        if (rndu(rng, 2)) {
            b[n++] = 0x0f;
        }
    }
}

static bool objdump_available(void)
{
    FILE *p = popen("objdump --version 2>/dev/null", "r");
    char line[128] = "";
    bool ok;

    if (!p) {
        return false;
    }
    ok = fgets(line, sizeof(line), p) && strstr(line, "objdump");
    pclose(p);
    return ok;
}

/* Run objdump over the cases and record what it makes of each slot start. */
static bool run_objdump(int m, const OdCase *cases, size_t n, OdResult *res)
{
    static const char *const args[] = {
        [M16] = "-m i8086 -M intel", [M32] = "-m i386 -M intel",
        [M64] = "-m i386:x86-64 -M intel,intel64",
    };
    char path[] = "/tmp/osprey-test-decode-XXXXXX";
    char cmd[256], line[512];
    uint8_t *blob = malloc(n * SLOT);
    int fd = mkstemp(path);
    FILE *p;
    bool ok = fd >= 0;

    for (size_t i = 0; i < n; i++) {
        memcpy(blob + i * SLOT, cases[i].b, X86_MAX_INSN_LEN);
        memset(blob + i * SLOT + X86_MAX_INSN_LEN, 0x90, SLOT - X86_MAX_INSN_LEN);
    }
    if (ok) {
        ok = write(fd, blob, n * SLOT) == (ssize_t)(n * SLOT);
        close(fd);
    }
    free(blob);
    memset(res, 0, n * sizeof(*res));
    if (!ok) {
        return false;
    }
    snprintf(cmd, sizeof(cmd), "objdump -D -b binary %s --insn-width=16 %s 2>/dev/null",
             args[m], path);
    p = popen(cmd, "r");
    while (p && fgets(line, sizeof(line), p)) {
        char *end, *tab1, *tab2;
        unsigned long addr = strtoul(line, &end, 16);
        int nbytes = 0;

        if (end == line || *end != ':' || end[1] != '\t' || addr % SLOT || addr / SLOT >= n) {
            continue;
        }
        tab1 = end + 2;
        tab2 = strchr(tab1, '\t');
        for (char *q = tab1; *q && q != tab2; q++) {
            nbytes += q[0] != ' ' && (q == tab1 || q[-1] == ' ');
        }
        OdResult *r = &res[addr / SLOT];
        r->len = nbytes;
        if (tab2) {
            snprintf(r->text, sizeof(r->text), "%s", tab2 + 1);
            r->text[strcspn(r->text, "\n")] = 0;
        }
        char mn[48];
        r->bad = strstr(r->text, "(bad)") || !first_mnemonic(r->text, mn, sizeof(mn));
    }
    if (p) {
        pclose(p);
    }
    unlink(path);
    return true;
}

/* Encodings objdump rejects but we (like hardware) decode. */
enum {
    INV_UNDOC,          /* undocumented forms CPUs execute (x87 aliases, SALC, 82, F6 /1...) */
    INV_FENCE,          /* LFENCE/MFENCE/SFENCE ignore ModRM.rm (SDM Table A-6) */
    INV_HINT_NOP,       /* 0F 0D / 0F 18-1F hint-NOP space */
    INV_SPLIT,          /* objdump shows only prefixes (a REX that is not last, >14 prefixes) */
    INV_IGNORED_PFX,    /* a 66/F2/F3 with no meaning for this instruction, which CPUs ignore */
    INV_FWAIT,          /* objdump fuses FWAIT with the bytes after it, then rejects them */
    INV_OTHER,
    INV_COUNT
};
static const char *const inv_names[INV_COUNT] = {
    [INV_UNDOC] = "undocumented forms",
    [INV_FENCE] = "fences with rm != 0",
    [INV_HINT_NOP] = "hint-NOP space",
    [INV_SPLIT] = "prefixes objdump splits off",
    [INV_IGNORED_PFX] = "prefix that the instruction ignores",
    [INV_FWAIT] = "FWAIT fused with invalid bytes by objdump",
    [INV_OTHER] = "UNEXPLAINED",
};

static unsigned classify_invalid(const DecodedInsn *d, const OdResult *r)
{
    const X86InsnInfo *info = x86_insn_info(d->id);
    char mn[48];

    if (info->attrs & X86_A_UNDOC) {
        return INV_UNDOC;
    }
    if (d->id == XI_FWAIT) {
        return INV_FWAIT;
    }
    if (d->id == XI_LFENCE || d->id == XI_MFENCE || d->id == XI_SFENCE) {
        return INV_FENCE;
    }
    if (!strcmp(info->xlat, "nop") && info->map == X86_MAP_0F) {
        return INV_HINT_NOP;
    }
    if (!first_mnemonic(r->text, mn, sizeof(mn)) && r->len < d->len) {
        return INV_SPLIT;
    }
    if ((info->pfx == X86_MP_xx || info->pfx == X86_MP_NF) &&
        (d->prefixes & (X86_PFX_OPSIZE | X86_PFX_REPE | X86_PFX_REPNE))) {
        return INV_IGNORED_PFX;
    }
    return INV_OTHER;
}

/* Does the instruction decode to objdump's mnemonic once its 66/F2/F3 (and LOCK) bytes are
 * dropped?  Then we differ only in rejecting a reserved prefix. */
static bool ok_without_simd_prefixes(int m, const DecodedInsn *d, const char *mt)
{
    uint8_t buf[X86_MAX_INSN_LEN], mode;
    unsigned n = 0;
    bool code32;
    DecodedInsn d2;
    char text[160], mn[48];

    for (unsigned i = 0; i < d->opc_off; i++) {
        if (d->bytes[i] != 0x66 && d->bytes[i] != 0xf2 && d->bytes[i] != 0xf3 &&
            d->bytes[i] != 0xf0) {
            buf[n++] = d->bytes[i];
        }
    }
    if (n == d->opc_off) {
        return false;
    }
    memcpy(buf + n, d->bytes + d->opc_off, X86_MAX_INSN_LEN - d->opc_off);
    mode_of(m, &mode, &code32);
    x86_decode_buf(&d2, mode, code32, X86_FEATURES_ALL, 0, buf,
                   X86_MAX_INSN_LEN - (d->opc_off - n));
    x86_disas_format(&d2, text, sizeof(text));
    return d2.status == X86_DEC_OK && first_mnemonic(text, mn, sizeof(mn)) && !strcmp(mn, mt);
}

static unsigned classify(int m, const DecodedInsn *d, const OdResult *r)
{
    char ours[160], mo[48] = "", mt[48] = "";

    x86_disas_format(d, ours, sizeof(ours));
    first_mnemonic(r->text, mt, sizeof(mt));
    if (d->status == X86_DEC_OK) {
        first_mnemonic(ours, mo, sizeof(mo));
        if (d->len == r->len && !strcmp(mo, mt)) {
            return DIFF_MATCH;
        }
        if (d->len == r->len && d->id == XI_NOP && d->opcode == 0x90 && !strcmp(mt, "xchg")) {
            return DIFF_XCHG90;
        }
        if (d->id == XI_XCHG_ZvrAX && (d->prefixes & X86_PFX_REPE) && !strcmp(mt, "pause")) {
            return DIFF_PAUSE_REXB;
        }
        if (d->id == XI_FWAIT && r->len > d->len) {
            return DIFF_FWAIT;      /* objdump treats 9B as a prefix of what follows */
        }
        if (d->len == r->len && !known_mnem(mt)) {
            return DIFF_COMPAT;
        }
        return DIFF_UNEXPLAINED;
    }
    if (d->status != X86_DEC_UD) {
        return DIFF_UNEXPLAINED;
    }
    if (d->map == X86_MAP_0F && (d->opcode == 0x24 || d->opcode == 0x26)) {
        return DIFF_TR;
    }
    switch (d->ud_reason) {
    case X86_UD_VEX:
        return DIFF_VEX;
    case X86_UD_LOCK:
        return DIFF_LOCK;
    case X86_UD_BADREG:
        return DIFF_BADREG;
    case X86_UD_ONLY64:
        x86_insn_mnemonic(d, mo, sizeof(mo));
        first_mnemonic(mo, mo, sizeof(mo));
        return !strcmp(mo, mt) ? DIFF_MODE : DIFF_UNEXPLAINED;
    default:
        if (!known_mnem(mt)) {
            return DIFF_NOT_IMPL;
        }
        if (ok_without_simd_prefixes(m, d, mt)) {
            return DIFF_STRICT_PFX;
        }
        /* 0F 38 / 0F 3A beyond SSSE3 and MOVBE reuse some mnemonics (SSE4.1 PEXTRW) */
        if (d->ud_reason == X86_UD_UNDEFINED &&
            (d->map == X86_MAP_0F38 || d->map == X86_MAP_0F3A)) {
            return DIFF_NOT_IMPL;
        }
        return DIFF_UNEXPLAINED;
    }
}

static void test_objdump(void)
{
    static const int modes[] = { M16, M32, M64 };
    /* A fresh seed each run widens coverage; DECODE_SEED=0x... reproduces a run. */
    uint64_t rng = getenv("DECODE_SEED") ? strtoull(getenv("DECODE_SEED"), NULL, 0)
                                         : (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull + 1;
    size_t cap = OD_RANDOM_PER_MODE + XI_COUNT * OD_TABLE_PER_ROW;
    OdCase *cases = malloc(cap * sizeof(*cases));
    OdResult *res = malloc(cap * sizeof(*res));
    unsigned printed = 0;
    char msg[128];

    if (!objdump_available()) {
        free(cases);
        free(res);
        test_skip("decode_objdump", "GNU objdump not found (apt-get install binutils)");
        return;
    }
    build_known_mnems();
    printf("  objdump differential run, seed 0x%" PRIx64 "\n", rng);
    for (size_t k = 0; k < ARRAY_SIZE(modes); k++) {
        int m = modes[k];
        unsigned counts[DIFF_COUNT] = { 0 };
        unsigned inv[INV_COUNT] = { 0 };
        unsigned n_valid = 0, n_bad = 0, n_bad_ours_ok = 0;
        uint8_t mode;
        bool code32;
        size_t n = 0;

        mode_of(m, &mode, &code32);
        for (unsigned i = 0; i < OD_RANDOM_PER_MODE; i++) {
            gen_random_case(&rng, m, cases[n++].b);
        }
        for (unsigned id = 1; id < XI_COUNT; id++) {
            X86EncodeOpts o = { .mode = mode, .code32 = code32, .features = X86_FEATURES_ALL };
            for (int j = 0; j < OD_TABLE_PER_ROW; j++) {
                int len = x86_insn_encode(id, &o, &rng, cases[n].b);
                if (len > 0) {
                    /* random bytes after the instruction: a decoder that reads too
                     * far would disagree on the length */
                    for (int t = len; t < X86_MAX_INSN_LEN; t++) {
                        cases[n].b[t] = (uint8_t)x86_rand_next(&rng);
                    }
                    n++;
                }
            }
        }
        if (!run_objdump(m, cases, n, res)) {
            test_fail_at(__FILE__, __LINE__, "could not run objdump");
            break;
        }
        for (size_t i = 0; i < n; i++) {
            DecodedInsn d;
            x86_decode_buf(&d, mode, code32, X86_FEATURES_ALL, i * SLOT, cases[i].b,
                           X86_MAX_INSN_LEN);
            if (res[i].len == 0 || res[i].bad) {
                n_bad++;
                if (d.status == X86_DEC_OK) {
                    unsigned c = classify_invalid(&d, &res[i]);
                    n_bad_ours_ok++;
                    inv[c]++;
                    if (c == INV_OTHER && printed++ < 60) {
                        char ours[160];
                        x86_disas_format(&d, ours, sizeof(ours));
                        printf("  OBJDUMP-INVALID %s: %02x %02x %02x %02x %02x %02x: '%s', "
                               "osprey len %d '%s' (%s)\n", mode_names[m], cases[i].b[0],
                               cases[i].b[1], cases[i].b[2], cases[i].b[3], cases[i].b[4],
                               cases[i].b[5], res[i].text, d.len, ours, row_name(&d));
                    }
                }
                continue;
            }
            n_valid++;
            unsigned c = classify(m, &d, &res[i]);
            counts[c]++;
            if (getenv("DECODE_TEXT") && c == DIFF_MATCH) {
                char ours[160];
                x86_disas_format(&d, ours, sizeof(ours));
                if (strcmp(ours, res[i].text)) {
                    printf("  TEXT %s\t%s\t%s\n", mode_names[m], res[i].text, ours);
                }
            }
            if (getenv("DECODE_VERBOSE") && (c == DIFF_NOT_IMPL || c == DIFF_COMPAT)) {
                printf("  %s %s '%s'\n", c == DIFF_NOT_IMPL ? "NOT-IMPL" : "COMPAT",
                       mode_names[m], res[i].text);
            }
            if (c == DIFF_UNEXPLAINED && printed++ < 60) {
                char ours[160], hex[64] = "";
                x86_disas_format(&d, ours, sizeof(ours));
                for (int b = 0; b < X86_MAX_INSN_LEN; b++) {
                    snprintf(hex + 3 * b, 4, "%02x ", cases[i].b[b]);
                }
                printf("  MISMATCH %s: %s\n    objdump: len %d '%s'\n    osprey:  len %d '%s'"
                       " (%s, %s)\n", mode_names[m], hex, res[i].len, res[i].text, d.len, ours,
                       row_name(&d), d.status == X86_DEC_UD ?
                       x86_ud_reason_str(d.ud_reason) : "ok");
            }
        }
        printf("  %s: %zu cases, objdump-valid %u: %u match (length and mnemonic)",
               mode_names[m], n, n_valid, counts[DIFF_MATCH]);
        printf(", %u unexplained\n", counts[DIFF_UNEXPLAINED]);
        for (unsigned c = DIFF_NOT_IMPL; c < DIFF_UNEXPLAINED; c++) {
            if (counts[c]) {
                printf("    deliberate: %-52s %u\n", diff_names[c], counts[c]);
            }
        }
        printf("    objdump-invalid %u; we decode %u of them, %u unexplained\n", n_bad,
               n_bad_ours_ok, inv[INV_OTHER]);
        for (unsigned c = 0; c < INV_OTHER; c++) {
            if (inv[c]) {
                printf("    deliberate: %-52s %u\n", inv_names[c], inv[c]);
            }
        }
        if (inv[INV_OTHER]) {
            snprintf(msg, sizeof(msg), "%s: we decode %u encodings objdump rejects, unexplained",
                     mode_names[m], inv[INV_OTHER]);
            test_fail_at(__FILE__, __LINE__, msg);
        }
        if (counts[DIFF_UNEXPLAINED]) {
            snprintf(msg, sizeof(msg), "%s: %u unexplained differences from objdump",
                     mode_names[m], counts[DIFF_UNEXPLAINED]);
            test_fail_at(__FILE__, __LINE__, msg);
        }
        if (counts[DIFF_MATCH] < n_valid / 2) {
            test_fail_at(__FILE__, __LINE__, "too few objdump matches: the harness is broken");
        }
    }
    free(known_mnems);
    free(cases);
    free(res);
}

int main(void)
{
    test_run("decode_tricky", test_tricky);
    test_run("decode_fields", test_fields);
    test_run("decode_fetch", test_fetch);
    test_run("decode_disas_block", test_disas_block);
    test_run("decode_invalid", test_invalid);
    test_run("decode_table", test_table);
    test_run("decode_roundtrip", test_roundtrip);
    test_run("decode_lists", test_lists);
    test_run("decode_objdump", test_objdump);
    return test_summary();
}
