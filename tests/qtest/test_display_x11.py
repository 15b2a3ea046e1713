#!/usr/bin/env python3
"""Osprey's display under a real X server (Xvfb) with real clients:

    sdl/window              -display sdl opens a window titled "NAME - Osprey ..." whose
                            contents (captured with xwd) equal the screendump pixel for pixel
    sdl/grab-fullscreen-close  real X input (xdotool, XTEST): Ctrl-Alt-G grabs (title says
                            so, mouse motion reaches the PS/2 mouse) and releases;
                            Ctrl-Alt-F makes the window the size of the screen and back;
                            closing the window (WM_DELETE_WINDOW, what a window manager
                            sends) presses the ACPI power button
    vnc/tigervnc-viewer     TigerVNC's vncviewer shows the guest screen; its window (xwd)
                            equals the screendump pixel for pixel
    vnc/vncsnapshot         vncsnapshot's capture (JPEG, so compared within JPEG error)
                            matches the screendump

Needs Debian's xvfb, x11-apps (xwd), xdotool, tigervnc-viewer, vncsnapshot
and libjpeg-turbo-progs (djpeg): scripts/install-deps.sh --test.  Each case
skips with the reason when its tool is missing.
"""
import ctypes
import ctypes.util
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import Skip, check, check_eq, run_cases, temp_path  # noqa: E402
from pcilib import PM, cfg_write, with_qmp  # noqa: E402
import vgalib  # noqa: E402
from vgalib import read_ppm  # noqa: E402

PMBASE, PWRBTN_STS = 0x600, 0x0100


def need(*tools):
    for t in tools:
        if not shutil.which(t):
            raise Skip("%s is not installed (scripts/install-deps.sh --test)" % t)


class Xvfb:
    def __init__(self):
        need("Xvfb", "xwd")
        for n in range(90 + os.getpid() % 50, 200):
            if not os.path.exists("/tmp/.X11-unix/X%d" % n) and \
                    not os.path.exists("/tmp/.X%d-lock" % n):
                break
        self.display = ":%d" % n
        self.proc = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1280x1024x24",
                                      "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists("/tmp/.X11-unix/X%d" % n):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Skip("Xvfb did not start")
            time.sleep(0.05)
        self.env = dict(os.environ, DISPLAY=self.display)

    def xwd(self, name=None):
        """Capture a window by WM_NAME (or the root window) as (w, h, rgb bytes)."""
        path = temp_path("capture.xwd")
        args = ["xwd", "-silent", "-out", path] + (["-name", name] if name else ["-root"])
        r = subprocess.run(args, env=self.env, capture_output=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("xwd %s failed: %s" % (name or "-root", r.stderr.decode()))
        return read_xwd(path)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_xwd(path):
    """A 24/32-bit ZPixmap XWD file as (w, h, RGB bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    hdr = struct.unpack(">25I", data[:100])
    header_size, _, fmt, depth, w, h = hdr[:6]
    byte_order, bpp, bpl = hdr[7], hdr[11], hdr[12]
    rmask, gmask, bmask = hdr[14], hdr[15], hdr[16]
    ncolors = hdr[19]
    check(fmt == 2 and bpp == 32, "unexpected XWD format %d, %d bpp" % (fmt, bpp))
    pix = data[header_size + ncolors * 12:]
    order = "<" if byte_order == 0 else ">"

    def shift(m):
        return (m & -m).bit_length() - 1
    rs, gs, bs = shift(rmask), shift(gmask), shift(bmask)
    out = bytearray(w * h * 3)
    for y in range(h):
        row = struct.unpack_from("%s%dI" % (order, w), pix, y * bpl)
        for x, v in enumerate(row):
            o = (y * w + x) * 3
            out[o] = (v & rmask) >> rs
            out[o + 1] = (v & gmask) >> gs
            out[o + 2] = (v & bmask) >> bs
    return w, h, bytes(out)


def guest_screen(qt):
    """Text mode with a few coloured words, cursor off: a screen worth looking at."""
    vgalib.set_mode(qt, 0x03)
    vgalib.load_font(qt, chars=range(0x20, 0x80))
    lines = [(b"Osprey display test", 0x1f), (b"SDL and VNC under Xvfb", 0x2e),
             (b"0123456789 abcdefghijklmnopqrstuvwxyz", 0x07)]
    for row, (text, attr) in enumerate(lines):
        for i, c in enumerate(text):
            qt.writeb(0xb8000 + row * 160 + 2 * i, c)
            qt.writeb(0xb8001 + row * 160 + 2 * i, attr)
    qt.outb(0x3d4, 0x0a)
    qt.outb(0x3d5, 0x20)


def screendump(qmp):
    p = temp_path("x11-screen.ppm")
    qmp.ok("screendump", {"filename": p})
    return read_ppm(p)


def wait_capture(x, name, want, timeout=20.0):
    """Capture until the window shows want (the refresh is asynchronous)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = x.xwd(name)
        except AssertionError as e:
            last = e
            time.sleep(0.2)
            continue
        if not isinstance(last, Exception) and last == want:
            return last
        time.sleep(0.2)
    if isinstance(last, Exception):
        raise last
    w, h, pix = last
    diff = sum(1 for i in range(0, min(len(pix), len(want[2])), 3)
               if pix[i:i + 3] != want[2][i:i + 3])
    raise AssertionError("%s: captured %dx%d differs from the %dx%d screendump in %d pixels" %
                         (name, w, h, want[0], want[1], diff))


def find_in_root(root, want):
    """Where want's picture sits in the root window (no window manager: near the top left)."""
    rw, rh, rpix = root
    w, h, pix = want
    for oy in range(0, min(64, rh - h + 1)):
        for ox in range(0, min(64, rw - w + 1)):
            if all(rpix[((oy + y) * rw + ox) * 3:((oy + y) * rw + ox + w) * 3] ==
                   pix[y * w * 3:(y + 1) * w * 3] for y in range(h)):
                return ox, oy
    return None


def wait_root_match(x, want, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        where = find_in_root(x.xwd(), want)
        if where:
            return where
        time.sleep(0.5)
    raise AssertionError("the %dx%d screendump never appeared whole on the X screen" %
                         (want[0], want[1]))


def test_sdl_window():
    if os.environ.get("OSPREY_BUILD", "").rstrip("/").endswith("build-san"):
        raise Skip("SDL/X11 libraries report their own leaks under LeakSanitizer")
    with Xvfb() as x:
        os.environ["DISPLAY"] = x.display
        try:
            qt, qmp = with_qmp(["-vga", "std", "-display", "sdl", "-name", "guest1"])
        finally:
            del os.environ["DISPLAY"]
        with qt:
            guest_screen(qt)
            want = screendump(qmp)
            st = qmp.ok("query-status")
            title = "guest1 - Osprey" + ("" if st["status"] == "running" else " [Paused]")
            got = wait_capture(x, title, want)
            check_eq(got[:2], (720, 400), "window size follows the guest mode")
            # a mode change resizes the window
            vgalib.enable_pci(qt)
            vgalib.vbe_set_mode(qt, 640, 480, 32)
            qt.writel(vgalib.VRAM_BAR + 4 * (10 * 640 + 10), 0x00ff8000)
            want = screendump(qmp)
            wait_capture(x, title, want)


def xdotool(x, *args):
    r = subprocess.run(["xdotool"] + list(args), env=x.env, capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError("xdotool %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout.strip()


def wait_for(what, fn, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            check(v, "timed out waiting for " + what)
            return v
        time.sleep(0.1)


def hotkey(x, letter):
    """Ctrl-Alt-letter as a person types it: one key after the other (xdotool's "key
    ctrl+alt+g" presses all three in the same instant, before SDL has seen the modifiers)."""
    xdotool(x, "keydown", "ctrl", "keydown", "alt", "keydown", letter,
            "keyup", letter, "keyup", "alt", "keyup", "ctrl")


def window_geometry(x, wid):
    out = dict(line.split("=", 1) for line in
               xdotool(x, "getwindowgeometry", "--shell", wid).splitlines() if "=" in line)
    return int(out["WIDTH"]), int(out["HEIGHT"])


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                ("data", ctypes.c_long * 5)]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]


def x11_close_window(display, wid):
    """Ask a window to close the way a window manager's close button does: a
    WM_PROTOCOLS/WM_DELETE_WINDOW client message (Xlib through ctypes)."""
    lib = ctypes.util.find_library("X11")
    if not lib:
        raise Skip("libX11 not found")
    xlib = ctypes.CDLL(lib)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                                ctypes.c_void_p]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = xlib.XOpenDisplay(display.encode())
    check(dpy, "XOpenDisplay(%s)" % display)
    ev = XEvent()
    ev.xclient.type = 33  # ClientMessage
    ev.xclient.window = wid
    ev.xclient.message_type = xlib.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
    ev.xclient.format = 32
    ev.xclient.data[0] = xlib.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
    ev.xclient.data[1] = 0  # CurrentTime
    xlib.XSendEvent(dpy, wid, 0, 0, ctypes.byref(ev))
    xlib.XFlush(dpy)
    xlib.XCloseDisplay(dpy)


def i8042_bytes(qt, timeout=1.0):
    """(keyboard bytes, mouse bytes) the i8042 offers within timeout."""
    kbd, aux = [], []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = qt.inb(0x64)
        if st & 1:
            (aux if st & 0x20 else kbd).append(qt.inb(0x60))
        else:
            time.sleep(0.02)
    return kbd, aux


def mouse_bytes(qt, timeout=1.0):
    return i8042_bytes(qt, timeout)[1]


def test_sdl_grab_fullscreen_close():
    if os.environ.get("OSPREY_BUILD", "").rstrip("/").endswith("build-san"):
        raise Skip("SDL/X11 libraries report their own leaks under LeakSanitizer")
    need("xdotool")
    with Xvfb() as x:
        os.environ["DISPLAY"] = x.display
        try:
            qt, qmp = with_qmp(["-vga", "std", "-display", "sdl", "-name", "g2"])
        finally:
            del os.environ["DISPLAY"]
        with qt:
            guest_screen(qt)
            wid = wait_for("the SDL window", lambda: xdotool_search(x, "^g2 - Osprey"))
            title = xdotool(x, "getwindowname", wid)
            check("grab" not in title, "not grabbed at start: %r" % title)
            wait_for("the window at the text mode's 720x400",
                     lambda: window_geometry(x, wid) == (720, 400))
            # the PS/2 mouse reports motion; nothing moves it while the window is not grabbed
            qt.outb(0x64, 0xd4)
            qt.outb(0x60, 0xf4)
            check_eq(mouse_bytes(qt, 0.5), [0xfa], "mouse enabled")
            xdotool(x, "mousemove", "--window", wid, "100", "100")
            xdotool(x, "mousemove_relative", "--", "20", "0")
            check_eq(mouse_bytes(qt), [], "no mouse packets without a grab")
            # Ctrl-Alt-G: grabbed, and the title says how to get out
            xdotool(x, "windowfocus", "--sync", wid)
            # SDL applies a focus change up to 200 ms late and then resets its idea of the
            # held modifiers: a hot key typed inside that window would lose its Ctrl-Alt.
            time.sleep(1.0)
            hotkey(x, "g")
            wait_for("the grab title", lambda: "Press Ctrl-Alt-G to exit grab" in
                     xdotool(x, "getwindowname", wid))
            xdotool(x, "mousemove_relative", "--", "30", "0")
            got = mouse_bytes(qt)
            check(len(got) >= 3 and len(got) % 3 == 0, "mouse packets while grabbed: %r" % got)
            dx = sum(got[i + 1] - (256 if got[i] & 0x10 else 0) for i in range(0, len(got), 3))
            check(dx > 0, "the grabbed mouse moved right (dx %d, %r)" % (dx, got))
            hotkey(x, "g")
            wait_for("the title without grab", lambda: "grab" not in
                     xdotool(x, "getwindowname", wid))
            mouse_bytes(qt, 0.3)
            xdotool(x, "mousemove_relative", "--", "20", "0")
            check_eq(mouse_bytes(qt), [], "released: no more mouse packets")
            # Ctrl-Alt-F: the window covers the screen, then comes back
            hotkey(x, "f")
            wait_for("full screen", lambda: window_geometry(x, wid) == (1280, 1024))
            hotkey(x, "f")
            wait_for("windowed again", lambda: window_geometry(x, wid) == (720, 400))
            # the guest got none of the hot keys' G or F (set 2: 0x34, 0x2b)
            keys = i8042_bytes(qt, 0.3)[0]
            check(0x34 not in keys and 0x2b not in keys, "hot keys stay out of the guest: %r" %
                  keys)
            # closing the window presses the ACPI power button
            cfg_write(qt, PM, 0x40, PMBASE | 1)   # PMBA
            cfg_write(qt, PM, 0x80, 1, 1)         # PMREGMISC: PM I/O on
            check_eq(qt.inw(PMBASE) & PWRBTN_STS, 0, "PWRBTN_STS clear before the close")
            x11_close_window(x.display, int(wid))
            qmp.wait_event("POWERDOWN")
            wait_for("PWRBTN_STS", lambda: qt.inw(PMBASE) & PWRBTN_STS)
            check(qt.proc.poll() is None, "the VM is still running: the guest decides")


def xdotool_search(x, name):
    r = subprocess.run(["xdotool", "search", "--name", name], env=x.env, capture_output=True,
                       text=True, timeout=30)
    ids = r.stdout.split()
    return ids[0] if ids else None


def free_vnc_display():
    for n in range(50 + os.getpid() % 40, 99):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", 5900 + n))
            return n
        except OSError:
            continue
        finally:
            s.close()
    raise Skip("no free VNC port")


def test_tigervnc_viewer():
    need("vncviewer")
    n = free_vnc_display()
    qt, qmp = with_qmp(["-vga", "std", "-vnc", "127.0.0.1:%d" % n])
    with qt, Xvfb() as x:
        guest_screen(qt)
        want = screendump(qmp)
        viewer = subprocess.Popen(
            ["vncviewer", "-Shared", "-AutoSelect=0", "-NoJPEG", "-FullColor",
             "-PreferredEncoding=ZRLE", "-DotWhenNoCursor=0", "-RemoteResize=0",
             "127.0.0.1::%d" % (5900 + n)],
            env=x.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The viewer's window shows the whole guest screen, pixel for pixel.
            wait_root_match(x, want)
        finally:
            viewer.terminate()
            viewer.wait(timeout=5)


def test_vncsnapshot():
    need("vncsnapshot", "djpeg")
    n = free_vnc_display()
    qt, qmp = with_qmp(["-vga", "std", "-vnc", "127.0.0.1:%d" % n])
    with qt:
        guest_screen(qt)
        want = screendump(qmp)
        jpg = temp_path("snap.jpg")
        r = subprocess.run(["vncsnapshot", "-quiet", "-nojpeg", "-quality", "100",
                            "127.0.0.1:%d" % n, jpg], capture_output=True, timeout=60)
        check(r.returncode == 0, "vncsnapshot failed: %s" % r.stderr.decode(errors="replace"))
        ppm = temp_path("snap.ppm")
        subprocess.run(["djpeg", "-pnm", "-outfile", ppm, jpg], check=True, timeout=30)
        got = read_ppm(ppm)
        check_eq(got[:2], want[:2], "snapshot size")
        total = sum(abs(a - b) for a, b in zip(got[2], want[2]))
        mean = total / len(want[2])
        # JPEG keeps flat colours and loses a little at glyph edges
        check(mean < 4.0, "snapshot differs from the screendump by %.2f per channel" % mean)


if __name__ == "__main__":
    run_cases([
        ("sdl/window", test_sdl_window),
        ("sdl/grab-fullscreen-close", test_sdl_grab_fullscreen_close),
        ("vnc/tigervnc-viewer", test_tigervnc_viewer),
        ("vnc/vncsnapshot", test_vncsnapshot),
    ])
