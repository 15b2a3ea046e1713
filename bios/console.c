/*
 * Osprey BIOS: the console and INT 10h text services.
 *
 * Text goes to the VGA text buffer at 0xB8000 when a VGA exists, and to
 * COM1 when the serial console is on (-nographic, or no VGA at all).  On
 * COM1, writes at the cursor become ANSI cursor moves, so full-screen text
 * programs (boot menus) draw correctly in a terminal.
 */
#include <stdarg.h>

#include "bios.h"

#define COM1 0x3f8
#define VGA_TEXT_SEG 0xb800
#define ROWS 25
#define COLS 80

bool serial_console;
bool vga_present;
/*
 * A VGA BIOS option ROM (bios/vgabios by default) owns the screen when it hooked INT 10h at
 * POST.  Its vector is kept here; with the serial console on, INT 10h stays here, copies
 * the text to COM1 and chains to the ROM for the screen (vga_rom_adopt).
 */
u32 vga_rom_int10;
static u8 serial_row = 0xff, serial_col = 0xff; /* where the terminal's cursor is */
static u8 serial_attr = 0xff;
/*
 * The last character AH=09h/0Ah put on the terminal.  iPXE and others print
 * each character twice, with AH=09h for its colour and then AH=0Eh to move
 * the cursor; the terminal already shows it, so the teletype only advances.
 */
static u8 echo_row = 0xff, echo_col, echo_ch;

void serial_init(void)
{
    outb(0x83, COM1 + 3); /* DLAB */
    outb(1, COM1);        /* 115200 baud */
    outb(0, COM1 + 1);
    outb(0x03, COM1 + 3); /* 8N1 */
    outb(0x00, COM1 + 1); /* no interrupts: the BIOS polls */
    outb(0x07, COM1 + 2); /* FIFOs on and cleared */
    outb(0x03, COM1 + 4); /* DTR, RTS */
}

static void serial_out(u8 c)
{
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++) {
    }
    outb(c, COM1);
}

static void serial_str(const char *s)
{
    while (*s) {
        serial_out(*s++);
    }
}

static void serial_num(unsigned v)
{
    char buf[6];
    int n = 0;
    do {
        buf[n++] = '0' + v % 10;
        v /= 10;
    } while (v && n < 5);
    while (n) {
        serial_out(buf[--n]);
    }
}

/* Move the terminal's cursor to (row, col) unless it is already there. */
static void serial_goto(u8 row, u8 col)
{
    if (row == serial_row && col == serial_col) {
        return;
    }
    if (row == serial_row && col == 0) {
        serial_out('\r');
    } else if (row == serial_row + 1 && col == 0) {
        serial_str("\r\n"); /* keeps line-based logs readable */
    } else {
        serial_str("\x1b[");
        serial_num(row + 1u);
        serial_out(';');
        serial_num(col + 1u);
        serial_out('H');
    }
    serial_row = row;
    serial_col = col;
}

/* VGA attribute -> ANSI: reverse video for a light background is enough for menus. */
static void serial_set_attr(u8 attr)
{
    if (attr == serial_attr) {
        return;
    }
    serial_attr = attr;
    serial_str((attr & 0x70) && !(attr & 0x08 && (attr & 0x70) == 0) ? "\x1b[7m" : "\x1b[0m");
}

static u16 cursor_get(u8 page) { return bda_rw(BDA_CURSOR_POS + 2 * (page & 7)); }

static void cursor_set(u8 page, u8 row, u8 col)
{
    bda_ww(BDA_CURSOR_POS + 2 * (page & 7), (u16)(row << 8 | col));
    if (vga_present && !vga_rom_int10 && page == bda_rb(BDA_ACTIVE_PAGE)) {
        u16 pos = (u16)(row * COLS + col + page * (bda_rw(BDA_VIDEO_PAGE_SIZE) / 2));
        outb(0x0e, 0x3d4);
        outb(pos >> 8, 0x3d5);
        outb(0x0f, 0x3d4);
        outb(pos & 0xff, 0x3d5);
    }
}

static u16 page_base(u8 page) { return (u16)(page * bda_rw(BDA_VIDEO_PAGE_SIZE)); }

static void vga_put(u8 page, u8 row, u8 col, u8 ch, u8 attr, bool use_attr)
{
    if (!vga_present || vga_rom_int10 || vbe_active || row >= ROWS || col >= COLS) {
        return;
    }
    u16 off = page_base(page) + (u16)(2 * (row * COLS + col));
    far_wb(VGA_TEXT_SEG, off, ch);
    if (use_attr) {
        far_wb(VGA_TEXT_SEG, off + 1, attr);
    }
}

/* Scroll a window up (lines > 0) or down (lines < 0); 0 clears it. */
static void scroll(u8 page, int lines, u8 attr, u8 top, u8 left, u8 bottom, u8 right)
{
    if (bottom >= ROWS) {
        bottom = ROWS - 1;
    }
    if (right >= COLS) {
        right = COLS - 1;
    }
    if (top > bottom || left > right) {
        return;
    }
    int height = bottom - top + 1;
    if (lines == 0 || lines >= height || -lines >= height) {
        lines = height;
    }
    if (serial_console && top == 0 && left == 0 && right == COLS - 1 && lines == height &&
        bottom == ROWS - 1) {
        serial_str("\x1b[2J");
        serial_row = serial_col = 0xff;
    }
    if (!vga_present || vga_rom_int10 || vbe_active) {
        return;
    }
    u16 base = page_base(page);
    for (int i = 0; i < height; i++) {
        int row = lines > 0 ? top + i : bottom - i;
        int src = lines > 0 ? row + lines : row + lines;
        bool blank = lines > 0 ? src > bottom : src < top;
        for (int col = left; col <= right; col++) {
            u16 dst = base + (u16)(2 * (row * COLS + col));
            u16 cell = blank ? (u16)(attr << 8 | ' ')
                             : far_rw(VGA_TEXT_SEG, base + (u16)(2 * (src * COLS + col)));
            far_ww(VGA_TEXT_SEG, dst, cell);
        }
    }
}

/* Write a character at the cursor of the page without moving it. */
static void write_at_cursor(u8 page, u8 ch, u8 attr, bool use_attr)
{
    u16 pos = cursor_get(page);
    u8 row = pos >> 8, col = pos & 0xff;
    vga_put(page, row, col, ch, attr, use_attr);
    if (serial_console && ch >= 0x20 && row < ROWS && col < COLS) {
        serial_goto(row, col);
        if (use_attr) {
            serial_set_attr(attr);
        }
        serial_out(ch < 0x7f ? ch : '#');
        serial_col++;
        echo_row = row;
        echo_col = col;
        echo_ch = ch;
    }
}

static void teletype(u8 page, u8 ch, u8 attr, bool use_attr)
{
    u16 pos = cursor_get(page);
    u8 row = pos >> 8, col = pos & 0xff;
    if (!teletype_control(ch, &row, &col)) {
        vga_put(page, row, col, ch, attr, use_attr);
        col++;
    }
    if (col >= COLS) {
        col = 0;
        row++;
    }
    if (row >= ROWS) {
        scroll(page, 1, 0x07, 0, 0, ROWS - 1, COLS - 1);
        row = ROWS - 1;
    }
    if (serial_console) {
        /* A terminal scrolls and wraps on its own; keep the stream plain for logs. */
        bool echoed = echo_row == (pos >> 8) && echo_col == (pos & 0xff) && echo_ch == ch &&
                      serial_row == echo_row && serial_col == echo_col + 1;
        echo_row = 0xff;
        if (ch == '\n' || ch == '\r' || ch == '\b' || ch == '\a') {
            serial_out(ch);
        } else if (echoed) {
            /* already on the terminal (AH=09h): only the cursor moves */
        } else {
            if (serial_row != 0xff && (serial_row != (pos >> 8) || serial_col != (pos & 0xff))) {
                serial_goto(pos >> 8, pos & 0xff);
            }
            serial_out(ch);
        }
        serial_row = row;
        serial_col = col;
    }
    cursor_set(page, row, col);
}

void putchar_console(char c)
{
    if (vga_rom_int10) {
        /* Through INT 10h, so the VGA BIOS draws it (and the serial copy follows). */
        struct bregs r;
        memset(&r, 0, sizeof(r));
        if (c == '\n') {
            r.ax.x = 0x0e0d;
            r.bx.x = 0x0007;
            handle_int10(&r);
        }
        memset(&r, 0, sizeof(r));
        r.ax.x = (u16)(0x0e00 | (u8)c);
        r.bx.x = 0x0007;
        handle_int10(&r);
        return;
    }
    if (c == '\n') {
        teletype(bda_rb(BDA_ACTIVE_PAGE), '\r', 0x07, false);
    }
    teletype(bda_rb(BDA_ACTIVE_PAGE), (u8)c, 0x07, false);
}

void puts(const char *s)
{
    while (*s) {
        putchar_console(*s++);
    }
}

static void vformat(void (*out)(char), const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, longs = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        char buf[24];
        int n = 0;
        u32 v;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s) {
                out(*s++);
            }
            continue;
        }
        case 'c':
            out((char)va_arg(ap, int));
            continue;
        case 'd':
        case 'u':
        case 'x': {
            /* 64-bit arguments print their low half: there is no libgcc to divide them. */
            v = longs >= 2 ? (u32)va_arg(ap, u64) : va_arg(ap, u32);
            bool neg = *fmt == 'd' && (s32)v < 0;
            if (neg) {
                v = (u32)-(s32)v;
            }
            unsigned base = *fmt == 'x' ? 16 : 10;
            do {
                buf[n++] = "0123456789abcdef"[v % base];
                v /= base;
            } while (v && n < 22);
            if (neg) {
                buf[n++] = '-';
            }
            while (n < width && n < 22) {
                buf[n++] = pad;
            }
            while (n) {
                out(buf[--n]);
            }
            continue;
        }
        default:
            out(*fmt);
            continue;
        }
    }
}

void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(putchar_console, fmt, ap);
    va_end(ap);
}

/* The debug console (port 0xE9, -debugcon): POST details nobody else needs to see. */
static void debug_out(char c) { outb((u8)c, 0xe9); }

void dprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(debug_out, fmt, ap);
    va_end(ap);
}

void vga_text_init(void)
{
    bda_wb(BDA_VIDEO_MODE, 3);
    bda_ww(BDA_VIDEO_COLS, COLS);
    bda_ww(BDA_VIDEO_PAGE_SIZE, 0x1000);
    bda_wb(BDA_VIDEO_ROWS, ROWS - 1);
    bda_wb(BDA_CHAR_HEIGHT, 16);
    bda_ww(BDA_CRTC_PORT, 0x3d4);
    bda_ww(BDA_CURSOR_SHAPE, 0x0607);
    bda_wb(BDA_ACTIVE_PAGE, 0);
    for (int p = 0; p < 8; p++) {
        bda_ww(BDA_CURSOR_POS + 2 * p, 0);
    }
    if (vga_present) {
        for (u16 i = 0; i < 0x8000; i += 2) {
            far_ww(VGA_TEXT_SEG, i, 0x0720);
        }
    }
}

/*
 * COM1 input as BIOS keys: printable bytes, Enter, Backspace, and the ANSI
 * sequences for arrows, Home/End, PgUp/PgDn, F1-F12 (ESC [ or ESC O forms).
 */
static int serial_byte(void)
{
    if (!(inb(COM1 + 5) & 1)) {
        return -1;
    }
    return inb(COM1);
}

static int serial_byte_wait(void)
{
    for (int i = 0; i < 2000; i++) {
        int c = serial_byte();
        if (c >= 0) {
            return c;
        }
    }
    return -1;
}

static const struct {
    char seq[4];
    u16 key;
} ansi_keys[] = {
    {"[A", 0x4800}, {"[B", 0x5000}, {"[C", 0x4d00}, {"[D", 0x4b00}, {"[H", 0x4700},
    {"[F", 0x4f00}, {"OA", 0x4800}, {"OB", 0x5000}, {"OC", 0x4d00}, {"OD", 0x4b00},
    {"OH", 0x4700}, {"OF", 0x4f00}, {"[5~", 0x4900}, {"[6~", 0x5100}, {"[2~", 0x5200},
    {"[3~", 0x5300}, {"[1~", 0x4700}, {"[4~", 0x4f00}, {"OP", 0x3b00}, {"OQ", 0x3c00},
    {"OR", 0x3d00}, {"OS", 0x3e00}, {"[15", 0x3f00}, {"[17", 0x4000}, {"[18", 0x4100},
    {"[19", 0x4200}, {"[20", 0x4300}, {"[21", 0x4400}, {"[23", 0x8500}, {"[24", 0x8600},
};

/* Scan codes for ASCII (set 1), enough for bootloader prompts. */
static const char scan_chars[] = "\0\x1b"
                                 "1234567890-=\b\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./";

static u8 ascii_scan(u8 c)
{
    if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
    }
    for (u8 i = 1; i < sizeof(scan_chars) - 1; i++) {
        if (scan_chars[i] == (char)c) {
            return i;
        }
    }
    return c == ' ' ? 0x39 : 0;
}

int serial_getkey(void)
{
    if (!serial_console) {
        return -1;
    }
    int c = serial_byte();
    if (c < 0) {
        return -1;
    }
    if (c == 0x1b) {
        char seq[4] = {0};
        int n = 0;
        while (n < 3) {
            int d = serial_byte_wait();
            if (d < 0) {
                break;
            }
            seq[n++] = (char)d;
            for (unsigned i = 0; i < ARRAY_SIZE(ansi_keys); i++) {
                if (!memcmp(seq, ansi_keys[i].seq, 4)) {
                    if (seq[2] >= '0' && seq[2] <= '9' && seq[0] == '[' && n == 3) {
                        serial_byte_wait(); /* the closing '~' */
                    }
                    return ansi_keys[i].key;
                }
            }
        }
        return 0x011b;
    }
    if (c == '\n' || c == '\r') {
        return 0x1c0d;
    }
    if (c == 0x7f || c == 8) {
        return 0x0e08;
    }
    return ascii_scan((u8)c) << 8 | c;
}

static void int10_local(struct bregs *r);

/*
 * With a VGA BIOS: the serial copy of what a call writes, computed on a copy of the call
 * with the cursor state saved and restored, then the VGA BIOS does the call itself.
 */
static void int10_serial_then_rom(struct bregs *r)
{
    if (serial_console) {
        u16 cursors[8];
        for (u8 p = 0; p < 8; p++) {
            cursors[p] = bda_rw(BDA_CURSOR_POS + 2 * p);
        }
        struct bregs copy = *r;
        switch (r->ax.h) {
        case 0x00:
            serial_str("\x1b[0m\x1b[2J");
            serial_row = serial_col = 0xff;
            serial_attr = 0x07;
            break;
        case 0x06:
        case 0x07:
        case 0x09:
        case 0x0a:
        case 0x0e:
        case 0x13:
            if (bda_rb(BDA_VIDEO_MODE) == 3 || r->ax.h == 0x0e || r->ax.h == 0x13) {
                int10_local(&copy);
            }
            break;
        default:
            break;
        }
        for (u8 p = 0; p < 8; p++) {
            bda_ww(BDA_CURSOR_POS + 2 * p, cursors[p]);
        }
    }
    int_chain_frame(r, vga_rom_int10);
}

extern char entry_int10[];

/*
 * After the VGA's ROM ran: if it hooked INT 10h, it owns the screen from now on.  With the
 * serial console, INT 10h comes back here to copy text to COM1 and chains to the ROM.
 */
void vga_rom_adopt(void)
{
    u32 vector = far_rl(0, 0x10 * 4);
    if (vector == ((u32)BIOS_SEG << 16 | (u16)(u32)entry_int10)) {
        return;
    }
    vga_rom_int10 = vector;
    serial_row = serial_col = 0xff;
    if (serial_console) {
        far_ww(0, 0x10 * 4, (u16)(u32)entry_int10);
        far_ww(0, 0x10 * 4 + 2, BIOS_SEG);
    }
    dprintf("vga: INT 10h by the VGA BIOS at %x%s\n", vector,
            serial_console ? ", copied to the serial console" : "");
}

/* INT 10h: video services. */
void handle_int10(struct bregs *r)
{
    if (vga_rom_int10) {
        int10_serial_then_rom(r);
        return;
    }
    int10_local(r);
}

static void int10_local(struct bregs *r)
{
    u8 page = r->bx.h;
    switch (r->ax.h) {
    case 0x00: { /* set mode */
        u8 mode = r->ax.l & 0x7f;
        if (mode != 3 && mode != 2) {
            dprintf("int10: mode %x not supported, staying in text mode\n", mode);
        }
        vbe_disable();
        vga_text_init();
        if (serial_console) {
            serial_str("\x1b[0m\x1b[2J");
            serial_row = serial_col = 0xff;
            serial_attr = 0x07;
        }
        r->ax.l = 0x30;
        break;
    }
    case 0x01:
        bda_ww(BDA_CURSOR_SHAPE, r->cx.x);
        break;
    case 0x02:
        cursor_set(page, r->dx.h, r->dx.l);
        break;
    case 0x03:
        r->dx.x = cursor_get(page);
        r->cx.x = bda_rw(BDA_CURSOR_SHAPE);
        break;
    case 0x05:
        bda_wb(BDA_ACTIVE_PAGE, r->ax.l & 7);
        break;
    case 0x06:
    case 0x07:
        scroll(page = bda_rb(BDA_ACTIVE_PAGE), r->ax.h == 6 ? r->ax.l : -(int)r->ax.l,
               r->bx.h, r->cx.h, r->cx.l, r->dx.h, r->dx.l);
        break;
    case 0x08: {
        u16 pos = cursor_get(page);
        r->ax.x = vga_present ? far_rw(VGA_TEXT_SEG, page_base(page) +
                                                         (u16)(2 * ((pos >> 8) * COLS + (pos & 0xff))))
                              : 0x0720;
        break;
    }
    case 0x09:
    case 0x0a: {
        u16 pos = cursor_get(page);
        u16 count = r->cx.x;
        for (u16 i = 0; i < count && i < COLS * ROWS; i++) {
            u16 p = (u16)(pos + i);
            u8 row = (u8)((pos >> 8) + ((pos & 0xff) + i) / COLS);
            u8 col = (u8)(((pos & 0xff) + i) % COLS);
            (void)p;
            bda_ww(BDA_CURSOR_POS + 2 * (page & 7), (u16)(row << 8 | col));
            write_at_cursor(page, r->ax.l, r->bx.l, r->ax.h == 0x09);
        }
        bda_ww(BDA_CURSOR_POS + 2 * (page & 7), pos);
        break;
    }
    case 0x0e:
        teletype(page, r->ax.l, r->bx.l, false);
        break;
    case 0x13: { /* write string ES:BP, CX characters, at DH:DL; AL bit 1: with attributes */
        u16 saved = cursor_get(page);
        cursor_set(page, r->dx.h, r->dx.l);
        bool with_attr = r->ax.l & 2;
        u16 off = r->bp.x;
        for (u16 i = 0; i < r->cx.x && i < COLS * ROWS; i++) {
            u8 ch = far_rb(r->es, off++);
            u8 attr = with_attr ? far_rb(r->es, off++) : r->bx.l;
            teletype(page, ch, attr, ch >= 0x20);
        }
        if (!(r->ax.l & 1)) {
            cursor_set(page, saved >> 8, saved & 0xff);
        }
        break;
    }
    case 0x0f:
        r->ax.l = bda_rb(BDA_VIDEO_MODE);
        r->ax.h = COLS;
        r->bx.h = bda_rb(BDA_ACTIVE_PAGE);
        break;
    case 0x11:
        if (r->ax.l == 0x30) { /* font information: no ROM font pointers yet */
            r->cx.x = 16;
            r->dx.l = ROWS - 1;
            r->es = 0;
            r->bp.x = 0;
        }
        break;
    case 0x12:
        if (r->bx.l == 0x10) { /* EGA information: colour, 256 KiB */
            r->bx.x = 0x0003;
            r->cx.x = 0x0009;
        }
        break;
    case 0x1a:
        if (r->ax.l == 0) {
            r->ax.l = 0x1a;
            r->bx.x = vga_present ? 0x0008 : 0x0000;
        }
        break;
    case 0x4f:
        handle_vbe(r);
        break;
    default:
        dprintf("int10: AX=%04x not supported\n", r->ax.x);
        break;
    }
}
