"""A small driver for Osprey's qtest accelerator.

Starts $OSPREY (default build/osprey) with
    -accel qtest -qtest stdio -nodefaults -display none EXTRA...
talks the line protocol over its stdin/stdout, collects the asynchronous
"IRQ raise N" / "IRQ lower N" lines, and always cleans the process up.

    with QTest(["-device", "isa-debug-exit"]) as qt:
        qt.outb(0x501, 1)
        assert qt.wait_exit() == 3

Test scripts use run_cases() to print one line per case
(ok NAME / FAIL NAME: why / skip NAME: why) and exit non-zero on failure.
"""
import atexit
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OSPREY = os.environ.get("OSPREY", os.path.join(ROOT, "build", "osprey"))
DEFAULT_TIMEOUT = 10.0
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

_live = []


class QTestError(Exception):
    pass


class Skip(Exception):
    pass


class QTest:
    def __init__(self, args=(), timeout=DEFAULT_TIMEOUT, base_args=None):
        if base_args is None:
            base_args = ["-accel", "qtest", "-qtest", "stdio", "-nodefaults",
                         "-display", "none"]
        self.argv = [OSPREY] + list(base_args) + list(args)
        self.timeout = timeout
        self.irqs = []          # async events in arrival order: ("raise"|"lower", n)
        self.noise = []         # stdout lines that are not part of the protocol
        self._buf = b""
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr)
        _live.append(self)

    # -- process handling -------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def stderr_text(self):
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _died(self, what):
        rc = self.proc.poll()
        err = self.stderr_text().strip()
        msg = "%s: osprey %s" % (what, "exited with status %s" % rc if rc is not None
                                 else "closed its output")
        if err:
            msg += " (stderr: %s)" % err.splitlines()[-1][:300]
        return QTestError(msg)

    def close(self):
        """Stop the emulator however it is doing; never leaves a process behind."""
        if self.proc.poll() is None:
            # SIGTERM, as QEMU's libqtest does: stdin EOF alone need not end the emulator.
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        # Sanitizer reports go to the emulator's stderr; show them where the runner looks.
        err = self.stderr_text()
        if any(m in err for m in SANITIZER_MARKERS):
            print("osprey stderr (sanitizer report):\n" + err)
            sys.stdout.flush()
        if self in _live:
            _live.remove(self)

    def wait_exit(self, timeout=None):
        """Wait for the emulator to exit by itself; returns its exit status."""
        try:
            return self.proc.wait(timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            raise QTestError("osprey did not exit within %ss" % (timeout or self.timeout))

    # -- the protocol -------------------------------------------------------

    def _readline(self, deadline):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QTestError("timed out waiting for a reply")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            data = os.read(fd, 65536)
            if not data:
                raise self._died("waiting for a reply")
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def _take_async(self, line):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "IRQ" and parts[1] in ("raise", "lower"):
            self.irqs.append((parts[1], int(parts[2])))
            return True
        return False

    def raw(self, line, timeout=None):
        """Send one command and return its reply line (OK... or FAIL...)."""
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died("sending %r" % line)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._readline(deadline)
            if self._take_async(reply):
                continue
            if reply.startswith("OK") or reply.startswith("FAIL"):
                return reply
            self.noise.append(reply)

    def cmd(self, line, timeout=None):
        """Send a command that must succeed; returns the text after OK."""
        reply = self.raw(line, timeout)
        if not (reply == "OK" or reply.startswith("OK ")):
            raise QTestError("%r -> %r" % (line, reply))
        return reply[3:]

    def poll_async(self, wait=0.0):
        """Collect IRQ lines that arrived without a command (e.g. from a timer)."""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + wait
        while True:
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                line = line.decode(errors="replace")
                if not self._take_async(line):
                    self.noise.append(line)
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return
            data = os.read(fd, 65536)
            if not data:
                return
            self._buf += data

    def pop_irqs(self):
        events, self.irqs = self.irqs, []
        return events

    # PIO
    def outb(self, port, val):
        self.cmd("outb 0x%x 0x%x" % (port, val))

    def outw(self, port, val):
        self.cmd("outw 0x%x 0x%x" % (port, val))

    def outl(self, port, val):
        self.cmd("outl 0x%x 0x%x" % (port, val))

    def inb(self, port):
        return int(self.cmd("inb 0x%x" % port), 0)

    def inw(self, port):
        return int(self.cmd("inw 0x%x" % port), 0)

    def inl(self, port):
        return int(self.cmd("inl 0x%x" % port), 0)

    # memory
    def readb(self, addr):
        return int(self.cmd("readb 0x%x" % addr), 0)

    def readw(self, addr):
        return int(self.cmd("readw 0x%x" % addr), 0)

    def readl(self, addr):
        return int(self.cmd("readl 0x%x" % addr), 0)

    def readq(self, addr):
        return int(self.cmd("readq 0x%x" % addr), 0)

    def writeb(self, addr, val):
        self.cmd("writeb 0x%x 0x%x" % (addr, val))

    def writew(self, addr, val):
        self.cmd("writew 0x%x 0x%x" % (addr, val))

    def writel(self, addr, val):
        self.cmd("writel 0x%x 0x%x" % (addr, val))

    def writeq(self, addr, val):
        self.cmd("writeq 0x%x 0x%x" % (addr, val))

    def memread(self, addr, length):
        return bytes.fromhex(self.cmd("read 0x%x 0x%x" % (addr, length))[2:])

    def memwrite(self, addr, data):
        self.cmd("write 0x%x 0x%x 0x%s" % (addr, len(data), bytes(data).hex()))

    # clock and interrupts
    def clock_step(self, ns=None):
        return int(self.cmd("clock_step" if ns is None else "clock_step %d" % ns))

    def clock_set(self, ns):
        return int(self.cmd("clock_set %d" % ns))

    def irq_intercept(self, name="isa"):
        """Report changes of the lines of group NAME as ("raise"|"lower", n) in self.irqs."""
        self.cmd("irq_intercept_in %s" % name)

    def irq_get(self, n, name=None):
        """Level of ISA IRQ n, or of line n of group NAME (e.g. "pic-intr")."""
        if name is None:
            return int(self.cmd("irq_get %d" % n))
        return int(self.cmd("irq_get %s %d" % (name, n)))

    def set_irq_in(self, name, n, level):
        """Drive input line n of group NAME (e.g. "isa") to level 0 or 1."""
        self.cmd("set_irq_in %s %d %d" % (name, n, 1 if level else 0))

    def intr_ack(self, cpu=0):
        """The INTA cycle the CPU would run now: the vector, or -1 without INTR."""
        return int(self.cmd("intr_ack %d" % cpu))


_tmpdirs = []


def _cleanup():
    for qt in list(_live):
        qt.close()


def _cleanup_at_exit():
    _cleanup()
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup_at_exit)


def temp_path(name):
    """A path in a fresh temporary directory removed at exit."""
    d = tempfile.mkdtemp(prefix="osprey-qt-")
    _tmpdirs.append(d)
    return os.path.join(d, name)


def unix_socket_path(tag):
    """A fresh, short path for a unix socket (sun_path is limited to 107 bytes)."""
    d = tempfile.mkdtemp(prefix="osprey-qt-")
    _tmpdirs.append(d)
    return os.path.join(d, tag + ".sock")


def connect_unix(path, timeout=DEFAULT_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise QTestError("could not connect to %s" % path)
            time.sleep(0.02)


class MonitorProcess:
    """osprey with no CPU and one monitor on a unix socket (-monitor, -qmp or
    -qmp-pretty); connect() waits for the socket and wraps it with client_class.
    Always killed at the end."""

    def __init__(self, option, client_class, extra=(), timeout=DEFAULT_TIMEOUT):
        self.sock_path = unix_socket_path(option.lstrip("-"))
        self.client_class = client_class
        self.timeout = timeout
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [OSPREY, "-accel", "qtest", "-qtest", "null", "-nodefaults", "-display", "none",
             option, "unix:%s,server=on,wait=off" % self.sock_path] + list(extra),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr)

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def connect(self):
        deadline = time.monotonic() + self.timeout
        while not os.path.exists(self.sock_path):
            if self.proc.poll() is not None:
                raise QTestError("osprey exited with %d: %s" %
                                 (self.proc.returncode, self.stderr_text().strip()))
            if time.monotonic() > deadline:
                raise QTestError("monitor socket never appeared")
            time.sleep(0.02)
        return self.client_class(connect_unix(self.sock_path))

    def wait(self, timeout=None):
        timeout = self.timeout if timeout is None else timeout
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise QTestError("osprey did not exit within %ss" % timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def recv_exactly(sock, n, timeout=5.0):
    """Read n bytes from sock, or fail with what arrived by the timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise QTestError("expected %d bytes on the socket, got %r" % (n, data))
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(data))
        except socket.timeout:
            continue
        if not chunk:
            raise QTestError("socket closed after %r" % data)
        data += chunk
    return data


def recv_nothing(sock, wait=0.2):
    """Return whatever arrives within wait seconds (expected: nothing)."""
    sock.settimeout(wait)
    try:
        return sock.recv(4096)
    except socket.timeout:
        return b""


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def check_eq(actual, expected, what):
    if actual != expected:
        if isinstance(expected, int) and isinstance(actual, int):
            raise AssertionError("%s: got 0x%x, expected 0x%x" % (what, actual, expected))
        raise AssertionError("%s: got %r, expected %r" % (what, actual, expected))


def run_cases(cases):
    """Run (name, function) pairs, print one line each, exit 1 if any failed."""
    if not os.access(OSPREY, os.X_OK):
        print("FAIL setup: osprey binary %s not found (build it, or set OSPREY)" % OSPREY)
        sys.exit(1)
    failed = 0
    for name, fn in cases:
        try:
            fn()
            print("ok %s" % name)
        except Skip as e:
            print("skip %s: %s" % (name, e))
        except Exception as e:  # one broken case must not hide the others
            failed += 1
            why = str(e) or type(e).__name__
            print("FAIL %s: %s" % (name, why.replace("\n", " | ")))
            if os.environ.get("QTEST_VERBOSE"):
                traceback.print_exc()
        finally:
            _cleanup()
        sys.stdout.flush()
    sys.exit(1 if failed else 0)
