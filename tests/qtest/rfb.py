"""A small RFB (VNC) client in python3's stdlib, for the display tests.

Speaks RFB 3.8 with security type None or VNC authentication (DES, in
vncdes.py), raw encoding, the DesktopSize
pseudo-encoding (-223) and the QEMU extended key event (-258); keeps a
framebuffer as bytes (RGB per pixel) that tests compare with screendumps.
"""
import socket
import struct
import time

import vncdes

ENC_RAW = 0
ENC_DESKTOP_SIZE = -223
ENC_QEMU_EXT_KEY = -258


class RfbError(Exception):
    pass


class RfbClient:
    def __init__(self, sock, shared=True, encodings=(ENC_RAW, ENC_DESKTOP_SIZE, ENC_QEMU_EXT_KEY),
                 timeout=10.0, password=None):
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.ext_key_acked = False
        version = self.recv(12)
        if not version.startswith(b"RFB 003."):
            raise RfbError("bad version %r" % version)
        self.send(b"RFB 003.008\n")
        n = self.recv(1)[0]
        if n == 0:
            raise RfbError("server refused: %r" % self.recv_string())
        self.security_types = list(self.recv(n))
        if password is not None and 2 in self.security_types:
            self.send(b"\x02")
            challenge = self.recv(16)
            self.send(vncdes.vnc_auth_response(password, challenge))
            self.finish_handshake(shared, encodings)
            return
        if 1 not in self.security_types:
            return  # the caller deals with authentication
        self.send(b"\x01")
        self.finish_handshake(shared, encodings)

    def finish_handshake(self, shared, encodings):
        result = struct.unpack(">I", self.recv(4))[0]
        if result != 0:
            raise RfbError("security failed: %r" % self.recv_string())
        self.send(bytes([1 if shared else 0]))
        w, h = struct.unpack(">HH", self.recv(4))
        self.recv(16)  # the server's pixel format; we set ours below
        self.name = self.recv_string()
        self.width, self.height = w, h
        self.fb = bytearray(w * h * 3)
        # 32 bpp, depth 24, little endian, true colour, 8 bits each: R at 16, G at 8, B at 0
        self.send(struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))
        self.send(struct.pack(">BxH", 2, len(encodings)) +
                  b"".join(struct.pack(">i", e) for e in encodings))

    def recv_string(self):
        n = struct.unpack(">I", self.recv(4))[0]
        return self.recv(n).decode(errors="replace")

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, n, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RfbError("timed out waiting for %d bytes" % n)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            if not data:
                raise RfbError("connection closed")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request_update(self, incremental=False, x=0, y=0, w=None, h=None):
        w = self.width if w is None else w
        h = self.height if h is None else h
        self.send(struct.pack(">BBHHHH", 3, 1 if incremental else 0, x, y, w, h))

    def read_update(self, timeout=None):
        """Read server messages until one FramebufferUpdate; returns its rectangles
        as (x, y, w, h, encoding)."""
        while True:
            typ = self.recv(1, timeout)[0]
            if typ == 0:
                break
            if typ == 2:      # bell
                continue
            if typ == 3:      # server cut text
                self.recv(3)
                self.recv_string()
                continue
            if typ == 1:      # colour map entries: we asked for true colour
                _, first, n = struct.unpack(">BHH", self.recv(5))
                self.recv(6 * n)
                continue
            raise RfbError("unexpected server message %d" % typ)
        _, n = struct.unpack(">BH", self.recv(3))
        rects = []
        for _ in range(n):
            x, y, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
            rects.append((x, y, w, h, enc))
            if enc == ENC_RAW:
                data = self.recv(w * h * 4)
                for row in range(h):
                    src = data[row * w * 4:(row + 1) * w * 4]
                    line = bytearray(w * 3)
                    line[0::3] = src[2::4]   # little-endian x8r8g8b8: B G R X
                    line[1::3] = src[1::4]
                    line[2::3] = src[0::4]
                    p = ((y + row) * self.width + x) * 3
                    self.fb[p:p + w * 3] = line
            elif enc == ENC_DESKTOP_SIZE:
                self.width, self.height = w, h
                self.fb = bytearray(w * h * 3)
            elif enc == ENC_QEMU_EXT_KEY:
                self.ext_key_acked = True
            else:
                raise RfbError("unexpected encoding %d" % enc)
        return rects

    def full_frame(self):
        """Request and read whole-screen updates until the screen is complete."""
        self.request_update(False)
        covered = 0
        while True:
            rects = self.read_update()
            for x, y, w, h, enc in rects:
                if enc == ENC_RAW:
                    covered += w * h
                elif enc == ENC_DESKTOP_SIZE:
                    covered = 0
                    self.request_update(False)
            if covered >= self.width * self.height:
                return bytes(self.fb)
            if not any(e == ENC_RAW for *_, e in rects):
                self.request_update(False)

    def key(self, keysym, down):
        self.send(struct.pack(">BBxxI", 4, 1 if down else 0, keysym))

    def ext_key(self, keysym, keycode, down):
        self.send(struct.pack(">BBHII", 255, 0, 1 if down else 0, keysym, keycode))

    def pointer(self, x, y, buttons=0):
        self.send(struct.pack(">BBHH", 5, buttons, x, y))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect_unix(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def closed_within(sock, timeout=5.0):
    """True if the server closes sock (EOF or reset) within timeout, reading anything it sends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return True
        if not data:
            return True
    return False
