"""DES (FIPS 46-3) in pure python, for the VNC authentication of the test RFB client.

VNC authentication (RFC 6143, 7.2.2) encrypts the server's 16-byte challenge with
single DES in ECB mode.  The key is the password, truncated or NUL-padded to 8
bytes, with the bits of every byte reversed: the original VNC code numbered DES
key bits the other way round, and every server since expects it.

Slow (a few thousand blocks a second) but the client needs two blocks per login.
"""

# Bit positions in the FIPS tables count from 1 at the most significant bit.
_IP = [58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
       62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
       57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
       61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7]
# The final permutation undoes the initial one.
_FP = [0] * 64
for _i, _p in enumerate(_IP):
    _FP[_p - 1] = _i + 1

_E = [32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
      16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31,
      32, 1]

_P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
      2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25]

_PC1 = [57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
        10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
        63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
        14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4]

_PC2 = [14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
        41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36,
        29, 32]

_SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1]

_SBOX = [
    [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
     0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
     4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
     15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
    [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
     3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
     0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
     13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
    [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
     13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
     13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
     1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
    [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
     13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
     10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
     3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
    [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
     14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
     4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
     11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
    [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
     10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
     9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
     4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
    [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
     13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
     1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
     6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
    [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
     1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
     7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
     2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
]


def _permute(value, width, table):
    """Pick bits of a width-bit value in table order (1 = most significant)."""
    out = 0
    for pos in table:
        out = (out << 1) | ((value >> (width - pos)) & 1)
    return out


def _rotl28(v, n):
    return ((v << n) | (v >> (28 - n))) & 0xfffffff


def _subkeys(key):
    """The 16 round keys (48 bits each) of an 8-byte key; parity bits are dropped by PC1."""
    cd = _permute(int.from_bytes(key, "big"), 64, _PC1)
    c, d = cd >> 28, cd & 0xfffffff
    keys = []
    for s in _SHIFTS:
        c, d = _rotl28(c, s), _rotl28(d, s)
        keys.append(_permute((c << 28) | d, 56, _PC2))
    return keys


def _feistel(r, k):
    x = _permute(r, 32, _E) ^ k
    out = 0
    for i in range(8):
        six = (x >> (42 - 6 * i)) & 0x3f
        row = ((six & 0x20) >> 4) | (six & 1)
        col = (six >> 1) & 0xf
        out = (out << 4) | _SBOX[i][row * 16 + col]
    return _permute(out, 32, _P)


def _crypt_block(block, keys):
    v = _permute(int.from_bytes(block, "big"), 64, _IP)
    left, right = v >> 32, v & 0xffffffff
    for k in keys:
        left, right = right, left ^ _feistel(right, k)
    # the halves are swapped once more after the last round
    return _permute((right << 32) | left, 64, _FP).to_bytes(8, "big")


def des_encrypt_ecb(key, data):
    if len(key) != 8 or len(data) % 8:
        raise ValueError("DES needs an 8-byte key and whole 8-byte blocks")
    keys = _subkeys(key)
    return b"".join(_crypt_block(data[i:i + 8], keys) for i in range(0, len(data), 8))


def des_decrypt_ecb(key, data):
    if len(key) != 8 or len(data) % 8:
        raise ValueError("DES needs an 8-byte key and whole 8-byte blocks")
    keys = _subkeys(key)[::-1]
    return b"".join(_crypt_block(data[i:i + 8], keys) for i in range(0, len(data), 8))


def _reverse_bits(b):
    return int("{:08b}".format(b)[::-1], 2)


def vnc_auth_response(password, challenge):
    """The client's answer to a VNC authentication challenge (16 bytes)."""
    if isinstance(password, str):
        password = password.encode("latin-1")
    key = bytes(_reverse_bits(b) for b in password[:8].ljust(8, b"\0"))
    return des_encrypt_ecb(key, challenge)


def self_test():
    """The textbook FIPS example and a decrypt round trip: a broken table fails here."""
    key = bytes.fromhex("133457799BBCDFF1")
    plain = bytes.fromhex("0123456789ABCDEF")
    cipher = des_encrypt_ecb(key, plain)
    return cipher == bytes.fromhex("85E813540F0AB405") and des_decrypt_ecb(key, cipher) == plain
