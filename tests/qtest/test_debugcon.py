#!/usr/bin/env python3
"""isa-debugcon: bytes written to port 0xe9 reach the chardev; reads return readback."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import (QTest, check, check_eq, connect_unix, recv_exactly,  # noqa: E402
                   recv_nothing, run_cases, temp_path, unix_socket_path)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def test_debugcon_file():
    path = temp_path("debugcon.txt")
    msg = b"Hello from port 0xe9\n\x00\xff"
    with QTest(["-debugcon", "file:" + path]) as qt:
        for b in msg:
            qt.outb(0xe9, b)
        check_eq(qt.inb(0xe9), 0xe9, "readback")
        deadline = time.monotonic() + 5
        while read_file(path) != msg and time.monotonic() < deadline:
            time.sleep(0.02)
        check_eq(read_file(path), msg, "file contents while running")
    check_eq(read_file(path), msg, "file contents after exit")


def test_device_props():
    path = temp_path("dc.txt")
    args = ["-chardev", "file,id=dc,path=" + path,
            "-device", "isa-debugcon,iobase=0x402,chardev=dc,readback=0x42"]
    with QTest(args) as qt:
        check_eq(qt.inb(0x402), 0x42, "readback property")
        check_eq(qt.inb(0xe9), 0xff, "nothing at 0xe9")
        for b in b"OVMF-style":
            qt.outb(0x402, b)
        qt.outb(0xe9, ord("x"))
    check_eq(read_file(path), b"OVMF-style", "bytes written to 0x402 only")


def test_debugcon_socket():
    path = unix_socket_path("dc")
    with QTest(["-debugcon", "unix:%s,server=on,wait=off" % path]) as qt:
        qt.cmd("endianness")
        sock = connect_unix(path)
        # Nothing tells us when the server accepted; write markers until one arrives.
        deadline = time.monotonic() + 5
        while not recv_nothing(sock, 0.02):
            check(time.monotonic() < deadline, "no marker byte reached the socket")
            qt.outb(0xe9, ord("."))
        qt.outb(0xe9, ord("#"))
        junk = b""
        while not junk.endswith(b"#"):
            junk += recv_exactly(sock, 1)
        check(set(junk[:-1]) <= {ord(".")}, "only markers before the sync byte: %r" % junk)
        for b in b"debug!\n":
            qt.outb(0xe9, b)
        check_eq(recv_exactly(sock, 7), b"debug!\n", "bytes at the socket")
        check_eq(qt.inb(0xe9), 0xe9, "readback")
        sock.sendall(b"ignored input")
        check_eq(qt.inb(0xe9), 0xe9, "input does not change the readback")


def test_absent():
    with QTest() as qt:
        check_eq(qt.inb(0xe9), 0xff, "no debugcon without -debugcon")


if __name__ == "__main__":
    run_cases([
        ("debugcon/file", test_debugcon_file),
        ("debugcon/device-props", test_device_props),
        ("debugcon/socket", test_debugcon_socket),
        ("debugcon/absent", test_absent),
    ])
