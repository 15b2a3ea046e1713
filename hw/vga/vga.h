/*
 * The VGA core shared by the display devices: the register file (sequencer,
 * CRTC, graphics controller, attribute controller, DAC), the legacy memory
 * window at 0xA0000 with its read/write modes, the Bochs VBE "DISPI"
 * extension, and the renderer that turns VRAM into the console surface.
 *
 * References: IBM VGA Technical Reference (register layout, read/write
 * modes, text attributes), FreeVGA's register descriptions, and the Bochs
 * VBE interface as documented in Bochs' vbe.h comments and Linux's
 * drivers/gpu/drm/tiny/bochs.c (register numbers and enable bits).
 *
 * VRAM model: the four planes are interleaved, plane p of planar address a
 * lives at vram[a * 4 + p].  Chain-4 (mode 13h) and the VBE linear
 * framebuffer then address VRAM linearly, and odd/even text mode keeps
 * characters in plane 0 and attributes in plane 1.
 */
#ifndef HW_VGA_VGA_H
#define HW_VGA_VGA_H

#include "core/machine.h"
#include "ui/console.h"

#define VGA_SEQ_REGS 8
#define VGA_GFX_REGS 16
#define VGA_CRTC_REGS 0x19
#define VGA_ATTR_REGS 0x15
#define VGA_PALETTE_BYTES 768

/* Bochs VBE DISPI registers (index at 0x1ce, data at 0x1cf). */
#define VBE_DISPI_INDEX_ID 0x0
#define VBE_DISPI_INDEX_XRES 0x1
#define VBE_DISPI_INDEX_YRES 0x2
#define VBE_DISPI_INDEX_BPP 0x3
#define VBE_DISPI_INDEX_ENABLE 0x4
#define VBE_DISPI_INDEX_BANK 0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH 0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT 0x7
#define VBE_DISPI_INDEX_X_OFFSET 0x8
#define VBE_DISPI_INDEX_Y_OFFSET 0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xa
#define VBE_DISPI_INDEX_NB 0xb

#define VBE_DISPI_ID0 0xb0c0
#define VBE_DISPI_ID5 0xb0c5
#define VBE_DISPI_MAX_XRES 2560
#define VBE_DISPI_MAX_YRES 1600
#define VBE_DISPI_MAX_BPP 32

#define VBE_DISPI_ENABLED 0x01
#define VBE_DISPI_GETCAPS 0x02
#define VBE_DISPI_8BIT_DAC 0x20
#define VBE_DISPI_LFB_ENABLED 0x40
#define VBE_DISPI_NOCLEARMEM 0x80

#define VGA_MIN_VRAM_MB 1
#define VGA_MAX_VRAM_MB 256

typedef enum VGAModeKind {
    VGA_MODE_NONE,    /* display disabled (screen off or nothing sensible programmed) */
    VGA_MODE_TEXT,
    VGA_MODE_PLANAR4, /* 16 colours from four planes (modes 0Dh-12h) */
    VGA_MODE_CGA2,    /* CGA 4-colour interleaved (modes 4/5) */
    VGA_MODE_CGA1,    /* CGA 2-colour (mode 6) */
    VGA_MODE_256,     /* 256 colours, chain-4 (13h) or unchained (mode X) */
    VGA_MODE_VBE,     /* Bochs VBE linear framebuffer */
} VGAModeKind;

/* What the renderer last drew, to notice mode changes and redraw only what changed. */
typedef struct VGAMode {
    VGAModeKind kind;
    int width, height; /* of the surface */
    int bpp;           /* VBE only */
    /* Text: cell geometry. */
    int cols, rows, cell_w, cell_h;
    bool dot_double; /* 40-column / 320-pixel modes draw each dot twice */
} VGAMode;

typedef struct VGACommonState {
    Machine *machine;
    uint8_t *vram;
    uint32_t vram_size;
    MemoryRegion *vram_mr; /* the RAM region behind vram (dirty tracking) */

    /* General registers. */
    uint8_t misc_output;
    uint8_t feature_ctrl;
    uint8_t st01_toggle; /* retrace bits, toggled on every input status 1 read */

    uint8_t sr_index;
    uint8_t sr[VGA_SEQ_REGS];
    uint8_t gr_index;
    uint8_t gr[VGA_GFX_REGS];
    uint8_t cr_index;
    uint8_t cr[VGA_CRTC_REGS];
    uint8_t ar_index;  /* bit 5: palette address source (screen on) */
    bool ar_flip_flop; /* false: next 0x3c0 write is an index */
    uint8_t ar[VGA_ATTR_REGS];

    /* DAC. */
    uint8_t dac_read_index;
    uint8_t dac_write_index;
    uint8_t dac_sub_index; /* 0..2: which of R, G, B comes next */
    uint8_t dac_state;     /* 0: last programmed for write, 3: for read */
    uint8_t dac_cache[3];
    uint8_t pel_mask;
    uint8_t palette[VGA_PALETTE_BYTES];

    uint32_t latch;

    /* Bochs VBE. */
    uint16_t vbe_index;
    uint16_t vbe_regs[VBE_DISPI_INDEX_NB];
    uint32_t vbe_start_addr; /* bytes */
    uint32_t vbe_line_offset; /* bytes */
    uint32_t bank_offset;

    /* Renderer state (not guest visible, not migrated). */
    Display *display;
    VGAMode mode;
    bool full_update;
    uint32_t palette_rgb[256]; /* DAC as host pixels, rebuilt when the DAC changes */
    bool palette_dirty;
    uint16_t *text_shadow;     /* char | attr << 8 of each drawn cell */
    int text_shadow_cells;
    int last_cursor_cell;
    bool last_cursor_visible;
    bool last_blink_on;
    uint8_t *dirty_pages; /* scratch: per VRAM page, dirty since the last update */
} VGACommonState;

/* Set up the VRAM region (size in bytes) and the renderer; false on a bad size. */
void vga_common_init(VGACommonState *s, Machine *m, MemoryRegion *vram_mr, uint32_t vram_size);
void vga_common_destroy(VGACommonState *s);
void vga_common_reset(VGACommonState *s);

/* The ISA VGA ports 0x3b0-0x3df (offset 0 = port 0x3b0). */
uint32_t vga_ioport_read(VGACommonState *s, uint32_t port);
void vga_ioport_write(VGACommonState *s, uint32_t port, uint32_t val);
/* The 128 KiB legacy window (offset 0 = 0xA0000). */
uint8_t vga_mem_read(VGACommonState *s, uint32_t addr);
void vga_mem_write(VGACommonState *s, uint32_t addr, uint8_t val);
/* Bochs VBE. */
uint16_t vbe_read(VGACommonState *s, uint16_t index);
void vbe_write(VGACommonState *s, uint16_t index, uint16_t val);

/* Renderer (vga-draw.c): bring the console surface up to date. */
void vga_update_display(void *opaque);
void vga_invalidate_display(void *opaque);
extern const GraphicHwOps vga_hw_ops;

extern const VMStateDescription vga_common_vmstate;
int vga_common_post_load(VGACommonState *s);

/*
 * The text-mode renderer as a pure function, for the unit test and the
 * device: draw cols x rows cells of 'cell_w' x 'cell_h' pixels.
 */
typedef struct VGATextParams {
    const uint8_t *vram;  /* interleaved planes */
    uint32_t vram_size;
    uint32_t start_cell;  /* CRTC start address, in cells */
    uint32_t row_stride;  /* cells from one row to the next */
    int cols, rows;
    int cell_w;           /* 8 or 9 */
    int cell_h;           /* 1..32 */
    bool dot_double;
    uint32_t font_a, font_b; /* plane-2 offsets of the two character maps */
    bool line_graphics;   /* 9-dot: chars C0-DF extend column 8 into 9 */
    bool blink_enabled;   /* attribute bit 7 blinks instead of brightening */
    bool blink_on;        /* phase of character blink */
    bool blink_changed;   /* the phase flipped since the shadow was drawn */
    int cursor_cell;      /* -1: none */
    int cursor_start, cursor_end;
    const uint32_t *colors; /* 16 entries: attribute colour -> host pixel */
    const uint16_t *shadow; /* previous frame (NULL: draw all) */
    uint16_t *shadow_out;   /* updated shadow (may equal shadow) */
    int force_cell;         /* a cell to redraw regardless (old cursor), or -1 */
} VGATextParams;

/*
 * Draw into dst (32-bit pixels, stride in pixels).  Calls dirty(x, y, w, h)
 * per changed row span.  Returns the number of cells drawn.
 */
int vga_draw_text(const VGATextParams *p, uint32_t *dst, int stride,
                  void (*dirty)(void *opaque, int x, int y, int w, int h), void *opaque);

#endif
