#!/usr/bin/env python3
# run-tests-timeout: 1500
"""Osprey's own BIOS (bios/, built as BUILD/bios/osprey-bios.bin) and SeaBIOS as a drop-in.

Cases (one line each: ok NAME | FAIL NAME: why | skip NAME: why):
    image               the image is 128 KiB, its reset vector is a near jump, no E segment code
    no-boot-device      osprey -nographic -no-reboot (no -bios, no -kernel: the default BIOS):
                        the banner and RAM size on stdio, every boot device reported missing,
                        "No bootable device", the retry reset ends the run (-no-reboot)
    no-boot-device-qemu the same image on Debian's qemu-system-x86_64: the same lines (the
                        reference machine proves the BIOS, not just Osprey's model of it)
    ram-size            -m 300: the banner reports 300 MiB
    linux-via-bios      -bios osprey-bios.bin -kernel/-initrd: the BIOS loads the kernel from
                        fw_cfg, the kernel's setup code uses INT 15h E820/INT 10h/INT 16h, the
                        initramfs prints the marker; the kernel's e820 map has the BIOS's
                        reserved areas, ACPI (RSDP from the table-loader) and DMI are found
    seabios-banner      -bios /usr/share/seabios/bios.bin -nographic: SeaBIOS's banner and its
                        "No bootable device" appear on stdio
Each boot prints the seconds from process start to its first BIOS line (informational).
Disk, CD and bootloader boots need the IDE controller (hw/ide, branch ide) and the BIOS's
INT 13h driver for it: see docs/bios.md.
"""
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "linux"))
import linuxboot  # noqa: E402

BUILD = os.environ.get("OSPREY_BUILD", os.path.join(ROOT, "build"))
OSPREY = os.environ.get("OSPREY", os.path.join(BUILD, "osprey"))
BIOS = os.path.join(BUILD, "bios", "osprey-bios.bin")
SEABIOS = "/usr/share/seabios/bios.bin"
QEMU = shutil.which("qemu-system-x86_64")


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def sanitizer_build():
    try:
        with open(os.path.join(BUILD, "config.mk")) as f:
            return "-fsanitize=" in f.read()
    except OSError:
        return False


def run_console(argv, timeout, until=None):
    """Run with stdin closed; return (text, rc or None if killed, {line: seconds})."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines, first_seen = [], {}
    rc = None
    try:
        for raw in proc.stdout:
            text = raw.decode(errors="replace").rstrip("\r\n")
            lines.append(text)
            first_seen.setdefault(text, time.monotonic() - start)
            if until and re.search(until, text):
                proc.kill()
                break
            if time.monotonic() - start > timeout:
                break
    finally:
        try:
            rc = proc.wait(timeout=max(1, timeout - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
    return "\n".join(lines), rc, first_seen


def seconds_to(seen, pattern):
    rx = re.compile(pattern)
    for text, t in seen.items():
        if rx.search(text):
            return t
    return None


def case_image():
    check(os.path.exists(BIOS), "%s was not built (make builds it)" % BIOS)
    with open(BIOS, "rb") as f:
        data = f.read()
    check(len(data) == 128 * 1024, "size %d, want 131072" % len(data))
    check(data[0x1fff0] == 0xe9, "the reset vector is not a near jump: %02x" % data[0x1fff0])
    check(data[:0x10000] == bytes(0x10000), "the E segment half is not empty")


def expect_no_boot(text, rc, what):
    for pat in (r"Osprey BIOS \S+", r"\d+ MiB RAM, 1 CPU", r"Booting from Hard Disk: no",
                r"No bootable device", r"Retrying in \d+ seconds"):
        check(re.search(pat, text), "%s: no line matching %r in: %s" % (what, pat, text[-400:]))
    check(rc is not None, "%s: the retry did not reset the machine (-no-reboot should end it)"
          % what)


def case_no_boot_device():
    text, rc, seen = run_console([OSPREY, "-nographic", "-no-reboot", "-accel", "tcg"], 60)
    expect_no_boot(text, rc, "osprey")
    print("    osprey: banner after %.2fs" % seconds_to(seen, r"Osprey BIOS"))


def case_no_boot_device_qemu():
    if not QEMU:
        raise Skip("qemu-system-x86_64 not installed (scripts/install-deps.sh --test)")
    text, rc, seen = run_console([QEMU, "-bios", BIOS, "-nographic", "-no-reboot", "-accel",
                                  "tcg"], 60)
    expect_no_boot(text, rc, "qemu")
    print("    qemu: banner after %.2fs" % seconds_to(seen, r"Osprey BIOS"))


def case_ram_size():
    text, _, _ = run_console([OSPREY, "-nographic", "-no-reboot", "-m", "300"], 60,
                             until=r"MiB RAM")
    check(re.search(r"^300 MiB RAM", text, re.M), "no '300 MiB RAM' line in: %s" % text[-300:])


def case_linux_via_bios():
    if sanitizer_build():
        raise Skip("sanitizer build: the Linux boot through the BIOS runs in the normal build")
    try:
        assets = linuxboot.fetch_assets()
    except linuxboot.AssetsError as e:
        if e.unreachable:
            raise Skip(str(e))
        raise Fail(str(e))
    initrd = linuxboot.make_initramfs(assets["BUSYBOX_AMD64"], "bios-linux.gz", mode="script",
                                      script="cat /proc/meminfo | head -1\npoweroff -f\n")
    argv = [OSPREY, "-m", "512", "-nographic", "-bios", BIOS, "-kernel",
            assets["VMLINUZ_AMD64"], "-initrd", initrd, "-append", "console=ttyS0"]
    b = linuxboot.Boot(argv, name="bios-linux").run()
    check(b.find(r"Osprey BIOS") is not None, "no BIOS banner (%s)" % b.outcome())
    check(b.find(r"Booting the kernel from fw_cfg") is not None,
          "the BIOS did not load the kernel (%s)" % b.outcome())
    check(b.marker_seconds() is not None, "no %s (%s)\n%s" % (linuxboot.MARKER, b.outcome(),
                                                              b.tail()))
    text = b.text()
    for pat in (r"BIOS-e820: \[mem 0x0000000000000000-0x000000000009fbff\] usable",
                r"BIOS-e820: \[mem 0x00000000000e0000-0x00000000000fffff\] reserved",
                r"BIOS-e820: \[mem 0x0000000000100000-0x[0-9a-f]+\] usable",
                r"ACPI: RSDP 0x00000000000E", r"ACPI: FACP", r"DMI: "):
        check(re.search(pat, text), "no kernel line matching %r" % pat)
    check(not b.bad_log_lines(), "bad kernel log lines: %s" % b.bad_log_lines()[:3])
    check(not b.timed_out and b.rc == 0, "the guest did not power off cleanly (%s)"
          % b.outcome())
    print("    osprey BIOS -> Linux marker after %.1fs" % b.marker_seconds())


def case_seabios_banner():
    if not os.path.exists(SEABIOS):
        raise Skip("%s missing (Debian package seabios; scripts/install-deps.sh --test)"
                   % SEABIOS)
    text, _, seen = run_console([OSPREY, "-bios", SEABIOS, "-nographic", "-no-reboot"], 60,
                                until=r"No bootable device")
    check(re.search(r"SeaBIOS \(version", text), "no SeaBIOS banner in: %s" % text[-300:])
    check(re.search(r"No bootable device", text), "SeaBIOS did not finish its boot attempts: %s"
          % text[-300:])
    print("    SeaBIOS banner after %.2fs" % seconds_to(seen, r"SeaBIOS"))


CASES = [
    ("image", case_image),
    ("no-boot-device", case_no_boot_device),
    ("no-boot-device-qemu", case_no_boot_device_qemu),
    ("ram-size", case_ram_size),
    ("seabios-banner", case_seabios_banner),
    ("linux-via-bios", case_linux_via_bios),
]


def main():
    only = sys.argv[1:]
    failed = 0
    for name, fn in CASES:
        if only and name not in only:
            continue
        try:
            fn()
            print("ok %s" % name)
        except Skip as e:
            print("skip %s: %s" % (name, e))
        except Fail as e:
            failed += 1
            print("FAIL %s: %s" % (name, str(e).replace("\n", " | ")))
        except Exception as e:  # one broken case must not hide the others
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
