/*
 * The device registry.  A device is declared in a few lines:
 *
 *   static const DeviceInfo serial_info = {
 *       .name = "isa-serial", .bus = BUS_ISA, .size = sizeof(SerialState),
 *       .props = serial_props, .realize = serial_realize, .reset = serial_reset,
 *       .vmstate = &serial_vmstate, .desc = "16550A UART",
 *   };
 *   DEVICE_REGISTER(serial_info);
 *
 * The state struct starts with a DeviceState (or a bus device type that
 * starts with one).  Properties are typed fields at fixed offsets in that
 * struct, set from "-device NAME,prop=val" before realize.
 */
#ifndef CORE_DEVICE_H
#define CORE_DEVICE_H

#include "core/common.h"
#include "core/vmstate.h"

typedef struct Machine Machine;
typedef struct DeviceState DeviceState;
typedef struct Chardev Chardev;

typedef enum BusType {
    BUS_SYSTEM, /* wired directly by the machine */
    BUS_ISA,
    BUS_PCI,
} BusType;

typedef enum PropType {
    PROP_BOOL,    /* bool */
    PROP_U8,      /* uint8_t */
    PROP_U16,     /* uint16_t */
    PROP_U32,     /* uint32_t */
    PROP_U64,     /* uint64_t */
    PROP_I32,     /* int32_t */
    PROP_SIZE,    /* uint64_t, with K/M/G suffixes */
    PROP_STRING,  /* char *, owned by the device */
    PROP_CHARDEV, /* Chardev *, by chardev id */
} PropType;

typedef struct Property {
    const char *name;
    PropType type;
    size_t offset;
    uint64_t defval;    /* numeric and bool defaults */
    const char *defstr; /* string default (PROP_STRING) */
    const char *desc;
} Property;

#define DEFINE_PROP(pname, ptype, State, field, def, help) \
    {.name = pname, .type = ptype, .offset = offsetof(State, field), .defval = (def), .desc = help}
#define DEFINE_PROP_BOOL(n, S, f, d, h) DEFINE_PROP(n, PROP_BOOL, S, f, d, h)
#define DEFINE_PROP_U8(n, S, f, d, h) DEFINE_PROP(n, PROP_U8, S, f, d, h)
#define DEFINE_PROP_U16(n, S, f, d, h) DEFINE_PROP(n, PROP_U16, S, f, d, h)
#define DEFINE_PROP_U32(n, S, f, d, h) DEFINE_PROP(n, PROP_U32, S, f, d, h)
#define DEFINE_PROP_U64(n, S, f, d, h) DEFINE_PROP(n, PROP_U64, S, f, d, h)
#define DEFINE_PROP_I32(n, S, f, d, h) DEFINE_PROP(n, PROP_I32, S, f, d, h)
#define DEFINE_PROP_SIZE(n, S, f, d, h) DEFINE_PROP(n, PROP_SIZE, S, f, d, h)
#define DEFINE_PROP_STRING(n, S, f, h) \
    {.name = n, .type = PROP_STRING, .offset = offsetof(S, f), .desc = h}
#define DEFINE_PROP_CHARDEV(n, S, f, h) \
    {.name = n, .type = PROP_CHARDEV, .offset = offsetof(S, f), .desc = h}
#define DEFINE_PROP_END {.name = NULL}

typedef struct DeviceInfo {
    const char *name;
    const char *desc;
    BusType bus;
    size_t size; /* of the state struct, which starts with DeviceState */
    const Property *props;
    /* Create regions, map them, claim IRQs.  Properties are set by now. */
    bool (*realize)(DeviceState *dev, Error **errp);
    /* Power-on / system_reset state. */
    void (*reset)(DeviceState *dev);
    /* Release what realize acquired: regions, timers, chardev frontends. */
    void (*unrealize)(DeviceState *dev);
    const VMStateDescription *vmstate;
    /* Can the user create it with -device? (Machine-internal parts say no.) */
    bool no_user;
} DeviceInfo;

struct DeviceState {
    const DeviceInfo *info;
    char *id;            /* from id=, or NULL */
    Machine *machine;
    bool realized;
    DeviceState *next;   /* in the machine's device list, creation order */
};

void device_register(const DeviceInfo *info);
#define DEVICE_REGISTER(info)                                                  \
    static void __attribute__((constructor)) device_register_##info(void)      \
    {                                                                          \
        device_register(&(info));                                              \
    }

const DeviceInfo *device_info_find(const char *name);
/* "-device help": one line per user-creatable device, sorted, with bus. */
void device_print_list(FILE *f);
/* "-device NAME,help": the device's properties with types and defaults. */
void device_print_props(FILE *f, const DeviceInfo *info);

/* Allocate a device with default properties, attached to machine m. */
DeviceState *device_new(Machine *m, const char *name, Error **errp);
/* Set one property from its string form; the error names device and property. */
bool device_set_prop(DeviceState *dev, const char *prop, const char *value, Error **errp);
bool device_realize(DeviceState *dev, Error **errp);
/* "-device NAME,k=v,...": new + set each prop + realize; unknown props are errors. */
DeviceState *device_create_from_optstr(Machine *m, const char *optstr, Error **errp);
/* Convenience for machine code: new + realize, aborting on error (a bug, not input). */
DeviceState *device_create_simple(Machine *m, const char *name);
void device_reset(DeviceState *dev);
/* Unrealize (if realized) and free a device; the caller unlinks it from the machine. */
void device_destroy(DeviceState *dev);

#endif
