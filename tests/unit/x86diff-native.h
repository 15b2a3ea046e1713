/*
 * Differential CPU tester, native side: runs a byte sequence on the host CPU
 * in a sandbox at fixed addresses and captures the architectural state after
 * it (or at the instruction that faulted, with the vector).
 *
 * Only test-x86-diff.c includes this; it is a header so that it is not linked
 * into every other unit test.
 *
 * Memory layout (the same virtual addresses in the host process and, identity
 * mapped, in the test rig's guest RAM):
 *   XD_CODE     prologue (native only), then the sequence at XD_SEQ and the
 *               epilogue right after it
 *   XD_DATA     data area the sequence's memory operands point into
 *   XD_STACK    stack area (RSP starts in its middle)
 *   XD_HARNESS  input/output state and the saved host state (native only)
 */
#ifndef TESTS_UNIT_X86DIFF_NATIVE_H
#define TESTS_UNIT_X86DIFF_NATIVE_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define XD_REGION 0x01000000ull
#define XD_CODE XD_REGION
#define XD_CODE_SIZE 0x4000u
#define XD_SEQ (XD_CODE + 0x1000)
#define XD_SEQ_MAX 0x2800u /* sequence + epilogue must fit below XD_CODE + XD_CODE_SIZE */
#define XD_DATA (XD_REGION + 0x10000)
#define XD_DATA_SIZE 0x1000u
#define XD_STACK (XD_DATA + XD_DATA_SIZE)
#define XD_STACK_SIZE 0x1000u
#define XD_HARNESS (XD_REGION + 0x20000)
#define XD_HARNESS_SIZE 0x1000u

/* Harness layout */
#define XD_IN_GPR (XD_HARNESS + 0x000)
#define XD_IN_FLAGS (XD_HARNESS + 0x080)
#define XD_HOST_RSP (XD_HARNESS + 0x088)
#define XD_OUT_GPR (XD_HARNESS + 0x090)
#define XD_OUT_FLAGS (XD_HARNESS + 0x110)
#define XD_IN_FX (XD_HARNESS + 0x200)
#define XD_OUT_FX (XD_HARNESS + 0x400)
#define XD_HOST_FX (XD_HARNESS + 0x600)

/* Architectural state compared between the host and the DBT. */
typedef struct XdState {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    int vector; /* -1: ran to the end of the sequence */
    uint8_t fx[512] __attribute__((aligned(16))); /* FXSAVE layout: x87, MXCSR, XMM */
    uint8_t mem[XD_DATA_SIZE + XD_STACK_SIZE];  /* data area then stack area */
} XdState;

/* FXSAVE image offsets (SDM vol. 1, 10.5.1, table 10-2) */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_ST 32
#define FX_XMM 160

typedef struct XdAsm {
    uint8_t *p;
    size_t n;
} XdAsm;

static void xd_b(XdAsm *a, unsigned v)
{
    a->p[a->n++] = (uint8_t)v;
}

static void xd_d(XdAsm *a, uint32_t v)
{
    memcpy(a->p + a->n, &v, 4);
    a->n += 4;
}

/* op reg, [abs32]  (REX.W op /reg with SIB absolute addressing) */
static void xd_abs(XdAsm *a, unsigned rex, unsigned op0, int op1, unsigned reg, uint64_t addr)
{
    xd_b(a, 0x48 | rex | ((reg & 8) ? 4 : 0));
    xd_b(a, op0);
    if (op1 >= 0) {
        xd_b(a, (unsigned)op1);
    }
    xd_b(a, 0x04 | ((reg & 7) << 3));
    xd_b(a, 0x25);
    xd_d(a, (uint32_t)addr);
}

static sigjmp_buf xd_jmp;
static XdState *xd_fault_out;
static volatile int xd_in_seq;
static size_t xd_seq_len;
static bool xd_native_ok;

/* Maps a uc_mcontext greg index to our encoding-order register number. */
static const int xd_greg_of[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void xd_signal(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    uint64_t rip = (uint64_t)g[REG_RIP];

    if (!xd_in_seq || rip < XD_SEQ || rip >= XD_SEQ + xd_seq_len || !xd_fault_out) {
        /* Not ours: a real crash of the test; let it happen the normal way. */
        signal(sig, SIG_DFL);
        return;
    }
    XdState *o = xd_fault_out;
    for (int i = 0; i < 16; i++) {
        o->gpr[i] = (uint64_t)g[xd_greg_of[i]];
    }
    o->rip = rip;
    o->rflags = (uint64_t)g[REG_EFL];
    o->vector = (int)g[REG_TRAPNO];
    if (uc->uc_mcontext.fpregs) {
        memcpy(o->fx, uc->uc_mcontext.fpregs, 512);
    }
    xd_in_seq = 0;
    siglongjmp(xd_jmp, 1);
}

/* Map the sandbox and write the prologue.  False (with a reason) if impossible. */
static bool xd_native_init(const char **why)
{
    static uint8_t altstack[1 << 16];
    void *p;

    p = mmap((void *)XD_CODE, XD_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)XD_CODE) {
        *why = "cannot map an RWX code page at the sandbox address";
        return false;
    }
    p = mmap((void *)XD_DATA, XD_DATA_SIZE + XD_STACK_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)XD_DATA) {
        *why = "cannot map the data area at the sandbox address";
        return false;
    }
    p = mmap((void *)XD_HARNESS, XD_HARNESS_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)XD_HARNESS) {
        *why = "cannot map the harness area at the sandbox address";
        return false;
    }

    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = xd_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);

    /* Prologue: save the host, load the guest state, jump to the sequence. */
    XdAsm a = { (uint8_t *)XD_CODE, 0 };
    static const uint8_t saves[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
    for (size_t i = 0; i < sizeof(saves); i++) {
        xd_b(&a, saves[i]);
    }
    xd_abs(&a, 0, 0x89, -1, 4, XD_HOST_RSP);         /* mov [host_rsp], rsp */
    xd_abs(&a, 0, 0x0f, 0xae, 0, XD_HOST_FX);        /* fxsave64 [host_fx] */
    xd_abs(&a, 0, 0x0f, 0xae, 1, XD_IN_FX);          /* fxrstor64 [in_fx] */
    xd_b(&a, 0x48);                                  /* mov rsp, in_flags */
    xd_b(&a, 0xc7);
    xd_b(&a, 0xc4);
    xd_d(&a, (uint32_t)XD_IN_FLAGS);
    xd_b(&a, 0x9d);                                  /* popfq */
    for (unsigned r = 0; r < 16; r++) {
        if (r != 4) {
            xd_abs(&a, 0, 0x8b, -1, r, XD_IN_GPR + 8 * r);
        }
    }
    xd_abs(&a, 0, 0x8b, -1, 4, XD_IN_GPR + 8 * 4);   /* rsp last */
    xd_b(&a, 0xe9);                                  /* jmp XD_SEQ */
    xd_d(&a, (uint32_t)(XD_SEQ - (XD_CODE + a.n + 4)));
    xd_native_ok = true;
    return true;
}

/* The epilogue at the end of the sequence: save the guest, restore the host. */
static size_t xd_put_epilogue(uint8_t *at)
{
    XdAsm a = { at, 0 };
    for (unsigned r = 0; r < 16; r++) {
        xd_abs(&a, 0, 0x89, -1, r, XD_OUT_GPR + 8 * r);
    }
    xd_b(&a, 0x48);                                  /* mov rsp, out_flags + 8 */
    xd_b(&a, 0xc7);
    xd_b(&a, 0xc4);
    xd_d(&a, (uint32_t)(XD_OUT_FLAGS + 8));
    xd_b(&a, 0x9c);                                  /* pushfq */
    xd_abs(&a, 0, 0x0f, 0xae, 0, XD_OUT_FX);         /* fxsave64 [out_fx] */
    xd_abs(&a, 0, 0x0f, 0xae, 1, XD_HOST_FX);        /* fxrstor64 [host_fx] */
    xd_abs(&a, 0, 0x8b, -1, 4, XD_HOST_RSP);         /* mov rsp, [host_rsp] */
    xd_b(&a, 0xfc);                                  /* cld */
    static const uint8_t restores[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c,
                                        0x5d, 0x5b, 0xc3 };
    for (size_t i = 0; i < sizeof(restores); i++) {
        xd_b(&a, restores[i]);
    }
    return a.n;
}

static void xd_host_fxrstor(void)
{
    __asm__ volatile("fxrstor64 (%0)" : : "r"((void *)XD_HOST_FX) : "memory");
}

/*
 * Run code[0..len) at XD_SEQ from state in (gpr, rflags, fx, mem); the result
 * goes to out.  out->vector is -1 when the sequence ran to its end.
 */
static void xd_native_run(const uint8_t *code, size_t len, const XdState *in, XdState *out)
{
    uint8_t *seq = (uint8_t *)XD_SEQ;
    memcpy(seq, code, len);
    xd_put_epilogue(seq + len);
    xd_seq_len = len;
    memcpy((void *)XD_IN_GPR, in->gpr, sizeof(in->gpr));
    memcpy((void *)XD_IN_FLAGS, &in->rflags, 8);
    memcpy((void *)XD_IN_FX, in->fx, 512);
    memcpy((void *)XD_DATA, in->mem, sizeof(in->mem));
    __builtin___clear_cache((char *)seq, (char *)seq + len + 256);

    xd_fault_out = out;
    if (sigsetjmp(xd_jmp, 1) == 0) {
        xd_in_seq = 1;
        ((void (*)(void))XD_CODE)();
        xd_in_seq = 0;
        memcpy(out->gpr, (void *)XD_OUT_GPR, sizeof(out->gpr));
        memcpy(&out->rflags, (void *)XD_OUT_FLAGS, 8);
        memcpy(out->fx, (void *)XD_OUT_FX, 512);
        out->rip = XD_SEQ + len;
        out->vector = -1;
    } else {
        /* The kernel handed the handler a clean FPU; put the host's back. */
        xd_host_fxrstor();
    }
    memcpy(out->mem, (void *)XD_DATA, sizeof(out->mem));
}

#endif
