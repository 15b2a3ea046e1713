/*
 * Keymaps: X11 keysyms (what VNC clients send) to PS/2 set-1 make codes,
 * for the keyboard layout the guest expects (-k).  A shifted character maps
 * to the same key as the unshifted one: the client sends Shift itself.
 *
 * Keysym values are from X11's keysymdef.h (Latin-1 keysyms equal their
 * character code); scancodes from the IBM PC/AT set 1 table.
 */
#include "hw/input/ps2.h"
#include "ui/console.h"

typedef struct KeymapEntry {
    uint32_t keysym;
    uint16_t keycode;
} KeymapEntry;

/* Keys every layout shares: control keys, keypad, function keys. */
static const KeymapEntry keymap_common[] = {
    {0xff1b, 0x01},                        /* Escape */
    {0xff08, 0x0e},                        /* BackSpace */
    {0xff09, 0x0f},                        /* Tab */
    {0xfe20, 0x0f},                        /* ISO_Left_Tab (Shift-Tab) */
    {0xff0d, 0x1c},                        /* Return */
    {0xffe3, 0x1d},                        /* Control_L */
    {0xffe1, 0x2a},                        /* Shift_L */
    {0xffe2, 0x36},                        /* Shift_R */
    {0xffe9, 0x38},                        /* Alt_L */
    {0xffe7, 0x38},                        /* Meta_L */
    {0xffe5, 0x3a},                        /* Caps_Lock */
    {0xffbe, 0x3b}, {0xffbf, 0x3c}, {0xffc0, 0x3d}, {0xffc1, 0x3e}, /* F1-F4 */
    {0xffc2, 0x3f}, {0xffc3, 0x40}, {0xffc4, 0x41}, {0xffc5, 0x42}, /* F5-F8 */
    {0xffc6, 0x43}, {0xffc7, 0x44}, {0xffc8, 0x57}, {0xffc9, 0x58}, /* F9-F12 */
    {0xff7f, 0x45},                        /* Num_Lock */
    {0xff14, 0x46},                        /* Scroll_Lock */
    {0xffb7, 0x47}, {0xffb8, 0x48}, {0xffb9, 0x49}, {0xffad, 0x4a}, /* KP 7 8 9 - */
    {0xffb4, 0x4b}, {0xffb5, 0x4c}, {0xffb6, 0x4d}, {0xffab, 0x4e}, /* KP 4 5 6 + */
    {0xffb1, 0x4f}, {0xffb2, 0x50}, {0xffb3, 0x51}, {0xffb0, 0x52}, /* KP 1 2 3 0 */
    {0xffae, 0x53},                        /* KP_Decimal */
    {0xffaa, 0x37},                        /* KP_Multiply */
    {0xff95, 0x47}, {0xff97, 0x48}, {0xff9a, 0x49}, {0xff96, 0x4b}, /* KP without NumLock */
    {0xff9d, 0x4c}, {0xff98, 0x4d}, {0xff9c, 0x4f}, {0xff99, 0x50},
    {0xff9b, 0x51}, {0xff9e, 0x52}, {0xff9f, 0x53},
    {0xff8d, PS2_KEY_E0 | 0x1c},           /* KP_Enter */
    {0xffe4, PS2_KEY_E0 | 0x1d},           /* Control_R */
    {0xffaf, PS2_KEY_E0 | 0x35},           /* KP_Divide */
    {0xff61, PS2_KEY_PRINT_SCREEN},        /* Print */
    {0xffea, PS2_KEY_E0 | 0x38},           /* Alt_R */
    {0xfe03, PS2_KEY_E0 | 0x38},           /* ISO_Level3_Shift (AltGr) */
    {0xff13, PS2_KEY_PAUSE},               /* Pause */
    {0xff50, PS2_KEY_E0 | 0x47},           /* Home */
    {0xff52, PS2_KEY_E0 | 0x48},           /* Up */
    {0xff55, PS2_KEY_E0 | 0x49},           /* Page_Up */
    {0xff51, PS2_KEY_E0 | 0x4b},           /* Left */
    {0xff53, PS2_KEY_E0 | 0x4d},           /* Right */
    {0xff57, PS2_KEY_E0 | 0x4f},           /* End */
    {0xff54, PS2_KEY_E0 | 0x50},           /* Down */
    {0xff56, PS2_KEY_E0 | 0x51},           /* Page_Down */
    {0xff63, PS2_KEY_E0 | 0x52},           /* Insert */
    {0xffff, PS2_KEY_E0 | 0x53},           /* Delete */
    {0xffeb, PS2_KEY_E0 | 0x5b},           /* Super_L */
    {0xffec, PS2_KEY_E0 | 0x5c},           /* Super_R */
    {0xff67, PS2_KEY_E0 | 0x5d},           /* Menu */
};

/* The US layout: the printable characters, unshifted and shifted. */
static const char us_unshifted[] = "1234567890-=qwertyuiop[]asdfghjkl;'`\\zxcvbnm,./ ";
static const char us_shifted[] = "!@#$%^&*()_+QWERTYUIOP{}ASDFGHJKL:\"~|ZXCVBNM<>? ";
static const uint8_t us_codes[] = {
    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, /* 1 .. = */
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, /* q .. ] */
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, /* a .. ` */
    0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,       /* \ .. / */
    0x39,                                                                   /* space */
};

bool keymap_supported(const char *layout)
{
    return !strcmp(layout, "en-us");
}

int keymap_keysym_to_keycode(const char *layout, uint32_t keysym)
{
    for (size_t i = 0; i < ARRAY_SIZE(keymap_common); i++) {
        if (keymap_common[i].keysym == keysym) {
            return keymap_common[i].keycode;
        }
    }
    if (!keymap_supported(layout) || keysym == 0 || keysym > 0x7e) {
        return -1;
    }
    const char *p = strchr(us_unshifted, (int)keysym);
    if (!p) {
        p = strchr(us_shifted, (int)keysym);
        if (!p) {
            return -1;
        }
        return us_codes[p - us_shifted];
    }
    return us_codes[p - us_unshifted];
}
