#!/usr/bin/env python3
"""Command-line behaviour: QEMU-compatible options, clear one-line errors, exit codes."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from casekit import Cases  # noqa: E402

OSPREY = os.environ.get("OSPREY", os.path.join(os.path.dirname(__file__), "..", "..",
                                               "build", "osprey"))
CASES = Cases()
case = CASES.run


def run(*args, timeout=20):
    p = subprocess.run([OSPREY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def hmp(args, commands, timeout=20):
    """Run a CPU-less machine with the monitor on stdio; return what it printed."""
    cmd = [OSPREY, "-accel", "qtest", "-qtest", "null", "-nodefaults", "-display", "none",
           "-monitor", "stdio", *args]
    p = subprocess.run(cmd, input=("\n".join(commands) + "\nquit\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace"))
    return out


def expect_one_line_error(args, needle):
    rc, out, err = run(*args)
    lines = [l for l in err.splitlines() if l.strip()]
    assert rc == 1, "exit status %d (stderr %r)" % (rc, err)
    assert len(lines) == 1, "expected one line, got %r" % err
    assert lines[0].startswith("osprey: "), lines[0]
    assert needle in lines[0], "%r does not name %r" % (lines[0], needle)
    return lines[0]


def t_version():
    for opt in ("-version", "--version"):
        rc, out, err = run(opt)
        assert rc == 0 and out.startswith("Osprey emulator version "), (rc, out)
        assert out.count("\n") == 1, out


def t_help():
    rc, out, err = run("-h")
    assert rc == 0 and "usage: osprey" in out and "-nographic" in out


def t_nonsense():
    line = expect_one_line_error(["-nonsense"], "-nonsense")
    assert "invalid option" in line


def t_bad_memory():
    expect_one_line_error(["-m", "banana"], "-m")
    expect_one_line_error(["-m", "0"], "-m")
    expect_one_line_error(["-m", "64Q"], "-m")


def t_missing_argument():
    expect_one_line_error(["-m"], "-m")


def t_missing_file():
    line = expect_one_line_error(["-kernel", "/nonexistent/vmlinuz"], "-kernel")
    assert "/nonexistent/vmlinuz" in line


def t_not_supported_yet():
    for args in (["-usb"], ["-object", "memory-backend-ram,id=m"], ["-gdb", "tcp::1234"],
                 ["-machine", "q35"]):
        line = expect_one_line_error(args, args[0])
        assert "not supported yet" in line, line


def t_display_option_errors():
    expect_one_line_error(["-display", "gtk"], "gtk")
    expect_one_line_error(["-vga", "cirrus"], "cirrus")
    expect_one_line_error(["-vnc", "nocolon"], "nocolon")
    expect_one_line_error(["-device", "VGA,vgamem_mb=3"], "vgamem_mb")


def t_drive_errors():
    expect_one_line_error(["-drive", "file=/nonexistent/disk.img,format=raw"], "/nonexistent/disk.img")
    expect_one_line_error(["-hda", "/nonexistent/a,b.img"], "/nonexistent/a,b.img")
    expect_one_line_error(["-drive", "file=/dev/null,format=vmdk"], "vmdk")
    expect_one_line_error(["-drive", "file=/dev/null,format=raw,if=scsi"], "if=scsi")
    expect_one_line_error(["-drive", "file=/dev/null,format=raw,cache=maybe"], "cache=maybe")
    expect_one_line_error(["-drive", "file=/dev/null,format=raw,index=4"], "bus=2")
    expect_one_line_error(["-drive", "file=/dev/null,format=raw,nosuch=1"], "nosuch")
    expect_one_line_error(["-drive", "file=/dev/null,format=raw,if=none"], "id=")
    expect_one_line_error(["-drive", "file=/dev/null,format=raw,if=none,id=d0"], "d0")


def t_rtc():
    line = expect_one_line_error(["-rtc", "base=utc,driftfix=slew"], "-rtc")
    assert "driftfix" in line and "not supported" in line, line
    for bad in ("base=yesterday", "base=2006-13-01", "clock=wall"):
        expect_one_line_error(["-rtc", bad], "-rtc")
    expect_one_line_error(["-rtc", "base=utc,nosuch=1"], "nosuch")
    out = hmp(["-rtc", "base=localtime,clock=rt"], ["info qtree"])
    assert "mc146818rtc" in out, out


def t_smp():
    expect_one_line_error(["-smp", "0"], "-smp")
    expect_one_line_error(["-smp", "cpus=x"], "-smp")
    out = hmp(["-smp", "cpus=2,sockets=1,cores=2"], ["info qtree"])
    assert "2 CPUs" in out, out


def t_device_help():
    rc, out, err = run("-device", "help")
    assert rc == 0 and '"isa-serial"' in out and '"isa-debug-exit"' in out, out
    rc, out, err = run("-device", "isa-debug-exit,help")
    assert rc == 0 and "iobase" in out and "iosize" in out, out


def t_device_errors():
    line = expect_one_line_error(["-device", "no-such-thing"], "no-such-thing")
    line = expect_one_line_error(["-nodefaults", "-device", "isa-debug-exit,iobase=banana"],
                                 "iobase")
    assert "isa-debug-exit" in line, line
    line = expect_one_line_error(["-nodefaults", "-device", "isa-debug-exit,bogus=1"], "bogus")
    assert "isa-debug-exit" in line, line


def t_global():
    expect_one_line_error(["-global", "nonsense"], "-global")
    line = expect_one_line_error(["-nodefaults", "-global", "isa-debug-exit.iobase=zz",
                                  "-device", "isa-debug-exit"], "iobase")


def t_describe_machine():
    out = hmp(["-m", "1G", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
              ["info qtree", "info mtree"])
    assert "1024 MiB RAM" in out, out
    assert "isa-debug-exit" in out and "iobase=0xf4" in out, out
    assert "0000000000000000-000000003fffffff pc.ram" in out, out
    assert "00000000000000f4-00000000000000f7 isa-debug-exit" in out, out


def t_no_firmware():
    # Without -bios and -kernel the default BIOS (bios/osprey-bios.bin next to the
    # executable) runs; a copy of the executable without it has no firmware to run.
    import shutil
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "osprey")
        shutil.copy(OSPREY, exe)
        p = subprocess.run([exe, "-accel", "tcg", "-nodefaults"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20, stdin=subprocess.DEVNULL)
        err = p.stderr.decode(errors="replace")
        lines = [l for l in err.splitlines() if l.strip()]
        assert p.returncode == 1 and len(lines) == 1, (p.returncode, err)
        assert "firmware" in lines[0] and "-bios" in lines[0], lines[0]
    line = expect_one_line_error(["-accel", "tcg", "-nodefaults", "-bios", "/nonexistent.bin"],
                                 "-bios")
    with tempfile.NamedTemporaryFile() as k:
        line = expect_one_line_error(["-accel", "tcg", "-nodefaults", "-kernel", k.name],
                                     "-kernel")
        assert "neither a Linux bzImage nor a Multiboot kernel" in line, line


def t_log_options():
    rc, out, err = run("-d", "help")
    assert rc == 0 and "guest_errors" in out
    expect_one_line_error(["-d", "bogus"], "bogus")
    with tempfile.TemporaryDirectory() as d:
        expect_one_line_error(["-D", os.path.join(d, "no", "such", "dir")], "-D")


def t_pidfile():
    with tempfile.TemporaryDirectory() as d:
        pf = os.path.join(d, "pid")
        out = hmp(["-pidfile", pf], ["info status"])
        assert "VM status" in out, out
        assert not os.path.exists(pf), "pidfile not removed at exit"


def t_machine_help():
    rc, out, err = run("-machine", "help")
    assert rc == 0 and "pc" in out
    out = hmp(["-M", "pc-i440fx-7.2"], ["info qtree"])
    assert "machine 'pc'" in out, out


def t_chardev_errors():
    expect_one_line_error(["-chardev", "bogus,id=x"], "bogus")
    expect_one_line_error(["-chardev", "null"], "id")
    expect_one_line_error(["-serial", "bogus:thing"], "bogus")


def t_bios_image():
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, "fw.bin")
        with open(img, "wb") as f:
            f.write(b"\0" * 131072)
        out = hmp(["-bios", img], ["info mtree"])
        assert "00000000fffe0000-00000000ffffffff pc.bios" in out, out
        assert "00000000000e0000-00000000000fffff pc.bios" in out, out
        bad = os.path.join(d, "odd.bin")
        with open(bad, "wb") as f:
            f.write(b"\0" * 1000)
        line = expect_one_line_error(["-nodefaults", "-bios", bad], "-bios")
        assert "64 KiB" in line, line
        expect_one_line_error(["-nodefaults", "-bios", os.path.join(d, "none.bin")], "-bios")


def t_tcg_backend():
    """-accel tcg,backend=native|interp: both run code and dump it with -d out_asm."""
    native = os.uname().machine == "x86_64"
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, "fw.bin")
        fw = bytearray(b"\x90" * 65536)
        # reset vector: mov al, 0; out 0xf4, al (isa-debug-exit: status 1); hlt
        fw[0xfff0:0xfff5] = b"\xb0\x00\xe6\xf4\xf4"
        with open(img, "wb") as f:
            f.write(bytes(fw))
        line = expect_one_line_error(["-accel", "tcg,backend=bogus", "-nodefaults", "-bios",
                                      img], "bogus")
        assert "interp" in line and ("native" in line) == native, line
        for backend, needle in (("native", "code at 0x"), ("interp", "EXIT_TB")):
            if backend == "native" and not native:
                continue
            log = os.path.join(d, backend + ".log")
            rc, out, err = run("-accel", "tcg,backend=" + backend, "-nodefaults", "-display",
                               "none", "-bios", img, "-device",
                               "isa-debug-exit,iobase=0xf4,iosize=4", "-d", "out_asm", "-D",
                               log)
            assert rc == 1, "%s: exit status %d (%r)" % (backend, rc, err)
            text = open(log).read()
            assert "OUT: [size=" in text and needle in text, "%s: %r" % (backend, text[:300])


case("cli/version", t_version)
case("cli/help", t_help)
case("cli/unknown-option", t_nonsense)
case("cli/bad-memory-size", t_bad_memory)
case("cli/missing-argument", t_missing_argument)
case("cli/missing-file", t_missing_file)
case("cli/not-supported-yet", t_not_supported_yet)
case("cli/display-option-errors", t_display_option_errors)
case("cli/drive-errors", t_drive_errors)
case("cli/rtc", t_rtc)
case("cli/smp", t_smp)
case("cli/device-help", t_device_help)
case("cli/device-errors", t_device_errors)
case("cli/global", t_global)
case("cli/describe-machine", t_describe_machine)
case("cli/log-options", t_log_options)
case("cli/pidfile", t_pidfile)
case("cli/machine-help", t_machine_help)
case("cli/chardev-errors", t_chardev_errors)
case("cli/bios-image", t_bios_image)
case("cli/no-firmware", t_no_firmware)
case("cli/tcg-backend", t_tcg_backend)
sys.exit(CASES.status())
