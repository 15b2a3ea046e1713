/*
 * Builder for the "etc/table-loader" command blob; see bios-linker-loader.h
 * for the format.
 */
#include "hw/acpi/bios-linker-loader.h"

static uint8_t *linker_new_entry(AcpiBuf *cmds, uint32_t command)
{
    size_t off = acpi_buf_append(cmds, NULL, BIOS_LINKER_ENTRY_SIZE);
    stl_le_p(cmds->data + off, command);
    return cmds->data + off;
}

/* Names longer than the field are a programming error: the firmware could never match them. */
static void linker_put_name(uint8_t *field, const char *name)
{
    size_t len = strlen(name);
    if (len >= BIOS_LINKER_FILE_SIZE) {
        fprintf(stderr, "bios-linker: file name too long: %s\n", name);
        abort();
    }
    memcpy(field, name, len);
}

void bios_linker_allocate(AcpiBuf *cmds, const char *file, uint32_t align, bool fseg)
{
    uint8_t *e = linker_new_entry(cmds, BIOS_LINKER_CMD_ALLOCATE);
    linker_put_name(e + BIOS_LINKER_ALLOC_FILE, file);
    stl_le_p(e + BIOS_LINKER_ALLOC_ALIGN, align);
    e[BIOS_LINKER_ALLOC_ZONE] = fseg ? BIOS_LINKER_ZONE_FSEG : BIOS_LINKER_ZONE_HIGH;
}

void bios_linker_add_pointer(AcpiBuf *cmds, const char *dest_file, uint32_t offset,
                             uint8_t size, const char *src_file)
{
    uint8_t *e = linker_new_entry(cmds, BIOS_LINKER_CMD_ADD_POINTER);
    linker_put_name(e + BIOS_LINKER_PTR_DEST, dest_file);
    linker_put_name(e + BIOS_LINKER_PTR_SRC, src_file);
    stl_le_p(e + BIOS_LINKER_PTR_OFFSET, offset);
    e[BIOS_LINKER_PTR_SIZE] = size;
}

void bios_linker_add_checksum(AcpiBuf *cmds, const char *file, uint32_t checksum_offset,
                              uint32_t start, uint32_t length)
{
    uint8_t *e = linker_new_entry(cmds, BIOS_LINKER_CMD_ADD_CHECKSUM);
    linker_put_name(e + BIOS_LINKER_CSUM_FILE, file);
    stl_le_p(e + BIOS_LINKER_CSUM_OFFSET, checksum_offset);
    stl_le_p(e + BIOS_LINKER_CSUM_START, start);
    stl_le_p(e + BIOS_LINKER_CSUM_LENGTH, length);
}
