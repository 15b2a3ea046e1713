#!/usr/bin/env python3
# run-tests-timeout: 900
"""Networking with real guests: Debian's kernel and busybox on three RTL8139s, in ONE boot,
plus a small second VM booting alongside for the socket pair.

    eth A: rtl8139 revision 0x10 -> Linux 8139too (normal mode), on -netdev user (10.0.2.0/24)
    eth B: rtl8139 revision 0x20 -> Linux 8139cp (C+ mode),     on -netdev user,net=10.0.3.0/24
    eth C: rtl8139 (C+)          -> 8139cp, on -netdev socket,listen=  <-> the peer VM's
           8139too NIC on -netdev socket,connect= (192.168.77.1 <-> .2)

Cases (ok NAME | FAIL NAME: why | skip NAME: why):
    drivers        8139too and 8139cp each bind a NIC
    dhcp           udhcpc gets a lease from slirp on both user NICs
    wget-8139too   64 MiB from a host http.server on 127.0.0.1 (reached as 10.0.2.2), sha256 right
    wget-8139cp    8 MiB the same way over the C+ NIC (10.0.3.2), sha256 right
    hostfwd        the host reaches a guest nc through hostfwd: 4 MiB up (sha256 checked in the
                   guest) and a token back
    upload         the guest sends 4 MiB with nc to a host TCP sink on 127.0.0.1 (as 10.0.2.2):
                   the path where slirp gets the guest's segments in batches and thins its ACKs
    socket-pair    over the socket backend the first VM wgets a token from the peer VM's httpd
                   and sends 2 MiB to the peer's nc (sha256 checked in the peer)
    clean-log      no BUG:/WARNING:/Oops/panic/Call Trace in either kernel log

The 8139too download once stalled (for good, or for 51 s): with RCR.WRAP the device put a
frame's data at the ring's start when its header ended the ring, so 8139too read stale bytes
and TCP lost a segment, and slirp's retransmit timer did not run while it had no socket to
poll.  Both are fixed; 64 MiB over 8139too is the check that they stay fixed.
The guest prints its own timings; the throughput figures go to make bench (tests/bench).
In the sanitizer build the boots are skipped (the register-level qtests cover the device there).
"""
import hashlib
import http.server
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linuxboot  # noqa: E402
from linuxboot import Boot  # noqa: E402

BIG_MIB = int(os.environ.get("OSPREY_NET_WGET_MIB", "64"))
CP_MIB = 8
UP_MIB = 4

GUEST_SCRIPT = r"""
now_cs() { read up idle < /proc/uptime; echo "${up%.*}${up#*.}"; }
cat > /tmp/dhcp.sh <<'EOF'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ifconfig $interface $ip netmask ${subnet:-255.255.255.0} up
if [ "$interface" = "$(cat /tmp/main_if)" ]; then
    route add default gw $router dev $interface
    echo "nameserver $dns" > /etc/resolv.conf
fi
echo "OSPREY-LEASE $interface $ip $router" > /dev/console
EOF
chmod +x /tmp/dhcp.sh
ifconfig lo 127.0.0.1 up
main=; cp=; peer=
for d in /sys/class/net/eth*; do
    i=${d##*/}
    drv=$(basename $(readlink $d/device/driver))
    echo "OSPREY-NETDRV $i $drv"
    # The MAC says which NIC is which (QEMU and the benchmark give only :10, a C+ one).
    case $(cat $d/address) in
    *:10) main=$i ;;
    *:20) cp=$i ;;
    *:30) peer=$i ;;
    esac
done
echo $main > /tmp/main_if
for i in $main $cp; do
    ifconfig $i up
    udhcpc -i $i -n -q -t 10 -T 2 -s /tmp/dhcp.sh >/dev/null 2>&1 || echo "OSPREY-DHCP-FAIL $i"
done
fetch() {  # name url expected-sha
    t=$(now_cs)
    if wget -q -O /tmp/$1 "$2"; then
        t2=$(now_cs)
        sum=$(sha256sum /tmp/$1 | cut -d' ' -f1)
        size=$(stat -c %s /tmp/$1)
        echo "OSPREY-WGET $1 $size $((t2 - t)) $sum"
    else
        echo "OSPREY-WGET-FAIL $1"
    fi
    rm -f /tmp/$1
}
fetch big http://10.0.2.2:@PORT@/big.bin
[ -n "$cp" ] && fetch cp http://10.0.3.2:@PORT@/cp.bin
if [ -n "$peer" ]; then
    # The second VM, wired to this NIC by -netdev socket: fetch its token from its httpd,
    # then send it 2 MiB through nc (the peer checks the sha256).
    ifconfig $peer 192.168.77.1 netmask 255.255.255.0 up
    dd if=/dev/urandom of=/tmp/peer_up bs=65536 count=32 2>/dev/null
    echo "OSPREY-PEER-SENT $(sha256sum /tmp/peer_up | cut -d' ' -f1)"
    n=0
    # The peer may still be booting: retry until its httpd answers.
    while [ $n -lt 90 ] && ! wget -q -O /tmp/peer_reply http://192.168.77.2/token; do
        n=$((n + 1))
        sleep 1
    done
    echo "OSPREY-PEER-REPLY $(cat /tmp/peer_reply)"
    n=0
    while [ $n -lt 30 ] && ! timeout 60 nc 192.168.77.2 7000 < /tmp/peer_up > /dev/null; do
        n=$((n + 1))
        sleep 1
    done
fi
@SEND@
echo token-@TOKEN@ > /tmp/token
t=$(now_cs)
echo OSPREY-NC-READY
nc -l -p 8080 < /tmp/token > /tmp/upload
t2=$(now_cs)
echo "OSPREY-UPLOAD $(stat -c %s /tmp/upload) $((t2 - t)) $(sha256sum /tmp/upload | cut -d' ' -f1)"
dmesg | grep -iE 'BUG:|WARNING:|Oops|panic|Call Trace' | sed 's/^/OSPREY-BADLOG /'
echo OSPREY-NET-DONE
poweroff -f
"""


# The second VM of the socket pair: one 8139too NIC on -netdev socket,connect=, a static
# address, and a busybox nc that takes the first VM's upload and answers with a token.
PEER_SCRIPT = r"""
ifconfig lo 127.0.0.1 up
for d in /sys/class/net/eth*; do
    echo "OSPREY-NETDRV ${d##*/} $(basename $(readlink $d/device/driver))"
done
ifconfig eth0 192.168.77.2 netmask 255.255.255.0 up
mkdir -p /www
echo peer-@TOKEN@ > /www/token
httpd -p 80 -h /www
# busybox nc quits when the socket ends, and half-closes it when its stdin ends: a FIFO
# held open by this shell keeps the receiving nc's stdin open until the upload is in.
mkfifo /tmp/hold
nc -l -p 7000 < /tmp/hold > /tmp/got &
exec 3> /tmp/hold
echo OSPREY-PEER-LISTEN
wait
exec 3>&-
echo "OSPREY-PEER-GOT $(stat -c %s /tmp/got) $(sha256sum /tmp/got | cut -d' ' -f1)"
# The first VM fetched the token before uploading; give it a moment to finish.
sleep 1
poweroff -f
"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def http_server(directory, host="127.0.0.1"):
    handler = lambda *a, **k: Quiet(*a, directory=directory, **k)  # noqa: E731
    srv = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Sink:
    """A host TCP server on 127.0.0.1 that takes one connection, reads it to EOF and keeps
    (bytes, seconds from accept to EOF): the guest's upload, reached as 10.0.2.2."""

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(1)
        self.sock.settimeout(600)
        self.port = self.sock.getsockname()[1]
        self.result = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        t = time.monotonic()
        n = 0
        with conn:
            while True:
                d = conn.recv(1 << 20)
                if not d:
                    break
                n += len(d)
        self.result = (n, time.monotonic() - t)

    def close(self):
        self.sock.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_file(path, mib, seed):
    """Pseudo-random content (incompressible, deterministic), returns its sha256."""
    h = hashlib.sha256()
    block = hashlib.sha256(seed).digest() * 32768  # 1 MiB
    # Written aside and renamed: a server still sending the old file (another run sharing
    # the directory) keeps its own copy instead of seeing it truncated.
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as f:
        for i in range(mib):
            chunk = bytes([i & 0xff]) + block[1:]
            f.write(chunk)
            h.update(chunk)
    os.replace(tmp, path)
    return h.hexdigest()


def run_guest(emu=None, big_mib=BIG_MIB, name="net", single_nic=False, up_mib=UP_MIB,
              peer=False, send_mib=0, cplus=True):
    """One boot doing everything; returns (boot, facts dict).  Shared with tests/bench:
    single_nic gives the guest one RTL8139 only (C+, or 8139too with cplus=False; QEMU's
    is always C+).  peer: a second, smaller VM runs alongside, wired to a third NIC by
    -netdev socket; its Boot is facts["peer"].  send_mib: the guest also sends that many
    MiB to a host sink (guest TX); facts["send"] = (bytes, seconds) as the host saw them."""
    assets = linuxboot.fetch_assets()
    if "KMODS_AMD64" not in assets:
        raise linuxboot.AssetsError("fetch-assets.sh did not produce KMODS_AMD64", False)
    work = linuxboot.work_dir()
    www = os.path.join(work, "net-www")
    os.makedirs(www, exist_ok=True)
    digests = {"big": make_file(os.path.join(www, "big.bin"), big_mib, b"big"),
               "cp": make_file(os.path.join(www, "cp.bin"), CP_MIB, b"cp")}
    srv = http_server(www)
    token = "%08x" % (int(time.time() * 1000) & 0xffffffff)
    hport = free_port()
    script = GUEST_SCRIPT.replace("@PORT@", str(srv.server_address[1])).replace("@TOKEN@", token)
    sink = Sink() if send_mib else None
    send = ""
    if sink:
        # From tmpfs, so the guest's own disk or random generator is not what is measured.
        send = ("dd if=/dev/zero of=/tmp/send bs=1048576 count=%d 2>/dev/null\n"
                "nc 10.0.2.2 %d < /tmp/send; rm -f /tmp/send" % (send_mib, sink.port))
    script = script.replace("@SEND@", send)
    initrd = linuxboot.make_initramfs(assets["BUSYBOX_AMD64"], name + ".gz", mode="script",
                                      kmods=assets["KMODS_AMD64"], kmod=["8139cp", "8139too"],
                                      script=script)
    emu = emu or linuxboot.emulator()[0]
    extra = ["-netdev", "user,id=u0,hostfwd=tcp:127.0.0.1:%d-:8080" % hport,
             "-device", "rtl8139,netdev=u0,revision=0x10,mac=52:54:00:12:34:10",
             "-netdev", "user,id=u1,net=10.0.3.0/24",
             "-device", "rtl8139,netdev=u1,mac=52:54:00:12:34:20"]
    if "qemu" in os.path.basename(emu[0]):
        # QEMU's rtl8139 has no revision property: only the C+ NIC there.
        extra = [extra[0], extra[1], "-device", "rtl8139,netdev=u0,mac=52:54:00:12:34:10"]
    elif single_nic:
        extra = extra[:4] if not cplus else [extra[0], extra[1], "-device",
                                              "rtl8139,netdev=u0,mac=52:54:00:12:34:10"]
    peer_boot = None
    if peer:
        sport = free_port()
        extra += ["-netdev", "socket,id=s0,listen=127.0.0.1:%d" % sport,
                  "-device", "rtl8139,netdev=s0,mac=52:54:00:12:34:30"]
        peer_initrd = linuxboot.make_initramfs(
            assets["BUSYBOX_AMD64"], name + "-peer.gz", mode="script",
            kmods=assets["KMODS_AMD64"], kmod=["8139too"],
            script=PEER_SCRIPT.replace("@TOKEN@", token))
        peer_argv = linuxboot.linux_argv(
            emu, assets["VMLINUZ_AMD64"], peer_initrd, mem=256,
            extra=["-netdev", "socket,id=s0,connect=127.0.0.1:%d" % sport,
                   "-device", "rtl8139,netdev=s0,revision=0x10,mac=52:54:00:12:34:40"])
    argv = linuxboot.linux_argv(emu, assets["VMLINUZ_AMD64"], initrd, mem=512, extra=extra)
    boot = Boot(argv, name=name).launch()
    facts = {"digests": digests, "token": token, "upload": None, "up_bytes": up_mib << 20,
             "peer": None}
    if peer:
        # The listening end exists once the first VM runs (its first console line).
        if boot.wait_for_line(r"."):
            peer_boot = Boot(peer_argv, name=name + "-peer").launch()
    try:
        if boot.wait_for_line(r"OSPREY-NC-READY"):
            payload = hashlib.sha256(b"up").digest() * (up_mib * 32768)
            facts["upload_sha"] = hashlib.sha256(payload).hexdigest()
            # The guest prints READY just before nc listens: slirp resets the forwarded
            # connection until it does, so try again for a while.
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                t = time.monotonic()
                try:
                    with socket.create_connection(("127.0.0.1", hport), timeout=60) as c:
                        c.sendall(payload)
                        c.shutdown(socket.SHUT_WR)
                        got = b""
                        while True:
                            d = c.recv(65536)
                            if not d:
                                break
                            got += d
                except OSError:
                    time.sleep(1)
                    continue
                if got:
                    facts["upload"] = (time.monotonic() - t, got.decode(errors="replace").strip())
                    break
                time.sleep(1)
    finally:
        boot.finish()
        srv.shutdown()
        if sink:
            facts["send"] = sink.result
            sink.close()
        if peer_boot:
            # Normally done by now; if the first VM never connected, do not wait long.
            peer_boot.timeout = min(peer_boot.timeout,
                                    time.monotonic() - peer_boot.start + 30)
            facts["peer"] = peer_boot.finish()
    return boot, facts


CASES = ("drivers", "dhcp", "wget-8139too", "wget-8139cp", "hostfwd", "upload", "socket-pair",
         "clean-log")
SEND_MIB = 4


def main():
    if linuxboot.sanitizer_build():
        for case in CASES:
            print("skip %s: sanitizer build: the guest boot runs in the normal build's make check"
                  % case)
        return 0
    try:
        boot, facts = run_guest(peer=True, send_mib=SEND_MIB)
    except linuxboot.AssetsError as e:
        for case in CASES:
            print("%s %s: %s" % ("skip" if e.unreachable else "FAIL", case, e))
        return 0 if e.unreachable else 1
    failed = 0

    def case(name, ok, why):
        nonlocal failed
        if ok:
            print("ok %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, why))

    drivers = dict((m.split()[2], m.split()[1]) for _, _, m in boot.findall(r"^OSPREY-NETDRV "))
    case("drivers", "8139too" in drivers and "8139cp" in drivers,
         "drivers bound: %r (%s)" % (drivers, boot.outcome()))
    leases = [m for _, _, m in boot.findall(r"^OSPREY-LEASE ")]
    case("dhcp", any(" 10.0.2.15 " in m for m in leases) and any(" 10.0.3.15 " in m for m in leases),
         "leases: %r" % leases)
    for name, key in (("wget-8139too", "big"), ("wget-8139cp", "cp")):
        line = boot.find(r"^OSPREY-WGET %s " % key)
        ok = line is not None and line[2].split()[4] == facts["digests"][key]
        case(name, ok, "guest saw %r" % (line[2] if line else boot.find("WGET-FAIL")))
        if line and os.environ.get("OSPREY_LINUX_VERBOSE"):
            parts = line[2].split()
            print("    %s: %s bytes in %.2fs" % (key, parts[2], int(parts[3]) / 100.0))
    up = boot.find(r"^OSPREY-UPLOAD ")
    ok = (facts["upload"] is not None and facts["upload"][1] == "token-" + facts["token"]
          and up is not None and up[2].split()[3] == facts.get("upload_sha"))
    case("hostfwd", ok, "host got %r, guest saw %r" % (facts["upload"], up and up[2]))
    send = facts.get("send")
    case("upload", send is not None and send[0] == SEND_MIB << 20,
         "the host sink got %r, wanted %d bytes (%s)" % (send, SEND_MIB << 20, boot.outcome()))
    pb = facts["peer"]
    sent = boot.find(r"^OSPREY-PEER-SENT ")
    reply = boot.find(r"^OSPREY-PEER-REPLY ")
    got = pb.find(r"^OSPREY-PEER-GOT ") if pb else None
    ok = (sent is not None and got is not None and reply is not None
          and got[2].split()[1] == str(2 << 20) and got[2].split()[2] == sent[2].split()[1]
          and reply[2].split()[1:] == ["peer-" + facts["token"]] and pb.rc == 0)
    case("socket-pair", ok, "sent %r, peer got %r, reply %r (peer: %s)" % (
        sent and sent[2], got and got[2], reply and reply[2], pb.outcome() if pb else "not run"))
    bad = boot.findall(r"OSPREY-BADLOG") + [x for x in boot.findall(r"BUG:|Oops|Call Trace")]
    bad += [(0, 0, "peer: " + t) for t in (pb.bad_log_lines() if pb else [])]
    case("clean-log", not bad and boot.rc == 0,
         "%s; %r" % (boot.outcome(), [b[2] for b in bad][:3]))
    if failed:
        print(boot.tail())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
