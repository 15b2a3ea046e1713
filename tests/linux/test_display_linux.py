#!/usr/bin/env python3
# run-tests-timeout: 1200
"""Debian's Linux on the VGA, watched and driven over VNC, in ONE boot:

    osprey -m 512 -nographic -vnc unix:S -qmp unix:Q -kernel vmlinuz -initrd initrd.gz
           -append "console=tty0 console=ttyS0"

The initramfs loads bochs-drm (module "bochs", with its DRM dependencies); fbcon takes
over tty0 on the VBE framebuffer, and a shell runs on tty1.

    display-bochs-drm     the guest reports /dev/fb0 at 1024,768 from bochs-drm
    display-fbcon         a QMP screendump is 1024x768 and shows console text
    display-vnc-keys      keys typed by a python RFB client over VNC reach the guest's shell
                          on tty1: the command runs (its serial output appears) and what it
                          draws on tty1 (a green bar) is in the next screendump
    display-vnc-frame     the VNC client's frame equals the screendump pixel for pixel
    display-poweroff      the guest powers off and the emulator exits 0

The last screendump is kept as BUILD/linux/display-screenshot.png (scripts/update-screenshot.sh
copies it to docs/screenshot.png).  The sanitizer build skips this boot (CI time budget).
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "qtest"))
import linuxboot  # noqa: E402
from linuxboot import Boot, MARKER  # noqa: E402
import rfb  # noqa: E402
from vgalib import read_png  # noqa: E402

SCRIPT = r"""
cat > /bin/paint <<'EOF'
#!/bin/sh
printf '\033[42m%40s\033[0m\n' ''
EOF
chmod +x /bin/paint
i=0
while [ ! -e /sys/class/graphics/fb0/virtual_size ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "OSPREY-FB $(cat /sys/class/graphics/fb0/virtual_size) $(cat /sys/class/graphics/fb0/name)"
i=0
while ! grep -q 'keyboard' /proc/bus/input/devices 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.2; i=$((i+1))
done
echo "OSPREY-INPUT $(grep '^N:' /proc/bus/input/devices | tr '\n' ' ')"
# A still screen for pixel comparisons: no kernel messages on it, no blinking cursor.
dmesg -n 1
echo 0 > /sys/class/graphics/fbcon/cursor_blink
echo "Osprey: Debian's Linux on bochs-drm, typed into over VNC" > /dev/tty1
setsid sh -c 'exec sh -i </dev/tty1 >/dev/tty1 2>&1' &
sleep 1
echo OSPREY-SHELL-READY
i=0
while [ ! -e /tmp/done ] && [ $i -lt 1200 ]; do sleep 0.25; i=$((i+1)); done
echo OSPREY-DONE
poweroff -f
"""

TYPED = "paint; echo typed-$((6*7)) >/dev/ttyS0"
SHIFTED = {c: b for b, c in zip("`1234567890-=[]\\;',./", "~!@#$%^&*()_+{}|:\"<>?")}
GREEN_FBCON = (0x00, 0xaa, 0x00)


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Qmp:
    def __init__(self, path):
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.f = self.sock.makefile("rw")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req) + "\n")
        self.f.flush()
        while True:
            msg = json.loads(self.f.readline())
            if "return" in msg or "error" in msg:
                return msg


def type_line(c, text):
    """Type text and Enter as a person would: Shift around shifted characters."""
    def tap(keysym):
        c.key(keysym, True)
        time.sleep(0.02)
        c.key(keysym, False)
        time.sleep(0.02)
    for ch in text:
        if ch.isupper() or ch in SHIFTED:
            c.key(0xffe1, True)
            tap(ord(ch))
            c.key(0xffe1, False)
        else:
            tap(ord(ch))
    tap(0xff0d)


def wait_line(b, pattern, seconds):
    """Boot.wait_for_line with its own, shorter deadline."""
    timeout = b.timeout
    b.timeout = min(timeout, time.monotonic() - b.start + seconds)
    try:
        return b.wait_for_line(pattern)
    finally:
        b.timeout = timeout


def green_run(img):
    """The longest horizontal run of fbcon's green in the picture."""
    w, h, pix = img
    best = 0
    g = bytes(GREEN_FBCON)
    for y in range(0, h, 4):
        run = 0
        row = pix[y * w * 3:(y + 1) * w * 3]
        for x in range(w):
            if row[x * 3:x * 3 + 3] == g:
                run += 1
                best = max(best, run)
            else:
                run = 0
    return best


def lit_pixels(img):
    w, h, pix = img
    return sum(1 for i in range(0, len(pix), 3 * 7) if pix[i:i + 3] != b"\0\0\0")


def main():
    cases = ["display-bochs-drm", "display-fbcon", "display-vnc-keys", "display-vnc-frame",
             "display-poweroff"]
    if linuxboot.sanitizer_build():
        for c in cases:
            print("skip %s: sanitizer build: this Linux boot runs in the normal build's make check"
                  % c)
        return 0
    results = {}
    try:
        results = run_boot()
    except Skip as e:
        for c in cases:
            print("skip %s: %s" % (c, e))
        return 0
    except Exception as e:  # the boot itself broke: every case says why
        for c in cases:
            results.setdefault(c, "boot: %s" % e)
    failed = 0
    for c in cases:
        r = results.get(c, "not reached")
        if r is True:
            print("ok %s" % c)
        else:
            failed += 1
            print("FAIL %s: %s" % (c, str(r).replace("\n", " | ")))
    if failed and results.get("_boot"):
        print(results["_boot"].tail())
    return 1 if failed else 0


def run_boot():
    emu, kind = linuxboot.emulator()
    if kind != "osprey":
        raise Skip("VNC and screendump are checked on Osprey only")
    try:
        a = linuxboot.fetch_assets()
    except linuxboot.AssetsError as e:
        if e.unreachable:
            raise Skip(str(e))
        raise
    initrd = linuxboot.make_initramfs(a["BUSYBOX_AMD64"], "display-amd64.gz", mode="script",
                                      kmods=a["KMODS_AMD64"], kmod=["bochs"], script=SCRIPT)
    sockdir = tempfile.mkdtemp(prefix="osprey-display-")
    vnc_path = os.path.join(sockdir, "vnc.sock")
    qmp_path = os.path.join(sockdir, "qmp.sock")
    argv = linuxboot.linux_argv(emu, a["VMLINUZ_AMD64"], initrd, 512,
                                extra=["-vnc", "unix:" + vnc_path,
                                       "-qmp", "unix:%s,server=on,wait=off" % qmp_path])
    argv[argv.index("-append") + 1] = "console=tty0 console=ttyS0"
    res = {}
    b = Boot(argv, name="display-amd64").launch()
    res["_boot"] = b
    try:
        shot = os.path.join(linuxboot.work_dir(), "display-screenshot.png")
        line = b.wait_for_line(r"OSPREY-FB ")
        check(line is not None, "the guest never reported its framebuffer")
        res["display-bochs-drm"] = ("1024,768" in line[2]) or \
            "fb0 is %r, expected 1024,768 from bochs-drm" % line[2]
        check(b.wait_for_line("OSPREY-SHELL-READY") is not None, "no shell on tty1")
        qmp = Qmp(qmp_path)
        time.sleep(1.0)
        r = qmp.cmd("screendump", {"filename": shot, "format": "png"})
        check("return" in r, "screendump: %r" % r)
        img = read_png(shot)
        lit = lit_pixels(img)
        res["display-fbcon"] = (img[:2] == (1024, 768) and lit > 200) or \
            "screendump %dx%d with %d lit samples" % (img[0], img[1], lit)
        c = rfb.RfbClient(rfb.connect_unix(vnc_path))
        c.full_frame()
        inputs = b.find("OSPREY-INPUT")
        if not inputs or "keyboard" not in inputs[2]:
            # keys cannot reach a shell without the kernel's keyboard driver bound
            res["display-vnc-keys"] = ("guest has no PS/2 keyboard input device (atkbd did "
                                       "not bind to the i8042): %s" % (inputs and inputs[2]))
        type_line(c, TYPED)
        ok = wait_line(b, r"^typed-42", 120) is not None
        time.sleep(1.0)  # fbcon's deferred flush to VRAM
        r = qmp.cmd("screendump", {"filename": shot, "format": "png"})
        img = read_png(shot)
        run = green_run(img)
        res.setdefault("display-vnc-keys", (ok and run >= 300) or
                       ("typed command output %s; green bar %d pixels" %
                        ("seen" if ok else "missing", run)))
        # the VNC frame equals the screendump once the refresh caught up
        deadline = time.monotonic() + 20
        while True:
            fb = c.full_frame()
            if fb == img[2] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
            qmp.cmd("screendump", {"filename": shot, "format": "png"})
            img = read_png(shot)
        res["display-vnc-frame"] = fb == img[2] or "VNC frame differs from the screendump"
        type_line(c, "touch /tmp/done")
        c.close()
    except Failure as e:
        res.setdefault("display-bochs-drm", str(e))
    finally:
        b.finish()
        shutil.rmtree(sockdir, ignore_errors=True)
    res["display-poweroff"] = (b.rc == 0 and b.find("OSPREY-DONE") is not None) or \
        "guest did not power off cleanly: %s" % b.outcome()
    return res


if __name__ == "__main__":
    sys.exit(main())
