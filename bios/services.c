/*
 * Osprey BIOS: the small services: INT 11h/12h (equipment, base memory),
 * INT 15h (memory map, A20, wait, system configuration, APM absent), INT 16h
 * (keyboard, with COM1 input on the serial console), INT 1Ah (clock, PCI
 * BIOS) and the keyboard IRQ.
 */
#include "bios.h"

void handle_unsupported(struct bregs *r);
void handle_int11(struct bregs *r);
void handle_int12(struct bregs *r);

void handle_unsupported(struct bregs *r) { fail(r, 0x86); }

void handle_int11(struct bregs *r) { r->ax.x = bda_rw(BDA_EQUIPMENT); }

void handle_int12(struct bregs *r) { r->ax.x = bda_rw(BDA_MEM_KIB); }

/* The system configuration table for INT 15h AH=C0h. */
static const u8 sys_config[] = {8, 0, 0xfc, 0, 0, 0x70, 0x40, 0, 0, 0};

static u8 a20_get(void) { return (inb(0x92) >> 1) & 1; }

static void a20_set(bool on)
{
    u8 v = inb(0x92) & ~3;
    outb(v | (on ? 2 : 0), 0x92);
}

static void int15_e820(struct bregs *r)
{
    if (r->dx.e != 0x534d4150 || r->cx.e < 20) {
        fail(r, 0x86);
        return;
    }
    u32 i = r->bx.e;
    if (i >= (u32)e820_count) {
        fail(r, 0x86);
        return;
    }
    far_copy_to(r->es, r->di.x, &e820_map[i], 20);
    r->ax.e = 0x534d4150;
    r->cx.e = 20;
    r->bx.e = i + 1 < (u32)e820_count ? i + 1 : 0;
    set_cf(r, 0);
}

/* Wait CX:DX microseconds with the CPU halted between timer ticks (18.2 Hz). */
static void wait_us(u32 us)
{
    u32 ticks = us / 54925 + 1;
    u32 start = far_rl(BDA_SEG, BDA_TICKS);
    asm volatile("sti");
    while (far_rl(BDA_SEG, BDA_TICKS) - start < ticks) {
        asm volatile("hlt");
    }
    asm volatile("cli");
}

void big_real_enter(void);

/*
 * AH=87h: copy CX words between the bases of the descriptors at ES:SI+10h (source) and
 * ES:SI+18h (destination) of the caller's GDT (IBM PC AT BIOS technical reference).  The copy
 * runs in big real mode through FS with A20 on; the caller's A20 state comes back after.
 */
static void int15_block_move(struct bregs *r)
{
    u32 src = far_rl(r->es, r->si.x + 0x12) & 0xffffff;
    u32 dst = far_rl(r->es, r->si.x + 0x1a) & 0xffffff;
    src |= (u32)far_rb(r->es, r->si.x + 0x17) << 24;
    dst |= (u32)far_rb(r->es, r->si.x + 0x1f) << 24;
    u32 len = (u32)r->cx.x * 2;
    if (r->cx.x > 0x8000) {
        fail(r, 0x02); /* more than 64 KiB: what the descriptors' limits would fault on */
        return;
    }
    u8 a20 = a20_get();
    a20_set(true);
    big_real_enter();
    for (u32 i = 0; i + 4 <= len; i += 4) {
        flat_wl(dst + i, flat_rl(src + i));
    }
    if (len & 2) {
        flat_ww(dst + len - 2, flat_rw(src + len - 2));
    }
    a20_set(a20);
    success(r);
    r->flags |= FLAG_ZF;
}

void handle_int15(struct bregs *r)
{
    switch (r->ax.h) {
    case 0x24:
        switch (r->ax.l) {
        case 0x00:
            a20_set(false);
            success(r);
            return;
        case 0x01:
            a20_set(true);
            success(r);
            return;
        case 0x02:
            r->ax.l = a20_get();
            success(r);
            return;
        case 0x03:
            r->bx.x = 3; /* keyboard controller and port 0x92 */
            success(r);
            return;
        }
        break;
    case 0x4f: /* keyboard intercept: not intercepted */
        set_cf(r, 1);
        return;
    case 0x53: /* APM: not present */
        fail(r, 0x86);
        return;
    case 0x86:
        wait_us((u32)r->cx.x << 16 | r->dx.x);
        success(r);
        return;
    case 0x87:
        int15_block_move(r);
        return;
    case 0x88: {
        u32 kib = ram_below_4g > 0x100000 ? (ram_below_4g - 0x100000) >> 10 : 0;
        r->ax.x = kib > 0xfc00 ? 0xfc00 : (u16)kib;
        set_cf(r, 0);
        return;
    }
    case 0xc0:
        r->es = BIOS_SEG;
        r->bx.x = (u16)(u32)sys_config;
        success(r);
        return;
    case 0xe8:
        if (r->ax.l == 0x20) {
            int15_e820(r);
            return;
        }
        if (r->ax.l == 0x01) {
            u32 low = ram_below_4g > 0x100000 ? (ram_below_4g - 0x100000) >> 10 : 0;
            u32 ax = low > 0x3c00 ? 0x3c00 : low;
            u32 bx = ram_below_4g > 0x1000000 ? (ram_below_4g - 0x1000000) >> 16 : 0;
            r->ax.x = r->cx.x = (u16)ax;
            r->bx.x = r->dx.x = (u16)(bx > 0xffff ? 0xffff : bx);
            set_cf(r, 0);
            return;
        }
        break;
    }
    dprintf("int15: AX=%04x not supported\n", r->ax.x);
    fail(r, 0x86);
}

/* Keyboard buffer in the BDA (0x41E-0x43D). */
void kbd_push(u16 key)
{
    u16 head = bda_rw(BDA_KBD_HEAD), tail = bda_rw(BDA_KBD_TAIL);
    u16 next = tail + 2;
    if (next >= bda_rw(BDA_KBD_END)) {
        next = bda_rw(BDA_KBD_START);
    }
    if (next == head) {
        return; /* full: the key is lost, as on real hardware */
    }
    bda_ww(tail, key);
    bda_ww(BDA_KBD_TAIL, next);
}

static int kbd_peek(bool remove)
{
    int key = serial_getkey();
    if (key >= 0) {
        kbd_push((u16)key);
    }
    u16 head = bda_rw(BDA_KBD_HEAD);
    if (head == bda_rw(BDA_KBD_TAIL)) {
        return -1;
    }
    u16 k = bda_rw(head);
    if (remove) {
        head += 2;
        if (head >= bda_rw(BDA_KBD_END)) {
            head = bda_rw(BDA_KBD_START);
        }
        bda_ww(BDA_KBD_HEAD, head);
    }
    return k;
}

void keyboard_init(void)
{
    bda_ww(BDA_KBD_START, BDA_KBD_BUF);
    bda_ww(BDA_KBD_END, BDA_KBD_BUF + 32);
    bda_ww(BDA_KBD_HEAD, BDA_KBD_BUF);
    bda_ww(BDA_KBD_TAIL, BDA_KBD_BUF);
    /* i8042: translate to set 1, keyboard IRQ on, mouse port off. */
    for (int i = 0; i < 1000 && (inb(0x64) & 2); i++) {
    }
    outb(0x60, 0x64);
    for (int i = 0; i < 1000 && (inb(0x64) & 2); i++) {
    }
    outb(0x61, 0x60);
    while (inb(0x64) & 1) {
        inb(0x60);
    }
}

/* Scan code set 1 to ASCII, unshifted and shifted. */
static const char kbd_lower[] = "\0\x1b" "1234567890-=\b\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char kbd_upper[] = "\0\x1b" "!@#$%^&*()_+\b\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

void handle_irq1(struct bregs *r)
{
    u8 sc = inb(0x60);
    u8 flags = bda_rb(BDA_KBD_FLAGS);
    bool release = sc & 0x80;
    u8 code = sc & 0x7f;
    switch (code) {
    case 0x2a:
    case 0x36:
        flags = release ? flags & ~(code == 0x2a ? 2 : 1) : flags | (code == 0x2a ? 2 : 1);
        break;
    case 0x1d:
        flags = release ? flags & ~4 : flags | 4;
        break;
    case 0x38:
        flags = release ? flags & ~8 : flags | 8;
        break;
    default:
        if (!release && sc != 0xe0) {
            char c = 0;
            if (code < sizeof(kbd_lower) - 1) {
                c = (flags & 3) ? kbd_upper[code] : kbd_lower[code];
            }
            if (c && (flags & 4) && c >= 'a' && c <= 'z') {
                c -= 'a' - 1;
            }
            kbd_push((u16)(code << 8 | (u8)c));
        }
    }
    bda_wb(BDA_KBD_FLAGS, flags);
    outb(0x20, 0x20);
}

void handle_int16(struct bregs *r)
{
    switch (r->ax.h) {
    case 0x00:
    case 0x10: {
        int k;
        while ((k = kbd_peek(true)) < 0) {
            asm volatile("sti\n\thlt\n\tcli");
        }
        if (r->ax.h == 0x00 && (k & 0xff) == 0xe0) {
            k &= 0xff00;
        }
        r->ax.x = (u16)k;
        return;
    }
    case 0x01:
    case 0x11: {
        int k = kbd_peek(false);
        if (k < 0) {
            r->flags |= FLAG_ZF;
        } else {
            r->flags &= ~FLAG_ZF;
            r->ax.x = (u16)k;
        }
        return;
    }
    case 0x02:
    case 0x12:
        r->ax.l = bda_rb(BDA_KBD_FLAGS);
        if (r->ax.h == 0x12) {
            r->ax.h = 0;
        }
        return;
    case 0x03: /* typematic rate: accepted */
        return;
    case 0x05:
        kbd_push(r->cx.x);
        r->ax.l = 0;
        return;
    case 0x09: /* supported functions: 10h-12h */
        r->ax.l = 0x20;
        return;
    }
    dprintf("int16: AX=%04x not supported\n", r->ax.x);
}

static u8 bcd_ok(u8 reg)
{
    outb(reg, 0x70);
    return inb(0x71);
}

static bool rtc_updating(void)
{
    outb(0x0a, 0x70);
    return inb(0x71) & 0x80;
}

void handle_int1a(struct bregs *r)
{
    switch (r->ax.h) {
    case 0x00:
        asm volatile("cli");
        r->cx.x = far_rw(BDA_SEG, BDA_TICKS + 2);
        r->dx.x = far_rw(BDA_SEG, BDA_TICKS);
        r->ax.l = bda_rb(BDA_MIDNIGHT);
        bda_wb(BDA_MIDNIGHT, 0);
        set_cf(r, 0);
        return;
    case 0x01:
        far_ww(BDA_SEG, BDA_TICKS + 2, r->cx.x);
        far_ww(BDA_SEG, BDA_TICKS, r->dx.x);
        bda_wb(BDA_MIDNIGHT, 0);
        success(r);
        return;
    case 0x02:
        for (int i = 0; i < 10000 && rtc_updating(); i++) {
        }
        r->cx.h = bcd_ok(4);
        r->cx.l = bcd_ok(2);
        r->dx.h = bcd_ok(0);
        r->dx.l = bcd_ok(0x0b) & 1;
        success(r);
        return;
    case 0x04:
        for (int i = 0; i < 10000 && rtc_updating(); i++) {
        }
        r->cx.h = bcd_ok(0x32);
        r->cx.l = bcd_ok(9);
        r->dx.h = bcd_ok(8);
        r->dx.l = bcd_ok(7);
        success(r);
        return;
    case 0xb1:
        if (pcibios_call(r)) {
            return;
        }
        break;
    }
    dprintf("int1a: AX=%04x not supported\n", r->ax.x);
    fail(r, 0x86);
}
