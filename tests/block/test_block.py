#!/usr/bin/env python3
"""The block layer and osprey-img against Debian's qemu-img (qemu-utils).

- interop both ways: osprey-img images pass `qemu-img check`; qemu-img images (compressed,
  with backing files, with internal snapshots) read back byte-identical; Osprey's writes
  into qemu-img's images read back identically in qemu-img;
- osprey-img subcommands: check/repair exit codes, snapshots, resize, commit, rebase,
  compare, map;
- raw: the advisory lock, cache=none, -snapshot overlays that never write the base;
- a crash test: a write workload killed with SIGKILL at random moments, then `qemu-img
  check` must find no corruption (leaks are allowed);
- the corrupt-image corpus lives in test_corrupt.py.
"""
import hashlib
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback

# run-tests-timeout: 600
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("OSPREY_BUILD", os.path.join(HERE, "..", "..", "build"))
IMG = os.path.join(BUILD, "osprey-img")
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
SANITIZED = "san" in os.path.basename(os.path.normpath(BUILD))
failures = 0


def run(*args, check=True, timeout=120):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d: %s%s" % (" ".join(args), p.returncode, out, err))
    return p.returncode, out, err


def img(*args, **kw):
    return run(IMG, *args, **kw)


def qimg(*args, **kw):
    return run(QEMU_IMG, *args, **kw)


def qio(path, *cmds, fmt="qcow2"):
    argv = [QEMU_IO, "-f", fmt]
    for c in cmds:
        argv += ["-c", c]
    run(*argv, path)


def qcheck_clean(path):
    rc, out, err = qimg("check", path, check=False)
    assert rc == 0, "qemu-img check %s: exit %d\n%s%s" % (path, rc, out, err)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def same_raw(path, d, fmt=None):
    """osprey-img and qemu-img both flatten path to raw: the results must be identical."""
    a, b = os.path.join(d, "osprey.raw"), os.path.join(d, "qemu.raw")
    fa = ["-f", fmt] if fmt else []
    img("convert", *fa, "-O", "raw", path, a)
    qimg("convert", *fa, "-O", "raw", path, b)
    assert sha(a) == sha(b), "%s: osprey and qemu-img read different data" % path
    os.unlink(a)
    os.unlink(b)


def pattern_file(path, size, seed, holes=True):
    """Random data with holes and compressible runs."""
    r = random.Random(seed)
    with open(path, "wb") as f:
        f.truncate(size)
        pos = 0
        while pos < size:
            n = min(size - pos, r.choice([4096, 65536, 200000, 1 << 20]))
            kind = r.random()
            if holes and kind < 0.3:
                pass
            elif kind < 0.6:
                f.seek(pos)
                f.write(bytes([r.randrange(256)]) * n)
            else:
                f.seek(pos)
                f.write(r.randbytes(n))
            pos += n


def header_extensions(h):
    """(type, length, data) of each header extension of a version 3 image."""
    pos = struct.unpack_from(">I", h, 100)[0]
    out = []
    while pos + 8 <= len(h):
        t, n = struct.unpack_from(">II", h, pos)
        if t == 0:
            break
        out.append((t, n, bytes(h[pos + 8:pos + 8 + n])))
        pos += 8 + (n + 7) // 8 * 8
    return out


def case(name, fn, need_qemu=True):
    global failures
    if need_qemu and not (QEMU_IMG and QEMU_IO):
        print("skip %s: qemu-img/qemu-io not installed (scripts/install-deps.sh --test: "
              "qemu-utils)" % name)
        return
    d = tempfile.mkdtemp(prefix="osprey-block-")
    start = time.time()
    try:
        fn(d)
        print("ok %s  # %.1fs" % (name, time.time() - start))
    except AssertionError as e:
        failures += 1
        where = traceback.extract_tb(e.__traceback__)[-1]
        print("FAIL %s: %s (line %d)" % (name, e, where.lineno))
    except subprocess.TimeoutExpired as e:
        failures += 1
        print("FAIL %s: timed out: %s" % (name, e))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    sys.stdout.flush()


def t_create_passes_qemu_check(d):
    variants = [[], ["-o", "compat=0.10"], ["-o", "cluster_size=512"],
                ["-o", "cluster_size=2M"], ["-o", "cluster_size=4k,refcount_bits=1"],
                ["-o", "refcount_bits=64"], ["-o", "compat=1.1,cluster_size=16384"]]
    for i, v in enumerate(variants):
        p = os.path.join(d, "c%d.qcow2" % i)
        img("create", "-q", "-f", "qcow2", *v, p, "100M")
        qcheck_clean(p)
        info = json.loads(qimg("info", "--output=json", p)[1])
        assert info["virtual-size"] == 100 << 20 and info["format"] == "qcow2", info
        if v == ["-o", "cluster_size=512"]:
            assert info["cluster-size"] == 512, info
        # ours reads qemu-img's view of the same facts
        ours = json.loads(img("info", "--output=json", p)[1])
        assert ours["virtual-size"] == info["virtual-size"], ours
        assert ours["cluster-size"] == info["cluster-size"], ours
        assert ours["format-specific"]["data"]["compat"] == \
            info["format-specific"]["data"]["compat"], ours


def t_osprey_writes_qemu_reads(d):
    src = os.path.join(d, "src.raw")
    pattern_file(src, 24 << 20, 1)
    for i, opts in enumerate(["cluster_size=65536", "cluster_size=512", "compat=0.10",
                              "cluster_size=4096,refcount_bits=8"]):
        dst = os.path.join(d, "o%d.qcow2" % i)
        img("convert", "-f", "raw", "-O", "qcow2", "-o", opts, src, dst)
        qcheck_clean(dst)
        rc, out, _ = qimg("compare", "-f", "raw", "-F", "qcow2", src, dst, check=False)
        assert rc == 0, "%s: %s" % (opts, out)
    # compressed, written by convert -c: smaller, clean, identical
    txt = os.path.join(d, "txt.raw")
    with open(txt, "wb") as f:
        r = random.Random(2)
        for _ in range((8 << 20) // 64):
            f.write((b"block %d " % r.randrange(10000)).ljust(64, b"."))
    c = os.path.join(d, "c.qcow2")
    img("convert", "-c", "-p", "-f", "raw", "-O", "qcow2", txt, c)
    qcheck_clean(c)
    assert os.path.getsize(c) < (8 << 20) // 4, "compressed image is %d bytes" % os.path.getsize(c)
    assert qimg("compare", "-f", "raw", txt, c, check=False)[0] == 0
    omap = json.loads(img("map", "--output=json", c)[1])
    assert all(e["compressed"] for e in omap), omap[:3]


def t_qemu_images_read_identically(d):
    base = os.path.join(d, "base.raw")
    pattern_file(base, 16 << 20, 3)
    # compressed (qemu packs several clusters per host cluster)
    qc = os.path.join(d, "qc.qcow2")
    qimg("convert", "-c", "-f", "raw", "-O", "qcow2", base, qc)
    same_raw(qc, d)
    # version 2, small clusters
    v2 = os.path.join(d, "v2.qcow2")
    qimg("convert", "-f", "raw", "-O", "qcow2", "-o", "compat=0.10,cluster_size=1024", base, v2)
    same_raw(v2, d)
    # a chain: raw <- qcow2 <- qcow2, with zero clusters, discards and a partial cluster
    mid = os.path.join(d, "mid.qcow2")
    top = os.path.join(d, "top.qcow2")
    qimg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", mid)
    qio(mid, "write -P 0x11 1M 100k", "write -z 3M 64k", "write -P 0x33 5000 3000")
    qimg("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "-o",
         "cluster_size=4096", top)
    qio(top, "write -P 0x22 1050k 300k", "discard 8M 1M", "write -z -u 12M 128k")
    same_raw(top, d)
    # internal snapshots: current state, and each snapshot applied
    sn = os.path.join(d, "sn.qcow2")
    qimg("convert", "-f", "raw", "-O", "qcow2", base, sn)
    qio(sn, "write -P 0x44 0 256k")
    qimg("snapshot", "-c", "one", sn)
    qio(sn, "write -P 0x55 128k 256k", "write -z 4M 1M")
    qimg("snapshot", "-c", "two", sn)
    qio(sn, "write -P 0x66 10M 64k")
    same_raw(sn, d)
    listing = img("snapshot", "-l", sn)[1]
    assert " one " in listing and " two " in listing, listing
    for name in ("one", "two"):
        a, b = os.path.join(d, "a.qcow2"), os.path.join(d, "b.qcow2")
        shutil.copy(sn, a)
        shutil.copy(sn, b)
        img("snapshot", "-a", name, a)
        qimg("snapshot", "-a", name, b)
        qcheck_clean(a)
        assert qimg("compare", a, b, check=False)[0] == 0, "snapshot %s applied differs" % name


def t_osprey_writes_into_qemu_images(d):
    """Random async writes into images with compressed, shared (snapshot) and backing data."""
    base = os.path.join(d, "base.raw")
    pattern_file(base, 16 << 20, 4)
    top = os.path.join(d, "top.qcow2")
    qimg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", top)
    qio(top, "write -P 0x11 1M 1M", "write -z 6M 1M")
    qimg("snapshot", "-c", "snap", top)
    qc = os.path.join(d, "qc.qcow2")
    qimg("convert", "-c", "-f", "raw", "-O", "qcow2", base, qc)
    qimg("snapshot", "-c", "snap", qc)
    for path in (top, qc):
        img("bench", "-w", "-c", "3000", "-d", "8", "-S", "7", path)
        qcheck_clean(path)
        same_raw(path, d)
        # the snapshot still holds the old data
        a = os.path.join(d, "applied.qcow2")
        shutil.copy(path, a)
        qimg("snapshot", "-a", "snap", a)
        same_raw(a, d)


def t_check_and_repair(d):
    p = os.path.join(d, "r.qcow2")
    img("create", "-q", "-f", "qcow2", p, "16M")
    qio(p, "write -P 0x5a 0 1M")
    rc, out, _ = img("check", p)
    assert "No errors were found" in out, out
    # a leak: a cluster inside the file that nothing uses gets a refcount
    # (the refcount block is cluster 2; the file has clusters 0-20)
    with open(p, "r+b") as f:
        f.truncate(30 * 65536)
        f.seek(2 * 65536 + 2 * 25)
        f.write((1).to_bytes(2, "big"))
    rc, out, err = img("check", p, check=False)
    assert rc == 3 and "1 leaked clusters" in out, (rc, out, err)
    assert qimg("check", p, check=False)[0] == 3
    rc, out, err = img("check", "-r", "leaks", p, check=False)
    assert rc == 0 and "1 leaked clusters" in out, (rc, out, err)
    qcheck_clean(p)
    # a corruption: the refcount of a data cluster (cluster 5) drops to 0
    with open(p, "r+b") as f:
        f.seek(2 * 65536 + 2 * 5)
        f.write((0).to_bytes(2, "big"))
    rc, out, err = img("check", p, check=False)
    assert rc == 2 and "errors were found" in out, (rc, out, err)
    assert qimg("check", p, check=False)[0] == 2
    rc, out, err = img("check", "-r", "all", p, check=False)
    assert rc == 0, (rc, out, err)
    qcheck_clean(p)
    raw = os.path.join(d, "r.raw")
    img("create", "-q", "-f", "raw", raw, "1M")
    assert img("check", "-f", "raw", raw, check=False)[0] == 63


def t_snapshots_resize_commit_rebase(d):
    p = os.path.join(d, "s.qcow2")
    img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", p, "8M")
    qio(p, "write -P 0x01 0 2M")
    img("snapshot", "-c", "first", p)
    qio(p, "write -P 0x02 1M 2M")
    img("snapshot", "-c", "second", p)
    qcheck_clean(p)
    names = [s["name"] for s in json.loads(qimg("info", "--output=json", p)[1])["snapshots"]]
    assert names == ["first", "second"], names
    img("snapshot", "-a", "first", p)
    qcheck_clean(p)
    rc, out, _ = run(QEMU_IO, "-c", "read -P 0x01 0 2M", "-c", "read -P 0 2M 1M", p)
    assert "Pattern verification failed" not in out, out
    img("snapshot", "-d", "first", p)
    qcheck_clean(p)
    assert img("snapshot", "-a", "nosuch", p, check=False)[0] == 1
    # resize past what the L1 table covers
    img("resize", p, "+3G")
    qcheck_clean(p)
    assert json.loads(qimg("info", "--output=json", p)[1])["virtual-size"] == (8 << 20) + (3 << 30)
    qio(p, "write -P 0x03 3G 64k")
    qcheck_clean(p)
    assert img("resize", p, "1M", check=False)[0] == 1  # shrinking needs --shrink
    # commit: the overlay's data lands in its base
    base = os.path.join(d, "base.qcow2")
    top = os.path.join(d, "top.qcow2")
    img("create", "-q", "-f", "qcow2", base, "4M")
    qio(base, "write -P 0x0a 0 4M")
    img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top)
    qio(top, "write -P 0x0b 1M 64k")
    img("commit", top)
    qcheck_clean(base)
    assert img("compare", base, top)[0] == 0
    # rebase (safe) onto an empty base keeps what the guest sees
    empty = os.path.join(d, "empty.qcow2")
    img("create", "-q", "-f", "qcow2", empty, "4M")
    before = os.path.join(d, "before.raw")
    img("convert", "-O", "raw", top, before)
    img("rebase", "-b", "empty.qcow2", "-F", "qcow2", top)
    qcheck_clean(top)
    assert json.loads(qimg("info", "--output=json", top)[1])["backing-filename"] == "empty.qcow2"
    rc, out, _ = img("compare", "-f", "raw", before, top, check=False)
    assert rc == 0, out
    # header extensions survive a header rewrite: plant an unknown one, rebase, look again
    with open(top, "r+b") as f:
        h = f.read(4096)
        hlen = struct.unpack_from(">I", h, 100)[0]
        boff, bsize = struct.unpack_from(">QI", h, 8)
        name = h[boff:boff + bsize]
        area = b"".join(struct.pack(">II", t, n) + d + b"\0" * ((8 - n % 8) % 8)
                        for t, n, d in header_extensions(h))
        area += struct.pack(">II", 0x0ddba11, 5) + b"hello\0\0\0" + b"\0" * 8
        f.seek(hlen)
        f.write(area + name)
        f.seek(8)
        f.write(struct.pack(">QI", hlen + len(area), bsize))
    before = header_extensions(open(top, "rb").read(4096))
    img("rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", top)
    assert json.loads(qimg("info", "--output=json", top)[1])["backing-filename"] == "base.qcow2"
    after = header_extensions(open(top, "rb").read(4096))
    assert (0x0ddba11, 5, b"hello") in after, after
    assert sorted(t for t, _, _ in before) == sorted(t for t, _, _ in after), (before, after)
    qcheck_clean(top)
    # compare: exit status 1 and the first differing offset
    other = os.path.join(d, "other.qcow2")
    shutil.copy(base, other)
    qio(other, "write -P 0x0c 70000 1")
    rc, out, _ = img("compare", base, other, check=False)
    assert rc == 1 and "Content mismatch at offset 69632!" in out, (rc, out)


def t_map_matches_qemu(d):
    base = os.path.join(d, "base.raw")
    pattern_file(base, 8 << 20, 5)
    top = os.path.join(d, "top.qcow2")
    qimg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", top)
    qio(top, "write -P 0x11 1M 256k", "write -z 3M 64k")

    def data_bytes(entries, want_data):
        return sorted((e["start"], e["start"] + e["length"]) for e in entries
                      if e["data"] == want_data and e["depth"] == 0)
    ours = json.loads(img("map", "--output=json", top)[1])
    theirs = json.loads(qimg("map", "--output=json", top)[1])
    assert sum(e["length"] for e in ours) == 8 << 20, ours
    assert data_bytes(ours, True) == data_bytes(theirs, True), (ours, theirs)
    human = img("map", top)[1]
    assert human.splitlines()[0].startswith("Offset"), human


def t_lock(d):
    p = os.path.join(d, "l.qcow2")
    img("create", "-q", "-f", "qcow2", p, "16M")
    w = subprocess.Popen([IMG, "bench", "-w", "-d", "2", p], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert w.stdout.readline().startswith(b"bench: started")
        for args in (["bench", "-w", "-c", "1", p], ["info", p]):
            rc, out, err = img(*args, check=False)
            assert rc == 1 and "is locked by another process" in err, (args, rc, err)
        rc, out, err = img("info", "-U", p, check=False)  # --force-share reads anyway
        assert rc == 0 and "file format: qcow2" in out, (rc, err)
    finally:
        w.kill()
        w.wait()
    img("bench", "-w", "-c", "10", p)  # the lock died with the process


def t_cache_modes_and_snapshot_overlay(d):
    p = os.path.join(d, "c.qcow2")
    img("create", "-q", "-f", "qcow2", p, "16M")
    raw = os.path.join(d, "c.raw")
    img("create", "-q", "-f", "raw", raw, "16M")
    for mode in ("writeback", "unsafe", "none", "directsync"):
        for path, fmt in ((p, "qcow2"), (raw, "raw")):
            # queue depth 1: the same writes in the same order in both images
            rc, out, err = img("bench", "-w", "-d", "1", "-C", mode, "-f", fmt, "-c", "150",
                               "-S", "3", path, check=False)
            if rc != 0 and "O_DIRECT" in err:
                continue  # a file system without O_DIRECT: the clear error is the behaviour
            assert rc == 0, (mode, fmt, err)
    qcheck_clean(p)
    # the same seeded writes leave the same bytes in raw and qcow2
    assert qimg("compare", "-f", "raw", "-F", "qcow2", raw, p, check=False)[0] == 0
    # -snapshot: writes go to a temporary overlay; neither image file changes
    tmp = os.path.join(d, "tmp")
    os.mkdir(tmp)
    env_tmp = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = tmp
    try:
        for path, fmt in ((p, "qcow2"), (raw, "raw")):
            before = sha(path)
            img("bench", "-w", "-s", "-f", fmt, "-c", "500", "-S", "9", path)
            assert sha(path) == before, "%s changed under -snapshot" % fmt
        assert os.listdir(tmp) == [], os.listdir(tmp)
    finally:
        if env_tmp is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = env_tmp


def t_crash_kill9(d):
    """SIGKILL a random-write workload at random moments; qemu-img check: never corruption."""
    r = random.Random(int(os.environ.get("OSPREY_CRASH_SEED", "20260")))
    base = os.path.join(d, "base.raw")
    pattern_file(base, 32 << 20, 6)
    kills = leaks = 0
    iterations = 24
    images = []
    for i, opts in enumerate(["cluster_size=65536", "cluster_size=4096", "cluster_size=512",
                              "compat=0.10"]):
        p = os.path.join(d, "k%d.qcow2" % i)
        if i == 1:
            img("create", "-q", "-f", "qcow2", "-o", opts, "-b", "base.raw", "-F", "raw", p)
        else:
            img("create", "-q", "-f", "qcow2", "-o", opts, p, "32M")
        images.append(p)
    for it in range(iterations):
        p = images[it % len(images)]
        if it % 8 == 3:
            qimg("snapshot", "-c", "s%d" % it, p)  # shared clusters: writes copy L2 tables
        w = subprocess.Popen([IMG, "bench", "-w", "-d", str(r.choice([1, 4, 8])), "-S",
                              str(r.randrange(1 << 30)), p],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = w.stdout.readline()
        time.sleep(r.uniform(0.02, 0.4))
        alive = w.poll() is None
        w.send_signal(signal.SIGKILL)
        w.wait()
        assert line.startswith(b"bench: started") and alive, \
            "workload did not run: %r %r" % (line, w.stderr.read())
        kills += 1
        rc, out, err = qimg("check", p, check=False)
        assert rc in (0, 3), "after kill %d (%s): qemu-img check exit %d\n%s%s" % (
            it, p, rc, out, err)
        if rc == 3:
            leaks += 1
            # our own check agrees, and repairs the leaks
            assert img("check", p, check=False)[0] == 3
            img("check", "-r", "leaks", p)
            qcheck_clean(p)
        if it % 6 == 5:
            same_raw(p, d)  # and every cluster reads back as qemu-img reads it
    print("# crash test: %d kills, %d left leaks (repaired), 0 corruptions" % (kills, leaks))


if not os.access(IMG, os.X_OK):
    print("FAIL block/osprey-img: %s not built" % IMG)
    sys.exit(1)
case("block/create-passes-qemu-check", t_create_passes_qemu_check)
case("block/osprey-writes-qemu-reads", t_osprey_writes_qemu_reads)
case("block/qemu-images-read-identically", t_qemu_images_read_identically)
case("block/osprey-writes-into-qemu-images", t_osprey_writes_into_qemu_images)
case("block/check-and-repair", t_check_and_repair)
case("block/snapshots-resize-commit-rebase", t_snapshots_resize_commit_rebase)
case("block/map-matches-qemu", t_map_matches_qemu)
case("block/lock", t_lock, need_qemu=False)
case("block/cache-modes-and-snapshot-overlay", t_cache_modes_and_snapshot_overlay)
case("block/crash-kill9", t_crash_kill9)
sys.exit(1 if failures else 0)
