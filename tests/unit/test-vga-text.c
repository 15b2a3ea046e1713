/*
 * The VGA text renderer (vga_draw_text in hw/vga/vga-draw.c) on its own: a
 * known text buffer and font render to a known image (checked pixel by
 * pixel for a few cells and by hash for the whole screen), and a second
 * pass with the shadow redraws only the cells that changed.
 */
#include "hw/vga/vga.h"
#include "tests/unit/test.h"

#define VRAM_SIZE (256 * 1024)
#define COLS 80
#define ROWS 25
#define CELL_W 9
#define CELL_H 16
#define WIDTH (COLS * CELL_W)
#define HEIGHT (ROWS * CELL_H)

static uint8_t vram[VRAM_SIZE];
static uint32_t screen[WIDTH * HEIGHT];
static uint16_t shadow[COLS * ROWS];
static const uint32_t colors[16] = {
    0xff000000, 0xff0000aa, 0xff00aa00, 0xff00aaaa, 0xffaa0000, 0xffaa00aa, 0xffaa5500,
    0xffaaaaaa, 0xff555555, 0xff5555ff, 0xff55ff55, 0xff55ffff, 0xffff5555, 0xffff55ff,
    0xffffff55, 0xffffffff,
};

typedef struct DirtyLog {
    int n;
    int x, y, w, h; /* the last one */
} DirtyLog;

static void log_dirty(void *opaque, int x, int y, int w, int h)
{
    DirtyLog *d = opaque;
    d->n++;
    d->x = x;
    d->y = y;
    d->w = w;
    d->h = h;
}

static uint8_t glyph_row(int ch, int r)
{
    return (uint8_t)(((ch * 37) ^ (r * 11) ^ (ch >> 3)) & 0xff);
}

/* Plane 2 font at map 0, text in planes 0/1, as odd/even text mode keeps them. */
static void setup_vram(void)
{
    memset(vram, 0, sizeof(vram));
    for (int ch = 0; ch < 256; ch++) {
        for (int r = 0; r < 32; r++) {
            vram[(ch * 32 + r) * 4 + 2] = r < CELL_H ? glyph_row(ch, r) : 0;
        }
    }
    static const char text[] = "Osprey text mode: the quick brown fox \xc4\xc4\xb3 jumps";
    for (int i = 0; i < COLS * ROWS; i++) {
        uint8_t ch = (uint8_t)text[i % (sizeof(text) - 1)];
        vram[i * 4] = ch;
        vram[i * 4 + 1] = (uint8_t)(0x07 + (i / COLS) * 0x11);
    }
}

static VGATextParams params(void)
{
    VGATextParams p = {
        .vram = vram, .vram_size = VRAM_SIZE, .start_cell = 0, .row_stride = COLS,
        .cols = COLS, .rows = ROWS, .cell_w = CELL_W, .cell_h = CELL_H,
        .font_a = 0, .font_b = 0, .line_graphics = true, .blink_enabled = true,
        .blink_on = true, .cursor_cell = 3, .cursor_start = 14, .cursor_end = 15,
        .colors = colors, .force_cell = -1,
    };
    return p;
}

static uint64_t fnv1a(const void *data, size_t len)
{
    const uint8_t *b = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ b[i]) * 0x100000001b3ull;
    }
    return h;
}

static void test_known_image(void)
{
    setup_vram();
    VGATextParams p = params();
    DirtyLog d = {0};
    int drawn = vga_draw_text(&p, screen, WIDTH, log_dirty, &d);
    CHECK_EQ(drawn, COLS * ROWS);
    CHECK_EQ(d.n, ROWS);
    /* Cell 0 ('O', attribute 07: grey on black), row 5, each of 9 dots. */
    uint8_t bits = glyph_row('O', 5);
    for (int x = 0; x < 8; x++) {
        CHECK_EQ(screen[5 * WIDTH + x], (bits & (0x80 >> x)) ? colors[7] : colors[0]);
    }
    CHECK_EQ(screen[5 * WIDTH + 8], colors[0]); /* 'O' is no line-drawing char */
    /* The cursor: lines 14-15 of cell 3 in the foreground colour, all 9 dots. */
    for (int x = 0; x < CELL_W; x++) {
        CHECK_EQ(screen[14 * WIDTH + 3 * CELL_W + x], colors[7]);
        CHECK_EQ(screen[15 * WIDTH + 3 * CELL_W + x], colors[7]);
    }
    /* Row 1 (attribute 0x18): dark grey on blue. */
    int cell = COLS + 1;
    uint8_t ch = vram[cell * 4];
    uint8_t b1 = glyph_row(ch, 7);
    for (int x = 0; x < 8; x++) {
        CHECK_EQ(screen[(CELL_H + 7) * WIDTH + CELL_W + x],
                 (b1 & (0x80 >> x)) ? colors[8] : colors[1]);
    }
    /* The whole picture. */
    CHECK_EQ(fnv1a(screen, sizeof(screen)), 0x80879a089aca1c81ull);
}

static void test_line_graphics_ninth_dot(void)
{
    setup_vram();
    VGATextParams p = params();
    vga_draw_text(&p, screen, WIDTH, NULL, NULL);
    /* Text index 38 is 0xC4 (a line-drawing character): dot 9 repeats dot 8. */
    int col = 38;
    CHECK_EQ(vram[col * 4], 0xc4);
    for (int r = 0; r < CELL_H; r++) {
        uint32_t *row = &screen[r * WIDTH + col * CELL_W];
        CHECK_EQ(row[8], (glyph_row(0xc4, r) & 1) ? colors[7] : colors[0]);
    }
    /* With line graphics off, the ninth dot is background. */
    p.line_graphics = false;
    vga_draw_text(&p, screen, WIDTH, NULL, NULL);
    for (int r = 0; r < CELL_H; r++) {
        CHECK_EQ(screen[r * WIDTH + col * CELL_W + 8], colors[0]);
    }
}

static void test_blink_attribute(void)
{
    setup_vram();
    vram[10 * 4 + 1] = 0x9e; /* blinking yellow on blue */
    VGATextParams p = params();
    p.blink_on = false;
    vga_draw_text(&p, screen, WIDTH, NULL, NULL);
    for (int r = 0; r < CELL_H; r++) {
        for (int x = 0; x < CELL_W; x++) {
            CHECK_EQ(screen[r * WIDTH + 10 * CELL_W + x], colors[1]);
        }
    }
    /* Blink disabled: bit 7 selects a bright background (light blue). */
    p.blink_enabled = false;
    vga_draw_text(&p, screen, WIDTH, NULL, NULL);
    CHECK_EQ(screen[0 * WIDTH + 10 * CELL_W + 8], colors[9]);
}

static void test_incremental_redraw(void)
{
    setup_vram();
    VGATextParams p = params();
    p.cursor_cell = -1;
    p.shadow_out = shadow;
    vga_draw_text(&p, screen, WIDTH, NULL, NULL);
    p.shadow = shadow;
    DirtyLog d = {0};
    CHECK_EQ(vga_draw_text(&p, screen, WIDTH, log_dirty, &d), 0);
    CHECK_EQ(d.n, 0);
    /* One changed cell: one cell redrawn, one dirty rectangle of exactly that cell. */
    vram[(7 * COLS + 12) * 4] = 'Z';
    CHECK_EQ(vga_draw_text(&p, screen, WIDTH, log_dirty, &d), 1);
    CHECK_EQ(d.n, 1);
    CHECK_EQ(d.x, 12 * CELL_W);
    CHECK_EQ(d.y, 7 * CELL_H);
    CHECK_EQ(d.w, CELL_W);
    CHECK_EQ(d.h, CELL_H);
    uint32_t after[CELL_W];
    memcpy(after, &screen[(7 * CELL_H + 3) * WIDTH + 12 * CELL_W], sizeof(after));
    /* The incremental result equals a full redraw. */
    uint64_t inc = fnv1a(screen, sizeof(screen));
    p.shadow = NULL;
    vga_draw_text(&p, screen, WIDTH, NULL, NULL);
    CHECK_EQ(fnv1a(screen, sizeof(screen)), inc);
    CHECK(memcmp(after, &screen[(7 * CELL_H + 3) * WIDTH + 12 * CELL_W], sizeof(after)) == 0);
}

static void test_hostile_geometry(void)
{
    /* A start address near the end wraps inside the 64K-cell counter, never past VRAM. */
    setup_vram();
    VGATextParams p = params();
    p.start_cell = 0xfff0;
    p.row_stride = 0xffff;
    p.font_a = p.font_b = 0xe000;
    vga_draw_text(&p, screen, WIDTH, NULL, NULL);
    CHECK(1);
}

int main(void)
{
    test_run("vga-text-known-image", test_known_image);
    test_run("vga-text-line-graphics", test_line_graphics_ninth_dot);
    test_run("vga-text-blink", test_blink_attribute);
    test_run("vga-text-incremental", test_incremental_redraw);
    test_run("vga-text-hostile-geometry", test_hostile_geometry);
    return test_summary();
}
