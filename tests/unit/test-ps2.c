/*
 * PS/2 keyboard and mouse (hw/input/ps2.c) without a controller: the key
 * event API in scan code sets 1 and 2, the 8042's set 2 -> set 1
 * translation, and mouse packets.
 */
#include "hw/input/ps2.h"
#include "tests/unit/test.h"

static int updates;

static void count_update(void *opaque)
{
    updates++;
}

/* Drain the queue into buf; returns how many bytes there were. */
static int drain(PS2Port *p, uint8_t *buf, int max)
{
    int n = 0;
    while (ps2_port_has_data(p) && n < max) {
        buf[n++] = ps2_port_read(p);
    }
    return n;
}

#define CHECK_BYTES(port, ...)                                          \
    do {                                                                \
        static const uint8_t want_[] = {__VA_ARGS__};                   \
        uint8_t got_[128];                                              \
        int n_ = drain((port), got_, (int)sizeof(got_));                \
        CHECK_EQ(n_, sizeof(want_));                                    \
        for (int i_ = 0; i_ < n_ && i_ < (int)sizeof(want_); i_++) {    \
            CHECK_EQ(got_[i_], want_[i_]);                              \
        }                                                               \
    } while (0)

static void test_set2_keys(void)
{
    PS2Kbd k;
    updates = 0;
    ps2_kbd_init(&k, count_update, NULL);
    ps2_kbd_key_event(&k, 0x1e, true); /* A */
    CHECK(updates > 0);
    CHECK_BYTES(&k.port, 0x1c);
    ps2_kbd_key_event(&k, 0x1e, false);
    CHECK_BYTES(&k.port, 0xf0, 0x1c);
    ps2_kbd_key_event(&k, PS2_KEY_E0 | 0x48, true); /* Up */
    ps2_kbd_key_event(&k, PS2_KEY_E0 | 0x48, false);
    CHECK_BYTES(&k.port, 0xe0, 0x75, 0xe0, 0xf0, 0x75);
    ps2_kbd_key_event(&k, PS2_KEY_E0 | 0x1d, true); /* right Ctrl */
    CHECK_BYTES(&k.port, 0xe0, 0x14);
    /* Spot checks against the published set-2 table. */
    static const struct {
        int key;
        uint8_t code;
    } spots[] = {{0x01, 0x76}, {0x1c, 0x5a}, {0x39, 0x29}, {0x41, 0x83}, {0x58, 0x07},
                 {0x2a, 0x12}, {0x36, 0x59}, {0x3a, 0x58}, {0x45, 0x77}, {0x53, 0x71}};
    for (size_t i = 0; i < ARRAY_SIZE(spots); i++) {
        ps2_kbd_key_event(&k, spots[i].key, true);
        uint8_t b[4];
        CHECK_EQ(drain(&k.port, b, 4), 1);
        CHECK_EQ(b[0], spots[i].code);
    }
}

static void test_set1_keys(void)
{
    PS2Kbd k;
    ps2_kbd_init(&k, NULL, NULL);
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x01);
    CHECK_BYTES(&k.port, 0xfa, 0xfa);
    ps2_kbd_key_event(&k, 0x1e, true);
    ps2_kbd_key_event(&k, 0x1e, false);
    ps2_kbd_key_event(&k, PS2_KEY_E0 | 0x48, true);
    ps2_kbd_key_event(&k, PS2_KEY_E0 | 0x48, false);
    CHECK_BYTES(&k.port, 0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8);
}

static void test_pause_and_print_screen(void)
{
    PS2Kbd k;
    ps2_kbd_init(&k, NULL, NULL);
    ps2_kbd_key_event(&k, PS2_KEY_PAUSE, true);
    ps2_kbd_key_event(&k, PS2_KEY_PAUSE, false); /* Pause has no break code */
    CHECK_BYTES(&k.port, 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);
    ps2_kbd_key_event(&k, PS2_KEY_PRINT_SCREEN, true);
    ps2_kbd_key_event(&k, PS2_KEY_PRINT_SCREEN, false);
    CHECK_BYTES(&k.port, 0xe0, 0x12, 0xe0, 0x7c, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12);
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x01);
    drain(&k.port, (uint8_t[8]){0}, 8);
    ps2_kbd_key_event(&k, PS2_KEY_PAUSE, true);
    CHECK_BYTES(&k.port, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
}

/* Every key sent in set 2 and translated as the 8042 does gives its set-1 code back. */
static void test_translation_round_trip(void)
{
    PS2Kbd k;
    ps2_kbd_init(&k, NULL, NULL);
    int keys = 0;
    for (int key = 0x01; key <= 0x58; key++) {
        ps2_kbd_key_event(&k, key, true);
        ps2_kbd_key_event(&k, key, false);
        uint8_t raw[8], out[8];
        int n = drain(&k.port, raw, 8);
        if (n == 0) {
            continue; /* no such key on a US keyboard (0x55) */
        }
        keys++;
        bool release = false;
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (ps2_translate_byte(&release, raw[i], &out[m])) {
                m++;
            }
        }
        CHECK_EQ(m, 2);
        CHECK_EQ(out[0], key);
        CHECK_EQ(out[1], key | 0x80);
    }
    CHECK_EQ(keys, 0x58 - 1);
    /* E0 keys keep their prefix through translation. */
    ps2_kbd_key_event(&k, PS2_KEY_E0 | 0x53, false); /* Delete released: E0 F0 71 */
    uint8_t raw[4];
    int n = drain(&k.port, raw, 4);
    CHECK_EQ(n, 3);
    bool release = false;
    uint8_t out[4];
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (ps2_translate_byte(&release, raw[i], &out[m])) {
            m++;
        }
    }
    CHECK_EQ(m, 2);
    CHECK_EQ(out[0], 0xe0);
    CHECK_EQ(out[1], 0xd3);
    /* Replies are not key codes and pass unchanged; F7's alias and 0x83 map to 0x41. */
    CHECK_EQ(ps2_translate_set2_to_set1(0xfa), 0xfa);
    CHECK_EQ(ps2_translate_set2_to_set1(0xaa), 0xaa);
    CHECK_EQ(ps2_translate_set2_to_set1(0x83), 0x41);
    CHECK_EQ(ps2_translate_set2_to_set1(0x02), 0x41);
    CHECK_EQ(ps2_translate_set2_to_set1(0x01), 0x43);
}

static void test_disabled_and_overflow(void)
{
    PS2Kbd k;
    ps2_kbd_init(&k, NULL, NULL);
    ps2_kbd_write(&k, 0xf5);
    CHECK_BYTES(&k.port, 0xfa);
    ps2_kbd_key_event(&k, 0x1e, true);
    CHECK(!ps2_port_has_data(&k.port));
    ps2_kbd_write(&k, 0xf4);
    CHECK_BYTES(&k.port, 0xfa);
    /* A full queue drops whole keys, never half a sequence. */
    for (int i = 0; i < 200; i++) {
        ps2_kbd_key_event(&k, PS2_KEY_E0 | 0x48, i & 1);
    }
    uint8_t buf[256];
    int n = drain(&k.port, buf, sizeof(buf));
    CHECK(n <= PS2_QUEUE_SIZE && n >= PS2_QUEUE_SIZE - 3);
    CHECK_EQ(buf[n - 1], 0x75);
    /* Nonsense keycodes from a UI are refused. */
    ps2_kbd_key_event(&k, 0x200, true);
    ps2_kbd_key_event(&k, -1, true);
    ps2_kbd_key_event(&k, 0, true);
    CHECK(!ps2_port_has_data(&k.port));
}

static void test_mouse_packets(void)
{
    PS2Mouse m;
    ps2_mouse_init(&m, NULL, NULL);
    ps2_mouse_move(&m, 5, 5, 0, 0);
    CHECK(!ps2_port_has_data(&m.port)); /* reporting is off after reset */
    ps2_mouse_write(&m, 0xf4);
    CHECK_BYTES(&m.port, 0xfa);
    ps2_mouse_move(&m, 10, -5, 0, PS2_MOUSE_LEFT);
    CHECK_BYTES(&m.port, 0x08 | 0x01 | 0x20, 0x0a, 0xfb);
    ps2_mouse_move(&m, 300, -300, 0, PS2_MOUSE_RIGHT | PS2_MOUSE_MIDDLE);
    CHECK_BYTES(&m.port, 0x08 | 0x06 | 0x40 | 0x80 | 0x20, 0xff, 0x00);
    /* 2:1 scaling: 3 -> 3, 5 -> 9, 10 -> 20. */
    ps2_mouse_write(&m, 0xe7);
    CHECK_BYTES(&m.port, 0xfa);
    ps2_mouse_move(&m, 3, 5, 0, 0);
    CHECK_BYTES(&m.port, 0x08, 3, 9);
    ps2_mouse_move(&m, -10, 0, 0, 0);
    CHECK_BYTES(&m.port, 0x08 | 0x10, (uint8_t)-20, 0);
    ps2_mouse_write(&m, 0xe6);
    CHECK_BYTES(&m.port, 0xfa);
    /* Remote mode accumulates until Read Data. */
    ps2_mouse_write(&m, 0xf0);
    CHECK_BYTES(&m.port, 0xfa);
    ps2_mouse_move(&m, 4, 0, 0, 0);
    ps2_mouse_move(&m, 4, 2, 0, 0);
    CHECK(!ps2_port_has_data(&m.port));
    ps2_mouse_write(&m, 0xeb);
    CHECK_BYTES(&m.port, 0xfa, 0x08, 8, 2);
    /* The wheel: IntelliMouse knock, then 4-byte packets. */
    ps2_mouse_write(&m, 0xea);
    const uint8_t knock[] = {0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf2};
    for (size_t i = 0; i < sizeof(knock); i++) {
        ps2_mouse_write(&m, knock[i]);
    }
    CHECK_BYTES(&m.port, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03);
    ps2_mouse_move(&m, 0, 0, -1, 0);
    CHECK_BYTES(&m.port, 0x08, 0, 0, 0xff);
    ps2_mouse_move(&m, 0, 0, 100, 0);
    CHECK_BYTES(&m.port, 0x08, 0, 0, 7);
    /* Reset: back to ID 0 and 3-byte packets. */
    ps2_mouse_write(&m, 0xff);
    CHECK_BYTES(&m.port, 0xfa, 0xaa, 0x00);
    ps2_mouse_write(&m, 0xf2);
    CHECK_BYTES(&m.port, 0xfa, 0x00);
}

static void test_mouse_queue_full(void)
{
    PS2Mouse m;
    ps2_mouse_init(&m, NULL, NULL);
    ps2_mouse_write(&m, 0xf4);
    for (int i = 0; i < 100; i++) {
        ps2_mouse_move(&m, 1, 1, 0, 0);
    }
    uint8_t buf[256];
    int n = drain(&m.port, buf, sizeof(buf));
    /* ACK + whole 3-byte packets only. */
    CHECK_EQ((n - 1) % 3, 0);
    CHECK(n <= PS2_QUEUE_SIZE);
}

int main(void)
{
    test_run("ps2-set2-keys", test_set2_keys);
    test_run("ps2-set1-keys", test_set1_keys);
    test_run("ps2-pause-print-screen", test_pause_and_print_screen);
    test_run("ps2-translation-round-trip", test_translation_round_trip);
    test_run("ps2-disabled-and-overflow", test_disabled_and_overflow);
    test_run("ps2-mouse-packets", test_mouse_packets);
    test_run("ps2-mouse-queue-full", test_mouse_queue_full);
    return test_summary();
}
