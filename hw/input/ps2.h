/*
 * PS/2 keyboard and mouse: the devices at the far end of the i8042's two
 * serial links.  They are plain objects embedded in the controller, not
 * registered devices.  Each has an output queue the controller drains one
 * byte at a time; the update callback tells the controller a byte is there.
 */
#ifndef HW_INPUT_PS2_H
#define HW_INPUT_PS2_H

#include "core/common.h"
#include "core/vmstate.h"

#define PS2_QUEUE_SIZE 64

typedef void (*PS2UpdateFn)(void *opaque);

typedef struct PS2Port {
    uint8_t data[PS2_QUEUE_SIZE];
    uint8_t head;  /* index of the oldest byte */
    uint8_t count; /* bytes queued */
    uint8_t last_sent; /* for the resend command */
    PS2UpdateFn update;
    void *opaque;
} PS2Port;

typedef struct PS2Kbd {
    PS2Port port;
    uint8_t scancode_set; /* 1, 2 or 3 */
    bool scan_enabled;
    uint8_t leds;
    uint8_t typematic;
    uint8_t pending_cmd; /* command waiting for its parameter byte, or 0 */
} PS2Kbd;

typedef struct PS2Mouse {
    PS2Port port;
    uint8_t status;      /* E9 status byte: mode, enable, scaling, buttons */
    uint8_t resolution;
    uint8_t sample_rate;
    uint8_t id;          /* 0, or 3 once the IntelliMouse knock was seen */
    uint8_t rate_history[3];
    bool wrap;
    uint8_t pending_cmd;
    int32_t dx, dy, dz;  /* movement not yet reported */
} PS2Mouse;

/* Keycodes for ps2_kbd_key_event: XT set-1 make codes, 0x100 | code after an 0xE0 prefix. */
#define PS2_KEY_E0 0x100
#define PS2_KEY_PRINT_SCREEN (PS2_KEY_E0 | 0x37)
#define PS2_KEY_PAUSE (PS2_KEY_E0 | 0x45) /* sent as its E1 sequence, make only */

/* Mouse buttons for ps2_mouse_move. */
#define PS2_MOUSE_LEFT 0x01
#define PS2_MOUSE_RIGHT 0x02
#define PS2_MOUSE_MIDDLE 0x04

void ps2_kbd_init(PS2Kbd *k, PS2UpdateFn update, void *opaque);
void ps2_mouse_init(PS2Mouse *m, PS2UpdateFn update, void *opaque);
/* Power-on state: defaults, empty queue. */
void ps2_kbd_reset(PS2Kbd *k);
void ps2_mouse_reset(PS2Mouse *m);

/* A byte from the controller (a command or a command's parameter). */
void ps2_kbd_write(PS2Kbd *k, uint8_t val);
void ps2_mouse_write(PS2Mouse *m, uint8_t val);

/* The device's output queue. */
bool ps2_port_has_data(const PS2Port *p);
uint8_t ps2_port_read(PS2Port *p); /* the oldest byte; 0 with an empty queue */
/* Queue a byte as if the device sent it (the i8042's 0xD2/0xD3 commands). */
void ps2_port_queue(PS2Port *p, uint8_t val);

/* Input from the UI.  Keys are dropped while scanning is disabled. */
void ps2_kbd_key_event(PS2Kbd *k, int keycode, bool down);
/* dx right, dy up (PS/2's convention), dz wheel; buttons PS2_MOUSE_*. */
void ps2_mouse_move(PS2Mouse *m, int dx, int dy, int dz, unsigned buttons);

/* The set-1 make code for a set-2 byte, as the i8042's translation does it. */
uint8_t ps2_translate_set2_to_set1(uint8_t code);
/*
 * The i8042's translation of one byte of a set-2 stream: false when the byte
 * (the 0xF0 break prefix) is swallowed, which sets *release for the next one.
 */
bool ps2_translate_byte(bool *release, uint8_t in, uint8_t *out);

extern const VMStateDescription ps2_kbd_vmstate;
extern const VMStateDescription ps2_mouse_vmstate;
/* Make loaded state safe to use (the stream is untrusted). */
void ps2_kbd_post_load(PS2Kbd *k);
void ps2_mouse_post_load(PS2Mouse *m);

#endif
