"""Shared by tests/linux/test_linux.py and tests/bench/bench.py: fetch the Debian assets, build an
initramfs, choose the emulator, and boot Linux on it while timing every console line.

The command line is QEMU's, so the same code drives Osprey and qemu-system-x86_64:
    EMULATOR -m 512 -nographic -kernel vmlinuz -initrd initrd.gz -append "console=ttyS0" [...]

Environment:
    OSPREY_LINUX_EMULATOR   osprey (default: $OSPREY, else build/osprey), qemu (Debian's
                            qemu-system-x86_64 -accel tcg), or a command line to run as is
    OSPREY_LINUX_ACCEL      an -accel value to add (default: none for Osprey, as in the issue's
                            command; tcg for qemu)
    OSPREY_LINUX_TIMEOUT    seconds one boot may take (default 600: Osprey's interpreter is slow)
    OSPREY_ASSETS           the asset cache (default ~/.cache/osprey/assets)
"""
import os
import re
import shlex
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FETCH = os.path.join(HERE, "fetch-assets.sh")
MKINITRAMFS = os.path.join(HERE, "make-initramfs.py")
MARKER = "OSPREY-INIT-MARKER"
ASSETS_UNREACHABLE = 3    # fetch-assets.sh's exit status when the archive cannot be reached

# Lines that must never appear in a clean kernel log. The watchdog's "read-back delay" notice
# is not one: it says a clock read was slow (a busy or sanitizer-instrumented host), and the
# watchdog skipped that measurement; a clock it distrusts is reported as "unstable".
BAD_LOG = [re.compile(p) for p in (r"BUG:", r"WARNING:", r"Oops", r"panic", r"Call Trace",
                                   r"timekeeping watchdog(?!.*read-back delay)",
                                   r"clocksource.*unstable")]


class AssetsError(Exception):
    def __init__(self, msg, unreachable):
        super().__init__(msg)
        self.unreachable = unreachable


def fetch_assets():
    """Run fetch-assets.sh; returns {"VMLINUZ_AMD64": path, ...}."""
    proc = subprocess.run(["sh", FETCH], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = proc.stderr.decode(errors="replace").strip()
    if proc.returncode != 0:
        why = err.splitlines()[-1] if err else "exit status %d" % proc.returncode
        raise AssetsError(why, proc.returncode == ASSETS_UNREACHABLE)
    assets = {}
    for line in proc.stdout.decode().splitlines():
        key, sep, val = line.partition("=")
        if sep:
            assets[key] = val
    for key in ("VMLINUZ_AMD64", "BUSYBOX_AMD64", "MODULES_AMD64", "VMLINUZ_686", "BUSYBOX_I386"):
        if not os.path.exists(assets.get(key, "")):
            raise AssetsError("fetch-assets.sh did not produce %s" % key, False)
    return assets


def sanitizer_build():
    """Is OSPREY_BUILD (default build/) an ASan/UBSan build? Heavy guest boots skip there."""
    config = os.path.join(os.environ.get("OSPREY_BUILD", "build"), "config.mk")
    try:
        with open(config) as f:
            return "-fsanitize=" in f.read()
    except OSError:
        return False


def work_dir():
    d = os.path.join(os.environ.get("OSPREY_BUILD", os.path.join(ROOT, "build")), "linux")
    os.makedirs(d, exist_ok=True)
    return d


def make_initramfs(busybox, name, mode="test", size="small", modules=None, kmods=None,
                   kmod=(), script=None, files=(), workloads=None):
    """Build BUILD/linux/NAME. Script mode: kmods is the module tree (KMODS_AMD64), kmod the
    modules to load, script the shell code to run after the marker, files (host, guest) pairs.
    workloads: overrides of the test mode's sizes, e.g. {"sha-mib": 1, "forks": 10}."""
    out = os.path.join(work_dir(), name)
    cmd = [sys.executable, MKINITRAMFS, "--busybox", busybox, "--out", out, "--mode", mode,
           "--size", size]
    for key, val in sorted((workloads or {}).items()):
        cmd += ["--" + key, str(val)]
    if modules:
        cmd += ["--modules", modules]
    if kmods:
        cmd += ["--kmods", kmods]
    for m in kmod:
        cmd += ["--kmod", m]
    if script is not None:
        path = out + ".script"
        with open(path, "w") as f:
            f.write(script)
        cmd += ["--script", path]
    for host, guest in files:
        cmd += ["--file", "%s:%s" % (host, guest)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out


def emulator(kind=None, accel=None):
    """The emulator's argv prefix and a short label, from OSPREY_LINUX_EMULATOR or kind."""
    kind = kind or os.environ.get("OSPREY_LINUX_EMULATOR", "osprey")
    if accel is None:
        accel = os.environ.get("OSPREY_LINUX_ACCEL")
    if kind == "osprey":
        cmd = [os.environ.get("OSPREY", os.path.join(ROOT, "build", "osprey"))]
    elif kind == "qemu":
        cmd = ["qemu-system-x86_64"]
        accel = accel or "tcg"
    else:
        cmd = shlex.split(kind)
    # Boots run in BUILD/linux: a relative path to the binary must not depend on that.
    if "/" in cmd[0]:
        cmd[0] = os.path.abspath(cmd[0])
    if accel:
        cmd += ["-accel", accel]
    return cmd, kind


def boot_timeout():
    return float(os.environ.get("OSPREY_LINUX_TIMEOUT", "600"))


class Boot:
    """One guest run. lines: [(seconds since launch, host wall time, text)], one per console
    line as it arrived; rc: exit status (None if killed). The console is kept in
    BUILD/linux/NAME.log."""

    def __init__(self, argv, name="boot", timeout=None):
        self.argv = argv
        self.name = name
        self.timeout = timeout or boot_timeout()
        self.lines = []
        self.rc = None
        self.timed_out = False
        self.start = None
        self.proc = None
        self._cond = threading.Condition()
        self._eof = False

    def launch(self):
        self.start = time.monotonic()
        # stdin is not the terminal: -nographic's mux then only carries the serial output.
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=work_dir())
        threading.Thread(target=self._reader, daemon=True).start()
        return self

    def _reader(self):
        for raw in self.proc.stdout:
            text = raw.decode(errors="replace").rstrip("\r\n")
            with self._cond:
                self.lines.append((time.monotonic() - self.start, time.time(), text))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for_line(self, pattern):
        """Block until a console line matches; returns (index, line) or None (exit/timeout)."""
        rx = re.compile(pattern)
        seen = 0
        deadline = self.start + self.timeout
        with self._cond:
            while True:
                for i in range(seen, len(self.lines)):
                    if rx.search(self.lines[i][2]):
                        return self.lines[i]
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    return None
                self._cond.wait(min(left, 1.0))

    def finish(self):
        """Wait for the emulator to exit (killing it at the timeout); returns self."""
        left = max(0.0, self.start + self.timeout - time.monotonic())
        try:
            self.rc = self.proc.wait(timeout=left)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.proc.kill()
            self.proc.wait()
        with self._cond:
            deadline = time.monotonic() + 5
            while not self._eof and time.monotonic() < deadline:
                self._cond.wait(0.5)
        log = os.path.join(work_dir(), self.name + ".log")
        with open(log, "w") as f:
            f.write(self.text())
        return self

    def run(self):
        return self.launch().finish()

    def text(self):
        return "\n".join(line[2] for line in self.lines)

    def find(self, pattern):
        """The first console line matching, as (seconds, wall, text), or None."""
        rx = re.compile(pattern)
        for line in self.lines:
            if rx.search(line[2]):
                return line
        return None

    def findall(self, pattern):
        rx = re.compile(pattern)
        return [line for line in self.lines if rx.search(line[2])]

    def marker_seconds(self):
        line = self.find(MARKER)
        return line[0] if line else None

    def workloads(self):
        """{name: seconds} from PASS lines and {name: why} from FAIL lines."""
        passed, failed = {}, {}
        for _, _, text in self.lines:
            m = re.match(r"PASS (\S+) ([0-9.]+)$", text.strip())
            if m:
                passed[m.group(1)] = float(m.group(2))
            m = re.match(r"FAIL (\S+) (.*)$", text.strip())
            if m:
                failed[m.group(1)] = m.group(2)
        return passed, failed

    def bad_log_lines(self):
        return [t for _, _, t in self.lines if any(rx.search(t) for rx in BAD_LOG)]

    def tail(self, n=25):
        return "\n".join("    | " + line[2] for line in self.lines[-n:])

    def outcome(self):
        """A one-line account of how the run ended."""
        if self.timed_out:
            return "timed out after %ds" % self.timeout
        return "exit status %s after %.1fs" % (self.rc, self.lines[-1][0] if self.lines else 0)


def linux_argv(emu, kernel, initrd, mem=512, smp=None, extra=()):
    argv = list(emu) + ["-m", str(mem), "-nographic", "-kernel", kernel, "-initrd", initrd,
                        "-append", "console=ttyS0"]
    if smp:
        argv += ["-smp", str(smp)]
    return argv + list(extra)
