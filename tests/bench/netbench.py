"""make bench, networking: throughput of Osprey's RTL8139 against QEMU's rtl8139, with Linux
in the guest (8139cp: QEMU's rtl8139 is a C+ one; Osprey's 8139too NIC is measured too).

User networking (slirp), one boot per emulator and repetition:
    download  wget of 64 MiB from a host http.server on 127.0.0.1 (as 10.0.2.2), timed in
              the guest (/proc/uptime), sha256 checked
    upload    the guest sends 16 MiB (from tmpfs) with nc to a host TCP sink on 127.0.0.1
              (as 10.0.2.2), timed on the host from accept to EOF: the guest's TX path
    hostfwd   the host sends 16 MiB through hostfwd to a guest nc (guest receives), timed on
              the host from connect to the guest's reply

tap: the same download and upload over -netdev tap, in a network namespace this benchmark
makes itself (unshare -n, a tap0 with 10.9.0.1/24 on the host side, the guest 10.9.0.2, the
http.server and the sink on 10.9.0.1).  Skipped with the reason when that cannot be made
(not root, no /dev/net/tun, no unshare or ip).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "linux"))
import linuxboot  # noqa: E402
import test_net_linux  # noqa: E402

NET_MIB = int(os.environ.get("OSPREY_BENCH_NET_MIB", "64"))
UP_MIB = int(os.environ.get("OSPREY_BENCH_NET_UP_MIB", "16"))
TAP_HOST, TAP_GUEST = "10.9.0.1", "10.9.0.2"

TAP_SCRIPT = r"""
now_cs() { read up idle < /proc/uptime; echo "${up%.*}${up#*.}"; }
ifconfig lo 127.0.0.1 up
ifconfig eth0 @GUEST@ netmask 255.255.255.0 up
n=0
while [ $n -lt 20 ] && ! ping -c 1 -W 1 @HOST@ >/dev/null 2>&1; do n=$((n + 1)); done
t=$(now_cs)
if wget -q -O /tmp/big http://@HOST@:@PORT@/big.bin; then
    t2=$(now_cs)
    echo "OSPREY-WGET big $(stat -c %s /tmp/big) $((t2 - t)) $(sha256sum /tmp/big | cut -d' ' -f1)"
else
    echo "OSPREY-WGET-FAIL big"
fi
rm -f /tmp/big
dd if=/dev/zero of=/tmp/send bs=1048576 count=@UP@ 2>/dev/null
nc @HOST@ @SINK@ < /tmp/send
echo OSPREY-NET-DONE
poweroff -f
"""


def mbps(nbytes, seconds):
    return nbytes / seconds / 1e6 if seconds and seconds > 0 else None


def download_mbps(boot, digest):
    """(MB/s or None, problem or None) from the guest's OSPREY-WGET line."""
    line = boot.find(r"^OSPREY-WGET big ")
    if not line:
        return None, "no download (%s)" % boot.outcome()
    parts = line[2].split()
    if parts[4] != digest:
        return None, "download sha256 mismatch"
    return mbps(int(parts[2]), int(parts[3]) / 100.0), None


def measure(emu, name, cplus=True):
    """{metric: MB/s} and a problem (or None) for one boot over user networking."""
    boot, facts = test_net_linux.run_guest(emu, big_mib=NET_MIB, name=name, single_nic=True,
                                           up_mib=UP_MIB, send_mib=UP_MIB, cplus=cplus)
    res = {}
    res["down"], problem = download_mbps(boot, facts["digests"]["big"])
    send = facts.get("send")
    if send and send[0] == UP_MIB << 20:
        res["up"] = mbps(send[0], send[1])
    elif problem is None:
        problem = "guest upload: host got %r (%s)" % (send, boot.outcome())
    if facts["upload"] and facts["upload"][1] == "token-" + facts["token"]:
        res["in"] = mbps(facts["up_bytes"], facts["upload"][0])
    elif problem is None:
        problem = "no hostfwd transfer (%s)" % boot.outcome()
    return res, problem


def tap_child(emu):
    """In a fresh network namespace: make tap0, boot the guest on it, print one JSON line."""
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"],
                ["ip", "addr", "add", TAP_HOST + "/24", "dev", "tap0"],
                ["ip", "link", "set", "tap0", "up"]):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assets = linuxboot.fetch_assets()
    www = os.path.join(linuxboot.work_dir(), "net-www")
    os.makedirs(www, exist_ok=True)
    digest = test_net_linux.make_file(os.path.join(www, "big.bin"), NET_MIB, b"big")
    srv = test_net_linux.http_server(www, host=TAP_HOST)
    sink = test_net_linux.Sink(host=TAP_HOST)
    script = (TAP_SCRIPT.replace("@HOST@", TAP_HOST).replace("@GUEST@", TAP_GUEST)
              .replace("@PORT@", str(srv.server_address[1])).replace("@SINK@", str(sink.port))
              .replace("@UP@", str(UP_MIB)))
    initrd = linuxboot.make_initramfs(assets["BUSYBOX_AMD64"], "bench-tap.gz", mode="script",
                                      kmods=assets["KMODS_AMD64"], kmod=["8139cp", "8139too"],
                                      script=script)
    argv = linuxboot.linux_argv(
        emu, assets["VMLINUZ_AMD64"], initrd, mem=512,
        extra=["-netdev", "tap,id=t0,ifname=tap0,script=no,downscript=no",
               "-device", "rtl8139,netdev=t0,mac=52:54:00:12:34:10"])
    boot = linuxboot.Boot(argv, name="bench-tap").run()
    srv.shutdown()
    res = {}
    res["down"], problem = download_mbps(boot, digest)
    send = sink.result
    sink.close()
    if send and send[0] == UP_MIB << 20:
        res["up"] = mbps(send[0], send[1])
    elif problem is None:
        problem = "guest upload: host got %r (%s)" % (send, boot.outcome())
    print("TAP-RESULT " + json.dumps({"res": res, "problem": problem}))


def tap_unavailable():
    if os.geteuid() != 0:
        return "not root: a tap device needs CAP_NET_ADMIN in a namespace of our own"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    for tool in ("unshare", "ip"):
        if not shutil.which(tool):
            return "%s is not installed" % tool
    probe = subprocess.run(["unshare", "-n", "ip", "tuntap", "add", "dev", "tap0", "mode", "tap"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if probe.returncode:
        return "cannot make a tap device in a new namespace: %s" % (
            probe.stdout.decode(errors="replace").strip() or "exit %d" % probe.returncode)
    return None


def measure_tap(emu):
    proc = subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__),
                           "--tap-child", json.dumps(emu)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in proc.stdout.decode(errors="replace").splitlines():
        if line.startswith("TAP-RESULT "):
            got = json.loads(line[len("TAP-RESULT "):])
            return got["res"], got["problem"]
    return {}, "tap run printed no result (exit %d)" % proc.returncode


METRICS = (("user", "down", "user: guest download (wget)"),
           ("user", "up", "user: guest upload (nc to host)"),
           ("user", "in", "user: hostfwd into guest"),
           ("tap", "down", "tap: guest download (wget)"),
           ("tap", "up", "tap: guest upload (nc to host)"))


def bench_network(emus, reps):
    """emus: {config name: argv prefix}.  Prints a table; returns True if every run worked."""
    configs = dict(emus)
    if "osprey" in emus:
        # Osprey's normal-mode NIC (Linux 8139too) as well; QEMU's rtl8139 has only C+ mode.
        configs["osprey-8139too"] = emus["osprey"]
    samples = {c: {(k, m): [] for k, m, _ in METRICS} for c in configs}
    tap_why = tap_unavailable()
    ok = True
    for rep in range(reps):
        for c, emu in configs.items():
            runs = [("user",) + measure(emu, "bench-net-%s" % c, cplus=c != "osprey-8139too")]
            if not tap_why and c in emus:
                runs.append(("tap",) + measure_tap(emu))
            for kind, res, problem in runs:
                for m, v in res.items():
                    if v:
                        samples[c][(kind, m)].append(v)
                print("rep %d %-15s %-4s %s%s" % (
                    rep + 1, c, kind, "  ".join("%s %.2f MB/s" % (m, v) for m, v in res.items()
                                                if v),
                    "  [%s]" % problem if problem else ""))
                sys.stdout.flush()
                ok = ok and problem is None
    print()
    print("Network, RTL8139 (8139cp unless named), %d MiB down, %d MiB up" % (NET_MIB, UP_MIB))
    head = "%-34s" % "metric (median MB/s)" + "".join("%16s" % c for c in configs)
    ratios = [c for c in emus if c != "qemu" and "qemu" in emus]
    head += "".join("%16s" % ("%s/qemu" % c) for c in ratios)
    print(head)
    print("-" * len(head))
    for kind, m, label in METRICS:
        med = {c: statistics.median(samples[c][(kind, m)]) for c in configs
               if samples[c][(kind, m)]}
        if kind == "tap" and tap_why:
            continue
        row = "%-34s" % label + "".join("%16s" % ("%.2f" % med[c] if c in med else "n/a")
                                        for c in configs)
        for c in ratios:
            row += "%16s" % ("%.2fx" % (med[c] / med["qemu"]) if c in med and med.get("qemu")
                             else "n/a")
        print(row)
    if tap_why:
        print("tap: skipped: %s" % tap_why)
    return ok


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--tap-child":
        tap_child(json.loads(sys.argv[2]))
    else:
        # Standalone: python3 tests/bench/netbench.py [reps] (Osprey from OSPREY, and QEMU).
        reps = int(sys.argv[1]) if len(sys.argv) > 1 else 1
        emus = {"osprey": linuxboot.emulator("osprey")[0]}
        if shutil.which("qemu-system-x86_64"):
            emus["qemu"] = linuxboot.emulator("qemu")[0]
        sys.exit(0 if bench_network(emus, reps) else 1)
