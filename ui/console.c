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
    const char *keymap;
};

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
        d->keymap = m->cfg->keymap ? m->cfg->keymap : "en-us";
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

void display_key_event(Display *d, int keycode, bool down)
{
    DeviceState *kbd = display_find_i8042(d);
    if (kbd && keycode > 0 && keycode < 0x200) {
        ps2_kbd_key_event(i8042_get_kbd(kbd), keycode, down);
    }
}

bool display_keysym_event(Display *d, uint32_t keysym, bool down)
{
    int keycode = keymap_keysym_to_keycode(d->keymap, keysym);
    if (keycode < 0) {
        return false;
    }
    display_key_event(d, keycode, down);
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
