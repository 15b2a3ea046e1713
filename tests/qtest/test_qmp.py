#!/usr/bin/env python3
"""QMP over a unix socket: greeting, negotiation, commands, events, errors, quit.

Runs the machine with no CPU (-accel qtest -qtest null) and talks QMP as a
client would, with nothing but socket and json.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import (MonitorProcess, QTestError, check, check_eq, connect_unix,  # noqa: E402
                   run_cases, unix_socket_path)

TIMEOUT = 10.0


class Osprey(MonitorProcess):
    """osprey with a QMP socket; always killed at the end."""

    def __init__(self, extra=(), pretty=False):
        super().__init__("-qmp-pretty" if pretty else "-qmp", Qmp, extra, TIMEOUT)


class Qmp:
    """A minimal QMP client: one JSON value per line, events kept aside."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.events = []
        self.raw_lines = []

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def recv_msg(self, timeout=TIMEOUT):
        """The next complete JSON message (compact or pretty-printed)."""
        deadline = time.monotonic() + timeout
        dec = json.JSONDecoder()
        while True:
            text = self.buf.decode(errors="replace").lstrip()
            if text:
                try:
                    msg, end = dec.raw_decode(text)
                    rest = text[end:]
                    self.raw_lines.append(text[:end])
                    self.buf = rest.encode()
                    return msg
                except ValueError:
                    pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise QTestError("timed out waiting for a QMP message (have %r)" % self.buf)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise QTestError("QMP connection closed (have %r)" % self.buf)
            self.buf += data

    def reply(self, timeout=TIMEOUT):
        """The next reply ("return" or "error"), keeping events that arrive first."""
        while True:
            msg = self.recv_msg(timeout)
            if "event" in msg:
                check("timestamp" in msg, "event without timestamp: %r" % msg)
                self.events.append(msg)
                continue
            check("return" in msg or "error" in msg, "unexpected message %r" % msg)
            return msg

    def execute(self, name, arguments=None, id=None):
        req = {"execute": name}
        if arguments is not None:
            req["arguments"] = arguments
        if id is not None:
            req["id"] = id
        self.send_raw(json.dumps(req) + "\n")
        return self.reply()

    def ok(self, name, arguments=None):
        r = self.execute(name, arguments)
        check("return" in r, "%s failed: %r" % (name, r))
        return r["return"]

    def error(self, name, arguments=None, id=None):
        r = self.execute(name, arguments, id)
        check("error" in r, "%s should have failed: %r" % (name, r))
        return r["error"]

    def wait_event(self, name, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name:
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise QTestError("no %s event (got %r)" % (name, [e["event"] for e in self.events]))
            msg = self.recv_msg(left)
            check("event" in msg, "unexpected message while waiting for %s: %r" % (name, msg))
            self.events.append(msg)

    def negotiate(self):
        greeting = self.recv_msg()
        check("QMP" in greeting, "no greeting: %r" % greeting)
        check_eq(self.execute("qmp_capabilities"), {"return": {}}, "qmp_capabilities")
        return greeting


def check_status(qmp, status, running):
    check_eq(qmp.ok("query-status"),
             {"status": status, "singlestep": False, "running": running}, "query-status")


def test_greeting():
    with Osprey() as vm:
        qmp = vm.connect()
        g = qmp.recv_msg()
        check_eq(sorted(g.keys()), ["QMP"], "greeting keys")
        check_eq(g["QMP"]["capabilities"], ["oob"], "capabilities")
        ver = g["QMP"]["version"]
        check(all(isinstance(ver["qemu"][k], int) for k in ("major", "minor", "micro")),
              "version numbers: %r" % ver)
        check(ver["package"].startswith("Osprey "), "package: %r" % ver["package"])
        check(qmp.raw_lines[0].startswith('{"QMP": {"version": {"qemu": {'),
              "greeting layout: %r" % qmp.raw_lines[0])


def test_negotiation():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.recv_msg()
        err = qmp.error("query-status", id=7)
        check_eq(err["class"], "CommandNotFound", "command before negotiation")
        check("qmp_capabilities" in err["desc"], err["desc"])
        # Bad negotiation arguments leave the session in negotiation mode.
        err = qmp.error("qmp_capabilities", {"enable": ["no-such-cap"]})
        check_eq(err["class"], "GenericError", "unknown capability")
        err = qmp.error("qmp_capabilities", {"enable": "oob"})
        check_eq(err["class"], "GenericError", "wrong argument type")
        check("enable" in err["desc"], err["desc"])
        check_eq(qmp.error("stop")["class"], "CommandNotFound", "still negotiating")
        check_eq(qmp.execute("qmp_capabilities", id="neg"), {"return": {}, "id": "neg"},
                 "negotiation")
        check_status(qmp, "running", True)
        err = qmp.error("qmp_capabilities")
        check_eq(err["class"], "CommandNotFound", "second qmp_capabilities")


def test_query_commands_and_version():
    with Osprey() as vm:
        qmp = vm.connect()
        greeting = qmp.negotiate()
        names = {c["name"] for c in qmp.ok("query-commands")}
        for n in ("qmp_capabilities", "query-status", "query-version", "query-commands",
                  "stop", "cont", "system_reset", "system_powerdown", "quit"):
            check(n in names, "query-commands lacks %s" % n)
        check_eq(qmp.ok("query-version"), greeting["QMP"]["version"], "query-version")


def test_stop_cont():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.negotiate()
        check_status(qmp, "running", True)
        check_eq(qmp.ok("stop"), {}, "stop")
        ev = qmp.wait_event("STOP")
        check("data" not in ev or ev["data"] == {}, "STOP data: %r" % ev)
        check(isinstance(ev["timestamp"]["seconds"], int) and
              0 <= ev["timestamp"]["microseconds"] < 1000000, "timestamp: %r" % ev)
        check(abs(ev["timestamp"]["seconds"] - time.time()) < 60, "timestamp is wall time")
        check_status(qmp, "paused", False)
        # Stopping a stopped VM is fine and says nothing.
        check_eq(qmp.ok("stop"), {}, "second stop")
        check_eq(qmp.ok("cont"), {}, "cont")
        qmp.wait_event("RESUME")
        check_status(qmp, "running", True)
        check_eq([e["event"] for e in qmp.events], [], "no stray events")


def test_reset_powerdown_events():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.negotiate()
        check_eq(qmp.ok("system_reset"), {}, "system_reset")
        ev = qmp.wait_event("RESET")
        check_eq(ev.get("data"), {"guest": False, "reason": "host-qmp-system-reset"},
                 "RESET data")
        check_eq(qmp.ok("system_powerdown"), {}, "system_powerdown")
        qmp.wait_event("POWERDOWN")
        check_status(qmp, "running", True)


def test_events_need_negotiation():
    other = unix_socket_path("qmp2")
    with Osprey(["-qmp", "unix:%s,server=on,wait=off" % other]) as vm:
        quiet = vm.connect()
        quiet.recv_msg()
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(other):
            check(time.monotonic() < deadline, "second QMP socket never appeared")
            time.sleep(0.02)
        active = Qmp(connect_unix(other))
        active.negotiate()
        active.ok("stop")
        active.wait_event("STOP")
        active.ok("cont")
        active.wait_event("RESUME")
        # The session that never negotiated must not have been sent anything.
        quiet.sock.settimeout(0.3)
        try:
            data = quiet.sock.recv(4096)
        except socket.timeout:
            data = b""
        check_eq(data, b"", "events to an un-negotiated session")
        # Once it negotiates, it gets events too.
        check_eq(quiet.ok("qmp_capabilities"), {}, "late negotiation")
        active.ok("stop")
        quiet.wait_event("STOP")
        active.wait_event("STOP")


def test_malformed_input():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.negotiate()
        qmp.send_raw("this is not json\n")
        err = qmp.reply()["error"]
        check_eq(err["class"], "GenericError", "garbage line")
        check_status(qmp, "running", True)
        # A broken object, then a good one on the next line.
        qmp.send_raw('{"execute": "query-status" "id": 1}\n')
        check_eq(qmp.reply()["error"]["class"], "GenericError", "missing comma")
        check_status(qmp, "running", True)
        # An unterminated object must not swallow the next command.
        qmp.send_raw('{"execute": "stop"\n{"execute": "query-status", "id": 2}\n')
        check_eq(qmp.reply()["error"]["class"], "GenericError", "unterminated")
        r = qmp.reply()
        check_eq(r, {"return": {"status": "running", "singlestep": False, "running": True},
                     "id": 2}, "command after unterminated one")
        # Invalid UTF-8 and control bytes.
        qmp.send_raw(b'{"execute": "\xff\xfe"}\n\x00\x01\x02\n')
        check_eq(qmp.reply()["error"]["class"], "GenericError", "bad UTF-8")
        check_eq(qmp.reply()["error"]["class"], "GenericError", "control bytes")
        check_status(qmp, "running", True)
        # Deep nesting is refused, not recursed into.
        qmp.send_raw("[" * 100000 + "\n")
        check_eq(qmp.reply()["error"]["class"], "GenericError", "deep nesting")
        check_status(qmp, "running", True)


def test_bad_requests():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.negotiate()
        err = qmp.error("no-such-command", id={"n": [1]})
        check_eq(err["class"], "CommandNotFound", "unknown command")
        r = qmp.execute("no-such-command", id="x")
        check_eq(r.get("id"), "x", "id echoed on errors")
        check_eq(qmp.error("stop", {"force": True})["class"], "GenericError",
                 "unexpected argument")
        cases = [
            ("[1, 2]", "not an object"),
            ('{"execute": 42}', "execute not a string"),
            ('{"execute": "stop", "arguments": [1]}', "arguments not an object"),
            ('{"arguments": {}}', "no execute"),
            ('{"execute": "stop", "extra": 1}', "unexpected member"),
            ('"just a string"', "a string"),
        ]
        for text, what in cases:
            qmp.send_raw(text + "\n")
            r = qmp.reply()
            check("error" in r, "%s: %r" % (what, r))
            check_eq(r["error"]["class"], "GenericError", what)
        check_status(qmp, "running", True)
        r = qmp.execute("query-status", id=[1, {"a": None}])
        check_eq(r["id"], [1, {"a": None}], "structured id echoed")


def test_stream_framing():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.negotiate()
        # Several commands in one write.
        qmp.send_raw('{"execute": "query-status", "id": 1}{"execute": "query-version", "id": 2}'
                     '\n{"execute": "query-status", "id": 3}\n')
        check_eq([qmp.reply()["id"] for _ in range(3)], [1, 2, 3], "batched replies")
        # One command split across writes.
        text = '{"execute": "query-status", "id": "split"}\n'
        for i in range(0, len(text), 5):
            qmp.send_raw(text[i:i + 5])
            time.sleep(0.01)
        check_eq(qmp.reply()["id"], "split", "split command")
        # Pretty-printed input spanning lines.
        qmp.send_raw('{\n  "execute": "query-status",\n  "id": "pretty"\n}\n')
        check_eq(qmp.reply()["id"], "pretty", "multi-line command")


def test_reconnect():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.negotiate()
        qmp.send_raw('{"execute": "query-sta')  # half a command, then hang up
        qmp.close()
        qmp = vm.connect()
        g = qmp.recv_msg()
        check("QMP" in g, "fresh greeting after reconnect: %r" % g)
        check_eq(qmp.error("query-status")["class"], "CommandNotFound",
                 "must negotiate again")
        check_eq(qmp.ok("qmp_capabilities"), {}, "negotiate again")
        check_status(qmp, "running", True)


def test_pretty():
    with Osprey(pretty=True) as vm:
        qmp = vm.connect()
        qmp.negotiate()
        check_status(qmp, "running", True)
        check("\n" in qmp.raw_lines[-1], "pretty output spans lines: %r" % qmp.raw_lines[-1])


def test_start_paused():
    with Osprey(["-S"]) as vm:
        qmp = vm.connect()
        qmp.negotiate()
        check_status(qmp, "prelaunch", False)
        qmp.ok("cont")
        qmp.wait_event("RESUME")
        check_status(qmp, "running", True)


def test_quit():
    with Osprey() as vm:
        qmp = vm.connect()
        qmp.negotiate()
        qmp.send_raw('{"execute": "quit", "id": "bye"}\n')
        r = qmp.reply()
        check_eq(r, {"return": {}, "id": "bye"}, "quit reply")
        ev = qmp.wait_event("SHUTDOWN")
        check_eq(ev.get("data"), {"guest": False, "reason": "host-qmp-quit"}, "SHUTDOWN data")
        check_eq(vm.wait(), 0, "exit status")


if __name__ == "__main__":
    run_cases([
        ("qmp/greeting", test_greeting),
        ("qmp/negotiation", test_negotiation),
        ("qmp/query-commands-version", test_query_commands_and_version),
        ("qmp/stop-cont", test_stop_cont),
        ("qmp/reset-powerdown-events", test_reset_powerdown_events),
        ("qmp/events-need-negotiation", test_events_need_negotiation),
        ("qmp/malformed-input", test_malformed_input),
        ("qmp/bad-requests", test_bad_requests),
        ("qmp/stream-framing", test_stream_framing),
        ("qmp/reconnect", test_reconnect),
        ("qmp/pretty", test_pretty),
        ("qmp/start-paused", test_start_paused),
        ("qmp/quit", test_quit),
    ])
