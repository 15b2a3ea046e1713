/*
 * Which front ends to start, from -display, -vnc and -nographic, with
 * QEMU's rules:
 *   -nographic          no window (serial and monitor on stdio)
 *   -display none       no window
 *   -display sdl        a window
 *   -display vnc=ADDR   the same as -vnc ADDR and no window
 *   -vnc ADDR           a VNC server; no window unless -display asks for one
 *   nothing             a window when SDL is built in and an X11/Wayland
 *                       display is there, else nothing
 */
#include <stdlib.h>

#include "core/machine.h"
#include "core/options.h"
#include "ui/console.h"

static bool display_start_vnc(Display *d, const char *spec, Error **errp)
{
#ifdef CONFIG_VNC
    return vnc_display_init(d, spec, errp);
#else
    error_setg(errp, "-vnc %s: VNC support is not compiled in (needs libvncserver)", spec);
    return false;
#endif
}

static bool display_start_sdl(Display *d, const char *opts, Error **errp)
{
#ifdef CONFIG_SDL
    return sdl_display_init(d, opts, errp);
#else
    error_setg(errp, "-display sdl: SDL support is not compiled in (needs libsdl2)");
    return false;
#endif
}

/*
 * -k is the VNC server's layout (its keysyms become scancodes through it); SDL sends the
 * host's scancodes.  As in QEMU, an unknown layout is an error only when VNC starts.
 */
static bool display_start_vnc_checked(Machine *m, const char *opts, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    if (cfg->keymap && !keymap_find(cfg->keymap)) {
        char *names = keymap_names();
        error_setg(errp, "-k %s: unknown keyboard layout (available: %s)", cfg->keymap, names);
        free(names);
        return false;
    }
    return display_start_vnc(display_get(m), opts, errp);
}

bool display_init_frontends(Machine *m, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    const char *type = cfg->display;
    if (cfg->vnc && !display_start_vnc_checked(m, cfg->vnc, errp)) {
        return false;
    }
    if (!type) {
        if (cfg->nographic || cfg->vnc || cfg->qtest) {
            return true;
        }
#ifdef CONFIG_SDL
        if (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY")) {
            return display_start_sdl(display_get(m), NULL, errp);
        }
#endif
        return true;
    }
    if (!strcmp(type, "none")) {
        return true;
    }
    if (!strncmp(type, "vnc=", 4)) {
        return display_start_vnc_checked(m, type + 4, errp);
    }
    if (!strncmp(type, "sdl", 3) && (type[3] == '\0' || type[3] == ',')) {
        return display_start_sdl(display_get(m), type[3] ? type + 4 : NULL, errp);
    }
    error_setg(errp, "-display %s: unknown display type", type);
    return false;
}
