/*
 * JSON values, a strict RFC 8259 parser, a serializer, and a stream
 * splitter.  See json.h for the rules on numbers, strings and limits.
 */
#include "core/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

struct JsonValue {
    JsonType type;
    bool is_uint; /* JSON_INT holding a value above INT64_MAX in u */
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double d;
        struct {
            char *s;
            size_t len;
        } str;
        struct {
            JsonValue **items;
            size_t n, cap;
        } arr;
        struct {
            char **keys;
            JsonValue **vals;
            size_t n, cap;
            /*
             * Open-addressed hash of member indexes (+1; 0 is empty), built
             * once an object grows past a few members, so that a hostile
             * object with 100k keys costs linear time to parse, not quadratic.
             */
            uint32_t *index;
            size_t index_cap;
        } obj;
    };
};

#define JSON_OBJECT_INDEX_MIN 16

/* ---------------------------------------------------------------------- */
/* StrBuf */

void strbuf_append(StrBuf *sb, const char *s, size_t len)
{
    if (sb->len + len + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + len + 1) {
            cap *= 2;
        }
        sb->s = xrealloc(sb->s, cap);
        sb->cap = cap;
    }
    memcpy(sb->s + sb->len, s, len);
    sb->len += len;
    sb->s[sb->len] = 0;
}

void strbuf_puts(StrBuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

void strbuf_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        /* Only allocation failure gets here; treat it like xmalloc does. */
        fprintf(stderr, "osprey: out of memory formatting a string\n");
        abort();
    }
    strbuf_append(sb, s, n);
    free(s);
}

char *strbuf_steal(StrBuf *sb)
{
    char *s = sb->s ? sb->s : xstrdup("");
    sb->s = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void strbuf_free(StrBuf *sb)
{
    free(sb->s);
    sb->s = NULL;
    sb->len = sb->cap = 0;
}

/* ---------------------------------------------------------------------- */
/* Building and freeing */

static JsonValue *json_new(JsonType type)
{
    JsonValue *v = XNEW(JsonValue);
    v->type = type;
    return v;
}

JsonValue *json_null(void)
{
    return json_new(JSON_NULL);
}

JsonValue *json_bool(bool b)
{
    JsonValue *v = json_new(JSON_BOOL);
    v->b = b;
    return v;
}

JsonValue *json_int(int64_t i)
{
    JsonValue *v = json_new(JSON_INT);
    v->i = i;
    return v;
}

JsonValue *json_uint(uint64_t u)
{
    if (u <= INT64_MAX) {
        return json_int((int64_t)u);
    }
    JsonValue *v = json_new(JSON_INT);
    v->is_uint = true;
    v->u = u;
    return v;
}

JsonValue *json_double(double d)
{
    JsonValue *v = json_new(JSON_DOUBLE);
    v->d = d;
    return v;
}

JsonValue *json_string_len(const char *s, size_t len)
{
    JsonValue *v = json_new(JSON_STRING);
    v->str.s = xmalloc(len + 1);
    memcpy(v->str.s, s, len);
    v->str.s[len] = 0;
    v->str.len = len;
    return v;
}

JsonValue *json_string(const char *s)
{
    return json_string_len(s, strlen(s));
}

JsonValue *json_stringf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fprintf(stderr, "osprey: out of memory formatting a string\n");
        abort();
    }
    JsonValue *v = json_new(JSON_STRING);
    v->str.s = s;
    v->str.len = n;
    return v;
}

JsonValue *json_array(void)
{
    return json_new(JSON_ARRAY);
}

JsonValue *json_object(void)
{
    return json_new(JSON_OBJECT);
}

JsonValue *json_array_append(JsonValue *arr, JsonValue *v)
{
    if (arr->arr.n == arr->arr.cap) {
        arr->arr.cap = arr->arr.cap ? arr->arr.cap * 2 : 4;
        arr->arr.items = xrealloc(arr->arr.items, arr->arr.cap * sizeof(JsonValue *));
    }
    arr->arr.items[arr->arr.n++] = v;
    return arr;
}

static uint32_t json_hash(const char *s)
{
    /* FNV-1a: simple and good enough for member names. */
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 16777619u;
    }
    return h;
}

static void json_index_insert(JsonValue *obj, size_t member)
{
    size_t mask = obj->obj.index_cap - 1;
    size_t slot = json_hash(obj->obj.keys[member]) & mask;
    while (obj->obj.index[slot]) {
        slot = (slot + 1) & mask;
    }
    obj->obj.index[slot] = member + 1;
}

static void json_index_rebuild(JsonValue *obj)
{
    free(obj->obj.index);
    obj->obj.index = NULL;
    obj->obj.index_cap = 0;
    if (obj->obj.n < JSON_OBJECT_INDEX_MIN) {
        return;
    }
    size_t cap = 64;
    while (cap < obj->obj.n * 2) {
        cap *= 2;
    }
    obj->obj.index = xcalloc(cap, sizeof(uint32_t));
    obj->obj.index_cap = cap;
    for (size_t i = 0; i < obj->obj.n; i++) {
        json_index_insert(obj, i);
    }
}

/* Index of key in obj, or -1. */
static ptrdiff_t json_object_find(const JsonValue *obj, const char *key)
{
    if (obj->obj.index) {
        size_t mask = obj->obj.index_cap - 1;
        size_t slot = json_hash(key) & mask;
        while (obj->obj.index[slot]) {
            size_t m = obj->obj.index[slot] - 1;
            if (!strcmp(obj->obj.keys[m], key)) {
                return m;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }
    for (size_t i = 0; i < obj->obj.n; i++) {
        if (!strcmp(obj->obj.keys[i], key)) {
            return i;
        }
    }
    return -1;
}

/* Appends without checking for duplicates; takes ownership of key and v. */
static void json_object_push(JsonValue *obj, char *key, JsonValue *v)
{
    if (obj->obj.n == obj->obj.cap) {
        obj->obj.cap = obj->obj.cap ? obj->obj.cap * 2 : 4;
        obj->obj.keys = xrealloc(obj->obj.keys, obj->obj.cap * sizeof(char *));
        obj->obj.vals = xrealloc(obj->obj.vals, obj->obj.cap * sizeof(JsonValue *));
    }
    obj->obj.keys[obj->obj.n] = key;
    obj->obj.vals[obj->obj.n] = v;
    obj->obj.n++;
    if (obj->obj.n >= JSON_OBJECT_INDEX_MIN) {
        if (obj->obj.n * 2 > obj->obj.index_cap) {
            json_index_rebuild(obj);
        } else {
            json_index_insert(obj, obj->obj.n - 1);
        }
    }
}

JsonValue *json_object_set(JsonValue *obj, const char *key, JsonValue *v)
{
    ptrdiff_t i = json_object_find(obj, key);
    if (i >= 0) {
        json_free(obj->obj.vals[i]);
        obj->obj.vals[i] = v;
    } else {
        json_object_push(obj, xstrdup(key), v);
    }
    return obj;
}

JsonValue *json_object_take(JsonValue *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) {
        return NULL;
    }
    ptrdiff_t i = json_object_find(obj, key);
    if (i < 0) {
        return NULL;
    }
    JsonValue *v = obj->obj.vals[i];
    free(obj->obj.keys[i]);
    size_t rest = obj->obj.n - i - 1;
    memmove(&obj->obj.keys[i], &obj->obj.keys[i + 1], rest * sizeof(char *));
    memmove(&obj->obj.vals[i], &obj->obj.vals[i + 1], rest * sizeof(JsonValue *));
    obj->obj.n--;
    json_index_rebuild(obj);
    return v;
}

JsonValue *json_clone(const JsonValue *v)
{
    if (!v) {
        return NULL;
    }
    switch (v->type) {
    case JSON_NULL:
        return json_null();
    case JSON_BOOL:
        return json_bool(v->b);
    case JSON_INT:
        return v->is_uint ? json_uint(v->u) : json_int(v->i);
    case JSON_DOUBLE:
        return json_double(v->d);
    case JSON_STRING:
        return json_string_len(v->str.s, v->str.len);
    case JSON_ARRAY: {
        JsonValue *c = json_array();
        for (size_t i = 0; i < v->arr.n; i++) {
            json_array_append(c, json_clone(v->arr.items[i]));
        }
        return c;
    }
    case JSON_OBJECT: {
        JsonValue *c = json_object();
        for (size_t i = 0; i < v->obj.n; i++) {
            json_object_push(c, xstrdup(v->obj.keys[i]), json_clone(v->obj.vals[i]));
        }
        return c;
    }
    }
    return NULL;
}

void json_free(JsonValue *v)
{
    if (!v) {
        return;
    }
    switch (v->type) {
    case JSON_STRING:
        free(v->str.s);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->arr.n; i++) {
            json_free(v->arr.items[i]);
        }
        free(v->arr.items);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->obj.n; i++) {
            free(v->obj.keys[i]);
            json_free(v->obj.vals[i]);
        }
        free(v->obj.keys);
        free(v->obj.vals);
        free(v->obj.index);
        break;
    default:
        break;
    }
    free(v);
}

/* ---------------------------------------------------------------------- */
/* Inspecting */

JsonType json_type(const JsonValue *v)
{
    return v ? v->type : JSON_NULL;
}

const char *json_type_name(JsonType t)
{
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "boolean";
    case JSON_INT: return "integer";
    case JSON_DOUBLE: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}

bool json_equal(const JsonValue *a, const JsonValue *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOL:
        return a->b == b->b;
    case JSON_INT:
        return a->is_uint == b->is_uint && a->u == b->u;
    case JSON_DOUBLE:
        return a->d == b->d;
    case JSON_STRING:
        return a->str.len == b->str.len && !memcmp(a->str.s, b->str.s, a->str.len);
    case JSON_ARRAY:
        if (a->arr.n != b->arr.n) {
            return false;
        }
        for (size_t i = 0; i < a->arr.n; i++) {
            if (!json_equal(a->arr.items[i], b->arr.items[i])) {
                return false;
            }
        }
        return true;
    case JSON_OBJECT:
        /* Member order does not matter for equality. */
        if (a->obj.n != b->obj.n) {
            return false;
        }
        for (size_t i = 0; i < a->obj.n; i++) {
            if (!json_equal(a->obj.vals[i], json_object_get(b, a->obj.keys[i]))) {
                return false;
            }
        }
        return true;
    }
    return false;
}

bool json_as_bool(const JsonValue *v, bool *out)
{
    if (!v || v->type != JSON_BOOL) {
        return false;
    }
    *out = v->b;
    return true;
}

bool json_as_int(const JsonValue *v, int64_t *out)
{
    if (!v || v->type != JSON_INT || v->is_uint) {
        return false;
    }
    *out = v->i;
    return true;
}

bool json_as_uint(const JsonValue *v, uint64_t *out)
{
    if (!v || v->type != JSON_INT || (!v->is_uint && v->i < 0)) {
        return false;
    }
    *out = v->u;
    return true;
}

bool json_is_uint(const JsonValue *v)
{
    return v && v->type == JSON_INT && v->is_uint;
}

bool json_as_double(const JsonValue *v, double *out)
{
    if (!v) {
        return false;
    }
    if (v->type == JSON_DOUBLE) {
        *out = v->d;
    } else if (v->type == JSON_INT) {
        *out = v->is_uint ? (double)v->u : (double)v->i;
    } else {
        return false;
    }
    return true;
}

const char *json_as_string(const JsonValue *v)
{
    return v && v->type == JSON_STRING ? v->str.s : NULL;
}

size_t json_string_length(const JsonValue *v)
{
    return v && v->type == JSON_STRING ? v->str.len : 0;
}

size_t json_array_len(const JsonValue *arr)
{
    return arr && arr->type == JSON_ARRAY ? arr->arr.n : 0;
}

JsonValue *json_array_get(const JsonValue *arr, size_t i)
{
    return arr && arr->type == JSON_ARRAY && i < arr->arr.n ? arr->arr.items[i] : NULL;
}

size_t json_object_len(const JsonValue *obj)
{
    return obj && obj->type == JSON_OBJECT ? obj->obj.n : 0;
}

JsonValue *json_object_get(const JsonValue *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) {
        return NULL;
    }
    ptrdiff_t i = json_object_find(obj, key);
    return i >= 0 ? obj->obj.vals[i] : NULL;
}

const char *json_object_key_at(const JsonValue *obj, size_t i)
{
    return obj && obj->type == JSON_OBJECT && i < obj->obj.n ? obj->obj.keys[i] : NULL;
}

JsonValue *json_object_value_at(const JsonValue *obj, size_t i)
{
    return obj && obj->type == JSON_OBJECT && i < obj->obj.n ? obj->obj.vals[i] : NULL;
}

/* ---------------------------------------------------------------------- */
/* Parsing */

typedef struct JsonParser {
    const uint8_t *p;
    size_t len;
    size_t pos;
    unsigned max_depth;
    bool failed;
    size_t err_pos;
    char err_msg[128];
} JsonParser;

static void PRINTF_FMT(3, 4) jp_error(JsonParser *jp, size_t pos, const char *fmt, ...)
{
    if (jp->failed) {
        return;
    }
    jp->failed = true;
    jp->err_pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(jp->err_msg, sizeof(jp->err_msg), fmt, ap);
    va_end(ap);
}

static void jp_error_eof(JsonParser *jp)
{
    jp_error(jp, jp->len, "unexpected end of input");
}

/* Describe the byte at pos for an error message, safely for any byte. */
static const char *jp_describe(JsonParser *jp, size_t pos, char *buf, size_t size)
{
    uint8_t c = jp->p[pos];
    if (c >= 0x21 && c < 0x7f) {
        snprintf(buf, size, "'%c'", c);
    } else {
        snprintf(buf, size, "byte 0x%02x", c);
    }
    return buf;
}

static void jp_error_unexpected(JsonParser *jp, const char *expected)
{
    char what[16];
    if (jp->pos >= jp->len) {
        jp_error_eof(jp);
    } else {
        jp_error(jp, jp->pos, "unexpected %s, expected %s",
                 jp_describe(jp, jp->pos, what, sizeof(what)), expected);
    }
}

static void jp_skip_ws(JsonParser *jp)
{
    while (jp->pos < jp->len) {
        uint8_t c = jp->p[jp->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        jp->pos++;
    }
}

static int jp_hex(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Read the 4 hex digits of a \u escape at jp->pos; -1 on error (reported). */
static int32_t jp_read_hex4(JsonParser *jp)
{
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (jp->pos >= jp->len) {
            jp_error_eof(jp);
            return -1;
        }
        int h = jp_hex(jp->p[jp->pos]);
        if (h < 0) {
            jp_error(jp, jp->pos, "invalid \\u escape: expected four hex digits");
            return -1;
        }
        v = v << 4 | h;
        jp->pos++;
    }
    return v;
}

static void utf8_encode(StrBuf *sb, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = 0xc0 | cp >> 6;
        b[1] = 0x80 | (cp & 0x3f);
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = 0xe0 | cp >> 12;
        b[1] = 0x80 | (cp >> 6 & 0x3f);
        b[2] = 0x80 | (cp & 0x3f);
        n = 3;
    } else {
        b[0] = 0xf0 | cp >> 18;
        b[1] = 0x80 | (cp >> 12 & 0x3f);
        b[2] = 0x80 | (cp >> 6 & 0x3f);
        b[3] = 0x80 | (cp & 0x3f);
        n = 4;
    }
    strbuf_append(sb, b, n);
}

/*
 * Length of the well-formed UTF-8 sequence at p[0..avail): 1-4, 0 if it is
 * malformed (bad lead or continuation byte, overlong, surrogate, above
 * U+10FFFF), or -1 if it is a valid prefix cut off by the end of input.
 * Follows the well-formed byte sequence table of the Unicode standard.
 */
static int utf8_sequence_len(const uint8_t *p, size_t avail)
{
    uint8_t c = p[0];
    int n;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((size_t)i >= avail) {
            return -1;
        }
        uint8_t min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xbf;
        if (p[i] < min || p[i] > max) {
            return 0;
        }
    }
    return n;
}

/* Parse a string at jp->pos (which is at the opening quote). */
static bool jp_parse_string(JsonParser *jp, StrBuf *out)
{
    jp->pos++;
    for (;;) {
        if (jp->pos >= jp->len) {
            jp_error_eof(jp);
            return false;
        }
        size_t start = jp->pos;
        uint8_t c = jp->p[jp->pos];
        if (c == '"') {
            jp->pos++;
            if (!out->s) {
                strbuf_append(out, "", 0);
            }
            return true;
        }
        if (c < 0x20) {
            jp_error(jp, start, "control character 0x%02x in string (must be escaped)", c);
            return false;
        }
        if (c >= 0x80) {
            int n = utf8_sequence_len(jp->p + jp->pos, jp->len - jp->pos);
            if (n < 0) {
                jp_error_eof(jp);
                return false;
            }
            if (n == 0) {
                jp_error(jp, start, "invalid UTF-8 in string");
                return false;
            }
            strbuf_append(out, (const char *)jp->p + jp->pos, n);
            jp->pos += n;
            continue;
        }
        if (c != '\\') {
            /* Copy a run of plain ASCII in one go. */
            size_t end = jp->pos;
            while (end < jp->len && jp->p[end] >= 0x20 && jp->p[end] < 0x80 &&
                   jp->p[end] != '"' && jp->p[end] != '\\') {
                end++;
            }
            strbuf_append(out, (const char *)jp->p + jp->pos, end - jp->pos);
            jp->pos = end;
            continue;
        }
        jp->pos++;
        if (jp->pos >= jp->len) {
            jp_error_eof(jp);
            return false;
        }
        c = jp->p[jp->pos++];
        char ch;
        switch (c) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            int32_t cp = jp_read_hex4(jp);
            if (cp < 0) {
                return false;
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                jp_error(jp, start, "invalid \\u escape: lone low surrogate");
                return false;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                /* A high surrogate must be followed by an escaped low one. */
                for (int k = 0; k < 2; k++) {
                    if (jp->pos + k >= jp->len) {
                        jp_error_eof(jp);
                        return false;
                    }
                    if (jp->p[jp->pos + k] != "\\u"[k]) {
                        jp_error(jp, start, "invalid \\u escape: lone high surrogate");
                        return false;
                    }
                }
                jp->pos += 2;
                int32_t lo = jp_read_hex4(jp);
                if (lo < 0) {
                    return false;
                }
                if (lo < 0xdc00 || lo > 0xdfff) {
                    jp_error(jp, start, "invalid \\u escape: lone high surrogate");
                    return false;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0) {
                jp_error(jp, start, "\\u0000 is not supported in strings");
                return false;
            }
            utf8_encode(out, cp);
            continue;
        }
        default: {
            char what[16];
            jp_error(jp, jp->pos - 1, "invalid escape %s in string",
                     jp_describe(jp, jp->pos - 1, what, sizeof(what)));
            return false;
        }
        }
        strbuf_append(out, &ch, 1);
    }
}

static bool jp_is_digit(JsonParser *jp, size_t pos)
{
    return pos < jp->len && jp->p[pos] >= '0' && jp->p[pos] <= '9';
}

static JsonValue *jp_parse_number(JsonParser *jp)
{
    size_t start = jp->pos, pos = jp->pos;
    bool is_int = true;
    if (pos < jp->len && jp->p[pos] == '-') {
        pos++;
    }
    if (pos >= jp->len) {
        jp_error_eof(jp);
        return NULL;
    }
    if (jp->p[pos] == '0') {
        pos++;
        if (jp_is_digit(jp, pos)) {
            jp_error(jp, start, "invalid number: leading zero");
            return NULL;
        }
    } else if (jp_is_digit(jp, pos)) {
        while (jp_is_digit(jp, pos)) {
            pos++;
        }
    } else {
        jp_error(jp, start, "invalid number");
        return NULL;
    }
    if (pos < jp->len && jp->p[pos] == '.') {
        is_int = false;
        pos++;
        if (pos >= jp->len) {
            jp_error_eof(jp);
            return NULL;
        }
        if (!jp_is_digit(jp, pos)) {
            jp_error(jp, start, "invalid number: expected a digit after '.'");
            return NULL;
        }
        while (jp_is_digit(jp, pos)) {
            pos++;
        }
    }
    if (pos < jp->len && (jp->p[pos] == 'e' || jp->p[pos] == 'E')) {
        is_int = false;
        pos++;
        if (pos < jp->len && (jp->p[pos] == '+' || jp->p[pos] == '-')) {
            pos++;
        }
        if (pos >= jp->len) {
            jp_error_eof(jp);
            return NULL;
        }
        if (!jp_is_digit(jp, pos)) {
            jp_error(jp, start, "invalid number: expected a digit in the exponent");
            return NULL;
        }
        while (jp_is_digit(jp, pos)) {
            pos++;
        }
    }
    jp->pos = pos;

    /* The grammar is checked; let libc convert a NUL-terminated copy. */
    char *text = xstrndup((const char *)jp->p + start, pos - start);
    JsonValue *v = NULL;
    char *end;
    if (is_int) {
        errno = 0;
        long long ll = strtoll(text, &end, 10);
        if (!errno) {
            v = json_int(ll);
        } else if (text[0] != '-') {
            errno = 0;
            unsigned long long ull = strtoull(text, &end, 10);
            if (!errno) {
                v = json_uint(ull);
            }
        }
    }
    if (!v) {
        errno = 0;
        double d = strtod(text, &end);
        if (isinf(d)) {
            jp_error(jp, start, "number out of range");
        } else {
            /* Underflow to zero or a denormal is fine: it is the nearest double. */
            v = json_double(d);
        }
    }
    free(text);
    return v;
}

static JsonValue *jp_parse_literal(JsonParser *jp)
{
    static const struct {
        const char *word;
        JsonType type;
        bool b;
    } literals[] = {
        {"true", JSON_BOOL, true}, {"false", JSON_BOOL, false}, {"null", JSON_NULL, false},
    };
    size_t avail = jp->len - jp->pos;
    for (size_t i = 0; i < ARRAY_SIZE(literals); i++) {
        size_t n = strlen(literals[i].word);
        size_t cmp = MIN(n, avail);
        if (memcmp(jp->p + jp->pos, literals[i].word, cmp)) {
            continue;
        }
        if (cmp < n) {
            /* A prefix of a literal cut off by the end: more may come. */
            jp_error_eof(jp);
            return NULL;
        }
        jp->pos += n;
        return literals[i].type == JSON_BOOL ? json_bool(literals[i].b) : json_null();
    }
    jp_error_unexpected(jp, "a value");
    return NULL;
}

static JsonValue *jp_parse_value(JsonParser *jp, unsigned depth);

static JsonValue *jp_parse_array(JsonParser *jp, unsigned depth)
{
    JsonValue *arr = json_array();
    jp->pos++;
    jp_skip_ws(jp);
    if (jp->pos < jp->len && jp->p[jp->pos] == ']') {
        jp->pos++;
        return arr;
    }
    for (;;) {
        JsonValue *v = jp_parse_value(jp, depth);
        if (!v) {
            break;
        }
        json_array_append(arr, v);
        jp_skip_ws(jp);
        if (jp->pos < jp->len && jp->p[jp->pos] == ',') {
            jp->pos++;
            continue;
        }
        if (jp->pos < jp->len && jp->p[jp->pos] == ']') {
            jp->pos++;
            return arr;
        }
        jp_error_unexpected(jp, "',' or ']'");
        break;
    }
    json_free(arr);
    return NULL;
}

static JsonValue *jp_parse_object(JsonParser *jp, unsigned depth)
{
    JsonValue *obj = json_object();
    jp->pos++;
    jp_skip_ws(jp);
    if (jp->pos < jp->len && jp->p[jp->pos] == '}') {
        jp->pos++;
        return obj;
    }
    for (;;) {
        jp_skip_ws(jp);
        if (jp->pos >= jp->len || jp->p[jp->pos] != '"') {
            jp_error_unexpected(jp, "a string (member name)");
            break;
        }
        size_t key_pos = jp->pos;
        StrBuf key = {0};
        if (!jp_parse_string(jp, &key)) {
            strbuf_free(&key);
            break;
        }
        if (json_object_find(obj, key.s) >= 0) {
            jp_error(jp, key_pos, "duplicate member name");
            strbuf_free(&key);
            break;
        }
        jp_skip_ws(jp);
        if (jp->pos >= jp->len || jp->p[jp->pos] != ':') {
            jp_error_unexpected(jp, "':'");
            strbuf_free(&key);
            break;
        }
        jp->pos++;
        JsonValue *v = jp_parse_value(jp, depth);
        if (!v) {
            strbuf_free(&key);
            break;
        }
        json_object_push(obj, strbuf_steal(&key), v);
        jp_skip_ws(jp);
        if (jp->pos < jp->len && jp->p[jp->pos] == ',') {
            jp->pos++;
            continue;
        }
        if (jp->pos < jp->len && jp->p[jp->pos] == '}') {
            jp->pos++;
            return obj;
        }
        jp_error_unexpected(jp, "',' or '}'");
        break;
    }
    json_free(obj);
    return NULL;
}

static JsonValue *jp_parse_value(JsonParser *jp, unsigned depth)
{
    jp_skip_ws(jp);
    if (jp->pos >= jp->len) {
        jp_error_eof(jp);
        return NULL;
    }
    uint8_t c = jp->p[jp->pos];
    switch (c) {
    case '{':
    case '[':
        /* The parser recurses per level, so the limit protects the stack. */
        if (depth >= jp->max_depth) {
            jp_error(jp, jp->pos, "nesting deeper than %u levels", jp->max_depth);
            return NULL;
        }
        return c == '{' ? jp_parse_object(jp, depth + 1) : jp_parse_array(jp, depth + 1);
    case '"': {
        StrBuf sb = {0};
        if (!jp_parse_string(jp, &sb)) {
            strbuf_free(&sb);
            return NULL;
        }
        JsonValue *v = json_new(JSON_STRING);
        v->str.len = sb.len;
        v->str.s = strbuf_steal(&sb);
        return v;
    }
    case '-':
    case '0' ... '9':
        return jp_parse_number(jp);
    default:
        return jp_parse_literal(jp);
    }
}

JsonValue *json_parse_ex(const char *text, size_t len, unsigned max_depth, size_t *err_offset,
                         Error **errp)
{
    JsonParser jp = {
        .p = (const uint8_t *)text, .len = len, .max_depth = max_depth,
    };
    JsonValue *v = jp_parse_value(&jp, 0);
    if (v) {
        jp_skip_ws(&jp);
        if (jp.pos < len) {
            jp_error_unexpected(&jp, "end of input after the value");
            json_free(v);
            v = NULL;
        }
    }
    if (v) {
        return v;
    }
    size_t line = 1, col = 1;
    for (size_t i = 0; i < jp.err_pos && i < len; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (err_offset) {
        *err_offset = jp.err_pos;
    }
    error_setg(errp, "JSON parse error at line %zu, column %zu: %s", line, col, jp.err_msg);
    return NULL;
}

JsonValue *json_parse(const char *text, size_t len, Error **errp)
{
    return json_parse_ex(text, len, JSON_DEFAULT_MAX_DEPTH, NULL, errp);
}

JsonValue *json_parse_str(const char *text, Error **errp)
{
    return json_parse(text, strlen(text), errp);
}

/* ---------------------------------------------------------------------- */
/* Serializing */

static void json_write_string(StrBuf *sb, const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    strbuf_append(sb, "\"", 1);
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        const char *esc = NULL;
        char ubuf[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
                esc = ubuf;
            }
            break;
        }
        if (esc) {
            strbuf_puts(sb, esc);
            i++;
        } else if (c < 0x80) {
            size_t end = i + 1;
            while (end < len && p[end] >= 0x20 && p[end] < 0x7f && p[end] != '"' &&
                   p[end] != '\\') {
                end++;
            }
            strbuf_append(sb, s + i, end - i);
            i = end;
        } else {
            int n = utf8_sequence_len(p + i, len - i);
            if (n > 0) {
                strbuf_append(sb, s + i, n);
                i += n;
            } else {
                strbuf_puts(sb, "\\ufffd");
                i++;
            }
        }
    }
    strbuf_append(sb, "\"", 1);
}

static void json_write_double(StrBuf *sb, double d)
{
    if (!isfinite(d)) {
        strbuf_puts(sb, "null");
        return;
    }
    /* The shortest of %.15g..%.17g that reads back as the same double. */
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    strbuf_puts(sb, buf);
    if (!strpbrk(buf, ".eEn")) {
        /* Keep it a double when parsed back. */
        strbuf_puts(sb, ".0");
    }
}

static void json_indent(StrBuf *sb, bool pretty, int level)
{
    if (pretty) {
        strbuf_append(sb, "\n", 1);
        for (int i = 0; i < level; i++) {
            strbuf_append(sb, "    ", 4);
        }
    }
}

static void json_write(StrBuf *sb, const JsonValue *v, bool pretty, int level)
{
    if (!v) {
        strbuf_puts(sb, "null");
        return;
    }
    switch (v->type) {
    case JSON_NULL:
        strbuf_puts(sb, "null");
        break;
    case JSON_BOOL:
        strbuf_puts(sb, v->b ? "true" : "false");
        break;
    case JSON_INT:
        if (v->is_uint) {
            strbuf_printf(sb, "%" PRIu64, v->u);
        } else {
            strbuf_printf(sb, "%" PRId64, v->i);
        }
        break;
    case JSON_DOUBLE:
        json_write_double(sb, v->d);
        break;
    case JSON_STRING:
        json_write_string(sb, v->str.s, v->str.len);
        break;
    case JSON_ARRAY:
        strbuf_append(sb, "[", 1);
        for (size_t i = 0; i < v->arr.n; i++) {
            if (i) {
                strbuf_puts(sb, pretty ? "," : ", ");
            }
            json_indent(sb, pretty, level + 1);
            json_write(sb, v->arr.items[i], pretty, level + 1);
        }
        if (v->arr.n) {
            json_indent(sb, pretty, level);
        }
        strbuf_append(sb, "]", 1);
        break;
    case JSON_OBJECT:
        strbuf_append(sb, "{", 1);
        for (size_t i = 0; i < v->obj.n; i++) {
            if (i) {
                strbuf_puts(sb, pretty ? "," : ", ");
            }
            json_indent(sb, pretty, level + 1);
            json_write_string(sb, v->obj.keys[i], strlen(v->obj.keys[i]));
            strbuf_puts(sb, ": ");
            json_write(sb, v->obj.vals[i], pretty, level + 1);
        }
        if (v->obj.n) {
            json_indent(sb, pretty, level);
        }
        strbuf_append(sb, "}", 1);
        break;
    }
}

char *json_to_string(const JsonValue *v, bool pretty)
{
    StrBuf sb = {0};
    json_write(&sb, v, pretty, 0);
    return strbuf_steal(&sb);
}

/* ---------------------------------------------------------------------- */
/* Streaming */

/* Incremental validity checks per value, bounding the cost of a hostile one. */
#define JSON_STREAM_MAX_CHECKS 32

void json_streamer_init(JsonStreamer *s, JsonStreamFn fn, void *opaque, unsigned max_depth,
                        size_t max_size)
{
    memset(s, 0, sizeof(*s));
    s->fn = fn;
    s->opaque = opaque;
    s->max_depth = max_depth;
    s->max_size = max_size;
}

static void js_reset_value(JsonStreamer *s)
{
    s->depth = 0;
    s->in_value = false;
    s->in_string = false;
    s->escape = false;
    s->scalar = false;
    s->line_has_text = false;
    s->checks = 0;
}

void json_streamer_reset(JsonStreamer *s)
{
    js_reset_value(s);
    s->len = 0;
    s->scan = 0;
    s->skip_line = false;
    s->generation++;
}

void json_streamer_destroy(JsonStreamer *s)
{
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

/* Drop buf[0..n). */
static void js_consume(JsonStreamer *s, size_t n)
{
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
    s->scan -= MIN(n, s->scan);
}

/*
 * A syntax error at err (an index into buf) in the value at buf[0..).
 * Resynchronize at a line boundary as json.h describes, then report it.
 * restart allows restarting at the error's line; limit errors don't, since
 * the rest of an oversized value is not worth a second look.
 * Returns false if the callback reset the streamer.
 */
static bool js_error(JsonStreamer *s, size_t err, Error *e, bool restart)
{
    size_t nl = restart ? err : 0;
    while (nl > 0 && s->buf[nl - 1] != '\n') {
        nl--;
    }
    js_reset_value(s);
    if (nl > 0) {
        /* The error is on a later line of the value: restart at that line. */
        js_consume(s, nl);
        s->scan = 0;
    } else {
        const char *p = memchr(s->buf + err, '\n', s->len - MIN(err, s->len));
        if (p) {
            js_consume(s, p - s->buf + 1);
        } else {
            s->len = 0;
            s->skip_line = true;
        }
        s->scan = 0;
    }
    unsigned gen = s->generation;
    s->fn(s->opaque, NULL, e);
    return gen == s->generation;
}

/* buf[0..end) is a complete value (by bracket counting): parse and hand it on. */
static bool js_emit(JsonStreamer *s, size_t end)
{
    size_t off = 0;
    Error *err = NULL;
    JsonValue *v = json_parse_ex(s->buf, end, s->max_depth, &off, &err);
    if (!v) {
        return js_error(s, MIN(off, end), err, true);
    }
    js_consume(s, end);
    s->scan = 0;
    js_reset_value(s);
    unsigned gen = s->generation;
    s->fn(s->opaque, v, NULL);
    return gen == s->generation;
}

/*
 * At a newline inside an unfinished value, see whether what we have can
 * still become valid JSON; if not, report it now rather than letting it
 * swallow the lines that follow.  Returns false if the callback reset us.
 */
static bool js_check_partial(JsonStreamer *s, size_t end, bool *failed)
{
    size_t off = 0;
    Error *err = NULL;
    *failed = false;
    JsonValue *v = json_parse_ex(s->buf, end, s->max_depth, &off, &err);
    if (v) {
        /* Cannot happen for an unbalanced value; be safe anyway. */
        json_free(v);
        return true;
    }
    if (off >= end) {
        error_free(err); /* merely incomplete */
        return true;
    }
    *failed = true;
    return js_error(s, off, err, true);
}

static bool js_is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool js_is_structural(uint8_t c)
{
    return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '"';
}

static bool js_fail(JsonStreamer *s, size_t at, const char *fmt, ...) PRINTF_FMT(3, 4);

/* A limit or framing error found by the splitter itself. */
static bool js_fail(JsonStreamer *s, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg;
    if (vasprintf(&msg, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    Error *e = NULL;
    error_setg(&e, "%s", msg);
    free(msg);
    return js_error(s, at, e, false);
}

/* Scan buf from s->scan; returns false if the callback reset the streamer. */
static bool js_scan(JsonStreamer *s)
{
    while (s->scan < s->len) {
        if (s->skip_line) {
            const char *p = memchr(s->buf + s->scan, '\n', s->len - s->scan);
            if (!p) {
                s->len = s->scan = 0;
                return true;
            }
            js_consume(s, p - s->buf + 1);
            s->scan = 0;
            s->skip_line = false;
            continue;
        }
        size_t i = s->scan;
        uint8_t c = s->buf[i];
        if (!s->in_value) {
            /* buf[0..i) is whitespace between values: drop it as we go. */
            if (js_is_ws(c)) {
                s->scan++;
                continue;
            }
            js_consume(s, i);
            i = 0;
            s->scan = 0;
            s->in_value = true;
            s->line_has_text = true;
            if (c == '{' || c == '[') {
                s->depth = 1;
            } else if (c == '"') {
                s->scalar = true;
                s->in_string = true;
            } else if (c == '}' || c == ']' || c == ',' || c == ':') {
                if (!js_fail(s, 0, "JSON parse error at line 1, column 1: unexpected '%c'",
                             c)) {
                    return false;
                }
                continue;
            } else {
                s->scalar = true;
            }
            s->scan = 1;
            continue;
        }
        if (i >= s->max_size) {
            if (!js_fail(s, i, "JSON value larger than %zu bytes", s->max_size)) {
                return false;
            }
            continue;
        }
        if (s->in_string) {
            if (s->escape) {
                s->escape = false;
            } else if (c == '\\') {
                s->escape = true;
            } else if (c == '"') {
                s->in_string = false;
                if (s->scalar) {
                    if (!js_emit(s, i + 1)) {
                        return false;
                    }
                    continue;
                }
            } else if (c == '\n' && s->checks < JSON_STREAM_MAX_CHECKS) {
                /* Never valid inside a string: let the parser say where. */
                bool failed;
                s->checks++;
                if (!js_check_partial(s, i + 1, &failed)) {
                    return false;
                }
                if (failed) {
                    continue;
                }
            }
            s->scan++;
            continue;
        }
        if (s->scalar) {
            /* A bare top-level token (number, literal, garbage) ends here. */
            if (js_is_ws(c) || js_is_structural(c)) {
                if (!js_emit(s, i)) {
                    return false;
                }
                continue;
            }
            s->scan++;
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            if (s->depth >= s->max_depth) {
                if (!js_fail(s, i, "JSON nesting deeper than %u levels", s->max_depth)) {
                    return false;
                }
                continue;
            }
            s->depth++;
            break;
        case '}':
        case ']':
            if (--s->depth == 0) {
                if (!js_emit(s, i + 1)) {
                    return false;
                }
                continue;
            }
            break;
        case '"':
            s->in_string = true;
            break;
        case '\n':
            if (s->line_has_text && s->checks < JSON_STREAM_MAX_CHECKS) {
                bool failed;
                s->checks++;
                if (!js_check_partial(s, i + 1, &failed)) {
                    return false;
                }
                if (failed) {
                    continue;
                }
            }
            s->line_has_text = false;
            break;
        default:
            break;
        }
        if (!js_is_ws(c)) {
            s->line_has_text = true;
        }
        s->scan++;
    }
    if (!s->in_value) {
        /* Only whitespace is pending. */
        s->len = s->scan = 0;
    }
    return true;
}

void json_streamer_feed(JsonStreamer *s, const uint8_t *data, size_t len)
{
    while (len > 0) {
        if (s->skip_line && s->len == 0) {
            /* Dropping a bad line: don't buffer what we are going to discard. */
            const uint8_t *p = memchr(data, '\n', len);
            if (!p) {
                return;
            }
            len -= p + 1 - data;
            data = p + 1;
            s->skip_line = false;
            continue;
        }
        /* Feed in bounded chunks so the buffer never holds much past max_size. */
        size_t n = MIN(len, (size_t)4096);
        if (s->len + n > s->cap) {
            size_t cap = s->cap ? s->cap : 256;
            while (cap < s->len + n) {
                cap *= 2;
            }
            s->buf = xrealloc(s->buf, cap);
            s->cap = cap;
        }
        memcpy(s->buf + s->len, data, n);
        s->len += n;
        data += n;
        len -= n;
        if (!js_scan(s)) {
            return;
        }
    }
}
