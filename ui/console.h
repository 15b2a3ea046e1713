/*
 * The console layer between display devices and the people watching them.
 *
 * A display device (the VGA) registers GraphicHwOps and draws into the
 * Display's surface, a pixman x8r8g8b8 image, reporting the rectangles it
 * changed.  Front ends (VNC, SDL) register as DisplayListeners: they see the
 * surface change size, receive the dirty rectangles, and send input back
 * through display_key_event()/display_keysym_event()/display_mouse_event(),
 * which reach the PS/2 keyboard and mouse behind the i8042.
 *
 * Refresh runs on a host-time timer, only while at least one listener is
 * attached, at most DISPLAY_REFRESH_HZ times a second.  A screendump
 * refreshes on its own, so it works with nobody watching.
 */
#ifndef UI_CONSOLE_H
#define UI_CONSOLE_H

#include <pixman.h>

#include "core/common.h"
#include "core/timer.h"

typedef struct Machine Machine;
typedef struct Display Display;
typedef struct DisplayListener DisplayListener;

#define DISPLAY_REFRESH_HZ 30
/* Surface shown while no device has drawn anything. */
#define DISPLAY_DEFAULT_WIDTH 640
#define DISPLAY_DEFAULT_HEIGHT 480

typedef struct DisplaySurface {
    pixman_image_t *image; /* PIXMAN_x8r8g8b8 */
    int width, height;
} DisplaySurface;

static inline uint32_t *surface_data(DisplaySurface *s)
{
    return pixman_image_get_data(s->image);
}
/* Row stride in pixels. */
static inline int surface_stride(DisplaySurface *s)
{
    return pixman_image_get_stride(s->image) / 4;
}

typedef struct GraphicHwOps {
    /* Bring the surface up to date; report changes with display_dirty(). */
    void (*update)(void *opaque);
    /* Make the next update redraw everything. */
    void (*invalidate)(void *opaque);
} GraphicHwOps;

typedef struct DisplayListenerOps {
    const char *name;
    /* The surface was replaced (new size); everything is dirty. */
    void (*surface_changed)(DisplayListener *l, DisplaySurface *s);
    /* A rectangle of the current surface changed. */
    void (*update)(DisplayListener *l, int x, int y, int w, int h);
    /* After each refresh tick, once all updates of the tick are out. */
    void (*refresh_done)(DisplayListener *l);
} DisplayListenerOps;

struct DisplayListener {
    const DisplayListenerOps *ops;
    Display *display;
    DisplayListener *next;
};

/* A front end owned by the Display and freed with it (VNC server, SDL window). */
typedef struct DisplayFrontend {
    const char *name; /* "vnc", "sdl" */
    void (*free)(struct DisplayFrontend *fe);
    struct DisplayFrontend *next;
} DisplayFrontend;

/* The machine's display, created on first use and freed by display_free(). */
Display *display_get(Machine *m);
void display_free(Machine *m);
Machine *display_machine(Display *d);

void display_register_hw(Display *d, const GraphicHwOps *ops, void *opaque);
void display_unregister_hw(Display *d, void *opaque);
bool display_has_hw(Display *d);

/* The current surface (never NULL: a black default before any device draws). */
DisplaySurface *display_surface(Display *d);
/* Device side: make the surface w x h (a no-op if it already is); listeners are told. */
DisplaySurface *display_resize(Display *d, int w, int h);
/* Device side: a rectangle changed (clipped to the surface). */
void display_dirty(Display *d, int x, int y, int w, int h);

void display_add_listener(Display *d, DisplayListener *l);
void display_remove_listener(Display *d, DisplayListener *l);
void display_add_frontend(Display *d, DisplayFrontend *fe);
DisplayFrontend *display_find_frontend(Display *d, const char *name);
/* Ask the device to update now (refresh tick, screendump, front-end request). */
void display_refresh(Display *d);
void display_invalidate(Display *d);

/*
 * Input.  keycode is a PS/2 set-1 make code, with PS2_KEY_E0 (0x100) for
 * the E0-prefixed keys, the same numbering as the QEMU RFB extended key
 * event's XT codes (where E0 keys carry 0x80 instead).
 */
void display_key_event(Display *d, int keycode, bool down);
/* An X11 keysym through the keymap (-k); false if the layout has no such key. */
bool display_keysym_event(Display *d, uint32_t keysym, bool down);
void display_mouse_event(Display *d, int dx, int dy, int dz, unsigned buttons);

/* Write the surface (refreshed first) as PNG or PPM. */
bool display_screendump(Display *d, const char *path, const char *format, Error **errp);
/* ui/png.c: the surface as a PNG file (an error if libpng is not compiled in). */
bool display_write_png(DisplaySurface *s, const char *path, Error **errp);

/* ui/keymap.c: keyboard layouts for keysym input (-k). */
typedef struct KeymapLayout KeymapLayout;
#define KEYMAP_SHIFT 1u
#define KEYMAP_ALTGR 2u
typedef struct KeymapKey {
    int keycode;     /* set-1 make code, with PS2_KEY_E0 */
    bool fixed_mods; /* the character needs exactly `mods` of Shift/AltGr held */
    unsigned mods;   /* KEYMAP_SHIFT, KEYMAP_ALTGR */
} KeymapKey;
/* A layout by its -k name (or alias), or NULL. */
const KeymapLayout *keymap_find(const char *name);
/* The layout names, space-separated (caller frees). */
char *keymap_names(void);
bool keymap_layout_has_altgr(const KeymapLayout *l);
bool keymap_lookup(const KeymapLayout *l, uint32_t keysym, KeymapKey *out);
bool keymap_supported(const char *layout);
/* keysym -> set-1 keycode (with PS2_KEY_E0) in the named layout, or -1. */
int keymap_keysym_to_keycode(const char *layout, uint32_t keysym);

/*
 * ui/display-init.c: start the front ends the configuration asks for
 * (-display, -vnc, -nographic); false with a message on bad options.
 */
bool display_init_frontends(Machine *m, Error **errp);

/* Front ends (each compiled only with its library). */
bool vnc_display_init(Display *d, const char *spec, Error **errp);
bool vnc_display_set_password(Display *d, const char *password, Error **errp);
bool sdl_display_init(Display *d, const char *opts, Error **errp);

#endif
