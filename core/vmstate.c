/*
 * Declarative device state to and from a byte buffer.  Format per device:
 * name length (u16), name, version (u32), then each field little-endian in
 * declaration order.  Loading checks every length against what is left, so
 * a truncated or foreign buffer is a clear error, never an overrun.
 */
#include "core/vmstate.h"

static void vmbuffer_put(VMBuffer *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = MAX(b->cap * 2, b->len + len + 256);
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void vmbuffer_put_le(VMBuffer *b, uint64_t v, unsigned size)
{
    uint8_t tmp[8];
    stn_le_p(tmp, size, v);
    vmbuffer_put(b, tmp, size);
}

static bool vmbuffer_get(VMBuffer *b, void *data, size_t len)
{
    if (b->pos > b->len || len > b->len - b->pos) {
        return false;
    }
    memcpy(data, b->data + b->pos, len);
    b->pos += len;
    return true;
}

static unsigned scalar_size(VMStateType t)
{
    switch (t) {
    case VMS_BOOL:
    case VMS_U8: return 1;
    case VMS_U16: return 2;
    case VMS_U32:
    case VMS_I32: return 4;
    default: return 8;
    }
}

static void save_fields(const VMStateDescription *vmsd, const void *opaque, VMBuffer *out)
{
    for (const VMStateField *f = vmsd->fields; f->name; f++) {
        const uint8_t *base = (const uint8_t *)opaque + f->offset;
        if (f->type == VMS_BUFFER) {
            vmbuffer_put(out, base, f->size);
            continue;
        }
        if (f->type == VMS_STRUCT) {
            save_fields(f->sub, base, out);
            continue;
        }
        if (f->type == VMS_VBUFFER) {
            uint32_t len = ldl_le_p((const uint8_t *)opaque + f->len_offset);
            const uint8_t *data = *(uint8_t *const *)base;
            vmbuffer_put_le(out, data ? len : 0, 4);
            if (data) {
                vmbuffer_put(out, data, len);
            }
            continue;
        }
        for (int i = 0; i < f->count; i++) {
            const uint8_t *p = base + i * f->size;
            uint64_t v = f->type == VMS_BOOL ? *(const bool *)p : ldn_le_p(p, f->size);
            vmbuffer_put_le(out, v, scalar_size(f->type));
        }
    }
}

void vmstate_save(const VMStateDescription *vmsd, const void *opaque, VMBuffer *out)
{
    if (vmsd->pre_save) {
        vmsd->pre_save((void *)opaque);
    }
    size_t nlen = strlen(vmsd->name);
    vmbuffer_put_le(out, nlen, 2);
    vmbuffer_put(out, vmsd->name, nlen);
    vmbuffer_put_le(out, vmsd->version, 4);
    save_fields(vmsd, opaque, out);
}

/*
 * Pointer buffers found while loading: copied only once every field parsed,
 * since they live outside the scratch copy.
 */
typedef struct VBufferCopy {
    uint8_t *dst;
    const uint8_t *src;
    uint32_t len;
} VBufferCopy;

typedef struct VBufferCopies {
    VBufferCopy *items;
    int nr;
} VBufferCopies;

static bool load_vbuffer(const VMStateDescription *vmsd, const VMStateField *f,
                         const uint8_t *opaque, VMBuffer *in, VBufferCopies *copies,
                         Error **errp)
{
    uint8_t tmp[4];
    if (!vmbuffer_get(in, tmp, 4)) {
        error_setg(errp, "vmstate %s: truncated at field %s", vmsd->name, f->name);
        return false;
    }
    uint32_t len = ldl_le_p(tmp);
    uint8_t *dst = *(uint8_t *const *)(opaque + f->offset);
    uint32_t want = dst ? ldl_le_p(opaque + f->len_offset) : 0;
    if (len != want) {
        error_setg(errp, "vmstate %s: field %s is %u bytes, this device has %u", vmsd->name,
                   f->name, len, want);
        return false;
    }
    if (in->pos > in->len || len > in->len - in->pos) {
        error_setg(errp, "vmstate %s: truncated at field %s", vmsd->name, f->name);
        return false;
    }
    copies->items = xrealloc(copies->items, (copies->nr + 1) * sizeof(*copies->items));
    copies->items[copies->nr++] = (VBufferCopy){.dst = dst, .src = in->data + in->pos,
                                                .len = len};
    in->pos += len;
    return true;
}

/* Fields are loaded into a scratch copy first so a failure leaves the device untouched. */
static bool load_fields(const VMStateDescription *vmsd, uint8_t *opaque, VMBuffer *in,
                        VBufferCopies *copies, Error **errp)
{
    for (const VMStateField *f = vmsd->fields; f->name; f++) {
        uint8_t *base = opaque + f->offset;
        if (f->type == VMS_VBUFFER) {
            if (!load_vbuffer(vmsd, f, opaque, in, copies, errp)) {
                return false;
            }
            continue;
        }
        if (f->type == VMS_BUFFER) {
            if (!vmbuffer_get(in, base, f->size)) {
                error_setg(errp, "vmstate %s: truncated at field %s", vmsd->name, f->name);
                return false;
            }
            continue;
        }
        if (f->type == VMS_STRUCT) {
            if (!load_fields(f->sub, base, in, copies, errp)) {
                return false;
            }
            continue;
        }
        for (int i = 0; i < f->count; i++) {
            uint8_t tmp[8];
            unsigned sz = scalar_size(f->type);
            if (!vmbuffer_get(in, tmp, sz)) {
                error_setg(errp, "vmstate %s: truncated at field %s", vmsd->name, f->name);
                return false;
            }
            uint8_t *p = base + i * f->size;
            if (f->type == VMS_BOOL) {
                if (tmp[0] > 1) {
                    error_setg(errp, "vmstate %s: field %s: invalid bool %u", vmsd->name,
                               f->name, tmp[0]);
                    return false;
                }
                *(bool *)p = tmp[0];
            } else {
                stn_le_p(p, f->size, ldn_le_p(tmp, sz));
            }
        }
    }
    return true;
}

static size_t vmstate_extent(const VMStateDescription *vmsd)
{
    size_t end = 0;
    for (const VMStateField *f = vmsd->fields; f->name; f++) {
        size_t e = f->offset + (f->type == VMS_BUFFER || f->type == VMS_STRUCT ||
                                        f->type == VMS_VBUFFER
                                    ? f->size : f->size * f->count);
        if (f->type == VMS_VBUFFER) {
            e = MAX(e, f->len_offset + sizeof(uint32_t));
        }
        end = MAX(end, e);
    }
    return end;
}

bool vmstate_load(const VMStateDescription *vmsd, void *opaque, VMBuffer *in, Error **errp)
{
    uint8_t hdr[4];
    if (!vmbuffer_get(in, hdr, 2)) {
        error_setg(errp, "vmstate %s: truncated header", vmsd->name);
        return false;
    }
    size_t nlen = lduw_le_p(hdr);
    char name[256];
    if (nlen >= sizeof(name) || !vmbuffer_get(in, name, nlen)) {
        error_setg(errp, "vmstate %s: bad section name", vmsd->name);
        return false;
    }
    name[nlen] = 0;
    if (strcmp(name, vmsd->name)) {
        error_setg(errp, "vmstate: expected section '%s', found '%s'", vmsd->name, name);
        return false;
    }
    if (!vmbuffer_get(in, hdr, 4) || (int)ldl_le_p(hdr) != vmsd->version) {
        error_setg(errp, "vmstate %s: unsupported version", vmsd->name);
        return false;
    }
    size_t extent = vmstate_extent(vmsd);
    uint8_t *scratch = xmalloc(extent);
    memcpy(scratch, opaque, extent);
    VBufferCopies copies = {0};
    if (!load_fields(vmsd, scratch, in, &copies, errp)) {
        free(copies.items);
        free(scratch);
        return false;
    }
    memcpy(opaque, scratch, extent);
    free(scratch);
    for (int i = 0; i < copies.nr; i++) {
        memcpy(copies.items[i].dst, copies.items[i].src, copies.items[i].len);
    }
    free(copies.items);
    if (vmsd->post_load && vmsd->post_load(opaque) < 0) {
        error_setg(errp, "vmstate %s: state rejected after load", vmsd->name);
        return false;
    }
    return true;
}

void vmbuffer_free(VMBuffer *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}
