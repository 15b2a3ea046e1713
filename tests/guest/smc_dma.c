/*
 * guest-bits: 64
 * Code overwritten by DMA: a function runs until it is translated, then a fw_cfg DMA read
 * (a device writing guest memory, like a disk read into a page that held code) replaces its
 * immediate with the "QEMU" signature; the next call must return the new bytes.
 */
#include "guest.h"

#define FUNC 0x9000ul        /* movl $imm32, %eax; ret */
#define DMA_DESC 0x7100ul    /* FWCfgDmaAccess: be32 control, be32 length, be64 address */
#define FW_CFG_DMA_HI 0x514
#define FW_CFG_DMA_LO 0x518
#define FW_CFG_SIGNATURE 0x0000
#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SELECT 0x08

static const uint8_t func[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};

static uint32_t call_func(void)
{
    uint32_t r;
    asm volatile("call *%1" : "=a"(r) : "r"(FUNC) : "rcx", "rdx", "memory");
    return r;
}

static uint32_t be32(uint32_t v)
{
    return __builtin_bswap32(v);
}

void guest_main(void)
{
    volatile uint32_t *desc = (volatile uint32_t *)DMA_DESC;

    for (unsigned i = 0; i < sizeof(func); i++) {
        ((uint8_t *)FUNC)[i] = func[i];
    }
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(call_func(), 1, "the function before the DMA");
    }
    desc[0] = be32((FW_CFG_SIGNATURE << 16) | DMA_CTL_SELECT | DMA_CTL_READ);
    desc[1] = be32(4);
    desc[2] = 0;                  /* address, high half (big-endian) */
    desc[3] = be32(FUNC + 1);     /* address, low half */
    asm volatile("" ::: "memory");
    outl(FW_CFG_DMA_HI, 0);
    outl(FW_CFG_DMA_LO, be32(DMA_DESC));
    CHECK_EQ(be32(desc[0]) & DMA_CTL_ERROR, 0, "fw_cfg DMA completed without error");
    CHECK_EQ(*(volatile uint32_t *)(FUNC + 1), 0x554d4551, "the DMA wrote the signature");
    CHECK_EQ(call_func(), 0x554d4551, "the CPU runs the code the DMA wrote");
}
