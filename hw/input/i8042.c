/*
 * Intel 8042 keyboard controller as in the IBM PC/AT and PS/2 ("i8042").
 *
 * References: IBM Personal System/2 Hardware Interface Technical
 * Reference, "Keyboard/Auxiliary Device Controller" (status register,
 * controller command byte, commands 0x20-0xFF, input and output ports,
 * scan code translation), and the IBM PC/AT Technical Reference for the
 * output port's system-reset and A20 bits.
 *
 * Choices worth knowing:
 * - Commands run at once, so IBF always reads 0 and the timeout and
 *   parity bits never set.
 * - One byte sits in the output buffer.  The next is loaded when it is
 *   read: the controller's own replies first, then the keyboard, then
 *   the mouse.  A device whose clock is disabled (0xAD/0xA7 or the command
 *   byte) keeps its bytes until it is enabled again.
 * - IRQ 1 / IRQ 12 follow "output buffer full with keyboard / mouse data
 *   and the interrupt enabled", as a level the read of port 0x60 drops.
 * - Power-on command byte: both interrupts enabled, translation off
 *   (firmware sets it up); output port: reset inactive, A20 on, and the
 *   board's A20 line is driven to match on every reset.
 */
#include "hw/input/i8042.h"

#include "core/log.h"
#include "core/machine.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64

/* Status register (read 0x64). */
#define STAT_OBF 0x01
#define STAT_IBF 0x02
#define STAT_SYS 0x04
#define STAT_CMD 0x08  /* A2: last write went to the command port */
#define STAT_UNLOCKED 0x10 /* keylock switch: not inhibited */
#define STAT_AUXB 0x20 /* output buffer holds mouse data */

/* Controller command byte. */
#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_SYS 0x04
#define CB_DISABLE_KBD 0x10
#define CB_DISABLE_AUX 0x20
#define CB_XLAT 0x40

/* Output port. */
#define OUT_RESET 0x01 /* 0 holds the CPU in reset */
#define OUT_A20 0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20
#define OUT_POWER_ON 0xcf

/* Input port (0xC0): keyboard not inhibited, no manufacturing jumper. */
#define IN_PORT_VALUE 0xa0

#define I8042_RAM_SIZE 32

enum { SRC_NONE, SRC_KBD, SRC_AUX };

typedef struct I8042State {
    DeviceState dev;
    MemoryRegion io_data;
    MemoryRegion io_cmd;
    IRQState *irq_kbd;
    IRQState *irq_aux;
    IRQState *a20;

    PS2Kbd kbd;
    PS2Mouse mouse;

    uint8_t status;  /* OBF, SYS, A2, AUXB */
    uint8_t ram[I8042_RAM_SIZE]; /* ram[0] is the command byte */
    uint8_t outport;
    uint8_t pending; /* command waiting for its data byte on port 0x60, or 0 */
    uint8_t obuf;
    /* A byte the controller itself produced, waiting for the output buffer. */
    uint8_t reply;
    uint8_t reply_src; /* SRC_*: SRC_AUX for 0xD3, else keyboard */
    bool xlat_release; /* translation saw 0xF0: the next code is a break */
} I8042State;

static uint8_t *cmd_byte(I8042State *s)
{
    return &s->ram[0];
}

static void i8042_update_irqs(I8042State *s)
{
    bool full = s->status & STAT_OBF;
    bool aux = s->status & STAT_AUXB;
    irq_set(s->irq_kbd, full && !aux && (*cmd_byte(s) & CB_KBD_INT));
    irq_set(s->irq_aux, full && aux && (*cmd_byte(s) & CB_AUX_INT));
}

/* The next keyboard byte as the host sees it; false if translation swallowed it all. */
static bool i8042_take_kbd_byte(I8042State *s, uint8_t *out)
{
    while (ps2_port_has_data(&s->kbd.port)) {
        uint8_t b = ps2_port_read(&s->kbd.port);
        if (!(*cmd_byte(s) & CB_XLAT)) {
            *out = b;
            return true;
        }
        if (ps2_translate_byte(&s->xlat_release, b, out)) {
            return true;
        }
    }
    return false;
}

/* Fill an empty output buffer from the controller, the keyboard, then the mouse. */
static void i8042_update(I8042State *s)
{
    if (!(s->status & STAT_OBF)) {
        uint8_t b;
        if (s->reply_src != SRC_NONE) {
            s->obuf = s->reply;
            s->status |= STAT_OBF;
            if (s->reply_src == SRC_AUX) {
                s->status |= STAT_AUXB;
            } else {
                s->status &= ~STAT_AUXB;
            }
            s->reply_src = SRC_NONE;
        } else if (!(*cmd_byte(s) & CB_DISABLE_KBD) && i8042_take_kbd_byte(s, &b)) {
            s->obuf = b;
            s->status = (s->status | STAT_OBF) & ~STAT_AUXB;
        } else if (!(*cmd_byte(s) & CB_DISABLE_AUX) && ps2_port_has_data(&s->mouse.port)) {
            s->obuf = ps2_port_read(&s->mouse.port);
            s->status |= STAT_OBF | STAT_AUXB;
        }
    }
    i8042_update_irqs(s);
}

static void i8042_ps2_update(void *opaque)
{
    i8042_update(opaque);
}

static void i8042_reply(I8042State *s, uint8_t val, int src)
{
    if (s->reply_src != SRC_NONE) {
        log_guest_error("i8042: controller reply 0x%02x overwrites unread 0x%02x\n", val,
                        s->reply);
    }
    s->reply = val;
    s->reply_src = src;
    i8042_update(s);
}

static uint8_t i8042_outport_value(const I8042State *s)
{
    uint8_t v = s->outport & ~(OUT_KBD_OBF | OUT_AUX_OBF);
    if (s->status & STAT_OBF) {
        v |= (s->status & STAT_AUXB) ? OUT_AUX_OBF : OUT_KBD_OBF;
    }
    return v;
}

static void i8042_write_outport(I8042State *s, uint8_t val)
{
    uint8_t old = s->outport;
    s->outport = val;
    if ((old ^ val) & OUT_A20 && s->a20) {
        irq_set(s->a20, !!(val & OUT_A20));
    }
    if (!(val & OUT_RESET)) {
        /* Bit 0 low asserts the CPU's reset line. */
        machine_request_reset(s->dev.machine, SHUTDOWN_CAUSE_GUEST_RESET);
        s->outport |= OUT_RESET;
    }
}

static void i8042_write_command(I8042State *s, uint8_t val)
{
    s->pending = 0;
    if (val >= 0x20 && val < 0x40) {
        i8042_reply(s, s->ram[val & 0x1f], SRC_KBD);
        return;
    }
    if (val >= 0x60 && val < 0x80) {
        s->pending = val;
        return;
    }
    if (val >= 0xf0) {
        /* Pulse output port bits 0-3 low for those clear in the command: bit 0 is reset. */
        if (!(val & OUT_RESET)) {
            machine_request_reset(s->dev.machine, SHUTDOWN_CAUSE_GUEST_RESET);
        }
        return;
    }
    switch (val) {
    case 0xa7:
        *cmd_byte(s) |= CB_DISABLE_AUX;
        break;
    case 0xa8:
        *cmd_byte(s) &= ~CB_DISABLE_AUX;
        break;
    case 0xa9: /* auxiliary interface test: 0 = no error */
    case 0xab: /* keyboard interface test */
        i8042_reply(s, 0x00, SRC_KBD);
        break;
    case 0xaa:
        /* Self-test passes; the system flag says so from now on. */
        *cmd_byte(s) |= CB_SYS;
        i8042_reply(s, 0x55, SRC_KBD);
        break;
    case 0xad:
        *cmd_byte(s) |= CB_DISABLE_KBD;
        break;
    case 0xae:
        *cmd_byte(s) &= ~CB_DISABLE_KBD;
        break;
    case 0xc0:
        i8042_reply(s, IN_PORT_VALUE, SRC_KBD);
        break;
    case 0xd0:
        i8042_reply(s, i8042_outport_value(s), SRC_KBD);
        break;
    case 0xd1:
    case 0xd2:
    case 0xd3:
    case 0xd4:
        s->pending = val;
        break;
    default:
        log_unimp("i8042: controller command 0x%02x\n", val);
        break;
    }
    i8042_update(s);
}

static void i8042_write_data(I8042State *s, uint8_t val)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    if (cmd >= 0x60 && cmd < 0x80) {
        s->ram[cmd & 0x1f] = val;
        i8042_update(s);
        return;
    }
    switch (cmd) {
    case 0xd1:
        i8042_write_outport(s, val);
        break;
    case 0xd2:
        i8042_reply(s, val, SRC_KBD);
        break;
    case 0xd3:
        i8042_reply(s, val, SRC_AUX);
        break;
    case 0xd4:
        /* Talking to a device enables its interface, as the 8042 firmware does. */
        *cmd_byte(s) &= ~CB_DISABLE_AUX;
        ps2_mouse_write(&s->mouse, val);
        break;
    default:
        *cmd_byte(s) &= ~CB_DISABLE_KBD;
        ps2_kbd_write(&s->kbd, val);
        break;
    }
    i8042_update(s);
}

static uint64_t i8042_data_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042State *s = opaque;
    uint8_t val = s->obuf;
    if (s->status & STAT_OBF) {
        s->status &= ~(STAT_OBF | STAT_AUXB);
        /*
         * The line drops with the read before the next queued byte raises it
         * again: an edge-triggered IOAPIC input must see every byte (Linux's
         * atkbd reads the ACK and the two ID bytes one interrupt each).
         */
        i8042_update_irqs(s);
        i8042_update(s);
    }
    return val;
}

static void i8042_data_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I8042State *s = opaque;
    s->status &= ~STAT_CMD;
    i8042_write_data(s, value);
}

static uint64_t i8042_status_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042State *s = opaque;
    uint8_t st = (s->status & (STAT_OBF | STAT_CMD | STAT_AUXB)) | STAT_UNLOCKED;
    if (*cmd_byte(s) & CB_SYS) {
        st |= STAT_SYS;
    }
    return st;
}

static void i8042_cmd_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I8042State *s = opaque;
    s->status |= STAT_CMD;
    i8042_write_command(s, value);
}

static const MemoryRegionOps i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static const MemoryRegionOps i8042_cmd_ops = {
    .read = i8042_status_read,
    .write = i8042_cmd_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

void i8042_set_a20_line(DeviceState *kbd, IRQState *a20)
{
    I8042State *s = (I8042State *)kbd;
    s->a20 = a20;
    irq_set(a20, !!(s->outport & OUT_A20));
}

PS2Kbd *i8042_get_kbd(DeviceState *kbd)
{
    return &((I8042State *)kbd)->kbd;
}

PS2Mouse *i8042_get_mouse(DeviceState *kbd)
{
    return &((I8042State *)kbd)->mouse;
}

static bool i8042_realize(DeviceState *dev, Error **errp)
{
    I8042State *s = (I8042State *)dev;
    s->irq_kbd = isa_get_irq(dev, 1);
    s->irq_aux = isa_get_irq(dev, 12);
    ps2_kbd_init(&s->kbd, i8042_ps2_update, s);
    ps2_mouse_init(&s->mouse, i8042_ps2_update, s);
    memory_region_init_io(&s->io_data, "i8042-data", &i8042_data_ops, s, 1);
    memory_region_init_io(&s->io_cmd, "i8042-cmd", &i8042_cmd_ops, s, 1);
    isa_register_ioport(dev, &s->io_data, I8042_DATA_PORT);
    isa_register_ioport(dev, &s->io_cmd, I8042_CMD_PORT);
    return true;
}

static void i8042_unrealize(DeviceState *dev)
{
    I8042State *s = (I8042State *)dev;
    memory_region_destroy(&s->io_data);
    memory_region_destroy(&s->io_cmd);
}

static void i8042_reset(DeviceState *dev)
{
    I8042State *s = (I8042State *)dev;
    memset(s->ram, 0, sizeof(s->ram));
    *cmd_byte(s) = CB_KBD_INT | CB_AUX_INT;
    s->status = 0;
    s->outport = OUT_POWER_ON;
    s->pending = 0;
    s->obuf = 0;
    s->reply_src = SRC_NONE;
    s->xlat_release = false;
    ps2_kbd_reset(&s->kbd);
    ps2_mouse_reset(&s->mouse);
    i8042_update(s);
    if (s->a20) {
        /* The power-on output port opens A20, as the CPU's reset does. */
        irq_set(s->a20, 1);
    }
}

static int i8042_post_load(void *opaque)
{
    I8042State *s = opaque;
    ps2_kbd_post_load(&s->kbd);
    ps2_mouse_post_load(&s->mouse);
    s->status &= STAT_OBF | STAT_CMD | STAT_AUXB;
    if (s->reply_src > SRC_AUX) {
        s->reply_src = SRC_NONE;
    }
    i8042_update(s);
    return 0;
}

static const VMStateField i8042_vmstate_fields[] = {
    VMSTATE_U8(I8042State, status),
    VMSTATE_BUFFER(I8042State, ram),
    VMSTATE_U8(I8042State, outport),
    VMSTATE_U8(I8042State, pending),
    VMSTATE_U8(I8042State, obuf),
    VMSTATE_U8(I8042State, reply),
    VMSTATE_U8(I8042State, reply_src),
    VMSTATE_BOOL(I8042State, xlat_release),
    VMSTATE_STRUCT(I8042State, kbd, &ps2_kbd_vmstate),
    VMSTATE_STRUCT(I8042State, mouse, &ps2_mouse_vmstate),
    VMSTATE_END,
};

static const VMStateDescription i8042_vmstate = {
    .name = "i8042",
    .version = 1,
    .fields = i8042_vmstate_fields,
    .post_load = i8042_post_load,
};

static const DeviceInfo i8042_info = {
    .name = "i8042",
    .desc = "8042 keyboard controller with PS/2 keyboard and mouse",
    .bus = BUS_ISA,
    .size = sizeof(I8042State),
    .realize = i8042_realize,
    .unrealize = i8042_unrealize,
    .reset = i8042_reset,
    .vmstate = &i8042_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(i8042_info);
