"""make bench, networking: guest download and upload throughput over user networking
(slirp) with the RTL8139 in C+ mode (Linux 8139cp), Osprey against QEMU's rtl8139.

    download  wget of 64 MiB from a host http.server on 127.0.0.1 (as 10.0.2.2), timed in
              the guest (/proc/uptime), sha256 checked
    upload    the host sends 16 MiB through hostfwd to a guest busybox nc, timed on the host
              from connect to the guest's reply

tap in a network namespace is not measured yet (it needs root and a namespace the benchmark
makes itself): reported as skipped with that reason.
"""
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "linux"))
import test_net_linux  # noqa: E402

NET_MIB = int(os.environ.get("OSPREY_BENCH_NET_MIB", "64"))
UP_MIB = int(os.environ.get("OSPREY_BENCH_NET_UP_MIB", "16"))


def measure(emu, name):
    """(download MB/s, upload MB/s, problem or None) for one boot."""
    boot, facts = test_net_linux.run_guest(emu, big_mib=NET_MIB, name=name, single_nic=True,
                                           up_mib=UP_MIB)
    line = boot.find(r"^OSPREY-WGET big ")
    down = up = None
    problem = None
    if line:
        parts = line[2].split()
        size, cs, digest = int(parts[2]), int(parts[3]), parts[4]
        if digest != facts["digests"]["big"]:
            problem = "download sha256 mismatch"
        elif cs > 0:
            down = size / (cs / 100.0) / 1e6
    else:
        problem = "no download (%s)" % boot.outcome()
    if facts["upload"] and facts["upload"][1] == "token-" + facts["token"]:
        up = facts["up_bytes"] / facts["upload"][0] / 1e6
    elif problem is None:
        problem = "no upload (%s)" % boot.outcome()
    return down, up, problem


def bench_network(emus, reps):
    """emus: {config name: argv prefix}.  Prints a table; returns True if every run worked."""
    samples = {c: {"down": [], "up": []} for c in emus}
    ok = True
    for rep in range(reps):
        for c, emu in emus.items():
            down, up, problem = measure(emu, "bench-net-%s" % c)
            if down:
                samples[c]["down"].append(down)
            if up:
                samples[c]["up"].append(up)
            print("rep %d %-14s net download %s MB/s  upload %s MB/s%s" % (
                rep + 1, c, "%.2f" % down if down else "n/a", "%.2f" % up if up else "n/a",
                "  [%s]" % problem if problem else ""))
            sys.stdout.flush()
            ok = ok and problem is None
    print()
    print("Network over user networking (slirp), RTL8139 C+ / 8139cp, %d MiB down, %d MiB up"
          % (NET_MIB, UP_MIB))
    head = "%-30s" % "metric (median MB/s)" + "".join("%15s" % c for c in emus)
    ratios = [c for c in emus if c != "qemu" and "qemu" in emus]
    head += "".join("%20s" % ("%s/qemu" % c) for c in ratios)
    print(head)
    print("-" * len(head))
    for m, label in (("down", "guest download (wget)"), ("up", "guest upload (hostfwd nc)")):
        med = {c: statistics.median(samples[c][m]) for c in emus if samples[c][m]}
        row = "%-30s" % label + "".join("%15s" % ("%.2f" % med[c] if c in med else "n/a")
                                        for c in emus)
        for c in ratios:
            row += "%20s" % ("%.2fx" % (med[c] / med["qemu"]) if c in med and med.get("qemu")
                             else "n/a")
        print(row)
    print("tap: skipped: a tap device in a private network namespace is not set up by the "
          "benchmark yet")
    return ok
