/*
 * Osprey BIOS: INT 13h over the PIIX IDE legacy channels (ATA/ATAPI-6:
 * IDENTIFY, READ/WRITE SECTORS (EXT) in PIO, PACKET with READ(10)), and
 * El Torito no-emulation CD boot ("El Torito" Bootable CD-ROM Format
 * Specification 1.0).  Polled with nIEN set: the BIOS never waits for IRQ
 * 14/15.  Hard disks are BIOS drives 0x80.., the CD-ROM 0xE0.
 */
#include "bios.h"

#define ATA_DATA 0
#define ATA_ERROR 1
#define ATA_FEATURE 1
#define ATA_COUNT 2
#define ATA_LBA_LOW 3
#define ATA_LBA_MID 4
#define ATA_LBA_HIGH 5
#define ATA_DEVICE 6
#define ATA_STATUS 7
#define ATA_COMMAND 7
#define ST_BSY 0x80
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define ST_DF 0x20

#define CD_DRIVE 0xe0
#define MAX_DISKS 4

struct drive {
    u16 base, ctl;
    u8 slave, atapi, lba48;
    u32 sectors; /* hard disks: total 512-byte sectors (up to 2 TiB) */
    u16 cyls, heads, spt;
};
static struct drive disks[MAX_DISKS];
static int nr_disks;
static struct drive cdrom;
static bool have_cdrom;
static bool cd_booted; /* El Torito no-emulation boot in progress (AH=4Bh) */
static u32 cd_boot_lba;
static u16 cd_boot_seg, cd_boot_count;

static const u16 channel_base[2] = {0x1f0, 0x170};
static const u16 channel_ctl[2] = {0x3f6, 0x376};

/*
 * Bus-master DMA (PIIX3 datasheet 2.7/2.8: BMICX command, BMISX status,
 * BMIDTPX table pointer per channel at BMIBA + 0/8): one command moves up
 * to 64 KiB without a port access per dword.  PIO remains the fallback.
 */
#define BM_CMD 0
#define BM_STATUS 2
#define BM_PRDT 4
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_IRQ 0x04
static u16 bmiba;
static u16 ide_bdf = 0xffff; /* the PIIX IDE function, for the EDD 3.0 interface path */
static u32 prdt[8] __attribute__((aligned(16)));

u32 pci_read32(u16 bdf, u8 reg);

static u16 bm_port(const struct drive *d) { return bmiba + (d->base == 0x1f0 ? 0 : 8); }

/* The PRD table for phys..phys+len (len <= 64 KiB): entries never cross 64 KiB. */
static void bm_prepare(const struct drive *d, u32 phys, u32 len)
{
    int n = 0;
    while (len && n < 4) {
        u32 room = 0x10000 - (phys & 0xffff);
        u32 chunk = len < room ? len : room;
        prdt[2 * n] = phys;
        prdt[2 * n + 1] = chunk & 0xffff; /* 0 means 64 KiB */
        phys += chunk;
        len -= chunk;
        n++;
    }
    prdt[2 * n - 1] |= 0x80000000u; /* end of table */
    u16 bm = bm_port(d);
    outb(0, bm + BM_CMD);
    outb(BM_ST_ERROR | BM_ST_IRQ, bm + BM_STATUS);
    outl(BIOS_FLAT(prdt), bm + BM_PRDT);
    outb(BM_CMD_TO_MEMORY, bm + BM_CMD);
}

/* Start, wait for the drive and the engine, stop; 0 on success. */
static int bm_run(const struct drive *d)
{
    u16 bm = bm_port(d);
    outb(BM_CMD_TO_MEMORY | BM_CMD_START, bm + BM_CMD);
    int ok = -1;
    for (u32 i = 0; i < 20000000; i++) {
        u8 st = inb(d->ctl);
        u8 bst = inb(bm + BM_STATUS);
        if (bst & BM_ST_ERROR) {
            break;
        }
        if (!(st & ST_BSY) && !(st & ST_DRQ) && !(bst & BM_ST_ACTIVE)) {
            ok = (st & (ST_ERR | ST_DF)) ? -1 : 0;
            break;
        }
    }
    outb(BM_CMD_TO_MEMORY, bm + BM_CMD);
    outb(BM_ST_ERROR | BM_ST_IRQ, bm + BM_STATUS);
    inb(d->base + ATA_STATUS); /* acknowledge the drive */
    return ok;
}

static int ata_wait(const struct drive *d, u8 want)
{
    for (u32 i = 0; i < 2000000; i++) {
        u8 st = inb(d->base + ATA_STATUS);
        if (st == 0xff) {
            return -1; /* nothing on the bus */
        }
        if (!(st & ST_BSY)) {
            if (st & (ST_ERR | ST_DF)) {
                return -1;
            }
            if ((st & want) == want) {
                return st;
            }
        }
    }
    return -1;
}

static void ata_select(const struct drive *d, u8 head_bits)
{
    outb(0x02, d->ctl); /* nIEN */
    outb(0xa0 | (d->slave << 4) | head_bits, d->base + ATA_DEVICE);
    for (int i = 0; i < 4; i++) {
        inb(d->ctl); /* 400 ns */
    }
}

/*
 * PIO to or from seg:off (off normalised so a transfer never wraps), 32 bits
 * at a time when the length allows: half the port accesses of insw.
 */
static void pio_in(u16 port, u16 seg, u16 off, u16 words)
{
    seg += off >> 4;
    off &= 15;
    if (words & 1) {
        asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep insw\n\tpopw %%es"
                     : "+D"(off), "+c"(words) : "d"(port), "r"(seg) : "memory");
    } else {
        u16 dwords = words / 2;
        asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep insl\n\tpopw %%es"
                     : "+D"(off), "+c"(dwords) : "d"(port), "r"(seg) : "memory");
    }
}

static void pio_out(u16 port, u16 seg, u16 off, u16 words)
{
    seg += off >> 4;
    off &= 15;
    if (words & 1) {
        asm volatile("pushw %%ds\n\tmovw %w3, %%ds\n\trep outsw\n\tpopw %%ds"
                     : "+S"(off), "+c"(words) : "d"(port), "r"(seg) : "memory");
    } else {
        u16 dwords = words / 2;
        asm volatile("pushw %%ds\n\tmovw %w3, %%ds\n\trep outsl\n\tpopw %%ds"
                     : "+S"(off), "+c"(dwords) : "d"(port), "r"(seg) : "memory");
    }
}

static bool ata_identify(struct drive *d, u8 cmd, u16 *id)
{
    ata_select(d, 0);
    outb(cmd, d->base + ATA_COMMAND);
    u8 st = inb(d->base + ATA_STATUS);
    if (!st || st == 0xff) {
        return false;
    }
    if (ata_wait(d, ST_DRQ) < 0) {
        return false;
    }
    pio_in(d->base, BIOS_SEG, (u16)(u32)id, 256);
    return true;
}

static void probe(u16 base, u16 ctl, u8 slave)
{
    static u16 id[256];
    struct drive d = {base, ctl, slave, 0, 0, 0, 0, 0, 0};
    ata_select(&d, 0);
    outb(0x55, base + ATA_COUNT);
    outb(0xaa, base + ATA_LBA_LOW);
    if (inb(base + ATA_COUNT) != 0x55 || inb(base + ATA_LBA_LOW) != 0xaa) {
        return; /* no device answers at this position */
    }
    if (ata_identify(&d, 0xec, id)) {
        if (nr_disks == MAX_DISKS) {
            return;
        }
        d.lba48 = (id[83] >> 10) & 1;
        d.sectors = d.lba48 && !id[102] && !id[103] ? id[100] | (u32)id[101] << 16
                                                   : id[60] | (u32)id[61] << 16;
        if (d.lba48 && (id[102] || id[103])) {
            d.sectors = 0xffffffffu; /* beyond 2 TiB: the BIOS sees the first 2 TiB */
        }
        /* Translated geometry: 16 heads while it fits 1024 cylinders, else 255. */
        d.spt = 63;
        d.heads = d.sectors / (16u * 63) <= 1024 ? 16 : 255;
        u32 cyls = d.sectors / ((u32)d.heads * d.spt);
        d.cyls = cyls > 1024 ? 1024 : (cyls ? (u16)cyls : 1);
        disks[nr_disks++] = d;
        printf("ata%d-%d: hard disk, %u MiB\n", base == 0x1f0 ? 0 : 1, slave,
               (unsigned)(d.sectors >> 11));
        return;
    }
    if (inb(base + ATA_LBA_MID) == 0x14 && inb(base + ATA_LBA_HIGH) == 0xeb && !have_cdrom) {
        d.atapi = 1;
        if (ata_identify(&d, 0xa1, id) && ((id[0] >> 8) & 0x1f) == 5) {
            cdrom = d;
            have_cdrom = true;
            printf("ata%d-%d: CD-ROM\n", base == 0x1f0 ? 0 : 1, slave);
        }
    }
}

void disk_setup(void)
{
    for (u16 bdf = 0; bdf < 256 && !bmiba; bdf++) {
        u32 id = pci_read32(bdf, 0);
        if (id == 0x70108086 || id == 0x71118086) { /* PIIX3 / PIIX4 IDE */
            u32 bar = pci_read32(bdf, 0x20);
            ide_bdf = bdf;
            if ((bar & 1) && (bar & 0xfff0)) {
                bmiba = (u16)(bar & 0xfff0);
            }
        }
    }
    for (int ch = 0; ch < 2; ch++) {
        outb(0x06, channel_ctl[ch]); /* SRST, nIEN */
        for (int i = 0; i < 100; i++) {
            inb(channel_ctl[ch]);
        }
        outb(0x02, channel_ctl[ch]);
        for (u8 slave = 0; slave < 2; slave++) {
            probe(channel_base[ch], channel_ctl[ch], slave);
        }
    }
    bda_wb(BDA_HD_COUNT, (u8)nr_disks);
}

/* Read or write count sectors at lba to seg:off. */
static int ata_rw(const struct drive *d, u32 lba, u16 count, u16 seg, u16 off, bool write)
{
    while (count) {
        u16 n = count > 128 ? 128 : count;
        if ((u64)lba + n > d->sectors) {
            return -1;
        }
        u32 phys = ((u32)seg << 4) + off;
        bool dma = bmiba && !write && phys + n * 512u <= 0xa0000;
        if (dma) {
            bm_prepare(d, phys, n * 512u);
        }
        if (d->lba48) {
            ata_select(d, 0x40);
            /* High-order bytes first (count, LBA 24-47), then the low ones. */
            outb(0, d->base + ATA_COUNT);
            outb(lba >> 24, d->base + ATA_LBA_LOW);
            outb(0, d->base + ATA_LBA_MID);
            outb(0, d->base + ATA_LBA_HIGH);
            outb((u8)n, d->base + ATA_COUNT);
            outb((u8)lba, d->base + ATA_LBA_LOW);
            outb((u8)(lba >> 8), d->base + ATA_LBA_MID);
            outb((u8)(lba >> 16), d->base + ATA_LBA_HIGH);
            outb(write ? 0x34 : (dma ? 0x25 : 0x24), d->base + ATA_COMMAND);
        } else {
            ata_select(d, 0x40 | ((lba >> 24) & 0xf));
            outb((u8)n, d->base + ATA_COUNT);
            outb((u8)lba, d->base + ATA_LBA_LOW);
            outb((u8)(lba >> 8), d->base + ATA_LBA_MID);
            outb((u8)(lba >> 16), d->base + ATA_LBA_HIGH);
            outb(write ? 0x30 : (dma ? 0xc8 : 0x20), d->base + ATA_COMMAND);
        }
        if (dma) {
            if (bm_run(d) < 0) {
                return -1;
            }
            seg += n * 0x20;
            lba += n;
            count -= n;
            continue;
        }
        for (u16 i = 0; i < n; i++) {
            if (ata_wait(d, ST_DRQ) < 0) {
                return -1;
            }
            if (write) {
                pio_out(d->base, seg, off, 256);
            } else {
                pio_in(d->base, seg, off, 256);
            }
            seg += 0x20;
        }
        if (write && ata_wait(d, 0) < 0) {
            return -1;
        }
        lba += n;
        count -= n;
    }
    return 0;
}

/* ATAPI READ(10) by DMA, up to 32 sectors (64 KiB) per packet; 0 on success. */
static int atapi_read_dma(const struct drive *d, u32 lba, u16 count, u16 seg, u16 off)
{
    while (count) {
        u16 n = count > 32 ? 32 : count;
        u32 phys = ((u32)seg << 4) + off;
        u8 pkt[12] = {0x28, 0, (u8)(lba >> 24), (u8)(lba >> 16), (u8)(lba >> 8), (u8)lba,
                      0, (u8)(n >> 8), (u8)n, 0, 0, 0};
        bm_prepare(d, phys, n * 2048u);
        ata_select(d, 0);
        outb(1, d->base + ATA_FEATURE); /* DMA */
        outb(0x00, d->base + ATA_LBA_MID);
        outb(0x08, d->base + ATA_LBA_HIGH);
        outb(0xa0, d->base + ATA_COMMAND);
        if (ata_wait(d, ST_DRQ) < 0) {
            return -1;
        }
        pio_out(d->base, BIOS_SEG, (u16)(u32)pkt, 6);
        if (bm_run(d) < 0) {
            return -1;
        }
        lba += n;
        count -= n;
        seg += n * 0x80;
    }
    return 0;
}

/* ATAPI READ(10) of count 2048-byte sectors to seg:off. */
static int atapi_read(const struct drive *d, u32 lba, u16 count, u16 seg, u16 off)
{
    u32 phys = ((u32)seg << 4) + off;
    if (bmiba && count && phys + count * 2048u <= 0xa0000) {
        /* A unit attention (new medium) fails the first command: try twice, then PIO. */
        for (int i = 0; i < 2; i++) {
            if (atapi_read_dma(d, lba, count, seg, off) == 0) {
                return 0;
            }
        }
    }
    for (u16 i = 0; i < count; i++, lba++) {
        u8 pkt[12] = {0x28, 0, (u8)(lba >> 24), (u8)(lba >> 16), (u8)(lba >> 8), (u8)lba,
                      0, 0, 1, 0, 0, 0};
        int tries = 0;
    again:
        ata_select(d, 0);
        outb(0, d->base + ATA_FEATURE);
        outb(0x00, d->base + ATA_LBA_MID);
        outb(0x08, d->base + ATA_LBA_HIGH); /* byte count limit 2048 */
        outb(0xa0, d->base + ATA_COMMAND);
        if (ata_wait(d, ST_DRQ) < 0) {
            return -1;
        }
        pio_out(d->base, BIOS_SEG, (u16)(u32)pkt, 6);
        u16 got = 0;
        while (got < 2048) {
            int st = ata_wait(d, 0);
            if (st < 0) {
                /* Unit attention after a media change: one retry. */
                inb(d->base + ATA_ERROR);
                if (tries++ < 2) {
                    goto again;
                }
                return -1;
            }
            if (!(st & ST_DRQ)) {
                break;
            }
            u16 bytes = inb(d->base + ATA_LBA_MID) | (u16)inb(d->base + ATA_LBA_HIGH) << 8;
            if (!bytes || bytes > 2048 - got || (bytes & 1)) {
                return -1;
            }
            pio_in(d->base, seg, off + got, bytes / 2);
            got += bytes;
        }
        if (got != 2048) {
            return -1;
        }
        ata_wait(d, 0);
        seg += 0x80;
    }
    return 0;
}

static struct drive *hd_for(u8 dl)
{
    return dl >= 0x80 && dl < 0x80 + nr_disks ? &disks[dl - 0x80] : NULL;
}

/* The Disk Address Packet (EDD: AH=42h/43h) at DS:SI. */
static bool dap_read(struct bregs *r, u16 *count, u16 *seg, u16 *off, u32 *lba)
{
    u8 size = far_rb(r->ds, r->si.x);
    if (size < 16) {
        return false;
    }
    *count = far_rw(r->ds, r->si.x + 2);
    *off = far_rw(r->ds, r->si.x + 4);
    *seg = far_rw(r->ds, r->si.x + 6);
    *lba = far_rl(r->ds, r->si.x + 8);
    return far_rl(r->ds, r->si.x + 12) == 0 && !(*off == 0xffff && *seg == 0xffff);
}

/*
 * The EDD 3.0 device path (Phoenix "BIOS Enhanced Disk Drive Specification" 3.0, offsets
 * 1Eh-41h of the AH=48h result): key BEDDh, host bus "PCI " with the IDE function's bus,
 * slot, function and the channel, interface "ATA" or "ATAPI", and master/slave as the
 * device path; the checksum makes bytes 1Eh-41h sum to zero.
 */
static void edd_device_path(u16 seg, u16 off, const struct drive *d)
{
    u8 path[0x42 - 0x1e];
    memset(path, 0, sizeof(path));
    path[0] = 0xdd;
    path[1] = 0xbe;
    path[2] = 0x24; /* the length of the device path information */
    if (ide_bdf != 0xffff) {
        memcpy(&path[0x24 - 0x1e], "PCI ", 4);
        path[0x30 - 0x1e] = (u8)(ide_bdf >> 8);
        path[0x31 - 0x1e] = (u8)((ide_bdf >> 3) & 0x1f);
        path[0x32 - 0x1e] = (u8)(ide_bdf & 7);
        path[0x33 - 0x1e] = d->base == 0x1f0 ? 0 : 1;
    } else {
        memcpy(&path[0x24 - 0x1e], "ISA ", 4);
        path[0x30 - 0x1e] = (u8)d->base;
        path[0x31 - 0x1e] = (u8)(d->base >> 8);
    }
    memcpy(&path[0x28 - 0x1e], d->atapi ? "ATAPI   " : "ATA     ", 8);
    path[0x38 - 0x1e] = d->slave ? 1 : 0;
    u8 sum = 0;
    for (u32 i = 0; i < sizeof(path) - 1; i++) {
        sum += path[i];
    }
    path[sizeof(path) - 1] = (u8)-sum;
    far_copy_to(seg, off + 0x1e, path, sizeof(path));
}

static void edd_params(struct bregs *r, const struct drive *d, u32 sectors, u16 cyls,
                       u16 heads, u16 spt, u16 bps, bool removable)
{
    u16 size = far_rw(r->ds, r->si.x);
    if (size < 26) {
        fail(r, 0x01);
        return;
    }
    u16 seg = r->ds, off = r->si.x;
    far_ww(seg, off + 2, removable ? 0x0074 : 0x0002); /* CHS valid / removable, lockable */
    far_wl(seg, off + 4, cyls);
    far_wl(seg, off + 8, heads);
    far_wl(seg, off + 12, spt);
    far_wl(seg, off + 16, sectors);
    far_wl(seg, off + 20, 0);
    far_ww(seg, off + 24, bps);
    u16 out = 26;
    if (size >= 30) {
        far_wl(seg, off + 26, 0xffffffffu); /* no DPTE */
        out = 30;
    }
    if (size >= 0x42) {
        edd_device_path(seg, off, d);
        out = 0x42;
    }
    far_ww(seg, off, out);
    success(r);
}

static void int13_cdrom(struct bregs *r)
{
    switch (r->ax.h) {
    case 0x00:
    case 0x01:
    case 0x04:
    case 0x47:
        success(r);
        return;
    case 0x41:
        if (r->bx.x == 0x55aa) {
            r->bx.x = 0xaa55;
            r->ax.h = 0x30;
            r->cx.x = 0x0007;
            set_cf(r, 0);
            return;
        }
        break;
    case 0x42: {
        u16 count, seg, off;
        u32 lba;
        if (!dap_read(r, &count, &seg, &off, &lba)) {
            fail(r, 0x01);
            return;
        }
        if (atapi_read(&cdrom, lba, count, seg, off) < 0) {
            far_ww(r->ds, r->si.x + 2, 0);
            fail(r, 0x0c);
            return;
        }
        success(r);
        return;
    }
    case 0x43:
        fail(r, 0x03); /* write protected */
        return;
    case 0x48:
        edd_params(r, &cdrom, 0xffffffffu, 0xffff, 0xff, 0x3f, 2048, true);
        return;
    case 0x4b:
        if (!cd_booted) {
            fail(r, 0x01);
            return;
        }
        /* The specification packet: no emulation, this drive, the image's LBA. */
        far_wb(r->ds, r->si.x, 0x13);
        far_wb(r->ds, r->si.x + 1, 0x00);
        far_wb(r->ds, r->si.x + 2, CD_DRIVE);
        far_wb(r->ds, r->si.x + 3, cdrom.base == 0x1f0 ? 0 : 1);
        far_wl(r->ds, r->si.x + 4, cd_boot_lba);
        far_ww(r->ds, r->si.x + 8, cdrom.slave);
        far_ww(r->ds, r->si.x + 10, 0);
        far_ww(r->ds, r->si.x + 12, cd_boot_seg);
        far_ww(r->ds, r->si.x + 14, cd_boot_count);
        far_wb(r->ds, r->si.x + 16, 0);
        far_wb(r->ds, r->si.x + 17, 0);
        far_wb(r->ds, r->si.x + 18, 0);
        if (r->ax.l == 0x00) {
            cd_booted = false;
        }
        success(r);
        return;
    }
    dprintf("int13: CD AX=%04x not supported\n", r->ax.x);
    fail(r, 0x01);
}

void handle_int13(struct bregs *r)
{
    u8 dl = r->dx.l;
    if (have_cdrom && dl == CD_DRIVE) {
        int13_cdrom(r);
        return;
    }
    struct drive *d = hd_for(dl);
    if (!d) {
        if (r->ax.h == 0x08 && dl >= 0x80) {
            r->dx.l = (u8)nr_disks;
        }
        fail(r, 0x01);
        return;
    }
    switch (r->ax.h) {
    case 0x00:
    case 0x0d:
    case 0x10:
    case 0x11:
    case 0x04:
    case 0x0c:
    case 0x44:
    case 0x47:
        success(r);
        return;
    case 0x01:
        success(r);
        return;
    case 0x02:
    case 0x03: {
        u16 cyl = r->cx.h | (u16)(r->cx.l & 0xc0) << 2;
        u8 sector = r->cx.l & 0x3f, head = r->dx.h;
        u8 count = r->ax.l;
        if (!sector || sector > d->spt || head >= d->heads || cyl >= d->cyls || !count) {
            r->ax.l = 0;
            fail(r, 0x01);
            return;
        }
        u32 lba = ((u32)cyl * d->heads + head) * d->spt + sector - 1;
        if (ata_rw(d, lba, count, r->es, r->bx.x, r->ax.h == 0x03) < 0) {
            r->ax.l = 0;
            fail(r, 0x04);
            return;
        }
        success(r);
        return;
    }
    case 0x08:
        r->cx.h = (u8)(d->cyls - 1);
        r->cx.l = (u8)(((d->cyls - 1) >> 2) & 0xc0) | (u8)d->spt;
        r->dx.h = (u8)(d->heads - 1);
        r->dx.l = (u8)nr_disks;
        r->ax.l = 0;
        r->bx.l = 0;
        success(r);
        return;
    case 0x15: {
        r->ax.h = 3;
        r->cx.x = (u16)(d->sectors >> 16);
        r->dx.x = (u16)d->sectors;
        set_cf(r, 0);
        return;
    }
    case 0x41:
        if (r->bx.x == 0x55aa) {
            r->bx.x = 0xaa55;
            r->ax.h = 0x30; /* EDD 3.0 */
            r->cx.x = 0x0005; /* fixed-disk access and EDD subsets */
            set_cf(r, 0);
            return;
        }
        break;
    case 0x42:
    case 0x43: {
        u16 count, seg, off;
        u32 lba;
        if (!dap_read(r, &count, &seg, &off, &lba)) {
            fail(r, 0x01);
            return;
        }
        if (ata_rw(d, lba, count, seg, off, r->ax.h == 0x43) < 0) {
            far_ww(r->ds, r->si.x + 2, 0);
            fail(r, 0x04);
            return;
        }
        success(r);
        return;
    }
    case 0x48:
        edd_params(r, d, d->sectors, d->cyls, d->heads, d->spt, 512, false);
        return;
    }
    dprintf("int13: AX=%04x DL=%02x not supported\n", r->ax.x, dl);
    fail(r, 0x01);
}

static int boot_cdrom(void)
{
    /* The Boot Record Volume Descriptor at sector 17, then the boot catalog. */
    const u16 scratch = 0x0050; /* 0x500-0xCFF is free until the boot sector runs */
    if (atapi_read(&cdrom, 17, 1, scratch, 0) < 0) {
        printf("Booting from CD-ROM: cannot read the disc.\n");
        return -1;
    }
    static const char torito[] = "EL TORITO SPECIFICATION";
    for (u16 i = 0; i < sizeof(torito) - 1; i++) {
        if (far_rb(scratch, 7 + i) != (u8)torito[i]) {
            printf("Booting from CD-ROM: not an El Torito disc.\n");
            return -1;
        }
    }
    u32 catalog = far_rl(scratch, 0x47);
    if (atapi_read(&cdrom, catalog, 1, scratch, 0) < 0 || far_rb(scratch, 0) != 1 ||
        far_rw(scratch, 0x1e) != 0xaa55 || far_rb(scratch, 0x20) != 0x88) {
        printf("Booting from CD-ROM: no bootable entry in the boot catalog.\n");
        return -1;
    }
    u8 media = far_rb(scratch, 0x21) & 0x0f;
    if (media != 0) {
        printf("Booting from CD-ROM: El Torito %s emulation is not supported "
               "(only no-emulation images boot).\n", media == 4 ? "hard disk" : "floppy");
        return -1;
    }
    u16 seg = far_rw(scratch, 0x22);
    u16 count = far_rw(scratch, 0x26);
    u32 lba = far_rl(scratch, 0x28);
    if (!seg) {
        seg = 0x07c0;
    }
    if (!count) {
        count = 1;
    }
    cd_boot_lba = lba;
    cd_boot_seg = seg;
    cd_boot_count = count;
    if (atapi_read(&cdrom, lba, (u16)((count + 3) / 4), seg, 0) < 0) {
        printf("Booting from CD-ROM: cannot read the boot image.\n");
        return -1;
    }
    cd_booted = true;
    printf("Booting from CD-ROM...\n");
    boot_jump(seg, 0, 0, 0x7c00, 0, CD_DRIVE);
}

static int boot_hd(void)
{
    if (ata_rw(&disks[0], 0, 1, 0, 0x7c00, false) < 0) {
        printf("Booting from Hard Disk: read error.\n");
        return -1;
    }
    if (far_rw(0, 0x7dfe) != 0xaa55) {
        printf("Booting from Hard Disk: not a bootable disk.\n");
        return -1;
    }
    printf("Booting from Hard Disk...\n");
    boot_jump(0, 0x7c00, 0, 0x7c00, 0, 0x80);
}

static int ide_channel(const struct drive *d) { return d->base == channel_base[0] ? 0 : 1; }

void disk_prioritize(u8 channel, u8 unit)
{
    for (int i = 0; i < nr_disks; i++) {
        if (ide_channel(&disks[i]) == channel && disks[i].slave == unit) {
            struct drive chosen = disks[i];
            for (int j = i; j > 0; j--) {
                disks[j] = disks[j - 1];
            }
            disks[0] = chosen;
            return;
        }
    }
}

int disk_boot_ide(u8 channel, u8 unit)
{
    if (have_cdrom && ide_channel(&cdrom) == channel && cdrom.slave == unit) {
        return boot_cdrom();
    }
    for (int i = 0; i < nr_disks; i++) {
        if (ide_channel(&disks[i]) == channel && disks[i].slave == unit) {
            disk_prioritize(channel, unit);
            return boot_hd();
        }
    }
    printf("Booting from ide%u-%u: no drive there.\n", channel, unit);
    return -1;
}

int disk_boot(int kind)
{
    if (kind == 0) {
        if (!nr_disks) {
            printf("Booting from Hard Disk: no hard disk found.\n");
            return -1;
        }
        return boot_hd();
    }
    if (!have_cdrom) {
        printf("Booting from CD-ROM: no CD-ROM drive found.\n");
        return -1;
    }
    return boot_cdrom();
}
