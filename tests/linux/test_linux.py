#!/usr/bin/env python3
# run-tests-timeout: 3600
"""Boot Debian's own Linux kernels with a busybox initramfs, as in the issue:
    osprey -m 512 -nographic -kernel vmlinuz -initrd initrd.gz -append "console=ttyS0"

Cases (one line each: ok NAME | FAIL NAME: why | skip NAME: why):
    amd64-boot          the current amd64 kernel reaches /init's marker, the workloads finish,
                        the guest powers off and the emulator exits 0
    amd64-workloads     sha256, gzip round trip, fork+exec and integer loop all PASS in the guest
    amd64-clean-log     no BUG:/WARNING:/Oops/panic/Call Trace/watchdog/unstable clocksource
    ram-size            MemTotal is plausible for -m 512
    e820-map            the BIOS-e820 lines describe -m 512: low RAM, RAM from 1 MiB, no overlap
    guest-date          `date +%s` in the guest is within a few seconds of the host
    smp2                -smp 2: two CPUs online, the workloads pass, clean log, exit 0
    acpi-power-button   QMP system_powerdown presses the ACPI power button: the guest's kernel
                        reports it, the guest powers off, the emulator exits 0
    i386-686-boot       the 32-bit 686 kernel with the i386 busybox: as amd64-boot + workloads
    amd64-kvm           amd64-boot + workloads + clean log under -accel kvm -smp 2; skips when
                        /dev/kvm does not open or the host CPU has no vmx/svm (KVM would
                        emulate every instruction in the host kernel: far too slow)
    amd64-interp        the amd64 boot and (tiny) workloads once more on the interp backend
                        (-accel tcg,backend=interp; the other boots use the default, native)

The emulator is Osprey ($OSPREY) unless OSPREY_LINUX_EMULATOR=qemu (Debian's
qemu-system-x86_64 -accel tcg): the reference run that proves the test and the assets right.
See tests/linux/linuxboot.py for the other variables. The console of each boot is kept in
BUILD/linux/*.log. When the Debian archive cannot be reached the cases skip; any other
trouble with the assets is a failure.
"""
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linuxboot  # noqa: E402
from linuxboot import Boot, MARKER  # noqa: E402

MEM_MIB = 512
DATE_SLACK = float(os.environ.get("OSPREY_LINUX_DATE_SLACK", "5"))
WORKLOADS = ("sha256", "gzip", "fork-exec", "int-loop")


class CaseFailure(Exception):
    def __init__(self, msg, boot=None):
        super().__init__(msg)
        self.boot = boot


class Skip(Exception):
    pass


def check(cond, msg, boot=None):
    if not cond:
        raise CaseFailure(msg, boot)


class Runner:
    def __init__(self):
        self.emu, self.kind = linuxboot.emulator()
        self.assets = None
        self.boots = {}

    def setup(self):
        if self.kind == "osprey" and not os.access(self.emu[0], os.X_OK):
            raise CaseFailure("osprey binary %s not found (build it, or set OSPREY)" % self.emu[0])
        if self.kind != "osprey" and not shutil.which(self.emu[0]):
            raise CaseFailure("emulator %s not found" % self.emu[0])
        if self.assets is None:
            try:
                self.assets = linuxboot.fetch_assets()
            except linuxboot.AssetsError as e:
                self.assets = e    # tried once: every case reports the same reason
        if isinstance(self.assets, linuxboot.AssetsError):
            if self.assets.unreachable:
                raise Skip(str(self.assets))
            raise CaseFailure(str(self.assets))

    def boot(self, key):
        """Each boot runs once; several cases read it."""
        if key in self.boots:
            return self.boots[key]
        a = self.assets
        if key == "amd64":
            initrd = linuxboot.make_initramfs(a["BUSYBOX_AMD64"], "test-amd64.gz")
            argv = linuxboot.linux_argv(self.emu, a["VMLINUZ_AMD64"], initrd, MEM_MIB)
        elif key == "smp2":
            initrd = linuxboot.make_initramfs(a["BUSYBOX_AMD64"], "test-amd64.gz")
            argv = linuxboot.linux_argv(self.emu, a["VMLINUZ_AMD64"], initrd, MEM_MIB, smp=2)
        elif key == "amd64-kvm":
            initrd = linuxboot.make_initramfs(a["BUSYBOX_AMD64"], "test-amd64.gz")
            emu = linuxboot.emulator(accel="kvm")[0]
            argv = linuxboot.linux_argv(emu, a["VMLINUZ_AMD64"], initrd, MEM_MIB, smp=2)
        elif key == "amd64-interp":
            # The same boot on the DBT's portable interpreter backend (the default is the
            # native code generator on x86-64 hosts): both backends must boot Linux.
            # Tiny workloads: the interpreter is several times slower than native code.
            emu, _ = linuxboot.emulator(accel="tcg,backend=interp")
            initrd = linuxboot.make_initramfs(a["BUSYBOX_AMD64"], "test-amd64-interp.gz",
                                              workloads={"sha-mib": 1, "gzip-mib": 1,
                                                         "forks": 10, "loop": 2000})
            argv = linuxboot.linux_argv(emu, a["VMLINUZ_AMD64"], initrd, MEM_MIB)
        elif key == "i386":
            initrd = linuxboot.make_initramfs(a["BUSYBOX_I386"], "test-i386.gz")
            argv = linuxboot.linux_argv(self.emu, a["VMLINUZ_686"], initrd, MEM_MIB)
        else:
            raise KeyError(key)
        b = Boot(argv, name="test-" + key).run()
        self.boots[key] = b
        return b


def expect_clean_run(b, what):
    """Marker reached, workloads done, powered off, exit status 0."""
    check(b.marker_seconds() is not None, "%s: no %s (%s)" % (what, MARKER, b.outcome()), b)
    check(b.find(r"^OSPREY-WORKLOADS-DONE") is not None,
          "%s: the workloads did not finish (%s)" % (what, b.outcome()), b)
    check(b.find(r"reboot: Power down") is not None,
          "%s: the kernel did not power down (%s)" % (what, b.outcome()), b)
    check(not b.timed_out and b.rc == 0,
          "%s: the emulator did not exit 0 after poweroff (%s)" % (what, b.outcome()), b)


def expect_workloads(b, what):
    passed, failed = b.workloads()
    check(not failed, "%s: %s" % (what, "; ".join("%s %s" % kv for kv in failed.items())), b)
    missing = [w for w in WORKLOADS if not any(name.startswith(w + "-") for name in passed)]
    check(not missing, "%s: no result for %s (%s)" % (what, ", ".join(missing), b.outcome()), b)


def expect_clean_log(b, what):
    bad = b.bad_log_lines()
    check(not bad, "%s: %d bad kernel log line(s), first: %s" % (what, len(bad), bad[0]
                                                                    if bad else ""), b)


def case_amd64_boot(r):
    b = r.boot("amd64")
    expect_clean_run(b, "amd64")
    kernel = b.find(r"^OSPREY-KERNEL ")
    check(kernel and kernel[2].split()[-1] == "x86_64", "not a 64-bit guest: %r" %
          (kernel[2] if kernel else None), b)


def case_amd64_workloads(r):
    b = r.boot("amd64")
    expect_workloads(b, "amd64")


def case_amd64_clean_log(r):
    b = r.boot("amd64")
    check(b.find(r"Linux version") is not None, "no kernel log on the console", b)
    expect_clean_log(b, "amd64")


def case_ram_size(r):
    b = r.boot("amd64")
    line = b.find(r"^OSPREY-MEMTOTAL-KB ")
    check(line is not None, "no MemTotal line (%s)" % b.outcome(), b)
    kb = int(line[2].split()[1])
    # The kernel's own image, reserved areas and the initramfs come off the top; a board that
    # gave the guest much less (or more) RAM than -m is wrong.
    low, high = MEM_MIB * 1024 * 3 // 4, MEM_MIB * 1024
    check(low <= kb <= high, "MemTotal %d kB for -m %d: want %d..%d kB" % (kb, MEM_MIB, low, high),
          b)


def parse_e820(b):
    ranges = []
    for _, _, text in b.findall(r"BIOS-e820: \[mem "):
        m = re.search(r"BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (.+)$", text)
        if m:
            ranges.append((int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3).strip()))
    return ranges


def case_e820_map(r):
    b = r.boot("amd64")
    ranges = parse_e820(b)
    check(ranges, "no BIOS-e820 lines in the kernel log (%s)" % b.outcome(), b)
    mem = MEM_MIB << 20
    usable = [(s, e) for s, e, t in ranges if t == "usable"]
    check(any(s == 0 and e >= 0x80000 for s, e in usable),
          "no usable low memory from 0 (at least 512 KiB): %r" % ranges, b)
    check(not any(s < 0x100000 and e > 0xa0000 for s, e in usable),
          "the 640K-1M hole is marked usable: %r" % ranges, b)
    check(any(s == 0x100000 for s, e in usable), "no usable RAM starting at 1 MiB: %r" % ranges, b)
    total = sum(e - s for s, e in usable)
    check(mem - (16 << 20) <= total <= mem,
          "usable RAM is %d KiB for -m %d MiB" % (total >> 10, MEM_MIB), b)
    # With -m below the PCI hole, all RAM lies below 4 GiB and below -m.
    check(all(e <= mem for s, e in usable), "usable RAM above -m: %r" % usable, b)
    ordered = sorted(ranges)
    for (s1, e1, t1), (s2, e2, t2) in zip(ordered, ordered[1:]):
        check(e1 <= s2, "overlapping e820 ranges: %x-%x %s and %x-%x %s" %
              (s1, e1, t1, s2, e2, t2), b)


def case_guest_date(r):
    b = r.boot("amd64")
    line = b.find(r"^OSPREY-DATE ")
    check(line is not None, "no date line (%s)" % b.outcome(), b)
    guest = int(line[2].split()[1])
    host = line[1]
    # The guest prints whole seconds; the host stamps the line when it arrives.
    check(abs(host - guest) <= DATE_SLACK, "guest date %d is %+.1fs from the host's %.1f" %
          (guest, guest - host, host), b)


def case_smp2(r):
    b = r.boot("smp2")
    line = b.find(r"^OSPREY-CPUS-ONLINE ")
    check(line is not None, "no CPU count (%s)" % b.outcome(), b)
    fields = line[2].split()
    check(fields[1] == "2" and fields[2] == "0-1",
          "-smp 2: %s processors in /proc/cpuinfo, online %s" % (fields[1], fields[2]), b)
    expect_workloads(b, "smp2")
    expect_clean_log(b, "smp2")
    expect_clean_run(b, "smp2")


def qmp_command(f, command):
    f.write(json.dumps({"execute": command}) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            raise CaseFailure("QMP connection closed waiting for %s's answer" % command)
        msg = json.loads(line)
        if "return" in msg or "error" in msg:
            return msg


def case_acpi_power_button(r):
    a = r.assets
    initrd = linuxboot.make_initramfs(a["BUSYBOX_AMD64"], "acpi-amd64.gz", mode="acpi",
                                      modules=a["MODULES_AMD64"])
    sockdir = tempfile.mkdtemp(prefix="osprey-linux-")
    sock_path = os.path.join(sockdir, "qmp.sock")
    argv = linuxboot.linux_argv(r.emu, a["VMLINUZ_AMD64"], initrd, MEM_MIB,
                                extra=["-qmp", "unix:%s,server=on,wait=off" % sock_path])
    b = Boot(argv, name="test-acpi").launch()
    try:
        ready = b.wait_for_line(r"%s|OSPREY-ACPI-FAIL" % MARKER)
        if ready is None or MARKER not in ready[2]:
            b.finish()
            raise CaseFailure("the guest did not get ready for the button: %s (%s)" %
                              (ready[2] if ready else "no marker", b.outcome()), b)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(sock_path)
        f = s.makefile("rw")
        greeting = json.loads(f.readline())
        check("QMP" in greeting, "QMP greeting: %r" % greeting)
        check("return" in qmp_command(f, "qmp_capabilities"), "qmp_capabilities failed")
        reply = qmp_command(f, "system_powerdown")
        check("return" in reply, "system_powerdown: %r" % reply)
        pressed = b.wait_for_line(r"OSPREY-POWER-BUTTON-PRESSED|OSPREY-ACPI-FAIL")
        s.close()
    except BaseException:
        # The guest waits for a press that will not come: do not sit out the boot timeout.
        b.proc.kill()
        raise
    finally:
        b.finish()
        shutil.rmtree(sockdir, ignore_errors=True)
    check(pressed is not None and "PRESSED" in pressed[2],
          "the guest saw no power button event: %s (%s)" %
          (pressed[2] if pressed else "nothing", b.outcome()), b)
    check(b.find(r"reboot: Power down") is not None, "the kernel did not power down", b)
    check(not b.timed_out and b.rc == 0, "the emulator did not exit 0 (%s)" % b.outcome(), b)
    expect_clean_log(b, "acpi")


def case_amd64_interp(r):
    if r.kind != "osprey":
        raise Skip("the interp backend is Osprey's")
    b = r.boot("amd64-interp")
    expect_clean_run(b, "amd64 on interp")
    expect_workloads(b, "amd64 on interp")
    expect_clean_log(b, "amd64 on interp")


def case_i386_686_boot(r):
    b = r.boot("i386")
    expect_clean_run(b, "686")
    kernel = b.find(r"^OSPREY-KERNEL ")
    check(kernel and kernel[2].split()[-1] == "i686" and kernel[2].split()[1].endswith("-686"),
          "not the 686 kernel: %r" % (kernel[2] if kernel else None), b)
    expect_workloads(b, "686")
    expect_clean_log(b, "686")


def kvm_hardware_reason():
    """None when this host runs KVM on VT-x/SVM, else why the KVM boot is skipped."""
    if linuxboot.emulator()[1] != "osprey":
        return "the KVM boot is an Osprey case"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        return "/dev/kvm does not open: %s" % e.strerror
    with open("/proc/cpuinfo") as f:
        if not any(ln.startswith("flags") and (" vmx" in ln or " svm" in ln) for ln in f):
            return ("the host CPU has no vmx/svm: its KVM emulates every instruction in the "
                    "host kernel (tests/guest runs the small KVM checks here)")
    return None


def case_amd64_kvm(r):
    reason = kvm_hardware_reason()
    if reason:
        raise Skip(reason)
    b = r.boot("amd64-kvm")
    expect_clean_run(b, "amd64 under kvm")
    expect_workloads(b, "amd64 under kvm")
    expect_clean_log(b, "amd64 under kvm")
    line = b.find(r"^OSPREY-CPUS-ONLINE ")
    check(line is not None and line[2].split()[1:3] == ["2", "0-1"],
          "amd64 under kvm -smp 2: CPUs %r" % (line[2] if line else None), b)


CASES = [
    ("amd64-boot", case_amd64_boot),
    ("amd64-workloads", case_amd64_workloads),
    ("amd64-clean-log", case_amd64_clean_log),
    ("ram-size", case_ram_size),
    ("e820-map", case_e820_map),
    ("guest-date", case_guest_date),
    ("smp2", case_smp2),
    ("acpi-power-button", case_acpi_power_button),
    ("i386-686-boot", case_i386_686_boot),
    ("amd64-kvm", case_amd64_kvm),
    ("amd64-interp", case_amd64_interp),
]


# Under ASan/UBSan each boot is several times slower: the sanitizer build boots
# once (the amd64 cases share that boot) and leaves the other boots to the normal
# build's run, so that CI stays within its time budget.
SANITIZER_BUILD_CASES = {"amd64-boot", "amd64-workloads", "amd64-clean-log", "ram-size",
                         "e820-map", "guest-date"}


def main():
    only = sys.argv[1:]
    sanitized = linuxboot.sanitizer_build()
    r = Runner()
    failed = 0
    tails_shown = set()
    for name, fn in CASES:
        if only and name not in only:
            continue
        if sanitized and name not in SANITIZER_BUILD_CASES:
            print("skip %s: sanitizer build: this boot runs in the normal build's make check"
                  % name)
            continue
        start = time.monotonic()
        try:
            r.setup()
            fn(r)
            print("ok %s" % name)
        except Skip as e:
            print("skip %s: %s" % (name, e))
        except CaseFailure as e:
            failed += 1
            print("FAIL %s: %s" % (name, str(e).replace("\n", " | ")))
            # The console tail once per boot, so the reason is on the screen.
            if e.boot is not None and id(e.boot) not in tails_shown:
                tails_shown.add(id(e.boot))
                print("    console tail (%s):" % e.boot.name)
                print(e.boot.tail())
        except Exception as e:  # one broken case must not hide the others
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
        if os.environ.get("OSPREY_LINUX_VERBOSE"):
            print("    (%.1fs)" % (time.monotonic() - start))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
