#!/usr/bin/env python3
"""The human monitor over a unix socket: banner, prompt, commands, line editing, quit.

Runs the machine with no CPU (-accel qtest -qtest null) and types at the
"(osprey) " prompt the way a person (or an expect script) would.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import MonitorProcess, QTestError, check, check_eq, run_cases  # noqa: E402

TIMEOUT = 10.0
PROMPT = "(osprey) "


class Osprey(MonitorProcess):
    """osprey with an HMP socket; always killed at the end."""

    def __init__(self, extra=()):
        super().__init__("-monitor", Hmp, extra, TIMEOUT)


class Hmp:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_until(self, marker, timeout=TIMEOUT):
        """Everything up to and including marker (bytes)."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QTestError("timed out waiting for %r (have %r)" % (marker, self.buf))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise QTestError("monitor connection closed (have %r)" % self.buf)
            self.buf += data
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode(errors="replace")

    def greet(self):
        """The banner and first prompt."""
        return self.read_until(PROMPT.encode())

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, line):
        """Type line + Enter; returns the command's output (echo and prompt removed)."""
        self.send(line + "\r")
        out = self.read_until(PROMPT.encode())
        check(out.endswith(PROMPT), "no prompt after %r: %r" % (line, out))
        out = out[:-len(PROMPT)]
        # The monitor echoes what was typed, then "\r\n".
        echo, sep, rest = out.partition("\r\n")
        check(sep, "no end of line after %r: %r" % (line, out))
        check("\r" not in rest.replace("\r\n", ""), "bare CR in output: %r" % rest)
        return echo, rest.replace("\r\n", "\n")

    def run(self, line):
        echo, out = self.cmd(line)
        check_eq(echo, line, "echo of %r" % line)
        return out


def test_banner_and_prompt():
    with Osprey() as vm:
        hmp = vm.connect()
        text = hmp.greet()
        check(text.startswith("Osprey "), "banner: %r" % text)
        check(text.endswith("monitor - type 'help' for more information\r\n" + PROMPT),
              "banner: %r" % text)
        version = text.split()[1]
        check(all(p.isdigit() for p in version.split(".")), "banner version: %r" % text)


def test_info_status_stop_cont():
    with Osprey() as vm:
        hmp = vm.connect()
        hmp.greet()
        check_eq(hmp.run("info status"), "VM status: running\n", "info status")
        check_eq(hmp.run("stop"), "", "stop prints nothing")
        check_eq(hmp.run("info status"), "VM status: paused\n", "after stop")
        check_eq(hmp.run("cont"), "", "cont")
        check_eq(hmp.run("info status"), "VM status: running\n", "after cont")
        hmp.run("stop")
        check_eq(hmp.run("c"), "", "c alias")
        check_eq(hmp.run("info status"), "VM status: running\n", "after c")


def test_info_version():
    with Osprey() as vm:
        hmp = vm.connect()
        banner = hmp.greet()
        out = hmp.run("info version")
        check(out.endswith("\n") and out.count("\n") == 1, "one line: %r" % out)
        check_eq(out.split()[0], banner.split()[1], "version matches the banner")
        check("Osprey" in out, "package in info version: %r" % out)


def test_help():
    with Osprey() as vm:
        hmp = vm.connect()
        hmp.greet()
        out = hmp.run("help")
        for name in ("cont|c", "help|?", "info", "quit|q", "stop", "system_powerdown",
                     "system_reset"):
            check(any(line.startswith(name + " ") for line in out.splitlines()),
                  "help lacks %s: %r" % (name, out))
        check(all(" -- " in line for line in out.splitlines()), "help format: %r" % out)
        check_eq(hmp.run("?"), out, "? is help")
        info = hmp.run("help info")
        check("info status" in info and "info version" in info, "help info: %r" % info)
        check_eq(hmp.run("info"), info, "bare info lists subcommands")
        check(hmp.run("help stop").startswith("stop "), "help stop")


def test_unknown_and_bad_commands():
    with Osprey() as vm:
        hmp = vm.connect()
        hmp.greet()
        check_eq(hmp.run("xyz"), "unknown command: 'xyz'\n", "unknown command")
        check_eq(hmp.run("info xyz"), "unknown command: 'info xyz'\n", "unknown info")
        out = hmp.run("stop now")
        check("extraneous" in out, "extra argument: %r" % out)
        check_eq(hmp.run("info status"), "VM status: running\n", "stop with junk did nothing")
        check_eq(hmp.run(""), "", "empty line")
        check_eq(hmp.run("   "), "", "blank line")


def test_line_editing():
    with Osprey() as vm:
        hmp = vm.connect()
        hmp.greet()
        # "stoq", Backspace (DEL), "p": the line is "stop".
        echo, out = hmp.cmd("stoq\x7fp")
        check_eq(echo, "stoq\b \bp", "backspace echo")
        check_eq(out, "", "edited command ran")
        check_eq(hmp.run("info status"), "VM status: paused\n", "the edited line was 'stop'")
        # Ctrl-H works too, and backspace on an empty line is harmless.
        echo, out = hmp.cmd("\x08\x08cx\x08")
        check_eq(out, "", "c after backspaces")
        check_eq(hmp.run("info status"), "VM status: running\n", "c ran")
        # "\r\n" is one Enter, not two (no second prompt).
        hmp.send("info status\r\n")
        text = hmp.read_until(PROMPT.encode())
        check("VM status: running" in text, text)
        hmp.send("info version\n")
        text = hmp.read_until(PROMPT.encode())
        check("Osprey" in text and PROMPT not in text[:-len(PROMPT)], "one prompt: %r" % text)
        # Arrow-key escape sequences are swallowed, not inserted into the line.
        hmp.send("\x1b[D\x1b[C")
        check_eq(hmp.run("info status"), "VM status: running\n", "after arrow keys")


def test_several_lines_in_one_write():
    with Osprey() as vm:
        hmp = vm.connect()
        hmp.greet()
        hmp.send("stop\rinfo status\rcont\rinfo status\r")
        text = hmp.read_until(b"running\r\n" + PROMPT.encode())
        check(text.index("paused") < text.index("running"), text)


def test_reconnect():
    with Osprey() as vm:
        hmp = vm.connect()
        hmp.greet()
        hmp.send("info sta")  # a half-typed line is dropped with the connection
        hmp.sock.close()
        hmp = vm.connect()
        check("monitor - type 'help'" in hmp.greet(), "banner again")
        check_eq(hmp.run("info status"), "VM status: running\n", "after reconnect")


def test_start_paused():
    with Osprey(["-S"]) as vm:
        hmp = vm.connect()
        hmp.greet()
        check_eq(hmp.run("info status"), "VM status: paused (prelaunch)\n", "-S")
        hmp.run("cont")
        check_eq(hmp.run("info status"), "VM status: running\n", "after cont")


def test_quit():
    for word in ("quit", "q"):
        with Osprey() as vm:
            hmp = vm.connect()
            hmp.greet()
            hmp.run("system_reset")
            hmp.run("system_powerdown")
            hmp.send(word + "\r")
            check_eq(vm.wait(), 0, "exit status after %s" % word)


if __name__ == "__main__":
    run_cases([
        ("hmp/banner-and-prompt", test_banner_and_prompt),
        ("hmp/info-status-stop-cont", test_info_status_stop_cont),
        ("hmp/info-version", test_info_version),
        ("hmp/help", test_help),
        ("hmp/unknown-and-bad-commands", test_unknown_and_bad_commands),
        ("hmp/line-editing", test_line_editing),
        ("hmp/several-lines-in-one-write", test_several_lines_in_one_write),
        ("hmp/reconnect", test_reconnect),
        ("hmp/start-paused", test_start_paused),
        ("hmp/quit", test_quit),
    ])
