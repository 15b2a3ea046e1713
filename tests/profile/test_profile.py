#!/usr/bin/env python3
"""DBT profiling: -d tb_stats, -d tb_summary and -perfmap on a tiny real-mode guest.

The guest is a 64 KiB firmware image built here: a loop of LOOPS iterations of
`xor eax, eax; cpuid; dec si; jnz` (one block, entered LOOPS-1 times through its chained jump after the
first pass, which runs inside the entry block), then isa-debug-exit with 0x10 (status 33).
Exact counts come out because under -d tb_stats every block counts its own entries.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from casekit import Cases  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("OSPREY_BUILD", os.path.join(ROOT, "build"))
OSPREY = os.environ.get("OSPREY", os.path.join(BUILD, "osprey"))
LOOPS = 3000
CASES = Cases()
case = CASES.run


def firmware():
    code = bytes([
        0x31, 0xc0,                    # xor ax, ax
        0xbe, LOOPS & 0xff, LOOPS >> 8,  # mov si, LOOPS (cpuid writes eax..edx)
        # loop:
        0x66, 0x31, 0xc0,              # xor eax, eax  (leaf 0)
        0x0f, 0xa2,                    # cpuid         (a helper call)
        0x4e,                          # dec si
        0x75, 0xf8,                    # jnz loop
        0xb0, 0x10,                    # mov al, 0x10
        0xe6, 0xf4,                    # out 0xf4, al  (isa-debug-exit: status 33)
        0xf4,                          # hlt
        0xeb, 0xfd,                    # jmp hlt
    ])
    img = bytearray(b"\xf4" * 65536)
    img[0:len(code)] = code
    img[0xfff0:0xfff5] = bytes([0xea, 0x00, 0x00, 0x00, 0xf0])  # jmp far f000:0000
    path = os.path.join(BUILD, "tests", "profile-loop.bin")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(img)
    return path


def run(*extra):
    cmd = [OSPREY, "-accel", "tcg", "-nodefaults", "-display", "none", "-bios", firmware(),
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", *extra]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    try:
        out, _ = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    return p.pid, p.returncode, out.decode(errors="replace")


def stats_line(out):
    m = re.search(r"^osprey-stats: (.*)$", out, re.M)
    assert m, "no osprey-stats line in:\n" + out
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def test_tb_stats():
    _, rc, out = run("-d", "tb_stats")
    assert rc == 33, "exit status %s:\n%s" % (rc, out)
    # The loop block (f000:0005, linear 0xf0005): LOOPS-1 entries, 4 instructions.
    m = re.search(r"^\s+\d+ 0x0*f0005 0x0*f0005\s+(\d+)\s+(\d+)\s", out, re.M)
    assert m, "no row for the loop block in:\n" + out
    assert int(m.group(1)) == LOOPS - 1, "loop block entries %s, want %d" % (m.group(1),
                                                                             LOOPS - 1)
    assert int(m.group(2)) == 4, "loop block has %s insns, want 4" % m.group(2)
    m = re.search(r"^\s+helper_cpuid\s+(\d+)", out, re.M)
    assert m, "helper_cpuid missing from the helper table:\n" + out
    assert int(m.group(1)) == LOOPS, "cpuid calls %s, want %d" % (m.group(1), LOOPS)
    st = stats_line(out)
    assert st["translated"] >= 2 and st["code_bytes"] > 0, st
    # Entries seen by the exec loop's counters agree with the blocks' own counts.
    assert st["block_entries"] >= LOOPS - 1, st
    # The first two entries come from the loop: one translates, the next patches the jump.
    assert st["chained_entries"] >= LOOPS - 3, st
    assert st["mem_accesses"] == 0 and st["helper_calls"] >= LOOPS, st
    assert re.search(r"^tb_stats: tlb: \d+ slow loads", out, re.M), out


def test_tb_summary():
    _, rc, out = run("-d", "tb_summary")
    assert rc == 33, "exit status %s:\n%s" % (rc, out)
    assert "tb_stats:" not in out, "tb_summary printed the full report"
    st = stats_line(out)
    assert "mem_accesses" not in st, "tb_summary instrumented the blocks"
    assert st["block_entries"] >= LOOPS - 1 and st["translated"] >= 2, st


def test_perfmap():
    pid, rc, out = run("-perfmap")
    path = "/tmp/perf-%d.map" % pid
    try:
        assert rc == 33, "exit status %s:\n%s" % (rc, out)
        assert os.path.exists(path), "%s not written" % path
        lines = open(path).read().splitlines()
        assert lines, "empty perf map"
        for line in lines:
            assert re.match(r"^[0-9a-f]+ [0-9a-f]+ osprey:guest-0x[0-9a-f]+$", line), line
        assert any(line.endswith("osprey:guest-0xf0005") for line in lines), lines
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_off_by_default():
    _, rc, out = run()
    assert rc == 33, "exit status %s:\n%s" % (rc, out)
    assert "osprey-stats" not in out and "tb_stats" not in out, out


def main():
    if not os.access(OSPREY, os.X_OK):
        print("skip profile: %s is not built" % OSPREY)
        return 0
    case("tb_stats", test_tb_stats)
    case("tb_summary", test_tb_summary)
    case("perfmap", test_perfmap)
    case("off_by_default", test_off_by_default)
    return CASES.status()


if __name__ == "__main__":
    sys.exit(main())
