#!/usr/bin/env python3
"""Choosing the accelerator: -accel kvm / tcg / kvm:tcg, -enable-kvm, the automatic choice,
and KVM unavailable; info registers in one format under both.

OSPREY_KVM_DEVICE points Osprey's KVM check at another path (a missing one makes KVM
unavailable on any host) and OSPREY_KVM_CPUINFO at another /proc/cpuinfo (with or without
vmx), so every branch runs here. Cases that need a working /dev/kvm skip without one.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from casekit import Cases, Skip  # noqa: E402

OSPREY = os.environ.get("OSPREY", os.path.join(os.path.dirname(__file__), "..", "..",
                                               "build", "osprey"))
PASS_STATUS = 33
CASES = Cases()
case = CASES.run
TMP = tempfile.mkdtemp(prefix="osprey-accel-")

# A 64 KiB firmware image: at the reset vector, print "K" on the debug console (0xe9) and
# leave through isa-debug-exit (0xf4) with 0x10 (exit status 33), then halt.
FIRMWARE = os.path.join(TMP, "tiny.bin")
with open(FIRMWARE, "wb") as f:
    image = bytearray(b"\xf4" * 65536)
    image[0xfff0:0xfff9] = b"\xb0K\xe6\xe9\xb0\x10\xe6\xf4\xf4"
    f.write(image)
# Two boots: the first prints "0" and resets the machine through the PIIX3's 0xcf9 (RAM
# survives a reset, so a counter at 0x500 tells the boots apart), the second prints "1" and
# exits with 0x10.
RESET_FIRMWARE = os.path.join(TMP, "reset.bin")
with open(RESET_FIRMWARE, "wb") as f:
    image = bytearray(b"\xf4" * 65536)
    image[0xfff0:0xfff5] = b"\xea\x00\xe0\x00\xf0"   # jmp f000:e000
    code = (
        b"\x31\xc0\x8e\xd8"            # xor ax, ax; mov ds, ax
        b"\xa0\x00\x05"                # mov al, [0x500]
        b"\xfe\x06\x00\x05"            # inc byte [0x500]
        b"\x04\x30\xe6\xe9"            # add al, '0'; out 0xe9, al
        b"\x3c\x30\x75\x0a"            # cmp al, '0'; jne exit
        b"\xb0\x06\xba\xf9\x0c\xee"    # mov al, 6; mov dx, 0xcf9; out dx, al (reset)
        b"\xf4\xf4\xf4\xf4"            # hlt (the reset comes first)
        b"\xb0\x10\xe6\xf4\xf4")        # exit: mov al, 0x10; out 0xf4, al; hlt
    image[0xe000:0xe000 + len(code)] = code
    f.write(image)
# Print the CPUID vendor string (leaf 0: EBX, EDX, ECX) on the debug console, then exit.
def _print_reg16(lo_hi_shift):
    lo, hi, shift = lo_hi_shift
    return (b"\x88" + bytes([lo]) + b"\xe6\xe9" + b"\x88" + bytes([hi]) + b"\xe6\xe9" + shift +
            b"\x88" + bytes([lo]) + b"\xe6\xe9" + b"\x88" + bytes([hi]) + b"\xe6\xe9")


VENDOR_FIRMWARE = os.path.join(TMP, "vendor.bin")
with open(VENDOR_FIRMWARE, "wb") as f:
    image = bytearray(b"\xf4" * 65536)
    image[0xfff0:0xfff5] = b"\xea\x00\xe0\x00\xf0"   # jmp f000:e000
    code = b"\x66\x31\xc0\x0f\xa2"                  # xor eax, eax; cpuid
    code += _print_reg16((0xd8, 0xf8, b"\x66\xc1\xeb\x10"))  # bl, bh; shr ebx, 16
    code += _print_reg16((0xd0, 0xf0, b"\x66\xc1\xea\x10"))  # dl, dh; shr edx, 16
    code += _print_reg16((0xc8, 0xe8, b"\x66\xc1\xe9\x10"))  # cl, ch; shr ecx, 16
    code += b"\xb0\x10\xe6\xf4\xf4"                   # exit 0x10
    image[0xe000:0xe000 + len(code)] = code
    f.write(image)
NO_VMX = os.path.join(TMP, "cpuinfo-novmx")
with open(NO_VMX, "w") as f:
    f.write("processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae sse sse2\n")
WITH_VMX = os.path.join(TMP, "cpuinfo-vmx")
with open(WITH_VMX, "w") as f:
    f.write("processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae sse sse2 vmx\n")
GUEST = ["-nodefaults", "-display", "none", "-bios", FIRMWARE,
         "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]


def kvm_works():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


def run(args, env=None, stdin=None, timeout=30):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([OSPREY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       input=stdin.encode() if stdin else None, timeout=timeout, env=e,
                       stdin=None if stdin else subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def err_lines(err):
    return [ln for ln in err.splitlines() if ln.strip()]


def need_kvm():
    if not kvm_works():
        raise Skip("/dev/kvm does not open here")


def accel_in_use(args, env=None):
    """Start paused with the monitor on stdio; the accelerator info qtree names."""
    rc, out, err = run(args + ["-S", "-monitor", "stdio"], env=env, stdin="info qtree\nquit\n")
    assert rc == 0, "exit %d: %s" % (rc, err)
    for ln in out.splitlines():
        if "accelerator " in ln:
            return ln.rsplit("accelerator ", 1)[1].strip(), err
    raise AssertionError("info qtree names no accelerator: %r" % out)


def guest_runs(args, env=None):
    """Run the tiny firmware to its isa-debug-exit; return stderr."""
    with tempfile.NamedTemporaryFile(dir=TMP, suffix=".log") as log:
        rc, out, err = run(args + GUEST + ["-debugcon", "file:" + log.name], env=env)
        text = open(log.name).read()
    assert rc == PASS_STATUS and text == "K", "exit %d, console %r, stderr %r" % (rc, text, err)
    return err


MISSING = {"OSPREY_KVM_DEVICE": "/nonexistent/kvm"}


def t_kvm_unavailable():
    # -accel kvm, -enable-kvm and -machine accel=kvm all fail in one line, exit 1.
    for args in (["-accel", "kvm"], ["-enable-kvm"], ["-machine", "pc,accel=kvm"]):
        rc, out, err = run(args + GUEST, env=MISSING)
        lines = err_lines(err)
        assert rc == 1, "%s: exit %d (%r)" % (args, rc, err)
        assert len(lines) == 1, "%s: expected one line, got %r" % (args, err)
        assert lines[0].startswith("osprey: ") and "/nonexistent/kvm" in lines[0], lines[0]


def t_fallback_to_tcg():
    # kvm:tcg (and two -accel options) fall back, saying once why KVM was not used.
    for args in (["-accel", "kvm:tcg"], ["-accel", "kvm", "-accel", "tcg"]):
        err = guest_runs(args, env=MISSING)
        lines = err_lines(err)
        assert len(lines) == 1 and "kvm" in lines[0] and "/nonexistent/kvm" in lines[0], \
            "%s: %r" % (args, err)
        accel, _ = accel_in_use(args + GUEST, env=MISSING)
        assert accel == "tcg", accel


def t_auto_without_kvm_device():
    err = guest_runs([], env=MISSING)
    lines = err_lines(err)
    assert len(lines) == 1, "expected one line, got %r" % err
    assert "accelerator tcg" in lines[0] and "/nonexistent/kvm" in lines[0], lines[0]


def t_auto_without_vmx():
    # /dev/kvm opens but the CPU has no vmx/svm (this machine): the DBT, with the reason.
    need_kvm()
    env = {"OSPREY_KVM_CPUINFO": NO_VMX}
    err = guest_runs([], env=env)
    lines = err_lines(err)
    assert len(lines) == 1, "expected one line, got %r" % err
    assert "accelerator tcg" in lines[0] and "neither vmx nor svm" in lines[0], lines[0]
    assert accel_in_use(GUEST, env=env)[0] == "tcg"


def t_auto_with_vmx():
    need_kvm()
    env = {"OSPREY_KVM_CPUINFO": WITH_VMX}
    err = guest_runs([], env=env)
    lines = err_lines(err)
    assert len(lines) == 1 and "accelerator kvm" in lines[0], "%r" % err
    assert accel_in_use(GUEST, env=env)[0] == "kvm"


def t_kvm_forced():
    # An explicit choice prints nothing and uses KVM even without vmx/svm.
    need_kvm()
    for args in (["-accel", "kvm"], ["-enable-kvm"], ["-accel", "kvm:tcg"]):
        env = {"OSPREY_KVM_CPUINFO": NO_VMX}
        err = guest_runs(args, env=env)
        assert err_lines(err) == [], "%s: %r" % (args, err)
        assert accel_in_use(args + GUEST, env=env)[0] == "kvm", args


def t_tcg_forced():
    err = guest_runs(["-accel", "tcg"])
    assert err_lines(err) == [], err
    assert accel_in_use(["-accel", "tcg"] + GUEST)[0] == "tcg"


def t_unknown_accel():
    rc, out, err = run(["-accel", "warp"] + GUEST)
    lines = err_lines(err)
    assert rc == 1 and len(lines) == 1 and "warp" in lines[0], (rc, err)


def t_kvm_options_rejected():
    need_kvm()
    rc, out, err = run(["-accel", "kvm,bogus=1"] + GUEST)
    lines = err_lines(err)
    assert rc == 1 and len(lines) == 1 and "bogus" in lines[0], (rc, err)


def registers_at_reset(accel):
    rc, out, err = run(["-accel", accel, "-S", "-monitor", "stdio"] + GUEST,
                       stdin="info registers\nquit\n")
    assert rc == 0, "%s: exit %d: %s" % (accel, rc, err)
    dump = [ln for ln in out.splitlines() if "=" in ln and "(osprey)" not in ln]
    assert len(dump) == 10, "%s: expected a 10-line dump, got %r" % (accel, out)
    return dump


def t_info_registers_same_under_both():
    tcg = registers_at_reset("tcg")
    assert tcg[2].startswith("RIP=000000000000fff0 "), tcg[2]
    need_kvm()
    kvm = registers_at_reset("kvm")
    assert kvm == tcg, "tcg:\n%s\nkvm:\n%s" % ("\n".join(tcg), "\n".join(kvm))


def reset_run(accel):
    with tempfile.NamedTemporaryFile(dir=TMP, suffix=".log") as log:
        rc, out, err = run(["-accel", accel, "-nodefaults", "-display", "none", "-bios",
                            RESET_FIRMWARE, "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                            "-debugcon", "file:" + log.name])
        return rc, open(log.name).read(), err


def t_guest_reset():
    # A guest-requested system reset restarts the CPU at the reset vector, on both.
    tcg = reset_run("tcg")
    assert tcg[:2] == (PASS_STATUS, "01"), "tcg: %r" % (tcg,)
    need_kvm()
    kvm = reset_run("kvm")
    assert kvm == tcg, "tcg %r, kvm %r" % (tcg, kvm)


def vendor(args):
    with tempfile.NamedTemporaryFile(dir=TMP, suffix=".log") as log:
        rc, out, err = run(args + ["-nodefaults", "-display", "none", "-bios", VENDOR_FIRMWARE,
                                   "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                                   "-debugcon", "file:" + log.name])
        text = open(log.name).read()
    assert rc == PASS_STATUS, "%s: exit %d, %r" % (args, rc, err)
    return text


def t_cpuid_model_and_host():
    # KVM shows the guest the same CPU model as the DBT; -cpu host passes the host's through.
    assert vendor(["-accel", "tcg"]) == "GenuineIntel"
    need_kvm()
    assert vendor(["-accel", "kvm"]) == "GenuineIntel"
    with open("/proc/cpuinfo") as f:
        host = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("vendor_id")]
    got = vendor(["-accel", "kvm", "-cpu", "host"])
    assert host and got == host[0], "-cpu host shows %r, the host is %r" % (got, host)


def main():
    if not os.access(OSPREY, os.X_OK):
        print("skip accel: %s is not built" % OSPREY)
        return 0
    case("kvm_unavailable", t_kvm_unavailable)
    case("fallback_to_tcg", t_fallback_to_tcg)
    case("auto_without_kvm_device", t_auto_without_kvm_device)
    case("auto_without_vmx", t_auto_without_vmx)
    case("auto_with_vmx", t_auto_with_vmx)
    case("kvm_forced", t_kvm_forced)
    case("tcg_forced", t_tcg_forced)
    case("unknown_accel", t_unknown_accel)
    case("kvm_options_rejected", t_kvm_options_rejected)
    case("info_registers_same_under_both", t_info_registers_same_under_both)
    case("guest_reset", t_guest_reset)
    case("cpuid_model_and_host", t_cpuid_model_and_host)
    return CASES.status()


if __name__ == "__main__":
    try:
        status = main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)
