#!/usr/bin/env python3
"""The VNC server (-vnc unix:PATH) with a python3 RFB client, over qtest:
the client's framebuffer equals the screendump pixel for pixel, updates are
incremental, mode changes send DesktopSize, keys (keysyms and QEMU extended
key events) and pointer motion reach the PS/2 devices, malformed client
messages only cost the sender its connection, password=on asks for VNC
authentication (the client has DES: right and wrong passwords, set at run
time), and share= decides who may stay when a client wants the display alone."""
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import OSPREY, check, check_eq, run_cases, temp_path, unix_socket_path  # noqa: E402
from pcilib import with_qmp  # noqa: E402
import rfb  # noqa: E402
import vgalib  # noqa: E402
import vncdes  # noqa: E402
from vgalib import VRAM_BAR, read_ppm, vbe_set_mode  # noqa: E402


def start(vnc_opts="", extra=()):
    path = unix_socket_path("vnc")
    qt, qmp = with_qmp(["-vga", "std", "-vnc", "unix:%s%s" % (path, vnc_opts)] + list(extra))
    return qt, qmp, path


def client(path, **kw):
    return rfb.RfbClient(rfb.connect_unix(path), **kw)


def screendump(qmp):
    p = temp_path("vnc-screen.ppm")
    qmp.ok("screendump", {"filename": p})
    return read_ppm(p)


def frame_like(c, want, timeout=5.0):
    """Full frames until the client shows want (the refresh runs asynchronously, every
    1/30 s), or the last one after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        fb = c.full_frame()
        if ((c.width, c.height) == want[:2] and fb == want[2]) or time.monotonic() > deadline:
            return fb
        time.sleep(0.05)


def draw_pattern(qt, w, h):
    """A 32 bpp picture where every pixel differs from its neighbours."""
    data = bytearray()
    for y in range(h):
        for x in range(w):
            data += bytes(((x * 7 + y) & 0xff, (y * 3) & 0xff, (x ^ y) & 0xff, 0))
    qt.memwrite(VRAM_BAR, bytes(data))


def test_framebuffer_matches_screendump():
    qt, qmp, path = start()
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 320, 240, 32)
        draw_pattern(qt, 320, 240)
        c = client(path)
        check_eq((c.width, c.height), (320, 240), "ServerInit size")
        check_eq(c.name, "Osprey", "desktop name")
        w, h, pix = screendump(qmp)
        fb = frame_like(c, (w, h, pix))
        check_eq((w, h), (320, 240), "screendump size")
        check(fb == pix, "VNC framebuffer differs from the screendump")
        # a text mode screen too
        vgalib.set_mode(qt, 0x03)
        vgalib.load_font(qt, chars=range(0x41, 0x5b))
        for i in range(26):
            qt.writeb(0xb8000 + 2 * i, 0x41 + i)
            qt.writeb(0xb8001 + 2 * i, 0x1e)
        vbe_set_mode(qt, 0, 0, 32, flags=0)  # VBE off: the VGA registers rule again
        w, h, pix = screendump(qmp)
        fb = frame_like(c, (w, h, pix))
        check_eq((c.width, c.height), (720, 400), "text mode via DesktopSize")
        check(fb == pix, "text mode: VNC framebuffer differs from the screendump")
        c.close()


def test_incremental_updates():
    qt, qmp, path = start()
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 640, 480, 32)
        c = client(path)
        c.full_frame()
        # let the updates of the first refreshes drain: then the screen is quiet
        while True:
            c.request_update(incremental=True)
            try:
                c.read_update(timeout=0.5)
            except rfb.RfbError:
                break
        qt.writel(VRAM_BAR + 4 * (300 * 640 + 123), 0x00ff00ff)
        rects = c.read_update()  # answers the request still pending from the loop
        area = sum(w * h for x, y, w, h, e in rects if e == rfb.ENC_RAW)
        check(area > 0, "an update came")
        check(area <= 640 * 16, "incremental update is small (%d pixels)" % area)
        o = (300 * 640 + 123) * 3
        check_eq(tuple(c.fb[o:o + 3]), (0xff, 0x00, 0xff), "changed pixel arrived")
        # nothing changed: an incremental request gets nothing until something does
        c.request_update(incremental=True)
        try:
            rects = c.read_update(timeout=0.5)
            check(False, "update without a change: %r" % rects)
        except rfb.RfbError:
            pass
        c.close()


def test_desktop_size():
    qt, qmp, path = start()
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 640, 480, 32)
        c = client(path)
        c.full_frame()
        vbe_set_mode(qt, 800, 600, 16)
        c.request_update(incremental=True)
        seen = []
        deadline = time.monotonic() + 5
        while (c.width, c.height) != (800, 600) and time.monotonic() < deadline:
            seen += c.read_update()
            c.request_update(incremental=True)
        check(any(e == rfb.ENC_DESKTOP_SIZE and (w, h) == (800, 600) for _, _, w, h, e in seen),
              "DesktopSize 800x600 in %r" % seen)
        c.close()


def kbd_bytes(qt, want, timeout=5.0):
    """Read bytes the i8042 offers on port 0x60 until there are `want` of them."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < want and time.monotonic() < deadline:
        if qt.inb(0x64) & 1:
            out.append(qt.inb(0x60))
        else:
            time.sleep(0.01)
    return out


def test_keyboard():
    qt, qmp, path = start()
    with qt:
        qt.outb(0x64, 0x60)
        qt.outb(0x60, 0x47)  # translate to set 1, interrupts on
        c = client(path, encodings=(rfb.ENC_RAW, rfb.ENC_QEMU_EXT_KEY))
        c.full_frame()
        check(c.ext_key_acked, "server acknowledged the QEMU extended key event")
        c.key(ord("a"), True)
        c.key(ord("a"), False)
        check_eq(kbd_bytes(qt, 2), [0x1e, 0x9e], "keysym 'a' as set-1 make/break")
        c.key(0xffe1, True)       # Shift_L
        c.key(ord("A"), True)     # shifted: same key
        c.key(ord("A"), False)
        c.key(0xffe1, False)
        check_eq(kbd_bytes(qt, 4), [0x2a, 0x1e, 0x9e, 0xaa], "Shift-A")
        c.key(0xff52, True)       # Up: an E0 key
        check_eq(kbd_bytes(qt, 2), [0xe0, 0x48], "Up arrow make")
        c.key(0xff52, False)
        check_eq(kbd_bytes(qt, 2), [0xe0, 0xc8], "Up arrow break")
        # extended key event: the XT keycode wins over the keysym
        c.ext_key(ord("q"), 0x9d, True)    # keycode: Right Ctrl
        c.ext_key(ord("q"), 0x9d, False)
        check_eq(kbd_bytes(qt, 4), [0xe0, 0x1d, 0xe0, 0x9d], "ext key: Right Ctrl by keycode")
        c.ext_key(0x61, 0x10, True)        # keycode 0x10 is Q on a US keyboard
        check_eq(kbd_bytes(qt, 1), [0x10], "ext key: keycode 0x10")
        c.key(0x12345678, True)            # no such keysym: ignored
        check_eq(kbd_bytes(qt, 1, timeout=0.3), [], "unknown keysym ignored")
        c.close()

SHIFT_L, ALTGR = 0xffe1, 0xfe03


def keyboard_client(layout):
    """A machine with -k layout, its i8042 in set 1 translation, and a VNC client."""
    qt, qmp, path = start(extra=["-k", layout])
    qt.outb(0x64, 0x60)
    qt.outb(0x60, 0x47)
    c = client(path, encodings=(rfb.ENC_RAW,))
    c.full_frame()
    return qt, c


def typed(qt, c, events, want):
    """Send (keysym, down) events; return the set-1 bytes the guest got (want of them)."""
    for keysym, down in events:
        c.key(keysym, down)
    return kbd_bytes(qt, want)


def tap(keysym):
    return [(keysym, True), (keysym, False)]


def test_keymaps():
    qt, c = keyboard_client("de")
    with qt:
        check_eq(typed(qt, c, tap(ord("z")) + tap(ord("y")), 4), [0x15, 0x95, 0x2c, 0xac],
                 "de: z and y swapped")
        # a German client holds AltGr itself: '@' is AltGr+Q
        got = typed(qt, c, [(ALTGR, True)] + tap(ord("@")) + [(ALTGR, False)], 8)
        check_eq(got, [0xe0, 0x38, 0x10, 0x90, 0xe0, 0xb8], "de: AltGr+Q types @")
        # a US client types '@' as Shift+2: the server lets go of Shift and adds AltGr
        got = typed(qt, c, [(SHIFT_L, True)] + tap(ord("@")) + [(SHIFT_L, False)], 10)
        check_eq(got, [0x2a, 0xaa, 0xe0, 0x38, 0x10, 0xe0, 0xb8, 0x2a, 0x90, 0xaa],
                 "de: @ from a client holding Shift")
        check_eq(typed(qt, c, tap(ord("/")), 4), [0x2a, 0x08, 0xaa, 0x88], "de: / is Shift+7")
        # letters of the layout keep the guest's case: no fix-up with or without Shift
        got = typed(qt, c, tap(0xe4) + [(SHIFT_L, True)] + tap(0xc4) + [(SHIFT_L, False)], 6)
        check_eq(got, [0x28, 0xa8, 0x2a, 0x28, 0xa8, 0xaa], "de: a-umlaut, both cases")
        check_eq(typed(qt, c, tap(0x10000fc), 2), [0x1a, 0x9a], "de: Unicode keysym u-umlaut")
        check_eq(typed(qt, c, tap(0xfe52), 2), [0x29, 0xa9], "de: dead circumflex")
        check_eq(typed(qt, c, tap(0x20ac), 6), [0xe0, 0x38, 0x12, 0xe0, 0xb8, 0x92],
                 "de: Euro sign is AltGr+E")
        c.close()
    qt, c = keyboard_client("fr")
    with qt:
        got = typed(qt, c, tap(ord("a")) + tap(ord("q")) + tap(ord("w")) + tap(ord("m")), 8)
        check_eq(got, [0x10, 0x90, 0x1e, 0x9e, 0x2c, 0xac, 0x27, 0xa7], "fr: azerty letters")
        check_eq(typed(qt, c, tap(ord("1")), 4), [0x2a, 0x02, 0xaa, 0x82], "fr: 1 is Shift+&")
        check_eq(typed(qt, c, tap(0xe9), 2), [0x03, 0x83], "fr: e-acute on the 2 key")
        c.close()
    for layout, keysym, want in (("en-gb", ord("#"), [0x2b, 0xab]),
                                 ("en-gb", ord("\\"), [0x56, 0xd6]),
                                 ("sv", 0xe5, [0x1a, 0x9a]),
                                 ("de-ch", ord("z"), [0x15, 0x95]),
                                 ("ja", ord("\\"), [0x73, 0xf3]),
                                 ("en-us", ord("<"), [0x2a, 0x33, 0xaa, 0xb3])):
        qt, c = keyboard_client(layout)
        with qt:
            check_eq(typed(qt, c, tap(keysym), len(want)), want, "%s: keysym %#x" % (layout, keysym))
            c.close()
    # An unknown layout fails when a VNC server would use it, and (as in QEMU) is not
    # looked at without one.
    out = subprocess.run([OSPREY, "-k", "xx", "-vnc", "unix:" + unix_socket_path("vnc-k"),
                          "-display", "none", "-nodefaults"],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode != 0, "unknown -k with VNC fails")
    check("unknown keyboard layout" in out.stderr and "de-ch" in out.stderr,
          "unknown -k lists the layouts: %r" % out.stderr)
    out = subprocess.run([OSPREY, "-k", "xx", "-display", "none", "-nodefaults", "-accel",
                          "qtest", "-qtest", "null", "-monitor", "stdio"],
                         input="info version\nquit\n", capture_output=True, text=True,
                         timeout=30)
    check(out.returncode == 0 and "(osprey)" in out.stdout,
          "unknown -k without VNC is ignored as in QEMU: %r %r" % (out.stdout, out.stderr))


def test_pointer():
    qt, qmp, path = start()
    with qt:
        qt.outb(0x64, 0xd4)
        qt.outb(0x60, 0xf4)  # mouse: enable reporting
        check_eq(kbd_bytes(qt, 1), [0xfa], "mouse acknowledged")
        c = client(path)
        c.pointer(100, 100)
        first = kbd_bytes(qt, 3)
        check_eq(len(first), 3, "first motion packet")
        c.pointer(110, 90, buttons=1)
        pkt = kbd_bytes(qt, 3)
        check_eq(len(pkt), 3, "second packet")
        check_eq(pkt[0] & 0x07, 0x01, "left button")
        check_eq(pkt[1], 10, "dx = +10")
        check_eq(pkt[2], 10, "dy = +10 (up on the screen is up for PS/2)")
        c.close()


def test_malformed_messages():
    qt, qmp, path = start()
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 320, 200, 32)
        good = client(path)
        good.full_frame()
        other = client(path)
        bad_messages = [
            b"\x77",                                    # unknown message type
            b"\x02\x00\xff\xff" + b"\x00" * 8,          # SetEncodings: 65535, truncated
            b"\x06\x00\x00\x00\xff\xff\xff\xff",        # ClientCutText of 4 GiB
            b"\xff\x07\x00\x00",                        # QEMU message, unknown subtype
            b"\x00\x00\x00\x00" + b"\x00" * 16,         # SetPixelFormat 0 bpp
            b"\x03",                                    # truncated update request, then EOF
        ]
        closed = 0
        for msg in bad_messages:
            c = client(path)
            c.send(msg)
            if msg == b"\x03":
                c.sock.shutdown(socket.SHUT_WR)
            if rfb.closed_within(c.sock, 3.0):
                closed += 1
            c.close()
        check(closed >= len(bad_messages) - 1, "malformed clients were dropped (%d of %d)" %
              (closed, len(bad_messages)))
        # garbage before the handshake completes
        s = rfb.connect_unix(path)
        s.sendall(b"HTTP/1.0 GET /\r\n\r\n" * 4)
        check(rfb.closed_within(s, 3.0), "a non-RFB client is dropped")
        s.close()
        # the guest and the well-behaved clients are unaffected
        qt.writel(VRAM_BAR + 4 * (20 * 320 + 20), 0x0000ff00)
        w, h, pix = screendump(qmp)
        check_eq((w, h), (320, 200), "machine still answers")
        fb = frame_like(good, (w, h, pix))
        check(fb == pix, "the first client still gets correct frames")
        fb = frame_like(other, (w, h, pix))
        check(fb == pix, "the second client too")
        good.close()
        other.close()


def login_result(path, password):
    """Log in with VNC authentication; the client on success, the refusal text otherwise."""
    try:
        return client(path, password=password)
    except rfb.RfbError as e:
        return str(e)


def hmp_command(path, line):
    """One command on the human monitor's unix socket; returns its output."""
    s = rfb.connect_unix(path)
    buf = b""
    out = []
    try:
        for send in (None, line):
            if send is not None:
                s.sendall(send.encode() + b"\r")
            deadline = time.monotonic() + 10
            while b"(osprey) " not in buf and time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    data = s.recv(4096)
                except socket.timeout:
                    continue
                if not data:
                    break
                buf += data
            i = buf.find(b"(osprey) ")
            check(i >= 0, "monitor prompt (have %r)" % buf)
            out.append(buf[:i].decode(errors="replace"))
            buf = buf[i + 9:]
    finally:
        s.close()
    return out[-1]


def test_password():
    check(vncdes.self_test(), "DES known-answer test (FIPS 46 example)")
    mon = unix_socket_path("hmp")
    path = unix_socket_path("vnc")
    qt, qmp = with_qmp(["-vga", "std", "-vnc", "unix:%s,password=on" % path,
                        "-monitor", "unix:%s,server=on,wait=off" % mon])
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 160, 100, 32)
        draw_pattern(qt, 160, 100)
        c = client(path)
        check_eq(c.security_types, [2], "only VNC authentication offered")
        c.close()
        # no password set yet: nothing can be right, not even the empty password
        for pw in ("", "secret"):
            r = login_result(path, pw)
            check(isinstance(r, str) and "security failed" in r,
                  "no password set: %r refused (%r)" % (pw, r))
        qmp.ok("set_password", {"protocol": "vnc", "password": "secret"})
        r = login_result(path, "secret")
        check(not isinstance(r, str), "the right password logs in: %r" % r)
        w, h, pix = screendump(qmp)
        fb = frame_like(r, (w, h, pix))
        check(fb == pix, "logged-in client gets the framebuffer")
        r.close()
        for pw in ("secreT", "", "secret2"[:5]):
            r = login_result(path, pw)
            check(isinstance(r, str) and "security failed" in r, "wrong password %r refused" % pw)
        # at run time through the human monitor: the old password stops working
        hmp_command(mon, "change vnc password n3w-pass")
        check(isinstance(login_result(path, "secret"), str), "old password refused after change")
        r = login_result(path, "n3w-pass")
        check(not isinstance(r, str), "new password (HMP change) logs in: %r" % r)
        r.close()
        # QMP change-vnc-password; VNC keys are 8 characters, the rest is ignored
        qmp.ok("change-vnc-password", {"password": "longpassword"})
        r = login_result(path, "longpass")
        check(not isinstance(r, str), "first 8 characters log in: %r" % r)
        r.close()
        check(isinstance(login_result(path, "n3w-pass"), str), "previous password refused")
    qt, qmp, path = start()
    with qt:
        err = qmp.error("set_password", {"protocol": "vnc", "password": "x"})
        check("password" in err["desc"], "no password=on: %r" % err)
        err = qmp.error("set_password", {"protocol": "spice", "password": "x"})
        check("protocol" in err["desc"], "spice refused: %r" % err)


def alive(c):
    """Whether the server still serves c (a full frame arrives)."""
    try:
        c.full_frame()
        return True
    except (rfb.RfbError, OSError):
        return False


def share_clients(policy):
    """Two shared clients, then one asking for exclusive access; returns what is left."""
    qt, qmp, path = start(",share=%s" % policy if policy else "")
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 64, 48, 32)
        a, b = client(path, shared=True), client(path, shared=True)
        check(alive(a) and alive(b), "%s: two shared clients" % policy)
        try:
            x = client(path, shared=False)
        except rfb.RfbError:
            x = None
        result = {"a": not rfb.closed_within(a.sock, 1.0) and alive(a),
                  "b": not rfb.closed_within(b.sock, 0.2) and alive(b),
                  "exclusive": x is not None and alive(x)}
        # a shared latecomer
        try:
            late = client(path, shared=True)
            result["late"] = alive(late)
        except rfb.RfbError:
            result["late"] = False
        for c in (a, b, x):
            if c:
                c.close()
        return result


def test_share_policy():
    got = share_clients(None)
    check_eq(got, {"a": False, "b": False, "exclusive": True, "late": False},
             "allow-exclusive (default): exclusive client displaces the others, "
             "shared latecomers wait")
    got = share_clients("allow-exclusive")
    check_eq(got, {"a": False, "b": False, "exclusive": True, "late": False}, "allow-exclusive")
    got = share_clients("force-shared")
    check_eq(got, {"a": True, "b": True, "exclusive": False, "late": True},
             "force-shared: the exclusive client is refused, the others stay")
    got = share_clients("ignore")
    check_eq(got, {"a": True, "b": True, "exclusive": True, "late": True},
             "ignore: everybody shares")


if __name__ == "__main__":
    run_cases([
        ("vnc/framebuffer-matches-screendump", test_framebuffer_matches_screendump),
        ("vnc/incremental-updates", test_incremental_updates),
        ("vnc/desktop-size", test_desktop_size),
        ("vnc/keyboard", test_keyboard),
        ("vnc/keymaps", test_keymaps),
        ("vnc/pointer", test_pointer),
        ("vnc/malformed-messages", test_malformed_messages),
        ("vnc/password", test_password),
        ("vnc/share-policy", test_share_policy),
    ])
