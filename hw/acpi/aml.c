/*
 * AML encoder.  Encodings follow ACPI spec 6.4 chapter 20 (AML grammar) and
 * section 6.4 (resource data types).
 */
#include "hw/acpi/aml.h"

/* ------------------------------------------------------------------------ */
/* AcpiBuf */

void acpi_buf_free(AcpiBuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

size_t acpi_buf_append(AcpiBuf *b, const void *data, size_t len)
{
    size_t off = b->len;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len) {
            cap *= 2;
        }
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (len) {
        if (data) {
            memcpy(b->data + off, data, len);
        } else {
            memset(b->data + off, 0, len);
        }
    }
    b->len += len;
    return off;
}

size_t acpi_buf_append_byte(AcpiBuf *b, uint8_t v)
{
    return acpi_buf_append(b, &v, 1);
}

void acpi_buf_align(AcpiBuf *b, size_t align)
{
    size_t pad = (align - (b->len & (align - 1))) & (align - 1);
    acpi_buf_append(b, NULL, pad);
}

size_t acpi_buf_append_le(AcpiBuf *b, uint64_t v, unsigned size)
{
    uint8_t tmp[8];
    stn_le_p(tmp, size, v);
    return acpi_buf_append(b, tmp, size);
}

void acpi_buf_put_str(AcpiBuf *b, size_t off, const char *s, size_t n)
{
    size_t l = strlen(s);
    for (size_t i = 0; i < n; i++) {
        b->data[off + i] = i < l ? (uint8_t)s[i] : ' ';
    }
}

uint8_t acpi_checksum(const uint8_t *data, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += data[i];
    }
    return sum;
}

/* ------------------------------------------------------------------------ */
/* Tree nodes */

typedef enum AmlKind {
    AML_KIND_RAW,          /* bytes as they are */
    AML_KIND_PKGLEN,       /* opcode, PkgLength, body (Scope, Device, Method, If...) */
    AML_KIND_BUFFER,       /* BufferOp, PkgLength, BufferSize, bytes */
    AML_KIND_RES_TEMPLATE, /* a Buffer whose bytes end with an EndTag */
    AML_KIND_PACKAGE,      /* PackageOp, PkgLength, NumElements, elements */
} AmlKind;

struct Aml {
    AmlKind kind;
    uint8_t op[2];
    unsigned op_len;
    AcpiBuf body;
    unsigned elements; /* Package: element count; Field: current bit position */
};

#define OP_ZERO 0x00
#define OP_ONE 0x01
#define OP_NAME 0x08
#define OP_BYTE_PREFIX 0x0a
#define OP_WORD_PREFIX 0x0b
#define OP_DWORD_PREFIX 0x0c
#define OP_STRING_PREFIX 0x0d
#define OP_QWORD_PREFIX 0x0e
#define OP_SCOPE 0x10
#define OP_BUFFER 0x11
#define OP_PACKAGE 0x12
#define OP_METHOD 0x14
#define OP_DUAL_NAME_PREFIX 0x2e
#define OP_MULTI_NAME_PREFIX 0x2f
#define OP_EXT_PREFIX 0x5b
#define OP_LOCAL0 0x60
#define OP_ARG0 0x68
#define OP_STORE 0x70
#define OP_ADD 0x72
#define OP_SUBTRACT 0x74
#define OP_INCREMENT 0x75
#define OP_SHIFT_LEFT 0x79
#define OP_SHIFT_RIGHT 0x7a
#define OP_AND 0x7b
#define OP_OR 0x7d
#define OP_NOTIFY 0x86
#define OP_CREATE_DWORD_FIELD 0x8a
#define OP_LNOT 0x92
#define OP_LEQUAL 0x93
#define OP_LLESS 0x95
#define OP_IF 0xa0
#define OP_ELSE 0xa1
#define OP_WHILE 0xa2
#define OP_RETURN 0xa4
#define OP_ONES 0xff
#define EXT_OP_REGION 0x80
#define EXT_OP_FIELD 0x81
#define EXT_OP_DEVICE 0x82

static Aml *aml_new(AmlKind kind, int op0, int op1)
{
    Aml *a = XNEW(Aml);
    a->kind = kind;
    if (op0 >= 0) {
        a->op[a->op_len++] = op0;
    }
    if (op1 >= 0) {
        a->op[a->op_len++] = op1;
    }
    return a;
}

void aml_free(Aml *node)
{
    if (node) {
        acpi_buf_free(&node->body);
        free(node);
    }
}

/*
 * PkgLength (20.2.4): the length of a block counts itself.  One byte holds up to 63;
 * otherwise bits 7-6 of the lead byte give the count of following bytes,
 * its bits 3-0 the low nibble, and the following bytes the rest.  Field
 * element widths use the same encoding without counting themselves.
 */
static void put_pkglen_value(AcpiBuf *out, size_t value)
{
    unsigned extra;
    if (value <= 0x3f) {
        acpi_buf_append_byte(out, value);
        return;
    }
    extra = value < (1u << 12) ? 1 : value < (1u << 20) ? 2 : 3;
    acpi_buf_append_byte(out, (extra << 6) | (value & 0xf));
    value >>= 4;
    for (unsigned i = 0; i < extra; i++) {
        acpi_buf_append_byte(out, value & 0xff);
        value >>= 8;
    }
}

static void put_pkglen(AcpiBuf *out, size_t body_len)
{
    size_t total;
    if (body_len + 1 <= 0x3f) {
        total = body_len + 1;
    } else if (body_len + 2 < (1u << 12)) {
        total = body_len + 2;
    } else if (body_len + 3 < (1u << 20)) {
        total = body_len + 3;
    } else {
        total = body_len + 4;
    }
    put_pkglen_value(out, total);
}

static void put_int(AcpiBuf *out, uint64_t v)
{
    if (v == 0) {
        acpi_buf_append_byte(out, OP_ZERO);
    } else if (v == 1) {
        acpi_buf_append_byte(out, OP_ONE);
    } else if (v <= 0xff) {
        acpi_buf_append_byte(out, OP_BYTE_PREFIX);
        acpi_buf_append_byte(out, v);
    } else if (v <= 0xffff) {
        acpi_buf_append_byte(out, OP_WORD_PREFIX);
        acpi_buf_append_le(out, v, 2);
    } else if (v <= 0xffffffffu) {
        acpi_buf_append_byte(out, OP_DWORD_PREFIX);
        acpi_buf_append_le(out, v, 4);
    } else {
        acpi_buf_append_byte(out, OP_QWORD_PREFIX);
        acpi_buf_append_le(out, v, 8);
    }
}

/* One NameSeg: up to four characters, padded with '_'. */
static void put_nameseg(AcpiBuf *out, const char *seg, size_t len)
{
    for (size_t i = 0; i < 4; i++) {
        acpi_buf_append_byte(out, i < len ? (uint8_t)seg[i] : '_');
    }
}

/* NameString (20.2.2): optional '\' or '^' prefixes, then zero, one, two or more segments. */
static void put_namestring(AcpiBuf *out, const char *path)
{
    const char *p = path;
    const char *segs[64];
    size_t lens[64];
    unsigned n = 0;

    while (*p == '\\' || *p == '^') {
        acpi_buf_append_byte(out, *p++);
    }
    while (*p && n < ARRAY_SIZE(segs)) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        segs[n] = p;
        lens[n] = len > 4 ? 4 : len;
        n++;
        p += len;
        if (*p == '.') {
            p++;
        }
    }
    if (n == 0) {
        acpi_buf_append_byte(out, 0x00); /* NullName */
        return;
    }
    if (n == 2) {
        acpi_buf_append_byte(out, OP_DUAL_NAME_PREFIX);
    } else if (n > 2) {
        acpi_buf_append_byte(out, OP_MULTI_NAME_PREFIX);
        acpi_buf_append_byte(out, n);
    }
    for (unsigned i = 0; i < n; i++) {
        put_nameseg(out, segs[i], lens[i]);
    }
}

/* Serialize node into out according to its kind. */
static void aml_emit(Aml *node, AcpiBuf *out)
{
    AcpiBuf head = { 0 };

    switch (node->kind) {
    case AML_KIND_RAW:
        acpi_buf_append(out, node->body.data, node->body.len);
        return;
    case AML_KIND_PKGLEN:
        acpi_buf_append(out, node->op, node->op_len);
        put_pkglen(out, node->body.len);
        acpi_buf_append(out, node->body.data, node->body.len);
        return;
    case AML_KIND_RES_TEMPLATE: {
        /* EndTag (6.4.2.9) with checksum 0, meaning "treat as correct". */
        static const uint8_t end_tag[2] = { 0x79, 0x00 };
        acpi_buf_append(&node->body, end_tag, 2);
    }
        /* fall through */
    case AML_KIND_BUFFER:
        put_int(&head, node->body.len);
        acpi_buf_append_byte(out, OP_BUFFER);
        put_pkglen(out, head.len + node->body.len);
        acpi_buf_append(out, head.data, head.len);
        acpi_buf_append(out, node->body.data, node->body.len);
        acpi_buf_free(&head);
        return;
    case AML_KIND_PACKAGE:
        acpi_buf_append_byte(out, OP_PACKAGE);
        put_pkglen(out, node->body.len + 1);
        acpi_buf_append_byte(out, node->elements);
        acpi_buf_append(out, node->body.data, node->body.len);
        return;
    }
}

void aml_append(Aml *parent, Aml *child)
{
    aml_emit(child, &parent->body);
    if (parent->kind == AML_KIND_PACKAGE) {
        parent->elements++;
    }
    aml_free(child);
}

void aml_to_buf(Aml *tree, AcpiBuf *out)
{
    aml_emit(tree, out);
    aml_free(tree);
}

/* ------------------------------------------------------------------------ */
/* Data objects */

static Aml *aml_raw(void)
{
    return aml_new(AML_KIND_RAW, -1, -1);
}

Aml *aml_term_list(void)
{
    return aml_raw();
}

static Aml *aml_raw_op(uint8_t op)
{
    Aml *a = aml_raw();
    acpi_buf_append_byte(&a->body, op);
    return a;
}

Aml *aml_int(uint64_t v)
{
    Aml *a = aml_raw();
    if (v == UINT64_MAX) {
        acpi_buf_append_byte(&a->body, OP_ONES);
    } else {
        put_int(&a->body, v);
    }
    return a;
}

Aml *aml_zero(void)
{
    return aml_raw_op(OP_ZERO);
}

Aml *aml_one(void)
{
    return aml_raw_op(OP_ONE);
}

Aml *aml_ones(void)
{
    return aml_raw_op(OP_ONES);
}

Aml *aml_string(const char *s)
{
    Aml *a = aml_raw_op(OP_STRING_PREFIX);
    acpi_buf_append(&a->body, s, strlen(s) + 1);
    return a;
}

static unsigned hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return 0;
}

/*
 * EISA ID (ACPI 6.4 section 6.1.5): three letters of five bits each
 * ('A' = 1) then four hex digits, stored as four bytes in that order.
 */
Aml *aml_eisaid(const char *id)
{
    uint8_t b[4] = { 0 };
    if (strlen(id) == 7) {
        unsigned c1 = (id[0] - 0x40) & 0x1f, c2 = (id[1] - 0x40) & 0x1f;
        unsigned c3 = (id[2] - 0x40) & 0x1f;
        b[0] = (c1 << 2) | (c2 >> 3);
        b[1] = ((c2 & 7) << 5) | c3;
        b[2] = hex_digit(id[3]) << 4 | hex_digit(id[4]);
        b[3] = hex_digit(id[5]) << 4 | hex_digit(id[6]);
    }
    Aml *a = aml_raw_op(OP_DWORD_PREFIX);
    acpi_buf_append(&a->body, b, 4);
    return a;
}

Aml *aml_name(const char *path)
{
    Aml *a = aml_raw();
    put_namestring(&a->body, path);
    return a;
}

Aml *aml_local(unsigned n)
{
    return aml_raw_op(OP_LOCAL0 + (n & 7));
}

Aml *aml_arg(unsigned n)
{
    return aml_raw_op(OP_ARG0 + (n < 7 ? n : 6));
}

Aml *aml_buffer(const uint8_t *data, size_t len)
{
    Aml *a = aml_new(AML_KIND_BUFFER, -1, -1);
    acpi_buf_append(&a->body, data, len);
    return a;
}

Aml *aml_package(void)
{
    return aml_new(AML_KIND_PACKAGE, -1, -1);
}

/* ------------------------------------------------------------------------ */
/* Named objects and blocks */

Aml *aml_scope(const char *path)
{
    Aml *a = aml_new(AML_KIND_PKGLEN, OP_SCOPE, -1);
    put_namestring(&a->body, path);
    return a;
}

Aml *aml_device(const char *name)
{
    Aml *a = aml_new(AML_KIND_PKGLEN, OP_EXT_PREFIX, EXT_OP_DEVICE);
    put_namestring(&a->body, name);
    return a;
}

Aml *aml_method(const char *name, unsigned nargs, bool serialized)
{
    Aml *a = aml_new(AML_KIND_PKGLEN, OP_METHOD, -1);
    put_namestring(&a->body, name);
    /* MethodFlags: bits 2-0 ArgCount, bit 3 SerializeFlag, bits 7-4 SyncLevel 0. */
    acpi_buf_append_byte(&a->body, (nargs & 7) | (serialized ? 8 : 0));
    return a;
}

Aml *aml_name_decl(const char *name, Aml *value)
{
    Aml *a = aml_raw_op(OP_NAME);
    put_namestring(&a->body, name);
    aml_append(a, value);
    return a;
}

Aml *aml_if(Aml *predicate)
{
    Aml *a = aml_new(AML_KIND_PKGLEN, OP_IF, -1);
    aml_append(a, predicate);
    return a;
}

Aml *aml_else(void)
{
    return aml_new(AML_KIND_PKGLEN, OP_ELSE, -1);
}

Aml *aml_while(Aml *predicate)
{
    Aml *a = aml_new(AML_KIND_PKGLEN, OP_WHILE, -1);
    aml_append(a, predicate);
    return a;
}

/* ------------------------------------------------------------------------ */
/* Statements and expressions */

static Aml *aml_op1(uint8_t op, Aml *a)
{
    Aml *n = aml_raw_op(op);
    aml_append(n, a);
    return n;
}

static Aml *aml_op2(uint8_t op, Aml *a, Aml *b)
{
    Aml *n = aml_op1(op, a);
    aml_append(n, b);
    return n;
}

/* Operand Operand Target, where a missing target is NullName. */
static Aml *aml_op2_target(uint8_t op, Aml *a, Aml *b, Aml *target)
{
    Aml *n = aml_op2(op, a, b);
    if (target) {
        aml_append(n, target);
    } else {
        acpi_buf_append_byte(&n->body, 0x00);
    }
    return n;
}

Aml *aml_return(Aml *value)
{
    return aml_op1(OP_RETURN, value);
}

Aml *aml_store(Aml *value, Aml *target)
{
    return aml_op2(OP_STORE, value, target);
}

Aml *aml_and(Aml *a, Aml *b, Aml *target)
{
    return aml_op2_target(OP_AND, a, b, target);
}

Aml *aml_or(Aml *a, Aml *b, Aml *target)
{
    return aml_op2_target(OP_OR, a, b, target);
}

Aml *aml_shiftleft(Aml *a, Aml *count, Aml *target)
{
    return aml_op2_target(OP_SHIFT_LEFT, a, count, target);
}

Aml *aml_shiftright(Aml *a, Aml *count, Aml *target)
{
    return aml_op2_target(OP_SHIFT_RIGHT, a, count, target);
}

Aml *aml_add(Aml *a, Aml *b, Aml *target)
{
    return aml_op2_target(OP_ADD, a, b, target);
}

Aml *aml_subtract(Aml *a, Aml *b, Aml *target)
{
    return aml_op2_target(OP_SUBTRACT, a, b, target);
}

Aml *aml_equal(Aml *a, Aml *b)
{
    return aml_op2(OP_LEQUAL, a, b);
}

Aml *aml_less(Aml *a, Aml *b)
{
    return aml_op2(OP_LLESS, a, b);
}

Aml *aml_lnot(Aml *a)
{
    return aml_op1(OP_LNOT, a);
}

Aml *aml_increment(Aml *target)
{
    return aml_op1(OP_INCREMENT, target);
}

Aml *aml_notify(Aml *object, Aml *value)
{
    return aml_op2(OP_NOTIFY, object, value);
}

/* ------------------------------------------------------------------------ */
/* Operation regions and fields */

Aml *aml_operation_region(const char *name, AmlRegionSpace space, Aml *offset, Aml *length)
{
    Aml *a = aml_raw();
    acpi_buf_append_byte(&a->body, OP_EXT_PREFIX);
    acpi_buf_append_byte(&a->body, EXT_OP_REGION);
    put_namestring(&a->body, name);
    acpi_buf_append_byte(&a->body, space);
    aml_append(a, offset);
    aml_append(a, length);
    return a;
}

Aml *aml_field(const char *region, AmlAccessType access, bool lock, AmlUpdateRule update)
{
    Aml *a = aml_new(AML_KIND_PKGLEN, OP_EXT_PREFIX, EXT_OP_FIELD);
    put_namestring(&a->body, region);
    /* FieldFlags: bits 3-0 AccessType, bit 4 LockRule, bits 6-5 UpdateRule. */
    acpi_buf_append_byte(&a->body, (access & 0xf) | (lock ? 0x10 : 0) | ((update & 3) << 5));
    a->elements = 0;
    return a;
}

void aml_field_add(Aml *field, const char *name, unsigned bits)
{
    /* NamedField: NameSeg PkgLength, where the "length" is the bit count. */
    put_nameseg(&field->body, name, MIN(strlen(name), 4));
    put_pkglen_value(&field->body, bits);
    field->elements += bits;
}

void aml_field_offset(Aml *field, unsigned byte_offset)
{
    unsigned target = byte_offset * 8;
    if (target > field->elements) {
        /* ReservedField: 0x00 PkgLength(bits to skip). */
        unsigned skip = target - field->elements;
        acpi_buf_append_byte(&field->body, 0x00);
        put_pkglen_value(&field->body, skip);
        field->elements = target;
    }
}

Aml *aml_create_dword_field(Aml *buffer, Aml *byte_index, const char *name)
{
    Aml *a = aml_op2(OP_CREATE_DWORD_FIELD, buffer, byte_index);
    put_namestring(&a->body, name);
    return a;
}

/* ------------------------------------------------------------------------ */
/* Resource descriptors */

Aml *aml_resource_template(void)
{
    return aml_new(AML_KIND_RES_TEMPLATE, -1, -1);
}

/* I/O port descriptor (6.4.2.5), with 16-bit decode. */
Aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    Aml *a = aml_raw_op(0x47);
    acpi_buf_append_byte(&a->body, 0x01);
    acpi_buf_append_le(&a->body, min, 2);
    acpi_buf_append_le(&a->body, max, 2);
    acpi_buf_append_byte(&a->body, align);
    acpi_buf_append_byte(&a->body, len);
    return a;
}

/* Fixed-location I/O port descriptor (6.4.2.6). */
Aml *aml_fixed_io(uint16_t base, uint8_t len)
{
    Aml *a = aml_raw_op(0x4b);
    acpi_buf_append_le(&a->body, base & 0x3ff, 2);
    acpi_buf_append_byte(&a->body, len);
    return a;
}

/* IRQ descriptor (6.4.2.1), two-byte form: edge-triggered, active high. */
Aml *aml_irq_no_flags(unsigned irq)
{
    Aml *a = aml_raw_op(0x22);
    acpi_buf_append_le(&a->body, irq < 16 ? 1u << irq : 0, 2);
    return a;
}

/* IRQ descriptor with the information byte. */
Aml *aml_irq(unsigned irq, bool edge, bool active_low, bool shared)
{
    Aml *a = aml_raw_op(0x23);
    acpi_buf_append_le(&a->body, irq < 16 ? 1u << irq : 0, 2);
    acpi_buf_append_byte(&a->body, (edge ? 1 : 0) | (active_low ? 8 : 0) | (shared ? 0x10 : 0));
    return a;
}

/* Extended interrupt descriptor (6.4.3.6). */
Aml *aml_interrupt(bool consumer, bool edge, bool active_low, bool shared,
                   const uint32_t *irqs, unsigned nr_irqs)
{
    Aml *a = aml_raw_op(0x89);
    acpi_buf_append_le(&a->body, 2 + 4 * nr_irqs, 2);
    acpi_buf_append_byte(&a->body, (consumer ? 1 : 0) | (edge ? 2 : 0) | (active_low ? 4 : 0) |
                                       (shared ? 8 : 0));
    acpi_buf_append_byte(&a->body, nr_irqs);
    for (unsigned i = 0; i < nr_irqs; i++) {
        acpi_buf_append_le(&a->body, irqs[i], 4);
    }
    return a;
}

/* 32-bit fixed memory range descriptor (6.4.3.4). */
Aml *aml_memory32_fixed(uint32_t base, uint32_t len, bool read_write)
{
    Aml *a = aml_raw_op(0x86);
    acpi_buf_append_le(&a->body, 9, 2);
    acpi_buf_append_byte(&a->body, read_write ? 1 : 0);
    acpi_buf_append_le(&a->body, base, 4);
    acpi_buf_append_le(&a->body, len, 4);
    return a;
}

/*
 * Address space descriptors (6.4.3.5): a producer range with fixed minimum
 * and maximum (general flags 0x0c), granularity 0 and no translation.
 */
enum { ADDR_MEMORY = 0, ADDR_IO = 1, ADDR_BUS = 2 };

static Aml *aml_address_space(uint8_t tag, unsigned width, uint8_t type, uint8_t type_flags,
                              uint64_t min, uint64_t max)
{
    Aml *a = aml_raw_op(tag);
    acpi_buf_append_le(&a->body, 3 + 5 * width, 2);
    acpi_buf_append_byte(&a->body, type);
    acpi_buf_append_byte(&a->body, 0x0c);
    acpi_buf_append_byte(&a->body, type_flags);
    acpi_buf_append_le(&a->body, 0, width);             /* granularity */
    acpi_buf_append_le(&a->body, min, width);
    acpi_buf_append_le(&a->body, max, width);
    acpi_buf_append_le(&a->body, 0, width);             /* translation offset */
    acpi_buf_append_le(&a->body, max - min + 1, width); /* length */
    return a;
}

Aml *aml_word_bus_number(uint16_t min, uint16_t max)
{
    return aml_address_space(0x88, 2, ADDR_BUS, 0, min, max);
}

Aml *aml_dword_io(uint32_t min, uint32_t max)
{
    /* Type flags: ISA and non-ISA ranges (RNG = 3). */
    return aml_address_space(0x87, 4, ADDR_IO, 0x03, min, max);
}

/* Memory type flags: bit 0 read-write, bits 2-1 cacheability (1 = cacheable). */
Aml *aml_dword_memory(uint32_t min, uint32_t max, bool cacheable)
{
    return aml_address_space(0x87, 4, ADDR_MEMORY, 0x01 | (cacheable ? 0x02 : 0), min, max);
}

Aml *aml_qword_memory(uint64_t min, uint64_t max, bool cacheable)
{
    return aml_address_space(0x8a, 8, ADDR_MEMORY, 0x01 | (cacheable ? 0x02 : 0), min, max);
}
