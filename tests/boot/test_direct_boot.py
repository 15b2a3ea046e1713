#!/usr/bin/env python3
"""Direct kernel boot without a BIOS (-kernel/-initrd/-append), on the DBT (-accel tcg).

Builds two tiny test kernels from tests/boot/direct with the host gcc:
  - a Multiboot v1 ELF that checks EAX, the info structure, two modules and the mmap;
  - a fake bzImage (setup header from bootimg.py + a 32-bit kernel) that checks the
    32-bit boot protocol state, the zero page, the e820 map and the initrd.
They report on isa-debugcon and exit through isa-debug-exit (33 = pass).
Also: the loader's error cases, and system_reset over QMP booting the kernel again.
"""
import json
import os
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SRC = os.path.join(HERE, "direct")
sys.path.insert(0, HERE)
from bootimg import make_bzimage  # noqa: E402

BUILD = os.environ.get("OSPREY_BUILD", os.path.join(ROOT, "build"))
OSPREY = os.environ.get("OSPREY", os.path.join(BUILD, "osprey"))
PASS_STATUS = (0x10 << 1) | 1
TIMEOUT = 60
CFLAGS = ["-m32", "-march=i686", "-ffreestanding", "-nostdlib", "-fno-pic", "-fno-pie",
          "-fno-stack-protector", "-O2", "-mgeneral-regs-only", "-fno-asynchronous-unwind-tables",
          "-fcf-protection=none", "-fno-builtin", "-Wall", "-Wextra", "-Werror", "-std=gnu11"]


class Skip(Exception):
    pass


def build_kernel(name, outdir):
    """Compile start.S + NAME.c into an ELF linked at 1 MiB; returns its path."""
    objs = []
    for src in ("start.S", name + ".c"):
        obj = os.path.join(outdir, name + "-" + src + ".o")
        proc = subprocess.run(["gcc"] + CFLAGS + ["-c", os.path.join(SRC, src), "-o", obj],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.returncode:
            out = proc.stdout.decode(errors="replace")
            if "gnu/stubs-32.h" in out or "unrecognized" in out:
                raise Skip("host gcc cannot build 32-bit code: " + out.splitlines()[0])
            raise AssertionError("building %s failed: %s" % (src, out))
        objs.append(obj)
    elf = os.path.join(outdir, name + ".elf")
    subprocess.run(["ld", "-m", "elf_i386", "-n", "-nostdlib", "-static", "-z", "noexecstack",
                    "--no-warn-rwx-segments", "-T", os.path.join(SRC, "kernel.ld"), "-o", elf]
                   + objs, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return elf


def build_bzimage(outdir):
    elf = build_kernel("linux_kernel", outdir)
    flat = os.path.join(outdir, "linux_kernel.bin")
    subprocess.run(["objcopy", "-O", "binary", elf, flat], check=True)
    with open(flat, "rb") as f:
        pm = f.read()
    path = os.path.join(outdir, "bzImage")
    with open(path, "wb") as f:
        f.write(make_bzimage(pm))
    return path, pm


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def run_osprey(args, timeout=TIMEOUT):
    cmd = [OSPREY, "-accel", "tcg", "-nodefaults", "-display", "none"] + args
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("osprey timed out after %ds: %s" % (timeout, " ".join(args)))
    return proc.returncode, proc.stdout.decode(errors="replace"), \
        proc.stderr.decode(errors="replace")


def boot_and_check(tmp, name, args):
    log = os.path.join(tmp, name + ".log")
    rc, out, err = run_osprey(args + ["-debugcon", "file:" + log, "-device",
                                      "isa-debug-exit,iobase=0xf4,iosize=4"])
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    fails = [ln for ln in text.splitlines() if ln.startswith("FAIL")]
    if rc != PASS_STATUS or fails or ("PASS " + name) not in text:
        raise AssertionError("exit %d, console %r, stderr %r" % (rc, "; ".join(fails) or text[-300:],
                                                                 err.strip()[-300:]))
    return text


def multiboot_modules(tmp):
    m1 = write(os.path.join(tmp, "mod1.bin"), b"first module data")
    m2 = write(os.path.join(tmp, "mod2.bin"), bytes((i * 7) & 0xff for i in range(5000)))
    return "%s one-arg,%s two=2" % (m1, m2)


def test_multiboot(tmp):
    elf = build_kernel("multiboot_kernel", tmp)
    boot_and_check(tmp, "multiboot", ["-m", "64", "-kernel", elf, "-initrd",
                                      multiboot_modules(tmp), "-append", "mbtest=1 second"])


def test_bzimage(tmp):
    bz, _ = build_bzimage(tmp)
    initrd = write(os.path.join(tmp, "initrd.img"), bytes((i * 13 + 1) & 0xff
                                                          for i in range(12345)))
    boot_and_check(tmp, "linux", ["-m", "64", "-kernel", bz, "-initrd", initrd,
                                  "-append", "console=ttyS0 bztest=1"])


def expect_error(args, *words):
    rc, out, err = run_osprey(args, timeout=20)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if rc != 1 or len(lines) != 1 or not all(w in lines[0] for w in words):
        raise AssertionError("%r: exit %d, stderr %r (want one line with %r)" %
                             (args, rc, err.strip(), words))


def test_errors(tmp):
    junk = write(os.path.join(tmp, "junk"), b"this is not a kernel\n" * 100)
    expect_error(["-kernel", junk], "-kernel", junk,
                 "neither a Linux bzImage nor a Multiboot kernel")
    _, pm = build_bzimage(tmp)
    trunc = write(os.path.join(tmp, "trunc"), make_bzimage(pm, truncate=100))
    expect_error(["-kernel", trunc], "-kernel", "truncated")
    old = write(os.path.join(tmp, "old"), make_bzimage(pm, version=0x205))
    expect_error(["-kernel", old], "-kernel", "2.05", "2.06")
    low = write(os.path.join(tmp, "low"), make_bzimage(pm, loadflags=0))
    expect_error(["-kernel", low], "-kernel", "LOADED_HIGH")
    good = write(os.path.join(tmp, "good"), make_bzimage(pm))
    big = os.path.join(tmp, "big.img")
    with open(big, "wb") as f:
        f.truncate(70 << 20)  # sparse: larger than all of the 64 MiB guest
    expect_error(["-m", "64", "-kernel", good, "-initrd", big], "-initrd", "does not fit")
    expect_error(["-m", "64", "-kernel", good, "-append", "x" * 3000], "-append", "2047")
    expect_error(["-initrd", big], "-initrd cannot be used without -kernel")
    expect_error(["-append", "quiet"], "-append cannot be used without -kernel")
    bad_mb = bytearray(256)
    bad_mb[0:12] = (0x1badb002).to_bytes(4, "little") + (0).to_bytes(4, "little") + \
        (1).to_bytes(4, "little")
    mb = write(os.path.join(tmp, "badsum"), bytes(bad_mb))
    expect_error(["-kernel", mb], "-kernel", "checksum")
    mb_ok = bytearray(bad_mb)
    mb_ok[8:12] = ((-0x1badb002) & 0xffffffff).to_bytes(4, "little")
    mb2 = write(os.path.join(tmp, "notelf"), bytes(mb_ok))
    expect_error(["-kernel", mb2], "-kernel", "neither ELF nor")


class Qmp:
    def __init__(self, proc):
        self.proc, self.buf = proc, b""

    def send(self, cmd):
        self.proc.stdin.write((json.dumps({"execute": cmd}) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + 20
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                msg = json.loads(line)
                if "return" in msg or "error" in msg:
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no QMP reply to %s" % cmd)
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    raise AssertionError("osprey exited during %s" % cmd)
                self.buf += data


def wait_for_lines(log, word, count, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
        if "FAIL" in text:
            raise AssertionError("guest reported: %r" % text[-400:])
        if text.count(word) >= count:
            return text
        time.sleep(0.05)
    raise AssertionError("wanted %d x %r on the console, got %r" % (count, word, text[-400:]))


def test_reset(tmp):
    elf = build_kernel("multiboot_kernel", tmp)
    log = os.path.join(tmp, "reset.log")
    cmd = [OSPREY, "-accel", "tcg", "-nodefaults", "-display", "none", "-m", "64",
           "-kernel", elf, "-initrd", multiboot_modules(tmp), "-append",
           "mbtest=1 wait second", "-debugcon", "file:" + log, "-qmp", "stdio"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        qmp = Qmp(proc)
        qmp.send("qmp_capabilities")
        wait_for_lines(log, "PASS multiboot", 1)
        for boots in (2, 3):
            reply = qmp.send("system_reset")
            if "error" in reply:
                raise AssertionError("system_reset: %r" % reply)
            text = wait_for_lines(log, "PASS multiboot", boots)
        if text.count("BOOT multiboot") != 3:
            raise AssertionError("expected 3 boots, console %r" % text)
        qmp.send("quit")
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for f in (proc.stdin, proc.stdout, proc.stderr):
            f.close()


def main():
    if not os.access(OSPREY, os.X_OK):
        print("FAIL setup: %s is not built" % OSPREY)
        return 1
    failed = 0
    for name, fn in (("direct-boot/multiboot", test_multiboot),
                     ("direct-boot/bzimage", test_bzimage),
                     ("direct-boot/errors", test_errors),
                     ("direct-boot/system-reset", test_reset)):
        with tempfile.TemporaryDirectory(prefix="osprey-boot-") as tmp:
            try:
                fn(tmp)
                print("ok %s" % name)
            except Skip as e:
                print("skip %s: %s" % (name, e))
            except Exception as e:  # one broken case must not hide the others
                failed += 1
                print("FAIL %s: %s" % (name, str(e).replace("\n", " | ")))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
