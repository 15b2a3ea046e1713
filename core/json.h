/*
 * A small JSON value type (RFC 8259), a strict parser, a serializer, and a
 * stream splitter for protocols that send one JSON value after another
 * (QMP).
 *
 * Everything that reaches the parser comes from a socket peer, so it is
 * treated as hostile: nesting depth is bounded (the parser recurses), the
 * stream splitter bounds how much it buffers, input must be valid UTF-8,
 * and no byte sequence makes it crash.  Errors carry the byte offset and
 * a line/column in the message.
 *
 * Numbers: an integer that fits int64_t is JSON_INT; a positive integer
 * above INT64_MAX that fits uint64_t is JSON_INT with json_is_uint() true;
 * anything else (fractions, exponents, bigger integers) is JSON_DOUBLE.
 * Strings are NUL-terminated UTF-8, so "\u0000" is rejected.
 * Objects keep member order and reject duplicate keys.
 */
#ifndef CORE_JSON_H
#define CORE_JSON_H

#include "core/common.h"

typedef enum JsonType {
    JSON_NULL,
    JSON_BOOL,
    JSON_INT,
    JSON_DOUBLE,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} JsonType;

typedef struct JsonValue JsonValue;

/* Default nesting limit of json_parse(); each '[' or '{' is one level. */
#define JSON_DEFAULT_MAX_DEPTH 128

/* ---- building ---- */
JsonValue *json_null(void);
JsonValue *json_bool(bool b);
JsonValue *json_int(int64_t i);
JsonValue *json_uint(uint64_t u);
JsonValue *json_double(double d);
JsonValue *json_string(const char *s);
JsonValue *json_string_len(const char *s, size_t len);
JsonValue *json_stringf(const char *fmt, ...) PRINTF_FMT(1, 2);
JsonValue *json_array(void);
JsonValue *json_object(void);
/* Both take ownership of v; the container's return lets calls chain. */
JsonValue *json_array_append(JsonValue *arr, JsonValue *v);
/* Replaces an existing member of the same key. */
JsonValue *json_object_set(JsonValue *obj, const char *key, JsonValue *v);
/* Removes key and returns its value (caller owns), or NULL. */
JsonValue *json_object_take(JsonValue *obj, const char *key);
JsonValue *json_clone(const JsonValue *v);
void json_free(JsonValue *v);

/* ---- inspecting ---- */
JsonType json_type(const JsonValue *v);
const char *json_type_name(JsonType t);
bool json_equal(const JsonValue *a, const JsonValue *b);

bool json_as_bool(const JsonValue *v, bool *out);
/* False unless v is an integer that fits the target type. */
bool json_as_int(const JsonValue *v, int64_t *out);
bool json_as_uint(const JsonValue *v, uint64_t *out);
bool json_is_uint(const JsonValue *v); /* a JSON_INT above INT64_MAX */
/* Any number, converted to double. */
bool json_as_double(const JsonValue *v, double *out);
/* The string, or NULL if v is not a string. */
const char *json_as_string(const JsonValue *v);
size_t json_string_length(const JsonValue *v);

size_t json_array_len(const JsonValue *arr);
JsonValue *json_array_get(const JsonValue *arr, size_t i);
size_t json_object_len(const JsonValue *obj);
/* NULL if obj is not an object or lacks key. */
JsonValue *json_object_get(const JsonValue *obj, const char *key);
const char *json_object_key_at(const JsonValue *obj, size_t i);
JsonValue *json_object_value_at(const JsonValue *obj, size_t i);

/* ---- parsing ---- */
/*
 * Parse exactly one JSON value from text[0..len), allowing surrounding
 * whitespace.  On failure returns NULL, sets errp to
 * "JSON parse error at line L, column C: WHY" and, if err_offset is not NULL,
 * the byte offset where the problem was found (len means the input ended
 * too early).
 */
JsonValue *json_parse_ex(const char *text, size_t len, unsigned max_depth, size_t *err_offset,
                         Error **errp);
JsonValue *json_parse(const char *text, size_t len, Error **errp);
JsonValue *json_parse_str(const char *text, Error **errp);

/* ---- serializing ---- */
/*
 * Compact form uses QEMU's separators ("{"a": 1, "b": [2]}"); pretty form
 * puts one member per line with four-space indents.  Non-ASCII text is
 * written as UTF-8; invalid UTF-8 in a string (never produced by the parser)
 * comes out as U+FFFD.  Non-finite doubles come out as null.
 */
char *json_to_string(const JsonValue *v, bool pretty);

/* A growable string, also used by the monitors to build output. */
typedef struct StrBuf {
    char *s;
    size_t len, cap;
} StrBuf;
void strbuf_append(StrBuf *sb, const char *s, size_t len);
void strbuf_puts(StrBuf *sb, const char *s);
void strbuf_printf(StrBuf *sb, const char *fmt, ...) PRINTF_FMT(2, 3);
/* Hand over the string (never NULL); the StrBuf is left empty. */
char *strbuf_steal(StrBuf *sb);
void strbuf_free(StrBuf *sb);

/* ---- streaming ---- */
/*
 * Splits a byte stream into top-level JSON values.  For each value the
 * callback gets either the parsed value (and owns it) or an error (and owns
 * it).  After a syntax error the splitter resynchronizes at a line boundary:
 * if the broken value spans several lines and the error is on a later one,
 * parsing restarts at the start of the error's line (so a forgotten '}'
 * does not swallow the next command); otherwise the rest of the error's
 * line is dropped.  Values bigger than max_size or nested deeper than
 * max_depth are rejected the same way.
 *
 * The callback may call json_streamer_reset() (e.g. on disconnect); the
 * rest of the input passed to that json_streamer_feed() is then dropped.
 */
typedef void (*JsonStreamFn)(void *opaque, JsonValue *value, Error *err);

typedef struct JsonStreamer {
    JsonStreamFn fn;
    void *opaque;
    unsigned max_depth;
    size_t max_size;

    char *buf;          /* bytes not yet consumed, starting at a value */
    size_t len, cap;
    size_t scan;        /* how far buf has been scanned */
    unsigned depth;     /* open brackets of the current value */
    bool in_value;      /* scan has entered a value (buf[0] starts it) */
    bool in_string;
    bool escape;
    bool scalar;        /* the current value is a top-level bare token */
    bool skip_line;     /* dropping input until the next newline */
    bool line_has_text; /* non-space seen since the last newline in the value */
    unsigned checks;    /* incremental validity checks done for this value */
    unsigned generation; /* bumped by reset, so feed notices a reset in fn */
} JsonStreamer;

void json_streamer_init(JsonStreamer *s, JsonStreamFn fn, void *opaque, unsigned max_depth,
                        size_t max_size);
void json_streamer_feed(JsonStreamer *s, const uint8_t *data, size_t len);
/* Drop any partial value (connection closed). */
void json_streamer_reset(JsonStreamer *s);
void json_streamer_destroy(JsonStreamer *s);

#endif
