/*
 * Osprey BIOS: boot the -kernel given to the machine, as QEMU's BIOSes do:
 * the machine puts the patched setup code, the protected-mode kernel, the
 * initrd and the command line in fw_cfg with their load addresses
 * (FW_CFG_SETUP_*, KERNEL_*, INITRD_*, CMDLINE_*); the BIOS copies them and
 * enters the setup code in real mode (Linux boot protocol, "Running the
 * kernel").
 */
#include "bios.h"

#define HEAP_END 0xfe00

bool linux_boot_present(void) { return fw_cfg_read_i32(0x17) != 0; }

void linux_boot(void)
{
    u32 setup_addr = fw_cfg_read_i32(0x16), setup_size = fw_cfg_read_i32(0x17);
    u32 kernel_addr = fw_cfg_read_i32(0x07), kernel_size = fw_cfg_read_i32(0x08);
    u32 initrd_addr = fw_cfg_read_i32(0x0a), initrd_size = fw_cfg_read_i32(0x0b);
    u32 cmdline_addr = fw_cfg_read_i32(0x13), cmdline_size = fw_cfg_read_i32(0x14);
    if ((setup_addr & 0xf) || setup_addr >= 0xa0000 || setup_size > 0x8000) {
        printf("Linux boot: bad setup address %x\n", setup_addr);
        return;
    }
    printf("Booting the kernel from fw_cfg (%u KiB)\n", (unsigned)(kernel_size >> 10));
    fw_cfg_dma_read_to(0x18, setup_addr, setup_size);
    fw_cfg_dma_read_to(0x11, kernel_addr, kernel_size);
    if (initrd_size) {
        fw_cfg_dma_read_to(0x12, initrd_addr, initrd_size);
    }
    if (cmdline_size) {
        fw_cfg_dma_read_to(0x15, cmdline_addr, cmdline_size);
    }
    u16 seg = (u16)(setup_addr >> 4);
    boot_jump(seg + 0x20, 0, seg, HEAP_END, seg, 0);
}
