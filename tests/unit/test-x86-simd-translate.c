/*
 * MMX/SSE/SSE2/SSE3/SSSE3 translation (translate-sse.c, translate-mmx.c) against the host
 * CPU: hand-assembled snippets and table-generated encodings of every SIMD row run in the
 * x86-64 sandbox of x86diff-native.h and through the test rig in 64-bit mode (CPL 3) from
 * the same random state; general registers, RFLAGS, the FXSAVE image (x87 TOP/tags/
 * registers, MXCSR, XMM0-15) and the data/stack areas must agree, faults included.  A few
 * checks the host cannot make (CR0.TS/EM, CR4.OSFXSR) run on the DBT alone.
 *
 * Needs an x86-64 Linux host; elsewhere every case skips with the reason.
 */
#include "tests/unit/test.h"

#include <string.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/decode.h"
#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/test_rig.h"

#if defined(__x86_64__) && defined(__linux__)
#include "tests/unit/x86diff-native.h"

#define RIG_RAM (32u << 20)
#define MEMBASE (XD_DATA + 0x400) /* rbx, rsi, rdi point here: 16-byte aligned */

static X86TestRig *rig;
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t host_feats;

static uint64_t rnd64(void)
{
    return x86_rand_next(&rng);
}

/* A 64-bit lane: raw bits, two small floats, or a small double (arithmetic stays sane). */
static uint64_t rand_lane(void)
{
    union {
        float f[2];
        double d;
        uint64_t u;
    } v;
    switch (rnd64() % 4) {
    case 0:
        return rnd64();
    case 1:
        v.f[0] = (float)((int)(rnd64() % 2001) - 1000) / 8.0f;
        v.f[1] = (float)((int)(rnd64() % 2001) - 1000) / 3.0f;
        return v.u;
    case 2:
        v.d = (double)((int64_t)(rnd64() % 200001) - 100000) / 7.0;
        return v.u;
    default:
        return rnd64() & 0x00ff00ff00ff00ffull; /* small integer lanes */
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void rand_state(XdState *s, uint32_t mxcsr)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 16; i++) {
        s->gpr[i] = (rnd64() & 1) ? rnd64() : rnd64() & 0xffff;
    }
    s->gpr[R_EBX] = s->gpr[R_ESI] = s->gpr[R_EDI] = MEMBASE;
    s->gpr[R_ESP] = XD_STACK + XD_STACK_SIZE / 2;
    s->rip = XD_SEQ;
    s->rflags = 0x202 | (rnd64() & 0x8d5);
    /* x87: random TOP and tags, registers holding MMX-looking values; no pending #MF */
    put16(s->fx + FX_FCW, 0x037f);
    put16(s->fx + FX_FSW, (uint16_t)((rnd64() & 7) << 11));
    s->fx[FX_FTW] = (uint8_t)rnd64();
    for (int i = 0; i < 8; i++) {
        put64(s->fx + FX_ST + 16 * i, rand_lane());
        put16(s->fx + FX_ST + 16 * i + 8, (uint16_t)rnd64());
    }
    put32(s->fx + FX_MXCSR, mxcsr);
    put32(s->fx + FX_MXCSR_MASK, 0xffff);
    for (int i = 0; i < 32; i++) {
        put64(s->fx + FX_XMM + 8 * i, rand_lane());
    }
    for (size_t i = 0; i < sizeof(s->mem); i += 8) {
        uint64_t v = rand_lane();
        memcpy(s->mem + i, &v, 8);
    }
}

/* ---- the DBT side ---- */

static void dbt_setup(CPUX86State *env, uint64_t cr0_set, uint64_t cr4_clear)
{
    env->cr[0] |= cr0_set;
    env->cr[4] = (env->cr[4] | CR4_OSFXSR | CR4_OSXMMEXCPT) & ~cr4_clear;
    x86_update_hflags(env);
}

static void dbt_run(const uint8_t *code, size_t len, const XdState *in, XdState *out,
                    uint64_t cr0_set, uint64_t cr4_clear)
{
    uint8_t *ram = x86_rig_ram(rig);
    CPUX86State *env = x86_rig_env(rig);

    x86_rig_enter_mode(rig, X86_RIG_LONG64, 3);
    dbt_setup(env, cr0_set, cr4_clear);
    memcpy(ram + XD_SEQ, code, len);
    ram[XD_SEQ + len] = 0xf4; /* HLT: #GP at CPL 3 marks the end */
    x86_rig_code_changed(rig);
    memcpy(ram + XD_DATA, in->mem, sizeof(in->mem));
    memcpy(env->regs, in->gpr, sizeof(in->gpr));
    env->rip = in->rip;
    x86_put_eflags(env, in->rflags);
    x87_fxrstor_buf(env, in->fx, FXSAVE_REXW | FXSAVE_LONG64);

    X86RigResult r = x86_rig_run(rig, 1000, true);
    memcpy(out->gpr, env->regs, sizeof(out->gpr));
    out->rip = env->rip;
    out->rflags = x86_get_eflags(env);
    memset(out->fx, 0, sizeof(out->fx));
    x87_fxsave_buf(env, out->fx, FXSAVE_REXW | FXSAVE_LONG64);
    memcpy(out->mem, ram + XD_DATA, sizeof(out->mem));
    out->vector = -2; /* did not finish */
    if (r.stop == X86_RIG_STOP_EXCEPTION) {
        out->vector = (r.vector == EXCP_GP && env->rip == XD_SEQ + len) ? -1 : r.vector;
    }
}

/* ---- comparison ---- */

/* Bytes of the FXSAVE image that both sides define the same way. */
static bool fx_compared(unsigned i)
{
    if (i < 6) {
        return true;            /* FCW, FSW, abridged FTW */
    }
    if (i >= 24 && i < 28) {
        return true;            /* MXCSR */
    }
    if (i >= FX_ST && i < FX_ST + 128) {
        return ((i - FX_ST) % 16) < 10;
    }
    return i >= FX_XMM && i < FX_XMM + 256;
}

static int mismatches;
static bool mask_fx_image;

/* FXSAVE image bytes at [rbx] that hold implementation values (FOP, FIP, FDP, MXCSR_MASK). */
static bool mem_masked(size_t i)
{
    size_t at = MEMBASE - XD_DATA;

    if (!mask_fx_image || i < at || i >= at + 512) {
        return false;
    }
    i -= at;
    return (i >= 6 && i < 24) || (i >= 28 && i < 32) || i >= 416;
}

static bool compare(const char *name, const XdState *nat, const XdState *dbt)
{
    char buf[1024];
    size_t n = 0;

#define DIFF(...)                                                                      \
    do {                                                                               \
        if (n < sizeof(buf) - 1) {                                                     \
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__);              \
        }                                                                              \
    } while (0)
    if (nat->vector != dbt->vector) {
        DIFF(" vector host %d dbt %d;", nat->vector, dbt->vector);
    }
    if (nat->rip != dbt->rip) {
        DIFF(" rip host %#" PRIx64 " dbt %#" PRIx64 ";", nat->rip, dbt->rip);
    }
    for (int i = 0; i < 16; i++) {
        if (nat->gpr[i] != dbt->gpr[i]) {
            DIFF(" r%d host %#" PRIx64 " dbt %#" PRIx64 ";", i, nat->gpr[i], dbt->gpr[i]);
        }
    }
    if ((nat->rflags ^ dbt->rflags) & 0xcd5) {
        DIFF(" rflags host %#" PRIx64 " dbt %#" PRIx64 ";", nat->rflags, dbt->rflags);
    }
    for (unsigned i = 0; i < 512; i++) {
        if (fx_compared(i) && nat->fx[i] != dbt->fx[i]) {
            DIFF(" fx[%u] host %02x dbt %02x;", i, nat->fx[i], dbt->fx[i]);
            break;
        }
    }
    for (size_t i = 0; i < sizeof(nat->mem); i++) {
        if (nat->mem[i] != dbt->mem[i] && !mem_masked(i)) {
            DIFF(" mem[%#zx] host %02x dbt %02x;", i, nat->mem[i], dbt->mem[i]);
            break;
        }
    }
#undef DIFF
    if (n) {
        if (mismatches++ < 12) {
            printf("  %s:%s\n", name, buf);
        }
        return false;
    }
    return true;
}

/* Host outcomes of the runs: completed, and faulted by vector (so a test sees it ran). */
static unsigned runs_completed, runs_faulted[32];

static bool run_both(const char *name, const uint8_t *code, size_t len, uint32_t mxcsr)
{
    static XdState in, nat, dbt;

    rand_state(&in, mxcsr);
    xd_native_run(code, len, &in, &nat);
    if (nat.vector < 0) {
        runs_completed++;
    } else if (nat.vector < 32) {
        runs_faulted[nat.vector]++;
    }
    dbt_run(code, len, &in, &dbt, 0, 0);
    return compare(name, &nat, &dbt);
}

static void print_outcomes(void)
{
    printf("  host outcomes: %u completed", runs_completed);
    for (int v = 0; v < 32; v++) {
        if (runs_faulted[v]) {
            printf(", #%d x %u", v, runs_faulted[v]);
        }
    }
    printf("\n");
    memset(runs_faulted, 0, sizeof(runs_faulted));
    runs_completed = 0;
}

/* ---- hand-assembled snippets ---- */

typedef struct Snippet {
    const char *name;
    uint8_t len;
    uint8_t b[15];
    unsigned feat;      /* X86_FEAT_* the host needs */
    uint32_t mxcsr;     /* 0: the default 0x1f80 */
    bool fx_image;      /* stores an FXSAVE image at [rbx]: FIP/FDP/FOP are the host's own */
} Snippet;

#define S(n, f, ...) \
    { n, sizeof((uint8_t[]){ __VA_ARGS__ }), { __VA_ARGS__ }, X86_FEAT_##f, 0, false }
#define SX(n, f, ...) \
    { n, sizeof((uint8_t[]){ __VA_ARGS__ }), { __VA_ARGS__ }, X86_FEAT_##f, 0, true }

static const Snippet snippets[] = {
    /* MMX: arithmetic, memory forms, moves with GPRs, the x87 transition, EMMS */
    S("paddb mm0,mm1", MMX, 0x0f, 0xfc, 0xc1),
    S("paddsw mm2,[rbx]", MMX, 0x0f, 0xed, 0x13),
    S("pmaddwd mm7,mm3", MMX, 0x0f, 0xf5, 0xfb),
    S("punpcklbw mm1,[rbx+4] (m32)", MMX, 0x0f, 0x60, 0x4b, 0x04),
    S("packsswb mm4,mm5", MMX, 0x0f, 0x63, 0xe5),
    S("psllw mm1,9", MMX, 0x0f, 0x71, 0xf1, 0x09),
    S("psrad mm6,[rbx] (count)", MMX, 0x0f, 0xe2, 0x33),
    S("psrlq mm3,70", MMX, 0x0f, 0x73, 0xd3, 0x46),
    S("movd mm0,eax", MMX, 0x0f, 0x6e, 0xc0),
    S("movq mm5,r9", MMX, 0x49, 0x0f, 0x6e, 0xe9),
    S("movd r10d,mm2", MMX, 0x41, 0x0f, 0x7e, 0xd2),
    S("movq rcx,mm7", MMX, 0x48, 0x0f, 0x7e, 0xf9),
    S("movq mm1,[rbx+8]", MMX, 0x0f, 0x6f, 0x4b, 0x08),
    S("movq [rbx+24],mm6", MMX, 0x0f, 0x7f, 0x73, 0x18),
    S("movq mm2,mm3; emms", MMX, 0x0f, 0x6f, 0xd3, 0x0f, 0x77),
    S("pcmpgtw mm0,mm1; pand mm0,mm2", MMX, 0x0f, 0x65, 0xc1, 0x0f, 0xdb, 0xc2),
    /* SSE integer on MMX registers */
    S("pshufw mm1,mm2,0x1b", SSE, 0x0f, 0x70, 0xca, 0x1b),
    S("pinsrw mm3,eax,2", SSE, 0x0f, 0xc4, 0xd8, 0x02),
    S("pinsrw mm3,[rbx+6],5", SSE, 0x0f, 0xc4, 0x5b, 0x06, 0x05),
    S("pextrw edx,mm4,3", SSE, 0x0f, 0xc5, 0xd4, 0x03),
    S("pmovmskb r11d,mm5", SSE, 0x44, 0x0f, 0xd7, 0xdd),
    S("maskmovq mm1,mm2", SSE, 0x0f, 0xf7, 0xca),
    S("movntq [rbx+32],mm3", SSE, 0x0f, 0xe7, 0x5b, 0x20),
    S("psadbw mm0,mm1", SSE, 0x0f, 0xf6, 0xc1),
    S("pmuludq mm0,[rbx]", SSE2, 0x0f, 0xf4, 0x03),
    /* SSE2 integer on XMM, REX.R/REX.B registers, alignment */
    /* PCMPEQB/PMOVMSKB/POR/PXOR/PANDN are inline byte tricks: bytes equal or off by one bit */
    S("psrlw xmm3,15; pxor xmm3,xmm2; pcmpeqb xmm3,xmm2", SSE2, 0x66, 0x0f, 0x71, 0xd3, 0x0f,
      0x66, 0x0f, 0xef, 0xda, 0x66, 0x0f, 0x74, 0xda),
    S("pminub xmm1,xmm2; pcmpeqb xmm1,xmm2; pmovmskb eax,xmm1", SSE2, 0x66, 0x0f, 0xda, 0xca,
      0x66, 0x0f, 0x74, 0xca, 0x66, 0x0f, 0xd7, 0xc1),
    S("pcmpeqb xmm4,[rbx]; por xmm4,xmm5; pandn xmm4,xmm9", SSE2, 0x66, 0x0f, 0x74, 0x23,
      0x66, 0x0f, 0xeb, 0xe5, 0x66, 0x41, 0x0f, 0xdf, 0xe1),
    S("paddd xmm1,xmm2", SSE2, 0x66, 0x0f, 0xfe, 0xca),
    S("psubusb xmm9,xmm14", SSE2, 0x66, 0x45, 0x0f, 0xd8, 0xce),
    S("pmulhuw xmm3,[rbx]", SSE2, 0x66, 0x0f, 0xe4, 0x1b),
    S("pmulhuw xmm3,[rbx+8] (#GP)", SSE2, 0x66, 0x0f, 0xe4, 0x5b, 0x08),
    S("punpckhqdq xmm12,xmm1", SSE2, 0x66, 0x44, 0x0f, 0x6d, 0xe1),
    S("packuswb xmm0,xmm15", SSE2, 0x66, 0x41, 0x0f, 0x67, 0xc7),
    S("psrldq xmm10,5", SSE2, 0x66, 0x41, 0x0f, 0x73, 0xda, 0x05),
    S("pslldq xmm2,17", SSE2, 0x66, 0x0f, 0x73, 0xfa, 0x11),
    S("psraw xmm4,3", SSE2, 0x66, 0x0f, 0x71, 0xe4, 0x03),
    S("psllq xmm5,xmm6", SSE2, 0x66, 0x0f, 0xf3, 0xee),
    S("pshufd xmm1,[rbx],0x4e", SSE2, 0x66, 0x0f, 0x70, 0x0b, 0x4e),
    S("pshufhw xmm8,xmm2,0xb1", SSE2, 0xf3, 0x44, 0x0f, 0x70, 0xc2, 0xb1),
    S("pshuflw xmm1,xmm13,0x27", SSE2, 0xf2, 0x41, 0x0f, 0x70, 0xcd, 0x27),
    S("pinsrw xmm11,r8d,7", SSE2, 0x66, 0x45, 0x0f, 0xc4, 0xd8, 0x07),
    S("pextrw rax,xmm9,6", SSE2, 0x66, 0x49, 0x0f, 0xc5, 0xc1, 0x06),
    S("pmovmskb ecx,xmm12", SSE2, 0x66, 0x41, 0x0f, 0xd7, 0xcc),
    S("maskmovdqu xmm1,xmm2", SSE2, 0x66, 0x0f, 0xf7, 0xca),
    S("movd xmm3,[rbx+4]", SSE2, 0x66, 0x0f, 0x6e, 0x5b, 0x04),
    S("movq xmm13,rdx", SSE2, 0x66, 0x4c, 0x0f, 0x6e, 0xea),
    S("movd [rbx+12],xmm7", SSE2, 0x66, 0x0f, 0x7e, 0x7b, 0x0c),
    S("movq r12,xmm4", SSE2, 0x66, 0x49, 0x0f, 0x7e, 0xe4),
    S("movq xmm2,[rbx+8] (F3 7E)", SSE2, 0xf3, 0x0f, 0x7e, 0x53, 0x08),
    S("movq xmm2,xmm3 (F3 7E)", SSE2, 0xf3, 0x0f, 0x7e, 0xd3),
    S("movq xmm9,xmm1 (66 D6)", SSE2, 0x66, 0x44, 0x0f, 0xd6, 0xc9),
    S("movq [rbx+40],xmm5", SSE2, 0x66, 0x0f, 0xd6, 0x6b, 0x28),
    S("movq2dq xmm3,mm4", SSE2, 0xf3, 0x0f, 0xd6, 0xdc),
    S("movdq2q mm1,xmm10", SSE2, 0xf2, 0x41, 0x0f, 0xd6, 0xca),
    S("movdqa xmm1,[rbx+16]", SSE2, 0x66, 0x0f, 0x6f, 0x4b, 0x10),
    S("movdqa [rbx+4],xmm1 (#GP)", SSE2, 0x66, 0x0f, 0x7f, 0x4b, 0x04),
    S("movdqu xmm14,[rbx+3]", SSE2, 0xf3, 0x44, 0x0f, 0x6f, 0x73, 0x03),
    S("movdqu [rbx+9],xmm2", SSE2, 0xf3, 0x0f, 0x7f, 0x53, 0x09),
    S("movntdq [rbx+48],xmm6", SSE2, 0x66, 0x0f, 0xe7, 0x73, 0x30),
    /* SSE/SSE2 floating point */
    S("addps xmm0,xmm1", SSE, 0x0f, 0x58, 0xc1),
    S("mulpd xmm2,[rbx]", SSE2, 0x66, 0x0f, 0x59, 0x13),
    S("subss xmm3,[rbx+4]", SSE, 0xf3, 0x0f, 0x5c, 0x5b, 0x04),
    S("divsd xmm15,xmm4", SSE2, 0xf2, 0x44, 0x0f, 0x5e, 0xfc),
    S("minps xmm1,xmm2", SSE, 0x0f, 0x5d, 0xca),
    S("maxsd xmm1,[rbx+8]", SSE2, 0xf2, 0x0f, 0x5f, 0x4b, 0x08),
    S("sqrtps xmm5,xmm6", SSE, 0x0f, 0x51, 0xee),
    S("sqrtsd xmm5,xmm6", SSE2, 0xf2, 0x0f, 0x51, 0xee),
    S("andnpd xmm1,xmm2", SSE2, 0x66, 0x0f, 0x55, 0xca),
    S("xorps xmm11,xmm11", SSE, 0x45, 0x0f, 0x57, 0xdb),
    S("unpcklps xmm1,xmm2", SSE, 0x0f, 0x14, 0xca),
    S("unpckhpd xmm1,[rbx]", SSE2, 0x66, 0x0f, 0x15, 0x0b),
    S("shufps xmm3,xmm4,0x9c", SSE, 0x0f, 0xc6, 0xdc, 0x9c),
    S("shufpd xmm3,[rbx],1", SSE2, 0x66, 0x0f, 0xc6, 0x1b, 0x01),
    S("cmpps xmm1,xmm2,1", SSE, 0x0f, 0xc2, 0xca, 0x01),
    S("cmpsd xmm1,xmm2,3", SSE2, 0xf2, 0x0f, 0xc2, 0xca, 0x03),
    S("cmpss xmm1,[rbx],6", SSE, 0xf3, 0x0f, 0xc2, 0x0b, 0x06),
    S("comiss xmm1,xmm2", SSE, 0x0f, 0x2f, 0xca),
    S("ucomisd xmm3,[rbx]", SSE2, 0x66, 0x0f, 0x2e, 0x1b),
    S("comisd xmm1,xmm1; setp al", SSE2, 0x66, 0x0f, 0x2f, 0xc9, 0x0f, 0x9a, 0xc0),
    /* SSE moves */
    S("movaps xmm1,[rbx]", SSE, 0x0f, 0x28, 0x0b),
    S("movaps xmm1,[rbx+8] (#GP)", SSE, 0x0f, 0x28, 0x4b, 0x08),
    S("movapd [rbx+32],xmm12", SSE2, 0x66, 0x44, 0x0f, 0x29, 0x63, 0x20),
    S("movups xmm2,[rbx+1]", SSE, 0x0f, 0x10, 0x53, 0x01),
    S("movupd [rbx+7],xmm3", SSE2, 0x66, 0x0f, 0x11, 0x5b, 0x07),
    S("movss xmm1,[rbx]", SSE, 0xf3, 0x0f, 0x10, 0x0b),
    S("movss xmm1,xmm2", SSE, 0xf3, 0x0f, 0x10, 0xca),
    S("movss [rbx+20],xmm2", SSE, 0xf3, 0x0f, 0x11, 0x53, 0x14),
    S("movsd xmm1,[rbx]", SSE2, 0xf2, 0x0f, 0x10, 0x0b),
    S("movsd xmm9,xmm2", SSE2, 0xf2, 0x44, 0x0f, 0x10, 0xca),
    S("movsd xmm2,xmm9 (11 /r)", SSE2, 0xf2, 0x44, 0x0f, 0x11, 0xca),
    S("movlps xmm1,[rbx+8]", SSE, 0x0f, 0x12, 0x4b, 0x08),
    S("movhlps xmm1,xmm2", SSE, 0x0f, 0x12, 0xca),
    S("movlpd [rbx+8],xmm3", SSE2, 0x66, 0x0f, 0x13, 0x5b, 0x08),
    S("movhps xmm1,[rbx+8]", SSE, 0x0f, 0x16, 0x4b, 0x08),
    S("movlhps xmm1,xmm2", SSE, 0x0f, 0x16, 0xca),
    S("movhpd [rbx+24],xmm5", SSE2, 0x66, 0x0f, 0x17, 0x6b, 0x18),
    S("movntps [rbx+16],xmm4", SSE, 0x0f, 0x2b, 0x63, 0x10),
    S("movmskps eax,xmm1", SSE, 0x0f, 0x50, 0xc1),
    S("movmskpd r9d,xmm14", SSE2, 0x66, 0x45, 0x0f, 0x50, 0xce),
    /* conversions */
    S("cvtsi2ss xmm1,eax", SSE, 0xf3, 0x0f, 0x2a, 0xc8),
    S("cvtsi2sd xmm1,rdx", SSE2, 0xf2, 0x48, 0x0f, 0x2a, 0xca),
    S("cvtsi2sd xmm1,dword [rbx]", SSE2, 0xf2, 0x0f, 0x2a, 0x0b),
    S("cvttss2si eax,xmm1", SSE, 0xf3, 0x0f, 0x2c, 0xc1),
    S("cvtsd2si r8,xmm2", SSE2, 0xf2, 0x4c, 0x0f, 0x2d, 0xc2),
    S("cvttsd2si rcx,[rbx]", SSE2, 0xf2, 0x48, 0x0f, 0x2c, 0x0b),
    S("cvtpi2ps xmm1,mm2", SSE, 0x0f, 0x2a, 0xca),
    S("cvtpi2ps xmm1,[rbx]", SSE, 0x0f, 0x2a, 0x0b),
    S("cvtpi2pd xmm1,mm2", SSE2, 0x66, 0x0f, 0x2a, 0xca),
    S("cvtpi2pd xmm1,[rbx]", SSE2, 0x66, 0x0f, 0x2a, 0x0b),
    S("cvtps2pi mm1,xmm2", SSE, 0x0f, 0x2d, 0xca),
    S("cvttpd2pi mm3,[rbx]", SSE2, 0x66, 0x0f, 0x2c, 0x1b),
    S("cvtps2pd xmm1,xmm2", SSE2, 0x0f, 0x5a, 0xca),
    S("cvtpd2ps xmm1,[rbx]", SSE2, 0x66, 0x0f, 0x5a, 0x0b),
    S("cvtss2sd xmm1,xmm2", SSE2, 0xf3, 0x0f, 0x5a, 0xca),
    S("cvtsd2ss xmm1,xmm2", SSE2, 0xf2, 0x0f, 0x5a, 0xca),
    S("cvtdq2ps xmm1,xmm2", SSE2, 0x0f, 0x5b, 0xca),
    S("cvtps2dq xmm1,xmm2", SSE2, 0x66, 0x0f, 0x5b, 0xca),
    S("cvttps2dq xmm1,xmm2", SSE2, 0xf3, 0x0f, 0x5b, 0xca),
    S("cvtdq2pd xmm1,[rbx]", SSE2, 0xf3, 0x0f, 0xe6, 0x0b),
    S("cvtpd2dq xmm1,xmm2", SSE2, 0xf2, 0x0f, 0xe6, 0xca),
    S("cvttpd2dq xmm1,xmm2", SSE2, 0x66, 0x0f, 0xe6, 0xca),
    /* SSE3 and SSSE3 */
    S("addsubps xmm1,xmm2", SSE3, 0xf2, 0x0f, 0xd0, 0xca),
    S("haddpd xmm1,[rbx]", SSE3, 0x66, 0x0f, 0x7c, 0x0b),
    S("hsubps xmm1,xmm2", SSE3, 0xf2, 0x0f, 0x7d, 0xca),
    S("movddup xmm1,[rbx+8]", SSE3, 0xf2, 0x0f, 0x12, 0x4b, 0x08),
    S("movshdup xmm1,xmm2", SSE3, 0xf3, 0x0f, 0x16, 0xca),
    S("movsldup xmm1,xmm2", SSE3, 0xf3, 0x0f, 0x12, 0xca),
    S("lddqu xmm1,[rbx+5]", SSE3, 0xf2, 0x0f, 0xf0, 0x4b, 0x05),
    S("pshufb xmm1,xmm2", SSSE3, 0x66, 0x0f, 0x38, 0x00, 0xca),
    S("pshufb mm1,mm2", SSSE3, 0x0f, 0x38, 0x00, 0xca),
    S("phaddsw xmm1,[rbx]", SSSE3, 0x66, 0x0f, 0x38, 0x03, 0x0b),
    S("pmaddubsw mm1,mm2", SSSE3, 0x0f, 0x38, 0x04, 0xca),
    S("psignw xmm1,xmm2", SSSE3, 0x66, 0x0f, 0x38, 0x09, 0xca),
    S("pmulhrsw xmm1,xmm2", SSSE3, 0x66, 0x0f, 0x38, 0x0b, 0xca),
    S("pabsd xmm9,xmm2", SSSE3, 0x66, 0x44, 0x0f, 0x38, 0x1e, 0xca),
    S("palignr xmm1,xmm2,5", SSSE3, 0x66, 0x0f, 0x3a, 0x0f, 0xca, 0x05),
    S("palignr mm1,[rbx],11", SSSE3, 0x0f, 0x3a, 0x0f, 0x0b, 0x0b),
    /* MXCSR, FXSAVE/FXRSTOR */
    S("stmxcsr [rbx+4]", SSE, 0x0f, 0xae, 0x5b, 0x04),
    S("ldmxcsr [rbx] (maybe #GP)", SSE, 0x0f, 0xae, 0x13),
    SX("fxsave64 [rbx]", FXSR, 0x48, 0x0f, 0xae, 0x03),
    SX("fxsave [rbx]", FXSR, 0x0f, 0xae, 0x03),
    SX("fxsave [rbx+8] (#GP)", FXSR, 0x0f, 0xae, 0x43, 0x08),
    SX("paddb mm0,mm1; fxsave64 [rbx]; fxrstor64 [rbx]", FXSR, 0x0f, 0xfc, 0xc1, 0x48, 0x0f,
       0xae, 0x03, 0x48, 0x0f, 0xae, 0x0b),
    S("fxrstor64 [rbx] (random image: #GP unless MXCSR valid)", FXSR, 0x48, 0x0f, 0xae, 0x0b),
};

/* Numeric exceptions: unmasked in MXCSR, so the host and the DBT must both raise #XM. */
static const Snippet xm_snippets[] = {
    { "divps by zero, ZM clear (#XM)", 3, { 0x0f, 0x5e, 0xca }, X86_FEAT_SSE, 0x1d80, false },
    { "addsd, OM clear", 4, { 0xf2, 0x0f, 0x58, 0xca }, X86_FEAT_SSE2, 0x1780, false },
    { "cvtps2dq invalid, IM clear", 4, { 0x66, 0x0f, 0x5b, 0xca }, X86_FEAT_SSE2, 0x1f00, false },
    { "sqrtss rounding toward zero", 4, { 0xf3, 0x0f, 0x51, 0xca }, X86_FEAT_SSE, 0x7f80, false },
    { "mulpd with DAZ/FTZ", 4, { 0x66, 0x0f, 0x59, 0xca }, X86_FEAT_SSE2, 0x9fc0, false },
    { "cvtsd2si, PM clear", 5, { 0xf2, 0x48, 0x0f, 0x2d, 0xc2 }, X86_FEAT_SSE2, 0x1d80, false },
};

static bool host_has(unsigned feat)
{
    return (host_feats >> feat) & 1;
}

static void run_snippets(const Snippet *list, size_t n, int reps)
{
    int ran = 0;

    for (size_t i = 0; i < n; i++) {
        const Snippet *sn = &list[i];
        if (!host_has(sn->feat)) {
            printf("  (host lacks %s: %s not run)\n", x86_feature_name(sn->feat), sn->name);
            continue;
        }
        bool ok = true;
        mask_fx_image = sn->fx_image;
        for (int r = 0; r < reps && ok; r++) {
            ok = run_both(sn->name, sn->b, sn->len, sn->mxcsr ? sn->mxcsr : 0x1f80);
        }
        mask_fx_image = false;
        CHECK(ok);
        ran++;
    }
    printf("  %d snippets x %d random states\n", ran, reps);
    CHECK(runs_completed > (unsigned)(ran * reps) / 2);
    print_outcomes();
}

static void test_snippets(void)
{
    run_snippets(snippets, ARRAY_SIZE(snippets), 40);
}

static void test_mxcsr_exceptions(void)
{
    run_snippets(xm_snippets, ARRAY_SIZE(xm_snippets), 40);
}

/* ---- every SIMD row of the table, encoded at random ---- */

static bool row_is_simd(const X86InsnInfo *info)
{
    for (unsigned i = 0; i < info->nops; i++) {
        switch (x86_opform_class(info->ops[i])) {
        case X86_OPC_P: case X86_OPC_Q: case X86_OPC_N:
        case X86_OPC_V: case X86_OPC_W: case X86_OPC_U:
            return true;
        default:
            break;
        }
    }
    return false;
}

/* Approximations: the SDM bounds only their relative error, so the host is no oracle. */
static bool row_is_approx(const X86InsnInfo *info)
{
    return !strncmp(info->name, "RCP", 3) || !strncmp(info->name, "RSQRT", 5);
}

static void test_table_rows(void)
{
    static uint16_t ids[XI_COUNT];
    X86InsnFilter flt = { .mode = X86_MODE_LONG64, .features = host_feats, .user_only = true };
    size_t n = x86_insn_list(&flt, ids, ARRAY_SIZE(ids));
    unsigned rows = 0, runs = 0, bad_rows = 0;

    for (size_t k = 0; k < n && k < ARRAY_SIZE(ids); k++) {
        const X86InsnInfo *info = x86_insn_info(ids[k]);
        if (!info || !row_is_simd(info) || row_is_approx(info)) {
            continue;
        }
        rows++;
        bool row_ok = true;
        for (int r = 0; r < 24 && row_ok; r++) {
            X86EncodeOpts o = {
                .mode = X86_MODE_LONG64,
                .flags = X86_ENC_SIMPLE_MEM | X86_ENC_NO_PREFIXES,
                .avoid_gprs = (1u << R_EBX) | (1u << R_ESP) | (1u << R_ESI) | (1u << R_EDI),
                .mem_base = R_EBX,
                .features = host_feats,
            };
            uint8_t code[16];
            int len = x86_insn_encode(ids[k], &o, &rng, code);
            if (len <= 0) {
                break;
            }
            runs++;
            row_ok = run_both(info->name, code, (size_t)len, 0x1f80);
        }
        if (!row_ok) {
            bad_rows++;
        }
    }
    printf("  %u SIMD rows, %u encodings, %u rows mismatching\n", rows, runs, bad_rows);
    CHECK(runs_completed > runs / 2);
    print_outcomes();
    CHECK(rows > 200);
    CHECK_EQ(bad_rows, 0);
}

/* ---- what the host cannot show: CR0.TS/EM and CR4.OSFXSR ---- */

static int dbt_vector(const uint8_t *code, size_t len, uint64_t cr0_set, uint64_t cr4_clear)
{
    static XdState in, out;

    rand_state(&in, 0x1f80);
    dbt_run(code, len, &in, &out, cr0_set, cr4_clear);
    return out.vector;
}

static void test_control_bits(void)
{
    static const uint8_t paddb_mm[] = { 0x0f, 0xfc, 0xc1 };
    static const uint8_t paddb_xmm[] = { 0x66, 0x0f, 0xfc, 0xc1 };
    static const uint8_t addps[] = { 0x0f, 0x58, 0xc1 };
    static const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x13 };
    static const uint8_t fxsave[] = { 0x0f, 0xae, 0x03 };
    static const uint8_t cvtpi2ps[] = { 0x0f, 0x2a, 0xca };
    static const uint8_t emms[] = { 0x0f, 0x77 };

    /* the baseline runs to the end */
    CHECK_EQ(dbt_vector(paddb_mm, 3, 0, 0), -1);
    CHECK_EQ(dbt_vector(addps, 3, 0, 0), -1);
    /* CR0.TS: #NM for every class */
    CHECK_EQ(dbt_vector(paddb_mm, 3, CR0_TS, 0), EXCP_NM);
    CHECK_EQ(dbt_vector(paddb_xmm, 4, CR0_TS, 0), EXCP_NM);
    CHECK_EQ(dbt_vector(addps, 3, CR0_TS, 0), EXCP_NM);
    CHECK_EQ(dbt_vector(fxsave, 3, CR0_TS, 0), EXCP_NM);
    CHECK_EQ(dbt_vector(emms, 2, CR0_TS, 0), EXCP_NM);
    /* CR0.EM: #UD for MMX and SSE, #NM for FXSAVE */
    CHECK_EQ(dbt_vector(paddb_mm, 3, CR0_EM, 0), EXCP_UD);
    CHECK_EQ(dbt_vector(addps, 3, CR0_EM, 0), EXCP_UD);
    CHECK_EQ(dbt_vector(fxsave, 3, CR0_EM, 0), EXCP_NM);
    /* CR4.OSFXSR clear: #UD for SSE (and CVTPI2PS), MMX unaffected */
    CHECK_EQ(dbt_vector(addps, 3, 0, CR4_OSFXSR), EXCP_UD);
    CHECK_EQ(dbt_vector(paddb_xmm, 4, 0, CR4_OSFXSR), EXCP_UD);
    CHECK_EQ(dbt_vector(ldmxcsr, 3, 0, CR4_OSFXSR), EXCP_UD);
    CHECK_EQ(dbt_vector(cvtpi2ps, 3, 0, CR4_OSFXSR), EXCP_UD);
    CHECK_EQ(dbt_vector(paddb_mm, 3, 0, CR4_OSFXSR), -1);
    /* #XM needs CR4.OSXMMEXCPT; without it an unmasked SSE exception is #UD */
    {
        static XdState in, out;
        static const uint8_t divps[] = { 0x0f, 0x5e, 0xca };
        rand_state(&in, 0x1d80);
        memset(in.fx + FX_XMM + 32, 0, 16); /* xmm2 = 0: divide by zero */
        put32(in.fx + FX_XMM + 16, 0x3f800000);
        dbt_run(divps, 3, &in, &out, 0, 0);
        CHECK_EQ(out.vector, EXCP_XM);
        dbt_run(divps, 3, &in, &out, 0, CR4_OSXMMEXCPT);
        CHECK_EQ(out.vector, EXCP_UD);
    }
}

static uint64_t detect_host_features(void)
{
    uint64_t f = X86_FEATBIT(X86_FEAT_BASE);

    __builtin_cpu_init();
    f |= X86_FEATBIT(X86_FEAT_FXSR) | X86_FEATBIT(X86_FEAT_MMX) | X86_FEATBIT(X86_FEAT_SSE) |
         X86_FEATBIT(X86_FEAT_SSE2); /* every x86-64 CPU */
    if (__builtin_cpu_supports("sse3")) {
        f |= X86_FEATBIT(X86_FEAT_SSE3);
    }
    if (__builtin_cpu_supports("ssse3")) {
        f |= X86_FEATBIT(X86_FEAT_SSSE3);
    }
    return f;
}

int main(void)
{
    const char *why = NULL;

    if (!xd_native_init(&why)) {
        test_skip("simd-snippets", why);
        test_skip("simd-mxcsr-exceptions", why);
        test_skip("simd-table-rows", why);
        test_skip("simd-control-bits", why);
        return test_summary();
    }
    host_feats = detect_host_features();
    rig = x86_rig_new(RIG_RAM, NULL);
    test_run("simd-snippets", test_snippets);
    test_run("simd-mxcsr-exceptions", test_mxcsr_exceptions);
    test_run("simd-table-rows", test_table_rows);
    test_run("simd-control-bits", test_control_bits);
    x86_rig_free(rig);
    return test_summary();
}

#else

int main(void)
{
    const char *why = "needs an x86-64 Linux host (the host CPU is the oracle)";
    test_skip("simd-snippets", why);
    test_skip("simd-mxcsr-exceptions", why);
    test_skip("simd-table-rows", why);
    test_skip("simd-control-bits", why);
    return test_summary();
}

#endif
