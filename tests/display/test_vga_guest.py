#!/usr/bin/env python3
"""A guest program (tests/display/vga_modes.c, built like tests/guest's programs and booted
as -bios) sets mode 13h and a Bochs VBE 1024x768x32 mode through the registers, with no
VGA BIOS, and draws a pattern in each; at each "SHOT" it waits on COM1 while the test takes
a QMP screendump and compares every pixel with the picture the program must have drawn.

    vga-guest/mode13      320x200, 256 colours through the guest's DAC palette
    vga-guest/vbe1024     1024x768x32 linear framebuffer
    vga-guest/exit        the guest's own checks pass (isa-debug-exit status 33)
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qtest"))
import test_guest  # noqa: E402
from vgalib import dac8, read_ppm  # noqa: E402

OSPREY = os.environ.get("OSPREY", os.path.join(ROOT, "build", "osprey"))
BUILD = os.environ.get("OSPREY_BUILD", os.path.join(ROOT, "build"))
TIMEOUT = 120


def expected_mode13():
    pal = [(dac8(i & 63), dac8((i >> 2) & 63), dac8(63 - (i & 63))) for i in range(256)]
    out = bytearray()
    for y in range(200):
        for x in range(320):
            out += bytes(pal[(x + 2 * y) & 0xff])
    return 320, 200, bytes(out)


def expected_vbe():
    out = bytearray()
    for y in range(768):
        for x in range(1024):
            out += bytes((x & 0xff, y & 0xff, (x ^ y) & 0xff))
    return 1024, 768, bytes(out)


def connect(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main():
    results = {}
    with tempfile.TemporaryDirectory(prefix="osprey-vga-guest-") as tmp:
        binf = test_guest.build_one(os.path.join(HERE, "vga_modes.c"),
                                    os.path.join(BUILD, "display-guest"))
        com1 = os.path.join(tmp, "com1")
        qmp_path = os.path.join(tmp, "qmp")
        shot = os.path.join(tmp, "shot.ppm")
        cmd = [OSPREY, "-accel", "tcg", "-nodefaults", "-display", "none", "-vga", "std",
               "-bios", binf, "-debugcon", "stdio",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
               "-serial", "unix:%s,server=on,wait=off" % com1,
               "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            serial = connect(com1)
            qmp = connect(qmp_path).makefile("rw")
            qmp.readline()
            qmp.write('{"execute": "qmp_capabilities"}\n')
            qmp.flush()
            qmp.readline()
            want = {"mode13": expected_mode13, "vbe1024": expected_vbe}
            deadline = time.monotonic() + TIMEOUT
            console = []
            for raw in proc.stdout:
                line = raw.decode(errors="replace").strip()
                console.append(line)
                if line.startswith("SHOT "):
                    name = line.split()[1]
                    qmp.write('{"execute": "screendump", "arguments": {"filename": "%s"}}\n'
                              % shot)
                    qmp.flush()
                    reply = qmp.readline()
                    if '"return"' not in reply:
                        results[name] = "screendump: %s" % reply.strip()
                    else:
                        got = read_ppm(shot)
                        exp = want[name]()
                        if got[:2] != exp[:2]:
                            results[name] = "size %dx%d, expected %dx%d" % (got[:2] + exp[:2])
                        elif got[2] != exp[2]:
                            bad = next(i for i in range(0, len(exp[2]), 3)
                                       if got[2][i:i + 3] != exp[2][i:i + 3]) // 3
                            results[name] = "pixel (%d, %d) is %r, expected %r" % (
                                bad % exp[0], bad // exp[0], tuple(got[2][bad * 3:bad * 3 + 3]),
                                tuple(exp[2][bad * 3:bad * 3 + 3]))
                        else:
                            results[name] = True
                    serial.sendall(b"!")
                if time.monotonic() > deadline:
                    break
            rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
        except Exception as e:  # report, never hang
            rc = None
            console.append("test error: %s" % e)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    fails = [ln for ln in console if ln.startswith("FAIL")]
    results["exit"] = (rc == test_guest.PASS_STATUS and not fails) or \
        "exit status %s, %s" % (rc, "; ".join(fails or console[-3:]))
    failed = 0
    for name in ("mode13", "vbe1024", "exit"):
        r = results.get(name, "the guest never got there (%s)" % "; ".join(console[-3:]))
        if r is True:
            print("ok vga-guest/%s" % name)
        else:
            failed += 1
            print("FAIL vga-guest/%s: %s" % (name, r))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
