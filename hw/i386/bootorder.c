/*
 * The firmware's boot order (see bootorder.h).
 *
 * "bootorder" lists one Open Firmware-style device path per line, lowest bootindex first,
 * in the form QEMU's pc machine gives SeaBIOS:
 *   /pci@i0cf8/ide@1,1/drive@BUS/disk@UNIT   an IDE drive (-drive if=ide,bootindex=N)
 *   /pci@i0cf8/ethernet@SLOT[,FN]            a NIC's boot ROM (-device rtl8139,bootindex=N)
 *   HALT                                     -boot strict=on: nothing else boots
 * Osprey's BIOS and SeaBIOS both read it.  "etc/osprey-boot-order" holds the -boot order
 * string itself, since the CMOS (0x3D/0x38) has room for three devices only.
 */
#include <stdlib.h>
#include <string.h>

#include "block/drive.h"
#include "core/options.h"
#include "hw/i386/bootorder.h"
#include "hw/pci/pci.h"
#include "hw/rtc/mc146818.h"

#define IDE_DEVFN ((1 << 3) | 1) /* the PIIX IDE function at 01.1 (hw/pc.c) */
#define BOOTORDER_MAX 64

typedef struct BootEntry {
    long index;
    int seq; /* the order found, so equal indexes keep it (stable sort) */
    char *path;
} BootEntry;

static int boot_entry_cmp(const void *a, const void *b)
{
    const BootEntry *x = a, *y = b;
    if (x->index != y->index) {
        return x->index < y->index ? -1 : 1;
    }
    return x->seq - y->seq;
}

static bool parse_bootindex(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > INT32_MAX) {
        return false;
    }
    *out = v;
    return true;
}

/* The "bootorder" file's text (NUL-terminated, as QEMU's), or NULL with errp set. */
static char *bootorder_build(Machine *m, Error **errp)
{
    BootEntry entries[BOOTORDER_MAX];
    int n = 0;
    for (DriveInfo *d = m->drives; d && n < BOOTORDER_MAX; d = d->next) {
        if (d->type == IF_IDE && d->bootindex >= 0) {
            entries[n] = (BootEntry){d->bootindex, n,
                                     xasprintf("/pci@i0cf8/ide@%x,%x/drive@%x/disk@%x",
                                               IDE_DEVFN >> 3, IDE_DEVFN & 7, d->bus, d->unit)};
            n++;
        }
    }
    for (int devfn = 0; devfn < PCI_SLOT_MAX * PCI_FUNC_MAX && n < BOOTORDER_MAX; devfn++) {
        PCIDevice *p = pci_bus_find(m->pci_bus, devfn);
        if (!p || !p->bootindex) {
            continue;
        }
        long index;
        if (!parse_bootindex(p->bootindex, &index)) {
            error_setg(errp, "-device %s: bootindex=%s: expected a number from 0",
                       p->qdev.info->name, p->bootindex);
            for (int i = 0; i < n; i++) {
                free(entries[i].path);
            }
            return NULL;
        }
        /* Open Firmware names by class; a NIC is "ethernet", anything else "pci". */
        const char *name = p->config[0x0b] == 0x02 ? "ethernet" : "pci";
        entries[n] = (BootEntry){index, n,
                                 (devfn & 7) ? xasprintf("/pci@i0cf8/%s@%x,%x", name,
                                                         devfn >> 3, devfn & 7)
                                             : xasprintf("/pci@i0cf8/%s@%x", name, devfn >> 3)};
        n++;
    }
    qsort(entries, (size_t)n, sizeof(entries[0]), boot_entry_cmp);
    size_t len = 1 + (m->cfg->boot_strict ? 5 : 0);
    for (int i = 0; i < n; i++) {
        len += strlen(entries[i].path) + 1;
    }
    char *text = xzalloc(len);
    for (int i = 0; i < n; i++) {
        strcat(text, entries[i].path);
        strcat(text, "\n");
        free(entries[i].path);
    }
    if (m->cfg->boot_strict) {
        strcat(text, "HALT\n");
    }
    return text;
}

static int cmos_boot_code(char c)
{
    switch (c) {
    case 'a':
        return 1;
    case 'c':
        return 2;
    case 'd':
        return 3;
    case 'n':
        return 4;
    default:
        return 0;
    }
}

void bootorder_set_cmos(DeviceState *rtc, const char *order)
{
    int dev[3] = {0, 0, 0};
    for (int i = 0; i < 3 && order[i]; i++) {
        dev[i] = cmos_boot_code(order[i]);
    }
    mc146818_set_cmos(rtc, 0x3d, (uint8_t)(dev[0] | (dev[1] << 4)));
    mc146818_set_cmos(rtc, 0x38, (uint8_t)(dev[2] << 4));
}

/* The order in the CMOS (three devices), fw_cfg's boot device and etc/osprey-boot-order. */
static void bootorder_apply(Machine *m, FWCfgState *fw, const char *order)
{
    for (DeviceState *d = m->devices; d; d = d->next) {
        if (!strcmp(d->info->name, "mc146818rtc")) {
            bootorder_set_cmos(d, order);
        }
    }
    fw_cfg_modify_file(fw, "etc/osprey-boot-order", order, strlen(order) + 1);
}

typedef struct BootOnce {
    Machine *m;
    FWCfgState *fw;
    bool done;
} BootOnce;

/* -boot once=: the first system reset goes back to order= (QEMU does the same). */
static void boot_once_reset(void *opaque)
{
    BootOnce *once = opaque;
    if (once->done) {
        return;
    }
    once->done = true;
    bootorder_apply(once->m, once->fw, once->m->cfg->boot_order_after_once);
}

bool bootorder_fw_cfg_init(Machine *m, FWCfgState *fw, Error **errp)
{
    char *text = bootorder_build(m, errp);
    if (!text) {
        return false;
    }
    /* Empty when nothing has a bootindex (QEMU writes the file either way). */
    size_t len = strlen(text) ? strlen(text) + 1 : 0;
    const char *order = m->cfg->boot_order ? m->cfg->boot_order : "cad";
    bool ok = fw_cfg_add_file(fw, "bootorder", text, len, errp) &&
              fw_cfg_add_file(fw, "etc/osprey-boot-order", order, strlen(order) + 1, errp);
    free(text);
    if (ok && m->cfg->boot_order_after_once) {
        static BootOnce once; /* one machine per process */
        once = (BootOnce){m, fw, false};
        machine_add_reset_hook(m, boot_once_reset, &once);
    }
    return ok;
}
