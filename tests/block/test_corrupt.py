#!/usr/bin/env python3
"""Hostile qcow2 images: a corpus built here from mutated headers and tables.

Every designed case must fail cleanly: `osprey-img convert` (which reads every cluster)
exits with status 1 and an error naming the problem; `info` and `check` do not crash; the
image file is never written.  Random byte mutations of the header and of the metadata
tables must never crash either (exit 0 or 1; sanitizer builds catch memory errors).
"""
import hashlib
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("OSPREY_BUILD", os.path.join(HERE, "..", "..", "build"))
IMG = os.path.join(BUILD, "osprey-img")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
SANITIZED = "san" in os.path.basename(os.path.normpath(BUILD))
failures = 0


def run(*args, timeout=60):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def no_crash(rc, err, what):
    assert rc >= 0 and rc < 64, "%s: killed or crashed (status %d): %s" % (what, rc, err[-500:])
    assert "Sanitizer" not in err and "runtime error" not in err, "%s: %s" % (what, err[-800:])


class Image:
    """A parsed qcow2 image: header fields and the offsets of its tables."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = bytearray(f.read())
        h = self.data
        self.cluster_bits = struct.unpack_from(">I", h, 20)[0]
        self.cs = 1 << self.cluster_bits
        self.l1_offset = struct.unpack_from(">Q", h, 40)[0]
        self.l1_size = struct.unpack_from(">I", h, 36)[0]
        self.rt_offset = struct.unpack_from(">Q", h, 48)[0]
        self.sn_offset = struct.unpack_from(">Q", h, 64)[0]
        self.header_length = struct.unpack_from(">I", h, 100)[0]
        self.l1 = [struct.unpack_from(">Q", h, self.l1_offset + 8 * i)[0]
                   for i in range(self.l1_size)]
        self.l2_offset = next(e & 0x00fffffffffffe00 for e in self.l1 if e)
        self.l2 = [struct.unpack_from(">Q", h, self.l2_offset + 8 * i)[0]
                   for i in range(self.cs // 8)]

    def l2_index(self, pred):
        return next(i for i, e in enumerate(self.l2) if pred(e))


def build_base(d):
    """Compressed clusters, normal clusters, zero clusters, a snapshot: every kind of table."""
    raw = os.path.join(d, "base.raw")
    r = random.Random(11)
    with open(raw, "wb") as f:
        for _ in range((2 << 20) // 64):
            f.write((b"corpus %d " % r.randrange(1000)).ljust(64, b"-"))
    q = os.path.join(d, "base.qcow2")
    subprocess.run([QEMU_IMG, "convert", "-c", "-f", "raw", "-O", "qcow2", raw, q], check=True)
    subprocess.run([QEMU_IMG, "resize", "-q", q, "4M"], check=True)
    subprocess.run([QEMU_IO, "-c", "write -P 0x77 2M 256k", "-c", "write -z 3M 64k", q],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([QEMU_IMG, "snapshot", "-c", "snap", q], check=True)
    return q


def designed_cases(base):
    """(name, expected words in the error, function(bytearray, Image) -> bytearray)."""
    im = Image(base)
    cs = im.cs
    comp = im.l2_index(lambda e: e & (1 << 62))
    normal = im.l2_index(lambda e: not e & (1 << 62) and e & 0x00fffffffffffe00)

    def put(fmt, off, val):
        def f(b, im):
            struct.pack_into(fmt, b, off, val)
            return b
        return f

    def truncate(n):
        return lambda b, im: b[:n]

    def l1_entry(val):
        def f(b, im):
            i = next(i for i, e in enumerate(im.l1) if e)
            struct.pack_into(">Q", b, im.l1_offset + 8 * i, val(im.l1[i]))
            return b
        return f

    def l2_entry(idx, val):
        def f(b, im):
            struct.pack_into(">Q", b, im.l2_offset + 8 * idx, val(im.l2[idx]))
            return b
        return f

    def garbage_compressed(b, im):
        x = 62 - (im.cluster_bits - 8)
        off = im.l2[comp] & ((1 << x) - 1)
        b[off:off + 64] = b"\xff" * 64
        return b

    def rt_entry(val):
        def f(b, im):
            e = struct.unpack_from(">Q", b, im.rt_offset)[0]
            struct.pack_into(">Q", b, im.rt_offset, val(e))
            return b
        return f

    def ext(length):
        def f(b, im):
            struct.pack_into(">II", b, im.header_length, 0x12345678, length)
            return b
        return f

    x = 62 - (im.cluster_bits - 8)
    return [
        ("empty-file", "truncated", truncate(0)),
        ("truncated-20", "truncated", truncate(20)),
        ("truncated-71", "truncated", truncate(71)),
        ("truncated-v3-100", "truncated", truncate(100)),
        ("bad-magic", "magic", put(">I", 0, 0x514649fa)),
        ("version-1", "version", put(">I", 4, 1)),
        ("version-4", "version", put(">I", 4, 4)),
        ("cluster-bits-8", "cluster size", put(">I", 20, 8)),
        ("cluster-bits-22", "cluster size", put(">I", 20, 22)),
        ("cluster-bits-huge", "cluster size", put(">I", 20, 200)),
        ("size-2^62", "size", put(">Q", 24, 1 << 62)),
        ("encrypted", "encrypted", put(">I", 32, 1)),
        ("l1-size-billions", "L1 table size", put(">I", 36, 0x7fffffff)),
        ("l1-size-too-small", "too small", put(">I", 36, 0)),
        ("l1-offset-misaligned", "aligned", put(">Q", 40, im.l1_offset + 8)),
        ("l1-offset-past-eof", "past the end", put(">Q", 40, 1 << 44)),
        ("l1-offset-zero", "header", put(">Q", 40, 0)),
        ("reftable-misaligned", "aligned", put(">Q", 48, im.rt_offset + 512)),
        ("reftable-past-eof", "past the end", put(">Q", 48, 1 << 44)),
        ("reftable-no-clusters", "refcount table", put(">I", 56, 0)),
        ("reftable-billions", "refcount table", put(">I", 56, 0x7fffffff)),
        ("snapshots-billions", "snapshots", put(">I", 60, 0x7fffffff)),
        ("snapshots-past-eof", "snapshot table", put(">Q", 64, 1 << 44)),
        ("snapshots-misaligned", "snapshot table", put(">Q", 64, im.sn_offset + 3)),
        ("incompatible-unknown", "incompatible", put(">Q", 72, 1 << 20)),
        ("incompatible-data-file", "incompatible", put(">Q", 72, 1 << 2)),
        ("refcount-order-7", "refcount", put(">I", 96, 7)),
        ("header-length-50", "header length", put(">I", 100, 50)),
        ("header-length-huge", "header length", put(">I", 100, 1 << 30)),
        ("header-length-odd", "header length", put(">I", 100, 105)),
        ("backing-name-past-cluster", "backing file name",
         lambda b, im: put(">I", 16, 10)(put(">Q", 8, cs + 5)(b, im), im)),
        ("backing-name-huge", "backing file name",
         lambda b, im: put(">I", 16, 4000)(put(">Q", 8, 200)(b, im), im)),
        ("extension-overruns", "extension", ext(0xffffff00)),
        ("l1-entry-misaligned", "L2 table", l1_entry(lambda e: e + 0x200)),
        ("l1-entry-past-eof", "L2 table", l1_entry(lambda e: (1 << 44) | (e & (1 << 63)))),
        ("l2-data-misaligned", "misaligned", l2_entry(normal, lambda e: e + 0x200)),
        ("compressed-does-not-inflate", "inflate", garbage_compressed),
        ("compressed-past-eof", "past the end",
         l2_entry(comp, lambda e: (e & ~((1 << x) - 1)) | (1 << (x - 2)))),
        ("reftable-entry-misaligned", "refcount block", rt_entry(lambda e: e + 0x200)),
        ("reftable-entry-past-eof", "refcount block", rt_entry(lambda e: 1 << 44)),
        ("reftable-entries-shared", "two refcount table entries",
         lambda b, im: put(">Q", im.rt_offset + 8, struct.unpack_from(">Q", b, im.rt_offset)[0])(
             put(">I", 56, 1)(b, im), im)),
        ("snapshot-l1-misaligned", "snapshot",
         lambda b, im: put(">Q", im.sn_offset, im.l1_offset + 0x208)(b, im)),
        ("snapshot-l1-billions", "snapshot",
         lambda b, im: put(">I", im.sn_offset + 8, 0x7fffffff)(b, im)),
    ]


def normal_index(im):
    """An L2 entry of a normal (uncompressed, allocated) cluster."""
    return im.l2_index(lambda e: not e & (1 << 62) and e & 0x00fffffffffffe00)


def zero_refcount(b, im, cluster):
    """Set one cluster's 16-bit refcount to 0 (the image uses the default width)."""
    per_block = im.cs // 2
    rb = struct.unpack_from(">Q", b, im.rt_offset + 8 * (cluster // per_block))[0]
    struct.pack_into(">H", b, rb + 2 * (cluster % per_block), 0)


def check_case(path, words, what, expect_fail=True):
    before = sha(path)
    out_raw = path + ".out"
    rc, out, err = run(IMG, "convert", "-f", "qcow2", "-O", "raw", path, out_raw)
    no_crash(rc, err, what + " convert")
    if expect_fail:
        assert rc == 1, "%s: convert exit %d (expected a clean error): %s" % (what, rc, err)
        lines = [l for l in err.splitlines() if l.strip()]
        assert lines and all(l.startswith("osprey: ") for l in lines), "%s: %r" % (what, err)
        assert words.lower() in err.lower(), "%s: error %r does not name %r" % (what, err, words)
    others = [["check", "-f", "qcow2", path]]
    if not SANITIZED:  # process start-up under ASan is slow: convert and check suffice there
        others += [["info", "-f", "qcow2", path], ["map", "-f", "qcow2", "--output=json", path]]
    for sub in others:
        rc2, _, err2 = run(IMG, *sub)
        no_crash(rc2, err2, "%s %s" % (what, sub[0]))
    assert sha(path) == before, "%s: the image file was written" % what
    if os.path.exists(out_raw):
        os.unlink(out_raw)
    return rc


def main():
    global failures
    if not (QEMU_IMG and QEMU_IO):
        print("skip block/corrupt-corpus: qemu-img/qemu-io not installed (qemu-utils)")
        return 0
    d = tempfile.mkdtemp(prefix="osprey-corrupt-")
    total = 0
    try:
        base = build_base(d)
        im = Image(base)
        rc, _, err = run(IMG, "convert", "-O", "raw", base, os.path.join(d, "ok.raw"))
        assert rc == 0, "the unmutated base does not read: %s" % err
        cases = designed_cases(base)
        for name, words, fn in cases:
            p = os.path.join(d, name + ".qcow2")
            with open(p, "wb") as f:
                f.write(fn(bytearray(im.data), im))
            total += 1
            try:
                check_case(p, words, name)
                print("ok block/corrupt/%s" % name)
            except AssertionError as e:
                failures += 1
                print("FAIL block/corrupt/%s: %s" % (name, e))
            os.unlink(p)
        # backing chains: a loop, a self-loop, a missing file
        for name, words, chain in (("backing-loop", "backing", [("a", "b"), ("b", "a")]),
                                   ("backing-self-loop", "backing", [("s", "s")]),
                                   ("backing-missing", "nosuch", [("m", "nosuch")])):
            total += 1
            try:
                for img_name, backing in chain:
                    p = os.path.join(d, img_name + ".qcow2")
                    subprocess.run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-u", "-b",
                                    backing + ".qcow2", "-F", "qcow2", p, "1M"], check=True)
                check_case(os.path.join(d, chain[0][0] + ".qcow2"), words, name)
                print("ok block/corrupt/%s" % name)
            except AssertionError as e:
                failures += 1
                print("FAIL block/corrupt/%s: %s" % (name, e))
        # refcount overflow: 1-bit refcounts cannot hold a snapshot's second reference
        total += 1
        try:
            p = os.path.join(d, "rc1.qcow2")
            subprocess.run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", "refcount_bits=1",
                            p, "1M"], check=True)
            subprocess.run([QEMU_IO, "-c", "write 0 64k", p], check=True,
                           stdout=subprocess.DEVNULL)
            rc, _, err = run(IMG, "snapshot", "-c", "s", p)
            no_crash(rc, err, "refcount-overflow")
            assert rc == 1 and "refcount overflow" in err, (rc, err)
            rc, out, err = run(QEMU_IMG, "check", p)
            assert rc in (0, 3), "refcount-overflow left %d: %s" % (rc, out)
            print("ok block/corrupt/refcount-overflow")
        except AssertionError as e:
            failures += 1
            print("FAIL block/corrupt/refcount-overflow: %s" % e)
        # the corrupt bit: readable, never opened for writing
        total += 1
        try:
            p = os.path.join(d, "marked.qcow2")
            b = bytearray(im.data)
            struct.pack_into(">Q", b, 72, 2)
            with open(p, "wb") as f:
                f.write(b)
            before = sha(p)
            assert check_case(p, "", "marked-corrupt", expect_fail=False) == 0
            rc, _, err = run(IMG, "bench", "-w", "-c", "10", "-f", "qcow2", p)
            assert rc == 1 and "marked corrupt" in err, (rc, err)
            assert sha(p) == before
            print("ok block/corrupt/marked-corrupt")
        except AssertionError as e:
            failures += 1
            print("FAIL block/corrupt/marked-corrupt: %s" % e)
        # writes that would land on metadata: an L2 entry (COPIED) aimed at the L1 table,
        # and an L1 table whose refcount says it is free
        for name, mutate in (
                ("write-over-l1-via-l2", lambda b: struct.pack_into(
                    ">Q", b, im.l2_offset + 8 * normal_index(im),
                    (1 << 63) | (im.l1_offset & ~(im.cs - 1)))),
                ("write-over-l1-via-free-refcount", lambda b: [zero_refcount(
                    b, im, im.l1_offset // im.cs + i) for i in range(8)])):
            total += 1
            try:
                p = os.path.join(d, name + ".qcow2")
                b = bytearray(im.data)
                mutate(b)
                with open(p, "wb") as f:
                    f.write(b)
                rc, _, err = run(IMG, "bench", "-w", "-d", "1", "-c", "200", "-f", "qcow2", p)
                no_crash(rc, err, name)
                assert rc == 1 and "would overwrite the L1 table" in err, (rc, err)
                # The L1 table may change legitimately (copied L2 tables), but it must
                # still hold table pointers, not the workload's data bytes.
                with open(p, "rb") as f:
                    after = f.read()
                size = len(after)
                for i in range(im.l1_size):
                    e = struct.unpack_from(">Q", after, im.l1_offset + 8 * i)[0]
                    off = e & 0x00fffffffffffe00
                    assert e & 0x7f000000000001ff == 0 and off % im.cs == 0 and off < size, \
                        "%s: L1 entry %d is 0x%x: the L1 table was overwritten" % (name, i, e)
                print("ok block/corrupt/%s" % name)
            except AssertionError as e:
                failures += 1
                print("FAIL block/corrupt/%s: %s" % (name, e))
        # random mutations: header bytes, then table bytes (L1, L2, refcount table and block)
        r = random.Random(int(os.environ.get("OSPREY_CORRUPT_SEED", "7")))
        n_random = 30 if SANITIZED else 160
        regions = [(0, 112), (im.l1_offset, im.l1_offset + 8 * im.l1_size),
                   (im.l2_offset, im.l2_offset + im.cs), (im.rt_offset, im.rt_offset + 64),
                   (im.sn_offset, im.sn_offset + 64)]
        bad = []
        for i in range(n_random):
            b = bytearray(im.data)
            lo, hi = regions[0] if i < n_random // 2 else r.choice(regions[1:])
            for _ in range(r.randint(1, 4)):
                pos = r.randrange(lo, hi)
                b[pos] = r.randrange(256) if r.random() < 0.7 else b[pos] ^ (1 << r.randrange(8))
            p = os.path.join(d, "rand%d.qcow2" % i)
            with open(p, "wb") as f:
                f.write(b)
            total += 1
            try:
                rc = check_case(p, "", "random-%d" % i, expect_fail=False)
                assert rc in (0, 1), "random-%d: convert exit %d" % (i, rc)
            except AssertionError as e:
                bad.append(str(e))
            os.unlink(p)
        if bad:
            failures += 1
            print("FAIL block/corrupt/random-mutations: %d of %d: %s" % (len(bad), n_random,
                                                                          bad[0]))
        else:
            print("ok block/corrupt/random-mutations (%d images)" % n_random)
        print("# corrupt-image corpus: %d images" % total)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
