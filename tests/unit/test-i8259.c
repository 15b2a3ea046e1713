/*
 * The 8259 pair's INTA cycle (i8259_ack), which qtest cannot reach: a pc
 * machine with the qtest accelerator's configuration, driven through its
 * I/O address space and ISA lines as the CPU and devices would.
 */
#include "core/machine.h"
#include "core/options.h"
#include "hw/intc/i8259.h"
#include "tests/unit/test.h"

static Machine *pic_machine(MachineConfig *cfg, DeviceState **pic)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_size = 16 << 20;
    cfg->smp_cpus = 1;
    cfg->smp_max_cpus = 1;
    cfg->nodefaults = true;
    cfg->accel = (char *)"qtest";
    cfg->qtest = (char *)"null";
    Error *err = NULL;
    Machine *m = machine_create(cfg, &err);
    if (!m) {
        error_report_err(err);
        exit(1);
    }
    *pic = NULL;
    for (DeviceState *d = m->devices; d; d = d->next) {
        if (!strcmp(d->info->name, "i8259")) {
            *pic = d;
        }
    }
    if (!*pic) {
        fprintf(stderr, "no i8259 in the pc machine\n");
        exit(1);
    }
    return m;
}

static void outb(Machine *m, uint16_t port, uint8_t val)
{
    address_space_st(&m->as_io, port, 1, val);
}

static uint8_t inb(Machine *m, uint16_t port)
{
    uint64_t v = 0;
    address_space_ld(&m->as_io, port, 1, &v);
    return v;
}

static int intr_level(Machine *m)
{
    return irq_get_level(machine_find_named_irqs(m, "pic-intr", NULL));
}

static uint8_t read_isr(Machine *m, uint16_t cmd)
{
    outb(m, cmd, 0x0b);
    uint8_t v = inb(m, cmd);
    outb(m, cmd, 0x0a);
    return v;
}

/* Linux's sequence: vectors 0x30 and 0x38; slave_icw4 0x03 makes the slave AEOI. */
static void init_pics(Machine *m, uint8_t slave_icw4)
{
    static const uint16_t ports[] = {0x20, 0x21, 0x21, 0x21, 0xa0, 0xa1, 0xa1, 0xa1};
    const uint8_t vals[] = {0x11, 0x30, 0x04, 0x01, 0x11, 0x38, 0x02, slave_icw4};
    for (unsigned i = 0; i < ARRAY_SIZE(ports); i++) {
        outb(m, ports[i], vals[i]);
    }
    outb(m, 0x21, 0);
    outb(m, 0xa1, 0);
}

static void test_master_vector(void)
{
    MachineConfig cfg;
    DeviceState *pic;
    Machine *m = pic_machine(&cfg, &pic);
    init_pics(m, 0x01);
    irq_set(&m->isa_irqs[3], 1);
    irq_set(&m->isa_irqs[1], 1);
    CHECK_EQ(intr_level(m), 1);
    CHECK_EQ(i8259_ack(pic), 0x31);
    CHECK_EQ(intr_level(m), 0);
    CHECK_EQ(read_isr(m, 0x20), 0x02);
    outb(m, 0x20, 0x20);
    CHECK_EQ(intr_level(m), 1);
    CHECK_EQ(i8259_ack(pic), 0x33);
    machine_free(m);
}

static void test_slave_vector_through_cascade(void)
{
    MachineConfig cfg;
    DeviceState *pic;
    Machine *m = pic_machine(&cfg, &pic);
    init_pics(m, 0x01);
    irq_set(&m->isa_irqs[10], 1);
    CHECK_EQ(intr_level(m), 1);
    CHECK_EQ(i8259_ack(pic), 0x3a);
    CHECK_EQ(read_isr(m, 0x20), 0x04);
    CHECK_EQ(read_isr(m, 0xa0), 0x04);
    CHECK_EQ(intr_level(m), 0);
    machine_free(m);
}

static void test_spurious_master(void)
{
    MachineConfig cfg;
    DeviceState *pic;
    Machine *m = pic_machine(&cfg, &pic);
    init_pics(m, 0x01);
    irq_set(&m->isa_irqs[4], 1);
    irq_set(&m->isa_irqs[4], 0);
    CHECK_EQ(i8259_ack(pic), 0x37);
    CHECK_EQ(read_isr(m, 0x20), 0x00);
    machine_free(m);
}

/* An AEOI slave with a second request gives the master a fresh IR2 edge. */
static void test_aeoi_slave_keeps_cascade(void)
{
    MachineConfig cfg;
    DeviceState *pic;
    Machine *m = pic_machine(&cfg, &pic);
    init_pics(m, 0x03);
    irq_set(&m->isa_irqs[10], 1);
    irq_set(&m->isa_irqs[11], 1);
    CHECK_EQ(i8259_ack(pic), 0x3a);
    CHECK_EQ(read_isr(m, 0xa0), 0x00);
    outb(m, 0x20, 0x20); /* the master is not AEOI */
    CHECK_EQ(intr_level(m), 1);
    CHECK_EQ(i8259_ack(pic), 0x3b);
    machine_free(m);
}

static void test_vmstate_roundtrip(void)
{
    MachineConfig cfg;
    DeviceState *pic;
    Machine *m = pic_machine(&cfg, &pic);
    init_pics(m, 0x01);
    outb(m, 0x21, 0x5a);
    VMBuffer buf = {0};
    vmstate_save(pic->info->vmstate, pic, &buf);
    outb(m, 0x21, 0x00);
    buf.pos = 0;
    Error *err = NULL;
    CHECK(vmstate_load(pic->info->vmstate, pic, &buf, &err));
    CHECK_EQ(inb(m, 0x21), 0x5a);
    vmbuffer_free(&buf);
    machine_free(m);
}

int main(void)
{
    test_run("i8259/inta-master-vector", test_master_vector);
    test_run("i8259/inta-slave-vector", test_slave_vector_through_cascade);
    test_run("i8259/inta-spurious-irq7", test_spurious_master);
    test_run("i8259/inta-aeoi-slave", test_aeoi_slave_keeps_cascade);
    test_run("i8259/vmstate-roundtrip", test_vmstate_roundtrip);
    return test_summary();
}
