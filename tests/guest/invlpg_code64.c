/*
 * guest-bits: 64
 * INVLPG and code: after a page's mapping changes and INVLPG names it, a call to an address
 * on it runs the code of the new frame (SDM vol. 3, 4.10.4.1), and code on other pages,
 * also an instruction straddling two of them, keeps running correctly after the INVLPG, and
 * a straddling instruction whose second page alone is remapped runs the new bytes.  (A DBT
 * caches translated code by virtual address: these are the cases its per-page invalidation
 * and its block lookup must get right.)
 */
#include "guest.h"

#define P 0x1ull
#define W 0x2ull

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pds[4][512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t frames[6][4096] __attribute__((aligned(4096)));
#define VA(i) (0x400000ull + (uint64_t)(i) * 4096u) /* pds[0][2] -> pt[i] */
#define STRADDLE_OFF 4093u /* mov $imm32, %eax at VA(2) + 4093: two imm bytes on VA(3) */

typedef uint32_t (*Fn)(void);

static void map(int page, int frame)
{
    pt[page] = (uint64_t)(unsigned long)frames[frame] | W | P;
    invlpg(VA(page));
}

/* mov $val, %eax; ret */
static void put_return(uint8_t *code, uint32_t val)
{
    code[0] = 0xb8;
    memcpy(code + 1, &val, 4);
    code[5] = 0xc3;
}

static uint32_t call(uint64_t va)
{
    return ((Fn)(unsigned long)va)();
}

void guest_main(void)
{
    paging64_identity_with_pt(pml4, pdpt, pds, pt);
    write_cr3((unsigned long)pml4);

    put_return(frames[0], 0x11111111);
    put_return(frames[1], 0x22222222);
    put_return(frames[2], 0x33333333);
    /* Frame 3 ends with mov $0x....4444, %eax; frame 4 holds its high bytes and the ret. */
    frames[3][STRADDLE_OFF] = 0xb8;
    frames[3][STRADDLE_OFF + 1] = 0x44;
    frames[3][STRADDLE_OFF + 2] = 0x44;
    frames[4][0] = 0x55;
    frames[4][1] = 0x55;
    frames[4][2] = 0xc3;

    map(0, 0);
    map(1, 2);
    map(2, 3);
    map(3, 4);
    /* Run each several times so a DBT has them translated and cached. */
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(call(VA(0)), 0x11111111, "page 0, first frame");
        CHECK_EQ(call(VA(1)), 0x33333333, "page 1");
        CHECK_EQ(call(VA(2) + STRADDLE_OFF), 0x55554444, "straddling mov, first frame");
    }

    map(0, 1);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(call(VA(0)), 0x22222222, "page 0 after remap and INVLPG");
        CHECK_EQ(call(VA(1)), 0x33333333, "page 1 after INVLPG of page 0");
        CHECK_EQ(call(VA(2) + STRADDLE_OFF), 0x55554444, "straddling mov after INVLPG of page 0");
    }

    /* Only the second page of the straddling instruction changes its frame. */
    frames[5][0] = 0x66;
    frames[5][1] = 0x66;
    frames[5][2] = 0xc3;
    map(3, 5);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(call(VA(2) + STRADDLE_OFF), 0x66664444,
                 "straddling mov after its second page was remapped");
    }
    map(3, 4);
    CHECK_EQ(call(VA(2) + STRADDLE_OFF), 0x55554444, "straddling mov, second page back");

    /* And back: the old translation of page 0 must not come back either. */
    map(0, 0);
    CHECK_EQ(call(VA(0)), 0x11111111, "page 0 back to the first frame");
    map(0, 1);
    CHECK_EQ(call(VA(0)), 0x22222222, "page 0 to the second frame again");
}
