/*
 * -drive: QEMU's keys, parsed into DriveInfo and opened.  index= is the
 * IDE position bus * 2 + unit; with neither index nor bus/unit, a drive
 * takes the first free position of its interface.
 */
#include <inttypes.h>

#include "block/drive.h"
#include "core/machine.h"
#include "core/options.h"
#include "core/opts.h"

#define IDE_BUSES 2
#define IDE_UNITS 2

DriveInfo *drive_get(Machine *m, BlockInterfaceType type, int bus, int unit)
{
    for (DriveInfo *d = m->drives; d; d = d->next) {
        if (d->type == type && d->bus == bus && d->unit == unit) {
            return d;
        }
    }
    return NULL;
}

DriveInfo *drive_get_by_id(Machine *m, const char *id)
{
    for (DriveInfo *d = m->drives; d; d = d->next) {
        if (d->id && !strcmp(d->id, id)) {
            return d;
        }
    }
    return NULL;
}

static bool drive_parse_if(const char *s, BlockInterfaceType *type)
{
    if (!s || !strcmp(s, "ide")) {
        *type = IF_IDE;
    } else if (!strcmp(s, "none")) {
        *type = IF_NONE;
    } else {
        return false;
    }
    return true;
}

/* Where an IDE drive goes: index=, or bus=/unit=, or the first free position. */
static bool drive_place(Machine *m, Opts *o, DriveInfo *d, Error **errp)
{
    uint64_t index, bus, unit;
    if (!opts_get_uint(o, "index", UINT64_MAX, &index, errp) ||
        !opts_get_uint(o, "bus", UINT64_MAX, &bus, errp) ||
        !opts_get_uint(o, "unit", UINT64_MAX, &unit, errp)) {
        return false;
    }
    if (index != UINT64_MAX) {
        if (bus != UINT64_MAX || unit != UINT64_MAX) {
            error_setg(errp, "index cannot be used with bus and unit");
            return false;
        }
        bus = index / IDE_UNITS;
        unit = index % IDE_UNITS;
    } else if (bus == UINT64_MAX && unit == UINT64_MAX) {
        for (index = 0; index < IDE_BUSES * IDE_UNITS; index++) {
            if (!drive_get(m, IF_IDE, index / IDE_UNITS, index % IDE_UNITS)) {
                break;
            }
        }
        bus = index / IDE_UNITS;
        unit = index % IDE_UNITS;
    } else {
        bus = bus == UINT64_MAX ? 0 : bus;
        unit = unit == UINT64_MAX ? 0 : unit;
    }
    if (bus >= IDE_BUSES || unit >= IDE_UNITS) {
        error_setg(errp, "no IDE position bus=%" PRIu64 " unit=%" PRIu64
                   " (the PIIX IDE has buses 0-1, units 0-1)", bus, unit);
        return false;
    }
    if (drive_get(m, IF_IDE, bus, unit)) {
        error_setg(errp, "drive with bus=%" PRIu64 ", unit=%" PRIu64 " exists", bus, unit);
        return false;
    }
    d->bus = bus;
    d->unit = unit;
    return true;
}

static DriveInfo *drive_new(Machine *m, const char *optstr, Error **errp)
{
    Opts *o = opts_parse(optstr, "file", errp);
    if (!o) {
        return NULL;
    }
    DriveInfo *d = XNEW(DriveInfo);
    BlockOpenOptions bo = {.format = opts_get(o, "format")};
    const char *file = opts_get(o, "file");
    const char *media = opts_get(o, "media");
    const char *cache = opts_get(o, "cache");
    const char *id = opts_get(o, "id");
    const char *locking = opts_get(o, "file.locking");
    d->id = id ? xstrdup(id) : NULL;
    if (!drive_parse_if(opts_get(o, "if"), &d->type)) {
        error_setg(errp, "if=%s: not supported (ide or none)", opts_get(o, "if"));
        goto fail;
    }
    if (media && strcmp(media, "disk") && strcmp(media, "cdrom")) {
        error_setg(errp, "media=%s: expected disk or cdrom", media);
        goto fail;
    }
    d->cdrom = media && !strcmp(media, "cdrom");
    if (cache && !block_cache_mode_parse(cache, &bo.cache)) {
        error_setg(errp, "cache=%s: expected writeback, none, unsafe or directsync", cache);
        goto fail;
    }
    if (locking && strcmp(locking, "on") && strcmp(locking, "off") && strcmp(locking, "auto")) {
        error_setg(errp, "file.locking=%s: expected on, off or auto", locking);
        goto fail;
    }
    bo.no_lock = locking && !strcmp(locking, "off");
    if (!opts_get_bool(o, "readonly", d->cdrom, &bo.read_only, errp) ||
        !opts_get_bool(o, "snapshot", m->cfg->snapshot, &bo.snapshot, errp)) {
        goto fail;
    }
    uint64_t bootindex;
    if (!opts_get_uint(o, "bootindex", UINT64_MAX, &bootindex, errp)) {
        goto fail;
    }
    if (bootindex != UINT64_MAX && bootindex > INT32_MAX) {
        error_setg(errp, "bootindex=%llu: too large", (unsigned long long)bootindex);
        goto fail;
    }
    d->bootindex = bootindex == UINT64_MAX ? -1 : (int)bootindex;
    if (d->cdrom) {
        bo.read_only = true;
        bo.snapshot = false;
    }
    if (d->type == IF_IDE && !drive_place(m, o, d, errp)) {
        goto fail;
    }
    if (d->type == IF_NONE && !d->id) {
        error_setg(errp, "if=none needs id= (for -device ...,drive=ID)");
        goto fail;
    }
    if (!opts_check_unused(o, "-drive", errp)) {
        goto fail;
    }
    if (file && *file) {
        d->blk = blk_open(file, &bo, errp);
    } else if (d->cdrom) {
        d->blk = blk_new_empty();
    } else {
        error_setg(errp, "a disk needs file= (only a CD-ROM may be empty)");
    }
    if (!d->blk) {
        goto fail;
    }
    blk_set_main_loop(d->blk, m->loop);
    opts_free(o);
    return d;
fail:
    opts_free(o);
    free(d->id);
    free(d);
    return NULL;
}

bool drives_open(Machine *m, Error **errp)
{
    DriveInfo **tail = &m->drives;
    for (int i = 0; i < m->cfg->drives.n; i++) {
        DriveInfo *d = drive_new(m, m->cfg->drives.v[i], errp);
        if (!d) {
            error_prepend(errp, "-drive %s: ", m->cfg->drives.v[i]);
            return false;
        }
        *tail = d;
        tail = &d->next;
    }
    return true;
}

bool drives_check_claimed(Machine *m, Error **errp)
{
    for (DriveInfo *d = m->drives; d; d = d->next) {
        if (!d->claimed) {
            if (d->type == IF_IDE) {
                error_setg(errp, "-drive bus=%d,unit=%d: no IDE controller to attach it to",
                           d->bus, d->unit);
            } else {
                error_setg(errp, "-drive id=%s: not used by any device", d->id);
            }
            return false;
        }
    }
    return true;
}

void drives_close(Machine *m)
{
    DriveInfo *d = m->drives;
    while (d) {
        DriveInfo *next = d->next;
        blk_unref(d->blk);
        free(d->id);
        free(d);
        d = next;
    }
    m->drives = NULL;
}
