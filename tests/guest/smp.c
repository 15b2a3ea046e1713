/*
 * guest-bits: 64
 * guest-args: -smp 2
 * SMP start-up (SDM vol. 3A 8.4.4): the BSP sends INIT and two start-up IPIs to APIC ID 1;
 * the AP starts in real mode at the SIPI vector's page, reads its initial APIC ID from CPUID
 * and reports through memory.
 */
#include "guest.h"

#define APIC_BASE 0xfee00000ul
#define APIC_ID 0x20
#define APIC_SVR 0xf0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY (1u << 12)

#define TRAMPOLINE 0x8000ul /* SIPI vector 0x08 */
#define MAILBOX 0x7000ul

/* Real-mode AP code: mailbox[1] = CPUID.1:EBX[31:24], mailbox[0] = 0x5a, then halt. */
static const uint8_t trampoline[] = {
    0xfa,                         /* cli */
    0x31, 0xc0,                   /* xor ax, ax */
    0x8e, 0xd8,                   /* mov ds, ax */
    0x66, 0xb8, 0x01, 0, 0, 0,    /* mov eax, 1 */
    0x0f, 0xa2,                   /* cpuid */
    0x66, 0xc1, 0xeb, 0x18,       /* shr ebx, 24 */
    0x88, 0x1e, 0x01, 0x70,       /* mov [0x7001], bl */
    0xc6, 0x06, 0x00, 0x70, 0x5a, /* mov byte [0x7000], 0x5a */
    0xf4,                         /* hlt */
    0xeb, 0xfd,                   /* jmp hlt */
};

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

static int send_ipi(uint32_t dest, uint32_t icr)
{
    apic_write(APIC_ICR_HI, dest << 24);
    apic_write(APIC_ICR_LO, icr);
    for (int i = 0; i < 100000; i++) {
        if (!(apic_read(APIC_ICR_LO) & ICR_BUSY)) {
            return 1;
        }
    }
    return 0;
}

void guest_main(void)
{
    volatile uint8_t *mailbox = (volatile uint8_t *)MAILBOX;
    uint8_t *code = (uint8_t *)TRAMPOLINE;

    CHECK_EQ(apic_read(APIC_ID) >> 24, 0, "BSP APIC ID");
    for (unsigned i = 0; i < sizeof(trampoline); i++) {
        code[i] = trampoline[i];
    }
    mailbox[0] = 0;
    mailbox[1] = 0xff;
    apic_write(APIC_SVR, 0x1ff);

    check(send_ipi(1, 0x4500), "INIT IPI stays busy");
    check(send_ipi(1, 0x4600 | (TRAMPOLINE >> 12)), "start-up IPI stays busy");
    uint64_t start = rdtsc();
    while (mailbox[0] != 0x5a && rdtsc() - start < 200000000ull) {
        asm volatile("pause");
    }
    if (mailbox[0] != 0x5a) {
        /* SDM: a second SIPI if the first did not start it. */
        check(send_ipi(1, 0x4600 | (TRAMPOLINE >> 12)), "second start-up IPI stays busy");
        start = rdtsc();
        while (mailbox[0] != 0x5a && rdtsc() - start < 2000000000ull) {
            asm volatile("pause");
        }
    }
    CHECK_EQ(mailbox[0], 0x5a, "AP ran the trampoline");
    CHECK_EQ(mailbox[1], 1, "AP's CPUID initial APIC ID");
}
