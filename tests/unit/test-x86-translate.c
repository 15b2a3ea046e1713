/*
 * The x86 DBT frontend end to end: hand-assembled snippets run through the
 * test rig (decoder -> translator -> optimizer -> interpreter -> exec loop
 * -> softmmu) in real, 32-bit and 64-bit modes, checking registers, flags
 * and memory, exact state at a fault in the middle of a block, and
 * self-modifying code.
 */
#include "cpu/x86/test_rig.h"

#include <inttypes.h>
#include <string.h>

#include "cpu/x86/cc.h"
#include "cpu/x86/cpu.h"
#include "tests/unit/test.h"

#define CODE 0x1000u

static X86TestRig *rig;

/* Fresh rig in mode, code at CODE, RSP at 0x8000; runs until HLT or max insns. */
static X86RigResult run(X86RigMode mode, const uint8_t *code, size_t len, bool stop_exc,
                        void (*setup)(CPUX86State *env, uint8_t *ram))
{
    CPUX86State *env;

    x86_rig_free(rig);
    rig = x86_rig_new(2u << 20, NULL);
    x86_rig_enter_mode(rig, mode, 0);
    env = x86_rig_env(rig);
    memcpy(x86_rig_ram(rig) + CODE, code, len);
    env->rip = CODE;
    env->regs[R_ESP] = 0x8000;
    if (setup) {
        setup(env, x86_rig_ram(rig));
    }
    x86_rig_code_changed(rig);
    return x86_rig_run(rig, 1000, stop_exc);
}

static CPUX86State *E(void)
{
    return x86_rig_env(rig);
}

static void test_real_basic(void)
{
    /* mov ax,0x1234; add ax,1; mov bx,ax; hlt */
    static const uint8_t c[] = {0xb8, 0x34, 0x12, 0x05, 0x01, 0x00, 0x89, 0xc3, 0xf4};
    X86RigResult r = run(X86_RIG_REAL, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(r.insns, 4);
    CHECK_EQ(E()->regs[R_EBX] & 0xffff, 0x1235);
    CHECK_EQ(E()->rip, CODE + sizeof(c));
    CHECK_EQ(x86_get_eflags(E()) & (X86_EFL_CF | X86_EFL_ZF), 0);
}

static void test_real_loop(void)
{
    /* mov cx,5; xor ax,ax; l: add ax,cx; loop l; hlt */
    static const uint8_t c[] = {0xb9, 0x05, 0x00, 0x31, 0xc0, 0x01, 0xc8, 0xe2, 0xfc, 0xf4};
    X86RigResult r = run(X86_RIG_REAL, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_EAX] & 0xffff, 15);
    CHECK_EQ(E()->regs[R_ECX] & 0xffff, 0);
    CHECK_EQ(r.insns, 2 + 5 * 2 + 1);
}

static void test_real_call_ret(void)
{
    /* call 0x1004; hlt; inc ax; ret */
    static const uint8_t c[] = {0xe8, 0x01, 0x00, 0xf4, 0x40, 0xc3};
    X86RigResult r = run(X86_RIG_REAL, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_EAX] & 0xffff, 1);
    CHECK_EQ(E()->regs[R_ESP] & 0xffff, 0x8000);
    CHECK_EQ(E()->rip, CODE + 4);
    CHECK_EQ(x86_rig_ram(rig)[0x7ffe], 0x03);
    CHECK_EQ(x86_rig_ram(rig)[0x7fff], 0x10);
}

static void setup_movs(CPUX86State *env, uint8_t *ram)
{
    memcpy(ram + 0x2000, "hello", 5);
    env->regs[R_ESI] = 0x2000;
    env->regs[R_EDI] = 0x3000;
    env->regs[R_ECX] = 5;
}

static void test_real_rep_movsb(void)
{
    /* cld; rep movsb; hlt */
    static const uint8_t c[] = {0xfc, 0xf3, 0xa4, 0xf4};
    X86RigResult r = run(X86_RIG_REAL, c, sizeof(c), false, setup_movs);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK(memcmp(x86_rig_ram(rig) + 0x3000, "hello", 5) == 0);
    CHECK_EQ(E()->regs[R_ECX] & 0xffff, 0);
    CHECK_EQ(E()->regs[R_ESI] & 0xffff, 0x2005);
    CHECK_EQ(E()->regs[R_EDI] & 0xffff, 0x3005);
}

static void test_real_repe_cmpsb(void)
{
    /* cld; repe cmpsb; hlt: "hello" vs "help!" stops after the 4th byte */
    static const uint8_t c[] = {0xfc, 0xf3, 0xa6, 0xf4};
    X86RigResult r;

    x86_rig_free(rig);
    rig = NULL;
    r = run(X86_RIG_REAL, c, sizeof(c), false, setup_movs);
    (void)r;
    memcpy(x86_rig_ram(rig) + 0x3000, "help!", 5);
    E()->rip = CODE;
    E()->regs[R_ESI] = 0x2000;
    E()->regs[R_EDI] = 0x3000;
    E()->regs[R_ECX] = 5;
    r = x86_rig_run(rig, 1000, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_ECX] & 0xffff, 1);
    CHECK_EQ(E()->regs[R_ESI] & 0xffff, 0x2004);
    CHECK_EQ(x86_get_eflags(E()) & X86_EFL_ZF, 0);
}

static void test_real_limit_fault(void)
{
    /* mov ax,1; mov ax,[0xffff] -> #GP(0) in real mode, state before the insn */
    static const uint8_t c[] = {0xb8, 0x01, 0x00, 0x8b, 0x06, 0xff, 0xff, 0xf4};
    X86RigResult r = run(X86_RIG_REAL, c, sizeof(c), true, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, EXCP_GP);
    CHECK_EQ(r.insns, 1);
    CHECK_EQ(E()->rip, CODE + 3);
    CHECK_EQ(E()->regs[R_EAX] & 0xffff, 1);
}

static void test_real_div_zero(void)
{
    /* mov ax,5; xor bl,bl; div bl -> #DE */
    static const uint8_t c[] = {0xb8, 0x05, 0x00, 0x30, 0xdb, 0xf6, 0xf3, 0xf4};
    X86RigResult r = run(X86_RIG_REAL, c, sizeof(c), true, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, EXCP_DE);
    CHECK_EQ(E()->rip, CODE + 5);
    CHECK_EQ(x86_get_eflags(E()) & X86_EFL_ZF, X86_EFL_ZF); /* from xor bl,bl */
}

static void test_real_smc(void)
{
    /* mov byte [0x1008],0x41; nop x3; inc ax (rewritten to inc cx); hlt */
    static const uint8_t c[] = {0xc6, 0x06, 0x08, 0x10, 0x41, 0x90, 0x90, 0x90, 0x40, 0xf4};
    X86RigResult r = run(X86_RIG_REAL, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_EAX] & 0xffff, 0);
    CHECK_EQ(E()->regs[R_ECX] & 0xffff, 1);
    CHECK_EQ(r.insns, 6);
}

static void test_prot32_flags(void)
{
    /* mov eax,-1; add eax,1; setc bl; setz bh; mov ecx,0x80000001; shl ecx,1; hlt */
    static const uint8_t c[] = {0xb8, 0xff, 0xff, 0xff, 0xff, 0x83, 0xc0, 0x01,
                                0x0f, 0x92, 0xc3, 0x0f, 0x94, 0xc7,
                                0xb9, 0x01, 0x00, 0x00, 0x80, 0xd1, 0xe1, 0xf4};
    X86RigResult r = run(X86_RIG_PROT32, c, sizeof(c), false, NULL);
    uint64_t fl = x86_get_eflags(E());

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_EAX], 0);
    CHECK_EQ(E()->regs[R_EBX] & 0xffff, 0x0101);
    CHECK_EQ(E()->regs[R_ECX], 2);
    CHECK_EQ(fl & (X86_EFL_CF | X86_EFL_OF | X86_EFL_ZF), X86_EFL_CF | X86_EFL_OF);
}

static void test_prot32_idiv(void)
{
    /* mov eax,-100; mov ecx,7; cdq; idiv ecx; imul edx,eax,3; hlt */
    static const uint8_t c[] = {0xb8, 0x9c, 0xff, 0xff, 0xff, 0xb9, 0x07, 0x00, 0x00, 0x00,
                                0x99, 0xf7, 0xf9, 0x6b, 0xd0, 0x03, 0xf4};
    X86RigResult r = run(X86_RIG_PROT32, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_EAX], (uint32_t)-14);
    CHECK_EQ(E()->regs[R_EDX], (uint32_t)-42);
}

static void test_long64_basic(void)
{
    /* mov rax,imm64; push rax; pop rcx; shl rcx,4; bsf rdx,rcx; hlt */
    static const uint8_t c[] = {0x48, 0xb8, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12,
                                0x50, 0x59, 0x48, 0xc1, 0xe1, 0x04, 0x48, 0x0f, 0xbc, 0xd1,
                                0xf4};
    X86RigResult r = run(X86_RIG_LONG64, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_ECX], 0x23456789abcdef00ull);
    CHECK_EQ(E()->regs[R_EDX], 8);
    CHECK_EQ(E()->regs[R_ESP], 0x8000);
}

static void test_long64_fault_mid_block(void)
{
    /* mov eax,1; add eax,eax; mov rcx,[0x40000000] (unmapped: #PF); hlt */
    static const uint8_t c[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0x01, 0xc0,
                                0x48, 0x8b, 0x0c, 0x25, 0x00, 0x00, 0x00, 0x40, 0xf4};
    X86RigResult r = run(X86_RIG_LONG64, c, sizeof(c), true, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_EXCEPTION);
    CHECK_EQ(r.vector, EXCP_PF);
    CHECK_EQ(r.insns, 2);
    CHECK_EQ(E()->rip, CODE + 7);
    CHECK_EQ(E()->regs[R_EAX], 2);
    CHECK_EQ(E()->cr[2], 0x40000000);
    CHECK_EQ(x86_get_eflags(E()) & (X86_EFL_ZF | X86_EFL_CF | X86_EFL_PF), 0);
}

static void test_long64_cmpxchg_bt(void)
{
    /* mov [0x2000],rbx; cmpxchg [0x2000],rcx (rax==rbx); bts qword [0x2000],3; hlt */
    static const uint8_t c[] = {0x48, 0x89, 0x1c, 0x25, 0x00, 0x20, 0x00, 0x00,
                                0x48, 0x0f, 0xb1, 0x0c, 0x25, 0x00, 0x20, 0x00, 0x00,
                                0x48, 0x0f, 0xba, 0x2c, 0x25, 0x00, 0x20, 0x00, 0x00, 0x03,
                                0xf4};
    X86RigResult r;

    x86_rig_free(rig);
    rig = x86_rig_new(2u << 20, NULL);
    x86_rig_enter_mode(rig, X86_RIG_LONG64, 0);
    memcpy(x86_rig_ram(rig) + CODE, c, sizeof(c));
    x86_rig_code_changed(rig);
    E()->rip = CODE;
    E()->regs[R_ESP] = 0x8000;
    E()->regs[R_EAX] = 0x55;
    E()->regs[R_EBX] = 0x55;
    E()->regs[R_ECX] = 0x100;
    r = x86_rig_run(rig, 100, false);
    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(x86_rig_ram(rig)[0x2000], 0x08);
    CHECK_EQ(x86_rig_ram(rig)[0x2001], 0x01);
    CHECK_EQ(x86_get_eflags(E()) & X86_EFL_CF, 0);
}

static void clear_rsi(CPUX86State *env, uint8_t *ram)
{
    (void)ram;
    env->regs[R_ESI] = 0;
}

/*
 * INC and ADC/SBB first in a block read CF of whatever lazy state the block is entered
 * with.  The translator guesses the cc_op of the first entry and computes CF inline when
 * the guess holds; the blocks at L and A are entered after SUB, ADD, LOGIC, SHL and
 * EFLAGS states, so both the guessed path and the helper path run.
 */
static void test_long64_carry_at_block_start(void)
{
    /*
     *     xor ecx,ecx; xor edx,edx; xor edi,edi; mov eax,1
     *     cmp eax,2; call L     (CF=1, SUB)     add eax,-1; call L  (CF=1, ADD)
     *     test eax,eax; call L  (CF=0, LOGIC)   mov bl,0x81; shl bl,1; call L (CF=1, SHL)
     *     stc; call L           clc; call L     cmp eax,0; call L   (CF=0, SUB)
     *     mov eax,5; cmp eax,7; call A (CF=1)   sub eax,9; call A   (CF=1)
     *     add eax,4; call A     (CF=1, ADD)     or eax,eax; call A  (CF=0)
     *     hlt
     * L:  inc edx; adc ecx,ecx; ret
     * A:  sbb edi,edi; adc edi,edi; lea esi,[rdi+rsi*2]; ret
     */
    static const uint8_t c[] = {
        0x31, 0xc9, 0x31, 0xd2, 0x31, 0xff, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x83,
        0xf8, 0x02, 0xe8, 0x51, 0x00, 0x00, 0x00, 0x83, 0xc0, 0xff, 0xe8, 0x49,
        0x00, 0x00, 0x00, 0x85, 0xc0, 0xe8, 0x42, 0x00, 0x00, 0x00, 0xb3, 0x81,
        0xd0, 0xe3, 0xe8, 0x39, 0x00, 0x00, 0x00, 0xf9, 0xe8, 0x33, 0x00, 0x00,
        0x00, 0xf8, 0xe8, 0x2d, 0x00, 0x00, 0x00, 0x83, 0xf8, 0x00, 0xe8, 0x25,
        0x00, 0x00, 0x00, 0xb8, 0x05, 0x00, 0x00, 0x00, 0x83, 0xf8, 0x07, 0xe8,
        0x1d, 0x00, 0x00, 0x00, 0x83, 0xe8, 0x09, 0xe8, 0x15, 0x00, 0x00, 0x00,
        0x83, 0xc0, 0x04, 0xe8, 0x0d, 0x00, 0x00, 0x00, 0x09, 0xc0, 0xe8, 0x06,
        0x00, 0x00, 0x00, 0xf4, 0xff, 0xc2, 0x11, 0xc9, 0xc3, 0x19, 0xff, 0x11,
        0xff, 0x8d, 0x34, 0x77, 0xc3};
    X86RigResult r = run(X86_RIG_LONG64, c, sizeof(c), false, clear_rsi);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_EDX], 7);
    /* CF at L's entries, oldest first: 1 1 0 1 1 0 0. */
    CHECK_EQ(E()->regs[R_ECX], 0x6c);
    /* A: edi = -CF each time; esi = edi + 2 * esi over CF 1 1 1 0. */
    CHECK_EQ(E()->regs[R_ESI], 0xfffffff2u);
    CHECK_EQ(E()->regs[R_ESP], 0x8000);
}

/* The same for SETcc and Jcc first in a block (guess SUB; then SUB, LOGIC, ADD, LOGIC). */
static void test_long64_cond_at_block_start(void)
{
    /*
     *     xor ecx,ecx; xor esi,esi; mov edx,1
     *     cmp edx,2; call J          (LE, L)    cmp edx,0; call J       (neither)
     *     mov edx,-1; test edx,edx; call J      (LE, L)
     *     mov edx,0x7fffffff; add edx,1; call J (SF = OF: neither)
     *     xor edx,edx; call J        (LE by ZF, not L)
     *     hlt
     * J:  setle al; movzx eax,al; lea ecx,[rax+rcx*2]; jmp K
     * K:  jl L1; ret
     * L1: inc esi; ret
     */
    static const uint8_t c[] = {
        0x31, 0xc9, 0x31, 0xf6, 0xba, 0x01, 0x00, 0x00, 0x00, 0x83, 0xfa, 0x02,
        0xe8, 0x29, 0x00, 0x00, 0x00, 0x83, 0xfa, 0x00, 0xe8, 0x21, 0x00, 0x00,
        0x00, 0xba, 0xff, 0xff, 0xff, 0xff, 0x85, 0xd2, 0xe8, 0x15, 0x00, 0x00,
        0x00, 0xba, 0xff, 0xff, 0xff, 0x7f, 0x83, 0xc2, 0x01, 0xe8, 0x08, 0x00,
        0x00, 0x00, 0x31, 0xd2, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0x0f, 0x9e,
        0xc0, 0x0f, 0xb6, 0xc0, 0x8d, 0x0c, 0x48, 0xeb, 0x00, 0x7c, 0x01, 0xc3,
        0xff, 0xc6, 0xc3};
    X86RigResult r = run(X86_RIG_LONG64, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_ECX], 0x15); /* LE: 1 0 1 0 1 */
    CHECK_EQ(E()->regs[R_ESI], 2);    /* L:  1 0 1 0 0 */
    CHECK_EQ(E()->regs[R_ESP], 0x8000);
}

static void test_long64_setcc_after_cmp_in_block(void)
{
    /*
     * One block: the flag tests use the CMP/SUB's minuend (noted by the translator), which
     * must be the value before the minuend register was overwritten.
     *     xor ecx,ecx; xor edx,edx; xor esi,esi; xor edi,edi; xor r8d..r10d
     *     mov eax,5; mov ebx,7; cmp eax,ebx; mov eax,100; setb cl; setl dl
     *     sub ebx,eax; setb sil; seta dil; setg r8b
     *     mov rax,-1; cmp rax,1; mov eax,0; seta r9b; setl r10b; hlt
     */
    static const uint8_t c[] = {
        0x31, 0xc9, 0x31, 0xd2, 0x31, 0xf6, 0x31, 0xff, 0x45, 0x31, 0xc0, 0x45, 0x31, 0xc9,
        0x45, 0x31, 0xd2, 0xb8, 0x05, 0x00, 0x00, 0x00, 0xbb, 0x07, 0x00, 0x00, 0x00, 0x39,
        0xd8, 0xb8, 0x64, 0x00, 0x00, 0x00, 0x0f, 0x92, 0xc1, 0x0f, 0x9c, 0xc2, 0x29, 0xc3,
        0x40, 0x0f, 0x92, 0xc6, 0x40, 0x0f, 0x97, 0xc7, 0x41, 0x0f, 0x9f, 0xc0, 0x48, 0xc7,
        0xc0, 0xff, 0xff, 0xff, 0xff, 0x48, 0x83, 0xf8, 0x01, 0xb8, 0x00, 0x00, 0x00, 0x00,
        0x41, 0x0f, 0x97, 0xc1, 0x41, 0x0f, 0x9c, 0xc2, 0xf4};
    X86RigResult r = run(X86_RIG_LONG64, c, sizeof(c), false, NULL);

    CHECK_EQ(r.stop, X86_RIG_STOP_HLT);
    CHECK_EQ(E()->regs[R_ECX], 1);  /* 5 < 7 unsigned */
    CHECK_EQ(E()->regs[R_EDX], 1);  /* 5 < 7 signed */
    CHECK_EQ(E()->regs[R_ESI], 1);  /* 7 - 100 borrows */
    CHECK_EQ(E()->regs[R_EDI], 0);  /* not 7 > 100 */
    CHECK_EQ(E()->regs[8], 0);      /* not 7 > 100 signed */
    CHECK_EQ(E()->regs[9], 1);      /* ~0 > 1 unsigned */
    CHECK_EQ(E()->regs[10], 1);     /* -1 < 1 signed */
    CHECK_EQ(E()->regs[R_EBX], (uint32_t)(7 - 100));
}

/* cc_compute_c is a shortcut: it must equal the CF of cc_compute_all for every state. */
static void test_cc_compute_c(void)
{
    static const uint64_t vals[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
                                    0x7fffffff, 0x80000000u, 0xffffffffu, 0x100000000ull,
                                    0x7fffffffffffffffull, 0x8000000000000000ull, UINT64_MAX};
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned bad = 0;

    for (int op = -1; op < CC_OP_NB + 2; op++) {
        for (unsigned i = 0; i < 4000; i++) {
            uint64_t v[3];
            for (unsigned k = 0; k < 3; k++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                v[k] = (seed >> 40) & 1 ? vals[(seed >> 8) % ARRAY_SIZE(vals)] : seed;
            }
            if (cc_compute_c(v[0], v[1], v[2], op) !=
                (cc_compute_all(v[0], v[1], v[2], op) & X86_EFL_CF)) {
                bad++;
            }
        }
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    test_run("cc: cc_compute_c agrees with cc_compute_all", test_cc_compute_c);
    test_run("real: mov/add", test_real_basic);
    test_run("real: loop", test_real_loop);
    test_run("real: call/ret", test_real_call_ret);
    test_run("real: rep movsb", test_real_rep_movsb);
    test_run("real: repe cmpsb", test_real_repe_cmpsb);
    test_run("real: word at 0xffff faults", test_real_limit_fault);
    test_run("real: div by zero", test_real_div_zero);
    test_run("real: self-modifying code", test_real_smc);
    test_run("prot32: flags", test_prot32_flags);
    test_run("prot32: idiv/imul", test_prot32_idiv);
    test_run("long64: basic", test_long64_basic);
    test_run("long64: #PF mid-block", test_long64_fault_mid_block);
    test_run("long64: cmpxchg/bts", test_long64_cmpxchg_bt);
    test_run("long64: INC/ADC/SBB first in a block", test_long64_carry_at_block_start);
    test_run("long64: SETcc/Jcc first in a block", test_long64_cond_at_block_start);
    test_run("long64: SETcc after CMP/SUB in the block, minuend overwritten",
             test_long64_setcc_after_cmp_in_block);
    x86_rig_free(rig);
    return test_summary();
}
