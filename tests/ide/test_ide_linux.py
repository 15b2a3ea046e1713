#!/usr/bin/env python3
# run-tests-timeout: 900
"""Debian's kernel drives the PIIX IDE controller: ONE boot of the amd64 kernel with a
busybox initramfs (script mode, modules ata_piix, sd_mod, sr_mod, isofs and their
dependencies), two IDE disks and an ISO image on -cdrom.

Cases (one line each: ok NAME | FAIL NAME: why | skip NAME: why):
    ide-linux-detect     ata_piix finds both disks and the CD-ROM; the disks are configured for
                         UDMA (the board's PIIX4 function has UDMA/33 timing), the CD-ROM for DMA
    ide-linux-disks      the guest writes a known pattern with dd onto each disk, drops its
                         caches, reads it back (checksums match), powers off; the host finds the
                         pattern at the right offsets of both image files
    ide-linux-cdrom      the guest mounts the xorriso-made ISO (isofs) and its sha256sum of a
                         file on it matches the host's
    ide-linux-clean      the guest powers off, the emulator exits 0, no BUG/WARNING/Oops in the log

The first disk is raw, the second qcow2 (DISK2_FORMAT, OSPREY_IDE_DISK2_FORMAT): made with Debian's
qemu-img and read back with it, so Osprey's qcow2 writes are checked by another implementation.  The sanitizer build skips the
boot (it runs in the normal build's make check).
"""
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "linux"))
import linuxboot  # noqa: E402
from linuxboot import Boot  # noqa: E402

DISK_MIB = 32
PATTERN_BYTES = 1 << 20
# Where the guest writes the pattern on the master and the slave disk (bytes); not at 0, and
# different, so an offset or a drive mix-up shows.
OFFSETS = [3 << 20, 5 << 20]
DISK2_FORMAT = os.environ.get("OSPREY_IDE_DISK2_FORMAT", "qcow2")
KMODS = ["ata_piix", "sd_mod", "sr_mod", "isofs"]

SCRIPT = r"""
for i in $(seq 50); do
    [ -b /dev/sda ] && [ -b /dev/sdb ] && [ -b /dev/sr0 ] && break
    sleep 0.2
done
echo OSPREY-IDE-DEVICES $(ls /dev | grep -E '^(sd[a-z]|sr[0-9])$' | tr '\n' ' ')
dmesg | grep -E 'ata[0-9]|scsi|sd[a-z]|sr[0-9]' | sed 's/^/OSPREY-IDE-DMESG /'
for f in /sys/class/ata_device/*/xfer_mode; do
    echo OSPREY-IDE-XFER ${f%%/xfer_mode} $(cat ${f%%/xfer_mode}/class) $(cat $f)
done
# sd names follow probe order, which is asynchronous: find each disk by its SCSI address
# (host 0 = the primary channel, target 0 = master, 1 = slave).
for t in 0 1; do
    d=$(ls /sys/bus/scsi/devices/0:0:$t:0/block/)
    case $t in 0) off=%(master)d;; 1) off=%(slave)d;; esac
    echo OSPREY-IDE-DISK $t $d
    dd if=/pattern of=/dev/$d bs=65536 seek=$((off / 65536)) conv=fsync 2>/dev/null ||
        echo "OSPREY-IDE-FAIL dd write $d"
done
sync
echo 3 > /proc/sys/vm/drop_caches
for t in 0 1; do
    d=$(ls /sys/bus/scsi/devices/0:0:$t:0/block/)
    case $t in 0) off=%(master)d;; 1) off=%(slave)d;; esac
    sum=$(dd if=/dev/$d bs=65536 skip=$((off / 65536)) count=%(blocks)d 2>/dev/null |
          sha256sum | cut -d' ' -f1)
    echo OSPREY-IDE-READBACK $t $sum
done
mkdir -p /mnt
if mount -t iso9660 -o ro /dev/sr0 /mnt; then
    echo OSPREY-IDE-ISO $(sha256sum /mnt/data/payload.bin | cut -d' ' -f1)
    umount /mnt
else
    echo "OSPREY-IDE-FAIL mount /dev/sr0"
fi
echo OSPREY-IDE-DONE
poweroff -f
"""


class CaseFailure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise CaseFailure(msg)


def make_disk(path, fmt):
    if fmt == "raw":
        with open(path, "wb") as f:
            f.truncate(DISK_MIB << 20)
    else:
        if not shutil.which("qemu-img"):
            raise Skip("qemu-img (qemu-utils) is needed for a %s disk" % fmt)
        subprocess.run(["qemu-img", "create", "-q", "-f", fmt, path, "%dM" % DISK_MIB],
                       check=True)


def read_image(path, fmt, offset, length):
    if fmt != "raw":
        raw = path + ".raw"
        subprocess.run(["qemu-img", "convert", "-O", "raw", path, raw], check=True)
        path = raw
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


class Run:
    """The one boot and what the cases read from it."""

    def __init__(self):
        self.boot = None
        self.error = None
        self.tmp = tempfile.mkdtemp(prefix="osprey-ide-linux-")

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        if self.boot or self.error:
            if self.error:
                raise self.error
            return self.boot
        try:
            self.boot = self._boot()
        except (Skip, CaseFailure) as e:
            self.error = e
            raise
        except Exception as e:  # set-up trouble is reported once, by every case
            self.error = CaseFailure("%s: %s" % (type(e).__name__, e))
            raise self.error
        return self.boot

    def _boot(self):
        emu, kind = linuxboot.emulator()
        if kind == "osprey" and not os.access(emu[0], os.X_OK):
            raise CaseFailure("osprey binary %s not found" % emu[0])
        if not shutil.which("xorriso"):
            raise Skip("xorriso is not installed (scripts/install-deps.sh --test)")
        try:
            assets = linuxboot.fetch_assets()
        except linuxboot.AssetsError as e:
            if e.unreachable:
                raise Skip(str(e))
            raise CaseFailure(str(e))
        if not os.path.isdir(assets.get("KMODS_AMD64", "")):
            raise CaseFailure("fetch-assets.sh did not produce KMODS_AMD64")
        rng = random.Random(7)
        self.pattern = bytes(rng.getrandbits(8) for _ in range(PATTERN_BYTES))
        pattern_path = os.path.join(self.tmp, "pattern")
        with open(pattern_path, "wb") as f:
            f.write(self.pattern)
        self.disks = [(os.path.join(self.tmp, "disk0.img"), "raw"),
                      (os.path.join(self.tmp, "disk1." + DISK2_FORMAT), DISK2_FORMAT)]
        for path, fmt in self.disks:
            make_disk(path, fmt)
        # The ISO: a file the guest checksums, made with Debian's xorriso.
        tree = os.path.join(self.tmp, "iso")
        os.makedirs(os.path.join(tree, "data"))
        payload = bytes(rng.getrandbits(8) for _ in range(300 * 1024))
        with open(os.path.join(tree, "data", "payload.bin"), "wb") as f:
            f.write(payload)
        self.payload_sha = hashlib.sha256(payload).hexdigest()
        iso = os.path.join(self.tmp, "test.iso")
        subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V", "OSPREY", "-o", iso, tree],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        script = SCRIPT % {"master": OFFSETS[0], "slave": OFFSETS[1],
                           "blocks": PATTERN_BYTES // 65536}
        initrd = linuxboot.make_initramfs(assets["BUSYBOX_AMD64"], "test-ide.gz", mode="script",
                                          kmods=assets["KMODS_AMD64"], kmod=KMODS,
                                          script=script, files=[(pattern_path, "/pattern")])
        extra = []
        for i, (path, fmt) in enumerate(self.disks):
            extra += ["-drive", "file=%s,if=ide,index=%d,format=%s" % (path, i, fmt)]
        extra += ["-cdrom", iso]
        argv = linuxboot.linux_argv(emu, assets["VMLINUZ_AMD64"], initrd, 256, extra=extra)
        return Boot(argv, name="test-ide-linux").run()


def case_detect(r):
    b = r.start()
    devs = b.find(r"^OSPREY-IDE-DEVICES (.*)")
    check(devs is not None, "the script did not run (%s)" % b.outcome())
    names = devs[2].split()[1:]
    check(names == ["sda", "sdb", "sr0"], "block devices in the guest: %r" % names)
    # libata's transfer mode per device, in sysfs (and in dmesg where the kernel prints it).
    # Every position has a sysfs entry; the empty ones have another class ("unknown").
    modes = [line.split()[-1] for _, _, line in b.findall(r"^OSPREY-IDE-XFER ")
             if line.split()[2] in ("ata", "atapi")]
    check(len(modes) == 3, "transfer modes of the three devices: %r" % modes)
    pio = [m for m in modes if "DMA" not in m]
    check(not pio, "a device runs without DMA: %r" % modes)
    disk_modes = [line.split()[-1] for _, _, line in b.findall(r"^OSPREY-IDE-XFER ")
                  if line.split()[2] == "ata"]
    check(len(disk_modes) == 2 and all("UDMA" in m for m in disk_modes),
          "the disks are not in an Ultra DMA mode: %r" % disk_modes)
    for _, _, line in b.findall(r"ata\d\.\d\d: configured for "):
        check("DMA" in line, "dmesg: %s" % line)
    check(b.find(r"failed to set xfermode|disable device") is None,
          "libata had trouble: %s" % (b.find(r"failed to set xfermode|disable device") or
                                      ("", "", ""))[2])


def case_disks(r):
    b = r.start()
    fails = b.findall(r"^OSPREY-IDE-FAIL .*")
    check(not fails, "guest reported: %r" % [f[2] for f in fails])
    want = hashlib.sha256(r.pattern).hexdigest()
    for unit in (0, 1):
        got = b.find(r"^OSPREY-IDE-READBACK %d (\w+)" % unit)
        check(got is not None, "no read-back of unit %d (%s)" % (unit, b.outcome()))
        check(got[2].split()[-1] == want, "unit %d read back differs from what was written" % unit)
    check(b.find(r"^OSPREY-IDE-DONE") is not None and not b.timed_out,
          "the guest did not finish (%s)" % b.outcome())
    for unit, (path, fmt) in enumerate(r.disks):
        data = read_image(path, fmt, OFFSETS[unit], PATTERN_BYTES)
        check(data == r.pattern, "unit %d (%s): the image does not hold the pattern at %d" %
              (unit, fmt, OFFSETS[unit]))
        before = read_image(path, fmt, 0, OFFSETS[unit])
        check(before == bytes(len(before)), "unit %d: bytes before the pattern were written" %
              unit)


def case_cdrom(r):
    b = r.start()
    got = b.find(r"^OSPREY-IDE-ISO (\w+)")
    check(got is not None, "no ISO checksum (%s)" % b.outcome())
    check(got[2].split()[-1] == r.payload_sha, "the file on the ISO reads back differently")


def case_clean(r):
    b = r.start()
    check(b.find(r"reboot: Power down") is not None, "no power down (%s)" % b.outcome())
    check(not b.timed_out and b.rc == 0, "emulator did not exit 0 (%s)" % b.outcome())
    bad = b.bad_log_lines()
    check(not bad, "%d bad kernel log line(s), first: %s" % (len(bad), bad[0] if bad else ""))


CASES = [
    ("ide-linux-detect", case_detect),
    ("ide-linux-disks", case_disks),
    ("ide-linux-cdrom", case_cdrom),
    ("ide-linux-clean", case_clean),
]


def main():
    if linuxboot.sanitizer_build():
        for name, _ in CASES:
            print("skip %s: sanitizer build: this boot runs in the normal build's make check"
                  % name)
        return 0
    r = Run()
    failed = 0
    shown = False
    try:
        for name, fn in CASES:
            try:
                fn(r)
                print("ok %s" % name)
            except Skip as e:
                print("skip %s: %s" % (name, e))
            except CaseFailure as e:
                failed += 1
                print("FAIL %s: %s" % (name, e))
                if r.boot is not None and not shown:
                    shown = True
                    print("    console tail (%s):" % r.boot.name)
                    print(r.boot.tail())
            except Exception as e:  # one broken case must not hide the others
                failed += 1
                print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            sys.stdout.flush()
    finally:
        r.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
