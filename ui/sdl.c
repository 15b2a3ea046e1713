/*
 * The SDL2 window (-display sdl[,full-screen=on]).
 *
 * The window shows the console surface scaled to the window (SDL renderer
 * scaling), is titled "NAME - Osprey" with the run state, and handles:
 *   Ctrl-Alt-G  grab / release keyboard and mouse (the mouse moves relatively)
 *   Ctrl-Alt-F  full screen on / off (on X11 by covering the display itself, see
 *               sdl_set_full_screen)
 *   close       asks the guest to power down (ACPI), as QEMU does
 * Keys go to the guest by position: SDL scancodes (USB HID usages) become
 * PS/2 set-1 codes, so the host layout does not matter.  Events are polled
 * after each refresh tick on the main thread.
 */
#include <SDL.h>

#include "core/machine.h"
#include "core/options.h"
#include "hw/input/ps2.h"
#include "ui/console.h"

typedef struct SdlWindow {
    DisplayFrontend fe;
    DisplayListener listener;
    Display *display;
    Machine *machine;
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    int tex_w, tex_h;
    bool grabbed;
    bool full_screen;
    RunState title_state;
    bool title_grab;
    bool title_set;
    bool hotkey_g_down, hotkey_f_down; /* pressed as a hot key: the guest never sees it */
} SdlWindow;

/* USB HID usage (SDL_Scancode) -> PS/2 set 1, for the usages below 0xe8. */
static int sdl_scancode_to_keycode(SDL_Scancode sc)
{
    static const uint8_t letters[26] = {
        0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32,
        0x31, 0x18, 0x19, 0x10, 0x13, 0x1f, 0x14, 0x16, 0x2f, 0x11, 0x2d, 0x15, 0x2c,
    };
    if (sc >= SDL_SCANCODE_A && sc <= SDL_SCANCODE_Z) {
        return letters[sc - SDL_SCANCODE_A];
    }
    if (sc >= SDL_SCANCODE_1 && sc <= SDL_SCANCODE_0) {
        return 0x02 + (sc - SDL_SCANCODE_1);
    }
    if (sc >= SDL_SCANCODE_F1 && sc <= SDL_SCANCODE_F10) {
        return 0x3b + (sc - SDL_SCANCODE_F1);
    }
    switch (sc) {
    case SDL_SCANCODE_RETURN: return 0x1c;
    case SDL_SCANCODE_ESCAPE: return 0x01;
    case SDL_SCANCODE_BACKSPACE: return 0x0e;
    case SDL_SCANCODE_TAB: return 0x0f;
    case SDL_SCANCODE_SPACE: return 0x39;
    case SDL_SCANCODE_MINUS: return 0x0c;
    case SDL_SCANCODE_EQUALS: return 0x0d;
    case SDL_SCANCODE_LEFTBRACKET: return 0x1a;
    case SDL_SCANCODE_RIGHTBRACKET: return 0x1b;
    case SDL_SCANCODE_BACKSLASH: return 0x2b;
    case SDL_SCANCODE_NONUSBACKSLASH: return 0x56;
    case SDL_SCANCODE_SEMICOLON: return 0x27;
    case SDL_SCANCODE_APOSTROPHE: return 0x28;
    case SDL_SCANCODE_GRAVE: return 0x29;
    case SDL_SCANCODE_COMMA: return 0x33;
    case SDL_SCANCODE_PERIOD: return 0x34;
    case SDL_SCANCODE_SLASH: return 0x35;
    case SDL_SCANCODE_CAPSLOCK: return 0x3a;
    case SDL_SCANCODE_F11: return 0x57;
    case SDL_SCANCODE_F12: return 0x58;
    case SDL_SCANCODE_PRINTSCREEN: return PS2_KEY_PRINT_SCREEN;
    case SDL_SCANCODE_SCROLLLOCK: return 0x46;
    case SDL_SCANCODE_PAUSE: return PS2_KEY_PAUSE;
    case SDL_SCANCODE_INSERT: return PS2_KEY_E0 | 0x52;
    case SDL_SCANCODE_HOME: return PS2_KEY_E0 | 0x47;
    case SDL_SCANCODE_PAGEUP: return PS2_KEY_E0 | 0x49;
    case SDL_SCANCODE_DELETE: return PS2_KEY_E0 | 0x53;
    case SDL_SCANCODE_END: return PS2_KEY_E0 | 0x4f;
    case SDL_SCANCODE_PAGEDOWN: return PS2_KEY_E0 | 0x51;
    case SDL_SCANCODE_RIGHT: return PS2_KEY_E0 | 0x4d;
    case SDL_SCANCODE_LEFT: return PS2_KEY_E0 | 0x4b;
    case SDL_SCANCODE_DOWN: return PS2_KEY_E0 | 0x50;
    case SDL_SCANCODE_UP: return PS2_KEY_E0 | 0x48;
    case SDL_SCANCODE_NUMLOCKCLEAR: return 0x45;
    case SDL_SCANCODE_KP_DIVIDE: return PS2_KEY_E0 | 0x35;
    case SDL_SCANCODE_KP_MULTIPLY: return 0x37;
    case SDL_SCANCODE_KP_MINUS: return 0x4a;
    case SDL_SCANCODE_KP_PLUS: return 0x4e;
    case SDL_SCANCODE_KP_ENTER: return PS2_KEY_E0 | 0x1c;
    case SDL_SCANCODE_KP_1: return 0x4f;
    case SDL_SCANCODE_KP_2: return 0x50;
    case SDL_SCANCODE_KP_3: return 0x51;
    case SDL_SCANCODE_KP_4: return 0x4b;
    case SDL_SCANCODE_KP_5: return 0x4c;
    case SDL_SCANCODE_KP_6: return 0x4d;
    case SDL_SCANCODE_KP_7: return 0x47;
    case SDL_SCANCODE_KP_8: return 0x48;
    case SDL_SCANCODE_KP_9: return 0x49;
    case SDL_SCANCODE_KP_0: return 0x52;
    case SDL_SCANCODE_KP_PERIOD: return 0x53;
    case SDL_SCANCODE_APPLICATION: return PS2_KEY_E0 | 0x5d;
    case SDL_SCANCODE_LCTRL: return 0x1d;
    case SDL_SCANCODE_LSHIFT: return 0x2a;
    case SDL_SCANCODE_LALT: return 0x38;
    case SDL_SCANCODE_LGUI: return PS2_KEY_E0 | 0x5b;
    case SDL_SCANCODE_RCTRL: return PS2_KEY_E0 | 0x1d;
    case SDL_SCANCODE_RSHIFT: return 0x36;
    case SDL_SCANCODE_RALT: return PS2_KEY_E0 | 0x38;
    case SDL_SCANCODE_RGUI: return PS2_KEY_E0 | 0x5c;
    default: return -1;
    }
}

static void sdl_update_title(SdlWindow *w)
{
    Machine *m = w->machine;
    if (w->title_set && w->title_state == m->runstate && w->title_grab == w->grabbed) {
        return;
    }
    const char *name = m->cfg->name;
    const char *state = m->runstate == RUN_STATE_RUNNING ? "" : " [Paused]";
    const char *grab = w->grabbed ? " - Press Ctrl-Alt-G to exit grab" : "";
    char *title = name ? xasprintf("%s - Osprey%s%s", name, state, grab)
                       : xasprintf("Osprey%s%s", state, grab);
    SDL_SetWindowTitle(w->window, title);
    free(title);
    w->title_set = true;
    w->title_state = m->runstate;
    w->title_grab = w->grabbed;
}

static void sdl_set_grab(SdlWindow *w, bool on)
{
    w->grabbed = on;
    SDL_SetWindowGrab(w->window, on ? SDL_TRUE : SDL_FALSE);
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    sdl_update_title(w);
}

/*
 * Full screen.  SDL's own (SDL_WINDOW_FULLSCREEN_DESKTOP) asks an X11 window
 * manager through _NET_WM_STATE_FULLSCREEN and, where none does it (no
 * window manager, kiosk and minimal ones), the window stays as it was while
 * SDL believes it covers the display.  So on X11 the window covers the
 * display by itself: borderless, at the display's origin, the display's
 * size, which window managers also treat as full screen.  Elsewhere
 * (Wayland: clients cannot place windows) SDL's way is the only one.
 */
static bool sdl_full_screen_by_hand(void)
{
    const char *driver = SDL_GetCurrentVideoDriver();
    return driver && !strcmp(driver, "x11");
}

static void sdl_set_full_screen(SdlWindow *w, bool on)
{
    w->full_screen = on;
    if (!sdl_full_screen_by_hand()) {
        SDL_SetWindowFullscreen(w->window, on ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        return;
    }
    SDL_Rect bounds;
    int index = SDL_GetWindowDisplayIndex(w->window);
    if (on && index >= 0 && SDL_GetDisplayBounds(index, &bounds) == 0) {
        SDL_SetWindowBordered(w->window, SDL_FALSE);
        SDL_SetWindowPosition(w->window, bounds.x, bounds.y);
        SDL_SetWindowSize(w->window, bounds.w, bounds.h);
        SDL_RaiseWindow(w->window);
    } else {
        SDL_SetWindowBordered(w->window, SDL_TRUE);
        if (w->tex_w > 0) {
            SDL_SetWindowSize(w->window, w->tex_w, w->tex_h);
        }
        SDL_SetWindowPosition(w->window, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
    }
}

static void sdl_surface_changed(DisplayListener *l, DisplaySurface *s)
{
    SdlWindow *w = container_of(l, SdlWindow, listener);
    if (w->texture && w->tex_w == s->width && w->tex_h == s->height) {
        return;
    }
    if (w->texture) {
        SDL_DestroyTexture(w->texture);
    }
    w->texture = SDL_CreateTexture(w->renderer, SDL_PIXELFORMAT_ARGB8888,
                                   SDL_TEXTUREACCESS_STREAMING, s->width, s->height);
    w->tex_w = s->width;
    w->tex_h = s->height;
    if (!w->full_screen) {
        SDL_SetWindowSize(w->window, s->width, s->height);
    }
    if (w->texture) {
        SDL_UpdateTexture(w->texture, NULL, surface_data(s), surface_stride(s) * 4);
    }
}

static void sdl_update(DisplayListener *l, int x, int y, int wd, int h)
{
    SdlWindow *w = container_of(l, SdlWindow, listener);
    if (!w->texture) {
        return;
    }
    DisplaySurface *s = display_surface(w->display);
    SDL_Rect r = {x, y, wd, h};
    const uint32_t *src = surface_data(s) + (size_t)y * surface_stride(s) + x;
    SDL_UpdateTexture(w->texture, &r, src, surface_stride(s) * 4);
}

static void sdl_handle_key(SdlWindow *w, const SDL_KeyboardEvent *ev)
{
    bool down = ev->type == SDL_KEYDOWN;
    /*
     * The modifiers as they were at this event: SDL_GetModState() is the state
     * after every event already queued, so a Ctrl-Alt-G typed within one
     * refresh tick would find Ctrl and Alt released.
     */
    SDL_Keymod mod = ev->keysym.mod;
    bool ctrl_alt = (mod & KMOD_CTRL) && (mod & KMOD_ALT);
    if (down && ctrl_alt) {
        if (ev->keysym.scancode == SDL_SCANCODE_G) {
            sdl_set_grab(w, !w->grabbed);
            w->hotkey_g_down = true;
            return;
        }
        if (ev->keysym.scancode == SDL_SCANCODE_F) {
            sdl_set_full_screen(w, !w->full_screen);
            w->hotkey_f_down = true;
            return;
        }
    }
    /*
     * The release of a hot key's letter, whatever the modifiers by then (Ctrl
     * may go up first): the guest saw no press, so it gets no release.
     */
    if (!down && ev->keysym.scancode == SDL_SCANCODE_G && w->hotkey_g_down) {
        w->hotkey_g_down = false;
        return;
    }
    if (!down && ev->keysym.scancode == SDL_SCANCODE_F && w->hotkey_f_down) {
        w->hotkey_f_down = false;
        return;
    }
    int keycode = sdl_scancode_to_keycode(ev->keysym.scancode);
    if (keycode >= 0) {
        display_key_event(w->display, keycode, down);
    }
}

static unsigned sdl_buttons(uint32_t state)
{
    unsigned b = 0;
    if (state & SDL_BUTTON(SDL_BUTTON_LEFT)) {
        b |= PS2_MOUSE_LEFT;
    }
    if (state & SDL_BUTTON(SDL_BUTTON_MIDDLE)) {
        b |= PS2_MOUSE_MIDDLE;
    }
    if (state & SDL_BUTTON(SDL_BUTTON_RIGHT)) {
        b |= PS2_MOUSE_RIGHT;
    }
    return b;
}

static void sdl_poll_events(SdlWindow *w)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            /* Closing the window: ask the guest to shut down, like pressing the power button. */
            machine_request_powerdown(w->machine);
            break;
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            sdl_handle_key(w, &ev.key);
            break;
        case SDL_MOUSEMOTION:
            if (w->grabbed) {
                display_mouse_event(w->display, ev.motion.xrel, -ev.motion.yrel, 0,
                                    sdl_buttons(ev.motion.state));
            }
            break;
        case SDL_MOUSEBUTTONDOWN:
            if (!w->grabbed) {
                if (ev.button.button == SDL_BUTTON_LEFT) {
                    sdl_set_grab(w, true); /* a click in the window grabs, as in QEMU */
                }
                break;
            }
            /* fall through */
        case SDL_MOUSEBUTTONUP:
            if (w->grabbed) {
                display_mouse_event(w->display, 0, 0, 0, sdl_buttons(SDL_GetMouseState(NULL,
                                                                                      NULL)));
            }
            break;
        case SDL_MOUSEWHEEL:
            if (w->grabbed) {
                display_mouse_event(w->display, 0, 0, -ev.wheel.y,
                                    sdl_buttons(SDL_GetMouseState(NULL, NULL)));
            }
            break;
        case SDL_WINDOWEVENT:
            if (ev.window.event == SDL_WINDOWEVENT_FOCUS_LOST && w->grabbed) {
                sdl_set_grab(w, false);
            }
            break;
        default:
            break;
        }
    }
}

static void sdl_refresh_done(DisplayListener *l)
{
    SdlWindow *w = container_of(l, SdlWindow, listener);
    sdl_poll_events(w);
    sdl_update_title(w);
    SDL_RenderClear(w->renderer);
    if (w->texture) {
        SDL_RenderCopy(w->renderer, w->texture, NULL, NULL); /* scaled to the window */
    }
    SDL_RenderPresent(w->renderer);
}

static const DisplayListenerOps sdl_listener_ops = {
    .name = "sdl",
    .surface_changed = sdl_surface_changed,
    .update = sdl_update,
    .refresh_done = sdl_refresh_done,
};

static void sdl_free(DisplayFrontend *fe)
{
    SdlWindow *w = container_of(fe, SdlWindow, fe);
    if (w->listener.display) {
        display_remove_listener(w->display, &w->listener);
    }
    if (w->texture) {
        SDL_DestroyTexture(w->texture);
    }
    if (w->renderer) {
        SDL_DestroyRenderer(w->renderer);
    }
    if (w->window) {
        SDL_DestroyWindow(w->window);
    }
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    free(w);
}

bool sdl_display_init(Display *d, const char *opts, Error **errp)
{
    bool full_screen = opts && (strstr(opts, "full-screen=on") || strstr(opts, "full-screen=true"));
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        error_setg(errp, "-display sdl: could not initialize SDL: %s", SDL_GetError());
        return false;
    }
    SdlWindow *w = XNEW(SdlWindow);
    w->display = d;
    w->machine = display_machine(d);
    w->fe.name = "sdl";
    w->fe.free = sdl_free;
    display_add_frontend(d, &w->fe);
    DisplaySurface *s = display_surface(d);
    w->window = SDL_CreateWindow("Osprey", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                 s->width, s->height, SDL_WINDOW_RESIZABLE);
    if (!w->window) {
        error_setg(errp, "-display sdl: could not open a window: %s", SDL_GetError());
        return false;
    }
    w->renderer = SDL_CreateRenderer(w->window, -1, 0);
    if (!w->renderer) {
        w->renderer = SDL_CreateRenderer(w->window, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!w->renderer) {
        error_setg(errp, "-display sdl: no renderer: %s", SDL_GetError());
        return false;
    }
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    if (full_screen) {
        sdl_set_full_screen(w, true);
    }
    w->listener.ops = &sdl_listener_ops;
    sdl_update_title(w);
    display_add_listener(d, &w->listener);
    return true;
}
