/*
 * The console layer: one Display per machine, its surface, the device that
 * draws it, the listeners that watch it, refresh scheduling, input routing
 * to the PS/2 devices, and screendumps.  See console.h.
 */
#include <errno.h>

#include "core/log.h"
#include "core/machine.h"
#include "core/options.h"
#include "hw/input/i8042.h"
#include "hw/input/ps2.h"
#include "ui/console.h"

#define DISPLAY_REFRESH_NS (NANOSECONDS_PER_SECOND / DISPLAY_REFRESH_HZ)

struct Display {
    Machine *machine;
    DisplaySurface *surface;
    const GraphicHwOps *hw_ops;
    void *hw;
    DisplayListener *listeners;
    DisplayFrontend *frontends;
    Timer *refresh_timer;
    const KeymapLayout *layout;
    unsigned held_mods; /* DISPLAY_HELD_*: modifier keys the front ends hold down */
};

#define DISPLAY_HELD_SHIFT_L 1u
#define DISPLAY_HELD_SHIFT_R 2u
#define DISPLAY_HELD_ALTGR 4u
#define DISPLAY_KEY_SHIFT_L 0x2a
#define DISPLAY_KEY_SHIFT_R 0x36
#define DISPLAY_KEY_ALTGR (PS2_KEY_E0 | 0x38)

static DisplaySurface *surface_new(int w, int h)
{
    DisplaySurface *s = XNEW(DisplaySurface);
    s->width = w;
    s->height = h;
    s->image = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, w * 4);
    if (!s->image) {
        fprintf(stderr, "osprey: out of memory for a %dx%d display surface\n", w, h);
        abort();
    }
    return s;
}

static void surface_free(DisplaySurface *s)
{
    if (s) {
        pixman_image_unref(s->image);
        free(s);
    }
}

static void display_refresh_tick(void *opaque)
{
    Display *d = opaque;
    display_refresh(d);
    for (DisplayListener *l = d->listeners; l; l = l->next) {
        if (l->ops->refresh_done) {
            l->ops->refresh_done(l);
        }
    }
    if (d->listeners) {
        timer_mod(d->refresh_timer, clock_get_ns(main_loop_clock(d->machine->loop, CLOCK_REAL)) +
                                        DISPLAY_REFRESH_NS);
    }
}

Display *display_get(Machine *m)
{
    if (!m->display) {
        Display *d = XNEW(Display);
        d->machine = m;
        d->surface = surface_new(DISPLAY_DEFAULT_WIDTH, DISPLAY_DEFAULT_HEIGHT);
        pixman_fill(surface_data(d->surface), surface_stride(d->surface), 32, 0, 0,
                    d->surface->width, d->surface->height, 0xff000000u);
        d->refresh_timer = timer_new(main_loop_clock(m->loop, CLOCK_REAL), display_refresh_tick,
                                     d);
        /* An unknown -k was refused if VNC runs; the layout is only VNC's. */
        d->layout = keymap_find(m->cfg->keymap ? m->cfg->keymap : "en-us");
        if (!d->layout) {
            d->layout = keymap_find("en-us");
        }
        m->display = d;
    }
    return m->display;
}

void display_free(Machine *m)
{
    Display *d = m->display;
    if (!d) {
        return;
    }
    while (d->frontends) {
        DisplayFrontend *fe = d->frontends;
        d->frontends = fe->next;
        fe->free(fe);
    }
    timer_free(d->refresh_timer);
    surface_free(d->surface);
    free(d);
    m->display = NULL;
}

Machine *display_machine(Display *d)
{
    return d->machine;
}

void display_register_hw(Display *d, const GraphicHwOps *ops, void *opaque)
{
    d->hw_ops = ops;
    d->hw = opaque;
}

void display_unregister_hw(Display *d, void *opaque)
{
    if (d->hw == opaque) {
        d->hw_ops = NULL;
        d->hw = NULL;
    }
}

bool display_has_hw(Display *d)
{
    return d->hw_ops != NULL;
}

DisplaySurface *display_surface(Display *d)
{
    return d->surface;
}

DisplaySurface *display_resize(Display *d, int w, int h)
{
    if (d->surface->width == w && d->surface->height == h) {
        return d->surface;
    }
    surface_free(d->surface);
    d->surface = surface_new(w, h);
    for (DisplayListener *l = d->listeners; l; l = l->next) {
        if (l->ops->surface_changed) {
            l->ops->surface_changed(l, d->surface);
        }
    }
    return d->surface;
}

void display_dirty(Display *d, int x, int y, int w, int h)
{
    int x2 = MIN(x + w, d->surface->width);
    int y2 = MIN(y + h, d->surface->height);
    x = MAX(x, 0);
    y = MAX(y, 0);
    if (x2 <= x || y2 <= y) {
        return;
    }
    for (DisplayListener *l = d->listeners; l; l = l->next) {
        if (l->ops->update) {
            l->ops->update(l, x, y, x2 - x, y2 - y);
        }
    }
}

void display_add_listener(Display *d, DisplayListener *l)
{
    bool first = d->listeners == NULL;
    l->display = d;
    l->next = d->listeners;
    d->listeners = l;
    if (l->ops->surface_changed) {
        l->ops->surface_changed(l, d->surface);
    }
    display_invalidate(d);
    if (first) {
        timer_mod(d->refresh_timer, clock_get_ns(main_loop_clock(d->machine->loop, CLOCK_REAL)));
    }
}

void display_remove_listener(Display *d, DisplayListener *l)
{
    for (DisplayListener **p = &d->listeners; *p; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            break;
        }
    }
    l->next = NULL;
    if (!d->listeners) {
        timer_del(d->refresh_timer); /* nobody is looking: no refresh work */
    }
}

void display_add_frontend(Display *d, DisplayFrontend *fe)
{
    fe->next = d->frontends;
    d->frontends = fe;
}

DisplayFrontend *display_find_frontend(Display *d, const char *name)
{
    for (DisplayFrontend *fe = d->frontends; fe; fe = fe->next) {
        if (!strcmp(fe->name, name)) {
            return fe;
        }
    }
    return NULL;
}

void display_refresh(Display *d)
{
    if (d->hw_ops && d->hw_ops->update) {
        d->hw_ops->update(d->hw);
    }
}

void display_invalidate(Display *d)
{
    if (d->hw_ops && d->hw_ops->invalidate) {
        d->hw_ops->invalidate(d->hw);
    }
}

/* ---------------------------------------------------------------------- */
/* Input */

static DeviceState *display_find_i8042(Display *d)
{
    for (DeviceState *dev = d->machine->devices; dev; dev = dev->next) {
        if (!strcmp(dev->info->name, "i8042")) {
            return dev;
        }
    }
    return NULL;
}

static void display_send_key(Display *d, int keycode, bool down)
{
    DeviceState *kbd = display_find_i8042(d);
    if (kbd && keycode > 0 && keycode < 0x200) {
        ps2_kbd_key_event(i8042_get_kbd(kbd), keycode, down);
    }
}

static unsigned display_modifier_bit(int keycode)
{
    switch (keycode) {
    case DISPLAY_KEY_SHIFT_L: return DISPLAY_HELD_SHIFT_L;
    case DISPLAY_KEY_SHIFT_R: return DISPLAY_HELD_SHIFT_R;
    case DISPLAY_KEY_ALTGR: return DISPLAY_HELD_ALTGR;
    default: return 0;
    }
}

void display_key_event(Display *d, int keycode, bool down)
{
    unsigned bit = display_modifier_bit(keycode);
    if (down) {
        d->held_mods |= bit;
    } else {
        d->held_mods &= ~bit;
    }
    display_send_key(d, keycode, down);
}

/*
 * Make the guest see exactly the modifiers in `want` (Shift, and AltGr when the
 * layout has one) by pressing or releasing keys it does not know are fake;
 * returns what to undo.
 */
static unsigned display_fix_modifiers(Display *d, unsigned want, unsigned *pressed)
{
    unsigned released = 0;
    *pressed = 0;
    unsigned shifts = d->held_mods & (DISPLAY_HELD_SHIFT_L | DISPLAY_HELD_SHIFT_R);
    if ((want & KEYMAP_SHIFT) && !shifts) {
        display_send_key(d, DISPLAY_KEY_SHIFT_L, true);
        *pressed |= DISPLAY_HELD_SHIFT_L;
    } else if (!(want & KEYMAP_SHIFT) && shifts) {
        if (shifts & DISPLAY_HELD_SHIFT_L) {
            display_send_key(d, DISPLAY_KEY_SHIFT_L, false);
        }
        if (shifts & DISPLAY_HELD_SHIFT_R) {
            display_send_key(d, DISPLAY_KEY_SHIFT_R, false);
        }
        released |= shifts;
    }
    if (keymap_layout_has_altgr(d->layout)) {
        bool altgr = d->held_mods & DISPLAY_HELD_ALTGR;
        if ((want & KEYMAP_ALTGR) && !altgr) {
            display_send_key(d, DISPLAY_KEY_ALTGR, true);
            *pressed |= DISPLAY_HELD_ALTGR;
        } else if (!(want & KEYMAP_ALTGR) && altgr) {
            display_send_key(d, DISPLAY_KEY_ALTGR, false);
            released |= DISPLAY_HELD_ALTGR;
        }
    }
    return released;
}

static void display_undo_modifiers(Display *d, unsigned pressed, unsigned released)
{
    static const int keys[] = {DISPLAY_KEY_ALTGR, DISPLAY_KEY_SHIFT_R, DISPLAY_KEY_SHIFT_L};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        unsigned bit = display_modifier_bit(keys[i]);
        if (pressed & bit) {
            display_send_key(d, keys[i], false);
        } else if (released & bit) {
            display_send_key(d, keys[i], true);
        }
    }
}

bool display_keysym_event(Display *d, uint32_t keysym, bool down)
{
    KeymapKey key;
    if (!keymap_lookup(d->layout, keysym, &key)) {
        return false;
    }
    if (!down || !key.fixed_mods) {
        display_key_event(d, key.keycode, down);
        return true;
    }
    /*
     * The character needs other modifiers than the client holds (a US client
     * typing '@' for a German guest: Shift+2 there, AltGr+Q here).  The fake
     * modifiers last only around the make code, so the guest's view of what
     * is held is right again before the next event.
     */
    unsigned pressed;
    unsigned released = display_fix_modifiers(d, key.mods, &pressed);
    display_send_key(d, key.keycode, true);
    display_undo_modifiers(d, pressed, released);
    return true;
}

void display_mouse_event(Display *d, int dx, int dy, int dz, unsigned buttons)
{
    DeviceState *kbd = display_find_i8042(d);
    if (kbd) {
        ps2_mouse_move(i8042_get_mouse(kbd), dx, dy, dz, buttons);
    }
}

/* ---------------------------------------------------------------------- */
/* Screendump */

static bool display_write_ppm(DisplaySurface *s, const char *path, Error **errp)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        error_setg(errp, "Could not open '%s': %s", path, strerror(errno));
        return false;
    }
    fprintf(f, "P6\n%d %d\n255\n", s->width, s->height);
    uint8_t *row = xmalloc((size_t)s->width * 3);
    const uint32_t *data = surface_data(s);
    int stride = surface_stride(s);
    bool ok = true;
    for (int y = 0; y < s->height && ok; y++) {
        for (int x = 0; x < s->width; x++) {
            uint32_t px = data[(size_t)y * stride + x];
            row[x * 3] = px >> 16;
            row[x * 3 + 1] = px >> 8;
            row[x * 3 + 2] = px;
        }
        ok = fwrite(row, 3, s->width, f) == (size_t)s->width;
    }
    free(row);
    if (fclose(f) != 0 || !ok) {
        error_setg(errp, "Could not write '%s': %s", path, strerror(errno));
        return false;
    }
    return true;
}

bool display_screendump(Display *d, const char *path, const char *format, Error **errp)
{
    if (!d->hw_ops) {
        error_setg(errp, "There is no console to take a screendump from");
        return false;
    }
    display_invalidate(d);
    display_refresh(d);
    if (!format || !strcmp(format, "ppm")) {
        return display_write_ppm(d->surface, path, errp);
    }
    if (!strcmp(format, "png")) {
        return display_write_png(d->surface, path, errp);
    }
    error_setg(errp, "Parameter 'format' does not accept value '%s'", format);
    return false;
}

#ifndef CONFIG_PNG
bool display_write_png(DisplaySurface *s, const char *path, Error **errp)
{
    error_setg(errp, "PNG screendumps need libpng; this Osprey was built without it");
    return false;
}
#endif
