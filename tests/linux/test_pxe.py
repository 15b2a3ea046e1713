#!/usr/bin/env python3
# run-tests-timeout: 300
"""Network boot: iPXE (Debian's ipxe-qemu pxe-rtl8139.rom, as the RTL8139's romfile=) with
-boot n initialises the NIC and gets a DHCP lease from slirp.

Two observables: the wire (-object filter-dump records the NIC's traffic in a pcap file; it
must hold a DHCP request from the NIC's MAC and slirp's DHCP ACK) and the serial console
(-nographic: Osprey's BIOS copies INT 10h text to COM1, so iPXE's banner and its "net0:
10.0.2.15" line appear on stdout).

pxe-dhcp runs Osprey's own BIOS, which runs the ROM's init entry in POST and its PnP Boot
Entry Vector for -boot n.  pxe-dhcp-seabios does the same under SeaBIOS
(-bios /usr/share/seabios/bios.bin); it costs another ~20 s, so it runs only with
OSPREY_NET_PXE=1.
"""
import os
import select
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linuxboot  # noqa: E402

ROM_DIRS = ["/usr/lib/ipxe/qemu", "/usr/lib/ipxe"]
SEABIOS = "/usr/share/seabios/bios.bin"
MAC = bytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x77])
TIMEOUT = float(os.environ.get("OSPREY_PXE_TIMEOUT", "120"))


def pcap_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    out, pos = [], 24
    while pos + 16 <= len(data):
        caplen = struct.unpack("<I", data[pos + 8:pos + 12])[0]
        out.append(data[pos + 16:pos + 16 + caplen])
        pos += 16 + caplen
    return out


def dhcp_type(frame):
    """The DHCP message type of a frame (1 discover, 3 request, 5 ack...), or None."""
    if len(frame) < 14 + 20 + 8 + 240 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ihl = (frame[14] & 15) * 4
    udp = 14 + ihl
    if struct.unpack(">H", frame[udp + 2:udp + 4])[0] not in (67, 68):
        return None
    opts = udp + 8 + 240
    while opts + 2 <= len(frame) and frame[opts] != 255:
        if frame[opts] == 0:
            opts += 1
            continue
        if frame[opts] == 53:
            return frame[opts + 2]
        opts += 2 + frame[opts + 1]
    return None


def run_pxe(name, rom, bios_args):
    """One -boot n run; returns 0 (ok) or 1 (FAIL) after printing the result line."""
    emu, _ = linuxboot.emulator()
    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, "pxe.pcap")
        argv = emu + ["-m", "256", "-nographic", "-no-reboot", "-boot", "n"] + bios_args + [
            "-netdev", "user,id=n0", "-device",
            "rtl8139,netdev=n0,romfile=%s,mac=%s" % (rom, ":".join("%02x" % b for b in MAC)),
            "-object", "filter-dump,id=f0,netdev=n0,file=%s" % pcap]
        lease = b"net0: 10.0.2.15"
        out = b""
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + TIMEOUT
        try:
            # Stop once the lease is on the console: iPXE's later "nothing to boot" path only
            # costs time.  The pcap is flushed per frame.
            while time.monotonic() < deadline and lease not in out:
                ready, _, _ = select.select([proc.stdout], [], [], 1.0)
                if ready:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    out += chunk
        finally:
            proc.kill()
            proc.wait()
        frames = pcap_frames(pcap) if os.path.exists(pcap) else []
        types = [(f[6:12] == MAC, dhcp_type(f)) for f in frames]
        asked = any(src and t in (1, 3) for src, t in types)
        acked = any(t == 5 for _, t in types)
        text = out.decode("latin-1")
        if "iPXE" not in text:
            print("FAIL %s: iPXE's banner is not on the serial console; tail: %r" %
                  (name, text[-300:]))
            return 1
        if asked and acked and lease in out:
            print("ok %s" % name)
            return 0
        print("FAIL %s: iPXE %s; %d frames on the wire; lease on console: %s; tail: %r" %
              (name, "asked for a lease but got no ACK" if asked else "sent no DHCP request",
               len(frames), lease in out, text[-300:]))
        return 1


def main():
    rom = next((os.path.join(d, "pxe-rtl8139.rom") for d in ROM_DIRS
                if os.path.exists(os.path.join(d, "pxe-rtl8139.rom"))), None)
    if not rom:
        print("skip pxe-dhcp: pxe-rtl8139.rom (ipxe-qemu) not installed")
        print("skip pxe-dhcp-seabios: pxe-rtl8139.rom (ipxe-qemu) not installed")
        return 0
    failed = run_pxe("pxe-dhcp", rom, [])
    if os.environ.get("OSPREY_NET_PXE") != "1":
        print("skip pxe-dhcp-seabios: another 20 s; OSPREY_NET_PXE=1 runs it")
    elif not os.path.exists(SEABIOS):
        print("skip pxe-dhcp-seabios: SeaBIOS (seabios) not installed")
    else:
        failed |= run_pxe("pxe-dhcp-seabios", rom, ["-bios", SEABIOS])
    return failed


if __name__ == "__main__":
    sys.exit(main())
