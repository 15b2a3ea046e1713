/*
 * guest-bits: 64
 * guest-args: -serial null
 * Device interrupts end to end: the 8254 PIT's IRQ 0 through the IOAPIC (ISA IRQ 0 on pin 2)
 * and through the 8259 PIC (the local APIC's LINT0 as ExtINT virtual wire), the COM1 UART's
 * THR-empty interrupt on IRQ 4, and the HPET's timer 0 in legacy replacement mode (IRQ 0).
 * Programs only device registers (PIO and MMIO), so it runs the same under every accelerator.
 */
#include "guest.h"

#define APIC_BASE 0xfee00000ul
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_LVT_LINT0 0x350
#define IOAPIC_BASE 0xfec00000ul
#define HPET_BASE 0xfed00000ul
#define HPET_CAP 0x000
#define HPET_CONFIG 0x010
#define HPET_COUNTER 0x0f0
#define HPET_T0_CONFIG 0x100
#define HPET_T0_COMPARATOR 0x108
#define COM1 0x3f8

#define VEC_PIT_IOAPIC 0x50
#define VEC_UART 0x51
#define VEC_HPET 0x52
#define VEC_PIC_BASE 0x20 /* IRQ 0 through the PIC */
#define VEC_SPURIOUS 0xff

static volatile int hits[256];
static volatile uint8_t uart_iir;

static void apic_write(unsigned reg, uint32_t val)
{
    *(volatile uint32_t *)(APIC_BASE + reg) = val;
}

static void ioapic_write(unsigned reg, uint32_t val)
{
    *(volatile uint32_t *)IOAPIC_BASE = reg;
    *(volatile uint32_t *)(IOAPIC_BASE + 0x10) = val;
}

static uint32_t ioapic_read(unsigned reg)
{
    *(volatile uint32_t *)IOAPIC_BASE = reg;
    return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}

/* Pin -> vector, fixed delivery, edge, active high, to APIC ID 0; or masked. */
static void ioapic_route(int pin, int vec, int masked)
{
    ioapic_write(0x11 + 2 * pin, 0);
    ioapic_write(0x10 + 2 * pin, (uint32_t)vec | (masked ? 1u << 16 : 0));
}

static uint64_t hpet_read(unsigned reg)
{
    return *(volatile uint64_t *)(HPET_BASE + reg);
}

static void hpet_write(unsigned reg, uint64_t val)
{
    *(volatile uint64_t *)(HPET_BASE + reg) = val;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int on_interrupt(TrapFrame *f)
{
    int vec = f->vec & 0xff;
    hits[vec]++;
    if (vec == VEC_UART) {
        uart_iir = inb(COM1 + 2); /* reading IIR acknowledges THR empty */
    }
    if (vec >= VEC_PIC_BASE && vec < VEC_PIC_BASE + 8) {
        outb(0x20, 0x20); /* non-specific EOI to the PIC: ExtINT needs no APIC EOI */
    } else if (vec != VEC_SPURIOUS) {
        apic_write(APIC_EOI, 0);
    }
    return 1;
}

/* Wait (interrupts on) until vec was taken n times, at most about a second. */
static int wait_for(int vec, int n)
{
    uint64_t start = rdtsc();
    asm volatile("sti");
    while (hits[vec] < n && rdtsc() - start < 2000000000ull) {
        asm volatile("pause");
    }
    asm volatile("cli");
    return hits[vec] >= n;
}

static void pit_start(uint16_t count)
{
    outb(0x43, 0x34); /* channel 0, lo/hi byte, mode 2 (rate generator) */
    outb(0x40, count & 0xff);
    outb(0x40, count >> 8);
}

static void pit_stop(void)
{
    outb(0x43, 0x30); /* mode 0 without a count: the output stays low, no more edges */
}

static void pic_init(uint8_t master_mask)
{
    outb(0x20, 0x11);
    outb(0x21, VEC_PIC_BASE);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xa0, 0x11);
    outb(0xa1, VEC_PIC_BASE + 8);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    outb(0x21, master_mask);
    outb(0xa1, 0xff);
}

void guest_main(void)
{
    for (int v = 0x20; v <= 0xff; v++) {
        trap_hook[v] = on_interrupt;
    }
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
    apic_write(APIC_TPR, 0);
    pic_init(0xff);

    CHECK_EQ((ioapic_read(1) >> 16) & 0xff, 0x17, "IOAPIC maximum redirection entry");

    /* PIT -> ISA IRQ 0 -> IOAPIC pin 2 (the MADT's interrupt source override). */
    ioapic_route(2, VEC_PIT_IOAPIC, 0);
    pit_start(1193); /* 1 ms */
    check(wait_for(VEC_PIT_IOAPIC, 3), "PIT through the IOAPIC: %d interrupts, want 3",
          hits[VEC_PIT_IOAPIC]);
    pit_stop();
    ioapic_route(2, VEC_PIT_IOAPIC, 1);

    /* PIT -> PIC IRQ 0 -> INTR -> LINT0 programmed ExtINT. */
    apic_write(APIC_LVT_LINT0, 0x700);
    pic_init(0xfe);
    pit_start(1193);
    check(wait_for(VEC_PIC_BASE, 3), "PIT through the PIC: %d interrupts, want 3",
          hits[VEC_PIC_BASE]);
    pit_stop();
    pic_init(0xff);
    apic_write(APIC_LVT_LINT0, 0x10000);

    /* COM1: THR empty on IRQ 4, once on enabling it and once after a byte went out. */
    ioapic_route(4, VEC_UART, 0);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 4, 0x08); /* OUT2: the PC's interrupt enable */
    outb(COM1 + 1, 0x02); /* IER: THR empty */
    check(wait_for(VEC_UART, 1), "UART: no THR-empty interrupt after enabling it");
    CHECK_EQ(uart_iir & 0x0f, 0x02, "UART IIR says THR empty");
    outb(COM1, 'x');
    check(wait_for(VEC_UART, 2), "UART: no THR-empty interrupt after a byte");
    outb(COM1 + 1, 0x00);
    ioapic_route(4, VEC_UART, 1);

    /* HPET timer 0, one-shot, legacy replacement: IRQ 0 again, now from the HPET. */
    uint64_t cap = hpet_read(HPET_CAP);
    uint32_t period_fs = cap >> 32;
    check(period_fs > 0 && period_fs <= 100000000u, "HPET period %u fs", period_fs);
    ioapic_route(2, VEC_HPET, 0);
    hpet_write(HPET_CONFIG, 0);
    hpet_write(HPET_COUNTER, 0);
    hpet_write(HPET_T0_CONFIG, 1u << 2); /* interrupt enable, one-shot, edge */
    hpet_write(HPET_T0_COMPARATOR, 1000000000000ull / period_fs); /* 1 ms */
    hpet_write(HPET_CONFIG, 3); /* ENABLE_CNF | LEG_RT_CNF */
    check(wait_for(VEC_HPET, 1), "HPET timer 0 interrupt not taken");
    check(hpet_read(HPET_COUNTER) > 0, "HPET main counter does not run");
    hpet_write(HPET_CONFIG, 0);
    ioapic_route(2, VEC_HPET, 1);

    CHECK_EQ(hits[VEC_SPURIOUS], 0, "spurious interrupts");
}
