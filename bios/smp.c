/*
 * Osprey BIOS: start and park the application processors (Intel SDM vol. 3, 8.4.4
 * "MP Initialization Example": INIT, then start-up IPIs).  Each AP runs ap_trampoline
 * (entry.S, at 0xF0000 so the start-up vector is 0xF0), sets its initial APIC ID's bit in
 * ap_started_mask, counts itself and halts with interrupts off.  The OS wakes it again with
 * its own INIT/SIPI.  The MP table and the ACPI MADT then list only the CPUs that answered.
 *
 * No fixed delays: modern CPUs need no wait after INIT (Linux skips it too), and the BSP
 * polls the count with a timeout measured on the PIT, so a machine whose APs all answer
 * continues at once.
 */
#include "bios.h"

#define LAPIC_BASE 0xfee00000u
#define LAPIC_ICR_LOW (LAPIC_BASE + 0x300)
#define LAPIC_ICR_HIGH (LAPIC_BASE + 0x310)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define PIT_HZ 1193182u

extern char ap_trampoline[];
volatile u32 ap_started_mask; /* initial APIC IDs of the CPUs that ran the trampoline */
volatile u16 ap_count;
u32 cpus_started_mask = 1;
u16 cpus_started = 1;

/* PIT channel 0 (mode 2, period 65536, set by POST): its down-counter, latched. */
static u16 pit_count(void)
{
    outb(0x00, 0x43);
    u8 lo = inb(0x40);
    return (u16)(lo | inb(0x40) << 8);
}

/* Wait until want APs have counted themselves or ms milliseconds have passed. */
static void wait_for_aps(u16 want, u32 ms)
{
    u32 limit = PIT_HZ / 1000 * ms, elapsed = 0;
    u16 last = pit_count();
    while (ap_count < want && elapsed < limit) {
        asm volatile("pause");
        u16 now = pit_count();
        elapsed += (u16)(last - now); /* a down-counter: wraps at 65536 */
        last = now;
    }
}

static void send_ipi(u32 icr)
{
    flat_wl(LAPIC_ICR_HIGH, 0);
    flat_wl(LAPIC_ICR_LOW, icr);
    for (int i = 0; i < 1000 && (flat_rl(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING); i++) {
        asm volatile("pause");
    }
}

static u16 popcount32(u32 v)
{
    u16 n = 0;
    for (; v; v &= v - 1) {
        n++;
    }
    return n;
}

void smp_setup(void)
{
    u32 eax = 1, ebx, ecx, edx;
    asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
    u32 bsp_id = ebx >> 24;
    cpus_started_mask = bsp_id < 32 ? 1u << bsp_id : 1;
    cpus_started = 1;
    if (nr_cpus <= 1 || !(edx & (1u << 9))) {
        return;
    }
    u32 vector = BIOS_FLAT(ap_trampoline) >> 12;
    ap_count = 0;
    ap_started_mask = 0;
    send_ipi(ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT | ICR_INIT);
    send_ipi(ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT | ICR_STARTUP | vector);
    wait_for_aps((u16)(nr_cpus - 1), 1);
    if (ap_count < nr_cpus - 1) {
        /* The second start-up IPI of the SDM's sequence, for APs that missed the first. */
        send_ipi(ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT | ICR_STARTUP | vector);
        wait_for_aps((u16)(nr_cpus - 1), 100);
    }
    cpus_started_mask |= ap_started_mask;
    cpus_started = popcount32(cpus_started_mask);
    dprintf("smp: %u of %u CPUs started (APIC IDs %x)\n", cpus_started, nr_cpus,
            cpus_started_mask);
}
