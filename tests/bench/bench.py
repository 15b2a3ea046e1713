#!/usr/bin/env python3
"""make bench: Debian's Linux on Osprey and on Debian's qemu-system-x86_64, side by side.

In one run, with the configurations taking turns in every repetition (so a machine that gets
busier or quieter shifts them all alike), it measures:
    boot-to-marker   host wall seconds from launch to /init's OSPREY-INIT-MARKER (amd64)
    sha256/gzip/fork-exec/int-loop   in-guest seconds of each workload (large sizes)
    total            host wall seconds of the whole amd64 run, launch to exit
    686-boot         host wall seconds to the marker with the 32-bit 686 kernel
and prints the medians as a table with the ratios Osprey/QEMU, and for the in-guest workloads
Osprey/native (the same busybox command run directly on this host, when it can run it).

Per Osprey run it also records, from the `osprey-stats:` line that `-d tb_summary` prints at exit
(counters that cost nothing while running): the blocks translated, the translated code size, the
TLB misses (inline-compare misses per 1000 block entries, and per block entry), and the peak RSS
beyond guest RAM (the child's ru_maxrss minus -m). QEMU's peak RSS is shown for comparison.
Nothing passes or fails on time; the exit status is 1 only when a run did not complete (no
marker, a FAIL line, a timeout).

Usage: tests/bench/bench.py [--reps N] [--config NAME ...] [--size large|small]
Configurations: qemu (qemu-system-x86_64 -accel tcg), osprey (-accel tcg), osprey-interp
(-accel tcg,backend=interp). Osprey is $OSPREY, else build/osprey. BENCH_REPS sets the
default repetitions (3), OSPREY_BENCH_TIMEOUT the seconds one boot may take (3600).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "linux"))
import linuxboot  # noqa: E402
from linuxboot import Boot  # noqa: E402


def ending(b):
    """How a run ended, with the last console line (often the emulator's own error)."""
    last = b.lines[-1][2].strip() if b.lines else ""
    return b.outcome() + (": " + last[:120] if last else "")

CONFIGS = {
    "qemu": ("qemu", "tcg"),
    "osprey": ("osprey", "tcg"),
    "osprey-interp": ("osprey", "tcg,backend=interp"),
}
MEM_MIB = 512
# The large workloads on Osprey's interpreter can take many minutes: one boot may take an hour.
TIMEOUT = float(os.environ.get("OSPREY_BENCH_TIMEOUT", "3600"))


class MeasuredBoot(Boot):
    """A Boot that also records the child's peak RSS (wait4's ru_maxrss, in KiB)."""

    maxrss_kib = None

    def finish(self):
        left = max(0.0, self.start + self.timeout - time.monotonic())
        deadline = time.monotonic() + left
        while True:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.maxrss_kib = usage.ru_maxrss
                # Hand the status to Popen so that the base class sees the exit code.
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        return super().finish()


def stats_of(b):
    """{key: int} from Osprey's osprey-stats line (summed over vCPUs), or {}."""
    out = {}
    for _, _, text in b.lines:
        m = re.match(r"^osprey-stats: (.*)$", text.strip())
        if not m:
            continue
        for kv in m.group(1).split():
            k, _, v = kv.partition("=")
            if k != "cpu" and v.isdigit():
                out[k] = out.get(k, 0) + int(v)
    return out


def add_run_metrics(results, b, kind, prefix=""):
    """Peak RSS beyond guest RAM, and Osprey's translation and TLB counters."""
    if b.maxrss_kib:
        # Guest RAM is mapped lazily: pages the guest never touched are not resident, so
        # "beyond guest RAM" can be negative; the plain peak is shown too.
        results[prefix + "rss-mib"] = b.maxrss_kib / 1024.0
        results[prefix + "rss-extra-mib"] = b.maxrss_kib / 1024.0 - MEM_MIB
    st = stats_of(b) if kind == "osprey" else {}
    if st.get("block_entries"):
        results[prefix + "blocks-translated"] = st["translated"]
        results[prefix + "code-mib"] = st["code_bytes"] / (1 << 20)
        results[prefix + "tlb-miss-per-kblock"] = 1000.0 * st["tlb_misses"] / st["block_entries"]


def run_amd64(emu, assets, initrd, name):
    b = MeasuredBoot(linuxboot.linux_argv(emu, assets["VMLINUZ_AMD64"], initrd, MEM_MIB),
                     name=name, timeout=TIMEOUT).run()
    passed, failed = b.workloads()
    results = {}
    marker = b.marker_seconds()
    problems = []
    if marker is None:
        problems.append("no marker (%s)" % ending(b))
    else:
        results["boot-to-marker"] = marker
    for wname, secs in passed.items():
        # "sha256-64MiB" -> sha256, "fork-exec-2000" -> fork-exec, "int-loop-500000" -> int
        key = next((k for k in ("sha256", "gzip", "fork-exec", "int") if wname.startswith(k)),
                   wname)
        results[key] = secs
    for wname, why in failed.items():
        problems.append("FAIL %s %s" % (wname, why))
    if b.find(r"^OSPREY-WORKLOADS-DONE") is None and marker is not None:
        problems.append("the workloads did not finish (%s)" % ending(b))
    if not problems and not b.timed_out and b.rc == 0 and b.lines:
        results["total"] = b.lines[-1][0]
    elif not problems:
        problems.append(ending(b))
    return results, problems, b


def run_686(emu, assets, initrd, name):
    b = MeasuredBoot(linuxboot.linux_argv(emu, assets["VMLINUZ_686"], initrd, MEM_MIB),
                     name=name, timeout=TIMEOUT).run()
    marker = b.marker_seconds()
    if marker is None:
        return {}, ["686: no marker (%s)" % ending(b)], b
    return {"686-boot": marker}, [], b


def workload_label(name, sizes):
    return {"sha256": "sha256 %d MiB" % sizes["sha_mib"],
            "gzip": "gzip+gunzip %d MiB" % sizes["gzip_mib"],
            "fork-exec": "fork+exec x%d" % sizes["forks"],
            "int": "int loop x%d" % sizes["loop"]}.get(name, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")))
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS),
                    help="run only these configurations (repeatable)")
    ap.add_argument("--size", choices=["large", "small"], default="large")
    ap.add_argument("--no-native", action="store_true",
                    help="do not time the workloads natively on the host")
    args = ap.parse_args()
    configs = args.config or ["qemu", "osprey", "osprey-interp"]
    if args.reps < 1:
        ap.error("--reps must be at least 1")

    try:
        assets = linuxboot.fetch_assets()
    except linuxboot.AssetsError as e:
        print("bench: %s" % e)
        return 1
    initrd = linuxboot.make_initramfs(assets["BUSYBOX_AMD64"], "bench-amd64.gz", size=args.size)
    initrd686 = linuxboot.make_initramfs(assets["BUSYBOX_I386"], "bench-686.gz", mode="boot")

    emus = {}
    for c in configs:
        kind, accel = CONFIGS[c]
        emu, _ = linuxboot.emulator(kind, accel)
        if not (shutil.which(emu[0]) or os.access(emu[0], os.X_OK)):
            print("bench: %s: %s not found" % (c, emu[0]))
            return 1
        if kind == "osprey":
            emu = emu + ["-d", "tb_summary"]
        emus[c] = emu
    sizes = read_sizes(args.size)
    native = {} if args.no_native else native_times(assets["BUSYBOX_AMD64"], sizes)

    samples = {c: {} for c in configs}
    problems = {c: [] for c in configs}
    for rep in range(args.reps):
        for c in configs:
            kind = CONFIGS[c][0]
            res, probs, b = run_amd64(emus[c], assets, initrd, "bench-%s" % c)
            add_run_metrics(res, b, kind)
            res6, probs6, b6 = run_686(emus[c], assets, initrd686, "bench-%s-686" % c)
            add_run_metrics(res6, b6, kind, "686-")
            res.update(res6)
            for k, v in res.items():
                samples[c].setdefault(k, []).append(v)
            problems[c] += ["rep %d: %s" % (rep + 1, p) for p in probs + probs6]
            line = "  ".join("%s %.2f" % (k, v) for k, v in sorted(res.items()))
            print("rep %d %-14s %s%s" % (rep + 1, c, line, "  [%s]" % "; ".join(probs + probs6)
                                         if probs or probs6 else ""))
            sys.stdout.flush()

    # The table: medians, and each Osprey configuration against QEMU.
    metrics = ["boot-to-marker", "sha256", "gzip", "fork-exec", "int", "total", "686-boot"]
    labels = {"boot-to-marker": "amd64 boot to marker (wall)", "total": "amd64 whole run (wall)",
              "686-boot": "686 boot to marker (wall)"}
    head = "%-30s" % "metric (median seconds)" + "".join("%15s" % c for c in configs)
    ratios = [c for c in configs if c != "qemu" and "qemu" in configs]
    head += "".join("%20s" % ("%s/qemu" % c) for c in ratios)
    nat = [c for c in configs if c != "qemu"] if native else []
    head += "%10s" % "native" if native else ""
    head += "".join("%20s" % ("%s/native" % c) for c in nat)
    print()
    print("Linux %s, -m %d, %d repetition(s), workloads: %s size" %
          (os.path.basename(assets["VMLINUZ_AMD64"]), MEM_MIB, args.reps, args.size))
    print(head)
    print("-" * len(head))
    for m in metrics:
        label = labels.get(m) or workload_label(m, sizes) + " (guest)"
        med = {c: statistics.median(samples[c][m]) for c in configs if samples[c].get(m)}
        row = "%-30s" % label + "".join("%15s" % ("%.2f" % med[c] if c in med else "n/a")
                                        for c in configs)
        for c in ratios:
            if c in med and med.get("qemu"):
                row += "%20s" % ("%.2fx" % (med[c] / med["qemu"]))
            else:
                row += "%20s" % "n/a"
        if native:
            row += "%10s" % ("%.2f" % native[m] if m in native else "")
            for c in nat:
                ok = c in med and native.get(m)
                row += "%20s" % ("%.1fx" % (med[c] / native[m]) if ok else "")
        print(row)
    # Per-run figures besides time: medians per configuration.
    extra = ["blocks-translated", "code-mib", "tlb-miss-per-kblock", "rss-mib", "rss-extra-mib",
             "686-blocks-translated", "686-code-mib", "686-tlb-miss-per-kblock", "686-rss-mib",
             "686-rss-extra-mib"]
    xlabels = {"blocks-translated": "amd64 blocks translated", "code-mib": "amd64 code MiB",
               "tlb-miss-per-kblock": "amd64 TLB misses/1k blocks",
               "rss-mib": "amd64 peak RSS, MiB", "rss-extra-mib": "amd64 peak RSS - RAM, MiB"}
    print()
    print("%-30s" % "per run (median)" + "".join("%15s" % c for c in configs))
    for m in extra:
        label = xlabels.get(m) or ("686 " + xlabels[m[4:]][6:])
        med = {c: statistics.median(samples[c][m]) for c in configs if samples[c].get(m)}
        if not med:
            continue
        print("%-30s" % label + "".join("%15s" % (fmt_num(med[c]) if c in med else "n/a")
                                        for c in configs))
    bad = not bench_network_section(emus, args.reps)
    for c in configs:
        for p in problems[c]:
            print("bench: %s: %s" % (c, p))
            bad = True
    bad = run_ide_bench(configs, args.reps) or bad
    return 1 if bad else 0


def run_ide_bench(configs, reps):
    """Guest IDE disk throughput (tests/bench/bench_ide.py), after the Linux workloads."""
    import bench_ide
    print()
    return bench_ide.run([c for c in configs if c in bench_ide.CONFIGS], reps,
                         formats=("raw", "qcow2")) != 0


def fmt_num(v):
    return "%.0f" % v if abs(v) >= 100 else "%.2f" % v


# The workloads of make-initramfs.py's test mode, as host shell commands for the same busybox.
NATIVE_CMDS = {
    "sha256": "dd if=/dev/zero bs=1048576 count={sha_mib} 2>/dev/null | {bb} sha256sum >/dev/null",
    "gzip": "{bb} gzip -c {tmp}/data > {tmp}/data.gz && {bb} gunzip -c {tmp}/data.gz | "
            "{bb} sha256sum >/dev/null",
    "fork-exec": "i=0; while [ $i -lt {forks} ]; do {tmp}/true; i=$((i + 1)); done",
    "int": "i=0; s=0; while [ $i -lt {loop} ]; do s=$(((s * 31 + i) % 1000003)); "
           "i=$((i + 1)); done",
}


def native_times(busybox, sizes):
    """Wall seconds of each workload run directly on this host by the same busybox (median of
    3), or {} when the host cannot run it. The commands, sizes and gzip data are the guest's."""
    mk = load_mkinitramfs()
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        bb = os.path.join(tmp, "busybox")
        shutil.copy(busybox, bb)
        os.chmod(bb, 0o755)
        os.symlink(bb, os.path.join(tmp, "true"))
        with open(os.path.join(tmp, "data"), "wb") as f:
            f.write(mk.gzip_block() * sizes["gzip_mib"])
        try:
            subprocess.run([bb, "true"], check=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return {}
        for name, cmd in NATIVE_CMDS.items():
            line = cmd.format(bb=bb, tmp=tmp, **sizes)
            samples = []
            for _ in range(3):
                t0 = time.monotonic()
                subprocess.run([bb, "sh", "-c", line], check=False)
                samples.append(time.monotonic() - t0)
            times[name] = statistics.median(samples)
    return times


def bench_network_section(emus, reps):
    """Network throughput (tests/bench/netbench.py); BENCH_NET=0 leaves it out."""
    if os.environ.get("BENCH_NET", "1") == "0":
        return True
    import netbench
    print()
    return netbench.bench_network({c: e for c, e in emus.items() if c != "osprey-interp"}, reps)


def load_mkinitramfs():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_initramfs", linuxboot.MKINITRAMFS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_sizes(size):
    """The workload sizes make-initramfs.py uses, for the labels."""
    return load_mkinitramfs().SIZES[size]


if __name__ == "__main__":
    sys.exit(main())
