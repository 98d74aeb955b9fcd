/* SPDX-License-Identifier: MIT */
/* The handful of C library functions that common/ uses and that gcc emits
 * calls to even in freestanding code. */
#include "../common/util.h"

void *memcpy(void *dst, const void *src, size_t n) {
        uint8_t *d = dst;
        const uint8_t *s = src;
        while (n--)
                *d++ = *s++;
        return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
        uint8_t *d = dst;
        const uint8_t *s = src;
        if (d < s)
                return memcpy(dst, src, n);
        while (n--)
                d[n] = s[n];
        return dst;
}

void *memset(void *dst, int c, size_t n) {
        uint8_t *d = dst;
        while (n--)
                *d++ = (uint8_t) c;
        return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
        const uint8_t *x = a, *y = b;
        for (; n > 0; n--, x++, y++)
                if (*x != *y)
                        return *x < *y ? -1 : 1;
        return 0;
}

size_t strlen(const char *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

int strncmp(const char *a, const char *b, size_t n) {
        for (; n > 0; n--, a++, b++) {
                if (*a != *b)
                        return (uint8_t) *a < (uint8_t) *b ? -1 : 1;
                if (*a == '\0')
                        return 0;
        }
        return 0;
}

int strcmp(const char *a, const char *b) {
        return strncmp(a, b, SIZE_MAX);
}
