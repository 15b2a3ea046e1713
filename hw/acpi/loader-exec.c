/*
 * Execute table-loader commands into guest memory.  Files are copied into
 * host-side work buffers when allocated, patched there, and written to the
 * guest only when every command succeeded, so a bad blob leaves guest
 * memory untouched.
 */
#include <inttypes.h>

#include "hw/acpi/loader-exec.h"
#include "hw/acpi/bios-linker-loader.h"

typedef struct LoaderWork {
    uint8_t *copy; /* the file's bytes as patched so far, NULL until allocated */
} LoaderWork;

/* Find the file named by a 56-byte field, which must be NUL terminated inside it. */
static int loader_find(const uint8_t *field, AcpiLoaderFile *files, unsigned nr_files,
                       Error **errp)
{
    char name[BIOS_LINKER_FILE_SIZE];
    if (!memchr(field, 0, BIOS_LINKER_FILE_SIZE)) {
        error_setg(errp, "table-loader: file name not terminated");
        return -1;
    }
    memcpy(name, field, BIOS_LINKER_FILE_SIZE);
    for (unsigned i = 0; i < nr_files; i++) {
        if (!strcmp(files[i].name, name)) {
            return i;
        }
    }
    error_setg(errp, "table-loader: unknown file '%s'", name);
    return -1;
}

static bool loader_allocate(const uint8_t *e, AcpiLoaderFile *files, unsigned nr_files,
                            LoaderWork *work, AcpiLoaderArena *high, AcpiLoaderArena *fseg,
                            Error **errp)
{
    int i = loader_find(e + BIOS_LINKER_ALLOC_FILE, files, nr_files, errp);
    uint32_t align = ldl_le_p(e + BIOS_LINKER_ALLOC_ALIGN);
    uint8_t zone = e[BIOS_LINKER_ALLOC_ZONE];
    AcpiLoaderArena *arena;
    uint64_t start, aligned;

    if (i < 0) {
        return false;
    }
    if (work[i].copy) {
        error_setg(errp, "table-loader: '%s' allocated twice", files[i].name);
        return false;
    }
    if (align == 0 || (align & (align - 1))) {
        error_setg(errp, "table-loader: alignment %u of '%s' is not a power of two", align,
                   files[i].name);
        return false;
    }
    if (zone == BIOS_LINKER_ZONE_HIGH) {
        arena = high;
    } else if (zone == BIOS_LINKER_ZONE_FSEG) {
        arena = fseg;
    } else {
        error_setg(errp, "table-loader: unknown zone %u for '%s'", zone, files[i].name);
        return false;
    }
    if (!arena || arena->used > arena->size) {
        error_setg(errp, "table-loader: no memory for zone %u", zone);
        return false;
    }
    start = arena->base + arena->used;
    aligned = (start + align - 1) & ~(uint64_t)(align - 1);
    if (aligned < start || aligned - arena->base > arena->size ||
        files[i].size > arena->size - (aligned - arena->base)) {
        error_setg(errp, "table-loader: '%s' (%zu bytes) does not fit its zone",
                   files[i].name, files[i].size);
        return false;
    }
    arena->used = aligned - arena->base + files[i].size;
    files[i].addr = aligned;
    work[i].copy = xmalloc(files[i].size ? files[i].size : 1);
    memcpy(work[i].copy, files[i].data, files[i].size);
    return true;
}

static bool loader_add_pointer(const uint8_t *e, AcpiLoaderFile *files, unsigned nr_files,
                               LoaderWork *work, Error **errp)
{
    int dest = loader_find(e + BIOS_LINKER_PTR_DEST, files, nr_files, errp);
    int src = dest < 0 ? -1 : loader_find(e + BIOS_LINKER_PTR_SRC, files, nr_files, errp);
    uint32_t offset = ldl_le_p(e + BIOS_LINKER_PTR_OFFSET);
    uint8_t size = e[BIOS_LINKER_PTR_SIZE];
    uint64_t value;

    if (src < 0) {
        return false;
    }
    if (!work[dest].copy || !work[src].copy) {
        error_setg(errp, "table-loader: pointer between unallocated files");
        return false;
    }
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        error_setg(errp, "table-loader: bad pointer size %u", size);
        return false;
    }
    if (offset > files[dest].size || size > files[dest].size - offset) {
        error_setg(errp, "table-loader: pointer at %u outside '%s'", offset, files[dest].name);
        return false;
    }
    value = ldn_le_p(work[dest].copy + offset, size) + files[src].addr;
    if (size < 8 && (value >> (size * 8))) {
        error_setg(errp, "table-loader: pointer to '%s' does not fit %u bytes",
                   files[src].name, size);
        return false;
    }
    stn_le_p(work[dest].copy + offset, size, value);
    return true;
}

static bool loader_add_checksum(const uint8_t *e, AcpiLoaderFile *files, unsigned nr_files,
                                LoaderWork *work, Error **errp)
{
    int i = loader_find(e + BIOS_LINKER_CSUM_FILE, files, nr_files, errp);
    uint32_t offset = ldl_le_p(e + BIOS_LINKER_CSUM_OFFSET);
    uint32_t start = ldl_le_p(e + BIOS_LINKER_CSUM_START);
    uint32_t length = ldl_le_p(e + BIOS_LINKER_CSUM_LENGTH);

    if (i < 0) {
        return false;
    }
    if (!work[i].copy) {
        error_setg(errp, "table-loader: checksum of unallocated '%s'", files[i].name);
        return false;
    }
    if (offset >= files[i].size || start > files[i].size || length > files[i].size - start) {
        error_setg(errp, "table-loader: checksum range outside '%s'", files[i].name);
        return false;
    }
    work[i].copy[offset] -= acpi_checksum(work[i].copy + start, length);
    return true;
}

bool acpi_loader_exec(AddressSpace *as, const uint8_t *cmds, size_t cmds_len,
                      AcpiLoaderFile *files, unsigned nr_files, AcpiLoaderArena *high,
                      AcpiLoaderArena *fseg, Error **errp)
{
    LoaderWork *work = xcalloc(nr_files ? nr_files : 1, sizeof(*work));
    AcpiLoaderArena high_save = high ? *high : (AcpiLoaderArena){ 0 };
    AcpiLoaderArena fseg_save = fseg ? *fseg : (AcpiLoaderArena){ 0 };
    bool ok = true;

    for (unsigned i = 0; i < nr_files; i++) {
        files[i].addr = 0;
    }
    if (cmds_len % BIOS_LINKER_ENTRY_SIZE) {
        error_setg(errp, "table-loader: blob size %zu is not a multiple of %d", cmds_len,
                   BIOS_LINKER_ENTRY_SIZE);
        ok = false;
    }
    for (size_t off = 0; ok && off + BIOS_LINKER_ENTRY_SIZE <= cmds_len;
         off += BIOS_LINKER_ENTRY_SIZE) {
        const uint8_t *e = cmds + off;
        switch (ldl_le_p(e)) {
        case BIOS_LINKER_CMD_ALLOCATE:
            ok = loader_allocate(e, files, nr_files, work, high, fseg, errp);
            break;
        case BIOS_LINKER_CMD_ADD_POINTER:
            ok = loader_add_pointer(e, files, nr_files, work, errp);
            break;
        case BIOS_LINKER_CMD_ADD_CHECKSUM:
            ok = loader_add_checksum(e, files, nr_files, work, errp);
            break;
        default:
            /* Firmware skips commands it does not know (e.g. WRITE_POINTER); so do we. */
            break;
        }
    }
    for (unsigned i = 0; i < nr_files; i++) {
        if (ok && work[i].copy) {
            if (address_space_write_rom(as, files[i].addr, work[i].copy, files[i].size) !=
                MEMTX_OK) {
                error_setg(errp, "table-loader: cannot write '%s' at 0x%" PRIx64,
                           files[i].name, files[i].addr);
                ok = false;
            }
        }
    }
    for (unsigned i = 0; i < nr_files; i++) {
        free(work[i].copy);
        if (!ok) {
            files[i].addr = 0;
        }
    }
    free(work);
    if (!ok) {
        if (high) {
            *high = high_save;
        }
        if (fseg) {
            *fseg = fseg_save;
        }
    }
    return ok;
}
