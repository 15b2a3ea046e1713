/*
 * guest-bits: 32
 * Code on a global page (PTE.G with CR4.PGE): a CR3 write keeps the global translation, but
 * INVLPG and clearing CR4.PGE drop it, and a CR3 write drops a non-global one, so code called
 * through the page afterwards must come from the frame the PTE names now.  Osprey keeps a
 * jump cache for blocks on global pages across CR3 writes: this is what it must not break.
 * SDM vol. 3, 4.10.2.4 (global pages) and 4.10.4.1 (operations that invalidate TLBs).
 */
#include "guest.h"

#define P 0x1u
#define W 0x2u
#define PS 0x80u
#define G 0x100u
#define CR4_PGE 0x80u
#define CODE_VA 0x400000u /* pd[1] -> pt[0] */

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint8_t frames[2][4096] __attribute__((aligned(4096)));

/* Frame f returns value: mov eax, imm32; ret. */
static void put_code(int f, uint32_t value)
{
    frames[f][0] = 0xb8;
    for (int i = 0; i < 4; i++) {
        frames[f][1 + i] = (uint8_t)(value >> (8 * i));
    }
    frames[f][5] = 0xc3;
}

static uint32_t call_code(void)
{
    uint32_t (*fn)(void) = (uint32_t (*)(void))(unsigned long)CODE_VA;

    return fn();
}

static void map_code(int f, uint32_t flags)
{
    pt[0] = (uint32_t)(unsigned long)frames[f] | flags;
}

void guest_main(void)
{
    for (uint32_t i = 0; i < 1024; i++) {
        pd[i] = (i << 22) | PS | W | P;
    }
    /*
     * The first 4 MiB (this program) through 4 KiB pages: with a 4 MiB page in the TLB,
     * INVLPG flushes everything, and the INVLPG case below would not test INVLPG itself.
     */
    for (uint32_t i = 0; i < 1024; i++) {
        pt_low[i] = (i << 12) | W | P;
    }
    pd[0] = (uint32_t)(unsigned long)pt_low | W | P;
    pd[1] = (uint32_t)(unsigned long)pt | W | P;
    put_code(0, 0x11111111);
    put_code(1, 0x22222222);
    map_code(0, G | W | P);
    write_cr3((unsigned long)pd);
    write_cr4(read_cr4() | CR4_PSE | CR4_PGE);
    write_cr0(read_cr0() | CR0_PG);

    CHECK_EQ(call_code(), 0x11111111, "global page, first call");
    write_cr3((unsigned long)pd);
    CHECK_EQ(call_code(), 0x11111111, "global page after a CR3 write");

    /* INVLPG drops the global translation. */
    map_code(1, G | W | P);
    invlpg(CODE_VA);
    CHECK_EQ(call_code(), 0x22222222, "global page remapped, after INVLPG");
    write_cr3((unsigned long)pd);
    CHECK_EQ(call_code(), 0x22222222, "remapped global page after a CR3 write");

    /* Clearing CR4.PGE flushes global translations too. */
    map_code(0, G | W | P);
    write_cr4(read_cr4() & ~CR4_PGE);
    CHECK_EQ(call_code(), 0x11111111, "global page remapped, after clearing CR4.PGE");
    write_cr4(read_cr4() | CR4_PGE);

    /* A CR3 write drops non-global translations. */
    map_code(1, W | P);
    invlpg(CODE_VA);
    CHECK_EQ(call_code(), 0x22222222, "non-global page, first call");
    map_code(0, W | P);
    write_cr3((unsigned long)pd);
    CHECK_EQ(call_code(), 0x11111111, "non-global page remapped, after a CR3 write");

    write_cr0(read_cr0() & ~CR0_PG);
}
