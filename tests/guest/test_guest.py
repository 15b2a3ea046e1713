#!/usr/bin/env python3
"""Build the guest test programs in tests/guest/*.c and run each as -bios firmware.

Each program is a 64 KiB flat image that starts at the reset vector, prints
"PASS name" or "FAIL name: why" on the debug console (port 0xe9) and ends through
isa-debug-exit (0xf4): status 33 means pass, 35 fail. One line per program:
    ok NAME | FAIL NAME: why | skip NAME: why

Every program runs under each accelerator that works here: the DBT (tcg) always, and KVM
when /dev/kvm opens. The KVM run must agree with the DBT run (the same console output and
exit status), reported as NAME@kvm; a disagreement fails with both outputs.

    test_guest.py                      run on $OSPREY (default build/osprey): tcg, then kvm
    test_guest.py --accel tcg          only one accelerator
    test_guest.py --emulator qemu-system-x86_64    the reference verdict (run-on-qemu.sh)
    test_guest.py --build-only         just build into $OSPREY_BUILD/guest
    test_guest.py NAME...              only these programs
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIB = os.path.join(HERE, "lib")
PASS_STATUS = (0x10 << 1) | 1
FAIL_STATUS = (0x11 << 1) | 1
TIMEOUT = 30

# Where Debian's QEMU (7.2, TCG) departs from the SDM, the program follows the SDM; on QEMU its
# failure is reported as a skip with this reason, so run-on-qemu.sh still shows everything else.
KNOWN_QEMU_GAPS = {
    "exc_ac32": "QEMU TCG does not implement alignment checking (#AC)",
    "paging_rsvd32": "QEMU TCG reports reserved-bit #PF without the P bit in the error code",
    "paging_rsvd64": "QEMU TCG reports reserved-bit #PF without the P bit in the error code",
    "x87_c1": "QEMU TCG does not set C1 when an inexact x87 result was rounded up",
    "sse_de32": "QEMU TCG does not set MXCSR.DE for denormal SSE operands",
    "sse_xm32": "QEMU TCG does not raise #XM for unmasked SSE exceptions",
}

# Hosts whose /dev/kvm has no VT-x/SVM behind it run every guest instruction through the host
# kernel's instruction emulator, which lacks some system instructions. Debian's QEMU with
# -accel kvm fails these programs on such a host in exactly the same way, so the gap is the
# host's: there the KVM run is reported as a skip with this reason (on a host with vmx/svm it
# must agree like every other program). Each entry: (reason, text the KVM run must show).
IRET_GAP = ("the host kernel's emulator cannot execute a protected-mode IRET",
            "KVM internal error")
CR0_PG_GAP = "the host kernel's emulator raises #GP on the MOV CR0 that turns on 32-bit paging"
KNOWN_EMULATED_KVM_GAPS = {
    "exc_ac32": IRET_GAP,
    "exceptions32": IRET_GAP,
    "privilege32": IRET_GAP,
    "sse": IRET_GAP,
    "sse_de32": IRET_GAP,
    "sse_xm32": IRET_GAP,
    "task32": IRET_GAP,
    "v86": IRET_GAP,
    "x87": IRET_GAP,
    "x87_c1": IRET_GAP,
    "paging32": (CR0_PG_GAP, "unexpected exception 13"),
    "paging_global32": (CR0_PG_GAP, "unexpected exception 13"),
    "paging_pae": (CR0_PG_GAP, "unexpected exception 13"),
    "paging_rsvd32": (CR0_PG_GAP, "unexpected exception 13"),
    "smc": (CR0_PG_GAP, "unexpected exception 13"),
    "syscall64": ("the host kernel's emulator raises #GP on SYSRET", "unexpected exception 13"),
    "paging64": ("the host kernel's emulator raises #UD on INT n from user mode",
                 "unexpected exception 6"),
    "pcid64": ("KVM here does not offer PCID (CPUID.1:ECX.PCID clear)",
               "CPUID.1:ECX.PCID is clear"),
}

CFLAGS = ["-ffreestanding", "-nostdlib", "-fno-pic", "-fno-pie", "-fno-stack-protector",
          "-O2", "-mgeneral-regs-only", "-fno-asynchronous-unwind-tables",
          "-fcf-protection=none", "-fno-builtin", "-Wall", "-Wextra", "-Werror",
          "-std=gnu11", "-I", LIB]


def program_bits(src):
    """A program declares its mode in a comment: 'guest-bits: 32' or 'guest-bits: 64'."""
    with open(src) as f:
        m = re.search(r"guest-bits:\s*(32|64)", f.read())
    return int(m.group(1)) if m else 32


def build_one(src, outdir):
    name = os.path.splitext(os.path.basename(src))[0]
    bits = program_bits(src)
    objdir = os.path.join(outdir, "obj", name)
    os.makedirs(objdir, exist_ok=True)
    march = ["-m32", "-march=i686"] if bits == 32 else ["-m64", "-mno-red-zone"]
    flags = march + CFLAGS + ['-DGUEST_NAME="%s"' % name]
    objs = []
    extra = sorted(glob.glob(os.path.join(HERE, name + "-*.S")))
    for s in [os.path.join(LIB, "boot.S"), os.path.join(LIB, "lib.c"), src] + extra:
        obj = os.path.join(objdir, os.path.basename(s) + ".o")
        subprocess.run(["gcc"] + flags + ["-c", s, "-o", obj], check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        objs.append(obj)
    elf = os.path.join(objdir, name + ".elf")
    emu = "elf_i386" if bits == 32 else "elf_x86_64"
    subprocess.run(["ld", "-m", emu, "-nostdlib", "-static", "-z", "noexecstack",
                    "--no-warn-rwx-segments", "-T", os.path.join(LIB, "guest.ld"),
                    "-o", elf] + objs, check=True, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)
    binf = os.path.join(outdir, name + ".bin")
    subprocess.run(["objcopy", "-O", "binary", elf, binf], check=True)
    size = os.path.getsize(binf)
    if size != 65536:
        raise RuntimeError("%s: image is %d bytes, want 65536" % (name, size))
    return binf


def build_all(outdir, names):
    os.makedirs(outdir, exist_ok=True)
    srcs = sorted(glob.glob(os.path.join(HERE, "*.c")))
    if names:
        srcs = [s for s in srcs if os.path.splitext(os.path.basename(s))[0] in names]
    built, errors = [], []
    for s in srcs:
        name = os.path.splitext(os.path.basename(s))[0]
        try:
            built.append((name, build_one(s, outdir)))
        except subprocess.CalledProcessError as e:
            out = (e.stdout or b"").decode(errors="replace").strip()
            errors.append((name, "build failed: " + (out.splitlines() or ["?"])[0]))
            sys.stderr.write(out + "\n")
        except RuntimeError as e:
            errors.append((name, str(e)))
    return built, errors


def program_args(name):
    """Extra command-line arguments a program asks for: 'guest-args: -smp 2'."""
    src = os.path.join(HERE, name + ".c")
    if not os.path.exists(src):
        return []
    with open(src) as f:
        m = re.search(r"guest-args:\s*(.*)", f.read())
    return m.group(1).split() if m else []


def run_raw(emulator, accel, binf, name):
    """Run one program; return (exit status or None on timeout, console text, emulator output)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "debugcon.log")
        cmd = [emulator, "-accel", accel, "-nodefaults", "-display", "none", "-bios", binf,
               "-debugcon", "file:" + log, "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
        cmd += program_args(name)
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=TIMEOUT)
            rc, out = proc.returncode, proc.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, out = None, ""
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
    return rc, text, out


def run_one(emulator, accel, binf, name, verbose, result=None):
    rc, text, out = result if result else run_raw(emulator, accel, binf, name)
    if verbose:
        sys.stdout.write(text)
    fails = [ln for ln in text.splitlines() if ln.startswith("FAIL ")]
    passed = any(ln.startswith("PASS " + name) for ln in text.splitlines())
    if rc == PASS_STATUS and passed and not fails:
        return "ok %s" % name
    if rc is None:
        why = "timed out after %ds" % TIMEOUT
    elif fails:
        why = "; ".join(f.split(": ", 1)[-1] for f in fails[:4])
    elif rc == PASS_STATUS:
        why = "exit status says pass but no PASS line"
    else:
        why = "exit status %d, console %r, emulator %r" % (rc, text[-200:], out.strip()[-200:])
    return "FAIL %s: %s" % (name, why)


def host_has_hw_virt():
    try:
        with open(os.environ.get("OSPREY_KVM_CPUINFO") or "/proc/cpuinfo") as f:
            return any(ln.startswith("flags") and (" vmx" in ln or " svm" in ln) for ln in f)
    except OSError:
        return False


def accel_unavailable(emulator, accel, binf):
    """None when the accelerator starts here, else the emulator's reason."""
    try:
        probe = subprocess.run([emulator, "-accel", accel, "-nodefaults", "-display",
                                "none", "-bios", binf or "/dev/null", "-S", "-qmp", "stdio"],
                               input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "%s did not answer a QMP quit within %ds" % (emulator, TIMEOUT)
    err = probe.stderr.decode(errors="replace").strip()
    if probe.returncode != 0 or "not built" in err or "no accelerator" in err or \
            "invalid accelerator" in err:
        return err.splitlines()[-1] if err else "exit status %d" % probe.returncode
    return None


def describe(result):
    rc, text, out = result
    return "exit status %s, console %r, emulator %r" % (
        "timeout" if rc is None else rc, text[-300:], out.strip()[-300:])


def compare_with_kvm(emulator, name, binf, tcg_result, hw_virt):
    """The KVM run of one program against its DBT run: one ok/FAIL/skip line."""
    kvm = run_raw(emulator, "kvm", binf, name)
    label = name + "@kvm"
    if kvm[0] == tcg_result[0] and kvm[1] == tcg_result[1]:
        return "ok %s" % label
    gap = KNOWN_EMULATED_KVM_GAPS.get(name)
    if not hw_virt and gap and (gap[1] in kvm[1] or gap[1] in kvm[2]):
        return "skip %s: %s (KVM without vmx/svm here; the run showed %r)" % (
            label, gap[0], gap[1])
    return "FAIL %s: kvm and tcg disagree: tcg: %s; kvm: %s" % (
        label, describe(tcg_result), describe(kvm))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emulator", default=os.environ.get("OSPREY"))
    ap.add_argument("--accel", default=None,
                    help="tcg or kvm only (default: tcg, and kvm compared with it)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    build = os.environ.get("OSPREY_BUILD", os.path.join(ROOT, "build"))
    emulator = args.emulator or os.path.join(build, "osprey")
    outdir = os.path.join(build, "guest")

    built, errors = build_all(outdir, args.names)
    failed = False
    for name, why in errors:
        print("FAIL %s: %s" % (name, why))
        failed = True
    if args.build_only:
        return 1 if failed else 0

    if not os.access(emulator, os.X_OK) and "/" in emulator:
        for name, _ in built:
            print("skip %s: %s is not built" % (name, emulator))
        return 1 if failed else 0
    accel = args.accel or "tcg"
    reason = accel_unavailable(emulator, accel, built[0][1] if built else None)
    if reason:
        for name, _ in built:
            print("skip %s: %s" % (name, reason))
        return 1 if failed else 0
    # Without --accel, KVM runs too where it works, and must agree with the DBT.
    kvm_reason = None
    is_qemu = "qemu" in os.path.basename(emulator)
    if args.accel is None and not is_qemu:
        kvm_reason = accel_unavailable(emulator, "kvm", built[0][1] if built else None)
    hw_virt = host_has_hw_virt()

    # Osprey's DBT has two backends; every program runs on each and they must agree.
    runs = [(accel, "")]
    if accel == "tcg" and not is_qemu:
        backends = ["native", "interp"] if os.uname().machine == "x86_64" else ["interp"]
        runs = [("tcg,backend=" + b, "@" + b) for b in backends]
    for name, binf in built:
        lines = []
        first = None
        for run_accel, suffix in runs:
            result = run_raw(emulator, run_accel, binf, name)
            first = first or result
            line = run_one(emulator, run_accel, binf, name, args.verbose, result)
            if line.startswith("FAIL") and name in KNOWN_QEMU_GAPS and accel == "tcg" \
                    and is_qemu:
                line = "skip %s: known QEMU gap: %s (QEMU: %s)" % (
                    name, KNOWN_QEMU_GAPS[name], line.split(": ", 1)[1])
            if suffix:
                word, rest = line.split(" ", 1)
                nm, sep, why = rest.partition(":")
                line = "%s %s%s%s%s" % (word, nm, suffix, sep, why)
            lines.append(line)
        # KVM is compared with the default backend's run.
        if args.accel is None and not is_qemu:
            if kvm_reason:
                lines.append("skip %s@kvm: %s" % (name, kvm_reason))
            else:
                lines.append(compare_with_kvm(emulator, name, binf, first, hw_virt))
        for ln in lines:
            print(ln, flush=True)
            if ln.startswith("FAIL"):
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
