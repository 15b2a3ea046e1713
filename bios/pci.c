/*
 * Osprey BIOS: PCI on bus 0 (configuration mechanism #1): BAR sizing and
 * assignment (I/O from 0xC000, prefetchable and plain 32-bit memory from
 * the PCI hole), PIIX3 PIRQ routing to ISA IRQs 10/11 with the ELCR, the
 * interrupt line registers, the PIIX4 PM I/O base, and the PCI BIOS
 * (INT 1Ah AX=B1xxh, PCI Local Bus spec 2.1 section "PCI BIOS").
 */
#include "bios.h"

#define PCI_IO_START 0xc000
#define PCI_MEM_END 0xfec00000u
#define PM_IO_BASE 0x600

static const u8 pirq_irq[4] = {10, 10, 11, 11};

static u32 cfg_addr(u16 bdf, u8 reg) { return 0x80000000u | (u32)bdf << 8 | (reg & 0xfc); }

u32 pci_read32(u16 bdf, u8 reg)
{
    outl(cfg_addr(bdf, reg), 0xcf8);
    return inl(0xcfc);
}
u16 pci_read16(u16 bdf, u8 reg)
{
    outl(cfg_addr(bdf, reg), 0xcf8);
    return inw(0xcfc + (reg & 2));
}
u8 pci_read8(u16 bdf, u8 reg)
{
    outl(cfg_addr(bdf, reg), 0xcf8);
    return inb(0xcfc + (reg & 3));
}
void pci_write32(u16 bdf, u8 reg, u32 v)
{
    outl(cfg_addr(bdf, reg), 0xcf8);
    outl(v, 0xcfc);
}
void pci_write16(u16 bdf, u8 reg, u16 v)
{
    outl(cfg_addr(bdf, reg), 0xcf8);
    outw(v, 0xcfc + (reg & 2));
}
void pci_write8(u16 bdf, u8 reg, u8 v)
{
    outl(cfg_addr(bdf, reg), 0xcf8);
    outb(v, 0xcfc + (reg & 3));
}

struct pci_bar {
    u16 bdf;
    u8 reg;  /* 0x10-0x24, or 0x30 for the ROM */
    u8 kind; /* 0 I/O, 1 memory, 2 prefetchable memory */
    u32 size;
};
#define MAX_BARS 96
static struct pci_bar bars[MAX_BARS];
static int nr_bars;
u16 vga_bdf = 0xffff;

static void bar_probe(u16 bdf, u8 reg)
{
    u32 old = pci_read32(bdf, reg);
    u32 mask = reg == 0x30 ? 0xfffff800u : 0xffffffffu;
    pci_write32(bdf, reg, mask);
    u32 v = pci_read32(bdf, reg);
    pci_write32(bdf, reg, old);
    if (!v) {
        return;
    }
    struct pci_bar b = {bdf, reg, 0, 0};
    if (reg != 0x30 && (v & 1)) {
        b.kind = 0;
        b.size = ~(v & 0xfffffffcu) + 1;
        b.size &= 0xffff;
    } else {
        b.kind = (reg != 0x30 && (v & 8)) ? 2 : 1;
        b.size = ~(v & (reg == 0x30 ? 0xfffff800u : 0xfffffff0u)) + 1;
    }
    if (b.size && nr_bars < MAX_BARS) {
        bars[nr_bars++] = b;
    }
}

/* Largest first, so that natural alignment wastes little. */
static void bars_assign(u8 kind, u32 start, u32 end)
{
    u32 next = start;
    for (;;) {
        int best = -1;
        for (int i = 0; i < nr_bars; i++) {
            if (bars[i].size && (bars[i].kind == kind || (kind == 2 && bars[i].kind == 1 &&
                                                          bars[i].reg == 0x30)) &&
                (best < 0 || bars[i].size > bars[best].size)) {
                best = i;
            }
        }
        if (best < 0) {
            return;
        }
        struct pci_bar *b = &bars[best];
        u32 addr = (next + b->size - 1) & ~(b->size - 1);
        if (addr < next || addr >= end || b->size > end - addr) {
            dprintf("pci: no room for %04x reg %x size %x\n", b->bdf, b->reg, b->size);
        } else {
            u32 old = pci_read32(b->bdf, b->reg);
            pci_write32(b->bdf, b->reg, addr | (b->reg == 0x30 ? 0 : (old & 0xf)));
            if (b->reg != 0x30 && b->kind && ((old >> 1) & 3) == 2) {
                pci_write32(b->bdf, b->reg + 4, 0);
            }
            next = addr + b->size;
        }
        b->size = 0; /* done */
    }
}

void pci_setup(void)
{
    u16 piix = 0xffff;
    nr_bars = 0;
    for (u16 bdf = 0; bdf < 256; bdf++) {
        u32 id = pci_read32(bdf, 0);
        if ((id & 0xffff) == 0xffff || !id) {
            if ((bdf & 7) == 0) {
                bdf += 7; /* no function 0: skip the slot */
            }
            continue;
        }
        u8 header = pci_read8(bdf, 0x0e);
        u32 class = pci_read32(bdf, 8) >> 16;
        if (id == 0x70008086) {
            piix = bdf;
        }
        if (class == 0x0300 && vga_bdf == 0xffff) {
            vga_bdf = bdf;
        }
        if ((header & 0x7f) == 0) {
            for (u8 reg = 0x10; reg <= 0x24; reg += 4) {
                u32 old = pci_read32(bdf, reg);
                bar_probe(bdf, reg);
                if (!(old & 1) && ((old >> 1) & 3) == 2) {
                    reg += 4; /* the upper half of a 64-bit BAR */
                }
            }
            bar_probe(bdf, 0x30);
        }
        if ((bdf & 7) == 0 && !(header & 0x80)) {
            bdf += 7;
        }
    }
    u32 mem_start = ram_below_4g > 0xe0000000u ? ram_below_4g : 0xe0000000u;
    bars_assign(0, PCI_IO_START, 0x10000);
    bars_assign(2, mem_start, mem_start + 0x08000000u);
    bars_assign(1, mem_start + 0x08000000u, PCI_MEM_END);

    if (piix != 0xffff) {
        for (u8 p = 0; p < 4; p++) {
            pci_write8(piix, 0x60 + p, pirq_irq[p]);
        }
        outb(inb(0x4d1) | (1 << (10 - 8)) | (1 << (11 - 8)), 0x4d1);
    }
    for (u16 bdf = 0; bdf < 256; bdf++) {
        u32 id = pci_read32(bdf, 0);
        if ((id & 0xffff) == 0xffff || !id) {
            continue;
        }
        u8 pin = pci_read8(bdf, 0x3d);
        if (pin >= 1 && pin <= 4) {
            pci_write8(bdf, 0x3c, pirq_irq[((bdf >> 3) + pin - 1) & 3]);
        }
        pci_write16(bdf, 4, pci_read16(bdf, 4) | 7);
        if (id == 0x71138086) { /* PIIX4 PM: ACPI I/O at 0x600, SCI on IRQ 9 */
            pci_write32(bdf, 0x40, PM_IO_BASE | 1);
            pci_write8(bdf, 0x80, 1);
            pci_write8(bdf, 0x3c, 9);
        }
    }
}

/* INT 1Ah AX=B1xxh.  Returns 0 when the subfunction is unknown. */
int pcibios_call(struct bregs *r)
{
    u16 bdf = r->bx.x;
    u8 reg = r->di.l;
    switch (r->ax.l) {
    case 0x01: /* installation check */
        r->ax.x = 0x0001; /* mechanism #1 */
        r->bx.x = 0x0210;
        r->cx.l = 0;      /* last bus */
        r->dx.e = 0x20494350; /* "PCI " */
        r->di.e = 0;
        set_cf(r, 0);
        return 1;
    case 0x02: /* find device CX=device DX=vendor SI=index */
    case 0x03: { /* find class ECX */
        u16 n = r->si.x;
        for (u16 d = 0; d < 256; d++) {
            u32 id = pci_read32(d, 0);
            if ((id & 0xffff) == 0xffff || !id) {
                continue;
            }
            bool match = r->ax.l == 2 ? id == ((u32)r->cx.x << 16 | r->dx.x)
                                      : (pci_read32(d, 8) >> 8) == (r->cx.e & 0xffffff);
            if (match && n-- == 0) {
                r->bx.x = d;
                success(r);
                return 1;
            }
        }
        fail(r, 0x86);
        return 1;
    }
    case 0x08:
        r->cx.l = pci_read8(bdf, reg);
        break;
    case 0x09:
        if (reg & 1) {
            fail(r, 0x87);
            return 1;
        }
        r->cx.x = pci_read16(bdf, reg);
        break;
    case 0x0a:
        if (reg & 3) {
            fail(r, 0x87);
            return 1;
        }
        r->cx.e = pci_read32(bdf, reg);
        break;
    case 0x0b:
        pci_write8(bdf, reg, r->cx.l);
        break;
    case 0x0c:
        if (reg & 1) {
            fail(r, 0x87);
            return 1;
        }
        pci_write16(bdf, reg, r->cx.x);
        break;
    case 0x0d:
        if (reg & 3) {
            fail(r, 0x87);
            return 1;
        }
        pci_write32(bdf, reg, r->cx.e);
        break;
    default:
        return 0;
    }
    success(r);
    return 1;
}
