/*
 * Runtime for the guest tests: console, result reporting, GDT/IDT/TSS, exception capture and
 * CPL3 execution. Built once per test program, as 32-bit or 64-bit code.
 */
#include "guest.h"

volatile TrapRecord last_trap;
volatile unsigned long trap_resume;
TrapHook trap_hook[256];
int check_failures, check_count;

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
#ifdef __x86_64__
static uint64_t idt[512] __attribute__((aligned(16)));
#else
static uint64_t idt[256] __attribute__((aligned(16)));
#endif
Tss kernel_tss __attribute__((aligned(4096)));
static uint8_t kernel_stack0[16384] __attribute__((aligned(16)));
uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));
static GuestJmpBuf user_jb;
extern char trap_stubs[];

void *memset(void *d, int c, unsigned long n)
{
    uint8_t *p = d;
    while (n--) {
        *p++ = (uint8_t)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++) {
        if (*p != *q) {
            return *p - *q;
        }
    }
    return 0;
}

void putch(char c)
{
    outb(0xe9, (uint8_t)c);
}

void puts_raw(const char *s)
{
    while (*s) {
        putch(*s++);
    }
}

static void put_num(unsigned long long v, unsigned base, int width, char pad, int neg)
{
    char buf[24];
    int n = 0;
    /* Decimal uses 32-bit division only, so 32-bit builds need no libgcc helpers. */
    if (base == 10) {
        unsigned long d = (unsigned long)v;
        do {
            buf[n++] = (char)('0' + d % 10);
            d /= 10;
        } while (d);
    } else {
        do {
            buf[n++] = "0123456789abcdef"[v & 15];
            v >>= 4;
        } while (v);
    }
    if (neg) {
        buf[n++] = '-';
    }
    while (n < width) {
        putch(pad);
        width--;
    }
    while (n) {
        putch(buf[--n]);
    }
}

void vgprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putch(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        unsigned long long v;
        switch (*fmt) {
        case 'd': {
            long long s = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long)
                                                                 : va_arg(ap, int);
            put_num(s < 0 ? -(unsigned long long)s : (unsigned long long)s, 10, width, pad,
                    s < 0);
            break;
        }
        case 'u':
        case 'x':
            v = lng >= 2 ? va_arg(ap, unsigned long long)
                : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            put_num(v, *fmt == 'x' ? 16 : 10, width, pad, 0);
            break;
        case 'p':
            puts_raw("0x");
            put_num((unsigned long)va_arg(ap, void *), 16, width, pad, 0);
            break;
        case 's':
            puts_raw(va_arg(ap, const char *));
            break;
        case 'c':
            putch((char)va_arg(ap, int));
            break;
        case '%':
            putch('%');
            break;
        default:
            putch('?');
            break;
        }
    }
}

void gprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vgprintf(fmt, ap);
    va_end(ap);
}

int check(int cond, const char *fmt, ...)
{
    check_count++;
    if (cond) {
        return 1;
    }
    check_failures++;
    gprintf("FAIL %s: ", GUEST_NAME);
    va_list ap;
    va_start(ap, fmt);
    vgprintf(fmt, ap);
    va_end(ap);
    putch('\n');
    return 0;
}

int check_trap(const char *what, long vec, long err)
{
    if (vec < 0) {
        return check(!last_trap.hit, "%s: unexpected exception %lu (error 0x%lx) at 0x%lx",
                     what, last_trap.vec, last_trap.err, last_trap.ip);
    }
    if (!check(last_trap.hit, "%s: no exception, want vector %ld", what, vec)) {
        return 0;
    }
    if (!check(last_trap.vec == (unsigned long)vec, "%s: vector %lu (error 0x%lx), want %ld",
               what, last_trap.vec, last_trap.err, vec)) {
        return 0;
    }
    if (err >= 0) {
        return check(last_trap.err == (unsigned long)err, "%s: error code 0x%lx, want 0x%lx",
                     what, last_trap.err, (unsigned long)err);
    }
    return 1;
}

void guest_exit(int code)
{
    outb(DEBUG_EXIT_PORT, (uint8_t)code);
    for (;;) {
        asm volatile("cli; hlt");
    }
}

void guest_fail(const char *fmt, ...)
{
    gprintf("FAIL %s: ", GUEST_NAME);
    va_list ap;
    va_start(ap, fmt);
    vgprintf(fmt, ap);
    va_end(ap);
    putch('\n');
    guest_exit(EXIT_FAIL);
}

void trap_clear(void)
{
    last_trap.hit = 0;
    last_trap.vec = last_trap.err = last_trap.ip = last_trap.cr2 = 0;
}

void trap_c(TrapFrame *f);
void trap_c(TrapFrame *f)
{
    unsigned vec = (unsigned)f->vec & 0xff;
    if (trap_hook[vec] && trap_hook[vec](f)) {
        return;
    }
    if (trap_resume) {
        last_trap.hit++;
        last_trap.vec = vec;
        last_trap.err = f->err;
        last_trap.ip = f->ip;
        last_trap.cs = f->cs;
        last_trap.flags = f->flags;
        last_trap.cr2 = read_cr2();
        f->ip = trap_resume;
        f->flags &= ~(unsigned long)EFLAGS_TF;  /* a single-step test ends at its first trap */
        trap_resume = 0;
        return;
    }
    guest_fail("unexpected exception %u (error 0x%lx) at %lx:%lx, cr2 0x%lx", vec,
               (unsigned long)f->err, (unsigned long)f->cs, (unsigned long)f->ip, read_cr2());
}

/* access: P DPL S type byte; flags: G D/B L AVL nibble. */
void gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    gdt[index] = (uint64_t)(limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
                 ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
                 ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

void gdt_set_raw(int index, uint64_t desc)
{
    gdt[index] = desc;
}

void gdt_set_gate(int index, uint16_t sel, unsigned long offset, uint8_t type_dpl, int params)
{
    gdt[index] = (uint64_t)(offset & 0xffff) | ((uint64_t)sel << 16) |
                 ((uint64_t)(params & 0x1f) << 32) | ((uint64_t)type_dpl << 40) |
                 ((uint64_t)((offset >> 16) & 0xffff) << 48);
#ifdef __x86_64__
    gdt[index + 1] = (uint64_t)offset >> 32;
#endif
}

void idt_set(int vec, uint16_t sel, unsigned long offset, uint8_t type_dpl)
{
#ifdef __x86_64__
    idt[vec * 2] = (uint64_t)(offset & 0xffff) | ((uint64_t)sel << 16) |
                   ((uint64_t)type_dpl << 40) | ((uint64_t)((offset >> 16) & 0xffff) << 48);
    idt[vec * 2 + 1] = (uint64_t)offset >> 32;
#else
    idt[vec] = (uint64_t)(offset & 0xffff) | ((uint64_t)sel << 16) |
               ((uint64_t)type_dpl << 40) | ((uint64_t)((offset >> 16) & 0xffff) << 48);
#endif
}

unsigned long stub_address(int vec)
{
    return (unsigned long)trap_stubs + 16 * (unsigned long)vec;
}

void idt_set_stub(int vec, uint8_t type_dpl)
{
    idt_set(vec, SEL_KCODE, stub_address(vec), type_dpl);
}

void idt_set_present(int vec, int present)
{
#ifdef __x86_64__
    uint64_t *e = &idt[vec * 2];
#else
    uint64_t *e = &idt[vec];
#endif
    if (present) {
        *e |= 1ull << 47;
    } else {
        *e &= ~(1ull << 47);
    }
}

struct __attribute__((packed)) DescPtr {
    uint16_t limit;
    unsigned long base;
};

void load_gdt(void)
{
    struct DescPtr p = { sizeof(gdt) - 1, (unsigned long)gdt };
    asm volatile("lgdt %0" :: "m"(p) : "memory");
}

void load_idt(void)
{
    struct DescPtr p = { sizeof(idt) - 1, (unsigned long)idt };
    asm volatile("lidt %0" :: "m"(p) : "memory");
}

void tss_load(void)
{
    int idx = SEL_TSS >> 3;
    /* Available TSS (type 9); LTR faults on a busy one. Limit covers the I/O bitmap. */
    gdt_set(idx, (uint32_t)(unsigned long)&kernel_tss, sizeof(kernel_tss) - 1, 0x89, 0);
#ifdef __x86_64__
    gdt[idx + 1] = (uint64_t)(unsigned long)&kernel_tss >> 32;
#endif
    asm volatile("ltr %w0" :: "r"(SEL_TSS) : "memory");
}

static int user_return(TrapFrame *f)
{
    (void)f;
    guest_longjmp(&user_jb, 1);
}

void run_user(void (*fn)(void))
{
    if (guest_setjmp(&user_jb) == 0) {
#ifdef __x86_64__
        enter_user(fn, (unsigned long)user_stack + USER_STACK_SIZE, SEL_UCODE64, SEL_UDATA);
#else
        enter_user(fn, (unsigned long)user_stack + USER_STACK_SIZE, SEL_UCODE32, SEL_UDATA);
#endif
    }
    asm volatile("mov %w0, %%ds; mov %w0, %%es; mov %w0, %%fs; mov %w0, %%gs"
                 :: "r"(SEL_KDATA) : "memory");
    /* Interrupt entry keeps EFLAGS.AC; the user code may have set it. */
#ifdef __x86_64__
    asm volatile("pushfq; andq $~0x40000, (%%rsp); popfq" ::: "memory", "cc");
#else
    asm volatile("pushfl; andl $~0x40000, (%%esp); popfl" ::: "memory", "cc");
#endif
}

static void setup_tables(void)
{
    gdt_set(SEL_KCODE32 >> 3, 0, 0xfffff, 0x9b, 0xc);
    gdt_set(SEL_KDATA >> 3, 0, 0xfffff, 0x93, 0xc);
    gdt_set(SEL_UCODE32 >> 3, 0, 0xfffff, 0xfb, 0xc);
    gdt_set(SEL_UDATA >> 3, 0, 0xfffff, 0xf3, 0xc);
    gdt_set(SEL_UCODE64 >> 3, 0, 0xfffff, 0xfb, 0xa);
    gdt_set(SEL_KCODE64 >> 3, 0, 0xfffff, 0x9b, 0xa);
    gdt_set(SEL_KDATA2 >> 3, 0, 0xfffff, 0x93, 0xc);
    load_gdt();
#ifdef __x86_64__
    asm volatile("pushq %0; pushq $1f; lretq; 1:" :: "i"(SEL_KCODE64) : "memory");
#else
    asm volatile("ljmp %0, $1f; 1:" :: "i"(SEL_KCODE32) : "memory");
#endif
    asm volatile("mov %w0, %%ds; mov %w0, %%es; mov %w0, %%fs; mov %w0, %%gs; mov %w0, %%ss"
                 :: "r"(SEL_KDATA) : "memory");

    for (int v = 0; v < 256; v++) {
        idt_set_stub(v, 0x8e);          /* present, DPL0, interrupt gate */
    }
    idt_set_stub(0x81, 0xee);           /* DPL3: the return path of run_user() */
    load_idt();
    trap_hook[0x81] = user_return;

    memset(&kernel_tss, 0, sizeof(kernel_tss));
#ifdef __x86_64__
    kernel_tss.rsp[0] = (unsigned long)kernel_stack0 + sizeof(kernel_stack0);
#else
    kernel_tss.esp0 = (unsigned long)kernel_stack0 + sizeof(kernel_stack0);
    kernel_tss.ss0 = SEL_KDATA;
#endif
    kernel_tss.iomap_base = sizeof(kernel_tss);   /* no I/O permission bitmap */
    tss_load();
}

void guest_start(void);
void guest_start(void)
{
    setup_tables();
    guest_main();
    if (check_failures) {
        gprintf("FAIL %s: %d of %d checks failed\n", GUEST_NAME, check_failures, check_count);
        guest_exit(EXIT_FAIL);
    }
    gprintf("PASS %s (%d checks)\n", GUEST_NAME, check_count);
    guest_exit(EXIT_PASS);
}
