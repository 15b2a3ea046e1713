"""Build boot images for tests: a minimal bzImage around a protected-mode kernel blob.

The setup header follows Linux's Documentation/arch/x86/boot.rst; the setup code
itself is just zeros, which is fine for a loader that enters at code32_start.
"""
import struct


def make_bzimage(pm_kernel, version=0x20f, loadflags=0x01, setup_sects=1,
                 cmdline_size=2047, initrd_addr_max=0x37ffffff, code32_start=0x100000,
                 syssize=None, truncate=0):
    setup = bytearray((setup_sects + 1) * 512 if setup_sects else 5 * 512)
    if syssize is None:
        syssize = (len(pm_kernel) + 15) // 16
        pm_kernel = pm_kernel + bytes(syssize * 16 - len(pm_kernel))
    setup[0x1f1] = setup_sects
    struct.pack_into("<I", setup, 0x1f4, syssize)
    struct.pack_into("<H", setup, 0x1fe, 0xaa55)
    setup[0x200] = 0xeb                      # jmp short past the header
    setup[0x201] = 0x6a                      # header ends at 0x26c
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    setup[0x211] = loadflags
    struct.pack_into("<I", setup, 0x214, code32_start)
    struct.pack_into("<I", setup, 0x22c, initrd_addr_max)
    struct.pack_into("<I", setup, 0x238, cmdline_size)
    image = bytes(setup) + pm_kernel
    return image[:len(image) - truncate] if truncate else image
