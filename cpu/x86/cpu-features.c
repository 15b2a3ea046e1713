/*
 * `-cpu MODEL,+feat,-feat,feat=on|off`: CPUID feature flags on top of a model.
 *
 * The names are the ones Linux prints in /proc/cpuinfo and QEMU accepts ('_' and '-' are the
 * same).  A flag can be removed whether or not the model has it; it can be added only when
 * Osprey implements it (some model in cpuid.c advertises it), since a guest that sees a
 * feature will use it and an unimplemented instruction would fault.  Anything else is refused
 * with a message rather than ignored.
 */
#include "cpu/x86/cpuid.h"

typedef struct X86FeatureName {
    const char *name;
    uint8_t word; /* index into cpuid_features[]: 1.EDX, 1.ECX, 80000001.EDX, 80000001.ECX */
    uint8_t bit;
} X86FeatureName;

static const X86FeatureName feature_names[] = {
    {"fpu", 0, 0}, {"vme", 0, 1}, {"de", 0, 2}, {"pse", 0, 3}, {"tsc", 0, 4}, {"msr", 0, 5},
    {"pae", 0, 6}, {"mce", 0, 7}, {"cx8", 0, 8}, {"apic", 0, 9}, {"sep", 0, 11},
    {"mtrr", 0, 12}, {"pge", 0, 13}, {"mca", 0, 14}, {"cmov", 0, 15}, {"pat", 0, 16},
    {"pse36", 0, 17}, {"pn", 0, 18}, {"clflush", 0, 19}, {"ds", 0, 21}, {"acpi", 0, 22},
    {"mmx", 0, 23}, {"fxsr", 0, 24}, {"sse", 0, 25}, {"sse2", 0, 26}, {"ss", 0, 27},
    {"ht", 0, 28}, {"tm", 0, 29}, {"pbe", 0, 31},

    {"pni", 1, 0}, {"pclmulqdq", 1, 1}, {"dtes64", 1, 2}, {"monitor", 1, 3}, {"ds-cpl", 1, 4},
    {"vmx", 1, 5}, {"smx", 1, 6}, {"est", 1, 7}, {"tm2", 1, 8}, {"ssse3", 1, 9},
    {"cid", 1, 10}, {"fma", 1, 12}, {"cx16", 1, 13}, {"xtpr", 1, 14}, {"pdcm", 1, 15},
    {"pcid", 1, 17}, {"dca", 1, 18}, {"sse4.1", 1, 19}, {"sse4.2", 1, 20}, {"x2apic", 1, 21},
    {"movbe", 1, 22}, {"popcnt", 1, 23}, {"tsc-deadline", 1, 24}, {"aes", 1, 25},
    {"xsave", 1, 26}, {"osxsave", 1, 27}, {"avx", 1, 28}, {"f16c", 1, 29}, {"rdrand", 1, 30},
    {"hypervisor", 1, 31},

    {"syscall", 2, 11}, {"nx", 2, 20}, {"mmxext", 2, 22}, {"fxsr-opt", 2, 25},
    {"pdpe1gb", 2, 26}, {"rdtscp", 2, 27}, {"lm", 2, 29}, {"3dnowext", 2, 30}, {"3dnow", 2, 31},

    {"lahf-lm", 3, 0}, {"cmp-legacy", 3, 1}, {"svm", 3, 2}, {"extapic", 3, 3},
    {"cr8legacy", 3, 4}, {"abm", 3, 5}, {"sse4a", 3, 6}, {"misalignsse", 3, 7},
    {"3dnowprefetch", 3, 8}, {"osvw", 3, 9}, {"ibs", 3, 10}, {"xop", 3, 11},
    {"skinit", 3, 12}, {"wdt", 3, 13}, {"lwp", 3, 15}, {"fma4", 3, 16}, {"tbm", 3, 21},
    {"topoext", 3, 22}, {"perfctr-core", 3, 23},
};

/* Other spellings of the same flags. */
static const struct {
    const char *alias, *name;
} feature_aliases[] = {
    {"sse3", "pni"}, {"sse4-1", "sse4.1"}, {"sse4-2", "sse4.2"}, {"xd", "nx"},
    {"i64", "lm"}, {"ffxsr", "fxsr-opt"}, {"clfsh", "clflush"},
};

/* Flags the board decides (the local APIC and its TSC-deadline mode exist or not). */
#define BOARD_WORD0 CPUID_APIC
#define BOARD_WORD1 CPUID_EXT_TSC_DEADLINE

/* a and b equal, with '_' and '-' the same character. */
static bool feature_name_eq(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i]; i++) {
        char x = a[i] == '_' ? '-' : a[i], y = b[i] == '_' ? '-' : b[i];
        if (x != y) {
            return false;
        }
    }
    return i == alen && !b[i];
}

static const X86FeatureName *feature_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(feature_aliases); i++) {
        if (feature_name_eq(name, len, feature_aliases[i].alias)) {
            name = feature_aliases[i].name;
            len = strlen(name);
            break;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++) {
        if (feature_name_eq(name, len, feature_names[i].name)) {
            return &feature_names[i];
        }
    }
    return NULL;
}

/* One flag of the list: "+f", "-f", "f", "f=on", "f=off" (true/false/yes/no too). */
static bool parse_one(const X86CpuModel *model, const char *item, size_t len,
                      X86CpuFeatureMods *mods, uint32_t implemented[4], char *err,
                      size_t errlen)
{
    bool on = true;
    const char *name = item;
    size_t nlen = len;
    const char *eq = memchr(item, '=', len);

    if (len && (item[0] == '+' || item[0] == '-')) {
        on = item[0] == '+';
        name++;
        nlen--;
    } else if (eq) {
        const char *val = eq + 1;
        size_t vlen = len - (size_t)(val - item);
        nlen = (size_t)(eq - item);
        if (feature_name_eq(val, vlen, "on") || feature_name_eq(val, vlen, "true") ||
            feature_name_eq(val, vlen, "yes")) {
            on = true;
        } else if (feature_name_eq(val, vlen, "off") || feature_name_eq(val, vlen, "false") ||
                   feature_name_eq(val, vlen, "no")) {
            on = false;
        } else {
            const X86FeatureName *f = feature_lookup(name, nlen);
            if (f) {
                snprintf(err, errlen, "CPU feature '%.*s': the value must be on or off",
                         (int)len, item);
            } else {
                snprintf(err, errlen, "-cpu property '%.*s' is not supported", (int)nlen, item);
            }
            return false;
        }
    } else if (feature_name_eq(item, len, "enforce") || feature_name_eq(item, len, "check")) {
        /* Osprey never drops a flag it was asked for: it refuses it here instead. */
        return true;
    }

    const X86FeatureName *f = feature_lookup(name, nlen);
    if (!f) {
        snprintf(err, errlen, "unknown CPU feature '%.*s' (-cpu help lists them)", (int)nlen,
                 name);
        return false;
    }
    uint32_t mask = 1u << f->bit;
    if ((f->word == 0 && (mask & BOARD_WORD0)) || (f->word == 1 && (mask & BOARD_WORD1))) {
        snprintf(err, errlen, "CPU feature '%s' follows the board's local APIC; it cannot be "
                 "changed", f->name);
        return false;
    }
    if (on && !(implemented[f->word] & mask)) {
        snprintf(err, errlen, "CPU feature '%s' is not implemented by Osprey's CPU", f->name);
        return false;
    }
    if (on && f->word >= 2 && !x86_cpu_model_has_ext_leaves(model)) {
        snprintf(err, errlen, "CPU feature '%s' needs CPUID leaf 0x80000001, which model '%s' "
                 "does not have", f->name, x86_cpu_model_name(model));
        return false;
    }
    if (on) {
        mods->plus[f->word] |= mask;
        mods->minus[f->word] &= ~mask;
    } else {
        mods->minus[f->word] |= mask;
        mods->plus[f->word] &= ~mask;
    }
    return true;
}

bool x86_cpu_parse_features(const X86CpuModel *model, const char *list, X86CpuFeatureMods *mods,
                            char *err, size_t errlen)
{
    uint32_t implemented[4];
    x86_cpu_implemented_features(implemented);
    memset(mods, 0, sizeof(*mods));
    /* Later flags win, as in QEMU: "-pcid,+pcid" leaves PCID on. */
    for (const char *p = list ? list : ""; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) {
            snprintf(err, errlen, "empty CPU feature in '%s'", list);
            return false;
        }
        if (!parse_one(model, p, len, mods, implemented, err, errlen)) {
            return false;
        }
        p += len + (end ? 1 : 0);
    }
    return true;
}

void x86_cpu_list_features(FILE *f)
{
    uint32_t implemented[4];
    x86_cpu_implemented_features(implemented);
    fprintf(f, "\nCPUID flags Osprey implements (+flag adds, -flag removes):\n ");
    unsigned col = 1;
    for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++) {
        const X86FeatureName *n = &feature_names[i];
        if (!(implemented[n->word] & (1u << n->bit))) {
            continue;
        }
        if (col + strlen(n->name) + 1 > 78) {
            fprintf(f, "\n ");
            col = 1;
        }
        col += (unsigned)fprintf(f, " %s", n->name);
    }
    fprintf(f, "\n");
}
