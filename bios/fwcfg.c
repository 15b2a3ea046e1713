/*
 * Osprey BIOS: the fw_cfg interface (QEMU's docs/specs/fw_cfg.rst): the
 * selector at 0x510, the data port at 0x511, DMA at 0x514 for bulk loads.
 */
#include "bios.h"

#define FW_CFG_CTL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_DMA 0x514
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08

static bool have_dma;

static u32 bswap32(u32 v) { return __builtin_bswap32(v); }

bool fw_cfg_present(void)
{
    char sig[4];
    fw_cfg_select(0);
    fw_cfg_read(sig, 4);
    if (memcmp(sig, "QEMU", 4)) {
        return false;
    }
    have_dma = (fw_cfg_read_i32(1) & 2) != 0;
    return true;
}

void fw_cfg_select(u16 key) { outw(key, FW_CFG_CTL); }

void fw_cfg_read(void *buf, u32 len)
{
    u8 *p = buf;
    while (len--) {
        *p++ = inb(FW_CFG_DATA);
    }
}

void fw_cfg_skip(u32 len)
{
    while (len--) {
        inb(FW_CFG_DATA);
    }
}

u16 fw_cfg_read_i16(u16 key)
{
    u16 v = 0;
    fw_cfg_select(key);
    fw_cfg_read(&v, 2);
    return v;
}

u32 fw_cfg_read_i32(u16 key)
{
    u32 v = 0;
    fw_cfg_select(key);
    fw_cfg_read(&v, 4);
    return v;
}

u64 fw_cfg_read_i64(u16 key)
{
    u64 v = 0;
    fw_cfg_select(key);
    fw_cfg_read(&v, 8);
    return v;
}

u16 fw_cfg_find_file(const char *name, u32 *size)
{
    u32 count;
    fw_cfg_select(0x19);
    fw_cfg_read(&count, 4);
    count = bswap32(count);
    for (u32 i = 0; i < count && i < 4096; i++) {
        struct {
            u32 size;
            u16 select;
            u16 reserved;
            char name[56];
        } f;
        fw_cfg_read(&f, sizeof(f));
        f.name[55] = 0;
        if (!strcmp(f.name, name)) {
            if (size) {
                *size = bswap32(f.size);
            }
            return (u16)((f.select >> 8) | (f.select << 8));
        }
    }
    return 0;
}

/* Bulk read into physical memory: DMA when offered, else byte by byte through FS. */
void fw_cfg_dma_read_to(u16 key, u32 phys, u32 len)
{
    if (!have_dma) {
        fw_cfg_select(key);
        for (u32 i = 0; i < len; i++) {
            flat_wb(phys + i, inb(FW_CFG_DATA));
        }
        return;
    }
    static volatile struct {
        u32 control, length;
        u32 addr_hi, addr_lo;
    } __attribute__((aligned(16))) desc;
    desc.control = bswap32(((u32)key << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
    desc.length = bswap32(len);
    desc.addr_hi = 0;
    desc.addr_lo = bswap32(phys);
    outl(0, FW_CFG_DMA);
    outl(bswap32(BIOS_FLAT(&desc)), FW_CFG_DMA + 4);
    while (bswap32(desc.control) & ~FW_CFG_DMA_CTL_ERROR) {
        /* the device completes before the port write returns; this is a formality */
    }
}
