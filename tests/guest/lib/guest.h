/*
 * Runtime for Osprey's guest test programs: port I/O, a printf to the debug console
 * (port 0xe9), exception capture, descriptor-table helpers, and running code at CPL3.
 * A test defines guest_main(); the runtime prints "PASS name" or "FAIL name: ..." lines and
 * ends through isa-debug-exit at 0xf4: 0x10 (exit status 33) for pass, 0x11 (35) for fail.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdint.h>

#ifndef GUEST_NAME
#define GUEST_NAME "guest"
#endif

#define DEBUG_EXIT_PORT 0xf4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x11

/* Selectors of the runtime GDT (lib.c); the order suits SYSCALL/SYSRET and SYSENTER. */
#define SEL_KCODE32 0x08
#define SEL_KDATA   0x10
#define SEL_UCODE32 0x1b
#define SEL_UDATA   0x23
#define SEL_UCODE64 0x2b
#define SEL_KCODE64 0x30
#define SEL_KDATA2  0x38
#define SEL_TSS     0x40
#define GDT_FREE    10          /* first index free for tests (0x50) */
#define GDT_ENTRIES 64

#ifdef __x86_64__
#define SEL_KCODE SEL_KCODE64
#define SEL_UCODE SEL_UCODE64
#else
#define SEL_KCODE SEL_KCODE32
#define SEL_UCODE SEL_UCODE32
#endif

/* Exception vectors (SDM vol. 3, 6.3.1). */
enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6,
    VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14,
    VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19,
};

/* What trap_common saved: lowest address first. */
#ifdef __x86_64__
typedef struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, bp, di, si, dx, cx, bx, ax;
    uint64_t vec, err, ip, cs, flags, sp, ss;
} TrapFrame;
#else
typedef struct TrapFrame {
    uint32_t es, ds;
    uint32_t di, si, bp, unused_sp, bx, dx, cx, ax;
    uint32_t vec, err, ip, cs, flags;
    uint32_t sp, ss;                    /* only when the CPL changed */
    uint32_t v86_es, v86_ds, v86_fs, v86_gs; /* only when leaving virtual-8086 mode */
} TrapFrame;
#endif

typedef struct TrapRecord {
    int hit;                    /* number of exceptions recorded since trap_clear() */
    unsigned long vec, err, ip, cs, cr2, flags;
} TrapRecord;

extern volatile TrapRecord last_trap;
extern volatile unsigned long trap_resume;

/* A hook returns 1 when it handled the event (the frame may have been edited). */
typedef int (*TrapHook)(TrapFrame *f);
extern TrapHook trap_hook[256];

typedef struct GuestJmpBuf {
    unsigned long regs[8];
} GuestJmpBuf;
int guest_setjmp(GuestJmpBuf *jb);
__attribute__((noreturn)) void guest_longjmp(GuestJmpBuf *jb, int val);

/*
 * TRY("insns", outputs : inputs : clobbers): run insns; if one faults, the handler records it
 * in last_trap and resumes after the block. Returns the vector, or -1 if nothing was raised.
 * The label 77 is reserved for this macro.
 */
#ifdef __x86_64__
#define TRY_SET_RESUME "movq $77f, trap_resume\n\t"
#else
#define TRY_SET_RESUME "movl $77f, trap_resume\n\t"
#endif
#define TRY(insns, ...)                                                 \
    ({                                                                  \
        trap_clear();                                                   \
        asm volatile(TRY_SET_RESUME insns "\n77:\n\t" __VA_ARGS__);     \
        trap_resume = 0;                                                \
        last_trap.hit ? (long)last_trap.vec : -1L;                      \
    })

void trap_clear(void);

/* Console and result reporting. */
void putch(char c);
void puts_raw(const char *s);
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vgprintf(const char *fmt, va_list ap);
/* Report a failed check ("FAIL name: ...") unless cond holds; returns cond. */
int check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CHECK_EQ(got, want, what)                                               \
    check((unsigned long long)(got) == (unsigned long long)(want),              \
          "%s: got 0x%llx, want 0x%llx", (what), (unsigned long long)(got),     \
          (unsigned long long)(want))
/* Check last_trap: vector, error code (-1: not checked). */
int check_trap(const char *what, long vec, long err);
extern int check_failures, check_count;
__attribute__((noreturn)) void guest_exit(int code);
__attribute__((noreturn)) void guest_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The test program. */
void guest_main(void);

/* Descriptor tables. */
extern uint64_t gdt[GDT_ENTRIES];
void gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void gdt_set_raw(int index, uint64_t desc);
void gdt_set_gate(int index, uint16_t sel, unsigned long offset, uint8_t type_dpl, int params);
void idt_set(int vec, uint16_t sel, unsigned long offset, uint8_t type_dpl);
void idt_set_stub(int vec, uint8_t type_dpl); /* point vec at the runtime's stub */
void idt_set_present(int vec, int present);
void load_gdt(void);
void load_idt(void);
void tss_load(void);       /* (re)load TR with SEL_TSS, clearing the busy bit first */
unsigned long stub_address(int vec);

#ifdef __x86_64__
typedef struct __attribute__((packed)) Tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
    uint8_t iomap[8192 + 1];
} Tss;
#else
typedef struct __attribute__((packed)) Tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
    uint8_t iomap[8192 + 1];
} Tss;
#endif
#define TSS_BASE_SIZE 0x68
extern Tss kernel_tss;

/* Run fn at CPL3 (flat DPL3 segments, IF clear, IOPL 0); returns when fn returns. */
void run_user(void (*fn)(void));
void enter_user(void (*fn)(void), unsigned long sp, unsigned long cs, unsigned long ss);
extern uint8_t user_stack[];
#define USER_STACK_SIZE 16384

/* Port and control-register access. */
static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
#define DEFINE_CR(n)                                                            \
    static inline unsigned long read_cr##n(void)                                \
    {                                                                           \
        unsigned long v;                                                        \
        asm volatile("mov %%cr" #n ", %0" : "=r"(v));                           \
        return v;                                                               \
    }                                                                           \
    static inline void write_cr##n(unsigned long v)                             \
    {                                                                           \
        asm volatile("mov %0, %%cr" #n :: "r"(v) : "memory");                   \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void invlpg(unsigned long addr)
{
    asm volatile("invlpg (%0)" :: "r"(addr) : "memory");
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
                         uint32_t *d)
{
    asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
/*
 * 64-bit paging structures that map 0-4 GiB one to one in 2 MiB pages (present, writable),
 * except 4-6 MiB, which goes through pt: 4 KiB pages the caller fills.  CR3 is not loaded.
 */
static inline void paging64_identity_with_pt(uint64_t pml4[512], uint64_t pdpt[512],
                                             uint64_t pds[4][512], uint64_t pt[512])
{
    const uint64_t present_writable = 0x3, large = 0x80;
    pml4[0] = (unsigned long)pdpt | present_writable;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (unsigned long)pds[i] | present_writable;
        for (int j = 0; j < 512; j++) {
            pds[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | large | present_writable;
        }
    }
    pds[0][2] = (unsigned long)pt | present_writable;
}

static inline unsigned long read_flags(void)
{
    unsigned long f;
    asm volatile("pushf; pop %0" : "=r"(f));
    return f;
}

#define CR0_PE 0x1u
#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u
#define CR0_WP 0x10000u
#define CR0_AM 0x40000u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u
#define MSR_EFER 0xc0000080u
#define EFER_SCE 0x1u
#define EFER_LME 0x100u
#define EFER_LMA 0x400u
#define EFER_NXE 0x800u
#define EFLAGS_TF 0x100u
#define EFLAGS_IF 0x200u
#define EFLAGS_NT 0x4000u
#define EFLAGS_VM 0x20000u
#define EFLAGS_AC 0x40000u

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

#endif
