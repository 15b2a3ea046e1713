/* Osprey BIOS: the few libc functions gcc may call and the BIOS uses. */
#include "bios.h"

void *memset(void *d, int c, size_t n)
{
    u8 *p = d;
    while (n--) {
        *p++ = (u8)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    u8 *dp = d;
    const u8 *sp = s;
    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y) {
            return *x - *y;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (u8)*a - (u8)*b;
}

void far_copy_to(u16 seg, u16 off, const void *src, u16 len)
{
    const u8 *s = src;
    for (u16 i = 0; i < len; i++) {
        far_wb(seg, off + i, s[i]);
    }
}
