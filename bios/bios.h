/*
 * Osprey BIOS: shared declarations.  Built with gcc -m16 -ffreestanding:
 * 32-bit C running in real mode with CS = DS = SS = 0xF000.  Pointers are
 * offsets in the F segment; other memory is reached with far_* (any
 * segment:offset, through GS) or, during POST only, flat_* (FS in big real
 * mode, any 32-bit physical address).
 */
#ifndef OSPREY_BIOS_H
#define OSPREY_BIOS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed int s32;
typedef u32 size_t;
#define NULL ((void *)0)
#define bool _Bool
#define true 1
#define false 0
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BIOS_SEG 0xf000
#define BIOS_FLAT(p) (0xf0000u + (u32)(u16)(u32)(p))

/* The running code's segment: F000h in the system BIOS, C000h in the VGA BIOS. */
static inline u16 code_seg(void)
{
    u16 cs;
    asm volatile("movw %%cs, %0" : "=r"(cs));
    return cs;
}

/* The register frame built by entry.S (pushal order, then segments). */
union reg32 {
    u32 e;
    struct {
        u16 x, xhi;
    };
    struct {
        u8 l, h;
    };
};
struct bregs {
    union reg32 di, si, bp, sp, bx, dx, cx, ax;
    u16 gs, fs, es, ds, handler, ip, cs, flags;
} __attribute__((packed));

#define FLAG_CF 0x0001
#define FLAG_ZF 0x0040
#define FLAG_IF 0x0200

/*
 * INT 10h teletype control characters (CR, LF, BS, BEL) move the cursor (row, col) and
 * return true; any other character is a glyph for the caller to draw at the cursor.
 */
static inline bool teletype_control(u8 ch, u8 *row, u8 *col)
{
    switch (ch) {
    case '\r':
        *col = 0;
        return true;
    case '\n':
        (*row)++;
        return true;
    case '\b':
        if (*col) {
            (*col)--;
        }
        return true;
    case '\a':
        return true;
    default:
        return false;
    }
}

static inline void set_cf(struct bregs *r, int on)
{
    r->flags = on ? (r->flags | FLAG_CF) : (r->flags & ~FLAG_CF);
}
/* The usual "function failed" return: AH = code, CF set. */
static inline void fail(struct bregs *r, u8 code)
{
    r->ax.h = code;
    set_cf(r, 1);
}
static inline void success(struct bregs *r)
{
    r->ax.h = 0;
    set_cf(r, 0);
}

/* Port I/O. */
static inline void outb(u8 v, u16 port) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 v, u16 port) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u32 v, u16 port) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
    u8 v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline u16 inw(u16 port)
{
    u16 v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline u32 inl(u16 port)
{
    u32 v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/*
 * Memory outside DS, in inline assembly: gcc -m16 would encode a constant
 * address as a 16-bit displacement, so the address always goes in a
 * 32-bit register.
 */
#define SEG_ACCESSORS(seg)                                                                   \
    static inline u8 seg##_rb_(u32 a)                                                        \
    {                                                                                        \
        u8 v;                                                                                \
        asm volatile("movb %%" #seg ":(%1), %0" : "=q"(v) : "r"(a) : "memory");              \
        return v;                                                                            \
    }                                                                                        \
    static inline u16 seg##_rw_(u32 a)                                                       \
    {                                                                                        \
        u16 v;                                                                               \
        asm volatile("movw %%" #seg ":(%1), %0" : "=r"(v) : "r"(a) : "memory");              \
        return v;                                                                            \
    }                                                                                        \
    static inline u32 seg##_rl_(u32 a)                                                       \
    {                                                                                        \
        u32 v;                                                                               \
        asm volatile("movl %%" #seg ":(%1), %0" : "=r"(v) : "r"(a) : "memory");              \
        return v;                                                                            \
    }                                                                                        \
    static inline void seg##_wb_(u32 a, u8 v)                                                \
    {                                                                                        \
        asm volatile("movb %0, %%" #seg ":(%1)" : : "q"(v), "r"(a) : "memory");              \
    }                                                                                        \
    static inline void seg##_ww_(u32 a, u16 v)                                               \
    {                                                                                        \
        asm volatile("movw %0, %%" #seg ":(%1)" : : "r"(v), "r"(a) : "memory");              \
    }                                                                                        \
    static inline void seg##_wl_(u32 a, u32 v)                                               \
    {                                                                                        \
        asm volatile("movl %0, %%" #seg ":(%1)" : : "r"(v), "r"(a) : "memory");              \
    }
SEG_ACCESSORS(fs)
SEG_ACCESSORS(gs)

/* Flat physical memory through FS (big real mode: POST only). */
static inline u8 flat_rb(u32 a) { return fs_rb_(a); }
static inline u16 flat_rw(u32 a) { return fs_rw_(a); }
static inline u32 flat_rl(u32 a) { return fs_rl_(a); }
static inline void flat_wb(u32 a, u8 v) { fs_wb_(a, v); }
static inline void flat_ww(u32 a, u16 v) { fs_ww_(a, v); }
static inline void flat_wl(u32 a, u32 v) { fs_wl_(a, v); }

/* segment:offset memory through GS (any time). */
static inline void set_gs(u16 seg) { asm volatile("movw %0, %%gs" : : "r"(seg) : "memory"); }
static inline u8 far_rb(u16 seg, u16 off)
{
    set_gs(seg);
    return gs_rb_(off);
}
static inline u16 far_rw(u16 seg, u16 off)
{
    set_gs(seg);
    return gs_rw_(off);
}
static inline u32 far_rl(u16 seg, u16 off)
{
    set_gs(seg);
    return gs_rl_(off);
}
static inline void far_wb(u16 seg, u16 off, u8 v)
{
    set_gs(seg);
    gs_wb_(off, v);
}
static inline void far_ww(u16 seg, u16 off, u16 v)
{
    set_gs(seg);
    gs_ww_(off, v);
}
static inline void far_wl(u16 seg, u16 off, u32 v)
{
    set_gs(seg);
    gs_wl_(off, v);
}
void far_copy_to(u16 seg, u16 off, const void *src, u16 len);

/* BIOS data area (segment 0x40). */
#define BDA_SEG 0x40
#define BDA_COM1 0x00
#define BDA_EBDA_SEG 0x0e
#define BDA_EQUIPMENT 0x10
#define BDA_MEM_KIB 0x13
#define BDA_KBD_FLAGS 0x17
#define BDA_KBD_HEAD 0x1a
#define BDA_KBD_TAIL 0x1c
#define BDA_KBD_BUF 0x1e
#define BDA_VIDEO_MODE 0x49
#define BDA_VIDEO_COLS 0x4a
#define BDA_VIDEO_PAGE_SIZE 0x4c
#define BDA_CURSOR_POS 0x50
#define BDA_CURSOR_SHAPE 0x60
#define BDA_ACTIVE_PAGE 0x62
#define BDA_CRTC_PORT 0x63
#define BDA_TICKS 0x6c
#define BDA_MIDNIGHT 0x70
#define BDA_HD_COUNT 0x75
#define BDA_KBD_START 0x80
#define BDA_KBD_END 0x82
#define BDA_VIDEO_ROWS 0x84
#define BDA_CHAR_HEIGHT 0x85

static inline u8 bda_rb(u16 off) { return far_rb(BDA_SEG, off); }
static inline u16 bda_rw(u16 off) { return far_rw(BDA_SEG, off); }
static inline void bda_wb(u16 off, u8 v) { far_wb(BDA_SEG, off, v); }
static inline void bda_ww(u16 off, u16 v) { far_ww(BDA_SEG, off, v); }

/* libc-like helpers (string.c). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* Console (console.c): COM1 and/or the VGA text screen. */
extern bool serial_console;  /* copy text to COM1 and take keys from it */
extern bool vga_present;
void serial_init(void);
void putchar_console(char c);
void puts(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int serial_getkey(void); /* -1 when none: a BIOS key code (scan << 8 | ascii) */
void vga_text_init(void);

/* fw_cfg (fwcfg.c). */
bool fw_cfg_present(void);
void fw_cfg_select(u16 key);
void fw_cfg_read(void *buf, u32 len);
u32 fw_cfg_read_i32(u16 key);
u64 fw_cfg_read_i64(u16 key);
u16 fw_cfg_read_i16(u16 key);
/* A file's key and size, or 0 when absent. */
u16 fw_cfg_find_file(const char *name, u32 *size);
/* DMA the selected item's next len bytes to physical memory. */
void fw_cfg_dma_read_to(u16 key, u32 phys, u32 len);
void fw_cfg_skip(u32 len);

/* Memory map (memmap.c). */
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
struct e820_entry {
    u64 base, len;
    u32 type;
} __attribute__((packed));
#define E820_MAX 32
extern struct e820_entry e820_map[E820_MAX];
extern int e820_count;
void memmap_init(void);
void e820_add(u64 base, u64 len, u32 type);
extern u32 ram_below_4g;
extern u64 ram_above_4g;
u32 high_alloc(u32 size, u32 align);  /* from the reserved zone at the top of low RAM */
u32 fseg_alloc(u32 size, u32 align);  /* from 0xE0000-0xEFFFF (shadow RAM) */
u32 high_zone_base(void);

/* The POST Memory Manager (pmm.c). */
void pmm_setup(void);

/* Services. */
void handle_int10(struct bregs *r);
void handle_int13(struct bregs *r);
void handle_int15(struct bregs *r);
void handle_int16(struct bregs *r);
void handle_int1a(struct bregs *r);
void handle_irq1(struct bregs *r);
void keyboard_init(void);
void kbd_push(u16 key);
void pci_setup(void);
int pcibios_call(struct bregs *r);
void acpi_setup(void);
void mptable_setup(void);
void disk_setup(void);
int disk_boot(int kind);  /* returns only on failure */
int disk_boot_ide(u8 channel, u8 unit); /* the drive there, hard disk or CD-ROM */
void disk_prioritize(u8 channel, u8 unit); /* that hard disk becomes drive 80h */

/* The boot order from fw_cfg (bootorder.c). */
extern bool boot_strict;
void bootorder_load(void);
bool bootorder_letters(char *order, u32 room);
void bootorder_boot(void);
bool linux_boot_present(void);
void linux_boot(void);

extern u16 nr_cpus;              /* from fw_cfg */
extern u16 cpus_started;         /* the BSP and the APs that answered (smp.c) */
extern u32 cpus_started_mask;    /* by initial APIC ID */
void smp_setup(void);
void acpi_madt_disable_missing_cpus(void);

/* VBE over the Bochs DISPI registers (vbe.c). */
extern bool vbe_active;
void handle_vbe(struct bregs *r);
void vbe_disable(void);

/* Option ROMs (optionrom.c). */
#define MAX_BOOT_ENTRIES 8
void option_roms_run(void);
void option_rom_vga_run(void);
/* INT 10h of a VGA BIOS option ROM (seg << 16 | off), 0 without one (console.c). */
extern u32 vga_rom_int10;
void vga_rom_adopt(void);
void int_chain_frame(struct bregs *r, u32 vector);
void option_rom_boot(void); /* returns when no ROM booted */
void option_rom_boot_bdf(u16 bdf); /* the BEVs of one PCI function */
int boot_entry_count(void);

void boot_jump(u32 cs, u32 ip, u32 ss, u32 sp, u32 ds, u32 edx) __attribute__((noreturn));

#endif
