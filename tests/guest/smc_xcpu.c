/*
 * guest-bits: 64
 * guest-args: -smp 2
 * Code patched by another CPU (SDM vol. 3A 8.1.3, cross-modifying code): the BSP runs a
 * small function until it is translated, the AP (started with INIT/SIPI) rewrites the
 * function's immediate in real mode, and the BSP's next call must return the new value.
 */
#include "guest.h"

#define APIC_BASE 0xfee00000ul
#define APIC_SVR 0xf0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY (1u << 12)

#define TRAMPOLINE 0x8000ul /* SIPI vector 0x08 */
#define MAILBOX 0x7000ul
#define FUNC 0x9000ul       /* movl $imm32, %eax; ret */

/* Real-mode AP code: patch FUNC's immediate to 0x42, mailbox[0] = 0x5a, then halt. */
static const uint8_t trampoline[] = {
    0xfa,                         /* cli */
    0x31, 0xc0,                   /* xor ax, ax */
    0x8e, 0xd8,                   /* mov ds, ax */
    0xc6, 0x06, 0x01, 0x90, 0x42, /* mov byte [0x9001], 0x42 */
    0xc6, 0x06, 0x00, 0x70, 0x5a, /* mov byte [0x7000], 0x5a */
    0xf4,                         /* hlt */
    0xeb, 0xfd,                   /* jmp hlt */
};

static const uint8_t func[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};

static void apic_write(unsigned reg, uint32_t val)
{
    *(volatile uint32_t *)(APIC_BASE + reg) = val;
}

static int send_ipi(uint32_t dest, uint32_t icr)
{
    apic_write(APIC_ICR_HI, dest << 24);
    apic_write(APIC_ICR_LO, icr);
    for (int i = 0; i < 100000; i++) {
        if (!(*(volatile uint32_t *)(APIC_BASE + APIC_ICR_LO) & ICR_BUSY)) {
            return 1;
        }
    }
    return 0;
}

static uint32_t call_func(void)
{
    uint32_t r;
    asm volatile("call *%1" : "=a"(r) : "r"(FUNC) : "rcx", "rdx", "memory");
    return r;
}

void guest_main(void)
{
    volatile uint8_t *mailbox = (volatile uint8_t *)MAILBOX;

    for (unsigned i = 0; i < sizeof(trampoline); i++) {
        ((uint8_t *)TRAMPOLINE)[i] = trampoline[i];
    }
    for (unsigned i = 0; i < sizeof(func); i++) {
        ((uint8_t *)FUNC)[i] = func[i];
    }
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(call_func(), 1, "the function before the patch");
    }
    mailbox[0] = 0;
    apic_write(APIC_SVR, 0x1ff);
    check(send_ipi(1, 0x4500), "INIT IPI stays busy");
    check(send_ipi(1, 0x4600 | (TRAMPOLINE >> 12)), "start-up IPI stays busy");
    for (long spins = 0; mailbox[0] != 0x5a && spins < 200000000l; spins++) {
        asm volatile("pause");
    }
    CHECK_EQ(mailbox[0], 0x5a, "AP ran the trampoline");
    CHECK_EQ(*(volatile uint8_t *)(FUNC + 1), 0x42, "the AP's store is in memory");
    CHECK_EQ(call_func(), 0x42, "the BSP runs the code the AP patched");
}
