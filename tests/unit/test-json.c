/* Unit tests for core/json.c: parser, serializer, stream splitter. */
#include "core/json.h"

#include <math.h>

#include "tests/unit/test.h"

/* Parse, or NULL; the error (if any) goes to *msg (caller frees). */
static JsonValue *parse(const char *text, char **msg, size_t *off)
{
    Error *err = NULL;
    size_t o = (size_t)-1;
    JsonValue *v = json_parse_ex(text, strlen(text), JSON_DEFAULT_MAX_DEPTH, &o, &err);
    if (msg) {
        *msg = err ? xstrdup(err->msg) : NULL;
    }
    if (off) {
        *off = o;
    }
    error_free(err);
    return v;
}

/* text parses, and serializes (compact) to exactly expect. */
static bool round_trip(const char *text, const char *expect)
{
    JsonValue *v = parse(text, NULL, NULL);
    if (!v) {
        return false;
    }
    char *out = json_to_string(v, false);
    bool ok = !strcmp(out, expect);
    if (!ok) {
        fprintf(stderr, "round trip of %s gave %s, expected %s\n", text, out, expect);
    }
    /* And the output parses back to an equal value. */
    JsonValue *again = parse(out, NULL, NULL);
    ok = ok && again && json_equal(v, again);
    json_free(again);
    free(out);
    json_free(v);
    return ok;
}

/* text fails to parse at byte offset off with a message containing what. */
static bool fails_at(const char *text, size_t off, const char *what)
{
    char *msg;
    size_t got;
    JsonValue *v = parse(text, &msg, &got);
    bool ok = !v && msg && got == off && (!what || strstr(msg, what));
    if (!ok) {
        fprintf(stderr, "parse of '%s': offset %zu (want %zu), msg %s\n", text, got, off,
                msg ? msg : "(none)");
    }
    json_free(v);
    free(msg);
    return ok;
}

static void test_scalars(void)
{
    CHECK(round_trip("null", "null"));
    CHECK(round_trip("true", "true"));
    CHECK(round_trip(" false ", "false"));
    CHECK(round_trip("0", "0"));
    CHECK(round_trip("-0", "0"));
    CHECK(round_trip("42", "42"));
    CHECK(round_trip("-17", "-17"));
    CHECK(round_trip("\"\"", "\"\""));
    CHECK(round_trip("\"hello\"", "\"hello\""));
    CHECK(round_trip("1.5", "1.5"));
    CHECK(round_trip("-2.5e3", "-2500.0"));
    CHECK(round_trip("1E2", "100.0"));
    CHECK(round_trip("0.1", "0.1"));
    CHECK(round_trip("1e-7", "1e-07"));

    JsonValue *v = parse("true", NULL, NULL);
    bool b = false;
    CHECK(json_type(v) == JSON_BOOL && json_as_bool(v, &b) && b);
    int64_t i;
    CHECK(!json_as_int(v, &i));
    CHECK(json_as_string(v) == NULL);
    json_free(v);
}

static void test_containers(void)
{
    CHECK(round_trip("[]", "[]"));
    CHECK(round_trip("{}", "{}"));
    CHECK(round_trip("[1,2 , 3]", "[1, 2, 3]"));
    CHECK(round_trip("{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}",
                     "{\"a\": 1, \"b\": [true, null], \"c\": {\"d\": \"e\"}}"));
    CHECK(round_trip(" \t\r\n[ \n{ } , [ ] ]\n", "[{}, []]"));

    JsonValue *v = parse("{\"execute\": \"stop\", \"id\": [1, 2], \"n\": -5}", NULL, NULL);
    CHECK(v && json_type(v) == JSON_OBJECT);
    CHECK_EQ(json_object_len(v), 3);
    CHECK(!strcmp(json_as_string(json_object_get(v, "execute")), "stop"));
    CHECK_EQ(json_array_len(json_object_get(v, "id")), 2);
    int64_t n = 0;
    CHECK(json_as_int(json_object_get(v, "n"), &n) && n == -5);
    uint64_t u;
    CHECK(!json_as_uint(json_object_get(v, "n"), &u));
    CHECK(json_object_get(v, "missing") == NULL);
    CHECK(!strcmp(json_object_key_at(v, 1), "id"));

    JsonValue *id = json_object_take(v, "id");
    CHECK(id && json_object_len(v) == 2 && !json_object_get(v, "id"));
    json_free(id);
    json_object_set(v, "n", json_string("replaced"));
    CHECK_EQ(json_object_len(v), 2);
    CHECK(!strcmp(json_as_string(json_object_get(v, "n")), "replaced"));

    JsonValue *c = json_clone(v);
    CHECK(json_equal(c, v));
    json_object_set(c, "x", json_null());
    CHECK(!json_equal(c, v));
    json_free(c);
    json_free(v);
}

static void test_large_object(void)
{
    /* Many members exercise the hash index, including duplicates found late. */
    StrBuf sb = {0};
    strbuf_puts(&sb, "{");
    for (int i = 0; i < 5000; i++) {
        strbuf_printf(&sb, "%s\"k%d\": %d", i ? ", " : "", i, i);
    }
    strbuf_puts(&sb, "}");
    JsonValue *v = parse(sb.s, NULL, NULL);
    CHECK(v && json_object_len(v) == 5000);
    int64_t n = 0;
    CHECK(json_as_int(json_object_get(v, "k4321"), &n) && n == 4321);
    CHECK(json_as_int(json_object_get(v, "k0"), &n) && n == 0);
    json_free(json_object_take(v, "k17"));
    CHECK(!json_object_get(v, "k17"));
    CHECK(json_as_int(json_object_get(v, "k4999"), &n) && n == 4999);
    json_free(v);

    size_t dup_at = sb.len - 1;
    sb.len--;
    strbuf_puts(&sb, ", \"k2500\": 1}");
    char *msg;
    size_t off;
    v = parse(sb.s, &msg, &off);
    CHECK(!v && off == dup_at + 2 && strstr(msg, "duplicate"));
    free(msg);
    strbuf_free(&sb);
}

static void test_numbers(void)
{
    int64_t i;
    uint64_t u;
    double d;
    JsonValue *v = parse("9223372036854775807", NULL, NULL);
    CHECK(json_as_int(v, &i) && i == INT64_MAX && !json_is_uint(v));
    json_free(v);
    v = parse("-9223372036854775808", NULL, NULL);
    CHECK(json_as_int(v, &i) && i == INT64_MIN);
    json_free(v);
    v = parse("9223372036854775808", NULL, NULL);
    CHECK(json_type(v) == JSON_INT && json_is_uint(v) && !json_as_int(v, &i));
    CHECK(json_as_uint(v, &u) && u == 9223372036854775808ULL);
    json_free(v);
    CHECK(round_trip("18446744073709551615", "18446744073709551615"));
    /* Past uint64: a double, as QEMU does. */
    v = parse("18446744073709551616", NULL, NULL);
    CHECK(json_type(v) == JSON_DOUBLE && json_as_double(v, &d) && d == 18446744073709551616.0);
    json_free(v);
    v = parse("-9223372036854775809", NULL, NULL);
    CHECK(json_type(v) == JSON_DOUBLE);
    json_free(v);
    v = parse("1e400", NULL, NULL);
    CHECK(v == NULL);
    v = parse("1e-400", NULL, NULL);
    CHECK(json_as_double(v, &d) && d == 0.0);
    json_free(v);
    CHECK(round_trip("123456789012345678901234567890", "1.2345678901234568e+29"));

    CHECK(fails_at("01", 0, "leading zero"));
    CHECK(fails_at("-", 1, "end of input"));
    CHECK(fails_at("1.", 2, "end of input"));
    CHECK(fails_at("1.e5", 0, "digit"));
    CHECK(fails_at("1e+", 3, "end of input"));
    CHECK(fails_at("+1", 0, NULL));
    CHECK(fails_at(".5", 0, NULL));
    CHECK(fails_at("0x10", 1, NULL));
    CHECK(fails_at("NaN", 0, NULL));
    CHECK(fails_at("Infinity", 0, NULL));

    /* Built values serialize too, and non-finite doubles become null. */
    v = json_array();
    json_array_append(json_array_append(v, json_double(INFINITY)), json_double(2.0));
    char *s = json_to_string(v, false);
    CHECK(!strcmp(s, "[null, 2.0]"));
    free(s);
    json_free(v);
}

static void test_strings(void)
{
    CHECK(round_trip("\"a\\\"b\\\\c\\/d\"", "\"a\\\"b\\\\c/d\""));
    CHECK(round_trip("\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\""));
    CHECK(round_trip("\"\\u0041\\u00e9\"", "\"A\xc3\xa9\""));
    CHECK(round_trip("\"\\u001f\\u007f\"", "\"\\u001f\\u007f\""));
    CHECK(round_trip("\"\\u20AC\"", "\"\xe2\x82\xac\""));
    /* A surrogate pair is one code point: U+1F600. */
    CHECK(round_trip("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""));
    CHECK(round_trip("\"\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9\"",
                     "\"\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9\""));

    JsonValue *v = parse("\"\\u00e9x\"", NULL, NULL);
    CHECK(json_string_length(v) == 3);
    json_free(v);

    CHECK(fails_at("\"\\ud83d\"", 1, "surrogate"));
    CHECK(fails_at("\"\\ud83d\\", 8, "end of input"));
    CHECK(fails_at("\"\\ud83dx\"", 1, "surrogate"));
    CHECK(fails_at("\"\\ude00\"", 1, "surrogate"));
    CHECK(fails_at("\"\\ud83d\\u0041\"", 1, "surrogate"));
    CHECK(fails_at("\"\\u0000\"", 1, "u0000"));
    CHECK(fails_at("\"\\u12g4\"", 5, "hex"));
    CHECK(fails_at("\"\\x\"", 2, "escape"));
    CHECK(fails_at("\"a\nb\"", 2, "control"));
    CHECK(fails_at("\"abc", 4, "end of input"));
    CHECK(fails_at("\"\\u12", 5, "end of input"));
    /* Invalid UTF-8: stray continuation, overlong, surrogate, > U+10FFFF, bad lead. */
    CHECK(fails_at("\"a\x80\"", 2, "UTF-8"));
    CHECK(fails_at("\"\xc0\xaf\"", 1, "UTF-8"));
    CHECK(fails_at("\"\xe0\x80\xaf\"", 1, "UTF-8"));
    CHECK(fails_at("\"\xed\xa0\x80\"", 1, "UTF-8"));
    CHECK(fails_at("\"\xf4\x90\x80\x80\"", 1, "UTF-8"));
    CHECK(fails_at("\"\xff\"", 1, "UTF-8"));
    CHECK(fails_at("\"\xe2\x82", 3, "end of input"));

    /* The serializer never emits invalid UTF-8, even for built strings. */
    v = json_string_len("a\xff" "b\xe2\x82", 5);
    char *s = json_to_string(v, false);
    CHECK(!strcmp(s, "\"a\\ufffdb\\ufffd\\ufffd\""));
    free(s);
    json_free(v);
    v = json_string_len("nul\0in", 6);
    s = json_to_string(v, false);
    CHECK(!strcmp(s, "\"nul\\u0000in\""));
    free(s);
    json_free(v);
}

static void test_errors(void)
{
    char *msg;
    size_t off;
    JsonValue *v = parse("{\"a\": 1,\n  \"b\" 2}", &msg, &off);
    CHECK(!v && off == 15);
    CHECK(msg && strstr(msg, "line 2, column 7") && strstr(msg, "':'"));
    free(msg);

    CHECK(fails_at("", 0, "end of input"));
    CHECK(fails_at("   ", 3, "end of input"));
    CHECK(fails_at("[1, 2", 5, "end of input"));
    CHECK(fails_at("[1 2]", 3, "','"));
    CHECK(fails_at("[1,]", 3, "value"));
    CHECK(fails_at("{\"a\":1,}", 7, "member name"));
    CHECK(fails_at("{a:1}", 1, "member name"));
    CHECK(fails_at("{\"a\" 1}", 5, "':'"));
    CHECK(fails_at("{\"a\":1 \"b\":2}", 7, "'}'"));
    CHECK(fails_at("{\"a\":1, \"a\":2}", 8, "duplicate"));
    CHECK(fails_at("1 2", 2, "end of input after"));
    CHECK(fails_at("{} x", 3, NULL));
    CHECK(fails_at("tru", 3, "end of input"));
    CHECK(fails_at("trux", 0, NULL));
    CHECK(fails_at("nul", 3, "end of input"));
    CHECK(fails_at("True", 0, NULL));
    CHECK(fails_at("'a'", 0, NULL));
    CHECK(fails_at("[1] // comment", 4, NULL));
    CHECK(fails_at("\xef\xbb\xbf{}", 0, "0xef"));
    CHECK(fails_at("\x01", 0, "0x01"));
}

static void test_nesting(void)
{
    char deep[2 * 200 + 1];
    for (int depth = 1; depth <= 200; depth += 199) {
        memset(deep, '[', depth);
        memset(deep + depth, ']', depth);
        deep[2 * depth] = 0;
        JsonValue *v = parse(deep, NULL, NULL);
        CHECK((v != NULL) == (depth <= JSON_DEFAULT_MAX_DEPTH));
        json_free(v);
    }
    /* Exactly at the limit is fine; one more fails at the extra bracket. */
    memset(deep, '[', JSON_DEFAULT_MAX_DEPTH);
    memset(deep + JSON_DEFAULT_MAX_DEPTH, ']', JSON_DEFAULT_MAX_DEPTH);
    deep[2 * JSON_DEFAULT_MAX_DEPTH] = 0;
    JsonValue *v = parse(deep, NULL, NULL);
    CHECK(v != NULL);
    json_free(v);
    CHECK(fails_at("[[[[", 4, "end of input"));

    Error *err = NULL;
    size_t off = 0;
    v = json_parse_ex("{\"a\": [[1]]}", 12, 2, &off, &err);
    CHECK(!v && err && off == 7 && strstr(err->msg, "nesting"));
    error_free(err);
    err = NULL;
    v = json_parse_ex("{\"a\": [1]}", 10, 2, &off, &err);
    CHECK(v && !err);
    json_free(v);

    /* A million open brackets must fail cleanly, not overflow the stack. */
    size_t n = 1000000;
    char *huge = xmalloc(n + 1);
    memset(huge, '[', n);
    huge[n] = 0;
    CHECK(fails_at(huge, JSON_DEFAULT_MAX_DEPTH, "nesting"));
    free(huge);
}

static void test_pretty(void)
{
    JsonValue *v = parse("{\"return\": {\"a\": [1, 2], \"b\": {}, \"c\": []}}", NULL, NULL);
    char *s = json_to_string(v, true);
    CHECK(!strcmp(s, "{\n"
                     "    \"return\": {\n"
                     "        \"a\": [\n"
                     "            1,\n"
                     "            2\n"
                     "        ],\n"
                     "        \"b\": {},\n"
                     "        \"c\": []\n"
                     "    }\n"
                     "}"));
    JsonValue *again = parse(s, NULL, NULL);
    CHECK(json_equal(v, again));
    json_free(again);
    free(s);
    json_free(v);
}

/* Deterministic xorshift, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_garbage(void)
{
    /* Random bytes, and random mutations of valid JSON: never a crash. */
    static const char seed[] =
        "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}, "
        "\"id\": [1, 2.5e3, -7, true, false, null, \"\\u00e9\\ud83d\\ude00\"]}";
    char buf[256];
    int parsed = 0;
    for (int iter = 0; iter < 100000; iter++) {
        size_t len;
        if (iter % 2) {
            len = rng() % sizeof(buf);
            for (size_t i = 0; i < len; i++) {
                buf[i] = rng();
            }
        } else {
            len = sizeof(seed) - 1;
            memcpy(buf, seed, len);
            int flips = 1 + rng() % 4;
            for (int f = 0; f < flips; f++) {
                size_t at = rng() % len;
                switch (rng() % 3) {
                case 0:
                    buf[at] = rng();
                    break;
                case 1:
                    len = at; /* truncate */
                    break;
                default:
                    buf[at] = "{}[]\",:\\ 0e-"[rng() % 12];
                    break;
                }
                if (!len) {
                    break;
                }
            }
        }
        Error *err = NULL;
        size_t off = (size_t)-1;
        JsonValue *v = json_parse_ex(buf, len, 16, &off, &err);
        if (v) {
            parsed++;
            char *s = json_to_string(v, iter % 4 == 0);
            JsonValue *again = json_parse_str(s, NULL);
            CHECK(again && json_equal(v, again));
            json_free(again);
            free(s);
            json_free(v);
            CHECK(err == NULL);
        } else {
            CHECK(err != NULL && off <= len);
            error_free(err);
        }
    }
    CHECK(parsed > 0);
}

/* ---- stream splitter ---- */

typedef struct StreamLog {
    StrBuf out; /* "V:<json>\n" per value, "E\n" per error */
    int values, errors;
    JsonStreamer *s;
    int reset_after; /* reset the streamer in the callback after this many events */
} StreamLog;

static void stream_cb(void *opaque, JsonValue *v, Error *err)
{
    StreamLog *log = opaque;
    if (v) {
        char *s = json_to_string(v, false);
        strbuf_printf(&log->out, "V:%s\n", s);
        free(s);
        json_free(v);
        log->values++;
    } else {
        strbuf_puts(&log->out, "E\n");
        error_free(err);
        log->errors++;
    }
    if (log->reset_after && log->values + log->errors == log->reset_after) {
        json_streamer_reset(log->s);
    }
}

/* Feed text in chunks of chunk bytes; return the log text (caller frees). */
static char *stream_run(const char *text, size_t chunk, unsigned depth, size_t max_size)
{
    JsonStreamer s;
    StreamLog log = {{0}};
    log.s = &s;
    json_streamer_init(&s, stream_cb, &log, depth, max_size);
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i += chunk) {
        json_streamer_feed(&s, (const uint8_t *)text + i, MIN(chunk, len - i));
    }
    json_streamer_destroy(&s);
    strbuf_append(&log.out, "", 0);
    return strbuf_steal(&log.out);
}

static bool stream_expect(const char *text, const char *expect)
{
    bool ok = true;
    /* Whatever the read sizes, the result must be the same. */
    static const size_t chunks[] = {1, 2, 3, 7, 4096};
    for (size_t c = 0; c < ARRAY_SIZE(chunks); c++) {
        char *got = stream_run(text, chunks[c], 32, 4096);
        if (strcmp(got, expect)) {
            fprintf(stderr, "stream of %s in chunks of %zu:\n got: %s\nwant: %s\n", text,
                    chunks[c], got, expect);
            ok = false;
        }
        free(got);
    }
    return ok;
}

static void test_stream_basic(void)
{
    CHECK(stream_expect("{\"a\": 1}\n", "V:{\"a\": 1}\n"));
    /* Several values in one read, with and without separators. */
    CHECK(stream_expect("{\"a\":1}{\"b\":2}\n[3] \"s\" 4\n",
                        "V:{\"a\": 1}\nV:{\"b\": 2}\nV:[3]\nV:\"s\"\nV:4\n"));
    /* Brackets and newlines inside strings don't confuse the splitter. */
    CHECK(stream_expect("{\"a\": \"}]{[\\\"\"}\n", "V:{\"a\": \"}]{[\\\"\"}\n"));
    /* A pretty-printed value spanning lines. */
    CHECK(stream_expect("{\n  \"execute\":\n    \"stop\"\n}\n", "V:{\"execute\": \"stop\"}\n"));
    /* A value without a trailing newline still completes. */
    CHECK(stream_expect("{\"a\": [1, {\"b\": null}]}", "V:{\"a\": [1, {\"b\": null}]}\n"));
    /* A bare number is only complete once something ends it. */
    CHECK(stream_expect("12", ""));
    CHECK(stream_expect("", ""));
    CHECK(stream_expect(" \r\n\t ", ""));
}

static void test_stream_errors(void)
{
    /* A bad value is reported once and the next line is read normally. */
    CHECK(stream_expect("{\"a\" 1}\n{\"b\": 2}\n", "E\nV:{\"b\": 2}\n"));
    /* Garbage words: one error for the line, then back in step. */
    CHECK(stream_expect("this is not json\n{\"ok\": true}\n", "E\nV:{\"ok\": true}\n"));
    /* A forgotten closing brace must not swallow the next command. */
    CHECK(stream_expect("{\"execute\": \"stop\"\n{\"execute\": \"cont\"}\n",
                        "E\nV:{\"execute\": \"cont\"}\n"));
    /* Stray closers at top level. */
    CHECK(stream_expect("}\n]\n{}\n", "E\nE\nV:{}\n"));
    /* An unterminated string ends at the newline. */
    CHECK(stream_expect("\"abc\n[1]\n", "E\nV:[1]\n"));
    CHECK(stream_expect("{\"a\": \"abc\n[1]\n", "E\nV:[1]\n"));
    /* Invalid UTF-8 and control bytes. */
    CHECK(stream_expect("{\"a\": \"\xff\"}\n{}\n", "E\nV:{}\n"));
    CHECK(stream_expect("\x01\x02\n{}\n", "E\nV:{}\n"));
    /* The rest of a line after an error on it is dropped. */
    CHECK(stream_expect("{\"a\" 1} {\"b\": 2}\n{\"c\": 3}\n", "E\nV:{\"c\": 3}\n"));
}

static void test_stream_limits(void)
{
    /* Too deep: rejected by the splitter without parsing. */
    char deep[200];
    memset(deep, '[', 40);
    strcpy(deep + 40, "\n{\"x\": 1}\n");
    char *got = stream_run(deep, 5, 32, 4096);
    CHECK(!strcmp(got, "E\nV:{\"x\": 1}\n"));
    free(got);

    /* Too big: one error, memory stays bounded, and a later value still works. */
    size_t n = 100000;
    char *big = xmalloc(n + 32);
    big[0] = '[';
    for (size_t i = 1; i < n; i++) {
        big[i] = i % 2 ? '1' : ',';
    }
    strcpy(big + n, "]\n{\"y\": 2}\n");
    JsonStreamer s;
    StreamLog log = {{0}};
    log.s = &s;
    json_streamer_init(&s, stream_cb, &log, 32, 4096);
    for (size_t i = 0; i < strlen(big); i += 100) {
        json_streamer_feed(&s, (const uint8_t *)big + i, MIN(100, strlen(big) - i));
        CHECK(s.cap <= 16384);
    }
    CHECK(log.errors >= 1);
    CHECK(log.values == 1 && strstr(log.out.s, "V:{\"y\": 2}\n"));
    json_streamer_destroy(&s);
    strbuf_free(&log.out);
    free(big);
}

static void test_stream_reset(void)
{
    /* A reset from the callback drops the rest of that feed. */
    JsonStreamer s;
    StreamLog log = {{0}};
    log.s = &s;
    log.reset_after = 1;
    json_streamer_init(&s, stream_cb, &log, 32, 4096);
    const char *text = "{\"a\": 1}\n{\"b\": 2}\n{\"c\"";
    json_streamer_feed(&s, (const uint8_t *)text, strlen(text));
    CHECK_EQ(log.values, 1);
    CHECK_EQ(s.len, 0);
    const char *more = "{\"d\": 4}\n";
    json_streamer_feed(&s, (const uint8_t *)more, strlen(more));
    CHECK_EQ(log.values, 2);
    CHECK(strstr(log.out.s, "V:{\"d\": 4}"));
    json_streamer_destroy(&s);
    strbuf_free(&log.out);
}

static void test_stream_garbage(void)
{
    /* Random byte soup in random chunk sizes never crashes, and a good value
     * after a newline always comes through. */
    for (int iter = 0; iter < 2000; iter++) {
        JsonStreamer s;
        StreamLog log = {{0}};
        log.s = &s;
        json_streamer_init(&s, stream_cb, &log, 8, 512);
        uint8_t buf[1024];
        size_t len = rng() % sizeof(buf);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = rng();
            buf[i] = r % 3 ? "{}[]\",:\\\n tf0-e\x80\xff"[r % 18] : (uint8_t)(r >> 8);
        }
        size_t pos = 0;
        while (pos < len) {
            size_t n = 1 + rng() % 64;
            n = MIN(n, len - pos);
            json_streamer_feed(&s, buf + pos, n);
            pos += n;
        }
        /* Close any open string and brackets, then send a good line. */
        const char *tail = "\"\n]]]]]]]]]]]]]]]]}}}}}}}}}}}}}}}}\n";
        json_streamer_feed(&s, (const uint8_t *)tail, strlen(tail));
        int before = log.values;
        const char *good = "\n{\"good\": 1}\n";
        json_streamer_feed(&s, (const uint8_t *)good, strlen(good));
        CHECK(log.values == before + 1);
        json_streamer_destroy(&s);
        strbuf_free(&log.out);
    }
}

int main(void)
{
    test_run("json/scalars", test_scalars);
    test_run("json/containers", test_containers);
    test_run("json/large-object", test_large_object);
    test_run("json/numbers", test_numbers);
    test_run("json/strings", test_strings);
    test_run("json/errors", test_errors);
    test_run("json/nesting", test_nesting);
    test_run("json/pretty", test_pretty);
    test_run("json/garbage", test_garbage);
    test_run("json/stream-basic", test_stream_basic);
    test_run("json/stream-errors", test_stream_errors);
    test_run("json/stream-limits", test_stream_limits);
    test_run("json/stream-reset", test_stream_reset);
    test_run("json/stream-garbage", test_stream_garbage);
    return test_summary();
}
