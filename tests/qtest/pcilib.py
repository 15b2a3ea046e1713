"""PCI configuration mechanism #1 over qtest, shared by the PCI/PIIX/ACPI tests."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, QTestError, connect_unix, unix_socket_path  # noqa: E402
from test_qmp import Qmp  # noqa: E402

CONFADD, CONFDATA = 0xcf8, 0xcfc
HOST, ISA, PM = 0x00, 0x08, 0x0b  # devfn of 00.0, 01.0, 01.3


def devfn(slot, fn=0):
    return (slot << 3) | fn


def cfg_addr(dfn, reg, bus=0):
    return 0x80000000 | (bus << 16) | (dfn << 8) | (reg & 0xfc)


def cfg_read(qt, dfn, reg, size=4, bus=0):
    qt.outl(CONFADD, cfg_addr(dfn, reg, bus))
    port = CONFDATA + (reg & 3)
    return {1: qt.inb, 2: qt.inw, 4: qt.inl}[size](port)


def cfg_write(qt, dfn, reg, val, size=4, bus=0):
    qt.outl(CONFADD, cfg_addr(dfn, reg, bus))
    port = CONFDATA + (reg & 3)
    {1: qt.outb, 2: qt.outw, 4: qt.outl}[size](port, val)


def with_qmp(extra=()):
    """A qtest machine with a QMP socket; returns (qt, negotiated Qmp)."""
    path = unix_socket_path("qmp")
    qt = QTest(["-qmp", "unix:%s,server=on,wait=off" % path] + list(extra))
    qt.cmd("endianness")  # the machine exists, so the socket listens
    try:
        qmp = Qmp(connect_unix(path))
        qmp.negotiate()
    except QTestError:
        qt.close()
        raise
    return qt, qmp
