/*
 * Osprey BIOS: PCI option ROMs (PCI Local Bus spec 3.0 section 6.3 "PCI
 * Expansion ROMs", and the BIOS Boot Specification 1.01 for the PnP
 * expansion header's boot entries).
 *
 * Each PCI device with a ROM BAR (the VGA first, so its ROM lands at
 * 0xC0000 as every OS expects) gets its legacy x86 image copied into the
 * shadow RAM at 0xC0000-0xDFFFF, checked, and its init entry at offset 3
 * called with AH = bus, AL = devfn and ES:DI pointing at the $PnP
 * installation check structure, so that PnP-aware ROMs (iPXE) register a
 * Boot Entry Vector instead of hooking INT 19h.  INT 19h calls the BEVs for
 * -boot n.
 */
#include "bios.h"

#define SHADOW_START 0xc0000u
#define SHADOW_NONVGA_START 0xc8000u
#define SHADOW_END 0xe0000u     /* the E segment belongs to the system BIOS */
#define ROM_ALIGN 2048u
#define MAX_ROM_IMAGES 8        /* images in one ROM (legacy, EFI, ...) */
#define MAX_PNP_HEADERS 8

u32 pci_read32(u16 bdf, u8 reg);
void pci_write32(u16 bdf, u8 reg, u32 v);
u16 pci_read16(u16 bdf, u8 reg);
void pci_write16(u16 bdf, u8 reg, u16 v);
u32 option_rom_call(u32 seg_off, u32 ax, u32 es_di);
extern char pnp_entry[];
extern u16 vga_bdf;

struct boot_entry {
    u16 seg, off;
    u16 bdf;
};
static struct boot_entry bev[MAX_BOOT_ENTRIES];
static int nr_bev;
static u32 shadow_next = SHADOW_NONVGA_START;

/*
 * The PnP BIOS installation check structure (Plug and Play BIOS spec 1.0A
 * section 4.4): option ROMs find it through ES:DI at init time; bootloaders
 * scan the F segment for it on 16-byte boundaries.
 */
struct pnp_install {
    char signature[4];
    u8 version, length;
    u16 control;
    u8 checksum;
    u32 event_flag;
    u16 rm_offset, rm_segment;
    u16 pm_offset;
    u32 pm_base;
    u32 oem_id;
    u16 rm_data_segment;
    u32 pm_data_base;
} __attribute__((packed));

static struct pnp_install pnp __attribute__((aligned(16))) = {
    .signature = "$PnP", .version = 0x10, .length = sizeof(struct pnp_install),
};

static void pnp_install_init(void)
{
    pnp.rm_offset = (u16)(u32)pnp_entry;
    pnp.rm_segment = BIOS_SEG;
    pnp.pm_offset = (u16)(u32)pnp_entry;
    pnp.pm_base = 0xf0000;
    pnp.rm_data_segment = BIOS_SEG;
    pnp.pm_data_base = 0xf0000;
    u8 sum = 0;
    pnp.checksum = 0;
    for (u32 i = 0; i < sizeof(pnp); i++) {
        sum += ((const u8 *)&pnp)[i];
    }
    pnp.checksum = (u8)-sum;
}

/* 32-bit copy from the ROM BAR: MMIO, so few and wide accesses. */
static void flat_copy(u32 dst, u32 src, u32 len)
{
    for (u32 i = 0; i < len; i += 4) {
        flat_wl(dst + i, flat_rl(src + i));
    }
}

/*
 * The x86 image of a ROM at flat address rom (size bytes of BAR): its
 * offset in the ROM and length, or 0 when none.  Guest-visible ROM
 * contents come from a file the user chose; every offset is checked.
 */
static u32 find_x86_image(u32 rom, u32 bar_size, u16 bdf, u32 *len)
{
    u32 id = pci_read32(bdf, 0);
    u32 off = 0;
    for (int n = 0; n < MAX_ROM_IMAGES && off + 0x1a <= bar_size; n++) {
        if (flat_rw(rom + off) != 0xaa55) {
            dprintf("rom %04x: no signature at %x\n", bdf, off);
            return 0;
        }
        u16 pcir = flat_rw(rom + off + 0x18);
        if (off + pcir + 0x18 > bar_size || flat_rl(rom + off + pcir) != 0x52494350) {
            dprintf("rom %04x: no PCI data structure\n", bdf);
            return 0;
        }
        u32 image_len = (u32)flat_rw(rom + off + pcir + 0x10) * 512;
        u8 code_type = flat_rb(rom + off + pcir + 0x14);
        u8 indicator = flat_rb(rom + off + pcir + 0x15);
        u32 ids = flat_rl(rom + off + pcir + 4);
        if (code_type == 0) {
            if (ids != id) {
                /* QEMU-style ROMs are built for one device; a mismatch is worth noting. */
                dprintf("rom %04x: built for %08x, device is %08x\n", bdf, ids, id);
            }
            *len = (u32)flat_rb(rom + off + 2) * 512;
            if (!*len || off + *len > bar_size) {
                return 0;
            }
            return rom + off;
        }
        if ((indicator & 0x80) || !image_len) {
            break;
        }
        off += image_len;
    }
    return 0;
}

/* The PnP expansion headers' boot vectors (BIOS Boot Specification 3.1). */
static void collect_boot_entries(u32 base, u32 len, u16 bdf)
{
    u16 seg = (u16)(base >> 4);
    u16 hdr = flat_rw(base + 0x1a);
    for (int n = 0; n < MAX_PNP_HEADERS && hdr && hdr + 0x20u <= len; n++) {
        if (flat_rl(base + hdr) != 0x506e5024) { /* "$PnP" */
            break;
        }
        u16 bcv = flat_rw(base + hdr + 0x16);
        u16 bev_off = flat_rw(base + hdr + 0x1a);
        if (bev_off && nr_bev < MAX_BOOT_ENTRIES) {
            bev[nr_bev].seg = seg;
            bev[nr_bev].off = bev_off;
            bev[nr_bev].bdf = bdf;
            nr_bev++;
        }
        if (bcv) {
            /* A disk ROM's BCV hooks INT 13h for its drives; call it now, before boot. */
            option_rom_call((u32)seg << 16 | bcv, bdf, (u32)BIOS_SEG << 16 | (u16)(u32)&pnp);
        }
        hdr = flat_rw(base + hdr + 6);
    }
}

static void run_device_rom(u16 bdf, bool is_vga)
{
    u32 bar = pci_read32(bdf, 0x30);
    if (!(bar & 0xfffff800u)) {
        return;
    }
    pci_write32(bdf, 0x30, 0xfffff800u);
    u32 bar_size = ~(pci_read32(bdf, 0x30) & 0xfffff800u) + 1;
    u32 rom = bar & 0xfffff800u;
    pci_write32(bdf, 0x30, rom | 1);
    pci_write16(bdf, 4, pci_read16(bdf, 4) | 2);
    u32 len = 0;
    u32 image = find_x86_image(rom, bar_size, bdf, &len);
    u32 dest = is_vga ? SHADOW_START : shadow_next;
    if (image && dest + len > SHADOW_END) {
        printf("Option ROM of %02x:%02x.%x: no room (%u KiB)\n", bdf >> 8, (bdf >> 3) & 31,
               bdf & 7, len >> 10);
        image = 0;
    }
    if (image) {
        flat_copy(dest, image, len);
    }
    pci_write32(bdf, 0x30, rom); /* decode off: the copy in shadow RAM is what runs */
    if (!image) {
        return;
    }
    u8 sum = 0;
    for (u32 i = 0; i < len; i++) {
        sum += flat_rb(dest + i);
    }
    if (sum) {
        printf("Option ROM of %02x:%02x.%x: bad checksum, skipped\n", bdf >> 8,
               (bdf >> 3) & 31, bdf & 7);
        return;
    }
    dprintf("rom %04x: %u KiB at %x\n", bdf, len >> 10, dest);
    option_rom_call((dest >> 4) << 16 | 3, bdf, (u32)BIOS_SEG << 16 | (u16)(u32)&pnp);
    /* PCI 3.0: the ROM may shrink to its runtime size (byte 2) during init. */
    u32 runtime = (u32)flat_rb(dest + 2) * 512;
    if (runtime > len) {
        runtime = len;
    }
    if (flat_rw(dest) == 0xaa55) {
        collect_boot_entries(dest, runtime, bdf);
    }
    u32 end = (dest + runtime + ROM_ALIGN - 1) & ~(ROM_ALIGN - 1);
    if (is_vga) {
        /* Other ROMs follow the VGA BIOS, but never start below 0xC8000's customary slot. */
        shadow_next = end > SHADOW_NONVGA_START ? end : SHADOW_NONVGA_START;
    } else {
        shadow_next = end;
    }
}

/*
 * PAM1-PAM4 (i440FX config 0x5A-0x5D) turn 0xC0000-0xDFFFF into read/write
 * RAM; ROMs write to themselves during init (iPXE shrinks and re-checksums).
 */
static void shadow_enable(void)
{
    for (u8 reg = 0x5a; reg <= 0x5d; reg++) {
        outl(0x80000000u | (reg & 0xfc), 0xcf8);
        outb(0x33, 0xcfc + (reg & 3));
    }
}

static bool vga_rom_done;

/* The VGA's ROM (the VGA BIOS) first, before POST prints anything: it sets the mode. */
void option_rom_vga_run(void)
{
    pnp_install_init();
    shadow_enable();
    if (vga_bdf != 0xffff && !vga_rom_done) {
        vga_rom_done = true;
        run_device_rom(vga_bdf, true);
    }
}

void option_roms_run(void)
{
    option_rom_vga_run();
    for (u16 bdf = 0; bdf < 256; bdf++) {
        u32 id = pci_read32(bdf, 0);
        if ((id & 0xffff) == 0xffff || !id) {
            continue;
        }
        if (bdf != vga_bdf) {
            run_device_rom(bdf, false);
        }
    }
}

int boot_entry_count(void) { return nr_bev; }

static void bev_call(int i)
{
    printf("Booting from ROM at %04x:%04x (%02x:%02x.%x)\n", bev[i].seg, bev[i].off,
           bev[i].bdf >> 8, (bev[i].bdf >> 3) & 31, bev[i].bdf & 7);
    asm volatile("sti");
    outb(2, 0x4f0); /* osprey-boot-status: the handover, for the speed figure */
    option_rom_call((u32)bev[i].seg << 16 | bev[i].off, 0, (u32)BIOS_SEG << 16 | (u16)(u32)&pnp);
}

/* A bootindex= device's ROM: its BEVs only; returns when none booted. */
void option_rom_boot_bdf(u16 bdf)
{
    bool any = false;
    for (int i = 0; i < nr_bev; i++) {
        if (bev[i].bdf == bdf) {
            any = true;
            bev_call(i);
        }
    }
    if (!any) {
        printf("Booting from %02x:%02x.%x: no option ROM with a boot entry.\n", bdf >> 8,
               (bdf >> 3) & 31, bdf & 7);
    }
}

/* Boot from the network ROMs' BEVs in order; returns when none booted. */
void option_rom_boot(void)
{
    if (!nr_bev) {
        printf("Network boot: no option ROM with a boot entry (iPXE's efi-rtl8139.rom from "
               "ipxe-qemu is the default with -boot n; or -device ...,romfile=).\n");
        return;
    }
    for (int i = 0; i < nr_bev; i++) {
        bev_call(i);
    }
}
