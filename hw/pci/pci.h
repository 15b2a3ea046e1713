/*
 * The PCI bus (bus 0 only) and the common part of every PCI function.
 *
 * Reference: PCI Local Bus Specification 3.0, chapter 6 (configuration
 * space: header type 0, command/status, BARs, expansion ROM BAR, interrupt
 * line/pin).
 *
 * A PCI device's state struct starts with a PCIDevice, which starts with a
 * DeviceState.  Its DeviceInfo has .bus = BUS_PCI and its props include
 * DEFINE_PROP_PCI_ADDR; realize calls pci_device_realize() first, reset
 * calls pci_device_reset() first, unrealize calls pci_device_unrealize()
 * before destroying the regions its BARs use.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include "core/machine.h"

#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_SLOT_MAX 32
#define PCI_FUNC_MAX 8
#define PCI_DEVFN(slot, fn) (((slot) << 3) | (fn))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 7)

/* Configuration header offsets (type 0). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_DEVSEL_MEDIUM 0x0200
/* Error bits the device sets and the guest clears by writing 1. */
#define PCI_STATUS_W1C 0xf900

#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

/* BAR type flags (the low bits of the BAR register). */
#define PCI_BAR_SPACE_IO 0x01
#define PCI_BAR_MEM_32 0x00
#define PCI_BAR_MEM_64 0x04
#define PCI_BAR_MEM_PREFETCH 0x08
#define PCI_ROM_ADDRESS_ENABLE 0x01

#define PCI_NUM_BARS 6
#define PCI_ROM_SLOT 6
#define PCI_NUM_REGIONS 7
#define PCI_BAR_UNMAPPED UINT64_MAX

#define PCI_NUM_PINS 4 /* INTA#..INTD# and PIRQA..PIRQD */

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

typedef struct PCIIORegion {
    MemoryRegion *mr; /* NULL: BAR not implemented */
    uint64_t size;
    uint8_t type;     /* PCI_BAR_* flags */
    uint64_t addr;    /* where mr is mapped now, or PCI_BAR_UNMAPPED */
} PCIIORegion;

struct PCIDevice {
    DeviceState qdev;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* bits the guest may write */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* bits a guest 1 clears */
    PCIIORegion io_regions[PCI_NUM_REGIONS];
    PCIBus *bus;
    int devfn;
    char *addr;    /* "addr" property: "slot[.fn]" or NULL */
    char *bootindex; /* "bootindex" property (devices that boot: NICs), or NULL */
    int irq_level; /* the level this function drives on its INTx pin */
    int intx_pirq; /* the PIRQ the bus counts this function on, or -1 */
    /*
     * Optional device hooks.  config_read may replace the value read
     * (registers computed on the fly); config_write runs after the common
     * write has updated config[] and the BAR mappings.
     */
    uint32_t (*config_read)(PCIDevice *d, uint32_t addr, uint32_t val, int len);
    void (*config_write)(PCIDevice *d, uint32_t addr, uint32_t val, int len);
};

struct PCIBus {
    Machine *machine;
    PCIDevice *devices[PCI_SLOT_MAX * PCI_FUNC_MAX];
    /* RAM the BARs must not cover: [0, low_ram_end) and [4 GiB, high_ram_end). */
    uint64_t low_ram_end;
    uint64_t high_ram_end;
    /* Per PIRQ: how many functions assert it. */
    int pirq_count[PCI_NUM_PINS];
    /* The interrupt router (PIIX3) sees each PIRQ level change here. */
    void (*set_pirq)(void *opaque, int pirq, int level);
    void *pirq_opaque;
    /*
     * Where the router delivers: pointers to the board's PIC / IOAPIC input
     * arrays (each NULL until that controller exists).  pci_isa_irq_levels
     * has bit n set while a PIRQ routed to ISA IRQ n is asserted, so the
     * board ORs it with ISA devices on the same PIC input.
     */
    IRQState **pic_in;
    IRQState **ioapic_in;
    uint16_t pci_isa_irq_levels;
    /* 0xcf9 reset control (PIIX3), reached through the 0xcf8 dword port. */
    uint8_t (*reset_control_read)(void *opaque);
    void (*reset_control_write)(void *opaque, uint8_t val);
    void *reset_control_opaque;
    /* The BIOS image's alias below 1 MiB (PAM "ROM side"), or NULL. */
    MemoryRegion *isa_bios;
};

PCIBus *pci_bus_new(Machine *m);
void pci_bus_free(PCIBus *bus);
PCIDevice *pci_bus_find(PCIBus *bus, int devfn);
/* Config cycles from the host bridge; an absent function reads all ones. */
uint32_t pci_bus_config_read(PCIBus *bus, int devfn, uint32_t addr, int len);
void pci_bus_config_write(PCIBus *bus, int devfn, uint32_t addr, uint32_t val, int len);

#define DEFINE_PROP_PCI_ADDR(State, field) \
    DEFINE_PROP_STRING("addr", State, field.addr, "slot[.function] (default: first free slot)")
#define DEFINE_PROP_PCI_BOOTINDEX(State, field) \
    DEFINE_PROP_STRING("bootindex", State, field.bootindex, \
                       "boot priority for the firmware's bootorder (lower first)")

bool pci_device_realize(PCIDevice *d, Error **errp);
void pci_device_unrealize(PCIDevice *d);
void pci_device_reset(PCIDevice *d);
/* Re-derive BAR mappings and the INTx level after loading config[]. */
void pci_device_post_load(PCIDevice *d);
extern const VMStateDescription pci_device_vmstate;

void pci_config_set_ids(PCIDevice *d, uint16_t vendor, uint16_t device, uint8_t revision,
                        uint32_t class_code /* class << 16 | subclass << 8 | prog-if */);
void pci_config_set_subsystem(PCIDevice *d, uint16_t vendor, uint16_t id);
void pci_config_set_interrupt_pin(PCIDevice *d, int pin /* 1 = INTA# .. 4, 0 none */);

/*
 * Declare BAR n (0-5, or PCI_ROM_SLOT) backed by mr, whose size must be a
 * power of two (at least 4 for I/O, 16 for memory, 2 KiB for the ROM).
 * A 64-bit BAR also takes BAR n+1.
 */
void pci_register_bar(PCIDevice *d, int n, uint8_t type, MemoryRegion *mr);
/* The guest-visible address of BAR n if decoding is on and valid, else PCI_BAR_UNMAPPED. */
uint64_t pci_bar_address(PCIDevice *d, int n);
void pci_update_mappings(PCIDevice *d);

/* Drive this function's INTx pin (the one in the interrupt pin register). */
void pci_set_irq(PCIDevice *d, int level);

static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

/* What a BIOS does to PCI, for direct kernel boot (hw/pci/pci-firmware.c). */
void pci_firmware_setup(Machine *m);
/* HMP "info pci". */
void pci_print_devices(Machine *m, FILE *f);

#endif
