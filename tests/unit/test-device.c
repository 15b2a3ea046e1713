/* Device registry, properties, -global, vmstate and key=value option strings. */
#include "core/device.h"
#include "core/machine.h"
#include "core/options.h"
#include "core/opts.h"
#include "tests/unit/test.h"

typedef struct TestDev {
    DeviceState parent;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t size;
    int32_t i32;
    bool flag;
    char *label;
    int realized_count;
    int reset_count;
    uint8_t regs[4];
    uint64_t wide[2];
} TestDev;

static const Property testdev_props[] = {
    DEFINE_PROP_U8("u8", TestDev, u8, 7, "a byte"),
    DEFINE_PROP_U16("u16", TestDev, u16, 0x1234, "a half"),
    DEFINE_PROP_U32("u32", TestDev, u32, 0, "a word"),
    DEFINE_PROP_SIZE("size", TestDev, size, 4096, "a size"),
    DEFINE_PROP_I32("i32", TestDev, i32, -5, "signed"),
    DEFINE_PROP_BOOL("flag", TestDev, flag, false, "a flag"),
    DEFINE_PROP_STRING("label", TestDev, label, "a string"),
    DEFINE_PROP_END,
};

static bool testdev_realize(DeviceState *dev, Error **errp)
{
    TestDev *t = (TestDev *)dev;
    if (t->u32 == 0xdead) {
        error_setg(errp, "u32 must not be 0xdead");
        return false;
    }
    t->realized_count++;
    return true;
}

static void testdev_reset(DeviceState *dev)
{
    ((TestDev *)dev)->reset_count++;
}

static const DeviceInfo testdev_info = {
    .name = "test-dev", .bus = BUS_SYSTEM, .size = sizeof(TestDev), .props = testdev_props,
    .realize = testdev_realize, .reset = testdev_reset, .desc = "unit test device",
};
DEVICE_REGISTER(testdev_info);

static Machine *fake_machine(MachineConfig *cfg)
{
    Machine *m = XNEW(Machine);
    m->cfg = cfg;
    m->devices_tail = &m->devices;
    return m;
}

/* Destroy every device the fake machine holds, then the machine. */
static void free_fake_machine(Machine *m)
{
    while (m->devices) {
        DeviceState *d = m->devices;
        m->devices = d->next;
        device_destroy(d);
    }
    free(m);
}

static void test_defaults_and_props(void)
{
    Error *err = NULL;
    MachineConfig cfg = {0};
    Machine *m = fake_machine(&cfg);
    DeviceState *dev = device_create_from_optstr(
        m, "test-dev,id=t0,u8=0x20,u32=4000000000,size=2M,i32=-100,flag=on,label=a,,b", &err);
    CHECK(dev != NULL);
    CHECK(err == NULL);
    TestDev *t = (TestDev *)dev;
    CHECK_EQ(t->u8, 0x20);
    CHECK_EQ(t->u16, 0x1234); /* default */
    CHECK_EQ(t->u32, 4000000000u);
    CHECK_EQ(t->size, 2u << 20);
    CHECK_EQ(t->i32, (uint64_t)(int64_t)-100);
    CHECK(t->flag);
    CHECK(t->label && !strcmp(t->label, "a,b"));
    CHECK(dev->id && !strcmp(dev->id, "t0"));
    CHECK_EQ(t->realized_count, 1);
    CHECK_EQ(t->reset_count, 1); /* realize puts it in its reset state */
    CHECK(m->devices == dev);
    free_fake_machine(m);
}

static void expect_error(Machine *m, const char *optstr, const char *needle1,
                         const char *needle2)
{
    Error *err = NULL;
    DeviceState *dev = device_create_from_optstr(m, optstr, &err);
    CHECK(dev == NULL);
    CHECK(err != NULL);
    if (err) {
        if (!strstr(err->msg, needle1) || (needle2 && !strstr(err->msg, needle2))) {
            printf("  message was: %s\n", err->msg);
            CHECK(!"error message names device and property");
        }
        error_free(err);
    }
}

static void test_bad_values(void)
{
    MachineConfig cfg = {0};
    Machine *m = fake_machine(&cfg);
    expect_error(m, "test-dev,u8=256", "test-dev", "u8");
    expect_error(m, "test-dev,u16=banana", "test-dev", "u16");
    expect_error(m, "test-dev,flag=maybe", "test-dev", "flag");
    expect_error(m, "test-dev,size=12Q", "test-dev", "size");
    expect_error(m, "test-dev,i32=3000000000", "test-dev", "i32");
    expect_error(m, "test-dev,nosuch=1", "test-dev", "nosuch");
    expect_error(m, "no-such-device", "no-such-device", NULL);
    expect_error(m, "test-dev,u32=0xdead", "test-dev", "0xdead");
    CHECK(m->devices == NULL);
    free_fake_machine(m);
}

static void test_globals(void)
{
    MachineConfig cfg = {0};
    strlist_add(&cfg.globals, "test-dev.u16=0x99");
    strlist_add(&cfg.globals, "other-dev.u16=0x11");
    Machine *m = fake_machine(&cfg);
    Error *err = NULL;
    TestDev *t = (TestDev *)device_create_from_optstr(m, "test-dev", &err);
    CHECK(t && t->u16 == 0x99);
    /* An explicit property beats -global. */
    TestDev *t2 = (TestDev *)device_create_from_optstr(m, "test-dev,u16=5", &err);
    CHECK(t2 && t2->u16 == 5);
    strlist_add(&cfg.globals, "test-dev.u8=big");
    CHECK(device_create_from_optstr(m, "test-dev", &err) == NULL);
    CHECK(err && strstr(err->msg, "-global test-dev.u8=big"));
    error_free(err);
    strlist_free(&cfg.globals);
    free_fake_machine(m);
}

static const VMStateDescription testdev_vmstate = {
    .name = "test-dev", .version = 1,
    .fields = (const VMStateField[]){
        VMSTATE_U8(TestDev, u8), VMSTATE_U16(TestDev, u16), VMSTATE_U32(TestDev, u32),
        VMSTATE_BOOL(TestDev, flag), VMSTATE_I32(TestDev, i32),
        VMSTATE_BUFFER(TestDev, regs), VMSTATE_U64_ARRAY(TestDev, wide), VMSTATE_END,
    },
};

static void test_vmstate_roundtrip(void)
{
    TestDev a = {.u8 = 1, .u16 = 0xbeef, .u32 = 0xcafef00d, .flag = true, .i32 = -7,
                 .regs = {1, 2, 3, 4}, .wide = {0x1122334455667788ULL, 42}};
    VMBuffer buf = {0};
    vmstate_save(&testdev_vmstate, &a, &buf);
    TestDev b = {0};
    buf.pos = 0;
    Error *err = NULL;
    CHECK(vmstate_load(&testdev_vmstate, &b, &buf, &err));
    CHECK_EQ(b.u8, 1);
    CHECK_EQ(b.u16, 0xbeef);
    CHECK_EQ(b.u32, 0xcafef00d);
    CHECK(b.flag);
    CHECK_EQ(b.i32, (uint64_t)(int64_t)-7);
    CHECK(!memcmp(b.regs, a.regs, 4));
    CHECK_EQ(b.wide[0], 0x1122334455667788ULL);
    CHECK_EQ(b.wide[1], 42);
    CHECK_EQ(buf.pos, buf.len);

    /* Every truncation is rejected and leaves the target untouched. */
    for (size_t cut = 0; cut < buf.len; cut++) {
        VMBuffer shorter = {.data = buf.data, .len = cut};
        TestDev c = {.u8 = 99};
        Error *e = NULL;
        CHECK(!vmstate_load(&testdev_vmstate, &c, &shorter, &e));
        CHECK(e != NULL);
        CHECK_EQ(c.u8, 99);
        error_free(e);
    }
    /* A foreign section name and a bad bool are rejected. */
    buf.data[2] = 'X';
    buf.pos = 0;
    CHECK(!vmstate_load(&testdev_vmstate, &b, &buf, &err));
    error_free(err);
    vmbuffer_free(&buf);
}

static void test_opts_parse(void)
{
    Error *err = NULL;
    Opts *o = opts_parse("socket,id=c0,path=/tmp/a,,b,server,wait=off", "backend", &err);
    CHECK(o != NULL);
    CHECK(!strcmp(opts_get(o, "backend"), "socket"));
    CHECK(!strcmp(opts_get(o, "path"), "/tmp/a,b"));
    bool server, wait;
    CHECK(opts_get_bool(o, "server", false, &server, &err) && server);
    CHECK(opts_get_bool(o, "wait", true, &wait, &err) && !wait);
    CHECK(!opts_check_unused(o, "-chardev", &err)); /* id not looked at */
    CHECK(err && strstr(err->msg, "'id'"));
    error_free(err);
    err = NULL;
    opts_get(o, "id");
    CHECK(opts_check_unused(o, "-chardev", &err));
    opts_free(o);

    o = opts_parse("=x", NULL, &err);
    CHECK(o == NULL && err != NULL);
    error_free(err);
}

static void test_parse_size(void)
{
    uint64_t v;
    CHECK(parse_size("512M", 1, &v) && v == 512ULL << 20);
    CHECK(parse_size("2G", 1, &v) && v == 2ULL << 30);
    CHECK(parse_size("1.5G", 1, &v) && v == 3ULL << 29);
    CHECK(parse_size("256", 1 << 20, &v) && v == 256ULL << 20);
    CHECK(parse_size("4KiB", 1, &v) && v == 4096);
    CHECK(!parse_size("banana", 1, &v));
    CHECK(!parse_size("-1", 1, &v));
    CHECK(!parse_size("99999999999T", 1, &v));
    CHECK(!parse_size("", 1, &v));
    CHECK(!parse_size("12X", 1, &v));
}

int main(void)
{
    test_run("device/defaults-and-props", test_defaults_and_props);
    test_run("device/bad-values-name-device-and-property", test_bad_values);
    test_run("device/global", test_globals);
    test_run("vmstate/roundtrip-and-truncation", test_vmstate_roundtrip);
    test_run("opts/parse", test_opts_parse);
    test_run("util/parse-size", test_parse_size);
    return test_summary();
}
