/*
 * pci_firmware_setup on a real "pc" machine (no CPU: -accel qtest): BAR
 * placement, command bits, PIRQ routing and interrupt lines, PAM, and the
 * ACPI PM block, checked through config space and the address spaces.
 */
#include "core/machine.h"
#include "core/options.h"
#include "hw/pci/pci.h"
#include "tests/unit/test.h"

static Machine *make_machine(MachineConfig **cfgp, const char *dev1, const char *dev2)
{
    char *argv[] = {"osprey", "-accel", "qtest", "-qtest", "null", "-nodefaults",
                    "-display", "none", "-device", (char *)dev1, "-device", (char *)dev2, NULL};
    bool exit_now = false;
    int status = 0;
    MachineConfig *cfg = options_parse(12, argv, &exit_now, &status);
    *cfgp = cfg;
    if (!cfg) {
        return NULL;
    }
    Error *err = NULL;
    Machine *m = machine_create(cfg, &err);
    if (!m) {
        printf("  machine_create: %s\n", err ? err->msg : "?");
        error_free(err);
    }
    return m;
}

static uint32_t cfg_rd(Machine *m, int devfn, int reg, int len)
{
    return pci_bus_config_read(m->pci_bus, devfn, reg, len);
}

static void test_firmware_setup(void)
{
    MachineConfig *cfg;
    Machine *m = make_machine(&cfg, "pci-testdev,addr=05.0", "pci-testdev,addr=03.0,membar=1M");
    CHECK(m != NULL);
    if (!m) {
        machine_config_free(cfg);
        return;
    }
    pci_firmware_setup(m);
    int a = PCI_DEVFN(5, 0), b = PCI_DEVFN(3, 0);

    /* I/O: two 256-byte BARs from 0xc000, lower devfn first among equals. */
    CHECK_EQ(cfg_rd(m, b, 0x14, 4), 0xc001);
    CHECK_EQ(cfg_rd(m, a, 0x14, 4), 0xc101);
    /* Memory: the 1 MiB 64-bit BAR first (largest), then the 4 KiB ones. */
    CHECK_EQ(cfg_rd(m, b, 0x18, 4), 0xe000000c);
    CHECK_EQ(cfg_rd(m, b, 0x1c, 4), 0);
    CHECK_EQ(cfg_rd(m, b, 0x10, 4), 0xe0100000);
    CHECK_EQ(cfg_rd(m, a, 0x10, 4), 0xe0101000);
    CHECK_EQ(cfg_rd(m, a, PCI_COMMAND, 2) & 7, 7);

    /* The BARs decode: the test header's width byte through both spaces. */
    uint64_t v = 0;
    CHECK_EQ(address_space_ld(&m->as_memory, 0xe0101001, 1, &v), MEMTX_OK);
    CHECK_EQ(v, 4);
    CHECK_EQ(address_space_ld(&m->as_io, 0xc101, 1, &v), MEMTX_OK);
    CHECK_EQ(v, 4);

    /* PIRQA-D -> 10, 10, 11, 11; PAM all read/write; PM at 0x600, enabled. */
    CHECK_EQ(cfg_rd(m, PCI_DEVFN(1, 0), 0x60, 4), 0x0b0b0a0a);
    CHECK_EQ(cfg_rd(m, PCI_DEVFN(0, 0), 0x59, 1), 0x30);
    CHECK_EQ(cfg_rd(m, PCI_DEVFN(0, 0), 0x5f, 1), 0x33);
    CHECK_EQ(cfg_rd(m, PCI_DEVFN(1, 3), 0x40, 4), 0x601);
    CHECK_EQ(cfg_rd(m, PCI_DEVFN(1, 3), 0x80, 1), 1);
    CHECK_EQ(cfg_rd(m, PCI_DEVFN(1, 3), PCI_INTERRUPT_LINE, 1), 9);
    CHECK_EQ(address_space_ld(&m->as_io, 0x604, 2, &v), MEMTX_OK);
    CHECK_EQ(v, 0);
    /* ELCR: IRQ 10 and 11 level-triggered, nothing else. */
    CHECK_EQ(address_space_ld(&m->as_io, 0x4d0, 1, &v), MEMTX_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(address_space_ld(&m->as_io, 0x4d1, 1, &v), MEMTX_OK);
    CHECK_EQ(v, 0x0c);

    /* A reset puts it all back: BARs 0, nothing decoded. */
    machine_reset(m);
    CHECK_EQ(cfg_rd(m, a, 0x10, 4), 0);
    CHECK_EQ(cfg_rd(m, PCI_DEVFN(1, 0), 0x60, 4), 0x80808080);
    address_space_ld(&m->as_io, 0xc101, 1, &v);
    CHECK_EQ(v, 0xff);

    machine_free(m);
    machine_config_free(cfg);
}

static int pic_levels[ISA_NUM_IRQS];
static int ioapic_levels[24];

static void record_pic(void *opaque, int n, int level)
{
    pic_levels[n] = level;
}

static void record_ioapic(void *opaque, int n, int level)
{
    ioapic_levels[n] = level;
}

/*
 * INTx through the bus swizzle and the PIIX3 router to PIC and IOAPIC
 * inputs.  No device model raises INTx yet, so two pci-testdevs are given an
 * INTA# pin here and driven through the device-side API, pci_set_irq.
 */
static void test_intx_routing(void)
{
    MachineConfig *cfg;
    Machine *m = make_machine(&cfg, "pci-testdev,addr=05.0", "pci-testdev,addr=03.0");
    CHECK(m != NULL);
    if (!m) {
        machine_config_free(cfg);
        return;
    }
    PCIBus *bus = m->pci_bus;
    IRQState *pic = irq_allocate(record_pic, NULL, ISA_NUM_IRQS);
    IRQState *ioapic = irq_allocate(record_ioapic, NULL, 24);
    IRQState **saved_pic = bus->pic_in, **saved_ioapic = bus->ioapic_in;
    bus->pic_in = &pic;
    bus->ioapic_in = &ioapic;
    memset(pic_levels, 0, sizeof(pic_levels));
    memset(ioapic_levels, 0, sizeof(ioapic_levels));

    PCIDevice *a = pci_bus_find(bus, PCI_DEVFN(5, 0)); /* INTA -> PIRQB */
    PCIDevice *b = pci_bus_find(bus, PCI_DEVFN(3, 0)); /* INTA -> PIRQD */
    a->config[PCI_INTERRUPT_PIN] = 1;
    b->config[PCI_INTERRUPT_PIN] = 1;
    int isa = PCI_DEVFN(1, 0);

    pci_set_irq(a, 1);
    CHECK_EQ(ioapic_levels[17], 1);              /* PIRQB: IOAPIC 17, always */
    CHECK_EQ(pci_bus_config_read(bus, a->devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
             PCI_STATUS_INTERRUPT);
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        CHECK_EQ(pic_levels[i], 0);               /* PIRQRC disabled at reset */
    }
    pci_bus_config_write(bus, isa, 0x61, 10, 1);  /* PIRQB -> IRQ 10 */
    CHECK_EQ(pic_levels[10], 1);
    pci_bus_config_write(bus, isa, 0x63, 10, 1);  /* PIRQD -> IRQ 10 as well */
    pci_set_irq(b, 1);
    CHECK_EQ(ioapic_levels[19], 1);
    pci_set_irq(a, 0);
    CHECK_EQ(ioapic_levels[17], 0);
    CHECK_EQ(pic_levels[10], 1);                  /* still held by PIRQD */
    pci_bus_config_write(bus, isa, 0x63, 11, 1);  /* move PIRQD to IRQ 11 */
    CHECK_EQ(pic_levels[10], 0);
    CHECK_EQ(pic_levels[11], 1);
    /* INTx disable in the command register masks the pin. */
    pci_bus_config_write(bus, b->devfn, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    CHECK_EQ(pic_levels[11], 0);
    CHECK_EQ(ioapic_levels[19], 0);
    pci_bus_config_write(bus, b->devfn, PCI_COMMAND, 0, 2);
    CHECK_EQ(pic_levels[11], 1);
    pci_bus_config_write(bus, isa, 0x63, 0x8b, 1); /* disabled */
    CHECK_EQ(pic_levels[11], 0);
    CHECK_EQ(ioapic_levels[19], 1);
    pci_set_irq(b, 0);
    CHECK_EQ(ioapic_levels[19], 0);

    bus->pic_in = saved_pic;
    bus->ioapic_in = saved_ioapic;
    machine_free(m);
    machine_config_free(cfg);
    free(pic);
    free(ioapic);
}

int main(void)
{
    test_run("pci-firmware/setup", test_firmware_setup);
    test_run("pci/intx-routing", test_intx_routing);
    return test_summary();
}
