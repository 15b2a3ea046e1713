/*
 * The "etc/table-loader" command blob that firmware (SeaBIOS, OVMF) executes
 * to place the ACPI and SMBIOS files it reads from fw_cfg into guest memory,
 * link them together and fix their checksums.
 *
 * Format: a sequence of 128-byte little-endian entries, each a 32-bit command
 * followed by its arguments; file names are NUL-padded 56-byte fields (the
 * fw_cfg file name size).
 *   1 ALLOCATE      file, u32 align, u8 zone (1 = high memory, 2 = F segment)
 *   2 ADD_POINTER   dest file, src file, u32 offset, u8 size: the little-endian
 *                   integer of 'size' bytes at dest+offset gets the address of
 *                   src added to it
 *   3 ADD_CHECKSUM  file, u32 offset, u32 start, u32 length: the byte at
 *                   offset is adjusted so bytes [start, start+length) sum to 0
 */
#ifndef HW_ACPI_BIOS_LINKER_LOADER_H
#define HW_ACPI_BIOS_LINKER_LOADER_H

#include "hw/acpi/aml.h"

#define BIOS_LINKER_ENTRY_SIZE 128
#define BIOS_LINKER_FILE_SIZE 56

enum {
    BIOS_LINKER_CMD_ALLOCATE = 1,
    BIOS_LINKER_CMD_ADD_POINTER = 2,
    BIOS_LINKER_CMD_ADD_CHECKSUM = 3,
};

enum {
    BIOS_LINKER_ZONE_HIGH = 1,
    BIOS_LINKER_ZONE_FSEG = 2,
};

/* Field offsets inside an entry (after the 4-byte command). */
#define BIOS_LINKER_ALLOC_FILE 4
#define BIOS_LINKER_ALLOC_ALIGN 60
#define BIOS_LINKER_ALLOC_ZONE 64
#define BIOS_LINKER_PTR_DEST 4
#define BIOS_LINKER_PTR_SRC 60
#define BIOS_LINKER_PTR_OFFSET 116
#define BIOS_LINKER_PTR_SIZE 120
#define BIOS_LINKER_CSUM_FILE 4
#define BIOS_LINKER_CSUM_OFFSET 60
#define BIOS_LINKER_CSUM_START 64
#define BIOS_LINKER_CSUM_LENGTH 68

/* Append one command to the blob 'cmds'. */
void bios_linker_allocate(AcpiBuf *cmds, const char *file, uint32_t align, bool fseg);
void bios_linker_add_pointer(AcpiBuf *cmds, const char *dest_file, uint32_t offset,
                             uint8_t size, const char *src_file);
void bios_linker_add_checksum(AcpiBuf *cmds, const char *file, uint32_t checksum_offset,
                              uint32_t start, uint32_t length);

#endif
