#!/usr/bin/env python3
"""-cpu MODEL,+flag,-flag,flag=on|off: what the guest's CPUID shows and what its instructions do.

A tiny real-mode firmware writes CPUID.1:ECX/EDX and CPUID.80000001:ECX/EDX (16 bytes) on the
debug console, then runs one probe instruction with a #UD handler installed: 'Y' when the
instruction ran, 'U' when it raised #UD.  So a removed SSE2 really faults and an added SSSE3
really runs, on the DBT and (when /dev/kvm opens) under KVM.
"""
import os
import shutil
import struct
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
TMP = tempfile.mkdtemp(prefix="osprey-cpuflags-")

PXOR = b"\x66\x0f\xef\xc0"          # pxor xmm0, xmm0 (SSE2)
PSHUFB = b"\x66\x0f\x38\x00\xc0"    # pshufb xmm0, xmm0 (SSSE3)
NOP = b"\x90"

BIT = {"sse2": (0, 26), "fxsr": (0, 24), "ssse3": (1, 9), "pcid": (1, 17), "cx16": (1, 13),
       "pni": (1, 0), "nx": (2, 20), "lm": (2, 29), "syscall": (2, 11), "lahf-lm": (3, 0)}


def firmware(probe):
    """The 64 KiB image; code at f000:e000, reached from the reset vector."""
    code = bytearray()
    code += b"\x31\xc0\x8e\xd8"                      # xor ax, ax; mov ds, ax
    handler_fixup = len(code) + 4
    code += b"\xc7\x06\x18\x00\x00\x00"             # mov word [6*4], handler (fixed below)
    code += b"\xc7\x06\x1a\x00\x00\xf0"             # mov word [6*4+2], 0xf000
    code += b"\x0f\x20\xe0\x0d\x00\x02\x0f\x22\xe0"  # mov eax, cr4; or ax, OSFXSR; mov cr4, eax
    calls = []
    for leaf in (1, 0x80000001):
        code += b"\x66\xb8" + struct.pack("<I", leaf) + b"\x0f\xa2"   # mov eax, leaf; cpuid
        calls.append(len(code))
        code += b"\xe8\x00\x00"                      # call dump (fixed below)
    code += probe + b"\xb0\x59\xe6\xe9"              # probe; mov al, 'Y'; out 0xe9, al
    exit_at = len(code)
    code += b"\xb0\x10\xe6\xf4\xf4"                  # mov al, 0x10; out 0xf4, al; hlt
    handler = len(code)
    code += b"\xb0\x55\xe6\xe9"                      # #UD: mov al, 'U'; out 0xe9, al
    code += b"\xeb" + bytes([(exit_at - (len(code) + 2)) & 0xff])   # jmp exit
    dump = len(code)
    for reg in (b"\x66\x89\xc8", b"\x66\x89\xd0"):    # mov eax, ecx / mov eax, edx
        code += reg + b"\xe6\xe9\x66\xc1\xe8\x08" * 4  # 4 x (out 0xe9, al; shr eax, 8)
    code += b"\xc3"
    code[handler_fixup:handler_fixup + 2] = struct.pack("<H", 0xe000 + handler)
    for at in calls:
        code[at + 1:at + 3] = struct.pack("<h", dump - (at + 3))
    image = bytearray(b"\xf4" * 65536)
    image[0xfff0:0xfff5] = b"\xea\x00\xe0\x00\xf0"   # jmp f000:e000
    image[0xe000:0xe000 + len(code)] = code
    path = os.path.join(TMP, "fw-%s.bin" % probe.hex())
    with open(path, "wb") as f:
        f.write(image)
    return path


def run(args, timeout=60):
    p = subprocess.run([OSPREY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    return p.returncode, p.stderr.decode(errors="replace")


def guest(cpu, probe=NOP, accel="tcg"):
    """(feature words [1.EDX, 1.ECX, 8..1.EDX, 8..1.ECX], probe result 'Y' or 'U')."""
    log = os.path.join(TMP, "debugcon.log")
    args = ["-accel", accel, "-nodefaults", "-display", "none", "-bios", firmware(probe),
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-debugcon", "file:" + log]
    if cpu:
        args += ["-cpu", cpu]
    rc, err = run(args)
    assert rc == PASS_STATUS, "-cpu %s: exit %d, %r" % (cpu, rc, err)
    with open(log, "rb") as f:
        out = f.read()
    assert len(out) == 17, "-cpu %s: debug console %r" % (cpu, out)
    ecx1, edx1, ecx8, edx8 = struct.unpack("<4I", out[:16])
    return [edx1, ecx1, edx8, ecx8], chr(out[16])


def has(words, name):
    word, bit = BIT[name]
    return bool(words[word] >> bit & 1)


def t_default_model():
    words, probe = guest(None, PSHUFB)
    assert has(words, "pcid") and has(words, "sse2") and has(words, "lm"), words
    assert not has(words, "ssse3"), "qemu64 advertises SSSE3: %s" % words
    assert probe == "U", "PSHUFB ran on a CPU without SSSE3"


def t_add_and_remove():
    words, probe = guest("qemu64,-pcid,+ssse3", PSHUFB)
    assert not has(words, "pcid"), "-pcid left PCID on"
    assert has(words, "ssse3"), "+ssse3 did not add SSSE3"
    assert has(words, "cx16") and has(words, "lm"), "other flags changed: %s" % words
    assert probe == "Y", "PSHUFB raised #UD with +ssse3"


def t_removed_sse2_faults():
    words, probe = guest("qemu64", PXOR)
    assert probe == "Y", "PXOR faulted on qemu64"
    words, probe = guest("qemu64,-sse2", PXOR)
    assert not has(words, "sse2") and has(words, "fxsr"), words
    assert probe == "U", "PXOR ran with -sse2"


def t_on_off_spellings():
    # flag=on|off, bare names, '_' for '-', aliases; the last mention of a flag wins.
    words, _ = guest("qemu64,pcid=off,nx=off,lahf_lm=off,sse3=off,pcid=on,cx16=false")
    assert has(words, "pcid"), "pcid=off,...,pcid=on left PCID off"
    assert not has(words, "nx") and not has(words, "lahf-lm") and not has(words, "pni"), words
    assert not has(words, "cx16"), "cx16=false left CX16 on"
    words, _ = guest("qemu32,lm,syscall,nx")
    assert has(words, "lm") and has(words, "syscall") and has(words, "nx"), words


def t_refused_clearly():
    for cpu, want in [("qemu64,+avx", "'avx' is not implemented"),
                      ("qemu64,+sse4.2", "'sse4.2' is not implemented"),
                      ("qemu64,+nosuchflag", "unknown CPU feature 'nosuchflag'"),
                      ("qemu64,+apic", "'apic' follows the board's local APIC"),
                      ("pentium3,+lm", "model 'pentium3' does not have"),
                      ("host,-pcid", "-cpu host takes no feature flags"),
                      ("qemu64,pcid=maybe", "the value must be on or off"),
                      ("qemu64,vendor=AuthenticAMD", "property 'vendor' is not supported"),
                      ("qemu64,,+pcid", "empty CPU feature"),
                      ("nosuchmodel,+pcid", "unknown CPU model 'nosuchmodel'")]:
        rc, err = run(["-accel", "tcg", "-nodefaults", "-display", "none", "-cpu", cpu,
                       "-bios", firmware(NOP)], timeout=20)
        assert rc not in (0, PASS_STATUS), "-cpu %s was accepted" % cpu
        assert want in err, "-cpu %s: %r lacks %r" % (cpu, err, want)


def t_help_lists_flags():
    p = subprocess.run([OSPREY, "-cpu", "help"], stdout=subprocess.PIPE, timeout=20)
    text = p.stdout.decode()
    assert p.returncode == 0 and "qemu64" in text, text
    flags = text.split("CPUID flags", 1)[1].split()
    for name in ("ssse3", "pcid", "lm", "sse2"):
        assert name in flags, "%s missing from -cpu help: %r" % (name, text)
    assert "avx" not in flags, "-cpu help offers avx, which Osprey does not implement"


def t_kvm_same_flags():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError:
        raise Skip("/dev/kvm does not open here")
    # (No SSE probe: without VT-x/SVM the host kernel's instruction emulator runs KVM guests
    # here, and it has no SSE.)
    words, probe = guest("qemu64,-pcid,-nx", NOP, accel="kvm")
    assert not has(words, "pcid") and not has(words, "nx"), words
    assert has(words, "sse2") and has(words, "lm") and probe == "Y", (words, probe)


def main():
    if not os.access(OSPREY, os.X_OK):
        print("skip cpu_features: %s is not built" % OSPREY)
        return 0
    case("default_model", t_default_model)
    case("add_and_remove", t_add_and_remove)
    case("removed_sse2_faults", t_removed_sse2_faults)
    case("on_off_spellings", t_on_off_spellings)
    case("refused_clearly", t_refused_clearly)
    case("help_lists_flags", t_help_lists_flags)
    case("kvm_same_flags", t_kvm_same_flags)
    return CASES.status()


if __name__ == "__main__":
    try:
        status = main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)
