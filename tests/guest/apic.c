/*
 * guest-bits: 64
 * The local APIC as a guest sees it (SDM vol. 3A, chapter 10): IA32_APIC_BASE, CPUID, the
 * version register, a self IPI, the timer in one-shot, periodic and TSC-deadline mode
 * (IA32_TSC_DEADLINE, MSR 0x6e0), and CR8 as TPR[7:4] holding back a low-priority vector.
 */
#include "guest.h"

#define APIC_BASE 0xfee00000ul
#define APIC_VER 0x30
#define APIC_TPR 0x80
#define APIC_PPR 0xa0
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_IRR 0x200
#define APIC_ICR_LO 0x300
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DCR 0x3e0
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0

#define VEC_IPI 0x40
#define VEC_ONESHOT 0x41
#define VEC_PERIODIC 0x42
#define VEC_DEADLINE 0x43
#define VEC_LOW 0x45
#define VEC_SPURIOUS 0xff

static volatile int hits[256];

static uint32_t apic_read(unsigned reg)
{
    return *(volatile uint32_t *)(APIC_BASE + reg);
}

static void apic_write(unsigned reg, uint32_t val)
{
    *(volatile uint32_t *)(APIC_BASE + reg) = val;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int on_interrupt(TrapFrame *f)
{
    hits[f->vec & 0xff]++;
    if ((f->vec & 0xff) != VEC_SPURIOUS) {
        apic_write(APIC_EOI, 0);
    }
    return 1;
}

/* Wait (interrupts on) until vec was taken n times, at most about a virtual second. */
static int wait_for(int vec, int n)
{
    uint64_t start = rdtsc();
    asm volatile("sti");
    while (hits[vec] < n && rdtsc() - start < 1000000000ull) {
        asm volatile("pause");
    }
    asm volatile("cli");
    return hits[vec] >= n;
}

void guest_main(void)
{
    uint32_t eax, ebx, ecx, edx;
    asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
    check(edx & (1u << 9), "CPUID.1:EDX.APIC clear (edx 0x%x)", edx);
    /* Osprey advertises it; QEMU's TCG qemu64 model does not, so that part is skipped there. */
    int has_deadline = (ecx >> 24) & 1;
    CHECK_EQ(ebx >> 24, 0, "CPUID.1:EBX initial APIC ID");

    uint64_t base = rdmsr(MSR_APIC_BASE);
    CHECK_EQ(base & ~0xfffull, APIC_BASE, "IA32_APIC_BASE base");
    check(base & (1u << 11), "IA32_APIC_BASE: global enable clear (0x%llx)",
          (unsigned long long)base);
    check(base & (1u << 8), "IA32_APIC_BASE: BSP clear (0x%llx)", (unsigned long long)base);
    CHECK_EQ(apic_read(APIC_VER) & 0xff00ff, 0x50014, "version register");

    for (int v = 0x40; v <= 0xff; v++) {
        trap_hook[v] = on_interrupt;
    }
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
    apic_write(APIC_TPR, 0);

    /* Self IPI, fixed delivery. */
    apic_write(APIC_ICR_LO, 0x40000 | VEC_IPI);
    check(wait_for(VEC_IPI, 1), "self IPI not taken");

    /* One-shot timer, divide by 1. */
    apic_write(APIC_TIMER_DCR, 0xb);
    apic_write(APIC_LVT_TIMER, VEC_ONESHOT);
    apic_write(APIC_TIMER_INIT, 2000000);
    uint32_t c1 = apic_read(APIC_TIMER_CUR);
    uint32_t c2 = apic_read(APIC_TIMER_CUR);
    check(c1 <= 2000000 && c2 <= c1, "current count does not count down (%u then %u)", c1, c2);
    check(wait_for(VEC_ONESHOT, 1), "one-shot timer interrupt not taken");
    CHECK_EQ(apic_read(APIC_TIMER_CUR), 0, "one-shot current count after expiry");

    /* Periodic timer: several interrupts from one programming. */
    apic_write(APIC_LVT_TIMER, 0x20000 | VEC_PERIODIC);
    apic_write(APIC_TIMER_INIT, 200000);
    check(wait_for(VEC_PERIODIC, 3), "periodic timer: %d interrupts, want 3", hits[VEC_PERIODIC]);
    apic_write(APIC_LVT_TIMER, 0x10000 | 0x20000 | VEC_PERIODIC);
    apic_write(APIC_TIMER_INIT, 0);

    /* TSC-deadline mode. */
    if (has_deadline) {
        apic_write(APIC_LVT_TIMER, 0x40000 | VEC_DEADLINE);
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + 200000);
        check(wait_for(VEC_DEADLINE, 1), "TSC-deadline timer interrupt not taken");
        apic_write(APIC_LVT_TIMER, 0x10000);
    } else {
        gprintf("note: CPUID.1:ECX.TSC_DEADLINE clear, TSC-deadline mode not tested\n");
    }

    /* CR8 is TPR[7:4]; a vector of a class at or below it waits in IRR. */
    asm volatile("movq %0, %%cr8" :: "r"(5ul));
    CHECK_EQ(apic_read(APIC_TPR), 0x50, "TPR after CR8 = 5");
    CHECK_EQ(apic_read(APIC_PPR), 0x50, "PPR follows TPR");
    apic_write(APIC_TPR, 0x70);
    unsigned long cr8;
    asm volatile("movq %%cr8, %0" : "=r"(cr8));
    CHECK_EQ(cr8, 7, "CR8 after TPR = 0x70");
    asm volatile("movq %0, %%cr8" :: "r"(5ul));
    apic_write(APIC_ICR_LO, 0x40000 | VEC_LOW);
    asm volatile("sti; nop; nop; nop; cli");
    CHECK_EQ(hits[VEC_LOW], 0, "vector 0x45 taken with CR8 = 5");
    CHECK_EQ((apic_read(APIC_IRR + 0x20) >> (VEC_LOW & 31)) & 1, 1, "vector 0x45 waits in IRR");
    asm volatile("movq %0, %%cr8" :: "r"(0ul));
    check(wait_for(VEC_LOW, 1), "vector 0x45 not taken after CR8 = 0");
    CHECK_EQ(hits[VEC_SPURIOUS], 0, "spurious interrupts");
}
