/*
 * The monitor's view of IDE drives: info block / query-block, change /
 * blockdev-change-medium, and eject, with QEMU's names and wording where
 * scripts parse them.
 */
#include "hw/ide/ide-internal.h"
#include "hw/ide/ide.h"

static void ide_print_one(IDEDrive *d, void *opaque)
{
    FILE *f = opaque;
    bool cd = d->kind == IDE_KIND_CD;
    if (blk_is_inserted(d->blk)) {
        /* QEMU's layout: "NAME: FILE (FORMAT[, read-only])". */
        fprintf(f, "%s: %s (%s%s)\n", d->name, blk_filename(d->blk), blk_format_name(d->blk),
                blk_is_read_only(d->blk) ? ", read-only" : "");
    } else {
        fprintf(f, "%s: [not inserted]\n", d->name);
    }
    fprintf(f, "    Attached to:      %s\n", d->name);
    if (cd) {
        fprintf(f, "    Removable device: %slocked, tray %s\n", d->tray_locked ? "" : "not ",
                d->tray_open ? "open" : "closed");
    }
    fprintf(f, "\n");
}

void ide_print_block_info(Machine *m, FILE *f)
{
    ide_for_each_drive(m, ide_print_one, f);
}

static void ide_query_one(IDEDrive *d, void *opaque)
{
    JsonValue *list = opaque;
    bool cd = d->kind == IDE_KIND_CD;
    JsonValue *v = json_object();
    json_object_set(v, "device", json_string(d->name));
    json_object_set(v, "qdev", json_string(d->name));
    json_object_set(v, "type", json_string("unknown"));
    json_object_set(v, "removable", json_bool(cd));
    json_object_set(v, "locked", json_bool(d->tray_locked));
    if (cd) {
        json_object_set(v, "tray_open", json_bool(d->tray_open));
    }
    json_object_set(v, "io-status", json_string("ok"));
    if (blk_is_inserted(d->blk)) {
        JsonValue *ins = json_object();
        json_object_set(ins, "file", json_string(blk_filename(d->blk)));
        json_object_set(ins, "ro", json_bool(blk_is_read_only(d->blk)));
        json_object_set(ins, "drv", json_string(blk_format_name(d->blk)));
        json_object_set(ins, "encrypted", json_bool(false));
        json_object_set(ins, "backing_file_depth", json_int(0));
        JsonValue *image = json_object();
        json_object_set(image, "filename", json_string(blk_filename(d->blk)));
        json_object_set(image, "format", json_string(blk_format_name(d->blk)));
        json_object_set(image, "virtual-size", json_int(blk_getlength(d->blk)));
        json_object_set(ins, "image", image);
        json_object_set(v, "inserted", ins);
    }
    json_array_append(list, v);
}

JsonValue *ide_query_block(Machine *m)
{
    JsonValue *list = json_array();
    ide_for_each_drive(m, ide_query_one, list);
    return list;
}

static IDEDrive *ide_removable_drive(Machine *m, const char *device, Error **errp)
{
    IDEDrive *d = device ? ide_find_drive(m, device) : NULL;
    if (!d) {
        error_setg(errp, "Device '%s' not found", device ? device : "");
        return NULL;
    }
    if (d->kind != IDE_KIND_CD) {
        error_setg(errp, "Device '%s' is not removable", device);
        return NULL;
    }
    return d;
}

bool ide_change_medium(Machine *m, const char *device, const char *filename,
                       const char *format, Error **errp)
{
    IDEDrive *d = ide_removable_drive(m, device, errp);
    if (!d) {
        return false;
    }
    if (d->tray_locked) {
        /* As on QEMU: ask the guest to open the tray, and refuse for now. */
        d->media_event = MEDIA_EVENT_EJECT_REQUEST;
        error_setg(errp, "Device '%s' is locked and force was not specified, "
                   "wait for tray to open and try again", device);
        return false;
    }
    BlockOpenOptions opts = {.format = format, .read_only = true};
    /* The change callback raises the unit attention and the media event. */
    return blk_insert_medium(d->blk, filename, &opts, errp);
}

bool ide_eject(Machine *m, const char *device, bool force, Error **errp)
{
    IDEDrive *d = ide_removable_drive(m, device, errp);
    if (!d) {
        return false;
    }
    if (d->tray_locked && !force) {
        d->media_event = MEDIA_EVENT_EJECT_REQUEST;
        error_setg(errp, "Device '%s' is locked and force was not specified, "
                   "wait for tray to open and try again", device);
        return false;
    }
    /* The block layer drains a request in flight first; it completes as usual. */
    blk_eject_medium(d->blk);
    d->tray_open = true;
    return true;
}
