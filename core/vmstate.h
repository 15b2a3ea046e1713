/*
 * Declarative device state: a device lists the fields that make up its
 * state once, and snapshots, migration and state-equality checks all use
 * that list.  The wire format is a sequence of little-endian fields in
 * declaration order, framed by the description's name and version.
 */
#ifndef CORE_VMSTATE_H
#define CORE_VMSTATE_H

#include "core/common.h"

typedef enum VMStateType {
    VMS_BOOL,
    VMS_U8,
    VMS_U16,
    VMS_U32,
    VMS_U64,
    VMS_I32,
    VMS_I64,
    VMS_BUFFER, /* raw bytes, 'size' long */
    VMS_STRUCT, /* a nested description at 'offset' */
    /*
     * A buffer the device allocated (VRAM): a pointer at 'offset', its length
     * the uint32_t at 'len_offset'.  Saved as u32 length + bytes; a load
     * needs the same length (it is configuration, not state).
     */
    VMS_VBUFFER,
} VMStateType;

typedef struct VMStateDescription VMStateDescription;

typedef struct VMStateField {
    const char *name;
    VMStateType type;
    size_t offset;
    size_t size;   /* element size for VMS_BUFFER (total) and arrays */
    int count;     /* number of elements (1 unless an array) */
    const VMStateDescription *sub; /* VMS_STRUCT */
    size_t len_offset;             /* VMS_VBUFFER */
} VMStateField;

struct VMStateDescription {
    const char *name;
    int version;
    const VMStateField *fields; /* terminated by VMSTATE_END */
    /* Optional hooks: recompute derived state after load, fix up before save. */
    int (*post_load)(void *opaque);
    void (*pre_save)(void *opaque);
};

#define VMSTATE__F(fname, vtype, State, field, n)                                         \
    {.name = fname, .type = vtype, .offset = offsetof(State, field),                      \
     .size = sizeof(((State *)0)->field) / (n), .count = (n)}
#define VMSTATE_BOOL(State, f) VMSTATE__F(#f, VMS_BOOL, State, f, 1)
#define VMSTATE_U8(State, f) VMSTATE__F(#f, VMS_U8, State, f, 1)
#define VMSTATE_U16(State, f) VMSTATE__F(#f, VMS_U16, State, f, 1)
#define VMSTATE_U32(State, f) VMSTATE__F(#f, VMS_U32, State, f, 1)
#define VMSTATE_U64(State, f) VMSTATE__F(#f, VMS_U64, State, f, 1)
#define VMSTATE_I32(State, f) VMSTATE__F(#f, VMS_I32, State, f, 1)
#define VMSTATE_I64(State, f) VMSTATE__F(#f, VMS_I64, State, f, 1)
#define VMSTATE_U8_ARRAY(State, f) VMSTATE__F(#f, VMS_U8, State, f, ARRAY_SIZE(((State *)0)->f))
#define VMSTATE_U16_ARRAY(State, f) \
    VMSTATE__F(#f, VMS_U16, State, f, ARRAY_SIZE(((State *)0)->f))
#define VMSTATE_U32_ARRAY(State, f) \
    VMSTATE__F(#f, VMS_U32, State, f, ARRAY_SIZE(((State *)0)->f))
#define VMSTATE_U64_ARRAY(State, f) \
    VMSTATE__F(#f, VMS_U64, State, f, ARRAY_SIZE(((State *)0)->f))
#define VMSTATE_BUFFER(State, f)                                                    \
    {.name = #f, .type = VMS_BUFFER, .offset = offsetof(State, f),                  \
     .size = sizeof(((State *)0)->f), .count = 1}
#define VMSTATE_STRUCT(State, f, desc)                                              \
    {.name = #f, .type = VMS_STRUCT, .offset = offsetof(State, f),                  \
     .size = sizeof(((State *)0)->f), .count = 1, .sub = (desc)}
#define VMSTATE_VBUFFER_U32(State, f, lenf)                                         \
    {.name = #f, .type = VMS_VBUFFER, .offset = offsetof(State, f),                 \
     .size = sizeof(((State *)0)->f), .count = 1, .len_offset = offsetof(State, lenf)}
#define VMSTATE_END {.name = NULL}

/* A growable byte buffer the state is written into / read from. */
typedef struct VMBuffer {
    uint8_t *data;
    size_t len, cap, pos;
} VMBuffer;

void vmstate_save(const VMStateDescription *vmsd, const void *opaque, VMBuffer *out);
/* Reject (with a message) a buffer that is short, of another device or version. */
bool vmstate_load(const VMStateDescription *vmsd, void *opaque, VMBuffer *in, Error **errp);
void vmbuffer_free(VMBuffer *b);

#endif
