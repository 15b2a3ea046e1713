/*
 * The ACPI power-management function of a PIIX4-style south bridge (01.3):
 * PM1 event/control registers, the ACPI PM timer, a GPE0 block, the SMI
 * command port and the SCI.
 *
 * Reference: Intel 82371AB PIIX4 datasheet, section 3.4 (function 3
 * configuration: PMBA at 0x40, PMREGMISC at 0x80) and 7 (power management
 * I/O: PMSTS, PMEN, PMCNTRL, PMTMR); ACPI 6.4 chapter 4.8 (fixed hardware:
 * PM1 status/enable/control bits, the PM timer, GPE blocks, SCI_EN and the
 * SMI_CMD handshake).
 *
 * Choices worth knowing:
 * - The CPU has no SMM, so there is no SMI handler to switch between legacy
 *   and ACPI mode: writing ACPI_ENABLE (0xF1) / ACPI_DISABLE (0xF0) to the
 *   SMI command port 0xB2 sets / clears SCI_EN directly.  Other commands are
 *   latched and logged as unimplemented.
 * - The GPE0 block sits at 0xAFE0 (STS then EN, two bytes each), outside the
 *   PMBA block, where the FADT points; nothing raises a GPE yet.
 * - The SCI (ISA IRQ 9, level, active high) is asserted while SCI_EN is set
 *   and an enabled status bit is set, in PM1 or GPE0.  With SCI_EN clear the
 *   events would go to SMI, which does not exist: the status bits still set.
 * - PM_TMR counts 3.579545 MHz ticks of CLOCK_VIRTUAL since it started, 24
 *   bits wide (the FADT says TMR_VAL_EXT = 0).  TMR_STS (set at each toggle
 *   of bit 23) is brought up to date whenever PM1 is accessed, and while
 *   TMR_EN is set a timer fires at each toggle so the SCI comes on time.
 *   With TMR_EN clear no timer is armed, so an idle machine (and qtest's
 *   "step to the next deadline") never sees this device's timer.
 * - Sleep: SLP_EN with SLP_TYP 0 (the \_S5 value) is soft-off.  Other sleep
 *   types are not implemented and the write is ignored (logged).
 */
#include "hw/acpi/piix4-pm.h"

#include "core/log.h"
#include "core/timer.h"
#include "hw/acpi/pc-acpi.h"
#include "hw/pci/pci.h"

/* The FADT/DSDT builder describes this device with pc-acpi.h: they must agree. */
_Static_assert(PIIX4_PM_IO_BASE == PC_ACPI_PM_IO_BASE, "PM base");
_Static_assert(PIIX4_PM_IO_BASE + PIIX4_PM_TMR_OFFSET == PC_ACPI_PM_TMR_BLK, "PM timer");
_Static_assert(PIIX4_PM_IO_BASE + PIIX4_PM1_CNT_OFFSET == PC_ACPI_PM1A_CNT_BLK, "PM1_CNT");
_Static_assert(PIIX4_GPE0_BASE == PC_ACPI_GPE0_BLK && PIIX4_GPE0_LEN == PC_ACPI_GPE0_BLK_LEN,
               "GPE0");
_Static_assert(PIIX4_SMI_CMD_PORT == PC_ACPI_SMI_CMD && PIIX4_ACPI_ENABLE == PC_ACPI_ENABLE &&
               PIIX4_ACPI_DISABLE == PC_ACPI_DISABLE, "SMI_CMD");
_Static_assert(PIIX4_SCI_IRQ == PC_ACPI_SCI_IRQ && PIIX4_SLP_TYP_S5 == PC_ACPI_S5_SLP_TYP,
               "SCI, S5");

#define PM_PMBA 0x40
#define PM_PMBA_IO_SPACE 0x01 /* hardwired: the base is an I/O address */
#define PM_PMBA_MASK 0xffc0
#define PM_PMREGMISC 0x80
#define PMREGMISC_PMIOSE 0x01 /* PM I/O space enable */

#define PM1_STS_TMR 0x0001
#define PM1_STS_BM 0x0010
#define PM1_STS_GBL 0x0020
#define PM1_STS_PWRBTN 0x0100
#define PM1_STS_RTC 0x0400
#define PM1_STS_WAK 0x8000
#define PM1_STS_MASK (PM1_STS_TMR | PM1_STS_BM | PM1_STS_GBL | PM1_STS_PWRBTN | \
                      PM1_STS_RTC | PM1_STS_WAK)
#define PM1_EN_MASK (PM1_STS_TMR | PM1_STS_GBL | PM1_STS_PWRBTN | PM1_STS_RTC)

#define PM1_CNT_SCI_EN 0x0001
#define PM1_CNT_BM_RLD 0x0002
#define PM1_CNT_GBL_RLS 0x0004
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP 0x1c00
#define PM1_CNT_SLP_EN 0x2000
/* What reads back: GBL_RLS and SLP_EN are write-only. */
#define PM1_CNT_STORED (PM1_CNT_SCI_EN | PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP)

#define PM_TMR_BITS 24
#define PM_TMR_TOGGLE_BIT (1ULL << (PM_TMR_BITS - 1))

typedef struct PIIX4PMState {
    PCIDevice pci;
    MemoryRegion pm_io;   /* the PMBA block, mapped while PMIOSE is set */
    MemoryRegion gpe_io;  /* 0xAFE0 */
    MemoryRegion apm_io;  /* 0xB2-0xB3 */
    bool pm_io_mapped;
    IRQState *sci;
    Timer *tmr_timer;

    uint64_t tmr_synced; /* PM timer ticks when TMR_STS was last brought up to date */
    uint16_t pm1_sts;
    uint16_t pm1_en;
    uint16_t pm1_cnt;
    uint8_t gpe_sts[2];
    uint8_t gpe_en[2];
    uint8_t apm_cmd;
    uint8_t apm_sts;
} PIIX4PMState;

static Machine *pm_machine(PIIX4PMState *s)
{
    return s->pci.qdev.machine;
}

/* PM timer ticks since CLOCK_VIRTUAL 0 (not truncated). */
static uint64_t pm_tmr_ticks(int64_t ns)
{
    return (uint64_t)((unsigned __int128)(uint64_t)ns * PIIX4_PM_TIMER_HZ /
                      NANOSECONDS_PER_SECOND);
}

/* The first virtual time at which the counter reads at least ticks. */
static int64_t pm_tmr_ns_of_ticks(uint64_t ticks)
{
    unsigned __int128 n = (unsigned __int128)ticks * NANOSECONDS_PER_SECOND;
    return (int64_t)((n + PIIX4_PM_TIMER_HZ - 1) / PIIX4_PM_TIMER_HZ);
}

static void pm_update_sci(PIIX4PMState *s)
{
    bool pm1 = (s->pm1_sts & s->pm1_en) != 0;
    bool gpe = (s->gpe_sts[0] & s->gpe_en[0]) || (s->gpe_sts[1] & s->gpe_en[1]);
    irq_set(s->sci, (s->pm1_cnt & PM1_CNT_SCI_EN) && (pm1 || gpe));
}

static uint64_t pm_tmr_now(PIIX4PMState *s)
{
    return pm_tmr_ticks(clock_get_ns(machine_vclock(pm_machine(s))));
}

/* Set TMR_STS if bit 23 toggled since the last look. */
static void pm_tmr_sync(PIIX4PMState *s)
{
    uint64_t now = pm_tmr_now(s);
    if (now / PM_TMR_TOGGLE_BIT != s->tmr_synced / PM_TMR_TOGGLE_BIT) {
        s->pm1_sts |= PM1_STS_TMR;
    }
    s->tmr_synced = now;
}

/* While TMR_EN is set, wake at the next toggle of bit 23. */
static void pm_tmr_arm(PIIX4PMState *s)
{
    if (!(s->pm1_en & PM1_STS_TMR)) {
        timer_del(s->tmr_timer);
        return;
    }
    uint64_t next = (pm_tmr_now(s) / PM_TMR_TOGGLE_BIT + 1) * PM_TMR_TOGGLE_BIT;
    timer_mod(s->tmr_timer, pm_tmr_ns_of_ticks(next));
}

static void pm_tmr_cb(void *opaque)
{
    PIIX4PMState *s = opaque;
    pm_tmr_sync(s);
    pm_update_sci(s);
    pm_tmr_arm(s);
}

static void pm_sleep(PIIX4PMState *s)
{
    int typ = (s->pm1_cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT;
    if (typ == PIIX4_SLP_TYP_S5) {
        machine_request_shutdown(pm_machine(s), SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    } else {
        log_unimp("piix4-pm: sleep type %d (only S5 soft-off is implemented); ignored\n", typ);
    }
}

/* The PMBA block, one byte at a time (the memory core splits wider accesses). */

static uint64_t pm_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;
    switch (offset) {
    case 0:
        pm_tmr_sync(s);
        pm_update_sci(s);
        return s->pm1_sts & 0xff;
    case 1: return s->pm1_sts >> 8;
    case 2: return s->pm1_en & 0xff;
    case 3: return s->pm1_en >> 8;
    case 4: return s->pm1_cnt & 0xff;
    case 5: return s->pm1_cnt >> 8;
    case 8: case 9: case 10: case 11: {
        uint64_t ticks = pm_tmr_ticks(clock_get_ns(machine_vclock(pm_machine(s))));
        uint32_t val = ticks & ((1u << PM_TMR_BITS) - 1);
        return (val >> (8 * (offset - 8))) & 0xff;
    }
    default:
        log_unimp("piix4-pm: read of PM register 0x%02x\n", (unsigned)offset);
        return 0;
    }
}

static void pm_io_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint8_t b = val;
    pm_tmr_sync(s);
    switch (offset) {
    case 0:
    case 1: {
        uint16_t ones = (uint16_t)b << (8 * offset);
        s->pm1_sts &= ~(ones & PM1_STS_MASK);
        break;
    }
    case 2:
    case 3: {
        int sh = 8 * (offset - 2);
        s->pm1_en = (s->pm1_en & ~(0xff << sh)) | (((uint16_t)b << sh) & PM1_EN_MASK);
        pm_tmr_arm(s);
        break;
    }
    case 4:
        s->pm1_cnt = (s->pm1_cnt & 0xff00) | (b & PM1_CNT_STORED);
        break;
    case 5:
        s->pm1_cnt = (s->pm1_cnt & 0x00ff) | (((uint16_t)b << 8) & PM1_CNT_STORED);
        if (((uint16_t)b << 8) & PM1_CNT_SLP_EN) {
            pm_sleep(s);
        }
        break;
    case 8: case 9: case 10: case 11:
        log_guest_error("piix4-pm: write to the read-only PM timer\n");
        break;
    default:
        log_unimp("piix4-pm: write of PM register 0x%02x\n", (unsigned)offset);
        break;
    }
    pm_update_sci(s);
}

static const MemoryRegionOps pm_io_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static uint64_t gpe_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;
    return offset < 2 ? s->gpe_sts[offset] : s->gpe_en[offset - 2];
}

static void gpe_io_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    if (offset < 2) {
        s->gpe_sts[offset] &= ~(uint8_t)val;
    } else {
        s->gpe_en[offset - 2] = val;
    }
    pm_update_sci(s);
}

static const MemoryRegionOps gpe_io_ops = {
    .read = gpe_io_read,
    .write = gpe_io_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static uint64_t apm_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;
    return offset == 0 ? s->apm_cmd : s->apm_sts;
}

static void apm_io_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    if (offset == 1) {
        s->apm_sts = val; /* APMS: a scratch byte for the firmware */
        return;
    }
    s->apm_cmd = val;
    if (s->apm_cmd == PIIX4_ACPI_ENABLE) {
        s->pm1_cnt |= PM1_CNT_SCI_EN;
    } else if (s->apm_cmd == PIIX4_ACPI_DISABLE) {
        s->pm1_cnt &= ~PM1_CNT_SCI_EN;
    } else {
        log_unimp("piix4-pm: SMI command 0x%02x (no SMM)\n", s->apm_cmd);
    }
    pm_update_sci(s);
}

static const MemoryRegionOps apm_io_ops = {
    .read = apm_io_read,
    .write = apm_io_write,
    .valid = {.min_access_size = 1, .max_access_size = 2},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* Map the PMBA block where the configuration says, if enabled. */
static void pm_update_io_mapping(PIIX4PMState *s)
{
    Machine *m = pm_machine(s);
    uint16_t base = pci_get_word(&s->pci.config[PM_PMBA]) & PM_PMBA_MASK;
    bool on = (s->pci.config[PM_PMREGMISC] & PMREGMISC_PMIOSE) && base != 0;
    if (s->pm_io_mapped) {
        memory_region_del_subregion(&m->io_space, &s->pm_io);
        s->pm_io_mapped = false;
    }
    if (on) {
        memory_region_add_subregion(&m->io_space, base, &s->pm_io);
        s->pm_io_mapped = true;
    }
}

static void pm_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    if ((addr < PM_PMBA + 4 && PM_PMBA < addr + len) ||
        (addr <= PM_PMREGMISC && PM_PMREGMISC < addr + len)) {
        pm_update_io_mapping((PIIX4PMState *)d);
    }
}

static void pm_powerdown(void *opaque)
{
    PIIX4PMState *s = opaque;
    s->pm1_sts |= PM1_STS_PWRBTN;
    pm_update_sci(s);
}

static bool pm_realize(DeviceState *dev, Error **errp)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    Machine *m = dev->machine;
    if (!pci_device_realize(&s->pci, errp)) {
        return false;
    }
    PCIDevice *d = &s->pci;
    pci_config_set_ids(d, 0x8086, 0x7113, 0x03, 0x068000);
    d->config_write = pm_config_write;
    pci_set_word(&d->wmask[PM_PMBA], PM_PMBA_MASK);
    d->wmask[PM_PMREGMISC] = PMREGMISC_PMIOSE;
    s->sci = isa_get_irq(dev, PIIX4_SCI_IRQ);
    s->tmr_timer = timer_new(machine_vclock(m), pm_tmr_cb, s);
    memory_region_init_io(&s->pm_io, "piix4-pm", &pm_io_ops, s, PIIX4_PM_IO_LEN);
    memory_region_init_io(&s->gpe_io, "acpi-gpe0", &gpe_io_ops, s, PIIX4_GPE0_LEN);
    memory_region_init_io(&s->apm_io, "apm", &apm_io_ops, s, 2);
    isa_register_ioport(dev, &s->gpe_io, PIIX4_GPE0_BASE);
    isa_register_ioport(dev, &s->apm_io, PIIX4_SMI_CMD_PORT);
    machine_add_powerdown_notifier(m, pm_powerdown, s);
    return true;
}

static void pm_unrealize(DeviceState *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    pci_device_unrealize(&s->pci);
    memory_region_destroy(&s->pm_io);
    memory_region_destroy(&s->gpe_io);
    memory_region_destroy(&s->apm_io);
    timer_free(s->tmr_timer);
}

static void pm_reset(DeviceState *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    PCIDevice *d = &s->pci;
    pci_device_reset(d);
    pci_set_long(&d->config[PM_PMBA], PM_PMBA_IO_SPACE);
    d->config[PM_PMREGMISC] = 0;
    s->pm1_sts = 0;
    s->pm1_en = 0;
    s->tmr_synced = pm_tmr_now(s);
    s->pm1_cnt = 0;
    memset(s->gpe_sts, 0, sizeof(s->gpe_sts));
    memset(s->gpe_en, 0, sizeof(s->gpe_en));
    s->apm_cmd = 0;
    s->apm_sts = 0;
    pm_update_io_mapping(s);
    pm_update_sci(s);
    pm_tmr_arm(s);
}

static int pm_post_load(void *opaque)
{
    PIIX4PMState *s = opaque;
    s->pm1_sts &= PM1_STS_MASK;
    s->pm1_en &= PM1_EN_MASK;
    s->pm1_cnt &= PM1_CNT_STORED;
    s->pci.config[PM_PMBA] |= PM_PMBA_IO_SPACE;
    pci_device_post_load(&s->pci);
    pm_update_io_mapping(s);
    pm_update_sci(s);
    pm_tmr_arm(s);
    return 0;
}

static const VMStateField pm_vmstate_fields[] = {
    VMSTATE_STRUCT(PIIX4PMState, pci, &pci_device_vmstate),
    VMSTATE_U64(PIIX4PMState, tmr_synced),
    VMSTATE_U16(PIIX4PMState, pm1_sts),
    VMSTATE_U16(PIIX4PMState, pm1_en),
    VMSTATE_U16(PIIX4PMState, pm1_cnt),
    VMSTATE_U8_ARRAY(PIIX4PMState, gpe_sts),
    VMSTATE_U8_ARRAY(PIIX4PMState, gpe_en),
    VMSTATE_U8(PIIX4PMState, apm_cmd),
    VMSTATE_U8(PIIX4PMState, apm_sts),
    VMSTATE_END,
};

static const VMStateDescription pm_vmstate = {
    .name = "piix4_pm",
    .version = 1,
    .fields = pm_vmstate_fields,
    .post_load = pm_post_load,
};

static const Property pm_props[] = {
    DEFINE_PROP_PCI_ADDR(PIIX4PMState, pci),
    DEFINE_PROP_END,
};

static const DeviceInfo pm_info = {
    .name = "PIIX4_PM",
    .desc = "PIIX4 ACPI power management (PM1, PM timer, GPE0, SCI)",
    .bus = BUS_PCI,
    .size = sizeof(PIIX4PMState),
    .props = pm_props,
    .realize = pm_realize,
    .unrealize = pm_unrealize,
    .reset = pm_reset,
    .vmstate = &pm_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(pm_info);
