/* Tiny freestanding helpers for the direct-boot test kernels (32-bit, no BIOS). */
#ifndef DIRECT_COMMON_H
#define DIRECT_COMMON_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define DEBUGCON 0xe9
#define DEBUG_EXIT 0xf4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x11

static inline void outb(u16 port, u8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void puts_dbg(const char *s)
{
    while (*s) {
        outb(DEBUGCON, (u8)*s++);
    }
}

static inline void put_hex(u32 v)
{
    static const char digits[] = "0123456789abcdef";
    puts_dbg("0x");
    for (int i = 28; i >= 0; i -= 4) {
        outb(DEBUGCON, (u8)digits[(v >> i) & 15]);
    }
}

static int failures;

static inline void fail(const char *what, u32 got, u32 want)
{
    puts_dbg("FAIL ");
    puts_dbg(what);
    puts_dbg(": got ");
    put_hex(got);
    puts_dbg(" want ");
    put_hex(want);
    puts_dbg("\n");
    failures++;
}

#define CHECK_EQ(what, got, want)                   \
    do {                                            \
        u32 g_ = (u32)(got), w_ = (u32)(want);      \
        if (g_ != w_) {                             \
            fail(what, g_, w_);                     \
        }                                           \
    } while (0)

static inline u32 str_len(const char *s)
{
    u32 n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static inline int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static inline int ends_with(const char *s, const char *suffix)
{
    u32 a = str_len(s), b = str_len(suffix);
    return a >= b && str_eq(s + a - b, suffix);
}

static inline int contains(const char *s, const char *word)
{
    u32 n = str_len(word);
    for (; *s; s++) {
        u32 i = 0;
        while (i < n && s[i] == word[i]) {
            i++;
        }
        if (i == n) {
            return 1;
        }
    }
    return 0;
}

static inline void finish(const char *name, int halt_after)
{
    puts_dbg(failures ? "FAIL " : "PASS ");
    puts_dbg(name);
    puts_dbg("\n");
    if (halt_after && !failures) {
        for (;;) {
            __asm__ volatile("cli; hlt");
        }
    }
    outl(DEBUG_EXIT, failures ? EXIT_FAIL : EXIT_PASS);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

/* Machine state the protocols promise at entry. */
static inline void check_entry_state(u32 cs, u32 ds, u32 eflags, u32 cr0)
{
    (void)cs;
    CHECK_EQ("DS base/limit via selector", ds != 0, 1);
    CHECK_EQ("EFLAGS.IF", eflags & 0x200, 0);
    CHECK_EQ("CR0.PE", cr0 & 1, 1);
    CHECK_EQ("CR0.PG", cr0 >> 31, 0);
}

#endif
