#!/usr/bin/env python3
"""The IDE disk workload of make bench: guest sequential write and read throughput (MB/s)
through the PIIX IDE controller (ata_piix, bus-master DMA), on Osprey and on Debian's
qemu-system-x86_64 with the same raw image and the same initramfs, taking turns.

The guest writes SIZE_MIB with dd (O_DIRECT when busybox dd offers it, else fsync at the
end), drops its caches, and reads it back the same way; times come from /proc/uptime in the
guest.  Nothing passes or fails on speed; the exit status is 1 only when a run did not finish.

Usage: tests/bench/bench_ide.py [--reps N] [--config NAME ...] [--size-mib N] [--format raw|qcow2 ...]
(bench.py runs it after its own workloads.)
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "linux"))
import linuxboot  # noqa: E402
from linuxboot import Boot  # noqa: E402

CONFIGS = {
    "qemu": ("qemu", "tcg"),
    "osprey": ("osprey", "tcg"),
}
TIMEOUT = float(os.environ.get("OSPREY_BENCH_TIMEOUT", "3600"))

SCRIPT = r"""
for i in $(seq 50); do [ -b /dev/sda ] && break; sleep 0.2; done
now() { cut -d' ' -f1 /proc/uptime; }
direct=oflag=direct
dd if=/dev/zero of=/dev/sda bs=1M count=1 oflag=direct 2>/dev/null || direct=conv=fsync
t0=$(now)
dd if=/dev/zero of=/dev/sda bs=1M count=%(mib)d $direct 2>/dev/null || echo OSPREY-IDE-BENCH-FAIL write
sync
t1=$(now)
echo 3 > /proc/sys/vm/drop_caches
rdirect=iflag=direct
[ "$direct" = conv=fsync ] && rdirect=
t2=$(now)
dd if=/dev/sda of=/dev/null bs=1M count=%(mib)d $rdirect 2>/dev/null || echo OSPREY-IDE-BENCH-FAIL read
t3=$(now)
echo OSPREY-IDE-BENCH write $t0 $t1 $direct
echo OSPREY-IDE-BENCH read $t2 $t3
poweroff -f
"""


def make_disk(path, fmt, size):
    """A fresh, empty image: a sparse raw file, or a qcow2 made by osprey-img (64 KiB clusters)."""
    if fmt == "raw":
        with open(path, "wb") as f:
            f.truncate(size)
        return
    img = os.path.join(os.path.dirname(linuxboot.emulator("osprey", "tcg")[0][0]), "osprey-img")
    subprocess.run([img, "create", "-f", "qcow2", path, str(size)], check=True,
                   stdout=subprocess.DEVNULL)


def run_once(emu, assets, initrd, disk, name, fmt="raw"):
    argv = linuxboot.linux_argv(emu, assets["VMLINUZ_AMD64"], initrd, 256,
                                extra=["-drive", "file=%s,if=ide,index=0,format=%s" % (disk, fmt)])
    b = Boot(argv, name=name, timeout=TIMEOUT).run()
    res = {}
    for _, _, line in b.findall(r"^OSPREY-IDE-BENCH (write|read) "):
        parts = line.split()
        res[parts[1]] = float(parts[3]) - float(parts[2])
    problems = [line for _, _, line in b.findall(r"^OSPREY-IDE-BENCH-FAIL")]
    if len(res) != 2:
        problems.append("no result (%s)" % b.outcome())
    return res, problems


def run(configs=None, reps=3, size_mib=128, formats=("raw",)):
    """Run the workload and print its table; returns 0, or 1 if a run did not finish."""
    configs = [c for c in (configs or list(CONFIGS)) if c in CONFIGS]
    try:
        assets = linuxboot.fetch_assets()
    except linuxboot.AssetsError as e:
        print("bench-ide: %s" % e)
        return 1
    initrd = linuxboot.make_initramfs(assets["BUSYBOX_AMD64"], "bench-ide.gz", mode="script",
                                      kmods=assets["KMODS_AMD64"], kmod=["ata_piix", "sd_mod"],
                                      script=SCRIPT % {"mib": size_mib})
    emus = {}
    for c in configs:
        emu, _ = linuxboot.emulator(*CONFIGS[c])
        if not (shutil.which(emu[0]) or os.access(emu[0], os.X_OK)):
            print("bench-ide: %s: %s not found" % (c, emu[0]))
            return 1
        emus[c] = emu
    tmp = tempfile.mkdtemp(prefix="osprey-bench-ide-")
    bad = False
    try:
        for fmt in formats:
            disk = os.path.join(tmp, "disk." + fmt)
            samples = {c: {"write": [], "read": []} for c in configs}
            for rep in range(reps):
                for c in configs:
                    make_disk(disk, fmt, (size_mib + 16) << 20)
                    res, probs = run_once(emus[c], assets, initrd, disk, "bench-ide-%s" % c, fmt)
                    for k, secs in res.items():
                        if secs > 0:
                            samples[c][k].append(size_mib * 1.048576 / secs)
                    line = "  ".join("%s %.1f MB/s" % (k, size_mib * 1.048576 / v)
                                     for k, v in sorted(res.items()) if v > 0)
                    print("rep %d ide-%-10s %-5s %s%s" % (
                        rep + 1, c, fmt, line, "  [%s]" % "; ".join(probs) if probs else ""))
                    sys.stdout.flush()
                    bad |= bool(probs)
            print_table(configs, samples, size_mib, fmt)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


def print_table(configs, samples, size_mib, fmt):
    ratios = [c for c in configs if c != "qemu" and "qemu" in configs]
    head = "%-30s" % ("IDE %s disk, %d MiB (median MB/s)" % (fmt, size_mib)) + \
        "".join("%15s" % c for c in configs) + "".join("%20s" % ("%s/qemu" % c) for c in ratios)
    print()
    print(head)
    print("-" * len(head))
    for k in ("write", "read"):
        med = {c: statistics.median(samples[c][k]) for c in configs if samples[c][k]}
        row = "%-30s" % ("sequential %s (guest dd)" % k)
        row += "".join("%15s" % ("%.1f" % med[c] if c in med else "n/a") for c in configs)
        for c in ratios:
            row += "%20s" % ("%.2fx" % (med[c] / med["qemu"]) if c in med and med.get("qemu")
                             else "n/a")
        print(row)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")))
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS))
    ap.add_argument("--size-mib", type=int, default=128)
    ap.add_argument("--format", action="append", choices=("raw", "qcow2"))
    args = ap.parse_args()
    return run(args.config, max(1, args.reps), args.size_mib, args.format or ("raw", "qcow2"))


if __name__ == "__main__":
    sys.exit(main())
