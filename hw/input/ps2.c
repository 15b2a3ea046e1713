/*
 * PS/2 keyboard and mouse, as seen from the i8042 controller.
 *
 * References: the IBM PS/2 Hardware Interface Technical Reference
 * (keyboard and auxiliary device command sets, the ACK 0xFA / resend
 * 0xFE / BAT 0xAA replies, scan code sets 1, 2 and 3, the mouse's 3-byte
 * packet and status request), Microsoft's "Keyboard Scan Code
 * Specification" (set 1 and set 2 codes for the US layout, the Pause and
 * Print Screen sequences) and the IntelliMouse extension (sample rates
 * 200, 100, 80 switch the device ID to 3 and add a wheel byte).
 *
 * The keyboard sends set 1 or set 2; set 3 is accepted (ACKed) but sends
 * set-2 codes, logged as unimplemented.  With the controller's XLAT on,
 * set 2 turns into set 1 in i8042.c through ps2_translate_set2_to_set1().
 */
#include "hw/input/ps2.h"

#include "core/log.h"

#define PS2_ACK 0xfa
#define PS2_RESEND 0xfe
#define PS2_BAT_OK 0xaa
#define PS2_ECHO 0xee

/* Mouse status byte (reply to E9). */
#define MOUSE_STATUS_REMOTE 0x40
#define MOUSE_STATUS_ENABLED 0x20
#define MOUSE_STATUS_SCALING 0x10
#define MOUSE_STATUS_BUTTONS 0x07

/* Set-1 make code -> set-2 make code for the keys without an E0 prefix. */
static const uint8_t set1_to_set2[0x80] = {
    [0x01] = 0x76, [0x02] = 0x16, [0x03] = 0x1e, [0x04] = 0x26, [0x05] = 0x25,
    [0x06] = 0x2e, [0x07] = 0x36, [0x08] = 0x3d, [0x09] = 0x3e, [0x0a] = 0x46,
    [0x0b] = 0x45, [0x0c] = 0x4e, [0x0d] = 0x55, [0x0e] = 0x66, [0x0f] = 0x0d,
    [0x10] = 0x15, [0x11] = 0x1d, [0x12] = 0x24, [0x13] = 0x2d, [0x14] = 0x2c,
    [0x15] = 0x35, [0x16] = 0x3c, [0x17] = 0x43, [0x18] = 0x44, [0x19] = 0x4d,
    [0x1a] = 0x54, [0x1b] = 0x5b, [0x1c] = 0x5a, [0x1d] = 0x14, [0x1e] = 0x1c,
    [0x1f] = 0x1b, [0x20] = 0x23, [0x21] = 0x2b, [0x22] = 0x34, [0x23] = 0x33,
    [0x24] = 0x3b, [0x25] = 0x42, [0x26] = 0x4b, [0x27] = 0x4c, [0x28] = 0x52,
    [0x29] = 0x0e, [0x2a] = 0x12, [0x2b] = 0x5d, [0x2c] = 0x1a, [0x2d] = 0x22,
    [0x2e] = 0x21, [0x2f] = 0x2a, [0x30] = 0x32, [0x31] = 0x31, [0x32] = 0x3a,
    [0x33] = 0x41, [0x34] = 0x49, [0x35] = 0x4a, [0x36] = 0x59, [0x37] = 0x7c,
    [0x38] = 0x11, [0x39] = 0x29, [0x3a] = 0x58, [0x3b] = 0x05, [0x3c] = 0x06,
    [0x3d] = 0x04, [0x3e] = 0x0c, [0x3f] = 0x03, [0x40] = 0x0b, [0x41] = 0x83,
    [0x42] = 0x0a, [0x43] = 0x01, [0x44] = 0x09, [0x45] = 0x77, [0x46] = 0x7e,
    [0x47] = 0x6c, [0x48] = 0x75, [0x49] = 0x7d, [0x4a] = 0x7b, [0x4b] = 0x6b,
    [0x4c] = 0x73, [0x4d] = 0x74, [0x4e] = 0x79, [0x4f] = 0x69, [0x50] = 0x72,
    [0x51] = 0x7a, [0x52] = 0x70, [0x53] = 0x71, [0x54] = 0x84, [0x56] = 0x61,
    [0x57] = 0x78, [0x58] = 0x07,
    /* Japanese 106-key: Katakana/Hiragana, Ro, Henkan, Muhenkan, Yen. */
    [0x70] = 0x13, [0x73] = 0x51, [0x79] = 0x64, [0x7b] = 0x67, [0x7d] = 0x6a,
};

/* The same for E0-prefixed keys (the prefix stays in set 2). */
static const uint8_t set1_to_set2_e0[0x80] = {
    [0x1c] = 0x5a, /* keypad Enter */
    [0x1d] = 0x14, /* right Ctrl */
    [0x35] = 0x4a, /* keypad / */
    [0x38] = 0x11, /* right Alt */
    [0x46] = 0x7e, /* Ctrl+Break */
    [0x47] = 0x6c, [0x48] = 0x75, [0x49] = 0x7d, /* Home, Up, Page Up */
    [0x4b] = 0x6b, [0x4d] = 0x74,                /* Left, Right */
    [0x4f] = 0x69, [0x50] = 0x72, [0x51] = 0x7a, /* End, Down, Page Down */
    [0x52] = 0x70, [0x53] = 0x71,                /* Insert, Delete */
    [0x5b] = 0x1f, [0x5c] = 0x27, [0x5d] = 0x2f, /* left/right Windows, Menu */
    [0x5e] = 0x37, [0x5f] = 0x3f, [0x63] = 0x5e, /* Power, Sleep, Wake */
};

/* -- the output queue ------------------------------------------------------ */

bool ps2_port_has_data(const PS2Port *p)
{
    return p->count > 0;
}

uint8_t ps2_port_read(PS2Port *p)
{
    if (!p->count) {
        return 0;
    }
    uint8_t val = p->data[p->head];
    p->head = (p->head + 1) % PS2_QUEUE_SIZE;
    p->count--;
    return val;
}

static void ps2_port_notify(PS2Port *p)
{
    if (p->update) {
        p->update(p->opaque);
    }
}

/* Queue without telling the controller (several bytes, then one notify). */
static bool ps2_port_put(PS2Port *p, uint8_t val)
{
    if (p->count >= PS2_QUEUE_SIZE) {
        log_guest_error("ps2: output queue full, byte 0x%02x dropped\n", val);
        return false;
    }
    p->data[(p->head + p->count) % PS2_QUEUE_SIZE] = val;
    p->count++;
    p->last_sent = val;
    return true;
}

static unsigned ps2_port_room(const PS2Port *p)
{
    return PS2_QUEUE_SIZE - p->count;
}

void ps2_port_queue(PS2Port *p, uint8_t val)
{
    ps2_port_put(p, val);
    ps2_port_notify(p);
}

static void ps2_port_clear(PS2Port *p)
{
    p->head = 0;
    p->count = 0;
}

/* -- keyboard -------------------------------------------------------------- */

static void ps2_kbd_defaults(PS2Kbd *k)
{
    k->scancode_set = 2;
    k->typematic = 0x2b; /* 10.9 characters/s after 500 ms */
    k->leds = 0;
    k->pending_cmd = 0;
}

void ps2_kbd_reset(PS2Kbd *k)
{
    ps2_port_clear(&k->port);
    ps2_kbd_defaults(k);
    k->scan_enabled = true;
}

void ps2_kbd_init(PS2Kbd *k, PS2UpdateFn update, void *opaque)
{
    memset(k, 0, sizeof(*k));
    k->port.update = update;
    k->port.opaque = opaque;
    ps2_kbd_reset(k);
}

static void ps2_kbd_reply(PS2Kbd *k, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        ps2_port_put(&k->port, bytes[i]);
    }
    ps2_port_notify(&k->port);
}

static void ps2_kbd_ack(PS2Kbd *k)
{
    uint8_t ack = PS2_ACK;
    ps2_kbd_reply(k, &ack, 1);
}

/* The parameter byte of ED, F0 or F3. */
static void ps2_kbd_param(PS2Kbd *k, uint8_t cmd, uint8_t val)
{
    switch (cmd) {
    case 0xed:
        k->leds = val & 0x07;
        ps2_kbd_ack(k);
        break;
    case 0xf3:
        k->typematic = val & 0x7f;
        ps2_kbd_ack(k);
        break;
    case 0xf0:
        if (val == 0) {
            uint8_t reply[2] = {PS2_ACK, k->scancode_set};
            ps2_kbd_reply(k, reply, 2);
        } else if (val <= 3) {
            if (val == 3) {
                log_unimp("ps2: scan code set 3 selected; keys are sent in set 2\n");
            }
            k->scancode_set = val;
            ps2_kbd_ack(k);
        } else {
            log_guest_error("ps2: scan code set %u does not exist\n", val);
            uint8_t resend = PS2_RESEND;
            ps2_kbd_reply(k, &resend, 1);
        }
        break;
    }
}

void ps2_kbd_write(PS2Kbd *k, uint8_t val)
{
    if (k->pending_cmd && val < 0x80) {
        uint8_t cmd = k->pending_cmd;
        k->pending_cmd = 0;
        ps2_kbd_param(k, cmd, val);
        return;
    }
    k->pending_cmd = 0;
    switch (val) {
    case 0xed: /* set LEDs */
    case 0xf0: /* get/set scan code set */
    case 0xf3: /* set typematic rate/delay */
        k->pending_cmd = val;
        ps2_kbd_ack(k);
        break;
    case 0xee: {
        uint8_t echo = PS2_ECHO;
        ps2_kbd_reply(k, &echo, 1);
        break;
    }
    case 0xf2: {
        static const uint8_t id[] = {PS2_ACK, 0xab, 0x83};
        ps2_kbd_reply(k, id, 3);
        break;
    }
    case 0xf4:
        /* Enabling clears the keyboard's buffer, then scanning starts. */
        ps2_port_clear(&k->port);
        k->scan_enabled = true;
        ps2_kbd_ack(k);
        break;
    case 0xf5:
        ps2_port_clear(&k->port);
        ps2_kbd_defaults(k);
        k->scan_enabled = false;
        ps2_kbd_ack(k);
        break;
    case 0xf6:
        ps2_port_clear(&k->port);
        ps2_kbd_defaults(k);
        ps2_kbd_ack(k);
        break;
    case 0xfe: {
        uint8_t last = k->port.last_sent;
        ps2_kbd_reply(k, &last, 1);
        break;
    }
    case 0xff: {
        static const uint8_t bat[] = {PS2_ACK, PS2_BAT_OK};
        ps2_kbd_reset(k);
        ps2_kbd_reply(k, bat, 2);
        break;
    }
    default: {
        log_guest_error("ps2: unknown keyboard command 0x%02x\n", val);
        uint8_t resend = PS2_RESEND;
        ps2_kbd_reply(k, &resend, 1);
        break;
    }
    }
}

/* Queue a whole sequence or nothing, so a full queue never splits a key. */
static void ps2_kbd_send_seq(PS2Kbd *k, const uint8_t *seq, int n)
{
    if (ps2_port_room(&k->port) < (unsigned)n) {
        log_guest_error("ps2: keyboard queue full, key dropped\n");
        return;
    }
    ps2_kbd_reply(k, seq, n);
}

void ps2_kbd_key_event(PS2Kbd *k, int keycode, bool down)
{
    if (!k->scan_enabled) {
        return;
    }
    bool set1 = k->scancode_set == 1;
    uint8_t seq[8];
    int n = 0;

    if (keycode == PS2_KEY_PAUSE) {
        /* Pause has no break code; its make code is a whole E1 sequence. */
        static const uint8_t pause1[] = {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5};
        static const uint8_t pause2[] = {0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77};
        if (down) {
            if (set1) {
                ps2_kbd_send_seq(k, pause1, sizeof(pause1));
            } else {
                ps2_kbd_send_seq(k, pause2, sizeof(pause2));
            }
        }
        return;
    }
    if (keycode == PS2_KEY_PRINT_SCREEN) {
        /* Without modifiers Print Screen also sends a fake left Shift. */
        static const uint8_t make1[] = {0xe0, 0x2a, 0xe0, 0x37};
        static const uint8_t break1[] = {0xe0, 0xb7, 0xe0, 0xaa};
        static const uint8_t make2[] = {0xe0, 0x12, 0xe0, 0x7c};
        static const uint8_t break2[] = {0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12};
        if (set1) {
            ps2_kbd_send_seq(k, down ? make1 : break1, 4);
        } else if (down) {
            ps2_kbd_send_seq(k, make2, sizeof(make2));
        } else {
            ps2_kbd_send_seq(k, break2, sizeof(break2));
        }
        return;
    }
    if (keycode <= 0 || (keycode & ~(PS2_KEY_E0 | 0x7f))) {
        log_guest_error("ps2: keycode 0x%x is not a set-1 make code\n", keycode);
        return;
    }
    bool e0 = keycode & PS2_KEY_E0;
    uint8_t code = keycode & 0x7f;
    if (e0) {
        seq[n++] = 0xe0;
    }
    if (set1) {
        seq[n++] = down ? code : code | 0x80;
    } else {
        uint8_t code2 = e0 ? set1_to_set2_e0[code] : set1_to_set2[code];
        if (!code2) {
            log_unimp("ps2: no set-2 code for key 0x%x\n", keycode);
            return;
        }
        if (!down) {
            seq[n++] = 0xf0;
        }
        seq[n++] = code2;
    }
    ps2_kbd_send_seq(k, seq, n);
}

uint8_t ps2_translate_set2_to_set1(uint8_t code)
{
    /* The 8042's table also maps 0x02 to F7's set-1 code (set 2's F7 is 0x83). */
    if (code == 0x02) {
        return 0x41;
    }
    /* The inverse of the key table; bytes that are no key (ACK, BAT, E0...) pass as is. */
    for (int i = 1; i < 0x80; i++) {
        if (set1_to_set2[i] == code) {
            return i;
        }
    }
    return code;
}

bool ps2_translate_byte(bool *release, uint8_t in, uint8_t *out)
{
    if (in == 0xf0) {
        /* Set 2's break prefix becomes bit 7 of the next translated code. */
        *release = true;
        return false;
    }
    *out = ps2_translate_set2_to_set1(in) | (*release ? 0x80 : 0);
    *release = false;
    return true;
}

/* -- mouse ----------------------------------------------------------------- */

static void ps2_mouse_defaults(PS2Mouse *m)
{
    m->status &= MOUSE_STATUS_BUTTONS;
    m->resolution = 2; /* 4 counts/mm */
    m->sample_rate = 100;
    m->pending_cmd = 0;
    m->dx = m->dy = m->dz = 0;
}

void ps2_mouse_reset(PS2Mouse *m)
{
    ps2_port_clear(&m->port);
    m->status = 0;
    ps2_mouse_defaults(m);
    m->id = 0;
    m->wrap = false;
    memset(m->rate_history, 0, sizeof(m->rate_history));
}

void ps2_mouse_init(PS2Mouse *m, PS2UpdateFn update, void *opaque)
{
    memset(m, 0, sizeof(*m));
    m->port.update = update;
    m->port.opaque = opaque;
    ps2_mouse_reset(m);
}

static void ps2_mouse_reply(PS2Mouse *m, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        ps2_port_put(&m->port, bytes[i]);
    }
    ps2_port_notify(&m->port);
}

static void ps2_mouse_ack(PS2Mouse *m)
{
    uint8_t ack = PS2_ACK;
    ps2_mouse_reply(m, &ack, 1);
}

/* 2:1 scaling in stream mode (the PS/2 reference's table). */
static int ps2_mouse_scale(const PS2Mouse *m, int d)
{
    if (!(m->status & MOUSE_STATUS_SCALING)) {
        return d;
    }
    static const int scaled[] = {0, 1, 1, 3, 6, 9};
    int mag = d < 0 ? -d : d;
    mag = mag < (int)ARRAY_SIZE(scaled) ? scaled[mag] : 2 * mag;
    return d < 0 ? -mag : mag;
}

/* Build and queue one movement packet from the accumulated motion, then clear it. */
static void ps2_mouse_send_packet(PS2Mouse *m, bool scale)
{
    unsigned len = m->id == 3 ? 4 : 3;
    if (ps2_port_room(&m->port) < len) {
        log_guest_error("ps2: mouse queue full, packet dropped\n");
        return;
    }
    int dx = scale ? ps2_mouse_scale(m, m->dx) : m->dx;
    int dy = scale ? ps2_mouse_scale(m, m->dy) : m->dy;
    uint8_t b0 = 0x08 | (m->status & MOUSE_STATUS_BUTTONS);
    /* 9-bit two's complement counters: past the range, the overflow bit and the limit. */
    if (dx > 255 || dx < -256) {
        b0 |= 0x40;
        dx = dx > 0 ? 255 : -256;
    }
    if (dy > 255 || dy < -256) {
        b0 |= 0x80;
        dy = dy > 0 ? 255 : -256;
    }
    if (dx < 0) {
        b0 |= 0x10;
    }
    if (dy < 0) {
        b0 |= 0x20;
    }
    uint8_t pkt[4] = {b0, (uint8_t)dx, (uint8_t)dy, 0};
    if (len == 4) {
        int dz = m->dz < -8 ? -8 : m->dz > 7 ? 7 : m->dz;
        pkt[3] = (uint8_t)dz;
    }
    m->dx = m->dy = m->dz = 0;
    ps2_mouse_reply(m, pkt, len);
}

static void ps2_mouse_param(PS2Mouse *m, uint8_t cmd, uint8_t val)
{
    switch (cmd) {
    case 0xf3:
        m->sample_rate = val;
        m->rate_history[0] = m->rate_history[1];
        m->rate_history[1] = m->rate_history[2];
        m->rate_history[2] = val;
        /* The IntelliMouse knock: rates 200, 100, 80 in a row turn on the wheel. */
        if (m->rate_history[0] == 200 && m->rate_history[1] == 100 &&
            m->rate_history[2] == 80) {
            m->id = 3;
        }
        ps2_mouse_ack(m);
        break;
    case 0xe8:
        if (val > 3) {
            log_guest_error("ps2: mouse resolution %u out of range 0-3\n", val);
            val = 3;
        }
        m->resolution = val;
        ps2_mouse_ack(m);
        break;
    }
}

void ps2_mouse_write(PS2Mouse *m, uint8_t val)
{
    if (m->pending_cmd) {
        uint8_t cmd = m->pending_cmd;
        m->pending_cmd = 0;
        ps2_mouse_param(m, cmd, val);
        return;
    }
    if (m->wrap && val != 0xec && val != 0xff) {
        /* Wrap mode echoes everything but "reset wrap mode" and "reset". */
        ps2_mouse_reply(m, &val, 1);
        return;
    }
    switch (val) {
    case 0xe6:
        m->status &= ~MOUSE_STATUS_SCALING;
        ps2_mouse_ack(m);
        break;
    case 0xe7:
        m->status |= MOUSE_STATUS_SCALING;
        ps2_mouse_ack(m);
        break;
    case 0xe8:
    case 0xf3:
        m->pending_cmd = val;
        ps2_mouse_ack(m);
        break;
    case 0xe9: {
        uint8_t reply[4] = {PS2_ACK, m->status, m->resolution, m->sample_rate};
        ps2_mouse_reply(m, reply, 4);
        break;
    }
    case 0xea:
        m->status &= ~MOUSE_STATUS_REMOTE;
        m->dx = m->dy = m->dz = 0;
        ps2_mouse_ack(m);
        break;
    case 0xeb:
        ps2_mouse_ack(m);
        ps2_mouse_send_packet(m, false);
        break;
    case 0xec:
        m->wrap = false;
        ps2_mouse_ack(m);
        break;
    case 0xee:
        m->wrap = true;
        m->dx = m->dy = m->dz = 0;
        ps2_mouse_ack(m);
        break;
    case 0xf0:
        m->status |= MOUSE_STATUS_REMOTE;
        m->dx = m->dy = m->dz = 0;
        ps2_mouse_ack(m);
        break;
    case 0xf2: {
        uint8_t reply[2] = {PS2_ACK, m->id};
        ps2_mouse_reply(m, reply, 2);
        break;
    }
    case 0xf4:
        m->status |= MOUSE_STATUS_ENABLED;
        ps2_mouse_ack(m);
        break;
    case 0xf5:
        m->status &= ~MOUSE_STATUS_ENABLED;
        ps2_mouse_ack(m);
        break;
    case 0xf6:
        ps2_mouse_defaults(m);
        m->status &= MOUSE_STATUS_BUTTONS;
        ps2_mouse_ack(m);
        break;
    case 0xfe: {
        uint8_t last = m->port.last_sent;
        ps2_mouse_reply(m, &last, 1);
        break;
    }
    case 0xff: {
        static const uint8_t bat[] = {PS2_ACK, PS2_BAT_OK, 0x00};
        unsigned buttons = m->status & MOUSE_STATUS_BUTTONS;
        ps2_mouse_reset(m);
        m->status = buttons;
        ps2_mouse_reply(m, bat, 3);
        break;
    }
    default: {
        log_guest_error("ps2: unknown mouse command 0x%02x\n", val);
        uint8_t resend = PS2_RESEND;
        ps2_mouse_reply(m, &resend, 1);
        break;
    }
    }
}

void ps2_mouse_move(PS2Mouse *m, int dx, int dy, int dz, unsigned buttons)
{
    m->status = (m->status & ~MOUSE_STATUS_BUTTONS) | (buttons & MOUSE_STATUS_BUTTONS);
    bool remote = m->status & MOUSE_STATUS_REMOTE;
    if (m->wrap || (!remote && !(m->status & MOUSE_STATUS_ENABLED))) {
        /* Motion while reporting is off is not kept for later. */
        return;
    }
    /* Saturating accumulation: a hostile UI stream cannot overflow the counters. */
    m->dx = MAX(-65536, MIN(65536, m->dx + MAX(-65536, MIN(65536, dx))));
    m->dy = MAX(-65536, MIN(65536, m->dy + MAX(-65536, MIN(65536, dy))));
    m->dz = MAX(-128, MIN(127, m->dz + MAX(-128, MIN(127, dz))));
    if (!remote) {
        ps2_mouse_send_packet(m, true);
    }
}

/* -- state ----------------------------------------------------------------- */

static const VMStateField ps2_port_fields[] = {
    VMSTATE_BUFFER(PS2Port, data),
    VMSTATE_U8(PS2Port, head),
    VMSTATE_U8(PS2Port, count),
    VMSTATE_U8(PS2Port, last_sent),
    VMSTATE_END,
};

static const VMStateDescription ps2_port_vmstate = {
    .name = "ps2-queue",
    .version = 1,
    .fields = ps2_port_fields,
};

static const VMStateField ps2_kbd_fields[] = {
    VMSTATE_STRUCT(PS2Kbd, port, &ps2_port_vmstate),
    VMSTATE_U8(PS2Kbd, scancode_set),
    VMSTATE_BOOL(PS2Kbd, scan_enabled),
    VMSTATE_U8(PS2Kbd, leds),
    VMSTATE_U8(PS2Kbd, typematic),
    VMSTATE_U8(PS2Kbd, pending_cmd),
    VMSTATE_END,
};

const VMStateDescription ps2_kbd_vmstate = {
    .name = "ps2-kbd",
    .version = 1,
    .fields = ps2_kbd_fields,
};

static const VMStateField ps2_mouse_fields[] = {
    VMSTATE_STRUCT(PS2Mouse, port, &ps2_port_vmstate),
    VMSTATE_U8(PS2Mouse, status),
    VMSTATE_U8(PS2Mouse, resolution),
    VMSTATE_U8(PS2Mouse, sample_rate),
    VMSTATE_U8(PS2Mouse, id),
    VMSTATE_U8_ARRAY(PS2Mouse, rate_history),
    VMSTATE_BOOL(PS2Mouse, wrap),
    VMSTATE_U8(PS2Mouse, pending_cmd),
    VMSTATE_I32(PS2Mouse, dx),
    VMSTATE_I32(PS2Mouse, dy),
    VMSTATE_I32(PS2Mouse, dz),
    VMSTATE_END,
};

const VMStateDescription ps2_mouse_vmstate = {
    .name = "ps2-mouse",
    .version = 1,
    .fields = ps2_mouse_fields,
};

static void ps2_port_post_load(PS2Port *p)
{
    if (p->head >= PS2_QUEUE_SIZE || p->count > PS2_QUEUE_SIZE) {
        ps2_port_clear(p);
    }
}

void ps2_kbd_post_load(PS2Kbd *k)
{
    ps2_port_post_load(&k->port);
    if (k->scancode_set < 1 || k->scancode_set > 3) {
        k->scancode_set = 2;
    }
}

void ps2_mouse_post_load(PS2Mouse *m)
{
    ps2_port_post_load(&m->port);
    m->dx = MAX(-65536, MIN(65536, m->dx));
    m->dy = MAX(-65536, MIN(65536, m->dy));
    m->dz = MAX(-128, MIN(127, m->dz));
    if (m->id != 3) {
        m->id = 0;
    }
}
