#!/usr/bin/env python3
"""Drive options seen through the emulator, driven over qtest with IDE PIO and DMA:

- -snapshot and -drive ...,snapshot=on: the guest reads back what it wrote, and the image
  file (raw or qcow2) stays byte-identical; the overlay leaves nothing in $TMPDIR;
- the image lock: a second Osprey that wants to write an image in use, or to read one being
  written, exits 1 with one line naming the lock; readers share; file.locking=off skips it;
  readonly=on is refused for a hard disk ("Can't use a read-only drive"), as QEMU does;
- the format in `info block` and QMP `query-block` ("drv"), as QEMU reports it.
"""
import hashlib
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import (OSPREY, QTest, check, check_eq, connect_unix, run_cases,  # noqa: E402
                   temp_path, unix_socket_path)
from test_hmp import Hmp  # noqa: E402
from test_ide import (BM_INTR, BUF, BMBASE, DISK_SECTORS, DRQ, SECTOR, ST_ERR,  # noqa: E402
                      Ide, bm_start, bm_status, dma_cmd, make_image, pattern, put_prd,
                      setup_pci)
from test_qmp import Qmp  # noqa: E402

IMG = os.path.join(os.path.dirname(OSPREY), "osprey-img")
BASE_ARGS = ["-accel", "qtest", "-qtest", "stdio", "-nodefaults", "-display", "none"]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_qcow2(name, seed):
    """A qcow2 image (made by osprey-img from a raw pattern) and its expected contents."""
    raw = make_image(name + ".raw", DISK_SECTORS * SECTOR, seed)
    path = temp_path(name)
    subprocess.run([IMG, "convert", "-f", "raw", "-O", "qcow2", raw, path], check=True,
                   stdout=subprocess.DEVNULL)
    with open(raw, "rb") as f:
        return path, f.read()


def pio_write_read(ide, lba, data):
    ide.lba28(lba, len(data) // SECTOR)
    ide.w(7, 0x30)  # WRITE SECTORS
    st = ide.pio_out(data)
    check_eq(st & (ST_ERR | DRQ), 0, "WRITE SECTORS status")
    ide.lba28(lba, len(data) // SECTOR)
    ide.w(7, 0x20)  # READ SECTORS
    return ide.pio_in(len(data))


def dma(qt, ide, cmd, lba, nbytes, to_memory):
    put_prd(qt, [(BUF, nbytes, True)])
    ide.r(7)
    dma_cmd(ide, cmd, lba, nbytes // SECTOR)
    bm_start(qt, to_memory=to_memory)
    st = ide.wait("DMA 0x%02x" % cmd)
    qt.outb(BMBASE, 0)
    check_eq(st & ST_ERR, 0, "DMA 0x%02x status" % cmd)
    check_eq(bm_status(qt), BM_INTR, "DMA 0x%02x bus-master status" % cmd)


def guest_writes(qt, ide, original):
    """PIO and DMA writes, read back both ways: the guest sees its own data."""
    new = pattern(2 * SECTOR, 61)
    check_eq(pio_write_read(ide, 10, new), new, "PIO read-back of the PIO write")
    new_dma = pattern(16 * SECTOR, 62)
    qt.memwrite(BUF, new_dma)
    dma(qt, ide, 0xca, 300, len(new_dma), to_memory=False)  # WRITE DMA
    qt.memwrite(BUF, bytes(len(new_dma)))
    dma(qt, ide, 0xc8, 300, len(new_dma), to_memory=True)   # READ DMA
    check_eq(qt.memread(BUF, len(new_dma)), new_dma, "DMA read-back of the DMA write")
    # Untouched sectors still come from the image.
    ide.lba28(12, 1)
    ide.w(7, 0x20)
    check_eq(ide.pio_in(SECTOR), original[12 * SECTOR:13 * SECTOR], "sector beside the writes")


def snapshot_case(path, original, drive, extra):
    before = sha(path)
    tmpdir = temp_path("tmpdir")
    os.mkdir(tmpdir)
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = tmpdir
    try:
        qt = QTest(["-drive", drive] + extra)
    finally:
        if old is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = old
    with qt:
        setup_pci(qt)
        ide = Ide(qt)
        guest_writes(qt, ide, original)
        # A guest flush reaches the overlay only.
        ide.select()
        check_eq(ide.command(0xe7) & ST_ERR, 0, "FLUSH CACHE")
        check_eq(sha(path), before, "image unchanged while running")
        check_eq(os.listdir(tmpdir), [], "the overlay is unlinked once open")
    check_eq(sha(path), before, "image byte-identical after the run")
    check_eq(os.listdir(tmpdir), [], "nothing left in $TMPDIR")


def test_snapshot_option_raw():
    path = make_image("snap.img", DISK_SECTORS * SECTOR, 21)
    with open(path, "rb") as f:
        original = f.read()
    snapshot_case(path, original, "file=%s,if=ide,index=0,format=raw" % path, ["-snapshot"])


def test_snapshot_on_qcow2():
    path, original = make_qcow2("snap.qcow2", 22)
    snapshot_case(path, original, "file=%s,if=ide,index=0,format=qcow2,snapshot=on" % path, [])


def test_writes_reach_image_without_snapshot():
    """The control for the snapshot cases: the same writes do change the image."""
    path, original = make_qcow2("plain.qcow2", 23)
    before = sha(path)
    with QTest(["-drive", "file=%s,if=ide,index=0,format=qcow2" % path]) as qt:
        setup_pci(qt)
        guest_writes(qt, Ide(qt), original)
    check(sha(path) != before, "writes without -snapshot change the image")
    flat = temp_path("plain.raw")
    subprocess.run([IMG, "convert", "-O", "raw", path, flat], check=True)
    with open(flat, "rb") as f:
        data = f.read()
    check_eq(data[300 * SECTOR:316 * SECTOR], pattern(16 * SECTOR, 62), "DMA write in the image")


def mem_put(qt, addr, data):
    """qtest lines are limited to 1 MiB: write in 256 KiB pieces."""
    for off in range(0, len(data), 1 << 18):
        qt.memwrite(addr + off, data[off:off + (1 << 18)])


def mem_get(qt, addr, nbytes):
    return b"".join(qt.memread(addr + off, min(1 << 18, nbytes - off))
                    for off in range(0, nbytes, 1 << 18))


def same(actual, expected, what):
    """Equality of large byte strings, reported by the first differing offset."""
    if actual != expected:
        first = next((i for i, (a, b) in enumerate(zip(actual, expected)) if a != b),
                     min(len(actual), len(expected)))
        raise AssertionError("%s: differs from byte %d (lengths %d, %d)"
                             % (what, first, len(actual), len(expected)))


def test_dma_larger_than_buffer():
    """A 2.5 MiB WRITE/READ DMA EXT (more than one DMA buffer, 40 PRD entries) lands at the
    right place in the file and reads back; the sectors around it stay as they were."""
    path = make_image("big-dma.img", DISK_SECTORS * SECTOR, 71)
    with open(path, "rb") as f:
        original = f.read()
    nsect, lba = 5120 + 3, 1001
    nbytes = nsect * SECTOR
    new = pattern(nbytes, 72)
    entries = [(BUF + i * 0x10000, 0x10000, False) for i in range(nbytes // 0x10000)]
    entries.append((BUF + len(entries) * 0x10000, nbytes % 0x10000, True))
    with QTest(["-drive", "file=%s,if=ide,index=0,format=raw" % path]) as qt:
        setup_pci(qt)
        ide = Ide(qt)
        mem_put(qt, BUF, new)
        put_prd(qt, entries)
        dma_cmd(ide, 0x35, lba, nsect, ext=True)  # WRITE DMA EXT
        bm_start(qt, to_memory=False)
        st = ide.wait("WRITE DMA EXT")
        qt.outb(BMBASE, 0)
        check_eq(st & ST_ERR, 0, "WRITE DMA EXT status")
        check_eq(bm_status(qt), BM_INTR, "WRITE DMA EXT: table used up exactly")
        with open(path, "rb") as f:
            data = f.read()
        same(data[lba * SECTOR:lba * SECTOR + nbytes], new, "file after WRITE DMA EXT")
        same(data[:lba * SECTOR], original[:lba * SECTOR], "sectors before untouched")
        same(data[lba * SECTOR + nbytes:], original[lba * SECTOR + nbytes:],
             "sectors after untouched")
        mem_put(qt, BUF, bytes(nbytes))
        ide.r(7)
        dma_cmd(ide, 0x25, lba, nsect, ext=True)  # READ DMA EXT
        bm_start(qt, to_memory=True)
        st = ide.wait("READ DMA EXT")
        qt.outb(BMBASE, 0)
        check_eq(st & ST_ERR, 0, "READ DMA EXT status")
        same(mem_get(qt, BUF, nbytes), new, "READ DMA EXT data")
        # A table shorter than the transfer stalls in the second buffer's worth.
        put_prd(qt, entries[:20] + [(BUF + 20 * 0x10000, 0x10000, True)])
        ide.r(7)
        dma_cmd(ide, 0x25, lba, nsect, ext=True)
        bm_start(qt, to_memory=True)
        deadline = time.monotonic() + 5
        while bm_status(qt) & 1 and time.monotonic() < deadline:  # Active until it stalls
            time.sleep(0.001)
        check_eq(bm_status(qt) & (BM_INTR | 1), 0, "short table: neither Interrupt nor Active")
        check(ide.alt() & DRQ, "short table: the drive keeps DRQ")


def second_osprey(drive, extra=()):
    """Start another Osprey on drive: (exit status, or None if it runs; its stderr)."""
    argv = [OSPREY] + BASE_ARGS + ["-drive", drive] + list(extra)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        # A running qtest answers the command; one that failed to start exits with its error.
        p.stdin.write(b"outb 0x80 0\n")
        p.stdin.flush()
    except BrokenPipeError:
        pass
    ready, _, _ = select.select([p.stdout], [], [], 10)
    reply = p.stdout.readline() if ready else b""
    if reply.startswith(b"OK"):
        p.terminate()
        _, err = p.communicate(timeout=10)
        return None, err.decode(errors="replace")
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return "hung", err.decode(errors="replace")
    return p.returncode, err.decode(errors="replace")


def expect_locked(path, drive, what):
    rc, err = second_osprey(drive)
    check_eq(rc, 1, "%s: exit status" % what)
    lines = err.strip().splitlines()
    check_eq(len(lines), 1, "%s: one line of error (%r)" % (what, err))
    check("'%s' is locked by another process" % path in lines[0], "%s: %r" % (what, lines[0]))


def expect_runs(drive, what):
    rc, err = second_osprey(drive)
    check(rc is None, "%s: should start (exit %s: %s)" % (what, rc, err.strip()))


def test_lock():
    path = make_image("locked.img", DISK_SECTORS * SECTOR, 31)
    disk = "file=%s,if=ide,index=0,format=raw" % path
    cdrom = "file=%s,if=ide,index=2,media=cdrom,format=raw" % path
    with QTest(["-drive", disk]) as qt:
        qt.outb(0x80, 0)  # the first one is up and holds its lock
        expect_locked(path, disk, "a second writer")
        expect_locked(path, cdrom, "a reader while a writer runs")
        expect_locked(path, disk.replace("format=raw", "format=raw,snapshot=on"),
                      "snapshot=on reads the base while a writer runs")
        expect_runs(disk + ",file.locking=off", "file.locking=off")
        # The lock belongs to the first process: it still works.
        ide = Ide(qt)
        setup_pci(qt)
        new = pattern(SECTOR, 5)
        check_eq(pio_write_read(ide, 1, new), new, "the first process still writes")
    # Readers share the image, and keep writers out.
    with QTest(["-drive", cdrom]) as qt:
        qt.outb(0x80, 0)
        expect_runs(cdrom, "a second reader")
        expect_runs(disk.replace("format=raw", "format=raw,snapshot=on"),
                    "snapshot=on beside a reader")
        expect_locked(path, disk, "a writer while a reader runs")
    expect_runs(disk, "a writer once the others are gone")


def test_readonly():
    path = make_image("ro.img", DISK_SECTORS * SECTOR, 41)
    rc, err = second_osprey("file=%s,if=ide,index=0,format=raw,readonly=on" % path)
    check_eq(rc, 1, "a read-only hard disk is refused")
    check("Can't use a read-only drive" in err and len(err.strip().splitlines()) == 1,
          "QEMU's message: %r" % err)
    # A read-only CD-ROM image works; a qcow2 one too.
    qpath, original = make_qcow2("ro.qcow2", 42)
    before = sha(qpath)
    drive = "file=%s,if=ide,index=2,media=cdrom,format=qcow2,readonly=on" % qpath
    with QTest(["-drive", drive]) as qt:
        setup_pci(qt)
        cd = Ide(qt, 0x170, 0x376)
        cd.select()
        check_eq(cd.command(0xa1) & ST_ERR, 0, "IDENTIFY PACKET DEVICE")
        cd.read_data(512)
    check_eq(sha(qpath), before, "a read-only qcow2 is not written (no dirty bit, no header)")


def test_format_in_info_block():
    raw = make_image("fmt.img", DISK_SECTORS * SECTOR, 51)
    qcow, _ = make_qcow2("fmt.qcow2", 52)
    iso = make_image("fmt.iso", 64 * 2048, 53)
    qsock, hsock = unix_socket_path("qmp"), unix_socket_path("hmp")
    args = ["-drive", "file=%s,if=ide,index=0,format=raw" % raw,
            "-drive", "file=%s,if=ide,index=1,format=qcow2" % qcow,
            "-drive", "file=%s,if=ide,index=2,media=cdrom,format=raw" % iso,
            "-drive", "if=ide,index=3,media=cdrom",
            "-qmp", "unix:%s,server=on,wait=off" % qsock,
            "-monitor", "unix:%s,server=on,wait=off" % hsock]
    with QTest(args):
        qmp = Qmp(connect_unix(qsock))
        qmp.negotiate()
        blocks = {b["device"]: b for b in qmp.ok("query-block")}
        check_eq(sorted(blocks), ["ide0-hd0", "ide0-hd1", "ide1-cd0", "ide1-cd1"], "drives")
        for dev, fmt, path, ro in (("ide0-hd0", "raw", raw, False),
                                   ("ide0-hd1", "qcow2", qcow, False),
                                   ("ide1-cd0", "raw", iso, True)):
            ins = blocks[dev]["inserted"]
            check_eq(ins["drv"], fmt, "%s drv" % dev)
            check_eq((ins["file"], ins["ro"]), (path, ro), "%s file and ro" % dev)
            check_eq(ins["image"]["format"], fmt, "%s image.format" % dev)
            check_eq(ins["image"]["filename"], path, "%s image.filename" % dev)
        check_eq(blocks["ide0-hd1"]["inserted"]["image"]["virtual-size"],
                 DISK_SECTORS * SECTOR, "qcow2 virtual size")
        check("inserted" not in blocks["ide1-cd1"], "empty CD-ROM")
        hmp = Hmp(connect_unix(hsock))
        hmp.greet()
        out = hmp.run("info block")
        for want in ("ide0-hd0: %s (raw)\n" % raw, "ide0-hd1: %s (qcow2)\n" % qcow,
                     "ide1-cd0: %s (raw, read-only)\n" % iso, "ide1-cd1: [not inserted]\n"):
            check(want in out, "info block has %r: %r" % (want, out))
        # A medium changed by the monitor reports its own format.
        other, _ = make_qcow2("fmt2.qcow2", 54)
        qmp.ok("blockdev-change-medium", {"device": "ide1-cd1", "filename": other,
                                          "format": "qcow2"})
        ins = {b["device"]: b for b in qmp.ok("query-block")}["ide1-cd1"]["inserted"]
        check_eq((ins["drv"], ins["ro"]), ("qcow2", True), "changed medium drv and ro")


if __name__ == "__main__":
    run_cases([
        ("ide-drive/snapshot-option-raw", test_snapshot_option_raw),
        ("ide-drive/snapshot-on-qcow2", test_snapshot_on_qcow2),
        ("ide-drive/writes-reach-image", test_writes_reach_image_without_snapshot),
        ("ide-drive/dma-larger-than-buffer", test_dma_larger_than_buffer),
        ("ide-drive/lock", test_lock),
        ("ide-drive/readonly", test_readonly),
        ("ide-drive/format-in-info-block", test_format_in_info_block),
    ])
