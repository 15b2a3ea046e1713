/*
 * An AML (ACPI Machine Language) encoder: a small tree builder that emits the
 * byte code of ACPI spec 6.x chapter 20 ("ACPI Machine Language
 * Specification") and the resource descriptors of chapter 6.4.
 *
 * Every aml_*() constructor returns a new node.  aml_append(parent, child)
 * serializes child into parent and frees child, so a finished subtree is
 * plain bytes and nothing but the root needs freeing.  Block constructs
 * (Scope, Device, Method, If, Else, While, Package, Buffer, Field,
 * ResourceTemplate) get their PkgLength, element count or buffer size when
 * they are appended, after all their children are in.
 *
 * Also here: AcpiBuf, the growable byte array every table builder uses.
 */
#ifndef HW_ACPI_AML_H
#define HW_ACPI_AML_H

#include "core/common.h"

/* A growable byte array. */
typedef struct AcpiBuf {
    uint8_t *data;
    size_t len;
    size_t cap;
} AcpiBuf;

void acpi_buf_free(AcpiBuf *b);
/* Append len bytes (copied from data, or zeros when data is NULL); returns their offset. */
size_t acpi_buf_append(AcpiBuf *b, const void *data, size_t len);
size_t acpi_buf_append_byte(AcpiBuf *b, uint8_t v);
/* Append zero bytes until len is a multiple of align (a power of two). */
void acpi_buf_align(AcpiBuf *b, size_t align);
/* Little-endian append of 1, 2, 4 or 8 bytes; returns the offset. */
size_t acpi_buf_append_le(AcpiBuf *b, uint64_t v, unsigned size);
/* Fill the ASCII field [off, off+n) with s, space padded. */
void acpi_buf_put_str(AcpiBuf *b, size_t off, const char *s, size_t n);
/* 8-bit sum of a byte range. */
uint8_t acpi_checksum(const uint8_t *data, size_t len);

typedef struct Aml Aml;

/* Serialize child into parent (consuming child). */
void aml_append(Aml *parent, Aml *child);
/* Serialize a finished tree into out (consuming it). */
void aml_to_buf(Aml *tree, AcpiBuf *out);
void aml_free(Aml *node);

/* A plain list of terms, e.g. the body of a definition block. */
Aml *aml_term_list(void);

/* Data objects. */
Aml *aml_int(uint64_t v);   /* Zero/One/Ones or the smallest of Byte/Word/DWord/QWord */
Aml *aml_zero(void);
Aml *aml_one(void);
Aml *aml_ones(void);
Aml *aml_string(const char *s);
Aml *aml_eisaid(const char *id); /* "PNP0A03" as its 32-bit compressed EISA ID */
Aml *aml_name(const char *path); /* a NameString reference, e.g. "\\_SB.PCI0.ISA" */
Aml *aml_local(unsigned n);      /* Local0..Local7 */
Aml *aml_arg(unsigned n);        /* Arg0..Arg6 */
Aml *aml_buffer(const uint8_t *data, size_t len);
Aml *aml_package(void);          /* append elements into it */

/* Named objects and blocks. */
Aml *aml_scope(const char *path);
Aml *aml_device(const char *name);
Aml *aml_method(const char *name, unsigned nargs, bool serialized);
Aml *aml_name_decl(const char *name, Aml *value);
Aml *aml_if(Aml *predicate);
Aml *aml_else(void);
Aml *aml_while(Aml *predicate);

/* Statements and expressions.  A NULL target means "no target". */
Aml *aml_return(Aml *value);
Aml *aml_store(Aml *value, Aml *target);
Aml *aml_and(Aml *a, Aml *b, Aml *target);
Aml *aml_or(Aml *a, Aml *b, Aml *target);
Aml *aml_shiftleft(Aml *a, Aml *count, Aml *target);
Aml *aml_shiftright(Aml *a, Aml *count, Aml *target);
Aml *aml_add(Aml *a, Aml *b, Aml *target);
Aml *aml_subtract(Aml *a, Aml *b, Aml *target);
Aml *aml_equal(Aml *a, Aml *b);
Aml *aml_less(Aml *a, Aml *b);
Aml *aml_lnot(Aml *a);
Aml *aml_increment(Aml *target);
Aml *aml_notify(Aml *object, Aml *value);

/* Operation regions and fields. */
typedef enum AmlRegionSpace {
    AML_SYSTEM_MEMORY = 0,
    AML_SYSTEM_IO = 1,
    AML_PCI_CONFIG = 2,
} AmlRegionSpace;

typedef enum AmlAccessType {
    AML_ANY_ACC = 0,
    AML_BYTE_ACC = 1,
    AML_WORD_ACC = 2,
    AML_DWORD_ACC = 3,
    AML_QWORD_ACC = 4,
    AML_BUFFER_ACC = 5,
} AmlAccessType;

typedef enum AmlUpdateRule {
    AML_PRESERVE = 0,
    AML_WRITE_AS_ONES = 1,
    AML_WRITE_AS_ZEROS = 2,
} AmlUpdateRule;

Aml *aml_operation_region(const char *name, AmlRegionSpace space, Aml *offset, Aml *length);
Aml *aml_field(const char *region, AmlAccessType access, bool lock, AmlUpdateRule update);
/* Add a named field of 'bits' bits at the current position of a Field. */
void aml_field_add(Aml *field, const char *name, unsigned bits);
/* Move a Field's position forward to byte_offset (ASL Offset()). */
void aml_field_offset(Aml *field, unsigned byte_offset);
Aml *aml_create_dword_field(Aml *buffer, Aml *byte_index, const char *name);

/* Resource templates (ACPI 6.4 section 6.4): a Buffer ended by an EndTag. */
Aml *aml_resource_template(void);
Aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len); /* 16-bit decode */
Aml *aml_fixed_io(uint16_t base, uint8_t len);
Aml *aml_irq_no_flags(unsigned irq);
Aml *aml_irq(unsigned irq, bool edge, bool active_low, bool shared);
Aml *aml_interrupt(bool consumer, bool edge, bool active_low, bool shared,
                   const uint32_t *irqs, unsigned nr_irqs);
Aml *aml_memory32_fixed(uint32_t base, uint32_t len, bool read_write);
Aml *aml_word_bus_number(uint16_t min, uint16_t max);
Aml *aml_dword_io(uint32_t min, uint32_t max);
Aml *aml_dword_memory(uint32_t min, uint32_t max, bool cacheable);
Aml *aml_qword_memory(uint64_t min, uint64_t max, bool cacheable);

#endif
