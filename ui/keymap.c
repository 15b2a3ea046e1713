/*
 * Keymaps: X11 keysyms (what VNC clients send) to PS/2 set-1 make codes,
 * for the keyboard layout the guest expects (-k LAYOUT).
 *
 * A layout says, for each key of the typing area, which keysym it produces
 * unshifted, with Shift and with AltGr.  A lookup returns the key and the
 * modifiers the character needs; the console (display_keysym_event) presses
 * or releases Shift/AltGr around the key when the client holds different
 * ones, so '@' from a US client reaches a German guest as AltGr+Q.  Letters
 * are the exception: their case belongs to the guest's Shift and Caps Lock,
 * so they never get a fix-up.  Dead keys map to the key that is dead in the
 * guest's layout (its dead_* keysym and the plain character both).
 *
 * The layout facts are those of the national PC keyboards (IBM enhanced
 * 102/105-key and the Japanese 106-key), as the X11 and Linux console
 * layouts of the same names describe them.  Keysym values are from X11's
 * keysymdef.h (Latin-1 keysyms equal their character code); scancodes from
 * the IBM PC/AT set 1 table.
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
    {0x0020, 0x39},                        /* space */
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
    {0xffae, 0x53}, {0xffac, 0x53},        /* KP_Decimal, KP_Separator (the comma ones) */
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
    {0xff7e, PS2_KEY_E0 | 0x38},           /* Mode_switch (AltGr on older X servers) */
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

/* Keysyms outside ASCII that the layouts below use (X11 keysymdef.h names). */
enum {
    KS_exclamdown = 0xa1, KS_cent = 0xa2, KS_sterling = 0xa3, KS_currency = 0xa4, KS_yen = 0xa5,
    KS_brokenbar = 0xa6, KS_section = 0xa7, KS_diaeresis = 0xa8, KS_ordfeminine = 0xaa,
    KS_guillemotleft = 0xab, KS_notsign = 0xac, KS_degree = 0xb0, KS_plusminus = 0xb1,
    KS_twosuperior = 0xb2, KS_threesuperior = 0xb3, KS_acute = 0xb4, KS_mu = 0xb5,
    KS_periodcentered = 0xb7, KS_onesuperior = 0xb9, KS_masculine = 0xba,
    KS_guillemotright = 0xbb, KS_onequarter = 0xbc, KS_onehalf = 0xbd,
    KS_threequarters = 0xbe, KS_questiondown = 0xbf,
    KS_Adiaeresis = 0xc4, KS_Aring = 0xc5, KS_AE = 0xc6, KS_Ccedilla = 0xc7,
    KS_Ntilde = 0xd1, KS_Odiaeresis = 0xd6, KS_Ooblique = 0xd8, KS_Udiaeresis = 0xdc,
    KS_ssharp = 0xdf, KS_agrave = 0xe0, KS_adiaeresis = 0xe4, KS_aring = 0xe5, KS_ae = 0xe6,
    KS_ccedilla = 0xe7, KS_egrave = 0xe8, KS_eacute = 0xe9, KS_igrave = 0xec, KS_ntilde = 0xf1,
    KS_ograve = 0xf2, KS_odiaeresis = 0xf6, KS_oslash = 0xf8, KS_ugrave = 0xf9,
    KS_udiaeresis = 0xfc,
    KS_EuroSign = 0x20ac,
    KS_dead_grave = 0xfe50, KS_dead_acute = 0xfe51, KS_dead_circumflex = 0xfe52,
    KS_dead_tilde = 0xfe53, KS_dead_diaeresis = 0xfe57, KS_dead_cedilla = 0xfe5b,
    KS_Muhenkan = 0xff22, KS_Henkan_Mode = 0xff23, KS_Hiragana_Katakana = 0xff27,
    KS_Zenkaku_Hankaku = 0xff2a,
};

/* One key of the typing area: its make code and what it types at each level. */
typedef struct KeyDef {
    uint8_t code;
    uint32_t sym[3]; /* unshifted, Shift, AltGr; 0 where the key types nothing */
} KeyDef;

typedef struct KeymapLayout {
    const char *name;
    const char *alias; /* another name people use for it, or NULL */
    /*
     * The letters on the three letter rows, 27 characters: 0x10-0x19 (Q..P
     * on a US keyboard), 0x1e-0x27 (A..;) and 0x2c-0x32 (Z..M); '.' where the
     * key is not a letter in this layout (it is in keys[] then).
     */
    const char *letters;
    bool has_altgr; /* the right Alt is AltGr: fix it up like Shift */
    const KeyDef *keys;
    size_t nkeys;
} KeymapLayout;

#define QWERTY "qwertyuiop" "asdfghjkl." "zxcvbnm"
#define QWERTZ "qwertzuiop" "asdfghjkl." "yxcvbnm"
#define AZERTY "azertyuiop" "qsdfghjklm" "wxcvbn."

static const KeyDef keys_en_us[] = {
    {0x29, {'`', '~'}}, {0x02, {'1', '!'}}, {0x03, {'2', '@'}}, {0x04, {'3', '#'}},
    {0x05, {'4', '$'}}, {0x06, {'5', '%'}}, {0x07, {'6', '^'}}, {0x08, {'7', '&'}},
    {0x09, {'8', '*'}}, {0x0a, {'9', '('}}, {0x0b, {'0', ')'}}, {0x0c, {'-', '_'}},
    {0x0d, {'=', '+'}}, {0x1a, {'[', '{'}}, {0x1b, {']', '}'}}, {0x2b, {'\\', '|'}},
    {0x27, {';', ':'}}, {0x28, {'\'', '"'}}, {0x33, {',', '<'}}, {0x34, {'.', '>'}},
    {0x35, {'/', '?'}},
};

static const KeyDef keys_en_gb[] = {
    {0x29, {'`', KS_notsign, KS_brokenbar}}, {0x02, {'1', '!'}}, {0x03, {'2', '"'}},
    {0x04, {'3', KS_sterling}}, {0x05, {'4', '$', KS_EuroSign}}, {0x06, {'5', '%'}},
    {0x07, {'6', '^'}}, {0x08, {'7', '&'}}, {0x09, {'8', '*'}}, {0x0a, {'9', '('}},
    {0x0b, {'0', ')'}}, {0x0c, {'-', '_'}}, {0x0d, {'=', '+'}}, {0x1a, {'[', '{'}},
    {0x1b, {']', '}'}}, {0x27, {';', ':'}}, {0x28, {'\'', '@'}}, {0x2b, {'#', '~'}},
    {0x56, {'\\', '|'}}, {0x33, {',', '<'}}, {0x34, {'.', '>'}}, {0x35, {'/', '?'}},
};

static const KeyDef keys_de[] = {
    {0x29, {KS_dead_circumflex, KS_degree}}, {0x29, {'^'}},
    {0x02, {'1', '!'}}, {0x03, {'2', '"', KS_twosuperior}},
    {0x04, {'3', KS_section, KS_threesuperior}}, {0x05, {'4', '$'}}, {0x06, {'5', '%'}},
    {0x07, {'6', '&'}}, {0x08, {'7', '/', '{'}}, {0x09, {'8', '(', '['}},
    {0x0a, {'9', ')', ']'}}, {0x0b, {'0', '=', '}'}}, {0x0c, {KS_ssharp, '?', '\\'}},
    {0x0d, {KS_dead_acute, KS_dead_grave}}, {0x0d, {KS_acute, '`'}},
    {0x10, {0, 0, '@'}}, {0x12, {0, 0, KS_EuroSign}}, {0x32, {0, 0, KS_mu}},
    {0x1a, {KS_udiaeresis, 0xdc}}, {0x1b, {'+', '*', '~'}},
    {0x27, {KS_odiaeresis, KS_Odiaeresis}}, {0x28, {KS_adiaeresis, KS_Adiaeresis}},
    {0x2b, {'#', '\''}}, {0x56, {'<', '>', '|'}},
    {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

static const KeyDef keys_de_ch[] = {
    {0x29, {KS_section, KS_degree}}, {0x02, {'1', '+', KS_brokenbar}},
    {0x03, {'2', '"', '@'}}, {0x04, {'3', '*', '#'}}, {0x05, {'4', KS_ccedilla}},
    {0x06, {'5', '%'}}, {0x07, {'6', '&', KS_notsign}}, {0x08, {'7', '/', '|'}},
    {0x09, {'8', '(', KS_cent}}, {0x0a, {'9', ')'}}, {0x0b, {'0', '='}},
    {0x0c, {'\'', '?', KS_dead_acute}}, {0x0c, {0, 0, KS_acute}},
    {0x0d, {KS_dead_circumflex, KS_dead_grave, KS_dead_tilde}}, {0x0d, {'^', '`', '~'}},
    {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_udiaeresis, KS_egrave, '['}}, {0x1b, {KS_dead_diaeresis, '!', ']'}},
    {0x1b, {KS_diaeresis}},
    {0x27, {KS_odiaeresis, KS_eacute}}, {0x28, {KS_adiaeresis, KS_agrave, '{'}},
    {0x2b, {'$', KS_sterling, '}'}}, {0x56, {'<', '>', '\\'}},
    {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

static const KeyDef keys_fr[] = {
    {0x29, {KS_twosuperior}}, {0x02, {'&', '1'}}, {0x03, {KS_eacute, '2', KS_dead_tilde}},
    {0x03, {0, 0, '~'}}, {0x04, {'"', '3', '#'}}, {0x05, {'\'', '4', '{'}},
    {0x06, {'(', '5', '['}}, {0x07, {'-', '6', '|'}}, {0x08, {KS_egrave, '7', KS_dead_grave}},
    {0x08, {0, 0, '`'}}, {0x09, {'_', '8', '\\'}}, {0x0a, {KS_ccedilla, '9', '^'}},
    {0x0b, {KS_agrave, '0', '@'}}, {0x0c, {')', KS_degree, ']'}}, {0x0d, {'=', '+', '}'}},
    {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_dead_circumflex, KS_dead_diaeresis}}, {0x1a, {0, KS_diaeresis}},
    {0x1b, {'$', KS_sterling, KS_currency}},
    {0x28, {KS_ugrave, '%'}}, {0x2b, {'*', KS_mu}}, {0x56, {'<', '>'}},
    {0x32, {',', '?'}}, {0x33, {';', '.'}}, {0x34, {':', '/'}}, {0x35, {'!', KS_section}},
};

static const KeyDef keys_fr_be[] = {
    {0x29, {KS_twosuperior, KS_threesuperior}}, {0x02, {'&', '1', '|'}},
    {0x03, {KS_eacute, '2', '@'}}, {0x04, {'"', '3', '#'}}, {0x05, {'\'', '4'}},
    {0x06, {'(', '5'}}, {0x07, {KS_section, '6', '^'}}, {0x08, {KS_egrave, '7'}},
    {0x09, {'!', '8'}}, {0x0a, {KS_ccedilla, '9', '{'}}, {0x0b, {KS_agrave, '0', '}'}},
    {0x0c, {')', KS_degree}}, {0x0d, {'-', '_'}}, {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_dead_circumflex, KS_dead_diaeresis, '['}}, {0x1b, {'$', '*', ']'}},
    {0x28, {KS_ugrave, '%', KS_dead_acute}}, {0x28, {0, 0, KS_acute}},
    {0x2b, {KS_mu, KS_sterling, KS_dead_grave}}, {0x2b, {0, 0, '`'}},
    {0x56, {'<', '>', '\\'}}, {0x32, {',', '?'}}, {0x33, {';', '.'}}, {0x34, {':', '/'}},
    {0x35, {'=', '+', KS_dead_tilde}}, {0x35, {0, 0, '~'}},
};

static const KeyDef keys_es[] = {
    {0x29, {KS_masculine, KS_ordfeminine, '\\'}}, {0x02, {'1', '!', '|'}},
    {0x03, {'2', '"', '@'}}, {0x04, {'3', KS_periodcentered, '#'}}, {0x05, {'4', '$', '~'}},
    {0x06, {'5', '%'}}, {0x07, {'6', '&', KS_notsign}}, {0x08, {'7', '/'}},
    {0x09, {'8', '('}}, {0x0a, {'9', ')'}}, {0x0b, {'0', '='}}, {0x0c, {'\'', '?'}},
    {0x0d, {KS_exclamdown, KS_questiondown}}, {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_dead_grave, KS_dead_circumflex, '['}}, {0x1a, {'`', '^'}},
    {0x1b, {'+', '*', ']'}}, {0x27, {KS_ntilde, KS_Ntilde}},
    {0x28, {KS_dead_acute, KS_dead_diaeresis, '{'}}, {0x28, {KS_acute, KS_diaeresis}},
    {0x2b, {KS_ccedilla, KS_Ccedilla, '}'}}, {0x56, {'<', '>'}},
    {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

static const KeyDef keys_it[] = {
    {0x29, {'\\', '|'}}, {0x02, {'1', '!'}}, {0x03, {'2', '"'}}, {0x04, {'3', KS_sterling}},
    {0x05, {'4', '$'}}, {0x06, {'5', '%', KS_EuroSign}}, {0x07, {'6', '&'}},
    {0x08, {'7', '/'}}, {0x09, {'8', '('}}, {0x0a, {'9', ')'}}, {0x0b, {'0', '='}},
    {0x0c, {'\'', '?'}}, {0x0d, {KS_igrave, '^'}}, {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_egrave, KS_eacute, '['}}, {0x1b, {'+', '*', ']'}},
    {0x27, {KS_ograve, KS_ccedilla, '@'}}, {0x28, {KS_agrave, KS_degree, '#'}},
    {0x2b, {KS_ugrave, KS_section}}, {0x56, {'<', '>'}},
    {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

/* Swedish and Finnish share one layout. */
static const KeyDef keys_sv[] = {
    {0x29, {KS_section, KS_onehalf}}, {0x02, {'1', '!'}}, {0x03, {'2', '"', '@'}},
    {0x04, {'3', '#', KS_sterling}}, {0x05, {'4', KS_currency, '$'}},
    {0x06, {'5', '%', KS_EuroSign}}, {0x07, {'6', '&'}}, {0x08, {'7', '/', '{'}},
    {0x09, {'8', '(', '['}}, {0x0a, {'9', ')', ']'}}, {0x0b, {'0', '=', '}'}},
    {0x0c, {'+', '?', '\\'}}, {0x0d, {KS_dead_acute, KS_dead_grave}},
    {0x0d, {KS_acute, '`'}}, {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_aring, KS_Aring}}, {0x1b, {KS_dead_diaeresis, KS_dead_circumflex, KS_dead_tilde}},
    {0x1b, {KS_diaeresis, '^', '~'}},
    {0x27, {KS_odiaeresis, KS_Odiaeresis}}, {0x28, {KS_adiaeresis, KS_Adiaeresis}},
    {0x2b, {'\'', '*'}}, {0x56, {'<', '>', '|'}},
    {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

static const KeyDef keys_no[] = {
    {0x29, {'|', KS_section}}, {0x02, {'1', '!'}}, {0x03, {'2', '"', '@'}},
    {0x04, {'3', '#', KS_sterling}}, {0x05, {'4', KS_currency, '$'}}, {0x06, {'5', '%'}},
    {0x07, {'6', '&'}}, {0x08, {'7', '/', '{'}}, {0x09, {'8', '(', '['}},
    {0x0a, {'9', ')', ']'}}, {0x0b, {'0', '=', '}'}}, {0x0c, {'+', '?'}},
    {0x0d, {'\\', KS_dead_grave, KS_dead_acute}}, {0x0d, {0, '`', KS_acute}},
    {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_aring, KS_Aring}}, {0x1b, {KS_dead_diaeresis, KS_dead_circumflex, KS_dead_tilde}},
    {0x1b, {KS_diaeresis, '^', '~'}},
    {0x27, {KS_oslash, KS_Ooblique}}, {0x28, {KS_ae, KS_AE}}, {0x2b, {'\'', '*'}},
    {0x56, {'<', '>'}}, {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

static const KeyDef keys_da[] = {
    {0x29, {KS_onehalf, KS_section}}, {0x02, {'1', '!'}}, {0x03, {'2', '"', '@'}},
    {0x04, {'3', '#', KS_sterling}}, {0x05, {'4', KS_currency, '$'}},
    {0x06, {'5', '%', KS_EuroSign}}, {0x07, {'6', '&'}}, {0x08, {'7', '/', '{'}},
    {0x09, {'8', '(', '['}}, {0x0a, {'9', ')', ']'}}, {0x0b, {'0', '=', '}'}},
    {0x0c, {'+', '?'}}, {0x0d, {KS_dead_acute, KS_dead_grave, '|'}}, {0x0d, {KS_acute, '`'}},
    {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_aring, KS_Aring}}, {0x1b, {KS_dead_diaeresis, KS_dead_circumflex, KS_dead_tilde}},
    {0x1b, {KS_diaeresis, '^', '~'}},
    {0x27, {KS_ae, KS_AE}}, {0x28, {KS_oslash, KS_Ooblique}}, {0x2b, {'\'', '*'}},
    {0x56, {'<', '>', '\\'}}, {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

static const KeyDef keys_pt[] = {
    {0x29, {'\\', '|'}}, {0x02, {'1', '!'}}, {0x03, {'2', '"', '@'}},
    {0x04, {'3', '#', KS_sterling}}, {0x05, {'4', '$', KS_section}},
    {0x06, {'5', '%', KS_EuroSign}}, {0x07, {'6', '&'}}, {0x08, {'7', '/', '{'}},
    {0x09, {'8', '(', '['}}, {0x0a, {'9', ')', ']'}}, {0x0b, {'0', '=', '}'}},
    {0x0c, {'\'', '?'}}, {0x0d, {KS_guillemotleft, KS_guillemotright}},
    {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {'+', '*'}}, {0x1b, {KS_dead_acute, KS_dead_grave}}, {0x1b, {KS_acute, '`'}},
    {0x27, {KS_ccedilla, KS_Ccedilla}}, {0x28, {KS_masculine, KS_ordfeminine}},
    {0x2b, {KS_dead_tilde, KS_dead_circumflex}}, {0x2b, {'~', '^'}},
    {0x56, {'<', '>'}}, {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '_'}},
};

static const KeyDef keys_nl[] = {
    {0x29, {'@', KS_section, KS_notsign}}, {0x02, {'1', '!', KS_onesuperior}},
    {0x03, {'2', '"', KS_twosuperior}}, {0x04, {'3', '#', KS_threesuperior}},
    {0x05, {'4', '$', KS_onequarter}}, {0x06, {'5', '%', KS_onehalf}},
    {0x07, {'6', '&', KS_threequarters}}, {0x08, {'7', '_', KS_sterling}},
    {0x09, {'8', '(', '{'}}, {0x0a, {'9', ')', '}'}}, {0x0b, {'0', '\'', '`'}},
    {0x0c, {'/', '?', '\\'}}, {0x0d, {KS_degree, KS_dead_tilde, KS_dead_cedilla}},
    {0x0d, {0, '~'}}, {0x12, {0, 0, KS_EuroSign}},
    {0x1a, {KS_dead_diaeresis, '^'}}, {0x1a, {KS_diaeresis}}, {0x1b, {'*', '|'}},
    {0x27, {'+', KS_plusminus}}, {0x28, {KS_dead_acute, KS_dead_grave}},
    {0x28, {KS_acute}}, {0x2b, {'<', '>'}}, {0x56, {']', '[', KS_brokenbar}},
    {0x33, {',', ';'}}, {0x34, {'.', ':'}}, {0x35, {'-', '='}},
};

/* The Japanese 106-key keyboard: its extra keys are 0x73 (ro), 0x7d (yen) and the IME keys. */
static const KeyDef keys_ja[] = {
    {0x29, {KS_Zenkaku_Hankaku}}, {0x02, {'1', '!'}}, {0x03, {'2', '"'}},
    {0x04, {'3', '#'}}, {0x05, {'4', '$'}}, {0x06, {'5', '%'}}, {0x07, {'6', '&'}},
    {0x08, {'7', '\''}}, {0x09, {'8', '('}}, {0x0a, {'9', ')'}}, {0x0b, {'0'}},
    {0x0c, {'-', '='}}, {0x0d, {'^', '~'}}, {0x73, {'\\', '_'}}, {0x7d, {KS_yen, '|'}},
    {0x1a, {'@', '`'}}, {0x1b, {'[', '{'}}, {0x27, {';', '+'}}, {0x28, {':', '*'}},
    {0x2b, {']', '}'}}, {0x33, {',', '<'}}, {0x34, {'.', '>'}}, {0x35, {'/', '?'}},
    {0x7b, {KS_Muhenkan}}, {0x79, {KS_Henkan_Mode}}, {0x70, {KS_Hiragana_Katakana}},
};

#define LAYOUT(n, a, l, g, k) {.name = n, .alias = a, .letters = l, .has_altgr = g, \
                               .keys = k, .nkeys = ARRAY_SIZE(k)}

static const KeymapLayout layouts[] = {
    LAYOUT("en-us", "us", QWERTY, false, keys_en_us),
    LAYOUT("en-gb", "gb", QWERTY, true, keys_en_gb),
    LAYOUT("da", NULL, QWERTY, true, keys_da),
    LAYOUT("de", NULL, QWERTZ, true, keys_de),
    LAYOUT("de-ch", "ch", QWERTZ, true, keys_de_ch),
    LAYOUT("es", NULL, QWERTY, true, keys_es),
    LAYOUT("fi", NULL, QWERTY, true, keys_sv),
    LAYOUT("fr", NULL, AZERTY, true, keys_fr),
    LAYOUT("fr-be", "be", AZERTY, true, keys_fr_be),
    LAYOUT("it", NULL, QWERTY, true, keys_it),
    LAYOUT("ja", "jp", QWERTY, false, keys_ja),
    LAYOUT("nl", NULL, QWERTY, true, keys_nl),
    LAYOUT("no", NULL, QWERTY, true, keys_no),
    LAYOUT("pt", NULL, QWERTY, true, keys_pt),
    LAYOUT("sv", NULL, QWERTY, true, keys_sv),
};

static const uint8_t letter_codes[27] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
    0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32,
};

const KeymapLayout *keymap_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
        if (!strcmp(name, layouts[i].name) ||
            (layouts[i].alias && !strcmp(name, layouts[i].alias))) {
            return &layouts[i];
        }
    }
    return NULL;
}

bool keymap_supported(const char *layout)
{
    return keymap_find(layout) != NULL;
}

char *keymap_names(void)
{
    size_t len = 1;
    for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
        len += strlen(layouts[i].name) + 1;
    }
    char *out = xzalloc(len);
    for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
        if (i) {
            strcat(out, " ");
        }
        strcat(out, layouts[i].name);
    }
    return out;
}

bool keymap_layout_has_altgr(const KeymapLayout *l)
{
    return l->has_altgr;
}

/* A Latin-1 letter's other case, or 0 (the keysyms equal the code points here). */
static uint32_t latin1_other_case(uint32_t ks)
{
    if ((ks >= 'a' && ks <= 'z') || (ks >= 0xe0 && ks <= 0xfe && ks != 0xf7)) {
        return ks - 0x20;
    }
    if ((ks >= 'A' && ks <= 'Z') || (ks >= 0xc0 && ks <= 0xde && ks != 0xd7)) {
        return ks + 0x20;
    }
    return 0;
}

bool keymap_lookup(const KeymapLayout *l, uint32_t keysym, KeymapKey *out)
{
    /* X11's Unicode keysyms (0x01000000 + code point) for what Latin-1 keysyms also name. */
    if (keysym >= 0x01000000 && keysym <= 0x010000ff) {
        keysym -= 0x01000000;
    } else if (keysym == 0x010020ac) {
        keysym = KS_EuroSign;
    }
    *out = (KeymapKey){.keycode = -1};
    if (keysym == 0) {
        return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(keymap_common); i++) {
        if (keymap_common[i].keysym == keysym) {
            out->keycode = keymap_common[i].keycode;
            return true;
        }
    }
    if (keysym < 0x100) {
        uint32_t lower = (keysym >= 'A' && keysym <= 'Z') ? keysym + 0x20 : keysym;
        const char *p = lower < 0x80 ? strchr(l->letters, (int)lower) : NULL;
        if (p && lower != '.') {
            /* A letter: Shift and Caps Lock in the guest decide its case. */
            out->keycode = letter_codes[p - l->letters];
            return true;
        }
    }
    for (int level = 0; level < 3; level++) {
        for (size_t i = 0; i < l->nkeys; i++) {
            const KeyDef *k = &l->keys[i];
            if (k->sym[level] != keysym) {
                continue;
            }
            out->keycode = k->code;
            uint32_t other = latin1_other_case(keysym);
            if (level < 2 && other && k->sym[level ^ 1] == other) {
                return true; /* a letter of this layout (ä/Ä): its case is the guest's */
            }
            out->fixed_mods = true;
            out->mods = level == 1 ? KEYMAP_SHIFT : level == 2 ? KEYMAP_ALTGR : 0;
            return true;
        }
    }
    return false;
}

int keymap_keysym_to_keycode(const char *layout, uint32_t keysym)
{
    const KeymapLayout *l = keymap_find(layout);
    KeymapKey key;
    return l && keymap_lookup(l, keysym, &key) ? key.keycode : -1;
}
