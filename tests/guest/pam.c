/*
 * guest-bits: 64
 * The i440FX PAM registers (82441FX datasheet 3.2, PAM0-PAM6 at 0x59-0x5F) switching the
 * 0xE0000-0xE3FFF segment (PAM5 bits 0-1) between read/write RAM, read-only RAM, write-only
 * and back, with a byte written and read in every mode.  The memory map changes under the
 * running CPU: the DBT's TLB and KVM's memory slots must both follow.
 */
#include "guest.h"

#define PAM5 0x5e
#define SEGMENT 0xe0000ul

static void set_pam5_low(uint8_t mode)
{
    outl(0xcf8, 0x80000000u | (PAM5 & ~3u));
    uint8_t old = inb(0xcfc + (PAM5 & 3));
    outl(0xcf8, 0x80000000u | (PAM5 & ~3u));
    outb(0xcfc + (PAM5 & 3), (old & 0xf0) | mode);
}

void guest_main(void)
{
    volatile uint8_t *p = (volatile uint8_t *)SEGMENT;

    set_pam5_low(3); /* RAM, read and write */
    p[0] = 0xab;
    CHECK_EQ(p[0], 0xab, "read/write RAM reads back the write");

    set_pam5_low(1); /* RAM read-only: writes go away */
    p[0] = 0xcd;
    CHECK_EQ(p[0], 0xab, "read-only RAM kept its byte");

    set_pam5_low(2); /* writes to RAM, reads from the ROM side */
    p[0] = 0xef;
    gprintf("write-only mode reads 0x%x\n", p[0]);

    set_pam5_low(3);
    CHECK_EQ(p[0], 0xef, "the write-only mode's write reached RAM");
    set_pam5_low(0);
}
